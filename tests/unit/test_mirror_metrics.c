/* test_mirror_metrics.c — the mirror's metrics registry and Prometheus
 * endpoint: rendered lines with labels and values, label escaping, unknown
 * values left out, removal, flow counters aggregating, the log summary's
 * rates, concurrent updates, and the HTTP endpoint (200 with the exposition
 * content type, 404, 405, port in use, non-IPv4 host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "mirror/metrics.h"
#include "mirror/metrics_http.h"

/* A stats value with every figure known. */
static mirror_partition_stats stats_of(const char *target, int64_t position, int64_t end,
                                       int64_t records, int64_t bytes)
{
    mirror_partition_stats s = {
        .target_topic = target,
        .position = position,
        .source_end = end,
        .lag_records = end - position,
        .lag_seconds = 1.5,
        .records_total = records,
        .bytes_total = bytes,
        .errors_total = 0,
        .last_error = NULL,
    };
    return s;
}

/* Renders m into a string the test frees. */
static char *render(mirror_metrics *m)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(mirror_metrics_render(m, &text, &len), ST_OK);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("expected to find:\n%s\nin:\n%s", needle, text);
}

static void assert_lacks(const char *text, const char *needle)
{
    if (strstr(text, needle))
        fail_msg("did not expect:\n%s\nin:\n%s", needle, text);
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Every line is a comment or a sample of ours: no raw newline leaked from a
 * label value, and the text ends with a newline. */
static void assert_well_formed(const char *text)
{
    size_t len = strlen(text);
    assert_true(len > 0);
    assert_int_equal(text[len - 1], '\n');
    for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
        if (strncmp(line, "# HELP strait_mirror_", 21) != 0 &&
            strncmp(line, "# TYPE strait_mirror_", 21) != 0 &&
            strncmp(line, "strait_mirror_", 14) != 0)
            fail_msg("malformed line at: %.60s", line);
    }
}

static void test_render_partition_lines(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats s = stats_of("east.orders", 95, 100, 1234, 56789);
    s.errors_total = 2;
    mirror_metrics_set_partition(m, "east-to-west", "orders", 3, &s);
    char *text = render(m);
    assert_well_formed(text);
    const char *labels = "{flow=\"east-to-west\",topic=\"orders\",partition=\"3\","
                         "target_topic=\"east.orders\"}";
    char line[256];
    assert_has(text, "# TYPE strait_mirror_up gauge\nstrait_mirror_up 1\n");
    assert_has(text, "# HELP strait_mirror_records_total ");
    assert_has(text, "# TYPE strait_mirror_records_total counter\n");
    assert_has(text, "# TYPE strait_mirror_bytes_total counter\n");
    assert_has(text, "# TYPE strait_mirror_errors_total counter\n");
    assert_has(text, "# TYPE strait_mirror_lag_records gauge\n");
    assert_has(text, "# TYPE strait_mirror_lag_seconds gauge\n");
    assert_has(text, "# TYPE strait_mirror_replicated_offset gauge\n");
    assert_has(text, "# TYPE strait_mirror_source_end_offset gauge\n");
    snprintf(line, sizeof(line), "\nstrait_mirror_records_total%s 1234\n", labels);
    assert_has(text, line);
    snprintf(line, sizeof(line), "\nstrait_mirror_bytes_total%s 56789\n", labels);
    assert_has(text, line);
    snprintf(line, sizeof(line), "\nstrait_mirror_errors_total%s 2\n", labels);
    assert_has(text, line);
    snprintf(line, sizeof(line), "\nstrait_mirror_lag_records%s 5\n", labels);
    assert_has(text, line);
    snprintf(line, sizeof(line), "\nstrait_mirror_lag_seconds%s 1.500\n", labels);
    assert_has(text, line);
    snprintf(line, sizeof(line), "\nstrait_mirror_replicated_offset%s 95\n", labels);
    assert_has(text, line);
    snprintf(line, sizeof(line), "\nstrait_mirror_source_end_offset%s 100\n", labels);
    assert_has(text, line);
    free(text);

    /* A second report replaces the values: still one series. */
    s = stats_of("east.orders", 100, 100, 1239, 57000);
    mirror_metrics_set_partition(m, "east-to-west", "orders", 3, &s);
    text = render(m);
    snprintf(line, sizeof(line), "\nstrait_mirror_records_total%s 1239\n", labels);
    assert_has(text, line);
    assert_int_equal(count_of(text, "\nstrait_mirror_records_total{"), 1);
    snprintf(line, sizeof(line), "\nstrait_mirror_lag_records%s 0\n", labels);
    assert_has(text, line);
    free(text);
    mirror_metrics_free(m);
}

