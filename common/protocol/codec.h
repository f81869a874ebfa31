/* codec.h — the schema-driven Kafka protocol codec.
 *
 * Owns the description format that generate.py emits for every message
 * (kp_struct / kp_field / kp_message tables in messages.c) and the one
 * interpreter that decodes, encodes and sizes any message at any version
 * from those tables. Generated per-message wrappers (messages.h) call into it.
 *
 * Ownership: decoding never copies string or byte values; they are slices
 * into the input, and arrays are allocated from the caller's st_arena. A
 * decoded message is valid while both the input bytes and the arena live.
 * Encoding reads the caller's struct and appends to the caller's st_buf.
 *
 * Decoding is bounds-checked throughout: a truncated or malformed input gives
 * an st_err (and kp_decode_error names the field), never an over-read, and an
 * array length can never allocate more elements than the remaining bytes
 * could hold. */
#ifndef STRAIT_PROTOCOL_CODEC_H
#define STRAIT_PROTOCOL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/wire.h"

#define KP_VERSION_MAX INT16_MAX

typedef enum kp_type {
    KP_BOOL,
    KP_INT8,
    KP_INT16,
    KP_UINT16,
    KP_INT32,
    KP_UINT32,
    KP_INT64,
    KP_FLOAT64,
    KP_UUID,
    KP_STRING,
    KP_BYTES,
    KP_RECORDS,
    KP_STRUCT,
} kp_type;

typedef struct kp_struct kp_struct;

/* Inclusive version range; empty when min > max. */
typedef struct kp_versions {
    int16_t min;
    int16_t max;
} kp_versions;

static inline bool kp_in(kp_versions v, int16_t version)
{
    return version >= v.min && version <= v.max;
}

typedef struct kp_field {
    const char *name;        /* the schema's name, for error messages */
    kp_type type;            /* element type for arrays */
    bool is_array;
    bool is_pointer;         /* nullable struct: stored as a pointer */
    kp_versions versions;    /* present in */
    kp_versions nullable;    /* may be null in */
    kp_versions tagged;      /* written in the tagged section in */
    int32_t tag;             /* -1 when never tagged */
    kp_versions flexible;    /* compact encodings in (usually the message's) */
    uint32_t offset;         /* value, or array items pointer */
    uint32_t count_offset;   /* arrays: the int32 element count (-1 = null) */
    const kp_struct *sub;    /* KP_STRUCT: the element type */
    int64_t default_int;     /* integers and bool */
    double default_float;
    const char *default_str; /* strings: NULL means a null default */
    bool default_null;       /* arrays, bytes, records, structs */
} kp_field;

struct kp_struct {
    const char *name;
    uint32_t size;
    uint32_t field_count;
    const kp_field *fields;
};

typedef struct kp_message {
    const char *name;        /* e.g. "FetchRequest" */
    int16_t api_key;         /* -1 for headers and data records */
    kp_versions valid;
    kp_versions flexible;
    const kp_struct *root;
} kp_message;

typedef struct kp_api {
    int16_t api_key;
    const char *name;        /* e.g. "Fetch" */
    kp_versions valid;
    kp_versions flexible;
    const kp_message *request;
    const kp_message *response;
} kp_api;

/* Sets every field of obj (and of embedded structs) to its schema default. */
void kp_init(const kp_struct *s, void *obj);

/* Decodes one message body at version from r (which advances). On error the
 * reader's err is set and returned; *failed_field (if given) names the field. */
st_err kp_decode(const kp_message *m, void *obj, int16_t version, st_reader *r,
                 st_arena *arena, const char **failed_field);
/* Appends the encoding to out; returns out->err (ST_ERR_UNSUPPORTED for a
 * version outside the message's range, ST_ERR_TOO_LARGE for a string over
 * 32767 bytes in a classic encoding). */
st_err kp_encode(const kp_message *m, const void *obj, int16_t version, st_buf *out);
/* A records field whose bytes are not in memory (the broker's fetch path
 * sends them from segment files): after the length prefix, write() is called
 * with the field's slice instead of the bytes being appended; it must make
 * the output account for exactly records.len bytes (e.g. as a file splice). */
typedef struct kp_records_writer {
    void (*write)(void *ctx, st_slice records, st_buf *out);
    void *ctx;
} kp_records_writer;

st_err kp_encode_with(const kp_message *m, const void *obj, int16_t version, st_buf *out,
                      const kp_records_writer *records);

/* The exact number of bytes kp_encode would append. */
size_t kp_size(const kp_message *m, const void *obj, int16_t version);

bool kp_is_flexible(const kp_message *m, int16_t version);

/* The field called name (the schema's spelling) in s, or NULL. */
const kp_field *kp_find_field(const kp_struct *s, const char *name);
/* Sets an integer field (int8..int64, bool) of obj. */
void kp_set_int(const kp_field *f, void *obj, int64_t value);

/* The API table (generated): every API key in the schemas. */
const kp_api *kp_api_lookup(int16_t api_key);
extern const kp_api kp_apis[];
extern const size_t kp_api_count;
/* Every message description, including headers and data records. */
extern const kp_message *const kp_all_messages[];
extern const size_t kp_all_message_count;

/* Header versions for a request/response at api_version (Kafka's rules:
 * flexible requests use header v2, others v1, ControlledShutdown v0 uses v0;
 * flexible responses use header v1, except ApiVersions, always v0). */
int16_t kp_request_header_version(int16_t api_key, int16_t api_version);
int16_t kp_response_header_version(int16_t api_key, int16_t api_version);

#endif
