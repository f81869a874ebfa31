/* client_admin_topics.c — creating, deleting and describing topics, and
 * adding partitions (kc_admin_create_topics & co. in kafka_client.h).
 *
 * Owns the requests to the controller (CreateTopics, DeleteTopics,
 * CreatePartitions), which are resent for the items a broker answered
 * NOT_CONTROLLER after a metadata refresh, and the Metadata request behind
 * kc_admin_describe_topics (never auto-creating). Never retries an item
 * that got an answer: creating twice would turn success into
 * TOPIC_ALREADY_EXISTS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_admin.h"
#include "common/client_core.h"
#include "common/protocol/messages.h"

/* ---- per-item bookkeeping for controller requests ---------------------------------- */

typedef struct item_batch {
    st_arena *arena;             /* the caller's: messages */
    kc_admin_result *results;
    bool *done;
    size_t n;
    bool retry;                  /* some item got NOT_CONTROLLER */
} item_batch;

static kc_err batch_init(item_batch *b, st_arena *arena, st_arena *scratch, size_t n,
                         kc_admin_result **results)
{
    memset(b, 0, sizeof(*b));
    b->arena = arena;
    b->n = n;
    b->results = st_arena_calloc(arena, n + 1, sizeof(*b->results));
    b->done = st_arena_calloc(scratch, n + 1, sizeof(*b->done));
    *results = b->results;
    return b->results && b->done ? KC_OK : KC_ERR_NOMEM;
}

/* Records the answer for every unanswered item called name (a name given
 * twice gets the broker's one answer, e.g. INVALID_REQUEST, for both). */
static void batch_record(item_batch *b, st_slice name, int16_t code, st_slice message)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->done[i] || !b->results[i].name || !st_slice_eq_cstr(name, b->results[i].name))
            continue;
        if (code == KAFKA_NOT_CONTROLLER) {
            b->retry = true;
            continue;
        }
        b->done[i] = true;
        b->results[i].err = code;
        b->results[i].message = adm_err_text(b->arena, code, message);
    }
}

/* A failed request: every item still open gets its error. */
static void batch_fail_open(item_batch *b, kc_err err, const char *errstr)
{
    const char *msg = adm_strdup(b->arena, errstr);
    for (size_t i = 0; i < b->n; i++) {
        if (b->done[i])
            continue;
        b->done[i] = true;
        b->results[i].err = err;
        b->results[i].message = msg ? msg : kc_err_name(err);
    }
}

/* After the last round: an item the broker never mentioned. */
static void batch_finish(item_batch *b, const char *what)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->done[i])
            continue;
        b->results[i].err = b->retry ? KAFKA_NOT_CONTROLLER : KC_ERR_BAD_RESPONSE;
        b->results[i].message = b->retry ? "no controller accepted the request in time"
                                         : what;
    }
}

static size_t batch_open_count(const item_batch *b)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        k += !b->done[i];
    return k;
}

/* One round: build(b, i, slot) fills request slot for open item i. The
 * caller's send() sends the request for the open items. Returns after the
 * last round (no NOT_CONTROLLER left, or out of time). */
typedef void (*batch_send_fn)(adm_op *op, item_batch *b, void *ctx);

static void batch_run(adm_op *op, item_batch *b, batch_send_fn send, void *ctx, const char *what)
{
    for (int attempt = 1; batch_open_count(b) > 0; attempt++) {
        b->retry = false;
        send(op, b, ctx);
        adm_wait(op);
        if (!b->retry || adm_expired(op))
            break;
        kc_metadata_invalidate(op->client);
        adm_pause(op, adm_backoff(op, attempt));
    }
    batch_finish(b, what);
}

/* The name of item i of a call's items (ctx: the call's context). */
typedef const char *(*batch_name_fn)(const void *ctx, size_t i);

/* The whole of a controller call about n topics: starts the operation,
 * names results[i] (copies in arena) after name(ctx, i), runs the rounds
 * and returns the first failed topic's error. results is allocated in
 * arena (NULL when even that failed). */
static kc_err batch_call(kc_client *client, int timeout_ms, st_arena *arena, size_t n,
                         kc_admin_result **results, batch_name_fn name, batch_send_fn send,
                         void *ctx)
{
    *results = NULL;
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    item_batch b;
    if (!err)
        err = batch_init(&b, arena, &op.scratch, n, results);
    if (err) {
        adm_end(&op);
        return err;
    }
    for (size_t i = 0; i < n; i++)
        b.results[i].name = adm_strdup(arena, name(ctx, i));
    batch_run(&op, &b, send, ctx, "the broker did not answer for this topic");
    adm_end(&op);
    return adm_first_error(client, b.results, n, "topic");
}

