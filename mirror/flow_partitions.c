/* flow_partitions.c — a flow's set of mirrored partitions: creating them
 * from the topic list, stopping them on permanent errors, the consumer's
 * assignment, and publishing their state to metrics and the store's status
 * rows (see flow.h). Owns each mirrored_partition (freed in flow.c). */
#include "mirror/flow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void partition_name(char *buf, size_t len, const char *topic, int32_t partition)
{
    snprintf(buf, len, "%s:%d", topic, (int)partition);
}

mirrored_partition *flow_partition(flow_runner *fr, const char *topic, int32_t partition)
{
    char name[300];
    partition_name(name, sizeof(name), topic, partition);
    return strmap_get_cstr(&fr->partitions, name);
}

mirrored_partition *flow_partition_add(flow_runner *fr, const char *topic,
                                       const char *target_topic, int32_t partition)
{
    mirrored_partition *mp = calloc(1, sizeof(*mp));
    if (!mp)
        return NULL;
    mp->flow = fr;
    mp->topic = strdup(topic);
    mp->target_topic = strdup(target_topic);
    mp->partition = partition;
    mp->state = PARTITION_RESUMING;
    mp->rewound_to = -1;
    mp->source_end = -1;
    mp->target_end = -1;
    mp->max_message_bytes = -1;
    char name[300];
    partition_name(name, sizeof(name), topic, partition);
    if (!mp->topic || !mp->target_topic ||
        strmap_put(&fr->partitions, st_slice_cstr(name), mp) != ST_OK) {
        free(mp->topic);
        free(mp->target_topic);
        free(mp);
        return NULL;
    }
    return mp;
}

store_key flow_partition_key(const flow_runner *fr, const mirrored_partition *mp)
{
    return (store_key){.flow = fr->flow->name, .topic = mp->topic, .partition = mp->partition};
}

void flow_partition_stop(flow_runner *fr, mirrored_partition *mp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mp->last_error, sizeof(mp->last_error), fmt, ap);
    va_end(ap);
    mp->errors++;
    if (mp->state == PARTITION_STOPPED)
        return;
    mp->state = PARTITION_STOPPED;
    /* The pending queue stays: records produced before the stop are still
     * recorded as they are acknowledged (a failed delivery clears it first). */
    fr->assignment_dirty = true;
    mirror_metrics_add_flow_error(fr->metrics, fr->flow->name, "partition_stopped", 1);
    st_logf(fr->log, ST_LOG_ERROR, "mirror",
            "flow %s: %s [%d] stopped: %s (acknowledged by the target so far: source offsets "
            "below %lld; restart the mirror once fixed)",
            fr->flow->name, mp->topic, mp->partition, mp->last_error, (long long)mp->position);
}

/* Adds partitions for every topic the sync settled; a topic with an error
 * keeps its partitions out (other topics go on). */
void flow_sync_partitions(flow_runner *fr)
{
    for (size_t i = 0; i < fr->topics.topic_count; i++) {
        const synced_topic *t = &fr->topics.topics[i];
        if (t->err != 0) {
            st_logf(fr->log, ST_LOG_ERROR, "mirror", "flow %s: topic %s is not mirrored: %s",
                    fr->flow->name, t->source_topic, t->message ? t->message : kc_err_name(t->err));
            continue;
        }
        for (int32_t p = 0; p < t->source_partitions; p++) {
            mirrored_partition *mp = flow_partition(fr, t->source_topic, p);
            if (!mp)
                mp = flow_partition_add(fr, t->source_topic, t->target_topic, p);
            if (mp)
                mp->max_message_bytes = t->max_message_bytes;
        }
    }
}

/* The consumer reads every RUNNING partition: from its current position
 * when it already had one, else from resume_offset. */
