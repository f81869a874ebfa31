/* broker.c — start-up, timers, shutdown (see broker.h). */
#include "broker/broker.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/dispatch.h"
#include "broker/log_cleaner.h"
#include "broker/partition.h"

enum { SHUTDOWN_DRAIN_MS = 5000, SHUTDOWN_POLL_MS = 20, MAX_QUEUED_OUTPUT = 8 << 20 };

int64_t broker_now_ms(const broker *b)
{
    return (int64_t)(ev_now(b->loop) * 1000.0);
}

/* ---- connections --------------------------------------------------------- */

static void on_frame(void *ctx, connection *c, uint8_t *block, size_t len)
{
    dispatch_frame(ctx, c, block, len);
}

static void on_accept(void *ctx, connection *c)
{
    broker *b = ctx;
    connection_set *set = &b->connections;
    if (set->count == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        connection **grown = realloc(set->items, cap * sizeof(*grown));
        if (!grown) {
            connection_close(c, "out of memory");
            return;
        }
        set->items = grown;
        set->cap = cap;
    }
    set->items[set->count++] = c;
}

static void on_close(void *ctx, connection *c)
{
    connection_set *set = &((broker *)ctx)->connections;
    for (size_t i = 0; i < set->count; i++) {
        if (set->items[i] == c) {
            set->items[i] = set->items[--set->count];
            return;
        }
    }
}

/* ---- partitions ---------------------------------------------------------- */

/* The log dir that already holds <topic>-<index>, else the first one. */
static const char *dir_holding(broker *b, const char *topic_name, int32_t index)
{
    char name[TOPIC_NAME_MAX + 16], path[4096];
    partition_dir_name(topic_name, index, name, sizeof(name));
    for (size_t d = 0; d < b->cfg.n_log_dirs; d++) {
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", b->cfg.log_dirs[d], name);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return b->cfg.log_dirs[d];
    }
    return b->cfg.log_dirs[0];
}

static st_err open_all_partitions(broker *b, char *errbuf, size_t errlen)
{
    size_t pos = 0, opened = 0;
    const char *key;
    void *value;
    while (strmap_next(&b->topics.by_name, &pos, &key, &value)) {
        topic *t = value;
        for (int32_t i = 0; i < t->partition_count; i++) {
            st_err err = partition_open(dir_holding(b, t->name, i), t, i, b->clean_start,
                                        broker_now_ms(b), &b->logger, &t->partitions[i], errbuf,
                                        errlen);
            if (err)
                return err;
            opened++;
        }
    }
    st_logf(&b->logger, ST_LOG_INFO, "broker", "opened %zu partition(s) after a%s shutdown",
            opened, b->clean_start ? " clean" : "n unclean");
    return ST_OK;
}

static st_err close_all_partitions(broker *b)
{
    st_err result = ST_OK;
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&b->topics.by_name, &pos, &key, &value)) {
        topic *t = value;
        for (int32_t i = 0; i < t->partition_count; i++) {
            st_err err = partition_close(t->partitions[i]);
            t->partitions[i] = NULL;
            if (err && !result) {
                st_logf(&b->logger, ST_LOG_ERROR, "broker", "closing %s-%d failed: %s",
                        t->name, i, st_err_name(err));
                result = err;
            }
        }
    }
    return result;
}

/* ---- timers -------------------------------------------------------------- */

static void apply_retention(broker *b, partition *p)
{
    if (!p->topic->config.cleanup_delete)
        return; /* cleanup.policy=compact alone: only the cleaner removes data */
    st_log_retention_result res;
    st_err err = st_log_apply_retention(p->log, broker_now_ms(b), partition_high_watermark(p),
                                        &res);
    if (err)
        st_logf(&b->logger, ST_LOG_WARN, "log", "%s: retention failed: %s", p->dir,
                st_log_last_error(p->log));
    else if (res.segments_deleted > 0)
        st_logf(&b->logger, ST_LOG_INFO, "log",
                "%s: retention deleted %d segment(s), %lld bytes; log start offset %lld", p->dir,
                res.segments_deleted, (long long)res.bytes_deleted,
                (long long)res.log_start_offset);
}

static void flush_if_due(broker *b, partition *p)
{
    if (st_log_flush_due(p->log, broker_now_ms(b)) &&
        st_log_flush(p->log, broker_now_ms(b)) != ST_OK)
        st_logf(&b->logger, ST_LOG_ERROR, "log", "%s: flush failed: %s", p->dir,
                st_log_flush_error(p->log));
}

static void for_each_partition(broker *b, void (*fn)(broker *, partition *))
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&b->topics.by_name, &pos, &key, &value)) {
        topic *t = value;
        for (int32_t i = 0; i < t->partition_count; i++)
            if (t->partitions[i])
                fn(b, t->partitions[i]);
    }
}

