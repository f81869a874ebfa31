/* test_client_consumer.c — drives Strait's own consumer (common/kafka_client.h,
 * linked from build/libstrait.a, no librdkafka) for test_client_consumer.sh.
 *
 * Options: client/consumer properties as name=value; options of this
 * program as x.name=value.
 *
 *   member BOOTSTRAP GROUP TOPIC[,TOPIC] DIR NAME [props] [x.commit=sync|async|auto]
 *          [x.batch=N] [x.sleep.ms=N]
 *       One group member, run until DIR/NAME.stop appears (then a clean
 *       close) or DIR/NAME.kill (then exit without closing). Writes
 *       DIR/NAME.records ("topic partition offset key" per record),
 *       DIR/NAME.events (rebalance callbacks and errors) and DIR/NAME.state
 *       ("<count> <generation> <assignor> t-p ..." after every change).
 *       x.commit=sync commits after every batch and in the REVOKED callback.
 *   consume BOOTSTRAP TOPIC [props] [x.group=G] [x.assign=P@OFFSET,...]
 *           [x.count=N] [x.timeout.ms=N] [x.idle.ms=N] [x.commit=sync]
 *       Prints "partition offset key value" per record, "error NAME text"
 *       per error event, then "count N".
 *   reset BOOTSTRAP        auto.offset.reset earliest/latest/none, and
 *                          OFFSET_OUT_OF_RANGE, checked here (ok/FAIL lines).
 *   resume BOOTSTRAP       commit, restart, resume; committed() lookups.
 *   positions BOOTSTRAP    assign, seek, pause/resume, position, assignment.
 *   static BOOTSTRAP       group.instance.id: restart without a rebalance,
 *                          and FENCED_INSTANCE_ID as a fatal error.
 *   regex BOOTSTRAP        regex subscription, re-evaluated when a matching
 *                          topic appears.
 *   external BOOTSTRAP     a consumer on the caller's libev loop, driven by the
 *                          ready callback and poll(c, 0).
 *   config                 configuration errors (no network).
 *   unreachable            an unreachable cluster: calls end within their
 *                          timeouts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "common/kafka_client.h"

static int passed, failed;

static const char *label(void)
{
    const char *l = getenv("KC_TEST_LABEL");
    return l ? l : "";
}

static void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void ok(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("ok - %s%s", label(), *label() ? ": " : "");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    passed++;
    fflush(stdout);
}

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL - %s%s", label(), *label() ? ": " : "");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failed++;
    fflush(stdout);
}

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (cond)                                                                         \
            ok(__VA_ARGS__);                                                              \
        else                                                                              \
            fail(__VA_ARGS__);                                                            \
    } while (0)

static int summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- options ----------------------------------------------------------------------- */

typedef struct opts {
    char **props;     /* "name=value" (client/consumer properties) */
    int prop_count;
    char **xs;        /* "x.name=value" */
    int x_count;
} opts;

static void parse_opts(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->props = calloc((size_t)argc + 1, sizeof(char *));
    o->xs = calloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++) {
        if (!strchr(argv[i], '='))
            continue;
        if (strncmp(argv[i], "x.", 2) == 0)
            o->xs[o->x_count++] = argv[i] + 2;
        else
            o->props[o->prop_count++] = argv[i];
    }
}

static void free_opts(opts *o)
{
    free(o->props);
    free(o->xs);
}

static const char *xopt(const opts *o, const char *name, const char *def)
{
    size_t n = strlen(name);
    for (int i = 0; i < o->x_count; i++)
        if (strncmp(o->xs[i], name, n) == 0 && o->xs[i][n] == '=')
            return o->xs[i] + n + 1;
    return def;
}

static void set(kc_consumer_config *conf, const char *name, const char *value)
{
    char err[512];
    if (kc_consumer_config_set(conf, name, value, err, sizeof(err)) != KC_OK) {
        fprintf(stderr, "config %s=%s: %s\n", name, value, err);
        exit(2);
    }
}

static kc_consumer_config *make_conf(const char *bootstrap, const char *group, const opts *o)
{
    kc_consumer_config *conf = kc_consumer_config_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "client.id", "test-client-consumer");
    if (group)
        set(conf, "group.id", group);
    /* KC_TEST_PROPS="name=value ...": added to every consumer (e.g. shorter
     * session timeouts against librdkafka's mock cluster) */
    const char *env = getenv("KC_TEST_PROPS");
    char envbuf[1024];
    snprintf(envbuf, sizeof(envbuf), "%s", env ? env : "");
    for (char *tok = strtok(envbuf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = 0;
            set(conf, tok, eq + 1);
        }
    }
    for (int i = 0; o && i < o->prop_count; i++) {
        char name[256];
        const char *eq = strchr(o->props[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - o->props[i]), o->props[i]);
        set(conf, name, eq + 1);
    }
    if (getenv("KC_TEST_DEBUG")) {
        st_logger lg = {ST_LOG_DEBUG, NULL};
        kc_config_set_logger(kc_consumer_config_client(conf), &lg);
    }
    return conf;
}

static kc_consumer *make_consumer(kc_consumer_config *conf)
{
    char err[512];
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "kc_consumer_new: %s\n", err);
        exit(2);
    }
    return c;
}

/* Splits "a,b,c" into a NULL-terminated array (modifies s). */
static size_t split(char *s, const char **out, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        out[n++] = tok;
    return n;
}

/* ---- producing with our own producer ------------------------------------------------------ */

/* Produces n records "key-<base+i>" / "value-<base+i>" to topic (partition
 * or KC_PARTITION_ANY); false on any delivery error. */
static void on_delivery(const kc_delivery *d, void *opaque)
{
    if (d->err)
        (*(int *)opaque)++;
}

