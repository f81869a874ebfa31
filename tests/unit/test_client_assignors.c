/* test_client_assignors.c — the consumer's partition assignors (range,
 * roundrobin, cooperative-sticky) and the consumer protocol encodings
 * (ConsumerProtocolSubscription/Assignment), without any network.
 *
 * range and roundrobin are checked against the examples in Java's
 * RangeAssignor/RoundRobinAssignor documentation; cooperative-sticky
 * against its properties: balance, stickiness, a partition that changes
 * owner is revoked first (left out for one round), and only the partitions
 * that move are revoked — also over many random rounds. The encodings are
 * checked byte for byte against Java's layout, in round trips of every
 * version, and for tolerance (kafkajs's v0 layout under version 1, a newer
 * version with extra fields, garbage). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/client_assignor.h"
#include "common/client_group_protocol.h"

/* ---- helpers -------------------------------------------------------------------------- */

typedef struct run {
    st_arena arena;
    kc_asg_result out[16];
} run;

static void run_assignor(run *r, const kc_assignor *a, const kc_asg_member *members, size_t n,
                         const kc_asg_topic *topics, size_t nt)
{
    st_arena_init(&r->arena);
    memset(r->out, 0, sizeof(r->out));
    assert_int_equal(a->assign(members, n, topics, nt, r->out, &r->arena), ST_OK);
}

static void run_free(run *r)
{
    st_arena_free(&r->arena);
}

/* "t0-0 t0-1 t1-0" for one member's result. */
static const char *fmt(const kc_asg_result *res)
{
    static char buf[1024];
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < res->count && at < sizeof(buf) - 64; i++)
        at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%s-%d", i ? " " : "",
                               res->parts[i].topic, res->parts[i].partition);
    return buf;
}

static bool has(const kc_asg_result *res, const char *topic, int32_t p)
{
    for (size_t i = 0; i < res->count; i++)
        if (res->parts[i].partition == p && !strcmp(res->parts[i].topic, topic))
            return true;
    return false;
}

static const char *const T0[] = {"t0"};
static const char *const T01[] = {"t0", "t1"};
static const char *const T012[] = {"t0", "t1", "t2"};

/* ---- range ------------------------------------------------------------------------------ */

/* Java's RangeAssignor example: C0 and C1 subscribe to t0 and t1 (3
 * partitions each): C0 gets [t0p0, t0p1, t1p0, t1p1], C1 [t0p2, t1p2]. */
static void test_range_java_example(void **state)
{
    (void)state;
    kc_asg_member m[] = {{"C1", NULL, T01, 2, NULL, 0, -1}, {"C0", NULL, T01, 2, NULL, 0, -1}};
    kc_asg_topic t[] = {{"t1", 3}, {"t0", 3}};
    run r;
    run_assignor(&r, kc_assignor_find("range"), m, 2, t, 2);
    assert_string_equal(fmt(&r.out[1]), "t0-0 t0-1 t1-0 t1-1");
    assert_string_equal(fmt(&r.out[0]), "t0-2 t1-2");
    run_free(&r);
}

static void test_range_uneven_and_partial_subscriptions(void **state)
{
    (void)state;
    kc_asg_member m[] = {
        {"a", NULL, T01, 2, NULL, 0, -1},
        {"b", NULL, T0, 1, NULL, 0, -1},
        {"c", NULL, T01, 2, NULL, 0, -1},
    };
    kc_asg_topic t[] = {{"t0", 7}, {"t1", 2}, {"gone", 0}};
    run r;
    run_assignor(&r, kc_assignor_find("range"), m, 3, t, 3);
    /* t0: 7 over a, b, c = 3, 2, 2; t1: 2 over a, c = 1, 1 */
    assert_string_equal(fmt(&r.out[0]), "t0-0 t0-1 t0-2 t1-0");
    assert_string_equal(fmt(&r.out[1]), "t0-3 t0-4");
    assert_string_equal(fmt(&r.out[2]), "t0-5 t0-6 t1-1");
    run_free(&r);
}

