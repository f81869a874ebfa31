/* client_admin.c — the frame every blocking admin call runs in, the
 * helpers the admin files share, and DescribeCluster (see client_admin.h).
 *
 * Owns waiting: an admin call sends requests through kc_client_send and
 * then runs the client's loop until each callback has run. Every request
 * carries the operation's remaining time as its timeout, and the client
 * guarantees each callback exactly once, so the wait always ends. Never
 * returns while a callback pointing into the caller's stack is still due. */
#include "common/client_admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_core.h"
#include "common/protocol/messages.h"

/* ---- the operation frame ------------------------------------------------------- */

typedef struct adm_call {
    adm_op *op;
    adm_handler handler;
    void *ctx;
    size_t index;
} adm_call;

kc_err adm_begin(adm_op *op, kc_client *client, int timeout_ms)
{
    memset(op, 0, sizeof(*op));
    st_arena_init(&op->scratch);
    op->client = client;
    if (!client)
        return KC_ERR_INVALID_ARG;
    if (client->callback_depth)
        return kc_fail(client, KC_ERR_STATE,
                       "admin calls block and may not be called from a callback");
    int64_t t = timeout_ms > 0 ? timeout_ms : client->conf->default_api_timeout_ms;
    op->deadline_ms = kc_now_ms() + t;
    return KC_OK;
}

void adm_end(adm_op *op)
{
    adm_wait(op); /* never leave a callback pointing at a dead frame */
    st_arena_free(&op->scratch);
}

void *adm_begin_items(adm_op *op, kc_client *client, int timeout_ms, st_arena *arena, size_t n,
                      size_t size, kc_err *err)
{
    *err = adm_begin(op, client, timeout_ms);
    void *items = *err ? NULL : st_arena_calloc(arena, n + 1, size);
    if (!*err && !items)
        *err = KC_ERR_NOMEM;
    if (*err)
        adm_end(op);
    return items;
}

int32_t adm_remaining(const adm_op *op)
{
    int64_t left = op->deadline_ms - kc_now_ms();
    if (left < 1)
        return 1;
    return left > INT32_MAX ? INT32_MAX : (int32_t)left;
}

bool adm_expired(const adm_op *op)
{
    return kc_now_ms() >= op->deadline_ms;
}

static void on_response(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    adm_call *call = opaque;
    call->op->pending--;
    call->handler(call->ctx, call->index, resp);
}

void adm_send(adm_op *op, kc_target target, int16_t api_key, const void *request,
              const kc_request_opts *opts, adm_handler handler, void *ctx, size_t index)
{
    kc_request_opts o = opts ? *opts : KC_REQUEST_OPTS_DEFAULT;
    o.timeout_ms = adm_remaining(op);
    adm_call *call = st_arena_alloc(&op->scratch, sizeof(*call));
    kc_err err = KC_ERR_NOMEM;
    if (call) {
        *call = (adm_call){op, handler, ctx, index};
        op->pending++;
        err = kc_client_send(op->client, target, api_key, request, &o, on_response, call);
        if (!err)
            return;
        op->pending--;
    }
    kc_response resp = {
        .err = err,
        .errstr = call ? kc_client_last_error(op->client) : "out of memory",
        .api_key = api_key,
        .api_version = -1,
        .node_id = -1,
        .body = NULL,
    };
    handler(ctx, index, &resp);
}

void adm_wait(adm_op *op)
{
    while (op->pending > 0)
        kc_client_run_once(op->client, KC_TICK_MS);
}

void adm_pause(adm_op *op, int64_t ms)
{
    int64_t until = kc_now_ms() + ms;
    if (until > op->deadline_ms)
        until = op->deadline_ms;
    for (int64_t now = kc_now_ms(); now < until; now = kc_now_ms())
        kc_client_run_once(op->client, until - now);
}

int64_t adm_backoff(adm_op *op, int attempt)
{
    const kc_config *conf = op->client->conf;
    return kc_backoff_ms(op->client, conf->retry_backoff_ms, conf->retry_backoff_max_ms,
                         attempt);
}

