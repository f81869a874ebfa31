/* group_coordinator.h — the group coordinator of Kafka's classic consumer
 * group protocol, for every group this broker coordinates (all of them, on
 * a single node).
 *
 * Owns the groups, their timers (member sessions, pending member ids,
 * rebalance completion, offset expiry) and the state machine: Empty,
 * PreparingRebalance, CompletingRebalance, Stable, Dead, with Kafka's error
 * codes where Kafka returns them. JoinGroup and SyncGroup requests may be
 * held (a member waits for the others); each held request is answered
 * exactly once, at the latest when the broker shuts down. Group metadata
 * and offsets are persisted through group_store.c before being answered. */
#ifndef STRAIT_BROKER_GROUP_COORDINATOR_H
#define STRAIT_BROKER_GROUP_COORDINATOR_H

#include <ev.h>

#include "broker/group.h"
#include "broker/request.h"

struct broker;

typedef struct group_coordinator {
    struct broker *b;
    strmap groups; /* group id -> consumer_group */
    ev_timer expiry_timer;
} group_coordinator;

void group_coordinator_init(group_coordinator *gc, struct broker *b);
/* Loads groups and offsets from __consumer_offsets (when it exists) and
 * starts the offset expiry timer. */
st_err group_coordinator_start(group_coordinator *gc);
/* Answers every held request (NOT_COORDINATOR), stops timers, frees groups. */
void group_coordinator_stop(group_coordinator *gc);

consumer_group *gc_find(const group_coordinator *gc, st_slice group_id);
/* gc_find after the group id check: *error gets INVALID_GROUP_ID for an
 * empty or oversized id (and NULL is returned), KAFKA_NONE otherwise. */
consumer_group *gc_valid_find(const group_coordinator *gc, st_slice group_id, int16_t *error);
/* The group, created Empty when absent (NULL on no memory). */
consumer_group *gc_find_or_create(group_coordinator *gc, st_slice group_id);
/* Removes and frees a group (no records written). */
void gc_remove_group(group_coordinator *gc, consumer_group *g);
/* Appends the group's metadata record (or tombstone). */
st_err gc_store_group(group_coordinator *gc, consumer_group *g, bool tombstone);

/* A commit or heartbeat from m: its session starts over (m may be NULL). */
void gc_touch_member(group_coordinator *gc, cg_member *m);

/* Kafka's INVALID_GROUP_ID rule: not null, short enough to store, and not
 * empty except where Kafka accepts "" for backward compatibility
 * (OffsetCommit, OffsetFetch, DescribeGroups, DeleteGroups: empty_ok). */
bool gc_group_id_valid(st_slice group_id, bool empty_ok);

void gc_join_group(group_coordinator *gc, request *rq);
void gc_sync_group(group_coordinator *gc, request *rq);
void gc_heartbeat(group_coordinator *gc, request *rq);
void gc_leave_group(group_coordinator *gc, request *rq);

/* Offsets (group_offsets.c). Whether a commit by member/generation may
 * proceed: KAFKA_NONE or the error Kafka answers. */
int16_t gc_check_commit(group_coordinator *gc, consumer_group *g, st_slice member_id,
                        st_slice instance_id, int32_t generation);
/* Appends tombstones for every committed offset of g and for g itself to
 * __consumer_offsets (DeleteGroups, expiry); *offsets (when not NULL) gets
 * how many offsets. The caller removes g once this succeeds. */
st_err gc_tombstone_group(group_coordinator *gc, consumer_group *g, int64_t now_ms,
                          size_t *offsets);
/* Rebuilds groups and offsets from __consumer_offsets (group_load.c). */
st_err gc_load(group_coordinator *gc);

/* Deletes offsets older than offsets.retention.minutes of groups that are
 * empty (and empty groups without offsets). */
void gc_expire_offsets(group_coordinator *gc);

#endif
