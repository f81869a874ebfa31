/* client_group_commit.c — committing offsets (OffsetCommit) and looking up
 * committed offsets (OffsetFetch), for the application (commit_sync,
 * commit_async, committed), for auto commit, and for the start positions
 * of newly assigned partitions (see client_group.h).
 *
 * Owns the queues of commit and lookup jobs. A job waits for the
 * coordinator, is sent on the coordinator's connection, and completes
 * exactly once: sync commits and lookups retry retriable errors until their
 * deadline; async commits are never resent once sent (a later commit may
 * have overtaken them). Within a group a commit carries the generation and
 * member id, and fails without being sent while a rebalance is under way
 * (REBALANCE_IN_PROGRESS) or after the membership was lost
 * (ILLEGAL_GENERATION), as Java's CommitFailedException. Completion of an
 * async commit is an event: its callback runs in the app step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_group.h"
#include "common/protocol/messages.h"

struct kc_commit_job {
    kc_commit_job *next;
    kc_partition_list *offsets;  /* owned, sorted */
    bool sync;
    kc_commit_cb cb;
    void *opaque;
    kc_commit_wait *waiter;      /* sync */
    int64_t deadline_ms;
    int64_t retry_at_ms;
    int attempts;
    bool in_flight;
};

struct kc_lookup_job {
    kc_lookup_job *next;
    kc_partition_list *parts;    /* owned until done */
    kc_lookup_done_fn done;
    void *ctx;
    int64_t deadline_ms;
    int64_t retry_at_ms;
    int attempts;
    bool in_flight;
};

/* ---- queues ------------------------------------------------------------------------------ */

static void unlink_commit(kc_consumer *c, kc_commit_job *job)
{
    for (kc_commit_job **p = &c->commits; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            return;
        }
}

static void unlink_lookup(kc_consumer *c, kc_lookup_job *job)
{
    for (kc_lookup_job **p = &c->lookups; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            return;
        }
}

static void remember_committed(kc_consumer *c, const kc_partition_list *offsets)
{
    for (size_t i = 0; i < offsets->count; i++) {
        const kc_partition_offset *p = &offsets->items[i];
        kc_tp *tp = p->err ? NULL : kc_tp_find(c, p->topic, p->partition);
        if (tp)
            tp->committed = p->offset;
    }
}

/* Completes a commit job: the waiter or an event gets the result. */
static void commit_done(kc_consumer *c, kc_commit_job *job, kc_err err, const char *errstr)
{
    unlink_commit(c, job);
    for (size_t i = 0; err && i < job->offsets->count; i++)
        if (!job->offsets->items[i].err)
            job->offsets->items[i].err = err;
    if (!err)
        remember_committed(c, job->offsets);
    else if (err != KC_ERR_DESTROYED)
        kc_log(c->client, ST_LOG_INFO, "commit of %zu offsets failed: %s", job->offsets->count,
               errstr);
    if (job->waiter) {
        job->waiter->done = true;
        job->waiter->err = err;
        snprintf(job->waiter->errstr, sizeof(job->waiter->errstr), "%s",
                 errstr ? errstr : "");
        job->waiter->result = job->offsets;
    } else {
        kc_cevent *ev = calloc(1, sizeof(*ev));
        if (ev && job->cb) {
            ev->kind = KC_CEV_COMMIT;
            ev->err = err;
            ev->offsets = job->offsets;
            ev->cb = job->cb;
            ev->opaque = job->opaque;
            kc_consumer_push_event(c, ev);
        } else {
            free(ev);
            kc_partition_list_free(job->offsets);
        }
    }
    free(job);
}

