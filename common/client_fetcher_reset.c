/* client_fetcher_reset.c — finding a partition's start position with
 * ListOffsets: for auto.offset.reset, OFFSET_OUT_OF_RANGE, and seeks to the
 * beginning or end (see client_consumer.h).
 *
 * One request per leader for every partition in NEED_RESET; the earliest
 * offset (timestamp -2) or the latest (-1: the high watermark, or the last
 * stable offset with read_committed). Answers for partitions since moved
 * (epoch changed) are ignored; retriable errors refresh the metadata and
 * retry after retry.backoff.ms. Never calls the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_consumer.h"
#include "common/protocol/messages.h"

/* v1-3 carry all the consumer needs (v2: isolation level); v4+ adds leader
 * epochs, which librdkafka's mock cluster (2.0) encodes with the wrong
 * width. */
#define LIST_OFFSETS_MAX_VERSION 3

typedef struct reset_item {
    char *topic;
    int32_t partition;
    uint32_t epoch;
} reset_item;

typedef struct reset_ctx {
    kc_consumer *c;
    reset_item *items;
    size_t count;
} reset_ctx;

static void ctx_free(reset_ctx *ctx)
{
    for (size_t i = 0; i < ctx->count; i++)
        free(ctx->items[i].topic);
    free(ctx->items);
    free(ctx);
}

static int32_t leader_of(kc_consumer *c, const kc_tp *tp)
{
    const kc_topic_info *t = kc_metadata_topic(c->client, tp->topic);
    if (!t || tp->partition >= t->partition_count)
        return -1;
    return t->partitions[tp->partition].leader;
}

static bool due(const kc_tp *tp, int64_t now)
{
    return tp->state == KC_TP_NEED_RESET && now >= tp->retry_at_ms;
}

/* Moves the items of a failed request back to NEED_RESET with a backoff. */
static void retry_items(kc_consumer *c, reset_ctx *ctx)
{
    for (size_t i = 0; i < ctx->count; i++) {
        kc_tp *tp = kc_tp_find(c, ctx->items[i].topic, ctx->items[i].partition);
        if (tp && tp->epoch == ctx->items[i].epoch && tp->state == KC_TP_RESET_WAIT) {
            tp->state = KC_TP_NEED_RESET;
            tp->retry_at_ms = kc_now_ms() + c->conf->retry_backoff_ms;
        }
    }
}

static void apply(kc_consumer *c, reset_ctx *ctx, st_slice topic,
                  const kp_list_offsets_response_list_offsets_partition_response *pr,
                  int16_t version)
{
    kc_tp *tp = kc_tp_find_slice(c, topic, pr->partition_index);
    if (!tp || tp->state != KC_TP_RESET_WAIT)
        return;
    bool current = false;
    for (size_t i = 0; i < ctx->count && !current; i++)
        current = ctx->items[i].partition == tp->partition && ctx->items[i].epoch == tp->epoch &&
                  strcmp(ctx->items[i].topic, tp->topic) == 0;
    if (!current)
        return;
    int64_t offset = version >= 1 ? pr->offset
                                  : pr->old_style_offsets_count > 0 ? pr->old_style_offsets[0]
                                                                    : -1;
    if (pr->error_code || offset < 0) {
        kc_log(c->client, ST_LOG_DEBUG, "%s [%d]: ListOffsets v%d: %s, offset %lld", tp->topic,
               tp->partition, version, kafka_error_name(pr->error_code), (long long)offset);
        if (pr->error_code && pr->error_code != KAFKA_NOT_LEADER_OR_FOLLOWER &&
            pr->error_code != KAFKA_LEADER_NOT_AVAILABLE && !kafka_error_retriable(pr->error_code))
            kc_consumer_error(c, pr->error_code, tp->topic, tp->partition,
                              "%s [%d]: looking up the %s offset: %s", tp->topic, tp->partition,
                              tp->reset_to == KC_OFFSET_BEGINNING ? "earliest" : "latest",
                              kafka_error_name(pr->error_code));
        kc_metadata_invalidate(c->client);
        tp->state = KC_TP_NEED_RESET;
        tp->retry_at_ms = kc_now_ms() + c->conf->retry_backoff_ms;
        return;
    }
    tp->state = KC_TP_READY;
    tp->position = tp->fetch_offset = offset;
    tp->position_epoch = -1;
    tp->retry_at_ms = 0;
    kc_log(c->client, ST_LOG_DEBUG, "%s [%d]: starting at offset %lld", tp->topic,
           tp->partition, (long long)offset);
}

