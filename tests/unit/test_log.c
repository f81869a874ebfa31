/* test_log.c — the partition log (broker/log.c, segment.c, the indexes):
 * appends and fetch ranges, rolling, clean and unclean reopening, torn and
 * corrupt tails, index rebuilds, timestamp lookups, retention, DeleteRecords,
 * truncation, leader epochs, ranges that outlive their segment's files. Each
 * test works in its own mkdtemp directory and removes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log.h"
#include "common/record_batch.h"
#include "tests/unit/log_fixture.h"

/* ---- Fixture: a temporary root holding the partition directory */

typedef log_fixture fixture;

static int setup(void **state)
{
    return log_fixture_setup(state, "log");
}

static int teardown(void **state)
{
    return log_fixture_teardown(state);
}

/* ---- Helpers */

static st_log_config small_config(void)
{
    st_log_config c = st_log_config_default();
    c.segment_bytes = 64 * 1024;
    c.index_interval_bytes = 256;
    c.retention_ms = -1;
    return c;
}

/* One batch of n records: timestamps base_ts + deltas[i] (or + i), values
 * that name their record. */
static void build_batch(st_buf *out, int n, int64_t base_ts, const int64_t *deltas, int codec,
                        size_t value_size)
{
    st_batch_builder b;
    st_batch_builder_init(&b);
    uint8_t *value = malloc(value_size + 16);
    assert_non_null(value);
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < value_size; k++)
            value[k] = (uint8_t)(k * 7 + (size_t)i * 13 + (size_t)base_ts);
        st_record_fields rec = {
            .offset_delta = i,
            .timestamp_delta = deltas ? deltas[i] : i,
            .key = ST_SLICE_NULL,
            .value = st_slice_from(value, value_size),
        };
        assert_int_equal(st_batch_builder_add(&b, &rec), ST_OK);
    }
    st_batch_params p = st_batch_params_default();
    p.base_timestamp = base_ts;
    p.codec = codec;
    assert_int_equal(st_batch_builder_finish(&b, &p, out), ST_OK);
    st_batch_builder_free(&b);
    free(value);
}

static st_log_append_opts leader_opts(int64_t now, int32_t epoch)
{
    return (st_log_append_opts){.now_ms = now, .assign_offsets = true, .leader_epoch = epoch};
}

/* Appends one batch; returns its size in bytes. */
static size_t append_batch(st_log *log, int n, int64_t base_ts, const int64_t *deltas, int codec,
                           size_t value_size, st_log_append_result *res)
{
    st_buf b;
    st_buf_init(&b);
    build_batch(&b, n, base_ts, deltas, codec, value_size);
    st_log_append_opts o = leader_opts(base_ts, 0);
    st_log_append_result r;
    st_err err = st_log_append(log, b.data, b.len, &o, res ? res : &r);
    if (err)
        fail_msg("append: %s (%s)", st_err_name(err), st_log_last_error(log));
    size_t len = b.len;
    st_buf_free(&b);
    return len;
}

/* Appends count batches of n records each, timestamps T0 + 10 * batch. */
static void append_many(st_log *log, int count, int n, size_t value_size)
{
    int64_t start = st_log_end_offset(log);
    for (int i = 0; i < count; i++)
        append_batch(log, n, T0 + 10 * (start + i), NULL, ST_CODEC_NONE, value_size, NULL);
}

/* The bytes of a range. */
static uint8_t *range_bytes(const st_log_range *r)
{
    uint8_t *p = malloc((size_t)r->length + 1);
    assert_non_null(p);
    assert_int_equal(st_log_range_pread(r, p, (size_t)r->length, 0), ST_OK);
    return p;
}

/* Walks a range's batches (CRC checked): count, first base, last offset. */
static int range_batches(const st_log_range *r, int64_t *first, int64_t *last)
{
    uint8_t *p = range_bytes(r);
    st_batch_iter it;
    st_batch_iter_init(&it, p, (size_t)r->length, true);
    st_batch b;
    int n = 0;
    *first = *last = -1;
    while (st_batch_iter_next(&it, &b) == ST_BATCH_OK) {
        if (n == 0)
            *first = b.header.base_offset;
        else
            assert_int_equal(b.header.base_offset, *last + 1);
        *last = st_batch_last_offset(&b.header);
        n++;
    }
    assert_int_equal(st_batch_iter_offset(&it), (size_t)r->length);
    free(p);
    return n;
}

/* The batches of the log, from st_log_scan_batches. */
typedef struct batch_list {
    int64_t base[4096];
    int64_t last[4096];
    int n;
} batch_list;

static st_err collect_batch(void *ctx, const st_batch_header *h, const st_batch *control)
{
    (void)control;
    batch_list *l = ctx;
    assert_true(l->n < 4096);
    if (l->n)
        assert_true(h->base_offset > l->last[l->n - 1]);
    l->base[l->n] = h->base_offset;
    l->last[l->n] = st_batch_last_offset(h);
    l->n++;
    return ST_OK;
}

/* Every offset of the log reads as the first batch ending at or after it
 * (the batch holding it, or the next one after a gap), and the log ends
 * with its last batch. contiguous: no gaps at all. */
static void check_log(st_log *log, bool contiguous)
{
    int64_t start = st_log_start_offset(log), end = st_log_end_offset(log);
    batch_list *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    assert_int_equal(st_log_scan_batches(log, start, collect_batch, l), ST_OK);
    if (l->n && contiguous)
        assert_int_equal(l->last[l->n - 1] + 1, end);
    if (l->n)
        assert_true(l->last[l->n - 1] < end);
    int k = 0;
    for (int64_t o = start; o < end; o++) {
        while (k < l->n && l->last[k] < o)
            k++;
        if (contiguous)
            assert_true(k < l->n && l->base[k] <= o);
        st_log_range r;
        st_err err = st_log_read(log, o, INT64_MAX, 1, true, &r);
        if (err)
            fail_msg("read %" PRId64 ": %s (%s)", o, st_err_name(err), st_log_last_error(log));
        if (k == l->n) { /* a gap at the end (an empty active segment after lost data) */
            assert_int_equal(r.length, 0);
            st_log_range_release(&r);
            continue;
        }
        int64_t first, last;
        assert_int_equal(range_batches(&r, &first, &last), 1);
        if (first != l->base[k] || last != l->last[k])
            fail_msg("offset %" PRId64 " in [%" PRId64 ", %" PRId64 ") read batch %" PRId64 "..%" PRId64
                     ", want %" PRId64 "..%" PRId64, o, start, end, first, last, l->base[k], l->last[k]);
        st_log_range_release(&r);
    }
    st_log_range r;
    assert_int_equal(st_log_read(log, end, INT64_MAX, 1 << 20, true, &r), ST_OK);
    assert_int_equal(r.length, 0);
    st_log_range_release(&r);
    free(l);
}

static void check_every_offset(st_log *log)
{
    check_log(log, true);
}

/* Every read from `from` (stepping) for a sweep of max_bytes and
 * max_offset returns whole batches that start at the batch holding from,
 * end below max_offset, fit max_bytes (or are one batch), and are maximal:
 * the next batch is in another segment, reaches max_offset, or would not
 * fit. */
