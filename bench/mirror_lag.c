/*
 * mirror_lag.c — end-to-end latency through a mirror (librdkafka; bench/ only).
 *
 * Owns: one paced producer writing to a topic on the source cluster and one
 * consumer reading the same topic on the target cluster, in one process,
 * and the percentiles of (receive time - send time) of every record, printed
 * as one machine-readable line. Each value starts with its CLOCK_MONOTONIC
 * send time (8 bytes), taken just before the produce call. Whatever copies
 * source -> target (strait-mirror, started by bench/run.sh) is what is
 * measured; with SOURCE = TARGET it measures plain produce -> consume on
 * one broker, the floor a mirror adds to. Never starts or stops processes.
 *
 *   mirror_lag -s SOURCE -b TARGET -t TOPIC -p PARTITIONS -R RATE -d SECONDS
 *              [-S SIZE] [-a ACKS] [-l LINGER_MS] [-w FETCH_WAIT_MS]
 *
 * Steps: one warm-up record per partition to the source (creating the
 * topic); wait until the target has the topic with PARTITIONS partitions
 * and the consumer (from offset 0 of every partition) has received the
 * warm-up records; then RATE records/s round-robin over the partitions
 * for SECONDS, paced in 1 ms steps; then wait until everything sent
 * arrived. Records sent in the first second are not counted.
 *
 * Output: "RESULT rate=R sent=N received=M samples=K achieved_rps=A drain_ms=D
 *          min_ms= p10_ms= p50_ms= p90_ms= p99_ms= p999_ms= max_ms= errors=E"
 * drain_ms: from the last send to the last record's arrival (a backlog the
 * copy built up shows here; near zero when it kept pace).
 * Exit status 1 when records are missing or deliveries failed.
 */
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

#define NS 1000000000LL

typedef struct lag_run {
    const char *source, *target, *topic;
    int partitions, rate, seconds, size, acks, linger_ms, fetch_wait_ms;

    /* written by the consumer thread, read after it is joined (or
     * atomically while it runs) */
    rd_kafka_queue_t *queue;
    atomic_llong received;
    atomic_llong expected;        /* stop once this many arrived and... */
    atomic_int producer_done;     /* ...the producer is finished */
    atomic_llong measure_from_ns; /* records sent before are not sampled */
    int64_t *samples;             /* owned; cap entries */
    int64_t last_receive_ns;      /* when the last record arrived */
    long long nsamples, cap;

    atomic_int poller_stop;
    atomic_llong dr_errors;
} lag_run;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mirror_lag: config %s=%s: %s\n", k, v, err);
        exit(2);
    }
}

static void seti(rd_kafka_conf_t *conf, const char *k, long long v) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    set(conf, k, buf);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    lag_run *run = opaque;
    if (m->err && atomic_fetch_add(&run->dr_errors, 1) == 0)
        fprintf(stderr, "mirror_lag: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "mirror_lag: client: %s\n", err);
        exit(2);
    }
    return rk;
}

static rd_kafka_t *new_producer(lag_run *run) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", run->source);
    set(conf, "client.id", "strait-bench-mirror-lag");
    seti(conf, "acks", run->acks);
    seti(conf, "linger.ms", run->linger_ms);
    set(conf, "enable.idempotence", "false");
    set(conf, "compression.codec", "none");
    seti(conf, "queue.buffering.max.messages", 1000000);
    seti(conf, "message.timeout.ms", 60000);
    set(conf, "delivery.report.only.error", "true");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, run);
    return new_client(RD_KAFKA_PRODUCER, conf);
}

static rd_kafka_t *new_consumer(lag_run *run) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", run->target);
    set(conf, "client.id", "strait-bench-mirror-lag");
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "allow.auto.create.topics", "false");
    set(conf, "check.crcs", "false");
    seti(conf, "fetch.wait.max.ms", run->fetch_wait_ms);
    return new_client(RD_KAFKA_CONSUMER, conf);
}

/* Partitions of the topic on rk's cluster per fresh metadata, -1 if absent. */
static int topic_partitions(rd_kafka_t *rk, const char *topic) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return n;
}

