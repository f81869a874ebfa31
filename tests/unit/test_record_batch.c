/* test_record_batch.c — RecordBatch v2: build/parse/iterate round trips for
 * every codec, header layout, CRC and truncation handling, legacy magic,
 * control batches, in-place edits, and batches written by another client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/crc32c.h"
#include "common/record_batch.h"

typedef struct codec_case {
    int codec;
    bool xerial;
} codec_case;

static const codec_case cases[] = {
    {ST_CODEC_NONE, false}, {ST_CODEC_GZIP, false}, {ST_CODEC_SNAPPY, false},
    {ST_CODEC_SNAPPY, true}, {ST_CODEC_LZ4, false},  {ST_CODEC_ZSTD, false},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

#define MAX_PLAIN (16u * 1024 * 1024)

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- A fixed set of records that exercises every field shape */

static const st_record_header two_headers[] = {
    {{(const uint8_t *)"trace", 5}, {(const uint8_t *)"abc123", 6}},
    {{(const uint8_t *)"nullable", 8}, {NULL, -1}},
};
static const st_record_header empty_key_header[] = {
    {{(const uint8_t *)"", 0}, {(const uint8_t *)"", 0}},
};

#define NSAMPLES 6
static st_record_fields sample(int i)
{
    static const char big[300] = {0};
    st_record_fields r = {.offset_delta = i, .timestamp_delta = i * 7 - 10};
    switch (i) {
    case 0: r.key = st_slice_cstr("k0"); r.value = st_slice_cstr("v0"); break;
    case 1: r.key = ST_SLICE_NULL; r.value = st_slice_cstr("no key"); break;
    case 2: r.key = st_slice_cstr("tombstone"); r.value = ST_SLICE_NULL; break;
    case 3:
        r.key = ST_SLICE_EMPTY; r.value = ST_SLICE_EMPTY;
        r.headers = two_headers; r.header_count = 2;
        break;
    case 4:
        r.key = st_slice_from(big, 200); r.value = st_slice_from(big, sizeof(big));
        r.headers = empty_key_header; r.header_count = 1;
        r.timestamp_delta = 1000000; /* the max, not the last */
        break;
    default: r.key = ST_SLICE_NULL; r.value = ST_SLICE_NULL; r.offset_delta = 9; break;
    }
    return r;
}

static st_batch_params sample_params(int codec, bool xerial)
{
    st_batch_params p = st_batch_params_default();
    p.base_offset = 1000;
    p.partition_leader_epoch = 3;
    p.base_timestamp = 1700000000000;
    p.codec = codec;
    p.compress.snappy_xerial = xerial;
    p.producer_id = 4242;
    p.producer_epoch = 2;
    p.base_sequence = 17;
    return p;
}

static void build_samples(const st_batch_params *p, st_buf *out)
{
    st_batch_builder b;
    st_batch_builder_init(&b);
    for (int i = 0; i < NSAMPLES; i++) {
        st_record_fields f = sample(i);
        assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    }
    assert_int_equal(st_batch_builder_finish(&b, p, out), ST_OK);
    st_batch_builder_free(&b);
}

static void assert_header_eq(const st_record_header *want, const st_record_header *got)
{
    assert_true(st_slice_eq(want->key, got->key));
    assert_true(st_slice_eq(want->value, got->value));
}

static void assert_record_matches(const st_record_fields *want, const st_record *got,
                                  const st_batch_params *p)
{
    assert_int_equal(got->offset_delta, want->offset_delta);
    assert_int_equal(got->timestamp_delta, want->timestamp_delta);
    assert_int_equal(got->offset, p->base_offset + want->offset_delta);
    assert_int_equal(got->timestamp, p->base_timestamp + want->timestamp_delta);
    assert_int_equal(got->attributes, 0);
    assert_true(st_slice_eq(got->key, want->key));
    assert_true(st_slice_eq(got->value, want->value));
    assert_int_equal(got->header_count, want->header_count);
    st_header_iter hi;
    st_record_header h;
    st_header_iter_init(&hi, got);
    for (size_t k = 0; k < want->header_count; k++) {
        assert_true(st_header_iter_next(&hi, &h));
        assert_header_eq(&want->headers[k], &h);
    }
    assert_false(st_header_iter_next(&hi, &h));
}

static void check_samples(const st_batch *batch, const st_batch_params *p)
{
    st_record_iter it;
    st_record rec;
    assert_int_equal(st_record_iter_init(&it, batch, MAX_PLAIN), ST_OK);
    for (int i = 0; i < NSAMPLES; i++) {
        st_record_fields want = sample(i);
        assert_true(st_record_iter_next(&it, &rec));
        assert_record_matches(&want, &rec, p);
    }
    assert_false(st_record_iter_next(&it, &rec));
    assert_int_equal(it.err, ST_OK);
    st_record_iter_free(&it);
}

