/*
 * loadgen.c — the benchmark load generator (librdkafka; bench/ only).
 *
 * Owns: driving one Kafka-protocol cluster with a fixed, reproducible load
 * and printing what it measured as one machine-readable line. It never
 * starts or stops brokers (bench/run.sh does) and is never linked into a
 * shipped binary.
 *
 * Modes (all take -b BOOTSTRAP -t TOPIC):
 *   produce  -n COUNT -s SIZE -p PARTITIONS -a ACKS [-l LINGER_MS]
 *            records go round-robin to partitions 0..P-1 (explicitly, so
 *            every partition gets the same share); timed from the first
 *            produce call to the last acknowledgement (flush).
 *   consume  -n COUNT -p PARTITIONS [-r REPEAT]
 *            low-level consumer (the simple-consumer API: partitions
 *            started explicitly, no group, no commits) reading partitions
 *            0..P-1 from the beginning until COUNT records arrived. Each
 *            of REPEAT passes (default 1) uses a fresh consumer whose
 *            connection is set up before the clock starts; the figure is
 *            all records over the sum of the timed windows.
 *   latency  -R RATE -d SECONDS [-w FETCH_WAIT_MS]
 *            one producer (linger.ms=0, acks=1) at RATE records/s into
 *            partition 0 and one simple consumer (started at the current
 *            end, fetch.wait.max.ms) in the same process; each value
 *            carries its CLOCK_MONOTONIC send time; reports receive-send
 *            and acknowledgement-send percentiles; the first second is
 *            warm-up and not counted.
 *   commit   -c CONSUMERS -d SECONDS -p PARTITIONS
 *            CONSUMERS (100) consumers, each in a group of its own with no
 *            subscription, each committing one partition's offset (of TOPIC,
 *            created with PARTITIONS partitions) synchronously
 *            (rd_kafka_commit, async=0) in a loop on its own thread for
 *            SECONDS; reports commits/s and commit-latency percentiles. The
 *            first commit of each (FindCoordinator, connection) is before
 *            the clock starts.
 *   rebalance -c MEMBERS -p PARTITIONS [-r REPEAT] [-H HEARTBEAT_MS]
 *            per repetition (REPEAT, default 3), a fresh group: MEMBERS
 *            (10) consumers subscribe to TOPIC (created with PARTITIONS
 *            partitions; range assignor, session.timeout.ms=6000,
 *            heartbeat.interval.ms=HEARTBEAT_MS, default 100); timed from
 *            the first subscribe until every member holds an assignment
 *            received since then and together they hold every partition
 *            once (join); then one more member subscribes, timed the same
 *            way from its subscribe (add). Reports the median, minimum and
 *            maximum of each.
 *
 * Output: "RESULT key=value ..." on stdout; diagnostics on stderr
 * (-v or LOADGEN_DEBUG=fetch,msg,... for librdkafka debug logs).
 * Exit status non-zero when the run failed (errors, missing records).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static const char *g_bootstrap;
static const char *g_topic;
static long long g_count = 1000000;
static int g_size = 100;
static int g_partitions = 1;
static int g_acks = 1;
static int g_linger_ms = 5;
static int g_repeat;
static int g_rate = 10000;
static int g_seconds = 5;
static int g_fetch_wait_ms = 100;
static int g_verbose;
static int g_members;          /* -c: consumers (commit) or members (rebalance) */
static int g_heartbeat_ms = 100; /* -H: heartbeat.interval.ms in rebalance mode */

static atomic_llong g_dr_errors;
static atomic_llong g_dr_ok;
static char g_first_error[512];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
    fprintf(stderr, "loadgen: %s\n", what);
    exit(2);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "loadgen: config %s=%s: %s\n", k, v, err);
        exit(2);
    }
}

static void seti(rd_kafka_conf_t *conf, const char *k, long long v) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    set(conf, k, buf);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    if (level <= 4 || g_verbose)
        fprintf(stderr, "loadgen: %.6f rdkafka %s %d %s: %s\n", now_s(), rd_kafka_name(rk), level,
                fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    (void)opaque;
    fprintf(stderr, "loadgen: error %s: %s\n", rd_kafka_err2name(err), reason);
}

/* Latency mode: produce->acknowledgement times (the message opaque carries
 * the send time); written by the producer's poll calls on the main thread. */
