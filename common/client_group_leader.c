/* client_group_leader.c — the group leader's part of a rebalance: read
 * every member's subscription from the JoinGroup answer, fetch metadata for
 * all the topics they subscribe to, run the chosen assignor and encode each
 * member's assignment for SyncGroup (see client_group.h).
 *
 * Owns the copy of the members (kc_leader, in its arena) between JoinGroup
 * and SyncGroup, and the partition counts it assigned (to rejoin when they
 * change). A member whose subscription cannot be read gets nothing (as
 * librdkafka does) rather than failing the whole group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_group.h"
#include "common/client_group_protocol.h"
#include "common/protocol/messages.h"

typedef struct md_ctx {
    kc_group *g;
    uint32_t epoch;
} md_ctx;

void kc_leader_clear(kc_leader *l)
{
    st_arena_reset(&l->arena);
    l->members = NULL;
    l->versions = NULL;
    l->member_count = 0;
    l->topics = NULL;
    l->topic_count = 0;
    l->skip_assignment = false;
}

static char *arena_strdup(st_arena *arena, st_slice s)
{
    size_t len = s.len > 0 ? (size_t)s.len : 0;
    char *copy = st_arena_alloc(arena, len + 1);
    if (copy && len)
        memcpy(copy, s.ptr, len);
    return copy;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted union of every member's topics. */
static bool union_topics(kc_leader *l)
{
    size_t total = 0;
    for (size_t i = 0; i < l->member_count; i++)
        total += l->members[i].topic_count;
    l->topics = st_arena_calloc(&l->arena, total + 1, sizeof(char *));
    if (!l->topics)
        return false;
    for (size_t i = 0; i < l->member_count; i++)
        for (size_t j = 0; j < l->members[i].topic_count; j++)
            l->topics[l->topic_count++] = l->members[i].topics[j];
    qsort(l->topics, l->topic_count, sizeof(char *), str_cmp);
    size_t unique = 0;
    for (size_t i = 0; i < l->topic_count; i++)
        if (!unique || strcmp(l->topics[unique - 1], l->topics[i]))
            l->topics[unique++] = l->topics[i];
    l->topic_count = unique;
    return true;
}

/* Copies the members of the JoinGroup answer; false when out of memory. */
static bool copy_members(kc_group *g, const kp_join_group_response *r)
{
    kc_leader *l = &g->leader;
    const kc_assignor *a = kc_assignor_find(g->protocol);
    bool cooperative = a && a->cooperative;
    size_t n = r->members_count > 0 ? (size_t)r->members_count : 0;
    l->members = st_arena_calloc(&l->arena, n + 1, sizeof(*l->members));
    l->versions = st_arena_calloc(&l->arena, n + 1, sizeof(*l->versions));
    if (!l->members || !l->versions)
        return false;
    for (size_t i = 0; i < n; i++) {
        const kp_join_group_response_member *m = &r->members[i];
        kc_asg_member *dst = &l->members[i];
        dst->member_id = arena_strdup(&l->arena, m->member_id);
        dst->instance_id = m->group_instance_id.len >= 0
                               ? arena_strdup(&l->arena, m->group_instance_id) : NULL;
        if (!dst->member_id || (m->group_instance_id.len >= 0 && !dst->instance_id))
            return false;
        kc_member_sub sub;
        st_err err = kc_subscription_decode(m->metadata, cooperative, &l->arena, &sub);
        if (err == ST_ERR_NOMEM)
            return false;
        if (err) {
            kc_log(g->c->client, ST_LOG_WARN, "group %s: cannot read the subscription of "
                   "member %s (%s): it gets no partitions", g->group_id, dst->member_id,
                   st_err_name(err));
            dst->generation = -1;
            continue;
        }
        dst->topics = sub.topics;
        dst->topic_count = sub.topic_count;
        dst->owned = sub.owned;
        dst->owned_count = sub.owned_count;
        dst->generation = sub.generation;
        l->versions[i] = sub.version;
    }
    l->member_count = n;
    return union_topics(l);
}

static void on_metadata(kc_client *client, kc_err err, const char *errstr, void *opaque)
{
    (void)client;
    md_ctx *ctx = opaque;
    kc_group *g = ctx->g;
    uint32_t epoch = ctx->epoch;
    free(ctx);
    if (err == KC_ERR_DESTROYED || epoch != g->epoch || g->state != KG_AWAIT_METADATA)
        return;
    if (err) /* assign from the cache: topics without metadata are left out */
        kc_log(g->c->client, ST_LOG_INFO, "group %s: metadata for the assignment: %s",
               g->group_id, errstr);
    st_arena arena;
    st_arena_init(&arena);
    void *assignments = NULL;
    int32_t count = 0;
    st_err aerr = kc_leader_assign(g, &arena, &assignments, &count);
    if (aerr) {
        kc_consumer_error(g->c, KC_ERR_NOMEM, NULL, -1, "group %s: assigning partitions: %s",
                          g->group_id, st_err_name(aerr));
        count = 0;
    }
    kc_group_send_sync(g, assignments, count);
    st_arena_free(&arena);
    kc_leader_clear(&g->leader);
}

