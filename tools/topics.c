/* topics.c — `strait topics`, Kafka's kafka-topics.sh: list, create,
 * describe, alter (partition count) and delete topics.
 *
 * Owns the tool's flags, their checks and its output, in Kafka's shapes:
 * "Created topic x.", the describe layout ("Topic: x\tTopicId: ...\t
 * PartitionCount: ..." then one tab-indented line per partition), one name
 * per line for --list. --topic is a regular expression everywhere except
 * --create, as in Kafka. Errors go to stderr with exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tool.h"

#define ERR_PREFIX "Error while executing topic command : "

static const tool_opt opts[] = {
    {"bootstrap-server", OPT_ARG, "String: server to connect to",
     "REQUIRED: The Kafka server to connect to.", NULL},
    {"command-config", OPT_ARG, "String: command config property file",
     "Property file containing configs to be passed to the admin client.", NULL},
    {"list", OPT_FLAG, NULL, "List all available topics.", NULL},
    {"create", OPT_FLAG, NULL, "Create a new topic.", NULL},
    {"delete", OPT_FLAG, NULL, "Delete a topic.", NULL},
    {"alter", OPT_FLAG, NULL, "Alter the number of partitions. (To alter topic configurations, "
     "the configs tool can be used.)", NULL},
    {"describe", OPT_FLAG, NULL, "List details for the given topics.", NULL},
    {"topic", OPT_ARG, "String: topic", "The topic to create, alter, describe or delete. It "
     "also accepts a regular expression, except for --create option.", NULL},
    {"config", OPT_ARG, "String: name=value", "A topic configuration override for the topic "
     "being created (repeatable).", NULL},
    {"partitions", OPT_ARG, "Integer: # of partitions", "The number of partitions for the topic "
     "being created or altered. If not supplied with --create, the topic uses the cluster "
     "default.", NULL},
    {"replication-factor", OPT_ARG, "Integer: replication factor", "The replication factor for "
     "each partition in the topic being created. If not supplied, the topic uses the cluster "
     "default.", NULL},
    {"replica-assignment", OPT_ARG, "String: broker_id_for_part1_replica1 : ...",
     "A list of manual partition-to-broker assignments (not supported by strait yet).", NULL},
    {"under-replicated-partitions", OPT_FLAG, NULL,
     "If set when describing topics, only show under-replicated partitions.", NULL},
    {"unavailable-partitions", OPT_FLAG, NULL, "If set when describing topics, only show "
     "partitions whose leader is not available.", NULL},
    {"under-min-isr-partitions", OPT_FLAG, NULL, "If set when describing topics, only show "
     "partitions whose isr count is less than the configured minimum.", NULL},
    {"at-min-isr-partitions", OPT_FLAG, NULL, "If set when describing topics, only show "
     "partitions whose isr count is equal to the configured minimum.", NULL},
    {"topics-with-overrides", OPT_FLAG, NULL,
     "If set when describing topics, only show topics that have overridden configs.", NULL},
    {"if-exists", OPT_FLAG, NULL, "If set when altering or deleting or describing topics, the "
     "action will only execute if the topic exists.", NULL},
    {"if-not-exists", OPT_FLAG, NULL, "If set when creating topics, the action will only "
     "execute if the topic does not already exist.", NULL},
    {"exclude-internal", OPT_FLAG, NULL, "Exclude internal topics when listing or describing "
     "topics. By default, the internal topics are included.", NULL},
    {"timeout", OPT_ARG, "Long: timeout (ms)", "How long to wait for the cluster (strait's "
     "addition; default: the client's default.api.timeout.ms).", NULL},
};

#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

typedef struct topics_cmd {
    tool_args a;
    kc_client *client;
    int timeout;
    st_arena arena;
} topics_cmd;

/* ---- flag checks ------------------------------------------------------------------------ */

static const char *const actions[] = {"create", "list", "alter", "describe", "delete"};

/* Kafka's checkInvalidArgs: option may only be used with one of allowed. */
static void only_with(const tool_args *a, const char *option, const char *const *allowed,
                      size_t n)
{
    if (!tool_has(a, option))
        return;
    for (size_t i = 0; i < 5; i++) {
        bool ok = false;
        for (size_t k = 0; k < n; k++)
            ok = ok || strcmp(actions[i], allowed[k]) == 0;
        if (!ok && tool_has(a, actions[i]))
            tool_usage_exit(a, "Option \"[%s]\" can't be used with option \"[%s]\"", option,
                            actions[i]);
    }
}

