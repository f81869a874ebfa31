/* codec.c — interprets the generated message descriptions (see codec.h).
 *
 * One walker per direction: decode_struct reads fields in schema order from a
 * bounds-checked st_reader; encode_struct writes them, or only counts their
 * size when the encoder has no output buffer (so size and encode can never
 * disagree). Tagged fields (flexible versions) are written when they differ
 * from their default, in ascending tag order, and unknown tags are skipped on
 * read. This file must never trust a length from the wire for an allocation
 * without checking it against the bytes that remain. */
#include "common/protocol/codec.h"

#include <string.h>

/* ---- field storage ---------------------------------------------------- */

static size_t type_width(kp_type t)
{
    switch (t) {
    case KP_BOOL: case KP_INT8: return 1;
    case KP_INT16: case KP_UINT16: return 2;
    case KP_INT32: case KP_UINT32: return 4;
    case KP_INT64: case KP_FLOAT64: return 8;
    case KP_UUID: return 16;
    case KP_STRING: case KP_BYTES: case KP_RECORDS: return sizeof(st_slice);
    case KP_STRUCT: return 0;
    }
    return 0;
}

static size_t elem_size(const kp_field *f)
{
    if (f->type == KP_STRUCT)
        return f->sub->size;
    if (f->type == KP_BOOL)
        return sizeof(bool);
    return type_width(f->type);
}

static int64_t load_int(kp_type t, const void *p)
{
    switch (t) {
    case KP_BOOL: return *(const bool *)p;
    case KP_INT8: return *(const int8_t *)p;
    case KP_INT16: return *(const int16_t *)p;
    case KP_UINT16: return *(const uint16_t *)p;
    case KP_INT32: return *(const int32_t *)p;
    case KP_UINT32: return *(const uint32_t *)p;
    case KP_INT64: return *(const int64_t *)p;
    default: return 0;
    }
}

static void store_int(kp_type t, void *p, int64_t v)
{
    switch (t) {
    case KP_BOOL: *(bool *)p = v != 0; break;
    case KP_INT8: *(int8_t *)p = (int8_t)v; break;
    case KP_INT16: *(int16_t *)p = (int16_t)v; break;
    case KP_UINT16: *(uint16_t *)p = (uint16_t)v; break;
    case KP_INT32: *(int32_t *)p = (int32_t)v; break;
    case KP_UINT32: *(uint32_t *)p = (uint32_t)v; break;
    case KP_INT64: *(int64_t *)p = v; break;
    default: break;
    }
}

static void *member(const void *obj, uint32_t offset)
{
    return (uint8_t *)(uintptr_t)obj + offset;
}

static int32_t array_count(const kp_field *f, const void *obj)
{
    return *(const int32_t *)member(obj, f->count_offset);
}

static void *array_items(const kp_field *f, const void *obj)
{
    return *(void **)member(obj, f->offset);
}

/* ---- defaults --------------------------------------------------------- */

static void init_field(const kp_field *f, void *obj)
{
    void *p = member(obj, f->offset);
    if (f->is_array) {
        *(void **)p = NULL;
        *(int32_t *)member(obj, f->count_offset) = f->default_null ? -1 : 0;
    } else if (f->is_pointer) {
        *(void **)p = NULL;
    } else if (f->type == KP_STRUCT) {
        kp_init(f->sub, p);
    } else if (f->type == KP_STRING) {
        *(st_slice *)p = st_slice_cstr(f->default_str);
    } else if (f->type == KP_BYTES || f->type == KP_RECORDS) {
        *(st_slice *)p = f->default_null ? ST_SLICE_NULL : ST_SLICE_EMPTY;
    } else if (f->type == KP_FLOAT64) {
        *(double *)p = f->default_float;
    } else if (f->type == KP_UUID) {
        memset(p, 0, sizeof(st_uuid));
    } else {
        store_int(f->type, p, f->default_int);
    }
}

void kp_init(const kp_struct *s, void *obj)
{
    memset(obj, 0, s->size);
    for (uint32_t i = 0; i < s->field_count; i++)
        init_field(&s->fields[i], obj);
}

static bool struct_is_default(const kp_struct *s, const void *obj);

