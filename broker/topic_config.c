/* topic_config.c — the topic settings table, validation of changes,
 * effective values over the broker's defaults, description and the stored
 * text form (see topic_config.h). Names, defaults, validators and broker
 * synonyms follow Kafka's LogConfig and ServerTopicConfigSynonyms. */
#include "topic_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compression.h"
#include "common/kafka_error.h"

#define LONG_MAX_TEXT "9223372036854775807"
#define RW CONFIG_DYNAMIC_CLUSTER
#define SAME(name) CONFIG_SYNONYMS({name, 1})

static bool check_throttled(const config_def *def, const char *text, char *why, size_t n);
static bool check_gzip_level(const config_def *def, const char *text, char *why, size_t n);
static bool check_no_remote(const config_def *def, const char *text, char *why, size_t n);

/* Alphabetical, as Kafka describes them. */
const config_def topic_config_defs[] = {
    {"cleanup.policy", CONFIG_TYPE_LIST, "delete", CONFIG_ONE_OF("compact", "delete"), CONFIG_MEDIUM, RW,
     "delete old segments, compact to the last value per key, or both", SAME("log.cleanup.policy")},
    {"compression.gzip.level", CONFIG_TYPE_INT, "-1", CONFIG_CUSTOM(check_gzip_level), CONFIG_MEDIUM, RW,
     "gzip level when compression.type is gzip (-1: the codec default)", SAME("compression.gzip.level")},
    {"compression.lz4.level", CONFIG_TYPE_INT, "9", CONFIG_BETWEEN(1, 17), CONFIG_MEDIUM, RW,
     "lz4 level when compression.type is lz4", SAME("compression.lz4.level")},
    {"compression.type", CONFIG_TYPE_STRING, "producer",
     CONFIG_ONE_OF("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), CONFIG_MEDIUM, RW,
     "Codec of stored batches; producer keeps the producer's", SAME("compression.type")},
    {"compression.zstd.level", CONFIG_TYPE_INT, "3", CONFIG_BETWEEN(-131072, 22), CONFIG_MEDIUM, RW,
     "zstd level when compression.type is zstd", SAME("compression.zstd.level")},
    {"delete.retention.ms", CONFIG_TYPE_LONG, "86400000", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "How long tombstones stay in a compacted topic", SAME("log.cleaner.delete.retention.ms")},
    {"file.delete.delay.ms", CONFIG_TYPE_LONG, "60000", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "Wait before deleting a segment file", SAME("log.segment.delete.delay.ms")},
    {"flush.messages", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RW,
     "fsync after this many records", SAME("log.flush.interval.messages")},
    {"flush.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "fsync after this long",
     CONFIG_SYNONYMS({"log.flush.interval.ms", 1}, {"log.flush.scheduler.interval.ms", 1})},
    {"follower.replication.throttled.replicas", CONFIG_TYPE_LIST, "", CONFIG_CUSTOM(check_throttled),
     CONFIG_MEDIUM, RW, "partition:broker pairs (or *) whose follower fetches are throttled", NULL},
    {"index.interval.bytes", CONFIG_TYPE_INT, "4096", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "Bytes of log between offset index entries", SAME("log.index.interval.bytes")},
    {"leader.replication.throttled.replicas", CONFIG_TYPE_LIST, "", CONFIG_CUSTOM(check_throttled),
     CONFIG_MEDIUM, RW, "partition:broker pairs (or *) whose leader side is throttled", NULL},
    {"local.retention.bytes", CONFIG_TYPE_LONG, "-2", CONFIG_AT_LEAST(-2), CONFIG_MEDIUM, RW,
     "Tiered storage: local retention size (accepted; -2 means retention.bytes)",
     SAME("log.local.retention.bytes")},
    {"local.retention.ms", CONFIG_TYPE_LONG, "-2", CONFIG_AT_LEAST(-2), CONFIG_MEDIUM, RW,
     "Tiered storage: local retention time (accepted; -2 means retention.ms)",
     SAME("log.local.retention.ms")},
    {"max.compaction.lag.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RW,
     "Longest time a record stays uncompacted", SAME("log.cleaner.max.compaction.lag.ms")},
    {"max.message.bytes", CONFIG_TYPE_INT, "1048588", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "The largest record batch accepted", SAME("message.max.bytes")},
    {"message.downconversion.enable", CONFIG_TYPE_BOOLEAN, "true", {0}, CONFIG_LOW, RW,
     "Whether old fetch versions get down-converted records", SAME("log.message.downconversion.enable")},
    {"message.timestamp.after.max.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0), CONFIG_MEDIUM,
     RW, "How far in the future a CreateTime timestamp may be",
     SAME("log.message.timestamp.after.max.ms")},
    {"message.timestamp.before.max.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0), CONFIG_MEDIUM,
     RW, "How far in the past a CreateTime timestamp may be",
     SAME("log.message.timestamp.before.max.ms")},
    {"message.timestamp.difference.max.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0),
     CONFIG_MEDIUM, RW, "Deprecated: the largest timestamp difference accepted",
     SAME("log.message.timestamp.difference.max.ms")},
    {"message.timestamp.type", CONFIG_TYPE_STRING, "CreateTime", CONFIG_ONE_OF("CreateTime", "LogAppendTime"),
     CONFIG_MEDIUM, RW, "Record timestamps are the producer's or the broker's",
     SAME("log.message.timestamp.type")},
    {"min.cleanable.dirty.ratio", CONFIG_TYPE_DOUBLE, "0.5", CONFIG_BETWEEN(0, 1), CONFIG_MEDIUM, RW,
     "Dirty share of the log that makes it eligible for cleaning", SAME("log.cleaner.min.cleanable.ratio")},
    {"min.compaction.lag.ms", CONFIG_TYPE_LONG, "0", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "Shortest time a record stays uncompacted", SAME("log.cleaner.min.compaction.lag.ms")},
    {"min.insync.replicas", CONFIG_TYPE_INT, "1", CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RW,
     "In-sync replicas an acks=all write needs", SAME("min.insync.replicas")},
    {"preallocate", CONFIG_TYPE_BOOLEAN, "false", {0}, CONFIG_MEDIUM, RW,
     "Preallocate segment files when they are created", SAME("log.preallocate")},
    {"remote.storage.enable", CONFIG_TYPE_BOOLEAN, "false", CONFIG_CUSTOM(check_no_remote), CONFIG_MEDIUM, RW,
     "Tiered storage for this topic (not supported: only false is accepted)", NULL},
    {"retention.bytes", CONFIG_TYPE_LONG, "-1", {0}, CONFIG_MEDIUM, RW,
     "Largest size of a partition before old segments go; -1 unlimited", SAME("log.retention.bytes")},
    {"retention.ms", CONFIG_TYPE_LONG, "604800000", CONFIG_AT_LEAST(-1), CONFIG_MEDIUM, RW,
     "How long segments are kept; -1 forever",
     CONFIG_SYNONYMS({"log.retention.ms", 1}, {"log.retention.minutes", 60000},
                     {"log.retention.hours", 3600000})},
    {"segment.bytes", CONFIG_TYPE_INT, "1073741824", CONFIG_AT_LEAST(14), CONFIG_MEDIUM, RW,
     "The largest size of one segment file", SAME("log.segment.bytes")},
    {"segment.index.bytes", CONFIG_TYPE_INT, "10485760", CONFIG_AT_LEAST(4), CONFIG_MEDIUM, RW,
     "The largest offset index of one segment", SAME("log.index.size.max.bytes")},
    {"segment.jitter.ms", CONFIG_TYPE_LONG, "0", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "Most random time taken off segment.ms",
     CONFIG_SYNONYMS({"log.roll.jitter.ms", 1}, {"log.roll.jitter.hours", 3600000})},
    {"segment.ms", CONFIG_TYPE_LONG, "604800000", CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RW,
     "Roll a new segment after this long",
     CONFIG_SYNONYMS({"log.roll.ms", 1}, {"log.roll.hours", 3600000})},
    {"unclean.leader.election.enable", CONFIG_TYPE_BOOLEAN, "false", {0}, CONFIG_MEDIUM, RW,
     "Allow an out-of-sync replica to become leader, losing data", SAME("unclean.leader.election.enable")},
};

const size_t topic_config_def_count = sizeof(topic_config_defs) / sizeof(topic_config_defs[0]);

/* ---- Custom validators ---- */

/* "*" alone, or partition:broker pairs of non-negative integers. */
static bool check_throttled(const config_def *def, const char *text, char *why, size_t n)
{
    (void)def;
    if (text[0] == '\0' || strcmp(text, "*") == 0)
        return true;
    for (const char *p = text;;) {
        char *end;
        errno = 0;
        bool ok = isdigit((unsigned char)p[0]);
        if (ok) {
            strtol(p, &end, 10);
            ok = errno == 0 && *end == ':' && isdigit((unsigned char)end[1]);
        }
        if (ok) {
            strtol(end + 1, &end, 10);
            ok = errno == 0 && (*end == ',' || *end == '\0');
        }
        if (!ok) {
            snprintf(why, n, "must be * or a list of partition:broker pairs, got '%.100s'", text);
            return false;
        }
        if (*end == '\0')
            return true;
        p = end + 1;
    }
}

static bool check_gzip_level(const config_def *def, const char *text, char *why, size_t n)
{
    (void)def;
    long v = strtol(text, NULL, 10);
    if (v == -1 || (v >= 1 && v <= 9))
        return true;
    snprintf(why, n, "must be -1 or between 1 and 9, got %ld", v);
    return false;
}

static bool check_no_remote(const config_def *def, const char *text, char *why, size_t n)
{
    (void)def;
    if (strcmp(text, "false") == 0)
        return true;
    snprintf(why, n, "tiered storage is not supported");
    return false;
}

/* ---- Effective values ---- */

st_err topic_config_init(config_values *overrides)
{
    return config_values_init(overrides, topic_config_defs, topic_config_def_count);
}

const char *topic_config_effective(const config_values *overrides, const broker_config *broker,
                                   size_t index, config_source *source, char *buf)
{
    if (overrides && config_values_is_set(overrides, index)) {
        *source = overrides->settings[index].source;
        return overrides->settings[index].value;
    }
    const char *text;
    if (broker && config_values_resolve(&broker->values, topic_config_defs[index].synonyms,
                                        &text, source, buf))
        return text;
    *source = CONFIG_SOURCE_DEFAULT;
    return topic_config_defs[index].default_value;
}

/* The effective value of a named setting, typed. */
static st_err effective_value(const config_values *overrides, const broker_config *broker,
                              const char *name, config_value *out, char *buf)
{
    size_t i;
    const config_def *def = config_def_find(topic_config_defs, topic_config_def_count, name, &i);
    if (def == NULL)
        return ST_ERR_MALFORMED;
    config_source source;
    const char *text = topic_config_effective(overrides, broker, i, &source, buf);
    return config_parse(def, text, out, NULL, 0);
}

/* kind: BIND_BOOL, BIND_I32, ... (config_bind_kind without CONFIG_). */
#define BIND(name, field, kind) {name, offsetof(topic_config, field), CONFIG_##kind}

static const config_binding bindings[] = {
    BIND("delete.retention.ms", delete_retention_ms, BIND_I64),
    BIND("file.delete.delay.ms", file_delete_delay_ms, BIND_I64),
    BIND("flush.messages", flush_messages, BIND_I64),
    BIND("flush.ms", flush_ms, BIND_I64),
    BIND("index.interval.bytes", index_interval_bytes, BIND_I32),
    BIND("local.retention.bytes", local_retention_bytes, BIND_I64),
    BIND("local.retention.ms", local_retention_ms, BIND_I64),
    BIND("max.compaction.lag.ms", max_compaction_lag_ms, BIND_I64),
    BIND("max.message.bytes", max_message_bytes, BIND_I32),
    BIND("message.downconversion.enable", message_downconversion_enable, BIND_BOOL),
    BIND("message.timestamp.after.max.ms", message_timestamp_after_max_ms, BIND_I64),
    BIND("message.timestamp.before.max.ms", message_timestamp_before_max_ms, BIND_I64),
    BIND("message.timestamp.difference.max.ms", message_timestamp_difference_max_ms, BIND_I64),
    BIND("min.cleanable.dirty.ratio", min_cleanable_dirty_ratio, BIND_DOUBLE),
    BIND("min.compaction.lag.ms", min_compaction_lag_ms, BIND_I64),
    BIND("min.insync.replicas", min_insync_replicas, BIND_I32),
    BIND("preallocate", preallocate, BIND_BOOL),
    BIND("retention.bytes", retention_bytes, BIND_I64),
    BIND("retention.ms", retention_ms, BIND_I64),
    BIND("segment.bytes", segment_bytes, BIND_I32),
    BIND("segment.index.bytes", segment_index_bytes, BIND_I32),
    BIND("segment.jitter.ms", segment_jitter_ms, BIND_I64),
    BIND("segment.ms", segment_ms, BIND_I64),
    BIND("unclean.leader.election.enable", unclean_leader_election_enable, BIND_BOOL),
};

static int codec_of(const char *name)
{
    if (strcmp(name, "gzip") == 0) return ST_CODEC_GZIP;
    if (strcmp(name, "snappy") == 0) return ST_CODEC_SNAPPY;
    if (strcmp(name, "lz4") == 0) return ST_CODEC_LZ4;
    if (strcmp(name, "zstd") == 0) return ST_CODEC_ZSTD;
    if (strcmp(name, "uncompressed") == 0) return ST_CODEC_NONE;
    return BROKER_COMPRESSION_PRODUCER;
}

/* The level setting of a codec, or NULL when it has none. */
static const char *level_setting(int codec)
{
    switch (codec) {
    case ST_CODEC_GZIP: return "compression.gzip.level";
    case ST_CODEC_LZ4: return "compression.lz4.level";
    case ST_CODEC_ZSTD: return "compression.zstd.level";
    default: return NULL;
    }
}

static st_err resolve_special(const config_values *ov, const broker_config *broker,
                              topic_config *out)
{
    char buf[CONFIG_NUM_MAX];
    config_value v;
    st_err e;
    if ((e = effective_value(ov, broker, "cleanup.policy", &v, buf)) != ST_OK)
        return e;
    out->cleanup_delete = config_list_contains(v.s, "delete");
    out->cleanup_compact = config_list_contains(v.s, "compact");
    if ((e = effective_value(ov, broker, "message.timestamp.type", &v, buf)) != ST_OK)
        return e;
    out->message_timestamp_type = strcmp(v.s, "LogAppendTime") == 0
                                      ? BROKER_TIMESTAMP_LOG_APPEND_TIME
                                      : BROKER_TIMESTAMP_CREATE_TIME;
    if ((e = effective_value(ov, broker, "compression.type", &v, buf)) != ST_OK)
        return e;
    out->compression = codec_of(v.s);
    out->compression_level = ST_COMPRESS_LEVEL_DEFAULT;
    const char *level = level_setting(out->compression);
    if (level != NULL) {
        if ((e = effective_value(ov, broker, level, &v, buf)) != ST_OK)
            return e;
        if (!(out->compression == ST_CODEC_GZIP && v.i == -1))
            out->compression_level = (int)v.i;
    }
    if (out->local_retention_ms == -2)
        out->local_retention_ms = out->retention_ms;
    if (out->local_retention_bytes == -2)
        out->local_retention_bytes = out->retention_bytes;
    return ST_OK;
}

st_err topic_config_resolve(const config_values *overrides, const broker_config *broker,
                            topic_config *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
        char buf[CONFIG_NUM_MAX];
        config_value v;
        st_err e = effective_value(overrides, broker, bindings[i].name, &v, buf);
        if (e != ST_OK)
            return e;
        config_binding_store(&bindings[i], out, &v);
    }
    return resolve_special(overrides, broker, out);
}

