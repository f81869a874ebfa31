/* request.h — one request being handled: its frame, decoded form and arena.
 *
 * Owns the frame bytes (the decoded body points into them, and the produce
 * path edits record batches in place), the arena that holds the decoded
 * arrays and anything a handler builds for its response, and a reference to
 * the connection. Every request ends exactly once: request_respond,
 * request_send_response or request_finish_silently, which free it. */
#ifndef STRAIT_BROKER_REQUEST_H
#define STRAIT_BROKER_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/connection.h"
#include "common/arena.h"
#include "common/protocol/frame.h"

struct broker;

typedef struct request {
    struct broker *b;
    connection *conn;
    uint8_t *block;   /* owned: the size prefix, then the frame */
    uint8_t *frame;
    size_t frame_len;
    st_arena arena;
    kp_request req;
    int64_t received_ms;
} request;

static inline int16_t request_version(const request *rq)
{
    return rq->req.header.request_api_version;
}

/* Encodes body as the response to rq (same API and version), sends it, frees rq. */
void request_respond(request *rq, const void *body);
/* Sends a response already encoded by the caller (size prefix included). */
void request_send_response(request *rq, response *r);
/* Ends rq without a response (acks=0). */
void request_finish_silently(request *rq);
/* Ends rq by closing its connection (a request that cannot be answered). */
void request_close_connection(request *rq, const char *why);

/* Allocates a zeroed response struct of the request's API in rq's arena,
 * initialised to the schema defaults. */
void *request_new_response_body(request *rq);

/* A copy of s in rq's arena, as a slice for the response; the null slice
 * for NULL or no memory. */
st_slice request_text(request *rq, const char *s);

/* A NUL-terminated copy of s in rq's arena; NULL for a null slice, one
 * holding a NUL byte (*bad set) or no memory (*bad untouched). */
const char *request_cstr(request *rq, st_slice s, bool *bad);

#endif
