/* log.h — one partition's log: Kafka's on-disk layout, appends, fetch
 * ranges, timestamp lookups, retention, truncation and leader epochs.
 *
 * Owns the partition directory (created by the caller): its segments and
 * the small checkpoint files below. Called from the ONE event-loop thread
 * that owns the partition, so nothing here locks; st_log_flush alone may run
 * on another thread (see there), and the log cleaner's thread reads
 * inactive segments it holds references to without calling in here (see
 * "Compaction support"). Must never trust file contents (damage is
 * repaired at open or reported as ST_ERR_CORRUPT, never a crash), never
 * exit or abort, and never fsync anywhere but st_log_flush, st_log_close,
 * the checkpoint writes named below, and st_log_open's repairs (the
 * cleaner thread fsyncs the cleaned segments it writes).
 *
 * ---- Files in <log.dir>/<topic>-<partition>/
 *
 *   00000000000000000000.log        RecordBatch v2 batches exactly as
 *                                   appended (offsets/epoch assigned); name =
 *                                   the segment's base offset, 20 digits
 *   00000000000000000000.index      8-byte entries: int32 relative offset,
 *                                   int32 position (big-endian), one per
 *                                   index.interval.bytes of log (offset_index.h)
 *   00000000000000000000.timeindex  12-byte entries: int64 timestamp, int32
 *                                   relative offset (time_index.h)
 *   leader-epoch-checkpoint         "0\n<count>\n" then "<epoch> <startOffset>\n"
 *                                   lines, Kafka's format (leader_epoch_cache.h)
 *   log-start-offset                "0\n<offset>\n": the log start offset, when
 *                                   DeleteRecords moved it past the first
 *                                   segment's base offset (absent otherwise;
 *                                   the effective value is the larger of the
 *                                   two)
 *   recovery-point                  "0\n<offset>\n": every batch below it was
 *                                   fsync'd (written by st_log_flush)
 *   cleaner-checkpoint              "0\n<offset>\n<horizon>\n" (compacted
 *                                   topics): the log was cleaned up to offset
 *                                   (the first dirty offset; Kafka keeps it in
 *                                   cleaner-offset-checkpoint), and horizon is
 *                                   the earliest delete horizon of a tombstone
 *                                   the cleaner kept (-1 when none): when it
 *                                   passes, a clean is due even without new
 *                                   dirty data (log_cleaner.h)
 *   <base>.log.cleaned, .index.cleaned, .timeindex.cleaned
 *                                   a cleaned segment being written by the
 *                                   cleaner thread (removed at open: a crash
 *                                   mid-clean leaves the log as it was)
 *   <base>.log.swap, .index.swap, .timeindex.swap
 *                                   a cleaned segment committed but not yet
 *                                   installed: at open the segments its
 *                                   offsets cover are deleted and it takes the
 *                                   final names (Kafka's swap recovery;
 *                                   st_log_open_info.swaps_completed)
 *
 * Checkpoints are written atomically: "<name>.tmp", fsync, rename, fsync of
 * the directory. A checkpoint that does not parse is ignored (and the leader
 * epoch cache is then rebuilt from the batch headers). Leftover "*.tmp",
 * "*.deleted", "*.cleaned" and index files without a .log are removed at
 * open.
 *
 * ---- Errors (st_err) and the Kafka error codes the broker answers with
 *
 *   ST_LOG_OUT_OF_RANGE  st_log_read, st_log_delete_records_before: offset
 *                        outside [log start, log end] -> OFFSET_OUT_OF_RANGE
 *   ST_ERR_TOO_LARGE     st_log_append: a batch larger than segment.bytes
 *                        -> RECORD_LIST_TOO_LARGE
 *   ST_ERR_MALFORMED     st_log_append: bytes that are not whole v2 batches,
 *                        or a follower append whose offsets go backwards
 *                        -> CORRUPT_MESSAGE; st_log_open/st_log_set_config:
 *                        a bad config -> INVALID_CONFIG
 *   ST_ERR_CORRUPT       a read found damaged data on disk (a bad header, a
 *                        stored batch whose records do not decode, or inflate
 *                        past 256 MiB) -> KAFKA_STORAGE_ERROR
 *   ST_ERR_IO            an OS call failed (errno kept) -> KAFKA_STORAGE_ERROR;
 *                        the broker should take the log offline
 *   ST_ERR_NOMEM         -> UNKNOWN_SERVER_ERROR
 *
 * st_log_last_error() gives a message naming the file and the cause of the
 * last failed call (st_log_flush keeps its own, st_log_flush_error()). */
