/* group_coordinator.c — the classic group protocol's state machine:
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, member sessions and
 * rebalances (see group_coordinator.h). The rules follow Kafka's
 * GroupCoordinator: members that do not rejoin within the rebalance timeout
 * are removed, a rebalance completes when every member has rejoined, the
 * leader's SyncGroup hands every member its assignment, and static members
 * (group.instance.id) that come back within their session keep their
 * assignment without a rebalance. */
#include "broker/group_coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/cluster_identity.h"
#include "broker/group_store.h"
#include "common/kafka_error.h"

enum { GROUP_ID_MAX = 32000 };

static int64_t now_ms(const group_coordinator *gc)
{
    return broker_now_ms(gc->b);
}

static const st_logger *logger(const group_coordinator *gc)
{
    return &gc->b->logger;
}

/* ---- groups -------------------------------------------------------------- */

bool gc_group_id_valid(st_slice group_id, bool empty_ok)
{
    return group_id.len >= (empty_ok ? 0 : 1) && group_id.len <= GROUP_ID_MAX;
}

consumer_group *gc_find(const group_coordinator *gc, st_slice group_id)
{
    return group_id.len >= 0 ? strmap_get(&gc->groups, group_id) : NULL;
}

consumer_group *gc_valid_find(const group_coordinator *gc, st_slice group_id, int16_t *error)
{
    *error = gc_group_id_valid(group_id, false) ? KAFKA_NONE : KAFKA_INVALID_GROUP_ID;
    return *error ? NULL : gc_find(gc, group_id);
}

consumer_group *gc_find_or_create(group_coordinator *gc, st_slice group_id)
{
    consumer_group *g = gc_find(gc, group_id);
    if (g)
        return g;
    if (group_store_ensure_topic(gc->b) != ST_OK)
        return NULL;
    int32_t partitions = gc->b->cfg.offsets_topic_num_partitions;
    g = group_new(group_id, group_store_partition_for(group_id, partitions), now_ms(gc));
    if (g && strmap_put(&gc->groups, group_id, g) != ST_OK) {
        group_free(g);
        g = NULL;
    }
    return g;
}

st_err gc_store_group(group_coordinator *gc, consumer_group *g, bool tombstone)
{
    group_records r;
    group_records_init(&r, now_ms(gc));
    group_records_group(&r, g, tombstone);
    st_err err = group_records_append(gc->b, g->offsets_partition, &r);
    group_records_free(&r);
    return err;
}

/* ---- responses ----------------------------------------------------------- */

static void respond_join_error(request *rq, st_slice member_id, int16_t error)
{
    kp_join_group_response *resp = request_new_response_body(rq);
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->error_code = error;
    resp->generation_id = -1;
    resp->protocol_name = ST_SLICE_NULL;
    resp->leader = ST_SLICE_EMPTY;
    resp->member_id = member_id.len >= 0 ? member_id : ST_SLICE_EMPTY;
    resp->members_count = 0;
    request_respond(rq, resp);
}

static bool fill_join_members(request *rq, const consumer_group *g, kp_join_group_response *resp)
{
    resp->members = st_arena_calloc(&rq->arena, g->members.count + 1, sizeof(*resp->members));
    if (!resp->members)
        return false;
    size_t pos = 0, n = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        const cg_member *m = value;
        const cg_protocol *p = cg_member_protocol(m, g->protocol_name);
        kp_join_group_response_member *out = &resp->members[n++];
        out->member_id = st_slice_cstr(m->member_id);
        out->group_instance_id = st_slice_cstr(m->instance_id);
        out->metadata = p ? p->metadata : ST_SLICE_EMPTY;
    }
    resp->members_count = (int32_t)n;
    return true;
}

/* The JoinGroup answer for m in g's current generation; the leader also
 * gets every member's subscription. leader_id overrides the group's leader
 * in the answer (NULL: the group's). */
static void respond_join_as(request *rq, const consumer_group *g, const cg_member *m,
                            const char *leader_id)
{
    kp_join_group_response *resp = request_new_response_body(rq);
    if (!leader_id)
        leader_id = g->leader_id ? g->leader_id : "";
    bool leader = strcmp(leader_id, m->member_id) == 0;
    /* Copies: the response outlives nothing here, but the group may change
     * before the response is encoded only within this call. */
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->generation_id = g->generation;
    resp->protocol_type = st_slice_cstr(g->protocol_type);
    resp->protocol_name = st_slice_cstr(g->protocol_name);
    resp->leader = st_slice_cstr(leader_id);
    resp->member_id = st_slice_cstr(m->member_id);
    resp->members_count = 0;
    if (leader && !fill_join_members(rq, g, resp)) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}

