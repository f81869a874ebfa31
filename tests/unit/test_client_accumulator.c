/* test_client_accumulator.c — the producer's batching with a fake clock:
 * batches close by batch.size, become sendable by linger.ms (or at once
 * when flushing, full, retried or memory is short), retries go back in
 * order, old batches expire, the abort-on-new-batch hook the sticky
 * partitioner uses, the buffer.memory account, and per-record codecs (a
 * codec change starts a new batch; the batches carry their codec to the
 * wire and back through the consumer's record reader), and splitting a
 * batch a broker refused as too large (halves decoded from the wire bytes
 * as sent, compressed or not: the same records, continuous sequences, the
 * charge kept, the pieces requeued in order, halved again). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/client_accumulator.h"
#include "common/client_fetcher_records.h"

static kc_append record(const char *key, const char *value, int64_t ts, void *opaque)
{
    return (kc_append){
        .key = key ? st_slice_cstr(key) : ST_SLICE_NULL,
        .value = value ? st_slice_cstr(value) : ST_SLICE_NULL,
        .timestamp = ts,
        .opaque = opaque,
    };
}

static kc_append coded(const char *value, int codec, intptr_t opaque)
{
    kc_append rec = record(NULL, value, 1000 + opaque, (void *)opaque);
    rec.codec = codec;
    return rec;
}

static void drain_free(kc_accum *a, kc_partq *pq)
{
    kc_batch *b;
    while ((b = kc_partq_pop(pq)))
        kc_batch_free(a, b);
}

static void test_record_size_matches_encoding(void **state)
{
    (void)state;
    st_record_header h = {st_slice_cstr("seq"), st_slice_cstr("12")};
    kc_append rec = record("key-1", "value-1", 1000, NULL);
    rec.headers = &h;
    rec.header_count = 1;
    st_buf out;
    st_buf_init(&out);
    st_record_fields f = {.offset_delta = 300, .timestamp_delta = -5, .key = rec.key,
                          .value = rec.value, .headers = &h, .header_count = 1};
    assert_int_equal(st_record_write(&out, &f), ST_OK);
    assert_int_equal(kc_record_encoded_size(-5, 300, &rec), out.len);
    st_buf_reset(&out);
    kc_append null_rec = record(NULL, NULL, 0, NULL);
    st_record_fields g = {.key = ST_SLICE_NULL, .value = ST_SLICE_NULL};
    assert_int_equal(st_record_write(&out, &g), ST_OK);
    assert_int_equal(kc_record_encoded_size(0, 0, &null_rec), out.len);
    st_buf_free(&out);
}

static void test_batches_close_by_size(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 1024, 100, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    char value[100];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = 0;
    bool aborted;
    for (int i = 0; i < 30; i++) {
        kc_append rec = record("k", value, 1000 + i, (void *)(intptr_t)i);
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
        assert_false(aborted);
    }
    /* ~107 bytes a record: 9 fit in 1024 with the 61-byte header */
    assert_int_equal(pq.queued, 4);
    assert_int_equal(a.batches_created, 4);
    assert_int_equal(a.batches_filled, 3);
    int total = 0;
    for (kc_batch *b = pq.head; b; b = b->next) {
        assert_true(ST_BATCH_HEADER_SIZE + b->records_size <= 1024);
        for (int32_t i = 0; i < b->count; i++)
            assert_int_equal((intptr_t)b->meta[i].opaque, total + i);
        total += b->count;
        if (b->next)
            assert_true(b->closed);
    }
    assert_int_equal(total, 30);
    assert_false(pq.tail->closed);
    drain_free(&a, &pq);
    assert_int_equal(a.memory_used, 0);
}