static void test_round_trip_every_codec(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        st_batch_params p = sample_params(cases[i].codec, cases[i].xerial);
        st_buf out;
        st_buf_init(&out);
        build_samples(&p, &out);
        st_batch batch;
        assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
        assert_int_equal(batch.size, out.len);
        const st_batch_header *h = &batch.header;
        assert_int_equal(h->base_offset, 1000);
        assert_int_equal(h->batch_length, (int32_t)out.len - 12);
        assert_int_equal(h->partition_leader_epoch, 3);
        assert_int_equal(h->magic, 2);
        assert_int_equal(st_batch_codec(h), cases[i].codec);
        assert_false(st_batch_is_transactional(h));
        assert_false(st_batch_is_control(h));
        assert_int_equal(h->last_offset_delta, 9);
        assert_int_equal(st_batch_last_offset(h), 1009);
        assert_int_equal(h->base_timestamp, 1700000000000);
        assert_int_equal(h->max_timestamp, 1700000000000 + 1000000);
        assert_int_equal(h->producer_id, 4242);
        assert_int_equal(h->producer_epoch, 2);
        assert_int_equal(h->base_sequence, 17);
        assert_int_equal(h->record_count, NSAMPLES);
        check_samples(&batch, &p);
        st_buf_free(&out);
    }
}

/* Many records, compressed, spanning several codec blocks. */
static void test_many_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        st_batch_builder b;
        st_batch_builder_init(&b);
        char key[32], value[200];
        for (int r = 0; r < 2000; r++) {
            int kl = snprintf(key, sizeof(key), "key-%d", r);
            int vl = snprintf(value, sizeof(value), "value %d %0150d", r, r * 31);
            st_record_fields f = {.offset_delta = r, .timestamp_delta = r,
                                  .key = st_slice_from(key, (size_t)kl),
                                  .value = st_slice_from(value, (size_t)vl)};
            assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
        }
        st_batch_params p = sample_params(cases[i].codec, cases[i].xerial);
        st_buf out;
        st_buf_init(&out);
        assert_int_equal(st_batch_builder_finish(&b, &p, &out), ST_OK);
        st_batch batch;
        assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
        st_record_iter it;
        st_record rec;
        assert_int_equal(st_record_iter_init(&it, &batch, MAX_PLAIN), ST_OK);
        int n = 0;
        while (st_record_iter_next(&it, &rec)) {
            int kl = snprintf(key, sizeof(key), "key-%d", n);
            assert_true(st_slice_eq(rec.key, st_slice_from(key, (size_t)kl)));
            assert_int_equal(rec.offset, 1000 + n);
            n++;
        }
        assert_int_equal(it.err, ST_OK);
        assert_int_equal(n, 2000);
        st_record_iter_free(&it);
        /* The decompression bound applies to compressed batches. */
        if (cases[i].codec != ST_CODEC_NONE)
            assert_int_equal(st_record_iter_init(&it, &batch, 1000), ST_ERR_TOO_LARGE);
        st_record_iter_free(&it);
        st_buf_free(&out);
        st_batch_builder_free(&b);
    }
}

/* Field offsets of the 61-byte header, checked byte by byte. */
static void test_header_layout(void **state)
{
    (void)state;
    st_batch_params p = st_batch_params_default();
    p.base_offset = 0x0102030405060708;
    p.partition_leader_epoch = 0x11121314;
    p.base_timestamp = 0x2122232425262728;
    p.attributes = ST_BATCH_ATTR_TRANSACTIONAL;
    p.producer_id = 0x3132333435363738;
    p.producer_epoch = 0x4142;
    p.base_sequence = 0x51525354;
    st_batch_builder b;
    st_batch_builder_init(&b);
    st_record_fields f = {.offset_delta = 0, .timestamp_delta = 2,
                          .key = ST_SLICE_NULL, .value = st_slice_cstr("v")};
    assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(st_batch_builder_finish(&b, &p, &out), ST_OK);
    const uint8_t *d = out.data;
    static const uint8_t want_header[61] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* baseOffset @0 */
        0x00, 0x00, 0x00, 0x39,                         /* length @8 = 57 */
        0x11, 0x12, 0x13, 0x14,                         /* leaderEpoch @12 */
        0x02,                                           /* magic @16 */
        0x00, 0x00, 0x00, 0x00,                         /* crc @17, checked below */
        0x00, 0x10,                                     /* attributes @21 */
        0x00, 0x00, 0x00, 0x00,                         /* lastOffsetDelta @23 */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* baseTimestamp @27 */
        0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2a, /* maxTimestamp @35 */
        0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, /* producerId @43 */
        0x41, 0x42,                                     /* producerEpoch @51 */
        0x51, 0x52, 0x53, 0x54,                         /* baseSequence @53 */
        0x00, 0x00, 0x00, 0x01,                         /* recordCount @57 */
    };
    /* record: length 7 -> 14, attrs 0, tsDelta 2 -> 4, offDelta 0, key null -> 1,
     * value len 1 -> 2, 'v', headers 0. */
    static const uint8_t want_record[] = {0x0e, 0x00, 0x04, 0x00, 0x01, 0x02, 'v', 0x00};
    assert_int_equal(out.len, 61 + sizeof(want_record));
    assert_memory_equal(d, want_header, 17);
    assert_memory_equal(d + 21, want_header + 21, 61 - 21);
    assert_memory_equal(d + 61, want_record, sizeof(want_record));
    uint32_t crc = st_crc32c_sw(0, d + 21, out.len - 21);
    assert_int_equal((uint32_t)st_get_i32(d + 17), crc);
    st_buf_free(&out);
    st_batch_builder_free(&b);
}

