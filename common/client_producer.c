/* client_producer.c — the producer's public calls (see kafka_client.h and
 * client_producer.h).
 *
 * Owns: kc_produce (checks, each record's codec, partitioning, back-pressure
 * on buffer.memory), the producer's topics and the records waiting for their
 * topic's metadata, the done queue and serving delivery reports, poll,
 * flush, close and free; and, with enable.gapless.guarantee, halting a
 * partition (or a whole topic) once one of its records failed for good.
 * Delivery callbacks run only from kc_producer_poll/flush/close/free, from a
 * kc_produce that waits for memory (owned loop), or from the caller's loop
 * (external loop) — never from inside the sender. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_partitioner.h"
#include "common/client_producer.h"

#define MAX_TOPIC_NAME 249

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static int serve_deliveries(kc_producer *p);

/* ---- wake-ups ----------------------------------------------------------------------- */

void kc_producer_kick(kc_producer *p)
{
    if (p->destroying || ev_is_active(&p->kick))
        return;
    ev_timer_set(&p->kick, 0.0, 0.0);
    ev_timer_start(p->client->loop, &p->kick);
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    kc_producer *p = w->data;
    kc_sender_run(p);
    if (!p->client->own_loop && p->client->callback_depth == 0)
        serve_deliveries(p);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    kc_sender_run(w->data);
}

static void on_client_event(void *ctx, kc_event ev, kc_conn *conn)
{
    (void)ev;
    (void)conn;
    kc_producer_kick(ctx);
}

/* ---- completions and delivery reports ------------------------------------------------- */

void kc_producer_complete(kc_producer *p, kc_batch *b, kc_err err, const char *errstr)
{
    b->err = err;
    if (err && !b->errstr)
        b->errstr = strdup(errstr && *errstr ? errstr : kc_err_name(err));
    if (err)
        b->base_offset = -1;
    kc_batch_drop_records(b);
    st_buf_free(&b->wire);
    st_buf_init(&b->wire);
    b->next = NULL;
    if (p->done_tail)
        p->done_tail->next = b;
    else
        p->done_head = b;
    p->done_tail = b;
    if (!p->client->own_loop)
        kc_producer_kick(p);
}

static int serve_deliveries(kc_producer *p)
{
    kc_client *c = p->client;
    kc_delivery_cb cb = p->conf->delivery_cb;
    int served = 0;
    kc_batch *b;
    while ((b = p->done_head)) {
        p->done_head = b->next;
        if (!p->done_head)
            p->done_tail = NULL;
        for (int32_t i = 0; i < b->count && cb; i++) {
            kc_delivery d = {
                .err = b->err,
                .errstr = b->err ? (b->errstr ? b->errstr : kc_err_name(b->err)) : "",
                .topic = b->topic,
                .partition = b->partition,
                .offset = !b->err && b->base_offset >= 0 ? b->base_offset + i : -1,
                .timestamp = b->log_append_time >= 0 ? b->log_append_time : b->meta[i].timestamp,
                .opaque = b->meta[i].opaque,
            };
            c->callback_depth++;
            cb(&d, p->conf->delivery_opaque);
            c->callback_depth--;
        }
        p->outstanding -= (size_t)b->count;
        served += b->count;
        kc_batch_free(&p->accum, b);
    }
    return served;
}

/* ---- topics ---------------------------------------------------------------------------- */

static kc_ptopic *topic_get(kc_producer *p, const char *name)
{
    kc_ptopic *t = strmap_get_cstr(&p->topics, name);
    if (t)
        return t;
    if (p->topic_count == p->topic_cap) {
        size_t cap = p->topic_cap ? p->topic_cap * 2 : 8;
        kc_ptopic **grown = realloc(p->topic_list, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        p->topic_list = grown;
        p->topic_cap = cap;
    }
    t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strdup(name))) {
        free(t);
        return NULL;
    }
    t->sticky = -1;
    if (strmap_put(&p->topics, st_slice_cstr(name), t) != ST_OK) {
        free(t->name);
        free(t);
        return NULL;
    }
    p->topic_list[p->topic_count++] = t;
    return t;
}

/* Grows t's partition queues to what the metadata says; false when the
 * topic cannot take records yet. */
