/* flow.c — a flow's thread: its clients, its loop, and the schedule of
 * periodic work around the data path (see flow.h).
 *
 * The thread: open the store, connect both clusters (retrying with backoff
 * until they answer or the mirror stops), then loop: sync topics (every
 * refresh.topics.interval.ms, sooner while partitions wait to resume),
 * resume waiting partitions, poll records and hand them to the data path,
 * commit the store every 100 ms, publish metrics every second and status
 * rows and source ends every 5 s, checkpoint groups every
 * emit.checkpoints.interval.ms. On stop: flush the producer (bounded),
 * commit, close everything. */
#include "mirror/flow.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mirror/cluster_client.h"

#define COMMIT_INTERVAL_MS 100
#define METRICS_INTERVAL_MS 1000
#define STATUS_INTERVAL_MS 5000
#define RESUME_RETRY_MS 2000
#define ADMIN_TIMEOUT_MS 10000
#define RESUME_SCAN_TIMEOUT_MS 120000
#define MAX_OUTSTANDING 200000
#define POLL_BATCH 2000

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- store transactions ---- */

static void txn_begin(flow_runner *fr)
{
    if (fr->txn_open)
        return;
    if (offset_store_begin(fr->store, fr->errbuf, sizeof(fr->errbuf)) == ST_OK)
        fr->txn_open = true;
    else
        st_logf(fr->log, ST_LOG_ERROR, "mirror", "flow %s: %s", fr->flow->name, fr->errbuf);
}

static void txn_commit(flow_runner *fr)
{
    if (!fr->txn_open)
        return;
    fr->txn_open = false;
    if (offset_store_commit(fr->store, fr->errbuf, sizeof(fr->errbuf)) != ST_OK)
        st_logf(fr->log, ST_LOG_ERROR, "mirror", "flow %s: %s", fr->flow->name, fr->errbuf);
}

/* ---- clients ---- */

static bool cluster_sets(const mirror_cluster *cluster, const char *name)
{
    for (size_t i = 0; i < cluster->property_count; i++)
        if (strcmp(cluster->properties[i].name, name) == 0)
            return true;
    return false;
}

/* Defaults the cluster's own properties may change. batch.size is 256 KiB
 * (Java's 16384 makes many small batches): a batch that a target topic
 * refuses as too large (a small max.message.bytes) is split by the client
 * and sent again, down to single records, so only a record that is too
 * large by itself fails. */
static bool set_tunables(flow_runner *fr, kc_config *conf)
{
    char linger[32];
    snprintf(linger, sizeof(linger), "%lld", (long long)fr->flow->linger_ms);
    const char *const tunables[][2] = {
        {"linger.ms", linger},
        {"batch.size", "262144"},
        {"buffer.memory", "134217728"},
        {"max.request.size", "104857600"},
    };
    for (size_t i = 0; i < sizeof(tunables) / sizeof(tunables[0]); i++) {
        if (!cluster_sets(fr->flow->target, tunables[i][0]) &&
            kc_config_set(conf, tunables[i][0], tunables[i][1], fr->errbuf, sizeof(fr->errbuf)) !=
                KC_OK)
            return false;
    }
    return true;
}

static bool make_producer(flow_runner *fr)
{
    kc_config *conf = cluster_config_new(fr->flow->target, "producer", fr->log, fr->errbuf,
                                         sizeof(fr->errbuf));
    if (!conf)
        return false;
    /* what exactness needs: always these */
    const char *const settings[][2] = {
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"enable.gapless.guarantee", "true"}, /* a refused batch halts its partition */
        {"max.in.flight.requests.per.connection", "5"},
        /* how long records wait for a target topic to appear in metadata
         * (an external loop never blocks kc_produce itself) */
        {"max.block.ms", "60000"},
        /* a target that is down is waited for, never given up on: records
         * are not dropped, order is kept */
        {"delivery.timeout.ms", "2147483647"},
        {"retries", "2147483647"},
    };
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof(settings) / sizeof(settings[0]); i++)
        ok = kc_config_set(conf, settings[i][0], settings[i][1], fr->errbuf,
                           sizeof(fr->errbuf)) == KC_OK;
    ok = ok && set_tunables(fr, conf);
    if (ok) {
        kc_config_set_delivery_cb(conf, flow_on_delivery, fr);
        fr->producer = kc_producer_new(conf, fr->loop, fr->errbuf, sizeof(fr->errbuf));
    }
    kc_config_free(conf);
    return fr->producer != NULL;
}

