/* log_cleaner.h — Kafka's log cleaner: compaction of the partition logs of
 * topics with cleanup.policy=compact (or compact,delete, where retention
 * also applies: broker.c runs it only when "delete" is in the policy).
 *
 * Owns the cleaning itself (which partition is due, the key -> latest offset
 * map, rewriting inactive segments) and the cleaner thread. Must never block
 * the loop thread on the cleaner, never touch the active segment, never
 * change an offset, and never trust segment bytes (damage fails the clean,
 * and the log is marked uncleanable, as Kafka does).
 *
 * ---- What a clean does (Kafka's semantics)
 *
 * The log is [log start, cleaner checkpoint) clean + [checkpoint, first
 * uncleanable offset) dirty + the rest (the active segment, segments newer
 * than min.compaction.lag.ms, anything at or past max_offset — the high
 * watermark / last stable offset). A clean
 *   1. maps every key of the dirty section to its latest offset (the map
 *      holds 24 bytes per key — a keyed 128-bit SipHash of the key and the
 *      offset — within log.cleaner.dedupe.buffer.size; when it fills, only
 *      the prefix of the dirty section that fitted is cleaned this time);
 *   2. rewrites every inactive segment from the first up to the end of that
 *      prefix, grouping neighbours whose total size fits segment.bytes into
 *      one cleaned segment (so compacted logs do not pile up tiny segments),
 *      keeping a record unless a later offset holds the same key, it has no
 *      key (Kafka drops keyless records from compacted logs), or it is a
 *      tombstone (null value) whose batch's delete horizon has passed;
 *   3. swaps the cleaned segments in and moves the checkpoint to the end of
 *      the prefix (st_log_replace_cleaned, log.h).
 * Batches keep their base offset, lastOffsetDelta (so a batch still covers
 * its offset range and an idempotent producer's last sequence survives),
 * leader epoch, producer id/epoch/base sequence, attributes and codec
 * (recompressed with the same codec at its default level; snappy keeps its
 * framing); records keep their offset deltas, timestamps and headers. A
 * batch with nothing removed is copied byte for byte. Control batches
 * (transaction markers) are always kept as they are. A batch left with no
 * record is dropped, unless it belongs to an idempotent producer (producer
 * id >= 0) and no later batch of that producer exists in the segments this
 * clean read: then its 61-byte header stays (record count 0, uncompressed),
 * as Kafka keeps a producer's last batch so its sequence is not forgotten.
 * Tombstones: the first clean that rewrites a batch holding tombstones sets
 * the DELETE_HORIZON attribute and baseTimestamp = now + delete.retention.ms
 * (record timestamp deltas are made relative to it, so record timestamps do
 * not change); a later clean after that horizon removes them (KIP-534). The
 * earliest pending horizon is kept with the checkpoint, and when it passes a
 * clean is due even with no new dirty data.
 * Transactions: the broker does not accept transactional produce yet; the
 * cleaner stops at max_offset (pass the last stable offset), and aborted
 * transactional records are not treated specially (to do with EndTxn).
 *
 * ---- Scheduling (Kafka's LogCleanerManager)
 *
 * A log is due when it is not uncleanable and either its dirty bytes (whole
 * inactive segments from the one holding the checkpoint up to the first
 * uncleanable offset) are > 0 and dirty / (clean + dirty) >=
 * min.cleanable.dirty.ratio, or > 0 and the first batch of the oldest dirty
 * inactive segment is older than max.compaction.lag.ms, or the pending
 * delete horizon has passed. Only segments whose largest timestamp (mtime
 * without timestamps) is at least min.compaction.lag.ms old are cleanable.
 * The cleaner service takes the dirtiest due log (highest ratio; lag-forced
 * and horizon-due logs after those over the ratio), one at a time.
 *
 * ---- Threading contract
 *
 * A clean is a job in three steps:
 *   st_clean_job_prepare  loop thread: takes references on the inactive
 *                         segments to read, notes their fds, sizes and
 *                         offsets, registers a watch on the log (log.h);
 *   st_clean_job_run      any ONE thread (the cleaner thread): reads those
 *                         segments with pread only, builds the map, writes
 *                         and fsyncs "<base>.log.cleaned" (+ indexes) files.
 *                         It never calls into st_log and touches no object
 *                         the loop thread uses (segment refcounts included);
 *   st_clean_job_finish   loop thread: swaps the result in — metadata only
 *                         (renames, unlinks, the new st_segment objects the
 *                         thread built with their indexes, adopted as they
 *                         are) — or discards it when the log was closed, or
 *                         retention, DeleteRecords or a truncation touched
 *                         those segments meanwhile; drops the references.
 * Readers holding fetch ranges of replaced segments keep reading the old
 * bytes through the segments' fds until they release them.
 *
 * The service (st_cleaner) runs st_clean_job_run on one pthread. Handoff is
 * lock-free on the loop side: the loop publishes a job with an atomic store
 * and sem_post (never blocks); the thread publishes the finished job with an
 * atomic store and ev_async_send, whose callback finishes it on the loop. A
 * timer (log.cleaner.backoff.ms) looks for due logs while the thread is
 * idle, and right after a clean that did something. st_cleaner_stop
 * cancels the job in flight (the thread checks a flag between batches),
 * joins the thread (the only wait, at shutdown) and finishes or discards
 * what it left — call it before the logs close. */
