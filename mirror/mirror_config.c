/* mirror_config.c — config/mirror.yaml read into a mirror_config (see
 * mirror_config.h).
 *
 * Owns the walk from YAML to structs: the file is loaded with libyaml's
 * document API, checked to be a plain tree (no aliases, bounded depth),
 * and each section (mirror, every cluster, every flow) is flattened into
 * dotted Kafka-style keys, so `metrics: {port: 1}` and `metrics.port: 1`
 * are the same setting. Mirror and flow keys are converted through one
 * table each (key, kind of value, field); cluster keys other than
 * bootstrap.servers are copied as client properties without judging them.
 * A YAML null (`key:`, `~`) means "not set": the default stays. Every error
 * is "file:line: what is wrong", naming the key and the mirror, cluster or
 * flow it belongs to; on error nothing is kept. Also owns the matching
 * rules for topics and groups and the target-topic naming. */
#include "mirror/mirror_config.h"

#include "common/yaml_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_DEPTH 64
#define TOPIC_NAME_MAX 249                  /* Kafka's limit on a topic name */
#define CHECKPOINTS_SUFFIX ".checkpoints.internal" /* MM2's "<alias>.checkpoints.internal" */
#define MS_MAX INT32_MAX                    /* longest accepted interval */

#define DEFAULT_DATABASE "./data/mirror/offsets.db"
#define DEFAULT_METRICS_HOST "127.0.0.1"
#define DEFAULT_LOG_INTERVAL_MS 30000
#define DEFAULT_SEPARATOR "."
#define DEFAULT_PATTERN ".*"

/* One load in progress. The document and flow_lines belong to the load;
 * everything reachable from out belongs to out. */
typedef struct loader {
    yaml_document_t doc;
    mirror_config *out;
    const char *source; /* the file name used in messages */
    char *errbuf;
    size_t errlen;
    int *flow_lines;    /* line of each flow's map, for cross-flow messages */
} loader;

/* A key of a section after flattening. The value node belongs to the
 * document; key is owned by the settings list. */
typedef struct setting {
    char *key;
    yaml_node_t *value; /* a scalar or a sequence */
    int line;           /* of the key */
} setting;

typedef struct settings {
    setting *items;
    size_t count;
    size_t cap;
} settings;

/* ---- errors ---- */

static st_err fail(loader *l, int line, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "source:line: message" into the error buffer; returns err. */
static st_err fail(loader *l, int line, st_err err, const char *fmt, ...)
{
    if (l->errbuf == NULL || l->errlen == 0)
        return err;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(l->errbuf, l->errlen, "%s:%d: %s", l->source, line, msg);
    return err;
}

static st_err no_memory(loader *l, int line)
{
    return fail(l, line, ST_ERR_NOMEM, "out of memory");
}

/* ---- the YAML tree ---- */

static yaml_node_t *node_at(loader *l, int id)
{
    return yaml_document_get_node(&l->doc, id);
}

static int line_of(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static const char *text_of(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = text_of(n);
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* The text of a key node, or NULL when it is not a non-empty scalar. */
static const char *key_text(const yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE || is_null(n) || text_of(n)[0] == '\0')
        return NULL;
    return text_of(n);
}

/* Refuses a node reached twice (an alias, possibly a cycle), a scalar with
 * a NUL byte and nesting deeper than MAX_DEPTH, so the later walks may
 * recurse over a plain, shallow tree. seen has one byte per node. */
static st_err check_node(loader *l, int id, unsigned char *seen, int depth)
{
    yaml_node_t *n = node_at(l, id);
    if (n == NULL)
        return fail(l, 1, ST_ERR_MALFORMED, "broken YAML document");
    if (seen[id - 1])
        return fail(l, line_of(n), ST_ERR_UNSUPPORTED,
                    "YAML aliases are not supported (this value is used twice)");
    seen[id - 1] = 1;
    if (depth > MAX_DEPTH)
        return fail(l, line_of(n), ST_ERR_TOO_LARGE, "nested more than %d levels deep",
                    MAX_DEPTH);
    st_err e = ST_OK;
    switch (n->type) {
    case YAML_SCALAR_NODE:
        if (strlen(text_of(n)) != n->data.scalar.length)
            e = fail(l, line_of(n), ST_ERR_MALFORMED, "a value holds a NUL character");
        break;
    case YAML_SEQUENCE_NODE:
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             e == ST_OK && it < n->data.sequence.items.top; it++)
            e = check_node(l, *it, seen, depth + 1);
        break;
    case YAML_MAPPING_NODE:
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             e == ST_OK && p < n->data.mapping.pairs.top; p++) {
            e = check_node(l, p->key, seen, depth + 1);
            if (e == ST_OK)
                e = check_node(l, p->value, seen, depth + 1);
        }
        break;
    default:
        e = fail(l, line_of(n), ST_ERR_MALFORMED, "unexpected YAML node");
        break;
    }
    return e;
}

static st_err check_tree(loader *l)
{
    if (yaml_document_get_root_node(&l->doc) == NULL)
        return ST_OK;
    size_t count = (size_t)(l->doc.nodes.top - l->doc.nodes.start);
    unsigned char *seen = calloc(count, 1);
    if (seen == NULL)
        return no_memory(l, 1);
    st_err e = check_node(l, 1, seen, 0);
    free(seen);
    return e;
}

/* ---- flattened settings ---- */

static void settings_free(settings *ss)
{
    for (size_t i = 0; i < ss->count; i++)
        free(ss->items[i].key);
    free(ss->items);
    memset(ss, 0, sizeof(*ss));
}

