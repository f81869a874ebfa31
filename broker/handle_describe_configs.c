/* handle_describe_configs.c — DescribeConfigs v0-4, as Kafka's ConfigHelper
 * answers: a topic (type 2) with every topic setting, its effective value
 * and source (topic_config.c); this broker (type 4, named by its node id)
 * with every broker setting, and the cluster-wide dynamic defaults (type 4,
 * empty name: none, since dynamic broker configs are not stored yet); the
 * broker's loggers (type 8). configuration_keys filters (null or empty:
 * all); synonyms only when asked (v1+), documentation only when asked (v3+);
 * sensitive values are null. Errors per resource: INVALID_TOPIC_EXCEPTION,
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST (another broker id, a bad
 * resource type), with Kafka's messages. */
#include <stdio.h>
#include <stdlib.h>

#include "broker/broker.h"
#include "broker/config_resource.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

typedef kp_describe_configs_request_describe_configs_resource resource_in;
typedef kp_describe_configs_response_describe_configs_result resource_out;
typedef kp_describe_configs_response_describe_configs_resource_result entry_out;

enum { MSG_MAX = 512 };
/* Past this many keys the filter is a hash set rather than a scan. */
enum { KEY_SCAN_MAX = 16 };

/* ---- the filter ------------------------------------------------------------ */

typedef struct key_filter {
    const resource_in *in;
    strmap set; /* used past KEY_SCAN_MAX keys */
    bool hashed;
} key_filter;

static bool filter_init(key_filter *f, const resource_in *in)
{
    f->in = in;
    strmap_init(&f->set);
    f->hashed = in->configuration_keys_count > KEY_SCAN_MAX;
    for (int32_t i = 0; f->hashed && i < in->configuration_keys_count; i++)
        if (strmap_put(&f->set, in->configuration_keys[i], (void *)1) != ST_OK)
            return false;
    return true;
}

static bool filter_wants(const key_filter *f, const char *name)
{
    if (f->in->configuration_keys_count <= 0)
        return true;
    if (f->hashed)
        return strmap_get_cstr(&f->set, name) != NULL;
    for (int32_t i = 0; i < f->in->configuration_keys_count; i++)
        if (st_slice_eq_cstr(f->in->configuration_keys[i], name))
            return true;
    return false;
}

/* ---- entries ----------------------------------------------------------------- */

static bool fill_synonyms(request *rq, const config_desc *d, entry_out *out)
{
    const kp_describe_configs_request *req = rq->req.body;
    out->synonyms_count = 0;
    if (!req->include_synonyms || d->n_synonyms == 0)
        return true;
    out->synonyms = st_arena_calloc(&rq->arena, d->n_synonyms, sizeof(*out->synonyms));
    if (!out->synonyms)
        return false;
    for (size_t i = 0; i < d->n_synonyms; i++) {
        kp_describe_configs_response_describe_configs_synonym *s = &out->synonyms[i];
        kp_init(&kp_describe_configs_response_describe_configs_synonym_desc, s);
        s->name = request_text(rq, d->synonyms[i].name);
        s->value = request_text(rq, d->synonyms[i].value);
        s->source = (int8_t)d->synonyms[i].source;
        if (s->name.len < 0)
            return false;
    }
    out->synonyms_count = (int32_t)d->n_synonyms;
    return true;
}

static bool fill_entry(request *rq, const config_desc *d, entry_out *out)
{
    const kp_describe_configs_request *req = rq->req.body;
    kp_init(&kp_describe_configs_response_describe_configs_resource_result_desc, out);
    out->name = request_text(rq, d->name);
    out->value = d->is_sensitive ? ST_SLICE_NULL : request_text(rq, d->value);
    out->read_only = d->read_only;
    out->is_default = d->source == CONFIG_SOURCE_DEFAULT;
    out->config_source = (int8_t)d->source;
    out->is_sensitive = d->is_sensitive;
    out->config_type = (int8_t)d->type;
    out->documentation = req->include_documentation ? request_text(rq, d->documentation)
                                                    : ST_SLICE_NULL;
    return out->name.len >= 0 && fill_synonyms(rq, d, out);
}

/* The described entries the filter lets through, into out->configs. */
static bool fill_entries(request *rq, const resource_in *in, const config_desc_list *l,
                         resource_out *out)
{
    key_filter f;
    bool ok = filter_init(&f, in);
    out->configs = ok ? st_arena_calloc(&rq->arena, l->count + 1, sizeof(*out->configs)) : NULL;
    ok = ok && out->configs;
    int32_t n = 0;
    for (size_t i = 0; ok && i < l->count; i++)
        if (filter_wants(&f, l->entries[i].name))
            ok = fill_entry(rq, &l->entries[i], &out->configs[n++]);
    out->configs_count = n;
    strmap_free(&f.set);
    return ok;
}

