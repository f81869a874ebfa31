/* log.c — one partition's log (see log.h).
 *
 * Owns the partition directory: the ordered segment list (the last one is
 * the active segment), the log start offset, the recovery point, the leader
 * epoch cache and their checkpoint files, and every policy: when to roll,
 * what retention deletes, where recovery cuts. Must never trust what it
 * reads from disk, never fsync outside flush/close/checkpoint writes/open
 * repairs, and never reuse an offset. */
#include "broker/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "broker/file_io.h"

#define LOG_START_FILE "log-start-offset"
#define RECOVERY_POINT_FILE "recovery-point"
#define EPOCH_FILE "leader-epoch-checkpoint"
#define CLEANER_FILE "cleaner-checkpoint"
#define CHECKPOINT_MAX_BYTES ((size_t)64 << 20)

struct st_log {
    char *dir;
    int dir_fd;
    st_log_config cfg;
    st_segment **segs;          /* by base offset; segs[nsegs - 1] is active */
    size_t nsegs;
    size_t cap;
    int64_t log_start_offset;
    int64_t persisted_log_start; /* value in LOG_START_FILE, -1 when absent */
    int64_t recovery_point;
    int64_t size_bytes;
    int64_t empty_end_offset;   /* the log end offset while nsegs == 0 (after a failure) */
    int64_t clock_ms;           /* the latest now_ms a caller gave (for new segments) */
    st_epoch_cache epochs;
    int64_t unflushed_records;
    int64_t last_flush_ms;
    bool flush_requested;       /* a segment was rolled since the last flush */
    bool dir_dirty;             /* files created or removed since the last flush */
    /* Compaction (log_cleaner.h): the cleaner checkpoint (-1: never cleaned)
     * and the earliest delete horizon of the tombstones it kept (-1: none),
     * as in CLEANER_FILE; truncations counts st_log_truncate_* calls so that
     * a clean prepared before one is discarded; watch is the cleaner's job
     * in flight, told when the log closes. */
    int64_t clean_offset;
    int64_t clean_horizon;
    uint64_t truncations;
    st_log_watch *watch;
    bool uncleanable;
    char error[256];
    char flush_error[256];
};

/* ---- Errors with context */

static st_err fail_into(char *buf, size_t cap, st_err err, const char *fmt, va_list ap)
{
    int saved = errno;
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n >= 0 && (size_t)n < cap && err == ST_ERR_IO)
        snprintf(buf + n, cap - (size_t)n, ": %s", strerror(saved));
    else if (n >= 0 && (size_t)n < cap && err != ST_ERR_TOO_LARGE) /* messages say why */
        snprintf(buf + n, cap - (size_t)n, ": %s", st_err_name(err));
    errno = saved;
    return err;
}

