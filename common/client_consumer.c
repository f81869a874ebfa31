/* client_consumer.c — the consumer's public calls (see kafka_client.h and
 * client_consumer.h): creating and freeing, subscribe/assign, poll, seek,
 * pause/resume, position, commits, close; the loop step and the app step;
 * events for the application.
 *
 * Owns the kc_consumer object and what poll returns, valid until the next
 * poll: keys, values and header values point into the fetched records
 * themselves (a chunk's copy of the response, or a batch's decompressed
 * buffer), kept by `retired` once their chunk is done with them; topics,
 * header arrays and keys (NUL-terminated) and error texts are copied into
 * poll_arena. Application callbacks run only from the app step,
 * i.e. from inside poll/commit_sync/committed/close, never from the loop;
 * blocking calls refuse to run from inside the loop (KC_ERR_STATE). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_group.h"

#define MAX_ERROR_EVENTS 1000
#define WAIT_SLICE_MS 100

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents);

/* ---- loop context ---------------------------------------------------------------------------- */

/* Whether we are inside the client's loop (a response callback, a hook, the
 * kick timer): blocking calls and the app step's blocking parts are off. */
bool kc_consumer_in_loop(const kc_consumer *c)
{
    return c->loop_depth > 0 || c->client->callback_depth > 0;
}

static bool in_loop(const kc_consumer *c)
{
    return kc_consumer_in_loop(c);
}

void kc_consumer_kick(kc_consumer *c)
{
    if (c->closed || ev_is_active(&c->kick))
        return;
    ev_timer_set(&c->kick, 0.0, 0.0);
    ev_timer_start(c->client->loop, &c->kick);
}

void kc_consumer_loop_step(kc_consumer *c)
{
    if (c->closed)
        return;
    c->loop_depth++;
    if (c->metadata_changed && c->group) {
        c->metadata_changed = false;
        kc_group_metadata_changed(c->group);
    }
    if (c->group)
        kc_group_loop_step(c->group);
    kc_commits_run(c);
    kc_auto_commit_run(c);
    kc_positions_lookup_run(c);
    kc_reset_run(c);
    kc_fetcher_run(c);
    c->loop_depth--;
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    kc_consumer *c = w->data;
    kc_consumer_loop_step(c);
    if (c->ready_pending && !c->closed) { /* from the loop's top, never nested */
        c->ready_pending = false;
        c->ready_signalled = true;
        c->loop_depth++;
        c->ready_cb(c, c->ready_opaque);
        c->loop_depth--;
    }
}

static void on_client_event(void *ctx, kc_event ev, kc_conn *conn)
{
    (void)conn;
    kc_consumer *c = ctx;
    if (ev == KC_EV_METADATA)
        c->metadata_changed = true;
    if (ev == KC_EV_TICK)
        kc_consumer_loop_step(c);
    else
        kc_consumer_kick(c);
}

/* ---- events ------------------------------------------------------------------------------------ */

static void event_free(kc_cevent *ev)
{
    free(ev->errstr);
    free(ev->topic);
    kc_partition_list_free(ev->offsets);
    free(ev);
}

void kc_consumer_push_event(kc_consumer *c, kc_cevent *ev)
{
    ev->next = NULL;
    if (c->ev_tail)
        c->ev_tail->next = ev;
    else
        c->ev_head = ev;
    c->ev_tail = ev;
    if (ev->kind == KC_CEV_ERROR)
        c->error_events++;
    else
        c->commit_events++;
    kc_consumer_signal_ready(c);
}

static kc_cevent *pop_event(kc_consumer *c, kc_cevent_kind kind)
{
    for (kc_cevent **p = &c->ev_head, *prev = NULL; *p; prev = *p, p = &(*p)->next) {
        kc_cevent *ev = *p;
        if (ev->kind != kind)
            continue;
        *p = ev->next;
        if (c->ev_tail == ev)
            c->ev_tail = prev;
        if (kind == KC_CEV_ERROR)
            c->error_events--;
        else
            c->commit_events--;
        return ev;
    }
    return NULL;
}