/* ---- Batches written by another client: byte vectors from the Sarama (Go)
 * client's record batch tests, uncompressed and compressed by Go codecs. Each
 * holds one record: tsDelta 5, key 01020304, value 050607, header 08090a ->
 * 0b0c; baseTimestamp 1479847795000, maxTimestamp 0. */

#define SARAMA_HEADER(len_byte, c0, c1, c2, c3, attr, count)                  \
    0, 0, 0, 0, 0, 0, 0, 0,              /* baseOffset */                     \
        0, 0, 0, len_byte,               /* length */                         \
        0, 0, 0, 0,                      /* partitionLeaderEpoch */           \
        2,                               /* magic */                          \
        c0, c1, c2, c3,                  /* crc */                            \
        0, attr,                         /* attributes */                     \
        0, 0, 0, 0,                      /* lastOffsetDelta */                \
        0, 0, 1, 88, 141, 205, 89, 56,   /* baseTimestamp */                  \
        0, 0, 0, 0, 0, 0, 0, 0,          /* maxTimestamp */                   \
        0, 0, 0, 0, 0, 0, 0, 0,          /* producerId */                     \
        0, 0,                            /* producerEpoch */                  \
        0, 0, 0, 0,                      /* baseSequence */                   \
        0, 0, 0, count                   /* recordCount */

static const uint8_t sarama_plain[] = {
    SARAMA_HEADER(70, 84, 121, 97, 253, 0, 1),
    40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12};
static const uint8_t sarama_gzip[] = {
    SARAMA_HEADER(94, 159, 236, 182, 189, 1, 1),
    31, 139, 8, 0, 0, 0, 0, 0, 0, 255, 210, 96, 224, 98, 224, 96, 100, 98, 102, 97, 99, 101,
    99, 103, 98, 227, 224, 228, 98, 225, 230, 1, 4, 0, 0, 255, 255, 173, 201, 88, 103, 21, 0, 0, 0};
static const uint8_t sarama_snappy[] = {
    SARAMA_HEADER(72, 21, 0, 159, 97, 2, 1),
    21, 80, 40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2, 6, 8, 9, 10, 4, 11, 12};
static const uint8_t sarama_lz4[] = {
    SARAMA_HEADER(89, 169, 74, 119, 197, 3, 1),
    4, 34, 77, 24, 100, 112, 185, 21, 0, 0, 128, 40, 0, 10, 0, 8, 1, 2, 3, 4, 6, 5, 6, 7, 2,
    6, 8, 9, 10, 4, 11, 12, 0, 0, 0, 0, 12, 59, 239, 146};

static void check_sarama_batch(const uint8_t *bytes, size_t n, int codec)
{
    st_batch batch;
    assert_int_equal(st_batch_parse(bytes, n, true, &batch), ST_OK);
    assert_int_equal(batch.size, n);
    assert_int_equal(st_batch_codec(&batch.header), codec);
    st_record_iter it;
    st_record rec;
    assert_int_equal(st_record_iter_init(&it, &batch, 1024), ST_OK);
    assert_true(st_record_iter_next(&it, &rec));
    assert_int_equal(rec.timestamp, 1479847795005);
    assert_true(st_slice_eq(rec.key, st_slice_from("\x01\x02\x03\x04", 4)));
    assert_true(st_slice_eq(rec.value, st_slice_from("\x05\x06\x07", 3)));
    st_header_iter hi;
    st_record_header h;
    st_header_iter_init(&hi, &rec);
    assert_true(st_header_iter_next(&hi, &h));
    assert_true(st_slice_eq(h.key, st_slice_from("\x08\x09\x0a", 3)));
    assert_true(st_slice_eq(h.value, st_slice_from("\x0b\x0c", 2)));
    assert_false(st_header_iter_next(&hi, &h));
    assert_false(st_record_iter_next(&it, &rec));
    assert_int_equal(it.err, ST_OK);
    st_record_iter_free(&it);
}

