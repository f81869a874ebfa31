/* client_admin_groups.c — listing, describing and deleting consumer groups
 * (kc_admin_list_groups, kc_admin_describe_groups, kc_admin_delete_groups
 * in kafka_client.h).
 *
 * Owns asking every broker for its groups (each broker lists only the
 * groups it coordinates), the per-group coordinator round trips, and
 * decoding a member's assignment from the consumer protocol so callers see
 * topic partitions rather than bytes. Never changes a group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/client_admin.h"
#include "common/client_core.h"
#include "common/protocol/messages.h"

/* ---- ListGroups ---------------------------------------------------------------------------- */

typedef struct list_ctx {
    st_arena *arena;
    kc_group_listing *groups;
    size_t count;
    size_t cap;
    kc_err err;
    char errstr[512];
} list_ctx;

static bool list_add(list_ctx *x, const kp_list_groups_response_listed_group *g, int32_t node)
{
    for (size_t i = 0; i < x->count; i++)
        if (st_slice_eq_cstr(g->group_id, x->groups[i].group_id))
            return true;
    if (x->count == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        kc_group_listing *grown = st_arena_calloc(x->arena, cap, sizeof(*grown));
        if (!grown)
            return false;
        if (x->count)
            memcpy(grown, x->groups, x->count * sizeof(*grown));
        x->groups = grown;
        x->cap = cap;
    }
    kc_group_listing *out = &x->groups[x->count++];
    out->group_id = adm_str(x->arena, g->group_id);
    out->protocol_type = adm_str(x->arena, g->protocol_type);
    out->state = adm_str(x->arena, g->group_state);
    out->coordinator = node;
    if (!out->protocol_type)
        out->protocol_type = "";
    if (!out->state)
        out->state = "";
    return out->group_id != NULL;
}

static void on_list_groups(void *opaque, size_t index, const kc_response *resp)
{
    list_ctx *x = opaque;
    if (!resp->err && ((const kp_list_groups_response *)resp->body)->error_code) {
        const kp_list_groups_response *r = resp->body;
        x->err = r->error_code;
        snprintf(x->errstr, sizeof(x->errstr), "ListGroups on node %d: %s", (int)index,
                 kafka_error_name(r->error_code));
        return;
    }
    if (adm_request_failed(resp, &x->err, x->errstr, sizeof(x->errstr)))
        return;
    const kp_list_groups_response *r = resp->body;
    for (int32_t i = 0; i < r->groups_count; i++) {
        if (!list_add(x, &r->groups[i], resp->node_id)) {
            x->err = KC_ERR_NOMEM;
            snprintf(x->errstr, sizeof(x->errstr), "out of memory");
            return;
        }
    }
}

static bool state_wanted(const char *state, const char *const *states, size_t n)
{
    if (!states || !n || !state || !*state)
        return true;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(state, states[i]) == 0)
            return true;
    return false;
}

static int compare_listings(const void *a, const void *b)
{
    return strcmp(((const kc_group_listing *)a)->group_id,
                  ((const kc_group_listing *)b)->group_id);
}

kc_err kc_admin_list_groups(kc_client *client, const char *const *states, size_t state_count,
                            int timeout_ms, st_arena *arena, kc_group_listing **groups,
                            size_t *count)
{
    *groups = NULL;
    *count = 0;
    adm_op op;
    kc_err err = adm_begin(&op, client, timeout_ms);
    if (!err)
        err = kc_client_connect(client, adm_remaining(&op));
    if (err) {
        adm_end(&op);
        return err;
    }
    size_t nb = 0;
    const kc_broker_info *brokers = kc_metadata_brokers(client, &nb);
    int32_t *nodes = st_arena_calloc(&op.scratch, nb + 1, sizeof(*nodes));
    for (size_t i = 0; nodes && i < nb; i++)
        nodes[i] = brokers[i].node_id; /* the cache may change while we wait */
    list_ctx x = {.arena = arena};
    kp_list_groups_request req;
    kp_init(&kp_list_groups_request_desc, &req);
    req.states_filter_count = 0;
    req.types_filter_count = 0;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.retry_after_send = true;
    for (size_t i = 0; nodes && i < nb; i++)
        adm_send(&op, kc_target_node(nodes[i]), KC_API_LIST_GROUPS, &req, &opts, on_list_groups,
                 &x, (size_t)nodes[i]);
    adm_wait(&op);
    adm_end(&op);
    if (!nodes)
        return kc_fail(client, KC_ERR_NOMEM, "out of memory");
    if (x.err)
        return kc_fail(client, x.err, "%s", x.errstr);
    size_t k = 0;
    for (size_t i = 0; i < x.count; i++)
        if (state_wanted(x.groups[i].state, states, state_count))
            x.groups[k++] = x.groups[i];
    if (k > 1)
        qsort(x.groups, k, sizeof(*x.groups), compare_listings);
    *groups = x.groups;
    *count = k;
    return KC_OK;
}

