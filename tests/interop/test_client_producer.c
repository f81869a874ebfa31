/* test_client_producer.c — drives Strait's own producer (common/kafka_client.h,
 * linked from build/libstrait.a, no librdkafka) for test_client_producer.sh.
 *
 * Commands (each prints "ok - ..." / "FAIL - ..." lines and a summary):
 *   produce BOOTSTRAP TOPIC COUNT [prop=value ...]
 *       produces COUNT records, key "key-<i>" (or no key with nokey=1),
 *       value "value-<i>" (+ value.size padding), header "seq: <i>"; checks
 *       every delivery report (no error, offsets increasing per partition,
 *       the key's partition = murmur2 rule) and writes "partition offset i"
 *       lines to the file named by report=PATH. Extra options (not client
 *       properties): nokey=1, value.size=N, flush.timeout.ms=N,
 *       pause.at=N:MS (stop producing at record N and poll for MS ms; used
 *       to restart the broker mid-stream), rate=N (records per second, so
 *       that the stream lasts while the broker restarts), expect.errors=1,
 *       log=debug|info|warn|error, expect.queue.full=0|1, ts.base=MS (record
 *       i gets timestamp MS + i instead of the current time), warmup=1 (fetch
 *       the topic's metadata before producing: with max.block.ms=0 records
 *       of a topic not in the metadata yet fail at once, as in Java).
 *   external BOOTSTRAP TOPIC COUNT [prop=value ...]
 *       the same through the caller's own libev loop: records produced from
 *       loop callbacks, never blocking (KC_ERR_QUEUE_FULL when buffer.memory
 *       is full), delivery reports served by the loop, no poll or flush.
 *   placement COUNT PARTITIONS
 *       prints "key-<i> <partition>" for COUNT keys (kc_partition_for_key).
 *   unreachable BOOTSTRAP TIMEOUT_MS
 *       kc_client_connect against a dead address, and a produce whose
 *       record must fail: both within the timeout, with a clear message.
 *   unsupported BOOTSTRAP
 *       sends an API the broker lacks (via kc_client_send) and expects
 *       KC_ERR_UNSUPPORTED with "not supported by this broker".
 *   metadata BOOTSTRAP TOPIC
 *       kc_client_connect, then a ListOffsets to every partition leader
 *       through kc_client_send; checks the generic request path.
 *   codecs BOOTSTRAP TOPIC
 *       records with per-record codecs (kc_record.compression) to TOPIC's
 *       partition 0: a raw Fetch finds one batch per codec change with
 *       that codec, a consumer reports each record's codec in
 *       kc_message.compression, and copying them to TOPIC-copy with
 *       kc_compression_from_codec() (as the mirror does) keeps the batches'
 *       codecs although that producer's compression.type differs.
 *   gapless BOOTSTRAP TOPIC nullkey|toolarge true|false [BAD]
 *       creates TOPIC (2 partitions) with cleanup.policy=compact (nullkey)
 *       or max.message.bytes=4096 (toolarge), then produces 3000 records to
 *       partition 0 (linger.ms=2, batch.size=1024, 5 in flight, the
 *       caller's loop) where record 843 has no key (the compacted topic
 *       refuses its batch with INVALID_RECORD) or an 8000-byte value
 *       (MESSAGE_TOO_LARGE), 3000 good ones to partition 1, and one more to
 *       partition 0 after a flush: records 0-842 are flushed first, then
 *       843-2999 are all queued before the flush sends them, so the refused
 *       batch is in flight with the next 4 of partition 0 behind it;
 *       with enable.gapless.guarantee=true (the second argument) every
 *       record after the refused batch fails with its code, reports in
 *       order, end offset = records acknowledged, nothing after the gap on
 *       read-back, no new producer id; with false the later records are
 *       written after the gap (Java's behaviour). Partition 1 is unaffected
 *       either way. Also: the property without idempotence is refused.
 *       BAD (843) is the refused record; with 0 it is in the producer's very
 *       first batch, which a broker refuses before it knows the producer id
 *       (and would then take any sequence): nothing may be in flight behind
 *       it.
 *   gapless-topic BOOTSTRAP TOPIC true|false
 *       a record for TOPIC, missing, fails after max.block.ms (1000); then
 *       TOPIC is created and one record is produced to each of partitions 0
 *       and 1: with enable.gapless.guarantee=true both fail ("an earlier
 *       record of TOPIC failed") and the broker holds nothing; with false
 *       both are written.
 *   split BOOTSTRAP TOPIC all|big true|false CODEC
 *       creates TOPIC (2 partitions) with max.message.bytes=4096 and
 *       produces 2000 records of 300 bytes (pseudo-random letters) to
 *       partition 0 with batch.size=65536, linger.ms=50, idempotence,
 *       enable.gapless.guarantee as given and compression.type CODEC: the
 *       topic refuses the batches as too large, the producer splits them
 *       until they fit. all: every record acknowledged at offsets 0..1999
 *       in order, the topic holds exactly those (keys, values, headers,
 *       timestamps), some batches in flight behind a refused one were
 *       retried, and no producer id reset. big: record 1000 has an
 *       8000-byte value: it alone fails with MESSAGE_TOO_LARGE (one reset,
 *       for its gap, as Java); with the guarantee, it and every later record
 *       fail (the partition halted once, no reset). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "common/kafka_client.h"
#include "common/protocol/messages.h"
#include "common/record_batch.h"

static int passed, failed;

/* KC_TEST_LABEL prefixes every line, so that one suite can run a command
 * several times (e.g. once per codec) with distinct descriptions. */
static const char *label(void)
{
    const char *l = getenv("KC_TEST_LABEL");
    return l ? l : "";
}

static void ok(const char *what)
{
    passed++;
    printf("ok - %s%s%s\n", label(), *label() ? ": " : "", what);
}

static void fail(const char *what, const char *detail)
{
    failed++;
    printf("FAIL - %s%s%s: %s\n", label(), *label() ? ": " : "", what, detail);
}

