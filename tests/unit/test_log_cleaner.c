/* test_log_cleaner.c — log compaction (broker/log_cleaner.c and the swap in
 * broker/log.c): last value per key with original offsets for every codec,
 * batch metadata kept, tombstones and their delete horizon, min/max
 * compaction lag and the dirty ratio, the active segment untouched, ranges
 * held across a swap, reopening (clean and unclean), a torn .cleaned file
 * and an interrupted swap at open, retention / DeleteRecords / truncation /
 * close during a clean, a full offset map, idempotent producers' emptied
 * batches, control batches, segment grouping, and the threaded service on
 * a real libev loop. Clocks are injected (now_ms); nothing sleeps. Each test
 * works in its own mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log.h"
#include "broker/log_cleaner.h"
#include "broker/log_reader.h"
#include "common/record_batch.h"
#include "tests/unit/log_fixture.h"

#define MAXREC 4096

/* ---- Fixture */

typedef log_fixture fixture;

static int setup(void **state)
{
    return log_fixture_setup(state, "cleaner");
}

static int teardown(void **state)
{
    return log_fixture_teardown(state);
}

/* ---- A model of what was appended */

typedef struct mrec {
    int64_t offset;
    bool has_key, has_value;
    char key[24];
    char value[48];
    int64_t ts;
    char header[24];      /* one header "h" = this, or "" for none */
} mrec;

typedef struct model {
    mrec r[MAXREC];
    int n;
    /* original batch ranges, to check that cleaned batches keep them */
    int64_t batch_base[MAXREC];
    int64_t batch_last[MAXREC];
    int nbatches;
} model;

static st_log_config cfg_small(void)
{
    st_log_config c = st_log_config_default();
    c.segment_bytes = 4096;
    c.index_interval_bytes = 128;
    c.retention_ms = -1;
    return c;
}

static st_clean_params params_default(void)
{
    st_clean_params p = st_clean_params_default();
    p.delete_retention_ms = 1000;
    p.min_cleanable_ratio = 0.5;
    return p;
}

/* A record spec: key (NULL: none), value (NULL: tombstone). */
typedef struct spec {
    const char *key;
    const char *value;
} spec;

typedef struct batch_opts {
    int codec;
    int64_t producer_id;   /* -1: none */
    int16_t producer_epoch;
    int32_t base_sequence;
    bool log_append_time;
    bool headers;
} batch_opts;

static const batch_opts plain = {ST_CODEC_NONE, -1, -1, -1, false, true};

/* Appends one batch of n records, timestamps ts + i; notes it in m. */
static int64_t append_specs(st_log *log, model *m, const spec *s, int n, int64_t ts,
                            const batch_opts *o)
{
    st_batch_builder b;
    st_batch_builder_init(&b);
    char hv[64][24];
    st_record_header hdrs[64];
    assert_true(n <= 64);
    for (int i = 0; i < n; i++) {
        snprintf(hv[i], sizeof(hv[i]), "hv-%d-%" PRId64, i, ts);
        hdrs[i] = (st_record_header){st_slice_cstr("h"), st_slice_cstr(hv[i])};
        st_record_fields f = {
            .offset_delta = i,
            .timestamp_delta = i,
            .key = s[i].key ? st_slice_cstr(s[i].key) : ST_SLICE_NULL,
            .value = s[i].value ? st_slice_cstr(s[i].value) : ST_SLICE_NULL,
            .headers = o->headers ? &hdrs[i] : NULL,
            .header_count = o->headers ? 1 : 0,
        };
        assert_int_equal(st_batch_builder_add(&b, &f), ST_OK);
    }
    st_batch_params p = st_batch_params_default();
    p.base_timestamp = ts;
    p.codec = o->codec;
    p.producer_id = o->producer_id;
    p.producer_epoch = o->producer_epoch;
    p.base_sequence = o->base_sequence;
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(st_batch_builder_finish(&b, &p, &out), ST_OK);
    st_log_append_opts ao = {.now_ms = ts + 100, .assign_offsets = true, .leader_epoch = 3,
                             .log_append_time = o->log_append_time};
    st_log_append_result res;
    st_err err = st_log_append(log, out.data, out.len, &ao, &res);
    if (err)
        fail_msg("append: %s (%s)", st_err_name(err), st_log_last_error(log));
    for (int i = 0; i < n; i++) {
        assert_true(m->n < MAXREC);
        mrec *r = &m->r[m->n++];
        memset(r, 0, sizeof(*r));
        r->offset = res.first_offset + i;
        r->has_key = s[i].key != NULL;
        r->has_value = s[i].value != NULL;
        if (s[i].key)
            snprintf(r->key, sizeof(r->key), "%s", s[i].key);
        if (s[i].value)
            snprintf(r->value, sizeof(r->value), "%s", s[i].value);
        r->ts = o->log_append_time ? ts + 100 : ts + i;
        if (o->headers)
            snprintf(r->header, sizeof(r->header), "%s", hv[i]);
    }
    m->batch_base[m->nbatches] = res.first_offset;
    m->batch_last[m->nbatches] = res.last_offset;
    m->nbatches++;
    st_batch_builder_free(&b);
    st_buf_free(&out);
    return res.first_offset;
}

static int64_t append_kv(st_log *log, model *m, const char *key, const char *value, int64_t ts)
{
    spec s = {key, value};
    return append_specs(log, m, &s, 1, ts, &plain);
}

