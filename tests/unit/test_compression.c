/* test_compression.c — the four Kafka codecs: round trips, bounded
 * decompression (zip bombs), xerial snappy framing, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "common/compression.h"
#include "common/wire.h"

#define MIB ((size_t)1024 * 1024)

/* A codec and its write options, so xerial snappy is tested as its own case. */
typedef struct codec_case {
    int codec;
    bool xerial;
    const char *name;
} codec_case;

static const codec_case cases[] = {
    {ST_CODEC_NONE, false, "none"},
    {ST_CODEC_GZIP, false, "gzip"},
    {ST_CODEC_SNAPPY, false, "snappy"},
    {ST_CODEC_SNAPPY, true, "snappy-xerial"},
    {ST_CODEC_LZ4, false, "lz4"},
    {ST_CODEC_ZSTD, false, "zstd"},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)next_rand(&seed);
    return p;
}

/* Text-like data: repeated words with some variation. */
static uint8_t *compressible_bytes(size_t n)
{
    static const char *words[] = {"kafka ", "record ", "batch ", "offset ",
                                  "strait ", "partition ", "{\"id\":", "}\n"};
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint64_t seed = 42;
    size_t i = 0;
    while (i < n) {
        const char *w = words[next_rand(&seed) % 8];
        for (size_t k = 0; w[k] && i < n; k++)
            p[i++] = (uint8_t)w[k];
    }
    return p;
}

static void compress_case(const codec_case *c, const uint8_t *in, size_t n,
                          st_buf *out)
{
    st_compress_opts opts = ST_COMPRESS_OPTS_DEFAULT;
    opts.snappy_xerial = c->xerial;
    assert_int_equal(st_compress_with(c->codec, &opts, in, n, out), ST_OK);
}

static void round_trip(const codec_case *c, const uint8_t *in, size_t n)
{
    st_buf z, plain;
    st_buf_init(&z);
    st_buf_init(&plain);
    compress_case(c, in, n, &z);
    assert_int_equal(st_decompress(c->codec, z.data, z.len, n, &plain), ST_OK);
    assert_int_equal(plain.len, n);
    if (n)
        assert_memory_equal(plain.data, in, n);
    if (n) { /* one byte less than the output is too large */
        st_buf_reset(&plain);
        assert_int_equal(st_decompress(c->codec, z.data, z.len, n - 1, &plain),
                         ST_ERR_TOO_LARGE);
        assert_int_equal(plain.len, 0);
    }
    st_buf_free(&z);
    st_buf_free(&plain);
}

static void test_round_trip_every_codec(void **state)
{
    (void)state;
    uint8_t *rnd = random_bytes(MIB, 7);
    uint8_t *txt = compressible_bytes(MIB);
    for (size_t i = 0; i < NCASES; i++) {
        print_message("round trip %s\n", cases[i].name);
        round_trip(&cases[i], NULL, 0);
        round_trip(&cases[i], (const uint8_t *)"hello, kafka", 12);
        round_trip(&cases[i], rnd, MIB);
        round_trip(&cases[i], txt, MIB);
        round_trip(&cases[i], txt, 100000); /* not a multiple of any block */
    }
    free(rnd);
    free(txt);
}

static void test_levels(void **state)
{
    (void)state;
    uint8_t *txt = compressible_bytes(200000);
    const int gzip_levels[] = {-1, 0, 1, 9};
    const int lz4_levels[] = {0, 1, 9, 12};
    const int zstd_levels[] = {-5, 1, 3, 19};
    for (int i = 0; i < 4; i++) {
        const int codecs[] = {ST_CODEC_GZIP, ST_CODEC_LZ4, ST_CODEC_ZSTD};
        const int levels[] = {gzip_levels[i], lz4_levels[i], zstd_levels[i]};
        for (int k = 0; k < 3; k++) {
            st_buf z, plain;
            st_buf_init(&z);
            st_buf_init(&plain);
            st_compress_opts opts = {.level = levels[k]};
            assert_int_equal(st_compress_with(codecs[k], &opts, txt, 200000, &z), ST_OK);
            assert_int_equal(st_decompress(codecs[k], z.data, z.len, 200000, &plain), ST_OK);
            assert_memory_equal(plain.data, txt, 200000);
            st_buf_free(&z);
            st_buf_free(&plain);
        }
    }
    st_buf z;
    st_buf_init(&z);
    st_compress_opts bad = {.level = 10};
    assert_int_equal(st_compress_with(ST_CODEC_GZIP, &bad, txt, 10, &z), ST_ERR_UNSUPPORTED);
    assert_int_equal(z.len, 0);
    st_buf_free(&z);
    free(txt);
}