static bool produce(const char *bootstrap, const char *topic, int32_t partition, int base, int n)
{
    char err[512];
    int errors = 0;
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_config_set(conf, "linger.ms", "1", err, sizeof(err));
    kc_config_set_delivery_cb(conf, on_delivery, &errors);
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p) {
        fprintf(stderr, "kc_producer_new: %s\n", err);
        return false;
    }
    for (int i = 0; i < n; i++) {
        char key[32], value[32];
        int kl = snprintf(key, sizeof(key), "key-%d", base + i);
        int vl = snprintf(value, sizeof(value), "value-%d", base + i);
        kc_record rec = {topic, partition, key, (size_t)kl, value, (size_t)vl, NULL, 0,
                         KC_TIMESTAMP_NOW, KC_COMPRESSION_PRODUCER};
        if (kc_produce(p, &rec, NULL) != KC_OK)
            errors++;
    }
    kc_err e = kc_producer_close(p, 30000);
    return !e && !errors;
}

/* ---- consuming helpers -------------------------------------------------------------------- */

typedef struct got {
    int count;
    int errors;
    kc_err first_err;
    char first_errstr[512];
    int64_t first_offset;
    int64_t last_offset;
    char last_key[64];
} got;

/* Polls until want records (or an error when stop_on_error) or timeout. */
static void consume_n(kc_consumer *c, int want, int timeout_ms, bool stop_on_error, got *g)
{
    memset(g, 0, sizeof(*g));
    g->first_offset = g->last_offset = -1;
    int64_t deadline = now_ms() + timeout_ms;
    while (g->count < want && now_ms() < deadline) {
        const kc_message *m = kc_consumer_poll(c, 100);
        if (!m)
            continue;
        if (m->err) {
            if (!g->errors++) {
                g->first_err = m->err;
                snprintf(g->first_errstr, sizeof(g->first_errstr), "%s", m->errstr);
            }
            if (stop_on_error)
                return;
            continue;
        }
        if (g->first_offset < 0)
            g->first_offset = m->offset;
        g->last_offset = m->offset;
        snprintf(g->last_key, sizeof(g->last_key), "%.*s", (int)m->key_len,
                 m->key ? (const char *)m->key : "");
        g->count++;
    }
}

/* Polls for ms milliseconds, counting records. */
static int drain(kc_consumer *c, int ms)
{
    got g;
    consume_n(c, 1 << 30, ms, false, &g);
    return g.count;
}

/* Polls until the consumer has an assignment of want partitions (0: any). */
static bool wait_assigned(kc_consumer *c, size_t want, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
        kc_consumer_poll(c, 100);
        kc_partition_list *l = NULL;
        kc_consumer_assignment(c, &l);
        size_t n = l ? l->count : 0;
        kc_partition_list_free(l);
        if (want ? n == want : n > 0)
            return true;
    }
    return false;
}

/* ---- member ------------------------------------------------------------------------------------ */

typedef struct member {
    kc_consumer *c;
    FILE *records;
    FILE *events;
    char state_path[512];
    const char *commit;
    kc_partition_list *owned;
} member;

static void write_state(member *m)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", m->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    kc_partition_list_sort(m->owned);
    fprintf(f, "%zu %d %s", m->owned->count, kc_consumer_generation(m->c),
            *kc_consumer_assignor(m->c) ? kc_consumer_assignor(m->c) : "-");
    for (size_t i = 0; i < m->owned->count; i++)
        fprintf(f, " %s-%d", m->owned->items[i].topic, m->owned->items[i].partition);
    fprintf(f, "\n");
    fclose(f);
    rename(tmp, m->state_path);
}

static void on_member_rebalance(kc_consumer *c, kc_rebalance_event ev,
                                const kc_partition_list *parts, void *opaque)
{
    member *m = opaque;
    static const char *const names[] = {"assigned", "revoked", "lost"};
    if (ev == KC_REBALANCE_REVOKED && (!strcmp(m->commit, "sync") || !strcmp(m->commit, "async"))) {
        kc_partition_list *offsets = kc_partition_list_new(parts->count);
        for (size_t i = 0; i < parts->count; i++) {
            int64_t pos = kc_consumer_position(c, parts->items[i].topic, parts->items[i].partition);
            if (pos >= 0)
                kc_partition_list_add(offsets, parts->items[i].topic,
                                      parts->items[i].partition)->offset = pos;
        }
        kc_err err = offsets->count ? kc_consumer_commit_sync(c, offsets, 10000) : KC_OK;
        if (err)
            fprintf(m->events, "error commit-on-revoke %s\n", kc_err_name(err));
        kc_partition_list_free(offsets);
    }
    fprintf(m->events, "%s gen=%d", names[ev], kc_consumer_generation(c));
    for (size_t i = 0; i < parts->count; i++)
        fprintf(m->events, " %s-%d", parts->items[i].topic, parts->items[i].partition);
    fprintf(m->events, "\n");
    fflush(m->events);
    for (size_t i = 0; i < parts->count; i++) {
        const kc_partition_offset *p = &parts->items[i];
        kc_partition_offset *mine = kc_partition_list_find(m->owned, p->topic, p->partition);
        if (ev == KC_REBALANCE_ASSIGNED && !mine) {
            kc_partition_list_add(m->owned, p->topic, p->partition);
        } else if (ev != KC_REBALANCE_ASSIGNED && mine) {
            kc_partition_list *rest = kc_partition_list_new(m->owned->count);
            for (size_t k = 0; k < m->owned->count; k++)
                if (&m->owned->items[k] != mine)
                    kc_partition_list_add(rest, m->owned->items[k].topic,
                                          m->owned->items[k].partition);
            kc_partition_list_free(m->owned);
            m->owned = rest;
        }
    }
    write_state(m);
}

