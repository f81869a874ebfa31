/* test_protocol_captures.c — golden vectors from ../shared: request bodies
 * kafkajs 2.2.4 encoded and response bodies real Apache Kafka 2.x brokers
 * returned. Each decodes with its API and version, consuming every byte, and
 * re-encodes to the identical bytes. Skips when ../shared is absent. */
#include <stdbool.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "common/protocol/messages.h"
#include "tests/unit/testdata.h"

typedef struct capture_stats {
    int decoded;
    int skipped;
} capture_stats;

static const kp_api *api_for_folder(const char *folder)
{
    for (size_t i = 0; i < kp_api_count; i++)
        if (strcasecmp(kp_apis[i].name, folder) == 0)
            return &kp_apis[i];
    return NULL;
}

enum { FLIPS_PER_CAPTURE = 64 };

static void decode_any(const kp_message *m, int16_t version, const uint8_t *data, size_t len,
                       st_arena *arena)
{
    st_arena_reset(arena);
    void *obj = st_arena_alloc(arena, m->root->size);
    st_reader r;
    st_reader_init(&r, data, len);
    (void)kp_decode(m, obj, version, &r, arena, NULL);
}

/* Every truncated prefix and random byte flips: an error or a value, never a
 * crash or an over-read (each prefix is copied to the end of the block so that
 * ASan sees any read past it). Past 4 KiB, every 97th prefix. */
static void torture(const kp_message *m, int16_t version, const uint8_t *body, size_t len)
{
    if (len == 0)
        return;
    st_arena arena;
    st_arena_init(&arena);
    uint8_t *copy = malloc(len);
    for (size_t n = 0; n < len; n += n < 4096 ? 1 : 97) {
        memcpy(copy + len - n, body, n);
        decode_any(m, version, copy + len - n, n, &arena);
    }
    uint64_t x = 0x243F6A8885A308D3ull ^ len;
    for (int i = 0; i < FLIPS_PER_CAPTURE; i++) {
        memcpy(copy, body, len);
        for (int k = 0; k < 1 + i % 3; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            copy[x % len] ^= (uint8_t)(1u << (x >> 32) % 8);
        }
        decode_any(m, version, copy, len, &arena);
    }
    free(copy);
    st_arena_free(&arena);
}

/* Decodes body as m at version; returns 0 when it decodes fully and
 * re-encodes to the same bytes, else prints why and returns -1. */
static int check_body(const char *path, const kp_message *m, int16_t version,
                      const uint8_t *body, size_t len)
{
    st_arena arena;
    st_arena_init(&arena);
    void *obj = st_arena_alloc(&arena, m->root->size);
    st_reader r;
    st_reader_init(&r, body, len);
    const char *field = NULL;
    int rc = 0;
    st_err err = kp_decode(m, obj, version, &r, &arena, &field);
    if (err) {
        fprintf(stderr, "%s: %s v%d: %s at field %s\n", path, m->name, version,
                st_err_name(err), field ? field : "?");
        rc = -1;
    } else if (st_reader_left(&r)) {
        fprintf(stderr, "%s: %zu bytes left after decoding\n", path, st_reader_left(&r));
        rc = -1;
    } else {
        st_buf out;
        st_buf_init(&out);
        kp_encode(m, obj, version, &out);
        if (out.len != len || (len && memcmp(out.data, body, len) != 0)) {
            fprintf(stderr, "%s: re-encoding differs (%zu vs %zu bytes)\n", path, out.len, len);
            rc = -1;
        }
        st_buf_free(&out);
    }
    st_arena_free(&arena);
    torture(m, version, body, len);
    return rc;
}

/* kafkajs's fixtures of flexible versions begin with the (empty) tagged-field
 * section of the request/response header; the body follows it. */
static int check_message(const char *path, const kp_message *m, int16_t version,
                         const uint8_t *body, size_t len)
{
    if (kp_is_flexible(m, version)) {
        st_reader r;
        st_reader_init(&r, body, len);
        uint32_t tags = st_read_uvarint(&r);
        if (r.err || tags != 0) {
            fprintf(stderr, "%s: no empty header tag section in front\n", path);
            return -1;
        }
        return check_body(path, m, version, r.p, st_reader_left(&r));
    }
    return check_body(path, m, version, body, len);
}

