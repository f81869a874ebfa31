/* strmap.c — string-keyed hash map (see strmap.h). */
#include "common/strmap.h"

#include <stdlib.h>
#include <string.h>

static char tombstone_mark;
#define TOMBSTONE (&tombstone_mark)

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

void strmap_init(strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            free(m->slots[i].key);
    free(m->slots);
    strmap_init(m);
}

static size_t key_len(st_slice key)
{
    return key.len > 0 ? (size_t)key.len : 0;
}

static strmap_slot *find(const strmap *m, st_slice key, uint64_t h)
{
    if (!m->cap)
        return NULL;
    size_t n = key_len(key);
    for (size_t i = h & (m->cap - 1), probes = 0; probes < m->cap;
         i = (i + 1) & (m->cap - 1), probes++) {
        strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && s->key_len == n &&
            (n == 0 || memcmp(s->key, key.ptr, n) == 0))
            return s;
    }
    return NULL;
}

void *strmap_get(const strmap *m, st_slice key)
{
    strmap_slot *s = find(m, key, hash_bytes(key.ptr, key_len(key)));
    return s ? s->value : NULL;
}

static void place(strmap_slot *slots, size_t cap, strmap_slot entry)
{
    for (size_t i = entry.hash & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!slots[i].key) {
            slots[i] = entry;
            return;
        }
    }
}

static st_err grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    if (m->count * 10 < m->cap * 4)
        cap = m->cap; /* mostly tombstones: rehash at the same size */
    strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return ST_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            place(slots, cap, m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return ST_OK;
}

st_err strmap_put(strmap *m, st_slice key, void *value)
{
    uint64_t h = hash_bytes(key.ptr, key_len(key));
    strmap_slot *s = find(m, key, h);
    if (s) {
        s->value = value;
        return ST_OK;
    }
    if ((m->used + 1) * 10 > m->cap * 7 && grow(m) != ST_OK)
        return ST_ERR_NOMEM;
    size_t n = key_len(key);
    char *copy = malloc(n + 1);
    if (!copy)
        return ST_ERR_NOMEM;
    if (n)
        memcpy(copy, key.ptr, n);
    copy[n] = '\0';
    place(m->slots, m->cap, (strmap_slot){copy, n, h, value});
    m->count++;
    m->used++;
    return ST_OK;
}

void *strmap_remove(strmap *m, st_slice key)
{
    strmap_slot *s = find(m, key, hash_bytes(key.ptr, key_len(key)));
    if (!s)
        return NULL;
    void *value = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->count--;
    return value;
}

int strmap_next(const strmap *m, size_t *pos, const char **key, void **value)
{
    while (*pos < m->cap) {
        strmap_slot *s = &m->slots[(*pos)++];
        if (s->key && s->key != TOMBSTONE) {
            *key = s->key;
            *value = s->value;
            return 1;
        }
    }
    return 0;
}