static int cmd_member(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "member BOOTSTRAP GROUP TOPICS DIR NAME [options]\n");
        return 2;
    }
    opts o;
    parse_opts(&o, argc - 7, argv + 7);
    char path[512];
    member m = {0};
    m.commit = xopt(&o, "commit", "sync");
    int batch = atoi(xopt(&o, "batch", "100"));
    int sleep_ms = atoi(xopt(&o, "sleep.ms", "0"));
    const char *dir = argv[5], *name = argv[6];
    snprintf(path, sizeof(path), "%s/%s.records", dir, name);
    m.records = fopen(path, "a");
    snprintf(path, sizeof(path), "%s/%s.events", dir, name);
    m.events = fopen(path, "a");
    snprintf(m.state_path, sizeof(m.state_path), "%s/%s.state", dir, name);
    m.owned = kc_partition_list_new(8);
    if (!m.records || !m.events)
        return 2;
    kc_consumer_config *conf = make_conf(argv[2], argv[3], &o);
    if (strcmp(m.commit, "auto"))
        set(conf, "enable.auto.commit", "false");
    kc_consumer_config_set_rebalance_cb(conf, on_member_rebalance, &m);
    m.c = make_consumer(conf);
    kc_consumer_config_free(conf);
    char topics_buf[1024];
    snprintf(topics_buf, sizeof(topics_buf), "%s", argv[4]);
    const char *topics[16];
    size_t nt = split(topics_buf, topics, 16);
    if (kc_consumer_subscribe(m.c, topics, nt) != KC_OK) {
        fprintf(stderr, "subscribe: %s\n", kc_client_last_error(kc_consumer_client(m.c)));
        return 2;
    }
    write_state(&m);
    char stop[600], kill[600];
    snprintf(stop, sizeof(stop), "%s/%s.stop", dir, name);
    snprintf(kill, sizeof(kill), "%s/%s.kill", dir, name);
    const kc_message **msgs = calloc((size_t)batch, sizeof(*msgs));
    for (;;) {
        if (exists(kill)) {
            fflush(m.records);
            fflush(m.events);
            _exit(0);
        }
        if (exists(stop))
            break;
        size_t n = kc_consumer_poll_batch(m.c, 100, msgs, (size_t)batch);
        size_t records = 0;
        for (size_t i = 0; i < n; i++) {
            const kc_message *msg = msgs[i];
            if (msg->err) {
                fprintf(m.events, "error %s %s\n", kc_err_name(msg->err), msg->errstr);
                continue;
            }
            fprintf(m.records, "%s %d %lld %.*s\n", msg->topic, msg->partition,
                    (long long)msg->offset, (int)msg->key_len,
                    msg->key ? (const char *)msg->key : "");
            records++;
        }
        fflush(m.records);
        fflush(m.events);
        if (records && !strcmp(m.commit, "sync")) {
            kc_err err = kc_consumer_commit_sync(m.c, NULL, 10000);
            if (err)
                fprintf(m.events, "error commit %s\n", kc_err_name(err));
        } else if (records && !strcmp(m.commit, "async")) {
            kc_consumer_commit_async(m.c, NULL, NULL, NULL);
        }
        if (records && sleep_ms)
            usleep((useconds_t)sleep_ms * 1000);
    }
    kc_err err = kc_consumer_close(m.c, 15000);
    fprintf(m.events, "closed %s\n", kc_err_name(err));
    fclose(m.records);
    fclose(m.events);
    kc_partition_list_free(m.owned);
    free(msgs);
    free_opts(&o);
    return 0;
}

/* ---- consume -------------------------------------------------------------------------------------- */

static int cmd_consume(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "consume BOOTSTRAP TOPIC [options]\n");
        return 2;
    }
    opts o;
    parse_opts(&o, argc - 4, argv + 4);
    const char *group = xopt(&o, "group", NULL);
    kc_consumer_config *conf = make_conf(argv[2], group, &o);
    kc_consumer *c = make_consumer(conf);
    kc_consumer_config_free(conf);
    const char *assign = xopt(&o, "assign", NULL);
    if (assign) {
        kc_partition_list *l = kc_partition_list_new(4);
        char buf[512];
        snprintf(buf, sizeof(buf), "%s", assign);
        const char *items[64];
        size_t n = split(buf, items, 64);
        for (size_t i = 0; i < n; i++) {
            const char *at = strchr(items[i], '@');
            kc_partition_offset *p = kc_partition_list_add(l, argv[3], atoi(items[i]));
            if (at)
                p->offset = !strcmp(at + 1, "beginning") ? KC_OFFSET_BEGINNING
                            : !strcmp(at + 1, "end")     ? KC_OFFSET_END
                            : !strcmp(at + 1, "stored")  ? KC_OFFSET_STORED
                                                         : atoll(at + 1);
        }
        kc_consumer_assign(c, l);
        kc_partition_list_free(l);
    } else {
        const char *topics[] = {argv[3]};
        if (kc_consumer_subscribe(c, topics, 1) != KC_OK) {
            printf("error subscribe %s\n", kc_client_last_error(kc_consumer_client(c)));
            kc_consumer_free(c);
            return 1;
        }
    }
    long want = atol(xopt(&o, "count", "-1"));
    int timeout = atoi(xopt(&o, "timeout.ms", "30000"));
    int idle = atoi(xopt(&o, "idle.ms", "0"));
    const char *commit = xopt(&o, "commit", "none");
    long count = 0;
    int64_t deadline = now_ms() + timeout, last = now_ms();
    while ((want < 0 || count < want) && now_ms() < deadline) {
        if (idle && count && now_ms() - last > idle)
            break;
        const kc_message *m = kc_consumer_poll(c, 100);
        if (!m)
            continue;
        if (m->err) {
            printf("error %s %s\n", kc_err_name(m->err), m->errstr);
            continue;
        }
        last = now_ms();
        printf("%d %lld %.*s %.*s\n", m->partition, (long long)m->offset, (int)m->key_len,
               m->key ? (const char *)m->key : "", (int)m->value_len,
               m->value ? (const char *)m->value : "");
        count++;
        if (!strcmp(commit, "sync"))
            kc_consumer_commit_sync(c, NULL, 10000);
    }
    printf("count %ld\n", count);
    kc_consumer_close(c, 10000);
    free_opts(&o);
    return 0;
}

/* ---- reset ----------------------------------------------------------------------------------------- */