static void respond_join(request *rq, const consumer_group *g, const cg_member *m)
{
    respond_join_as(rq, g, m, NULL);
}

static void respond_sync(request *rq, const consumer_group *g, st_slice assignment, int16_t error)
{
    kp_sync_group_response *resp = request_new_response_body(rq);
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->error_code = error;
    resp->protocol_type = error || !g ? ST_SLICE_NULL : st_slice_cstr(g->protocol_type);
    resp->protocol_name = error || !g ? ST_SLICE_NULL : st_slice_cstr(g->protocol_name);
    resp->assignment = assignment.len >= 0 && !error ? assignment : ST_SLICE_EMPTY;
    request_respond(rq, resp);
}

static void fail_held(cg_member *m, int16_t error)
{
    if (m->awaiting_join) {
        request *rq = m->awaiting_join;
        m->awaiting_join = NULL;
        respond_join_error(rq, st_slice_cstr(m->member_id), error);
    }
    if (m->awaiting_sync) {
        request *rq = m->awaiting_sync;
        m->awaiting_sync = NULL;
        respond_sync(rq, NULL, ST_SLICE_EMPTY, error);
    }
}

/* ---- timers -------------------------------------------------------------- */

static void on_session_expired(struct ev_loop *loop, ev_timer *w, int revents);
static void schedule_session(group_coordinator *gc, cg_member *m);
static void prepare_rebalance(group_coordinator *gc, consumer_group *g, const char *reason);
static void maybe_complete_join(group_coordinator *gc, consumer_group *g);

static void schedule_session(group_coordinator *gc, cg_member *m)
{
    ev_timer_stop(gc->b->loop, &m->session_timer);
    ev_timer_init(&m->session_timer, on_session_expired, m->session_timeout_ms / 1000.0, 0.0);
    m->session_timer.data = gc;
    ev_timer_start(gc->b->loop, &m->session_timer);
}

void gc_touch_member(group_coordinator *gc, cg_member *m)
{
    if (m)
        schedule_session(gc, m);
}

static void remove_member(group_coordinator *gc, consumer_group *g, cg_member *m,
                          const char *reason)
{
    st_logf(logger(gc), ST_LOG_INFO, "groups", "group %s: member %s leaves (%s)", g->group_id,
            m->member_id, reason);
    ev_timer_stop(gc->b->loop, &m->session_timer);
    fail_held(m, KAFKA_UNKNOWN_MEMBER_ID);
    group_remove_member(g, m);
    switch (g->state) {
    case GROUP_STABLE:
    case GROUP_COMPLETING_REBALANCE:
        prepare_rebalance(gc, g, reason);
        break;
    case GROUP_PREPARING_REBALANCE:
        maybe_complete_join(gc, g);
        break;
    default:
        break;
    }
}

static void on_session_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    group_coordinator *gc = w->data;
    cg_member *m = (cg_member *)((char *)w - offsetof(cg_member, session_timer));
    if (m->awaiting_join || m->awaiting_sync) {
        schedule_session(gc, m); /* waiting on the group, not silent */
        return;
    }
    remove_member(gc, m->group, m, "session timeout expired");
}

static void remove_pending(group_coordinator *gc, consumer_group *g, cg_pending *p)
{
    ev_timer_stop(gc->b->loop, &p->timer);
    strmap_remove(&g->pending_members, st_slice_cstr(p->member_id));
    free(p->member_id);
    free(p);
}

static void on_pending_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    cg_pending *p = (cg_pending *)((char *)w - offsetof(cg_pending, timer));
    group_coordinator *gc = w->data;
    consumer_group *g = p->group;
    remove_pending(gc, g, p);
    if (g->state == GROUP_PREPARING_REBALANCE)
        maybe_complete_join(gc, g);
}

/* ---- rebalance ----------------------------------------------------------- */

static void complete_join(group_coordinator *gc, consumer_group *g);

