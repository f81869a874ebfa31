/* client_request.c — routing generic requests to brokers (see
 * client_request.h).
 *
 * A call is created by kc_client_send and lives in the client's list until
 * its callback has run. The list is walked by kc_calls_run whenever
 * something may let a call move: a connection became ready or went down,
 * metadata arrived, the housekeeping tick, a new call. Callbacks run from
 * here may send or complete other calls, so after anything that can run a
 * callback the walk starts again from the head. Never calls a callback from
 * inside kc_client_send. */
#include "common/client_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_clone.h"
#include "common/client_core.h"

struct kc_call {
    kc_call *prev;
    kc_call *next;
    kc_client *client;
    kc_target target;
    char *topic;
    int16_t api_key;
    const kp_api *api;
    void *body;                /* the copied request, in arena */
    st_arena arena;
    kc_request_opts opts;
    kc_response_cb cb;
    void *opaque;
    int64_t created_ms;
    int64_t deadline_ms;
    int64_t retry_at_ms;
    int attempts;
    bool in_flight;
    int16_t version;           /* of the last attempt, -1 before */
    int32_t node_id;           /* tried last, -1 before */
    kc_err last_err;
    char last_errstr[384];
};

void kc_calls_init(kc_calls *calls)
{
    memset(calls, 0, sizeof(*calls));
}

static void unlink_call(kc_calls *calls, kc_call *call)
{
    if (call->prev)
        call->prev->next = call->next;
    else
        calls->head = call->next;
    if (call->next)
        call->next->prev = call->prev;
    else
        calls->tail = call->prev;
    call->prev = call->next = NULL;
    calls->count--;
}

static void free_call(kc_call *call)
{
    st_arena_free(&call->arena);
    free(call->topic);
    free(call);
}

/* Removes the call and runs its callback (exactly once). */
static void finish(kc_call *call, kc_err err, const char *errstr, const void *body)
{
    kc_client *c = call->client;
    unlink_call(&c->calls, call);
    c->calls.rerun = true;
    kc_response resp = {
        .err = err,
        .errstr = errstr ? errstr : "",
        .api_key = call->api_key,
        .api_version = call->version,
        .node_id = call->node_id,
        .body = err ? NULL : body,
    };
    c->callback_depth++;
    call->cb(c, &resp, call->opaque);
    c->callback_depth--;
    free_call(call);
}