/* ---- Changes ---- */

/* Settings that must agree with each other (Kafka's LogConfig.validateValues). */
static int16_t check_consistency(const config_values *ov, const broker_config *broker,
                                 char *err, size_t errlen)
{
    char b1[CONFIG_NUM_MAX], b2[CONFIG_NUM_MAX];
    config_value min, max;
    if (effective_value(ov, broker, "min.compaction.lag.ms", &min, b1) != ST_OK ||
        effective_value(ov, broker, "max.compaction.lag.ms", &max, b2) != ST_OK)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG, "internal: compaction lag settings");
    if (min.i > max.i)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG,
                           "min.compaction.lag.ms (%lld) is above max.compaction.lag.ms (%lld)",
                           (long long)min.i, (long long)max.i);
    return KAFKA_NONE;
}

/* SET of one validated value; unknown names and bad values are INVALID_CONFIG. */
static int16_t set_one(config_values *ov, const char *name, const char *value, char *err,
                       size_t errlen)
{
    if (value == NULL)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG, "%s: a value is required", name);
    if (config_values_index(ov, name) < 0)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG,
                           "Unknown topic config name: %s", name);
    st_err e = config_values_set(ov, name, value, CONFIG_SOURCE_DYNAMIC_TOPIC, err, errlen);
    if (e == ST_ERR_NOMEM)
        return config_fail(err, errlen, KAFKA_UNKNOWN_SERVER_ERROR, "%s: out of memory", name);
    return e == ST_OK ? KAFKA_NONE : KAFKA_INVALID_CONFIG;
}