static void test_unknown_values_are_left_out(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats s = stats_of(NULL, 7, -1, 0, 0);
    s.lag_records = -1;
    s.lag_seconds = -1;
    mirror_metrics_set_partition(m, "f", "t", 0, &s);
    char *text = render(m);
    assert_well_formed(text);
    assert_has(text, "# TYPE strait_mirror_lag_records gauge\n");
    assert_lacks(text, "\nstrait_mirror_lag_records{");
    assert_lacks(text, "\nstrait_mirror_lag_seconds{");
    assert_lacks(text, "\nstrait_mirror_source_end_offset{");
    /* Unknown target topic renders as an empty label value. */
    assert_has(text, "\nstrait_mirror_replicated_offset{flow=\"f\",topic=\"t\",partition=\"0\","
                     "target_topic=\"\"} 7\n");
    assert_has(text, "\nstrait_mirror_records_total{flow=\"f\",topic=\"t\",partition=\"0\","
                     "target_topic=\"\"} 0\n");
    free(text);
    mirror_metrics_free(m);
}

static void test_label_values_are_escaped(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats s = stats_of("x\\y", 1, 2, 3, 4);
    mirror_metrics_set_partition(m, "fl\"ow", "to\\pic\nnext", 1, &s);
    mirror_metrics_add_flow_error(m, "fl\"ow", "ki\nnd", 1);
    char *text = render(m);
    assert_well_formed(text);
    assert_has(text, "\nstrait_mirror_records_total{flow=\"fl\\\"ow\",topic=\"to\\\\pic\\nnext\","
                     "partition=\"1\",target_topic=\"x\\\\y\"} 3\n");
    assert_has(text, "\nstrait_mirror_flow_errors_total{flow=\"fl\\\"ow\",kind=\"ki\\nnd\"} 1\n");
    free(text);
    mirror_metrics_free(m);
}

static void test_remove_partition(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats s = stats_of("t", 1, 1, 10, 100);
    mirror_metrics_set_partition(m, "f", "t", 0, &s);
    mirror_metrics_set_partition(m, "f", "t", 1, &s);
    mirror_metrics_set_partition(m, "g", "t", 0, &s);
    mirror_metrics_remove_partition(m, "f", "t", 0);
    mirror_metrics_remove_partition(m, "f", "t", 0);      /* again: no-op */
    mirror_metrics_remove_partition(m, "f", "absent", 9); /* unknown: no-op */
    char *text = render(m);
    assert_lacks(text, "{flow=\"f\",topic=\"t\",partition=\"0\"");
    assert_has(text, "\nstrait_mirror_records_total{flow=\"f\",topic=\"t\",partition=\"1\","
                     "target_topic=\"t\"} 10\n");
    assert_has(text, "\nstrait_mirror_records_total{flow=\"g\",topic=\"t\",partition=\"0\","
                     "target_topic=\"t\"} 10\n");
    assert_int_equal(count_of(text, "\nstrait_mirror_records_total{"), 2);
    free(text);
    /* Removed, then reported again: comes back. */
    mirror_metrics_set_partition(m, "f", "t", 0, &s);
    text = render(m);
    assert_int_equal(count_of(text, "\nstrait_mirror_records_total{"), 3);
    free(text);
    mirror_metrics_free(m);
}

