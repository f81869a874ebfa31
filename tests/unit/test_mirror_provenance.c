/* test_mirror_provenance.c — the mirror's provenance headers (strait.origin,
 * strait.source: building them for a copy, reading them back, malformed
 * values refused) and the pending queue of unacknowledged offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mirror/pending_queue.h"
#include "mirror/provenance.h"

static kc_header hdr(const char *key, const char *value)
{
    return (kc_header){.key = key, .value = value, .value_len = value ? strlen(value) : 0};
}

static void test_first_hop_sets_origin_and_source(void **state)
{
    (void)state;
    kc_header in[] = {hdr("trace", "abc"), hdr("empty", NULL)};
    kc_header out[4];
    char buf[128];
    size_t n = provenance_headers(in, 2, "EASTid", "orders", 3, 12345, buf, sizeof(buf), out);
    assert_int_equal(n, 4);
    assert_string_equal(out[0].key, "trace"); /* the record's own headers first, in order */
    assert_string_equal(out[1].key, "empty");
    assert_null(out[1].value);
    assert_string_equal(out[2].key, PROVENANCE_ORIGIN);
    assert_int_equal(out[2].value_len, 6);
    assert_memory_equal(out[2].value, "EASTid", 6);
    assert_string_equal(out[3].key, PROVENANCE_SOURCE);
    assert_int_equal(out[3].value_len, strlen("EASTid:orders:3:12345"));
    assert_memory_equal(out[3].value, "EASTid:orders:3:12345", out[3].value_len);
}

static void test_later_hop_keeps_origin_replaces_source(void **state)
{
    (void)state;
    kc_header in[] = {hdr(PROVENANCE_SOURCE, "AAA:orders:0:7"), hdr("k", "v"),
                      hdr(PROVENANCE_ORIGIN, "AAA")};
    kc_header out[5];
    char buf[128];
    size_t n = provenance_headers(in, 3, "BBB", "orders", 0, 99, buf, sizeof(buf), out);
    assert_int_equal(n, 3);
    assert_string_equal(out[0].key, "k");
    assert_memory_equal(out[1].value, "AAA", 3); /* origin kept */
    assert_int_equal(out[1].value_len, 3);
    provenance_source src;
    assert_true(provenance_find_source(out, n, &src));
    assert_true(provenance_source_is(&src, "BBB", "orders", 0));
    assert_false(provenance_source_is(&src, "AAA", "orders", 0));
    assert_false(provenance_source_is(&src, "BBB", "orders", 1));
    assert_false(provenance_source_is(&src, "BBB", "order", 0));
    assert_int_equal(src.offset, 99);
    size_t len;
    assert_non_null(provenance_origin(out, n, &len));
    assert_int_equal(len, 3);
}

static void test_source_buffer_too_small(void **state)
{
    (void)state;
    kc_header out[2];
    char buf[8];
    assert_int_equal(provenance_headers(NULL, 0, "EASTid", "orders", 0, 1, buf, sizeof(buf), out), 0);
}

static void test_malformed_sources_refused(void **state)
{
    (void)state;
    const char *bad[] = {"", "a:b:c", "a:b:1", ":t:1:2", "a::1:2", "a:t::2", "a:t:1:",
                         "a:t:x:2", "a:t:1:2x", "a:t:-1:2", "a:t:2147483648:1",
                         "a:t:1:99999999999999999999", "a:t:1:2:3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kc_header h = hdr(PROVENANCE_SOURCE, bad[i]);
        provenance_source src;
        if (provenance_find_source(&h, 1, &src))
            fail_msg("accepted '%s'", bad[i]);
    }
    kc_header null_value = hdr(PROVENANCE_SOURCE, NULL);
    provenance_source src;
    assert_false(provenance_find_source(&null_value, 1, &src));
    kc_header ok = hdr(PROVENANCE_SOURCE, "id-_x:my.topic-1:2147483647:9223372036854775807");
    assert_true(provenance_find_source(&ok, 1, &src));
    assert_int_equal(src.partition, 2147483647);
    assert_true(src.offset == INT64_MAX);
    assert_true(provenance_source_is(&src, "id-_x", "my.topic-1", 2147483647));
}

static void test_no_origin_means_local(void **state)
{
    (void)state;
    kc_header h = hdr("other", "x");
    size_t len = 5;
    assert_null(provenance_origin(&h, 1, &len));
    assert_int_equal(len, 0);
}

static void test_pending_queue_order_and_growth(void **state)
{
    (void)state;
    pending_queue q = {0};
    assert_null(pending_queue_head(&q));
    for (int64_t i = 0; i < 1000; i++) {
        assert_true(pending_queue_push(&q, i * 2));
        assert_int_equal(pending_queue_head(&q)->src, 0);
        assert_int_equal(pending_queue_tail(&q)->src, i * 2);
    }
    /* pop half, push more: order stays FIFO across the wrap */
    for (int64_t i = 0; i < 500; i++) {
        assert_int_equal(pending_queue_head(&q)->src, i * 2);
        assert_int_equal(pending_queue_head(&q)->covers_to, i * 2 + 1);
        pending_queue_pop(&q);
    }
    for (int64_t i = 1000; i < 1700; i++)
        assert_true(pending_queue_push(&q, i * 2));
    pending_queue_tail(&q)->covers_to = 5000;
    for (int64_t i = 500; i < 1700; i++) {
        assert_int_equal(pending_queue_head(&q)->src, i * 2);
        pending_queue_pop(&q);
    }
    assert_null(pending_queue_head(&q));
    assert_true(pending_queue_push(&q, 7));
    assert_int_equal(pending_queue_tail(&q)->src, 7);
    pending_queue_clear(&q);
    assert_null(pending_queue_tail(&q));
    pending_queue_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_hop_sets_origin_and_source),
        cmocka_unit_test(test_later_hop_keeps_origin_replaces_source),
        cmocka_unit_test(test_source_buffer_too_small),
        cmocka_unit_test(test_malformed_sources_refused),
        cmocka_unit_test(test_no_origin_means_local),
        cmocka_unit_test(test_pending_queue_order_and_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