static int64_t *g_ack_samples;
static long long g_ack_n, g_ack_cap;
static int64_t g_ack_from_ns = INT64_MAX;

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (g_ack_samples && !m->err) {
        int64_t sent = (int64_t)(intptr_t)m->_private;
        if (sent >= g_ack_from_ns && g_ack_n < g_ack_cap)
            g_ack_samples[g_ack_n++] = now_ns() - sent;
    }
    if (m->err) {
        if (atomic_fetch_add(&g_dr_errors, 1) == 0)
            snprintf(g_first_error, sizeof(g_first_error), "%s", rd_kafka_err2str(m->err));
    } else {
        atomic_fetch_add(&g_dr_ok, 1);
    }
}

static rd_kafka_conf_t *base_conf(void) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", g_bootstrap);
    set(conf, "client.id", "strait-bench");
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    const char *dbg = getenv("LOADGEN_DEBUG"); /* e.g. fetch,protocol */
    if (dbg && *dbg)
        set(conf, "debug", dbg);
    return conf;
}

static rd_kafka_t *new_producer(int acks, int linger_ms, int only_errors) {
    rd_kafka_conf_t *conf = base_conf();
    seti(conf, "acks", acks);
    seti(conf, "linger.ms", linger_ms);
    set(conf, "compression.codec", "none");
    set(conf, "enable.idempotence", "false");
    seti(conf, "queue.buffering.max.messages", 1000000);
    seti(conf, "queue.buffering.max.kbytes", 1048576);
    seti(conf, "message.timeout.ms", 120000);
    if (only_errors)
        set(conf, "delivery.report.only.error", "true");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "loadgen: producer: %s\n", err);
        exit(2);
    }
    return rk;
}

static rd_kafka_t *new_consumer(int fetch_wait_ms) {
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "check.crcs", "false");
    seti(conf, "fetch.wait.max.ms", fetch_wait_ms);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "loadgen: consumer: %s\n", err);
        exit(2);
    }
    return rk;
}

/* ---- produce ---- */

static int run_produce(void) {
    rd_kafka_t *rk = new_producer(g_acks, g_linger_ms, 1);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, g_topic, NULL);
    char *payload = malloc((size_t)g_size);
    for (int i = 0; i < g_size; i++)
        payload[i] = (char)('a' + i % 26);

    /* Warm up: metadata (and topic auto-creation), connection, one record
     * per partition acknowledged before the clock starts. */
    for (int p = 0; p < g_partitions; p++)
        if (rd_kafka_produce(rkt, p, RD_KAFKA_MSG_F_COPY, payload, (size_t)g_size, NULL, 0,
                             NULL) != 0)
            die("warm-up produce failed");
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("warm-up flush timed out");
    if (atomic_load(&g_dr_errors)) {
        fprintf(stderr, "loadgen: warm-up delivery failed: %s\n", g_first_error);
        exit(1);
    }

    double t0 = now_s();
    int p = 0;
    for (long long i = 0; i < g_count; i++) {
        for (;;) {
            if (rd_kafka_produce(rkt, p, RD_KAFKA_MSG_F_COPY, payload, (size_t)g_size, NULL, 0,
                                 NULL) == 0)
                break;
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "loadgen: produce: %s\n", rd_kafka_err2str(e));
                exit(1);
            }
            rd_kafka_poll(rk, 1);
        }
        if (++p == g_partitions)
            p = 0;
        if ((i & 0x3ff) == 0)
            rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0)
        rd_kafka_poll(rk, 5);
    double t1 = now_s();

    long long errors = atomic_load(&g_dr_errors);
    double secs = t1 - t0;
    double bytes = (double)g_count * g_size;
    printf("RESULT mode=produce records=%lld bytes=%.0f secs=%.3f rps=%.0f mbps=%.2f errors=%lld\n",
           g_count, bytes, secs, (double)g_count / secs, bytes / secs / 1e6, errors);
    if (errors)
        fprintf(stderr, "loadgen: %lld delivery errors, first: %s\n", errors, g_first_error);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    free(payload);
    return errors ? 1 : 0;
}

/* ---- consume ---- */

/* The legacy simple-consumer API: fetches the given partitions from the
 * given offset with no consumer group (no FindCoordinator, no commits). */
static rd_kafka_queue_t *start_partitions(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int64_t offset) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    for (int p = 0; p < g_partitions; p++)
        if (rd_kafka_consume_start_queue(rkt, p, offset, q) == -1) {
            fprintf(stderr, "loadgen: consume_start: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            exit(1);
        }
    return q;
}