/* A record larger than batch.size still goes out, alone in its batch. */
static void test_oversized_record_gets_its_own_batch(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 100, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    char big[500];
    memset(big, 'b', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    bool aborted;
    kc_append small = record("k", "v", 0, NULL), large = record("k", big, 0, NULL);
    assert_int_equal(kc_accum_append(&a, &pq, &small, 0, false, &aborted), ST_OK);
    assert_int_equal(kc_accum_append(&a, &pq, &large, 0, false, &aborted), ST_OK);
    assert_int_equal(kc_accum_append(&a, &pq, &small, 0, false, &aborted), ST_OK);
    assert_int_equal(pq.queued, 3);
    assert_int_equal(pq.head->next->count, 1);
    assert_true(pq.head->next->closed);
    drain_free(&a, &pq);
}

static void test_linger_with_fake_clock(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 50, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    kc_append rec = record("k", "v", 0, NULL);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 1000, false, &aborted), ST_OK);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 1030, false, &aborted), ST_OK);
    assert_int_equal(pq.queued, 1);
    int64_t wake = INT64_MAX;
    assert_false(kc_accum_sendable(&a, pq.head, 1049, &wake));
    assert_int_equal(wake, 1050); /* linger counts from the batch's first record */
    wake = INT64_MAX;
    assert_true(kc_accum_sendable(&a, pq.head, 1050, &wake));
    assert_int_equal(wake, INT64_MAX);
    /* flushing: ready at once */
    a.flushing = 1;
    assert_true(kc_accum_sendable(&a, pq.head, 1000, &wake));
    a.flushing = 0;
    /* someone waits for memory: ready at once */
    a.exhausted = true;
    assert_true(kc_accum_sendable(&a, pq.head, 1000, &wake));
    a.exhausted = false;
    /* full: ready at once */
    pq.head->closed = true;
    assert_true(kc_accum_sendable(&a, pq.head, 1000, &wake));
    drain_free(&a, &pq);
}

static void test_linger_zero(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    kc_append rec = record(NULL, "v", 0, NULL);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 500, false, &aborted), ST_OK);
    int64_t wake = INT64_MAX;
    assert_true(kc_accum_sendable(&a, pq.head, 500, &wake));
    drain_free(&a, &pq);
}

/* The sticky partitioner's hook: no room in the open batch (or no open
 * batch) → nothing appended, *aborted set. */
static void test_abort_on_new_batch(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 200, 10, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    kc_append rec = record(NULL, "0123456789012345678901234567890123456789", 0, NULL);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, true, &aborted), ST_OK);
    assert_true(aborted);
    assert_int_equal(pq.queued, 0);
    assert_int_equal(a.memory_used, 0);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    assert_false(aborted);
    int appended = 1;
    for (;;) {
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, true, &aborted), ST_OK);
        if (aborted)
            break;
        appended++;
    }
    assert_int_equal(pq.queued, 1);
    assert_int_equal(pq.head->count, appended);
    assert_true(appended >= 2);
    /* a popped (sent) batch is closed: the next append needs a new batch */
    kc_batch *b = kc_partq_pop(&pq);
    kc_append small = record(NULL, "x", 0, NULL);
    assert_int_equal(kc_accum_append(&a, &pq, &small, 0, true, &aborted), ST_OK);
    assert_true(aborted);
    kc_batch_free(&a, b);
    drain_free(&a, &pq);
    assert_int_equal(a.memory_used, 0);
}

