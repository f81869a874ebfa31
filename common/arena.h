/* arena.h — a bump allocator for short-lived decoded values.
 *
 * A decoded protocol message lives in one arena: every array it holds is
 * allocated here and freed together by st_arena_free (or reused after
 * st_arena_reset). Nothing allocated from an arena is freed individually.
 * Allocation failure returns NULL; it never aborts. */
#ifndef STRAIT_ARENA_H
#define STRAIT_ARENA_H

#include <stddef.h>

typedef struct st_arena_chunk st_arena_chunk;

typedef struct st_arena {
    st_arena_chunk *head;
    size_t total;   /* bytes handed out so far, for limits and tests */
} st_arena;

void st_arena_init(st_arena *a);
void st_arena_free(st_arena *a);
void st_arena_reset(st_arena *a);
/* Zeroed, 16-byte aligned memory; NULL on overflow or allocation failure. */
void *st_arena_alloc(st_arena *a, size_t size);
/* n * size with overflow checking. */
void *st_arena_calloc(st_arena *a, size_t n, size_t size);

#endif
