/* producer_state.c — idempotent producer sequence tracking (see producer_state.h). */
#include "broker/producer_state.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kafka_error.h"

#define SNAPSHOT_FILE "producer-state.snapshot"

void producer_state_init(producer_state *ps)
{
    strmap_init(&ps->by_id);
}

void producer_state_free(producer_state *ps)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&ps->by_id, &pos, &key, &value))
        free(value);
    strmap_free(&ps->by_id);
}

static producer_entry *find(const producer_state *ps, int64_t producer_id)
{
    uint8_t key[8];
    st_put_i64(key, producer_id);
    return strmap_get(&ps->by_id, st_slice_from(key, 8));
}

static int32_t last_seq_of(const st_batch_header *h)
{
    int64_t last = (int64_t)h->base_sequence + h->last_offset_delta;
    return (int32_t)(last > INT32_MAX ? last - INT32_MAX - 1 : last); /* sequences wrap */
}

static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    return next_seq == (last_seq == INT32_MAX ? 0 : last_seq + 1);
}

producer_check producer_state_check(const producer_state *ps, const st_batch_header *h)
{
    producer_check c = {KAFKA_NONE, false, -1, -1};
    const producer_entry *e = find(ps, h->producer_id);
    if (!e)
        return c; /* unknown producer: any sequence is accepted */
    if (h->producer_epoch < e->epoch) {
        c.error = KAFKA_INVALID_PRODUCER_EPOCH;
        return c;
    }
    if (h->producer_epoch > e->epoch) {
        if (h->base_sequence != 0)
            c.error = KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER;
        return c;
    }
    int32_t last_seq = last_seq_of(h);
    for (int32_t i = 0; i < e->batch_count; i++) {
        const producer_batch *b = &e->batches[i];
        if (b->first_seq == h->base_sequence && b->last_seq == last_seq) {
            c.duplicate = true;
            c.first_offset = b->first_offset;
            c.last_offset = b->last_offset;
            return c;
        }
    }
    if (e->batch_count > 0 &&
        !in_sequence(e->batches[e->batch_count - 1].last_seq, h->base_sequence))
        c.error = KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER;
    return c;
}

static void remember_batch(producer_entry *e, producer_batch b)
{
    if (e->batch_count == PRODUCER_BATCHES_KEPT) {
        memmove(e->batches, e->batches + 1, (PRODUCER_BATCHES_KEPT - 1) * sizeof(b));
        e->batch_count--;
    }
    e->batches[e->batch_count++] = b;
}

static producer_entry *find_or_add(producer_state *ps, int64_t producer_id)
{
    producer_entry *e = find(ps, producer_id);
    if (e)
        return e;
    e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->producer_id = producer_id;
    e->epoch = -1;
    uint8_t key[8];
    st_put_i64(key, producer_id);
    if (strmap_put(&ps->by_id, st_slice_from(key, 8), e) != ST_OK) {
        free(e);
        return NULL;
    }
    return e;
}

st_err producer_state_update(producer_state *ps, const st_batch_header *h, int64_t first_offset,
                             int64_t last_offset)
{
    if (h->producer_id < 0)
        return ST_OK;
    producer_entry *e = find_or_add(ps, h->producer_id);
    if (!e)
        return ST_ERR_NOMEM;
    if (h->producer_epoch != e->epoch) {
        e->epoch = h->producer_epoch;
        e->batch_count = 0;
    }
    if (h->base_sequence >= 0)
        remember_batch(e, (producer_batch){h->base_sequence, last_seq_of(h), first_offset,
                                           last_offset});
    e->last_timestamp = h->max_timestamp;
    return ST_OK;
}

/* ---- snapshot ------------------------------------------------------------ */

static void snapshot_path(const char *dir, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir, SNAPSHOT_FILE);
}

st_err producer_state_save(const producer_state *ps, const char *dir, int64_t next_offset)
{
    char path[4096], tmp[4200];
    snapshot_path(dir, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ST_ERR_IO;
    fprintf(f, "offset %" PRId64 "\n", next_offset);
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&ps->by_id, &pos, &key, &value)) {
        const producer_entry *e = value;
        fprintf(f, "producer %" PRId64 " %d %" PRId64 "\n", e->producer_id, e->epoch,
                e->last_timestamp);
        for (int32_t i = 0; i < e->batch_count; i++)
            fprintf(f, "batch %" PRId64 " %d %d %" PRId64 " %" PRId64 "\n", e->producer_id,
                    e->batches[i].first_seq, e->batches[i].last_seq, e->batches[i].first_offset,
                    e->batches[i].last_offset);
    }
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, path) == 0 ? ST_OK : ST_ERR_IO;
}

static st_err load_line(producer_state *ps, const char *line, int64_t *offset)
{
    long long a, d, e;
    int b, c;
    if (sscanf(line, "offset %lld", &a) == 1) {
        *offset = a;
        return ST_OK;
    }
    if (sscanf(line, "producer %lld %d %lld", &a, &b, &d) == 3) {
        producer_entry *pe = find_or_add(ps, a);
        if (!pe)
            return ST_ERR_NOMEM;
        pe->epoch = (int16_t)b;
        pe->last_timestamp = d;
        return ST_OK;
    }
    if (sscanf(line, "batch %lld %d %d %lld %lld", &a, &b, &c, &d, &e) == 5) {
        producer_entry *pe = find(ps, a);
        if (!pe)
            return ST_ERR_MALFORMED;
        remember_batch(pe, (producer_batch){b, c, d, e});
        return ST_OK;
    }
    return ST_ERR_MALFORMED;
}

st_err producer_state_load(producer_state *ps, const char *dir, int64_t *offset)
{
    char path[4096];
    snapshot_path(dir, path, sizeof(path));
    *offset = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return ST_OK;
    char line[256];
    st_err err = ST_OK;
    while (!err && fgets(line, sizeof(line), f))
        err = load_line(ps, line, offset);
    fclose(f);
    if (err) { /* a damaged snapshot: forget it and replay the whole log */
        producer_state_free(ps);
        producer_state_init(ps);
        *offset = 0;
    }
    return err == ST_ERR_NOMEM ? err : ST_OK;
}

void producer_state_discard_snapshot(const char *dir)
{
    char path[4096];
    snapshot_path(dir, path, sizeof(path));
    unlink(path);
}