static void test_other_client_batches(void **state)
{
    (void)state;
    check_sarama_batch(sarama_plain, sizeof(sarama_plain), ST_CODEC_NONE);
    check_sarama_batch(sarama_gzip, sizeof(sarama_gzip), ST_CODEC_GZIP);
    check_sarama_batch(sarama_snappy, sizeof(sarama_snappy), ST_CODEC_SNAPPY);
    check_sarama_batch(sarama_lz4, sizeof(sarama_lz4), ST_CODEC_LZ4);
    /* Empty batches: plain, and with the control bit (CRCs differ). */
    static const uint8_t empty[] = {SARAMA_HEADER(49, 89, 95, 183, 221, 0, 0)};
    static const uint8_t empty_control[] = {SARAMA_HEADER(49, 81, 46, 67, 217, 32, 0)};
    uint8_t fixed[sizeof(empty)];
    memcpy(fixed, empty, sizeof(empty));
    memset(fixed + 27, 0, 8); /* Sarama's empty batches have baseTimestamp 0 */
    st_batch batch;
    assert_int_equal(st_batch_parse(fixed, sizeof(fixed), true, &batch), ST_OK);
    assert_int_equal(batch.header.record_count, 0);
    memcpy(fixed, empty_control, sizeof(fixed));
    memset(fixed + 27, 0, 8);
    assert_int_equal(st_batch_parse(fixed, sizeof(fixed), true, &batch), ST_OK);
    assert_true(st_batch_is_control(&batch.header));
}

/* Our builder writes the same bytes as that client, given the same fields. */
static void test_builder_matches_other_client(void **state)
{
    (void)state;
    st_batch_params p = st_batch_params_default();
    p.base_offset = 0;
    p.partition_leader_epoch = 0;
    p.base_timestamp = 1479847795000;
    p.producer_id = 0;
    p.producer_epoch = 0;
    p.base_sequence = 0;
    st_record_header h = {st_slice_from("\x08\x09\x0a", 3), st_slice_from("\x0b\x0c", 2)};
    st_record_fields f = {.offset_delta = 0, .timestamp_delta = 5,
                          .key = st_slice_from("\x01\x02\x03\x04", 4),
                          .value = st_slice_from("\x05\x06\x07", 3),
                          .headers = &h, .header_count = 1};
    st_batch_builder b;
    st_batch_builder_init(&b);
    assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(st_batch_builder_finish(&b, &p, &out), ST_OK);
    assert_int_equal(out.len, sizeof(sarama_plain));
    /* Sarama stores maxTimestamp 0; setting it recomputes the CRC. */
    assert_int_equal(st_batch_set_max_timestamp(out.data, out.len, false, 0), ST_OK);
    assert_memory_equal(out.data, sarama_plain, sizeof(sarama_plain));
    st_buf_free(&out);
    st_batch_builder_free(&b);
}

/* ---- Damage: flipped bits, truncation, legacy formats */

static void build_small(st_buf *out, int codec)
{
    st_batch_params p = sample_params(codec, false);
    st_batch_builder b;
    st_batch_builder_init(&b);
    for (int i = 0; i < 3; i++) {
        st_record_fields f = sample(i);
        assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    }
    assert_int_equal(st_batch_builder_finish(&b, &p, out), ST_OK);
    st_batch_builder_free(&b);
}

/* Iterate whatever a damaged batch holds; must not crash or over-read. */
static void drain(const uint8_t *p, size_t n)
{
    st_batch_iter bi;
    st_batch batch;
    st_batch_iter_init(&bi, p, n, false);
    while (st_batch_iter_next(&bi, &batch) == ST_BATCH_OK) {
        st_record_iter it;
        st_record rec;
        st_record_iter_init(&it, &batch, 64 * 1024);
        while (st_record_iter_next(&it, &rec)) {
            st_header_iter hi;
            st_record_header h;
            st_header_iter_init(&hi, &rec);
            while (st_header_iter_next(&hi, &h))
                ;
        }
        st_record_iter_free(&it);
    }
}