/* Static members come first (by group.instance.id), as Java's MemberInfo
 * orders them. */
static void test_range_static_members_first(void **state)
{
    (void)state;
    kc_asg_member m[] = {
        {"aaa", NULL, T0, 1, NULL, 0, -1},
        {"zzz", "instance-2", T0, 1, NULL, 0, -1},
        {"mmm", "instance-1", T0, 1, NULL, 0, -1},
    };
    kc_asg_topic t[] = {{"t0", 3}};
    run r;
    run_assignor(&r, kc_assignor_find("range"), m, 3, t, 1);
    assert_string_equal(fmt(&r.out[2]), "t0-0");
    assert_string_equal(fmt(&r.out[1]), "t0-1");
    assert_string_equal(fmt(&r.out[0]), "t0-2");
    run_free(&r);
}

static void test_range_more_members_than_partitions(void **state)
{
    (void)state;
    kc_asg_member m[] = {{"a", NULL, T0, 1, NULL, 0, -1}, {"b", NULL, T0, 1, NULL, 0, -1},
                         {"c", NULL, T0, 1, NULL, 0, -1}};
    kc_asg_topic t[] = {{"t0", 2}};
    run r;
    run_assignor(&r, kc_assignor_find("range"), m, 3, t, 1);
    assert_string_equal(fmt(&r.out[0]), "t0-0");
    assert_string_equal(fmt(&r.out[1]), "t0-1");
    assert_int_equal(r.out[2].count, 0);
    run_free(&r);
}

/* ---- roundrobin ----------------------------------------------------------------------------- */

/* Java's RoundRobinAssignor examples. */
static void test_roundrobin_java_examples(void **state)
{
    (void)state;
    /* C0, C1 subscribe to t0 and t1 with 3 partitions each */
    kc_asg_member m1[] = {{"C0", NULL, T01, 2, NULL, 0, -1}, {"C1", NULL, T01, 2, NULL, 0, -1}};
    kc_asg_topic t1[] = {{"t0", 3}, {"t1", 3}};
    run r;
    run_assignor(&r, kc_assignor_find("roundrobin"), m1, 2, t1, 2);
    assert_string_equal(fmt(&r.out[0]), "t0-0 t0-2 t1-1");
    assert_string_equal(fmt(&r.out[1]), "t0-1 t1-0 t1-2");
    run_free(&r);
    /* C0: t0; C1: t0, t1; C2: t0, t1, t2; t0 has 1, t1 2, t2 3 partitions */
    kc_asg_member m2[] = {{"C0", NULL, T0, 1, NULL, 0, -1}, {"C1", NULL, T01, 2, NULL, 0, -1},
                          {"C2", NULL, T012, 3, NULL, 0, -1}};
    kc_asg_topic t2[] = {{"t0", 1}, {"t1", 2}, {"t2", 3}};
    run_assignor(&r, kc_assignor_find("roundrobin"), m2, 3, t2, 3);
    assert_string_equal(fmt(&r.out[0]), "t0-0");
    assert_string_equal(fmt(&r.out[1]), "t1-0");
    assert_string_equal(fmt(&r.out[2]), "t1-1 t2-0 t2-1 t2-2");
    run_free(&r);
}

/* ---- cooperative-sticky ------------------------------------------------------------------------ */

/* Checks every partition of topics is assigned at most once, and exactly
 * once when all are assignable; returns the number assigned. */
static size_t check_unique(const kc_asg_result *out, size_t n, const kc_asg_topic *topics,
                           size_t nt)
{
    size_t total = 0;
    for (size_t t = 0; t < nt; t++) {
        for (int32_t p = 0; p < topics[t].partition_count; p++) {
            int owners = 0;
            for (size_t m = 0; m < n; m++)
                owners += has(&out[m], topics[t].name, p);
            assert_true(owners <= 1);
            total += (size_t)owners;
        }
    }
    return total;
}

