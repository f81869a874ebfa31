/* handle_fetch.c — Fetch v4-17 for consumers: whole batches straight from
 * segment files (sendfile, no copy through user space), per-partition and
 * per-request byte limits with KIP-74's "at least one batch", topic ids in
 * v13+, the last stable offset and aborted-transactions list that
 * read_committed consumers expect, long polling (max_wait_ms / min_bytes)
 * in the purgatory, and a correct sessionless answer to fetch sessions
 * (session id 0: every request is a full fetch). */
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

enum { READ_COMMITTED = 1 };

typedef struct fetch_op {
    delayed_op op;
    request *rq;
    st_arena scratch; /* one attempt's response; reset between attempts */
} fetch_op;

typedef struct fetch_attempt {
    request *rq;
    st_arena *arena;
    kp_fetch_response *resp;
    int64_t bytes;          /* record bytes gathered */
    int32_t budget;         /* request max_bytes left */
    bool any_error;
    bool min_one_batch;     /* KIP-74: until the first partition with data */
} fetch_attempt;

/* ---- one partition ------------------------------------------------------- */

static topic *find_topic(const fetch_attempt *fa, const kp_fetch_request_fetch_topic *ft)
{
    const topic_registry *reg = &fa->rq->b->topics;
    return request_version(fa->rq) >= 13 ? topic_registry_find_id(reg, ft->topic_id)
                                         : topic_registry_find(reg, ft->topic);
}

static void read_partition(fetch_attempt *fa, partition *p, const kp_fetch_request_fetch_partition *in,
                           kp_fetch_response_partition_data *out, bool read_committed)
{
    out->high_watermark = partition_high_watermark(p);
    out->last_stable_offset = partition_last_stable_offset(p);
    out->log_start_offset = st_log_start_offset(p->log);
    if ((out->error_code = partition_epoch_error(p, in->current_leader_epoch)))
        return;
    int64_t max_offset = read_committed ? out->last_stable_offset : out->high_watermark;
    int32_t limit = in->partition_max_bytes < fa->budget ? in->partition_max_bytes : fa->budget;
    st_log_range *range = st_arena_alloc(fa->arena, sizeof(*range));
    if (!range) {
        out->error_code = KAFKA_UNKNOWN_SERVER_ERROR;
        return;
    }
    st_err err = st_log_read(p->log, in->fetch_offset, max_offset, limit < 0 ? 0 : limit,
                             fa->min_one_batch, range);
    if (err) {
        out->error_code = err == ST_LOG_OUT_OF_RANGE ? KAFKA_OFFSET_OUT_OF_RANGE
                                                     : KAFKA_KAFKA_STORAGE_ERROR;
        return;
    }
    if (range->length == 0) {
        st_log_range_release(range);
        return;
    }
    out->records = (st_slice){(const uint8_t *)range, (int32_t)range->length};
    fa->bytes += range->length;
    fa->budget -= (int32_t)(range->length < fa->budget ? range->length : fa->budget);
    fa->min_one_batch = false;
}

static void fetch_partition(fetch_attempt *fa, topic *t, const kp_fetch_request_fetch_partition *in,
                            kp_fetch_response_partition_data *out, bool read_committed)
{
    kp_init(&kp_fetch_response_partition_data_desc, out);
    out->partition_index = in->partition;
    out->high_watermark = out->last_stable_offset = out->log_start_offset = -1;
    out->records = ST_SLICE_EMPTY;
    if (read_committed)
        out->aborted_transactions_count = 0; /* an empty list, not null */
    partition *p = t && in->partition >= 0 && in->partition < t->partition_count
                       ? t->partitions[in->partition]
                       : NULL;
    if (!p)
        out->error_code = !t && request_version(fa->rq) >= 13 ? KAFKA_UNKNOWN_TOPIC_ID
                                                              : KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    else
        read_partition(fa, p, in, out, read_committed);
    if (out->error_code)
        fa->any_error = true;
}

/* ---- the whole response -------------------------------------------------- */

static bool build_response(fetch_attempt *fa)
{
    const kp_fetch_request *req = fa->rq->req.body;
    kp_fetch_response *resp = st_arena_alloc(fa->arena, sizeof(*resp));
    if (!resp)
        return false;
    kp_fetch_response_init(resp);
    fa->resp = resp;
    resp->responses = st_arena_calloc(fa->arena, (size_t)req->topics_count + 1,
                                      sizeof(*resp->responses));
    if (!resp->responses)
        return false;
    resp->responses_count = req->topics_count;
    bool read_committed = req->isolation_level == READ_COMMITTED;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const kp_fetch_request_fetch_topic *ft = &req->topics[i];
        kp_fetch_response_fetchable_topic_response *out = &resp->responses[i];
        kp_init(&kp_fetch_response_fetchable_topic_response_desc, out);
        out->topic = ft->topic;
        out->topic_id = ft->topic_id;
        out->partitions = st_arena_calloc(fa->arena, (size_t)ft->partitions_count + 1,
                                          sizeof(*out->partitions));
        if (!out->partitions)
            return false;
        out->partitions_count = ft->partitions_count;
        topic *t = find_topic(fa, ft);
        for (int32_t k = 0; k < ft->partitions_count; k++)
            fetch_partition(fa, t, &ft->partitions[k], &out->partitions[k], read_committed);
    }
    return true;
}