/* APPEND / SUBTRACT on the effective value of a list setting. */
static int16_t edit_list(config_values *ov, const broker_config *broker,
                         const config_alteration *op, char *err, size_t errlen)
{
    long i = config_values_index(ov, op->name);
    if (i < 0)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG,
                           "Unknown topic config name: %s", op->name);
    if (topic_config_defs[i].type != CONFIG_TYPE_LIST)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG,
                           "Can't %s to key %s because its type is not LIST.",
                           op->op == CONFIG_OP_APPEND ? "APPEND" : "SUBTRACT", op->name);
    if (op->value == NULL)
        return config_fail(err, errlen, KAFKA_INVALID_CONFIG, "%s: a value is required", op->name);
    char buf[CONFIG_NUM_MAX];
    config_source source;
    const char *current = topic_config_effective(ov, broker, (size_t)i, &source, buf);
    char *edited = op->op == CONFIG_OP_APPEND ? config_list_append(current, op->value)
                                              : config_list_subtract(current, op->value);
    if (edited == NULL)
        return config_fail(err, errlen, KAFKA_UNKNOWN_SERVER_ERROR, "%s: out of memory", op->name);
    int16_t code = set_one(ov, op->name, edited, err, errlen);
    free(edited);
    return code;
}

static int16_t apply_op(config_values *ov, const broker_config *broker,
                        const config_alteration *op, char *err, size_t errlen)
{
    if (op->name == NULL)
        return config_fail(err, errlen, KAFKA_INVALID_REQUEST, "a config name is required");
    switch (op->op) {
    case CONFIG_OP_SET:
        return set_one(ov, op->name, op->value, err, errlen);
    case CONFIG_OP_DELETE: {
        long i = config_values_index(ov, op->name);
        if (i < 0)
            return config_fail(err, errlen, KAFKA_INVALID_CONFIG,
                               "Unknown topic config name: %s", op->name);
        config_values_unset(ov, (size_t)i);
        return KAFKA_NONE;
    }
    case CONFIG_OP_APPEND:
    case CONFIG_OP_SUBTRACT:
        return edit_list(ov, broker, op, err, errlen);
    }
    return config_fail(err, errlen, KAFKA_INVALID_REQUEST,
                       "%s: unknown operation %d", op->name, (int)op->op);
}