static setting *settings_find(const settings *ss, const char *key)
{
    for (size_t i = 0; i < ss->count; i++)
        if (ss->items[i].key && strcmp(ss->items[i].key, key) == 0)
            return &ss->items[i];
    return NULL;
}

/* Appends (key, value, line); takes ownership of key, also on failure. */
static st_err settings_add(loader *l, settings *ss, char *key, yaml_node_t *value, int line,
                           const char *place)
{
    const setting *prev = settings_find(ss, key);
    if (prev) {
        st_err e = fail(l, line, ST_ERR_MALFORMED, "'%s' is set twice in %s (first on line %d)",
                        key, place, prev->line);
        free(key);
        return e;
    }
    if (ss->count == ss->cap) {
        size_t ncap = ss->cap ? ss->cap * 2 : 8;
        setting *n = realloc(ss->items, ncap * sizeof(*n));
        if (n == NULL) {
            free(key);
            return no_memory(l, line);
        }
        ss->items = n;
        ss->cap = ncap;
    }
    ss->items[ss->count++] = (setting){.key = key, .value = value, .line = line};
    return ST_OK;
}

/* The pairs of map into ss, nested maps becoming dotted keys. */
static st_err flatten(loader *l, yaml_node_t *map, const char *prefix, const char *place,
                      settings *ss)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(l, p->key), *v = node_at(l, p->value);
        const char *name = key_text(k);
        if (name == NULL)
            return fail(l, line_of(k), ST_ERR_MALFORMED,
                        "a key in %s must be a plain, non-empty name", place);
        char *key = yaml_config_join_key(prefix, name);
        if (key == NULL)
            return no_memory(l, line_of(k));
        st_err e;
        if (v->type == YAML_MAPPING_NODE) {
            e = flatten(l, v, key, place, ss);
            free(key);
        } else {
            e = settings_add(l, ss, key, v, line_of(k), place);
        }
        if (e != ST_OK)
            return e;
    }
    return ST_OK;
}

/* ---- scalar values ---- */

static st_err scalar_value(loader *l, const setting *s, const char *place, const char **out)
{
    if (s->value->type != YAML_SCALAR_NODE)
        return fail(l, s->line, ST_ERR_MALFORMED, "'%s' in %s must be a single value, not a list",
                    s->key, place);
    *out = text_of(s->value);
    return ST_OK;
}

/* Replaces *field (malloc'd, may be NULL) with a copy of the value. */
static st_err read_text(loader *l, const setting *s, const char *place, bool allow_empty,
                        char **field)
{
    const char *text = "";
    st_err e = scalar_value(l, s, place, &text);
    if (e != ST_OK)
        return e;
    if (!allow_empty && text[0] == '\0')
        return fail(l, s->line, ST_ERR_MALFORMED, "'%s' in %s must not be empty", s->key, place);
    char *copy = strdup(text);
    if (copy == NULL)
        return no_memory(l, s->line);
    free(*field);
    *field = copy;
    return ST_OK;
}

/* A base-10 integer with an optional sign and nothing else around it. */
static bool parse_int64(const char *s, int64_t *out)
{
    const char *digits = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    if (digits[0] < '0' || digits[0] > '9')
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static st_err read_int(loader *l, const setting *s, const char *place, int64_t min, int64_t max,
                       const char *what, int64_t *out)
{
    const char *text = "";
    st_err e = scalar_value(l, s, place, &text);
    if (e != ST_OK)
        return e;
    int64_t v;
    if (!parse_int64(text, &v) || v < min || v > max)
        return fail(l, s->line, ST_ERR_MALFORMED, "'%s' in %s must be %s, not '%s'", s->key,
                    place, what, text);
    *out = v;
    return ST_OK;
}

/* The index of the value in names (an array of n), or an error listing them. */
static st_err read_choice(loader *l, const setting *s, const char *place,
                          const char *const *names, size_t n, size_t *index)
{
    const char *text = "";
    st_err e = scalar_value(l, s, place, &text);
    if (e != ST_OK)
        return e;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(text, names[i]) == 0) {
            *index = i;
            return ST_OK;
        }
    }
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof(list); i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? " | " : "",
                                 names[i]);
    return fail(l, s->line, ST_ERR_MALFORMED, "'%s' in %s must be one of %s, not '%s'", s->key,
                place, list, text);
}

static st_err read_bool(loader *l, const setting *s, const char *place, bool *out)
{
    const char *text = "";
    st_err e = scalar_value(l, s, place, &text);
    if (e != ST_OK)
        return e;
    if (strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0) {
        *out = strcasecmp(text, "true") == 0;
        return ST_OK;
    }
    return fail(l, s->line, ST_ERR_MALFORMED, "'%s' in %s must be true or false, not '%s'",
                s->key, place, text);
}

/* Characters Kafka allows in topic names. */
static bool topic_chars_only(const char *s, bool allow_dot)
{
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || (allow_dot && c == '.');
        if (!ok)
            return false;
    }
    return true;
}

/* ---- regex lists ---- */

static void patterns_free(mirror_patterns *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free(p->sources[i]);
        regfree(&p->compiled[i]);
    }
    free(p->sources);
    free(p->compiled);
    memset(p, 0, sizeof(*p));
}

/* Room for n patterns (set once: regex_t values are never moved). A list
 * that was set, even empty, has non-NULL arrays. */
