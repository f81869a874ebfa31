/* client_admin_offsets.c — group offsets (OffsetFetch, OffsetCommit as an
 * admin, OffsetDelete) and partition offsets (ListOffsets, DeleteRecords):
 * kc_admin_list_group_offsets & co. in kafka_client.h.
 *
 * Owns the version differences of OffsetFetch (one group at the top level
 * up to v7, a list of groups from v8), the admin form of OffsetCommit
 * (generation -1, no member: accepted only by a group without active
 * members), and the per-partition requests to partition leaders, which
 * are resent after a metadata refresh while a partition answers that its
 * leader moved. Never retries a partition that got a final answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_admin.h"
#include "common/client_core.h"
#include "common/protocol/messages.h"

/* ---- OffsetFetch ----------------------------------------------------------------------------- */

typedef struct fetch_ctx {
    st_arena *arena;
    const kc_topic_partition *wanted; /* NULL = all */
    size_t wanted_count;
    kc_group_offset *offsets;
    size_t count;
    kc_err err;
    char errstr[512];
} fetch_ctx;

/* v8+ carries the group (and its topics) in a list of groups. */
static void prepare_offset_fetch(void *request, int16_t version, st_arena *arena, void *opaque)
{
    (void)opaque;
    kp_offset_fetch_request *req = request;
    if (version < 8)
        return;
    kp_offset_fetch_request_group *g = st_arena_alloc(arena, sizeof(*g));
    if (!g)
        return;
    kp_init(&kp_offset_fetch_request_group_desc, g);
    g->group_id = req->group_id;
    g->topics = NULL;
    g->topics_count = -1;
    if (req->topics_count >= 0) {
        g->topics = st_arena_calloc(arena, (size_t)req->topics_count + 1, sizeof(*g->topics));
        for (int32_t i = 0; g->topics && i < req->topics_count; i++) {
            g->topics[i].name = req->topics[i].name;
            g->topics[i].partition_indexes = req->topics[i].partition_indexes;
            g->topics[i].partition_indexes_count = req->topics[i].partition_indexes_count;
        }
        g->topics_count = g->topics ? req->topics_count : 0;
    }
    req->groups = g;
    req->groups_count = 1;
    req->topics_count = 0;
}

static int16_t offset_fetch_error(const void *body, int16_t version)
{
    const kp_offset_fetch_response *r = body;
    if (version >= 8)
        return r->groups_count > 0 ? r->groups[0].error_code : 0;
    if (version >= 2 && r->error_code)
        return r->error_code;
    for (int32_t i = 0; i < r->topics_count; i++)
        for (int32_t j = 0; j < r->topics[i].partitions_count; j++)
            if (r->topics[i].partitions[j].error_code)
                return r->topics[i].partitions[j].error_code;
    return 0;
}

static void fetch_add(fetch_ctx *x, st_slice topic, int32_t partition, int64_t offset,
                      int32_t epoch, st_slice metadata, int16_t code)
{
    if (!x->wanted && offset < 0 && !code)
        return; /* "all offsets": only the committed ones */
    kc_group_offset *o = &x->offsets[x->count++];
    o->topic = adm_str(x->arena, topic);
    o->partition = partition;
    o->offset = offset;
    o->leader_epoch = epoch;
    o->metadata = adm_str(x->arena, metadata);
    o->err = code;
}

static size_t fetch_total(const kp_offset_fetch_response *r, int16_t version)
{
    size_t n = 0;
    if (version >= 8) {
        for (int32_t g = 0; g < r->groups_count; g++)
            for (int32_t i = 0; i < r->groups[g].topics_count; i++)
                n += r->groups[g].topics[i].partitions_count > 0
                         ? (size_t)r->groups[g].topics[i].partitions_count : 0;
        return n;
    }
    for (int32_t i = 0; i < r->topics_count; i++)
        n += r->topics[i].partitions_count > 0 ? (size_t)r->topics[i].partitions_count : 0;
    return n;
}

