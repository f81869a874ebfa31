/* test_mirror_config.c — the mirror's YAML configuration: the shipped
 * config/mirror.yaml, defaults, nested and dotted keys, lists written as a
 * single string, every refused input (with its line and key), and the
 * topic/group matching and target naming rules. Runs from the repo root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mirror/mirror_config.h"

#define TWO_CLUSTERS                                                                           \
    "clusters:\n"                                                                              \
    "  east: {bootstrap.servers: \"e:9092\"}\n"                                               \
    "  west: {bootstrap.servers: \"w:9092\"}\n"

static st_err load(mirror_config *c, const char *text, char *err, size_t errlen)
{
    return mirror_config_load_string(c, "test.yaml", text, strlen(text), err, errlen);
}

/* Loads text that must be valid; fails the test with the message if not. */
static void load_ok(mirror_config *c, const char *text)
{
    char err[512] = "";
    st_err e = load(c, text, err, sizeof(err));
    if (e != ST_OK)
        fail_msg("unexpected error: %s", err);
}

/* TWO_CLUSTERS and one east->west flow (lines 5 and 6) plus extra, whose
 * first line is line 7. */
static const char *one_flow(char *buf, size_t len, const char *extra)
{
    snprintf(buf, len,
             TWO_CLUSTERS "flows:\n"
                          "  - source: east\n"
                          "    target: west\n"
                          "%s",
             extra);
    return buf;
}

static void test_shipped_config_loads(void **state)
{
    (void)state;
    mirror_config c;
    char err[512] = "";
    assert_int_equal(mirror_config_load(&c, "config/mirror.yaml", err, sizeof(err)), ST_OK);
    assert_string_equal(c.path, "config/mirror.yaml");
    assert_string_equal(c.database, "./data/mirror/offsets.db");
    assert_string_equal(c.metrics_host, "127.0.0.1");
    assert_int_equal(c.metrics_port, 9464);
    assert_int_equal(c.log_interval_ms, 30000);

    assert_int_equal(c.cluster_count, 2);
    assert_string_equal(c.clusters[0].name, "east");
    assert_string_equal(c.clusters[0].bootstrap_servers, "127.0.0.1:9092");
    assert_int_equal(c.clusters[0].property_count, 0);
    assert_string_equal(c.clusters[1].name, "west");
    assert_string_equal(c.clusters[1].bootstrap_servers, "127.0.0.1:9192");

    assert_int_equal(c.flow_count, 1);
    const mirror_flow *f = &c.flows[0];
    assert_string_equal(f->name, "east->west");
    assert_ptr_equal(f->source, &c.clusters[0]);
    assert_ptr_equal(f->target, &c.clusters[1]);
    assert_int_equal(f->topics.count, 1);
    assert_string_equal(f->topics.sources[0], ".*");
    assert_int_equal(f->topics_exclude.count, 0);
    assert_int_equal(f->groups.count, 1);
    assert_string_equal(f->groups.sources[0], ".*");
    assert_int_equal(f->groups_exclude.count, 0);
    assert_int_equal(f->naming, MIRROR_NAMING_IDENTITY);
    assert_string_equal(f->separator, ".");
    assert_int_equal(f->replication_factor, -1);
    assert_int_equal(f->refresh_topics_interval_ms, 30000);
    assert_int_equal(f->emit_checkpoints_interval_ms, 10000);
    assert_true(f->sync_topic_configs);
    assert_true(f->sync_group_offsets);
    assert_false(f->delete_topics);
    assert_int_equal(f->compression, MIRROR_COMPRESSION_SOURCE);
    assert_true(f->read_committed);
    assert_int_equal(f->linger_ms, 5);
    assert_true(f->enabled);

    assert_ptr_equal(mirror_config_find_flow(&c, "east", "west"), f);
    assert_null(mirror_config_find_flow(&c, "west", "east"));
    assert_ptr_equal(mirror_config_cluster(&c, "west"), &c.clusters[1]);
    assert_null(mirror_config_cluster(&c, "north"));
    assert_true(mirror_flow_topic_matches(f, "trucks_gps"));
    mirror_config_free(&c);
    assert_null(c.clusters);
    assert_int_equal(c.flow_count, 0);
}