static st_err patterns_reserve(loader *l, mirror_patterns *p, size_t n, int line)
{
    p->sources = calloc(n ? n : 1, sizeof(*p->sources));
    p->compiled = calloc(n ? n : 1, sizeof(*p->compiled));
    if (p->sources == NULL || p->compiled == NULL) {
        free(p->sources);
        free(p->compiled);
        p->sources = NULL;
        p->compiled = NULL;
        return no_memory(l, line);
    }
    return ST_OK;
}

/* Compiles text as a whole-name ERE into the next reserved slot. The text
 * must compile alone first, so "a)|(b" cannot escape the ^(...)$ anchors. */
static st_err patterns_add(loader *l, mirror_patterns *p, const char *text, int line,
                           const char *key, const char *place)
{
    if (text[0] == '\0')
        return fail(l, line, ST_ERR_MALFORMED, "'%s' in %s holds an empty pattern", key, place);
    size_t len = strlen(text);
    char *anchored = malloc(len + 5);
    char *copy = strdup(text);
    if (anchored == NULL || copy == NULL) {
        free(anchored);
        free(copy);
        return no_memory(l, line);
    }
    snprintf(anchored, len + 5, "^(%s)$", text);
    regex_t alone, re;
    int rc = regcomp(&alone, text, REG_EXTENDED | REG_NOSUB);
    if (rc == 0) {
        regfree(&alone);
        rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
    } else {
        re = alone; /* for regerror only */
    }
    free(anchored);
    if (rc != 0) {
        char why[128];
        regerror(rc, &re, why, sizeof(why));
        free(copy);
        return fail(l, line, ST_ERR_MALFORMED, "bad regex '%s' in '%s' of %s: %s", text, key,
                    place, why);
    }
    p->sources[p->count] = copy;
    p->compiled[p->count] = re;
    p->count++;
    return ST_OK;
}

/* A sequence of regexes, or one regex written as a single string (never
 * split on commas: a regex may hold one). */
static st_err read_patterns(loader *l, const setting *s, const char *place, mirror_patterns *p)
{
    yaml_node_t *v = s->value;
    bool list = v->type == YAML_SEQUENCE_NODE;
    size_t n = list ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 1;
    st_err e = patterns_reserve(l, p, n, s->line);
    if (e != ST_OK)
        return e;
    if (!list)
        return patterns_add(l, p, text_of(v), s->line, s->key, place);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node_at(l, v->data.sequence.items.start[i]);
        if (item->type != YAML_SCALAR_NODE || is_null(item))
            return fail(l, line_of(item), ST_ERR_MALFORMED,
                        "'%s' in %s must be a list of regexes (strings)", s->key, place);
        e = patterns_add(l, p, text_of(item), line_of(item), s->key, place);
        if (e != ST_OK)
            return e;
    }
    return ST_OK;
}

static st_err patterns_default(loader *l, mirror_patterns *p, int line)
{
    if (p->sources != NULL)
        return ST_OK; /* set in the file */
    st_err e = patterns_reserve(l, p, 1, line);
    return e != ST_OK ? e : patterns_add(l, p, DEFAULT_PATTERN, line, "", "defaults");
}

/* ---- the key tables of the mirror section and of a flow ---- */

typedef enum value_kind {
    KIND_TEXT,        /* char *, not empty */
    KIND_SEPARATOR,   /* char *, may be empty, topic-name characters only */
    KIND_CLUSTER,     /* const mirror_cluster *, by name */
    KIND_PATTERNS,    /* mirror_patterns */
    KIND_BOOL,        /* bool */
    KIND_PORT,        /* int, 0..65535 */
    KIND_MS,          /* int64_t, 0..MS_MAX */
    KIND_INTERVAL,    /* int64_t, 1..MS_MAX */
    KIND_REPLICATION, /* int16_t, -1 or 1..32767 */
    KIND_NAMING,      /* mirror_naming */
    KIND_COMPRESSION, /* int, MIRROR_COMPRESSION_SOURCE or a codec id */
    KIND_ISOLATION,   /* bool read_committed */
} value_kind;

typedef struct key_spec {
    const char *key;
    value_kind kind;
    size_t offset; /* of the field in mirror_config or mirror_flow */
} key_spec;

static const key_spec MIRROR_KEYS[] = {
    {"database", KIND_TEXT, offsetof(mirror_config, database)},
    {"metrics.host", KIND_TEXT, offsetof(mirror_config, metrics_host)},
    {"metrics.port", KIND_PORT, offsetof(mirror_config, metrics_port)},
    {"log.interval.ms", KIND_INTERVAL, offsetof(mirror_config, log_interval_ms)},
};

