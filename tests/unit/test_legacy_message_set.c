/* test_legacy_message_set.c — Produce v0-2 message sets (magic 0 and 1,
 * plain and compressed) become one RecordBatch v2 with the same keys,
 * values and timestamps; damaged input is refused, never misread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "common/legacy_message_set.h"

/* Appends one legacy message (offset, size, crc, magic, attrs, [ts], key, value). */
static void put_message(st_buf *out, int64_t offset, int8_t magic, int8_t attrs, int64_t ts,
                        const char *key, const uint8_t *value, int32_t value_len)
{
    st_buf body;
    st_buf_init(&body);
    st_write_i8(&body, magic);
    st_write_i8(&body, attrs);
    if (magic == 1)
        st_write_i64(&body, ts);
    st_write_bytes(&body, st_slice_cstr(key));
    st_write_bytes(&body, value ? st_slice_from(value, (size_t)value_len) : ST_SLICE_NULL);
    st_write_i64(out, offset);
    st_write_i32(out, (int32_t)body.len + 4);
    st_write_u32(out, (uint32_t)crc32(0, body.data, (uInt)body.len));
    st_buf_append(out, body.data, body.len);
    st_buf_free(&body);
}

static void check_records(const st_buf *batch, int n, const char *const *keys,
                          const char *const *values, const int64_t *timestamps)
{
    st_batch b;
    assert_int_equal(st_batch_parse(batch->data, batch->len, true, &b), ST_OK);
    assert_int_equal(b.header.record_count, n);
    st_record_iter it;
    assert_int_equal(st_record_iter_init(&it, &b, 1 << 20), ST_OK);
    st_record rec;
    for (int i = 0; i < n; i++) {
        assert_true(st_record_iter_next(&it, &rec));
        assert_int_equal(rec.offset_delta, i);
        assert_true(st_slice_eq_cstr(rec.key, keys[i]));
        assert_true(st_slice_eq_cstr(rec.value, values[i]));
        assert_int_equal(rec.timestamp, timestamps[i]);
    }
    assert_false(st_record_iter_next(&it, &rec));
    assert_int_equal(it.err, ST_OK);
    st_record_iter_free(&it);
}

static void test_magic0_and_magic1(void **state)
{
    (void)state;
    const char *keys[] = {"k1", "k2"}, *values[] = {"v1", "v2"};
    for (int8_t magic = 0; magic <= 1; magic++) {
        st_buf set, out;
        st_buf_init(&set);
        st_buf_init(&out);
        put_message(&set, 0, magic, 0, 1000, "k1", (const uint8_t *)"v1", 2);
        put_message(&set, 1, magic, 0, 1005, "k2", (const uint8_t *)"v2", 2);
        int32_t n = 0;
        assert_int_equal(st_legacy_to_batch(set.data, set.len, 1 << 20, &out, &n), ST_OK);
        assert_int_equal(n, 2);
        int64_t ts[] = {magic ? 1000 : -1, magic ? 1005 : -1};
        check_records(&out, 2, keys, values, ts);
        st_buf_free(&set);
        st_buf_free(&out);
    }
}

static void test_gzip_wrapper(void **state)
{
    (void)state;
    st_buf inner, compressed, set, out;
    st_buf_init(&inner);
    st_buf_init(&compressed);
    st_buf_init(&set);
    st_buf_init(&out);
    put_message(&inner, 0, 1, 0, 7, "a", (const uint8_t *)"x", 1);
    put_message(&inner, 1, 1, 0, 9, "b", (const uint8_t *)"y", 1);
    assert_int_equal(st_compress(ST_CODEC_GZIP, inner.data, inner.len, &compressed), ST_OK);
    put_message(&set, 1, 1, ST_CODEC_GZIP, 9, NULL, compressed.data, (int32_t)compressed.len);
    assert_int_equal(st_legacy_to_batch(set.data, set.len, 1 << 20, &out, NULL), ST_OK);
    st_batch b;
    assert_int_equal(st_batch_parse(out.data, out.len, true, &b), ST_OK);
    assert_int_equal(st_batch_codec(&b.header), ST_CODEC_GZIP);
    const char *keys[] = {"a", "b"}, *values[] = {"x", "y"};
    int64_t ts[] = {7, 9};
    check_records(&out, 2, keys, values, ts);
    st_buf_free(&inner);
    st_buf_free(&compressed);
    st_buf_free(&set);
    st_buf_free(&out);
}

static void test_damage_is_refused(void **state)
{
    (void)state;
    st_buf set, out;
    st_buf_init(&set);
    st_buf_init(&out);
    put_message(&set, 0, 1, 0, 1, "k", (const uint8_t *)"value", 5);
    set.data[set.len - 1] ^= 1; /* a flipped value byte: CRC mismatch */
    assert_int_equal(st_legacy_to_batch(set.data, set.len, 1 << 20, &out, NULL), ST_ERR_CORRUPT);
    set.data[set.len - 1] ^= 1;
    for (size_t n = 0; n < set.len; n++) { /* every truncation fails */
        st_buf_reset(&out);
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, set.data, n);
        assert_int_not_equal(st_legacy_to_batch(copy, n, 1 << 20, &out, NULL), ST_OK);
        free(copy);
    }
    st_buf_free(&set);
    st_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_magic0_and_magic1),
        cmocka_unit_test(test_gzip_wrapper),
        cmocka_unit_test(test_damage_is_refused),
    };
    return cmocka_run_group_tests_name("legacy_message_set", tests, NULL, NULL);
}
