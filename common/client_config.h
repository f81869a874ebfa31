/* client_config.h — the client's property table and typed settings
 * (internal; the public calls are kc_config_* in kafka_client.h).
 *
 * Owns: the list of known property names with their types, defaults and
 * ranges, parsing values from strings, and the checks across properties
 * (kc_settings_check_*). A kc_config is a kc_settings: one struct of typed
 * fields, so the rest of the client reads conf->linger_ms, never strings.
 * Adding a property (e.g. for the consumer): one field here, one row in the
 * table in client_config.c. */
#ifndef STRAIT_CLIENT_CONFIG_H
#define STRAIT_CLIENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kafka_client.h"
#include "common/logging.h"

#define KC_MAX_PROPS 64

struct kc_config {
    /* core */
    char *bootstrap_servers;
    char *client_id;
    int32_t request_timeout_ms;
    int32_t default_api_timeout_ms;
    int32_t retry_backoff_ms;
    int32_t retry_backoff_max_ms;
    int32_t reconnect_backoff_ms;
    int32_t reconnect_backoff_max_ms;
    int32_t socket_connection_setup_timeout_ms;
    int32_t socket_connection_setup_timeout_max_ms;
    int64_t metadata_max_age_ms;
    bool allow_auto_create_topics;
    int32_t receive_message_max_bytes;
    char *security_protocol;

    /* producer */
    int16_t acks;                 /* 0, 1 or -1 (all) */
    bool enable_idempotence;
    bool enable_gapless_guarantee; /* needs enable_idempotence */
    int32_t retries;
    int64_t linger_ms;
    int32_t batch_size;
    int64_t buffer_memory;
    int64_t max_block_ms;
    int compression_type;         /* st_codec */
    int32_t compression_gzip_level;
    int32_t compression_lz4_level;
    int32_t compression_zstd_level;
    int32_t delivery_timeout_ms;
    int32_t max_in_flight;
    int32_t max_request_size;
    char *transactional_id;

    /* callbacks and logging (not properties) */
    st_logger logger;
    kc_error_cb error_cb;
    void *error_opaque;
    kc_delivery_cb delivery_cb;
    void *delivery_opaque;

    /* which properties were set explicitly, by table index */
    bool explicitly_set[KC_MAX_PROPS];
};

typedef struct kc_config kc_settings;

/* Whether the named property was given explicitly (not left at its default). */
bool kc_config_is_set(const kc_config *conf, const char *name);

/* Checks what a client needs (bootstrap.servers present and parsable,
 * security.protocol); fills errstr. */
kc_err kc_config_check_client(const kc_config *conf, char *errstr, size_t errlen);

/* Checks the producer properties against each other, as Java does, and
 * settles enable.idempotence (turned off when it conflicts with acks,
 * retries or max.in.flight and was not set explicitly);
 * enable.gapless.guarantee=true needs it on. */
kc_err kc_config_check_producer(kc_config *conf, char *errstr, size_t errlen);

/* One bootstrap address, split from bootstrap.servers. */
typedef struct kc_hostport {
    char host[256];
    int port;
} kc_hostport;

/* Parses "host:port[,host:port...]" (IPv6 as "[::1]:9092", optional
 * "PLAINTEXT://" prefixes). Returns the count (0 on error, errstr says why);
 * at most max entries. */
size_t kc_parse_bootstrap(const char *list, kc_hostport *out, size_t max, char *errstr,
                          size_t errlen);

#endif
