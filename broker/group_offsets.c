/* group_offsets.c — committed offsets: OffsetCommit and OffsetFetch, the
 * rules on who may commit (Kafka's classic coordinator: members of the
 * current generation, or anyone while the group is empty), persistence in
 * __consumer_offsets before the answer, the tombstones that delete a group
 * with its offsets (DeleteGroups, expiry), and expiry of the offsets of
 * groups that stayed empty for offsets.retention.minutes. */
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/group_coordinator.h"
#include "broker/group_store.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

enum { OFFSET_METADATA_MAX_BYTES = 4096 };

int16_t gc_check_commit(group_coordinator *gc, consumer_group *g, st_slice member_id,
                        st_slice instance_id, int32_t generation)
{
    (void)gc;
    if (g->state == GROUP_DEAD)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (generation >= 0 || member_id.len > 0 || instance_id.len >= 0) {
        cg_member *m = group_find_member(g, member_id);
        if (!m)
            return group_find_static(g, instance_id) ? KAFKA_FENCED_INSTANCE_ID
                                                     : KAFKA_UNKNOWN_MEMBER_ID;
        if (instance_id.len >= 0 && (!m->instance_id || !st_slice_eq_cstr(instance_id,
                                                                          m->instance_id)))
            return KAFKA_FENCED_INSTANCE_ID;
        if (generation != g->generation)
            return KAFKA_ILLEGAL_GENERATION;
    } else if (g->state != GROUP_EMPTY) {
        return KAFKA_UNKNOWN_MEMBER_ID; /* offsets-only commits need an empty group */
    }
    if (g->state == GROUP_COMPLETING_REBALANCE)
        return KAFKA_REBALANCE_IN_PROGRESS;
    return KAFKA_NONE;
}

/* ---- OffsetCommit -------------------------------------------------------- */

typedef struct commit_ctx {
    request *rq;
    const kp_offset_commit_request *req;
    kp_offset_commit_response *resp;
    consumer_group *g;
    int64_t now;
} commit_ctx;

static int16_t check_partition(commit_ctx *c, st_slice topic,
                               const kp_offset_commit_request_partition *p)
{
    if (!broker_find_partition(c->rq->b, topic, p->partition_index))
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->committed_metadata.len > OFFSET_METADATA_MAX_BYTES)
        return KAFKA_OFFSET_METADATA_TOO_LARGE;
    return KAFKA_NONE;
}

static cg_offset offset_of(const commit_ctx *c, const kp_offset_commit_request_partition *p)
{
    int16_t v = request_version(c->rq);
    cg_offset o = {p->committed_offset, v >= 6 ? p->committed_leader_epoch : -1,
                   p->committed_metadata.len >= 0 ? p->committed_metadata : ST_SLICE_EMPTY,
                   c->now, -1};
    if (v == 1 && p->commit_timestamp >= 0)
        o.commit_timestamp = p->commit_timestamp;
    if (v >= 2 && v <= 4 && c->req->retention_time_ms >= 0)
        o.expire_timestamp = o.commit_timestamp + c->req->retention_time_ms;
    return o;
}

static bool build_commit_response(commit_ctx *c, int16_t group_error)
{
    const kp_offset_commit_request *req = c->req;
    kp_offset_commit_response *resp = c->resp;
    resp->topics = st_arena_calloc(&c->rq->arena, (size_t)req->topics_count + 1,
                                   sizeof(*resp->topics));
    if (!resp->topics)
        return false;
    resp->topics_count = req->topics_count;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const kp_offset_commit_request_topic *in = &req->topics[i];
        kp_offset_commit_response_topic *out = &resp->topics[i];
        out->name = in->name;
        out->partitions = st_arena_calloc(&c->rq->arena, (size_t)in->partitions_count + 1,
                                          sizeof(*out->partitions));
        if (!out->partitions)
            return false;
        out->partitions_count = in->partitions_count;
        for (int32_t k = 0; k < in->partitions_count; k++) {
            out->partitions[k].partition_index = in->partitions[k].partition_index;
            out->partitions[k].error_code =
                group_error ? group_error : check_partition(c, in->name, &in->partitions[k]);
        }
    }
    return true;
}

/* Writes the accepted offsets; on failure marks them COORDINATOR_NOT_AVAILABLE. */
static void store_offsets(commit_ctx *c)
{
    group_records r;
    group_records_init(&r, c->now);
    const kp_offset_commit_request *req = c->req;
    for (int32_t i = 0; i < req->topics_count; i++)
        for (int32_t k = 0; k < req->topics[i].partitions_count; k++) {
            if (c->resp->topics[i].partitions[k].error_code)
                continue;
            cg_offset o = offset_of(c, &req->topics[i].partitions[k]);
            group_records_offset(&r, c->g->group_id, req->topics[i].name,
                                 req->topics[i].partitions[k].partition_index, &o);
        }
    st_err err = group_records_append(c->rq->b, c->g->offsets_partition, &r);
    group_records_free(&r);
    for (int32_t i = 0; i < req->topics_count; i++)
        for (int32_t k = 0; k < req->topics[i].partitions_count; k++) {
            kp_offset_commit_response_partition *out = &c->resp->topics[i].partitions[k];
            if (out->error_code)
                continue;
            cg_offset o = offset_of(c, &req->topics[i].partitions[k]);
            if (err || !group_put_offset(c->g, req->topics[i].name, out->partition_index, &o))
                out->error_code = KAFKA_COORDINATOR_NOT_AVAILABLE;
        }
}

