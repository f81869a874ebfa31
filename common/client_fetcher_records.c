/* client_fetcher_records.c — reading one partition's fetched records in
 * offset order, decompressing, skipping control batches and aborted
 * transactions; keeping what a poll handed out until the next poll
 * (kc_retired). See client_fetcher_records.h. */
#include "common/client_fetcher_records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/record.h"

static int aborted_cmp(const void *a, const void *b)
{
    int64_t x = ((const kc_aborted_txn *)a)->first_offset;
    int64_t y = ((const kc_aborted_txn *)b)->first_offset;
    return (x > y) - (x < y);
}

/* The offset after the last complete batch, or -1. */
static int64_t scan_end_offset(const uint8_t *data, size_t len)
{
    st_batch_iter it;
    st_batch b;
    int64_t end = -1;
    st_batch_iter_init(&it, data, len, false);
    while (st_batch_iter_next(&it, &b) == ST_BATCH_OK)
        end = st_batch_last_offset(&b.header) + 1;
    return end;
}

kc_chunk *kc_chunk_new(const uint8_t *records, size_t len, const kc_aborted_txn *aborted,
                       size_t aborted_count, bool read_committed, bool verify_crc,
                       size_t max_uncompressed)
{
    kc_chunk *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    ch->data = malloc(len ? len : 1);
    ch->aborted = read_committed && aborted_count ? calloc(aborted_count, sizeof(*ch->aborted))
                                                  : NULL;
    if (!ch->data || (read_committed && aborted_count && !ch->aborted)) {
        kc_chunk_free(ch);
        return NULL;
    }
    if (len)
        memcpy(ch->data, records, len);
    ch->len = len;
    if (ch->aborted) {
        memcpy(ch->aborted, aborted, aborted_count * sizeof(*aborted));
        ch->aborted_count = aborted_count;
        qsort(ch->aborted, aborted_count, sizeof(*ch->aborted), aborted_cmp);
    }
    ch->read_committed = read_committed;
    ch->max_uncompressed = max_uncompressed;
    st_batch_iter_init(&ch->batches, ch->data, len, verify_crc);
    ch->end_offset = scan_end_offset(ch->data, len);
    return ch;
}

void kc_chunk_free(kc_chunk *ch)
{
    if (!ch)
        return;
    if (ch->in_batch)
        st_record_iter_free(&ch->records);
    free(ch->spare);
    free(ch->data);
    free(ch->aborted);
    free(ch->open_aborts);
    free(ch);
}

/* ---- what a poll handed out ------------------------------------------------------- */

void kc_retired_init(kc_retired *r)
{
    memset(r, 0, sizeof(*r));
    r->poll = 1;
}

/* The decompressed buffer of the current batch (data NULL when the batch is
 * uncompressed). */
static size_t plain_size(const kc_chunk *ch)
{
    return ch->in_batch ? ch->records.plain.cap : 0;
}

void kc_retired_add_chunk(kc_retired *r, kc_chunk *ch)
{
    if (ch->taken_poll != r->poll) {
        kc_chunk_free(ch); /* nothing of it is out there */
        return;
    }
    ch->next = r->chunks;
    r->chunks = ch;
    r->bytes += ch->len + plain_size(ch);
}

static void free_all(kc_retired *r)
{
    while (r->chunks) {
        kc_chunk *ch = r->chunks;
        r->chunks = ch->next;
        kc_chunk_free(ch);
    }
    while (r->spent) {
        kc_spent *s = r->spent;
        r->spent = s->next;
        free(s->data);
        free(s);
    }
    r->bytes = 0;
}

void kc_retired_next_poll(kc_retired *r)
{
    free_all(r);
    r->poll++;
}

void kc_retired_free(kc_retired *r)
{
    free_all(r);
}

/* The current batch is over. Its decompressed records go to retired when
 * records were taken from them in this poll, else they are freed. The
 * buffer is taken from the record iterator (st_record_iter.plain, which
 * st_record_iter_free would free). */
static void end_batch(kc_chunk *ch, kc_retired *retired)
{
    st_buf *plain = &ch->records.plain;
    if (retired && plain->data && ch->batch_taken_poll == retired->poll && ch->spare) {
        kc_spent *s = ch->spare;
        ch->spare = NULL;
        s->data = plain->data;
        s->size = plain->cap;
        st_buf_init(plain);
        s->next = retired->spent;
        retired->spent = s;
        retired->bytes += s->size;
    }
    st_record_iter_free(&ch->records);
    ch->in_batch = false;
    ch->batch_taken_poll = 0;
}

/* ---- aborted transactions --------------------------------------------------------- */

static bool open_abort_find(const kc_chunk *ch, int64_t pid, size_t *at)
{
    for (size_t i = 0; i < ch->open_count; i++)
        if (ch->open_aborts[i] == pid) {
            *at = i;
            return true;
        }
    return false;
}

static bool open_abort_add(kc_chunk *ch, int64_t pid)
{
    size_t at;
    if (open_abort_find(ch, pid, &at))
        return true;
    if (ch->open_count == ch->open_cap) {
        size_t cap = ch->open_cap ? ch->open_cap * 2 : 4;
        int64_t *grown = realloc(ch->open_aborts, cap * sizeof(*grown));
        if (!grown)
            return false;
        ch->open_aborts = grown;
        ch->open_cap = cap;
    }
    ch->open_aborts[ch->open_count++] = pid;
    return true;
}

static void open_abort_remove(kc_chunk *ch, int64_t pid)
{
    size_t at;
    if (open_abort_find(ch, pid, &at))
        ch->open_aborts[at] = ch->open_aborts[--ch->open_count];
}

