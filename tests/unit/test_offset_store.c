/* test_offset_store.c — the mirror's offset translation store: runs and
 * gaps, translation both ways, validity, batching, persistence and crash
 * semantics, truncation and pruning, checkpoints, status rows, two
 * connections on one file, and a printed records/s figure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "mirror/offset_store.h"
#include "tests/unit/db_fixture.h"

/* Per-test fixture: a fresh temp dir holding the database path. */
typedef db_fixture fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f || !db_fixture_make(f, "test_offset_store")) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    db_fixture_remove(*state);
    free(*state);
    return 0;
}

static offset_store *open_store(const fixture *f)
{
    offset_store *s = NULL;
    char err[256] = "";
    st_err rc = offset_store_open(&s, f->path, err, sizeof(err));
    if (rc != ST_OK)
        fail_msg("open: %s", err);
    assert_non_null(s);
    return s;
}

static const store_key KEY = {"east-to-west", "orders", 3};
static const store_key OTHER = {"east-to-west", "orders", 4};

static void record(offset_store *s, const store_key *k, int64_t src, int64_t tgt)
{
    char err[256] = "";
    st_err rc = offset_store_record(s, k, src, tgt, err, sizeof(err));
    if (rc != ST_OK)
        fail_msg("record %lld -> %lld: %s", (long long)src, (long long)tgt, err);
}

/* Records src_first..src_last -> tgt_first.. one by one. */
static void record_run(offset_store *s, const store_key *k, int64_t src_first, int64_t src_last,
                       int64_t tgt_first)
{
    for (int64_t i = src_first; i <= src_last; i++)
        record(s, k, i, tgt_first + (i - src_first));
}

static void begin(offset_store *s)
{
    char err[256] = "";
    assert_int_equal(offset_store_begin(s, err, sizeof(err)), ST_OK);
}

static void commit(offset_store *s)
{
    char err[256] = "";
    assert_int_equal(offset_store_commit(s, err, sizeof(err)), ST_OK);
}

static store_partition_state state_of(offset_store *s, const store_key *k)
{
    store_partition_state st;
    char err[256] = "";
    assert_int_equal(offset_store_state(s, k, &st, err, sizeof(err)), ST_OK);
    return st;
}

static store_translation translate(offset_store *s, const store_key *k, int64_t c)
{
    store_translation tr;
    char err[256] = "";
    assert_int_equal(offset_store_translate(s, k, c, &tr, err, sizeof(err)), ST_OK);
    return tr;
}

static void assert_translates(offset_store *s, int64_t c, int64_t target, int64_t unmirrored)
{
    store_translation tr = translate(s, &KEY, c);
    assert_true(tr.found);
    assert_int_equal(tr.target_offset, target);
    assert_int_equal(tr.unmirrored, unmirrored);
}

static int64_t source_for(offset_store *s, int64_t t)
{
    int64_t src = -2;
    char err[256] = "";
    assert_int_equal(offset_store_source_for_target(s, &KEY, t, &src, err, sizeof(err)), ST_OK);
    return src;
}

static void advance(offset_store *s, const store_key *k, int64_t position)
{
    char err[256] = "";
    assert_int_equal(offset_store_advance(s, k, position, err, sizeof(err)), ST_OK);
}

/* The header's example: (0..9 -> 100..109), (12..14 -> 110..112), position 20. */
static void store_example(offset_store *s)
{
    begin(s);
    record_run(s, &KEY, 0, 9, 100);
    record_run(s, &KEY, 12, 14, 110);
    advance(s, &KEY, 20);
    commit(s);
}

static void test_translate_examples(void **state)
{
    offset_store *s = open_store(*state);
    store_example(s);
    assert_translates(s, 5, 105, 0);
    assert_translates(s, 0, 100, 0);
    assert_translates(s, 9, 109, 0);
    assert_translates(s, 10, 110, 0); /* gap: first mirrored record >= 10 is 12 */
    assert_translates(s, 11, 110, 0);
    assert_translates(s, 12, 110, 0);
    assert_translates(s, 14, 112, 0);
    assert_translates(s, 15, 113, 0); /* skipped up to position */
    assert_translates(s, 20, 113, 0);
    assert_translates(s, 25, 113, 5); /* beyond position: capped */
    /* Another partition knows nothing. */
    store_translation tr = translate(s, &OTHER, 5);
    assert_false(tr.found);
    offset_store_close(s);
}

