/* test_checkpoint_translate.c — checkpoint_translate on a real (temporary)
 * SQLite offset store: the plain translation for active/passive flows, and
 * for identity-named active/active the cap at the first target-local record
 * the group has not seen, computed by hand from two interleaved logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mirror/checkpoint.h"
#include "mirror/mirror_config.h"
#include "mirror/offset_store.h"
#include "tests/unit/db_fixture.h"

typedef struct fixture {
    db_fixture db;
    offset_store *store;
    mirror_config config;
} fixture;

static void load_config(fixture *f, const char *flows)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "mirror:\n"
             "  database: %s\n"
             "clusters:\n"
             "  east:\n"
             "    bootstrap.servers: 127.0.0.1:19092\n"
             "  west:\n"
             "    bootstrap.servers: 127.0.0.1:19192\n"
             "flows:\n"
             "%s",
             f->db.path, flows);
    char err[512] = "";
    st_err rc = mirror_config_load_string(&f->config, "test.yaml", text, strlen(text), err,
                                          sizeof(err));
    if (rc != ST_OK)
        fail_msg("config: %s", err);
}

static fixture *open_fixture(const char *flows)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_true(db_fixture_make(&f->db, "test_checkpoint"));
    char err[512] = "";
    if (offset_store_open(&f->store, f->db.path, err, sizeof(err)) != ST_OK)
        fail_msg("open: %s", err);
    load_config(f, flows);
    return f;
}

static void close_fixture(fixture *f)
{
    offset_store_close(f->store);
    mirror_config_free(&f->config);
    db_fixture_remove(&f->db);
    free(f);
}

static const mirror_flow *flow(const fixture *f, const char *source, const char *target)
{
    const mirror_flow *fl = mirror_config_find_flow(&f->config, source, target);
    assert_non_null(fl);
    return fl;
}

/* Mirrored records (src -> tgt pairs) of one (flow, topic, partition), then
 * the position. */
static void fill(fixture *f, const char *flow_name, const char *topic, int32_t partition,
                 const int64_t (*pairs)[2], size_t n, int64_t position)
{
    char err[512] = "";
    store_key key = {flow_name, topic, partition};
    assert_int_equal(offset_store_begin(f->store, err, sizeof(err)), ST_OK);
    for (size_t i = 0; i < n; i++)
        if (offset_store_record(f->store, &key, pairs[i][0], pairs[i][1], err, sizeof(err)))
            fail_msg("record %lld -> %lld: %s", (long long)pairs[i][0], (long long)pairs[i][1],
                     err);
    if (offset_store_advance(f->store, &key, position, err, sizeof(err)))
        fail_msg("advance: %s", err);
    assert_int_equal(offset_store_commit(f->store, err, sizeof(err)), ST_OK);
}

typedef struct expect {
    int64_t committed;
    bool found;
    int64_t target_offset;
    int64_t unmirrored;
} expect;

static void check(fixture *f, const mirror_flow *fl, const char *topic, int32_t partition,
                  const expect *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[512] = "";
        store_translation tr;
        memset(&tr, 0x5A, sizeof(tr));
        st_err rc = checkpoint_translate(&f->config, fl, f->store, topic, partition,
                                         cases[i].committed, &tr, err, sizeof(err));
        if (rc != ST_OK)
            fail_msg("translate %lld: %s", (long long)cases[i].committed, err);
        if (tr.found != cases[i].found ||
            (cases[i].found && tr.target_offset != cases[i].target_offset) ||
            tr.unmirrored != cases[i].unmirrored)
            fail_msg("%s %s[%d] committed %lld: got found=%d target=%lld unmirrored=%lld, "
                     "want found=%d target=%lld unmirrored=%lld",
                     fl->name, topic, partition, (long long)cases[i].committed, tr.found,
                     (long long)tr.target_offset, (long long)tr.unmirrored, cases[i].found,
                     (long long)cases[i].target_offset, (long long)cases[i].unmirrored);
    }
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The source log of east `orders` [0], active/passive east -> west:
 *   east: 0 1 2 3 4 5      (3 is a transaction marker: skipped)
 *   west: 0 1 2 - 3 4      position 6 (everything below mirrored or skipped)
 */