void kc_consumer_error(kc_consumer *c, kc_err err, const char *topic, int32_t partition,
                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kc_log(c->client, ST_LOG_INFO, "%s", msg);
    if (c->error_events >= MAX_ERROR_EVENTS)
        return; /* bounded: the log has it */
    kc_cevent *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return;
    ev->kind = KC_CEV_ERROR;
    ev->err = err;
    ev->errstr = strdup(msg);
    ev->topic = topic ? strdup(topic) : NULL;
    ev->partition = topic ? partition : -1;
    if (!ev->errstr || (topic && !ev->topic)) {
        event_free(ev);
        return;
    }
    kc_consumer_push_event(c, ev);
}

void kc_consumer_set_fatal(kc_consumer *c, kc_err err, const char *msg)
{
    if (c->fatal_err)
        return;
    c->fatal_err = err ? err : KC_ERR_FATAL;
    snprintf(c->fatal_msg, sizeof(c->fatal_msg), "%s", msg);
    kc_log(c->client, ST_LOG_ERROR, "fatal: %s", msg);
    kc_report_error(c->client, KC_ERR_FATAL, msg);
    for (size_t i = 0; i < c->tp_count; i++)
        kc_tp_drop_chunks(c, c->tps[i]);
    kc_consumer_signal_ready(c);
}

void kc_consumer_signal_ready(kc_consumer *c)
{
    if (c->client->own_loop || !c->ready_cb || c->ready_signalled || c->closed)
        return;
    c->ready_pending = true; /* called from on_kick */
    kc_consumer_kick(c);
}

void kc_consumer_call_rebalance(kc_consumer *c, kc_rebalance_event event,
                                const kc_partition_list *parts)
{
    kc_log(c->client, ST_LOG_INFO, "%s %zu partitions",
           event == KC_REBALANCE_ASSIGNED ? "assigned" : event == KC_REBALANCE_REVOKED
           ? "revoked" : "lost", parts->count);
    if (!c->rebalance_cb)
        return;
    c->in_callback++;
    c->rebalance_cb(c, event, parts, c->rebalance_opaque);
    c->in_callback--;
}

/* Runs the callbacks of finished async commits. */
static void serve_commits(kc_consumer *c)
{
    kc_cevent *ev;
    while ((ev = pop_event(c, KC_CEV_COMMIT))) {
        c->in_callback++;
        ev->cb(c, ev->err, ev->offsets, ev->opaque);
        c->in_callback--;
        event_free(ev);
    }
}

void kc_consumer_app_step(kc_consumer *c)
{
    bool work = false;
    if (c->commit_events) {
        serve_commits(c);
        work = true;
    }
    if (c->group && !c->closed && kc_group_needs_app(c->group)) {
        kc_group_app_step(c->group);
        work = true;
    }
    if (work)
        kc_consumer_loop_step(c); /* send what the callbacks and rebalance started */
}

void kc_consumer_wait(kc_consumer *c, int64_t timeout_ms)
{
    kc_client_run_once(c->client, timeout_ms);
}

/* ---- creating and freeing ------------------------------------------------------------------------ */

static kc_err init(kc_consumer *c, const kc_consumer_config *conf, struct ev_loop *loop,
                   char *errstr, size_t errlen)
{
    if (!kc_consumer_settings_copy(&c->s, &conf->s)) {
        snprintf(errstr, errlen, "out of memory");
        return KC_ERR_NOMEM;
    }
    c->rebalance_cb = conf->rebalance_cb;
    c->rebalance_opaque = conf->rebalance_opaque;
    c->commit_cb = conf->commit_cb;
    c->commit_opaque = conf->commit_opaque;
    c->ready_cb = conf->ready_cb;
    c->ready_opaque = conf->ready_opaque;
    c->cooperative = kc_consumer_settings_cooperative(&c->s);
    strmap_init(&c->tp_index);
    kc_sub_init(&c->sub);
    st_arena_init(&c->poll_arena);
    kc_retired_init(&c->retired);
    c->client = kc_client_new_role(conf->client, loop, "consumer", errstr, errlen);
    if (!c->client)
        return KC_ERR_CONFIG;
    c->conf = c->client->conf;
    if (c->s.group_id[0] && !(c->group = kc_group_new(c))) {
        snprintf(errstr, errlen, "out of memory");
        return KC_ERR_NOMEM;
    }
    ev_init(&c->kick, on_kick);
    c->kick.data = c;
    if (!kc_client_add_hook(c->client, on_client_event, c)) {
        snprintf(errstr, errlen, "the client has no free hook");
        return KC_ERR_STATE;
    }
    c->last_poll_ms = kc_now_ms();
    c->next_auto_commit_ms = c->last_poll_ms + c->s.auto_commit_interval_ms;
    return KC_OK;
}