static void test_defaults_without_mirror_section(void **state)
{
    (void)state;
    mirror_config c;
    char buf[1024];
    load_ok(&c, one_flow(buf, sizeof(buf), ""));
    assert_string_equal(c.path, "test.yaml");
    assert_string_equal(c.database, "./data/mirror/offsets.db");
    assert_string_equal(c.metrics_host, "127.0.0.1");
    assert_int_equal(c.metrics_port, 0);
    assert_int_equal(c.log_interval_ms, 30000);
    const mirror_flow *f = &c.flows[0];
    assert_string_equal(f->name, "east->west");
    assert_int_equal(f->topics.count, 1);
    assert_string_equal(f->topics.sources[0], ".*");
    assert_int_equal(f->groups.count, 1);
    assert_int_equal(f->topics_exclude.count, 0);
    assert_int_equal(f->groups_exclude.count, 0);
    assert_int_equal(f->naming, MIRROR_NAMING_IDENTITY);
    assert_string_equal(f->separator, ".");
    assert_int_equal(f->replication_factor, -1);
    assert_int_equal(f->refresh_topics_interval_ms, 30000);
    assert_int_equal(f->emit_checkpoints_interval_ms, 10000);
    assert_true(f->sync_topic_configs && f->sync_group_offsets && !f->delete_topics);
    assert_int_equal(f->compression, MIRROR_COMPRESSION_SOURCE);
    assert_true(f->read_committed);
    assert_int_equal(f->linger_ms, 5);
    assert_true(f->enabled);
    mirror_config_free(&c);
}

static void test_every_flow_setting(void **state)
{
    (void)state;
    mirror_config c;
    load_ok(&c, TWO_CLUSTERS "flows:\n"
                             "  - name: e2w\n"
                             "    source: east\n"
                             "    target: west\n"
                             "    topics: [orders, \"pay.*\"]\n"
                             "    topics.exclude: [pay-test]\n"
                             "    groups: [\"app-.*\"]\n"
                             "    groups.exclude: [app-debug]\n"
                             "    naming: prefix\n"
                             "    separator: _\n"
                             "    replication.factor: 3\n"
                             "    refresh.topics.interval.ms: 1000\n"
                             "    emit.checkpoints.interval.ms: 2000\n"
                             "    sync.topic.configs: false\n"
                             "    sync.group.offsets: false\n"
                             "    delete.topics: true\n"
                             "    compression.type: zstd\n"
                             "    isolation.level: read_uncommitted\n"
                             "    linger.ms: 0\n"
                             "    enabled: false\n");
    const mirror_flow *f = &c.flows[0];
    assert_string_equal(f->name, "e2w");
    assert_int_equal(f->topics.count, 2);
    assert_string_equal(f->topics.sources[1], "pay.*");
    assert_int_equal(f->topics_exclude.count, 1);
    assert_int_equal(f->groups.count, 1);
    assert_int_equal(f->groups_exclude.count, 1);
    assert_int_equal(f->naming, MIRROR_NAMING_PREFIX);
    assert_string_equal(f->separator, "_");
    assert_int_equal(f->replication_factor, 3);
    assert_int_equal(f->refresh_topics_interval_ms, 1000);
    assert_int_equal(f->emit_checkpoints_interval_ms, 2000);
    assert_false(f->sync_topic_configs);
    assert_false(f->sync_group_offsets);
    assert_true(f->delete_topics);
    assert_int_equal(f->compression, 4);
    assert_false(f->read_committed);
    assert_int_equal(f->linger_ms, 0);
    assert_false(f->enabled);
    mirror_config_free(&c);
}

static void test_compression_codec_ids(void **state)
{
    (void)state;
    const char *names[] = {"source", "none", "gzip", "snappy", "lz4", "zstd"};
    const int ids[] = {MIRROR_COMPRESSION_SOURCE, 0, 1, 2, 3, 4};
    for (size_t i = 0; i < 6; i++) {
        char extra[64], buf[1024];
        snprintf(extra, sizeof(extra), "    compression.type: %s\n", names[i]);
        mirror_config c;
        load_ok(&c, one_flow(buf, sizeof(buf), extra));
        assert_int_equal(c.flows[0].compression, ids[i]);
        mirror_config_free(&c);
    }
}

