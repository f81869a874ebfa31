/* record_batch.h — Kafka RecordBatch v2 (magic 2): header, validation,
 * walking concatenated batches, iterating records, building batches, and the
 * in-place edits a broker makes (offsets, leader epoch, timestamps, CRC).
 *
 * Owns the 61-byte batch header layout and the CRC rule (CRC-32C of every
 * byte after the crc field). Parsing never allocates except to decompress
 * records, which st_record_iter bounds and owns; every st_batch and every
 * record slice points into caller-owned bytes (or the iterator's buffer) and
 * lives as long as they do. Legacy message sets (magic 0/1) are reported as
 * ST_ERR_UNSUPPORTED, never misparsed. Never aborts on any input. */
#ifndef STRAIT_RECORD_BATCH_H
#define STRAIT_RECORD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "compression.h"
#include "err.h"
#include "record.h"
#include "wire.h"

/* Header layout: byte offsets of each field. */
#define ST_BATCH_OFF_BASE_OFFSET 0         /* int64 */
#define ST_BATCH_OFF_LENGTH 8              /* int32: bytes after this field */
#define ST_BATCH_OFF_LEADER_EPOCH 12       /* int32 */
#define ST_BATCH_OFF_MAGIC 16              /* int8 (same place in magic 0/1) */
#define ST_BATCH_OFF_CRC 17                /* uint32 */
#define ST_BATCH_OFF_ATTRIBUTES 21         /* int16; the CRC covers from here */
#define ST_BATCH_OFF_LAST_OFFSET_DELTA 23  /* int32 */
#define ST_BATCH_OFF_BASE_TIMESTAMP 27     /* int64 */
#define ST_BATCH_OFF_MAX_TIMESTAMP 35      /* int64 */
#define ST_BATCH_OFF_PRODUCER_ID 43        /* int64 */
#define ST_BATCH_OFF_PRODUCER_EPOCH 51     /* int16 */
#define ST_BATCH_OFF_BASE_SEQUENCE 53      /* int32 */
#define ST_BATCH_OFF_RECORD_COUNT 57       /* int32 */
#define ST_BATCH_HEADER_SIZE 61            /* records start here */
#define ST_BATCH_LOG_OVERHEAD 12           /* baseOffset + length */
#define ST_BATCH_MIN_LENGTH (ST_BATCH_HEADER_SIZE - ST_BATCH_LOG_OVERHEAD)
#define ST_BATCH_MAGIC 2

/* Attribute bits. */
#define ST_BATCH_ATTR_CODEC_MASK 0x07
#define ST_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define ST_BATCH_ATTR_TRANSACTIONAL 0x10
#define ST_BATCH_ATTR_CONTROL 0x20
#define ST_BATCH_ATTR_DELETE_HORIZON 0x40 /* baseTimestamp is a delete horizon */

#define ST_NO_PRODUCER_ID ((int64_t)-1)
#define ST_NO_PRODUCER_EPOCH ((int16_t)-1)
#define ST_NO_SEQUENCE ((int32_t)-1)
#define ST_NO_PARTITION_LEADER_EPOCH ((int32_t)-1)

typedef struct st_batch_header {
    int64_t base_offset;
    int32_t batch_length; /* bytes after the length field */
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} st_batch_header;

/* One complete batch: bytes [data, data + size), size = 12 + batch_length. */
typedef struct st_batch {
    st_batch_header header;
    const uint8_t *data;
    size_t size;
} st_batch;

static inline int st_batch_codec(const st_batch_header *h)
{
    return h->attributes & ST_BATCH_ATTR_CODEC_MASK;
}
static inline bool st_batch_is_transactional(const st_batch_header *h)
{
    return (h->attributes & ST_BATCH_ATTR_TRANSACTIONAL) != 0;
}
static inline bool st_batch_is_control(const st_batch_header *h)
{
    return (h->attributes & ST_BATCH_ATTR_CONTROL) != 0;
}
static inline bool st_batch_has_log_append_time(const st_batch_header *h)
{
    return (h->attributes & ST_BATCH_ATTR_LOG_APPEND_TIME) != 0;
}
static inline int64_t st_batch_last_offset(const st_batch_header *h)
{
    return (int64_t)((uint64_t)h->base_offset + (uint64_t)(int64_t)h->last_offset_delta);
}

/* ---- Reading */

/* Reads the 61 header bytes as they are (no checks but the size). */
st_err st_batch_header_read(const uint8_t *p, size_t n, st_batch_header *h);
/* Writes all 61 header bytes from h, crc included as given. */
void st_batch_header_write(uint8_t *p, const st_batch_header *h);

/* CRC-32C of batch[21..size): what the crc field must hold. size >= 61. */
uint32_t st_batch_compute_crc(const uint8_t *batch, size_t size);

/* Checks the batch at the start of p[0..n) and fills *out: magic 2
 * (ST_ERR_UNSUPPORTED for magic 0/1, ST_ERR_MALFORMED for others), a sane
 * length and record count (ST_ERR_MALFORMED), and when verify_crc the CRC
 * (ST_ERR_CORRUPT). ST_ERR_TRUNCATED when p holds only the start of a batch.
 * Bytes after the batch are ignored. */
