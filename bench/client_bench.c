/*
 * client_bench.c — Strait's client library (common/kafka_client.h) against
 * librdkafka, the same load on the same broker (bench/ only).
 *
 * Owns: driving one cluster with either client under identical settings
 * and printing what it measured as one machine-readable line. It never
 * starts or stops brokers (bench/run.sh does) and is never linked into a
 * shipped binary (librdkafka is allowed in bench/ and tests only).
 *
 * Usage:
 *   client_bench produce -c ours|rdkafka -b BOOTSTRAP -t TOPIC
 *        [-d SECONDS | -n COUNT] [-s SIZE] [-p PARTITIONS] [-a 1|all]
 *        [-z none|lz4|...] [-l LINGER_MS] [-B BATCH_BYTES] [-i 0|1]
 *        records go round-robin to partitions 0..P-1 (explicitly, so every
 *        partition gets the same share), every record reported through the
 *        client's delivery callback. Before the clock starts: connection,
 *        metadata, producer id (idempotence) and one acknowledged record per
 *        partition. Timed from the first produce call of the run until the
 *        flush that follows the last one (-d: produce for SECONDS, then
 *        flush; -n: COUNT records, then flush).
 *   client_bench consume -c ours|rdkafka -b BOOTSTRAP -t TOPIC
 *        [-p PARTITIONS] [-n MAX] [-d SECONDS] [-w FETCH_WAIT_MS]
 *        assigns partitions 0..P-1 at the beginning (no group membership, no
 *        commits) and reads until it has every record that was there when
 *        it started (high watermarks, looked up before the clock starts,
 *        which also sets up the connection), or MAX records, or SECONDS.
 *        Every record is checked: offsets consecutive per partition from
 *        the log start, values of SIZE bytes (a mismatch fails the run).
 *        Timed from the first record received to the last (the steady
 *        rate: librdkafka sends its first Fetch ~500 ms after assign, which
 *        would otherwise dominate short rows); first_ms= reports the time
 *        from assign to the first record, total_secs= from assign to the end.
 *
 * Values: a pool of 8192 distinct SIZE-byte values shaped like JSON
 * telemetry ({"truck":"truck_0042","ts":...,"lat":...}) with random
 * digits, so that compression sees realistic (not degenerate) input.
 *
 * Settings both clients get (the client's own names):
 *   acks, linger.ms, batch.size (librdkafka: batch.size, with
 *   batch.num.messages at its maximum and message.max.bytes = batch.size so
 *   that bytes, not a record count, close a batch), compression,
 *   enable.idempotence (explicit), 5 requests in flight per connection,
 *   64 MiB of buffer (buffer.memory / queue.buffering.max.kbytes),
 *   delivery timeout 120 s. Consumers: fetch.max.bytes 52428800,
 *   max.partition.fetch.bytes 1048576, fetch wait 500 ms, fetch.min.bytes 1
 *   (both clients' defaults), check.crcs=false (librdkafka's default; ours
 *   defaults to true), batches of up to 4096 records per poll call.
 *
 * CLIENT_BENCH_DEBUG=1 prints pauses of more than 50 ms between consumed
 * batches, with every partition's next offset, on stderr.
 *
 * Output: "RESULT mode=... client=... records=N bytes=B secs=S rps=R
 * mbps=M [first_ms=F total_secs=T] cli_cpu_s=C cli_ns_per_rec=X errors=E"
 * on stdout (bytes = value bytes; cli_cpu_s = this process's user+system
 * CPU from the start of the run, all threads). Diagnostics on stderr. Exit status non-zero when
 * the run failed (delivery errors, missing records).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/kafka_client.h"

#define POOL 8192
#define CONSUME_BATCH 4096

static const char *g_client = "ours";
static const char *g_bootstrap;
static const char *g_topic;
static double g_seconds = 0;
static long long g_count = 0;
static int g_size = 100;
static int g_partitions = 1;
static const char *g_acks = "1";
static const char *g_codec = "none";
static int g_linger_ms = 5;
static long g_batch_bytes = 1048576;
static int g_idempotence = 0;
static int g_fetch_wait_ms = 500;

static char *g_pool; /* POOL values of g_size bytes */