static void test_nested_and_dotted_keys_agree(void **state)
{
    (void)state;
    const char *dotted = "mirror:\n"
                         "  metrics.port: 9999\n"
                         "  metrics.host: 0.0.0.0\n"
                         "  log.interval.ms: 5000\n"
                         "clusters:\n"
                         "  east:\n"
                         "    bootstrap.servers: e:9092\n"
                         "    request.timeout.ms: 1000\n"
                         "    client.id: mm\n"
                         "  west: {bootstrap.servers: w:9092}\n"
                         "flows:\n"
                         "  - {source: east, target: west, sync.topic.configs: false,\n"
                         "     topics.exclude: [tmp]}\n";
    const char *nested = "mirror:\n"
                         "  metrics: {port: 9999, host: 0.0.0.0}\n"
                         "  log: {interval: {ms: 5000}}\n"
                         "clusters:\n"
                         "  east:\n"
                         "    bootstrap: {servers: e:9092}\n"
                         "    request: {timeout: {ms: 1000}}\n"
                         "    client: {id: mm}\n"
                         "  west: {bootstrap: {servers: w:9092}}\n"
                         "flows:\n"
                         "  - source: east\n"
                         "    target: west\n"
                         "    sync: {topic: {configs: false}}\n"
                         "    topics: {exclude: [tmp]}\n";
    const char *texts[] = {dotted, nested};
    for (size_t i = 0; i < 2; i++) {
        mirror_config c;
        load_ok(&c, texts[i]);
        assert_int_equal(c.metrics_port, 9999);
        assert_string_equal(c.metrics_host, "0.0.0.0");
        assert_int_equal(c.log_interval_ms, 5000);
        const mirror_cluster *east = mirror_config_cluster(&c, "east");
        assert_non_null(east);
        assert_string_equal(east->bootstrap_servers, "e:9092");
        assert_int_equal(east->property_count, 2);
        assert_string_equal(east->properties[0].name, "request.timeout.ms");
        assert_string_equal(east->properties[0].value, "1000");
        assert_string_equal(east->properties[1].name, "client.id");
        assert_string_equal(east->properties[1].value, "mm");
        assert_string_equal(mirror_config_cluster(&c, "west")->bootstrap_servers, "w:9092");
        const mirror_flow *f = &c.flows[0];
        assert_false(f->sync_topic_configs);
        assert_int_equal(f->topics_exclude.count, 1);
        assert_string_equal(f->topics_exclude.sources[0], "tmp");
        assert_int_equal(f->topics.count, 1); /* the default, still */
        mirror_config_free(&c);
    }
}

static void test_cluster_values(void **state)
{
    (void)state;
    mirror_config c;
    load_ok(&c, "clusters:\n"
                "  east:\n"
                "    bootstrap.servers: [a:9092, b:9092]\n"
                "    retry.backoff.ms: ~\n"
                "    client.id: \"\"\n"
                "    anything.goes: [x, y]\n");
    assert_int_equal(c.cluster_count, 1);
    assert_int_equal(c.flow_count, 0); /* no flows: nothing to do, allowed */
    const mirror_cluster *east = &c.clusters[0];
    assert_string_equal(east->bootstrap_servers, "a:9092,b:9092");
    assert_int_equal(east->property_count, 2); /* the null one is not set */
    assert_string_equal(east->properties[0].name, "client.id");
    assert_string_equal(east->properties[0].value, "");
    assert_string_equal(east->properties[1].name, "anything.goes");
    assert_string_equal(east->properties[1].value, "x,y");
    mirror_config_free(&c);

    load_ok(&c, TWO_CLUSTERS "flows: []\n");
    assert_int_equal(c.flow_count, 0);
    mirror_config_free(&c);
}

static void test_list_written_as_one_string(void **state)
{
    (void)state;
    mirror_config c;
    char buf[1024];
    /* a single string is one regex, never split at its comma */
    load_ok(&c, one_flow(buf, sizeof(buf),
                         "    topics: \"a{1,3}\"\n"
                         "    groups: app-.*\n"
                         "    groups.exclude: app-x\n"));
    const mirror_flow *f = &c.flows[0];
    assert_int_equal(f->topics.count, 1);
    assert_string_equal(f->topics.sources[0], "a{1,3}");
    assert_true(mirror_flow_topic_matches(f, "aaa"));
    assert_false(mirror_flow_topic_matches(f, "aaaa"));
    assert_int_equal(f->groups.count, 1);
    assert_true(mirror_flow_group_matches(f, "app-1"));
    assert_false(mirror_flow_group_matches(f, "app-x"));
    assert_false(mirror_flow_group_matches(f, "other"));
    mirror_config_free(&c);

    /* an explicit empty list mirrors nothing */
    load_ok(&c, one_flow(buf, sizeof(buf), "    topics: []\n"));
    assert_int_equal(c.flows[0].topics.count, 0);
    assert_false(mirror_flow_topic_matches(&c.flows[0], "orders"));
    mirror_config_free(&c);
}

