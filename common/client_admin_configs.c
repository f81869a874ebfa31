/* client_admin_configs.c — describing and altering topic and broker
 * configs (kc_admin_describe_configs, kc_admin_incremental_alter_configs,
 * kc_admin_alter_configs in kafka_client.h).
 *
 * Owns routing (a broker resource goes to that broker, as Kafka's admin
 * client does; "" — the cluster-wide default — and topics to any broker),
 * one request per resource, and turning the versions' differences (v0's
 * is_default flag versus v1+'s config source) into one result shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_admin.h"
#include "common/client_core.h"
#include "common/protocol/messages.h"

static bool is_broker_type(int8_t type)
{
    return type == KC_RESOURCE_BROKER || type == KC_RESOURCE_BROKER_LOGGER;
}

/* Where a request about this resource goes. */
static kc_target resource_target(int8_t type, const char *name)
{
    if (!is_broker_type(type) || !name || !*name)
        return kc_target_any();
    char *end = NULL;
    long id = strtol(name, &end, 10);
    if (*end || id < 0 || id > INT32_MAX)
        return kc_target_any();
    return kc_target_node((int32_t)id);
}

/* ---- DescribeConfigs ----------------------------------------------------------------------- */

typedef struct describe_ctx {
    st_arena *arena;
    kc_config_resource *out;
} describe_ctx;

static int compare_entries(const void *a, const void *b)
{
    const kc_config_entry *x = a, *y = b;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static void copy_synonyms(st_arena *arena, const kp_describe_configs_response_describe_configs_resource_result *in,
                          kc_config_entry *out)
{
    size_t n = in->synonyms_count > 0 ? (size_t)in->synonyms_count : 0;
    kc_config_synonym *s = st_arena_calloc(arena, n + 1, sizeof(*s));
    if (!s)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].name = adm_str(arena, in->synonyms[i].name);
        s[i].value = adm_str(arena, in->synonyms[i].value);
        s[i].source = in->synonyms[i].source;
    }
    out->synonyms = s;
    out->synonym_count = n;
}

static void copy_entry(st_arena *arena, int16_t version,
                       const kp_describe_configs_response_describe_configs_resource_result *in,
                       kc_config_entry *out)
{
    out->name = adm_str(arena, in->name);
    out->value = adm_str(arena, in->value);
    out->read_only = in->read_only;
    out->is_sensitive = in->is_sensitive;
    if (version == 0) {
        out->is_default = in->is_default;
        out->source = in->is_default ? KC_CONFIG_SOURCE_DEFAULT : KC_CONFIG_SOURCE_UNKNOWN;
    } else {
        out->source = in->config_source;
        out->is_default = in->config_source == KC_CONFIG_SOURCE_DEFAULT;
    }
    copy_synonyms(arena, in, out);
}

static void on_describe_configs(void *opaque, size_t index, const kc_response *resp)
{
    describe_ctx *x = opaque;
    kc_config_resource *out = &x->out[index];
    const kp_describe_configs_response *r = resp->err ? NULL : resp->body;
    if (adm_no_item(x->arena, resp, r ? r->results_count : 0,
                    "DescribeConfigs answered no resource", &out->err, &out->message))
        return;
    const kp_describe_configs_response_describe_configs_result *res = &r->results[0];
    out->err = res->error_code;
    out->message = adm_err_text(x->arena, res->error_code, res->error_message);
    size_t n = res->configs_count > 0 ? (size_t)res->configs_count : 0;
    kc_config_entry *e = st_arena_calloc(x->arena, n + 1, sizeof(*e));
    if (!e)
        n = 0;
    for (size_t i = 0; i < n; i++)
        copy_entry(x->arena, resp->api_version, &res->configs[i], &e[i]);
    qsort(e, n, sizeof(*e), compare_entries);
    out->entries = e;
    out->entry_count = n;
}

static void send_describe(adm_op *op, describe_ctx *x, const kc_resource *res, size_t index,
                          bool include_synonyms)
{
    kp_describe_configs_request req;
    kp_describe_configs_request_describe_configs_resource r;
    kp_init(&kp_describe_configs_request_desc, &req);
    kp_init(&kp_describe_configs_request_describe_configs_resource_desc, &r);
    r.resource_type = res->type;
    r.resource_name = st_slice_cstr(res->name ? res->name : "");
    r.configuration_keys = NULL;
    r.configuration_keys_count = -1; /* all */
    req.resources = &r;
    req.resources_count = 1;
    req.include_synonyms = include_synonyms;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.retry_after_send = true;
    adm_send(op, resource_target(res->type, res->name), KC_API_DESCRIBE_CONFIGS, &req, &opts,
             on_describe_configs, x, index);
}

kc_err kc_admin_describe_configs(kc_client *client, const kc_resource *resources, size_t n,
                                 bool include_synonyms, int timeout_ms, st_arena *arena,
                                 kc_config_resource **out)
{
    *out = NULL;
    adm_op op;
    kc_err err;
    kc_config_resource *res =
        adm_begin_items(&op, client, timeout_ms, arena, n, sizeof(*res), &err);
    if (!res)
        return err;
    describe_ctx x = {arena, res};
    for (size_t i = 0; i < n; i++) {
        res[i].type = resources[i].type;
        res[i].name = adm_strdup(arena, resources[i].name ? resources[i].name : "");
        send_describe(&op, &x, &resources[i], i, include_synonyms);
    }
    adm_wait(&op);
    adm_end(&op);
    *out = res;
    for (size_t i = 0; i < n; i++)
        if (res[i].err)
            return kc_fail(client, res[i].err, "%s '%s': %s",
                           is_broker_type(res[i].type) ? "broker" : "topic", res[i].name,
                           res[i].message);
    return KC_OK;
}

