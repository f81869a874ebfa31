/* test_golden_vectors.c — frames captured from real clients (librdkafka
 * 2.0.2 and kafkajs 2.2.4, see tests/golden/README.md) decode with our codec,
 * and every value the manifest lists for a frame — header fields, every body
 * field by its schema path, record batches down to each record's key, value
 * and headers, and the consumer-protocol bytes inside JoinGroup/SyncGroup —
 * is the value our decoder reads. Each frame also re-encodes byte-identically,
 * and its truncated prefixes decode to errors without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/protocol/frame.h"
#include "common/record_batch.h"
#include "tests/unit/protocol_fill.h"
#include "tests/unit/testdata.h"

#define GOLDEN_DIR "tests/golden"
enum { MAX_BATCH_BYTES = 16 << 20 };

typedef struct golden_frame {
    const char *file;
    bool is_request;
    int16_t api_key;
    int16_t api_version;
    kp_request req;          /* requests */
    void *body;              /* the decoded body (request or response) */
    const kp_struct *root;
    int32_t correlation_id;
    st_arena arena;
    uint8_t *bytes;
    size_t len;
} golden_frame;

typedef struct golden_stats {
    int frames;
    int checked;
    int not_checked;
    int failures;
} golden_stats;

static void failure(golden_stats *st, const golden_frame *g, const char *path, const char *why,
                    const char *expected)
{
    fprintf(stderr, "%s: %s: %s (manifest says %s)\n", g->file, path, why, expected);
    st->failures++;
}

/* %-unescapes into out (same or shorter length). */
static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        unsigned v;
        if (*p == '%' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1) {
            out[n++] = (char)v;
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return n;
}

static bool slice_matches(st_slice s, const char *expected)
{
    if (strcmp(expected, "~") == 0)
        return s.len < 0;
    if (s.len < 0)
        return false;
    unsigned n;
    if (sscanf(expected, "bytes:%u", &n) == 1) {
        if ((int32_t)n != s.len)
            return false;
        const char *hex = strchr(expected + 6, ':');
        for (int32_t i = 0; hex && i < s.len; i++) {
            unsigned b;
            if (sscanf(hex + 1 + 2 * i, "%2x", &b) != 1 || b != s.ptr[i])
                return false;
        }
        return true;
    }
    char *plain = malloc(strlen(expected) + 1);
    size_t len = unescape(expected, plain);
    bool eq = (size_t)s.len == len && memcmp(s.ptr, plain, len) == 0;
    free(plain);
    return eq;
}

static bool int_matches(long long v, const char *expected)
{
    if (strcmp(expected, "true") == 0)
        return v == 1;
    if (strcmp(expected, "false") == 0)
        return v == 0;
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    return strcmp(buf, expected) == 0;
}

static bool count_matches(int32_t count, const char *expected, const char *prefix)
{
    if (strcmp(expected, "~") == 0)
        return count < 0;
    size_t plen = strlen(prefix);
    return strncmp(expected, prefix, plen) == 0 && int_matches(count, expected + plen);
}

/* Splits "Name[3].rest" into name, index (-1 when none) and rest (NULL at the end). */
static void split_path(const char *path, char *name, size_t cap, int *index, const char **rest)
{
    size_t n = strcspn(path, ".[");
    snprintf(name, cap, "%.*s", (int)n, path);
    *index = -1;
    const char *p = path + n;
    if (*p == '[') {
        *index = atoi(p + 1);
        p = strchr(p, ']') + 1;
    }
    *rest = *p == '.' ? p + 1 : NULL;
}

/* ---- record batches ------------------------------------------------------ */

static bool nth_batch(st_slice records, int index, st_batch *out)
{
    st_batch_iter it;
    st_batch_iter_init(&it, records.ptr, (size_t)records.len, true);
    for (int i = 0; st_batch_iter_next(&it, out) == ST_BATCH_OK; i++)
        if (i == index)
            return true;
    return false;
}

static int count_batches(st_slice records)
{
    if (records.len < 0)
        return -1;
    st_batch_iter it;
    st_batch_iter_init(&it, records.ptr, (size_t)records.len, true);
    st_batch b;
    int n = 0;
    while (st_batch_iter_next(&it, &b) == ST_BATCH_OK)
        n++;
    return n;
}

static int check_header_path(const st_record *rec, int index, const char *rest,
                             const char *expected)
{
    st_header_iter it;
    st_header_iter_init(&it, rec);
    st_record_header h;
    for (int i = 0; st_header_iter_next(&it, &h); i++) {
        if (i != index)
            continue;
        if (strcmp(rest, "Key") == 0)
            return slice_matches(h.key, expected);
        if (strcmp(rest, "Value") == 0)
            return slice_matches(h.value, expected);
        return -1;
    }
    return 0;
}

