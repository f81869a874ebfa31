/* test_librdkafka.c — librdkafka's C API against a Strait broker (built and run
 * by test_librdkafka.sh, which starts the broker with num.partitions=6).
 *
 *   test_librdkafka BOOTSTRAP
 *
 * Asserts: an idempotent producer (enable.idempotence=true, acks=all) gets a
 * successful delivery report for each of 100,000 records over 6 partitions,
 * with offsets equal to the per-partition sequence; a low-level consumer
 * (assign(), no group membership) reads every record back exactly once and in
 * order per partition; the same for an idempotent zstd producer and for acks=1
 * and acks=0 producers (acks=0 reports carry no broker offsets, by design);
 * NULL/empty keys and values, repeated and NULL headers and timestamps survive
 * the round trip; watermarks match what was written.
 *
 * Prints "ok - ..." / "FAIL - ..." lines; the wrapper counts them. Librdkafka
 * is used only here, in the tests. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "lib/rdkafka_test.h"

#define NPART 6

static const char *bootstrap;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4) /* warnings and worse end up in the suite log */
        fprintf(stderr, "librdkafka %d %s: %s\n", level, fac, buf);
}

/* ---- delivery reports ---- */
typedef struct dr_state {
    long delivered, errors, offset_mismatch, not_persisted;
    int64_t next_offset[NPART]; /* expected offset of the next report per partition */
    int acks0;
    char first_error[256];
} dr_state;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dr_state *s = opaque;
    if (m->err) {
        if (!s->errors)
            snprintf(s->first_error, sizeof(s->first_error), "%s", rd_kafka_err2str(m->err));
        s->errors++;
        return;
    }
    s->delivered++;
    if (m->partition < 0 || m->partition >= NPART)
        return;
    if (s->acks0)
        return;
    if (m->offset != s->next_offset[m->partition])
        s->offset_mismatch++;
    s->next_offset[m->partition] = m->offset + 1;
    if (rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_PERSISTED)
        s->not_persisted++;
}

/* Makes the broker create the topic (auto-create through Metadata) and waits
 * until Metadata shows all its partitions with a leader. */
static int ensure_topic(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    int good = 0;
    double end = now_s() + 15;
    while (!good && now_s() < end) {
        const struct rd_kafka_metadata *md;
        if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && md->topics[0].err == 0 &&
                md->topics[0].partition_cnt == NPART) {
                good = 1;
                for (int i = 0; i < NPART; i++)
                    if (md->topics[0].partitions[i].leader != 0)
                        good = 0;
            }
            rd_kafka_metadata_destroy(md);
        }
        if (!good)
            rd_kafka_poll(rk, 100);
    }
    rd_kafka_topic_destroy(t);
    return good;
}

static void make_value(char *buf, size_t len, int p, long seq)
{
    snprintf(buf, len, "p=%d seq=%08ld payload-%0*ld", p, seq, (int)(seq % 50) + 1, seq);
}

/* Produces n records round-robin over the partitions; record i goes to
 * partition i % NPART with sequence i / NPART. Returns 0 when every delivery
 * report was good. */
