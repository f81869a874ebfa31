/* partition.c — a led partition: log, epoch, producers (see partition.h). */
#include "broker/partition.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kafka_error.h"

st_log_config partition_log_config(const topic_config *tc)
{
    st_log_config c = st_log_config_default();
    c.segment_bytes = tc->segment_bytes;
    c.segment_ms = tc->segment_ms;
    c.retention_ms = tc->retention_ms;
    c.retention_bytes = tc->retention_bytes;
    c.index_interval_bytes = tc->index_interval_bytes;
    c.segment_index_bytes = tc->segment_index_bytes;
    c.flush_interval_messages = tc->flush_messages;
    c.flush_interval_ms = tc->flush_ms;
    c.file_delete_delay_ms = tc->file_delete_delay_ms;
    /* Kafka rolls compacted logs at least every max.compaction.lag.ms, so
     * that dirty records do not wait in the active segment forever. */
    if (tc->cleanup_compact && tc->max_compaction_lag_ms > 0 &&
        tc->max_compaction_lag_ms < c.segment_ms)
        c.segment_ms = tc->max_compaction_lag_ms;
    return c;
}

void partition_dir_name(const char *topic_name, int32_t index, char *out, size_t len)
{
    snprintf(out, len, "%s-%d", topic_name, index);
}

static st_err replay_cb(void *ctx, const st_batch_header *h, const st_batch *control)
{
    (void)control;
    producer_state *ps = ctx;
    if (h->producer_id < 0)
        return ST_OK;
    return producer_state_update(ps, h, h->base_offset, st_batch_last_offset(h));
}

/* Snapshot, then the batches after it (the whole log when there is none or
 * it is newer than the log). */
static st_err recover_producers(partition *p)
{
    int64_t from = 0;
    st_err err = producer_state_load(&p->producers, p->dir, &from);
    if (err)
        return err;
    if (from > st_log_end_offset(p->log)) {
        producer_state_free(&p->producers);
        producer_state_init(&p->producers);
        from = 0;
    }
    if (from < st_log_start_offset(p->log))
        from = st_log_start_offset(p->log);
    return st_log_scan_batches(p->log, from, replay_cb, &p->producers);
}

static void log_open_info(const st_logger *lg, const partition *p, const st_log_open_info *info)
{
    if (info->truncated_bytes > 0 || info->segments_dropped > 0)
        st_logf(lg, ST_LOG_WARN, "log",
                "%s: recovered after an unclean stop: cut %" PRId64 " bytes (%s), log now ends "
                "at offset %" PRId64,
                p->dir, info->truncated_bytes + info->dropped_bytes, info->detail,
                info->log_end_offset);
    else if (info->segments_scanned > 0)
        st_logf(lg, ST_LOG_INFO, "log", "%s: re-validated %d segment(s), %" PRId64 " batches",
                p->dir, info->segments_scanned, info->batches_scanned);
}

st_err partition_open(const char *log_dir, topic *t, int32_t index, bool clean_shutdown,
                      int64_t now_ms, const st_logger *logger, partition **out, char *errbuf,
                      size_t errlen)
{
    partition *p = calloc(1, sizeof(*p));
    char name[TOPIC_NAME_MAX + 16], path[4096];
    partition_dir_name(t->name, index, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", log_dir, name);
    if (!p || !(p->dir = strdup(path))) {
        free(p);
        return ST_ERR_NOMEM;
    }
    p->topic = t;
    p->index = index;
    producer_state_init(&p->producers);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "cannot create %s: %s", path, strerror(errno));
        partition_close(p);
        return ST_ERR_IO;
    }
    st_log_config cfg = partition_log_config(&t->config);
    st_log_open_info info;
    st_err err = st_log_open(path, &cfg, clean_shutdown, now_ms, &p->log, &info);
    if (!err) {
        log_open_info(logger, p, &info);
        p->leader_epoch = st_log_latest_epoch(p->log) < 0 ? 0 : st_log_latest_epoch(p->log);
        /* As Kafka's leader does, record the epoch's start before any
         * append (OffsetForLeaderEpoch then answers it for an empty log). */
        if (st_log_latest_epoch(p->log) < 0)
            err = st_log_assign_epoch(p->log, p->leader_epoch, st_log_end_offset(p->log));
        if (!err)
            err = recover_producers(p);
    }
    if (err) {
        snprintf(errbuf, errlen, "cannot open %s: %s (%s)", path, st_err_name(err),
                 info.detail[0] ? info.detail : st_err_name(err));
        partition_close(p);
        return err;
    }
    *out = p;
    return ST_OK;
}

st_err partition_close(partition *p)
{
    if (!p)
        return ST_OK;
    st_err err = ST_OK;
    if (p->log) {
        err = producer_state_save(&p->producers, p->dir, st_log_end_offset(p->log));
        st_err close_err = st_log_close(p->log);
        if (!err)
            err = close_err;
    }
    producer_state_free(&p->producers);
    free(p->dir);
    free(p);
    return err;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4600];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void partition_delete(partition *p, const st_logger *logger)
{
    char *dir = strdup(p->dir);
    st_log_close(p->log);
    p->log = NULL;
    partition_close(p);
    if (dir) {
        remove_tree(dir);
        st_logf(logger, ST_LOG_INFO, "log", "deleted %s", dir);
        free(dir);
    }
}

int64_t partition_high_watermark(const partition *p)
{
    return st_log_end_offset(p->log);
}

int64_t partition_last_stable_offset(const partition *p)
{
    return partition_high_watermark(p);
}

int16_t partition_epoch_error(const partition *p, int32_t current_leader_epoch)
{
    if (current_leader_epoch < 0 || current_leader_epoch == p->leader_epoch)
        return KAFKA_NONE;
    return current_leader_epoch > p->leader_epoch ? KAFKA_UNKNOWN_LEADER_EPOCH
                                                  : KAFKA_FENCED_LEADER_EPOCH;
}
