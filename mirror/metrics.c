/* metrics.c — the mirror's metrics registry (see metrics.h).
 *
 * Owns: the registry's storage — one heap entry per partition, indexed by a
 * strmap whose key is "flow\0topic\0<partition as 4 bytes>", and a sorted
 * array of flows, each with sorted arrays of named counters — plus the
 * Prometheus rendering and the log summary. Everything lives under one
 * mutex; nothing here is global. */
#include "mirror/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/strmap.h"

/* A partition's latest figures; every string is owned by the entry. */
typedef struct metric_partition {
    char *flow;
    char *topic;
    int32_t partition;
    char *target_topic; /* "" when unknown */
    char *last_error;   /* "" when none */
    int64_t position;
    int64_t source_end;
    int64_t lag_records;
    double lag_seconds;
    int64_t records_total;
    int64_t bytes_total;
    int64_t errors_total;
} metric_partition;

/* One counter of a flow (an error kind or a named counter); owns name. */
typedef struct named_count {
    char *name;
    int64_t value;
} named_count;

/* A sorted-by-name array of counters; owns its entries. */
typedef struct count_list {
    named_count *items;
    size_t count;
    size_t cap;
} count_list;

/* A flow: its counters, gauge and the state of the log's rate figures. */
typedef struct metric_flow {
    char *name;
    int up; /* -1 never set, else 0 or 1 */
    count_list errors;   /* by kind */
    count_list counters; /* by sanitized name */
    int64_t retired_records; /* totals of removed partitions */
    int64_t retired_bytes;
    int64_t logged_records; /* totals at the previous log call */
    int64_t logged_bytes;
    int64_t logged_ms;
} metric_flow;