kc_consumer *kc_consumer_new(const kc_consumer_config *conf, struct ev_loop *loop,
                             char *errstr, size_t errlen)
{
    char ignored[8];
    if (!errstr) {
        errstr = ignored;
        errlen = sizeof(ignored);
    }
    if (!conf) {
        snprintf(errstr, errlen, "no configuration given");
        return NULL;
    }
    if (kc_consumer_config_check(conf, errstr, errlen) != KC_OK)
        return NULL;
    kc_consumer *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    if (init(c, conf, loop, errstr, errlen) != KC_OK) {
        kc_consumer_free(c);
        return NULL;
    }
    return c;
}

kc_client *kc_consumer_client(kc_consumer *c)
{
    return c->client;
}

void kc_consumer_free(kc_consumer *c)
{
    if (!c)
        return;
    c->closing = true;
    if (c->client) {
        kc_client_remove_hook(c->client, on_client_event, c);
        ev_timer_stop(c->client->loop, &c->kick);
        c->closed = true;
        kc_client_free(c->client); /* requests in flight complete with DESTROYED */
    }
    c->closed = true;
    kc_commits_fail_all(c, KC_ERR_DESTROYED, "the consumer was freed");
    kc_group_free(c->group);
    kc_tp_remove_all(c);
    kc_retired_free(&c->retired);
    free(c->tps);
    strmap_free(&c->tp_index);
    kc_sub_free(&c->sub);
    while (c->ev_head) {
        kc_cevent *ev = c->ev_head;
        c->ev_head = ev->next;
        event_free(ev);
    }
    st_arena_free(&c->poll_arena);
    free(c->msgs);
    kc_fetcher_free(c);
    kc_consumer_settings_free(&c->s);
    free(c);
}

/* ---- poll -------------------------------------------------------------------------------------- */

static char *arena_copy(st_arena *a, const void *p, size_t n)
{
    char *copy = st_arena_alloc(a, n + 1);
    if (copy && n)
        memcpy(copy, p, n);
    return copy;
}

static bool fill_error(kc_consumer *c, kc_message *m, kc_err err, const char *errstr,
                       const char *topic, int32_t partition)
{
    memset(m, 0, sizeof(*m));
    m->err = err;
    m->errstr = arena_copy(&c->poll_arena, errstr, strlen(errstr));
    m->topic = topic ? arena_copy(&c->poll_arena, topic, strlen(topic)) : NULL;
    m->partition = partition;
    m->offset = KC_OFFSET_INVALID;
    m->timestamp = -1;
    m->leader_epoch = -1;
    return m->errstr != NULL;
}

/* A key or value where it lies in the fetched records (zero copy): for
 * an empty one, a pointer all the same ("" if the slice has none). */
static const void *in_place(st_slice s)
{
    return s.ptr ? (const void *)s.ptr : "";
}

