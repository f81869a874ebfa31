/* producer_state.h — idempotent producers' state in one partition: per
 * producer id, its epoch and the last five batches' sequence ranges and
 * offsets, as Kafka keeps them.
 *
 * Owns the decisions Kafka makes before an idempotent append: a batch seen
 * before (same epoch and sequence range among the last five) is a duplicate
 * and is acknowledged with its original offsets instead of being appended
 * again; an older epoch is INVALID_PRODUCER_EPOCH; a new epoch must start
 * at sequence 0 and a known epoch must continue at last sequence + 1, else
 * OUT_OF_ORDER_SEQUENCE_NUMBER; an unknown producer may start anywhere
 * (its earlier batches may have been removed by retention).
 * Persistence: a snapshot file (`producer-state.snapshot`: a line
 * "offset <next offset>", then one line per producer and remembered batch)
 * written at clean close; at open the snapshot is loaded and the log's
 * batches after its offset replayed (producer_state_replay). */
#ifndef STRAIT_BROKER_PRODUCER_STATE_H
#define STRAIT_BROKER_PRODUCER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/record_batch.h"
#include "common/strmap.h"

#define PRODUCER_BATCHES_KEPT 5

typedef struct producer_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
} producer_batch;

typedef struct producer_entry {
    int64_t producer_id;
    int16_t epoch;
    int32_t batch_count;                         /* <= PRODUCER_BATCHES_KEPT */
    producer_batch batches[PRODUCER_BATCHES_KEPT]; /* oldest first */
    int64_t last_timestamp;
} producer_entry;

typedef struct producer_state {
    strmap by_id; /* 8-byte big-endian producer id -> producer_entry */
} producer_state;

void producer_state_init(producer_state *ps);
void producer_state_free(producer_state *ps);

typedef struct producer_check {
    int16_t error;          /* KAFKA_NONE, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH */
    bool duplicate;         /* acknowledge with the offsets below, append nothing */
    int64_t first_offset;
    int64_t last_offset;
} producer_check;

/* What to do with an idempotent batch (producer id >= 0) before appending. */
producer_check producer_state_check(const producer_state *ps, const st_batch_header *h);
/* Records an appended batch (offsets assigned). */
st_err producer_state_update(producer_state *ps, const st_batch_header *h, int64_t first_offset,
                             int64_t last_offset);

st_err producer_state_save(const producer_state *ps, const char *dir, int64_t next_offset);
/* Loads the snapshot if present; *offset gets where replay must start
 * (0 when there is no snapshot). */
st_err producer_state_load(producer_state *ps, const char *dir, int64_t *offset);
/* Removes the snapshot (so a crash cannot leave a stale one). */
void producer_state_discard_snapshot(const char *dir);

#endif
