/* cluster_identity.h — which cluster and node a data directory belongs to.
 *
 * Owns meta.properties in each log directory (Kafka's format: `version`,
 * `cluster.id`, `node.id` lines) and the clean-shutdown marker
 * (`.kafka_cleanshutdown`). On first start a cluster id is generated (16
 * random bytes, URL-safe base64 without padding, 22 characters, as Kafka
 * writes) and persisted; later starts read it back and refuse a directory
 * whose cluster id or node id differs, naming both. */
#ifndef STRAIT_BROKER_CLUSTER_IDENTITY_H
#define STRAIT_BROKER_CLUSTER_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CLUSTER_ID_LEN 22

typedef struct cluster_identity {
    char cluster_id[CLUSTER_ID_LEN + 1];
    int32_t node_id;
} cluster_identity;

/* Reads or creates meta.properties in every dir (creating dirs as needed);
 * all must agree. */
st_err cluster_identity_load(cluster_identity *id, char *const *dirs, size_t n_dirs,
                             int32_t node_id, char *errbuf, size_t errlen);

/* Whether every dir holds a clean-shutdown marker; removes the markers so
 * that a crash from now on leaves none. */
bool clean_shutdown_consume(char *const *dirs, size_t n_dirs);
/* Writes the marker (fsynced) into every dir. */
st_err clean_shutdown_mark(char *const *dirs, size_t n_dirs);

/* 16 random bytes as Kafka's URL-safe base64 (22 chars + NUL). */
void cluster_id_generate(char out[CLUSTER_ID_LEN + 1]);
/* Any 16-byte id (topic ids, too) in the same form. */
void uuid_to_base64(const uint8_t uuid[16], char out[CLUSTER_ID_LEN + 1]);
void uuid_random(uint8_t out[16]);

#endif
