/* test_client_partitioner.c — the producer's partitioner against the Java
 * client's rules: murmur2 on Kafka's own test vectors, the placement of
 * 10,000 keys against figures computed independently (with a Python
 * transcription of Java's Utils.murmur2, the one test_client_producer.sh
 * also uses), and the sticky rule for records without a key (KIP-480). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/client_partitioner.h"

/* Kafka's clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java,
 * testMurmur2. */
static void test_murmur2_kafka_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int32_t hash;
    } cases[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(kc_murmur2(cases[i].key, strlen(cases[i].key)), cases[i].hash);
}

/* Every tail length (0-3 bytes after the words), from the Python reference. */
static void test_murmur2_tail_lengths(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int32_t hash;
    } cases[] = {
        {"", 275646681},      {"a", -1563381124},     {"ab", 316155434},
        {"abc", 479470107},   {"abcd", -1323649548},  {"key-0", 29210041},
        {"truck-42", -619178895},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(kc_murmur2(cases[i].key, strlen(cases[i].key)), cases[i].hash);
}

/* Placement of "key-0".."key-9999": per-partition counts and a running
 * hash of the partition sequence (h = h * 31 + p mod 2^32), as computed by
 * the independent Python reference. */
static void check_placement(int32_t n, const int *counts, uint32_t want_hash)
{
    int got[8] = {0};
    uint32_t h = 0;
    for (int i = 0; i < 10000; i++) {
        char key[32];
        int len = snprintf(key, sizeof(key), "key-%d", i);
        int32_t p = kc_partition_for_key(key, (size_t)len, n);
        assert_true(p >= 0 && p < n);
        if (n <= 8)
            got[p]++;
        h = h * 31u + (uint32_t)p;
    }
    for (int32_t p = 0; counts && p < n; p++)
        assert_int_equal(got[p], counts[p]);
    assert_int_equal(h, want_hash);
}

static void test_placement_10000_keys(void **state)
{
    (void)state;
    static const int six[] = {1710, 1697, 1674, 1586, 1728, 1605};
    static const int seven[] = {1396, 1402, 1401, 1485, 1461, 1469, 1386};
    check_placement(6, six, 0x3c853fb2u);
    check_placement(7, seven, 0x88fb35f2u);
    check_placement(100, NULL, 0x3014c700u);
    static const int32_t first20[] = {1, 0, 2, 5, 3, 2, 2, 1, 1, 3, 2, 1, 2, 1, 4, 3, 1, 0, 5, 0};
    for (int i = 0; i < 20; i++) {
        char key[32];
        int len = snprintf(key, sizeof(key), "key-%d", i);
        assert_int_equal(kc_partition_for_key(key, (size_t)len, 6), first20[i]);
    }
    assert_int_equal(kc_partition_for_key("k", 1, 0), -1);
}

/* toPositive masks the sign bit (not abs()): Integer.MIN_VALUE goes to 0. */
static void test_to_positive(void **state)
{
    (void)state;
    assert_int_equal(kc_to_positive(INT32_MIN), 0);
    assert_int_equal(kc_to_positive(-1), INT32_MAX);
    assert_int_equal(kc_to_positive(-973932308), -973932308 & 0x7fffffff);
}

/* A scripted random source. */
typedef struct script {
    const uint64_t *values;
    size_t n;
    size_t at;
} script;

static uint64_t next_scripted(void *ctx)
{
    script *s = ctx;
    return s->values[s->at++ % s->n];
}

static void test_sticky_keeps_its_partition(void **state)
{
    (void)state;
    static const uint64_t r[] = {5};
    script s = {r, 1, 0};
    int32_t avail[] = {0, 1, 2, 3};
    /* cached 2, and the batch that closed was on 1: keep 2 (Java's rule) */
    assert_int_equal(kc_sticky_next(2, 1, 4, avail, 4, next_scripted, &s), 2);
    assert_int_equal(s.at, 0);
}

static void test_sticky_first_pick_and_switch(void **state)
{
    (void)state;
    static const uint64_t r[] = {6, 6, 6, 9};
    script s = {r, 4, 0};
    int32_t avail[] = {0, 1, 2, 3};
    int32_t first = kc_sticky_next(-1, -1, 4, avail, 4, next_scripted, &s);
    assert_int_equal(first, 2); /* 6 % 4 */
    /* its batch closed: never the same partition again when there is a choice */
    int32_t next = kc_sticky_next(first, first, 4, avail, 4, next_scripted, &s);
    assert_int_equal(next, 1); /* 6 % 4 = 2 twice (rejected), then 9 % 4 */
    assert_int_not_equal(next, first);
}

static void test_sticky_only_available_partitions(void **state)
{
    (void)state;
    static const uint64_t r[] = {0, 1, 2, 3, 4, 5, 6, 7};
    script s = {r, 8, 0};
    int32_t avail[] = {3, 5};
    for (int i = 0; i < 20; i++) {
        int32_t p = kc_sticky_next(i % 2 ? 3 : 5, i % 2 ? 3 : 5, 8, avail, 2, next_scripted, &s);
        assert_true(p == 3 || p == 5);
        assert_int_equal(p, i % 2 ? 5 : 3);
    }
    int32_t one[] = {6};
    assert_int_equal(kc_sticky_next(6, 6, 8, one, 1, next_scripted, &s), 6);
    /* no partition has a leader: any partition, by the random value */
    static const uint64_t big[] = {0xFFFFFFFF80000007ull};
    script b = {big, 1, 0};
    assert_int_equal(kc_sticky_next(-1, -1, 8, NULL, 0, next_scripted, &b), 7);
}

/* A generator that keeps returning the current partition cannot hang it. */
static void test_sticky_stuck_generator(void **state)
{
    (void)state;
    static const uint64_t r[] = {1};
    script s = {r, 1, 0};
    int32_t avail[] = {0, 1};
    int32_t p = kc_sticky_next(1, 1, 2, avail, 2, next_scripted, &s);
    assert_int_equal(p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_murmur2_kafka_vectors),
        cmocka_unit_test(test_murmur2_tail_lengths),
        cmocka_unit_test(test_placement_10000_keys),
        cmocka_unit_test(test_to_positive),
        cmocka_unit_test(test_sticky_keeps_its_partition),
        cmocka_unit_test(test_sticky_first_pick_and_switch),
        cmocka_unit_test(test_sticky_only_available_partitions),
        cmocka_unit_test(test_sticky_stuck_generator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
