/* test_client_gapless.c — enable.gapless.guarantee below the network: the
 * property (default false, only with enable.idempotence=true, an error that
 * names both) and a partition queue's halt in the accumulator (which
 * batches are behind it, failing them in order, a retried earlier batch
 * going first, records appended afterwards, the open batch closed by a
 * halt that starts after it, an earlier halt replacing a later one, and a
 * halt after one piece of a batch split because a broker refused it as too
 * large: the later pieces of that batch are behind it, the earlier not).
 * The sender's use of it against a broker is in
 * tests/interop/test_client_producer.sh ("gapless"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/client_accumulator.h"
#include "common/client_config.h"

/* ---- the property ------------------------------------------------------------------ */

static kc_err check(kc_config *c, char *err, size_t len)
{
    err[0] = 0;
    return kc_config_check_producer(c, err, len);
}

static void test_property_defaults_to_false(void **state)
{
    (void)state;
    kc_config *c = kc_config_new();
    char buf[16], err[256];
    assert_string_equal(kc_config_get(c, "enable.gapless.guarantee", buf, sizeof(buf)),
                        "false");
    assert_false(c->enable_gapless_guarantee);
    assert_int_equal(check(c, err, sizeof(err)), KC_OK);
    assert_int_equal(kc_config_set(c, "enable.gapless.guarantee", "yes", err, sizeof(err)),
                     KC_ERR_CONFIG);
    assert_non_null(strstr(err, "enable.gapless.guarantee"));
    assert_int_equal(kc_config_set(c, "enable.gapless.guarantee", "true", err, sizeof(err)),
                     KC_OK);
    assert_true(c->enable_gapless_guarantee);
    assert_int_equal(check(c, err, sizeof(err)), KC_OK); /* idempotence is on by default */
    kc_config *copy = kc_config_dup(c);
    assert_true(copy->enable_gapless_guarantee);
    kc_config_free(copy);
    kc_config_free(c);
}

static void test_property_needs_idempotence(void **state)
{
    (void)state;
    char err[256];
    kc_config *c = kc_config_new();
    kc_config_set(c, "enable.gapless.guarantee", "true", err, sizeof(err));
    kc_config_set(c, "enable.idempotence", "false", err, sizeof(err));
    assert_int_equal(check(c, err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "enable.gapless.guarantee"));
    assert_non_null(strstr(err, "enable.idempotence=true"));
    assert_null(strstr(err, "turned off"));
    kc_config_free(c);

    /* idempotence quietly turned off by acks=1: the error says so */
    c = kc_config_new();
    kc_config_set(c, "enable.gapless.guarantee", "true", err, sizeof(err));
    kc_config_set(c, "acks", "1", err, sizeof(err));
    assert_int_equal(check(c, err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "enable.gapless.guarantee"));
    assert_non_null(strstr(err, "enable.idempotence=true"));
    assert_non_null(strstr(err, "acks must be all"));
    kc_config_free(c);

    /* without the guarantee, acks=1 still just turns idempotence off */
    c = kc_config_new();
    kc_config_set(c, "acks", "1", err, sizeof(err));
    assert_int_equal(check(c, err, sizeof(err)), KC_OK);
    assert_false(c->enable_idempotence);
    kc_config_free(c);
}

/* ---- a partition queue's halt ------------------------------------------------------------ */

/* Appends one record per batch (batch.size 0 closes every batch at once). */
static kc_batch *append_one(kc_accum *a, kc_partq *pq, intptr_t i)
{
    bool aborted;
    kc_append rec = {.key = st_slice_cstr("k"), .value = st_slice_cstr("v"),
                     .timestamp = 1000, .opaque = (void *)i};
    assert_int_equal(kc_accum_append(a, pq, &rec, 0, false, &aborted), ST_OK);
    return pq->tail;
}

