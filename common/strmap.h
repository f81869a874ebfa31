/* strmap.h — a hash map from byte-string keys to pointers.
 *
 * Owns copies of its keys (the values are the caller's: the map never frees
 * them). Open addressing with linear probing and tombstones; grows at 70%
 * load. Lookups take st_slice keys so that names decoded from the wire need
 * no NUL-terminated copy. Allocation failure is reported, never fatal. */
#ifndef STRAIT_STRMAP_H
#define STRAIT_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/wire.h"

typedef struct strmap_slot {
    char *key; /* NULL: empty; a tombstone marker after removal (strmap.c) */
    size_t key_len;
    uint64_t hash;
    void *value;
} strmap_slot;

typedef struct strmap {
    strmap_slot *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count; /* live entries */
    size_t used;  /* live + tombstones */
} strmap;

void strmap_init(strmap *m);
void strmap_free(strmap *m);
void *strmap_get(const strmap *m, st_slice key);
static inline void *strmap_get_cstr(const strmap *m, const char *key)
{
    return strmap_get(m, st_slice_cstr(key));
}
/* Inserts or replaces. */
st_err strmap_put(strmap *m, st_slice key, void *value);
/* Removes the key; returns its value or NULL. */
void *strmap_remove(strmap *m, st_slice key);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &key, &value);) */
int strmap_next(const strmap *m, size_t *pos, const char **key, void **value);

#endif
