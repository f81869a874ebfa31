/* topics.h — the topic registry: every topic's name, id, partition count
 * and config overrides, and where that is persisted.
 *
 * Owns the topic structs and their persistence in `topics.state` in the
 * first log directory (text, rewritten atomically on every change):
 *   topic <name> <base64 topic id> <partition count> <internal 0|1>
 *   config <name> <key>=<value>
 * The partitions themselves (logs) belong to partition.c; a topic only holds
 * the array. This file never touches partition directories. */
#ifndef STRAIT_BROKER_TOPICS_H
#define STRAIT_BROKER_TOPICS_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/topic_config.h"
#include "common/strmap.h"
#include "common/wire.h"

struct partition;

#define TOPIC_NAME_MAX 249

typedef struct topic {
    char *name;
    st_uuid id;
    int32_t partition_count;
    struct partition **partitions; /* partition_count entries (NULL until opened) */
    config_values overrides;       /* topic-level configs */
    topic_config config;           /* overrides resolved over the broker's defaults */
    bool internal;                 /* __consumer_offsets, __transaction_state */
} topic;

typedef struct topic_registry {
    strmap by_name; /* name -> topic */
    strmap by_id;   /* 16 id bytes -> topic */
    char *state_path;
} topic_registry;

void topic_registry_init(topic_registry *reg, const char *state_path);
/* Frees every topic (their partitions must be closed and freed already). */
void topic_registry_free(topic_registry *reg);

/* Reads the state file (absent = no topics). Topics come back with
 * partitions NULL; configs resolved against broker. */
st_err topic_registry_load(topic_registry *reg, const broker_config *broker, char *errbuf,
                           size_t errlen);
/* Writes every topic to the state file atomically (temp file, fsync, rename). */
st_err topic_registry_save(const topic_registry *reg);

topic *topic_registry_find(const topic_registry *reg, st_slice name);
topic *topic_registry_find_id(const topic_registry *reg, st_uuid id);
/* Takes ownership of t. */
st_err topic_registry_add(topic_registry *reg, topic *t);
/* Removes t from the maps (the caller frees it). */
void topic_registry_remove(topic_registry *reg, topic *t);

/* A new topic with a fresh random id, partitions array allocated (NULLs). */
topic *topic_new(st_slice name, int32_t partitions, bool internal);
void topic_free(topic *t);
/* Grows the partitions array to n (new entries NULL). */
st_err topic_grow(topic *t, int32_t n);

/* Kafka's rules: 1..249 chars of [a-zA-Z0-9._-], not "." or "..". When
 * invalid, why (if given) says what is wrong. */
bool topic_name_valid(st_slice name, const char **why);
/* Names starting with "__": internal topics by convention. */
bool topic_name_internal(st_slice name);

#endif
