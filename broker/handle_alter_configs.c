/* handle_alter_configs.c — AlterConfigs v0-2 (legacy: a topic's overrides
 * become exactly the request's) and IncrementalAlterConfigs v0-1 (SET,
 * DELETE, APPEND, SUBTRACT on a topic's overrides; the root log level of
 * this broker). Validation is topic_config.c's; a change is applied with
 * topic_admin_configs_changed, which reconfigures the logs and persists it;
 * validate_only checks without applying. Each resource succeeds or fails
 * on its own, with Kafka's codes and messages: a resource given twice
 * (INVALID_REQUEST), a bad topic name (INVALID_TOPIC_EXCEPTION), a bad
 * config (INVALID_CONFIG), an unknown topic (UNKNOWN_TOPIC_OR_PARTITION).
 * Broker resources: read-only settings are refused as Kafka refuses them;
 * dynamic broker configs are not stored yet, so every other broker setting
 * is refused too (INVALID_REQUEST) with a message saying so. */
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/config_resource.h"
#include "broker/dup_keys.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

enum { MSG_MAX = 1024 };

/* One resource of either request, in one shape. */
typedef struct change {
    int8_t type;
    st_slice name;
    config_alteration *ops;
    size_t n;
    int16_t code;    /* the request itself is wrong (set while reading) */
    const char *msg;
    bool skip;       /* a repeated duplicate, answered once already (legacy) */
} change;

static int16_t fail(char *msg, size_t len, int16_t code, const char *text)
{
    snprintf(msg, len, "%s", text);
    return code;
}

/* ---- topics ------------------------------------------------------------------ */

static int16_t check_topic_name(st_slice name, char *msg, size_t len)
{
    const char *why;
    if (name.len <= 0)
        return fail(msg, len, KAFKA_INVALID_REQUEST, "Default topic resources are not allowed.");
    if (!topic_name_valid(name, &why))
        return fail(msg, len, KAFKA_INVALID_TOPIC_EXCEPTION, why);
    return KAFKA_NONE;
}

/* Installs the validated overrides *result (taken) on the topic, unless
 * validate_only; an unknown topic is refused only now, as Kafka checks
 * existence after the configs. */
static int16_t install(request *rq, topic *t, const change *c, config_values *result,
                       bool validate_only, char *msg, size_t len)
{
    if (!t || validate_only) {
        config_values_free(result);
        if (t)
            return KAFKA_NONE;
        snprintf(msg, len, "The topic '%.*s' does not exist.", (int)c->name.len,
                 (const char *)c->name.ptr);
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    }
    config_values_free(&t->overrides);
    t->overrides = *result;
    int16_t code = topic_admin_configs_changed(rq->b, t, msg, len);
    if (!code)
        st_logf(&rq->b->logger, ST_LOG_INFO, "topics", "configuration of topic %s changed",
                t->name);
    return code;
}

/* The entries as Kafka reads them (into a map): a name given twice keeps
 * its last value, a null value sets nothing; *n of them into sets. */
static bool last_values(const change *c, config_alteration *sets, size_t *n)
{
    strmap at; /* name -> index + 1 in sets */
    strmap_init(&at);
    bool ok = true;
    *n = 0;
    for (size_t i = 0; ok && i < c->n; i++) {
        st_slice key = st_slice_cstr(c->ops[i].name);
        uintptr_t k = (uintptr_t)strmap_get(&at, key);
        if (!k) {
            k = ++*n;
            ok = strmap_put(&at, key, (void *)k) == ST_OK;
        }
        sets[k - 1] = c->ops[i];
    }
    strmap_free(&at);
    size_t kept = 0; /* a name whose last value is null is not set */
    for (size_t i = 0; i < *n; i++)
        if (sets[i].value)
            sets[kept++] = sets[i];
    *n = kept;
    return ok;
}

