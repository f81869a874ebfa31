/* console_consumer.c — `strait console-consumer`, Kafka's
 * kafka-console-consumer.sh: prints records to stdout.
 *
 * Owns the tool's flags and Kafka's DefaultMessageFormatter output
 * (print.timestamp → "CreateTime:<ms>", print.partition → "Partition:<n>",
 * print.offset → "Offset:<n>", print.headers → "k:v,k2:v2" or "NO_HEADERS",
 * print.key, print.value; separated by key.separator, ended by
 * line.separator, nulls as null.literal). Without --group it joins a random
 * group "console-consumer-<n>" without committing, as Kafka does; with
 * --partition it assigns that partition and starts at --offset. Ctrl-C (or
 * --max-messages, or --timeout-ms without records) closes the consumer,
 * which commits (when auto commit is on) and leaves the group, then prints
 * "Processed a total of N messages" on stderr. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tools/tool.h"

static const tool_opt opts[] = {
    {"bootstrap-server", OPT_ARG, "String: server to connect to",
     "REQUIRED: The server(s) to connect to.", NULL},
    {"topic", OPT_ARG, "String: topic", "The topic to consume on.", NULL},
    {"include", OPT_ARG, "String: Java regex (String)", "Regular expression specifying list of "
     "topics to include for consumption.", NULL},
    {"whitelist", OPT_ARG, "String: Java regex (String)", "DEPRECATED, use --include.", NULL},
    {"partition", OPT_ARG, "Integer: partition", "The partition to consume from. Consumption "
     "starts from the end of the partition unless '--offset' is specified.", NULL},
    {"offset", OPT_ARG, "String: consume offset", "The offset to consume from (a non-negative "
     "number), or 'earliest' which means from beginning, or 'latest' which means from end",
     "latest"},
    {"group", OPT_ARG, "String: consumer group id", "The consumer group id of the consumer.",
     NULL},
    {"from-beginning", OPT_FLAG, NULL, "If the consumer does not already have an established "
     "offset to consume from, start with the earliest message present in the log rather than "
     "the latest message.", NULL},
    {"max-messages", OPT_ARG, "Integer: num_messages", "The maximum number of messages to "
     "consume before exiting. If not set, consumption is continual.", NULL},
    {"timeout-ms", OPT_ARG, "Long: timeout_ms", "If specified, exit if no message is available "
     "for consumption for the specified interval.", NULL},
    {"skip-message-on-error", OPT_FLAG, NULL, "If there is an error when processing a message, "
     "skip it instead of halt.", NULL},
    {"isolation-level", OPT_ARG, "String", "Set to read_committed in order to filter out "
     "transactional messages which are not committed. Set to read_uncommitted to read all "
     "messages.", "read_uncommitted"},
    {"property", OPT_ARG, "String: prop", "The properties to initialize the message formatter: "
     "print.timestamp, print.key, print.value, print.partition, print.offset, print.headers, "
     "key.separator, line.separator, headers.separator, null.literal.", NULL},
    {"formatter-property", OPT_ARG, "String: prop", "Same as --property.", NULL},
    {"formatter-config", OPT_ARG, "String: config file",
     "Config properties file to initialize the message formatter.", NULL},
    {"formatter", OPT_ARG, "String: class", "The name of a class to use for formatting kafka "
     "messages for display (only the default formatter exists in strait).",
     "org.apache.kafka.tools.consumer.DefaultMessageFormatter"},
    {"consumer-property", OPT_ARG, "String: consumer_prop", "A mechanism to pass user-defined "
     "properties in the form key=value to the consumer.", NULL},
    {"command-property", OPT_ARG, "String: consumer_prop", "Same as --consumer-property.", NULL},
    {"consumer.config", OPT_ARG, "String: config file", "Consumer config properties file. Note "
     "that [consumer-property] takes precedence over this config.", NULL},
    {"command-config", OPT_ARG, "String: config file", "Same as --consumer.config.", NULL},
    {"key-deserializer", OPT_ARG, "String", "Ignored: keys are printed as bytes.", NULL},
    {"value-deserializer", OPT_ARG, "String", "Ignored: values are printed as bytes.", NULL},
};

#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

/* Set by SIGINT/SIGTERM: close the consumer (leaving the group) and exit
 * (the tool's only process-wide state, as a signal handler needs). */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- the formatter --------------------------------------------------------------------- */