static bool value_is_default(const kp_field *f, const void *p)
{
    switch (f->type) {
    case KP_STRUCT:
        return struct_is_default(f->sub, p);
    case KP_STRING:
        return st_slice_eq(*(const st_slice *)p, st_slice_cstr(f->default_str));
    case KP_BYTES:
    case KP_RECORDS:
        return f->default_null ? ((const st_slice *)p)->len < 0
                               : ((const st_slice *)p)->len == 0;
    case KP_FLOAT64:
        return *(const double *)p == f->default_float;
    case KP_UUID: {
        static const st_uuid zero;
        return memcmp(p, &zero, sizeof(zero)) == 0;
    }
    default:
        return load_int(f->type, p) == f->default_int;
    }
}

static bool field_is_default(const kp_field *f, const void *obj)
{
    if (f->is_array) {
        int32_t n = array_count(f, obj);
        return f->default_null ? n < 0 : n == 0;
    }
    if (f->is_pointer)
        return *(void **)member(obj, f->offset) == NULL;
    return value_is_default(f, member(obj, f->offset));
}

static bool struct_is_default(const kp_struct *s, const void *obj)
{
    for (uint32_t i = 0; i < s->field_count; i++)
        if (!field_is_default(&s->fields[i], obj))
            return false;
    return true;
}

/* ---- decoding --------------------------------------------------------- */

typedef struct decoder {
    int16_t version;
    bool flexible;
    st_arena *arena;
    const char *failed_field;
} decoder;

static size_t struct_min_size(const kp_struct *s, int16_t version, bool flexible);

/* The fewest bytes one element of field f can occupy on the wire. */
static size_t value_min_size(const kp_field *f, int16_t version, bool flexible)
{
    bool compact = kp_in(f->flexible, version);
    switch (f->type) {
    case KP_STRUCT:
        return struct_min_size(f->sub, version, flexible);
    case KP_STRING:
        return compact ? 1 : 2;
    case KP_BYTES:
    case KP_RECORDS:
        return compact ? 1 : 4;
    default:
        return type_width(f->type);
    }
}

static size_t struct_min_size(const kp_struct *s, int16_t version, bool flexible)
{
    size_t n = flexible ? 1 : 0;
    for (uint32_t i = 0; i < s->field_count; i++) {
        const kp_field *f = &s->fields[i];
        if (!kp_in(f->versions, version) || kp_in(f->tagged, version))
            continue;
        if (f->is_array)
            n += kp_in(f->flexible, version) ? 1 : 4;
        else if (f->is_pointer && kp_in(f->nullable, version))
            n += 1;
        else
            n += value_min_size(f, version, flexible);
    }
    return n;
}

static void decode_struct(decoder *d, const kp_struct *s, void *obj, st_reader *r);

static st_slice decode_slice(decoder *d, const kp_field *f, st_reader *r)
{
    bool compact = kp_in(f->flexible, d->version);
    st_slice v;
    if (f->type == KP_STRING)
        v = compact ? st_read_compact_string(r) : st_read_string(r);
    else
        v = compact ? st_read_compact_bytes(r) : st_read_bytes(r);
    if (v.len < 0 && !r->err && !kp_in(f->nullable, d->version))
        st_reader_fail(r, ST_ERR_MALFORMED);
    return v;
}

static void decode_value(decoder *d, const kp_field *f, void *p, st_reader *r)
{
    switch (f->type) {
    case KP_STRUCT:
        decode_struct(d, f->sub, p, r);
        break;
    case KP_STRING:
    case KP_BYTES:
    case KP_RECORDS:
        *(st_slice *)p = decode_slice(d, f, r);
        break;
    case KP_FLOAT64:
        *(double *)p = st_read_f64(r);
        break;
    case KP_UUID:
        *(st_uuid *)p = st_read_uuid(r);
        break;
    case KP_BOOL: *(bool *)p = st_read_bool(r); break;
    case KP_INT8: *(int8_t *)p = st_read_i8(r); break;
    case KP_INT16: *(int16_t *)p = st_read_i16(r); break;
    case KP_UINT16: *(uint16_t *)p = st_read_u16(r); break;
    case KP_INT32: *(int32_t *)p = st_read_i32(r); break;
    case KP_UINT32: *(uint32_t *)p = st_read_u32(r); break;
    case KP_INT64: *(int64_t *)p = st_read_i64(r); break;
    }
}