static void test_retries_keep_their_order(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 100, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    char value[80];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = 0;
    kc_append rec = record(NULL, value, 0, NULL);
    for (int i = 0; i < 5; i++)
        assert_int_equal(kc_accum_append(&a, &pq, &rec, i, false, &aborted), ST_OK);
    assert_int_equal(pq.queued, 5);
    kc_batch *b0 = kc_partq_pop(&pq), *b1 = kc_partq_pop(&pq), *b2 = kc_partq_pop(&pq);
    assert_int_equal(pq.queued, 2);
    /* b1 and b2 come back (b2 first), then b0: the queue is b0 b1 b2 b3 b4 */
    kc_partq_requeue(&pq, b2);
    kc_partq_requeue(&pq, b1);
    kc_partq_requeue(&pq, b0);
    uint64_t want = 0;
    for (kc_batch *b = pq.head; b; b = b->next)
        assert_int_equal(b->order, want++);
    assert_int_equal(want, 5);
    assert_int_equal(pq.tail->order, 4);
    /* a retried batch waits for its backoff */
    pq.head->retry_at_ms = 200;
    pq.head->attempts = 1;
    int64_t wake = INT64_MAX;
    assert_false(kc_accum_sendable(&a, pq.head, 150, &wake));
    assert_int_equal(wake, 200);
    assert_true(kc_accum_sendable(&a, pq.head, 200, &wake));
    drain_free(&a, &pq);
    /* requeue into an empty queue sets the tail */
    kc_partq_init(&pq, "t", 0);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    kc_batch *only = kc_partq_pop(&pq);
    kc_partq_requeue(&pq, only);
    assert_ptr_equal(pq.head, only);
    assert_ptr_equal(pq.tail, only);
    drain_free(&a, &pq);
    assert_int_equal(a.memory_used, 0);
}

static void test_expiry(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 100, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    char value[80];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = 0;
    kc_append rec = record(NULL, value, 0, NULL);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 1000, false, &aborted), ST_OK);
    assert_int_equal(kc_accum_append(&a, &pq, &rec, 2000, false, &aborted), ST_OK);
    assert_null(kc_partq_expire_head(&pq, 1999, 1000));
    kc_batch *old = kc_partq_expire_head(&pq, 2000, 1000);
    assert_non_null(old);
    assert_int_equal(old->created_ms, 1000);
    assert_null(kc_partq_expire_head(&pq, 2000, 1000));
    kc_batch_free(&a, old);
    drain_free(&a, &pq);
}

static void test_memory_account(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 4096);
    kc_partq p0, p1;
    kc_partq_init(&p0, "t", 0);
    kc_partq_init(&p1, "t", 1);
    char value[200];
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = 0;
    kc_append rec = record("key", value, 0, NULL);
    size_t charge = kc_record_charge(&rec);
    assert_true(charge > 200);
    bool aborted;
    int appended = 0;
    while (kc_accum_has_room(&a, charge)) {
        assert_int_equal(kc_accum_append(&a, appended % 2 ? &p1 : &p0, &rec, 0, false, &aborted),
                         ST_OK);
        appended++;
        assert_true(a.memory_used <= a.memory_limit); /* the check is never optimistic */
    }
    assert_true(appended >= 10);
    assert_false(kc_accum_has_room(&a, charge));
    kc_batch *b = kc_partq_pop(&p0);
    kc_batch_free(&a, b);
    assert_true(kc_accum_has_room(&a, charge));
    drain_free(&a, &p0);
    drain_free(&a, &p1);
    assert_int_equal(a.memory_used, 0);
    /* a report for a record that never reached a batch keeps its charge */
    a.memory_used = 300;
    kc_batch *single = kc_batch_new_single((void *)7, 123, 300);
    assert_int_equal(single->count, 1);
    assert_ptr_equal(single->meta[0].opaque, (void *)7);
    kc_batch_free(&a, single);
    assert_int_equal(a.memory_used, 0);
}

