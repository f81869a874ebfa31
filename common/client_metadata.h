/* client_metadata.h — the client's metadata cache (internal; the public view
 * is kc_metadata_* in kafka_client.h).
 *
 * Owns what the last Metadata responses said: brokers, controller, cluster
 * id, and per topic its id, error and partitions (leader, leader epoch,
 * replicas, ISR). Decides when to refresh: every metadata.max.age.ms, soon
 * after kc_metadata_invalidate (at most once per retry.backoff.ms), and when
 * a wanted topic is missing. Which topics: the ones somebody asked for
 * (kc_md_want), or all after a refresh of all topics. Only one refresh is in
 * flight at a time. A leader epoch older than the cached one is ignored (an
 * out-of-date broker answered). */
#ifndef STRAIT_CLIENT_METADATA_H
#define STRAIT_CLIENT_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "common/kafka_client.h"
#include "common/strmap.h"

typedef struct kc_md_topic {
    kc_topic_info info;          /* the public view; info.name = name */
    char *name;
    kc_partition_info *parts;    /* info.partitions */
    int32_t *node_lists;         /* replicas and ISRs of every partition */
    bool wanted;                 /* include in every refresh */
    int64_t fetched_ms;          /* when a response last described it (0 = never) */
} kc_md_topic;

typedef struct kc_metadata {
    strmap topics;               /* name → kc_md_topic* */
    kc_broker_info *brokers;
    size_t broker_count;
    int32_t controller_id;
    char *cluster_id;
    bool all_topics;             /* refreshes ask for every topic */
    int64_t last_success_ms;     /* 0 = never */
    int64_t last_request_ms;
    bool in_flight;
    bool stale;                  /* refresh as soon as the backoff allows */
    bool wanted_changed;         /* a new topic is wanted: refresh now */
    uint64_t updates;            /* +1 per response merged */
} kc_metadata;

typedef struct kc_client kc_client;

void kc_md_init(kc_metadata *md);
void kc_md_free(kc_metadata *md);

/* The cached topic or NULL. */
kc_md_topic *kc_md_topic_get(kc_client *c, const char *name);
/* Marks a topic as wanted (creating an empty entry); a refresh follows soon.
 * NULL on allocation failure. */
kc_md_topic *kc_md_want(kc_client *c, const char *name);

/* Starts a refresh now if one is due and none is in flight. Called from the
 * housekeeping tick and whenever the cache is marked stale. */
void kc_md_maybe_refresh(kc_client *c);

/* Merges a decoded Metadata response (at version) into the cache. */
void kc_md_merge(kc_client *c, const void *response, int16_t version);

#endif