/* ---- resources --------------------------------------------------------------- */

/* The name must be this broker's node id; or_empty: the message says that
 * an empty name (cluster defaults) would do too. */
static int16_t check_node_name(request *rq, st_slice name, bool or_empty, char *msg, size_t len)
{
    int32_t id;
    int shown = config_resource_shown_len(name);
    if (!config_resource_node_id(name, &id)) {
        snprintf(msg, len, "Broker id must be an integer, but it is: %.*s", shown,
                 (const char *)name.ptr);
        return KAFKA_INVALID_REQUEST;
    }
    if (id != rq->b->identity.node_id) {
        snprintf(msg, len, "Unexpected broker id, expected %d%s but received %.*s",
                 rq->b->identity.node_id, or_empty ? " or empty string," : "", shown,
                 (const char *)name.ptr);
        return KAFKA_INVALID_REQUEST;
    }
    return KAFKA_NONE;
}

static int16_t describe_topic(request *rq, st_slice name, config_desc_list *l, char *msg,
                              size_t len)
{
    const char *why;
    if (!topic_name_valid(name, &why)) {
        snprintf(msg, len, "%s", why);
        return KAFKA_INVALID_TOPIC_EXCEPTION;
    }
    topic *t = topic_registry_find(&rq->b->topics, name);
    if (!t)
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    return topic_config_describe(&t->overrides, &rq->b->cfg, l) == ST_OK
               ? KAFKA_NONE
               : KAFKA_UNKNOWN_SERVER_ERROR;
}

static int16_t describe_broker(request *rq, st_slice name, config_desc_list *l, char *msg,
                               size_t len)
{
    if (name.len <= 0)
        return KAFKA_NONE; /* cluster-wide dynamic defaults: none are stored */
    int16_t code = check_node_name(rq, name, true, msg, len);
    if (code)
        return code;
    return broker_config_describe(&rq->b->cfg, l) == ST_OK ? KAFKA_NONE
                                                            : KAFKA_UNKNOWN_SERVER_ERROR;
}

/* Kafka lists its log4j loggers; this broker has one logger, "root". */
static int16_t describe_loggers(request *rq, st_slice name, config_desc_list *l, char *msg,
                                size_t len)
{
    static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (name.len <= 0) {
        snprintf(msg, len, "Broker id must not be empty");
        return KAFKA_INVALID_REQUEST;
    }
    int16_t code = check_node_name(rq, name, false, msg, len);
    if (code)
        return code;
    config_desc *d = config_desc_list_add(l);
    if (!d)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    st_log_level level = rq->b->logger.level;
    d->name = "root";
    d->value = level <= ST_LOG_ERROR ? level_names[level] : "INFO";
    d->source = CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER;
    d->type = 0;
    return KAFKA_NONE;
}

static int16_t describe(request *rq, const resource_in *in, config_desc_list *l, char *msg,
                        size_t len)
{
    switch (in->resource_type) {
    case RESOURCE_TOPIC:
        return describe_topic(rq, in->resource_name, l, msg, len);
    case RESOURCE_BROKER:
        return describe_broker(rq, in->resource_name, l, msg, len);
    case RESOURCE_BROKER_LOGGER:
        return describe_loggers(rq, in->resource_name, l, msg, len);
    default:
        snprintf(msg, len, "Unsupported resource type: %s",
                 config_resource_type_name(in->resource_type));
        return KAFKA_INVALID_REQUEST;
    }
}

static bool answer_resource(request *rq, const resource_in *in, resource_out *out)
{
    char msg[MSG_MAX] = "";
    kp_init(&kp_describe_configs_response_describe_configs_result_desc, out);
    out->resource_type = in->resource_type;
    out->resource_name = in->resource_name;
    config_desc_list l;
    config_desc_list_init(&l);
    out->error_code = describe(rq, in, &l, msg, sizeof(msg));
    bool ok = true;
    if (out->error_code) {
        out->error_message = msg[0] ? request_text(rq, msg) : out->error_message;
        out->configs_count = 0;
    } else {
        out->error_message = ST_SLICE_NULL;
        ok = fill_entries(rq, in, &l, out);
    }
    config_desc_list_free(&l);
    return ok;
}

void handle_describe_configs(request *rq)
{
    const kp_describe_configs_request *req = rq->req.body;
    kp_describe_configs_response *resp = request_new_response_body(rq);
    int32_t n = req->resources_count > 0 ? req->resources_count : 0;
    bool ok = resp && (resp->results = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                       sizeof(*resp->results)));
    for (int32_t i = 0; ok && i < n; i++)
        ok = answer_resource(rq, &req->resources[i], &resp->results[i]);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->results_count = n;
    request_respond(rq, resp);
}
