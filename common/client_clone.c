/* client_clone.c — deep copies of generated protocol structs (see
 * client_clone.h). The storage rules mirror codec.c: scalars in place,
 * strings/bytes/records as st_slice, arrays as (items pointer, int32 count),
 * nullable structs as pointers, other structs embedded. */
#include "common/client_clone.h"

#include <string.h>

static void *at(void *obj, uint32_t offset)
{
    return (uint8_t *)obj + offset;
}

static size_t elem_size(const kp_field *f)
{
    switch (f->type) {
    case KP_BOOL: return sizeof(bool);
    case KP_INT8: return 1;
    case KP_INT16: case KP_UINT16: return 2;
    case KP_INT32: case KP_UINT32: return 4;
    case KP_INT64: case KP_FLOAT64: return 8;
    case KP_UUID: return sizeof(st_uuid);
    case KP_STRING: case KP_BYTES: case KP_RECORDS: return sizeof(st_slice);
    case KP_STRUCT: return f->sub->size;
    }
    return 0;
}

static bool is_slice(kp_type t)
{
    return t == KP_STRING || t == KP_BYTES || t == KP_RECORDS;
}

static st_err clone_slice(st_slice *s, st_arena *arena)
{
    if (s->len <= 0 || !s->ptr) {
        if (s->len == 0)
            *s = ST_SLICE_EMPTY;
        return ST_OK;
    }
    uint8_t *copy = st_arena_alloc(arena, (size_t)s->len);
    if (!copy)
        return ST_ERR_NOMEM;
    memcpy(copy, s->ptr, (size_t)s->len);
    s->ptr = copy;
    return ST_OK;
}

/* Fixes up the pointers inside one value that was already memcpy'd. */
static st_err clone_value(const kp_field *f, void *dst, st_arena *arena)
{
    if (is_slice(f->type))
        return clone_slice(dst, arena);
    if (f->type == KP_STRUCT)
        return kc_clone_struct(f->sub, dst, dst, arena);
    return ST_OK;
}

static st_err clone_array(const kp_field *f, void *dst, st_arena *arena)
{
    int32_t count = *(int32_t *)at(dst, f->count_offset);
    void **items = at(dst, f->offset);
    if (count <= 0 || !*items) {
        *items = NULL;
        return ST_OK;
    }
    size_t size = elem_size(f);
    void *copy = st_arena_calloc(arena, (size_t)count, size);
    if (!copy)
        return ST_ERR_NOMEM;
    memcpy(copy, *items, (size_t)count * size);
    *items = copy;
    if (!is_slice(f->type) && f->type != KP_STRUCT)
        return ST_OK;
    for (int32_t i = 0; i < count; i++) {
        st_err err = clone_value(f, (uint8_t *)copy + (size_t)i * size, arena);
        if (err)
            return err;
    }
    return ST_OK;
}

static st_err clone_pointer(const kp_field *f, void *dst, st_arena *arena)
{
    void **p = at(dst, f->offset);
    if (!*p)
        return ST_OK;
    void *copy = st_arena_alloc(arena, f->sub->size);
    if (!copy)
        return ST_ERR_NOMEM;
    st_err err = kc_clone_struct(f->sub, copy, *p, arena);
    *p = copy;
    return err;
}

st_err kc_clone_struct(const kp_struct *s, void *dst, const void *src, st_arena *arena)
{
    if (dst != src)
        memcpy(dst, src, s->size);
    for (uint32_t i = 0; i < s->field_count; i++) {
        const kp_field *f = &s->fields[i];
        st_err err;
        if (f->is_array)
            err = clone_array(f, dst, arena);
        else if (f->is_pointer)
            err = clone_pointer(f, dst, arena);
        else
            err = clone_value(f, at(dst, f->offset), arena);
        if (err)
            return err;
    }
    return ST_OK;
}
