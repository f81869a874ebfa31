/* record.h — one record of a RecordBatch v2, its headers, and the control
 * records (transaction markers) that control batches carry.
 *
 * Owns the record encoding: varint length, attributes int8, timestampDelta
 * varlong, offsetDelta varint, key and value (varint length, -1 = null),
 * varint header count, then per header a key (varint length, never null) and
 * a value (varint length, -1 = null). Decoding never allocates: slices point
 * into the bytes being read, which the caller keeps alive. Never reads past
 * the record's declared length, and a record must use exactly that length. */
#ifndef STRAIT_RECORD_H
#define STRAIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"
#include "wire.h"

/* Smallest encoded record: length, attributes, timestamp delta, offset
 * delta, key length, value length, header count — one byte each. */
#define ST_RECORD_MIN_SIZE 7

typedef struct st_record_header {
    st_slice key;   /* never null */
    st_slice value; /* len < 0: null */
} st_record_header;

/* A record to encode; the caller owns every slice. */
typedef struct st_record_fields {
    int32_t offset_delta;
    int64_t timestamp_delta;
    st_slice key;   /* len < 0: null */
    st_slice value; /* len < 0: null (a tombstone) */
    const st_record_header *headers;
    size_t header_count;
} st_record_fields;

/* A decoded record. offset and timestamp are absolute; the batch iterator
 * fills them in (st_record_decode leaves them 0). */
typedef struct st_record {
    int8_t attributes;
    int64_t timestamp_delta;
    int32_t offset_delta;
    int64_t offset;
    int64_t timestamp;
    st_slice key;
    st_slice value;
    int32_t header_count;
    st_slice headers; /* the encoded header entries; walk with st_header_iter */
} st_record;

/* Appends one length-prefixed record. ST_ERR_MALFORMED for a null header
 * key, ST_ERR_TOO_LARGE when it cannot fit Kafka's int32 lengths. */
st_err st_record_write(st_buf *out, const st_record_fields *rec);

/* Reads one length-prefixed record from r. ST_ERR_TRUNCATED when r ends
 * before the declared length; ST_ERR_MALFORMED when the fields do not fill
 * exactly that length or a length/count is impossible. */
st_err st_record_read(st_reader *r, st_record *rec);

/* Walks the headers of a record that st_record_read accepted. */
typedef struct st_header_iter {
    st_reader r;
    int32_t left;
} st_header_iter;

void st_header_iter_init(st_header_iter *it, const st_record *rec);
bool st_header_iter_next(st_header_iter *it, st_record_header *h);

/* ---- Control records: key = version int16, type int16. */
enum st_control_type {
    ST_CONTROL_ABORT = 0,
    ST_CONTROL_COMMIT = 1,
};

typedef struct st_control_key {
    int16_t version;
    int16_t type; /* st_control_type, or a type this code does not know */
} st_control_key;

/* Transaction marker value = version int16, coordinatorEpoch int32. */
typedef struct st_txn_marker {
    int16_t type; /* ST_CONTROL_ABORT or ST_CONTROL_COMMIT */
    int32_t coordinator_epoch;
} st_txn_marker;

/* Parse a control record's key; ST_ERR_MALFORMED when null, short or of
 * negative version. Newer versions are read by their known prefix. */
st_err st_control_key_parse(st_slice key, st_control_key *out);
/* Parse a commit/abort marker record (key and value); ST_ERR_UNSUPPORTED for
 * other control types. */
st_err st_txn_marker_parse(const st_record *rec, st_txn_marker *out);
/* Version-0 encodings, as Kafka writes them, into fixed-size arrays. */
#define ST_CONTROL_KEY_SIZE 4
#define ST_TXN_MARKER_VALUE_SIZE 6
void st_control_key_encode(uint8_t out[ST_CONTROL_KEY_SIZE], int16_t type);
void st_txn_marker_value_encode(uint8_t out[ST_TXN_MARKER_VALUE_SIZE],
                                int32_t coordinator_epoch);

#endif
