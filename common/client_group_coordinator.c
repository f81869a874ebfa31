/* client_group_coordinator.c — finding the group coordinator
 * (FindCoordinator, key type 0) and talking to it (see client_group.h).
 *
 * Owns the coordinator's identity and a dedicated connection to it: the
 * coordinator's address is registered in the client under node id
 * INT32_MAX - its id (Java's trick), so that JoinGroup (which the broker
 * may hold for a rebalance timeout) and heartbeats never queue behind a
 * Fetch on the same socket. Lookups go to any broker and retry with backoff;
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and a broken connection make
 * the coordinator unknown again (rediscovered on the next step). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_group.h"
#include "common/protocol/messages.h"

void kc_coord_init(kc_coord *co)
{
    memset(co, 0, sizeof(*co));
    co->node_id = -1;
    co->conn_id = -1;
}

void kc_coord_mark_unknown(kc_group *g, const char *why)
{
    kc_coord *co = &g->coord;
    if (co->node_id < 0)
        return;
    kc_log(g->c->client, ST_LOG_INFO, "group %s: coordinator (node %d) unusable: %s; "
           "rediscovering", g->group_id, co->node_id, why);
    co->node_id = -1;
    kc_consumer_kick(g->c);
}

bool kc_coord_error(kc_group *g, int16_t code)
{
    if (code != KAFKA_NOT_COORDINATOR && code != KAFKA_COORDINATOR_NOT_AVAILABLE)
        return false;
    kc_coord_mark_unknown(g, kafka_error_name(code));
    return true;
}

typedef struct lookup_ctx {
    kc_group *g;
} lookup_ctx;

/* The answer's node/host/port (v4+: the coordinators array) and error. */
static int16_t read_answer(const kp_find_coordinator_response *r, int16_t version,
                           int32_t *node, st_slice *host, int32_t *port, st_slice *msg)
{
    if (version >= 4) {
        if (r->coordinators_count < 1)
            return KAFKA_COORDINATOR_NOT_AVAILABLE;
        const kp_find_coordinator_response_coordinator *co = &r->coordinators[0];
        *node = co->node_id;
        *host = co->host;
        *port = co->port;
        *msg = co->error_message;
        return co->error_code;
    }
    *node = r->node_id;
    *host = r->host;
    *port = r->port;
    *msg = r->error_message;
    return r->error_code;
}

static void lookup_failed(kc_group *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void lookup_failed(kc_group *g, const char *fmt, ...)
{
    kc_coord *co = &g->coord;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(co->last_error, sizeof(co->last_error), fmt, ap);
    va_end(ap);
    co->failures++;
    kc_client *client = g->c->client;
    co->retry_at_ms = kc_now_ms() + kc_backoff_ms(client, client->conf->retry_backoff_ms,
                                                  client->conf->retry_backoff_max_ms,
                                                  co->failures);
    kc_log(client, co->failures > 3 ? ST_LOG_WARN : ST_LOG_DEBUG,
           "group %s: finding the coordinator: %s", g->group_id, co->last_error);
}

static void on_find(kc_client *client, const kc_response *resp, void *opaque)
{
    lookup_ctx *ctx = opaque;
    kc_group *g = ctx->g;
    free(ctx);
    if (resp->err == KC_ERR_DESTROYED)
        return;
    kc_coord *co = &g->coord;
    co->lookup_in_flight = false;
    if (resp->err) {
        lookup_failed(g, "%s", resp->errstr);
        return;
    }
    int32_t node = -1, port = 0;
    st_slice host = ST_SLICE_NULL, msg = ST_SLICE_NULL;
    int16_t code = read_answer(resp->body, resp->api_version, &node, &host, &port, &msg);
    if (code) {
        lookup_failed(g, "%s%s%.*s", kafka_error_name(code), msg.len > 0 ? ": " : "",
                      msg.len > 0 ? msg.len : 0, msg.len > 0 ? (const char *)msg.ptr : "");
        if (code == KAFKA_GROUP_AUTHORIZATION_FAILED || code == KAFKA_INVALID_GROUP_ID)
            kc_consumer_error(g->c, code, NULL, -1, "group %s: %s", g->group_id,
                              co->last_error);
        return;
    }
    char *h = st_slice_strdup(host);
    int32_t conn_id = INT32_MAX - node;
    kc_conn *conn = h && node >= 0 ? kc_client_upsert_node(client, conn_id, h, port, NULL) : NULL;
    free(h);
    if (!conn) {
        lookup_failed(g, "cannot use the coordinator's address (node %d)", node);
        return;
    }
    co->node_id = node;
    co->conn_id = conn_id;
    co->failures = 0;
    kc_log(client, ST_LOG_DEBUG, "group %s: coordinator is node %d (%.*s:%d)", g->group_id,
           node, host.len > 0 ? host.len : 0, host.len > 0 ? (const char *)host.ptr : "", port);
    kc_consumer_kick(g->c);
}

bool kc_coord_ensure(kc_group *g)
{
    kc_coord *co = &g->coord;
    if (co->node_id >= 0)
        return true;
    if (co->lookup_in_flight || kc_now_ms() < co->retry_at_ms)
        return false;
    kp_find_coordinator_request req;
    kp_find_coordinator_request_init(&req);
    st_slice key = st_slice_cstr(g->group_id);
    req.key = key;
    req.key_type = 0;
    req.coordinator_keys = &key;
    req.coordinator_keys_count = 1;
    lookup_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return false;
    ctx->g = g;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.timeout_ms = g->c->conf->request_timeout_ms;
    opts.retry_after_send = true;
    if (kc_client_send(g->c->client, kc_target_any(), KC_API_FIND_COORDINATOR, &req, &opts,
                       on_find, ctx) != KC_OK) {
        free(ctx);
        lookup_failed(g, "%s", kc_client_last_error(g->c->client));
        return false;
    }
    co->lookup_in_flight = true;
    return false;
}

kc_err kc_coord_send(kc_group *g, int16_t api_key, const void *req, const kc_request_opts *opts,
                     kc_response_cb cb, void *opaque)
{
    if (g->coord.node_id < 0)
        return KC_ERR_STATE;
    return kc_client_send(g->c->client, kc_target_node(g->coord.conn_id), api_key, req, opts, cb,
                          opaque);
}
