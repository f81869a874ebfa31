/* test_mirror_topic_sync.c — drives mirror/topic_sync.c against real
 * clusters for test_mirror_topic_sync.sh. Prints "ok - ..." / "FAIL - ..."
 * lines (and nothing else on stdout); the pass logs go to stderr at the end.
 *
 * Commands (EAST is always the flow's source cluster "east", WEST its
 * target "west"):
 *   brokers EAST WEST      two Strait brokers: creation with the source's
 *                          partition count and its dynamic topic configs
 *                          (retention.ms, cleanup.policy copied;
 *                          min.insync.replicas and message.timestamp.type
 *                          not), topics.exclude, internal topics
 *                          (__consumer_offsets, __*, *-internal) left out,
 *                          an unchanged pass changing nothing, partition
 *                          growth (a mirrored topic, and a target topic
 *                          that existed with fewer partitions), a config
 *                          change synced while a target-only setting stays,
 *                          max.message.bytes recorded, sync.topic.configs
 *                          off, a deleted source topic kept on the target
 *                          (delete.topics off, logged once), prefix naming
 *                          and a deletion mirrored with delete.topics.
 *   mock-target EAST MOCK  the target is librdkafka's mock cluster (no
 *                          admin APIs) holding mocktopic (3 partitions) and
 *                          bigger (8): a missing topic gets "target cluster
 *                          west does not support CreateTopics ...", a target
 *                          with fewer partitions gets a CreatePartitions
 *                          failure naming both counts, a larger target topic
 *                          is fine with max.message.bytes unknown, and each
 *                          API is warned about once across passes.
 *   mock-source MOCK WEST  the source is the mock (no DescribeConfigs): its
 *                          topics are created on the target without configs,
 *                          after one warning naming the source and the API. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka_client.h"
#include "mirror/cluster_client.h"
#include "mirror/mirror_config.h"
#include "mirror/topic_sync.h"

#define T 15000 /* every admin call's timeout */

static int passed, failed;