typedef struct formatter {
    bool timestamp, key, value, partition, offset, headers;
    const char *key_separator;
    const char *line_separator;
    const char *headers_separator;
    const char *null_literal;
    tool_strings owned;   /* values from a --formatter-config file */
} formatter;

static bool is_true(const char *v)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%s", v ? v : "");
    return !strcasecmp(tool_trim(buf), "true");
}

/* A copy that lives as long as the formatter (file values do not). */
static const char *keep(formatter *f, const char *v)
{
    if (!tool_strings_add(&f->owned, v))
        return v;
    return f->owned.v[f->owned.count - 1];
}

static bool formatter_set(void *ctx, const char *name, const char *v)
{
    formatter *f = ctx;
    if (!strcmp(name, "print.timestamp"))
        f->timestamp = is_true(v);
    else if (!strcmp(name, "print.key"))
        f->key = is_true(v);
    else if (!strcmp(name, "print.value"))
        f->value = is_true(v);
    else if (!strcmp(name, "print.partition"))
        f->partition = is_true(v);
    else if (!strcmp(name, "print.offset"))
        f->offset = is_true(v);
    else if (!strcmp(name, "print.headers"))
        f->headers = is_true(v);
    else if (!strcmp(name, "key.separator"))
        f->key_separator = keep(f, v);
    else if (!strcmp(name, "line.separator"))
        f->line_separator = keep(f, v);
    else if (!strcmp(name, "headers.separator"))
        f->headers_separator = keep(f, v);
    else if (!strcmp(name, "null.literal"))
        f->null_literal = keep(f, v);
    return true; /* other properties are ignored, as Kafka's formatter does */
}

static void formatter_kv(formatter *f, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        fprintf(stderr, "Invalid formatter property '%s': expected key=value\n", kv);
        exit(1);
    }
    char *name = strndup(kv, (size_t)(eq - kv));
    if (name)
        formatter_set(f, tool_trim(name), eq + 1);
    free(name);
}

static void write_bytes(const formatter *f, const void *p, size_t len)
{
    if (p)
        fwrite(p, 1, len, stdout);
    else
        fputs(f->null_literal, stdout);
}

/* The column separator when more columns follow, else the line's end. */
static void separator(const formatter *f, bool more)
{
    fputs(more ? f->key_separator : f->line_separator, stdout);
}

static void print_message(const formatter *f, const kc_message *m)
{
    if (f->timestamp) {
        if (m->timestamp >= 0)
            printf("%s:%lld", m->timestamp_type == KC_TIMESTAMP_LOG_APPEND_TIME
                                  ? "LogAppendTime" : "CreateTime", (long long)m->timestamp);
        else
            printf("NO_TIMESTAMP");
        separator(f, f->partition || f->offset || f->headers || f->key || f->value);
    }
    if (f->partition) {
        printf("Partition:%d", m->partition);
        separator(f, f->offset || f->headers || f->key || f->value);
    }
    if (f->offset) {
        printf("Offset:%lld", (long long)m->offset);
        separator(f, f->headers || f->key || f->value);
    }
    if (f->headers) {
        if (!m->header_count)
            printf("NO_HEADERS");
        for (size_t i = 0; i < m->header_count; i++) {
            printf("%s:", m->headers[i].key);
            write_bytes(f, m->headers[i].value, m->headers[i].value_len);
            if (i + 1 < m->header_count)
                fputs(f->headers_separator, stdout);
        }
        separator(f, f->key || f->value);
    }
    if (f->key) {
        write_bytes(f, m->key, m->key_len);
        separator(f, f->value);
    }
    if (f->value) {
        write_bytes(f, m->value, m->value_len);
        fputs(f->line_separator, stdout);
    }
}

/* ---- the consumer's configuration ----------------------------------------------------------- */

typedef struct consumer_setup {
    kc_consumer_config *conf;
    tool_strings group_ids;  /* every group id given, to check they agree */
    bool auto_reset_given;
    bool auto_commit_given;
    char auto_reset[32];
} consumer_setup;

static bool consumer_set(void *ctx, const char *name, const char *value)
{
    consumer_setup *s = ctx;
    char err[256];
    if (!strcmp(name, "group.id"))
        tool_strings_add(&s->group_ids, value);
    if (!strcmp(name, "auto.offset.reset")) {
        s->auto_reset_given = true;
        snprintf(s->auto_reset, sizeof(s->auto_reset), "%s", value);
    }
    if (!strcmp(name, "enable.auto.commit"))
        s->auto_commit_given = true;
    if (kc_consumer_config_set(s->conf, name, value, err, sizeof(err)) == KC_OK)
        return true;
    if (strstr(err, "unknown")) {
        fprintf(stderr, "WARN The configuration '%s' was supplied but isn't a known config.\n",
                name);
        return true;
    }
    fprintf(stderr, "Invalid value for configuration %s: %s\n", name, err);
    return false;
}