static void check_args(const tool_args *a, int argc)
{
    if (argc <= 1)
        tool_usage_exit(a, "Create, delete, describe, or change a topic.");
    int n = 0;
    for (size_t i = 0; i < 5; i++)
        n += tool_has(a, actions[i]);
    if (n != 1)
        tool_usage_exit(a, "Command must include exactly one action: --list, --describe, "
                           "--create, --alter or --delete");
    if (!tool_has(a, "bootstrap-server")) {
        fprintf(stderr, "--bootstrap-server must be specified\n");
        exit(1);
    }
    if (tool_has(a, "describe") && tool_has(a, "if-exists") && !tool_has(a, "topic"))
        tool_usage_exit(a, "--topic or --topic-id is required to describe a topic");
    if (!tool_has(a, "list") && !tool_has(a, "describe") && !tool_has(a, "topic"))
        tool_usage_exit(a, "Missing required argument \"[topic]\"");
    if (tool_has(a, "alter") && tool_has(a, "config"))
        tool_usage_exit(a, "Option \"[config]\" can't be used with option \"[alter]\" (To alter "
                           "topic configurations, the configs tool can be used.)");
    if (tool_has(a, "alter") && !tool_has(a, "partitions"))
        tool_usage_exit(a, "Missing required argument \"[partitions]\"");
    tool_get_long(a, "partitions", -1); /* malformed numbers: usage, before connecting */
    tool_get_long(a, "replication-factor", -1);
    tool_get_long(a, "timeout", 0);
    static const char *const create_alter[] = {"create", "alter"};
    static const char *const create[] = {"create"};
    static const char *const describe[] = {"describe"};
    static const char *const ifexists[] = {"alter", "delete", "describe"};
    static const char *const listdesc[] = {"list", "describe"};
    only_with(a, "config", create_alter, 2);
    only_with(a, "partitions", create_alter, 2);
    only_with(a, "replication-factor", create, 1);
    only_with(a, "replica-assignment", create_alter, 2);
    only_with(a, "under-replicated-partitions", describe, 1);
    only_with(a, "unavailable-partitions", describe, 1);
    only_with(a, "under-min-isr-partitions", describe, 1);
    only_with(a, "at-min-isr-partitions", describe, 1);
    only_with(a, "topics-with-overrides", describe, 1);
    only_with(a, "if-exists", ifexists, 3);
    only_with(a, "if-not-exists", create, 1);
    only_with(a, "exclude-internal", listdesc, 2);
}

/* ---- choosing topics -------------------------------------------------------------------- */

/* The cluster's topic names matching --topic (all without it), sorted. */
static bool get_topics(topics_cmd *c, tool_strings *out)
{
    const char *pattern = tool_get(&c->a, "topic", NULL);
    bool exclude_internal = tool_has(&c->a, "exclude-internal");
    char err[256];
    tool_include *inc = pattern ? tool_include_new(pattern, err, sizeof(err)) : NULL;
    if (pattern && !inc) {
        fprintf(stderr, "%s\n", err);
        return false;
    }
    kc_topic_desc *all = NULL;
    size_t n = 0;
    kc_err e = kc_admin_describe_topics(c->client, NULL, 0, c->timeout, &c->arena, &all, &n);
    if (e) {
        fprintf(stderr, ERR_PREFIX "%s\n", kc_client_last_error(c->client));
        tool_include_free(inc);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        bool internal = all[i].internal || tool_topic_is_internal(all[i].name);
        if (inc && !tool_include_match(inc, all[i].name))
            continue;
        if (internal && exclude_internal)
            continue;
        tool_strings_add(out, all[i].name);
    }
    tool_include_free(inc);
    return true;
}

/* Kafka's ensureTopicExists: --topic named something and nothing matched. */
static bool ensure_exists(topics_cmd *c, const tool_strings *found)
{
    const char *topic = tool_get(&c->a, "topic", NULL);
    if (!topic || !*topic || found->count || tool_has(&c->a, "if-exists"))
        return true;
    fprintf(stderr, "Topic '%s' does not exist as expected\n", topic);
    return false;
}

/* ---- --list ------------------------------------------------------------------------------- */