/* Keys and values in place; header keys copied to be NUL-terminated. */
static bool fill_record(kc_consumer *c, kc_message *m, const char *topic, int32_t partition,
                        const kc_chunk_record *r)
{
    st_arena *a = &c->poll_arena;
    memset(m, 0, sizeof(*m));
    m->errstr = "";
    m->topic = topic;
    m->partition = partition;
    m->offset = r->offset;
    m->timestamp = r->timestamp;
    m->timestamp_type = r->timestamp_type;
    m->leader_epoch = r->leader_epoch;
    m->compression = r->codec;
    if (r->rec.key.len >= 0) {
        m->key = in_place(r->rec.key);
        m->key_len = (size_t)r->rec.key.len;
    }
    if (r->rec.value.len >= 0) {
        m->value = in_place(r->rec.value);
        m->value_len = (size_t)r->rec.value.len;
    }
    if (r->rec.header_count <= 0)
        return true;
    kc_header *headers = st_arena_calloc(a, (size_t)r->rec.header_count, sizeof(*headers));
    if (!headers)
        return false;
    st_header_iter it;
    st_record_header h;
    st_header_iter_init(&it, &r->rec);
    size_t n = 0;
    while (n < (size_t)r->rec.header_count && st_header_iter_next(&it, &h)) {
        headers[n].key = arena_copy(a, h.key.ptr, h.key.len > 0 ? (size_t)h.key.len : 0);
        headers[n].value = h.value.len >= 0 ? in_place(h.value) : NULL;
        headers[n].value_len = h.value.len > 0 ? (size_t)h.value.len : 0;
        if (!headers[n].key)
            return false;
        n++;
    }
    m->headers = headers;
    m->header_count = n;
    return true;
}

/* Takes up to max records from tp into out; an error ends the partition's
 * chunk and is queued. Chunks read to the end go to c->retired. */
static size_t take_records(kc_consumer *c, kc_tp *tp, kc_message *out, size_t max)
{
    size_t n = 0;
    const char *topic = NULL;
    while (n < max && tp->chunk_head) {
        kc_chunk_record r;
        char why[256];
        kc_chunk_status st = kc_chunk_poll(tp->chunk_head, &tp->position, &r, &c->retired,
                                           why, sizeof(why));
        if (st == KC_CHUNK_RECORD) {
            if ((!topic && !(topic = arena_copy(&c->poll_arena, tp->topic,
                                                strlen(tp->topic)))) ||
                !fill_record(c, &out[n], topic, tp->partition, &r)) {
                int32_t epoch = tp->position_epoch;
                kc_tp_seek(c, tp, r.offset); /* out of memory: fetch it again later */
                tp->position_epoch = epoch;
                break;
            }
            tp->position_epoch = r.leader_epoch;
            n++;
            continue;
        }
        if (st == KC_CHUNK_ERROR) {
            kc_consumer_error(c, KC_ERR_BAD_RESPONSE, tp->topic, tp->partition,
                              "%s [%d]: %s", tp->topic, tp->partition, why);
            kc_tp_drop_chunks(c, tp);
            tp->fetch_offset = tp->position; /* fetch again from here */
            tp->epoch++;
            tp->fetch_in_flight = false;
            tp->retry_at_ms = kc_now_ms() + 1000;
            break;
        }
        kc_tp_pop_chunk(c, tp);
        kc_consumer_kick(c); /* room for the next fetch */
    }
    return n;
}

/* Fills out[0..max) with what is ready: an error alone, else records. */
static size_t collect(kc_consumer *c, kc_message *out, size_t max)
{
    if (c->fatal_err) {
        char msg[512];
        snprintf(msg, sizeof(msg), "fatal: %s", c->fatal_msg);
        return fill_error(c, &out[0], KC_ERR_FATAL, msg, NULL, -1) ? 1 : 0;
    }
    kc_cevent *ev = pop_event(c, KC_CEV_ERROR);
    if (ev) {
        bool ok = fill_error(c, &out[0], ev->err, ev->errstr, ev->topic, ev->partition);
        event_free(ev);
        return ok ? 1 : 0;
    }
    size_t n = 0;
    for (size_t k = 0; k < c->tp_count && n < max; k++) {
        kc_tp *tp = c->tps[(c->rotation + k) % c->tp_count];
        if (tp->state == KC_TP_READY && !tp->paused && tp->chunk_head)
            n += take_records(c, tp, out + n, max - n);
    }
    if (c->tp_count)
        c->rotation = (c->rotation + 1) % c->tp_count;
    return n;
}