/* Output is appended after what the buffer held; errors restore its length. */
static void test_appends_and_restores(void **state)
{
    (void)state;
    uint8_t *txt = compressible_bytes(5000);
    for (size_t i = 0; i < NCASES; i++) {
        st_buf z, out;
        st_buf_init(&z);
        st_buf_init(&out);
        st_buf_append(&z, "PFX", 3);
        compress_case(&cases[i], txt, 5000, &z);
        assert_memory_equal(z.data, "PFX", 3);
        st_buf_append(&out, "abc", 3);
        assert_int_equal(st_decompress(cases[i].codec, z.data + 3, z.len - 3, 5000, &out), ST_OK);
        assert_int_equal(out.len, 5003);
        assert_memory_equal(out.data, "abc", 3);
        assert_memory_equal(out.data + 3, txt, 5000);
        assert_int_equal(st_decompress(cases[i].codec, z.data + 3, z.len - 3, 4999, &out),
                         ST_ERR_TOO_LARGE);
        assert_int_equal(out.len, 5003);
        st_buf_free(&z);
        st_buf_free(&out);
    }
    free(txt);
}

static void test_unknown_codec(void **state)
{
    (void)state;
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(st_compress(5, (const uint8_t *)"x", 1, &out), ST_ERR_UNSUPPORTED);
    assert_int_equal(st_decompress(7, (const uint8_t *)"x", 1, 10, &out), ST_ERR_UNSUPPORTED);
    assert_int_equal(st_decompress(-1, (const uint8_t *)"x", 1, 10, &out), ST_ERR_UNSUPPORTED);
    assert_int_equal(st_decompress(ST_CODEC_NONE, (const uint8_t *)"xyz", 3, 2, &out),
                     ST_ERR_TOO_LARGE);
    assert_false(st_codec_known(5));
    assert_string_equal(st_codec_name(ST_CODEC_ZSTD), "zstd");
    assert_string_equal(st_codec_name(9), "unknown");
    st_buf_free(&out);
}

/* ---- Zip bombs: 100 MiB of zeros, compressed in a streaming way so the
 * test itself never holds 100 MiB. */

#define BOMB_CHUNKS 100 /* of 1 MiB */

static void gzip_bomb(st_buf *out)
{
    static const uint8_t zeros[64 * 1024];
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
    uint8_t tmp[64 * 1024];
    for (int i = 0; i <= BOMB_CHUNKS * 16; i++) {
        int flush = i == BOMB_CHUNKS * 16 ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = (Bytef *)zeros;
        z.avail_in = flush == Z_FINISH ? 0 : sizeof(zeros);
        do {
            z.next_out = tmp;
            z.avail_out = sizeof(tmp);
            deflate(&z, flush);
            st_buf_append(out, tmp, sizeof(tmp) - z.avail_out);
        } while (z.avail_out == 0);
    }
    deflateEnd(&z);
}

static void zstd_bomb(st_buf *out)
{
    static const uint8_t zeros[MIB];
    ZSTD_CCtx *c = ZSTD_createCCtx();
    uint8_t tmp[64 * 1024];
    for (int i = 0; i <= BOMB_CHUNKS; i++) {
        ZSTD_EndDirective end = i == BOMB_CHUNKS ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer in = {zeros, end == ZSTD_e_end ? 0 : sizeof(zeros), 0};
        size_t left;
        do {
            ZSTD_outBuffer o = {tmp, sizeof(tmp), 0};
            left = ZSTD_compressStream2(c, &o, &in, end);
            assert_false(ZSTD_isError(left));
            st_buf_append(out, tmp, o.pos);
        } while (in.pos < in.size || (end == ZSTD_e_end && left));
    }
    ZSTD_freeCCtx(c);
}

