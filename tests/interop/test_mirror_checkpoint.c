/* test_mirror_checkpoint.c — one checkpoint pass of strait-mirror
 * (mirror/checkpoint.c) between two live brokers, for
 * test_mirror_checkpoint.sh. Prints "ok - ..." / "FAIL - ..." lines and a
 * summary; exits non-zero on a failure.
 *
 *   test_mirror_checkpoint CONFIG.yaml
 *
 * The config names clusters east and west and one prefix flow east->west
 * for topic `orders` and groups `g-.*`, with its database path. The program
 * fills the offset store by hand (east `orders` [0] offsets 0..9 became
 * west `east.orders` [0] offsets 3..12, [1] 0..4 became 0..4), commits
 * group offsets on east (and some on west), runs checkpointer_run and
 * checks: the translated offsets committed into west's groups on the
 * renamed topic, never backwards, a group with a live member on west left
 * alone (and synced once the member left), groups and topics outside the
 * flow ignored, the store's checkpoint rows, and the bytes of the MM2
 * heartbeat and checkpoint records (compacted, 1-partition topics). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kafka_client.h"
#include "common/logging.h"
#include "mirror/checkpoint.h"
#include "mirror/cluster_client.h"
#include "mirror/mirror_config.h"
#include "mirror/mm2_format.h"
#include "mirror/offset_store.h"
#include "mirror/topic_sync.h"

#define TIMEOUT_MS 15000

static int passed, failed;

static void check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(bool cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", cond ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (cond)
        passed++;
    else
        failed++;
    fflush(stdout);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const st_logger LOG = {ST_LOG_INFO, NULL};

typedef struct world {
    mirror_config config;
    const mirror_flow *flow;
    kc_client *source;            /* the flow's source (east, or the mock) */
    kc_client *target;            /* west */
    offset_store *store;
    topic_sync topics;
    checkpointer cp;
} world;

/* ---- set-up ------------------------------------------------------------------------------ */

static bool create_topic(kc_client *c, const char *name, int32_t partitions)
{
    st_arena a;
    st_arena_init(&a);
    kc_new_topic t = {name, partitions, -1, NULL, 0};
    kc_admin_result *res = NULL;
    kc_err err = kc_admin_create_topics(c, &t, 1, false, TIMEOUT_MS, &a, &res);
    bool ok = err == KC_OK || err == KAFKA_TOPIC_ALREADY_EXISTS;
    if (!ok)
        fprintf(stderr, "create %s: %s\n", name, kc_client_last_error(c));
    st_arena_free(&a);
    return ok;
}

/* Commits offsets[i] of (topics[i], parts[i]) for group as an admin (the
 * group has no members), all with the same metadata. */
static bool commit(kc_client *c, const char *group, const char *metadata, size_t n,
                   const char *const *topics, const int32_t *parts, const int64_t *offsets)
{
    kc_group_offset o[8];
    for (size_t i = 0; i < n; i++)
        o[i] = (kc_group_offset){topics[i], parts[i], offsets[i], -1, metadata, 0};
    kc_err err = kc_admin_alter_group_offsets(c, group, o, n, TIMEOUT_MS);
    if (err)
        fprintf(stderr, "commit %s: %s\n", group, kc_client_last_error(c));
    return err == KC_OK;
}

/* The committed offset of group on (topic, partition), -1 when none;
 * metadata (optional) gets a copy of its metadata. */
static int64_t committed(kc_client *c, const char *group, const char *topic, int32_t partition,
                         char *metadata, size_t metalen)
{
    st_arena a;
    st_arena_init(&a);
    kc_group_offset *offs = NULL;
    size_t n = 0;
    int64_t result = -2;
    if (kc_admin_list_group_offsets(c, group, NULL, 0, TIMEOUT_MS, &a, &offs, &n) == KC_OK) {
        result = -1;
        for (size_t i = 0; i < n; i++) {
            if (offs[i].partition == partition && strcmp(offs[i].topic, topic) == 0) {
                result = offs[i].offset;
                if (metadata)
                    snprintf(metadata, metalen, "%s", offs[i].metadata ? offs[i].metadata : "");
            }
        }
    } else {
        fprintf(stderr, "offsets of %s: %s\n", group, kc_client_last_error(c));
    }
    st_arena_free(&a);
    return result;
}