static void on_offset_fetch(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    fetch_ctx *x = opaque;
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr)))
        return;
    const kp_offset_fetch_response *r = resp->body;
    int16_t code = resp->api_version >= 8 ? (r->groups_count > 0 ? r->groups[0].error_code : 0)
                                          : (resp->api_version >= 2 ? r->error_code : 0);
    if (code) {
        x->err = code;
        snprintf(x->errstr, sizeof(x->errstr), "%s", kafka_error_name(code));
        return;
    }
    x->offsets = st_arena_calloc(x->arena, fetch_total(r, resp->api_version) + 1,
                                 sizeof(*x->offsets));
    if (!x->offsets) {
        x->err = KC_ERR_NOMEM;
        snprintf(x->errstr, sizeof(x->errstr), "out of memory");
        return;
    }
    if (resp->api_version >= 8) {
        for (int32_t g = 0; g < r->groups_count && g < 1; g++)
            for (int32_t i = 0; i < r->groups[g].topics_count; i++) {
                const kp_offset_fetch_response_topics *t = &r->groups[g].topics[i];
                for (int32_t j = 0; j < t->partitions_count; j++) {
                    const kp_offset_fetch_response_partitions *p = &t->partitions[j];
                    fetch_add(x, t->name, p->partition_index, p->committed_offset,
                              p->committed_leader_epoch, p->metadata, p->error_code);
                }
            }
        return;
    }
    for (int32_t i = 0; i < r->topics_count; i++) {
        const kp_offset_fetch_response_topic *t = &r->topics[i];
        for (int32_t j = 0; j < t->partitions_count; j++) {
            const kp_offset_fetch_response_partition *p = &t->partitions[j];
            fetch_add(x, t->name, p->partition_index, p->committed_offset,
                      p->committed_leader_epoch, p->metadata, p->error_code);
        }
    }
}

static int compare_offsets(const void *a, const void *b)
{
    const kc_group_offset *x = a, *y = b;
    int c = strcmp(x->topic ? x->topic : "", y->topic ? y->topic : "");
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

/* The request's topics: each distinct topic of partitions[] with its
 * partition numbers (scratch memory). */
static bool fetch_topics(st_arena *scratch, const kc_topic_partition *tp, size_t n,
                         kp_offset_fetch_request *req)
{
    req->topics = st_arena_calloc(scratch, n + 1, sizeof(*req->topics));
    if (!req->topics)
        return false;
    int32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        kp_offset_fetch_request_topic *t = NULL;
        for (int32_t j = 0; j < k && !t; j++)
            if (st_slice_eq_cstr(req->topics[j].name, tp[i].topic))
                t = &req->topics[j];
        if (!t) {
            t = &req->topics[k++];
            t->name = st_slice_cstr(tp[i].topic);
            t->partition_indexes = st_arena_calloc(scratch, n + 1, sizeof(int32_t));
            if (!t->partition_indexes)
                return false;
        }
        t->partition_indexes[t->partition_indexes_count++] = tp[i].partition;
    }
    req->topics_count = k;
    return true;
}

kc_err kc_admin_list_group_offsets(kc_client *client, const char *group,
                                   const kc_topic_partition *partitions, size_t n,
                                   int timeout_ms, st_arena *arena, kc_group_offset **offsets,
                                   size_t *count)
{
    *offsets = NULL;
    *count = 0;
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    kp_offset_fetch_request req;
    kp_init(&kp_offset_fetch_request_desc, &req);
    req.group_id = st_slice_cstr(group);
    req.topics = NULL;
    req.topics_count = -1; /* all (v2+) */
    req.groups_count = 0;
    if (!err && partitions && !fetch_topics(&op.scratch, partitions, n, &req))
        err = kc_fail(client, KC_ERR_NOMEM, "out of memory");
    if (err) {
        adm_end(&op);
        return err;
    }
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = partitions ? 1 : 2; /* v0 reads ZooKeeper offsets; null topics need v2 */
    opts.prepare = prepare_offset_fetch;
    opts.retry_after_send = true;
    fetch_ctx x = {.arena = arena, .wanted = partitions, .wanted_count = n};
    adm_group_call(&op, group, KC_API_OFFSET_FETCH, &req, &opts, offset_fetch_error,
                   on_offset_fetch, &x, 0);
    adm_end(&op);
    if (x.err)
        return kc_fail(client, x.err, "committed offsets of group '%s': %s", group, x.errstr);
    if (x.count > 1)
        qsort(x.offsets, x.count, sizeof(*x.offsets), compare_offsets);
    *offsets = x.offsets;
    *count = x.count;
    return KC_OK;
}