static bool ensure_msgs(kc_consumer *c, size_t max)
{
    if (c->msg_cap >= max)
        return true;
    kc_message *grown = realloc(c->msgs, max * sizeof(*grown));
    if (!grown)
        return false;
    c->msgs = grown;
    c->msg_cap = max;
    return true;
}

static size_t poll_into(kc_consumer *c, int timeout_ms, const kc_message **out, size_t max)
{
    if (c->closed || c->in_callback || max == 0)
        return 0;
    if (max > (size_t)c->s.max_poll_records)
        max = (size_t)c->s.max_poll_records;
    if (!ensure_msgs(c, max))
        return 0;
    /* what the last poll returned is no longer needed */
    st_arena_reset(&c->poll_arena);
    kc_retired_next_poll(&c->retired);
    c->ready_signalled = false;
    int64_t deadline = kc_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int64_t now = kc_now_ms();
        c->last_poll_ms = now;
        if (c->client->own_loop && !in_loop(c) &&
            (ev_is_active(&c->kick) || now - c->last_run_ms >= 10)) {
            c->last_run_ms = now; /* answers in, requests out, without waiting */
            kc_consumer_wait(c, 0);
        }
        kc_consumer_app_step(c);
        size_t n = collect(c, c->msgs, max);
        if (n) {
            for (size_t i = 0; i < n; i++)
                out[i] = &c->msgs[i];
            return n;
        }
        int64_t left = deadline - kc_now_ms();
        if (left <= 0 || in_loop(c))
            return 0;
        kc_consumer_wait(c, left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS);
        c->last_run_ms = kc_now_ms();
    }
}

const kc_message *kc_consumer_poll(kc_consumer *c, int timeout_ms)
{
    const kc_message *m = NULL;
    return c && poll_into(c, timeout_ms, &m, 1) ? m : NULL;
}

size_t kc_consumer_poll_batch(kc_consumer *c, int timeout_ms, const kc_message **out,
                              size_t max)
{
    return c && out ? poll_into(c, timeout_ms, out, max) : 0;
}

/* ---- subscribe / assign -------------------------------------------------------------------------- */

static void on_all_topics(kc_client *client, kc_err err, const char *errstr, void *opaque)
{
    (void)client;
    (void)errstr;
    kc_consumer *c = opaque;
    if (err == KC_ERR_DESTROYED)
        return;
    c->sub_waiting_md = false;
    c->metadata_changed = true;
    kc_sub_update(&c->sub, c->client, c->s.exclude_internal_topics);
    kc_consumer_kick(c);
}

/* Revokes (or reports lost) the whole assignment and leaves the group. */
static void leave_group(kc_consumer *c, const char *why)
{
    kc_group *g = c->group;
    if (c->tp_count) {
        kc_partition_list *parts = kc_tp_list(c);
        if (parts)
            kc_consumer_call_rebalance(c, g->lost || g->generation < 0 ? KC_REBALANCE_LOST
                                                                       : KC_REBALANCE_REVOKED,
                                       parts);
        kc_partition_list_free(parts);
    }
    kc_group_leave(g, why);
    kc_tp_remove_all(c);
}

kc_err kc_consumer_subscribe(kc_consumer *c, const char *const *topics, size_t n)
{
    if (!c || (n && !topics))
        return KC_ERR_INVALID_ARG;
    if (!c->group)
        return kc_fail(c->client, KC_ERR_STATE, "subscribe needs group.id");
    if (c->fatal_err)
        return kc_fail(c->client, KC_ERR_FATAL, "%s", c->fatal_msg);
    char why[300];
    kc_err err = kc_sub_set(&c->sub, topics, n, why, sizeof(why));
    if (err)
        return kc_fail(c->client, err, "%s", why);
    if (n == 0)
        return kc_consumer_unsubscribe(c);
    if (c->mode == KC_MODE_ASSIGNED)
        kc_tp_remove_all(c);
    for (size_t i = 0; i < c->sub.name_count; i++)
        kc_md_want(c->client, c->sub.names[i]);
    if (kc_sub_has_regex(&c->sub) &&
        kc_metadata_refresh(c->client, NULL, 0, c->conf->request_timeout_ms, on_all_topics,
                            c) == KC_OK)
        c->sub_waiting_md = true;
    kc_sub_update(&c->sub, c->client, c->s.exclude_internal_topics);
    c->mode = KC_MODE_SUBSCRIBED;
    kc_group_request_rejoin(c->group, "subscription changed");
    return KC_OK;
}

