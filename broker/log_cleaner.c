/* log_cleaner.c — compaction of partition logs (see log_cleaner.h).
 *
 * Owns the offset map, the cleaning of batches, the clean jobs and the
 * cleaner thread. Must never call into st_log off the loop thread, never
 * read a segment it holds no reference to, never trust a byte read from a
 * segment, and never block the loop thread on the cleaner thread (the join
 * at st_cleaner_stop excepted). */
#include "broker/log_cleaner.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/file_io.h"
#include "common/record_batch.h"

enum {
    READ_CHUNK = 1 << 20,   /* bytes read from a segment at a time */
    WRITE_CHUNK = 1 << 20,  /* cleaned bytes buffered before a segment append */
};

st_clean_params st_clean_params_default(void)
{
    return (st_clean_params){
        .delete_retention_ms = 86400000,
        .min_compaction_lag_ms = 0,
        .max_compaction_lag_ms = INT64_MAX,
        .min_cleanable_ratio = 0.5,
        .dedupe_buffer_bytes = (int64_t)128 << 20,
    };
}

/* ---- SipHash-2-4 with a 128-bit output (Aumasson & Bernstein), keyed per
 * clean so that colliding keys cannot be crafted in advance. */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                    \
    do {                                                                            \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                   \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                      \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                      \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                   \
    } while (0)

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void siphash128(uint64_t k0, uint64_t k1, const uint8_t *in, size_t n, uint64_t out[2])
{
    uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
    uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
    uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
    uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
    v1 ^= 0xee;
    size_t whole = n - n % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = load_le64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t i = 0; i < n % 8; i++)
        b |= (uint64_t)in[whole + i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xee;
    for (int i = 0; i < 4; i++)
        SIPROUND;
    out[0] = v0 ^ v1 ^ v2 ^ v3;
    v1 ^= 0xdd;
    for (int i = 0; i < 4; i++)
        SIPROUND;
    out[1] = v0 ^ v1 ^ v2 ^ v3;
}

/* ---- The offset map: key hash -> latest offset, open addressing */

typedef struct map_slot {
    uint64_t h0, h1;
    int64_t offset_plus1; /* 0: empty */
} map_slot;

typedef struct offset_map {
    map_slot *slots;
    size_t nslots;
    size_t count;
    size_t max;           /* count never passes this (load factor) */
    uint64_t k0, k1;
} offset_map;

static void map_hash(const offset_map *m, st_slice key, uint64_t h[2])
{
    siphash128(m->k0, m->k1, key.ptr, (size_t)key.len, h);
}

static map_slot *map_find(const offset_map *m, const uint64_t h[2], bool *found)
{
    size_t i = (size_t)(((unsigned __int128)h[0] * m->nslots) >> 64);
    for (;;) {
        map_slot *s = &m->slots[i];
        if (s->offset_plus1 == 0) {
            *found = false;
            return s;
        }
        if (s->h0 == h[0] && s->h1 == h[1]) {
            *found = true;
            return s;
        }
        if (++i == m->nslots)
            i = 0;
    }
}

/* false when the key is new and the map is full. */
static bool map_put(offset_map *m, st_slice key, int64_t offset)
{
    uint64_t h[2];
    map_hash(m, key, h);
    bool found;
    map_slot *s = map_find(m, h, &found);
    if (!found) {
        if (m->count >= m->max)
            return false;
        s->h0 = h[0];
        s->h1 = h[1];
        m->count++;
    }
    s->offset_plus1 = offset + 1;
    return true;
}

/* The latest offset of key, -1 when not mapped. */
static int64_t map_get(const offset_map *m, st_slice key)
{
    if (m->count == 0)
        return -1;
    uint64_t h[2];
    map_hash(m, key, h);
    bool found;
    map_slot *s = map_find(m, h, &found);
    return found ? s->offset_plus1 - 1 : -1;
}

static void random_key(uint64_t *k0, uint64_t *k1)
{
    uint64_t k[2];
    if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k[0] = (uint64_t)ts.tv_nsec * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)(uintptr_t)k;
        k[1] = (uint64_t)ts.tv_sec * UINT64_C(0xbf58476d1ce4e5b9) ^ (uint64_t)getpid();
    }
    *k0 = k[0];
    *k1 = k[1];
}

/* Sized for `keys` (at most) within `bytes` of slots. */
static st_err map_init(offset_map *m, int64_t bytes, int64_t keys)
{
    memset(m, 0, sizeof(*m));
    int64_t cap_slots = bytes / ST_CLEANER_MAP_ENTRY_BYTES;
    int64_t want = (int64_t)((double)keys / ST_CLEANER_MAP_LOAD) + 2;
    int64_t n = want < cap_slots ? want : cap_slots;
    if (n < 2)
        return ST_ERR_TOO_LARGE; /* the buffer cannot hold a single key */
    m->nslots = (size_t)n;
    m->max = (size_t)((double)n * ST_CLEANER_MAP_LOAD);
    if (m->max >= m->nslots)
        m->max = m->nslots - 1;
    if (m->max == 0)
        m->max = 1;
    m->slots = calloc(m->nslots, sizeof(*m->slots));
    if (!m->slots)
        return ST_ERR_NOMEM;
    random_key(&m->k0, &m->k1);
    return ST_OK;
}

/* ---- Producers: the base offset of each producer's last batch read */

typedef struct pid_slot {
    int64_t pid;          /* -1: empty */
    int64_t last_base;
} pid_slot;

typedef struct pid_map {
    pid_slot *slots;
    size_t nslots;        /* a power of two */
    size_t count;
} pid_map;

static size_t pid_index(const pid_map *m, int64_t pid)
{
    uint64_t h = (uint64_t)pid * UINT64_C(0x9e3779b97f4a7c15);
    return (size_t)(h >> 32) & (m->nslots - 1);
}