static long long g_ok, g_errors;
static char g_first_error[512];

/* Consume checks: per partition, the offset the next record must have. */
static int64_t g_next_offset[256];

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "client_bench: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void note_error(const char *msg)
{
    if (g_errors++ == 0)
        snprintf(g_first_error, sizeof(g_first_error), "%s", msg);
}

/* A record read: offsets must follow each other from the log start on,
 * values must have the size produced. */
static void check_record(int32_t partition, int64_t offset, size_t len)
{
    char msg[160];
    if (partition < 0 || partition >= g_partitions) {
        snprintf(msg, sizeof(msg), "record of unexpected partition %d", (int)partition);
        note_error(msg);
    } else if (offset != g_next_offset[partition]) {
        snprintf(msg, sizeof(msg), "partition %d: offset %" PRId64 " where %" PRId64 " was due",
                 (int)partition, offset, g_next_offset[partition]);
        note_error(msg);
        g_next_offset[partition] = offset + 1;
    } else {
        g_next_offset[partition]++;
    }
    if (len != (size_t)g_size) {
        snprintf(msg, sizeof(msg), "value of %zu bytes, not %d", len, g_size);
        note_error(msg);
    }
}

static void debug_gap(double t0, long long records)
{
    static int on = -1;
    static double last;
    if (on < 0)
        on = getenv("CLIENT_BENCH_DEBUG") != NULL, last = t0;
    if (!on)
        return;
    double t = now_s();
    if (t - last > 0.05) {
        fprintf(stderr, "gap %.3f s at %.3f s, %lld records; next offsets:", t - last, t - t0,
                records);
        for (int p = 0; p < g_partitions; p++)
            fprintf(stderr, " %" PRId64, g_next_offset[p]);
        fprintf(stderr, "\n");
    }
    last = t;
}

static void make_pool(void)
{
    g_pool = malloc((size_t)POOL * (size_t)g_size);
    if (!g_pool)
        die("out of memory", NULL);
    unsigned seed = 12345;
    static const char *status[] = {"moving", "idle", "loading", "stopped"};
    char buf[512];
    for (int i = 0; i < POOL; i++) {
        int n = snprintf(buf, sizeof(buf),
                         "{\"truck\":\"truck_%04u\",\"ts\":%llu,\"lat\":%.6f,\"lon\":%.6f,"
                         "\"speed\":%u,\"status\":\"%s\"}",
                         rand_r(&seed) % 10000, 1700000000000ULL + (unsigned)rand_r(&seed) % 100000000u,
                         48.0 + (double)(rand_r(&seed) % 1000000) / 1e6,
                         2.0 + (double)(rand_r(&seed) % 1000000) / 1e6, rand_r(&seed) % 130,
                         status[rand_r(&seed) % 4]);
        char *v = g_pool + (size_t)i * (size_t)g_size;
        for (int j = 0; j < g_size; j++)
            v[j] = j < n ? buf[j] : ' ';
    }
}

static const char *value_at(long long i)
{
    return g_pool + (size_t)(i % POOL) * (size_t)g_size;
}

static void print_result(const char *mode, long long records, long long bytes, double secs,
                         double cpu)
{
    printf("RESULT mode=%s client=%s records=%lld bytes=%lld secs=%.3f rps=%.0f mbps=%.2f "
           "cli_cpu_s=%.3f cli_ns_per_rec=%.0f errors=%lld\n",
           mode, g_client, records, bytes, secs, (double)records / secs,
           (double)bytes / secs / 1e6, cpu, records ? cpu * 1e9 / (double)records : 0.0,
           g_errors);
    fflush(stdout);
}

/* Consume figures are from the first record received to the last (the
 * steady rate); first_ms is how long after assign the first one came. */
static void print_consume(long long records, long long bytes, double t0, double t_first,
                          double t1, double cpu)
{
    if (t_first == 0)
        t_first = t0;
    double secs = t1 - t_first;
    printf("RESULT mode=consume client=%s records=%lld bytes=%lld secs=%.3f rps=%.0f mbps=%.2f "
           "first_ms=%.0f total_secs=%.3f cli_cpu_s=%.3f cli_ns_per_rec=%.0f errors=%lld\n",
           g_client, records, bytes, secs, (double)records / secs, (double)bytes / secs / 1e6,
           (t_first - t0) * 1e3, t1 - t0, cpu, records ? cpu * 1e9 / (double)records : 0.0,
           g_errors);
    fflush(stdout);
}

