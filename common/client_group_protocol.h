/* client_group_protocol.h — the "consumer" protocol type's member metadata
 * (ConsumerProtocolSubscription, in JoinGroup) and member state
 * (ConsumerProtocolAssignment, in SyncGroup), internal.
 *
 * Owns the int16 version prefix and the tolerant reading Kafka clients
 * expect: a version newer than ours is read by the fields we know, and a
 * subscription that fails at its stated version is read again as version 0
 * (kafkajs writes version 1 with the version 0 layout). The generation of a
 * cooperative-sticky member comes from the v2+ field, else from Java's
 * 4-byte user data. Decoded values live in the caller's arena. */
#ifndef STRAIT_CLIENT_GROUP_PROTOCOL_H
#define STRAIT_CLIENT_GROUP_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/client_assignor.h"
#include "common/wire.h"

#define KC_CONSUMER_PROTOCOL_TYPE "consumer"
#define KC_SUBSCRIPTION_VERSION 3   /* the newest this codec writes */

typedef struct kc_member_sub {
    int16_t version;            /* as the member wrote it */
    const char **topics;        /* NUL-terminated, in the arena */
    size_t topic_count;
    kc_asg_tp *owned;
    size_t owned_count;
    int32_t generation;         /* -1 when unknown */
    const char *rack;           /* NULL when none */
    st_slice user_data;         /* points into the input */
} kc_member_sub;

/* Appends a subscription at version (0..3): topics, user_data (null slice =
 * null), owned partitions (v1+), generation (v2+), rack (v3+, NULL = null). */
st_err kc_subscription_encode(st_buf *out, int16_t version, const char *const *topics,
                              size_t topic_count, const kc_asg_tp *owned, size_t owned_count,
                              int32_t generation, const char *rack, st_slice user_data);
/* Reads one member's metadata. cooperative: take the generation from a
 * 4-byte user data when the version has no generation field. */
st_err kc_subscription_decode(st_slice metadata, bool cooperative, st_arena *arena,
                              kc_member_sub *out);

/* Appends an assignment (parts sorted by topic) at version (0..3). */
st_err kc_assignment_encode(st_buf *out, int16_t version, const kc_asg_tp *parts, size_t n,
                            st_slice user_data);
/* Reads an assignment; an empty or null one is no partitions. */
st_err kc_assignment_decode(st_slice data, st_arena *arena, kc_asg_tp **parts, size_t *n);

/* The 4-byte user data Java's CooperativeStickyAssignor writes. */
void kc_cooperative_user_data(int32_t generation, uint8_t out[4]);

#endif
