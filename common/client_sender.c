/* client_sender.c — from ready batches to Produce requests and back (see
 * client_producer.h).
 *
 * Owns: expiring batches past delivery.timeout.ms, choosing which batches
 * go out now (at most one per partition per request, as in Java; at most
 * max.in.flight.requests.per.connection requests per connection; requests
 * no larger than max.request.size; nothing for a partition while a retried
 * batch waits for its predecessors to return, or while its leader moved and
 * batches are still in flight to the old one), building the wire bytes
 * (compression, producer id, epoch, sequence), sending to the leader, and
 * handling each partition's answer: done, retry (in order, with backoff,
 * refreshing metadata when the error says it is stale), split (a batch of
 * several records refused as too large goes back as two halves, halved
 * again if refused again, down to single records), or failed; and,
 * with enable.gapless.guarantee, the halted partitions: after a batch failed
 * for good none of the later batches is sent again, and they fail in order
 * once nothing of the partition is in flight.
 *
 * Never blocks and never calls a user callback: completions go to the done
 * queue, which the producer serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_producer.h"

typedef struct produce_ctx {
    kc_producer *p;
    size_t count;
    kc_batch *batches[];
} produce_ctx;

/* The batches bound for one connection in this round. */
typedef struct node_set {
    kc_conn *conn;
    size_t count;
    size_t cap;
    size_t bytes;
    kc_batch **batches;
} node_set;

typedef struct round {
    node_set *sets;
    size_t count;
    size_t cap;
} round;

/* ---- errors ---------------------------------------------------------------------- */

static bool metadata_is_stale(kc_err err)
{
    switch (err) {
    case KAFKA_NOT_LEADER_OR_FOLLOWER:
    case KAFKA_UNKNOWN_TOPIC_OR_PARTITION:
    case KAFKA_LEADER_NOT_AVAILABLE:
    case KAFKA_FENCED_LEADER_EPOCH:
    case KAFKA_UNKNOWN_LEADER_EPOCH:
    case KAFKA_KAFKA_STORAGE_ERROR:
    case KAFKA_NOT_ENOUGH_REPLICAS:
    case KC_ERR_TRANSPORT:
    case KC_ERR_TIMED_OUT:
        return true;
    default:
        return false;
    }
}

static void retry_later(kc_producer *p, kc_batch *b, int64_t now)
{
    kc_client *c = p->client;
    kc_partq *pq = b->pq;
    b->retry_at_ms = now + kc_backoff_ms(c, c->conf->retry_backoff_ms,
                                         c->conf->retry_backoff_max_ms, b->attempts);
    pq->retry_barrier = true;
    kc_partq_requeue(pq, b);
}

/* A batch of several records refused as too large (max.message.bytes, or
 * what the log takes) is split in two and sent again, as Java's
 * splitAndReenqueue: the halves take its place at the head of the queue,
 * in order, with its sequence numbers (the broker appended none of them),
 * so the batches behind it, refused with OUT_OF_ORDER_SEQUENCE_NUMBER,
 * are retried after them and no new producer id is needed. A half refused
 * again is halved again; a single record refused fails as any error. */
static bool split_refused(kc_producer *p, kc_batch *b, kc_err err, const char *msg)
{
    if ((err != KAFKA_MESSAGE_TOO_LARGE && err != KAFKA_RECORD_LIST_TOO_LARGE) ||
        b->count < 2 || p->destroying)
        return false;
    kc_partq *pq = b->pq;
    int32_t count = b->count;
    size_t bytes = b->wire.len;
    kc_batch *pieces[2];
    st_err serr = kc_batch_split(&p->accum, b, pieces);
    if (serr) {
        kc_log(p->client, ST_LOG_WARN, "could not split a batch of %d records for %s-%d (%s): "
               "%s", count, pq->topic, pq->partition, st_err_name(serr), msg);
        return false;
    }
    /* debug: a target with a small max.message.bytes splits every batch */
    kc_log(p->client, ST_LOG_DEBUG, "splitting a batch of %d records (%zu bytes) for %s-%d in "
           "%d and %d, and retrying: %s", count, bytes, pq->topic, pq->partition,
           pieces[0]->count, pieces[1]->count, msg);
    pq->retry_barrier = true;
    kc_partq_requeue(pq, pieces[0]);
    kc_partq_requeue(pq, pieces[1]);
    return true;
}

