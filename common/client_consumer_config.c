/* client_consumer_config.c — the consumer's properties: names, types,
 * defaults, parsing and cross-checks (see client_consumer_config.h).
 *
 * Owns the consumer property table. Names and defaults are the Java
 * consumer's; a few librdkafka spellings of values are accepted as
 * synonyms. Anything that is not a consumer property goes to the client's
 * kc_config, which names unknown properties in its error. */
#include "common/client_consumer_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/client_assignor.h"
#include "common/client_config.h"

typedef enum cprop_type {
    CP_INT32,
    CP_BOOL,
    CP_STRING,
    CP_RESET,      /* auto.offset.reset */
    CP_ISOLATION,  /* isolation.level */
    CP_STRATEGY,   /* partition.assignment.strategy */
} cprop_type;

typedef struct cprop {
    const char *name;
    cprop_type type;
    size_t offset;
    const char *def;
    int64_t min;
    int64_t max;
} cprop;

#define OFF(field) offsetof(kc_consumer_settings, field)

static const cprop cprops[] = {
    {"group.id", CP_STRING, OFF(group_id), "", 0, 0},
    {"group.instance.id", CP_STRING, OFF(group_instance_id), "", 0, 0},
    {"session.timeout.ms", CP_INT32, OFF(session_timeout_ms), "45000", 1, INT32_MAX},
    {"heartbeat.interval.ms", CP_INT32, OFF(heartbeat_interval_ms), "3000", 1, INT32_MAX},
    {"max.poll.interval.ms", CP_INT32, OFF(max_poll_interval_ms), "300000", 1, INT32_MAX},
    {"partition.assignment.strategy", CP_STRATEGY, OFF(assignment_strategy),
     "range,cooperative-sticky", 0, 0},
    {"auto.offset.reset", CP_RESET, OFF(reset_policy), "latest", 0, 0},
    {"enable.auto.commit", CP_BOOL, OFF(enable_auto_commit), "true", 0, 0},
    {"auto.commit.interval.ms", CP_INT32, OFF(auto_commit_interval_ms), "5000", 0, INT32_MAX},
    {"fetch.min.bytes", CP_INT32, OFF(fetch_min_bytes), "1", 0, INT32_MAX},
    {"fetch.max.wait.ms", CP_INT32, OFF(fetch_max_wait_ms), "500", 0, INT32_MAX},
    {"max.partition.fetch.bytes", CP_INT32, OFF(max_partition_fetch_bytes), "1048576", 1,
     INT32_MAX},
    {"fetch.max.bytes", CP_INT32, OFF(fetch_max_bytes), "52428800", 1, INT32_MAX},
    {"isolation.level", CP_ISOLATION, OFF(isolation_level), "read_uncommitted", 0, 0},
    {"max.poll.records", CP_INT32, OFF(max_poll_records), "500", 1, INT32_MAX},
    {"check.crcs", CP_BOOL, OFF(check_crcs), "true", 0, 0},
    {"client.rack", CP_STRING, OFF(client_rack), "", 0, 0},
    {"exclude.internal.topics", CP_BOOL, OFF(exclude_internal_topics), "true", 0, 0},
    {"group.protocol", CP_STRING, OFF(group_protocol), "classic", 0, 0},
};

#define CPROP_COUNT (sizeof(cprops) / sizeof(cprops[0]))

static void fail(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

static const cprop *find_cprop(const char *name)
{
    for (size_t i = 0; i < CPROP_COUNT; i++)
        if (strcmp(cprops[i].name, name) == 0)
            return &cprops[i];
    return NULL;
}

static void *field(kc_consumer_settings *s, const cprop *p)
{
    return (char *)s + p->offset;
}

static const void *cfield(const kc_consumer_settings *s, const cprop *p)
{
    return (const char *)s + p->offset;
}

/* ---- value parsers ------------------------------------------------------------ */

static int parse_reset(const char *v)
{
    if (!strcmp(v, "earliest") || !strcmp(v, "smallest") || !strcmp(v, "beginning"))
        return KC_RESET_EARLIEST;
    if (!strcmp(v, "latest") || !strcmp(v, "largest") || !strcmp(v, "end"))
        return KC_RESET_LATEST;
    if (!strcmp(v, "none") || !strcmp(v, "error"))
        return KC_RESET_NONE;
    return -1;
}

static const char *reset_name(int policy)
{
    return policy == KC_RESET_EARLIEST ? "earliest" : policy == KC_RESET_LATEST ? "latest" : "none";
}

/* Maps one entry of partition.assignment.strategy (a short name or a Java
 * class name) to the assignor's name; NULL when unknown. */
static const char *strategy_name(const char *entry, size_t len)
{
    static const struct {
        const char *alias;
        const char *name;
    } aliases[] = {
        {"range", "range"},
        {"org.apache.kafka.clients.consumer.RangeAssignor", "range"},
        {"roundrobin", "roundrobin"},
        {"org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin"},
        {"cooperative-sticky", "cooperative-sticky"},
        {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky"},
    };
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strlen(aliases[i].alias) == len && strncasecmp(aliases[i].alias, entry, len) == 0)
            return aliases[i].name;
    return NULL;
}

static kc_err parse_strategy(kc_consumer_settings *s, const char *value, char *errstr,
                             size_t errlen)
{
    const char *names[KC_MAX_ASSIGNORS];
    int n = 0;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        const char *name = strategy_name(p, (size_t)(end - p));
        if (!name) {
            fail(errstr, errlen, "partition.assignment.strategy: '%.*s' is not one of range, "
                 "roundrobin, cooperative-sticky", (int)(end - p), p);
            return KC_ERR_CONFIG;
        }
        bool dup = false;
        for (int i = 0; i < n; i++)
            dup = dup || names[i] == name;
        if (!dup) {
            if (n == KC_MAX_ASSIGNORS) {
                fail(errstr, errlen, "partition.assignment.strategy: too many assignors");
                return KC_ERR_CONFIG;
            }
            names[n++] = name;
        }
        p = end;
    }
    if (n == 0) {
        fail(errstr, errlen, "partition.assignment.strategy: no assignor given");
        return KC_ERR_CONFIG;
    }
    for (int i = 0; i < n; i++)
        s->assignors[i] = names[i];
    s->assignor_count = n;
    return KC_OK;
}

