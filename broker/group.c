/* group.c — a classic consumer group's data and rules (see group.h). */
#include "broker/group.h"

#include <stdlib.h>
#include <string.h>

consumer_group *group_new(st_slice group_id, int32_t offsets_partition, int64_t now_ms)
{
    consumer_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->group_id = st_slice_strdup(group_id);
    if (!g->group_id) {
        free(g);
        return NULL;
    }
    g->state = GROUP_EMPTY;
    g->state_timestamp = now_ms;
    g->offsets_partition = offsets_partition;
    strmap_init(&g->members);
    strmap_init(&g->pending_members);
    strmap_init(&g->static_members);
    strmap_init(&g->offsets);
    return g;
}

static void free_offset(cg_offset *o)
{
    st_slice_free(&o->metadata);
    free(o);
}

void cg_member_free(cg_member *m)
{
    if (!m)
        return;
    for (int32_t i = 0; i < m->protocol_count; i++) {
        free(m->protocols[i].name);
        st_slice_free(&m->protocols[i].metadata);
    }
    free(m->protocols);
    st_slice_free(&m->assignment);
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m);
}

void group_free(consumer_group *g)
{
    if (!g)
        return;
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value))
        cg_member_free(value);
    pos = 0;
    while (strmap_next(&g->pending_members, &pos, &key, &value)) {
        free(((cg_pending *)value)->member_id);
        free(value);
    }
    pos = 0;
    while (strmap_next(&g->offsets, &pos, &key, &value))
        free_offset(value);
    strmap_free(&g->members);
    strmap_free(&g->pending_members);
    strmap_free(&g->static_members);
    strmap_free(&g->offsets);
    free(g->group_id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader_id);
    free(g);
}

const char *group_state_name(cg_state s)
{
    switch (s) {
    case GROUP_EMPTY: return "Empty";
    case GROUP_PREPARING_REBALANCE: return "PreparingRebalance";
    case GROUP_COMPLETING_REBALANCE: return "CompletingRebalance";
    case GROUP_STABLE: return "Stable";
    case GROUP_DEAD: return "Dead";
    }
    return "Unknown";
}

void group_transition(consumer_group *g, cg_state to, int64_t now_ms)
{
    g->state = to;
    g->state_timestamp = now_ms;
}

cg_member *group_find_member(const consumer_group *g, st_slice member_id)
{
    return member_id.len > 0 ? strmap_get(&g->members, member_id) : NULL;
}

cg_member *group_find_static(const consumer_group *g, st_slice instance_id)
{
    return instance_id.len >= 0 ? strmap_get(&g->static_members, instance_id) : NULL;
}

size_t group_size(const consumer_group *g)
{
    return g->members.count;
}

cg_member *cg_member_new(consumer_group *g, const char *member_id, st_slice instance_id,
                               st_slice client_id, const char *client_host,
                               int32_t session_timeout_ms, int32_t rebalance_timeout_ms)
{
    cg_member *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->group = g;
    m->member_id = strdup(member_id);
    m->instance_id = st_slice_strdup(instance_id);
    m->client_id = st_slice_strdup(client_id.len >= 0 ? client_id : ST_SLICE_EMPTY);
    m->client_host = strdup(client_host);
    m->session_timeout_ms = session_timeout_ms;
    m->rebalance_timeout_ms = rebalance_timeout_ms;
    m->assignment = ST_SLICE_NULL;
    if (!m->member_id || !m->client_id || !m->client_host ||
        (instance_id.len >= 0 && !m->instance_id)) {
        cg_member_free(m);
        return NULL;
    }
    return m;
}

int group_add_member(consumer_group *g, cg_member *m)
{
    if (strmap_put(&g->members, st_slice_cstr(m->member_id), m) != ST_OK)
        return -1;
    if (m->instance_id &&
        strmap_put(&g->static_members, st_slice_cstr(m->instance_id), m) != ST_OK) {
        strmap_remove(&g->members, st_slice_cstr(m->member_id));
        return -1;
    }
    if (!g->leader_id)
        g->leader_id = strdup(m->member_id);
    return 0;
}

void group_remove_member(consumer_group *g, cg_member *m)
{
    strmap_remove(&g->members, st_slice_cstr(m->member_id));
    if (m->instance_id && group_find_static(g, st_slice_cstr(m->instance_id)) == m)
        strmap_remove(&g->static_members, st_slice_cstr(m->instance_id));
    if (g->leader_id && strcmp(g->leader_id, m->member_id) == 0) {
        free(g->leader_id);
        g->leader_id = NULL;
        size_t pos = 0;
        const char *key;
        void *value;
        if (strmap_next(&g->members, &pos, &key, &value))
            g->leader_id = strdup(key);
    }
    cg_member_free(m);
}

bool cg_member_set_protocols(cg_member *m, const st_slice *names, const st_slice *metadata,
                                int32_t n)
{
    cg_protocol *ps = calloc((size_t)(n > 0 ? n : 1), sizeof(*ps));
    bool ok = ps != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        ps[i].name = st_slice_strdup(names[i]);
        ps[i].metadata = st_slice_dup(metadata[i], &ok);
        ok = ok && ps[i].name;
    }
    if (!ok) {
        for (int32_t i = 0; ps && i < n; i++) {
            free(ps[i].name);
            st_slice_free(&ps[i].metadata);
        }
        free(ps);
        return false;
    }
    for (int32_t i = 0; i < m->protocol_count; i++) {
        free(m->protocols[i].name);
        st_slice_free(&m->protocols[i].metadata);
    }
    free(m->protocols);
    m->protocols = ps;
    m->protocol_count = n;
    return true;
}

