/* client_group_protocol.c — ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment with their version prefix, through the
 * generated codec (see client_group_protocol.h). Never reads past the
 * input; everything decoded is copied into the caller's arena except
 * user_data, which points into the input. */
#include "common/client_group_protocol.h"

#include <stdlib.h>
#include <string.h>

#include "common/protocol/messages.h"

#define NEWEST 3

static char *arena_strdup(st_arena *arena, st_slice s)
{
    size_t len = s.len > 0 ? (size_t)s.len : 0;
    char *copy = st_arena_alloc(arena, len + 1);
    if (copy && len)
        memcpy(copy, s.ptr, len);
    return copy;
}

/* Groups tps (sorted by topic) into the generated topic/partitions shape:
 * fills *topics (arena) and returns their count, or -1 on no memory. */
typedef struct tp_group {
    st_slice topic;
    int32_t *partitions;
    int32_t partitions_count;
} tp_group;

static long group_by_topic(const kc_asg_tp *tps, size_t n, st_arena *arena, tp_group **out)
{
    kc_asg_tp *sorted = st_arena_calloc(arena, n ? n : 1, sizeof(*sorted));
    tp_group *groups = st_arena_calloc(arena, n ? n : 1, sizeof(*groups));
    int32_t *parts = st_arena_calloc(arena, n ? n : 1, sizeof(*parts));
    if (!sorted || !groups || !parts)
        return -1;
    if (n)
        memcpy(sorted, tps, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), kc_asg_tp_cmp);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        if (count == 0 || strcmp((const char *)groups[count - 1].topic.ptr, sorted[i].topic)) {
            groups[count].topic = st_slice_cstr(sorted[i].topic);
            groups[count].partitions = &parts[i];
            groups[count].partitions_count = 0;
            count++;
        }
        parts[i] = sorted[i].partition;
        groups[count - 1].partitions_count++;
    }
    *out = groups;
    return count;
}

/* ---- subscription ------------------------------------------------------------------ */

st_err kc_subscription_encode(st_buf *out, int16_t version, const char *const *topics,
                              size_t topic_count, const kc_asg_tp *owned, size_t owned_count,
                              int32_t generation, const char *rack, st_slice user_data)
{
    st_arena arena;
    st_arena_init(&arena);
    kp_consumer_protocol_subscription sub;
    kp_consumer_protocol_subscription_init(&sub);
    st_err err = ST_ERR_NOMEM;
    st_slice *names = st_arena_calloc(&arena, topic_count ? topic_count : 1, sizeof(*names));
    tp_group *groups = NULL;
    long group_count = group_by_topic(owned, owned_count, &arena, &groups);
    kp_consumer_protocol_subscription_topic_partition *tps =
        st_arena_calloc(&arena, group_count > 0 ? (size_t)group_count : 1, sizeof(*tps));
    if (!names || group_count < 0 || !tps)
        goto out;
    for (size_t i = 0; i < topic_count; i++)
        names[i] = st_slice_cstr(topics[i]);
    for (long i = 0; i < group_count; i++) {
        tps[i].topic = groups[i].topic;
        tps[i].partitions = groups[i].partitions;
        tps[i].partitions_count = groups[i].partitions_count;
    }
    sub.topics = names;
    sub.topics_count = (int32_t)topic_count;
    sub.user_data = user_data;
    sub.owned_partitions = tps;
    sub.owned_partitions_count = (int32_t)group_count;
    sub.generation_id = generation;
    sub.rack_id = rack && *rack ? st_slice_cstr(rack) : ST_SLICE_NULL;
    st_write_i16(out, version);
    err = kp_consumer_protocol_subscription_encode(&sub, version, out);
out:
    st_arena_free(&arena);
    return err;
}

/* Decodes the body at version; ST_OK or the codec's error. */
static st_err decode_sub_at(st_reader body, int16_t version, st_arena *arena,
                            kp_consumer_protocol_subscription *sub)
{
    kp_consumer_protocol_subscription_init(sub);
    return kp_consumer_protocol_subscription_decode(sub, version, &body, arena);
}

static st_err copy_sub(const kp_consumer_protocol_subscription *sub, st_arena *arena,
                       kc_member_sub *out)
{
    size_t n = sub->topics_count > 0 ? (size_t)sub->topics_count : 0;
    out->topics = st_arena_calloc(arena, n ? n : 1, sizeof(char *));
    if (!out->topics)
        return ST_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(out->topics[i] = arena_strdup(arena, sub->topics[i])))
            return ST_ERR_NOMEM;
    out->topic_count = n;
    size_t owned = 0;
    for (int32_t i = 0; i < sub->owned_partitions_count; i++)
        owned += sub->owned_partitions[i].partitions_count > 0
                     ? (size_t)sub->owned_partitions[i].partitions_count : 0;
    out->owned = st_arena_calloc(arena, owned ? owned : 1, sizeof(kc_asg_tp));
    if (!out->owned)
        return ST_ERR_NOMEM;
    out->owned_count = 0;
    for (int32_t i = 0; i < sub->owned_partitions_count; i++) {
        const kp_consumer_protocol_subscription_topic_partition *tp = &sub->owned_partitions[i];
        char *topic = arena_strdup(arena, tp->topic);
        if (!topic)
            return ST_ERR_NOMEM;
        for (int32_t j = 0; j < tp->partitions_count; j++)
            out->owned[out->owned_count++] = (kc_asg_tp){topic, tp->partitions[j]};
    }
    out->rack = sub->rack_id.len >= 0 ? arena_strdup(arena, sub->rack_id) : NULL;
    out->user_data = sub->user_data;
    return ST_OK;
}

