/* test_topic_config.c — topic settings over the broker's defaults:
 * validation of CreateTopics / AlterConfigs / IncrementalAlterConfigs
 * changes with Kafka error codes, typed resolution, DescribeConfigs sources
 * and synonyms, list APPEND/SUBTRACT, and the stored key=value form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "broker/topic_config.h"
#include "common/compression.h"
#include "common/kafka_error.h"

static void broker_with(broker_config *cfg, const char *const *ov, size_t n)
{
    char err[512] = "";
    if (broker_config_load(cfg, NULL, ov, n, err, sizeof(err)) != ST_OK)
        fail_msg("broker config: %s", err);
}

static const char *override_of(const config_values *ov, const char *name)
{
    long i = config_values_index(ov, name);
    assert_true(i >= 0);
    return ov->settings[i].value;
}

/* Creates overrides from name=value pairs; expects success. */
static void create_ok(const broker_config *b, const config_alteration *e, size_t n, config_values *out)
{
    char err[512] = "";
    int16_t code = topic_config_create(b, e, n, out, err, sizeof(err));
    if (code != KAFKA_NONE)
        fail_msg("create: %s (%s)", kafka_error_name(code), err);
}

static void expect_error(const broker_config *b, const config_values *current,
                         const config_alteration *ops, size_t n, int16_t want, const char *needle)
{
    config_values result;
    char err[512] = "";
    int16_t code = current ? topic_config_alter(current, b, ops, n, &result, err, sizeof(err))
                           : topic_config_create(b, ops, n, &result, err, sizeof(err));
    if (code != want)
        fail_msg("wanted %s, got %s: %s", kafka_error_name(want), kafka_error_name(code), err);
    if (needle && strstr(err, needle) == NULL)
        fail_msg("'%s' lacks '%s'", err, needle);
    assert_null(result.settings); /* nothing to free on failure */
}

static void test_defaults_follow_broker(void **state)
{
    (void)state;
    broker_config b;
    broker_with(&b, NULL, 0);
    topic_config t;
    assert_int_equal(topic_config_resolve(NULL, &b, &t), ST_OK);
    assert_true(t.cleanup_delete && !t.cleanup_compact);
    assert_int_equal(t.retention_ms, 604800000);
    assert_int_equal(t.retention_bytes, -1);
    assert_int_equal(t.segment_bytes, 1073741824);
    assert_int_equal(t.segment_ms, 604800000);
    assert_int_equal(t.segment_jitter_ms, 0);
    assert_int_equal(t.segment_index_bytes, 10485760);
    assert_int_equal(t.index_interval_bytes, 4096);
    assert_int_equal(t.max_message_bytes, 1048588);
    assert_int_equal(t.message_timestamp_type, BROKER_TIMESTAMP_CREATE_TIME);
    assert_true(t.message_timestamp_before_max_ms == INT64_MAX);
    assert_int_equal(t.min_insync_replicas, 1);
    assert_int_equal(t.compression, BROKER_COMPRESSION_PRODUCER);
    assert_int_equal(t.compression_level, ST_COMPRESS_LEVEL_DEFAULT);
    assert_int_equal(t.delete_retention_ms, 86400000);
    assert_true(t.min_cleanable_dirty_ratio == 0.5);
    assert_int_equal(t.min_compaction_lag_ms, 0);
    assert_true(t.max_compaction_lag_ms == INT64_MAX);
    assert_int_equal(t.file_delete_delay_ms, 60000);
    assert_true(t.flush_messages == INT64_MAX);
    assert_true(t.flush_ms == INT64_MAX);
    assert_false(t.unclean_leader_election_enable);
    assert_false(t.preallocate);
    assert_true(t.message_downconversion_enable);
    assert_int_equal(t.local_retention_ms, 604800000); /* -2: follows retention.ms */
    assert_int_equal(t.local_retention_bytes, -1);
    broker_config_free(&b);

    /* broker settings change the topic defaults, with unit conversion */
    const char *ov[] = {"log.retention.hours=24", "log.roll.hours=2", "message.max.bytes=2000",
                        "log.cleanup.policy=compact", "compression.type=gzip",
                        "compression.gzip.level=5", "log.flush.interval.ms=100",
                        "log.message.timestamp.type=LogAppendTime", "log.roll.jitter.hours=1"};
    broker_with(&b, ov, sizeof(ov) / sizeof(ov[0]));
    assert_int_equal(topic_config_resolve(NULL, &b, &t), ST_OK);
    assert_int_equal(t.retention_ms, 86400000);
    assert_int_equal(t.segment_ms, 7200000);
    assert_int_equal(t.segment_jitter_ms, 3600000);
    assert_int_equal(t.max_message_bytes, 2000);
    assert_true(t.cleanup_compact && !t.cleanup_delete);
    assert_int_equal(t.compression, ST_CODEC_GZIP);
    assert_int_equal(t.compression_level, 5);
    assert_int_equal(t.flush_ms, 100);
    assert_int_equal(t.message_timestamp_type, BROKER_TIMESTAMP_LOG_APPEND_TIME);
    broker_config_free(&b);

    const char *unlimited[] = {"log.retention.ms=-1", "log.flush.scheduler.interval.ms=5"};
    broker_with(&b, unlimited, 2);
    assert_int_equal(topic_config_resolve(NULL, &b, &t), ST_OK);
    assert_int_equal(t.retention_ms, -1);
    assert_int_equal(t.flush_ms, 5); /* log.flush.interval.ms unset: the scheduler's */
    broker_config_free(&b);
}

