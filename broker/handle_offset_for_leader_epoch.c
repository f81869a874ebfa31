/* handle_offset_for_leader_epoch.c — OffsetForLeaderEpoch v0-4: for each
 * partition, the end offset of the requested leader epoch and the largest
 * epoch at or below it (-1/-1 when the log knows none), from the log's
 * leader epoch cache, as Kafka's Partition.lastOffsetForLeaderEpoch
 * answers consumers (truncation checks, KIP-320) and followers. A current
 * leader epoch (v2+) older than the partition's is FENCED_LEADER_EPOCH, a
 * newer one UNKNOWN_LEADER_EPOCH; an unknown partition is
 * UNKNOWN_TOPIC_OR_PARTITION. replica_id (v3+) changes nothing: this broker
 * is the leader of everything it hosts. */
#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

typedef kp_offset_for_leader_epoch_request_offset_for_leader_partition partition_in;
typedef kp_offset_for_leader_epoch_response_epoch_end_offset partition_out;

static void answer_partition(request *rq, st_slice topic_name, const partition_in *in,
                             partition_out *out)
{
    kp_init(&kp_offset_for_leader_epoch_response_epoch_end_offset_desc, out);
    out->partition = in->partition;
    out->leader_epoch = -1;
    out->end_offset = -1;
    partition *p = broker_find_partition(rq->b, topic_name, in->partition);
    if (!p) {
        out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    out->error_code = partition_epoch_error(p, in->current_leader_epoch);
    if (out->error_code)
        return;
    int32_t epoch = -1;
    int64_t end = -1;
    if (st_log_end_offset_for_epoch(p->log, in->leader_epoch, &epoch, &end) != ST_OK) {
        out->error_code = KAFKA_KAFKA_STORAGE_ERROR;
        return;
    }
    out->leader_epoch = epoch;
    out->end_offset = end;
}

void handle_offset_for_leader_epoch(request *rq)
{
    const kp_offset_for_leader_epoch_request *req = rq->req.body;
    kp_offset_for_leader_epoch_response *resp = request_new_response_body(rq);
    int32_t n = req->topics_count > 0 ? req->topics_count : 0;
    bool ok = resp && (resp->topics = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                      sizeof(*resp->topics)));
    for (int32_t i = 0; ok && i < n; i++) {
        const kp_offset_for_leader_epoch_request_offset_for_leader_topic *in = &req->topics[i];
        kp_offset_for_leader_epoch_response_offset_for_leader_topic_result *out =
            &resp->topics[i];
        int32_t k = in->partitions_count > 0 ? in->partitions_count : 0;
        kp_init(&kp_offset_for_leader_epoch_response_offset_for_leader_topic_result_desc, out);
        out->topic = in->topic;
        out->partitions = st_arena_calloc(&rq->arena, (size_t)k + 1, sizeof(*out->partitions));
        ok = out->partitions != NULL;
        out->partitions_count = k;
        for (int32_t j = 0; ok && j < k; j++)
            answer_partition(rq, in->topic, &in->partitions[j], &out->partitions[j]);
    }
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->topics_count = n;
    request_respond(rq, resp);
}