/* ---- OffsetCommit (as an admin) ------------------------------------------------------------------ */

typedef struct commit_ctx {
    kc_group_offset *offsets;
    size_t n;
    kc_err err;
    char errstr[512];
} commit_ctx;

static void commit_record(commit_ctx *x, st_slice topic, int32_t partition, int16_t code)
{
    for (size_t i = 0; i < x->n; i++)
        if (x->offsets[i].partition == partition && st_slice_eq_cstr(topic, x->offsets[i].topic))
            x->offsets[i].err = code;
}

static void on_offset_commit(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    commit_ctx *x = opaque;
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr))) {
        for (size_t i = 0; i < x->n; i++)
            x->offsets[i].err = resp->err;
        return;
    }
    const kp_offset_commit_response *r = resp->body;
    for (int32_t i = 0; i < r->topics_count; i++)
        for (int32_t j = 0; j < r->topics[i].partitions_count; j++)
            commit_record(x, r->topics[i].name, r->topics[i].partitions[j].partition_index,
                          r->topics[i].partitions[j].error_code);
}

static int16_t offset_commit_error(const void *body, int16_t version)
{
    (void)version;
    const kp_offset_commit_response *r = body;
    for (int32_t i = 0; i < r->topics_count; i++)
        for (int32_t j = 0; j < r->topics[i].partitions_count; j++)
            if (adm_coordinator_moved(r->topics[i].partitions[j].error_code))
                return r->topics[i].partitions[j].error_code;
    return 0;
}

static bool commit_topics(st_arena *scratch, const kc_group_offset *o, size_t n,
                          kp_offset_commit_request *req)
{
    req->topics = st_arena_calloc(scratch, n + 1, sizeof(*req->topics));
    if (!req->topics)
        return false;
    int32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        kp_offset_commit_request_topic *t = NULL;
        for (int32_t j = 0; j < k && !t; j++)
            if (st_slice_eq_cstr(req->topics[j].name, o[i].topic))
                t = &req->topics[j];
        if (!t) {
            t = &req->topics[k++];
            t->name = st_slice_cstr(o[i].topic);
            t->partitions = st_arena_calloc(scratch, n + 1, sizeof(*t->partitions));
            if (!t->partitions)
                return false;
        }
        kp_offset_commit_request_partition *p = &t->partitions[t->partitions_count++];
        kp_init(&kp_offset_commit_request_partition_desc, p);
        p->partition_index = o[i].partition;
        p->committed_offset = o[i].offset;
        p->committed_leader_epoch = o[i].leader_epoch;
        p->commit_timestamp = -1;
        p->committed_metadata = st_slice_cstr(o[i].metadata ? o[i].metadata : "");
    }
    req->topics_count = k;
    return true;
}

kc_err kc_admin_alter_group_offsets(kc_client *client, const char *group,
                                    kc_group_offset *offsets, size_t n, int timeout_ms)
{
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    kp_offset_commit_request req;
    kp_init(&kp_offset_commit_request_desc, &req);
    req.group_id = st_slice_cstr(group);
    req.generation_id_or_member_epoch = -1;
    req.member_id = ST_SLICE_EMPTY;
    req.group_instance_id = ST_SLICE_NULL;
    req.retention_time_ms = -1;
    if (!err && !commit_topics(&op.scratch, offsets, n, &req))
        err = kc_fail(client, KC_ERR_NOMEM, "out of memory");
    if (err) {
        adm_end(&op);
        return err;
    }
    for (size_t i = 0; i < n; i++)
        offsets[i].err = KC_ERR_BAD_RESPONSE; /* until the answer names it */
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = 2; /* v0/v1 have no admin form worth using */
    opts.max_version = 8; /* v9 is the new consumer protocol's commit */
    commit_ctx x = {offsets, n, 0, ""};
    adm_group_call(&op, group, KC_API_OFFSET_COMMIT, &req, &opts, offset_commit_error,
                   on_offset_commit, &x, 0);
    adm_end(&op);
    if (x.err)
        return kc_fail(client, x.err, "committing offsets of group '%s': %s", group, x.errstr);
    for (size_t i = 0; i < n; i++)
        if (offsets[i].err)
            return kc_fail(client, offsets[i].err, "committing offsets of group '%s': %s-%d: %s",
                           group, offsets[i].topic, offsets[i].partition,
                           kc_err_name(offsets[i].err));
    return KC_OK;
}