static pid_slot *pid_find(const pid_map *m, int64_t pid)
{
    if (!m->nslots)
        return NULL;
    for (size_t i = pid_index(m, pid);; i = (i + 1) & (m->nslots - 1)) {
        if (m->slots[i].pid == pid)
            return &m->slots[i];
        if (m->slots[i].pid < 0)
            return NULL;
    }
}

static st_err pid_put(pid_map *m, int64_t pid, int64_t base)
{
    if ((m->count + 1) * 2 > m->nslots) {
        size_t n = m->nslots ? m->nslots * 2 : 64;
        pid_slot *slots = malloc(n * sizeof(*slots));
        if (!slots)
            return ST_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            slots[i].pid = -1;
        pid_map grown = {slots, n, 0};
        for (size_t i = 0; i < m->nslots; i++)
            if (m->slots[i].pid >= 0)
                (void)pid_put(&grown, m->slots[i].pid, m->slots[i].last_base);
        free(m->slots);
        *m = grown;
    }
    for (size_t i = pid_index(m, pid);; i = (i + 1) & (m->nslots - 1)) {
        pid_slot *s = &m->slots[i];
        if (s->pid == pid || s->pid < 0) {
            if (s->pid < 0)
                m->count++;
            s->pid = pid;
            s->last_base = base;
            return ST_OK;
        }
    }
}

/* ---- The job */

typedef struct job_seg {
    st_segment *seg;      /* referenced (taken and dropped on the loop thread) */
    int fd;
    int64_t base;
    int64_t size;         /* at prepare: inactive segments do not grow */
    int64_t upper;        /* the next segment's base offset: offsets end below it */
    int64_t largest_ts;   /* st_segment_largest_timestamp at prepare */
} job_seg;

typedef struct job_group {
    size_t first;         /* index into segs */
    size_t count;
    st_segment *cleaned;  /* NULL until written */
} job_group;

struct st_clean_job {
    st_log_watch watch;
    atomic_bool cancel;
    bool ran;
    bool completed;       /* ran to the end without error or stop */
    st_clean_params params;
    int64_t now_ms;
    char *dir;
    st_log_config cfg;
    uint64_t truncations;
    int64_t first_dirty;
    int64_t uncleanable;
    job_seg *segs;
    st_segment **seg_ptrs; /* segs[i].seg, for st_log_cleaned_group.replaces */
    size_t nsegs;
    /* Filled by st_clean_job_run. */
    job_group *groups;
    size_t ngroups;
    int64_t map_end;
    st_clean_result res;
};