/* Whether the request failed as a whole (every open item then has its
 * error); the caller reads the response's body only when not. */
static bool batch_failed(item_batch *b, const kc_response *resp)
{
    if (resp->err)
        batch_fail_open(b, resp->err, resp->errstr);
    return resp->err != 0;
}

/* ---- CreateTopics ------------------------------------------------------------------------- */

typedef struct create_ctx {
    const kc_new_topic *topics;
    bool validate_only;
} create_ctx;

static void on_create_topics(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    item_batch *b = opaque;
    if (batch_failed(b, resp))
        return;
    const kp_create_topics_response *r = resp->body;
    for (int32_t i = 0; i < r->topics_count; i++)
        batch_record(b, r->topics[i].name, r->topics[i].error_code, r->topics[i].error_message);
}

static void send_create_topics(adm_op *op, item_batch *b, void *opaque)
{
    create_ctx *x = opaque;
    size_t open = batch_open_count(b);
    kp_create_topics_request req;
    kp_init(&kp_create_topics_request_desc, &req);
    req.topics = st_arena_calloc(&op->scratch, open, sizeof(*req.topics));
    if (!req.topics) {
        batch_fail_open(b, KC_ERR_NOMEM, "out of memory");
        return;
    }
    int32_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->done[i])
            continue;
        const kc_new_topic *t = &x->topics[i];
        kp_create_topics_request_creatable_topic *out = &req.topics[k++];
        kp_init(&kp_create_topics_request_creatable_topic_desc, out);
        out->name = st_slice_cstr(t->name);
        out->num_partitions = t->partitions;
        out->replication_factor = t->replication_factor;
        out->assignments_count = 0;
        out->configs = st_arena_calloc(&op->scratch, t->config_count + 1, sizeof(*out->configs));
        for (size_t c = 0; out->configs && c < t->config_count; c++) {
            out->configs[c].name = st_slice_cstr(t->configs[c].name);
            out->configs[c].value = st_slice_cstr(t->configs[c].value);
        }
        out->configs_count = out->configs ? (int32_t)t->config_count : 0;
    }
    req.topics_count = k;
    req.timeout_ms = adm_remaining(op);
    req.validate_only = x->validate_only;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    if (x->validate_only)
        opts.min_version = 1;
    /* v4+ lets the broker pick defaults (-1 partitions / replication). */
    for (size_t i = 0; i < b->n; i++)
        if (!b->done[i] && (x->topics[i].partitions < 0 || x->topics[i].replication_factor < 0))
            opts.min_version = 4;
    adm_send(op, adm_controller(op->client), KC_API_CREATE_TOPICS, &req, &opts, on_create_topics, b,
             0);
}

static const char *create_topic_name(const void *ctx, size_t i)
{
    return ((const create_ctx *)ctx)->topics[i].name;
}

kc_err kc_admin_create_topics(kc_client *client, const kc_new_topic *topics, size_t n,
                              bool validate_only, int timeout_ms, st_arena *arena,
                              kc_admin_result **results)
{
    create_ctx x = {topics, validate_only};
    return batch_call(client, timeout_ms, arena, n, results, create_topic_name,
                      send_create_topics, &x);
}

/* ---- DeleteTopics ----------------------------------------------------------------------------- */

static void on_delete_topics(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    item_batch *b = opaque;
    if (batch_failed(b, resp))
        return;
    const kp_delete_topics_response *r = resp->body;
    for (int32_t i = 0; i < r->responses_count; i++)
        batch_record(b, r->responses[i].name, r->responses[i].error_code,
                     r->responses[i].error_message);
}

/* v6 names topics in `topics` (name or id); earlier versions in topic_names. */
static void prepare_delete_topics(void *request, int16_t version, st_arena *arena, void *opaque)
{
    (void)opaque;
    kp_delete_topics_request *req = request;
    if (version < 6 || req->topic_names_count <= 0)
        return;
    req->topics = st_arena_calloc(arena, (size_t)req->topic_names_count, sizeof(*req->topics));
    if (!req->topics)
        return;
    for (int32_t i = 0; i < req->topic_names_count; i++)
        req->topics[i].name = req->topic_names[i];
    req->topics_count = req->topic_names_count;
}