static void stop_partitions(rd_kafka_topic_t *rkt, rd_kafka_queue_t *q) {
    for (int p = 0; p < g_partitions; p++)
        rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(q);
}

/* One timed pass with a fresh consumer: connect first (metadata, then a
 * ListOffsets to the partition leader, so the leader connection is up), then
 * time from starting partitions 0..P-1 at offset 0 until g_count records
 * arrived. Returns bytes of values read, or -1 after 30 s without progress. */
static long long consume_pass(double *secs_out, long long *records_out) {
    rd_kafka_t *rk = new_consumer(500);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, g_topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("consume: metadata failed");
    rd_kafka_metadata_destroy(md);
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(rk, g_topic, 0, &lo, &hi, 10000))
        die("consume: watermark query failed");
    if (lo != 0)
        fprintf(stderr, "loadgen: warning: %s [0] starts at offset %" PRId64 ", not 0\n", g_topic, lo);

    long long records = 0, bytes = 0;
    rd_kafka_message_t *batch[4096];
    double t0 = now_s(), last_progress = t0;
    rd_kafka_queue_t *q = start_partitions(rk, rkt, lo);
    while (records < g_count) {
        /* consume_batch_queue waits until the array is full or the timeout
         * passes, so never ask for more than is still missing. */
        long long want = g_count - records < 4096 ? g_count - records : 4096;
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch, (size_t)want);
        if (n <= 0) {
            if (now_s() - last_progress > 30) {
                fprintf(stderr, "loadgen: consume stalled at %lld of %lld records\n", records,
                        g_count);
                bytes = -1;
                break;
            }
            continue;
        }
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fprintf(stderr, "loadgen: consume: %s\n", rd_kafka_message_errstr(m));
            } else {
                records++;
                bytes += (long long)m->len;
            }
            rd_kafka_message_destroy(m);
        }
        last_progress = now_s();
    }
    *secs_out = now_s() - t0;
    *records_out = records;
    stop_partitions(rkt, q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return bytes;
}

static int run_consume(void) {
    int passes = g_repeat > 0 ? g_repeat : 1;
    long long total_recs = 0, total_bytes = 0;
    double total_secs = 0;
    for (int i = 0; i < passes; i++) {
        double secs;
        long long recs;
        long long bytes = consume_pass(&secs, &recs);
        if (bytes < 0)
            return 1;
        total_recs += recs;
        total_bytes += bytes;
        total_secs += secs;
    }
    printf("RESULT mode=consume records=%lld bytes=%lld secs=%.3f rps=%.0f mbps=%.2f passes=%d\n",
           total_recs, total_bytes, total_secs, (double)total_recs / total_secs,
           (double)total_bytes / total_secs / 1e6, passes);
    return 0;
}

/* ---- latency ---- */

struct lat_state {
    rd_kafka_t *consumer;
    rd_kafka_queue_t *queue;
    int64_t measure_from_ns; /* records sent before this are warm-up */
    int64_t *samples;
    long long nsamples, cap;
    long long received;
    long long expected;
    atomic_int producer_done;
    atomic_int consumer_ready;
};