static int check_record_path(const st_record *rec, const char *path, const char *expected)
{
    char name[64];
    int index;
    const char *rest;
    split_path(path, name, sizeof(name), &index, &rest);
    if (strcmp(name, "Key") == 0)
        return slice_matches(rec->key, expected);
    if (strcmp(name, "Value") == 0)
        return slice_matches(rec->value, expected);
    if (strcmp(name, "Attributes") == 0)
        return int_matches(rec->attributes, expected);
    if (strcmp(name, "TimestampDelta") == 0)
        return int_matches(rec->timestamp_delta, expected);
    if (strcmp(name, "OffsetDelta") == 0)
        return int_matches(rec->offset_delta, expected);
    if (strcmp(name, "Headers") == 0)
        return index < 0 ? count_matches(rec->header_count, expected, "count:")
                         : check_header_path(rec, index, rest, expected);
    return -1;
}

static int check_records_of_batch(const st_batch *b, int index, const char *rest,
                                  const char *expected)
{
    st_record_iter it;
    if (st_record_iter_init(&it, b, MAX_BATCH_BYTES) != ST_OK)
        return 0;
    st_record rec;
    int result = 0;
    for (int i = 0; st_record_iter_next(&it, &rec); i++) {
        if (i == index) {
            result = check_record_path(&rec, rest, expected);
            break;
        }
    }
    st_record_iter_free(&it);
    return result;
}

static long long load_header_int(const uint8_t *p, int size)
{
    switch (size) {
    case 8: return *(const int64_t *)p;
    case 4: return *(const int32_t *)p;
    case -4: return (long long)*(const uint32_t *)p;
    case 2: return *(const int16_t *)p;
    default: return *(const int8_t *)p;
    }
}

/* 1 = matches, 0 = differs, -1 = a manifest field this test does not check. */
static int check_batch_path(const st_batch *b, const char *path, const char *expected)
{
    const st_batch_header *h = &b->header;
    char name[64];
    int index;
    const char *rest;
    split_path(path, name, sizeof(name), &index, &rest);
    static const struct {
        const char *name;
        size_t offset;
        int size;
    } ints[] = {
        {"BaseOffset", offsetof(st_batch_header, base_offset), 8},
        {"BatchLength", offsetof(st_batch_header, batch_length), 4},
        {"PartitionLeaderEpoch", offsetof(st_batch_header, partition_leader_epoch), 4},
        {"Magic", offsetof(st_batch_header, magic), 1},
        {"Crc", offsetof(st_batch_header, crc), -4},
        {"Attributes", offsetof(st_batch_header, attributes), 2},
        {"LastOffsetDelta", offsetof(st_batch_header, last_offset_delta), 4},
        {"BaseTimestamp", offsetof(st_batch_header, base_timestamp), 8},
        {"MaxTimestamp", offsetof(st_batch_header, max_timestamp), 8},
        {"ProducerId", offsetof(st_batch_header, producer_id), 8},
        {"ProducerEpoch", offsetof(st_batch_header, producer_epoch), 2},
        {"BaseSequence", offsetof(st_batch_header, base_sequence), 4},
        {"RecordCount", offsetof(st_batch_header, record_count), 4},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (strcmp(name, ints[i].name) != 0)
            continue;
        const uint8_t *p = (const uint8_t *)h + ints[i].offset;
        return int_matches(load_header_int(p, ints[i].size), expected);
    }
    if (strcmp(name, "Compression") == 0)
        return strcmp(st_codec_name(st_batch_codec(h)), expected) == 0;
    if (strcmp(name, "TimestampType") == 0)
        return strcmp(st_batch_has_log_append_time(h) ? "append" : "create", expected) == 0;
    if (strcmp(name, "IsTransactional") == 0)
        return int_matches(st_batch_is_transactional(h), expected);
    if (strcmp(name, "IsControl") == 0)
        return int_matches(st_batch_is_control(h), expected);
    if (strcmp(name, "Records") == 0 && index >= 0 && rest)
        return check_records_of_batch(b, index, rest, expected);
    return -1; /* CompressionFraming, CompressedSize: properties of the bytes, not fields */
}

static int check_records_path(st_slice records, int index, const char *rest, const char *expected)
{
    if (index < 0)
        return count_matches(count_batches(records), expected, "batches:");
    st_batch b;
    if (!rest || !nth_batch(records, index, &b))
        return 0;
    return check_batch_path(&b, rest, expected);
}

/* ---- schema fields ------------------------------------------------------- */

static int check_struct_path(golden_frame *g, const kp_struct *s, const void *obj,
                             const char *path, const char *expected);

static int check_value(golden_frame *g, const kp_field *f, const void *p, const char *rest,
                       const char *expected);