/* What a closed batch turns into: a valid RecordBatch with every record. */
static void test_batch_builds_valid_record_batch(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    for (int i = 0; i < 10; i++) {
        char k[16], v[16];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        kc_append rec = record(k, v, 5000 + (i % 3), NULL);
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    }
    kc_batch *b = kc_partq_pop(&pq);
    st_batch_params params = st_batch_params_default();
    params.base_timestamp = b->base_timestamp;
    params.codec = ST_CODEC_ZSTD;
    st_buf wire;
    st_buf_init(&wire);
    assert_int_equal(st_batch_builder_finish(&b->builder, &params, &wire), ST_OK);
    st_batch parsed;
    assert_int_equal(st_batch_parse(wire.data, wire.len, true, &parsed), ST_OK);
    assert_int_equal(parsed.header.record_count, 10);
    assert_int_equal(parsed.header.max_timestamp, 5002);
    st_record_iter it;
    assert_int_equal(st_record_iter_init(&it, &parsed, 1 << 20), ST_OK);
    st_record r;
    int n = 0;
    while (st_record_iter_next(&it, &r)) {
        char want[16];
        snprintf(want, sizeof(want), "v%d", n);
        assert_true(st_slice_eq_cstr(r.value, want));
        n++;
    }
    assert_int_equal(it.err, ST_OK);
    assert_int_equal(n, 10);
    st_record_iter_free(&it);
    st_buf_free(&wire);
    kc_batch_free(&a, b);
}

/* Records of different codecs never share a batch: a codec change closes
 * the open batch (ready to send) and starts one with the new codec, keeping
 * the records' order; records of the same codec keep filling one batch. */
static void test_codec_change_starts_a_new_batch(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 1000, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    const int codecs[] = {ST_CODEC_NONE, ST_CODEC_NONE, ST_CODEC_ZSTD, ST_CODEC_ZSTD,
                          ST_CODEC_ZSTD, ST_CODEC_GZIP, ST_CODEC_NONE, ST_CODEC_SNAPPY,
                          ST_CODEC_LZ4, ST_CODEC_LZ4};
    for (intptr_t i = 0; i < 10; i++) {
        kc_append rec = coded("v", codecs[i], i);
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
        assert_false(aborted);
    }
    const int want_codec[] = {ST_CODEC_NONE, ST_CODEC_ZSTD, ST_CODEC_GZIP, ST_CODEC_NONE,
                              ST_CODEC_SNAPPY, ST_CODEC_LZ4};
    const int want_count[] = {2, 3, 1, 1, 1, 2};
    assert_int_equal(pq.queued, 6);
    assert_int_equal(a.batches_created, 6);
    assert_int_equal(a.batches_filled, 5); /* the five closed by a codec change */
    int i = 0, rec_no = 0;
    for (kc_batch *b = pq.head; b; b = b->next, i++) {
        assert_int_equal(b->codec, want_codec[i]);
        assert_int_equal(b->count, want_count[i]);
        assert_int_equal(b->closed, b->next != NULL);
        for (int32_t r = 0; r < b->count; r++)
            assert_int_equal((intptr_t)b->meta[r].opaque, rec_no++); /* order kept */
        int64_t wake = INT64_MAX;
        assert_int_equal(kc_accum_sendable(&a, b, 0, &wake), b->closed);
    }
    assert_int_equal(i, 6);
    assert_int_equal(rec_no, 10);
    drain_free(&a, &pq);
    assert_int_equal(a.memory_used, 0);
}

/* The sticky partitioner's hook does not fire for a codec change: the
 * record stays on its partition, in a new batch. A full batch still aborts. */
static void test_codec_change_does_not_abort(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 1000, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    kc_append gz = coded("v", ST_CODEC_GZIP, 0), zs = coded("v", ST_CODEC_ZSTD, 1);
    assert_int_equal(kc_accum_append(&a, &pq, &gz, 0, false, &aborted), ST_OK);
    assert_int_equal(kc_accum_append(&a, &pq, &zs, 0, true, &aborted), ST_OK);
    assert_false(aborted);
    assert_int_equal(pq.queued, 2);
    assert_true(pq.head->closed);
    assert_int_equal(pq.tail->codec, ST_CODEC_ZSTD);
    assert_int_equal(pq.tail->count, 1);
    pq.tail->closed = true; /* as if full */
    assert_int_equal(kc_accum_append(&a, &pq, &zs, 0, true, &aborted), ST_OK);
    assert_true(aborted);
    assert_int_equal(pq.queued, 2);
    drain_free(&a, &pq);
    assert_int_equal(a.memory_used, 0);
}

