/* cluster_client.h — Kafka clients for a configured mirror cluster.
 *
 * Owns: turning a mirror_cluster (bootstrap.servers + client properties)
 * into kc_config / kc_consumer_config values with the settings the mirror
 * relies on (no topic auto-creation, the given client.id role). Every
 * function returns a new object the caller frees, or NULL with errbuf naming
 * the cluster and the bad property.
 */
#ifndef STRAIT_MIRROR_CLUSTER_CLIENT_H
#define STRAIT_MIRROR_CLUSTER_CLIENT_H

#include <stddef.h>

#include "common/kafka_client.h"
#include "common/logging.h"
#include "mirror/mirror_config.h"

/* Client properties of the cluster, client.id "strait-mirror-<role>",
 * allow.auto.create.topics=false, logging to log. */
kc_config *cluster_config_new(const mirror_cluster *cluster, const char *role,
                              const st_logger *log, char *errbuf, size_t errlen);
/* An owned-loop admin/metadata client for the cluster. */
kc_client *cluster_client_new(const mirror_cluster *cluster, const char *role,
                              const st_logger *log, char *errbuf, size_t errlen);
/* The same properties as a consumer config (no group). */
kc_consumer_config *cluster_consumer_config_new(const mirror_cluster *cluster, const char *role,
                                                const st_logger *log, char *errbuf,
                                                size_t errlen);

#endif
