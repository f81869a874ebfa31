/* client_accumulator.h — the producer's record batches per partition
 * (internal).
 *
 * Owns: the queue of batches of each partition (kc_partq), appending records
 * to the open batch (closing it when the next record would pass batch.size,
 * or when its codec differs from the batch's: a batch has one codec),
 * deciding when a batch may be sent (full, linger.ms passed, flushing,
 * memory exhausted, retry backoff over), putting retried batches back in
 * their original order, expiring batches past delivery.timeout.ms, and the
 * buffer.memory account: every record is charged its encoded size plus its
 * delivery bookkeeping until its delivery has been reported, a
 * partition's halt (enable.gapless.guarantee): which of its batches must
 * never be written because an earlier one failed for good, and splitting
 * a batch that a broker refused as too large in two (Java's
 * splitAndReenqueue), the pieces taking its place in the queue.
 *
 * Pure logic: no I/O, no clock (callers pass now_ms), so it is unit-tested
 * with a fake clock. The sending state inside kc_batch (wire bytes,
 * sequence, attempts) is the sender's; the accumulator only keeps it. */
#ifndef STRAIT_CLIENT_ACCUMULATOR_H
#define STRAIT_CLIENT_ACCUMULATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/kafka_client.h"
#include "common/record_batch.h"

typedef struct kc_partq kc_partq;

/* What the delivery report of one record needs. */
typedef struct kc_rec_meta {
    void *opaque;
    int64_t timestamp;
} kc_rec_meta;

typedef struct kc_batch kc_batch;
struct kc_batch {
    kc_batch *next;
    kc_partq *pq;               /* NULL for a record that never reached a partition */
    uint64_t order;             /* creation order within the partition */
    int32_t split_index;        /* the index of its first record in the batch as
                                 * created: 0 unless it is a piece of a batch a
                                 * broker refused as too large (kc_batch_split),
                                 * whose pieces share its order. Batches sort by
                                 * (order, split_index). */
    st_batch_builder builder;   /* the uncompressed records while open */
    int codec;                  /* Kafka's codec id the sender compresses with */
    kc_rec_meta *meta;
    int32_t meta_cap;
    int32_t count;
    int64_t base_timestamp;
    int64_t created_ms;
    size_t records_size;        /* encoded records, uncompressed */
    size_t charged;             /* bytes charged to buffer.memory */
    bool closed;                /* no more appends */

    /* the sender's state */
    st_buf wire;                /* the finished RecordBatch, once first sent */
    int32_t base_sequence;      /* -1 until assigned */
    int64_t producer_id;
    int16_t producer_epoch;
    int attempts;               /* sends so far */
    int64_t retry_at_ms;
    bool in_flight;

    /* the outcome, once done */
    kc_err err;
    char *errstr;
    int64_t base_offset;
    int64_t log_append_time;
    const char *topic;          /* for reports of records without a partition */
    int32_t partition;
};

struct kc_partq {
    const char *topic;          /* owned by the producer's topic */
    int32_t partition;
    kc_batch *head;             /* queued batches (not in flight), oldest first */
    kc_batch *tail;
    size_t queued;
    uint64_t next_order;
    int inflight;               /* batches of this partition in flight */
    int32_t inflight_node;      /* the node they went to (the sender's) */

    /* idempotence (the sender's) */
    int32_t next_sequence;      /* for the next batch sent the first time */
    int32_t acked_sequence_end; /* the sequence the broker expects next */
    bool retry_barrier;         /* a batch came back for a retry: send nothing
                                 * until every in-flight batch has returned */

    /* enable.gapless.guarantee: KC_OK while the partition is writable; else
     * every batch at or after (halt_from, halt_from_index) in the (order,
     * split_index) sort (after the one that failed for good) fails with
     * halt_err and halt_msg, never sent */
    kc_err halt_err;
    uint64_t halt_from;
    int32_t halt_from_index;
    char *halt_msg;             /* owned: kc_partq_release frees it; NULL when
                                 * out of memory (reports then use the error's name) */
};

typedef struct kc_accum {
    int32_t batch_size;
    int64_t linger_ms;
    size_t memory_limit;
    size_t memory_used;
    int flushing;               /* > 0: every batch is ready now */
    bool exhausted;             /* someone waits for memory: send everything */
    uint64_t batches_created;   /* counters, so callers can tell what an */
    uint64_t batches_filled;    /* append did */
} kc_accum;

/* The record being appended (slices the caller owns). */
typedef struct kc_append {
    st_slice key;               /* len < 0: null */
    st_slice value;             /* len < 0: null */
    const st_record_header *headers;
    size_t header_count;
    int64_t timestamp;
    void *opaque;
    int codec;                  /* Kafka's codec id of its batch (ST_CODEC_*):
                                 * the producer resolves KC_COMPRESSION_* */
} kc_append;

