/* record.c — single records, headers and control records (see record.h).
 *
 * Owns the record byte layout. Must never read outside the record's declared
 * length nor accept a record whose fields do not fill it exactly. */
#include "record.h"

#define CONTROL_KEY_VERSION 0
#define TXN_MARKER_VERSION 0

/* ---- Writing */

static int64_t varbytes_size(st_slice s)
{
    if (s.len < 0)
        return 1;
    return (int64_t)st_varint_size(s.len) + s.len;
}

/* Size of everything after the length prefix; -1 when a header key is null. */
static int64_t record_body_size(const st_record_fields *rec)
{
    int64_t size = 1 + (int64_t)st_varlong_size(rec->timestamp_delta) +
                   (int64_t)st_varint_size(rec->offset_delta) +
                   varbytes_size(rec->key) + varbytes_size(rec->value) +
                   (int64_t)st_varint_size((int32_t)rec->header_count);
    for (size_t i = 0; i < rec->header_count; i++) {
        if (rec->headers[i].key.len < 0)
            return -1;
        size += varbytes_size(rec->headers[i].key) +
                varbytes_size(rec->headers[i].value);
        if (size > INT32_MAX)
            break; /* already too large; stop before int64 could overflow */
    }
    return size;
}

static void write_varbytes(st_buf *out, st_slice s)
{
    if (s.len < 0) {
        st_write_varint(out, -1);
        return;
    }
    st_write_varint(out, s.len);
    st_buf_append(out, s.ptr, (size_t)s.len);
}

st_err st_record_write(st_buf *out, const st_record_fields *rec)
{
    if (rec->header_count > INT32_MAX)
        return ST_ERR_TOO_LARGE;
    int64_t size = record_body_size(rec);
    if (size < 0)
        return ST_ERR_MALFORMED;
    if (size > INT32_MAX)
        return ST_ERR_TOO_LARGE;
    st_write_varint(out, (int32_t)size);
    st_write_i8(out, 0); /* record attributes: unused, always 0 */
    st_write_varlong(out, rec->timestamp_delta);
    st_write_varint(out, rec->offset_delta);
    write_varbytes(out, rec->key);
    write_varbytes(out, rec->value);
    st_write_varint(out, (int32_t)rec->header_count);
    for (size_t i = 0; i < rec->header_count; i++) {
        write_varbytes(out, rec->headers[i].key);
        write_varbytes(out, rec->headers[i].value);
    }
    return out->err;
}

/* ---- Reading */

static st_slice read_varbytes(st_reader *r)
{
    int32_t len = st_read_varint(r);
    if (r->err || len == -1)
        return ST_SLICE_NULL;
    if (len < -1) {
        st_reader_fail(r, ST_ERR_MALFORMED);
        return ST_SLICE_NULL;
    }
    return st_read_raw(r, (size_t)len);
}

static st_slice read_header_entries(st_reader *r, int32_t count)
{
    const uint8_t *start = r->p;
    for (int32_t i = 0; i < count && !r->err; i++) {
        st_slice key = read_varbytes(r);
        if (!r->err && key.len < 0)
            st_reader_fail(r, ST_ERR_MALFORMED);
        (void)read_varbytes(r);
    }
    return st_slice_from(start, (size_t)(r->p - start));
}

/* Every field of a record body; the body reader ends where the record does,
 * so a short body is a lie in the record's length: malformed. */
static st_err read_record_body(st_reader *b, st_record *rec)
{
    rec->attributes = st_read_i8(b);
    rec->timestamp_delta = st_read_varlong(b);
    rec->offset_delta = st_read_varint(b);
    rec->key = read_varbytes(b);
    rec->value = read_varbytes(b);
    rec->header_count = st_read_varint(b);
    /* Each header takes at least two bytes (key and value lengths). */
    if (!b->err && (rec->header_count < 0 ||
                    (size_t)rec->header_count > st_reader_left(b) / 2))
        st_reader_fail(b, ST_ERR_MALFORMED);
    if (!b->err)
        rec->headers = read_header_entries(b, rec->header_count);
    if (!b->err && st_reader_left(b) != 0)
        return ST_ERR_MALFORMED;
    return b->err ? ST_ERR_MALFORMED : ST_OK;
}

st_err st_record_read(st_reader *r, st_record *rec)
{
    *rec = (st_record){.key = ST_SLICE_NULL, .value = ST_SLICE_NULL,
                       .headers = ST_SLICE_EMPTY};
    int32_t len = st_read_varint(r);
    if (!r->err && len < 0)
        st_reader_fail(r, ST_ERR_MALFORMED);
    st_slice body = st_read_raw(r, (size_t)(len < 0 ? 0 : len));
    if (r->err)
        return r->err;
    st_reader b;
    st_reader_init(&b, body.ptr, (size_t)body.len);
    return read_record_body(&b, rec);
}

void st_header_iter_init(st_header_iter *it, const st_record *rec)
{
    st_reader_init(&it->r, rec->headers.ptr,
                   rec->headers.len > 0 ? (size_t)rec->headers.len : 0);
    it->left = rec->header_count;
}

bool st_header_iter_next(st_header_iter *it, st_record_header *h)
{
    if (it->left <= 0 || it->r.err)
        return false;
    h->key = read_varbytes(&it->r);
    h->value = read_varbytes(&it->r);
    if (it->r.err || h->key.len < 0)
        return false;
    it->left--;
    return true;
}

/* ---- Control records */

st_err st_control_key_parse(st_slice key, st_control_key *out)
{
    if (key.len < ST_CONTROL_KEY_SIZE)
        return ST_ERR_MALFORMED;
    out->version = st_get_i16(key.ptr);
    out->type = st_get_i16(key.ptr + 2);
    return out->version < 0 ? ST_ERR_MALFORMED : ST_OK;
}

st_err st_txn_marker_parse(const st_record *rec, st_txn_marker *out)
{
    st_control_key key;
    st_err err = st_control_key_parse(rec->key, &key);
    if (err)
        return err;
    if (key.type != ST_CONTROL_ABORT && key.type != ST_CONTROL_COMMIT)
        return ST_ERR_UNSUPPORTED;
    if (rec->value.len < ST_TXN_MARKER_VALUE_SIZE || st_get_i16(rec->value.ptr) < 0)
        return ST_ERR_MALFORMED;
    out->type = key.type;
    out->coordinator_epoch = st_get_i32(rec->value.ptr + 2);
    return ST_OK;
}

void st_control_key_encode(uint8_t out[ST_CONTROL_KEY_SIZE], int16_t type)
{
    st_put_i16(out, CONTROL_KEY_VERSION);
    st_put_i16(out + 2, type);
}

void st_txn_marker_value_encode(uint8_t out[ST_TXN_MARKER_VALUE_SIZE],
                                int32_t coordinator_epoch)
{
    st_put_i16(out, TXN_MARKER_VERSION);
    st_put_i32(out + 2, coordinator_epoch);
}
