/* wire.c — primitive reader/writer (see wire.h). */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

st_slice st_slice_cstr(const char *s)
{
    if (!s)
        return ST_SLICE_NULL;
    return st_slice_from(s, strlen(s));
}

st_slice st_slice_dup(st_slice s, bool *ok)
{
    *ok = true;
    if (s.len < 0)
        return ST_SLICE_NULL;
    uint8_t *p = malloc(s.len ? (size_t)s.len : 1);
    if (!p) {
        *ok = false;
        return ST_SLICE_NULL;
    }
    if (s.len)
        memcpy(p, s.ptr, (size_t)s.len);
    return st_slice_from(p, (size_t)s.len);
}

void st_slice_free(st_slice *s)
{
    if (s->len >= 0)
        free((void *)(uintptr_t)s->ptr);
    *s = ST_SLICE_NULL;
}

char *st_slice_strdup(st_slice s)
{
    if (s.len < 0)
        return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (p) {
        if (s.len)
            memcpy(p, s.ptr, (size_t)s.len);
        p[s.len] = '\0';
    }
    return p;
}

bool st_slice_eq(st_slice a, st_slice b)
{
    if (a.len != b.len)
        return false;
    return a.len <= 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0;
}

bool st_slice_eq_cstr(st_slice a, const char *s)
{
    return st_slice_eq(a, st_slice_cstr(s));
}

