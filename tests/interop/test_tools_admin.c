/* test_tools_admin.c — drives Strait's admin API (kc_admin_* in
 * common/kafka_client.h, linked from build/libstrait.a) for
 * test_tools_admin.sh. Prints "ok - ..." / "FAIL - ..." lines.
 *
 * Commands:
 *   broker BOOTSTRAP   every admin call against a Strait broker: describe
 *                      cluster; create topics (validate-only, duplicates,
 *                      already existing), describe topics (named, all,
 *                      missing), create partitions (up, and down refused);
 *                      describe configs (topic, broker, synonyms, missing),
 *                      incremental and legacy alter configs; list offsets
 *                      (earliest, latest, by timestamp, max timestamp) on
 *                      records produced with known timestamps; delete
 *                      records; group offsets written as an admin (list,
 *                      partial list, delete), list/describe/delete groups,
 *                      and the same refused while a consumer is a member;
 *                      delete topics; a blocking call from a callback.
 *   mock BOOTSTRAP     against librdkafka's mock cluster (no admin APIs):
 *                      each admin-only call fails at once with
 *                      KC_ERR_UNSUPPORTED and "<Api> is not supported by
 *                      this broker"; describe topics/cluster still work
 *                      (Metadata). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kafka_client.h"

static int passed, failed;

static void check(int cond, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check(int cond, const char *what, const char *fmt, ...)
{
    if (cond) {
        passed++;
        printf("ok - %s\n", what);
        return;
    }
    failed++;
    char detail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    printf("FAIL - %s: %s\n", what, detail);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static kc_config *make_config(const char *bootstrap)
{
    kc_config *conf = kc_config_new();
    char err[256];
    st_logger lg = {ST_LOG_ERROR, stderr};
    kc_config_set_logger(conf, &lg);
    if (kc_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        kc_config_set(conf, "allow.auto.create.topics", "false", err, sizeof(err))) {
        fprintf(stderr, "config: %s\n", err);
        exit(2);
    }
    return conf;
}

static kc_client *connect_client(const char *bootstrap)
{
    kc_config *conf = make_config(bootstrap);
    char err[256];
    kc_client *c = kc_client_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!c || kc_client_connect(c, 10000)) {
        fprintf(stderr, "connect: %s\n", c ? kc_client_last_error(c) : err);
        exit(2);
    }
    return c;
}

#define T 15000 /* the calls' timeout */

/* ---- cluster and topics ------------------------------------------------------------- */

static int32_t test_cluster(kc_client *c, st_arena *a)
{
    kc_cluster_desc cl;
    kc_err err = kc_admin_describe_cluster(c, T, a, &cl);
    check(!err && cl.cluster_id && *cl.cluster_id, "describe cluster: a cluster id", "%s",
          kc_client_last_error(c));
    check(cl.broker_count == 1 && cl.brokers[0].host && cl.brokers[0].port > 0,
          "describe cluster: the one broker with its address", "%zu brokers", cl.broker_count);
    check(cl.controller >= 0, "describe cluster: a controller", "%d", cl.controller);
    return cl.broker_count ? cl.brokers[0].node_id : 0;
}

static const kc_topic_desc *describe_one(kc_client *c, st_arena *a, const char *name)
{
    kc_topic_desc *t = NULL;
    size_t n = 0;
    kc_admin_describe_topics(c, &name, 1, T, a, &t, &n);
    return t;
}