static void check_ranges(st_log *log, int step)
{
    int64_t start = st_log_start_offset(log), end = st_log_end_offset(log);
    const int64_t max_offsets[] = {INT64_MAX, end - 1, (start + end) / 2};
    for (int64_t from = start; from < end; from += step)
        for (int32_t mb = 1; mb < 3000; mb += 53)
            for (int m = 0; m < 3; m++) {
                int64_t max_offset = max_offsets[m];
                st_log_range r;
                assert_int_equal(st_log_read(log, from, max_offset, mb, true, &r), ST_OK);
                if (r.length == 0) { /* only when the batch holding from reaches max_offset */
                    st_log_range one;
                    assert_int_equal(st_log_read(log, from, INT64_MAX, 1, true, &one), ST_OK);
                    int64_t f1, l1;
                    range_batches(&one, &f1, &l1);
                    assert_true(l1 >= max_offset);
                    st_log_range_release(&one);
                    st_log_range_release(&r);
                    continue;
                }
                int64_t first, last;
                int n = range_batches(&r, &first, &last);
                assert_true(first <= from && from <= last);
                assert_true(last < max_offset);
                assert_true(r.length <= mb || n == 1);
                if (last + 1 < end) {
                    st_log_range next;
                    assert_int_equal(st_log_read(log, last + 1, INT64_MAX, 1, true, &next), ST_OK);
                    int64_t f2, l2;
                    range_batches(&next, &f2, &l2);
                    if (next.segment == r.segment && next.position == r.position + r.length)
                        assert_true(l2 >= max_offset || r.length + next.length > mb);
                    st_log_range_release(&next);
                }
                st_log_range_release(&r);
            }
}

/* The whole log as bytes (every range from the start, concatenated). */
static st_buf whole_log(st_log *log)
{
    st_buf out;
    st_buf_init(&out);
    int64_t o = st_log_start_offset(log);
    while (o < st_log_end_offset(log)) {
        st_log_range r;
        assert_int_equal(st_log_read(log, o, INT64_MAX, 1 << 20, true, &r), ST_OK);
        assert_true(r.length > 0);
        uint8_t *p = range_bytes(&r);
        st_buf_append(&out, p, (size_t)r.length);
        int64_t first, last;
        range_batches(&r, &first, &last);
        o = last + 1;
        free(p);
        st_log_range_release(&r);
    }
    return out;
}

static void segment_file(const char *dir, int64_t base, const char *ext, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%020" PRId64 ".%s", dir, base, ext);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_size;
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void write_file(const char *path, const void *data, size_t n, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void flip_byte(const char *path, int64_t pos)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, pos), 1);
    b ^= 0x5a;
    assert_int_equal(pwrite(fd, &b, 1, pos), 1);
    close(fd);
}

static char *read_text(const char *path)
{
    static char buf[4096];
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* Copies every file of src into dst: a crash image of an open log. */
static void copy_dir(const char *src, const char *dst)
{
    mkdir(dst, 0755);
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char from[512], to[512];
        snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
        snprintf(to, sizeof(to), "%s/%s", dst, e->d_name);
        int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(in >= 0 && out >= 0);
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof(buf))) > 0)
            assert_int_equal(write(out, buf, (size_t)n), n);
        close(in);
        close(out);
    }
    closedir(d);
}

/* ---- Append and read */