static int16_t commit_group_error(group_coordinator *gc, commit_ctx *c)
{
    const kp_offset_commit_request *req = c->req;
    int16_t v = request_version(c->rq);
    int32_t generation = v >= 1 ? req->generation_id_or_member_epoch : -1;
    st_slice instance = v >= 7 ? req->group_instance_id : ST_SLICE_NULL;
    if (!gc_group_id_valid(req->group_id, true))
        return KAFKA_INVALID_GROUP_ID;
    c->g = gc_find(gc, req->group_id);
    if (!c->g) {
        if (generation >= 0)
            return KAFKA_ILLEGAL_GENERATION; /* a generation of a group that does not exist */
        c->g = gc_find_or_create(gc, req->group_id);
        if (!c->g)
            return KAFKA_COORDINATOR_NOT_AVAILABLE;
    }
    int16_t error = gc_check_commit(gc, c->g, v >= 1 ? req->member_id : ST_SLICE_NULL, instance,
                                    generation);
    if (!error && req->member_id.len > 0)
        gc_touch_member(gc, group_find_member(c->g, req->member_id));
    return error;
}

void handle_offset_commit(request *rq)
{
    group_coordinator *gc = &rq->b->groups;
    commit_ctx c = {rq, rq->req.body, request_new_response_body(rq), NULL, broker_now_ms(rq->b)};
    if (!c.resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    int16_t group_error = commit_group_error(gc, &c);
    if (!build_commit_response(&c, group_error)) {
        request_close_connection(rq, "out of memory");
        return;
    }
    if (!group_error)
        store_offsets(&c);
    request_respond(rq, c.resp);
}

/* ---- OffsetFetch --------------------------------------------------------- */

/* Both response shapes (v0-7 topics, v8+ groups) have the same partition
 * fields; the v8 structs are filled and copied into the v0-7 ones. */
static void answer_offset(const consumer_group *g, st_slice topic, int32_t partition,
                          kp_offset_fetch_response_partitions *out)
{
    const cg_offset *o = g ? group_get_offset(g, topic, partition) : NULL;
    out->partition_index = partition;
    out->committed_offset = o ? o->offset : -1;
    out->committed_leader_epoch = o ? o->leader_epoch : -1;
    out->metadata = o && o->metadata.len >= 0 ? o->metadata : ST_SLICE_EMPTY;
    out->error_code = KAFKA_NONE;
}

static bool answer_requested(request *rq, const consumer_group *g,
                             const kp_offset_fetch_request_topics *in, int32_t n,
                             kp_offset_fetch_response_group *out)
{
    out->topics = st_arena_calloc(&rq->arena, (size_t)n + 1, sizeof(*out->topics));
    if (!out->topics)
        return false;
    out->topics_count = n;
    for (int32_t i = 0; i < n; i++) {
        kp_offset_fetch_response_topics *t = &out->topics[i];
        t->name = in[i].name;
        t->partitions = st_arena_calloc(&rq->arena, (size_t)in[i].partition_indexes_count + 1,
                                        sizeof(*t->partitions));
        if (!t->partitions)
            return false;
        t->partitions_count = in[i].partition_indexes_count;
        for (int32_t k = 0; k < in[i].partition_indexes_count; k++)
            answer_offset(g, in[i].name, in[i].partition_indexes[k], &t->partitions[k]);
    }
    return true;
}

static int compare_offset_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every committed offset of the group, one entry per topic holding all its
 * partitions: the keys (topic NUL partition) sorted so that each topic's
 * partitions are adjacent. */
static bool answer_all(request *rq, const consumer_group *g, kp_offset_fetch_response_group *out)
{
    size_t n = g ? g->offsets.count : 0;
    const char **keys = st_arena_calloc(&rq->arena, n + 1, sizeof(*keys));
    kp_offset_fetch_response_partitions *parts = st_arena_calloc(&rq->arena, n + 1,
                                                                 sizeof(*parts));
    out->topics = st_arena_calloc(&rq->arena, n + 1, sizeof(*out->topics));
    if (!keys || !parts || !out->topics)
        return false;
    size_t pos = 0, k = 0;
    void *value;
    while (g && strmap_next(&g->offsets, &pos, &keys[k], &value))
        k++;
    qsort(keys, k, sizeof(*keys), compare_offset_keys);
    int32_t topics = 0;
    for (size_t i = 0; i < k; i++) {
        st_slice name;
        int32_t partition;
        group_offset_key_parse(keys[i], &name, &partition);
        kp_offset_fetch_response_topics *t = topics ? &out->topics[topics - 1] : NULL;
        if (!t || !st_slice_eq(t->name, name)) {
            t = &out->topics[topics++];
            t->name = name;
            t->partitions = &parts[i];
        }
        answer_offset(g, name, partition, &t->partitions[t->partitions_count++]);
    }
    out->topics_count = topics;
    return true;
}

static bool answer_group(request *rq, st_slice group_id, const kp_offset_fetch_request_topics *in,
                         int32_t n, kp_offset_fetch_response_group *out)
{
    out->group_id = group_id;
    if (!gc_group_id_valid(group_id, true)) {
        out->error_code = KAFKA_INVALID_GROUP_ID;
        out->topics_count = 0;
        return true;
    }
    const consumer_group *g = gc_find(&rq->b->groups, group_id);
    return n < 0 ? answer_all(rq, g, out) : answer_requested(rq, g, in, n, out);
}

/* v0-7: one group, with the v8 structs' layout copied into the old ones. */
static bool answer_single(request *rq, const kp_offset_fetch_request *req,
                          kp_offset_fetch_response *resp)
{
    kp_offset_fetch_response_group grp;
    kp_init(&kp_offset_fetch_response_group_desc, &grp);
    /* The request's v0-7 topic entries have the same layout as v8's. */
    const kp_offset_fetch_request_topics *in = (const kp_offset_fetch_request_topics *)req->topics;
    _Static_assert(sizeof(kp_offset_fetch_request_topics) == sizeof(kp_offset_fetch_request_topic),
                   "request topic layouts differ");
    _Static_assert(sizeof(kp_offset_fetch_response_topics) == sizeof(kp_offset_fetch_response_topic),
                   "response topic layouts differ");
    _Static_assert(sizeof(kp_offset_fetch_response_partitions) ==
                       sizeof(kp_offset_fetch_response_partition),
                   "response partition layouts differ");
    if (!answer_group(rq, req->group_id, in, req->topics_count, &grp))
        return false;
    resp->topics = (kp_offset_fetch_response_topic *)grp.topics;
    resp->topics_count = grp.topics_count;
    resp->error_code = grp.error_code;
    if (grp.error_code && request_version(rq) < 2)
        for (int32_t i = 0; i < grp.topics_count; i++)
            for (int32_t k = 0; k < grp.topics[i].partitions_count; k++)
                grp.topics[i].partitions[k].error_code = grp.error_code;
    return true;
}

static bool answer_groups(request *rq, const kp_offset_fetch_request *req,
                          kp_offset_fetch_response *resp)
{
    resp->groups = st_arena_calloc(&rq->arena, (size_t)req->groups_count + 1,
                                   sizeof(*resp->groups));
    if (!resp->groups)
        return false;
    resp->groups_count = req->groups_count;
    for (int32_t i = 0; i < req->groups_count; i++) {
        kp_init(&kp_offset_fetch_response_group_desc, &resp->groups[i]);
        if (!answer_group(rq, req->groups[i].group_id, req->groups[i].topics,
                          req->groups[i].topics_count, &resp->groups[i]))
            return false;
    }
    return true;
}

void handle_offset_fetch(request *rq)
{
    const kp_offset_fetch_request *req = rq->req.body;
    kp_offset_fetch_response *resp = request_new_response_body(rq);
    bool ok = resp && (request_version(rq) >= 8 ? answer_groups(rq, req, resp)
                                                : answer_single(rq, req, resp));
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    request_respond(rq, resp);
}

/* ---- deletion and expiry ------------------------------------------------- */

st_err gc_tombstone_group(group_coordinator *gc, consumer_group *g, int64_t now_ms,
                          size_t *offsets)
{
    group_records r;
    group_records_init(&r, now_ms);
    size_t pos = 0, n = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->offsets, &pos, &key, &value)) {
        st_slice topic;
        int32_t partition;
        group_offset_key_parse(key, &topic, &partition);
        group_records_offset(&r, g->group_id, topic, partition, NULL);
        n++;
    }
    group_records_group(&r, g, true);
    st_err err = group_records_append(gc->b, g->offsets_partition, &r);
    group_records_free(&r);
    if (offsets)
        *offsets = n;
    return err;
}

static void expire_group(group_coordinator *gc, consumer_group *g, int64_t now, int64_t retention)
{
    if (g->state != GROUP_EMPTY || now - g->state_timestamp < retention)
        return;
    size_t expired;
    if (gc_tombstone_group(gc, g, now, &expired))
        return;
    st_logf(&gc->b->logger, ST_LOG_INFO, "groups",
            "group %s: empty for offsets.retention.minutes, %zu offset(s) expired", g->group_id,
            expired);
    gc_remove_group(gc, g);
}

void gc_expire_offsets(group_coordinator *gc)
{
    int64_t now = broker_now_ms(gc->b), retention = gc->b->cfg.offsets_retention_ms;
    bool removed = true;
    while (removed) { /* removing changes the map: restart the walk */
        removed = false;
        size_t pos = 0;
        const char *key;
        void *value;
        while (strmap_next(&gc->groups, &pos, &key, &value)) {
            consumer_group *g = value;
            size_t before = gc->groups.count;
            expire_group(gc, g, now, retention);
            if (gc->groups.count != before) {
                removed = true;
                break;
            }
        }
    }
}