static void test_create_and_resolve_overrides(void **state)
{
    (void)state;
    broker_config b;
    const char *ov[] = {"log.retention.hours=24"};
    broker_with(&b, ov, 1);
    config_alteration e[] = {
        {"retention.ms", "1000", CONFIG_OP_SET},
        {"cleanup.policy", " compact , delete ", CONFIG_OP_SET},
        {"segment.bytes", "1048576", CONFIG_OP_SET},
        {"compression.type", "zstd", CONFIG_OP_SET},
        {"compression.zstd.level", "10", CONFIG_OP_SET},
        {"min.insync.replicas", "2", CONFIG_OP_SET},
        {"message.timestamp.type", "LogAppendTime", CONFIG_OP_SET},
        {"local.retention.ms", "500", CONFIG_OP_SET},
    };
    config_values ovr;
    create_ok(&b, e, sizeof(e) / sizeof(e[0]), &ovr);
    assert_string_equal(override_of(&ovr, "cleanup.policy"), "compact,delete");
    assert_null(override_of(&ovr, "segment.ms"));
    topic_config t;
    assert_int_equal(topic_config_resolve(&ovr, &b, &t), ST_OK);
    assert_int_equal(t.retention_ms, 1000);
    assert_true(t.cleanup_compact && t.cleanup_delete);
    assert_int_equal(t.segment_bytes, 1048576);
    assert_int_equal(t.compression, ST_CODEC_ZSTD);
    assert_int_equal(t.compression_level, 10);
    assert_int_equal(t.min_insync_replicas, 2);
    assert_int_equal(t.message_timestamp_type, BROKER_TIMESTAMP_LOG_APPEND_TIME);
    assert_int_equal(t.local_retention_ms, 500);
    assert_int_equal(t.segment_ms, 604800000); /* not overridden: broker default */
    config_values_free(&ovr);
    broker_config_free(&b);
}