static int produce_run(const char *label, const char *topic, long n, const char *acks,
                       int idempotent, const char *codec)
{
    dr_state s;
    memset(&s, 0, sizeof(s));
    s.acks0 = strcmp(acks, "0") == 0;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[512];
    set(c, "bootstrap.servers", bootstrap);
    set(c, "enable.idempotence", idempotent ? "true" : "false");
    set(c, "acks", acks);
    set(c, "linger.ms", "5");
    set(c, "compression.codec", codec);
    set(c, "message.timeout.ms", "60000");
    set(c, "queue.buffering.max.messages", "200000");
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_conf_set_opaque(c, &s);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk) {
        fail("%s: producer created: %s", label, err);
        return -1;
    }
    if (!ensure_topic(rk, topic)) {
        fail("%s: topic %s exists with %d partitions led by broker 0", label, topic, NPART);
        rd_kafka_destroy(rk);
        return -1;
    }
    double t0 = now_s();
    char key[32], value[128];
    long enqueue_errors = 0;
    for (long i = 0; i < n; i++) {
        int p = (int)(i % NPART);
        long seq = i / NPART;
        snprintf(key, sizeof(key), "k%ld", seq);
        make_value(value, sizeof(value), p, seq);
        for (int tries = 0;; tries++) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, strlen(key)),
                RD_KAFKA_V_VALUE(value, strlen(value)),
                RD_KAFKA_V_HEADER("seq", value + 9, 8), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries > 6000) {
                enqueue_errors++;
                break;
            }
            rd_kafka_poll(rk, 10);
        }
        if (i % 1000 == 0)
            rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t ferr = rd_kafka_flush(rk, 90000);
    double secs = now_s() - t0;
    int fatal = 0;
    if (idempotent) {
        char ferrstr[256];
        fatal = rd_kafka_fatal_error(rk, ferrstr, sizeof(ferrstr)) != 0;
        if (fatal)
            fail("%s: no fatal idempotence error: %s", label, ferrstr);
    }
    rd_kafka_destroy(rk);
    fprintf(stderr, "%s: %ld records in %.2f s\n", label, n, secs);
    int bad = 0;
    if (enqueue_errors || ferr) {
        fail("%s: all %ld records enqueued and flushed (enqueue errors %ld, flush: %s)", label,
             n, enqueue_errors, rd_kafka_err2str(ferr));
        bad = 1;
    }
    if (s.delivered == n && s.errors == 0)
        ok("%s: %ld delivery reports, all successful", label, n);
    else {
        fail("%s: %ld delivery reports, all successful (got %ld ok, %ld errors, first: %s)",
             label, n, s.delivered, s.errors, s.first_error);
        bad = 1;
    }
    if (!s.acks0) { /* acks=0 reports carry librdkafka's guesses, not broker offsets */
        if (s.offset_mismatch == 0 && s.not_persisted == 0)
            ok("%s: report offsets are 0,1,2,... per partition and persisted", label);
        else {
            fail("%s: report offsets are 0,1,2,... per partition and persisted (%ld out of "
                 "order, %ld not persisted)",
                 label, s.offset_mismatch, s.not_persisted);
            bad = 1;
        }
    }
    return bad || fatal ? -1 : 0;
}

/* Reads the topic back with assign() (no group) and checks that partition p
 * holds exactly the records p=..., seq 0..n/NPART-1, in order, at offsets equal
 * to seq, with the right key and header. */