static void send_delete_topics(adm_op *op, item_batch *b, void *opaque)
{
    (void)opaque;
    kp_delete_topics_request req;
    kp_init(&kp_delete_topics_request_desc, &req);
    req.topic_names = st_arena_calloc(&op->scratch, b->n + 1, sizeof(st_slice));
    if (!req.topic_names) {
        batch_fail_open(b, KC_ERR_NOMEM, "out of memory");
        return;
    }
    int32_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->done[i])
            req.topic_names[k++] = st_slice_cstr(b->results[i].name);
    req.topic_names_count = k;
    req.topics_count = 0;
    req.timeout_ms = adm_remaining(op);
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.prepare = prepare_delete_topics;
    adm_send(op, adm_controller(op->client), KC_API_DELETE_TOPICS, &req, &opts, on_delete_topics, b,
             0);
}

static const char *delete_topic_name(const void *ctx, size_t i)
{
    return ((const char *const *)ctx)[i];
}

kc_err kc_admin_delete_topics(kc_client *client, const char *const *names, size_t n,
                              int timeout_ms, st_arena *arena, kc_admin_result **results)
{
    /* send_delete_topics reads the names from the results, never from ctx */
    return batch_call(client, timeout_ms, arena, n, results, delete_topic_name,
                      send_delete_topics, (void *)names);
}

/* ---- CreatePartitions ----------------------------------------------------------------------- */

typedef struct partitions_ctx {
    const kc_new_partitions *topics;
    bool validate_only;
} partitions_ctx;

static void on_create_partitions(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    item_batch *b = opaque;
    if (batch_failed(b, resp))
        return;
    const kp_create_partitions_response *r = resp->body;
    for (int32_t i = 0; i < r->results_count; i++)
        batch_record(b, r->results[i].name, r->results[i].error_code,
                     r->results[i].error_message);
}

static void send_create_partitions(adm_op *op, item_batch *b, void *opaque)
{
    partitions_ctx *x = opaque;
    kp_create_partitions_request req;
    kp_init(&kp_create_partitions_request_desc, &req);
    req.topics = st_arena_calloc(&op->scratch, b->n + 1, sizeof(*req.topics));
    if (!req.topics) {
        batch_fail_open(b, KC_ERR_NOMEM, "out of memory");
        return;
    }
    int32_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->done[i])
            continue;
        kp_create_partitions_request_create_partitions_topic *t = &req.topics[k++];
        kp_init(&kp_create_partitions_request_create_partitions_topic_desc, t);
        t->name = st_slice_cstr(x->topics[i].topic);
        t->count = x->topics[i].total_count;
        t->assignments = NULL;
        t->assignments_count = -1;
    }
    req.topics_count = k;
    req.timeout_ms = adm_remaining(op);
    req.validate_only = x->validate_only;
    adm_send(op, adm_controller(op->client), KC_API_CREATE_PARTITIONS, &req, NULL,
             on_create_partitions, b, 0);
}

static const char *create_partitions_name(const void *ctx, size_t i)
{
    return ((const partitions_ctx *)ctx)->topics[i].topic;
}

kc_err kc_admin_create_partitions(kc_client *client, const kc_new_partitions *topics, size_t n,
                                  bool validate_only, int timeout_ms, st_arena *arena,
                                  kc_admin_result **results)
{
    partitions_ctx x = {topics, validate_only};
    return batch_call(client, timeout_ms, arena, n, results, create_partitions_name,
                      send_create_partitions, &x);
}

/* ---- Describe topics (Metadata) -------------------------------------------------------------- */

typedef struct describe_ctx {
    st_arena *arena;
    kc_topic_desc *topics;       /* the answer's topics, in its order */
    size_t count;
    kc_err err;
    char errstr[512];
} describe_ctx;

static int32_t *copy_ids(st_arena *arena, const int32_t *ids, int32_t n, int32_t *count)
{
    *count = n > 0 ? n : 0;
    int32_t *out = st_arena_calloc(arena, (size_t)*count + 1, sizeof(*out));
    if (out && *count)
        memcpy(out, ids, (size_t)*count * sizeof(*out));
    if (!out)
        *count = 0;
    return out;
}

static int compare_partitions(const void *a, const void *b)
{
    int32_t x = ((const kc_partition_desc *)a)->partition;
    int32_t y = ((const kc_partition_desc *)b)->partition;
    return (x > y) - (x < y);
}

