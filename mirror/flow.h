/* flow.h — one running flow: a thread that mirrors a source cluster's
 * topics into a target cluster.
 *
 * Owns, per flow: its thread, one libev loop shared by every client of the
 * flow (source consumer, target producer, admin clients: a blocking admin
 * call runs the same loop, so records keep flowing during it), the
 * flow's offset_store connection, the topic sync and checkpoint state, and
 * one mirrored_partition per source partition. Everything here is touched
 * only by the flow's thread, except `stop` (set by main) and the metrics
 * registry (locked inside).
 *
 * Data path (flow_records.c): records polled from the source consumer are
 * either skipped (their origin is the target cluster: loop prevention) or
 * produced, with provenance headers, to the same partition of the target
 * topic by an idempotent producer (acks=all, 5 in flight, order kept,
 * never giving up on a reachable-again target). A delivery acknowledged by
 * the target records source offset -> target offset in the store; the
 * partition's position moves over acknowledged and skipped offsets only.
 * Start-up (resume.c) reads the target log past what the store knows to
 * find where to continue: the target log is the source of truth.
 */
#ifndef STRAIT_MIRROR_FLOW_H
#define STRAIT_MIRROR_FLOW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/kafka_client.h"
#include "common/logging.h"
#include "common/strmap.h"
#include "mirror/checkpoint.h"
#include "mirror/metrics.h"
#include "mirror/mirror_config.h"
#include "mirror/offset_store.h"
#include "mirror/pending_queue.h"
#include "mirror/topic_sync.h"

struct ev_loop;
typedef struct flow_runner flow_runner;

#define END_SAMPLES 32

typedef enum partition_state {
    PARTITION_RESUMING,   /* waiting for the target scan that says where to start */
    PARTITION_RUNNING,    /* assigned to the consumer, records flowing */
    PARTITION_STOPPED,    /* a permanent error: nothing more is mirrored until restart */
} partition_state;

typedef struct mirrored_partition {
    flow_runner *flow;
    char *topic;                  /* source topic (owned) */
    char *target_topic;           /* owned */
    int32_t partition;
    partition_state state;
    int64_t position;             /* every source offset below is mirrored or skipped */
    int64_t resume_offset;        /* the next source offset expected from the consumer */
    int64_t rewound_to;           /* -1, or where a rewind in this batch put the consumer */
    pending_queue pending;        /* produced, not yet acknowledged */
    int64_t records, bytes, errors;
    int64_t source_end;           /* last seen (read_committed end), -1 unknown */
    /* When each source end was first seen (oldest first): the lag in seconds
     * is the age of the oldest end the position has not reached yet, so it
     * does not depend on record timestamps. */
    struct { int64_t end, seen_ms; } end_seen[END_SAMPLES];
    int end_seen_count;
    int64_t target_end;
    int32_t max_message_bytes;    /* of the target topic, -1 unknown */
    char last_error[256];
} mirrored_partition;

struct flow_runner {
    const mirror_config *config;
    const mirror_flow *flow;
    const st_logger *log;
    mirror_metrics *metrics;
    atomic_bool stop;
    pthread_t thread;
    bool started;

    /* thread-owned from here on */
    struct ev_loop *loop;
    offset_store *store;
    kc_client *source_admin;
    kc_client *target_admin;
    kc_consumer *consumer;
    kc_producer *producer;
    topic_sync topics;
    checkpointer checkpoints;
    char *source_cluster_id;      /* owned */
    char *target_cluster_id;      /* owned */
    strmap partitions;            /* "topic:partition" -> mirrored_partition* (owned) */
    mirrored_partition *last_lookup;
    bool assignment_dirty;        /* the consumer's assignment must be redone */
    bool txn_open;                /* a store transaction is open */
    bool produce_blocked;         /* the producer's buffer was full: wait for room */
    size_t blocked_outstanding;   /* records in flight when it was */
    char errbuf[512];
};

/* Starts the flow's thread. The runner must stay at a fixed address until
 * flow_runner_join. */
bool flow_runner_start(flow_runner *fr, const mirror_config *config, const mirror_flow *flow,
                       const st_logger *log, mirror_metrics *metrics);
/* Asks the thread to finish (flush what is in flight, commit the store). */
void flow_runner_request_stop(flow_runner *fr);
void flow_runner_join(flow_runner *fr);

/* ---- internals shared by flow*.c and resume.c ---- */

mirrored_partition *flow_partition(flow_runner *fr, const char *topic, int32_t partition);
mirrored_partition *flow_partition_add(flow_runner *fr, const char *topic,
                                       const char *target_topic, int32_t partition);
void flow_partition_stop(flow_runner *fr, mirrored_partition *mp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
store_key flow_partition_key(const flow_runner *fr, const mirrored_partition *mp);

/* flow_records.c */
void flow_handle_messages(flow_runner *fr, const kc_message **msgs, size_t n);
void flow_on_delivery(const kc_delivery *d, void *opaque);
void flow_advance_idle(flow_runner *fr);

/* resume.c: finds where each PARTITION_RESUMING partition continues;
 * moves those it could settle to PARTITION_RUNNING (resume_offset set). */
void flow_resume_partitions(flow_runner *fr, int timeout_ms);

/* flow_partitions.c: brings the partition set in line with the topic list
 * and redoes the consumer's assignment when needed. */
void flow_sync_partitions(flow_runner *fr);
void flow_apply_assignment(flow_runner *fr);
void flow_publish_status(flow_runner *fr, bool to_store);
/* Records a source end offset read now (for lag in records and seconds). */
void flow_partition_saw_end(mirrored_partition *mp, int64_t end);

#endif
