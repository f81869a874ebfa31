/* topic_sync.h — keeps a flow's target topics in step with its source.
 *
 * Owns: discovering the source topics a flow mirrors (Metadata, matched by
 * mirror_flow_topic_matches), creating each target topic (named by
 * mirror_flow_target_topic) with the source's partition count and topic
 * configs, growing target partitions when the source grows, syncing config
 * changes, and (only with delete.topics) deleting target topics whose source
 * topic disappeared. Config sync leaves out what MM2 leaves out by default:
 * follower/leader.replication.throttled.replicas, min.insync.replicas,
 * unclean.leader.election.enable, message.timestamp.* (plus every config
 * whose source is not DYNAMIC_TOPIC_CONFIG: defaults are the target's own).
 *
 * Degrades: an API the source or target lacks (KC_ERR_UNSUPPORTED from the
 * admin calls: DescribeConfigs, CreateTopics, IncrementalAlterConfigs,
 * CreatePartitions) is skipped with one warning per flow and API naming it
 * ("source cluster east does not support DescribeConfigs: topic configs are
 * not mirrored"), and the sync goes on with what it can do. A target topic
 * with FEWER partitions than the source that cannot be grown is reported
 * as an error for that topic (its entry gets err set and message), other
 * topics continue. Never touches records or offsets.
 *
 * Blocking: uses the blocking kc_admin_* calls on the two clients given
 * (owned-loop clients, made with allow.auto.create.topics=false).
 */
#ifndef STRAIT_MIRROR_TOPIC_SYNC_H
#define STRAIT_MIRROR_TOPIC_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/kafka_client.h"
#include "common/logging.h"
#include "mirror/mirror_config.h"

/* One mirrored topic after a sync. */
typedef struct synced_topic {
    char *source_topic;
    char *target_topic;
    int32_t source_partitions;
    int32_t target_partitions;   /* -1 when the target topic is missing */
    int32_t max_message_bytes;   /* the target topic's max.message.bytes, -1 unknown */
    kc_err err;                  /* 0: mirror partitions 0..source_partitions-1 */
    char *message;               /* why not, when err != 0 */
} synced_topic;

typedef struct topic_sync {
    const mirror_flow *flow;
    const st_logger *log;
    unsigned warned;             /* bit per API already warned about */
    synced_topic *topics;        /* sorted by source topic */
    size_t topic_count;
} topic_sync;

void topic_sync_init(topic_sync *ts, const mirror_flow *flow, const st_logger *log);
void topic_sync_free(topic_sync *ts);

/* One sync pass: replaces ts->topics with the current list. Returns an
 * error only when the source could not be listed at all (unreachable):
 * then ts->topics is left as it was. timeout_ms bounds each admin call. */
kc_err topic_sync_run(topic_sync *ts, kc_client *source, kc_client *target, int timeout_ms);

const synced_topic *topic_sync_find(const topic_sync *ts, const char *source_topic);

#endif