static int cmd_reset(const char *bs)
{
    char topic[64];
    snprintf(topic, sizeof(topic), "reset-%d", (int)getpid());
    if (!produce(bs, topic, 0, 0, 10)) {
        fail("producing 10 records to %s", topic);
        return summary();
    }
    const char *topics[] = {topic};
    got g;
    /* earliest: a new group reads from the log start */
    kc_consumer_config *conf = make_conf(bs, "reset-earliest", NULL);
    set(conf, "auto.offset.reset", "earliest");
    kc_consumer *c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    consume_n(c, 10, 20000, false, &g);
    CHECK(g.count == 10 && g.first_offset == 0 && g.errors == 0,
          "auto.offset.reset=earliest: a new group reads all 10 records from offset 0 (got %d "
          "from %lld)", g.count, (long long)g.first_offset);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* latest: only what is produced after the assignment */
    conf = make_conf(bs, "reset-latest", NULL);
    set(conf, "auto.offset.reset", "latest");
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    bool assigned = wait_assigned(c, 0, 20000);
    int early = drain(c, 1000); /* the position is looked up meanwhile */
    produce(bs, topic, 0, 10, 5);
    consume_n(c, 5, 20000, false, &g);
    CHECK(assigned && early == 0 && g.count == 5 && g.first_offset == 10,
          "auto.offset.reset=latest: a new group reads only the 5 records produced after it "
          "joined (got %d from %lld, %d before)", g.count, (long long)g.first_offset, early);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* none: an error for the application */
    conf = make_conf(bs, "reset-none", NULL);
    set(conf, "auto.offset.reset", "none");
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    consume_n(c, 1, 20000, true, &g);
    CHECK(g.count == 0 && g.first_err == KC_ERR_NO_OFFSET && strstr(g.first_errstr, topic),
          "auto.offset.reset=none: poll returns KC_ERR_NO_OFFSET naming the partition (%s: %s)",
          kc_err_name(g.first_err), g.first_errstr);
    /* a seek makes the partition usable again */
    kc_consumer_seek(c, topic, 0, 3);
    consume_n(c, 12, 5000, false, &g);
    CHECK(g.first_offset == 3 && g.count == 12, "auto.offset.reset=none: after a seek to 3 the "
          "records from 3 arrive (got %d from %lld)", g.count, (long long)g.first_offset);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* out of range: assign far past the end */
    conf = make_conf(bs, NULL, NULL);
    set(conf, "auto.offset.reset", "earliest");
    c = make_consumer(conf);
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, topic, 0)->offset = 1000000;
    kc_consumer_assign(c, l);
    consume_n(c, 15, 20000, false, &g);
    CHECK(g.count == 15 && g.first_offset == 0, "OFFSET_OUT_OF_RANGE with earliest: reset to "
          "the log start (got %d from %lld)", g.count, (long long)g.first_offset);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    conf = make_conf(bs, NULL, NULL);
    set(conf, "auto.offset.reset", "none");
    c = make_consumer(conf);
    kc_consumer_assign(c, l);
    consume_n(c, 1, 20000, true, &g);
    CHECK(g.count == 0 && g.first_err == KAFKA_OFFSET_OUT_OF_RANGE,
          "OFFSET_OUT_OF_RANGE with none: poll returns the error (%s: %s)",
          kc_err_name(g.first_err), g.first_errstr);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* assign from the end and from the beginning */
    conf = make_conf(bs, NULL, NULL);
    c = make_consumer(conf);
    l->items[0].offset = KC_OFFSET_END;
    kc_consumer_assign(c, l);
    int before = drain(c, 1500);
    produce(bs, topic, 0, 15, 2);
    consume_n(c, 2, 20000, false, &g);
    CHECK(before == 0 && g.count == 2 && g.first_offset == 15, "assign at KC_OFFSET_END reads "
          "only new records (got %d from %lld)", g.count, (long long)g.first_offset);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);
    kc_partition_list_free(l);
    return summary();
}

/* ---- resume ----------------------------------------------------------------------------------------- */

typedef struct async_result {
    int calls;
    kc_err err;
    size_t count;
} async_result;

static void on_async_commit(kc_consumer *c, kc_err err, const kc_partition_list *offsets,
                            void *opaque)
{
    (void)c;
    async_result *r = opaque;
    r->calls++;
    r->err = err;
    r->count = offsets->count;
}