static void finishf(kc_call *call, kc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void finishf(kc_call *call, kc_err err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    finish(call, err, msg, NULL);
}

static void note(kc_call *call, kc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Remembers why the call is still waiting (for the timeout message). */
static void note(kc_call *call, kc_err err, const char *fmt, ...)
{
    call->last_err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->last_errstr, sizeof(call->last_errstr), fmt, ap);
    va_end(ap);
}

/* ---- choosing a connection ------------------------------------------------------------ */

static bool eligible_for_any(const kc_conn *conn, bool use_brokers)
{
    return use_brokers ? conn->in_metadata && !conn->bootstrap : conn->bootstrap;
}

static kc_conn *pick_among(kc_client *c, bool use_brokers)
{
    kc_conn *best = NULL, *pending = NULL;
    for (size_t i = 0; i < c->conn_count; i++) {
        kc_conn *conn = c->conns[i];
        if (!eligible_for_any(conn, use_brokers))
            continue;
        if (conn_is_ready(conn) && (!best || conn->queued < best->queued))
            best = conn;
        else if (conn->state != CONN_DOWN && !pending)
            pending = conn;
    }
    if (best)
        return best;
    if (pending)
        return pending;
    int64_t now = kc_now_ms();
    for (size_t k = 0; k < c->conn_count; k++) {
        kc_conn *conn = c->conns[(c->any_rotation + k) % c->conn_count];
        if (!eligible_for_any(conn, use_brokers) || now < conn->reconnect_at_ms)
            continue;
        c->any_rotation = (c->any_rotation + k + 1) % c->conn_count;
        conn_connect(conn);
        return conn;
    }
    return NULL;
}

/* The least loaded ready broker, else one on its way up, else one we may
 * start connecting to; brokers from the metadata first, else the bootstrap
 * servers. NULL when all are backing off. */
static kc_conn *pick_any(kc_client *c)
{
    bool have_brokers = false;
    for (size_t i = 0; i < c->conn_count; i++)
        have_brokers = have_brokers || (c->conns[i]->in_metadata && !c->conns[i]->bootstrap);
    kc_conn *conn = have_brokers ? pick_among(c, true) : NULL;
    return conn ? conn : pick_among(c, false);
}

typedef enum resolve_result {
    RESOLVED,
    WAIT,      /* metadata or a connection is on its way */
    FINISHED,  /* the call was completed with an error */
} resolve_result;

static resolve_result resolve_leader(kc_call *call, kc_conn **out)
{
    kc_client *c = call->client;
    kc_md_topic *t = kc_md_topic_get(c, call->topic);
    if (!t || !t->wanted) {
        kc_md_want(c, call->topic);
        t = kc_md_topic_get(c, call->topic);
    }
    if (!t || !t->fetched_ms) {
        note(call, KC_ERR_TIMED_OUT, "waiting for metadata of topic '%s'", call->topic);
        return WAIT;
    }
    bool fresh = t->fetched_ms >= call->created_ms;
    if (t->info.error == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && fresh &&
        !c->conf->allow_auto_create_topics) {
        finishf(call, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", call->topic);
        return FINISHED;
    }
    if (t->info.error && t->info.error != KAFKA_LEADER_NOT_AVAILABLE &&
        t->info.error != KAFKA_UNKNOWN_TOPIC_OR_PARTITION && !kafka_error_retriable(t->info.error)) {
        finishf(call, t->info.error, "topic '%s': %s", call->topic,
                kafka_error_name(t->info.error));
        return FINISHED;
    }
    if (t->info.partition_count > 0 && call->target.partition >= t->info.partition_count && fresh) {
        finishf(call, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "partition %d of topic '%s' does not "
                "exist (it has %d)", call->target.partition, call->topic, t->info.partition_count);
        return FINISHED;
    }
    if (call->target.partition < 0) {
        finishf(call, KC_ERR_INVALID_ARG, "partition %d is not valid", call->target.partition);
        return FINISHED;
    }
    int32_t leader = call->target.partition < t->info.partition_count
                         ? t->parts[call->target.partition].leader : -1;
    *out = leader >= 0 ? kc_client_conn(c, leader) : NULL;
    if (!*out) {
        c->md.stale = true;
        note(call, KC_ERR_TIMED_OUT, "no leader known for %s-%d", call->topic,
             call->target.partition);
        return WAIT;
    }
    return RESOLVED;
}

static resolve_result resolve(kc_call *call, kc_conn **out)
{
    kc_client *c = call->client;
    *out = NULL;
    switch (call->target.kind) {
    case KC_TARGET_ANY:
        *out = pick_any(c);
        if (!*out)
            note(call, KC_ERR_TRANSPORT, "no broker reachable: %s", c->last_conn_error);
        return *out ? RESOLVED : WAIT;
    case KC_TARGET_NODE:
        *out = kc_client_conn(c, call->target.node_id);
        if (!*out) {
            c->md.stale = true;
            note(call, KC_ERR_TIMED_OUT, "node %d is not in the cluster metadata",
                 call->target.node_id);
        }
        return *out ? RESOLVED : WAIT;
    case KC_TARGET_CONTROLLER:
        if (c->md.controller_id >= 0)
            *out = kc_client_conn(c, c->md.controller_id);
        if (!*out) {
            c->md.stale = true;
            note(call, KC_ERR_TIMED_OUT, "the controller is not known yet");
        }
        return *out ? RESOLVED : WAIT;
    case KC_TARGET_LEADER:
        return resolve_leader(call, out);
    }
    return WAIT;
}

/* ---- sending ------------------------------------------------------------------------ */

static void on_conn_done(conn_req *req, kc_err err, const char *errstr, void *body)
{
    kc_call *call = req->ctx;
    kc_client *c = call->client;
    call->in_flight = false;
    c->calls.rerun = true;
    if (!err) {
        call->version = req->api_version;
        finish(call, KC_OK, "", body);
        return;
    }
    int64_t now = kc_now_ms();
    bool may_retry = (!req->sent || call->opts.retry_after_send) && !c->destroying &&
                     err != KC_ERR_DESTROYED && err != KC_ERR_BAD_RESPONSE &&
                     err != KC_ERR_NOMEM && now < call->deadline_ms;
    if (!may_retry) {
        finish(call, err, errstr, NULL);
        return;
    }
    note(call, err, "%s", errstr);
    call->retry_at_ms = now + kc_backoff_ms(c, c->conf->retry_backoff_ms,
                                            c->conf->retry_backoff_max_ms, call->attempts);
    c->md.stale = true;
}

/* Sends the call if its target is ready. True when the call list may have
 * changed (a callback ran or the call was sent). */
static bool try_send(kc_call *call)
{
    kc_client *c = call->client;
    kc_conn *conn;
    resolve_result r = resolve(call, &conn);
    if (r == FINISHED)
        return true;
    if (r == WAIT)
        return false;
    call->node_id = conn->node_id;
    if (!conn_is_ready(conn)) {
        if (!conn_connect(conn) && conn->last_error[0])
            note(call, KC_ERR_TRANSPORT, "%s", conn->last_error);
        else
            note(call, KC_ERR_TIMED_OUT, "waiting for a connection to %s", conn->name);
        return false;
    }
    char why[384];
    int16_t version = conn_pick_version(conn, call->api_key, call->opts.min_version,
                                        call->opts.max_version, why, sizeof(why));
    if (version < 0) {
        finish(call, KC_ERR_UNSUPPORTED, why, NULL);
        return true;
    }
    if (call->opts.prepare)
        call->opts.prepare(call->body, version, &call->arena, call->opts.prepare_opaque);
    conn_req *req = conn_req_new(call->api_key, version, call->body, c->conf->client_id, why,
                                 sizeof(why));
    if (!req) {
        finish(call, KC_ERR_INVALID_ARG, why, NULL);
        return true;
    }
    req->done = on_conn_done;
    req->ctx = call;
    req->timeout_ms = call->opts.request_timeout_ms;
    call->in_flight = true;
    call->attempts++;
    call->version = version;
    kc_err err = conn_send(conn, req);
    if (err) { /* cannot happen: the connection is ready */
        call->in_flight = false;
        conn_req_free(req);
        finish(call, err, "connection not ready", NULL);
    }
    return true;
}

static const char *target_text(const kc_call *call, char *buf, size_t len)
{
    switch (call->target.kind) {
    case KC_TARGET_ANY: snprintf(buf, len, "any broker"); break;
    case KC_TARGET_NODE: snprintf(buf, len, "node %d", call->target.node_id); break;
    case KC_TARGET_CONTROLLER: snprintf(buf, len, "the controller"); break;
    case KC_TARGET_LEADER:
        snprintf(buf, len, "the leader of %s-%d", call->topic, call->target.partition);
        break;
    }
    return buf;
}

static void expire(kc_call *call, int64_t now)
{
    char target[300];
    int64_t waited = now - call->created_ms;
    const char *why = call->last_errstr[0] ? call->last_errstr : "no broker answered";
    finishf(call, KC_ERR_TIMED_OUT, "%s request to %s timed out after %lld ms: %s",
            call->api->name, target_text(call, target, sizeof(target)), (long long)waited, why);
}

void kc_calls_run(kc_client *c)
{
    kc_calls *calls = &c->calls;
    if (calls->running) {
        calls->rerun = true;
        return;
    }
    calls->running = true;
    do {
        calls->rerun = false;
        int64_t now = kc_now_ms();
        for (kc_call *call = calls->head; call; call = call->next) {
            if (call->in_flight)
                continue;
            if (now >= call->deadline_ms) {
                expire(call, now);
                break; /* the list changed: rerun is set */
            }
            if (now < call->retry_at_ms)
                continue;
            if (try_send(call)) {
                calls->rerun = true;
                break;
            }
        }
    } while (calls->rerun && !c->destroying);
    calls->running = false;
    if (c->md.stale)
        kc_md_maybe_refresh(c);
}

void kc_calls_destroy(kc_client *c)
{
    while (c->calls.head)
        finish(c->calls.head, KC_ERR_DESTROYED, "the client was freed", NULL);
}

/* ---- the public call ---------------------------------------------------------------------- */

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents);

kc_err kc_client_send(kc_client *c, kc_target target, int16_t api_key, const void *request,
                      const kc_request_opts *opts, kc_response_cb cb, void *opaque)
{
    if (!c || !request || !cb)
        return KC_ERR_INVALID_ARG;
    if (c->destroying)
        return kc_fail(c, KC_ERR_DESTROYED, "the client is being freed");
    const kp_api *api = kp_api_lookup(api_key);
    if (!api)
        return kc_fail(c, KC_ERR_INVALID_ARG, "API key %d is unknown", api_key);
    if (target.kind == KC_TARGET_LEADER && (!target.topic || !*target.topic))
        return kc_fail(c, KC_ERR_INVALID_ARG, "a leader target needs a topic");
    kc_call *call = calloc(1, sizeof(*call));
    if (!call)
        return kc_fail(c, KC_ERR_NOMEM, "out of memory");
    st_arena_init(&call->arena);
    call->client = c;
    call->target = target;
    call->api_key = api_key;
    call->api = api;
    call->opts = opts ? *opts : KC_REQUEST_OPTS_DEFAULT;
    call->cb = cb;
    call->opaque = opaque;
    call->version = -1;
    call->node_id = -1;
    call->created_ms = kc_now_ms();
    call->deadline_ms = call->created_ms +
                        (call->opts.timeout_ms > 0 ? call->opts.timeout_ms
                                                   : c->conf->default_api_timeout_ms);
    call->body = st_arena_alloc(&call->arena, api->request->root->size);
    if (target.topic) {
        call->topic = strdup(target.topic);
        call->target.topic = call->topic;
    }
    if (!call->body || (target.topic && !call->topic) ||
        kc_clone_struct(api->request->root, call->body, request, &call->arena) != ST_OK) {
        free_call(call);
        return kc_fail(c, KC_ERR_NOMEM, "out of memory copying a %s request", api->name);
    }
    if (target.kind == KC_TARGET_LEADER)
        kc_md_want(c, call->topic);
    call->prev = c->calls.tail;
    if (c->calls.tail)
        c->calls.tail->next = call;
    else
        c->calls.head = call;
    c->calls.tail = call;
    c->calls.count++;
    /* Start on the next loop iteration, never from inside this call. */
    if (!c->calls.kick_ready) {
        ev_init(&c->calls.kick, on_kick);
        c->calls.kick.data = c;
        c->calls.kick_ready = true;
    }
    if (!ev_is_active(&c->calls.kick)) {
        ev_timer_set(&c->calls.kick, 0.0, 0.0);
        ev_timer_start(c->loop, &c->calls.kick);
    }
    return KC_OK;
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    kc_client *c = w->data;
    kc_calls_run(c);
    kc_md_maybe_refresh(c);
}

void kc_calls_stop(kc_client *c)
{
    if (c->calls.kick_ready)
        ev_timer_stop(c->loop, &c->calls.kick);
}