/* ---- OffsetDelete --------------------------------------------------------------------------------- */

typedef struct delete_ctx {
    const kc_topic_partition *partitions;
    size_t n;
    kc_err *errs;
    kc_err err;
    char errstr[512];
} delete_ctx;

static void on_offset_delete(void *opaque, size_t index, const kc_response *resp)
{
    (void)index;
    delete_ctx *x = opaque;
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr)))
        return;
    const kp_offset_delete_response *r = resp->body;
    if (r->error_code) {
        x->err = r->error_code;
        snprintf(x->errstr, sizeof(x->errstr), "%s", kafka_error_name(r->error_code));
    }
    for (int32_t i = 0; x->errs && i < r->topics_count; i++)
        for (int32_t j = 0; j < r->topics[i].partitions_count; j++)
            for (size_t k = 0; k < x->n; k++)
                if (x->partitions[k].partition == r->topics[i].partitions[j].partition_index &&
                    st_slice_eq_cstr(r->topics[i].name, x->partitions[k].topic))
                    x->errs[k] = r->topics[i].partitions[j].error_code;
}

static int16_t offset_delete_error(const void *body, int16_t version)
{
    (void)version;
    return ((const kp_offset_delete_response *)body)->error_code;
}

static bool delete_topics(st_arena *scratch, const kc_topic_partition *tp, size_t n,
                          kp_offset_delete_request *req)
{
    req->topics = st_arena_calloc(scratch, n + 1, sizeof(*req->topics));
    if (!req->topics)
        return false;
    int32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        kp_offset_delete_request_topic *t = NULL;
        for (int32_t j = 0; j < k && !t; j++)
            if (st_slice_eq_cstr(req->topics[j].name, tp[i].topic))
                t = &req->topics[j];
        if (!t) {
            t = &req->topics[k++];
            t->name = st_slice_cstr(tp[i].topic);
            t->partitions = st_arena_calloc(scratch, n + 1, sizeof(*t->partitions));
            if (!t->partitions)
                return false;
        }
        t->partitions[t->partitions_count++].partition_index = tp[i].partition;
    }
    req->topics_count = k;
    return true;
}

kc_err kc_admin_delete_group_offsets(kc_client *client, const char *group,
                                     const kc_topic_partition *partitions, size_t n,
                                     int timeout_ms, kc_err *errs)
{
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    kp_offset_delete_request req;
    kp_init(&kp_offset_delete_request_desc, &req);
    req.group_id = st_slice_cstr(group);
    if (!err && !delete_topics(&op.scratch, partitions, n, &req))
        err = kc_fail(client, KC_ERR_NOMEM, "out of memory");
    if (err) {
        adm_end(&op);
        return err;
    }
    for (size_t i = 0; errs && i < n; i++)
        errs[i] = 0;
    delete_ctx x = {partitions, n, errs, 0, ""};
    adm_group_call(&op, group, KC_API_OFFSET_DELETE, &req, NULL, offset_delete_error,
                   on_offset_delete, &x, 0);
    adm_end(&op);
    if (x.err)
        return kc_fail(client, x.err, "deleting offsets of group '%s': %s", group, x.errstr);
    for (size_t i = 0; errs && i < n; i++)
        if (errs[i])
            return kc_fail(client, errs[i], "deleting offsets of group '%s': %s-%d: %s", group,
                           partitions[i].topic, partitions[i].partition, kc_err_name(errs[i]));
    return KC_OK;
}

/* ---- per-partition requests to leaders ------------------------------------------------------------ */

/* Whether a partition's answer means "the leader moved; refresh and resend". */
static bool leader_moved(kc_err err)
{
    return err == KAFKA_NOT_LEADER_OR_FOLLOWER || err == KAFKA_LEADER_NOT_AVAILABLE ||
           err == KAFKA_UNKNOWN_LEADER_EPOCH || err == KAFKA_FENCED_LEADER_EPOCH ||
           err == KAFKA_REPLICA_NOT_AVAILABLE || err == KAFKA_OFFSET_NOT_AVAILABLE;
}

/* One per-partition call's retry state: which items got a final answer,
 * whether this round asks for another, whether it is the last one the
 * deadline allows, and the message of the first request that failed as a
 * whole (a client error; "" when none did). done is in the op's scratch. */