static void copy_topic(st_arena *arena, const kp_metadata_response_topic *in, kc_topic_desc *out)
{
    out->name = adm_str(arena, in->name);
    out->topic_id = in->topic_id;
    out->internal = in->is_internal;
    out->err = in->error_code;
    int32_t n = in->partitions_count > 0 ? in->partitions_count : 0;
    kc_partition_desc *p = st_arena_calloc(arena, (size_t)n + 1, sizeof(*p));
    if (!p)
        n = 0;
    for (int32_t i = 0; i < n; i++) {
        const kp_metadata_response_partition *src = &in->partitions[i];
        p[i].partition = src->partition_index;
        p[i].leader = src->leader_id;
        p[i].leader_epoch = src->leader_epoch;
        p[i].err = src->error_code;
        p[i].replicas = copy_ids(arena, src->replica_nodes, src->replica_nodes_count,
                                 &p[i].replica_count);
        p[i].isr = copy_ids(arena, src->isr_nodes, src->isr_nodes_count, &p[i].isr_count);
        p[i].offline = copy_ids(arena, src->offline_replicas, src->offline_replicas_count,
                                &p[i].offline_count);
    }
    qsort(p, (size_t)n, sizeof(*p), compare_partitions);
    out->partitions = p;
    out->partition_count = n;
}

static void on_describe_topics(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    describe_ctx *x = opaque;
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr)))
        return;
    const kp_metadata_response *r = resp->body;
    size_t n = r->topics_count > 0 ? (size_t)r->topics_count : 0;
    x->topics = st_arena_calloc(x->arena, n + 1, sizeof(*x->topics));
    if (!x->topics) {
        x->err = KC_ERR_NOMEM;
        snprintf(x->errstr, sizeof(x->errstr), "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (r->topics[i].name.len >= 0)
            copy_topic(x->arena, &r->topics[i], &x->topics[x->count++]);
}

static int compare_topic_names(const void *a, const void *b)
{
    return strcmp(((const kc_topic_desc *)a)->name, ((const kc_topic_desc *)b)->name);
}

static const kc_topic_desc *find_topic(const describe_ctx *x, const char *name)
{
    for (size_t i = 0; i < x->count; i++)
        if (x->topics[i].name && strcmp(x->topics[i].name, name) == 0)
            return &x->topics[i];
    return NULL;
}

/* Orders the answer like names[], with a missing topic as UNKNOWN_TOPIC. */
static kc_topic_desc *in_request_order(describe_ctx *x, const char *const *names, size_t n)
{
    kc_topic_desc *out = st_arena_calloc(x->arena, n + 1, sizeof(*out));
    for (size_t i = 0; out && i < n; i++) {
        const kc_topic_desc *t = find_topic(x, names[i]);
        if (t) {
            out[i] = *t;
            continue;
        }
        out[i].name = adm_strdup(x->arena, names[i]);
        out[i].err = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        out[i].partitions = NULL;
    }
    return out;
}

/* Before v4 a Metadata request for named topics may create them: ask for
 * every topic instead and pick the named ones out of the answer. */
static void prepare_describe_topics(void *request, int16_t version, st_arena *arena, void *opaque)
{
    (void)arena;
    (void)opaque;
    kp_metadata_request *req = request;
    if (version < 4)
        req->topics_count = -1;
}

kc_err kc_admin_describe_topics(kc_client *client, const char *const *names, size_t n,
                                int timeout_ms, st_arena *arena, kc_topic_desc **topics,
                                size_t *count)
{
    *topics = NULL;
    *count = 0;
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    if (err) {
        adm_end(&op);
        return err;
    }
    kp_metadata_request req;
    kp_init(&kp_metadata_request_desc, &req);
    req.allow_auto_topic_creation = false;
    req.topics = NULL;
    req.topics_count = -1; /* all topics */
    if (names) {
        req.topics = st_arena_calloc(&op.scratch, n + 1, sizeof(*req.topics));
        for (size_t i = 0; req.topics && i < n; i++)
            req.topics[i].name = st_slice_cstr(names[i]);
        req.topics_count = req.topics ? (int32_t)n : 0;
    }
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = 1; /* null = all topics */
    opts.prepare = prepare_describe_topics;
    opts.retry_after_send = true;
    describe_ctx x = {.arena = arena};
    adm_send(&op, kc_target_any(), KC_API_METADATA, &req, &opts, on_describe_topics, &x, 0);
    adm_wait(&op);
    adm_end(&op);
    if (x.err)
        return kc_fail(client, x.err, "%s", x.errstr);
    if (!names) {
        qsort(x.topics, x.count, sizeof(*x.topics), compare_topic_names);
        *topics = x.topics;
        *count = x.count;
        return KC_OK;
    }
    *topics = in_request_order(&x, names, n);
    if (!*topics)
        return kc_fail(client, KC_ERR_NOMEM, "out of memory");
    *count = n;
    for (size_t i = 0; i < n; i++)
        if ((*topics)[i].err)
            return kc_fail(client, (*topics)[i].err, "topic '%s': %s", names[i],
                           (*topics)[i].err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION
                               ? "does not exist"
                               : kc_err_name((*topics)[i].err));
    return KC_OK;
}