static void check(int cond, const char *what, const char *detail)
{
    if (cond)
        ok(what);
    else
        fail(what, detail);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

typedef struct wait_resp {
    int done;
    kc_err err;
    char errstr[512];
    int16_t version;
    int16_t code;
    int64_t offset;
} wait_resp;

static void on_resp(kc_client *c, const kc_response *resp, void *opaque)
{
    (void)c;
    wait_resp *w = opaque;
    w->done = 1;
    w->err = resp->err;
    w->version = resp->api_version;
    snprintf(w->errstr, sizeof(w->errstr), "%s", resp->errstr);
    if (!resp->err && resp->api_key == KC_API_LIST_OFFSETS) {
        const kp_list_offsets_response *r = resp->body;
        if (r->topics_count > 0 && r->topics[0].partitions_count > 0) {
            w->code = r->topics[0].partitions[0].error_code;
            w->offset = r->topics[0].partitions[0].offset;
        }
    }
}

static void on_metadata(kc_client *c, kc_err err, const char *errstr, void *opaque)
{
    (void)c;
    wait_resp *w = opaque;
    w->done = 1;
    w->err = err;
    snprintf(w->errstr, sizeof(w->errstr), "%s", errstr);
}

/* ---- produce -------------------------------------------------------------------- */

typedef struct run {
    long count;
    long delivered;
    long errors;
    long bad_partition;
    long bad_order;
    int partitions;
    int64_t *last_offset;    /* per partition */
    FILE *report;
    char first_error[512];
    int nokey;
} run;

static void on_delivery(const kc_delivery *d, void *opaque)
{
    run *r = opaque;
    long i = (long)(intptr_t)d->opaque;
    if (d->err) {
        if (!r->errors)
            snprintf(r->first_error, sizeof(r->first_error), "record %ld: %s: %s", i,
                     kc_err_name(d->err), d->errstr);
        r->errors++;
        return;
    }
    r->delivered++;
    if (d->partition < 0 || d->partition >= r->partitions) {
        r->bad_partition++;
        return;
    }
    if (!r->nokey) {
        char key[32];
        int n = snprintf(key, sizeof(key), "key-%ld", i);
        if (kc_partition_for_key(key, (size_t)n, r->partitions) != d->partition)
            r->bad_partition++;
    }
    if (d->offset >= 0 && d->offset <= r->last_offset[d->partition])
        r->bad_order++;
    if (d->offset >= 0)
        r->last_offset[d->partition] = d->offset;
    if (r->report)
        fprintf(r->report, "%d %lld %ld\n", d->partition, (long long)d->offset, i);
}

static int cmd_produce(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: produce BOOTSTRAP TOPIC COUNT [prop=value ...]\n");
        return 2;
    }
    run r = {0};
    r.count = atol(argv[4]);
    r.partitions = 6;
    size_t value_size = 0;
    int flush_timeout = 120000;
    long pause_at = -1;
    int pause_ms = 0;
    int expect_errors = 0;
    long rate = 0;
    int expect_queue_full = -1;
    int warmup = 0;
    long long ts_base = -1;
    char err[512];
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", argv[2], err, sizeof(err));
    for (int i = 5; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "bad option %s\n", argv[i]);
            return 2;
        }
        *eq = 0;
        const char *k = argv[i], *v = eq + 1;
        if (strcmp(k, "nokey") == 0)
            r.nokey = atoi(v);
        else if (strcmp(k, "value.size") == 0)
            value_size = (size_t)atol(v);
        else if (strcmp(k, "partitions") == 0)
            r.partitions = atoi(v);
        else if (strcmp(k, "report") == 0)
            r.report = fopen(v, "w");
        else if (strcmp(k, "flush.timeout.ms") == 0)
            flush_timeout = atoi(v);
        else if (strcmp(k, "pause.at") == 0)
            sscanf(v, "%ld:%d", &pause_at, &pause_ms);
        else if (strcmp(k, "expect.errors") == 0)
            expect_errors = atoi(v);
        else if (strcmp(k, "rate") == 0)
            rate = atol(v);
        else if (strcmp(k, "expect.queue.full") == 0)
            expect_queue_full = atoi(v);
        else if (strcmp(k, "warmup") == 0)
            warmup = atoi(v);
        else if (strcmp(k, "ts.base") == 0)
            ts_base = atoll(v);
        else if (strcmp(k, "log") == 0) {
            st_logger lg = {(st_log_level)st_log_level_parse(v), NULL};
            kc_config_set_logger(conf, &lg);
        }
        else if (kc_config_set(conf, k, v, err, sizeof(err)) != KC_OK) {
            fprintf(stderr, "config: %s\n", err);
            return 2;
        }
    }
    r.last_offset = calloc((size_t)r.partitions, sizeof(int64_t));
    for (int i = 0; i < r.partitions; i++)
        r.last_offset[i] = -1;
    kc_config_set_delivery_cb(conf, on_delivery, &r);
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p) {
        fail("producer created", err);
        return summary();
    }
    if (warmup) { /* fetch the topic's metadata first (max.block.ms=0 runs) */
        const char *topics[1] = {argv[3]};
        wait_resp w = {0};
        kc_client *c = kc_producer_client(p);
        kc_err e = kc_metadata_refresh(c, topics, 1, 10000, on_metadata, &w);
        while (e == KC_OK && !w.done)
            kc_client_poll(c, 100);
        const kc_topic_info *t = kc_metadata_topic(c, argv[3]);
        for (int tries = 0; tries < 50 && (!t || t->partition_count == 0); tries++) {
            kc_metadata_invalidate(c);
            kc_client_poll(c, 100);
            t = kc_metadata_topic(c, argv[3]);
        }
    }
    char *value = malloc(value_size + 64);
    int64_t start = now_ms();
    long queue_full = 0;
    for (long i = 0; i < r.count; i++) {
        if (i == pause_at) {
            fprintf(stderr, "pausing at record %ld for %d ms\n", i, pause_ms);
            printf("PAUSED\n");
            fflush(stdout);
            int64_t until = now_ms() + pause_ms;
            while (now_ms() < until)
                kc_producer_poll(p, 50);
        }
        char key[32], seq[32];
        int kn = snprintf(key, sizeof(key), "key-%ld", i);
        int vn = snprintf(value, 64, "value-%ld", i);
        memset(value + vn, 'x', value_size);
        int sn = snprintf(seq, sizeof(seq), "%ld", i);
        kc_header h = {"seq", seq, (size_t)sn};
        kc_record rec = {
            .topic = argv[3],
            .partition = KC_PARTITION_ANY,
            .key = r.nokey ? NULL : key,
            .key_len = r.nokey ? 0 : (size_t)kn,
            .value = value,
            .value_len = (size_t)vn + value_size,
            .headers = &h,
            .header_count = 1,
            .timestamp = ts_base >= 0 ? ts_base + i : KC_TIMESTAMP_NOW,
        };
        kc_err e = kc_produce(p, &rec, (void *)(intptr_t)i);
        if (e == KC_ERR_QUEUE_FULL) {
            queue_full++;
            kc_producer_poll(p, 10);
            i--;
            continue;
        }
        if (e) {
            snprintf(err, sizeof(err), "record %ld: %s: %s", i, kc_err_name(e),
                     kc_client_last_error(kc_producer_client(p)));
            fail("kc_produce accepts every record", err);
            break;
        }
        if ((i & 1023) == 0)
            kc_producer_poll(p, 0);
        if (rate > 0) /* keep the stream running for count/rate seconds */
            while ((now_ms() - start) * rate < (int64_t)i * 1000)
                kc_producer_poll(p, 5);
    }
    kc_err fe = kc_producer_flush(p, flush_timeout);
    int64_t elapsed = now_ms() - start;
    fprintf(stderr, "%ld records in %lld ms (%.0f records/s), queue full %ld times\n", r.count,
            (long long)elapsed, elapsed ? r.count * 1000.0 / (double)elapsed : 0.0, queue_full);
    char detail[700];
    snprintf(detail, sizeof(detail), "%s: %s", kc_err_name(fe),
             kc_client_last_error(kc_producer_client(p)));
    if (!expect_errors) {
        check(fe == KC_OK, "flush completes", detail);
        snprintf(detail, sizeof(detail), "%ld delivered, %ld errors (first: %s)", r.delivered,
                 r.errors, r.first_error);
        check(r.delivered == r.count && r.errors == 0, "every record reported delivered", detail);
        snprintf(detail, sizeof(detail), "%ld records on another partition", r.bad_partition);
        check(r.bad_partition == 0, "delivery reports name the murmur2 partition", detail);
        snprintf(detail, sizeof(detail), "%ld out-of-order offsets", r.bad_order);
        check(r.bad_order == 0, "offsets increase per partition in delivery order", detail);
    } else {
        printf("RESULT delivered=%ld errors=%ld first_error=%s\n", r.delivered, r.errors,
               r.first_error);
    }
    check(kc_producer_outstanding(p) == 0, "nothing outstanding after flush", "records remain");
    if (expect_queue_full >= 0) {
        snprintf(detail, sizeof(detail), "kc_produce answered KC_ERR_QUEUE_FULL %ld times",
                 queue_full);
        check(expect_queue_full ? queue_full > 0 : queue_full == 0, expect_queue_full
              ? "a full buffer.memory answers KC_ERR_QUEUE_FULL (max.block.ms=0)"
              : "a full buffer.memory blocks kc_produce instead of failing", detail);
    }
    kc_producer_close(p, 1000);
    if (r.report)
        fclose(r.report);
    free(value);
    free(r.last_offset);
    return summary();
}

/* ---- placement ------------------------------------------------------------------- */

static int cmd_placement(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    long count = atol(argv[2]);
    int parts = atoi(argv[3]);
    for (long i = 0; i < count; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "key-%ld", i);
        printf("%s %d\n", key, kc_partition_for_key(key, (size_t)n, parts));
    }
    return 0;
}

/* ---- unreachable bootstrap -------------------------------------------------------- */

typedef struct one_report {
    int done;
    kc_err err;
    char errstr[512];
} one_report;

static void on_one(const kc_delivery *d, void *opaque)
{
    one_report *r = opaque;
    r->done = 1;
    r->err = d->err;
    snprintf(r->errstr, sizeof(r->errstr), "%s", d->errstr);
}

static int cmd_unreachable(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int timeout = atoi(argv[3]);
    char err[512], detail[1024], value[16];
    st_logger quiet = {ST_LOG_ERROR + 1, NULL};
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", argv[2], err, sizeof(err));
    kc_config_set_logger(conf, &quiet);
    kc_client *c = kc_client_new(conf, NULL, err, sizeof(err));
    int64_t start = now_ms();
    kc_err e = kc_client_connect(c, timeout);
    int64_t took = now_ms() - start;
    const char *msg = kc_client_last_error(c);
    snprintf(detail, sizeof(detail), "%s after %lld ms: %s", kc_err_name(e), (long long)took, msg);
    fprintf(stderr, "connect: %s\n", detail);
    check(e != KC_OK && took < timeout + 1000, "kc_client_connect fails within the timeout",
          detail);
    check(strstr(msg, argv[2]) && strstr(msg, "refused"),
          "the message names the server and the reason", detail);
    kc_client_free(c);

    one_report rep = {0};
    snprintf(value, sizeof(value), "%d", timeout);
    kc_config_set(conf, "max.block.ms", value, err, sizeof(err));
    kc_config_set_delivery_cb(conf, on_one, &rep);
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_record rec = {.topic = "nowhere", .partition = KC_PARTITION_ANY, .value = "v",
                     .value_len = 1, .timestamp = KC_TIMESTAMP_NOW};
    start = now_ms();
    e = kc_produce(p, &rec, NULL);
    while (e == KC_OK && !rep.done && now_ms() - start < timeout + 5000)
        kc_producer_poll(p, 100);
    took = now_ms() - start;
    snprintf(detail, sizeof(detail), "produce %s, report %s after %lld ms: %s", kc_err_name(e),
             rep.done ? kc_err_name(rep.err) : "none", (long long)took, rep.errstr);
    fprintf(stderr, "produce: %s\n", detail);
    check(rep.done && rep.err != KC_OK && took < timeout + 1000,
          "a record for an unreachable cluster fails within max.block.ms", detail);
    check(strstr(rep.errstr, "not present in metadata") && strstr(rep.errstr, argv[2]),
          "its error names the topic wait and the server", detail);
    kc_producer_close(p, 0);
    kc_config_free(conf);
    return summary();
}

