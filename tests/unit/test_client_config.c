/* test_client_config.c — the client's properties (Java names, defaults,
 * errors that name the key or value, the producer's cross-checks),
 * bootstrap.servers parsing, kc_err names, and the deep copy of generated
 * request structs that kc_client_send relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/client_clone.h"
#include "common/client_config.h"
#include "common/protocol/messages.h"

static void test_defaults_are_javas(void **state)
{
    (void)state;
    kc_config *c = kc_config_new();
    char buf[64];
    assert_string_equal(kc_config_get(c, "acks", buf, sizeof(buf)), "all");
    assert_string_equal(kc_config_get(c, "enable.idempotence", buf, sizeof(buf)), "true");
    assert_string_equal(kc_config_get(c, "batch.size", buf, sizeof(buf)), "16384");
    assert_string_equal(kc_config_get(c, "buffer.memory", buf, sizeof(buf)), "33554432");
    assert_string_equal(kc_config_get(c, "delivery.timeout.ms", buf, sizeof(buf)), "120000");
    assert_string_equal(kc_config_get(c, "request.timeout.ms", buf, sizeof(buf)), "30000");
    assert_string_equal(kc_config_get(c, "max.in.flight.requests.per.connection", buf,
                                      sizeof(buf)), "5");
    assert_string_equal(kc_config_get(c, "compression.type", buf, sizeof(buf)), "none");
    assert_string_equal(kc_config_get(c, "retries", buf, sizeof(buf)), "2147483647");
    assert_null(kc_config_get(c, "no.such.key", buf, sizeof(buf)));
    assert_false(kc_config_is_set(c, "acks"));
    kc_config_free(c);
}

static void test_errors_name_the_key_or_value(void **state)
{
    (void)state;
    kc_config *c = kc_config_new();
    char err[256];
    assert_int_equal(kc_config_set(c, "lingr.ms", "5", err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "'lingr.ms'"));
    assert_int_equal(kc_config_set(c, "linger.ms", "abc", err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "linger.ms"));
    assert_non_null(strstr(err, "abc"));
    assert_int_equal(kc_config_set(c, "linger.ms", "-1", err, sizeof(err)), KC_ERR_CONFIG);
    assert_int_equal(kc_config_set(c, "acks", "2", err, sizeof(err)), KC_ERR_CONFIG);
    assert_int_equal(kc_config_set(c, "compression.type", "brotli", err, sizeof(err)),
                     KC_ERR_CONFIG);
    assert_non_null(strstr(err, "brotli"));
    assert_int_equal(kc_config_set(c, "enable.idempotence", "yes", err, sizeof(err)),
                     KC_ERR_CONFIG);
    assert_int_equal(kc_config_set(c, "max.in.flight.requests.per.connection", "0", err,
                                   sizeof(err)), KC_ERR_CONFIG);
    /* nothing changed by the failures */
    char buf[64];
    assert_string_equal(kc_config_get(c, "linger.ms", buf, sizeof(buf)), "5");
    assert_int_equal(kc_config_set(c, "acks", "-1", err, sizeof(err)), KC_OK);
    assert_string_equal(kc_config_get(c, "acks", buf, sizeof(buf)), "all");
    assert_int_equal(kc_config_set(c, "compression.type", "zstd", NULL, 0), KC_OK);
    assert_int_equal(c->compression_type, 4);
    assert_true(kc_config_is_set(c, "acks"));
    kc_config_free(c);
}

static void test_dup_is_deep(void **state)
{
    (void)state;
    kc_config *c = kc_config_new();
    assert_int_equal(kc_config_set(c, "client.id", "one", NULL, 0), KC_OK);
    kc_config *d = kc_config_dup(c);
    assert_int_equal(kc_config_set(c, "client.id", "two", NULL, 0), KC_OK);
    char buf[32];
    assert_string_equal(kc_config_get(d, "client.id", buf, sizeof(buf)), "one");
    assert_true(kc_config_is_set(d, "client.id"));
    kc_config_free(c);
    kc_config_free(d);
}