static int acks_value(void)
{
    return strcmp(g_acks, "all") == 0 || strcmp(g_acks, "-1") == 0 ? -1 : atoi(g_acks);
}

/* ======================================================================
 * Ours
 * ====================================================================== */

static void ours_set(kc_config *conf, const char *k, const char *v)
{
    char err[512];
    if (kc_config_set(conf, k, v, err, sizeof(err)) != KC_OK)
        die("ours: config", err);
}

static void ours_seti(kc_config *conf, const char *k, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    ours_set(conf, k, buf);
}

static void ours_dr(const kc_delivery *d, void *opaque)
{
    (void)opaque;
    if (d->err)
        note_error(d->errstr);
    else
        g_ok++;
}

static int ours_produce(void)
{
    kc_config *conf = kc_config_new();
    if (!conf)
        die("out of memory", NULL);
    ours_set(conf, "bootstrap.servers", g_bootstrap);
    ours_set(conf, "client.id", "strait-client-bench");
    ours_seti(conf, "acks", acks_value());
    ours_seti(conf, "linger.ms", g_linger_ms);
    ours_seti(conf, "batch.size", g_batch_bytes);
    ours_set(conf, "compression.type", g_codec);
    ours_set(conf, "enable.idempotence", g_idempotence ? "true" : "false");
    ours_seti(conf, "max.in.flight.requests.per.connection", 5);
    ours_seti(conf, "buffer.memory", 64LL << 20);
    ours_seti(conf, "delivery.timeout.ms", 120000);
    kc_config_set_delivery_cb(conf, ours_dr, NULL);
    char err[512];
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p)
        die("ours: producer", err);
    kc_client *client = kc_producer_client(p);
    if (kc_client_connect(client, 10000) != KC_OK)
        die("ours: connect", kc_client_last_error(client));

    kc_record rec = {.topic = g_topic, .value_len = (size_t)g_size,
                     .timestamp = KC_TIMESTAMP_NOW};
    /* Warm-up: metadata (topic auto-creation), producer id, one record per
     * partition acknowledged. */
    for (int part = 0; part < g_partitions; part++) {
        rec.partition = part;
        rec.value = value_at(part);
        kc_err e = kc_produce(p, &rec, NULL);
        if (e != KC_OK)
            die("ours: warm-up produce", kc_client_last_error(client));
    }
    if (kc_producer_flush(p, 60000) != KC_OK)
        die("ours: warm-up flush timed out", NULL);
    if (g_errors)
        die("ours: warm-up delivery failed", g_first_error);
    g_ok = 0;

    double c0 = cpu_s(), t0 = now_s(), deadline = t0 + g_seconds;
    long long i = 0;
    int part = 0;
    for (;; i++) {
        if (g_count && i >= g_count)
            break;
        if ((i & 0x3ff) == 0) {
            if (!g_count && now_s() >= deadline)
                break;
            kc_producer_poll(p, 0);
        }
        rec.partition = part;
        rec.value = value_at(i);
        kc_err e = kc_produce(p, &rec, NULL);
        if (e != KC_OK) {
            fprintf(stderr, "client_bench: ours: produce: %s: %s\n", kc_err_name(e),
                    kc_client_last_error(client));
            exit(1);
        }
        if (++part == g_partitions)
            part = 0;
    }
    if (kc_producer_flush(p, 120000) != KC_OK)
        note_error("flush timed out");
    double secs = now_s() - t0, cpu = cpu_s() - c0;
    if (g_ok != i && !g_errors)
        note_error("records missing from the delivery reports");
    print_result("produce", i, i * g_size, secs, cpu);
    if (g_errors)
        fprintf(stderr, "client_bench: ours: %lld delivery errors, first: %s\n", g_errors,
                g_first_error);
    kc_producer_close(p, 10000);
    return g_errors ? 1 : 0;
}