static void test_translate_without_rows(void **state)
{
    offset_store *s = open_store(*state);
    advance(s, &KEY, 10); /* everything below 10 skipped, nothing mirrored */
    store_translation tr = translate(s, &KEY, 15);
    assert_false(tr.found);
    assert_int_equal(tr.unmirrored, 5);
    store_partition_state st = state_of(s, &KEY);
    assert_true(st.found);
    assert_false(st.has_rows);
    assert_int_equal(st.position, 10);
    offset_store_close(s);
}

static void test_source_for_target(void **state)
{
    offset_store *s = open_store(*state);
    begin(s);
    record_run(s, &KEY, 0, 9, 100);
    record_run(s, &KEY, 12, 14, 115); /* gap in target 110..114 (local writes) */
    commit(s);
    assert_int_equal(source_for(s, 100), 0);
    assert_int_equal(source_for(s, 105), 5);
    assert_int_equal(source_for(s, 109), 9);
    assert_int_equal(source_for(s, 110), 12); /* in the target gap: next mirrored */
    assert_int_equal(source_for(s, 114), 12);
    assert_int_equal(source_for(s, 116), 13);
    assert_int_equal(source_for(s, 50), 0); /* below everything */
    assert_int_equal(source_for(s, 118), -1);
    assert_int_equal(source_for(s, 1000), -1);
    offset_store_close(s);
}

static void test_runs_extend_and_break(void **state)
{
    offset_store *s = open_store(*state);
    begin(s);
    record_run(s, &KEY, 0, 4, 0); /* row 1 */
    record(s, &KEY, 6, 5);        /* gap in source: row 2 */
    record(s, &KEY, 7, 6);
    record(s, &KEY, 8, 9);        /* gap in target: row 3 */
    record(s, &KEY, 9, 10);
    record(s, &KEY, 11, 12);      /* gap in both: row 4 */
    commit(s);
    store_partition_state st = state_of(s, &KEY);
    assert_true(st.found);
    assert_true(st.has_rows);
    assert_int_equal(st.row_count, 4);
    assert_int_equal(st.first_src, 0);
    assert_int_equal(st.first_tgt, 0);
    assert_int_equal(st.last_src, 11);
    assert_int_equal(st.last_tgt, 12);
    assert_int_equal(st.position, 12);
    assert_translates(s, 5, 5, 0);
    assert_translates(s, 7, 6, 0);
    assert_translates(s, 8, 9, 0);
    assert_translates(s, 10, 12, 0);
    /* The other partition is independent. */
    record(s, &OTHER, 100, 0);
    st = state_of(s, &OTHER);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(state_of(s, &KEY).row_count, 4);
    offset_store_close(s);
}

static void test_invalid_records_refused(void **state)
{
    offset_store *s = open_store(*state);
    record_run(s, &KEY, 10, 12, 50);
    char err[256] = "";
    /* Source not above the last row. */
    assert_int_equal(offset_store_record(s, &KEY, 12, 60, err, sizeof(err)), ST_ERR_OUT_OF_RANGE);
    assert_non_null(strstr(err, "offset_store_record"));
    assert_int_equal(offset_store_record(s, &KEY, 5, 60, err, sizeof(err)), ST_ERR_OUT_OF_RANGE);
    /* Target not above the last row's (52). */
    err[0] = 0;
    assert_int_equal(offset_store_record(s, &KEY, 20, 52, err, sizeof(err)), ST_ERR_OUT_OF_RANGE);
    assert_true(strlen(err) > 0);
    assert_int_equal(offset_store_record(s, &KEY, 20, 40, err, sizeof(err)), ST_ERR_OUT_OF_RANGE);
    assert_int_equal(offset_store_record(s, &KEY, -1, 40, err, sizeof(err)), ST_ERR_OUT_OF_RANGE);
    /* Inside a batch too, and the batch goes on. */
    begin(s);
    assert_int_equal(offset_store_record(s, &KEY, 11, 70, err, sizeof(err)), ST_ERR_OUT_OF_RANGE);
    record(s, &KEY, 13, 53);
    commit(s);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.last_src, 13);
    assert_int_equal(st.last_tgt, 53);
    assert_int_equal(st.position, 14);
    /* Bad keys. */
    store_key nokey = {NULL, "orders", 0};
    assert_int_equal(offset_store_record(s, &nokey, 1, 1, err, sizeof(err)), ST_ERR_MALFORMED);
    offset_store_close(s);
}

