/* client_metadata.c — the metadata cache and its refreshes (see
 * client_metadata.h).
 *
 * Never trusts a Metadata response's partition numbers for an allocation:
 * a topic's partition array has exactly as many entries as the response
 * lists partitions, and entries naming a partition outside that range are
 * ignored. Broker host names are copied; nothing points into a response
 * after kc_md_merge returns. */
#include "common/client_metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_core.h"

#define METADATA_KEY 3

void kc_md_init(kc_metadata *md)
{
    memset(md, 0, sizeof(*md));
    strmap_init(&md->topics);
    md->controller_id = -1;
}

static void free_brokers(kc_metadata *md)
{
    for (size_t i = 0; i < md->broker_count; i++) {
        free((char *)md->brokers[i].host);
        free((char *)md->brokers[i].rack);
    }
    free(md->brokers);
    md->brokers = NULL;
    md->broker_count = 0;
}

static void free_topic(kc_md_topic *t)
{
    free(t->name);
    free(t->parts);
    free(t->node_lists);
    free(t);
}

void kc_md_free(kc_metadata *md)
{
    const char *key;
    void *value;
    for (size_t i = 0; strmap_next(&md->topics, &i, &key, &value);)
        free_topic(value);
    strmap_free(&md->topics);
    free_brokers(md);
    free(md->cluster_id);
}

kc_md_topic *kc_md_topic_get(kc_client *c, const char *name)
{
    return strmap_get_cstr(&c->md.topics, name);
}

static kc_md_topic *topic_create(kc_metadata *md, st_slice name)
{
    kc_md_topic *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = st_slice_strdup(name))) {
        free(t);
        return NULL;
    }
    t->info.name = t->name;
    t->info.error = KAFKA_NONE;
    if (strmap_put(&md->topics, name, t) != ST_OK) {
        free_topic(t);
        return NULL;
    }
    return t;
}

kc_md_topic *kc_md_want(kc_client *c, const char *name)
{
    kc_md_topic *t = kc_md_topic_get(c, name);
    if (!t && !(t = topic_create(&c->md, st_slice_cstr(name))))
        return NULL;
    if (!t->wanted) {
        t->wanted = true;
        c->md.wanted_changed = true;
    }
    return t;
}

/* ---- merging a response --------------------------------------------------------------- */

static void merge_brokers(kc_client *c, const kp_metadata_response *r)
{
    kc_metadata *md = &c->md;
    kc_broker_info *brokers = r->brokers_count > 0
                                  ? calloc((size_t)r->brokers_count, sizeof(*brokers)) : NULL;
    if (r->brokers_count > 0 && !brokers)
        return; /* keep the old list; the next refresh tries again */
    for (size_t i = 0; i < c->conn_count; i++)
        c->conns[i]->in_metadata = false;
    size_t n = 0;
    for (int32_t i = 0; i < r->brokers_count; i++) {
        const kp_metadata_response_broker *b = &r->brokers[i];
        char *host = st_slice_strdup(b->host);
        char *rack = b->rack.len >= 0 ? st_slice_strdup(b->rack) : NULL;
        if (!host || b->port <= 0 || b->port > 65535) {
            free(host);
            free(rack);
            continue;
        }
        kc_conn *conn = kc_client_upsert_node(c, b->node_id, host, b->port, rack);
        if (conn)
            conn->in_metadata = true;
        brokers[n++] = (kc_broker_info){b->node_id, host, b->port, rack};
    }
    free_brokers(md);
    md->brokers = brokers;
    md->broker_count = n;
    md->controller_id = r->controller_id;
    if (r->cluster_id.len >= 0) {
        char *id = st_slice_strdup(r->cluster_id);
        if (id) {
            free(md->cluster_id);
            md->cluster_id = id;
        }
    }
}

/* Rebuilds t's partitions from the response entry; false on allocation
 * failure (the old partitions stay). */
