/* test_log_index.c — the pieces under the partition log: the offset and time
 * indexes (format, lookups, checks of untrusted files), the leader epoch
 * cache (Kafka's semantics, checkpoint text) and segment file names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/leader_epoch_cache.h"
#include "broker/offset_index.h"
#include "broker/segment.h"
#include "broker/time_index.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/strait-index-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/00000000000000000100.index", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_bytes(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static size_t read_bytes(const char *path, uint8_t *p, size_t cap)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, p, cap);
    assert_true(n >= 0);
    close(fd);
    return (size_t)n;
}

/* ---- Offset index */

static void test_offset_index_format_and_lookup(void **state)
{
    fixture *f = *state;
    st_offset_index ix;
    bool existed, ok;
    assert_int_equal(st_offset_index_open(&ix, f->path, 100, 1024, &existed), ST_OK);
    assert_false(existed);
    assert_int_equal(st_offset_index_append(&ix, 110, 400), ST_OK);
    assert_int_equal(st_offset_index_append(&ix, 120, 900), ST_OK);
    assert_int_equal(st_offset_index_append(&ix, 135, 1500), ST_OK);
    assert_int_equal(st_offset_index_append(&ix, 135, 1600), ST_ERR_MALFORMED); /* not after */
    assert_int_equal(st_offset_index_append(&ix, 140, 1500), ST_ERR_MALFORMED);
    assert_int_equal(st_offset_index_append(&ix, 99, 2000), ST_ERR_MALFORMED); /* below base */
    int64_t off, pos;
    st_offset_index_lookup(&ix, 105, &off, &pos);
    assert_int_equal(off, 100);
    assert_int_equal(pos, 0);
    st_offset_index_lookup(&ix, 120, &off, &pos);
    assert_int_equal(off, 120);
    assert_int_equal(pos, 900);
    st_offset_index_lookup(&ix, 134, &off, &pos);
    assert_int_equal(pos, 900);
    st_offset_index_lookup(&ix, 1 << 30, &off, &pos);
    assert_int_equal(pos, 1500);
    assert_true(st_offset_index_floor(&ix, 1499, 1000, &off, &pos));
    assert_int_equal(pos, 900);
    assert_true(st_offset_index_floor(&ix, 5000, 125, &off, &pos));
    assert_int_equal(off, 120);
    assert_false(st_offset_index_floor(&ix, 399, 1000, &off, &pos));
    st_offset_index_close(&ix);

    /* On disk: Kafka's big-endian (relative offset, position) pairs. */
    uint8_t disk[64];
    assert_int_equal(read_bytes(f->path, disk, sizeof(disk)), 24);
    static const uint8_t want[24] = {0, 0, 0, 10, 0, 0, 1, 144, 0, 0, 0, 20, 0, 0, 3, 132,
                                     0, 0, 0, 35, 0, 0, 5, 220};
    assert_memory_equal(disk, want, 24);

    assert_int_equal(st_offset_index_open(&ix, f->path, 100, 1024, &existed), ST_OK);
    assert_true(existed);
    assert_int_equal(st_offset_index_load(&ix, 2000, INT32_MAX, &ok), ST_OK);
    assert_true(ok);
    assert_int_equal(ix.count, 3);
    /* Truncation drops entries at or above an offset, in the file too. */
    assert_int_equal(st_offset_index_truncate(&ix, 120), ST_OK);
    assert_int_equal(ix.count, 1);
    st_offset_index_close(&ix);
    assert_int_equal(read_bytes(f->path, disk, sizeof(disk)), 8);
}

