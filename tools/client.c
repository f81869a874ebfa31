/* client.c — building the tools' clients (see tool.h).
 *
 * Owns turning --bootstrap-server, --command-config (a Java properties
 * file) and "k=v" flags into a kc_config, and connecting an admin client
 * with a clear message when the cluster cannot be reached. Properties the
 * client does not know are reported and ignored, as Java's clients warn
 * about unused configs rather than failing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/tool.h"

/* Sets one property; unknown names are a warning, bad values an error. */
static bool set_prop(kc_config *conf, const char *name, const char *value)
{
    char err[256];
    if (kc_config_set(conf, name, value, err, sizeof(err)) == KC_OK)
        return true;
    if (!kc_config_get(conf, name, NULL, 0) && strstr(err, "unknown")) {
        fprintf(stderr, "WARN The configuration '%s' was supplied but isn't a known config.\n",
                name);
        return true;
    }
    fprintf(stderr, "Invalid value for configuration %s: %s\n", name, err);
    return false;
}

bool tool_config_set_kv(kc_config *conf, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "Invalid property '%s': expected key=value\n", kv);
        return false;
    }
    char *name = strndup(kv, (size_t)(eq - kv));
    char *value = strdup(eq + 1);
    bool ok = name && value && set_prop(conf, tool_trim(name), tool_trim(value));
    free(name);
    free(value);
    return ok;
}

/* One line of a properties file: "k=v", "k: v" or "k v"; # and ! comment. */
static bool props_line(char *line, const char *path, int lineno, tool_prop_fn set, void *ctx)
{
    char *s = tool_trim(line);
    if (!*s || *s == '#' || *s == '!')
        return true;
    size_t k = strcspn(s, "=: \t");
    char *value = s + k;
    if (*value) {
        *value++ = '\0';
        value = tool_trim(value);
        if (*value == '=' || *value == ':')
            value = tool_trim(value + 1);
    }
    if (!*s) {
        fprintf(stderr, "%s:%d: a property without a name\n", path, lineno);
        return false;
    }
    return set(ctx, s, value);
}

bool tool_props_file(const char *path, tool_prop_fn set, void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "Cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    bool ok = true;
    int lineno = 0;
    while (ok && getline(&line, &cap, f) >= 0)
        ok = props_line(line, path, ++lineno, set, ctx);
    free(line);
    fclose(f);
    return ok;
}

static bool set_prop_cb(void *ctx, const char *name, const char *value)
{
    return set_prop(ctx, name, value);
}

bool tool_config_load(kc_config *conf, const char *path)
{
    return tool_props_file(path, set_prop_cb, conf);
}

kc_config *tool_config(const char *bootstrap, const char *client_id, const char *props_file,
                       const char *const *kvs, size_t kv_count)
{
    kc_config *conf = kc_config_new();
    if (!conf) {
        fprintf(stderr, "out of memory\n");
        return NULL;
    }
    st_logger logger = {0};
    logger.level = ST_LOG_ERROR;
    logger.out = stderr;
    const char *level = getenv("STRAIT_LOG_LEVEL"); /* "debug" ... to see the client's logs */
    if (level && st_log_level_parse(level) >= 0)
        logger.level = (st_log_level)st_log_level_parse(level);
    kc_config_set_logger(conf, &logger);
    bool ok = !client_id || set_prop(conf, "client.id", client_id);
    ok = ok && (!props_file || tool_config_load(conf, props_file));
    for (size_t i = 0; ok && i < kv_count; i++)
        ok = tool_config_set_kv(conf, kvs[i]);
    ok = ok && (!bootstrap || set_prop(conf, "bootstrap.servers", bootstrap));
    if (!ok) {
        kc_config_free(conf);
        return NULL;
    }
    return conf;
}

int tool_timeout(const tool_args *a, const kc_config *conf)
{
    if (tool_has(a, "timeout"))
        return (int)tool_get_long(a, "timeout", 30000);
    char buf[32];
    const char *v = kc_config_get(conf, "default.api.timeout.ms", buf, sizeof(buf));
    return v ? atoi(v) : 60000;
}

kc_client *tool_admin_client(kc_config *conf, int timeout_ms, const char *err_prefix)
{
    char err[512];
    if (kc_config_set(conf, "allow.auto.create.topics", "false", err, sizeof(err)) != KC_OK) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    kc_client *client = kc_client_new(conf, NULL, err, sizeof(err));
    if (!client) {
        fprintf(stderr, "%s%s\n", err_prefix, err);
        return NULL;
    }
    if (kc_client_connect(client, timeout_ms) != KC_OK) {
        fprintf(stderr, "%s%s\n", err_prefix, kc_client_last_error(client));
        kc_client_free(client);
        return NULL;
    }
    return client;
}
