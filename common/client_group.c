/* client_group.c — group membership with Kafka's classic protocol:
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, and applying assignments
 * (see client_group.h for the state machine).
 *
 * Loop step: sends JoinGroup when JOIN_READY, heartbeats every
 * heartbeat.interval.ms, watches session.timeout.ms and
 * max.poll.interval.ms, files the answers. App step: runs what needs the
 * application — revoking (eager: everything before each join; cooperative:
 * only what moves), reporting lost partitions, applying a new assignment —
 * and the rebalance callbacks that go with it. Error handling follows
 * Java's AbstractCoordinator/ConsumerCoordinator. */
#include "common/client_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_group_protocol.h"
#include "common/protocol/messages.h"

#define JOIN_EXTRA_MS 5000     /* JoinGroup waits up to the rebalance timeout + this */
#define JOIN_ERROR_BACKOFF_MS 1000

typedef struct group_ctx {
    kc_group *g;
    uint32_t epoch;
} group_ctx;

static group_ctx *ctx_new(kc_group *g)
{
    group_ctx *ctx = malloc(sizeof(*ctx));
    if (ctx)
        *ctx = (group_ctx){g, g->epoch};
    return ctx;
}

static bool set_string(char **dst, st_slice value)
{
    char *copy = value.len > 0 ? st_slice_strdup(value) : strdup("");
    if (!copy)
        return false;
    free(*dst);
    *dst = copy;
    return true;
}

static const char *reason_of(const kc_group *g)
{
    return g->rejoin_reason[0] ? g->rejoin_reason : "joining";
}

/* ---- creation ------------------------------------------------------------------------ */

kc_group *kc_group_new(kc_consumer *c)
{
    kc_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->c = c;
    g->group_id = strdup(c->s.group_id);
    g->instance_id = c->s.group_instance_id[0] ? strdup(c->s.group_instance_id) : NULL;
    g->member_id = strdup("");
    g->protocol = strdup("");
    g->generation = -1;
    kc_coord_init(&g->coord);
    st_arena_init(&g->assignment_arena);
    st_arena_init(&g->leader.arena);
    if (!g->group_id || !g->member_id || !g->protocol ||
        (c->s.group_instance_id[0] && !g->instance_id)) {
        kc_group_free(g);
        return NULL;
    }
    return g;
}

void kc_group_free(kc_group *g)
{
    if (!g)
        return;
    free(g->group_id);
    free(g->instance_id);
    free(g->member_id);
    free(g->protocol);
    st_arena_free(&g->assignment_arena);
    kc_leader_clear(&g->leader);
    st_arena_free(&g->leader.arena);
    free(g->topic_snapshot);
    free(g->topic_snapshot_names);
    free(g);
}

/* ---- state changes --------------------------------------------------------------------- */

static void set_state(kc_group *g, kc_group_state state)
{
    g->state = state;
    if (state == KG_NEED_PREPARE)
        kc_consumer_signal_ready(g->c);
    kc_consumer_kick(g->c);
}

void kc_group_request_rejoin(kc_group *g, const char *why)
{
    snprintf(g->rejoin_reason, sizeof(g->rejoin_reason), "%s", why);
    switch (g->state) {
    case KG_IDLE:
    case KG_STABLE:
        kc_log(g->c->client, ST_LOG_INFO, "group %s: rejoining: %s", g->group_id, why);
        set_state(g, KG_NEED_PREPARE);
        break;
    case KG_JOINING:
    case KG_AWAIT_METADATA:
    case KG_SYNCING:
        g->epoch++; /* the answer in flight is for an outdated request */
        set_state(g, KG_NEED_PREPARE);
        break;
    case KG_NEED_PREPARE:
    case KG_JOIN_READY:
        break;
    }
}

void kc_group_reset(kc_group *g, bool reset_member_id, const char *why)
{
    kc_log(g->c->client, ST_LOG_INFO, "group %s: member %s generation %d reset: %s",
           g->group_id, g->member_id, g->generation, why);
    g->generation = -1;
    g->epoch++;
    g->hb_in_flight = false;
    if (reset_member_id)
        set_string(&g->member_id, ST_SLICE_EMPTY);
    if (g->c->tp_count)
        g->lost = true;
    g->assignment_ready = false;
    snprintf(g->rejoin_reason, sizeof(g->rejoin_reason), "%s", why);
    if (g->state != KG_IDLE)
        set_state(g, KG_NEED_PREPARE);
}

