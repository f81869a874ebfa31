/* segment.h — one log segment: a .log file of RecordBatch v2 batches with
 * its sparse .index and .timeindex.
 *
 * Owns the three files of one segment (named by the 20-digit zero-padded
 * base offset), the running facts about them (size, next offset, largest
 * timestamp, when to add index entries) and the walks over their batches:
 * the CRC-checking recovery scan, the header cursor used by reads, and the
 * record-level timestamp searches.
 *
 * Reference counted: the log holds one reference, every fetch range another;
 * the files' descriptors are closed only when the last reference goes, so a
 * segment deleted by retention stays readable through its fd meanwhile.
 *
 * Must never trust file contents (every length and offset read from disk is
 * checked before use; a bad header is ST_ERR_CORRUPT, never a crash), never
 * decide policy (when to roll or delete is log.c's), and never fsync except
 * in st_segment_sync. */
#ifndef STRAIT_SEGMENT_H
#define STRAIT_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "broker/log_config.h"
#include "broker/offset_index.h"
#include "broker/time_index.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/record_batch.h"

#define ST_SEGMENT_NAME_DIGITS 20
/* Bound on one batch's decompressed records during timestamp searches. */
#define ST_SEGMENT_MAX_DECOMPRESSED ((size_t)256 << 20)
#define ST_SEGMENT_CURSOR_BLOCK 16384

typedef struct st_segment {
    int64_t base_offset;
    int64_t next_offset;       /* one past the last offset held (base_offset when empty) */
    int64_t size;              /* bytes in the .log */
    int fd;                    /* the .log, read-write, owned */
    st_offset_index oindex;
    st_time_index tindex;
    int64_t max_timestamp;     /* largest batch maxTimestamp, -1 when none */
    int64_t offset_of_max_timestamp; /* base offset of the first batch carrying it */
    int64_t first_batch_timestamp;   /* maxTimestamp of the first batch, -1 when empty */
    int64_t created_ms;        /* when this process created or opened it */
    int64_t bytes_since_index_entry;
    int32_t index_interval_bytes;
    bool indexes_existed;      /* both index files were present at open */
    bool dirty;                /* appended or changed since the last st_segment_sync */
    bool deleted;              /* files removed; readable through fd until released */
    int refs;
    char *prefix;              /* "<dir>/<20-digit base offset>", owned */
    /* What follows each file's extension: "" for a log's segment, ".cleaned"
     * while the cleaner writes it, ".swap" between the commit of a cleaned
     * segment and its installation (see st_segment_create_cleaned). */
    const char *tail;
} st_segment;

/* One batch found in a segment file. */
typedef struct st_segment_batch {
    int64_t position;
    int64_t size;              /* 12 + batch_length */
    st_batch_header header;
} st_segment_batch;

#define ST_SEGMENT_CLEANED_TAIL ".cleaned"
#define ST_SEGMENT_SWAP_TAIL ".swap"

/* "<base>.<ext>" with exactly 20 digits: true, *ext points into name. */
bool st_segment_parse_file_name(const char *name, int64_t *base_offset, const char **ext);
/* prefix + suffix into out (false when it does not fit). */
bool st_segment_path(const st_segment *seg, const char *suffix, char *out, size_t cap);
/* prefix + ext + the segment's current tail: the file as it is named now. */
bool st_segment_file(const st_segment *seg, const char *ext, char *out, size_t cap);

/* A new, empty segment (files created or emptied). One reference. */
st_err st_segment_create(const char *dir, int64_t base_offset, const st_log_config *cfg,
                         int64_t now_ms, st_segment **out);
/* An existing segment: opens the .log (which must exist) and the indexes
 * (created when absent), loads nothing. One reference. */
st_err st_segment_open(const char *dir, int64_t base_offset, const st_log_config *cfg,
                       int64_t now_ms, st_segment **out);
/* ---- Cleaned segments (the log cleaner's output; log_cleaner.h)
 *
 * A cleaned segment is written under temporary names, then swapped in by
 * the log (st_log_replace_cleaned) in Kafka's order:
 *   1. "<base>.log.cleaned", ".index.cleaned", ".timeindex.cleaned" written
 *      and fsync'd by the cleaner (st_segment_create_cleaned, appends,
 *      st_segment_finalize, st_segment_sync);
 *   2. st_segment_commit_swap renames the .log to "<base>.log.swap" (the
 *      commit point: from here a crash completes the swap at open), then the
 *      indexes to ".swap";
 *   3. the log deletes the segments it replaces;
 *   4. st_segment_install_swap renames the indexes, then the .log, to their
 *      final names.
 * The fds stay open across the renames: the object is used as it is. */

/* A new, empty segment whose files carry the ".cleaned" tail. One
 * reference. May run on any thread (it touches no shared state). */
st_err st_segment_create_cleaned(const char *dir, int64_t base_offset, const st_log_config *cfg,
                                 int64_t now_ms, st_segment **out);
/* ".cleaned" -> ".swap": the .log first (commit), then both indexes. On a
 * failed .log rename nothing is committed (*committed false); a failed
 * index rename after it only loses that index (rebuilt at open) and is
 * reported with *committed true. */
st_err st_segment_commit_swap(st_segment *seg, bool *committed);
/* ".swap" -> final names: both indexes, then the .log. */
st_err st_segment_install_swap(st_segment *seg);
/* Unlinks the three files under their current names (a discarded cleaned
 * segment). The fd stays readable for holders of a reference. */
st_err st_segment_unlink_files(st_segment *seg);

void st_segment_ref(st_segment *seg);
/* Drops a reference; the last one closes the files and frees. */
void st_segment_unref(st_segment *seg);
void st_segment_set_config(st_segment *seg, const st_log_config *cfg);