/* A batch came back with err (a Kafka code or a transport error). */
static void batch_failed(kc_producer *p, kc_batch *b, kc_err err, const char *msg)
{
    kc_partq *pq = b->pq;
    int64_t now = kc_now_ms();
    if (kc_partq_halts(pq, b) && err != KC_ERR_DESTROYED) {
        /* behind a batch that failed for good: never retried (typically
         * OUT_OF_ORDER_SEQUENCE_NUMBER, as the broker never appended the
         * failed batch's sequence), and no new producer id for it */
        kc_log(p->client, ST_LOG_DEBUG, "failing %d record(s) for %s-%d behind the halt, not "
               "retried: %s", b->count, pq->topic, pq->partition, msg);
        kc_producer_complete(p, b, pq->halt_err, pq->halt_msg);
        return;
    }
    if (split_refused(p, b, err, msg))
        return;
    bool idempotent = p->idem.state != KC_IDEM_OFF;
    bool retriable = kc_err_retriable(err) || err == KC_ERR_BAD_RESPONSE;
    if (metadata_is_stale(err))
        kc_metadata_invalidate(p->client);
    if (idempotent && err == KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER) {
        /* Out of order behind a batch being retried: retry too. Out of order
         * for the very batch the broker expects: the broker lost our state. */
        retriable = b->base_sequence != pq->acked_sequence_end;
        if (!retriable)
            kc_idem_need_reset(p, "OUT_OF_ORDER_SEQUENCE_NUMBER for the expected sequence");
    }
    if (idempotent && (err == KAFKA_UNKNOWN_PRODUCER_ID || err == KAFKA_INVALID_PRODUCER_EPOCH)) {
        retriable = true;
        kc_idem_need_reset(p, kafka_error_name((int16_t)err));
    }
    bool in_time = now - b->created_ms < p->conf->delivery_timeout_ms;
    if (retriable && in_time && b->attempts <= p->conf->retries && !p->destroying &&
        err != KC_ERR_DESTROYED) {
        kc_log(p->client, ST_LOG_DEBUG, "retrying %d record(s) for %s-%d (attempt %d): %s",
               b->count, pq->topic, pq->partition, b->attempts + 1, msg);
        retry_later(p, b, now);
        return;
    }
    char why[512];
    if (retriable && !in_time)
        snprintf(why, sizeof(why), "delivery.timeout.ms (%d) passed: %s",
                 p->conf->delivery_timeout_ms, msg);
    else
        snprintf(why, sizeof(why), "%s", msg);
    kc_err final = retriable && !in_time ? KC_ERR_MSG_TIMED_OUT : err;
    /* The partition's sequence now has a gap. Gapless: nothing after this
     * batch is written (no reset needed, its later batches are never sent).
     * Otherwise, as Java: a new producer id, and the later batches go on. */
    if (p->conf->enable_gapless_guarantee)
        kc_producer_halt_partition(p, b, final, why);
    else if (idempotent && b->base_sequence >= 0 && err != KC_ERR_DESTROYED)
        kc_idem_need_reset(p, "a batch failed and left a gap in the sequence numbers");
    kc_producer_complete(p, b, final, why);
}

/* ---- responses ------------------------------------------------------------------- */

static kc_batch *find_batch(produce_ctx *ctx, st_slice topic, int32_t partition)
{
    for (size_t i = 0; i < ctx->count; i++) {
        kc_batch *b = ctx->batches[i];
        if (b && b->pq->partition == partition && st_slice_eq_cstr(topic, b->pq->topic))
            return b;
    }
    return NULL;
}

