/* group_store.c — __consumer_offsets records (see group_store.h). */
#include "broker/group_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/topic_admin.h"

enum {
    OFFSET_KEY_VERSION = 1,
    OFFSET_VALUE_VERSION = 3,
    OFFSET_VALUE_VERSION_EXPIRE = 1,
    GROUP_KEY_VERSION = 2,
    GROUP_VALUE_VERSION = 3,
};

int32_t group_store_partition_for(st_slice group_id, int32_t partitions)
{
    uint32_t h = 0; /* Java's String.hashCode over the UTF-16 units of ASCII/UTF-8 text */
    for (int32_t i = 0; i < group_id.len; i++)
        h = 31 * h + group_id.ptr[i];
    return (int32_t)((h & 0x7fffffff) % (uint32_t)(partitions > 0 ? partitions : 1));
}

st_err group_store_ensure_topic(broker *b)
{
    if (topic_registry_find(&b->topics, st_slice_cstr(OFFSETS_TOPIC)))
        return ST_OK;
    config_values overrides;
    if (topic_config_init(&overrides) != ST_OK)
        return ST_ERR_NOMEM;
    char err[256], segment[32];
    snprintf(segment, sizeof(segment), "%d", b->cfg.offsets_topic_segment_bytes);
    config_values_set(&overrides, "cleanup.policy", "compact", CONFIG_SOURCE_DYNAMIC_TOPIC, err,
                      sizeof(err));
    config_values_set(&overrides, "segment.bytes", segment, CONFIG_SOURCE_DYNAMIC_TOPIC, err,
                      sizeof(err));
    config_values_set(&overrides, "compression.type", "producer", CONFIG_SOURCE_DYNAMIC_TOPIC,
                      err, sizeof(err));
    topic_spec spec = {st_slice_cstr(OFFSETS_TOPIC), b->cfg.offsets_topic_num_partitions, 1,
                       &overrides, false};
    char msg[256];
    int16_t code = topic_admin_create(b, &spec, NULL, msg, sizeof(msg));
    config_values_free(&overrides);
    if (code) {
        st_logf(&b->logger, ST_LOG_ERROR, "groups", "cannot create %s: %s", OFFSETS_TOPIC, msg);
        return ST_ERR_IO;
    }
    return ST_OK;
}

void group_records_init(group_records *r, int64_t now_ms)
{
    st_batch_builder_init(&r->batch);
    r->now_ms = now_ms;
    r->count = 0;
    r->err = ST_OK;
}

void group_records_free(group_records *r)
{
    st_batch_builder_free(&r->batch);
}

/* Encodes version + message into buf; returns the slice. */
static st_slice encode_versioned(const kp_message *m, const void *obj, int16_t version,
                                 st_buf *buf)
{
    st_write_i16(buf, version);
    kp_encode(m, obj, version, buf);
    return st_slice_from(buf->data, buf->len);
}

static void add_record(group_records *r, st_slice key, st_slice value, st_err encode_err)
{
    if (r->err)
        return;
    if (encode_err) {
        r->err = encode_err;
        return;
    }
    st_record_fields rec = {r->count, 0, key, value, NULL, 0};
    r->err = st_batch_builder_add(&r->batch, &rec);
    r->count++;
}

void group_records_offset(group_records *r, const char *group_id, st_slice topic,
                          int32_t partition, const cg_offset *o)
{
    kp_offset_commit_key key = {st_slice_cstr(group_id), topic, partition};
    st_buf kb, vb;
    st_buf_init(&kb);
    st_buf_init(&vb);
    st_slice k = encode_versioned(&kp_offset_commit_key_message, &key, OFFSET_KEY_VERSION, &kb);
    st_slice v = ST_SLICE_NULL;
    if (o) {
        kp_offset_commit_value value;
        kp_offset_commit_value_init(&value);
        value.offset = o->offset;
        value.leader_epoch = o->leader_epoch;
        value.metadata = o->metadata.len >= 0 ? o->metadata : ST_SLICE_EMPTY;
        value.commit_timestamp = o->commit_timestamp;
        value.expire_timestamp = o->expire_timestamp;
        int16_t version = o->expire_timestamp >= 0 ? OFFSET_VALUE_VERSION_EXPIRE
                                                   : OFFSET_VALUE_VERSION;
        v = encode_versioned(&kp_offset_commit_value_message, &value, version, &vb);
    }
    add_record(r, k, v, kb.err ? kb.err : vb.err);
    st_buf_free(&kb);
    st_buf_free(&vb);
}