static const key_spec FLOW_KEYS[] = {
    {"name", KIND_TEXT, offsetof(mirror_flow, name)},
    {"source", KIND_CLUSTER, offsetof(mirror_flow, source)},
    {"target", KIND_CLUSTER, offsetof(mirror_flow, target)},
    {"topics", KIND_PATTERNS, offsetof(mirror_flow, topics)},
    {"topics.exclude", KIND_PATTERNS, offsetof(mirror_flow, topics_exclude)},
    {"groups", KIND_PATTERNS, offsetof(mirror_flow, groups)},
    {"groups.exclude", KIND_PATTERNS, offsetof(mirror_flow, groups_exclude)},
    {"naming", KIND_NAMING, offsetof(mirror_flow, naming)},
    {"separator", KIND_SEPARATOR, offsetof(mirror_flow, separator)},
    {"replication.factor", KIND_REPLICATION, offsetof(mirror_flow, replication_factor)},
    {"refresh.topics.interval.ms", KIND_INTERVAL,
     offsetof(mirror_flow, refresh_topics_interval_ms)},
    {"emit.checkpoints.interval.ms", KIND_INTERVAL,
     offsetof(mirror_flow, emit_checkpoints_interval_ms)},
    {"sync.topic.configs", KIND_BOOL, offsetof(mirror_flow, sync_topic_configs)},
    {"sync.group.offsets", KIND_BOOL, offsetof(mirror_flow, sync_group_offsets)},
    {"delete.topics", KIND_BOOL, offsetof(mirror_flow, delete_topics)},
    {"compression.type", KIND_COMPRESSION, offsetof(mirror_flow, compression)},
    {"isolation.level", KIND_ISOLATION, offsetof(mirror_flow, read_committed)},
    {"linger.ms", KIND_MS, offsetof(mirror_flow, linger_ms)},
    {"enabled", KIND_BOOL, offsetof(mirror_flow, enabled)},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static st_err read_cluster_ref(loader *l, const setting *s, const char *place,
                               const mirror_cluster **field)
{
    const char *name = "";
    st_err e = scalar_value(l, s, place, &name);
    if (e != ST_OK)
        return e;
    const mirror_cluster *c = mirror_config_cluster(l->out, name);
    if (c == NULL)
        return fail(l, s->line, ST_ERR_MALFORMED, "'%s' in %s names unknown cluster '%s'", s->key,
                    place, name);
    *field = c;
    return ST_OK;
}

static st_err read_separator(loader *l, const setting *s, const char *place, char **field)
{
    st_err e = read_text(l, s, place, true, field);
    if (e == ST_OK && !topic_chars_only(*field, true))
        e = fail(l, s->line, ST_ERR_MALFORMED,
                 "'%s' in %s may hold only letters, digits, '.', '_' and '-' (it goes into "
                 "topic names), not '%s'", s->key, place, *field);
    return e;
}

/* Converts one value into the field the spec names inside base. */
static st_err read_value(loader *l, const key_spec *spec, const setting *s, const char *place,
                         void *base)
{
    static const char *const namings[] = {"identity", "prefix"};
    static const char *const codecs[] = {"source", "none", "gzip", "snappy", "lz4", "zstd"};
    static const char *const isolations[] = {"read_uncommitted", "read_committed"};
    void *field = (char *)base + spec->offset;
    int64_t v = 0;
    size_t i = 0;
    st_err e = ST_OK;
    switch (spec->kind) {
    case KIND_TEXT:
        return read_text(l, s, place, false, (char **)field);
    case KIND_SEPARATOR:
        return read_separator(l, s, place, (char **)field);
    case KIND_CLUSTER:
        return read_cluster_ref(l, s, place, (const mirror_cluster **)field);
    case KIND_PATTERNS:
        return read_patterns(l, s, place, (mirror_patterns *)field);
    case KIND_BOOL:
        return read_bool(l, s, place, (bool *)field);
    case KIND_PORT:
        if ((e = read_int(l, s, place, 0, 65535, "a port from 0 to 65535", &v)) == ST_OK)
            *(int *)field = (int)v;
        return e;
    case KIND_MS:
        return read_int(l, s, place, 0, MS_MAX, "a number of milliseconds, 0 or more",
                        (int64_t *)field);
    case KIND_INTERVAL:
        return read_int(l, s, place, 1, MS_MAX, "a positive number of milliseconds",
                        (int64_t *)field);
    case KIND_REPLICATION:
        if ((e = read_int(l, s, place, -1, INT16_MAX, "-1 or from 1 to 32767", &v)) != ST_OK)
            return e;
        if (v == 0)
            return fail(l, s->line, ST_ERR_MALFORMED,
                        "'%s' in %s must be -1 or from 1 to 32767, not '0'", s->key, place);
        *(int16_t *)field = (int16_t)v;
        return ST_OK;
    case KIND_NAMING:
        if ((e = read_choice(l, s, place, namings, COUNT_OF(namings), &i)) == ST_OK)
            *(mirror_naming *)field = i == 1 ? MIRROR_NAMING_PREFIX : MIRROR_NAMING_IDENTITY;
        return e;
    case KIND_COMPRESSION:
        /* "source" is -1, then none 0, gzip 1, snappy 2, lz4 3, zstd 4 */
        if ((e = read_choice(l, s, place, codecs, COUNT_OF(codecs), &i)) == ST_OK)
            *(int *)field = i == 0 ? MIRROR_COMPRESSION_SOURCE : (int)i - 1;
        return e;
    case KIND_ISOLATION:
        if ((e = read_choice(l, s, place, isolations, COUNT_OF(isolations), &i)) == ST_OK)
            *(bool *)field = i == 1;
        return e;
    }
    return fail(l, s->line, ST_ERR_MALFORMED, "'%s': unhandled setting", s->key);
}

/* Applies each setting through the table; an unknown key is an error, a
 * null value keeps the default. */
static st_err apply_settings(loader *l, const key_spec *specs, size_t nspecs,
                             const settings *ss, const char *place, void *base)
{
    for (size_t i = 0; i < ss->count; i++) {
        const setting *s = &ss->items[i];
        const key_spec *spec = NULL;
        for (size_t j = 0; j < nspecs && spec == NULL; j++)
            if (strcmp(specs[j].key, s->key) == 0)
                spec = &specs[j];
        if (spec == NULL)
            return fail(l, s->line, ST_ERR_MALFORMED, "unknown key '%s' in %s", s->key, place);
        if (is_null(s->value))
            continue;
        st_err e = read_value(l, spec, s, place, base);
        if (e != ST_OK)
            return e;
    }
    return ST_OK;
}

/* ---- the mirror section ---- */

static st_err mirror_defaults(loader *l)
{
    mirror_config *c = l->out;
    c->database = strdup(DEFAULT_DATABASE);
    c->metrics_host = strdup(DEFAULT_METRICS_HOST);
    c->metrics_port = 0;
    c->log_interval_ms = DEFAULT_LOG_INTERVAL_MS;
    return c->database && c->metrics_host ? ST_OK : no_memory(l, 1);
}

static st_err read_mirror_section(loader *l, yaml_node_t *node)
{
    if (node == NULL || is_null(node))
        return ST_OK;
    if (node->type != YAML_MAPPING_NODE)
        return fail(l, line_of(node), ST_ERR_MALFORMED, "'mirror' must be a map of settings");
    const char *place = "the mirror section";
    settings ss = {0};
    st_err e = flatten(l, node, NULL, place, &ss);
    if (e == ST_OK)
        e = apply_settings(l, MIRROR_KEYS, COUNT_OF(MIRROR_KEYS), &ss, place, l->out);
    settings_free(&ss);
    return e;
}

/* ---- clusters ---- */

/* A property value: a scalar as written, a list joined with commas
 * (Kafka's list form). malloc'd into *out. */
static st_err property_text(loader *l, const setting *s, const char *place, char **out)
{
    yaml_node_t *v = s->value;
    if (v->type == YAML_SCALAR_NODE) {
        *out = strdup(text_of(v));
        return *out ? ST_OK : no_memory(l, s->line);
    }
    size_t len = 0;
    char *acc = calloc(1, 1);
    yaml_node_item_t *end = v->data.sequence.items.top;
    for (yaml_node_item_t *it = v->data.sequence.items.start; acc && it < end; it++) {
        yaml_node_t *item = node_at(l, *it);
        if (item->type != YAML_SCALAR_NODE || is_null(item)) {
            free(acc);
            return fail(l, line_of(item), ST_ERR_MALFORMED,
                        "'%s' in %s: a list may hold only plain, non-empty values", s->key, place);
        }
        size_t ilen = item->data.scalar.length;
        char *n = realloc(acc, len + ilen + 2);
        if (n == NULL) {
            free(acc);
            acc = NULL;
            break;
        }
        acc = n;
        if (len)
            acc[len++] = ',';
        memcpy(acc + len, text_of(item), ilen + 1);
        len += ilen;
    }
    if (acc == NULL)
        return no_memory(l, s->line);
    *out = acc;
    return ST_OK;
}

/* Letters, digits, '_' and '-' only (the alias goes into topic names and
 * may not hold '.'), short enough for "<alias>.checkpoints.internal". */
static st_err check_cluster_name(loader *l, const char *name, int line)
{
    if (!topic_chars_only(name, false))
        return fail(l, line, ST_ERR_MALFORMED,
                    "cluster name '%s' may hold only letters, digits, '_' and '-'", name);
    size_t max = TOPIC_NAME_MAX - strlen(CHECKPOINTS_SUFFIX);
    if (strlen(name) > max)
        return fail(l, line, ST_ERR_MALFORMED,
                    "cluster name '%.40s...' is longer than %zu characters", name, max);
    return ST_OK;
}

/* Takes ownership of *text. */
static st_err cluster_take(loader *l, mirror_cluster *c, setting *s, const char *place,
                           char *text)
{
    if (strcmp(s->key, "bootstrap.servers") == 0) {
        if (text[0] == '\0') {
            free(text);
            return fail(l, s->line, ST_ERR_MALFORMED, "'bootstrap.servers' in %s is empty", place);
        }
        c->bootstrap_servers = text;
        return ST_OK;
    }
    c->properties[c->property_count++] = (mirror_property){.name = s->key, .value = text};
    s->key = NULL; /* now owned by the cluster */
    return ST_OK;
}

static st_err read_cluster(loader *l, mirror_cluster *c, yaml_node_t *key, yaml_node_t *value)
{
    int line = line_of(key);
    c->name = strdup(text_of(key));
    if (c->name == NULL)
        return no_memory(l, line);
    char place[300];
    snprintf(place, sizeof(place), "cluster %s", c->name);
    if (value->type != YAML_MAPPING_NODE)
        return fail(l, line, ST_ERR_MALFORMED, "%s must be a map of client settings "
                    "with bootstrap.servers", place);
    settings ss = {0};
    st_err e = flatten(l, value, NULL, place, &ss);
    if (e == ST_OK && ss.count > 0) {
        c->properties = calloc(ss.count, sizeof(*c->properties));
        if (c->properties == NULL)
            e = no_memory(l, line);
    }
    for (size_t i = 0; e == ST_OK && i < ss.count; i++) {
        setting *s = &ss.items[i];
        if (is_null(s->value))
            continue; /* not set */
        char *text = NULL;
        e = property_text(l, s, place, &text);
        if (e == ST_OK)
            e = cluster_take(l, c, s, place, text);
    }
    settings_free(&ss);
    if (e == ST_OK && c->bootstrap_servers == NULL)
        e = fail(l, line, ST_ERR_MALFORMED, "%s has no bootstrap.servers", place);
    return e;
}

static st_err read_clusters(loader *l, yaml_node_t *node, int line)
{
    if (node != NULL && !is_null(node) && node->type != YAML_MAPPING_NODE)
        return fail(l, line, ST_ERR_MALFORMED,
                    "'clusters' must be a map from cluster name to its settings");
    size_t n = node && node->type == YAML_MAPPING_NODE
                   ? (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start)
                   : 0;
    if (n == 0)
        return fail(l, line, ST_ERR_MALFORMED,
                    "no clusters: 'clusters' must name at least one cluster");
    mirror_config *c = l->out;
    c->clusters = calloc(n, sizeof(*c->clusters));
    if (c->clusters == NULL)
        return no_memory(l, line);
    c->cluster_count = n;
    yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *key = node_at(l, pairs[i].key), *value = node_at(l, pairs[i].value);
        const char *name = key_text(key);
        if (name == NULL)
            return fail(l, line_of(key), ST_ERR_MALFORMED,
                        "a cluster name must be a plain, non-empty string");
        st_err e = check_cluster_name(l, name, line_of(key));
        for (size_t j = 0; e == ST_OK && j < i; j++)
            if (strcmp(c->clusters[j].name, name) == 0)
                e = fail(l, line_of(key), ST_ERR_MALFORMED,
                         "cluster %s is defined twice (first on line %d)", name,
                         line_of(node_at(l, pairs[j].key)));
        if (e == ST_OK)
            e = read_cluster(l, &c->clusters[i], key, value);
        if (e != ST_OK)
            return e;
    }
    return ST_OK;
}