/* kafkajs's assigner writes the version 0 layout under version 1 (see
 * test_protocol_captures.c); decode at the declared version, else at 0. */
static int check_consumer_protocol(golden_frame *g, const kp_field *f, st_slice bytes,
                                   const char *rest, const char *expected)
{
    const kp_message *m = strcmp(f->name, "Assignment") == 0
                              ? &kp_consumer_protocol_assignment_message
                              : &kp_consumer_protocol_subscription_message;
    st_reader r;
    st_reader_init(&r, bytes.ptr, bytes.len > 0 ? (size_t)bytes.len : 0);
    int16_t version = st_read_i16(&r);
    if (strcmp(rest, "Version") == 0)
        return !r.err && int_matches(version, expected);
    void *obj = st_arena_alloc(&g->arena, m->root->size);
    st_reader body = r;
    if (kp_decode(m, obj, version, &body, &g->arena, NULL) != ST_OK || st_reader_left(&body)) {
        body = r;
        if (kp_decode(m, obj, 0, &body, &g->arena, NULL) != ST_OK || st_reader_left(&body))
            return 0;
    }
    return check_struct_path(g, m->root, obj, rest, expected);
}

static int check_value(golden_frame *g, const kp_field *f, const void *p, const char *rest,
                       const char *expected)
{
    switch (f->type) {
    case KP_STRUCT:
        return rest ? check_struct_path(g, f->sub, p, rest, expected) : -1;
    case KP_BYTES:
        if (rest)
            return check_consumer_protocol(g, f, *(const st_slice *)p, rest, expected);
        return slice_matches(*(const st_slice *)p, expected);
    case KP_STRING:
        return slice_matches(*(const st_slice *)p, expected);
    case KP_BOOL: return int_matches(*(const bool *)p, expected);
    case KP_INT8: return int_matches(*(const int8_t *)p, expected);
    case KP_INT16: return int_matches(*(const int16_t *)p, expected);
    case KP_UINT16: return int_matches(*(const uint16_t *)p, expected);
    case KP_INT32: return int_matches(*(const int32_t *)p, expected);
    case KP_UINT32: return int_matches(*(const uint32_t *)p, expected);
    case KP_INT64: return int_matches(*(const int64_t *)p, expected);
    default: return -1;
    }
}

static int check_struct_path(golden_frame *g, const kp_struct *s, const void *obj,
                             const char *path, const char *expected)
{
    char name[128];
    int index;
    const char *rest;
    split_path(path, name, sizeof(name), &index, &rest);
    const kp_field *f = kp_find_field(s, name);
    if (!f)
        return 0;
    const uint8_t *p = (const uint8_t *)obj + f->offset;
    if (f->type == KP_RECORDS)
        return check_records_path(*(const st_slice *)p, index, rest, expected);
    if (f->is_array) {
        int32_t count = *(const int32_t *)((const uint8_t *)obj + f->count_offset);
        if (index < 0)
            return count_matches(count, expected, "count:");
        if (index >= count)
            return 0;
        const uint8_t *items = *(uint8_t *const *)p;
        return check_value(g, f, items + (size_t)index * protocol_item_size(f), rest, expected);
    }
    if (f->is_pointer) {
        const void *sub = *(void *const *)p;
        if (!rest)
            return strcmp(expected, "~") == 0 ? sub == NULL : -1;
        return sub ? check_struct_path(g, f->sub, sub, rest, expected) : 0;
    }
    return check_value(g, f, p, rest, expected);
}

/* ---- frames and the manifest --------------------------------------------- */

static int check_header_token(const golden_frame *g, const char *name, const char *expected)
{
    if (strcmp(name, "api") == 0)
        return strcmp(kp_api_lookup(g->api_key)->name, expected) == 0;
    if (strcmp(name, "api_key") == 0)
        return int_matches(g->api_key, expected);
    if (strcmp(name, "api_version") == 0)
        return int_matches(g->api_version, expected);
    if (strcmp(name, "header_version") == 0)
        return int_matches(g->is_request ? kp_request_header_version(g->api_key, g->api_version)
                                         : kp_response_header_version(g->api_key, g->api_version),
                           expected);
    if (strcmp(name, "correlation_id") == 0)
        return int_matches(g->correlation_id, expected);
    if (strcmp(name, "client_id") == 0)
        return slice_matches(g->req.header.client_id, expected);
    return -2; /* not a header token */
}

static void check_token(golden_frame *g, char *token, golden_stats *st)
{
    char *eq = strchr(token, '=');
    if (!eq)
        return;
    *eq = '\0';
    const char *path = token, *expected = eq + 1;
    int ok = check_header_token(g, path, expected);
    if (ok == -2)
        ok = check_struct_path(g, g->root, g->body, path, expected);
    if (ok < 0)
        st->not_checked++;
    else if (ok == 0)
        failure(st, g, path, "decoded value differs", expected);
    else
        st->checked++;
}