static void test_create_topics(kc_client *c, st_arena *a)
{
    kc_config_pair cfg[] = {{"retention.ms", "60000"}};
    kc_new_topic topics[] = {{"adm-a", 3, 1, cfg, 1}, {"adm-b", -1, -1, NULL, 0}};
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_create_topics(c, topics, 2, true, T, a, &r);
    check(!err && r && !r[0].err && !r[1].err, "create topics, validate only: accepted", "%s",
          kc_client_last_error(c));
    const kc_topic_desc *t = describe_one(c, a, "adm-a");
    check(t && t->err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "validate only creates nothing",
          "err %d", t ? t->err : -999);
    err = kc_admin_create_topics(c, topics, 2, false, T, a, &r);
    check(!err && !r[0].err && !r[1].err && !strcmp(r[1].name, "adm-b"),
          "create two topics (explicit layout and broker defaults)", "%s",
          kc_client_last_error(c));
    err = kc_admin_create_topics(c, topics, 1, false, T, a, &r);
    check(err == KAFKA_TOPIC_ALREADY_EXISTS && strstr(r[0].message, "adm-a") &&
              strstr(kc_client_last_error(c), "adm-a"),
          "creating it again: TOPIC_ALREADY_EXISTS, message naming the topic", "%d %s", err,
          r ? r[0].message : "");
    kc_new_topic dup[] = {{"adm-dup", 1, 1, NULL, 0}, {"adm-dup", 1, 1, NULL, 0}};
    err = kc_admin_create_topics(c, dup, 2, false, T, a, &r);
    check(err && r[0].err == r[1].err && r[0].err == KAFKA_INVALID_REQUEST,
          "a name given twice: both items get the broker's INVALID_REQUEST", "%d/%d", r[0].err,
          r[1].err);
}

static void test_describe_topics(kc_client *c, st_arena *a)
{
    const char *names[] = {"adm-a", "nosuch"};
    kc_topic_desc *t = NULL;
    size_t n = 0;
    kc_err err = kc_admin_describe_topics(c, names, 2, T, a, &t, &n);
    check(err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && n == 2 && t[1].err == err &&
              strstr(kc_client_last_error(c), "nosuch"),
          "describe topics: a missing one is named and marked UNKNOWN_TOPIC_OR_PARTITION",
          "err %d n %zu: %s", err, n, kc_client_last_error(c));
    int ok = n == 2 && !t[0].err && t[0].partition_count == 3;
    for (int32_t i = 0; ok && i < 3; i++)
        ok = t[0].partitions[i].partition == i && t[0].partitions[i].leader >= 0 &&
             t[0].partitions[i].replica_count == 1 && t[0].partitions[i].isr_count == 1;
    int zero = 1;
    for (int i = 0; ok && i < 16; i++)
        zero = zero && !t[0].topic_id.b[i];
    check(ok && !zero, "describe topics: 3 sorted partitions with leaders, replicas, ISR, an id",
          "partitions %d", n ? t[0].partition_count : -1);
    err = kc_admin_describe_topics(c, NULL, 0, T, a, &t, &n);
    int sorted = !err && n >= 2;
    for (size_t i = 1; sorted && i < n; i++)
        sorted = strcmp(t[i - 1].name, t[i].name) < 0;
    check(sorted, "describe all topics: sorted by name", "%zu topics", n);
}

static void test_partitions(kc_client *c, st_arena *a)
{
    kc_new_partitions np = {"adm-a", 5};
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_create_partitions(c, &np, 1, false, T, a, &r);
    const kc_topic_desc *t = describe_one(c, a, "adm-a");
    check(!err && t && t->partition_count == 5, "create partitions: 3 -> 5", "%s",
          kc_client_last_error(c));
    np.total_count = 2;
    err = kc_admin_create_partitions(c, &np, 1, false, T, a, &r);
    check(err == KAFKA_INVALID_PARTITIONS && *r[0].message,
          "fewer partitions: INVALID_PARTITIONS with the broker's message", "%d %s", err,
          r ? r[0].message : "");
}

/* ---- configs ------------------------------------------------------------------------- */

static const kc_config_entry *entry(const kc_config_resource *r, const char *name)
{
    for (size_t i = 0; i < r->entry_count; i++)
        if (!strcmp(r->entries[i].name, name))
            return &r->entries[i];
    return NULL;
}

static const kc_config_resource *topic_configs(kc_client *c, st_arena *a, const char *topic)
{
    kc_resource res = {KC_RESOURCE_TOPIC, topic};
    kc_config_resource *out = NULL;
    kc_admin_describe_configs(c, &res, 1, true, T, a, &out);
    return out;
}

