/* handle_find_coordinator.c — FindCoordinator v0-4 (v4: several keys at
 * once): this broker coordinates every group; __consumer_offsets is created
 * on the first group lookup, as Kafka does. Transaction coordinators do not
 * exist yet (COORDINATOR_NOT_AVAILABLE). */
#include "broker/broker.h"
#include "broker/group_store.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

enum { KEY_TYPE_GROUP = 0 };

static int16_t coordinator_error(request *rq, st_slice key, int8_t key_type, const char **msg)
{
    *msg = NULL;
    if (key_type != KEY_TYPE_GROUP) {
        *msg = "transactions are not supported yet";
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    }
    if (key.len <= 0) {
        *msg = "the group id is empty";
        return KAFKA_INVALID_REQUEST;
    }
    if (group_store_ensure_topic(rq->b) != ST_OK) {
        *msg = "the offsets topic cannot be created";
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    }
    return KAFKA_NONE;
}

void handle_find_coordinator(request *rq)
{
    const kp_find_coordinator_request *req = rq->req.body;
    kp_find_coordinator_response *resp = request_new_response_body(rq);
    const broker *b = rq->b;
    bool batched = request_version(rq) >= 4;
    int32_t n = batched ? req->coordinator_keys_count : 1;
    if (n < 0)
        n = 0;
    if (!resp || (batched && !(resp->coordinators = st_arena_calloc(
                                   &rq->arena, (size_t)n + 1, sizeof(*resp->coordinators))))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        st_slice key = batched ? req->coordinator_keys[i] : req->key;
        const char *msg;
        int16_t error = coordinator_error(rq, key, req->key_type, &msg);
        kp_find_coordinator_response_coordinator c = {
            key, error ? -1 : b->identity.node_id,
            st_slice_cstr(error ? "" : b->advertised->host), error ? -1 : b->advertised->port,
            error, st_slice_cstr(msg)};
        if (batched) {
            resp->coordinators[i] = c;
        } else {
            resp->error_code = c.error_code;
            resp->error_message = c.error_message;
            resp->node_id = c.node_id;
            resp->host = c.host;
            resp->port = c.port;
        }
    }
    if (batched)
        resp->coordinators_count = n;
    request_respond(rq, resp);
}