#ifndef STRAIT_LOG_H
#define STRAIT_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "broker/leader_epoch_cache.h"
#include "broker/log_config.h"
#include "broker/segment.h"
#include "common/err.h"
#include "common/record_batch.h"

/* An offset outside the log. */
#define ST_LOG_OUT_OF_RANGE ST_ERR_OUT_OF_RANGE

typedef struct st_log st_log;

/* ST_OK, or ST_ERR_MALFORMED: Kafka's bounds — segment_bytes in
 * [14, INT32_MAX] (a batch larger than it is refused), segment_ms >= 1,
 * index_interval_bytes >= 0, segment_index_bytes >= 4,
 * flush_interval_messages >= 1, flush_interval_ms >= 0. Any negative
 * retention_ms or retention_bytes means unlimited. */
st_err st_log_config_check(const st_log_config *cfg);

/* ---- Open and close */

typedef struct st_log_open_info {
    bool recovered;              /* some segment's batches were re-validated */
    int32_t segments;            /* segments in the log after opening */
    int32_t segments_scanned;    /* re-validated with CRC checks (0 after a clean shutdown) */
    int64_t batches_scanned;
    int32_t indexes_rebuilt;     /* segments whose index files were missing or inconsistent */
    int64_t truncated_bytes;     /* cut from the end of the log */
    int64_t truncated_to_offset; /* the log end offset after a cut, -1 when none */
    int32_t segments_dropped;    /* later segments deleted after a bad batch */
    int64_t dropped_bytes;
    bool epoch_cache_rebuilt;    /* leader-epoch-checkpoint missing or bad */
    int32_t swaps_completed;     /* committed cleans a crash interrupted, finished now */
    int32_t bad_checkpoints;     /* checkpoint files ignored because they did not parse */
    int64_t log_start_offset;
    int64_t log_end_offset;
    int64_t recovery_point;
    char detail[256];            /* what was cut and why, or why opening failed */
} st_log_open_info;

/* Opens the log in dir (an existing directory), creating an empty one there
 * when it holds no segment.
 *
 * clean_shutdown true: the files are trusted — indexes are read and checked
 * (size, order, bounds, last entry names a batch), the next offset comes
 * from walking the headers after the active segment's last index entry, and
 * nothing is rescanned (info->segments_scanned == 0) unless a check fails.
 * clean_shutdown false: every segment from the one holding the recovery
 * point on is re-validated batch by batch (CRC, structure, increasing
 * offsets); the log is cut at the first torn or bad batch, later segments
 * are deleted, and the indexes of every scanned segment are rebuilt. Either
 * way any segment whose index is missing or inconsistent is re-validated
 * and its indexes rebuilt (a bad batch there cuts only that segment).
 *
 * info is always filled (info->detail says why on failure). */
st_err st_log_open(const char *dir, const st_log_config *cfg, bool clean_shutdown,
                   int64_t now_ms, st_log **out, st_log_open_info *info);

/* Writes the active segment's final time index entry, flushes (as
 * st_log_flush), closes and frees. Fetch ranges still held stay valid until
 * released. ST_OK only when everything reached the disk: the broker should
 * record a clean shutdown only if every log closed with ST_OK. NULL is a
 * no-op. */
st_err st_log_close(st_log *log);

/* Topic config change: applies to later appends, rolls and retention. */
st_err st_log_set_config(st_log *log, const st_log_config *cfg);

/* ---- Append */

typedef struct st_log_append_opts {
    int64_t now_ms;
    /* true (leader): assign offsets from the log end offset and stamp
     * leader_epoch into every batch. false (follower/replica): keep the
     * offsets and epochs the batches carry; the first base offset must be
     * >= the log end offset and offsets must increase (ST_ERR_MALFORMED). */
    bool assign_offsets;
    int32_t leader_epoch;
    /* message.timestamp.type=LogAppendTime: every batch gets maxTimestamp =
     * now_ms, attribute bit 3, and a new CRC. Otherwise timestamps and CRC
     * are left alone (baseOffset, length and leader epoch are outside the
     * CRC). */
    bool log_append_time;
} st_log_append_opts;

