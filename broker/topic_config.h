/* topic_config.h — topic-level settings (Kafka's names: cleanup.policy,
 * retention.ms, segment.bytes, ...) and a topic's effective configuration:
 * its own overrides over the broker's defaults (retention.ms falls back to
 * log.retention.ms, then .minutes, then .hours; segment.ms to log.roll.*;
 * max.message.bytes to message.max.bytes; ...).
 *
 * Owns the topic table, the validation of CreateTopics / AlterConfigs /
 * IncrementalAlterConfigs changes (answered with Kafka error codes), the
 * typed resolution the log reads, the topic side of DescribeConfigs, and a
 * `key=value` text form of a topic's overrides for the broker to store. It
 * never touches disk or the metadata log itself.
 *
 * A topic's overrides are a config_values over topic_config_defs whose set
 * slots are the overrides (source CONFIG_SOURCE_DYNAMIC_TOPIC). */
#ifndef STRAIT_TOPIC_CONFIG_H
#define STRAIT_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "broker/broker_config.h"
#include "broker/config_def.h"
#include "common/buf.h"
#include "common/err.h"

/* The effective, typed configuration of one topic. */
typedef struct topic_config {
    bool cleanup_delete, cleanup_compact; /* cleanup.policy */
    int compression;       /* ST_CODEC_* or BROKER_COMPRESSION_PRODUCER */
    int compression_level; /* for that codec; ST_COMPRESS_LEVEL_DEFAULT if none */
    int64_t delete_retention_ms;
    int64_t file_delete_delay_ms;
    int64_t flush_messages;
    int64_t flush_ms;
    int32_t index_interval_bytes;
    int64_t local_retention_ms;    /* -2 resolved to retention_ms */
    int64_t local_retention_bytes; /* -2 resolved to retention_bytes */
    int64_t max_compaction_lag_ms;
    int32_t max_message_bytes;
    bool message_downconversion_enable;
    int64_t message_timestamp_after_max_ms;
    int64_t message_timestamp_before_max_ms;
    int64_t message_timestamp_difference_max_ms; /* deprecated */
    int message_timestamp_type; /* BROKER_TIMESTAMP_* */
    double min_cleanable_dirty_ratio;
    int64_t min_compaction_lag_ms;
    int32_t min_insync_replicas;
    bool preallocate;
    int64_t retention_bytes; /* -1 unlimited */
    int64_t retention_ms;    /* -1 unlimited */
    int32_t segment_bytes;
    int32_t segment_index_bytes;
    int64_t segment_jitter_ms;
    int64_t segment_ms;
    bool unclean_leader_election_enable;
} topic_config;

extern const config_def topic_config_defs[];
extern const size_t topic_config_def_count;

/* An empty set of overrides (every setting from the broker's defaults). */
st_err topic_config_init(config_values *overrides);

/* The overrides for a new topic (CreateTopics configs) or the full
 * replacement of a topic's overrides (legacy AlterConfigs): every entry is a
 * SET (ops ignored). On success *result holds them (caller frees); on
 * failure it holds nothing and the Kafka error code is returned with a
 * message naming the key: INVALID_CONFIG for an unknown name or a bad value,
 * INVALID_REQUEST for a name given twice. */
int16_t topic_config_create(const broker_config *broker, const config_alteration *entries,
                            size_t n, config_values *result, char *err, size_t errlen);

/* IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT (list types
 * only; they edit the effective value, the broker default when the topic has
 * no override) applied in order to a copy of current. All or nothing: on
 * success *result holds the new overrides (caller frees, current is
 * untouched, so validate_only is "free the result"); on failure result holds
 * nothing. INVALID_CONFIG for unknown names, bad values and APPEND/SUBTRACT
 * on a non-list (as Kafka's controller); INVALID_REQUEST for an unknown op
 * or a name given twice. */
int16_t topic_config_alter(const config_values *current, const broker_config *broker,
                           const config_alteration *ops, size_t n, config_values *result,
                           char *err, size_t errlen);

/* The effective text of setting index: the override, else the broker's
 * synonym (converted to this setting's unit), else the topic default.
 * *source says which (DYNAMIC_TOPIC, STATIC_BROKER, DEFAULT, ...); buf
 * (CONFIG_NUM_MAX bytes) may receive a converted number. overrides may be
 * NULL (none). */
const char *topic_config_effective(const config_values *overrides, const broker_config *broker,
                                   size_t index, config_source *source, char *buf);

/* The typed effective configuration (overrides may be NULL: the defaults
 * for a new topic). Values were validated when set; ST_ERR_MALFORMED only
 * for a table inconsistency. */
st_err topic_config_resolve(const config_values *overrides, const broker_config *broker,
                            topic_config *out);

/* Appends every topic setting to out: effective value, source
 * (DYNAMIC_TOPIC_CONFIG when overridden, else the broker synonym's source,
 * else DEFAULT_CONFIG), synonyms (the override, then each broker synonym's
 * values), read_only false, type and documentation. */
st_err topic_config_describe(const config_values *overrides, const broker_config *broker,
                             config_desc_list *out);

/* The overrides as "key=value\n" lines, in table order, appended to out. */
st_err topic_config_serialize(const config_values *overrides, st_buf *out);

/* Parses that text (blank lines and # comments skipped) into *overrides
 * (initialised here; freed on failure). ST_ERR_MALFORMED with "line N: ..."
 * in err for an unknown key or a bad value. */
st_err topic_config_deserialize(config_values *overrides, const char *text, size_t len,
                                char *err, size_t errlen);

#endif
