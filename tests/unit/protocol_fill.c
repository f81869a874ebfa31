/* protocol_fill.c — random fill and deep comparison of generated messages
 * (see protocol_fill.h). Test-only. */
#include "tests/unit/protocol_fill.h"

#include <string.h>

enum { MAX_DEPTH = 6, MAX_ITEMS = 3, MAX_LEN = 12 };

typedef struct filler {
    fill_rng *rng;
    st_arena *arena;
    int16_t version;
} filler;

uint64_t fill_next(fill_rng *rng)
{
    /* xorshift64* */
    uint64_t x = rng->state ? rng->state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static bool chance(filler *f, unsigned one_in)
{
    return fill_next(f->rng) % one_in == 0;
}

static void fill_struct(filler *f, const kp_struct *s, void *obj, int depth);

static st_slice random_slice(filler *f)
{
    size_t n = fill_next(f->rng) % MAX_LEN;
    char *p = st_arena_alloc(f->arena, n + 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + fill_next(f->rng) % 26);
    return st_slice_from(p, n);
}

static void fill_value(filler *f, const kp_field *fd, void *p, int depth)
{
    uint64_t r = fill_next(f->rng);
    switch (fd->type) {
    case KP_STRUCT: fill_struct(f, fd->sub, p, depth + 1); break;
    case KP_STRING:
    case KP_BYTES:
    case KP_RECORDS:
        *(st_slice *)p = kp_in(fd->nullable, f->version) && chance(f, 4) ? ST_SLICE_NULL
                                                                        : random_slice(f);
        break;
    case KP_FLOAT64: *(double *)p = (double)(int32_t)r / 8.0; break;
    case KP_UUID:
        for (int i = 0; i < 16; i++)
            ((st_uuid *)p)->b[i] = (uint8_t)fill_next(f->rng);
        break;
    case KP_BOOL: *(bool *)p = r & 1; break;
    case KP_INT8: *(int8_t *)p = (int8_t)r; break;
    case KP_INT16: *(int16_t *)p = (int16_t)r; break;
    case KP_UINT16: *(uint16_t *)p = (uint16_t)r; break;
    case KP_INT32: *(int32_t *)p = (int32_t)r; break;
    case KP_UINT32: *(uint32_t *)p = (uint32_t)r; break;
    case KP_INT64: *(int64_t *)p = (int64_t)r; break;
    }
}

size_t protocol_item_size(const kp_field *fd)
{
    switch (fd->type) {
    case KP_STRUCT: return fd->sub->size;
    case KP_BOOL: return sizeof(bool);
    case KP_INT8: return 1;
    case KP_INT16: case KP_UINT16: return 2;
    case KP_INT32: case KP_UINT32: return 4;
    case KP_INT64: case KP_FLOAT64: return 8;
    case KP_UUID: return sizeof(st_uuid);
    default: return sizeof(st_slice);
    }
}

static void fill_array(filler *f, const kp_field *fd, void *obj, int depth)
{
    int32_t *count = (int32_t *)((uint8_t *)obj + fd->count_offset);
    void **items = (void **)((uint8_t *)obj + fd->offset);
    if (kp_in(fd->nullable, f->version) && chance(f, 5)) {
        *count = -1;
        *items = NULL;
        return;
    }
    int32_t n = depth >= MAX_DEPTH ? 0 : (int32_t)(fill_next(f->rng) % MAX_ITEMS);
    uint8_t *p = n ? st_arena_calloc(f->arena, (size_t)n, protocol_item_size(fd)) : NULL;
    for (int32_t i = 0; i < n; i++) {
        if (fd->type == KP_STRUCT)
            kp_init(fd->sub, p + (size_t)i * protocol_item_size(fd));
        fill_value(f, fd, p + (size_t)i * protocol_item_size(fd), depth);
    }
    *count = n;
    *items = p;
}

static void fill_struct(filler *f, const kp_struct *s, void *obj, int depth)
{
    for (uint32_t i = 0; i < s->field_count; i++) {
        const kp_field *fd = &s->fields[i];
        if (!kp_in(fd->versions, f->version))
            continue;
        void *p = (uint8_t *)obj + fd->offset;
        if (fd->is_array) {
            fill_array(f, fd, obj, depth);
        } else if (fd->is_pointer) {
            bool null_ok = kp_in(fd->nullable, f->version);
            void *sub = NULL;
            if (!(null_ok && (depth >= MAX_DEPTH || chance(f, 3)))) {
                sub = st_arena_alloc(f->arena, fd->sub->size);
                kp_init(fd->sub, sub);
                fill_struct(f, fd->sub, sub, depth + 1);
            }
            *(void **)p = sub;
        } else {
            fill_value(f, fd, p, depth);
        }
    }
}

void fill_message(const kp_message *m, void *obj, int16_t version, fill_rng *rng,
                  st_arena *arena)
{
    filler f = {rng, arena, version};
    kp_init(m->root, obj);
    fill_struct(&f, m->root, obj, 0);
}

static bool values_equal(const kp_field *fd, const void *a, const void *b, const char **where)
{
    switch (fd->type) {
    case KP_STRUCT: return messages_equal(fd->sub, a, b, where);
    case KP_STRING:
    case KP_BYTES:
    case KP_RECORDS: return st_slice_eq(*(const st_slice *)a, *(const st_slice *)b);
    case KP_BOOL: return *(const bool *)a == *(const bool *)b;
    default: return memcmp(a, b, protocol_item_size(fd)) == 0;
    }
}

static bool field_equal(const kp_field *fd, const void *a, const void *b, const char **where)
{
    const uint8_t *pa = (const uint8_t *)a + fd->offset;
    const uint8_t *pb = (const uint8_t *)b + fd->offset;
    if (fd->is_array) {
        int32_t na = *(const int32_t *)((const uint8_t *)a + fd->count_offset);
        int32_t nb = *(const int32_t *)((const uint8_t *)b + fd->count_offset);
        if (na != nb)
            return false;
        const uint8_t *ia = *(uint8_t *const *)pa, *ib = *(uint8_t *const *)pb;
        size_t size = protocol_item_size(fd);
        for (int32_t i = 0; i < na; i++)
            if (!values_equal(fd, ia + (size_t)i * size, ib + (size_t)i * size, where))
                return false;
        return true;
    }
    if (fd->is_pointer) {
        const void *sa = *(void *const *)pa, *sb = *(void *const *)pb;
        if (!sa || !sb)
            return sa == sb;
        return messages_equal(fd->sub, sa, sb, where);
    }
    return values_equal(fd, pa, pb, where);
}

bool messages_equal(const kp_struct *s, const void *a, const void *b, const char **where)
{
    for (uint32_t i = 0; i < s->field_count; i++) {
        if (!field_equal(&s->fields[i], a, b, where)) {
            if (!*where)
                *where = s->fields[i].name;
            return false;
        }
    }
    return true;
}
