/* test_groups_librdkafka.c — consumer groups through librdkafka's high-level
 * consumer against a Strait broker (built and run by test_groups_librdkafka.sh,
 * which starts the broker with num.partitions=6 and
 * group.initial.rebalance.delay.ms=0).
 *
 *   test_groups_librdkafka BOOTSTRAP [eager|cooperative|static|crash]...
 *
 * Each scenario uses its own 6-partition topic and group, three consumers
 * (one thread each, subscribe + rebalance callback) and a producer thread that
 * keeps producing keyed records (key = sequence number) during the rebalance.
 * Consumers commit synchronously after processing each record
 * (enable.auto.commit=false); a record counts as consumed when its commit
 * succeeded (after a failed commit the consumer seeks back, so the record is
 * read again by whoever owns the partition next).
 *
 * eager (range assignor): every consumer gets exactly two partitions; one
 *   consumer closes (LeaveGroup) and the other two own all six (three each)
 *   within the session timeout; every produced record is consumed exactly
 *   once; the group's committed offsets equal the log end offsets.
 * cooperative (cooperative-sticky): the same (except that the producer pauses
 *   and every record is committed before the consumer leaves, see
 *   run_scenario on librdkafka issue #4059), and the survivors' revocations
 *   never include a partition they keep (here: nothing of theirs is revoked),
 *   their new assignment is a superset of the old one, the rebalance protocol
 *   is COOPERATIVE; then (all records consumed, no commits in flight) a fourth
 *   consumer joins: it gets two partitions and each of the two others revokes
 *   exactly the one partition that moves to it (the incremental two-phase
 *   rebalance), keeping the rest without revocation.
 * static (group.instance.id on every member): one member closes without
 *   leaving (librdkafka sends no LeaveGroup for a static member's close) and a
 *   new consumer with the same instance id starts at once: it gets exactly the
 *   partitions its predecessor had, the other members' rebalance callbacks are
 *   not called again (checked until the old session would have timed out and
 *   beyond), and every record is consumed exactly once.
 * crash (roundrobin assignor): one consumer vanishes without closing
 *   (rd_kafka_destroy with RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE: no LeaveGroup,
 *   no final commit); once its session expires (6 s) the other two own all
 *   six partitions (checked within the session timeout + 5 s), and every
 *   record is still consumed exactly once.
 *
 * Prints "ok - ..." / "FAIL - ..." lines; the wrapper counts them. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "lib/rdkafka_test.h"

#define NPART 6
#define NREC 3000            /* records produced per scenario */
#define PRODUCE_GAP_US 2500  /* pacing: NREC records take ~7.5 s */
#define SESSION_MS 6000
#define STATIC_SESSION_MS 10000

static const char *bootstrap;
static double t_origin;

static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