static bool merge_partitions(kc_md_topic *t, const kp_metadata_response_topic *rt, bool *stale)
{
    int32_t count = rt->partitions_count > 0 ? rt->partitions_count : 0;
    size_t lists = 0;
    for (int32_t i = 0; i < count; i++) {
        const kp_metadata_response_partition *p = &rt->partitions[i];
        lists += (size_t)(p->replica_nodes_count > 0 ? p->replica_nodes_count : 0) +
                 (size_t)(p->isr_nodes_count > 0 ? p->isr_nodes_count : 0);
    }
    kc_partition_info *parts = count ? calloc((size_t)count, sizeof(*parts)) : NULL;
    int32_t *nodes = lists ? calloc(lists, sizeof(*nodes)) : NULL;
    if ((count && !parts) || (lists && !nodes)) {
        free(parts);
        free(nodes);
        return false;
    }
    for (int32_t i = 0; i < count; i++)
        parts[i] = (kc_partition_info){i, -1, -1, KAFKA_LEADER_NOT_AVAILABLE, 0, NULL, 0, NULL};
    size_t used = 0;
    for (int32_t i = 0; i < count; i++) {
        const kp_metadata_response_partition *p = &rt->partitions[i];
        if (p->partition_index < 0 || p->partition_index >= count)
            continue;
        kc_partition_info *dst = &parts[p->partition_index];
        const kc_partition_info *old = p->partition_index < t->info.partition_count
                                           ? &t->parts[p->partition_index] : NULL;
        if (old && old->leader_epoch >= 0 && p->leader_epoch >= 0 &&
            p->leader_epoch < old->leader_epoch) {
            /* An out-of-date broker answered: keep what we knew. */
            dst->leader = old->leader;
            dst->leader_epoch = old->leader_epoch;
            dst->error = old->error;
        } else {
            dst->leader = p->leader_id;
            dst->leader_epoch = p->leader_epoch;
            dst->error = p->error_code;
        }
        if (p->replica_nodes_count > 0) {
            memcpy(nodes + used, p->replica_nodes, (size_t)p->replica_nodes_count * sizeof(int32_t));
            dst->replicas = nodes + used;
            dst->replica_count = p->replica_nodes_count;
            used += (size_t)p->replica_nodes_count;
        }
        if (p->isr_nodes_count > 0) {
            memcpy(nodes + used, p->isr_nodes, (size_t)p->isr_nodes_count * sizeof(int32_t));
            dst->isr = nodes + used;
            dst->isr_count = p->isr_nodes_count;
            used += (size_t)p->isr_nodes_count;
        }
    }
    for (int32_t i = 0; i < count; i++)
        if (parts[i].leader < 0)
            *stale = true;
    free(t->parts);
    free(t->node_lists);
    t->parts = parts;
    t->node_lists = nodes;
    t->info.partitions = parts;
    t->info.partition_count = count;
    return true;
}

static void merge_topic(kc_client *c, const kp_metadata_response_topic *rt, int64_t now,
                        bool *stale)
{
    if (rt->name.len <= 0)
        return; /* v12+ may answer by id only; we always ask by name */
    kc_md_topic *t = strmap_get(&c->md.topics, rt->name);
    if (!t && !(t = topic_create(&c->md, rt->name)))
        return;
    t->info.error = rt->error_code;
    t->info.topic_id = rt->topic_id;
    t->info.internal = rt->is_internal;
    t->fetched_ms = now;
    if (rt->error_code == KAFKA_NONE) {
        if (!merge_partitions(t, rt, stale))
            *stale = true;
    } else if (rt->error_code == KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
        free(t->parts);
        free(t->node_lists);
        t->parts = NULL;
        t->node_lists = NULL;
        t->info.partitions = NULL;
        t->info.partition_count = 0;
    }
    if (rt->error_code != KAFKA_NONE && t->wanted)
        *stale = true; /* e.g. being auto-created: ask again soon */
}

/* After a response for all topics: the topics it did not list are gone. */
static void forget_missing(kc_client *c, int64_t now)
{
    const char *key;
    void *value;
    for (size_t i = 0; strmap_next(&c->md.topics, &i, &key, &value);) {
        kc_md_topic *t = value;
        if (t->fetched_ms == now)
            continue;
        t->info.error = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        t->info.partition_count = 0;
        t->fetched_ms = now;
    }
}

static void merge(kc_client *c, const kp_metadata_response *r, bool all_topics)
{
    int64_t now = kc_now_ms();
    merge_brokers(c, r);
    bool stale = false;
    for (int32_t i = 0; i < r->topics_count; i++)
        merge_topic(c, &r->topics[i], now, &stale);
    if (all_topics)
        forget_missing(c, now);
    kc_metadata *md = &c->md;
    md->last_success_ms = now;
    md->updates++;
    if (stale)
        md->stale = true;
}

void kc_md_merge(kc_client *c, const void *response, int16_t version)
{
    (void)version;
    merge(c, response, false);
}

/* ---- requests -------------------------------------------------------------------------- */

typedef struct refresh_ctx {
    bool internal;        /* the cache's own refresh */
    bool all_topics;
    kc_metadata_cb cb;
    void *opaque;
} refresh_ctx;

static void on_metadata(kc_client *c, const kc_response *resp, void *opaque)
{
    refresh_ctx *ctx = opaque;
    if (ctx->internal)
        c->md.in_flight = false;
    if (resp->err == KC_OK) {
        merge(c, resp->body, ctx->all_topics);
        kc_log(c, ST_LOG_DEBUG, "metadata from node %d: %zu brokers, controller %d",
               resp->node_id, c->md.broker_count, c->md.controller_id);
    } else if (resp->err != KC_ERR_DESTROYED) {
        c->md.stale = true;
        kc_log(c, ST_LOG_DEBUG, "metadata request failed: %s", resp->errstr);
    }
    if (ctx->cb) {
        c->callback_depth++;
        ctx->cb(c, resp->err, resp->errstr, ctx->opaque);
        c->callback_depth--;
    }
    free(ctx);
    if (resp->err == KC_ERR_DESTROYED || c->destroying)
        return;
    kc_calls_run(c);
    kc_client_notify(c, KC_EV_METADATA, NULL);
    kc_md_maybe_refresh(c);
}