static kc_err store_string(char **dst, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return KC_ERR_NOMEM;
    free(*dst);
    *dst = copy;
    return KC_OK;
}

static kc_err store_int(kc_consumer_settings *s, const cprop *p, const char *value,
                        char *errstr, size_t errlen)
{
    errno = 0;
    char *end;
    long long v = strtoll(value, &end, 10);
    if (!*value || errno || *end) {
        fail(errstr, errlen, "%s: '%s' is not an integer", p->name, value);
        return KC_ERR_CONFIG;
    }
    if (v < p->min || v > p->max) {
        fail(errstr, errlen, "%s: %lld is out of range [%lld, %lld]", p->name, v,
             (long long)p->min, (long long)p->max);
        return KC_ERR_CONFIG;
    }
    *(int32_t *)field(s, p) = (int32_t)v;
    return KC_OK;
}

/* Parses value for p and stores it; on error fills errstr. */
static kc_err store(kc_consumer_settings *s, const cprop *p, const char *value, char *errstr,
                    size_t errlen)
{
    switch (p->type) {
    case CP_STRING:
        return store_string(field(s, p), value);
    case CP_INT32:
        return store_int(s, p, value, errstr, errlen);
    case CP_BOOL:
        if (strcmp(value, "true") && strcmp(value, "false")) {
            fail(errstr, errlen, "%s: '%s' is not a boolean (true or false)", p->name, value);
            return KC_ERR_CONFIG;
        }
        *(bool *)field(s, p) = value[0] == 't';
        return KC_OK;
    case CP_RESET: {
        int policy = parse_reset(value);
        if (policy < 0) {
            fail(errstr, errlen, "auto.offset.reset: '%s' is not one of earliest, latest, none",
                 value);
            return KC_ERR_CONFIG;
        }
        s->reset_policy = policy;
        return KC_OK;
    }
    case CP_ISOLATION:
        if (strcmp(value, "read_uncommitted") && strcmp(value, "read_committed")) {
            fail(errstr, errlen, "isolation.level: '%s' is not one of read_uncommitted, "
                 "read_committed", value);
            return KC_ERR_CONFIG;
        }
        s->isolation_level = value[5] == 'c';
        return KC_OK;
    case CP_STRATEGY: {
        kc_err err = parse_strategy(s, value, errstr, errlen);
        return err ? err : store_string(&s->assignment_strategy, value);
    }
    }
    return KC_ERR_CONFIG;
}

/* ---- settings ------------------------------------------------------------------- */

bool kc_consumer_settings_copy(kc_consumer_settings *dst, const kc_consumer_settings *src)
{
    *dst = *src;
    bool ok = true;
    for (size_t i = 0; i < CPROP_COUNT; i++) {
        if (cprops[i].type != CP_STRING && cprops[i].type != CP_STRATEGY)
            continue;
        char **s = field(dst, &cprops[i]);
        *s = *s ? strdup(*s) : NULL;
        ok = ok && *s;
    }
    if (!ok)
        kc_consumer_settings_free(dst);
    return ok;
}

void kc_consumer_settings_free(kc_consumer_settings *s)
{
    for (size_t i = 0; i < CPROP_COUNT; i++) {
        if (cprops[i].type != CP_STRING && cprops[i].type != CP_STRATEGY)
            continue;
        char **str = field(s, &cprops[i]);
        free(*str);
        *str = NULL;
    }
}

bool kc_consumer_settings_cooperative(const kc_consumer_settings *s)
{
    for (int i = 0; i < s->assignor_count; i++) {
        const kc_assignor *a = kc_assignor_find(s->assignors[i]);
        if (!a || !a->cooperative)
            return false;
    }
    return s->assignor_count > 0;
}

