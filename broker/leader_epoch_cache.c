/* leader_epoch_cache.c — leader epoch start offsets (see leader_epoch_cache.h).
 *
 * Owns the entry list and its checkpoint text. Must never touch a file and
 * never accept a checkpoint whose entries are not strictly increasing. */
#include "broker/leader_epoch_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void st_epoch_cache_init(st_epoch_cache *c)
{
    c->entries = NULL;
    c->count = 0;
    c->cap = 0;
}

void st_epoch_cache_free(st_epoch_cache *c)
{
    free(c->entries);
    st_epoch_cache_init(c);
}

void st_epoch_cache_clear(st_epoch_cache *c)
{
    c->count = 0;
}

static st_err push(st_epoch_cache *c, st_epoch_entry e)
{
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        st_epoch_entry *p = realloc(c->entries, cap * sizeof(*p));
        if (!p)
            return ST_ERR_NOMEM;
        c->entries = p;
        c->cap = cap;
    }
    c->entries[c->count++] = e;
    return ST_OK;
}

st_err st_epoch_cache_assign(st_epoch_cache *c, int32_t epoch, int64_t start_offset,
                             bool *changed)
{
    *changed = false;
    if (epoch < 0 || start_offset < 0)
        return ST_OK;
    if (c->count) {
        st_epoch_entry last = c->entries[c->count - 1];
        if (last.epoch == epoch && start_offset >= last.start_offset)
            return ST_OK;
    }
    /* Kafka's maybeTruncateNonMonotonicEntries. */
    while (c->count && (c->entries[c->count - 1].epoch >= epoch ||
                        c->entries[c->count - 1].start_offset >= start_offset))
        c->count--;
    *changed = true;
    return push(c, (st_epoch_entry){epoch, start_offset});
}

int32_t st_epoch_cache_latest(const st_epoch_cache *c)
{
    return c->count ? c->entries[c->count - 1].epoch : ST_UNDEFINED_EPOCH;
}

bool st_epoch_cache_truncate_from_end(st_epoch_cache *c, int64_t end_offset)
{
    size_t before = c->count;
    while (c->count && c->entries[c->count - 1].start_offset >= end_offset)
        c->count--;
    return c->count != before;
}

bool st_epoch_cache_truncate_from_start(st_epoch_cache *c, int64_t start_offset)
{
    size_t below = 0; /* entries starting at or before start_offset */
    while (below < c->count && c->entries[below].start_offset <= start_offset)
        below++;
    if (below == 0)
        return false;
    st_epoch_entry keep = c->entries[below - 1];
    bool changed = below > 1 || keep.start_offset != start_offset;
    keep.start_offset = start_offset;
    memmove(c->entries + 1, c->entries + below, (c->count - below) * sizeof(*c->entries));
    c->entries[0] = keep;
    c->count -= below - 1;
    return changed;
}

void st_epoch_cache_end_offset_for(const st_epoch_cache *c, int32_t epoch,
                                   int64_t log_end_offset, int32_t *found_epoch,
                                   int64_t *end_offset)
{
    *found_epoch = ST_UNDEFINED_EPOCH;
    *end_offset = ST_UNDEFINED_EPOCH_OFFSET;
    if (epoch == ST_UNDEFINED_EPOCH || c->count == 0)
        return;
    if (epoch == st_epoch_cache_latest(c)) {
        *found_epoch = epoch;
        *end_offset = log_end_offset;
        return;
    }
    size_t higher = 0; /* the first entry with a greater epoch */
    while (higher < c->count && c->entries[higher].epoch <= epoch)
        higher++;
    if (higher == c->count)
        return; /* newer than anything this log has seen */
    *found_epoch = higher == 0 ? epoch : c->entries[higher - 1].epoch;
    *end_offset = c->entries[higher].start_offset;
}

void st_epoch_cache_encode(const st_epoch_cache *c, st_buf *out)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "0\n%zu\n", c->count);
    st_buf_append(out, line, (size_t)n);
    for (size_t i = 0; i < c->count; i++) {
        n = snprintf(line, sizeof(line), "%d %lld\n", (int)c->entries[i].epoch,
                     (long long)c->entries[i].start_offset);
        st_buf_append(out, line, (size_t)n);
    }
}

/* ---- Decoding: a tiny strict line reader */

typedef struct text_reader {
    const char *p;
    const char *end;
} text_reader;

/* A decimal integer in [min, max]; false on anything else. */
static bool read_int(text_reader *r, int64_t min, int64_t max, int64_t *v)
{
    bool neg = r->p < r->end && *r->p == '-';
    if (neg)
        r->p++;
    if (r->p == r->end || *r->p < '0' || *r->p > '9')
        return false;
    int64_t x = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
        int d = *r->p++ - '0';
        if (x > (INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    x = neg ? -x : x;
    if (x < min || x > max)
        return false;
    *v = x;
    return true;
}

static bool read_char(text_reader *r, char ch)
{
    if (r->p == r->end || *r->p != ch)
        return false;
    r->p++;
    return true;
}

static st_err decode_entries(st_epoch_cache *c, text_reader *r)
{
    int64_t version, count;
    if (!read_int(r, 0, 0, &version) || !read_char(r, '\n'))
        return ST_ERR_MALFORMED;
    /* Each entry takes at least 4 bytes ("0 0\n"): bounds the count. */
    if (!read_int(r, 0, (r->end - r->p) / 4, &count) || !read_char(r, '\n'))
        return ST_ERR_MALFORMED;
    for (int64_t i = 0; i < count; i++) {
        int64_t epoch, offset;
        if (!read_int(r, 0, INT32_MAX, &epoch) || !read_char(r, ' ') ||
            !read_int(r, 0, INT64_MAX, &offset) || !read_char(r, '\n'))
            return ST_ERR_MALFORMED;
        if (c->count && (epoch <= c->entries[c->count - 1].epoch ||
                         offset <= c->entries[c->count - 1].start_offset))
            return ST_ERR_MALFORMED;
        st_err err = push(c, (st_epoch_entry){(int32_t)epoch, offset});
        if (err)
            return err;
    }
    return r->p == r->end ? ST_OK : ST_ERR_MALFORMED;
}

st_err st_epoch_cache_decode(st_epoch_cache *c, const char *text, size_t n)
{
    text_reader r = {text, text + n};
    c->count = 0;
    st_err err = decode_entries(c, &r);
    if (err)
        c->count = 0;
    return err;
}
