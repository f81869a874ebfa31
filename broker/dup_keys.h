/* dup_keys.h — entries of one request that name the same thing twice.
 *
 * Kafka's controllers answer an entry whose key (a topic name, a topic id,
 * a config resource) is given more than once in one request with
 * INVALID_REQUEST and do not act on it: once for the key, or (in
 * IncrementalAlterConfigs) once for every occurrence. Owns that counting:
 * every key is noted first, then each occurrence, in request order, is
 * asked what it is. Keys are byte strings (copied); no memory is reported,
 * never fatal. */
#ifndef STRAIT_BROKER_DUP_KEYS_H
#define STRAIT_BROKER_DUP_KEYS_H

#include <stdbool.h>

#include "common/strmap.h"

typedef enum dup_kind {
    DUP_NONE,     /* the key is given once */
    DUP_ANSWER,   /* given more than once: answer this occurrence INVALID_REQUEST */
    DUP_ANSWERED, /* given more than once and answered already: no answer */
} dup_kind;

typedef struct dup_keys {
    strmap seen; /* key -> how often seen, or answered */
} dup_keys;

void dup_keys_init(dup_keys *d);
void dup_keys_free(dup_keys *d);

/* Notes one occurrence of key; false when out of memory. */
bool dup_keys_note(dup_keys *d, st_slice key);

/* What this occurrence of a noted key is. With once, a repeated key's
 * first occurrence asked about is DUP_ANSWER and the later ones
 * DUP_ANSWERED; without, every occurrence is DUP_ANSWER. *kind is set even
 * when this returns false (out of memory). */
bool dup_keys_check(dup_keys *d, st_slice key, bool once, dup_kind *kind);

#endif
