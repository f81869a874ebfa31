/* segment.c — one log segment and its indexes (see segment.h).
 *
 * Owns the segment's files and the walks over its batches. Must never use a
 * length, offset or position read from disk before checking it, never fsync
 * outside st_segment_sync, and never decide when to roll or delete. */
#include "broker/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "broker/file_io.h"
#include "common/crc32c.h"

#define RECOVERY_CHUNK ((size_t)1 << 20)

/* ---- Names and paths */

bool st_segment_parse_file_name(const char *name, int64_t *base_offset, const char **ext)
{
    uint64_t v = 0;
    for (int i = 0; i < ST_SEGMENT_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (name[ST_SEGMENT_NAME_DIGITS] != '.')
        return false;
    *base_offset = (int64_t)v;
    *ext = name + ST_SEGMENT_NAME_DIGITS + 1;
    return true;
}

bool st_segment_path(const st_segment *seg, const char *suffix, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", seg->prefix, suffix);
    return n > 0 && (size_t)n < cap;
}

bool st_segment_file(const st_segment *seg, const char *ext, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s%s", seg->prefix, ext, seg->tail);
    return n > 0 && (size_t)n < cap;
}

/* ---- Life cycle */

static st_segment *segment_alloc(const char *dir, int64_t base_offset,
                                 const st_log_config *cfg, int64_t now_ms)
{
    st_segment *seg = calloc(1, sizeof(*seg));
    if (!seg)
        return NULL;
    size_t len = strlen(dir) + 1 + ST_SEGMENT_NAME_DIGITS + 1;
    seg->prefix = malloc(len);
    if (!seg->prefix) {
        free(seg);
        return NULL;
    }
    snprintf(seg->prefix, len, "%s/%020" PRId64, dir, base_offset);
    seg->base_offset = base_offset;
    seg->next_offset = base_offset;
    seg->fd = -1;
    seg->oindex.fd = -1;
    seg->tindex.fd = -1;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = base_offset;
    seg->first_batch_timestamp = -1;
    seg->created_ms = now_ms;
    seg->index_interval_bytes = cfg->index_interval_bytes;
    seg->refs = 1;
    seg->tail = "";
    return seg;
}

static void segment_free(st_segment *seg)
{
    if (seg->fd >= 0)
        close(seg->fd);
    st_offset_index_close(&seg->oindex);
    st_time_index_close(&seg->tindex);
    free(seg->prefix);
    free(seg);
}

/* Opens the three files; create empties them first. */
static st_err open_files(st_segment *seg, const st_log_config *cfg, bool create)
{
    char path[4096];
    if (!st_segment_file(seg, ".log", path, sizeof(path)))
        return ST_ERR_TOO_LARGE;
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
    seg->fd = open(path, flags, 0644);
    if (seg->fd < 0)
        return ST_ERR_IO;
    struct stat st;
    if (fstat(seg->fd, &st) != 0)
        return ST_ERR_IO;
    seg->size = (int64_t)st.st_size;
    bool had_index, had_timeindex;
    if (!st_segment_file(seg, ".index", path, sizeof(path)))
        return ST_ERR_TOO_LARGE;
    st_err err = st_offset_index_open(&seg->oindex, path, seg->base_offset,
                                      cfg->segment_index_bytes, &had_index);
    if (err)
        return err;
    if (!st_segment_file(seg, ".timeindex", path, sizeof(path)))
        return ST_ERR_TOO_LARGE;
    err = st_time_index_open(&seg->tindex, path, seg->base_offset,
                             cfg->segment_index_bytes, &had_timeindex);
    if (err)
        return err;
    seg->indexes_existed = had_index && had_timeindex;
    if (create) {
        err = st_offset_index_reset(&seg->oindex);
        if (!err)
            err = st_time_index_reset(&seg->tindex);
        seg->dirty = true;
    }
    return err;
}

static st_err segment_start(const char *dir, int64_t base_offset, const st_log_config *cfg,
                            int64_t now_ms, bool create, const char *tail, st_segment **out)
{
    *out = NULL;
    if (base_offset < 0)
        return ST_ERR_MALFORMED;
    st_segment *seg = segment_alloc(dir, base_offset, cfg, now_ms);
    if (!seg)
        return ST_ERR_NOMEM;
    seg->tail = tail;
    st_err err = open_files(seg, cfg, create);
    if (err) {
        int saved = errno;
        segment_free(seg);
        errno = saved;
        return err;
    }
    *out = seg;
    return ST_OK;
}

st_err st_segment_create(const char *dir, int64_t base_offset, const st_log_config *cfg,
                         int64_t now_ms, st_segment **out)
{
    return segment_start(dir, base_offset, cfg, now_ms, true, "", out);
}

st_err st_segment_open(const char *dir, int64_t base_offset, const st_log_config *cfg,
                       int64_t now_ms, st_segment **out)
{
    return segment_start(dir, base_offset, cfg, now_ms, false, "", out);
}

st_err st_segment_create_cleaned(const char *dir, int64_t base_offset, const st_log_config *cfg,
                                 int64_t now_ms, st_segment **out)
{
    return segment_start(dir, base_offset, cfg, now_ms, true, ST_SEGMENT_CLEANED_TAIL, out);
}

/* Renames the file of ext from the current tail to tail. */
static st_err rename_tail(st_segment *seg, const char *ext, const char *tail)
{
    char from[4096], to[4096];
    int n = snprintf(to, sizeof(to), "%s%s%s", seg->prefix, ext, tail);
    if (!st_segment_file(seg, ext, from, sizeof(from)) || n <= 0 || (size_t)n >= sizeof(to))
        return ST_ERR_TOO_LARGE;
    return rename(from, to) == 0 ? ST_OK : ST_ERR_IO;
}

st_err st_segment_commit_swap(st_segment *seg, bool *committed)
{
    *committed = false;
    st_err err = rename_tail(seg, ".log", ST_SEGMENT_SWAP_TAIL);
    if (err)
        return err;
    *committed = true;
    /* An index left behind under ".cleaned" is removed at open and rebuilt
     * (its install rename then fails with ENOENT, also harmless). */
    st_err e1 = rename_tail(seg, ".index", ST_SEGMENT_SWAP_TAIL);
    st_err e2 = rename_tail(seg, ".timeindex", ST_SEGMENT_SWAP_TAIL);
    seg->tail = ST_SEGMENT_SWAP_TAIL;
    return e1 ? e1 : e2;
}

st_err st_segment_install_swap(st_segment *seg)
{
    st_err e1 = rename_tail(seg, ".index", "");
    st_err e2 = rename_tail(seg, ".timeindex", "");
    int saved = errno;
    st_err e3 = rename_tail(seg, ".log", "");
    if (!e3)
        seg->tail = "";
    else
        saved = errno;
    errno = saved;
    return e3 ? e3 : e1 ? e1 : e2;
}

/* A file already missing is gone; any other failure (rc != 0) is kept in
 * *err with its errno in *saved, unless an earlier one was. */
static void note_removal(int rc, st_err *err, int *saved)
{
    if (rc != 0 && errno != ENOENT && !*err) {
        *err = ST_ERR_IO;
        *saved = errno;
    }
}

/* Marks the segment deleted and reports the first failure noted. */
static st_err finish_removal(st_segment *seg, st_err err, int saved)
{
    seg->deleted = true;
    if (err)
        errno = saved;
    return err;
}

st_err st_segment_unlink_files(st_segment *seg)
{
    static const char *const exts[] = {".log", ".index", ".timeindex"};
    st_err err = ST_OK;
    int saved = 0;
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        if (!st_segment_file(seg, exts[i], path, sizeof(path)))
            return ST_ERR_TOO_LARGE;
        note_removal(unlink(path), &err, &saved);
    }
    return finish_removal(seg, err, saved);
}