static void on_join_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    group_coordinator *gc = w->data;
    consumer_group *g = (consumer_group *)((char *)w - offsetof(consumer_group, join_timer));
    g->join_timer_armed = false;
    if (g->initial_delay_left_ms > 0 && g->new_member_added) {
        /* KIP-134: keep waiting while members keep arriving, within the rebalance timeout */
        int64_t delay = gc->b->cfg.group_initial_rebalance_delay_ms;
        if (delay > g->initial_delay_left_ms)
            delay = g->initial_delay_left_ms;
        g->initial_delay_left_ms -= delay;
        g->new_member_added = false;
        ev_timer_init(&g->join_timer, on_join_timer, delay / 1000.0, 0.0);
        g->join_timer.data = gc;
        ev_timer_start(gc->b->loop, &g->join_timer);
        g->join_timer_armed = true;
        return;
    }
    g->initial_delay_left_ms = 0;
    complete_join(gc, g);
}

static int32_t max_rebalance_timeout(const consumer_group *g)
{
    int32_t max = 0;
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        int32_t t = ((const cg_member *)value)->rebalance_timeout_ms;
        if (t > max)
            max = t;
    }
    return max;
}

static void arm_join_timer(group_coordinator *gc, consumer_group *g, int64_t delay_ms)
{
    ev_timer_stop(gc->b->loop, &g->join_timer);
    ev_timer_init(&g->join_timer, on_join_timer, delay_ms / 1000.0, 0.0);
    g->join_timer.data = gc;
    ev_timer_start(gc->b->loop, &g->join_timer);
    g->join_timer_armed = true;
}

static void reset_assignments(consumer_group *g)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        cg_member *m = value;
        st_slice_free(&m->assignment);
        if (m->awaiting_sync) {
            request *rq = m->awaiting_sync;
            m->awaiting_sync = NULL;
            respond_sync(rq, NULL, ST_SLICE_EMPTY, KAFKA_REBALANCE_IN_PROGRESS);
        }
    }
}

static void prepare_rebalance(group_coordinator *gc, consumer_group *g, const char *reason)
{
    if (g->state == GROUP_COMPLETING_REBALANCE)
        reset_assignments(g);
    int64_t rebalance_timeout = max_rebalance_timeout(g);
    bool initial = g->state == GROUP_EMPTY;
    group_transition(g, GROUP_PREPARING_REBALANCE, now_ms(gc));
    st_logf(logger(gc), ST_LOG_INFO, "groups",
            "group %s: preparing to rebalance (generation %d, %s)", g->group_id, g->generation,
            reason);
    if (initial && gc->b->cfg.group_initial_rebalance_delay_ms > 0) {
        int64_t delay = gc->b->cfg.group_initial_rebalance_delay_ms;
        if (delay > rebalance_timeout)
            delay = rebalance_timeout;
        g->initial_delay_left_ms = rebalance_timeout - delay;
        g->new_member_added = false;
        arm_join_timer(gc, g, delay);
        return;
    }
    g->initial_delay_left_ms = 0;
    arm_join_timer(gc, g, rebalance_timeout);
    maybe_complete_join(gc, g);
}

static void maybe_complete_join(group_coordinator *gc, consumer_group *g)
{
    bool in_initial_delay = g->join_timer_armed && g->initial_delay_left_ms > 0;
    if (g->state == GROUP_PREPARING_REBALANCE && !in_initial_delay && group_all_joined(g))
        complete_join(gc, g);
}

static void remove_silent_members(group_coordinator *gc, consumer_group *g)
{
    bool again = true;
    while (again) {
        again = false;
        size_t pos = 0;
        const char *key;
        void *value;
        while (strmap_next(&g->members, &pos, &key, &value)) {
            cg_member *m = value;
            if (!m->awaiting_join) {
                st_logf(logger(gc), ST_LOG_INFO, "groups",
                        "group %s: member %s did not rejoin in time", g->group_id, m->member_id);
                ev_timer_stop(gc->b->loop, &m->session_timer);
                fail_held(m, KAFKA_UNKNOWN_MEMBER_ID);
                group_remove_member(g, m);
                again = true;
                break;
            }
        }
    }
    while (g->pending_members.count > 0) {
        size_t pos = 0;
        const char *key;
        void *value;
        if (!strmap_next(&g->pending_members, &pos, &key, &value))
            break;
        remove_pending(gc, g, value);
    }
}

static bool set_protocol(consumer_group *g, const char *name)
{
    free(g->protocol_name);
    g->protocol_name = name ? strdup(name) : NULL;
    return !name || g->protocol_name;
}