static int ours_consume(void)
{
    kc_consumer_config *conf = kc_consumer_config_new();
    if (!conf)
        die("out of memory", NULL);
    char err[512], fetch_wait[32];
    snprintf(fetch_wait, sizeof(fetch_wait), "%d", g_fetch_wait_ms);
    const char *props[][2] = {
        {"bootstrap.servers", g_bootstrap},
        {"client.id", "strait-client-bench"},
        {"enable.auto.commit", "false"},
        {"auto.offset.reset", "earliest"},
        {"check.crcs", "false"},
        {"max.poll.records", "4096"},
        {"fetch.max.wait.ms", fetch_wait},
    };
    for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++)
        if (kc_consumer_config_set(conf, props[k][0], props[k][1], err, sizeof(err)) != KC_OK)
            die("ours: consumer config", err);
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!c)
        die("ours: consumer", err);
    kc_client *client = kc_consumer_client(c);
    if (kc_client_connect(client, 10000) != KC_OK)
        die("ours: connect", kc_client_last_error(client));

    /* Log start and end offsets (and the leader connection) before the clock. */
    kc_list_offset q[512];
    if (g_partitions > 256)
        die("too many partitions", NULL);
    memset(q, 0, sizeof(q));
    for (int k = 0; k < 2 * g_partitions; k++) {
        q[k].topic = g_topic;
        q[k].partition = k % g_partitions;
        q[k].spec = k < g_partitions ? KC_OFFSET_SPEC_LATEST : KC_OFFSET_SPEC_EARLIEST;
    }
    if (kc_admin_list_offsets(client, q, (size_t)(2 * g_partitions), 0, 10000) != KC_OK)
        die("ours: list offsets", kc_client_last_error(client));
    long long want = 0;
    for (int part = 0; part < g_partitions; part++) {
        want += q[part].offset - q[g_partitions + part].offset;
        g_next_offset[part] = q[g_partitions + part].offset;
    }
    if (g_count && want > g_count)
        want = g_count;

    kc_partition_list *list = kc_partition_list_new((size_t)g_partitions);
    for (int part = 0; part < g_partitions; part++)
        kc_partition_list_add(list, g_topic, part)->offset = KC_OFFSET_BEGINNING;

    long long records = 0, bytes = 0;
    const kc_message *batch[CONSUME_BATCH];
    double c0 = cpu_s(), t0 = now_s(), last = t0, t_first = 0;
    if (kc_consumer_assign(c, list) != KC_OK)
        die("ours: assign", kc_client_last_error(client));
    kc_partition_list_free(list);
    while (records < want) {
        double t = now_s();
        if (g_seconds > 0 && t - t0 >= g_seconds)
            break;
        if (t - last > 30) {
            fprintf(stderr, "client_bench: ours: consume stalled at %lld of %lld records\n",
                    records, want);
            g_errors++;
            break;
        }
        size_t n = kc_consumer_poll_batch(c, 100, batch, CONSUME_BATCH);
        if (n && t_first == 0)
            t_first = now_s();
        if (n)
            debug_gap(t0, records);
        for (size_t k = 0; k < n; k++) {
            const kc_message *m = batch[k];
            if (m->err) {
                fprintf(stderr, "client_bench: ours: consume: %s\n", m->errstr);
                note_error(m->errstr);
                continue;
            }
            check_record(m->partition, m->offset, m->value_len);
            records++;
            bytes += (long long)m->value_len;
        }
        if (n)
            last = now_s();
    }
    double t1 = now_s(), cpu = cpu_s() - c0;
    print_consume(records, bytes, t0, t_first, t1, cpu);
    if (g_errors)
        fprintf(stderr, "client_bench: ours: %lld consume errors, first: %s\n", g_errors,
                g_first_error);
    kc_consumer_free(c);
    return g_errors ? 1 : 0;
}

/* ======================================================================
 * librdkafka
 * ====================================================================== */

static void rd_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die("rdkafka: config", err);
}

static void rd_seti(rd_kafka_conf_t *conf, const char *k, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    rd_set(conf, k, buf);
}

static void rd_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4)
        fprintf(stderr, "client_bench: rdkafka %d %s: %s\n", level, fac, buf);
}

