/* client_fetcher_records.h — the records one Fetch response brought for
 * one partition (a "chunk"), and reading them in offset order (internal).
 *
 * Owns a copy of the partition's record bytes and walks them: batch by
 * batch (CRC checked when asked), decompressing (any of Kafka's codecs),
 * skipping records below the consumer's position (a fetch from the middle
 * of a batch), control batches (transaction markers) and, for
 * read_committed, the batches of aborted transactions, using the response's
 * aborted-transaction list as Java's consumer does. The position moves past
 * every batch finished, so commits step over markers and aborted data.
 *
 * Only complete batches count: a batch cut short at the end of the response
 * is fetched again by the next request, from kc_chunk_end_offset(). Never
 * reads past the copy; decompression is bounded by max_uncompressed. No
 * network, no clock: the unit tests build chunks from batches directly. */
#ifndef STRAIT_CLIENT_FETCHER_RECORDS_H
#define STRAIT_CLIENT_FETCHER_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/record_batch.h"

typedef struct kc_aborted_txn {
    int64_t producer_id;
    int64_t first_offset;
} kc_aborted_txn;

typedef struct kc_chunk {
    struct kc_chunk *next;        /* the owner's queue */
    uint8_t *data;                /* the record bytes (owned) */
    size_t len;
    st_batch_iter batches;
    bool in_batch;                /* records is iterating `batch` */
    st_batch batch;
    st_record_iter records;
    bool failed;                  /* an error was reported: nothing more */
    kc_aborted_txn *aborted;      /* sorted by first_offset (owned) */
    size_t aborted_count;
    size_t aborted_next;
    int64_t *open_aborts;         /* producer ids inside an aborted transaction */
    size_t open_count;
    size_t open_cap;
    bool read_committed;
    size_t max_uncompressed;
    int64_t end_offset;           /* after the last complete batch; -1 when none */
} kc_chunk;

/* One record; slices are valid until the next kc_chunk_next/free call. */
typedef struct kc_chunk_record {
    int64_t offset;
    int64_t timestamp;
    int timestamp_type;           /* 0 create time, 1 log append time */
    int32_t leader_epoch;
    int codec;                    /* the batch's codec (attributes bits 0-2: ST_CODEC_*) */
    st_record rec;                /* key, value, headers (st_header_iter) */
} kc_chunk_record;

typedef enum kc_chunk_status {
    KC_CHUNK_RECORD,              /* *out is the next record */
    KC_CHUNK_END,                 /* nothing more in this chunk */
    KC_CHUNK_ERROR,               /* a corrupt batch: errstr says which; the chunk is done */
} kc_chunk_status;

/* Copies records[0..len) and the aborted list. NULL when out of memory. */
kc_chunk *kc_chunk_new(const uint8_t *records, size_t len, const kc_aborted_txn *aborted,
                       size_t aborted_count, bool read_committed, bool verify_crc,
                       size_t max_uncompressed);
void kc_chunk_free(kc_chunk *ch);

/* The next record at or after *position; moves *position past it (and past
 * every batch finished or skipped). */
kc_chunk_status kc_chunk_next(kc_chunk *ch, int64_t *position, kc_chunk_record *out,
                              char *errstr, size_t errlen);

#endif