static void test_offset_index_rejects_bad_files(void **state)
{
    fixture *f = *state;
    st_offset_index ix;
    bool existed, ok;
    static const uint8_t good[16] = {0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 0, 20, 0, 0, 2, 0};
    struct {
        const uint8_t *bytes;
        size_t n;
        int64_t log_size;
        int64_t max_rel;
        bool ok;
    } cases[] = {
        {good, 16, 1000, INT32_MAX, true},
        {good, 15, 1000, INT32_MAX, false},      /* torn entry */
        {good, 16, 512, INT32_MAX, false},       /* position past the log */
        {good, 16, 1000, 15, false},             /* offset past the next segment */
        {good + 8, 8, 1000, INT32_MAX, true},
        {(const uint8_t[]){0, 0, 0, 20, 0, 0, 2, 0, 0, 0, 0, 10, 0, 0, 3, 0}, 16, 1000, INT32_MAX,
         false},                                 /* offsets backwards */
        {(const uint8_t[]){0, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0, 20, 0, 0, 1, 0}, 16, 1000, INT32_MAX,
         false},                                 /* positions backwards */
        {(const uint8_t[]){0xff, 0, 0, 10, 0, 0, 2, 0}, 8, 1000, INT32_MAX, false}, /* negative */
        {good, 16, 60, INT32_MAX, false},        /* more entries than batches could fit */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_bytes(f->path, cases[i].bytes, cases[i].n);
        assert_int_equal(st_offset_index_open(&ix, f->path, 100, 1024, &existed), ST_OK);
        assert_int_equal(st_offset_index_load(&ix, cases[i].log_size, cases[i].max_rel, &ok), ST_OK);
        if (ok != cases[i].ok)
            fail_msg("case %zu: consistent=%d", i, ok);
        if (!ok)
            assert_int_equal(ix.count, 0);
        st_offset_index_close(&ix);
    }
}

static void test_offset_index_full(void **state)
{
    fixture *f = *state;
    st_offset_index ix;
    bool existed;
    assert_int_equal(st_offset_index_open(&ix, f->path, 0, 20, &existed), ST_OK); /* 2 entries */
    assert_int_equal(st_offset_index_append(&ix, 1, 100), ST_OK);
    assert_false(st_offset_index_full(&ix));
    assert_int_equal(st_offset_index_append(&ix, 2, 200), ST_OK);
    assert_true(st_offset_index_full(&ix));
    assert_int_equal(st_offset_index_append(&ix, 3, 300), ST_ERR_TOO_LARGE);
    st_offset_index_close(&ix);
}

/* ---- Time index */

static void test_time_index(void **state)
{
    fixture *f = *state;
    st_time_index ix;
    bool existed, ok;
    assert_int_equal(st_time_index_open(&ix, f->path, 100, 36, &existed), ST_OK); /* 3 entries */
    assert_int_equal(st_time_index_append(&ix, 1000, 100, false), ST_OK);
    assert_int_equal(st_time_index_append(&ix, 1000, 105, false), ST_OK); /* not newer: skipped */
    assert_int_equal(st_time_index_append(&ix, 900, 106, false), ST_OK);  /* older: skipped */
    assert_int_equal(st_time_index_append(&ix, 2000, 110, false), ST_OK);
    assert_int_equal(st_time_index_append(&ix, 3000, 120, false), ST_OK);
    assert_int_equal(ix.count, 3);
    assert_int_equal(st_time_index_append(&ix, 4000, 130, false), ST_ERR_TOO_LARGE);
    assert_int_equal(st_time_index_append(&ix, 4000, 130, true), ST_OK); /* the final entry */
    /* Lookup: the last entry strictly older than the target. */
    assert_int_equal(st_time_index_lookup(&ix, 500), 100);
    assert_int_equal(st_time_index_lookup(&ix, 1000), 100);
    assert_int_equal(st_time_index_lookup(&ix, 1001), 100);
    assert_int_equal(st_time_index_lookup(&ix, 2000), 100);
    assert_int_equal(st_time_index_lookup(&ix, 2001), 110);
    assert_int_equal(st_time_index_lookup(&ix, 99999), 130);
    int64_t ts, off;
    assert_true(st_time_index_last(&ix, &ts, &off));
    assert_int_equal(ts, 4000);
    assert_int_equal(off, 130);
    st_time_index_close(&ix);

    uint8_t disk[64];
    assert_int_equal(read_bytes(f->path, disk, sizeof(disk)), 48);
    static const uint8_t first[12] = {0, 0, 0, 0, 0, 0, 3, 232, 0, 0, 0, 0};
    assert_memory_equal(disk, first, 12);

    assert_int_equal(st_time_index_open(&ix, f->path, 100, 36, &existed), ST_OK);
    assert_int_equal(st_time_index_load(&ix, INT32_MAX, 100, &ok), ST_OK);
    assert_true(ok);
    assert_int_equal(st_time_index_truncate(&ix, 115), ST_OK);
    assert_int_equal(ix.count, 2);
    st_time_index_close(&ix);
    assert_int_equal(read_bytes(f->path, disk, sizeof(disk)), 24);

    /* Untrusted: odd size, timestamps going backwards, too many entries. */
    uint8_t bad[24];
    memcpy(bad, disk, 24);
    bad[7] = 0xff, bad[6] = 0xff; /* first timestamp above the second */
    const struct {
        const uint8_t *p;
        size_t n;
        int64_t max_count;
    } cases[] = {{disk, 23, 100}, {bad, 24, 100}, {disk, 24, 1}};
    for (size_t i = 0; i < 3; i++) {
        write_bytes(f->path, cases[i].p, cases[i].n);
        assert_int_equal(st_time_index_open(&ix, f->path, 100, 36, &existed), ST_OK);
        assert_int_equal(st_time_index_load(&ix, INT32_MAX, cases[i].max_count, &ok), ST_OK);
        assert_false(ok);
        st_time_index_close(&ix);
    }
}