static st_err fail(st_log *log, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static st_err fail(st_log *log, st_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_into(log->error, sizeof(log->error), err, fmt, ap);
    va_end(ap);
    return err;
}

static st_err fail_flush(st_log *log, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static st_err fail_flush(st_log *log, st_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_into(log->flush_error, sizeof(log->flush_error), err, fmt, ap);
    va_end(ap);
    return err;
}

/* ---- Config */

st_err st_log_config_check(const st_log_config *cfg)
{
    bool ok = cfg->segment_bytes >= 14 && cfg->segment_bytes <= INT32_MAX &&
              cfg->segment_ms >= 1 && cfg->index_interval_bytes >= 0 &&
              cfg->segment_index_bytes >= 4 &&
              cfg->flush_interval_messages >= 1 && cfg->flush_interval_ms >= 0;
    return ok ? ST_OK : ST_ERR_MALFORMED;
}

/* ---- Small helpers */

static st_segment *active(const st_log *log)
{
    return log->nsegs ? log->segs[log->nsegs - 1] : NULL;
}

int64_t st_log_end_offset(const st_log *log)
{
    return log->nsegs ? active(log)->next_offset : log->empty_end_offset;
}

int64_t st_log_start_offset(const st_log *log) { return log->log_start_offset; }
int64_t st_log_size_bytes(const st_log *log) { return log->size_bytes; }
int64_t st_log_recovery_point(const st_log *log) { return log->recovery_point; }
int32_t st_log_segment_count(const st_log *log) { return (int32_t)log->nsegs; }
int32_t st_log_latest_epoch(const st_log *log) { return st_epoch_cache_latest(&log->epochs); }
const char *st_log_dir(const st_log *log) { return log->dir; }
const char *st_log_last_error(const st_log *log) { return log->error; }
const char *st_log_flush_error(const st_log *log) { return log->flush_error; }

int64_t st_log_active_segment_base(const st_log *log)
{
    return log->nsegs ? active(log)->base_offset : log->empty_end_offset;
}

static st_err push_segment(st_log *log, st_segment *seg)
{
    if (log->nsegs == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 16;
        st_segment **p = realloc(log->segs, cap * sizeof(*p));
        if (!p)
            return ST_ERR_NOMEM;
        log->segs = p;
        log->cap = cap;
    }
    log->segs[log->nsegs++] = seg;
    return ST_OK;
}

/* Index of the last segment with base offset <= offset (0 when none). */
static size_t segment_for(const st_log *log, int64_t offset)
{
    size_t lo = 0, hi = log->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

static void recount_size(st_log *log)
{
    log->size_bytes = 0;
    for (size_t i = 0; i < log->nsegs; i++)
        log->size_bytes += log->segs[i]->size;
}

static const char *seg_name(const st_segment *seg)
{
    const char *slash = strrchr(seg->prefix, '/');
    return slash ? slash + 1 : seg->prefix;
}

/* Removes segs[from, from + count) from the list, deletes their files and
 * drops the log's references (ranges may keep them readable). */
static st_err delete_segments(st_log *log, size_t from, size_t count)
{
    st_err err = ST_OK;
    for (size_t i = from; i < from + count; i++) {
        st_segment *seg = log->segs[i];
        st_err e = st_segment_remove_files(seg);
        if (e && !err)
            err = fail(log, e, "deleting segment %s", seg_name(seg));
        st_segment_unref(seg);
    }
    memmove(log->segs + from, log->segs + from + count,
            (log->nsegs - from - count) * sizeof(*log->segs));
    log->nsegs -= count;
    log->dir_dirty = true;
    recount_size(log);
    return err;
}

/* ---- Checkpoint files */

static bool dir_path(const st_log *log, const char *name, const char *suffix, char *out,
                     size_t cap)
{
    int n = snprintf(out, cap, "%s/%s%s", log->dir, name, suffix);
    return n > 0 && (size_t)n < cap;
}

/* name.tmp, fsync, rename over name, fsync the directory. */
static st_err write_checkpoint_into(st_log *log, const char *name, const void *data, size_t n,
                                    char *why, size_t why_cap)
{
    char tmp[4096], path[4096];
    if (!dir_path(log, name, ".tmp", tmp, sizeof(tmp)) ||
        !dir_path(log, name, "", path, sizeof(path))) {
        snprintf(why, why_cap, "%s/%s: path too long", log->dir, name);
        return ST_ERR_TOO_LARGE;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    st_err err = fd < 0 ? ST_ERR_IO : st_pwrite_full(fd, data, n, 0);
    if (!err && fsync(fd) != 0)
        err = ST_ERR_IO;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && !err) {
        saved = errno;
        err = ST_ERR_IO;
    }
    if (!err && rename(tmp, path) != 0) {
        saved = errno;
        err = ST_ERR_IO;
    }
    if (!err && fsync(log->dir_fd) != 0) {
        saved = errno;
        err = ST_ERR_IO;
    }
    if (err) {
        unlink(tmp);
        snprintf(why, why_cap, "writing %.200s: %s", path, strerror(saved));
        errno = saved;
    }
    return err;
}

static st_err write_checkpoint(st_log *log, const char *name, const void *data, size_t n)
{
    return write_checkpoint_into(log, name, data, n, log->error, sizeof(log->error));
}

static st_err write_offset_file(st_log *log, const char *name, int64_t value)
{
    char text[64];
    int n = snprintf(text, sizeof(text), "0\n%" PRId64 "\n", value);
    return write_checkpoint(log, name, text, (size_t)n);
}

static st_err remove_file(st_log *log, const char *name)
{
    char path[4096];
    if (!dir_path(log, name, "", path, sizeof(path)))
        return ST_ERR_TOO_LARGE;
    if (unlink(path) != 0 && errno != ENOENT)
        return fail(log, ST_ERR_IO, "removing %s", path);
    log->dir_dirty = true;
    return ST_OK;
}

/* Reads a whole small file; *exists false (ST_OK) when it is absent. */
static st_err read_small_file(st_log *log, const char *name, st_buf *out, bool *exists)
{
    char path[4096];
    *exists = false;
    if (!dir_path(log, name, "", path, sizeof(path)))
        return ST_ERR_TOO_LARGE;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ST_OK : fail(log, ST_ERR_IO, "opening %s", path);
    *exists = true;
    st_err err = ST_OK;
    for (;;) {
        uint8_t *p = st_buf_extend(out, 4096);
        if (!p) {
            err = ST_ERR_NOMEM;
            break;
        }
        out->len -= 4096;
        ssize_t r = read(fd, p, 4096);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = fail(log, ST_ERR_IO, "reading %s", path);
            break;
        }
        if (r == 0)
            break;
        out->len += (size_t)r;
        if (out->len > CHECKPOINT_MAX_BYTES) {
            out->len = 0; /* absurdly large: treat as garbage */
            break;
        }
    }
    close(fd);
    return err;
}

/* "0\n<offset>\n" -> *value; false when it does not parse. */
static bool parse_offset_file(const st_buf *b, int64_t *value)
{
    char text[64];
    if (b->len == 0 || b->len >= sizeof(text))
        return false;
    memcpy(text, b->data, b->len);
    text[b->len] = '\0';
    if (strncmp(text, "0\n", 2) != 0)
        return false;
    const char *p = text + 2;
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (strcmp(p, "\n") != 0)
        return false;
    *value = v;
    return true;
}

/* Reads an offset checkpoint: -1 when absent or bad (bad ones counted). */
static st_err read_offset_file(st_log *log, const char *name, int64_t *value,
                               st_log_open_info *info)
{
    st_buf b;
    st_buf_init(&b);
    bool exists;
    *value = -1;
    st_err err = read_small_file(log, name, &b, &exists);
    if (!err && exists && !parse_offset_file(&b, value)) {
        *value = -1;
        info->bad_checkpoints++;
    }
    st_buf_free(&b);
    return err;
}

static st_err persist_epochs(st_log *log)
{
    st_buf b;
    st_buf_init(&b);
    st_epoch_cache_encode(&log->epochs, &b);
    st_err err = b.err ? b.err : write_checkpoint(log, EPOCH_FILE, b.data, b.len);
    st_buf_free(&b);
    return err;
}

static st_err persist_log_start(st_log *log)
{
    if (log->persisted_log_start == log->log_start_offset)
        return ST_OK;
    st_err err = write_offset_file(log, LOG_START_FILE, log->log_start_offset);
    if (!err)
        log->persisted_log_start = log->log_start_offset;
    return err;
}

/* After retention: only needed when the file would now say too little or
 * too much (the effective start is max(file, first segment base)). */
static st_err maybe_persist_log_start(st_log *log)
{
    int64_t first_base = log->nsegs ? log->segs[0]->base_offset : log->log_start_offset;
    if (log->log_start_offset == first_base && log->persisted_log_start <= first_base)
        return ST_OK;
    return persist_log_start(log);
}

static st_err lower_recovery_point(st_log *log, int64_t offset)
{
    if (log->recovery_point <= offset)
        return ST_OK;
    log->recovery_point = offset;
    return write_offset_file(log, RECOVERY_POINT_FILE, offset);
}

/* CLEANER_FILE: "0\n<clean offset>\n<delete horizon>\n". */
static st_err persist_cleaner(st_log *log)
{
    char text[96];
    int n = snprintf(text, sizeof(text), "0\n%" PRId64 "\n%" PRId64 "\n", log->clean_offset,
                     log->clean_horizon);
    return write_checkpoint(log, CLEANER_FILE, text, (size_t)n);
}

/* Parses one decimal integer (a leading '-' allowed) ending at '\n'. */
static bool parse_line_i64(const char **p, const char *end, int64_t *out)
{
    const char *q = *p;
    bool neg = q < end && *q == '-';
    if (neg)
        q++;
    if (q >= end || *q < '0' || *q > '9')
        return false;
    int64_t v = 0;
    for (; q < end && *q >= '0' && *q <= '9'; q++) {
        if (v > (INT64_MAX - (*q - '0')) / 10)
            return false;
        v = v * 10 + (*q - '0');
    }
    if (q >= end || *q != '\n')
        return false;
    *out = neg ? -v : v;
    *p = q + 1;
    return true;
}

static st_err read_cleaner_checkpoint(st_log *log, st_log_open_info *info)
{
    st_buf b;
    st_buf_init(&b);
    bool exists;
    log->clean_offset = log->clean_horizon = -1;
    st_err err = read_small_file(log, CLEANER_FILE, &b, &exists);
    if (!err && exists) {
        const char *p = (const char *)b.data, *end = p + b.len;
        int64_t version, offset, horizon;
        if (b.len && parse_line_i64(&p, end, &version) && version == 0 &&
            parse_line_i64(&p, end, &offset) && parse_line_i64(&p, end, &horizon) && p == end &&
            offset >= -1 && horizon >= -1) {
            log->clean_offset = offset;
            log->clean_horizon = horizon;
        } else {
            info->bad_checkpoints++;
        }
    }
    st_buf_free(&b);
    return err;
}

/* Truncation below the cleaner checkpoint moves it back (the offsets above
 * will hold new, uncleaned data). */
static st_err lower_cleaner_checkpoint(st_log *log, int64_t offset)
{
    log->truncations++;
    if (log->clean_offset <= offset)
        return ST_OK;
    log->clean_offset = offset;
    return persist_cleaner(log);
}

/* ---- Opening: the directory listing */

typedef struct base_list {
    int64_t *v;
    size_t n;
    size_t cap;
} base_list;

typedef struct dir_listing {
    base_list logs;    /* base offsets with a .log */
    base_list indexes; /* base offsets with an .index or .timeindex */
    base_list swaps;   /* base offsets with a .log.swap (a committed clean) */
    base_list index_swaps; /* base offsets with an .index.swap or .timeindex.swap */
} dir_listing;

static st_err add_base(base_list *l, int64_t base)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        int64_t *p = realloc(l->v, cap * sizeof(*p));
        if (!p)
            return ST_ERR_NOMEM;
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = base;
    return ST_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Leftovers of this file's own interrupted work: a segment file renamed
 * for deletion, a checkpoint's temporary file. Others' files are left. */
static bool is_leftover(const char *name)
{
    int64_t base;
    const char *ext;
    if (st_segment_parse_file_name(name, &base, &ext))
        return ends_with(ext, ".deleted") || ends_with(ext, ST_SEGMENT_CLEANED_TAIL);
    return strcmp(name, LOG_START_FILE ".tmp") == 0 ||
           strcmp(name, RECOVERY_POINT_FILE ".tmp") == 0 ||
           strcmp(name, EPOCH_FILE ".tmp") == 0 || strcmp(name, CLEANER_FILE ".tmp") == 0;
}

/* Sorts segment files out and removes leftovers of interrupted work. */
static st_err list_dir(st_log *log, dir_listing *l)
{
    DIR *d = opendir(log->dir);
    if (!d)
        return fail(log, ST_ERR_IO, "listing %s", log->dir);
    st_err err = ST_OK;
    struct dirent *e;
    while (!err && (e = readdir(d)) != NULL) {
        int64_t base;
        const char *ext;
        if (is_leftover(e->d_name)) {
            if (unlinkat(log->dir_fd, e->d_name, 0) != 0 && errno != ENOENT)
                err = fail(log, ST_ERR_IO, "removing %s/%s", log->dir, e->d_name);
            log->dir_dirty = true;
        } else if (st_segment_parse_file_name(e->d_name, &base, &ext)) {
            if (strcmp(ext, "log") == 0)
                err = add_base(&l->logs, base);
            else if (strcmp(ext, "index") == 0 || strcmp(ext, "timeindex") == 0)
                err = add_base(&l->indexes, base);
            else if (strcmp(ext, "log" ST_SEGMENT_SWAP_TAIL) == 0)
                err = add_base(&l->swaps, base);
            else if (strcmp(ext, "index" ST_SEGMENT_SWAP_TAIL) == 0 ||
                     strcmp(ext, "timeindex" ST_SEGMENT_SWAP_TAIL) == 0)
                err = add_base(&l->index_swaps, base);
        }
    }
    closedir(d);
    if (l->logs.n)
        qsort(l->logs.v, l->logs.n, sizeof(int64_t), cmp_i64);
    if (l->swaps.n)
        qsort(l->swaps.v, l->swaps.n, sizeof(int64_t), cmp_i64);
    return err;
}

/* ---- Opening: completing a swap a crash interrupted (see segment.h) */

static bool has_base(const base_list *l, int64_t base)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == base)
            return true;
    return false;
}

