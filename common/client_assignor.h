/* client_assignor.h — client-side partition assignors of the classic
 * consumer group protocol (internal).
 *
 * An assignor is a pure function: given the group's members (their
 * subscriptions, and for sticky assignors the partitions they own and their
 * generation) and the partition count of every subscribed topic, it says
 * which partitions each member gets. The group leader runs it
 * (client_group_leader.c); nothing here touches the network, the clock or
 * any global state, so the unit tests drive it directly.
 *
 *   range               Java's RangeAssignor: per topic, consecutive ranges
 *                       to the members subscribed to it.
 *   roundrobin          Java's RoundRobinAssignor: every partition of every
 *                       topic, in order, dealt round-robin to the members
 *                       subscribed to its topic.
 *   cooperative-sticky  Java's CooperativeStickyAssignor: balanced, keeps
 *                       as many owned partitions as balance allows, and
 *                       leaves a partition that changes owner unassigned for
 *                       this round (its owner revokes it and rejoins).
 *
 * Members are ordered as Java orders them (MemberInfo): members with a
 * group.instance.id first, by instance id, then the others by member id.
 *
 * Memory: results are allocated from the caller's arena; inputs are
 * borrowed. Errors: ST_ERR_NOMEM only. */
#ifndef STRAIT_CLIENT_ASSIGNOR_H
#define STRAIT_CLIENT_ASSIGNOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"

typedef struct kc_asg_tp {
    const char *topic;
    int32_t partition;
} kc_asg_tp;

typedef struct kc_asg_member {
    const char *member_id;
    const char *instance_id;       /* NULL for a dynamic member */
    const char *const *topics;     /* its subscription (any order, no duplicates needed) */
    size_t topic_count;
    const kc_asg_tp *owned;        /* partitions it owns now (cooperative) */
    size_t owned_count;
    int32_t generation;            /* of its owned partitions; -1 when unknown */
} kc_asg_member;

typedef struct kc_asg_topic {
    const char *name;
    int32_t partition_count;       /* topics without metadata are left out */
} kc_asg_topic;

/* One member's assignment, sorted by topic then partition. */
typedef struct kc_asg_result {
    kc_asg_tp *parts;
    size_t count;
} kc_asg_result;

/* Fills out[0..member_count) (one per member, in the input order). topics
 * need not be sorted; a topic listed twice counts once. */
typedef st_err (*kc_assign_fn)(const kc_asg_member *members, size_t member_count,
                               const kc_asg_topic *topics, size_t topic_count,
                               kc_asg_result *out, st_arena *arena);

typedef struct kc_assignor {
    const char *name;              /* the protocol name in JoinGroup */
    bool cooperative;              /* supports the cooperative rebalance protocol */
    kc_assign_fn assign;
} kc_assignor;

/* The assignor called name, or NULL. */
const kc_assignor *kc_assignor_find(const char *name);

st_err kc_assign_range(const kc_asg_member *members, size_t member_count,
                       const kc_asg_topic *topics, size_t topic_count, kc_asg_result *out,
                       st_arena *arena);
st_err kc_assign_roundrobin(const kc_asg_member *members, size_t member_count,
                            const kc_asg_topic *topics, size_t topic_count, kc_asg_result *out,
                            st_arena *arena);
st_err kc_assign_cooperative_sticky(const kc_asg_member *members, size_t member_count,
                                    const kc_asg_topic *topics, size_t topic_count,
                                    kc_asg_result *out, st_arena *arena);

/* ---- helpers shared by the assignors (client_assignor.c) ---- */

/* The sorted, de-duplicated topics that exist (partition_count > 0), in a
 * new arena array; *n gets the count. */
kc_asg_topic *kc_asg_sorted_topics(const kc_asg_topic *topics, size_t topic_count,
                                   st_arena *arena, size_t *n);
/* Index of name in sorted topics, or -1. */
long kc_asg_topic_index(const kc_asg_topic *sorted, size_t n, const char *name);
/* Member indexes in Java's MemberInfo order, in a new arena array. */
size_t *kc_asg_member_order(const kc_asg_member *members, size_t member_count, st_arena *arena);
/* Whether the member subscribes to topic. */
bool kc_asg_subscribes(const kc_asg_member *m, const char *topic);
/* Sorts each result by topic then partition. */
void kc_asg_sort_results(kc_asg_result *out, size_t member_count);
int kc_asg_tp_cmp(const void *a, const void *b);

#endif