st_err st_batch_parse(const uint8_t *p, size_t n, bool verify_crc, st_batch *out);

/* Walks concatenated batches (a Produce request's records, a Fetch
 * response's records, a segment file). */
typedef enum st_batch_status {
    ST_BATCH_OK,         /* *out is the next complete, valid batch */
    ST_BATCH_END,        /* every byte was consumed by complete batches */
    ST_BATCH_INCOMPLETE, /* the rest is the start of a batch, cut short */
    ST_BATCH_ERROR,      /* the next batch is bad: see st_batch_iter.err */
} st_batch_status;

typedef struct st_batch_iter {
    const uint8_t *start;
    const uint8_t *p;
    const uint8_t *end;
    bool verify_crc;
    st_err err;
} st_batch_iter;

void st_batch_iter_init(st_batch_iter *it, const uint8_t *data, size_t n,
                        bool verify_crc);
/* After INCOMPLETE or ERROR the iterator stays put and says so again. */
st_batch_status st_batch_iter_next(st_batch_iter *it, st_batch *out);
/* Bytes taken by the complete, valid batches returned so far (where a torn
 * or bad tail begins). */
size_t st_batch_iter_offset(const st_batch_iter *it);

/* Iterates the records of one batch, decompressing it first when needed
 * (into a buffer the iterator owns, at most max_uncompressed bytes). */
typedef struct st_record_iter {
    st_batch_header header;
    st_buf plain; /* decompressed records; unused when uncompressed */
    st_reader r;
    int32_t left; /* records still to read */
    st_err err;
} st_record_iter;

/* Returns the init error (also kept in it->err); st_record_iter_free is
 * needed either way. ST_ERR_UNSUPPORTED for an unknown codec;
 * ST_ERR_TOO_LARGE when decompression passes max_uncompressed;
 * ST_ERR_MALFORMED for bad compressed data (ST_ERR_CORRUPT if the codec's own
 * checksum fails) or a record_count that cannot fit the bytes. Errors from
 * a batch are never ST_ERR_TRUNCATED: the batch itself is complete. */
st_err st_record_iter_init(st_record_iter *it, const st_batch *batch,
                           size_t max_uncompressed);
/* False at the end or on error: it->err is ST_OK only at a clean end (every
 * declared record read, no bytes left over). */
bool st_record_iter_next(st_record_iter *it, st_record *rec);
void st_record_iter_free(st_record_iter *it);

/* ---- Building */

typedef struct st_batch_params {
    int64_t base_offset;
    int32_t partition_leader_epoch;
    int64_t base_timestamp;   /* record timestamps are this + their delta */
    int16_t attributes;       /* LOG_APPEND_TIME/TRANSACTIONAL/CONTROL bits */
    int codec;                /* the compression bits come from here */
    st_compress_opts compress;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
} st_batch_params;

/* Offset 0, timestamp 0, no producer, no leader epoch, uncompressed. */
st_batch_params st_batch_params_default(void);

/* Collects encoded records; finish writes header, records, CRC. */
typedef struct st_batch_builder {
    st_buf records; /* uncompressed records (owned) */
    int32_t count;
    int32_t last_offset_delta;
    int64_t max_timestamp_delta;
} st_batch_builder;

void st_batch_builder_init(st_batch_builder *b);
void st_batch_builder_reset(st_batch_builder *b); /* empty, keeps memory */
void st_batch_builder_free(st_batch_builder *b);
/* Offset deltas must increase from record to record (ST_ERR_MALFORMED). */
st_err st_batch_builder_add(st_batch_builder *b, const st_record_fields *rec);
/* Appends one batch to out. lastOffsetDelta is the last record's offset
 * delta and maxTimestamp base_timestamp + the largest timestamp delta (an
 * empty batch gets 0 and base_timestamp). The builder keeps its records. */
st_err st_batch_builder_finish(const st_batch_builder *b,
                               const st_batch_params *p, st_buf *out);

/* Appends a control batch holding one COMMIT or ABORT marker. p gives the
 * offset, epochs, timestamp and producer; the transactional and control
 * bits are set and compression is off, as Kafka writes markers. */
st_err st_batch_write_txn_marker(const st_batch_params *p,
                                 const st_txn_marker *marker, st_buf *out);

/* ---- In-place edits of one complete batch (size = 12 + batch_length) */

/* baseOffset and partitionLeaderEpoch precede the CRC'd bytes: no CRC work. */
void st_batch_set_base_offset(uint8_t *batch, int64_t base_offset);
void st_batch_set_partition_leader_epoch(uint8_t *batch, int32_t epoch);
/* Sets maxTimestamp and the timestamp-type bit, then the CRC. */
st_err st_batch_set_max_timestamp(uint8_t *batch, size_t size,
                                  bool log_append_time, int64_t max_timestamp);
/* Recomputes and stores the CRC (ST_ERR_TRUNCATED when size < 61). */
st_err st_batch_update_crc(uint8_t *batch, size_t size);

#endif