/* The last offset of the whole batches at the start of a .log.swap file
 * (base - 1 when it holds none). It was fsync'd before its commit; a header
 * that does not make sense still ends the walk rather than being trusted. */
static st_err swap_last_offset(st_log *log, int64_t base, int64_t *last)
{
    char name[64];
    snprintf(name, sizeof(name), "%020" PRId64 ".log" ST_SEGMENT_SWAP_TAIL, base);
    int fd = openat(log->dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(log, ST_ERR_IO, "opening %s/%s", log->dir, name);
    struct stat st;
    st_err err = fstat(fd, &st) == 0 ? ST_OK : fail(log, ST_ERR_IO, "stat of %s", name);
    *last = base - 1;
    for (int64_t pos = 0; !err && pos + ST_BATCH_HEADER_SIZE <= (int64_t)st.st_size;) {
        uint8_t hdr[ST_BATCH_HEADER_SIZE];
        ssize_t r = pread(fd, hdr, sizeof(hdr), (off_t)pos);
        if (r != (ssize_t)sizeof(hdr))
            break;
        st_batch_header h;
        st_batch_header_read(hdr, sizeof(hdr), &h);
        int64_t size = (int64_t)h.batch_length + ST_BATCH_LOG_OVERHEAD;
        if (h.magic != ST_BATCH_MAGIC || h.batch_length < ST_BATCH_MIN_LENGTH ||
            h.last_offset_delta < 0 || size > (int64_t)st.st_size - pos ||
            h.base_offset <= *last || h.base_offset < base)
            break;
        *last = st_batch_last_offset(&h);
        pos += size;
    }
    close(fd);
    return err;
}

static st_err unlink_name(st_log *log, const char *name)
{
    if (unlinkat(log->dir_fd, name, 0) != 0 && errno != ENOENT)
        return fail(log, ST_ERR_IO, "removing %s/%s", log->dir, name);
    log->dir_dirty = true;
    return ST_OK;
}

static st_err rename_name(st_log *log, const char *from, const char *to, bool *moved)
{
    *moved = false;
    if (renameat(log->dir_fd, from, log->dir_fd, to) == 0) {
        *moved = true;
        log->dir_dirty = true;
        return ST_OK;
    }
    return errno == ENOENT ? ST_OK : fail(log, ST_ERR_IO, "renaming %s/%s", log->dir, from);
}

/* A committed clean of base X: the segments its offsets cover (every base
 * in [X, its last offset]) are removed, then its files take their final
 * names, indexes first (Kafka's .swap recovery). Idempotent: a crash in
 * the middle of this repeats it at the next open. */
static st_err complete_swap(st_log *log, dir_listing *l, int64_t x, st_log_open_info *info)
{
    int64_t last = x - 1;
    st_err err = swap_last_offset(log, x, &last);
    if (err)
        return err;
    static const char *const exts[] = {"log", "index", "timeindex"};
    size_t kept = 0;
    for (size_t i = 0; i < l->logs.n; i++) {
        int64_t b = l->logs.v[i];
        if (b < x || b > (last > x ? last : x)) {
            l->logs.v[kept++] = b;
            continue;
        }
        for (size_t k = 0; k < 3 && !err; k++) {
            char name[64];
            snprintf(name, sizeof(name), "%020" PRId64 ".%s", b, exts[k]);
            err = unlink_name(log, name);
        }
    }
    l->logs.n = kept;
    for (size_t k = 1; k < 3 && !err; k++) { /* indexes first; none swapped: rebuilt */
        char from[96], to[96];
        bool moved;
        snprintf(to, sizeof(to), "%020" PRId64 ".%s", x, exts[k]);
        snprintf(from, sizeof(from), "%020" PRId64 ".%s" ST_SEGMENT_SWAP_TAIL, x, exts[k]);
        err = unlink_name(log, to);
        if (!err)
            err = rename_name(log, from, to, &moved);
    }
    if (!err) { /* the .log last: while it is there the swap is pending */
        char from[96], to[96];
        bool moved;
        snprintf(to, sizeof(to), "%020" PRId64 ".log", x);
        snprintf(from, sizeof(from), "%020" PRId64 ".log" ST_SEGMENT_SWAP_TAIL, x);
        err = rename_name(log, from, to, &moved);
    }
    if (!err)
        err = add_base(&l->logs, x);
    if (!err)
        info->swaps_completed++;
    return err;
}

static st_err complete_swaps(st_log *log, dir_listing *l, st_log_open_info *info)
{
    st_err err = ST_OK;
    for (size_t i = 0; !err && i < l->swaps.n; i++)
        err = complete_swap(log, l, l->swaps.v[i], info);
    /* Swapped indexes whose .log was installed already: stale, removed. */
    for (size_t i = 0; !err && i < l->index_swaps.n; i++) {
        int64_t b = l->index_swaps.v[i];
        if (has_base(&l->swaps, b))
            continue;
        char name[64];
        snprintf(name, sizeof(name), "%020" PRId64 ".index" ST_SEGMENT_SWAP_TAIL, b);
        err = unlink_name(log, name);
        snprintf(name, sizeof(name), "%020" PRId64 ".timeindex" ST_SEGMENT_SWAP_TAIL, b);
        if (!err)
            err = unlink_name(log, name);
    }
    if (!err && l->swaps.n) {
        qsort(l->logs.v, l->logs.n, sizeof(int64_t), cmp_i64);
        if (fsync(log->dir_fd) != 0) /* an open repair: durable before anything else */
            err = fail(log, ST_ERR_IO, "fsync of %s", log->dir);
    }
    return err;
}

/* Index files whose .log is gone (an interrupted deletion). */
static st_err remove_orphan_indexes(st_log *log, const dir_listing *l)
{
    for (size_t i = 0; i < l->indexes.n; i++) {
        int64_t base = l->indexes.v[i];
        if (l->logs.n && bsearch(&base, l->logs.v, l->logs.n, sizeof(int64_t), cmp_i64))
            continue;
        char name[64];
        snprintf(name, sizeof(name), "%020" PRId64 ".index", base);
        st_err err = remove_file(log, name);
        snprintf(name, sizeof(name), "%020" PRId64 ".timeindex", base);
        if (!err)
            err = remove_file(log, name);
        if (err)
            return err;
    }
    return ST_OK;
}

/* ---- Opening: segments */

typedef struct open_state {
    st_log *log;
    bool clean;
    int64_t now_ms;
    int64_t file_log_start;     /* -1 when absent */
    int64_t file_recovery_point;
    bool epochs_ok;             /* the checkpoint parsed */
    st_log_open_info *info;
} open_state;

/* Recovery sees a batch: an epoch newer than any recorded starts here. */
static void note_epoch(void *ctx, const st_batch_header *h)
{
    st_epoch_cache *c = ctx;
    bool changed;
    if (h->partition_leader_epoch >= 0 && h->partition_leader_epoch > st_epoch_cache_latest(c))
        (void)st_epoch_cache_assign(c, h->partition_leader_epoch, h->base_offset, &changed);
}

static const char *stop_reason(st_err stop)
{
    switch (stop) {
    case ST_ERR_TRUNCATED: return "torn batch";
    case ST_ERR_CORRUPT: return "CRC mismatch";
    case ST_ERR_MALFORMED: return "malformed batch or offsets out of order";
    case ST_ERR_UNSUPPORTED: return "not a v2 batch";
    default: return st_err_name(stop);
    }
}

/* Re-validates segs[i]; returns whether it had to be cut. */
static st_err recover_segment(open_state *s, size_t i, bool *cut)
{
    st_log *log = s->log;
    st_segment *seg = log->segs[i];
    int64_t min_offset = i ? log->segs[i - 1]->next_offset : seg->base_offset;
    int64_t end_offset = i + 1 < log->nsegs ? log->segs[i + 1]->base_offset : INT64_MAX;
    st_segment_recovery rec;
    st_err err = st_segment_recover(seg, min_offset, end_offset, note_epoch, &log->epochs, &rec);
    if (err)
        return fail(log, err, "recovering segment %s", seg_name(seg));
    s->info->recovered = true;
    s->info->segments_scanned++;
    s->info->batches_scanned += rec.batches;
    *cut = rec.stop != ST_OK;
    if (*cut) {
        s->info->truncated_bytes += rec.truncated_bytes;
        if (!s->info->detail[0])
            snprintf(s->info->detail, sizeof(s->info->detail),
                     "%s.log: %s at position %" PRId64 " (batch offset %" PRId64
                     "): cut %" PRId64 " bytes",
                     seg_name(seg), stop_reason(rec.stop), rec.valid_bytes, rec.stop_offset,
                     rec.truncated_bytes);
    }
    return ST_OK;
}

/* Drops every segment after segs[i] (the log was cut inside segs[i]). */
static st_err drop_after(open_state *s, size_t i)
{
    st_log *log = s->log;
    size_t count = log->nsegs - i - 1;
    if (count == 0)
        return ST_OK;
    s->info->segments_dropped += (int32_t)count;
    for (size_t k = i + 1; k < log->nsegs; k++)
        s->info->dropped_bytes += log->segs[k]->size;
    return delete_segments(log, i + 1, count);
}

/* First segment to re-validate after an unclean shutdown: the one holding
 * the recovery point (and everything after it). */
static size_t first_unflushed(const st_log *log, int64_t recovery_point)
{
    for (size_t i = 0; i < log->nsegs; i++)
        if (i + 1 == log->nsegs || log->segs[i + 1]->base_offset > recovery_point)
            return i;
    return 0;
}

static st_err open_segments(open_state *s, const dir_listing *l)
{
    st_log *log = s->log;
    for (size_t i = 0; i < l->logs.n; i++) {
        st_segment *seg;
        st_err err = st_segment_open(log->dir, l->logs.v[i], &log->cfg, s->now_ms, &seg);
        if (err)
            return fail(log, err, "opening segment %s/%020" PRId64 ".log", log->dir,
                        l->logs.v[i]);
        if ((err = push_segment(log, seg))) {
            st_segment_unref(seg);
            return err;
        }
    }
    return ST_OK;
}

static st_err load_segments(open_state *s)
{
    st_log *log = s->log;
    int64_t rp = s->file_recovery_point < 0 ? 0 : s->file_recovery_point;
    size_t scan_from = s->clean ? log->nsegs : first_unflushed(log, rp);
    for (size_t i = 0; i < log->nsegs; i++) {
        st_segment *seg = log->segs[i];
        bool last = i + 1 == log->nsegs, cut = false, ok = false;
        st_err err = ST_OK;
        if (i < scan_from) {
            err = st_segment_load(seg, last ? -1 : log->segs[i + 1]->base_offset, &ok);
            if (err)
                return fail(log, err, "loading segment %s", seg_name(seg));
            if (ok)
                continue;
            s->info->indexes_rebuilt++;
        }
        if ((err = recover_segment(s, i, &cut)))
            return err;
        if (i >= scan_from && cut) /* unclean: nothing after a bad batch survives */
            return drop_after(s, i);
        if (!last && (err = st_segment_finalize(seg))) /* as when it was rolled */
            return fail(log, err, "final time index entry of %s", seg_name(seg));
    }
    return ST_OK;
}

/* Every batch header of the log, to rebuild a lost epoch checkpoint. Best
 * effort: a damaged header ends that segment's walk (reads will report the
 * damage); only I/O errors fail. */
static st_err rebuild_epochs(open_state *s)
{
    st_log *log = s->log;
    st_epoch_cache_clear(&log->epochs);
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    st_err err = ST_OK;
    for (size_t i = 0; !err && i < log->nsegs; i++) {
        st_segment_cursor_init(c, log->segs[i], 0, -1);
        for (;;) {
            st_segment_batch b;
            bool done;
            err = st_segment_cursor_next(c, &b, &done);
            if (err || done)
                break;
            note_epoch(&log->epochs, &b.header);
        }
        if (err == ST_ERR_CORRUPT && !s->info->detail[0])
            snprintf(s->info->detail, sizeof(s->info->detail),
                     "%s.log: damaged batch header at position %" PRId64
                     " while rebuilding leader epochs", seg_name(log->segs[i]), c->pos);
        if (err == ST_ERR_CORRUPT)
            err = ST_OK;
        else if (err)
            err = fail(log, err, "rebuilding leader epochs from %s", seg_name(log->segs[i]));
    }
    free(c);
    return err;
}

static st_err load_epochs(open_state *s)
{
    st_log *log = s->log;
    st_buf b;
    st_buf_init(&b);
    bool exists;
    st_err err = read_small_file(log, EPOCH_FILE, &b, &exists);
    s->epochs_ok = false;
    if (!err && exists) {
        s->epochs_ok = st_epoch_cache_decode(&log->epochs, (const char *)b.data, b.len) == ST_OK;
        if (!s->epochs_ok)
            s->info->bad_checkpoints++;
    }
    st_buf_free(&b);
    return err;
}

/* Epochs after the segments settled: rebuild when lost, trim to the log. */
static st_err settle_epochs(open_state *s)
{
    st_log *log = s->log;
    bool changed = false;
    if (!s->epochs_ok && log->size_bytes > 0) {
        st_err err = rebuild_epochs(s);
        if (err)
            return err;
        s->info->epoch_cache_rebuilt = true;
        changed = true;
    }
    changed |= st_epoch_cache_truncate_from_end(&log->epochs, st_log_end_offset(log));
    changed |= st_epoch_cache_truncate_from_start(&log->epochs, log->log_start_offset);
    return changed ? persist_epochs(log) : ST_OK;
}

static st_err settle_offsets(open_state *s)
{
    st_log *log = s->log;
    int64_t end = st_log_end_offset(log);
    int64_t start = log->segs[0]->base_offset;
    if (s->file_log_start > start)
        start = s->file_log_start;
    log->log_start_offset = start < end ? start : end;
    log->persisted_log_start = s->file_log_start;
    /* A file saying more than the log holds (it was cut) must not survive:
     * a later unclean open would trust unflushed segments. */
    log->recovery_point = s->file_recovery_point < 0 ? 0 : s->file_recovery_point;
    st_err err = lower_recovery_point(log, end);
    if (!err && s->clean)
        log->recovery_point = end; /* the clean shutdown flushed everything */
    return err;
}

static st_err load_log(open_state *s)
{
    st_log *log = s->log;
    dir_listing l = {0};
    st_err err = list_dir(log, &l);
    if (!err)
        err = complete_swaps(log, &l, s->info);
    if (!err)
        err = remove_orphan_indexes(log, &l);
    if (!err)
        err = read_cleaner_checkpoint(log, s->info);
    if (!err)
        err = read_offset_file(log, LOG_START_FILE, &s->file_log_start, s->info);
    if (!err)
        err = read_offset_file(log, RECOVERY_POINT_FILE, &s->file_recovery_point, s->info);
    if (!err)
        err = load_epochs(s);
    if (!err)
        err = open_segments(s, &l);
    free(l.logs.v);
    free(l.indexes.v);
    free(l.swaps.v);
    free(l.index_swaps.v);
    if (!err)
        err = load_segments(s);
    if (!err && log->nsegs == 0) {
        st_segment *seg;
        int64_t base = s->file_log_start > 0 ? s->file_log_start : 0;
        err = st_segment_create(log->dir, base, &log->cfg, s->now_ms, &seg);
        if (err)
            err = fail(log, err, "creating the first segment in %s", log->dir);
        else if ((err = push_segment(log, seg)))
            st_segment_unref(seg);
        log->dir_dirty = true;
    }
    if (err)
        return err;
    recount_size(log);
    if ((err = settle_offsets(s)))
        return err;
    return settle_epochs(s);
}

static void free_log(st_log *log)
{
    for (size_t i = 0; i < log->nsegs; i++)
        st_segment_unref(log->segs[i]);
    free(log->segs);
    st_epoch_cache_free(&log->epochs);
    if (log->dir_fd >= 0)
        close(log->dir_fd);
    free(log->dir);
    free(log);
}

static void fill_info(const st_log *log, st_log_open_info *info)
{
    info->segments = (int32_t)log->nsegs;
    info->log_start_offset = log->log_start_offset;
    info->log_end_offset = st_log_end_offset(log);
    info->recovery_point = log->recovery_point;
    if (info->truncated_bytes || info->segments_dropped)
        info->truncated_to_offset = info->log_end_offset;
}

st_err st_log_open(const char *dir, const st_log_config *cfg, bool clean_shutdown,
                   int64_t now_ms, st_log **out, st_log_open_info *info)
{
    *out = NULL;
    memset(info, 0, sizeof(*info));
    info->truncated_to_offset = -1;
    if (st_log_config_check(cfg)) {
        snprintf(info->detail, sizeof(info->detail), "%s: invalid log config", dir);
        return ST_ERR_MALFORMED;
    }
    st_log *log = calloc(1, sizeof(*log));
    if (!log || !(log->dir = strdup(dir))) {
        free(log);
        return ST_ERR_NOMEM;
    }
    log->cfg = *cfg;
    log->last_flush_ms = now_ms;
    log->clock_ms = now_ms;
    log->clean_offset = log->clean_horizon = -1;
    st_epoch_cache_init(&log->epochs);
    log->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    open_state s = {.log = log, .clean = clean_shutdown, .now_ms = now_ms, .info = info};
    st_err err = log->dir_fd < 0 ? fail(log, ST_ERR_IO, "opening directory %s", dir)
                                 : load_log(&s);
    if (err) {
        snprintf(info->detail, sizeof(info->detail), "%s", log->error);
        free_log(log);
        return err;
    }
    fill_info(log, info);
    *out = log;
    return ST_OK;
}

st_err st_log_set_config(st_log *log, const st_log_config *cfg)
{
    if (st_log_config_check(cfg))
        return fail(log, ST_ERR_MALFORMED, "%s: invalid log config", log->dir);
    log->cfg = *cfg;
    for (size_t i = 0; i < log->nsegs; i++)
        st_segment_set_config(log->segs[i], cfg);
    return ST_OK;
}

/* ---- Flush and close */

bool st_log_flush_due(const st_log *log, int64_t now_ms)
{
    if (log->flush_requested)
        return true;
    if (log->unflushed_records == 0)
        return false;
    return log->unflushed_records >= log->cfg.flush_interval_messages ||
           now_ms - log->last_flush_ms >= log->cfg.flush_interval_ms;
}

st_err st_log_flush(st_log *log, int64_t now_ms)
{
    int64_t end = st_log_end_offset(log);
    for (size_t i = 0; i < log->nsegs; i++) {
        st_segment *seg = log->segs[i];
        if (!seg->dirty)
            continue;
        st_err err = st_segment_sync(seg);
        if (err)
            return fail_flush(log, err, "fsync of segment %s", seg_name(seg));
        seg->dirty = false;
    }
    if (log->dir_dirty) {
        if (fsync(log->dir_fd) != 0)
            return fail_flush(log, ST_ERR_IO, "fsync of %s", log->dir);
        log->dir_dirty = false;
    }
    log->unflushed_records = 0;
    log->last_flush_ms = now_ms;
    log->flush_requested = false;
    if (log->recovery_point == end)
        return ST_OK;
    char text[64];
    int n = snprintf(text, sizeof(text), "0\n%" PRId64 "\n", end);
    st_err err = write_checkpoint_into(log, RECOVERY_POINT_FILE, text, (size_t)n,
                                       log->flush_error, sizeof(log->flush_error));
    if (!err)
        log->recovery_point = end;
    return err;
}

st_err st_log_close(st_log *log)
{
    if (!log)
        return ST_OK;
    st_log_set_watch(log, NULL);
    st_err err = ST_OK;
    if (log->nsegs) {
        err = st_segment_finalize(active(log));
        if (err)
            fail(log, err, "final time index entry of %s", seg_name(active(log)));
    }
    st_err ferr = st_log_flush(log, log->last_flush_ms);
    if (!err)
        err = ferr;
    free_log(log);
    return err;
}

/* ---- Append */

/* Why a new segment is needed before appending n bytes ending at last_offset. */
static bool should_roll(const st_log *log, size_t n, int64_t max_ts, int64_t last_offset,
                        int64_t now_ms)
{
    const st_segment *seg = active(log);
    if (seg->size == 0)
        return false;
    if ((uint64_t)seg->size + n > (uint64_t)log->cfg.segment_bytes)
        return true;
    if (st_segment_index_full(seg) || last_offset - seg->base_offset > INT32_MAX)
        return true;
    int64_t from = seg->first_batch_timestamp >= 0 ? seg->first_batch_timestamp : seg->created_ms;
    int64_t to = seg->first_batch_timestamp >= 0 ? max_ts : now_ms;
    int64_t waited;
    if (__builtin_sub_overflow(to, from, &waited))
        return false;
    return waited > log->cfg.segment_ms;
}

static st_err roll(st_log *log, int64_t now_ms)
{
    st_segment *old = active(log);
    if (old->size == 0)
        return ST_OK;
    st_err err = st_segment_finalize(old);
    if (err)
        return fail(log, err, "final time index entry of %s", seg_name(old));
    st_segment *seg;
    err = st_segment_create(log->dir, old->next_offset, &log->cfg, now_ms, &seg);
    if (err)
        return fail(log, err, "creating segment %020" PRId64 " in %s", old->next_offset,
                    log->dir);
    if ((err = push_segment(log, seg))) {
        st_segment_unref(seg);
        return err;
    }
    log->dir_dirty = true;
    log->flush_requested = true;
    return ST_OK;
}

/* What a first pass over the batches learns (before anything is edited). */
typedef struct append_plan {
    int32_t batches;
    int64_t records;
    int64_t first_offset;
    int64_t last_offset;
    int64_t max_timestamp;
} append_plan;

static st_err plan_append(st_log *log, const uint8_t *batches, size_t n,
                          const st_log_append_opts *opts, append_plan *plan)
{
    int64_t next = st_log_end_offset(log);
    *plan = (append_plan){.first_offset = -1, .last_offset = -1, .max_timestamp = -1};
    st_batch_iter it;
    st_batch_iter_init(&it, batches, n, false);
    st_batch b;
    st_batch_status status;
    while ((status = st_batch_iter_next(&it, &b)) == ST_BATCH_OK) {
        const st_batch_header *h = &b.header;
        if ((int64_t)b.size > log->cfg.segment_bytes)
            return fail(log, ST_ERR_TOO_LARGE, "%s: a %zu-byte batch exceeds segment.bytes",
                        log->dir, b.size);
        if (h->last_offset_delta < 0)
            return fail(log, ST_ERR_MALFORMED, "%s: negative lastOffsetDelta", log->dir);
        int64_t base = opts->assign_offsets ? next : h->base_offset;
        if (base < next)
            return fail(log, ST_ERR_MALFORMED,
                        "%s: batch offset %" PRId64 " below the log end %" PRId64, log->dir,
                        base, next);
        if (plan->first_offset < 0)
            plan->first_offset = base;
        next = base + h->last_offset_delta + 1;
        plan->last_offset = next - 1;
        plan->batches++;
        plan->records += h->record_count;
        int64_t ts = opts->log_append_time ? opts->now_ms : h->max_timestamp;
        if (ts > plan->max_timestamp)
            plan->max_timestamp = ts;
    }
    if (status != ST_BATCH_END || plan->batches == 0)
        return fail(log, ST_ERR_MALFORMED, "%s: append of %zu bytes that are not whole batches",
                    log->dir, n);
    if (plan->last_offset - plan->first_offset > INT32_MAX)
        return fail(log, ST_ERR_TOO_LARGE, "%s: append spans too many offsets", log->dir);
    return ST_OK;
}

/* Offsets, epoch and LogAppendTime, in place. */
static st_err stamp_batches(uint8_t *batches, size_t n, const st_log_append_opts *opts,
                            int64_t first_offset)
{
    int64_t next = first_offset;
    for (size_t pos = 0; pos < n;) {
        uint8_t *p = batches + pos;
        size_t size = (size_t)st_get_i32(p + ST_BATCH_OFF_LENGTH) + ST_BATCH_LOG_OVERHEAD;
        if (opts->assign_offsets) {
            st_batch_set_base_offset(p, next);
            st_batch_set_partition_leader_epoch(p, opts->leader_epoch);
            next += (int64_t)st_get_i32(p + ST_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        }
        if (opts->log_append_time) {
            st_err err = st_batch_set_max_timestamp(p, size, true, opts->now_ms);
            if (err)
                return err;
        }
        pos += size;
    }
    return ST_OK;
}

/* New epochs seen in appended batches (Kafka assigns per batch). */
static st_err record_epochs(st_log *log, const uint8_t *batches, size_t n)
{
    bool changed_any = false;
    st_batch_iter it;
    st_batch_iter_init(&it, batches, n, false);
    st_batch b;
    while (st_batch_iter_next(&it, &b) == ST_BATCH_OK) {
        bool changed;
        st_err err = st_epoch_cache_assign(&log->epochs, b.header.partition_leader_epoch,
                                           b.header.base_offset, &changed);
        if (err)
            return err;
        changed_any |= changed;
    }
    return changed_any ? persist_epochs(log) : ST_OK;
}

st_err st_log_append(st_log *log, uint8_t *batches, size_t n, const st_log_append_opts *opts,
                     st_log_append_result *res)
{
    memset(res, 0, sizeof(*res));
    res->first_offset = res->last_offset = res->log_append_time = res->max_timestamp = -1;
    if (!log->nsegs)
        return fail(log, ST_ERR_IO, "%s: the log has no segment after an earlier failure",
                    log->dir);
    log->clock_ms = opts->now_ms;
    append_plan plan;
    st_err err = plan_append(log, batches, n, opts, &plan);
    if (err)
        return err;
    if ((err = stamp_batches(batches, n, opts, plan.first_offset)))
        return fail(log, err, "%s: stamping batches", log->dir);
    if (should_roll(log, n, plan.max_timestamp, plan.last_offset, opts->now_ms)) {
        if ((err = roll(log, opts->now_ms)))
            return err;
        res->rolled = true;
    }
    if ((err = st_segment_append(active(log), batches, n)))
        return fail(log, err, "appending to segment %s", seg_name(active(log)));
    log->size_bytes += (int64_t)n;
    log->unflushed_records += plan.records;
    res->first_offset = plan.first_offset;
    res->last_offset = plan.last_offset;
    res->log_append_time = opts->log_append_time ? opts->now_ms : -1;
    res->max_timestamp = plan.max_timestamp;
    res->log_start_offset = log->log_start_offset;
    res->batches = plan.batches;
    res->records = plan.records;
    res->flush_due = st_log_flush_due(log, opts->now_ms);
    return record_epochs(log, batches, n); /* the data is in; only the checkpoint can fail */
}

/* ---- Fetch */

static const st_log_range empty_range = {.segment = NULL, .fd = -1, .first_offset = -1};

/* Extends *end over the batches from the cursor on while they end below
 * max_offset and within limit. */
static st_err walk_to_limit(st_segment_cursor *c, int64_t max_offset, int64_t limit,
                            int64_t *end)
{
    for (;;) {
        st_segment_batch b;
        bool done;
        st_err err = st_segment_cursor_next(c, &b, &done);
        if (err || done || st_batch_last_offset(&b.header) >= max_offset ||
            b.position + b.size > limit)
            return err;
        *end = b.position + b.size;
    }
}

/* End of the range that starts with batch first (see st_log_read). Jumps
 * over whole batches with the offset index: the batches before an entry
 * (ioff, ipos) all end below ioff. The entry's claim is checked (a batch
 * with base offset ioff starts at ipos) before it is believed. Damage met
 * after the first batch ends the range there (the next read reports it). */
static st_err range_end(const st_segment *seg, const st_segment_batch *first, int64_t max_offset,
                        int32_t max_bytes, int64_t *end)
{
    int64_t limit = first->position + (max_bytes > 0 ? max_bytes : 0);
    *end = first->position + first->size;
    if (max_offset >= seg->next_offset && seg->size <= limit) {
        *end = seg->size; /* everything that follows is eligible and fits */
        return ST_OK;
    }
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    int64_t ioff, ipos, jumped;
    bool jump = st_offset_index_floor(&seg->oindex, limit, max_offset, &ioff, &ipos) &&
                ipos > *end;
    st_err err = ST_OK;
    if (jump) {
        st_segment_cursor_init(c, seg, ipos, ioff);
        jumped = ipos;
        err = walk_to_limit(c, max_offset, limit, &jumped);
        if (c->pos > ipos) /* the entry named a real batch */
            *end = jumped;
        else
            jump = false;
    }
    if (!jump && err != ST_ERR_IO && err != ST_ERR_NOMEM) {
        st_segment_cursor_init(c, seg, *end, -1);
        err = walk_to_limit(c, max_offset, limit, end);
    }
    free(c);
    return err == ST_ERR_CORRUPT ? ST_OK : err;
}

st_err st_log_read(st_log *log, int64_t offset, int64_t max_offset, int32_t max_bytes,
                   bool min_one_batch, st_log_range *range)
{
    *range = empty_range;
    int64_t end = st_log_end_offset(log);
    if (offset < log->log_start_offset || offset > end)
        return fail(log, ST_LOG_OUT_OF_RANGE,
                    "%s: offset %" PRId64 " outside [%" PRId64 ", %" PRId64 "]", log->dir,
                    offset, log->log_start_offset, end);
    if (offset == end || offset >= max_offset)
        return ST_OK;
    for (size_t i = segment_for(log, offset); i < log->nsegs; i++) {
        st_segment *seg = log->segs[i];
        st_segment_batch first;
        bool found;
        st_err err = st_segment_find(seg, offset, &first, &found);
        if (err)
            return fail(log, err, "finding offset %" PRId64 " in %s", offset, seg_name(seg));
        if (!found)
            continue;
        if (st_batch_last_offset(&first.header) >= max_offset ||
            (first.size > max_bytes && !min_one_batch))
            return ST_OK;
        int64_t stop;
        if ((err = range_end(seg, &first, max_offset, max_bytes, &stop)))
            return fail(log, err, "reading %s", seg_name(seg));
        st_segment_ref(seg);
        range->segment = seg;
        range->fd = seg->fd;
        range->position = first.position;
        range->length = stop - first.position;
        range->first_offset = first.header.base_offset;
        return ST_OK;
    }
    return ST_OK;
}

void st_log_range_release(st_log_range *range)
{
    if (range->segment)
        st_segment_unref(range->segment);
    *range = empty_range;
}

st_err st_log_range_pread(const st_log_range *range, void *buf, size_t n, int64_t off)
{
    if (off < 0 || (uint64_t)off + n > (uint64_t)range->length)
        return ST_ERR_TRUNCATED;
    if (n == 0)
        return ST_OK;
    return st_segment_read(range->segment, buf, n, range->position + off);
}

/* ---- ListOffsets */

static void fill_lookup(st_log_timestamp_lookup *out, const st_segment_record_hit *hit)
{
    out->found = true;
    out->offset = hit->offset;
    out->timestamp = hit->timestamp;
    out->leader_epoch = hit->leader_epoch;
}

static const st_log_timestamp_lookup not_found = {false, -1, -1, -1};

st_err st_log_offset_for_timestamp(st_log *log, int64_t ts, st_log_timestamp_lookup *out)
{
    *out = not_found;
    for (size_t i = segment_for(log, log->log_start_offset); i < log->nsegs; i++) {
        st_segment *seg = log->segs[i];
        if (seg->size == 0 || seg->max_timestamp < ts)
            continue;
        st_segment_record_hit hit;
        bool found;
        st_err err = st_segment_find_timestamp(seg, ts, log->log_start_offset, &hit, &found);
        if (err)
            return fail(log, err, "searching timestamp %" PRId64 " in %s", ts, seg_name(seg));
        if (found) {
            fill_lookup(out, &hit);
            return ST_OK;
        }
    }
    return ST_OK;
}

st_err st_log_max_timestamp(st_log *log, st_log_timestamp_lookup *out)
{
    *out = not_found;
    st_segment *best = NULL;
    for (size_t i = 0; i < log->nsegs; i++)
        if (log->segs[i]->size && (!best || log->segs[i]->max_timestamp > best->max_timestamp))
            best = log->segs[i];
    if (!best)
        return ST_OK;
    st_segment_record_hit hit;
    bool found;
    st_err err = st_segment_max_timestamp_record(best, &hit, &found);
    if (err)
        return fail(log, err, "finding the largest timestamp in %s", seg_name(best));
    if (found)
        fill_lookup(out, &hit);
    return ST_OK;
}

/* ---- Retention */

/* The log start offset moved up to at least the first segment's base. */
static st_err advance_log_start(st_log *log, int64_t start)
{
    if (start <= log->log_start_offset)
        return ST_OK;
    log->log_start_offset = start;
    st_err err = maybe_persist_log_start(log);
    if (!err && st_epoch_cache_truncate_from_start(&log->epochs, start))
        err = persist_epochs(log);
    return err;
}

static int64_t segment_timestamp(const st_segment *seg)
{
    return st_segment_largest_timestamp(seg);
}

/* Offsets held by segs[i] end below this. */
static int64_t segment_upper_bound(const st_log *log, size_t i)
{
    return i + 1 < log->nsegs ? log->segs[i + 1]->base_offset : st_log_end_offset(log);
}

static size_t count_expired_by_time(const st_log *log, int64_t now_ms, int64_t hw)
{
    if (log->cfg.retention_ms < 0)
        return 0;
    size_t k = 0;
    while (k < log->nsegs) {
        const st_segment *seg = log->segs[k];
        if ((k + 1 == log->nsegs && seg->size == 0) || segment_upper_bound(log, k) > hw)
            break;
        int64_t age;
        if (__builtin_sub_overflow(now_ms, segment_timestamp(seg), &age) ||
            age <= log->cfg.retention_ms)
            break;
        k++;
    }
    return k;
}

static size_t count_over_size(const st_log *log, int64_t hw)
{
    if (log->cfg.retention_bytes < 0)
        return 0;
    int64_t diff = log->size_bytes - log->cfg.retention_bytes;
    size_t k = 0;
    while (k + 1 < log->nsegs && segment_upper_bound(log, k) <= hw &&
           diff - log->segs[k]->size >= 0) {
        diff -= log->segs[k]->size;
        k++;
    }
    return k;
}

static st_err delete_oldest(st_log *log, size_t k, st_log_retention_result *res)
{
    if (k == 0)
        return ST_OK;
    for (size_t i = 0; i < k; i++)
        res->bytes_deleted += log->segs[i]->size;
    res->segments_deleted += (int32_t)k;
    int64_t new_start = log->segs[k]->base_offset;
    st_err err = delete_segments(log, 0, k);
    st_err e2 = advance_log_start(log, new_start);
    return err ? err : e2;
}

st_err st_log_apply_retention(st_log *log, int64_t now_ms, int64_t high_watermark,
                              st_log_retention_result *res)
{
    memset(res, 0, sizeof(*res));
    if (!log->nsegs)
        return fail(log, ST_ERR_IO, "%s: no segment", log->dir);
    log->clock_ms = now_ms;
    size_t k = count_expired_by_time(log, now_ms, high_watermark);
    st_err err = ST_OK;
    if (k == log->nsegs) { /* even the active segment: roll first */
        if ((err = roll(log, now_ms)))
            return err;
        res->rolled = true;
    }
    err = delete_oldest(log, k, res);
    if (!err)
        err = delete_oldest(log, count_over_size(log, high_watermark), res);
    res->log_start_offset = log->log_start_offset;
    return err;
}

/* ---- DeleteRecords and truncation */

st_err st_log_delete_records_before(st_log *log, int64_t offset)
{
    int64_t end = st_log_end_offset(log);
    if (offset > end || offset < 0)
        return fail(log, ST_LOG_OUT_OF_RANGE,
                    "%s: DeleteRecords offset %" PRId64 " beyond the log end %" PRId64, log->dir,
                    offset, end);
    if (offset <= log->log_start_offset)
        return ST_OK;
    log->log_start_offset = offset;
    st_err err = persist_log_start(log); /* before any file goes, as Kafka does */
    if (err)
        return err;
    size_t k = 0;
    while (k + 1 < log->nsegs && log->segs[k + 1]->base_offset <= offset)
        k++;
    if (k && (err = delete_segments(log, 0, k)))
        return err;
    if (st_epoch_cache_truncate_from_start(&log->epochs, offset))
        err = persist_epochs(log);
    return err;
}

st_err st_log_truncate_fully_and_start_at(st_log *log, int64_t offset)
{
    if (offset < 0)
        return fail(log, ST_ERR_MALFORMED, "%s: negative offset %" PRId64, log->dir, offset);
    log->truncations++;
    st_err err = delete_segments(log, 0, log->nsegs);
    log->empty_end_offset = offset;
    st_segment *seg;
    st_err cerr = st_segment_create(log->dir, offset, &log->cfg, log->clock_ms, &seg);
    if (cerr)
        return fail(log, cerr, "creating segment %020" PRId64 " in %s", offset, log->dir);
    if ((cerr = push_segment(log, seg))) {
        st_segment_unref(seg);
        return cerr;
    }
    log->size_bytes = 0;
    log->log_start_offset = offset;
    log->recovery_point = offset;
    st_epoch_cache_clear(&log->epochs);
    st_err e2 = persist_log_start(log);
    if (!e2)
        e2 = write_offset_file(log, RECOVERY_POINT_FILE, offset);
    if (!e2)
        e2 = persist_epochs(log);
    if (!e2)
        e2 = lower_cleaner_checkpoint(log, offset);
    return err ? err : e2;
}

st_err st_log_truncate_to(st_log *log, int64_t offset)
{
    if (!log->nsegs)
        return fail(log, ST_ERR_IO, "%s: no segment", log->dir);
    if (offset < 0)
        return fail(log, ST_ERR_MALFORMED, "%s: negative offset %" PRId64, log->dir, offset);
    if (offset >= st_log_end_offset(log))
        return ST_OK;
    if (offset < log->segs[0]->base_offset)
        return st_log_truncate_fully_and_start_at(log, offset);
    st_err cerr = lower_cleaner_checkpoint(log, offset);
    if (cerr)
        return cerr;
    size_t keep = segment_for(log, offset) + 1;
    st_err err = delete_segments(log, keep, log->nsegs - keep);
    st_segment *seg = active(log);
    st_err terr = st_segment_truncate_to(seg, offset);
    recount_size(log);
    if (terr)
        return fail(log, terr, "truncating segment %s", seg_name(seg));
    int64_t end = st_log_end_offset(log);
    if (st_epoch_cache_truncate_from_end(&log->epochs, offset) && !err) /* Kafka's bound */
        err = persist_epochs(log);
    if (offset < log->log_start_offset) {
        log->log_start_offset = offset;
        if (!err)
            err = maybe_persist_log_start(log);
    }
    if (!err)
        err = lower_recovery_point(log, end);
    return err;
}

/* ---- Leader epochs */

st_err st_log_assign_epoch(st_log *log, int32_t epoch, int64_t start_offset)
{
    bool changed;
    st_err err = st_epoch_cache_assign(&log->epochs, epoch, start_offset, &changed);
    if (!err && changed)
        err = persist_epochs(log);
    return err;
}

st_err st_log_end_offset_for_epoch(st_log *log, int32_t epoch, int32_t *found_epoch,
                                   int64_t *end_offset)
{
    st_epoch_cache_end_offset_for(&log->epochs, epoch, st_log_end_offset(log), found_epoch,
                                  end_offset);
    return ST_OK;
}

/* ---- Scanning */

static st_err deliver(st_log *log, const st_segment *seg, const st_segment_batch *b,
                      st_log_batch_fn cb, void *ctx, st_buf *bytes)
{
    if (!st_batch_is_control(&b->header))
        return cb(ctx, &b->header, NULL);
    st_buf_reset(bytes);
    uint8_t *p = st_buf_extend(bytes, (size_t)b->size);
    if (!p)
        return ST_ERR_NOMEM;
    st_err err = st_segment_read(seg, p, (size_t)b->size, b->position);
    st_batch batch;
    if (!err)
        err = st_batch_parse(p, (size_t)b->size, false, &batch);
    if (err)
        return fail(log, err == ST_ERR_IO ? err : ST_ERR_CORRUPT,
                    "reading control batch at %" PRId64 " in %s", b->position, seg_name(seg));
    return cb(ctx, &b->header, &batch);
}

st_err st_log_scan_batches(st_log *log, int64_t from_offset, st_log_batch_fn cb, void *ctx)
{
    st_segment_cursor *c = malloc(sizeof(*c));
    if (!c)
        return ST_ERR_NOMEM;
    st_buf bytes;
    st_buf_init(&bytes);
    st_err err = ST_OK;
    for (size_t i = segment_for(log, from_offset); !err && i < log->nsegs; i++) {
        st_segment *seg = log->segs[i];
        if ((err = st_segment_cursor_seek(c, seg, from_offset))) {
            err = fail(log, err, "scanning %s", seg_name(seg));
            break;
        }
        for (;;) {
            st_segment_batch b;
            bool done;
            err = st_segment_cursor_next(c, &b, &done);
            if (err) {
                err = fail(log, err, "scanning %s", seg_name(seg));
                break;
            }
            if (done)
                break;
            if (st_batch_last_offset(&b.header) < from_offset)
                continue;
            if ((err = deliver(log, seg, &b, cb, ctx, &bytes)))
                break;
        }
    }
    st_buf_free(&bytes);
    free(c);
    return err;
}

/* ---- Compaction support (log_cleaner.h) */

size_t st_log_segments(const st_log *log, st_segment *const **segs)
{
    *segs = log->segs;
    return log->nsegs;
}

const st_log_config *st_log_get_config(const st_log *log)
{
    return &log->cfg;
}

uint64_t st_log_truncations(const st_log *log)
{
    return log->truncations;
}

int64_t st_log_cleaner_checkpoint(const st_log *log)
{
    int64_t c = log->clean_offset;
    if (c < log->log_start_offset)
        c = log->log_start_offset;
    if (log->nsegs && c < log->segs[0]->base_offset)
        c = log->segs[0]->base_offset;
    int64_t end = st_log_end_offset(log);
    return c > end ? end : c;
}

int64_t st_log_cleaner_delete_horizon(const st_log *log)
{
    return log->clean_horizon;
}

bool st_log_uncleanable(const st_log *log)
{
    return log->uncleanable;
}

void st_log_set_uncleanable(st_log *log, bool uncleanable)
{
    log->uncleanable = uncleanable;
}

void st_log_set_watch(st_log *log, st_log_watch *watch)
{
    if (log->watch && log->watch != watch) {
        log->watch->log = NULL;
        atomic_store(&log->watch->closed, true);
    }
    log->watch = watch;
}

void st_log_clear_watch(st_log *log, st_log_watch *watch)
{
    if (log->watch == watch)
        log->watch = NULL;
}

/* Index of seg in the list, or nsegs. */
static size_t index_of(const st_log *log, const st_segment *seg)
{
    size_t i = segment_for(log, seg->base_offset);
    return i < log->nsegs && log->segs[i] == seg ? i : log->nsegs;
}

/* Every group still names consecutive, live, inactive segments of the log,
 * and no truncation happened since the snapshot. */
static bool groups_current(const st_log *log, uint64_t truncations,
                           const st_log_cleaned_group *groups, size_t n)
{
    if (log->truncations != truncations || log->nsegs == 0)
        return false;
    for (size_t g = 0; g < n; g++) {
        const st_log_cleaned_group *grp = &groups[g];
        if (grp->count == 0 || grp->cleaned->base_offset != grp->replaces[0]->base_offset)
            return false;
        size_t i = index_of(log, grp->replaces[0]);
        if (i + grp->count >= log->nsegs) /* gone, or reaching the active segment */
            return false;
        for (size_t k = 0; k < grp->count; k++)
            if (log->segs[i + k] != grp->replaces[k] || grp->replaces[k]->deleted)
                return false;
    }
    return true;
}

/* Steps 2 to 4 of the swap for one group (segment.h): commit, delete the
 * replaced segments, install. The replaced segments leave the list (ranges
 * keep them readable); the cleaned one takes their place. */
static st_err swap_group(st_log *log, st_log_cleaned_group *grp)
{
    st_segment *seg = grp->cleaned;
    bool committed;
    st_err err = st_segment_commit_swap(seg, &committed);
    if (!committed)
        return fail(log, err, "committing cleaned segment %s", seg_name(seg));
    grp->installed = true;
    log->dir_dirty = true;
    st_err cerr = err ? fail(log, err, "committing the indexes of cleaned segment %s",
                             seg_name(seg))
                      : ST_OK;
    size_t i = index_of(log, grp->replaces[0]);
    for (size_t k = 0; k < grp->count; k++) {
        st_segment *old = log->segs[i + k];
        st_err e = st_segment_remove_files(old);
        if (e && !cerr)
            cerr = fail(log, e, "deleting cleaned-away segment %s", seg_name(old));
        st_segment_unref(old);
    }
    log->segs[i] = seg;
    memmove(log->segs + i + 1, log->segs + i + grp->count,
            (log->nsegs - i - grp->count) * sizeof(*log->segs));
    log->nsegs -= grp->count - 1;
    st_segment_set_config(seg, &log->cfg);
    if ((err = st_segment_install_swap(seg)) && !cerr)
        cerr = fail(log, err, "installing cleaned segment %s", seg_name(seg));
    return cerr;
}

st_err st_log_replace_cleaned(st_log *log, uint64_t truncations, st_log_cleaned_group *groups,
                              size_t n, int64_t clean_offset, int64_t delete_horizon,
                              bool *stale)
{
    for (size_t g = 0; g < n; g++)
        groups[g].installed = false;
    *stale = !groups_current(log, truncations, groups, n);
    if (*stale)
        return ST_OK;
    st_err err = ST_OK;
    for (size_t g = 0; g < n && !err; g++)
        err = swap_group(log, &groups[g]);
    recount_size(log);
    if (err)
        return err; /* the checkpoint stays: the next clean redoes the rest */
    if (log->clean_offset == clean_offset && log->clean_horizon == delete_horizon)
        return ST_OK;
    log->clean_offset = clean_offset;
    log->clean_horizon = delete_horizon;
    return persist_cleaner(log);
}