static void test_invalid_configs(void **state)
{
    (void)state;
    broker_config b;
    broker_with(&b, NULL, 0);
    config_alteration unknown[] = {{"retention.hours", "1", CONFIG_OP_SET}};
    expect_error(&b, NULL, unknown, 1, KAFKA_INVALID_CONFIG, "Unknown topic config name: retention.hours");
    config_alteration broker_name[] = {{"log.retention.ms", "1", CONFIG_OP_SET}};
    expect_error(&b, NULL, broker_name, 1, KAFKA_INVALID_CONFIG, "log.retention.ms");
    config_alteration nan[] = {{"retention.ms", "abc", CONFIG_OP_SET}};
    expect_error(&b, NULL, nan, 1, KAFKA_INVALID_CONFIG, "retention.ms: 'abc' is not a number");
    config_alteration small[] = {{"segment.bytes", "13", CONFIG_OP_SET}};
    expect_error(&b, NULL, small, 1, KAFKA_INVALID_CONFIG, "segment.bytes: must be at least 14, got 13");
    config_alteration retention[] = {{"retention.ms", "-2", CONFIG_OP_SET}};
    expect_error(&b, NULL, retention, 1, KAFKA_INVALID_CONFIG, "retention.ms: must be at least -1, got -2");
    config_alteration codec[] = {{"compression.type", "brotli", CONFIG_OP_SET}};
    expect_error(&b, NULL, codec, 1, KAFKA_INVALID_CONFIG,
                 "compression.type: 'brotli' is not one of: uncompressed, zstd, lz4, snappy, gzip, producer");
    config_alteration policy[] = {{"cleanup.policy", "compact,shred", CONFIG_OP_SET}};
    expect_error(&b, NULL, policy, 1, KAFKA_INVALID_CONFIG, "cleanup.policy: 'shred' is not one of");
    config_alteration ts[] = {{"message.timestamp.type", "createtime", CONFIG_OP_SET}};
    expect_error(&b, NULL, ts, 1, KAFKA_INVALID_CONFIG, "message.timestamp.type");
    config_alteration ratio[] = {{"min.cleanable.dirty.ratio", "2", CONFIG_OP_SET}};
    expect_error(&b, NULL, ratio, 1, KAFKA_INVALID_CONFIG, "must be between 0 and 1, got 2");
    config_alteration boolean[] = {{"preallocate", "maybe", CONFIG_OP_SET}};
    expect_error(&b, NULL, boolean, 1, KAFKA_INVALID_CONFIG, "preallocate: 'maybe' is not a boolean");
    config_alteration null_value[] = {{"retention.ms", NULL, CONFIG_OP_SET}};
    expect_error(&b, NULL, null_value, 1, KAFKA_INVALID_CONFIG, "retention.ms: a value is required");
    config_alteration remote[] = {{"remote.storage.enable", "true", CONFIG_OP_SET}};
    expect_error(&b, NULL, remote, 1, KAFKA_INVALID_CONFIG, "tiered storage is not supported");
    config_alteration throttled[] = {{"leader.replication.throttled.replicas", "0:1,x", CONFIG_OP_SET}};
    expect_error(&b, NULL, throttled, 1, KAFKA_INVALID_CONFIG, "partition:broker");
    config_alteration lags[] = {{"min.compaction.lag.ms", "10", CONFIG_OP_SET},
                                {"max.compaction.lag.ms", "5", CONFIG_OP_SET}};
    expect_error(&b, NULL, lags, 2, KAFKA_INVALID_CONFIG, "min.compaction.lag.ms (10) is above");
    config_alteration twice[] = {{"retention.ms", "1", CONFIG_OP_SET}, {"retention.ms", "2", CONFIG_OP_SET}};
    expect_error(&b, NULL, twice, 2, KAFKA_INVALID_REQUEST, "duplicate config keys: retention.ms");

    config_values ovr;
    config_alteration ok[] = {{"leader.replication.throttled.replicas", "0:1,1:2", CONFIG_OP_SET},
                              {"follower.replication.throttled.replicas", "*", CONFIG_OP_SET},
                              {"remote.storage.enable", "false", CONFIG_OP_SET}};
    create_ok(&b, ok, 3, &ovr);
    config_values_free(&ovr);
    broker_config_free(&b);
}