static bool topic_sync(kc_producer *p, kc_ptopic *t)
{
    const kc_topic_info *md = kc_metadata_topic(p->client, t->name);
    if (!md || md->partition_count <= 0)
        return false;
    if (md->partition_count <= t->count)
        return true;
    kc_partq **grown = realloc(t->parts, (size_t)md->partition_count * sizeof(*grown));
    if (!grown)
        return false;
    t->parts = grown;
    while (t->count < md->partition_count) {
        kc_partq *pq = malloc(sizeof(*pq));
        if (!pq)
            return t->count > 0;
        kc_partq_init(pq, t->name, t->count);
        if (t->halt_err)
            kc_partq_halt(pq, 0, t->halt_err, t->halt_msg);
        t->parts[t->count++] = pq;
    }
    return true;
}

static uint64_t random_of(void *ctx)
{
    return kc_client_random(ctx);
}

static int32_t sticky_next(kc_producer *p, kc_ptopic *t, int32_t previous)
{
    const kc_topic_info *md = kc_metadata_topic(p->client, t->name);
    int32_t stack[256], *avail = stack, n = 0;
    int32_t total = t->count;
    if (md && md->partition_count > 256)
        avail = malloc((size_t)md->partition_count * sizeof(*avail));
    if (md && avail)
        for (int32_t i = 0; i < md->partition_count && i < total; i++)
            if (md->partitions[i].leader >= 0)
                avail[n++] = i;
    int32_t next = kc_sticky_next(t->sticky, previous, total, avail ? avail : stack,
                                  avail ? n : 0, random_of, p->client);
    if (avail != stack)
        free(avail);
    return next;
}

/* Appends one record to its partition (chosen here unless explicit). */
static kc_err append_record(kc_producer *p, kc_ptopic *t, int32_t partition, const kc_append *rec,
                            int64_t now)
{
    bool sticky = false;
    if (partition >= 0) {
        if (partition >= t->count)
            return kc_fail(p->client, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "partition %d of topic "
                           "'%s' does not exist (it has %d)", partition, t->name, t->count);
    } else if (rec->key.len >= 0) {
        partition = kc_partition_for_key(rec->key.ptr, (size_t)rec->key.len, t->count);
    } else {
        if (t->sticky < 0 || t->sticky >= t->count)
            t->sticky = sticky_next(p, t, -1);
        partition = t->sticky;
        sticky = true;
    }
    bool aborted;
    st_err err = kc_accum_append(&p->accum, t->parts[partition], rec, now, sticky, &aborted);
    if (!err && aborted) {
        t->sticky = sticky_next(p, t, partition);
        err = kc_accum_append(&p->accum, t->parts[t->sticky], rec, now, false, &aborted);
    }
    if (err)
        return kc_fail(p->client, KC_ERR_NOMEM, "out of memory appending a record");
    return KC_OK;
}

/* ---- enable.gapless.guarantee ------------------------------------------------------------- */

static bool gapless(const kc_producer *p, kc_err err)
{
    return p->conf->enable_gapless_guarantee && err != KC_ERR_DESTROYED && !p->fatal_err &&
           !p->destroying;
}

void kc_producer_halt_partition(kc_producer *p, kc_batch *b, kc_err err, const char *why)
{
    kc_partq *pq = b->pq;
    if (!pq || !gapless(p, err))
        return;
    char msg[768];
    snprintf(msg, sizeof(msg), "an earlier record of %s-%d failed (%s): later records are not "
             "written, to keep the partition gapless", pq->topic, pq->partition, why);
    if (!pq->halt_err)
        kc_log(p->client, ST_LOG_WARN, "%s-%d halted (enable.gapless.guarantee): a batch of %d "
               "record(s) failed: %s", pq->topic, pq->partition, b->count, why);
    kc_partq_halt_after(pq, b, err, msg);
}

/* A record of t failed before reaching a partition: which partition it
 * would have gone to may be unknown, so every partition of t is halted,
 * from the records appended after it on. */
static void halt_topic(kc_producer *p, kc_ptopic *t, kc_err err, const char *why)
{
    if (t->halt_err || !gapless(p, err))
        return;
    char msg[768];
    snprintf(msg, sizeof(msg), "an earlier record of %s failed (%s): later records are not "
             "written, to keep its partitions gapless", t->name, why);
    kc_log(p->client, ST_LOG_WARN, "topic %s halted (enable.gapless.guarantee): a record failed "
           "before reaching a partition: %s", t->name, why);
    t->halt_err = err;
    t->halt_msg = strdup(msg);
    for (int32_t i = 0; i < t->count; i++)
        kc_partq_halt(t->parts[i], t->parts[i]->next_order, err, t->halt_msg);
}

