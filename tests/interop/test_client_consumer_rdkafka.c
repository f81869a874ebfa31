/* test_client_consumer_rdkafka.c — librdkafka helpers for
 * test_client_consumer.sh (tests only; Strait's client never links
 * librdkafka).
 *
 *   serve BROKERS NAME:PARTITIONS ...
 *       librdkafka's in-memory mock cluster with BROKERS brokers (so that
 *       partition leaders and the group coordinator are spread over several
 *       nodes); prints "BOOTSTRAP=host:port,..." and runs until SIGTERM.
 *   member BOOTSTRAP GROUP TOPIC DIR NAME ASSIGNOR
 *       A librdkafka group member with the same files and stop protocol as
 *       test_client_consumer's member (DIR/NAME.records, .state, .stop),
 *       committing synchronously after every record batch and before giving
 *       partitions up; eager and cooperative rebalances.
 *   txn BOOTSTRAP TOPIC
 *       A transactional producer: 10 records committed ("c1-<i>"), 10
 *       aborted ("ab-<i>"), 10 committed ("c2-<i>"), all to partition 0. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s=%s: %s\n", k, v, err);
        exit(2);
    }
}

/* ---- serve --------------------------------------------------------------------------- */

static int serve(int argc, char **argv)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "log_level", "3");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "rd_kafka_new: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, atoi(argv[2]));
    if (!mc) {
        fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        char name[256];
        const char *colon = strrchr(argv[i], ':');
        size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
        int parts = colon ? atoi(colon + 1) : 1;
        if (!len || len >= sizeof(name) || parts < 1)
            return 2;
        memcpy(name, argv[i], len);
        name[len] = 0;
        if (rd_kafka_mock_topic_create(mc, name, parts, 1)) {
            fprintf(stderr, "cannot create %s\n", name);
            return 1;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!stop)
        usleep(100000);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}

/* ---- member ----------------------------------------------------------------------------- */

typedef struct member {
    FILE *records;
    char state_path[512];
    rd_kafka_topic_partition_list_t *owned;
} member;

static void write_state(member *m)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", m->state_path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    rd_kafka_topic_partition_list_sort(m->owned, NULL, NULL);
    fprintf(f, "%d -1 rdkafka", m->owned->cnt);
    for (int i = 0; i < m->owned->cnt; i++)
        fprintf(f, " %s-%d", m->owned->elems[i].topic, m->owned->elems[i].partition);
    fprintf(f, "\n");
    fclose(f);
    rename(tmp, m->state_path);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    member *m = opaque;
    bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        for (int i = 0; i < parts->cnt; i++)
            if (!rd_kafka_topic_partition_list_find(m->owned, parts->elems[i].topic,
                                                    parts->elems[i].partition))
                rd_kafka_topic_partition_list_add(m->owned, parts->elems[i].topic,
                                                  parts->elems[i].partition);
    } else {
        if (!rd_kafka_assignment_lost(rk))
            rd_kafka_commit(rk, NULL, 0); /* the consumed positions, before giving them up */
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
            rd_kafka_assign(rk, NULL);
        for (int i = 0; i < parts->cnt; i++)
            rd_kafka_topic_partition_list_del(m->owned, parts->elems[i].topic,
                                              parts->elems[i].partition);
    }
    write_state(m);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int run_member(char **argv)
{
    char err[512], path[512];
    member m = {0};
    const char *dir = argv[5], *name = argv[6];
    snprintf(path, sizeof(path), "%s/%s.records", dir, name);
    m.records = fopen(path, "a");
    snprintf(m.state_path, sizeof(m.state_path), "%s/%s.state", dir, name);
    m.owned = rd_kafka_topic_partition_list_new(8);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", argv[2]);
    conf_set(conf, "group.id", argv[3]);
    conf_set(conf, "partition.assignment.strategy", argv[7]);
    conf_set(conf, "enable.auto.commit", "false");
    conf_set(conf, "auto.offset.reset", "earliest");
    conf_set(conf, "session.timeout.ms", "10000");
    conf_set(conf, "heartbeat.interval.ms", "500");
    conf_set(conf, "log_level", "3");
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, &m);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk || !m.records) {
        fprintf(stderr, "rd_kafka_new: %s\n", err);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, argv[4], RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    write_state(&m);
    char stop_path[600];
    snprintf(stop_path, sizeof(stop_path), "%s/%s.stop", dir, name);
    while (!exists(stop_path)) {
        int records = 0;
        rd_kafka_message_t *msg;
        while ((msg = rd_kafka_consumer_poll(rk, records ? 0 : 100))) {
            if (!msg->err) {
                fprintf(m.records, "%s %d %lld %.*s\n", rd_kafka_topic_name(msg->rkt),
                        msg->partition, (long long)msg->offset, (int)msg->key_len,
                        msg->key ? (const char *)msg->key : "");
                records++;
            }
            rd_kafka_message_destroy(msg);
            if (records >= 100)
                break;
        }
        fflush(m.records);
        if (records)
            rd_kafka_commit(rk, NULL, 0);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    rd_kafka_topic_partition_list_destroy(m.owned);
    fclose(m.records);
    return 0;
}

/* ---- txn ---------------------------------------------------------------------------------- */

static bool txn_batch(rd_kafka_t *rk, const char *topic, const char *prefix, bool commit)
{
    rd_kafka_error_t *e = rd_kafka_begin_transaction(rk);
    if (e) {
        fprintf(stderr, "begin: %s\n", rd_kafka_error_string(e));
        return false;
    }
    for (int i = 0; i < 10; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "%s-%d", prefix, i);
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_KEY(key, (size_t)n), RD_KAFKA_V_VALUE(key, (size_t)n),
                          RD_KAFKA_V_END);
    }
    rd_kafka_flush(rk, 30000); /* on the broker before the abort, not purged */
    e = commit ? rd_kafka_commit_transaction(rk, 30000) : rd_kafka_abort_transaction(rk, 30000);
    if (e) {
        fprintf(stderr, "end: %s\n", rd_kafka_error_string(e));
        return false;
    }
    return true;
}

static int run_txn(char **argv)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", argv[2]);
    conf_set(conf, "transactional.id", "strait-consumer-test");
    conf_set(conf, "log_level", "3");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        return 2;
    rd_kafka_error_t *e = rd_kafka_init_transactions(rk, 30000);
    if (e) {
        fprintf(stderr, "init: %s\n", rd_kafka_error_string(e));
        return 1;
    }
    bool ok = txn_batch(rk, argv[3], "c1", true) && txn_batch(rk, argv[3], "ab", false) &&
              txn_batch(rk, argv[3], "c2", true);
    rd_kafka_destroy(rk);
    printf("%s\n", ok ? "txn done" : "txn failed");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "serve"))
        return serve(argc, argv);
    if (argc >= 8 && !strcmp(argv[1], "member"))
        return run_member(argv);
    if (argc >= 4 && !strcmp(argv[1], "txn"))
        return run_txn(argv);
    fprintf(stderr, "usage: %s serve BROKERS NAME:N... | member BOOTSTRAP GROUP TOPIC DIR NAME "
            "ASSIGNOR | txn BOOTSTRAP TOPIC\n", argv[0]);
    return 2;
}
