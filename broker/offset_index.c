/* offset_index.c — the sparse offset index of one segment (see offset_index.h).
 *
 * Owns the .index file and its in-memory entries. Must never read or trust
 * an entry it has not checked, and never touch the .log file. */
#include "broker/offset_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/record_batch.h"
#include "common/wire.h"

static size_t max_entries_for(int32_t max_index_bytes)
{
    size_t n = max_index_bytes > 0 ? (size_t)max_index_bytes / ST_OFFSET_INDEX_ENTRY_SIZE : 0;
    return n ? n : 1;
}

st_err st_offset_index_open(st_offset_index *ix, const char *path,
                            int64_t base_offset, int32_t max_index_bytes,
                            bool *existed)
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

void st_offset_index_close(st_offset_index *ix)
{
    if (ix->fd >= 0)
        close(ix->fd);
    ix->fd = -1;
    free(ix->entries);
    ix->entries = NULL;
    ix->count = ix->cap = 0;
}

void st_offset_index_set_max_bytes(st_offset_index *ix, int32_t max_index_bytes)
{
    ix->max_entries = max_entries_for(max_index_bytes);
}

static st_err reserve(st_offset_index *ix, size_t n)
{
    if (n <= ix->cap)
        return ST_OK;
    size_t cap = ix->cap ? ix->cap : 64;
    while (cap < n)
        cap *= 2;
    st_offset_entry *p = realloc(ix->entries, cap * sizeof(*p));
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
            return r == 0 ? ST_ERR_TRUNCATED : ST_ERR_IO;
        p += r;
        n -= (size_t)r;
        pos += r;
    }
    return ST_OK;
}

/* Each entry must follow the previous one and stay inside the log. */
static bool entry_ok(const st_offset_index *ix, size_t i, int64_t log_size,
                     int64_t max_rel_offset)
{
    st_offset_entry e = ix->entries[i];
    if (e.rel_offset < 0 || e.rel_offset > max_rel_offset)
        return false;
    if (e.position < 0 || e.position >= log_size)
        return false;
    if (i == 0)
        return true;
    st_offset_entry prev = ix->entries[i - 1];
    return e.rel_offset > prev.rel_offset && e.position > prev.position;
}

static st_err read_entries(st_offset_index *ix, size_t count)
{
    enum { CHUNK = 512 };
    uint8_t buf[CHUNK * ST_OFFSET_INDEX_ENTRY_SIZE];
    st_err err = reserve(ix, count);
    for (size_t done = 0; !err && done < count;) {
        size_t n = count - done < CHUNK ? count - done : CHUNK;
        err = read_all_at(ix->fd, buf, n * ST_OFFSET_INDEX_ENTRY_SIZE,
                          (int64_t)(done * ST_OFFSET_INDEX_ENTRY_SIZE));
        for (size_t k = 0; !err && k < n; k++) {
            ix->entries[done + k].rel_offset = st_get_i32(buf + k * 8);
            ix->entries[done + k].position = st_get_i32(buf + k * 8 + 4);
        }
        done += n;
    }
    return err == ST_ERR_TRUNCATED ? ST_ERR_IO : err; /* shrank under us */
}

st_err st_offset_index_load(st_offset_index *ix, int64_t log_size,
                            int64_t max_rel_offset, bool *consistent)
{
    struct stat st;
    ix->count = 0;
    *consistent = false;
    if (fstat(ix->fd, &st) != 0)
        return ST_ERR_IO;
    int64_t size = (int64_t)st.st_size;
    /* No more entries than batches could start in the log. */
    int64_t max_count = log_size / ST_BATCH_HEADER_SIZE + 1;
    if (size % ST_OFFSET_INDEX_ENTRY_SIZE != 0 ||
        size / ST_OFFSET_INDEX_ENTRY_SIZE > max_count)
        return ST_OK;
    size_t count = (size_t)(size / ST_OFFSET_INDEX_ENTRY_SIZE);
    st_err err = read_entries(ix, count);
    if (err)
        return err;
    for (size_t i = 0; i < count; i++)
        if (!entry_ok(ix, i, log_size, max_rel_offset))
            return ST_OK;
    ix->count = count;
    *consistent = true;
    return ST_OK;
}

st_err st_offset_index_reset(st_offset_index *ix)
{
    ix->count = 0;
    return ftruncate(ix->fd, 0) == 0 ? ST_OK : ST_ERR_IO;
}

st_err st_offset_index_append(st_offset_index *ix, int64_t offset, int64_t position)
{
    int64_t rel = offset - ix->base_offset;
    if (rel < 0 || rel > INT32_MAX || position < 0 || position > INT32_MAX)
        return ST_ERR_MALFORMED;
    if (ix->count && (rel <= ix->entries[ix->count - 1].rel_offset ||
                      position <= ix->entries[ix->count - 1].position))
        return ST_ERR_MALFORMED;
    if (st_offset_index_full(ix))
        return ST_ERR_TOO_LARGE;
    st_err err = reserve(ix, ix->count + 1);
    if (err)
        return err;
    uint8_t e[ST_OFFSET_INDEX_ENTRY_SIZE];
    st_put_i32(e, (int32_t)rel);
    st_put_i32(e + 4, (int32_t)position);
    off_t at = (off_t)(ix->count * ST_OFFSET_INDEX_ENTRY_SIZE);
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
    ix->entries[ix->count++] = (st_offset_entry){(int32_t)rel, (int32_t)position};
    return ST_OK;
}

/* Number of entries with rel_offset <= rel (entries sorted by offset). */
static size_t count_at_or_below(const st_offset_index *ix, int64_t rel)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].rel_offset <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void st_offset_index_lookup(const st_offset_index *ix, int64_t target,
                            int64_t *offset, int64_t *position)
{
    size_t n = count_at_or_below(ix, target - ix->base_offset);
    if (n == 0) {
        *offset = ix->base_offset;
        *position = 0;
        return;
    }
    *offset = ix->base_offset + ix->entries[n - 1].rel_offset;
    *position = ix->entries[n - 1].position;
}

bool st_offset_index_floor(const st_offset_index *ix, int64_t max_position,
                           int64_t max_offset, int64_t *offset, int64_t *position)
{
    int64_t max_rel = max_offset - ix->base_offset;
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].position <= max_position &&
            ix->entries[mid].rel_offset <= max_rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    *offset = ix->base_offset + ix->entries[lo - 1].rel_offset;
    *position = ix->entries[lo - 1].position;
    return true;
}

bool st_offset_index_last(const st_offset_index *ix, int64_t *offset, int64_t *position)
{
    if (ix->count == 0)
        return false;
    *offset = ix->base_offset + ix->entries[ix->count - 1].rel_offset;
    *position = ix->entries[ix->count - 1].position;
    return true;
}

st_err st_offset_index_truncate(st_offset_index *ix, int64_t offset)
{
    size_t keep = count_at_or_below(ix, offset - ix->base_offset - 1);
    if (keep == ix->count)
        return ST_OK;
    ix->count = keep;
    return ftruncate(ix->fd, (off_t)(keep * ST_OFFSET_INDEX_ENTRY_SIZE)) == 0 ? ST_OK : ST_ERR_IO;
}

st_err st_offset_index_sync(st_offset_index *ix)
{
    return fdatasync(ix->fd) == 0 ? ST_OK : ST_ERR_IO;
}