static void on_retention_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    for_each_partition(w->data, apply_retention);
}

static void on_flush_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    for_each_partition(w->data, flush_if_due);
}

/* ---- log cleaner (log_cleaner.h) ----------------------------------------- */

/* Every partition of a topic whose cleanup.policy includes compact. */
static void each_compacted_log(void *ctx, st_cleaner_visit_fn visit, void *vctx)
{
    broker *b = ctx;
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&b->topics.by_name, &pos, &key, &value)) {
        topic *t = value;
        if (!t->config.cleanup_compact)
            continue;
        st_clean_params params = {
            .delete_retention_ms = t->config.delete_retention_ms,
            .min_compaction_lag_ms = t->config.min_compaction_lag_ms,
            .max_compaction_lag_ms = t->config.max_compaction_lag_ms,
            .min_cleanable_ratio = t->config.min_cleanable_dirty_ratio,
            .dedupe_buffer_bytes = b->cfg.log_cleaner_dedupe_buffer_size,
        };
        for (int32_t i = 0; i < t->partition_count; i++) {
            partition *p = t->partitions[i];
            if (!p || !p->log)
                continue;
            st_cleaner_candidate c = {p->log, params, partition_last_stable_offset(p), p->dir};
            visit(vctx, &c);
        }
    }
}

static st_err start_cleaner(broker *b, char *errbuf, size_t errlen)
{
    if (!b->cfg.log_cleaner_enable)
        return ST_OK;
    st_cleaner_options o = {.backoff_ms = b->cfg.log_cleaner_backoff_ms, .logger = &b->logger};
    st_err err = st_cleaner_start(b->loop, &o, each_compacted_log, b, &b->cleaner);
    if (err)
        snprintf(errbuf, errlen, "cannot start the log cleaner: %s", strerror(errno));
    return err;
}

/* Joins the cleaner thread; before any log closes. */
static void stop_cleaner(broker *b)
{
    st_cleaner_stop(b->cleaner);
    b->cleaner = NULL;
}

/* ---- shutdown ------------------------------------------------------------ */

static bool connections_busy(const broker *b)
{
    for (size_t i = 0; i < b->connections.count; i++)
        if (connection_busy(b->connections.items[i]))
            return true;
    return false;
}

static void finish_shutdown(broker *b)
{
    ev_timer_stop(b->loop, &b->shutdown_timer);
    while (b->connections.count > 0)
        connection_close(b->connections.items[b->connections.count - 1], "broker shutdown");
    stop_cleaner(b);
    st_err err = close_all_partitions(b);
    if (!err)
        err = clean_shutdown_mark(b->cfg.log_dirs, b->cfg.n_log_dirs);
    if (err)
        st_logf(&b->logger, ST_LOG_ERROR, "broker",
                "shut down without a clean-shutdown marker: the next start re-validates logs");
    else
        st_logf(&b->logger, ST_LOG_INFO, "broker", "shut down cleanly");
    ev_break(b->loop, EVBREAK_ALL);
}

static void on_shutdown_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    broker *b = w->data;
    bool deadline = ev_now(b->loop) - b->shutdown_started >= SHUTDOWN_DRAIN_MS / 1000.0;
    if (!connections_busy(b) || deadline)
        finish_shutdown(b);
}

void broker_begin_shutdown(broker *b)
{
    if (b->shutting_down)
        return;
    b->shutting_down = true;
    st_logf(&b->logger, ST_LOG_INFO, "broker", "shutting down: no new connections");
    listener_stop(&b->listener);
    purgatory_flush(&b->fetch_purgatory);
    group_coordinator_stop(&b->groups);
    ev_timer_init(&b->shutdown_timer, on_shutdown_poll, 0.0, SHUTDOWN_POLL_MS / 1000.0);
    b->shutdown_timer.data = b;
    b->shutdown_started = ev_now(b->loop);
    ev_timer_start(b->loop, &b->shutdown_timer);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop;
    (void)revents;
    broker_begin_shutdown(w->data);
}

/* ---- start --------------------------------------------------------------- */