/* Appends with a tiny segment.ms so this batch starts a new segment. */
static int64_t append_rolling(st_log *log, model *m, const spec *s, int n, int64_t ts,
                              const batch_opts *o)
{
    st_log_config saved = *st_log_get_config(log);
    st_log_config c = saved;
    c.segment_ms = 1;
    assert_int_equal(st_log_set_config(log, &c), ST_OK);
    int64_t first = append_specs(log, m, s, n, ts + 1000000, o);
    assert_int_equal(st_log_set_config(log, &saved), ST_OK);
    /* the appended records carry ts + 1000000 + i */
    return first;
}

/* ---- Reading back */

typedef struct readback {
    mrec r[MAXREC];
    int n;
} readback;

static st_err collect_record(void *ctx, const st_batch_header *h, const st_record *rec)
{
    (void)h;
    readback *rb = ctx;
    assert_true(rb->n < MAXREC);
    mrec *r = &rb->r[rb->n++];
    memset(r, 0, sizeof(*r));
    r->offset = rec->offset;
    r->has_key = rec->key.len >= 0;
    r->has_value = rec->value.len >= 0;
    if (r->has_key)
        snprintf(r->key, sizeof(r->key), "%.*s", (int)rec->key.len, (const char *)rec->key.ptr);
    if (r->has_value)
        snprintf(r->value, sizeof(r->value), "%.*s", (int)rec->value.len,
                 (const char *)rec->value.ptr);
    r->ts = rec->timestamp;
    st_header_iter hi;
    st_header_iter_init(&hi, rec);
    st_record_header hd;
    int nh = 0;
    while (st_header_iter_next(&hi, &hd)) {
        assert_int_equal(hd.key.len, 1);
        snprintf(r->header, sizeof(r->header), "%.*s", (int)hd.value.len,
                 (const char *)hd.value.ptr);
        nh++;
    }
    assert_int_equal(nh, rec->header_count);
    return ST_OK;
}

static readback *read_all(st_log *log)
{
    readback *rb = calloc(1, sizeof(*rb));
    assert_non_null(rb);
    st_err err = log_for_each_record(log, 0, collect_record, rb);
    if (err)
        fail_msg("reading back: %s (%s)", st_err_name(err), st_log_last_error(log));
    return rb;
}

/* Every batch of the log, CRC-checked, in order. */
typedef struct batch_info {
    st_batch_header h[MAXREC];
    int n;
} batch_info;

static batch_info *read_batches(st_log *log)
{
    batch_info *bi = calloc(1, sizeof(*bi));
    assert_non_null(bi);
    int64_t offset = st_log_start_offset(log);
    while (offset < st_log_end_offset(log)) {
        st_log_range r;
        assert_int_equal(st_log_read(log, offset, INT64_MAX, 1 << 20, true, &r), ST_OK);
        if (r.length == 0) {
            st_log_range_release(&r);
            break;
        }
        uint8_t *p = malloc((size_t)r.length);
        assert_non_null(p);
        assert_int_equal(st_log_range_pread(&r, p, (size_t)r.length, 0), ST_OK);
        st_batch_iter it;
        st_batch_iter_init(&it, p, (size_t)r.length, true);
        st_batch b;
        while (st_batch_iter_next(&it, &b) == ST_BATCH_OK) {
            assert_true(bi->n < MAXREC);
            bi->h[bi->n++] = b.header;
            offset = st_batch_last_offset(&b.header) + 1;
        }
        assert_int_equal(st_batch_iter_offset(&it), (size_t)r.length);
        free(p);
        st_log_range_release(&r);
    }
    return bi;
}

/* The model after a clean whose mapped prefix ends at end: a record below
 * end goes when a later record below end has its key; keyless records of
 * rewritten segments go (rewritten: base below end — here: offset below
 * active_base); expired tombstones (expired_before: horizon passed for
 * tombstones below that offset) go. */
static void model_clean(model *m, int64_t end, int64_t rewritten_below, int64_t expired_below)
{
    int k = 0;
    for (int i = 0; i < m->n; i++) {
        mrec *r = &m->r[i];
        bool keep = true;
        if (r->offset < rewritten_below && !r->has_key)
            keep = false;
        if (keep && r->offset < end) {
            for (int j = i + 1; j < m->n && keep; j++)
                if (m->r[j].offset < end && m->r[j].has_key &&
                    strcmp(m->r[j].key, r->key) == 0)
                    keep = false;
        }
        if (keep && !r->has_value && r->offset < expired_below)
            keep = false;
        if (keep)
            m->r[k++] = *r;
    }
    m->n = k;
}

static void assert_matches(const model *m, const readback *rb)
{
    if (m->n != rb->n) {
        for (int i = 0; i < rb->n; i++)
            print_message("got %" PRId64 " %s=%s\n", rb->r[i].offset, rb->r[i].key,
                          rb->r[i].has_value ? rb->r[i].value : "(null)");
        for (int i = 0; i < m->n; i++)
            print_message("want %" PRId64 " %s=%s\n", m->r[i].offset, m->r[i].key,
                          m->r[i].has_value ? m->r[i].value : "(null)");
    }
    assert_int_equal(m->n, rb->n);
    for (int i = 0; i < m->n; i++) {
        const mrec *a = &m->r[i], *b = &rb->r[i];
        assert_int_equal(a->offset, b->offset);
        assert_int_equal(a->has_key, b->has_key);
        assert_int_equal(a->has_value, b->has_value);
        assert_string_equal(a->key, b->key);
        assert_string_equal(a->value, b->value);
        assert_int_equal(a->ts, b->ts);
        assert_string_equal(a->header, b->header);
    }
}

