/* client_producer.h — the producer's state, shared by its three files
 * (internal):
 *
 *   client_producer.c     the public calls: produce, poll, flush, close;
 *                         topics and records waiting for metadata; delivery
 *                         reports.
 *   client_sender.c       turning ready batches into Produce requests per
 *                         leader, and their responses into completions,
 *                         retries and metadata refreshes.
 *   client_idempotence.c  the producer id and epoch (InitProducerId), the
 *                         per-partition sequence numbers, and the reset
 *                         after a sequence gap.
 *
 * Ownership: a batch is in exactly one place at a time: its partition's
 * queue, one in-flight Produce request, or the done queue waiting for its
 * delivery reports. Its buffer.memory charge is released only when its
 * reports have been served. */
#ifndef STRAIT_CLIENT_PRODUCER_H
#define STRAIT_CLIENT_PRODUCER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/client_accumulator.h"
#include "common/client_core.h"
#include "common/strmap.h"

/* A record waiting for its topic's metadata (its bytes copied). */
typedef struct kc_pending {
    struct kc_pending *next;
    int32_t partition;           /* explicit, or KC_PARTITION_ANY */
    kc_append rec;               /* slices into data */
    st_record_header *headers;   /* into data */
    uint8_t *data;
    size_t charged;
    int64_t enqueued_ms;
} kc_pending;

typedef struct kc_ptopic {
    char *name;
    kc_partq **parts;            /* partition queues, as many as the metadata says */
    int32_t count;
    int32_t sticky;              /* the sticky partition for records without key; -1 none */
    kc_pending *pending_head;    /* records waiting for metadata, in order */
    kc_pending *pending_tail;
    /* enable.gapless.guarantee: a record failed before it reached a
     * partition, so every partition of the topic is halted from then on
     * (partitions the metadata adds later too); KC_OK when not */
    kc_err halt_err;
    char *halt_msg;              /* owned (freed with the topic) */
} kc_ptopic;

typedef enum kc_idem_state {
    KC_IDEM_OFF,        /* enable.idempotence=false */
    KC_IDEM_NEED_PID,   /* ask for a producer id once nothing is in flight */
    KC_IDEM_REQUESTING, /* InitProducerId in flight */
    KC_IDEM_READY,
    KC_IDEM_FATAL,
} kc_idem_state;

typedef struct kc_idem {
    kc_idem_state state;
    int64_t producer_id;
    int16_t producer_epoch;
    int64_t retry_at_ms;
    int attempts;
} kc_idem;

struct kc_producer {
    kc_client *client;
    kc_config *conf;             /* the client's */
    kc_accum accum;
    strmap topics;               /* name → kc_ptopic* */
    kc_ptopic **topic_list;      /* the same, for ordered walks */
    size_t topic_count;
    size_t topic_cap;
    kc_idem idem;

    kc_batch *done_head;         /* completed batches awaiting their reports */
    kc_batch *done_tail;
    size_t outstanding;          /* records produced, not yet reported */
    size_t batches_in_flight;

    ev_timer timer;              /* linger, retry and expiry wake-ups */
    int64_t next_wake_ms;        /* when timer fires (INT64_MAX: idle) */
    ev_timer kick;               /* run the sender soon (and, with an external
                                  * loop, serve delivery reports) */
    bool in_sender;
    bool sender_again;
    bool destroying;
    size_t drain_rotation;

    kc_err fatal_err;            /* KC_OK unless fatal */
    char fatal_msg[384];
};

/* client_producer.c */
void kc_producer_kick(kc_producer *p);
/* Puts a finished batch (err 0 = written at base_offset) on the done queue. */
void kc_producer_complete(kc_producer *p, kc_batch *b, kc_err err, const char *errstr);
/* Moves pending records of topics with metadata into their partitions, and
 * fails those that waited longer than max.block.ms. */
void kc_producer_route_pending(kc_producer *p, int64_t now_ms, int64_t *wake_ms);
/* Fails everything queued and pending with err (fatal errors, freeing). */
void kc_producer_fail_all(kc_producer *p, kc_err err, const char *errstr);
/* Makes the producer fatal: everything fails, kc_produce answers KC_ERR_FATAL. */
void kc_producer_set_fatal(kc_producer *p, kc_err err, const char *msg);
/* enable.gapless.guarantee: batch b failed for good with err (why says
 * how); every later record of its partition fails with err too, reported
 * in order, and is never sent. Does nothing when the property is off. */
void kc_producer_halt_partition(kc_producer *p, kc_batch *b, kc_err err, const char *why);

/* client_sender.c */
void kc_sender_run(kc_producer *p);

/* client_idempotence.c */
void kc_idem_init(kc_producer *p);
/* Whether batches may be sent now (a producer id is ready, or idempotence
 * is off); may start an InitProducerId request. */
bool kc_idem_ready(kc_producer *p, int64_t now_ms, int64_t *wake_ms);
/* Gives a batch its producer id, epoch and sequence before a send. */
void kc_idem_stamp(kc_producer *p, kc_batch *b);
/* A batch was acknowledged. */
void kc_idem_acked(kc_producer *p, kc_batch *b);
/* Asks for a new producer id (epoch) once nothing is in flight; queued
 * batches then get new sequences. */
void kc_idem_need_reset(kc_producer *p, const char *why);

#endif
