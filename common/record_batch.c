/* record_batch.c — RecordBatch v2 (see record_batch.h).
 *
 * Owns the batch header, batch walking, record iteration, batch building and
 * in-place edits. Must never read outside the bytes it is given, never trust
 * a length or count before checking it against the bytes present, and never
 * misread a legacy (magic 0/1) message set as a v2 batch. */
#include "record_batch.h"

#include <string.h>
#include "crc32c.h"

/* ---- Header */

st_err st_batch_header_read(const uint8_t *p, size_t n, st_batch_header *h)
{
    if (n < ST_BATCH_HEADER_SIZE)
        return ST_ERR_TRUNCATED;
    h->base_offset = st_get_i64(p + ST_BATCH_OFF_BASE_OFFSET);
    h->batch_length = st_get_i32(p + ST_BATCH_OFF_LENGTH);
    h->partition_leader_epoch = st_get_i32(p + ST_BATCH_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[ST_BATCH_OFF_MAGIC];
    h->crc = (uint32_t)st_get_i32(p + ST_BATCH_OFF_CRC);
    h->attributes = st_get_i16(p + ST_BATCH_OFF_ATTRIBUTES);
    h->last_offset_delta = st_get_i32(p + ST_BATCH_OFF_LAST_OFFSET_DELTA);
    h->base_timestamp = st_get_i64(p + ST_BATCH_OFF_BASE_TIMESTAMP);
    h->max_timestamp = st_get_i64(p + ST_BATCH_OFF_MAX_TIMESTAMP);
    h->producer_id = st_get_i64(p + ST_BATCH_OFF_PRODUCER_ID);
    h->producer_epoch = st_get_i16(p + ST_BATCH_OFF_PRODUCER_EPOCH);
    h->base_sequence = st_get_i32(p + ST_BATCH_OFF_BASE_SEQUENCE);
    h->record_count = st_get_i32(p + ST_BATCH_OFF_RECORD_COUNT);
    return ST_OK;
}

void st_batch_header_write(uint8_t *p, const st_batch_header *h)
{
    st_put_i64(p + ST_BATCH_OFF_BASE_OFFSET, h->base_offset);
    st_put_i32(p + ST_BATCH_OFF_LENGTH, h->batch_length);
    st_put_i32(p + ST_BATCH_OFF_LEADER_EPOCH, h->partition_leader_epoch);
    p[ST_BATCH_OFF_MAGIC] = (uint8_t)h->magic;
    st_put_i32(p + ST_BATCH_OFF_CRC, (int32_t)h->crc);
    st_put_i16(p + ST_BATCH_OFF_ATTRIBUTES, h->attributes);
    st_put_i32(p + ST_BATCH_OFF_LAST_OFFSET_DELTA, h->last_offset_delta);
    st_put_i64(p + ST_BATCH_OFF_BASE_TIMESTAMP, h->base_timestamp);
    st_put_i64(p + ST_BATCH_OFF_MAX_TIMESTAMP, h->max_timestamp);
    st_put_i64(p + ST_BATCH_OFF_PRODUCER_ID, h->producer_id);
    st_put_i16(p + ST_BATCH_OFF_PRODUCER_EPOCH, h->producer_epoch);
    st_put_i32(p + ST_BATCH_OFF_BASE_SEQUENCE, h->base_sequence);
    st_put_i32(p + ST_BATCH_OFF_RECORD_COUNT, h->record_count);
}

uint32_t st_batch_compute_crc(const uint8_t *batch, size_t size)
{
    return st_crc32c(0, batch + ST_BATCH_OFF_ATTRIBUTES,
                     size - ST_BATCH_OFF_ATTRIBUTES);
}

/* ---- Parsing one batch */

static st_err check_magic(int8_t magic)
{
    if (magic == 0 || magic == 1)
        return ST_ERR_UNSUPPORTED;
    return magic == ST_BATCH_MAGIC ? ST_OK : ST_ERR_MALFORMED;
}

/* Magic and length, from the first 17 bytes; *size gets 12 + length. */
static st_err check_framing(const uint8_t *p, size_t n, size_t *size)
{
    if (n <= ST_BATCH_OFF_MAGIC)
        return ST_ERR_TRUNCATED;
    st_err err = check_magic((int8_t)p[ST_BATCH_OFF_MAGIC]);
    if (err)
        return err;
    int32_t length = st_get_i32(p + ST_BATCH_OFF_LENGTH);
    if (length < ST_BATCH_MIN_LENGTH)
        return ST_ERR_MALFORMED;
    *size = (size_t)length + ST_BATCH_LOG_OVERHEAD;
    return n < *size ? ST_ERR_TRUNCATED : ST_OK;
}

st_err st_batch_parse(const uint8_t *p, size_t n, bool verify_crc, st_batch *out)
{
    size_t size;
    st_err err = check_framing(p, n, &size);
    if (err)
        return err;
    st_batch_header_read(p, size, &out->header);
    out->data = p;
    out->size = size;
    if (verify_crc && st_batch_compute_crc(p, size) != out->header.crc)
        return ST_ERR_CORRUPT;
    return out->header.record_count < 0 ? ST_ERR_MALFORMED : ST_OK;
}

/* ---- Walking concatenated batches */

void st_batch_iter_init(st_batch_iter *it, const uint8_t *data, size_t n,
                        bool verify_crc)
{
    it->start = data;
    it->p = data;
    it->end = n ? data + n : data;
    it->verify_crc = verify_crc;
    it->err = ST_OK;
}

/* A truncated batch at the end is a torn tail, not an error. */
static st_batch_status status_of(st_err err)
{
    return err == ST_ERR_TRUNCATED ? ST_BATCH_INCOMPLETE : ST_BATCH_ERROR;
}

st_batch_status st_batch_iter_next(st_batch_iter *it, st_batch *out)
{
    if (it->err)
        return status_of(it->err);
    if (it->p == it->end)
        return ST_BATCH_END;
    it->err = st_batch_parse(it->p, (size_t)(it->end - it->p), it->verify_crc, out);
    if (it->err)
        return status_of(it->err);
    it->p += out->size;
    return ST_BATCH_OK;
}

size_t st_batch_iter_offset(const st_batch_iter *it)
{
    return (size_t)(it->p - it->start);
}

/* ---- Iterating records */

static st_err open_records(st_record_iter *it, const st_batch *batch,
                           size_t max_uncompressed)
{
    if (batch->size < ST_BATCH_HEADER_SIZE)
        return ST_ERR_MALFORMED;
    const uint8_t *records = batch->data + ST_BATCH_HEADER_SIZE;
    size_t n = batch->size - ST_BATCH_HEADER_SIZE;
    int codec = st_batch_codec(&batch->header);
    if (codec == ST_CODEC_NONE) {
        st_reader_init(&it->r, records, n);
        return ST_OK;
    }
    if (!st_codec_known(codec))
        return ST_ERR_UNSUPPORTED;
    st_err err = st_decompress(codec, records, n, max_uncompressed, &it->plain);
    if (err)  /* the batch is whole, so a cut-short stream is malformed */
        return err == ST_ERR_TRUNCATED ? ST_ERR_MALFORMED : err;
    st_reader_init(&it->r, it->plain.len ? it->plain.data : records, it->plain.len);
    return ST_OK;
}

st_err st_record_iter_init(st_record_iter *it, const st_batch *batch,
                           size_t max_uncompressed)
{
    memset(it, 0, sizeof(*it));
    st_buf_init(&it->plain);
    it->header = batch->header;
    it->err = open_records(it, batch, max_uncompressed);
    if (!it->err && (it->header.record_count < 0 ||
                     (size_t)it->header.record_count >
                         st_reader_left(&it->r) / ST_RECORD_MIN_SIZE))
        it->err = ST_ERR_MALFORMED;
    it->left = it->err ? 0 : it->header.record_count;
    return it->err;
}

static void place_record(const st_batch_header *h, st_record *rec)
{
    rec->offset = (int64_t)((uint64_t)h->base_offset + (uint64_t)(int64_t)rec->offset_delta);
    if (st_batch_has_log_append_time(h))
        rec->timestamp = h->max_timestamp;
    else
        rec->timestamp = (int64_t)((uint64_t)h->base_timestamp + (uint64_t)rec->timestamp_delta);
}

bool st_record_iter_next(st_record_iter *it, st_record *rec)
{
    if (it->err)
        return false;
    if (it->left == 0) {
        if (st_reader_left(&it->r) != 0)
            it->err = ST_ERR_MALFORMED; /* bytes after the declared records */
        return false;
    }
    st_err err = st_record_read(&it->r, rec);
    if (err) {
        /* The records section is complete, so a short record is a lie. */
        it->err = err == ST_ERR_TRUNCATED ? ST_ERR_MALFORMED : err;
        return false;
    }
    it->left--;
    place_record(&it->header, rec);
    return true;
}

void st_record_iter_free(st_record_iter *it)
{
    st_buf_free(&it->plain);
}

/* ---- Building */

st_batch_params st_batch_params_default(void)
{
    return (st_batch_params){
        .partition_leader_epoch = ST_NO_PARTITION_LEADER_EPOCH,
        .codec = ST_CODEC_NONE,
        .compress = ST_COMPRESS_OPTS_DEFAULT,
        .producer_id = ST_NO_PRODUCER_ID,
        .producer_epoch = ST_NO_PRODUCER_EPOCH,
        .base_sequence = ST_NO_SEQUENCE,
    };
}

void st_batch_builder_init(st_batch_builder *b)
{
    st_buf_init(&b->records);
    st_batch_builder_reset(b);
}

void st_batch_builder_reset(st_batch_builder *b)
{
    st_buf_reset(&b->records);
    b->count = 0;
    b->last_offset_delta = 0;
    b->max_timestamp_delta = 0;
}

void st_batch_builder_free(st_batch_builder *b)
{
    st_buf_free(&b->records);
}

st_err st_batch_builder_add(st_batch_builder *b, const st_record_fields *rec)
{
    if (rec->offset_delta < 0 || (b->count > 0 && rec->offset_delta <= b->last_offset_delta))
        return ST_ERR_MALFORMED;
    if (b->count == INT32_MAX)
        return ST_ERR_TOO_LARGE;
    size_t before = b->records.len;
    st_err err = st_record_write(&b->records, rec);
    if (err) {
        b->records.len = before;
        return err;
    }
    if (b->count == 0 || rec->timestamp_delta > b->max_timestamp_delta)
        b->max_timestamp_delta = rec->timestamp_delta;
    b->last_offset_delta = rec->offset_delta;
    b->count++;
    return ST_OK;
}

static st_batch_header header_for(const st_batch_builder *b,
                                  const st_batch_params *p, size_t size)
{
    int16_t attrs = (int16_t)((p->attributes & ~ST_BATCH_ATTR_CODEC_MASK) |
                              (p->codec & ST_BATCH_ATTR_CODEC_MASK));
    return (st_batch_header){
        .base_offset = p->base_offset,
        .batch_length = (int32_t)(size - ST_BATCH_LOG_OVERHEAD),
        .partition_leader_epoch = p->partition_leader_epoch,
        .magic = ST_BATCH_MAGIC,
        .attributes = attrs,
        .last_offset_delta = b->last_offset_delta,
        .base_timestamp = p->base_timestamp,
        .max_timestamp = (int64_t)((uint64_t)p->base_timestamp + (uint64_t)b->max_timestamp_delta),
        .producer_id = p->producer_id,
        .producer_epoch = p->producer_epoch,
        .base_sequence = p->base_sequence,
        .record_count = b->count,
    };
}

st_err st_batch_builder_finish(const st_batch_builder *b,
                               const st_batch_params *p, st_buf *out)
{
    if (b->records.err)
        return b->records.err;
    if (!st_codec_known(p->codec))
        return ST_ERR_UNSUPPORTED;
    size_t start = out->len;
    if (!st_buf_extend(out, ST_BATCH_HEADER_SIZE))
        return out->err;
    st_err err = st_compress_with(p->codec, &p->compress, b->records.data,
                                  b->records.len, out);
    size_t size = out->len - start;
    if (!err && size - ST_BATCH_LOG_OVERHEAD > INT32_MAX)
        err = ST_ERR_TOO_LARGE;
    if (err) {
        out->len = start;
        return err;
    }
    st_batch_header h = header_for(b, p, size);
    st_batch_header_write(out->data + start, &h);
    return st_batch_update_crc(out->data + start, size);
}

st_err st_batch_write_txn_marker(const st_batch_params *p,
                                 const st_txn_marker *marker, st_buf *out)
{
    uint8_t key[ST_CONTROL_KEY_SIZE], value[ST_TXN_MARKER_VALUE_SIZE];
    st_control_key_encode(key, marker->type);
    st_txn_marker_value_encode(value, marker->coordinator_epoch);
    st_record_fields rec = {.key = st_slice_from(key, sizeof(key)),
                            .value = st_slice_from(value, sizeof(value))};
    st_batch_params params = *p;
    params.attributes = (int16_t)(p->attributes | ST_BATCH_ATTR_TRANSACTIONAL |
                                  ST_BATCH_ATTR_CONTROL);
    params.codec = ST_CODEC_NONE;
    st_batch_builder b;
    st_batch_builder_init(&b);
    st_err err = st_batch_builder_add(&b, &rec);
    if (!err)
        err = st_batch_builder_finish(&b, &params, out);
    st_batch_builder_free(&b);
    return err;
}

/* ---- In-place edits */

void st_batch_set_base_offset(uint8_t *batch, int64_t base_offset)
{
    st_put_i64(batch + ST_BATCH_OFF_BASE_OFFSET, base_offset);
}

void st_batch_set_partition_leader_epoch(uint8_t *batch, int32_t epoch)
{
    st_put_i32(batch + ST_BATCH_OFF_LEADER_EPOCH, epoch);
}

st_err st_batch_set_max_timestamp(uint8_t *batch, size_t size,
                                  bool log_append_time, int64_t max_timestamp)
{
    if (size < ST_BATCH_HEADER_SIZE)
        return ST_ERR_TRUNCATED;
    int16_t attrs = st_get_i16(batch + ST_BATCH_OFF_ATTRIBUTES);
    if (log_append_time)
        attrs = (int16_t)(attrs | ST_BATCH_ATTR_LOG_APPEND_TIME);
    else
        attrs = (int16_t)(attrs & ~ST_BATCH_ATTR_LOG_APPEND_TIME);
    st_put_i16(batch + ST_BATCH_OFF_ATTRIBUTES, attrs);
    st_put_i64(batch + ST_BATCH_OFF_MAX_TIMESTAMP, max_timestamp);
    return st_batch_update_crc(batch, size);
}

st_err st_batch_update_crc(uint8_t *batch, size_t size)
{
    if (size < ST_BATCH_HEADER_SIZE)
        return ST_ERR_TRUNCATED;
    st_put_i32(batch + ST_BATCH_OFF_CRC, (int32_t)st_batch_compute_crc(batch, size));
    return ST_OK;
}
