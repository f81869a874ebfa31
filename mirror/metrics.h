/* metrics.h — the mirror's metrics registry.
 *
 * Owns: the per-partition replication figures (position, lag, totals, last
 * error) and the per-flow counters (errors by kind, checkpoints, groups
 * synced, ...) that the flows report while they run, their rendering in the
 * Prometheus text exposition format 0.0.4, and the periodic one-line-per-flow
 * INFO summary in the log.
 *
 * Threads: every function takes the registry's mutex, so flows running on
 * several threads and the HTTP endpoint's thread may call them concurrently.
 * Every string passed in is copied; the registry never keeps the caller's
 * pointers. Metrics are best effort: an allocation failure while recording
 * drops that update (nothing else is lost); only rendering reports it.
 */
#ifndef STRAIT_MIRROR_METRICS_H
#define STRAIT_MIRROR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/logging.h"

typedef struct mirror_metrics mirror_metrics;

/* One source partition's figures, as its flow last reported them. */
typedef struct mirror_partition_stats {
    const char *target_topic; /* name on the target cluster; NULL/"" unknown */
    int64_t position;         /* next source offset to mirror (replicated up to) */
    int64_t source_end;       /* source end offset last seen, -1 unknown */
    int64_t lag_records;      /* -1 unknown */
    double lag_seconds;       /* -1 unknown */
    int64_t records_total;    /* records mirrored since start */
    int64_t bytes_total;      /* key+value+header bytes mirrored since start */
    int64_t errors_total;
    const char *last_error;   /* NULL/"" none */
} mirror_partition_stats;

/* A new, empty registry (the caller frees it with mirror_metrics_free);
 * NULL on OOM. */
mirror_metrics *mirror_metrics_new(void);
/* Frees the registry and everything it copied; NULL is a no-op. No other
 * thread may be using it (stop the HTTP endpoint first). */
void mirror_metrics_free(mirror_metrics *m);

/* Thread-safe (a mutex): sets the partition's values (copied), creating the
 * partition's entry the first time. A partition is identified by
 * (flow, topic, partition), topic being the source topic. */
void mirror_metrics_set_partition(mirror_metrics *m, const char *flow, const char *topic,
                                  int32_t partition, const mirror_partition_stats *stats);
/* Forgets the partition (e.g. its topic was deleted or excluded). Its
 * records/bytes totals stay counted in its flow's rates so that the logged
 * records/s never go negative. Unknown partitions are ignored. */
void mirror_metrics_remove_partition(mirror_metrics *m, const char *flow, const char *topic,
                                     int32_t partition);

/* Flow-level counters: errors by kind ("source", "target", "produce",
 * "checkpoint", "topic_sync"), checkpoints emitted, groups synced; and the
 * flow up/down gauge (mirror_metrics_set_flow_up).
 *
 * Adds n (>= 0; a negative n is ignored, counters never go down; n == 0
 * makes the series appear with value 0) to the flow's error count of kind. */
void mirror_metrics_add_flow_error(mirror_metrics *m, const char *flow, const char *kind,
                                   int64_t n);
/* Adds n to the flow's counter name, e.g. "checkpoints", "groups_synced",
 * "topics_created", rendered as strait_mirror_flow_<name>_total. Characters
 * other than [A-Za-z0-9_] in name become '_'. The names "errors" and "up"
 * are reserved (they would collide with strait_mirror_flow_errors_total and
 * strait_mirror_flow_up): calls with them are ignored. */
void mirror_metrics_add_flow_counter(mirror_metrics *m, const char *flow, const char *name,
                                     int64_t n);
/* Sets the flow's strait_mirror_flow_up gauge: 1 running, 0 down (failed or
 * stopped). Flows that never called it have no such series. */
void mirror_metrics_set_flow_up(mirror_metrics *m, const char *flow, int up);

/* Prometheus text exposition format 0.0.4 (# HELP/# TYPE lines, labels
 * flow/topic/partition/target_topic escaped per spec) into a malloc'd,
 * NUL-terminated string (*out, caller frees; *len excludes the NUL);
 * ST_OK or ST_ERR_NOMEM (then *out is NULL).
 *
 * Families (partition series labelled {flow,topic,partition,target_topic};
 * unknown values, -1, are left out rather than rendered):
 *   strait_mirror_up                                   gauge, always 1
 *   strait_mirror_records_total / _bytes_total / _errors_total   counters
 *   strait_mirror_lag_records, strait_mirror_lag_seconds         gauges
 *   strait_mirror_replicated_offset (position), strait_mirror_source_end_offset
 *   strait_mirror_flow_up{flow}                        gauge
 *   strait_mirror_flow_errors_total{flow,kind}         counter
 *   strait_mirror_flow_<name>_total{flow}              counter
 * Series are sorted (flow, topic, partition) so successive scrapes diff. */
st_err mirror_metrics_render(mirror_metrics *m, char **out, size_t *len);

/* One INFO line per flow: records/s and bytes/s since the previous call
 * (computed from the totals; the first call measures from
 * mirror_metrics_new), total lag records, max lag seconds, partitions with
 * errors (a non-empty last_error) and one such error as an example.
 * Uses st_logf(log, ST_LOG_INFO, "metrics", ...). */
void mirror_metrics_log(mirror_metrics *m, const st_logger *log);
/* The same with an explicit monotonic clock reading in milliseconds (what
 * mirror_metrics_log passes from CLOCK_MONOTONIC); for tests. */
void mirror_metrics_log_at(mirror_metrics *m, const st_logger *log, int64_t now_ms);

#endif