static void partition_answered(kc_producer *p, kc_batch *b,
                               const kp_produce_response_partition_produce_response *pr)
{
    int16_t code = pr->error_code;
    if (code == KAFKA_NONE || code == KAFKA_DUPLICATE_SEQUENCE_NUMBER) {
        b->base_offset = pr->base_offset;
        b->log_append_time = pr->log_append_time_ms;
        kc_idem_acked(p, b);
        kc_producer_complete(p, b, KC_OK, NULL);
        return;
    }
    char msg[384];
    if (pr->error_message.len > 0)
        snprintf(msg, sizeof(msg), "%s-%d: %s: %.*s", b->pq->topic, b->pq->partition,
                 kafka_error_name(code), (int)pr->error_message.len,
                 (const char *)pr->error_message.ptr);
    else
        snprintf(msg, sizeof(msg), "%s-%d: %s", b->pq->topic, b->pq->partition,
                 kafka_error_name(code));
    batch_failed(p, b, code, msg);
}

static void response_arrived(kc_producer *p, produce_ctx *ctx, const kp_produce_response *resp)
{
    for (int32_t i = 0; i < resp->responses_count; i++) {
        const kp_produce_response_topic_produce_response *tr = &resp->responses[i];
        for (int32_t j = 0; j < tr->partition_responses_count; j++) {
            const kp_produce_response_partition_produce_response *pr =
                &tr->partition_responses[j];
            kc_batch *b = find_batch(ctx, tr->name, pr->index);
            if (!b)
                continue;
            for (size_t k = 0; k < ctx->count; k++)
                if (ctx->batches[k] == b)
                    ctx->batches[k] = NULL;
            partition_answered(p, b, pr);
        }
    }
}

static void on_produce_done(conn_req *req, kc_err err, const char *errstr, void *body)
{
    produce_ctx *ctx = req->ctx;
    kc_producer *p = ctx->p;
    for (size_t i = 0; i < ctx->count; i++) {
        kc_batch *b = ctx->batches[i];
        b->in_flight = false;
        b->pq->inflight--;
        p->batches_in_flight--;
    }
    if (!err && body)
        response_arrived(p, ctx, body);
    for (size_t i = 0; i < ctx->count; i++) {
        kc_batch *b = ctx->batches[i];
        if (!b)
            continue;
        if (err)
            batch_failed(p, b, err, errstr);
        else if (!body) /* acks=0: written is all we will ever know */
            kc_producer_complete(p, b, KC_OK, NULL);
        else
            batch_failed(p, b, KC_ERR_BAD_RESPONSE, "the Produce response did not mention "
                         "this partition");
    }
    free(ctx);
    kc_producer_kick(p);
}

/* ---- building requests ------------------------------------------------------------- */

/* The options for a batch of this codec: the producer's level for it. */
static st_compress_opts compress_opts(const kc_config *conf, int codec)
{
    st_compress_opts opts = ST_COMPRESS_OPTS_DEFAULT;
    switch (codec) {
    case ST_CODEC_GZIP:
        if (conf->compression_gzip_level >= 0)
            opts.level = conf->compression_gzip_level;
        break;
    case ST_CODEC_LZ4: opts.level = conf->compression_lz4_level; break;
    case ST_CODEC_ZSTD: opts.level = conf->compression_zstd_level; break;
    case ST_CODEC_SNAPPY: opts.snappy_xerial = true; break; /* as the Java client writes */
    default: break;
    }
    return opts;
}

/* The RecordBatch bytes for this attempt: built (and compressed) once, then
 * only the producer fields patched when a reset re-stamped them. */
static st_err build_wire(kc_producer *p, kc_batch *b)
{
    if (b->wire.len == 0) {
        st_batch_params params = st_batch_params_default();
        params.base_timestamp = b->base_timestamp;
        params.codec = b->codec; /* the records' own, or compression.type */
        params.compress = compress_opts(p->conf, b->codec);
        params.producer_id = b->producer_id;
        params.producer_epoch = b->producer_epoch;
        params.base_sequence = b->base_sequence;
        st_err err = st_batch_builder_finish(&b->builder, &params, &b->wire);
        if (err)
            return err;
        kc_batch_drop_records(b);
        return ST_OK;
    }
    uint8_t *w = b->wire.data;
    if (st_get_i64(w + ST_BATCH_OFF_PRODUCER_ID) == b->producer_id &&
        st_get_i16(w + ST_BATCH_OFF_PRODUCER_EPOCH) == b->producer_epoch &&
        st_get_i32(w + ST_BATCH_OFF_BASE_SEQUENCE) == b->base_sequence)
        return ST_OK;
    st_put_i64(w + ST_BATCH_OFF_PRODUCER_ID, b->producer_id);
    st_put_i16(w + ST_BATCH_OFF_PRODUCER_EPOCH, b->producer_epoch);
    st_put_i32(w + ST_BATCH_OFF_BASE_SEQUENCE, b->base_sequence);
    return st_batch_update_crc(w, b->wire.len);
}