/* The batches' codecs survive to the wire and back: built with each
 * batch's codec (as the sender does) and read by the consumer's record
 * reader, every record reports the codec it was produced with. */
static void test_codecs_round_trip_through_the_record_reader(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    const int codecs[] = {ST_CODEC_GZIP, ST_CODEC_GZIP, ST_CODEC_NONE, ST_CODEC_SNAPPY,
                          ST_CODEC_LZ4, ST_CODEC_ZSTD, ST_CODEC_ZSTD, ST_CODEC_NONE};
    const size_t n = sizeof(codecs) / sizeof(codecs[0]);
    char values[8][16];
    for (size_t i = 0; i < n; i++) {
        snprintf(values[i], sizeof(values[i]), "value-%zu", i);
        kc_append rec = coded(values[i], codecs[i], (intptr_t)i);
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    }
    st_buf wire;
    st_buf_init(&wire);
    int64_t base_offset = 0;
    kc_batch *b;
    while ((b = kc_partq_pop(&pq))) {
        st_batch_params params = st_batch_params_default();
        params.base_offset = base_offset;
        params.base_timestamp = b->base_timestamp;
        params.codec = b->codec;
        assert_int_equal(st_batch_builder_finish(&b->builder, &params, &wire), ST_OK);
        base_offset += b->count;
        kc_batch_free(&a, b);
    }
    kc_chunk *ch = kc_chunk_new(wire.data, wire.len, NULL, 0, false, true, 1 << 20);
    assert_non_null(ch);
    int64_t position = 0;
    kc_chunk_record r;
    char errstr[256];
    size_t got = 0;
    while (kc_chunk_next(ch, &position, &r, errstr, sizeof(errstr)) == KC_CHUNK_RECORD) {
        assert_true(got < n);
        assert_int_equal(r.offset, (int64_t)got);
        assert_int_equal(r.codec, codecs[got]);
        assert_true(st_slice_eq_cstr(r.rec.value, values[got]));
        got++;
    }
    assert_int_equal(got, n);
    kc_chunk_free(ch);
    st_buf_free(&wire);
    assert_int_equal(a.memory_used, 0);
}

/* ---- splitting a batch refused as too large ------------------------------------------------ */

/* What the sender does before a send: the wire bytes (compressed with the
 * batch's codec, stamped with the producer), then the records dropped. */
static void send_like_the_sender(kc_batch *b, int64_t pid, int16_t epoch, int32_t seq)
{
    b->producer_id = pid;
    b->producer_epoch = epoch;
    b->base_sequence = seq;
    st_batch_params params = st_batch_params_default();
    params.base_timestamp = b->base_timestamp;
    params.codec = b->codec;
    params.producer_id = pid;
    params.producer_epoch = epoch;
    params.base_sequence = seq;
    assert_int_equal(st_batch_builder_finish(&b->builder, &params, &b->wire), ST_OK);
    kc_batch_drop_records(b);
    b->attempts++;
}

/* The buffers one split_record uses. */
typedef struct split_buf {
    char key[16];
    char value[64];
    char seq[16];
    st_record_header headers[2];
} split_buf;

/* Record i of the split tests: key "k<i>" (null for every 4th), value
 * "value-<i>" padded to 40 bytes (null for i == 5), a header "seq: <i>" and
 * a second, null-valued one for odd i, timestamps that go back and forth. */
static kc_append split_record(int i, split_buf *sb, int codec)
{
    snprintf(sb->key, sizeof(sb->key), "k%d", i);
    int n = snprintf(sb->value, sizeof(sb->value), "value-%d", i);
    memset(sb->value + n, 'p', (size_t)(40 - n));
    sb->value[40] = 0;
    snprintf(sb->seq, sizeof(sb->seq), "%d", i);
    sb->headers[0] = (st_record_header){st_slice_cstr("seq"), st_slice_cstr(sb->seq)};
    sb->headers[1] = (st_record_header){st_slice_cstr("odd"), ST_SLICE_NULL};
    kc_append rec = record(i % 4 == 0 ? NULL : sb->key, i == 5 ? NULL : sb->value,
                           10000 + (i % 3) * 7 - i, (void *)(intptr_t)(i + 1));
    rec.headers = sb->headers;
    rec.header_count = i % 2 ? 2 : 1;
    rec.codec = codec;
    return rec;
}