static void *decode_alloc(decoder *d, st_reader *r, size_t n, size_t size)
{
    void *p = st_arena_calloc(d->arena, n, size);
    if (!p)
        st_reader_fail(r, ST_ERR_NOMEM);
    return p;
}

static void decode_array(decoder *d, const kp_field *f, void *obj, st_reader *r)
{
    bool compact = kp_in(f->flexible, d->version);
    int32_t n = compact ? st_read_compact_array_len(r) : st_read_array_len(r);
    if (r->err)
        return;
    if (n < 0 && !kp_in(f->nullable, d->version)) {
        st_reader_fail(r, ST_ERR_MALFORMED);
        return;
    }
    size_t min = value_min_size(f, d->version, d->flexible);
    if (n > 0 && min > 0 && (size_t)n > st_reader_left(r) / min) {
        st_reader_fail(r, ST_ERR_TRUNCATED);
        return;
    }
    uint8_t *items = NULL;
    if (n > 0 && !(items = decode_alloc(d, r, (size_t)n, elem_size(f))))
        return;
    for (int32_t i = 0; i < n && !r->err; i++)
        decode_value(d, f, items + (size_t)i * elem_size(f), r);
    *(void **)member(obj, f->offset) = items;
    *(int32_t *)member(obj, f->count_offset) = n;
}

static void decode_pointer(decoder *d, const kp_field *f, void *obj, st_reader *r)
{
    if (kp_in(f->nullable, d->version) && st_read_i8(r) < 0)
        return; /* null: left as NULL by init */
    void *sub = r->err ? NULL : decode_alloc(d, r, 1, f->sub->size);
    if (!sub)
        return;
    decode_struct(d, f->sub, sub, r);
    *(void **)member(obj, f->offset) = sub;
}

static void decode_field(decoder *d, const kp_field *f, void *obj, st_reader *r)
{
    if (f->is_array)
        decode_array(d, f, obj, r);
    else if (f->is_pointer)
        decode_pointer(d, f, obj, r);
    else
        decode_value(d, f, member(obj, f->offset), r);
    if (r->err && !d->failed_field)
        d->failed_field = f->name;
}

static const kp_field *find_tagged(const kp_struct *s, uint32_t tag, int16_t version)
{
    for (uint32_t i = 0; i < s->field_count; i++) {
        const kp_field *f = &s->fields[i];
        if (f->tag == (int32_t)tag && kp_in(f->tagged, version) && kp_in(f->versions, version))
            return f;
    }
    return NULL;
}

static void decode_tagged(decoder *d, const kp_struct *s, void *obj, st_reader *r)
{
    uint32_t count = st_read_uvarint(r);
    for (uint32_t i = 0; i < count && !r->err; i++) {
        uint32_t tag = st_read_uvarint(r);
        uint32_t size = st_read_uvarint(r);
        st_slice payload = st_read_raw(r, size);
        const kp_field *f = r->err ? NULL : find_tagged(s, tag, d->version);
        if (!f)
            continue; /* unknown tags are skipped */
        st_reader sub;
        st_reader_init(&sub, payload.ptr, (size_t)payload.len);
        decode_field(d, f, obj, &sub);
        if (sub.err)
            st_reader_fail(r, sub.err);
    }
}

static void decode_struct(decoder *d, const kp_struct *s, void *obj, st_reader *r)
{
    kp_init(s, obj);
    for (uint32_t i = 0; i < s->field_count && !r->err; i++) {
        const kp_field *f = &s->fields[i];
        if (kp_in(f->versions, d->version) && !kp_in(f->tagged, d->version))
            decode_field(d, f, obj, r);
    }
    if (d->flexible && !r->err)
        decode_tagged(d, s, obj, r);
}

bool kp_is_flexible(const kp_message *m, int16_t version)
{
    return kp_in(m->flexible, version);
}