static void test_append_assigns_offsets_and_reads_back(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    assert_int_equal(st_log_end_offset(log), 0);
    size_t size[10];
    for (int i = 0; i < 10; i++) {
        st_log_append_result res;
        size[i] = append_batch(log, 3, T0 + i, NULL, ST_CODEC_NONE, 20, &res);
        assert_int_equal(res.first_offset, 3 * i);
        assert_int_equal(res.last_offset, 3 * i + 2);
        assert_int_equal(res.log_append_time, -1);
        assert_int_equal(res.max_timestamp, T0 + i + 2);
        assert_int_equal(res.records, 3);
        assert_false(res.rolled);
    }
    assert_int_equal(st_log_end_offset(log), 30);
    int64_t first, last;
    st_log_range r;

    /* Everything, from the start. */
    assert_int_equal(st_log_read(log, 0, INT64_MAX, 1 << 20, false, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 10);
    assert_int_equal(first, 0);
    assert_int_equal(last, 29);
    assert_int_equal(r.position, 0);
    st_log_range_release(&r);

    /* From inside a batch: starts at that batch. */
    assert_int_equal(st_log_read(log, 4, INT64_MAX, 1 << 20, false, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 9);
    assert_int_equal(first, 3);
    assert_int_equal(r.first_offset, 3);
    assert_int_equal(r.position, (int64_t)size[0]);
    st_log_range_release(&r);

    /* max_bytes: two whole batches fit exactly, one byte less gives one. */
    assert_int_equal(st_log_read(log, 6, INT64_MAX, (int32_t)(size[2] + size[3]), false, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 2);
    assert_int_equal(last, 11);
    st_log_range_release(&r);
    assert_int_equal(st_log_read(log, 6, INT64_MAX, (int32_t)(size[2] + size[3] - 1), false, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 1);
    st_log_range_release(&r);

    /* KIP-74: a first batch larger than max_bytes only with min_one_batch. */
    assert_int_equal(st_log_read(log, 6, INT64_MAX, 10, false, &r), ST_OK);
    assert_int_equal(r.length, 0);
    st_log_range_release(&r);
    assert_int_equal(st_log_read(log, 6, INT64_MAX, 10, true, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 1);
    assert_int_equal(first, 6);
    st_log_range_release(&r);

    /* max_offset: batches ending at or above it stay out. */
    assert_int_equal(st_log_read(log, 0, 12, 1 << 20, true, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 4);
    assert_int_equal(last, 11);
    st_log_range_release(&r);
    assert_int_equal(st_log_read(log, 0, 13, 1 << 20, true, &r), ST_OK);
    assert_int_equal(range_batches(&r, &first, &last), 4); /* batch 12..14 straddles */
    st_log_range_release(&r);
    assert_int_equal(st_log_read(log, 12, 12, 1 << 20, true, &r), ST_OK);
    assert_int_equal(r.length, 0);
    st_log_range_release(&r);

    /* The end gives nothing; past it is out of range. */
    assert_int_equal(st_log_read(log, 30, INT64_MAX, 1 << 20, true, &r), ST_OK);
    assert_int_equal(r.length, 0);
    assert_null(r.segment);
    st_log_range_release(&r);
    assert_int_equal(st_log_read(log, 31, INT64_MAX, 1 << 20, true, &r), ST_LOG_OUT_OF_RANGE);
    assert_int_equal(st_log_read(log, -1, INT64_MAX, 1 << 20, true, &r), ST_LOG_OUT_OF_RANGE);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_append_stamps_epoch_and_log_append_time(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    st_buf b;
    st_buf_init(&b);
    build_batch(&b, 4, T0, NULL, ST_CODEC_NONE, 8);
    build_batch(&b, 2, T0 + 100, NULL, ST_CODEC_ZSTD, 8);
    st_log_append_opts o = leader_opts(T0 + 5000, 7);
    o.log_append_time = true;
    st_log_append_result res;
    assert_int_equal(st_log_append(log, b.data, b.len, &o, &res), ST_OK);
    assert_int_equal(res.first_offset, 0);
    assert_int_equal(res.last_offset, 5);
    assert_int_equal(res.batches, 2);
    assert_int_equal(res.log_append_time, T0 + 5000);
    assert_int_equal(res.max_timestamp, T0 + 5000);
    st_log_range r;
    assert_int_equal(st_log_read(log, 0, INT64_MAX, 1 << 20, true, &r), ST_OK);
    uint8_t *p = range_bytes(&r);
    st_batch_iter it;
    st_batch_iter_init(&it, p, (size_t)r.length, true); /* the CRCs were recomputed */
    st_batch batch;
    int n = 0;
    while (st_batch_iter_next(&it, &batch) == ST_BATCH_OK) {
        assert_int_equal(batch.header.partition_leader_epoch, 7);
        assert_true(st_batch_has_log_append_time(&batch.header));
        assert_int_equal(batch.header.max_timestamp, T0 + 5000);
        n++;
    }
    assert_int_equal(n, 2);
    free(p);
    st_log_range_release(&r);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_offset_for_timestamp(log, T0 + 5000, &lk), ST_OK);
    assert_true(lk.found);
    assert_int_equal(lk.offset, 0);
    assert_int_equal(lk.leader_epoch, 7);
    assert_int_equal(st_log_latest_epoch(log), 7);

    /* Not whole batches: refused, nothing appended. */
    assert_int_equal(st_log_append(log, b.data, b.len - 1, &o, &res), ST_ERR_MALFORMED);
    /* A batch larger than segment.bytes. */
    cfg.segment_bytes = 100;
    assert_int_equal(st_log_set_config(log, &cfg), ST_OK);
    assert_int_equal(st_log_append(log, b.data, b.len, &o, &res), ST_ERR_TOO_LARGE);
    assert_int_equal(st_log_end_offset(log), 6);
    cfg.segment_bytes = 0;
    assert_int_equal(st_log_set_config(log, &cfg), ST_ERR_MALFORMED);
    st_buf_free(&b);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_follower_append_keeps_offsets(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    st_buf b;
    st_buf_init(&b);
    build_batch(&b, 3, T0, NULL, ST_CODEC_NONE, 8);
    st_batch_set_base_offset(b.data, 0);
    st_batch_set_partition_leader_epoch(b.data, 2);
    size_t one = b.len;
    build_batch(&b, 2, T0, NULL, ST_CODEC_NONE, 8);
    st_batch_set_base_offset(b.data + one, 3);
    st_batch_set_partition_leader_epoch(b.data + one, 4);
    st_log_append_opts o = {.now_ms = T0, .assign_offsets = false};
    st_log_append_result res;
    assert_int_equal(st_log_append(log, b.data, b.len, &o, &res), ST_OK);
    assert_int_equal(res.first_offset, 0);
    assert_int_equal(res.last_offset, 4);
    int32_t epoch;
    int64_t end;
    assert_int_equal(st_log_end_offset_for_epoch(log, 2, &epoch, &end), ST_OK);
    assert_int_equal(epoch, 2);
    assert_int_equal(end, 3);
    /* Offsets below the log end: refused. */
    assert_int_equal(st_log_append(log, b.data, one, &o, &res), ST_ERR_MALFORMED);
    assert_int_equal(st_log_end_offset(log), 5);
    st_buf_free(&b);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* ---- Rolling */

static void test_roll_by_size_names_segments(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    cfg.index_interval_bytes = 100;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    int rolls = 0;
    for (int i = 0; i < 120; i++) {
        st_log_append_result res;
        append_batch(log, 2, T0 + i, NULL, ST_CODEC_NONE, 60, &res);
        rolls += res.rolled;
        if (res.rolled)
            assert_true(res.flush_due);
    }
    assert_true(rolls >= 20);
    assert_int_equal(st_log_segment_count(log), rolls + 1);
    assert_int_equal(log_fixture_count_files(f->dir, ".log"), rolls + 1);
    assert_int_equal(log_fixture_count_files(f->dir, ".index"), rolls + 1);
    assert_int_equal(log_fixture_count_files(f->dir, ".timeindex"), rolls + 1);
    /* Every segment file is named by its first offset and stays <= 1000 bytes. */
    int64_t total = 0;
    for (int64_t o = 0; o < 240;) {
        st_log_range r;
        assert_int_equal(st_log_read(log, o, INT64_MAX, 1 << 20, true, &r), ST_OK);
        assert_int_equal(r.position, 0);
        char path[256];
        segment_file(f->dir, o, "log", path, sizeof(path));
        assert_int_equal(file_size(path), r.length);
        assert_true(r.length <= 1000);
        total += r.length;
        int64_t first, last;
        range_batches(&r, &first, &last);
        o = last + 1;
        st_log_range_release(&r);
    }
    assert_int_equal(total, st_log_size_bytes(log));
    check_every_offset(log);
    check_ranges(log, 5);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_roll_by_time_and_full_index(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_ms = 1000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    st_log_append_result res;
    append_batch(log, 1, T0, NULL, ST_CODEC_NONE, 10, &res);
    append_batch(log, 1, T0 + 1000, NULL, ST_CODEC_NONE, 10, &res);
    assert_false(res.rolled); /* exactly segment.ms: not yet */
    append_batch(log, 1, T0 + 1001, NULL, ST_CODEC_NONE, 10, &res);
    assert_true(res.rolled);
    assert_int_equal(st_log_active_segment_base(log), 2);
    /* A full index rolls too: room for one entry, an entry every batch. */
    cfg.segment_ms = INT64_MAX;
    cfg.segment_index_bytes = 12;
    cfg.index_interval_bytes = 0;
    assert_int_equal(st_log_set_config(log, &cfg), ST_OK);
    append_batch(log, 1, T0 + 1002, NULL, ST_CODEC_NONE, 10, &res); /* entry 1: full */
    assert_false(res.rolled);
    append_batch(log, 1, T0 + 1003, NULL, ST_CODEC_NONE, 10, &res);
    assert_true(res.rolled);
    assert_int_equal(st_log_active_segment_base(log), 4);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* ---- Reopening */

static void test_reopen_clean_does_not_rescan(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 2000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 100, 3, 40);
    st_buf before = whole_log(log);
    int64_t end = st_log_end_offset(log);
    int32_t segs = st_log_segment_count(log);
    assert_int_equal(st_log_close(log), ST_OK);

    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_false(info.recovered);
    assert_int_equal(info.segments_scanned, 0);
    assert_int_equal(info.indexes_rebuilt, 0);
    assert_int_equal(info.truncated_bytes, 0);
    assert_int_equal(info.segments, segs);
    assert_int_equal(info.log_end_offset, end);
    assert_int_equal(info.recovery_point, end);
    st_buf after = whole_log(log);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    check_every_offset(log);
    append_many(log, 5, 3, 40); /* continues where it was */
    assert_int_equal(st_log_end_offset(log), end + 15);
    st_buf_free(&after);
    assert_int_equal(st_log_close(log), ST_OK);

    /* Unclean open of the same files: the segment holding the recovery
     * point is rescanned, nothing is cut, same content. */
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_true(info.recovered);
    assert_int_equal(info.segments_scanned, 1);
    assert_int_equal(info.truncated_bytes, 0);
    assert_int_equal(info.log_end_offset, end + 15);
    after = whole_log(log);
    assert_memory_equal(after.data, before.data, before.len);
    check_every_offset(log);
    st_buf_free(&after);
    st_buf_free(&before);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_crash_image_recovers_identically(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1500;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 60, 2, 50);
    assert_int_equal(st_log_flush(log, T0), ST_OK); /* recovery point = 120 */
    assert_int_equal(st_log_recovery_point(log), 120);
    append_many(log, 40, 2, 50);
    st_buf before = whole_log(log);
    copy_dir(f->dir, f->copy); /* the process "dies" here */
    assert_int_equal(st_log_close(log), ST_OK);

    st_log_open_info info;
    log = log_fixture_open(f->copy, &cfg, false, &info);
    assert_true(info.recovered);
    assert_true(info.segments_scanned >= 2);
    assert_true(info.segments_scanned < info.segments); /* flushed ones trusted */
    assert_int_equal(info.truncated_bytes, 0);
    assert_int_equal(info.recovery_point, 120);
    assert_int_equal(st_log_end_offset(log), 200);
    st_buf after = whole_log(log);
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    check_every_offset(log);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_max_timestamp(log, &lk), ST_OK);
    assert_int_equal(lk.offset, 199);
    st_buf_free(&after);
    st_buf_free(&before);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* Writes 20 batches, closes, damages the tail with damage(), reopens
 * unclean: the log must end after batch `keep` - 1 exactly. */
typedef void (*damage_fn)(const char *log_path, const int64_t *pos, int count);

static void torn_tail_case(fixture *f, damage_fn damage, int keep)
{
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    int64_t pos[21];
    pos[0] = 0;
    for (int i = 0; i < 20; i++)
        pos[i + 1] = pos[i] + (int64_t)append_batch(log, 3, T0 + i, NULL,
                                                    i % 2 ? ST_CODEC_LZ4 : ST_CODEC_NONE, 30, NULL);
    assert_int_equal(st_log_close(log), ST_OK);
    char path[256];
    segment_file(f->dir, 0, "log", path, sizeof(path));
    damage(path, pos, 20);
    char rp[300];
    snprintf(rp, sizeof(rp), "%s/recovery-point", f->dir);
    unlink(rp); /* as if never flushed */

    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_true(info.recovered);
    assert_int_equal(st_log_end_offset(log), 3 * keep);
    assert_int_equal(file_size(path), pos[keep]);
    assert_true(info.truncated_bytes > 0);
    assert_int_equal(info.truncated_to_offset, 3 * keep);
    assert_true(info.detail[0] != '\0');
    check_every_offset(log);
    /* Appends continue right after the last good batch. */
    st_log_append_result res;
    append_batch(log, 3, T0 + 99, NULL, ST_CODEC_NONE, 30, &res);
    assert_int_equal(res.first_offset, 3 * keep);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.segments_scanned, 0);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void damage_garbage(const char *path, const int64_t *pos, int count)
{
    (void)pos;
    (void)count;
    uint8_t junk[100];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    write_file(path, junk, sizeof(junk), O_APPEND);
}

static void damage_half_batch(const char *path, const int64_t *pos, int count)
{
    /* Cut the last batch in half (a torn write). */
    assert_int_equal(truncate(path, (off_t)(pos[count - 1] + (pos[count] - pos[count - 1]) / 2)), 0);
}

static void damage_last_payload(const char *path, const int64_t *pos, int count)
{
    flip_byte(path, pos[count] - 3);
}

static void damage_middle(const char *path, const int64_t *pos, int count)
{
    (void)count;
    flip_byte(path, pos[7] + ST_BATCH_HEADER_SIZE + 2);
}

static void damage_zero_tail(const char *path, const int64_t *pos, int count)
{
    (void)pos;
    (void)count;
    uint8_t zeros[4096] = {0}; /* a file extended but never written */
    write_file(path, zeros, sizeof(zeros), O_APPEND);
}

static void test_recovery_garbage_tail(void **state) { torn_tail_case(*state, damage_garbage, 20); }
static void test_recovery_half_batch(void **state) { torn_tail_case(*state, damage_half_batch, 19); }
static void test_recovery_flipped_last_byte(void **state) { torn_tail_case(*state, damage_last_payload, 19); }
static void test_recovery_flipped_middle_byte(void **state) { torn_tail_case(*state, damage_middle, 7); }
static void test_recovery_zero_tail(void **state) { torn_tail_case(*state, damage_zero_tail, 20); }

/* A bad batch in an earlier segment of the unflushed region: the log ends
 * before it and every later segment goes. */
static void test_recovery_drops_later_segments(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 80, 2, 40);
    int32_t segs = st_log_segment_count(log);
    copy_dir(f->dir, f->copy); /* never flushed: no recovery point */
    assert_int_equal(st_log_close(log), ST_OK);
    assert_true(segs >= 6);

    /* The third segment: its base offset and the position of its 3rd batch. */
    log = log_fixture_open(f->copy, &cfg, true, NULL);
    st_log_range r;
    int64_t base = 0, first, last;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(st_log_read(log, base, INT64_MAX, 1 << 20, true, &r), ST_OK);
        range_batches(&r, &first, &last);
        if (k < 2)
            base = last + 1;
        st_log_range_release(&r);
    }
    assert_int_equal(st_log_read(log, base + 4, INT64_MAX, 1 << 20, true, &r), ST_OK);
    int64_t bad_pos = r.position, bad_offset = r.first_offset;
    assert_int_equal(bad_offset, base + 4);
    st_log_range_release(&r);
    assert_int_equal(st_log_close(log), ST_OK);
    char path[256];
    segment_file(f->copy, base, "log", path, sizeof(path));
    /* Close rewrote the copy's recovery point; an unclean image has none. */
    char rp[300];
    snprintf(rp, sizeof(rp), "%s/recovery-point", f->copy);
    unlink(rp);
    flip_byte(path, bad_pos + ST_BATCH_HEADER_SIZE + 5);

    st_log_open_info info;
    log = log_fixture_open(f->copy, &cfg, false, &info);
    assert_int_equal(info.segments_scanned, 3);
    assert_int_equal(info.segments_dropped, segs - 3);
    assert_int_equal(st_log_segment_count(log), 3);
    assert_int_equal(st_log_end_offset(log), bad_offset);
    assert_int_equal(file_size(path), bad_pos);
    assert_int_equal(log_fixture_count_files(f->copy, ".log"), 3);
    assert_int_equal(log_fixture_count_files(f->copy, ".index"), 3);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* baseOffset is outside the CRC: a damaged one in a middle segment is
 * caught by the next segment's base offset bounding every batch before it. */
static void test_recovery_damaged_base_offset(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 40, 2, 40);
    st_log_range r;
    assert_int_equal(st_log_read(log, 4, INT64_MAX, 1 << 20, true, &r), ST_OK);
    int64_t pos = r.position; /* batch 4..5 of the first segment */
    st_log_range_release(&r);
    int32_t segs = st_log_segment_count(log);
    copy_dir(f->dir, f->copy);
    assert_int_equal(st_log_close(log), ST_OK);
    char path[256];
    segment_file(f->copy, 0, "log", path, sizeof(path));
    flip_byte(path, pos + 6); /* base offset 4 -> 4 + 0x5a00: CRC still valid */

    st_log_open_info info;
    log = log_fixture_open(f->copy, &cfg, false, &info);
    assert_int_equal(st_log_end_offset(log), 4);
    assert_int_equal(info.segments_dropped, segs - 1);
    assert_int_equal(file_size(path), pos);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* Batches larger than the recovery scan's 1 MiB buffer are checked with a
 * streamed CRC. */
static void test_recovery_large_batches(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 8 << 20;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_batch(log, 2, T0, NULL, ST_CODEC_NONE, 50, NULL);
    size_t big = append_batch(log, 1, T0 + 1, NULL, ST_CODEC_NONE, 1536 * 1024, NULL);
    append_batch(log, 2, T0 + 2, NULL, ST_CODEC_NONE, 50, NULL);
    assert_int_equal(st_log_end_offset(log), 5);
    assert_int_equal(st_log_close(log), ST_OK);
    char rp[300], path[256];
    snprintf(rp, sizeof(rp), "%s/recovery-point", f->dir);
    segment_file(f->dir, 0, "log", path, sizeof(path));
    unlink(rp);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_int_equal(info.truncated_bytes, 0);
    assert_int_equal(info.batches_scanned, 3);
    assert_int_equal(st_log_end_offset(log), 5);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);

    st_log_range r;
    log = log_fixture_open(f->dir, &cfg, true, NULL);
    assert_int_equal(st_log_read(log, 2, INT64_MAX, 1, true, &r), ST_OK);
    assert_int_equal(r.length, (int64_t)big);
    int64_t at = r.position;
    st_log_range_release(&r);
    assert_int_equal(st_log_close(log), ST_OK);
    flip_byte(path, at + (int64_t)big - 1000); /* deep inside the big batch */
    unlink(rp);
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_int_equal(st_log_end_offset(log), 2);
    assert_int_equal(file_size(path), at);
    assert_true(strstr(info.detail, "CRC mismatch") != NULL);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* ---- Index rebuilds */

static void test_index_rebuilt_when_missing_or_garbage(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 3000;
    cfg.index_interval_bytes = 100;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 60, 2, 40);
    assert_int_equal(st_log_close(log), ST_OK);
    char index[256], timeindex[256];
    segment_file(f->dir, 0, "index", index, sizeof(index));
    segment_file(f->dir, 0, "timeindex", timeindex, sizeof(timeindex));
    int64_t index_size = file_size(index), timeindex_size = file_size(timeindex);
    assert_true(index_size >= 8 * 10);
    assert_true(timeindex_size >= 12 * 10);
    uint8_t *orig = malloc((size_t)index_size);
    int fd = open(index, O_RDONLY);
    assert_int_equal(read(fd, orig, (size_t)index_size), index_size);
    close(fd);

    /* 1. deleted */
    unlink(index);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.indexes_rebuilt, 1);
    assert_int_equal(info.truncated_bytes, 0);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
    assert_int_equal(file_size(index), index_size); /* rebuilt identically */
    uint8_t *now = malloc((size_t)index_size);
    fd = open(index, O_RDONLY);
    assert_int_equal(read(fd, now, (size_t)index_size), index_size);
    close(fd);
    assert_memory_equal(now, orig, (size_t)index_size);
    assert_int_equal(file_size(timeindex), timeindex_size);

    /* 2. an odd length */
    write_file(index, "xyz", 3, O_APPEND);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.indexes_rebuilt, 1);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);

    /* 3. well-sized entries pointing past the log / backwards */
    uint8_t bad[16] = {0, 0, 0, 1, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    write_file(index, bad, sizeof(bad), O_TRUNC);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.indexes_rebuilt, 1);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);

    /* 4. an entry pointing inside a batch (the last entry is checked) */
    fd = open(index, O_RDWR);
    uint8_t e[8];
    off_t at = (off_t)(file_size(index) - 8);
    assert_int_equal(pread(fd, e, 8, at), 8);
    e[7] ^= 1;
    assert_int_equal(pwrite(fd, e, 8, at), 8);
    close(fd);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.indexes_rebuilt, 1);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);

    /* 5. a garbage time index: timestamps going backwards */
    uint8_t tbad[24] = {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2};
    write_file(timeindex, tbad, sizeof(tbad), O_TRUNC);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.indexes_rebuilt, 1);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_offset_for_timestamp(log, T0 + 10 * 30, &lk), ST_OK);
    assert_true(lk.found);
    assert_int_equal(lk.offset, 60);
    assert_int_equal(st_log_close(log), ST_OK);
    assert_int_equal(file_size(timeindex), timeindex_size);

    /* 6. a middle entry pointing one byte into its batch: still ordered, so
     * a clean open keeps it; reads must not believe it. */
    st_buf before;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    before = whole_log(log);
    assert_int_equal(st_log_close(log), ST_OK);
    int64_t n = file_size(index) / 8;
    assert_true(n >= 4);
    fd = open(index, O_RDWR);
    at = (off_t)(n / 2 * 8 + 7);
    uint8_t last_byte;
    assert_int_equal(pread(fd, &last_byte, 1, at), 1);
    last_byte++;
    assert_int_equal(pwrite(fd, &last_byte, 1, at), 1);
    close(fd);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.indexes_rebuilt, 0);
    check_every_offset(log);
    check_ranges(log, 7);
    st_buf after = whole_log(log); /* whole batches, the same bytes */
    assert_int_equal(after.len, before.len);
    assert_memory_equal(after.data, before.data, before.len);
    st_log_timestamp_lookup lk2;
    assert_int_equal(st_log_offset_for_timestamp(log, T0 + 10 * 30, &lk2), ST_OK);
    assert_int_equal(lk2.offset, 60);
    st_buf_free(&before);
    st_buf_free(&after);
    assert_int_equal(st_log_close(log), ST_OK);
    free(orig);
    free(now);
}