static void fatal(kc_group *g, int16_t code, const char *what)
{
    char msg[384];
    snprintf(msg, sizeof(msg), "group %s: %s: %s (group.instance.id %s is in use by another "
             "member)", g->group_id, what, kafka_error_name(code),
             g->instance_id ? g->instance_id : "-");
    g->epoch++;
    g->generation = -1;
    g->state = KG_IDLE;
    kc_consumer_set_fatal(g->c, code, msg);
}

/* A join/sync failed: back to JOIN_READY after a backoff. */
static void retry_join(kc_group *g, int64_t delay_ms)
{
    g->join_failures++;
    g->join_retry_at_ms = kc_now_ms() + delay_ms;
    set_state(g, KG_JOIN_READY);
}

static int64_t join_backoff(kc_group *g)
{
    const kc_config *conf = g->c->conf;
    return kc_backoff_ms(g->c->client, conf->retry_backoff_ms, conf->retry_backoff_max_ms,
                         g->join_failures + 1);
}

int16_t kc_group_commit_generation(const kc_group *g, int32_t *generation,
                                   const char **member_id)
{
    *generation = -1;
    *member_id = "";
    if (g->c->mode != KC_MODE_SUBSCRIBED)
        return KAFKA_NONE;
    if (g->generation >= 0 && (g->state == KG_STABLE || g->state == KG_NEED_PREPARE)) {
        *generation = g->generation;
        *member_id = g->member_id;
        return KAFKA_NONE;
    }
    if (g->state == KG_JOIN_READY || g->state == KG_JOINING || g->state == KG_SYNCING ||
        g->state == KG_AWAIT_METADATA)
        return KAFKA_REBALANCE_IN_PROGRESS;
    return KAFKA_ILLEGAL_GENERATION;
}

bool kc_group_needs_app(const kc_group *g)
{
    return g->assignment_ready || g->state == KG_NEED_PREPARE;
}


/* ---- JoinGroup ---------------------------------------------------------------------------- */

/* The owned partitions for the subscription (cooperative; eager owns none
 * when it joins). */
static kc_asg_tp *owned_partitions(kc_group *g, st_arena *arena, size_t *n)
{
    kc_consumer *c = g->c;
    kc_asg_tp *owned = st_arena_calloc(arena, c->tp_count + 1, sizeof(*owned));
    *n = 0;
    if (!owned || !c->cooperative)
        return owned;
    for (size_t i = 0; i < c->tp_count; i++)
        owned[(*n)++] = (kc_asg_tp){c->tps[i]->topic, c->tps[i]->partition};
    return owned;
}

static bool build_protocols(kc_group *g, st_arena *arena, kp_join_group_request *req)
{
    kc_consumer *c = g->c;
    size_t owned_count;
    kc_asg_tp *owned = owned_partitions(g, arena, &owned_count);
    kp_join_group_request_protocol *protocols =
        st_arena_calloc(arena, (size_t)c->s.assignor_count, sizeof(*protocols));
    uint8_t *gen = st_arena_alloc(arena, 4);
    if (!owned || !protocols || !gen)
        return false;
    kc_cooperative_user_data(g->generation, gen);
    for (int i = 0; i < c->s.assignor_count; i++) {
        const kc_assignor *a = kc_assignor_find(c->s.assignors[i]);
        st_buf meta;
        st_buf_init(&meta);
        st_err err = kc_subscription_encode(
            &meta, KC_SUBSCRIPTION_VERSION, (const char *const *)c->sub.matched,
            c->sub.matched_count, owned, owned_count, g->generation, c->s.client_rack,
            a && a->cooperative ? st_slice_from(gen, 4) : ST_SLICE_NULL);
        uint8_t *copy = err ? NULL : st_arena_alloc(arena, meta.len + 1);
        if (copy)
            memcpy(copy, meta.data, meta.len);
        size_t len = meta.len;
        st_buf_free(&meta);
        if (!copy)
            return false;
        kp_init(&kp_join_group_request_protocol_desc, &protocols[i]);
        protocols[i].name = st_slice_cstr(c->s.assignors[i]);
        protocols[i].metadata = st_slice_from(copy, len);
    }
    req->protocols = protocols;
    req->protocols_count = c->s.assignor_count;
    return true;
}

static void on_join(kc_client *client, const kc_response *resp, void *opaque);

