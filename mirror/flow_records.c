/* flow_records.c — a flow's data path: consumed source records to produced
 * target records, and acknowledgements to the offset store (see flow.h).
 *
 * Never writes a record out of order within a partition and never moves a
 * partition's position past a record the target has not acknowledged. */
#include "mirror/flow.h"

#include <stdio.h>
#include <string.h>

#include "mirror/provenance.h"

#define MAX_HEADERS_ON_STACK 64
/* Rough per-record overhead of a batch (varints, attributes, header framing). */
#define RECORD_OVERHEAD 70

static bool store_ok(flow_runner *fr, st_err err, mirrored_partition *mp)
{
    if (err == ST_OK)
        return true;
    pending_queue_clear(&mp->pending); /* later acks must not move the position past it */
    flow_partition_stop(fr, mp, "offset store: %s", fr->errbuf);
    return false;
}

/* Every source offset below `to` is mirrored or skipped: record it. */
static void advance_position(flow_runner *fr, mirrored_partition *mp, int64_t to)
{
    if (to <= mp->position)
        return;
    mp->position = to;
    store_key key = flow_partition_key(fr, mp);
    store_ok(fr, offset_store_advance(fr->store, &key, to, fr->errbuf, sizeof(fr->errbuf)), mp);
}

/* A source offset that is not produced (loop prevention): it is covered as
 * soon as every produced record before it is acknowledged. */
static void skip_offset(flow_runner *fr, mirrored_partition *mp, int64_t src)
{
    pending_entry *tail = pending_queue_tail(&mp->pending);
    if (tail) {
        if (tail->covers_to < src + 1)
            tail->covers_to = src + 1;
    } else {
        advance_position(fr, mp, src + 1);
    }
}

static size_t record_size(const kc_message *m)
{
    size_t n = m->key_len + m->value_len + RECORD_OVERHEAD;
    for (size_t i = 0; i < m->header_count; i++)
        n += strlen(m->headers[i].key) + m->headers[i].value_len + 4;
    return n;
}

static int record_compression(const flow_runner *fr, const kc_message *m)
{
    int codec = fr->flow->compression == MIRROR_COMPRESSION_SOURCE ? m->compression
                                                                    : fr->flow->compression;
    return kc_compression_from_codec(codec);
}

/* Puts the consumer back at src for mp (the producer's buffer is full). */
static void rewind_to(flow_runner *fr, mirrored_partition *mp, int64_t src)
{
    kc_consumer_seek(fr->consumer, mp->topic, mp->partition, src);
}

typedef enum produce_outcome { PRODUCED, SKIPPED, BLOCKED, FAILED } produce_outcome;

static produce_outcome produce_one(flow_runner *fr, mirrored_partition *mp, const kc_message *m)
{
    size_t origin_len;
    const char *origin = provenance_origin(m->headers, m->header_count, &origin_len);
    if (origin && origin_len == strlen(fr->target_cluster_id) &&
        memcmp(origin, fr->target_cluster_id, origin_len) == 0)
        return SKIPPED;
    size_t size = record_size(m);
    if (mp->max_message_bytes > 0 && size > (size_t)mp->max_message_bytes) {
        flow_partition_stop(fr, mp,
                            "record at offset %lld is %zu bytes, over the target topic %s's "
                            "max.message.bytes %d: the partition stops here (nothing skipped)",
                            (long long)m->offset, size, mp->target_topic, mp->max_message_bytes);
        return FAILED;
    }
    kc_header stack_headers[MAX_HEADERS_ON_STACK + 2];
    if (m->header_count > MAX_HEADERS_ON_STACK) {
        flow_partition_stop(fr, mp, "record at offset %lld has %zu headers (at most %d supported)",
                            (long long)m->offset, m->header_count, MAX_HEADERS_ON_STACK);
        return FAILED;
    }
    char source_buf[512];
    size_t header_count =
        provenance_headers(m->headers, m->header_count, fr->source_cluster_id, mp->topic,
                           mp->partition, m->offset, source_buf, sizeof(source_buf), stack_headers);
    kc_record rec = {
        .topic = mp->target_topic,
        .partition = mp->partition,
        .key = m->key,
        .key_len = m->key_len,
        .value = m->value,
        .value_len = m->value_len,
        .headers = stack_headers,
        .header_count = header_count,
        .timestamp = m->timestamp,
        .compression = record_compression(fr, m),
    };
    if (!pending_queue_push(&mp->pending, m->offset)) {
        flow_partition_stop(fr, mp, "out of memory");
        return FAILED;
    }
    kc_err err = kc_produce(fr->producer, &rec, mp);
    if (err == KC_OK) {
        mp->bytes += (int64_t)size;
        return PRODUCED;
    }
    /* not queued: take it back off the pending queue (it is the tail) */
    mp->pending.count--;
    if (err == KC_ERR_QUEUE_FULL)
        return BLOCKED;
    flow_partition_stop(fr, mp, "cannot produce offset %lld to %s [%d]: %s", (long long)m->offset,
                        mp->target_topic, mp->partition, kc_client_last_error(kc_producer_client(fr->producer)));
    return FAILED;
}