/* Random bytes in every file: opening never crashes, and the result is a
 * consistent log (possibly shorter). */
static void test_random_file_contents_never_crash(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1200;
    cfg.index_interval_bytes = 64;
    uint64_t seed = 12345;
    for (int round = 0; round < 40; round++) {
        char dir[160];
        snprintf(dir, sizeof(dir), "%s/r%d", f->root, round);
        mkdir(dir, 0755);
        st_log *log = log_fixture_open(dir, &cfg, true, NULL);
        append_many(log, 30, 2, 30);
        assert_int_equal(st_log_close(log), ST_OK);
        /* Damage a few random files at random places. */
        DIR *d = opendir(dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
            if (seed % 3)
                continue;
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            int64_t size = file_size(path);
            uint8_t junk[32];
            for (size_t k = 0; k < sizeof(junk); k++)
                junk[k] = (uint8_t)(seed >> (k % 8));
            int fd = open(path, O_WRONLY);
            off_t at = size > 0 ? (off_t)(seed % (uint64_t)size) : 0;
            assert_int_equal(pwrite(fd, junk, 1 + seed % sizeof(junk), at), (ssize_t)(1 + seed % sizeof(junk)));
            close(fd);
        }
        closedir(d);
        st_log_open_info info;
        st_log *out = NULL;
        st_err err = st_log_open(dir, &cfg, round % 2 == 0, T0, &out, &info);
        if (err)
            fail_msg("round %d: %s (%s)", round, st_err_name(err), info.detail);
        /* Reads may meet damage the clean open trusted (CORRUPT), never a crash. */
        for (int64_t o = st_log_start_offset(out); o < st_log_end_offset(out); o++) {
            st_log_range r;
            st_err rerr = st_log_read(out, o, INT64_MAX, 4096, true, &r);
            assert_true(rerr == ST_OK || rerr == ST_ERR_CORRUPT);
            st_log_range_release(&r);
        }
        st_log_timestamp_lookup lk;
        st_err terr = st_log_offset_for_timestamp(out, T0 + 100, &lk);
        assert_true(terr == ST_OK || terr == ST_ERR_CORRUPT);
        terr = st_log_max_timestamp(out, &lk);
        assert_true(terr == ST_OK || terr == ST_ERR_CORRUPT);
        append_many(out, 2, 2, 30);
        st_log_close(out);
        /* An unclean reopen that re-validates everything always yields a
         * fully valid log. */
        char rp[300];
        snprintf(rp, sizeof(rp), "%s/recovery-point", dir);
        unlink(rp);
        out = log_fixture_open(dir, &cfg, false, &info);
        assert_int_equal(info.segments_scanned, info.segments);
        check_log(out, false);
        st_log_timestamp_lookup lk2;
        assert_int_equal(st_log_max_timestamp(out, &lk2), ST_OK);
        st_log_close(out);
    }
}

