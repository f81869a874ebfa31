/* test_client_fetch_records.c — reading a partition's fetched records
 * (client_fetcher_records.c): every codec, starting inside a compressed
 * batch, control batches, read_committed with aborted transactions (also
 * across two fetches), a batch cut short at the end of a response, and a
 * corrupt batch; for the consumer's zero-copy poll (kc_chunk_poll,
 * kc_retired), that a poll's records stay readable until the next poll
 * whatever happens to their chunk, and that only what a poll handed out is
 * kept. Run under ASan: a slice read after its memory was freed fails. No
 * network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/client_fetcher_records.h"

#define MAX_PLAIN (1u << 24)

/* Appends a batch of n records at base (key "k<offset>", value "v<offset>"). */
static void add_batch(st_buf *out, int64_t base, int n, int codec, int16_t attributes,
                      int64_t producer_id)
{
    st_batch_builder b;
    st_batch_builder_init(&b);
    char keys[64][16], values[64][16];
    for (int i = 0; i < n; i++) {
        int kl = snprintf(keys[i], sizeof(keys[i]), "k%lld", (long long)(base + i));
        int vl = snprintf(values[i], sizeof(values[i]), "v%lld", (long long)(base + i));
        st_record_fields f = {.offset_delta = i, .timestamp_delta = i,
                              .key = st_slice_from(keys[i], (size_t)kl),
                              .value = st_slice_from(values[i], (size_t)vl)};
        assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    }
    st_batch_params p = st_batch_params_default();
    p.base_offset = base;
    p.base_timestamp = 1700000000000LL;
    p.codec = codec;
    p.attributes = attributes;
    p.producer_id = producer_id;
    p.producer_epoch = producer_id >= 0 ? 0 : -1;
    p.base_sequence = producer_id >= 0 ? 0 : -1;
    assert_int_equal(st_batch_builder_finish(&b, &p, out), ST_OK);
    st_batch_builder_free(&b);
}

static void add_marker(st_buf *out, int64_t offset, int64_t producer_id, int16_t type)
{
    st_batch_params p = st_batch_params_default();
    p.base_offset = offset;
    p.base_timestamp = 1700000000000LL;
    p.producer_id = producer_id;
    p.producer_epoch = 0;
    st_txn_marker m = {type, 0};
    assert_int_equal(st_batch_write_txn_marker(&p, &m, out), ST_OK);
}

/* Reads everything from *position; writes the offsets read into got and
 * returns how many (-1 on an error status). */
static int read_all(kc_chunk *ch, int64_t *position, int64_t *got, int max)
{
    int n = 0;
    kc_chunk_record r;
    char why[256];
    for (;;) {
        kc_chunk_status st = kc_chunk_next(ch, position, &r, why, sizeof(why));
        if (st == KC_CHUNK_END)
            return n;
        if (st == KC_CHUNK_ERROR)
            return -1;
        assert_true(n < max);
        char key[16];
        snprintf(key, sizeof(key), "k%lld", (long long)r.offset);
        assert_int_equal(r.rec.key.len, (int32_t)strlen(key));
        assert_memory_equal(r.rec.key.ptr, key, strlen(key));
        got[n++] = r.offset;
    }
}

