/*
 * rdk_scenario — the librdkafka side of the golden capture (test tooling).
 *
 * Against BOOTSTRAP (the recording proxy) it:
 *   1. produces the same three records to golden-<codec> with one producer per
 *      compression codec (none, gzip, snappy, lz4, zstd), partition 0;
 *   2. produces them with an idempotent producer (InitProducerId) to
 *      golden-idempotent;
 *   3. consumes everything with a high-level consumer in group
 *      golden-group-rdk (FindCoordinator, JoinGroup, SyncGroup, OffsetFetch,
 *      ListOffsets, Fetch, Heartbeat), commits synchronously (OffsetCommit)
 *      and closes (LeaveGroup).
 * Each consumed record is printed as one line:
 *   CONSUMED <topic> <partition> <offset> key=<k> value=<v> headers=<h:v,...>
 * Exits non-zero if a step fails or not every record came back in time.
 *
 * Usage: rdk_scenario BOOTSTRAP
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NREC 3
static const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
#define NCODECS 5
#define NTOPICS (NCODECS + 1)

static char value3[256];

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "rdk_scenario: %s: %s\n", what, detail);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        fail(k, errstr);
}

static rd_kafka_conf_t *base_conf(const char *bootstrap, const char *client_id) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "client.id", client_id);
    set(conf, "broker.address.family", "v4");
    set(conf, "log_level", "4");
    return conf;
}

static void produce(const char *bootstrap, const char *topic, const char *codec,
                    int idempotent) {
    char errstr[512], cid[64];
    snprintf(cid, sizeof cid, "golden-rdk-%s", idempotent ? "idempotent" : codec);
    rd_kafka_conf_t *conf = base_conf(bootstrap, cid);
    set(conf, "compression.codec", codec);
    set(conf, "linger.ms", "500");
    set(conf, "acks", "all");
    set(conf, "enable.idempotence", idempotent ? "true" : "false");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) fail("rd_kafka_new producer", errstr);

    /* Learn the partition leader first, so that the three records are
     * queued to a known leader together and go out as one batch (produced
     * before that, the first record can be sent on its own). */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (err) fail("metadata", rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1)
        fail("metadata", topic);
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                            RD_KAFKA_V_KEY("key-1", 5), RD_KAFKA_V_VALUE("value-1", 7),
                            RD_KAFKA_V_HEADER("h1", "v1", 2), RD_KAFKA_V_END);
    if (err) fail("produce 1", rd_kafka_err2str(err));
    err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                            RD_KAFKA_V_KEY("key-2", 5), RD_KAFKA_V_VALUE("value-2", 7),
                            RD_KAFKA_V_HEADER("h1", "v1", 2),
                            RD_KAFKA_V_HEADER("h2", "v2", 2), RD_KAFKA_V_END);
    if (err) fail("produce 2", rd_kafka_err2str(err));
    /* null key, no headers, a longer value that compresses well */
    err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                            RD_KAFKA_V_VALUE(value3, strlen(value3)), RD_KAFKA_V_END);
    if (err) fail("produce 3", rd_kafka_err2str(err));

    err = rd_kafka_flush(rk, 15000);
    if (err) fail("flush", rd_kafka_err2str(err));
    if (rd_kafka_outq_len(rk) != 0) fail("flush", "messages left in queue");
    rd_kafka_destroy(rk);
    fprintf(stderr, "rdk_scenario: produced %d records to %s (%s%s)\n", NREC,
            topic, codec, idempotent ? ", idempotent" : "");
}

static void print_bytes(const char *p, size_t n) {
    if (!p) { fputs("(null)", stdout); return; }
    fwrite(p, 1, n, stdout);
}

static void consume(const char *bootstrap, char topics[][64], int ntopics) {
    char errstr[512];
    rd_kafka_conf_t *conf = base_conf(bootstrap, "golden-rdk-consumer");
    set(conf, "group.id", "golden-group-rdk");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "false");
    set(conf, "session.timeout.ms", "6000");
    set(conf, "heartbeat.interval.ms", "500");
    set(conf, "fetch.wait.max.ms", "100");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) fail("rd_kafka_new consumer", errstr);
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(ntopics);
    for (int i = 0; i < ntopics; i++)
        rd_kafka_topic_partition_list_add(sub, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err) fail("subscribe", rd_kafka_err2str(err));

    int want = ntopics * NREC, got = 0;
    time_t deadline = time(NULL) + 45;
    time_t linger_until = 0;
    while (time(NULL) < deadline) {
        if (got >= want) {
            if (!linger_until) linger_until = time(NULL) + 2; /* let heartbeats flow */
            else if (time(NULL) >= linger_until) break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "rdk_scenario: consumer: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        printf("CONSUMED %s %d %lld key=", rd_kafka_topic_name(m->rkt), (int)m->partition,
               (long long)m->offset);
        print_bytes(m->key, m->key_len);
        fputs(" value=", stdout);
        print_bytes(m->payload, m->len);
        fputs(" headers=", stdout);
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *name;
            const void *val;
            size_t vlen;
            for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen); i++) {
                printf("%s%s:", i ? "," : "", name);
                print_bytes(val, vlen);
            }
        }
        putchar('\n');
        fflush(stdout);
        got++;
        rd_kafka_message_destroy(m);
    }
    if (got < want) {
        fprintf(stderr, "rdk_scenario: consumed %d of %d records\n", got, want);
        exit(1);
    }
    err = rd_kafka_commit(rk, NULL, 0);
    if (err) fail("commit", rd_kafka_err2str(err));
    err = rd_kafka_consumer_close(rk);
    if (err) fail("consumer_close", rd_kafka_err2str(err));
    rd_kafka_destroy(rk);
    fprintf(stderr, "rdk_scenario: consumed %d records, committed, left group\n", got);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: rdk_scenario BOOTSTRAP\n");
        return 2;
    }
    const char *bootstrap = argv[1];
    strcpy(value3, "value-3 ");
    for (int i = 0; i < 8; i++) strcat(value3, "golden-padding-");
    strcat(value3, "end");

    char topics[NTOPICS][64];
    for (int i = 0; i < NCODECS; i++) {
        snprintf(topics[i], sizeof topics[i], "golden-%s", codecs[i]);
        produce(bootstrap, topics[i], codecs[i], 0);
    }
    snprintf(topics[NCODECS], sizeof topics[NCODECS], "golden-idempotent");
    produce(bootstrap, topics[NCODECS], "none", 1);
    consume(bootstrap, topics, NTOPICS);
    return 0;
}