static bool consumer_set_kv(consumer_setup *s, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "Invalid property '%s': expected key=value\n", kv);
        return false;
    }
    char *name = strndup(kv, (size_t)(eq - kv));
    bool ok = name && consumer_set(s, tool_trim(name), eq + 1);
    free(name);
    return ok;
}

static bool group_ids_agree(const tool_strings *ids)
{
    for (size_t i = 1; i < ids->count; i++)
        if (strcmp(ids->v[i], ids->v[0]) != 0)
            return false;
    return true;
}

/* Kafka's buildConsumerProps: file, then properties, then the tool's own
 * settings (bootstrap, client.id, auto.offset.reset, isolation, group). */
static kc_consumer_config *consumer_config(const tool_args *a)
{
    consumer_setup s = {0};
    s.conf = kc_consumer_config_new();
    if (!s.conf)
        return NULL;
    st_logger logger = {ST_LOG_ERROR, stderr};
    const char *level = getenv("STRAIT_LOG_LEVEL");
    if (level && st_log_level_parse(level) >= 0)
        logger.level = (st_log_level)st_log_level_parse(level);
    kc_config_set_logger(kc_consumer_config_client(s.conf), &logger);
    bool ok = consumer_set(&s, "client.id", "console-consumer");
    if (tool_has(a, "group"))
        tool_strings_add(&s.group_ids, tool_get(a, "group", ""));
    const char *file = tool_get(a, "consumer.config", tool_get(a, "command-config", NULL));
    ok = ok && (!file || tool_props_file(file, consumer_set, &s));
    for (size_t i = 0; ok && i < tool_count(a, "consumer-property"); i++)
        ok = consumer_set_kv(&s, tool_value_at(a, "consumer-property", i));
    for (size_t i = 0; ok && i < tool_count(a, "command-property"); i++)
        ok = consumer_set_kv(&s, tool_value_at(a, "command-property", i));
    if (ok && !group_ids_agree(&s.group_ids))
        tool_usage_exit(a, "The group ids provided in different places (directly using "
                           "'--group', via '--consumer-property', or via '--consumer.config') do "
                           "not match.");
    if (ok && s.group_ids.count && tool_has(a, "partition"))
        tool_usage_exit(a, "Options group and partition cannot be specified together.");
    bool from_beginning = tool_has(a, "from-beginning");
    if (ok && s.auto_reset_given && from_beginning && strcmp(s.auto_reset, "earliest") != 0) {
        fprintf(stderr, "Can't simultaneously specify --from-beginning and "
                        "'auto.offset.reset=%s', please remove one option\n", s.auto_reset);
        exit(1);
    }
    if (ok && !s.auto_reset_given)
        ok = consumer_set(&s, "auto.offset.reset", from_beginning ? "earliest" : "latest");
    ok = ok && consumer_set(&s, "bootstrap.servers", tool_get(a, "bootstrap-server", ""));
    if (ok && tool_has(a, "isolation-level"))
        ok = consumer_set(&s, "isolation.level", tool_get(a, "isolation-level", ""));
    if (ok && !s.group_ids.count) {
        char id[48];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        srand((unsigned)(ts.tv_nsec ^ getpid()));
        snprintf(id, sizeof(id), "console-consumer-%d", rand() % 100000);
        ok = consumer_set(&s, "group.id", id) &&
             (s.auto_commit_given || consumer_set(&s, "enable.auto.commit", "false"));
    } else if (ok && tool_has(a, "group")) {
        ok = consumer_set(&s, "group.id", tool_get(a, "group", ""));
    }
    tool_strings_free(&s.group_ids);
    if (!ok) {
        kc_consumer_config_free(s.conf);
        return NULL;
    }
    return s.conf;
}

/* ---- flags ------------------------------------------------------------------------------------- */