struct mirror_metrics {
    pthread_mutex_t lock;
    strmap partitions;   /* key (see top) -> metric_partition*, owned */
    metric_flow **flows; /* sorted by name, owned */
    size_t nflows;
    size_t flows_cap;
    int64_t created_ms; /* CLOCK_MONOTONIC at creation */
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- counter lists ---------------------------------------------------- */

static void count_list_free(count_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].name);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static named_count *count_list_find(const count_list *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

/* Adds n to the counter name, inserting it in sorted position when absent;
 * false on OOM (the list is unchanged). */
static bool count_list_add(count_list *l, const char *name, int64_t n)
{
    named_count *c = count_list_find(l, name);
    if (c) {
        c->value = n > INT64_MAX - c->value ? INT64_MAX : c->value + n;
        return true;
    }
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        named_count *items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    size_t at = 0;
    while (at < l->count && strcmp(l->items[at].name, name) < 0)
        at++;
    memmove(&l->items[at + 1], &l->items[at], (l->count - at) * sizeof(*l->items));
    l->items[at] = (named_count){copy, n};
    l->count++;
    return true;
}

/* ---- flows ------------------------------------------------------------ */

static void flow_free(metric_flow *f)
{
    if (!f)
        return;
    free(f->name);
    count_list_free(&f->errors);
    count_list_free(&f->counters);
    free(f);
}

/* The flow named name, created (in sorted position) when absent; NULL on
 * OOM. Caller holds the lock. */
static metric_flow *flow_get(mirror_metrics *m, const char *name)
{
    size_t at = 0;
    while (at < m->nflows) {
        int cmp = strcmp(m->flows[at]->name, name);
        if (cmp == 0)
            return m->flows[at];
        if (cmp > 0)
            break;
        at++;
    }
    if (m->nflows == m->flows_cap) {
        size_t cap = m->flows_cap ? m->flows_cap * 2 : 4;
        metric_flow **flows = realloc(m->flows, cap * sizeof(*flows));
        if (!flows)
            return NULL;
        m->flows = flows;
        m->flows_cap = cap;
    }
    metric_flow *f = calloc(1, sizeof(*f));
    if (!f || !(f->name = strdup(name))) {
        free(f);
        return NULL;
    }
    f->up = -1;
    f->logged_ms = m->created_ms;
    memmove(&m->flows[at + 1], &m->flows[at], (m->nflows - at) * sizeof(*m->flows));
    m->flows[at] = f;
    m->nflows++;
    return f;
}

/* ---- partitions ------------------------------------------------------- */

static void partition_free(metric_partition *p)
{
    if (!p)
        return;
    free(p->flow);
    free(p->topic);
    free(p->target_topic);
    free(p->last_error);
    free(p);
}

/* Builds the strmap key of (flow, topic, partition) into buf (len bytes),
 * or into a malloc'd block stored in *heap when buf is too small. Returns
 * the key, an empty-data slice on OOM. */
static st_slice partition_key(const char *flow, const char *topic, int32_t partition,
                              char *buf, size_t len, char **heap)
{
    size_t flen = strlen(flow), tlen = strlen(topic);
    size_t need = flen + 1 + tlen + 1 + sizeof(partition);
    *heap = NULL;
    if (need > INT32_MAX)
        return ST_SLICE_NULL;
    char *k = buf;
    if (need > len) {
        k = *heap = malloc(need);
        if (!k)
            return ST_SLICE_NULL;
    }
    memcpy(k, flow, flen + 1);
    memcpy(k + flen + 1, topic, tlen + 1);
    memcpy(k + flen + 1 + tlen + 1, &partition, sizeof(partition));
    return st_slice_from(k, need);
}

/* Replaces *field with a copy of value (NULL as ""), keeping the old string
 * when value is equal or the copy fails. */
static void set_string(char **field, const char *value)
{
    if (!value)
        value = "";
    if (*field && strcmp(*field, value) == 0)
        return;
    char *copy = strdup(value);
    if (!copy)
        return;
    free(*field);
    *field = copy;
}

static void partition_store(metric_partition *p, const mirror_partition_stats *s)
{
    set_string(&p->target_topic, s->target_topic);
    set_string(&p->last_error, s->last_error);
    p->position = s->position;
    p->source_end = s->source_end;
    p->lag_records = s->lag_records;
    p->lag_seconds = s->lag_seconds;
    p->records_total = s->records_total;
    p->bytes_total = s->bytes_total;
    p->errors_total = s->errors_total;
}

/* A new entry for (flow, topic, partition) with no values yet; NULL on OOM. */
static metric_partition *partition_new(const char *flow, const char *topic, int32_t partition)
{
    metric_partition *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->partition = partition;
    p->flow = strdup(flow);
    p->topic = strdup(topic);
    p->target_topic = strdup("");
    p->last_error = strdup("");
    if (!p->flow || !p->topic || !p->target_topic || !p->last_error) {
        partition_free(p);
        return NULL;
    }
    return p;
}

/* ---- public: lifetime and updates -------------------------------------- */

mirror_metrics *mirror_metrics_new(void)
{
    mirror_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    strmap_init(&m->partitions);
    m->created_ms = monotonic_ms();
    return m;
}

void mirror_metrics_free(mirror_metrics *m)
{
    if (!m)
        return;
    const char *key;
    void *value;
    for (size_t i = 0; strmap_next(&m->partitions, &i, &key, &value);)
        partition_free(value);
    strmap_free(&m->partitions);
    for (size_t i = 0; i < m->nflows; i++)
        flow_free(m->flows[i]);
    free(m->flows);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void mirror_metrics_set_partition(mirror_metrics *m, const char *flow, const char *topic,
                                  int32_t partition, const mirror_partition_stats *stats)
{
    if (!m || !flow || !topic || !stats)
        return;
    char buf[256], *heap;
    st_slice key = partition_key(flow, topic, partition, buf, sizeof(buf), &heap);
    if (!key.ptr)
        return;
    pthread_mutex_lock(&m->lock);
    metric_partition *p = strmap_get(&m->partitions, key);
    if (!p && flow_get(m, flow) && (p = partition_new(flow, topic, partition)) != NULL) {
        if (strmap_put(&m->partitions, key, p) != ST_OK) {
            partition_free(p);
            p = NULL;
        }
    }
    if (p)
        partition_store(p, stats);
    pthread_mutex_unlock(&m->lock);
    free(heap);
}

void mirror_metrics_remove_partition(mirror_metrics *m, const char *flow, const char *topic,
                                     int32_t partition)
{
    if (!m || !flow || !topic)
        return;
    char buf[256], *heap;
    st_slice key = partition_key(flow, topic, partition, buf, sizeof(buf), &heap);
    if (!key.ptr)
        return;
    pthread_mutex_lock(&m->lock);
    metric_partition *p = strmap_remove(&m->partitions, key);
    if (p) {
        metric_flow *f = flow_get(m, flow); /* exists: made with the partition */
        if (f) {
            f->retired_records += p->records_total;
            f->retired_bytes += p->bytes_total;
        }
        partition_free(p);
    }
    pthread_mutex_unlock(&m->lock);
    free(heap);
}

void mirror_metrics_add_flow_error(mirror_metrics *m, const char *flow, const char *kind,
                                   int64_t n)
{
    if (!m || !flow || !kind || n < 0)
        return;
    pthread_mutex_lock(&m->lock);
    metric_flow *f = flow_get(m, flow);
    if (f)
        count_list_add(&f->errors, kind, n);
    pthread_mutex_unlock(&m->lock);
}

/* The counter name as a metric-name fragment: [A-Za-z0-9_] kept, anything
 * else '_'; into out (outlen >= 1). False when empty, too long or reserved. */
static bool counter_name_sanitize(const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    if (n == 0 || n >= outlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_';
        out[i] = ok ? c : '_';
    }
    out[n] = '\0';
    return strcmp(out, "errors") != 0 && strcmp(out, "up") != 0;
}

void mirror_metrics_add_flow_counter(mirror_metrics *m, const char *flow, const char *name,
                                     int64_t n)
{
    char clean[128];
    if (!m || !flow || !name || n < 0 || !counter_name_sanitize(name, clean, sizeof(clean)))
        return;
    pthread_mutex_lock(&m->lock);
    metric_flow *f = flow_get(m, flow);
    if (f)
        count_list_add(&f->counters, clean, n);
    pthread_mutex_unlock(&m->lock);
}

void mirror_metrics_set_flow_up(mirror_metrics *m, const char *flow, int up)
{
    if (!m || !flow)
        return;
    pthread_mutex_lock(&m->lock);
    metric_flow *f = flow_get(m, flow);
    if (f)
        f->up = up ? 1 : 0;
    pthread_mutex_unlock(&m->lock);
}

/* ---- rendering -------------------------------------------------------- */

static void put_str(st_buf *b, const char *s)
{
    st_buf_append(b, s, strlen(s));
}

static void put_fmt(st_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(st_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        st_buf_append(b, small, (size_t)n);
        return;
    }
    char *big = (char *)st_buf_extend(b, (size_t)n + 1);
    if (!big)
        return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len--; /* drop vsnprintf's NUL */
}

/* A label value escaped per the exposition format: \ " and newline. */
static void put_label_value(st_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\\': put_str(b, "\\\\"); break;
        case '"': put_str(b, "\\\""); break;
        case '\n': put_str(b, "\\n"); break;
        default: st_buf_append_byte(b, (uint8_t)*s);
        }
    }
}

