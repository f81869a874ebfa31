/* logging.c — log line formatting (see logging.h). */
#include "common/logging.h"

#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *level_name(st_log_level level)
{
    switch (level) {
    case ST_LOG_DEBUG: return "DEBUG";
    case ST_LOG_INFO: return "INFO";
    case ST_LOG_WARN: return "WARN";
    case ST_LOG_ERROR: return "ERROR";
    }
    return "?";
}

void st_logf(const st_logger *lg, st_log_level level, const char *component, const char *fmt, ...)
{
    if (lg && level < lg->level)
        return;
    FILE *out = lg && lg->out ? lg->out : stderr;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(out, "%s.%03dZ %s [%s] %s\n", stamp, (int)(tv.tv_usec / 1000), level_name(level),
            component, line);
    fflush(out);
}

int st_log_level_parse(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}