static void test_series_are_sorted(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats s = stats_of("t", 1, 1, 1, 1);
    mirror_metrics_set_partition(m, "b", "t", 10, &s);
    mirror_metrics_set_partition(m, "b", "t", 2, &s);
    mirror_metrics_set_partition(m, "a", "z", 0, &s);
    mirror_metrics_set_partition(m, "b", "a", 5, &s);
    char *text = render(m);
    const char *az = strstr(text, "records_total{flow=\"a\",topic=\"z\",partition=\"0\"");
    const char *ba = strstr(text, "records_total{flow=\"b\",topic=\"a\",partition=\"5\"");
    const char *bt2 = strstr(text, "records_total{flow=\"b\",topic=\"t\",partition=\"2\"");
    const char *bt10 = strstr(text, "records_total{flow=\"b\",topic=\"t\",partition=\"10\"");
    assert_non_null(az);
    assert_non_null(ba);
    assert_non_null(bt2);
    assert_non_null(bt10);
    assert_true(az < ba);
    assert_true(ba < bt2);
    assert_true(bt2 < bt10);
    free(text);
    mirror_metrics_free(m);
}

static void test_flow_counters_aggregate(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_metrics_add_flow_error(m, "east", "source", 2);
    mirror_metrics_add_flow_error(m, "east", "source", 3);
    mirror_metrics_add_flow_error(m, "east", "target", 1);
    mirror_metrics_add_flow_error(m, "east", "target", -4); /* ignored */
    mirror_metrics_add_flow_error(m, "west", "produce", 0); /* series at 0 */
    mirror_metrics_add_flow_counter(m, "east", "checkpoints", 4);
    mirror_metrics_add_flow_counter(m, "east", "checkpoints", 6);
    mirror_metrics_add_flow_counter(m, "west", "checkpoints", 1);
    mirror_metrics_add_flow_counter(m, "west", "groups-synced", 2); /* sanitized */
    mirror_metrics_add_flow_counter(m, "west", "groups_synced", 1);
    mirror_metrics_add_flow_counter(m, "west", "errors", 9); /* reserved: ignored */
    mirror_metrics_add_flow_counter(m, "west", "up", 9);     /* reserved: ignored */
    mirror_metrics_add_flow_counter(m, "west", "", 9);       /* empty: ignored */
    mirror_metrics_set_flow_up(m, "east", 1);
    mirror_metrics_set_flow_up(m, "west", 1);
    mirror_metrics_set_flow_up(m, "west", 0);
    char *text = render(m);
    assert_well_formed(text);
    assert_has(text, "# TYPE strait_mirror_flow_errors_total counter\n");
    assert_has(text, "\nstrait_mirror_flow_errors_total{flow=\"east\",kind=\"source\"} 5\n");
    assert_has(text, "\nstrait_mirror_flow_errors_total{flow=\"east\",kind=\"target\"} 1\n");
    assert_has(text, "\nstrait_mirror_flow_errors_total{flow=\"west\",kind=\"produce\"} 0\n");
    assert_int_equal(count_of(text, "# TYPE strait_mirror_flow_checkpoints_total counter\n"), 1);
    assert_has(text, "\nstrait_mirror_flow_checkpoints_total{flow=\"east\"} 10\n");
    assert_has(text, "\nstrait_mirror_flow_checkpoints_total{flow=\"west\"} 1\n");
    assert_has(text, "# TYPE strait_mirror_flow_groups_synced_total counter\n");
    assert_has(text, "\nstrait_mirror_flow_groups_synced_total{flow=\"west\"} 3\n");
    assert_lacks(text, "groups_synced_total{flow=\"east\"}");
    assert_lacks(text, "strait_mirror_flow_errors_total{flow=\"west\"} ");
    assert_lacks(text, "strait_mirror_flow_up_total");
    assert_lacks(text, "strait_mirror_flow__total");
    assert_has(text, "# TYPE strait_mirror_flow_up gauge\n");
    assert_has(text, "\nstrait_mirror_flow_up{flow=\"east\"} 1\n");
    assert_has(text, "\nstrait_mirror_flow_up{flow=\"west\"} 0\n");
    free(text);
    mirror_metrics_free(m);
}