/* ---- generic requests --------------------------------------------------------------- */

static void wait_for(kc_client *c, wait_resp *w)
{
    int64_t start = now_ms();
    while (!w->done && now_ms() - start < 30000)
        kc_client_poll(c, 100);
}

static int cmd_unsupported(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    char err[512], detail[800];
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", argv[2], err, sizeof(err));
    kc_client *c = kc_client_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    /* DescribeAcls (29): not served by the broker under test. */
    kp_describe_acls_request req;
    kp_describe_acls_request_init(&req);
    wait_resp w = {0};
    kc_err e = kc_client_send(c, kc_target_any(), 29, &req, NULL, on_resp, &w);
    check(e == KC_OK, "kc_client_send accepts the request", kc_err_name(e));
    int64_t start = now_ms();
    wait_for(c, &w);
    snprintf(detail, sizeof(detail), "%s after %lld ms: %s", kc_err_name(w.err),
             (long long)(now_ms() - start), w.errstr);
    fprintf(stderr, "unsupported: %s\n", detail);
    check(w.done && w.err == KC_ERR_UNSUPPORTED && strstr(w.errstr, "DescribeAcls is not "
          "supported by this broker"), "an API the broker lacks fails clearly, without hanging",
          detail);
    kc_client_free(c);
    return summary();
}

static int cmd_metadata(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    char err[512], detail[800];
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", argv[2], err, sizeof(err));
    kc_client *c = kc_client_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    kc_err e = kc_client_connect(c, 10000);
    check(e == KC_OK, "kc_client_connect", kc_client_last_error(c));
    size_t nb = 0;
    const kc_broker_info *b = kc_metadata_brokers(c, &nb);
    snprintf(detail, sizeof(detail), "%zu brokers", nb);
    check(nb >= 1 && b[0].port > 0, "the metadata lists the broker", detail);
    const char *topics[1] = {argv[3]};
    wait_resp w = {0};
    e = kc_metadata_refresh(c, topics, 1, 10000, on_metadata, &w);
    wait_for(c, &w);
    snprintf(detail, sizeof(detail), "%s: %s", kc_err_name(w.err), w.errstr);
    check(e == KC_OK && w.done && w.err == KC_OK, "kc_metadata_refresh calls back", detail);
    const kc_topic_info *t = kc_metadata_topic(c, argv[3]);
    snprintf(detail, sizeof(detail), "%d partitions", t ? t->partition_count : -1);
    check(t && t->partition_count > 0, "kc_metadata_topic knows the topic", detail);
    int good = 0;
    for (int32_t p = 0; t && p < t->partition_count; p++) {
        kp_list_offsets_request req;
        kp_list_offsets_request_init(&req);
        kp_list_offsets_request_list_offsets_topic topic;
        kp_init(&kp_list_offsets_request_list_offsets_topic_desc, &topic);
        kp_list_offsets_request_list_offsets_partition part;
        kp_init(&kp_list_offsets_request_list_offsets_partition_desc, &part);
        part.partition_index = p;
        part.timestamp = -1; /* latest */
        topic.name = st_slice_cstr(argv[3]);
        topic.partitions = &part;
        topic.partitions_count = 1;
        req.replica_id = -1;
        req.topics = &topic;
        req.topics_count = 1;
        kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
        opts.min_version = 1;
        opts.retry_after_send = true;
        memset(&w, 0, sizeof(w));
        e = kc_client_send(c, kc_target_leader(argv[3], p), KC_API_LIST_OFFSETS, &req, &opts,
                           on_resp, &w);
        wait_for(c, &w);
        if (e == KC_OK && w.done && !w.err && w.code == 0 && w.offset >= 0)
            good++;
        else
            fprintf(stderr, "partition %d: %s %s code %d\n", p, kc_err_name(w.err), w.errstr,
                    w.code);
    }
    snprintf(detail, sizeof(detail), "%d of %d partitions answered", good,
             t ? t->partition_count : 0);
    check(t && good == t->partition_count, "ListOffsets to each partition leader through "
          "kc_client_send", detail);
    kc_client_free(c);
    return summary();
}


/* ---- the caller's own loop ------------------------------------------------------------- */

typedef struct ext {
    kc_producer *p;
    const char *topic;
    long count;
    long next;
    long delivered;
    long errors;
    long queue_full;
    long last_i;
    int out_of_order;
    char first_error[512];
    struct ev_loop *loop;
    ev_idle idle;
    ev_timer retry;
} ext;

static void ext_delivery(const kc_delivery *d, void *opaque)
{
    ext *x = opaque;
    if (d->err) {
        if (!x->errors++)
            snprintf(x->first_error, sizeof(x->first_error), "%s", d->errstr);
    } else {
        x->delivered++;
    }
    if (x->delivered + x->errors == x->count)
        ev_break(x->loop, EVBREAK_ALL);
}

static void ext_produce(struct ev_loop *loop, ev_idle *w, int revents)
{
    (void)revents;
    ext *x = w->data;
    for (int n = 0; n < 1000 && x->next < x->count; n++) {
        char key[32], value[64], seq[32];
        int kn = snprintf(key, sizeof(key), "key-%ld", x->next);
        int vn = snprintf(value, sizeof(value), "value-%ld", x->next);
        int sn = snprintf(seq, sizeof(seq), "%ld", x->next);
        kc_header h = {"seq", seq, (size_t)sn};
        kc_record rec = {.topic = x->topic, .partition = KC_PARTITION_ANY, .key = key,
                         .key_len = (size_t)kn, .value = value, .value_len = (size_t)vn,
                         .headers = &h, .header_count = 1, .timestamp = KC_TIMESTAMP_NOW};
        kc_err e = kc_produce(x->p, &rec, (void *)(intptr_t)x->next);
        if (e == KC_ERR_QUEUE_FULL) { /* come back when the loop has made room */
            x->queue_full++;
            ev_idle_stop(loop, w);
            ev_timer_set(&x->retry, 0.005, 0.0);
            ev_timer_start(loop, &x->retry);
            return;
        }
        if (e) {
            snprintf(x->first_error, sizeof(x->first_error), "kc_produce: %s", kc_err_name(e));
            x->errors++;
        }
        x->next++;
    }
    if (x->next == x->count)
        ev_idle_stop(loop, w);
}

static void ext_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ext *x = w->data;
    ev_idle_start(loop, &x->idle);
}

static void ext_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static int cmd_external(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    char err[512], detail[800];
    ext x = {0};
    x.topic = argv[3];
    x.count = atol(argv[4]);
    x.loop = ev_loop_new(EVFLAG_AUTO);
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", argv[2], err, sizeof(err));
    for (int i = 5; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq) {
            *eq = 0;
            if (kc_config_set(conf, argv[i], eq + 1, err, sizeof(err)) != KC_OK) {
                fprintf(stderr, "config: %s\n", err);
                return 2;
            }
        }
    }
    kc_config_set_delivery_cb(conf, ext_delivery, &x);
    x.p = kc_producer_new(conf, x.loop, err, sizeof(err));
    kc_config_free(conf);
    if (!x.p) {
        fail("producer on the caller's loop", err);
        return summary();
    }
    ev_idle_init(&x.idle, ext_produce);
    x.idle.data = &x;
    ev_idle_start(x.loop, &x.idle);
    ev_init(&x.retry, ext_retry);
    x.retry.data = &x;
    ev_timer deadline;
    ev_timer_init(&deadline, ext_deadline, 60.0, 0.0);
    ev_timer_start(x.loop, &deadline);
    int64_t start = now_ms();
    ev_run(x.loop, 0);
    fprintf(stderr, "external loop: %ld records in %lld ms, queue full %ld times\n", x.count,
            (long long)(now_ms() - start), x.queue_full);
    snprintf(detail, sizeof(detail), "%ld delivered, %ld errors (%s)", x.delivered, x.errors,
             x.first_error);
    check(x.delivered == x.count && x.errors == 0,
          "every record reported from the caller's loop (no poll, no flush)", detail);
    snprintf(detail, sizeof(detail), "%ld times", x.queue_full);
    check(x.queue_full > 0, "kc_produce never blocks on a full buffer with an external loop",
          detail);
    check(kc_producer_outstanding(x.p) == 0, "nothing outstanding", "records remain");
    ev_timer_stop(x.loop, &deadline);
    ev_timer_stop(x.loop, &x.retry);
    ev_idle_stop(x.loop, &x.idle);
    kc_producer_free(x.p);
    ev_loop_destroy(x.loop);
    return summary();
}

/* ---- per-record codecs ---------------------------------------------------------------------- */

/* Runs of records sharing one kc_record.compression. The first producer's
 * compression.type is gzip, so KC_COMPRESSION_PRODUCER means gzip there. */
typedef struct codec_run {
    int compression;  /* kc_record.compression */
    int count;
} codec_run;