/* Legacy: those entries replace every override of the topic. */
static int16_t replace_topic_configs(request *rq, const change *c, bool validate_only,
                                     char *msg, size_t len)
{
    int16_t code = check_topic_name(c->name, msg, len);
    if (code)
        return code;
    size_t n;
    config_alteration *sets = st_arena_calloc(&rq->arena, c->n + 1, sizeof(*sets));
    if (!sets || !last_values(c, sets, &n))
        return KAFKA_UNKNOWN_SERVER_ERROR;
    config_values result;
    code = topic_config_create(&rq->b->cfg, sets, n, &result, msg, len);
    if (code)
        return code;
    return install(rq, topic_registry_find(&rq->b->topics, c->name), c, &result, validate_only,
                   msg, len);
}

static int16_t alter_topic_configs(request *rq, const change *c, bool validate_only, char *msg,
                                   size_t len)
{
    int16_t code = check_topic_name(c->name, msg, len);
    if (code)
        return code;
    topic *t = topic_registry_find(&rq->b->topics, c->name);
    config_values result;
    code = topic_config_alter(t ? &t->overrides : NULL, &rq->b->cfg, c->ops, c->n, &result, msg,
                              len);
    if (code)
        return code;
    return install(rq, t, c, &result, validate_only, msg, len);
}

/* ---- brokers ----------------------------------------------------------------- */

/* IncrementalAlterConfigs (checked by the broker in Kafka): the name must
 * be this node's id. */
static int16_t check_node_incremental(request *rq, st_slice name, char *msg, size_t len)
{
    int32_t id;
    int shown = config_resource_shown_len(name);
    if (!config_resource_node_id(name, &id)) {
        snprintf(msg, len, "Node id must be an integer, but it is: %.*s", shown,
                 (const char *)name.ptr);
        return KAFKA_INVALID_REQUEST;
    }
    if (id != rq->b->identity.node_id) {
        snprintf(msg, len, "Unexpected broker id, expected %d, but received %.*s",
                 rq->b->identity.node_id, shown, (const char *)name.ptr);
        return KAFKA_INVALID_REQUEST;
    }
    return KAFKA_NONE;
}

/* AlterConfigs (checked by the controller in Kafka): empty, or a
 * registered node's id. */
static int16_t check_node_legacy(request *rq, st_slice name, char *msg, size_t len)
{
    int32_t id;
    if (name.len <= 0)
        return KAFKA_NONE;
    if (!config_resource_node_id(name, &id))
        return fail(msg, len, KAFKA_INVALID_REQUEST,
                    "Unable to parse broker name as a base 10 number.");
    if (id < 0)
        return fail(msg, len, KAFKA_INVALID_REQUEST, "Invalid negative broker ID.");
    if (id != rq->b->identity.node_id) {
        snprintf(msg, len, "No node with id %d found.", id);
        return KAFKA_BROKER_ID_NOT_REGISTERED;
    }
    return KAFKA_NONE;
}

/* Appends ", name" (or "name" first) to msg. */
static void append_name(char *msg, size_t len, size_t *used, const char *name)
{
    if (*used < len)
        *used += (size_t)snprintf(msg + *used, len - *used, "%s%s", *used ? ", " : "", name);
}

static bool broker_read_only(const char *name)
{
    const config_def *d = config_def_find(broker_config_defs, broker_config_def_count, name, NULL);
    return d && !(d->flags & (CONFIG_DYNAMIC_PER_BROKER | CONFIG_DYNAMIC_CLUSTER));
}

/* Kafka refuses read-only settings ("Cannot update these configs
 * dynamically"); the others would need dynamic broker config storage. */
static int16_t refuse_broker_change(const change *c, char *msg, size_t len)
{
    char names[MSG_MAX / 2] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->n; i++)
        if (broker_read_only(c->ops[i].name))
            append_name(names, sizeof(names), &used, c->ops[i].name);
    if (used) {
        snprintf(msg, len, "Cannot update these configs dynamically: Set(%s)", names);
        return KAFKA_INVALID_REQUEST;
    }
    for (size_t i = 0; i < c->n; i++)
        append_name(names, sizeof(names), &used, c->ops[i].name);
    snprintf(msg, len, "Dynamic broker configs are not supported by this broker yet: %s can "
             "only be set in its configuration file (--config or --override) and take effect "
             "at the next start", names);
    return KAFKA_INVALID_REQUEST;
}