/* Consumer protocol blobs carry their own int16 version in front. kafkajs's
 * assigner writes the version 0 layout (topics, user data) under version 1,
 * inside its own protocol name, so no other client reads it: those are read
 * with the version 0 layout. */
static int check_consumer_protocol(const char *path, const kp_message *m, const uint8_t *body,
                                   size_t len, bool kafkajs_assigner)
{
    if (len < 2)
        return -1;
    int16_t version = (int16_t)((body[0] << 8) | body[1]);
    return check_body(path, m, kafkajs_assigner ? 0 : version, body + 2, len - 2);
}

/* An old broker's ApiVersions v1 answer without throttle_time_ms: clients
 * fall back to reading it as v0. The v1 decoder must refuse it (truncated),
 * and the v0 decoder must read it whole. */
static int check_missing_throttle_time(const char *path, const kp_api *api, const uint8_t *body,
                                       size_t len)
{
    st_arena arena;
    st_arena_init(&arena);
    kp_api_versions_response resp;
    st_reader r;
    st_reader_init(&r, body, len);
    st_err err = kp_decode(api->response, &resp, 1, &r, &arena, NULL);
    st_arena_free(&arena);
    if (err != ST_ERR_TRUNCATED) {
        fprintf(stderr, "%s: expected a truncated v1 answer\n", path);
        return -1;
    }
    return check_body(path, api->response, 0, body, len);
}

static int check_file(const char *dir, const char *folder, const char *name,
                      capture_stats *stats)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, folder, name);
    const kp_api *api = api_for_folder(folder);
    int version;
    char kind[64] = "";
    if (!api || sscanf(name, "v%d_%63[a-zA-Z]", &version, kind) != 2) {
        stats->skipped++;
        return 0;
    }
    size_t len;
    uint8_t *body = testdata_read_buffer_json(path, &len);
    if (!body) {
        fprintf(stderr, "%s: not a Buffer JSON file\n", path);
        return -1;
    }
    int rc = 0;
    if (strstr(name, "missing_throttle_time"))
        rc = check_missing_throttle_time(path, api, body, len);
    else if (strcmp(kind, "request") == 0)
        rc = check_message(path, api->request, (int16_t)version, body, len);
    else if (strcmp(kind, "response") == 0)
        rc = check_message(path, api->response, (int16_t)version, body, len);
    else if (strcmp(kind, "memberAssignment") == 0)
        rc = check_consumer_protocol(path, &kp_consumer_protocol_assignment_message, body, len,
                                     false);
    else if (strcmp(kind, "memberMetadata") == 0 || strcmp(kind, "assignerMetadata") == 0)
        rc = check_consumer_protocol(path, &kp_consumer_protocol_subscription_message, body, len,
                                     true);
    else
        stats->skipped++;
    if (rc == 0 && (strcmp(kind, "request") == 0 || strcmp(kind, "response") == 0 ||
                    strstr(kind, "Metadata") || strstr(kind, "Assignment")))
        stats->decoded++;
    free(body);
    return rc;
}

static void test_every_capture_roundtrips(void **state)
{
    (void)state;
    const char *proto = testdata_protocol_dir();
    if (!proto) {
        printf("# skipped: ../shared/kafka-protocol is absent (set STRAIT_PROTOCOL_DIR)\n");
        skip();
    }
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/captures", proto);
    DIR *top = opendir(dir);
    assert_non_null(top);
    capture_stats stats = {0, 0};
    int failures = 0;
    struct dirent *api_ent;
    while ((api_ent = readdir(top))) {
        if (api_ent->d_name[0] == '.')
            continue;
        char sub[2048];
        snprintf(sub, sizeof(sub), "%s/%s", dir, api_ent->d_name);
        DIR *files = opendir(sub);
        if (!files)
            continue;
        struct dirent *f;
        while ((f = readdir(files)))
            if (strstr(f->d_name, ".json"))
                failures += check_file(dir, api_ent->d_name, f->d_name, &stats) != 0;
        closedir(files);
    }
    closedir(top);
    printf("# %d captures decoded and re-encoded identically, %d not protocol messages\n",
           stats.decoded, stats.skipped);
    assert_int_equal(failures, 0);
    assert_true(stats.decoded > 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_capture_roundtrips),
    };
    return cmocka_run_group_tests_name("protocol_captures", tests, NULL, NULL);
}