static void on_list_offsets(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    reset_ctx *ctx = opaque;
    kc_consumer *c = ctx->c;
    if (resp->err == KC_ERR_DESTROYED) {
        ctx_free(ctx);
        return;
    }
    if (resp->err) {
        kc_log(c->client, ST_LOG_DEBUG, "ListOffsets to node %d failed: %s", resp->node_id,
               resp->errstr);
        kc_metadata_invalidate(c->client);
    } else {
        const kp_list_offsets_response *r = resp->body;
        for (int32_t t = 0; t < r->topics_count; t++)
            for (int32_t p = 0; p < r->topics[t].partitions_count; p++)
                apply(c, ctx, r->topics[t].name, &r->topics[t].partitions[p], resp->api_version);
    }
    retry_items(c, ctx); /* whatever is still waiting */
    ctx_free(ctx);
    kc_consumer_kick(c);
}

/* Sends one ListOffsets to node for its due partitions. */
static void send_reset(kc_consumer *c, int32_t node, const int32_t *leaders, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; i < c->tp_count; i++)
        n += leaders[i] == node && due(c->tps[i], now);
    reset_ctx *ctx = calloc(1, sizeof(*ctx));
    kp_list_offsets_request_list_offsets_topic *topics = calloc(n, sizeof(*topics));
    kp_list_offsets_request_list_offsets_partition *parts = calloc(n, sizeof(*parts));
    if (ctx)
        ctx->items = calloc(n, sizeof(*ctx->items));
    if (!ctx || !ctx->items || !topics || !parts)
        goto out;
    ctx->c = c;
    for (size_t i = 0; i < c->tp_count; i++) {
        kc_tp *tp = c->tps[i];
        if (leaders[i] != node || !due(tp, now))
            continue;
        reset_item *it = &ctx->items[ctx->count];
        if (!(it->topic = strdup(tp->topic)))
            goto out;
        it->partition = tp->partition;
        it->epoch = tp->epoch;
        kp_list_offsets_request_list_offsets_topic *t = &topics[ctx->count];
        kp_init(&kp_list_offsets_request_list_offsets_topic_desc, t);
        t->name = st_slice_cstr(it->topic);
        t->partitions = &parts[ctx->count];
        t->partitions_count = 1;
        kp_init(&kp_list_offsets_request_list_offsets_partition_desc, &parts[ctx->count]);
        parts[ctx->count].partition_index = tp->partition;
        parts[ctx->count].current_leader_epoch = -1;
        parts[ctx->count].timestamp = tp->reset_to == KC_OFFSET_BEGINNING ? -2 : -1;
        parts[ctx->count].max_num_offsets = 1;
        ctx->count++;
    }
    kp_list_offsets_request req;
    kp_list_offsets_request_init(&req);
    req.replica_id = -1;
    req.isolation_level = (int8_t)c->s.isolation_level;
    req.topics = topics;
    req.topics_count = (int32_t)ctx->count;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = c->s.isolation_level ? 2 : 0;
    opts.max_version = LIST_OFFSETS_MAX_VERSION;
    opts.timeout_ms = c->conf->request_timeout_ms;
    opts.retry_after_send = true;
    if (kc_client_send(c->client, kc_target_node(node), KC_API_LIST_OFFSETS, &req, &opts,
                       on_list_offsets, ctx) != KC_OK)
        goto out;
    for (size_t i = 0; i < ctx->count; i++) {
        kc_tp *tp = kc_tp_find(c, ctx->items[i].topic, ctx->items[i].partition);
        if (tp)
            tp->state = KC_TP_RESET_WAIT;
    }
    ctx = NULL;
out:
    if (ctx)
        ctx_free(ctx);
    free(topics);
    free(parts);
}

void kc_reset_run(kc_consumer *c)
{
    if (c->fatal_err || c->closing)
        return;
    int64_t now = kc_now_ms();
    size_t n = 0;
    for (size_t i = 0; i < c->tp_count; i++)
        n += due(c->tps[i], now);
    if (!n)
        return;
    int32_t *leaders = malloc(c->tp_count * sizeof(*leaders));
    if (!leaders)
        return;
    for (size_t i = 0; i < c->tp_count; i++) {
        leaders[i] = due(c->tps[i], now) ? -1 : -2;
        if (leaders[i] == -1) {
            const kc_topic_info *t = kc_metadata_topic(c->client, c->tps[i]->topic);
            leaders[i] = t ? leader_of(c, c->tps[i]) : -1;
            if (leaders[i] < 0)
                kc_md_want(c->client, c->tps[i]->topic);
        }
    }
    for (size_t i = 0; i < c->tp_count; i++) {
        if (leaders[i] < 0 || !due(c->tps[i], now))
            continue;
        send_reset(c, leaders[i], leaders, now);
    }
    free(leaders);
}
