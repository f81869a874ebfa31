/* request.c — ending requests (respond, finish, close) and the arena
 * copies handlers put in responses (see request.h). */
#include "broker/request.h"

#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"

static void request_free(request *rq)
{
    connection_unref(rq->conn);
    st_arena_free(&rq->arena);
    free(rq->block);
    free(rq);
}

void request_send_response(request *rq, response *r)
{
    connection_send(rq->conn, r);
    request_free(rq);
}

void request_respond(request *rq, const void *body)
{
    response *r = response_new();
    if (!r) {
        request_close_connection(rq, "out of memory for a response");
        return;
    }
    const kp_api *api = rq->req.api;
    st_err err = kp_response_encode(api->api_key, request_version(rq),
                                    rq->req.header.correlation_id, body, &r->bytes);
    if (err) {
        st_logf(&rq->b->logger, ST_LOG_ERROR, "network", "cannot encode %s v%d response: %s",
                api->name, request_version(rq), st_err_name(err));
        response_free(r);
        request_close_connection(rq, "response encoding failed");
        return;
    }
    request_send_response(rq, r);
}

void request_finish_silently(request *rq)
{
    connection_finish(rq->conn);
    request_free(rq);
}

void request_close_connection(request *rq, const char *why)
{
    connection_close(rq->conn, why);
    connection_finish(rq->conn);
    request_free(rq);
}

void *request_new_response_body(request *rq)
{
    const kp_struct *root = rq->req.api->response->root;
    void *body = st_arena_alloc(&rq->arena, root->size);
    if (body)
        kp_init(root, body);
    return body;
}

st_slice request_text(request *rq, const char *s)
{
    if (!s)
        return ST_SLICE_NULL;
    size_t n = strlen(s);
    char *p = st_arena_alloc(&rq->arena, n + 1);
    if (!p)
        return ST_SLICE_NULL;
    memcpy(p, s, n + 1);
    return st_slice_from(p, n);
}

const char *request_cstr(request *rq, st_slice s, bool *bad)
{
    if (s.len < 0)
        return NULL;
    if (memchr(s.ptr, '\0', (size_t)s.len)) {
        *bad = true;
        return NULL;
    }
    char *p = st_arena_alloc(&rq->arena, (size_t)s.len + 1);
    if (p) {
        memcpy(p, s.ptr, (size_t)s.len);
        p[s.len] = '\0';
    }
    return p;
}