static size_t committed_count(kc_client *c, const char *group)
{
    st_arena a;
    st_arena_init(&a);
    kc_group_offset *offs = NULL;
    size_t n = 0;
    kc_admin_list_group_offsets(c, group, NULL, 0, TIMEOUT_MS, &a, &offs, &n);
    st_arena_free(&a);
    return n;
}

static bool fill_store(world *w)
{
    char err[512];
    store_key p0 = {w->flow->name, "orders", 0}, p1 = {w->flow->name, "orders", 1};
    bool ok = offset_store_begin(w->store, err, sizeof(err)) == ST_OK;
    for (int64_t s = 0; ok && s < 10; s++)
        ok = offset_store_record(w->store, &p0, s, s + 3, err, sizeof(err)) == ST_OK;
    ok = ok && offset_store_advance(w->store, &p0, 10, err, sizeof(err)) == ST_OK;
    for (int64_t s = 0; ok && s < 5; s++)
        ok = offset_store_record(w->store, &p1, s, s, err, sizeof(err)) == ST_OK;
    ok = ok && offset_store_advance(w->store, &p1, 5, err, sizeof(err)) == ST_OK;
    ok = ok && offset_store_commit(w->store, err, sizeof(err)) == ST_OK;
    if (!ok)
        fprintf(stderr, "store: %s\n", err);
    return ok;
}

/* A member of g-active on west, polled until it owns its partitions. */
static kc_consumer *active_member(const world *w)
{
    char err[512];
    kc_consumer_config *conf =
        cluster_consumer_config_new(w->flow->target, "test-member", &LOG, err, sizeof(err));
    if (!conf)
        return NULL;
    kc_consumer_config_set(conf, "group.id", "g-active", NULL, 0);
    kc_consumer_config_set(conf, "enable.auto.commit", "false", NULL, 0);
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!c)
        return NULL;
    const char *topic = "east.orders";
    kc_consumer_subscribe(c, &topic, 1);
    int64_t until = wall_ms() + 30000;
    while (wall_ms() < until) {
        kc_consumer_poll(c, 200);
        kc_partition_list *a = NULL;
        if (kc_consumer_generation(c) > 0 && kc_consumer_assignment(c, &a) == KC_OK && a &&
            a->count == 2) {
            kc_partition_list_free(a);
            return c;
        }
        kc_partition_list_free(a);
    }
    kc_consumer_free(c);
    return NULL;
}

/* ---- the MM2 records ---------------------------------------------------------------------- */

typedef struct mm2_seen {
    mm2_checkpoint cps[32];
    size_t cp_count;
    mm2_heartbeat hbs[8];
    size_t hb_count;
    int bad;             /* records that did not decode */
} mm2_seen;

static void mm2_seen_clear(mm2_seen *s)
{
    for (size_t i = 0; i < s->cp_count; i++)
        mm2_checkpoint_clear(&s->cps[i]);
    for (size_t i = 0; i < s->hb_count; i++)
        mm2_heartbeat_clear(&s->hbs[i]);
    memset(s, 0, sizeof(*s));
}

/* Reads both MM2 topics of west from the beginning until want_cps
 * checkpoints and want_hbs heartbeats arrived (or 20 s passed). */
static void read_mm2(const world *w, size_t want_cps, size_t want_hbs, mm2_seen *s)
{
    memset(s, 0, sizeof(*s));
    char err[512];
    kc_consumer_config *conf =
        cluster_consumer_config_new(w->flow->target, "test-reader", &LOG, err, sizeof(err));
    if (!conf)
        return;
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!c)
        return;
    kc_partition_list *l = kc_partition_list_new(2);
    kc_partition_list_add(l, "east.checkpoints.internal", 0)->offset = KC_OFFSET_BEGINNING;
    kc_partition_list_add(l, "heartbeats", 0)->offset = KC_OFFSET_BEGINNING;
    kc_consumer_assign(c, l);
    kc_partition_list_free(l);
    int64_t until = wall_ms() + 20000;
    while (wall_ms() < until && (s->cp_count < want_cps || s->hb_count < want_hbs)) {
        const kc_message *m = kc_consumer_poll(c, 200);
        if (!m || m->err)
            continue;
        if (strcmp(m->topic, "heartbeats") == 0 && s->hb_count < 8) {
            mm2_heartbeat *hb = &s->hbs[s->hb_count++];
            if (mm2_heartbeat_key_decode(m->key, m->key_len, hb, err, sizeof(err)) ||
                mm2_heartbeat_value_decode(m->value, m->value_len, hb, err, sizeof(err))) {
                fprintf(stderr, "heartbeat at %lld: %s\n", (long long)m->offset, err);
                s->bad++;
            }
        } else if (s->cp_count < 32) {
            mm2_checkpoint *cp = &s->cps[s->cp_count++];
            if (mm2_checkpoint_key_decode(m->key, m->key_len, cp, err, sizeof(err)) ||
                mm2_checkpoint_value_decode(m->value, m->value_len, cp, err, sizeof(err))) {
                fprintf(stderr, "checkpoint at %lld: %s\n", (long long)m->offset, err);
                s->bad++;
            }
        }
    }
    kc_consumer_free(c);
}

