/* client_assignor.c — the assignor table and the helpers the assignors
 * share: topic sorting and lookup, Java's member order, result sorting (see
 * client_assignor.h). Pure functions; no allocation outside the arena. */
#include "common/client_assignor.h"

#include <stdlib.h>
#include <string.h>

static const kc_assignor assignors[] = {
    {"range", false, kc_assign_range},
    {"roundrobin", false, kc_assign_roundrobin},
    {"cooperative-sticky", true, kc_assign_cooperative_sticky},
};

const kc_assignor *kc_assignor_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(assignors) / sizeof(assignors[0]); i++)
        if (strcmp(assignors[i].name, name) == 0)
            return &assignors[i];
    return NULL;
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp(((const kc_asg_topic *)a)->name, ((const kc_asg_topic *)b)->name);
}

kc_asg_topic *kc_asg_sorted_topics(const kc_asg_topic *topics, size_t topic_count,
                                   st_arena *arena, size_t *n)
{
    *n = 0;
    kc_asg_topic *sorted = st_arena_calloc(arena, topic_count ? topic_count : 1, sizeof(*sorted));
    if (!sorted)
        return NULL;
    for (size_t i = 0; i < topic_count; i++)
        if (topics[i].name && topics[i].partition_count > 0)
            sorted[(*n)++] = topics[i];
    qsort(sorted, *n, sizeof(*sorted), topic_cmp);
    size_t unique = 0;
    for (size_t i = 0; i < *n; i++)
        if (unique == 0 || strcmp(sorted[unique - 1].name, sorted[i].name) != 0)
            sorted[unique++] = sorted[i];
    *n = unique;
    return sorted;
}

long kc_asg_topic_index(const kc_asg_topic *sorted, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sorted[mid].name, name);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Java's MemberInfo.compareTo: static members (by instance id) before
 * dynamic ones (by member id). */
static int member_cmp(const kc_asg_member *a, const kc_asg_member *b)
{
    if (a->instance_id && b->instance_id) {
        int c = strcmp(a->instance_id, b->instance_id);
        if (c)
            return c;
    } else if (a->instance_id) {
        return -1;
    } else if (b->instance_id) {
        return 1;
    }
    return strcmp(a->member_id, b->member_id);
}

size_t *kc_asg_member_order(const kc_asg_member *members, size_t member_count, st_arena *arena)
{
    size_t *order = st_arena_calloc(arena, member_count ? member_count : 1, sizeof(*order));
    if (!order)
        return NULL;
    for (size_t i = 0; i < member_count; i++)
        order[i] = i;
    /* insertion sort: member counts are small and the order must be stable */
    for (size_t i = 1; i < member_count; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && member_cmp(&members[order[j - 1]], &members[v]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    return order;
}

bool kc_asg_subscribes(const kc_asg_member *m, const char *topic)
{
    for (size_t i = 0; i < m->topic_count; i++)
        if (strcmp(m->topics[i], topic) == 0)
            return true;
    return false;
}

int kc_asg_tp_cmp(const void *a, const void *b)
{
    const kc_asg_tp *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

void kc_asg_sort_results(kc_asg_result *out, size_t member_count)
{
    for (size_t i = 0; i < member_count; i++)
        if (out[i].count > 1)
            qsort(out[i].parts, out[i].count, sizeof(*out[i].parts), kc_asg_tp_cmp);
}