static void lz4_bomb(st_buf *out)
{
    static const uint8_t zeros[MIB];
    LZ4F_cctx *c;
    assert_false(LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION)));
    size_t cap = LZ4F_compressBound(sizeof(zeros), NULL) + 64;
    uint8_t *tmp = malloc(cap);
    size_t n = LZ4F_compressBegin(c, tmp, cap, NULL);
    st_buf_append(out, tmp, n);
    for (int i = 0; i < BOMB_CHUNKS; i++) {
        n = LZ4F_compressUpdate(c, tmp, cap, zeros, sizeof(zeros), NULL);
        assert_false(LZ4F_isError(n));
        st_buf_append(out, tmp, n);
    }
    n = LZ4F_compressEnd(c, tmp, cap, NULL);
    st_buf_append(out, tmp, n);
    free(tmp);
    LZ4F_freeCompressionContext(c);
}

/* Raw snappy by hand: one literal zero, then copies of 64 bytes at offset 1. */
static void snappy_raw_bomb(st_buf *out)
{
    size_t copies = BOMB_CHUNKS * MIB / 64;
    st_write_uvarint(out, (uint32_t)(1 + copies * 64));
    st_buf_append(out, "\x00\x00", 2);
    for (size_t i = 0; i < copies; i++)
        st_buf_append(out, "\xfe\x01\x00", 3);
}

/* xerial: one 32 KiB zero block, repeated to 100 MiB. */
static void snappy_xerial_bomb(st_buf *out)
{
    static const uint8_t zeros[32 * 1024];
    static char block[40 * 1024]; /* >= snappy_max_compressed_length(32 KiB) */
    size_t len = sizeof(block);
    assert_int_equal(snappy_compress((const char *)zeros, sizeof(zeros), block, &len), SNAPPY_OK);
    st_buf_append(out, "\x82SNAPPY\0", 8);
    st_write_i32(out, 1);
    st_write_i32(out, 1);
    for (size_t i = 0; i < BOMB_CHUNKS * MIB / sizeof(zeros); i++) {
        st_write_i32(out, (int32_t)len);
        st_buf_append(out, block, len);
    }
}

static void expect_bomb_refused(int codec, void (*make)(st_buf *), const char *name)
{
    st_buf bomb, out;
    st_buf_init(&bomb);
    st_buf_init(&out);
    make(&bomb);
    assert_int_equal(bomb.err, ST_OK);
    print_message("%s bomb: %zu compressed bytes\n", name, bomb.len);
    assert_int_equal(st_decompress(codec, bomb.data, bomb.len, MIB, &out), ST_ERR_TOO_LARGE);
    assert_int_equal(out.len, 0);
    assert_true(out.cap <= 2 * MIB + 256); /* grew with output, not to 100 MiB */
    /* With room for it all, the same bytes are a valid 100 MiB stream. */
    st_buf_free(&out);
    st_buf_init(&out);
    assert_int_equal(st_decompress(codec, bomb.data, bomb.len, 101 * MIB, &out), ST_OK);
    assert_true(out.len >= BOMB_CHUNKS * MIB && out.len <= BOMB_CHUNKS * MIB + 1);
    st_buf_free(&out);
    st_buf_free(&bomb);
}

static void test_zip_bombs_are_bounded(void **state)
{
    (void)state;
    expect_bomb_refused(ST_CODEC_GZIP, gzip_bomb, "gzip");
    expect_bomb_refused(ST_CODEC_ZSTD, zstd_bomb, "zstd");
    expect_bomb_refused(ST_CODEC_LZ4, lz4_bomb, "lz4");
    expect_bomb_refused(ST_CODEC_SNAPPY, snappy_raw_bomb, "snappy");
    expect_bomb_refused(ST_CODEC_SNAPPY, snappy_xerial_bomb, "snappy-xerial");
}

/* A generous bound does not make the buffer grow to the bound. */
static void test_output_grows_with_data(void **state)
{
    (void)state;
    uint8_t *txt = compressible_bytes(MIB);
    for (size_t i = 1; i < NCASES; i++) {
        st_buf z, out;
        st_buf_init(&z);
        st_buf_init(&out);
        compress_case(&cases[i], txt, MIB, &z);
        assert_int_equal(st_decompress(cases[i].codec, z.data, z.len, 1024 * MIB, &out), ST_OK);
        assert_true(out.cap <= 4 * MIB);
        st_buf_free(&z);
        st_buf_free(&out);
    }
    free(txt);
}

