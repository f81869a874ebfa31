/* handle_produce.c — Produce v0-11 (v0-2's magic 0/1 message sets are
 * converted to record batches): validate each partition's batch, dedupe
 * idempotent retries, recompress when the topic's compression.type asks
 * for another codec, append with offsets assigned, answer per partition
 * (nothing at all for acks=0), and wake waiting fetches. */
#include <string.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/produce_validate.h"
#include "broker/topic_admin.h"
#include "common/batch_recompress.h"
#include "common/kafka_error.h"

enum { MAX_UNCOMPRESSED_FACTOR = 64 };

typedef struct produce_ctx {
    request *rq;
    int64_t now_ms;
    int16_t acks;
    bool appended;
} produce_ctx;

/* The in-sync replicas of a partition on this single node. */
enum { ISR_SIZE = 1 };

static size_t max_uncompressed(const topic *t)
{
    return (size_t)t->config.max_message_bytes * MAX_UNCOMPRESSED_FACTOR;
}

/* The batch bytes to append: the request's own (edited in place), or a
 * recompressed copy in the request's arena. */
static int16_t batch_to_append(produce_ctx *pc, const topic *t, const st_batch *batch,
                               uint8_t **bytes, size_t *len)
{
    *bytes = (uint8_t *)batch->data; /* the frame belongs to this request */
    *len = batch->size;
    int codec = t->config.compression;
    if (codec == BROKER_COMPRESSION_PRODUCER || codec == st_batch_codec(&batch->header))
        return KAFKA_NONE;
    st_buf out;
    st_buf_init(&out);
    st_compress_opts opts = ST_COMPRESS_OPTS_DEFAULT;
    opts.level = t->config.compression_level;
    opts.snappy_xerial = true; /* what Kafka itself writes */
    st_err err = st_batch_recompress(batch, codec, &opts, max_uncompressed(t), &out);
    uint8_t *copy = err ? NULL : st_arena_alloc(&pc->rq->arena, out.len);
    if (copy) {
        memcpy(copy, out.data, out.len);
        *bytes = copy;
        *len = out.len;
    }
    st_buf_free(&out);
    return copy ? KAFKA_NONE : KAFKA_CORRUPT_MESSAGE;
}

static int16_t append_error(st_err err)
{
    if (err == ST_ERR_TOO_LARGE)
        return KAFKA_RECORD_LIST_TOO_LARGE;
    if (err == ST_ERR_MALFORMED)
        return KAFKA_CORRUPT_MESSAGE;
    return KAFKA_KAFKA_STORAGE_ERROR;
}

static void append_batch(produce_ctx *pc, partition *p, const st_batch *batch,
                         kp_produce_response_partition_produce_response *out)
{
    broker *b = pc->rq->b;
    const topic *t = p->topic;
    bool idempotent = batch->header.producer_id >= 0;
    producer_check check = {KAFKA_NONE, false, -1, -1};
    if (idempotent)
        check = producer_state_check(&p->producers, &batch->header);
    if (check.error || check.duplicate) {
        out->error_code = check.error;
        out->base_offset = check.first_offset;
        out->log_start_offset = st_log_start_offset(p->log);
        return;
    }
    uint8_t *bytes;
    size_t len;
    out->error_code = batch_to_append(pc, t, batch, &bytes, &len);
    if (out->error_code)
        return;
    st_log_append_opts opts = {pc->now_ms, true, p->leader_epoch,
                               t->config.message_timestamp_type ==
                                   BROKER_TIMESTAMP_LOG_APPEND_TIME};
    st_log_append_result res;
    st_err err = st_log_append(p->log, bytes, len, &opts, &res);
    if (err) {
        st_logf(&b->logger, ST_LOG_ERROR, "produce", "%s: append failed: %s", p->dir,
                st_log_last_error(p->log));
        out->error_code = append_error(err);
        return;
    }
    pc->appended = true;
    if (idempotent)
        producer_state_update(&p->producers, &batch->header, res.first_offset, res.last_offset);
    out->base_offset = res.first_offset;
    out->log_append_time_ms = res.log_append_time;
    out->log_start_offset = res.log_start_offset;
    if (res.flush_due && st_log_flush(p->log, pc->now_ms) != ST_OK)
        st_logf(&b->logger, ST_LOG_ERROR, "produce", "%s: flush failed: %s", p->dir,
                st_log_flush_error(p->log));
}