static void put_family(st_buf *b, const char *name, const char *type, const char *help)
{
    put_fmt(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_partition_labels(st_buf *b, const metric_partition *p)
{
    put_str(b, "{flow=\"");
    put_label_value(b, p->flow);
    put_str(b, "\",topic=\"");
    put_label_value(b, p->topic);
    put_fmt(b, "\",partition=\"%" PRId32 "\",target_topic=\"", p->partition);
    put_label_value(b, p->target_topic);
    put_str(b, "\"}");
}

static int partition_cmp(const void *a, const void *b)
{
    const metric_partition *x = *(const metric_partition *const *)a;
    const metric_partition *y = *(const metric_partition *const *)b;
    int c = strcmp(x->flow, y->flow);
    if (c == 0)
        c = strcmp(x->topic, y->topic);
    if (c == 0)
        c = (x->partition > y->partition) - (x->partition < y->partition);
    return c;
}

/* The partitions sorted by (flow, topic, partition) in a malloc'd array
 * (caller frees; the entries stay the registry's); *n its length. NULL on
 * OOM, or when empty (then *n is 0). Caller holds the lock. */
static metric_partition **partitions_sorted(mirror_metrics *m, size_t *n)
{
    *n = 0;
    if (m->partitions.count == 0)
        return NULL;
    metric_partition **all = malloc(m->partitions.count * sizeof(*all));
    if (!all)
        return NULL;
    const char *key;
    void *value;
    for (size_t i = 0; strmap_next(&m->partitions, &i, &key, &value);)
        all[(*n)++] = value;
    qsort(all, *n, sizeof(*all), partition_cmp);
    return all;
}

/* How a family reads its figure of a partition. */
typedef enum figure_kind {
    FIGURE_TOTAL,   /* int64_t, always known */
    FIGURE_OFFSET,  /* int64_t, unknown (no sample) while negative */
    FIGURE_SECONDS, /* double, unknown while negative or not finite; 3 decimals */
} figure_kind;

typedef struct partition_family {
    const char *name;
    const char *type;
    const char *help;
    figure_kind kind;
    size_t field; /* offsetof the figure in metric_partition */
} partition_family;

static const partition_family PARTITION_FAMILIES[] = {
    {"strait_mirror_records_total", "counter",
     "Records mirrored from the source partition since the mirror started.",
     FIGURE_TOTAL, offsetof(metric_partition, records_total)},
    {"strait_mirror_bytes_total", "counter",
     "Key, value and header bytes mirrored from the source partition since the mirror started.",
     FIGURE_TOTAL, offsetof(metric_partition, bytes_total)},
    {"strait_mirror_errors_total", "counter",
     "Errors while mirroring the source partition since the mirror started.",
     FIGURE_TOTAL, offsetof(metric_partition, errors_total)},
    {"strait_mirror_lag_records", "gauge",
     "Records in the source partition not yet mirrored (source end offset minus position).",
     FIGURE_OFFSET, offsetof(metric_partition, lag_records)},
    {"strait_mirror_lag_seconds", "gauge",
     "Age in seconds of the oldest source record not yet mirrored.",
     FIGURE_SECONDS, offsetof(metric_partition, lag_seconds)},
    {"strait_mirror_replicated_offset", "gauge",
     "Next source offset to mirror: the source partition is replicated up to here.",
     FIGURE_OFFSET, offsetof(metric_partition, position)},
    {"strait_mirror_source_end_offset", "gauge",
     "Source partition end offset last seen by the mirror.",
     FIGURE_OFFSET, offsetof(metric_partition, source_end)},
};

/* Writes the family's figure of p; false when it is unknown (no sample). */
static bool put_figure(st_buf *b, const partition_family *fam, const metric_partition *p)
{
    const char *field = (const char *)p + fam->field;
    if (fam->kind == FIGURE_SECONDS) {
        double v;
        memcpy(&v, field, sizeof(v));
        if (!isfinite(v) || v < 0)
            return false;
        put_fmt(b, "%.3f", v);
        return true;
    }
    int64_t v;
    memcpy(&v, field, sizeof(v));
    if (fam->kind == FIGURE_OFFSET && v < 0)
        return false;
    put_fmt(b, "%" PRId64, v);
    return true;
}

/* One family over all partitions: HELP/TYPE, then a sample per known value. */
static void render_partition_family(st_buf *b, const partition_family *fam,
                                    metric_partition **parts, size_t n)
{
    put_family(b, fam->name, fam->type, fam->help);
    for (size_t i = 0; i < n; i++) {
        size_t mark = b->len;
        put_str(b, fam->name);
        put_partition_labels(b, parts[i]);
        st_buf_append_byte(b, ' ');
        if (!put_figure(b, fam, parts[i])) {
            if (!b->err)
                b->len = mark; /* unknown: take the half-written sample back */
            continue;
        }
        st_buf_append_byte(b, '\n');
    }
}

static void render_flow_up(st_buf *b, mirror_metrics *m)
{
    put_family(b, "strait_mirror_flow_up", "gauge",
               "1 while the flow is running, 0 when it has failed or stopped.");
    for (size_t i = 0; i < m->nflows; i++) {
        if (m->flows[i]->up < 0)
            continue;
        put_str(b, "strait_mirror_flow_up{flow=\"");
        put_label_value(b, m->flows[i]->name);
        put_fmt(b, "\"} %d\n", m->flows[i]->up);
    }
}

static void render_flow_errors(st_buf *b, mirror_metrics *m)
{
    put_family(b, "strait_mirror_flow_errors_total", "counter",
               "Flow errors since the mirror started, by kind (source, target, produce, "
               "checkpoint, topic_sync).");
    for (size_t i = 0; i < m->nflows; i++) {
        const count_list *errs = &m->flows[i]->errors;
        for (size_t j = 0; j < errs->count; j++) {
            put_str(b, "strait_mirror_flow_errors_total{flow=\"");
            put_label_value(b, m->flows[i]->name);
            put_str(b, "\",kind=\"");
            put_label_value(b, errs->items[j].name);
            put_fmt(b, "\"} %" PRId64 "\n", errs->items[j].value);
        }
    }
}

static int cstr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* strait_mirror_flow_<name>_total for every counter name any flow has. */
static void render_flow_counters(st_buf *b, mirror_metrics *m)
{
    size_t total = 0;
    for (size_t i = 0; i < m->nflows; i++)
        total += m->flows[i]->counters.count;
    if (total == 0)
        return;
    const char **names = malloc(total * sizeof(*names));
    if (!names) {
        b->err = ST_ERR_NOMEM;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < m->nflows; i++)
        for (size_t j = 0; j < m->flows[i]->counters.count; j++)
            names[n++] = m->flows[i]->counters.items[j].name;
    qsort(names, n, sizeof(*names), cstr_cmp);
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && strcmp(names[k], names[k - 1]) == 0)
            continue;
        put_fmt(b, "# HELP strait_mirror_flow_%s_total Flow counter \"%s\" since the mirror "
                   "started.\n# TYPE strait_mirror_flow_%s_total counter\n",
                names[k], names[k], names[k]);
        for (size_t i = 0; i < m->nflows; i++) {
            const named_count *c = count_list_find(&m->flows[i]->counters, names[k]);
            if (!c)
                continue;
            put_fmt(b, "strait_mirror_flow_%s_total{flow=\"", names[k]);
            put_label_value(b, m->flows[i]->name);
            put_fmt(b, "\"} %" PRId64 "\n", c->value);
        }
    }
    free(names);
}