/* ---- snappy framing */

static void test_xerial_hand_built(void **state)
{
    (void)state;
    st_buf in, out;
    st_buf_init(&in);
    st_buf_init(&out);
    st_buf_append(&in, "\x82SNAPPY\0", 8);
    st_write_i32(&in, 1); /* version */
    st_write_i32(&in, 1); /* compatible version */
    /* Raw snappy blocks of literals: uncompressed length, tag (len-1)<<2. */
    st_write_i32(&in, 8);
    st_buf_append(&in, "\x06\x14hello ", 8);
    st_write_i32(&in, 7);
    st_buf_append(&in, "\x05\x10world", 7);
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, in.len, 100, &out), ST_OK);
    assert_int_equal(out.len, 11);
    assert_memory_equal(out.data, "hello world", 11);
    st_buf_reset(&out);
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, in.len, 10, &out), ST_ERR_TOO_LARGE);
    /* Header only: no blocks, no data. */
    st_buf_reset(&out);
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, 16, 100, &out), ST_OK);
    assert_int_equal(out.len, 0);
    /* A block length past the end, a zero and a negative block length. */
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, in.len - 1, 100, &out),
                     ST_ERR_TRUNCATED);
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, 18, 100, &out), ST_ERR_TRUNCATED);
    st_put_i32(in.data + 16, 0);
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, in.len, 100, &out), ST_ERR_MALFORMED);
    st_put_i32(in.data + 16, -8);
    assert_int_equal(st_decompress(ST_CODEC_SNAPPY, in.data, in.len, 100, &out), ST_ERR_MALFORMED);
    st_buf_free(&in);
    st_buf_free(&out);
}

static void test_snappy_writes_raw_or_xerial(void **state)
{
    (void)state;
    uint8_t *txt = compressible_bytes(100000);
    st_buf raw, xer;
    st_buf_init(&raw);
    st_buf_init(&xer);
    compress_case(&cases[2], txt, 100000, &raw);
    compress_case(&cases[3], txt, 100000, &xer);
    size_t len;
    assert_int_equal(snappy_uncompressed_length((const char *)raw.data, raw.len, &len), SNAPPY_OK);
    assert_int_equal(len, 100000);
    assert_memory_equal(xer.data, "\x82SNAPPY\0", 8);
    assert_int_equal(st_get_i32(xer.data + 8), 1);
    assert_int_equal(st_get_i32(xer.data + 12), 1);
    /* First block: 32 KiB of input, as xerial's default block size. */
    int32_t first = st_get_i32(xer.data + 16);
    assert_int_equal(snappy_uncompressed_length((const char *)xer.data + 20, (size_t)first, &len),
                     SNAPPY_OK);
    assert_int_equal(len, 32 * 1024);
    st_buf_free(&raw);
    st_buf_free(&xer);
    free(txt);
}

/* ---- Frame formats as Kafka's readers expect them */

static void test_lz4_frame_like_java(void **state)
{
    (void)state;
    st_buf z;
    st_buf_init(&z);
    assert_int_equal(st_compress(ST_CODEC_LZ4, (const uint8_t *)"hello", 5, &z), ST_OK);
    assert_memory_equal(z.data, "\x04\x22\x4d\x18", 4); /* frame magic */
    assert_int_equal(z.data[4], 0x60); /* version 1, independent blocks, no sizes/checksums */
    assert_int_equal(z.data[5], 0x40); /* 64 KiB blocks */
    st_buf_free(&z);
}

static void test_gzip_member_and_concatenation(void **state)
{
    (void)state;
    st_buf z, out;
    st_buf_init(&z);
    st_buf_init(&out);
    assert_int_equal(st_compress(ST_CODEC_GZIP, (const uint8_t *)"hello ", 6, &z), ST_OK);
    assert_memory_equal(z.data, "\x1f\x8b\x08", 3);
    size_t first = z.len;
    assert_int_equal(st_compress(ST_CODEC_GZIP, (const uint8_t *)"world", 5, &z), ST_OK);
    assert_int_equal(st_decompress(ST_CODEC_GZIP, z.data, z.len, 100, &out), ST_OK);
    assert_int_equal(out.len, 11);
    assert_memory_equal(out.data, "hello world", 11);
    /* Trailing bytes that are not a gzip member are ignored, as Java does. */
    st_buf_reset(&out);
    assert_int_equal(st_decompress(ST_CODEC_GZIP, z.data, first + 1, 100, &out), ST_OK);
    assert_int_equal(out.len, 6);
    st_buf_free(&z);
    st_buf_free(&out);
}