/* The log read back must match the model; returns how many records it
 * holds. */
static int check_readback(st_log *log, const model *m)
{
    readback *rb = read_all(log);
    assert_matches(m, rb);
    int n = rb->n;
    free(rb);
    return n;
}

static model *new_model(void)
{
    model *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    return m;
}

/* Cleans up to the log end; the clean must succeed with outcome want. */
static void clean_expect(st_log *log, const st_clean_params *p, int64_t now, bool force,
                         st_clean_outcome want, st_clean_result *res)
{
    assert_int_equal(st_log_clean(log, p, now, st_log_end_offset(log), force, res), ST_OK);
    assert_int_equal(res->outcome, want);
}

/* Cleaned batches keep an original batch's exact offset range. */
static void assert_batch_ranges(const model *m, const batch_info *bi)
{
    for (int i = 0; i < bi->n; i++) {
        bool found = false;
        for (int k = 0; k < m->nbatches && !found; k++)
            found = m->batch_base[k] == bi->h[i].base_offset &&
                    m->batch_last[k] == st_batch_last_offset(&bi->h[i]);
        if (!found)
            fail_msg("batch [%" PRId64 ", %" PRId64 "] is not an original range",
                     bi->h[i].base_offset, st_batch_last_offset(&bi->h[i]));
        assert_int_equal(bi->h[i].partition_leader_epoch, 3);
    }
}

