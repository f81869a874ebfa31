/* client_accumulator.c — record batches per partition and the memory
 * account (see client_accumulator.h). */
#include "common/client_accumulator.h"

#include <stdlib.h>
#include <string.h>

#define META_OVERHEAD sizeof(kc_rec_meta)
#define BATCH_OVERHEAD (sizeof(kc_batch) + ST_BATCH_HEADER_SIZE)
/* A record's deltas take at most 10 (timestamp) + 5 (offset) bytes. */
#define DELTA_SLACK 15

void kc_accum_init(kc_accum *a, int32_t batch_size, int64_t linger_ms, size_t memory_limit)
{
    memset(a, 0, sizeof(*a));
    a->batch_size = batch_size;
    a->linger_ms = linger_ms;
    a->memory_limit = memory_limit;
}

void kc_partq_init(kc_partq *pq, const char *topic, int32_t partition)
{
    memset(pq, 0, sizeof(*pq));
    pq->topic = topic;
    pq->partition = partition;
}

static size_t slice_size(st_slice s)
{
    return s.len < 0 ? st_varint_size(-1) : st_varint_size(s.len) + (size_t)s.len;
}

size_t kc_record_encoded_size(int64_t timestamp_delta, int32_t offset_delta, const kc_append *rec)
{
    size_t body = 1 + st_varlong_size(timestamp_delta) + st_varint_size(offset_delta) +
                  slice_size(rec->key) + slice_size(rec->value) +
                  st_varint_size((int32_t)rec->header_count);
    for (size_t i = 0; i < rec->header_count; i++)
        body += slice_size(rec->headers[i].key) + slice_size(rec->headers[i].value);
    return st_varint_size((int32_t)body) + body;
}

size_t kc_record_charge(const kc_append *rec)
{
    return kc_record_encoded_size(0, 0, rec) + DELTA_SLACK + META_OVERHEAD + BATCH_OVERHEAD;
}

static kc_batch *batch_new(kc_partq *pq, int64_t now_ms, int64_t timestamp, int codec)
{
    kc_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    st_batch_builder_init(&b->builder);
    st_buf_init(&b->wire);
    b->pq = pq;
    b->order = pq ? pq->next_order++ : 0;
    b->created_ms = now_ms;
    b->base_timestamp = timestamp;
    b->codec = codec;
    b->base_sequence = -1;
    b->producer_id = -1;
    b->producer_epoch = -1;
    b->base_offset = -1;
    b->log_append_time = -1;
    b->topic = pq ? pq->topic : NULL;
    b->partition = pq ? pq->partition : -1;
    return b;
}

static bool grow_meta(kc_batch *b)
{
    if (b->count < b->meta_cap)
        return true;
    int32_t cap = b->meta_cap ? b->meta_cap * 2 : 16;
    kc_rec_meta *grown = realloc(b->meta, (size_t)cap * sizeof(*grown));
    if (!grown)
        return false;
    b->meta = grown;
    b->meta_cap = cap;
    return true;
}

static void push_tail(kc_partq *pq, kc_batch *b)
{
    b->next = NULL;
    if (pq->tail)
        pq->tail->next = b;
    else
        pq->head = b;
    pq->tail = b;
    pq->queued++;
}

/* Closes the open batch b: it is ready to send. */
static void close_batch(kc_accum *a, kc_batch *b)
{
    b->closed = true;
    a->batches_filled++;
}

/* The open batch at the tail that can take a record of the given size, or
 * NULL. A tail of another codec is closed, and *codec_change set. */
static kc_batch *open_batch(kc_accum *a, kc_partq *pq, const kc_append *rec, size_t *size,
                            bool *codec_change)
{
    kc_batch *b = pq->tail;
    *codec_change = false;
    if (!b || b->closed)
        return NULL;
    if (b->codec != rec->codec) {
        close_batch(a, b);
        *codec_change = true;
        return NULL;
    }
    *size = kc_record_encoded_size(rec->timestamp - b->base_timestamp, b->count, rec);
    if (b->count > 0 && ST_BATCH_HEADER_SIZE + b->records_size + *size > (size_t)a->batch_size) {
        close_batch(a, b);
        return NULL;
    }
    return b;
}

st_err kc_accum_append(kc_accum *a, kc_partq *pq, const kc_append *rec, int64_t now_ms,
                       bool abort_on_new_batch, bool *aborted)
{
    *aborted = false;
    size_t size = 0;
    bool codec_change;
    kc_batch *b = open_batch(a, pq, rec, &size, &codec_change);
    size_t charge = 0;
    if (!b) {
        if (abort_on_new_batch && !codec_change) {
            *aborted = true;
            return ST_OK;
        }
        b = batch_new(pq, now_ms, rec->timestamp, rec->codec);
        if (!b)
            return ST_ERR_NOMEM;
        size = kc_record_encoded_size(0, 0, rec);
        charge = BATCH_OVERHEAD;
        push_tail(pq, b);
        a->batches_created++;
    }
    if (!grow_meta(b))
        return ST_ERR_NOMEM;
    st_record_fields fields = {
        .offset_delta = b->count,
        .timestamp_delta = rec->timestamp - b->base_timestamp,
        .key = rec->key,
        .value = rec->value,
        .headers = rec->headers,
        .header_count = rec->header_count,
    };
    st_err err = st_batch_builder_add(&b->builder, &fields);
    if (err)
        return err;
    b->meta[b->count] = (kc_rec_meta){rec->opaque, rec->timestamp};
    b->count++;
    b->records_size += size;
    charge += size + META_OVERHEAD;
    b->charged += charge;
    a->memory_used += charge;
    if (ST_BATCH_HEADER_SIZE + b->records_size >= (size_t)a->batch_size)
        close_batch(a, b);
    return ST_OK;
}