static int64_t parse_offset(const tool_args *a)
{
    const char *v = tool_get(a, "offset", NULL);
    if (!v)
        return tool_has(a, "from-beginning") ? KC_OFFSET_BEGINNING : KC_OFFSET_END;
    if (!strcasecmp(v, "earliest"))
        return KC_OFFSET_BEGINNING;
    if (!strcasecmp(v, "latest"))
        return KC_OFFSET_END;
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < 0)
        tool_usage_exit(a, "The provided offset value '%s' is incorrect. Valid values are "
                           "'earliest', 'latest', or a non-negative long.", v);
    return x;
}

static void check_args(const tool_args *a, int argc)
{
    if (argc <= 1)
        tool_usage_exit(a, "This tool helps to read data from Kafka topics and outputs it to "
                           "standard output.");
    int topics = tool_has(a, "topic") + tool_has(a, "include") + tool_has(a, "whitelist");
    if (topics != 1)
        tool_usage_exit(a, "Exactly one of these options is required: [topic], [include]");
    if (tool_has(a, "partition")) {
        if (!tool_has(a, "topic"))
            tool_usage_exit(a, "The topic is required when partition is specified.");
        if (tool_has(a, "from-beginning") && tool_has(a, "offset"))
            tool_usage_exit(a, "Options from-beginning and offset cannot be specified together.");
    } else if (tool_has(a, "offset")) {
        tool_usage_exit(a, "The partition is required when offset is specified.");
    }
    if (!tool_has(a, "bootstrap-server"))
        tool_usage_exit(a, "Missing required argument \"[bootstrap-server]\"");
    parse_offset(a); /* malformed numbers: usage, before connecting */
    tool_get_long(a, "partition", 0);
    tool_get_long(a, "max-messages", -1);
    tool_get_long(a, "timeout-ms", -1);
    const char *fmt = tool_get(a, "formatter", NULL);
    if (fmt && !strstr(fmt, "DefaultMessageFormatter"))
        tool_usage_exit(a, "Only the default message formatter is supported (not '%s')", fmt);
}

/* ---- consuming -------------------------------------------------------------------------------------- */

static kc_err start(kc_consumer *c, const tool_args *a)
{
    if (tool_has(a, "partition")) {
        kc_partition_list *l = kc_partition_list_new(1);
        kc_partition_offset *p = l ? kc_partition_list_add(l, tool_get(a, "topic", ""),
                                                           (int32_t)tool_get_long(a, "partition",
                                                                                  0))
                                   : NULL;
        if (!p) {
            kc_partition_list_free(l);
            return KC_ERR_NOMEM;
        }
        p->offset = parse_offset(a);
        kc_err err = kc_consumer_assign(c, l);
        kc_partition_list_free(l);
        return err;
    }
    if (tool_has(a, "topic")) {
        const char *t = tool_get(a, "topic", "");
        return kc_consumer_subscribe(c, &t, 1);
    }
    char *re = tool_include_posix(tool_get(a, "include", tool_get(a, "whitelist", "")));
    if (!re)
        return KC_ERR_NOMEM;
    const char *r = re;
    kc_err err = kc_consumer_subscribe(c, &r, 1);
    free(re);
    return err;
}

/* A topic that does not exist is waited for (it may be created, or
 * auto-created by a producer), as Java's consumer does; say so, naming it. */
static void warn_missing_topic(kc_consumer *c, const tool_args *a, int timeout_ms)
{
    if (!tool_has(a, "topic"))
        return;
    const char *topic = tool_get(a, "topic", "");
    st_arena arena;
    st_arena_init(&arena);
    kc_topic_desc *t = NULL;
    size_t n = 0;
    kc_admin_describe_topics(kc_consumer_client(c), &topic, 1, timeout_ms, &arena, &t, &n);
    if (t && t[0].err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION)
        fprintf(stderr, "WARN Error while fetching metadata: {%s=UNKNOWN_TOPIC_OR_PARTITION}: "
                        "topic '%s' does not exist (yet); waiting for it\n", topic, topic);
    else if (t && !t[0].err && tool_has(a, "partition") &&
             tool_get_long(a, "partition", 0) >= t[0].partition_count)
        fprintf(stderr, "WARN Partition %lld of topic '%s' does not exist (the topic has %d); "
                        "waiting for it\n", (long long)tool_get_long(a, "partition", 0), topic,
                t[0].partition_count);
    st_arena_free(&arena);
}

/* Whether an error event should end the tool (as a thrown exception ends
 * Kafka's), or only be reported while consuming goes on. */
