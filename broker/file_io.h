/* file_io.h — positioned reads and writes that finish what they start.
 *
 * Owns the pread(2)/pwrite(2) loops the segment, its indexes and the log
 * cleaner share: retry on EINTR, carry on after a short transfer, and turn
 * the outcome into an st_err. Knows nothing of what the bytes are; callers
 * decide what a file that ends early means to them. */
#ifndef STRAIT_FILE_IO_H
#define STRAIT_FILE_IO_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* Reads exactly n bytes at pos. ST_ERR_TRUNCATED when the file ends first,
 * ST_ERR_IO on a read error (errno says why). */
st_err st_pread_full(int fd, void *buf, size_t n, int64_t pos);

/* Writes exactly n bytes at pos. ST_ERR_IO on failure, with errno ENOSPC
 * when a write made no progress without saying why. */
st_err st_pwrite_full(int fd, const void *buf, size_t n, int64_t pos);

#endif
