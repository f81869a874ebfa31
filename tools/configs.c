/* configs.c — `strait configs`, Kafka's kafka-configs.sh for topic, broker
 * and broker-logger configs: --describe (dynamic configs, or --all) and
 * --alter (--add-config k=v,k2=[a,b] / --delete-config k) through
 * IncrementalAlterConfigs.
 *
 * Owns the tool's flags and output in Kafka's shapes: "Dynamic configs for
 * topic x are:" then "  name=value sensitive=false synonyms={SOURCE:name=
 * value, ...}", and "Completed updating config for topic x.". Quota, user
 * and client entities are not supported (the broker has none). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tool.h"

static const tool_opt opts[] = {
    {"bootstrap-server", OPT_ARG, "String: server to connect to",
     "The Kafka servers to connect to.", NULL},
    {"command-config", OPT_ARG, "String: command config property file",
     "Property file containing configs to be passed to the admin client.", NULL},
    {"describe", OPT_FLAG, NULL, "List configs for the given entity.", NULL},
    {"alter", OPT_FLAG, NULL, "Alter the configuration for the entity.", NULL},
    {"all", OPT_FLAG, NULL, "List all configs for the given entity, including static "
     "configuration when available.", NULL},
    {"entity-type", OPT_ARG, "String", "Type of entity (topics/brokers/broker-loggers).", NULL},
    {"entity-name", OPT_ARG, "String", "Name of entity (topic name/broker id).", NULL},
    {"entity-default", OPT_FLAG, NULL, "Default entity name for brokers (applies to the "
     "cluster-wide default configuration).", NULL},
    {"add-config", OPT_ARG, "String", "Key Value pairs of configs to add. Square brackets can "
     "be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'.", NULL},
    {"add-config-file", OPT_ARG, "String", "Path to a properties file with configs to add.",
     NULL},
    {"delete-config", OPT_ARG, "String", "config keys to remove 'k1,k2'", NULL},
    {"topic", OPT_ARG, "String", "The topic's name. (Same as --entity-type topics "
     "--entity-name <topic>.)", NULL},
    {"broker", OPT_ARG, "String", "The broker's ID.", NULL},
    {"broker-defaults", OPT_FLAG, NULL, "The config defaults for all brokers.", NULL},
    {"broker-logger", OPT_ARG, "String", "The broker's ID for its logger config.", NULL},
    {"timeout", OPT_ARG, "Long: timeout (ms)", "How long to wait for the cluster (strait's "
     "addition; default: the client's default.api.timeout.ms).", NULL},
};

#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

typedef struct configs_cmd {
    tool_args a;
    int argc;
    char **argv;
    kc_client *client;
    int timeout;
    st_arena arena;
    const char *type;   /* "topics", "brokers", "broker-loggers" */
    const char *name;   /* NULL: every entity of the type; "": the default */
} configs_cmd;

/* ---- flags ------------------------------------------------------------------------------ */

static void pick_entity(configs_cmd *c)
{
    const tool_args *a = &c->a;
    if (tool_has(a, "topic"))
        c->type = "topics", c->name = tool_get(a, "topic", NULL);
    else if (tool_has(a, "broker"))
        c->type = "brokers", c->name = tool_get(a, "broker", NULL);
    else if (tool_has(a, "broker-defaults"))
        c->type = "brokers", c->name = "";
    else if (tool_has(a, "broker-logger"))
        c->type = "broker-loggers", c->name = tool_get(a, "broker-logger", NULL);
    else
        c->type = tool_get(a, "entity-type", NULL);
    if (tool_has(a, "entity-name"))
        c->name = tool_get(a, "entity-name", NULL);
    if (tool_has(a, "entity-default"))
        c->name = "";
}

