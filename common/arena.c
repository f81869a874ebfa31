/* arena.c — bump allocator (see arena.h). */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_MIN 4096
#define ARENA_ALIGN 16

struct st_arena_chunk {
    st_arena_chunk *next;
    size_t used;
    size_t cap;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void st_arena_init(st_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void st_arena_free(st_arena *a)
{
    st_arena_chunk *c = a->head;
    while (c) {
        st_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    st_arena_init(a);
}

void st_arena_reset(st_arena *a)
{
    /* Keep the newest chunk (usually the biggest), free the rest. */
    if (!a->head)
        return;
    st_arena_chunk *keep = a->head;
    st_arena_chunk *c = keep->next;
    while (c) {
        st_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    keep->next = NULL;
    keep->used = 0;
    a->total = 0;
}

void *st_arena_alloc(st_arena *a, size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size == 0)
        size = ARENA_ALIGN;
    st_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = c ? c->cap * 2 : ARENA_CHUNK_MIN;
        if (cap < size)
            cap = size;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    a->total += size;
    memset(p, 0, size);
    return p;
}

void *st_arena_calloc(st_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / 2 / size)
        return NULL;
    return st_arena_alloc(a, n * size);
}
