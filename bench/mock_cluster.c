/*
 * mock_cluster.c — runs librdkafka's in-memory mock cluster as the
 * benchmark's reference broker (bench/ only).
 *
 * Owns: starting a one-broker rd_kafka_mock cluster, creating the topics
 * named on the command line (NAME:PARTITIONS; the mock has no CreateTopics),
 * printing "BOOTSTRAP=host:port" on stdout, and running until SIGTERM/SIGINT.
 * It never touches disk and is never linked into a shipped binary.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

int main(int argc, char **argv) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The handle only hosts the mock; it never connects anywhere. */
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "mock_cluster: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) {
        fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        char name[256];
        int parts = 1;
        const char *colon = strrchr(argv[i], ':');
        size_t len = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
        if (len == 0 || len >= sizeof(name)) {
            fprintf(stderr, "mock_cluster: bad topic spec '%s' (NAME:PARTITIONS)\n", argv[i]);
            return 1;
        }
        memcpy(name, argv[i], len);
        name[len] = 0;
        if (colon)
            parts = atoi(colon + 1);
        if (parts < 1) {
            fprintf(stderr, "mock_cluster: bad partition count in '%s'\n", argv[i]);
            return 1;
        }
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, parts, 1);
        if (e) {
            fprintf(stderr, "mock_cluster: create %s: %s\n", name, rd_kafka_err2str(e));
            return 1;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!g_stop)
        sleep(1);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