typedef struct st_log_append_result {
    int64_t first_offset;
    int64_t last_offset;
    int64_t log_append_time;  /* now_ms when stamped, -1 for CreateTime */
    int64_t max_timestamp;    /* largest batch maxTimestamp appended, -1 when none */
    int64_t log_start_offset;
    int32_t batches;
    int64_t records;
    bool rolled;              /* a new segment was started for these batches */
    /* A flush is due: flush.messages records or flush.ms passed since the
     * last flush, or a segment was rolled (Kafka flushes rolled segments).
     * The log never fsyncs on append: the caller runs st_log_flush, inline
     * or on its I/O thread. */
    bool flush_due;
} st_log_append_result;

/* Appends n bytes of concatenated, already-validated v2 batches (the caller
 * checked magic, CRC, sizes and records), editing them in place as opts says.
 * All of them go to one segment: a new one is rolled first when the active
 * segment is non-empty and these bytes would take it past segment.bytes,
 * when segment.ms passed (measured, like Kafka, from the first batch's
 * maxTimestamp to the largest maxTimestamp appended now, or from the
 * segment's creation/opening when it has no timestamp), when its index is
 * full, or when a relative offset would not fit an int32. Index entries
 * are added every index.interval.bytes. Written with pwrite(2), no fsync.
 * A new leader epoch is recorded and the epoch checkpoint rewritten (with
 * an fsync: rare, once per leader change). On failure nothing was appended
 * (the bytes may have been edited) — except when only that checkpoint write
 * failed: ST_ERR_IO with res filled in, the batches are in the log. */
st_err st_log_append(st_log *log, uint8_t *batches, size_t n, const st_log_append_opts *opts,
                     st_log_append_result *res);

/* ---- Fetch */

/* A byte range of whole batches in one segment file, for sendfile(2) or
 * pread. Holds a reference on the segment: its fd stays open and readable
 * (even after retention deletes the files) until st_log_range_release. */
typedef struct st_log_range {
    st_segment *segment;   /* NULL when empty */
    int fd;                /* the segment's .log, -1 when empty */
    int64_t position;      /* of the first byte in the file */
    int64_t length;        /* 0 = empty */
    int64_t first_offset;  /* base offset of the first batch, -1 when empty */
} st_log_range;

/* Finds the first batch whose last offset >= offset (offset index, then a
 * walk of batch headers; if the segment holding offset has none, the next
 * segment) and returns the whole batches from there that fit in max_bytes
 * and end below max_offset (the high watermark or last stable offset: a
 * batch whose last offset >= max_offset is never included). When the first
 * batch alone exceeds max_bytes it is returned anyway if min_one_batch
 * (KIP-74), else the range is empty. offset == log end offset, or >=
 * max_offset, gives an empty range. offset < log start or > log end:
 * ST_LOG_OUT_OF_RANGE (OFFSET_OUT_OF_RANGE). Release every range, empty or
 * not. */
st_err st_log_read(st_log *log, int64_t offset, int64_t max_offset, int32_t max_bytes,
                   bool min_one_batch, st_log_range *range);
void st_log_range_release(st_log_range *range);
/* Reads n bytes at off within the range (ST_ERR_TRUNCATED past its end). */
st_err st_log_range_pread(const st_log_range *range, void *buf, size_t n, int64_t off);

/* ---- Facts */

int64_t st_log_start_offset(const st_log *log);
int64_t st_log_end_offset(const st_log *log);   /* the next offset to assign */
int64_t st_log_size_bytes(const st_log *log);   /* all .log files */
int64_t st_log_recovery_point(const st_log *log);
int32_t st_log_segment_count(const st_log *log);
int64_t st_log_active_segment_base(const st_log *log);
int32_t st_log_latest_epoch(const st_log *log); /* -1 when none */
const char *st_log_dir(const st_log *log);
const char *st_log_last_error(const st_log *log);

/* ---- ListOffsets */

typedef struct st_log_timestamp_lookup {
    bool found;
    int64_t offset;
    int64_t timestamp;
    int32_t leader_epoch;  /* of the record's batch, -1 when none */
} st_log_timestamp_lookup;

/* The earliest record at or after the log start whose timestamp >= ts: the
 * first segment whose largest timestamp >= ts, its time index, then its
 * records (decompressing when needed). found false when every record is
 * older (the broker answers offset -1). Filtering against the high
 * watermark is the caller's. */
