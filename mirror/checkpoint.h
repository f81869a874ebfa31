/* checkpoint.h — translates consumer group offsets from a flow's source to
 * its target.
 *
 * Owns: one checkpoint pass for a flow: list the source's groups (ListGroups;
 * when the source lacks it, the flow's group patterns that are plain names),
 * keep those mirror_flow_group_matches accepts, read each one's committed
 * offsets on the source (OffsetFetch), keep partitions of mirrored topics,
 * translate each through the offset store (capped at what is mirrored),
 * store the checkpoint (offset_store_put_checkpoint), and:
 *   (a) with sync.group.offsets, commit the translated offsets into the
 *       target group when that group is empty or absent on the target
 *       (DescribeGroups state Empty or Dead), never moving a target offset
 *       backwards (MM2's rules);
 *   (b) emit MM2-format records to the target: a heartbeat to `heartbeats`
 *       and each group's checkpoints to `<source alias>.checkpoints.internal`
 *       (topics created compacted / 1 partition when missing), so tooling
 *       written for MM2 can read our positions.
 * Warnings name any API the source or target lacks (once per flow).
 *
 * Translation rule for targets that also take local writes (identity
 * naming with a reverse flow in the same config, active/active): see
 * checkpoint_translate().
 */
#ifndef STRAIT_MIRROR_CHECKPOINT_H
#define STRAIT_MIRROR_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/kafka_client.h"
#include "common/logging.h"
#include "mirror/mirror_config.h"
#include "mirror/offset_store.h"
#include "mirror/topic_sync.h"

typedef struct checkpointer {
    const mirror_config *config;
    const mirror_flow *flow;
    const st_logger *log;
    kc_producer *mm2_producer;   /* owned: writes heartbeats / checkpoints (lazily made) */
    unsigned warned;             /* bit per API already warned about */
    int64_t groups_synced;       /* counters for metrics */
    int64_t offsets_written;
} checkpointer;

void checkpointer_init(checkpointer *cp, const mirror_config *config, const mirror_flow *flow,
                       const st_logger *log);
void checkpointer_free(checkpointer *cp);

/* One pass. topics: the flow's current topic list (from topic_sync).
 * Returns the first error that stopped the pass (the source unreachable),
 * 0 otherwise; per-group problems are logged and skipped. */
kc_err checkpointer_run(checkpointer *cp, kc_client *source, kc_client *target,
                        offset_store *store, const topic_sync *topics, int timeout_ms);

/* Translates one committed source offset of flow's (topic, partition) into
 * a target offset that never skips a record:
 *   - the store's translation (the first mirrored record at or after c);
 *   - for identity naming when config has the reverse flow (target ->
 *     source) as well: the smallest of that and the target offset of the
 *     first target-local record the group has not seen on the source (via
 *     the reverse flow's rows: the first local record whose mirrored copy on
 *     the source is at or after c, or the reverse flow's position when it
 *     has not been mirrored yet).
 * found false when nothing is known. */
st_err checkpoint_translate(const mirror_config *config, const mirror_flow *flow,
                            offset_store *store, const char *topic, int32_t partition,
                            int64_t committed, store_translation *out, char *errbuf,
                            size_t errlen);

#endif
