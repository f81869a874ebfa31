/* dispatch.c — decoding request frames and routing them (see dispatch.h). */
#include "broker/dispatch.h"

#include <stdlib.h>

#include "broker/api_table.h"
#include "broker/broker.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

enum { API_VERSIONS_KEY = 18 };

static request *request_new(broker *b, connection *c, uint8_t *block, size_t len)
{
    request *rq = calloc(1, sizeof(*rq));
    if (!rq)
        return NULL;
    rq->b = b;
    rq->conn = c;
    rq->block = block;
    rq->frame = block + 4;
    rq->frame_len = len;
    rq->received_ms = broker_now_ms(b);
    st_arena_init(&rq->arena);
    connection_ref(c);
    return rq;
}

/* Answers a request whose version we do not implement with
 * UNSUPPORTED_VERSION in the response's top-level error code, when the
 * schema can encode that version and the response has such a field. */
static void answer_unsupported(request *rq)
{
    const kp_api *api = rq->req.api;
    int16_t version = request_version(rq);
    const kp_field *err = api ? kp_find_field(api->response->root, "ErrorCode") : NULL;
    if (!api || !kp_in(api->valid, version) || !err || !kp_in(err->versions, version)) {
        request_close_connection(rq, "unsupported API key or version without an error field");
        return;
    }
    void *body = request_new_response_body(rq);
    if (!body) {
        request_close_connection(rq, "out of memory");
        return;
    }
    kp_set_int(err, body, KAFKA_UNSUPPORTED_VERSION);
    request_respond(rq, body);
}

static void log_malformed(request *rq, st_err err, const char *field)
{
    const kp_api *api = rq->req.api;
    st_logf(&rq->b->logger, ST_LOG_WARN, "network",
            "closing connection from %s: malformed %s v%d request (%s at field %s)",
            connection_peer(rq->conn), api ? api->name : "unknown", request_version(rq),
            st_err_name(err), field ? field : "?");
}

void dispatch_frame(broker *b, connection *c, uint8_t *block, size_t len)
{
    request *rq = request_new(b, c, block, len);
    uint8_t *frame = block + 4;
    if (!rq) {
        free(block);
        connection_close(c, "out of memory");
        return;
    }
    const char *field = NULL;
    st_err err = kp_request_decode(&rq->req, frame, len, &rq->arena, &field);
    int16_t key = rq->req.header.request_api_key;
    const api_support *support = api_support_lookup(key);
    if (key == API_VERSIONS_KEY && (err == ST_ERR_UNSUPPORTED || !support ||
                                    request_version(rq) > support->max_version)) {
        handle_api_versions_fallback(rq);
        return;
    }
    if (err == ST_ERR_UNSUPPORTED || (!err && (!support || request_version(rq) < support->min_version ||
                                               request_version(rq) > support->max_version))) {
        answer_unsupported(rq);
        return;
    }
    if (err) {
        log_malformed(rq, err, field);
        request_close_connection(rq, "malformed request");
        return;
    }
    support->handle(rq);
}