/* The last checkpoint record of (group, topic, partition), or NULL. */
static const mm2_checkpoint *find_cp(const mm2_seen *s, const char *group, const char *topic,
                                     int32_t partition)
{
    const mm2_checkpoint *found = NULL;
    for (size_t i = 0; i < s->cp_count; i++)
        if (s->cps[i].group && strcmp(s->cps[i].group, group) == 0 &&
            strcmp(s->cps[i].topic, topic) == 0 && s->cps[i].partition == partition)
            found = &s->cps[i];
    return found;
}

static void check_cp(const mm2_seen *s, const char *group, int32_t partition, int64_t upstream,
                     int64_t downstream, const char *metadata)
{
    const mm2_checkpoint *cp = find_cp(s, group, "east.orders", partition);
    check(cp && cp->upstream_offset == upstream && cp->downstream_offset == downstream &&
              strcmp(cp->metadata, metadata) == 0,
          "MM2 checkpoint record %s east.orders [%d]: upstream %lld, offset %lld, metadata "
          "'%s' (got %lld, %lld, '%s')",
          group, partition, (long long)upstream, (long long)downstream, metadata,
          cp ? (long long)cp->upstream_offset : -9, cp ? (long long)cp->downstream_offset : -9,
          cp ? cp->metadata : "(none)");
}

/* Both MM2 topics: one partition, cleanup.policy=compact. */
static void check_mm2_topics(const world *w)
{
    const char *names[2] = {"heartbeats", "east.checkpoints.internal"};
    for (int i = 0; i < 2; i++) {
        st_arena a;
        st_arena_init(&a);
        kc_topic_desc *d = NULL;
        size_t n = 0;
        kc_admin_describe_topics(w->target, &names[i], 1, TIMEOUT_MS, &a, &d, &n);
        kc_resource r = {KC_RESOURCE_TOPIC, names[i]};
        kc_config_resource *cr = NULL;
        kc_admin_describe_configs(w->target, &r, 1, false, TIMEOUT_MS, &a, &cr);
        const char *policy = "?";
        for (size_t j = 0; cr && !cr->err && j < cr->entry_count; j++)
            if (strcmp(cr->entries[j].name, "cleanup.policy") == 0)
                policy = cr->entries[j].value ? cr->entries[j].value : "(null)";
        check(n == 1 && d[0].err == 0 && d[0].partition_count == 1 &&
                  strcmp(policy, "compact") == 0,
              "MM2 topic %s on west: 1 partition, cleanup.policy=compact (got %d, %s)", names[i],
              n == 1 ? d[0].partition_count : -1, policy);
        st_arena_free(&a);
    }
}

/* ---- the scenario ------------------------------------------------------------------------- */

static const char *const ORDERS2[] = {"orders", "orders"};
static const int32_t P01[] = {0, 1};

