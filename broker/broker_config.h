/* broker_config.h — the broker's settings: Kafka's server.properties names
 * and defaults, loaded from a YAML file and --override key=value pairs,
 * validated, and resolved into typed fields the broker reads directly
 * (cfg->log_segment_bytes, cfg->log_retention_ms already resolved from
 * log.retention.ms / .minutes / .hours).
 *
 * Owns the broker's definition table, the precedence rules between synonyms,
 * listener parsing and the derivation of advertised listeners, and the
 * broker side of DescribeConfigs. It never opens sockets or directories:
 * it only says what they should be. A broker_config owns every string it
 * holds; const char * fields point into cfg->values or its listener arrays
 * and live as long as it. It may be moved by value (copy the struct, then
 * forget the original); free it once. After changing cfg->values, call
 * broker_config_apply before reading the typed fields again. */
#ifndef STRAIT_BROKER_CONFIG_H
#define STRAIT_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "broker/config_def.h"
#include "common/err.h"

/* One listener (or advertised listener): NAME://host:port. */
typedef struct broker_listener {
    char *name;      /* upper case: "PLAINTEXT", "CONTROLLER", ... */
    char *host;      /* "" = every interface (listeners only) */
    uint16_t port;   /* 0 = any free port (the broker reports the bound one) */
    bool controller; /* named in controller.listener.names */
} broker_listener;

/* One controller.quorum.voters entry: id@host:port. */
typedef struct broker_voter {
    int32_t id;
    char *host;
    uint16_t port;
} broker_voter;

/* Compression settings: ST_CODEC_* or this. */
#define BROKER_COMPRESSION_PRODUCER (-1)

/* Kafka's TimestampType ids. */
#define BROKER_TIMESTAMP_CREATE_TIME 0
#define BROKER_TIMESTAMP_LOG_APPEND_TIME 1

typedef struct broker_config {
    config_values values; /* every setting as text, with its source */

    /* Server basics */
    int32_t node_id; /* node.id, else broker.id, else 0 for a lone node */
    bool role_broker, role_controller;
    const char *broker_rack; /* NULL when unset */
    broker_voter *voters;
    size_t n_voters;
    bool delete_topic_enable;
    bool auto_create_topics_enable;
    bool auto_leader_rebalance_enable;
    int32_t background_threads;
    int32_t num_recovery_threads_per_data_dir;
    const char *metadata_log_dir; /* NULL: the first log dir */
    int32_t controller_quorum_election_timeout_ms;
    int32_t controller_quorum_fetch_timeout_ms;

    /* Socket server */
    broker_listener *listeners;
    size_t n_listeners;
    broker_listener *advertised; /* what Metadata tells clients */
    size_t n_advertised;
    const char *inter_broker_listener_name;
    int32_t num_network_threads; /* informational for now */
    int32_t num_io_threads;      /* informational for now */
    int32_t socket_send_buffer_bytes;    /* -1: the OS default */
    int32_t socket_receive_buffer_bytes; /* -1: the OS default */
    int32_t socket_request_max_bytes;
    int32_t socket_listen_backlog_size;
    int32_t queued_max_requests;
    int32_t max_connections;
    int32_t max_connections_per_ip;
    int64_t connections_max_idle_ms;
    int32_t fetch_max_bytes;
    int32_t message_max_bytes;

    /* Log basics */
    char **log_dirs; /* log.dirs, else log.dir */
    size_t n_log_dirs;
    int32_t num_partitions;
    int32_t default_replication_factor;
    int32_t log_segment_bytes;
    int64_t log_roll_ms;        /* log.roll.ms, else log.roll.hours */
    int64_t log_roll_jitter_ms; /* log.roll.jitter.ms, else .hours */
    int32_t log_index_size_max_bytes;
    int32_t log_index_interval_bytes;
    bool log_preallocate;
    int64_t log_segment_delete_delay_ms;
    int log_message_timestamp_type; /* BROKER_TIMESTAMP_* */
    int64_t log_message_timestamp_difference_max_ms; /* deprecated */
    int64_t log_message_timestamp_before_max_ms;
    int64_t log_message_timestamp_after_max_ms;
    bool log_message_downconversion_enable;
    int compression_type; /* ST_CODEC_* or BROKER_COMPRESSION_PRODUCER */
    int32_t compression_gzip_level;
    int32_t compression_lz4_level;
    int32_t compression_zstd_level;

    /* Retention and cleaning */
    int64_t log_retention_ms; /* ms > minutes > hours; -1 unlimited */
    int64_t log_retention_bytes;
    int64_t log_retention_check_interval_ms;
    int64_t log_local_retention_ms;
    int64_t log_local_retention_bytes;
    bool log_cleanup_delete, log_cleanup_compact; /* log.cleanup.policy */
    bool log_cleaner_enable;
    int32_t log_cleaner_threads;
    int64_t log_cleaner_dedupe_buffer_size;
    int64_t log_cleaner_backoff_ms;
    int64_t log_cleaner_delete_retention_ms;
    double log_cleaner_min_cleanable_ratio;
    int64_t log_cleaner_min_compaction_lag_ms;
    int64_t log_cleaner_max_compaction_lag_ms;

    /* Flush */
    int64_t log_flush_interval_messages;
    int64_t log_flush_interval_ms; /* unset: log.flush.scheduler.interval.ms */
    int64_t log_flush_scheduler_interval_ms;
    int32_t log_flush_offset_checkpoint_interval_ms;
    int32_t log_flush_start_offset_checkpoint_interval_ms;

    /* Groups and offsets */
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t group_max_size;
    int32_t offsets_topic_num_partitions;
    int16_t offsets_topic_replication_factor; /* the broker clamps to live brokers */
    int32_t offsets_topic_segment_bytes;
    int32_t offsets_retention_minutes;
    int64_t offsets_retention_ms; /* offsets.retention.minutes in ms */
    int64_t offsets_retention_check_interval_ms;
    int32_t offsets_commit_timeout_ms;
    int32_t offsets_load_buffer_size;

    /* Transactions and producer ids */
    int32_t transaction_state_log_num_partitions;
    int16_t transaction_state_log_replication_factor; /* clamped like offsets */
    int32_t transaction_state_log_min_isr;
    int32_t transaction_state_log_segment_bytes;
    int32_t transactional_id_expiration_ms;
    int32_t transaction_max_timeout_ms;
    int32_t transaction_abort_timed_out_transaction_cleanup_interval_ms;
    int32_t transaction_remove_expired_transaction_cleanup_interval_ms;
    int32_t producer_id_expiration_ms;
    int32_t producer_id_expiration_check_interval_ms;

    /* Replication */
    int32_t min_insync_replicas;
    bool unclean_leader_election_enable;
    int64_t replica_lag_time_max_ms;
    int32_t replica_fetch_max_bytes;
    int32_t replica_fetch_min_bytes;
    int32_t replica_fetch_wait_max_ms;
    int32_t replica_fetch_backoff_ms;
    int32_t replica_fetch_response_max_bytes;
    int32_t replica_socket_timeout_ms;
    int64_t replica_high_watermark_checkpoint_interval_ms;
    int32_t num_replica_fetchers;
} broker_config;