static bool make_consumer(flow_runner *fr)
{
    kc_consumer_config *conf = cluster_consumer_config_new(fr->flow->source, "consumer", fr->log,
                                                           fr->errbuf, sizeof(fr->errbuf));
    if (!conf)
        return false;
    const char *const settings[][2] = {
        {"enable.auto.commit", "false"},
        {"auto.offset.reset", "earliest"},
        {"isolation.level", fr->flow->read_committed ? "read_committed" : "read_uncommitted"},
        {"max.poll.records", "2000"},
        {"fetch.max.bytes", "52428800"},
    };
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof(settings) / sizeof(settings[0]); i++)
        ok = kc_consumer_config_set(conf, settings[i][0], settings[i][1], fr->errbuf,
                                    sizeof(fr->errbuf)) == KC_OK;
    if (ok)
        fr->consumer = kc_consumer_new(conf, fr->loop, fr->errbuf, sizeof(fr->errbuf));
    kc_consumer_config_free(conf);
    return fr->consumer != NULL;
}

/* The cluster's id, or "alias-<name>" for a cluster that has none. */
static char *cluster_id_of(kc_client *client, const mirror_cluster *cluster)
{
    const char *id = kc_metadata_cluster_id(client);
    if (id && *id)
        return strdup(id);
    char buf[300];
    snprintf(buf, sizeof(buf), "alias-%s", cluster->name);
    return strdup(buf);
}

/* Waits (with backoff) until both clusters answer. false when stopping. */
static bool connect_clusters(flow_runner *fr)
{
    int64_t backoff = 500;
    for (;;) {
        if (atomic_load(&fr->stop))
            return false;
        kc_err se = kc_client_connect(fr->source_admin, 5000);
        const char *serr = se ? kc_client_last_error(fr->source_admin) : "";
        kc_err te = se ? se : kc_client_connect(fr->target_admin, 5000);
        if (!se && !te)
            break;
        mirror_metrics_add_flow_error(fr->metrics, fr->flow->name, se ? "source" : "target", 1);
        st_logf(fr->log, ST_LOG_WARN, "mirror", "flow %s: %s cluster %s unreachable: %s (retrying in %lld ms)",
                fr->flow->name, se ? "source" : "target",
                se ? fr->flow->source->name : fr->flow->target->name,
                se ? serr : kc_client_last_error(fr->target_admin), (long long)backoff);
        for (int64_t end = mono_ms() + backoff; mono_ms() < end && !atomic_load(&fr->stop);)
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        if (backoff < 10000)
            backoff *= 2;
    }
    fr->source_cluster_id = cluster_id_of(fr->source_admin, fr->flow->source);
    fr->target_cluster_id = cluster_id_of(fr->target_admin, fr->flow->target);
    st_logf(fr->log, ST_LOG_INFO, "mirror", "flow %s: %s (cluster id %s) -> %s (cluster id %s)",
            fr->flow->name, fr->flow->source->name, fr->source_cluster_id,
            fr->flow->target->name, fr->target_cluster_id);
    return fr->source_cluster_id && fr->target_cluster_id;
}

static bool open_everything(flow_runner *fr)
{
    fr->loop = ev_loop_new(EVFLAG_AUTO);
    if (!fr->loop) {
        snprintf(fr->errbuf, sizeof(fr->errbuf), "cannot create an event loop");
        return false;
    }
    if (offset_store_open(&fr->store, fr->config->database, fr->errbuf, sizeof(fr->errbuf)) != ST_OK)
        return false;
    kc_config *sconf = cluster_config_new(fr->flow->source, "admin", fr->log, fr->errbuf,
                                          sizeof(fr->errbuf));
    kc_config *tconf = sconf ? cluster_config_new(fr->flow->target, "admin", fr->log, fr->errbuf,
                                                  sizeof(fr->errbuf))
                             : NULL;
    if (sconf && tconf) {
        fr->source_admin = kc_client_new(sconf, fr->loop, fr->errbuf, sizeof(fr->errbuf));
        if (fr->source_admin)
            fr->target_admin = kc_client_new(tconf, fr->loop, fr->errbuf, sizeof(fr->errbuf));
    }
    kc_config_free(sconf);
    kc_config_free(tconf);
    if (!fr->target_admin)
        return false;
    return connect_clusters(fr) && make_producer(fr) && make_consumer(fr);
}