#ifndef STRAIT_LOG_CLEANER_H
#define STRAIT_LOG_CLEANER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/log.h"
#include "common/logging.h"

/* Kafka's offset map: 16 bytes of hash + 8 of offset per key. */
#define ST_CLEANER_MAP_ENTRY_BYTES 24
/* The map's load factor (Kafka's log.cleaner.io.buffer.load.factor). */
#define ST_CLEANER_MAP_LOAD 0.9

/* The compaction settings of one topic (Kafka's names). */
typedef struct st_clean_params {
    int64_t delete_retention_ms;   /* delete.retention.ms */
    int64_t min_compaction_lag_ms; /* min.compaction.lag.ms */
    int64_t max_compaction_lag_ms; /* max.compaction.lag.ms */
    double min_cleanable_ratio;    /* min.cleanable.dirty.ratio */
    int64_t dedupe_buffer_bytes;   /* log.cleaner.dedupe.buffer.size: the map's bound */
} st_clean_params;

/* Kafka's defaults: 1 day, 0, unlimited, 0.5, 128 MiB. */
st_clean_params st_clean_params_default(void);

/* ---- Whether a log is due */

typedef struct st_clean_assessment {
    bool due;                  /* worth cleaning now (see Scheduling) */
    bool forced_by_max_lag;    /* due through max.compaction.lag.ms */
    bool horizon_due;          /* a kept tombstone's delete horizon has passed */
    int64_t first_dirty_offset;       /* st_log_cleaner_checkpoint */
    int64_t first_uncleanable_offset; /* base of the first segment not cleanable */
    int32_t cleanable_segments;       /* segments before it */
    int64_t clean_bytes;
    int64_t dirty_bytes;
    double dirty_ratio;        /* dirty / (clean + dirty), 0 when both are 0 */
} st_clean_assessment;

/* Loop thread. max_offset: nothing at or past it is cleaned (the high
 * watermark or last stable offset). */
void st_cleaner_assess(const st_log *log, const st_clean_params *p, int64_t now_ms,
                       int64_t max_offset, st_clean_assessment *a);

/* ---- One clean */

typedef enum st_clean_outcome {
    ST_CLEAN_NOTHING,   /* nothing cleanable (or not due) */
    ST_CLEAN_DONE,      /* swapped in; the checkpoint moved */
    ST_CLEAN_DISCARDED, /* the log closed, or retention / DeleteRecords /
                           truncation changed its segments meanwhile */
    ST_CLEAN_CANCELLED, /* stopped before the end (shutdown) */
    ST_CLEAN_FAILED,    /* see err and detail (damage marks the log uncleanable) */
} st_clean_outcome;