/* Runs mirror_metrics_log_at into a memory stream; returns the text (the
 * test frees it). */
static char *log_text(mirror_metrics *m, int64_t now_ms)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    st_logger log = {.level = ST_LOG_INFO, .out = out};
    mirror_metrics_log_at(m, &log, now_ms);
    fclose(out);
    return buf;
}

static void test_log_rates_and_summary(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats a = stats_of("t", 0, 0, 0, 0);
    a.lag_seconds = 0;
    mirror_metrics_set_partition(m, "east", "t", 0, &a);
    mirror_metrics_set_partition(m, "east", "t", 1, &a);
    mirror_metrics_add_flow_error(m, "west", "source", 1); /* a flow with no partitions */
    free(log_text(m, 1000000)); /* baseline */

    a = stats_of("t", 300, 310, 300, 3000); /* lag 10 records, 1.5 s */
    mirror_metrics_set_partition(m, "east", "t", 0, &a);
    mirror_partition_stats b = stats_of("t", 200, 205, 200, 2000); /* lag 5 */
    b.lag_seconds = 4.25;
    b.last_error = "NOT_LEADER_OR_FOLLOWER";
    mirror_metrics_set_partition(m, "east", "t", 1, &b);
    char *text = log_text(m, 1002000); /* 2 s later: 500 records, 5000 bytes */
    assert_has(text, " INFO [metrics] flow east: 250.0 records/s, 2500.0 bytes/s, lag 15 records, "
                     "max lag 4.250 s, 2 partitions, 1 with errors (e.g. t/1: "
                     "NOT_LEADER_OR_FOLLOWER)\n");
    assert_has(text, "[metrics] flow west: 0.0 records/s, 0.0 bytes/s, lag 0 records, max lag "
                     "0.000 s, 0 partitions, 0 with errors\n");
    assert_int_equal(count_of(text, "\n"), 2);
    free(text);

    /* A removed partition's totals stay counted: no negative rate, and the
     * remaining partition's progress shows. */
    mirror_metrics_remove_partition(m, "east", "t", 1);
    a.records_total = 400;
    mirror_metrics_set_partition(m, "east", "t", 0, &a);
    text = log_text(m, 1003000);
    assert_has(text, "flow east: 100.0 records/s, 0.0 bytes/s, lag 10 records, max lag 1.500 s, "
                     "1 partitions, 0 with errors\n");
    free(text);

    /* Below the logger's level: nothing. */
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    st_logger quiet = {.level = ST_LOG_WARN, .out = out};
    mirror_metrics_log(m, &quiet);
    fclose(out);
    assert_int_equal(size, 0);
    free(buf);
    mirror_metrics_free(m);
}

typedef struct writer_arg {
    mirror_metrics *m;
    int id;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    char flow[16];
    snprintf(flow, sizeof(flow), "flow%d", w->id);
    for (int i = 0; i < 2000; i++) {
        mirror_partition_stats s = stats_of("t", i, i + 1, i, i);
        mirror_metrics_set_partition(w->m, flow, "t", i % 16, &s);
        mirror_metrics_add_flow_counter(w->m, flow, "checkpoints", 1);
        if (i % 3 == 0)
            mirror_metrics_remove_partition(w->m, flow, "t", (i + 5) % 16);
    }
    return NULL;
}

static void test_concurrent_updates_and_renders(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    pthread_t threads[3];
    writer_arg args[3];
    for (int i = 0; i < 3; i++) {
        args[i] = (writer_arg){m, i};
        assert_int_equal(pthread_create(&threads[i], NULL, writer, &args[i]), 0);
    }
    for (int i = 0; i < 50; i++) {
        char *text = render(m);
        assert_well_formed(text);
        free(text);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], NULL);
    char *text = render(m);
    assert_has(text, "\nstrait_mirror_flow_checkpoints_total{flow=\"flow0\"} 2000\n");
    assert_has(text, "\nstrait_mirror_flow_checkpoints_total{flow=\"flow2\"} 2000\n");
    free(text);
    mirror_metrics_free(m);
}

/* ---- HTTP ------------------------------------------------------------- */

