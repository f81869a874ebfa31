/* wire.h — bounds-checked readers and writers for Kafka's primitive types.
 *
 * Owns the byte-level encoding rules: big-endian fixed-width integers,
 * unsigned varints, zigzag varints/varlongs (record batches), classic and
 * compact strings/bytes, UUIDs. The reader never reads past its end and never
 * allocates: string and byte values are slices that point into the input, so
 * they live as long as the input buffer does. Errors are sticky: after the
 * first failure every read returns 0 and st_reader.err keeps the first error,
 * so a decoder may check once at the end. The writer appends to an st_buf
 * owned by the caller. */
#ifndef STRAIT_WIRE_H
#define STRAIT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

/* A byte slice; len < 0 means null (Kafka's nullable string/bytes). */
typedef struct st_slice {
    const uint8_t *ptr;
    int32_t len;
} st_slice;

#define ST_SLICE_NULL ((st_slice){NULL, -1})
#define ST_SLICE_EMPTY ((st_slice){(const uint8_t *)"", 0})

static inline st_slice st_slice_from(const void *p, size_t n)
{
    return (st_slice){(const uint8_t *)p, (int32_t)n};
}
st_slice st_slice_cstr(const char *s); /* NULL gives the null slice */
/* A malloc'd copy (the null slice stays null); *ok is false on allocation
 * failure. Free with st_slice_free. */
st_slice st_slice_dup(st_slice s, bool *ok);
void st_slice_free(st_slice *s);
/* A malloc'd NUL-terminated copy, or NULL (null slice or no memory). */
char *st_slice_strdup(st_slice s);
bool st_slice_eq(st_slice a, st_slice b);
bool st_slice_eq_cstr(st_slice a, const char *s);

typedef struct st_uuid {
    uint8_t b[16];
} st_uuid;

typedef struct st_reader {
    const uint8_t *p;
    const uint8_t *end;
    st_err err;
} st_reader;

static inline void st_reader_init(st_reader *r, const void *data, size_t len)
{
    r->p = (const uint8_t *)data;
    r->end = len ? r->p + len : r->p; /* never NULL + 0 */
    r->err = ST_OK;
}

static inline size_t st_reader_left(const st_reader *r)
{
    return (size_t)(r->end - r->p);
}

/* Records the first error; returns it for convenience. */
static inline st_err st_reader_fail(st_reader *r, st_err err)
{
    if (!r->err)
        r->err = err;
    r->p = r->end;
    return r->err;
}

int8_t st_read_i8(st_reader *r);
int16_t st_read_i16(st_reader *r);
uint16_t st_read_u16(st_reader *r);
int32_t st_read_i32(st_reader *r);
uint32_t st_read_u32(st_reader *r);
int64_t st_read_i64(st_reader *r);
double st_read_f64(st_reader *r);
bool st_read_bool(st_reader *r);       /* any non-zero byte is true */
/* Varints: the one-byte case inline (the hot path of record decoding), the
 * rest out of line. */
uint32_t st_read_uvarint_slow(st_reader *r);
int64_t st_read_varlong_slow(st_reader *r);

static inline uint32_t st_read_uvarint(st_reader *r) /* at most 5 bytes */
{
    if (r->p < r->end && !(*r->p & 0x80))
        return *r->p++;
    return st_read_uvarint_slow(r);
}

static inline int32_t st_read_varint(st_reader *r) /* zigzag, at most 5 bytes */
{
    uint32_t u = st_read_uvarint(r);
    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

static inline int64_t st_read_varlong(st_reader *r) /* zigzag, at most 10 bytes */
{
    if (r->p < r->end && !(*r->p & 0x80)) {
        uint64_t u = *r->p++;
        return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    }
    return st_read_varlong_slow(r);
}
st_uuid st_read_uuid(st_reader *r);
/* n raw bytes as a slice into the input (error if fewer remain). */
st_slice st_read_raw(st_reader *r, size_t n);
void st_read_skip(st_reader *r, size_t n);

/* Length-prefixed values. Classic: int16 (strings) or int32 (bytes) length,
 * -1 = null. Compact: uvarint(len + 1), 0 = null. A null where the schema does
 * not allow one is the caller's check. */
st_slice st_read_string(st_reader *r);
st_slice st_read_compact_string(st_reader *r);
st_slice st_read_bytes(st_reader *r);
st_slice st_read_compact_bytes(st_reader *r);
/* Array lengths: classic int32 or compact uvarint-1; -1 = null. A count
 * larger than the bytes left (each element needs at least one byte) is
 * rejected as truncated, so a length field can never drive a huge allocation. */
int32_t st_read_array_len(st_reader *r);
int32_t st_read_compact_array_len(st_reader *r);

void st_write_i8(st_buf *b, int8_t v);
void st_write_i16(st_buf *b, int16_t v);
void st_write_u16(st_buf *b, uint16_t v);
void st_write_i32(st_buf *b, int32_t v);
void st_write_u32(st_buf *b, uint32_t v);
void st_write_i64(st_buf *b, int64_t v);
void st_write_f64(st_buf *b, double v);
void st_write_bool(st_buf *b, bool v);
void st_write_uvarint(st_buf *b, uint32_t v);
void st_write_varint(st_buf *b, int32_t v);
void st_write_varlong(st_buf *b, int64_t v);
void st_write_uuid(st_buf *b, st_uuid v);
void st_write_string(st_buf *b, st_slice s);
void st_write_compact_string(st_buf *b, st_slice s);
void st_write_bytes(st_buf *b, st_slice s);
void st_write_compact_bytes(st_buf *b, st_slice s);
void st_write_array_len(st_buf *b, int32_t n);
void st_write_compact_array_len(st_buf *b, int32_t n);

/* Encoded sizes, for size() functions that must not build the bytes. */
size_t st_uvarint_size(uint32_t v);
size_t st_varint_size(int32_t v);
size_t st_varlong_size(int64_t v);

/* Big-endian stores/loads into fixed memory (headers patched after writing). */
static inline void st_put_i32(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)(u >> 24);
    p[1] = (uint8_t)(u >> 16);
    p[2] = (uint8_t)(u >> 8);
    p[3] = (uint8_t)u;
}
static inline int32_t st_get_i32(const uint8_t *p)
{
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                     ((uint32_t)p[2] << 8) | (uint32_t)p[3]);
}
static inline void st_put_i64(uint8_t *p, int64_t v)
{
    st_put_i32(p, (int32_t)((uint64_t)v >> 32));
    st_put_i32(p + 4, (int32_t)(uint32_t)v);
}
static inline int64_t st_get_i64(const uint8_t *p)
{
    return (int64_t)(((uint64_t)(uint32_t)st_get_i32(p) << 32) |
                     (uint64_t)(uint32_t)st_get_i32(p + 4));
}
static inline void st_put_i16(uint8_t *p, int16_t v)
{
    p[0] = (uint8_t)((uint16_t)v >> 8);
    p[1] = (uint8_t)v;
}
static inline int16_t st_get_i16(const uint8_t *p)
{
    return (int16_t)(((uint16_t)p[0] << 8) | p[1]);
}

#endif