static int do_list(topics_cmd *c)
{
    tool_strings names = {0};
    if (!get_topics(c, &names))
        return 1;
    for (size_t i = 0; i < names.count; i++)
        printf("%s%s", names.v[i], i + 1 < names.count ? "\n" : "");
    printf("\n");
    tool_strings_free(&names);
    return 0;
}

/* ---- --create -------------------------------------------------------------------------------- */

/* "k=v" with optional spaces around '=' (Kafka splits on \s*=\s*). */
static bool parse_topic_config(char *s, kc_config_pair *out)
{
    char *eq = strchr(s, '=');
    if (!eq || strchr(eq + 1, '='))
        return false;
    *eq = '\0';
    out->name = tool_trim(s);
    out->value = tool_trim(eq + 1);
    return *out->name && *out->value;
}

static int do_create(topics_cmd *c)
{
    const tool_args *a = &c->a;
    const char *name = tool_get(a, "topic", NULL);
    if (tool_has(a, "replica-assignment")) {
        fprintf(stderr, ERR_PREFIX "--replica-assignment is not supported by strait yet\n");
        return 1;
    }
    int64_t parts = tool_get_long(a, "partitions", -1);
    int64_t rf = tool_get_long(a, "replication-factor", -1);
    if (tool_has(a, "replication-factor") && (rf < 1 || rf > 32767)) {
        fprintf(stderr, "The replication factor must be between 1 and 32767 inclusive\n");
        return 1;
    }
    if (tool_has(a, "partitions") && (parts < 1 || parts > INT32_MAX)) {
        fprintf(stderr, "The partitions must be greater than 0\n");
        return 1;
    }
    size_t nconf = tool_count(a, "config");
    kc_config_pair *configs = calloc(nconf + 1, sizeof(*configs));
    char **copies = calloc(nconf + 1, sizeof(*copies));
    int rc = 1;
    for (size_t i = 0; configs && copies && i < nconf; i++) {
        copies[i] = strdup(tool_value_at(a, "config", i));
        if (!copies[i] || !parse_topic_config(copies[i], &configs[i])) {
            fprintf(stderr, "requirement failed: Invalid topic config: all configs to be added "
                            "must be in the format \"key=val\".\n");
            goto out;
        }
    }
    if (strchr(name, '.') || strchr(name, '_'))
        printf("WARNING: Due to limitations in metric names, topics with a period ('.') or "
               "underscore ('_') could collide. To avoid issues it is best to use either, but "
               "not both.\n");
    kc_new_topic t = {name, (int32_t)parts, (int16_t)rf, configs, nconf};
    kc_admin_result *res = NULL;
    kc_err err = kc_admin_create_topics(c->client, &t, 1, false, c->timeout, &c->arena, &res);
    if (err == KAFKA_TOPIC_ALREADY_EXISTS && tool_has(a, "if-not-exists")) {
        rc = 0;
    } else if (err) {
        fprintf(stderr, ERR_PREFIX "%s\n",
                res && res[0].err ? res[0].message : kc_client_last_error(c->client));
    } else {
        printf("Created topic %s.\n", name);
        rc = 0;
    }
out:
    for (size_t i = 0; copies && i < nconf; i++)
        free(copies[i]);
    free(copies);
    free(configs);
    return rc;
}

/* ---- --describe ---------------------------------------------------------------------------------- */

typedef struct describe_opts {
    bool configs;      /* print the topic line (no partition-report flag) */
    bool partitions;   /* print partition lines (not --topics-with-overrides) */
    bool under_replicated, unavailable, under_min_isr, at_min_isr, overrides;
    const kc_cluster_desc *cluster;
} describe_opts;

static const char *config_value(const kc_config_resource *r, const char *name)
{
    for (size_t i = 0; r && i < r->entry_count; i++)
        if (strcmp(r->entries[i].name, name) == 0)
            return r->entries[i].value;
    return NULL;
}

static bool has_non_default(const kc_config_resource *r)
{
    for (size_t i = 0; r && i < r->entry_count; i++)
        if (r->entries[i].source != KC_CONFIG_SOURCE_DEFAULT)
            return true;
    return false;
}