static bool set_up(world *w)
{
    bool ok = create_topic(w->source, "orders", 2) && create_topic(w->source, "unmirrored", 1);
    kc_err err = topic_sync_run(&w->topics, w->source, w->target, TIMEOUT_MS);
    const synced_topic *t = topic_sync_find(&w->topics, "orders");
    check(err == KC_OK && t && t->err == 0 && strcmp(t->target_topic, "east.orders") == 0 &&
              t->target_partitions == 2,
          "topic_sync: east orders -> west east.orders, 2 partitions");
    ok = ok && t && fill_store(w);
    /* g-new: only on east (plus a partition of a topic the flow does not mirror). */
    const char *const new_topics[] = {"orders", "orders", "unmirrored"};
    const int32_t new_parts[] = {0, 1, 0};
    ok = ok && commit(w->source, "g-new", "m1", 3, new_topics, new_parts,
                      (const int64_t[]){4, 5, 3});
    /* g-ahead: west is ahead on [0] (100 > 7), behind on [1] (1 < 3). */
    ok = ok && commit(w->source, "g-ahead", "", 2, ORDERS2, P01, (const int64_t[]){4, 3});
    const char *const west2[] = {"east.orders", "east.orders"};
    ok = ok && commit(w->target, "g-ahead", "", 2, west2, P01, (const int64_t[]){100, 1});
    /* g-active: east at 6 (-> 9); west has a live member that committed 1. */
    ok = ok && commit(w->source, "g-active", "", 1, ORDERS2, P01, (const int64_t[]){6});
    /* x-other: not matched by the flow's groups. */
    ok = ok && commit(w->source, "x-other", "", 1, ORDERS2, P01, (const int64_t[]){2});
    return ok;
}

static void first_pass(world *w)
{
    char err[512];
    int64_t before = wall_ms();
    kc_err rc = checkpointer_run(&w->cp, w->source, w->target, w->store, &w->topics, TIMEOUT_MS);
    int64_t after = wall_ms();
    check(rc == KC_OK, "checkpointer_run returns 0 (%s)", kc_err_name(rc));

    char meta[64] = "";
    int64_t g0 = committed(w->target, "g-new", "east.orders", 0, meta, sizeof(meta));
    int64_t g1 = committed(w->target, "g-new", "east.orders", 1, NULL, 0);
    check(g0 == 7 && g1 == 5 && strcmp(meta, "m1") == 0,
          "g-new (absent on west): east.orders [0] 4 -> 7, [1] 5 -> 5, metadata kept (got %lld, "
          "%lld, '%s')",
          (long long)g0, (long long)g1, meta);
    check(committed_count(w->target, "g-new") == 2,
          "g-new: nothing committed on west for the unmirrored topic or the source names");
    int64_t a0 = committed(w->target, "g-ahead", "east.orders", 0, NULL, 0);
    int64_t a1 = committed(w->target, "g-ahead", "east.orders", 1, NULL, 0);
    check(a0 == 100, "g-ahead [0]: west's 100 is not moved back to 7 (got %lld)",
          (long long)a0);
    check(a1 == 3, "g-ahead [1]: west's 1 moves forward to 3 (got %lld)", (long long)a1);
    int64_t act = committed(w->target, "g-active", "east.orders", 0, NULL, 0);
    check(act == 1, "g-active has a member on west: its offset 1 is left alone (got %lld)",
          (long long)act);
    check(committed_count(w->target, "x-other") == 0, "x-other (not in groups) is not synced");
    check(w->cp.groups_synced == 2 && w->cp.offsets_written == 3,
          "counters: 2 groups synced, 3 offsets written (got %lld, %lld)",
          (long long)w->cp.groups_synced, (long long)w->cp.offsets_written);

    store_checkpoint *rows = NULL;
    size_t n = 0;
    st_err se = offset_store_checkpoints(w->store, w->flow->name, "g-new", &rows, &n, err,
                                         sizeof(err));
    check(se == ST_OK && n == 2 && strcmp(rows[0].topic, "orders") == 0 &&
              rows[0].partition == 0 && rows[0].source_offset == 4 &&
              rows[0].target_offset == 7 && strcmp(rows[0].metadata, "m1") == 0 &&
              rows[1].partition == 1 && rows[1].source_offset == 5 &&
              rows[1].target_offset == 5 && rows[0].time_ms >= before - 1000 &&
              rows[0].time_ms <= after,
          "store: g-new's checkpoint rows (source topic orders, 4->7 and 5->5, time of the pass)");
    offset_store_free_checkpoints(rows, n);
    se = offset_store_checkpoints(w->store, w->flow->name, "g-active", &rows, &n, err,
                                  sizeof(err));
    check(se == ST_OK && n == 1 && rows[0].target_offset == 9,
          "store: g-active is checkpointed (6 -> 9) even though west is not written");
    offset_store_free_checkpoints(rows, n);
    se = offset_store_checkpoints(w->store, w->flow->name, "x-other", &rows, &n, err,
                                  sizeof(err));
    check(se == ST_OK && n == 0, "store: no checkpoint for x-other");
    offset_store_free_checkpoints(rows, n);

    check_mm2_topics(w);
    mm2_seen s;
    read_mm2(w, 5, 1, &s);
    check(s.bad == 0 && s.cp_count == 5 && s.hb_count == 1,
          "MM2 records decode: 5 checkpoints, 1 heartbeat (got %zu, %zu, %d bad)", s.cp_count,
          s.hb_count, s.bad);
    check_cp(&s, "g-new", 0, 4, 7, "m1");
    check_cp(&s, "g-new", 1, 5, 5, "m1");
    check_cp(&s, "g-ahead", 0, 4, 7, "");
    check_cp(&s, "g-ahead", 1, 3, 3, "");
    check_cp(&s, "g-active", 0, 6, 9, "");
    check(!find_cp(&s, "g-new", "orders", 0),
          "MM2 checkpoint records name the target topic, never the source one");
    const mm2_heartbeat *hb = s.hb_count ? &s.hbs[0] : NULL;
    check(hb && strcmp(hb->source_alias, "east") == 0 && strcmp(hb->target_alias, "west") == 0 &&
              hb->timestamp_ms >= before - 1000 && hb->timestamp_ms <= after,
          "MM2 heartbeat: east -> west, stamped during the pass");
    mm2_seen_clear(&s);
}

