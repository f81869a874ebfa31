/* legacy_message_set.h — Kafka's message sets of magic 0 and 1 (what
 * Produce v0-2 carry), converted to one RecordBatch v2 as Kafka's broker
 * converts them on append.
 *
 * Owns the legacy layout: per message an int64 offset, int32 size, CRC-32
 * (IEEE) of the rest, magic, attributes (codec bits 0-2, LogAppendTime bit 3
 * for magic 1), a timestamp (magic 1 only), key and value; a compressed
 * message wraps a whole inner message set. Every CRC is checked
 * (ST_ERR_CORRUPT), sizes are bounded by the input and decompression by
 * max_uncompressed. Records keep keys, values and timestamps (magic 0 has
 * none: -1); offsets become 0..n-1; the batch keeps the wrapper's codec. */
#ifndef STRAIT_LEGACY_MESSAGE_SET_H
#define STRAIT_LEGACY_MESSAGE_SET_H

#include "common/record_batch.h"

/* Appends the converted batch to out; *records gets the record count. */
st_err st_legacy_to_batch(const uint8_t *data, size_t len, size_t max_uncompressed,
                          st_buf *out, int32_t *records);

#endif