static void test_sticky_initial_balance(void **state)
{
    (void)state;
    kc_asg_member m[] = {{"a", NULL, T01, 2, NULL, 0, -1}, {"b", NULL, T01, 2, NULL, 0, -1},
                         {"c", NULL, T01, 2, NULL, 0, -1}};
    kc_asg_topic t[] = {{"t0", 4}, {"t1", 3}};
    run r;
    run_assignor(&r, kc_assignor_find("cooperative-sticky"), m, 3, t, 2);
    assert_int_equal(check_unique(r.out, 3, t, 2), 7);
    for (int i = 0; i < 3; i++)
        assert_true(r.out[i].count == 2 || r.out[i].count == 3);
    run_free(&r);
}

/* A and B own 3 partitions each; C joins. Round 1: each keeps 2 and loses
 * exactly one, which nobody gets yet (it is revoked first); round 2: C gets
 * the two, A and B keep theirs. */
static void test_sticky_join_revokes_only_moved(void **state)
{
    (void)state;
    const kc_assignor *a = kc_assignor_find("cooperative-sticky");
    assert_true(a->cooperative);
    kc_asg_tp own_a[] = {{"t0", 0}, {"t0", 1}, {"t0", 2}};
    kc_asg_tp own_b[] = {{"t0", 3}, {"t0", 4}, {"t0", 5}};
    kc_asg_topic t[] = {{"t0", 6}};
    kc_asg_member m[] = {{"A", NULL, T0, 1, own_a, 3, 1}, {"B", NULL, T0, 1, own_b, 3, 1},
                         {"C", NULL, T0, 1, NULL, 0, -1}};
    run r;
    run_assignor(&r, a, m, 3, t, 1);
    assert_int_equal(r.out[0].count, 2);
    assert_int_equal(r.out[1].count, 2);
    assert_int_equal(r.out[2].count, 0);
    for (size_t i = 0; i < r.out[0].count; i++)
        assert_true(r.out[0].parts[i].partition <= 2);
    for (size_t i = 0; i < r.out[1].count; i++)
        assert_true(r.out[1].parts[i].partition >= 3);
    /* round 2: they own what they were given */
    kc_asg_tp own_a2[2], own_b2[2];
    memcpy(own_a2, r.out[0].parts, sizeof(own_a2));
    memcpy(own_b2, r.out[1].parts, sizeof(own_b2));
    kc_asg_member m2[] = {{"A", NULL, T0, 1, own_a2, 2, 2}, {"B", NULL, T0, 1, own_b2, 2, 2},
                          {"C", NULL, T0, 1, NULL, 0, 2}};
    run r2;
    run_assignor(&r2, a, m2, 3, t, 1);
    assert_int_equal(check_unique(r2.out, 3, t, 1), 6);
    assert_int_equal(r2.out[2].count, 2);
    assert_string_equal(fmt(&r2.out[0]), fmt(&r.out[0]));
    assert_string_equal(fmt(&r2.out[1]), fmt(&r.out[1]));
    run_free(&r);
    run_free(&r2);
}

/* C leaves: A and B keep theirs and take C's partitions at once (their
 * previous owner is gone, so nothing needs revoking first). */
static void test_sticky_member_leaves(void **state)
{
    (void)state;
    kc_asg_tp own_a[] = {{"t0", 0}, {"t0", 1}};
    kc_asg_tp own_b[] = {{"t0", 2}, {"t0", 3}};
    kc_asg_member m[] = {{"A", NULL, T0, 1, own_a, 2, 4}, {"B", NULL, T0, 1, own_b, 2, 4}};
    kc_asg_topic t[] = {{"t0", 6}};
    run r;
    run_assignor(&r, kc_assignor_find("cooperative-sticky"), m, 2, t, 1);
    assert_int_equal(check_unique(r.out, 2, t, 1), 6);
    assert_int_equal(r.out[0].count, 3);
    assert_int_equal(r.out[1].count, 3);
    assert_true(has(&r.out[0], "t0", 0) && has(&r.out[0], "t0", 1));
    assert_true(has(&r.out[1], "t0", 2) && has(&r.out[1], "t0", 3));
    run_free(&r);
}

