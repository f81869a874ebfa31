/* client_config.c — the client's properties: names, types, defaults, parsing
 * and cross-checks (see client_config.h).
 *
 * Owns the property table. Names are the Java client's; an unknown name is
 * an error that names it. Never keeps a pointer to a caller's string. */
#include "common/client_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compression.h"

typedef enum prop_type {
    PT_INT32,
    PT_INT64,
    PT_BOOL,
    PT_STRING,
    PT_ACKS,     /* "all", "-1", "0", "1" → int16 */
    PT_CODEC,    /* compression.type → int */
} prop_type;

typedef struct prop {
    const char *name;
    prop_type type;
    size_t offset;
    const char *def;
    int64_t min;
    int64_t max;
} prop;

#define OFF(field) offsetof(struct kc_config, field)

static const prop props[] = {
    /* core */
    {"bootstrap.servers", PT_STRING, OFF(bootstrap_servers), "", 0, 0},
    {"client.id", PT_STRING, OFF(client_id), "strait", 0, 0},
    {"request.timeout.ms", PT_INT32, OFF(request_timeout_ms), "30000", 1, INT32_MAX},
    {"default.api.timeout.ms", PT_INT32, OFF(default_api_timeout_ms), "60000", 1, INT32_MAX},
    {"retry.backoff.ms", PT_INT32, OFF(retry_backoff_ms), "100", 0, INT32_MAX},
    {"retry.backoff.max.ms", PT_INT32, OFF(retry_backoff_max_ms), "1000", 0, INT32_MAX},
    {"reconnect.backoff.ms", PT_INT32, OFF(reconnect_backoff_ms), "50", 0, INT32_MAX},
    {"reconnect.backoff.max.ms", PT_INT32, OFF(reconnect_backoff_max_ms), "1000", 0, INT32_MAX},
    {"socket.connection.setup.timeout.ms", PT_INT32, OFF(socket_connection_setup_timeout_ms),
     "10000", 1, INT32_MAX},
    {"socket.connection.setup.timeout.max.ms", PT_INT32,
     OFF(socket_connection_setup_timeout_max_ms), "30000", 1, INT32_MAX},
    {"metadata.max.age.ms", PT_INT64, OFF(metadata_max_age_ms), "300000", 0, INT64_MAX},
    {"allow.auto.create.topics", PT_BOOL, OFF(allow_auto_create_topics), "true", 0, 0},
    {"receive.message.max.bytes", PT_INT32, OFF(receive_message_max_bytes), "104857600", 1000,
     INT32_MAX},
    {"security.protocol", PT_STRING, OFF(security_protocol), "PLAINTEXT", 0, 0},
    /* producer */
    {"acks", PT_ACKS, OFF(acks), "all", 0, 0},
    {"enable.idempotence", PT_BOOL, OFF(enable_idempotence), "true", 0, 0},
    {"enable.gapless.guarantee", PT_BOOL, OFF(enable_gapless_guarantee), "false", 0, 0},
    {"retries", PT_INT32, OFF(retries), "2147483647", 0, INT32_MAX},
    {"linger.ms", PT_INT64, OFF(linger_ms), "5", 0, INT32_MAX},
    {"batch.size", PT_INT32, OFF(batch_size), "16384", 0, INT32_MAX},
    {"buffer.memory", PT_INT64, OFF(buffer_memory), "33554432", 0, INT64_MAX},
    {"max.block.ms", PT_INT64, OFF(max_block_ms), "60000", 0, INT64_MAX},
    {"compression.type", PT_CODEC, OFF(compression_type), "none", 0, 0},
    {"compression.gzip.level", PT_INT32, OFF(compression_gzip_level), "-1", -1, 9},
    {"compression.lz4.level", PT_INT32, OFF(compression_lz4_level), "0", 0, 17},
    {"compression.zstd.level", PT_INT32, OFF(compression_zstd_level), "3", -131072, 22},
    {"delivery.timeout.ms", PT_INT32, OFF(delivery_timeout_ms), "120000", 0, INT32_MAX},
    {"max.in.flight.requests.per.connection", PT_INT32, OFF(max_in_flight), "5", 1, INT32_MAX},
    {"max.request.size", PT_INT32, OFF(max_request_size), "1048576", 1, INT32_MAX},
    {"transactional.id", PT_STRING, OFF(transactional_id), "", 0, 0},
};

#define PROP_COUNT (sizeof(props) / sizeof(props[0]))
_Static_assert(PROP_COUNT <= KC_MAX_PROPS, "raise KC_MAX_PROPS");

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

static const prop *find_prop(const char *name)
{
    for (size_t i = 0; i < PROP_COUNT; i++)
        if (strcmp(props[i].name, name) == 0)
            return &props[i];
    return NULL;
}

static void *field(kc_config *conf, const prop *p)
{
    return (char *)conf + p->offset;
}