/* Returns a pointer to n readable bytes and advances, or NULL (error set). */
static const uint8_t *take(st_reader *r, size_t n)
{
    if (r->err)
        return NULL;
    if (st_reader_left(r) < n) {
        st_reader_fail(r, ST_ERR_TRUNCATED);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

int8_t st_read_i8(st_reader *r)
{
    const uint8_t *p = take(r, 1);
    return p ? (int8_t)p[0] : 0;
}

int16_t st_read_i16(st_reader *r)
{
    const uint8_t *p = take(r, 2);
    return p ? st_get_i16(p) : 0;
}

uint16_t st_read_u16(st_reader *r)
{
    return (uint16_t)st_read_i16(r);
}

int32_t st_read_i32(st_reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? st_get_i32(p) : 0;
}

uint32_t st_read_u32(st_reader *r)
{
    return (uint32_t)st_read_i32(r);
}

int64_t st_read_i64(st_reader *r)
{
    const uint8_t *p = take(r, 8);
    return p ? st_get_i64(p) : 0;
}

double st_read_f64(st_reader *r)
{
    uint64_t u = (uint64_t)st_read_i64(r);
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

bool st_read_bool(st_reader *r)
{
    return st_read_i8(r) != 0;
}

static uint64_t read_uvarint_bits(st_reader *r, int max_bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        const uint8_t *p = take(r, 1);
        if (!p)
            return 0;
        v |= (uint64_t)(p[0] & 0x7f) << (7 * i);
        if (!(p[0] & 0x80))
            return v;
    }
    st_reader_fail(r, ST_ERR_MALFORMED);
    return 0;
}

uint32_t st_read_uvarint_slow(st_reader *r)
{
    uint64_t v = read_uvarint_bits(r, 5);
    if (v > UINT32_MAX) {
        st_reader_fail(r, ST_ERR_MALFORMED);
        return 0;
    }
    return (uint32_t)v;
}

int64_t st_read_varlong_slow(st_reader *r)
{
    uint64_t u = read_uvarint_bits(r, 10);
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

st_uuid st_read_uuid(st_reader *r)
{
    st_uuid u;
    const uint8_t *p = take(r, 16);
    if (p)
        memcpy(u.b, p, 16);
    else
        memset(u.b, 0, 16);
    return u;
}

st_slice st_read_raw(st_reader *r, size_t n)
{
    const uint8_t *p = take(r, n);
    return p ? st_slice_from(p, n) : ST_SLICE_NULL;
}

void st_read_skip(st_reader *r, size_t n)
{
    (void)take(r, n);
}

/* len < -1 is malformed; -1 is null; otherwise len bytes follow. */
static st_slice read_sized(st_reader *r, int64_t len)
{
    if (r->err)
        return ST_SLICE_NULL;
    if (len == -1)
        return ST_SLICE_NULL;
    if (len < -1 || len > INT32_MAX) {
        st_reader_fail(r, ST_ERR_MALFORMED);
        return ST_SLICE_NULL;
    }
    return st_read_raw(r, (size_t)len);
}

st_slice st_read_string(st_reader *r)
{
    return read_sized(r, st_read_i16(r));
}

st_slice st_read_compact_string(st_reader *r)
{
    return read_sized(r, (int64_t)st_read_uvarint(r) - 1);
}

st_slice st_read_bytes(st_reader *r)
{
    return read_sized(r, st_read_i32(r));
}

st_slice st_read_compact_bytes(st_reader *r)
{
    return read_sized(r, (int64_t)st_read_uvarint(r) - 1);
}

static int32_t check_array_len(st_reader *r, int64_t n)
{
    if (r->err)
        return 0;
    if (n < -1) {
        st_reader_fail(r, ST_ERR_MALFORMED);
        return 0;
    }
    if (n > (int64_t)st_reader_left(r)) {
        st_reader_fail(r, ST_ERR_TRUNCATED);
        return 0;
    }
    return (int32_t)n;
}

int32_t st_read_array_len(st_reader *r)
{
    return check_array_len(r, st_read_i32(r));
}

int32_t st_read_compact_array_len(st_reader *r)
{
    return check_array_len(r, (int64_t)st_read_uvarint(r) - 1);
}

void st_write_i8(st_buf *b, int8_t v)
{
    st_buf_append_byte(b, (uint8_t)v);
}

void st_write_i16(st_buf *b, int16_t v)
{
    uint8_t *p = st_buf_extend(b, 2);
    if (p)
        st_put_i16(p, v);
}

void st_write_u16(st_buf *b, uint16_t v)
{
    st_write_i16(b, (int16_t)v);
}

void st_write_i32(st_buf *b, int32_t v)
{
    uint8_t *p = st_buf_extend(b, 4);
    if (p)
        st_put_i32(p, v);
}

void st_write_u32(st_buf *b, uint32_t v)
{
    st_write_i32(b, (int32_t)v);
}

void st_write_i64(st_buf *b, int64_t v)
{
    uint8_t *p = st_buf_extend(b, 8);
    if (p)
        st_put_i64(p, v);
}

void st_write_f64(st_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    st_write_i64(b, (int64_t)u);
}

void st_write_bool(st_buf *b, bool v)
{
    st_buf_append_byte(b, v ? 1 : 0);
}

static void write_uvarint64(st_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    st_buf_append(b, tmp, n);
}

void st_write_uvarint(st_buf *b, uint32_t v)
{
    write_uvarint64(b, v);
}

void st_write_varint(st_buf *b, int32_t v)
{
    write_uvarint64(b, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void st_write_varlong(st_buf *b, int64_t v)
{
    write_uvarint64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void st_write_uuid(st_buf *b, st_uuid v)
{
    st_buf_append(b, v.b, 16);
}

void st_write_string(st_buf *b, st_slice s)
{
    if (s.len < 0) {
        st_write_i16(b, -1);
        return;
    }
    if (s.len > INT16_MAX) {
        b->err = ST_ERR_TOO_LARGE;
        return;
    }
    st_write_i16(b, (int16_t)s.len);
    st_buf_append(b, s.ptr, (size_t)s.len);
}

void st_write_compact_string(st_buf *b, st_slice s)
{
    st_write_compact_bytes(b, s);
}

void st_write_bytes(st_buf *b, st_slice s)
{
    st_write_i32(b, s.len < 0 ? -1 : s.len);
    if (s.len > 0)
        st_buf_append(b, s.ptr, (size_t)s.len);
}

void st_write_compact_bytes(st_buf *b, st_slice s)
{
    if (s.len < 0) {
        st_write_uvarint(b, 0);
        return;
    }
    st_write_uvarint(b, (uint32_t)s.len + 1);
    st_buf_append(b, s.ptr, (size_t)s.len);
}

void st_write_array_len(st_buf *b, int32_t n)
{
    st_write_i32(b, n < 0 ? -1 : n);
}

void st_write_compact_array_len(st_buf *b, int32_t n)
{
    st_write_uvarint(b, n < 0 ? 0 : (uint32_t)n + 1);
}

static size_t uvarint64_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t st_uvarint_size(uint32_t v)
{
    return uvarint64_size(v);
}

size_t st_varint_size(int32_t v)
{
    return uvarint64_size(((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

size_t st_varlong_size(int64_t v)
{
    return uvarint64_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
