/* trucks_producer.c — the truck-GPS stream of the Kafka tutorial, produced
 * with Strait's own client (common/kafka_client.h).
 *
 * Every truck reports its position every --interval-ms: one record on topic
 * trucks_gps, key = the truck id (so a truck's positions stay in order on
 * one partition, the same one the Java client would pick), value = JSON
 * with its latitude and longitude. Each delivery report prints where the
 * record landed.
 *
 *   build/examples/trucks_producer --bootstrap-server 127.0.0.1:9092 \
 *       [--topic trucks_gps] [--trucks 10] [--updates 20] [--interval-ms 1000] \
 *       [--producer-property key=value ...] [--quiet]
 *
 * --updates 0 runs until Ctrl-C. Ctrl-C flushes what is queued and exits.
 * Exits non-zero when the cluster cannot be reached or records fail. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kafka_client.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct truck {
    char id[32];
    double lat;
    double lon;
} truck;

typedef struct stats {
    long delivered;
    long failed;
    int quiet;
} stats;

/* Called from kc_producer_poll/flush once per record. */
static void on_delivery(const kc_delivery *d, void *opaque)
{
    stats *s = opaque;
    const truck *t = d->opaque;
    if (d->err) {
        s->failed++;
        fprintf(stderr, "%s: not delivered: %s\n", t->id, d->errstr);
        return;
    }
    s->delivered++;
    if (!s->quiet)
        printf("%s -> %s [partition %d] @ offset %lld\n", t->id, d->topic, d->partition,
               (long long)d->offset);
}

/* A small random step, like a truck driving around Paris. */
static void drive(truck *t, unsigned *seed)
{
    t->lat += ((double)(rand_r(seed) % 2001) - 1000.0) / 1e6;
    t->lon += ((double)(rand_r(seed) % 2001) - 1000.0) / 1e6;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Serves delivery reports until interval_ms have passed (or Ctrl-C):
 * kc_producer_poll returns as soon as it served a report, so one call
 * would not pace the rounds. */
static void wait_serving(kc_producer *p, int interval_ms)
{
    long long end = mono_ms() + interval_ms;
    for (long long left = interval_ms; left > 0 && !interrupted; left = end - mono_ms())
        kc_producer_poll(p, (int)left);
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --bootstrap-server HOST:PORT [--topic trucks_gps] [--trucks N] "
            "[--updates N] [--interval-ms MS] [--producer-property key=value] [--quiet]\n",
            argv0);
    return 2;
}

int main(int argc, char **argv)
{
    const char *topic = "trucks_gps";
    int trucks = 10, interval_ms = 1000;
    long updates = 20;
    stats st = {0};
    char err[512];
    kc_config *conf = kc_config_new();
    if (!conf)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--quiet") == 0) {
            st.quiet = 1;
            continue;
        }
        if (!val)
            return usage(argv[0]);
        i++;
        if (strcmp(arg, "--bootstrap-server") == 0) {
            if (kc_config_set(conf, "bootstrap.servers", val, err, sizeof(err)) != KC_OK)
                goto bad_config;
        } else if (strcmp(arg, "--topic") == 0) {
            topic = val;
        } else if (strcmp(arg, "--trucks") == 0) {
            trucks = atoi(val);
        } else if (strcmp(arg, "--updates") == 0) {
            updates = atol(val);
        } else if (strcmp(arg, "--interval-ms") == 0) {
            interval_ms = atoi(val);
        } else if (strcmp(arg, "--producer-property") == 0) {
            char key[256];
            const char *eq = strchr(val, '=');
            if (!eq || (size_t)(eq - val) >= sizeof(key))
                return usage(argv[0]);
            memcpy(key, val, (size_t)(eq - val));
            key[eq - val] = 0;
            if (kc_config_set(conf, key, eq + 1, err, sizeof(err)) != KC_OK)
                goto bad_config;
        } else {
            return usage(argv[0]);
        }
    }
    if (trucks < 1 || interval_ms < 0)
        return usage(argv[0]);
    kc_config_set_delivery_cb(conf, on_delivery, &st);

    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    /* Fail fast, with a clear message, when the cluster is unreachable. */
    kc_client *client = kc_producer_client(p);
    if (kc_client_connect(client, 10000) != KC_OK) {
        fprintf(stderr, "error: %s\n", kc_client_last_error(client));
        kc_producer_free(p);
        return 1;
    }

    truck *fleet = calloc((size_t)trucks, sizeof(*fleet));
    if (!fleet) {
        kc_producer_free(p);
        return 1;
    }
    unsigned seed = 42;
    for (int i = 0; i < trucks; i++) {
        snprintf(fleet[i].id, sizeof(fleet[i].id), "truck_%d", i + 1);
        fleet[i].lat = 48.8566 + (double)(rand_r(&seed) % 1000) / 1e4;
        fleet[i].lon = 2.3522 + (double)(rand_r(&seed) % 1000) / 1e4;
    }
    signal(SIGINT, on_sigint);
    signal(SIGTERM, on_sigint);

    int status = 0;
    for (long round = 0; !interrupted && (updates == 0 || round < updates); round++) {
        for (int i = 0; i < trucks && !interrupted; i++) {
            truck *t = &fleet[i];
            drive(t, &seed);
            char json[128];
            int n = snprintf(json, sizeof(json), "{\"truck_id\":\"%s\",\"latitude\":%.6f,"
                             "\"longitude\":%.6f}", t->id, t->lat, t->lon);
            kc_record rec = {
                .topic = topic,
                .partition = KC_PARTITION_ANY,
                .key = t->id,
                .key_len = strlen(t->id),
                .value = json,
                .value_len = (size_t)n,
                .timestamp = KC_TIMESTAMP_NOW,
            };
            /* The truck struct is the record's opaque: the delivery report
             * says which truck it was. */
            kc_err e = kc_produce(p, &rec, t);
            if (e) {
                fprintf(stderr, "%s: %s\n", t->id, kc_client_last_error(client));
                status = 1;
            }
        }
        /* Serve delivery reports while waiting for the next round. */
        if (updates == 0 || round + 1 < updates)
            wait_serving(p, interval_ms);
    }
    if (kc_producer_flush(p, 30000) != KC_OK) {
        fprintf(stderr, "error: %s\n", kc_client_last_error(client));
        status = 1;
    }
    fprintf(stderr, "%ld positions delivered to %s, %ld failed\n", st.delivered, topic,
            st.failed);
    kc_producer_close(p, 0);
    free(fleet);
    return status || st.failed ? 1 : 0;

bad_config:
    fprintf(stderr, "error: %s\n", err);
    kc_config_free(conf);
    return 2;
}
