/* handle_create_partitions.c — CreatePartitions v0-3: grows topics to the
 * requested partition count (or only checks that it could, validate_only).
 * Answers per topic as Kafka's controller does: a name given twice gets one
 * INVALID_REQUEST; an unknown topic UNKNOWN_TOPIC_OR_PARTITION; a count that
 * is not an increase INVALID_PARTITIONS; manual assignments must number the
 * new partitions and may name only this broker (INVALID_REPLICA_ASSIGNMENT).
 * The growing itself belongs to topic_admin.c. */
#include <stdio.h>

#include "broker/broker.h"
#include "broker/dup_keys.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

typedef kp_create_partitions_request_create_partitions_topic topic_in;
typedef kp_create_partitions_response_create_partitions_topic_result topic_out;

enum { MSG_MAX = 512 };

static int16_t check_assignments(broker *b, const topic *t, const topic_in *in, char *msg,
                                 size_t len)
{
    if (in->assignments_count < 0)
        return KAFKA_NONE;
    int64_t additional = (int64_t)in->count - t->partition_count;
    if (in->assignments_count != additional) {
        snprintf(msg, len, "Attempted to add %lld additional partition(s), but only %d "
                 "assignment(s) were specified.", (long long)additional, in->assignments_count);
        return KAFKA_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int32_t i = 0; i < in->assignments_count; i++) {
        const kp_create_partitions_request_create_partitions_assignment *a = &in->assignments[i];
        int16_t code = topic_admin_check_replicas(b, a->broker_ids, a->broker_ids_count, msg, len);
        if (code)
            return code;
    }
    return KAFKA_NONE;
}

static int16_t grow_one(request *rq, const topic_in *in, char *msg, size_t len)
{
    const kp_create_partitions_request *req = rq->req.body;
    broker *b = rq->b;
    topic *t = topic_registry_find(&b->topics, in->name);
    if (!t) {
        snprintf(msg, len, "This server does not host this topic-partition.");
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    }
    int16_t code = topic_admin_add_partitions(b, t, in->count, true, msg, len);
    if (!code)
        code = check_assignments(b, t, in, msg, len);
    if (!code && !req->validate_only)
        code = topic_admin_add_partitions(b, t, in->count, false, msg, len);
    return code;
}

static void answer_topic(request *rq, const topic_in *in, bool duplicate, topic_out *out)
{
    char msg[MSG_MAX] = "";
    kp_init(&kp_create_partitions_response_create_partitions_topic_result_desc, out);
    out->name = in->name;
    if (duplicate) {
        out->error_code = KAFKA_INVALID_REQUEST;
        snprintf(msg, sizeof(msg), "Duplicate topic name.");
    } else {
        out->error_code = grow_one(rq, in, msg, sizeof(msg));
    }
    out->error_message = out->error_code ? request_text(rq, msg) : ST_SLICE_NULL;
}

static bool count_names(const kp_create_partitions_request *req, dup_keys *names)
{
    for (int32_t i = 0; i < req->topics_count; i++)
        if (!dup_keys_note(names, req->topics[i].name))
            return false;
    return true;
}

static bool answer_all(request *rq, kp_create_partitions_response *resp, dup_keys *names)
{
    const kp_create_partitions_request *req = rq->req.body;
    int32_t n = 0;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const topic_in *in = &req->topics[i];
        dup_kind dup;
        if (!dup_keys_check(names, in->name, true, &dup))
            return false;
        if (dup != DUP_ANSWERED)
            answer_topic(rq, in, dup == DUP_ANSWER, &resp->results[n++]);
    }
    resp->results_count = n;
    return true;
}

void handle_create_partitions(request *rq)
{
    const kp_create_partitions_request *req = rq->req.body;
    kp_create_partitions_response *resp = request_new_response_body(rq);
    int32_t count = req->topics_count > 0 ? req->topics_count : 0;
    dup_keys names;
    dup_keys_init(&names);
    bool ok = resp && (resp->results = st_arena_calloc(&rq->arena, (size_t)count + 1,
                                                       sizeof(*resp->results)));
    ok = ok && count_names(req, &names) && answer_all(rq, resp, &names);
    dup_keys_free(&names);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}
