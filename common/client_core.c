/* client_core.c — the kc_client object: loop, connections, hooks,
 * housekeeping, time and errors (see client_core.h).
 *
 * Owns creating and freeing everything a client holds. Never exits or
 * aborts; never blocks except inside the calls documented as blocking. */
#include "common/client_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- time, randomness, messages ---------------------------------------------- */

int64_t kc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kc_wallclock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t kc_client_random(kc_client *c)
{
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int64_t kc_backoff_ms(kc_client *c, int32_t base, int32_t max, int attempts)
{
    int64_t ms = base;
    for (int i = 1; i < attempts && ms < max; i++)
        ms *= 2;
    if (ms > max)
        ms = max;
    if (ms <= 0)
        return 0;
    int64_t jitter = ms / 5;
    if (jitter > 0)
        ms += (int64_t)(kc_client_random(c) % (uint64_t)(2 * jitter + 1)) - jitter;
    return ms;
}

void kc_log(const kc_client *c, st_log_level level, const char *fmt, ...)
{
    if (level < c->conf->logger.level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    st_logf(&c->conf->logger, level, c->role, "%s", line);
}

kc_err kc_fail(kc_client *c, kc_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
    va_end(ap);
    return err;
}

void kc_report_error(kc_client *c, kc_err err, const char *msg)
{
    if (!c->conf->error_cb)
        return;
    c->callback_depth++;
    c->conf->error_cb(err, msg, c->conf->error_opaque);
    c->callback_depth--;
}

const char *kc_client_last_error(const kc_client *client)
{
    return client->last_error;
}

/* ---- hooks ------------------------------------------------------------------- */

bool kc_client_add_hook(kc_client *c, kc_hook_fn fn, void *ctx)
{
    for (int i = 0; i < KC_MAX_HOOKS; i++) {
        if (!c->hooks[i].fn) {
            c->hooks[i] = (kc_hook){fn, ctx};
            return true;
        }
    }
    return false;
}

void kc_client_remove_hook(kc_client *c, kc_hook_fn fn, void *ctx)
{
    for (int i = 0; i < KC_MAX_HOOKS; i++)
        if (c->hooks[i].fn == fn && c->hooks[i].ctx == ctx)
            c->hooks[i] = (kc_hook){NULL, NULL};
}

void kc_client_notify(kc_client *c, kc_event ev, kc_conn *conn)
{
    if (c->destroying)
        return;
    for (int i = 0; i < KC_MAX_HOOKS; i++)
        if (c->hooks[i].fn)
            c->hooks[i].fn(c->hooks[i].ctx, ev, conn);
}

/* ---- connections ------------------------------------------------------------- */

kc_conn *kc_client_conn(kc_client *c, int32_t node_id)
{
    for (size_t i = 0; i < c->conn_count; i++)
        if (c->conns[i]->node_id == node_id)
            return c->conns[i];
    return NULL;
}

static bool add_conn(kc_client *c, kc_conn *conn)
{
    if (c->conn_count == c->conn_cap) {
        size_t cap = c->conn_cap ? c->conn_cap * 2 : 8;
        kc_conn **grown = realloc(c->conns, cap * sizeof(*grown));
        if (!grown)
            return false;
        c->conns = grown;
        c->conn_cap = cap;
    }
    c->conns[c->conn_count++] = conn;
    return true;
}

kc_conn *kc_client_upsert_node(kc_client *c, int32_t node_id, const char *host, int port,
                               const char *rack)
{
    kc_conn *conn = kc_client_conn(c, node_id);
    if (conn) {
        if (conn_set_address(conn, host, port, rack) != KC_OK)
            return NULL;
        return conn;
    }
    conn = conn_new(c, node_id, host, port, false);
    if (!conn)
        return NULL;
    if (rack && !(conn->rack = strdup(rack))) {
        conn_free(conn);
        return NULL;
    }
    if (!add_conn(c, conn)) {
        conn_free(conn);
        return NULL;
    }
    return conn;
}

void kc_client_conn_ready(kc_client *c, kc_conn *conn)
{
    kc_calls_run(c);
    kc_client_notify(c, KC_EV_CONN_READY, conn);
}

void kc_client_conn_down(kc_client *c, kc_conn *conn, kc_err err, const char *why)
{
    (void)err;
    snprintf(c->last_conn_error, sizeof(c->last_conn_error), "%s", why);
    if (c->destroying)
        return;
    if (conn->failures <= 1) {
        kc_log(c, ST_LOG_WARN, "%s", why);
        kc_report_error(c, err, why);
    } else {
        kc_log(c, ST_LOG_DEBUG, "%s (attempt %d)", why, conn->failures);
    }
    if (!conn->bootstrap)
        c->md.stale = true; /* a broker went away: leaders may have moved */
    kc_calls_run(c);
    kc_md_maybe_refresh(c);
    kc_client_notify(c, KC_EV_CONN_DOWN, conn);
}

/* ---- the loop ---------------------------------------------------------------- */

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    kc_client *c = w->data;
    kc_calls_run(c);
    kc_md_maybe_refresh(c);
    if (c->md.broker_count > 0) /* the brokers are known: bootstrap links are spare */
        for (size_t i = 0; i < c->conn_count; i++)
            if (c->conns[i]->bootstrap)
                conn_close_idle(c->conns[i]);
    kc_client_notify(c, KC_EV_TICK, NULL);
}

static void on_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

void kc_client_run_once(kc_client *c, int64_t timeout_ms)
{
    if (timeout_ms <= 0) {
        ev_run(c->loop, EVRUN_NOWAIT);
        return;
    }
    ev_now_update(c->loop);
    ev_timer_set(&c->wake, (double)timeout_ms / 1000.0, 0.0);
    ev_timer_start(c->loop, &c->wake);
    ev_run(c->loop, EVRUN_ONCE);
    ev_timer_stop(c->loop, &c->wake);
}

void kc_client_poll(kc_client *client, int timeout_ms)
{
    kc_client_run_once(client, timeout_ms);
}

struct ev_loop *kc_client_loop(kc_client *client)
{
    return client->loop;
}

/* ---- creation ------------------------------------------------------------------ */

static bool add_bootstrap(kc_client *c, char *errstr, size_t errlen)
{
    kc_hostport *hp = calloc(KC_MAX_BOOTSTRAP, sizeof(*hp));
    if (!hp) {
        snprintf(errstr, errlen, "out of memory");
        return false;
    }
    size_t n = kc_parse_bootstrap(c->conf->bootstrap_servers, hp, KC_MAX_BOOTSTRAP, errstr,
                                  errlen);
    bool ok = n > 0;
    for (size_t i = 0; ok && i < n; i++) {
        kc_conn *conn = conn_new(c, -1 - (int32_t)i, hp[i].host, hp[i].port, true);
        ok = conn && add_conn(c, conn);
        if (!ok) {
            conn_free(conn);
            snprintf(errstr, errlen, "out of memory");
        }
    }
    free(hp);
    return ok;
}

kc_client *kc_client_new_role(const kc_config *conf, struct ev_loop *loop, const char *role,
                              char *errstr, size_t errlen)
{
    char ignored[8];
    if (!errstr) {
        errstr = ignored;
        errlen = sizeof(ignored);
    }
    if (!conf) {
        snprintf(errstr, errlen, "no configuration given");
        return NULL;
    }
    if (kc_config_check_client(conf, errstr, errlen) != KC_OK)
        return NULL;
    kc_client *c = calloc(1, sizeof(*c));
    if (!c || !(c->conf = kc_config_dup(conf))) {
        free(c);
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    c->role = role;
    c->rng = (uint64_t)kc_wallclock_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    if (!c->rng)
        c->rng = 0x9E3779B97F4A7C15ULL;
    kc_md_init(&c->md);
    kc_calls_init(&c->calls);
    c->own_loop = loop == NULL;
    c->loop = loop ? loop : ev_loop_new(EVFLAG_AUTO);
    if (!c->loop) {
        snprintf(errstr, errlen, "could not create an event loop");
        kc_client_free(c);
        return NULL;
    }
    if (!add_bootstrap(c, errstr, errlen)) {
        kc_client_free(c);
        return NULL;
    }
    ev_timer_init(&c->tick, on_tick, KC_TICK_MS / 1000.0, KC_TICK_MS / 1000.0);
    c->tick.data = c;
    ev_timer_start(c->loop, &c->tick);
    if (!c->own_loop)
        ev_unref(c->loop); /* the tick alone must not keep the caller's loop running */
    ev_init(&c->wake, on_wake);
    return c;
}

kc_client *kc_client_new(const kc_config *conf, struct ev_loop *loop, char *errstr, size_t errlen)
{
    return kc_client_new_role(conf, loop, "client", errstr, errlen);
}

void kc_client_free(kc_client *c)
{
    if (!c)
        return;
    c->destroying = true;
    /* Connections first: their requests fail into the calls, which then
     * complete; then the calls still waiting. */
    for (size_t i = 0; i < c->conn_count; i++)
        conn_free(c->conns[i]);
    c->conn_count = 0;
    kc_calls_destroy(c);
    free(c->conns);
    if (c->loop) {
        kc_calls_stop(c);
        if (ev_is_active(&c->tick)) {
            if (!c->own_loop)
                ev_ref(c->loop);
            ev_timer_stop(c->loop, &c->tick);
        }
        ev_timer_stop(c->loop, &c->wake);
        if (c->own_loop)
            ev_loop_destroy(c->loop);
    }
    kc_md_free(&c->md);
    kc_config_free(c->conf);
    free(c);
}

/* ---- blocking bootstrap ------------------------------------------------------------ */

typedef struct connect_wait {
    bool done;
    kc_err err;
    char errstr[512];
} connect_wait;

static void on_connect_metadata(kc_client *c, kc_err err, const char *errstr, void *opaque)
{
    (void)c;
    connect_wait *w = opaque;
    w->done = true;
    w->err = err;
    snprintf(w->errstr, sizeof(w->errstr), "%s", errstr);
}

kc_err kc_client_connect(kc_client *c, int timeout_ms)
{
    if (c->callback_depth)
        return kc_fail(c, KC_ERR_STATE, "kc_client_connect may not be called from a callback");
    connect_wait w = {0};
    static const char *const none[1] = {NULL};
    kc_err err = kc_metadata_refresh(c, none, 0, timeout_ms, on_connect_metadata, &w);
    if (err)
        return err;
    while (!w.done)
        kc_client_run_once(c, KC_TICK_MS);
    if (w.err == KC_ERR_TIMED_OUT && c->md.last_success_ms == 0)
        return kc_fail(c, KC_ERR_TRANSPORT, "no broker reachable within %d ms (bootstrap.servers"
                       "=%s): %s", timeout_ms, c->conf->bootstrap_servers,
                       c->last_conn_error[0] ? c->last_conn_error : w.errstr);
    if (w.err)
        return kc_fail(c, w.err, "%s", w.errstr);
    return KC_OK;
}
