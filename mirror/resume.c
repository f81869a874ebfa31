/* resume.c — where each partition of a flow continues after a start or a
 * crash (see flow.h).
 *
 * The target log is the source of truth: the store may lag behind it (the
 * mirror was killed after the target acknowledged records but before the
 * store committed them) or, rarely, run ahead of it (the target lost data).
 * For each partition waiting to resume: cut the store back to the target's
 * end when it runs ahead, then read the target from just after the last
 * mapping the store knows (or from the log start without one) to its end,
 * and record every record whose strait.source header names this flow's
 * source cluster, topic and partition. The partition continues at the
 * store's position afterwards. Owns nothing beyond one call. */
#include "mirror/flow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mirror/cluster_client.h"
#include "mirror/provenance.h"

typedef struct scan_item {
    mirrored_partition *mp;
    int64_t log_start;
    int64_t end;          /* target high watermark */
    int64_t from;         /* where the scan starts */
    bool done;
} scan_item;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Target log start and end of every item; false when the target did not answer. */
static bool query_target_offsets(flow_runner *fr, scan_item *items, size_t n, int timeout_ms)
{
    kc_list_offset *q = calloc(2 * n, sizeof(*q));
    if (!q)
        return false;
    for (size_t i = 0; i < n; i++) {
        q[2 * i] = (kc_list_offset){.topic = items[i].mp->target_topic,
                                    .partition = items[i].mp->partition,
                                    .spec = KC_OFFSET_SPEC_EARLIEST};
        q[2 * i + 1] = q[2 * i];
        q[2 * i + 1].spec = KC_OFFSET_SPEC_LATEST;
    }
    kc_admin_list_offsets(fr->target_admin, q, 2 * n, 0, timeout_ms);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (q[2 * i].err || q[2 * i + 1].err) {
            st_logf(fr->log, ST_LOG_WARN, "mirror",
                    "flow %s: cannot read the end of target %s [%d] to resume: %s",
                    fr->flow->name, items[i].mp->target_topic, items[i].mp->partition,
                    kc_client_last_error(fr->target_admin));
            items[i].mp = NULL; /* retried at the next pass */
            ok = false;
            continue;
        }
        items[i].log_start = q[2 * i].offset;
        items[i].end = q[2 * i + 1].offset;
    }
    free(q);
    return ok;
}

/* Cuts the store back to the target's end when it runs ahead; sets from. */
static bool plan_scan(flow_runner *fr, scan_item *it)
{
    store_key key = flow_partition_key(fr, it->mp);
    store_partition_state st;
    if (offset_store_state(fr->store, &key, &st, fr->errbuf, sizeof(fr->errbuf)) != ST_OK)
        return false;
    if (st.has_rows && st.last_tgt >= it->end) {
        st_logf(fr->log, ST_LOG_WARN, "mirror",
                "flow %s: target %s [%d] ends at %lld but the store maps up to %lld: the "
                "target lost data, mirroring again from there",
                fr->flow->name, it->mp->target_topic, it->mp->partition, (long long)it->end,
                (long long)st.last_tgt);
        if (offset_store_truncate_target(fr->store, &key, it->end, fr->errbuf,
                                         sizeof(fr->errbuf)) != ST_OK ||
            offset_store_state(fr->store, &key, &st, fr->errbuf, sizeof(fr->errbuf)) != ST_OK)
            return false;
    }
    if (offset_store_prune_below_target(fr->store, &key, it->log_start, fr->errbuf,
                                        sizeof(fr->errbuf)) != ST_OK)
        return false;
    it->from = st.has_rows ? st.last_tgt + 1 : it->log_start;
    if (it->from < it->log_start)
        it->from = it->log_start;
    it->done = it->from >= it->end;
    return true;
}

static scan_item *find_item(scan_item *items, size_t n, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].mp && items[i].mp->partition == partition &&
            strcmp(items[i].mp->target_topic, topic) == 0)
            return &items[i];
    return NULL;
}

/* One target record: a copy this flow wrote is recorded in the store. */
static void scan_record(flow_runner *fr, scan_item *it, const kc_message *m)
{
    provenance_source src;
    if (provenance_find_source(m->headers, m->header_count, &src) &&
        provenance_source_is(&src, fr->source_cluster_id, it->mp->topic, it->mp->partition)) {
        store_key key = flow_partition_key(fr, it->mp);
        store_partition_state st;
        if (offset_store_state(fr->store, &key, &st, fr->errbuf, sizeof(fr->errbuf)) == ST_OK &&
            (!st.has_rows || (src.offset > st.last_src && m->offset > st.last_tgt)))
            offset_store_record(fr->store, &key, src.offset, m->offset, fr->errbuf,
                                sizeof(fr->errbuf));
    }
}

