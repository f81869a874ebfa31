/* index_file.h — the file under a segment's fixed-size-entry index.
 *
 * Owns the file I/O that the offset index (.index, 8-byte entries) and the
 * time index (.timeindex, 12-byte entries) share: opening, sizing against
 * segment.index.bytes, checking that the file holds whole entries, reading
 * them in chunks, appending one entry with pwrite(2) (cutting a torn entry
 * back), truncating to a count, and fdatasync. The file always holds exactly
 * count * entry_size bytes.
 *
 * Knows nothing of what an entry holds: each index encodes, decodes and
 * checks its own entries and keeps them in memory. */
#ifndef STRAIT_INDEX_FILE_H
#define STRAIT_INDEX_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define ST_INDEX_FILE_MAX_ENTRY_SIZE 16

/* How many entries fit in max_index_bytes (at least one). */
size_t st_index_file_max_entries(int32_t max_index_bytes, size_t entry_size);

/* Opens (creating when absent) the file at path into *fd (-1 on failure);
 * *existed tells whether the file was there before. */
st_err st_index_file_open(const char *path, int *fd, bool *existed);
void st_index_file_close(int *fd);

/* How many entries the file holds. *whole false (and *count 0) when its size
 * is not a multiple of entry_size or it holds more than max_count entries:
 * the file must be rebuilt. The return value is only for I/O errors. */
st_err st_index_file_count(int fd, size_t entry_size, int64_t max_count,
                           size_t *count, bool *whole);

/* Reads entries 0..count-1, handing each one's bytes to decode(ctx, i, p).
 * ST_ERR_IO also when the file shrank under us. */
typedef void st_index_decode_fn(void *ctx, size_t i, const uint8_t *p);
st_err st_index_file_read(int fd, size_t entry_size, size_t count,
                          st_index_decode_fn *decode, void *ctx);

/* Writes one encoded entry as entry number i. On a failed or short write
 * the file is cut back to i entries and ST_ERR_IO returned (errno says why,
 * ENOSPC for a short write). */
st_err st_index_file_write(int fd, const uint8_t *entry, size_t entry_size, size_t i);

/* Cuts the file to count entries. */
st_err st_index_file_truncate(int fd, size_t entry_size, size_t count);

st_err st_index_file_sync(int fd);

#endif