static int cmd_resume(const char *bs)
{
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "resume-%d", (int)getpid());
    snprintf(group, sizeof(group), "resume-group-%d", (int)getpid());
    if (!produce(bs, topic, KC_PARTITION_ANY, 0, 300)) {
        fail("producing 300 records to %s", topic);
        return summary();
    }
    const char *topics[] = {topic};
    kc_consumer_config *conf = make_conf(bs, group, NULL);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "false");
    kc_consumer *c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    got g;
    consume_n(c, 100, 20000, false, &g);
    kc_err err = kc_consumer_commit_sync(c, NULL, 10000);
    kc_partition_list *positions = NULL;
    kc_consumer_assignment(c, &positions);
    CHECK(g.count == 100 && !err, "consumed 100 records and committed them (%s)",
          kc_err_name(err));
    /* committed() equals the positions just committed */
    kc_partition_list *committed = kc_partition_list_copy(positions);
    err = kc_consumer_committed(c, committed, 10000);
    int same = 0;
    int64_t total = 0;
    for (size_t i = 0; committed && i < committed->count; i++) {
        same += committed->items[i].offset == positions->items[i].offset;
        total += committed->items[i].offset > 0 ? committed->items[i].offset : 0;
    }
    CHECK(!err && committed && same == (int)committed->count && total == 100,
          "committed() returns the committed positions (%d of %zu equal, sum %lld)", same,
          committed ? committed->count : 0, (long long)total);
    kc_partition_list_free(committed);
    kc_partition_list_free(positions);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* a new consumer of the group resumes where the first one stopped */
    conf = make_conf(bs, group, NULL);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "true");
    set(conf, "auto.commit.interval.ms", "200");
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    consume_n(c, 250, 20000, false, &g);
    CHECK(g.count == 200, "after a restart the group resumes from the committed offsets: "
          "200 more records, no repeats (got %d)", g.count);
    kc_consumer_close(c, 10000); /* commits (auto) */
    kc_consumer_config_free(conf);

    /* auto commit + close committed everything: nothing left */
    conf = make_conf(bs, group, NULL);
    set(conf, "auto.offset.reset", "earliest");
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    wait_assigned(c, 0, 20000);
    int more = drain(c, 2000);
    CHECK(more == 0, "enable.auto.commit: close committed the positions (%d records again)",
          more);
    /* committed() for a partition never committed, and of another group */
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, "no-such-topic-here", 0);
    err = kc_consumer_committed(c, l, 10000);
    CHECK(!err && l->items[0].offset == KC_OFFSET_INVALID, "committed() of a partition without "
          "a commit is KC_OFFSET_INVALID (%s, %lld)", kc_err_name(err),
          (long long)l->items[0].offset);
    kc_partition_list_free(l);
    /* explicit offsets with metadata */
    l = kc_partition_list_new(1);
    kc_partition_offset *p = kc_partition_list_add(l, topic, 0);
    p->offset = 1;
    kc_partition_offset_set_metadata(p, "checkpoint-7");
    err = kc_consumer_commit_sync(c, l, 10000);
    kc_partition_list *back = kc_partition_list_new(1);
    kc_partition_list_add(back, topic, 0);
    kc_err err2 = kc_consumer_committed(c, back, 10000);
    CHECK(!err && !err2 && back->items[0].offset == 1 && back->items[0].metadata &&
          !strcmp(back->items[0].metadata, "checkpoint-7"),
          "commit_sync of an explicit offset with metadata, read back by committed() (%lld '%s')",
          (long long)back->items[0].offset,
          back->items[0].metadata ? back->items[0].metadata : "(null)");
    kc_partition_list_free(l);
    kc_partition_list_free(back);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* commit_async reports through its callback from a later poll */
    conf = make_conf(bs, group, NULL);
    set(conf, "enable.auto.commit", "false");
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    wait_assigned(c, 0, 20000);
    async_result r = {0};
    l = kc_partition_list_new(1);
    kc_partition_list_add(l, topic, 1)->offset = 2;
    err = kc_consumer_commit_async(c, l, on_async_commit, &r);
    for (int i = 0; i < 100 && !r.calls; i++)
        kc_consumer_poll(c, 100);
    back = kc_partition_list_new(1);
    kc_partition_list_add(back, topic, 1);
    kc_consumer_committed(c, back, 10000);
    CHECK(!err && r.calls == 1 && r.err == KC_OK && r.count == 1 && back->items[0].offset == 2,
          "commit_async: the callback runs once from poll with the result (%d calls, %s), "
          "committed() sees it (%lld)", r.calls, kc_err_name(r.err),
          (long long)back->items[0].offset);
    kc_partition_list_free(l);
    kc_partition_list_free(back);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);

    /* auto commit on its timer: a consumer freed without close has committed
     * what it consumed at least auto.commit.interval.ms before */
    char group2[80];
    snprintf(group2, sizeof(group2), "%s-auto", group);
    conf = make_conf(bs, group2, NULL);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "auto.commit.interval.ms", "200");
    set(conf, "session.timeout.ms", "6000"); /* the freed member expires soon */
    set(conf, "heartbeat.interval.ms", "500");
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    consume_n(c, 50, 20000, false, &g);
    kc_partition_list *all = NULL;
    kc_consumer_assignment(c, &all);
    kc_consumer_pause(c, all); /* poll on, without taking more records */
    kc_partition_list_free(all);
    int idle = drain(c, 1000);
    kc_consumer_free(c); /* no close: no final commit, no LeaveGroup */
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    got g2;
    consume_n(c, 300, 30000, false, &g2);
    CHECK(g.count == 50 && idle == 0 && g2.count == 250, "auto.commit.interval.ms: the positions "
          "are committed on the timer (a restart after kc_consumer_free reads the other %d, "
          "got %d)", 300 - g.count, g2.count);
    /* commit_async of the current positions */
    r = (async_result){0};
    err = kc_consumer_commit_async(c, NULL, on_async_commit, &r);
    for (int i = 0; i < 100 && !r.calls; i++)
        kc_consumer_poll(c, 100);
    kc_partition_list *pos = NULL;
    kc_consumer_assignment(c, &pos);
    committed = kc_partition_list_copy(pos);
    kc_consumer_committed(c, committed, 10000);
    same = 0;
    for (size_t i = 0; committed && i < committed->count; i++)
        same += committed->items[i].offset == pos->items[i].offset;
    CHECK(!err && r.calls == 1 && !r.err && pos && same == (int)pos->count,
          "commit_async(NULL) commits every position (%d of %zu match)", same,
          pos ? pos->count : 0);
    kc_partition_list_free(pos);
    kc_partition_list_free(committed);
    kc_consumer_close(c, 10000);
    kc_consumer_config_free(conf);
    return summary();
}

/* ---- positions ---------------------------------------------------------------------------------------- */

