/* client_consumer.h — the consumer's state, shared by its files (internal):
 *
 *   client_consumer.c              the public calls: new, poll, seek, pause,
 *                                  assign, subscribe, close; the two kinds of
 *                                  steps (below); events to the application.
 *   client_consumer_config.c       properties.
 *   client_consumer_list.c         kc_partition_list.
 *   client_consumer_assignment.c   the assigned partitions (kc_tp) and their
 *                                  positions.
 *   client_consumer_subscription.c topic names and regexes, matched against
 *                                  the metadata.
 *   client_fetcher.c               Fetch requests and responses.
 *   client_fetcher_reset.c         ListOffsets for auto.offset.reset / seek
 *                                  to the beginning or end.
 *   client_fetcher_records.c       reading fetched record batches.
 *   client_group*.c                the group (see client_group.h).
 *
 * Two kinds of steps. The loop step (kc_consumer_loop_step) runs from the
 * client's loop (hooks, timers, response callbacks): it sends requests and
 * files their answers, and never calls the application. The app step
 * (kc_consumer_app_step) runs only from the blocking public calls (poll,
 * commit_sync, close): it runs rebalances and serves the callbacks, which
 * may call blocking functions in turn.
 *
 * Ownership: a kc_tp belongs to the assignment (tps/tp_index) until
 * removed; requests in flight never hold kc_tp pointers, only (topic,
 * partition, epoch), looked up again when the answer comes. */
#ifndef STRAIT_CLIENT_CONSUMER_H
#define STRAIT_CLIENT_CONSUMER_H

#include <ev.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/client_consumer_config.h"
#include "common/client_core.h"
#include "common/client_fetcher_records.h"
#include "common/strmap.h"

typedef struct kc_group kc_group;

/* ---- assigned partitions ------------------------------------------------------ */

typedef enum kc_tp_state {
    KC_TP_NEED_COMMITTED,  /* the committed offset is to be looked up */
    KC_TP_COMMITTED_WAIT,  /* OffsetFetch in flight */
    KC_TP_NEED_RESET,      /* ListOffsets (reset_to) is to be sent */
    KC_TP_RESET_WAIT,      /* ListOffsets in flight */
    KC_TP_READY,           /* the position is known: fetching */
    KC_TP_FAILED,          /* auto.offset.reset=none: reported; waits for a seek */
} kc_tp_state;

typedef struct kc_tp {
    char *topic;
    int32_t partition;
    kc_tp_state state;
    int64_t reset_to;          /* KC_OFFSET_BEGINNING or KC_OFFSET_END (NEED_RESET) */
    int64_t position;          /* next offset poll returns; KC_OFFSET_INVALID until READY */
    int32_t position_epoch;    /* leader epoch of the last record returned, -1 */
    int64_t fetch_offset;      /* where the next Fetch starts */
    uint32_t epoch;            /* +1 whenever the position is set: late answers are dropped */
    bool paused;
    bool fetch_in_flight;
    int32_t fetch_node;        /* where the Fetch in flight went */
    kc_chunk *chunk_head;      /* fetched, not yet returned */
    kc_chunk *chunk_tail;
    size_t chunk_count;
    size_t buffered;           /* bytes in the chunks (not those retired) */
    int64_t high_watermark;
    int64_t last_stable;
    int64_t log_start;
    int64_t retry_at_ms;       /* backoff after an error */
    int64_t committed;         /* last offset known committed, KC_OFFSET_INVALID */
} kc_tp;

/* ---- subscription ----------------------------------------------------------------- */

typedef struct kc_subscription {
    char **names;              /* literal topic names */
    size_t name_count;
    char **patterns;           /* "^..." as given */
    regex_t *regexes;
    size_t regex_count;
    char **matched;            /* sorted: the names plus the topics the regexes match */
    size_t matched_count;
} kc_subscription;

/* ---- events for the application ---------------------------------------------------- */

typedef enum kc_cevent_kind {
    KC_CEV_ERROR,              /* returned by poll as an error message */
    KC_CEV_COMMIT,             /* an async commit finished: its callback runs */
} kc_cevent_kind;

typedef struct kc_cevent {
    struct kc_cevent *next;
    kc_cevent_kind kind;
    kc_err err;
    char *errstr;
    char *topic;               /* NULL when not about a partition */
    int32_t partition;
    kc_partition_list *offsets; /* COMMIT (owned) */
    kc_commit_cb cb;
    void *opaque;
} kc_cevent;

/* ---- commits and committed-offset lookups (client_group_commit.c) ---------------- */

typedef struct kc_commit_job kc_commit_job;
typedef struct kc_lookup_job kc_lookup_job;

/* A node with a Fetch in flight (one at a time per node, as Java). */
typedef struct kc_fetch_node {
    int32_t node_id;
    bool in_flight;
} kc_fetch_node;

typedef enum kc_consume_mode {
    KC_MODE_NONE,
    KC_MODE_ASSIGNED,          /* kc_consumer_assign */
    KC_MODE_SUBSCRIBED,        /* kc_consumer_subscribe */
} kc_consume_mode;

struct kc_consumer {
    kc_client *client;
    const kc_config *conf;     /* the client's */
    kc_consumer_settings s;    /* owned copy */
    kc_rebalance_cb rebalance_cb;
    void *rebalance_opaque;
    kc_commit_cb commit_cb;
    void *commit_opaque;
    kc_ready_cb ready_cb;
    void *ready_opaque;
    bool cooperative;          /* the rebalance protocol */

    kc_consume_mode mode;
    kc_subscription sub;