static void print_ids(const char *label, const int32_t *ids, int32_t n)
{
    printf("\t%s: ", label);
    for (int32_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", ids[i]);
}

static void print_topic_line(const kc_topic_desc *t, const kc_config_resource *cfg)
{
    char id[32];
    printf("Topic: %s", t->name);
    if (!tool_uuid_is_zero(t->topic_id))
        printf("\tTopicId: %s", tool_uuid_str(t->topic_id, id));
    printf("\tPartitionCount: %d", t->partition_count);
    printf("\tReplicationFactor: %d", t->partition_count ? t->partitions[0].replica_count : 0);
    printf("\tConfigs: ");
    bool first = true;
    for (size_t i = 0; cfg && i < cfg->entry_count; i++) {
        const kc_config_entry *e = &cfg->entries[i];
        if (e->source == KC_CONFIG_SOURCE_DEFAULT)
            continue;
        printf("%s%s=%s", first ? "" : ",", e->name, e->value ? e->value : "null");
        first = false;
    }
    printf("\n");
}

static bool broker_alive(const kc_cluster_desc *cl, int32_t id)
{
    for (size_t i = 0; cl && i < cl->broker_count; i++)
        if (cl->brokers[i].node_id == id)
            return true;
    return false;
}

static bool should_print_partition(const describe_opts *o, const kc_partition_desc *p,
                                   int min_isr)
{
    if (o->configs)
        return true;
    bool leader = p->leader >= 0;
    if (o->under_replicated && p->replica_count - p->isr_count > 0)
        return true;
    if (o->unavailable && (!leader || !broker_alive(o->cluster, p->leader)))
        return true;
    if (o->under_min_isr && (!leader || p->isr_count < min_isr))
        return true;
    return o->at_min_isr && p->isr_count == min_isr;
}

static void print_partition_line(const char *topic, const kc_partition_desc *p)
{
    printf("\tTopic: %s\tPartition: %d\tLeader: ", topic, p->partition);
    if (p->leader >= 0)
        printf("%d", p->leader);
    else
        printf("none");
    print_ids("Replicas", p->replicas, p->replica_count);
    print_ids("Isr", p->isr, p->isr_count);
    printf("\tElr: N/A\tLastKnownElr: N/A\n");
}

static void describe_one(const describe_opts *o, const kc_topic_desc *t,
                         const kc_config_resource *cfg)
{
    if (o->configs && (!o->overrides || has_non_default(cfg)) && t->partition_count > 0)
        print_topic_line(t, cfg);
    if (!o->partitions)
        return;
    const char *min = config_value(cfg, "min.insync.replicas");
    int min_isr = min ? atoi(min) : 1;
    for (int32_t i = 0; i < t->partition_count; i++)
        if (should_print_partition(o, &t->partitions[i], min_isr))
            print_partition_line(t->name, &t->partitions[i]);
}

static int do_describe(topics_cmd *c)
{
    const tool_args *a = &c->a;
    tool_strings names = {0};
    if (!get_topics(c, &names))
        return 1;
    if (!ensure_exists(c, &names)) {
        tool_strings_free(&names);
        return 1;
    }
    int rc = 1;
    kc_topic_desc *descs = NULL;
    size_t n = 0;
    kc_config_resource *cfgs = NULL;
    kc_resource *res = calloc(names.count + 1, sizeof(*res));
    kc_cluster_desc cluster;
    if (!res)
        goto out;
    if (names.count) /* a topic deleted since the listing is skipped below */
        kc_admin_describe_topics(c->client, (const char *const *)names.v, names.count,
                                 c->timeout, &c->arena, &descs, &n);
    if (names.count && !descs) {
        fprintf(stderr, ERR_PREFIX "%s\n", kc_client_last_error(c->client));
        goto out;
    }
    for (size_t i = 0; i < names.count; i++)
        res[i] = (kc_resource){KC_RESOURCE_TOPIC, names.v[i]};
    if (names.count && kc_admin_describe_configs(c->client, res, names.count, false, c->timeout,
                                                 &c->arena, &cfgs) &&
        !cfgs) {
        fprintf(stderr, ERR_PREFIX "%s\n", kc_client_last_error(c->client));
        goto out;
    }
    if (kc_admin_describe_cluster(c->client, c->timeout, &c->arena, &cluster)) {
        fprintf(stderr, ERR_PREFIX "%s\n", kc_client_last_error(c->client));
        goto out;
    }
    describe_opts o = {0};
    o.under_replicated = tool_has(a, "under-replicated-partitions");
    o.unavailable = tool_has(a, "unavailable-partitions");
    o.under_min_isr = tool_has(a, "under-min-isr-partitions");
    o.at_min_isr = tool_has(a, "at-min-isr-partitions");
    o.overrides = tool_has(a, "topics-with-overrides");
    o.configs = !o.under_replicated && !o.unavailable && !o.under_min_isr && !o.at_min_isr;
    o.partitions = !o.overrides;
    o.cluster = &cluster;
    for (size_t i = 0; i < n; i++)
        if (!descs[i].err) /* deleted between the listing and now */
            describe_one(&o, &descs[i], cfgs && !cfgs[i].err ? &cfgs[i] : NULL);
    rc = 0;
out:
    free(res);
    tool_strings_free(&names);
    return rc;
}

/* ---- --alter / --delete ----------------------------------------------------------------------------- */

static int do_alter(topics_cmd *c)
{
    tool_strings names = {0};
    if (!get_topics(c, &names) || !ensure_exists(c, &names)) {
        tool_strings_free(&names);
        return 1;
    }
    if (tool_has(&c->a, "replica-assignment")) {
        fprintf(stderr, ERR_PREFIX "--replica-assignment is not supported by strait yet\n");
        tool_strings_free(&names);
        return 1;
    }
    int64_t parts = tool_get_long(&c->a, "partitions", -1);
    kc_new_partitions *np = calloc(names.count + 1, sizeof(*np));
    int rc = 1;
    if (np) {
        for (size_t i = 0; i < names.count; i++)
            np[i] = (kc_new_partitions){names.v[i], (int32_t)parts};
        kc_admin_result *res = NULL;
        kc_err err = names.count ? kc_admin_create_partitions(c->client, np, names.count, false,
                                                              c->timeout, &c->arena, &res)
                                 : KC_OK;
        if (err)
            fprintf(stderr, ERR_PREFIX "%s\n",
                    res ? res[0].message : kc_client_last_error(c->client));
        rc = err ? 1 : 0;
        for (size_t i = 1; err && res && i < names.count; i++)
            if (res[i].err)
                fprintf(stderr, ERR_PREFIX "%s\n", res[i].message);
    }
    free(np);
    tool_strings_free(&names);
    return rc;
}

static int do_delete(topics_cmd *c)
{
    tool_strings names = {0};
    if (!get_topics(c, &names) || !ensure_exists(c, &names)) {
        tool_strings_free(&names);
        return 1;
    }
    int rc = 0;
    kc_admin_result *res = NULL;
    if (names.count && kc_admin_delete_topics(c->client, (const char *const *)names.v,
                                              names.count, c->timeout, &c->arena, &res)) {
        for (size_t i = 0; res && i < names.count; i++)
            if (res[i].err)
                fprintf(stderr, ERR_PREFIX "Topic '%s': %s\n", res[i].name, res[i].message);
        if (!res)
            fprintf(stderr, ERR_PREFIX "%s\n", kc_client_last_error(c->client));
        rc = 1;
    }
    tool_strings_free(&names);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------------------- */

/* Connects and runs the action; everything it made is freed on return. */
static int run(topics_cmd *c)
{
    kc_config *conf = tool_config(tool_get(&c->a, "bootstrap-server", NULL), "strait-topics",
                                  tool_get(&c->a, "command-config", NULL), NULL, 0);
    if (!conf)
        return 1;
    c->timeout = tool_timeout(&c->a, conf);
    c->client = tool_admin_client(conf, c->timeout, ERR_PREFIX);
    kc_config_free(conf);
    if (!c->client)
        return 1;
    st_arena_init(&c->arena);
    int rc;
    if (tool_has(&c->a, "create"))
        rc = do_create(c);
    else if (tool_has(&c->a, "alter"))
        rc = do_alter(c);
    else if (tool_has(&c->a, "list"))
        rc = do_list(c);
    else if (tool_has(&c->a, "describe"))
        rc = do_describe(c);
    else
        rc = do_delete(c);
    st_arena_free(&c->arena);
    kc_client_free(c->client);
    return rc;
}

int tool_topics(int argc, char **argv)
{
    topics_cmd c = {0};
    tool_args_parse(&c.a, "topics", "This tool helps to create, delete, describe, or change a "
                    "topic.", opts, OPT_COUNT, argc, argv);
    check_args(&c.a, argc);
    int rc = run(&c);
    tool_args_free(&c.a);
    fflush(stdout);
    return rc;
}
