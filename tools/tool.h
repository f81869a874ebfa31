/* tool.h — what the `strait` command-line tools share.
 *
 * Owns the declarations of: the option parser (tools/args.c: Kafka's
 * joptsimple conventions: --name value or --name=value, unique prefixes,
 * repeated options, a usage table), client setup from --bootstrap-server /
 * --command-config / --x-property flags (tools/client.c), and small helpers
 * (topic include lists as regular expressions, topic ids in Kafka's base64
 * form, Kafka's error messages, time parsing: tools/util.c).
 *
 * The tools write results to stdout and diagnostics to stderr in the shapes
 * Kafka's scripts use. They may exit(); nothing in common/ does. */
#ifndef STRAIT_TOOL_H
#define STRAIT_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/kafka_client.h"

#define STRAIT_VERSION "0.1.0"

/* ---- options -------------------------------------------------------------------------- */

typedef enum tool_opt_kind {
    OPT_FLAG,          /* --name */
    OPT_ARG,           /* --name value */
    OPT_OPTIONAL_ARG,  /* --name [value] (a following word starting with "--" is not taken) */
} tool_opt_kind;

typedef struct tool_opt {
    const char *name;      /* without the leading "--" */
    tool_opt_kind kind;
    const char *arg_name;  /* shown in the usage: "--topic <String: topic>" */
    const char *help;
    const char *def;       /* default shown in the usage, or NULL */
} tool_opt;

typedef struct tool_occurrence {
    int opt;               /* index into the option table */
    const char *value;     /* NULL for flags (and an optional arg not given) */
} tool_occurrence;

typedef struct tool_args {
    const char *tool;      /* "kafka-topics"-like name for messages */
    const char *summary;   /* one line printed above the usage */
    const tool_opt *opts;
    size_t opt_count;
    tool_occurrence *occ;  /* in command-line order */
    size_t occ_count;
} tool_args;

/* Parses argv[1..argc) against opts. On a bad flag prints the problem and
 * the usage to stderr and exits 1; --help prints the usage and exits 0;
 * --version prints the version and exits 0. */
void tool_args_parse(tool_args *a, const char *tool, const char *summary, const tool_opt *opts,
                     size_t opt_count, int argc, char **argv);
void tool_args_free(tool_args *a);

bool tool_has(const tool_args *a, const char *name);
/* The last value given for name, or def. */
const char *tool_get(const tool_args *a, const char *name, const char *def);
/* How many times name was given, and the i-th value. */
size_t tool_count(const tool_args *a, const char *name);
const char *tool_value_at(const tool_args *a, const char *name, size_t i);

/* Prints msg (when not NULL) and the usage to stderr, exits 1. */
void tool_usage_exit(const tool_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Prints the usage table to f. */
void tool_print_usage(const tool_args *a, FILE *f);

/* Integer option values: exits with usage on a malformed number. */
int64_t tool_get_long(const tool_args *a, const char *name, int64_t def);

/* ---- clients ------------------------------------------------------------------------------ */

/* A config with bootstrap.servers, client.id and the properties of a Java
 * properties file (--command-config, may be NULL) and of "k=v" strings
 * (may be NULL). Prints the problem and returns NULL on a bad property. */
kc_config *tool_config(const char *bootstrap, const char *client_id, const char *props_file,
                       const char *const *kvs, size_t kv_count);
/* A client for admin calls (allow.auto.create.topics=false) that has
 * reached the cluster within timeout_ms; NULL after printing why (prefixed
 * by err_prefix, e.g. "Error while executing topic command : "). */
kc_client *tool_admin_client(kc_config *conf, int timeout_ms, const char *err_prefix);
/* The timeout the tool's calls use: --timeout if given, else the config's
 * default.api.timeout.ms. */
int tool_timeout(const tool_args *a, const kc_config *conf);
/* Calls set(ctx, name, value) for each property of a Java properties file;
 * false (after printing why) when it cannot be read or set fails. */
typedef bool (*tool_prop_fn)(void *ctx, const char *name, const char *value);
bool tool_props_file(const char *path, tool_prop_fn set, void *ctx);
/* Applies a Java properties file to conf; false (after printing why). */
bool tool_config_load(kc_config *conf, const char *path);
/* Sets one "k=v" on conf; false (after printing why) when malformed. */
bool tool_config_set_kv(kc_config *conf, const char *kv);

/* ---- helpers --------------------------------------------------------------------------------- */

/* Kafka's IncludeList: a Java-style regex, commas meaning "or", matched
 * against the whole topic name. */
typedef struct tool_include tool_include;
tool_include *tool_include_new(const char *pattern, char *err, size_t errlen);
bool tool_include_match(const tool_include *inc, const char *topic);
/* The same pattern as an anchored POSIX extended regex ("^(...)$",
 * malloc'd), for kc_consumer_subscribe. */
char *tool_include_posix(const char *pattern);
void tool_include_free(tool_include *inc);

/* Kafka's Topic.isInternal. */
bool tool_topic_is_internal(const char *topic);

/* A topic id as Kafka prints it (URL-safe base64 without padding, 22
 * chars); buf needs 23 bytes. */
const char *tool_uuid_str(st_uuid id, char *buf);
bool tool_uuid_is_zero(st_uuid id);

/* Kafka's message for an error code ("The group id does not exist."),
 * falling back to the error's name. */
const char *tool_error_message(kc_err err);
/* Kafka's exception class name for an error code ("GroupIdNotFoundException"),
 * or NULL when unknown. */
const char *tool_error_exception(kc_err err);

/* Wall-clock milliseconds since the epoch. */
int64_t tool_now_ms(void);
/* Kafka's Utils.getDateTime: "YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm|+hhmm]",
 * local time when no zone is given. -1 when malformed. */
int64_t tool_parse_datetime(const char *s);
/* java.time.Duration.parse: "PnDTnHnMn.nS" (sign allowed). false when malformed. */
bool tool_parse_duration(const char *s, int64_t *ms);

/* Splits s at sep into a malloc'd array of malloc'd strings. */
char **tool_split(const char *s, char sep, size_t *count);
void tool_free_strings(char **v, size_t count);
/* Trims spaces at both ends in place. */
char *tool_trim(char *s);

/* A growable list of strings (owned copies). */
typedef struct tool_strings {
    char **v;
    size_t count;
    size_t cap;
} tool_strings;
bool tool_strings_add(tool_strings *l, const char *s);
void tool_strings_free(tool_strings *l);
void tool_strings_sort(tool_strings *l);

/* The tools' entry points (tools/<name>.c). */
int tool_topics(int argc, char **argv);
int tool_console_producer(int argc, char **argv);
int tool_console_consumer(int argc, char **argv);
int tool_consumer_groups(int argc, char **argv);
int tool_configs(int argc, char **argv);
int tool_get_offsets(int argc, char **argv);

#endif