st_err mirror_metrics_render(mirror_metrics *m, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    st_buf b;
    st_buf_init(&b);
    put_family(&b, "strait_mirror_up", "gauge", "1 while the mirror process is running.");
    put_str(&b, "strait_mirror_up 1\n");

    pthread_mutex_lock(&m->lock);
    size_t n;
    metric_partition **parts = partitions_sorted(m, &n);
    if (!parts && m->partitions.count > 0)
        b.err = ST_ERR_NOMEM;
    for (size_t i = 0; i < sizeof(PARTITION_FAMILIES) / sizeof(PARTITION_FAMILIES[0]); i++)
        render_partition_family(&b, &PARTITION_FAMILIES[i], parts, n);
    render_flow_up(&b, m);
    render_flow_errors(&b, m);
    render_flow_counters(&b, m);
    pthread_mutex_unlock(&m->lock);
    free(parts);

    st_buf_append_byte(&b, '\0');
    if (b.err) {
        st_buf_free(&b);
        return ST_ERR_NOMEM;
    }
    *out = (char *)b.data; /* ownership passes to the caller */
    *len = b.len - 1;
    return ST_OK;
}

/* ---- log summary ------------------------------------------------------ */

/* One flow's line, computed under the lock and logged after it. */
typedef struct flow_summary {
    char *name;
    double records_per_s;
    double bytes_per_s;
    int64_t lag_records;
    double max_lag_seconds;
    size_t partitions;
    size_t partitions_with_errors;
    char example_error[200]; /* "topic/partition: last error", or "" */
} flow_summary;

