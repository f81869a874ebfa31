/* yaml_config.c — YAML settings files flattened to (key, value, line)
 * (see yaml_config.h). Walks libyaml's event stream with a bounded
 * recursion depth; never builds a document tree. */
#include "yaml_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_CONFIG_MAX_DEPTH 32

typedef struct walk {
    yaml_parser_t parser;
    yaml_config *out;
    char *errbuf;
    size_t errlen;
    int depth;
} walk;

void yaml_config_init(yaml_config *c)
{
    memset(c, 0, sizeof(*c));
}

void yaml_config_free(yaml_config *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    free(c->source);
    memset(c, 0, sizeof(*c));
}

const yaml_config_entry *yaml_config_find(const yaml_config *c, const char *key)
{
    for (size_t i = 0; i < c->count; i++)
        if (strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    return NULL;
}

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* "source:line: message" into the walk's error buffer; returns st_err. */
static st_err fail(walk *w, int line, st_err err, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    set_err(w->errbuf, w->errlen, "%s:%d: %s", w->out->source, line, msg);
    return err;
}

static int event_line(const yaml_event_t *ev)
{
    return (int)ev->start_mark.line + 1;
}

/* Next event, or a syntax error naming libyaml's problem. */
static st_err next_event(walk *w, yaml_event_t *ev)
{
    if (yaml_parser_parse(&w->parser, ev))
        return ST_OK;
    const yaml_parser_t *p = &w->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return fail(w, (int)p->problem_mark.line + 1, ST_ERR_NOMEM, "out of memory");
    const char *problem = p->problem ? p->problem : "unreadable YAML";
    if (p->context)
        return fail(w, (int)p->problem_mark.line + 1, ST_ERR_MALFORMED,
                    "YAML syntax error: %s %s", p->context, problem);
    return fail(w, (int)p->problem_mark.line + 1, ST_ERR_MALFORMED,
                "YAML syntax error: %s", problem);
}

static bool scalar_is_null(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *s = (const char *)ev->data.scalar.value;
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

char *yaml_config_join_key(const char *prefix, const char *key)
{
    size_t plen = prefix ? strlen(prefix) : 0, klen = strlen(key);
    char *s = malloc(plen + klen + 2);
    if (s == NULL)
        return NULL;
    if (plen) {
        memcpy(s, prefix, plen);
        s[plen++] = '.';
    }
    memcpy(s + plen, key, klen + 1);
    return s;
}

/* Takes ownership of key and value (freed on failure). */
static st_err add_entry(walk *w, char *key, char *value, int line)
{
    yaml_config *c = w->out;
    const yaml_config_entry *prev = yaml_config_find(c, key);
    if (prev) {
        st_err e = fail(w, line, ST_ERR_MALFORMED,
                        "duplicate setting '%s' (first set on line %d)", key, prev->line);
        free(key);
        free(value);
        return e;
    }
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        yaml_config_entry *n = realloc(c->entries, ncap * sizeof(*n));
        if (n == NULL) {
            free(key);
            free(value);
            return fail(w, line, ST_ERR_NOMEM, "out of memory");
        }
        c->entries = n;
        c->cap = ncap;
    }
    c->entries[c->count++] = (yaml_config_entry){.key = key, .value = value, .line = line};
    return ST_OK;
}

/* Appends ",item" (or "item" first) to *acc; NULL on allocation failure. */
static char *append_item(char *acc, size_t *len, const char *item)
{
    size_t ilen = strlen(item);
    char *n = realloc(acc, *len + ilen + 2);
    if (n == NULL) {
        free(acc);
        return NULL;
    }
    if (*len)
        n[(*len)++] = ',';
    memcpy(n + *len, item, ilen + 1);
    *len += ilen;
    return n;
}

/* A sequence of plain values, joined with commas (the start event is
 * consumed already). */
static st_err read_sequence(walk *w, const char *key, char **out)
{
    size_t len = 0;
    char *acc = malloc(1);
    if (acc == NULL)
        return fail(w, 0, ST_ERR_NOMEM, "out of memory");
    acc[0] = '\0';
    for (;;) {
        yaml_event_t ev;
        st_err e = next_event(w, &ev);
        if (e != ST_OK) {
            free(acc);
            return e;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            *out = acc;
            return ST_OK;
        }
        int line = event_line(&ev);
        bool ok = ev.type == YAML_SCALAR_EVENT && !scalar_is_null(&ev);
        if (ok)
            acc = append_item(acc, &len, (const char *)ev.data.scalar.value);
        yaml_event_delete(&ev);
        if (!ok) {
            free(acc);
            return fail(w, line, ST_ERR_MALFORMED,
                        "'%s': a list may hold only plain, non-empty values", key);
        }
        if (acc == NULL)
            return fail(w, line, ST_ERR_NOMEM, "out of memory");
    }
}

static st_err read_mapping(walk *w, const char *prefix);

/* The value node for key (whose line is given); takes ownership of key. */
static st_err read_value(walk *w, char *key, int line)
{
    yaml_event_t ev;
    st_err e = next_event(w, &ev);
    if (e != ST_OK) {
        free(key);
        return e;
    }
    char *value = NULL;
    switch (ev.type) {
    case YAML_SCALAR_EVENT:
        if (!scalar_is_null(&ev)) {
            value = strdup((const char *)ev.data.scalar.value);
            if (value == NULL)
                e = fail(w, line, ST_ERR_NOMEM, "out of memory");
        }
        break;
    case YAML_SEQUENCE_START_EVENT:
        e = read_sequence(w, key, &value);
        break;
    case YAML_MAPPING_START_EVENT:
        yaml_event_delete(&ev);
        e = read_mapping(w, key);
        free(key);
        return e;
    case YAML_ALIAS_EVENT:
        e = fail(w, event_line(&ev), ST_ERR_UNSUPPORTED,
                 "'%s': YAML aliases are not supported in configuration", key);
        break;
    default:
        e = fail(w, event_line(&ev), ST_ERR_MALFORMED, "'%s': unexpected YAML node", key);
        break;
    }
    yaml_event_delete(&ev);
    if (e != ST_OK) {
        free(key);
        free(value);
        return e;
    }
    return add_entry(w, key, value, line);
}

/* Key/value pairs until the mapping ends (its start event is consumed). */
static st_err read_mapping(walk *w, const char *prefix)
{
    if (++w->depth > YAML_CONFIG_MAX_DEPTH)
        return fail(w, (int)w->parser.mark.line + 1, ST_ERR_TOO_LARGE,
                    "settings nested more than %d levels deep", YAML_CONFIG_MAX_DEPTH);
    for (;;) {
        yaml_event_t ev;
        st_err e = next_event(w, &ev);
        if (e != ST_OK)
            return e;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            w->depth--;
            return ST_OK;
        }
        int line = event_line(&ev);
        if (ev.type != YAML_SCALAR_EVENT || scalar_is_null(&ev)) {
            yaml_event_delete(&ev);
            return fail(w, line, ST_ERR_MALFORMED, "a setting name must be a plain, non-empty string");
        }
        char *key = yaml_config_join_key(prefix, (const char *)ev.data.scalar.value);
        yaml_event_delete(&ev);
        if (key == NULL)
            return fail(w, line, ST_ERR_NOMEM, "out of memory");
        e = read_value(w, key, line);
        if (e != ST_OK)
            return e;
    }
}