bool kc_accum_sendable(const kc_accum *a, const kc_batch *b, int64_t now_ms, int64_t *wake_ms)
{
    if (b->retry_at_ms > now_ms) {
        if (b->retry_at_ms < *wake_ms)
            *wake_ms = b->retry_at_ms;
        return false;
    }
    if (b->closed || b->attempts > 0 || a->flushing > 0 || a->exhausted || b->next)
        return true;
    int64_t ready_at = b->created_ms + a->linger_ms;
    if (now_ms >= ready_at)
        return true;
    if (ready_at < *wake_ms)
        *wake_ms = ready_at;
    return false;
}

kc_batch *kc_partq_pop(kc_partq *pq)
{
    kc_batch *b = pq->head;
    if (!b)
        return NULL;
    pq->head = b->next;
    if (!pq->head)
        pq->tail = NULL;
    b->next = NULL;
    b->closed = true;
    pq->queued--;
    return b;
}

/* Whether (order, index) sorts before (other_order, other_index). */
static bool sorts_before(uint64_t order, int32_t index, uint64_t other_order, int32_t other_index)
{
    return order < other_order || (order == other_order && index < other_index);
}

void kc_partq_requeue(kc_partq *pq, kc_batch *b)
{
    b->closed = true;
    kc_batch **link = &pq->head;
    while (*link && sorts_before((*link)->order, (*link)->split_index, b->order, b->split_index))
        link = &(*link)->next;
    b->next = *link;
    *link = b;
    if (!b->next)
        pq->tail = b;
    pq->queued++;
}

kc_batch *kc_partq_expire_head(kc_partq *pq, int64_t now_ms, int64_t timeout_ms)
{
    kc_batch *b = pq->head;
    if (!b || now_ms - b->created_ms < timeout_ms)
        return NULL;
    return kc_partq_pop(pq);
}

/* Halts from (from, index) in the (order, split_index) sort. */
static void halt_at(kc_partq *pq, uint64_t from, int32_t index, kc_err err, const char *msg)
{
    if (pq->halt_err && !sorts_before(from, index, pq->halt_from, pq->halt_from_index))
        return;
    free(pq->halt_msg);
    pq->halt_msg = msg ? strdup(msg) : NULL;
    pq->halt_err = err ? err : KC_ERR_FATAL;
    pq->halt_from = from;
    pq->halt_from_index = index;
    kc_batch *open = pq->tail;
    if (open && !open->closed && sorts_before(open->order, open->split_index, from, index))
        open->closed = true;
}

void kc_partq_halt(kc_partq *pq, uint64_t from, kc_err err, const char *msg)
{
    halt_at(pq, from, 0, err, msg);
}

void kc_partq_halt_after(kc_partq *pq, const kc_batch *b, kc_err err, const char *msg)
{
    halt_at(pq, b->order, b->split_index + b->count, err, msg);
}

bool kc_partq_halts(const kc_partq *pq, const kc_batch *b)
{
    return b && pq->halt_err &&
           !sorts_before(b->order, b->split_index, pq->halt_from, pq->halt_from_index);
}

kc_batch *kc_partq_pop_halted(kc_partq *pq)
{
    return kc_partq_halts(pq, pq->head) ? kc_partq_pop(pq) : NULL;
}

void kc_partq_release(kc_partq *pq)
{
    free(pq->halt_msg);
    pq->halt_msg = NULL;
}

kc_batch *kc_batch_new_single(void *opaque, int64_t timestamp, size_t charged)
{
    kc_batch *b = batch_new(NULL, 0, timestamp, ST_CODEC_NONE);
    if (!b)
        return NULL;
    b->meta = malloc(sizeof(*b->meta));
    if (!b->meta) {
        free(b);
        return NULL;
    }
    b->meta_cap = 1;
    b->meta[0] = (kc_rec_meta){opaque, timestamp};
    b->count = 1;
    b->charged = charged;
    b->closed = true;
    return b;
}

void kc_batch_drop_records(kc_batch *b)
{
    st_batch_builder_free(&b->builder);
    st_batch_builder_init(&b->builder);
}