static void *lat_consumer(void *arg) {
    struct lat_state *st = arg;
    double last_progress = now_s();
    atomic_store(&st->consumer_ready, 1);
    for (;;) {
        if (atomic_load(&st->producer_done) && st->received >= st->expected)
            break;
        if (now_s() - last_progress > 15) {
            fprintf(stderr, "loadgen: latency consumer stalled at %lld of %lld\n", st->received,
                    st->expected);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consume_queue(st->queue, 50);
        if (!m)
            continue;
        int64_t t = now_ns();
        if (!m->err && m->len >= 8) {
            int64_t sent;
            memcpy(&sent, m->payload, 8);
            st->received++;
            last_progress = now_s();
            if (sent >= st->measure_from_ns && st->nsamples < st->cap)
                st->samples[st->nsamples++] = t - sent;
        } else if (m->err) {
            fprintf(stderr, "loadgen: latency consume: %s\n", rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

/* Serves the producer's delivery reports as they arrive, so the measured
 * acknowledgement time does not wait for the sender's next send. */
static atomic_int g_poller_stop;

static void *ack_poller(void *arg) {
    rd_kafka_t *prod = arg;
    while (!atomic_load(&g_poller_stop))
        rd_kafka_poll(prod, 10);
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *v, long long n, double q) {
    if (n == 0)
        return -1;
    long long i = (long long)(q * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

static int run_latency(void) {
    struct lat_state st = {0};
    rd_kafka_t *prod = new_producer(1, 0, 0);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod, g_topic, NULL);
    char *payload = calloc(1, (size_t)(g_size < 8 ? 8 : g_size));

    /* Create the topic and learn the partition's end before the consumer
     * starts: the consumer starts at the end of what is there now. */
    if (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, payload, (size_t)g_size, NULL, 0, NULL))
        die("latency warm-up produce failed");
    rd_kafka_flush(prod, 30000);
    if (atomic_load(&g_dr_errors)) {
        fprintf(stderr, "loadgen: latency warm-up failed: %s\n", g_first_error);
        return 1;
    }
    atomic_store(&g_dr_ok, 0);

    st.consumer = new_consumer(g_fetch_wait_ms);
    int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(st.consumer, g_topic, 0, &lo, &hi, 10000))
        die("latency: watermark query failed");
    rd_kafka_topic_t *crkt = rd_kafka_topic_new(st.consumer, g_topic, NULL);
    g_partitions = 1;
    st.queue = start_partitions(st.consumer, crkt, hi);

    long long total = (long long)g_rate * g_seconds;
    st.expected = total;
    st.cap = total;
    st.samples = malloc(sizeof(int64_t) * (size_t)total);
    st.measure_from_ns = INT64_MAX;

    pthread_t th;
    pthread_create(&th, NULL, lat_consumer, &st);
    while (!atomic_load(&st.consumer_ready))
        usleep(1000);
    usleep(500000); /* let the consumer's first fetch reach the broker */

    int64_t start = now_ns();
    int64_t interval = 1000000000LL / g_rate;
    st.measure_from_ns = start + 1000000000LL;
    g_ack_cap = total;
    g_ack_samples = malloc(sizeof(int64_t) * (size_t)total);
    g_ack_from_ns = st.measure_from_ns;
    pthread_t poller;
    atomic_store(&g_poller_stop, 0);
    pthread_create(&poller, NULL, ack_poller, prod);
    for (long long i = 0; i < total; i++) {
        int64_t due = start + i * interval;
        int64_t t;
        while ((t = now_ns()) < due) {
            int64_t gap = due - t;
            if (gap > 200000) {
                struct timespec ts = {0, gap - 100000};
                nanosleep(&ts, NULL);
            }
        }
        t = now_ns();
        memcpy(payload, &t, 8);
        while (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, payload, (size_t)g_size, NULL, 0,
                                (void *)(intptr_t)t) != 0)
            usleep(100);
    }
    while (rd_kafka_outq_len(prod) > 0)
        usleep(1000);
    atomic_store(&g_poller_stop, 1);
    pthread_join(poller, NULL);
    rd_kafka_flush(prod, 30000);
    atomic_store(&st.producer_done, 1);
    pthread_join(th, NULL);

    qsort(st.samples, (size_t)st.nsamples, sizeof(int64_t), cmp_i64);
    qsort(g_ack_samples, (size_t)g_ack_n, sizeof(int64_t), cmp_i64);
    double sent_secs = (double)(now_ns() - start) / 1e9;
    printf("RESULT mode=latency rate=%d sent=%lld received=%lld samples=%lld p50_ms=%.3f "
           "p99_ms=%.3f p999_ms=%.3f max_ms=%.3f ack_p50_ms=%.3f ack_p99_ms=%.3f errors=%lld "
           "secs=%.2f\n",
           g_rate, total, st.received, st.nsamples, pct_ms(st.samples, st.nsamples, 0.50),
           pct_ms(st.samples, st.nsamples, 0.99), pct_ms(st.samples, st.nsamples, 0.999),
           pct_ms(st.samples, st.nsamples, 1.0), pct_ms(g_ack_samples, g_ack_n, 0.50),
           pct_ms(g_ack_samples, g_ack_n, 0.99), (long long)atomic_load(&g_dr_errors), sent_secs);
    int rc = (st.received >= total && !atomic_load(&g_dr_errors)) ? 0 : 1;
    stop_partitions(crkt, st.queue);
    rd_kafka_topic_destroy(crkt);
    rd_kafka_destroy(st.consumer);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(prod);
    free(st.samples);
    free(g_ack_samples);
    g_ack_samples = NULL;
    free(payload);
    return rc;
}

/* ---- consumer groups: shared ---- */

/* Partitions of g_topic per the metadata, -1 when it is not there. */
static int topic_partitions(rd_kafka_t *rk, rd_kafka_topic_t *rkt) {
    const struct rd_kafka_metadata *md = NULL;
    int have = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err)
            have = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    return have;
}

/* Makes sure g_topic has at least PARTITIONS partitions: CreateTopics when
 * it does not (the mock has no CreateTopics: mock_cluster creates them). */
static void ensure_topic(int partitions) {
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "allow.auto.create.topics", "false");
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "loadgen: admin handle: %s\n", err);
        exit(2);
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, g_topic, NULL);
    int have = topic_partitions(rk, rkt);
    if (have < 0) {
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(g_topic, partitions, 1, err, sizeof(err));
        if (!nt)
            die(err);
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *opts =
            rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, 10000, err, sizeof(err));
        rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
        if (ev)
            rd_kafka_event_destroy(ev); /* any outcome: the metadata below decides */
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_NewTopic_destroy(nt);
        rd_kafka_queue_destroy(q);
        for (int i = 0; i < 100 && (have = topic_partitions(rk, rkt)) < partitions; i++)
            usleep(50000);
    }
    if (have < partitions) {
        fprintf(stderr, "loadgen: topic %s has %d partitions, need %d\n", g_topic, have,
                partitions);
        exit(1);
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
}