/* ---- flows ---- */

static void flow_defaults(mirror_flow *f)
{
    f->naming = MIRROR_NAMING_IDENTITY;
    f->replication_factor = -1;
    f->refresh_topics_interval_ms = 30000;
    f->emit_checkpoints_interval_ms = 10000;
    f->sync_topic_configs = true;
    f->sync_group_offsets = true;
    f->delete_topics = false;
    f->compression = MIRROR_COMPRESSION_SOURCE;
    f->read_committed = true;
    f->linger_ms = 5;
    f->enabled = true;
}

/* What messages call a flow before it is read: its name, else
 * "source->target", else "#index" (1-based). */
static void flow_label(loader *l, yaml_node_t *map, size_t index, char *buf, size_t len)
{
    const char *name = NULL, *source = NULL, *target = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *key = key_text(node_at(l, p->key));
        yaml_node_t *v = node_at(l, p->value);
        if (key == NULL || v->type != YAML_SCALAR_NODE || is_null(v) || text_of(v)[0] == '\0')
            continue;
        if (strcmp(key, "name") == 0)
            name = text_of(v);
        else if (strcmp(key, "source") == 0)
            source = text_of(v);
        else if (strcmp(key, "target") == 0)
            target = text_of(v);
    }
    if (name)
        snprintf(buf, len, "%s", name);
    else if (source && target)
        snprintf(buf, len, "%s->%s", source, target);
    else
        snprintf(buf, len, "#%zu", index + 1);
}

