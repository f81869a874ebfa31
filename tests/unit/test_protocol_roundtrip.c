/* test_protocol_roundtrip.c — every generated message, at every version its
 * schema defines, survives encode → decode → encode: the decoded value equals
 * the original field by field, size() predicts the encoding exactly, the
 * decoder consumes every byte, and the second encoding is byte-identical.
 * Every truncated prefix of each encoding decodes to an error, never a
 * crash or an over-read (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/protocol/messages.h"
#include "tests/unit/protocol_fill.h"

enum { SEEDS_PER_VERSION = 4 };

typedef struct roundtrip_stats {
    size_t versions;
    size_t encodings;
    size_t truncations;
} roundtrip_stats;

static void fail_message(const kp_message *m, int16_t v, uint64_t seed, const char *what)
{
    fail_msg("%s v%d seed %llu: %s", m->name, v, (unsigned long long)seed, what);
}

/* Every strict prefix must fail to decode (a message's last bytes are never
 * optional), and must not touch memory beyond the prefix. */
static void check_truncations(const kp_message *m, int16_t v, const st_buf *enc,
                              roundtrip_stats *stats)
{
    for (size_t n = 0; n < enc->len; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, enc->data, n);
        st_arena arena;
        st_arena_init(&arena);
        void *obj = malloc(m->root->size);
        st_reader r;
        st_reader_init(&r, copy, n);
        st_err err = kp_decode(m, obj, v, &r, &arena, NULL);
        if (err == ST_OK)
            fail_message(m, v, 0, "a truncated encoding decoded without error");
        stats->truncations++;
        free(obj);
        st_arena_free(&arena);
        free(copy);
    }
}

static void roundtrip_once(const kp_message *m, int16_t v, uint64_t seed, roundtrip_stats *stats)
{
    st_arena arena;
    st_arena_init(&arena);
    fill_rng rng = {seed * 7919 + (uint64_t)v * 131 + 1};
    void *original = st_arena_alloc(&arena, m->root->size);
    void *decoded = st_arena_alloc(&arena, m->root->size);
    fill_message(m, original, v, &rng, &arena);

    st_buf first, second;
    st_buf_init(&first);
    st_buf_init(&second);
    if (kp_encode(m, original, v, &first) != ST_OK)
        fail_message(m, v, seed, "encode failed");
    if (kp_size(m, original, v) != first.len)
        fail_message(m, v, seed, "size() disagrees with encode()");

    st_reader r;
    st_reader_init(&r, first.data, first.len);
    const char *field = NULL;
    st_err err = kp_decode(m, decoded, v, &r, &arena, &field);
    if (err != ST_OK) {
        fprintf(stderr, "field %s: %s\n", field ? field : "?", st_err_name(err));
        fail_message(m, v, seed, "decode failed");
    }
    if (st_reader_left(&r) != 0)
        fail_message(m, v, seed, "decode left bytes unread");
    const char *where = NULL;
    if (!messages_equal(m->root, original, decoded, &where)) {
        fprintf(stderr, "first difference at field %s\n", where ? where : "?");
        fail_message(m, v, seed, "decoded value differs from the original");
    }
    kp_encode(m, decoded, v, &second);
    if (second.len != first.len || (first.len && memcmp(first.data, second.data, first.len) != 0))
        fail_message(m, v, seed, "second encoding is not byte-identical");
    if (seed == 0)
        check_truncations(m, v, &first, stats);
    stats->encodings++;
    st_buf_free(&first);
    st_buf_free(&second);
    st_arena_free(&arena);
}

static void test_every_message_every_version(void **state)
{
    (void)state;
    roundtrip_stats stats = {0, 0, 0};
    for (size_t i = 0; i < kp_all_message_count; i++) {
        const kp_message *m = kp_all_messages[i];
        for (int16_t v = m->valid.min; v <= m->valid.max; v++) {
            stats.versions++;
            for (uint64_t seed = 0; seed < SEEDS_PER_VERSION; seed++)
                roundtrip_once(m, v, seed, &stats);
        }
    }
    printf("# %zu messages, %zu message versions, %zu encodings, %zu truncated prefixes\n",
           kp_all_message_count, stats.versions, stats.encodings, stats.truncations);
    assert_true(stats.versions > 600); /* 692 in the 3.9/4.0 schemas */
}

static void test_api_table_covers_keys(void **state)
{
    (void)state;
    assert_true(kp_api_count >= 80);
    for (size_t i = 0; i < kp_api_count; i++) {
        const kp_api *api = kp_api_lookup(kp_apis[i].api_key);
        assert_non_null(api);
        assert_ptr_equal(api, &kp_apis[i]);
        assert_int_equal(api->request->api_key, api->api_key);
        assert_int_equal(api->response->api_key, api->api_key);
    }
    assert_null(kp_api_lookup(-1));
    assert_null(kp_api_lookup(1000));
    /* Well-known keys and names. */
    assert_string_equal(kp_api_lookup(0)->name, "Produce");
    assert_string_equal(kp_api_lookup(1)->name, "Fetch");
    assert_string_equal(kp_api_lookup(18)->name, "ApiVersions");
}

