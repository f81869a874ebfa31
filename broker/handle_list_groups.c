/* handle_list_groups.c — ListGroups v0-5: every group with its protocol
 * type, state (v4+, filterable by state) and type "classic" (v5+,
 * filterable by type). */
#include <strings.h>

#include "broker/broker.h"
#include "broker/handlers.h"

static bool in_filter(const st_slice *filter, int32_t n, const char *value)
{
    if (n <= 0)
        return true;
    for (int32_t i = 0; i < n; i++)
        if (filter[i].len == (int32_t)strlen(value) &&
            strncasecmp((const char *)filter[i].ptr, value, (size_t)filter[i].len) == 0)
            return true;
    return false;
}

void handle_list_groups(request *rq)
{
    const kp_list_groups_request *req = rq->req.body;
    kp_list_groups_response *resp = request_new_response_body(rq);
    const strmap *groups = &rq->b->groups.groups;
    if (!resp || !(resp->groups = st_arena_calloc(&rq->arena, groups->count + 1,
                                                  sizeof(*resp->groups)))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    size_t pos = 0, n = 0;
    const char *key;
    void *value;
    while (strmap_next(groups, &pos, &key, &value)) {
        const consumer_group *g = value;
        const char *state = group_state_name(g->state);
        if (!in_filter(req->states_filter, req->states_filter_count, state) ||
            !in_filter(req->types_filter, req->types_filter_count, "classic"))
            continue;
        kp_list_groups_response_listed_group *out = &resp->groups[n++];
        out->group_id = st_slice_cstr(g->group_id);
        out->protocol_type = st_slice_cstr(g->protocol_type ? g->protocol_type : "");
        out->group_state = st_slice_cstr(state);
        out->group_type = st_slice_cstr("classic");
    }
    resp->groups_count = (int32_t)n;
    request_respond(rq, resp);
}