static void test_every_bit_flip_detected(void **state)
{
    (void)state;
    for (size_t c = 0; c < NCASES; c++) {
        st_buf out;
        st_buf_init(&out);
        build_small(&out, cases[c].codec);
        for (size_t pos = 0; pos < out.len; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                /* A heap copy of exactly the batch, so ASan sees over-reads. */
                uint8_t *copy = malloc(out.len);
                memcpy(copy, out.data, out.len);
                copy[pos] ^= (uint8_t)(1u << bit);
                st_batch batch;
                st_err err = st_batch_parse(copy, out.len, true, &batch);
                if (pos >= ST_BATCH_OFF_MAGIC)
                    assert_int_not_equal(err, ST_OK);
                if (pos >= ST_BATCH_OFF_CRC)
                    assert_int_equal(err, ST_ERR_CORRUPT);
                drain(copy, out.len); /* without the CRC check */
                free(copy);
            }
        }
        st_buf_free(&out);
    }
}

static void test_truncation_at_every_length(void **state)
{
    (void)state;
    st_buf out;
    st_buf_init(&out);
    build_small(&out, ST_CODEC_NONE);
    size_t first = out.len;
    build_small(&out, ST_CODEC_ZSTD);
    for (size_t len = 0; len <= out.len; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, out.data, len);
        st_batch batch;
        st_batch_iter it;
        st_batch_iter_init(&it, copy, len, true);
        st_batch_status s = st_batch_iter_next(&it, &batch);
        if (len == 0) {
            assert_int_equal(s, ST_BATCH_END);
        } else if (len < first) {
            assert_int_equal(s, ST_BATCH_INCOMPLETE);
            assert_int_equal(st_batch_iter_offset(&it), 0);
            assert_int_equal(st_batch_parse(copy, len, true, &batch), ST_ERR_TRUNCATED);
        } else {
            assert_int_equal(s, ST_BATCH_OK);
            s = st_batch_iter_next(&it, &batch);
            if (len == first)
                assert_int_equal(s, ST_BATCH_END);
            else if (len < out.len)
                assert_int_equal(s, ST_BATCH_INCOMPLETE);
            else
                assert_int_equal(s, ST_BATCH_OK);
            assert_int_equal(st_batch_iter_offset(&it), len == out.len ? len : first);
        }
        /* The state sticks. */
        if (s == ST_BATCH_INCOMPLETE)
            assert_int_equal(st_batch_iter_next(&it, &batch), ST_BATCH_INCOMPLETE);
        free(copy);
    }
    st_buf_free(&out);
}

/* Legacy message sets: offset, size, crc, magic (at 16, as in v2), ... */
static void legacy_message(st_buf *out, int8_t magic)
{
    st_write_i64(out, 5);
    st_write_i32(out, magic == 0 ? 20 : 28);
    st_write_u32(out, 0xdeadbeef);
    st_write_i8(out, magic);
    st_write_i8(out, 0);
    if (magic == 1)
        st_write_i64(out, 1700000000000);
    st_write_i32(out, -1);
    st_write_bytes(out, st_slice_cstr("legacy"));
}

static void test_legacy_magic_unsupported(void **state)
{
    (void)state;
    for (int8_t magic = 0; magic <= 1; magic++) {
        st_buf out;
        st_buf_init(&out);
        legacy_message(&out, magic);
        legacy_message(&out, magic);
        st_batch batch;
        assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_ERR_UNSUPPORTED);
        st_batch_iter it;
        st_batch_iter_init(&it, out.data, out.len, true);
        assert_int_equal(st_batch_iter_next(&it, &batch), ST_BATCH_ERROR);
        assert_int_equal(it.err, ST_ERR_UNSUPPORTED);
        st_buf_free(&out);
    }
    uint8_t odd[61] = {0};
    odd[ST_BATCH_OFF_MAGIC] = 3;
    st_batch batch;
    assert_int_equal(st_batch_parse(odd, sizeof(odd), true, &batch), ST_ERR_MALFORMED);
}

static void test_bad_lengths(void **state)
{
    (void)state;
    st_buf out;
    st_buf_init(&out);
    build_small(&out, ST_CODEC_NONE);
    st_batch batch;
    st_put_i32(out.data + ST_BATCH_OFF_LENGTH, ST_BATCH_MIN_LENGTH - 1);
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_ERR_MALFORMED);
    st_put_i32(out.data + ST_BATCH_OFF_LENGTH, -1);
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_ERR_MALFORMED);
    st_put_i32(out.data + ST_BATCH_OFF_LENGTH, INT32_MAX);
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_ERR_TRUNCATED);
    st_buf_free(&out);
}