/* Sends a Metadata request for topics (NULL = all; n == 0 = none). */
static kc_err send_metadata(kc_client *c, const char *const *topics, size_t n, int timeout_ms,
                            refresh_ctx *ctx)
{
    kp_metadata_request req;
    kp_metadata_request_init(&req);
    kp_metadata_request_topic *list = NULL;
    if (topics) {
        list = n ? calloc(n, sizeof(*list)) : NULL;
        if (n && !list)
            return kc_fail(c, KC_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            kp_init(&kp_metadata_request_topic_desc, &list[i]);
            list[i].name = st_slice_cstr(topics[i]);
        }
        req.topics = list;
        req.topics_count = (int32_t)n;
    } else {
        req.topics = NULL;
        req.topics_count = -1; /* all topics */
    }
    req.allow_auto_topic_creation = c->conf->allow_auto_create_topics;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = 1; /* v0 reads an empty list as "all topics" */
    opts.timeout_ms = timeout_ms;
    opts.retry_after_send = true;
    kc_err err = kc_client_send(c, kc_target_any(), METADATA_KEY, &req, &opts, on_metadata, ctx);
    free(list);
    return err;
}

/* The wanted topics' names (pointers into the cache) in a new array. */
static const char **wanted_names(kc_client *c, size_t *n)
{
    *n = 0;
    const char **names = malloc((c->md.topics.count + 1) * sizeof(*names));
    if (!names)
        return NULL;
    const char *key;
    void *value;
    for (size_t i = 0; strmap_next(&c->md.topics, &i, &key, &value);)
        if (((kc_md_topic *)value)->wanted)
            names[(*n)++] = ((kc_md_topic *)value)->name;
    return names;
}

static bool refresh_due(kc_client *c, int64_t now)
{
    kc_metadata *md = &c->md;
    if (md->wanted_changed)
        return true;
    if (md->stale)
        return now - md->last_request_ms >= c->conf->retry_backoff_ms;
    return md->last_success_ms && now - md->last_success_ms >= c->conf->metadata_max_age_ms &&
           now - md->last_request_ms >= c->conf->retry_backoff_ms;
}

void kc_md_maybe_refresh(kc_client *c)
{
    kc_metadata *md = &c->md;
    if (md->in_flight || c->destroying)
        return;
    int64_t now = kc_now_ms();
    if (!refresh_due(c, now))
        return;
    refresh_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return;
    ctx->internal = true;
    ctx->all_topics = md->all_topics;
    size_t n = 0;
    const char **names = md->all_topics ? NULL : wanted_names(c, &n);
    if (!md->all_topics && !names) {
        free(ctx);
        return;
    }
    static const char *const none[1] = {NULL};
    kc_err err = send_metadata(c, md->all_topics ? NULL : n ? names : none, n,
                               c->conf->request_timeout_ms, ctx);
    free(names);
    if (err) {
        free(ctx);
        return;
    }
    md->in_flight = true;
    md->stale = false;
    md->wanted_changed = false;
    md->last_request_ms = now;
}

/* ---- public view --------------------------------------------------------------------------- */

const kc_topic_info *kc_metadata_topic(kc_client *client, const char *topic)
{
    kc_md_topic *t = kc_md_topic_get(client, topic);
    return t && t->fetched_ms ? &t->info : NULL;
}

const kc_broker_info *kc_metadata_brokers(kc_client *client, size_t *count)
{
    *count = client->md.broker_count;
    return client->md.brokers;
}

int32_t kc_metadata_controller(kc_client *client)
{
    return client->md.controller_id;
}

const char *kc_metadata_cluster_id(kc_client *client)
{
    return client->md.cluster_id;
}

void kc_metadata_invalidate(kc_client *client)
{
    client->md.stale = true;
    kc_md_maybe_refresh(client);
}

kc_err kc_metadata_refresh(kc_client *client, const char *const *topics, size_t n,
                           int timeout_ms, kc_metadata_cb cb, void *opaque)
{
    if (!client || !cb)
        return KC_ERR_INVALID_ARG;
    for (size_t i = 0; topics && i < n; i++)
        if (!topics[i] || !*topics[i] || !kc_md_want(client, topics[i]))
            return kc_fail(client, topics[i] ? KC_ERR_NOMEM : KC_ERR_INVALID_ARG,
                           "bad or unstorable topic name");
    if (!topics)
        client->md.all_topics = true;
    refresh_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return kc_fail(client, KC_ERR_NOMEM, "out of memory");
    ctx->all_topics = topics == NULL;
    ctx->cb = cb;
    ctx->opaque = opaque;
    kc_err err = send_metadata(client, topics, n, timeout_ms, ctx);
    if (err)
        free(ctx);
    return err;
}

bool kc_client_broker_versions(kc_client *client, int32_t node_id, int16_t api_key,
                               int16_t *min_version, int16_t *max_version)
{
    kc_conn *conn = kc_client_conn(client, node_id);
    if (!conn || !conn->have_versions || api_key < 0 || api_key >= KC_API_KEY_LIMIT)
        return false;
    kp_versions v = conn->versions[api_key];
    if (v.min > v.max)
        return false;
    *min_version = v.min;
    *max_version = v.max;
    return true;
}
