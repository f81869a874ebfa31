/* time_index.c — the sparse time index of one segment (see time_index.h).
 *
 * Owns the .timeindex file and its in-memory entries. Must never use an
 * entry it has not checked, and never touch the .log file. */
#include "broker/time_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/wire.h"

static size_t max_entries_for(int32_t max_index_bytes)
{
    size_t n = max_index_bytes > 0 ? (size_t)max_index_bytes / ST_TIME_INDEX_ENTRY_SIZE : 0;
    return n ? n : 1;
}

st_err st_time_index_open(st_time_index *ix, const char *path, int64_t base_offset,
                          int32_t max_index_bytes, bool *existed)
{
    ix->fd = -1;
    ix->base_offset = base_offset;
    ix->entries = NULL;
    ix->count = 0;
    ix->cap = 0;
    ix->max_entries = max_entries_for(max_index_bytes);
    *existed = access(path, F_OK) == 0;
    ix->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    return ix->fd < 0 ? ST_ERR_IO : ST_OK;
}

void st_time_index_close(st_time_index *ix)
{
    if (ix->fd >= 0)
        close(ix->fd);
    ix->fd = -1;
    free(ix->entries);
    ix->entries = NULL;
    ix->count = ix->cap = 0;
}

void st_time_index_set_max_bytes(st_time_index *ix, int32_t max_index_bytes)
{
    ix->max_entries = max_entries_for(max_index_bytes);
}

static st_err reserve(st_time_index *ix, size_t n)
{
    if (n <= ix->cap)
        return ST_OK;
    size_t cap = ix->cap ? ix->cap : 32;
    while (cap < n)
        cap *= 2;
    st_time_entry *p = realloc(ix->entries, cap * sizeof(*p));
    if (!p)
        return ST_ERR_NOMEM;
    ix->entries = p;
    ix->cap = cap;
    return ST_OK;
}

static st_err read_all_at(int fd, uint8_t *p, size_t n, int64_t pos)
{
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return ST_ERR_IO; /* the file shrank under us, or a read error */
        p += r;
        n -= (size_t)r;
        pos += r;
    }
    return ST_OK;
}

static st_err read_entries(st_time_index *ix, size_t count)
{
    enum { CHUNK = 512 };
    uint8_t buf[CHUNK * ST_TIME_INDEX_ENTRY_SIZE];
    st_err err = reserve(ix, count);
    for (size_t done = 0; !err && done < count;) {
        size_t n = count - done < CHUNK ? count - done : CHUNK;
        err = read_all_at(ix->fd, buf, n * ST_TIME_INDEX_ENTRY_SIZE,
                          (int64_t)(done * ST_TIME_INDEX_ENTRY_SIZE));
        for (size_t k = 0; !err && k < n; k++) {
            const uint8_t *p = buf + k * ST_TIME_INDEX_ENTRY_SIZE;
            ix->entries[done + k].timestamp = st_get_i64(p);
            ix->entries[done + k].rel_offset = st_get_i32(p + 8);
        }
        done += n;
    }
    return err;
}

static bool entry_ok(const st_time_index *ix, size_t i, int64_t max_rel_offset)
{
    st_time_entry e = ix->entries[i];
    if (e.rel_offset < 0 || e.rel_offset > max_rel_offset)
        return false;
    if (i == 0)
        return true;
    st_time_entry prev = ix->entries[i - 1];
    return e.timestamp > prev.timestamp && e.rel_offset > prev.rel_offset;
}

st_err st_time_index_load(st_time_index *ix, int64_t max_rel_offset,
                          int64_t max_count, bool *consistent)
{
    struct stat st;
    ix->count = 0;
    *consistent = false;
    if (fstat(ix->fd, &st) != 0)
        return ST_ERR_IO;
    int64_t size = (int64_t)st.st_size;
    if (size % ST_TIME_INDEX_ENTRY_SIZE != 0 || size / ST_TIME_INDEX_ENTRY_SIZE > max_count)
        return ST_OK;
    size_t count = (size_t)(size / ST_TIME_INDEX_ENTRY_SIZE);
    st_err err = read_entries(ix, count);
    if (err)
        return err;
    for (size_t i = 0; i < count; i++)
        if (!entry_ok(ix, i, max_rel_offset))
            return ST_OK;
    ix->count = count;
    *consistent = true;
    return ST_OK;
}

st_err st_time_index_reset(st_time_index *ix)
{
    ix->count = 0;
    return ftruncate(ix->fd, 0) == 0 ? ST_OK : ST_ERR_IO;
}

st_err st_time_index_append(st_time_index *ix, int64_t timestamp, int64_t offset,
                            bool force)
{
    int64_t rel = offset - ix->base_offset;
    if (rel < 0 || rel > INT32_MAX)
        return ST_ERR_MALFORMED;
    if (ix->count) {
        st_time_entry last = ix->entries[ix->count - 1];
        if (timestamp <= last.timestamp)
            return ST_OK;
        if (rel <= last.rel_offset)
            return ST_ERR_MALFORMED;
    }
    if (st_time_index_full(ix) && !force)
        return ST_ERR_TOO_LARGE;
    st_err err = reserve(ix, ix->count + 1);
    if (err)
        return err;
    uint8_t e[ST_TIME_INDEX_ENTRY_SIZE];
    st_put_i64(e, timestamp);
    st_put_i32(e + 8, (int32_t)rel);
    off_t at = (off_t)(ix->count * ST_TIME_INDEX_ENTRY_SIZE);
    ssize_t w;
    do
        w = pwrite(ix->fd, e, sizeof(e), at);
    while (w < 0 && errno == EINTR);
    if (w != (ssize_t)sizeof(e)) {
        int saved = errno;
        if (ftruncate(ix->fd, at) != 0) { /* best effort: drop a torn entry */ }
        errno = w < 0 ? saved : ENOSPC;
        return ST_ERR_IO;
    }
    ix->entries[ix->count++] = (st_time_entry){timestamp, (int32_t)rel};
    return ST_OK;
}

int64_t st_time_index_lookup(const st_time_index *ix, int64_t target)
{
    size_t lo = 0, hi = ix->count; /* entries with timestamp < target: a prefix */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].timestamp < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? ix->base_offset + ix->entries[lo - 1].rel_offset : ix->base_offset;
}

bool st_time_index_last(const st_time_index *ix, int64_t *timestamp, int64_t *offset)
{
    if (ix->count == 0)
        return false;
    *timestamp = ix->entries[ix->count - 1].timestamp;
    *offset = ix->base_offset + ix->entries[ix->count - 1].rel_offset;
    return true;
}

st_err st_time_index_truncate(st_time_index *ix, int64_t offset)
{
    int64_t rel = offset - ix->base_offset;
    size_t keep = ix->count;
    while (keep && ix->entries[keep - 1].rel_offset >= rel)
        keep--;
    if (keep == ix->count)
        return ST_OK;
    ix->count = keep;
    return ftruncate(ix->fd, (off_t)(keep * ST_TIME_INDEX_ENTRY_SIZE)) == 0 ? ST_OK : ST_ERR_IO;
}

st_err st_time_index_sync(st_time_index *ix)
{
    return fdatasync(ix->fd) == 0 ? ST_OK : ST_ERR_IO;
}