static void run_scan(flow_runner *fr, scan_item *items, size_t n, int timeout_ms)
{
    kc_partition_list *list = kc_partition_list_new(n);
    char errbuf[256];
    kc_consumer_config *conf =
        cluster_consumer_config_new(fr->flow->target, "resume", fr->log, errbuf, sizeof(errbuf));
    if (!list || !conf)
        goto out;
    kc_consumer_config_set(conf, "enable.auto.commit", "false", NULL, 0);
    kc_consumer_config_set(conf, "auto.offset.reset", "earliest", NULL, 0);
    kc_consumer *c = kc_consumer_new(conf, fr->loop, errbuf, sizeof(errbuf));
    if (!c)
        goto out;
    size_t waiting = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].mp || items[i].done)
            continue;
        kc_partition_offset *po = kc_partition_list_add(list, items[i].mp->target_topic,
                                                        items[i].mp->partition);
        if (po)
            po->offset = items[i].from;
        waiting++;
    }
    kc_consumer_assign(c, list);
    int64_t deadline = mono_ms() + timeout_ms;
    while (waiting > 0 && mono_ms() < deadline && !atomic_load(&fr->stop)) {
        const kc_message *msgs[1000];
        size_t got = kc_consumer_poll_batch(c, 100, msgs, 1000);
        for (size_t i = 0; i < got; i++) {
            scan_item *it = msgs[i]->err ? NULL
                                         : find_item(items, n, msgs[i]->topic, msgs[i]->partition);
            if (it && !it->done)
                scan_record(fr, it, msgs[i]);
        }
        for (size_t i = 0; i < n; i++) {
            if (!items[i].mp || items[i].done)
                continue;
            int64_t pos = kc_consumer_position(c, items[i].mp->target_topic, items[i].mp->partition);
            if (pos >= items[i].end) {
                items[i].done = true;
                waiting--;
            }
        }
    }
    kc_consumer_free(c);
out:
    kc_partition_list_free(list);
    kc_consumer_config_free(conf);
}

/* A scanned partition starts at the store's position (the source's
 * beginning when nothing was ever mirrored). */
static void start_partition(flow_runner *fr, scan_item *it)
{
    store_key key = flow_partition_key(fr, it->mp);
    store_partition_state st;
    if (offset_store_state(fr->store, &key, &st, fr->errbuf, sizeof(fr->errbuf)) != ST_OK)
        return;
    mirrored_partition *mp = it->mp;
    mp->position = st.found ? st.position : 0;
    mp->resume_offset = st.found ? st.position : KC_OFFSET_BEGINNING;
    mp->target_end = it->end;
    mp->state = PARTITION_RUNNING;
    fr->assignment_dirty = true;
    st_logf(fr->log, ST_LOG_INFO, "mirror",
            "flow %s: %s [%d] -> %s [%d] resumes at source offset %s%lld (target end %lld)",
            fr->flow->name, mp->topic, mp->partition, mp->target_topic, mp->partition,
            st.found ? "" : "beginning ", (long long)(st.found ? st.position : 0),
            (long long)it->end);
}

void flow_resume_partitions(flow_runner *fr, int timeout_ms)
{
    size_t n = 0, cap = 16;
    scan_item *items = malloc(cap * sizeof(*items));
    const char *k;
    void *v;
    for (size_t pos = 0; items && strmap_next(&fr->partitions, &pos, &k, &v);) {
        mirrored_partition *mp = v;
        if (mp->state != PARTITION_RESUMING)
            continue;
        if (n == cap) {
            scan_item *grown = realloc(items, 2 * cap * sizeof(*items));
            if (!grown)
                break;
            items = grown;
            cap *= 2;
        }
        items[n++] = (scan_item){.mp = mp};
    }
    if (!items || n == 0) {
        free(items);
        return;
    }
    query_target_offsets(fr, items, n, timeout_ms);
    for (size_t i = 0; i < n; i++) {
        if (items[i].mp && !plan_scan(fr, &items[i])) {
            st_logf(fr->log, ST_LOG_ERROR, "mirror", "flow %s: %s", fr->flow->name, fr->errbuf);
            items[i].mp = NULL;
        }
    }
    run_scan(fr, items, n, timeout_ms);
    for (size_t i = 0; i < n; i++)
        if (items[i].mp && items[i].done)
            start_partition(fr, &items[i]);
    free(items);
}
