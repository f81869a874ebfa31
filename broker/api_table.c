/* api_table.c — the APIs and versions this broker implements (see api_table.h). */
#include "broker/api_table.h"

#include "broker/handlers.h"

/* Produce from v0 (its magic 0/1 message sets are converted to record
 * batches): librdkafka up to 2.11 enables gzip, snappy and lz4 only when the
 * broker advertises Produce v0. */
const api_support broker_apis[] = {
    {0, 0, 11, handle_produce},
    {1, 4, 17, handle_fetch},
    {2, 0, 8, handle_list_offsets},
    {3, 0, 12, handle_metadata},
    {8, 0, 9, handle_offset_commit},
    {9, 0, 9, handle_offset_fetch},
    {10, 0, 6, handle_find_coordinator},
    {11, 0, 9, handle_join_group},
    {12, 0, 4, handle_heartbeat},
    {13, 0, 5, handle_leave_group},
    {14, 0, 5, handle_sync_group},
    {15, 0, 5, handle_describe_groups},
    {16, 0, 5, handle_list_groups},
    {18, 0, 4, handle_api_versions},
    {19, 0, 7, handle_create_topics},
    {20, 0, 6, handle_delete_topics},
    {21, 0, 2, handle_delete_records},
    {22, 0, 5, handle_init_producer_id},
    {23, 0, 4, handle_offset_for_leader_epoch},
    {32, 0, 4, handle_describe_configs},
    {33, 0, 2, handle_alter_configs},
    {35, 0, 4, handle_describe_log_dirs},
    {37, 0, 3, handle_create_partitions},
    {42, 0, 2, handle_delete_groups},
    {44, 0, 1, handle_incremental_alter_configs},
    {47, 0, 0, handle_offset_delete},
    {60, 0, 1, handle_describe_cluster},
};
const size_t broker_api_count = sizeof(broker_apis) / sizeof(broker_apis[0]);

const api_support *api_support_lookup(int16_t api_key)
{
    for (size_t i = 0; i < broker_api_count; i++)
        if (broker_apis[i].api_key == api_key)
            return &broker_apis[i];
    return NULL;
}
