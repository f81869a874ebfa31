/* main.c — strait-broker: command line, configuration, signals, run.
 *
 *   strait-broker --config config/broker.yaml [--override key=value ...]
 *                 [--log-level debug|info|warn|error]
 *
 * Owns the process: it loads the configuration (a bad key or value stops
 * start-up with a message naming it), runs the broker until SIGTERM/SIGINT,
 * then shuts down cleanly and exits 0. Nothing else in the broker exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: strait-broker --config FILE [--override key=value ...] [--log-level LEVEL]\n"
            "  --config FILE         YAML file with Kafka's server.properties names "
            "(see config/broker.yaml)\n"
            "  --override key=value  set one setting over the file (repeatable)\n"
            "  --log-level LEVEL     debug, info (default), warn or error\n");
}

typedef struct options {
    const char *config_path;
    const char **overrides;
    size_t n_overrides;
    int log_level;
} options;

static int parse_options(int argc, char **argv, options *o)
{
    o->config_path = NULL;
    o->overrides = calloc((size_t)argc, sizeof(char *));
    o->n_overrides = 0;
    o->log_level = ST_LOG_INFO;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if ((strcmp(arg, "--config") == 0 || strcmp(arg, "-c") == 0) && next) {
            o->config_path = argv[++i];
        } else if (strcmp(arg, "--override") == 0 && next) {
            if (!strchr(next, '=')) {
                fprintf(stderr, "strait-broker: --override needs key=value, got '%s'\n", next);
                return -1;
            }
            o->overrides[o->n_overrides++] = argv[++i];
        } else if (strcmp(arg, "--log-level") == 0 && next) {
            o->log_level = st_log_level_parse(argv[++i]);
            if (o->log_level < 0) {
                fprintf(stderr, "strait-broker: unknown log level '%s'\n", argv[i]);
                return -1;
            }
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "strait-broker: unknown or incomplete argument '%s'\n", arg);
            usage(stderr);
            return -1;
        }
    }
    if (!o->config_path) {
        fprintf(stderr, "strait-broker: --config FILE is required\n");
        usage(stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options opts;
    if (parse_options(argc, argv, &opts) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    broker_config cfg;
    char err[1024];
    if (broker_config_load(&cfg, opts.config_path, opts.overrides, opts.n_overrides, err,
                           sizeof(err)) != ST_OK) {
        fprintf(stderr, "strait-broker: %s\n", err);
        free(opts.overrides);
        return 1;
    }
    free(opts.overrides);
    broker *b = broker_new(&cfg, (st_log_level)opts.log_level, err, sizeof(err));
    if (!b) {
        fprintf(stderr, "strait-broker: %s\n", err);
        broker_config_free(&cfg);
        return 1;
    }
    int rc = broker_run(b);
    broker_free(b);
    return rc;
}