/* ---- the public calls ---------------------------------------------------------- */

kc_consumer_config *kc_consumer_config_new(void)
{
    kc_consumer_config *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return NULL;
    conf->client = kc_config_new();
    bool ok = conf->client != NULL;
    for (size_t i = 0; ok && i < CPROP_COUNT; i++)
        ok = store(&conf->s, &cprops[i], cprops[i].def, NULL, 0) == KC_OK;
    if (!ok) {
        kc_consumer_config_free(conf);
        return NULL;
    }
    return conf;
}

kc_consumer_config *kc_consumer_config_dup(const kc_consumer_config *conf)
{
    kc_consumer_config *copy = calloc(1, sizeof(*copy));
    if (!copy)
        return NULL;
    *copy = *conf;
    copy->client = kc_config_dup(conf->client);
    if (!copy->client || !kc_consumer_settings_copy(&copy->s, &conf->s)) {
        kc_config_free(copy->client);
        free(copy);
        return NULL;
    }
    return copy;
}

void kc_consumer_config_free(kc_consumer_config *conf)
{
    if (!conf)
        return;
    kc_consumer_settings_free(&conf->s);
    kc_config_free(conf->client);
    free(conf);
}

kc_err kc_consumer_config_set(kc_consumer_config *conf, const char *name, const char *value,
                              char *errstr, size_t errlen)
{
    if (!conf || !name || !value) {
        fail(errstr, errlen, "kc_consumer_config_set: NULL argument");
        return KC_ERR_INVALID_ARG;
    }
    const cprop *p = find_cprop(name);
    if (!p)
        return kc_config_set(conf->client, name, value, errstr, errlen);
    return store(&conf->s, p, value, errstr, errlen);
}

const char *kc_consumer_config_get(const kc_consumer_config *conf, const char *name, char *buf,
                                   size_t buflen)
{
    const cprop *p = find_cprop(name);
    if (!p)
        return kc_config_get(conf->client, name, buf, buflen);
    if (!buf || !buflen)
        return NULL;
    const void *src = cfield(&conf->s, p);
    switch (p->type) {
    case CP_STRING:
    case CP_STRATEGY: snprintf(buf, buflen, "%s", *(char *const *)src); break;
    case CP_INT32: snprintf(buf, buflen, "%d", *(const int32_t *)src); break;
    case CP_BOOL: snprintf(buf, buflen, "%s", *(const bool *)src ? "true" : "false"); break;
    case CP_RESET: snprintf(buf, buflen, "%s", reset_name(*(const int *)src)); break;
    case CP_ISOLATION:
        snprintf(buf, buflen, "%s", *(const int *)src ? "read_committed" : "read_uncommitted");
        break;
    }
    return buf;
}

kc_config *kc_consumer_config_client(kc_consumer_config *conf)
{
    return conf->client;
}

void kc_consumer_config_set_rebalance_cb(kc_consumer_config *conf, kc_rebalance_cb cb,
                                         void *opaque)
{
    conf->rebalance_cb = cb;
    conf->rebalance_opaque = opaque;
}

void kc_consumer_config_set_commit_cb(kc_consumer_config *conf, kc_commit_cb cb, void *opaque)
{
    conf->commit_cb = cb;
    conf->commit_opaque = opaque;
}

void kc_consumer_config_set_ready_cb(kc_consumer_config *conf, kc_ready_cb cb, void *opaque)
{
    conf->ready_cb = cb;
    conf->ready_opaque = opaque;
}

kc_err kc_consumer_config_check(const kc_consumer_config *conf, char *errstr, size_t errlen)
{
    const kc_consumer_settings *s = &conf->s;
    if (strcmp(s->group_protocol, "classic") != 0) {
        fail(errstr, errlen, "group.protocol: '%s' is not supported (only classic)",
             s->group_protocol);
        return KC_ERR_CONFIG;
    }
    if (s->group_id[0] && s->heartbeat_interval_ms >= s->session_timeout_ms) {
        fail(errstr, errlen, "heartbeat.interval.ms (%d) must be lower than session.timeout.ms "
             "(%d)", s->heartbeat_interval_ms, s->session_timeout_ms);
        return KC_ERR_CONFIG;
    }
    if (s->group_instance_id[0] && !s->group_id[0]) {
        fail(errstr, errlen, "group.instance.id needs group.id");
        return KC_ERR_CONFIG;
    }
    if (s->fetch_max_wait_ms > 0 &&
        (int64_t)s->fetch_max_wait_ms >= conf->client->request_timeout_ms) {
        fail(errstr, errlen, "fetch.max.wait.ms (%d) must be lower than request.timeout.ms "
             "(%d)", s->fetch_max_wait_ms, conf->client->request_timeout_ms);
        return KC_ERR_CONFIG;
    }
    return KC_OK;
}