static void test_topic_matching_rules(void **state)
{
    (void)state;
    mirror_config c;
    char buf[1024];
    load_ok(&c, one_flow(buf, sizeof(buf),
                         "    topics: [\"orders\", \"pay.*\", \"__.*\", \".*internal\"]\n"
                         "    topics.exclude: [\"pay-test.*\"]\n"));
    const mirror_flow *f = &c.flows[0];
    /* whole-name matches only */
    assert_true(mirror_flow_topic_matches(f, "orders"));
    assert_false(mirror_flow_topic_matches(f, "orders2"));
    assert_false(mirror_flow_topic_matches(f, "my-orders"));
    assert_true(mirror_flow_topic_matches(f, "payments"));
    /* excludes win */
    assert_false(mirror_flow_topic_matches(f, "pay-test"));
    assert_false(mirror_flow_topic_matches(f, "pay-test-2"));
    /* internal topics never, even when a pattern matches them */
    assert_false(mirror_flow_topic_matches(f, "__consumer_offsets"));
    assert_false(mirror_flow_topic_matches(f, "__transaction_state"));
    assert_false(mirror_flow_topic_matches(f, "east.checkpoints.internal"));
    assert_false(mirror_flow_topic_matches(f, "mm2-offsets-internal"));
    assert_false(mirror_flow_topic_matches(f, ""));
    assert_false(mirror_flow_topic_matches(f, NULL));
    /* identity flows do not skip names that look prefixed */
    assert_false(mirror_flow_topic_matches(f, "west.orders")); /* no pattern matches it */
    mirror_config_free(&c);

    load_ok(&c, one_flow(buf, sizeof(buf), ""));
    assert_true(mirror_flow_topic_matches(&c.flows[0], "west.orders"));
    assert_true(mirror_flow_topic_matches(&c.flows[0], "internal"));
    assert_true(mirror_flow_topic_matches(&c.flows[0], "_single"));
    mirror_config_free(&c);
}

static void test_prefix_flows_do_not_loop(void **state)
{
    (void)state;
    mirror_config c;
    load_ok(&c, TWO_CLUSTERS "flows:\n"
                             "  - {source: east, target: west, naming: prefix}\n"
                             "  - {source: west, target: east, naming: prefix}\n");
    const mirror_flow *ew = mirror_config_find_flow(&c, "east", "west");
    const mirror_flow *we = mirror_config_find_flow(&c, "west", "east");
    assert_non_null(ew);
    assert_non_null(we);
    assert_string_equal(we->name, "west->east");
    /* east->west skips what came from west ("west.") */
    assert_false(mirror_flow_topic_matches(ew, "west.orders"));
    assert_true(mirror_flow_topic_matches(ew, "westorders"));
    assert_true(mirror_flow_topic_matches(ew, "west_orders"));
    assert_true(mirror_flow_topic_matches(ew, "orders"));
    assert_true(mirror_flow_topic_matches(ew, "east.orders"));
    /* and what east->west wrote to west is not copied back */
    char name[300];
    assert_true(mirror_flow_target_topic(ew, "orders", name, sizeof(name)));
    assert_string_equal(name, "east.orders");
    assert_false(mirror_flow_topic_matches(we, name));
    assert_true(mirror_flow_topic_matches(we, "orders"));
    mirror_config_free(&c);

    /* another separator */
    load_ok(&c, TWO_CLUSTERS "flows:\n"
                             "  - {source: west, target: east, naming: prefix, separator: _}\n");
    const mirror_flow *f = &c.flows[0];
    assert_false(mirror_flow_topic_matches(f, "east_orders"));
    assert_true(mirror_flow_topic_matches(f, "east.orders"));
    assert_true(mirror_flow_target_topic(f, "orders", name, sizeof(name)));
    assert_string_equal(name, "west_orders");
    mirror_config_free(&c);
}