static int cmd_positions(const char *bs)
{
    char topic[64];
    snprintf(topic, sizeof(topic), "pos-%d", (int)getpid());
    if (!produce(bs, topic, 0, 0, 20)) {
        fail("producing 20 records to %s", topic);
        return summary();
    }
    kc_consumer_config *conf = make_conf(bs, NULL, NULL);
    set(conf, "max.poll.records", "3");
    kc_consumer *c = make_consumer(conf);
    kc_consumer_config_free(conf);
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, topic, 0)->offset = KC_OFFSET_BEGINNING;
    kc_consumer_assign(c, l);
    CHECK(kc_consumer_position(c, topic, 0) == KC_OFFSET_INVALID,
          "position is KC_OFFSET_INVALID before the start offset is known");
    got g;
    consume_n(c, 5, 20000, false, &g);
    CHECK(g.count == 5 && g.first_offset == 0 && kc_consumer_position(c, topic, 0) == 5,
          "assign from the beginning: offsets 0-4, then position 5 (position %lld)",
          (long long)kc_consumer_position(c, topic, 0));
    const kc_message *msgs[10];
    size_t n = kc_consumer_poll_batch(c, 5000, msgs, 10);
    CHECK(n >= 1 && n <= 3 && msgs[0]->offset == 5, "poll_batch returns at most "
          "max.poll.records (3) records (%zu from %lld)", n, n ? (long long)msgs[0]->offset : -1);
    kc_consumer_seek(c, topic, 0, 15);
    /* keys and values point into the fetched records: they stay valid until
     * the next poll even though the seek dropped what was buffered (ASan
     * would see a read of freed memory) */
    bool intact = n > 0;
    for (size_t i = 0; i < n; i++) {
        char want[32];
        int wl = snprintf(want, sizeof(want), "value-%lld", (long long)msgs[i]->offset);
        intact = intact && msgs[i]->value_len == (size_t)wl &&
                 !memcmp(msgs[i]->value, want, (size_t)wl);
    }
    CHECK(intact, "after a seek, the last poll's records are intact until the next poll");
    consume_n(c, 1, 5000, false, &g);
    CHECK(g.first_offset == 15 && !strcmp(g.last_key, "key-15"), "seek to 15: the next record "
          "is 15 (%lld %s)", (long long)g.first_offset, g.last_key);
    kc_consumer_seek(c, topic, 0, KC_OFFSET_BEGINNING);
    consume_n(c, 1, 5000, false, &g);
    CHECK(g.first_offset == 0, "seek to KC_OFFSET_BEGINNING: the next record is 0 (%lld)",
          (long long)g.first_offset);
    kc_consumer_seek(c, topic, 0, KC_OFFSET_END);
    int at_end = drain(c, 1000);
    CHECK(at_end == 0 && kc_consumer_position(c, topic, 0) == 20, "seek to KC_OFFSET_END: "
          "nothing more, position 20 (%d records, position %lld)", at_end,
          (long long)kc_consumer_position(c, topic, 0));
    kc_consumer_seek(c, topic, 0, 10);
    kc_consumer_pause(c, l);
    int paused = drain(c, 1500);
    kc_consumer_resume(c, l);
    consume_n(c, 10, 5000, false, &g);
    CHECK(paused == 0 && g.count == 10 && g.first_offset == 10, "pause: no records while "
          "paused (%d); resume: the records from the position (%d from %lld)", paused, g.count,
          (long long)g.first_offset);
    kc_partition_list *a = NULL;
    kc_consumer_assignment(c, &a);
    CHECK(a && a->count == 1 && a->items[0].offset == 20, "assignment() lists the partition at "
          "its position (%zu, %lld)", a ? a->count : 0, a && a->count ? (long long)a->items[0].offset : -1);
    kc_partition_list_free(a);
    CHECK(kc_consumer_seek(c, topic, 3, 0) == KC_ERR_STATE &&
          kc_consumer_seek(c, topic, 0, -7) == KC_ERR_INVALID_ARG,
          "seek on an unassigned partition or to a bad offset is refused");
    /* headers, timestamps, null keys and values */
    char err[512];
    kc_config *pc = kc_config_new();
    kc_config_set(pc, "bootstrap.servers", bs, err, sizeof(err));
    kc_producer *p = kc_producer_new(pc, NULL, err, sizeof(err));
    kc_config_free(pc);
    kc_header hs[] = {{"trace", "abc", 3}, {"empty", NULL, 0}};
    kc_record rec = {topic, 0, NULL, 0, NULL, 0, hs, 2, 1234567890123LL,
                     KC_COMPRESSION_PRODUCER};
    kc_produce(p, &rec, NULL);
    kc_producer_close(p, 10000);
    const kc_message *m = NULL;
    for (int i = 0; i < 100 && !m; i++) {
        m = kc_consumer_poll(c, 100);
        if (m && m->err)
            m = NULL;
    }
    CHECK(m && m->offset == 20 && !m->key && !m->value && m->timestamp == 1234567890123LL &&
          m->timestamp_type == KC_TIMESTAMP_CREATE_TIME && m->header_count == 2 &&
          !strcmp(m->headers[0].key, "trace") && m->headers[0].value_len == 3 &&
          !memcmp(m->headers[0].value, "abc", 3) && !strcmp(m->headers[1].key, "empty") &&
          !m->headers[1].value, "a record with headers, a null key and value and a set "
          "timestamp arrives as produced");
    kc_partition_list_free(l);
    kc_consumer_close(c, 10000);
    return summary();
}

/* ---- static membership ---------------------------------------------------------------------------------- */

static int cmd_static(const char *bs)
{
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "static-%d", (int)getpid());
    snprintf(group, sizeof(group), "static-group-%d", (int)getpid());
    produce(bs, topic, KC_PARTITION_ANY, 0, 60);
    const char *topics[] = {topic};
    kc_consumer_config *conf = make_conf(bs, group, NULL);
    set(conf, "group.instance.id", "instance-a");
    set(conf, "session.timeout.ms", "10000");
    set(conf, "auto.offset.reset", "earliest");
    kc_consumer *c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    bool a1 = wait_assigned(c, 6, 20000);
    int32_t gen1 = kc_consumer_generation(c);
    kc_consumer_close(c, 10000);
    c = make_consumer(conf);
    kc_consumer_subscribe(c, topics, 1);
    int64_t t0 = now_ms();
    bool a2 = wait_assigned(c, 6, 20000);
    int32_t gen2 = kc_consumer_generation(c);
    CHECK(a1 && a2 && gen1 >= 0 && gen2 == gen1, "a static member closed and restarted within "
          "session.timeout.ms gets its partitions back without a rebalance (generation %d, then "
          "%d, after %lld ms)", gen1, gen2, (long long)(now_ms() - t0));
    /* another consumer with the same group.instance.id fences this one */
    kc_consumer *b = make_consumer(conf);
    kc_consumer_subscribe(b, topics, 1);
    kc_err fatal = KC_OK;
    char why[512] = "";
    int64_t deadline = now_ms() + 30000;
    while (now_ms() < deadline && !fatal) {
        const kc_message *m = kc_consumer_poll(c, 50);
        if (m && m->err == KC_ERR_FATAL) {
            fatal = m->err;
            snprintf(why, sizeof(why), "%s", m->errstr);
        }
        kc_consumer_poll(b, 50);
    }
    CHECK(fatal == KC_ERR_FATAL && strstr(why, "FENCED_INSTANCE_ID"), "a second member with the "
          "same group.instance.id fences the first: poll returns a fatal FENCED_INSTANCE_ID "
          "error (%s)", why);
    const kc_message *again = kc_consumer_poll(c, 10);
    CHECK(again && again->err == KC_ERR_FATAL, "the fenced consumer stays fatal");
    CHECK(wait_assigned(b, 6, 20000), "the new static member owns the partitions");
    kc_consumer_close(c, 5000);
    kc_consumer_close(b, 5000);
    kc_consumer_config_free(conf);
    return summary();
}

