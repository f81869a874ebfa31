/* handlers.h — one function per API this broker serves (api_table.c routes
 * to them). Each handler ends its request exactly once (see request.h). */
#ifndef STRAIT_BROKER_HANDLERS_H
#define STRAIT_BROKER_HANDLERS_H

#include "broker/request.h"

void handle_api_versions(request *rq);
void handle_api_versions_fallback(request *rq);
void handle_metadata(request *rq);
void handle_produce(request *rq);
void handle_fetch(request *rq);
void handle_list_offsets(request *rq);
void handle_init_producer_id(request *rq);
void handle_create_topics(request *rq);
void handle_delete_topics(request *rq);
void handle_create_partitions(request *rq);
void handle_describe_configs(request *rq);
void handle_alter_configs(request *rq);
void handle_incremental_alter_configs(request *rq);
void handle_describe_cluster(request *rq);
void handle_delete_records(request *rq);
void handle_describe_log_dirs(request *rq);
void handle_offset_for_leader_epoch(request *rq);
void handle_find_coordinator(request *rq);
void handle_join_group(request *rq);
void handle_sync_group(request *rq);
void handle_heartbeat(request *rq);
void handle_leave_group(request *rq);
void handle_offset_commit(request *rq);
void handle_offset_fetch(request *rq);
void handle_list_groups(request *rq);
void handle_describe_groups(request *rq);
void handle_delete_groups(request *rq);
void handle_offset_delete(request *rq);

#endif
