/* main.c — strait-mirror: the replicator daemon and its commands.
 *
 *   strait-mirror --config FILE [--log-level LEVEL]     run every flow
 *   strait-mirror failover --config FILE ...            see mirror/cmd_failover.c
 *   strait-mirror status --config FILE ...              see mirror/cmd_status.c
 *
 * Owns the process: the logger, signals (SIGINT/SIGTERM stop the flows,
 * which flush and commit before exiting 0), the metrics registry and its
 * HTTP endpoint, one flow_runner thread per enabled flow, and the periodic
 * metrics log line. */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/logging.h"
#include "mirror/commands.h"
#include "mirror/flow.h"
#include "mirror/metrics.h"
#include "mirror/metrics_http.h"
#include "mirror/mirror_config.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: strait-mirror --config FILE [--log-level debug|info|warn|error]\n"
            "       strait-mirror failover --config FILE --source NAME --target NAME\n"
            "                     (--group G ... | --all-groups) [--dry-run | --execute]\n"
            "       strait-mirror status --config FILE [--flow NAME] [--live]\n");
}

/* mkdir -p of the directory that holds path. */
static int make_parent_dirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    char *dir = dirname(copy);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            free(copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(dir, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(copy);
    return rc;
}

/* Waits for SIGINT/SIGTERM, logging metrics every interval. */
static void wait_for_stop(const sigset_t *signals, mirror_metrics *metrics, const st_logger *log,
                          int64_t interval_ms)
{
    for (;;) {
        struct timespec wait = {interval_ms / 1000, (interval_ms % 1000) * 1000000};
        int sig = sigtimedwait(signals, NULL, &wait);
        if (sig == SIGINT || sig == SIGTERM) {
            st_logf(log, ST_LOG_INFO, "mirror", "signal %d: stopping", sig);
            return;
        }
        if (sig < 0 && errno == EAGAIN)
            mirror_metrics_log(metrics, log);
    }
}

static int run_daemon(const char *config_path, const st_logger *log)
{
    mirror_config config;
    char errbuf[1024];
    if (mirror_config_load(&config, config_path, errbuf, sizeof(errbuf)) != ST_OK) {
        fprintf(stderr, "strait-mirror: %s\n", errbuf);
        return 1;
    }
    if (make_parent_dirs(config.database) != 0) {
        fprintf(stderr, "strait-mirror: cannot create the directory of database %s: %s\n",
                config.database, strerror(errno));
        mirror_config_free(&config);
        return 1;
    }
    /* Create the database (schema, WAL mode) here, once: flow threads
     * opening a new file at the same moment get "database is locked" from
     * the journal-mode switch (no busy wait there) and never start. */
    offset_store *store = NULL;
    if (offset_store_open(&store, config.database, errbuf, sizeof(errbuf)) != ST_OK) {
        fprintf(stderr, "strait-mirror: %s\n", errbuf);
        mirror_config_free(&config);
        return 1;
    }
    offset_store_close(store);
    mirror_metrics *metrics = mirror_metrics_new();
    mirror_http *http = NULL;
    if (metrics && config.metrics_port > 0) {
        http = mirror_http_start(metrics, config.metrics_host, config.metrics_port, errbuf,
                                 sizeof(errbuf));
        if (!http) {
            fprintf(stderr, "strait-mirror: metrics endpoint: %s\n", errbuf);
            mirror_metrics_free(metrics);
            mirror_config_free(&config);
            return 1;
        }
        st_logf(log, ST_LOG_INFO, "mirror", "metrics on http://%s:%d/metrics", config.metrics_host,
                config.metrics_port);
    }
    flow_runner *runners = calloc(config.flow_count ? config.flow_count : 1, sizeof(*runners));
    if (!metrics || !runners) {
        fprintf(stderr, "strait-mirror: out of memory\n");
        return 1;
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL); /* flow threads inherit the mask */
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < config.flow_count; i++) {
        if (!config.flows[i].enabled)
            continue;
        st_logf(log, ST_LOG_INFO, "mirror", "starting flow %s", config.flows[i].name);
        if (!flow_runner_start(&runners[i], &config, &config.flows[i], log, metrics))
            st_logf(log, ST_LOG_ERROR, "mirror", "cannot start a thread for flow %s",
                    config.flows[i].name);
    }
    wait_for_stop(&signals, metrics, log, config.log_interval_ms);
    for (size_t i = 0; i < config.flow_count; i++)
        flow_runner_request_stop(&runners[i]);
    for (size_t i = 0; i < config.flow_count; i++)
        flow_runner_join(&runners[i]);
    if (http)
        mirror_http_stop(http);
    free(runners);
    mirror_metrics_free(metrics);
    mirror_config_free(&config);
    st_logf(log, ST_LOG_INFO, "mirror", "stopped");
    return 0;
}

int main(int argc, char **argv)
{
    st_logger log = {.level = ST_LOG_INFO, .out = stderr};
    if (argc >= 2 && strcmp(argv[1], "failover") == 0)
        return mirror_cmd_failover(argc - 1, argv + 1, &log);
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return mirror_cmd_status(argc - 1, argv + 1, &log);
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            int level = st_log_level_parse(argv[++i]);
            if (level < 0) {
                fprintf(stderr, "strait-mirror: unknown log level '%s'\n", argv[i]);
                return 2;
            }
            log.level = (st_log_level)level;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "strait-mirror: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config_path) {
        fprintf(stderr, "strait-mirror: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    return run_daemon(config_path, &log);
}