static void send_join(kc_group *g)
{
    kc_consumer *c = g->c;
    st_arena arena;
    st_arena_init(&arena);
    kp_join_group_request req;
    kp_join_group_request_init(&req);
    req.group_id = st_slice_cstr(g->group_id);
    req.session_timeout_ms = c->s.session_timeout_ms;
    req.rebalance_timeout_ms = c->s.max_poll_interval_ms;
    req.member_id = st_slice_cstr(g->member_id);
    req.group_instance_id = g->instance_id ? st_slice_cstr(g->instance_id) : ST_SLICE_NULL;
    req.protocol_type = st_slice_cstr(KC_CONSUMER_PROTOCOL_TYPE);
    req.reason = st_slice_cstr(reason_of(g));
    group_ctx *ctx = NULL;
    if (!build_protocols(g, &arena, &req) || !(ctx = ctx_new(g))) {
        st_arena_free(&arena);
        retry_join(g, JOIN_ERROR_BACKOFF_MS);
        return;
    }
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.request_timeout_ms = c->s.max_poll_interval_ms + JOIN_EXTRA_MS;
    opts.timeout_ms = opts.request_timeout_ms;
    kc_err err = kc_coord_send(g, KC_API_JOIN_GROUP, &req, &opts, on_join, ctx);
    st_arena_free(&arena);
    if (err) {
        free(ctx);
        retry_join(g, JOIN_ERROR_BACKOFF_MS);
        return;
    }
    kc_log(c->client, ST_LOG_DEBUG, "group %s: JoinGroup (member '%s', %zu topics): %s",
           g->group_id, g->member_id, c->sub.matched_count, reason_of(g));
    g->state = KG_JOINING;
}

static void joined(kc_group *g, const kp_join_group_response *r)
{
    if (!set_string(&g->member_id, r->member_id) || !set_string(&g->protocol, r->protocol_name)) {
        retry_join(g, JOIN_ERROR_BACKOFF_MS);
        return;
    }
    g->generation = r->generation_id;
    g->is_leader = st_slice_eq(r->leader, r->member_id);
    g->join_failures = 0;
    kc_log(g->c->client, ST_LOG_INFO, "group %s: joined generation %d as %s%s (assignor %s, %d "
           "members)", g->group_id, g->generation, g->member_id, g->is_leader ? ", leader" : "",
           g->protocol, r->members_count);
    if (g->is_leader) {
        g->state = KG_AWAIT_METADATA;
        kc_leader_start(g, r);
    } else {
        kc_group_send_sync(g, NULL, 0);
    }
}

static void join_error(kc_group *g, const kp_join_group_response *r)
{
    int16_t code = r->error_code;
    switch (code) {
    case KAFKA_MEMBER_ID_REQUIRED:
        set_string(&g->member_id, r->member_id);
        g->join_retry_at_ms = 0;
        set_state(g, KG_JOIN_READY);
        return;
    case KAFKA_UNKNOWN_MEMBER_ID:
    case KAFKA_ILLEGAL_GENERATION:
        kc_group_reset(g, true, code == KAFKA_UNKNOWN_MEMBER_ID ? "JoinGroup: UNKNOWN_MEMBER_ID"
                                                                : "JoinGroup: ILLEGAL_GENERATION");
        return;
    case KAFKA_FENCED_INSTANCE_ID:
        fatal(g, code, "JoinGroup");
        return;
    case KAFKA_GROUP_MAX_SIZE_REACHED:
        fatal(g, code, "JoinGroup");
        return;
    case KAFKA_NOT_COORDINATOR:
    case KAFKA_COORDINATOR_NOT_AVAILABLE:
        kc_coord_error(g, code);
        retry_join(g, 0);
        return;
    case KAFKA_COORDINATOR_LOAD_IN_PROGRESS:
    case KAFKA_REBALANCE_IN_PROGRESS:
        retry_join(g, join_backoff(g));
        return;
    default:
        kc_consumer_error(g->c, code, NULL, -1, "group %s: JoinGroup failed: %s", g->group_id,
                          kafka_error_name(code));
        retry_join(g, JOIN_ERROR_BACKOFF_MS);
        return;
    }
}

static bool current(kc_group *g, group_ctx *ctx, const kc_response *resp, kc_group_state state)
{
    bool ok = resp->err != KC_ERR_DESTROYED && ctx->epoch == g->epoch && g->state == state;
    free(ctx);
    return ok;
}

