/* handle_offset_delete.c — OffsetDelete v0: removes a group's committed
 * offsets for partitions of topics the group no longer consumes. A group
 * that still subscribes to the topic answers GROUP_SUBSCRIBED_TO_TOPIC for
 * it; an active group of another protocol type is NON_EMPTY_GROUP; an
 * unknown group is GROUP_ID_NOT_FOUND. */
#include <string.h>

#include "broker/broker.h"
#include "broker/group_store.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

/* Whether some member's subscription (ConsumerProtocolSubscription, any
 * version; kafkajs's v0 layout under version 1 included) names topic. */
static bool member_subscribes(const consumer_group *g, const cg_member *m, st_slice topic,
                              st_arena *arena)
{
    const cg_protocol *p = g->protocol_name ? cg_member_protocol(m, g->protocol_name) : NULL;
    if (!p || p->metadata.len < 2)
        return false;
    st_reader r;
    st_reader_init(&r, p->metadata.ptr, (size_t)p->metadata.len);
    int16_t version = st_read_i16(&r);
    kp_consumer_protocol_subscription sub;
    st_reader body = r;
    if (kp_decode(&kp_consumer_protocol_subscription_message, &sub, version, &body, arena, NULL)) {
        body = r;
        if (kp_decode(&kp_consumer_protocol_subscription_message, &sub, 0, &body, arena, NULL))
            return false;
    }
    for (int32_t i = 0; i < sub.topics_count; i++)
        if (st_slice_eq(sub.topics[i], topic))
            return true;
    return false;
}

static bool group_subscribes(const consumer_group *g, st_slice topic, st_arena *arena)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value))
        if (member_subscribes(g, value, topic, arena))
            return true;
    return false;
}

static int16_t group_error(const consumer_group *g)
{
    if (!g || g->state == GROUP_DEAD)
        return KAFKA_GROUP_ID_NOT_FOUND;
    if (g->state != GROUP_EMPTY && (!g->protocol_type || strcmp(g->protocol_type, "consumer")))
        return KAFKA_NON_EMPTY_GROUP;
    return KAFKA_NONE;
}

static bool answer(request *rq, consumer_group *g, kp_offset_delete_response *resp,
                   group_records *records)
{
    const kp_offset_delete_request *req = rq->req.body;
    resp->topics = st_arena_calloc(&rq->arena, (size_t)req->topics_count + 1,
                                   sizeof(*resp->topics));
    if (!resp->topics)
        return false;
    resp->topics_count = req->topics_count;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const kp_offset_delete_request_topic *in = &req->topics[i];
        kp_offset_delete_response_topic *out = &resp->topics[i];
        out->name = in->name;
        out->partitions = st_arena_calloc(&rq->arena, (size_t)in->partitions_count + 1,
                                          sizeof(*out->partitions));
        if (!out->partitions)
            return false;
        out->partitions_count = in->partitions_count;
        bool subscribed = g->state != GROUP_EMPTY && group_subscribes(g, in->name, &rq->arena);
        for (int32_t k = 0; k < in->partitions_count; k++) {
            out->partitions[k].partition_index = in->partitions[k].partition_index;
            out->partitions[k].error_code = subscribed ? KAFKA_GROUP_SUBSCRIBED_TO_TOPIC
                                                       : KAFKA_NONE;
            if (!subscribed && group_get_offset(g, in->name, in->partitions[k].partition_index))
                group_records_offset(records, g->group_id, in->name,
                                     in->partitions[k].partition_index, NULL);
        }
    }
    return true;
}

static void forget_deleted(consumer_group *g, const kp_offset_delete_response *resp)
{
    for (int32_t i = 0; i < resp->topics_count; i++)
        for (int32_t k = 0; k < resp->topics[i].partitions_count; k++)
            if (!resp->topics[i].partitions[k].error_code)
                group_delete_offset(g, resp->topics[i].name,
                                    resp->topics[i].partitions[k].partition_index);
}

void handle_offset_delete(request *rq)
{
    const kp_offset_delete_request *req = rq->req.body;
    kp_offset_delete_response *resp = request_new_response_body(rq);
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    consumer_group *g = gc_valid_find(&rq->b->groups, req->group_id, &resp->error_code);
    if (!resp->error_code)
        resp->error_code = group_error(g);
    if (resp->error_code) {
        resp->topics_count = 0;
        request_respond(rq, resp);
        return;
    }
    group_records records;
    group_records_init(&records, broker_now_ms(rq->b));
    bool ok = answer(rq, g, resp, &records);
    if (ok && group_records_append(rq->b, g->offsets_partition, &records) != ST_OK)
        resp->error_code = KAFKA_COORDINATOR_NOT_AVAILABLE;
    else if (ok)
        forget_deleted(g, resp);
    group_records_free(&records);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}
