/* topics.c — the topic registry and its state file (see topics.h). */
#include "broker/topics.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/cluster_identity.h"

void topic_registry_init(topic_registry *reg, const char *state_path)
{
    strmap_init(&reg->by_name);
    strmap_init(&reg->by_id);
    reg->state_path = strdup(state_path);
}

void topic_registry_free(topic_registry *reg)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&reg->by_name, &pos, &key, &value))
        topic_free(value);
    strmap_free(&reg->by_name);
    strmap_free(&reg->by_id);
    free(reg->state_path);
    reg->state_path = NULL;
}

static st_slice id_key(const st_uuid *id)
{
    return st_slice_from(id->b, sizeof(id->b));
}

topic *topic_registry_find(const topic_registry *reg, st_slice name)
{
    return strmap_get(&reg->by_name, name);
}

topic *topic_registry_find_id(const topic_registry *reg, st_uuid id)
{
    return strmap_get(&reg->by_id, id_key(&id));
}

st_err topic_registry_add(topic_registry *reg, topic *t)
{
    st_err err = strmap_put(&reg->by_name, st_slice_cstr(t->name), t);
    if (!err)
        err = strmap_put(&reg->by_id, id_key(&t->id), t);
    if (err)
        strmap_remove(&reg->by_name, st_slice_cstr(t->name));
    return err;
}

void topic_registry_remove(topic_registry *reg, topic *t)
{
    strmap_remove(&reg->by_name, st_slice_cstr(t->name));
    strmap_remove(&reg->by_id, id_key(&t->id));
}

topic *topic_new(st_slice name, int32_t partitions, bool internal)
{
    topic *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->name = strndup((const char *)name.ptr, (size_t)(name.len > 0 ? name.len : 0));
    t->partitions = calloc((size_t)(partitions > 0 ? partitions : 1), sizeof(*t->partitions));
    if (!t->name || !t->partitions || topic_config_init(&t->overrides) != ST_OK) {
        free(t->name);
        free(t->partitions);
        free(t);
        return NULL;
    }
    t->partition_count = partitions;
    t->internal = internal;
    uuid_random(t->id.b);
    return t;
}

void topic_free(topic *t)
{
    if (!t)
        return;
    config_values_free(&t->overrides);
    free(t->partitions);
    free(t->name);
    free(t);
}

st_err topic_grow(topic *t, int32_t n)
{
    if (n <= t->partition_count)
        return ST_OK;
    struct partition **grown = realloc(t->partitions, (size_t)n * sizeof(*grown));
    if (!grown)
        return ST_ERR_NOMEM;
    for (int32_t i = t->partition_count; i < n; i++)
        grown[i] = NULL;
    t->partitions = grown;
    t->partition_count = n;
    return ST_OK;
}