/* Prefix naming needs a separator that no cluster alias contains: else a
 * prefixed name could not be told apart from another and could loop. */
static st_err check_prefix_naming(loader *l, const mirror_flow *f, const settings *ss,
                                  const char *place, int line)
{
    const setting *sep = settings_find(ss, "separator");
    int sep_line = sep ? sep->line : line;
    if (f->separator[0] == '\0')
        return fail(l, sep_line, ST_ERR_MALFORMED,
                    "'separator' in %s is empty: prefix naming needs one", place);
    for (size_t i = 0; i < l->out->cluster_count; i++) {
        const char *alias = l->out->clusters[i].name;
        if (strstr(alias, f->separator))
            return fail(l, sep_line, ST_ERR_MALFORMED,
                        "'separator' '%s' of %s appears in cluster name '%s': prefixed topic "
                        "names would be ambiguous and could loop; choose another separator",
                        f->separator, place, alias);
    }
    return ST_OK;
}

/* Defaults that need memory, and the checks of one flow on its own. */
static st_err flow_finish(loader *l, mirror_flow *f, const settings *ss, const char *place,
                          int line)
{
    if (f->source == NULL)
        return fail(l, line, ST_ERR_MALFORMED, "%s has no 'source' cluster", place);
    if (f->target == NULL)
        return fail(l, line, ST_ERR_MALFORMED, "%s has no 'target' cluster", place);
    if (f->source == f->target)
        return fail(l, settings_find(ss, "target")->line, ST_ERR_MALFORMED,
                    "%s has cluster %s as both source and target", place, f->source->name);
    if (f->name == NULL &&
        asprintf(&f->name, "%s->%s", f->source->name, f->target->name) < 0) {
        f->name = NULL;
        return no_memory(l, line);
    }
    if (f->separator == NULL && (f->separator = strdup(DEFAULT_SEPARATOR)) == NULL)
        return no_memory(l, line);
    st_err e = patterns_default(l, &f->topics, line);
    if (e == ST_OK)
        e = patterns_default(l, &f->groups, line);
    if (e == ST_OK && f->naming == MIRROR_NAMING_PREFIX)
        e = check_prefix_naming(l, f, ss, place, line);
    return e;
}

static st_err read_flow(loader *l, mirror_flow *f, size_t index, yaml_node_t *node)
{
    int line = line_of(node);
    l->flow_lines[index] = line;
    flow_defaults(f);
    if (node->type != YAML_MAPPING_NODE)
        return fail(l, line, ST_ERR_MALFORMED, "flow #%zu must be a map of settings", index + 1);
    char label[256], place[300];
    flow_label(l, node, index, label, sizeof(label));
    snprintf(place, sizeof(place), "flow %s", label);
    settings ss = {0};
    st_err e = flatten(l, node, NULL, place, &ss);
    if (e == ST_OK)
        e = apply_settings(l, FLOW_KEYS, COUNT_OF(FLOW_KEYS), &ss, place, f);
    if (e == ST_OK)
        e = flow_finish(l, f, &ss, place, line);
    settings_free(&ss);
    return e;
}