void kc_leader_start(kc_group *g, const void *join_response)
{
    const kp_join_group_response *r = join_response;
    kc_leader *l = &g->leader;
    kc_leader_clear(l);
    l->skip_assignment = r->skip_assignment;
    md_ctx *ctx = NULL;
    if (!copy_members(g, r) || !(ctx = malloc(sizeof(*ctx)))) {
        kc_leader_clear(l);
        kc_group_send_sync(g, NULL, 0);
        return;
    }
    *ctx = (md_ctx){g, g->epoch};
    static const char *const none[1] = {NULL};
    kc_err err = kc_metadata_refresh(g->c->client, l->topic_count ? l->topics : none,
                                     l->topic_count, g->c->conf->request_timeout_ms,
                                     on_metadata, ctx);
    if (err) {
        free(ctx);
        kc_leader_clear(l);
        kc_group_send_sync(g, NULL, 0);
    }
}

/* The partition counts of the union topics, remembered as the snapshot. */
static kc_asg_topic *topic_counts(kc_group *g, st_arena *arena, size_t *n)
{
    kc_leader *l = &g->leader;
    kc_asg_topic *topics = st_arena_calloc(arena, l->topic_count + 1, sizeof(*topics));
    kc_asg_topic *snapshot = calloc(l->topic_count + 1, sizeof(*snapshot));
    char *names = NULL;
    size_t names_len = 0;
    for (size_t i = 0; i < l->topic_count; i++)
        names_len += strlen(l->topics[i]) + 1;
    if (topics && snapshot)
        names = calloc(names_len + 1, 1);
    if (!topics || !snapshot || !names) {
        free(snapshot);
        free(names);
        return NULL;
    }
    *n = 0;
    char *at = names;
    for (size_t i = 0; i < l->topic_count; i++) {
        const kc_topic_info *t = kc_metadata_topic(g->c->client, l->topics[i]);
        if (!t || t->error || t->partition_count <= 0)
            continue;
        topics[*n] = (kc_asg_topic){l->topics[i], t->partition_count};
        size_t len = strlen(l->topics[i]) + 1;
        memcpy(at, l->topics[i], len);
        snapshot[*n] = (kc_asg_topic){at, t->partition_count};
        at += len;
        (*n)++;
    }
    /* the snapshot's names live in one block */
    free(g->topic_snapshot_names);
    free(g->topic_snapshot);
    g->topic_snapshot = snapshot;
    g->topic_snapshot_names = names;
    g->topic_snapshot_count = *n;
    return topics;
}

st_err kc_leader_assign(kc_group *g, st_arena *arena, void **assignments, int32_t *count)
{
    kc_leader *l = &g->leader;
    *assignments = NULL;
    *count = 0;
    if (l->skip_assignment)
        return ST_OK;
    const kc_assignor *a = kc_assignor_find(g->protocol);
    if (!a) {
        kc_consumer_error(g->c, KAFKA_INCONSISTENT_GROUP_PROTOCOL, NULL, -1, "group %s: the "
                          "group chose assignor '%s', which this consumer does not have",
                          g->group_id, g->protocol);
        return ST_OK;
    }
    size_t topic_count = 0;
    kc_asg_topic *topics = topic_counts(g, arena, &topic_count);
    kc_asg_result *results = st_arena_calloc(arena, l->member_count + 1, sizeof(*results));
    kp_sync_group_request_assignment *out =
        st_arena_calloc(arena, l->member_count + 1, sizeof(*out));
    if (!topics || !results || !out)
        return ST_ERR_NOMEM;
    st_err err = a->assign(l->members, l->member_count, topics, topic_count, results, arena);
    if (err)
        return err;
    for (size_t i = 0; i < l->member_count; i++) {
        st_buf buf;
        st_buf_init(&buf);
        int16_t version = l->versions[i] > KC_SUBSCRIPTION_VERSION ? KC_SUBSCRIPTION_VERSION
                                                                    : l->versions[i];
        err = kc_assignment_encode(&buf, version, results[i].parts, results[i].count,
                                   ST_SLICE_NULL);
        uint8_t *bytes = err ? NULL : st_arena_alloc(arena, buf.len + 1);
        if (bytes)
            memcpy(bytes, buf.data, buf.len);
        size_t len = buf.len;
        st_buf_free(&buf);
        if (!bytes)
            return err ? err : ST_ERR_NOMEM;
        kp_init(&kp_sync_group_request_assignment_desc, &out[i]);
        out[i].member_id = st_slice_cstr(l->members[i].member_id);
        out[i].assignment = st_slice_from(bytes, len);
        kc_log(g->c->client, ST_LOG_DEBUG, "group %s: %s gets %zu partitions", g->group_id,
               l->members[i].member_id, results[i].count);
    }
    *assignments = out;
    *count = (int32_t)l->member_count;
    return ST_OK;
}
