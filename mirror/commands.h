/* commands.h — the `strait-mirror` commands besides running the daemon:
 * `failover` (cmd_failover.c) and `status` (cmd_status.c).
 *
 * Owns: each command's entry point (returns the process exit status:
 * MIRROR_CMD_OK, MIRROR_CMD_FAILED, MIRROR_CMD_USAGE; prints results to
 * stdout and diagnostics to stderr; never exits), and the pieces of the
 * commands that need no network, public so the unit tests can reach them:
 * argument parsing, the aligned text table both commands print (Kafka's
 * tool layout: upper-case hyphenated headers, left-aligned columns, "-"
 * for a missing value), and the row formatting of each table.
 *
 * The helpers both commands share (cmd_flag_next, cmd_parse_positive_int,
 * cmd_table_*, cmd_format_number, cmd_format_age, cmd_now_ms,
 * cmd_unreachable) live in cmd_util.c.
 */
#ifndef STRAIT_MIRROR_COMMANDS_H
#define STRAIT_MIRROR_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/kafka_client.h"
#include "common/logging.h"
#include "mirror/offset_store.h"

/* Exit statuses of the commands. */
enum {
    MIRROR_CMD_OK = 0,
    MIRROR_CMD_FAILED = 1,  /* something could not be done (message on stderr) */
    MIRROR_CMD_USAGE = 2,   /* bad command line (message and usage on stderr) */
};

/* `strait-mirror failover --config FILE --source C --target C
 *  (--group G ... | --all-groups) [--dry-run|--execute] [--timeout-ms N]`.
 * argv[0] is the command name ("failover"). */
int mirror_cmd_failover(int argc, char **argv, const st_logger *log);
/* `strait-mirror status --config FILE [--flow NAME] [--live] [--timeout-ms N]`. */
int mirror_cmd_status(int argc, char **argv, const st_logger *log);

/* ---- Command lines ------------------------------------------------------------------------ */

typedef enum cmd_parse_result {
    CMD_PARSE_OK,
    CMD_PARSE_HELP,   /* --help / -h: print the usage to stdout, exit 0 */
    CMD_PARSE_ERROR,  /* errbuf names the flag and what is wrong */
} cmd_parse_result;

#define CMD_DEFAULT_TIMEOUT_MS 5000

/* One flag a command accepts: "--name", or "--name VALUE" / "--name=VALUE". */
typedef struct cmd_flag {
    const char *name;      /* without the leading "--" */
    bool has_value;
} cmd_flag;

/* Reads the flag at argv[*i] and advances *i past it (and past its value).
 * Returns its index in flags[0..n) with *value set (NULL for a flag
 * without value), or -1 with errbuf saying what is wrong: not a flag, an
 * unknown flag, a missing value, a value given to a flag that takes none.
 * A separate value may not start with "--" (taken as a forgotten value:
 * "--config --source east"); such a value can be given as --name=VALUE. */
int cmd_flag_next(const cmd_flag *flags, size_t n, int argc, char **argv, int *i,
                  const char **value, char *errbuf, size_t errlen);
/* A decimal integer in 1..INT_MAX; false with errbuf naming --flag. */
bool cmd_parse_positive_int(const char *flag, const char *text, int *out, char *errbuf,
                            size_t errlen);

/* What `failover` was asked. Strings point into argv (which must outlive
 * the args); the groups array is malloc'd: failover_args_free. */
typedef struct failover_args {
    const char *config_path;
    const char *source;        /* cluster names */
    const char *target;
    const char **groups;       /* --group values, in order, duplicates dropped */
    size_t group_count;
    bool all_groups;
    bool execute;              /* false: dry run (the default) */
    int timeout_ms;            /* every admin call; CMD_DEFAULT_TIMEOUT_MS */
} failover_args;

/* Parses argv[1..argc). On CMD_PARSE_ERROR nothing needs freeing. */
cmd_parse_result failover_args_parse(failover_args *out, int argc, char **argv, char *errbuf,
                                     size_t errlen);