static int16_t check_duplicates(const config_alteration *ops, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (ops[i].name && ops[j].name && strcmp(ops[i].name, ops[j].name) == 0)
                return config_fail(err, errlen, KAFKA_INVALID_REQUEST,
                                   "Error due to duplicate config keys: %s", ops[i].name);
    return KAFKA_NONE;
}

/* Applies ops to *result (already a copy); frees it on failure. */
static int16_t apply_all(config_values *result, const broker_config *broker,
                         const config_alteration *ops, size_t n, bool all_set, char *err,
                         size_t errlen)
{
    int16_t code = check_duplicates(ops, n, err, errlen);
    for (size_t i = 0; code == KAFKA_NONE && i < n; i++) {
        config_alteration op = ops[i];
        if (all_set)
            op.op = CONFIG_OP_SET;
        code = apply_op(result, broker, &op, err, errlen);
    }
    if (code == KAFKA_NONE)
        code = check_consistency(result, broker, err, errlen);
    if (code != KAFKA_NONE)
        config_values_free(result);
    return code;
}

int16_t topic_config_create(const broker_config *broker, const config_alteration *entries,
                            size_t n, config_values *result, char *err, size_t errlen)
{
    if (topic_config_init(result) != ST_OK)
        return config_fail(err, errlen, KAFKA_UNKNOWN_SERVER_ERROR, "out of memory");
    return apply_all(result, broker, entries, n, true, err, errlen);
}

