/* handle_describe_cluster.c — DescribeCluster v0-1 for a broker endpoint:
 * the cluster id, this broker as the only broker (the advertised host and
 * port that Metadata gives) and as the controller, and, when asked, the
 * cluster operations a client may perform (all of them: there is no
 * authorizer). Asking a broker for controllers (endpoint type 2) is
 * MISMATCHED_ENDPOINT_TYPE, an unknown type UNSUPPORTED_ENDPOINT_TYPE
 * (INVALID_REQUEST for either in v0), as Kafka answers. */
#include <stdio.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

enum { ENDPOINT_BROKER = 1, ENDPOINT_CONTROLLER = 2 };

/* Kafka's AclOperation codes for the CLUSTER resource without an
 * authorizer: CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS,
 * ALTER_CONFIGS, IDEMPOTENT_WRITE. */
enum { CLUSTER_OPERATIONS = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) |
                            (1 << 12) };

/* An error for an endpoint type other than brokers; false when none. */
static bool endpoint_error(request *rq, int8_t type, kp_describe_cluster_response *resp)
{
    char msg[128];
    bool v0 = request_version(rq) == 0;
    if (type == ENDPOINT_BROKER)
        return false;
    if (type == ENDPOINT_CONTROLLER) {
        resp->error_code = v0 ? KAFKA_INVALID_REQUEST : KAFKA_MISMATCHED_ENDPOINT_TYPE;
        snprintf(msg, sizeof(msg), "The request was sent to an endpoint of type BROKER, but we "
                 "wanted an endpoint of type CONTROLLER");
    } else {
        resp->error_code = v0 ? KAFKA_INVALID_REQUEST : KAFKA_UNSUPPORTED_ENDPOINT_TYPE;
        snprintf(msg, sizeof(msg), "Unsupported endpoint type %d", (int)type);
    }
    resp->error_message = request_text(rq, msg);
    return true;
}

static bool fill(request *rq, kp_describe_cluster_response *resp)
{
    const kp_describe_cluster_request *req = rq->req.body;
    const broker *b = rq->b;
    resp->brokers = st_arena_alloc(&rq->arena, sizeof(*resp->brokers));
    if (!resp->brokers)
        return false;
    kp_init(&kp_describe_cluster_response_describe_cluster_broker_desc, resp->brokers);
    resp->brokers->broker_id = b->identity.node_id;
    resp->brokers->host = st_slice_cstr(b->advertised->host);
    resp->brokers->port = b->advertised->port;
    resp->brokers->rack = st_slice_cstr(b->cfg.broker_rack);
    resp->brokers_count = 1;
    resp->cluster_id = st_slice_cstr(b->identity.cluster_id);
    resp->controller_id = b->identity.node_id;
    resp->endpoint_type = ENDPOINT_BROKER;
    if (req->include_cluster_authorized_operations)
        resp->cluster_authorized_operations = CLUSTER_OPERATIONS;
    return true;
}

void handle_describe_cluster(request *rq)
{
    const kp_describe_cluster_request *req = rq->req.body;
    kp_describe_cluster_response *resp = request_new_response_body(rq);
    if (!resp || (!endpoint_error(rq, req->endpoint_type, resp) && !fill(rq, resp))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}
