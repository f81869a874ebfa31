/* test_client_fetch_records.c — reading a partition's fetched records
 * (client_fetcher_records.c): every codec, starting inside a compressed
 * batch, control batches, read_committed with aborted transactions (also
 * across two fetches), a batch cut short at the end of a response, and a
 * corrupt batch. No network. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