static void check_args(configs_cmd *c)
{
    const tool_args *a = &c->a;
    if (tool_has(a, "describe") + tool_has(a, "alter") != 1)
        tool_usage_exit(a, "Command must include exactly one action: --describe, --alter");
    if (!tool_has(a, "bootstrap-server"))
        tool_usage_exit(a, "One of the required bootstrap flags must be set: --bootstrap-server");
    pick_entity(c);
    if (!c->type)
        tool_usage_exit(a, "At least one entity type must be specified");
    static const char *const others[] = {"users", "clients", "ips", "client-metrics", "groups"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        if (strcmp(c->type, others[i]) == 0) {
            fprintf(stderr, "strait does not support '%s' configs (the broker has none)\n",
                    c->type);
            exit(1);
        }
    if (strcmp(c->type, "topics") && strcmp(c->type, "brokers") &&
        strcmp(c->type, "broker-loggers"))
        tool_usage_exit(a, "Invalid entity type %s, the entity type must be one of topics, "
                           "brokers, broker-loggers", c->type);
    if (tool_has(a, "alter")) {
        if (!tool_has(a, "add-config") && !tool_has(a, "add-config-file") &&
            !tool_has(a, "delete-config"))
            tool_usage_exit(a, "At least one of --add-config, --add-config-file, or "
                               "--delete-config must be specified with --alter");
        if (!c->name)
            tool_usage_exit(a, "An entity name must be specified with --alter of %s", c->type);
    }
    if (tool_has(a, "all") && !tool_has(a, "describe"))
        tool_usage_exit(a, "Option \"[all]\" can't be used with option \"[alter]\"");
    if (c->name && !strcmp(c->type, "topics") && !*c->name)
        tool_usage_exit(a, "--entity-default is not allowed for topics");
    if (c->name && *c->name && strcmp(c->type, "topics")) {
        char *end;
        strtol(c->name, &end, 10);
        if (*end || !*c->name) {
            fprintf(stderr, "The entity name for %s must be a valid integer broker id, found: "
                            "%s\n", c->type, c->name);
            exit(1);
        }
    }
}

/* Prints Kafka's generic failure line and the reason; returns 1. */
static int fail(configs_cmd *c, const char *why)
{
    fprintf(stderr, "Error while executing config command with args '");
    for (int i = 1; i < c->argc; i++)
        fprintf(stderr, "%s%s", i > 1 ? " " : "", c->argv[i]);
    fprintf(stderr, "'\n%s\n", why);
    return 1;
}

static int8_t resource_type(const configs_cmd *c)
{
    if (!strcmp(c->type, "topics"))
        return KC_RESOURCE_TOPIC;
    return !strcmp(c->type, "brokers") ? KC_RESOURCE_BROKER : KC_RESOURCE_BROKER_LOGGER;
}

/* The source a plain --describe shows for this entity (-1: all). */
static int dynamic_source(const configs_cmd *c, const char *name)
{
    if (!strcmp(c->type, "topics"))
        return KC_CONFIG_SOURCE_DYNAMIC_TOPIC;
    if (!strcmp(c->type, "brokers"))
        return *name ? KC_CONFIG_SOURCE_DYNAMIC_BROKER : KC_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER;
    return -1;
}

/* ---- --describe --------------------------------------------------------------------------- */

static void print_entry(const kc_config_entry *e)
{
    printf("  %s=%s sensitive=%s synonyms={", e->name, e->value ? e->value : "null",
           e->is_sensitive ? "true" : "false");
    for (size_t i = 0; i < e->synonym_count; i++)
        printf("%s%s:%s=%s", i ? ", " : "", kc_config_source_name(e->synonyms[i].source),
               e->synonyms[i].name, e->synonyms[i].value ? e->synonyms[i].value : "null");
    printf("}\n");
}

static int describe_entity(configs_cmd *c, const char *name, bool all)
{
    kc_resource r = {resource_type(c), name};
    kc_config_resource *res = NULL;
    if (kc_admin_describe_configs(c->client, &r, 1, true, c->timeout, &c->arena, &res))
        return fail(c, kc_client_last_error(c->client));
    char singular[32];
    snprintf(singular, sizeof(singular), "%.*s", (int)strlen(c->type) - 1, c->type);
    if (!*name)
        printf("Default configs for %s in the cluster are:\n", c->type);
    else
        printf("%s configs for %s %s are:\n", all ? "All" : "Dynamic", singular, name);
    int want = all ? -1 : dynamic_source(c, name);
    for (size_t i = 0; i < res->entry_count; i++)
        if (want < 0 || res->entries[i].source == want)
            print_entry(&res->entries[i]);
    return 0;
}

/* The entities to describe: the named one, or every topic / broker. */
static bool entity_names(configs_cmd *c, tool_strings *out, const kc_cluster_desc *cluster)
{
    if (c->name)
        return tool_strings_add(out, c->name);
    if (!strcmp(c->type, "topics")) {
        kc_topic_desc *t = NULL;
        size_t n = 0;
        if (kc_admin_describe_topics(c->client, NULL, 0, c->timeout, &c->arena, &t, &n))
            return false;
        for (size_t i = 0; i < n; i++)
            tool_strings_add(out, t[i].name);
        return true;
    }
    for (size_t i = 0; i < cluster->broker_count; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%d", cluster->brokers[i].node_id);
        tool_strings_add(out, id);
    }
    return strcmp(c->type, "brokers") != 0 || tool_strings_add(out, "");
}

/* Kafka's "doesn't exist" check for a named entity (not with --all):
 * 1 exists, 0 does not, -1 the lookup failed (kc_client_last_error). */
static int entity_exists(configs_cmd *c, const char *name, const kc_cluster_desc *cluster)
{
    if (!strcmp(c->type, "topics")) {
        kc_topic_desc *t = NULL;
        size_t n = 0;
        kc_err err = kc_admin_describe_topics(c->client, &name, 1, c->timeout, &c->arena, &t, &n);
        if (err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION)
            return 0;
        return err ? -1 : 1;
    }
    if (!*name)
        return 1;
    for (size_t i = 0; i < cluster->broker_count; i++)
        if (cluster->brokers[i].node_id == atoi(name))
            return 1;
    return 0;
}

static int do_describe(configs_cmd *c)
{
    bool all = tool_has(&c->a, "all");
    kc_cluster_desc cluster;
    if (kc_admin_describe_cluster(c->client, c->timeout, &c->arena, &cluster))
        return fail(c, kc_client_last_error(c->client));
    int exists = c->name && !all ? entity_exists(c, c->name, &cluster) : 1;
    if (exists < 0)
        return fail(c, kc_client_last_error(c->client));
    if (!exists) {
        printf("The %.*s '%s' doesn't exist and doesn't have dynamic config.\n",
               (int)strlen(c->type) - 1, c->type, c->name);
        return 0;
    }
    tool_strings names = {0};
    if (!entity_names(c, &names, &cluster)) {
        tool_strings_free(&names);
        return fail(c, kc_client_last_error(c->client));
    }
    int rc = 0;
    for (size_t i = 0; i < names.count && !rc; i++)
        rc = describe_entity(c, names.v[i], all);
    tool_strings_free(&names);
    return rc;
}

/* ---- --alter ---------------------------------------------------------------------------------- */

typedef struct alter_plan {
    kc_config_op *ops;
    size_t count;
    size_t cap;
    tool_strings owned;  /* the strings ops point to */
} alter_plan;

static bool plan_add(alter_plan *p, const char *name, int8_t op, const char *value)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        kc_config_op *grown = realloc(p->ops, cap * sizeof(*grown));
        if (!grown)
            return false;
        p->ops = grown;
        p->cap = cap;
    }
    if (!tool_strings_add(&p->owned, name))
        return false;
    const char *n = p->owned.v[p->owned.count - 1];
    const char *v = NULL;
    if (value) {
        if (!tool_strings_add(&p->owned, value))
            return false;
        v = p->owned.v[p->owned.count - 1];
    }
    p->ops[p->count++] = (kc_config_op){n, op, v};
    return true;
}

