/* index_file.c — the file under a fixed-size-entry index (see index_file.h).
 *
 * Owns only descriptor-level work on an index file: never interprets an
 * entry's bytes and never keeps entries in memory. */
#include "broker/index_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "broker/file_io.h"

size_t st_index_file_max_entries(int32_t max_index_bytes, size_t entry_size)
{
    size_t n = max_index_bytes > 0 ? (size_t)max_index_bytes / entry_size : 0;
    return n ? n : 1;
}

st_err st_index_file_open(const char *path, int *fd, bool *existed)
{
    *existed = access(path, F_OK) == 0;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    return *fd < 0 ? ST_ERR_IO : ST_OK;
}

void st_index_file_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

st_err st_index_file_count(int fd, size_t entry_size, int64_t max_count,
                           size_t *count, bool *whole)
{
    struct stat st;
    *count = 0;
    *whole = false;
    if (fstat(fd, &st) != 0)
        return ST_ERR_IO;
    int64_t size = (int64_t)st.st_size;
    int64_t esize = (int64_t)entry_size;
    if (size % esize != 0 || size / esize > max_count)
        return ST_OK;
    *count = (size_t)(size / esize);
    *whole = true;
    return ST_OK;
}

st_err st_index_file_read(int fd, size_t entry_size, size_t count,
                          st_index_decode_fn *decode, void *ctx)
{
    enum { CHUNK = 512 };
    uint8_t buf[CHUNK * ST_INDEX_FILE_MAX_ENTRY_SIZE];
    st_err err = ST_OK;
    for (size_t done = 0; !err && done < count;) {
        size_t n = count - done < CHUNK ? count - done : CHUNK;
        err = st_pread_full(fd, buf, n * entry_size, (int64_t)(done * entry_size));
        for (size_t k = 0; !err && k < n; k++)
            decode(ctx, done + k, buf + k * entry_size);
        done += n;
    }
    return err == ST_ERR_TRUNCATED ? ST_ERR_IO : err; /* shrank under us */
}

st_err st_index_file_write(int fd, const uint8_t *entry, size_t entry_size, size_t i)
{
    off_t at = (off_t)(i * entry_size);
    ssize_t w;
    do
        w = pwrite(fd, entry, entry_size, at);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)entry_size) {
        int saved = errno;
        if (ftruncate(fd, at) != 0) { /* best effort: drop a torn entry */ }
        errno = w < 0 ? saved : ENOSPC;
        return ST_ERR_IO;
    }
    return ST_OK;
}

st_err st_index_file_truncate(int fd, size_t entry_size, size_t count)
{
    return ftruncate(fd, (off_t)(count * entry_size)) == 0 ? ST_OK : ST_ERR_IO;
}

st_err st_index_file_sync(int fd)
{
    return fdatasync(fd) == 0 ? ST_OK : ST_ERR_IO;
}