static void test_configs(kc_client *c, st_arena *a, int32_t node)
{
    const kc_config_resource *r = topic_configs(c, a, "adm-a");
    const kc_config_entry *e = r ? entry(r, "retention.ms") : NULL;
    check(e && !strcmp(e->value, "60000") && e->source == KC_CONFIG_SOURCE_DYNAMIC_TOPIC &&
              e->synonym_count >= 1 && e->synonyms[0].source == KC_CONFIG_SOURCE_DYNAMIC_TOPIC,
          "describe configs: the creation override, its source and synonyms", "%s",
          e ? e->value : "missing");
    int sorted = r && r->entry_count > 10;
    for (size_t i = 1; sorted && i < r->entry_count; i++)
        sorted = strcmp(r->entries[i - 1].name, r->entries[i].name) < 0;
    check(sorted, "describe configs: every config, sorted by name", "%zu",
          r ? r->entry_count : 0);
    char id[16];
    snprintf(id, sizeof(id), "%d", node);
    kc_resource res[] = {{KC_RESOURCE_BROKER, id}, {KC_RESOURCE_TOPIC, "nosuch"}};
    kc_config_resource *out = NULL;
    kc_err err = kc_admin_describe_configs(c, res, 2, false, T, a, &out);
    check(out && !out[0].err && out[0].entry_count > 10 && entry(&out[0], "num.partitions"),
          "describe configs of the broker (sent to that broker)", "%s",
          out ? out[0].message : "");
    check(err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && out && out[1].err == err,
          "describe configs of a missing topic: UNKNOWN_TOPIC_OR_PARTITION", "%d", err);

    kc_config_op ops[] = {{"segment.ms", KC_CONFIG_OP_SET, "3600000"},
                          {"retention.ms", KC_CONFIG_OP_DELETE, NULL}};
    kc_alter_resource alt = {KC_RESOURCE_TOPIC, "adm-a", ops, 2};
    kc_admin_result *res2 = NULL;
    err = kc_admin_incremental_alter_configs(c, &alt, 1, false, T, a, &res2);
    r = topic_configs(c, a, "adm-a");
    check(!err && r && entry(r, "segment.ms")->source == KC_CONFIG_SOURCE_DYNAMIC_TOPIC &&
              entry(r, "retention.ms")->source != KC_CONFIG_SOURCE_DYNAMIC_TOPIC,
          "incremental alter: SET one config, DELETE another", "%s", kc_client_last_error(c));
    kc_config_op legacy[] = {{"cleanup.policy", KC_CONFIG_OP_SET, "compact"}};
    kc_alter_resource alt2 = {KC_RESOURCE_TOPIC, "adm-a", legacy, 1};
    err = kc_admin_alter_configs(c, &alt2, 1, false, T, a, &res2);
    r = topic_configs(c, a, "adm-a");
    check(!err && r && entry(r, "cleanup.policy")->source == KC_CONFIG_SOURCE_DYNAMIC_TOPIC &&
              entry(r, "segment.ms")->source != KC_CONFIG_SOURCE_DYNAMIC_TOPIC,
          "legacy alter: replaces the whole dynamic config", "%s", kc_client_last_error(c));
    alt2.ops = ops;
    alt2.op_count = 2;
    err = kc_admin_alter_configs(c, &alt2, 1, false, T, a, &res2);
    check(err == KC_ERR_INVALID_ARG, "legacy alter with a DELETE op: KC_ERR_INVALID_ARG", "%d",
          err);
    kc_config_op bad[] = {{"segment.ms", KC_CONFIG_OP_SET, "soon"}};
    kc_alter_resource alt3 = {KC_RESOURCE_TOPIC, "adm-a", bad, 1};
    err = kc_admin_incremental_alter_configs(c, &alt3, 1, false, T, a, &res2);
    check(err == KAFKA_INVALID_CONFIG && strstr(res2[0].message, "segment.ms"),
          "a bad value: INVALID_CONFIG with the broker's message", "%d %s", err,
          res2 ? res2[0].message : "");
}

/* ---- offsets and records -------------------------------------------------------------------- */