void kc_accum_init(kc_accum *a, int32_t batch_size, int64_t linger_ms, size_t memory_limit);
void kc_partq_init(kc_partq *pq, const char *topic, int32_t partition);

/* The encoded size of a record with these deltas (what
 * st_record_write would append). */
size_t kc_record_encoded_size(int64_t timestamp_delta, int32_t offset_delta, const kc_append *rec);
/* What a record costs in buffer.memory (its worst-case encoded size plus
 * delivery bookkeeping), before knowing its batch. */
size_t kc_record_charge(const kc_append *rec);

/* Whether charge more bytes fit in buffer.memory. */
static inline bool kc_accum_has_room(const kc_accum *a, size_t charge)
{
    return a->memory_used + charge <= a->memory_limit;
}

/* Appends rec to the partition's open batch, or to a new batch (with
 * rec->codec). A record whose codec differs from the open batch's closes
 * it and starts a new batch. With abort_on_new_batch, when a new batch
 * would be needed because the open one is full (or there is none) nothing
 * is appended and *aborted is set (the sticky partitioner then switches
 * partitions); a codec change never aborts. ST_ERR_NOMEM on allocation
 * failure. */
st_err kc_accum_append(kc_accum *a, kc_partq *pq, const kc_append *rec, int64_t now_ms,
                       bool abort_on_new_batch, bool *aborted);

/* Whether the head batch b may be sent now; when not, *wake_ms is lowered
 * to when it may. */
bool kc_accum_sendable(const kc_accum *a, const kc_batch *b, int64_t now_ms, int64_t *wake_ms);

/* Takes the head batch out of the queue (it is closed from now on). */
kc_batch *kc_partq_pop(kc_partq *pq);
/* Puts a batch back for a retry (or a piece of a split one), before every
 * queued batch that sorts after it (by order, then split_index), so
 * retries keep the original order. */
void kc_partq_requeue(kc_partq *pq, kc_batch *b);
/* Takes out the head batch when it is older than timeout_ms (NULL if not). */
kc_batch *kc_partq_expire_head(kc_partq *pq, int64_t now_ms, int64_t timeout_ms);

/* Halts the partition from batch order `from` on (enable.gapless.guarantee):
 * those batches, and every batch created later, must never be written and
 * fail with err and msg (copied). An open batch older than `from` is closed,
 * so records appended from now on land in a halted batch. An earlier halt
 * stays unless `from` is smaller (then this one replaces it). */
void kc_partq_halt(kc_partq *pq, uint64_t from, kc_err err, const char *msg);
/* The same from just after batch b (which failed for good): the batches
 * created after it and the later pieces of the batch b was split from. */
void kc_partq_halt_after(kc_partq *pq, const kc_batch *b, kc_err err, const char *msg);
/* Whether b (a batch of pq, or NULL) is behind the partition's halt. */
bool kc_partq_halts(const kc_partq *pq, const kc_batch *b);
/* Takes out the head batch when it is behind the halt (NULL if not). */
kc_batch *kc_partq_pop_halted(kc_partq *pq);
/* Frees what the queue itself owns (its halt message), not its batches. */
void kc_partq_release(kc_partq *pq);

/* A batch holding one record that never reached a partition (for its
 * delivery report); NULL on allocation failure. */
kc_batch *kc_batch_new_single(void *opaque, int64_t timestamp, size_t charged);
/* Releases the batch's buffer.memory charge and frees it. */
void kc_batch_free(kc_accum *a, kc_batch *b);
/* Frees the records buffer once the wire bytes exist (the charge stays). */
void kc_batch_drop_records(kc_batch *b);

/* Splits b, a batch of at least 2 records that a broker refused as too
 * large, into two pieces: its first (count + 1) / 2 records and the rest,
 * decoded from its wire bytes as sent (decompressed when needed) and kept
 * uncompressed, to be built again (with b's codec) when sent. The pieces
 * keep b's partition, order, codec, creation time and producer id and
 * epoch; with a base sequence, the first takes b's and the second the one
 * after the first's last record, so the sequences stay continuous; neither
 * has been sent (attempts 0). b's buffer.memory charge is shared between
 * them and b is freed: pieces[0] and pieces[1] are the caller's (to
 * requeue). On error (ST_ERR_UNSUPPORTED: fewer than 2 records or no wire
 * bytes; ST_ERR_NOMEM; a decoding error) b is left as it was. */
st_err kc_batch_split(kc_accum *a, kc_batch *b, kc_batch *pieces[2]);

#endif
