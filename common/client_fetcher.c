/* client_fetcher.c — Fetch requests for the assigned partitions and their
 * answers (see client_consumer.h).
 *
 * One Fetch in flight per leader (as Java), for every partition it leads
 * that is READY, not paused, and has at most one chunk buffered (so the
 * next chunk arrives while the application reads the current one). Full
 * fetch requests (no incremental sessions), topics by name (versions 4 to
 * 12). Each partition's record bytes are copied into a chunk; errors follow
 * Java: stale metadata → refresh and back off, OFFSET_OUT_OF_RANGE → the
 * reset policy, anything else → an error event for poll.
 *
 * Memory is bounded: per partition at most two chunks of at most
 * max.partition.fetch.bytes (more only for a single batch larger than
 * that), per response fetch.max.bytes; plus, until the next poll, the
 * chunks and decompressed batches the last poll's records point into
 * (kc_retired). Never calls the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_consumer.h"
#include "common/protocol/messages.h"

#define FETCH_MIN_VERSION 4
#define FETCH_MAX_VERSION 12   /* topics by name */
#define MAX_CHUNKS 2

typedef struct fetch_item {
    const char *topic;         /* in the context's arena */
    int32_t partition;
    uint32_t epoch;
    int64_t offset;
} fetch_item;

typedef struct fetch_ctx {
    kc_consumer *c;
    int32_t node_id;
    st_arena arena;
    fetch_item *items;
    size_t count;
    size_t cursor;             /* where the next lookup starts */
} fetch_ctx;

/* ---- nodes ------------------------------------------------------------------------ */