static void test_halt_fails_later_batches_in_order(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 0, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 3);
    for (intptr_t i = 0; i < 5; i++)
        append_one(&a, &pq, i);
    kc_batch *sent = kc_partq_pop(&pq);   /* order 0: in flight, fine */
    kc_batch *failed = kc_partq_pop(&pq); /* order 1: fails for good */
    assert_false(kc_partq_halts(&pq, pq.head));
    assert_null(kc_partq_pop_halted(&pq));

    char msg[64];
    snprintf(msg, sizeof(msg), "an earlier record of t-3 failed");
    kc_partq_halt(&pq, failed->order + 1, KAFKA_INVALID_RECORD, msg);
    msg[0] = 'X'; /* the queue keeps its own copy */
    assert_int_equal(pq.halt_err, KAFKA_INVALID_RECORD);
    assert_string_equal(pq.halt_msg, "an earlier record of t-3 failed");
    assert_false(kc_partq_halts(&pq, sent));
    assert_false(kc_partq_halts(&pq, failed));
    assert_false(kc_partq_halts(&pq, NULL));

    /* a retry of the batch before the failed one goes back in front: it is
     * not behind the halt, and the halted ones wait behind it */
    kc_partq_requeue(&pq, sent);
    assert_ptr_equal(pq.head, sent);
    assert_null(kc_partq_pop_halted(&pq));
    assert_ptr_equal(kc_partq_pop(&pq), sent);

    /* the queued later batches come out in order, then nothing */
    for (intptr_t i = 2; i < 5; i++) {
        kc_batch *b = kc_partq_pop_halted(&pq);
        assert_non_null(b);
        assert_int_equal((intptr_t)b->meta[0].opaque, i);
        kc_batch_free(&a, b);
    }
    assert_null(kc_partq_pop_halted(&pq));
    assert_int_equal(pq.queued, 0);

    /* records appended afterwards are behind the halt too */
    kc_batch *later = append_one(&a, &pq, 5);
    assert_true(kc_partq_halts(&pq, later));
    assert_ptr_equal(kc_partq_pop_halted(&pq), later);
    kc_batch_free(&a, later);
    kc_batch_free(&a, sent);
    kc_batch_free(&a, failed);
    kc_partq_release(&pq);
    assert_null(pq.halt_msg);
    assert_int_equal(a.memory_used, 0);
}

/* A halt that starts after the open batch (a record of the topic failed
 * before reaching a partition) closes it: later records go into a new,
 * halted batch, never into the one that may still be written. */
static void test_halt_after_the_open_batch_closes_it(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 1000, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    kc_batch *open = append_one(&a, &pq, 0);
    assert_false(open->closed);
    kc_partq_halt(&pq, pq.next_order, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "topic missing");
    assert_true(open->closed);
    assert_false(kc_partq_halts(&pq, open));
    kc_batch *after = append_one(&a, &pq, 1);
    assert_ptr_not_equal(after, open);
    assert_int_equal(open->count, 1);
    assert_true(kc_partq_halts(&pq, after));
    assert_null(kc_partq_pop_halted(&pq)); /* the open batch goes first */
    assert_ptr_equal(kc_partq_pop(&pq), open);
    assert_ptr_equal(kc_partq_pop_halted(&pq), after);
    kc_batch_free(&a, open);
    kc_batch_free(&a, after);
    kc_partq_release(&pq);
}

static void test_earlier_halt_replaces_a_later_one(void **state)
{
    (void)state;
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    kc_partq_halt(&pq, 7, KAFKA_INVALID_RECORD, "seven");
    kc_partq_halt(&pq, 9, KAFKA_MESSAGE_TOO_LARGE, "nine"); /* later: ignored */
    assert_int_equal(pq.halt_from, 7);
    assert_int_equal(pq.halt_err, KAFKA_INVALID_RECORD);
    assert_string_equal(pq.halt_msg, "seven");
    kc_partq_halt(&pq, 4, KC_ERR_MSG_TIMED_OUT, "four"); /* earlier: replaces */
    assert_int_equal(pq.halt_from, 4);
    assert_int_equal(pq.halt_err, KC_ERR_MSG_TIMED_OUT);
    assert_string_equal(pq.halt_msg, "four");
    kc_batch b = {.order = 4};
    kc_batch before = {.order = 3};
    assert_true(kc_partq_halts(&pq, &b));
    assert_false(kc_partq_halts(&pq, &before));
    kc_partq_release(&pq);
}