/* Splits "k1=v1,k2=[a,b]" at commas outside brackets; brackets dropped. */
static bool parse_add_config(const char *s, alter_plan *p)
{
    size_t n = strlen(s);
    char *item = malloc(n + 1);
    bool ok = item != NULL;
    size_t start = 0;
    int depth = 0;
    for (size_t i = 0; ok && i <= n; i++) {
        if (s[i] == '[')
            depth++;
        else if (s[i] == ']' && depth)
            depth--;
        if (i < n && (s[i] != ',' || depth))
            continue;
        size_t k = 0;
        for (size_t j = start; j < i; j++)
            if (s[j] != '[' && s[j] != ']')
                item[k++] = s[j];
        item[k] = '\0';
        start = i + 1;
        char *eq = strchr(item, '=');
        char *body = tool_trim(item);
        if (!*body && i == n && p->count == 0 && n == 0)
            break;
        if (!eq || strchr(eq + 1, '=')) {
            ok = false;
            break;
        }
        *eq = '\0';
        ok = plan_add(p, tool_trim(body), KC_CONFIG_OP_SET, tool_trim(eq + 1));
    }
    free(item);
    return ok;
}

static bool parse_add_file(const char *path, alter_plan *p)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, f) >= 0) {
        char *s = tool_trim(line);
        if (!*s || *s == '#' || *s == '!')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            ok = false;
            break;
        }
        *eq = '\0';
        ok = plan_add(p, tool_trim(s), KC_CONFIG_OP_SET, tool_trim(eq + 1));
    }
    free(line);
    fclose(f);
    return ok;
}