static void *consumer_main(void *arg) {
    lag_run *run = arg;
    int64_t last_progress = now_ns();
    rd_kafka_message_t *batch[1024];
    for (;;) {
        long long got = atomic_load(&run->received);
        if (atomic_load(&run->producer_done) && got >= atomic_load(&run->expected))
            break;
        if (now_ns() - last_progress > 30 * NS) {
            fprintf(stderr, "mirror_lag: consumer stalled at %lld of %lld records\n", got,
                    (long long)atomic_load(&run->expected));
            break;
        }
        /* block for one record, then take what else is there without
         * waiting (consume_batch_queue alone waits for a full batch or
         * its timeout, which would add to the latency measured) */
        batch[0] = rd_kafka_consume_queue(run->queue, 50);
        if (!batch[0])
            continue;
        ssize_t more = rd_kafka_consume_batch_queue(run->queue, 0, batch + 1, 1023);
        ssize_t n = 1 + (more > 0 ? more : 0);
        int64_t t = now_ns();
        int64_t from = atomic_load(&run->measure_from_ns);
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err) {
                fprintf(stderr, "mirror_lag: consume: %s\n", rd_kafka_message_errstr(m));
            } else if (m->len >= 8) {
                int64_t sent;
                memcpy(&sent, m->payload, 8);
                atomic_fetch_add(&run->received, 1);
                last_progress = t;
                run->last_receive_ns = t;
                if (sent >= from && run->nsamples < run->cap)
                    run->samples[run->nsamples++] = t - sent;
            }
            rd_kafka_message_destroy(m);
        }
    }
    return NULL;
}

typedef struct poller_arg {
    lag_run *run;
    rd_kafka_t *producer;
} poller_arg;

/* Serves delivery reports while the main thread paces the producer. */
static void *dr_poller(void *arg) {
    poller_arg *pa = arg;
    while (!atomic_load(&pa->run->poller_stop))
        rd_kafka_poll(pa->producer, 10);
    return NULL;
}

static void produce_one(rd_kafka_topic_t *rkt, int partition, char *payload, int size) {
    int64_t t = now_ns();
    memcpy(payload, &t, 8);
    while (rd_kafka_produce(rkt, partition, RD_KAFKA_MSG_F_COPY, payload, (size_t)size, NULL, 0,
                            NULL) != 0) {
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "mirror_lag: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            exit(1);
        }
        usleep(100);
    }
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

/* Waits up to `secs` for n records to have arrived; false on timeout. */
static int wait_received(lag_run *run, long long n, int secs) {
    int64_t deadline = now_ns() + secs * NS;
    while (atomic_load(&run->received) < n) {
        if (now_ns() > deadline)
            return 0;
        usleep(10000);
    }
    return 1;
}

