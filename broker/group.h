/* group.h — one consumer group of Kafka's classic protocol: its state,
 * generation, members, chosen protocol and committed offsets.
 *
 * Owns the group's data and the pure rules over it (protocol selection,
 * who is leader, which members are still expected to rejoin). It never
 * sends a response and never touches a log: the coordinator
 * (group_coordinator.c) drives transitions and persistence. Every string a
 * group holds is its own malloc'd copy. */
#ifndef STRAIT_BROKER_GROUP_H
#define STRAIT_BROKER_GROUP_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/strmap.h"
#include "common/wire.h"

struct request;
struct consumer_group;

typedef enum cg_state {
    GROUP_EMPTY,
    GROUP_PREPARING_REBALANCE,
    GROUP_COMPLETING_REBALANCE,
    GROUP_STABLE,
    GROUP_DEAD,
} cg_state;

typedef struct cg_protocol {
    char *name;
    st_slice metadata; /* owned */
} cg_protocol;

typedef struct cg_member {
    struct consumer_group *group;
    char *member_id;
    char *instance_id; /* NULL for a dynamic member */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    cg_protocol *protocols;
    int32_t protocol_count;
    st_slice assignment;           /* owned; empty until a sync */
    struct request *awaiting_join; /* a JoinGroup answered when the rebalance completes */
    struct request *awaiting_sync; /* a SyncGroup answered when the leader syncs */
    bool is_new;                   /* joined in this rebalance (KIP-394 expiry) */
    ev_timer session_timer;        /* expires the member without heartbeats */
} cg_member;

typedef struct cg_offset {
    int64_t offset;
    int32_t leader_epoch;
    st_slice metadata; /* owned */
    int64_t commit_timestamp;
    int64_t expire_timestamp; /* -1: none */
} cg_offset;

typedef struct consumer_group {
    char *group_id;
    cg_state state;
    int64_t state_timestamp;  /* when the current state began (ms) */
    char *protocol_type;      /* NULL: none yet */
    char *protocol_name;      /* NULL: none chosen */
    int32_t generation;
    char *leader_id;          /* NULL: no leader */
    strmap members;           /* member id -> cg_member */
    strmap pending_members;   /* member ids given MEMBER_ID_REQUIRED -> cg_pending */
    strmap static_members;    /* instance id -> cg_member */
    strmap offsets;           /* topic + '\0' + partition (4 bytes) -> cg_offset */
    int32_t offsets_partition;/* of __consumer_offsets */
    ev_timer join_timer;      /* completes a rebalance (rebalance timeout or initial delay) */
    bool join_timer_armed;
    int64_t initial_delay_left_ms; /* group.initial.rebalance.delay.ms still allowed */
    bool new_member_added;
} consumer_group;

/* A member id handed out with MEMBER_ID_REQUIRED that has not joined yet. */
typedef struct cg_pending {
    consumer_group *group;
    char *member_id;
    ev_timer timer; /* forgotten after the session timeout */
} cg_pending;

consumer_group *group_new(st_slice group_id, int32_t offsets_partition, int64_t now_ms);
/* Frees the group, its members and offsets (timers must be stopped first). */
void group_free(consumer_group *g);

const char *group_state_name(cg_state s);
void group_transition(consumer_group *g, cg_state to, int64_t now_ms);

cg_member *group_find_member(const consumer_group *g, st_slice member_id);
cg_member *group_find_static(const consumer_group *g, st_slice instance_id);
size_t group_size(const consumer_group *g);

/* A new member (the caller fills protocols); NULL on allocation failure. */
cg_member *cg_member_new(consumer_group *g, const char *member_id, st_slice instance_id,
                               st_slice client_id, const char *client_host,
                               int32_t session_timeout_ms, int32_t rebalance_timeout_ms);
/* Adds m; the first member becomes leader. */
int group_add_member(consumer_group *g, cg_member *m);
/* Unlinks m (choosing a new leader if it led) and frees it. */
void group_remove_member(consumer_group *g, cg_member *m);
void cg_member_free(cg_member *m);
/* Replaces m's protocols with copies of the given ones; false on no memory. */
bool cg_member_set_protocols(cg_member *m, const st_slice *names, const st_slice *metadata,
                                int32_t n);
bool cg_member_same_protocols(const cg_member *m, const st_slice *names,
                                 const st_slice *metadata, int32_t n);
const cg_protocol *cg_member_protocol(const cg_member *m, const char *name);

/* Whether protocol_type and every member support one of the protocols
 * (INCONSISTENT_GROUP_PROTOCOL otherwise): an empty group takes anything. */
bool group_supports(const consumer_group *g, st_slice protocol_type, const st_slice *names, int32_t n);
/* The protocol every member supports that most members list first (ties:
 * the earlier in the leader's... first member's list); NULL if none. */
const char *group_select_protocol(const consumer_group *g);

bool group_all_joined(const consumer_group *g);
bool group_has_offsets(const consumer_group *g);

/* Offsets: the key for a topic/partition. */
st_slice group_offset_key(st_slice topic, int32_t partition, uint8_t *buf, size_t buflen);
cg_offset *group_get_offset(const consumer_group *g, st_slice topic, int32_t partition);
/* Stores (copying metadata); false on no memory. */
bool group_put_offset(consumer_group *g, st_slice topic, int32_t partition, const cg_offset *o);
void group_delete_offset(consumer_group *g, st_slice topic, int32_t partition);
/* Splits an offsets-map key into topic and partition. */
void group_offset_key_parse(const char *key, st_slice *topic, int32_t *partition);

#endif
