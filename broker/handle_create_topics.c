/* handle_create_topics.c — CreateTopics v0-7: each requested topic created
 * (or only checked, validate_only) with its partition count and replication
 * factor (-1: the broker defaults), or a manual assignment that may name
 * only this broker, and its configs validated as Kafka's controller does.
 * Answers per topic, in Kafka's order of checks: a name given twice
 * (INVALID_REQUEST), the name and its existence (INVALID_TOPIC_EXCEPTION,
 * TOPIC_ALREADY_EXISTS), the configs (INVALID_CONFIG), the layout
 * (INVALID_REQUEST, INVALID_REPLICA_ASSIGNMENT, INVALID_REPLICATION_FACTOR,
 * INVALID_PARTITIONS). v5+ report the created topic's partition count,
 * replication factor and every config as DescribeConfigs would; v7 its id.
 * Topic creation itself belongs to topic_admin.c. */
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/dup_keys.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

typedef kp_create_topics_request_creatable_topic topic_in;
typedef kp_create_topics_response_creatable_topic_result topic_out;

enum { MSG_MAX = 512 };

/* ---- configs ------------------------------------------------------------- */

/* The request's configs as SETs, as Kafka's controller reads them (into a
 * map): a name given twice keeps its last value, a null value sets nothing. */
static int16_t collect_configs(request *rq, const topic_in *in, config_alteration *out,
                               size_t *n, char *msg, size_t len)
{
    strmap seen;
    strmap_init(&seen);
    int16_t code = KAFKA_NONE;
    *n = 0;
    for (int32_t i = 0; !code && i < in->configs_count; i++) {
        const kp_create_topics_request_creatable_topic_config *c = &in->configs[i];
        bool bad = false;
        const char *name = request_cstr(rq, c->name, &bad);
        const char *value = request_cstr(rq, c->value, &bad);
        if (bad) {
            snprintf(msg, len, "Invalid config %.*s: names and values may not contain NUL",
                     c->name.len > 0 ? (int)c->name.len : 0, (const char *)c->name.ptr);
            code = KAFKA_INVALID_CONFIG;
        } else if (!name || (c->value.len >= 0 && !value)) {
            code = KAFKA_UNKNOWN_SERVER_ERROR;
        } else {
            size_t at = (size_t)(uintptr_t)strmap_get(&seen, c->name);
            if (!at && strmap_put(&seen, c->name, (void *)(uintptr_t)(*n + 1)) != ST_OK)
                code = KAFKA_UNKNOWN_SERVER_ERROR;
            if (!at)
                at = ++*n;
            out[at - 1] = (config_alteration){name, value, CONFIG_OP_SET};
        }
    }
    strmap_free(&seen);
    size_t kept = 0; /* a name whose last value is null is not set */
    for (size_t i = 0; i < *n; i++)
        if (out[i].value)
            out[kept++] = out[i];
    *n = kept;
    return code;
}

/* The validated overrides (caller frees) or an error. */
static int16_t build_configs(request *rq, const topic_in *in, config_values *overrides,
                             char *msg, size_t len)
{
    size_t n = 0;
    config_alteration *entries =
        st_arena_calloc(&rq->arena, (size_t)(in->configs_count > 0 ? in->configs_count : 0) + 1,
                        sizeof(*entries));
    if (!entries)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    int16_t code = collect_configs(rq, in, entries, &n, msg, len);
    if (code)
        return code;
    return topic_config_create(&rq->b->cfg, entries, n, overrides, msg, len);
}

/* ---- layout: partitions and replicas -------------------------------------- */

/* Each assignment in order: a partition given twice, then its replicas;
 * then the partitions must be 0..n-1. */
static int16_t check_assignments(request *rq, const topic_in *in, char *msg, size_t len)
{
    int32_t n = in->assignments_count;
    bool *seen = st_arena_calloc(&rq->arena, (size_t)n, sizeof(bool));
    if (!seen)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    bool consecutive = true;
    for (int32_t i = 0; i < n; i++) {
        const kp_create_topics_request_creatable_replica_assignment *a = &in->assignments[i];
        int32_t index = a->partition_index;
        bool in_range = index >= 0 && index < n;
        if (in_range && seen[index]) {
            snprintf(msg, len, "Found multiple manual partition assignments for partition %d",
                     index);
            return KAFKA_INVALID_REPLICA_ASSIGNMENT;
        }
        int16_t code = topic_admin_check_replicas(rq->b, a->broker_ids, a->broker_ids_count,
                                                  msg, len);
        if (code)
            return code;
        if (in_range)
            seen[index] = true;
        consecutive = consecutive && in_range;
    }
    if (consecutive)
        return KAFKA_NONE;
    snprintf(msg, len, "partitions should be a consecutive 0-based integer sequence");
    return KAFKA_INVALID_REPLICA_ASSIGNMENT;
}

static int16_t check_manual(request *rq, const topic_in *in, int32_t *partitions, char *msg,
                            size_t len)
{
    if (in->replication_factor != -1) {
        snprintf(msg, len, "A manual partition assignment was specified, but replication "
                 "factor was not set to -1.");
        return KAFKA_INVALID_REQUEST;
    }
    if (in->num_partitions != -1) {
        snprintf(msg, len, "A manual partition assignment was specified, but numPartitions "
                 "was not set to -1.");
        return KAFKA_INVALID_REQUEST;
    }
    *partitions = in->assignments_count;
    return check_assignments(rq, in, msg, len);
}

/* The partition count and replication factor to create with (-1 for the
 * broker defaults, which topic_admin applies and checks). */
