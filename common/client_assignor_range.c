/* client_assignor_range.c — the "range" assignor, as Java's RangeAssignor
 * (and librdkafka's range) computes it.
 *
 * Per topic, the members subscribed to it, in member order, get
 * consecutive ranges of partitions: each gets partitions/members, and the
 * first partitions%members members one more. Eager protocol only. Pure. */
#include "common/client_assignor.h"

/* Capacity per member: the partitions of every topic it subscribes to. */
static st_err reserve(const kc_asg_member *members, size_t member_count,
                      const kc_asg_topic *sorted, size_t topic_count, kc_asg_result *out,
                      st_arena *arena)
{
    for (size_t i = 0; i < member_count; i++) {
        size_t cap = 0;
        for (size_t t = 0; t < topic_count; t++)
            if (kc_asg_subscribes(&members[i], sorted[t].name))
                cap += (size_t)sorted[t].partition_count;
        out[i].count = 0;
        out[i].parts = st_arena_calloc(arena, cap ? cap : 1, sizeof(kc_asg_tp));
        if (!out[i].parts)
            return ST_ERR_NOMEM;
    }
    return ST_OK;
}

static void assign_topic(const kc_asg_member *members, const size_t *order, size_t member_count,
                         const kc_asg_topic *topic, kc_asg_result *out, size_t *subscribed)
{
    size_t c = 0;
    for (size_t k = 0; k < member_count; k++)
        if (kc_asg_subscribes(&members[order[k]], topic->name))
            subscribed[c++] = order[k];
    if (c == 0)
        return;
    int32_t per = topic->partition_count / (int32_t)c;
    int32_t extra = topic->partition_count % (int32_t)c;
    for (size_t i = 0; i < c; i++) {
        int32_t start = per * (int32_t)i + ((int32_t)i < extra ? (int32_t)i : extra);
        int32_t length = per + ((int32_t)i < extra ? 1 : 0);
        kc_asg_result *r = &out[subscribed[i]];
        for (int32_t p = start; p < start + length; p++)
            r->parts[r->count++] = (kc_asg_tp){topic->name, p};
    }
}

st_err kc_assign_range(const kc_asg_member *members, size_t member_count,
                       const kc_asg_topic *topics, size_t topic_count, kc_asg_result *out,
                       st_arena *arena)
{
    size_t n;
    kc_asg_topic *sorted = kc_asg_sorted_topics(topics, topic_count, arena, &n);
    size_t *order = kc_asg_member_order(members, member_count, arena);
    size_t *subscribed = st_arena_calloc(arena, member_count ? member_count : 1, sizeof(size_t));
    if (!sorted || !order || !subscribed)
        return ST_ERR_NOMEM;
    st_err err = reserve(members, member_count, sorted, n, out, arena);
    if (err)
        return err;
    for (size_t t = 0; t < n; t++)
        assign_topic(members, order, member_count, &sorted[t], out, subscribed);
    kc_asg_sort_results(out, member_count);
    return ST_OK;
}