static void on_join(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    group_ctx *ctx = opaque;
    kc_group *g = ctx->g;
    if (!current(g, ctx, resp, KG_JOINING))
        return;
    if (resp->err) {
        kc_coord_mark_unknown(g, resp->errstr);
        retry_join(g, join_backoff(g));
        return;
    }
    const kp_join_group_response *r = resp->body;
    if (r->error_code)
        join_error(g, r);
    else
        joined(g, r);
}

/* ---- SyncGroup ----------------------------------------------------------------------------- */

static void on_sync(kc_client *client, const kc_response *resp, void *opaque);

void kc_group_send_sync(kc_group *g, void *assignments, int32_t count)
{
    kp_sync_group_request req;
    kp_sync_group_request_init(&req);
    req.group_id = st_slice_cstr(g->group_id);
    req.generation_id = g->generation;
    req.member_id = st_slice_cstr(g->member_id);
    req.group_instance_id = g->instance_id ? st_slice_cstr(g->instance_id) : ST_SLICE_NULL;
    req.protocol_type = st_slice_cstr(KC_CONSUMER_PROTOCOL_TYPE);
    req.protocol_name = st_slice_cstr(g->protocol);
    req.assignments = assignments;
    req.assignments_count = count;
    group_ctx *ctx = ctx_new(g);
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.request_timeout_ms = g->c->s.max_poll_interval_ms + JOIN_EXTRA_MS;
    opts.timeout_ms = opts.request_timeout_ms;
    if (!ctx || kc_coord_send(g, KC_API_SYNC_GROUP, &req, &opts, on_sync, ctx) != KC_OK) {
        free(ctx);
        retry_join(g, JOIN_ERROR_BACKOFF_MS);
        return;
    }
    g->state = KG_SYNCING;
}

static void synced(kc_group *g, const kp_sync_group_response *r)
{
    st_arena_reset(&g->assignment_arena);
    kc_asg_tp *parts;
    size_t n;
    st_err err = kc_assignment_decode(r->assignment, &g->assignment_arena, &parts, &n);
    if (err) {
        kc_consumer_error(g->c, KC_ERR_BAD_RESPONSE, NULL, -1, "group %s: unreadable "
                          "assignment from the leader: %s", g->group_id, st_err_name(err));
        parts = NULL;
        n = 0;
    }
    g->assignment = parts;
    g->assignment_count = n;
    g->assignment_ready = true;
    g->state = KG_STABLE;
    g->rejoin_reason[0] = 0;
    g->last_hb_ok_ms = kc_now_ms();
    g->next_hb_ms = g->last_hb_ok_ms + g->c->s.heartbeat_interval_ms;
    kc_log(g->c->client, ST_LOG_INFO, "group %s: generation %d: %zu partitions assigned",
           g->group_id, g->generation, n);
    kc_consumer_signal_ready(g->c);
    kc_consumer_kick(g->c);
}

static void on_sync(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    group_ctx *ctx = opaque;
    kc_group *g = ctx->g;
    if (!current(g, ctx, resp, KG_SYNCING))
        return;
    if (resp->err) {
        kc_coord_mark_unknown(g, resp->errstr);
        retry_join(g, join_backoff(g));
        return;
    }
    const kp_sync_group_response *r = resp->body;
    switch (r->error_code) {
    case KAFKA_NONE:
        synced(g, r);
        return;
    case KAFKA_REBALANCE_IN_PROGRESS:
        retry_join(g, 0);
        return;
    case KAFKA_UNKNOWN_MEMBER_ID:
    case KAFKA_ILLEGAL_GENERATION:
        kc_group_reset(g, true, r->error_code == KAFKA_UNKNOWN_MEMBER_ID
                                    ? "SyncGroup: UNKNOWN_MEMBER_ID"
                                    : "SyncGroup: ILLEGAL_GENERATION");
        return;
    case KAFKA_FENCED_INSTANCE_ID:
        fatal(g, r->error_code, "SyncGroup");
        return;
    case KAFKA_NOT_COORDINATOR:
    case KAFKA_COORDINATOR_NOT_AVAILABLE:
        kc_coord_error(g, r->error_code);
        retry_join(g, 0);
        return;
    default:
        kc_consumer_error(g->c, r->error_code, NULL, -1, "group %s: SyncGroup failed: %s",
                          g->group_id, kafka_error_name(r->error_code));
        retry_join(g, JOIN_ERROR_BACKOFF_MS);
        return;
    }
}