static rd_kafka_conf_t *group_conf(const char *group_id) {
    rd_kafka_conf_t *conf = base_conf();
    set(conf, "group.id", group_id);
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "auto.offset.reset", "latest");
    return conf;
}

static double median_d(double *v, int n) {
    for (int i = 1; i < n; i++) /* insertion sort: n is a handful */
        for (int k = i; k > 0 && v[k - 1] > v[k]; k--) {
            double t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    return n ? v[(n - 1) / 2] : -1;
}

/* ---- commit: offset commit throughput ---- */

/* Each of N consumers is in a group of its own (no subscription, so no
 * member id or generation: the coordinator checks that the group is empty,
 * appends the offset and answers), commits one partition's offset
 * synchronously, again and again, from its own thread. Every commit is a
 * separate OffsetCommit round trip to the group coordinator. */
struct commit_worker {
    rd_kafka_t *rk;
    rd_kafka_topic_partition_list_t *offs;
    pthread_t th;
    long long commits, errors;
    int64_t *lat;
    long long nlat, cap;
    int64_t last_end_ns;
    char first_err[256];
};

static atomic_int g_commit_ready;
static atomic_int g_commit_go;
static int64_t g_commit_deadline_ns;

static void *commit_thread(void *arg) {
    struct commit_worker *w = arg;
    rd_kafka_topic_partition_t *tp = &w->offs->elems[0];
    rd_kafka_resp_err_t e;
    atomic_fetch_add(&g_commit_ready, 1);
    while (!atomic_load(&g_commit_go))
        usleep(1000);
    {
        int64_t t = now_ns();
        while (t < g_commit_deadline_ns) {
            tp->offset++;
            e = rd_kafka_commit(w->rk, w->offs, 0);
            int64_t t2 = now_ns();
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR && tp->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                w->commits++;
                if (w->nlat == w->cap) {
                    w->cap = w->cap ? w->cap * 2 : 4096;
                    w->lat = realloc(w->lat, sizeof(int64_t) * (size_t)w->cap);
                    if (!w->lat)
                        die("out of memory");
                }
                w->lat[w->nlat++] = t2 - t;
            } else {
                if (!w->errors++)
                    snprintf(w->first_err, sizeof(w->first_err), "%s",
                             rd_kafka_err2str(e ? e : tp->err));
            }
            t = t2;
        }
        w->last_end_ns = t;
    }
    rd_kafka_consumer_close(w->rk);
    rd_kafka_destroy(w->rk);
    return NULL;
}

