/* leader_epoch_cache.h — which leader epoch started at which offset, for
 * OffsetForLeaderEpoch and for truncation after a leader change.
 *
 * Owns the list of (epoch, start offset) entries, strictly increasing in
 * both, with Kafka's LeaderEpochFileCache semantics, and their text form —
 * the leader-epoch-checkpoint file, Kafka's format:
 *
 *     0                  version
 *     2                  number of entries
 *     0 0                "epoch startOffset", one line per entry
 *     3 1500
 *
 * Never touches files (log.c reads and writes the checkpoint) and never
 * trusts text: a malformed checkpoint is ST_ERR_MALFORMED, never a crash. */
#ifndef STRAIT_LEADER_EPOCH_CACHE_H
#define STRAIT_LEADER_EPOCH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"

#define ST_UNDEFINED_EPOCH ((int32_t)-1)
#define ST_UNDEFINED_EPOCH_OFFSET ((int64_t)-1)

typedef struct st_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
} st_epoch_entry;

typedef struct st_epoch_cache {
    st_epoch_entry *entries; /* owned, sorted by epoch and by start offset */
    size_t count;
    size_t cap;
} st_epoch_cache;

void st_epoch_cache_init(st_epoch_cache *c);
void st_epoch_cache_free(st_epoch_cache *c);
void st_epoch_cache_clear(st_epoch_cache *c);

/* Kafka's assign: records that epoch starts at start_offset unless the last
 * entry already says so (same epoch, no earlier offset). Entries that the
 * new one contradicts (epoch >= it or start offset >= its) are dropped
 * first. Negative epochs or offsets are ignored. *changed tells whether the
 * checkpoint must be rewritten. */
st_err st_epoch_cache_assign(st_epoch_cache *c, int32_t epoch, int64_t start_offset,
                             bool *changed);

/* The latest epoch, or ST_UNDEFINED_EPOCH when empty. */
int32_t st_epoch_cache_latest(const st_epoch_cache *c);

/* After the log is cut to end before end_offset: drops entries starting at
 * or after it. Returns whether anything changed. */
bool st_epoch_cache_truncate_from_end(st_epoch_cache *c, int64_t end_offset);
/* After the log start moved to start_offset: drops entries wholly before it
 * and moves the one in force there to start at it. */
bool st_epoch_cache_truncate_from_start(st_epoch_cache *c, int64_t start_offset);

/* OffsetForLeaderEpoch (Kafka's endOffsetFor): for the latest epoch, the log
 * end offset; for an older one, the start offset of the next greater epoch,
 * with *found_epoch the largest epoch <= epoch (or epoch itself when it
 * precedes every entry); ST_UNDEFINED_EPOCH/ST_UNDEFINED_EPOCH_OFFSET when
 * epoch is undefined, newer than the latest, or the cache is empty. */
void st_epoch_cache_end_offset_for(const st_epoch_cache *c, int32_t epoch,
                                   int64_t log_end_offset, int32_t *found_epoch,
                                   int64_t *end_offset);

/* Checkpoint text (format above). */
void st_epoch_cache_encode(const st_epoch_cache *c, st_buf *out);
/* Replaces the entries with the text's (on error the cache is left empty). */
st_err st_epoch_cache_decode(st_epoch_cache *c, const char *text, size_t n);

#endif
