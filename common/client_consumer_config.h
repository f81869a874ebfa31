/* client_consumer_config.h — the consumer's properties (internal; the public
 * calls are kc_consumer_config_* in kafka_client.h).
 *
 * Owns the consumer property table (Java's names and defaults), parsing
 * values from strings, the checks across them, and the kc_consumer_config
 * object: a kc_config for the client properties plus the typed consumer
 * settings and the consumer's callbacks. Never keeps a pointer to a caller's
 * string. */
#ifndef STRAIT_CLIENT_CONSUMER_CONFIG_H
#define STRAIT_CLIENT_CONSUMER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/kafka_client.h"

#define KC_MAX_ASSIGNORS 4

typedef enum kc_reset_policy {
    KC_RESET_EARLIEST,
    KC_RESET_LATEST,
    KC_RESET_NONE,
} kc_reset_policy;

typedef struct kc_consumer_settings {
    char *group_id;                 /* "" = none */
    char *group_instance_id;        /* "" = dynamic membership */
    int32_t session_timeout_ms;
    int32_t heartbeat_interval_ms;
    int32_t max_poll_interval_ms;
    char *assignment_strategy;      /* as given */
    const char *assignors[KC_MAX_ASSIGNORS]; /* parsed: static names, in preference order */
    int assignor_count;
    int reset_policy;               /* kc_reset_policy */
    bool enable_auto_commit;
    int32_t auto_commit_interval_ms;
    int32_t fetch_min_bytes;
    int32_t fetch_max_wait_ms;
    int32_t max_partition_fetch_bytes;
    int32_t fetch_max_bytes;
    int isolation_level;            /* 0 read_uncommitted, 1 read_committed */
    int32_t max_poll_records;
    bool check_crcs;
    char *client_rack;
    bool exclude_internal_topics;
    char *group_protocol;
} kc_consumer_settings;

struct kc_consumer_config {
    kc_config *client;              /* owned */
    kc_consumer_settings s;
    kc_rebalance_cb rebalance_cb;
    void *rebalance_opaque;
    kc_commit_cb commit_cb;
    void *commit_opaque;
    kc_ready_cb ready_cb;
    void *ready_opaque;
};

/* Deep copies / frees the string fields of settings. */
bool kc_consumer_settings_copy(kc_consumer_settings *dst, const kc_consumer_settings *src);
void kc_consumer_settings_free(kc_consumer_settings *s);

/* Checks the consumer properties against each other and against the client
 * ones (heartbeat.interval.ms < session.timeout.ms, ...); fills errstr. */
kc_err kc_consumer_config_check(const kc_consumer_config *conf, char *errstr, size_t errlen);

/* Whether every configured assignor is cooperative (then the rebalance
 * protocol is cooperative). */
bool kc_consumer_settings_cooperative(const kc_consumer_settings *s);

#endif