/* Builds piece's wire bytes (as the sender will) and checks that it holds
 * records [from, from + piece->count) of split_record, in order, with
 * their own timestamps, keys, values and headers, offset deltas from 0. */
static void check_piece_records(kc_batch *piece, int from, int codec)
{
    send_like_the_sender(piece, piece->producer_id, piece->producer_epoch,
                         piece->base_sequence);
    st_batch parsed;
    assert_int_equal(st_batch_parse(piece->wire.data, piece->wire.len, true, &parsed), ST_OK);
    assert_int_equal(parsed.header.record_count, piece->count);
    assert_int_equal(st_batch_codec(&parsed.header), codec);
    assert_int_equal(parsed.header.base_sequence, piece->base_sequence);
    st_record_iter it;
    assert_int_equal(st_record_iter_init(&it, &parsed, 1 << 20), ST_OK);
    st_record r;
    int n = 0;
    while (st_record_iter_next(&it, &r)) {
        split_buf sb;
        kc_append want = split_record(from + n, &sb, codec);
        assert_int_equal(r.offset_delta, n);
        assert_int_equal(r.timestamp, want.timestamp);
        assert_ptr_equal(piece->meta[n].opaque, want.opaque);
        assert_int_equal(piece->meta[n].timestamp, want.timestamp);
        assert_int_equal(r.key.len, want.key.len);
        if (want.key.len >= 0)
            assert_true(st_slice_eq_cstr(r.key, sb.key));
        assert_int_equal(r.value.len, want.value.len);
        if (want.value.len >= 0)
            assert_true(st_slice_eq_cstr(r.value, sb.value));
        assert_int_equal(r.header_count, (int32_t)want.header_count);
        st_header_iter hi;
        st_header_iter_init(&hi, &r);
        st_record_header got;
        assert_true(st_header_iter_next(&hi, &got));
        assert_true(st_slice_eq_cstr(got.key, "seq") && st_slice_eq_cstr(got.value, sb.seq));
        if (want.header_count == 2) {
            assert_true(st_header_iter_next(&hi, &got));
            assert_true(st_slice_eq_cstr(got.key, "odd"));
            assert_true(got.value.len < 0);
        }
        n++;
    }
    assert_int_equal(it.err, ST_OK);
    assert_int_equal(n, piece->count);
    st_record_iter_free(&it);
}

/* 11 records refused: halves of 6 and 5 before the later batch, the first
 * refused again: 3 and 3; every piece holds its records as produced. */