static void test_target_topic_names(void **state)
{
    (void)state;
    mirror_config c;
    load_ok(&c, TWO_CLUSTERS "flows:\n"
                             "  - {source: east, target: west}\n"
                             "  - {source: west, target: east, naming: prefix}\n");
    const mirror_flow *identity = &c.flows[0], *prefix = &c.flows[1];
    char name[300];
    assert_true(mirror_flow_target_topic(identity, "orders", name, sizeof(name)));
    assert_string_equal(name, "orders");

    char longest[250];
    memset(longest, 'x', 249);
    longest[249] = '\0';
    assert_true(mirror_flow_target_topic(identity, longest, name, sizeof(name)));
    assert_string_equal(name, longest);
    /* "west." + 249 characters is over Kafka's 249 */
    assert_false(mirror_flow_target_topic(prefix, longest, name, sizeof(name)));
    longest[249 - 5] = '\0';
    assert_true(mirror_flow_target_topic(prefix, longest, name, sizeof(name)));
    assert_int_equal(strlen(name), 249);
    assert_memory_equal(name, "west.", 5);
    /* a buffer too small */
    char small[9];
    assert_false(mirror_flow_target_topic(prefix, "orders", small, sizeof(small)));
    assert_true(mirror_flow_target_topic(prefix, "ord", small, sizeof(small)));
    assert_string_equal(small, "west.ord");
    assert_false(mirror_flow_target_topic(identity, "", name, sizeof(name)));
    mirror_config_free(&c);
}

/* A refused input: the message must hold every needle and out stay empty. */
typedef struct refused {
    const char *text;
    const char *needles[3];
} refused;

