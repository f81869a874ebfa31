/* test_mm2_format.c — MirrorMaker 2's Heartbeat and Checkpoint records:
 * bytes built by hand from the Java layout (Struct serialisation: int16
 * string lengths, big-endian integers, int16 version header on values),
 * encoded exactly, decoded back, and every malformed shape refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mirror/mm2_format.h"

/* Heartbeat{sourceClusterAlias="east", targetClusterAlias="west"}. */
static const uint8_t HEARTBEAT_KEY[] = {
    0x00, 0x04, 'e', 'a', 's', 't',
    0x00, 0x04, 'w', 'e', 's', 't',
};
/* version 0, timestamp 1700000000123 = 0x0000018BCFE5687B. */
static const uint8_t HEARTBEAT_VALUE[] = {
    0x00, 0x00,
    0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B,
};
/* Checkpoint key: group "g1", topic "east.orders", partition 3. */
static const uint8_t CHECKPOINT_KEY[] = {
    0x00, 0x02, 'g', '1',
    0x00, 0x0B, 'e', 'a', 's', 't', '.', 'o', 'r', 'd', 'e', 'r', 's',
    0x00, 0x00, 0x00, 0x03,
};
/* version 0, upstreamOffset 300 (0x12C), offset 258 (0x102), metadata "m;x". */
static const uint8_t CHECKPOINT_VALUE[] = {
    0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x2C,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,
    0x00, 0x03, 'm', ';', 'x',
};

static void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
}

static void test_heartbeat_encodes_java_layout(void **state)
{
    (void)state;
    char err[256] = "";
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(mm2_heartbeat_key_encode("east", "west", &out, &len, err, sizeof(err)),
                     ST_OK);
    assert_bytes(out, len, HEARTBEAT_KEY, sizeof(HEARTBEAT_KEY));
    free(out);
    assert_int_equal(mm2_heartbeat_value_encode(1700000000123LL, &out, &len, err, sizeof(err)),
                     ST_OK);
    assert_bytes(out, len, HEARTBEAT_VALUE, sizeof(HEARTBEAT_VALUE));
    free(out);
}

static void test_checkpoint_encodes_java_layout(void **state)
{
    (void)state;
    char err[256] = "";
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(
        mm2_checkpoint_key_encode("g1", "east.orders", 3, &out, &len, err, sizeof(err)), ST_OK);
    assert_bytes(out, len, CHECKPOINT_KEY, sizeof(CHECKPOINT_KEY));
    free(out);
    assert_int_equal(mm2_checkpoint_value_encode(300, 258, "m;x", &out, &len, err, sizeof(err)),
                     ST_OK);
    assert_bytes(out, len, CHECKPOINT_VALUE, sizeof(CHECKPOINT_VALUE));
    free(out);
}

static void test_null_metadata_is_empty_string(void **state)
{
    (void)state;
    char err[256] = "";
    uint8_t *out = NULL;
    size_t len = 0;
    /* version 0, upstream -1 (all ones), offset 0, metadata "" (length 0). */
    static const uint8_t want[] = {
        0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00,
    };
    assert_int_equal(mm2_checkpoint_value_encode(-1, 0, NULL, &out, &len, err, sizeof(err)),
                     ST_OK);
    assert_bytes(out, len, want, sizeof(want));
    mm2_checkpoint cp = {0};
    assert_int_equal(mm2_checkpoint_value_decode(out, len, &cp, err, sizeof(err)), ST_OK);
    assert_int_equal(cp.upstream_offset, -1);
    assert_int_equal(cp.downstream_offset, 0);
    assert_string_equal(cp.metadata, "");
    mm2_checkpoint_clear(&cp);
    free(out);
}

static void test_heartbeat_decodes_java_bytes(void **state)
{
    (void)state;
    char err[256] = "";
    mm2_heartbeat hb = {0};
    assert_int_equal(
        mm2_heartbeat_key_decode(HEARTBEAT_KEY, sizeof(HEARTBEAT_KEY), &hb, err, sizeof(err)),
        ST_OK);
    assert_int_equal(mm2_heartbeat_value_decode(HEARTBEAT_VALUE, sizeof(HEARTBEAT_VALUE), &hb,
                                                err, sizeof(err)),
                     ST_OK);
    assert_string_equal(hb.source_alias, "east");
    assert_string_equal(hb.target_alias, "west");
    assert_int_equal(hb.timestamp_ms, 1700000000123LL);
    /* Decoding again replaces (and frees) the strings: ASan sees no leak. */
    static const uint8_t other[] = {0x00, 0x01, 'a', 0x00, 0x00};
    assert_int_equal(mm2_heartbeat_key_decode(other, sizeof(other), &hb, err, sizeof(err)),
                     ST_OK);
    assert_string_equal(hb.source_alias, "a");
    assert_string_equal(hb.target_alias, "");
    mm2_heartbeat_clear(&hb);
    assert_null(hb.source_alias);
    mm2_heartbeat_clear(&hb); /* safe twice */
}