static void split_and_halve_again(int codec)
{
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 2);
    bool aborted;
    split_buf sb;
    for (int i = 0; i < 11; i++) {
        kc_append rec = split_record(i, &sb, codec);
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 500, false, &aborted), ST_OK);
    }
    kc_batch *b = kc_partq_pop(&pq);
    assert_int_equal(b->count, 11);
    kc_append later_rec = split_record(11, &sb, codec); /* a later batch waits in the queue */
    assert_int_equal(kc_accum_append(&a, &pq, &later_rec, 600, false, &aborted), ST_OK);
    kc_batch *later = pq.head;
    size_t used = a.memory_used, charged = b->charged;
    send_like_the_sender(b, 77, 3, 40);
    b->attempts = 4;

    kc_batch *pieces[2];
    assert_int_equal(kc_batch_split(&a, b, pieces), ST_OK); /* b is freed */
    assert_int_equal(a.memory_used, used);
    assert_int_equal(pieces[0]->charged + pieces[1]->charged, charged);
    assert_int_equal(pieces[0]->count, 6);
    assert_int_equal(pieces[1]->count, 5);
    for (int k = 0; k < 2; k++) {
        kc_batch *piece = pieces[k];
        assert_ptr_equal(piece->pq, &pq);
        assert_int_equal(piece->order, later->order - 1);
        assert_int_equal(piece->split_index, k ? 6 : 0);
        assert_int_equal(piece->base_sequence, k ? 46 : 40);
        assert_int_equal(piece->producer_id, 77);
        assert_int_equal(piece->producer_epoch, 3);
        assert_int_equal(piece->attempts, 0);
        assert_int_equal(piece->codec, codec);
        assert_int_equal(piece->created_ms, 500);
        assert_true(piece->closed);
        assert_int_equal(piece->wire.len, 0);
        assert_true(piece->records_size > 0);
    }
    /* requeued (in either order), they go before the later batch, in order */
    kc_partq_requeue(&pq, pieces[1]);
    kc_partq_requeue(&pq, pieces[0]);
    assert_ptr_equal(pq.head, pieces[0]);
    assert_ptr_equal(pieces[0]->next, pieces[1]);
    assert_ptr_equal(pieces[1]->next, later);
    assert_ptr_equal(pq.tail, later);
    assert_int_equal(pq.queued, 3);

    /* the first piece is sent and refused again: halved again, 3 and 3 */
    kc_batch *first = kc_partq_pop(&pq);
    send_like_the_sender(first, 77, 3, first->base_sequence);
    kc_batch *quarters[2];
    assert_int_equal(kc_batch_split(&a, first, quarters), ST_OK);
    assert_int_equal(quarters[0]->count, 3);
    assert_int_equal(quarters[1]->count, 3);
    assert_int_equal(quarters[0]->split_index, 0);
    assert_int_equal(quarters[1]->split_index, 3);
    assert_int_equal(quarters[0]->base_sequence, 40);
    assert_int_equal(quarters[1]->base_sequence, 43);
    kc_partq_requeue(&pq, quarters[0]);
    kc_partq_requeue(&pq, quarters[1]);
    const int from[] = {0, 3, 6};
    kc_batch *want[] = {quarters[0], quarters[1], pieces[1], later};
    int k = 0;
    for (kc_batch *q = pq.head; q; q = q->next, k++)
        assert_ptr_equal(q, want[k]);
    assert_int_equal(k, 4);
    for (int j = 0; j < 3; j++) /* each piece's records, rebuilt as the sender will */
        check_piece_records(want[j], from[j], codec);
    assert_int_equal(a.memory_used, used);
    drain_free(&a, &pq);
    assert_int_equal(a.memory_used, 0);
}

static void test_split_uncompressed(void **state)
{
    (void)state;
    split_and_halve_again(ST_CODEC_NONE);
}

static void test_split_compressed(void **state)
{
    (void)state;
    split_and_halve_again(ST_CODEC_LZ4);
    split_and_halve_again(ST_CODEC_ZSTD);
    split_and_halve_again(ST_CODEC_GZIP);
    split_and_halve_again(ST_CODEC_SNAPPY);
}

/* Sequences wrap past INT32_MAX as the sender's do; no sequence (no
 * idempotence) stays none; a single record, a batch never sent or wire
 * bytes that do not decode are not split, and the batch stays as it was. */