static void test_idempotence_conflicts(void **state)
{
    (void)state;
    char err[256];
    /* default idempotence quietly off when acks conflict (Java 3.x) */
    kc_config *c = kc_config_new();
    kc_config_set(c, "acks", "1", NULL, 0);
    assert_int_equal(kc_config_check_producer(c, err, sizeof(err)), KC_OK);
    assert_false(c->enable_idempotence);
    kc_config_free(c);
    /* asked for explicitly: an error naming the conflict */
    c = kc_config_new();
    kc_config_set(c, "acks", "0", NULL, 0);
    kc_config_set(c, "enable.idempotence", "true", NULL, 0);
    assert_int_equal(kc_config_check_producer(c, err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "acks"));
    kc_config_free(c);
    c = kc_config_new();
    kc_config_set(c, "max.in.flight.requests.per.connection", "6", NULL, 0);
    kc_config_set(c, "enable.idempotence", "true", NULL, 0);
    assert_int_equal(kc_config_check_producer(c, err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "max.in.flight"));
    kc_config_free(c);
    /* delivery.timeout.ms below linger + request timeout */
    c = kc_config_new();
    kc_config_set(c, "delivery.timeout.ms", "1000", NULL, 0);
    assert_int_equal(kc_config_check_producer(c, err, sizeof(err)), KC_ERR_CONFIG);
    assert_non_null(strstr(err, "delivery.timeout.ms"));
    kc_config_free(c);
    c = kc_config_new();
    kc_config_set(c, "transactional.id", "tx", NULL, 0);
    assert_int_equal(kc_config_check_producer(c, err, sizeof(err)), KC_ERR_CONFIG);
    kc_config_free(c);
}