static void close_everything(flow_runner *fr)
{
    if (fr->producer) {
        kc_producer_close(fr->producer, 10000);
        fr->producer = NULL;
    }
    txn_commit(fr);
    if (fr->store)
        flow_publish_status(fr, true);
    if (fr->consumer)
        kc_consumer_free(fr->consumer);
    checkpointer_free(&fr->checkpoints);
    topic_sync_free(&fr->topics);
    if (fr->source_admin)
        kc_client_free(fr->source_admin);
    if (fr->target_admin)
        kc_client_free(fr->target_admin);
    const char *k;
    void *v;
    for (size_t pos = 0; strmap_next(&fr->partitions, &pos, &k, &v);) {
        mirrored_partition *mp = v;
        pending_queue_free(&mp->pending);
        free(mp->topic);
        free(mp->target_topic);
        free(mp);
    }
    strmap_free(&fr->partitions);
    offset_store_close(fr->store);
    free(fr->source_cluster_id);
    free(fr->target_cluster_id);
    if (fr->loop)
        ev_loop_destroy(fr->loop);
}

/* ---- periodic work ---- */

static bool any_resuming(flow_runner *fr)
{
    const char *k;
    void *v;
    for (size_t pos = 0; strmap_next(&fr->partitions, &pos, &k, &v);)
        if (((mirrored_partition *)v)->state == PARTITION_RESUMING)
            return true;
    return false;
}

typedef void (*offset_answer_fn)(flow_runner *fr, mirrored_partition *mp, int64_t offset);
static void list_partition_offsets(flow_runner *fr, bool target, int64_t spec,
                                   offset_answer_fn answered);
static void prune_store(flow_runner *fr, mirrored_partition *mp, int64_t log_start);

static void refresh_topics(flow_runner *fr)
{
    kc_err err = topic_sync_run(&fr->topics, fr->source_admin, fr->target_admin, ADMIN_TIMEOUT_MS);
    if (err != KC_OK) {
        mirror_metrics_add_flow_error(fr->metrics, fr->flow->name, "topic_sync", 1);
        st_logf(fr->log, ST_LOG_WARN, "mirror", "flow %s: cannot list the source's topics: %s",
                fr->flow->name, kc_client_last_error(fr->source_admin));
        return;
    }
    flow_sync_partitions(fr);
    list_partition_offsets(fr, true, KC_OFFSET_SPEC_EARLIEST, prune_store);
}

/* Asks one offset (spec) of every running partition, of the source topic
 * or the target topic; answered gets each partition that was answered. */

static void list_partition_offsets(flow_runner *fr, bool target, int64_t spec,
                                   offset_answer_fn answered)
{
    size_t n = fr->partitions.count, i = 0;
    kc_list_offset *q = calloc(n ? n : 1, sizeof(*q));
    mirrored_partition **mps = calloc(n ? n : 1, sizeof(*mps));
    const char *k;
    void *v;
    for (size_t pos = 0; q && mps && strmap_next(&fr->partitions, &pos, &k, &v) && i < n;) {
        mirrored_partition *mp = v;
        if (mp->state != PARTITION_RUNNING)
            continue;
        mps[i] = mp;
        q[i++] = (kc_list_offset){.topic = target ? mp->target_topic : mp->topic,
                                  .partition = mp->partition, .spec = spec};
    }
    if (q && mps && i > 0) {
        kc_admin_list_offsets(target ? fr->target_admin : fr->source_admin, q, i,
                              !target && fr->flow->read_committed ? 1 : 0, 3000);
        for (size_t j = 0; j < i; j++)
            if (q[j].err == KC_OK)
                answered(fr, mps[j], q[j].offset);
    }
    free(q);
    free(mps);
}

static void set_source_end(flow_runner *fr, mirrored_partition *mp, int64_t offset)
{
    (void)fr;
    flow_partition_saw_end(mp, offset);
}

/* The target's retention removed data below offset: its mappings go. */
static void prune_store(flow_runner *fr, mirrored_partition *mp, int64_t log_start)
{
    store_key key = flow_partition_key(fr, mp);
    if (offset_store_prune_below_target(fr->store, &key, log_start, fr->errbuf,
                                        sizeof(fr->errbuf)) != ST_OK)
        st_logf(fr->log, ST_LOG_WARN, "mirror", "flow %s: %s", fr->flow->name, fr->errbuf);
}

/* The source's end of every partition (read_committed: the last stable
 * offset), for lag. */