/* Checks between flows: one flow per (source, target), unique names, and
 * one separator for all prefix flows (like MM2's single
 * replication.policy.separator): each prefix flow skips only names
 * starting "<target><its separator>", so east->west with "." and
 * west->east with "_" would rename each other's topics back and forth. */
static st_err check_flows_apart(loader *l)
{
    const mirror_config *c = l->out;
    for (size_t i = 0; i < c->flow_count; i++) {
        const mirror_flow *f = &c->flows[i];
        for (size_t j = 0; j < i; j++) {
            const mirror_flow *g = &c->flows[j];
            if (f->naming == MIRROR_NAMING_PREFIX && g->naming == MIRROR_NAMING_PREFIX &&
                strcmp(f->separator, g->separator) != 0)
                return fail(l, l->flow_lines[i], ST_ERR_MALFORMED,
                            "flow %s uses separator '%s' but flow %s (line %d) uses '%s': "
                            "prefix flows must share one separator, else they can rename "
                            "each other's topics in a loop", f->name, f->separator, g->name,
                            l->flow_lines[j], g->separator);
            if (f->source == g->source && f->target == g->target)
                return fail(l, l->flow_lines[i], ST_ERR_MALFORMED,
                            "flow %s copies %s to %s like flow %s (line %d): one flow per "
                            "source and target", f->name, f->source->name, f->target->name,
                            g->name, l->flow_lines[j]);
            if (strcmp(f->name, g->name) == 0)
                return fail(l, l->flow_lines[i], ST_ERR_MALFORMED,
                            "duplicate flow name '%s' (first on line %d)", f->name,
                            l->flow_lines[j]);
        }
    }
    return ST_OK;
}

static st_err read_flows(loader *l, yaml_node_t *node, int line)
{
    if (node == NULL || is_null(node))
        return ST_OK; /* no flows: nothing to do */
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(l, line, ST_ERR_MALFORMED, "'flows' must be a list of flows");
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (n == 0)
        return ST_OK;
    mirror_config *c = l->out;
    c->flows = calloc(n, sizeof(*c->flows));
    l->flow_lines = calloc(n, sizeof(*l->flow_lines));
    if (c->flows == NULL || l->flow_lines == NULL)
        return no_memory(l, line);
    c->flow_count = n;
    for (size_t i = 0; i < n; i++) {
        st_err e = read_flow(l, &c->flows[i], i, node_at(l, node->data.sequence.items.start[i]));
        if (e != ST_OK)
            return e;
    }
    return check_flows_apart(l);
}

/* ---- the document ---- */

enum { SECTION_MIRROR, SECTION_CLUSTERS, SECTION_FLOWS, SECTION_COUNT };

static st_err read_root(loader *l)
{
    static const char *const names[SECTION_COUNT] = {"mirror", "clusters", "flows"};
    yaml_node_t *sections[SECTION_COUNT] = {0};
    int lines[SECTION_COUNT] = {1, 1, 1};
    st_err e = mirror_defaults(l);
    if (e != ST_OK)
        return e;
    yaml_node_t *root = yaml_document_get_root_node(&l->doc);
    if (root != NULL && !is_null(root) && root->type != YAML_MAPPING_NODE)
        return fail(l, line_of(root), ST_ERR_MALFORMED,
                    "the top level must be a map with mirror, clusters and flows");
    bool map = root != NULL && root->type == YAML_MAPPING_NODE;
    for (yaml_node_pair_t *p = map ? root->data.mapping.pairs.start : NULL;
         map && p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(l, p->key);
        const char *key = key_text(k);
        size_t i = 0;
        while (key && i < SECTION_COUNT && strcmp(key, names[i]) != 0)
            i++;
        if (key == NULL || i == SECTION_COUNT)
            return fail(l, line_of(k), ST_ERR_MALFORMED,
                        "unknown top-level key '%s' (expected mirror, clusters or flows)",
                        key ? key : "");
        if (sections[i])
            return fail(l, line_of(k), ST_ERR_MALFORMED, "'%s' appears twice (first on line %d)",
                        key, lines[i]);
        sections[i] = node_at(l, p->value);
        lines[i] = line_of(k);
    }
    if ((e = read_mirror_section(l, sections[SECTION_MIRROR])) != ST_OK)
        return e;
    if ((e = read_clusters(l, sections[SECTION_CLUSTERS], lines[SECTION_CLUSTERS])) != ST_OK)
        return e;
    return read_flows(l, sections[SECTION_FLOWS], lines[SECTION_FLOWS]);
}

static st_err parser_fail(loader *l, const yaml_parser_t *p)
{
    int line = (int)p->problem_mark.line + 1;
    if (p->error == YAML_MEMORY_ERROR)
        return no_memory(l, line);
    const char *problem = p->problem ? p->problem : "unreadable YAML";
    if (p->context)
        return fail(l, line, ST_ERR_MALFORMED, "YAML syntax error: %s %s", p->context, problem);
    return fail(l, line, ST_ERR_MALFORMED, "YAML syntax error: %s", problem);
}

/* Loads the one document into l->doc (deleted again on failure). */
static st_err parse_document(loader *l, yaml_parser_t *parser)
{
    if (!yaml_parser_load(parser, &l->doc))
        return parser_fail(l, parser);
    yaml_document_t extra;
    st_err e = ST_OK;
    if (!yaml_parser_load(parser, &extra)) {
        e = parser_fail(l, parser);
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&extra);
        if (root)
            e = fail(l, line_of(root), ST_ERR_MALFORMED, "only one YAML document is allowed");
        yaml_document_delete(&extra);
    }
    if (e != ST_OK)
        yaml_document_delete(&l->doc);
    return e;
}

