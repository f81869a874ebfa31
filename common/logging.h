/* logging.h — timestamped log lines for the daemons.
 *
 * Owns the line format: "2026-11-27T10:00:00.123Z INFO [component] message".
 * A logger is a small value owned by whoever runs the daemon (no globals);
 * code that logs receives a pointer to it. */
#ifndef STRAIT_LOGGING_H
#define STRAIT_LOGGING_H

#include <stdio.h>

typedef enum st_log_level {
    ST_LOG_DEBUG,
    ST_LOG_INFO,
    ST_LOG_WARN,
    ST_LOG_ERROR,
} st_log_level;

typedef struct st_logger {
    st_log_level level; /* lines below this level are dropped */
    FILE *out;          /* stderr when NULL */
} st_logger;

void st_logf(const st_logger *lg, st_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int st_log_level_parse(const char *name);

#endif
