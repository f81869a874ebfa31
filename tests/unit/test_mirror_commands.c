/* test_mirror_commands.c — `strait-mirror failover` and `status` without a
 * running mirror: flag parsing and its errors, the aligned tables and their
 * "-" cells, ages, the live lag recomputation, and both commands run end
 * to end against a real offset store with clusters that cannot be reached
 * (127.0.0.1:1 refuses at once), so failover falls back to checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mirror/commands.h"
#include "mirror/offset_store.h"
#include "tests/unit/db_fixture.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- failover flags ------------------------------------------------------------------------------ */

static cmd_parse_result parse_failover(failover_args *a, int argc, char **argv, char *err)
{
    return failover_args_parse(a, argc, argv, err, 256);
}

static void test_failover_defaults_and_groups(void **state)
{
    (void)state;
    char *argv[] = {"failover", "--config", "m.yaml", "--source=east", "--target", "west",
                    "--group", "g1", "--group=g2", "--group", "g1"};
    failover_args a;
    char err[256] = "";
    assert_int_equal(parse_failover(&a, ARGC(argv), argv, err), CMD_PARSE_OK);
    assert_string_equal(a.config_path, "m.yaml");
    assert_string_equal(a.source, "east");
    assert_string_equal(a.target, "west");
    assert_int_equal(a.group_count, 2); /* g1 once */
    assert_string_equal(a.groups[0], "g1");
    assert_string_equal(a.groups[1], "g2");
    assert_false(a.all_groups);
    assert_false(a.execute); /* dry run by default */
    assert_int_equal(a.timeout_ms, CMD_DEFAULT_TIMEOUT_MS);
    failover_args_free(&a);
}

static void test_failover_execute_all_groups_timeout(void **state)
{
    (void)state;
    char *argv[] = {"failover", "--all-groups", "--execute", "--timeout-ms=250", "--config",
                    "m.yaml", "--source", "east", "--target", "west"};
    failover_args a;
    char err[256] = "";
    assert_int_equal(parse_failover(&a, ARGC(argv), argv, err), CMD_PARSE_OK);
    assert_true(a.all_groups);
    assert_true(a.execute);
    assert_int_equal(a.timeout_ms, 250);
    assert_int_equal(a.group_count, 0);
    failover_args_free(&a);
}