static int16_t alter_broker(request *rq, const change *c, bool incremental, char *msg,
                            size_t len)
{
    int16_t code = incremental ? (c->name.len > 0 ? check_node_incremental(rq, c->name, msg, len)
                                                  : KAFKA_NONE)
                               : check_node_legacy(rq, c->name, msg, len);
    if (code || c->n == 0)
        return code;
    return refuse_broker_change(c, msg, len);
}

/* ---- the broker's logger (IncrementalAlterConfigs only) ------------------------- */

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static int16_t check_logger_op(const config_alteration *op, int *level, char *msg, size_t len)
{
    if (op->op == CONFIG_OP_APPEND || op->op == CONFIG_OP_SUBTRACT) {
        snprintf(msg, len, "%s operation is not allowed for the BROKER_LOGGER resource",
                 op->op == CONFIG_OP_APPEND ? "APPEND" : "SUBTRACT");
        return KAFKA_INVALID_REQUEST;
    }
    if (op->op != CONFIG_OP_SET && op->op != CONFIG_OP_DELETE) {
        snprintf(msg, len, "Unknown operation type %d is not allowed for the BROKER_LOGGER "
                 "resource", (int)op->op);
        return KAFKA_INVALID_REQUEST;
    }
    if (strcmp(op->name, "root") != 0) {
        snprintf(msg, len, "Logger %s does not exist!", op->name);
        return KAFKA_INVALID_CONFIG;
    }
    if (op->op == CONFIG_OP_DELETE)
        return fail(msg, len, KAFKA_INVALID_REQUEST,
                    "Removing the log level of the root logger is not allowed");
    for (int i = 0; i < 4; i++)
        if (strcmp(op->value, level_names[i]) == 0)
            *level = i;
    if (*level >= 0)
        return KAFKA_NONE;
    snprintf(msg, len, "Cannot set the log level of root to %s as it is not a supported log "
             "level. Valid log levels are DEBUG, INFO, WARN, ERROR", op->value);
    return KAFKA_INVALID_CONFIG;
}

static int16_t alter_logger(request *rq, const change *c, bool validate_only, char *msg,
                            size_t len)
{
    int16_t code = check_node_incremental(rq, c->name, msg, len);
    int level = -1;
    for (size_t i = 0; !code && i < c->n; i++) {
        level = -1;
        code = check_logger_op(&c->ops[i], &level, msg, len);
    }
    if (code || validate_only || level < 0)
        return code;
    rq->b->logger.level = (st_log_level)level;
    st_logf(&rq->b->logger, ST_LOG_INFO, "config", "root log level set to %s",
            level_names[level]);
    return KAFKA_NONE;
}

/* ---- reading the requests --------------------------------------------------------- */

/* The resource key for duplicate detection: the type byte, then the name. */
static st_slice resource_key(request *rq, const change *c)
{
    size_t n = c->name.len > 0 ? (size_t)c->name.len : 0;
    uint8_t *k = st_arena_alloc(&rq->arena, n + 1);
    if (!k)
        return ST_SLICE_NULL;
    k[0] = (uint8_t)c->type;
    if (n)
        memcpy(k + 1, c->name.ptr, n);
    return st_slice_from(k, n + 1);
}

/* every_one (IncrementalAlterConfigs): each occurrence gets INVALID_REQUEST;
 * otherwise (AlterConfigs) the resource gets one answer. */
static bool mark_duplicates(request *rq, change *c, int32_t n, bool every_one, const char *why)
{
    dup_keys seen;
    dup_keys_init(&seen);
    st_slice *keys = st_arena_calloc(&rq->arena, (size_t)n + 1, sizeof(*keys));
    bool ok = keys != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        keys[i] = resource_key(rq, &c[i]);
        ok = keys[i].len >= 0 && dup_keys_note(&seen, keys[i]);
    }
    for (int32_t i = 0; ok && i < n; i++) {
        dup_kind dup;
        ok = dup_keys_check(&seen, keys[i], !every_one, &dup);
        c[i].skip = dup == DUP_ANSWERED;
        if (dup == DUP_ANSWER) {
            c[i].code = KAFKA_INVALID_REQUEST;
            c[i].msg = why;
        }
    }
    dup_keys_free(&seen);
    return ok;
}