static void test_incremental_alter(void **state)
{
    (void)state;
    broker_config b;
    broker_with(&b, NULL, 0);
    config_values cur;
    assert_int_equal(topic_config_init(&cur), ST_OK);
    char err[512] = "";

    /* APPEND to the default (delete) */
    config_values next;
    config_alteration append[] = {{"cleanup.policy", "compact", CONFIG_OP_APPEND}};
    assert_int_equal(topic_config_alter(&cur, &b, append, 1, &next, err, sizeof(err)), KAFKA_NONE);
    assert_string_equal(override_of(&next, "cleanup.policy"), "delete,compact");
    assert_null(override_of(&cur, "cleanup.policy")); /* current untouched */
    config_values_free(&cur);
    cur = next;

    /* appending what is there already changes nothing */
    config_alteration again[] = {{"cleanup.policy", "delete", CONFIG_OP_APPEND}};
    assert_int_equal(topic_config_alter(&cur, &b, again, 1, &next, err, sizeof(err)), KAFKA_NONE);
    assert_string_equal(override_of(&next, "cleanup.policy"), "delete,compact");
    config_values_free(&next);

    config_alteration subtract[] = {{"cleanup.policy", "delete", CONFIG_OP_SUBTRACT},
                                    {"retention.ms", "5000", CONFIG_OP_SET},
                                    {"leader.replication.throttled.replicas", "0:1,1:1", CONFIG_OP_APPEND}};
    assert_int_equal(topic_config_alter(&cur, &b, subtract, 3, &next, err, sizeof(err)), KAFKA_NONE);
    assert_string_equal(override_of(&next, "cleanup.policy"), "compact");
    assert_string_equal(override_of(&next, "retention.ms"), "5000");
    assert_string_equal(override_of(&next, "leader.replication.throttled.replicas"), "0:1,1:1");
    config_values_free(&cur);
    cur = next;

    /* DELETE drops an override: the broker default shows through again */
    config_alteration del[] = {{"retention.ms", NULL, CONFIG_OP_DELETE}};
    assert_int_equal(topic_config_alter(&cur, &b, del, 1, &next, err, sizeof(err)), KAFKA_NONE);
    assert_null(override_of(&next, "retention.ms"));
    topic_config t;
    assert_int_equal(topic_config_resolve(&next, &b, &t), ST_OK);
    assert_int_equal(t.retention_ms, 604800000);
    assert_true(t.cleanup_compact && !t.cleanup_delete);
    config_values_free(&next);

    /* all or nothing: a bad op after a good one leaves no result */
    config_alteration mixed[] = {{"retention.ms", "1", CONFIG_OP_SET},
                                 {"segment.bytes", "x", CONFIG_OP_SET}};
    expect_error(&b, &cur, mixed, 2, KAFKA_INVALID_CONFIG, "segment.bytes: 'x' is not a number");
    assert_string_equal(override_of(&cur, "retention.ms"), "5000");

    config_alteration not_list[] = {{"retention.ms", "1", CONFIG_OP_APPEND}};
    expect_error(&b, &cur, not_list, 1, KAFKA_INVALID_CONFIG,
                 "Can't APPEND to key retention.ms because its type is not LIST.");
    config_alteration bad_item[] = {{"cleanup.policy", "shred", CONFIG_OP_APPEND}};
    expect_error(&b, &cur, bad_item, 1, KAFKA_INVALID_CONFIG, "'shred' is not one of");
    config_alteration bad_op[] = {{"retention.ms", "1", (config_op)9}};
    expect_error(&b, &cur, bad_op, 1, KAFKA_INVALID_REQUEST, "unknown operation");
    config_alteration del_unknown[] = {{"nope", NULL, CONFIG_OP_DELETE}};
    expect_error(&b, &cur, del_unknown, 1, KAFKA_INVALID_CONFIG, "Unknown topic config name: nope");
    config_values_free(&cur);

    /* the broker default is the base of an APPEND when there is no override */
    const char *compact[] = {"log.cleanup.policy=compact"};
    broker_config b2;
    broker_with(&b2, compact, 1);
    assert_int_equal(topic_config_alter(NULL, &b2, append, 1, &next, err, sizeof(err)), KAFKA_NONE);
    assert_string_equal(override_of(&next, "cleanup.policy"), "compact");
    config_values_free(&next);
    broker_config_free(&b2);
    broker_config_free(&b);
}

static const config_desc *find_desc(const config_desc_list *l, const char *name)
{
    const config_desc *d = config_desc_list_find(l, name);
    if (d == NULL)
        fail_msg("no description of %s", name);
    return d;
}