/* ---- strings and errors ---------------------------------------------------------- */

char *adm_str(st_arena *arena, st_slice s)
{
    if (s.len < 0 || !arena)
        return NULL;
    char *out = st_arena_alloc(arena, (size_t)s.len + 1);
    if (out && s.len)
        memcpy(out, s.ptr, (size_t)s.len);
    return out;
}

char *adm_strdup(st_arena *arena, const char *s)
{
    return s ? adm_str(arena, st_slice_cstr(s)) : NULL;
}

const char *adm_err_text(st_arena *arena, kc_err err, st_slice message)
{
    if (!err)
        return "";
    if (message.len > 0) {
        const char *m = adm_str(arena, message);
        if (m)
            return m;
    }
    return kc_err_name(err);
}

bool adm_request_failed(const kc_response *resp, kc_err *err, char *errstr, size_t errlen)
{
    if (!resp->err)
        return false;
    *err = resp->err;
    snprintf(errstr, errlen, "%s", resp->errstr);
    return true;
}

bool adm_no_item(st_arena *arena, const kc_response *resp, int32_t count,
                 const char *empty_message, kc_err *err, const char **message)
{
    if (resp->err) {
        *err = resp->err;
        *message = adm_err_text(arena, resp->err, st_slice_cstr(resp->errstr));
        return true;
    }
    if (count >= 1)
        return false;
    *err = KC_ERR_BAD_RESPONSE;
    *message = empty_message;
    return true;
}

kc_err adm_first_error(kc_client *client, const kc_admin_result *results, size_t n,
                       const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (!results[i].err)
            continue;
        return kc_fail(client, results[i].err, "%s '%s': %s", what,
                       results[i].name ? results[i].name : "",
                       results[i].message ? results[i].message : kc_err_name(results[i].err));
    }
    return KC_OK;
}

void adm_fill_results(kc_admin_result *results, size_t n, kc_err err, const char *message)
{
    for (size_t i = 0; i < n; i++) {
        results[i].err = err;
        results[i].message = message ? message : (err ? kc_err_name(err) : "");
    }
}

kc_target adm_controller(kc_client *client)
{
    int32_t id = kc_metadata_controller(client);
    size_t n = 0;
    const kc_broker_info *b = kc_metadata_brokers(client, &n);
    for (size_t i = 0; id >= 0 && i < n; i++)
        if (b[i].node_id == id)
            return kc_target_node(id);
    return kc_target_any();
}

/* ---- group coordinators -------------------------------------------------------------- */

bool adm_coordinator_moved(int16_t code)
{
    return code == KAFKA_NOT_COORDINATOR || code == KAFKA_COORDINATOR_NOT_AVAILABLE ||
           code == KAFKA_COORDINATOR_LOAD_IN_PROGRESS;
}

typedef struct find_ctx {
    st_arena *arena;
    kc_err err;
    char errstr[384];
    int32_t node;
    const char *host;
    int32_t port;
} find_ctx;

/* FindCoordinator v4+ asks for a list of keys; earlier versions for one. */
static void prepare_find(void *request, int16_t version, st_arena *arena, void *opaque)
{
    (void)opaque;
    kp_find_coordinator_request *req = request;
    if (version < 4)
        return;
    req->coordinator_keys = st_arena_alloc(arena, sizeof(st_slice));
    if (!req->coordinator_keys)
        return;
    req->coordinator_keys[0] = req->key;
    req->coordinator_keys_count = 1;
}

static void on_find(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    find_ctx *f = opaque;
    if (adm_request_failed(resp, &f->err, f->errstr, sizeof(f->errstr)))
        return;
    const kp_find_coordinator_response *r = resp->body;
    int16_t code = r->error_code;
    st_slice msg = r->error_message;
    f->node = r->node_id;
    f->host = adm_str(f->arena, r->host);
    f->port = r->port;
    if (resp->api_version >= 4) {
        if (r->coordinators_count < 1) {
            f->err = KC_ERR_BAD_RESPONSE;
            snprintf(f->errstr, sizeof(f->errstr), "FindCoordinator answered no coordinator");
            return;
        }
        const kp_find_coordinator_response_coordinator *k = &r->coordinators[0];
        code = k->error_code;
        msg = k->error_message;
        f->node = k->node_id;
        f->host = adm_str(f->arena, k->host);
        f->port = k->port;
    }
    f->err = code;
    if (code)
        snprintf(f->errstr, sizeof(f->errstr), "%.*s",
                 msg.len > 0 ? (int)msg.len : (int)strlen(kafka_error_name(code)),
                 msg.len > 0 ? (const char *)msg.ptr : kafka_error_name(code));
}