static const codec_run CODEC_RUNS[] = {
    {KC_COMPRESSION_PRODUCER, 3}, {KC_COMPRESSION_NONE, 2}, {KC_COMPRESSION_ZSTD, 4},
    {KC_COMPRESSION_SNAPPY, 1},   {KC_COMPRESSION_LZ4, 2},  {KC_COMPRESSION_GZIP, 2},
    {KC_COMPRESSION_PRODUCER, 1}, {KC_COMPRESSION_NONE, 3},
};
#define CODEC_RECORDS 18

/* The batches on the broker (codec id, records): the gzip run and the
 * KC_COMPRESSION_PRODUCER (gzip) run after it share one batch. */
static const int CODEC_BATCHES[][2] = {{1, 3}, {0, 2}, {4, 4}, {2, 1}, {3, 2}, {1, 3}, {0, 3}};
#define CODEC_BATCH_COUNT 7

/* The codec id record i must arrive with. */
static int codec_of_record(int i)
{
    for (int b = 0; b < CODEC_BATCH_COUNT; b++) {
        if (i < CODEC_BATCHES[b][1])
            return CODEC_BATCHES[b][0];
        i -= CODEC_BATCHES[b][1];
    }
    return -1;
}

typedef struct codec_reports {
    int count;
    int errors;
    int out_of_order;  /* reports whose offset is not their record number */
    char first_error[256];
} codec_reports;

static void on_codec_delivery(const kc_delivery *d, void *cb_opaque)
{
    codec_reports *r = cb_opaque;
    r->count++;
    if (d->err && !r->errors++)
        snprintf(r->first_error, sizeof(r->first_error), "%s", d->errstr);
    if (!d->err && d->offset != (int64_t)(intptr_t)d->opaque)
        r->out_of_order++;
}

static kc_producer *codec_producer(const char *bootstrap, const char *compression_type,
                                   codec_reports *reports)
{
    char err[512];
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_config_set(conf, "compression.type", compression_type, err, sizeof(err));
    /* a long linger: batches close only by codec changes (and the flush) */
    kc_config_set(conf, "linger.ms", "10000", err, sizeof(err));
    kc_config_set_delivery_cb(conf, on_codec_delivery, reports);
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p)
        fprintf(stderr, "kc_producer_new: %s\n", err);
    return p;
}

typedef struct fetch_wait {
    int done;
    kc_err err;
    char errstr[256];
    int16_t code;
    uint8_t *records;  /* a copy (malloc) of partition 0's record bytes */
    size_t len;
} fetch_wait;

static void on_codec_fetch(kc_client *c, const kc_response *resp, void *opaque)
{
    (void)c;
    fetch_wait *w = opaque;
    w->done = 1;
    w->err = resp->err;
    snprintf(w->errstr, sizeof(w->errstr), "%s", resp->errstr);
    if (resp->err)
        return;
    const kp_fetch_response *r = resp->body;
    if (r->responses_count < 1 || r->responses[0].partitions_count < 1) {
        w->err = KC_ERR_BAD_RESPONSE;
        return;
    }
    const kp_fetch_response_partition_data *pd = &r->responses[0].partitions[0];
    w->code = pd->error_code;
    if (pd->records.len > 0 && (w->records = malloc((size_t)pd->records.len))) {
        memcpy(w->records, pd->records.ptr, (size_t)pd->records.len);
        w->len = (size_t)pd->records.len;
    }
}

/* Fetches partition 0 of topic from offset 0 with a raw Fetch (not the
 * consumer) and checks its batches: CODEC_BATCHES' codecs and sizes, one
 * producer id, contiguous sequence numbers. */
static void check_broker_batches(kc_client *c, const char *topic, const char *what)
{
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    kp_fetch_request_fetch_topic t;
    kp_init(&kp_fetch_request_fetch_topic_desc, &t);
    kp_fetch_request_fetch_partition part;
    kp_init(&kp_fetch_request_fetch_partition_desc, &part);
    part.partition = 0;
    part.current_leader_epoch = -1;
    part.fetch_offset = 0;
    part.last_fetched_epoch = -1;
    part.log_start_offset = -1;
    part.partition_max_bytes = 1 << 20;
    t.topic = st_slice_cstr(topic);
    t.partitions = &part;
    t.partitions_count = 1;
    req.replica_id = -1;
    req.max_wait_ms = 0;
    req.min_bytes = 1;
    req.max_bytes = 1 << 20;
    req.session_epoch = -1;
    req.topics = &t;
    req.topics_count = 1;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.min_version = 4;
    opts.max_version = 12; /* topics by name */
    opts.retry_after_send = true;
    fetch_wait w = {0};
    kc_err e = kc_client_send(c, kc_target_leader(topic, 0), KC_API_FETCH, &req, &opts,
                              on_codec_fetch, &w);
    int64_t start = now_ms();
    while (e == KC_OK && !w.done && now_ms() - start < 30000)
        kc_client_poll(c, 100);
    char desc[256], detail[1024] = "";
    snprintf(desc, sizeof(desc), "%s: the broker holds %d batches with the records' codecs "
             "(gzip none zstd snappy lz4 gzip none), one producer id, contiguous sequences",
             what, CODEC_BATCH_COUNT);
    if (e || !w.done || w.err || w.code) {
        snprintf(detail, sizeof(detail), "Fetch: %s %s, code %d", kc_err_name(e ? e : w.err),
                 w.errstr, w.code);
        fail(desc, detail);
        free(w.records);
        return;
    }
    st_batch_iter it;
    st_batch_iter_init(&it, w.records, w.len, true);
    st_batch b;
    int n = 0, bad = 0;
    int64_t offset = 0, pid = -2;
    int32_t sequence = 0;
    size_t at = 0;
    while (st_batch_iter_next(&it, &b) == ST_BATCH_OK) {
        int codec = st_batch_codec(&b.header);
        bool good = n < CODEC_BATCH_COUNT && codec == CODEC_BATCHES[n][0] &&
                    b.header.record_count == CODEC_BATCHES[n][1] &&
                    b.header.base_offset == offset && b.header.producer_id >= 0 &&
                    (pid == -2 || b.header.producer_id == pid) &&
                    b.header.base_sequence == sequence;
        bad += !good;
        if (at < sizeof(detail))
            at += (size_t)snprintf(detail + at, sizeof(detail) - at, "%s[offset %lld: codec %d, "
                                   "%d records, pid %lld, seq %d]", good ? "" : "BAD",
                                   (long long)b.header.base_offset, codec,
                                   (int)b.header.record_count, (long long)b.header.producer_id,
                                   (int)b.header.base_sequence);
        pid = b.header.producer_id;
        offset += b.header.record_count;
        sequence += b.header.record_count;
        n++;
    }
    check(n == CODEC_BATCH_COUNT && !bad && offset == CODEC_RECORDS, desc, detail);
    free(w.records);
}

/* Produces CODEC_RUNS to partition 0 of topic (record i: key "k<i>",
 * opaque i) and flushes; checks the reports. */
static void produce_codec_runs(kc_producer *p, codec_reports *reports, const char *topic,
                               const int *compression, const char *what)
{
    char desc[256], detail[512];
    int bad_calls = 0;
    for (int i = 0; i < CODEC_RECORDS; i++) {
        char key[16], value[160];
        int kl = snprintf(key, sizeof(key), "k%d", i);
        int vl = snprintf(value, sizeof(value), "value-%d-", i);
        memset(value + vl, 'x', 100); /* compressible */
        kc_record rec = {.topic = topic, .partition = 0, .key = key, .key_len = (size_t)kl,
                         .value = value, .value_len = (size_t)vl + 100,
                         .timestamp = KC_TIMESTAMP_NOW, .compression = compression[i]};
        if (kc_produce(p, &rec, (void *)(intptr_t)i) != KC_OK)
            bad_calls++;
    }
    kc_err e = kc_producer_flush(p, 30000);
    snprintf(detail, sizeof(detail), "flush %s, %d refused, %d reports, %d errors (%s), %d out "
             "of order", kc_err_name(e), bad_calls, reports->count, reports->errors,
             reports->first_error, reports->out_of_order);
    snprintf(desc, sizeof(desc), "%s: %d records with per-record codecs delivered in order",
             what, CODEC_RECORDS);
    check(!e && !bad_calls && reports->count == CODEC_RECORDS && !reports->errors &&
          !reports->out_of_order, desc, detail);
}

/* Consumes topic partition 0 from the beginning; checks each record's
 * kc_message.compression and stores kc_compression_from_codec() of it in
 * copy[] (what a mirror passes on). */