kc_err kc_consumer_unsubscribe(kc_consumer *c)
{
    if (!c)
        return KC_ERR_INVALID_ARG;
    if (c->mode == KC_MODE_SUBSCRIBED)
        leave_group(c, "the consumer unsubscribed");
    kc_sub_free(&c->sub);
    c->mode = KC_MODE_NONE;
    return KC_OK;
}

kc_err kc_consumer_assign(kc_consumer *c, const kc_partition_list *parts)
{
    if (!c)
        return KC_ERR_INVALID_ARG;
    if (c->mode == KC_MODE_SUBSCRIBED)
        kc_consumer_unsubscribe(c);
    /* partitions that go: commit their positions (auto commit), then drop */
    if (c->group && c->s.enable_auto_commit && c->tp_count) {
        kc_partition_list *offsets = kc_commit_positions(c, true);
        if (offsets)
            kc_commit_queue(c, offsets, false, kc_now_ms() + c->conf->default_api_timeout_ms,
                            c->commit_cb, c->commit_opaque, NULL);
        kc_partition_list_free(offsets);
    }
    for (size_t i = c->tp_count; i-- > 0;)
        if (!parts || !kc_partition_list_find(parts, c->tps[i]->topic, c->tps[i]->partition))
            kc_tp_remove(c, c->tps[i]);
    for (size_t i = 0; parts && i < parts->count; i++) {
        const kc_partition_offset *p = &parts->items[i];
        if (!p->topic || p->partition < 0)
            return kc_fail(c->client, KC_ERR_INVALID_ARG, "bad partition in the assignment");
        kc_tp *tp = kc_tp_find(c, p->topic, p->partition);
        bool explicit = p->offset >= 0 || p->offset == KC_OFFSET_BEGINNING ||
                        p->offset == KC_OFFSET_END;
        if (tp && explicit)
            kc_tp_seek(c, tp, p->offset);
        else if (!tp && !kc_tp_add(c, p->topic, p->partition, p->offset))
            return kc_fail(c->client, KC_ERR_NOMEM, "out of memory");
    }
    c->mode = c->tp_count ? KC_MODE_ASSIGNED : KC_MODE_NONE;
    kc_consumer_kick(c);
    return KC_OK;
}

kc_err kc_consumer_assignment(kc_consumer *c, kc_partition_list **out)
{
    if (!c || !out)
        return KC_ERR_INVALID_ARG;
    *out = kc_tp_list(c);
    return *out ? KC_OK : KC_ERR_NOMEM;
}

/* ---- positions ------------------------------------------------------------------------------------ */

kc_err kc_consumer_seek(kc_consumer *c, const char *topic, int32_t partition, int64_t offset)
{
    if (!c || !topic)
        return KC_ERR_INVALID_ARG;
    if (offset < 0 && offset != KC_OFFSET_BEGINNING && offset != KC_OFFSET_END)
        return kc_fail(c->client, KC_ERR_INVALID_ARG, "seek to offset %lld: not an offset, "
                       "KC_OFFSET_BEGINNING or KC_OFFSET_END", (long long)offset);
    kc_tp *tp = kc_tp_find(c, topic, partition);
    if (!tp)
        return kc_fail(c->client, KC_ERR_STATE, "seek: %s [%d] is not assigned", topic,
                       partition);
    kc_tp_seek(c, tp, offset);
    return KC_OK;
}