static void complete_join(group_coordinator *gc, consumer_group *g)
{
    if (g->state != GROUP_PREPARING_REBALANCE)
        return;
    ev_timer_stop(gc->b->loop, &g->join_timer);
    g->join_timer_armed = false;
    remove_silent_members(gc, g);
    g->generation++;
    if (group_size(g) == 0) {
        set_protocol(g, NULL);
        group_transition(g, GROUP_EMPTY, now_ms(gc));
        gc_store_group(gc, g, false);
        st_logf(logger(gc), ST_LOG_INFO, "groups", "group %s: empty at generation %d",
                g->group_id, g->generation);
        return;
    }
    set_protocol(g, group_select_protocol(g));
    group_transition(g, GROUP_COMPLETING_REBALANCE, now_ms(gc));
    st_logf(logger(gc), ST_LOG_INFO, "groups",
            "group %s: generation %d with %zu member(s), protocol %s, leader %s", g->group_id,
            g->generation, group_size(g), g->protocol_name ? g->protocol_name : "-",
            g->leader_id ? g->leader_id : "-");
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        cg_member *m = value;
        request *rq = m->awaiting_join;
        m->awaiting_join = NULL;
        m->is_new = false;
        schedule_session(gc, m);
        if (rq)
            respond_join(rq, g, m);
    }
}

/* ---- JoinGroup ----------------------------------------------------------- */

typedef struct join_args {
    const kp_join_group_request *req;
    int16_t version;
    st_slice *names;
    st_slice *metadata;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
} join_args;

static bool read_protocols(request *rq, join_args *a)
{
    const kp_join_group_request *req = a->req;
    int32_t n = req->protocols_count > 0 ? req->protocols_count : 0;
    a->names = st_arena_calloc(&rq->arena, (size_t)n + 1, sizeof(st_slice));
    a->metadata = st_arena_calloc(&rq->arena, (size_t)n + 1, sizeof(st_slice));
    if (!a->names || !a->metadata)
        return false;
    for (int32_t i = 0; i < n; i++) {
        a->names[i] = req->protocols[i].name;
        a->metadata[i] = req->protocols[i].metadata;
    }
    return true;
}

static char *new_member_id(st_slice prefix)
{
    uint8_t raw[16];
    uuid_random(raw);
    char uuid[40];
    snprintf(uuid, sizeof(uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", raw[0],
             raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10],
             raw[11], raw[12], raw[13], raw[14], raw[15]);
    size_t n = prefix.len > 0 ? (size_t)prefix.len : 0;
    char *id = malloc(n + 1 + sizeof(uuid));
    if (id)
        snprintf(id, n + 1 + sizeof(uuid), "%.*s-%s", (int)n, n ? (const char *)prefix.ptr : "",
                 uuid);
    return id;
}

static int16_t update_member(cg_member *m, const join_args *a)
{
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
    if (!cg_member_set_protocols(m, a->names, a->metadata, a->req->protocols_count))
        return KAFKA_UNKNOWN_SERVER_ERROR;
    return KAFKA_NONE;
}

/* The member waits for the rebalance it joins (or triggers). */
static void await_rebalance(group_coordinator *gc, consumer_group *g, cg_member *m, request *rq)
{
    if (m->awaiting_join) /* a duplicate join from the same member: answer the older */
        respond_join_error(m->awaiting_join, st_slice_cstr(m->member_id),
                           KAFKA_REBALANCE_IN_PROGRESS);
    m->awaiting_join = rq;
    if (g->state == GROUP_PREPARING_REBALANCE)
        maybe_complete_join(gc, g);
    else
        prepare_rebalance(gc, g, "a member joined or changed its subscription");
}

/* Kafka records a member's host as Java prints an InetAddress: "/" and the
 * address, without the port. */
static void client_host(const request *rq, char *out, size_t len)
{
    const char *peer = connection_peer(rq->conn);
    const char *port = strrchr(peer, ':');
    int n = port ? (int)(port - peer) : (int)strlen(peer);
    snprintf(out, len, "/%.*s", n, peer);
}