/* Timestamped trace on stderr (the wrapper shows it when something fails). */
static void trace(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%7.3f] ", now_s() - t_origin);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static int debug_logs; /* GROUPS_DEBUG=cgrp,assignor,... in the environment */

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (level <= 4 || debug_logs)
        trace("librdkafka %s %d %s: %s", rd_kafka_name(rk), level, fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    trace("%s error %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

/* ---- shared scenario state ---- */
typedef struct scenario {
    const char *name;
    char topic[64], group[64];
    const char *strategy;
    int is_static;
    int cooperative;
    pthread_mutex_t mu;
    int committed[NREC]; /* successful commits per sequence number */
    int delivered[NREC]; /* deliveries per sequence number */
    long produced, produce_errors;
    volatile int producer_stop;
    volatile int producer_pause;
} scenario;

/* ---- consumers ---- */
typedef struct consumer {
    scenario *sc;
    char name[32];
    char instance[32];
    rd_kafka_t *rk;
    pthread_t th;
    volatile int stop;
    int crash; /* stop without closing: no LeaveGroup, no final commit */
    int started;
    /* guarded by sc->mu */
    int owned[NPART];
    int assign_calls, revoke_calls;      /* rebalance callbacks since start */
    int revoked_since_mark[NPART];
    int calls_since_mark;
    long consumed, commit_failures, errors;
    char first_commit_error[128];
    char protocol[32];
} consumer;

static int owned_count(consumer *c)
{
    int n = 0;
    for (int p = 0; p < NPART; p++)
        n += c->owned[p];
    return n;
}

static void owned_str(consumer *c, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int p = 0; p < NPART && o + 4 < len; p++)
        if (c->owned[p])
            o += snprintf(buf + o, len - o, "%s%d", o ? "," : "", p);
}

static void parts_str(const rd_kafka_topic_partition_list_t *l, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < l->cnt && o + 4 < len; i++)
        o += snprintf(buf + o, len - o, "%s%d", o ? "," : "", l->elems[i].partition);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    consumer *c = opaque;
    scenario *sc = c->sc;
    const char *proto = rd_kafka_rebalance_protocol(rk);
    int coop = proto && strcmp(proto, "COOPERATIVE") == 0;
    char list[64];
    parts_str(parts, list, sizeof(list));
    trace("%s %s %s [%s] (%s)", sc->name, c->name,
          err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assign" : "revoke", list,
          proto ? proto : "?");
    pthread_mutex_lock(&sc->mu);
    snprintf(c->protocol, sizeof(c->protocol), "%s", proto ? proto : "");
    c->calls_since_mark++;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        c->assign_calls++;
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition >= 0 && parts->elems[i].partition < NPART)
                c->owned[parts->elems[i].partition] = 1;
    } else {
        c->revoke_calls++;
        if (!coop)
            memset(c->owned, 0, sizeof(c->owned));
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].partition >= 0 && parts->elems[i].partition < NPART) {
                c->owned[parts->elems[i].partition] = 0;
                c->revoked_since_mark[parts->elems[i].partition]++;
            }
    }
    pthread_mutex_unlock(&sc->mu);
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t e2 = 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            e2 = rd_kafka_assign(rk, parts);
    } else {
        if (coop)
            e = rd_kafka_incremental_unassign(rk, parts);
        else
            e2 = rd_kafka_assign(rk, NULL);
    }
    if (e) {
        trace("%s %s: (un)assign: %s", sc->name, c->name, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    if (e2)
        trace("%s %s: assign: %s", sc->name, c->name, rd_kafka_err2str(e2));
}

static void *consumer_main(void *arg)
{
    consumer *c = arg;
    scenario *sc = c->sc;
    while (!c->stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 100);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                trace("%s %s: consume error %s", sc->name, c->name, rd_kafka_message_errstr(m));
                pthread_mutex_lock(&sc->mu);
                c->errors++;
                pthread_mutex_unlock(&sc->mu);
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        char key[32] = "";
        if (m->key && m->key_len < sizeof(key)) {
            memcpy(key, m->key, m->key_len);
            key[m->key_len] = 0;
        }
        char *end;
        long seq = strtol(key, &end, 10);
        int valid = key[0] && *end == 0 && seq >= 0 && seq < NREC;
        pthread_mutex_lock(&sc->mu);
        if (valid)
            sc->delivered[seq]++;
        pthread_mutex_unlock(&sc->mu);
        rd_kafka_resp_err_t ce = rd_kafka_commit_message(c->rk, m, 0 /* sync */);
        pthread_mutex_lock(&sc->mu);
        if (ce == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (valid)
                sc->committed[seq]++;
            c->consumed++;
        } else {
            if (!c->commit_failures)
                snprintf(c->first_commit_error, sizeof(c->first_commit_error), "%s",
                         rd_kafka_err2name(ce));
            c->commit_failures++;
        }
        pthread_mutex_unlock(&sc->mu);
        if (ce != RD_KAFKA_RESP_ERR_NO_ERROR) {
            /* Read the record again: it was not committed. If the partition
             * has moved on, its next owner starts from the committed offset. */
            trace("%s %s: commit of %d@%" PRId64 " failed: %s; seeking back", sc->name,
                  c->name, m->partition, m->offset, rd_kafka_err2name(ce));
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, sc->topic, m->partition)->offset = m->offset;
            rd_kafka_error_t *se = rd_kafka_seek_partitions(c->rk, l, 2000);
            if (se) {
                trace("%s %s: seek: %s", sc->name, c->name, rd_kafka_error_string(se));
                rd_kafka_error_destroy(se);
            }
            rd_kafka_topic_partition_list_destroy(l);
        }
        rd_kafka_message_destroy(m);
    }
    if (c->crash) {
        trace("%s %s: vanishing (destroy without consumer close)", sc->name, c->name);
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        c->rk = NULL;
        return NULL;
    }
    trace("%s %s: closing", sc->name, c->name);
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    c->rk = NULL;
    trace("%s %s: closed", sc->name, c->name);
    return NULL;
}