static void test_bootstrap_parsing(void **state)
{
    (void)state;
    kc_hostport hp[4];
    char err[256];
    assert_int_equal(kc_parse_bootstrap("a:1, PLAINTEXT://b.example:9092,[::1]:7", hp, 4, err,
                                        sizeof(err)), 3);
    assert_string_equal(hp[0].host, "a");
    assert_int_equal(hp[0].port, 1);
    assert_string_equal(hp[1].host, "b.example");
    assert_int_equal(hp[1].port, 9092);
    assert_string_equal(hp[2].host, "::1");
    assert_int_equal(hp[2].port, 7);
    assert_int_equal(kc_parse_bootstrap("nohost", hp, 4, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "nohost"));
    assert_int_equal(kc_parse_bootstrap("h:99999", hp, 4, err, sizeof(err)), 0);
    assert_int_equal(kc_parse_bootstrap("h:", hp, 4, err, sizeof(err)), 0);
    assert_int_equal(kc_parse_bootstrap("", hp, 4, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "required"));
    assert_int_equal(kc_parse_bootstrap("a:1,b:2,c:3", hp, 2, err, sizeof(err)), 0);
    kc_config *c = kc_config_new();
    assert_int_equal(kc_config_check_client(c, err, sizeof(err)), KC_ERR_CONFIG);
    kc_config_set(c, "bootstrap.servers", "localhost:9092", NULL, 0);
    assert_int_equal(kc_config_check_client(c, err, sizeof(err)), KC_OK);
    kc_config_set(c, "security.protocol", "SSL", NULL, 0);
    assert_int_equal(kc_config_check_client(c, err, sizeof(err)), KC_ERR_CONFIG);
    kc_config_free(c);
}

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(kc_err_name(KC_ERR_TIMED_OUT), "KC_ERR_TIMED_OUT");
    assert_string_equal(kc_err_name(KAFKA_NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER");
    assert_true(kc_err_retriable(KAFKA_NOT_LEADER_OR_FOLLOWER));
    assert_true(kc_err_retriable(KC_ERR_TRANSPORT));
    assert_false(kc_err_retriable(KAFKA_MESSAGE_TOO_LARGE));
    assert_false(kc_err_retriable(KC_ERR_CONFIG));
}

/* kc_client_send copies the caller's request: nested arrays, strings and
 * record bytes included, so the caller may free it at once. */
static void test_clone_is_deep(void **state)
{
    (void)state;
    char *topic = strdup("orders");
    uint8_t *records = malloc(8);
    memcpy(records, "RECORDS!", 8);
    kp_produce_request_partition_produce_data *parts = calloc(2, sizeof(*parts));
    parts[0].index = 3;
    parts[0].records = st_slice_from(records, 8);
    parts[1].index = 4;
    parts[1].records = ST_SLICE_NULL;
    kp_produce_request_topic_produce_data *topics = calloc(1, sizeof(*topics));
    topics[0].name = st_slice_cstr(topic);
    topics[0].partition_data = parts;
    topics[0].partition_data_count = 2;
    kp_produce_request req;
    kp_produce_request_init(&req);
    req.acks = -1;
    req.topic_data = topics;
    req.topic_data_count = 1;
    st_buf before;
    st_buf_init(&before);
    assert_int_equal(kp_produce_request_encode(&req, 9, &before), ST_OK);

    st_arena arena;
    st_arena_init(&arena);
    kp_produce_request copy;
    assert_int_equal(kc_clone_struct(&kp_produce_request_desc, &copy, &req, &arena), ST_OK);
    memset(records, 'x', 8);
    memset(topic, 'y', strlen(topic));
    free(records);
    free(topic);
    free(parts);
    free(topics);
    st_buf after;
    st_buf_init(&after);
    assert_int_equal(kp_produce_request_encode(&copy, 9, &after), ST_OK);
    assert_int_equal(before.len, after.len);
    assert_memory_equal(before.data, after.data, before.len);
    assert_int_equal(copy.topic_data[0].partition_data[1].records.len, -1);
    st_buf_free(&before);
    st_buf_free(&after);
    st_arena_free(&arena);
}

/* Nullable struct pointers and arrays of scalars are copied too. */
static void test_clone_metadata_and_nulls(void **state)
{
    (void)state;
    kp_metadata_request req;
    kp_metadata_request_init(&req);
    req.topics_count = -1;
    st_arena arena;
    st_arena_init(&arena);
    kp_metadata_request copy;
    assert_int_equal(kc_clone_struct(&kp_metadata_request_desc, &copy, &req, &arena), ST_OK);
    assert_int_equal(copy.topics_count, -1);
    assert_null(copy.topics);
    kp_delete_records_request dr;
    kp_delete_records_request_init(&dr);
    kp_delete_records_request_delete_records_topic t;
    kp_init(&kp_delete_records_request_delete_records_topic_desc, &t);
    kp_delete_records_request_delete_records_partition p[3];
    for (int i = 0; i < 3; i++) {
        kp_init(&kp_delete_records_request_delete_records_partition_desc, &p[i]);
        p[i].partition_index = i;
        p[i].offset = 100 + i;
    }
    t.name = st_slice_cstr("t");
    t.partitions = p;
    t.partitions_count = 3;
    dr.topics = &t;
    dr.topics_count = 1;
    kp_delete_records_request dcopy;
    assert_int_equal(kc_clone_struct(&kp_delete_records_request_desc, &dcopy, &dr, &arena),
                     ST_OK);
    assert_ptr_not_equal(dcopy.topics, dr.topics);
    assert_ptr_not_equal(dcopy.topics[0].partitions, p);
    assert_int_equal(dcopy.topics[0].partitions[2].offset, 102);
    st_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_javas),
        cmocka_unit_test(test_errors_name_the_key_or_value),
        cmocka_unit_test(test_dup_is_deep),
        cmocka_unit_test(test_idempotence_conflicts),
        cmocka_unit_test(test_bootstrap_parsing),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_clone_is_deep),
        cmocka_unit_test(test_clone_metadata_and_nulls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
