/* client_consumer_assignment.c — the consumer's assigned partitions (kc_tp):
 * adding, finding, removing, seeking, and the auto.offset.reset policy (see
 * client_consumer.h).
 *
 * Owns every kc_tp and its buffered chunks; a chunk leaving a partition goes
 * to the consumer's kc_retired (what the last poll returned points into it
 * until the next poll). A partition is found by the key
 * "topic\0" + its 4-byte partition number. Never calls the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_consumer.h"
#include "common/client_group.h"

#define KEY_MAX (255 + 1 + 4)

/* Builds the index key of (topic, partition) in buf; its length, 0 when the
 * topic name is too long to be a topic. */
static size_t make_key(uint8_t *buf, st_slice topic, int32_t partition)
{
    if (topic.len < 0 || (size_t)topic.len > KEY_MAX - 5)
        return 0;
    if (topic.len)
        memcpy(buf, topic.ptr, (size_t)topic.len);
    buf[topic.len] = 0;
    st_put_i32(buf + topic.len + 1, partition);
    return (size_t)topic.len + 5;
}

kc_tp *kc_tp_find_slice(const kc_consumer *c, st_slice topic, int32_t partition)
{
    uint8_t key[KEY_MAX];
    size_t n = make_key(key, topic, partition);
    return n ? strmap_get(&c->tp_index, st_slice_from(key, n)) : NULL;
}

kc_tp *kc_tp_find(const kc_consumer *c, const char *topic, int32_t partition)
{
    return kc_tp_find_slice(c, st_slice_cstr(topic), partition);
}

/* Sets the state that makes the partition start from offset. */
static void start_from(kc_consumer *c, kc_tp *tp, int64_t offset)
{
    tp->epoch++;
    tp->fetch_in_flight = false; /* an answer in flight is stale now */
    tp->retry_at_ms = 0;
    tp->position = KC_OFFSET_INVALID;
    tp->position_epoch = -1;
    if (offset >= 0) {
        tp->state = KC_TP_READY;
        tp->position = tp->fetch_offset = offset;
    } else if (offset == KC_OFFSET_BEGINNING || offset == KC_OFFSET_END) {
        tp->state = KC_TP_NEED_RESET;
        tp->reset_to = offset;
    } else if (c->group) {
        tp->state = KC_TP_NEED_COMMITTED;
    } else {
        kc_tp_reset_by_policy(c, tp, KC_ERR_NO_OFFSET, "no group.id, so no committed offset");
    }
}

kc_tp *kc_tp_add(kc_consumer *c, const char *topic, int32_t partition, int64_t offset)
{
    kc_tp *tp = kc_tp_find(c, topic, partition);
    if (tp)
        return tp;
    uint8_t key[KEY_MAX];
    size_t n = make_key(key, st_slice_cstr(topic), partition);
    if (!n)
        return NULL;
    if (c->tp_count == c->tp_cap) {
        size_t cap = c->tp_cap ? c->tp_cap * 2 : 16;
        kc_tp **grown = realloc(c->tps, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        c->tps = grown;
        c->tp_cap = cap;
    }
    tp = calloc(1, sizeof(*tp));
    if (!tp || !(tp->topic = strdup(topic))) {
        free(tp);
        return NULL;
    }
    if (strmap_put(&c->tp_index, st_slice_from(key, n), tp) != ST_OK) {
        free(tp->topic);
        free(tp);
        return NULL;
    }
    tp->partition = partition;
    tp->high_watermark = tp->last_stable = tp->log_start = -1;
    tp->committed = KC_OFFSET_INVALID;
    c->tps[c->tp_count++] = tp;
    kc_md_want(c->client, topic);
    start_from(c, tp, offset);
    return tp;
}

void kc_tp_pop_chunk(kc_consumer *c, kc_tp *tp)
{
    kc_chunk *ch = tp->chunk_head;
    if (!ch)
        return;
    tp->chunk_head = ch->next;
    if (!tp->chunk_head)
        tp->chunk_tail = NULL;
    tp->chunk_count--;
    tp->buffered -= ch->len;
    kc_retired_add_chunk(&c->retired, ch);
}

void kc_tp_drop_chunks(kc_consumer *c, kc_tp *tp)
{
    while (tp->chunk_head)
        kc_tp_pop_chunk(c, tp);
}

static void tp_free(kc_consumer *c, kc_tp *tp)
{
    kc_tp_drop_chunks(c, tp);
    free(tp->topic);
    free(tp);
}

void kc_tp_remove(kc_consumer *c, kc_tp *tp)
{
    uint8_t key[KEY_MAX];
    size_t n = make_key(key, st_slice_cstr(tp->topic), tp->partition);
    strmap_remove(&c->tp_index, st_slice_from(key, n));
    for (size_t i = 0; i < c->tp_count; i++) {
        if (c->tps[i] == tp) {
            memmove(&c->tps[i], &c->tps[i + 1], (c->tp_count - i - 1) * sizeof(*c->tps));
            c->tp_count--;
            break;
        }
    }
    tp_free(c, tp);
}

void kc_tp_remove_all(kc_consumer *c)
{
    for (size_t i = 0; i < c->tp_count; i++)
        tp_free(c, c->tps[i]);
    c->tp_count = 0;
    strmap_free(&c->tp_index);
    strmap_init(&c->tp_index);
    c->rotation = 0;
}

void kc_tp_seek(kc_consumer *c, kc_tp *tp, int64_t offset)
{
    kc_tp_drop_chunks(c, tp);
    start_from(c, tp, offset);
    kc_consumer_kick(c);
}

void kc_tp_reset_by_policy(kc_consumer *c, kc_tp *tp, kc_err why, const char *reason)
{
    kc_tp_drop_chunks(c, tp);
    tp->epoch++;
    tp->fetch_in_flight = false;
    switch (c->s.reset_policy) {
    case KC_RESET_EARLIEST:
    case KC_RESET_LATEST:
        tp->state = KC_TP_NEED_RESET;
        tp->reset_to = c->s.reset_policy == KC_RESET_EARLIEST ? KC_OFFSET_BEGINNING
                                                              : KC_OFFSET_END;
        kc_log(c->client, ST_LOG_INFO, "%s [%d]: %s: resetting to the %s offset", tp->topic,
               tp->partition, reason,
               c->s.reset_policy == KC_RESET_EARLIEST ? "earliest" : "latest");
        break;
    default:
        tp->state = KC_TP_FAILED;
        tp->position = KC_OFFSET_INVALID;
        kc_consumer_error(c, why, tp->topic, tp->partition,
                          "%s [%d]: %s and auto.offset.reset=none", tp->topic, tp->partition,
                          reason);
        break;
    }
}

kc_partition_list *kc_tp_list(const kc_consumer *c)
{
    kc_partition_list *l = kc_partition_list_new(c->tp_count);
    for (size_t i = 0; l && i < c->tp_count; i++) {
        kc_partition_offset *p = kc_partition_list_add(l, c->tps[i]->topic, c->tps[i]->partition);
        if (!p) {
            kc_partition_list_free(l);
            return NULL;
        }
        p->offset = c->tps[i]->state == KC_TP_READY ? c->tps[i]->position : KC_OFFSET_INVALID;
        p->leader_epoch = c->tps[i]->position_epoch;
    }
    if (l)
        kc_partition_list_sort(l);
    return l;
}
