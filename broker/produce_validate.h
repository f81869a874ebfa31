/* produce_validate.h — what Kafka checks in a Produce request's records
 * before anything is appended, with the error code it answers.
 *
 * Owns the checks, never the bytes: exactly one RecordBatch v2 per
 * partition (INVALID_RECORD otherwise; Produce v0-2's magic 0/1 message sets
 * are converted to one first, as Kafka converts them), CRC
 * (CORRUPT_MESSAGE), batch size against max.message.bytes
 * (MESSAGE_TOO_LARGE), no control batches from clients, records that match
 * the header (count, sequential offset deltas), keys on compacted topics,
 * and timestamps within message.timestamp.before/after.max.ms
 * (INVALID_TIMESTAMP). Compressed batches are decompressed to check their
 * records, bounded by max_uncompressed. */
#ifndef STRAIT_BROKER_PRODUCE_VALIDATE_H
#define STRAIT_BROKER_PRODUCE_VALIDATE_H

#include <stdint.h>

#include "broker/topic_config.h"
#include "common/record_batch.h"

typedef struct produce_verdict {
    int16_t error;       /* KAFKA_NONE when the batch may be appended */
    const char *message; /* static text naming the problem, NULL when none */
    st_batch batch;      /* the batch (valid when error is NONE) */
} produce_verdict;

/* version is the Produce request's: v0-2 message sets of magic 0/1 are
 * converted to one v2 batch appended to converted (the caller's buffer,
 * which the verdict's batch then points into). */
produce_verdict produce_validate(st_slice records, int16_t version, const topic_config *tc,
                                 int64_t now_ms, size_t max_uncompressed, st_buf *converted);

#endif