void failover_args_free(failover_args *args);
void failover_usage(FILE *out);

/* What `status` was asked (strings point into argv). */
typedef struct status_args {
    const char *config_path;
    const char *flow;          /* NULL: every flow */
    bool live;                 /* query the sources' end offsets now */
    int timeout_ms;
} status_args;

cmd_parse_result status_args_parse(status_args *out, int argc, char **argv, char *errbuf,
                                   size_t errlen);
void status_usage(FILE *out);

/* ---- Text tables ---------------------------------------------------------------------------- */

/* Rows of strings printed with aligned columns: each column as wide as its
 * widest cell or header, one space between columns, no trailing spaces. */
typedef struct cmd_table {
    const char *const *headers;  /* the caller's; must outlive the table */
    size_t columns;
    char **cells;                /* rows * columns copies, owned */
    size_t rows;
    size_t cap;                  /* rows allocated */
} cmd_table;

void cmd_table_init(cmd_table *t, const char *const *headers, size_t columns);
/* Appends a row of `columns` cells (copied; NULL prints as "-"). false when
 * out of memory (the table is unchanged). */
bool cmd_table_add(cmd_table *t, const char *const *cells);
void cmd_table_print(const cmd_table *t, FILE *out);
void cmd_table_free(cmd_table *t);

/* v in decimal into buf, or "-" when !known. Returns buf or "-". */
const char *cmd_format_number(bool known, int64_t v, char *buf, size_t len);
/* A duration as people read it: "12 s", "7 min", "5 h", "3 d" (negative
 * durations, from clock skew, read as 0 s). Returns buf. */
const char *cmd_format_age(int64_t ms, char *buf, size_t len);
/* Wall-clock milliseconds since the epoch. */
int64_t cmd_now_ms(void);
/* Whether err means the cluster could not be reached at all (transport
 * failure, timeout, unresolvable host), as opposed to an answer. */
bool cmd_unreachable(kc_err err);

/* ---- The failover table ------------------------------------------------------------------------ */

#define FAILOVER_TOPIC_MAX 512

/* One partition of a group to move. */
typedef struct failover_row {
    const char *group;
    const char *topic;           /* source topic */
    int32_t partition;
    int64_t source_offset;       /* the group's committed offset on the source */
    bool from_checkpoint;        /* ORIGIN: the store's checkpoint, else read live */
    const char *metadata;        /* commit metadata to carry over (NULL: none) */
    char target_topic[FAILOVER_TOPIC_MAX];
    bool translated;             /* false: no translation known (printed "-", left alone) */
    int64_t target_offset;
    int64_t unmirrored;          /* source offsets at/after the mirror's position */
    int64_t target_end;          /* the target partition's end offset, -1 unknown */
} failover_row;

/* GROUP TOPIC PARTITION SOURCE-OFFSET ORIGIN TARGET-TOPIC TARGET-OFFSET
 * TARGET-END LAG UNMIRRORED, one line per row. LAG is TARGET-END -
 * TARGET-OFFSET: what the group has left to read on the target. */
void failover_print_table(FILE *out, const failover_row *rows, size_t n);

/* ---- The status table ----------------------------------------------------------------------------- */

/* FLOW TOPIC PARTITION TARGET-TOPIC REPLICATED-OFFSET SOURCE-END LAG-RECORDS
 * LAG-SECONDS RECORDS ERRORS LAST-ERROR UPDATED, one line per row; ages
 * are taken relative to now_ms. LAST-ERROR is cut to 60 characters. */
void status_print_table(FILE *out, const store_status *rows, size_t n, int64_t now_ms);

/* Sets a row's source end to a freshly read value and recomputes its lag
 * (never negative; a row with no lag left has 0 lag seconds). */
void status_apply_source_end(store_status *row, int64_t source_end);

#endif