/* Groups the batches by topic into the request's arrays (freed by the caller). */
static bool fill_request(kp_produce_request *req, kc_batch **batches, size_t count,
                         kp_produce_request_topic_produce_data **topics_out,
                         kp_produce_request_partition_produce_data **parts_out)
{
    kp_produce_request_topic_produce_data *topics = calloc(count, sizeof(*topics));
    kp_produce_request_partition_produce_data *parts = calloc(count, sizeof(*parts));
    *topics_out = topics;
    *parts_out = parts;
    if (!topics || !parts)
        return false;
    int32_t ntopics = 0;
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        if (!batches[i])
            continue;
        const char *topic = batches[i]->pq->topic;
        kp_produce_request_topic_produce_data *t = &topics[ntopics++];
        t->name = st_slice_cstr(topic);
        t->partition_data = &parts[used];
        t->partition_data_count = 0;
        for (size_t j = i; j < count; j++) {
            kc_batch *b = batches[j];
            if (!b || strcmp(b->pq->topic, topic) != 0)
                continue;
            parts[used].index = b->pq->partition;
            parts[used].records = st_slice_from(b->wire.data, b->wire.len);
            used++;
            t->partition_data_count++;
            if (j != i)
                batches[j] = NULL; /* grouped; the caller keeps its own list */
        }
    }
    req->topic_data = topics;
    req->topic_data_count = ntopics;
    return true;
}

/* Takes the set's batches out of their queues and sends them to the node. */
static void send_set(kc_producer *p, node_set *set)
{
    kc_client *c = p->client;
    produce_ctx *ctx = malloc(sizeof(*ctx) + set->count * sizeof(kc_batch *));
    kc_batch **grouping = malloc(set->count * sizeof(kc_batch *));
    if (!ctx || !grouping) {
        free(ctx);
        free(grouping);
        return; /* the batches stay queued; the next run tries again */
    }
    ctx->p = p;
    ctx->count = 0;
    for (size_t i = 0; i < set->count; i++) {
        kc_batch *b = set->batches[i];
        /* A connection that failed while an earlier set was sent may have
         * put an older batch back in front of this one: then it waits; and
         * a batch behind a halt is never sent. */
        if (b->pq->head != b || (b->pq->retry_barrier && b->pq->inflight > 0) ||
            kc_partq_halts(b->pq, b))
            continue;
        kc_partq_pop(b->pq);
        kc_idem_stamp(p, b);
        b->attempts++;
        if (build_wire(p, b) != ST_OK) {
            kc_producer_complete(p, b, KC_ERR_NOMEM, "could not build the record batch");
            continue;
        }
        b->in_flight = true;
        b->pq->inflight++;
        b->pq->inflight_node = set->conn->node_id;
        p->batches_in_flight++;
        ctx->batches[ctx->count++] = b;
    }
    if (!ctx->count) {
        free(ctx);
        free(grouping);
        return;
    }
    char why[384];
    int16_t version = conn_pick_version(set->conn, KC_API_PRODUCE, 3, -1, why, sizeof(why));
    conn_req *req = NULL;
    if (version >= 0) {
        memcpy(grouping, ctx->batches, ctx->count * sizeof(kc_batch *));
        kp_produce_request body;
        kp_produce_request_init(&body);
        body.transactional_id = ST_SLICE_NULL;
        body.acks = p->conf->acks;
        body.timeout_ms = p->conf->request_timeout_ms;
        kp_produce_request_topic_produce_data *topics;
        kp_produce_request_partition_produce_data *parts;
        if (fill_request(&body, grouping, ctx->count, &topics, &parts))
            req = conn_req_new(KC_API_PRODUCE, version, &body, c->conf->client_id, why,
                               sizeof(why));
        else
            snprintf(why, sizeof(why), "out of memory");
        free(topics);
        free(parts);
    }
    free(grouping);
    if (!req) {
        on_produce_done(&(conn_req){.ctx = ctx}, version < 0 ? KC_ERR_UNSUPPORTED : KC_ERR_NOMEM,
                        why, NULL);
        if (version < 0)
            kc_producer_set_fatal(p, KC_ERR_UNSUPPORTED, why);
        return;
    }
    req->expect_response = p->conf->acks != 0;
    req->done = on_produce_done;
    req->ctx = ctx;
    if (conn_send(set->conn, req) != KC_OK) {
        conn_req_free(req);
        on_produce_done(&(conn_req){.ctx = ctx}, KC_ERR_TRANSPORT, "connection not ready", NULL);
    }
}