/* ---- Leader epoch cache (Kafka's LeaderEpochFileCache behaviour) */

static void expect_entries(const st_epoch_cache *c, const st_epoch_entry *want, size_t n)
{
    assert_int_equal(c->count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(c->entries[i].epoch, want[i].epoch);
        assert_int_equal(c->entries[i].start_offset, want[i].start_offset);
    }
}

static void test_epoch_cache_assign(void **state)
{
    (void)state;
    st_epoch_cache c;
    st_epoch_cache_init(&c);
    bool changed;
    assert_int_equal(st_epoch_cache_assign(&c, 2, 6, &changed), ST_OK);
    assert_true(changed);
    assert_int_equal(st_epoch_cache_assign(&c, 2, 10, &changed), ST_OK); /* same epoch, later */
    assert_false(changed);
    assert_int_equal(st_epoch_cache_assign(&c, 3, 10, &changed), ST_OK);
    assert_int_equal(st_epoch_cache_assign(&c, -1, 12, &changed), ST_OK);
    assert_false(changed);
    expect_entries(&c, (st_epoch_entry[]){{2, 6}, {3, 10}}, 2);
    assert_int_equal(st_epoch_cache_latest(&c), 3);
    /* A lower epoch at a later offset wipes what contradicts it. */
    assert_int_equal(st_epoch_cache_assign(&c, 1, 11, &changed), ST_OK);
    assert_true(changed);
    expect_entries(&c, (st_epoch_entry[]){{1, 11}}, 1);
    /* The same epoch at an earlier offset moves its start. */
    assert_int_equal(st_epoch_cache_assign(&c, 1, 8, &changed), ST_OK);
    expect_entries(&c, (st_epoch_entry[]){{1, 8}}, 1);
    st_epoch_cache_free(&c);
}