/* ---- regex subscription ------------------------------------------------------------------------------------ */

static int cmd_regex(const char *bs)
{
    char a[64], b[64], late[64], other[64], pattern[64], group[64];
    int pid = (int)getpid();
    snprintf(a, sizeof(a), "rx-%d-a", pid);
    snprintf(b, sizeof(b), "rx-%d-b", pid);
    snprintf(late, sizeof(late), "rx-%d-late", pid);
    snprintf(other, sizeof(other), "other-%d", pid);
    snprintf(pattern, sizeof(pattern), "^rx-%d-.*", pid);
    snprintf(group, sizeof(group), "rx-group-%d", pid);
    produce(bs, a, 0, 0, 5);
    produce(bs, b, 0, 100, 5);
    produce(bs, other, 0, 200, 5);
    kc_consumer_config *conf = make_conf(bs, group, NULL);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "metadata.max.age.ms", "1000");
    kc_consumer *c = make_consumer(conf);
    kc_consumer_config_free(conf);
    const char *topics[] = {pattern};
    kc_err err = kc_consumer_subscribe(c, topics, 1);
    got g;
    consume_n(c, 10, 20000, false, &g);
    int extra = drain(c, 1000);
    CHECK(!err && g.count == 10 && extra == 0, "a regex subscription consumes the matching "
          "topics and not the others (%d + %d records)", g.count, extra);
    produce(bs, late, 0, 300, 5);
    consume_n(c, 5, 30000, false, &g);
    kc_partition_list *l = NULL;
    kc_consumer_assignment(c, &l);
    size_t late_parts = 0;
    for (size_t i = 0; l && i < l->count; i++)
        late_parts += !strcmp(l->items[i].topic, late);
    CHECK(g.count == 5 && !strncmp(g.last_key, "key-30", 6) && late_parts > 0,
          "a new matching topic joins the subscription at a metadata refresh (%d records, %zu "
          "of its partitions assigned)", g.count, late_parts);
    kc_partition_list_free(l);
    kc_consumer_close(c, 10000);
    return summary();
}

/* ---- external loop ------------------------------------------------------------------------------------------ */

typedef struct ext_state {
    struct ev_loop *loop;
    kc_consumer *c;
    int ready;
    int count;
    int errors;
    int want;
    int64_t deadline;
} ext_state;

static void ext_drain(ext_state *st)
{
    const kc_message *m;
    while ((m = kc_consumer_poll(st->c, 0))) {
        if (m->err)
            st->errors++;
        else
            st->count++;
    }
    if (st->count >= st->want || now_ms() > st->deadline)
        ev_break(st->loop, EVBREAK_ALL);
}

static void on_ext_ready(kc_consumer *c, void *opaque)
{
    (void)c;
    ext_state *st = opaque;
    st->ready++;
    ext_drain(st);
}

static void on_ext_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    ext_drain(w->data);
}

static int cmd_external(const char *bs)
{
    char topic[64], group[64];
    snprintf(topic, sizeof(topic), "ext-%d", (int)getpid());
    snprintf(group, sizeof(group), "ext-group-%d", (int)getpid());
    produce(bs, topic, KC_PARTITION_ANY, 0, 1000);
    ext_state st = {0};
    st.loop = ev_loop_new(EVFLAG_AUTO);
    st.want = 1000;
    st.deadline = now_ms() + 30000;
    kc_consumer_config *conf = make_conf(bs, group, NULL);
    set(conf, "auto.offset.reset", "earliest");
    kc_consumer_config_set_ready_cb(conf, on_ext_ready, &st);
    char err[512];
    st.c = kc_consumer_new(conf, st.loop, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!st.c) {
        fail("kc_consumer_new with an external loop: %s", err);
        return summary();
    }
    const char *topics[] = {topic};
    kc_consumer_subscribe(st.c, topics, 1);
    ev_timer timer; /* a slow safety net: the ready callback does the work */
    ev_timer_init(&timer, on_ext_timer, 0.5, 0.5);
    timer.data = &st;
    ev_timer_start(st.loop, &timer);
    ev_run(st.loop, 0);
    ev_timer_stop(st.loop, &timer);
    CHECK(st.count == 1000 && st.errors == 0 && st.ready > 0, "external loop: the ready callback "
          "and poll(c, 0) consume all 1000 records (%d records, %d ready calls, %d errors)",
          st.count, st.ready, st.errors);
    int64_t t0 = now_ms();
    kc_err e = kc_consumer_close(st.c, 10000);
    CHECK(e == KC_OK && now_ms() - t0 < 10000, "external loop: close commits and leaves (%s)",
          kc_err_name(e));
    ev_loop_destroy(st.loop);
    return summary();
}

/* ---- configuration errors ---------------------------------------------------------------------------------- */