/* request_cstr, where no memory refuses the resource too (*bad set). */
static const char *op_text(request *rq, st_slice s, bool *bad)
{
    const char *p = request_cstr(rq, s, bad);
    if (!p && s.len >= 0)
        *bad = true;
    return p;
}

/* Adds one operation; a name or value that is not a usable string refuses
 * the resource. */
static void read_op(request *rq, change *c, st_slice name, st_slice value, int8_t op)
{
    bool bad = name.len < 0;
    config_alteration *a = &c->ops[c->n++];
    a->name = op_text(rq, name, &bad);
    a->value = op_text(rq, value, &bad);
    a->op = (config_op)op;
    if (bad && !c->code) {
        c->code = KAFKA_INVALID_CONFIG;
        c->msg = "Config names and values must be strings without NUL characters.";
    }
}

static bool read_legacy(request *rq, change *out, int32_t n)
{
    const kp_alter_configs_request *req = rq->req.body;
    for (int32_t i = 0; i < n; i++) {
        const kp_alter_configs_request_alter_configs_resource *r = &req->resources[i];
        change *c = &out[i];
        int32_t k = r->configs_count > 0 ? r->configs_count : 0;
        c->type = r->resource_type;
        c->name = r->resource_name;
        if (!(c->ops = st_arena_calloc(&rq->arena, (size_t)k + 1, sizeof(*c->ops))))
            return false;
        for (int32_t j = 0; j < k; j++)
            read_op(rq, c, r->configs[j].name, r->configs[j].value, CONFIG_OP_SET);
    }
    return mark_duplicates(rq, out, n, false, "Duplicate resource.");
}

/* Kafka's checks before any resource type: "Error due to duplicate config
 * keys", then "Null value not supported for : a, b". */
static bool check_ops(request *rq, change *c)
{
    strmap names;
    strmap_init(&names);
    char nulls[MSG_MAX / 2] = "";
    size_t used = 0;
    bool ok = true, dup = false;
    for (size_t i = 0; ok && i < c->n; i++) {
        st_slice key = st_slice_cstr(c->ops[i].name);
        dup = dup || strmap_get(&names, key) != NULL;
        ok = strmap_put(&names, key, (void *)1) == ST_OK;
        if (!c->ops[i].value && c->ops[i].op != CONFIG_OP_DELETE)
            append_name(nulls, sizeof(nulls), &used, c->ops[i].name);
    }
    strmap_free(&names);
    if (!dup && !used)
        return ok;
    char msg[MSG_MAX];
    snprintf(msg, sizeof(msg), "Null value not supported for : %s", nulls);
    c->code = KAFKA_INVALID_REQUEST;
    c->msg = dup ? "Error due to duplicate config keys"
                 : (const char *)request_text(rq, msg).ptr;
    return ok && c->msg;
}

static bool read_incremental(request *rq, change *out, int32_t n)
{
    const kp_incremental_alter_configs_request *req = rq->req.body;
    for (int32_t i = 0; i < n; i++) {
        const kp_incremental_alter_configs_request_alter_configs_resource *r = &req->resources[i];
        change *c = &out[i];
        int32_t k = r->configs_count > 0 ? r->configs_count : 0;
        c->type = r->resource_type;
        c->name = r->resource_name;
        if (!(c->ops = st_arena_calloc(&rq->arena, (size_t)k + 1, sizeof(*c->ops))))
            return false;
        for (int32_t j = 0; j < k; j++)
            read_op(rq, c, r->configs[j].name, r->configs[j].value,
                    r->configs[j].config_operation);
    }
    if (!mark_duplicates(rq, out, n, true, "Each resource must appear at most once."))
        return false;
    for (int32_t i = 0; i < n; i++)
        if (!out[i].code && !check_ops(rq, &out[i]))
            return false;
    return true;
}

/* ---- answering ------------------------------------------------------------------ */

