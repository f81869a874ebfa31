/* frame.c — request/response frames (see frame.h). */
#include "common/protocol/frame.h"

/* The fixed start of every request header: api key, version, correlation id. */
static void peek_header(kp_request_header *h, const uint8_t *frame, size_t len)
{
    st_reader r;
    st_reader_init(&r, frame, len);
    h->request_api_key = st_read_i16(&r);
    h->request_api_version = st_read_i16(&r);
    h->correlation_id = st_read_i32(&r);
}

st_err kp_request_decode(kp_request *req, const uint8_t *frame, size_t len, st_arena *arena,
                         const char **failed_field)
{
    kp_request_header_init(&req->header);
    req->body = NULL;
    if (failed_field)
        *failed_field = NULL;
    peek_header(&req->header, frame, len);
    if (len < 8)
        return ST_ERR_TRUNCATED;
    int16_t key = req->header.request_api_key, version = req->header.request_api_version;
    req->api = kp_api_lookup(key);
    if (!req->api || !kp_in(req->api->valid, version))
        return ST_ERR_UNSUPPORTED;

    st_reader r;
    st_reader_init(&r, frame, len);
    st_err err = kp_decode(&kp_request_header_message, &req->header,
                           kp_request_header_version(key, version), &r, arena, failed_field);
    if (err)
        return err;
    req->body = st_arena_alloc(arena, req->api->request->root->size);
    if (!req->body)
        return ST_ERR_NOMEM;
    err = kp_decode(req->api->request, req->body, version, &r, arena, failed_field);
    if (!err && st_reader_left(&r))
        err = ST_ERR_MALFORMED; /* trailing bytes after the body */
    return err;
}

/* Reserves the int32 size prefix; returns its position. */
static size_t begin_frame(st_buf *out)
{
    size_t at = out->len;
    st_write_i32(out, 0);
    return at;
}

static st_err end_frame(st_buf *out, size_t at, size_t outside)
{
    if (out->err)
        return out->err;
    size_t size = out->len - at - 4 + outside;
    if (size > INT32_MAX)
        return out->err = ST_ERR_TOO_LARGE;
    st_put_i32(out->data + at, (int32_t)size);
    return ST_OK;
}

st_err kp_request_encode(const kp_request_header *header, const void *body, st_buf *out)
{
    int16_t key = header->request_api_key, version = header->request_api_version;
    const kp_api *api = kp_api_lookup(key);
    if (!api || !kp_in(api->valid, version))
        return out->err = ST_ERR_UNSUPPORTED;
    size_t at = begin_frame(out);
    kp_encode(&kp_request_header_message, header, kp_request_header_version(key, version), out);
    kp_encode(api->request, body, version, out);
    return end_frame(out, at, 0);
}

st_err kp_response_decode(int16_t api_key, int16_t api_version, void *body,
                          int32_t *correlation_id, const uint8_t *frame, size_t len,
                          st_arena *arena, const char **failed_field)
{
    const kp_api *api = kp_api_lookup(api_key);
    if (!api || !kp_in(api->valid, api_version))
        return ST_ERR_UNSUPPORTED;
    st_reader r;
    st_reader_init(&r, frame, len);
    kp_response_header header;
    st_err err = kp_decode(&kp_response_header_message, &header,
                           kp_response_header_version(api_key, api_version), &r, arena,
                           failed_field);
    if (err)
        return err;
    *correlation_id = header.correlation_id;
    /* Bytes after the body are ignored, as Java's client does: some
     * implementations (librdkafka's mock cluster) append fields a version
     * does not have. Requests, which the broker serves, stay strict. */
    return kp_decode(api->response, body, api_version, &r, arena, failed_field);
}

st_err kp_response_encode(int16_t api_key, int16_t api_version, int32_t correlation_id,
                          const void *body, st_buf *out)
{
    return kp_response_encode_with(api_key, api_version, correlation_id, body, out, NULL, 0);
}

st_err kp_response_encode_with(int16_t api_key, int16_t api_version, int32_t correlation_id,
                               const void *body, st_buf *out, const kp_records_writer *records,
                               size_t records_outside)
{
    const kp_api *api = kp_api_lookup(api_key);
    if (!api || !kp_in(api->valid, api_version))
        return out->err = ST_ERR_UNSUPPORTED;
    size_t at = begin_frame(out);
    kp_response_header header = {correlation_id};
    kp_encode(&kp_response_header_message, &header, kp_response_header_version(api_key, api_version),
              out);
    kp_encode_with(api->response, body, api_version, out, records);
    return end_frame(out, at, records_outside);
}