static int consumer_start(consumer *c, scenario *sc, const char *name, const char *instance,
                          int session_ms)
{
    memset(c, 0, sizeof(*c));
    c->sc = sc;
    snprintf(c->name, sizeof(c->name), "%s", name);
    char err[512], buf[32];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "client.id", name);
    set(conf, "group.id", sc->group);
    set(conf, "enable.auto.commit", "false");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "partition.assignment.strategy", sc->strategy);
    snprintf(buf, sizeof(buf), "%d", session_ms);
    set(conf, "session.timeout.ms", buf);
    set(conf, "heartbeat.interval.ms", "500");
    set(conf, "max.poll.interval.ms", "30000");
    set(conf, "fetch.wait.max.ms", "100");
    set(conf, "topic.metadata.refresh.interval.ms", "2000");
    if (getenv("GROUPS_DEBUG") && *getenv("GROUPS_DEBUG")) {
        debug_logs = 1;
        set(conf, "debug", getenv("GROUPS_DEBUG"));
    }
    if (instance) {
        snprintf(c->instance, sizeof(c->instance), "%s", instance);
        set(conf, "group.instance.id", instance);
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!c->rk) {
        fail("%s: consumer %s created: %s", sc->name, name, err);
        return -1;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, sc->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        fail("%s: consumer %s subscribes: %s", sc->name, name, rd_kafka_err2str(e));
        rd_kafka_destroy(c->rk);
        return -1;
    }
    if (pthread_create(&c->th, NULL, consumer_main, c) != 0) {
        fail("%s: consumer thread starts", sc->name);
        return -1;
    }
    c->started = 1;
    trace("%s %s: started%s%s", sc->name, name, instance ? " instance " : "",
          instance ? instance : "");
    return 0;
}

static void consumer_stop(consumer *c)
{
    if (!c->started)
        return;
    c->stop = 1;
    pthread_join(c->th, NULL);
    c->started = 0;
}

/* ---- producer thread ---- */
typedef struct producer {
    scenario *sc;
    pthread_t th;
    rd_kafka_t *rk;
} producer;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    scenario *sc = opaque;
    pthread_mutex_lock(&sc->mu);
    if (m->err)
        sc->produce_errors++;
    pthread_mutex_unlock(&sc->mu);
}

static void *producer_main(void *arg)
{
    producer *p = arg;
    scenario *sc = p->sc;
    char key[32], value[64];
    for (long i = 0; i < NREC && !sc->producer_stop; i++) {
        for (int w = 0; sc->producer_pause && w < 3000; w++) /* <= 30 s */
            usleep(10000);
        snprintf(key, sizeof(key), "%ld", i);
        snprintf(value, sizeof(value), "value-%ld", i);
        for (int tries = 0;; tries++) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                p->rk, RD_KAFKA_V_TOPIC(sc->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, strlen(value)),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries > 500) {
                pthread_mutex_lock(&sc->mu);
                sc->produce_errors++;
                pthread_mutex_unlock(&sc->mu);
                break;
            }
            rd_kafka_poll(p->rk, 10);
        }
        pthread_mutex_lock(&sc->mu);
        sc->produced = i + 1;
        pthread_mutex_unlock(&sc->mu);
        rd_kafka_poll(p->rk, 0);
        usleep(PRODUCE_GAP_US);
    }
    rd_kafka_flush(p->rk, 30000);
    return NULL;
}

static int producer_start(producer *p, scenario *sc)
{
    memset(p, 0, sizeof(*p));
    p->sc = sc;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "client.id", "groups-producer");
    set(conf, "acks", "all");
    set(conf, "linger.ms", "2");
    set(conf, "message.timeout.ms", "30000");
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, sc);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!p->rk) {
        fail("%s: producer created: %s", sc->name, err);
        return -1;
    }
    return pthread_create(&p->th, NULL, producer_main, p) == 0 ? 0 : -1;
}

static void producer_join(producer *p)
{
    pthread_join(p->th, NULL);
    rd_kafka_destroy(p->rk);
}