static void consume_codecs(const char *bootstrap, const char *topic, int *copy)
{
    char err[512], detail[512] = "";
    kc_consumer_config *conf = kc_consumer_config_new();
    kc_consumer_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!c) {
        fail("a consumer reads the records back", err);
        return;
    }
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, topic, 0)->offset = KC_OFFSET_BEGINNING;
    kc_consumer_assign(c, l);
    kc_partition_list_free(l);
    int got = 0, wrong = 0;
    size_t at = 0;
    int64_t start = now_ms();
    while (got < CODEC_RECORDS && now_ms() - start < 30000) {
        const kc_message *m = kc_consumer_poll(c, 100);
        if (!m)
            continue;
        if (m->err) {
            snprintf(detail, sizeof(detail), "error %s: %s", kc_err_name(m->err), m->errstr);
            break;
        }
        int want = m->offset == got ? codec_of_record(got) : -1;
        if (m->compression != want) {
            wrong++;
            if (at < sizeof(detail))
                at += (size_t)snprintf(detail + at, sizeof(detail) - at, "offset %lld: codec "
                                       "%d, want %d; ", (long long)m->offset, m->compression,
                                       want);
        }
        copy[got++] = kc_compression_from_codec(m->compression);
    }
    char desc[256];
    snprintf(desc, sizeof(desc), "%s: the consumer reports each record's batch codec in "
             "kc_message.compression (%d of %d records read)", topic, got, CODEC_RECORDS);
    check(got == CODEC_RECORDS && !wrong, desc, detail);
    kc_consumer_close(c, 10000);
}

static int cmd_codecs(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const char *bs = argv[2];
    char copy_topic[256];
    snprintf(copy_topic, sizeof(copy_topic), "%s-copy", argv[3]);
    int compression[CODEC_RECORDS], copied[CODEC_RECORDS];
    int n = 0;
    for (size_t r = 0; r < sizeof(CODEC_RUNS) / sizeof(CODEC_RUNS[0]); r++)
        for (int i = 0; i < CODEC_RUNS[r].count; i++)
            compression[n++] = CODEC_RUNS[r].compression;

    /* 1. per-record codecs, the rest from compression.type=gzip */
    codec_reports reports = {0};
    kc_producer *p = codec_producer(bs, "gzip", &reports);
    if (!p)
        return 2;
    kc_record bad = {.topic = argv[3], .partition = 0, .value = "v", .value_len = 1,
                     .timestamp = KC_TIMESTAMP_NOW, .compression = KC_COMPRESSION_ZSTD + 1};
    kc_err e = kc_produce(p, &bad, NULL);
    bad.compression = -1;
    kc_err e2 = kc_produce(p, &bad, NULL);
    check(e == KC_ERR_INVALID_ARG && e2 == KC_ERR_INVALID_ARG,
          "a kc_record.compression outside KC_COMPRESSION_* is refused", kc_err_name(e));
    produce_codec_runs(p, &reports, argv[3], compression, argv[3]);
    check_broker_batches(kc_producer_client(p), argv[3], argv[3]);
    kc_producer_close(p, 10000);

    /* 2. the consumer's view, and a mirror-style copy through a producer
     * whose own compression.type (lz4) is overridden by every record */
    memset(copied, 0, sizeof(copied));
    consume_codecs(bs, argv[3], copied);
    codec_reports copy_reports = {0};
    kc_producer *q = codec_producer(bs, "lz4", &copy_reports);
    if (!q)
        return 2;
    produce_codec_runs(q, &copy_reports, copy_topic, copied, copy_topic);
    check_broker_batches(kc_producer_client(q), copy_topic, copy_topic);
    kc_producer_close(q, 10000);
    return summary();
}

/* ---- enable.gapless.guarantee ------------------------------------------------------------- */

#define GL_RECORDS 3000
#define GL_BAD 843              /* the record the topic refuses (by default) */
#define GL_LATE GL_RECORDS      /* one more partition-0 record, produced after the flush */
#define GL_P1 100000            /* opaque base of the partition-1 records */
#define GL_BIG 8000             /* the refused record's value size in toolarge mode */

typedef struct gl_reports {
    int reports[GL_RECORDS + 1];   /* per partition-0 record: reports seen */
    kc_err err[GL_RECORDS + 1];
    int64_t offset[GL_RECORDS + 1];
    bool halt_msg[GL_RECORDS + 1]; /* its errstr is the "earlier record failed" one */
    long next;                     /* the partition-0 record expected next */
    int out_of_order;
    int p1_delivered;
    int p1_errors;
    char p1_error[256];
    char refused_msg[512];         /* the first failed record's errstr */
    char halt_sample[512];         /* the first "earlier record" errstr */
} gl_reports;

static void gl_on_delivery(const kc_delivery *d, void *opaque)
{
    gl_reports *r = opaque;
    long i = (long)(intptr_t)d->opaque;
    if (i >= GL_P1) {
        if (d->err && !r->p1_errors++)
            snprintf(r->p1_error, sizeof(r->p1_error), "%s", d->errstr);
        else if (!d->err)
            r->p1_delivered++;
        return;
    }
    if (i != r->next)
        r->out_of_order++;
    r->next = i + 1;
    r->reports[i]++;
    r->err[i] = d->err;
    r->offset[i] = d->offset;
    r->halt_msg[i] = d->err && strstr(d->errstr, "an earlier record of") &&
                     strstr(d->errstr, "to keep the partition gapless");
    if (d->err && !r->halt_msg[i] && !r->refused_msg[0])
        snprintf(r->refused_msg, sizeof(r->refused_msg), "%s", d->errstr);
    if (r->halt_msg[i] && !r->halt_sample[0])
        snprintf(r->halt_sample, sizeof(r->halt_sample), "%s", d->errstr);
}

static kc_client *gl_admin(const char *bootstrap)
{
    char err[512];
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_config_set(conf, "allow.auto.create.topics", "false", err, sizeof(err));
    kc_client *c = kc_client_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!c)
        fail("admin client", err);
    return c;
}

static kc_err gl_create_topic(kc_client *c, const char *topic, bool toolarge)
{
    kc_config_pair cfg = toolarge ? (kc_config_pair){"max.message.bytes", "4096"}
                                  : (kc_config_pair){"cleanup.policy", "compact"};
    kc_new_topic t = {topic, 2, -1, &cfg, 1};
    st_arena a;
    st_arena_init(&a);
    kc_admin_result *res = NULL;
    kc_err e = kc_admin_create_topics(c, &t, 1, false, 30000, &a, &res);
    st_arena_free(&a);
    return e;
}

static kc_err gl_produce_one(kc_producer *p, const char *topic, long i, long bad,
                             bool toolarge, char *value)
{
    char key[32];
    int kn = snprintf(key, sizeof(key), "key-%ld", i);
    int vn = snprintf(value, 64, "value-%ld", i);
    size_t value_len = (size_t)vn;
    if (i == bad && toolarge) {
        memset(value + vn, 'x', GL_BIG);
        value_len += GL_BIG;
    }
    kc_record rec = {.topic = topic, .partition = 0, .key = key, .key_len = (size_t)kn,
                     .value = value, .value_len = value_len, .timestamp = KC_TIMESTAMP_NOW};
    if (i == bad && !toolarge) { /* a compacted topic refuses a record without key */
        rec.key = NULL;
        rec.key_len = 0;
    }
    return kc_produce(p, &rec, (void *)(intptr_t)i);
}

static kc_err gl_produce_p1(kc_producer *p, const char *topic, long i)
{
    char key[32];
    int kn = snprintf(key, sizeof(key), "p1-%ld", i);
    kc_record rec = {.topic = topic, .partition = 1, .key = key, .key_len = (size_t)kn,
                     .value = "v", .value_len = 1, .timestamp = KC_TIMESTAMP_NOW};
    return kc_produce(p, &rec, (void *)(intptr_t)(GL_P1 + i));
}

/* Reads partition 0 from the beginning: the record numbers of its values,
 * in offset order, into got[] (at most max); returns how many (it waits for
 * expect records, then until none came for 1.5 s). */
static int gl_read_back(const char *bootstrap, const char *topic, long *got, int max,
                        int expect)
{
    char err[512];
    kc_consumer_config *conf = kc_consumer_config_new();
    kc_consumer_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!c) {
        fail("a consumer reads partition 0 back", err);
        return -1;
    }
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, topic, 0)->offset = KC_OFFSET_BEGINNING;
    kc_consumer_assign(c, l);
    kc_partition_list_free(l);
    int n = 0;
    int64_t start = now_ms(), last = now_ms();
    /* until expect records came and then 1.5 s passed without one, at most 60 s */
    while (now_ms() - start < 60000 && (n < expect || now_ms() - last < 1500)) {
        const kc_message *m = kc_consumer_poll(c, 100);
        if (!m)
            continue;
        if (m->err) {
            fprintf(stderr, "read back: %s: %s\n", kc_err_name(m->err), m->errstr);
            continue;
        }
        last = now_ms();
        long v = -1;
        if (m->value && m->value_len > 6 && m->value_len < 32 &&
            memcmp(m->value, "value-", 6) == 0) {
            char digits[32]; /* values are not NUL-terminated */
            memcpy(digits, (const char *)m->value + 6, m->value_len - 6);
            digits[m->value_len - 6] = '\0';
            v = strtol(digits, NULL, 10);
        }
        if (n < max)
            got[n] = m->offset == n ? v : -2; /* -2: not at the offset it should be */
        n++;
    }
    kc_consumer_close(c, 10000);
    return n;
}