    kc_tp **tps;               /* the assignment, in the order added */
    size_t tp_count;
    size_t tp_cap;
    strmap tp_index;           /* "topic\0" + partition → kc_tp* */
    size_t rotation;           /* where poll starts looking for records */

    kc_group *group;           /* NULL without group.id */
    kc_commit_job *commits;    /* commit requests, in order */
    kc_lookup_job *lookups;    /* committed-offset lookups */
    bool positions_lookup;     /* a lookup for NEED_COMMITTED partitions is in flight */
    int64_t next_auto_commit_ms;

    kc_fetch_node *nodes;
    size_t node_count;
    size_t node_cap;

    kc_cevent *ev_head;        /* for the application */
    kc_cevent *ev_tail;
    st_arena poll_arena;       /* what the last poll returned: topics, header
                                * arrays and keys, error texts */
    kc_retired retired;        /* chunks and decompressed buffers the last
                                * poll's keys and values point into */
    kc_message *msgs;
    size_t msg_cap;

    ev_timer kick;             /* runs the loop step soon */
    int loop_depth;            /* > 0 inside the loop step, hooks, ready_cb */
    int in_callback;           /* > 0 while an application callback runs */
    bool ready_signalled;      /* ready_cb called since the last poll */
    bool ready_pending;        /* ready_cb to be called from the kick */
    bool metadata_changed;     /* a metadata answer arrived: re-evaluate */
    bool sub_waiting_md;       /* regex subscription: all-topics metadata first */
    size_t error_events;       /* queued error events (bounded) */
    size_t commit_events;      /* queued async commit results */
    bool closing;              /* close() is under way: no new work */
    bool closed;               /* the client is gone or going */
    int64_t last_poll_ms;
    int64_t last_run_ms;       /* poll last ran the loop */
    kc_err fatal_err;          /* KC_OK unless fatal (FENCED_INSTANCE_ID) */
    char fatal_msg[384];
};

/* ---- client_consumer.c ---- */
void kc_consumer_kick(kc_consumer *c);
/* Whether we run inside the client's loop (no blocking calls there). */
bool kc_consumer_in_loop(const kc_consumer *c);
void kc_consumer_loop_step(kc_consumer *c);
/* Runs rebalances and callbacks; only from the blocking public calls. */
void kc_consumer_app_step(kc_consumer *c);
/* Queues an error for poll (topic may be NULL). */
void kc_consumer_error(kc_consumer *c, kc_err err, const char *topic, int32_t partition,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void kc_consumer_set_fatal(kc_consumer *c, kc_err err, const char *msg);
void kc_consumer_push_event(kc_consumer *c, kc_cevent *ev);
/* Tells an external-loop application that poll has something. */
void kc_consumer_signal_ready(kc_consumer *c);
/* Runs an application callback (counts the nesting). */
void kc_consumer_call_rebalance(kc_consumer *c, kc_rebalance_event event,
                                const kc_partition_list *parts);
/* Runs the loop once for at most timeout_ms (for the blocking calls). */
void kc_consumer_wait(kc_consumer *c, int64_t timeout_ms);

/* ---- client_consumer_assignment.c ---- */
kc_tp *kc_tp_find(const kc_consumer *c, const char *topic, int32_t partition);
kc_tp *kc_tp_find_slice(const kc_consumer *c, st_slice topic, int32_t partition);
/* Adds a partition (state from the start offset: an offset → READY,
 * BEGINNING/END → NEED_RESET, STORED/INVALID → NEED_COMMITTED with a group
 * else NEED_RESET by auto.offset.reset). NULL when out of memory. */
kc_tp *kc_tp_add(kc_consumer *c, const char *topic, int32_t partition, int64_t offset);
void kc_tp_remove(kc_consumer *c, kc_tp *tp);
void kc_tp_remove_all(kc_consumer *c);
/* Sets where to read from (as kc_tp_add), dropping buffered records and
 * making answers in flight stale. */
void kc_tp_seek(kc_consumer *c, kc_tp *tp, int64_t offset);
/* The reset policy applied: NEED_RESET, or FAILED with an error event. */
void kc_tp_reset_by_policy(kc_consumer *c, kc_tp *tp, kc_err why, const char *reason);
/* Drops the buffered records (into c->retired: what the last poll returned
 * stays valid). */
void kc_tp_drop_chunks(kc_consumer *c, kc_tp *tp);
/* Takes the head chunk off tp's queue (into c->retired). */
void kc_tp_pop_chunk(kc_consumer *c, kc_tp *tp);
/* The assignment as a new list (offsets = positions), NULL when out of memory. */
kc_partition_list *kc_tp_list(const kc_consumer *c);

/* ---- client_consumer_subscription.c ---- */
void kc_sub_init(kc_subscription *s);
void kc_sub_free(kc_subscription *s);
/* Replaces the subscription; KC_ERR_INVALID_ARG naming a bad regex. */
kc_err kc_sub_set(kc_subscription *s, const char *const *topics, size_t n, char *errstr,
                  size_t errlen);
bool kc_sub_has_regex(const kc_subscription *s);
/* Recomputes matched from the metadata cache; true when it changed. */
bool kc_sub_update(kc_subscription *s, kc_client *client, bool exclude_internal);
bool kc_sub_contains(const kc_subscription *s, const char *topic);

/* ---- client_fetcher.c ---- */
void kc_fetcher_run(kc_consumer *c);
void kc_fetcher_free(kc_consumer *c);

/* ---- client_fetcher_reset.c ---- */
void kc_reset_run(kc_consumer *c);

#endif