/* Whether a control batch holds an ABORT marker. */
static bool is_abort_marker(const st_batch *b)
{
    st_record_iter it;
    st_record rec;
    bool abort = false;
    if (st_record_iter_init(&it, b, 1 << 16) == ST_OK && st_record_iter_next(&it, &rec)) {
        st_control_key key;
        abort = st_control_key_parse(rec.key, &key) == ST_OK && key.type == ST_CONTROL_ABORT;
    }
    st_record_iter_free(&it);
    return abort;
}

/* read_committed: whether the batch is to be skipped (a marker, or data of
 * an aborted transaction). False with *nomem on allocation failure. */
static bool skip_transactional(kc_chunk *ch, const st_batch *b, bool *nomem)
{
    int64_t last = st_batch_last_offset(&b->header);
    while (ch->aborted_next < ch->aborted_count &&
           ch->aborted[ch->aborted_next].first_offset <= last) {
        if (!open_abort_add(ch, ch->aborted[ch->aborted_next].producer_id)) {
            *nomem = true;
            return false;
        }
        ch->aborted_next++;
    }
    int64_t pid = b->header.producer_id;
    if (st_batch_is_control(&b->header)) {
        if (is_abort_marker(b))
            open_abort_remove(ch, pid);
        return true;
    }
    size_t at;
    return st_batch_is_transactional(&b->header) && open_abort_find(ch, pid, &at);
}

/* ---- iteration ------------------------------------------------------------------------ */

static void move_past(int64_t *position, const st_batch *b)
{
    int64_t next = st_batch_last_offset(&b->header) + 1;
    if (next > *position)
        *position = next;
}

static kc_chunk_status fail(kc_chunk *ch, kc_retired *retired, char *errstr, size_t errlen,
                            const char *what, st_err err)
{
    snprintf(errstr, errlen, "%s: %s", what, st_err_name(err));
    if (ch->in_batch)
        end_batch(ch, retired);
    ch->failed = true;
    return KC_CHUNK_ERROR;
}

/* Starts the next batch worth reading; END when there is none. */
static kc_chunk_status next_batch(kc_chunk *ch, int64_t *position, kc_retired *retired,
                                  char *errstr, size_t errlen)
{
    for (;;) {
        st_batch b;
        st_batch_status st = st_batch_iter_next(&ch->batches, &b);
        if (st == ST_BATCH_END || st == ST_BATCH_INCOMPLETE)
            return KC_CHUNK_END;
        if (st == ST_BATCH_ERROR) {
            char what[96];
            snprintf(what, sizeof(what), "invalid record batch after offset %lld",
                     (long long)*position);
            return fail(ch, retired, errstr, errlen, what, ch->batches.err);
        }
        if (st_batch_last_offset(&b.header) < *position)
            continue; /* already consumed */
        bool nomem = false;
        bool skip = ch->read_committed ? skip_transactional(ch, &b, &nomem)
                                       : st_batch_is_control(&b.header);
        if (nomem)
            return fail(ch, retired, errstr, errlen, "reading aborted transactions",
                        ST_ERR_NOMEM);
        if (skip) {
            move_past(position, &b);
            continue;
        }
        st_err err = st_record_iter_init(&ch->records, &b, ch->max_uncompressed);
        if (err) {
            st_record_iter_free(&ch->records);
            char what[96];
            snprintf(what, sizeof(what), "record batch at offset %lld (codec %s)",
                     (long long)b.header.base_offset, st_codec_name(st_batch_codec(&b.header)));
            return fail(ch, retired, errstr, errlen, what, err);
        }
        if (retired && ch->records.plain.data && !ch->spare &&
            !(ch->spare = calloc(1, sizeof(*ch->spare)))) {
            st_record_iter_free(&ch->records);
            return fail(ch, retired, errstr, errlen, "decompressing a record batch",
                        ST_ERR_NOMEM);
        }
        ch->batch = b;
        ch->in_batch = true;
        return KC_CHUNK_RECORD;
    }
}

static void fill(const kc_chunk *ch, const st_record *rec, kc_chunk_record *out)
{
    const st_batch_header *h = &ch->batch.header;
    out->rec = *rec;
    out->offset = rec->offset;
    out->leader_epoch = h->partition_leader_epoch;
    out->codec = st_batch_codec(h);
    if (st_batch_has_log_append_time(h)) {
        out->timestamp = h->max_timestamp;
        out->timestamp_type = 1;
    } else {
        out->timestamp = rec->timestamp;
        out->timestamp_type = 0;
    }
}

kc_chunk_status kc_chunk_poll(kc_chunk *ch, int64_t *position, kc_chunk_record *out,
                              kc_retired *retired, char *errstr, size_t errlen)
{
    while (!ch->failed) {
        if (!ch->in_batch) {
            kc_chunk_status st = next_batch(ch, position, retired, errstr, errlen);
            if (st != KC_CHUNK_RECORD)
                return st;
        }
        st_record rec;
        while (st_record_iter_next(&ch->records, &rec)) {
            if (rec.offset < *position)
                continue;
            fill(ch, &rec, out);
            *position = rec.offset + 1;
            if (retired)
                ch->taken_poll = ch->batch_taken_poll = retired->poll;
            return KC_CHUNK_RECORD;
        }
        if (ch->records.err) {
            char what[96];
            snprintf(what, sizeof(what), "records of the batch at offset %lld",
                     (long long)ch->batch.header.base_offset);
            return fail(ch, retired, errstr, errlen, what, ch->records.err);
        }
        end_batch(ch, retired);
        move_past(position, &ch->batch);
    }
    return KC_CHUNK_END;
}

kc_chunk_status kc_chunk_next(kc_chunk *ch, int64_t *position, kc_chunk_record *out,
                              char *errstr, size_t errlen)
{
    return kc_chunk_poll(ch, position, out, NULL, errstr, errlen);
}