/* ---- IncrementalAlterConfigs and AlterConfigs --------------------------------------------------- */

typedef struct alter_ctx {
    st_arena *arena;
    kc_admin_result *results;
} alter_ctx;

static void record_alter(alter_ctx *x, size_t index, int16_t code, st_slice message)
{
    x->results[index].err = code;
    x->results[index].message = adm_err_text(x->arena, code, message);
}

static void on_incremental(void *opaque, size_t index, const kc_response *resp)
{
    alter_ctx *x = opaque;
    kc_admin_result *out = &x->results[index];
    const kp_incremental_alter_configs_response *r = resp->err ? NULL : resp->body;
    if (adm_no_item(x->arena, resp, r ? r->responses_count : 0,
                    "IncrementalAlterConfigs answered no resource", &out->err, &out->message))
        return;
    record_alter(x, index, r->responses[0].error_code, r->responses[0].error_message);
}

static void on_legacy(void *opaque, size_t index, const kc_response *resp)
{
    alter_ctx *x = opaque;
    kc_admin_result *out = &x->results[index];
    const kp_alter_configs_response *r = resp->err ? NULL : resp->body;
    if (adm_no_item(x->arena, resp, r ? r->responses_count : 0,
                    "AlterConfigs answered no resource", &out->err, &out->message))
        return;
    record_alter(x, index, r->responses[0].error_code, r->responses[0].error_message);
}

static void send_incremental(adm_op *op, alter_ctx *x, const kc_alter_resource *res,
                             size_t index, bool validate_only)
{
    kp_incremental_alter_configs_request req;
    kp_incremental_alter_configs_request_alter_configs_resource r;
    kp_init(&kp_incremental_alter_configs_request_desc, &req);
    kp_init(&kp_incremental_alter_configs_request_alter_configs_resource_desc, &r);
    r.resource_type = res->type;
    r.resource_name = st_slice_cstr(res->name ? res->name : "");
    r.configs = st_arena_calloc(&op->scratch, res->op_count + 1, sizeof(*r.configs));
    if (!r.configs) {
        x->results[index].err = KC_ERR_NOMEM;
        x->results[index].message = "out of memory";
        return;
    }
    for (size_t i = 0; i < res->op_count; i++) {
        r.configs[i].name = st_slice_cstr(res->ops[i].name);
        r.configs[i].config_operation = res->ops[i].op;
        r.configs[i].value = st_slice_cstr(res->ops[i].value);
    }
    r.configs_count = (int32_t)res->op_count;
    req.resources = &r;
    req.resources_count = 1;
    req.validate_only = validate_only;
    adm_send(op, resource_target(res->type, res->name), KC_API_INCREMENTAL_ALTER_CONFIGS, &req,
             NULL, on_incremental, x, index);
}

static void send_legacy(adm_op *op, alter_ctx *x, const kc_alter_resource *res, size_t index,
                        bool validate_only)
{
    kp_alter_configs_request req;
    kp_alter_configs_request_alter_configs_resource r;
    kp_init(&kp_alter_configs_request_desc, &req);
    kp_init(&kp_alter_configs_request_alter_configs_resource_desc, &r);
    r.resource_type = res->type;
    r.resource_name = st_slice_cstr(res->name ? res->name : "");
    r.configs = st_arena_calloc(&op->scratch, res->op_count + 1, sizeof(*r.configs));
    if (!r.configs) {
        x->results[index].err = KC_ERR_NOMEM;
        x->results[index].message = "out of memory";
        return;
    }
    for (size_t i = 0; i < res->op_count; i++) {
        if (res->ops[i].op != KC_CONFIG_OP_SET) {
            x->results[index].err = KC_ERR_INVALID_ARG;
            x->results[index].message = "the legacy AlterConfigs only sets values "
                                        "(it replaces the whole dynamic config)";
            return;
        }
        r.configs[i].name = st_slice_cstr(res->ops[i].name);
        r.configs[i].value = st_slice_cstr(res->ops[i].value);
    }
    r.configs_count = (int32_t)res->op_count;
    req.resources = &r;
    req.resources_count = 1;
    req.validate_only = validate_only;
    adm_send(op, resource_target(res->type, res->name), KC_API_ALTER_CONFIGS, &req, NULL,
             on_legacy, x, index);
}

static kc_err alter(kc_client *client, const kc_alter_resource *resources, size_t n,
                    bool validate_only, int timeout_ms, st_arena *arena,
                    kc_admin_result **results, bool incremental)
{
    *results = NULL;
    adm_op op;
    kc_err err;
    kc_admin_result *res =
        adm_begin_items(&op, client, timeout_ms, arena, n, sizeof(*res), &err);
    if (!res)
        return err;
    alter_ctx x = {arena, res};
    for (size_t i = 0; i < n; i++) {
        res[i].name = adm_strdup(arena, resources[i].name ? resources[i].name : "");
        res[i].message = "";
        if (incremental)
            send_incremental(&op, &x, &resources[i], i, validate_only);
        else
            send_legacy(&op, &x, &resources[i], i, validate_only);
    }
    adm_wait(&op);
    adm_end(&op);
    *results = res;
    return adm_first_error(client, res, n, "config resource");
}

kc_err kc_admin_incremental_alter_configs(kc_client *client, const kc_alter_resource *resources,
                                          size_t n, bool validate_only, int timeout_ms,
                                          st_arena *arena, kc_admin_result **results)
{
    return alter(client, resources, n, validate_only, timeout_ms, arena, results, true);
}

kc_err kc_admin_alter_configs(kc_client *client, const kc_alter_resource *resources, size_t n,
                              bool validate_only, int timeout_ms, st_arena *arena,
                              kc_admin_result **results)
{
    return alter(client, resources, n, validate_only, timeout_ms, arena, results, false);
}