static int run_commit(int consumers) {
    if (g_verbose)
        fprintf(stderr, "loadgen: %.3f start\n", now_s());
    ensure_topic(g_partitions);
    if (g_verbose)
        fprintf(stderr, "loadgen: %.3f topic ready\n", now_s());
    struct commit_worker *w = calloc((size_t)consumers, sizeof(*w));
    if (!w)
        die("out of memory");
    for (int i = 0; i < consumers; i++) {
        char gid[128], err[512];
        snprintf(gid, sizeof(gid), "bench-commit-%d-%d", (int)getpid(), i);
        rd_kafka_conf_t *conf = group_conf(gid);
        w[i].rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        if (!w[i].rk) {
            fprintf(stderr, "loadgen: consumer: %s\n", err);
            exit(2);
        }
        w[i].offs = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(w[i].offs, g_topic, i % g_partitions)->offset = 1;
    }
    /* Warm-up, one consumer after the other (a burst of 100 clients'
     * connections overflows the mock's listen backlog of 5 and costs SYN
     * retransmits): the first commit waits for FindCoordinator and the
     * coordinator connection. */
    for (int i = 0; i < consumers; i++) {
        double until = now_s() + 30;
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_commit(w[i].rk, w[i].offs, 0)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (now_s() > until) {
                fprintf(stderr, "loadgen: warm-up commit: %s\n", rd_kafka_err2str(e));
                exit(1);
            }
            usleep(10000);
        }
        pthread_create(&w[i].th, NULL, commit_thread, &w[i]);
    }
    while (atomic_load(&g_commit_ready) < consumers)
        usleep(1000);
    int64_t start = now_ns();
    if (g_verbose)
        fprintf(stderr, "loadgen: %.3f all %d consumers warmed up\n", now_s(), consumers);
    g_commit_deadline_ns = start + (int64_t)g_seconds * 1000000000LL;
    atomic_store(&g_commit_go, 1);
    long long commits = 0, errors = 0, nlat = 0;
    int64_t end = start;
    const char *first_err = NULL;
    for (int i = 0; i < consumers; i++) {
        pthread_join(w[i].th, NULL);
        commits += w[i].commits;
        errors += w[i].errors;
        nlat += w[i].nlat;
        if (w[i].last_end_ns > end)
            end = w[i].last_end_ns;
        if (w[i].errors && !first_err)
            first_err = w[i].first_err;
    }
    if (g_verbose)
        fprintf(stderr, "loadgen: %.3f all %d consumers closed\n", now_s(), consumers);
    int64_t *lat = malloc(sizeof(int64_t) * (size_t)(nlat + 1));
    long long k = 0;
    for (int i = 0; i < consumers; i++) {
        if (w[i].nlat)
            memcpy(lat + k, w[i].lat, sizeof(int64_t) * (size_t)w[i].nlat);
        k += w[i].nlat;
        free(w[i].lat);
        rd_kafka_topic_partition_list_destroy(w[i].offs);
    }
    qsort(lat, (size_t)nlat, sizeof(int64_t), cmp_i64);
    double secs = (double)(end - start) / 1e9;
    printf("RESULT mode=commit consumers=%d records=%lld secs=%.3f rps=%.0f p50_ms=%.3f "
           "p99_ms=%.3f max_ms=%.3f errors=%lld\n",
           consumers, commits, secs, secs > 0 ? (double)commits / secs : 0,
           pct_ms(lat, nlat, 0.50), pct_ms(lat, nlat, 0.99), pct_ms(lat, nlat, 1.0), errors);
    if (errors)
        fprintf(stderr, "loadgen: %lld commit errors, first: %s\n", errors, first_err);
    free(lat);
    free(w);
    return errors || commits == 0 ? 1 : 0;
}

/* ---- rebalance: time until a group's members all hold their assignment ---- */

enum { RB_MAX_PARTS = 1024 };

struct rb_member {
    rd_kafka_t *rk;
    pthread_t th;
    atomic_int leave; /* close (LeaveGroup) and end the thread */
    /* under g_rb_mu */
    int active;       /* counted in the group being waited for */
    int assigned;     /* holds an assignment (eager protocol: all or nothing) */
    int64_t assigned_ns;
    int nparts;
    int32_t parts[RB_MAX_PARTS];
};

static pthread_mutex_t g_rb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_rb_cv = PTHREAD_COND_INITIALIZER;

static void rb_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts, void *opaque) {
    struct rb_member *m = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        pthread_mutex_lock(&g_rb_mu);
        m->assigned = 1;
        m->assigned_ns = now_ns();
        m->nparts = 0;
        for (int i = 0; i < parts->cnt && i < RB_MAX_PARTS; i++)
            m->parts[m->nparts++] = parts->elems[i].partition;
        pthread_cond_broadcast(&g_rb_cv);
        pthread_mutex_unlock(&g_rb_mu);
    } else {
        rd_kafka_assign(rk, NULL);
        pthread_mutex_lock(&g_rb_mu);
        m->assigned = 0;
        m->nparts = 0;
        pthread_mutex_unlock(&g_rb_mu);
    }
}