static bool fatal_event(kc_err err)
{
    return !(kc_err_retriable(err) || err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION ||
             err == KAFKA_REBALANCE_IN_PROGRESS || err == KAFKA_COORDINATOR_NOT_AVAILABLE ||
             err == KAFKA_NOT_COORDINATOR || err == KAFKA_LEADER_NOT_AVAILABLE);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls and prints until max messages, a quiet --timeout-ms, a fatal
 * error or a signal. Returns the number of records printed. */
static long consume(kc_consumer *c, const tool_args *a, const formatter *f, int *rc)
{
    int64_t max = tool_get_long(a, "max-messages", -1);
    int64_t quiet = tool_get_long(a, "timeout-ms", -1);
    int64_t deadline = quiet >= 0 ? mono_ms() + quiet : INT64_MAX;
    long count = 0;
    const kc_message *batch[500];
    while (!stop_requested && (max < 0 || count < max)) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            fprintf(stderr, "ERROR Error processing message, terminating consumer process: "
                            "org.apache.kafka.common.errors.TimeoutException\n");
            break;
        }
        int wait = left < 200 ? (int)left : 200;
        size_t want = max < 0 || max - count > 500 ? 500 : (size_t)(max - count);
        size_t n = kc_consumer_poll_batch(c, wait, batch, want);
        for (size_t i = 0; i < n; i++) {
            const kc_message *m = batch[i];
            if (m->err) {
                bool fatal = fatal_event(m->err) && !tool_has(a, "skip-message-on-error");
                fprintf(stderr, "%s %s\n", fatal ? "ERROR Error processing message, terminating "
                                                   "consumer process:" : "WARN",
                        m->errstr && *m->errstr ? m->errstr : kc_err_name(m->err));
                if (fatal) {
                    *rc = 1;
                    return count;
                }
                continue;
            }
            print_message(f, m);
            count++;
            deadline = quiet >= 0 ? mono_ms() + quiet : INT64_MAX;
        }
        if (n)
            fflush(stdout);
    }
    return count;
}

static void formatter_init(formatter *f, const tool_args *a)
{
    *f = (formatter){false, false, true, false, false, false, "\t", "\n", ",", "null", {0}};
    const char *file = tool_get(a, "formatter-config", NULL);
    if (file && !tool_props_file(file, formatter_set, f))
        exit(1);
    for (size_t i = 0; i < tool_count(a, "property"); i++)
        formatter_kv(f, tool_value_at(a, "property", i));
    for (size_t i = 0; i < tool_count(a, "formatter-property"); i++)
        formatter_kv(f, tool_value_at(a, "formatter-property", i));
}

/* The consumer, connected and subscribed (or assigned); NULL after
 * printing why. */
static kc_consumer *open_consumer(const tool_args *a)
{
    kc_consumer_config *conf = consumer_config(a);
    if (!conf)
        return NULL;
    char err[512], buf[32];
    int64_t quiet = tool_get_long(a, "timeout-ms", -1);
    const char *api = kc_consumer_config_get(conf, "default.api.timeout.ms", buf, sizeof(buf));
    int connect_ms = api ? atoi(api) : 60000;
    if (quiet >= 0 && quiet < connect_ms)
        connect_ms = (int)(quiet > 1000 ? quiet : 1000);
    kc_consumer *c = kc_consumer_new(conf, NULL, err, sizeof(err));
    kc_consumer_config_free(conf);
    if (!c) {
        fprintf(stderr, "ERROR %s\n", err);
        return NULL;
    }
    if (kc_client_connect(kc_consumer_client(c), connect_ms) == KC_OK) {
        warn_missing_topic(c, a, connect_ms);
        if (start(c, a) == KC_OK)
            return c;
    }
    fprintf(stderr, "ERROR %s\n", kc_client_last_error(kc_consumer_client(c)));
    kc_consumer_free(c);
    return NULL;
}

int tool_console_consumer(int argc, char **argv)
{
    tool_args a;
    tool_args_parse(&a, "console-consumer", "This tool helps to read data from Kafka topics and "
                    "outputs it to standard output.", opts, OPT_COUNT, argc, argv);
    check_args(&a, argc);
    formatter f;
    formatter_init(&f, &a);
    kc_consumer *c = open_consumer(&a);
    int rc = 1;
    if (c) {
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rc = 0;
        long count = consume(c, &a, &f, &rc);
        fflush(stdout);
        kc_consumer_close(c, 30000);
        fprintf(stderr, "Processed a total of %ld messages\n", count);
        if (stop_requested)
            rc = 130;
    }
    tool_strings_free(&f.owned);
    tool_args_free(&a);
    return rc;
}