static int16_t check_layout(request *rq, const topic_in *in, int32_t *partitions, int16_t *rf,
                            char *msg, size_t len)
{
    if (in->assignments_count > 0) {
        *rf = 1;
        return check_manual(rq, in, partitions, msg, len);
    }
    if (in->replication_factor < -1 || in->replication_factor == 0) {
        snprintf(msg, len, "Replication factor must be larger than 0, or -1 to use the "
                 "default value.");
        return KAFKA_INVALID_REPLICATION_FACTOR;
    }
    if (in->num_partitions < -1 || in->num_partitions == 0) {
        snprintf(msg, len, "Number of partitions was set to an invalid non-positive value.");
        return KAFKA_INVALID_PARTITIONS;
    }
    *partitions = in->num_partitions;
    *rf = in->replication_factor;
    return KAFKA_NONE;
}

/* ---- the answer ----------------------------------------------------------- */

static bool fill_configs(request *rq, const config_values *overrides, topic_out *out)
{
    config_desc_list l;
    config_desc_list_init(&l);
    bool ok = topic_config_describe(overrides, &rq->b->cfg, &l) == ST_OK;
    out->configs = ok ? st_arena_calloc(&rq->arena, l.count + 1, sizeof(*out->configs)) : NULL;
    ok = ok && out->configs;
    for (size_t i = 0; ok && i < l.count; i++) {
        const config_desc *d = &l.entries[i];
        kp_create_topics_response_creatable_topic_configs *c = &out->configs[i];
        kp_init(&kp_create_topics_response_creatable_topic_configs_desc, c);
        c->name = request_text(rq, d->name);
        c->value = d->is_sensitive ? ST_SLICE_NULL : request_text(rq, d->value);
        c->read_only = d->read_only;
        c->config_source = (int8_t)d->source;
        c->is_sensitive = d->is_sensitive;
        ok = c->name.len >= 0;
    }
    out->configs_count = ok ? (int32_t)l.count : 0;
    config_desc_list_free(&l);
    return ok;
}

static int16_t create_checked(request *rq, const topic_in *in, const config_values *overrides,
                              topic_out *out, char *msg, size_t len)
{
    const kp_create_topics_request *req = rq->req.body;
    int32_t partitions;
    int16_t rf;
    int16_t code = check_layout(rq, in, &partitions, &rf, msg, len);
    if (code)
        return code;
    topic_spec spec = {in->name, partitions, rf, overrides, req->validate_only};
    topic *t = NULL;
    code = topic_admin_create(rq->b, &spec, &t, msg, len);
    if (code)
        return code;
    out->num_partitions = t ? t->partition_count
                            : (partitions == -1 ? rq->b->cfg.num_partitions : partitions);
    out->replication_factor = 1;
    if (t)
        out->topic_id = t->id;
    if (!fill_configs(rq, overrides, out))
        return KAFKA_UNKNOWN_SERVER_ERROR;
    out->error_message = ST_SLICE_NULL;
    return KAFKA_NONE;
}

static int16_t create_one(request *rq, const topic_in *in, topic_out *out, char *msg, size_t len)
{
    /* Name, existence and collisions first: a dry run with a valid layout. */
    topic_spec probe = {in->name, 1, 1, NULL, true};
    int16_t code = topic_admin_create(rq->b, &probe, NULL, msg, len);
    if (code)
        return code;
    config_values overrides;
    code = build_configs(rq, in, &overrides, msg, len);
    if (code)
        return code;
    code = create_checked(rq, in, &overrides, out, msg, len);
    config_values_free(&overrides);
    return code;
}

static void answer_topic(request *rq, const topic_in *in, bool duplicate, topic_out *out)
{
    char msg[MSG_MAX] = "";
    kp_init(&kp_create_topics_response_creatable_topic_result_desc, out);
    out->name = in->name;
    if (duplicate) {
        out->error_code = KAFKA_INVALID_REQUEST;
        snprintf(msg, sizeof(msg), "Duplicate topic name.");
    } else {
        out->error_code = create_one(rq, in, out, msg, sizeof(msg));
    }
    if (out->error_code) {
        out->error_message = request_text(rq, msg[0] ? msg : NULL);
        out->num_partitions = -1;
        out->replication_factor = -1;
        out->configs_count = 0;
        memset(&out->topic_id, 0, sizeof(out->topic_id));
    }
}

/* Counts every name: a name given more than once gets one INVALID_REQUEST
 * answer and is not created. */
static bool count_names(const kp_create_topics_request *req, dup_keys *names)
{
    for (int32_t i = 0; i < req->topics_count; i++)
        if (!dup_keys_note(names, req->topics[i].name))
            return false;
    return true;
}

static bool answer_all(request *rq, kp_create_topics_response *resp, dup_keys *names)
{
    const kp_create_topics_request *req = rq->req.body;
    int32_t n = 0;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const topic_in *in = &req->topics[i];
        dup_kind dup;
        if (!dup_keys_check(names, in->name, true, &dup))
            return false;
        if (dup != DUP_ANSWERED)
            answer_topic(rq, in, dup == DUP_ANSWER, &resp->topics[n++]);
    }
    resp->topics_count = n;
    return true;
}

void handle_create_topics(request *rq)
{
    const kp_create_topics_request *req = rq->req.body;
    kp_create_topics_response *resp = request_new_response_body(rq);
    int32_t count = req->topics_count > 0 ? req->topics_count : 0;
    dup_keys names;
    dup_keys_init(&names);
    bool ok = resp && (resp->topics = st_arena_calloc(&rq->arena, (size_t)count + 1,
                                                      sizeof(*resp->topics)));
    ok = ok && count_names(req, &names) && answer_all(rq, resp, &names);
    dup_keys_free(&names);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}