static void rd_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        note_error(rd_kafka_err2str(m->err));
    else
        g_ok++;
}

static rd_kafka_conf_t *rd_base(void)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_set(conf, "bootstrap.servers", g_bootstrap);
    rd_set(conf, "client.id", "strait-client-bench");
    rd_kafka_conf_set_log_cb(conf, rd_log);
    return conf;
}

static int rd_produce(void)
{
    rd_kafka_conf_t *conf = rd_base();
    rd_seti(conf, "acks", acks_value());
    rd_seti(conf, "linger.ms", g_linger_ms);
    rd_seti(conf, "batch.size", g_batch_bytes);
    rd_seti(conf, "batch.num.messages", 1000000);
    rd_seti(conf, "message.max.bytes", g_batch_bytes > 1000000 ? g_batch_bytes : 1000000);
    rd_set(conf, "compression.codec", g_codec);
    rd_set(conf, "enable.idempotence", g_idempotence ? "true" : "false");
    rd_seti(conf, "max.in.flight.requests.per.connection", 5);
    rd_seti(conf, "queue.buffering.max.kbytes", 65536);
    rd_seti(conf, "queue.buffering.max.messages", 10000000);
    rd_seti(conf, "message.timeout.ms", 120000);
    rd_kafka_conf_set_dr_msg_cb(conf, rd_dr);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die("rdkafka: producer", err);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, g_topic, NULL);

    for (int part = 0; part < g_partitions; part++)
        if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, (void *)value_at(part),
                             (size_t)g_size, NULL, 0, NULL) != 0)
            die("rdkafka: warm-up produce", rd_kafka_err2str(rd_kafka_last_error()));
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        die("rdkafka: warm-up flush timed out", NULL);
    if (g_errors)
        die("rdkafka: warm-up delivery failed", g_first_error);
    g_ok = 0;

    double c0 = cpu_s(), t0 = now_s(), deadline = t0 + g_seconds;
    long long i = 0;
    int part = 0;
    for (;; i++) {
        if (g_count && i >= g_count)
            break;
        if ((i & 0x3ff) == 0) {
            if (!g_count && now_s() >= deadline)
                break;
            rd_kafka_poll(rk, 0);
        }
        while (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, (void *)value_at(i),
                                (size_t)g_size, NULL, 0, NULL) != 0) {
            rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "client_bench: rdkafka: produce: %s\n", rd_kafka_err2str(e));
                exit(1);
            }
            rd_kafka_poll(rk, 1);
        }
        if (++part == g_partitions)
            part = 0;
    }
    if (rd_kafka_flush(rk, 120000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        note_error("flush timed out");
    double secs = now_s() - t0, cpu = cpu_s() - c0;
    if (g_ok != i && !g_errors)
        note_error("records missing from the delivery reports");
    print_result("produce", i, i * g_size, secs, cpu);
    if (g_errors)
        fprintf(stderr, "client_bench: rdkafka: %lld delivery errors, first: %s\n", g_errors,
                g_first_error);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return g_errors ? 1 : 0;
}

static int rd_consume(void)
{
    rd_kafka_conf_t *conf = rd_base();
    /* rd_kafka_assign needs a group.id; nothing is joined or committed. */
    char group[64];
    snprintf(group, sizeof(group), "client-bench-%d", (int)getpid());
    rd_set(conf, "group.id", group);
    rd_set(conf, "enable.auto.commit", "false");
    rd_set(conf, "enable.auto.offset.store", "false");
    rd_set(conf, "enable.partition.eof", "false");
    rd_set(conf, "auto.offset.reset", "earliest");
    rd_set(conf, "check.crcs", "false");
    rd_seti(conf, "fetch.wait.max.ms", g_fetch_wait_ms);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk)
        die("rdkafka: consumer", err);
    rd_kafka_poll_set_consumer(rk);

    long long want = 0;
    for (int part = 0; part < g_partitions; part++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, g_topic, part, &lo, &hi, 10000);
        if (e)
            die("rdkafka: watermarks", rd_kafka_err2str(e));
        want += hi - lo;
        g_next_offset[part] = lo;
    }
    if (g_count && want > g_count)
        want = g_count;

    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(g_partitions);
    for (int part = 0; part < g_partitions; part++)
        rd_kafka_topic_partition_list_add(list, g_topic, part)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);

    long long records = 0, bytes = 0;
    rd_kafka_message_t *batch[CONSUME_BATCH];
    double c0 = cpu_s(), t0 = now_s(), last = t0, t_first = 0;
    rd_kafka_resp_err_t ae = rd_kafka_assign(rk, list);
    if (ae)
        die("rdkafka: assign", rd_kafka_err2str(ae));
    rd_kafka_topic_partition_list_destroy(list);
    while (records < want) {
        double t = now_s();
        if (g_seconds > 0 && t - t0 >= g_seconds)
            break;
        if (t - last > 30) {
            fprintf(stderr, "client_bench: rdkafka: consume stalled at %lld of %lld records\n",
                    records, want);
            g_errors++;
            break;
        }
        /* consume_batch_queue waits until the array is full or the timeout
         * passes: never ask for more than is still missing. */
        long long ask = want - records < CONSUME_BATCH ? want - records : CONSUME_BATCH;
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch, (size_t)ask);
        if (n > 0 && t_first == 0)
            t_first = now_s();
        if (n > 0)
            debug_gap(t0, records);
        for (ssize_t k = 0; k < n; k++) {
            rd_kafka_message_t *m = batch[k];
            if (m->err) {
                fprintf(stderr, "client_bench: rdkafka: consume: %s\n", rd_kafka_message_errstr(m));
                note_error(rd_kafka_message_errstr(m));
            } else {
                check_record(m->partition, m->offset, m->len);
                records++;
                bytes += (long long)m->len;
            }
            rd_kafka_message_destroy(m);
        }
        if (n > 0)
            last = now_s();
    }
    double t1 = now_s(), cpu = cpu_s() - c0;
    print_consume(records, bytes, t0, t_first, t1, cpu);
    if (g_errors)
        fprintf(stderr, "client_bench: rdkafka: %lld consume errors, first: %s\n", g_errors,
                g_first_error);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return g_errors ? 1 : 0;
}

