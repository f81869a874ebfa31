/* client_consumer_list.c — kc_partition_list, the (topic, partition,
 * offset) lists of the consumer's public calls (see kafka_client.h).
 *
 * Owns its items' topic and metadata strings. Allocation failures are
 * returned, never fatal. */
#include <stdlib.h>
#include <string.h>

#include "common/kafka_client.h"

kc_partition_list *kc_partition_list_new(size_t initial_cap)
{
    kc_partition_list *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    if (initial_cap && !(l->items = calloc(initial_cap, sizeof(*l->items)))) {
        free(l);
        return NULL;
    }
    l->cap = initial_cap;
    return l;
}

void kc_partition_list_free(kc_partition_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].topic);
        free(l->items[i].metadata);
    }
    free(l->items);
    free(l);
}

kc_partition_offset *kc_partition_list_add(kc_partition_list *l, const char *topic,
                                           int32_t partition)
{
    if (!l || !topic)
        return NULL;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        kc_partition_offset *grown = realloc(l->items, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        l->items = grown;
        l->cap = cap;
    }
    char *copy = strdup(topic);
    if (!copy)
        return NULL;
    kc_partition_offset *p = &l->items[l->count++];
    *p = (kc_partition_offset){copy, partition, KC_OFFSET_INVALID, -1, NULL, KC_OK};
    return p;
}

kc_partition_list *kc_partition_list_copy(const kc_partition_list *l)
{
    kc_partition_list *copy = kc_partition_list_new(l ? l->count : 0);
    if (!copy || !l)
        return copy;
    for (size_t i = 0; i < l->count; i++) {
        const kc_partition_offset *src = &l->items[i];
        kc_partition_offset *dst = kc_partition_list_add(copy, src->topic, src->partition);
        if (!dst || kc_partition_offset_set_metadata(dst, src->metadata) != KC_OK) {
            kc_partition_list_free(copy);
            return NULL;
        }
        dst->offset = src->offset;
        dst->leader_epoch = src->leader_epoch;
        dst->err = src->err;
    }
    return copy;
}

kc_partition_offset *kc_partition_list_find(const kc_partition_list *l, const char *topic,
                                            int32_t partition)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (l->items[i].partition == partition && strcmp(l->items[i].topic, topic) == 0)
            return &l->items[i];
    return NULL;
}

kc_err kc_partition_offset_set_metadata(kc_partition_offset *p, const char *metadata)
{
    char *copy = NULL;
    if (metadata && !(copy = strdup(metadata)))
        return KC_ERR_NOMEM;
    free(p->metadata);
    p->metadata = copy;
    return KC_OK;
}

static int item_cmp(const void *a, const void *b)
{
    const kc_partition_offset *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

void kc_partition_list_sort(kc_partition_list *l)
{
    if (l && l->count > 1)
        qsort(l->items, l->count, sizeof(*l->items), item_cmp);
}
