/* client_group.h — the consumer's group: coordinator, membership,
 * assignment, commits (internal).
 *
 *   client_group_coordinator.c  FindCoordinator, and the dedicated
 *                               connection to the coordinator (node id
 *                               INT32_MAX - id, as Java does, so that group
 *                               requests never wait behind a long Fetch).
 *   client_group.c              the membership state machine: JoinGroup
 *                               (MEMBER_ID_REQUIRED), SyncGroup, Heartbeat,
 *                               LeaveGroup, the errors that make a member
 *                               rejoin, and applying assignments (eager and
 *                               cooperative) in the app step.
 *   client_group_leader.c       the leader's part: reading the members'
 *                               subscriptions, running the assignor,
 *                               writing their assignments.
 *   client_group_protocol.c     the subscription/assignment encodings.
 *   client_group_commit.c       OffsetCommit (manual and automatic) and
 *                               OffsetFetch (committed offsets).
 *
 * The state machine (loop step unless marked app):
 *
 *   IDLE ─subscribe→ NEED_PREPARE ─(app: revoke/lose)→ JOIN_READY
 *   JOIN_READY ─coordinator known→ JOINING ─leader→ AWAIT_METADATA → SYNCING
 *   JOINING ─follower→ SYNCING ─ok→ STABLE (assignment applied by the app)
 *   STABLE ─REBALANCE_IN_PROGRESS, metadata or subscription change,
 *           cooperative revocation→ NEED_PREPARE
 *   any ─ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID→ NEED_PREPARE (lost)
 *   any ─NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / disconnect→
 *           coordinator rediscovered, request retried
 *   any ─FENCED_INSTANCE_ID→ fatal (the consumer stops)
 *
 * Every request carries the group's epoch; an answer for an older epoch
 * (after a reset or a newer join) is ignored. */
#ifndef STRAIT_CLIENT_GROUP_H
#define STRAIT_CLIENT_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/client_assignor.h"
#include "common/client_consumer.h"

typedef enum kc_group_state {
    KG_IDLE,
    KG_NEED_PREPARE,
    KG_JOIN_READY,
    KG_JOINING,
    KG_AWAIT_METADATA,
    KG_SYNCING,
    KG_STABLE,
} kc_group_state;

typedef struct kc_coord {
    int32_t node_id;           /* the coordinator's broker, -1 when unknown */
    int32_t conn_id;           /* the dedicated connection's node id */
    bool lookup_in_flight;
    int64_t retry_at_ms;
    int failures;
    char last_error[256];
} kc_coord;

/* What the leader keeps between JoinGroup and SyncGroup. */
typedef struct kc_leader {
    st_arena arena;
    kc_asg_member *members;
    int16_t *versions;         /* each member's subscription version */
    size_t member_count;
    const char **topics;       /* the union of the subscriptions */
    size_t topic_count;
    bool skip_assignment;      /* KIP-814: a static leader rejoining */
} kc_leader;

struct kc_group {
    kc_consumer *c;
    char *group_id;
    char *instance_id;         /* NULL when dynamic */
    kc_coord coord;
    kc_group_state state;
    uint32_t epoch;

    char *member_id;           /* "" before the first join */
    int32_t generation;        /* -1 when not in a generation */
    char *protocol;            /* the assignor the group chose, "" */
    bool is_leader;

    bool lost;                 /* the app step reports the assignment lost */
    char rejoin_reason[200];
    int64_t join_retry_at_ms;
    int join_failures;

    bool hb_in_flight;
    int64_t next_hb_ms;
    int64_t last_hb_ok_ms;

    bool assignment_ready;     /* SyncGroup answered: the app step applies it */
    st_arena assignment_arena;
    kc_asg_tp *assignment;
    size_t assignment_count;

    kc_leader leader;
    kc_asg_topic *topic_snapshot; /* leader: partition counts it assigned (owned) */
    char *topic_snapshot_names;   /* their names, one block (owned) */
    size_t topic_snapshot_count;