/* Rewrites one header field of an uncompressed batch and fixes the CRC, so
 * that only the record-level checks stand between the bytes and the caller. */
static st_err iterate_all(uint8_t *data, size_t n)
{
    st_batch batch;
    assert_int_equal(st_batch_update_crc(data, n), ST_OK);
    assert_int_equal(st_batch_parse(data, n, true, &batch), ST_OK);
    st_record_iter it;
    st_record rec;
    st_record_iter_init(&it, &batch, MAX_PLAIN);
    while (st_record_iter_next(&it, &rec))
        ;
    st_err err = it.err;
    st_record_iter_free(&it);
    return err;
}

static void test_record_level_checks(void **state)
{
    (void)state;
    st_buf out;
    st_buf_init(&out);
    build_small(&out, ST_CODEC_NONE);
    uint8_t *d = out.data;
    assert_int_equal(iterate_all(d, out.len), ST_OK);
    st_put_i32(d + ST_BATCH_OFF_RECORD_COUNT, 4); /* one more than present */
    assert_int_equal(iterate_all(d, out.len), ST_ERR_MALFORMED);
    st_put_i32(d + ST_BATCH_OFF_RECORD_COUNT, 2); /* bytes left over */
    assert_int_equal(iterate_all(d, out.len), ST_ERR_MALFORMED);
    st_put_i32(d + ST_BATCH_OFF_RECORD_COUNT, 100000); /* cannot fit */
    assert_int_equal(iterate_all(d, out.len), ST_ERR_MALFORMED);
    st_put_i32(d + ST_BATCH_OFF_RECORD_COUNT, -1);
    st_batch batch;
    st_batch_update_crc(d, out.len);
    assert_int_equal(st_batch_parse(d, out.len, true, &batch), ST_ERR_MALFORMED);
    st_put_i32(d + ST_BATCH_OFF_RECORD_COUNT, 3);
    /* The first record's length, one too long and one too short. */
    d[61] += 2;
    assert_int_equal(iterate_all(d, out.len), ST_ERR_MALFORMED);
    d[61] -= 4;
    assert_int_equal(iterate_all(d, out.len), ST_ERR_MALFORMED);
    d[61] += 2;
    assert_int_equal(iterate_all(d, out.len), ST_OK);
    /* Unknown codec id in the attributes. */
    st_put_i16(d + ST_BATCH_OFF_ATTRIBUTES, 5);
    st_record_iter it;
    st_batch_update_crc(d, out.len);
    assert_int_equal(st_batch_parse(d, out.len, true, &batch), ST_OK);
    assert_int_equal(st_record_iter_init(&it, &batch, MAX_PLAIN), ST_ERR_UNSUPPORTED);
    st_record_iter_free(&it);
    st_buf_free(&out);
}

static void test_header_count_checked(void **state)
{
    (void)state;
    st_buf rec;
    st_buf_init(&rec);
    /* body: attrs 0, ts 0, off 0, key null, value null, headers 2^20. */
    static const uint8_t body[] = {0x00, 0x00, 0x00, 0x01, 0x01, 0x80, 0x80, 0x80, 0x01};
    st_write_varint(&rec, (int32_t)sizeof(body));
    st_buf_append(&rec, body, sizeof(body));
    st_reader r;
    st_record out;
    st_reader_init(&r, rec.data, rec.len);
    assert_int_equal(st_record_read(&r, &out), ST_ERR_MALFORMED);
    /* A null header key. */
    static const uint8_t null_key[] = {0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01};
    st_buf_reset(&rec);
    st_write_varint(&rec, (int32_t)sizeof(null_key));
    st_buf_append(&rec, null_key, sizeof(null_key));
    st_reader_init(&r, rec.data, rec.len);
    assert_int_equal(st_record_read(&r, &out), ST_ERR_MALFORMED);
    /* Negative record length. */
    st_reader_init(&r, "\x01", 1);
    assert_int_equal(st_record_read(&r, &out), ST_ERR_MALFORMED);
    st_buf_free(&rec);
}