static void fill_members(const consumer_group *g, kp_group_metadata_value *value,
                         kp_group_metadata_value_member_metadata *members)
{
    size_t pos = 0, n = 0;
    const char *key;
    void *item;
    while (strmap_next(&g->members, &pos, &key, &item)) {
        const cg_member *m = item;
        kp_group_metadata_value_member_metadata *out = &members[n++];
        kp_init(&kp_group_metadata_value_member_metadata_desc, out);
        out->member_id = st_slice_cstr(m->member_id);
        out->group_instance_id = st_slice_cstr(m->instance_id);
        out->client_id = st_slice_cstr(m->client_id);
        out->client_host = st_slice_cstr(m->client_host);
        out->rebalance_timeout = m->rebalance_timeout_ms;
        out->session_timeout = m->session_timeout_ms;
        const cg_protocol *p = g->protocol_name ? cg_member_protocol(m, g->protocol_name)
                                                   : NULL;
        out->subscription = p ? p->metadata : ST_SLICE_EMPTY;
        out->assignment = m->assignment.len >= 0 ? m->assignment : ST_SLICE_EMPTY;
    }
    value->members = members;
    value->members_count = (int32_t)n;
}

void group_records_group(group_records *r, const consumer_group *g, bool tombstone)
{
    kp_group_metadata_key key = {st_slice_cstr(g->group_id)};
    st_buf kb, vb;
    st_buf_init(&kb);
    st_buf_init(&vb);
    st_slice k = encode_versioned(&kp_group_metadata_key_message, &key, GROUP_KEY_VERSION, &kb);
    st_slice v = ST_SLICE_NULL;
    kp_group_metadata_value_member_metadata *members = NULL;
    if (!tombstone) {
        kp_group_metadata_value value;
        kp_group_metadata_value_init(&value);
        value.protocol_type = st_slice_cstr(g->protocol_type ? g->protocol_type : "");
        value.generation = g->generation;
        value.protocol = st_slice_cstr(g->protocol_name);
        value.leader = st_slice_cstr(g->leader_id);
        value.current_state_timestamp = g->state_timestamp;
        members = calloc(g->members.count + 1, sizeof(*members));
        if (!members) {
            r->err = ST_ERR_NOMEM;
            st_buf_free(&kb);
            return;
        }
        fill_members(g, &value, members);
        v = encode_versioned(&kp_group_metadata_value_message, &value, GROUP_VALUE_VERSION, &vb);
    }
    add_record(r, k, v, kb.err ? kb.err : vb.err);
    free(members);
    st_buf_free(&kb);
    st_buf_free(&vb);
}

st_err group_records_append(broker *b, int32_t partition, group_records *r)
{
    if (r->err)
        return r->err;
    if (r->count == 0)
        return ST_OK;
    struct partition *p = broker_find_partition(b, st_slice_cstr(OFFSETS_TOPIC), partition);
    if (!p)
        return ST_ERR_IO;
    st_batch_params params = st_batch_params_default();
    params.base_timestamp = r->now_ms;
    st_buf out;
    st_buf_init(&out);
    st_err err = st_batch_builder_finish(&r->batch, &params, &out);
    if (!err) {
        st_log_append_opts opts = {r->now_ms, true, p->leader_epoch, false};
        st_log_append_result res;
        err = st_log_append(p->log, out.data, out.len, &opts, &res);
        if (!err && res.flush_due)
            err = st_log_flush(p->log, r->now_ms);
        if (!err)
            purgatory_check(&b->fetch_purgatory);
    }
    if (err)
        st_logf(&b->logger, ST_LOG_ERROR, "groups", "cannot write to %s-%d: %s", OFFSETS_TOPIC,
                partition, st_err_name(err));
    st_buf_free(&out);
    return err;
}

st_err group_store_decode(st_slice key, st_slice value, st_arena *arena, stored_record *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = STORED_OTHER;
    out->tombstone = value.len < 0;
    st_reader r;
    st_reader_init(&r, key.ptr, key.len > 0 ? (size_t)key.len : 0);
    int16_t version = st_read_i16(&r);
    if (r.err)
        return ST_ERR_MALFORMED;
    st_err err;
    if (version == 0 || version == 1) {
        out->kind = STORED_OFFSET;
        err = kp_decode(&kp_offset_commit_key_message, &out->offset_key, version, &r, arena, NULL);
    } else if (version == GROUP_KEY_VERSION) {
        out->kind = STORED_GROUP;
        err = kp_decode(&kp_group_metadata_key_message, &out->group_key, version, &r, arena, NULL);
    } else {
        return ST_OK; /* a newer record type: not ours to interpret */
    }
    if (err || out->tombstone)
        return err;
    st_reader_init(&r, value.ptr, (size_t)value.len);
    int16_t vversion = st_read_i16(&r);
    if (r.err)
        return ST_ERR_MALFORMED;
    if (out->kind == STORED_OFFSET)
        return kp_decode(&kp_offset_commit_value_message, &out->offset_value, vversion, &r, arena,
                         NULL);
    return kp_decode(&kp_group_metadata_value_message, &out->group_value, vversion, &r, arena,
                     NULL);
}