/* ---- choosing batches -------------------------------------------------------------------- */

static int32_t leader_of(kc_producer *p, const kc_partq *pq)
{
    const kc_topic_info *t = kc_metadata_topic(p->client, pq->topic);
    if (!t || pq->partition >= t->partition_count)
        return -1;
    return t->partitions[pq->partition].leader;
}

static node_set *set_for(round *r, kc_conn *conn)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->sets[i].conn == conn)
            return &r->sets[i];
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        node_set *grown = realloc(r->sets, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        r->sets = grown;
        r->cap = cap;
    }
    r->sets[r->count] = (node_set){conn, 0, 0, 0, NULL};
    return &r->sets[r->count++];
}

static bool set_add(node_set *set, kc_batch *b, size_t size)
{
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 8;
        kc_batch **grown = realloc(set->batches, cap * sizeof(*grown));
        if (!grown)
            return false;
        set->batches = grown;
        set->cap = cap;
    }
    set->batches[set->count++] = b;
    set->bytes += size;
    return true;
}

static size_t batch_bytes(const kc_batch *b)
{
    return b->wire.len ? b->wire.len : ST_BATCH_HEADER_SIZE + b->records_size;
}

/* Considers the head batch of pq for this round. */
static void consider(kc_producer *p, round *r, kc_partq *pq, int64_t now, int64_t *wake)
{
    kc_batch *b = pq->head;
    if (!b || kc_partq_halts(pq, b) || !kc_accum_sendable(&p->accum, b, now, wake))
        return;
    if (pq->retry_barrier) {
        if (pq->inflight > 0)
            return;
        pq->retry_barrier = false;
    }
    if (pq->inflight >= p->conf->max_in_flight)
        return;
    /* A broker takes any sequence from a producer id it does not know yet,
     * so a batch sent behind the partition's first one could be written
     * even if that one is refused: a gap before it (which gapless forbids),
     * or, for a first batch refused as too large and split, its records
     * written before the pieces. So with idempotence the first batch (per
     * producer id) goes alone until it is acknowledged. */
    if (p->idem.state != KC_IDEM_OFF && pq->inflight > 0 && pq->acked_sequence_end == 0)
        return;
    int32_t leader = leader_of(p, pq);
    kc_conn *conn = leader >= 0 ? kc_client_conn(p->client, leader) : NULL;
    if (!conn) {
        p->client->md.stale = true;
        return;
    }
    /* The leader moved while batches are in flight to the old one: they may
     * come back for a retry, and must reach the new leader before anything
     * after them, so nothing more goes out until they have returned. */
    if (pq->inflight > 0 && pq->inflight_node != leader)
        return;
    if (!conn_is_ready(conn)) {
        conn_connect(conn);
        return;
    }
    if (conn->queued >= (size_t)p->conf->max_in_flight)
        return;
    node_set *set = set_for(r, conn);
    size_t size = batch_bytes(b);
    if (!set || (set->count && set->bytes + size > (size_t)p->conf->max_request_size))
        return;
    set_add(set, b, size);
}