bool topic_name_valid(st_slice name, const char **why)
{
    const char *reason = NULL;
    if (name.len <= 0)
        reason = "the topic name is empty";
    else if (name.len > TOPIC_NAME_MAX)
        reason = "the topic name is longer than 249 characters";
    else if (st_slice_eq_cstr(name, ".") || st_slice_eq_cstr(name, ".."))
        reason = "the topic name cannot be '.' or '..'";
    for (int32_t i = 0; !reason && i < name.len; i++) {
        char c = (char)name.ptr[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            reason = "the topic name contains a character other than ASCII alphanumerics, "
                     "'.', '_' and '-'";
    }
    if (why)
        *why = reason;
    return reason == NULL;
}

bool topic_name_internal(st_slice name)
{
    return name.len >= 2 && name.ptr[0] == '_' && name.ptr[1] == '_';
}

/* ---- the state file ------------------------------------------------------ */

static int base64_value(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

static bool uuid_from_base64(const char *text, st_uuid *out)
{
    if (strlen(text) != CLUSTER_ID_LEN)
        return false;
    uint8_t bytes[17] = {0};
    size_t o = 0;
    for (size_t i = 0; i < CLUSTER_ID_LEN; i += 4) {
        uint32_t v = 0;
        size_t chars = i + 4 <= CLUSTER_ID_LEN ? 4 : 2;
        for (size_t k = 0; k < chars; k++) {
            int d = base64_value(text[i + k]);
            if (d < 0)
                return false;
            v |= (uint32_t)d << (18 - 6 * k);
        }
        bytes[o++] = (uint8_t)(v >> 16);
        if (chars == 4) {
            bytes[o++] = (uint8_t)(v >> 8);
            bytes[o++] = (uint8_t)v;
        }
    }
    memcpy(out->b, bytes, 16);
    return true;
}

static st_err parse_topic_line(topic_registry *reg, const broker_config *broker, char *line,
                               int lineno, char *errbuf, size_t errlen)
{
    char name[TOPIC_NAME_MAX + 2], id[64];
    int partitions, internal;
    if (sscanf(line, "topic %250s %63s %d %d", name, id, &partitions, &internal) != 4 ||
        partitions <= 0) {
        snprintf(errbuf, errlen, "%s line %d: malformed topic line", reg->state_path, lineno);
        return ST_ERR_MALFORMED;
    }
    topic *t = topic_new(st_slice_cstr(name), partitions, internal != 0);
    if (!t)
        return ST_ERR_NOMEM;
    if (!uuid_from_base64(id, &t->id)) {
        snprintf(errbuf, errlen, "%s line %d: bad topic id %s", reg->state_path, lineno, id);
        topic_free(t);
        return ST_ERR_MALFORMED;
    }
    topic_config_resolve(&t->overrides, broker, &t->config);
    st_err err = topic_registry_add(reg, t);
    if (err)
        topic_free(t);
    return err;
}

static st_err parse_config_line(topic_registry *reg, const broker_config *broker, char *line,
                                int lineno, char *errbuf, size_t errlen)
{
    char name[TOPIC_NAME_MAX + 2];
    int used = 0;
    if (sscanf(line, "config %250s %n", name, &used) != 1 || !used) {
        snprintf(errbuf, errlen, "%s line %d: malformed config line", reg->state_path, lineno);
        return ST_ERR_MALFORMED;
    }
    topic *t = topic_registry_find(reg, st_slice_cstr(name));
    char *kv = line + used, *eq = strchr(kv, '=');
    if (!t || !eq) {
        snprintf(errbuf, errlen, "%s line %d: config for an unknown topic or without '='",
                 reg->state_path, lineno);
        return ST_ERR_MALFORMED;
    }
    *eq = '\0';
    char err[256];
    if (config_values_set(&t->overrides, kv, eq + 1, CONFIG_SOURCE_DYNAMIC_TOPIC, err,
                          sizeof(err)) != ST_OK) {
        snprintf(errbuf, errlen, "%s line %d: %s", reg->state_path, lineno, err);
        return ST_ERR_MALFORMED;
    }
    return topic_config_resolve(&t->overrides, broker, &t->config);
}

st_err topic_registry_load(topic_registry *reg, const broker_config *broker, char *errbuf,
                           size_t errlen)
{
    FILE *f = fopen(reg->state_path, "r");
    if (!f)
        return ST_OK; /* a new broker */
    char line[8192];
    st_err err = ST_OK;
    for (int lineno = 1; !err && fgets(line, sizeof(line), f); lineno++) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "topic ", 6) == 0)
            err = parse_topic_line(reg, broker, line, lineno, errbuf, errlen);
        else if (strncmp(line, "config ", 7) == 0)
            err = parse_config_line(reg, broker, line, lineno, errbuf, errlen);
    }
    fclose(f);
    return err;
}

static void serialize_topic(const topic *t, st_buf *out)
{
    char id[CLUSTER_ID_LEN + 1], line[512];
    uuid_to_base64(t->id.b, id);
    int n = snprintf(line, sizeof(line), "topic %s %s %d %d\n", t->name, id, t->partition_count,
                     t->internal ? 1 : 0);
    st_buf_append(out, line, (size_t)n);
    st_buf overrides;
    st_buf_init(&overrides);
    topic_config_serialize(&t->overrides, &overrides);
    for (size_t start = 0; start < overrides.len;) {
        const uint8_t *nl = memchr(overrides.data + start, '\n', overrides.len - start);
        size_t end = nl ? (size_t)(nl - overrides.data) : overrides.len;
        n = snprintf(line, sizeof(line), "config %s ", t->name);
        st_buf_append(out, line, (size_t)n);
        st_buf_append(out, overrides.data + start, end - start);
        st_buf_append_byte(out, '\n');
        start = end + 1;
    }
    st_buf_free(&overrides);
}

st_err topic_registry_save(const topic_registry *reg)
{
    st_buf out;
    st_buf_init(&out);
    const char *header = "# strait topic registry v1: topic <name> <id> <partitions> <internal>\n";
    st_buf_append(&out, header, strlen(header));
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&reg->by_name, &pos, &key, &value))
        serialize_topic(value, &out);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", reg->state_path);
    st_err err = out.err;
    int fd = err ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (!err && (fd < 0 || write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd) != 0))
        err = ST_ERR_IO;
    if (fd >= 0)
        close(fd);
    if (!err && rename(tmp, reg->state_path) != 0)
        err = ST_ERR_IO;
    st_buf_free(&out);
    return err;
}