/* A batch of 4 refused as too large is split (2 + 2), its first half again
 * (1 + 1); the first single record is refused for good: the halt after it
 * covers the other pieces of the batch and the later batches, not the
 * batch before. */
static void test_halt_after_a_piece_of_a_split_batch(void **state)
{
    (void)state;
    kc_accum a;
    kc_accum_init(&a, 16384, 0, 1 << 20);
    kc_partq pq;
    kc_partq_init(&pq, "t", 0);
    kc_batch *before = append_one(&a, &pq, 0);
    before->closed = true;
    for (intptr_t i = 1; i <= 4; i++)
        append_one(&a, &pq, i);
    pq.tail->closed = true;
    kc_batch *after = append_one(&a, &pq, 5);
    assert_ptr_equal(kc_partq_pop(&pq), before);
    kc_batch *big = kc_partq_pop(&pq);
    assert_int_equal(big->count, 4);
    kc_batch *halves[2], *quarters[2];
    st_batch_params params = st_batch_params_default();
    assert_int_equal(st_batch_builder_finish(&big->builder, &params, &big->wire), ST_OK);
    assert_int_equal(kc_batch_split(&a, big, halves), ST_OK);
    assert_int_equal(st_batch_builder_finish(&halves[0]->builder, &params, &halves[0]->wire),
                     ST_OK);
    assert_int_equal(kc_batch_split(&a, halves[0], quarters), ST_OK);
    kc_partq_requeue(&pq, halves[1]);
    kc_partq_requeue(&pq, quarters[1]);
    kc_batch *refused = quarters[0]; /* record 1, in flight, refused for good */

    kc_partq_halt_after(&pq, refused, KAFKA_MESSAGE_TOO_LARGE, "an earlier record failed");
    assert_false(kc_partq_halts(&pq, before));
    assert_false(kc_partq_halts(&pq, refused));
    assert_true(kc_partq_halts(&pq, quarters[1]));
    assert_true(kc_partq_halts(&pq, halves[1]));
    assert_true(kc_partq_halts(&pq, after));
    /* the rest fails in order: records 2, 3 4, 5 */
    kc_batch *want[] = {quarters[1], halves[1], after};
    for (int k = 0; k < 3; k++) {
        kc_batch *b = kc_partq_pop_halted(&pq);
        assert_ptr_equal(b, want[k]);
        kc_batch_free(&a, b);
    }
    assert_null(kc_partq_pop_halted(&pq));
    /* the halt after the batch before it replaces this one */
    kc_partq_halt_after(&pq, before, KC_ERR_MSG_TIMED_OUT, "earlier");
    assert_int_equal(pq.halt_err, KC_ERR_MSG_TIMED_OUT);
    assert_true(kc_partq_halts(&pq, refused));
    assert_false(kc_partq_halts(&pq, before));
    kc_batch_free(&a, before);
    kc_batch_free(&a, refused);
    kc_partq_release(&pq);
    assert_int_equal(a.memory_used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_defaults_to_false),
        cmocka_unit_test(test_property_needs_idempotence),
        cmocka_unit_test(test_halt_fails_later_batches_in_order),
        cmocka_unit_test(test_halt_after_the_open_batch_closes_it),
        cmocka_unit_test(test_earlier_halt_replaces_a_later_one),
        cmocka_unit_test(test_halt_after_a_piece_of_a_split_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