static void assert_refused(const refused *r, size_t index)
{
    mirror_config c;
    memset(&c, 0x5a, sizeof(c));
    char err[512] = "";
    st_err e = load(&c, r->text, err, sizeof(err));
    if (e == ST_OK) {
        mirror_config_free(&c);
        fail_msg("case %zu was accepted:\n%s", index, r->text);
    }
    for (size_t i = 0; i < 3 && r->needles[i]; i++)
        if (strstr(err, r->needles[i]) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", index, err, r->needles[i]);
    assert_null(c.clusters);
    assert_null(c.flows);
    assert_null(c.path);
    assert_int_equal(c.cluster_count, 0);
    mirror_config_free(&c); /* harmless on an empty config */
}

#define FLOW(extra) TWO_CLUSTERS "flows:\n  - source: east\n    target: west\n" extra

static void test_bad_values_name_key_and_line(void **state)
{
    (void)state;
    const refused cases[] = {
        {FLOW("    xyz: 1\n"), {"test.yaml:7:", "unknown key 'xyz' in flow east->west"}},
        {FLOW("    sync: {group.offsetz: true}\n"), {"test.yaml:7:", "'sync.group.offsetz'"}},
        {FLOW("    name: e2w\n    bogus: 1\n"), {"test.yaml:8:", "unknown key 'bogus' in flow e2w"}},
        {"mirror:\n  metrics.prot: 1\n" TWO_CLUSTERS,
         {"test.yaml:2:", "unknown key 'metrics.prot' in the mirror section"}},
        {"mirrors: {}\n" TWO_CLUSTERS, {"test.yaml:1:", "unknown top-level key 'mirrors'"}},
        {FLOW("    linger.ms: five\n"), {"test.yaml:7:", "'linger.ms'", "'five'"}},
        {FLOW("    linger.ms: 5.5\n"), {"test.yaml:7:", "'linger.ms'"}},
        {FLOW("    linger.ms: -1\n"), {"test.yaml:7:", "'linger.ms'"}},
        {FLOW("    refresh.topics.interval.ms: -5\n"),
         {"test.yaml:7:", "'refresh.topics.interval.ms'"}},
        {FLOW("    emit.checkpoints.interval.ms: 0\n"),
         {"test.yaml:7:", "'emit.checkpoints.interval.ms'"}},
        {FLOW("    refresh.topics.interval.ms: 99999999999999999999\n"),
         {"test.yaml:7:", "'refresh.topics.interval.ms'"}},
        {FLOW("    replication.factor: 0\n"), {"test.yaml:7:", "'replication.factor'"}},
        {FLOW("    replication.factor: 40000\n"), {"test.yaml:7:", "'replication.factor'"}},
        {FLOW("    naming: suffix\n"), {"test.yaml:7:", "'naming'", "identity | prefix"}},
        {FLOW("    compression.type: brotli\n"), {"test.yaml:7:", "'compression.type'", "zstd"}},
        {FLOW("    isolation.level: serializable\n"), {"test.yaml:7:", "'isolation.level'"}},
        {FLOW("    enabled: maybe\n"), {"test.yaml:7:", "'enabled'", "true or false"}},
        {FLOW("    topics: [ok, \"bad(\"]\n"), {"test.yaml:7:", "bad regex 'bad('", "'topics'"}},
        {FLOW("    groups.exclude:\n      - fine\n      - \"[oops\"\n"),
         {"test.yaml:9:", "'[oops'", "'groups.exclude'"}},
        {FLOW("    topics: \"a)|(b\"\n"), {"test.yaml:7:", "bad regex"}},
        {FLOW("    topics: [\"\"]\n"), {"test.yaml:7:", "empty pattern"}},
        {FLOW("    topics: [[a]]\n"), {"test.yaml:7:", "'topics'"}},
        {FLOW("    naming: [prefix]\n"), {"test.yaml:7:", "'naming'", "single value"}},
        {FLOW("    separator: \"/\"\n"), {"test.yaml:7:", "'separator'"}},
        {FLOW("    name: \"\"\n"), {"test.yaml:7:", "'name'", "empty"}},
        {"mirror:\n  metrics.port: 70000\n" TWO_CLUSTERS, {"test.yaml:2:", "'metrics.port'"}},
        {"mirror:\n  database: \"\"\n" TWO_CLUSTERS, {"test.yaml:2:", "'database'"}},
        {"mirror:\n  log.interval.ms: -1\n" TWO_CLUSTERS, {"test.yaml:2:", "'log.interval.ms'"}},
        {"mirror:\n  log.interval.ms: 0\n" TWO_CLUSTERS, {"test.yaml:2:", "'log.interval.ms'"}},
        {"mirror: [a]\n" TWO_CLUSTERS, {"test.yaml:1:", "'mirror'"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_refused(&cases[i], i);
}

static void test_inconsistent_configs_refused(void **state)
{
    (void)state;
    const refused cases[] = {
        {FLOW("    name: x\n") "  - {source: east, target: north}\n",
         {"test.yaml:8:", "'target'", "unknown cluster 'north'"}},
        {TWO_CLUSTERS "flows:\n  - target: west\n", {"test.yaml:5:", "no 'source'"}},
        {TWO_CLUSTERS "flows:\n  - source: east\n", {"test.yaml:5:", "no 'target'"}},
        {TWO_CLUSTERS "flows:\n  - source: east\n    target: east\n",
         {"test.yaml:6:", "flow east->east", "both source and target"}},
        {TWO_CLUSTERS "flows:\n  - {source: east, target: west}\n"
                      "  - {name: again, source: east, target: west}\n",
         {"test.yaml:6:", "flow again", "one flow per source and target"}},
        {TWO_CLUSTERS "flows:\n  - {name: same, source: east, target: west}\n"
                      "  - {name: same, source: west, target: east}\n",
         {"test.yaml:6:", "duplicate flow name 'same'", "line 5"}},
        {TWO_CLUSTERS "flows:\n  - {source: west, target: east}\n"
                      "  - {name: west->east, source: east, target: west}\n",
         {"test.yaml:6:", "duplicate flow name 'west->east'"}},
        {FLOW("    naming: prefix\n    separator: \"\"\n"),
         {"test.yaml:8:", "'separator'", "empty"}},
        {"clusters:\n  us-east: {bootstrap.servers: a:1}\n  us-west: {bootstrap.servers: b:1}\n"
         "flows:\n  - {source: us-east, target: us-west, naming: prefix,\n"
         "     separator: \"-\"}\n",
         {"test.yaml:6:", "'separator' '-'", "cluster name 'us-east'"}},
        {TWO_CLUSTERS "flows:\n  - {source: east, target: west, naming: prefix}\n"
                      "  - {source: west, target: east, naming: prefix, separator: _}\n",
         {"test.yaml:6:", "flow west->east", "one separator"}},
        {"", {"test.yaml:1:", "no clusters"}},
        {"mirror: {metrics.port: 1}\n", {"test.yaml:1:", "no clusters"}},
        {"clusters: {}\n", {"test.yaml:1:", "no clusters"}},
        {"clusters:\nflows: []\n", {"test.yaml:1:", "no clusters"}},
        {"clusters:\n  east: {client.id: x}\n", {"test.yaml:2:", "cluster east", "bootstrap.servers"}},
        {"clusters:\n  east:\n", {"test.yaml:2:", "cluster east"}},
        {"clusters:\n  east: {bootstrap.servers: \"\"}\n", {"test.yaml:2:", "bootstrap.servers"}},
        {"clusters:\n  us.east: {bootstrap.servers: a:1}\n", {"test.yaml:2:", "'us.east'"}},
        {"clusters:\n  east: {bootstrap.servers: a:1}\n  east: {bootstrap.servers: b:1}\n",
         {"test.yaml:3:", "cluster east is defined twice", "line 2"}},
        {"clusters:\n  east:\n    request.timeout.ms: 1\n    request: {timeout.ms: 2}\n"
         "    bootstrap.servers: a:1\n",
         {"test.yaml:4:", "'request.timeout.ms' is set twice in cluster east", "line 3"}},
        {"clusters: [east]\n", {"test.yaml:1:", "'clusters'"}},
        {TWO_CLUSTERS "flows: {source: east}\n", {"test.yaml:4:", "'flows'"}},
        {TWO_CLUSTERS "flows: [east]\n", {"test.yaml:4:", "flow #1"}},
        {TWO_CLUSTERS TWO_CLUSTERS, {"test.yaml:4:", "'clusters' appears twice"}},
        {"[1, 2]\n", {"test.yaml:1:", "top level"}},
        {TWO_CLUSTERS "flows:\n  - &f {source: east, target: west}\n  - *f\n",
         {"aliases are not supported"}},
        {"a: &x [*x]\n", {"aliases are not supported"}},
        {TWO_CLUSTERS "flows: [\n", {"test.yaml:", "YAML syntax error"}},
        {TWO_CLUSTERS "---\nclusters: {}\n", {"test.yaml:5:", "only one YAML document"}},
        {TWO_CLUSTERS "flows:\n  - {source: east, target: west, topics: \"a\\0b\"}\n",
         {"test.yaml:5:", "NUL"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_refused(&cases[i], i);
}

static void test_deep_nesting_is_bounded(void **state)
{
    (void)state;
    char text[8192];
    size_t used = (size_t)snprintf(text, sizeof(text), "mirror: ");
    for (int i = 0; i < 200; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "{k%d: ", i);
    used += (size_t)snprintf(text + used, sizeof(text) - used, "1");
    for (int i = 0; i < 200; i++)
        text[used++] = '}';
    text[used++] = '\n';
    text[used] = '\0';
    mirror_config c;
    char err[512] = "";
    assert_int_equal(load(&c, text, err, sizeof(err)), ST_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "nested"));
}

static void test_missing_file(void **state)
{
    (void)state;
    mirror_config c;
    char err[512] = "";
    assert_int_equal(mirror_config_load(&c, "/nonexistent/mirror.yaml", err, sizeof(err)),
                     ST_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/mirror.yaml"));
    assert_null(c.path);
    mirror_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_config_loads),
        cmocka_unit_test(test_defaults_without_mirror_section),
        cmocka_unit_test(test_every_flow_setting),
        cmocka_unit_test(test_compression_codec_ids),
        cmocka_unit_test(test_nested_and_dotted_keys_agree),
        cmocka_unit_test(test_cluster_values),
        cmocka_unit_test(test_list_written_as_one_string),
        cmocka_unit_test(test_topic_matching_rules),
        cmocka_unit_test(test_prefix_flows_do_not_loop),
        cmocka_unit_test(test_target_topic_names),
        cmocka_unit_test(test_bad_values_name_key_and_line),
        cmocka_unit_test(test_inconsistent_configs_refused),
        cmocka_unit_test(test_deep_nesting_is_bounded),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
