/* log_fixture.h — test helpers shared by the partition log tests
 * (test_log.c, test_log_cleaner.c): a temporary directory per test holding
 * one partition directory, opening a log there at the fixed clock T0, and
 * counting a directory's files by suffix. Test-only; failures are cmocka
 * assertions. */
#ifndef STRAIT_TEST_LOG_FIXTURE_H
#define STRAIT_TEST_LOG_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/log.h"

/* The clock every log test starts from. */
#define T0 INT64_C(1700000000000)

typedef struct log_fixture {
    char root[64];  /* /tmp/strait-<name>-XXXXXX */
    char dir[128];  /* root/topic-0, created */
    char copy[128]; /* root/copy-0, for crash images (not created) */
} log_fixture;

/* cmocka setup and teardown bodies: *state becomes a new fixture whose
 * root is named after name; teardown removes the whole root. */
int log_fixture_setup(void **state, const char *name);
int log_fixture_teardown(void **state);

/* st_log_open at T0, failing the test with the open's detail on error;
 * info may be NULL. */
st_log *log_fixture_open(const char *dir, const st_log_config *cfg, bool clean,
                         st_log_open_info *info);

/* How many entries of dir end with suffix. */
int log_fixture_count_files(const char *dir, const char *suffix);

#endif
