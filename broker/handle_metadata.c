/* handle_metadata.c — Metadata v0-12: this broker as the only broker and
 * controller, every requested topic (all topics for a null list, or an
 * empty one before v1), with topic ids, and auto-creation of unknown topics
 * when auto.create.topics.enable and the request allow it. */
#include <string.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

enum { AUTHORIZED_OPERATIONS_OMITTED = INT32_MIN };

static bool fill_partitions(request *rq, const topic *t, kp_metadata_response_topic *out)
{
    const broker *b = rq->b;
    out->partitions = st_arena_calloc(&rq->arena, (size_t)t->partition_count,
                                      sizeof(*out->partitions));
    int32_t *node = st_arena_alloc(&rq->arena, sizeof(int32_t));
    if (!out->partitions || !node)
        return false;
    *node = b->identity.node_id;
    for (int32_t i = 0; i < t->partition_count; i++) {
        kp_metadata_response_partition *p = &out->partitions[i];
        kp_init(&kp_metadata_response_partition_desc, p);
        p->partition_index = i;
        p->leader_id = b->identity.node_id;
        p->leader_epoch = t->partitions[i] ? t->partitions[i]->leader_epoch : 0;
        p->replica_nodes = node;
        p->replica_nodes_count = 1;
        p->isr_nodes = node;
        p->isr_nodes_count = 1;
        p->offline_replicas_count = 0;
    }
    out->partitions_count = t->partition_count;
    return true;
}

static bool fill_topic(request *rq, const topic *t, kp_metadata_response_topic *out)
{
    kp_init(&kp_metadata_response_topic_desc, out);
    out->name = st_slice_cstr(t->name);
    out->topic_id = t->id;
    out->is_internal = t->internal;
    out->topic_authorized_operations = AUTHORIZED_OPERATIONS_OMITTED;
    return fill_partitions(rq, t, out);
}

static bool may_auto_create(const request *rq, const kp_metadata_request *req, st_slice name)
{
    bool allowed = request_version(rq) < 4 || req->allow_auto_topic_creation;
    return allowed && rq->b->cfg.auto_create_topics_enable && !topic_name_internal(name);
}

/* One requested topic: found, auto-created, or the right error. */
static bool answer_topic(request *rq, const kp_metadata_request *req,
                         const kp_metadata_request_topic *want, kp_metadata_response_topic *out)
{
    broker *b = rq->b;
    topic *t = want->name.len >= 0 ? topic_registry_find(&b->topics, want->name)
                                   : topic_registry_find_id(&b->topics, want->topic_id);
    if (!t && want->name.len >= 0 && may_auto_create(rq, req, want->name)) {
        char msg[256];
        topic_spec spec = {want->name, -1, -1, NULL, false};
        int16_t code = topic_admin_create(b, &spec, &t, msg, sizeof(msg));
        if (code && code != KAFKA_TOPIC_ALREADY_EXISTS)
            t = NULL;
    }
    if (t)
        return fill_topic(rq, t, out);
    kp_init(&kp_metadata_response_topic_desc, out);
    out->name = want->name;
    out->topic_id = want->topic_id;
    out->partitions_count = 0;
    out->topic_authorized_operations = AUTHORIZED_OPERATIONS_OMITTED;
    if (want->name.len < 0)
        out->error_code = KAFKA_UNKNOWN_TOPIC_ID;
    else if (!topic_name_valid(want->name, NULL))
        out->error_code = KAFKA_INVALID_TOPIC_EXCEPTION;
    else
        out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    return true;
}

static bool all_topics(request *rq, kp_metadata_response *resp)
{
    const topic_registry *reg = &rq->b->topics;
    resp->topics = st_arena_calloc(&rq->arena, reg->by_name.count + 1, sizeof(*resp->topics));
    if (!resp->topics)
        return false;
    size_t pos = 0, n = 0;
    const char *key;
    void *value;
    while (strmap_next(&reg->by_name, &pos, &key, &value))
        if (!fill_topic(rq, value, &resp->topics[n++]))
            return false;
    resp->topics_count = (int32_t)n;
    return true;
}

static bool requested_topics(request *rq, const kp_metadata_request *req,
                             kp_metadata_response *resp)
{
    resp->topics = st_arena_calloc(&rq->arena, (size_t)req->topics_count + 1,
                                   sizeof(*resp->topics));
    if (!resp->topics)
        return false;
    for (int32_t i = 0; i < req->topics_count; i++)
        if (!answer_topic(rq, req, &req->topics[i], &resp->topics[i]))
            return false;
    resp->topics_count = req->topics_count;
    return true;
}

static bool fill_broker(request *rq, kp_metadata_response *resp)
{
    const broker *b = rq->b;
    resp->brokers = st_arena_alloc(&rq->arena, sizeof(*resp->brokers));
    if (!resp->brokers)
        return false;
    kp_init(&kp_metadata_response_broker_desc, resp->brokers);
    resp->brokers->node_id = b->identity.node_id;
    resp->brokers->host = st_slice_cstr(b->advertised->host);
    resp->brokers->port = b->advertised->port;
    resp->brokers->rack = st_slice_cstr(b->cfg.broker_rack);
    resp->brokers_count = 1;
    resp->cluster_id = st_slice_cstr(b->identity.cluster_id);
    resp->controller_id = b->identity.node_id;
    resp->cluster_authorized_operations = AUTHORIZED_OPERATIONS_OMITTED;
    return true;
}

void handle_metadata(request *rq)
{
    const kp_metadata_request *req = rq->req.body;
    kp_metadata_response *resp = request_new_response_body(rq);
    bool every = req->topics_count < 0 || (request_version(rq) == 0 && req->topics_count == 0);
    bool ok = resp && fill_broker(rq, resp) &&
              (every ? all_topics(rq, resp) : requested_topics(rq, req, resp));
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}
