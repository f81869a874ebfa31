/* get_offsets.c — `strait get-offsets`, Kafka's kafka-get-offsets.sh
 * (GetOffsetShell): the earliest, latest or by-timestamp offset of each
 * matching partition, one "topic:partition:offset" line each.
 *
 * Owns the tool's partition filters (--topic regex with --partitions, or
 * --topic-partitions rules like "t1:1,t2:0-3,t3:5-,:-3") and the output
 * order (Kafka sorts by the "topic-partition" string). A partition whose
 * lookup finds no offset (a timestamp past the last record) is left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tool.h"

static const tool_opt opts[] = {
    {"bootstrap-server", OPT_ARG, "String: HOST1:PORT1,...,HOST3:PORT3",
     "REQUIRED. The server(s) to connect to in the form HOST1:PORT1,HOST2:PORT2.", NULL},
    {"broker-list", OPT_ARG, "String: HOST1:PORT1,...,HOST3:PORT3",
     "DEPRECATED, use --bootstrap-server instead.", NULL},
    {"topic-partitions", OPT_ARG, "String: topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3",
     "Comma separated list of topic-partition patterns to get the offsets for, with the format "
     "of 'topic-regex:partition' where the partition is a number, a range 'NUMBER-NUMBER' (upper "
     "exclusive), 'NUMBER-' or '-NUMBER', or omitted for all partitions.", NULL},
    {"topic", OPT_ARG, "String: topic", "The topic to get the offsets for. It also accepts a "
     "regular expression. If not present, all authorized topics are queried. Cannot be used if "
     "--topic-partitions is present.", NULL},
    {"partitions", OPT_ARG, "String: partition ids", "Comma separated list of partition ids to "
     "get the offsets for. If not present, all partitions of the authorized topics are queried. "
     "Cannot be used if --topic-partitions is present.", NULL},
    {"time", OPT_ARG, "String: <timestamp> / -1 or latest / -2 or earliest / -3 or "
     "max-timestamp", "timestamp of the offsets before that. [Note: No offset is returned, if "
     "the timestamp greater than recently committed record timestamp is given.]", "latest"},
    {"command-config", OPT_ARG, "String: config file",
     "Property file containing configs to be passed to the admin client.", NULL},
    {"exclude-internal-topics", OPT_FLAG, NULL,
     "By default, internal topics are included. If specified, internal topics are excluded.",
     NULL},
    {"timeout", OPT_ARG, "Long: timeout (ms)", "How long to wait for the cluster (strait's "
     "addition; default: the client's default.api.timeout.ms).", NULL},
};

#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

/* One filter rule: a topic pattern and a partition range [lo, hi). */
typedef struct rule {
    tool_include *topic;
    int32_t lo;
    int32_t hi;
    const int32_t *set;   /* --partitions: explicit ids (NULL = the range) */
    size_t set_count;
} rule;

typedef struct filter {
    rule *rules;
    size_t count;
} filter;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static bool rule_allows(const rule *r, const char *topic, int32_t partition)
{
    if (!tool_include_match(r->topic, topic))
        return false;
    if (r->set) {
        if (!r->set_count)
            return true;
        for (size_t i = 0; i < r->set_count; i++)
            if (r->set[i] == partition)
                return true;
        return false;
    }
    return partition >= r->lo && partition < r->hi;
}

static bool filter_allows(const filter *f, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < f->count; i++)
        if (rule_allows(&f->rules[i], topic, partition))
            return true;
    return false;
}

