/* frame.h — whole request and response frames: header + body.
 *
 * Owns the framing rules: a frame is an int32 size, then the request (or
 * response) header at the version Kafka's rules give for the API and version,
 * then the body. Decoding takes the frame without its size prefix; encoding
 * writes the size prefix too. Decoded bodies live in the caller's arena and
 * point into the caller's frame bytes (see codec.h). */
#ifndef STRAIT_PROTOCOL_FRAME_H
#define STRAIT_PROTOCOL_FRAME_H

#include "common/protocol/messages.h"

typedef struct kp_request {
    kp_request_header header;
    const kp_api *api;  /* NULL when the API key is unknown */
    void *body;         /* the API's request struct, in the arena */
} kp_request;

/* Decodes a request frame (without the size prefix). On ST_ERR_UNSUPPORTED
 * (unknown API key or version) the header's api key, version and correlation
 * id are still filled in, so the caller can answer with UNSUPPORTED_VERSION.
 * *failed_field (optional) names the field where decoding failed. */
st_err kp_request_decode(kp_request *req, const uint8_t *frame, size_t len, st_arena *arena,
                         const char **failed_field);

/* Appends size prefix + header + body. header->request_api_key/version pick
 * the API and the versions used. */
st_err kp_request_encode(const kp_request_header *header, const void *body, st_buf *out);

/* Decodes a response frame (without the size prefix) for a request that was
 * sent with api_key/api_version; *correlation_id gets the header's id. */
st_err kp_response_decode(int16_t api_key, int16_t api_version, void *body,
                          int32_t *correlation_id, const uint8_t *frame, size_t len,
                          st_arena *arena, const char **failed_field);

/* Appends size prefix + response header + body. */
st_err kp_response_encode(int16_t api_key, int16_t api_version, int32_t correlation_id,
                          const void *body, st_buf *out);
/* The same with records fields written by a kp_records_writer; the size
 * prefix counts the records bytes the writer accounts for outside out. */
st_err kp_response_encode_with(int16_t api_key, int16_t api_version, int32_t correlation_id,
                               const void *body, st_buf *out, const kp_records_writer *records,
                               size_t records_outside);

#endif