static void consume_run(const char *label, const char *topic, long n)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[512];
    set(c, "bootstrap.servers", bootstrap);
    /* librdkafka's assign() needs a group.id, but with explicit start
     * offsets and no commits it never talks to a group coordinator */
    set(c, "group.id", "strait-assign-only");
    set(c, "enable.partition.eof", "true");
    set(c, "enable.auto.commit", "false");
    set(c, "auto.offset.reset", "error");
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk) {
        fail("%s: consumer created: %s", label, err);
        return;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(NPART);
    for (int p = 0; p < NPART; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t aerr = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (aerr) {
        fail("%s: assign all partitions: %s", label, rd_kafka_err2str(aerr));
        rd_kafka_destroy(rk);
        return;
    }
    long expect[NPART];
    for (int p = 0; p < NPART; p++)
        expect[p] = n / NPART + (p < n % NPART ? 1 : 0);
    long next[NPART] = {0}, got = 0, out_of_order = 0, bad_content = 0, errors = 0, extra = 0;
    int eof[NPART] = {0};
    char first_bad[256] = "";
    double t0 = now_s(), end = t0 + 90;
    while (now_s() < end) {
        int all_done = 1;
        for (int p = 0; p < NPART; p++)
            if (!eof[p] || next[p] < expect[p])
                all_done = 0;
        if (all_done)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < NPART)
                eof[m->partition] = next[m->partition] >= expect[m->partition];
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            if (!errors)
                snprintf(first_bad, sizeof(first_bad), "error: %s", rd_kafka_message_errstr(m));
            errors++;
            rd_kafka_message_destroy(m);
            continue;
        }
        int p = m->partition;
        got++;
        if (p < 0 || p >= NPART) {
            bad_content++;
        } else if (next[p] >= expect[p]) {
            extra++;
        } else {
            char want[128], key[32];
            make_value(want, sizeof(want), p, next[p]);
            snprintf(key, sizeof(key), "k%ld", next[p]);
            const void *hv = NULL;
            size_t hlen = 0;
            rd_kafka_headers_t *hdrs = NULL;
            int hdr_ok = rd_kafka_message_headers(m, &hdrs) == 0 &&
                         rd_kafka_header_get_last(hdrs, "seq", &hv, &hlen) == 0 && hlen == 8 &&
                         memcmp(hv, want + 9, 8) == 0;
            if (m->offset != next[p]) {
                if (!out_of_order)
                    snprintf(first_bad, sizeof(first_bad),
                             "partition %d: offset %" PRId64 ", expected %ld", p, m->offset,
                             next[p]);
                out_of_order++;
            } else if (m->len != strlen(want) || memcmp(m->payload, want, m->len) != 0 ||
                       m->key_len != strlen(key) || memcmp(m->key, key, m->key_len) != 0 ||
                       !hdr_ok) {
                if (!bad_content)
                    snprintf(first_bad, sizeof(first_bad),
                             "partition %d offset %" PRId64 ": value '%.*s', expected '%s'", p,
                             m->offset, (int)(m->len < 80 ? m->len : 80),
                             (const char *)m->payload, want);
                bad_content++;
            }
            next[p] = m->offset + 1;
        }
        rd_kafka_message_destroy(m);
    }
    fprintf(stderr, "%s: consumed %ld records in %.2f s\n", label, got, now_s() - t0);
    long short_parts = 0;
    for (int p = 0; p < NPART; p++)
        if (next[p] != expect[p])
            short_parts++;
    if (got == n && !out_of_order && !bad_content && !errors && !extra && !short_parts)
        ok("%s: assign() consumer read all %ld records exactly once, in order per partition",
           label, n);
    else
        fail("%s: assign() consumer read all %ld records exactly once, in order per partition "
             "(got %ld, out of order %ld, bad content %ld, errors %ld, extra %ld, partitions "
             "short %ld; first: %s)",
             label, n, got, out_of_order, bad_content, errors, extra, short_parts, first_bad);
    int wm_ok = 1;
    char wm_detail[256] = "";
    for (int p = 0; p < NPART; p++) {
        int64_t lo = -9, hi = -9;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
        if (e || lo != 0 || hi != expect[p]) {
            if (wm_ok)
                snprintf(wm_detail, sizeof(wm_detail),
                         "partition %d: %s low %" PRId64 " high %" PRId64 ", expected 0 and %ld",
                         p, rd_kafka_err2str(e), lo, hi, expect[p]);
            wm_ok = 0;
        }
    }
    if (wm_ok)
        ok("%s: watermarks are 0 and the record count of each partition", label);
    else
        fail("%s: watermarks are 0 and the record count of each partition (%s)", label,
             wm_detail);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Keys (incl. NULL and empty), values (incl. NULL), headers (incl. NULL
 * values) and CreateTime timestamps through one partition. */