static void test_checkpoint_decodes_java_bytes(void **state)
{
    (void)state;
    char err[256] = "";
    mm2_checkpoint cp = {0};
    assert_int_equal(
        mm2_checkpoint_key_decode(CHECKPOINT_KEY, sizeof(CHECKPOINT_KEY), &cp, err, sizeof(err)),
        ST_OK);
    assert_int_equal(mm2_checkpoint_value_decode(CHECKPOINT_VALUE, sizeof(CHECKPOINT_VALUE), &cp,
                                                 err, sizeof(err)),
                     ST_OK);
    assert_string_equal(cp.group, "g1");
    assert_string_equal(cp.topic, "east.orders");
    assert_int_equal(cp.partition, 3);
    assert_int_equal(cp.upstream_offset, 300);
    assert_int_equal(cp.downstream_offset, 258);
    assert_string_equal(cp.metadata, "m;x");
    mm2_checkpoint_clear(&cp);
}

static void test_round_trip_extremes(void **state)
{
    (void)state;
    char err[256] = "";
    uint8_t *key = NULL, *value = NULL;
    size_t key_len = 0, value_len = 0;
    const char *utf8 = "gr\xc3\xbcppe-\xe2\x82\xac"; /* "grüppe-€" */
    assert_int_equal(mm2_checkpoint_key_encode(utf8, "t", INT32_MAX, &key, &key_len, err,
                                               sizeof(err)),
                     ST_OK);
    assert_int_equal(mm2_checkpoint_value_encode(INT64_MAX, INT64_MIN, "", &value, &value_len,
                                                 err, sizeof(err)),
                     ST_OK);
    mm2_checkpoint cp = {0};
    assert_int_equal(mm2_checkpoint_key_decode(key, key_len, &cp, err, sizeof(err)), ST_OK);
    assert_int_equal(mm2_checkpoint_value_decode(value, value_len, &cp, err, sizeof(err)), ST_OK);
    assert_string_equal(cp.group, utf8);
    assert_int_equal(key[1], strlen(utf8)); /* length in bytes, not characters */
    assert_string_equal(cp.topic, "t");
    assert_int_equal(cp.partition, INT32_MAX);
    assert_true(cp.upstream_offset == INT64_MAX);
    assert_true(cp.downstream_offset == INT64_MIN);
    mm2_checkpoint_clear(&cp);
    free(key);
    free(value);
}

static void test_every_truncation_is_refused(void **state)
{
    (void)state;
    char err[256] = "";
    for (size_t n = 0; n < sizeof(CHECKPOINT_KEY); n++) {
        mm2_checkpoint cp = {0};
        assert_int_equal(mm2_checkpoint_key_decode(CHECKPOINT_KEY, n, &cp, err, sizeof(err)),
                         ST_ERR_TRUNCATED);
        assert_null(cp.group);
        assert_null(cp.topic);
        assert_non_null(strstr(err, "checkpoint key: truncated"));
    }
    for (size_t n = 0; n < sizeof(CHECKPOINT_VALUE); n++) {
        mm2_checkpoint cp = {0};
        assert_int_equal(mm2_checkpoint_value_decode(CHECKPOINT_VALUE, n, &cp, err, sizeof(err)),
                         ST_ERR_TRUNCATED);
        assert_null(cp.metadata);
    }
    for (size_t n = 0; n < sizeof(HEARTBEAT_KEY); n++) {
        mm2_heartbeat hb = {0};
        assert_int_equal(mm2_heartbeat_key_decode(HEARTBEAT_KEY, n, &hb, err, sizeof(err)),
                         ST_ERR_TRUNCATED);
        assert_null(hb.source_alias);
        assert_null(hb.target_alias);
    }
    for (size_t n = 0; n < sizeof(HEARTBEAT_VALUE); n++) {
        mm2_heartbeat hb = {0};
        assert_int_equal(mm2_heartbeat_value_decode(HEARTBEAT_VALUE, n, &hb, err, sizeof(err)),
                         ST_ERR_TRUNCATED);
    }
    mm2_heartbeat hb = {0};
    assert_int_equal(mm2_heartbeat_key_decode(NULL, 0, &hb, err, sizeof(err)), ST_ERR_TRUNCATED);
    assert_string_equal(err, "heartbeat key: truncated in sourceClusterAlias");
}