static void *rb_thread(void *arg) {
    struct rb_member *m = arg;
    while (!atomic_load(&m->leave)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, 20);
        if (msg)
            rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(m->rk);
    return NULL;
}

/* Under g_rb_mu: every active member got an assignment at or after `since`,
 * and together they hold each of the topic's partitions exactly once. */
static int rb_settled(struct rb_member *ms, int n, int64_t since) {
    static unsigned char seen[RB_MAX_PARTS];
    memset(seen, 0, sizeof(seen));
    int total = 0;
    for (int i = 0; i < n; i++) {
        if (!ms[i].active)
            continue;
        if (!ms[i].assigned || ms[i].assigned_ns < since || ms[i].nparts == 0)
            return 0;
        for (int k = 0; k < ms[i].nparts; k++) {
            int32_t p = ms[i].parts[k];
            if (p < 0 || p >= g_partitions || seen[p]++)
                return 0;
            total++;
        }
    }
    return total == g_partitions;
}

/* Waits until settled; returns the milliseconds since `since`, or -1. */
static double rb_wait(struct rb_member *ms, int n, int64_t since) {
    double ms_out = -1;
    pthread_mutex_lock(&g_rb_mu);
    for (;;) {
        if (rb_settled(ms, n, since)) {
            int64_t last = since;
            for (int i = 0; i < n; i++)
                if (ms[i].active && ms[i].assigned_ns > last)
                    last = ms[i].assigned_ns;
            ms_out = (double)(last - since) / 1e6;
            break;
        }
        if (now_ns() - since > 60LL * 1000000000LL)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g_rb_cv, &g_rb_mu, &ts);
    }
    pthread_mutex_unlock(&g_rb_mu);
    return ms_out;
}

static void rb_set_active(struct rb_member *m, int active) {
    pthread_mutex_lock(&g_rb_mu);
    m->active = active;
    pthread_mutex_unlock(&g_rb_mu);
}

/* One repetition with a fresh group: N members subscribe (timed from the
 * first subscribe), then member N+1 subscribes (timed from its subscribe).
 * Fills both times in ms (-1: did not settle within 60 s). */
static int rebalance_rep(int n, int rep, double out[2]) {
    char gid[128];
    snprintf(gid, sizeof(gid), "bench-rebalance-%d-%d", (int)getpid(), rep);
    int total = n + 1;
    struct rb_member *ms = calloc((size_t)total, sizeof(*ms));
    if (!ms)
        die("out of memory");
    for (int i = 0; i < total; i++) {
        char err[512];
        rd_kafka_conf_t *conf = group_conf(gid);
        set(conf, "partition.assignment.strategy", "range");
        set(conf, "session.timeout.ms", "6000");
        seti(conf, "heartbeat.interval.ms", g_heartbeat_ms);
        rd_kafka_conf_set_rebalance_cb(conf, rb_rebalance_cb);
        rd_kafka_conf_set_opaque(conf, &ms[i]);
        ms[i].rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        if (!ms[i].rk) {
            fprintf(stderr, "loadgen: consumer: %s\n", err);
            exit(2);
        }
        rd_kafka_poll_set_consumer(ms[i].rk);
        /* bootstrap connection up before the clock starts */
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(ms[i].rk, 0, NULL, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            rd_kafka_metadata_destroy(md);
        pthread_create(&ms[i].th, NULL, rb_thread, &ms[i]);
    }
    usleep(100000); /* each consumer's coordinator lookup (started by rd_kafka_new) done */
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, g_topic, RD_KAFKA_PARTITION_UA);

    int64_t t0 = now_ns();
    for (int i = 0; i < n; i++) {
        rb_set_active(&ms[i], 1);
        if (rd_kafka_subscribe(ms[i].rk, sub))
            die("subscribe failed");
    }
    out[0] = rb_wait(ms, total, t0);

    int64_t t1 = now_ns();
    rb_set_active(&ms[n], 1);
    if (rd_kafka_subscribe(ms[n].rk, sub))
        die("subscribe failed");
    out[1] = out[0] < 0 ? -1 : rb_wait(ms, total, t1);

    for (int i = 0; i < total; i++)
        atomic_store(&ms[i].leave, 1);
    for (int i = 0; i < total; i++) {
        pthread_join(ms[i].th, NULL);
        rd_kafka_destroy(ms[i].rk);
    }
    rd_kafka_topic_partition_list_destroy(sub);
    free(ms);
    if (g_verbose)
        fprintf(stderr, "loadgen: rebalance rep %d: join %.1f ms, add %.1f ms\n", rep, out[0],
                out[1]);
    return out[0] >= 0 && out[1] >= 0 ? 0 : 1;
}