st_err kp_decode(const kp_message *m, void *obj, int16_t version, st_reader *r,
                 st_arena *arena, const char **failed_field)
{
    decoder d = {version, kp_is_flexible(m, version), arena, NULL};
    kp_init(m->root, obj);
    if (!kp_in(m->valid, version))
        st_reader_fail(r, ST_ERR_UNSUPPORTED);
    else
        decode_struct(&d, m->root, obj, r);
    if (failed_field)
        *failed_field = d.failed_field;
    return r->err;
}

/* ---- encoding and sizing ---------------------------------------------- */

/* With out == NULL the encoder only adds up sizes. */
typedef struct encoder {
    st_buf *out;
    size_t size;
    int16_t version;
    bool flexible;
    const kp_records_writer *records;
} encoder;

static void put_int(encoder *e, kp_type t, int64_t v)
{
    if (!e->out) {
        e->size += type_width(t);
        return;
    }
    switch (t) {
    case KP_BOOL: st_write_bool(e->out, v != 0); break;
    case KP_INT8: st_write_i8(e->out, (int8_t)v); break;
    case KP_INT16: st_write_i16(e->out, (int16_t)v); break;
    case KP_UINT16: st_write_u16(e->out, (uint16_t)v); break;
    case KP_INT32: st_write_i32(e->out, (int32_t)v); break;
    case KP_UINT32: st_write_u32(e->out, (uint32_t)v); break;
    default: st_write_i64(e->out, v); break;
    }
}

static void put_uvarint(encoder *e, uint32_t v)
{
    if (e->out)
        st_write_uvarint(e->out, v);
    else
        e->size += st_uvarint_size(v);
}

static void put_array_len(encoder *e, int32_t n, bool compact)
{
    if (compact)
        put_uvarint(e, n < 0 ? 0 : (uint32_t)n + 1);
    else
        put_int(e, KP_INT32, n < 0 ? -1 : n);
}

static void put_slice(encoder *e, const kp_field *f, st_slice v)
{
    bool compact = kp_in(f->flexible, e->version);
    if (v.len < 0 && !kp_in(f->nullable, e->version))
        v = ST_SLICE_EMPTY;
    if (f->type == KP_STRING && !compact) {
        if (v.len > INT16_MAX && e->out)
            e->out->err = ST_ERR_TOO_LARGE;
        put_int(e, KP_INT16, v.len < 0 ? -1 : v.len);
    } else if (compact) {
        put_uvarint(e, v.len < 0 ? 0 : (uint32_t)v.len + 1);
    } else {
        put_int(e, KP_INT32, v.len < 0 ? -1 : v.len);
    }
    if (v.len <= 0)
        return;
    if (!e->out)
        e->size += (size_t)v.len;
    else if (f->type == KP_RECORDS && e->records)
        e->records->write(e->records->ctx, v, e->out);
    else
        st_buf_append(e->out, v.ptr, (size_t)v.len);
}

static void encode_struct(encoder *e, const kp_struct *s, const void *obj);

static void encode_value(encoder *e, const kp_field *f, const void *p)
{
    switch (f->type) {
    case KP_STRUCT:
        encode_struct(e, f->sub, p);
        break;
    case KP_STRING:
    case KP_BYTES:
    case KP_RECORDS:
        put_slice(e, f, *(const st_slice *)p);
        break;
    case KP_FLOAT64: {
        uint64_t u;
        memcpy(&u, p, sizeof(u));
        put_int(e, KP_INT64, (int64_t)u);
        break;
    }
    case KP_UUID:
        if (e->out)
            st_write_uuid(e->out, *(const st_uuid *)p);
        else
            e->size += 16;
        break;
    default:
        put_int(e, f->type, load_int(f->type, p));
        break;
    }
}

static void encode_field(encoder *e, const kp_field *f, const void *obj)
{
    if (f->is_array) {
        int32_t n = array_count(f, obj);
        if (n < 0 && !kp_in(f->nullable, e->version))
            n = 0;
        put_array_len(e, n, kp_in(f->flexible, e->version));
        const uint8_t *items = array_items(f, obj);
        for (int32_t i = 0; i < n; i++)
            encode_value(e, f, items + (size_t)i * elem_size(f));
    } else if (f->is_pointer) {
        const void *sub = *(void **)member(obj, f->offset);
        if (kp_in(f->nullable, e->version))
            put_int(e, KP_INT8, sub ? 1 : -1);
        else if (!sub && e->out)
            e->out->err = ST_ERR_MALFORMED; /* null where this version has no null */
        if (sub)
            encode_struct(e, f->sub, sub);
    } else {
        encode_value(e, f, member(obj, f->offset));
    }
}

