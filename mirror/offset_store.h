/* offset_store.h — the mirror's offset translation store (SQLite, WAL mode).
 *
 * Owns: which source offsets became which target offsets, per flow, topic
 * and partition; the mirror's replicated-up-to position per partition; the
 * last checkpoint of each consumer group; per-partition status rows for the
 * `status` command. Knows nothing of Kafka connections: callers feed it what
 * they learnt and ask it to translate.
 *
 * Model. For one (flow, source topic, partition) the mirror writes source
 * records in order into one target partition. Every mirrored record has a
 * source offset s and a target offset t. Runs of records where both s and t
 * step by exactly 1 are one row (src_first, src_last, tgt_first); any gap in
 * s (compaction, transaction markers, aborted records, records skipped by
 * loop prevention) or in t (local writes interleaved on the target) starts a
 * new row. Rows are appended in increasing s and t.
 *
 * Besides the rows, each partition has a "position": every source offset
 * below it was either mirrored (and is in the rows) or deliberately skipped.
 * position >= src_last + 1 of the last row.
 *
 * Translation of a committed source offset c (the next record the group
 * would read): the target offset of the first mirrored record with source
 * offset >= c. When c lies beyond the last row: if c <= position, the
 * records between were all skipped and the answer is tgt_last + 1 of the last
 * row (0/"none" without rows: see below); if c > position the mirror has not
 * read that far, the answer is capped at position's translation and
 * `unmirrored` says how many source offsets (c - position) are not yet on
 * the target.
 *
 * Threads: one offset_store per thread (each opens its own connection);
 * WAL mode and a busy timeout let several threads and the `status` /
 * `failover` commands share one database file. Every function returns
 * ST_OK or an error with errbuf naming the operation and SQLite's message.
 */
#ifndef STRAIT_MIRROR_OFFSET_STORE_H
#define STRAIT_MIRROR_OFFSET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct offset_store offset_store;

/* Identifies one mirrored source partition. */
typedef struct store_key {
    const char *flow;    /* flow name */
    const char *topic;   /* source topic name */
    int32_t partition;
} store_key;

/* Opens (creating the file, its directory is NOT created, and the schema
 * when missing) the database at path. */
st_err offset_store_open(offset_store **out, const char *path, char *errbuf, size_t errlen);
void offset_store_close(offset_store *store);

/* ---- Writing, as the mirror learns deliveries ---------------------------------------- */

/* Batches writes: begin, then any number of record/advance calls, then
 * commit (one SQLite transaction; the mirror commits every ~100 ms). */
st_err offset_store_begin(offset_store *store, char *errbuf, size_t errlen);
st_err offset_store_commit(offset_store *store, char *errbuf, size_t errlen);

/* One mirrored record: source offset src became target offset tgt. Extends
 * the partition's last row when both step by one, else appends a row.
 * Also raises position to src + 1. src and tgt must be above the last row's
 * (ST_ERR_OUT_OF_RANGE otherwise, nothing written). */
st_err offset_store_record(offset_store *store, const store_key *key, int64_t src, int64_t tgt,
                           char *errbuf, size_t errlen);
/* Raises position (never lowers it): every source offset below it has been
 * mirrored or skipped. */
st_err offset_store_advance(offset_store *store, const store_key *key, int64_t position,
                            char *errbuf, size_t errlen);

/* ---- Reading ---------------------------------------------------------------------------- */

typedef struct store_partition_state {
    bool found;          /* false: nothing stored for this partition */
    int64_t position;    /* next source offset to mirror */
    bool has_rows;
    int64_t last_src;    /* of the last row: last mirrored source offset */
    int64_t last_tgt;    /* and its target offset */
    int64_t first_src;   /* of the first row (after pruning) */
    int64_t first_tgt;
    int64_t row_count;
} store_partition_state;

st_err offset_store_state(offset_store *store, const store_key *key, store_partition_state *out,
                          char *errbuf, size_t errlen);