/* ---- records waiting for metadata ---------------------------------------------------------- */

static kc_err pending_add(kc_producer *p, kc_ptopic *t, int32_t partition, const kc_append *rec,
                          size_t charge, int64_t now)
{
    size_t bytes = (rec->key.len > 0 ? (size_t)rec->key.len : 0) +
                   (rec->value.len > 0 ? (size_t)rec->value.len : 0);
    for (size_t i = 0; i < rec->header_count; i++)
        bytes += (size_t)rec->headers[i].key.len +
                 (rec->headers[i].value.len > 0 ? (size_t)rec->headers[i].value.len : 0);
    kc_pending *pd = calloc(1, sizeof(*pd));
    uint8_t *data = malloc(bytes ? bytes : 1);
    st_record_header *headers = rec->header_count ? calloc(rec->header_count, sizeof(*headers))
                                                  : NULL;
    if (!pd || !data || (rec->header_count && !headers)) {
        free(pd);
        free(data);
        free(headers);
        return kc_fail(p->client, KC_ERR_NOMEM, "out of memory queueing a record");
    }
    size_t at = 0;
#define COPY(dst, src)                                                                  \
    do {                                                                                \
        (dst) = (src);                                                                  \
        if ((src).len > 0) {                                                            \
            memcpy(data + at, (src).ptr, (size_t)(src).len);                            \
            (dst).ptr = data + at;                                                      \
            at += (size_t)(src).len;                                                    \
        }                                                                               \
    } while (0)
    pd->rec = *rec;
    COPY(pd->rec.key, rec->key);
    COPY(pd->rec.value, rec->value);
    for (size_t i = 0; i < rec->header_count; i++) {
        COPY(headers[i].key, rec->headers[i].key);
        COPY(headers[i].value, rec->headers[i].value);
    }
#undef COPY
    pd->rec.headers = headers;
    pd->headers = headers;
    pd->data = data;
    pd->partition = partition;
    pd->charged = charge;
    pd->enqueued_ms = now;
    p->accum.memory_used += charge;
    if (t->pending_tail)
        t->pending_tail->next = pd;
    else
        t->pending_head = pd;
    t->pending_tail = pd;
    return KC_OK;
}

static kc_pending *pending_pop(kc_ptopic *t)
{
    kc_pending *pd = t->pending_head;
    t->pending_head = pd->next;
    if (!t->pending_head)
        t->pending_tail = NULL;
    return pd;
}

static void pending_free(kc_pending *pd)
{
    free(pd->data);
    free(pd->headers);
    free(pd);
}

/* Fails one waiting record: its charge moves to a one-record batch on the
 * done queue. */
static void pending_fail(kc_producer *p, kc_ptopic *t, kc_pending *pd, kc_err err,
                         const char *msg)
{
    halt_topic(p, t, err, msg);
    kc_batch *b = kc_batch_new_single(pd->rec.opaque, pd->rec.timestamp, pd->charged);
    if (!b) { /* no memory for a report: count it as reported */
        p->accum.memory_used -= pd->charged;
        p->outstanding--;
        pending_free(pd);
        return;
    }
    b->topic = t->name;
    b->partition = pd->partition;
    pending_free(pd);
    kc_producer_complete(p, b, err, msg);
}

static bool permanent_topic_error(int16_t code)
{
    return code && code != KAFKA_UNKNOWN_TOPIC_OR_PARTITION &&
           code != KAFKA_LEADER_NOT_AVAILABLE && !kafka_error_retriable(code);
}

static void route_topic(kc_producer *p, kc_ptopic *t, int64_t now, int64_t *wake)
{
    if (topic_sync(p, t)) {
        while (t->pending_head) {
            kc_pending *pd = pending_pop(t);
            p->accum.memory_used -= pd->charged;
            kc_err err = append_record(p, t, pd->partition, &pd->rec, now);
            if (err) {
                p->accum.memory_used += pd->charged;
                pending_fail(p, t, pd, err, kc_client_last_error(p->client));
            } else {
                pending_free(pd);
            }
        }
        return;
    }
    const kc_topic_info *md = kc_metadata_topic(p->client, t->name);
    if (md && permanent_topic_error(md->error)) {
        char msg[384];
        snprintf(msg, sizeof(msg), "topic '%s': %s", t->name, kafka_error_name(md->error));
        while (t->pending_head)
            pending_fail(p, t, pending_pop(t), md->error, msg);
        return;
    }
    int64_t max_block = p->conf->max_block_ms;
    while (t->pending_head && now - t->pending_head->enqueued_ms >= max_block) {
        char msg[512];
        const char *why = p->client->md.last_success_ms ? "" : p->client->last_conn_error;
        snprintf(msg, sizeof(msg), "Topic %s not present in metadata after %lld ms%s%s", t->name,
                 (long long)max_block, *why ? ": " : "", why);
        pending_fail(p, t, pending_pop(t), KAFKA_UNKNOWN_TOPIC_OR_PARTITION, msg);
    }
    if (t->pending_head) {
        kc_md_want(p->client, t->name);
        if (t->pending_head->enqueued_ms + max_block < *wake)
            *wake = t->pending_head->enqueued_ms + max_block;
    }
}