/* ---- Heartbeat -------------------------------------------------------------------------------- */

static void on_heartbeat(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    group_ctx *ctx = opaque;
    kc_group *g = ctx->g;
    uint32_t epoch = ctx->epoch;
    free(ctx);
    if (resp->err == KC_ERR_DESTROYED || epoch != g->epoch)
        return;
    g->hb_in_flight = false;
    if (resp->err) {
        kc_coord_mark_unknown(g, resp->errstr);
        g->next_hb_ms = 0; /* as soon as the coordinator is back */
        return;
    }
    int16_t code = ((const kp_heartbeat_response *)resp->body)->error_code;
    switch (code) {
    case KAFKA_NONE:
        g->last_hb_ok_ms = kc_now_ms();
        return;
    case KAFKA_REBALANCE_IN_PROGRESS:
        g->last_hb_ok_ms = kc_now_ms();
        if (g->state == KG_STABLE)
            kc_group_request_rejoin(g, "the group is rebalancing");
        return;
    case KAFKA_UNKNOWN_MEMBER_ID:
    case KAFKA_ILLEGAL_GENERATION:
        kc_group_reset(g, true, code == KAFKA_UNKNOWN_MEMBER_ID ? "Heartbeat: UNKNOWN_MEMBER_ID"
                                                                : "Heartbeat: ILLEGAL_GENERATION");
        return;
    case KAFKA_FENCED_INSTANCE_ID:
        fatal(g, code, "Heartbeat");
        return;
    case KAFKA_NOT_COORDINATOR:
    case KAFKA_COORDINATOR_NOT_AVAILABLE:
        kc_coord_error(g, code);
        g->next_hb_ms = 0;
        return;
    default:
        kc_log(g->c->client, ST_LOG_WARN, "group %s: heartbeat: %s", g->group_id,
               kafka_error_name(code));
        return;
    }
}

static void heartbeat(kc_group *g, int64_t now)
{
    if ((g->state != KG_STABLE && g->state != KG_NEED_PREPARE) || g->generation < 0 ||
        !g->member_id[0] || g->hb_in_flight || now < g->next_hb_ms || g->coord.node_id < 0)
        return;
    kp_heartbeat_request req;
    kp_heartbeat_request_init(&req);
    req.group_id = st_slice_cstr(g->group_id);
    req.generation_id = g->generation;
    req.member_id = st_slice_cstr(g->member_id);
    req.group_instance_id = g->instance_id ? st_slice_cstr(g->instance_id) : ST_SLICE_NULL;
    group_ctx *ctx = ctx_new(g);
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.timeout_ms = g->c->conf->request_timeout_ms;
    if (!ctx || kc_coord_send(g, KC_API_HEARTBEAT, &req, &opts, on_heartbeat, ctx) != KC_OK) {
        free(ctx);
        return;
    }
    g->hb_in_flight = true;
    g->next_hb_ms = now + g->c->s.heartbeat_interval_ms;
}

/* ---- LeaveGroup ------------------------------------------------------------------------------- */

static void on_leave(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    kc_group *g = opaque;
    if (resp->err == KC_ERR_DESTROYED)
        return;
    g->leave_in_flight = false;
    int16_t code = resp->err ? 0 : ((const kp_leave_group_response *)resp->body)->error_code;
    if (resp->err || code)
        kc_log(g->c->client, ST_LOG_INFO, "group %s: LeaveGroup: %s", g->group_id,
               resp->err ? resp->errstr : kafka_error_name(code));
}

static void send_leave(kc_group *g, const char *why)
{
    kp_leave_group_request req;
    kp_leave_group_request_init(&req);
    kp_leave_group_request_member_identity member;
    kp_init(&kp_leave_group_request_member_identity_desc, &member);
    member.member_id = st_slice_cstr(g->member_id);
    member.group_instance_id = ST_SLICE_NULL;
    member.reason = st_slice_cstr(why);
    req.group_id = st_slice_cstr(g->group_id);
    req.member_id = st_slice_cstr(g->member_id);
    req.members = &member;
    req.members_count = 1;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.timeout_ms = g->c->conf->request_timeout_ms;
    if (kc_coord_send(g, KC_API_LEAVE_GROUP, &req, &opts, on_leave, g) == KC_OK) {
        g->leave_in_flight = true;
        kc_log(g->c->client, ST_LOG_INFO, "group %s: member %s leaving: %s", g->group_id,
               g->member_id, why);
    }
}