static void produce_partition(produce_ctx *pc, st_slice topic_name,
                              const kp_produce_request_partition_produce_data *in,
                              kp_produce_response_partition_produce_response *out)
{
    kp_init(&kp_produce_response_partition_produce_response_desc, out);
    out->index = in->index;
    out->base_offset = -1;
    out->log_append_time_ms = -1;
    out->log_start_offset = -1;
    partition *p = broker_find_partition(pc->rq->b, topic_name, in->index);
    if (!p) {
        out->error_code = topic_name_valid(topic_name, NULL) ? KAFKA_UNKNOWN_TOPIC_OR_PARTITION
                                                            : KAFKA_INVALID_TOPIC_EXCEPTION;
        return;
    }
    if (p->topic->internal) {
        out->error_code = KAFKA_INVALID_TOPIC_EXCEPTION;
        out->error_message = st_slice_cstr("cannot append to an internal topic");
        return;
    }
    if (pc->acks == -1 && p->topic->config.min_insync_replicas > ISR_SIZE) {
        out->error_code = KAFKA_NOT_ENOUGH_REPLICAS;
        out->error_message = st_slice_cstr("fewer in-sync replicas than min.insync.replicas");
        return;
    }
    st_buf converted; /* Produce v0-2: the message set as a v2 batch */
    st_buf_init(&converted);
    produce_verdict v = produce_validate(in->records, request_version(pc->rq), &p->topic->config,
                                         pc->now_ms, max_uncompressed(p->topic), &converted);
    if (!v.error && st_batch_is_transactional(&v.batch.header))
        v = (produce_verdict){KAFKA_INVALID_TXN_STATE,
                              "transactions are not supported by this broker yet", v.batch};
    if (v.error) {
        out->error_code = v.error;
        out->error_message = st_slice_cstr(v.message);
    } else {
        append_batch(pc, p, &v.batch, out);
    }
    st_buf_free(&converted);
}

static bool produce_topic(produce_ctx *pc, const kp_produce_request_topic_produce_data *in,
                          kp_produce_response_topic_produce_response *out, int16_t acks_error)
{
    kp_init(&kp_produce_response_topic_produce_response_desc, out);
    out->name = in->name;
    out->partition_responses = st_arena_calloc(&pc->rq->arena,
                                               (size_t)in->partition_data_count + 1,
                                               sizeof(*out->partition_responses));
    if (!out->partition_responses)
        return false;
    out->partition_responses_count = in->partition_data_count;
    for (int32_t i = 0; i < in->partition_data_count; i++) {
        kp_produce_response_partition_produce_response *pr = &out->partition_responses[i];
        if (acks_error) {
            kp_init(&kp_produce_response_partition_produce_response_desc, pr);
            pr->index = in->partition_data[i].index;
            pr->error_code = acks_error;
            pr->base_offset = pr->log_append_time_ms = pr->log_start_offset = -1;
        } else {
            produce_partition(pc, in->name, &in->partition_data[i], pr);
        }
    }
    return true;
}

void handle_produce(request *rq)
{
    const kp_produce_request *req = rq->req.body;
    kp_produce_response *resp = request_new_response_body(rq);
    produce_ctx pc = {rq, broker_now_ms(rq->b), req->acks, false};
    int16_t acks_error = (req->acks == 0 || req->acks == 1 || req->acks == -1)
                             ? KAFKA_NONE
                             : KAFKA_INVALID_REQUIRED_ACKS;
    if (!resp || !(resp->responses = st_arena_calloc(&rq->arena,
                                                     (size_t)req->topic_data_count + 1,
                                                     sizeof(*resp->responses)))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->responses_count = req->topic_data_count;
    for (int32_t i = 0; i < req->topic_data_count; i++)
        if (!produce_topic(&pc, &req->topic_data[i], &resp->responses[i], acks_error)) {
            request_close_connection(rq, "out of memory");
            return;
        }
    if (pc.appended)
        purgatory_check(&rq->b->fetch_purgatory);
    if (req->acks == 0)
        request_finish_silently(rq);
    else
        request_respond(rq, resp);
}