void kc_producer_route_pending(kc_producer *p, int64_t now_ms, int64_t *wake_ms)
{
    for (size_t i = 0; i < p->topic_count; i++)
        if (p->topic_list[i]->pending_head)
            route_topic(p, p->topic_list[i], now_ms, wake_ms);
}

/* ---- failing everything ------------------------------------------------------------------------ */

void kc_producer_fail_all(kc_producer *p, kc_err err, const char *errstr)
{
    for (size_t i = 0; i < p->topic_count; i++) {
        kc_ptopic *t = p->topic_list[i];
        while (t->pending_head)
            pending_fail(p, t, pending_pop(t), err, errstr);
        for (int32_t j = 0; j < t->count; j++) {
            kc_batch *b;
            while ((b = kc_partq_pop(t->parts[j])))
                kc_producer_complete(p, b, err, errstr);
        }
    }
}

void kc_producer_set_fatal(kc_producer *p, kc_err err, const char *msg)
{
    if (p->fatal_err)
        return;
    p->fatal_err = err ? err : KC_ERR_FATAL;
    snprintf(p->fatal_msg, sizeof(p->fatal_msg), "%s", msg);
    kc_log(p->client, ST_LOG_ERROR, "fatal: %s", msg);
    kc_report_error(p->client, KC_ERR_FATAL, msg);
    kc_producer_fail_all(p, p->fatal_err, msg);
}

/* ---- creating and freeing ------------------------------------------------------------------------ */

kc_producer *kc_producer_new(const kc_config *conf, struct ev_loop *loop, char *errstr,
                             size_t errlen)
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
    kc_config *copy = kc_config_dup(conf);
    if (!copy) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    kc_producer *p = NULL;
    if (kc_config_check_producer(copy, errstr, errlen) != KC_OK)
        goto out;
    p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, errlen, "out of memory");
        goto out;
    }
    p->client = kc_client_new_role(copy, loop, "producer", errstr, errlen);
    if (!p->client) {
        free(p);
        p = NULL;
        goto out;
    }
    p->conf = p->client->conf;
    kc_accum_init(&p->accum, p->conf->batch_size, p->conf->linger_ms,
                  (size_t)p->conf->buffer_memory);
    strmap_init(&p->topics);
    kc_idem_init(p);
    ev_init(&p->kick, on_kick);
    p->kick.data = p;
    ev_init(&p->timer, on_timer);
    p->timer.data = p;
    p->next_wake_ms = INT64_MAX;
    kc_client_add_hook(p->client, on_client_event, p);
out:
    kc_config_free(copy);
    return p;
}

kc_client *kc_producer_client(kc_producer *p)
{
    return p->client;
}

size_t kc_producer_outstanding(const kc_producer *p)
{
    return p->outstanding;
}

void kc_producer_free(kc_producer *p)
{
    if (!p)
        return;
    kc_client *c = p->client;
    p->destroying = true;
    ev_timer_stop(c->loop, &p->kick);
    ev_timer_stop(c->loop, &p->timer);
    kc_client_remove_hook(c, on_client_event, p);
    kc_producer_fail_all(p, KC_ERR_DESTROYED, "the producer was freed");
    c->destroying = true;
    /* Frees the connections: in-flight batches complete with DESTROYED. The
     * producer still exists, so they land on the done queue. */
    for (size_t i = 0; i < c->conn_count; i++)
        conn_free(c->conns[i]);
    c->conn_count = 0;
    serve_deliveries(p);
    kc_client_free(c);
    for (size_t i = 0; i < p->topic_count; i++) {
        kc_ptopic *t = p->topic_list[i];
        for (int32_t j = 0; j < t->count; j++) {
            kc_partq_release(t->parts[j]);
            free(t->parts[j]);
        }
        free(t->parts);
        free(t->halt_msg);
        free(t->name);
        free(t);
    }
    free(p->topic_list);
    strmap_free(&p->topics);
    free(p);
}