/* Fills s for flow f from the partitions and moves f's rate baseline to
 * now. Caller holds the lock. */
static void summarize_flow(metric_flow *f, metric_partition **parts, size_t n, int64_t now_ms,
                           flow_summary *s)
{
    int64_t records = f->retired_records, bytes = f->retired_bytes;
    for (size_t i = 0; i < n; i++) {
        const metric_partition *p = parts[i];
        if (strcmp(p->flow, f->name) != 0)
            continue;
        s->partitions++;
        records += p->records_total;
        bytes += p->bytes_total;
        if (p->lag_records > 0)
            s->lag_records += p->lag_records;
        if (isfinite(p->lag_seconds) && p->lag_seconds > s->max_lag_seconds)
            s->max_lag_seconds = p->lag_seconds;
        if (p->last_error[0]) {
            if (s->partitions_with_errors++ == 0)
                snprintf(s->example_error, sizeof(s->example_error), "%s/%" PRId32 ": %s",
                         p->topic, p->partition, p->last_error);
        }
    }
    int64_t elapsed = now_ms - f->logged_ms;
    if (elapsed > 0) {
        int64_t dr = records - f->logged_records, db = bytes - f->logged_bytes;
        s->records_per_s = dr > 0 ? (double)dr * 1000.0 / (double)elapsed : 0.0;
        s->bytes_per_s = db > 0 ? (double)db * 1000.0 / (double)elapsed : 0.0;
    }
    f->logged_records = records;
    f->logged_bytes = bytes;
    f->logged_ms = now_ms;
}