/* ---- Timestamps */

typedef struct rec_ts {
    int64_t offset;
    int64_t ts;
} rec_ts;

static void test_offset_for_timestamp_is_record_exact(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 2500;
    cfg.index_interval_bytes = 150;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    static const int codecs[] = {ST_CODEC_NONE, ST_CODEC_GZIP, ST_CODEC_SNAPPY, ST_CODEC_LZ4,
                                 ST_CODEC_ZSTD};
    rec_ts recs[400];
    int nrec = 0;
    for (int i = 0; i < 60; i++) {
        int64_t deltas[5];
        int n = 2 + i % 4;
        /* Timestamps rise overall but jump around inside and across batches. */
        int64_t base = T0 + 100 * i - (i % 7 == 3 ? 450 : 0);
        for (int k = 0; k < n; k++)
            deltas[k] = (k * 37 + i * 11) % 90;
        st_log_append_result res;
        append_batch(log, n, base, deltas, codecs[i % 5], 30, &res);
        for (int k = 0; k < n; k++)
            recs[nrec++] = (rec_ts){res.first_offset + k, base + deltas[k]};
    }
    assert_true(st_log_segment_count(log) >= 3);
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t ts = T0 - 600; ts <= T0 + 100 * 60 + 100; ts += 7) {
            int64_t want = -1, want_ts = -1;
            for (int k = 0; k < nrec; k++)
                if (recs[k].ts >= ts) {
                    want = recs[k].offset;
                    want_ts = recs[k].ts;
                    break;
                }
            st_log_timestamp_lookup lk;
            assert_int_equal(st_log_offset_for_timestamp(log, ts, &lk), ST_OK);
            if (want < 0) {
                assert_false(lk.found);
                continue;
            }
            if (!lk.found || lk.offset != want)
                fail_msg("ts %" PRId64 ": want %" PRId64 " got %" PRId64, ts, want, lk.offset);
            assert_int_equal(lk.timestamp, want_ts);
            assert_int_equal(lk.leader_epoch, 0);
        }
        int64_t max_ts = -1, max_off = -1;
        for (int k = 0; k < nrec; k++)
            if (recs[k].ts > max_ts) {
                max_ts = recs[k].ts;
                max_off = recs[k].offset;
            }
        st_log_timestamp_lookup lk;
        assert_int_equal(st_log_max_timestamp(log, &lk), ST_OK);
        assert_true(lk.found);
        assert_int_equal(lk.timestamp, max_ts);
        assert_int_equal(lk.offset, max_off);
        /* Second pass: the same answers from the files of a clean reopen. */
        assert_int_equal(st_log_close(log), ST_OK);
        st_log_open_info info;
        log = log_fixture_open(f->dir, &cfg, true, &info);
        assert_int_equal(info.segments_scanned, 0);
    }
    /* The log start bounds the search. */
    assert_int_equal(st_log_delete_records_before(log, 10), ST_OK);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_offset_for_timestamp(log, T0 - 600, &lk), ST_OK);
    assert_int_equal(lk.offset, 10);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* Only the final time index entries (written on roll and close) tell a
 * clean reopen each segment's largest timestamp. */