static uint8_t *file_bytes(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *p = malloc((size_t)st.st_size + 1);
    assert_non_null(p);
    assert_int_equal(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return p;
}

/* Keys k0..k(nkeys-1), overwritten over rounds, some deleted, across
 * several segments, then one more segment (the active one) with more
 * overwrites. */
static void write_workload(st_log *log, model *m, int codec, int rounds, int nkeys)
{
    batch_opts o = plain;
    o.codec = codec;
    int64_t ts = T0;
    for (int round = 0; round < rounds; round++) {
        spec s[8];
        char keys[8][16], vals[8][32];
        int n = 0;
        for (int k = 0; k < nkeys; k++) {
            snprintf(keys[n], sizeof(keys[n]), "k%d", k);
            snprintf(vals[n], sizeof(vals[n]), "v%d-r%d", k, round);
            bool tomb = (k % 3 == 2) && round == rounds - 1; /* a third deleted at the end */
            s[n] = (spec){keys[n], tomb ? NULL : vals[n]};
            if (++n == 8 || k == nkeys - 1) {
                if (round > 0 && k < 8)
                    append_rolling(log, m, s, n, ts, &o);
                else
                    append_specs(log, m, s, n, ts, &o);
                ts += 10;
                n = 0;
            }
        }
    }
}

/* ---- Tests */

static void check_codec(fixture *f, int codec)
{
    st_log_config cfg = cfg_small();
    char dir[160];
    snprintf(dir, sizeof(dir), "%s/c%d", f->root, codec);
    assert_int_equal(mkdir(dir, 0755), 0);
    st_log *log = log_fixture_open(dir, &cfg, true, NULL);
    model *m = new_model();
    write_workload(log, m, codec, 5, 12);
    /* the active segment: more overwrites that must survive untouched */
    spec act[2] = {{"k0", "active-0"}, {"k1", "active-1"}};
    batch_opts o = plain;
    o.codec = codec;
    append_rolling(log, m, act, 2, T0 + 5000, &o);
    int64_t active_base = st_log_active_segment_base(log);
    assert_true(st_log_segment_count(log) >= 5);
    char active_path[256];
    snprintf(active_path, sizeof(active_path), "%s/%020" PRId64 ".log", dir, active_base);
    size_t before_len;
    uint8_t *before = file_bytes(active_path, &before_len);

    st_clean_params p = params_default();
    st_clean_result res;
    clean_expect(log, &p, T0 + 10000, false, ST_CLEAN_DONE, &res);
    assert_int_equal(res.end_offset, active_base);
    assert_int_equal(st_log_cleaner_checkpoint(log), active_base);
    assert_true(res.records_removed > 0);
    assert_true(res.bytes_written < res.bytes_read);
    assert_int_equal(log_fixture_count_files(dir, ".cleaned"), 0);
    assert_int_equal(log_fixture_count_files(dir, ".swap"), 0);

    model_clean(m, active_base, active_base, -1);
    readback *rb = read_all(log);
    assert_matches(m, rb);
    batch_info *bi = read_batches(log);
    assert_batch_ranges(m, bi);
    for (int i = 0; i < bi->n; i++)
        if (bi->h[i].record_count > 0)
            assert_int_equal(st_batch_codec(&bi->h[i]), codec);
    /* tombstones are still there right after the first clean */
    bool tomb = false;
    for (int i = 0; i < rb->n; i++)
        tomb |= !rb->r[i].has_value;
    assert_true(tomb);
    assert_int_equal(st_log_cleaner_delete_horizon(log), T0 + 10000 + 1000);

    /* the active segment's bytes did not change */
    size_t after_len;
    uint8_t *after = file_bytes(active_path, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);

    /* a second clean right away has nothing dirty: not due */
    clean_expect(log, &p, T0 + 10001, false, ST_CLEAN_NOTHING, &res);

    free(before);
    free(after);
    free(bi);
    free(rb);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_last_value_per_key_every_codec(void **state)
{
    fixture *f = *state;
    int codecs[] = {ST_CODEC_NONE, ST_CODEC_GZIP, ST_CODEC_SNAPPY, ST_CODEC_LZ4, ST_CODEC_ZSTD};
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        check_codec(f, codecs[i]);
}

static void test_tombstones_expire_after_horizon(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    append_kv(log, m, "a", "a1", T0);
    append_kv(log, m, "b", "b1", T0 + 1);
    int64_t tomb = append_kv(log, m, "a", NULL, T0 + 2);
    append_kv(log, m, "c", NULL, T0 + 3); /* a tombstone with no earlier value */
    spec s = {"d", "d1"};
    append_rolling(log, m, &s, 1, T0 + 4, &plain);
    int64_t active = st_log_active_segment_base(log);

    st_clean_params p = params_default();
    p.delete_retention_ms = 60000;
    st_clean_result res;
    int64_t now = T0 + 100000;
    clean_expect(log, &p, now, false, ST_CLEAN_DONE, &res);
    assert_int_equal(res.tombstones_removed, 0);
    assert_int_equal(res.delete_horizon, now + 60000);
    model_clean(m, active, active, -1);
    check_readback(log, m);
    /* the tombstone's batch carries the horizon; its record keeps its time */
    batch_info *bi = read_batches(log);
    bool seen = false;
    for (int i = 0; i < bi->n; i++) {
        if (bi->h[i].base_offset != tomb)
            continue;
        seen = true;
        assert_true(bi->h[i].attributes & ST_BATCH_ATTR_DELETE_HORIZON);
        assert_int_equal(bi->h[i].base_timestamp, now + 60000);
        assert_int_equal(bi->h[i].max_timestamp, T0 + 2);
    }
    assert_true(seen);
    free(bi);

    /* before the horizon: not due, and a forced clean keeps them */
    st_clean_assessment a;
    st_cleaner_assess(log, &p, now + 59999, st_log_end_offset(log), &a);
    assert_false(a.due);
    assert_false(a.horizon_due);
    clean_expect(log, &p, now + 59999, true, ST_CLEAN_DONE, &res);
    assert_int_equal(res.tombstones_removed, 0);
    check_readback(log, m);

    /* past the horizon the log is due with no dirty data; the clean drops them */
    st_cleaner_assess(log, &p, now + 60000, st_log_end_offset(log), &a);
    assert_true(a.due);
    assert_true(a.horizon_due);
    assert_int_equal(a.dirty_bytes, 0);
    clean_expect(log, &p, now + 60000, false, ST_CLEAN_DONE, &res);
    assert_int_equal(res.tombstones_removed, 2);
    assert_int_equal(st_log_cleaner_delete_horizon(log), -1);
    model_clean(m, active, active, active);
    assert_int_equal(check_readback(log, m), 2); /* b1, d1 */
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_min_compaction_lag(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    /* segment 1: old records (T0); segment 2: newer (T0 + 1000000 + ...) */
    append_kv(log, m, "a", "a1", T0);
    append_kv(log, m, "a", "a2", T0 + 1);
    spec s[2] = {{"a", "a3"}, {"a", "a4"}};
    int64_t second = append_rolling(log, m, s, 2, T0, &plain); /* ts T0 + 1000000 */
    spec t = {"z", "z"};
    append_rolling(log, m, &t, 1, T0 + 2000000, &plain);
    int64_t active = st_log_active_segment_base(log);

    st_clean_params p = params_default();
    p.min_compaction_lag_ms = 500000;
    st_clean_result res;
    /* nothing is old enough */
    clean_expect(log, &p, T0 + 400000, true, ST_CLEAN_NOTHING, &res);
    /* only the first segment is old enough: a4 in the second does not count */
    st_clean_assessment a;
    st_cleaner_assess(log, &p, T0 + 600000, st_log_end_offset(log), &a);
    assert_int_equal(a.first_uncleanable_offset, second);
    assert_int_equal(a.cleanable_segments, 1);
    clean_expect(log, &p, T0 + 600000, true, ST_CLEAN_DONE, &res);
    assert_int_equal(res.end_offset, second);
    model_clean(m, second, second, -1);
    assert_int_equal(check_readback(log, m), 4); /* a2, a3, a4, z */
    /* later both are old enough */
    clean_expect(log, &p, T0 + 1600000, true, ST_CLEAN_DONE, &res);
    assert_int_equal(res.end_offset, active);
    model_clean(m, active, active, -1);
    assert_int_equal(check_readback(log, m), 2); /* a4, z */
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_dirty_ratio_and_max_lag(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    for (int i = 0; i < 20; i++) {
        char k[16], v[16];
        snprintf(k, sizeof(k), "key%d", i);
        snprintf(v, sizeof(v), "val%d", i);
        append_kv(log, m, k, v, T0 + i);
    }
    spec s = {"key0", "new"};
    append_rolling(log, m, &s, 1, T0, &plain);
    st_clean_params p = params_default();
    p.min_cleanable_ratio = 0.5;
    st_clean_assessment a;
    st_cleaner_assess(log, &p, T0 + 2000000, st_log_end_offset(log), &a);
    assert_true(a.due);
    assert_true(a.dirty_ratio > 0.99);
    st_clean_result res;
    clean_expect(log, &p, T0 + 2000000, false, ST_CLEAN_DONE, &res);
    /* a little more dirty data: the ratio stays below 0.5 */
    spec s2 = {"key1", "newer"};
    append_rolling(log, m, &s2, 1, T0 + 10, &plain); /* rolls: key0=new now inactive */
    st_cleaner_assess(log, &p, T0 + 2000000, st_log_end_offset(log), &a);
    assert_true(a.dirty_bytes > 0);
    assert_true(a.dirty_ratio < 0.5);
    assert_false(a.due);
    clean_expect(log, &p, T0 + 2000000, false, ST_CLEAN_NOTHING, &res);
    /* max.compaction.lag.ms: the dirty segment's first batch is older */
    p.max_compaction_lag_ms = 1000;
    st_cleaner_assess(log, &p, T0 + 2000000, st_log_end_offset(log), &a);
    assert_true(a.forced_by_max_lag);
    assert_true(a.due);
    p.max_compaction_lag_ms = INT64_MAX;
    st_cleaner_assess(log, &p, T0 + 2000000, st_log_end_offset(log), &a);
    assert_false(a.forced_by_max_lag);
    p.max_compaction_lag_ms = 1000;
    clean_expect(log, &p, T0 + 2000000, false, ST_CLEAN_DONE, &res);
    int64_t active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    check_readback(log, m);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_range_held_across_swap(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    for (int i = 0; i < 10; i++)
        append_kv(log, m, "same", i % 2 ? "odd" : "even", T0 + i);
    spec s = {"x", "x"};
    append_rolling(log, m, &s, 1, T0, &plain);
    st_log_range r;
    assert_int_equal(st_log_read(log, 0, INT64_MAX, 1 << 20, true, &r), ST_OK);
    assert_true(r.length > 0);
    uint8_t *old = malloc((size_t)r.length);
    assert_non_null(old);
    assert_int_equal(st_log_range_pread(&r, old, (size_t)r.length, 0), ST_OK);

    st_clean_params p = params_default();
    st_clean_result res;
    clean_expect(log, &p, T0 + 5000, true, ST_CLEAN_DONE, &res);
    /* the held range still reads the replaced bytes */
    uint8_t *again = malloc((size_t)r.length);
    assert_non_null(again);
    assert_int_equal(st_log_range_pread(&r, again, (size_t)r.length, 0), ST_OK);
    assert_memory_equal(old, again, (size_t)r.length);
    st_log_range_release(&r);
    /* a new read sees the cleaned segment: one record left there */
    int64_t active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    readback *rb = read_all(log);
    assert_matches(m, rb);
    assert_int_equal(rb->n, 2);
    assert_int_equal(rb->r[0].offset, 9);
    free(rb);
    free(old);
    free(again);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_reopen_after_clean(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    write_workload(log, m, ST_CODEC_LZ4, 4, 10);
    spec s = {"k1", "last"};
    append_rolling(log, m, &s, 1, T0 + 50000, &plain);
    st_clean_params p = params_default();
    st_clean_result res;
    clean_expect(log, &p, T0 + 90000, true, ST_CLEAN_DONE, &res);
    int64_t active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    int32_t segs = st_log_segment_count(log);
    int64_t end = st_log_end_offset(log);
    assert_int_equal(st_log_close(log), ST_OK);

    for (int pass = 0; pass < 2; pass++) {
        st_log_open_info info;
        log = log_fixture_open(f->dir, &cfg, pass == 0, &info);
        assert_int_equal(st_log_segment_count(log), segs);
        assert_int_equal(st_log_end_offset(log), end);
        assert_int_equal(st_log_cleaner_checkpoint(log), active);
        assert_int_equal(st_log_cleaner_delete_horizon(log), T0 + 90000 + 1000);
        assert_int_equal(info.bad_checkpoints, 0);
        if (pass == 1)
            assert_true(info.segments_scanned > 0);
        else
            assert_int_equal(info.indexes_rebuilt, 0);
        check_readback(log, m);
        /* offsets inside cleaned-away ranges read as the next batch */
        st_log_range r;
        assert_int_equal(st_log_read(log, 0, INT64_MAX, 1 << 20, true, &r), ST_OK);
        st_log_range_release(&r);
        assert_int_equal(st_log_close(log), ST_OK);
    }
    free(m);
}

static void test_torn_cleaned_file_removed_at_open(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    write_workload(log, m, ST_CODEC_NONE, 3, 6);
    spec s = {"k1", "last"};
    append_rolling(log, m, &s, 1, T0 + 50000, &plain);
    assert_int_equal(st_log_close(log), ST_OK);
    /* a crash mid-clean: a torn cleaned .log and an index beside it */
    char path[256];
    snprintf(path, sizeof(path), "%s/%020d.log.cleaned", f->dir, 0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "torn-batch-bytes", 16), 16);
    close(fd);
    snprintf(path, sizeof(path), "%s/%020d.index.cleaned", f->dir, 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    close(fd);
    for (int pass = 0; pass < 2; pass++) {
        st_log_open_info info;
        log = log_fixture_open(f->dir, &cfg, pass == 0, &info);
        assert_int_equal(log_fixture_count_files(f->dir, ".cleaned"), 0);
        assert_int_equal(info.swaps_completed, 0);
        check_readback(log, m); /* nothing lost, nothing cleaned */
        assert_int_equal(st_log_close(log), ST_OK);
    }
    free(m);
}

/* A crash between the commit (.cleaned -> .swap) and the install: the next
 * open finishes the swap. */
static void test_interrupted_swap_completed_at_open(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    cfg.segment_bytes = 1 << 20; /* one group */
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    st_log_config roll = cfg;
    roll.segment_bytes = 4096;
    assert_int_equal(st_log_set_config(log, &roll), ST_OK);
    write_workload(log, m, ST_CODEC_ZSTD, 4, 8);
    assert_int_equal(st_log_set_config(log, &cfg), ST_OK);
    spec s = {"k1", "last"};
    append_rolling(log, m, &s, 1, T0 + 50000, &plain);
    int64_t active = st_log_active_segment_base(log);
    assert_true(st_log_segment_count(log) >= 4);

    st_clean_params p = params_default();
    st_clean_job *job;
    assert_int_equal(st_clean_job_prepare(log, &p, T0 + 90000, st_log_end_offset(log), true, &job),
                     ST_OK);
    assert_non_null(job);
    st_clean_job_run(job);
    assert_int_equal(st_log_close(log), ST_OK); /* the "crash": nothing installed */
    assert_true(log_fixture_count_files(f->dir, ".log.cleaned") > 0);
    /* commit by hand, as st_segment_commit_swap would: .log first */
    const char *exts[] = {"log", "index", "timeindex"};
    for (int i = 0; i < 3; i++) {
        char from[256], to[256];
        snprintf(from, sizeof(from), "%s/%020d.%s.cleaned", f->dir, 0, exts[i]);
        snprintf(to, sizeof(to), "%s/%020d.%s.swap", f->dir, 0, exts[i]);
        assert_int_equal(rename(from, to), 0);
    }
    st_clean_result res;
    assert_int_equal(st_clean_job_finish(job, &res), ST_OK);
    assert_int_equal(res.outcome, ST_CLEAN_DISCARDED); /* the log had closed */

    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_int_equal(info.swaps_completed, 1);
    assert_int_equal(log_fixture_count_files(f->dir, ".swap"), 0);
    assert_int_equal(st_log_segment_count(log), 2); /* the cleaned group + the active */
    model_clean(m, active, active, -1);
    check_readback(log, m);
    assert_int_equal(st_log_close(log), ST_OK);
    free(m);
}

/* Retention, DeleteRecords or truncation while the thread cleans: the
 * result is discarded and its files removed; a log closed meanwhile too. */
static void test_concurrent_changes_discard(void **state)
{
    fixture *f = *state;
    for (int variant = 0; variant < 4; variant++) {
        char dir[160];
        snprintf(dir, sizeof(dir), "%s/v%d", f->root, variant);
        assert_int_equal(mkdir(dir, 0755), 0);
        st_log_config cfg = cfg_small();
        st_log *log = log_fixture_open(dir, &cfg, true, NULL);
        model *m = new_model();
        write_workload(log, m, ST_CODEC_GZIP, 4, 8);
        spec s = {"k1", "last"};
        append_rolling(log, m, &s, 1, T0 + 50000, &plain);
        st_clean_params p = params_default();
        st_clean_job *job;
        assert_int_equal(
            st_clean_job_prepare(log, &p, T0 + 90000, st_log_end_offset(log), true, &job), ST_OK);
        assert_non_null(job);
        if (variant == 3) {
            assert_int_equal(st_log_close(log), ST_OK); /* closed before the thread runs */
            log = NULL;
        }
        st_clean_job_run(job);
        int64_t start = 0;
        if (variant == 0) { /* retention deletes the oldest segment (compact,delete) */
            st_segment *const *segs;
            st_log_segments(log, &segs);
            st_log_config c = cfg;
            c.retention_bytes = st_log_size_bytes(log) - segs[0]->size;
            assert_int_equal(st_log_set_config(log, &c), ST_OK);
            st_log_retention_result rr;
            assert_int_equal(st_log_apply_retention(log, T0 + 90000, st_log_end_offset(log), &rr),
                             ST_OK);
            assert_true(rr.segments_deleted >= 1);
            start = st_log_start_offset(log);
        } else if (variant == 1) { /* DeleteRecords past the first segment */
            st_segment *const *segs;
            st_log_segments(log, &segs);
            start = segs[1]->base_offset;
            assert_int_equal(st_log_delete_records_before(log, start), ST_OK);
        } else if (variant == 2) { /* a truncation (and re-appends) */
            int64_t end = st_log_end_offset(log);
            assert_int_equal(st_log_truncate_to(log, end - 1), ST_OK);
            m->n--;
            m->nbatches--;
            append_kv(log, m, "k1", "again", T0 + 60000);
        }
        st_clean_result res;
        assert_int_equal(st_clean_job_finish(job, &res), ST_OK);
        assert_int_equal(res.outcome, ST_CLEAN_DISCARDED);
        assert_int_equal(log_fixture_count_files(dir, ".cleaned"), 0);
        assert_int_equal(log_fixture_count_files(dir, ".swap"), 0);
        if (log) {
            assert_int_equal(st_log_cleaner_checkpoint(log), st_log_start_offset(log));
            int k = 0;
            for (int i = 0; i < m->n; i++)
                if (m->r[i].offset >= start)
                    m->r[k++] = m->r[i];
            m->n = k;
            check_readback(log, m); /* as it was, minus what was deleted */
            /* the next clean works */
            clean_expect(log, &p, T0 + 90000, true, ST_CLEAN_DONE, &res);
            int64_t active = st_log_active_segment_base(log);
            model_clean(m, active, active, -1);
            check_readback(log, m);
            assert_int_equal(st_log_close(log), ST_OK);
        }
        free(m);
    }
}

static void test_full_map_cleans_a_prefix(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    for (int round = 0; round < 3; round++)
        for (int k = 0; k < 30; k++) {
            char key[16], v[16];
            snprintf(key, sizeof(key), "key%02d", k);
            snprintf(v, sizeof(v), "r%d", round);
            append_kv(log, m, key, v, T0 + round * 100 + k);
        }
    spec s = {"z", "z"};
    append_rolling(log, m, &s, 1, T0 + 1000, &plain);
    int64_t active = st_log_active_segment_base(log);
    st_clean_params p = params_default();
    p.dedupe_buffer_bytes = ST_CLEANER_MAP_ENTRY_BYTES * 12; /* about 10 keys */
    int passes = 0;
    st_clean_result res;
    do {
        clean_expect(log, &p, T0 + 5000, true, ST_CLEAN_DONE, &res);
        assert_true(res.map_keys <= 12);
        model_clean(m, res.end_offset, active, -1);
        check_readback(log, m);
        passes++;
        assert_true(passes < 40);
    } while (res.map_full);
    assert_true(passes > 3);
    assert_int_equal(res.end_offset, active);
    /* 30 keys + z; the last value of each */
    assert_int_equal(m->n, 31);
    for (int i = 0; i < 30; i++)
        assert_string_equal(m->r[i].value, "r2");
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

static void test_producer_last_batch_kept_empty(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    batch_opts idem = plain;
    idem.producer_id = 7;
    idem.producer_epoch = 2;
    spec s1[2] = {{"k", "p1"}, {"j", "p1"}};
    idem.base_sequence = 0;
    append_specs(log, m, s1, 2, T0, &idem);           /* offsets 0-1: emptied, not last */
    idem.base_sequence = 2;
    spec s2[3] = {{"k", "p2"}, {"j", "p2"}, {"k", "p3"}};
    int64_t last = append_specs(log, m, s2, 3, T0 + 1, &idem); /* 2-4: emptied, pid 7's last */
    spec s3[2] = {{"k", "plain"}, {"j", "plain"}};
    append_specs(log, m, s3, 2, T0 + 2, &plain);      /* 5-6: supersedes both */
    spec z = {"z", "z"};
    append_rolling(log, m, &z, 1, T0, &plain);
    st_clean_params p = params_default();
    st_clean_result res;
    clean_expect(log, &p, T0 + 5000000, true, ST_CLEAN_DONE, &res);
    assert_int_equal(res.empty_batches_kept, 1);
    batch_info *bi = read_batches(log);
    assert_int_equal(bi->n, 3);
    const st_batch_header *h = &bi->h[0];
    assert_int_equal(h->base_offset, last);
    assert_int_equal(h->last_offset_delta, 2);
    assert_int_equal(h->record_count, 0);
    assert_int_equal(h->producer_id, 7);
    assert_int_equal(h->producer_epoch, 2);
    assert_int_equal(h->base_sequence, 2);
    assert_int_equal(h->batch_length, ST_BATCH_MIN_LENGTH);
    assert_int_equal(bi->h[1].base_offset, 5);
    free(bi);
    int64_t active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    check_readback(log, m);
    /* an unclean reopen re-validates every cleaned batch (no recovery point) */
    assert_int_equal(st_log_close(log), ST_OK);
    char path[256];
    snprintf(path, sizeof(path), "%s/recovery-point", f->dir);
    assert_int_equal(unlink(path), 0);
    st_log_open_info info;
    log = log_fixture_open(f->dir, &cfg, false, &info);
    assert_int_equal(info.segments_scanned, 2);
    assert_int_equal(info.truncated_bytes, 0);
    bi = read_batches(log);
    assert_int_equal(bi->n, 3);
    assert_int_equal(bi->h[0].record_count, 0);
    free(bi);
    check_readback(log, m);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* Control batches (transaction markers) survive; keyless records go;
 * LogAppendTime batches keep their stamp; a partly cleaned batch keeps
 * its lastOffsetDelta. */
static void test_markers_keyless_and_append_time(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    spec s1[3] = {{"a", "1"}, {NULL, "keyless"}, {"b", "1"}};
    append_specs(log, m, s1, 3, T0, &plain);
    st_batch_params mp = st_batch_params_default();
    mp.base_timestamp = T0 + 5;
    mp.producer_id = 9;
    mp.producer_epoch = 0;
    st_txn_marker marker = {ST_CONTROL_COMMIT, 4};
    st_buf mb;
    st_buf_init(&mb);
    assert_int_equal(st_batch_write_txn_marker(&mp, &marker, &mb), ST_OK);
    st_log_append_opts ao = {.now_ms = T0 + 5, .assign_offsets = true, .leader_epoch = 3};
    st_log_append_result ar;
    assert_int_equal(st_log_append(log, mb.data, mb.len, &ao, &ar), ST_OK);
    int64_t marker_offset = ar.first_offset;
    m->batch_base[m->nbatches] = ar.first_offset;
    m->batch_last[m->nbatches++] = ar.last_offset;
    batch_opts lat = plain;
    lat.log_append_time = true;
    spec s2[3] = {{"c", "1"}, {"a", "2"}, {"c", "2"}};
    int64_t lat_base = append_specs(log, m, s2, 3, T0 + 10, &lat);
    spec z = {"z", "z"};
    append_rolling(log, m, &z, 1, T0, &plain);
    st_clean_params p = params_default();
    st_clean_result res;
    clean_expect(log, &p, T0 + 5000000, true, ST_CLEAN_DONE, &res);
    assert_int_equal(res.keyless_removed, 1);
    int64_t active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    assert_int_equal(check_readback(log, m), 4); /* b=1, a=2, c=2, z */
    batch_info *bi = read_batches(log);
    assert_batch_ranges(m, bi);
    bool saw_marker = false, saw_lat = false;
    for (int i = 0; i < bi->n; i++) {
        if (bi->h[i].base_offset == marker_offset) {
            saw_marker = true;
            assert_true(st_batch_is_control(&bi->h[i]));
            assert_int_equal(bi->h[i].producer_id, 9);
        }
        if (bi->h[i].base_offset == lat_base) {
            saw_lat = true;
            assert_true(st_batch_has_log_append_time(&bi->h[i]));
            assert_int_equal(bi->h[i].max_timestamp, T0 + 110);
            assert_int_equal(bi->h[i].record_count, 2);
            assert_int_equal(bi->h[i].last_offset_delta, 2);
        }
    }
    assert_true(saw_marker);
    assert_true(saw_lat);
    free(bi);
    st_buf_free(&mb);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* Many small segments become few: neighbours whose sizes fit segment.bytes
 * are cleaned into one. */
static void test_segments_grouped(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    for (int i = 0; i < 30; i++) {
        spec s = {"one-key", i % 2 ? "odd" : "even"};
        append_rolling(log, m, &s, 1, T0 + 10 * i, &plain);
    }
    assert_int_equal(st_log_segment_count(log), 30);
    st_clean_params p = params_default();
    st_clean_result res;
    clean_expect(log, &p, T0 + 5000000, true, ST_CLEAN_DONE, &res);
    assert_int_equal(res.segments_read, 29);
    assert_true(res.segments_written < 5);
    assert_int_equal(st_log_segment_count(log), res.segments_written + 1);
    /* the cleaned file's mtime is the group's newest timestamp (Kafka's) */
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%020d.log", f->dir, 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((int64_t)st.st_mtim.tv_sec, (T0 + 1000000 + 280) / 1000);
    int64_t active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    assert_int_equal(check_readback(log, m), 2);
    /* and again: the clean section is cleaned once more, still correct */
    spec s = {"one-key", "final"};
    append_rolling(log, m, &s, 1, T0 + 400, &plain);
    clean_expect(log, &p, T0 + 5000000, true, ST_CLEAN_DONE, &res);
    active = st_log_active_segment_base(log);
    model_clean(m, active, active, -1);
    check_readback(log, m);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

/* ---- The threaded service on a real loop */

typedef struct service_ctx {
    st_log *log;
    st_cleaner *cleaner;
    int ticks;
} service_ctx;

static void each_log(void *ctx, st_cleaner_visit_fn visit, void *vctx)
{
    service_ctx *sc = ctx;
    st_cleaner_candidate c = {sc->log, params_default(), st_log_end_offset(sc->log), "topic-0"};
    visit(vctx, &c);
}

static void on_check(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    service_ctx *sc = w->data;
    if (st_cleaner_finished(sc->cleaner) > 0 || ++sc->ticks > 2000)
        ev_break(loop, EVBREAK_ALL);
}

static void test_service_thread(void **state)
{
    fixture *f = *state;
    st_log_config cfg = cfg_small();
    st_log *log = log_fixture_open(f->dir, &cfg, true, NULL);
    model *m = new_model();
    write_workload(log, m, ST_CODEC_SNAPPY, 4, 8);
    spec s = {"k1", "last"};
    append_rolling(log, m, &s, 1, T0 + 50000, &plain);
    int64_t active = st_log_active_segment_base(log);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    service_ctx sc = {log, NULL, 0};
    st_cleaner_options o = {.backoff_ms = 5, .logger = NULL};
    assert_int_equal(st_cleaner_start(loop, &o, each_log, &sc, &sc.cleaner), ST_OK);
    ev_timer check;
    ev_timer_init(&check, on_check, 0.005, 0.005);
    check.data = &sc;
    ev_timer_start(loop, &check);
    ev_run(loop, 0);
    ev_timer_stop(loop, &check);
    assert_true(st_cleaner_finished(sc.cleaner) > 0);
    assert_int_equal(st_cleaner_last_result(sc.cleaner)->outcome, ST_CLEAN_DONE);
    st_cleaner_stop(sc.cleaner);
    model_clean(m, active, active, -1);
    check_readback(log, m);
    /* stopping with a job just handed over: cancelled or finished, never torn */
    spec s2 = {"k2", "more"};
    append_rolling(log, m, &s2, 1, T0 + 60000, &plain);
    assert_int_equal(st_cleaner_start(loop, &o, each_log, &sc, &sc.cleaner), ST_OK);
    st_cleaner_poke(sc.cleaner);
    st_cleaner_stop(sc.cleaner);
    assert_int_equal(log_fixture_count_files(f->dir, ".cleaned"), 0);
    readback *rb = read_all(log);
    assert_true(rb->n >= 2);
    free(rb);
    ev_loop_destroy(loop);
    free(m);
    assert_int_equal(st_log_close(log), ST_OK);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_last_value_per_key_every_codec),
        T(test_tombstones_expire_after_horizon),
        T(test_min_compaction_lag),
        T(test_dirty_ratio_and_max_lag),
        T(test_range_held_across_swap),
        T(test_reopen_after_clean),
        T(test_torn_cleaned_file_removed_at_open),
        T(test_interrupted_swap_completed_at_open),
        T(test_concurrent_changes_discard),
        T(test_full_map_cleans_a_prefix),
        T(test_producer_last_batch_kept_empty),
        T(test_markers_keyless_and_append_time),
        T(test_segments_grouped),
        T(test_service_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
