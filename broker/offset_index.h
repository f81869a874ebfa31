/* offset_index.h — a segment's sparse offset index (its .index file).
 *
 * Owns the .index file of one segment and an in-memory copy of its entries.
 * Format (Kafka's): 8-byte entries, big-endian int32 relative offset
 * (offset - segment base offset) then int32 byte position of a batch in the
 * .log. Each entry names the start of one batch: (that batch's base offset,
 * its position). Entries are strictly increasing in offset and position.
 *
 * The file always holds exactly count * 8 bytes: entries are appended with
 * pwrite(2), never preallocated, so it is Kafka's trimmed layout at every
 * moment. Lookups use the in-memory copy (binary search).
 *
 * Never trusts the file: st_offset_index_load checks every entry against the
 * log it indexes and reports an inconsistent file instead of using it, so the
 * segment can rebuild it. Never reads the .log itself, never fsyncs unless
 * asked (st_offset_index_sync). */
#ifndef STRAIT_OFFSET_INDEX_H
#define STRAIT_OFFSET_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define ST_OFFSET_INDEX_ENTRY_SIZE 8

typedef struct st_offset_entry {
    int32_t rel_offset;
    int32_t position;
} st_offset_entry;

typedef struct st_offset_index {
    int fd;                   /* the .index file, owned (-1 when closed) */
    int64_t base_offset;      /* the segment's base offset */
    st_offset_entry *entries; /* owned */
    size_t count;
    size_t cap;
    size_t max_entries;       /* segment.index.bytes / 8: full at this count */
} st_offset_index;

/* Opens (creating when absent) the file at path; loads nothing yet.
 * *existed tells whether the file was there before. */
st_err st_offset_index_open(st_offset_index *ix, const char *path,
                            int64_t base_offset, int32_t max_index_bytes,
                            bool *existed);
void st_offset_index_close(st_offset_index *ix);
void st_offset_index_set_max_bytes(st_offset_index *ix, int32_t max_index_bytes);

/* Reads every entry and checks it: file size a multiple of 8, offsets and
 * positions strictly increasing, relative offsets in [0, max_rel_offset],
 * positions in [0, log_size), at most one entry per possible batch.
 * *consistent false means the file must be rebuilt (memory is left empty);
 * the return value is only for I/O errors. */
st_err st_offset_index_load(st_offset_index *ix, int64_t log_size,
                            int64_t max_rel_offset, bool *consistent);

/* Empties the file and the memory copy (before a rebuild). */
st_err st_offset_index_reset(st_offset_index *ix);

/* Appends (offset, position); both must be past the last entry
 * (ST_ERR_MALFORMED otherwise). ST_ERR_TOO_LARGE when full. On an I/O
 * error the entry is not added and the file is cut back. */
st_err st_offset_index_append(st_offset_index *ix, int64_t offset, int64_t position);

/* The largest entry with offset <= target, or (base offset, 0) when none. */
void st_offset_index_lookup(const st_offset_index *ix, int64_t target,
                            int64_t *offset, int64_t *position);

/* The largest entry with position <= max_position and offset <= max_offset
 * (both monotonic, so these entries are a prefix); false when none. */
bool st_offset_index_floor(const st_offset_index *ix, int64_t max_position,
                           int64_t max_offset, int64_t *offset, int64_t *position);

/* The last entry; false when empty. */
bool st_offset_index_last(const st_offset_index *ix, int64_t *offset, int64_t *position);

/* Drops every entry with offset >= offset. */
st_err st_offset_index_truncate(st_offset_index *ix, int64_t offset);

static inline bool st_offset_index_full(const st_offset_index *ix)
{
    return ix->count >= ix->max_entries;
}

st_err st_offset_index_sync(st_offset_index *ix);

#endif