static void test_malformed_shapes_are_refused(void **state)
{
    (void)state;
    char err[256] = "";
    mm2_heartbeat hb = {0};
    mm2_checkpoint cp = {0};

    static const uint8_t negative[] = {0xFF, 0xFF, 0x00, 0x00};
    assert_int_equal(mm2_heartbeat_key_decode(negative, sizeof(negative), &hb, err, sizeof(err)),
                     ST_ERR_MALFORMED);
    assert_string_equal(err, "heartbeat key: sourceClusterAlias has negative length -1");

    static const uint8_t with_nul[] = {0x00, 0x02, 'a', 0x00, 0x00, 0x00};
    assert_int_equal(mm2_heartbeat_key_decode(with_nul, sizeof(with_nul), &hb, err, sizeof(err)),
                     ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "NUL"));

    uint8_t trailing[sizeof(CHECKPOINT_KEY) + 1];
    memcpy(trailing, CHECKPOINT_KEY, sizeof(CHECKPOINT_KEY));
    trailing[sizeof(CHECKPOINT_KEY)] = 0x7;
    assert_int_equal(mm2_checkpoint_key_decode(trailing, sizeof(trailing), &cp, err, sizeof(err)),
                     ST_ERR_MALFORMED);
    assert_string_equal(err, "checkpoint key: 1 bytes left after the last field");
    assert_null(cp.group);

    uint8_t v1[sizeof(CHECKPOINT_VALUE)];
    memcpy(v1, CHECKPOINT_VALUE, sizeof(v1));
    v1[1] = 1;
    assert_int_equal(mm2_checkpoint_value_decode(v1, sizeof(v1), &cp, err, sizeof(err)),
                     ST_ERR_UNSUPPORTED);
    assert_string_equal(err, "checkpoint value: version 1 is not supported (only 0)");

    uint8_t hv[sizeof(HEARTBEAT_VALUE)];
    memcpy(hv, HEARTBEAT_VALUE, sizeof(hv));
    hv[0] = 0xFF; /* version -1 */
    assert_int_equal(mm2_heartbeat_value_decode(hv, sizeof(hv), &hb, err, sizeof(err)),
                     ST_ERR_UNSUPPORTED);
    assert_int_equal(hb.timestamp_ms, 0); /* untouched */
}

static void test_encode_limits(void **state)
{
    (void)state;
    char err[256] = "";
    uint8_t *out = (uint8_t *)"untouched";
    size_t len = 99;
    char *longest = malloc(MM2_STRING_MAX + 2);
    assert_non_null(longest);
    memset(longest, 'x', MM2_STRING_MAX + 1);
    longest[MM2_STRING_MAX + 1] = '\0';
    assert_int_equal(mm2_checkpoint_key_encode("g", longest, 0, &out, &len, err, sizeof(err)),
                     ST_ERR_TOO_LARGE);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_string_equal(err, "checkpoint key: topic is 32768 bytes (at most 32767)");

    longest[MM2_STRING_MAX] = '\0'; /* exactly the limit is fine */
    assert_int_equal(mm2_checkpoint_key_encode("g", longest, 0, &out, &len, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(len, 2 + 1 + 2 + MM2_STRING_MAX + 4);
    assert_int_equal(out[3], 0x7F);
    assert_int_equal(out[4], 0xFF);
    free(out);
    free(longest);

    assert_int_equal(mm2_heartbeat_key_encode("east", NULL, &out, &len, err, sizeof(err)),
                     ST_ERR_MALFORMED);
    assert_string_equal(err,
                        "heartbeat key: targetClusterAlias is null (MM2 strings are never null)");
    assert_int_equal(mm2_checkpoint_key_encode(NULL, "t", 0, &out, &len, err, sizeof(err)),
                     ST_ERR_MALFORMED);
}

static void test_checkpoints_topic_name(void **state)
{
    (void)state;
    char buf[64];
    assert_true(mm2_checkpoints_topic("east", buf, sizeof(buf)));
    assert_string_equal(buf, "east.checkpoints.internal");
    char small[25]; /* needs 26 with the NUL */
    assert_false(mm2_checkpoints_topic("east", small, sizeof(small)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heartbeat_encodes_java_layout),
        cmocka_unit_test(test_checkpoint_encodes_java_layout),
        cmocka_unit_test(test_null_metadata_is_empty_string),
        cmocka_unit_test(test_heartbeat_decodes_java_bytes),
        cmocka_unit_test(test_checkpoint_decodes_java_bytes),
        cmocka_unit_test(test_round_trip_extremes),
        cmocka_unit_test(test_every_truncation_is_refused),
        cmocka_unit_test(test_malformed_shapes_are_refused),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_checkpoints_topic_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