/* Expects an event of the given type; anything else is a shape error. */
static st_err expect(walk *w, yaml_event_type_t type, const char *what)
{
    yaml_event_t ev;
    st_err e = next_event(w, &ev);
    if (e != ST_OK)
        return e;
    int line = event_line(&ev);
    bool ok = ev.type == type;
    yaml_event_delete(&ev);
    return ok ? ST_OK : fail(w, line, ST_ERR_MALFORMED, "%s", what);
}

/* The root node of the one document: a mapping, or nothing at all. */
static st_err read_root(walk *w)
{
    yaml_event_t ev;
    st_err e = next_event(w, &ev);
    if (e != ST_OK)
        return e;
    int line = event_line(&ev);
    yaml_event_type_t type = ev.type;
    bool empty = type == YAML_SCALAR_EVENT && scalar_is_null(&ev);
    yaml_event_delete(&ev);
    if (type == YAML_MAPPING_START_EVENT)
        return read_mapping(w, NULL);
    if (empty)
        return ST_OK;
    return fail(w, line, ST_ERR_MALFORMED, "the top level must be a map of settings");
}

static st_err read_stream(walk *w)
{
    st_err e = expect(w, YAML_STREAM_START_EVENT, "not a YAML stream");
    if (e != ST_OK)
        return e;
    yaml_event_t ev;
    if ((e = next_event(w, &ev)) != ST_OK)
        return e;
    yaml_event_type_t type = ev.type;
    yaml_event_delete(&ev);
    if (type == YAML_STREAM_END_EVENT)
        return ST_OK; /* an empty file: no settings */
    if (type != YAML_DOCUMENT_START_EVENT)
        return fail(w, 1, ST_ERR_MALFORMED, "not a YAML document");
    if ((e = read_root(w)) != ST_OK)
        return e;
    if ((e = expect(w, YAML_DOCUMENT_END_EVENT, "unexpected content after the settings")) != ST_OK)
        return e;
    return expect(w, YAML_STREAM_END_EVENT, "only one YAML document is allowed");
}

static st_err load(yaml_config *c, const char *name, FILE *f, const char *text,
                   size_t len, char *errbuf, size_t errlen)
{
    c->source = strdup(name);
    if (c->source == NULL) {
        set_err(errbuf, errlen, "%s: out of memory", name);
        return ST_ERR_NOMEM;
    }
    walk w = {.out = c, .errbuf = errbuf, .errlen = errlen};
    if (!yaml_parser_initialize(&w.parser)) {
        set_err(errbuf, errlen, "%s: out of memory", name);
        yaml_config_free(c);
        return ST_ERR_NOMEM;
    }
    if (f)
        yaml_parser_set_input_file(&w.parser, f);
    else
        yaml_parser_set_input_string(&w.parser, (const unsigned char *)text, len);
    st_err e = read_stream(&w);
    yaml_parser_delete(&w.parser);
    if (e != ST_OK)
        yaml_config_free(c);
    return e;
}

st_err yaml_config_load_string(yaml_config *c, const char *name, const char *text,
                               size_t len, char *errbuf, size_t errlen)
{
    return load(c, name ? name : "<string>", NULL, text ? text : "", text ? len : 0,
                errbuf, errlen);
}

st_err yaml_config_load_file(yaml_config *c, const char *path, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_err(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return ST_ERR_IO;
    }
    st_err e = load(c, path, f, NULL, 0, errbuf, errlen);
    if (e == ST_OK && ferror(f)) {
        set_err(errbuf, errlen, "%s: read error", path);
        yaml_config_free(c);
        e = ST_ERR_IO;
    }
    fclose(f);
    return e;
}