static void test_timestamps_survive_clean_reopen(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 600;
    cfg.index_interval_bytes = 1 << 20; /* no regular index entries at all */
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    rec_ts recs[200];
    int nrec = 0;
    for (int i = 0; i < 30; i++) {
        /* The newest record of every segment sits in its last batch; batch 2
         * carries the log's largest timestamp. */
        int64_t base = T0 + 1000 * i + (i == 2 ? 500000 : 0);
        int64_t deltas[3] = {0, 300, 100};
        st_log_append_result res;
        append_batch(log, 3, base, deltas, ST_CODEC_NONE, 40, &res);
        for (int k = 0; k < 3; k++)
            recs[nrec++] = (rec_ts){res.first_offset + k, base + deltas[k]};
    }
    assert_true(st_log_segment_count(log) >= 5);
    assert_int_equal(st_log_close(log), ST_OK);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.segments_scanned, 0);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_max_timestamp(log, &lk), ST_OK);
    assert_int_equal(lk.offset, 7);
    assert_int_equal(lk.timestamp, T0 + 2000 + 500000 + 300);
    for (int k = 0; k < nrec; k++) {
        int64_t ts = recs[k].ts, want = -1;
        for (int j = 0; j < nrec && want < 0; j++)
            if (recs[j].ts >= ts)
                want = recs[j].offset;
        assert_int_equal(st_log_offset_for_timestamp(log, ts, &lk), ST_OK);
        assert_true(lk.found);
        assert_int_equal(lk.offset, want);
    }
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_max_timestamp_prefers_earliest(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_max_timestamp(log, &lk), ST_OK);
    assert_false(lk.found);
    assert_int_equal(lk.offset, -1);
    int64_t d1[3] = {5, 50, 50}; /* offsets 0..2: max 50 first at offset 1 */
    int64_t d2[2] = {50, 1};     /* offsets 3..4: the same max again */
    append_batch(log, 3, T0, d1, ST_CODEC_GZIP, 10, NULL);
    append_batch(log, 2, T0, d2, ST_CODEC_NONE, 10, NULL);
    assert_int_equal(st_log_max_timestamp(log, &lk), ST_OK);
    assert_int_equal(lk.offset, 1);
    assert_int_equal(lk.timestamp, T0 + 50);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* ---- Retention and DeleteRecords */