static const int64_t PASSIVE[][2] = {{0, 0}, {1, 1}, {2, 2}, {4, 3}, {5, 4}};

static const char ONE_FLOW[] = "  - source: east\n"
                               "    target: west\n"
                               "    naming: identity\n";

static void test_active_passive_is_the_store_translation(void **state)
{
    (void)state;
    fixture *f = open_fixture(ONE_FLOW);
    const mirror_flow *fl = flow(f, "east", "west");
    fill(f, fl->name, "orders", 0, PASSIVE, N(PASSIVE), 6);
    static const expect cases[] = {
        {0, true, 0, 0}, /* nothing read yet: the first record */
        {2, true, 2, 0},
        {3, true, 3, 0}, /* the marker: the next mirrored record (east 4 = west 3) */
        {4, true, 3, 0},
        {5, true, 4, 0},
        {6, true, 5, 0}, /* at the head: after the last one */
        {8, true, 5, 2}, /* beyond what is mirrored: capped, 2 not on west yet */
    };
    check(f, fl, "orders", 0, cases, N(cases));
    static const expect unknown[] = {{3, false, 0, 0}};
    check(f, fl, "orders", 1, unknown, N(unknown));
    check(f, fl, "payments", 0, unknown, N(unknown));
    close_fixture(f);
}

/* Identity active/active, topic `orders` [0] on both clusters (a = written
 * at east, b = written at west, ' = a mirrored copy):
 *
 *   east: 0:a0  1:a1  2:b0' 3:a2  4:b1' 5:a3
 *   west: 0:b0  1:a0' 2:a1' 3:b1  4:a2' 5:b2  6:a3'
 *
 * east->west mirrored a0..a3 (east 2 and 4 skipped: they came from west),
 * position 6. west->east mirrored b0 and b1 (west 1, 2, 4 skipped), read up
 * to west 5 (b2 is not on east yet): position 5. */
static const int64_t EAST_TO_WEST[][2] = {{0, 1}, {1, 2}, {3, 4}, {5, 6}};
static const int64_t WEST_TO_EAST[][2] = {{0, 2}, {3, 4}};

static const char TWO_FLOWS[] = "  - source: east\n"
                                "    target: west\n"
                                "    naming: identity\n"
                                "  - source: west\n"
                                "    target: east\n"
                                "    naming: identity\n";

static void test_active_active_never_skips_local_records(void **state)
{
    (void)state;
    fixture *f = open_fixture(TWO_FLOWS);
    const mirror_flow *ew = flow(f, "east", "west");
    const mirror_flow *we = flow(f, "west", "east");
    fill(f, ew->name, "orders", 0, EAST_TO_WEST, N(EAST_TO_WEST), 6);
    fill(f, we->name, "orders", 0, WEST_TO_EAST, N(WEST_TO_EAST), 5);

    /* A group on east, moved to west. */
    static const expect east_group[] = {
        {0, true, 0, 0}, /* b0 (west 0) unseen: start there, not at a0' */
        {1, true, 0, 0}, /* seen a0; b0 is at east 2: unseen */
        {2, true, 0, 0}, /* seen a0 a1: b0 still unseen (repeats a0' a1') */
        {3, true, 3, 0}, /* seen a0 a1 b0': next unseen b1 at west 3 (a2' is 4) */
        {4, true, 3, 0}, /* seen up to a2: b1 (east 4) unseen */
        {5, true, 5, 0}, /* seen up to b1': b2 not mirrored yet, west 5; a3' is 6 */
        {6, true, 5, 0}, /* at the head of east: b2 still unseen */
    };
    check(f, ew, "orders", 0, east_group, N(east_group));

    /* A group on west, moved to east (the same rule, the other way). */
    static const expect west_group[] = {
        {0, true, 0, 0}, /* a0 (east 0) unseen */
        {3, true, 3, 0}, /* seen b0 a0' a1': b1 would be east 4, but a2 (east 3) is unseen */
        {5, true, 5, 0}, /* seen up to a2': a3 (east 5) unseen */
        {6, true, 5, 1}, /* b2 read but not on east yet: capped; a3 still unseen */
    };
    check(f, we, "orders", 0, west_group, N(west_group));
    close_fixture(f);
}