kc_err adm_find_coordinator(adm_op *op, const char *group, st_arena *arena, int32_t *node,
                            const char **host, int32_t *port, char *errstr, size_t errlen)
{
    kp_find_coordinator_request req;
    kp_init(&kp_find_coordinator_request_desc, &req);
    req.key = st_slice_cstr(group);
    req.key_type = 0; /* a group */
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.prepare = prepare_find;
    opts.retry_after_send = true;
    for (int attempt = 1;; attempt++) {
        find_ctx f = {.arena = arena, .node = -1};
        adm_send(op, kc_target_any(), KC_API_FIND_COORDINATOR, &req, &opts, on_find, &f, 0);
        adm_wait(op);
        if (!f.err || !(adm_coordinator_moved((int16_t)f.err) && f.err > 0) ||
            adm_expired(op)) {
            *node = f.node;
            if (host)
                *host = f.host;
            if (port)
                *port = f.port;
            if (f.err)
                snprintf(errstr, errlen, "could not find the coordinator of group '%s': %s",
                         group, f.errstr);
            return f.err;
        }
        adm_pause(op, adm_backoff(op, attempt));
    }
}

typedef struct group_call_ctx {
    adm_group_error_fn group_error;
    adm_handler handler;
    void *ctx;
    size_t index;
    bool retry;
    bool last_try;
} group_call_ctx;

static void on_group_response(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    group_call_ctx *g = opaque;
    if (!resp->err && !g->last_try &&
        adm_coordinator_moved(g->group_error(resp->body, resp->api_version))) {
        g->retry = true;
        return;
    }
    g->handler(g->ctx, g->index, resp);
}

int32_t adm_group_call(adm_op *op, const char *group, int16_t api_key, const void *request,
                       const kc_request_opts *opts, adm_group_error_fn group_error,
                       adm_handler handler, void *ctx, size_t index)
{
    for (int attempt = 1;; attempt++) {
        int32_t node = -1;
        char why[512];
        kc_err err = adm_find_coordinator(op, group, NULL, &node, NULL, NULL, why, sizeof(why));
        if (err) {
            kc_response resp = {err, why, api_key, -1, -1, NULL};
            handler(ctx, index, &resp);
            return -1;
        }
        group_call_ctx g = {group_error, handler, ctx, index, false, false};
        g.last_try = kc_now_ms() + adm_backoff(op, attempt) >= op->deadline_ms;
        adm_send(op, kc_target_node(node), api_key, request, opts, on_group_response, &g, 0);
        adm_wait(op);
        if (!g.retry)
            return node;
        adm_pause(op, adm_backoff(op, attempt));
    }
}

/* ---- DescribeCluster ------------------------------------------------------------------ */

typedef struct cluster_ctx {
    st_arena *arena;
    kc_cluster_desc *out;
    kc_err err;
    char errstr[512];
} cluster_ctx;

static int compare_brokers(const void *a, const void *b)
{
    int32_t x = ((const kc_broker_info *)a)->node_id, y = ((const kc_broker_info *)b)->node_id;
    return (x > y) - (x < y);
}

static kc_broker_info *copy_broker(st_arena *arena, kc_broker_info *b, int32_t id, st_slice host,
                                   int32_t port, st_slice rack)
{
    b->node_id = id;
    b->host = adm_str(arena, host);
    b->port = port;
    b->rack = adm_str(arena, rack);
    return b;
}