static void test_every_codec(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    int codecs[] = {ST_CODEC_NONE, ST_CODEC_GZIP, ST_CODEC_SNAPPY, ST_CODEC_LZ4, ST_CODEC_ZSTD};
    for (int i = 0; i < 5; i++)
        add_batch(&buf, i * 10, 10, codecs[i], 0, -1);
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    assert_non_null(ch);
    assert_int_equal(ch->end_offset, 50);
    int64_t pos = 0, got[64];
    assert_int_equal(read_all(ch, &pos, got, 64), 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(got[i], i);
    assert_int_equal(pos, 50);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

/* A fetch from the middle of a compressed batch starts at the position. */
static void test_start_inside_a_batch(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 100, 10, ST_CODEC_LZ4, 0, -1);
    add_batch(&buf, 110, 5, ST_CODEC_NONE, 0, -1);
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    int64_t pos = 107, got[64];
    assert_int_equal(read_all(ch, &pos, got, 64), 8);
    assert_int_equal(got[0], 107);
    assert_int_equal(got[7], 114);
    assert_int_equal(pos, 115);
    kc_chunk_free(ch);
    /* a position past the whole chunk reads nothing */
    ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    pos = 200;
    assert_int_equal(read_all(ch, &pos, got, 64), 0);
    assert_int_equal(pos, 200);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

/* Layout: pid 7 (aborted) 0-2; pid 8 (committed) 3-4; ABORT(7) at 5;
 * COMMIT(8) at 6; plain 7-8. */
static void transactional_log(st_buf *buf)
{
    add_batch(buf, 0, 3, ST_CODEC_NONE, ST_BATCH_ATTR_TRANSACTIONAL, 7);
    add_batch(buf, 3, 2, ST_CODEC_ZSTD, ST_BATCH_ATTR_TRANSACTIONAL, 8);
    add_marker(buf, 5, 7, ST_CONTROL_ABORT);
    add_marker(buf, 6, 8, ST_CONTROL_COMMIT);
    add_batch(buf, 7, 2, ST_CODEC_NONE, 0, -1);
}

static void test_read_uncommitted_skips_markers(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    transactional_log(&buf);
    kc_aborted_txn aborted[] = {{7, 0}};
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, aborted, 1, false, true, MAX_PLAIN);
    int64_t pos = 0, got[16];
    assert_int_equal(read_all(ch, &pos, got, 16), 7);
    int64_t want[] = {0, 1, 2, 3, 4, 7, 8};
    assert_memory_equal(got, want, sizeof(want));
    assert_int_equal(pos, 9);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

static void test_read_committed_skips_aborted(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    transactional_log(&buf);
    kc_aborted_txn aborted[] = {{7, 0}};
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, aborted, 1, true, true, MAX_PLAIN);
    int64_t pos = 0, got[16];
    assert_int_equal(read_all(ch, &pos, got, 16), 4);
    int64_t want[] = {3, 4, 7, 8};
    assert_memory_equal(got, want, sizeof(want));
    assert_int_equal(pos, 9);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

/* The same producer aborts one transaction and commits the next: only the
 * first one's batches are skipped. */
static void test_read_committed_abort_then_commit(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 0, 2, ST_CODEC_NONE, ST_BATCH_ATTR_TRANSACTIONAL, 5);
    add_marker(&buf, 2, 5, ST_CONTROL_ABORT);
    add_batch(&buf, 3, 2, ST_CODEC_GZIP, ST_BATCH_ATTR_TRANSACTIONAL, 5);
    add_marker(&buf, 5, 5, ST_CONTROL_COMMIT);
    kc_aborted_txn aborted[] = {{5, 0}};
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, aborted, 1, true, true, MAX_PLAIN);
    int64_t pos = 0, got[16];
    assert_int_equal(read_all(ch, &pos, got, 16), 2);
    assert_int_equal(got[0], 3);
    assert_int_equal(got[1], 4);
    assert_int_equal(pos, 6);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

/* An aborted transaction spread over two fetches: the second response
 * lists it again (its first offset is before the fetch offset). */
static void test_read_committed_across_fetches(void **state)
{
    (void)state;
    st_buf first, second;
    st_buf_init(&first);
    st_buf_init(&second);
    add_batch(&first, 0, 2, ST_CODEC_NONE, ST_BATCH_ATTR_TRANSACTIONAL, 9);
    add_batch(&second, 2, 2, ST_CODEC_NONE, ST_BATCH_ATTR_TRANSACTIONAL, 9);
    add_marker(&second, 4, 9, ST_CONTROL_ABORT);
    add_batch(&second, 5, 1, ST_CODEC_NONE, 0, -1);
    kc_aborted_txn aborted[] = {{9, 0}};
    int64_t pos = 0, got[16];
    kc_chunk *ch = kc_chunk_new(first.data, first.len, aborted, 1, true, true, MAX_PLAIN);
    assert_int_equal(read_all(ch, &pos, got, 16), 0);
    assert_int_equal(pos, 2);
    kc_chunk_free(ch);
    ch = kc_chunk_new(second.data, second.len, aborted, 1, true, true, MAX_PLAIN);
    assert_int_equal(read_all(ch, &pos, got, 16), 1);
    assert_int_equal(got[0], 5);
    assert_int_equal(pos, 6);
    kc_chunk_free(ch);
    st_buf_free(&first);
    st_buf_free(&second);
}

/* A response ends inside a batch: the complete ones are read, and the next
 * fetch starts at the cut batch. */
static void test_partial_batch_at_the_end(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 0, 4, ST_CODEC_NONE, 0, -1);
    size_t first = buf.len;
    add_batch(&buf, 4, 4, ST_CODEC_SNAPPY, 0, -1);
    for (size_t cut = first; cut < buf.len; cut += 7) {
        kc_chunk *ch = kc_chunk_new(buf.data, cut, NULL, 0, false, true, MAX_PLAIN);
        assert_int_equal(ch->end_offset, 4);
        int64_t pos = 0, got[16];
        assert_int_equal(read_all(ch, &pos, got, 16), 4);
        assert_int_equal(pos, 4);
        kc_chunk_free(ch);
    }
    /* nothing complete at all */
    kc_chunk *ch = kc_chunk_new(buf.data, first - 1, NULL, 0, false, true, MAX_PLAIN);
    assert_int_equal(ch->end_offset, -1);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

/* A corrupt batch: the good ones before it are read, then an error. */
static void test_corrupt_batch(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 0, 3, ST_CODEC_NONE, 0, -1);
    add_batch(&buf, 3, 3, ST_CODEC_NONE, 0, -1);
    buf.data[buf.len - 2] ^= 0x55; /* damage a record: the CRC no longer matches */
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    int64_t pos = 0, got[16];
    assert_int_equal(read_all(ch, &pos, got, 16), -1);
    assert_int_equal(pos, 3);
    kc_chunk_record r;
    char why[256];
    assert_int_equal(kc_chunk_next(ch, &pos, &r, why, sizeof(why)), KC_CHUNK_END);
    kc_chunk_free(ch);
    /* check.crcs=false: the damaged value is returned as it is */
    ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, false, MAX_PLAIN);
    pos = 0;
    int n = read_all(ch, &pos, got, 16);
    assert_true(n == 6 || n == -1);
    kc_chunk_free(ch);
    st_buf_free(&buf);
}