/* ---- producing ----------------------------------------------------------------------------- */

static bool may_block(const kc_producer *p)
{
    return p->client->own_loop && p->conf->max_block_ms > 0 && p->client->callback_depth == 0;
}

static kc_err wait_for_memory(kc_producer *p, size_t charge)
{
    kc_client *c = p->client;
    if (kc_accum_has_room(&p->accum, charge))
        return KC_OK;
    if (!may_block(p))
        return kc_fail(c, KC_ERR_QUEUE_FULL, "buffer.memory (%zu bytes) is full",
                       p->accum.memory_limit);
    int64_t deadline = kc_now_ms() + p->conf->max_block_ms;
    p->accum.exhausted = true;
    kc_err err = KC_OK;
    while (!kc_accum_has_room(&p->accum, charge)) {
        serve_deliveries(p);
        if (kc_accum_has_room(&p->accum, charge) || p->fatal_err)
            break;
        int64_t left = deadline - kc_now_ms();
        if (left <= 0) {
            err = kc_fail(c, KC_ERR_QUEUE_FULL, "Failed to allocate memory within the configured "
                          "max blocking time %lld ms (buffer.memory %zu bytes)",
                          (long long)p->conf->max_block_ms, p->accum.memory_limit);
            break;
        }
        kc_sender_run(p);
        kc_client_run_once(c, left < 100 ? left : 100);
    }
    p->accum.exhausted = false;
    if (!err && p->fatal_err)
        err = kc_fail(c, KC_ERR_FATAL, "%s", p->fatal_msg);
    return err;
}

static kc_err check_record(kc_producer *p, const kc_record *rec)
{
    kc_client *c = p->client;
    if (!rec || !rec->topic || !*rec->topic)
        return kc_fail(c, KC_ERR_INVALID_ARG, "a record needs a topic");
    if (strlen(rec->topic) > MAX_TOPIC_NAME)
        return kc_fail(c, KC_ERR_INVALID_ARG, "topic name longer than %d characters",
                       MAX_TOPIC_NAME);
    if (rec->partition < KC_PARTITION_ANY)
        return kc_fail(c, KC_ERR_INVALID_ARG, "partition %d is not valid", rec->partition);
    if (rec->key_len > INT32_MAX || rec->value_len > INT32_MAX)
        return kc_fail(c, KC_ERR_RECORD_TOO_LARGE, "key or value larger than 2 GB");
    if (rec->compression < KC_COMPRESSION_PRODUCER || rec->compression > KC_COMPRESSION_ZSTD)
        return kc_fail(c, KC_ERR_INVALID_ARG, "compression %d is not a KC_COMPRESSION_* value",
                       rec->compression);
    if (rec->header_count > 10000 || (rec->header_count && !rec->headers))
        return kc_fail(c, KC_ERR_INVALID_ARG, "bad headers");
    for (size_t i = 0; i < rec->header_count; i++)
        if (!rec->headers[i].key || rec->headers[i].value_len > INT32_MAX)
            return kc_fail(c, KC_ERR_INVALID_ARG, "header %zu has no key", i);
    if (p->fatal_err)
        return kc_fail(c, KC_ERR_FATAL, "%s", p->fatal_msg);
    if (p->destroying)
        return kc_fail(c, KC_ERR_STATE, "the producer is being freed");
    return KC_OK;
}

static st_slice slice_of(const void *p, size_t len)
{
    return p ? st_slice_from(p, len) : ST_SLICE_NULL;
}

/* Kafka's codec id for the record's batch: its own, else compression.type. */
static int record_codec(const kc_producer *p, const kc_record *rec)
{
    if (rec->compression == KC_COMPRESSION_PRODUCER)
        return p->conf->compression_type;
    return rec->compression - 1;
}

