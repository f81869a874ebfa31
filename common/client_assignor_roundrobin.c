/* client_assignor_roundrobin.c — the "roundrobin" assignor, as Java's
 * RoundRobinAssignor computes it.
 *
 * Every partition of every subscribed topic, sorted by topic then
 * partition, goes to the next member (in member order, cycling) that
 * subscribes to its topic; the cycle continues from that member. Eager
 * protocol only. Pure. */
#include "common/client_assignor.h"

st_err kc_assign_roundrobin(const kc_asg_member *members, size_t member_count,
                            const kc_asg_topic *topics, size_t topic_count, kc_asg_result *out,
                            st_arena *arena)
{
    size_t n;
    kc_asg_topic *sorted = kc_asg_sorted_topics(topics, topic_count, arena, &n);
    size_t *order = kc_asg_member_order(members, member_count, arena);
    if (!sorted || !order)
        return ST_ERR_NOMEM;
    size_t total = 0;
    for (size_t t = 0; t < n; t++)
        total += (size_t)sorted[t].partition_count;
    for (size_t i = 0; i < member_count; i++) {
        out[i].count = 0;
        out[i].parts = st_arena_calloc(arena, total ? total : 1, sizeof(kc_asg_tp));
        if (!out[i].parts)
            return ST_ERR_NOMEM;
    }
    if (member_count == 0)
        return ST_OK;
    size_t next = 0; /* position in order */
    for (size_t t = 0; t < n; t++) {
        for (int32_t p = 0; p < sorted[t].partition_count; p++) {
            /* the next member, from next on, that subscribes to this topic */
            size_t tried = 0;
            while (tried < member_count &&
                   !kc_asg_subscribes(&members[order[next]], sorted[t].name)) {
                next = (next + 1) % member_count;
                tried++;
            }
            if (tried == member_count)
                break; /* nobody subscribes (cannot happen for listed topics) */
            kc_asg_result *r = &out[order[next]];
            r->parts[r->count++] = (kc_asg_tp){sorted[t].name, p};
            next = (next + 1) % member_count;
        }
    }
    kc_asg_sort_results(out, member_count);
    return ST_OK;
}