static size_t field_size(const encoder *e, const kp_field *f, const void *obj)
{
    encoder counter = {NULL, 0, e->version, e->flexible, NULL};
    encode_field(&counter, f, obj);
    return counter.size;
}

static bool tagged_to_write(const encoder *e, const kp_field *f, const void *obj)
{
    return f->tag >= 0 && kp_in(f->tagged, e->version) && kp_in(f->versions, e->version) &&
           !field_is_default(f, obj);
}

/* The tagged field with the smallest tag above `after` that must be written. */
static const kp_field *next_tagged(const encoder *e, const kp_struct *s, const void *obj,
                                   int64_t after)
{
    const kp_field *best = NULL;
    for (uint32_t i = 0; i < s->field_count; i++) {
        const kp_field *f = &s->fields[i];
        if (f->tag > after && (!best || f->tag < best->tag) && tagged_to_write(e, f, obj))
            best = f;
    }
    return best;
}

static void encode_tagged(encoder *e, const kp_struct *s, const void *obj)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < s->field_count; i++)
        count += tagged_to_write(e, &s->fields[i], obj);
    put_uvarint(e, count);
    for (const kp_field *f = next_tagged(e, s, obj, -1); f; f = next_tagged(e, s, obj, f->tag)) {
        put_uvarint(e, (uint32_t)f->tag);
        put_uvarint(e, (uint32_t)field_size(e, f, obj));
        encode_field(e, f, obj);
    }
}

static void encode_struct(encoder *e, const kp_struct *s, const void *obj)
{
    for (uint32_t i = 0; i < s->field_count; i++) {
        const kp_field *f = &s->fields[i];
        if (kp_in(f->versions, e->version) && !kp_in(f->tagged, e->version))
            encode_field(e, f, obj);
    }
    if (e->flexible)
        encode_tagged(e, s, obj);
}

st_err kp_encode_with(const kp_message *m, const void *obj, int16_t version, st_buf *out,
                      const kp_records_writer *records)
{
    if (!kp_in(m->valid, version)) {
        out->err = out->err ? out->err : ST_ERR_UNSUPPORTED;
        return out->err;
    }
    encoder e = {out, 0, version, kp_is_flexible(m, version), records};
    encode_struct(&e, m->root, obj);
    return out->err;
}

st_err kp_encode(const kp_message *m, const void *obj, int16_t version, st_buf *out)
{
    return kp_encode_with(m, obj, version, out, NULL);
}

size_t kp_size(const kp_message *m, const void *obj, int16_t version)
{
    encoder e = {NULL, 0, version, kp_is_flexible(m, version), NULL};
    encode_struct(&e, m->root, obj);
    return e.size;
}

const kp_field *kp_find_field(const kp_struct *s, const char *name)
{
    for (uint32_t i = 0; i < s->field_count; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return &s->fields[i];
    return NULL;
}

void kp_set_int(const kp_field *f, void *obj, int64_t value)
{
    store_int(f->type, member(obj, f->offset), value);
}

/* ---- the API table ---------------------------------------------------- */

const kp_api *kp_api_lookup(int16_t api_key)
{
    size_t lo = 0, hi = kp_api_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (kp_apis[mid].api_key == api_key)
            return &kp_apis[mid];
        if (kp_apis[mid].api_key < api_key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

enum { API_CONTROLLED_SHUTDOWN = 7, API_API_VERSIONS = 18 };

int16_t kp_request_header_version(int16_t api_key, int16_t api_version)
{
    const kp_api *api = kp_api_lookup(api_key);
    if (api_key == API_CONTROLLED_SHUTDOWN && api_version == 0)
        return 0;
    return api && kp_in(api->flexible, api_version) ? 2 : 1;
}

int16_t kp_response_header_version(int16_t api_key, int16_t api_version)
{
    const kp_api *api = kp_api_lookup(api_key);
    if (api_key == API_API_VERSIONS)
        return 0;
    return api && kp_in(api->flexible, api_version) ? 1 : 0;
}