/* Trusting load after a clean shutdown: reads and checks both indexes, takes
 * the largest timestamp from the time index and, for the active segment
 * (next_base < 0), walks the batch headers after the last index entry to
 * find the next offset. next_base is the following segment's base offset.
 * *consistent false: an index is missing or inconsistent, or the tail is not
 * whole batches — recover the segment instead. */
st_err st_segment_load(st_segment *seg, int64_t next_base, bool *consistent);

/* What a recovery scan found. */
typedef struct st_segment_recovery {
    int64_t batches;           /* valid batches kept */
    int64_t valid_bytes;       /* the .log's length afterwards */
    int64_t truncated_bytes;   /* cut from its end */
    st_err stop;               /* ST_OK: every byte valid; ST_ERR_TRUNCATED: torn
                                  tail; ST_ERR_CORRUPT: CRC mismatch;
                                  ST_ERR_MALFORMED/UNSUPPORTED: not a v2 batch
                                  or offsets out of order */
    int64_t stop_offset;       /* base offset the bad batch claimed, or -1 */
} st_segment_recovery;

typedef void (*st_segment_batch_fn)(void *ctx, const st_batch_header *h);

/* Re-validates every batch (CRC, structure, offsets increasing from
 * max(base offset, min_offset) and ending below end_offset, the next
 * segment's base offset or INT64_MAX — baseOffset is outside the CRC, so
 * this is what catches a damaged one), rebuilds both indexes from them, and
 * cuts the .log at the first torn or bad batch. on_batch (may be NULL) sees
 * every kept batch in order. */
st_err st_segment_recover(st_segment *seg, int64_t min_offset, int64_t end_offset,
                          st_segment_batch_fn on_batch, void *ctx, st_segment_recovery *out);

/* Appends whole batches that already carry their final offsets (the first
 * base offset >= next_offset, increasing, fitting a relative int32) and adds
 * index entries every index_interval_bytes. On a write error the .log is cut
 * back and nothing changes. A failed index write only leaves the index
 * sparser (it is a hint). */
st_err st_segment_append(st_segment *seg, const uint8_t *batches, size_t n);

/* Writes the final time index entry (largest timestamp so far): on roll and
 * close, so that a clean reopen finds it. */
st_err st_segment_finalize(st_segment *seg);

static inline bool st_segment_index_full(const st_segment *seg)
{
    return st_offset_index_full(&seg->oindex) || st_time_index_full(&seg->tindex);
}

/* The first batch whose last offset >= offset (*found false when none). */
st_err st_segment_find(const st_segment *seg, int64_t offset, st_segment_batch *out,
                       bool *found);

/* Drops every batch whose last offset >= offset (cutting at a batch
 * boundary) and the index entries past the cut. */
st_err st_segment_truncate_to(st_segment *seg, int64_t offset);

/* fdatasync of the .log and both indexes. */
st_err st_segment_sync(st_segment *seg);

/* Renames the three files to "<name>.deleted", then unlinks them; the fd
 * stays readable for holders of a reference. Marks the segment deleted. */
st_err st_segment_remove_files(st_segment *seg);

/* The segment's largest timestamp for retention and compaction lag: the
 * largest batch maxTimestamp, or (no timestamps) the .log's mtime as Kafka
 * falls back to; INT64_MAX when even that is unknown. */
int64_t st_segment_largest_timestamp(const st_segment *seg);

/* pread of exactly n bytes at pos (ST_ERR_TRUNCATED past the end). */
st_err st_segment_read(const st_segment *seg, void *buf, size_t n, int64_t pos);

/* ---- Walking batch headers */

typedef struct st_segment_cursor {
    const st_segment *seg;
    int64_t pos;               /* where the next batch starts */
    int64_t end;               /* bytes of the .log to walk */
    int64_t expect_base;       /* exact base offset of the first batch, or -1 */
    int64_t min_base;          /* lowest acceptable next base offset */
    int64_t block_pos;
    size_t block_len;
    uint8_t block[ST_SEGMENT_CURSOR_BLOCK];
} st_segment_cursor;

/* Starts at pos (a batch boundary), walking to the segment's current size.
 * expect_base >= 0 demands that the first batch has that base offset (an
 * index entry's claim). */
void st_segment_cursor_init(st_segment_cursor *c, const st_segment *seg, int64_t pos,
                            int64_t expect_base);
/* Starts at the batch the offset index names for offset (the last entry at
 * or below it), after checking the entry's claim against the header there;
 * a wrong entry (a damaged index) makes it start at position 0 instead. */
st_err st_segment_cursor_seek(st_segment_cursor *c, const st_segment *seg, int64_t offset);
/* The next batch header: *done at the end. ST_ERR_CORRUPT when the bytes are
 * not a sane batch (bad magic or length, running past the end, offsets going
 * backwards), ST_ERR_IO on a read error. */
st_err st_segment_cursor_next(st_segment_cursor *c, st_segment_batch *b, bool *done);

/* ---- Timestamp searches (record-level, decompressing when needed) */

typedef struct st_segment_record_hit {
    int64_t offset;
    int64_t timestamp;
    int32_t leader_epoch;      /* of the record's batch, -1 when none */
} st_segment_record_hit;

/* The first record with offset >= min_offset and timestamp >= ts. */
st_err st_segment_find_timestamp(const st_segment *seg, int64_t ts, int64_t min_offset,
                                 st_segment_record_hit *hit, bool *found);
/* The first record carrying the segment's largest timestamp. */
st_err st_segment_max_timestamp_record(const st_segment *seg, st_segment_record_hit *hit,
                                       bool *found);

#endif