static st_err load(mirror_config *out, const char *name, FILE *f, const char *text, size_t len,
                   char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    loader l = {.out = out, .source = name, .errbuf = errbuf, .errlen = errlen};
    if (errbuf && errlen)
        errbuf[0] = '\0';
    yaml_parser_t parser;
    if ((out->path = strdup(name)) == NULL || !yaml_parser_initialize(&parser)) {
        free(out->path);
        out->path = NULL;
        return no_memory(&l, 1);
    }
    if (f)
        yaml_parser_set_input_file(&parser, f);
    else
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    st_err e = parse_document(&l, &parser);
    yaml_parser_delete(&parser);
    if (e == ST_OK) {
        e = check_tree(&l);
        if (e == ST_OK)
            e = read_root(&l);
        yaml_document_delete(&l.doc);
    }
    free(l.flow_lines);
    if (e != ST_OK)
        mirror_config_free(out);
    return e;
}

st_err mirror_config_load_string(mirror_config *out, const char *name, const char *text,
                                 size_t len, char *errbuf, size_t errlen)
{
    return load(out, name ? name : "<string>", NULL, text ? text : "", text ? len : 0, errbuf,
                errlen);
}

st_err mirror_config_load(mirror_config *out, const char *path, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return ST_ERR_IO;
    }
    st_err e = load(out, path, f, NULL, 0, errbuf, errlen);
    if (e == ST_OK && ferror(f)) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: read error", path);
        mirror_config_free(out);
        e = ST_ERR_IO;
    }
    fclose(f);
    return e;
}

void mirror_config_free(mirror_config *config)
{
    if (config == NULL)
        return;
    for (size_t i = 0; i < config->cluster_count; i++) {
        mirror_cluster *c = &config->clusters[i];
        for (size_t j = 0; j < c->property_count; j++) {
            free(c->properties[j].name);
            free(c->properties[j].value);
        }
        free(c->properties);
        free(c->name);
        free(c->bootstrap_servers);
    }
    for (size_t i = 0; i < config->flow_count; i++) {
        mirror_flow *f = &config->flows[i];
        free(f->name);
        free(f->separator);
        patterns_free(&f->topics);
        patterns_free(&f->topics_exclude);
        patterns_free(&f->groups);
        patterns_free(&f->groups_exclude);
    }
    free(config->clusters);
    free(config->flows);
    free(config->path);
    free(config->database);
    free(config->metrics_host);
    memset(config, 0, sizeof(*config));
}

/* ---- look-ups ---- */

const mirror_cluster *mirror_config_cluster(const mirror_config *config, const char *name)
{
    for (size_t i = 0; name && i < config->cluster_count; i++)
        if (config->clusters[i].name && strcmp(config->clusters[i].name, name) == 0)
            return &config->clusters[i];
    return NULL;
}

const mirror_flow *mirror_config_find_flow(const mirror_config *config, const char *source,
                                           const char *target)
{
    for (size_t i = 0; source && target && i < config->flow_count; i++) {
        const mirror_flow *f = &config->flows[i];
        if (f->source && f->target && strcmp(f->source->name, source) == 0 &&
            strcmp(f->target->name, target) == 0)
            return f;
    }
    return NULL;
}

/* ---- matching and naming ---- */

static bool patterns_match(const mirror_patterns *p, const char *name)
{
    for (size_t i = 0; i < p->count; i++)
        if (regexec(&p->compiled[i], name, 0, NULL, 0) == 0)
            return true;
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool topic_is_internal(const char *topic)
{
    return strncmp(topic, "__", 2) == 0 || ends_with(topic, ".internal") ||
           ends_with(topic, "-internal");
}

/* Whether topic starts with "<alias><separator>". */
static bool has_alias_prefix(const char *topic, const char *alias, const char *separator)
{
    size_t a = strlen(alias), s = strlen(separator);
    return strncmp(topic, alias, a) == 0 && strncmp(topic + a, separator, s) == 0;
}

bool mirror_flow_topic_matches(const mirror_flow *flow, const char *topic)
{
    if (topic == NULL || topic[0] == '\0' || topic_is_internal(topic))
        return false;
    if (flow->naming == MIRROR_NAMING_PREFIX &&
        has_alias_prefix(topic, flow->target->name, flow->separator))
        return false; /* came from the target: copying it back would loop */
    if (patterns_match(&flow->topics_exclude, topic))
        return false;
    return patterns_match(&flow->topics, topic);
}

bool mirror_flow_group_matches(const mirror_flow *flow, const char *group)
{
    if (group == NULL || group[0] == '\0')
        return false;
    return !patterns_match(&flow->groups_exclude, group) && patterns_match(&flow->groups, group);
}

bool mirror_flow_target_topic(const mirror_flow *flow, const char *topic, char *buf,
                              size_t buflen)
{
    if (topic == NULL || topic[0] == '\0' || buf == NULL || buflen == 0)
        return false;
    int n;
    if (flow->naming == MIRROR_NAMING_PREFIX)
        n = snprintf(buf, buflen, "%s%s%s", flow->source->name, flow->separator, topic);
    else
        n = snprintf(buf, buflen, "%s", topic);
    if (n < 0 || (size_t)n >= buflen || n > TOPIC_NAME_MAX) {
        buf[0] = '\0';
        return false;
    }
    return true;
}