/* Without the reverse flow's rows for a partition, or with a reverse flow
 * that renames (its copies land in another topic), the plain translation
 * stands. */
static void test_reverse_flow_only_when_it_knows_the_partition(void **state)
{
    (void)state;
    fixture *f = open_fixture(TWO_FLOWS);
    const mirror_flow *ew = flow(f, "east", "west");
    fill(f, ew->name, "orders", 1, PASSIVE, N(PASSIVE), 6);
    static const expect cases[] = {{3, true, 3, 0}, {6, true, 5, 0}};
    check(f, ew, "orders", 1, cases, N(cases));
    close_fixture(f);

    f = open_fixture("  - source: east\n"
                     "    target: west\n"
                     "    naming: identity\n"
                     "  - source: west\n"
                     "    target: east\n"
                     "    naming: prefix\n");
    ew = flow(f, "east", "west");
    fill(f, ew->name, "orders", 0, EAST_TO_WEST, N(EAST_TO_WEST), 6);
    fill(f, flow(f, "west", "east")->name, "orders", 0, WEST_TO_EAST, N(WEST_TO_EAST), 5);
    static const expect renamed[] = {{2, true, 4, 0}, {5, true, 6, 0}};
    check(f, ew, "orders", 0, renamed, N(renamed));
    close_fixture(f);
}

/* A prefix flow is exact even when the reverse identity flow exists. */
static void test_prefix_flow_ignores_reverse_rows(void **state)
{
    (void)state;
    fixture *f = open_fixture("  - source: east\n"
                              "    target: west\n"
                              "    naming: prefix\n"
                              "  - source: west\n"
                              "    target: east\n"
                              "    naming: identity\n");
    const mirror_flow *ew = flow(f, "east", "west");
    fill(f, ew->name, "orders", 0, EAST_TO_WEST, N(EAST_TO_WEST), 6);
    fill(f, flow(f, "west", "east")->name, "orders", 0, WEST_TO_EAST, N(WEST_TO_EAST), 5);
    static const expect cases[] = {{2, true, 4, 0}, {3, true, 4, 0}};
    check(f, ew, "orders", 0, cases, N(cases));
    close_fixture(f);
}

/* east's partition holds only copies of west's records (east->west mirrored
 * nothing, skipped everything up to 3); west: 0:b0 1:b1 2:b2 3:b3, of which
 * b0..b2 are on east (0..2) and b3 is not yet. */
static void test_only_local_records_on_the_target(void **state)
{
    (void)state;
    fixture *f = open_fixture(TWO_FLOWS);
    const mirror_flow *ew = flow(f, "east", "west");
    fill(f, ew->name, "orders", 2, NULL, 0, 3);
    static const int64_t copies[][2] = {{0, 0}, {1, 1}, {2, 2}};
    fill(f, flow(f, "west", "east")->name, "orders", 2, copies, N(copies), 3);
    static const expect cases[] = {
        {0, true, 0, 0},
        {2, true, 2, 0}, /* seen b0 b1: b2 next */
        {3, true, 3, 0}, /* seen all copies: b3, not mirrored yet */
        {5, true, 3, 2}, /* east 3, 4 not read by east->west yet */
    };
    check(f, ew, "orders", 2, cases, N(cases));
    close_fixture(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_passive_is_the_store_translation),
        cmocka_unit_test(test_active_active_never_skips_local_records),
        cmocka_unit_test(test_reverse_flow_only_when_it_knows_the_partition),
        cmocka_unit_test(test_prefix_flow_ignores_reverse_rows),
        cmocka_unit_test(test_only_local_records_on_the_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