/* Claims: a newer generation wins; equal generations make the partition
 * unowned; claims of an older generation are ignored; a partition of a
 * topic the member no longer subscribes to is not kept. */
static void test_sticky_claims(void **state)
{
    (void)state;
    kc_asg_tp own_a[] = {{"t0", 0}, {"t0", 1}};
    kc_asg_tp own_b[] = {{"t0", 1}, {"t1", 0}};
    kc_asg_member m[] = {{"A", NULL, T0, 1, own_a, 2, 3}, {"B", NULL, T01, 2, own_b, 2, 5}};
    kc_asg_topic t[] = {{"t0", 2}, {"t1", 1}};
    run r;
    run_assignor(&r, kc_assignor_find("cooperative-sticky"), m, 2, t, 2);
    /* A's generation 3 claims are stale (B reports 5): t0-1 stays with B;
     * t0-0 is unowned and goes to A */
    assert_true(has(&r.out[1], "t0", 1));
    assert_true(has(&r.out[1], "t1", 0));
    assert_true(has(&r.out[0], "t0", 0));
    run_free(&r);

    kc_asg_tp own_c[] = {{"t0", 0}};
    kc_asg_tp own_d[] = {{"t0", 0}};
    kc_asg_member m2[] = {{"C", NULL, T0, 1, own_c, 1, 7}, {"D", NULL, T0, 1, own_d, 1, 7}};
    kc_asg_topic t2[] = {{"t0", 2}};
    run_assignor(&r, kc_assignor_find("cooperative-sticky"), m2, 2, t2, 1);
    /* a conflict in one generation: t0-0 counts as unowned, so no
     * revocation round is needed for it */
    assert_int_equal(check_unique(r.out, 2, t2, 1), 2);
    run_free(&r);

    kc_asg_tp own_e[] = {{"t1", 0}, {"t0", 0}};
    kc_asg_member m3[] = {{"E", NULL, T0, 1, own_e, 2, 1}, {"F", NULL, T01, 2, NULL, 0, 1}};
    kc_asg_topic t3[] = {{"t0", 1}, {"t1", 1}};
    run_assignor(&r, kc_assignor_find("cooperative-sticky"), m3, 2, t3, 2);
    assert_string_equal(fmt(&r.out[0]), "t0-0");
    assert_string_equal(fmt(&r.out[1]), "t1-0");
    run_free(&r);
}

/* Different subscriptions: the result is as balanced as the subscriptions
 * allow. */