static void test_builder_rejects_bad_records(void **state)
{
    (void)state;
    st_batch_builder b;
    st_batch_builder_init(&b);
    st_record_fields f = {.offset_delta = 0, .key = ST_SLICE_NULL, .value = ST_SLICE_NULL};
    assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    assert_int_equal(st_batch_builder_add(&b, &f), ST_ERR_MALFORMED); /* not increasing */
    f.offset_delta = -1;
    assert_int_equal(st_batch_builder_add(&b, &f), ST_ERR_MALFORMED);
    st_record_header h = {ST_SLICE_NULL, ST_SLICE_NULL};
    f.offset_delta = 1;
    f.headers = &h;
    f.header_count = 1;
    assert_int_equal(st_batch_builder_add(&b, &f), ST_ERR_MALFORMED); /* null header key */
    assert_int_equal(b.count, 1);
    st_batch_params p = st_batch_params_default();
    p.codec = 6;
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(st_batch_builder_finish(&b, &p, &out), ST_ERR_UNSUPPORTED);
    assert_int_equal(out.len, 0);
    /* An empty batch is valid. */
    st_batch_builder_reset(&b);
    p.codec = ST_CODEC_ZSTD;
    assert_int_equal(st_batch_builder_finish(&b, &p, &out), ST_OK);
    st_batch batch;
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
    assert_int_equal(batch.header.record_count, 0);
    st_buf_free(&out);
    st_batch_builder_free(&b);
}

/* A compressed section cut short inside a whole batch is malformed, never
 * "truncated" (which callers read as an incomplete tail). */
static void test_cut_compressed_section(void **state)
{
    (void)state;
    for (size_t c = 1; c < NCASES; c++) {
        st_buf out;
        st_buf_init(&out);
        build_small(&out, cases[c].codec);
        for (size_t len = ST_BATCH_HEADER_SIZE; len < out.len; len++) {
            st_put_i32(out.data + ST_BATCH_OFF_LENGTH, (int32_t)(len - ST_BATCH_LOG_OVERHEAD));
            st_batch_update_crc(out.data, len);
            st_batch batch;
            assert_int_equal(st_batch_parse(out.data, len, true, &batch), ST_OK);
            st_record_iter it;
            st_record rec;
            st_err err = st_record_iter_init(&it, &batch, MAX_PLAIN);
            while (!err && st_record_iter_next(&it, &rec))
                ;
            if (!err) /* xerial cut between blocks: the records come up short */
                err = it.err;
            assert_int_not_equal(err, ST_OK);
            assert_int_not_equal(err, ST_ERR_TRUNCATED);
            st_record_iter_free(&it);
        }
        st_buf_free(&out);
    }
}

/* ---- Control batches and in-place edits */

static void test_control_batch_round_trip(void **state)
{
    (void)state;
    for (int16_t type = ST_CONTROL_ABORT; type <= ST_CONTROL_COMMIT; type++) {
        st_batch_params p = sample_params(ST_CODEC_GZIP, false);
        p.base_sequence = ST_NO_SEQUENCE;
        st_txn_marker m = {.type = type, .coordinator_epoch = 77};
        st_buf out;
        st_buf_init(&out);
        assert_int_equal(st_batch_write_txn_marker(&p, &m, &out), ST_OK);
        st_batch batch;
        assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
        assert_true(st_batch_is_control(&batch.header));
        assert_true(st_batch_is_transactional(&batch.header));
        assert_int_equal(st_batch_codec(&batch.header), ST_CODEC_NONE);
        assert_int_equal(batch.header.producer_id, 4242);
        assert_int_equal(batch.header.record_count, 1);
        st_record_iter it;
        st_record rec;
        assert_int_equal(st_record_iter_init(&it, &batch, 1024), ST_OK);
        assert_true(st_record_iter_next(&it, &rec));
        assert_true(st_slice_eq(rec.key, st_slice_from(type ? "\0\0\0\1" : "\0\0\0\0", 4)));
        assert_true(st_slice_eq(rec.value, st_slice_from("\0\0\0\0\0\x4d", 6)));
        st_txn_marker got;
        assert_int_equal(st_txn_marker_parse(&rec, &got), ST_OK);
        assert_int_equal(got.type, type);
        assert_int_equal(got.coordinator_epoch, 77);
        assert_false(st_record_iter_next(&it, &rec));
        assert_int_equal(it.err, ST_OK);
        st_record_iter_free(&it);
        st_buf_free(&out);
    }
}

