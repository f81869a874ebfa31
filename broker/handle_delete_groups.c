/* handle_delete_groups.c — DeleteGroups v0-2: an empty group and all its
 * committed offsets go (tombstones in __consumer_offsets); a group with
 * members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND. */
#include "broker/broker.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

static int16_t delete_group(group_coordinator *gc, st_slice group_id)
{
    if (!gc_group_id_valid(group_id, true))
        return KAFKA_INVALID_GROUP_ID;
    consumer_group *g = gc_find(gc, group_id);
    if (!g || g->state == GROUP_DEAD)
        return KAFKA_GROUP_ID_NOT_FOUND;
    if (g->state != GROUP_EMPTY)
        return KAFKA_NON_EMPTY_GROUP;
    if (gc_tombstone_group(gc, g, broker_now_ms(gc->b), NULL))
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    gc_remove_group(gc, g);
    return KAFKA_NONE;
}

void handle_delete_groups(request *rq)
{
    const kp_delete_groups_request *req = rq->req.body;
    kp_delete_groups_response *resp = request_new_response_body(rq);
    int32_t n = req->groups_names_count > 0 ? req->groups_names_count : 0;
    if (!resp || !(resp->results = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                   sizeof(*resp->results)))) {
        request_close_connection(rq, "out of memory");
        return;
    }
    for (int32_t i = 0; i < n; i++) {
        resp->results[i].group_id = req->groups_names[i];
        resp->results[i].error_code = delete_group(&rq->b->groups, req->groups_names[i]);
    }
    resp->results_count = n;
    request_respond(rq, resp);
}
