/* group_load.c — rebuilding the coordinator's groups and offsets from
 * __consumer_offsets at start-up, applying its records in log order (a
 * later record for the same key wins; a null value deletes). A group with
 * members comes back Stable at its stored generation, and its members'
 * sessions start over, as Kafka's coordinator does after a restart. */
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/group_coordinator.h"
#include "broker/group_store.h"
#include "broker/log_reader.h"
#include "broker/topic_admin.h"

typedef struct load_ctx {
    group_coordinator *gc;
    st_arena arena;
    size_t records;
    size_t skipped;
} load_ctx;

static void apply_offset(load_ctx *lc, const stored_record *s)
{
    consumer_group *g = gc_find_or_create(lc->gc, s->offset_key.group);
    if (!g)
        return;
    if (s->tombstone) {
        group_delete_offset(g, s->offset_key.topic, s->offset_key.partition);
        return;
    }
    cg_offset o = {s->offset_value.offset, s->offset_value.leader_epoch, s->offset_value.metadata,
                   s->offset_value.commit_timestamp, s->offset_value.expire_timestamp};
    group_put_offset(g, s->offset_key.topic, s->offset_key.partition, &o);
}

static void clear_members(load_ctx *lc, consumer_group *g)
{
    while (g->members.count > 0) {
        size_t pos = 0;
        const char *key;
        void *value;
        if (!strmap_next(&g->members, &pos, &key, &value))
            break;
        ev_timer_stop(lc->gc->b->loop, &((cg_member *)value)->session_timer);
        group_remove_member(g, value);
    }
    free(g->leader_id);
    g->leader_id = NULL;
}

static char *dup_or_null(st_slice s)
{
    return s.len >= 0 ? st_slice_strdup(s) : NULL;
}

static void restore_member(load_ctx *lc, consumer_group *g,
                           const kp_group_metadata_value_member_metadata *in)
{
    char *id = st_slice_strdup(in->member_id);
    char *host = st_slice_strdup(in->client_host);
    cg_member *m = id && host ? cg_member_new(g, id, in->group_instance_id, in->client_id, host,
                                                 in->session_timeout, in->rebalance_timeout)
                              : NULL;
    st_slice name = st_slice_cstr(g->protocol_name ? g->protocol_name : "");
    bool ok = m && cg_member_set_protocols(m, &name, &in->subscription, 1);
    if (ok) {
        m->assignment = st_slice_dup(in->assignment, &ok);
        ok = ok && group_add_member(g, m) == 0;
    }
    if (!ok)
        cg_member_free(m);
    else
        gc_touch_member(lc->gc, m);
    free(id);
    free(host);
}

static void apply_group(load_ctx *lc, const stored_record *s)
{
    consumer_group *g = gc_find(lc->gc, s->group_key.group);
    if (s->tombstone) {
        if (g && !group_has_offsets(g))
            gc_remove_group(lc->gc, g);
        else if (g)
            clear_members(lc, g);
        return;
    }
    if (!g && !(g = gc_find_or_create(lc->gc, s->group_key.group)))
        return;
    const kp_group_metadata_value *v = &s->group_value;
    clear_members(lc, g);
    free(g->protocol_type);
    free(g->protocol_name);
    g->protocol_type = dup_or_null(v->protocol_type);
    g->protocol_name = dup_or_null(v->protocol);
    g->generation = v->generation;
    for (int32_t i = 0; i < v->members_count; i++)
        restore_member(lc, g, &v->members[i]);
    free(g->leader_id);
    g->leader_id = dup_or_null(v->leader);
    group_transition(g, g->members.count ? GROUP_STABLE : GROUP_EMPTY,
                     v->current_state_timestamp > 0 ? v->current_state_timestamp
                                                    : broker_now_ms(lc->gc->b));
}

static st_err apply_record(void *ctx, const st_batch_header *batch, const st_record *rec)
{
    (void)batch;
    load_ctx *lc = ctx;
    stored_record s;
    st_arena_reset(&lc->arena);
    if (group_store_decode(rec->key, rec->value, &lc->arena, &s) != ST_OK) {
        lc->skipped++;
        return ST_OK; /* an unreadable record is skipped, not fatal */
    }
    if (s.kind == STORED_OFFSET)
        apply_offset(lc, &s);
    else if (s.kind == STORED_GROUP)
        apply_group(lc, &s);
    lc->records++;
    return ST_OK;
}

st_err gc_load(group_coordinator *gc)
{
    broker *b = gc->b;
    topic *t = topic_registry_find(&b->topics, st_slice_cstr(OFFSETS_TOPIC));
    if (!t)
        return ST_OK;
    load_ctx lc = {gc, {0}, 0, 0};
    st_arena_init(&lc.arena);
    st_err err = ST_OK;
    for (int32_t i = 0; i < t->partition_count && !err; i++)
        if (t->partitions[i])
            err = log_for_each_record(t->partitions[i]->log, 0, apply_record, &lc);
    st_arena_free(&lc.arena);
    st_logf(&b->logger, err ? ST_LOG_ERROR : ST_LOG_INFO, "groups",
            "loaded %zu group(s) from %zu record(s) of %s%s%s", gc->groups.count, lc.records,
            OFFSETS_TOPIC, lc.skipped ? " (some records unreadable and skipped)" : "",
            err ? ": read error" : "");
    return err;
}