static void check(int cond, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check(int cond, const char *what, const char *fmt, ...)
{
    if (cond) {
        passed++;
        printf("ok - %s\n", what);
        fflush(stdout);
        return;
    }
    failed++;
    char detail[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    printf("FAIL - %s: %s\n", what, detail);
    fflush(stdout);
}

/* ---- the log the passes write (captured in memory) ---------------------------------- */

typedef struct capture {
    char *buf;
    size_t len;
    FILE *out;
    size_t mark;                  /* where the current step's lines begin */
    st_logger logger;
} capture;

static void capture_open(capture *c)
{
    memset(c, 0, sizeof(*c));
    c->out = open_memstream(&c->buf, &c->len);
    if (!c->out) {
        perror("open_memstream");
        exit(2);
    }
    c->logger = (st_logger){ST_LOG_DEBUG, c->out};
}

/* Starts a new step: later counts only see lines logged from now on. */
static void capture_mark(capture *c)
{
    fflush(c->out);
    c->mark = c->len;
}

/* How many lines since the mark contain all of the given words. */
static int logged(capture *c, const char *a, const char *b)
{
    fflush(c->out);
    int n = 0;
    char *text = strndup(c->buf + c->mark, c->len - c->mark);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        if (strstr(line, a) && (!b || strstr(line, b)))
            n++;
    free(text);
    return n;
}

static void capture_close(capture *c)
{
    fclose(c->out);
    fprintf(stderr, "---- topic sync log ----\n%.*s", (int)c->len, c->buf);
    free(c->buf);
}

/* ---- setup -------------------------------------------------------------------------- */

static void load_config(mirror_config *cfg, const char *east, const char *west,
                        const char *flow_settings)
{
    char *text = NULL;
    if (asprintf(&text,
                 "clusters:\n"
                 "  east:\n"
                 "    bootstrap.servers: %s\n"
                 "  west:\n"
                 "    bootstrap.servers: %s\n"
                 "flows:\n"
                 "  - source: east\n"
                 "    target: west\n"
                 "%s",
                 east, west, flow_settings) < 0)
        exit(2);
    char err[512] = "";
    if (mirror_config_load_string(cfg, "test.yaml", text, strlen(text), err, sizeof(err)) !=
        ST_OK) {
        fprintf(stderr, "mirror config: %s\n%s", err, text);
        exit(2);
    }
    free(text);
}

static kc_client *client_for(const mirror_cluster *cluster)
{
    static const st_logger quiet = {ST_LOG_ERROR, NULL};
    char err[512];
    kc_client *c = cluster_client_new(cluster, "topic-sync-test", &quiet, err, sizeof(err));
    if (!c || kc_client_connect(c, 10000)) {
        fprintf(stderr, "connect to %s: %s\n", cluster->name, c ? kc_client_last_error(c) : err);
        exit(2);
    }
    return c;
}

static kc_err create_topic(kc_client *c, const char *name, int32_t partitions,
                           const kc_config_pair *configs, size_t n)
{
    st_arena a;
    st_arena_init(&a);
    kc_new_topic t = {name, partitions, -1, configs, n};
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_create_topics(c, &t, 1, false, T, &a, &r);
    if (err)
        fprintf(stderr, "create %s: %s\n", name, kc_client_last_error(c));
    st_arena_free(&a);
    return err;
}

static kc_err delete_topic(kc_client *c, const char *name)
{
    st_arena a;
    st_arena_init(&a);
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_delete_topics(c, &name, 1, T, &a, &r);
    st_arena_free(&a);
    return err;
}

static kc_err grow_topic(kc_client *c, const char *name, int32_t count)
{
    st_arena a;
    st_arena_init(&a);
    kc_new_partitions np = {name, count};
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_create_partitions(c, &np, 1, false, T, &a, &r);
    st_arena_free(&a);
    return err;
}

static kc_err set_config(kc_client *c, const char *topic, const char *name, const char *value)
{
    st_arena a;
    st_arena_init(&a);
    kc_config_op op = {name, KC_CONFIG_OP_SET, value};
    kc_alter_resource res = {KC_RESOURCE_TOPIC, topic, &op, 1};
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_incremental_alter_configs(c, &res, 1, false, T, &a, &r);
    if (err)
        fprintf(stderr, "alter %s %s: %s\n", topic, name, kc_client_last_error(c));
    st_arena_free(&a);
    return err;
}

/* The topic's partition count, or -1 when it does not exist. */
static int32_t partitions_of(kc_client *c, const char *name)
{
    st_arena a;
    st_arena_init(&a);
    kc_topic_desc *t = NULL;
    size_t n = 0;
    kc_admin_describe_topics(c, &name, 1, T, &a, &t, &n);
    int32_t count = t && n == 1 && t[0].err == 0 ? t[0].partition_count : -1;
    st_arena_free(&a);
    return count;
}

/* A topic config as "value" when set on the topic itself, "default:value"
 * otherwise, into buf. */
static const char *config_of(kc_client *c, const char *topic, const char *name, char *buf,
                             size_t len)
{
    st_arena a;
    st_arena_init(&a);
    kc_resource res = {KC_RESOURCE_TOPIC, topic};
    kc_config_resource *out = NULL;
    snprintf(buf, len, "?");
    if (kc_admin_describe_configs(c, &res, 1, false, T, &a, &out) == KC_OK)
        for (size_t i = 0; i < out[0].entry_count; i++) {
            const kc_config_entry *e = &out[0].entries[i];
            if (strcmp(e->name, name) == 0)
                snprintf(buf, len, "%s%s",
                         e->source == KC_CONFIG_SOURCE_DYNAMIC_TOPIC ? "" : "default:",
                         e->value ? e->value : "(null)");
        }
    st_arena_free(&a);
    return buf;
}

static kc_err run_pass(topic_sync *ts, kc_client *east, kc_client *west)
{
    kc_err err = topic_sync_run(ts, east, west, T);
    if (err)
        fprintf(stderr, "topic_sync_run: %s\n", kc_err_name(err));
    return err;
}

static const char *entry_text(const synced_topic *t, char *buf, size_t len)
{
    if (!t)
        return "not in the list";
    snprintf(buf, len, "%s -> %s, %d/%d partitions, max %d, err %s: %s", t->source_topic,
             t->target_topic, t->source_partitions, t->target_partitions, t->max_message_bytes,
             kc_err_name(t->err), t->message ? t->message : "");
    return buf;
}

/* ---- brokers: two Strait brokers ----------------------------------------------------------- */

static const char *const identity_flow = "    topics: [\".*\"]\n"
                                         "    topics.exclude: [\"skip\\\\..*\"]\n";

static void setup_east(kc_client *east)
{
    kc_config_pair orders_cfg[] = {
        {"retention.ms", "3600000"},
        {"cleanup.policy", "compact"},
        {"min.insync.replicas", "1"},
        {"message.timestamp.type", "LogAppendTime"},
    };
    create_topic(east, "orders", 6, orders_cfg, 4);
    create_topic(east, "payments", 2, NULL, 0);
    create_topic(east, "skip.me", 1, NULL, 0);
    create_topic(east, "app-internal", 1, NULL, 0);
    create_topic(east, "__private", 1, NULL, 0);
    create_topic(east, "prexist", 4, NULL, 0);
    /* a committed offset makes east create __consumer_offsets */
    kc_group_offset go = {"orders", 0, 0, -1, NULL, 0};
    kc_admin_alter_group_offsets(east, "topic-sync-group", &go, 1, T);
}

static void check_first_pass(topic_sync *ts, kc_client *east, kc_client *west, capture *log)
{
    char buf[512], text[512];
    const synced_topic *o = topic_sync_find(ts, "orders");
    check(o && o->err == 0 && !strcmp(o->target_topic, "orders") && o->source_partitions == 6 &&
              o->target_partitions == 6,
          "orders: created on the target with the source's 6 partitions", "%s",
          entry_text(o, text, sizeof(text)));
    check(partitions_of(west, "orders") == 6, "orders exists on west with 6 partitions", "%d",
          partitions_of(west, "orders"));
    config_of(west, "orders", "retention.ms", buf, sizeof(buf));
    check(!strcmp(buf, "3600000"), "retention.ms copied as a topic config", "%s", buf);
    config_of(west, "orders", "cleanup.policy", buf, sizeof(buf));
    check(!strcmp(buf, "compact"), "cleanup.policy copied as a topic config", "%s", buf);
    config_of(west, "orders", "min.insync.replicas", buf, sizeof(buf));
    check(!strncmp(buf, "default:", 8), "min.insync.replicas (an MM2 exclusion) not copied",
          "%s", buf);
    config_of(west, "orders", "message.timestamp.type", buf, sizeof(buf));
    check(!strncmp(buf, "default:", 8), "message.timestamp.type (an MM2 exclusion) not copied",
          "%s", buf);
    config_of(west, "orders", "max.message.bytes", buf, sizeof(buf));
    check(o && o->max_message_bytes > 0 && o->max_message_bytes == atoi(buf + 8),
          "max.message.bytes of the target topic recorded", "entry %d, west says %s",
          o ? o->max_message_bytes : -2, buf);
    check(logged(log, "INFO [topic-sync]", "created topic orders on west: 6 partitions") == 1,
          "the creation is logged at INFO with its configs", "%d lines",
          logged(log, "created topic orders", NULL));
    check(logged(log, "retention.ms=3600000", "cleanup.policy=compact") == 1 &&
              logged(log, "created topic orders", "min.insync.replicas") == 0,
          "the creation's log line lists the copied configs only", "see the log");
    const synced_topic *p = topic_sync_find(ts, "payments");
    check(p && p->err == 0 && partitions_of(west, "payments") == 2,
          "payments: created with 2 partitions", "%s", entry_text(p, text, sizeof(text)));
    check(!topic_sync_find(ts, "skip.me") && partitions_of(west, "skip.me") < 0,
          "skip.me (topics.exclude) neither listed nor created", "west has %d partitions",
          partitions_of(west, "skip.me"));
    check(partitions_of(east, "__consumer_offsets") > 0 &&
              !topic_sync_find(ts, "__consumer_offsets") &&
              partitions_of(west, "__consumer_offsets") < 0,
          "__consumer_offsets (internal, present on east) not mirrored", "east %d, west %d",
          partitions_of(east, "__consumer_offsets"), partitions_of(west, "__consumer_offsets"));
    check(!topic_sync_find(ts, "__private") && !topic_sync_find(ts, "app-internal") &&
              partitions_of(west, "__private") < 0 && partitions_of(west, "app-internal") < 0,
          "__private and app-internal (internal names) not mirrored", "%zu topics listed",
          ts->topic_count);
    const synced_topic *x = topic_sync_find(ts, "prexist");
    check(x && x->err == 0 && x->target_partitions == 4 && partitions_of(west, "prexist") == 4,
          "prexist: the target topic that had 2 partitions grew to the source's 4", "%s",
          entry_text(x, text, sizeof(text)));
    check(logged(log, "grew topic prexist on west from 2 to 4 partitions", NULL) == 1,
          "the growth is logged", "%d", logged(log, "grew topic prexist", NULL));
    int sorted = 1;
    for (size_t i = 1; i < ts->topic_count; i++)
        sorted = sorted && strcmp(ts->topics[i - 1].source_topic, ts->topics[i].source_topic) < 0;
    check(sorted && ts->topic_count == 3, "the list: orders, payments, prexist, sorted",
          "%zu topics", ts->topic_count);
}

static void check_changes(topic_sync *ts, kc_client *east, kc_client *west, capture *log)
{
    char buf[256], text[512];
    capture_mark(log);
    run_pass(ts, east, west);
    check(logged(log, "INFO", NULL) == 0 && logged(log, "WARN", NULL) == 0,
          "an unchanged second pass creates, grows and alters nothing", "%d INFO lines",
          logged(log, "INFO", NULL));

    grow_topic(east, "orders", 9);
    set_config(east, "orders", "retention.ms", "7200000");
    set_config(east, "orders", "segment.ms", "600000");
    set_config(east, "orders", "min.insync.replicas", "1");
    set_config(west, "orders", "max.message.bytes", "2000000");
    set_config(west, "orders", "delete.retention.ms", "1000");
    capture_mark(log);
    run_pass(ts, east, west);
    const synced_topic *o = topic_sync_find(ts, "orders");
    check(o && o->err == 0 && o->source_partitions == 9 && o->target_partitions == 9 &&
              partitions_of(west, "orders") == 9,
          "source grew 6 -> 9: the target grows to 9", "%s", entry_text(o, text, sizeof(text)));
    check(logged(log, "grew topic orders on west from 6 to 9 partitions", NULL) == 1,
          "the growth is logged", "see the log");
    config_of(west, "orders", "retention.ms", buf, sizeof(buf));
    check(!strcmp(buf, "7200000"), "a changed retention.ms is synced", "%s", buf);
    config_of(west, "orders", "segment.ms", buf, sizeof(buf));
    check(!strcmp(buf, "600000"), "a newly set segment.ms is synced", "%s", buf);
    config_of(west, "orders", "min.insync.replicas", buf, sizeof(buf));
    check(!strncmp(buf, "default:", 8), "min.insync.replicas is still not copied", "%s", buf);
    config_of(west, "orders", "delete.retention.ms", buf, sizeof(buf));
    check(!strcmp(buf, "1000"), "a setting made on the target alone stays", "%s", buf);
    check(o && o->max_message_bytes == 2000000,
          "max.message.bytes recorded as the target topic's own setting", "%d",
          o ? o->max_message_bytes : -2);
    check(logged(log, "synced configs of topic orders on west", "retention.ms=7200000") == 1 &&
              logged(log, "synced configs", "cleanup.policy") == 0,
          "the config change is logged with only what changed", "see the log");

    capture_mark(log);
    run_pass(ts, east, west);
    check(logged(log, "INFO", NULL) == 0, "after syncing, the next pass alters nothing",
          "%d INFO lines", logged(log, "INFO", NULL));
}

static void check_sync_off(const char *east_bs, const char *west_bs, kc_client *east,
                           kc_client *west, capture *log)
{
    mirror_config cfg;
    load_config(&cfg, east_bs, west_bs,
                "    topics: [\"orders\"]\n    sync.topic.configs: false\n");
    topic_sync ts;
    topic_sync_init(&ts, &cfg.flows[0], &log->logger);
    set_config(east, "orders", "retention.ms", "9000000");
    capture_mark(log);
    run_pass(&ts, east, west);
    char buf[64];
    config_of(west, "orders", "retention.ms", buf, sizeof(buf));
    check(!strcmp(buf, "7200000") && logged(log, "synced configs", NULL) == 0,
          "sync.topic.configs: false leaves a changed source config alone", "%s", buf);
    const synced_topic *o = topic_sync_find(&ts, "orders");
    check(o && o->err == 0 && o->max_message_bytes == 2000000,
          "sync.topic.configs: false still records max.message.bytes", "%d",
          o ? o->max_message_bytes : -2);
    topic_sync_free(&ts);
    mirror_config_free(&cfg);
}

static void check_source_deleted(topic_sync *ts, kc_client *east, kc_client *west,
                                 capture *log)
{
    delete_topic(east, "payments");
    capture_mark(log);
    run_pass(ts, east, west);
    check(!topic_sync_find(ts, "payments") && partitions_of(west, "payments") == 2,
          "delete.topics off: the source topic is gone, the target topic stays",
          "west has %d partitions", partitions_of(west, "payments"));
    check(logged(log, "source topic payments on east is gone", "kept") == 1,
          "delete.topics off: the disappearance is logged", "see the log");
    capture_mark(log);
    run_pass(ts, east, west);
    check(logged(log, "payments", NULL) == 0, "... only once", "%d lines",
          logged(log, "payments", NULL));
}

static void check_prefix(const char *east_bs, const char *west_bs, kc_client *east,
                         kc_client *west, capture *log)
{
    mirror_config cfg;
    load_config(&cfg, east_bs, west_bs,
                "    topics: [\"orders\", \"temp\"]\n"
                "    naming: prefix\n"
                "    delete.topics: true\n");
    topic_sync ts;
    topic_sync_init(&ts, &cfg.flows[0], &log->logger);
    create_topic(east, "temp", 3, NULL, 0);
    capture_mark(log);
    run_pass(&ts, east, west);
    char buf[64], text[512];
    const synced_topic *o = topic_sync_find(&ts, "orders");
    check(o && o->err == 0 && !strcmp(o->target_topic, "east.orders") &&
              partitions_of(west, "east.orders") == 9,
          "prefix naming: orders becomes east.orders with 9 partitions", "%s",
          entry_text(o, text, sizeof(text)));
    config_of(west, "east.orders", "retention.ms", buf, sizeof(buf));
    check(!strcmp(buf, "9000000"), "prefix naming: east.orders gets the source's configs", "%s",
          buf);
    check(partitions_of(west, "east.temp") == 3, "prefix naming: temp becomes east.temp", "%d",
          partitions_of(west, "east.temp"));
    delete_topic(east, "temp");
    capture_mark(log);
    run_pass(&ts, east, west);
    check(partitions_of(west, "east.temp") < 0 && !topic_sync_find(&ts, "temp") &&
              partitions_of(west, "east.orders") == 9,
          "delete.topics: temp deleted on east -> east.temp deleted on west, others stay",
          "east.temp has %d partitions", partitions_of(west, "east.temp"));
    check(logged(log, "deleted topic east.temp on west", "source topic temp on east is gone") ==
              1,
          "the deletion is logged", "see the log");
    topic_sync_free(&ts);
    mirror_config_free(&cfg);
}

static int cmd_brokers(const char *east_bs, const char *west_bs)
{
    capture log;
    capture_open(&log);
    mirror_config cfg;
    load_config(&cfg, east_bs, west_bs, identity_flow);
    kc_client *east = client_for(&cfg.clusters[0]);
    kc_client *west = client_for(&cfg.clusters[1]);
    setup_east(east);
    create_topic(west, "prexist", 2, NULL, 0);

    topic_sync ts;
    topic_sync_init(&ts, &cfg.flows[0], &log.logger);
    check(run_pass(&ts, east, west) == KC_OK, "a first pass over two brokers succeeds", "see log");
    check_first_pass(&ts, east, west, &log);
    check_changes(&ts, east, west, &log);
    check_sync_off(east_bs, west_bs, east, west, &log);
    check_source_deleted(&ts, east, west, &log);
    check_prefix(east_bs, west_bs, east, west, &log);

    topic_sync_free(&ts);
    kc_client_free(east);
    kc_client_free(west);
    mirror_config_free(&cfg);
    capture_close(&log);
    return failed ? 1 : 0;
}

/* ---- the mock cluster as the target ------------------------------------------------------- */

static int cmd_mock_target(const char *east_bs, const char *mock_bs)
{
    capture log;
    capture_open(&log);
    mirror_config cfg;
    load_config(&cfg, east_bs, mock_bs, "    topics: [\"mocktopic\", \"bigger\", \"fresh\"]\n");
    kc_client *east = client_for(&cfg.clusters[0]);
    kc_client *mock = client_for(&cfg.clusters[1]);
    create_topic(east, "mocktopic", 6, NULL, 0);
    create_topic(east, "bigger", 4, NULL, 0);
    create_topic(east, "fresh", 2, NULL, 0);
    topic_sync ts;
    topic_sync_init(&ts, &cfg.flows[0], &log.logger);
    char text[512];
    check(run_pass(&ts, east, mock) == KC_OK, "mock target: the pass succeeds (degraded)",
          "see the log");
    const synced_topic *f = topic_sync_find(&ts, "fresh");
    check(f && f->err == KC_ERR_UNSUPPORTED && f->message &&
              !strcmp(f->message, "target cluster west does not support CreateTopics and topic "
                                  "fresh does not exist"),
          "mock target: a missing topic gets KC_ERR_UNSUPPORTED and a message naming cluster, "
          "API and topic", "%s", entry_text(f, text, sizeof(text)));
    const synced_topic *m = topic_sync_find(&ts, "mocktopic");
    check(m && m->err != 0 && m->target_partitions == 3 && m->message &&
              strstr(m->message, "target topic mocktopic has 3 partitions, source has 6: "
                                 "CreatePartitions failed: "),
          "mock target: fewer target partitions and CreatePartitions refused -> that topic's "
          "error names both counts", "%s", entry_text(m, text, sizeof(text)));
    const synced_topic *b = topic_sync_find(&ts, "bigger");
    check(b && b->err == 0 && b->source_partitions == 4 && b->target_partitions == 8 &&
              b->max_message_bytes == -1,
          "mock target: a target topic with more partitions is fine; max.message.bytes unknown",
          "%s", entry_text(b, text, sizeof(text)));
    check(logged(&log, "WARN", "target cluster west does not support CreateTopics") == 1 &&
              logged(&log, "WARN", "target cluster west does not support CreatePartitions") == 1 &&
              logged(&log, "WARN", "target cluster west does not support DescribeConfigs") == 1,
          "mock target: one warning per missing API, naming the cluster", "see the log");
    capture_mark(&log);
    run_pass(&ts, east, mock);
    f = topic_sync_find(&ts, "fresh");
    check(logged(&log, "WARN", NULL) == 0 && f && f->err == KC_ERR_UNSUPPORTED,
          "mock target: a second pass warns no more and still reports the topic", "%d WARN",
          logged(&log, "WARN", NULL));
    topic_sync_free(&ts);
    kc_client_free(east);
    kc_client_free(mock);
    mirror_config_free(&cfg);
    capture_close(&log);
    return failed ? 1 : 0;
}

/* ---- the mock cluster as the source ------------------------------------------------------- */

static int cmd_mock_source(const char *mock_bs, const char *west_bs)
{
    capture log;
    capture_open(&log);
    mirror_config cfg;
    load_config(&cfg, mock_bs, west_bs, "    topics: [\"mock.*\"]\n");
    kc_client *mock = client_for(&cfg.clusters[0]);
    kc_client *west = client_for(&cfg.clusters[1]);
    topic_sync ts;
    topic_sync_init(&ts, &cfg.flows[0], &log.logger);
    char text[512], buf[64];
    check(run_pass(&ts, mock, west) == KC_OK, "mock source: the pass succeeds", "see the log");
    const synced_topic *m = topic_sync_find(&ts, "mocktopic");
    check(m && m->err == 0 && m->target_partitions == 3 && partitions_of(west, "mocktopic") == 3,
          "mock source: mocktopic created on west with 3 partitions", "%s",
          entry_text(m, text, sizeof(text)));
    config_of(west, "mocktopic", "retention.ms", buf, sizeof(buf));
    check(!strncmp(buf, "default:", 8) && m && m->max_message_bytes > 0,
          "mock source: created without configs; max.message.bytes known from west", "%s", buf);
    check(logged(&log, "WARN", "source cluster east does not support DescribeConfigs: topic "
                               "configs are not mirrored") == 1,
          "mock source: one warning naming the source cluster and DescribeConfigs",
          "see the log");
    capture_mark(&log);
    run_pass(&ts, mock, west);
    check(logged(&log, "WARN", NULL) == 0 && logged(&log, "INFO", NULL) == 0,
          "mock source: a second pass is quiet", "see the log");
    topic_sync_free(&ts);
    kc_client_free(mock);
    kc_client_free(west);
    mirror_config_free(&cfg);
    capture_close(&log);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "brokers"))
        return cmd_brokers(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "mock-target"))
        return cmd_mock_target(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "mock-source"))
        return cmd_mock_source(argv[2], argv[3]);
    fprintf(stderr, "usage: %s brokers|mock-target|mock-source SOURCE TARGET\n", argv[0]);
    return 2;
}
