/* request.c — ending requests: respond, finish, close (see request.h). */
#include "broker/request.h"

#include <stdlib.h>

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
