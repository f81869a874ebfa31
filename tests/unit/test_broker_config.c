/* test_broker_config.c — the broker's settings: defaults, YAML files (flat
 * and nested), errors naming the key and line, retention precedence,
 * overrides over the file, listeners and advertised listeners, node ids and
 * voters, config/broker.yaml against the built-in defaults, and the
 * DescribeConfigs data (sources, synonyms, read-only, types). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "broker/broker_config.h"
#include "common/compression.h"
#include "common/yaml_config.h"

#define SHIPPED_YAML "config/broker.yaml"

/* A temporary file holding text; the caller unlinks path. */
static void write_temp(char *path, const char *text)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Loads YAML text (NULL: no file) with overrides; returns the error. */
static st_err load_text(broker_config *cfg, const char *yaml, const char *const *ov, size_t n,
                        char *err, size_t errlen)
{
    char path[] = "/tmp/strait-broker-XXXXXX";
    if (yaml != NULL)
        write_temp(path, yaml);
    st_err e = broker_config_load(cfg, yaml ? path : NULL, ov, n, err, errlen);
    if (yaml != NULL)
        unlink(path);
    return e;
}

static void load_ok(broker_config *cfg, const char *yaml, const char *const *ov, size_t n)
{
    char err[512] = "";
    st_err e = load_text(cfg, yaml, ov, n, err, sizeof(err));
    if (e != ST_OK)
        fail_msg("load failed: %s", err);
}

/* Expects failure e with every needle in the message. */
static void load_fails(const char *yaml, const char *const *ov, size_t n, st_err want,
                       const char *needle1, const char *needle2)
{
    broker_config cfg;
    char err[512] = "";
    st_err e = load_text(&cfg, yaml, ov, n, err, sizeof(err));
    if (e != want)
        fail_msg("wanted %s, got %s: %s", st_err_name(want), st_err_name(e), err);
    if (needle1 && strstr(err, needle1) == NULL)
        fail_msg("'%s' lacks '%s'", err, needle1);
    if (needle2 && strstr(err, needle2) == NULL)
        fail_msg("'%s' lacks '%s'", err, needle2);
}

static void test_defaults(void **state)
{
    (void)state;
    broker_config cfg;
    load_ok(&cfg, NULL, NULL, 0);
    assert_int_equal(cfg.node_id, 0);
    assert_true(cfg.role_broker && cfg.role_controller);
    assert_int_equal(cfg.n_listeners, 1);
    assert_string_equal(cfg.listeners[0].name, "PLAINTEXT");
    assert_string_equal(cfg.listeners[0].host, "");
    assert_int_equal(cfg.listeners[0].port, 9092);
    assert_int_equal(cfg.n_log_dirs, 1);
    assert_string_equal(cfg.log_dirs[0], "/tmp/kafka-logs");
    assert_int_equal(cfg.num_partitions, 1);
    assert_int_equal(cfg.default_replication_factor, 1);
    assert_true(cfg.auto_create_topics_enable);
    assert_true(cfg.delete_topic_enable);
    assert_int_equal(cfg.log_retention_ms, 168LL * 3600 * 1000);
    assert_int_equal(cfg.log_retention_bytes, -1);
    assert_int_equal(cfg.log_segment_bytes, 1073741824);
    assert_int_equal(cfg.log_roll_ms, 168LL * 3600 * 1000);
    assert_int_equal(cfg.log_roll_jitter_ms, 0);
    assert_int_equal(cfg.log_retention_check_interval_ms, 300000);
    assert_int_equal(cfg.log_index_interval_bytes, 4096);
    assert_int_equal(cfg.log_index_size_max_bytes, 10485760);
    assert_true(cfg.log_flush_interval_messages == INT64_MAX);
    assert_true(cfg.log_flush_interval_ms == INT64_MAX);
    assert_true(cfg.log_cleanup_delete && !cfg.log_cleanup_compact);
    assert_true(cfg.log_cleaner_enable);
    assert_true(cfg.log_cleaner_min_cleanable_ratio == 0.5);
    assert_int_equal(cfg.log_message_timestamp_type, BROKER_TIMESTAMP_CREATE_TIME);
    assert_int_equal(cfg.message_max_bytes, 1048588);
    assert_int_equal(cfg.socket_request_max_bytes, 104857600);
    assert_int_equal(cfg.min_insync_replicas, 1);
    assert_int_equal(cfg.compression_type, BROKER_COMPRESSION_PRODUCER);
    assert_false(cfg.unclean_leader_election_enable);
    assert_int_equal(cfg.offsets_topic_num_partitions, 50);
    assert_int_equal(cfg.offsets_topic_replication_factor, 3);
    assert_int_equal(cfg.offsets_retention_minutes, 10080);
    assert_int_equal(cfg.offsets_retention_ms, 10080LL * 60000);
    assert_int_equal(cfg.group_initial_rebalance_delay_ms, 3000);
    assert_int_equal(cfg.group_min_session_timeout_ms, 6000);
    assert_int_equal(cfg.group_max_session_timeout_ms, 1800000);
    assert_int_equal(cfg.transaction_state_log_num_partitions, 50);
    assert_int_equal(cfg.producer_id_expiration_ms, 86400000);
    assert_int_equal(cfg.connections_max_idle_ms, 600000);
    assert_int_equal(cfg.fetch_max_bytes, 57671680);
    assert_int_equal(cfg.replica_lag_time_max_ms, 30000);
    assert_int_equal(cfg.num_io_threads, 8);
    assert_null(cfg.broker_rack);
    assert_string_equal(cfg.inter_broker_listener_name, "PLAINTEXT");
    assert_int_equal(cfg.n_voters, 0);
    /* advertised: the listener with this machine's name */
    assert_int_equal(cfg.n_advertised, 1);
    assert_true(cfg.advertised[0].host[0] != '\0');
    assert_int_equal(cfg.advertised[0].port, 9092);
    broker_config_free(&cfg);
}