static void test_batch_of_100k_is_one_row(void **state)
{
    offset_store *s = open_store(*state);
    begin(s);
    record_run(s, &KEY, 1000, 100999, 5);
    /* Reads on the same connection see the pending batch. */
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.last_src, 100999);
    /* And the batch keeps extending the same row after that read. */
    record(s, &KEY, 101000, 100005);
    commit(s);
    st = state_of(s, &KEY);
    assert_true(st.has_rows);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.first_src, 1000);
    assert_int_equal(st.first_tgt, 5);
    assert_int_equal(st.last_src, 101000);
    assert_int_equal(st.last_tgt, 100005);
    assert_int_equal(st.position, 101001);
    assert_translates(s, 50000, 49005, 0);
    offset_store_close(s);
}

static void test_pending_changes_visible_in_txn(void **state)
{
    offset_store *s = open_store(*state);
    begin(s);
    record_run(s, &KEY, 0, 9, 100);
    assert_translates(s, 5, 105, 0);
    record_run(s, &KEY, 12, 14, 110);
    assert_translates(s, 10, 110, 0);
    assert_int_equal(source_for(s, 111), 13);
    advance(s, &KEY, 20);
    assert_int_equal(state_of(s, &KEY).position, 20);
    assert_translates(s, 25, 113, 5);
    commit(s);
    offset_store_close(s);
}

static void test_advance_never_lowers(void **state)
{
    offset_store *s = open_store(*state);
    record_run(s, &KEY, 0, 4, 0);
    advance(s, &KEY, 50);
    advance(s, &KEY, 30);
    assert_int_equal(state_of(s, &KEY).position, 50);
    record(s, &KEY, 60, 5);
    assert_int_equal(state_of(s, &KEY).position, 61);
    assert_translates(s, 55, 5, 0); /* gap 5..59 is before the row at 60 */
    offset_store_close(s);
}

static void test_persistence_across_reopen(void **state)
{
    offset_store *s = open_store(*state);
    store_example(s);
    offset_store_close(s);
    s = open_store(*state);
    assert_translates(s, 5, 105, 0);
    assert_translates(s, 10, 110, 0);
    assert_translates(s, 25, 113, 5);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 2);
    assert_int_equal(st.position, 20);
    /* Appending after reopening continues the last row. */
    record(s, &KEY, 20, 113);
    st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 3); /* 15..19 skipped: src gap */
    record(s, &KEY, 21, 114);
    assert_int_equal(state_of(s, &KEY).row_count, 3);
    offset_store_close(s);
}

static void test_uncommitted_transaction_lost(void **state)
{
    offset_store *s = open_store(*state);
    begin(s);
    record_run(s, &KEY, 0, 9, 100);
    commit(s);
    begin(s);
    record_run(s, &KEY, 10, 19, 110); /* extends the committed row: pending UPDATE */
    record_run(s, &OTHER, 0, 4, 0);   /* a new partition: pending INSERT */
    advance(s, &KEY, 30);
    offset_store_close(s); /* no commit: like a crash */
    s = open_store(*state);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.last_src, 9);
    assert_int_equal(st.position, 10);
    assert_false(state_of(s, &OTHER).found);
    /* The store goes on from the committed state. */
    record(s, &KEY, 10, 110);
    assert_int_equal(state_of(s, &KEY).last_src, 10);
    offset_store_close(s);
}

static void test_uncommitted_after_flush_lost(void **state)
{
    offset_store *s = open_store(*state);
    begin(s);
    record_run(s, &KEY, 0, 9, 100);
    assert_int_equal(state_of(s, &KEY).last_src, 9); /* forces the pending rows out */
    offset_store_close(s);
    s = open_store(*state);
    assert_false(state_of(s, &KEY).found);
    offset_store_close(s);
}

