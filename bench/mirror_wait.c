/*
 * mirror_wait.c — times a mirror catching up (librdkafka; bench/ only).
 *
 * Owns: reading a source topic's end offsets once, then polling the same
 * topic's end offsets on the target cluster until every partition has
 * reached its source end, and printing when that happened as one
 * machine-readable line. It never starts or stops brokers or the mirror
 * (bench/run.sh does); the source must not be written to meanwhile.
 *
 *   mirror_wait -s SOURCE -b TARGET -t TOPIC -p PARTITIONS -z START_NS
 *               [-i POLL_MS] [-T TIMEOUT_S]
 *
 * START_NS is the CLOCK_REALTIME (ns) at which the mirror was started.
 * Output: "RESULT records=N secs=S rps=R first_s=F steady_secs=D steady_rps=Q"
 * where secs runs from START_NS to the poll that found the target caught
 * up, first_s is when a poll first saw any record on the target, and the
 * steady figures run from that poll to the end (mirror start-up excluded).
 * Polls are ListOffsets requests every POLL_MS (10), so times are good to
 * about POLL_MS plus one round trip. Exit status 1 on timeout (300 s).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define MAX_PARTITIONS 1024

static int64_t realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A consumer handle used only for metadata and ListOffsets (a consumer
 * does not auto-create topics). The caller destroys it. */
static rd_kafka_t *offsets_client(const char *bootstrap) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "client.id", "strait-bench-mirror-wait", err, sizeof(err)) ||
        rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", err, sizeof(err))) {
        fprintf(stderr, "mirror_wait: config: %s\n", err);
        exit(2);
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "mirror_wait: client: %s\n", err);
        exit(2);
    }
    return rk;
}

/* Number of partitions of TOPIC per a fresh metadata request, -1 if the
 * topic is not (yet) there. */
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

/* Fills ends[0..parts) with the high watermarks; false on any error. */
static int read_ends(rd_kafka_t *rk, const char *topic, int parts, int64_t *ends) {
    for (int p = 0; p < parts; p++) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000))
            return 0;
        ends[p] = hi;
    }
    return 1;
}

static void usage(void) {
    fprintf(stderr, "usage: mirror_wait -s SOURCE -b TARGET -t TOPIC -p PARTITIONS -z START_NS "
                    "[-i POLL_MS] [-T TIMEOUT_S]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *source = NULL, *target = NULL, *topic = NULL;
    int parts = 0, poll_ms = 10, timeout_s = 300, opt;
    int64_t start_ns = 0;
    while ((opt = getopt(argc, argv, "s:b:t:p:z:i:T:")) != -1) {
        switch (opt) {
        case 's': source = optarg; break;
        case 'b': target = optarg; break;
        case 't': topic = optarg; break;
        case 'p': parts = atoi(optarg); break;
        case 'z': start_ns = atoll(optarg); break;
        case 'i': poll_ms = atoi(optarg); break;
        case 'T': timeout_s = atoi(optarg); break;
        default: usage();
        }
    }
    if (!source || !target || !topic || parts <= 0 || parts > MAX_PARTITIONS || start_ns <= 0 ||
        poll_ms <= 0 || timeout_s <= 0)
        usage();

    int64_t want[MAX_PARTITIONS], have[MAX_PARTITIONS];
    rd_kafka_t *src = offsets_client(source);
    if (topic_partitions(src, topic) != parts || !read_ends(src, topic, parts, want)) {
        fprintf(stderr, "mirror_wait: cannot read %s's %d end offsets on the source\n", topic,
                parts);
        return 2;
    }
    rd_kafka_destroy(src);
    int64_t total = 0;
    for (int p = 0; p < parts; p++)
        total += want[p];

    rd_kafka_t *dst = offsets_client(target);
    int64_t deadline = start_ns + (int64_t)timeout_s * 1000000000LL;
    int64_t first_ns = 0, done_ns = 0;
    int have_topic = 0;
    while (!done_ns) {
        int64_t now = realtime_ns();
        if (now > deadline)
            break;
        if (!have_topic)
            have_topic = topic_partitions(dst, topic) == parts;
        if (have_topic && read_ends(dst, topic, parts, have)) {
            int64_t sum = 0;
            int caught = 1;
            for (int p = 0; p < parts; p++) {
                sum += have[p];
                caught = caught && have[p] >= want[p];
            }
            now = realtime_ns();
            if (sum > 0 && !first_ns)
                first_ns = now;
            if (caught)
                done_ns = now;
        }
        if (!done_ns)
            usleep((useconds_t)poll_ms * 1000);
    }
    rd_kafka_destroy(dst);
    if (!done_ns) {
        fprintf(stderr, "mirror_wait: target not caught up after %d s\n", timeout_s);
        return 1;
    }
    double secs = (double)(done_ns - start_ns) / 1e9;
    double first_s = (double)(first_ns - start_ns) / 1e9;
    double steady = (double)(done_ns - first_ns) / 1e9;
    printf("RESULT records=%" PRId64 " secs=%.3f rps=%.0f first_s=%.3f steady_secs=%.3f "
           "steady_rps=%.0f\n",
           total, secs, (double)total / secs, first_s, steady,
           steady > 0 ? (double)total / steady : 0.0);
    return 0;
}