static kc_err produce_one(kc_producer *p, const kc_record *rec, void *opaque,
                          st_record_header *headers)
{
    kc_client *c = p->client;
    for (size_t i = 0; i < rec->header_count; i++) {
        headers[i].key = st_slice_cstr(rec->headers[i].key);
        headers[i].value = slice_of(rec->headers[i].value, rec->headers[i].value_len);
    }
    kc_append app = {
        .key = slice_of(rec->key, rec->key_len),
        .value = slice_of(rec->value, rec->value_len),
        .headers = headers,
        .header_count = rec->header_count,
        .timestamp = rec->timestamp == KC_TIMESTAMP_NOW ? kc_wallclock_ms() : rec->timestamp,
        .opaque = opaque,
        .codec = record_codec(p, rec),
    };
    size_t charge = kc_record_charge(&app);
    if (charge > (size_t)p->conf->max_request_size)
        return kc_fail(c, KC_ERR_RECORD_TOO_LARGE, "The message is %zu bytes when serialized "
                       "which is larger than max.request.size (%d)", charge,
                       p->conf->max_request_size);
    if (charge > p->accum.memory_limit)
        return kc_fail(c, KC_ERR_RECORD_TOO_LARGE, "The message is %zu bytes when serialized "
                       "which is larger than buffer.memory (%zu)", charge, p->accum.memory_limit);
    kc_err err = wait_for_memory(p, charge);
    if (err)
        return err;
    kc_ptopic *t = topic_get(p, rec->topic);
    if (!t)
        return kc_fail(c, KC_ERR_NOMEM, "out of memory");
    int64_t now = kc_now_ms();
    if (t->pending_head || !topic_sync(p, t)) {
        err = pending_add(p, t, rec->partition, &app, charge, now);
        if (!err) {
            kc_md_want(c, t->name);
            kc_producer_kick(p);
        }
    } else {
        err = append_record(p, t, rec->partition, &app, now);
    }
    if (err)
        return err;
    p->outstanding++;
    return KC_OK;
}

kc_err kc_produce(kc_producer *p, const kc_record *rec, void *opaque)
{
    if (!p)
        return KC_ERR_INVALID_ARG;
    kc_err err = check_record(p, rec);
    if (err)
        return err;
    st_record_header stack[16];
    st_record_header *headers = stack;
    if (rec->header_count > 16 && !(headers = calloc(rec->header_count, sizeof(*headers))))
        return kc_fail(p->client, KC_ERR_NOMEM, "out of memory");
    uint64_t created = p->accum.batches_created, filled = p->accum.batches_filled;
    err = produce_one(p, rec, opaque, headers);
    if (headers != stack)
        free(headers);
    if (err)
        return err;
    /* A full batch (or linger.ms=0, or a linger time that passed while the
     * owned loop was not running) goes out now; with an owned loop it is
     * written right away. A new batch needs its linger timer armed. */
    if (p->conf->linger_ms == 0 || p->accum.batches_filled != filled ||
        kc_now_ms() >= p->next_wake_ms) {
        kc_producer_kick(p);
        if (p->client->own_loop && p->client->callback_depth == 0)
            kc_client_run_once(p->client, 0);
    } else if (p->accum.batches_created != created) {
        kc_producer_kick(p);
    }
    return KC_OK;
}

/* ---- poll, flush, close ---------------------------------------------------------------------- */

int kc_producer_poll(kc_producer *p, int timeout_ms)
{
    kc_client *c = p->client;
    if (c->callback_depth)
        return 0;
    int served = serve_deliveries(p);
    if (served)
        return served;
    kc_client_run_once(c, timeout_ms);
    return serve_deliveries(p);
}

kc_err kc_producer_flush(kc_producer *p, int timeout_ms)
{
    kc_client *c = p->client;
    if (c->callback_depth)
        return kc_fail(c, KC_ERR_STATE, "kc_producer_flush may not be called from a callback");
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : kc_now_ms() + timeout_ms;
    p->accum.flushing++;
    kc_sender_run(p);
    kc_err err = KC_OK;
    for (;;) {
        serve_deliveries(p);
        if (p->outstanding == 0)
            break;
        int64_t left = deadline == INT64_MAX ? 100 : deadline - kc_now_ms();
        if (left <= 0) {
            err = kc_fail(c, KC_ERR_TIMED_OUT, "flush timed out after %d ms with %zu record(s) "
                          "outstanding", timeout_ms, p->outstanding);
            break;
        }
        kc_client_run_once(c, left < 100 ? left : 100);
    }
    p->accum.flushing--;
    return err;
}

kc_err kc_producer_close(kc_producer *p, int timeout_ms)
{
    if (!p)
        return KC_OK;
    kc_err err = p->client->callback_depth ? KC_ERR_STATE : kc_producer_flush(p, timeout_ms);
    kc_producer_free(p);
    return err;
}
