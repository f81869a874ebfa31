/* log_config.h — the storage settings of one partition log (Kafka's topic
 * configs of the same names).
 *
 * Owns nothing but the plain struct and its defaults. Checking a config is
 * st_log_config_check (log.h); this header must never grow behaviour. */
#ifndef STRAIT_LOG_CONFIG_H
#define STRAIT_LOG_CONFIG_H

#include <stdint.h>

typedef struct st_log_config {
    int64_t segment_bytes;           /* segment.bytes: roll past this size (<= INT32_MAX) */
    int64_t segment_ms;              /* segment.ms: roll when the active segment is this old */
    int64_t retention_ms;            /* retention.ms, negative = unlimited */
    int64_t retention_bytes;         /* retention.bytes, negative = unlimited */
    int32_t index_interval_bytes;    /* index.interval.bytes: log bytes between index entries */
    int32_t segment_index_bytes;     /* segment.index.bytes: max index file size, roll when full */
    int64_t flush_interval_messages; /* flush.messages: a flush is due after this many records */
    int64_t flush_interval_ms;       /* flush.ms: a flush is due this long after the last one */
    int64_t file_delete_delay_ms;    /* file.delete.delay.ms: accepted, unused (see log.h) */
} st_log_config;

#define ST_LOG_DEFAULT_SEGMENT_BYTES ((int64_t)1 << 30)          /* 1 GiB */
#define ST_LOG_DEFAULT_SEGMENT_MS ((int64_t)7 * 24 * 3600 * 1000) /* 7 days */
#define ST_LOG_DEFAULT_RETENTION_MS ((int64_t)7 * 24 * 3600 * 1000)
#define ST_LOG_DEFAULT_INDEX_INTERVAL_BYTES 4096
#define ST_LOG_DEFAULT_SEGMENT_INDEX_BYTES (10 * 1024 * 1024)    /* 10 MiB */
#define ST_LOG_DEFAULT_FILE_DELETE_DELAY_MS 60000

/* Kafka's defaults: 1 GiB / 7-day segments, 7-day time retention, no size
 * limit, an index entry every 4 KiB, flushing left to the OS. */
static inline st_log_config st_log_config_default(void)
{
    return (st_log_config){
        .segment_bytes = ST_LOG_DEFAULT_SEGMENT_BYTES,
        .segment_ms = ST_LOG_DEFAULT_SEGMENT_MS,
        .retention_ms = ST_LOG_DEFAULT_RETENTION_MS,
        .retention_bytes = -1,
        .index_interval_bytes = ST_LOG_DEFAULT_INDEX_INTERVAL_BYTES,
        .segment_index_bytes = ST_LOG_DEFAULT_SEGMENT_INDEX_BYTES,
        .flush_interval_messages = INT64_MAX,
        .flush_interval_ms = INT64_MAX,
        .file_delete_delay_ms = ST_LOG_DEFAULT_FILE_DELETE_DELAY_MS,
    };
}

#endif