int64_t kc_consumer_position(kc_consumer *c, const char *topic, int32_t partition)
{
    kc_tp *tp = c && topic ? kc_tp_find(c, topic, partition) : NULL;
    return tp && tp->state == KC_TP_READY ? tp->position : KC_OFFSET_INVALID;
}

static kc_err set_paused(kc_consumer *c, const kc_partition_list *parts, bool paused)
{
    if (!c || !parts)
        return KC_ERR_INVALID_ARG;
    kc_err err = KC_OK;
    for (size_t i = 0; i < parts->count; i++) {
        kc_tp *tp = kc_tp_find(c, parts->items[i].topic, parts->items[i].partition);
        if (!tp) {
            err = kc_fail(c->client, KC_ERR_STATE, "%s [%d] is not assigned",
                          parts->items[i].topic, parts->items[i].partition);
            continue;
        }
        tp->paused = paused;
    }
    kc_consumer_kick(c);
    return err;
}

kc_err kc_consumer_pause(kc_consumer *c, const kc_partition_list *parts)
{
    return set_paused(c, parts, true);
}

kc_err kc_consumer_resume(kc_consumer *c, const kc_partition_list *parts)
{
    return set_paused(c, parts, false);
}

/* ---- commits ------------------------------------------------------------------------------------- */

static int64_t deadline_of(const kc_consumer *c, int timeout_ms)
{
    return kc_now_ms() + (timeout_ms < 0 ? c->conf->default_api_timeout_ms : timeout_ms);
}

kc_err kc_consumer_commit_sync(kc_consumer *c, kc_partition_list *offsets, int timeout_ms)
{
    if (!c)
        return KC_ERR_INVALID_ARG;
    if (in_loop(c))
        return kc_fail(c->client, KC_ERR_STATE, "kc_consumer_commit_sync may not be called "
                       "from inside the client's loop (use kc_consumer_commit_async)");
    if (c->fatal_err)
        return kc_fail(c->client, KC_ERR_FATAL, "%s", c->fatal_msg);
    kc_partition_list *positions = offsets ? NULL : kc_commit_positions(c, false);
    const kc_partition_list *list = offsets ? offsets : positions;
    if (!list || !list->count)
        return KC_OK;
    kc_commit_wait wait = {0};
    kc_err err = kc_commit_queue(c, list, true, deadline_of(c, timeout_ms), NULL, NULL, &wait);
    kc_partition_list_free(positions);
    if (err)
        return err;
    while (!wait.done)
        kc_consumer_wait(c, WAIT_SLICE_MS);
    for (size_t i = 0; offsets && wait.result && i < wait.result->count; i++) {
        kc_partition_offset *p = kc_partition_list_find(offsets, wait.result->items[i].topic,
                                                        wait.result->items[i].partition);
        if (p)
            p->err = wait.result->items[i].err;
    }
    kc_partition_list_free(wait.result);
    serve_commits(c);
    if (wait.err)
        return kc_fail(c->client, wait.err, "commit failed: %s",
                       wait.errstr[0] ? wait.errstr : kc_err_name(wait.err));
    return KC_OK;
}

kc_err kc_consumer_commit_async(kc_consumer *c, const kc_partition_list *offsets,
                                kc_commit_cb cb, void *opaque)
{
    if (!c)
        return KC_ERR_INVALID_ARG;
    if (c->fatal_err)
        return kc_fail(c->client, KC_ERR_FATAL, "%s", c->fatal_msg);
    kc_partition_list *positions = offsets ? NULL : kc_commit_positions(c, false);
    const kc_partition_list *list = offsets ? offsets : positions;
    if (!list || !list->count)
        return KC_OK;
    kc_err err = kc_commit_queue(c, list, false, deadline_of(c, -1), cb ? cb : c->commit_cb,
                                 cb ? opaque : c->commit_opaque, NULL);
    kc_partition_list_free(positions);
    return err;
}

typedef struct committed_wait {
    bool done;
    kc_err err;
    kc_partition_list *result;
} committed_wait;

