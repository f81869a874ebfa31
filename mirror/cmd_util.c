/* cmd_util.c — the pieces both `strait-mirror` commands (cmd_failover.c,
 * cmd_status.c) share, declared in commands.h: flag scanning, the aligned
 * text table, number and age formatting, the clock, and the "cluster
 * unreachable" test. Knows nothing of either command's flags or columns. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mirror/commands.h"

/* ---- Flags ---------------------------------------------------------------------------------------- */

int cmd_flag_next(const cmd_flag *flags, size_t n, int argc, char **argv, int *i,
                  const char **value, char *errbuf, size_t errlen)
{
    const char *arg = argv[*i];
    *value = NULL;
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
        snprintf(errbuf, errlen, "unexpected argument '%s' (flags start with --)", arg);
        return -1;
    }
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t k = 0; k < n; k++) {
        if (strlen(flags[k].name) != len || strncmp(flags[k].name, name, len) != 0)
            continue;
        if (!flags[k].has_value) {
            if (eq) {
                snprintf(errbuf, errlen, "flag --%s takes no value", flags[k].name);
                return -1;
            }
            (*i)++;
            return (int)k;
        }
        if (eq) {
            *value = eq + 1;
            (*i)++;
        } else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
            *value = argv[*i + 1];
            *i += 2;
        } else {
            snprintf(errbuf, errlen, "flag --%s needs a value", flags[k].name);
            return -1;
        }
        return (int)k;
    }
    snprintf(errbuf, errlen, "unknown flag --%.*s", (int)len, name);
    return -1;
}

bool cmd_parse_positive_int(const char *flag, const char *text, int *out, char *errbuf,
                            size_t errlen)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < 1 || v > INT_MAX) {
        snprintf(errbuf, errlen, "flag --%s: '%s' is not a positive integer", flag, text);
        return false;
    }
    *out = (int)v;
    return true;
}

/* ---- Tables ------------------------------------------------------------------------------------------- */

void cmd_table_init(cmd_table *t, const char *const *headers, size_t columns)
{
    *t = (cmd_table){.headers = headers, .columns = columns};
}

bool cmd_table_add(cmd_table *t, const char *const *cells)
{
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **grown = realloc(t->cells, cap * t->columns * sizeof(*grown));
        if (!grown)
            return false;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = &t->cells[t->rows * t->columns];
    for (size_t c = 0; c < t->columns; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "-");
        if (!row[c]) {
            while (c > 0)
                free(row[--c]);
            return false;
        }
    }
    t->rows++;
    return true;
}

static void print_line(const char *const *cells, const size_t *widths, size_t columns, FILE *out)
{
    for (size_t c = 0; c < columns; c++) {
        if (c + 1 < columns)
            fprintf(out, "%-*s ", (int)widths[c], cells[c]);
        else
            fprintf(out, "%s\n", cells[c]);
    }
}

void cmd_table_print(const cmd_table *t, FILE *out)
{
    size_t *widths = calloc(t->columns ? t->columns : 1, sizeof(*widths));
    if (!widths)
        return;
    for (size_t c = 0; c < t->columns; c++) {
        widths[c] = strlen(t->headers[c]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t len = strlen(t->cells[r * t->columns + c]);
            if (len > widths[c])
                widths[c] = len;
        }
    }
    print_line(t->headers, widths, t->columns, out);
    for (size_t r = 0; r < t->rows; r++)
        print_line((const char *const *)&t->cells[r * t->columns], widths, t->columns, out);
    free(widths);
}

void cmd_table_free(cmd_table *t)
{
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
    *t = (cmd_table){0};
}

/* ---- Small helpers -------------------------------------------------------------------------------------- */

const char *cmd_format_number(bool known, int64_t v, char *buf, size_t len)
{
    if (!known)
        return "-";
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

const char *cmd_format_age(int64_t ms, char *buf, size_t len)
{
    long long s = ms > 0 ? (long long)(ms / 1000) : 0;
    if (s < 120)
        snprintf(buf, len, "%lld s", s);
    else if (s < 120 * 60)
        snprintf(buf, len, "%lld min", s / 60);
    else if (s < 48 * 3600)
        snprintf(buf, len, "%lld h", s / 3600);
    else
        snprintf(buf, len, "%lld d", s / 86400);
    return buf;
}

int64_t cmd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cmd_unreachable(kc_err err)
{
    return err == KC_ERR_TRANSPORT || err == KC_ERR_TIMED_OUT || err == KC_ERR_RESOLVE;
}
