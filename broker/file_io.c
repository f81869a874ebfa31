/* file_io.c — pread/pwrite loops that finish what they start (see file_io.h).
 *
 * Owns nothing but the loops: no descriptors, no buffers. */
#include "broker/file_io.h"

#include <errno.h>
#include <unistd.h>

st_err st_pread_full(int fd, void *buf, size_t n, int64_t pos)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ST_ERR_IO;
        if (r == 0)
            return ST_ERR_TRUNCATED;
        p += r;
        n -= (size_t)r;
        pos += r;
    }
    return ST_OK;
}

st_err st_pwrite_full(int fd, const void *buf, size_t n, int64_t pos)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)pos);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return ST_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
        pos += w;
    }
    return ST_OK;
}