static void produce_timed(const char *bootstrap)
{
    kc_config *conf = make_config(bootstrap);
    char err[256];
    kc_config_set(conf, "allow.auto.create.topics", "true", err, sizeof(err));
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    int64_t ts[] = {1000, 3000, 2000};
    for (int i = 0; p && i < 3; i++) {
        kc_record r = {"adm-t", 0, "k", 1, "v", 1, NULL, 0, ts[i], KC_COMPRESSION_PRODUCER};
        kc_produce(p, &r, NULL);
    }
    check(p && kc_producer_close(p, 20000) == KC_OK, "3 records with timestamps 1000, 3000, 2000",
          "%s", p ? "close failed" : err);
}

static void test_list_offsets(kc_client *c)
{
    kc_list_offset q[] = {
        {.topic = "adm-t", .partition = 0, .spec = KC_OFFSET_SPEC_EARLIEST},
        {.topic = "adm-t", .partition = 0, .spec = KC_OFFSET_SPEC_LATEST},
        {.topic = "adm-t", .partition = 0, .spec = 1500},
        {.topic = "adm-t", .partition = 0, .spec = 2500},
        {.topic = "adm-t", .partition = 0, .spec = 3500},
        {.topic = "adm-t", .partition = 0, .spec = KC_OFFSET_SPEC_MAX_TIMESTAMP},
    };
    kc_err err = kc_admin_list_offsets(c, q, 6, 0, T);
    check(!err && q[0].offset == 0 && q[1].offset == 3, "list offsets: earliest 0, latest 3",
          "%d: %" PRId64 " %" PRId64, err, q[0].offset, q[1].offset);
    check(q[2].offset == 1 && q[2].timestamp == 3000 && q[3].offset == 1,
          "by timestamp: the first record at or after it", "%" PRId64 "@%" PRId64 ", %" PRId64,
          q[2].offset, q[2].timestamp, q[3].offset);
    check(!q[4].err && q[4].offset == -1, "a timestamp after every record: offset -1",
          "%d %" PRId64, q[4].err, q[4].offset);
    check(q[5].offset == 1 && q[5].timestamp == 3000, "max timestamp: the record of 3000",
          "%" PRId64 "@%" PRId64, q[5].offset, q[5].timestamp);
    kc_list_offset bad[] = {{.topic = "nosuch", .partition = 0, .spec = -1},
                            {.topic = "adm-t", .partition = 7, .spec = -1}};
    int64_t t0 = now_ms();
    err = kc_admin_list_offsets(c, bad, 2, 0, T);
    check(err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && bad[1].err == err &&
              strstr(kc_client_last_error(c), "nosuch") && now_ms() - t0 < 5000,
          "a missing topic or partition: UNKNOWN_TOPIC_OR_PARTITION, named, at once", "%d %s",
          err, kc_client_last_error(c));
}

static void test_delete_records(kc_client *c)
{
    kc_delete_records d = {"adm-t", 0, 2, 0, 0};
    kc_err err = kc_admin_delete_records(c, &d, 1, T);
    kc_list_offset q = {.topic = "adm-t", .partition = 0, .spec = KC_OFFSET_SPEC_EARLIEST};
    kc_admin_list_offsets(c, &q, 1, 0, T);
    check(!err && d.low_watermark == 2 && q.offset == 2,
          "delete records before 2: the log starts at 2", "%d lw %" PRId64 " earliest %" PRId64,
          err, d.low_watermark, q.offset);
    d = (kc_delete_records){"adm-t", 0, -1, 0, 0};
    err = kc_admin_delete_records(c, &d, 1, T);
    check(!err && d.low_watermark == 3, "delete records up to the high watermark (-1)",
          "%d %" PRId64, err, d.low_watermark);
}

/* ---- groups ------------------------------------------------------------------------------------- */

static const kc_group_listing *listed(const kc_group_listing *g, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(g[i].group_id, id))
            return &g[i];
    return NULL;
}

