/* log_reader.c — records of a log, in order (see log_reader.h). */
#include "broker/log_reader.h"

#include <stdlib.h>

enum { CHUNK_BYTES = 1 << 20, MAX_UNCOMPRESSED = 64 << 20 };

static st_err each_record_of_batch(const st_batch *batch, int64_t from_offset, log_record_fn cb,
                                   void *ctx)
{
    st_record_iter it;
    st_err err = st_record_iter_init(&it, batch, MAX_UNCOMPRESSED);
    st_record rec;
    while (!err && st_record_iter_next(&it, &rec))
        if (rec.offset >= from_offset)
            err = cb(ctx, &batch->header, &rec);
    if (!err)
        err = it.err;
    st_record_iter_free(&it);
    return err;
}

/* Reads one range's bytes and walks its batches; *next gets the offset after
 * the last batch. */
static st_err walk_range(const st_log_range *range, int64_t from_offset, log_record_fn cb,
                         void *ctx, int64_t *next)
{
    uint8_t *buf = malloc((size_t)range->length);
    if (!buf)
        return ST_ERR_NOMEM;
    st_err err = st_log_range_pread(range, buf, (size_t)range->length, 0);
    st_batch_iter it;
    st_batch_iter_init(&it, buf, (size_t)range->length, false);
    st_batch batch;
    while (!err && st_batch_iter_next(&it, &batch) == ST_BATCH_OK) {
        *next = st_batch_last_offset(&batch.header) + 1;
        if (!st_batch_is_control(&batch.header))
            err = each_record_of_batch(&batch, from_offset, cb, ctx);
    }
    free(buf);
    return err;
}

st_err log_for_each_record(st_log *log, int64_t from_offset, log_record_fn cb, void *ctx)
{
    int64_t offset = from_offset < st_log_start_offset(log) ? st_log_start_offset(log)
                                                            : from_offset;
    st_err err = ST_OK;
    while (!err && offset < st_log_end_offset(log)) {
        st_log_range range;
        err = st_log_read(log, offset, st_log_end_offset(log), CHUNK_BYTES, true, &range);
        if (err)
            break;
        if (range.length == 0) {
            st_log_range_release(&range);
            break;
        }
        int64_t next = offset;
        err = walk_range(&range, from_offset, cb, ctx, &next);
        st_log_range_release(&range);
        if (next <= offset)
            break; /* no progress: stop rather than loop */
        offset = next;
    }
    return err;
}