static void test_header_versions(void **state)
{
    (void)state;
    assert_int_equal(kp_request_header_version(3, 8), 1);  /* Metadata v8: classic */
    assert_int_equal(kp_request_header_version(3, 9), 2);  /* Metadata v9: flexible */
    assert_int_equal(kp_request_header_version(7, 0), 0);  /* ControlledShutdown v0 */
    assert_int_equal(kp_response_header_version(18, 3), 0); /* ApiVersions: always v0 */
    assert_int_equal(kp_response_header_version(1, 12), 1);
    assert_int_equal(kp_response_header_version(1, 11), 0);
}

static void test_defaults_from_schema(void **state)
{
    (void)state;
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    assert_int_equal(req.max_bytes, 0x7fffffff);
    assert_int_equal(req.replica_id, -1);
    assert_int_equal(req.session_epoch, -1);
    assert_int_equal(req.cluster_id.len, -1); /* default "null" */
    assert_int_equal(req.rack_id.len, 0);     /* default "" */
    kp_metadata_request meta;
    kp_metadata_request_init(&meta);
    assert_true(meta.allow_auto_topic_creation);
}

/* A hand-written Metadata v1 request checks the byte layout against the
 * protocol description, independently of the round trip. */
static void test_known_bytes_metadata_v1(void **state)
{
    (void)state;
    static const uint8_t wire[] = {0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'c'};
    st_arena arena;
    st_arena_init(&arena);
    kp_metadata_request req;
    st_reader r;
    st_reader_init(&r, wire, sizeof(wire));
    assert_int_equal(kp_metadata_request_decode(&req, 1, &r, &arena), ST_OK);
    assert_int_equal(req.topics_count, 2);
    assert_true(st_slice_eq_cstr(req.topics[0].name, "a"));
    assert_true(st_slice_eq_cstr(req.topics[1].name, "bc"));
    st_buf out;
    st_buf_init(&out);
    assert_int_equal(kp_metadata_request_encode(&req, 1, &out), ST_OK);
    assert_memory_equal(out.data, wire, sizeof(wire));
    st_buf_free(&out);
    st_arena_free(&arena);
}

/* Flexible versions: unknown tagged fields are skipped, known ones decoded. */
static void test_tagged_fields(void **state)
{
    (void)state;
    /* ApiVersionsRequest v3: client_software_name "x", version "1", then a
     * tagged section with one unknown tag 7 of 2 bytes. */
    static const uint8_t wire[] = {2, 'x', 2, '1', 1, 7, 2, 0xAA, 0xBB};
    st_arena arena;
    st_arena_init(&arena);
    kp_api_versions_request req;
    st_reader r;
    st_reader_init(&r, wire, sizeof(wire));
    assert_int_equal(kp_api_versions_request_decode(&req, 3, &r, &arena), ST_OK);
    assert_int_equal(st_reader_left(&r), 0);
    assert_true(st_slice_eq_cstr(req.client_software_name, "x"));

    /* FetchRequest v12 carries ClusterId as tag 0: written only when set. */
    kp_fetch_request fetch;
    kp_fetch_request_init(&fetch);
    st_buf a, b;
    st_buf_init(&a);
    st_buf_init(&b);
    kp_fetch_request_encode(&fetch, 12, &a);
    fetch.cluster_id = st_slice_cstr("cl");
    kp_fetch_request_encode(&fetch, 12, &b);
    assert_int_equal(b.len, a.len + 5); /* tag, size, compact "cl" (3) */
    kp_fetch_request back;
    st_reader_init(&r, b.data, b.len);
    assert_int_equal(kp_fetch_request_decode(&back, 12, &r, &arena), ST_OK);
    assert_true(st_slice_eq_cstr(back.cluster_id, "cl"));
    st_buf_free(&a);
    st_buf_free(&b);
    st_arena_free(&arena);
}

static void test_length_fields_cannot_drive_allocation(void **state)
{
    (void)state;
    /* Metadata v1 with a topic count of 2^31-1 and nothing after it. */
    static const uint8_t wire[] = {0x7f, 0xff, 0xff, 0xff, 0, 1};
    st_arena arena;
    st_arena_init(&arena);
    kp_metadata_request req;
    st_reader r;
    st_reader_init(&r, wire, sizeof(wire));
    assert_int_equal(kp_metadata_request_decode(&req, 1, &r, &arena), ST_ERR_TRUNCATED);
    assert_true(arena.total < 1024);
    /* A negative length other than -1 is malformed. */
    static const uint8_t neg[] = {0xff, 0xff, 0xff, 0xfe};
    st_reader_init(&r, neg, sizeof(neg));
    assert_int_equal(kp_metadata_request_decode(&req, 1, &r, &arena), ST_ERR_MALFORMED);
    /* An unknown version is refused. */
    st_reader_init(&r, wire, sizeof(wire));
    assert_int_equal(kp_metadata_request_decode(&req, 999, &r, &arena), ST_ERR_UNSUPPORTED);
    st_arena_free(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_table_covers_keys),
        cmocka_unit_test(test_header_versions),
        cmocka_unit_test(test_defaults_from_schema),
        cmocka_unit_test(test_known_bytes_metadata_v1),
        cmocka_unit_test(test_tagged_fields),
        cmocka_unit_test(test_length_fields_cannot_drive_allocation),
        cmocka_unit_test(test_every_message_every_version),
    };
    return cmocka_run_group_tests_name("protocol_roundtrip", tests, NULL, NULL);
}