static void read_source_ends(flow_runner *fr)
{
    list_partition_offsets(fr, false, KC_OFFSET_SPEC_LATEST, set_source_end);
}

static void run_checkpoints(flow_runner *fr)
{
    txn_commit(fr);
    kc_err err = checkpointer_run(&fr->checkpoints, fr->source_admin, fr->target_admin, fr->store,
                                  &fr->topics, ADMIN_TIMEOUT_MS);
    if (err != KC_OK)
        mirror_metrics_add_flow_error(fr->metrics, fr->flow->name, "checkpoint", 1);
    txn_begin(fr);
}

typedef struct schedule {
    int64_t commit, metrics, status, refresh, checkpoint;
} schedule;

static void periodic(flow_runner *fr, schedule *s, int64_t now)
{
    if (now >= s->commit) {
        txn_commit(fr);
        txn_begin(fr);
        s->commit = now + COMMIT_INTERVAL_MS;
    }
    if (now >= s->refresh) {
        txn_commit(fr);
        refresh_topics(fr);
        txn_begin(fr);
        if (any_resuming(fr)) {
            flow_resume_partitions(fr, RESUME_SCAN_TIMEOUT_MS);
            txn_commit(fr);
            txn_begin(fr);
        }
        flow_apply_assignment(fr);
        s->refresh = now + (any_resuming(fr) ? RESUME_RETRY_MS : fr->flow->refresh_topics_interval_ms);
    }
    if (now >= s->metrics) {
        flow_publish_status(fr, false);
        s->metrics = now + METRICS_INTERVAL_MS;
    }
    if (now >= s->status) {
        read_source_ends(fr);
        flow_publish_status(fr, true);
        s->status = now + STATUS_INTERVAL_MS;
    }
    if (now >= s->checkpoint) {
        run_checkpoints(fr);
        s->checkpoint = now + fr->flow->emit_checkpoints_interval_ms;
    }
}

/* One step of the data path: records in when the producer has room. */
static void step(flow_runner *fr)
{
    /* blocked on a full buffer: go on once half of it is delivered */
    if (fr->produce_blocked && kc_producer_outstanding(fr->producer) <= fr->blocked_outstanding / 2)
        fr->produce_blocked = false;
    flow_apply_assignment(fr);
    if (fr->produce_blocked || kc_producer_outstanding(fr->producer) >= MAX_OUTSTANDING) {
        kc_producer_poll(fr->producer, 50);
        return;
    }
    const kc_message *msgs[POLL_BATCH];
    size_t n = kc_consumer_poll_batch(fr->consumer, 50, msgs, POLL_BATCH);
    flow_handle_messages(fr, msgs, n);
    flow_advance_idle(fr);
}

static void *flow_main(void *arg)
{
    flow_runner *fr = arg;
    strmap_init(&fr->partitions);
    topic_sync_init(&fr->topics, fr->flow, fr->log);
    checkpointer_init(&fr->checkpoints, fr->config, fr->flow, fr->log);
    if (!open_everything(fr)) {
        if (!atomic_load(&fr->stop))
            st_logf(fr->log, ST_LOG_ERROR, "mirror", "flow %s cannot start: %s", fr->flow->name,
                    fr->errbuf);
        close_everything(fr);
        return NULL;
    }
    int64_t now = mono_ms();
    schedule s = {now, now, now, now, now + fr->flow->emit_checkpoints_interval_ms};
    txn_begin(fr);
    while (!atomic_load(&fr->stop)) {
        step(fr);
        periodic(fr, &s, mono_ms());
    }
    st_logf(fr->log, ST_LOG_INFO, "mirror", "flow %s stopping", fr->flow->name);
    close_everything(fr);
    return NULL;
}

bool flow_runner_start(flow_runner *fr, const mirror_config *config, const mirror_flow *flow,
                       const st_logger *log, mirror_metrics *metrics)
{
    memset(fr, 0, sizeof(*fr));
    fr->config = config;
    fr->flow = flow;
    fr->log = log;
    fr->metrics = metrics;
    atomic_init(&fr->stop, false);
    fr->started = pthread_create(&fr->thread, NULL, flow_main, fr) == 0;
    return fr->started;
}

void flow_runner_request_stop(flow_runner *fr)
{
    atomic_store(&fr->stop, true);
}

void flow_runner_join(flow_runner *fr)
{
    if (fr->started)
        pthread_join(fr->thread, NULL);
    fr->started = false;
}