static st_err start_listener(broker *b, char *errbuf, size_t errlen)
{
    const broker_listener *l = NULL;
    for (size_t i = 0; i < b->cfg.n_listeners && !l; i++)
        if (!b->cfg.listeners[i].controller)
            l = &b->cfg.listeners[i];
    if (!l) {
        snprintf(errbuf, errlen, "listeners: no client listener configured");
        return ST_ERR_MALFORMED;
    }
    connection_limits limits = {(size_t)b->cfg.socket_request_max_bytes, MAX_QUEUED_OUTPUT};
    connection_hooks hooks = {on_frame, on_close, b};
    b->listener.on_accept = on_accept;
    st_err err = listener_start(&b->listener, b->loop, l->host, l->port, &limits, &hooks,
                                &b->logger, errbuf, errlen);
    if (err)
        return err;
    for (size_t i = 0; i < b->cfg.n_advertised; i++)
        if (strcasecmp(b->cfg.advertised[i].name, l->name) == 0) {
            if (b->cfg.advertised[i].port == 0)
                b->cfg.advertised[i].port = (uint16_t)b->listener.port;
            b->advertised = &b->cfg.advertised[i];
        }
    if (!b->advertised) {
        snprintf(errbuf, errlen, "advertised.listeners: nothing advertised for listener %s",
                 l->name);
        return ST_ERR_MALFORMED;
    }
    st_logf(&b->logger, ST_LOG_INFO, "broker",
            "node %d of cluster %s listening on %s:%d, advertised as %s:%d",
            b->identity.node_id, b->identity.cluster_id, l->host[0] ? l->host : "*",
            b->listener.port, b->advertised->host, b->advertised->port);
    return ST_OK;
}

static void start_timers(broker *b)
{
    double retention = b->cfg.log_retention_check_interval_ms / 1000.0;
    ev_timer_init(&b->retention_timer, on_retention_timer, retention, retention);
    b->retention_timer.data = b;
    ev_timer_start(b->loop, &b->retention_timer);
    double flush = b->cfg.log_flush_scheduler_interval_ms / 1000.0;
    if (flush <= 0 || flush > 3600)
        flush = 1.0; /* flush.ms is checked every second at most this late */
    ev_timer_init(&b->flush_timer, on_flush_timer, flush, flush);
    b->flush_timer.data = b;
    ev_timer_start(b->loop, &b->flush_timer);
    ev_signal_init(&b->sigterm, on_signal, SIGTERM);
    ev_signal_init(&b->sigint, on_signal, SIGINT);
    b->sigterm.data = b->sigint.data = b;
    ev_signal_start(b->loop, &b->sigterm);
    ev_signal_start(b->loop, &b->sigint);
}

static st_err start(broker *b, char *errbuf, size_t errlen)
{
    st_err err = cluster_identity_load(&b->identity, b->cfg.log_dirs, b->cfg.n_log_dirs,
                                       b->cfg.node_id, errbuf, errlen);
    if (err)
        return err;
    b->clean_start = clean_shutdown_consume(b->cfg.log_dirs, b->cfg.n_log_dirs);
    char path[4096];
    snprintf(path, sizeof(path), "%s/topics.state", b->cfg.log_dirs[0]);
    topic_registry_init(&b->topics, path);
    err = topic_registry_load(&b->topics, &b->cfg, errbuf, errlen);
    if (!err)
        err = open_all_partitions(b, errbuf, errlen);
    if (!err && producer_ids_open(&b->producer_ids, b->cfg.log_dirs[0]) != ST_OK) {
        snprintf(errbuf, errlen, "out of memory");
        err = ST_ERR_NOMEM;
    }
    if (!err) {
        group_coordinator_init(&b->groups, b);
        if (group_coordinator_start(&b->groups) != ST_OK) {
            snprintf(errbuf, errlen, "cannot load consumer groups from __consumer_offsets");
            err = ST_ERR_IO;
        }
    }
    if (!err)
        err = start_cleaner(b, errbuf, errlen);
    if (!err)
        err = start_listener(b, errbuf, errlen);
    if (!err)
        start_timers(b);
    return err;
}

broker *broker_new(broker_config *cfg, st_log_level level, char *errbuf, size_t errlen)
{
    broker *b = calloc(1, sizeof(*b));
    if (!b) {
        broker_config_free(cfg);
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    b->cfg = *cfg;
    b->logger.level = level;
    b->listener.fd = -1;
    b->loop = ev_loop_new(EVFLAG_AUTO);
    purgatory_init(&b->fetch_purgatory, b->loop);
    if (start(b, errbuf, errlen) != ST_OK) {
        broker_free(b);
        return NULL;
    }
    return b;
}

int broker_run(broker *b)
{
    ev_run(b->loop, 0);
    return 0;
}

void broker_free(broker *b)
{
    if (!b)
        return;
    listener_stop(&b->listener);
    while (b->connections.count > 0)
        connection_close(b->connections.items[b->connections.count - 1], "broker freed");
    free(b->connections.items);
    if (b->groups.b)
        group_coordinator_stop(&b->groups);
    stop_cleaner(b);
    close_all_partitions(b);
    topic_registry_free(&b->topics);
    producer_ids_close(&b->producer_ids);
    broker_config_free(&b->cfg);
    if (b->loop)
        ev_loop_destroy(b->loop);
    free(b);
}