static int run_rebalance(int members) {
    if (g_partitions > RB_MAX_PARTS)
        die("too many partitions");
    ensure_topic(g_partitions);
    int reps = g_repeat > 0 ? g_repeat : 3;
    if (reps > 64)
        reps = 64;
    double join[64], add[64];
    char all[2][512] = {"", ""};
    int rc = 0;
    for (int r = 0; r < reps && !rc; r++) {
        double t[2];
        rc = rebalance_rep(members, r, t);
        join[r] = t[0];
        add[r] = t[1];
        for (int k = 0; k < 2; k++) {
            size_t len = strlen(all[k]);
            snprintf(all[k] + len, sizeof(all[k]) - len, "%s%.0f", r ? "," : "", t[k]);
        }
    }
    if (rc) {
        fprintf(stderr, "loadgen: a rebalance did not settle within 60 s (join %s, add %s)\n",
                all[0], all[1]);
        return 1;
    }
    double jmin = join[0], jmax = join[0], amin = add[0], amax = add[0];
    for (int r = 1; r < reps; r++) {
        jmin = join[r] < jmin ? join[r] : jmin;
        jmax = join[r] > jmax ? join[r] : jmax;
        amin = add[r] < amin ? add[r] : amin;
        amax = add[r] > amax ? add[r] : amax;
    }
    printf("RESULT mode=rebalance members=%d partitions=%d reps=%d join_ms=%.1f join_min_ms=%.1f "
           "join_max_ms=%.1f add_ms=%.1f add_min_ms=%.1f add_max_ms=%.1f join_all=%s add_all=%s "
           "records=0\n",
           members, g_partitions, reps, median_d(join, reps), jmin, jmax, median_d(add, reps),
           amin, amax, all[0], all[1]);
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen produce|consume|latency|commit|rebalance -b BOOTSTRAP -t TOPIC\n"
            "               [-n COUNT] [-s SIZE] [-p PARTITIONS] [-a ACKS] [-l LINGER_MS]\n"
            "               [-r REPEAT] [-R RATE] [-d SECONDS] [-w FETCH_WAIT_MS]\n"
            "               [-c CONSUMERS] [-H HEARTBEAT_MS] [-v]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage();
    const char *mode = argv[1];
    int opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "b:t:n:s:p:a:l:r:R:d:w:c:H:v")) != -1) {
        switch (opt) {
        case 'b': g_bootstrap = optarg; break;
        case 't': g_topic = optarg; break;
        case 'n': g_count = atoll(optarg); break;
        case 's': g_size = atoi(optarg); break;
        case 'p': g_partitions = atoi(optarg); break;
        case 'a': g_acks = atoi(optarg); break;
        case 'l': g_linger_ms = atoi(optarg); break;
        case 'r': g_repeat = atoi(optarg); break;
        case 'R': g_rate = atoi(optarg); break;
        case 'd': g_seconds = atoi(optarg); break;
        case 'w': g_fetch_wait_ms = atoi(optarg); break;
        case 'c': g_members = atoi(optarg); break;
        case 'H': g_heartbeat_ms = atoi(optarg); break;
        case 'v': g_verbose = 1; break;
        default: usage();
        }
    }
    if (!g_bootstrap || !g_topic || g_count <= 0 || g_size <= 0 || g_partitions <= 0 ||
        g_rate <= 0 || g_seconds <= 1 || g_members < 0 || g_heartbeat_ms <= 0)
        usage();
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(mode, "produce"))
        return run_produce();
    if (!strcmp(mode, "consume"))
        return run_consume();
    if (!strcmp(mode, "latency"))
        return run_latency();
    if (!strcmp(mode, "commit"))
        return run_commit(g_members ? g_members : 100);
    if (!strcmp(mode, "rebalance"))
        return run_rebalance(g_members ? g_members : 10);
    usage();
    return 2;
}