void mirror_metrics_log_at(mirror_metrics *m, const st_logger *log, int64_t now_ms)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    size_t nflows = m->nflows, nparts;
    flow_summary *sums = nflows ? calloc(nflows, sizeof(*sums)) : NULL;
    metric_partition **parts = partitions_sorted(m, &nparts);
    bool ok = sums && (parts || m->partitions.count == 0);
    for (size_t i = 0; ok && i < nflows; i++) {
        summarize_flow(m->flows[i], parts, nparts, now_ms, &sums[i]);
        sums[i].name = strdup(m->flows[i]->name);
    }
    pthread_mutex_unlock(&m->lock);
    free(parts);
    if (!ok) {
        if (nflows)
            st_logf(log, ST_LOG_WARN, "metrics", "out of memory computing the metrics summary");
        free(sums);
        return;
    }
    for (size_t i = 0; i < nflows; i++) {
        const flow_summary *s = &sums[i];
        st_logf(log, ST_LOG_INFO, "metrics",
                "flow %s: %.1f records/s, %.1f bytes/s, lag %" PRId64
                " records, max lag %.3f s, %zu partitions, %zu with errors%s%s%s",
                s->name ? s->name : "?", s->records_per_s, s->bytes_per_s, s->lag_records,
                s->max_lag_seconds, s->partitions, s->partitions_with_errors,
                s->example_error[0] ? " (e.g. " : "", s->example_error,
                s->example_error[0] ? ")" : "");
        free(s->name);
    }
    free(sums);
}

void mirror_metrics_log(mirror_metrics *m, const st_logger *log)
{
    mirror_metrics_log_at(m, log, monotonic_ms());
}
