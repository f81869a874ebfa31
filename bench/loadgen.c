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
    (void)rk;
    if (level <= 4 || g_verbose)
        fprintf(stderr, "loadgen: %.6f rdkafka %d %s: %s\n", now_s(), level, fac, buf);
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

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen produce|consume|latency -b BOOTSTRAP -t TOPIC [-n COUNT] [-s SIZE]\n"
            "               [-p PARTITIONS] [-a ACKS] [-l LINGER_MS] [-r REPEAT] [-R RATE]\n"
            "               [-d SECONDS] [-w FETCH_WAIT_MS] [-v]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage();
    const char *mode = argv[1];
    int opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "b:t:n:s:p:a:l:r:R:d:w:v")) != -1) {
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
        case 'v': g_verbose = 1; break;
        default: usage();
        }
    }
    if (!g_bootstrap || !g_topic || g_count <= 0 || g_size <= 0 || g_partitions <= 0 ||
        g_rate <= 0 || g_seconds <= 1)
        usage();
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(mode, "produce"))
        return run_produce();
    if (!strcmp(mode, "consume"))
        return run_consume();
    if (!strcmp(mode, "latency"))
        return run_latency();
    usage();
    return 2;
}
