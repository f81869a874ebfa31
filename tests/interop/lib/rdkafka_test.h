/* rdkafka_test.h — what the librdkafka interop programs (test_librdkafka.c,
 * test_groups_librdkafka.c) share: the "ok - ..." / "FAIL - ..." lines their
 * wrapper scripts count, the failure count that becomes the exit status, a
 * monotonic clock, and setting a librdkafka config that must be accepted.
 * Built into each program by its .sh (gcc ... lib/rdkafka_test.c). */
#ifndef STRAIT_TEST_RDKAFKA_TEST_H
#define STRAIT_TEST_RDKAFKA_TEST_H

#include <librdkafka/rdkafka.h>

/* FAIL lines printed so far. */
extern int failures;

void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds on CLOCK_MONOTONIC. */
double now_s(void);

/* rd_kafka_conf_set, exiting with status 2 when librdkafka refuses it. */
void set(rd_kafka_conf_t *c, const char *k, const char *v);

#endif
