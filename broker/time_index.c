/* time_index.c — the sparse time index of one segment (see time_index.h).
 *
 * Owns the .timeindex file (its I/O goes through index_file.h) and its
 * in-memory entries: their encoding, checks and searches. Must never use an
 * entry it has not checked, and never touch the .log file. */
#include "broker/time_index.h"

#include <stdlib.h>
#include "broker/index_file.h"
#include "common/wire.h"

#define ENTRY_SIZE ST_TIME_INDEX_ENTRY_SIZE
_Static_assert(ENTRY_SIZE <= ST_INDEX_FILE_MAX_ENTRY_SIZE, "index_file reads in chunks");

st_err st_time_index_open(st_time_index *ix, const char *path, int64_t base_offset,
                          int32_t max_index_bytes, bool *existed)
{
    ix->base_offset = base_offset;
    ix->entries = NULL;
    ix->count = 0;
    ix->cap = 0;
    ix->max_entries = st_index_file_max_entries(max_index_bytes, ENTRY_SIZE);
    return st_index_file_open(path, &ix->fd, existed);
}

void st_time_index_close(st_time_index *ix)
{
    st_index_file_close(&ix->fd);
    free(ix->entries);
    ix->entries = NULL;
    ix->count = ix->cap = 0;
}

void st_time_index_set_max_bytes(st_time_index *ix, int32_t max_index_bytes)
{
    ix->max_entries = st_index_file_max_entries(max_index_bytes, ENTRY_SIZE);
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

static void decode_entry(void *ctx, size_t i, const uint8_t *p)
{
    st_time_index *ix = ctx;
    ix->entries[i].timestamp = st_get_i64(p);
    ix->entries[i].rel_offset = st_get_i32(p + 8);
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
    size_t count;
    bool whole;
    ix->count = 0;
    *consistent = false;
    st_err err = st_index_file_count(ix->fd, ENTRY_SIZE, max_count, &count, &whole);
    if (err || !whole)
        return err;
    err = reserve(ix, count);
    if (!err)
        err = st_index_file_read(ix->fd, ENTRY_SIZE, count, decode_entry, ix);
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
    return st_index_file_truncate(ix->fd, ENTRY_SIZE, 0);
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
    uint8_t e[ENTRY_SIZE];
    st_put_i64(e, timestamp);
    st_put_i32(e + 8, (int32_t)rel);
    err = st_index_file_write(ix->fd, e, ENTRY_SIZE, ix->count);
    if (err)
        return err;
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
    return st_index_file_truncate(ix->fd, ENTRY_SIZE, keep);
}

st_err st_time_index_sync(st_time_index *ix)
{
    return st_index_file_sync(ix->fd);
}