/* Sends request to 127.0.0.1:port and reads until the server closes (at
 * most 5 s per read); returns the whole response (the test frees it). */
static char *http_exchange(int port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 5};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    size_t want = strlen(request);
    assert_int_equal(write(fd, request, want), (ssize_t)want);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (cap - len < 1024) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0)
            fail_msg("reading the HTTP response failed or timed out after %zu bytes", len);
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(fd);
    return buf;
}

static void test_http_serves_metrics(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    mirror_partition_stats s = stats_of("east.orders", 41, 50, 41, 410);
    mirror_metrics_set_partition(m, "east", "orders", 0, &s);
    char err[256] = "";
    mirror_http *h = mirror_http_start(m, "127.0.0.1", 0, err, sizeof(err));
    if (!h)
        fail_msg("mirror_http_start: %s", err);
    int port = mirror_http_port(h);
    assert_true(port > 0 && port <= 65535);

    char *resp = http_exchange(port, "GET /metrics HTTP/1.0\r\n\r\n");
    assert_true(strncmp(resp, "HTTP/1.", 7) == 0);
    assert_has(resp, " 200 ");
    assert_has(resp, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
    assert_has(resp, "\r\n\r\n# HELP strait_mirror_up ");
    assert_has(resp, "\nstrait_mirror_replicated_offset{flow=\"east\",topic=\"orders\","
                     "partition=\"0\",target_topic=\"east.orders\"} 41\n");
    free(resp);

    /* Each scrape renders afresh. */
    s.position = 50;
    mirror_metrics_set_partition(m, "east", "orders", 0, &s);
    resp = http_exchange(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert_has(resp, " 200 ");
    assert_has(resp, "target_topic=\"east.orders\"} 50\n");
    free(resp);

    resp = http_exchange(port, "GET /other HTTP/1.0\r\n\r\n");
    assert_true(strncmp(resp, "HTTP/1.", 7) == 0);
    assert_has(resp, " 404 ");
    assert_lacks(resp, "strait_mirror_up");
    free(resp);

    resp = http_exchange(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    assert_has(resp, " 405 ");
    assert_has(resp, "Allow: GET, HEAD\r\n");
    assert_lacks(resp, "strait_mirror_up");
    free(resp);

    /* The same port again: refused, naming host:port and the reason. */
    char second_err[512] = "";
    mirror_http *second = mirror_http_start(m, "127.0.0.1", port, second_err, sizeof(second_err));
    assert_null(second);
    char where[64];
    snprintf(where, sizeof(where), "127.0.0.1:%d", port);
    assert_has(second_err, where);
    assert_has(second_err, "in use");

    mirror_http_stop(h);
    mirror_metrics_free(m);
}

static void test_http_refuses_non_ipv4_hosts(void **state)
{
    (void)state;
    mirror_metrics *m = mirror_metrics_new();
    assert_non_null(m);
    const char *hosts[] = {"::1", "localhost", "", "127.0.0.1.5"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        char err[512] = "";
        assert_null(mirror_http_start(m, hosts[i], 9464, err, sizeof(err)));
        assert_has(err, "not an IPv4 address");
        char where[64];
        snprintf(where, sizeof(where), "%s:9464", hosts[i]);
        assert_has(err, where);
    }
    char err[256] = "";
    assert_null(mirror_http_start(m, "127.0.0.1", 70000, err, sizeof(err)));
    assert_has(err, "127.0.0.1:70000");
    mirror_http_stop(NULL);
    mirror_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_partition_lines),
        cmocka_unit_test(test_unknown_values_are_left_out),
        cmocka_unit_test(test_label_values_are_escaped),
        cmocka_unit_test(test_remove_partition),
        cmocka_unit_test(test_series_are_sorted),
        cmocka_unit_test(test_flow_counters_aggregate),
        cmocka_unit_test(test_log_rates_and_summary),
        cmocka_unit_test(test_concurrent_updates_and_renders),
        cmocka_unit_test(test_http_serves_metrics),
        cmocka_unit_test(test_http_refuses_non_ipv4_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
