/* handle_delete_records.c — DeleteRecords v0-2: moves each partition's log
 * start offset up to the requested offset (-1: the high watermark), as
 * Kafka's ReplicaManager does, and answers the new low watermark (the log
 * start offset). Per partition: unknown → UNKNOWN_TOPIC_OR_PARTITION;
 * Kafka's internal topics → INVALID_TOPIC_EXCEPTION; a topic without the
 * delete cleanup policy → POLICY_VIOLATION; an offset below -1 or above the
 * high watermark → OFFSET_OUT_OF_RANGE. The log does the deleting
 * (st_log_delete_records_before). */
#include <inttypes.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

enum { HIGH_WATERMARK = -1 };

typedef kp_delete_records_response_delete_records_partition_result partition_out;

/* Topic.isInternal: only these two, not every "__" name. */
static bool kafka_internal(st_slice name)
{
    return st_slice_eq_cstr(name, "__consumer_offsets") ||
           st_slice_eq_cstr(name, "__transaction_state");
}

static int16_t delete_before(broker *b, partition *p, int64_t offset)
{
    int64_t hw = partition_high_watermark(p);
    if (offset == HIGH_WATERMARK)
        offset = hw;
    if (offset < 0 || offset > hw)
        return KAFKA_OFFSET_OUT_OF_RANGE;
    int64_t before = st_log_start_offset(p->log);
    st_err err = st_log_delete_records_before(p->log, offset);
    if (err == ST_LOG_OUT_OF_RANGE)
        return KAFKA_OFFSET_OUT_OF_RANGE;
    if (err) {
        st_logf(&b->logger, ST_LOG_ERROR, "log", "DeleteRecords on %s: %s", p->dir,
                st_log_last_error(p->log));
        return KAFKA_KAFKA_STORAGE_ERROR;
    }
    if (st_log_start_offset(p->log) != before)
        st_logf(&b->logger, ST_LOG_INFO, "log",
                "log start offset of %s moved to %" PRId64 " (DeleteRecords)", p->dir,
                st_log_start_offset(p->log));
    return KAFKA_NONE;
}

static void answer_partition(request *rq, st_slice topic_name,
                             const kp_delete_records_request_delete_records_partition *in,
                             partition_out *out)
{
    kp_init(&kp_delete_records_response_delete_records_partition_result_desc, out);
    out->partition_index = in->partition_index;
    out->low_watermark = -1;
    partition *p = broker_find_partition(rq->b, topic_name, in->partition_index);
    if (!p)
        out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    else if (kafka_internal(topic_name))
        out->error_code = KAFKA_INVALID_TOPIC_EXCEPTION;
    else if (!p->topic->config.cleanup_delete)
        out->error_code = KAFKA_POLICY_VIOLATION;
    else
        out->error_code = delete_before(rq->b, p, in->offset);
    if (!out->error_code)
        out->low_watermark = st_log_start_offset(p->log);
}

void handle_delete_records(request *rq)
{
    const kp_delete_records_request *req = rq->req.body;
    kp_delete_records_response *resp = request_new_response_body(rq);
    int32_t n = req->topics_count > 0 ? req->topics_count : 0;
    bool ok = resp && (resp->topics = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                      sizeof(*resp->topics)));
    for (int32_t i = 0; ok && i < n; i++) {
        const kp_delete_records_request_delete_records_topic *in = &req->topics[i];
        kp_delete_records_response_delete_records_topic_result *out = &resp->topics[i];
        int32_t k = in->partitions_count > 0 ? in->partitions_count : 0;
        kp_init(&kp_delete_records_response_delete_records_topic_result_desc, out);
        out->name = in->name;
        out->partitions = st_arena_calloc(&rq->arena, (size_t)k + 1, sizeof(*out->partitions));
        ok = out->partitions != NULL;
        out->partitions_count = k;
        for (int32_t j = 0; ok && j < k; j++)
            answer_partition(rq, in->name, &in->partitions[j], &out->partitions[j]);
    }
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->topics_count = n;
    request_respond(rq, resp);
}
