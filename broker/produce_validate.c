/* produce_validate.c — Produce records checks (see produce_validate.h). */
#include "broker/produce_validate.h"

#include "common/kafka_error.h"
#include "common/legacy_message_set.h"

static produce_verdict reject(int16_t error, const char *message)
{
    produce_verdict v;
    v.error = error;
    v.message = message;
    return v;
}

static produce_verdict batch_error(st_err err)
{
    switch (err) {
    case ST_ERR_CORRUPT:
        return reject(KAFKA_CORRUPT_MESSAGE, "record batch CRC mismatch");
    case ST_ERR_UNSUPPORTED:
        return reject(KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT,
                      "message format v0/v1 is not supported; use record batches (magic 2)");
    default:
        return reject(KAFKA_CORRUPT_MESSAGE, "malformed record batch");
    }
}

static bool timestamp_ok(const topic_config *tc, int64_t ts, int64_t now_ms)
{
    if (tc->message_timestamp_type != BROKER_TIMESTAMP_CREATE_TIME)
        return true;
    if (now_ms - ts > tc->message_timestamp_before_max_ms && ts < now_ms)
        return false;
    return !(ts - now_ms > tc->message_timestamp_after_max_ms && ts > now_ms);
}

static produce_verdict check_records(const st_batch *batch, const topic_config *tc,
                                     int64_t now_ms, size_t max_uncompressed)
{
    st_record_iter it;
    if (st_record_iter_init(&it, batch, max_uncompressed) != ST_OK) {
        st_record_iter_free(&it);
        return reject(KAFKA_CORRUPT_MESSAGE, "cannot decompress the record batch");
    }
    produce_verdict v = reject(KAFKA_NONE, NULL);
    st_record rec;
    int32_t expected_delta = 0;
    while (!v.error && st_record_iter_next(&it, &rec)) {
        if (rec.offset_delta != expected_delta++)
            v = reject(KAFKA_INVALID_RECORD, "record offset deltas are not sequential from 0");
        else if (tc->cleanup_compact && rec.key.len < 0)
            v = reject(KAFKA_INVALID_RECORD, "Compacted topic cannot accept message without key");
        else if (!timestamp_ok(tc, rec.timestamp, now_ms))
            v = reject(KAFKA_INVALID_TIMESTAMP, "record timestamp is outside the allowed range");
    }
    if (!v.error && it.err)
        v = reject(KAFKA_CORRUPT_MESSAGE, "records do not match the batch header");
    st_record_iter_free(&it);
    return v;
}

/* Produce v0-2 carry magic 0/1 message sets, converted into converted; v3+
 * carry record batches only (Kafka's ProduceRequest rule). */
static produce_verdict check_format(st_slice *records, int16_t version, size_t max_uncompressed,
                                    st_buf *converted)
{
    bool legacy = records->len > ST_BATCH_OFF_MAGIC &&
                  records->ptr[ST_BATCH_OFF_MAGIC] != ST_BATCH_MAGIC;
    if (version >= 3)
        return legacy ? reject(KAFKA_INVALID_RECORD, "Produce requests with version 3 and above "
                                                     "must carry record batches (magic 2)")
                      : reject(KAFKA_NONE, NULL);
    if (!legacy)
        return reject(KAFKA_INVALID_RECORD, "Produce requests before version 3 must carry "
                                            "message sets of magic 0 or 1");
    st_err err = st_legacy_to_batch(records->ptr, (size_t)records->len, max_uncompressed,
                                    converted, NULL);
    if (err == ST_ERR_CORRUPT)
        return reject(KAFKA_CORRUPT_MESSAGE, "message CRC mismatch");
    if (err)
        return reject(KAFKA_CORRUPT_MESSAGE, "malformed message set");
    *records = st_slice_from(converted->data, converted->len);
    return reject(KAFKA_NONE, NULL);
}

produce_verdict produce_validate(st_slice records, int16_t version, const topic_config *tc,
                                 int64_t now_ms, size_t max_uncompressed, st_buf *converted)
{
    if (records.len <= 0)
        return reject(KAFKA_INVALID_RECORD, "a partition's records are empty");
    produce_verdict format = check_format(&records, version, max_uncompressed, converted);
    if (format.error)
        return format;
    st_batch_iter it;
    st_batch_iter_init(&it, records.ptr, (size_t)records.len, true);
    st_batch batch, extra;
    st_batch_status status = st_batch_iter_next(&it, &batch);
    if (status == ST_BATCH_ERROR)
        return batch_error(it.err);
    if (status != ST_BATCH_OK)
        return reject(KAFKA_CORRUPT_MESSAGE, "the record batch is truncated");
    if (st_batch_iter_next(&it, &extra) != ST_BATCH_END)
        return reject(KAFKA_INVALID_RECORD, "Produce requests must carry exactly one record "
                                            "batch per partition");
    if (batch.size > (size_t)tc->max_message_bytes)
        return reject(KAFKA_MESSAGE_TOO_LARGE, "the record batch is larger than "
                                               "max.message.bytes");
    if (st_batch_is_control(&batch.header))
        return reject(KAFKA_INVALID_RECORD, "clients cannot write control batches");
    produce_verdict v = check_records(&batch, tc, now_ms, max_uncompressed);
    v.batch = batch;
    return v;
}