static bool drain_round(kc_producer *p, int64_t now, int64_t *wake)
{
    round r = {0};
    size_t nt = p->topic_count;
    for (size_t k = 0; k < nt; k++) {
        kc_ptopic *t = p->topic_list[(p->drain_rotation + k) % nt];
        for (int32_t j = 0; j < t->count; j++)
            consider(p, &r, t->parts[j], now, wake);
    }
    if (nt)
        p->drain_rotation = (p->drain_rotation + 1) % nt;
    bool sent = false;
    for (size_t i = 0; i < r.count; i++) {
        if (r.sets[i].count) {
            send_set(p, &r.sets[i]);
            sent = true;
        }
        free(r.sets[i].batches);
    }
    free(r.sets);
    return sent;
}

/* ---- expiry and halted partitions ---------------------------------------------------------- */

static void expire_partition(kc_producer *p, kc_partq *pq, int64_t now, int64_t *wake)
{
    int64_t timeout = p->conf->delivery_timeout_ms;
    kc_batch *b;
    /* a halted head is not expired: fail_halted fails it, in order */
    while (!kc_partq_halts(pq, pq->head) && (b = kc_partq_expire_head(pq, now, timeout))) {
        char msg[384];
        snprintf(msg, sizeof(msg), "Expiring %d record(s) for %s-%d: %lld ms has passed "
                 "since batch creation", b->count, pq->topic, pq->partition,
                 (long long)(now - b->created_ms));
        if (p->conf->enable_gapless_guarantee)
            kc_producer_halt_partition(p, b, KC_ERR_MSG_TIMED_OUT, msg);
        else if (b->base_sequence >= 0 && p->idem.state != KC_IDEM_OFF)
            kc_idem_need_reset(p, "an expired batch left a gap in the sequence numbers");
        kc_producer_complete(p, b, KC_ERR_MSG_TIMED_OUT, msg);
    }
    if (pq->head && !kc_partq_halts(pq, pq->head) && pq->head->created_ms + timeout < *wake)
        *wake = pq->head->created_ms + timeout;
}

/* Fails the queued batches behind the partition's halt, once nothing of
 * the partition is in flight (those report first: reports stay in order).
 * A batch from before the halt waiting for a retry goes first. */
static void fail_halted(kc_producer *p, kc_partq *pq)
{
    kc_batch *b;
    while (pq->inflight == 0 && (b = kc_partq_pop_halted(pq)))
        kc_producer_complete(p, b, pq->halt_err, pq->halt_msg);
}

static void expire(kc_producer *p, int64_t now, int64_t *wake)
{
    for (size_t i = 0; i < p->topic_count; i++) {
        kc_ptopic *t = p->topic_list[i];
        for (int32_t j = 0; j < t->count; j++) {
            expire_partition(p, t->parts[j], now, wake);
            fail_halted(p, t->parts[j]);
        }
    }
}

/* ---- the run --------------------------------------------------------------------------------- */

static void arm_timer(kc_producer *p, int64_t now, int64_t wake)
{
    struct ev_loop *loop = p->client->loop;
    ev_timer_stop(loop, &p->timer);
    p->next_wake_ms = wake;
    if (wake == INT64_MAX || p->destroying)
        return;
    int64_t delay = wake - now;
    ev_now_update(loop);
    ev_timer_set(&p->timer, delay > 0 ? (double)delay / 1000.0 : 0.0, 0.0);
    ev_timer_start(loop, &p->timer);
}

static void run_once(kc_producer *p)
{
    int64_t now = kc_now_ms();
    int64_t wake = INT64_MAX;
    kc_producer_route_pending(p, now, &wake);
    expire(p, now, &wake);
    if (!p->fatal_err && kc_idem_ready(p, now, &wake)) {
        for (int i = 0; i < p->conf->max_in_flight; i++)
            if (!drain_round(p, now, &wake))
                break;
    }
    if (p->client->md.stale)
        kc_md_maybe_refresh(p->client);
    arm_timer(p, now, wake);
}

void kc_sender_run(kc_producer *p)
{
    if (p->destroying)
        return;
    if (p->in_sender) {
        p->sender_again = true;
        return;
    }
    p->in_sender = true;
    do {
        p->sender_again = false;
        run_once(p);
    } while (p->sender_again && !p->destroying);
    p->in_sender = false;
}