st_err st_log_offset_for_timestamp(st_log *log, int64_t ts, st_log_timestamp_lookup *out);
/* The first record carrying the largest timestamp (ListOffsets -3,
 * MAX_TIMESTAMP, KIP-734); found false on an empty log. */
st_err st_log_max_timestamp(st_log *log, st_log_timestamp_lookup *out);

/* ---- Retention, DeleteRecords, truncation */

typedef struct st_log_retention_result {
    int32_t segments_deleted;
    int64_t bytes_deleted;
    int64_t log_start_offset;
    bool rolled;           /* the active segment was rolled to be deleted by time */
} st_log_retention_result;

/* Deletes whole segments, oldest first: while a segment's largest timestamp
 * (its file's mtime when it has none) is more than retention.ms before
 * now_ms; then while the log minus the oldest segment is still >=
 * retention.bytes. Only segments that end at or below high_watermark are
 * candidates. The active segment is deleted only by time and only when
 * non-empty, after rolling a new empty one at the log end offset, so
 * offsets are never reused. The log start offset moves to the first
 * remaining segment's base offset. Files are renamed to "*.deleted" then
 * unlinked (metadata work on the calling thread; the space is freed when
 * the last range holding the segment is released). file.delete.delay.ms is
 * not needed for that and is ignored. */
st_err st_log_apply_retention(st_log *log, int64_t now_ms, int64_t high_watermark,
                              st_log_retention_result *res);

/* DeleteRecords: moves the log start offset up to offset (the caller checks
 * offset <= high watermark; > log end is ST_LOG_OUT_OF_RANGE), persists it
 * (log-start-offset, with an fsync), deletes segments wholly below it (never
 * the active one) and trims the leader epoch cache. A lower offset is a
 * no-op. */
st_err st_log_delete_records_before(st_log *log, int64_t offset);

/* Replication: drops every batch whose last offset >= offset (Kafka cuts at
 * batch boundaries: a batch straddling offset goes too) so the log end
 * offset becomes <= offset; trims the leader epoch cache; lowers the
 * recovery point and (as Kafka does) the log start offset to offset. When
 * offset precedes the first segment: st_log_truncate_fully_and_start_at. */
st_err st_log_truncate_to(st_log *log, int64_t offset);
/* Deletes every segment and starts empty at offset (log start = log end =
 * offset), clearing the leader epoch cache. */
st_err st_log_truncate_fully_and_start_at(st_log *log, int64_t offset);

/* ---- Leader epochs */

/* A new leader records where its epoch starts (Kafka does this on becoming
 * leader, before any append): epoch at start_offset (normally the log end
 * offset). Persisted when it changes. */
st_err st_log_assign_epoch(st_log *log, int32_t epoch, int64_t start_offset);

/* OffsetForLeaderEpoch: the end offset of epoch (start of the next greater
 * epoch, or the log end offset for the latest) and the largest epoch <=
 * epoch; -1/-1 (UNDEFINED) when unknown (see st_epoch_cache_end_offset_for). */
st_err st_log_end_offset_for_epoch(st_log *log, int32_t epoch, int32_t *found_epoch,
                                   int64_t *end_offset);

/* ---- Scanning */

/* Calls cb with every batch header whose last offset >= from_offset, in
 * order, to the log end. For control batches (transaction markers) control
 * holds the whole batch (valid during the call); NULL otherwise. A non-OK
 * return from cb stops the scan and is returned. */
typedef st_err (*st_log_batch_fn)(void *ctx, const st_batch_header *h, const st_batch *control);
st_err st_log_scan_batches(st_log *log, int64_t from_offset, st_log_batch_fn cb, void *ctx);

/* ---- Flushing */

/* Whether a flush is due (see st_log_append_result.flush_due). */
bool st_log_flush_due(const st_log *log, int64_t now_ms);

/* fdatasyncs the .log, .index and .timeindex of every segment changed since
 * the last flush (and the directory when files were created or removed),
 * then moves the recovery point to the log end offset and writes it. The
 * broker may run it on another thread while the loop thread makes no
 * mutating call on this log: it may race only with st_log_read,
 * st_log_range_release, st_log_range_pread, st_log_offset_for_timestamp,
 * st_log_max_timestamp, st_log_end_offset_for_epoch, st_log_scan_batches
 * and st_log_start_offset/end_offset/size_bytes/segment_count/
 * active_segment_base/latest_epoch/dir — never with st_log_append, any
 * truncation, retention, DeleteRecords, st_log_assign_epoch,
 * st_log_set_config, st_log_flush_due, st_log_recovery_point,
 * st_log_last_error, another st_log_flush or st_log_close (nor with any
 * call of the compaction section below). */
