/* partition.h — one partition this broker leads: its log, its leader epoch
 * and its idempotent producers.
 *
 * Owns the partition directory's lifetime (created here, opened with
 * recovery, closed with a producer-state snapshot) and the offsets the
 * request handlers answer with. On a single node the high watermark is the
 * log end offset and, without transactions, so is the last stable offset;
 * replication will give followers to this object rather than replace it. */
#ifndef STRAIT_BROKER_PARTITION_H
#define STRAIT_BROKER_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/log.h"
#include "broker/producer_state.h"
#include "broker/topics.h"
#include "common/logging.h"

typedef struct partition {
    topic *topic;
    int32_t index;
    char *dir;
    st_log *log;
    int32_t leader_epoch;
    producer_state producers;
} partition;

/* The log settings a topic's configuration gives. */
st_log_config partition_log_config(const topic_config *tc);

/* Opens (creating the directory if needed) the partition in log_dir. */
st_err partition_open(const char *log_dir, topic *t, int32_t index, bool clean_shutdown,
                      int64_t now_ms, const st_logger *logger, partition **out, char *errbuf,
                      size_t errlen);
/* Saves the producer snapshot, closes the log, frees. ST_OK when all of it
 * reached the disk. */
st_err partition_close(partition *p);
/* Closes and removes the partition's directory (topic deletion). */
void partition_delete(partition *p, const st_logger *logger);

int64_t partition_high_watermark(const partition *p);
int64_t partition_last_stable_offset(const partition *p);

/* A request's current leader epoch against the partition's: KAFKA_NONE
 * when it is absent (< 0) or equal, FENCED_LEADER_EPOCH when older,
 * UNKNOWN_LEADER_EPOCH when newer. */
int16_t partition_epoch_error(const partition *p, int32_t current_leader_epoch);

/* "<topic>-<index>" into out. */
void partition_dir_name(const char *topic_name, int32_t index, char *out, size_t len);

#endif