static void test_truncate_target(void **state)
{
    offset_store *s = open_store(*state);
    store_example(s); /* (0..9 -> 100..109), (12..14 -> 110..112), position 20 */
    char err[256] = "";
    /* Nothing at or above 500: unchanged, position kept. */
    assert_int_equal(offset_store_truncate_target(s, &KEY, 500, err, sizeof(err)), ST_OK);
    assert_int_equal(state_of(s, &KEY).position, 20);
    /* Target lost 111 and up: row 2 cut to 12 -> 110. */
    assert_int_equal(offset_store_truncate_target(s, &KEY, 111, err, sizeof(err)), ST_OK);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 2);
    assert_int_equal(st.last_src, 12);
    assert_int_equal(st.last_tgt, 110);
    assert_int_equal(st.position, 13);
    assert_translates(s, 13, 111, 0);
    assert_translates(s, 15, 111, 2);
    /* Recording continues from the truncated row. */
    record(s, &KEY, 13, 111);
    assert_int_equal(state_of(s, &KEY).row_count, 2);
    /* Cut inside the first row: row 2 deleted, row 1 cut to 0..4. */
    assert_int_equal(offset_store_truncate_target(s, &KEY, 105, err, sizeof(err)), ST_OK);
    st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.last_src, 4);
    assert_int_equal(st.last_tgt, 104);
    assert_int_equal(st.position, 5);
    /* Everything: no rows, no position. */
    assert_int_equal(offset_store_truncate_target(s, &KEY, 100, err, sizeof(err)), ST_OK);
    st = state_of(s, &KEY);
    assert_false(st.found);
    assert_false(st.has_rows);
    assert_false(translate(s, &KEY, 0).found);
    record(s, &KEY, 0, 100);
    assert_int_equal(state_of(s, &KEY).row_count, 1);
    offset_store_close(s);
}

static void test_truncate_inside_batch(void **state)
{
    offset_store *s = open_store(*state);
    char err[256] = "";
    begin(s);
    record_run(s, &KEY, 0, 9, 100);
    assert_int_equal(offset_store_truncate_target(s, &KEY, 105, err, sizeof(err)), ST_OK);
    record(s, &KEY, 5, 105); /* valid again after the cut */
    commit(s);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.last_src, 5);
    assert_int_equal(st.position, 6);
    offset_store_close(s);
}

static void test_prune_below_target(void **state)
{
    offset_store *s = open_store(*state);
    store_example(s);
    char err[256] = "";
    /* Nothing below 100. */
    assert_int_equal(offset_store_prune_below_target(s, &KEY, 100, err, sizeof(err)), ST_OK);
    assert_int_equal(state_of(s, &KEY).row_count, 2);
    /* Cut the first row's front: 4..9 -> 104..109 remain. */
    assert_int_equal(offset_store_prune_below_target(s, &KEY, 104, err, sizeof(err)), ST_OK);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 2);
    assert_int_equal(st.first_src, 4);
    assert_int_equal(st.first_tgt, 104);
    assert_translates(s, 0, 104, 0); /* below the first row */
    assert_translates(s, 5, 105, 0);
    assert_int_equal(source_for(s, 100), 4);
    /* Whole first row gone, second cut at 111. */
    assert_int_equal(offset_store_prune_below_target(s, &KEY, 111, err, sizeof(err)), ST_OK);
    st = state_of(s, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.first_src, 13);
    assert_int_equal(st.first_tgt, 111);
    assert_int_equal(st.last_src, 14);
    assert_int_equal(st.position, 20);
    assert_translates(s, 3, 111, 0);
    assert_translates(s, 14, 112, 0);
    /* Recording continues on the cut row. */
    record(s, &KEY, 20, 113);
    assert_int_equal(state_of(s, &KEY).row_count, 2);
    offset_store_close(s);
}