typedef struct leader_round {
    bool *done;                  /* per item */
    bool retry;
    bool last_try;
    char errstr[384];
} leader_round;

/* Starts the operation and allocates done[0..n); on failure the operation
 * is already ended and the error is the call's result. */
static kc_err leader_begin(adm_op *op, kc_client *client, int timeout_ms, leader_round *round,
                           size_t n)
{
    kc_err err = adm_begin(op, client, timeout_ms);
    if (!err && !(round->done = st_arena_calloc(&op->scratch, n + 1, sizeof(bool))))
        err = kc_fail(client, KC_ERR_NOMEM, "out of memory");
    if (err)
        adm_end(op);
    return err;
}

/* The error of one partition's answer: the request's own error (its
 * message kept when it is the first), else code (the partition's error
 * code, or KC_ERR_BAD_RESPONSE when the answer named no partition). */
static kc_err leader_error(leader_round *round, const kc_response *resp, kc_err code)
{
    if (!resp->err)
        return code;
    if (!round->errstr[0])
        snprintf(round->errstr, sizeof(round->errstr), "%s", resp->errstr);
    return resp->err;
}

/* Whether err is item index's final answer (and marks it done); false
 * when its leader moved and another round is due. */
static bool leader_final(leader_round *round, size_t index, kc_err err)
{
    if (leader_moved(err) && !round->last_try) {
        round->retry = true;
        return false;
    }
    round->done[index] = true;
    return true;
}

/* Sends send(i) for every unfinished item, waits, and goes again after a
 * metadata refresh while some partition said its leader moved. */
typedef void (*leader_send_fn)(adm_op *op, void *ctx, size_t i);

static void leader_rounds(adm_op *op, leader_round *round, size_t n, leader_send_fn send,
                          void *ctx)
{
    for (int attempt = 1;; attempt++) {
        round->retry = false;
        int64_t backoff = adm_backoff(op, attempt);
        round->last_try = adm_remaining(op) <= backoff;
        for (size_t i = 0; i < n; i++)
            if (!round->done[i])
                send(op, ctx, i);
        adm_wait(op);
        if (!round->retry)
            return;
        kc_metadata_invalidate(op->client);
        adm_pause(op, backoff);
    }
}

/* The first failed item as the call's result; errstr is the message of a
 * request that failed as a whole (a client error), "" otherwise. */
static kc_err first_partition_error(kc_client *client, const char *what, const char *topic,
                                    int32_t partition, kc_err err, const char *errstr)
{
    const char *why = err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION
                          ? "the topic or partition does not exist"
                      : err < 0 && errstr[0] ? errstr
                                             : kc_err_name(err);
    return kc_fail(client, err, "%s of %s-%d: %s", what, topic, partition, why);
}

/* ---- ListOffsets ------------------------------------------------------------------------------------ */

typedef struct list_ctx {
    kc_list_offset *q;
    leader_round round;
    int8_t isolation_level;
} list_ctx;

static void on_list_offsets(void *opaque, size_t index, const kc_response *resp)
{
    list_ctx *x = opaque;
    kc_list_offset *q = &x->q[index];
    const kp_list_offsets_response *r = resp->err ? NULL : resp->body;
    const kp_list_offsets_response_list_offsets_partition_response *p = NULL;
    if (r && r->topics_count > 0 && r->topics[0].partitions_count > 0)
        p = &r->topics[0].partitions[0];
    kc_err err = leader_error(&x->round, resp, p ? p->error_code : KC_ERR_BAD_RESPONSE);
    if (!leader_final(&x->round, index, err))
        return;
    q->err = err;
    if (err || !p)
        return;
    q->offset = p->offset;
    q->timestamp = p->timestamp;
    q->leader_epoch = p->leader_epoch;
    if (resp->api_version == 0)
        q->offset = p->old_style_offsets_count > 0 ? p->old_style_offsets[0] : -1;
}