static void test_flat_and_nested_yaml(void **state)
{
    (void)state;
    broker_config cfg;
    load_ok(&cfg,
            "num.partitions: 3\n"
            "log:\n"
            "  segment.bytes: 1048576\n"
            "  retention:\n"
            "    hours: 24\n"
            "  dirs: [/data/a, /data/b]\n"
            "log.cleanup.policy: compact,delete\n"
            "auto.create.topics.enable: false\n"
            "compression.type: zstd\n"
            "log.cleaner.min.cleanable.ratio: 0.25\n",
            NULL, 0);
    assert_int_equal(cfg.num_partitions, 3);
    assert_int_equal(cfg.log_segment_bytes, 1048576);
    assert_int_equal(cfg.log_retention_ms, 24LL * 3600 * 1000);
    assert_int_equal(cfg.n_log_dirs, 2);
    assert_string_equal(cfg.log_dirs[0], "/data/a");
    assert_string_equal(cfg.log_dirs[1], "/data/b");
    assert_true(cfg.log_cleanup_compact && cfg.log_cleanup_delete);
    assert_false(cfg.auto_create_topics_enable);
    assert_int_equal(cfg.compression_type, ST_CODEC_ZSTD);
    assert_true(cfg.log_cleaner_min_cleanable_ratio == 0.25);
    broker_config_free(&cfg);
}

static void test_unknown_key_names_key_and_line(void **state)
{
    (void)state;
    load_fails("num.partitions: 1\n"
               "\n"
               "log.retention.hourz: 5\n",
               NULL, 0, ST_ERR_MALFORMED, ":3: unknown setting 'log.retention.hourz'", NULL);
    load_fails("log:\n  bogus: 1\n", NULL, 0, ST_ERR_MALFORMED, ":2:", "'log.bogus'");
    load_fails("cluster.id: abc\n", NULL, 0, ST_ERR_MALFORMED, "unknown setting 'cluster.id'", NULL);
}

