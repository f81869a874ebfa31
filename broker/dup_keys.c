/* dup_keys.c — keys given more than once in a request (see dup_keys.h). */
#include "broker/dup_keys.h"

#include <stdint.h>

/* Values in the map: seen once, seen again (not yet answered), answered. */
enum { SEEN_ONCE = 1, SEEN_AGAIN, ANSWERED };

void dup_keys_init(dup_keys *d)
{
    strmap_init(&d->seen);
}

void dup_keys_free(dup_keys *d)
{
    strmap_free(&d->seen);
}

bool dup_keys_note(dup_keys *d, st_slice key)
{
    uintptr_t seen = (uintptr_t)strmap_get(&d->seen, key);
    return strmap_put(&d->seen, key, (void *)(seen ? (uintptr_t)SEEN_AGAIN : SEEN_ONCE)) ==
           ST_OK;
}

bool dup_keys_check(dup_keys *d, st_slice key, bool once, dup_kind *kind)
{
    uintptr_t seen = (uintptr_t)strmap_get(&d->seen, key);
    *kind = seen == ANSWERED ? DUP_ANSWERED : seen == SEEN_AGAIN ? DUP_ANSWER : DUP_NONE;
    if (*kind != DUP_ANSWER || !once)
        return true;
    return strmap_put(&d->seen, key, (void *)(uintptr_t)ANSWERED) == ST_OK;
}