static void test_describe_sources(void **state)
{
    (void)state;
    broker_config b;
    const char *ov[] = {"log.retention.hours=24", "log.segment.bytes=2097152"};
    broker_with(&b, ov, 2);
    config_alteration e[] = {{"segment.bytes", "1048576", CONFIG_OP_SET},
                             {"cleanup.policy", "compact", CONFIG_OP_SET}};
    config_values ovr;
    create_ok(&b, e, 2, &ovr);
    config_desc_list l;
    config_desc_list_init(&l);
    assert_int_equal(topic_config_describe(&ovr, &b, &l), ST_OK);
    assert_int_equal(l.count, topic_config_def_count);

    /* overridden: DYNAMIC_TOPIC_CONFIG, then the broker's values */
    const config_desc *d = find_desc(&l, "segment.bytes");
    assert_string_equal(d->value, "1048576");
    assert_int_equal(d->source, CONFIG_SOURCE_DYNAMIC_TOPIC);
    assert_false(d->read_only);
    assert_false(d->is_sensitive);
    assert_int_equal(d->type, CONFIG_TYPE_INT);
    assert_non_null(d->documentation);
    assert_int_equal(d->n_synonyms, 3);
    assert_string_equal(d->synonyms[0].name, "segment.bytes");
    assert_int_equal(d->synonyms[0].source, CONFIG_SOURCE_DYNAMIC_TOPIC);
    assert_string_equal(d->synonyms[1].name, "log.segment.bytes");
    assert_string_equal(d->synonyms[1].value, "2097152");
    assert_int_equal(d->synonyms[1].source, CONFIG_SOURCE_STATIC_BROKER);
    assert_string_equal(d->synonyms[2].value, "1073741824");
    assert_int_equal(d->synonyms[2].source, CONFIG_SOURCE_DEFAULT);

    /* from the broker file: STATIC_BROKER_CONFIG, converted to ms */
    d = find_desc(&l, "retention.ms");
    assert_string_equal(d->value, "86400000");
    assert_int_equal(d->source, CONFIG_SOURCE_STATIC_BROKER);
    assert_int_equal(d->type, CONFIG_TYPE_LONG);
    assert_int_equal(d->n_synonyms, 2);
    assert_string_equal(d->synonyms[0].name, "log.retention.hours");
    assert_string_equal(d->synonyms[0].value, "24");
    assert_int_equal(d->synonyms[0].source, CONFIG_SOURCE_STATIC_BROKER);
    assert_string_equal(d->synonyms[1].value, "168");
    assert_int_equal(d->synonyms[1].source, CONFIG_SOURCE_DEFAULT);

    /* untouched anywhere: DEFAULT_CONFIG */
    d = find_desc(&l, "segment.ms");
    assert_string_equal(d->value, "604800000");
    assert_int_equal(d->source, CONFIG_SOURCE_DEFAULT);
    assert_int_equal(d->n_synonyms, 1);
    assert_string_equal(d->synonyms[0].name, "log.roll.hours");

    d = find_desc(&l, "cleanup.policy");
    assert_string_equal(d->value, "compact");
    assert_int_equal(d->type, CONFIG_TYPE_LIST);

    /* no broker synonym at all */
    d = find_desc(&l, "leader.replication.throttled.replicas");
    assert_string_equal(d->value, "");
    assert_int_equal(d->source, CONFIG_SOURCE_DEFAULT);
    assert_int_equal(d->n_synonyms, 0);
    config_desc_list_free(&l);

    /* a topic without overrides */
    config_desc_list_init(&l);
    assert_int_equal(topic_config_describe(NULL, &b, &l), ST_OK);
    d = find_desc(&l, "segment.bytes");
    assert_string_equal(d->value, "2097152");
    assert_int_equal(d->source, CONFIG_SOURCE_STATIC_BROKER);
    config_desc_list_free(&l);
    config_values_free(&ovr);
    broker_config_free(&b);
}

