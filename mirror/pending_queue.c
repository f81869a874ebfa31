/* pending_queue.c — a ring of produced-but-unacknowledged source offsets
 * (see pending_queue.h). */
#include "mirror/pending_queue.h"

#include <stdlib.h>

void pending_queue_free(pending_queue *q)
{
    free(q->items);
    *q = (pending_queue){0};
}

static bool grow(pending_queue *q)
{
    size_t cap = q->cap ? q->cap * 2 : 256;
    pending_entry *items = malloc(cap * sizeof(*items));
    if (!items)
        return false;
    for (size_t i = 0; i < q->count; i++)
        items[i] = q->items[(q->head + i) & (q->cap - 1)];
    free(q->items);
    q->items = items;
    q->cap = cap;
    q->head = 0;
    return true;
}

bool pending_queue_push(pending_queue *q, int64_t src)
{
    if (q->count == q->cap && !grow(q))
        return false;
    q->items[(q->head + q->count) & (q->cap - 1)] = (pending_entry){src, src + 1};
    q->count++;
    return true;
}

pending_entry *pending_queue_head(pending_queue *q)
{
    return q->count ? &q->items[q->head] : NULL;
}

pending_entry *pending_queue_tail(pending_queue *q)
{
    return q->count ? &q->items[(q->head + q->count - 1) & (q->cap - 1)] : NULL;
}

void pending_queue_pop(pending_queue *q)
{
    if (!q->count)
        return;
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
}

void pending_queue_clear(pending_queue *q)
{
    q->head = 0;
    q->count = 0;
}