static void shapes_run(void)
{
    const char *topic = "shapes";
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[512];
    set(c, "bootstrap.servers", bootstrap);
    set(c, "enable.idempotence", "true");
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk || !ensure_topic(rk, topic)) {
        fail("shapes: producer and topic");
        if (rk)
            rd_kafka_destroy(rk);
        return;
    }
    const int64_t ts0 = 1500000000000LL;
    int e = 0;
    e |= rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(2),
                           RD_KAFKA_V_VALUE("v0", 2), RD_KAFKA_V_TIMESTAMP(ts0), RD_KAFKA_V_END);
    e |= rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(2),
                           RD_KAFKA_V_KEY("", 0), RD_KAFKA_V_VALUE(NULL, 0),
                           RD_KAFKA_V_TIMESTAMP(ts0 + 1), RD_KAFKA_V_END);
    e |= rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(2),
                           RD_KAFKA_V_KEY("key", 3), RD_KAFKA_V_VALUE("", 0),
                           RD_KAFKA_V_HEADER("a", "1", 1), RD_KAFKA_V_HEADER("a", "2", 1),
                           RD_KAFKA_V_HEADER("nullhdr", NULL, -1), RD_KAFKA_V_HEADER("", "e", 1),
                           RD_KAFKA_V_TIMESTAMP(ts0 - 86400000LL), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 30000);
    rd_kafka_destroy(rk);
    if (e) {
        fail("shapes: three records enqueued");
        return;
    }

    c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", bootstrap);
    set(c, "enable.auto.commit", "false");
    rd_kafka_conf_set_log_cb(c, log_cb);
    set(c, "group.id", "strait-assign-only");
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 2)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_message_t *msgs[3] = {0};
    int n = 0;
    double end = now_s() + 30;
    while (n < 3 && now_s() < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        msgs[n++] = m;
    }
    if (n != 3) {
        fail("shapes: read back 3 records (got %d)", n);
    } else {
        rd_kafka_timestamp_type_t tt;
        int good = 1;
        char why[200] = "";
#define EXPECT(cond, ...)                                                                     \
    do {                                                                                      \
        if (good && !(cond)) {                                                                \
            good = 0;                                                                         \
            snprintf(why, sizeof(why), __VA_ARGS__);                                          \
        }                                                                                     \
    } while (0)
        EXPECT(msgs[0]->key == NULL && msgs[0]->len == 2 && !memcmp(msgs[0]->payload, "v0", 2),
               "record 0: NULL key, value v0");
        EXPECT(rd_kafka_message_timestamp(msgs[0], &tt) == ts0 &&
                   tt == RD_KAFKA_TIMESTAMP_CREATE_TIME,
               "record 0: CreateTime %" PRId64, ts0);
        EXPECT(msgs[1]->key != NULL && msgs[1]->key_len == 0 && msgs[1]->payload == NULL,
               "record 1: empty key, NULL value");
        EXPECT(rd_kafka_message_timestamp(msgs[1], NULL) == ts0 + 1, "record 1: timestamp");
        EXPECT(msgs[2]->key_len == 3 && msgs[2]->payload != NULL && msgs[2]->len == 0,
               "record 2: key 'key', empty (not NULL) value");
        EXPECT(rd_kafka_message_timestamp(msgs[2], NULL) == ts0 - 86400000LL,
               "record 2: a timestamp older than the batch's first");
        rd_kafka_headers_t *h = NULL;
        EXPECT(rd_kafka_message_headers(msgs[2], &h) == 0 && rd_kafka_header_cnt(h) == 4,
               "record 2: 4 headers");
        if (good) {
            const char *name;
            const void *val;
            size_t sz;
            const char *want_names[] = {"a", "a", "nullhdr", ""};
            const char *want_vals[] = {"1", "2", NULL, "e"};
            for (int i = 0; i < 4; i++) {
                EXPECT(rd_kafka_header_get_all(h, (size_t)i, &name, &val, &sz) == 0 &&
                           !strcmp(name, want_names[i]) &&
                           (want_vals[i] ? (val && sz == 1 && !memcmp(val, want_vals[i], 1))
                                         : val == NULL),
                       "record 2: header %d in order, with its value", i);
            }
        }
        if (good)
            ok("shapes: NULL/empty keys and values, repeated and NULL headers, timestamps "
               "round-trip");
        else
            fail("shapes: round trip: %s", why);
    }
    for (int i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BOOTSTRAP\n", argv[0]);
        return 2;
    }
    bootstrap = argv[1];
    fprintf(stderr, "librdkafka %s\n", rd_kafka_version_str());

    /* the read-back runs even when producing reported errors: it says what landed */
    produce_run("idempotent", "idem", 100000, "all", 1, "none");
    consume_run("idempotent", "idem", 100000);
    produce_run("idempotent zstd", "idem-zstd", 30000, "all", 1, "zstd");
    consume_run("idempotent zstd", "idem-zstd", 30000);
    produce_run("acks=1", "acks1", 30000, "1", 0, "none");
    consume_run("acks=1", "acks1", 30000);
    produce_run("acks=0", "acks0", 30000, "0", 0, "none");
    consume_run("acks=0", "acks0", 30000);
    shapes_run();
    return failures ? 1 : 0;
}