static int16_t apply_legacy(request *rq, const change *c, bool validate_only, char *msg,
                            size_t len)
{
    switch (c->type) {
    case RESOURCE_TOPIC:
        return replace_topic_configs(rq, c, validate_only, msg, len);
    case RESOURCE_BROKER:
        return alter_broker(rq, c, false, msg, len);
    case RESOURCE_BROKER_LOGGER:
    case RESOURCE_CLIENT_METRICS:
    case RESOURCE_GROUP:
        snprintf(msg, len, "Unexpected resource type %s.", config_resource_type_name(c->type));
        return KAFKA_INVALID_REQUEST;
    default:
        snprintf(msg, len, "Unknown resource type %d.", (int)c->type);
        return KAFKA_UNSUPPORTED_VERSION;
    }
}

static int16_t apply_incremental(request *rq, const change *c, bool validate_only, char *msg,
                                 size_t len)
{
    switch (c->type) {
    case RESOURCE_TOPIC:
        return alter_topic_configs(rq, c, validate_only, msg, len);
    case RESOURCE_BROKER:
        return alter_broker(rq, c, true, msg, len);
    case RESOURCE_BROKER_LOGGER:
        return alter_logger(rq, c, validate_only, msg, len);
    case RESOURCE_CLIENT_METRICS:
    case RESOURCE_GROUP:
        snprintf(msg, len, "Unsupported resource type: %s",
                 config_resource_type_name(c->type));
        return KAFKA_INVALID_REQUEST;
    default:
        snprintf(msg, len, "Unknown resource type %d", (int)c->type);
        return KAFKA_INVALID_REQUEST;
    }
}

/* The outcome of one resource: code and message (arena). */
static int16_t outcome(request *rq, const change *c, bool incremental, bool validate_only,
                       st_slice *message)
{
    char msg[MSG_MAX] = "";
    int16_t code = c->code;
    if (code)
        snprintf(msg, sizeof(msg), "%s", c->msg ? c->msg : "");
    else if (incremental)
        code = apply_incremental(rq, c, validate_only, msg, sizeof(msg));
    else
        code = apply_legacy(rq, c, validate_only, msg, sizeof(msg));
    *message = code ? request_text(rq, msg) : ST_SLICE_NULL;
    return code;
}

static change *read_changes(request *rq, int32_t n, bool incremental)
{
    change *c = st_arena_calloc(&rq->arena, (size_t)n + 1, sizeof(*c));
    bool ok = c && (incremental ? read_incremental(rq, c, n) : read_legacy(rq, c, n));
    return ok ? c : NULL;
}

void handle_alter_configs(request *rq)
{
    const kp_alter_configs_request *req = rq->req.body;
    kp_alter_configs_response *resp = request_new_response_body(rq);
    int32_t n = req->resources_count > 0 ? req->resources_count : 0;
    change *c = resp ? read_changes(rq, n, false) : NULL;
    if (!c || !(resp->responses = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                  sizeof(*resp->responses)))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (c[i].skip)
            continue;
        kp_alter_configs_response_alter_configs_resource_response *out = &resp->responses[k++];
        kp_init(&kp_alter_configs_response_alter_configs_resource_response_desc, out);
        out->resource_type = c[i].type;
        out->resource_name = c[i].name;
        out->error_code = outcome(rq, &c[i], false, req->validate_only, &out->error_message);
    }
    resp->responses_count = k;
    request_respond(rq, resp);
}

void handle_incremental_alter_configs(request *rq)
{
    const kp_incremental_alter_configs_request *req = rq->req.body;
    kp_incremental_alter_configs_response *resp = request_new_response_body(rq);
    int32_t n = req->resources_count > 0 ? req->resources_count : 0;
    change *c = resp ? read_changes(rq, n, true) : NULL;
    if (!c || !(resp->responses = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                  sizeof(*resp->responses)))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        kp_incremental_alter_configs_response_alter_configs_resource_response *out =
            &resp->responses[i];
        kp_init(&kp_incremental_alter_configs_response_alter_configs_resource_response_desc, out);
        out->resource_type = c[i].type;
        out->resource_name = c[i].name;
        out->error_code = outcome(rq, &c[i], true, req->validate_only, &out->error_message);
    }
    resp->responses_count = n;
    request_respond(rq, resp);
}