st_err st_log_flush(st_log *log, int64_t now_ms);
const char *st_log_flush_error(const st_log *log);

/* ---- Compaction support (for broker/log_cleaner.c)
 *
 * Threading contract. Every function here runs on the loop thread that owns
 * the log, like the rest of this file. The cleaner thread never calls into
 * the log: on the loop thread the cleaner takes references on inactive
 * segments (st_log_segments + st_segment_ref) and notes their base offsets,
 * sizes and fds; its thread then only preads those fds (immutable data:
 * inactive segments are never appended to) and writes new files under the
 * ".cleaned" tail; back on the loop thread st_log_replace_cleaned swaps the
 * result in — or reports it stale when retention, DeleteRecords or a
 * truncation changed those segments meanwhile — and the cleaner drops its
 * references there. Readers holding ranges of replaced segments keep
 * reading the old bytes through their fds. */

/* The segment list (segs[n - 1] is the active segment), valid until the
 * next mutating call. */
size_t st_log_segments(const st_log *log, st_segment *const **segs);
const st_log_config *st_log_get_config(const st_log *log);
/* Counts st_log_truncate_to / st_log_truncate_fully_and_start_at calls. */
uint64_t st_log_truncations(const st_log *log);

/* The first dirty offset: the persisted cleaner checkpoint, raised to the
 * log start offset (or first segment) and capped at the log end. Truncation
 * below it lowers it (and rewrites the file). */
int64_t st_log_cleaner_checkpoint(const st_log *log);
/* The earliest delete horizon of the tombstones the last clean kept, -1
 * when none. */
int64_t st_log_cleaner_delete_horizon(const st_log *log);
/* Set by the cleaner after damage made a clean fail (Kafka marks such a
 * partition uncleanable); in memory only: retried after a restart. */
bool st_log_uncleanable(const st_log *log);
void st_log_set_uncleanable(st_log *log, bool uncleanable);

/* A cleaner job registers a watch while it is in flight: st_log_close sets
 * log = NULL and closed = true (a later st_log_set_watch with another watch
 * does the same to the previous one). closed may be read from any thread
 * (to stop wasted work early); log only on the loop thread. */
typedef struct st_log_watch {
    st_log *log;
    atomic_bool closed;
} st_log_watch;
void st_log_set_watch(st_log *log, st_log_watch *watch);
/* Unregisters watch (when it is the registered one) without touching it. */
void st_log_clear_watch(st_log *log, st_log_watch *watch);

/* One group of consecutive segments and the cleaned segment replacing it. */
typedef struct st_log_cleaned_group {
    st_segment *cleaned;          /* ".cleaned" files, fsync'd; base offset =
                                     replaces[0]'s; one reference */
    st_segment *const *replaces;  /* the log's segments it replaces, in order */
    size_t count;
    bool installed;               /* out: the log took the cleaned segment's
                                     reference (else the caller discards it) */
} st_log_cleaned_group;

/* Swaps cleaned segments in: first checks that no truncation happened since
 * the caller read st_log_truncations() == truncations and that every group
 * still names consecutive, undeleted, inactive segments of the log; if not,
 * *stale = true and nothing changes. Otherwise, group by group, the swap of
 * segment.h (commit .cleaned -> .swap, delete the replaced segments,
 * install) — metadata work only: renames and unlinks, no data is read or
 * written — then the cleaner checkpoint becomes (clean_offset,
 * delete_horizon) and is written (one small fsync'd file, like the other
 * checkpoints). Groups are ascending and disjoint. On an error, the groups
 * swapped so far stay swapped (installed true), later ones are left to the
 * caller, the checkpoint is unchanged, and a committed but not installed
 * swap is finished by the next st_log_open. */
st_err st_log_replace_cleaned(st_log *log, uint64_t truncations, st_log_cleaned_group *groups,
                              size_t n, int64_t clean_offset, int64_t delete_horizon,
                              bool *stale);

#endif