int16_t topic_config_alter(const config_values *current, const broker_config *broker,
                           const config_alteration *ops, size_t n, config_values *result,
                           char *err, size_t errlen)
{
    st_err e = current ? config_values_copy(result, current) : topic_config_init(result);
    if (e != ST_OK)
        return config_fail(err, errlen, KAFKA_UNKNOWN_SERVER_ERROR, "out of memory");
    return apply_all(result, broker, ops, n, false, err, errlen);
}

/* ---- DescribeConfigs ---- */

static st_err describe_one(const config_values *ov, const broker_config *broker, size_t i,
                           config_desc_list *l)
{
    const config_def *def = &topic_config_defs[i];
    config_desc *d = config_desc_list_add(l);
    if (d == NULL)
        return ST_ERR_NOMEM;
    char buf[CONFIG_NUM_MAX];
    config_source source;
    const char *value = topic_config_effective(ov, broker, i, &source, buf);
    d->name = def->name;
    d->value = config_desc_list_strdup(l, value);
    d->source = source;
    d->read_only = false;
    d->is_sensitive = false;
    d->type = def->type;
    d->documentation = def->doc;
    if (ov && config_values_is_set(ov, i))
        d->synonyms[d->n_synonyms++] = (config_synonym_desc){
            .name = def->name,
            .value = config_desc_list_strdup(l, ov->settings[i].value),
            .source = CONFIG_SOURCE_DYNAMIC_TOPIC,
        };
    for (const config_synonym *s = def->synonyms; broker && s && s->name; s++)
        config_desc_add_synonym(l, d, &broker->values, s->name);
    return l->failed ? ST_ERR_NOMEM : ST_OK;
}