static void test_control_record_parsing(void **state)
{
    (void)state;
    st_control_key key;
    assert_int_equal(st_control_key_parse(st_slice_from("\0\0\0\1", 4), &key), ST_OK);
    assert_int_equal(key.type, ST_CONTROL_COMMIT);
    /* A newer key version with extra bytes is read by its known prefix. */
    assert_int_equal(st_control_key_parse(st_slice_from("\0\1\0\3xx", 6), &key), ST_OK);
    assert_int_equal(key.version, 1);
    assert_int_equal(key.type, 3);
    assert_int_equal(st_control_key_parse(st_slice_from("\0\0\0", 3), &key), ST_ERR_MALFORMED);
    assert_int_equal(st_control_key_parse(ST_SLICE_NULL, &key), ST_ERR_MALFORMED);
    assert_int_equal(st_control_key_parse(st_slice_from("\xff\xff\0\0", 4), &key),
                     ST_ERR_MALFORMED);
    st_record rec = {.key = st_slice_from("\0\0\0\3", 4), .value = ST_SLICE_NULL};
    st_txn_marker m;
    assert_int_equal(st_txn_marker_parse(&rec, &m), ST_ERR_UNSUPPORTED);
    rec.key = st_slice_from("\0\0\0\0", 4);
    assert_int_equal(st_txn_marker_parse(&rec, &m), ST_ERR_MALFORMED); /* null value */
    rec.value = st_slice_from("\0\0\0\0\0", 5);
    assert_int_equal(st_txn_marker_parse(&rec, &m), ST_ERR_MALFORMED); /* short value */
}

static void test_in_place_edits(void **state)
{
    (void)state;
    st_batch_params p = sample_params(ST_CODEC_LZ4, false);
    st_buf out;
    st_buf_init(&out);
    build_samples(&p, &out);
    uint32_t crc = (uint32_t)st_get_i32(out.data + ST_BATCH_OFF_CRC);
    st_batch_set_base_offset(out.data, 555);
    st_batch_set_partition_leader_epoch(out.data, 9);
    assert_int_equal((uint32_t)st_get_i32(out.data + ST_BATCH_OFF_CRC), crc);
    st_batch batch;
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
    assert_int_equal(batch.header.base_offset, 555);
    assert_int_equal(batch.header.partition_leader_epoch, 9);
    p.base_offset = 555;
    check_samples(&batch, &p);
    /* LogAppendTime: every record takes the batch's maxTimestamp. */
    assert_int_equal(st_batch_set_max_timestamp(out.data, out.len, true, 1800000000000), ST_OK);
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
    assert_true(st_batch_has_log_append_time(&batch.header));
    assert_int_equal(st_batch_codec(&batch.header), ST_CODEC_LZ4);
    st_record_iter it;
    st_record rec;
    assert_int_equal(st_record_iter_init(&it, &batch, MAX_PLAIN), ST_OK);
    int n = 0;
    while (st_record_iter_next(&it, &rec)) {
        assert_int_equal(rec.timestamp, 1800000000000);
        n++;
    }
    assert_int_equal(n, NSAMPLES);
    st_record_iter_free(&it);
    /* And back to CreateTime. */
    assert_int_equal(st_batch_set_max_timestamp(out.data, out.len, false, 5), ST_OK);
    assert_int_equal(st_batch_parse(out.data, out.len, true, &batch), ST_OK);
    assert_false(st_batch_has_log_append_time(&batch.header));
    assert_int_equal(batch.header.max_timestamp, 5);
    assert_int_equal(st_batch_update_crc(out.data, 60), ST_ERR_TRUNCATED);
    st_buf_free(&out);
}

/* Random damage to compressed batches, with the CRC fixed up so the damage
 * reaches the decompressors and the record decoder. */
static void test_random_damage_past_crc(void **state)
{
    (void)state;
    uint64_t seed = 12345;
    for (size_t c = 0; c < NCASES; c++) {
        st_buf out;
        st_buf_init(&out);
        build_small(&out, cases[c].codec);
        for (int round = 0; round < 3000; round++) {
            uint8_t *copy = malloc(out.len);
            memcpy(copy, out.data, out.len);
            int flips = 1 + (int)(next_rand(&seed) % 4);
            for (int k = 0; k < flips; k++) {
                size_t pos = 61 + next_rand(&seed) % (out.len - 61);
                copy[pos] ^= (uint8_t)next_rand(&seed);
            }
            st_batch_update_crc(copy, out.len);
            drain(copy, out.len);
            free(copy);
        }
        st_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_codec),
        cmocka_unit_test(test_many_records),
        cmocka_unit_test(test_header_layout),
        cmocka_unit_test(test_other_client_batches),
        cmocka_unit_test(test_builder_matches_other_client),
        cmocka_unit_test(test_every_bit_flip_detected),
        cmocka_unit_test(test_truncation_at_every_length),
        cmocka_unit_test(test_legacy_magic_unsupported),
        cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_record_level_checks),
        cmocka_unit_test(test_header_count_checked),
        cmocka_unit_test(test_builder_rejects_bad_records),
        cmocka_unit_test(test_cut_compressed_section),
        cmocka_unit_test(test_control_batch_round_trip),
        cmocka_unit_test(test_control_record_parsing),
        cmocka_unit_test(test_in_place_edits),
        cmocka_unit_test(test_random_damage_past_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