static void test_retention_by_time(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 800;
    cfg.retention_ms = 10000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    for (int i = 0; i < 40; i++) /* batch i: timestamps T0 + 1000 i */
        append_batch(log, 2, T0 + 1000 * i, NULL, ST_CODEC_NONE, 40, NULL);
    int32_t segs = st_log_segment_count(log);
    int64_t end = st_log_end_offset(log);
    st_log_retention_result res;
    /* now: everything before T0 + 20000 is older than 10 s. */
    assert_int_equal(st_log_apply_retention(log, T0 + 30000, end, &res), ST_OK);
    assert_true(res.segments_deleted > 0);
    assert_false(res.rolled);
    int64_t start = st_log_start_offset(log);
    assert_int_equal(res.log_start_offset, start);
    assert_true(start > 0 && start <= 42); /* batch 20 is offset 40 */
    assert_int_equal(st_log_segment_count(log), segs - res.segments_deleted);
    char path[256];
    segment_file(f->dir, 0, "log", path, sizeof(path));
    assert_false(file_exists(path));
    assert_int_equal(log_fixture_count_files(f->dir, ".deleted"), 0);
    st_log_range r;
    assert_int_equal(st_log_read(log, start - 1, INT64_MAX, 1 << 20, true, &r), ST_LOG_OUT_OF_RANGE);
    check_every_offset(log);
    /* The high watermark holds segments back. */
    assert_int_equal(st_log_apply_retention(log, T0 + 1000000, start, &res), ST_OK);
    assert_int_equal(res.segments_deleted, 0);
    /* Everything expired: the active segment is rolled, then deleted. */
    assert_int_equal(st_log_apply_retention(log, T0 + 1000000, end, &res), ST_OK);
    assert_true(res.rolled);
    assert_int_equal(st_log_segment_count(log), 1);
    assert_int_equal(st_log_start_offset(log), end);
    assert_int_equal(st_log_end_offset(log), end);
    assert_int_equal(st_log_size_bytes(log), 0);
    st_log_append_result ar;
    append_batch(log, 2, T0 + 2000000, NULL, ST_CODEC_NONE, 40, &ar);
    assert_int_equal(ar.first_offset, end); /* never reused */
    assert_int_equal(st_log_close(log), ST_OK);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(st_log_start_offset(log), end);
    assert_int_equal(st_log_end_offset(log), end + 2);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_retention_by_size(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    cfg.retention_bytes = 3000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 60, 2, 40);
    int64_t total = st_log_size_bytes(log);
    assert_true(total > 6000);
    st_log_retention_result res;
    assert_int_equal(st_log_apply_retention(log, T0, st_log_end_offset(log), &res), ST_OK);
    assert_true(res.segments_deleted > 0);
    assert_int_equal(res.bytes_deleted, total - st_log_size_bytes(log));
    assert_true(st_log_size_bytes(log) >= 3000);
    /* One more deletion would have gone below retention.bytes. */
    char path[256];
    segment_file(f->dir, st_log_start_offset(log), "log", path, sizeof(path));
    assert_true(st_log_size_bytes(log) - file_size(path) < 3000);
    check_every_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_delete_records_before(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 40, 2, 40);
    int32_t segs = st_log_segment_count(log);
    assert_int_equal(st_log_delete_records_before(log, 81), ST_LOG_OUT_OF_RANGE);
    assert_int_equal(st_log_delete_records_before(log, 33), ST_OK);
    assert_int_equal(st_log_start_offset(log), 33);
    assert_true(st_log_segment_count(log) < segs);
    st_log_range r;
    assert_int_equal(st_log_read(log, 32, INT64_MAX, 1 << 20, true, &r), ST_LOG_OUT_OF_RANGE);
    assert_int_equal(st_log_read(log, 33, INT64_MAX, 1 << 20, true, &r), ST_OK);
    assert_int_equal(r.first_offset, 32); /* the batch holding 33 */
    st_log_range_release(&r);
    assert_int_equal(st_log_delete_records_before(log, 20), ST_OK); /* lower: no-op */
    assert_int_equal(st_log_start_offset(log), 33);
    assert_int_equal(st_log_close(log), ST_OK);
    char path[300];
    snprintf(path, sizeof(path), "%s/log-start-offset", f->dir);
    assert_string_equal(read_text(path), "0\n33\n");
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_int_equal(st_log_start_offset(log), 33);
    check_every_offset(log);
    /* Up to the end: only the active segment is left, nothing readable. */
    assert_int_equal(st_log_delete_records_before(log, 80), ST_OK);
    assert_int_equal(st_log_segment_count(log), 1);
    assert_int_equal(st_log_read(log, 79, INT64_MAX, 1 << 20, true, &r), ST_LOG_OUT_OF_RANGE);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* A range keeps its segment readable after retention deleted the files. */
static void test_range_outlives_deleted_segment(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    cfg.retention_bytes = 0;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 30, 2, 40);
    st_log_range r;
    assert_int_equal(st_log_read(log, 0, INT64_MAX, 1 << 20, true, &r), ST_OK);
    uint8_t *before = range_bytes(&r);
    st_log_retention_result res;
    assert_int_equal(st_log_apply_retention(log, T0, st_log_end_offset(log), &res), ST_OK);
    assert_true(res.segments_deleted > 0);
    char path[256];
    segment_file(f->dir, 0, "log", path, sizeof(path));
    assert_false(file_exists(path));
    uint8_t *after = range_bytes(&r);
    assert_memory_equal(after, before, (size_t)r.length);
    int64_t first, last;
    assert_true(range_batches(&r, &first, &last) > 0);
    assert_int_equal(first, 0);
    /* Closing the log does not invalidate it either. */
    assert_int_equal(st_log_close(log), ST_OK);
    uint8_t *later = range_bytes(&r);
    assert_memory_equal(later, before, (size_t)r.length);
    st_log_range_release(&r);
    free(before);
    free(after);
    free(later);
}

/* ---- Truncation */

static void test_truncate_to(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 1000;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 50, 3, 30); /* batches of 3: 0..149 */
    int32_t segs = st_log_segment_count(log);
    assert_int_equal(st_log_truncate_to(log, 200), ST_OK); /* beyond the end: nothing */
    assert_int_equal(st_log_end_offset(log), 150);
    /* Mid-batch: the batch holding 100 (99..101) goes whole. */
    assert_int_equal(st_log_truncate_to(log, 100), ST_OK);
    assert_int_equal(st_log_end_offset(log), 99);
    assert_true(st_log_segment_count(log) < segs);
    check_every_offset(log);
    /* At a batch boundary. */
    assert_int_equal(st_log_truncate_to(log, 60), ST_OK);
    assert_int_equal(st_log_end_offset(log), 60);
    check_every_offset(log);
    st_log_append_result res;
    append_batch(log, 3, T0 + 5, NULL, ST_CODEC_NONE, 30, &res);
    assert_int_equal(res.first_offset, 60);
    st_log_timestamp_lookup lk;
    assert_int_equal(st_log_max_timestamp(log, &lk), ST_OK);
    assert_int_equal(lk.timestamp, T0 + 10 * 19 + 2); /* batch 19 (57..59) is the newest left */
    assert_int_equal(st_log_close(log), ST_OK);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(info.segments_scanned, 0);
    assert_int_equal(st_log_end_offset(log), 63);
    check_every_offset(log);
    /* Fully, at a new offset. */
    assert_int_equal(st_log_truncate_fully_and_start_at(log, 1000), ST_OK);
    assert_int_equal(st_log_start_offset(log), 1000);
    assert_int_equal(st_log_end_offset(log), 1000);
    assert_int_equal(st_log_segment_count(log), 1);
    assert_int_equal(log_fixture_count_files(f->dir, ".log"), 1);
    append_batch(log, 3, T0, NULL, ST_CODEC_NONE, 30, &res);
    assert_int_equal(res.first_offset, 1000);
    /* Below the first segment: fully, as Kafka does. */
    assert_int_equal(st_log_truncate_to(log, 500), ST_OK);
    assert_int_equal(st_log_start_offset(log), 500);
    assert_int_equal(st_log_end_offset(log), 500);
    assert_int_equal(st_log_close(log), ST_OK);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_int_equal(st_log_start_offset(log), 500);
    assert_int_equal(st_log_end_offset(log), 500);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* ---- Leader epochs */

static size_t append_with_epoch(st_log *log, int n, int32_t epoch)
{
    st_buf b;
    st_buf_init(&b);
    build_batch(&b, n, T0, NULL, ST_CODEC_NONE, 10);
    st_log_append_opts o = leader_opts(T0, epoch);
    st_log_append_result res;
    assert_int_equal(st_log_append(log, b.data, b.len, &o, &res), ST_OK);
    size_t len = b.len;
    st_buf_free(&b);
    return len;
}

static void expect_epoch_end(st_log *log, int32_t epoch, int32_t want_epoch, int64_t want_end)
{
    int32_t got_epoch;
    int64_t got_end;
    assert_int_equal(st_log_end_offset_for_epoch(log, epoch, &got_epoch, &got_end), ST_OK);
    assert_int_equal(got_epoch, want_epoch);
    assert_int_equal(got_end, want_end);
}