static void test_sticky_unequal_subscriptions(void **state)
{
    (void)state;
    kc_asg_member m[] = {{"A", NULL, T01, 2, NULL, 0, -1}, {"B", NULL, T0, 1, NULL, 0, -1}};
    kc_asg_topic t[] = {{"t0", 4}, {"t1", 2}};
    run r;
    run_assignor(&r, kc_assignor_find("cooperative-sticky"), m, 2, t, 2);
    assert_int_equal(check_unique(r.out, 2, t, 2), 6);
    assert_int_equal(r.out[0].count, 3);
    assert_int_equal(r.out[1].count, 3);
    assert_true(has(&r.out[0], "t1", 0) && has(&r.out[0], "t1", 1));
    run_free(&r);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Many rounds of members joining and leaving, applying each result as the
 * members would (revoke what is missing, take what is new). Each round:
 * nothing is assigned twice; a member is never given a partition another
 * current member still owns (so nothing is consumed twice); only partitions
 * that moved are revoked; after a follow-up round with no membership change
 * every partition is assigned and the counts differ by at most one; and a
 * follow-up round moves nothing. */
static void test_sticky_random_rounds(void **state)
{
    (void)state;
    const kc_assignor *a = kc_assignor_find("cooperative-sticky");
    static const char *const names[] = {"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"};
    kc_asg_topic t[] = {{"t0", 7}, {"t1", 5}, {"t2", 11}};
    enum { P = 23, M = 8 };
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    bool present[M] = {true, true, true};
    kc_asg_tp owned[M][P];
    size_t owned_n[M] = {0};
    int32_t generation = 0;
    for (int round = 0; round < 200; round++) {
        bool follow_up = round % 2 == 1;
        if (!follow_up) { /* toggle one member, keep at least one */
            int i = (int)(rnd(&seed) % M);
            int alive = 0;
            for (int k = 0; k < M; k++)
                alive += present[k];
            if (!(present[i] && alive == 1)) {
                present[i] = !present[i];
                owned_n[i] = 0;
            }
        }
        kc_asg_member m[M];
        int idx[M], n = 0;
        for (int k = 0; k < M; k++) {
            if (!present[k])
                continue;
            m[n] = (kc_asg_member){names[k], NULL, T012, 3, owned[k], owned_n[k], generation};
            idx[n++] = k;
        }
        run r;
        run_assignor(&r, a, m, (size_t)n, t, 3);
        size_t assigned = check_unique(r.out, (size_t)n, t, 3);
        size_t moved = 0;
        for (int x = 0; x < n; x++) {
            for (size_t j = 0; j < r.out[x].count; j++) {
                const kc_asg_tp *tp = &r.out[x].parts[j];
                for (int y = 0; y < n; y++) /* nobody else still owns it */
                    for (size_t q = 0; y != x && q < owned_n[idx[y]]; q++)
                        assert_false(owned[idx[y]][q].partition == tp->partition &&
                                     !strcmp(owned[idx[y]][q].topic, tp->topic));
            }
            for (size_t q = 0; q < owned_n[idx[x]]; q++)
                moved += !has(&r.out[x], owned[idx[x]][q].topic, owned[idx[x]][q].partition);
        }
        if (follow_up) {
            assert_int_equal(assigned, P);
            size_t lo = P, hi = 0;
            for (int x = 0; x < n; x++) {
                lo = r.out[x].count < lo ? r.out[x].count : lo;
                hi = r.out[x].count > hi ? r.out[x].count : hi;
            }
            assert_true(hi - lo <= 1);
            assert_int_equal(moved, 0);
        } else {
            /* revoked partitions: exactly the ones over each member's new quota */
            size_t quota_hi = (P + (size_t)n - 1) / (size_t)n, over = 0;
            for (int x = 0; x < n; x++)
                over += owned_n[idx[x]] > quota_hi ? owned_n[idx[x]] - quota_hi : 0;
            assert_true(moved >= over && moved <= over + (size_t)n);
        }
        generation++;
        for (int x = 0; x < n; x++) {
            owned_n[idx[x]] = r.out[x].count;
            for (size_t j = 0; j < r.out[x].count; j++) {
                owned[idx[x]][j].topic = r.out[x].parts[j].topic[1] == '0' ? "t0"
                                         : r.out[x].parts[j].topic[1] == '1' ? "t1" : "t2";
                owned[idx[x]][j].partition = r.out[x].parts[j].partition;
            }
        }
        run_free(&r);
    }
}

/* ---- encodings --------------------------------------------------------------------------------- */

static void test_subscription_v0_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0, 0,                         /* version 0 */
        0, 0, 0, 2,                   /* two topics */
        0, 1, 'a', 0, 2, 'b', 'c',    /* "a", "bc" */
        0xff, 0xff, 0xff, 0xff,       /* null user data */
    };
    const char *topics[] = {"a", "bc"};
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(kc_subscription_encode(&out, 0, topics, 2, NULL, 0, -1, NULL, ST_SLICE_NULL),
                     ST_OK);
    assert_int_equal(out.len, sizeof(want));
    assert_memory_equal(out.data, want, sizeof(want));
    st_buf_free(&out);
}