static void on_committed(kc_consumer *c, kc_err err, kc_partition_list *parts, void *ctx)
{
    (void)c;
    committed_wait *w = ctx;
    w->done = true;
    w->err = err;
    w->result = parts;
}

kc_err kc_consumer_committed(kc_consumer *c, kc_partition_list *parts, int timeout_ms)
{
    if (!c || !parts)
        return KC_ERR_INVALID_ARG;
    if (in_loop(c))
        return kc_fail(c->client, KC_ERR_STATE, "kc_consumer_committed may not be called from "
                       "inside the client's loop");
    if (!parts->count)
        return KC_OK;
    kc_partition_list *copy = kc_partition_list_copy(parts);
    if (!copy)
        return kc_fail(c->client, KC_ERR_NOMEM, "out of memory");
    committed_wait w = {0};
    kc_err err = kc_lookup_queue(c, copy, deadline_of(c, timeout_ms), on_committed, &w);
    if (err) {
        kc_partition_list_free(copy);
        return err;
    }
    while (!w.done)
        kc_consumer_wait(c, WAIT_SLICE_MS);
    for (size_t i = 0; i < parts->count; i++) {
        kc_partition_offset *dst = &parts->items[i];
        const kc_partition_offset *src =
            kc_partition_list_find(w.result, dst->topic, dst->partition);
        if (!src)
            continue;
        dst->offset = src->offset;
        dst->leader_epoch = src->leader_epoch;
        dst->err = src->err;
        kc_partition_offset_set_metadata(dst, src->metadata);
    }
    kc_partition_list_free(w.result);
    if (w.err)
        return kc_fail(c->client, w.err, "looking up committed offsets: %s%s%s",
                       kc_err_name(w.err), c->group->coord.last_error[0] ? ": " : "",
                       c->group->coord.last_error);
    return KC_OK;
}

/* ---- close ----------------------------------------------------------------------------------------- */

static bool member_in_generation(const kc_consumer *c)
{
    int32_t generation;
    const char *member;
    return c->group && c->mode == KC_MODE_SUBSCRIBED && !c->group->lost &&
           kc_group_commit_generation(c->group, &generation, &member) == KAFKA_NONE &&
           generation >= 0;
}

kc_err kc_consumer_close(kc_consumer *c, int timeout_ms)
{
    if (!c)
        return KC_OK;
    if (c->in_callback || in_loop(c))
        return kc_fail(c->client, KC_ERR_STATE, "kc_consumer_close may not be called from a "
                       "callback");
    int64_t deadline = deadline_of(c, timeout_ms);
    kc_err first = KC_OK;
    bool may_commit = c->group && c->s.enable_auto_commit && !c->fatal_err &&
                      (c->mode == KC_MODE_ASSIGNED || member_in_generation(c));
    if (may_commit) {
        kc_partition_list *offsets = kc_commit_positions(c, true);
        int64_t left = deadline - kc_now_ms();
        if (offsets && left > 0)
            first = kc_consumer_commit_sync(c, offsets, (int)left);
        kc_partition_list_free(offsets);
    }
    if (c->mode == KC_MODE_SUBSCRIBED)
        leave_group(c, "the consumer is being closed");
    c->closing = true;
    while ((c->commits || (c->group && c->group->leave_in_flight)) && kc_now_ms() < deadline)
        kc_consumer_wait(c, WAIT_SLICE_MS);
    kc_commits_fail_all(c, KC_ERR_DESTROYED, "the consumer was closed");
    serve_commits(c);
    kc_consumer_free(c);
    return first;
}

/* ---- group state ------------------------------------------------------------------------------------ */

const char *kc_consumer_member_id(const kc_consumer *c)
{
    return c && c->group ? c->group->member_id : "";
}

int32_t kc_consumer_generation(const kc_consumer *c)
{
    return c && c->group ? c->group->generation : -1;
}

const char *kc_consumer_assignor(const kc_consumer *c)
{
    return c && c->group ? c->group->protocol : "";
}