void kc_group_leave(kc_group *g, const char *why)
{
    if (g->member_id[0] && !g->instance_id && g->coord.node_id >= 0 && g->state != KG_IDLE)
        send_leave(g, why);
    g->epoch++;
    g->generation = -1;
    g->hb_in_flight = false;
    g->assignment_ready = false;
    g->lost = false;
    set_string(&g->member_id, ST_SLICE_EMPTY);
    g->state = KG_IDLE;
}

/* ---- the loop step ------------------------------------------------------------------------------ */

static bool needs_coordinator(const kc_group *g)
{
    return g->state != KG_IDLE || g->c->commits || g->c->lookups;
}

/* Java's poll timeout: a member that has not polled for max.poll.interval.ms
 * leaves (dynamic) or stops heartbeating (static), and rejoins at the next
 * poll. */
static void check_poll_interval(kc_group *g, int64_t now)
{
    kc_consumer *c = g->c;
    if (g->generation < 0 || g->state != KG_STABLE ||
        now - c->last_poll_ms <= c->s.max_poll_interval_ms)
        return;
    kc_log(c->client, ST_LOG_WARN, "group %s: no poll for %lld ms (max.poll.interval.ms %d): "
           "leaving the group", g->group_id, (long long)(now - c->last_poll_ms),
           c->s.max_poll_interval_ms);
    if (!g->instance_id && g->coord.node_id >= 0)
        send_leave(g, "consumer poll timeout has expired");
    kc_group_reset(g, true, "max.poll.interval.ms expired");
}

static void check_session(kc_group *g, int64_t now)
{
    if (g->state == KG_STABLE && g->coord.node_id >= 0 &&
        now - g->last_hb_ok_ms > g->c->s.session_timeout_ms) {
        g->last_hb_ok_ms = now;
        kc_coord_mark_unknown(g, "no successful heartbeat within session.timeout.ms");
    }
}

void kc_group_loop_step(kc_group *g)
{
    if (g->c->fatal_err)
        return;
    int64_t now = kc_now_ms();
    bool known = needs_coordinator(g) && kc_coord_ensure(g);
    check_poll_interval(g, now);
    check_session(g, now);
    if (!known)
        return;
    if (g->state == KG_JOIN_READY && now >= g->join_retry_at_ms && !g->c->sub_waiting_md)
        send_join(g);
    heartbeat(g, now);
}

void kc_group_metadata_changed(kc_group *g)
{
    kc_consumer *c = g->c;
    if (c->mode != KC_MODE_SUBSCRIBED)
        return;
    if (kc_sub_update(&c->sub, c->client, c->s.exclude_internal_topics)) {
        kc_group_request_rejoin(g, "the subscribed topics changed");
        return;
    }
    if (!g->is_leader || g->state != KG_STABLE)
        return;
    for (size_t i = 0; i < g->topic_snapshot_count; i++) {
        const kc_topic_info *t = kc_metadata_topic(c->client, g->topic_snapshot[i].name);
        if (t && !t->error && t->partition_count > 0 &&
            t->partition_count != g->topic_snapshot[i].partition_count) {
            char why[320];
            snprintf(why, sizeof(why), "topic %s now has %d partitions",
                     g->topic_snapshot[i].name, t->partition_count);
            kc_group_request_rejoin(g, why);
            return;
        }
    }
}

/* ---- the app step ------------------------------------------------------------------------------- */

/* Commits the positions of parts (auto commit before a revocation). */
static void commit_before_revoke(kc_group *g, const kc_partition_list *parts)
{
    kc_consumer *c = g->c;
    if (!c->s.enable_auto_commit || !parts->count)
        return;
    kc_partition_list *offsets = kc_partition_list_new(parts->count);
    for (size_t i = 0; offsets && i < parts->count; i++) {
        kc_tp *tp = kc_tp_find(c, parts->items[i].topic, parts->items[i].partition);
        if (!tp || tp->state != KC_TP_READY || tp->position == tp->committed)
            continue;
        kc_partition_offset *p = kc_partition_list_add(offsets, tp->topic, tp->partition);
        if (p) {
            p->offset = tp->position;
            p->leader_epoch = tp->position_epoch;
        }
    }
    if (offsets && offsets->count) {
        int timeout = c->conf->default_api_timeout_ms < c->s.max_poll_interval_ms
                          ? c->conf->default_api_timeout_ms : c->s.max_poll_interval_ms;
        kc_err err = kc_consumer_in_loop(c)
                         ? kc_consumer_commit_async(c, offsets, NULL, NULL)
                         : kc_consumer_commit_sync(c, offsets, timeout);
        if (err)
            kc_log(c->client, ST_LOG_WARN, "group %s: committing before the revocation: %s",
                   g->group_id, kc_err_name(err));
    }
    kc_partition_list_free(offsets);
}