static void test_split_sequences_and_refusals(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    bool aborted;
    kc_append rec = record("k", "v", 1, NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    kc_batch *b = kc_partq_pop(&pq);
    kc_batch *pieces[2];
    assert_int_equal(kc_batch_split(&a, b, pieces), ST_ERR_UNSUPPORTED); /* no wire yet */
    assert_null(pieces[0]);
    assert_int_equal(b->count, 4);
    send_like_the_sender(b, 5, 0, INT32_MAX - 1);
    assert_int_equal(kc_batch_split(&a, b, pieces), ST_OK);
    assert_int_equal(pieces[0]->base_sequence, INT32_MAX - 1);
    assert_int_equal(pieces[1]->base_sequence, 0); /* INT32_MAX - 1 + 2, wrapped */
    kc_batch_free(&a, pieces[0]);
    kc_batch_free(&a, pieces[1]);

    for (int i = 0; i < 3; i++)
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    b = kc_partq_pop(&pq);
    send_like_the_sender(b, -1, -1, -1);
    assert_int_equal(kc_batch_split(&a, b, pieces), ST_OK);
    assert_int_equal(pieces[0]->base_sequence, -1);
    assert_int_equal(pieces[1]->base_sequence, -1);
    assert_int_equal(pieces[0]->count, 2);
    assert_int_equal(pieces[1]->count, 1);
    kc_batch_free(&a, pieces[0]);
    kc_batch_free(&a, pieces[1]);

    assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    b = kc_partq_pop(&pq);
    send_like_the_sender(b, 5, 0, 9);
    size_t len = b->wire.len;
    assert_int_equal(kc_batch_split(&a, b, pieces), ST_ERR_UNSUPPORTED);
    assert_int_equal(b->count, 1);
    assert_int_equal(b->wire.len, len);
    kc_batch_free(&a, b);

    for (int i = 0; i < 3; i++)
        assert_int_equal(kc_accum_append(&a, &pq, &rec, 0, false, &aborted), ST_OK);
    b = kc_partq_pop(&pq);
    send_like_the_sender(b, 5, 0, 9);
    st_put_i32(b->wire.data + ST_BATCH_OFF_RECORD_COUNT, 2); /* says 2, holds 3 */
    assert_int_not_equal(kc_batch_split(&a, b, pieces), ST_OK);
    assert_null(pieces[0]);
    assert_int_equal(b->count, 3);
    assert_int_equal(st_get_i32(b->wire.data + ST_BATCH_OFF_RECORD_COUNT), 2); /* untouched */
    kc_batch_free(&a, b);
    assert_int_equal(a.memory_used, 0);
}

/* The public mapping between kc_message.compression and kc_record.compression. */
static void test_compression_constants(void **state)
{
    (void)state;
    assert_int_equal(KC_COMPRESSION_PRODUCER, 0);
    assert_int_equal(kc_compression_from_codec(ST_CODEC_NONE), KC_COMPRESSION_NONE);
    assert_int_equal(kc_compression_from_codec(ST_CODEC_GZIP), KC_COMPRESSION_GZIP);
    assert_int_equal(kc_compression_from_codec(ST_CODEC_SNAPPY), KC_COMPRESSION_SNAPPY);
    assert_int_equal(kc_compression_from_codec(ST_CODEC_LZ4), KC_COMPRESSION_LZ4);
    assert_int_equal(kc_compression_from_codec(ST_CODEC_ZSTD), KC_COMPRESSION_ZSTD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_size_matches_encoding),
        cmocka_unit_test(test_batches_close_by_size),
        cmocka_unit_test(test_oversized_record_gets_its_own_batch),
        cmocka_unit_test(test_linger_with_fake_clock),
        cmocka_unit_test(test_linger_zero),
        cmocka_unit_test(test_abort_on_new_batch),
        cmocka_unit_test(test_retries_keep_their_order),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_memory_account),
        cmocka_unit_test(test_batch_builds_valid_record_batch),
        cmocka_unit_test(test_codec_change_starts_a_new_batch),
        cmocka_unit_test(test_codec_change_does_not_abort),
        cmocka_unit_test(test_codecs_round_trip_through_the_record_reader),
        cmocka_unit_test(test_compression_constants),
        cmocka_unit_test(test_split_uncompressed),
        cmocka_unit_test(test_split_compressed),
        cmocka_unit_test(test_split_sequences_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
