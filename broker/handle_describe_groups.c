/* handle_describe_groups.c — DescribeGroups v0-5: state, protocol type and
 * chosen protocol, and every member with its client id, host, subscription
 * and assignment (members only in Stable and CompletingRebalance carry
 * their metadata, as in Kafka; an unknown group is reported Dead). */
#include "broker/broker.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

enum { AUTHORIZED_OPERATIONS_OMITTED = INT32_MIN };

static bool describe_members(request *rq, const consumer_group *g,
                             kp_describe_groups_response_described_group *out)
{
    out->members = st_arena_calloc(&rq->arena, g->members.count + 1, sizeof(*out->members));
    if (!out->members)
        return false;
    bool with_metadata = g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE;
    size_t pos = 0, n = 0;
    const char *key;
    void *value;
    while (strmap_next(&g->members, &pos, &key, &value)) {
        const cg_member *m = value;
        const cg_protocol *p = g->protocol_name ? cg_member_protocol(m, g->protocol_name)
                                                : NULL;
        kp_describe_groups_response_described_group_member *mo = &out->members[n++];
        mo->member_id = st_slice_cstr(m->member_id);
        mo->group_instance_id = st_slice_cstr(m->instance_id);
        mo->client_id = st_slice_cstr(m->client_id);
        mo->client_host = st_slice_cstr(m->client_host);
        mo->member_metadata = with_metadata && p ? p->metadata : ST_SLICE_EMPTY;
        mo->member_assignment = with_metadata && m->assignment.len >= 0 ? m->assignment
                                                                        : ST_SLICE_EMPTY;
    }
    out->members_count = (int32_t)n;
    return true;
}

static bool describe(request *rq, st_slice group_id, kp_describe_groups_response_described_group *out)
{
    kp_init(&kp_describe_groups_response_described_group_desc, out);
    out->group_id = group_id;
    out->authorized_operations = AUTHORIZED_OPERATIONS_OMITTED;
    out->members_count = 0;
    out->protocol_type = ST_SLICE_EMPTY;
    out->protocol_data = ST_SLICE_EMPTY;
    if (!gc_group_id_valid(group_id, true)) {
        out->error_code = KAFKA_INVALID_GROUP_ID;
        out->group_state = st_slice_cstr("Dead");
        return true;
    }
    const consumer_group *g = gc_find(&rq->b->groups, group_id);
    if (!g) {
        out->group_state = st_slice_cstr("Dead");
        return true;
    }
    out->group_state = st_slice_cstr(group_state_name(g->state));
    out->protocol_type = st_slice_cstr(g->protocol_type ? g->protocol_type : "");
    out->protocol_data = st_slice_cstr(g->protocol_name ? g->protocol_name : "");
    return describe_members(rq, g, out);
}

void handle_describe_groups(request *rq)
{
    const kp_describe_groups_request *req = rq->req.body;
    kp_describe_groups_response *resp = request_new_response_body(rq);
    int32_t n = req->groups_count > 0 ? req->groups_count : 0;
    bool ok = resp && (resp->groups = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                      sizeof(*resp->groups)));
    for (int32_t i = 0; ok && i < n; i++)
        ok = describe(rq, req->groups[i], &resp->groups[i]);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->groups_count = n;
    request_respond(rq, resp);
}