/* Releases every range an attempt still holds (not handed to a response). */
static void release_ranges(kp_fetch_response *resp)
{
    for (int32_t i = 0; resp && i < resp->responses_count; i++)
        for (int32_t k = 0; k < resp->responses[i].partitions_count; k++) {
            kp_fetch_response_partition_data *pd = &resp->responses[i].partitions[k];
            if (pd->records.len > 0)
                st_log_range_release((st_log_range *)pd->records.ptr);
            pd->records = ST_SLICE_EMPTY;
        }
}

static void release_range_copy(void *ctx)
{
    st_log_range_release(ctx);
    free(ctx);
}

/* kp_records_writer: the records of a partition become a file splice. */
static void write_range(void *ctx, st_slice records, st_buf *out)
{
    (void)out;
    response *r = ctx;
    st_log_range *range = (st_log_range *)records.ptr;
    st_log_range *copy = malloc(sizeof(*copy));
    if (!copy) {
        r->bytes.err = ST_ERR_NOMEM;
        return;
    }
    *copy = *range;
    range->segment = NULL; /* ownership moved to the splice */
    range->length = 0;
    response_add_splice(r, copy->fd, (off_t)copy->position, (size_t)copy->length,
                        release_range_copy, copy);
}

static int64_t splice_bytes(const kp_fetch_response *resp)
{
    int64_t n = 0;
    for (int32_t i = 0; i < resp->responses_count; i++)
        for (int32_t k = 0; k < resp->responses[i].partitions_count; k++)
            if (resp->responses[i].partitions[k].records.len > 0)
                n += resp->responses[i].partitions[k].records.len;
    return n;
}

static void send_fetch_response(request *rq, kp_fetch_response *resp)
{
    response *r = response_new();
    if (!r) {
        release_ranges(resp);
        request_close_connection(rq, "out of memory");
        return;
    }
    kp_records_writer writer = {write_range, r};
    st_err err = kp_response_encode_with(rq->req.api->api_key, request_version(rq),
                                         rq->req.header.correlation_id, resp, &r->bytes, &writer,
                                         (size_t)splice_bytes(resp));
    release_ranges(resp); /* what was not moved into splices */
    if (err) {
        response_free(r);
        request_close_connection(rq, "cannot encode a fetch response");
        return;
    }
    request_send_response(rq, r);
}

/* One attempt: answers (and returns true) when there is enough data, an
 * error, no wait asked for, or forced; else releases what it read. */
static bool attempt(request *rq, st_arena *arena, bool forced)
{
    const kp_fetch_request *req = rq->req.body;
    fetch_attempt fa = {rq, arena, NULL, 0, req->max_bytes, false, true};
    if (!build_response(&fa)) {
        release_ranges(fa.resp);
        request_close_connection(rq, "out of memory");
        return true;
    }
    bool enough = fa.bytes >= req->min_bytes || fa.any_error || req->max_wait_ms <= 0;
    if (!enough && !forced && connection_is_open(rq->conn)) {
        release_ranges(fa.resp);
        return false;
    }
    send_fetch_response(rq, fa.resp);
    return true;
}

static bool fetch_op_try(delayed_op *op, bool forced)
{
    fetch_op *fo = (fetch_op *)op;
    st_arena_reset(&fo->scratch);
    if (attempt(fo->rq, &fo->scratch, forced)) {
        fo->rq = NULL;
        return true;
    }
    return false;
}

static void fetch_op_free(delayed_op *op)
{
    fetch_op *fo = (fetch_op *)op;
    st_arena_free(&fo->scratch);
    free(fo);
}

/* Sessions are never created (the answer's session id is 0), so a request
 * naming one, or continuing one, is answered with the session error. */
static int16_t session_error(const request *rq, const kp_fetch_request *req)
{
    if (request_version(rq) < 7)
        return KAFKA_NONE;
    if (req->session_id != 0)
        return KAFKA_FETCH_SESSION_ID_NOT_FOUND;
    if (req->session_epoch > 0)
        return KAFKA_INVALID_FETCH_SESSION_EPOCH;
    return KAFKA_NONE;
}

void handle_fetch(request *rq)
{
    const kp_fetch_request *req = rq->req.body;
    int16_t session = session_error(rq, req);
    if (session) {
        kp_fetch_response *resp = request_new_response_body(rq);
        if (!resp) {
            request_close_connection(rq, "out of memory");
            return;
        }
        resp->error_code = session;
        resp->responses_count = 0;
        request_respond(rq, resp);
        return;
    }
    fetch_op *fo = calloc(1, sizeof(*fo));
    if (!fo) {
        request_close_connection(rq, "out of memory");
        return;
    }
    st_arena_init(&fo->scratch);
    fo->rq = rq;
    if (attempt(rq, &fo->scratch, rq->b->shutting_down)) {
        fetch_op_free(&fo->op);
        return;
    }
    fo->op.try_complete = fetch_op_try;
    fo->op.free = fetch_op_free;
    purgatory_add(&rq->b->fetch_purgatory, &fo->op, req->max_wait_ms);
}