void kc_batch_free(kc_accum *a, kc_batch *b)
{
    if (!b)
        return;
    a->memory_used -= b->charged <= a->memory_used ? b->charged : a->memory_used;
    st_batch_builder_free(&b->builder);
    st_buf_free(&b->wire);
    free(b->meta);
    free(b->errstr);
    free(b);
}

/* ---- splitting a batch refused as too large ------------------------------------------------ */

/* An empty piece of b that will hold its records [from, from + n). */
static kc_batch *piece_new(const kc_batch *b, int32_t from, int32_t n)
{
    kc_batch *piece = batch_new(NULL, b->created_ms, b->base_timestamp, b->codec);
    if (!piece)
        return NULL;
    piece->meta = malloc((size_t)n * sizeof(*piece->meta));
    if (!piece->meta) {
        free(piece);
        return NULL;
    }
    memcpy(piece->meta, b->meta + from, (size_t)n * sizeof(*piece->meta));
    piece->meta_cap = n;
    piece->pq = b->pq;
    piece->order = b->order;
    piece->split_index = b->split_index + from;
    piece->topic = b->topic;
    piece->partition = b->partition;
    piece->producer_id = b->producer_id;
    piece->producer_epoch = b->producer_epoch;
    piece->closed = true;
    if (b->base_sequence >= 0) {
        int64_t seq = (int64_t)b->base_sequence + from; /* sequences wrap as the sender's */
        piece->base_sequence = (int32_t)(seq > INT32_MAX ? seq - INT32_MAX - 1 : seq);
    }
    return piece;
}

/* Appends one decoded record to piece (the first one sets its base
 * timestamp). hdrs (capacity *cap) is scratch for the record's headers. */
static st_err piece_add(kc_batch *piece, const st_record *rec, st_record_header **hdrs,
                        size_t *cap)
{
    size_t n = rec->header_count > 0 ? (size_t)rec->header_count : 0;
    if (n > *cap) {
        st_record_header *grown = realloc(*hdrs, n * sizeof(*grown));
        if (!grown)
            return ST_ERR_NOMEM;
        *hdrs = grown;
        *cap = n;
    }
    st_header_iter it;
    st_header_iter_init(&it, rec);
    size_t got = 0;
    while (got < n && st_header_iter_next(&it, &(*hdrs)[got]))
        got++;
    if (got != n)
        return ST_ERR_MALFORMED;
    if (piece->count == 0)
        piece->base_timestamp = rec->timestamp;
    st_record_fields fields = {
        .offset_delta = piece->count,
        .timestamp_delta = rec->timestamp - piece->base_timestamp,
        .key = rec->key,
        .value = rec->value,
        .headers = *hdrs,
        .header_count = n,
    };
    size_t before = piece->builder.records.len;
    st_err err = st_batch_builder_add(&piece->builder, &fields);
    if (err)
        return err;
    piece->records_size += piece->builder.records.len - before;
    piece->count++;
    return ST_OK;
}

/* Decodes b's wire bytes into the two pieces (records [0, half) and
 * [half, count)). */
static st_err fill_pieces(const kc_batch *b, int32_t half, kc_batch *pieces[2])
{
    st_batch batch;
    st_err err = st_batch_parse(b->wire.data, b->wire.len, false, &batch);
    if (err)
        return err;
    if (batch.header.record_count != b->count)
        return ST_ERR_MALFORMED;
    st_record_iter it;
    err = st_record_iter_init(&it, &batch, 2 * b->records_size + 65536);
    st_record_header *hdrs = NULL;
    size_t cap = 0;
    st_record rec;
    int32_t i = 0;
    while (!err && st_record_iter_next(&it, &rec)) {
        if (i >= b->count) {
            err = ST_ERR_MALFORMED;
            break;
        }
        err = piece_add(pieces[i < half ? 0 : 1], &rec, &hdrs, &cap);
        i++;
    }
    if (!err && (it.err || i != b->count))
        err = it.err ? it.err : ST_ERR_MALFORMED;
    free(hdrs);
    st_record_iter_free(&it);
    return err;
}

st_err kc_batch_split(kc_accum *a, kc_batch *b, kc_batch *pieces[2])
{
    pieces[0] = pieces[1] = NULL;
    if (b->count < 2 || !b->pq || b->wire.len == 0)
        return ST_ERR_UNSUPPORTED;
    int32_t half = (b->count + 1) / 2;
    pieces[0] = piece_new(b, 0, half);
    pieces[1] = pieces[0] ? piece_new(b, half, b->count - half) : NULL;
    st_err err = pieces[1] ? fill_pieces(b, half, pieces) : ST_ERR_NOMEM;
    if (err) {
        for (int i = 0; i < 2; i++)
            kc_batch_free(a, pieces[i]); /* charged nothing yet */
        pieces[0] = pieces[1] = NULL;
        return err;
    }
    /* the charge moves to the pieces, shared by their record counts */
    pieces[0]->charged = b->charged / (size_t)b->count * (size_t)half;
    pieces[1]->charged = b->charged - pieces[0]->charged;
    b->charged = 0;
    kc_batch_free(a, b);
    return ST_OK;
}