    bool leave_in_flight;
};

/* ---- client_group.c ---- */
kc_group *kc_group_new(kc_consumer *c);
void kc_group_free(kc_group *g);
void kc_group_loop_step(kc_group *g);
void kc_group_app_step(kc_group *g);
/* Starts or restarts membership (subscribe, subscription change). */
void kc_group_request_rejoin(kc_group *g, const char *why);
/* Drops the generation (and member id): the assignment is lost. */
void kc_group_reset(kc_group *g, bool reset_member_id, const char *why);
/* Unsubscribe/close: LeaveGroup (dynamic members) and IDLE. Does not wait. */
void kc_group_leave(kc_group *g, const char *why);
/* Whether the member may commit with its generation now; else the error
 * a commit gets (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION). */
int16_t kc_group_commit_generation(const kc_group *g, int32_t *generation,
                                   const char **member_id);
/* Metadata changed: subscription matches, partition counts. */
void kc_group_metadata_changed(kc_group *g);
/* Whether the app step has work (an assignment to apply, a join to prepare). */
bool kc_group_needs_app(const kc_group *g);

/* ---- client_group_coordinator.c ---- */
void kc_coord_init(kc_coord *co);
/* Starts a lookup when none is known and none is in flight. True when known. */
bool kc_coord_ensure(kc_group *g);
void kc_coord_mark_unknown(kc_group *g, const char *why);
/* Handles a coordinator error code: true (and marks unknown) for
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE. */
bool kc_coord_error(kc_group *g, int16_t code);
/* Sends to the coordinator's dedicated connection. */
kc_err kc_coord_send(kc_group *g, int16_t api_key, const void *req, const kc_request_opts *opts,
                     kc_response_cb cb, void *opaque);

/* ---- client_group_leader.c ---- */
/* Handles the leader's JoinGroup answer: copies the members, fetches
 * metadata for their topics, then assigns and sends SyncGroup. */
void kc_leader_start(kc_group *g, const void *join_response);
void kc_leader_clear(kc_leader *l);
/* After metadata: run the assignor and return the SyncGroup assignments
 * (in arena). */
st_err kc_leader_assign(kc_group *g, st_arena *arena, void **assignments, int32_t *count);

/* ---- client_group.c, for the leader ---- */
void kc_group_send_sync(kc_group *g, void *assignments, int32_t count);

/* ---- client_group_commit.c ---- */
typedef void (*kc_lookup_done_fn)(kc_consumer *c, kc_err err, kc_partition_list *offsets,
                                   void *ctx);
/* Queues a commit (offsets copied). Sync: *waiter gets done/err. */
typedef struct kc_commit_wait {
    bool done;
    kc_err err;
    char errstr[384];
    kc_partition_list *result;  /* the per-partition errors (owned by the waiter) */
} kc_commit_wait;
kc_err kc_commit_queue(kc_consumer *c, const kc_partition_list *offsets, bool sync,
                       int64_t deadline_ms, kc_commit_cb cb, void *opaque,
                       kc_commit_wait *waiter);
/* Queues a committed-offset lookup; done runs (loop context) exactly once. */
kc_err kc_lookup_queue(kc_consumer *c, kc_partition_list *parts, int64_t deadline_ms,
                       kc_lookup_done_fn done, void *ctx);
void kc_commits_run(kc_consumer *c);
/* Fails every queued commit and lookup with err (close, free). */
void kc_commits_fail_all(kc_consumer *c, kc_err err, const char *why);
/* Positions of READY partitions that moved since their last commit (NULL
 * when none, or out of memory). */
kc_partition_list *kc_commit_positions(kc_consumer *c, bool only_changed);
/* Auto commit, when due (loop step). */
void kc_auto_commit_run(kc_consumer *c);
/* Lookups for partitions in NEED_COMMITTED (loop step). */
void kc_positions_lookup_run(kc_consumer *c);

#endif
