/* group_store.h — consumer groups and committed offsets as records of the
 * internal compacted topic __consumer_offsets, in Kafka's own key/value
 * formats (so Kafka's tooling can read them):
 *   offset commit:  key = int16 1 + OffsetCommitKey (group, topic, partition),
 *                   value = int16 3 + OffsetCommitValue v3 (offset, leader
 *                   epoch, metadata, commit timestamp), or int16 1 + v1 when
 *                   an expire timestamp is set; null value = deleted
 *   group metadata: key = int16 2 + GroupMetadataKey (group),
 *                   value = int16 3 + GroupMetadataValue v3; null = deleted
 * A group lives in partition abs(javaHashCode(group id)) % partitions.
 *
 * Owns the encoding, decoding and the append of such records; which records
 * to write, and when, is the coordinator's. */
#ifndef STRAIT_BROKER_GROUP_STORE_H
#define STRAIT_BROKER_GROUP_STORE_H

#include "broker/group.h"
#include "common/arena.h"
#include "common/protocol/messages.h"
#include "common/record_batch.h"

struct broker;

#define OFFSETS_TOPIC "__consumer_offsets"

/* Kafka's placement: Utils.abs(String.hashCode) % partitions. */
int32_t group_store_partition_for(st_slice group_id, int32_t partitions);

/* Creates __consumer_offsets (offsets.topic.num.partitions, compacted) if
 * it does not exist yet. */
st_err group_store_ensure_topic(struct broker *b);

/* Records collected for one append to one partition. */
typedef struct group_records {
    st_batch_builder batch;
    int64_t now_ms;
    int32_t count;
    st_err err;
} group_records;

void group_records_init(group_records *r, int64_t now_ms);
void group_records_free(group_records *r);
/* o NULL writes the tombstone of that offset. */
void group_records_offset(group_records *r, const char *group_id, st_slice topic,
                          int32_t partition, const cg_offset *o);
/* The group's metadata (members with the chosen protocol's subscription and
 * their assignments), or its tombstone. */
void group_records_group(group_records *r, const consumer_group *g, bool tombstone);
/* Appends the records as one batch to the group's partition. */
st_err group_records_append(struct broker *b, int32_t partition, group_records *r);

typedef enum stored_kind { STORED_OFFSET, STORED_GROUP, STORED_OTHER } stored_kind;

typedef struct stored_record {
    stored_kind kind;
    bool tombstone;
    kp_offset_commit_key offset_key;
    kp_offset_commit_value offset_value;
    kp_group_metadata_key group_key;
    kp_group_metadata_value group_value;
} stored_record;

/* Decodes one record of __consumer_offsets (arrays in arena). */
st_err group_store_decode(st_slice key, st_slice value, st_arena *arena, stored_record *out);

#endif