static void test_forget(void **state)
{
    offset_store *s = open_store(*state);
    store_example(s);
    record(s, &OTHER, 0, 0);
    store_status row = {.flow = "east-to-west", .topic = "orders", .partition = 3,
                        .target_topic = "east.orders", .position = 20};
    char err[256] = "";
    assert_int_equal(offset_store_put_status(s, &row, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_forget(s, &KEY, err, sizeof(err)), ST_OK);
    assert_false(state_of(s, &KEY).found);
    assert_true(state_of(s, &OTHER).found);
    store_status *rows;
    size_t n;
    assert_int_equal(offset_store_status(s, NULL, &rows, &n, err, sizeof(err)), ST_OK);
    assert_int_equal(n, 0);
    offset_store_free_status(rows, n);
    record(s, &KEY, 0, 0); /* the cache forgot it too */
    assert_int_equal(state_of(s, &KEY).row_count, 1);
    offset_store_close(s);
}

static void test_checkpoints_roundtrip(void **state)
{
    offset_store *s = open_store(*state);
    char err[256] = "";
    store_checkpoint a = {"billing", "orders", 1, 10, 110, "m1", 1000};
    store_checkpoint b = {"billing", "orders", 0, 5, 105, NULL, 1001};
    store_checkpoint c = {"billing", "audit", 2, 7, 70, "", 1002};
    store_checkpoint d = {"analytics", "orders", 0, 1, 2, "x", 1003};
    store_checkpoint other_flow = {"billing", "orders", 0, 99, 99, "", 1};
    assert_int_equal(offset_store_put_checkpoint(s, "f", &a, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_put_checkpoint(s, "f", &b, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_put_checkpoint(s, "f", &c, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_put_checkpoint(s, "f", &d, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_put_checkpoint(s, "g", &other_flow, err, sizeof(err)), ST_OK);
    a.source_offset = 12; /* upsert */
    a.target_offset = 112;
    a.metadata = "m2";
    a.time_ms = 2000;
    assert_int_equal(offset_store_put_checkpoint(s, "f", &a, err, sizeof(err)), ST_OK);

    store_checkpoint *cps;
    size_t n;
    assert_int_equal(offset_store_checkpoints(s, "f", "billing", &cps, &n, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(n, 3);
    assert_string_equal(cps[0].topic, "audit");
    assert_int_equal(cps[0].partition, 2);
    assert_string_equal(cps[1].topic, "orders");
    assert_int_equal(cps[1].partition, 0);
    assert_int_equal(cps[1].source_offset, 5);
    assert_int_equal(cps[1].target_offset, 105);
    assert_string_equal(cps[1].metadata, "");
    assert_int_equal(cps[1].time_ms, 1001);
    assert_string_equal(cps[2].group, "billing");
    assert_int_equal(cps[2].partition, 1);
    assert_int_equal(cps[2].source_offset, 12);
    assert_int_equal(cps[2].target_offset, 112);
    assert_string_equal(cps[2].metadata, "m2");
    assert_int_equal(cps[2].time_ms, 2000);
    offset_store_free_checkpoints(cps, n);

    assert_int_equal(offset_store_checkpoints(s, "f", "nobody", &cps, &n, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(n, 0);
    offset_store_free_checkpoints(cps, n);

    char **groups;
    assert_int_equal(offset_store_checkpoint_groups(s, "f", &groups, &n, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(n, 2);
    assert_string_equal(groups[0], "analytics");
    assert_string_equal(groups[1], "billing");
    offset_store_free_strings(groups, n);
    assert_int_equal(offset_store_checkpoint_groups(s, "g", &groups, &n, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(n, 1);
    offset_store_free_strings(groups, n);
    offset_store_close(s);
}

static void test_status_roundtrip(void **state)
{
    offset_store *s = open_store(*state);
    char err[256] = "";
    store_status r1 = {"f2", "orders", 0, "east.orders", 100, 120, 90, 20, 1.5, 1000, 65536, 0,
                       "", 111};
    store_status r2 = {"f1", "orders", 1, "east.orders", 5, -1, -1, 0, 0.0, 5, 10, 2,
                       "broker down", 222};
    store_status r3 = {"f1", "audit", 0, "east.audit", 7, 7, 7, 0, 0.25, 7, 70, 0, NULL, 333};
    assert_int_equal(offset_store_put_status(s, &r1, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_put_status(s, &r2, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_put_status(s, &r3, err, sizeof(err)), ST_OK);
    r1.position = 101;
    r1.last_error = "late";
    assert_int_equal(offset_store_put_status(s, &r1, err, sizeof(err)), ST_OK);

    store_status *rows;
    size_t n;
    assert_int_equal(offset_store_status(s, NULL, &rows, &n, err, sizeof(err)), ST_OK);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].flow, "f1");
    assert_string_equal(rows[0].topic, "audit");
    assert_string_equal(rows[0].last_error, "");
    assert_true(rows[0].lag_seconds == 0.25);
    assert_string_equal(rows[1].topic, "orders");
    assert_int_equal(rows[1].partition, 1);
    assert_int_equal(rows[1].source_end, -1);
    assert_int_equal(rows[1].target_end, -1);
    assert_int_equal(rows[1].errors, 2);
    assert_string_equal(rows[1].last_error, "broker down");
    assert_int_equal(rows[1].updated_ms, 222);
    assert_string_equal(rows[2].flow, "f2");
    assert_string_equal(rows[2].target_topic, "east.orders");
    assert_int_equal(rows[2].position, 101);
    assert_int_equal(rows[2].source_end, 120);
    assert_int_equal(rows[2].target_end, 90);
    assert_int_equal(rows[2].lag_records, 20);
    assert_true(rows[2].lag_seconds == 1.5);
    assert_int_equal(rows[2].records, 1000);
    assert_int_equal(rows[2].bytes, 65536);
    assert_string_equal(rows[2].last_error, "late");
    offset_store_free_status(rows, n);

    assert_int_equal(offset_store_status(s, "f2", &rows, &n, err, sizeof(err)), ST_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].flow, "f2");
    offset_store_free_status(rows, n);
    offset_store_close(s);
}

static void test_two_connections(void **state)
{
    offset_store *w = open_store(*state);
    offset_store *r = open_store(*state);
    begin(w);
    record_run(w, &KEY, 0, 9, 100);
    /* The reader sees nothing of the open transaction. */
    assert_false(translate(r, &KEY, 5).found);
    commit(w);
    store_translation tr = translate(r, &KEY, 5);
    assert_true(tr.found);
    assert_int_equal(tr.target_offset, 105);
    /* The writer's cache keeps extending the row across batches. */
    begin(w);
    record_run(w, &KEY, 10, 19, 110);
    commit(w);
    store_partition_state st = state_of(r, &KEY);
    assert_int_equal(st.row_count, 1);
    assert_int_equal(st.last_src, 19);
    /* A repair through the other connection: the writer's cache follows. */
    char err[256] = "";
    assert_int_equal(offset_store_truncate_target(r, &KEY, 105, err, sizeof(err)), ST_OK);
    begin(w);
    record(w, &KEY, 5, 105); /* would be refused with a stale cache */
    commit(w);
    st = state_of(r, &KEY);
    assert_int_equal(st.last_src, 5);
    assert_int_equal(st.position, 6);
    offset_store_close(r);
    offset_store_close(w);
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    offset_store *s = open_store(f);
    offset_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    s = (offset_store *)1;
    assert_int_equal(offset_store_open(&s, f->path, err, sizeof(err)), ST_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err, "schema version 2"));
}

static void test_open_missing_directory_fails(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof(path), "%s/no/such/dir/offsets.db", f->dir);
    offset_store *s = NULL;
    char err[256] = "";
    assert_int_equal(offset_store_open(&s, path, err, sizeof(err)), ST_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(err, "offset_store_open"));
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Prints records/s; asserts only the outcome. */
static void test_record_throughput(void **state)
{
    offset_store *s = open_store(*state);
    const int64_t total = 1000000, batch = 10000;
    double start = now_seconds();
    begin(s);
    for (int64_t i = 0; i < total; i++) {
        /* A gap every 1000 records so that rows are inserted too. */
        int64_t src = i + i / 1000;
        record(s, &KEY, src, i);
        if ((i + 1) % batch == 0) {
            commit(s);
            begin(s);
        }
    }
    commit(s);
    double secs = now_seconds() - start;
    printf("offset_store_record: %lld records in %.3f s: %.0f records/s (commit every %lld)\n",
           (long long)total, secs, total / secs, (long long)batch);
    store_partition_state st = state_of(s, &KEY);
    assert_int_equal(st.row_count, total / 1000);
    assert_int_equal(st.last_tgt, total - 1);
    offset_store_close(s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_translate_examples),
        T(test_translate_without_rows),
        T(test_source_for_target),
        T(test_runs_extend_and_break),
        T(test_invalid_records_refused),
        T(test_batch_of_100k_is_one_row),
        T(test_pending_changes_visible_in_txn),
        T(test_advance_never_lowers),
        T(test_persistence_across_reopen),
        T(test_uncommitted_transaction_lost),
        T(test_uncommitted_after_flush_lost),
        T(test_truncate_target),
        T(test_truncate_inside_batch),
        T(test_prune_below_target),
        T(test_forget),
        T(test_checkpoints_roundtrip),
        T(test_status_roundtrip),
        T(test_two_connections),
        T(test_newer_schema_refused),
        T(test_open_missing_directory_fails),
        T(test_record_throughput),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
