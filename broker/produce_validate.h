/* produce_validate.h — what Kafka checks in a Produce request's records
 * before anything is appended, with the error code it answers.
 *
 * Owns the checks, never the bytes: exactly one RecordBatch v2 per
 * partition (INVALID_RECORD otherwise), CRC (CORRUPT_MESSAGE), magic 0/1
 * (UNSUPPORTED_FOR_MESSAGE_FORMAT), batch size against max.message.bytes
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

produce_verdict produce_validate(st_slice records, const topic_config *tc, int64_t now_ms,
                                 size_t max_uncompressed);

#endif