static void second_pass(world *w)
{
    /* g-new moved back on east (a reset to 2 -> 5): west keeps 7. */
    w->cp.offsets_written = 0;
    commit(w->source, "g-new", "m2", 1, ORDERS2, P01, (const int64_t[]){2});
    kc_err rc = checkpointer_run(&w->cp, w->source, w->target, w->store, &w->topics, TIMEOUT_MS);
    check(rc == KC_OK, "second pass returns 0 (%s)", kc_err_name(rc));
    int64_t g0 = committed(w->target, "g-new", "east.orders", 0, NULL, 0);
    check(g0 == 7, "g-new reset to 2 on east (-> 5): west stays at 7 (got %lld)", (long long)g0);
    int64_t act = committed(w->target, "g-active", "east.orders", 0, NULL, 0);
    check(act == 9, "g-active after its member left (Empty): 1 -> 9 (got %lld)", (long long)act);
    check(w->cp.offsets_written == 1, "second pass: only g-active's offset written (got %lld)",
          (long long)w->cp.offsets_written);
    mm2_seen s;
    read_mm2(w, 10, 2, &s);
    const mm2_checkpoint *cp = find_cp(&s, "g-new", "east.orders", 0);
    check(s.hb_count == 2 && cp && cp->upstream_offset == 2 && cp->downstream_offset == 5 &&
              strcmp(cp->metadata, "m2") == 0,
          "second pass: a new heartbeat, and g-new's checkpoint record says 2 -> 5 (the "
          "source's truth, whatever the target group holds)");
    mm2_seen_clear(&s);
}

/* A source that cannot be reached stops the pass with an error. */
static void unreachable_source(world *w)
{
    mirror_cluster dead = *w->flow->source;
    dead.bootstrap_servers = "127.0.0.1:1";
    dead.properties = NULL;
    dead.property_count = 0;
    char err[512];
    kc_client *c = cluster_client_new(&dead, "test-dead", &LOG, err, sizeof(err));
    int64_t t0 = wall_ms();
    kc_err rc = checkpointer_run(&w->cp, c, w->target, w->store, &w->topics, 3000);
    int64_t took = wall_ms() - t0;
    check(rc != KC_OK && took < 10000,
          "unreachable source: checkpointer_run fails (%s) within its bound (%lld ms)",
          kc_err_name(rc), (long long)took);
    kc_client_free(c);
}