static void test_group_offsets(kc_client *c, st_arena *a)
{
    kc_group_offset set[] = {{"adm-t", 0, 3, -1, NULL, 0}, {"adm-a", 1, 0, -1, "meta", 0}};
    kc_err err = kc_admin_alter_group_offsets(c, "adm-g", set, 2, T);
    check(!err && !set[0].err && !set[1].err, "alter offsets of a new group (admin commit)", "%s",
          kc_client_last_error(c));
    kc_group_offset *o = NULL;
    size_t n = 0;
    err = kc_admin_list_group_offsets(c, "adm-g", NULL, 0, T, a, &o, &n);
    check(!err && n == 2 && !strcmp(o[0].topic, "adm-a") && o[0].partition == 1 &&
              o[0].metadata && !strcmp(o[0].metadata, "meta") && !strcmp(o[1].topic, "adm-t") &&
              o[1].offset == 3,
          "list all offsets of the group: sorted, with metadata", "%d n=%zu", err, n);
    kc_topic_partition want[] = {{"adm-a", 1}, {"adm-a", 2}};
    err = kc_admin_list_group_offsets(c, "adm-g", want, 2, T, a, &o, &n);
    check(!err && n == 2 && o[0].offset == 0 && o[1].offset == -1,
          "list chosen partitions: -1 where nothing is committed", "%d n=%zu", err, n);
    kc_group_listing *g = NULL;
    err = kc_admin_list_groups(c, NULL, 0, T, a, &g, &n);
    const kc_group_listing *l = listed(g, n, "adm-g");
    check(!err && l && !strcmp(l->state, "Empty"), "list groups: the group, Empty", "%s",
          l ? l->state : "missing");
    const char *stable[] = {"stable"};
    err = kc_admin_list_groups(c, stable, 1, T, a, &g, &n);
    check(!err && !listed(g, n, "adm-g"), "list groups filtered by state (case-insensitive)",
          "%zu", n);
    kc_err errs[1];
    kc_topic_partition del = {"adm-a", 1};
    err = kc_admin_delete_group_offsets(c, "adm-g", &del, 1, T, errs);
    kc_admin_list_group_offsets(c, "adm-g", NULL, 0, T, a, &o, &n);
    check(!err && !errs[0] && n == 1 && !strcmp(o[0].topic, "adm-t"),
          "delete one partition's offset (OffsetDelete)", "%d n=%zu", err, n);
}

static void test_groups(kc_client *c, st_arena *a)
{
    const char *ids[] = {"adm-g", "nosuch-g"};
    kc_group_desc *d = NULL;
    kc_err err = kc_admin_describe_groups(c, ids, 2, T, a, &d);
    check(!err && d && !strcmp(d[0].state, "Empty") && d[0].member_count == 0 &&
              d[0].coordinator >= 0 && d[0].coordinator_host,
          "describe an empty group: Empty, no members, its coordinator", "%s",
          kc_client_last_error(c));
    check(d && (!strcmp(d[1].state, "Dead") || d[1].err == KAFKA_GROUP_ID_NOT_FOUND),
          "describe an unknown group: Dead (or GROUP_ID_NOT_FOUND)", "%s %d",
          d ? d[1].state : "", d ? d[1].err : 0);
    kc_admin_result *r = NULL;
    err = kc_admin_delete_groups(c, ids, 2, T, a, &r);
    check(err == KAFKA_GROUP_ID_NOT_FOUND && r && !r[0].err && r[1].err == err &&
              strstr(kc_client_last_error(c), "nosuch-g"),
          "delete groups: one deleted, the unknown one GROUP_ID_NOT_FOUND and named", "%d %s",
          err, kc_client_last_error(c));
}

/* A live member: describe shows it and its decoded assignment; changing
 * or deleting the group is refused. */