/* ---- kc_chunk_poll / kc_retired --------------------------------------------------- */

/* A record handed out: its slices, and what they must still read. */
typedef struct taken {
    st_slice key, value;
    char want_key[16], want_value[16];
} taken;

/* Takes up to max records with kc_chunk_poll; how many (-1 on an error). */
static int take(kc_chunk *ch, int64_t *position, kc_retired *retired, taken *out, int max)
{
    int n = 0;
    char why[256];
    while (n < max) {
        kc_chunk_record r;
        kc_chunk_status st = kc_chunk_poll(ch, position, &r, retired, why, sizeof(why));
        if (st == KC_CHUNK_END)
            return n;
        if (st == KC_CHUNK_ERROR)
            return -1;
        out[n].key = r.rec.key;
        out[n].value = r.rec.value;
        snprintf(out[n].want_key, sizeof(out[n].want_key), "k%lld", (long long)r.offset);
        snprintf(out[n].want_value, sizeof(out[n].want_value), "v%lld", (long long)r.offset);
        n++;
    }
    return n;
}

/* Every slice still reads what it read when handed out. */
static void assert_intact(const taken *t, int n)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(t[i].key.len, (int32_t)strlen(t[i].want_key));
        assert_memory_equal(t[i].key.ptr, t[i].want_key, strlen(t[i].want_key));
        assert_int_equal(t[i].value.len, (int32_t)strlen(t[i].want_value));
        assert_memory_equal(t[i].value.ptr, t[i].want_value, strlen(t[i].want_value));
    }
}

static size_t spent_count(const kc_retired *r)
{
    size_t n = 0;
    for (const kc_spent *s = r->spent; s; s = s->next)
        n++;
    return n;
}

static size_t retired_chunks(const kc_retired *r)
{
    size_t n = 0;
    for (const kc_chunk *ch = r->chunks; ch; ch = ch->next)
        n++;
    return n;
}

/* One poll reads a chunk of every codec to its end: the decompressed
 * buffers of the four compressed batches and the chunk itself are kept, and
 * every record is intact after the chunk left its queue; the next poll frees
 * them all. */
static void test_poll_keeps_records_until_next_poll(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    int codecs[] = {ST_CODEC_NONE, ST_CODEC_GZIP, ST_CODEC_SNAPPY, ST_CODEC_LZ4, ST_CODEC_ZSTD};
    for (int i = 0; i < 5; i++)
        add_batch(&buf, i * 10, 10, codecs[i], 0, -1);
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    st_buf_free(&buf); /* the chunk has its own copy */
    kc_retired r;
    kc_retired_init(&r);
    int64_t pos = 0;
    taken t[64];
    assert_int_equal(take(ch, &pos, &r, t, 64), 50);
    assert_int_equal(pos, 50);
    assert_int_equal(spent_count(&r), 4);
    kc_retired_add_chunk(&r, ch);
    assert_int_equal(retired_chunks(&r), 1);
    assert_true(r.bytes > ch->len);
    assert_intact(t, 50);
    kc_retired_next_poll(&r);
    assert_int_equal(retired_chunks(&r), 0);
    assert_int_equal(spent_count(&r), 0);
    assert_int_equal(r.bytes, 0);
    kc_retired_free(&r);
}

