/* pending_queue.h — the source offsets of one partition produced to the
 * target but not yet acknowledged, in order.
 *
 * Owns a growable ring of entries. Each entry is one produced record (its
 * source offset) plus "covers_to": once that record is acknowledged, every
 * source offset below covers_to is mirrored or deliberately skipped (records
 * skipped after it, transaction markers), so the partition's position may
 * move there. The queue's memory is owned by the queue. */
#ifndef STRAIT_MIRROR_PENDING_QUEUE_H
#define STRAIT_MIRROR_PENDING_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pending_entry {
    int64_t src;
    int64_t covers_to;
} pending_entry;

typedef struct pending_queue {
    pending_entry *items;
    size_t cap;     /* a power of two, or 0 */
    size_t head;    /* index of the oldest entry */
    size_t count;
} pending_queue;

void pending_queue_free(pending_queue *q);
/* Appends a produced record; false when out of memory. */
bool pending_queue_push(pending_queue *q, int64_t src);
/* The oldest / newest entry, NULL when empty. */
pending_entry *pending_queue_head(pending_queue *q);
pending_entry *pending_queue_tail(pending_queue *q);
void pending_queue_pop(pending_queue *q);
void pending_queue_clear(pending_queue *q);

#endif