/* gapless BOOTSTRAP TOPIC nullkey|toolarge true|false [BAD] */
static int cmd_gapless(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    const char *bs = argv[2], *topic = argv[3];
    long bad = argc > 6 ? atol(argv[6]) : GL_BAD;
    if (bad < 0 || bad >= GL_RECORDS)
        return 2;
    bool toolarge = strcmp(argv[4], "toolarge") == 0;
    bool guarantee = strcmp(argv[5], "true") == 0;
    kc_err refused = toolarge ? KAFKA_MESSAGE_TOO_LARGE : KAFKA_INVALID_RECORD;
    char err[512], detail[1024];
    static gl_reports r;
    memset(&r, 0, sizeof(r));

    kc_client *admin = gl_admin(bs);
    if (!admin)
        return summary();
    kc_err e = gl_create_topic(admin, topic, toolarge);
    check(e == KC_OK, toolarge ? "topic with max.message.bytes=4096 created"
                               : "topic with cleanup.policy=compact created",
          kc_client_last_error(admin));

    /* without idempotence the property is refused, naming both */
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    kc_config_set(conf, "enable.gapless.guarantee", "true", err, sizeof(err));
    kc_config_set(conf, "enable.idempotence", "false", err, sizeof(err));
    kc_producer *refused_producer = kc_producer_new(conf, NULL, err, sizeof(err));
    snprintf(detail, sizeof(detail), "%s", refused_producer ? "created" : err);
    check(!refused_producer && strstr(err, "enable.gapless.guarantee") &&
              strstr(err, "enable.idempotence"),
          "enable.gapless.guarantee without enable.idempotence: KC_ERR_CONFIG naming both",
          detail);
    kc_producer_free(refused_producer);
    kc_config_free(conf);

    FILE *log = tmpfile();
    st_logger lg = {ST_LOG_DEBUG, log};
    conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    kc_config_set(conf, "linger.ms", "2", err, sizeof(err));
    kc_config_set(conf, "batch.size", "1024", err, sizeof(err));
    kc_config_set(conf, "max.in.flight.requests.per.connection", "5", err, sizeof(err));
    kc_config_set(conf, "enable.gapless.guarantee", argv[5], err, sizeof(err));
    kc_config_set_logger(conf, &lg);
    kc_config_set_delivery_cb(conf, gl_on_delivery, &r);
    /* The caller's own loop: kc_produce never runs it, so the records of
     * the second part are all queued when the flush sends them, and the
     * refused batch leaves with 4 more of partition 0 right behind it. */
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    kc_producer *p = kc_producer_new(conf, loop, err, sizeof(err));
    kc_config_free(conf);
    if (!p) {
        fail("producer created", err);
        ev_loop_destroy(loop);
        return summary();
    }
    char *value = malloc(64 + GL_BIG);
    int refused_calls = 0;
    kc_err fe[3];
    long parts[3][2] = {{0, bad}, {bad, GL_RECORDS}, {GL_LATE, GL_LATE + 1}};
    for (int part = 0; part < 3; part++) {
        for (long i = parts[part][0]; i < parts[part][1]; i++) {
            refused_calls += gl_produce_one(p, topic, i, bad, toolarge, value) != KC_OK;
            if (i < GL_RECORDS)
                refused_calls += gl_produce_p1(p, topic, i) != KC_OK;
        }
        fe[part] = kc_producer_flush(p, 60000);
    }
    free(value);
    snprintf(detail, sizeof(detail), "flushes %s, %s, %s; %d kc_produce calls refused",
             kc_err_name(fe[0]), kc_err_name(fe[1]), kc_err_name(fe[2]), refused_calls);
    check(!fe[0] && !fe[1] && !fe[2] && !refused_calls && kc_producer_outstanding(p) == 0,
          "kc_produce accepts every record and the flushes complete", detail);
    kc_producer_close(p, 10000);
    ev_loop_destroy(loop);

    /* the reports of partition 0 */
    int missing = 0, duplicated = 0;
    long first_failed = -1, refused_end = -1; /* [first_failed, refused_end): the refused batch */
    for (long i = 0; i <= GL_LATE; i++) {
        missing += r.reports[i] == 0;
        duplicated += r.reports[i] > 1;
        if (r.err[i] && first_failed < 0)
            first_failed = i;
    }
    for (refused_end = first_failed; refused_end >= 0 && refused_end <= GL_LATE &&
                                      r.err[refused_end] && !r.halt_msg[refused_end];)
        refused_end++;
    snprintf(detail, sizeof(detail), "%d missing, %d reported twice, %d out of order", missing,
             duplicated, r.out_of_order);
    check(!missing && !duplicated && !r.out_of_order,
          "every partition-0 record is reported once, in the order produced", detail);
    int before_bad = 0;
    for (long i = 0; first_failed > 0 && i < first_failed; i++)
        before_bad += r.err[i] == KC_OK && r.offset[i] == i;
    snprintf(detail, sizeof(detail), "first failure at record %ld, %d records before it at "
             "their offsets", first_failed, before_bad);
    check(first_failed == bad && before_bad == first_failed,
          "every record before the refused batch is written, at offsets 0..", detail);
    int refused_ok = 0;
    for (long i = first_failed; first_failed >= 0 && i < refused_end; i++)
        refused_ok += r.err[i] == refused;
    snprintf(detail, sizeof(detail), "records %ld..%ld refused (%d with %s): %s", first_failed,
             refused_end - 1, refused_ok, kc_err_name(refused), r.refused_msg);
    check(refused_end > bad && refused_ok == refused_end - first_failed &&
              (!toolarge || refused_end == bad + 1),
          toolarge ? "the record over max.message.bytes fails alone, MESSAGE_TOO_LARGE"
                   : "the batch with the keyless record fails, INVALID_RECORD", detail);

    int after_failed = 0, after_same_code = 0, after_written = 0;
    for (long i = refused_end; refused_end > 0 && i <= GL_LATE; i++) {
        after_failed += r.err[i] != KC_OK;
        after_same_code += r.err[i] == refused && r.halt_msg[i];
        after_written += r.err[i] == KC_OK;
    }
    long later = refused_end > 0 ? GL_LATE + 1 - refused_end : 0;
    snprintf(detail, sizeof(detail), "%ld later records: %d failed (%d with %s and the gapless "
             "message), %d written; e.g. \"%s\"", later, after_failed, after_same_code,
             kc_err_name(refused), after_written, r.halt_sample);
    if (guarantee) {
        char want[256];
        snprintf(want, sizeof(want), "an earlier record of %s-0 failed (", topic);
        check(later > 0 && after_same_code == later && strstr(r.halt_sample, want),
              "gapless: every later record (in flight, queued, produced after) fails with the "
              "same code, 'an earlier record of <topic>-0 failed (...)'", detail);
    } else {
        check(later > 0 && after_written == later && r.offset[refused_end] == first_failed,
              "default (as Java): the later records are written after the gap", detail);
    }

    /* what the broker holds */
    int written0 = 0;
    for (long i = 0; i <= GL_LATE; i++)
        written0 += r.err[i] == KC_OK;
    snprintf(detail, sizeof(detail), "%d written, %d errors: %s", r.p1_delivered, r.p1_errors,
             r.p1_error);
    check(r.p1_delivered == GL_RECORDS && !r.p1_errors,
          "partition 1 of the same topic is unaffected: all its records written", detail);
    kc_list_offset q[2] = {{.topic = topic, .partition = 0, .spec = KC_OFFSET_SPEC_LATEST},
                           {.topic = topic, .partition = 1, .spec = KC_OFFSET_SPEC_LATEST}};
    e = kc_admin_list_offsets(admin, q, 2, 0, 30000);
    snprintf(detail, sizeof(detail), "%s: end offsets %lld and %lld; %d records acknowledged on "
             "partition 0", kc_err_name(e), (long long)q[0].offset, (long long)q[1].offset,
             written0);
    check(!e && q[0].offset == written0 && q[1].offset == GL_RECORDS,
          "partition 0's end offset = the records acknowledged", detail);
    kc_client_free(admin);

    static long got[GL_RECORDS + 1];
    int n = gl_read_back(bs, topic, got, GL_RECORDS + 1, written0);
    int matching = 0, k = 0;
    for (long i = 0; i <= GL_LATE && k < n && k <= GL_LATE; i++)
        if (r.err[i] == KC_OK)
            matching += got[k++] == i;
    snprintf(detail, sizeof(detail), "%d records read, %d of %d acknowledged ones at their "
             "place%s", n, matching, written0,
             guarantee && n > 0 && n <= GL_LATE && got[n - 1] == first_failed - 1
                 ? "; the last is the one before the refused batch" : "");
    check(n == written0 && matching == written0,
          guarantee ? "read back: exactly the records before the refused batch, nothing after "
                      "the gap"
                    : "read back: the acknowledged records, in order (the gap included)",
          detail);

    /* the log: a halt, never a new producer id (gapless); or the reset (default) */
    int halts = 0, resets = 0, in_flight = 0, retried = 0;
    char line[2048];
    rewind(log);
    while (fgets(line, sizeof(line), log)) {
        halts += strstr(line, "halted (enable.gapless.guarantee)") != NULL;
        resets += strstr(line, "resetting the idempotent producer") != NULL;
        in_flight += strstr(line, "behind the halt, not retried") &&
                     strstr(line, "OUT_OF_ORDER_SEQUENCE_NUMBER");
        retried += strstr(line, "retrying") && strstr(line, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    }
    fclose(log);
    snprintf(detail, sizeof(detail), "%d halt lines, %d producer id resets logged", halts, resets);
    check(guarantee ? halts == 1 && resets == 0 : halts == 0 && resets > 0,
          guarantee ? "gapless: the partition is halted once, the producer id kept"
                    : "default: the producer id is reset after the failed batch", detail);
    snprintf(detail, sizeof(detail), "%d batches failed behind the halt after "
             "OUT_OF_ORDER_SEQUENCE_NUMBER, %d retried after it", in_flight, retried);
    if (bad == 0) /* the broker does not know the producer id yet: any sequence would do */
        check(in_flight == 0 && retried == 0, "the producer's first batch goes alone until "
              "acknowledged: nothing was in flight behind it", detail);
    else
        /* at most max.in.flight - 1 = 4 were behind it: more would mean a
         * batch was sent after the halt */
        check(guarantee ? in_flight > 0 && in_flight <= 4 && retried == 0
                        : in_flight == 0 && retried > 0,
              guarantee ? "gapless: the batches in flight behind the refused one came back "
                          "OUT_OF_ORDER_SEQUENCE_NUMBER and failed, not retried; none sent "
                          "after the halt"
                        : "default: the batches in flight behind it are retried", detail);
    return summary();
}

/* gapless-topic BOOTSTRAP TOPIC true|false: a record fails before it
 * reaches a partition (its topic is missing past max.block.ms); the topic
 * is created, and two more records follow, to partitions 0 and 1. */
typedef struct gl_topic_reports {
    int count;
    kc_err err[3];
    char errstr[3][512];
} gl_topic_reports;

static void gl_on_topic_delivery(const kc_delivery *d, void *opaque)
{
    gl_topic_reports *r = opaque;
    long i = (long)(intptr_t)d->opaque;
    r->count++;
    r->err[i] = d->err;
    snprintf(r->errstr[i], sizeof(r->errstr[i]), "%s", d->errstr);
}

static int cmd_gapless_topic(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    const char *bs = argv[2], *topic = argv[3];
    bool guarantee = strcmp(argv[4], "true") == 0;
    char err[512], detail[1600];
    gl_topic_reports r = {0};
    st_logger quiet = {ST_LOG_ERROR, NULL};
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    kc_config_set(conf, "allow.auto.create.topics", "false", err, sizeof(err));
    kc_config_set(conf, "max.block.ms", "1000", err, sizeof(err));
    kc_config_set(conf, "linger.ms", "2", err, sizeof(err));
    kc_config_set(conf, "enable.gapless.guarantee", argv[4], err, sizeof(err));
    kc_config_set_logger(conf, &quiet);
    kc_config_set_delivery_cb(conf, gl_on_topic_delivery, &r);
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    kc_client *admin = gl_admin(bs);
    if (!p || !admin) {
        fail("producer and admin client created", err);
        kc_producer_free(p);
        kc_client_free(admin);
        return summary();
    }
    static const int32_t partition_of[3] = {0, 0, 1};
    kc_err e[5];
    for (long i = 0; i < 3; i++) {
        if (i == 1) /* the topic appears after the first record failed */
            e[3] = gl_create_topic(admin, topic, true);
        kc_record rec = {.topic = topic, .partition = partition_of[i], .key = "k", .key_len = 1,
                         .value = "v", .value_len = 1, .timestamp = KC_TIMESTAMP_NOW};
        e[i] = kc_produce(p, &rec, (void *)(intptr_t)i);
        if (i != 1)
            e[4] = kc_producer_flush(p, 30000);
    }
    snprintf(detail, sizeof(detail), "produce %s %s %s, create %s, flush %s; first report: %s: %s",
             kc_err_name(e[0]), kc_err_name(e[1]), kc_err_name(e[2]), kc_err_name(e[3]),
             kc_err_name(e[4]), kc_err_name(r.err[0]), r.errstr[0]);
    check(!e[0] && !e[1] && !e[2] && !e[3] && !e[4] && r.count == 3 &&
              r.err[0] == KAFKA_UNKNOWN_TOPIC_OR_PARTITION,
          "a record for a missing topic fails after max.block.ms", detail);
    char want[300];
    snprintf(want, sizeof(want), "an earlier record of %s failed (", topic);
    snprintf(detail, sizeof(detail), "partition 0: %s: %s; partition 1: %s: %s",
             kc_err_name(r.err[1]), r.errstr[1], kc_err_name(r.err[2]), r.errstr[2]);
    if (guarantee)
        check(r.err[1] == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && strstr(r.errstr[1], want) &&
                  r.err[2] == KAFKA_UNKNOWN_TOPIC_OR_PARTITION && strstr(r.errstr[2], want),
              "gapless: once the topic exists, its later records fail on every partition",
              detail);
    else
        check(!r.err[1] && !r.err[2], "default: once the topic exists, later records are "
              "written", detail);
    kc_producer_close(p, 10000);
    kc_list_offset q[2] = {{.topic = topic, .partition = 0, .spec = KC_OFFSET_SPEC_LATEST},
                           {.topic = topic, .partition = 1, .spec = KC_OFFSET_SPEC_LATEST}};
    kc_err le = kc_admin_list_offsets(admin, q, 2, 0, 30000);
    int64_t want_end = guarantee ? 0 : 1;
    snprintf(detail, sizeof(detail), "%s: end offsets %lld, %lld", kc_err_name(le),
             (long long)q[0].offset, (long long)q[1].offset);
    check(!le && q[0].offset == want_end && q[1].offset == want_end,
          guarantee ? "the broker holds nothing of the topic" : "the broker holds them",
          detail);
    kc_client_free(admin);
    return summary();
}

/* ---- a batch the topic refuses as too large: split and retried ------------------------------ */

#define SP_RECORDS 2000
#define SP_VALUE 300            /* bytes per value */
#define SP_BIG 1000             /* the record with an 8000-byte value in "big" mode */
#define SP_BIG_VALUE 8000

typedef struct sp_reports {
    int reports[SP_RECORDS];
    kc_err err[SP_RECORDS];
    int64_t offset[SP_RECORDS];
    bool halt_msg[SP_RECORDS];
    long next;
    int out_of_order;
    char refused_msg[512];
} sp_reports;

static void sp_on_delivery(const kc_delivery *d, void *opaque)
{
    sp_reports *r = opaque;
    long i = (long)(intptr_t)d->opaque;
    if (i < 0 || i >= SP_RECORDS)
        return;
    if (i != r->next)
        r->out_of_order++;
    r->next = i + 1;
    r->reports[i]++;
    r->err[i] = d->err;
    r->offset[i] = d->offset;
    r->halt_msg[i] = d->err && strstr(d->errstr, "an earlier record of") != NULL;
    if (d->err && !r->halt_msg[i] && !r->refused_msg[0])
        snprintf(r->refused_msg, sizeof(r->refused_msg), "%s", d->errstr);
}

/* Record i's value: "value-<i>-" then pseudo-random letters (little for a
 * codec to squeeze), SP_VALUE bytes, or SP_BIG_VALUE for the big one;
 * returns its length. */
static size_t sp_value(long i, bool big, char *buf)
{
    size_t len = big && i == SP_BIG ? SP_BIG_VALUE : SP_VALUE;
    int n = snprintf(buf, 32, "value-%ld-", i);
    uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
    for (size_t k = (size_t)n; k < len; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[k] = (char)('a' + x % 26);
    }
    return len;
}

/* Reads partition 0 back and compares it with want[0..count) (record
 * numbers, in offset order): key, value, header and timestamp of each.
 * Returns the records read; *matching counts those equal to what was
 * produced at their offset. */
static int sp_read_back(const char *bootstrap, const char *topic, const long *want, int count,
                        bool big, int64_t ts_base, int *matching, char *detail, size_t len)
{
    char err[512], value[SP_BIG_VALUE + 32];
    kc_consumer_config *conf = kc_consumer_config_new();
    kc_consumer_config_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    *matching = 0;
    detail[0] = 0;
    if (!c) {
        snprintf(detail, len, "consumer: %s", err);
        return -1;
    }
    kc_partition_list *l = kc_partition_list_new(1);
    kc_partition_list_add(l, topic, 0)->offset = KC_OFFSET_BEGINNING;
    kc_consumer_assign(c, l);
    kc_partition_list_free(l);
    int n = 0;
    int64_t start = now_ms(), last = now_ms();
    while (now_ms() - start < 60000 && (n < count || now_ms() - last < 1500)) {
        const kc_message *m = kc_consumer_poll(c, 100);
        if (!m || m->err)
            continue;
        last = now_ms();
        bool same = false;
        if (n < count && m->offset == n) {
            long i = want[n];
            char key[32], seq[32];
            int kn = snprintf(key, sizeof(key), "key-%ld", i);
            int sn = snprintf(seq, sizeof(seq), "%ld", i);
            size_t vn = sp_value(i, big, value);
            same = m->key_len == (size_t)kn && memcmp(m->key, key, (size_t)kn) == 0 &&
                   m->value_len == vn && memcmp(m->value, value, vn) == 0 &&
                   m->header_count == 1 && strcmp(m->headers[0].key, "seq") == 0 &&
                   m->headers[0].value_len == (size_t)sn &&
                   memcmp(m->headers[0].value, seq, (size_t)sn) == 0 &&
                   m->timestamp == ts_base + i;
        }
        if (same)
            (*matching)++;
        else if (!detail[0])
            snprintf(detail, len, "first difference at offset %lld", (long long)m->offset);
        n++;
    }
    kc_consumer_close(c, 10000);
    return n;
}

/* split BOOTSTRAP TOPIC all|big true|false CODEC */
static int cmd_split(int argc, char **argv)
{
    if (argc < 7)
        return 2;
    const char *bs = argv[2], *topic = argv[3];
    bool big = strcmp(argv[4], "big") == 0;
    bool guarantee = strcmp(argv[5], "true") == 0;
    char err[512], detail[1400];
    static sp_reports r;
    memset(&r, 0, sizeof(r));

    kc_client *admin = gl_admin(bs);
    if (!admin)
        return summary();
    kc_err e = gl_create_topic(admin, topic, true);
    check(e == KC_OK, "topic with max.message.bytes=4096 created", kc_client_last_error(admin));

    FILE *log = tmpfile();
    st_logger lg = {ST_LOG_DEBUG, log};
    kc_config *conf = kc_config_new();
    kc_config_set(conf, "bootstrap.servers", bs, err, sizeof(err));
    kc_config_set(conf, "batch.size", "65536", err, sizeof(err));
    kc_config_set(conf, "linger.ms", "50", err, sizeof(err));
    kc_config_set(conf, "enable.idempotence", "true", err, sizeof(err));
    kc_config_set(conf, "max.in.flight.requests.per.connection", "5", err, sizeof(err));
    kc_config_set(conf, "enable.gapless.guarantee", argv[5], err, sizeof(err));
    if (kc_config_set(conf, "compression.type", argv[6], err, sizeof(err)) != KC_OK) {
        fail("compression.type", err);
        return summary();
    }
    kc_config_set_logger(conf, &lg);
    kc_config_set_delivery_cb(conf, sp_on_delivery, &r);
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p) {
        fail("producer created", err);
        return summary();
    }
    int64_t ts_base = (int64_t)time(NULL) * 1000;
    static char value[SP_BIG_VALUE + 32];
    int refused_calls = 0;
    for (long i = 0; i < SP_RECORDS; i++) {
        char key[32], seq[32];
        int kn = snprintf(key, sizeof(key), "key-%ld", i);
        int sn = snprintf(seq, sizeof(seq), "%ld", i);
        kc_header h = {"seq", seq, (size_t)sn};
        kc_record rec = {.topic = topic, .partition = 0, .key = key, .key_len = (size_t)kn,
                         .value = value, .value_len = sp_value(i, big, value), .headers = &h,
                         .header_count = 1, .timestamp = ts_base + i};
        refused_calls += kc_produce(p, &rec, (void *)(intptr_t)i) != KC_OK;
    }
    kc_err fe = kc_producer_flush(p, 120000);
    snprintf(detail, sizeof(detail), "flush %s, %d kc_produce calls refused, %zu outstanding",
             kc_err_name(fe), refused_calls, kc_producer_outstanding(p));
    check(!fe && !refused_calls && kc_producer_outstanding(p) == 0,
          "kc_produce accepts every record and the flush completes", detail);
    kc_producer_close(p, 10000);

    /* the reports: each once, in order; what failed and where the rest went */
    int missing = 0, duplicated = 0, written = 0, at_place = 0, refused = 0, halted = 0;
    static long want[SP_RECORDS];
    for (long i = 0; i < SP_RECORDS; i++) {
        missing += r.reports[i] == 0;
        duplicated += r.reports[i] > 1;
        if (r.err[i] == KC_OK) {
            at_place += r.offset[i] == written;
            want[written++] = i;
        }
        refused += r.err[i] == KAFKA_MESSAGE_TOO_LARGE && !r.halt_msg[i];
        halted += r.err[i] == KAFKA_MESSAGE_TOO_LARGE && r.halt_msg[i];
    }
    snprintf(detail, sizeof(detail), "%d missing, %d reported twice, %d out of order", missing,
             duplicated, r.out_of_order);
    check(!missing && !duplicated && !r.out_of_order,
          "every record is reported once, in the order produced", detail);
    snprintf(detail, sizeof(detail), "%d acknowledged (%d at the offset after the one before), "
             "%d refused, %d failed behind the halt; record %d: %s: %s", written, at_place,
             refused, halted, SP_BIG, kc_err_name(r.err[SP_BIG]), r.refused_msg);
    if (!big)
        check(written == SP_RECORDS && at_place == written,
              "every record acknowledged, at offsets 0..1999 in order", detail);
    else if (!guarantee)
        check(written == SP_RECORDS - 1 && at_place == written && refused == 1 &&
                  r.err[SP_BIG] == KAFKA_MESSAGE_TOO_LARGE,
              "only the 8000-byte record fails (MESSAGE_TOO_LARGE); the others are written in "
              "order", detail);
    else
        check(written == SP_BIG && at_place == written && refused == 1 &&
                  r.err[SP_BIG] == KAFKA_MESSAGE_TOO_LARGE &&
                  halted == SP_RECORDS - SP_BIG - 1,
              "gapless: the records before the 8000-byte one are written, it fails "
              "(MESSAGE_TOO_LARGE), and every later one fails behind the halt", detail);

    kc_list_offset q = {.topic = topic, .partition = 0, .spec = KC_OFFSET_SPEC_LATEST};
    e = kc_admin_list_offsets(admin, &q, 1, 0, 30000);
    snprintf(detail, sizeof(detail), "%s: end offset %lld, %d acknowledged", kc_err_name(e),
             (long long)q.offset, written);
    check(!e && q.offset == written, "the partition's end offset = the records acknowledged",
          detail);
    kc_client_free(admin);

    int matching;
    char why[600];
    int n = sp_read_back(bs, topic, want, written, big, ts_base, &matching, why, sizeof(why));
    snprintf(detail, sizeof(detail), "%d read, %d of %d as produced at their offset %s", n,
             matching, written, why);
    check(n == written && matching == written,
          "read back: exactly the acknowledged records, in order, keys, values, headers and "
          "timestamps as produced", detail);

    /* the log: splits, no new producer id for them */
    int splits = 0, resets = 0, halts = 0, retried = 0;
    char line[2048];
    rewind(log);
    while (fgets(line, sizeof(line), log)) {
        splits += strstr(line, "splitting a batch of") != NULL;
        resets += strstr(line, "resetting the idempotent producer") != NULL;
        halts += strstr(line, "halted (enable.gapless.guarantee)") != NULL;
        retried += strstr(line, "retrying") && strstr(line, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    }
    fclose(log);
    /* (a batch in flight behind a refused one is itself refused as too
     * large, and split, or refused OUT_OF_ORDER_SEQUENCE_NUMBER and
     * retried: which depends on the timing and the codec) */
    snprintf(detail, sizeof(detail), "%d splits, %d batches retried after "
             "OUT_OF_ORDER_SEQUENCE_NUMBER, %d producer id resets, %d halts", splits, retried,
             resets, halts);
    char what[256];
    snprintf(what, sizeof(what), "the refused batches were split (%d times; %d batches in "
             "flight behind them retried after OUT_OF_ORDER_SEQUENCE_NUMBER) and no new "
             "producer id was taken", splits, retried);
    if (!big)
        check(splits > 0 && resets == 0 && halts == 0, what, detail);
    else if (!guarantee) /* the refused record leaves a gap: a new producer id, as Java */
        check(splits > 0 && resets == 1 && halts == 0,
              "split down to the refused record; one producer id reset, for its gap", detail);
    else
        check(splits > 0 && resets == 0 && halts == 1,
              "gapless: split down to the refused record, the partition halted once, no new "
              "producer id", detail);
    return summary();
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s produce|placement|unreachable|unsupported|metadata|"
                "external|codecs|gapless|gapless-topic|split ...\n",
                argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "produce") == 0)
        return cmd_produce(argc, argv);
    if (strcmp(argv[1], "placement") == 0)
        return cmd_placement(argc, argv);
    if (strcmp(argv[1], "unreachable") == 0)
        return cmd_unreachable(argc, argv);
    if (strcmp(argv[1], "unsupported") == 0)
        return cmd_unsupported(argc, argv);
    if (strcmp(argv[1], "metadata") == 0)
        return cmd_metadata(argc, argv);
    if (strcmp(argv[1], "external") == 0)
        return cmd_external(argc, argv);
    if (strcmp(argv[1], "codecs") == 0)
        return cmd_codecs(argc, argv);
    if (strcmp(argv[1], "gapless") == 0)
        return cmd_gapless(argc, argv);
    if (strcmp(argv[1], "gapless-topic") == 0)
        return cmd_gapless_topic(argc, argv);
    if (strcmp(argv[1], "split") == 0)
        return cmd_split(argc, argv);
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
}