static int cmd_config(void)
{
    char err[512] = "";
    kc_consumer_config *conf = kc_consumer_config_new();
    kc_err e = kc_consumer_config_set(conf, "enable.auto.comit", "true", err, sizeof(err));
    CHECK(e == KC_ERR_CONFIG && strstr(err, "enable.auto.comit"), "an unknown property is "
          "refused by name (%s)", err);
    e = kc_consumer_config_set(conf, "auto.offset.reset", "sometimes", err, sizeof(err));
    CHECK(e == KC_ERR_CONFIG && strstr(err, "auto.offset.reset"), "a bad auto.offset.reset is "
          "refused (%s)", err);
    e = kc_consumer_config_set(conf, "partition.assignment.strategy", "range,sticky", err,
                               sizeof(err));
    CHECK(e == KC_ERR_CONFIG && strstr(err, "sticky"), "an unknown assignor is refused (%s)", err);
    e = kc_consumer_config_set(conf, "partition.assignment.strategy",
                               "org.apache.kafka.clients.consumer.CooperativeStickyAssignor", err,
                               sizeof(err));
    char buf[128];
    CHECK(e == KC_OK, "Java's assignor class names are accepted");
    e = kc_consumer_config_set(conf, "isolation.level", "read_committed", err, sizeof(err));
    CHECK(e == KC_OK && !strcmp(kc_consumer_config_get(conf, "isolation.level", buf, sizeof(buf)),
                                "read_committed"), "isolation.level reads back");
    CHECK(!strcmp(kc_consumer_config_get(conf, "session.timeout.ms", buf, sizeof(buf)), "45000") &&
          !strcmp(kc_consumer_config_get(conf, "linger.ms", buf, sizeof(buf)), "5"),
          "consumer and client defaults read back");
    set(conf, "bootstrap.servers", "127.0.0.1:1");
    set(conf, "group.id", "g");
    set(conf, "heartbeat.interval.ms", "50000");
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    CHECK(!c && strstr(err, "heartbeat.interval.ms"), "heartbeat.interval.ms >= "
          "session.timeout.ms is refused (%s)", err);
    set(conf, "heartbeat.interval.ms", "3000");
    set(conf, "group.protocol", "consumer");
    c = kc_consumer_new(conf, NULL, err, sizeof(err));
    CHECK(!c && strstr(err, "group.protocol"), "group.protocol=consumer is refused (%s)", err);
    set(conf, "group.protocol", "classic");
    c = kc_consumer_new(conf, NULL, err, sizeof(err));
    const char *bad[] = {"^(unclosed"};
    e = c ? kc_consumer_subscribe(c, bad, 1) : KC_ERR_FATAL;
    CHECK(e == KC_ERR_INVALID_ARG && strstr(kc_client_last_error(kc_consumer_client(c)), "^("),
          "a bad regex is refused naming it (%s)", c ? kc_client_last_error(kc_consumer_client(c)) : err);
    kc_consumer_free(c);
    kc_consumer_config_free(conf);
    conf = kc_consumer_config_new();
    set(conf, "bootstrap.servers", "127.0.0.1:1");
    c = kc_consumer_new(conf, NULL, err, sizeof(err));
    const char *t[] = {"t"};
    e = kc_consumer_subscribe(c, t, 1);
    CHECK(e == KC_ERR_STATE && strstr(kc_client_last_error(kc_consumer_client(c)), "group.id"),
          "subscribe without group.id is refused (%s)", kc_client_last_error(kc_consumer_client(c)));
    e = kc_consumer_commit_sync(c, NULL, 100);
    CHECK(e == KC_OK, "commit_sync with nothing assigned is a no-op");
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, "t", 0)->offset = 5;
    e = kc_consumer_commit_sync(c, l, 100);
    CHECK(e == KC_ERR_STATE, "commit_sync without group.id is refused (%s)", kc_err_name(e));
    kc_partition_list_free(l);
    kc_consumer_free(c);
    kc_consumer_config_free(conf);
    return summary();
}

/* ---- unreachable --------------------------------------------------------------------------------------------- */

static int cmd_unreachable(void)
{
    kc_consumer_config *conf = make_conf("127.0.0.1:1", "g-unreachable", NULL);
    set(conf, "default.api.timeout.ms", "2000");
    kc_consumer *c = make_consumer(conf);
    kc_consumer_config_free(conf);
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, "t", 0);
    int64_t t0 = now_ms();
    kc_err e = kc_consumer_committed(c, l, 2000);
    int64_t took = now_ms() - t0;
    CHECK(e == KC_ERR_TIMED_OUT && took < 5000, "committed() against an unreachable cluster "
          "fails with KC_ERR_TIMED_OUT within its timeout (%s after %lld ms: %s)", kc_err_name(e),
          (long long)took, kc_client_last_error(kc_consumer_client(c)));
    const char *t[] = {"t"};
    kc_consumer_subscribe(c, t, 1);
    t0 = now_ms();
    const kc_message *m = kc_consumer_poll(c, 1000);
    CHECK(!m && now_ms() - t0 < 3000, "poll returns after its timeout when no broker answers");
    t0 = now_ms();
    kc_consumer_close(c, 2000);
    CHECK(now_ms() - t0 < 4000, "close returns within its timeout (%lld ms)",
          (long long)(now_ms() - t0));
    kc_partition_list_free(l);
    return summary();
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 2 && !strcmp(argv[1], "member"))
        return cmd_member(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "consume"))
        return cmd_consume(argc, argv);
    if (argc >= 3 && !strcmp(argv[1], "reset"))
        return cmd_reset(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "resume"))
        return cmd_resume(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "positions"))
        return cmd_positions(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "static"))
        return cmd_static(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "regex"))
        return cmd_regex(argv[2]);
    if (argc >= 3 && !strcmp(argv[1], "external"))
        return cmd_external(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "config"))
        return cmd_config();
    if (argc >= 2 && !strcmp(argv[1], "unreachable"))
        return cmd_unreachable();
    fprintf(stderr, "usage: %s member|consume|reset|resume|positions|static|regex|config|"
            "unreachable ...\n", argv[0]);
    return 2;
}