static bool parse_int(const char *s, size_t len, int32_t *out)
{
    if (!len || len > 10)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

static tool_include *include_or_die(const char *pattern)
{
    char err[256];
    tool_include *inc = tool_include_new(pattern, err, sizeof(err));
    if (!inc)
        die("%s", err);
    return inc;
}

/* "topic-regex[:N | :N- | :-N | :N-M]" (Kafka's TOPIC_PARTITION_PATTERN). */
static void parse_rule(const char *spec, rule *r)
{
    const char *colon = strchr(spec, ':');
    size_t tlen = colon ? (size_t)(colon - spec) : strlen(spec);
    char *topic = strndup(spec, tlen);
    r->topic = include_or_die(tlen ? topic : ".*");
    free(topic);
    r->lo = 0;
    r->hi = INT32_MAX;
    if (!colon || !colon[1])
        return;
    const char *p = colon + 1;
    const char *dash = strchr(p, '-');
    if (!dash) {
        if (!parse_int(p, strlen(p), &r->lo))
            die("Invalid rule specification: %s", spec);
        r->hi = r->lo + 1;
        return;
    }
    if (dash > p && !parse_int(p, (size_t)(dash - p), &r->lo))
        die("Invalid rule specification: %s", spec);
    if (dash[1] && !parse_int(dash + 1, strlen(dash + 1), &r->hi))
        die("Invalid rule specification: %s", spec);
}

static void build_filter(const tool_args *a, filter *f, int32_t **set_out)
{
    if (tool_has(a, "topic-partitions")) {
        size_t n = 0;
        char **specs = tool_split(tool_get(a, "topic-partitions", ""), ',', &n);
        f->rules = calloc(n + 1, sizeof(*f->rules));
        for (size_t i = 0; f->rules && i < n; i++)
            parse_rule(specs[i], &f->rules[f->count++]);
        tool_free_strings(specs, n);
        return;
    }
    f->rules = calloc(1, sizeof(*f->rules));
    if (!f->rules)
        die("%s", "out of memory");
    rule *r = &f->rules[f->count++];
    r->topic = include_or_die(tool_get(a, "topic", ".*"));
    const char *parts = tool_get(a, "partitions", "");
    size_t n = 0;
    char **ids = *parts ? tool_split(parts, ',', &n) : NULL;
    int32_t *set = calloc(n + 1, sizeof(*set));
    for (size_t i = 0; set && i < n; i++)
        if (!parse_int(tool_trim(ids[i]), strlen(tool_trim(ids[i])), &set[i]))
            die("--partitions expects a comma separated list of numeric partition ids, but "
                "received: %s", parts);
    tool_free_strings(ids, n);
    r->set = set;
    r->set_count = n;
    *set_out = set;
}

/* Kafka's parseOffsetSpec. */
static int64_t parse_time(const char *t)
{
    if (!strcmp(t, "earliest"))
        return KC_OFFSET_SPEC_EARLIEST;
    if (!strcmp(t, "latest"))
        return KC_OFFSET_SPEC_LATEST;
    if (!strcmp(t, "max-timestamp"))
        return KC_OFFSET_SPEC_MAX_TIMESTAMP;
    if (!strcmp(t, "earliest-local"))
        return -4;
    if (!strcmp(t, "latest-tiered"))
        return -5;
    char *end = NULL;
    long long v = strtoll(t, &end, 10);
    if (!*t || *end)
        die("Malformed time argument %s. Please use -1 or latest / -2 or earliest / -3 or "
            "max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long "
            "format timestamp", t);
    return v;
}

/* Kafka sorts by TopicPartition.toString(): "topic-partition" as a string. */
static int compare_results(const void *a, const void *b)
{
    const kc_list_offset *x = a, *y = b;
    char l[400], r[400];
    snprintf(l, sizeof(l), "%s-%d", x->topic, x->partition);
    snprintf(r, sizeof(r), "%s-%d", y->topic, y->partition);
    return strcmp(l, r);
}

/* Lists the offsets of the partitions f allows; the filter is freed. */
static int run(const tool_args *a, kc_client *client, int timeout, int64_t spec, filter f,
               int32_t *set)
{
    st_arena arena;
    st_arena_init(&arena);
    kc_topic_desc *topics = NULL;
    size_t nt = 0;
    int rc = 1;
    kc_list_offset *q = NULL;
    if (kc_admin_describe_topics(client, NULL, 0, timeout, &arena, &topics, &nt)) {
        fprintf(stderr, "Error occurred: %s\n", kc_client_last_error(client));
        goto out;
    }
    size_t total = 0;
    for (size_t i = 0; i < nt; i++)
        total += (size_t)topics[i].partition_count;
    q = calloc(total + 1, sizeof(*q));
    size_t n = 0;
    bool exclude = tool_has(a, "exclude-internal-topics");
    for (size_t i = 0; q && i < nt; i++) {
        if (exclude && (topics[i].internal || tool_topic_is_internal(topics[i].name)))
            continue;
        for (int32_t p = 0; p < topics[i].partition_count; p++)
            if (filter_allows(&f, topics[i].name, topics[i].partitions[p].partition))
                q[n++] = (kc_list_offset){.topic = topics[i].name,
                                          .partition = topics[i].partitions[p].partition,
                                          .spec = spec};
    }
    if (!n) {
        fprintf(stderr, "Could not match any topic-partitions with the specified filters\n");
        goto out;
    }
    kc_admin_list_offsets(client, q, n, 0, timeout);
    qsort(q, n, sizeof(*q), compare_results);
    for (size_t i = 0; i < n; i++) {
        if (q[i].err)
            fprintf(stderr, "Skip getting offsets for topic-partition %s-%d due to error: %s\n",
                    q[i].topic, q[i].partition, tool_error_message(q[i].err));
        else if (q[i].offset >= 0)
            printf("%s:%d:%lld\n", q[i].topic, q[i].partition, (long long)q[i].offset);
    }
    rc = 0;
out:
    free(q);
    for (size_t i = 0; i < f.count; i++)
        tool_include_free(f.rules[i].topic);
    free(f.rules);
    free(set);
    st_arena_free(&arena);
    return rc;
}

int tool_get_offsets(int argc, char **argv)
{
    tool_args a;
    tool_args_parse(&a, "get-offsets", "An interactive shell for getting topic-partition "
                    "offsets.", opts, OPT_COUNT, argc, argv);
    if (argc <= 1)
        tool_usage_exit(&a, "An interactive shell for getting topic-partition offsets.");
    const char *bootstrap = tool_get(&a, "bootstrap-server", tool_get(&a, "broker-list", NULL));
    if (!bootstrap)
        tool_usage_exit(&a, "Missing required argument \"[bootstrap-server]\"");
    if (tool_has(&a, "topic-partitions") && (tool_has(&a, "topic") || tool_has(&a, "partitions")))
        die("%s", "--topic-partitions cannot be used with --topic or --partitions");
    int64_t spec = parse_time(tool_get(&a, "time", "latest")); /* bad flags before connecting */
    filter f = {0};
    int32_t *set = NULL;
    build_filter(&a, &f, &set);
    int rc = 1;
    kc_config *conf = tool_config(bootstrap, "GetOffsetShell", tool_get(&a, "command-config", NULL),
                                  NULL, 0);
    int timeout = conf ? tool_timeout(&a, conf) : 0;
    kc_client *client = conf ? tool_admin_client(conf, timeout, "Error occurred: ") : NULL;
    kc_config_free(conf);
    if (client) {
        rc = run(&a, client, timeout, spec, f, set);
    } else {
        for (size_t i = 0; i < f.count; i++)
            tool_include_free(f.rules[i].topic);
        free(f.rules);
        free(set);
    }
    kc_client_free(client);
    tool_args_free(&a);
    fflush(stdout);
    return rc;
}