static st_err job_fail(st_clean_job *job, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static st_err job_fail(st_clean_job *job, st_err err, const char *fmt, ...)
{
    if (job->res.err)
        return job->res.err;
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(job->res.detail, sizeof(job->res.detail), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(job->res.detail))
        snprintf(job->res.detail + n, sizeof(job->res.detail) - (size_t)n, ": %s",
                 err == ST_ERR_IO ? strerror(saved) : st_err_name(err));
    job->res.err = err;
    return err;
}

static bool job_stopping(st_clean_job *job)
{
    return atomic_load_explicit(&job->cancel, memory_order_relaxed) ||
           atomic_load_explicit(&job->watch.closed, memory_order_relaxed);
}

/* ---- Reading a segment's batches (cleaner thread: pread on the fd only) */

typedef struct seg_reader {
    const job_seg *js;
    uint8_t *buf;
    size_t cap;
    size_t len;           /* bytes in buf */
    size_t off;           /* next batch within buf */
    int64_t buf_pos;      /* file position of buf[0] */
    int64_t min_base;     /* the next batch's base offset must be >= this */
} seg_reader;

static void reader_init(seg_reader *r, const job_seg *js, uint8_t *buf, size_t cap)
{
    *r = (seg_reader){.js = js, .buf = buf, .cap = cap, .min_base = js->base};
}

/* A segment shorter than when it was noted changed under us: damage. */
static st_err read_exact(int fd, uint8_t *p, size_t n, int64_t pos)
{
    st_err err = st_pread_full(fd, p, n, pos);
    return err == ST_ERR_TRUNCATED ? ST_ERR_CORRUPT : err;
}

/* The next whole, CRC-checked batch (*done at the end of the segment); the
 * batch points into the reader's buffer until the next call. */
static st_err reader_next(seg_reader *r, uint8_t **bufp, size_t *capp, st_batch *b, bool *done)
{
    *done = false;
    for (;;) {
        int64_t pos = r->buf_pos + (int64_t)r->off;
        if (pos >= r->js->size) {
            *done = true;
            return ST_OK;
        }
        st_err err = r->len > r->off
                         ? st_batch_parse(r->buf + r->off, r->len - r->off, true, b)
                         : ST_ERR_TRUNCATED;
        if (err == ST_OK) {
            const st_batch_header *h = &b->header;
            if (h->last_offset_delta < 0 || h->base_offset < r->min_base ||
                st_batch_last_offset(h) >= r->js->upper ||
                pos + (int64_t)b->size > r->js->size)
                return ST_ERR_CORRUPT;
            r->min_base = st_batch_last_offset(h) + 1;
            r->off += b->size;
            return ST_OK;
        }
        if (err != ST_ERR_TRUNCATED)
            return ST_ERR_CORRUPT;
        /* Refill: keep the partial batch, read more (growing for a large one). */
        size_t keep = r->len - r->off;
        memmove(r->buf, r->buf + r->off, keep);
        r->buf_pos = pos;
        r->len = keep;
        r->off = 0;
        size_t need = READ_CHUNK;
        if (keep >= ST_BATCH_LOG_OVERHEAD) {
            int64_t blen = (int64_t)st_get_i32(r->buf + ST_BATCH_OFF_LENGTH);
            if (blen < ST_BATCH_MIN_LENGTH || blen > r->js->size)
                return ST_ERR_CORRUPT;
            if ((size_t)blen + ST_BATCH_LOG_OVERHEAD > need)
                need = (size_t)blen + ST_BATCH_LOG_OVERHEAD;
        }
        if (need > r->cap) {
            uint8_t *p = realloc(r->buf, need);
            if (!p)
                return ST_ERR_NOMEM;
            r->buf = *bufp = p;
            r->cap = *capp = need;
        }
        int64_t left = r->js->size - (pos + (int64_t)keep);
        size_t n = r->cap - keep;
        if ((int64_t)n > left)
            n = (size_t)left;
        if (n == 0)
            return ST_ERR_CORRUPT; /* the file ends inside a batch */
        if ((err = read_exact(r->js->fd, r->buf + keep, n, pos + (int64_t)keep)))
            return err;
        r->len += n;
    }
}

/* ---- Pass 1: producers' last batches and the dirty record count */

static st_err scan_headers(st_clean_job *job, pid_map *pids, int64_t *dirty_records)
{
    *dirty_records = 0;
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    st_err err = ST_OK;
    for (size_t i = 0; i < job->nsegs && !err; i++) {
        const job_seg *js = &job->segs[i];
        /* As st_segment_cursor_init, but with the noted size: nothing the
         * loop thread may change is read here (base offset and fd are fixed). */
        *c = (st_segment_cursor){.seg = js->seg, .pos = 0, .end = js->size, .expect_base = -1,
                                 .min_base = js->base};
        for (;;) {
            st_segment_batch b;
            bool done;
            if ((err = st_segment_cursor_next(c, &b, &done)) || done)
                break;
            const st_batch_header *h = &b.header;
            if (st_batch_last_offset(h) >= js->upper) {
                err = ST_ERR_CORRUPT;
                break;
            }
            if (h->producer_id >= 0 && (err = pid_put(pids, h->producer_id, h->base_offset)))
                break;
            if (!st_batch_is_control(h) && st_batch_last_offset(h) >= job->first_dirty)
                *dirty_records += h->record_count;
        }
        if (err)
            job_fail(job, err, "%s: reading batch headers of segment %020" PRId64, job->dir,
                     js->base);
    }
    free(c);
    return err;
}

/* ---- Pass 2: the map of the dirty section (a prefix when it fills) */

static st_err build_map(st_clean_job *job, offset_map *map, uint8_t **buf, size_t *cap)
{
    job->map_end = job->uncleanable > job->first_dirty ? job->uncleanable : job->first_dirty;
    for (size_t i = 0; i < job->nsegs; i++) {
        const job_seg *js = &job->segs[i];
        if (js->upper <= job->first_dirty)
            continue;
        seg_reader r;
        reader_init(&r, js, *buf, *cap);
        for (;;) {
            if (job_stopping(job))
                return ST_OK;
            st_batch b;
            bool done;
            st_err err = reader_next(&r, buf, cap, &b, &done);
            if (err)
                return job_fail(job, err, "%s: reading segment %020" PRId64 " for the offset map",
                                job->dir, js->base);
            if (done)
                break;
            if (st_batch_is_control(&b.header) || st_batch_last_offset(&b.header) < job->first_dirty)
                continue;
            st_record_iter it;
            err = st_record_iter_init(&it, &b, ST_SEGMENT_MAX_DECOMPRESSED);
            st_record rec;
            bool full = false;
            while (!err && st_record_iter_next(&it, &rec)) {
                if (rec.offset < job->first_dirty || rec.key.len < 0)
                    continue;
                if (!map_put(map, rec.key, rec.offset)) {
                    full = true;
                    job->map_end = rec.offset;
                    break;
                }
            }
            if (!err && !full)
                err = it.err;
            st_record_iter_free(&it);
            if (err)
                return job_fail(job, err == ST_ERR_NOMEM ? err : ST_ERR_CORRUPT,
                                "%s: records of batch %" PRId64 " in segment %020" PRId64,
                                job->dir, b.header.base_offset, js->base);
            if (full) {
                job->res.map_full = true;
                return ST_OK;
            }
        }
    }
    return ST_OK;
}

/* ---- Pass 3: cleaning batches */

typedef struct kept_record {
    st_record rec;
    int64_t raw_ts;       /* baseTimestamp + timestampDelta as stored */
} kept_record;

typedef struct clean_ctx {
    st_clean_job *job;
    const offset_map *map;
    const pid_map *pids;
    kept_record *kept;
    size_t kept_cap;
    st_record_header *headers;
    size_t headers_cap;
    st_batch_builder builder;
    st_buf out;           /* cleaned batches not yet appended */
} clean_ctx;

static bool is_xerial(const st_batch *b)
{
    static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    return b->size >= ST_BATCH_HEADER_SIZE + sizeof(magic) &&
           memcmp(b->data + ST_BATCH_HEADER_SIZE, magic, sizeof(magic)) == 0;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

static void note_horizon(st_clean_job *job, int64_t horizon)
{
    if (job->res.delete_horizon < 0 || horizon < job->res.delete_horizon)
        job->res.delete_horizon = horizon;
}

/* Kafka's rule: keyless records go; a record goes when a later offset holds
 * its key; a tombstone goes once its batch's delete horizon has passed. */
static bool retain(clean_ctx *cx, const st_batch_header *h, const st_record *rec)
{
    st_clean_job *job = cx->job;
    if (rec->key.len < 0) {
        job->res.keyless_removed++;
        return false;
    }
    int64_t latest = map_get(cx->map, rec->key);
    if (latest > rec->offset)
        return false;
    if (rec->value.len < 0 && (h->attributes & ST_BATCH_ATTR_DELETE_HORIZON) &&
        job->now_ms >= h->base_timestamp) {
        job->res.tombstones_removed++;
        return false;
    }
    return true;
}

/* A producer's last batch, emptied: its header alone (Kafka's
 * writeEmptyHeader: uncompressed, no records, maxTimestamp kept). */
static st_err write_empty_batch(clean_ctx *cx, const st_batch *b)
{
    st_batch_header h = b->header;
    h.batch_length = ST_BATCH_MIN_LENGTH;
    h.attributes = (int16_t)(h.attributes & (ST_BATCH_ATTR_LOG_APPEND_TIME |
                                             ST_BATCH_ATTR_TRANSACTIONAL | ST_BATCH_ATTR_CONTROL));
    h.base_timestamp = h.max_timestamp;
    h.record_count = 0;
    uint8_t *p = st_buf_extend(&cx->out, ST_BATCH_HEADER_SIZE);
    if (!p)
        return ST_ERR_NOMEM;
    st_batch_header_write(p, &h);
    cx->job->res.empty_batches_kept++;
    cx->job->res.batches_written++;
    return st_batch_update_crc(p, ST_BATCH_HEADER_SIZE);
}

static st_err decode_headers(clean_ctx *cx, const st_record *rec, st_record_fields *f)
{
    f->headers = NULL;
    f->header_count = 0;
    if (rec->header_count <= 0)
        return ST_OK;
    if ((size_t)rec->header_count > cx->headers_cap) {
        st_record_header *p = realloc(cx->headers, (size_t)rec->header_count * sizeof(*p));
        if (!p)
            return ST_ERR_NOMEM;
        cx->headers = p;
        cx->headers_cap = (size_t)rec->header_count;
    }
    st_header_iter hi;
    st_header_iter_init(&hi, rec);
    size_t n = 0;
    while (n < (size_t)rec->header_count && st_header_iter_next(&hi, &cx->headers[n]))
        n++;
    f->headers = cx->headers;
    f->header_count = n;
    return ST_OK;
}

/* The kept records as a new batch with the original's offsets, producer,
 * codec and attributes (see log_cleaner.h). */
static st_err rebuild_batch(clean_ctx *cx, const st_batch *b, size_t nkept, bool tombstones)
{
    const st_batch_header *h = &b->header;
    bool had_horizon = (h->attributes & ST_BATCH_ATTR_DELETE_HORIZON) != 0;
    bool horizon = had_horizon || tombstones;
    int64_t base_ts = had_horizon ? h->base_timestamp
                      : tombstones
                          ? add_sat(cx->job->now_ms, cx->job->params.delete_retention_ms)
                          : cx->kept[0].raw_ts;
    st_batch_builder_reset(&cx->builder);
    for (size_t i = 0; i < nkept; i++) {
        const st_record *rec = &cx->kept[i].rec;
        st_record_fields f = {
            .offset_delta = rec->offset_delta,
            .timestamp_delta = (int64_t)((uint64_t)cx->kept[i].raw_ts - (uint64_t)base_ts),
            .key = rec->key,
            .value = rec->value,
        };
        st_err err = decode_headers(cx, rec, &f);
        if (!err)
            err = st_batch_builder_add(&cx->builder, &f);
        if (err)
            return err;
    }
    st_batch_params p = st_batch_params_default();
    p.base_offset = h->base_offset;
    p.partition_leader_epoch = h->partition_leader_epoch;
    p.base_timestamp = base_ts;
    p.attributes = (int16_t)((h->attributes & (ST_BATCH_ATTR_LOG_APPEND_TIME |
                                               ST_BATCH_ATTR_TRANSACTIONAL |
                                               ST_BATCH_ATTR_CONTROL)) |
                             (horizon ? ST_BATCH_ATTR_DELETE_HORIZON : 0));
    p.codec = st_batch_codec(h);
    p.compress.snappy_xerial = p.codec == ST_CODEC_SNAPPY && is_xerial(b);
    p.producer_id = h->producer_id;
    p.producer_epoch = h->producer_epoch;
    p.base_sequence = h->base_sequence;
    size_t start = cx->out.len;
    st_err err = st_batch_builder_finish(&cx->builder, &p, &cx->out);
    if (err)
        return err;
    uint8_t *nb = cx->out.data + start;
    size_t size = cx->out.len - start;
    /* The batch still covers its whole offset range (Kafka's
     * overrideLastOffset); LogAppendTime keeps its stamp. */
    st_put_i32(nb + ST_BATCH_OFF_LAST_OFFSET_DELTA, h->last_offset_delta);
    if (st_batch_has_log_append_time(h))
        st_put_i64(nb + ST_BATCH_OFF_MAX_TIMESTAMP, h->max_timestamp);
    if (tombstones)
        note_horizon(cx->job, base_ts);
    cx->job->res.batches_written++;
    return st_batch_update_crc(nb, size);
}

static st_err keep_record(clean_ctx *cx, size_t n, const st_record *rec, int64_t raw_ts)
{
    if (n == cx->kept_cap) {
        size_t cap = cx->kept_cap ? cx->kept_cap * 2 : 64;
        kept_record *p = realloc(cx->kept, cap * sizeof(*p));
        if (!p)
            return ST_ERR_NOMEM;
        cx->kept = p;
        cx->kept_cap = cap;
    }
    cx->kept[n] = (kept_record){*rec, raw_ts};
    return ST_OK;
}

static st_err copy_batch(clean_ctx *cx, const st_batch *b)
{
    uint8_t *p = st_buf_extend(&cx->out, b->size);
    if (!p)
        return ST_ERR_NOMEM;
    memcpy(p, b->data, b->size);
    cx->job->res.batches_written++;
    return ST_OK;
}

static st_err clean_batch(clean_ctx *cx, const st_batch *b)
{
    st_clean_job *job = cx->job;
    const st_batch_header *h = &b->header;
    job->res.batches_read++;
    if (st_batch_is_control(h))
        return copy_batch(cx, b);
    st_record_iter it;
    st_err err = st_record_iter_init(&it, b, ST_SEGMENT_MAX_DECOMPRESSED);
    st_record rec;
    size_t nkept = 0;
    int64_t nread = 0;
    bool tombstones = false;
    while (!err && st_record_iter_next(&it, &rec)) {
        nread++;
        if (!retain(cx, h, &rec))
            continue;
        tombstones |= rec.value.len < 0;
        err = keep_record(cx, nkept++, &rec,
                          (int64_t)((uint64_t)h->base_timestamp + (uint64_t)rec.timestamp_delta));
    }
    if (!err)
        err = it.err;
    if (err) {
        st_record_iter_free(&it);
        return err == ST_ERR_NOMEM ? err : ST_ERR_CORRUPT;
    }
    job->res.records_read += nread;
    job->res.records_kept += (int64_t)nkept;
    job->res.records_removed += nread - (int64_t)nkept;
    bool had_horizon = (h->attributes & ST_BATCH_ATTR_DELETE_HORIZON) != 0;
    if ((int64_t)nkept == nread && nread == h->record_count && (!tombstones || had_horizon)) {
        if (tombstones)
            note_horizon(job, h->base_timestamp);
        err = copy_batch(cx, b); /* nothing to change: byte for byte */
    } else if (nkept == 0) {
        const pid_slot *s = h->producer_id >= 0 ? pid_find(cx->pids, h->producer_id) : NULL;
        if (s && s->last_base == h->base_offset)
            err = write_empty_batch(cx, b);
    } else {
        err = rebuild_batch(cx, b, nkept, tombstones);
    }
    st_record_iter_free(&it); /* kept records point into its buffer until here */
    return err;
}

static st_err flush_out(clean_ctx *cx, st_segment *seg)
{
    if (cx->out.err)
        return cx->out.err;
    st_err err = st_segment_append(seg, cx->out.data, cx->out.len);
    cx->job->res.bytes_written += (int64_t)cx->out.len;
    st_buf_reset(&cx->out);
    return err;
}

/* Writes one group's cleaned segment. */
static st_err clean_group(clean_ctx *cx, job_group *g, uint8_t **buf, size_t *cap)
{
    st_clean_job *job = cx->job;
    const job_seg *first = &job->segs[g->first];
    if (job_stopping(job))
        return ST_OK;
    st_err err = st_segment_create_cleaned(job->dir, first->base, &job->cfg, job->now_ms,
                                           &g->cleaned);
    if (err)
        return job_fail(job, err, "%s: creating cleaned segment %020" PRId64, job->dir,
                        first->base);
    for (size_t k = 0; k < g->count && !err; k++) {
        const job_seg *js = &job->segs[g->first + k];
        seg_reader r;
        reader_init(&r, js, *buf, *cap);
        job->res.segments_read++;
        job->res.bytes_read += js->size;
        for (;;) {
            if (job_stopping(job))
                return ST_OK;
            st_batch b;
            bool done;
            if ((err = reader_next(&r, buf, cap, &b, &done)) || done)
                break;
            if ((err = clean_batch(cx, &b)))
                break;
            if (cx->out.len >= WRITE_CHUNK && (err = flush_out(cx, g->cleaned)))
                return job_fail(job, err, "%s: writing cleaned segment %020" PRId64, job->dir,
                                first->base);
        }
        if (err)
            return job_fail(job, err, "%s: cleaning segment %020" PRId64, job->dir, js->base);
    }
    if ((err = flush_out(cx, g->cleaned)) || (err = st_segment_finalize(g->cleaned)))
        return job_fail(job, err, "%s: writing cleaned segment %020" PRId64, job->dir,
                        first->base);
    /* As Kafka does, the cleaned file's mtime is the group's newest: what
     * time retention falls back to when no batch carries a timestamp. */
    int64_t newest = -1;
    for (size_t k = 0; k < g->count; k++)
        if (job->segs[g->first + k].largest_ts != INT64_MAX &&
            job->segs[g->first + k].largest_ts > newest)
            newest = job->segs[g->first + k].largest_ts;
    if (newest >= 0) {
        struct timespec t[2] = {{.tv_nsec = UTIME_OMIT},
                                {.tv_sec = newest / 1000, .tv_nsec = newest % 1000 * 1000000}};
        (void)futimens(g->cleaned->fd, t); /* best effort */
    }
    if ((err = st_segment_sync(g->cleaned)))
        return job_fail(job, err, "%s: fsync of cleaned segment %020" PRId64, job->dir,
                        first->base);
    job->res.segments_written++;
    return ST_OK;
}

/* Consecutive segments from the first one whose base offset is below the
 * end of the mapped prefix, grouped while their total size fits
 * segment.bytes and their offsets a relative int32. */
static st_err plan_groups(st_clean_job *job)
{
    size_t n = 0;
    while (n < job->nsegs && job->segs[n].base < job->map_end)
        n++;
    job->groups = calloc(n ? n : 1, sizeof(*job->groups));
    if (!job->groups)
        return ST_ERR_NOMEM;
    for (size_t i = 0; i < n;) {
        job_group *g = &job->groups[job->ngroups++];
        g->first = i;
        int64_t bytes = job->segs[i].size;
        size_t j = i + 1;
        while (j < n && bytes + job->segs[j].size <= job->cfg.segment_bytes &&
               job->segs[j].upper - 1 - job->segs[i].base <= INT32_MAX) {
            bytes += job->segs[j].size;
            j++;
        }
        g->count = j - i;
        i = j;
    }
    return ST_OK;
}

void st_clean_job_run(st_clean_job *job)
{
    job->ran = true;
    pid_map pids = {0};
    offset_map map = {0};
    clean_ctx cx = {.job = job, .map = &map, .pids = &pids};
    st_batch_builder_init(&cx.builder);
    st_buf_init(&cx.out);
    size_t cap = READ_CHUNK;
    uint8_t *buf = malloc(cap);
    int64_t dirty_records = 0;
    st_err err = buf ? ST_OK : job_fail(job, ST_ERR_NOMEM, "%s: read buffer", job->dir);
    if (!err)
        err = scan_headers(job, &pids, &dirty_records);
    if (!err && (err = map_init(&map, job->params.dedupe_buffer_bytes,
                                dirty_records > 0 ? dirty_records : 1)))
        job_fail(job, err, "%s: offset map of %" PRId64 " bytes", job->dir,
                 job->params.dedupe_buffer_bytes);
    if (!err)
        err = build_map(job, &map, &buf, &cap);
    job->res.map_keys = (int64_t)map.count;
    if (!err && !job_stopping(job) && (err = plan_groups(job)))
        job_fail(job, err, "%s: planning", job->dir);
    for (size_t g = 0; !err && !job_stopping(job) && g < job->ngroups; g++)
        err = clean_group(&cx, &job->groups[g], &buf, &cap);
    job->completed = !err && !job->res.err && !job_stopping(job);
    free(buf);
    free(map.slots);
    free(pids.slots);
    free(cx.kept);
    free(cx.headers);
    st_batch_builder_free(&cx.builder);
    st_buf_free(&cx.out);
}

void st_clean_job_cancel(st_clean_job *job)
{
    atomic_store(&job->cancel, true);
}

/* ---- Assessment (loop thread) */

static bool older_than(int64_t ts, int64_t now_ms, int64_t lag_ms)
{
    int64_t age;
    return !__builtin_sub_overflow(now_ms, ts, &age) && age >= lag_ms;
}

void st_cleaner_assess(const st_log *log, const st_clean_params *p, int64_t now_ms,
                       int64_t max_offset, st_clean_assessment *a)
{
    memset(a, 0, sizeof(*a));
    st_segment *const *segs;
    size_t n = st_log_segments(log, &segs);
    int64_t first_dirty = st_log_cleaner_checkpoint(log);
    a->first_dirty_offset = first_dirty;
    a->first_uncleanable_offset = n ? segs[n - 1]->base_offset : first_dirty;
    if (n < 2)
        return;
    /* Segments [0, u) are cleanable: inactive, below max_offset, and (when
     * dirty) old enough for min.compaction.lag.ms. */
    size_t u = 0;
    while (u + 1 < n) {
        int64_t upper = segs[u + 1]->base_offset;
        if (upper > max_offset)
            break;
        if (upper > first_dirty && p->min_compaction_lag_ms > 0 &&
            !older_than(st_segment_largest_timestamp(segs[u]), now_ms, p->min_compaction_lag_ms))
            break;
        u++;
    }
    a->first_uncleanable_offset = segs[u]->base_offset;
    a->cleanable_segments = (int32_t)u;
    size_t d = 0; /* the first segment holding dirty offsets */
    while (d + 1 < n && segs[d + 1]->base_offset <= first_dirty)
        d++;
    for (size_t i = 0; i < u; i++) {
        if (i < d)
            a->clean_bytes += segs[i]->size;
        else
            a->dirty_bytes += segs[i]->size;
    }
    int64_t total = a->clean_bytes + a->dirty_bytes;
    a->dirty_ratio = total > 0 ? (double)a->dirty_bytes / (double)total : 0.0;
    /* max.compaction.lag.ms: the oldest first batch among the dirty
     * inactive segments (Kafka's maxCompactionDelay). */
    int64_t earliest = INT64_MAX;
    for (size_t i = d; i + 1 < n; i++)
        if (segs[i]->first_batch_timestamp > 0 && segs[i]->first_batch_timestamp < earliest)
            earliest = segs[i]->first_batch_timestamp;
    int64_t age;
    a->forced_by_max_lag = a->dirty_bytes > 0 && earliest != INT64_MAX &&
                           !__builtin_sub_overflow(now_ms, earliest, &age) &&
                           age > p->max_compaction_lag_ms;
    int64_t horizon = st_log_cleaner_delete_horizon(log);
    a->horizon_due = horizon >= 0 && horizon <= now_ms && u > 0;
    bool by_ratio = a->dirty_bytes > 0 && a->dirty_ratio >= p->min_cleanable_ratio;
    a->due = !st_log_uncleanable(log) && (by_ratio || a->forced_by_max_lag || a->horizon_due);
}

/* ---- Jobs (prepare and finish on the loop thread) */

static void job_free(st_clean_job *job)
{
    for (size_t i = 0; i < job->nsegs; i++)
        st_segment_unref(job->segs[i].seg);
    for (size_t g = 0; g < job->ngroups; g++)
        if (job->groups[g].cleaned) {
            (void)st_segment_unlink_files(job->groups[g].cleaned);
            st_segment_unref(job->groups[g].cleaned);
        }
    free(job->groups);
    free(job->segs);
    free(job->seg_ptrs);
    free(job->dir);
    free(job);
}

st_err st_clean_job_prepare(st_log *log, const st_clean_params *p, int64_t now_ms,
                            int64_t max_offset, bool force, st_clean_job **out)
{
    *out = NULL;
    st_clean_assessment a;
    st_cleaner_assess(log, p, now_ms, max_offset, &a);
    if (a.cleanable_segments == 0 || (!force && !a.due))
        return ST_OK;
    st_clean_job *job = calloc(1, sizeof(*job));
    if (!job)
        return ST_ERR_NOMEM;
    size_t n = (size_t)a.cleanable_segments;
    job->segs = calloc(n, sizeof(*job->segs));
    job->seg_ptrs = calloc(n, sizeof(*job->seg_ptrs));
    job->dir = strdup(st_log_dir(log));
    if (!job->segs || !job->seg_ptrs || !job->dir) {
        job_free(job);
        return ST_ERR_NOMEM;
    }
    st_segment *const *segs;
    st_log_segments(log, &segs);
    for (size_t i = 0; i < n; i++) {
        st_segment_ref(segs[i]);
        job->segs[i] = (job_seg){segs[i], segs[i]->fd, segs[i]->base_offset, segs[i]->size,
                                 segs[i + 1]->base_offset, st_segment_largest_timestamp(segs[i])};
        job->seg_ptrs[i] = segs[i];
        job->nsegs++;
    }
    job->params = *p;
    job->now_ms = now_ms;
    job->cfg = *st_log_get_config(log);
    job->truncations = st_log_truncations(log);
    job->first_dirty = a.first_dirty_offset;
    job->uncleanable = a.first_uncleanable_offset;
    job->map_end = job->first_dirty;
    job->res.first_dirty_offset = job->first_dirty;
    job->res.end_offset = job->first_dirty;
    job->res.delete_horizon = -1;
    job->watch.log = log;
    atomic_init(&job->watch.closed, false);
    atomic_init(&job->cancel, false);
    st_log_set_watch(log, &job->watch);
    *out = job;
    return ST_OK;
}

static void finish_result(st_clean_job *job, st_clean_outcome outcome, st_clean_result *res)
{
    job->res.outcome = outcome;
    *res = job->res;
}

st_err st_clean_job_finish(st_clean_job *job, st_clean_result *res)
{
    st_log *log = job->watch.log;
    if (log)
        st_log_clear_watch(log, &job->watch);
    st_clean_outcome outcome;
    if (!job->ran) {
        outcome = ST_CLEAN_CANCELLED;
    } else if (!log) {
        outcome = ST_CLEAN_DISCARDED;
    } else if (job->res.err) {
        outcome = ST_CLEAN_FAILED;
        if (job->res.err == ST_ERR_CORRUPT || job->res.err == ST_ERR_MALFORMED)
            st_log_set_uncleanable(log, true);
    } else if (!job->completed) {
        outcome = ST_CLEAN_CANCELLED;
    } else {
        st_log_cleaned_group *groups = calloc(job->ngroups ? job->ngroups : 1, sizeof(*groups));
        if (!groups) {
            job->res.err = ST_ERR_NOMEM;
            finish_result(job, ST_CLEAN_FAILED, res);
            job_free(job);
            return ST_ERR_NOMEM;
        }
        for (size_t g = 0; g < job->ngroups; g++)
            groups[g] = (st_log_cleaned_group){job->groups[g].cleaned,
                                               job->seg_ptrs + job->groups[g].first,
                                               job->groups[g].count, false};
        bool stale;
        st_err err = st_log_replace_cleaned(log, job->truncations, groups, job->ngroups,
                                            job->map_end, job->res.delete_horizon, &stale);
        for (size_t g = 0; g < job->ngroups; g++)
            if (groups[g].installed)
                job->groups[g].cleaned = NULL; /* the log's now */
        free(groups);
        job->res.end_offset = job->map_end;
        if (stale) {
            outcome = ST_CLEAN_DISCARDED;
        } else if (err) {
            outcome = ST_CLEAN_FAILED;
            job->res.err = err;
            snprintf(job->res.detail, sizeof(job->res.detail), "%s", st_log_last_error(log));
        } else {
            outcome = ST_CLEAN_DONE;
        }
    }
    if (outcome != ST_CLEAN_DONE)
        job->res.end_offset = job->first_dirty;
    finish_result(job, outcome, res);
    job_free(job);
    return outcome == ST_CLEAN_FAILED ? res->err : ST_OK;
}

st_err st_log_clean(st_log *log, const st_clean_params *p, int64_t now_ms, int64_t max_offset,
                    bool force, st_clean_result *res)
{
    memset(res, 0, sizeof(*res));
    res->delete_horizon = -1;
    res->first_dirty_offset = res->end_offset = st_log_cleaner_checkpoint(log);
    st_clean_job *job;
    st_err err = st_clean_job_prepare(log, p, now_ms, max_offset, force, &job);
    if (err || !job) {
        res->outcome = err ? ST_CLEAN_FAILED : ST_CLEAN_NOTHING;
        res->err = err;
        return err;
    }
    st_clean_job_run(job);
    return st_clean_job_finish(job, res);
}

/* ---- The service */

struct st_cleaner {
    struct ev_loop *loop;
    st_cleaner_options opts;
    st_cleaner_each_fn each;
    void *ctx;
    ev_timer timer;
    ev_async done_async;
    pthread_t thread;
    sem_t wake;
    _Atomic(st_clean_job *) todo;
    _Atomic(st_clean_job *) done;
    atomic_bool stop;
    st_clean_job *inflight;     /* loop thread only */
    char inflight_name[256];
    uint64_t finished;
    st_clean_result last;
};

static void *cleaner_main(void *arg)
{
    st_cleaner *c = arg;
    for (;;) {
        while (sem_wait(&c->wake) != 0 && errno == EINTR)
            ;
        if (atomic_load(&c->stop))
            break;
        st_clean_job *job = atomic_exchange(&c->todo, NULL);
        if (!job)
            continue;
        st_clean_job_run(job);
        atomic_store(&c->done, job);
        ev_async_send(c->loop, &c->done_async);
    }
    return NULL;
}

static int64_t loop_now_ms(const st_cleaner *c)
{
    return (int64_t)(ev_now(c->loop) * 1000.0);
}

typedef struct pick {
    st_cleaner_candidate best;
    st_clean_assessment best_a;
    int rank;                   /* 2: over the ratio, 1: lag-forced or horizon, 0: none */
    int64_t now_ms;
} pick;

static void visit_candidate(void *vctx, const st_cleaner_candidate *cand)
{
    pick *pk = vctx;
    if (!cand->log)
        return;
    st_clean_assessment a;
    st_cleaner_assess(cand->log, &cand->params, pk->now_ms, cand->max_offset, &a);
    if (!a.due)
        return;
    int rank = a.dirty_bytes > 0 && a.dirty_ratio >= cand->params.min_cleanable_ratio ? 2 : 1;
    if (rank > pk->rank || (rank == pk->rank && a.dirty_ratio > pk->best_a.dirty_ratio)) {
        pk->best = *cand;
        pk->best_a = a;
        pk->rank = rank;
    }
}

static void schedule(st_cleaner *c)
{
    if (c->inflight || atomic_load(&c->stop))
        return;
    pick pk = {.now_ms = loop_now_ms(c)};
    c->each(c->ctx, visit_candidate, &pk);
    if (pk.rank == 0)
        return;
    st_clean_job *job;
    st_err err = st_clean_job_prepare(pk.best.log, &pk.best.params, pk.now_ms,
                                      pk.best.max_offset, false, &job);
    if (err || !job) {
        if (err && c->opts.logger)
            st_logf(c->opts.logger, ST_LOG_WARN, "cleaner", "%s: cannot prepare a clean: %s",
                    pk.best.name ? pk.best.name : "?", st_err_name(err));
        return;
    }
    snprintf(c->inflight_name, sizeof(c->inflight_name), "%s", pk.best.name ? pk.best.name : "?");
    if (c->opts.logger)
        st_logf(c->opts.logger, ST_LOG_DEBUG, "cleaner",
                "%s: cleaning (dirty ratio %.2f, %" PRId64 " dirty bytes%s%s)", c->inflight_name,
                pk.best_a.dirty_ratio, pk.best_a.dirty_bytes,
                pk.best_a.forced_by_max_lag ? ", max.compaction.lag.ms" : "",
                pk.best_a.horizon_due ? ", delete horizon passed" : "");
    c->inflight = job;
    atomic_store(&c->todo, job);
    sem_post(&c->wake);
}

static void report(st_cleaner *c, const st_clean_result *r)
{
    const st_logger *lg = c->opts.logger;
    if (!lg)
        return;
    switch (r->outcome) {
    case ST_CLEAN_DONE:
        st_logf(lg, ST_LOG_INFO, "cleaner",
                "%s: cleaned offsets up to %" PRId64 ": %d segment(s), %" PRId64 " -> %" PRId64
                " bytes into %d segment(s); %" PRId64 " of %" PRId64
                " records removed (%" PRId64 " tombstones)%s",
                c->inflight_name, r->end_offset, r->segments_read, r->bytes_read,
                r->bytes_written, r->segments_written, r->records_removed, r->records_read,
                r->tombstones_removed, r->map_full ? "; offset map full, more to clean" : "");
        break;
    case ST_CLEAN_DISCARDED:
        st_logf(lg, ST_LOG_INFO, "cleaner",
                "%s: clean discarded: the log changed or closed meanwhile", c->inflight_name);
        break;
    case ST_CLEAN_CANCELLED:
        st_logf(lg, ST_LOG_INFO, "cleaner", "%s: clean cancelled", c->inflight_name);
        break;
    case ST_CLEAN_FAILED:
        st_logf(lg, ST_LOG_ERROR, "cleaner", "%s: clean failed: %s", c->inflight_name,
                r->detail[0] ? r->detail : st_err_name(r->err));
        break;
    case ST_CLEAN_NOTHING:
        break;
    }
}

/* Loop thread: finishes what the thread handed back. */
static bool collect(st_cleaner *c)
{
    st_clean_job *job = atomic_exchange(&c->done, NULL);
    if (!job)
        return false;
    st_clean_result r;
    st_clean_job_finish(job, &r);
    if (job == c->inflight)
        c->inflight = NULL;
    c->finished++;
    c->last = r;
    report(c, &r);
    return r.outcome == ST_CLEAN_DONE;
}

static void on_done(struct ev_loop *loop, ev_async *w, int revents)
{
    (void)loop;
    (void)revents;
    st_cleaner *c = w->data;
    if (collect(c))
        schedule(c); /* a backlog is cleaned without waiting for the backoff */
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    schedule(w->data);
}

st_err st_cleaner_start(struct ev_loop *loop, const st_cleaner_options *opts,
                        st_cleaner_each_fn each, void *ctx, st_cleaner **out)
{
    *out = NULL;
    st_cleaner *c = calloc(1, sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    c->loop = loop;
    c->opts = *opts;
    c->each = each;
    c->ctx = ctx;
    atomic_init(&c->todo, NULL);
    atomic_init(&c->done, NULL);
    atomic_init(&c->stop, false);
    if (sem_init(&c->wake, 0, 0) != 0) {
        free(c);
        return ST_ERR_IO;
    }
    ev_async_init(&c->done_async, on_done);
    c->done_async.data = c;
    ev_async_start(loop, &c->done_async);
    double backoff = (double)(opts->backoff_ms > 0 ? opts->backoff_ms : 1) / 1000.0;
    ev_timer_init(&c->timer, on_timer, backoff, backoff);
    c->timer.data = c;
    ev_timer_start(loop, &c->timer);
    int rc = pthread_create(&c->thread, NULL, cleaner_main, c);
    if (rc != 0) {
        ev_timer_stop(loop, &c->timer);
        ev_async_stop(loop, &c->done_async);
        sem_destroy(&c->wake);
        free(c);
        errno = rc;
        return ST_ERR_IO;
    }
    *out = c;
    return ST_OK;
}

void st_cleaner_poke(st_cleaner *c)
{
    schedule(c);
}

void st_cleaner_stop(st_cleaner *c)
{
    if (!c)
        return;
    if (c->inflight)
        st_clean_job_cancel(c->inflight);
    atomic_store(&c->stop, true);
    sem_post(&c->wake);
    pthread_join(c->thread, NULL);
    collect(c);
    st_clean_job *never_ran = atomic_exchange(&c->todo, NULL);
    if (never_ran) {
        st_clean_result r;
        st_clean_job_finish(never_ran, &r);
    }
    ev_timer_stop(c->loop, &c->timer);
    ev_async_stop(c->loop, &c->done_async);
    sem_destroy(&c->wake);
    free(c);
}

uint64_t st_cleaner_finished(const st_cleaner *c)
{
    return c->finished;
}

const st_clean_result *st_cleaner_last_result(const st_cleaner *c)
{
    return &c->last;
}