/* ---- DescribeGroups -------------------------------------------------------------------------- */

typedef struct describe_ctx {
    st_arena *arena;
    kc_group_desc *out;
} describe_ctx;

/* The consumer protocol's Assignment: int16 version, then the v0 layout
 * (newer versions only add fields at the end). */
static void decode_assignment(st_arena *arena, st_slice bytes, kc_group_member *m)
{
    if (bytes.len < 2)
        return;
    st_reader r;
    st_reader_init(&r, bytes.ptr, (size_t)bytes.len);
    int16_t version = st_read_i16(&r);
    if (version < 0)
        return;
    if (version > 3)
        version = 3;
    st_arena tmp;
    st_arena_init(&tmp);
    kp_consumer_protocol_assignment a;
    kp_consumer_protocol_assignment_init(&a);
    if (kp_consumer_protocol_assignment_decode(&a, version, &r, &tmp) == ST_OK) {
        size_t n = 0;
        for (int32_t i = 0; i < a.assigned_partitions_count; i++)
            n += a.assigned_partitions[i].partitions_count > 0
                     ? (size_t)a.assigned_partitions[i].partitions_count : 0;
        kc_topic_partition *tp = st_arena_calloc(arena, n + 1, sizeof(*tp));
        size_t k = 0;
        for (int32_t i = 0; tp && i < a.assigned_partitions_count; i++) {
            const char *topic = adm_str(arena, a.assigned_partitions[i].topic);
            for (int32_t j = 0; j < a.assigned_partitions[i].partitions_count; j++)
                tp[k++] = (kc_topic_partition){topic, a.assigned_partitions[i].partitions[j]};
        }
        m->assignment = tp;
        m->assignment_count = tp ? k : 0;
    }
    st_arena_free(&tmp);
}

static void copy_member(st_arena *arena, bool consumer,
                        const kp_describe_groups_response_described_group_member *in,
                        kc_group_member *out)
{
    out->member_id = adm_str(arena, in->member_id);
    out->group_instance_id = adm_str(arena, in->group_instance_id);
    out->client_id = adm_str(arena, in->client_id);
    out->client_host = adm_str(arena, in->client_host);
    if (consumer)
        decode_assignment(arena, in->member_assignment, out);
}

static void on_describe_group(void *opaque, size_t index, const kc_response *resp)
{
    describe_ctx *x = opaque;
    kc_group_desc *out = &x->out[index];
    const kp_describe_groups_response *r = resp->err ? NULL : resp->body;
    if (adm_no_item(x->arena, resp, r ? r->groups_count : 0, "DescribeGroups answered no group",
                    &out->err, &out->message))
        return;
    const kp_describe_groups_response_described_group *g = &r->groups[0];
    out->err = g->error_code;
    out->message = adm_err_text(x->arena, g->error_code, ST_SLICE_NULL);
    out->state = adm_str(x->arena, g->group_state);
    out->protocol_type = adm_str(x->arena, g->protocol_type);
    out->protocol = adm_str(x->arena, g->protocol_data);
    bool consumer = st_slice_eq_cstr(g->protocol_type, "consumer");
    size_t n = g->members_count > 0 ? (size_t)g->members_count : 0;
    kc_group_member *m = st_arena_calloc(x->arena, n + 1, sizeof(*m));
    if (!m)
        n = 0;
    for (size_t i = 0; i < n; i++)
        copy_member(x->arena, consumer, &g->members[i], &m[i]);
    out->members = m;
    out->member_count = n;
}