static void send_list_offsets(adm_op *op, void *ctx, size_t i)
{
    list_ctx *x = ctx;
    kc_list_offset *q = &x->q[i];
    kp_list_offsets_request req;
    kp_list_offsets_request_list_offsets_topic t;
    kp_list_offsets_request_list_offsets_partition p;
    kp_init(&kp_list_offsets_request_desc, &req);
    kp_init(&kp_list_offsets_request_list_offsets_topic_desc, &t);
    kp_init(&kp_list_offsets_request_list_offsets_partition_desc, &p);
    p.partition_index = q->partition;
    p.current_leader_epoch = -1;
    p.timestamp = q->spec;
    p.max_num_offsets = 1;
    t.name = st_slice_cstr(q->topic);
    t.partitions = &p;
    t.partitions_count = 1;
    req.replica_id = -1;
    req.isolation_level = x->isolation_level;
    req.topics = &t;
    req.topics_count = 1;
    req.timeout_ms = adm_remaining(op);
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = 1;
    if (x->isolation_level)
        opts.min_version = 2;
    if (q->spec == KC_OFFSET_SPEC_MAX_TIMESTAMP)
        opts.min_version = 7;
    opts.retry_after_send = true;
    adm_send(op, kc_target_leader(q->topic, q->partition), KC_API_LIST_OFFSETS, &req, &opts,
             on_list_offsets, x, i);
}

kc_err kc_admin_list_offsets(kc_client *client, kc_list_offset *queries, size_t n,
                             int8_t isolation_level, int timeout_ms)
{
    adm_op op;
    list_ctx x = {.q = queries, .isolation_level = isolation_level};
    kc_err err = leader_begin(&op, client, timeout_ms, &x.round, n);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        queries[i].err = KC_ERR_TIMED_OUT;
        queries[i].offset = -1;
        queries[i].timestamp = -1;
        queries[i].leader_epoch = -1;
    }
    leader_rounds(&op, &x.round, n, send_list_offsets, &x);
    adm_end(&op);
    for (size_t i = 0; i < n; i++)
        if (queries[i].err)
            return first_partition_error(client, "listing offsets", queries[i].topic,
                                         queries[i].partition, queries[i].err, x.round.errstr);
    return KC_OK;
}

/* ---- DeleteRecords ----------------------------------------------------------------------------------- */

typedef struct records_ctx {
    kc_delete_records *items;
    leader_round round;
} records_ctx;

static void on_delete_records(void *opaque, size_t index, const kc_response *resp)
{
    records_ctx *x = opaque;
    kc_delete_records *d = &x->items[index];
    const kp_delete_records_response *r = resp->err ? NULL : resp->body;
    const kp_delete_records_response_delete_records_partition_result *p = NULL;
    if (r && r->topics_count > 0 && r->topics[0].partitions_count > 0)
        p = &r->topics[0].partitions[0];
    kc_err err = leader_error(&x->round, resp, p ? p->error_code : KC_ERR_BAD_RESPONSE);
    if (!leader_final(&x->round, index, err))
        return;
    d->err = err;
    if (!err && p)
        d->low_watermark = p->low_watermark;
}

static void send_delete_records(adm_op *op, void *ctx, size_t i)
{
    records_ctx *x = ctx;
    kc_delete_records *d = &x->items[i];
    kp_delete_records_request req;
    kp_delete_records_request_delete_records_topic t;
    kp_delete_records_request_delete_records_partition p;
    kp_init(&kp_delete_records_request_desc, &req);
    kp_init(&kp_delete_records_request_delete_records_topic_desc, &t);
    p.partition_index = d->partition;
    p.offset = d->before_offset;
    t.name = st_slice_cstr(d->topic);
    t.partitions = &p;
    t.partitions_count = 1;
    req.topics = &t;
    req.topics_count = 1;
    req.timeout_ms = adm_remaining(op);
    adm_send(op, kc_target_leader(d->topic, d->partition), KC_API_DELETE_RECORDS, &req, NULL,
             on_delete_records, x, i);
}

kc_err kc_admin_delete_records(kc_client *client, kc_delete_records *items, size_t n,
                               int timeout_ms)
{
    adm_op op;
    records_ctx x = {.items = items};
    kc_err err = leader_begin(&op, client, timeout_ms, &x.round, n);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        items[i].err = KC_ERR_TIMED_OUT;
        items[i].low_watermark = -1;
    }
    leader_rounds(&op, &x.round, n, send_delete_records, &x);
    adm_end(&op);
    for (size_t i = 0; i < n; i++)
        if (items[i].err)
            return first_partition_error(client, "deleting records", items[i].topic,
                                         items[i].partition, items[i].err, x.round.errstr);
    return KC_OK;
}