static void on_describe_cluster(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    cluster_ctx *x = opaque;
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr)))
        return;
    const kp_describe_cluster_response *r = resp->body;
    if (r->error_code) {
        x->err = r->error_code;
        snprintf(x->errstr, sizeof(x->errstr), "DescribeCluster: %s",
                 adm_err_text(x->arena, r->error_code, r->error_message));
        return;
    }
    kc_cluster_desc *out = x->out;
    out->cluster_id = adm_str(x->arena, r->cluster_id);
    out->controller = r->controller_id;
    int32_t n = r->brokers_count > 0 ? r->brokers_count : 0;
    kc_broker_info *b = st_arena_calloc(x->arena, (size_t)n + 1, sizeof(*b));
    for (int32_t i = 0; b && i < n; i++)
        copy_broker(x->arena, &b[i], r->brokers[i].broker_id, r->brokers[i].host,
                    r->brokers[i].port, r->brokers[i].rack);
    out->brokers = b;
    out->broker_count = b ? (size_t)n : 0;
}

static void on_metadata_cluster(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    cluster_ctx *x = opaque;
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr)))
        return;
    const kp_metadata_response *r = resp->body;
    kc_cluster_desc *out = x->out;
    out->cluster_id = adm_str(x->arena, r->cluster_id);
    out->controller = resp->api_version >= 1 ? r->controller_id : -1;
    int32_t n = r->brokers_count > 0 ? r->brokers_count : 0;
    kc_broker_info *b = st_arena_calloc(x->arena, (size_t)n + 1, sizeof(*b));
    for (int32_t i = 0; b && i < n; i++)
        copy_broker(x->arena, &b[i], r->brokers[i].node_id, r->brokers[i].host,
                    r->brokers[i].port, r->brokers[i].rack);
    out->brokers = b;
    out->broker_count = b ? (size_t)n : 0;
}

kc_err kc_admin_describe_cluster(kc_client *client, int timeout_ms, st_arena *arena,
                                 kc_cluster_desc *out)
{
    memset(out, 0, sizeof(*out));
    out->controller = -1;
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    if (err) {
        adm_end(&op);
        return err;
    }
    cluster_ctx x = {arena, out, 0, ""};
    kp_describe_cluster_request req;
    kp_init(&kp_describe_cluster_request_desc, &req);
    req.endpoint_type = 1; /* brokers */
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.retry_after_send = true;
    adm_send(&op, kc_target_any(), KC_API_DESCRIBE_CLUSTER, &req, &opts, on_describe_cluster, &x,
             0);
    adm_wait(&op);
    if (x.err == KC_ERR_UNSUPPORTED) { /* older brokers: Metadata says the same */
        x.err = KC_OK;
        kp_metadata_request md;
        kp_init(&kp_metadata_request_desc, &md);
        md.topics = NULL;
        md.topics_count = 0; /* no topics (v1+: an empty list) */
        opts.min_version = 1;
        adm_send(&op, kc_target_any(), KC_API_METADATA, &md, &opts, on_metadata_cluster, &x, 0);
        adm_wait(&op);
    }
    adm_end(&op);
    if (x.err)
        return kc_fail(client, x.err, "%s", x.errstr);
    if (out->broker_count > 1)
        qsort((void *)out->brokers, out->broker_count, sizeof(*out->brokers), compare_brokers);
    return KC_OK;
}

/* ---- config sources ---------------------------------------------------------------------- */

const char *kc_config_source_name(int source)
{
    switch (source) {
    case KC_CONFIG_SOURCE_DYNAMIC_TOPIC: return "DYNAMIC_TOPIC_CONFIG";
    case KC_CONFIG_SOURCE_DYNAMIC_BROKER: return "DYNAMIC_BROKER_CONFIG";
    case KC_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case KC_CONFIG_SOURCE_STATIC_BROKER: return "STATIC_BROKER_CONFIG";
    case KC_CONFIG_SOURCE_DEFAULT: return "DEFAULT_CONFIG";
    case KC_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER: return "DYNAMIC_BROKER_LOGGER_CONFIG";
    default: return "UNKNOWN";
    }
}