/* The main scenario: flow east->west between two strait-brokers. */
static void east_to_west(world *w)
{
    bool ready = set_up(w);
    check(ready, "set-up: topics, store rows and group offsets in place");
    kc_consumer *member = ready ? active_member(w) : NULL;
    check(member != NULL, "g-active has a live member on west");
    if (!ready || !member) {
        if (member)
            kc_consumer_free(member);
        return;
    }
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, "east.orders", 0)->offset = 1;
    check(kc_consumer_commit_sync(member, l, TIMEOUT_MS) == KC_OK,
          "g-active's member commits 1 on west");
    kc_partition_list_free(l);
    first_pass(w);
    kc_consumer_close(member, TIMEOUT_MS); /* g-active becomes Empty on west */
    second_pass(w);
    unreachable_source(w);
}

/* ---- a source without ListGroups (librdkafka's mock cluster) ----------------------------- */

/* Flow mock->west, groups ["g-lit", "g\\.dotted", "h-.*"]: without
 * ListGroups only the first two are plain names; h-x (matched only by the
 * regex) cannot be found. */
static void literal_groups(world *w)
{
    bool ok = true; /* the mock serves `orders` already (and lacks CreateTopics) */
    kc_err err = topic_sync_run(&w->topics, w->source, w->target, TIMEOUT_MS);
    const synced_topic *t = topic_sync_find(&w->topics, "orders");
    check(err == KC_OK && t && t->err == 0 && strcmp(t->target_topic, "mock.orders") == 0,
          "topic_sync: mock orders -> west mock.orders");
    ok = ok && t && fill_store(w);
    ok = ok && commit(w->source, "g-lit", "", 1, ORDERS2, P01, (const int64_t[]){4});
    ok = ok && commit(w->source, "g.dotted", "", 1, ORDERS2, P01, (const int64_t[]){2});
    ok = ok && commit(w->source, "h-x", "", 1, ORDERS2, P01, (const int64_t[]){1});
    check(ok, "set-up on the mock: topic, store rows, group offsets");
    kc_err rc = checkpointer_run(&w->cp, w->source, w->target, w->store, &w->topics, TIMEOUT_MS);
    check(rc == KC_OK, "checkpointer_run against a source without ListGroups returns 0 (%s)",
          kc_err_name(rc));
    int64_t lit = committed(w->target, "g-lit", "mock.orders", 0, NULL, 0);
    int64_t dotted = committed(w->target, "g.dotted", "mock.orders", 0, NULL, 0);
    check(lit == 7, "literal pattern g-lit: 4 -> 7 on west (got %lld)", (long long)lit);
    check(dotted == 5, "pattern g\\.dotted names group g.dotted: 2 -> 5 on west (got %lld)",
          (long long)dotted);
    check(committed_count(w->target, "h-x") == 0,
          "h-x, matched only by a regex, is not found without ListGroups");
    check(w->cp.warned != 0, "the missing ListGroups was warned about");
    rc = checkpointer_run(&w->cp, w->source, w->target, w->store, &w->topics, TIMEOUT_MS);
    check(rc == KC_OK, "a second pass against the mock returns 0 (%s)", kc_err_name(rc));
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 3 && strcmp(argv[2], "literal") == 0)) {
        fprintf(stderr, "usage: %s CONFIG.yaml [literal]\n", argv[0]);
        return 2;
    }
    bool literal = argc == 3;
    world w;
    memset(&w, 0, sizeof(w));
    char err[512];
    if (mirror_config_load(&w.config, argv[1], err, sizeof(err)) != ST_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    w.flow = mirror_config_find_flow(&w.config, literal ? "mock" : "east", "west");
    if (!w.flow) {
        fprintf(stderr, "no such flow in %s\n", argv[1]);
        return 2;
    }
    w.source = cluster_client_new(w.flow->source, "test-east", &LOG, err, sizeof(err));
    w.target = cluster_client_new(w.flow->target, "test-west", &LOG, err, sizeof(err));
    if (!w.source || !w.target ||
        offset_store_open(&w.store, w.config.database, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, "set-up: %s\n", err);
        return 2;
    }
    topic_sync_init(&w.topics, w.flow, &LOG);
    checkpointer_init(&w.cp, &w.config, w.flow, &LOG);

    if (literal)
        literal_groups(&w);
    else
        east_to_west(&w);

    checkpointer_free(&w.cp);
    topic_sync_free(&w.topics);
    offset_store_close(w.store);
    kc_client_free(w.source);
    kc_client_free(w.target);
    mirror_config_free(&w.config);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
