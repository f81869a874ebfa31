/* time_index.h — a segment's sparse time index (its .timeindex file).
 *
 * Owns the .timeindex file of one segment and an in-memory copy of its
 * entries. Format (Kafka's): 12-byte entries, big-endian int64 timestamp then
 * int32 relative offset. An entry (T, O) says: when it was written, T was the
 * largest timestamp of every batch in the segment so far, and O is the base
 * offset of the first batch that carried T. Timestamps and offsets are
 * strictly increasing. The last entry always holds the segment's largest
 * timestamp once the segment is rolled or closed (st_time_index_append with
 * force), which is how a clean reopen learns it without a scan.
 *
 * The file always holds exactly count * 12 bytes (pwrite(2) appends, never
 * preallocated). Never trusts the file (st_time_index_load checks it), never
 * reads the .log, never fsyncs unless asked. */
#ifndef STRAIT_TIME_INDEX_H
#define STRAIT_TIME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define ST_TIME_INDEX_ENTRY_SIZE 12

typedef struct st_time_entry {
    int64_t timestamp;
    int32_t rel_offset;
} st_time_entry;

typedef struct st_time_index {
    int fd;                 /* the .timeindex file, owned (-1 when closed) */
    int64_t base_offset;
    st_time_entry *entries; /* owned */
    size_t count;
    size_t cap;
    size_t max_entries;     /* segment.index.bytes / 12 */
} st_time_index;

st_err st_time_index_open(st_time_index *ix, const char *path, int64_t base_offset,
                          int32_t max_index_bytes, bool *existed);
void st_time_index_close(st_time_index *ix);
void st_time_index_set_max_bytes(st_time_index *ix, int32_t max_index_bytes);

/* Reads and checks every entry: size a multiple of 12, timestamps and
 * offsets strictly increasing, relative offsets in [0, max_rel_offset], at
 * most max_count entries. *consistent false: rebuild (memory left empty). */
st_err st_time_index_load(st_time_index *ix, int64_t max_rel_offset,
                          int64_t max_count, bool *consistent);
st_err st_time_index_reset(st_time_index *ix);

/* Appends (timestamp, offset) when timestamp is larger than the last entry's
 * (otherwise does nothing and returns ST_OK). When full, only a forced
 * append (the final entry of a rolled or closed segment) is written;
 * otherwise ST_ERR_TOO_LARGE. On an I/O error nothing is added. */
st_err st_time_index_append(st_time_index *ix, int64_t timestamp, int64_t offset,
                            bool force);

/* The offset of the last entry whose timestamp is < target, or the base
 * offset. Every record before the batch it names is older than target, so
 * a scan for the first record >= target may start at that batch. */
int64_t st_time_index_lookup(const st_time_index *ix, int64_t target);

bool st_time_index_last(const st_time_index *ix, int64_t *timestamp, int64_t *offset);

/* Drops every entry with offset >= offset. */
st_err st_time_index_truncate(st_time_index *ix, int64_t offset);

static inline bool st_time_index_full(const st_time_index *ix)
{
    return ix->count >= ix->max_entries;
}

st_err st_time_index_sync(st_time_index *ix);

#endif