static void test_bad_values(void **state)
{
    (void)state;
    load_fails("log.retention.hours: abc\n", NULL, 0, ST_ERR_MALFORMED,
               ":1: log.retention.hours: 'abc' is not a number", NULL);
    load_fails("a.b: 1\n", NULL, 0, ST_ERR_MALFORMED, "unknown setting", NULL);
    load_fails("log.retention.hours: 1\nnum.partitions: 0\n", NULL, 0, ST_ERR_MALFORMED, ":2:",
               "num.partitions: must be at least 1, got 0");
    load_fails("log.segment.bytes: 4294967296\n", NULL, 0, ST_ERR_MALFORMED,
               "log.segment.bytes: '4294967296' is out of range for an int", NULL);
    load_fails("log.message.timestamp.type: WallClock\n", NULL, 0, ST_ERR_MALFORMED,
               "log.message.timestamp.type: 'WallClock' is not one of: CreateTime, LogAppendTime", NULL);
    load_fails("log.cleanup.policy: [delete, shred]\n", NULL, 0, ST_ERR_MALFORMED,
               "log.cleanup.policy: 'shred' is not one of: compact, delete", NULL);
    load_fails("delete.topic.enable: yes\n", NULL, 0, ST_ERR_MALFORMED,
               "delete.topic.enable: 'yes' is not a boolean", NULL);
    load_fails("log.cleaner.min.cleanable.ratio: 1.5\n", NULL, 0, ST_ERR_MALFORMED,
               "log.cleaner.min.cleanable.ratio: must be between 0 and 1, got 1.5", NULL);
    load_fails("compression.type: brotli\n", NULL, 0, ST_ERR_MALFORMED, "compression.type: 'brotli'", NULL);
    load_fails("compression.gzip.level: 12\n", NULL, 0, ST_ERR_MALFORMED,
               "compression.gzip.level: must be -1 or between 1 and 9, got 12", NULL);
    load_fails("offsets.topic.replication.factor: 40000\n", NULL, 0, ST_ERR_MALFORMED,
               "out of range for a short", NULL);
    load_fails("process.roles: [broker, zookeeper]\n", NULL, 0, ST_ERR_MALFORMED,
               "'zookeeper' is not one of: broker, controller", NULL);
    load_fails("process.roles: []\n", NULL, 0, ST_ERR_MALFORMED, "process.roles", NULL);
    load_fails("log.dirs: []\n", NULL, 0, ST_ERR_MALFORMED, "log.dirs: at least one directory", NULL);
    load_fails("log.dirs: [/a, /a]\n", NULL, 0, ST_ERR_MALFORMED, "'/a' is listed twice", NULL);
    load_fails("log.dirs: /a,,/b\n", NULL, 0, ST_ERR_MALFORMED, "empty item", NULL);
    load_fails("group.min.session.timeout.ms: 10\ngroup.max.session.timeout.ms: 5\n", NULL, 0,
               ST_ERR_MALFORMED, "group.min.session.timeout.ms (10) is above", NULL);
}

static void test_retention_precedence(void **state)
{
    (void)state;
    broker_config cfg;
    load_ok(&cfg, "log.retention.hours: 2\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, 2 * 3600000LL);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.retention.hours: 2\nlog.retention.minutes: 3\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, 3 * 60000LL);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.retention.hours: 2\nlog.retention.minutes: 3\nlog.retention.ms: 4\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, 4);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.retention.ms: 4\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, 4);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.retention.hours: -1\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, -1);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.retention.minutes: -1\nlog.retention.hours: 5\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, -1);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.roll.hours: 1\n", NULL, 0);
    assert_int_equal(cfg.log_roll_ms, 3600000);
    broker_config_free(&cfg);

    load_ok(&cfg, "log.roll.hours: 1\nlog.roll.ms: 500\nlog.flush.scheduler.interval.ms: 9\n", NULL, 0);
    assert_int_equal(cfg.log_roll_ms, 500);
    assert_int_equal(cfg.log_flush_interval_ms, 9); /* unset: the scheduler interval */
    broker_config_free(&cfg);

    load_ok(&cfg, "log.flush.interval.ms: 7\nlog.flush.scheduler.interval.ms: 9\n", NULL, 0);
    assert_int_equal(cfg.log_flush_interval_ms, 7);
    broker_config_free(&cfg);

    /* a YAML null is "not set" */
    load_ok(&cfg, "log.retention.ms: null\nlog.retention.hours: 1\n", NULL, 0);
    assert_int_equal(cfg.log_retention_ms, 3600000);
    broker_config_free(&cfg);
}

