/* legacy_message_set.c — message sets of magic 0 and 1 converted to one
 * RecordBatch v2 (see legacy_message_set.h). */
#include "common/legacy_message_set.h"

#include <zlib.h>

enum {
    LEGACY_ATTR_CODEC_MASK = 0x07,
    LEGACY_ATTR_LOG_APPEND_TIME = 0x08,
    MAX_NESTED_RECORDS = 1 << 20,
};

typedef struct legacy_message {
    int64_t offset;
    int8_t magic;
    int8_t attributes;
    int64_t timestamp; /* -1 for magic 0 */
    st_slice key;
    st_slice value;
} legacy_message;

typedef struct converter {
    st_batch_builder builder;
    int64_t first_timestamp;
    bool have_first;
    int32_t count;
    int codec;           /* of the wrapper, kept for the new batch */
    size_t max_uncompressed;
    st_err err;
} converter;

/* Reads one message; ST_ERR_CORRUPT for a CRC mismatch. */
static st_err read_message(st_reader *set, legacy_message *m)
{
    m->offset = st_read_i64(set);
    int32_t size = st_read_i32(set);
    if (set->err)
        return set->err;
    if (size < 14 || (size_t)size > st_reader_left(set))
        return ST_ERR_MALFORMED;
    st_slice body = st_read_raw(set, (size_t)size);
    st_reader r;
    st_reader_init(&r, body.ptr, (size_t)body.len);
    uint32_t crc = st_read_u32(&r);
    if (crc != (uint32_t)crc32(0, r.p, (uInt)st_reader_left(&r)))
        return ST_ERR_CORRUPT;
    m->magic = st_read_i8(&r);
    m->attributes = st_read_i8(&r);
    if (m->magic != 0 && m->magic != 1)
        return ST_ERR_MALFORMED;
    m->timestamp = m->magic == 1 ? st_read_i64(&r) : -1;
    m->key = st_read_bytes(&r);
    m->value = st_read_bytes(&r);
    if (r.err)
        return r.err;
    return st_reader_left(&r) ? ST_ERR_MALFORMED : ST_OK;
}

static void add_record(converter *c, const legacy_message *m, int64_t timestamp)
{
    if (c->err)
        return;
    if (!c->have_first) {
        c->first_timestamp = timestamp;
        c->have_first = true;
    }
    st_record_fields rec = {c->count, timestamp - c->first_timestamp, m->key, m->value, NULL, 0};
    c->err = st_batch_builder_add(&c->builder, &rec);
    if (++c->count > MAX_NESTED_RECORDS)
        c->err = ST_ERR_TOO_LARGE;
}

static st_err convert_set(converter *c, const uint8_t *data, size_t len, int depth,
                          const legacy_message *wrapper);

/* A compressed wrapper's value is a message set of the inner messages. */
static st_err convert_wrapper(converter *c, const legacy_message *m, int depth)
{
    int codec = m->attributes & LEGACY_ATTR_CODEC_MASK;
    if (depth > 0 || m->value.len < 0)
        return ST_ERR_MALFORMED; /* Kafka never nests wrappers */
    if (c->codec != ST_CODEC_NONE && c->codec != codec)
        return ST_ERR_MALFORMED;
    c->codec = codec;
    st_buf inner;
    st_buf_init(&inner);
    st_err err = st_decompress(codec, m->value.ptr, (size_t)m->value.len, c->max_uncompressed,
                               &inner);
    if (!err)
        err = convert_set(c, inner.data, inner.len, depth + 1, m);
    st_buf_free(&inner);
    return err;
}

static st_err convert_set(converter *c, const uint8_t *data, size_t len, int depth,
                          const legacy_message *wrapper)
{
    st_reader set;
    st_reader_init(&set, data, len);
    while (st_reader_left(&set) > 0 && !c->err) {
        legacy_message m;
        st_err err = read_message(&set, &m);
        if (err)
            return err;
        if ((m.attributes & LEGACY_ATTR_CODEC_MASK) != ST_CODEC_NONE) {
            if ((err = convert_wrapper(c, &m, depth)))
                return err;
            continue;
        }
        int64_t ts = m.timestamp;
        if (wrapper && wrapper->magic == 1 && (wrapper->attributes & LEGACY_ATTR_LOG_APPEND_TIME))
            ts = wrapper->timestamp;
        add_record(c, &m, ts);
    }
    return c->err;
}

st_err st_legacy_to_batch(const uint8_t *data, size_t len, size_t max_uncompressed,
                          st_buf *out, int32_t *records)
{
    converter c;
    st_batch_builder_init(&c.builder);
    c.first_timestamp = -1;
    c.have_first = false;
    c.count = 0;
    c.codec = ST_CODEC_NONE;
    c.max_uncompressed = max_uncompressed;
    c.err = ST_OK;
    st_err err = convert_set(&c, data, len, 0, NULL);
    if (!err && c.count == 0)
        err = ST_ERR_MALFORMED;
    if (!err) {
        st_batch_params p = st_batch_params_default();
        p.base_timestamp = c.first_timestamp;
        p.codec = c.codec;
        err = st_batch_builder_finish(&c.builder, &p, out);
    }
    if (records)
        *records = c.count;
    st_batch_builder_free(&c.builder);
    return err;
}