static void test_stored_form_round_trip(void **state)
{
    (void)state;
    broker_config b;
    broker_with(&b, NULL, 0);
    config_alteration e[] = {{"retention.ms", "1000", CONFIG_OP_SET},
                             {"cleanup.policy", "compact,delete", CONFIG_OP_SET},
                             {"min.cleanable.dirty.ratio", "0.25", CONFIG_OP_SET}};
    config_values ovr;
    create_ok(&b, e, 3, &ovr);
    st_buf buf;
    st_buf_init(&buf);
    assert_int_equal(topic_config_serialize(&ovr, &buf), ST_OK);
    const char *want = "cleanup.policy=compact,delete\n"
                       "min.cleanable.dirty.ratio=0.25\n"
                       "retention.ms=1000\n";
    assert_int_equal(buf.len, strlen(want));
    assert_memory_equal(buf.data, want, buf.len);

    config_values back;
    char err[256] = "";
    assert_int_equal(topic_config_deserialize(&back, (const char *)buf.data, buf.len, err, sizeof(err)),
                     ST_OK);
    for (size_t i = 0; i < topic_config_def_count; i++) {
        const char *a = ovr.settings[i].value, *z = back.settings[i].value;
        assert_true((a == NULL) == (z == NULL));
        if (a)
            assert_string_equal(a, z);
        if (z)
            assert_int_equal(back.settings[i].source, CONFIG_SOURCE_DYNAMIC_TOPIC);
    }
    config_values_free(&back);
    st_buf_free(&buf);

    const char *with_comments = "# topic overrides\n\n  segment.ms = 60000 \r\nretention.bytes=5\n";
    assert_int_equal(topic_config_deserialize(&back, with_comments, strlen(with_comments), err, sizeof(err)),
                     ST_OK);
    assert_string_equal(override_of(&back, "segment.ms"), "60000");
    assert_string_equal(override_of(&back, "retention.bytes"), "5");
    config_values_free(&back);

    const char *unknown = "retention.ms=1\nbogus=2\n";
    assert_int_equal(topic_config_deserialize(&back, unknown, strlen(unknown), err, sizeof(err)),
                     ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "line 2: unknown setting 'bogus'"));
    const char *noeq = "retention.ms\n";
    assert_int_equal(topic_config_deserialize(&back, noeq, strlen(noeq), err, sizeof(err)), ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "line 1: expected key=value"));
    const char *bad = "segment.bytes=1\n";
    assert_int_equal(topic_config_deserialize(&back, bad, strlen(bad), err, sizeof(err)), ST_ERR_MALFORMED);
    assert_non_null(strstr(err, "line 1: segment.bytes: must be at least 14"));
    config_values_free(&ovr);
    broker_config_free(&b);
}

static void test_table_is_consistent(void **state)
{
    (void)state;
    broker_config b;
    broker_with(&b, NULL, 0);
    for (size_t i = 0; i < topic_config_def_count; i++) {
        const config_def *def = &topic_config_defs[i];
        char err[256] = "";
        config_value v;
        if (config_parse(def, def->default_value, &v, err, sizeof(err)) != ST_OK)
            fail_msg("default of %s: %s", def->name, err);
        if (i > 0 && strcmp(topic_config_defs[i - 1].name, def->name) >= 0)
            fail_msg("%s is out of alphabetical order", def->name);
        for (const config_synonym *s = def->synonyms; s && s->name; s++)
            if (config_values_index(&b.values, s->name) < 0)
                fail_msg("%s: synonym %s is not a broker setting", def->name, s->name);
        /* the broker's default equals the topic's default */
        char buf[CONFIG_NUM_MAX];
        config_source source;
        const char *eff = topic_config_effective(NULL, &b, i, &source, buf);
        char *a = config_normalize(def, eff, &(st_err){0}, err, sizeof(err));
        char *z = config_normalize(def, def->default_value, &(st_err){0}, err, sizeof(err));
        assert_non_null(a);
        assert_non_null(z);
        if (strcmp(a, z) != 0)
            fail_msg("%s: broker default %s, topic default %s", def->name, a, z);
        free(a);
        free(z);
    }
    broker_config_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_follow_broker),
        cmocka_unit_test(test_create_and_resolve_overrides),
        cmocka_unit_test(test_invalid_configs),
        cmocka_unit_test(test_incremental_alter),
        cmocka_unit_test(test_describe_sources),
        cmocka_unit_test(test_stored_form_round_trip),
        cmocka_unit_test(test_table_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