static int run_lag(lag_run *run) {
    rd_kafka_t *prod = new_producer(run);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(prod, run->topic, NULL);
    char *payload = calloc(1, (size_t)run->size);
    for (int i = 8; i < run->size; i++)
        payload[i] = (char)('a' + i % 26);

    /* 1. warm-up records (the topic is created on the source by them) */
    for (int p = 0; p < run->partitions; p++)
        produce_one(rkt, p, payload, run->size);
    rd_kafka_flush(prod, 30000);
    if (atomic_load(&run->dr_errors))
        return 1;
    if (topic_partitions(prod, run->topic) != run->partitions) {
        fprintf(stderr, "mirror_lag: %s does not have %d partitions on the source\n", run->topic,
                run->partitions);
        return 1;
    }

    /* 2. the target's copy of the topic, read from the beginning */
    rd_kafka_t *cons = new_consumer(run);
    int64_t deadline = now_ns() + 60 * NS;
    while (topic_partitions(cons, run->topic) != run->partitions) {
        if (now_ns() > deadline) {
            fprintf(stderr, "mirror_lag: %s never appeared on the target\n", run->topic);
            return 1;
        }
        usleep(50000);
    }
    rd_kafka_topic_t *crkt = rd_kafka_topic_new(cons, run->topic, NULL);
    run->queue = rd_kafka_queue_new(cons);
    for (int p = 0; p < run->partitions; p++)
        if (rd_kafka_consume_start_queue(crkt, p, RD_KAFKA_OFFSET_BEGINNING, run->queue) == -1) {
            fprintf(stderr, "mirror_lag: consume_start: %s\n",
                    rd_kafka_err2str(rd_kafka_last_error()));
            return 1;
        }
    long long total = (long long)run->rate * run->seconds;
    run->cap = total;
    run->samples = malloc(sizeof(int64_t) * (size_t)total);
    atomic_store(&run->measure_from_ns, INT64_MAX);
    atomic_store(&run->expected, run->partitions + total);
    pthread_t consumer;
    pthread_create(&consumer, NULL, consumer_main, run);
    if (!wait_received(run, run->partitions, 60)) {
        fprintf(stderr, "mirror_lag: the warm-up records never reached the target\n");
        atomic_store(&run->producer_done, 1);
        atomic_store(&run->expected, 0);
        pthread_join(consumer, NULL);
        return 1;
    }

    /* 3. the steady load, paced in 1 ms steps: every step sends what is
     * due by then (each record stamped when it is handed to the client) */
    poller_arg pa = {run, prod};
    pthread_t poller;
    pthread_create(&poller, NULL, dr_poller, &pa);
    int64_t start = now_ns();
    atomic_store(&run->measure_from_ns, start + NS);
    double per_ns = (double)run->rate / 1e9;
    long long i = 0;
    int p = 0;
    while (i < total) {
        long long due = (long long)((double)(now_ns() - start) * per_ns) + 1;
        if (due > total)
            due = total;
        for (; i < due; i++) {
            produce_one(rkt, p, payload, run->size);
            if (++p == run->partitions)
                p = 0;
        }
        if (i < total) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    int64_t send_end = now_ns();
    double send_secs = (double)(send_end - start) / 1e9;
    atomic_store(&run->poller_stop, 1);
    pthread_join(poller, NULL);
    rd_kafka_flush(prod, 60000);
    atomic_store(&run->producer_done, 1);
    pthread_join(consumer, NULL);

    long long received = atomic_load(&run->received) - run->partitions;
    qsort(run->samples, (size_t)run->nsamples, sizeof(int64_t), cmp_i64);
    printf("RESULT rate=%d sent=%lld received=%lld samples=%lld achieved_rps=%.0f drain_ms=%.0f "
           "min_ms=%.3f p10_ms=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f "
           "errors=%lld\n",
           run->rate, total, received, run->nsamples, (double)total / send_secs,
           (double)(run->last_receive_ns - send_end) / 1e6, pct_ms(run->samples, run->nsamples, 0.0),
           pct_ms(run->samples, run->nsamples, 0.10), pct_ms(run->samples, run->nsamples, 0.50),
           pct_ms(run->samples, run->nsamples, 0.90),
           pct_ms(run->samples, run->nsamples, 0.99), pct_ms(run->samples, run->nsamples, 0.999),
           pct_ms(run->samples, run->nsamples, 1.0), (long long)atomic_load(&run->dr_errors));
    int rc = received >= total && !atomic_load(&run->dr_errors) ? 0 : 1;
    for (int q = 0; q < run->partitions; q++)
        rd_kafka_consume_stop(crkt, q);
    rd_kafka_queue_destroy(run->queue);
    rd_kafka_topic_destroy(crkt);
    rd_kafka_destroy(cons);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(prod);
    free(run->samples);
    free(payload);
    return rc;
}

static void usage(void) {
    fprintf(stderr, "usage: mirror_lag -s SOURCE -b TARGET -t TOPIC -p PARTITIONS -R RATE "
                    "-d SECONDS [-S SIZE] [-a ACKS] [-l LINGER_MS] [-w FETCH_WAIT_MS]\n");
    exit(2);
}

int main(int argc, char **argv) {
    static lag_run run = {.size = 100, .acks = -1, .linger_ms = 0, .fetch_wait_ms = 100};
    int opt;
    while ((opt = getopt(argc, argv, "s:b:t:p:R:d:S:a:l:w:")) != -1) {
        switch (opt) {
        case 's': run.source = optarg; break;
        case 'b': run.target = optarg; break;
        case 't': run.topic = optarg; break;
        case 'p': run.partitions = atoi(optarg); break;
        case 'R': run.rate = atoi(optarg); break;
        case 'd': run.seconds = atoi(optarg); break;
        case 'S': run.size = atoi(optarg); break;
        case 'a': run.acks = atoi(optarg); break;
        case 'l': run.linger_ms = atoi(optarg); break;
        case 'w': run.fetch_wait_ms = atoi(optarg); break;
        default: usage();
        }
    }
    if (!run.source || !run.target || !run.topic || run.partitions <= 0 || run.rate <= 0 ||
        run.seconds < 2 || run.size < 8 || run.linger_ms < 0 || run.fetch_wait_ms < 0)
        usage();
    signal(SIGPIPE, SIG_IGN);
    return run_lag(&run);
}