static void test_epoch_cache_truncation_and_end_offsets(void **state)
{
    (void)state;
    st_epoch_cache c;
    st_epoch_cache_init(&c);
    bool changed;
    st_epoch_cache_assign(&c, 0, 0, &changed);
    st_epoch_cache_assign(&c, 2, 10, &changed);
    st_epoch_cache_assign(&c, 5, 20, &changed);
    int32_t e;
    int64_t o;
    struct {
        int32_t epoch, want_epoch;
        int64_t want_end;
    } cases[] = {{0, 0, 10}, {1, 0, 10}, {2, 2, 20}, {4, 2, 20}, {5, 5, 30}, {6, -1, -1}, {-1, -1, -1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        st_epoch_cache_end_offset_for(&c, cases[i].epoch, 30, &e, &o);
        assert_int_equal(e, cases[i].want_epoch);
        assert_int_equal(o, cases[i].want_end);
    }
    assert_false(st_epoch_cache_truncate_from_start(&c, 0));
    assert_true(st_epoch_cache_truncate_from_start(&c, 12));
    expect_entries(&c, (st_epoch_entry[]){{2, 12}, {5, 20}}, 2);
    st_epoch_cache_end_offset_for(&c, 1, 30, &e, &o); /* before every entry */
    assert_int_equal(e, 1);
    assert_int_equal(o, 12);
    assert_false(st_epoch_cache_truncate_from_end(&c, 21));
    assert_true(st_epoch_cache_truncate_from_end(&c, 20));
    expect_entries(&c, (st_epoch_entry[]){{2, 12}}, 1);
    assert_true(st_epoch_cache_truncate_from_start(&c, 40)); /* past every start */
    expect_entries(&c, (st_epoch_entry[]){{2, 40}}, 1);
    st_epoch_cache_clear(&c);
    st_epoch_cache_end_offset_for(&c, 2, 30, &e, &o);
    assert_int_equal(e, -1);
    assert_int_equal(o, -1);
    st_epoch_cache_free(&c);
}

static void test_epoch_cache_text(void **state)
{
    (void)state;
    st_epoch_cache c;
    st_epoch_cache_init(&c);
    bool changed;
    st_epoch_cache_assign(&c, 0, 0, &changed);
    st_epoch_cache_assign(&c, 7, 1234567890123, &changed);
    st_buf b;
    st_buf_init(&b);
    st_epoch_cache_encode(&c, &b);
    assert_int_equal(b.len, strlen("0\n2\n0 0\n7 1234567890123\n"));
    assert_memory_equal(b.data, "0\n2\n0 0\n7 1234567890123\n", b.len);
    st_epoch_cache d;
    st_epoch_cache_init(&d);
    assert_int_equal(st_epoch_cache_decode(&d, (const char *)b.data, b.len), ST_OK);
    expect_entries(&d, c.entries, 2);
    static const char *bad[] = {
        "", "1\n0\n", "0\n", "0\n1\n", "0\n1\n3 4", "0\n1\n3 4\n\n", "0\n2\n3 4\n3 5\n",
        "0\n2\n3 4\n4 4\n", "0\n1\n-1 4\n", "0\n1\n1 -4\n", "0\n1\n2147483648 4\n",
        "0\n1\n1 99999999999999999999\n", "0\n99999999\n1 1\n", "0\n1\n1  1\n", "0\n1\n1\t1\n",
        "0\n-1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (st_epoch_cache_decode(&d, bad[i], strlen(bad[i])) != ST_ERR_MALFORMED)
            fail_msg("accepted %zu: \"%s\"", i, bad[i]);
        assert_int_equal(d.count, 0);
    }
    /* Every truncation and byte flip of a good checkpoint: no crash. */
    for (size_t n = 0; n <= b.len; n++)
        st_epoch_cache_decode(&d, (const char *)b.data, n);
    for (size_t i = 0; i < b.len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b.data[i] ^= (uint8_t)(1 << bit);
            st_epoch_cache_decode(&d, (const char *)b.data, b.len);
            b.data[i] ^= (uint8_t)(1 << bit);
        }
    st_buf_free(&b);
    st_epoch_cache_free(&c);
    st_epoch_cache_free(&d);
}

/* ---- Segment names */

static void test_segment_file_names(void **state)
{
    (void)state;
    int64_t base;
    const char *ext;
    assert_true(st_segment_parse_file_name("00000000000000000000.log", &base, &ext));
    assert_int_equal(base, 0);
    assert_string_equal(ext, "log");
    assert_true(st_segment_parse_file_name("00000000000001234567.timeindex", &base, &ext));
    assert_int_equal(base, 1234567);
    assert_true(st_segment_parse_file_name("09223372036854775807.index", &base, &ext));
    assert_int_equal(base, INT64_MAX);
    assert_false(st_segment_parse_file_name("09223372036854775808.log", &base, &ext));
    assert_false(st_segment_parse_file_name("0000000000000000000.log", &base, &ext));
    assert_false(st_segment_parse_file_name("000000000000000000000.log", &base, &ext));
    assert_false(st_segment_parse_file_name("0000000000000000000x.log", &base, &ext));
    assert_false(st_segment_parse_file_name("leader-epoch-checkpoint", &base, &ext));
    assert_false(st_segment_parse_file_name("", &base, &ext));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offset_index_format_and_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offset_index_rejects_bad_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offset_index_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_index, setup, teardown),
        cmocka_unit_test(test_epoch_cache_assign),
        cmocka_unit_test(test_epoch_cache_truncation_and_end_offsets),
        cmocka_unit_test(test_epoch_cache_text),
        cmocka_unit_test(test_segment_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