static bool parse_deletes(const tool_args *a, alter_plan *p)
{
    for (size_t i = 0; i < tool_count(a, "delete-config"); i++) {
        size_t n = 0;
        char **keys = tool_split(tool_value_at(a, "delete-config", i), ',', &n);
        bool ok = keys != NULL;
        for (size_t k = 0; ok && k < n; k++)
            if (*tool_trim(keys[k]))
                ok = plan_add(p, tool_trim(keys[k]), KC_CONFIG_OP_DELETE, NULL);
        tool_free_strings(keys, n);
        if (!ok)
            return false;
    }
    return true;
}

/* Kafka refuses to delete a config the entity does not have set. */
static int check_deletes(configs_cmd *c, const alter_plan *p)
{
    kc_resource r = {resource_type(c), c->name};
    kc_config_resource *res = NULL;
    kc_err err = kc_admin_describe_configs(c->client, &r, 1, false, c->timeout, &c->arena, &res);
    if (err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
        char why[512];
        snprintf(why, sizeof(why), "The topic '%s' does not exist.", c->name);
        return fail(c, why);
    }
    if (err)
        return fail(c, kc_client_last_error(c->client));
    int want = dynamic_source(c, c->name);
    char bad[1024] = "";
    for (size_t i = 0; i < p->count; i++) {
        if (p->ops[i].op != KC_CONFIG_OP_DELETE)
            continue;
        bool found = false;
        for (size_t k = 0; k < res->entry_count && !found; k++)
            found = !strcmp(res->entries[k].name, p->ops[i].name) &&
                    (want < 0 || res->entries[k].source == want);
        if (!found)
            snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s", *bad ? "," : "",
                     p->ops[i].name);
    }
    if (!*bad)
        return 0;
    fprintf(stderr, "Invalid config(s): %s\n", bad);
    return 1;
}

static int do_alter(configs_cmd *c)
{
    alter_plan p = {0};
    int rc = 1;
    if (!parse_deletes(&c->a, &p))
        goto out;
    if (tool_has(&c->a, "add-config-file") &&
        !parse_add_file(tool_get(&c->a, "add-config-file", NULL), &p)) {
        fprintf(stderr, "Cannot read configs from %s\n", tool_get(&c->a, "add-config-file", ""));
        goto out;
    }
    if (tool_has(&c->a, "add-config") && !parse_add_config(tool_get(&c->a, "add-config", ""), &p)) {
        fprintf(stderr, "Invalid entity config: all configs to be added must be in the format "
                        "\"key=val\" or \"key=[val1,val2]\" to group values which contain "
                        "commas.\n");
        goto out;
    }
    if ((rc = check_deletes(c, &p)) != 0)
        goto out;
    kc_alter_resource r = {resource_type(c), c->name, p.ops, p.count};
    kc_admin_result *res = NULL;
    if (kc_admin_incremental_alter_configs(c->client, &r, 1, false, c->timeout, &c->arena,
                                           &res)) {
        rc = fail(c, res && res[0].err ? res[0].message : kc_client_last_error(c->client));
        goto out;
    }
    if (*c->name)
        printf("Completed updating config for %.*s %s.\n", (int)strlen(c->type) - 1, c->type,
               c->name);
    else
        printf("Completed updating default config for %s in the cluster.\n", c->type);
    rc = 0;
out:
    free(p.ops);
    tool_strings_free(&p.owned);
    return rc;
}

/* Connects and runs the action; everything it made is freed on return. */
static int run(configs_cmd *c)
{
    kc_config *conf = tool_config(tool_get(&c->a, "bootstrap-server", NULL), "strait-configs",
                                  tool_get(&c->a, "command-config", NULL), NULL, 0);
    if (!conf)
        return 1;
    c->timeout = tool_timeout(&c->a, conf);
    c->client = tool_admin_client(conf, c->timeout, "Error while executing config command: ");
    kc_config_free(conf);
    if (!c->client)
        return 1;
    st_arena_init(&c->arena);
    int rc = tool_has(&c->a, "describe") ? do_describe(c) : do_alter(c);
    st_arena_free(&c->arena);
    kc_client_free(c->client);
    return rc;
}

int tool_configs(int argc, char **argv)
{
    configs_cmd c = {0};
    c.argc = argc;
    c.argv = argv;
    tool_args_parse(&c.a, "configs", "This tool helps to manipulate and describe entity config "
                    "for a topic, broker or broker-logger", opts, OPT_COUNT, argc, argv);
    check_args(&c);
    int rc = run(&c);
    tool_args_free(&c.a);
    fflush(stdout);
    return rc;
}