/* Revokes parts: commit (auto), REVOKED callback, removal. */
static void revoke_parts(kc_group *g, kc_partition_list *parts)
{
    kc_consumer *c = g->c;
    if (!parts->count)
        return;
    kc_partition_list_sort(parts);
    commit_before_revoke(g, parts);
    kc_consumer_call_rebalance(c, KC_REBALANCE_REVOKED, parts);
    for (size_t i = 0; i < parts->count; i++) {
        kc_tp *tp = kc_tp_find(c, parts->items[i].topic, parts->items[i].partition);
        if (tp)
            kc_tp_remove(c, tp);
    }
}

static void lose_all(kc_group *g)
{
    kc_consumer *c = g->c;
    g->lost = false;
    if (!c->tp_count)
        return;
    kc_partition_list *parts = kc_tp_list(c);
    if (parts)
        kc_consumer_call_rebalance(c, KC_REBALANCE_LOST, parts);
    kc_partition_list_free(parts);
    kc_tp_remove_all(c);
}

/* Before a join: eager revokes everything; cooperative revokes only the
 * partitions of topics no longer subscribed. */
static void prepare(kc_group *g)
{
    kc_consumer *c = g->c;
    if (g->lost) {
        lose_all(g);
    } else {
        kc_partition_list *parts = kc_partition_list_new(c->tp_count);
        for (size_t i = 0; parts && i < c->tp_count; i++) {
            kc_tp *tp = c->tps[i];
            if (!c->cooperative || !kc_sub_contains(&c->sub, tp->topic))
                kc_partition_list_add(parts, tp->topic, tp->partition);
        }
        if (parts)
            revoke_parts(g, parts);
        kc_partition_list_free(parts);
        if (g->lost) /* the membership went while the callbacks ran */
            lose_all(g);
    }
    if (g->state == KG_NEED_PREPARE && !c->fatal_err)
        set_state(g, KG_JOIN_READY);
}

static bool in_assignment(const kc_group *g, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < g->assignment_count; i++)
        if (g->assignment[i].partition == partition && !strcmp(g->assignment[i].topic, topic))
            return true;
    return false;
}

/* Applies the assignment SyncGroup brought. */
static void apply_assignment(kc_group *g)
{
    kc_consumer *c = g->c;
    g->assignment_ready = false;
    kc_partition_list *revoked = kc_partition_list_new(0);
    kc_partition_list *added = kc_partition_list_new(g->assignment_count);
    if (!revoked || !added) {
        kc_partition_list_free(revoked);
        kc_partition_list_free(added);
        kc_group_request_rejoin(g, "out of memory applying an assignment");
        return;
    }
    for (size_t i = 0; i < c->tp_count; i++)
        if (!in_assignment(g, c->tps[i]->topic, c->tps[i]->partition))
            kc_partition_list_add(revoked, c->tps[i]->topic, c->tps[i]->partition);
    for (size_t i = 0; i < g->assignment_count; i++) {
        const kc_asg_tp *tp = &g->assignment[i];
        if (!kc_tp_find(c, tp->topic, tp->partition) &&
            !kc_partition_list_find(added, tp->topic, tp->partition) &&
            kc_tp_add(c, tp->topic, tp->partition, KC_OFFSET_STORED))
            kc_partition_list_add(added, tp->topic, tp->partition);
    }
    uint32_t epoch = g->epoch;
    if (revoked->count) {
        revoke_parts(g, revoked);
        if (c->cooperative && g->epoch == epoch && g->state == KG_STABLE)
            kc_group_request_rejoin(g, "partitions were revoked");
    }
    kc_partition_list_sort(added);
    kc_consumer_call_rebalance(c, KC_REBALANCE_ASSIGNED, added);
    kc_partition_list_free(revoked);
    kc_partition_list_free(added);
}

void kc_group_app_step(kc_group *g)
{
    if (g->c->fatal_err)
        return;
    if (g->assignment_ready)
        apply_assignment(g);
    if (g->state == KG_NEED_PREPARE)
        prepare(g);
}
