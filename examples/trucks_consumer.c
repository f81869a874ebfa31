/* trucks_consumer.c — reads the truck-GPS stream (examples/trucks_producer.c)
 * in a consumer group with Strait's own client (common/kafka_client.h).
 *
 *   build/examples/trucks_consumer --bootstrap-server 127.0.0.1:9092 \
 *       [--topic trucks_gps] [--group trucks-dashboard] [--max N] [--idle-ms 10000]
 *
 * Prints "partition offset truck position" per record. Offsets are
 * committed automatically (enable.auto.commit) and on exit, so a restarted
 * consumer of the same group resumes where this one stopped. Stops after
 * --max records (0: run until Ctrl-C) or when nothing arrived for --idle-ms;
 * then it leaves the group cleanly. Exits non-zero on an error. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka_client.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct options {
    const char *bootstrap;
    const char *topic;
    const char *group;
    long max;
    long idle_ms;
} options;

static int parse(int argc, char **argv, options *o)
{
    *o = (options){NULL, "trucks_gps", "trucks-dashboard", 0, 10000};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bootstrap-server") == 0)
            o->bootstrap = argv[i + 1];
        else if (strcmp(argv[i], "--topic") == 0)
            o->topic = argv[i + 1];
        else if (strcmp(argv[i], "--group") == 0)
            o->group = argv[i + 1];
        else if (strcmp(argv[i], "--max") == 0)
            o->max = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--idle-ms") == 0)
            o->idle_ms = atol(argv[i + 1]);
        else
            return -1;
    }
    return o->bootstrap ? 0 : -1;
}

static kc_consumer *open_consumer(const options *o)
{
    char err[512];
    kc_consumer_config *conf = kc_consumer_config_new();
    if (!conf)
        return NULL;
    const char *settings[][2] = {{"bootstrap.servers", o->bootstrap},
                                 {"group.id", o->group},
                                 {"auto.offset.reset", "earliest"},
                                 {"client.id", "trucks-consumer"}};
    kc_consumer *c = NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof(settings) / sizeof(settings[0]); i++)
        if (kc_consumer_config_set(conf, settings[i][0], settings[i][1], err, sizeof(err))) {
            fprintf(stderr, "trucks_consumer: %s\n", err);
            ok = false;
        }
    if (ok && !(c = kc_consumer_new(conf, NULL, err, sizeof(err))))
        fprintf(stderr, "trucks_consumer: %s\n", err);
    kc_consumer_config_free(conf);
    return c;
}

/* Reads until --max records, --idle-ms of silence or Ctrl-C; returns the
 * number read, or -1 on an error. */
static long consume(kc_consumer *c, const options *o)
{
    long count = 0, idle = 0;
    while (!interrupted && (o->max == 0 || count < o->max) && idle < o->idle_ms) {
        const kc_message *m = kc_consumer_poll(c, 200);
        if (!m) {
            idle += 200;
            continue;
        }
        if (m->err) {
            fprintf(stderr, "trucks_consumer: %s\n", m->errstr);
            return -1;
        }
        idle = 0;
        count++;
        printf("%d %lld %.*s %.*s\n", m->partition, (long long)m->offset, (int)m->key_len,
               m->key ? (const char *)m->key : "", (int)m->value_len,
               m->value ? (const char *)m->value : "");
    }
    return count;
}

int main(int argc, char **argv)
{
    options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: trucks_consumer --bootstrap-server HOST:PORT [--topic T] "
                        "[--group G] [--max N] [--idle-ms MS]\n");
        return 2;
    }
    signal(SIGINT, on_sigint);
    kc_consumer *c = open_consumer(&o);
    if (!c)
        return 1;
    const char *topics[] = {o.topic};
    long count = -1;
    if (kc_consumer_subscribe(c, topics, 1) == 0)
        count = consume(c, &o);
    fflush(stdout);
    kc_err err = kc_consumer_close(c, 10000);
    fprintf(stderr, "trucks_consumer: %ld record(s) read, group %s\n", count < 0 ? 0 : count,
            o.group);
    return count < 0 || err ? 1 : 0;
}