bool cg_member_same_protocols(const cg_member *m, const st_slice *names,
                                 const st_slice *metadata, int32_t n)
{
    if (m->protocol_count != n)
        return false;
    for (int32_t i = 0; i < n; i++)
        if (!st_slice_eq_cstr(names[i], m->protocols[i].name) ||
            !st_slice_eq(metadata[i], m->protocols[i].metadata))
            return false;
    return true;
}

const cg_protocol *cg_member_protocol(const cg_member *m, const char *name)
{
    for (int32_t i = 0; i < m->protocol_count; i++)
        if (strcmp(m->protocols[i].name, name) == 0)
            return &m->protocols[i];
    return NULL;
}

static bool member_supports_any(const cg_member *m, const st_slice *names, int32_t n)
{
    for (int32_t k = 0; k < m->protocol_count; k++)
        for (int32_t i = 0; i < n; i++)
            if (st_slice_eq_cstr(names[i], m->protocols[k].name))
                return true;
    return false;
}

/* Every protocol of the candidate list is checked against all members: the
 * group stays consistent when at least one protocol is common to all. */
bool group_supports(const consumer_group *g, st_slice protocol_type, const st_slice *names, int32_t n)
{
    if (protocol_type.len <= 0 || n <= 0)
        return false;
    if (g->members.count == 0)
        return true;
    if (g->protocol_type && !st_slice_eq_cstr(protocol_type, g->protocol_type))
        return false;
    for (int32_t i = 0; i < n; i++) {
        bool everyone = true;
        size_t pos = 0;
        const char *key;
        void *value;
        while (everyone && strmap_next(&g->members, &pos, &key, &value))
            everyone = member_supports_any(value, &names[i], 1);
        if (everyone)
            return true;
    }
    return false;
}

static bool all_support(const consumer_group *g, const char *name)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value))
        if (!cg_member_protocol(value, name))
            return false;
    return true;
}

/* Each member votes for the first protocol in its list that all support;
 * the most votes wins. */
const char *group_select_protocol(const consumer_group *g)
{
    const char *best = NULL;
    size_t best_votes = 0;
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        const cg_member *m = value;
        for (int32_t i = 0; i < m->protocol_count; i++) {
            const char *candidate = m->protocols[i].name;
            if (!all_support(g, candidate))
                continue;
            size_t votes = 0, p2 = 0;
            const char *k2;
            void *v2;
            while (strmap_next(&g->members, &p2, &k2, &v2)) {
                const cg_member *o = v2;
                for (int32_t j = 0; j < o->protocol_count; j++) {
                    if (!all_support(g, o->protocols[j].name))
                        continue;
                    votes += strcmp(o->protocols[j].name, candidate) == 0;
                    break;
                }
            }
            if (votes > best_votes) {
                best = candidate;
                best_votes = votes;
            }
            break;
        }
    }
    return best;
}

bool group_all_joined(const consumer_group *g)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value))
        if (!((const cg_member *)value)->awaiting_join)
            return false;
    return g->pending_members.count == 0;
}

bool group_has_offsets(const consumer_group *g)
{
    return g->offsets.count > 0;
}

st_slice group_offset_key(st_slice topic, int32_t partition, uint8_t *buf, size_t buflen)
{
    size_t n = topic.len > 0 ? (size_t)topic.len : 0;
    if (n + 5 > buflen)
        n = buflen - 5;
    if (n)
        memcpy(buf, topic.ptr, n);
    buf[n] = '\0';
    st_put_i32(buf + n + 1, partition);
    return st_slice_from(buf, n + 5);
}

void group_offset_key_parse(const char *key, st_slice *topic, int32_t *partition)
{
    size_t n = strlen(key);
    *topic = st_slice_from(key, n);
    *partition = st_get_i32((const uint8_t *)key + n + 1);
}

cg_offset *group_get_offset(const consumer_group *g, st_slice topic, int32_t partition)
{
    uint8_t buf[512];
    return strmap_get(&g->offsets, group_offset_key(topic, partition, buf, sizeof(buf)));
}

bool group_put_offset(consumer_group *g, st_slice topic, int32_t partition, const cg_offset *o)
{
    uint8_t buf[512];
    st_slice key = group_offset_key(topic, partition, buf, sizeof(buf));
    cg_offset *copy = malloc(sizeof(*copy));
    bool ok = copy != NULL;
    if (ok) {
        *copy = *o;
        copy->metadata = st_slice_dup(o->metadata, &ok);
    }
    cg_offset *old = ok ? strmap_get(&g->offsets, key) : NULL;
    if (ok && strmap_put(&g->offsets, key, copy) == ST_OK) {
        if (old)
            free_offset(old);
        return true;
    }
    if (copy)
        free_offset(copy);
    return false;
}

void group_delete_offset(consumer_group *g, st_slice topic, int32_t partition)
{
    uint8_t buf[512];
    cg_offset *old = strmap_remove(&g->offsets, group_offset_key(topic, partition, buf,
                                                                    sizeof(buf)));
    if (old)
        free_offset(old);
}
