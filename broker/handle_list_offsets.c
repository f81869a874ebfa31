/* handle_list_offsets.c — ListOffsets v0-8: the latest offset (high
 * watermark, or last stable offset for read_committed), the earliest (log
 * start), the first record at or after a timestamp (time index, then the
 * records of the candidate batch), and the record with the largest
 * timestamp (-3, KIP-734). v0 answers in its old form, a list of offsets. */
#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

enum {
    LATEST_TIMESTAMP = -1,
    EARLIEST_TIMESTAMP = -2,
    MAX_TIMESTAMP = -3,
    EARLIEST_LOCAL_TIMESTAMP = -4,
    READ_COMMITTED = 1,
};

typedef kp_list_offsets_response_list_offsets_partition_response partition_answer;

static void answer_lookup(partition_answer *out, const st_log_timestamp_lookup *found,
                          int64_t limit)
{
    if (found->found && found->offset < limit) {
        out->offset = found->offset;
        out->timestamp = found->timestamp;
        out->leader_epoch = found->leader_epoch;
    }
}

static void lookup(const request *rq, partition *p, int64_t ts, partition_answer *out)
{
    const kp_list_offsets_request *req = rq->req.body;
    int64_t limit = req->isolation_level == READ_COMMITTED ? partition_last_stable_offset(p)
                                                           : partition_high_watermark(p);
    out->leader_epoch = p->leader_epoch;
    st_log_timestamp_lookup found = {false, -1, -1, -1};
    st_err err = ST_OK;
    switch (ts) {
    case LATEST_TIMESTAMP:
        out->offset = limit;
        break;
    case EARLIEST_TIMESTAMP:
    case EARLIEST_LOCAL_TIMESTAMP:
        out->offset = st_log_start_offset(p->log);
        break;
    case MAX_TIMESTAMP:
        err = st_log_max_timestamp(p->log, &found);
        answer_lookup(out, &found, limit);
        break;
    default:
        if (ts < 0) {
            out->error_code = KAFKA_INVALID_REQUEST;
            break;
        }
        err = st_log_offset_for_timestamp(p->log, ts, &found);
        answer_lookup(out, &found, limit);
    }
    if (err)
        out->error_code = KAFKA_KAFKA_STORAGE_ERROR;
}

static bool answer_partition(request *rq, st_slice topic_name,
                             const kp_list_offsets_request_list_offsets_partition *in,
                             partition_answer *out)
{
    kp_init(&kp_list_offsets_response_list_offsets_partition_response_desc, out);
    out->partition_index = in->partition_index;
    out->offset = -1;
    out->timestamp = -1;
    out->leader_epoch = -1;
    partition *p = broker_find_partition(rq->b, topic_name, in->partition_index);
    if (!p)
        out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    else if (!(out->error_code = partition_epoch_error(p, in->current_leader_epoch)))
        lookup(rq, p, in->timestamp, out);
    if (request_version(rq) == 0 && !out->error_code && out->offset >= 0) {
        out->old_style_offsets = st_arena_alloc(&rq->arena, sizeof(int64_t));
        if (!out->old_style_offsets)
            return false;
        out->old_style_offsets[0] = out->offset;
        out->old_style_offsets_count = 1;
    }
    return true;
}

void handle_list_offsets(request *rq)
{
    const kp_list_offsets_request *req = rq->req.body;
    kp_list_offsets_response *resp = request_new_response_body(rq);
    bool ok = resp && (resp->topics = st_arena_calloc(&rq->arena, (size_t)req->topics_count + 1,
                                                      sizeof(*resp->topics)));
    for (int32_t i = 0; ok && i < req->topics_count; i++) {
        const kp_list_offsets_request_list_offsets_topic *in = &req->topics[i];
        kp_list_offsets_response_list_offsets_topic_response *out = &resp->topics[i];
        kp_init(&kp_list_offsets_response_list_offsets_topic_response_desc, out);
        out->name = in->name;
        out->partitions = st_arena_calloc(&rq->arena, (size_t)in->partitions_count + 1,
                                          sizeof(*out->partitions));
        ok = out->partitions != NULL;
        out->partitions_count = in->partitions_count;
        for (int32_t k = 0; ok && k < in->partitions_count; k++)
            ok = answer_partition(rq, in->name, &in->partitions[k], &out->partitions[k]);
    }
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->topics_count = req->topics_count;
    request_respond(rq, resp);
}