/* Re-encoding must give the captured bytes back, and prefixes must fail. */
static void check_reencode_and_prefixes(golden_frame *g, golden_stats *st)
{
    st_buf out;
    st_buf_init(&out);
    if (g->is_request)
        kp_request_encode(&g->req.header, g->body, &out);
    else
        kp_response_encode(g->api_key, g->api_version, g->correlation_id, g->body, &out);
    if (out.len != g->len + 4 || memcmp(out.data + 4, g->bytes, g->len) != 0)
        failure(st, g, "(whole frame)", "re-encoding differs from the captured bytes", "-");
    st_buf_free(&out);
    uint8_t *copy = malloc(g->len);
    for (size_t n = 0; n < g->len; n++) {
        memcpy(copy + g->len - n, g->bytes, n);
        st_arena a;
        st_arena_init(&a);
        kp_request req;
        void *body = st_arena_alloc(&a, g->root->size);
        int32_t corr;
        st_err err = g->is_request
                         ? kp_request_decode(&req, copy + g->len - n, n, &a, NULL)
                         : kp_response_decode(g->api_key, g->api_version, body, &corr,
                                              copy + g->len - n, n, &a, NULL);
        if (err == ST_OK)
            failure(st, g, "(prefix)", "a truncated frame decoded", "-");
        st_arena_free(&a);
    }
    free(copy);
}

static bool load_frame(golden_frame *g, const char *file, char **tokens, int ntok)
{
    memset(g, 0, sizeof(*g));
    g->file = file;
    g->is_request = strstr(file, "-request.bin") != NULL;
    for (int i = 0; i < ntok; i++) {
        if (strncmp(tokens[i], "api_key=", 8) == 0)
            g->api_key = (int16_t)atoi(tokens[i] + 8);
        if (strncmp(tokens[i], "api_version=", 12) == 0)
            g->api_version = (int16_t)atoi(tokens[i] + 12);
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, file);
    g->bytes = testdata_read_file(path, &g->len);
    if (!g->bytes)
        return false;
    st_arena_init(&g->arena);
    const kp_api *api = kp_api_lookup(g->api_key);
    const char *field = NULL;
    st_err err;
    if (g->is_request) {
        err = kp_request_decode(&g->req, g->bytes, g->len, &g->arena, &field);
        g->body = g->req.body;
        g->root = api->request->root;
        g->correlation_id = g->req.header.correlation_id;
    } else {
        g->root = api->response->root;
        g->body = st_arena_alloc(&g->arena, g->root->size);
        err = kp_response_decode(g->api_key, g->api_version, g->body, &g->correlation_id,
                                 g->bytes, g->len, &g->arena, &field);
    }
    if (err)
        fprintf(stderr, "%s: %s at field %s\n", file, st_err_name(err), field ? field : "?");
    return err == ST_OK;
}

static void check_frame_line(char *line, golden_stats *st)
{
    char *tokens[4096];
    int ntok = 0;
    for (char *t = strtok(line, " \n"); t && ntok < 4096; t = strtok(NULL, " \n"))
        tokens[ntok++] = t;
    if (ntok == 0)
        return;
    golden_frame g;
    if (!load_frame(&g, tokens[0], tokens + 1, ntok - 1)) {
        fprintf(stderr, "%s: does not decode\n", tokens[0]);
        st->failures++;
    } else {
        for (int i = 1; i < ntok; i++)
            check_token(&g, tokens[i], st);
        check_reencode_and_prefixes(&g, st);
        st->frames++;
    }
    st_arena_free(&g.arena);
    free(g.bytes);
}

static void test_golden_frames(void **state)
{
    (void)state;
    size_t len;
    char *manifest = (char *)testdata_read_file(GOLDEN_DIR "/manifest.txt", &len);
    assert_non_null(manifest);
    manifest = realloc(manifest, len + 1);
    manifest[len] = '\0';
    golden_stats st = {0, 0, 0, 0};
    char *save = NULL;
    for (char *line = strtok_r(manifest, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (line[0] != '#')
            check_frame_line(line, &st);
    free(manifest);
    printf("# %d golden frames, %d manifest values checked, %d not checked (byte-level "
           "properties), %d failures\n",
           st.frames, st.checked, st.not_checked, st.failures);
    assert_int_equal(st.failures, 0);
    assert_true(st.frames >= 80);
    assert_true(st.not_checked * 20 < st.checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_frames),
    };
    return cmocka_run_group_tests_name("golden_vectors", tests, NULL, NULL);
}