static kc_fetch_node *node_get(kc_consumer *c, int32_t node_id)
{
    for (size_t i = 0; i < c->node_count; i++)
        if (c->nodes[i].node_id == node_id)
            return &c->nodes[i];
    if (c->node_count == c->node_cap) {
        size_t cap = c->node_cap ? c->node_cap * 2 : 8;
        kc_fetch_node *grown = realloc(c->nodes, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        c->nodes = grown;
        c->node_cap = cap;
    }
    c->nodes[c->node_count] = (kc_fetch_node){node_id, false};
    return &c->nodes[c->node_count++];
}

void kc_fetcher_free(kc_consumer *c)
{
    free(c->nodes);
    c->nodes = NULL;
    c->node_count = c->node_cap = 0;
}

/* ---- choosing partitions ------------------------------------------------------------ */

static bool fetchable(const kc_consumer *c, const kc_tp *tp, int64_t now)
{
    (void)c;
    return tp->state == KC_TP_READY && !tp->paused && !tp->fetch_in_flight &&
           tp->chunk_count < MAX_CHUNKS && now >= tp->retry_at_ms;
}

/* The leader of tp from the metadata cache, or -1. */
static int32_t leader_of(kc_consumer *c, const kc_tp *tp)
{
    const kc_topic_info *t = kc_metadata_topic(c->client, tp->topic);
    if (!t || tp->partition >= t->partition_count)
        return -1;
    return t->partitions[tp->partition].leader;
}

/* ---- the request ------------------------------------------------------------------------ */

static void on_fetch(kc_client *client, const kc_response *resp, void *opaque);

/* Builds and sends one Fetch for items (grouped by topic in the order
 * given); the context is owned by the call from here on. */
static void send_fetch(kc_consumer *c, fetch_ctx *ctx)
{
    const kc_consumer_settings *s = &c->s;
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    req.replica_id = -1;
    req.max_wait_ms = s->fetch_max_wait_ms;
    req.min_bytes = s->fetch_min_bytes;
    req.max_bytes = s->fetch_max_bytes;
    req.isolation_level = (int8_t)s->isolation_level;
    req.session_id = 0;
    req.session_epoch = -1;
    req.rack_id = st_slice_cstr(s->client_rack);
    kp_fetch_request_fetch_topic *topics = st_arena_calloc(&ctx->arena, ctx->count,
                                                           sizeof(*topics));
    kp_fetch_request_fetch_partition *parts = st_arena_calloc(&ctx->arena, ctx->count,
                                                              sizeof(*parts));
    if (!topics || !parts)
        goto fail;
    int32_t nt = 0;
    for (size_t i = 0; i < ctx->count; i++) {
        const fetch_item *it = &ctx->items[i];
        if (nt == 0 || strcmp((const char *)topics[nt - 1].topic.ptr, it->topic) != 0) {
            kp_init(&kp_fetch_request_fetch_topic_desc, &topics[nt]);
            topics[nt].topic = st_slice_cstr(it->topic);
            topics[nt].partitions = &parts[i];
            topics[nt].partitions_count = 0;
            nt++;
        }
        kp_fetch_request_fetch_partition *p = &parts[i];
        kp_init(&kp_fetch_request_fetch_partition_desc, p);
        p->partition = it->partition;
        p->current_leader_epoch = -1;
        p->fetch_offset = it->offset;
        p->last_fetched_epoch = -1;
        p->log_start_offset = -1;
        p->partition_max_bytes = s->max_partition_fetch_bytes;
        topics[nt - 1].partitions_count++;
    }
    req.topics = topics;
    req.topics_count = nt;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = FETCH_MIN_VERSION;
    opts.max_version = FETCH_MAX_VERSION;
    opts.request_timeout_ms = c->conf->request_timeout_ms + s->fetch_max_wait_ms;
    opts.timeout_ms = opts.request_timeout_ms;
    opts.retry_after_send = true;
    if (kc_client_send(c->client, kc_target_node(ctx->node_id), KC_API_FETCH, &req, &opts,
                       on_fetch, ctx) == KC_OK)
        return;
fail:
    for (size_t i = 0; i < ctx->count; i++) {
        kc_tp *tp = kc_tp_find(c, ctx->items[i].topic, ctx->items[i].partition);
        if (tp)
            tp->fetch_in_flight = false;
    }
    kc_fetch_node *node = node_get(c, ctx->node_id);
    if (node)
        node->in_flight = false;
    st_arena_free(&ctx->arena);
    free(ctx);
}

static int item_cmp(const void *a, const void *b)
{
    const fetch_item *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Collects the fetchable partitions led by node_id into a new context. */
static fetch_ctx *collect(kc_consumer *c, int32_t node_id, const int32_t *leaders, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < c->tp_count; i++)
        n += leaders[i] == node_id && fetchable(c, c->tps[i], now);
    if (!n)
        return NULL;
    fetch_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    st_arena_init(&ctx->arena);
    ctx->c = c;
    ctx->node_id = node_id;
    ctx->items = st_arena_calloc(&ctx->arena, n, sizeof(*ctx->items));
    if (!ctx->items) {
        st_arena_free(&ctx->arena);
        free(ctx);
        return NULL;
    }
    for (size_t i = 0; i < c->tp_count; i++) {
        kc_tp *tp = c->tps[i];
        if (leaders[i] != node_id || !fetchable(c, tp, now))
            continue;
        size_t len = strlen(tp->topic);
        char *topic = st_arena_alloc(&ctx->arena, len + 1);
        if (!topic)
            break;
        memcpy(topic, tp->topic, len + 1);
        ctx->items[ctx->count++] = (fetch_item){topic, tp->partition, tp->epoch,
                                                tp->fetch_offset};
        tp->fetch_in_flight = true;
        tp->fetch_node = node_id;
    }
    qsort(ctx->items, ctx->count, sizeof(*ctx->items), item_cmp); /* topics together */
    return ctx;
}

/* A partition whose leader moved while its Fetch was in flight (to a node
 * that may be down for a while) is fetched from the new leader at once;
 * the late answer is dropped (epoch). */
static void follow_leader_changes(kc_consumer *c)
{
    for (size_t i = 0; i < c->tp_count; i++) {
        kc_tp *tp = c->tps[i];
        if (!tp->fetch_in_flight || tp->state != KC_TP_READY)
            continue;
        int32_t leader = leader_of(c, tp);
        if (leader >= 0 && leader != tp->fetch_node) {
            tp->fetch_in_flight = false;
            tp->epoch++;
        }
    }
}

void kc_fetcher_run(kc_consumer *c)
{
    if (c->fatal_err || c->closing || c->tp_count == 0)
        return;
    follow_leader_changes(c);
    int64_t now = kc_now_ms();
    int32_t stack[64];
    int32_t *leaders = c->tp_count <= 64 ? stack : malloc(c->tp_count * sizeof(*leaders));
    if (!leaders)
        return;
    bool any = false;
    for (size_t i = 0; i < c->tp_count; i++) {
        leaders[i] = fetchable(c, c->tps[i], now) ? leader_of(c, c->tps[i]) : -1;
        if (fetchable(c, c->tps[i], now) && leaders[i] < 0)
            kc_md_want(c->client, c->tps[i]->topic); /* a refresh finds the leader */
        any = any || leaders[i] >= 0;
    }
    for (size_t i = 0; any && i < c->tp_count; i++) {
        if (leaders[i] < 0)
            continue;
        kc_fetch_node *node = node_get(c, leaders[i]);
        if (!node || node->in_flight)
            continue;
        fetch_ctx *ctx = collect(c, leaders[i], leaders, now);
        if (!ctx)
            continue;
        node->in_flight = true;
        send_fetch(c, ctx);
    }
    if (leaders != stack)
        free(leaders);
}

/* ---- the answer -------------------------------------------------------------------------- */

/* The item for (topic, partition), searching from the cursor. */
static fetch_item *find_item(fetch_ctx *ctx, st_slice topic, int32_t partition)
{
    for (size_t k = 0; k < ctx->count; k++) {
        size_t i = (ctx->cursor + k) % ctx->count;
        fetch_item *it = &ctx->items[i];
        if (it->partition == partition && st_slice_eq_cstr(topic, it->topic)) {
            ctx->cursor = i + 1;
            return it;
        }
    }
    return NULL;
}

static void backoff(kc_consumer *c, kc_tp *tp)
{
    tp->retry_at_ms = kc_now_ms() + c->conf->retry_backoff_ms;
}

static void add_records(kc_consumer *c, kc_tp *tp, const kp_fetch_response_partition_data *pd)
{
    kc_aborted_txn stack[16], *aborted = stack;
    size_t n = pd->aborted_transactions_count > 0 ? (size_t)pd->aborted_transactions_count : 0;
    if (n > 16 && !(aborted = malloc(n * sizeof(*aborted)))) {
        backoff(c, tp);
        return;
    }
    for (size_t i = 0; i < n; i++)
        aborted[i] = (kc_aborted_txn){pd->aborted_transactions[i].producer_id,
                                      pd->aborted_transactions[i].first_offset};
    kc_chunk *ch = kc_chunk_new(pd->records.ptr, (size_t)pd->records.len, aborted, n,
                                c->s.isolation_level == 1, c->s.check_crcs,
                                (size_t)c->conf->receive_message_max_bytes);
    if (aborted != stack)
        free(aborted);
    if (!ch) {
        backoff(c, tp);
        return;
    }
    if (ch->end_offset < 0) {
        st_batch b;
        st_err err = st_batch_parse(ch->data, ch->len, false, &b);
        kc_chunk_free(ch);
        if (err == ST_ERR_TRUNCATED)
            kc_consumer_error(c, KC_ERR_RECORD_TOO_LARGE, tp->topic, tp->partition,
                              "%s [%d]: the record batch at offset %lld is larger than "
                              "max.partition.fetch.bytes (%d)", tp->topic, tp->partition,
                              (long long)tp->fetch_offset, c->s.max_partition_fetch_bytes);
        else
            kc_consumer_error(c, KC_ERR_BAD_RESPONSE, tp->topic, tp->partition,
                              "%s [%d]: unreadable records at offset %lld: %s%s", tp->topic,
                              tp->partition, (long long)tp->fetch_offset, st_err_name(err),
                              err == ST_ERR_UNSUPPORTED ? " (message format v0/v1 is not "
                              "supported)" : "");
        tp->retry_at_ms = kc_now_ms() + 1000;
        return;
    }
    if (ch->end_offset <= tp->fetch_offset) {
        kc_chunk_free(ch);
        return;
    }
    tp->fetch_offset = ch->end_offset;
    tp->buffered += ch->len;
    if (tp->chunk_tail)
        tp->chunk_tail->next = ch;
    else
        tp->chunk_head = ch;
    tp->chunk_tail = ch;
    tp->chunk_count++;
}

static void partition_error(kc_consumer *c, kc_tp *tp, const fetch_item *it, int16_t code)
{
    switch (code) {
    case KAFKA_OFFSET_OUT_OF_RANGE:
        if (it->offset == tp->position && tp->chunk_count == 0) {
            char why[96];
            snprintf(why, sizeof(why), "offset %lld is out of range", (long long)it->offset);
            kc_tp_reset_by_policy(c, tp, KAFKA_OFFSET_OUT_OF_RANGE, why);
        }
        return;
    case KAFKA_NOT_LEADER_OR_FOLLOWER:
    case KAFKA_LEADER_NOT_AVAILABLE:
    case KAFKA_UNKNOWN_TOPIC_OR_PARTITION:
    case KAFKA_UNKNOWN_TOPIC_ID:
    case KAFKA_FENCED_LEADER_EPOCH:
    case KAFKA_UNKNOWN_LEADER_EPOCH:
    case KAFKA_KAFKA_STORAGE_ERROR:
    case KAFKA_REPLICA_NOT_AVAILABLE:
    case KAFKA_OFFSET_NOT_AVAILABLE:
    case KAFKA_NOT_ENOUGH_REPLICAS:
        kc_log(c->client, ST_LOG_DEBUG, "fetch %s [%d]: %s: refreshing metadata", tp->topic,
               tp->partition, kafka_error_name(code));
        kc_metadata_invalidate(c->client);
        backoff(c, tp);
        return;
    default:
        kc_consumer_error(c, code, tp->topic, tp->partition, "fetch %s [%d] at offset %lld: %s",
                          tp->topic, tp->partition, (long long)it->offset,
                          kafka_error_name(code));
        tp->retry_at_ms = kc_now_ms() + 1000;
        return;
    }
}

static bool handle_partition(kc_consumer *c, fetch_ctx *ctx, st_slice topic,
                             const kp_fetch_response_partition_data *pd)
{
    fetch_item *it = find_item(ctx, topic, pd->partition_index);
    kc_tp *tp = it ? kc_tp_find(c, it->topic, it->partition) : NULL;
    if (!tp || tp->epoch != it->epoch || tp->state != KC_TP_READY)
        return false; /* unassigned, or moved by a seek since */
    tp->fetch_in_flight = false;
    if (pd->error_code) {
        partition_error(c, tp, it, pd->error_code);
        return false;
    }
    if (pd->high_watermark >= 0)
        tp->high_watermark = pd->high_watermark;
    if (pd->last_stable_offset >= 0)
        tp->last_stable = pd->last_stable_offset;
    if (pd->log_start_offset >= 0)
        tp->log_start = pd->log_start_offset;
    if (pd->records.len <= 0 || it->offset != tp->fetch_offset)
        return false;
    size_t before = tp->chunk_count;
    add_records(c, tp, pd);
    return tp->chunk_count > before;
}

/* Releases the in-flight marks of every item still current. */
static void release(kc_consumer *c, fetch_ctx *ctx, bool with_backoff)
{
    for (size_t i = 0; i < ctx->count; i++) {
        kc_tp *tp = kc_tp_find(c, ctx->items[i].topic, ctx->items[i].partition);
        if (tp && tp->epoch == ctx->items[i].epoch && tp->fetch_in_flight) {
            tp->fetch_in_flight = false;
            if (with_backoff)
                backoff(c, tp);
        }
    }
}

static void on_fetch(kc_client *client, const kc_response *resp, void *opaque)
{
    fetch_ctx *ctx = opaque;
    kc_consumer *c = ctx->c;
    kc_fetch_node *node = node_get(c, ctx->node_id);
    if (node)
        node->in_flight = false;
    bool data = false;
    if (resp->err == KC_ERR_DESTROYED) {
        /* the client is going away: nothing to update */
    } else if (resp->err) {
        kc_log(client, ST_LOG_DEBUG, "fetch from node %d failed: %s", ctx->node_id,
               resp->errstr);
        kc_metadata_invalidate(client);
        release(c, ctx, true);
    } else {
        const kp_fetch_response *r = resp->body;
        if (r->error_code) {
            kc_log(client, ST_LOG_WARN, "fetch from node %d: %s", ctx->node_id,
                   kafka_error_name(r->error_code));
            kc_metadata_invalidate(client);
        }
        for (int32_t t = 0; t < r->responses_count; t++) {
            const kp_fetch_response_fetchable_topic_response *tr = &r->responses[t];
            for (int32_t p = 0; p < tr->partitions_count; p++)
                data = handle_partition(c, ctx, tr->topic, &tr->partitions[p]) || data;
        }
        release(c, ctx, r->error_code != 0);
    }
    st_arena_free(&ctx->arena);
    free(ctx);
    if (resp->err == KC_ERR_DESTROYED)
        return;
    if (data)
        kc_consumer_signal_ready(c);
    kc_consumer_kick(c);
}