static void add_member_and_rebalance(group_coordinator *gc, consumer_group *g, request *rq,
                                     const join_args *a, const char *member_id)
{
    const kp_join_group_request *req = a->req;
    char host[80];
    client_host(rq, host, sizeof(host));
    cg_member *m = cg_member_new(g, member_id, a->version >= 5 ? req->group_instance_id
                                                                  : ST_SLICE_NULL,
                                    rq->req.header.client_id, host,
                                    a->session_timeout_ms, a->rebalance_timeout_ms);
    if (!m || update_member(m, a) || group_add_member(g, m) != 0) {
        cg_member_free(m);
        respond_join_error(rq, st_slice_cstr(member_id), KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    if (!g->protocol_type)
        g->protocol_type = st_slice_strdup(req->protocol_type);
    m->is_new = true;
    g->new_member_added = true;
    schedule_session(gc, m);
    st_logf(logger(gc), ST_LOG_INFO, "groups", "group %s: member %s (%s) joins", g->group_id,
            m->member_id, m->instance_id ? m->instance_id : "dynamic");
    await_rebalance(gc, g, m, rq);
}

static void add_pending(group_coordinator *gc, consumer_group *g, const char *member_id,
                        int32_t session_timeout_ms)
{
    cg_pending *p = calloc(1, sizeof(*p));
    if (!p || !(p->member_id = strdup(member_id)) ||
        strmap_put(&g->pending_members, st_slice_cstr(member_id), p) != ST_OK) {
        if (p)
            free(p->member_id);
        free(p);
        return;
    }
    p->group = g;
    ev_timer_init(&p->timer, on_pending_expired, session_timeout_ms / 1000.0, 0.0);
    p->timer.data = gc;
    ev_timer_start(gc->b->loop, &p->timer);
}

/* A static member coming back with a new process: it takes over the old
 * member's place (the old id is fenced) and, when nothing changed and the
 * group is stable, gets its assignment back without a rebalance. */
static void replace_static_member(group_coordinator *gc, consumer_group *g, cg_member *old,
                                  request *rq, const join_args *a)
{
    char *id = new_member_id(a->req->group_instance_id);
    if (!id) {
        respond_join_error(rq, ST_SLICE_EMPTY, KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    fail_held(old, KAFKA_FENCED_INSTANCE_ID);
    bool was_leader = g->leader_id && strcmp(g->leader_id, old->member_id) == 0;
    char *old_id = strdup(old->member_id);
    bool same = cg_member_same_protocols(old, a->names, a->metadata,
                                            a->req->protocols_count);
    strmap_remove(&g->members, st_slice_cstr(old->member_id));
    free(old->member_id);
    old->member_id = id;
    strmap_put(&g->members, st_slice_cstr(id), old);
    if (was_leader) {
        free(g->leader_id);
        g->leader_id = strdup(id);
    }
    st_logf(logger(gc), ST_LOG_INFO, "groups", "group %s: static member %s rejoined as %s",
            g->group_id, old->instance_id, id);
    if (update_member(old, a)) {
        free(old_id);
        respond_join_error(rq, st_slice_cstr(id), KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    schedule_session(gc, old);
    if (same && g->state == GROUP_STABLE) {
        /* As Kafka: the answer names the old leader id, so a restarted
         * leader acts as a follower and keeps the current assignment. */
        gc_store_group(gc, g, false);
        respond_join_as(rq, g, old, was_leader && old_id ? old_id : NULL);
        free(old_id);
        return;
    }
    free(old_id);
    await_rebalance(gc, g, old, rq);
}

static void join_new_member(group_coordinator *gc, consumer_group *g, request *rq,
                            const join_args *a)
{
    const kp_join_group_request *req = a->req;
    bool is_static = a->version >= 5 && req->group_instance_id.len >= 0;
    cg_member *existing = is_static ? group_find_static(g, req->group_instance_id) : NULL;
    if (existing) {
        replace_static_member(gc, g, existing, rq, a);
        return;
    }
    if (group_size(g) >= (size_t)gc->b->cfg.group_max_size) {
        respond_join_error(rq, ST_SLICE_EMPTY, KAFKA_GROUP_MAX_SIZE_REACHED);
        return;
    }
    char *id = new_member_id(is_static ? req->group_instance_id : rq->req.header.client_id);
    if (!id) {
        respond_join_error(rq, ST_SLICE_EMPTY, KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    if (!is_static && a->version >= 4) {
        /* KIP-394: the member must come back with this id. */
        add_pending(gc, g, id, a->session_timeout_ms);
        respond_join_error(rq, st_slice_cstr(id), KAFKA_MEMBER_ID_REQUIRED);
    } else {
        add_member_and_rebalance(gc, g, rq, a, id);
    }
    free(id);
}

static void join_known_member(group_coordinator *gc, consumer_group *g, request *rq,
                              const join_args *a)
{
    const kp_join_group_request *req = a->req;
    cg_pending *pending = strmap_get(&g->pending_members, req->member_id);
    if (pending) {
        char *id = strdup(pending->member_id);
        remove_pending(gc, g, pending);
        if (group_size(g) >= (size_t)gc->b->cfg.group_max_size)
            respond_join_error(rq, req->member_id, KAFKA_GROUP_MAX_SIZE_REACHED);
        else if (id)
            add_member_and_rebalance(gc, g, rq, a, id);
        free(id);
        return;
    }
    cg_member *m = group_find_member(g, req->member_id);
    bool is_static = a->version >= 5 && req->group_instance_id.len >= 0;
    if (!m) {
        cg_member *owner = is_static ? group_find_static(g, req->group_instance_id) : NULL;
        respond_join_error(rq, req->member_id,
                           owner ? KAFKA_FENCED_INSTANCE_ID : KAFKA_UNKNOWN_MEMBER_ID);
        return;
    }
    if (is_static && (!m->instance_id || !st_slice_eq_cstr(req->group_instance_id,
                                                           m->instance_id))) {
        respond_join_error(rq, req->member_id, KAFKA_FENCED_INSTANCE_ID);
        return;
    }
    bool same = cg_member_same_protocols(m, a->names, a->metadata, req->protocols_count);
    bool leader = g->leader_id && strcmp(g->leader_id, m->member_id) == 0;
    if (update_member(m, a)) {
        respond_join_error(rq, req->member_id, KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    schedule_session(gc, m);
    bool settled = (g->state == GROUP_COMPLETING_REBALANCE && same) ||
                   (g->state == GROUP_STABLE && same && !leader);
    if (settled)
        respond_join(rq, g, m); /* nothing changed: this generation still holds */
    else
        await_rebalance(gc, g, m, rq);
}

static int16_t check_join(group_coordinator *gc, const join_args *a, const consumer_group *g)
{
    const broker_config *cfg = &gc->b->cfg;
    if (!gc_group_id_valid(a->req->group_id, false))
        return KAFKA_INVALID_GROUP_ID;
    if (a->session_timeout_ms < cfg->group_min_session_timeout_ms ||
        a->session_timeout_ms > cfg->group_max_session_timeout_ms)
        return KAFKA_INVALID_SESSION_TIMEOUT;
    if (g && g->state == GROUP_DEAD)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (g && !group_supports(g, a->req->protocol_type, a->names, a->req->protocols_count))
        return KAFKA_INCONSISTENT_GROUP_PROTOCOL;
    if (!g && (a->req->protocol_type.len <= 0 || a->req->protocols_count <= 0))
        return KAFKA_INCONSISTENT_GROUP_PROTOCOL;
    return KAFKA_NONE;
}

void gc_join_group(group_coordinator *gc, request *rq)
{
    const kp_join_group_request *req = rq->req.body;
    join_args a = {req, request_version(rq), NULL, NULL, req->session_timeout_ms,
                   request_version(rq) >= 1 ? req->rebalance_timeout_ms
                                            : req->session_timeout_ms};
    if (!read_protocols(rq, &a)) {
        request_close_connection(rq, "out of memory");
        return;
    }
    bool unknown_member = req->member_id.len <= 0;
    consumer_group *g = gc_find(gc, req->group_id);
    int16_t error = check_join(gc, &a, g);
    if (!error && !g && !unknown_member)
        error = KAFKA_UNKNOWN_MEMBER_ID;
    if (!error && !g && !(g = gc_find_or_create(gc, req->group_id)))
        error = KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (error) {
        respond_join_error(rq, req->member_id, error);
        return;
    }
    if (unknown_member)
        join_new_member(gc, g, rq, &a);
    else
        join_known_member(gc, g, rq, &a);
}

/* ---- SyncGroup ----------------------------------------------------------- */

static int16_t check_member(const consumer_group *g, st_slice member_id, st_slice instance_id,
                            cg_member **out)
{
    cg_member *m = g ? group_find_member(g, member_id) : NULL;
    if (!m) {
        cg_member *owner = g ? group_find_static(g, instance_id) : NULL;
        return owner ? KAFKA_FENCED_INSTANCE_ID : KAFKA_UNKNOWN_MEMBER_ID;
    }
    if (instance_id.len >= 0 && (!m->instance_id || !st_slice_eq_cstr(instance_id,
                                                                      m->instance_id)))
        return KAFKA_FENCED_INSTANCE_ID;
    *out = m;
    return KAFKA_NONE;
}

/* The leader's assignments become every member's; members it left out get
 * an empty assignment. */
static bool apply_assignments(consumer_group *g, const kp_sync_group_request *req)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        cg_member *m = value;
        st_slice given = ST_SLICE_EMPTY;
        for (int32_t i = 0; i < req->assignments_count; i++)
            if (st_slice_eq_cstr(req->assignments[i].member_id, m->member_id))
                given = req->assignments[i].assignment;
        bool ok;
        st_slice_free(&m->assignment);
        m->assignment = st_slice_dup(given.len >= 0 ? given : ST_SLICE_EMPTY, &ok);
        if (!ok)
            return false;
    }
    return true;
}

static void leader_synced(group_coordinator *gc, consumer_group *g,
                          const kp_sync_group_request *req)
{
    if (!apply_assignments(g, req) || gc_store_group(gc, g, false) != ST_OK) {
        reset_assignments(g);
        size_t pos = 0;
        const char *key;
        void *value;
        while (strmap_next(&g->members, &pos, &key, &value)) {
            cg_member *m = value;
            if (m->awaiting_sync) {
                request *rq = m->awaiting_sync;
                m->awaiting_sync = NULL;
                respond_sync(rq, NULL, ST_SLICE_EMPTY, KAFKA_COORDINATOR_NOT_AVAILABLE);
            }
        }
        prepare_rebalance(gc, g, "storing the assignment failed");
        return;
    }
    group_transition(g, GROUP_STABLE, now_ms(gc));
    st_logf(logger(gc), ST_LOG_INFO, "groups", "group %s: stable at generation %d", g->group_id,
            g->generation);
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        cg_member *m = value;
        if (m->awaiting_sync) {
            request *rq = m->awaiting_sync;
            m->awaiting_sync = NULL;
            respond_sync(rq, g, m->assignment, KAFKA_NONE);
        }
    }
}

static int16_t check_sync(const consumer_group *g, const kp_sync_group_request *req,
                          int16_t version, cg_member **m)
{
    if (!gc_group_id_valid(req->group_id, false))
        return KAFKA_INVALID_GROUP_ID;
    int16_t error = check_member(g, req->member_id, version >= 3 ? req->group_instance_id
                                                                 : ST_SLICE_NULL, m);
    if (error)
        return error;
    if (req->generation_id != g->generation)
        return KAFKA_ILLEGAL_GENERATION;
    if (version >= 5 && ((req->protocol_type.len >= 0 &&
                          !st_slice_eq_cstr(req->protocol_type, g->protocol_type)) ||
                         (req->protocol_name.len >= 0 &&
                          !st_slice_eq_cstr(req->protocol_name, g->protocol_name))))
        return KAFKA_INCONSISTENT_GROUP_PROTOCOL;
    return KAFKA_NONE;
}

void gc_sync_group(group_coordinator *gc, request *rq)
{
    const kp_sync_group_request *req = rq->req.body;
    consumer_group *g = gc_find(gc, req->group_id);
    cg_member *m = NULL;
    int16_t error = check_sync(g, req, request_version(rq), &m);
    if (!error && g->state == GROUP_EMPTY)
        error = KAFKA_UNKNOWN_MEMBER_ID;
    if (!error && g->state == GROUP_PREPARING_REBALANCE)
        error = KAFKA_REBALANCE_IN_PROGRESS;
    if (error) {
        respond_sync(rq, NULL, ST_SLICE_EMPTY, error);
        return;
    }
    schedule_session(gc, m);
    if (g->state == GROUP_STABLE) {
        respond_sync(rq, g, m->assignment, KAFKA_NONE);
        return;
    }
    if (m->awaiting_sync)
        respond_sync(m->awaiting_sync, NULL, ST_SLICE_EMPTY, KAFKA_REBALANCE_IN_PROGRESS);
    m->awaiting_sync = rq;
    if (g->leader_id && strcmp(g->leader_id, m->member_id) == 0)
        leader_synced(gc, g, req);
}

/* ---- Heartbeat ----------------------------------------------------------- */

void gc_heartbeat(group_coordinator *gc, request *rq)
{
    const kp_heartbeat_request *req = rq->req.body;
    kp_heartbeat_response *resp = request_new_response_body(rq);
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    consumer_group *g = gc_find(gc, req->group_id);
    cg_member *m = NULL;
    int16_t error = !gc_group_id_valid(req->group_id, false) ? KAFKA_INVALID_GROUP_ID : KAFKA_NONE;
    if (!error)
        error = check_member(g, req->member_id,
                             request_version(rq) >= 3 ? req->group_instance_id : ST_SLICE_NULL,
                             &m);
    if (!error && g->state == GROUP_EMPTY)
        error = KAFKA_UNKNOWN_MEMBER_ID;
    if (!error && req->generation_id != g->generation)
        error = KAFKA_ILLEGAL_GENERATION;
    if (!error) {
        schedule_session(gc, m);
        if (g->state == GROUP_PREPARING_REBALANCE)
            error = KAFKA_REBALANCE_IN_PROGRESS;
    }
    resp->error_code = error;
    request_respond(rq, resp);
}

/* ---- LeaveGroup ---------------------------------------------------------- */

static int16_t leave_one(group_coordinator *gc, consumer_group *g, st_slice member_id,
                         st_slice instance_id)
{
    if (!g)
        return KAFKA_UNKNOWN_MEMBER_ID;
    cg_member *m = NULL;
    if (instance_id.len >= 0) {
        m = group_find_static(g, instance_id);
        if (!m)
            return KAFKA_UNKNOWN_MEMBER_ID;
        if (member_id.len > 0 && !st_slice_eq_cstr(member_id, m->member_id))
            return KAFKA_FENCED_INSTANCE_ID;
    } else {
        cg_pending *p = strmap_get(&g->pending_members, member_id);
        if (p) {
            remove_pending(gc, g, p);
            maybe_complete_join(gc, g);
            return KAFKA_NONE;
        }
        m = group_find_member(g, member_id);
        if (!m)
            return KAFKA_UNKNOWN_MEMBER_ID;
    }
    remove_member(gc, g, m, "left the group");
    return KAFKA_NONE;
}

void gc_leave_group(group_coordinator *gc, request *rq)
{
    const kp_leave_group_request *req = rq->req.body;
    kp_leave_group_response *resp = request_new_response_body(rq);
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    consumer_group *g = gc_find(gc, req->group_id);
    if (!gc_group_id_valid(req->group_id, false)) {
        resp->error_code = KAFKA_INVALID_GROUP_ID;
    } else if (request_version(rq) < 3) {
        resp->error_code = leave_one(gc, g, req->member_id, ST_SLICE_NULL);
    } else {
        resp->members = st_arena_calloc(&rq->arena, (size_t)req->members_count + 1,
                                        sizeof(*resp->members));
        if (!resp->members) {
            request_close_connection(rq, "out of memory");
            return;
        }
        resp->members_count = req->members_count;
        for (int32_t i = 0; i < req->members_count; i++) {
            const kp_leave_group_request_member_identity *in = &req->members[i];
            resp->members[i].member_id = in->member_id;
            resp->members[i].group_instance_id = in->group_instance_id;
            resp->members[i].error_code = leave_one(gc, gc_find(gc, req->group_id), in->member_id,
                                                    in->group_instance_id);
        }
    }
    request_respond(rq, resp);
}

/* ---- lifecycle ----------------------------------------------------------- */

void gc_remove_group(group_coordinator *gc, consumer_group *g)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        cg_member *m = value;
        ev_timer_stop(gc->b->loop, &m->session_timer);
        fail_held(m, KAFKA_NOT_COORDINATOR);
    }
    pos = 0;
    while (strmap_next(&g->pending_members, &pos, &key, &value))
        ev_timer_stop(gc->b->loop, &((cg_pending *)value)->timer);
    ev_timer_stop(gc->b->loop, &g->join_timer);
    strmap_remove(&gc->groups, st_slice_cstr(g->group_id));
    group_free(g);
}

void group_coordinator_init(group_coordinator *gc, struct broker *b)
{
    gc->b = b;
    strmap_init(&gc->groups);
}

static void on_expiry_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    gc_expire_offsets(w->data);
}

st_err group_coordinator_start(group_coordinator *gc)
{
    st_err err = gc_load(gc);
    double every = gc->b->cfg.offsets_retention_check_interval_ms / 1000.0;
    ev_timer_init(&gc->expiry_timer, on_expiry_timer, every, every);
    gc->expiry_timer.data = gc;
    ev_timer_start(gc->b->loop, &gc->expiry_timer);
    return err;
}

void group_coordinator_stop(group_coordinator *gc)
{
    ev_timer_stop(gc->b->loop, &gc->expiry_timer);
    while (gc->groups.count > 0) {
        size_t pos = 0;
        const char *key;
        void *value;
        if (!strmap_next(&gc->groups, &pos, &key, &value))
            break;
        gc_remove_group(gc, value);
    }
    strmap_free(&gc->groups);
}