/* Parses argv and expects an error whose message contains want. */
static void expect_failover_error(int argc, char **argv, const char *want)
{
    failover_args a;
    char err[256] = "";
    assert_int_equal(parse_failover(&a, argc, argv, err), CMD_PARSE_ERROR);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_failover_flag_errors(void **state)
{
    (void)state;
    char *unknown[] = {"failover", "--config", "m", "--source", "e", "--target", "w",
                       "--group", "g", "--grup", "x"};
    expect_failover_error(ARGC(unknown), unknown, "unknown flag --grup");
    char *no_value[] = {"failover", "--config", "m", "--source", "e", "--target"};
    expect_failover_error(ARGC(no_value), no_value, "flag --target needs a value");
    char *flag_as_value[] = {"failover", "--config", "--source", "e", "--target", "w",
                             "--all-groups"};
    expect_failover_error(ARGC(flag_as_value), flag_as_value, "flag --config needs a value");
    char *no_config[] = {"failover", "--source", "e", "--target", "w", "--group", "g"};
    expect_failover_error(ARGC(no_config), no_config, "missing required flag --config");
    char *no_target[] = {"failover", "--config", "m", "--source", "e", "--group", "g"};
    expect_failover_error(ARGC(no_target), no_target, "missing required flag --target");
    char *no_group[] = {"failover", "--config", "m", "--source", "e", "--target", "w"};
    expect_failover_error(ARGC(no_group), no_group, "--all-groups");
    char *both[] = {"failover", "--config", "m", "--source", "e", "--target", "w", "--group",
                    "g", "--all-groups"};
    expect_failover_error(ARGC(both), both, "--group and --all-groups cannot be used together");
    char *modes[] = {"failover", "--config", "m", "--source", "e", "--target", "w",
                     "--all-groups", "--dry-run", "--execute"};
    expect_failover_error(ARGC(modes), modes, "--dry-run and --execute");
    char *timeout[] = {"failover", "--config", "m", "--source", "e", "--target", "w",
                       "--all-groups", "--timeout-ms", "5s"};
    expect_failover_error(ARGC(timeout), timeout, "--timeout-ms: '5s' is not a positive integer");
    char *zero[] = {"failover", "--config", "m", "--source", "e", "--target", "w",
                    "--all-groups", "--timeout-ms", "0"};
    expect_failover_error(ARGC(zero), zero, "--timeout-ms");
    char *positional[] = {"failover", "--config", "m", "east"};
    expect_failover_error(ARGC(positional), positional, "unexpected argument 'east'");
    char *twice[] = {"failover", "--config", "m", "--source", "e", "--source", "x"};
    expect_failover_error(ARGC(twice), twice, "flag --source given twice");
    char *valued[] = {"failover", "--execute=yes"};
    expect_failover_error(ARGC(valued), valued, "flag --execute takes no value");
    char *same[] = {"failover", "--config", "m", "--source", "e", "--target", "e",
                    "--all-groups"};
    expect_failover_error(ARGC(same), same, "same cluster 'e'");
    char *empty_group[] = {"failover", "--group="};
    expect_failover_error(ARGC(empty_group), empty_group, "--group");
}

static void test_failover_help(void **state)
{
    (void)state;
    char *argv[] = {"failover", "--source", "e", "--help"};
    failover_args a;
    char err[256] = "";
    assert_int_equal(parse_failover(&a, ARGC(argv), argv, err), CMD_PARSE_HELP);
}

/* ---- status flags ------------------------------------------------------------------------------------ */

static void test_status_flags(void **state)
{
    (void)state;
    status_args a;
    char err[256] = "";
    char *ok[] = {"status", "--config", "m.yaml", "--flow=east->west", "--live"};
    assert_int_equal(status_args_parse(&a, ARGC(ok), ok, err, sizeof(err)), CMD_PARSE_OK);
    assert_string_equal(a.config_path, "m.yaml");
    assert_string_equal(a.flow, "east->west");
    assert_true(a.live);
    assert_int_equal(a.timeout_ms, CMD_DEFAULT_TIMEOUT_MS);

    char *plain[] = {"status", "--config", "m.yaml"};
    assert_int_equal(status_args_parse(&a, ARGC(plain), plain, err, sizeof(err)), CMD_PARSE_OK);
    assert_null(a.flow);
    assert_false(a.live);

    char *missing[] = {"status", "--live"};
    assert_int_equal(status_args_parse(&a, ARGC(missing), missing, err, sizeof(err)),
                     CMD_PARSE_ERROR);
    assert_non_null(strstr(err, "missing required flag --config"));

    char *unknown[] = {"status", "--config", "m", "--follow"};
    assert_int_equal(status_args_parse(&a, ARGC(unknown), unknown, err, sizeof(err)),
                     CMD_PARSE_ERROR);
    assert_non_null(strstr(err, "unknown flag --follow"));

    char *help[] = {"status", "-h"};
    assert_int_equal(status_args_parse(&a, ARGC(help), help, err, sizeof(err)), CMD_PARSE_HELP);
}

/* ---- tables -------------------------------------------------------------------------------------------- */

/* What print wrote into a memory stream (malloc'd). */
static char *render(void (*print)(FILE *, const void *), const void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    print(f, arg);
    fclose(f);
    return text;
}

static void print_small_table(FILE *f, const void *arg)
{
    (void)arg;
    static const char *const headers[] = {"A", "LONG-HEADER", "LAST"};
    cmd_table t;
    cmd_table_init(&t, headers, 3);
    const char *r1[] = {"wide-cell", "x", "tail"};
    const char *r2[] = {"b", NULL, "z"};
    assert_true(cmd_table_add(&t, r1));
    assert_true(cmd_table_add(&t, r2));
    cmd_table_print(&t, f);
    cmd_table_free(&t);
}

static void test_table_aligns_columns(void **state)
{
    (void)state;
    char *text = render(print_small_table, NULL);
    assert_string_equal(text, "A         LONG-HEADER LAST\n"
                              "wide-cell x           tail\n"
                              "b         -           z\n");
    free(text);
}

static void print_failover(FILE *f, const void *arg)
{
    (void)arg;
    failover_row rows[3] = {
        {.group = "g1", .topic = "orders", .partition = 0, .source_offset = 5,
         .from_checkpoint = true, .target_topic = "east.orders", .translated = true,
         .target_offset = 5, .unmirrored = 0, .target_end = 10},
        {.group = "g1", .topic = "orders", .partition = 11, .source_offset = 1200,
         .from_checkpoint = false, .target_topic = "east.orders", .translated = false,
         .target_end = -1},
        {.group = "g1", .topic = "orders", .partition = 2, .source_offset = 42,
         .from_checkpoint = false, .target_topic = "east.orders", .translated = true,
         .target_offset = 40, .unmirrored = 2, .target_end = -1},
    };
    failover_print_table(f, rows, 3);
}

static void test_failover_table(void **state)
{
    (void)state;
    char *text = render(print_failover, NULL);
    assert_string_equal(
        text,
        "GROUP TOPIC  PARTITION SOURCE-OFFSET ORIGIN     TARGET-TOPIC TARGET-OFFSET TARGET-END "
        "LAG UNMIRRORED\n"
        "g1    orders 0         5             checkpoint east.orders  5             10         "
        "5   0\n"
        "g1    orders 11        1200          live       east.orders  -             -          "
        "-   -\n"
        "g1    orders 2         42            live       east.orders  40            -          "
        "-   2\n");
    free(text);
}

static void print_status(FILE *f, const void *arg)
{
    (void)arg;
    const int64_t now = INT64_C(1700000000000);
    store_status rows[2] = {
        {.flow = "east->west", .topic = "orders", .partition = 0, .target_topic = "orders",
         .position = 100, .source_end = 130, .target_end = 100, .lag_records = 30,
         .lag_seconds = 2.25, .records = 100, .bytes = 1000, .errors = 0, .last_error = "",
         .updated_ms = now - 12000},
        {.flow = "east->west", .topic = "payments", .partition = 3, .target_topic = "",
         .position = 0, .source_end = -1, .target_end = -1, .lag_records = 0,
         .lag_seconds = -1, .records = 0, .errors = 7,
         .last_error = "MESSAGE_TOO_LARGE: record of 2000000 bytes at offset 17\nover the "
                       "target's max.message.bytes",
         .updated_ms = now - 3 * 60 * 1000},
    };
    status_print_table(f, rows, 2, now);
}

static void test_status_table(void **state)
{
    (void)state;
    char *text = render(print_status, NULL);
    assert_string_equal(
        text,
        "FLOW       TOPIC    PARTITION TARGET-TOPIC REPLICATED-OFFSET SOURCE-END LAG-RECORDS "
        "LAG-SECONDS RECORDS ERRORS LAST-ERROR                                                   "
        "UPDATED\n"
        "east->west orders   0         orders       100               130        30          "
        "2.2         100     0      -                                                            "
        "12 s ago\n"
        "east->west payments 3         -            0                 -          -           "
        "-           0       7      MESSAGE_TOO_LARGE: record of 2000000 bytes at offset 17 o... "
        "3 min ago\n");
    free(text);
}

static void test_format_age(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(cmd_format_age(-5000, buf, sizeof(buf)), "0 s");
    assert_string_equal(cmd_format_age(999, buf, sizeof(buf)), "0 s");
    assert_string_equal(cmd_format_age(12000, buf, sizeof(buf)), "12 s");
    assert_string_equal(cmd_format_age(119999, buf, sizeof(buf)), "119 s");
    assert_string_equal(cmd_format_age(120000, buf, sizeof(buf)), "2 min");
    assert_string_equal(cmd_format_age(INT64_C(3) * 3600 * 1000, buf, sizeof(buf)), "3 h");
    assert_string_equal(cmd_format_age(INT64_C(50) * 3600 * 1000, buf, sizeof(buf)), "2 d");
}

static void test_apply_source_end(void **state)
{
    (void)state;
    store_status row = {.position = 100, .source_end = 90, .lag_records = 0,
                        .lag_seconds = 4.5};
    status_apply_source_end(&row, 130);
    assert_int_equal(row.source_end, 130);
    assert_int_equal(row.lag_records, 30);
    assert_true(row.lag_seconds == 4.5); /* unknown from offsets alone: kept */
    status_apply_source_end(&row, 100);
    assert_int_equal(row.lag_records, 0);
    assert_true(row.lag_seconds == 0);
    status_apply_source_end(&row, 80); /* a source that lost data: never negative */
    assert_int_equal(row.lag_records, 0);
}

static void test_unreachable_errors(void **state)
{
    (void)state;
    assert_true(cmd_unreachable(KC_ERR_TRANSPORT));
    assert_true(cmd_unreachable(KC_ERR_TIMED_OUT));
    assert_true(cmd_unreachable(KC_ERR_RESOLVE));
    assert_false(cmd_unreachable(KC_OK));
    assert_false(cmd_unreachable(KC_ERR_UNSUPPORTED));
    assert_false(cmd_unreachable(KAFKA_GROUP_AUTHORIZATION_FAILED));
}

/* ---- the commands end to end (no cluster reachable) ----------------------------------------------------- */

typedef struct fixture {
    db_fixture store;  /* the offset store's directory and path */
    char config[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f || !db_fixture_make(&f->store, "test_mirror_commands")) {
        free(f);
        return -1;
    }
    snprintf(f->config, sizeof(f->config), "%s/mirror.yaml", f->store.dir);
    FILE *c = fopen(f->config, "w");
    if (!c)
        return -1;
    /* Port 1 on loopback: connections are refused at once. */
    fprintf(c, "mirror:\n"
               "  database: %s\n"
               "  metrics.port: 0\n"
               "clusters:\n"
               "  east:\n"
               "    bootstrap.servers: 127.0.0.1:1\n"
               "  west:\n"
               "    bootstrap.servers: 127.0.0.1:1\n"
               "flows:\n"
               "  - source: east\n"
               "    target: west\n"
               "    naming: prefix\n",
            f->store.path);
    fclose(c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->config);
    db_fixture_remove(&f->store);
    free(f);
    return 0;
}

#define FLOW "east->west"

/* Mirrored: orders[0] source 0..9 -> target 100..109 and orders[2] 0..9
 * -> 0..9 (both at position 10); orders[1] nothing. Checkpoints taken 12 s
 * ago: g1 at orders[0] 5, orders[1] 7, orders[2] 12 (beyond the position:
 * capped, 2 unmirrored) and __consumer_offsets[0] (never mirrored); g2 at
 * orders[0] 3. */
static void fill_store(const fixture *f)
{
    offset_store *s = NULL;
    char err[256] = "";
    assert_int_equal(offset_store_open(&s, f->store.path, err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_begin(s, err, sizeof(err)), ST_OK);
    store_key k0 = {FLOW, "orders", 0};
    for (int64_t o = 0; o < 10; o++)
        assert_int_equal(offset_store_record(s, &k0, o, o + 100, err, sizeof(err)), ST_OK);
    store_key k2 = {FLOW, "orders", 2};
    for (int64_t o = 0; o < 10; o++)
        assert_int_equal(offset_store_record(s, &k2, o, o, err, sizeof(err)), ST_OK);
    int64_t taken = cmd_now_ms() - 12000;
    store_checkpoint cps[] = {
        {"g1", "orders", 0, 5, 105, "", taken},
        {"g1", "orders", 1, 7, 0, "", taken},   /* nothing mirrored for orders[1] */
        {"g1", "orders", 2, 12, 10, "", taken}, /* beyond the position 10 */
        {"g2", "orders", 0, 3, 103, "", taken},
        {"g1", "__consumer_offsets", 0, 9, 9, "", taken}, /* not mirrored: left out */
    };
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++)
        assert_int_equal(offset_store_put_checkpoint(s, FLOW, &cps[i], err, sizeof(err)), ST_OK);
    assert_int_equal(offset_store_commit(s, err, sizeof(err)), ST_OK);
    offset_store_close(s);
}

typedef struct output {
    int rc;
    char out[8192];
    char err[8192];
} output;

static void slurp(FILE *f, char *buf, size_t len)
{
    rewind(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs a command with stdout and stderr captured. */
static void run(output *o, int (*cmd)(int, char **, const st_logger *), int argc, char **argv)
{
    st_logger quiet = {.level = ST_LOG_ERROR + 1, .out = NULL};
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    o->rc = cmd(argc, argv, &quiet);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    slurp(out, o->out, sizeof(o->out));
    slurp(err, o->err, sizeof(o->err));
}

static void expect_in(const char *text, const char *want)
{
    if (!strstr(text, want))
        fail_msg("'%s' not found in:\n%s", want, text);
}

static void test_usage_errors_exit_2(void **state)
{
    (void)state;
    output o;
    char *argv[] = {"failover", "--config", "x.yaml", "--bogus"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_USAGE);
    expect_in(o.err, "unknown flag --bogus");
    expect_in(o.err, "Usage: strait-mirror failover");
    assert_string_equal(o.out, "");

    char *status[] = {"status", "--config"};
    run(&o, mirror_cmd_status, ARGC(status), status);
    assert_int_equal(o.rc, MIRROR_CMD_USAGE);
    expect_in(o.err, "flag --config needs a value");
    expect_in(o.err, "Usage: strait-mirror status");

    char *help[] = {"status", "--help"};
    run(&o, mirror_cmd_status, ARGC(help), help);
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    expect_in(o.out, "Usage: strait-mirror status");
}

static void test_failover_unknown_flow(void **state)
{
    fixture *f = *state;
    output o;
    char *argv[] = {"failover", "--config", f->config, "--source", "west", "--target", "east",
                    "--group", "g1"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_FAILED);
    expect_in(o.err, "no flow from source 'west' to target 'east'");
    char *cluster[] = {"failover", "--config", f->config, "--source", "north", "--target",
                       "west", "--group", "g1"};
    run(&o, mirror_cmd_failover, ARGC(cluster), cluster);
    assert_int_equal(o.rc, MIRROR_CMD_FAILED);
    expect_in(o.err, "no cluster named 'north'");
}

static void test_failover_without_store(void **state)
{
    fixture *f = *state;
    output o;
    char *argv[] = {"failover", "--config", f->config, "--source", "east", "--target", "west",
                    "--group", "g1", "--timeout-ms", "200"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_FAILED);
    expect_in(o.err, "does not exist");
    assert_int_equal(access(f->store.path, F_OK), -1); /* not created by the command */
}

static void test_failover_dry_run_from_checkpoint(void **state)
{
    fixture *f = *state;
    fill_store(f);
    output o;
    char *argv[] = {"failover", "--config", f->config, "--source", "east", "--target", "west",
                    "--group", "g1", "--timeout-ms", "300"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    /* Taken 12 s before; the failed connects add a little. */
    expect_in(o.err, "source east unreachable: using the checkpoint taken 1");
    expect_in(o.err, " s ago for group g1\n");
    expect_in(o.err, "target west unreachable");
    expect_in(o.err, "dry run: nothing was committed");
    expect_in(o.err, "orders [1]: no translation");
    assert_string_equal(
        o.out,
        "GROUP TOPIC  PARTITION SOURCE-OFFSET ORIGIN     TARGET-TOPIC TARGET-OFFSET TARGET-END "
        "LAG UNMIRRORED\n"
        "g1    orders 0         5             checkpoint east.orders  105           -          "
        "-   0\n"
        "g1    orders 1         7             checkpoint east.orders  -             -          "
        "-   -\n"
        "g1    orders 2         12            checkpoint east.orders  10            -          "
        "-   2\n");
}

static void test_failover_all_groups_from_checkpoints(void **state)
{
    fixture *f = *state;
    fill_store(f);
    output o;
    char *argv[] = {"failover", "--config", f->config, "--source", "east", "--target", "west",
                    "--all-groups", "--timeout-ms", "300"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    expect_in(o.out, "g1    orders 0");
    expect_in(o.out, "\n\nGROUP"); /* a second table, for g2 */
    expect_in(o.out, "g2    orders 0         3             checkpoint east.orders  103");
}

static void test_failover_execute_needs_target(void **state)
{
    fixture *f = *state;
    fill_store(f);
    output o;
    char *argv[] = {"failover", "--config", f->config, "--source", "east", "--target", "west",
                    "--group", "g1", "--execute", "--timeout-ms", "300"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_FAILED);
    expect_in(o.err, "target west unreachable");
    expect_in(o.err, "nothing was committed");
    assert_string_equal(o.out, "");
}

static void test_failover_group_without_checkpoint(void **state)
{
    fixture *f = *state;
    fill_store(f);
    output o;
    char *argv[] = {"failover", "--config", f->config, "--source", "east", "--target", "west",
                    "--group", "nobody", "--timeout-ms", "300"};
    run(&o, mirror_cmd_failover, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_FAILED);
    expect_in(o.err, "no checkpoint for this group");
}

static void test_status_empty_and_rows(void **state)
{
    fixture *f = *state;
    output o;
    char *argv[] = {"status", "--config", f->config};
    run(&o, mirror_cmd_status, ARGC(argv), argv); /* no database file yet */
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    expect_in(o.out, "no status yet (is strait-mirror running with this config?)");
    assert_int_equal(access(f->store.path, F_OK), -1);

    fill_store(f); /* a store with no status rows */
    run(&o, mirror_cmd_status, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    assert_string_equal(o.out, "no status yet (is strait-mirror running with this config?)\n");

    offset_store *s = NULL;
    char err[256] = "";
    assert_int_equal(offset_store_open(&s, f->store.path, err, sizeof(err)), ST_OK);
    store_status row = {.flow = FLOW, .topic = "orders", .partition = 0,
                        .target_topic = "east.orders", .position = 10, .source_end = 25,
                        .target_end = 10, .lag_records = 15, .lag_seconds = 1.5, .records = 10,
                        .bytes = 100, .errors = 1, .last_error = "boom",
                        .updated_ms = cmd_now_ms() - 5500};
    assert_int_equal(offset_store_put_status(s, &row, err, sizeof(err)), ST_OK);
    offset_store_close(s);
    run(&o, mirror_cmd_status, ARGC(argv), argv);
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    expect_in(o.out, "FLOW       TOPIC  PARTITION TARGET-TOPIC REPLICATED-OFFSET");
    expect_in(o.out, "east->west orders 0         east.orders  10                25         15 ");
    expect_in(o.out, " boom ");
    expect_in(o.out, " 5 s ago\n");

    /* --live with the source down: the stored values stay, with a warning. */
    char *live[] = {"status", "--config", f->config, "--live", "--timeout-ms", "300"};
    run(&o, mirror_cmd_status, ARGC(live), live);
    assert_int_equal(o.rc, MIRROR_CMD_OK);
    expect_in(o.err, "source east unreachable");
    expect_in(o.out, "east->west orders 0         east.orders  10                25         15 ");

    char *bad_flow[] = {"status", "--config", f->config, "--flow", "west->east"};
    run(&o, mirror_cmd_status, ARGC(bad_flow), bad_flow);
    assert_int_equal(o.rc, MIRROR_CMD_FAILED);
    expect_in(o.err, "no flow named 'west->east'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_defaults_and_groups),
        cmocka_unit_test(test_failover_execute_all_groups_timeout),
        cmocka_unit_test(test_failover_flag_errors),
        cmocka_unit_test(test_failover_help),
        cmocka_unit_test(test_status_flags),
        cmocka_unit_test(test_table_aligns_columns),
        cmocka_unit_test(test_failover_table),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_format_age),
        cmocka_unit_test(test_apply_source_end),
        cmocka_unit_test(test_unreachable_errors),
        cmocka_unit_test(test_usage_errors_exit_2),
        cmocka_unit_test_setup_teardown(test_failover_unknown_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_without_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_dry_run_from_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_all_groups_from_checkpoints, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failover_execute_needs_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover_group_without_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_empty_and_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
