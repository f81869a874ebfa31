/* topic_admin.h — creating, deleting and growing topics on this broker:
 * the registry entry, the partition directories and logs, and the state
 * file, kept consistent with each other.
 *
 * Owns the rules Kafka applies to these operations (name validity, the
 * '.'/'_' collision rule, partition and replication-factor limits on a
 * single node) and answers with Kafka error codes plus a message, so that
 * Metadata auto-creation, CreateTopics, DeleteTopics and CreatePartitions
 * all behave the same. */
#ifndef STRAIT_BROKER_TOPIC_ADMIN_H
#define STRAIT_BROKER_TOPIC_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/partition.h"
#include "broker/topics.h"

struct broker;

typedef struct topic_spec {
    st_slice name;
    int32_t partitions;          /* -1: num.partitions */
    int16_t replication_factor;  /* -1: default.replication.factor */
    const config_values *configs; /* overrides already validated; NULL for none */
    bool validate_only;
} topic_spec;

/* KAFKA_NONE and *out (unless validate_only), or an error code with msg. */
int16_t topic_admin_create(struct broker *b, const topic_spec *spec, topic **out, char *msg,
                           size_t msglen);
/* Removes the topic, its partitions and their directories. */
int16_t topic_admin_delete(struct broker *b, topic *t, char *msg, size_t msglen);
/* Grows the topic to count partitions (count must exceed the current one). */
int16_t topic_admin_add_partitions(struct broker *b, topic *t, int32_t count, bool validate_only,
                                   char *msg, size_t msglen);
/* A manual replica list of CreateTopics or CreatePartitions: non-empty, only
 * registered brokers (this node), none twice; INVALID_REPLICA_ASSIGNMENT
 * with Kafka's message otherwise. */
int16_t topic_admin_check_replicas(struct broker *b, const int32_t *ids, int32_t n, char *msg,
                                   size_t msglen);
/* Re-resolves t's configs after its overrides changed and applies the log
 * settings to every partition; persists the registry. */
int16_t topic_admin_configs_changed(struct broker *b, topic *t, char *msg, size_t msglen);

/* The partition, or NULL when the topic or index does not exist. */
partition *broker_find_partition(struct broker *b, st_slice topic_name, int32_t index);

#endif
