/* handle_group_membership.c — JoinGroup v0-9, SyncGroup v0-5, Heartbeat
 * v0-4 and LeaveGroup v0-5, handed to the group coordinator (which answers,
 * possibly later, see group_coordinator.h). */
#include "broker/broker.h"
#include "broker/handlers.h"

void handle_join_group(request *rq)
{
    gc_join_group(&rq->b->groups, rq);
}

void handle_sync_group(request *rq)
{
    gc_sync_group(&rq->b->groups, rq);
}

void handle_heartbeat(request *rq)
{
    gc_heartbeat(&rq->b->groups, rq);
}

void handle_leave_group(request *rq)
{
    gc_leave_group(&rq->b->groups, rq);
}