st_err kc_subscription_decode(st_slice metadata, bool cooperative, st_arena *arena,
                              kc_member_sub *out)
{
    memset(out, 0, sizeof(*out));
    out->generation = -1;
    if (metadata.len < 2)
        return ST_ERR_TRUNCATED;
    st_reader r;
    st_reader_init(&r, metadata.ptr, (size_t)metadata.len);
    int16_t version = st_read_i16(&r);
    if (version < 0)
        return ST_ERR_MALFORMED;
    kp_consumer_protocol_subscription sub;
    int16_t at = version > NEWEST ? NEWEST : version;
    st_err err = decode_sub_at(r, at, arena, &sub);
    if (err && at > 0) {
        at = 0; /* kafkajs: version 1 with the version 0 layout */
        err = decode_sub_at(r, 0, arena, &sub);
    }
    if (err)
        return err;
    out->version = version;
    err = copy_sub(&sub, arena, out);
    if (err)
        return err;
    if (at >= 2)
        out->generation = sub.generation_id;
    else if (cooperative && sub.user_data.len == 4)
        out->generation = st_get_i32(sub.user_data.ptr);
    return ST_OK;
}

void kc_cooperative_user_data(int32_t generation, uint8_t out[4])
{
    st_put_i32(out, generation);
}

/* ---- assignment ----------------------------------------------------------------------- */

st_err kc_assignment_encode(st_buf *out, int16_t version, const kc_asg_tp *parts, size_t n,
                            st_slice user_data)
{
    st_arena arena;
    st_arena_init(&arena);
    kp_consumer_protocol_assignment asg;
    kp_consumer_protocol_assignment_init(&asg);
    st_err err = ST_ERR_NOMEM;
    tp_group *groups = NULL;
    long count = group_by_topic(parts, n, &arena, &groups);
    kp_consumer_protocol_assignment_topic_partition *tps =
        st_arena_calloc(&arena, count > 0 ? (size_t)count : 1, sizeof(*tps));
    if (count < 0 || !tps)
        goto out;
    for (long i = 0; i < count; i++) {
        tps[i].topic = groups[i].topic;
        tps[i].partitions = groups[i].partitions;
        tps[i].partitions_count = groups[i].partitions_count;
    }
    asg.assigned_partitions = tps;
    asg.assigned_partitions_count = (int32_t)count;
    asg.user_data = user_data;
    if (version > NEWEST)
        version = NEWEST;
    st_write_i16(out, version);
    err = kp_consumer_protocol_assignment_encode(&asg, version, out);
out:
    st_arena_free(&arena);
    return err;
}

st_err kc_assignment_decode(st_slice data, st_arena *arena, kc_asg_tp **parts, size_t *n)
{
    *parts = NULL;
    *n = 0;
    if (data.len <= 0)
        return ST_OK; /* an empty assignment (e.g. a member that got nothing) */
    if (data.len < 2)
        return ST_ERR_TRUNCATED;
    st_reader r;
    st_reader_init(&r, data.ptr, (size_t)data.len);
    int16_t version = st_read_i16(&r);
    if (version < 0)
        return ST_ERR_MALFORMED;
    kp_consumer_protocol_assignment asg;
    kp_consumer_protocol_assignment_init(&asg);
    st_err err = kp_consumer_protocol_assignment_decode(&asg, version > NEWEST ? NEWEST : version,
                                                        &r, arena);
    if (err)
        return err;
    size_t total = 0;
    for (int32_t i = 0; i < asg.assigned_partitions_count; i++)
        total += asg.assigned_partitions[i].partitions_count > 0
                     ? (size_t)asg.assigned_partitions[i].partitions_count : 0;
    kc_asg_tp *out = st_arena_calloc(arena, total ? total : 1, sizeof(*out));
    if (!out)
        return ST_ERR_NOMEM;
    size_t k = 0;
    for (int32_t i = 0; i < asg.assigned_partitions_count; i++) {
        const kp_consumer_protocol_assignment_topic_partition *tp = &asg.assigned_partitions[i];
        char *topic = arena_strdup(arena, tp->topic);
        if (!topic)
            return ST_ERR_NOMEM;
        for (int32_t j = 0; j < tp->partitions_count; j++)
            out[k++] = (kc_asg_tp){topic, tp->partitions[j]};
    }
    *parts = out;
    *n = k;
    return ST_OK;
}