static void test_leader_epochs(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    expect_epoch_end(log, 0, -1, -1);
    append_with_epoch(log, 5, 0);  /* 0..4 */
    append_with_epoch(log, 5, 0);  /* 5..9 */
    append_with_epoch(log, 5, 2);  /* 10..14 */
    assert_int_equal(st_log_assign_epoch(log, 5, 15), ST_OK); /* a new leader, before appending */
    append_with_epoch(log, 5, 5);  /* 15..19 */
    expect_epoch_end(log, 0, 0, 10);
    expect_epoch_end(log, 1, 0, 10);
    expect_epoch_end(log, 2, 2, 15);
    expect_epoch_end(log, 4, 2, 15);
    expect_epoch_end(log, 5, 5, 20);
    expect_epoch_end(log, 6, -1, -1);
    expect_epoch_end(log, -1, -1, -1);
    assert_int_equal(st_log_close(log), ST_OK);
    char path[300];
    snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", f->dir);
    assert_string_equal(read_text(path), "0\n3\n0 0\n2 10\n5 15\n");

    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, true, &info);
    expect_epoch_end(log, 2, 2, 15);
    /* Truncation drops epochs that start beyond the new end. */
    assert_int_equal(st_log_truncate_to(log, 12), ST_OK);
    assert_int_equal(st_log_end_offset(log), 10);
    expect_epoch_end(log, 2, 2, 10); /* epoch 2 starts at 10, now the latest */
    expect_epoch_end(log, 5, -1, -1);
    assert_int_equal(st_log_close(log), ST_OK);
    assert_string_equal(read_text(path), "0\n2\n0 0\n2 10\n");

    /* A lost checkpoint is rebuilt from the batches. */
    log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_with_epoch(log, 5, 3); /* 10..14 */
    assert_int_equal(st_log_close(log), ST_OK);
    unlink(path);
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_true(info.epoch_cache_rebuilt);
    expect_epoch_end(log, 0, 0, 10);
    expect_epoch_end(log, 3, 3, 15);
    assert_int_equal(st_log_close(log), ST_OK);
    assert_string_equal(read_text(path), "0\n2\n0 0\n3 10\n");
    write_file(path, "0\n5\n1 1\n", 8, O_TRUNC); /* garbage: rebuilt too */
    log = log_fixture_open(f->dir, &cfg, true, &info);
    assert_true(info.epoch_cache_rebuilt);
    assert_int_equal(info.bad_checkpoints, 1);
    expect_epoch_end(log, 0, 0, 10);
    /* DeleteRecords moves the first epoch's start. */
    assert_int_equal(st_log_delete_records_before(log, 7), ST_OK);
    assert_int_equal(st_log_close(log), ST_OK);
    assert_string_equal(read_text(path), "0\n2\n0 7\n3 10\n");
}

/* ---- Scanning, flushing, leftovers */

typedef struct scan_seen {
    int batches;
    int controls;
    int64_t first;
    int64_t next;
} scan_seen;

static st_err on_batch(void *ctx, const st_batch_header *h, const st_batch *control)
{
    scan_seen *s = ctx;
    if (s->batches == 0)
        s->first = h->base_offset;
    else
        assert_int_equal(h->base_offset, s->next);
    s->next = st_batch_last_offset(h) + 1;
    s->batches++;
    if (control) {
        assert_true(st_batch_is_control(h));
        st_record_iter it;
        assert_int_equal(st_record_iter_init(&it, control, 1 << 20), ST_OK);
        st_record rec;
        assert_true(st_record_iter_next(&it, &rec));
        st_txn_marker m;
        assert_int_equal(st_txn_marker_parse(&rec, &m), ST_OK);
        assert_int_equal(m.type, ST_CONTROL_COMMIT);
        st_record_iter_free(&it);
        s->controls++;
    }
    return ST_OK;
}

static void test_scan_batches_and_flush(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    cfg.segment_bytes = 700;
    cfg.flush_interval_messages = 10;
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    st_log_append_result res;
    append_batch(log, 4, T0, NULL, ST_CODEC_NONE, 30, &res);
    assert_false(res.flush_due);
    assert_false(st_log_flush_due(log, T0));
    append_many(log, 20, 3, 30);
    st_buf b;
    st_buf_init(&b);
    st_batch_params p = st_batch_params_default();
    p.producer_id = 7;
    p.producer_epoch = 1;
    st_txn_marker m = {.type = ST_CONTROL_COMMIT, .coordinator_epoch = 3};
    assert_int_equal(st_batch_write_txn_marker(&p, &m, &b), ST_OK);
    st_log_append_opts o = leader_opts(T0, 0);
    assert_int_equal(st_log_append(log, b.data, b.len, &o, &res), ST_OK);
    st_buf_free(&b);
    assert_true(res.flush_due);
    assert_true(st_log_flush_due(log, T0));
    scan_seen s = {0};
    assert_int_equal(st_log_scan_batches(log, 0, on_batch, &s), ST_OK);
    assert_int_equal(s.batches, 22);
    assert_int_equal(s.controls, 1);
    assert_int_equal(s.next, st_log_end_offset(log));
    memset(&s, 0, sizeof(s));
    assert_int_equal(st_log_scan_batches(log, 30, on_batch, &s), ST_OK);
    assert_int_equal(s.first, 28); /* the batch holding 30 */
    assert_int_equal(st_log_flush(log, T0 + 1), ST_OK);
    assert_false(st_log_flush_due(log, T0 + 1));
    assert_int_equal(st_log_recovery_point(log), st_log_end_offset(log));
    char path[300];
    snprintf(path, sizeof(path), "%s/recovery-point", f->dir);
    char want[64];
    snprintf(want, sizeof(want), "0\n%" PRId64 "\n", st_log_end_offset(log));
    assert_string_equal(read_text(path), want);
    cfg.flush_interval_ms = 100;
    assert_int_equal(st_log_set_config(log, &cfg), ST_OK);
    append_batch(log, 1, T0, NULL, ST_CODEC_NONE, 30, &res);
    assert_false(st_log_flush_due(log, T0 + 100));
    assert_true(st_log_flush_due(log, T0 + 101));
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_leftovers_removed_at_open(void **state)
{
    fixture *f = *state;
    st_log_config cfg = small_config();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    append_many(log, 5, 2, 10);
    assert_int_equal(st_log_close(log), ST_OK);
    char path[300];
    snprintf(path, sizeof(path), "%s/00000000000000000100.log.deleted", f->dir);
    write_file(path, "x", 1, O_TRUNC);
    snprintf(path, sizeof(path), "%s/00000000000000000200.index", f->dir); /* orphan */
    write_file(path, "12345678", 8, O_TRUNC);
    snprintf(path, sizeof(path), "%s/recovery-point.tmp", f->dir);
    write_file(path, "0\n", 2, O_TRUNC);
    snprintf(path, sizeof(path), "%s/someone-else.tmp", f->dir);
    write_file(path, "keep", 4, O_TRUNC);
    snprintf(path, sizeof(path), "%s/recovery-point", f->dir);
    write_file(path, "garbage", 7, O_TRUNC);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_int_equal(info.bad_checkpoints, 1);
    assert_int_equal(info.segments_scanned, 1);
    assert_int_equal(st_log_end_offset(log), 10);
    assert_int_equal(log_fixture_count_files(f->dir, ".deleted"), 0);
    assert_int_equal(log_fixture_count_files(f->dir, ".index"), 1);
    assert_int_equal(log_fixture_count_files(f->dir, ".tmp"), 1);
    assert_int_equal(st_log_close(log), ST_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_append_assigns_offsets_and_reads_back),
        T(test_append_stamps_epoch_and_log_append_time),
        T(test_follower_append_keeps_offsets),
        T(test_roll_by_size_names_segments),
        T(test_roll_by_time_and_full_index),
        T(test_reopen_clean_does_not_rescan),
        T(test_crash_image_recovers_identically),
        T(test_recovery_garbage_tail),
        T(test_recovery_half_batch),
        T(test_recovery_flipped_last_byte),
        T(test_recovery_flipped_middle_byte),
        T(test_recovery_zero_tail),
        T(test_recovery_drops_later_segments),
        T(test_recovery_damaged_base_offset),
        T(test_recovery_large_batches),
        T(test_index_rebuilt_when_missing_or_garbage),
        T(test_random_file_contents_never_crash),
        T(test_offset_for_timestamp_is_record_exact),
        T(test_timestamps_survive_clean_reopen),
        T(test_max_timestamp_prefers_earliest),
        T(test_retention_by_time),
        T(test_retention_by_size),
        T(test_delete_records_before),
        T(test_range_outlives_deleted_segment),
        T(test_truncate_to),
        T(test_leader_epochs),
        T(test_scan_batches_and_flush),
        T(test_leftovers_removed_at_open),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