kc_err kc_commit_queue(kc_consumer *c, const kc_partition_list *offsets, bool sync,
                       int64_t deadline_ms, kc_commit_cb cb, void *opaque,
                       kc_commit_wait *waiter)
{
    if (!c->group)
        return kc_fail(c->client, KC_ERR_STATE, "committing offsets needs group.id");
    kc_commit_job *job = calloc(1, sizeof(*job));
    if (!job || !(job->offsets = kc_partition_list_copy(offsets))) {
        free(job);
        return kc_fail(c->client, KC_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < job->offsets->count; i++)
        job->offsets->items[i].err = KC_OK;
    kc_partition_list_sort(job->offsets);
    job->sync = sync;
    job->cb = cb;
    job->opaque = opaque;
    job->waiter = waiter;
    job->deadline_ms = deadline_ms;
    kc_commit_job **tail = &c->commits;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    kc_consumer_kick(c);
    return KC_OK;
}

kc_err kc_lookup_queue(kc_consumer *c, kc_partition_list *parts, int64_t deadline_ms,
                       kc_lookup_done_fn done, void *ctx)
{
    if (!c->group)
        return kc_fail(c->client, KC_ERR_STATE, "committed offsets need group.id");
    kc_lookup_job *job = calloc(1, sizeof(*job));
    if (!job)
        return kc_fail(c->client, KC_ERR_NOMEM, "out of memory");
    kc_partition_list_sort(parts);
    job->parts = parts;
    job->done = done;
    job->ctx = ctx;
    job->deadline_ms = deadline_ms;
    kc_lookup_job **tail = &c->lookups;
    while (*tail)
        tail = &(*tail)->next;
    *tail = job;
    kc_consumer_kick(c);
    return KC_OK;
}

static void lookup_done(kc_consumer *c, kc_lookup_job *job, kc_err err)
{
    unlink_lookup(c, job);
    for (size_t i = 0; err && i < job->parts->count; i++)
        if (!job->parts->items[i].err)
            job->parts->items[i].err = err;
    kc_partition_list *parts = job->parts;
    kc_lookup_done_fn done = job->done;
    void *ctx = job->ctx;
    free(job);
    done(c, err, parts, ctx);
}

void kc_commits_fail_all(kc_consumer *c, kc_err err, const char *why)
{
    while (c->commits)
        commit_done(c, c->commits, err, why);
    while (c->lookups)
        lookup_done(c, c->lookups, err);
}

/* ---- topic grouping for requests ------------------------------------------------------------ */

/* Index ranges of the sorted list's topics: starts[k]..starts[k+1]. */
static size_t topic_runs(const kc_partition_list *l, size_t *starts)
{
    size_t n = 0;
    for (size_t i = 0; i < l->count; i++)
        if (i == 0 || strcmp(l->items[i - 1].topic, l->items[i].topic))
            starts[n++] = i;
    starts[n] = l->count;
    return n;
}

static bool retriable_commit_error(int16_t code)
{
    return code == KAFKA_COORDINATOR_LOAD_IN_PROGRESS || code == KAFKA_NOT_COORDINATOR ||
           code == KAFKA_COORDINATOR_NOT_AVAILABLE || code == KAFKA_REQUEST_TIMED_OUT ||
           code == KAFKA_UNKNOWN_TOPIC_OR_PARTITION || code == KAFKA_UNSTABLE_OFFSET_COMMIT;
}

/* ---- OffsetCommit ------------------------------------------------------------------------------ */

typedef struct commit_ctx {
    kc_consumer *c;
    kc_commit_job *job;
} commit_ctx;

static void retry_or_fail(kc_consumer *c, kc_commit_job *job, kc_err err, const char *why)
{
    int64_t now = kc_now_ms();
    if (job->sync && now < job->deadline_ms && !c->closing) {
        job->attempts++;
        job->retry_at_ms = now + kc_backoff_ms(c->client, c->conf->retry_backoff_ms,
                                               c->conf->retry_backoff_max_ms, job->attempts);
        for (size_t i = 0; i < job->offsets->count; i++)
            job->offsets->items[i].err = KC_OK;
        return;
    }
    commit_done(c, job, err, why);
}

/* Files the per-partition results; returns the first error. */
static int16_t commit_results(kc_consumer *c, kc_commit_job *job,
                              const kp_offset_commit_response *r)
{
    int16_t first = 0;
    for (int32_t t = 0; t < r->topics_count; t++) {
        const kp_offset_commit_response_topic *rt = &r->topics[t];
        for (int32_t p = 0; p < rt->partitions_count; p++) {
            int16_t code = rt->partitions[p].error_code;
            char *topic = st_slice_strdup(rt->name);
            kc_partition_offset *item =
                topic ? kc_partition_list_find(job->offsets, topic,
                                               rt->partitions[p].partition_index) : NULL;
            free(topic);
            if (item)
                item->err = code;
            if (code && !first)
                first = code;
        }
    }
    (void)c;
    return first;
}

static void on_commit(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    commit_ctx *ctx = opaque;
    kc_consumer *c = ctx->c;
    kc_commit_job *job = ctx->job;
    free(ctx);
    if (resp->err == KC_ERR_DESTROYED) {
        commit_done(c, job, KC_ERR_DESTROYED, resp->errstr);
        return;
    }
    job->in_flight = false;
    kc_group *g = c->group;
    if (resp->err) {
        kc_coord_mark_unknown(g, resp->errstr);
        retry_or_fail(c, job, resp->err, resp->errstr);
        return;
    }
    int16_t code = commit_results(c, job, resp->body);
    char why[160];
    snprintf(why, sizeof(why), "OffsetCommit: %s", kafka_error_name(code));
    switch (code) {
    case KAFKA_NONE:
        commit_done(c, job, KC_OK, "");
        return;
    case KAFKA_ILLEGAL_GENERATION:
    case KAFKA_UNKNOWN_MEMBER_ID:
        kc_group_reset(g, true, why);
        commit_done(c, job, code, why);
        return;
    case KAFKA_REBALANCE_IN_PROGRESS:
        if (g->state == KG_STABLE)
            kc_group_request_rejoin(g, "the group is rebalancing");
        commit_done(c, job, code, why);
        return;
    case KAFKA_FENCED_INSTANCE_ID:
        kc_consumer_set_fatal(c, code, "OffsetCommit: FENCED_INSTANCE_ID (group.instance.id is "
                              "in use by another member)");
        commit_done(c, job, code, why);
        return;
    default:
        kc_coord_error(g, code);
        if (retriable_commit_error(code))
            retry_or_fail(c, job, code, why);
        else
            commit_done(c, job, code, why);
        return;
    }
}

static kc_err send_commit(kc_consumer *c, kc_commit_job *job, int32_t generation,
                          const char *member_id)
{
    kc_group *g = c->group;
    const kc_partition_list *l = job->offsets;
    size_t *starts = calloc(l->count + 1, sizeof(*starts));
    kp_offset_commit_request_topic *topics = calloc(l->count + 1, sizeof(*topics));
    kp_offset_commit_request_partition *parts = calloc(l->count + 1, sizeof(*parts));
    commit_ctx *ctx = malloc(sizeof(*ctx));
    kc_err err = KC_ERR_NOMEM;
    if (!starts || !topics || !parts || !ctx)
        goto out;
    size_t nt = topic_runs(l, starts);
    for (size_t t = 0; t < nt; t++) {
        kp_init(&kp_offset_commit_request_topic_desc, &topics[t]);
        topics[t].name = st_slice_cstr(l->items[starts[t]].topic);
        topics[t].partitions = &parts[starts[t]];
        topics[t].partitions_count = (int32_t)(starts[t + 1] - starts[t]);
    }
    for (size_t i = 0; i < l->count; i++) {
        kp_init(&kp_offset_commit_request_partition_desc, &parts[i]);
        parts[i].partition_index = l->items[i].partition;
        parts[i].committed_offset = l->items[i].offset;
        parts[i].committed_leader_epoch = l->items[i].leader_epoch;
        parts[i].commit_timestamp = -1;
        parts[i].committed_metadata = st_slice_cstr(l->items[i].metadata ? l->items[i].metadata
                                                                         : "");
    }
    kp_offset_commit_request req;
    kp_offset_commit_request_init(&req);
    req.group_id = st_slice_cstr(g->group_id);
    req.generation_id_or_member_epoch = generation;
    req.member_id = st_slice_cstr(member_id);
    req.group_instance_id = generation >= 0 && g->instance_id ? st_slice_cstr(g->instance_id)
                                                              : ST_SLICE_NULL;
    req.retention_time_ms = -1;
    req.topics = topics;
    req.topics_count = (int32_t)nt;
    *ctx = (commit_ctx){c, job};
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.timeout_ms = c->conf->request_timeout_ms;
    err = kc_coord_send(g, KC_API_OFFSET_COMMIT, &req, &opts, on_commit, ctx);
    if (!err)
        ctx = NULL;
out:
    free(starts);
    free(topics);
    free(parts);
    free(ctx);
    return err;
}

static void run_commit(kc_consumer *c, kc_commit_job *job, int64_t now, bool coord_known)
{
    if (now >= job->deadline_ms) {
        char why[300];
        snprintf(why, sizeof(why), "commit timed out%s%s", c->group->coord.last_error[0]
                 ? ": " : "", c->group->coord.last_error);
        commit_done(c, job, KC_ERR_TIMED_OUT, why);
        return;
    }
    if (now < job->retry_at_ms || !coord_known)
        return;
    int32_t generation;
    const char *member_id;
    int16_t code = kc_group_commit_generation(c->group, &generation, &member_id);
    if (code) {
        char why[160];
        snprintf(why, sizeof(why), "cannot commit now: %s", kafka_error_name(code));
        commit_done(c, job, code, why);
        return;
    }
    kc_err err = send_commit(c, job, generation, member_id);
    if (err)
        retry_or_fail(c, job, err, kc_client_last_error(c->client));
    else
        job->in_flight = true;
}

/* ---- OffsetFetch --------------------------------------------------------------------------------- */

typedef struct lookup_ctx {
    kc_consumer *c;
    kc_lookup_job *job;
} lookup_ctx;

static void lookup_retry_or_fail(kc_consumer *c, kc_lookup_job *job, kc_err err)
{
    int64_t now = kc_now_ms();
    if (now < job->deadline_ms && !c->closing) {
        job->attempts++;
        job->retry_at_ms = now + kc_backoff_ms(c->client, c->conf->retry_backoff_ms,
                                               c->conf->retry_backoff_max_ms, job->attempts);
        return;
    }
    lookup_done(c, job, err);
}

/* Files one partition's answer; returns its error code. */
static int16_t fill_one(kc_lookup_job *job, const char *topic, int32_t partition, int64_t offset,
                        int32_t epoch, st_slice meta, int16_t code)
{
    kc_partition_offset *item = kc_partition_list_find(job->parts, topic, partition);
    if (!item)
        return 0;
    item->err = code;
    item->offset = code || offset < 0 ? KC_OFFSET_INVALID : offset;
    item->leader_epoch = epoch;
    if (meta.len >= 0 && !code) {
        char *m = st_slice_strdup(meta);
        kc_partition_offset_set_metadata(item, m);
        free(m);
    }
    return code;
}

/* Files an OffsetFetch v0-7 answer; returns the first partition error. */
static int16_t fill_lookup(kc_lookup_job *job, const kp_offset_fetch_response_topic *topics,
                           int32_t count)
{
    int16_t first = 0;
    for (int32_t t = 0; t < count; t++) {
        char *topic = st_slice_strdup(topics[t].name);
        for (int32_t p = 0; topic && p < topics[t].partitions_count; p++) {
            const kp_offset_fetch_response_partition *rp = &topics[t].partitions[p];
            int16_t code = fill_one(job, topic, rp->partition_index, rp->committed_offset,
                                    rp->committed_leader_epoch, rp->metadata, rp->error_code);
            first = first ? first : code;
        }
        free(topic);
    }
    return first;
}

/* The same for v8+ (one group's topics). */
static int16_t fill_lookup_v8(kc_lookup_job *job, const kp_offset_fetch_response_topics *topics,
                              int32_t count)
{
    int16_t first = 0;
    for (int32_t t = 0; t < count; t++) {
        char *topic = st_slice_strdup(topics[t].name);
        for (int32_t p = 0; topic && p < topics[t].partitions_count; p++) {
            const kp_offset_fetch_response_partitions *rp = &topics[t].partitions[p];
            int16_t code = fill_one(job, topic, rp->partition_index, rp->committed_offset,
                                    rp->committed_leader_epoch, rp->metadata, rp->error_code);
            first = first ? first : code;
        }
        free(topic);
    }
    return first;
}

static void on_lookup(kc_client *client, const kc_response *resp, void *opaque)
{
    (void)client;
    lookup_ctx *ctx = opaque;
    kc_consumer *c = ctx->c;
    kc_lookup_job *job = ctx->job;
    free(ctx);
    if (resp->err == KC_ERR_DESTROYED) {
        lookup_done(c, job, KC_ERR_DESTROYED);
        return;
    }
    job->in_flight = false;
    if (resp->err) {
        kc_coord_mark_unknown(c->group, resp->errstr);
        lookup_retry_or_fail(c, job, resp->err);
        return;
    }
    const kp_offset_fetch_response *r = resp->body;
    int16_t code;
    if (resp->api_version >= 8) {
        const kp_offset_fetch_response_group *grp = r->groups_count > 0 ? &r->groups[0] : NULL;
        code = !grp ? KAFKA_COORDINATOR_NOT_AVAILABLE : grp->error_code;
        if (!code)
            code = fill_lookup_v8(job, grp->topics, grp->topics_count);
    } else {
        code = r->error_code;
        if (!code)
            code = fill_lookup(job, r->topics, r->topics_count);
    }
    kc_coord_error(c->group, code);
    if (code && retriable_commit_error(code) && code != KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
        for (size_t i = 0; i < job->parts->count; i++)
            job->parts->items[i].err = KC_OK;
        lookup_retry_or_fail(c, job, code);
        return;
    }
    lookup_done(c, job, code == KAFKA_UNKNOWN_TOPIC_OR_PARTITION ? KC_OK : code);
}

static kc_err send_lookup(kc_consumer *c, kc_lookup_job *job)
{
    kc_group *g = c->group;
    const kc_partition_list *l = job->parts;
    size_t *starts = calloc(l->count + 1, sizeof(*starts));
    kp_offset_fetch_request_topic *topics = calloc(l->count + 1, sizeof(*topics));
    kp_offset_fetch_request_topics *gtopics = calloc(l->count + 1, sizeof(*gtopics));
    int32_t *parts = calloc(l->count + 1, sizeof(*parts));
    lookup_ctx *ctx = malloc(sizeof(*ctx));
    kc_err err = KC_ERR_NOMEM;
    if (!starts || !topics || !gtopics || !parts || !ctx)
        goto out;
    size_t nt = topic_runs(l, starts);
    for (size_t i = 0; i < l->count; i++)
        parts[i] = l->items[i].partition;
    for (size_t t = 0; t < nt; t++) {
        kp_init(&kp_offset_fetch_request_topic_desc, &topics[t]);
        topics[t].name = st_slice_cstr(l->items[starts[t]].topic);
        topics[t].partition_indexes = &parts[starts[t]];
        topics[t].partition_indexes_count = (int32_t)(starts[t + 1] - starts[t]);
        kp_init(&kp_offset_fetch_request_topics_desc, &gtopics[t]);
        gtopics[t].name = topics[t].name;
        gtopics[t].partition_indexes = topics[t].partition_indexes;
        gtopics[t].partition_indexes_count = topics[t].partition_indexes_count;
    }
    kp_offset_fetch_request_group group;
    kp_init(&kp_offset_fetch_request_group_desc, &group);
    group.group_id = st_slice_cstr(g->group_id);
    group.topics = gtopics;
    group.topics_count = (int32_t)nt;
    kp_offset_fetch_request req;
    kp_offset_fetch_request_init(&req);
    req.group_id = group.group_id;
    req.topics = topics;
    req.topics_count = (int32_t)nt;
    req.groups = &group;
    req.groups_count = 1;
    req.require_stable = true;
    *ctx = (lookup_ctx){c, job};
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = 1;
    opts.timeout_ms = c->conf->request_timeout_ms;
    opts.retry_after_send = true;
    err = kc_coord_send(g, KC_API_OFFSET_FETCH, &req, &opts, on_lookup, ctx);
    if (!err)
        ctx = NULL;
out:
    free(starts);
    free(topics);
    free(gtopics);
    free(parts);
    free(ctx);
    return err;
}

/* ---- the loop step ------------------------------------------------------------------------------- */

void kc_commits_run(kc_consumer *c)
{
    if (!c->group || (!c->commits && !c->lookups))
        return;
    bool known = kc_coord_ensure(c->group);
    int64_t now = kc_now_ms();
    /* run_commit may complete (free) only the job it is given */
    for (kc_commit_job *job = c->commits, *next; job; job = next) {
        next = job->next;
        if (!job->in_flight)
            run_commit(c, job, now, known);
    }
    for (kc_lookup_job *job = c->lookups, *next; job; job = next) {
        next = job->next;
        if (job->in_flight)
            continue;
        if (now >= job->deadline_ms) {
            lookup_done(c, job, KC_ERR_TIMED_OUT);
            next = c->lookups; /* the list changed */
            continue;
        }
        if (now < job->retry_at_ms || !known)
            continue;
        if (send_lookup(c, job) == KC_OK)
            job->in_flight = true;
        else
            lookup_retry_or_fail(c, job, KC_ERR_NOMEM);
    }
}

/* ---- auto commit --------------------------------------------------------------------------------- */

kc_partition_list *kc_commit_positions(kc_consumer *c, bool only_changed)
{
    kc_partition_list *l = kc_partition_list_new(c->tp_count);
    for (size_t i = 0; l && i < c->tp_count; i++) {
        kc_tp *tp = c->tps[i];
        if (tp->state != KC_TP_READY || tp->position < 0 ||
            (only_changed && tp->position == tp->committed))
            continue;
        kc_partition_offset *p = kc_partition_list_add(l, tp->topic, tp->partition);
        if (!p) {
            kc_partition_list_free(l);
            return NULL;
        }
        p->offset = tp->position;
        p->leader_epoch = tp->position_epoch;
    }
    if (l && !l->count) {
        kc_partition_list_free(l);
        return NULL;
    }
    return l;
}

void kc_auto_commit_run(kc_consumer *c)
{
    if (!c->group || !c->s.enable_auto_commit || c->closing || c->fatal_err)
        return;
    int64_t now = kc_now_ms();
    if (now < c->next_auto_commit_ms)
        return;
    c->next_auto_commit_ms = now + c->s.auto_commit_interval_ms;
    int32_t generation;
    const char *member_id;
    if (kc_group_commit_generation(c->group, &generation, &member_id) != KAFKA_NONE)
        return; /* rebalancing: the revocation commits */
    for (kc_commit_job *job = c->commits; job; job = job->next)
        if (!job->sync && job->cb == c->commit_cb && !job->waiter && job->in_flight)
            return; /* the previous auto commit is still on its way */
    kc_partition_list *offsets = kc_commit_positions(c, true);
    if (!offsets)
        return;
    kc_commit_queue(c, offsets, false, now + c->conf->default_api_timeout_ms, c->commit_cb,
                    c->commit_opaque, NULL);
    kc_partition_list_free(offsets);
}

/* ---- start positions of newly assigned partitions ------------------------------------------------- */

typedef struct positions_ctx {
    size_t count;
    uint32_t epochs[];         /* per item of the lookup's list, in its sorted order */
} positions_ctx;

static void on_positions(kc_consumer *c, kc_err err, kc_partition_list *parts, void *opaque)
{
    positions_ctx *ctx = opaque;
    c->positions_lookup = false;
    for (size_t i = 0; i < parts->count && err != KC_ERR_DESTROYED; i++) {
        const kc_partition_offset *p = &parts->items[i];
        kc_tp *tp = kc_tp_find(c, p->topic, p->partition);
        if (!tp || tp->state != KC_TP_COMMITTED_WAIT || tp->epoch != ctx->epochs[i])
            continue;
        if (p->err) {
            tp->state = KC_TP_NEED_COMMITTED;
            tp->retry_at_ms = kc_now_ms() + c->conf->retry_backoff_ms;
            if (!kc_err_retriable(p->err))
                kc_consumer_error(c, p->err, tp->topic, tp->partition, "%s [%d]: looking up the "
                                  "committed offset: %s", tp->topic, tp->partition,
                                  kc_err_name(p->err));
        } else if (p->offset >= 0) {
            tp->state = KC_TP_READY;
            tp->position = tp->fetch_offset = tp->committed = p->offset;
            tp->position_epoch = p->leader_epoch;
            kc_log(c->client, ST_LOG_DEBUG, "%s [%d]: starting at the committed offset %lld",
                   tp->topic, tp->partition, (long long)p->offset);
        } else {
            kc_tp_reset_by_policy(c, tp, KC_ERR_NO_OFFSET, "no committed offset");
        }
    }
    free(ctx);
    kc_partition_list_free(parts);
    if (err != KC_ERR_DESTROYED)
        kc_consumer_kick(c);
}

void kc_positions_lookup_run(kc_consumer *c)
{
    if (!c->group || c->positions_lookup || c->closing || c->fatal_err)
        return;
    int64_t now = kc_now_ms();
    size_t n = 0;
    for (size_t i = 0; i < c->tp_count; i++)
        n += c->tps[i]->state == KC_TP_NEED_COMMITTED && now >= c->tps[i]->retry_at_ms;
    if (!n)
        return;
    kc_partition_list *parts = kc_partition_list_new(n);
    positions_ctx *ctx = malloc(sizeof(*ctx) + n * sizeof(uint32_t));
    for (size_t i = 0; parts && ctx && i < c->tp_count; i++) {
        kc_tp *tp = c->tps[i];
        if (tp->state == KC_TP_NEED_COMMITTED && now >= tp->retry_at_ms &&
            !kc_partition_list_add(parts, tp->topic, tp->partition))
            break;
    }
    if (!parts || !ctx || parts->count != n) {
        kc_partition_list_free(parts);
        free(ctx);
        return;
    }
    kc_partition_list_sort(parts);
    ctx->count = n;
    for (size_t i = 0; i < n; i++)
        ctx->epochs[i] = kc_tp_find(c, parts->items[i].topic, parts->items[i].partition)->epoch;
    if (kc_lookup_queue(c, parts, now + c->conf->default_api_timeout_ms, on_positions, ctx)) {
        kc_partition_list_free(parts);
        free(ctx);
        return;
    }
    for (size_t i = 0; i < n; i++)
        kc_tp_find(c, parts->items[i].topic, parts->items[i].partition)->state =
            KC_TP_COMMITTED_WAIT;
    c->positions_lookup = true;
}