static void test_subscription_round_trips(void **state)
{
    (void)state;
    const char *topics[] = {"orders", "payments"};
    kc_asg_tp owned[] = {{"payments", 3}, {"orders", 1}, {"orders", 0}};
    uint8_t ud[4];
    kc_cooperative_user_data(42, ud);
    for (int16_t v = 0; v <= 3; v++) {
        st_buf out;
        st_buf_init(&out);
        assert_int_equal(kc_subscription_encode(&out, v, topics, 2, owned, 3, 42, "rack-1",
                                                st_slice_from(ud, 4)), ST_OK);
        st_arena arena;
        st_arena_init(&arena);
        kc_member_sub sub;
        assert_int_equal(kc_subscription_decode(st_slice_from(out.data, out.len), true, &arena,
                                                &sub), ST_OK);
        assert_int_equal(sub.version, v);
        assert_int_equal(sub.topic_count, 2);
        assert_string_equal(sub.topics[0], "orders");
        assert_string_equal(sub.topics[1], "payments");
        assert_int_equal(sub.owned_count, v >= 1 ? 3 : 0);
        if (v >= 1) { /* grouped and sorted by topic */
            assert_string_equal(sub.owned[0].topic, "orders");
            assert_int_equal(sub.owned[0].partition, 0);
            assert_int_equal(sub.owned[1].partition, 1);
            assert_string_equal(sub.owned[2].topic, "payments");
            assert_int_equal(sub.owned[2].partition, 3);
        }
        assert_int_equal(sub.generation, 42); /* v2+ field, else Java's user data */
        if (v >= 3)
            assert_string_equal(sub.rack, "rack-1");
        else
            assert_null(sub.rack);
        st_arena_free(&arena);
        st_buf_free(&out);
    }
}

/* kafkajs writes version 1 with the version 0 layout (no owned partitions). */
static void test_subscription_kafkajs_layout(void **state)
{
    (void)state;
    static const uint8_t kafkajs[] = {
        0, 1,                         /* says version 1 */
        0, 0, 0, 1, 0, 2, 't', '1',   /* ["t1"] */
        0, 0, 0, 0,                   /* empty user data; no owned partitions */
    };
    st_arena arena;
    st_arena_init(&arena);
    kc_member_sub sub;
    assert_int_equal(kc_subscription_decode(st_slice_from(kafkajs, sizeof(kafkajs)), false,
                                            &arena, &sub), ST_OK);
    assert_int_equal(sub.topic_count, 1);
    assert_string_equal(sub.topics[0], "t1");
    assert_int_equal(sub.owned_count, 0);
    assert_int_equal(sub.generation, -1);
    st_arena_free(&arena);
}

/* A version newer than the codec's: the known fields are read. */
static void test_subscription_future_version(void **state)
{
    (void)state;
    const char *topics[] = {"x"};
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(kc_subscription_encode(&out, 3, topics, 1, NULL, 0, 9, NULL, ST_SLICE_NULL),
                     ST_OK);
    out.data[1] = 7;                       /* claim version 7 */
    st_buf_append(&out, "\x01\x02\x03", 3); /* and fields we do not know */
    st_arena arena;
    st_arena_init(&arena);
    kc_member_sub sub;
    assert_int_equal(kc_subscription_decode(st_slice_from(out.data, out.len), false, &arena,
                                            &sub), ST_OK);
    assert_int_equal(sub.version, 7);
    assert_string_equal(sub.topics[0], "x");
    assert_int_equal(sub.generation, 9);
    st_arena_free(&arena);
    st_buf_free(&out);
}