static void test_active_group(kc_client *c, st_arena *a, const char *bootstrap)
{
    kc_consumer_config *cc = kc_consumer_config_new();
    char err[256];
    kc_consumer_config_set(cc, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_consumer_config_set(cc, "group.id", "adm-live", err, sizeof(err));
    kc_consumer *cons = kc_consumer_new(cc, NULL, err, sizeof(err));
    kc_consumer_config_free(cc);
    const char *topic = "adm-a";
    if (!cons || kc_consumer_subscribe(cons, &topic, 1)) {
        check(0, "a consumer joins adm-live", "%s", err);
        return;
    }
    kc_group_desc *d = NULL;
    const char *id = "adm-live";
    for (int64_t end = now_ms() + 20000; now_ms() < end;) {
        kc_consumer_poll(cons, 200);
        kc_admin_describe_groups(c, &id, 1, T, a, &d);
        if (d && !strcmp(d->state, "Stable") && d->member_count == 1 &&
            d->members[0].assignment_count == 5)
            break;
    }
    check(d && !strcmp(d->state, "Stable") && d->member_count == 1 &&
              d->members[0].assignment_count == 5 && !strcmp(d->protocol_type, "consumer") &&
              *d->protocol && d->members[0].client_id && d->members[0].client_host,
          "describe an active group: Stable, the member and its 5 decoded partitions", "%s %zu",
          d ? d->state : "", d ? d->member_count : 0);
    kc_group_offset set = {"adm-a", 0, 0, -1, NULL, 0};
    kc_err e = kc_admin_alter_group_offsets(c, "adm-live", &set, 1, T);
    check(e != 0, "an admin commit to an active group is refused", "%d", e);
    kc_admin_result *r = NULL;
    e = kc_admin_delete_groups(c, &id, 1, T, a, &r);
    check(e == KAFKA_NON_EMPTY_GROUP, "deleting an active group: NON_EMPTY_GROUP", "%d", e);
    kc_consumer_close(cons, 10000);
}

static void test_delete_topics(kc_client *c, st_arena *a)
{
    const char *names[] = {"adm-b", "nosuch"};
    kc_admin_result *r = NULL;
    kc_err err = kc_admin_delete_topics(c, names, 2, T, a, &r);
    check(err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && !r[0].err && r[1].err == err,
          "delete topics: one deleted, the missing one UNKNOWN_TOPIC_OR_PARTITION", "%d", err);
    const kc_topic_desc *t = describe_one(c, a, "adm-b");
    check(t && t->err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "the deleted topic is gone", "%d",
          t ? t->err : -1);
}

/* A blocking admin call from inside a callback of the same client. */
typedef struct cb_state {
    st_arena *arena;
    kc_err err;
    int done;
} cb_state;

static void on_refresh(kc_client *c, kc_err err, const char *errstr, void *opaque)
{
    (void)err;
    (void)errstr;
    cb_state *s = opaque;
    kc_cluster_desc cl;
    s->err = kc_admin_describe_cluster(c, 1000, s->arena, &cl);
    s->done = 1;
}

static void test_from_callback(kc_client *c, st_arena *a)
{
    cb_state s = {a, 0, 0};
    kc_metadata_refresh(c, NULL, 0, T, on_refresh, &s);
    for (int i = 0; i < 100 && !s.done; i++)
        kc_client_poll(c, 100);
    check(s.done && s.err == KC_ERR_STATE, "a blocking admin call inside a callback: KC_ERR_STATE",
          "%d", s.err);
}

static int run_broker(const char *bootstrap)
{
    kc_client *c = connect_client(bootstrap);
    st_arena a;
    st_arena_init(&a);
    int32_t node = test_cluster(c, &a);
    test_create_topics(c, &a);
    test_describe_topics(c, &a);
    test_partitions(c, &a);
    test_configs(c, &a, node);
    kc_new_topic t = {"adm-t", 1, 1, NULL, 0};
    kc_admin_result *r = NULL;
    kc_admin_create_topics(c, &t, 1, false, T, &a, &r);
    produce_timed(bootstrap);
    test_list_offsets(c);
    test_delete_records(c);
    test_group_offsets(c, &a);
    test_groups(c, &a);
    test_active_group(c, &a, bootstrap);
    test_delete_topics(c, &a);
    test_from_callback(c, &a);
    st_arena_free(&a);
    kc_client_free(c);
    return 0;
}

/* ---- the mock cluster ------------------------------------------------------------------------------ */

static void unsupported(kc_client *c, const char *what, const char *api, kc_err err, int64_t ms)
{
    char desc[256];
    snprintf(desc, sizeof(desc), "mock cluster: %s fails at once with '%s is not supported'",
             what, api);
    check(err == KC_ERR_UNSUPPORTED && strstr(kc_client_last_error(c), api) &&
              strstr(kc_client_last_error(c), "is not supported by this broker") && ms < 3000,
          desc, "err %d after %" PRId64 " ms: %s", err, ms, kc_client_last_error(c));
}

#define TIMED(call) (t0 = now_ms(), e = (call), ms = now_ms() - t0)

static int run_mock(const char *bootstrap)
{
    kc_client *c = connect_client(bootstrap);
    st_arena a;
    st_arena_init(&a);
    int64_t t0, ms;
    kc_err e;
    kc_new_topic nt = {"x", 1, 1, NULL, 0};
    kc_admin_result *r;
    TIMED(kc_admin_create_topics(c, &nt, 1, false, T, &a, &r));
    unsupported(c, "create topics", "CreateTopics", e, ms);
    const char *name = "mocktopic";
    TIMED(kc_admin_delete_topics(c, &name, 1, T, &a, &r));
    unsupported(c, "delete topics", "DeleteTopics", e, ms);
    kc_new_partitions np = {"mocktopic", 9};
    TIMED(kc_admin_create_partitions(c, &np, 1, false, T, &a, &r));
    unsupported(c, "create partitions", "CreatePartitions", e, ms);
    kc_resource res = {KC_RESOURCE_TOPIC, "mocktopic"};
    kc_config_resource *cr;
    TIMED(kc_admin_describe_configs(c, &res, 1, false, T, &a, &cr));
    unsupported(c, "describe configs", "DescribeConfigs", e, ms);
    kc_config_op op = {"retention.ms", KC_CONFIG_OP_SET, "1"};
    kc_alter_resource alt = {KC_RESOURCE_TOPIC, "mocktopic", &op, 1};
    TIMED(kc_admin_incremental_alter_configs(c, &alt, 1, false, T, &a, &r));
    unsupported(c, "incremental alter configs", "IncrementalAlterConfigs", e, ms);
    TIMED(kc_admin_alter_configs(c, &alt, 1, false, T, &a, &r));
    unsupported(c, "alter configs", "AlterConfigs", e, ms);
    kc_group_listing *gl;
    size_t n;
    TIMED(kc_admin_list_groups(c, NULL, 0, T, &a, &gl, &n));
    unsupported(c, "list groups", "ListGroups", e, ms);
    const char *g = "g";
    kc_group_desc *gd;
    TIMED(kc_admin_describe_groups(c, &g, 1, T, &a, &gd));
    unsupported(c, "describe groups", "DescribeGroups", e, ms);
    TIMED(kc_admin_delete_groups(c, &g, 1, T, &a, &r));
    unsupported(c, "delete groups", "DeleteGroups", e, ms);
    kc_topic_partition tp = {"mocktopic", 0};
    kc_err errs[1];
    TIMED(kc_admin_delete_group_offsets(c, "g", &tp, 1, T, errs));
    unsupported(c, "delete group offsets", "OffsetDelete", e, ms);
    kc_delete_records dr = {"mocktopic", 0, 1, 0, 0};
    TIMED(kc_admin_delete_records(c, &dr, 1, T));
    unsupported(c, "delete records", "DeleteRecords", e, ms);
    kc_topic_desc *td;
    e = kc_admin_describe_topics(c, &name, 1, T, &a, &td, &n);
    check(!e && n == 1 && td[0].partition_count == 3,
          "mock cluster: describe topics works (Metadata v1-3: no auto-creation asked)", "%d %s",
          e, kc_client_last_error(c));
    kc_cluster_desc cl;
    e = kc_admin_describe_cluster(c, T, &a, &cl);
    check(!e && cl.broker_count >= 1,
          "mock cluster: describe cluster falls back to Metadata", "%d %s", e,
          kc_client_last_error(c));
    st_arena_free(&a);
    kc_client_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "broker"))
        run_broker(argv[2]);
    else if (argc == 3 && !strcmp(argv[1], "mock"))
        run_mock(argv[2]);
    else {
        fprintf(stderr, "usage: test_tools_admin broker|mock BOOTSTRAP\n");
        return 2;
    }
    fprintf(stderr, "%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