/* ---- admin helpers ---- */
static int create_topic(const char *topic)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        return -1;
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, NPART, 1, err, sizeof(err));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
    int rc = -1;
    if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_CREATETOPICS_RESULT) {
        size_t n;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        if (rd_kafka_event_error(ev))
            trace("CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
        else if (n == 1 && (rd_kafka_topic_result_error(res[0]) == 0 ||
                            rd_kafka_topic_result_error(res[0]) ==
                                RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
            rc = 0;
        else if (n == 1)
            trace("CreateTopics %s: %s", topic,
                  rd_kafka_err2str(rd_kafka_topic_result_error(res[0])));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    /* wait until metadata shows the partitions */
    if (rc == 0) {
        rc = -1;
        rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
        double end = now_s() + 15;
        while (rc != 0 && now_s() < end) {
            const struct rd_kafka_metadata *md;
            if (rd_kafka_metadata(rk, 0, t, &md, 5000) == 0) {
                if (md->topic_cnt == 1 && md->topics[0].err == 0 &&
                    md->topics[0].partition_cnt == NPART)
                    rc = 0;
                rd_kafka_metadata_destroy(md);
            }
            if (rc)
                usleep(100000);
        }
        rd_kafka_topic_destroy(t);
    }
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

/* Committed offsets of the group vs the log end offsets: returns the number
 * of partitions that differ (-1 on error); describes them in buf. */
static int committed_vs_end(scenario *sc, char *buf, size_t len)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "group.id", sc->group);
    set(conf, "enable.auto.commit", "false");
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        snprintf(buf, len, "consumer: %.200s", err);
        return -1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++)
        rd_kafka_topic_partition_list_add(l, sc->topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 10000);
    int bad = 0;
    size_t o = 0;
    buf[0] = 0;
    if (e) {
        snprintf(buf, len, "committed(): %s", rd_kafka_err2str(e));
        bad = -1;
    } else {
        for (int p = 0; p < NPART; p++) {
            int64_t lo = -1, hi = -1;
            rd_kafka_query_watermark_offsets(rk, sc->topic, p, &lo, &hi, 10000);
            int64_t c = l->elems[p].offset;
            if (l->elems[p].err || c != hi) {
                bad++;
                if (o + 80 < len)
                    o += snprintf(buf + o, len - o, "p%d committed %" PRId64 " (%s) end %" PRId64
                                  "; ", p, c, rd_kafka_err2name(l->elems[p].err), hi);
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return bad;
}

/* ---- waiting ---- */
/* True when every listed consumer owns exactly `each` partitions, together all NPART. */
static int balanced(scenario *sc, consumer **cs, int n, int each)
{
    int seen[NPART] = {0}, good = 1;
    pthread_mutex_lock(&sc->mu);
    for (int i = 0; i < n; i++) {
        if (owned_count(cs[i]) != each)
            good = 0;
        for (int p = 0; p < NPART; p++)
            seen[p] += cs[i]->owned[p];
    }
    pthread_mutex_unlock(&sc->mu);
    for (int p = 0; p < NPART; p++)
        if (seen[p] != 1)
            good = 0;
    return good;
}

static void describe(scenario *sc, consumer **cs, int n, char *buf, size_t len)
{
    size_t o = 0;
    char l[32];
    pthread_mutex_lock(&sc->mu);
    for (int i = 0; i < n && o + 48 < len; i++) {
        owned_str(cs[i], l, sizeof(l));
        o += snprintf(buf + o, len - o, "%s%s=[%s]", i ? " " : "", cs[i]->name, l);
    }
    pthread_mutex_unlock(&sc->mu);
}

/* Waits (bounded) until balanced() holds for `stable_s` seconds in a row. */
static double wait_balanced(scenario *sc, consumer **cs, int n, int each, double timeout_s,
                            double stable_s)
{
    double t0 = now_s(), since = -1;
    while (now_s() - t0 < timeout_s) {
        if (balanced(sc, cs, n, each)) {
            if (since < 0)
                since = now_s();
            if (now_s() - since >= stable_s)
                return since - t0;
        } else {
            since = -1;
        }
        usleep(20000);
    }
    return -1;
}

static int all_committed(scenario *sc, long n)
{
    int good = 1;
    pthread_mutex_lock(&sc->mu);
    for (long i = 0; i < n; i++)
        if (sc->committed[i] < 1)
            good = 0;
    pthread_mutex_unlock(&sc->mu);
    return good;
}

static void check_exactly_once(scenario *sc)
{
    long missing = 0, dup = 0, redelivered = 0, first_missing = -1, first_dup = -1;
    pthread_mutex_lock(&sc->mu);
    for (long i = 0; i < NREC; i++) {
        if (sc->committed[i] == 0) {
            if (first_missing < 0)
                first_missing = i;
            missing++;
        }
        if (sc->committed[i] > 1) {
            if (first_dup < 0)
                first_dup = i;
            dup++;
        }
        if (sc->delivered[i] > 1)
            redelivered++;
    }
    long produced = sc->produced, perr = sc->produce_errors;
    pthread_mutex_unlock(&sc->mu);
    if (produced == NREC && perr == 0)
        ok("%s: producer delivered all %d records during the scenario", sc->name, NREC);
    else
        fail("%s: producer delivered all %d records: produced %ld, %ld errors", sc->name, NREC,
             produced, perr);
    if (missing == 0 && dup == 0)
        ok("%s: every one of %d records consumed and committed exactly once across the rebalance",
           sc->name, NREC);
    else
        fail("%s: every record consumed exactly once: %ld never consumed (first seq %ld), %ld "
             "consumed more than once (first seq %ld)",
             sc->name, missing, first_missing, dup, first_dup);
    note("%s: %ld records were delivered more than once after a failed commit (not counted)",
         sc->name, redelivered);
}

/* Cooperative: a fourth consumer joins a group of two (three partitions
 * each): each of the two gives up exactly one partition, revoking only that
 * one (incremental two-phase rebalance). Run with no records in flight:
 * librdkafka 2.0.2 treats an OffsetCommit answered ILLEGAL_GENERATION during
 * a cooperative rebalance as a lost assignment and revokes everything, which
 * is client behaviour (Kafka answers the same), not what this checks. */
static void coop_join_check(scenario *sc, consumer **c, int session)
{
    const char *name = sc->name;
    char buf[512];
    int before2[2][NPART];
    pthread_mutex_lock(&sc->mu);
    for (int i = 0; i < 2; i++) {
        memcpy(before2[i], c[i]->owned, sizeof(before2[i]));
        memset(c[i]->revoked_since_mark, 0, sizeof(c[i]->revoked_since_mark));
    }
    pthread_mutex_unlock(&sc->mu);
    char cname[32];
    snprintf(cname, sizeof(cname), "%s-c4", name);
    if (consumer_start(c[3], sc, cname, NULL, session) != 0)
        return;
    consumer *three[3] = {c[0], c[1], c[3]};
    double tj = wait_balanced(sc, three, 3, 2, 30, 0.5);
    describe(sc, three, 3, buf, sizeof(buf));
    if (tj >= 0)
        ok("%s: a consumer joining gets two partitions, the others keep two each (%s, %.2f s)",
           name, buf, tj);
    else
        fail("%s: a consumer joining gets two partitions, the others keep two each: %s", name,
             buf);
    for (int i = 0; i < 2; i++) {
        int revoked_kept = 0, revoked = 0, moved = 0, gained = 0;
        pthread_mutex_lock(&sc->mu);
        for (int p = 0; p < NPART; p++) {
            revoked += c[i]->revoked_since_mark[p] > 0;
            if (c[i]->revoked_since_mark[p] && c[i]->owned[p])
                revoked_kept++;
            if (before2[i][p] && !c[i]->owned[p])
                moved++;
            if (!before2[i][p] && c[i]->owned[p])
                gained++;
        }
        pthread_mutex_unlock(&sc->mu);
        if (revoked_kept == 0 && gained == 0 && revoked == moved && moved == 1)
            ok("%s: %s revokes only the one partition that moves to the newcomer", name,
               c[i]->name);
        else
            fail("%s: %s revokes only the partition that moves: %d revoked, %d moved, %d "
                 "revoked but kept, %d gained",
                 name, c[i]->name, revoked, moved, revoked_kept, gained);
    }
}

/* ---- scenarios ---- */
static void scenario_init(scenario *sc, const char *name, const char *strategy, int is_static)
{
    memset(sc, 0, sizeof(*sc));
    sc->name = name;
    sc->strategy = strategy;
    sc->is_static = is_static;
    sc->cooperative = strcmp(strategy, "cooperative-sticky") == 0;
    snprintf(sc->topic, sizeof(sc->topic), "groups-%s-%d", name, (int)getpid());
    snprintf(sc->group, sizeof(sc->group), "g-%s-%d", name, (int)getpid());
    pthread_mutex_init(&sc->mu, NULL);
}

static void run_scenario(const char *name, const char *strategy, int is_static, int crash)
{
    scenario *sc = calloc(1, sizeof(*sc));
    scenario_init(sc, name, strategy, is_static);
    int session = is_static ? STATIC_SESSION_MS : SESSION_MS;
    char buf[512];
    trace("=== scenario %s: topic %s group %s", name, sc->topic, sc->group);
    if (create_topic(sc->topic) != 0) {
        fail("%s: topic %s created with %d partitions", name, sc->topic, NPART);
        free(sc);
        return;
    }
    consumer *c[4];
    for (int i = 0; i < 4; i++)
        c[i] = calloc(1, sizeof(consumer));
    const char *inst[3] = {"inst-a", "inst-b", "inst-c"};
    for (int i = 0; i < 3; i++) {
        char cname[32];
        snprintf(cname, sizeof(cname), "%s-c%d", name, i + 1);
        if (consumer_start(c[i], sc, cname, is_static ? inst[i] : NULL, session) != 0)
            goto out;
    }
    double t = wait_balanced(sc, c, 3, 2, 30, 1.0);
    describe(sc, c, 3, buf, sizeof(buf));
    if (t >= 0)
        ok("%s: three consumers each get exactly two of the six partitions (%s, after %.1f s)",
           name, buf, t);
    else {
        fail("%s: three consumers each get exactly two of the six partitions: %s", name, buf);
        goto out;
    }
    /* mark: from here on, count rebalance callbacks anew */
    int before[3][NPART];
    int calls_before[3];
    pthread_mutex_lock(&sc->mu);
    for (int i = 0; i < 3; i++) {
        memcpy(before[i], c[i]->owned, sizeof(before[i]));
        memset(c[i]->revoked_since_mark, 0, sizeof(c[i]->revoked_since_mark));
        c[i]->calls_since_mark = 0;
        calls_before[i] = c[i]->assign_calls + c[i]->revoke_calls;
    }
    const char *proto_seen = c[0]->protocol[0] ? c[0]->protocol : "?";
    char proto[32];
    snprintf(proto, sizeof(proto), "%s", proto_seen);
    pthread_mutex_unlock(&sc->mu);
    if (strcmp(proto, sc->cooperative ? "COOPERATIVE" : "EAGER") == 0)
        ok("%s: rebalance protocol is %s", name, proto);
    else
        fail("%s: rebalance protocol is %s: got %s", name,
             sc->cooperative ? "COOPERATIVE" : "EAGER", proto);

    producer prod;
    if (producer_start(&prod, sc) != 0) {
        fail("%s: producer thread starts", name);
        goto out;
    }
    /* let a third of the records flow, then take consumer 3 away */
    double w0 = now_s();
    while (now_s() - w0 < 20) {
        pthread_mutex_lock(&sc->mu);
        long p = sc->produced;
        pthread_mutex_unlock(&sc->mu);
        if (p >= NREC / 3)
            break;
        usleep(20000);
    }
    if (sc->cooperative) {
        /* Quiesce before the rebalance: librdkafka 2.0.2 treats an OffsetCommit
         * answered ILLEGAL_GENERATION during a cooperative rebalance (a commit
         * queued behind the member's JoinGroup, answered once the generation
         * moved on; Kafka answers it the same way) as a lost assignment and
         * revokes every partition (librdkafka issue #4059, fixed upstream by
         * PR #4908). With no commits in flight the survivors' revocations
         * show what the coordinator did. */
        sc->producer_pause = 1;
        usleep(100000);
        pthread_mutex_lock(&sc->mu);
        long upto = sc->produced;
        pthread_mutex_unlock(&sc->mu);
        double wq = now_s();
        while (now_s() - wq < 20 && !all_committed(sc, upto))
            usleep(20000);
        usleep(300000);
    }
    pthread_mutex_lock(&sc->mu);
    long produced_at_close = sc->produced;
    pthread_mutex_unlock(&sc->mu);
    double t_close = now_s();
    c[2]->crash = crash;
    consumer_stop(c[2]);
    double close_s = now_s() - t_close;

    if (!is_static) {
        double took = wait_balanced(sc, c, 2, 3, session / 1000.0 + 10, 0.0);
        double since_close = took < 0 ? -1 : took + close_s;
        pthread_mutex_lock(&sc->mu);
        long produced_now = sc->produced;
        pthread_mutex_unlock(&sc->mu);
        describe(sc, c, 2, buf, sizeof(buf));
        if (crash) {
            /* no LeaveGroup: the coordinator notices when the session expires */
            double limit = session / 1000.0 + 5.0;
            if (took >= 0 && since_close <= limit)
                ok("%s: after one consumer vanishes without leaving, the other two own all six "
                   "partitions once its %d ms session expires (%s, %.2f s after it vanished)",
                   name, session, buf, since_close);
            else
                fail("%s: after one consumer vanishes, the other two own all six partitions "
                     "within the session timeout + 5 s: %s, took %.2f s", name, buf, since_close);
        } else if (took >= 0 && since_close <= session / 1000.0)
            ok("%s: after one consumer leaves, the other two own all six partitions "
               "within the session timeout (%s, %.2f s after close began)",
               name, buf, since_close);
        else
            fail("%s: after one consumer leaves, the other two own all six partitions "
                 "within the %d ms session timeout: %s, took %.2f s",
                 name, session, buf, since_close);
        note("%s: %ld records produced when the consumer closed, %ld when the rebalance was "
             "done", name, produced_at_close, produced_now);
        if (sc->cooperative) {
            /* survivors: nothing they keep is revoked; old partitions kept */
            for (int i = 0; i < 2; i++) {
                int kept_revoked = 0, lost = 0;
                pthread_mutex_lock(&sc->mu);
                for (int p = 0; p < NPART; p++) {
                    if (before[i][p] && c[i]->owned[p] && c[i]->revoked_since_mark[p])
                        kept_revoked++;
                    if (before[i][p] && !c[i]->owned[p])
                        lost++;
                }
                int any_revoked = 0;
                for (int p = 0; p < NPART; p++)
                    any_revoked += c[i]->revoked_since_mark[p];
                pthread_mutex_unlock(&sc->mu);
                if (kept_revoked == 0 && lost == 0 && any_revoked == 0)
                    ok("%s: %s keeps its two partitions without a revocation and only gains "
                       "the leaver's", name, c[i]->name);
                else
                    fail("%s: %s keeps its partitions without revocation: %d kept partitions "
                         "were revoked, %d lost, %d revocations in all",
                         name, c[i]->name, kept_revoked, lost, any_revoked);
            }
            sc->producer_pause = 0;
        }
    } else {
        /* static: a new consumer with the leaver's instance id */
        char old_parts[32], cname[32];
        pthread_mutex_lock(&sc->mu);
        owned_str(c[2], old_parts, sizeof(old_parts));
        int old_owned[NPART];
        memcpy(old_owned, before[2], sizeof(old_owned));
        pthread_mutex_unlock(&sc->mu);
        (void)old_parts;
        snprintf(cname, sizeof(cname), "%s-c3b", name);
        double t_new = now_s();
        if (consumer_start(c[3], sc, cname, inst[2], session) != 0)
            goto stop_producer;
        double w = now_s(), got_at = -1;
        while (now_s() - w < session / 1000.0 + 10) {
            pthread_mutex_lock(&sc->mu);
            int n = owned_count(c[3]);
            pthread_mutex_unlock(&sc->mu);
            if (n > 0) {
                got_at = now_s() - t_new;
                break;
            }
            usleep(20000);
        }
        char want[32], got[32];
        consumer tmp;
        memcpy(tmp.owned, old_owned, sizeof(tmp.owned));
        owned_str(&tmp, want, sizeof(want));
        pthread_mutex_lock(&sc->mu);
        owned_str(c[3], got, sizeof(got));
        int same = memcmp(c[3]->owned, old_owned, sizeof(old_owned)) == 0;
        pthread_mutex_unlock(&sc->mu);
        if (got_at >= 0 && same)
            ok("%s: the restarted static member (same group.instance.id) gets its partitions "
               "[%s] back (%.2f s after it started, %.2f s after the old one closed)",
               name, got, got_at, got_at + (t_new - t_close));
        else
            fail("%s: the restarted static member gets its partitions back: wanted [%s], got "
                 "[%s] (after %.2f s)", name, want, got, got_at);
        /* wait past the old member's session timeout: still no rebalance */
        double until = t_close + session / 1000.0 + 3.0;
        while (now_s() < until)
            usleep(50000);
        int extra[2];
        pthread_mutex_lock(&sc->mu);
        for (int i = 0; i < 2; i++)
            extra[i] = c[i]->assign_calls + c[i]->revoke_calls - calls_before[i];
        int c3_calls = c[3]->assign_calls + c[3]->revoke_calls;
        int same_still = memcmp(c[3]->owned, old_owned, sizeof(old_owned)) == 0;
        pthread_mutex_unlock(&sc->mu);
        if (extra[0] == 0 && extra[1] == 0)
            ok("%s: the other members' rebalance callbacks are not called again (checked "
               "until %.0f s after the close, past session.timeout.ms)",
               name, session / 1000.0 + 3.0);
        else
            fail("%s: no rebalance for the other members: %s had %d and %s %d more rebalance "
                 "callbacks", name, c[0]->name, extra[0], c[1]->name, extra[1]);
        if (c3_calls == 1 && same_still)
            ok("%s: the restarted static member was assigned once and keeps its partitions",
               name);
        else
            fail("%s: the restarted static member was assigned once and keeps its partitions: "
                 "%d rebalance callbacks, same partitions: %d", name, c3_calls, same_still);
        describe(sc, c, 2, buf, sizeof(buf));
        int still = balanced(sc, (consumer *[]){c[0], c[1], c[3]}, 3, 2);
        if (still)
            ok("%s: the three members still own two partitions each", name);
        else
            fail("%s: the three members still own two partitions each: %s", name, buf);
    }

stop_producer:
    producer_join(&prod);
    /* wait for every record to be consumed and committed */
    double w1 = now_s();
    while (now_s() - w1 < 30 && !all_committed(sc, NREC))
        usleep(50000);
    usleep(300000); /* let any duplicate show up */
    check_exactly_once(sc);
    long cf = 0;
    for (int i = 0; i < 4; i++)
        cf += c[i]->commit_failures;
    note("%s: %ld commits failed in all (records re-read)%s%s", name, cf,
         cf ? "; first: " : "",
         cf ? (c[0]->commit_failures ? c[0]->first_commit_error
               : c[1]->commit_failures ? c[1]->first_commit_error
               : c[2]->commit_failures ? c[2]->first_commit_error
                                       : c[3]->first_commit_error)
            : "");
    if (sc->cooperative && !is_static && !crash)
        coop_join_check(sc, c, session);
out:
    for (int i = 0; i < 4; i++)
        consumer_stop(c[i]);
    if (sc->produced == NREC) {
        int bad = committed_vs_end(sc, buf, sizeof(buf));
        if (bad == 0)
            ok("%s: the group's committed offsets (OffsetFetch) equal the log end offsets of "
               "all six partitions", name);
        else
            fail("%s: committed offsets equal the log end offsets: %s", name, buf);
    }
    for (int i = 0; i < 4; i++)
        free(c[i]);
    free(sc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s BOOTSTRAP [eager|cooperative|static|crash]...\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_origin = now_s();
    bootstrap = argv[1];
    int all = argc == 2;
    for (int i = 2; i < argc || all; i++) {
        const char *s = all ? NULL : argv[i];
        if (all || strcmp(s, "eager") == 0)
            run_scenario("eager", "range", 0, 0);
        if (all || strcmp(s, "cooperative") == 0)
            run_scenario("cooperative", "cooperative-sticky", 0, 0);
        if (all || strcmp(s, "static") == 0)
            run_scenario("static", "range", 1, 0);
        if (all || strcmp(s, "crash") == 0)
            run_scenario("crash", "roundrobin", 0, 1);
        if (all)
            break;
    }
    return failures ? 1 : 0;
}