static void test_subscription_garbage(void **state)
{
    (void)state;
    static const uint8_t bad[][8] = {
        {0},                              /* too short */
        {0xff, 0xff, 0, 0, 0, 1},         /* negative version */
        {0, 0, 0x7f, 0xff, 0xff, 0xff},   /* absurd topic count */
        {0, 1, 0, 0, 0, 1, 0, 9},         /* topic name cut short */
    };
    static const size_t lens[] = {1, 6, 6, 8};
    for (size_t i = 0; i < 4; i++) {
        st_arena arena;
        st_arena_init(&arena);
        kc_member_sub sub;
        assert_int_not_equal(kc_subscription_decode(st_slice_from(bad[i], lens[i]), false,
                                                    &arena, &sub), ST_OK);
        st_arena_free(&arena);
    }
}

static void test_assignment_round_trip(void **state)
{
    (void)state;
    static const uint8_t want_v0[] = {
        0, 0, 0, 0, 0, 1,             /* version 0, one topic */
        0, 2, 't', '0', 0, 0, 0, 2,   /* "t0", two partitions */
        0, 0, 0, 1, 0, 0, 0, 4,       /* 1, 4 */
        0xff, 0xff, 0xff, 0xff,       /* null user data */
    };
    kc_asg_tp parts[] = {{"t0", 1}, {"t0", 4}};
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(kc_assignment_encode(&out, 0, parts, 2, ST_SLICE_NULL), ST_OK);
    assert_int_equal(out.len, sizeof(want_v0));
    assert_memory_equal(out.data, want_v0, sizeof(want_v0));
    st_buf_free(&out);
    kc_asg_tp many[] = {{"a", 0}, {"b", 2}, {"a", 5}};
    for (int16_t v = 0; v <= 3; v++) {
        st_buf_init(&out);
        assert_int_equal(kc_assignment_encode(&out, v, many, 3, ST_SLICE_NULL), ST_OK);
        st_arena arena;
        st_arena_init(&arena);
        kc_asg_tp *got;
        size_t n;
        assert_int_equal(kc_assignment_decode(st_slice_from(out.data, out.len), &arena, &got, &n),
                         ST_OK);
        assert_int_equal(n, 3);
        assert_string_equal(got[0].topic, "a");
        assert_int_equal(got[0].partition, 0);
        assert_int_equal(got[1].partition, 5);
        assert_string_equal(got[2].topic, "b");
        st_arena_free(&arena);
        st_buf_free(&out);
    }
    /* an empty assignment (a member that got nothing) */
    st_arena arena;
    st_arena_init(&arena);
    kc_asg_tp *got;
    size_t n = 9;
    assert_int_equal(kc_assignment_decode(ST_SLICE_EMPTY, &arena, &got, &n), ST_OK);
    assert_int_equal(n, 0);
    st_arena_free(&arena);
}

static void test_assignor_lookup(void **state)
{
    (void)state;
    assert_non_null(kc_assignor_find("range"));
    assert_non_null(kc_assignor_find("roundrobin"));
    assert_false(kc_assignor_find("range")->cooperative);
    assert_true(kc_assignor_find("cooperative-sticky")->cooperative);
    assert_null(kc_assignor_find("sticky"));
    assert_null(kc_assignor_find(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_java_example),
        cmocka_unit_test(test_range_uneven_and_partial_subscriptions),
        cmocka_unit_test(test_range_static_members_first),
        cmocka_unit_test(test_range_more_members_than_partitions),
        cmocka_unit_test(test_roundrobin_java_examples),
        cmocka_unit_test(test_sticky_initial_balance),
        cmocka_unit_test(test_sticky_join_revokes_only_moved),
        cmocka_unit_test(test_sticky_member_leaves),
        cmocka_unit_test(test_sticky_claims),
        cmocka_unit_test(test_sticky_unequal_subscriptions),
        cmocka_unit_test(test_sticky_random_rounds),
        cmocka_unit_test(test_subscription_v0_bytes),
        cmocka_unit_test(test_subscription_round_trips),
        cmocka_unit_test(test_subscription_kafkajs_layout),
        cmocka_unit_test(test_subscription_future_version),
        cmocka_unit_test(test_subscription_garbage),
        cmocka_unit_test(test_assignment_round_trip),
        cmocka_unit_test(test_assignor_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
