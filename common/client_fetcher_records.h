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
 * network, no clock: the unit tests build chunks from batches directly.
 *
 * Zero copy for the consumer's poll: a record's slices point into the
 * chunk's copy (uncompressed batches) or into the batch's decompressed
 * buffer, and poll hands them to the application as they are. kafka_client.h
 * promises them valid until the next poll, so a kc_retired keeps what they
 * point into: a chunk that leaves its partition's queue, and the
 * decompressed buffer of a batch that ends, go to it when records were taken
 * from them in the current poll (else they are freed at once), and
 * kc_retired_next_poll frees them when the next poll begins. */
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

typedef struct kc_spent kc_spent;

typedef struct kc_chunk {
    struct kc_chunk *next;        /* the owner's queue (or the kc_retired's list) */
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
    /* kc_chunk_poll only: */
    uint64_t taken_poll;          /* the poll a record was last taken in (0: never) */
    uint64_t batch_taken_poll;    /* the same for the current batch */
    kc_spent *spare;              /* carries the current batch's decompressed
                                   * buffer to the kc_retired (owned; allocated
                                   * when a compressed batch starts, so that
                                   * retiring it cannot fail) */
} kc_chunk;

/* A decompressed buffer records were handed out from. */
struct kc_spent {
    kc_spent *next;
    uint8_t *data;                /* owned (malloc'd by st_decompress) */
    size_t size;
};

/* What the current poll handed out pointers into and that its chunk no
 * longer needs (owned: the chunks and buffers are freed by
 * kc_retired_next_poll or kc_retired_free). */
typedef struct kc_retired {
    uint64_t poll;                /* the current poll's number, from 1 */
    kc_chunk *chunks;             /* linked by next */
    kc_spent *spent;
    size_t bytes;                 /* held: chunk lengths and buffer sizes */
} kc_retired;

/* One record. From kc_chunk_next: slices are valid until the next
 * kc_chunk_next/free call. From kc_chunk_poll: until the kc_retired's next
 * poll begins (kc_retired_next_poll), whatever happens to the chunk. */
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
/* kc_chunk_next for a poll: the record's slices stay valid until
 * kc_retired_next_poll(retired), provided the chunk leaves its queue only
 * through kc_retired_add_chunk(retired, ...). Use the same retired on every
 * call for one chunk. A chunk read this way may still be freed directly
 * when no record was taken from it. */
kc_chunk_status kc_chunk_poll(kc_chunk *ch, int64_t *position, kc_chunk_record *out,
                              kc_retired *retired, char *errstr, size_t errlen);

void kc_retired_init(kc_retired *r);
/* A chunk leaves its queue (read to the end, dropped by a seek, ...): kept
 * until the next poll when a record was taken from it in this poll, else
 * freed now. */
void kc_retired_add_chunk(kc_retired *r, kc_chunk *ch);
/* A new poll begins: frees everything retired so far. */
void kc_retired_next_poll(kc_retired *r);
/* Frees everything (r may be reused after kc_retired_init). */
void kc_retired_free(kc_retired *r);

#endif
