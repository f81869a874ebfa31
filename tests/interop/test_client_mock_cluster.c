/* test_client_mock_cluster.c — librdkafka helpers for test_client_producer.sh
 * (tests only; Strait's client never links librdkafka).
 *
 *   serve [-b BROKERS] NAME:PARTITIONS ...
 *                               starts librdkafka's in-memory mock cluster
 *                               (one broker unless -b), creates the topics,
 *                               prints "BOOTSTRAP=host:port" and runs until
 *                               SIGTERM/SIGINT. A foreign
 *                               Kafka implementation for our client to talk
 *                               to, with faults on command (one per stdin
 *                               line, answered "DONE <line>"):
 *                                 leader TOPIC PARTITION BROKER
 *                                 errors APIKEY CODE [CODE ...]  (next requests)
 *                                 rtt BROKER MS                  (slow answers)
 *                                 down BROKER | up BROKER
 *                                 apiversion APIKEY MIN MAX      (-1 -1: absent)
 *   murmur2 COUNT PARTITIONS    prints "key-<i> <partition>" as librdkafka's
 *                               Java-compatible murmur2 partitioner places
 *                               the keys: an independent reference for the
 *                               placement check. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static rd_kafka_t *new_handle(void)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        fprintf(stderr, "rd_kafka_new: %s\n", err);
    return rk;
}

static void command(rd_kafka_mock_cluster_t *mc, char *line)
{
    char word[32], topic[256];
    int a = 0, b = 0, c = 0;
    line[strcspn(line, "\n")] = 0;
    if (sscanf(line, "%31s", word) != 1)
        return;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (strcmp(word, "leader") == 0 && sscanf(line, "%*s %255s %d %d", topic, &a, &b) == 3) {
        e = rd_kafka_mock_partition_set_leader(mc, topic, a, b);
    } else if (strcmp(word, "errors") == 0) {
        rd_kafka_resp_err_t codes[64];
        size_t n = 0;
        char *p = line + strlen("errors");
        int key = (int)strtol(p, &p, 10);
        while (n < 64) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            codes[n++] = (rd_kafka_resp_err_t)v;
            p = end;
        }
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)key, n, codes);
    } else if (strcmp(word, "rtt") == 0 && sscanf(line, "%*s %d %d", &a, &b) == 2) {
        e = rd_kafka_mock_broker_set_rtt(mc, a, b);
    } else if (strcmp(word, "down") == 0 && sscanf(line, "%*s %d", &a) == 1) {
        e = rd_kafka_mock_broker_set_down(mc, a);
    } else if (strcmp(word, "up") == 0 && sscanf(line, "%*s %d", &a) == 1) {
        e = rd_kafka_mock_broker_set_up(mc, a);
    } else if (strcmp(word, "apiversion") == 0 && sscanf(line, "%*s %d %d %d", &a, &b, &c) == 3) {
        e = rd_kafka_mock_set_apiversion(mc, (int16_t)a, (int16_t)b, (int16_t)c);
    } else {
        fprintf(stderr, "unknown command '%s'\n", line);
        return;
    }
    if (e)
        fprintf(stderr, "%s: %s\n", line, rd_kafka_err2str(e));
    printf("DONE %s\n", line);
    fflush(stdout);
}

static int serve(int argc, char **argv)
{
    int brokers = 1, first = 2;
    if (argc > 3 && strcmp(argv[2], "-b") == 0) {
        brokers = atoi(argv[3]);
        first = 4;
    }
    rd_kafka_t *rk = new_handle();
    if (!rk)
        return 1;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    for (int i = first; i < argc; i++) {
        char name[256];
        const char *colon = strrchr(argv[i], ':');
        size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
        int parts = colon ? atoi(colon + 1) : 1;
        if (!len || len >= sizeof(name) || parts < 1) {
            fprintf(stderr, "bad topic '%s' (NAME:PARTITIONS)\n", argv[i]);
            return 1;
        }
        memcpy(name, argv[i], len);
        name[len] = 0;
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, parts, brokers < 3 ? brokers : 3);
        if (e) {
            fprintf(stderr, "create %s: %s\n", name, rd_kafka_err2str(e));
            return 1;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    char line[1024];
    int stdin_open = 1;
    while (!stop) {
        struct pollfd pfd = {0, POLLIN, 0};
        if (!stdin_open || poll(&pfd, 1, 100) <= 0) {
            if (!stdin_open)
                usleep(100000);
            continue;
        }
        if (!fgets(line, sizeof(line), stdin)) {
            stdin_open = 0;
            continue;
        }
        command(mc, line);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}

static int murmur2(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    long count = atol(argv[2]);
    int32_t parts = atoi(argv[3]);
    rd_kafka_t *rk = new_handle();
    if (!rk)
        return 1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, "placement", NULL);
    for (long i = 0; i < count; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "key-%ld", i);
        printf("%s %d\n", key,
               rd_kafka_msg_partitioner_murmur2(rkt, key, (size_t)n, parts, NULL, NULL));
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "murmur2") == 0)
        return murmur2(argc, argv);
    fprintf(stderr, "usage: %s serve NAME:PARTITIONS... | murmur2 COUNT PARTITIONS\n", argv[0]);
    return 2;
}