static const void *cfield(const kc_config *conf, const prop *p)
{
    return (const char *)conf + p->offset;
}

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int parse_codec(const char *s)
{
    static const char *const names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Parses value for p and stores it; on error fills errstr. */
static kc_err store(kc_config *conf, const prop *p, const char *value, char *errstr,
                    size_t errlen)
{
    void *dst = field(conf, p);
    int64_t v;
    switch (p->type) {
    case PT_STRING: {
        char *copy = strdup(value);
        if (!copy)
            return KC_ERR_NOMEM;
        free(*(char **)dst);
        *(char **)dst = copy;
        return KC_OK;
    }
    case PT_BOOL:
        if (strcmp(value, "true") == 0)
            *(bool *)dst = true;
        else if (strcmp(value, "false") == 0)
            *(bool *)dst = false;
        else {
            fail(errstr, errlen, "%s: '%s' is not a boolean (true or false)", p->name, value);
            return KC_ERR_CONFIG;
        }
        return KC_OK;
    case PT_ACKS:
        if (strcmp(value, "all") == 0 || strcmp(value, "-1") == 0)
            *(int16_t *)dst = -1;
        else if (strcmp(value, "0") == 0 || strcmp(value, "1") == 0)
            *(int16_t *)dst = (int16_t)(value[0] - '0');
        else {
            fail(errstr, errlen, "acks: '%s' is not one of all, -1, 0, 1", value);
            return KC_ERR_CONFIG;
        }
        return KC_OK;
    case PT_CODEC: {
        int codec = parse_codec(value);
        if (codec < 0) {
            fail(errstr, errlen, "compression.type: '%s' is not one of none, gzip, snappy, "
                 "lz4, zstd", value);
            return KC_ERR_CONFIG;
        }
        *(int *)dst = codec;
        return KC_OK;
    }
    case PT_INT32:
    case PT_INT64:
        if (!parse_int(value, &v)) {
            fail(errstr, errlen, "%s: '%s' is not an integer", p->name, value);
            return KC_ERR_CONFIG;
        }
        if (v < p->min || v > p->max) {
            fail(errstr, errlen, "%s: %lld is out of range [%lld, %lld]", p->name, (long long)v,
                 (long long)p->min, (long long)p->max);
            return KC_ERR_CONFIG;
        }
        if (p->type == PT_INT32)
            *(int32_t *)dst = (int32_t)v;
        else
            *(int64_t *)dst = v;
        return KC_OK;
    }
    return KC_ERR_CONFIG;
}

kc_config *kc_config_new(void)
{
    kc_config *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return NULL;
    conf->logger = (st_logger){ST_LOG_WARN, NULL};
    for (size_t i = 0; i < PROP_COUNT; i++) {
        if (store(conf, &props[i], props[i].def, NULL, 0) != KC_OK) {
            kc_config_free(conf);
            return NULL;
        }
    }
    return conf;
}

void kc_config_free(kc_config *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < PROP_COUNT; i++)
        if (props[i].type == PT_STRING)
            free(*(char **)field(conf, &props[i]));
    free(conf);
}

kc_config *kc_config_dup(const kc_config *conf)
{
    kc_config *copy = malloc(sizeof(*copy));
    if (!copy)
        return NULL;
    *copy = *conf;
    bool ok = true;
    for (size_t i = 0; i < PROP_COUNT; i++) {
        if (props[i].type != PT_STRING)
            continue;
        char **s = field(copy, &props[i]);
        *s = *s ? strdup(*s) : NULL;
        ok = ok && *s;
    }
    if (!ok) {
        kc_config_free(copy);
        return NULL;
    }
    return copy;
}

kc_err kc_config_set(kc_config *conf, const char *name, const char *value, char *errstr,
                     size_t errlen)
{
    if (!conf || !name || !value) {
        fail(errstr, errlen, "kc_config_set: NULL argument");
        return KC_ERR_INVALID_ARG;
    }
    const prop *p = find_prop(name);
    if (!p) {
        fail(errstr, errlen, "unknown configuration property '%s'", name);
        return KC_ERR_CONFIG;
    }
    kc_err err = store(conf, p, value, errstr, errlen);
    if (err == KC_OK)
        conf->explicitly_set[p - props] = true;
    return err;
}

const char *kc_config_get(const kc_config *conf, const char *name, char *buf, size_t buflen)
{
    const prop *p = find_prop(name);
    if (!p || !buf || !buflen)
        return NULL;
    const void *src = cfield(conf, p);
    switch (p->type) {
    case PT_STRING: snprintf(buf, buflen, "%s", *(char *const *)src); break;
    case PT_BOOL: snprintf(buf, buflen, "%s", *(const bool *)src ? "true" : "false"); break;
    case PT_ACKS:
        snprintf(buf, buflen, "%s", *(const int16_t *)src < 0 ? "all" : *(const int16_t *)src ? "1" : "0");
        break;
    case PT_CODEC: snprintf(buf, buflen, "%s", st_codec_name(*(const int *)src)); break;
    case PT_INT32: snprintf(buf, buflen, "%d", *(const int32_t *)src); break;
    case PT_INT64: snprintf(buf, buflen, "%lld", (long long)*(const int64_t *)src); break;
    }
    return buf;
}

bool kc_config_is_set(const kc_config *conf, const char *name)
{
    const prop *p = find_prop(name);
    return p && conf->explicitly_set[p - props];
}