typedef struct st_clean_result {
    st_clean_outcome outcome;
    st_err err;
    char detail[256];
    int64_t first_dirty_offset;
    int64_t end_offset;        /* the new checkpoint: end of the mapped dirty prefix */
    bool map_full;             /* only a prefix of the dirty section fitted the map */
    int64_t map_keys;          /* distinct keys mapped */
    int32_t segments_read;     /* inactive segments rewritten */
    int32_t segments_written;  /* cleaned segments (groups) */
    int64_t bytes_read;
    int64_t bytes_written;
    int64_t batches_read;
    int64_t batches_written;
    int64_t empty_batches_kept; /* headers kept for idempotent producers */
    int64_t records_read;
    int64_t records_kept;
    int64_t records_removed;   /* all removed records, tombstones and keyless included */
    int64_t tombstones_removed;
    int64_t keyless_removed;
    int64_t delete_horizon;    /* earliest horizon of the tombstones kept, -1 */
} st_clean_result;

typedef struct st_clean_job st_clean_job;

/* Loop thread. *job NULL (ST_OK) when nothing is cleanable: no inactive
 * segment before the first uncleanable offset, or (unless force) the log is
 * not due. Otherwise the job holds references on the segments and a watch
 * on the log; it must reach st_clean_job_finish. Errors: ST_ERR_NOMEM. */
st_err st_clean_job_prepare(st_log *log, const st_clean_params *p, int64_t now_ms,
                            int64_t max_offset, bool force, st_clean_job **job);
/* Any one thread, once (see the threading contract). */
void st_clean_job_run(st_clean_job *job);
/* Any thread: asks a running job to stop soon (the result is CANCELLED). */
void st_clean_job_cancel(st_clean_job *job);
/* Loop thread: swaps in or discards, fills res, frees the job. Also for a
 * job that never ran (CANCELLED). The return value is res->err. */
st_err st_clean_job_finish(st_clean_job *job, st_clean_result *res);

/* The three steps in a row, for tests and tools (blocks the caller). force:
 * clean whatever is cleanable even when not due by ratio, lag or horizon. */
st_err st_log_clean(st_log *log, const st_clean_params *p, int64_t now_ms, int64_t max_offset,
                    bool force, st_clean_result *res);

/* ---- The cleaner service: one thread, driven by the loop */

typedef struct st_cleaner_candidate {
    st_log *log;
    st_clean_params params;
    int64_t max_offset;        /* last stable offset / high watermark */
    const char *name;          /* for log lines ("<topic>-<partition>" dir) */
} st_cleaner_candidate;

typedef void (*st_cleaner_visit_fn)(void *vctx, const st_cleaner_candidate *c);
/* Calls visit for every log with cleanup.policy containing compact (loop
 * thread; the candidate is copied during the call). */
typedef void (*st_cleaner_each_fn)(void *ctx, st_cleaner_visit_fn visit, void *vctx);

typedef struct st_cleaner_options {
    int64_t backoff_ms;        /* log.cleaner.backoff.ms: between looks when idle */
    const st_logger *logger;   /* may be NULL */
} st_cleaner_options;

typedef struct st_cleaner st_cleaner;

/* Starts the thread and the loop's timer and async watcher. ST_ERR_IO
 * (errno) when the thread cannot start. */
st_err st_cleaner_start(struct ev_loop *loop, const st_cleaner_options *opts,
                        st_cleaner_each_fn each, void *ctx, st_cleaner **out);
/* Loop thread: look for a due log now (if the thread is idle). */
void st_cleaner_poke(st_cleaner *c);
/* Loop thread: cancels the job in flight, joins the thread, finishes what
 * it left (a completed job is still swapped in), stops the watchers, frees.
 * NULL is a no-op. */
void st_cleaner_stop(st_cleaner *c);
/* Cleans finished (any outcome but NOTHING) and the last result. */
uint64_t st_cleaner_finished(const st_cleaner *c);
const st_clean_result *st_cleaner_last_result(const st_cleaner *c);

#endif