static void test_overrides_win_over_file(void **state)
{
    (void)state;
    broker_config cfg;
    const char *ov[] = {"num.partitions=7", "log.retention.ms=1000", "num.partitions = 8"};
    load_ok(&cfg, "num.partitions: 3\nlog.retention.hours: 1\n", ov, 3);
    assert_int_equal(cfg.num_partitions, 8); /* later overrides win too */
    assert_int_equal(cfg.log_retention_ms, 1000);
    long i = config_values_index(&cfg.values, "num.partitions");
    assert_int_equal(cfg.values.settings[i].source, CONFIG_SOURCE_STATIC_BROKER);
    broker_config_free(&cfg);

    const char *empty_list[] = {"controller.quorum.voters="};
    load_ok(&cfg, NULL, empty_list, 1);
    broker_config_free(&cfg);

    const char *bad[] = {"num.partitions=x"};
    load_fails("num.partitions: 3\n", bad, 1, ST_ERR_MALFORMED, "--override num.partitions=x",
               "num.partitions: 'x' is not a number");
    const char *unknown[] = {"no.such=1"};
    load_fails(NULL, unknown, 1, ST_ERR_MALFORMED, "unknown setting 'no.such'", NULL);
    const char *noeq[] = {"num.partitions"};
    load_fails(NULL, noeq, 1, ST_ERR_MALFORMED, "expected key=value", NULL);
}