/* A compressed batch read over two polls: the first poll's records live in
 * the batch's buffer, which the chunk still uses; the second poll finishes
 * the batch and keeps the buffer for its own records. A chunk dropped in a
 * poll that took nothing from it (a seek after the poll) is freed at once;
 * one dropped in the middle of a batch records were taken from is kept
 * whole. */
static void test_poll_batch_across_polls(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 0, 10, ST_CODEC_LZ4, 0, -1);
    add_batch(&buf, 10, 10, ST_CODEC_ZSTD, 0, -1);
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    kc_retired r;
    kc_retired_init(&r);
    int64_t pos = 0;
    taken first[8], second[16];
    assert_int_equal(take(ch, &pos, &r, first, 3), 3);
    assert_int_equal(spent_count(&r), 0); /* the batch goes on */
    assert_intact(first, 3);
    kc_retired_next_poll(&r);
    /* poll 2: the rest of the lz4 batch and three of the zstd one */
    assert_int_equal(take(ch, &pos, &r, second, 10), 10);
    assert_int_equal(pos, 13);
    assert_int_equal(spent_count(&r), 1);
    /* dropped mid-batch (a seek): kept whole, records intact */
    kc_retired_add_chunk(&r, ch);
    assert_int_equal(retired_chunks(&r), 1);
    assert_intact(second, 10);
    kc_retired_next_poll(&r);
    assert_int_equal(r.bytes, 0);

    /* a chunk nothing was taken from in this poll is freed when dropped */
    ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    pos = 0;
    assert_int_equal(take(ch, &pos, &r, first, 5), 5);
    kc_retired_next_poll(&r);
    kc_retired_add_chunk(&r, ch);
    assert_int_equal(retired_chunks(&r), 0);
    assert_int_equal(r.bytes, 0);
    kc_retired_free(&r);
    st_buf_free(&buf);
}

/* Batches only skipped (below the position) keep nothing. */
static void test_poll_skipped_batches_keep_nothing(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 0, 10, ST_CODEC_GZIP, 0, -1);
    add_batch(&buf, 10, 10, ST_CODEC_SNAPPY, 0, -1);
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, true, MAX_PLAIN);
    kc_retired r;
    kc_retired_init(&r);
    int64_t pos = 15; /* inside the second batch: the first is skipped whole */
    taken t[16];
    assert_int_equal(take(ch, &pos, &r, t, 16), 5);
    assert_int_equal(spent_count(&r), 1);
    kc_retired_add_chunk(&r, ch);
    assert_intact(t, 5);
    kc_retired_free(&r);
    st_buf_free(&buf);
}

/* A compressed batch that declares fewer records than it holds: the
 * declared ones are handed out, then an error; the buffer they point into
 * is kept. */
static void test_poll_error_after_records(void **state)
{
    (void)state;
    st_buf buf;
    st_buf_init(&buf);
    add_batch(&buf, 0, 6, ST_CODEC_ZSTD, 0, -1);
    st_put_i32(buf.data + ST_BATCH_OFF_RECORD_COUNT, 4); /* check.crcs=false below */
    kc_chunk *ch = kc_chunk_new(buf.data, buf.len, NULL, 0, false, false, MAX_PLAIN);
    kc_retired r;
    kc_retired_init(&r);
    int64_t pos = 0;
    taken t[16];
    assert_int_equal(take(ch, &pos, &r, t, 4), 4);
    assert_int_equal(take(ch, &pos, &r, t + 4, 4), -1);
    assert_int_equal(spent_count(&r), 1);
    kc_retired_add_chunk(&r, ch);
    assert_intact(t, 4);
    kc_retired_free(&r);
    st_buf_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_codec),
        cmocka_unit_test(test_start_inside_a_batch),
        cmocka_unit_test(test_read_uncommitted_skips_markers),
        cmocka_unit_test(test_read_committed_skips_aborted),
        cmocka_unit_test(test_read_committed_abort_then_commit),
        cmocka_unit_test(test_read_committed_across_fetches),
        cmocka_unit_test(test_partial_batch_at_the_end),
        cmocka_unit_test(test_corrupt_batch),
        cmocka_unit_test(test_poll_keeps_records_until_next_poll),
        cmocka_unit_test(test_poll_batch_across_polls),
        cmocka_unit_test(test_poll_skipped_batches_keep_nothing),
        cmocka_unit_test(test_poll_error_after_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
