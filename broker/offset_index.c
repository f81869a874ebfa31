/* offset_index.c — the sparse offset index of one segment (see offset_index.h).
 *
 * Owns the .index file (its I/O goes through index_file.h) and its in-memory
 * entries: their encoding, checks and searches. Must never read or trust an
 * entry it has not checked, and never touch the .log file. */
#include "broker/offset_index.h"

#include <stdlib.h>
#include "broker/index_file.h"
#include "common/record_batch.h"
#include "common/wire.h"

#define ENTRY_SIZE ST_OFFSET_INDEX_ENTRY_SIZE
_Static_assert(ENTRY_SIZE <= ST_INDEX_FILE_MAX_ENTRY_SIZE, "index_file reads in chunks");

st_err st_offset_index_open(st_offset_index *ix, const char *path,
                            int64_t base_offset, int32_t max_index_bytes,
                            bool *existed)
{
    ix->base_offset = base_offset;
    ix->entries = NULL;
    ix->count = 0;
    ix->cap = 0;
    ix->max_entries = st_index_file_max_entries(max_index_bytes, ENTRY_SIZE);
    return st_index_file_open(path, &ix->fd, existed);
}

void st_offset_index_close(st_offset_index *ix)
{
    st_index_file_close(&ix->fd);
    free(ix->entries);
    ix->entries = NULL;
    ix->count = ix->cap = 0;
}

void st_offset_index_set_max_bytes(st_offset_index *ix, int32_t max_index_bytes)
{
    ix->max_entries = st_index_file_max_entries(max_index_bytes, ENTRY_SIZE);
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

static void decode_entry(void *ctx, size_t i, const uint8_t *p)
{
    st_offset_index *ix = ctx;
    ix->entries[i].rel_offset = st_get_i32(p);
    ix->entries[i].position = st_get_i32(p + 4);
}

st_err st_offset_index_load(st_offset_index *ix, int64_t log_size,
                            int64_t max_rel_offset, bool *consistent)
{
    size_t count;
    bool whole;
    ix->count = 0;
    *consistent = false;
    /* No more entries than batches could start in the log. */
    int64_t max_count = log_size / ST_BATCH_HEADER_SIZE + 1;
    st_err err = st_index_file_count(ix->fd, ENTRY_SIZE, max_count, &count, &whole);
    if (err || !whole)
        return err;
    err = reserve(ix, count);
    if (!err)
        err = st_index_file_read(ix->fd, ENTRY_SIZE, count, decode_entry, ix);
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
    return st_index_file_truncate(ix->fd, ENTRY_SIZE, 0);
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
    uint8_t e[ENTRY_SIZE];
    st_put_i32(e, (int32_t)rel);
    st_put_i32(e + 4, (int32_t)position);
    err = st_index_file_write(ix->fd, e, ENTRY_SIZE, ix->count);
    if (err)
        return err;
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
    return st_index_file_truncate(ix->fd, ENTRY_SIZE, keep);
}

st_err st_offset_index_sync(st_offset_index *ix)
{
    return st_index_file_sync(ix->fd);
}