static void test_missing_file(void **state)
{
    (void)state;
    broker_config cfg;
    char err[256] = "";
    assert_int_equal(broker_config_load(&cfg, "/nonexistent/broker.yaml", NULL, 0, err, sizeof(err)),
                     ST_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/broker.yaml"));
}

static void test_listeners(void **state)
{
    (void)state;
    broker_config cfg;
    const char *ov[] = {
        "listeners=PLAINTEXT://0.0.0.0:9092, INTERNAL://[::1]:9093,client://localhost:0",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CLIENT:PLAINTEXT",
    };
    load_ok(&cfg, NULL, ov, 2);
    assert_int_equal(cfg.n_listeners, 3);
    assert_string_equal(cfg.listeners[0].name, "PLAINTEXT");
    assert_string_equal(cfg.listeners[0].host, "0.0.0.0");
    assert_int_equal(cfg.listeners[0].port, 9092);
    assert_string_equal(cfg.listeners[1].name, "INTERNAL");
    assert_string_equal(cfg.listeners[1].host, "::1");
    assert_int_equal(cfg.listeners[1].port, 9093);
    assert_string_equal(cfg.listeners[2].name, "CLIENT");
    assert_string_equal(cfg.listeners[2].host, "localhost");
    assert_int_equal(cfg.listeners[2].port, 0);
    assert_non_null(broker_config_listener(&cfg, "internal"));
    assert_null(broker_config_listener(&cfg, "SSL"));

    char err[256] = "";
    assert_int_equal(broker_config_derive_advertised(&cfg, "myhost", err, sizeof(err)), ST_OK);
    assert_int_equal(cfg.n_advertised, 3);
    assert_string_equal(cfg.advertised[0].host, "myhost"); /* 0.0.0.0 is not routable */
    assert_string_equal(cfg.advertised[1].host, "::1");
    assert_string_equal(cfg.advertised[2].host, "localhost");
    broker_config_free(&cfg);
}

static void test_listeners_refused(void **state)
{
    (void)state;
    const char *ssl[] = {"listeners=PLAINTEXT://:9092,SSL://:9093"};
    load_fails(NULL, ssl, 1, ST_ERR_UNSUPPORTED, "listeners: listener 'SSL' uses SSL",
               "only PLAINTEXT");
    const char *sasl[] = {"listeners=SASL_PLAINTEXT://:9093"};
    load_fails(NULL, sasl, 1, ST_ERR_UNSUPPORTED, "SASL_PLAINTEXT", NULL);
    const char *mapped[] = {"listeners=EXTERNAL://:9093",
                            "listener.security.protocol.map=EXTERNAL:SSL"};
    load_fails(NULL, mapped, 2, ST_ERR_UNSUPPORTED, "'EXTERNAL' uses SSL", NULL);
    const char *unmapped[] = {"listeners=EXTERNAL://:9093"};
    load_fails(NULL, unmapped, 1, ST_ERR_MALFORMED, "'EXTERNAL' has no security protocol", NULL);
    const char *format[] = {"listeners=localhost:9092"};
    load_fails(NULL, format, 1, ST_ERR_MALFORMED,
               "listeners: 'localhost:9092' is not NAME://host:port", NULL);
    const char *port[] = {"listeners=PLAINTEXT://:99999"};
    load_fails(NULL, port, 1, ST_ERR_MALFORMED, "is not NAME://host:port", NULL);
    const char *dup[] = {"listeners=PLAINTEXT://:9092,plaintext://:9093"};
    load_fails(NULL, dup, 1, ST_ERR_MALFORMED, "listener name 'PLAINTEXT' is used twice", NULL);
    const char *dup_port[] = {"listeners=A://:9092,B://:9092",
                              "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT"};
    load_fails(NULL, dup_port, 2, ST_ERR_MALFORMED, "port 9092 is used twice", NULL);
    const char *empty[] = {"listeners="};
    load_fails(NULL, empty, 1, ST_ERR_MALFORMED, "at least one listener", NULL);
    const char *ib[] = {"inter.broker.listener.name=REPLICATION"};
    load_fails(NULL, ib, 1, ST_ERR_MALFORMED, "inter.broker.listener.name: 'REPLICATION' is not in listeners",
               NULL);
    const char *map[] = {"listener.security.protocol.map=PLAINTEXT:TLS"};
    load_fails(NULL, map, 1, ST_ERR_MALFORMED, "listener.security.protocol.map: 'PLAINTEXT:TLS'", NULL);
    /* the YAML form names the line */
    load_fails("num.partitions: 1\nlisteners: [PLAINTEXT:/x]\n", NULL, 0, ST_ERR_MALFORMED, ":2: listeners:",
               NULL);
}

static void test_controller_and_advertised_listeners(void **state)
{
    (void)state;
    broker_config cfg;
    /* Kafka's KRaft example: a CONTROLLER listener, PLAINTEXT by default */
    const char *ov[] = {"listeners=PLAINTEXT://:9092,CONTROLLER://:9093",
                        "controller.listener.names=CONTROLLER"};
    load_ok(&cfg, NULL, ov, 2);
    assert_true(cfg.listeners[1].controller);
    assert_false(cfg.listeners[0].controller);
    char err[256] = "";
    assert_int_equal(broker_config_derive_advertised(&cfg, "node1.example", err, sizeof(err)), ST_OK);
    assert_int_equal(cfg.n_advertised, 1); /* clients never see the controller listener */
    assert_string_equal(cfg.advertised[0].name, "PLAINTEXT");
    assert_string_equal(cfg.advertised[0].host, "node1.example");
    assert_int_equal(cfg.advertised[0].port, 9092);
    broker_config_free(&cfg);

    const char *adv[] = {"listeners=PLAINTEXT://:9092",
                         "advertised.listeners=PLAINTEXT://broker.example.com:19092"};
    load_ok(&cfg, NULL, adv, 2);
    assert_int_equal(broker_config_derive_advertised(&cfg, "ignored", err, sizeof(err)), ST_OK);
    assert_int_equal(cfg.n_advertised, 1);
    assert_string_equal(cfg.advertised[0].host, "broker.example.com");
    assert_int_equal(cfg.advertised[0].port, 19092);
    broker_config_free(&cfg);

    const char *adv_zero[] = {"advertised.listeners=PLAINTEXT://0.0.0.0:9092"};
    load_fails(NULL, adv_zero, 1, ST_ERR_MALFORMED, "advertises 0.0.0.0", NULL);
    const char *adv_name[] = {"advertised.listeners=OTHER://h:1"};
    load_fails(NULL, adv_name, 1, ST_ERR_MALFORMED, "listener 'OTHER' is not in listeners", NULL);
    const char *ctl[] = {"controller.listener.names=CONTROLLER"};
    load_fails(NULL, ctl, 1, ST_ERR_MALFORMED, "controller.listener.names: 'CONTROLLER' is not in listeners",
               NULL);
}

static void test_node_id_and_voters(void **state)
{
    (void)state;
    broker_config cfg;
    const char *bid[] = {"broker.id=5"};
    load_ok(&cfg, NULL, bid, 1);
    assert_int_equal(cfg.node_id, 5);
    broker_config_free(&cfg);

    const char *both[] = {"broker.id=5", "node.id=5"};
    load_ok(&cfg, NULL, both, 2);
    assert_int_equal(cfg.node_id, 5);
    broker_config_free(&cfg);

    const char *differ[] = {"broker.id=5", "node.id=6"};
    load_fails(NULL, differ, 2, ST_ERR_MALFORMED, "node.id (6) and broker.id (5)", NULL);

    const char *voters[] = {"node.id=2", "controller.quorum.voters=1@a:9093, 2@[::1]:9093,3@c:9093"};
    load_ok(&cfg, NULL, voters, 2);
    assert_int_equal(cfg.node_id, 2);
    assert_int_equal(cfg.n_voters, 3);
    assert_int_equal(cfg.voters[1].id, 2);
    assert_string_equal(cfg.voters[1].host, "::1");
    assert_int_equal(cfg.voters[1].port, 9093);
    broker_config_free(&cfg);

    const char *unset[] = {"controller.quorum.voters=1@a:9093"};
    load_fails(NULL, unset, 1, ST_ERR_MALFORMED, "node.id: must be set", NULL);
    const char *notvoter[] = {"node.id=4", "controller.quorum.voters=1@a:9093"};
    load_fails(NULL, notvoter, 2, ST_ERR_MALFORMED, "node.id 4 has the controller role but is not a voter",
               NULL);
    const char *broker_only[] = {"node.id=4", "controller.quorum.voters=1@a:9093", "process.roles=broker"};
    load_ok(&cfg, NULL, broker_only, 3);
    assert_true(cfg.role_broker && !cfg.role_controller);
    broker_config_free(&cfg);
    const char *bad[] = {"controller.quorum.voters=a@host:1"};
    load_fails(NULL, bad, 1, ST_ERR_MALFORMED, "controller.quorum.voters: 'a@host:1' is not id@host:port",
               NULL);
    const char *twice[] = {"node.id=1", "controller.quorum.voters=1@a:1,1@b:2"};
    load_fails(NULL, twice, 2, ST_ERR_MALFORMED, "id 1 appears twice", NULL);
}

static void test_log_dir_fallback(void **state)
{
    (void)state;
    broker_config cfg;
    const char *dir[] = {"log.dir=/srv/one"};
    load_ok(&cfg, NULL, dir, 1);
    assert_int_equal(cfg.n_log_dirs, 1);
    assert_string_equal(cfg.log_dirs[0], "/srv/one");
    broker_config_free(&cfg);

    const char *both[] = {"log.dir=/srv/one", "log.dirs=/srv/a,/srv/b"};
    load_ok(&cfg, NULL, both, 2);
    assert_int_equal(cfg.n_log_dirs, 2);
    assert_string_equal(cfg.log_dirs[1], "/srv/b");
    broker_config_free(&cfg);
}

/* Settings config/broker.yaml deliberately sets for a local first run. */
static bool local_first_run(const char *name)
{
    static const char *const names[] = {
        "node.id", "listeners", "log.dirs", "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor", "share.coordinator.state.topic.min.isr",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static void test_shipped_yaml_equals_defaults(void **state)
{
    (void)state;
    yaml_config y;
    char err[512] = "";
    yaml_config_init(&y);
    if (yaml_config_load_file(&y, SHIPPED_YAML, err, sizeof(err)) != ST_OK)
        fail_msg("%s", err);
    /* every setting is in the file, and nothing else */
    for (size_t i = 0; i < broker_config_def_count; i++)
        if (yaml_config_find(&y, broker_config_defs[i].name) == NULL)
            fail_msg("%s lacks %s", SHIPPED_YAML, broker_config_defs[i].name);
    assert_int_equal(y.count, broker_config_def_count);
    for (size_t i = 0; i < y.count; i++) {
        const yaml_config_entry *en = &y.entries[i];
        size_t idx;
        const config_def *def =
            config_def_find(broker_config_defs, broker_config_def_count, en->key, &idx);
        assert_non_null(def);
        if (local_first_run(en->key))
            continue;
        if (def->default_value == NULL) {
            if (en->value != NULL)
                fail_msg("%s:%d: %s should be null (unset)", SHIPPED_YAML, en->line, en->key);
            continue;
        }
        if (en->value == NULL)
            fail_msg("%s:%d: %s is null, default %s", SHIPPED_YAML, en->line, en->key,
                     def->default_value);
        st_err e1, e2;
        char *file = config_normalize(def, en->value, &e1, err, sizeof(err));
        char *builtin = config_normalize(def, def->default_value, &e2, err, sizeof(err));
        assert_non_null(file);
        assert_non_null(builtin);
        if (strcmp(file, builtin) != 0)
            fail_msg("%s:%d: %s is %s, built-in default %s", SHIPPED_YAML, en->line, en->key, file,
                     builtin);
        free(file);
        free(builtin);
    }
    yaml_config_free(&y);

    /* and it loads, with its local first-run values */
    broker_config cfg;
    if (broker_config_load(&cfg, SHIPPED_YAML, NULL, 0, err, sizeof(err)) != ST_OK)
        fail_msg("%s", err);
    assert_string_equal(cfg.listeners[0].host, "127.0.0.1");
    assert_int_equal(cfg.listeners[0].port, 9092);
    assert_string_equal(cfg.log_dirs[0], "./data/broker-0");
    assert_int_equal(cfg.node_id, 0);
    assert_int_equal(cfg.offsets_topic_replication_factor, 1);
    assert_int_equal(cfg.log_retention_ms, 168LL * 3600000);
    assert_int_equal(cfg.n_advertised, 1);
    assert_string_equal(cfg.advertised[0].host, "127.0.0.1");
    broker_config_free(&cfg);
}

static void test_every_default_parses(void **state)
{
    (void)state;
    for (size_t i = 0; i < broker_config_def_count; i++) {
        const config_def *def = &broker_config_defs[i];
        char err[256] = "";
        config_value v;
        if (config_parse(def, def->default_value, &v, err, sizeof(err)) != ST_OK)
            fail_msg("default of %s: %s", def->name, err);
        assert_non_null(def->doc);
        for (size_t j = 0; j < i; j++)
            if (strcmp(broker_config_defs[j].name, def->name) == 0)
                fail_msg("%s defined twice", def->name);
    }
}

static const config_desc *find_desc(const config_desc_list *l, const char *name)
{
    const config_desc *d = config_desc_list_find(l, name);
    if (d == NULL)
        fail_msg("no description of %s", name);
    return d;
}

static void assert_synonym(const config_desc *d, size_t i, const char *name, const char *value,
                           config_source source)
{
    assert_true(i < d->n_synonyms);
    assert_string_equal(d->synonyms[i].name, name);
    if (value == NULL)
        assert_null(d->synonyms[i].value);
    else
        assert_string_equal(d->synonyms[i].value, value);
    assert_int_equal(d->synonyms[i].source, source);
}

static void test_describe(void **state)
{
    (void)state;
    broker_config cfg;
    const char *ov[] = {"log.retention.minutes=30"};
    load_ok(&cfg, "log.retention.hours: 24\nnum.partitions: 4\n", ov, 1);
    config_desc_list l;
    config_desc_list_init(&l);
    assert_int_equal(broker_config_describe(&cfg, &l), ST_OK);
    assert_int_equal(l.count, broker_config_def_count);

    const config_desc *d = find_desc(&l, "num.partitions");
    assert_string_equal(d->value, "4");
    assert_int_equal(d->source, CONFIG_SOURCE_STATIC_BROKER);
    assert_true(d->read_only);
    assert_false(d->is_sensitive);
    assert_int_equal(d->type, CONFIG_TYPE_INT);
    assert_int_equal(d->type, 3); /* DescribeConfigs ConfigType INT */
    assert_non_null(d->documentation);
    assert_int_equal(d->n_synonyms, 2);
    assert_synonym(d, 0, "num.partitions", "4", CONFIG_SOURCE_STATIC_BROKER);
    assert_synonym(d, 1, "num.partitions", "1", CONFIG_SOURCE_DEFAULT);

    /* log.retention.ms is unset: null value, its synonyms say where the
     * effective retention comes from */
    d = find_desc(&l, "log.retention.ms");
    assert_null(d->value);
    assert_false(d->read_only);
    assert_int_equal(d->type, CONFIG_TYPE_LONG);
    assert_int_equal(d->source, CONFIG_SOURCE_STATIC_BROKER);
    assert_int_equal(d->n_synonyms, 3);
    assert_synonym(d, 0, "log.retention.minutes", "30", CONFIG_SOURCE_STATIC_BROKER);
    assert_synonym(d, 1, "log.retention.hours", "24", CONFIG_SOURCE_STATIC_BROKER);
    assert_synonym(d, 2, "log.retention.hours", "168", CONFIG_SOURCE_DEFAULT);

    d = find_desc(&l, "log.retention.hours");
    assert_string_equal(d->value, "24");
    assert_int_equal(d->source, CONFIG_SOURCE_STATIC_BROKER);
    assert_int_equal(d->n_synonyms, 3);

    d = find_desc(&l, "log.segment.bytes");
    assert_string_equal(d->value, "1073741824");
    assert_int_equal(d->source, CONFIG_SOURCE_DEFAULT);
    assert_int_equal(d->n_synonyms, 1);
    assert_synonym(d, 0, "log.segment.bytes", "1073741824", CONFIG_SOURCE_DEFAULT);

    d = find_desc(&l, "advertised.listeners");
    assert_null(d->value);
    assert_int_equal(d->source, CONFIG_SOURCE_DEFAULT);
    assert_int_equal(d->n_synonyms, 0);
    assert_true(d->read_only);
    assert_int_equal(d->type, CONFIG_TYPE_LIST);

    d = find_desc(&l, "log.cleaner.min.cleanable.ratio");
    assert_string_equal(d->value, "0.5");
    assert_int_equal(d->type, CONFIG_TYPE_DOUBLE);
    config_desc_list_free(&l);
    broker_config_free(&cfg);

    assert_string_equal(config_source_name(CONFIG_SOURCE_DYNAMIC_TOPIC), "DYNAMIC_TOPIC_CONFIG");
    assert_int_equal(CONFIG_SOURCE_DEFAULT, 5);
    assert_int_equal(CONFIG_SOURCE_STATIC_BROKER, 4);
    assert_string_equal(config_type_name(CONFIG_TYPE_PASSWORD), "PASSWORD");
}

static void test_apply_keeps_config_on_failure(void **state)
{
    (void)state;
    broker_config cfg;
    load_ok(&cfg, NULL, NULL, 0);
    char err[256] = "";
    assert_int_equal(config_values_set(&cfg.values, "listeners", "SSL://:9093",
                                       CONFIG_SOURCE_DYNAMIC_BROKER, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(broker_config_apply(&cfg, "h", err, sizeof(err)), ST_ERR_UNSUPPORTED);
    assert_int_equal(cfg.n_listeners, 1);
    assert_string_equal(cfg.listeners[0].name, "PLAINTEXT");
    assert_int_equal(config_values_set(&cfg.values, "listeners", "PLAINTEXT://:1234",
                                       CONFIG_SOURCE_DYNAMIC_BROKER, err, sizeof(err)),
                     ST_OK);
    assert_int_equal(broker_config_apply(&cfg, "h", err, sizeof(err)), ST_OK);
    assert_int_equal(cfg.listeners[0].port, 1234);
    assert_string_equal(cfg.advertised[0].host, "h");
    broker_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flat_and_nested_yaml),
        cmocka_unit_test(test_unknown_key_names_key_and_line),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_retention_precedence),
        cmocka_unit_test(test_overrides_win_over_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_listeners),
        cmocka_unit_test(test_listeners_refused),
        cmocka_unit_test(test_controller_and_advertised_listeners),
        cmocka_unit_test(test_node_id_and_voters),
        cmocka_unit_test(test_log_dir_fallback),
        cmocka_unit_test(test_shipped_yaml_equals_defaults),
        cmocka_unit_test(test_every_default_parses),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_apply_keeps_config_on_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