st_err topic_config_describe(const config_values *overrides, const broker_config *broker,
                             config_desc_list *out)
{
    for (size_t i = 0; i < topic_config_def_count; i++) {
        st_err e = describe_one(overrides, broker, i, out);
        if (e != ST_OK)
            return e;
    }
    return ST_OK;
}

/* ---- Stored form ---- */

st_err topic_config_serialize(const config_values *overrides, st_buf *out)
{
    for (size_t i = 0; i < overrides->count; i++) {
        const char *v = overrides->settings[i].value;
        if (v == NULL)
            continue;
        if (strpbrk(v, "\r\n") != NULL)
            return ST_ERR_MALFORMED;
        const char *name = overrides->defs[i].name;
        st_buf_append(out, name, strlen(name));
        st_buf_append_byte(out, '=');
        st_buf_append(out, v, strlen(v));
        st_buf_append_byte(out, '\n');
    }
    return out->err;
}

/* One "key=value" line (without its newline); blank and # lines pass. */
static st_err parse_line(config_values *ov, const char *line, size_t len, int lineno, char *err,
                         size_t errlen)
{
    while (len > 0 && isspace((unsigned char)line[len - 1]))
        len--;
    size_t skip = 0;
    while (skip < len && isspace((unsigned char)line[skip]))
        skip++;
    if (skip == len || line[skip] == '#')
        return ST_OK;
    char *copy = strndup(line + skip, len - skip);
    if (copy == NULL)
        return ST_ERR_NOMEM;
    char *eq = strchr(copy, '=');
    st_err e = ST_ERR_MALFORMED;
    char msg[512] = "expected key=value";
    if (eq != NULL) {
        char *k = eq;
        while (k > copy && isspace((unsigned char)k[-1]))
            k--;
        *k = '\0';
        e = config_values_set(ov, copy, eq + 1, CONFIG_SOURCE_DYNAMIC_TOPIC, msg, sizeof(msg));
    }
    if (e != ST_OK && err != NULL && errlen > 0)
        snprintf(err, errlen, "line %d: %s", lineno, msg);
    free(copy);
    return e == ST_ERR_UNSUPPORTED ? ST_ERR_MALFORMED : e;
}

st_err topic_config_deserialize(config_values *overrides, const char *text, size_t len,
                                char *err, size_t errlen)
{
    if (topic_config_init(overrides) != ST_OK)
        return ST_ERR_NOMEM;
    int lineno = 1;
    for (size_t pos = 0; pos < len; lineno++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        st_err e = parse_line(overrides, text + pos, end - pos, lineno, err, errlen);
        if (e != ST_OK) {
            config_values_free(overrides);
            return e;
        }
        pos = end + 1;
    }
    return ST_OK;
}