typedef struct store_translation {
    bool found;          /* false: nothing known for this partition (no rows, no position) */
    int64_t target_offset;
    int64_t unmirrored;  /* source offsets at/after position the target lacks (0 if c <= position) */
} store_translation;

/* Translates committed source offset c as described at the top. Without
 * any row found is false (nothing mirrored yet: no target offset known). */
st_err offset_store_translate(offset_store *store, const store_key *key, int64_t c,
                              store_translation *out, char *errbuf, size_t errlen);

/* The other direction (for identity active/active): the source offset of
 * the first mirrored record whose target offset is >= t, or -1 when none. */
st_err offset_store_source_for_target(offset_store *store, const store_key *key, int64_t t,
                                      int64_t *src_out, char *errbuf, size_t errlen);

/* ---- Repair and pruning ---------------------------------------------------------------- */

/* Forgets every mapping with target offset >= t (rows cut or deleted) and
 * sets position to last remaining src + 1 (or leaves no position without
 * rows). For a target that lost data. */
st_err offset_store_truncate_target(offset_store *store, const store_key *key, int64_t t,
                                    char *errbuf, size_t errlen);
/* Forgets mappings of target offsets below t (the target's log start
 * offset after retention), cutting a row in the middle when needed. */
st_err offset_store_prune_below_target(offset_store *store, const store_key *key, int64_t t,
                                       char *errbuf, size_t errlen);
/* Forgets everything stored for a partition (all rows, position, status). */
st_err offset_store_forget(offset_store *store, const store_key *key, char *errbuf,
                           size_t errlen);

/* ---- Checkpoints (last translated group offsets, for failover when the
 *      source is down) -------------------------------------------------------------------- */

typedef struct store_checkpoint {
    char *group;
    char *topic;          /* source topic */
    int32_t partition;
    int64_t source_offset;
    int64_t target_offset;
    char *metadata;       /* commit metadata ("" when none) */
    int64_t time_ms;      /* when it was taken */
} store_checkpoint;

st_err offset_store_put_checkpoint(offset_store *store, const char *flow,
                                   const store_checkpoint *cp, char *errbuf, size_t errlen);
/* Every checkpoint of group in flow (sorted by topic, partition); the array
 * and its strings are malloc'd: free with offset_store_free_checkpoints. */
st_err offset_store_checkpoints(offset_store *store, const char *flow, const char *group,
                                store_checkpoint **out, size_t *count, char *errbuf,
                                size_t errlen);
/* Every group with a checkpoint in flow (malloc'd array of malloc'd strings). */
st_err offset_store_checkpoint_groups(offset_store *store, const char *flow, char ***out,
                                      size_t *count, char *errbuf, size_t errlen);
void offset_store_free_checkpoints(store_checkpoint *cps, size_t count);
void offset_store_free_strings(char **strings, size_t count);

/* ---- Status rows (written by the daemon, read by `strait-mirror status`) ------------------ */

typedef struct store_status {
    char *flow;
    char *topic;          /* source topic */
    int32_t partition;
    char *target_topic;
    int64_t position;     /* replicated up to (next source offset) */
    int64_t source_end;   /* the source's end offset last seen, -1 unknown */
    int64_t target_end;   /* the target's end offset last seen, -1 unknown */
    int64_t lag_records;
    double lag_seconds;
    int64_t records;      /* mirrored since the daemon started */
    int64_t bytes;
    int64_t errors;
    char *last_error;     /* "" when none */
    int64_t updated_ms;
} store_status;

st_err offset_store_put_status(offset_store *store, const store_status *st, char *errbuf,
                               size_t errlen);
/* Every status row (flow NULL) or those of one flow, sorted by flow, topic,
 * partition; free with offset_store_free_status. */
st_err offset_store_status(offset_store *store, const char *flow, store_status **out,
                           size_t *count, char *errbuf, size_t errlen);
void offset_store_free_status(store_status *rows, size_t count);

#endif