/* ====================================================================== */

static int usage(void)
{
    fprintf(stderr,
            "usage: client_bench produce|consume -c ours|rdkafka -b BOOTSTRAP -t TOPIC\n"
            "       [-d SECONDS] [-n COUNT] [-s SIZE] [-p PARTITIONS] [-a 1|all]\n"
            "       [-z none|gzip|snappy|lz4|zstd] [-l LINGER_MS] [-B BATCH_BYTES] [-i 0|1]\n"
            "       [-w FETCH_WAIT_MS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *mode = argv[1];
    int opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "c:b:t:d:n:s:p:a:z:l:B:i:w:")) != -1) {
        switch (opt) {
        case 'c': g_client = optarg; break;
        case 'b': g_bootstrap = optarg; break;
        case 't': g_topic = optarg; break;
        case 'd': g_seconds = atof(optarg); break;
        case 'n': g_count = atoll(optarg); break;
        case 's': g_size = atoi(optarg); break;
        case 'p': g_partitions = atoi(optarg); break;
        case 'a': g_acks = optarg; break;
        case 'z': g_codec = optarg; break;
        case 'l': g_linger_ms = atoi(optarg); break;
        case 'B': g_batch_bytes = atol(optarg); break;
        case 'i': g_idempotence = atoi(optarg); break;
        case 'w': g_fetch_wait_ms = atoi(optarg); break;
        default: return usage();
        }
    }
    if (!g_bootstrap || !g_topic || g_size < 1 || g_partitions < 1)
        return usage();
    int ours = strcmp(g_client, "ours") == 0;
    if (!ours && strcmp(g_client, "rdkafka") != 0)
        return usage();
    if (strcmp(mode, "produce") == 0) {
        if (!g_count && g_seconds <= 0)
            g_seconds = 3;
        make_pool();
        return ours ? ours_produce() : rd_produce();
    }
    if (strcmp(mode, "consume") == 0)
        return ours ? ours_consume() : rd_consume();
    return usage();
}