/* The definition table, in the order of config/broker.yaml. */
extern const config_def broker_config_defs[];
extern const size_t broker_config_def_count;

/* Loads the YAML file (NULL: none), then the key=value overrides in order
 * (later wins, over the file), then validates and resolves the typed
 * fields; advertised listeners use this machine's host name. cfg must not
 * hold a loaded config (it is overwritten). On failure cfg holds nothing to
 * free and errbuf names the setting (with path:line for the file):
 * ST_ERR_IO (file), ST_ERR_MALFORMED (bad YAML, unknown setting, bad value),
 * ST_ERR_UNSUPPORTED (a listener needing SSL or SASL), ST_ERR_NOMEM. */
st_err broker_config_load(broker_config *cfg, const char *yaml_path,
                          const char *const *overrides, size_t n_overrides,
                          char *errbuf, size_t errlen);

void broker_config_free(broker_config *cfg);

/* Re-validates cfg->values and recomputes every typed field, advertising
 * host_name for listeners bound to every interface (used by load; called
 * again after a dynamic change). Errors as for broker_config_load; on
 * failure the typed fields are unchanged. */
st_err broker_config_apply(broker_config *cfg, const char *host_name,
                           char *errbuf, size_t errlen);

/* The advertised listeners for host_name: advertised.listeners when set,
 * else every non-controller listener with an empty or 0.0.0.0 / :: host
 * replaced by host_name. Replaces cfg->advertised. */
st_err broker_config_derive_advertised(broker_config *cfg, const char *host_name,
                                       char *errbuf, size_t errlen);

/* The listener called name (case-insensitive), or NULL. */
const broker_listener *broker_config_listener(const broker_config *cfg, const char *name);

/* Appends every broker setting to out (see config_values_describe): value,
 * source, read_only, is_sensitive, type, documentation and synonyms. */
st_err broker_config_describe(const broker_config *cfg, config_desc_list *out);

#endif