/* ---- Bad input: errors, never crashes */

static void test_truncated_input(void **state)
{
    (void)state;
    uint8_t *txt = compressible_bytes(3000);
    for (size_t i = 1; i < NCASES; i++) {
        st_buf z, out;
        st_buf_init(&z);
        st_buf_init(&out);
        compress_case(&cases[i], txt, 3000, &z);
        for (size_t cut = 0; cut < z.len; cut++) {
            st_buf_reset(&out);
            st_err err = st_decompress(cases[i].codec, z.data, cut, 3000, &out);
            /* xerial has no end marker: a cut between blocks is a shorter
             * valid stream; anything else must fail. */
            if (err == ST_OK) {
                assert_true(cases[i].xerial);
                assert_true(out.len < 3000);
            }
        }
        st_buf_free(&z);
        st_buf_free(&out);
    }
    free(txt);
}

static void test_corrupt_input(void **state)
{
    (void)state;
    uint8_t *txt = compressible_bytes(2000);
    uint64_t seed = 99;
    for (size_t i = 1; i < NCASES; i++) {
        st_buf z, out;
        st_buf_init(&z);
        st_buf_init(&out);
        compress_case(&cases[i], txt, 2000, &z);
        for (size_t pos = 0; pos < z.len; pos++) {
            for (int bit = 0; bit < 8; bit += 3) {
                z.data[pos] ^= (uint8_t)(1u << bit);
                st_buf_reset(&out);
                st_err err = st_decompress(cases[i].codec, z.data, z.len, 4000, &out);
                assert_true(err != ST_OK || out.len <= 4000);
                z.data[pos] ^= (uint8_t)(1u << bit);
            }
        }
        for (int round = 0; round < 200; round++) { /* pure garbage */
            size_t n = next_rand(&seed) % 300;
            uint8_t *junk = random_bytes(n, next_rand(&seed));
            st_buf_reset(&out);
            st_err err = st_decompress(cases[i].codec, junk, n, 4000, &out);
            assert_true(err != ST_OK || out.len <= 4000);
            free(junk);
        }
        st_buf_free(&z);
        st_buf_free(&out);
    }
    free(txt);
}

static void test_checksums_detected(void **state)
{
    (void)state;
    st_buf z, out;
    st_buf_init(&z);
    st_buf_init(&out);
    /* gzip: the trailer holds CRC-32 and length. */
    assert_int_equal(st_compress(ST_CODEC_GZIP, (const uint8_t *)"payload", 7, &z), ST_OK);
    z.data[z.len - 8] ^= 1;
    assert_int_not_equal(st_decompress(ST_CODEC_GZIP, z.data, z.len, 100, &out), ST_OK);
    /* lz4 with a content checksum (librdkafka and Sarama write one). */
    st_buf_reset(&z);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    uint8_t frame[128];
    size_t n = LZ4F_compressFrame(frame, sizeof(frame), "payload", 7, &prefs);
    assert_false(LZ4F_isError(n));
    assert_int_equal(st_decompress(ST_CODEC_LZ4, frame, n, 100, &out), ST_OK);
    frame[n - 1] ^= 1;
    st_buf_reset(&out);
    assert_int_equal(st_decompress(ST_CODEC_LZ4, frame, n, 100, &out), ST_ERR_CORRUPT);
    st_buf_free(&z);
    st_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_codec),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_appends_and_restores),
        cmocka_unit_test(test_unknown_codec),
        cmocka_unit_test(test_zip_bombs_are_bounded),
        cmocka_unit_test(test_output_grows_with_data),
        cmocka_unit_test(test_xerial_hand_built),
        cmocka_unit_test(test_snappy_writes_raw_or_xerial),
        cmocka_unit_test(test_lz4_frame_like_java),
        cmocka_unit_test(test_gzip_member_and_concatenation),
        cmocka_unit_test(test_truncated_input),
        cmocka_unit_test(test_corrupt_input),
        cmocka_unit_test(test_checksums_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