static mirrored_partition *partition_of(flow_runner *fr, const kc_message *m)
{
    mirrored_partition *mp = fr->last_lookup;
    if (mp && mp->partition == m->partition && strcmp(mp->topic, m->topic) == 0)
        return mp;
    mp = flow_partition(fr, m->topic, m->partition);
    fr->last_lookup = mp;
    return mp;
}

static void report_consumer_error(flow_runner *fr, const kc_message *m)
{
    mirrored_partition *mp = m->topic ? flow_partition(fr, m->topic, m->partition) : NULL;
    if (mp) {
        mp->errors++;
        snprintf(mp->last_error, sizeof(mp->last_error), "source: %s", m->errstr);
    }
    mirror_metrics_add_flow_error(fr->metrics, fr->flow->name, "source", 1);
    st_logf(fr->log, ST_LOG_WARN, "mirror", "flow %s: source %s [%d]: %s: %s", fr->flow->name,
            m->topic ? m->topic : "-", m->partition, kc_err_name(m->err), m->errstr);
}

/* The producer's buffer is full at msgs[from]: every partition with records
 * left in this batch goes back to its first unhandled record (a seek drops
 * what the consumer buffered), to be fetched again once there is room. */
static void rewind_rest(flow_runner *fr, const kc_message **msgs, size_t from, size_t n)
{
    for (size_t j = from; j < n; j++) {
        const kc_message *m = msgs[j];
        mirrored_partition *mp = m->err ? NULL : partition_of(fr, m);
        /* only a partition's first unhandled record counts: its later ones
         * in this batch must not move the rewind past it */
        if (!mp || mp->state != PARTITION_RUNNING || mp->rewound_to >= 0 ||
            m->offset < mp->resume_offset)
            continue;
        rewind_to(fr, mp, m->offset);
        mp->rewound_to = m->offset;
    }
}

void flow_handle_messages(flow_runner *fr, const kc_message **msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const kc_message *m = msgs[i];
        if (m->err) {
            report_consumer_error(fr, m);
            continue;
        }
        mirrored_partition *mp = partition_of(fr, m);
        if (!mp || mp->state != PARTITION_RUNNING || m->offset < mp->resume_offset)
            continue; /* stopped, or an old fetch answer from before a rewind */
        produce_outcome out = produce_one(fr, mp, m);
        if (out == BLOCKED) {
            fr->produce_blocked = true;
            fr->blocked_outstanding = kc_producer_outstanding(fr->producer);
            rewind_rest(fr, msgs, i, n);
            break;
        }
        if (out == FAILED)
            continue;
        mp->resume_offset = m->offset + 1;
        if (out == SKIPPED)
            skip_offset(fr, mp, m->offset);
    }
    /* rewound partitions expect their rewind offset next */
    const char *k;
    void *v;
    for (size_t pos = 0; fr->produce_blocked && strmap_next(&fr->partitions, &pos, &k, &v);) {
        mirrored_partition *mp = v;
        if (mp->rewound_to >= 0) {
            mp->resume_offset = mp->rewound_to;
            mp->rewound_to = -1;
        }
    }
}

void flow_on_delivery(const kc_delivery *d, void *opaque)
{
    (void)opaque;
    mirrored_partition *mp = d->opaque;
    flow_runner *fr = mp->flow;
    pending_entry *head = pending_queue_head(&mp->pending);
    if (!head)
        return; /* the partition was stopped and its queue dropped */
    if (d->err == KC_ERR_DESTROYED) {
        pending_queue_clear(&mp->pending); /* shutting down: resumed from the target log */
        return;
    }
    if (d->err != KC_OK) {
        mirror_metrics_add_flow_error(fr->metrics, fr->flow->name, "produce", 1);
        pending_queue_clear(&mp->pending); /* later acks must not move the position past it */
        flow_partition_stop(fr, mp, "target rejected offset %lld for %s [%d]: %s: %s",
                            (long long)head->src, mp->target_topic, mp->partition,
                            kc_err_name(d->err), d->errstr);
        return;
    }
    pending_entry done = *head;
    pending_queue_pop(&mp->pending);
    store_key key = flow_partition_key(fr, mp);
    if (!store_ok(fr, offset_store_record(fr->store, &key, done.src, d->offset, fr->errbuf,
                                          sizeof(fr->errbuf)),
                  mp))
        return;
    mp->records++;
    if (done.covers_to > done.src + 1)
        advance_position(fr, mp, done.covers_to);
    else if (mp->position < done.src + 1)
        mp->position = done.src + 1; /* offset_store_record raised it in the store */
}

/* Partitions with nothing in flight: everything the consumer has returned
 * is handled, so the consumer's position (past transaction markers and
 * aborted records) is covered. */
void flow_advance_idle(flow_runner *fr)
{
    const char *k;
    void *v;
    for (size_t pos = 0; strmap_next(&fr->partitions, &pos, &k, &v);) {
        mirrored_partition *mp = v;
        if (mp->state != PARTITION_RUNNING || fr->produce_blocked)
            continue;
        int64_t consumed = kc_consumer_position(fr->consumer, mp->topic, mp->partition);
        if (consumed < 0)
            continue; /* not fetched yet */
        pending_entry *tail = pending_queue_tail(&mp->pending);
        if (tail) {
            if (tail->covers_to < consumed)
                tail->covers_to = consumed;
        } else {
            advance_position(fr, mp, consumed);
        }
    }
}