void flow_apply_assignment(flow_runner *fr)
{
    if (!fr->assignment_dirty)
        return;
    kc_partition_list *list = kc_partition_list_new(16);
    if (!list)
        return;
    const char *k;
    void *v;
    for (size_t pos = 0; strmap_next(&fr->partitions, &pos, &k, &v);) {
        mirrored_partition *mp = v;
        if (mp->state != PARTITION_RUNNING)
            continue;
        kc_partition_offset *po = kc_partition_list_add(list, mp->topic, mp->partition);
        if (po)
            po->offset = mp->resume_offset;
    }
    kc_err err = kc_consumer_assign(fr->consumer, list);
    kc_partition_list_free(list);
    if (err == KC_OK)
        fr->assignment_dirty = false;
}

static int64_t wall_ms(void);

void flow_partition_saw_end(mirrored_partition *mp, int64_t end)
{
    mp->source_end = end;
    int n = mp->end_seen_count;
    if (n > 0 && mp->end_seen[n - 1].end >= end)
        return;
    if (n == END_SAMPLES) { /* keep the oldest: drop the second oldest */
        memmove(&mp->end_seen[1], &mp->end_seen[2], (size_t)(n - 2) * sizeof(mp->end_seen[0]));
        n--;
    }
    mp->end_seen[n].end = end;
    mp->end_seen[n].seen_ms = wall_ms();
    mp->end_seen_count = n + 1;
}

/* Seconds since the source held a record the target still lacks: the age
 * of the oldest end sample above the position (0 when caught up). */
static double lag_seconds(mirrored_partition *mp, int64_t lag, int64_t now_ms)
{
    int drop = 0;
    while (drop < mp->end_seen_count && mp->end_seen[drop].end <= mp->position)
        drop++;
    if (drop > 0) {
        memmove(&mp->end_seen[0], &mp->end_seen[drop],
                (size_t)(mp->end_seen_count - drop) * sizeof(mp->end_seen[0]));
        mp->end_seen_count -= drop;
    }
    if (lag <= 0)
        return lag == 0 ? 0.0 : -1.0;
    if (mp->end_seen_count == 0)
        return -1.0;
    double s = (double)(now_ms - mp->end_seen[0].seen_ms) / 1000.0;
    return s < 0 ? 0 : s;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Metrics every call; the store's status rows when to_store. */
void flow_publish_status(flow_runner *fr, bool to_store)
{
    int64_t now = wall_ms();
    const char *k;
    void *v;
    for (size_t pos = 0; strmap_next(&fr->partitions, &pos, &k, &v);) {
        mirrored_partition *mp = v;
        int64_t lag = -1; /* unknown until the source's end is read */
        if (mp->source_end >= 0)
            lag = mp->source_end > mp->position ? mp->source_end - mp->position : 0;
        mirror_partition_stats stats = {
            .target_topic = mp->target_topic,
            .position = mp->position,
            .source_end = mp->source_end,
            .lag_records = lag,
            .lag_seconds = lag_seconds(mp, lag, now),
            .records_total = mp->records,
            .bytes_total = mp->bytes,
            .errors_total = mp->errors,
            .last_error = mp->last_error,
        };
        mirror_metrics_set_partition(fr->metrics, fr->flow->name, mp->topic, mp->partition,
                                     &stats);
        if (!to_store)
            continue;
        store_status row = {
            .flow = (char *)fr->flow->name,
            .topic = mp->topic,
            .partition = mp->partition,
            .target_topic = mp->target_topic,
            .position = mp->position,
            .source_end = mp->source_end,
            .target_end = mp->target_end,
            .lag_records = lag,
            .lag_seconds = stats.lag_seconds,
            .records = mp->records,
            .bytes = mp->bytes,
            .errors = mp->errors,
            .last_error = mp->last_error,
            .updated_ms = now,
        };
        if (offset_store_put_status(fr->store, &row, fr->errbuf, sizeof(fr->errbuf)) != ST_OK)
            st_logf(fr->log, ST_LOG_WARN, "mirror", "flow %s: status not stored: %s",
                    fr->flow->name, fr->errbuf);
    }
}