int64_t st_segment_largest_timestamp(const st_segment *seg)
{
    if (seg->max_timestamp >= 0)
        return seg->max_timestamp;
    struct stat st; /* no timestamps: Kafka falls back to the file's mtime */
    if (fstat(seg->fd, &st) != 0)
        return INT64_MAX; /* unknown: never old */
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

void st_segment_ref(st_segment *seg)
{
    seg->refs++;
}

void st_segment_unref(st_segment *seg)
{
    if (seg && --seg->refs == 0)
        segment_free(seg);
}

void st_segment_set_config(st_segment *seg, const st_log_config *cfg)
{
    seg->index_interval_bytes = cfg->index_interval_bytes;
    st_offset_index_set_max_bytes(&seg->oindex, cfg->segment_index_bytes);
    st_time_index_set_max_bytes(&seg->tindex, cfg->segment_index_bytes);
}

/* ---- Raw reads */

st_err st_segment_read(const st_segment *seg, void *buf, size_t n, int64_t pos)
{
    return st_pread_full(seg->fd, buf, n, pos);
}

/* ---- Bookkeeping shared by append and recovery */

/* Notes one batch written at pos: timestamps, sparse index entries (Kafka's
 * rule: an entry when more than index_interval_bytes were written since the
 * last one), next offset. Index failures are returned but leave the index
 * valid, only sparser. */
static st_err note_batch(st_segment *seg, const st_batch_header *h, int64_t pos, int64_t size)
{
    st_err err = ST_OK;
    if (pos == 0)
        seg->first_batch_timestamp = h->max_timestamp;
    if (h->max_timestamp > seg->max_timestamp) {
        seg->max_timestamp = h->max_timestamp;
        seg->offset_of_max_timestamp = h->base_offset;
    }
    if (seg->bytes_since_index_entry > seg->index_interval_bytes) {
        st_err e1 = st_offset_index_append(&seg->oindex, h->base_offset, pos);
        st_err e2 = st_time_index_append(&seg->tindex, seg->max_timestamp,
                                         seg->offset_of_max_timestamp, false);
        err = e1 && e1 != ST_ERR_TOO_LARGE ? e1 : e2 != ST_ERR_TOO_LARGE ? e2 : ST_OK;
        seg->bytes_since_index_entry = 0;
    }
    seg->bytes_since_index_entry += size;
    seg->next_offset = st_batch_last_offset(h) + 1;
    return err;
}

static void reset_facts(st_segment *seg)
{
    seg->next_offset = seg->base_offset;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = seg->base_offset;
    seg->first_batch_timestamp = -1;
    seg->bytes_since_index_entry = 0;
}

/* Offsets must increase and fit the segment's relative int32 range. */
static bool offsets_ok(const st_segment *seg, const st_batch_header *h, int64_t min_base)
{
    if (h->base_offset < min_base || h->last_offset_delta < 0)
        return false;
    int64_t last = st_batch_last_offset(h);
    return last >= h->base_offset && last - seg->base_offset <= INT32_MAX;
}

/* ---- Header cursor */

void st_segment_cursor_init(st_segment_cursor *c, const st_segment *seg, int64_t pos,
                            int64_t expect_base)
{
    c->seg = seg;
    c->pos = pos;
    c->end = seg->size;
    c->expect_base = expect_base;
    c->min_base = seg->base_offset;
    c->block_pos = 0;
    c->block_len = 0;
}

/* Makes [pos, pos + 61) available in the block. */
static st_err cursor_fill(st_segment_cursor *c, const uint8_t **hdr)
{
    int64_t off = c->pos - c->block_pos;
    if (c->block_len && off >= 0 && (size_t)off + ST_BATCH_HEADER_SIZE <= c->block_len) {
        *hdr = c->block + off;
        return ST_OK;
    }
    int64_t left = c->end - c->pos;
    if (left < ST_BATCH_HEADER_SIZE)
        return ST_ERR_CORRUPT; /* a torn header */
    size_t n = left < (int64_t)sizeof(c->block) ? (size_t)left : sizeof(c->block);
    st_err err = st_pread_full(c->seg->fd, c->block, n, c->pos);
    if (err)
        return err == ST_ERR_TRUNCATED ? ST_ERR_CORRUPT : err;
    c->block_pos = c->pos;
    c->block_len = n;
    *hdr = c->block;
    return ST_OK;
}

st_err st_segment_cursor_seek(st_segment_cursor *c, const st_segment *seg, int64_t offset)
{
    int64_t ioff, ipos;
    st_offset_index_lookup(&seg->oindex, offset, &ioff, &ipos);
    st_segment_cursor_init(c, seg, ipos, ipos ? ioff : -1);
    if (ipos == 0)
        return ST_OK;
    const uint8_t *p;
    st_err err = cursor_fill(c, &p);
    if (err == ST_ERR_IO)
        return err;
    if (err == ST_OK && p[ST_BATCH_OFF_MAGIC] == ST_BATCH_MAGIC &&
        st_get_i64(p + ST_BATCH_OFF_BASE_OFFSET) == ioff)
        return ST_OK;
    st_segment_cursor_init(c, seg, 0, -1); /* the entry lied: walk from the start */
    return ST_OK;
}

st_err st_segment_cursor_next(st_segment_cursor *c, st_segment_batch *b, bool *done)
{
    *done = false;
    if (c->pos >= c->end) {
        *done = true;
        return ST_OK;
    }
    const uint8_t *p;
    st_err err = cursor_fill(c, &p);
    if (err)
        return err;
    st_batch_header_read(p, ST_BATCH_HEADER_SIZE, &b->header);
    const st_batch_header *h = &b->header;
    if (h->magic != ST_BATCH_MAGIC || h->batch_length < ST_BATCH_MIN_LENGTH ||
        h->record_count < 0)
        return ST_ERR_CORRUPT;
    int64_t size = (int64_t)h->batch_length + ST_BATCH_LOG_OVERHEAD;
    if (size > c->end - c->pos)
        return ST_ERR_CORRUPT;
    if (c->expect_base >= 0 && h->base_offset != c->expect_base)
        return ST_ERR_CORRUPT;
    if (!offsets_ok(c->seg, h, c->min_base))
        return ST_ERR_CORRUPT;
    c->expect_base = -1;
    c->min_base = st_batch_last_offset(h) + 1;
    b->position = c->pos;
    b->size = size;
    c->pos += size;
    return ST_OK;
}

/* ---- Clean load */

static st_err read_first_timestamp(st_segment *seg, bool *ok)
{
    uint8_t hdr[ST_BATCH_HEADER_SIZE];
    *ok = true;
    if (seg->size == 0)
        return ST_OK;
    st_err err = st_pread_full(seg->fd, hdr, sizeof(hdr), 0);
    if (err == ST_ERR_TRUNCATED) {
        *ok = false;
        return ST_OK;
    }
    if (err)
        return err;
    st_batch_header h;
    st_batch_header_read(hdr, sizeof(hdr), &h);
    seg->first_batch_timestamp = h.max_timestamp;
    return ST_OK;
}

/* Walks the batches from pos to the end (first_offset: the first one's
 * base offset, -1 when unknown), raising the largest timestamp and, with
 * set_next, setting the next offset. */
static st_err walk_to_end(st_segment *seg, int64_t pos, int64_t first_offset, bool set_next)
{
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    st_segment_cursor_init(c, seg, pos, first_offset);
    st_err err;
    for (;;) {
        st_segment_batch b;
        bool done;
        err = st_segment_cursor_next(c, &b, &done);
        if (err || done)
            break;
        if (b.header.max_timestamp > seg->max_timestamp) {
            seg->max_timestamp = b.header.max_timestamp;
            seg->offset_of_max_timestamp = b.header.base_offset;
        }
        if (set_next)
            seg->next_offset = st_batch_last_offset(&b.header) + 1;
    }
    free(c);
    return err;
}

/* Walks from the last index entry to the end: next offset, timestamps. */
static st_err load_tail(st_segment *seg, bool *ok)
{
    int64_t ioff = seg->base_offset, ipos = 0;
    bool have = st_offset_index_last(&seg->oindex, &ioff, &ipos);
    seg->bytes_since_index_entry = seg->size - ipos;
    st_err err = walk_to_end(seg, ipos, have ? ioff : -1, true);
    *ok = err == ST_OK;
    return err == ST_ERR_CORRUPT ? ST_OK : err;
}

/* The last offset index entry must name a batch with that base offset. */
static st_err check_last_entry(st_segment *seg, bool *ok)
{
    int64_t ioff, ipos;
    *ok = true;
    if (!st_offset_index_last(&seg->oindex, &ioff, &ipos))
        return ST_OK;
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    st_segment_cursor_init(c, seg, ipos, ioff);
    st_segment_batch b;
    bool done;
    st_err err = st_segment_cursor_next(c, &b, &done);
    free(c);
    *ok = err == ST_OK && !done;
    return err == ST_ERR_CORRUPT ? ST_OK : err;
}

st_err st_segment_load(st_segment *seg, int64_t next_base, bool *consistent)
{
    *consistent = false;
    reset_facts(seg);
    if (!seg->indexes_existed && seg->size > 0)
        return ST_OK;
    int64_t max_rel = INT32_MAX;
    if (next_base >= 0 && next_base - seg->base_offset - 1 < max_rel)
        max_rel = next_base - seg->base_offset - 1;
    bool ok;
    st_err err = st_offset_index_load(&seg->oindex, seg->size, max_rel, &ok);
    if (err || !ok)
        return err;
    err = st_time_index_load(&seg->tindex, max_rel, seg->size / ST_BATCH_HEADER_SIZE + 1, &ok);
    if (err || !ok)
        return err;
    if ((err = check_last_entry(seg, &ok)) || !ok)
        return err;
    if ((err = read_first_timestamp(seg, &ok)) || !ok)
        return err;
    int64_t ts, off;
    if (st_time_index_last(&seg->tindex, &ts, &off)) {
        seg->max_timestamp = ts;
        seg->offset_of_max_timestamp = off;
    }
    if (next_base < 0) {
        if ((err = load_tail(seg, &ok)) || !ok)
            return err;
    } else {
        int64_t ioff = 0, ipos = 0;
        st_offset_index_last(&seg->oindex, &ioff, &ipos);
        seg->bytes_since_index_entry = seg->size - ipos;
        seg->next_offset = seg->size ? next_base : seg->base_offset;
    }
    *consistent = true;
    return ST_OK;
}

/* ---- Recovery scan */

typedef struct recovery_scan {
    st_segment *seg;
    st_segment_batch_fn on_batch;
    void *ctx;
    int64_t min_base;          /* the next batch's base offset must be >= this */
    int64_t end_offset;        /* every offset must be below this */
    int64_t file_size;
    uint8_t *buf;              /* RECOVERY_CHUNK bytes */
    st_segment_recovery *out;
} recovery_scan;

/* Accepts one CRC-valid batch at pos, or says why not. */
static st_err accept_batch(recovery_scan *s, const st_batch_header *h, int64_t pos, int64_t size)
{
    if (!offsets_ok(s->seg, h, s->min_base) || st_batch_last_offset(h) >= s->end_offset) {
        s->out->stop_offset = h->base_offset;
        return ST_ERR_MALFORMED;
    }
    st_err err = note_batch(s->seg, h, pos, size);
    if (err == ST_ERR_IO || err == ST_ERR_NOMEM)
        return err;
    s->min_base = st_batch_last_offset(h) + 1;
    s->out->batches++;
    if (s->on_batch)
        s->on_batch(s->ctx, h);
    return ST_OK;
}

/* A batch larger than the scan buffer: header checks, then a streamed CRC. */
static st_err check_large_batch(recovery_scan *s, int64_t pos, st_batch_header *h, int64_t *size)
{
    uint8_t hdr[ST_BATCH_HEADER_SIZE];
    st_err err = st_pread_full(s->seg->fd, hdr, sizeof(hdr), pos);
    if (err)
        return err;
    st_batch_header_read(hdr, sizeof(hdr), h);
    if (h->magic != ST_BATCH_MAGIC)
        return h->magic == 0 || h->magic == 1 ? ST_ERR_UNSUPPORTED : ST_ERR_MALFORMED;
    if (h->batch_length < ST_BATCH_MIN_LENGTH || h->record_count < 0)
        return ST_ERR_MALFORMED;
    *size = (int64_t)h->batch_length + ST_BATCH_LOG_OVERHEAD;
    if (*size > s->file_size - pos)
        return ST_ERR_TRUNCATED;
    uint32_t crc = st_crc32c(0, hdr + ST_BATCH_OFF_ATTRIBUTES,
                             ST_BATCH_HEADER_SIZE - ST_BATCH_OFF_ATTRIBUTES);
    for (int64_t at = ST_BATCH_HEADER_SIZE; at < *size;) {
        size_t n = (size_t)(*size - at) < RECOVERY_CHUNK ? (size_t)(*size - at) : RECOVERY_CHUNK;
        if ((err = st_pread_full(s->seg->fd, s->buf, n, pos + at)))
            return err;
        crc = st_crc32c(crc, s->buf, n);
        at += (int64_t)n;
    }
    return crc == h->crc ? ST_OK : ST_ERR_CORRUPT;
}

/* Scans the chunk at *pos; advances *pos past accepted batches. Returns
 * ST_OK to continue, or why the scan stops (stored in out->stop). */
static st_err scan_chunk(recovery_scan *s, int64_t *pos, bool *stop)
{
    size_t n = s->file_size - *pos < (int64_t)RECOVERY_CHUNK ? (size_t)(s->file_size - *pos)
                                                              : RECOVERY_CHUNK;
    st_err err = st_pread_full(s->seg->fd, s->buf, n, *pos);
    if (err)
        return err == ST_ERR_TRUNCATED ? ST_ERR_IO : err;
    st_batch_iter it;
    st_batch_iter_init(&it, s->buf, n, true);
    st_batch b;
    st_batch_status status;
    while ((status = st_batch_iter_next(&it, &b)) == ST_BATCH_OK) {
        int64_t at = *pos + (int64_t)(b.data - s->buf);
        if ((err = accept_batch(s, &b.header, at, (int64_t)b.size))) {
            *stop = true;
            s->out->stop = err;
            *pos = at;
            return err == ST_ERR_IO || err == ST_ERR_NOMEM ? err : ST_OK;
        }
    }
    size_t used = st_batch_iter_offset(&it);
    *pos += (int64_t)used;
    if (status == ST_BATCH_END || (status == ST_BATCH_INCOMPLETE && used > 0))
        return ST_OK;
    if (status == ST_BATCH_ERROR || *pos + (int64_t)n >= s->file_size) {
        *stop = true; /* a bad batch, or the file ends inside one */
        s->out->stop = status == ST_BATCH_ERROR ? it.err : ST_ERR_TRUNCATED;
        if (n - used >= ST_BATCH_OFF_LENGTH)
            s->out->stop_offset = st_get_i64(s->buf + used);
        return ST_OK;
    }
    st_batch_header h;
    int64_t size = 0;
    err = check_large_batch(s, *pos, &h, &size);
    if (err == ST_OK)
        err = accept_batch(s, &h, *pos, size);
    if (err == ST_ERR_IO || err == ST_ERR_NOMEM)
        return err;
    if (err) {
        *stop = true;
        s->out->stop = err;
        s->out->stop_offset = h.base_offset;
        return ST_OK;
    }
    *pos += size;
    return ST_OK;
}

st_err st_segment_recover(st_segment *seg, int64_t min_offset, int64_t end_offset,
                          st_segment_batch_fn on_batch, void *ctx, st_segment_recovery *out)
{
    memset(out, 0, sizeof(*out));
    out->stop_offset = -1;
    struct stat st;
    if (fstat(seg->fd, &st) != 0)
        return ST_ERR_IO;
    recovery_scan s = {
        .seg = seg, .on_batch = on_batch, .ctx = ctx,
        .min_base = min_offset > seg->base_offset ? min_offset : seg->base_offset,
        .end_offset = end_offset,
        .file_size = (int64_t)st.st_size, .out = out,
    };
    st_err err = st_offset_index_reset(&seg->oindex);
    if (!err)
        err = st_time_index_reset(&seg->tindex);
    if (err)
        return err;
    reset_facts(seg);
    seg->dirty = true;
    if (!(s.buf = malloc(RECOVERY_CHUNK)))
        return ST_ERR_NOMEM;
    int64_t pos = 0;
    bool stop = false;
    while (!err && !stop && pos < s.file_size)
        err = scan_chunk(&s, &pos, &stop);
    free(s.buf);
    if (err)
        return err;
    out->valid_bytes = pos;
    out->truncated_bytes = s.file_size - pos;
    seg->size = pos;
    if (out->truncated_bytes && ftruncate(seg->fd, (off_t)pos) != 0)
        return ST_ERR_IO;
    return ST_OK;
}

/* ---- Append */

st_err st_segment_append(st_segment *seg, const uint8_t *batches, size_t n)
{
    if (n == 0)
        return ST_OK;
    if ((uint64_t)seg->size + n > INT32_MAX)
        return ST_ERR_TOO_LARGE;
    st_err err = st_pwrite_full(seg->fd, batches, n, seg->size);
    if (err) {
        int saved = errno;
        if (ftruncate(seg->fd, (off_t)seg->size) != 0) { /* best effort */ }
        errno = saved;
        return err;
    }
    st_batch_iter it;
    st_batch_iter_init(&it, batches, n, false);
    st_batch b;
    while (st_batch_iter_next(&it, &b) == ST_BATCH_OK)
        (void)note_batch(seg, &b.header, seg->size + (int64_t)(b.data - batches), (int64_t)b.size);
    seg->size += (int64_t)n;
    seg->dirty = true;
    return ST_OK;
}

st_err st_segment_finalize(st_segment *seg)
{
    if (seg->max_timestamp < 0 || seg->size == 0)
        return ST_OK;
    st_err err = st_time_index_append(&seg->tindex, seg->max_timestamp,
                                      seg->offset_of_max_timestamp, true);
    if (!err)
        seg->dirty = true;
    return err;
}

/* ---- Lookups */

st_err st_segment_find(const st_segment *seg, int64_t offset, st_segment_batch *out,
                       bool *found)
{
    *found = false;
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    st_err err = st_segment_cursor_seek(c, seg, offset);
    while (!err) {
        bool done;
        err = st_segment_cursor_next(c, out, &done);
        if (err || done)
            break;
        if (st_batch_last_offset(&out->header) >= offset) {
            *found = true;
            break;
        }
    }
    free(c);
    return err;
}

/* Largest timestamp of the batches from the last time index entry on. */
static st_err reload_max_timestamp(st_segment *seg)
{
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = seg->base_offset;
    int64_t ts, off, ioff, ipos = 0;
    if (st_time_index_last(&seg->tindex, &ts, &off)) {
        seg->max_timestamp = ts;
        seg->offset_of_max_timestamp = off;
        st_offset_index_lookup(&seg->oindex, off, &ioff, &ipos);
    }
    return walk_to_end(seg, ipos, -1, false);
}

st_err st_segment_truncate_to(st_segment *seg, int64_t offset)
{
    st_segment_batch b;
    bool found;
    st_err err = st_segment_find(seg, offset, &b, &found);
    if (err || !found)
        return err;
    if (ftruncate(seg->fd, (off_t)b.position) != 0)
        return ST_ERR_IO;
    seg->size = b.position;
    seg->dirty = true;
    int64_t cut = b.header.base_offset;
    seg->next_offset = b.position == 0 ? seg->base_offset : (cut < offset ? cut : offset);
    if ((err = st_offset_index_truncate(&seg->oindex, cut)) ||
        (err = st_time_index_truncate(&seg->tindex, cut)))
        return err;
    int64_t ioff = 0, ipos = 0;
    st_offset_index_last(&seg->oindex, &ioff, &ipos);
    seg->bytes_since_index_entry = seg->size - ipos;
    if (seg->size == 0)
        seg->first_batch_timestamp = -1;
    return reload_max_timestamp(seg);
}

st_err st_segment_sync(st_segment *seg)
{
    if (fdatasync(seg->fd) != 0)
        return ST_ERR_IO;
    st_err err = st_offset_index_sync(&seg->oindex);
    if (!err)
        err = st_time_index_sync(&seg->tindex);
    return err;
}

st_err st_segment_remove_files(st_segment *seg)
{
    static const char *const suffixes[] = {".log", ".index", ".timeindex"};
    char path[4096], gone[4096];
    st_err err = ST_OK;
    int saved = 0;
    for (size_t i = 0; i < 3; i++) {
        char deleted_suffix[32];
        snprintf(deleted_suffix, sizeof(deleted_suffix), "%s.deleted", suffixes[i]);
        if (!st_segment_path(seg, suffixes[i], path, sizeof(path)) ||
            !st_segment_path(seg, deleted_suffix, gone, sizeof(gone)))
            return ST_ERR_TOO_LARGE;
        note_removal(rename(path, gone), &err, &saved);
        note_removal(unlink(gone), &err, &saved);
    }
    return finish_removal(seg, err, saved);
}

/* ---- Timestamp searches */

/* Stored batches were accepted with known codecs and sane records: failing
 * to decode one now means damage (or a batch inflating past the bound). */
static st_err as_damage(st_err err)
{
    return err == ST_OK || err == ST_ERR_NOMEM || err == ST_ERR_IO ? err : ST_ERR_CORRUPT;
}

typedef struct batch_reader {
    st_buf bytes;
    st_record_iter it;
    bool open;
} batch_reader;

/* Reads a whole batch and starts iterating its records. */
static st_err open_batch(const st_segment *seg, const st_segment_batch *sb, batch_reader *r)
{
    st_buf_reset(&r->bytes);
    uint8_t *p = st_buf_extend(&r->bytes, (size_t)sb->size);
    if (!p)
        return ST_ERR_NOMEM;
    st_err err = st_pread_full(seg->fd, p, (size_t)sb->size, sb->position);
    if (err)
        return err == ST_ERR_TRUNCATED ? ST_ERR_CORRUPT : err;
    st_batch batch;
    err = st_batch_parse(p, (size_t)sb->size, false, &batch);
    if (err)
        return ST_ERR_CORRUPT;
    r->open = true;
    return as_damage(st_record_iter_init(&r->it, &batch, ST_SEGMENT_MAX_DECOMPRESSED));
}

static void close_batch(batch_reader *r)
{
    if (r->open)
        st_record_iter_free(&r->it);
    r->open = false;
}

/* The first record of the batch with offset >= min_offset and timestamp >= ts. */
static st_err search_batch(const st_segment *seg, const st_segment_batch *sb, int64_t ts,
                           int64_t min_offset, batch_reader *r, st_segment_record_hit *hit,
                           bool *found)
{
    st_err err = open_batch(seg, sb, r);
    st_record rec;
    while (!err && st_record_iter_next(&r->it, &rec)) {
        if (rec.offset >= min_offset && rec.timestamp >= ts) {
            hit->offset = rec.offset;
            hit->timestamp = rec.timestamp;
            hit->leader_epoch = sb->header.partition_leader_epoch;
            *found = true;
            break;
        }
    }
    if (!err && !*found && r->it.err)
        err = as_damage(r->it.err);
    close_batch(r);
    return err;
}

st_err st_segment_find_timestamp(const st_segment *seg, int64_t ts, int64_t min_offset,
                                 st_segment_record_hit *hit, bool *found)
{
    *found = false;
    int64_t start = st_time_index_lookup(&seg->tindex, ts);
    if (start < min_offset)
        start = min_offset;
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    batch_reader r = {.open = false};
    st_buf_init(&r.bytes);
    st_err err = st_segment_cursor_seek(c, seg, start);
    while (!err) {
        st_segment_batch b;
        bool done;
        err = st_segment_cursor_next(c, &b, &done);
        if (err || done)
            break;
        if (st_batch_last_offset(&b.header) < min_offset || b.header.max_timestamp < ts)
            continue;
        err = search_batch(seg, &b, ts, min_offset, &r, hit, found);
        if (err || *found)
            break;
    }
    st_buf_free(&r.bytes);
    free(c);
    return err;
}

st_err st_segment_max_timestamp_record(const st_segment *seg, st_segment_record_hit *hit,
                                       bool *found)
{
    *found = false;
    if (seg->size == 0 || seg->max_timestamp < 0)
        return ST_OK;
    st_segment_batch b;
    bool have;
    st_err err = st_segment_find(seg, seg->offset_of_max_timestamp, &b, &have);
    if (err || !have)
        return err;
    if (b.header.max_timestamp != seg->max_timestamp) /* stale facts: search properly */
        return st_segment_find_timestamp(seg, seg->max_timestamp, seg->base_offset, hit, found);
    batch_reader r = {.open = false};
    st_buf_init(&r.bytes);
    err = search_batch(seg, &b, seg->max_timestamp, b.header.base_offset, &r, hit, found);
    st_buf_free(&r.bytes);
    if (!err && !*found) { /* a header that claims more than its records: name the batch */
        hit->offset = b.header.base_offset;
        hit->timestamp = b.header.max_timestamp;
        hit->leader_epoch = b.header.partition_leader_epoch;
        *found = true;
    }
    return err;
}