static int16_t describe_group_error(const void *body, int16_t version)
{
    (void)version;
    const kp_describe_groups_response *r = body;
    return r->groups_count > 0 ? r->groups[0].error_code : 0;
}

static void fill_coordinator(kc_client *client, st_arena *arena, kc_group_desc *g, int32_t node)
{
    g->coordinator = node;
    size_t n = 0;
    const kc_broker_info *b = kc_metadata_brokers(client, &n);
    for (size_t i = 0; i < n; i++) {
        if (b[i].node_id != node)
            continue;
        g->coordinator_host = adm_strdup(arena, b[i].host);
        g->coordinator_port = b[i].port;
    }
}

static void describe_one(adm_op *op, describe_ctx *x, const char *group, size_t index)
{
    kc_group_desc *g = &x->out[index];
    g->group_id = adm_strdup(x->arena, group);
    g->coordinator = -1;
    st_slice id = st_slice_cstr(group);
    kp_describe_groups_request req;
    kp_init(&kp_describe_groups_request_desc, &req);
    req.groups = &id;
    req.groups_count = 1;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.retry_after_send = true;
    int32_t node = adm_group_call(op, group, KC_API_DESCRIBE_GROUPS, &req, &opts,
                                  describe_group_error, on_describe_group, x, index);
    if (node >= 0)
        fill_coordinator(op->client, x->arena, g, node);
    if (!g->state)
        g->state = "";
    if (!g->protocol_type)
        g->protocol_type = "";
    if (!g->protocol)
        g->protocol = "";
    if (!g->message)
        g->message = "";
}

kc_err kc_admin_describe_groups(kc_client *client, const char *const *group_ids, size_t n,
                                int timeout_ms, st_arena *arena, kc_group_desc **out)
{
    *out = NULL;
    adm_op op;
    kc_err err;
    kc_group_desc *groups =
        adm_begin_items(&op, client, timeout_ms, arena, n, sizeof(*groups), &err);
    if (!groups)
        return err;
    describe_ctx x = {arena, groups};
    for (size_t i = 0; i < n; i++)
        describe_one(&op, &x, group_ids[i], i);
    adm_end(&op);
    *out = groups;
    for (size_t i = 0; i < n; i++)
        if (groups[i].err)
            return kc_fail(client, groups[i].err, "group '%s': %s", group_ids[i],
                           groups[i].message);
    return KC_OK;
}

/* ---- DeleteGroups ------------------------------------------------------------------------------ */

typedef struct delete_ctx {
    st_arena *arena;
    kc_admin_result *results;
} delete_ctx;

static void on_delete_group(void *opaque, size_t index, const kc_response *resp)
{
    delete_ctx *x = opaque;
    kc_admin_result *out = &x->results[index];
    const kp_delete_groups_response *r = resp->err ? NULL : resp->body;
    if (adm_no_item(x->arena, resp, r ? r->results_count : 0, "DeleteGroups answered no group",
                    &out->err, &out->message))
        return;
    out->err = r->results[0].error_code;
    out->message = adm_err_text(x->arena, out->err, ST_SLICE_NULL);
}

static int16_t delete_group_error(const void *body, int16_t version)
{
    (void)version;
    const kp_delete_groups_response *r = body;
    return r->results_count > 0 ? r->results[0].error_code : 0;
}

kc_err kc_admin_delete_groups(kc_client *client, const char *const *group_ids, size_t n,
                              int timeout_ms, st_arena *arena, kc_admin_result **results)
{
    *results = NULL;
    adm_op op;
    kc_err err;
    kc_admin_result *res =
        adm_begin_items(&op, client, timeout_ms, arena, n, sizeof(*res), &err);
    if (!res)
        return err;
    delete_ctx x = {arena, res};
    for (size_t i = 0; i < n; i++) {
        res[i].name = adm_strdup(arena, group_ids[i]);
        res[i].message = "";
        st_slice id = st_slice_cstr(group_ids[i]);
        kp_delete_groups_request req;
        kp_init(&kp_delete_groups_request_desc, &req);
        req.groups_names = &id;
        req.groups_names_count = 1;
        adm_group_call(&op, group_ids[i], KC_API_DELETE_GROUPS, &req, NULL, delete_group_error,
                       on_delete_group, &x, i);
    }
    adm_end(&op);
    *results = res;
    return adm_first_error(client, res, n, "group");
}