void kc_config_set_logger(kc_config *conf, const st_logger *logger)
{
    if (logger)
        conf->logger = *logger;
}

void kc_config_set_error_cb(kc_config *conf, kc_error_cb cb, void *opaque)
{
    conf->error_cb = cb;
    conf->error_opaque = opaque;
}

void kc_config_set_delivery_cb(kc_config *conf, kc_delivery_cb cb, void *cb_opaque)
{
    conf->delivery_cb = cb;
    conf->delivery_opaque = cb_opaque;
}

/* ---- bootstrap.servers ---------------------------------------------------- */

static bool parse_one(const char *s, size_t n, kc_hostport *out, char *errstr, size_t errlen)
{
    const char *scheme = memmem(s, n, "://", 3);
    if (scheme) {
        n -= (size_t)(scheme + 3 - s);
        s = scheme + 3;
    }
    const char *host = s, *colon;
    size_t host_len;
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close + 1 >= s + n || close[1] != ':')
            goto bad;
        host = s + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = n; i-- > 0;)
            if (s[i] == ':') {
                colon = s + i;
                break;
            }
        if (!colon)
            goto bad;
        host_len = (size_t)(colon - s);
    }
    if (host_len == 0 || host_len >= sizeof(out->host))
        goto bad;
    size_t port_len = (size_t)(s + n - colon - 1);
    char port[8];
    if (port_len == 0 || port_len >= sizeof(port))
        goto bad;
    memcpy(port, colon + 1, port_len);
    port[port_len] = 0;
    int64_t v;
    if (!parse_int(port, &v) || v < 1 || v > 65535)
        goto bad;
    memcpy(out->host, host, host_len);
    out->host[host_len] = 0;
    out->port = (int)v;
    return true;
bad:
    fail(errstr, errlen, "bootstrap.servers: '%.*s' is not host:port", (int)n, s);
    return false;
}

size_t kc_parse_bootstrap(const char *list, kc_hostport *out, size_t max, char *errstr,
                          size_t errlen)
{
    size_t count = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        if (count == max) {
            fail(errstr, errlen, "bootstrap.servers: more than %zu servers", max);
            return 0;
        }
        if (!parse_one(p, (size_t)(end - p), &out[count], errstr, errlen))
            return 0;
        count++;
        p = end;
    }
    if (count == 0)
        fail(errstr, errlen, "bootstrap.servers is required (host:port[,host:port...])");
    return count;
}

/* ---- checks across properties ---------------------------------------------- */

kc_err kc_config_check_client(const kc_config *conf, char *errstr, size_t errlen)
{
    kc_hostport hp[1];
    char why[256];
    if (!kc_parse_bootstrap(conf->bootstrap_servers, hp, 1, why, sizeof(why)) &&
        !strstr(why, "more than")) {
        fail(errstr, errlen, "%s", why);
        return KC_ERR_CONFIG;
    }
    if (strcasecmp(conf->security_protocol, "PLAINTEXT") != 0) {
        fail(errstr, errlen, "security.protocol: '%s' is not supported yet (only PLAINTEXT)",
             conf->security_protocol);
        return KC_ERR_CONFIG;
    }
    return KC_OK;
}

kc_err kc_config_check_producer(kc_config *conf, char *errstr, size_t errlen)
{
    if (conf->transactional_id[0]) {
        fail(errstr, errlen, "transactional.id: transactions are not supported yet");
        return KC_ERR_CONFIG;
    }
    bool idem_explicit = kc_config_is_set(conf, "enable.idempotence");
    const char *conflict = NULL;
    if (conf->acks != -1)
        conflict = "acks must be all (-1)";
    else if (conf->retries == 0)
        conflict = "retries must be greater than 0";
    else if (conf->max_in_flight > 5)
        conflict = "max.in.flight.requests.per.connection must be at most 5";
    if (conf->enable_idempotence && conflict) {
        if (idem_explicit) {
            fail(errstr, errlen, "enable.idempotence=true needs: %s", conflict);
            return KC_ERR_CONFIG;
        }
        conf->enable_idempotence = false; /* Java 3.x: quietly off when not asked for */
    }
    if (conf->enable_gapless_guarantee && !conf->enable_idempotence) {
        const char *why = idem_explicit ? NULL : conflict; /* why it was turned off */
        fail(errstr, errlen, "enable.gapless.guarantee=true needs enable.idempotence=true%s%s%s",
             why ? " (turned off because " : "", why ? why : "", why ? ")" : "");
        return KC_ERR_CONFIG;
    }
    if ((int64_t)conf->delivery_timeout_ms < conf->linger_ms + conf->request_timeout_ms) {
        if (kc_config_is_set(conf, "delivery.timeout.ms")) {
            fail(errstr, errlen, "delivery.timeout.ms (%d) must be at least linger.ms + "
                 "request.timeout.ms (%lld)", conf->delivery_timeout_ms,
                 (long long)(conf->linger_ms + conf->request_timeout_ms));
            return KC_ERR_CONFIG;
        }
        conf->delivery_timeout_ms = (int32_t)(conf->linger_ms + conf->request_timeout_ms);
    }
    return KC_OK;
}
