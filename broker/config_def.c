/* config_def.c — parsing, validation, value sets and descriptions for
 * table-driven settings (see config_def.h). */
#include "config_def.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *config_type_name(config_type type)
{
    switch (type) {
    case CONFIG_TYPE_BOOLEAN: return "BOOLEAN";
    case CONFIG_TYPE_STRING: return "STRING";
    case CONFIG_TYPE_INT: return "INT";
    case CONFIG_TYPE_SHORT: return "SHORT";
    case CONFIG_TYPE_LONG: return "LONG";
    case CONFIG_TYPE_DOUBLE: return "DOUBLE";
    case CONFIG_TYPE_LIST: return "LIST";
    case CONFIG_TYPE_CLASS: return "CLASS";
    case CONFIG_TYPE_PASSWORD: return "PASSWORD";
    }
    return "UNKNOWN";
}

const char *config_source_name(config_source source)
{
    switch (source) {
    case CONFIG_SOURCE_UNKNOWN: return "UNKNOWN";
    case CONFIG_SOURCE_DYNAMIC_TOPIC: return "DYNAMIC_TOPIC_CONFIG";
    case CONFIG_SOURCE_DYNAMIC_BROKER: return "DYNAMIC_BROKER_CONFIG";
    case CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER: return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case CONFIG_SOURCE_STATIC_BROKER: return "STATIC_BROKER_CONFIG";
    case CONFIG_SOURCE_DEFAULT: return "DEFAULT_CONFIG";
    case CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER: return "DYNAMIC_BROKER_LOGGER_CONFIG";
    }
    return "UNKNOWN";
}

const config_def *config_def_find(const config_def *defs, size_t count,
                                  const char *name, size_t *index)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(defs[i].name, name) == 0) {
            if (index)
                *index = i;
            return &defs[i];
        }
    }
    return NULL;
}

/* ---- Text helpers ---- */

/* Narrows the span (*p, *n) to drop leading and trailing white space. */
static void trim_span(const char **p, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)(*p)[*n - 1]))
        (*n)--;
}

/* The bounds of s without surrounding whitespace. */
static void trim(const char *s, const char **start, size_t *len)
{
    *start = s;
    *len = strlen(s);
    trim_span(start, len);
}

/* A trimmed copy of s in a small buffer (longer text is cut, which only
 * matters for messages and for values that then fail to parse). */
static void trimmed_copy(const char *s, char *out, size_t outlen)
{
    const char *p;
    size_t n;
    trim(s, &p, &n);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* ---- Parsing by type ---- */

static st_err parse_bool(const config_def *def, const char *t, config_value *out,
                         char *err, size_t errlen)
{
    if (strcasecmp(t, "true") == 0)
        out->b = true;
    else if (strcasecmp(t, "false") == 0)
        out->b = false;
    else
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "%s: '%.200s' is not a boolean (true or false)", def->name, t);
    return ST_OK;
}

static st_err parse_integer(const config_def *def, const char *t, config_value *out,
                            char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (t[0] == '\0' || *end != '\0' || isspace((unsigned char)t[0]))
        return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: '%.200s' is not a number",
                           def->name, t);
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    const char *what = "a long";
    if (def->type == CONFIG_TYPE_INT) {
        lo = INT32_MIN, hi = INT32_MAX, what = "an int";
    } else if (def->type == CONFIG_TYPE_SHORT) {
        lo = INT16_MIN, hi = INT16_MAX, what = "a short";
    }
    if (errno == ERANGE || v < lo || v > hi)
        return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: '%.200s' is out of range for %s",
                           def->name, t, what);
    out->i = v;
    return ST_OK;
}

static st_err parse_double(const config_def *def, const char *t, config_value *out,
                           char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = strtod(t, &end);
    if (t[0] == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: '%.200s' is not a number",
                           def->name, t);
    out->d = v;
    return ST_OK;
}

/* ---- Validators ---- */

static st_err check_range(const config_def *def, const config_value *v, char *err,
                          size_t errlen)
{
    const config_check *c = &def->check;
    if (def->type == CONFIG_TYPE_DOUBLE) {
        if (v->d >= c->dmin && v->d <= c->dmax)
            return ST_OK;
        if (c->dmax >= 1e308)
            return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: must be at least %g, got %g",
                               def->name, c->dmin, v->d);
        return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: must be between %g and %g, got %g",
                           def->name, c->dmin, c->dmax, v->d);
    }
    if (v->i >= c->min && v->i <= c->max)
        return ST_OK;
    if (c->max == INT64_MAX)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "%s: must be at least %" PRId64 ", got %" PRId64, def->name, c->min, v->i);
    return config_fail(err, errlen, ST_ERR_MALFORMED,
                       "%s: must be between %" PRId64 " and %" PRId64 ", got %" PRId64,
                       def->name, c->min, c->max, v->i);
}

static bool one_of(const char *const *allowed, const char *s, size_t n)
{
    for (; *allowed; allowed++)
        if (strlen(*allowed) == n && memcmp(*allowed, s, n) == 0)
            return true;
    return false;
}

static void allowed_text(const char *const *allowed, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (; *allowed && used < outlen; allowed++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? ", " : "",
                                 *allowed);
}

/* Every item of a normalised list (or the one string) must be allowed. */
static st_err check_one_of(const config_def *def, const char *t, char *err, size_t errlen)
{
    bool list = def->type == CONFIG_TYPE_LIST;
    if (list && t[0] == '\0')
        return ST_OK;
    for (const char *p = t;;) {
        const char *comma = list ? strchr(p, ',') : NULL;
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!one_of(def->check.one_of, p, n)) {
            char allowed[256];
            allowed_text(def->check.one_of, allowed, sizeof(allowed));
            return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: '%.*s' is not one of: %s",
                               def->name, (int)(n < 200 ? n : 200), p, allowed);
        }
        if (comma == NULL)
            return ST_OK;
        p = comma + 1;
    }
}

/* A list may not hold empty items ("a,,b"). */
static st_err check_list_items(const config_def *def, const char *t, char *err,
                               size_t errlen)
{
    if (t[0] == '\0')
        return ST_OK;
    for (const char *p = t;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        bool blank = true;
        for (size_t i = 0; i < n; i++)
            if (!isspace((unsigned char)p[i]))
                blank = false;
        if (blank)
            return config_fail(err, errlen, ST_ERR_MALFORMED,
                               "%s: the list '%.200s' has an empty item", def->name, t);
        if (comma == NULL)
            return ST_OK;
        p = comma + 1;
    }
}

static st_err run_check(const config_def *def, const config_value *v, char *err,
                        size_t errlen)
{
    switch (def->check.kind) {
    case CONFIG_CHECK_NONE:
        return ST_OK;
    case CONFIG_CHECK_RANGE:
        return check_range(def, v, err, errlen);
    case CONFIG_CHECK_ONE_OF:
        return check_one_of(def, v->s, err, errlen);
    case CONFIG_CHECK_FN: {
        char why[256] = "invalid value";
        if (def->check.fn(def, v->s, why, sizeof(why)))
            return ST_OK;
        return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: %s", def->name, why);
    }
    }
    return ST_OK;
}

/* Parses a trimmed text (t) by type into out. */
static st_err parse_typed(const config_def *def, const char *t, config_value *out,
                          char *err, size_t errlen)
{
    switch (def->type) {
    case CONFIG_TYPE_BOOLEAN:
        return parse_bool(def, t, out, err, errlen);
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_SHORT:
    case CONFIG_TYPE_LONG:
        return parse_integer(def, t, out, err, errlen);
    case CONFIG_TYPE_DOUBLE:
        return parse_double(def, t, out, err, errlen);
    case CONFIG_TYPE_LIST:
        return check_list_items(def, t, err, errlen);
    case CONFIG_TYPE_STRING:
    case CONFIG_TYPE_CLASS:
    case CONFIG_TYPE_PASSWORD:
        return ST_OK;
    }
    return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: unknown type", def->name);
}

/* ---- Normalisation ---- */

static char *format_double(double d)
{
    char buf[CONFIG_NUM_MAX];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return strdup(buf);
}

/* Items trimmed, joined by ",". */
static char *normalize_list(const char *text)
{
    char *out = malloc(strlen(text) + 1);
    if (out == NULL)
        return NULL;
    size_t used = 0;
    const char *p = text;
    const char *all;
    size_t alln;
    trim(text, &all, &alln);
    if (alln == 0) {
        out[0] = '\0';
        return out;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        trim_span(&p, &n);
        if (used)
            out[used++] = ',';
        memcpy(out + used, p, n);
        used += n;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    out[used] = '\0';
    return out;
}

static char *normalize_typed(const config_def *def, const char *text, const config_value *v)
{
    char buf[CONFIG_NUM_MAX];
    switch (def->type) {
    case CONFIG_TYPE_BOOLEAN:
        return strdup(v->b ? "true" : "false");
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_SHORT:
    case CONFIG_TYPE_LONG:
        snprintf(buf, sizeof(buf), "%" PRId64, v->i);
        return strdup(buf);
    case CONFIG_TYPE_DOUBLE:
        return format_double(v->d);
    case CONFIG_TYPE_LIST:
        return normalize_list(text);
    case CONFIG_TYPE_PASSWORD:
        return strdup(text);
    case CONFIG_TYPE_STRING:
    case CONFIG_TYPE_CLASS:
        break;
    }
    const char *p;
    size_t n;
    trim(text, &p, &n);
    return strndup(p, n);
}

/* Parses, normalises (into *norm, malloc'd) and validates text. */
static st_err parse_norm(const config_def *def, const char *text, config_value *out,
                         char **norm, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    *norm = NULL;
    /* Numbers and booleans are short: a trimmed copy in a small buffer is
     * enough (a longer text cannot be one). */
    char t[CONFIG_NUM_MAX * 2];
    const char *subject = text;
    if (def->type == CONFIG_TYPE_BOOLEAN || def->type == CONFIG_TYPE_INT ||
        def->type == CONFIG_TYPE_SHORT || def->type == CONFIG_TYPE_LONG ||
        def->type == CONFIG_TYPE_DOUBLE) {
        const char *p;
        size_t n;
        trim(text, &p, &n);
        if (n >= sizeof(t))
            return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: '%.200s' is not a %s", def->name,
                               text, def->type == CONFIG_TYPE_BOOLEAN ? "boolean" : "number");
        trimmed_copy(text, t, sizeof(t));
        subject = t;
    }
    st_err e = parse_typed(def, subject, out, err, errlen);
    if (e != ST_OK)
        return e;
    *norm = normalize_typed(def, text, out);
    if (*norm == NULL)
        return config_fail(err, errlen, ST_ERR_NOMEM, "%s: out of memory", def->name);
    out->s = *norm;
    e = run_check(def, out, err, errlen);
    if (e != ST_OK) {
        free(*norm);
        *norm = NULL;
    }
    return e;
}

st_err config_parse(const config_def *def, const char *text, config_value *out,
                    char *err, size_t errlen)
{
    if (text == NULL) {
        memset(out, 0, sizeof(*out));
        if (def->default_value != NULL)
            return config_fail(err, errlen, ST_ERR_MALFORMED, "%s: a value is required", def->name);
        out->is_null = true;
        return ST_OK;
    }
    char *norm;
    st_err e = parse_norm(def, text, out, &norm, err, errlen);
    free(norm);
    out->s = text;
    return e;
}

char *config_normalize(const config_def *def, const char *text, st_err *errp,
                       char *err, size_t errlen)
{
    if (text == NULL) {
        *errp = config_fail(err, errlen, ST_ERR_MALFORMED, "%s: a value is required", def->name);
        return NULL;
    }
    config_value v;
    char *norm;
    *errp = parse_norm(def, text, &v, &norm, err, errlen);
    return norm;
}

/* ---- Value sets ---- */

st_err config_values_init(config_values *v, const config_def *defs, size_t count)
{
    v->defs = defs;
    v->count = count;
    v->settings = calloc(count ? count : 1, sizeof(*v->settings));
    return v->settings ? ST_OK : ST_ERR_NOMEM;
}

void config_values_free(config_values *v)
{
    if (v->settings != NULL)
        for (size_t i = 0; i < v->count; i++)
            free(v->settings[i].value);
    free(v->settings);
    v->settings = NULL;
    v->count = 0;
}

st_err config_values_copy(config_values *dst, const config_values *src)
{
    if (config_values_init(dst, src->defs, src->count) != ST_OK)
        return ST_ERR_NOMEM;
    for (size_t i = 0; i < src->count; i++) {
        dst->settings[i].source = src->settings[i].source;
        if (src->settings[i].value == NULL)
            continue;
        dst->settings[i].value = strdup(src->settings[i].value);
        if (dst->settings[i].value == NULL) {
            config_values_free(dst);
            return ST_ERR_NOMEM;
        }
    }
    return ST_OK;
}

long config_values_index(const config_values *v, const char *name)
{
    size_t i;
    return config_def_find(v->defs, v->count, name, &i) ? (long)i : -1;
}

void config_values_unset(config_values *v, size_t index)
{
    free(v->settings[index].value);
    v->settings[index].value = NULL;
    v->settings[index].source = CONFIG_SOURCE_UNKNOWN;
}

st_err config_values_set(config_values *v, const char *name, const char *text,
                         config_source source, char *err, size_t errlen)
{
    size_t i;
    const config_def *def = config_def_find(v->defs, v->count, name, &i);
    if (def == NULL)
        return config_fail(err, errlen, ST_ERR_UNSUPPORTED, "unknown setting '%.200s'", name);
    if (text == NULL) {
        config_values_unset(v, i);
        return ST_OK;
    }
    st_err e;
    char *norm = config_normalize(def, text, &e, err, errlen);
    if (norm == NULL)
        return e;
    free(v->settings[i].value);
    v->settings[i].value = norm;
    v->settings[i].source = source;
    return ST_OK;
}

bool config_values_is_set(const config_values *v, size_t index)
{
    return v->settings[index].value != NULL;
}

const char *config_values_text(const config_values *v, size_t index)
{
    const char *s = v->settings[index].value;
    return s ? s : v->defs[index].default_value;
}

st_err config_values_get(const config_values *v, size_t index, config_value *out)
{
    return config_parse(&v->defs[index], config_values_text(v, index), out, NULL, 0);
}

/* text (an integer) times scale into buf; negative results become -1. */
static const char *scaled(const char *text, int64_t scale, char *buf)
{
    if (scale == 1)
        return text;
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return NULL;
    int64_t r;
    if (n < 0)
        r = -1;
    else if (__builtin_mul_overflow((int64_t)n, scale, &r))
        r = INT64_MAX;
    snprintf(buf, CONFIG_NUM_MAX, "%" PRId64, r);
    return buf;
}

bool config_values_resolve(const config_values *v, const config_synonym *synonyms,
                           const char **text, config_source *source, char *buf)
{
    if (synonyms == NULL)
        return false;
    for (int pass = 0; pass < 2; pass++) {
        for (const config_synonym *s = synonyms; s->name; s++) {
            long i = config_values_index(v, s->name);
            if (i < 0 || s->scale == 0)
                continue;
            const char *t = pass == 0 ? v->settings[i].value : v->defs[i].default_value;
            if (t == NULL)
                continue;
            const char *r = scaled(t, s->scale, buf);
            if (r == NULL)
                continue;
            *text = r;
            *source = pass == 0 ? v->settings[i].source : CONFIG_SOURCE_DEFAULT;
            return true;
        }
    }
    return false;
}

/* ---- Bindings ---- */

void config_binding_store(const config_binding *b, void *base, const config_value *v)
{
    void *field = (char *)base + b->offset;
    switch (b->kind) {
    case CONFIG_BIND_BOOL: *(bool *)field = v->b; break;
    case CONFIG_BIND_I16: *(int16_t *)field = (int16_t)v->i; break;
    case CONFIG_BIND_I32: *(int32_t *)field = (int32_t)v->i; break;
    case CONFIG_BIND_I64: *(int64_t *)field = v->i; break;
    case CONFIG_BIND_DOUBLE: *(double *)field = v->d; break;
    }
}

/* ---- Descriptions ---- */

void config_desc_list_init(config_desc_list *l)
{
    memset(l, 0, sizeof(*l));
    st_arena_init(&l->arena);
}

void config_desc_list_free(config_desc_list *l)
{
    free(l->entries);
    st_arena_free(&l->arena);
    memset(l, 0, sizeof(*l));
}

config_desc *config_desc_list_add(config_desc_list *l)
{
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        config_desc *n = realloc(l->entries, ncap * sizeof(*n));
        if (n == NULL) {
            l->failed = true;
            return NULL;
        }
        l->entries = n;
        l->cap = ncap;
    }
    config_desc *d = &l->entries[l->count++];
    memset(d, 0, sizeof(*d));
    return d;
}

const char *config_desc_list_strdup(config_desc_list *l, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = st_arena_alloc(&l->arena, n);
    if (p == NULL) {
        l->failed = true;
        return NULL;
    }
    memcpy(p, s, n);
    return p;
}

const config_desc *config_desc_list_find(const config_desc_list *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->entries[i].name, name) == 0)
            return &l->entries[i];
    return NULL;
}

/* ---- Lists ---- */

size_t config_list_count(const char *list)
{
    if (list == NULL || list[0] == '\0')
        return 0;
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

bool config_list_item(const char *list, size_t i, char *out, size_t outlen)
{
    if (i >= config_list_count(list))
        return false;
    const char *p = list;
    for (; i > 0; i--)
        p = strchr(p, ',') + 1;
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n >= outlen)
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

bool config_list_contains(const char *list, const char *item)
{
    if (list == NULL || list[0] == '\0')
        return false;
    size_t ilen = strlen(item);
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == ilen && memcmp(p, item, n) == 0)
            return true;
        if (comma == NULL)
            return false;
        p = comma + 1;
    }
}

/* ---- Describing a value set ---- */

void config_desc_add_synonym(config_desc_list *l, config_desc *d,
                             const config_values *v, const char *name)
{
    long i = config_values_index(v, name);
    if (i < 0)
        return;
    const config_def *def = &v->defs[i];
    bool hide = def->type == CONFIG_TYPE_PASSWORD;
    const size_t max = sizeof(d->synonyms) / sizeof(d->synonyms[0]);
    const char *set = v->settings[i].value;
    if (set != NULL && d->n_synonyms < max)
        d->synonyms[d->n_synonyms++] = (config_synonym_desc){
            .name = def->name,
            .value = hide ? NULL : config_desc_list_strdup(l, set),
            .source = v->settings[i].source,
        };
    if (def->default_value != NULL && d->n_synonyms < max)
        d->synonyms[d->n_synonyms++] = (config_synonym_desc){
            .name = def->name,
            .value = hide ? NULL : def->default_value,
            .source = CONFIG_SOURCE_DEFAULT,
        };
}

st_err config_values_describe(const config_values *v, size_t index, config_desc_list *l)
{
    const config_def *def = &v->defs[index];
    config_desc *d = config_desc_list_add(l);
    if (d == NULL)
        return ST_ERR_NOMEM;
    bool sensitive = def->type == CONFIG_TYPE_PASSWORD;
    d->name = def->name;
    d->value = sensitive ? NULL : config_desc_list_strdup(l, config_values_text(v, index));
    d->read_only = (def->flags & (CONFIG_DYNAMIC_PER_BROKER | CONFIG_DYNAMIC_CLUSTER)) == 0;
    d->is_sensitive = sensitive;
    d->type = def->type;
    d->documentation = def->doc;
    if (def->synonyms == NULL)
        config_desc_add_synonym(l, d, v, def->name);
    else
        for (const config_synonym *s = def->synonyms; s->name; s++)
            config_desc_add_synonym(l, d, v, s->name);
    d->source = d->n_synonyms ? d->synonyms[0].source : CONFIG_SOURCE_DEFAULT;
    return l->failed ? ST_ERR_NOMEM : ST_OK;
}

/* ---- List edits (APPEND / SUBTRACT) ---- */

/* Item i of a raw comma-separated list, trimmed, as (p, n); false past the end. */
static bool raw_item(const char *list, size_t i, const char **p, size_t *n)
{
    const char *s = list;
    for (; i > 0; i--) {
        s = strchr(s, ',');
        if (s == NULL)
            return false;
        s++;
    }
    const char *comma = strchr(s, ',');
    *p = s;
    *n = comma ? (size_t)(comma - s) : strlen(s);
    trim_span(p, n);
    return true;
}

static bool raw_contains(const char *list, const char *item, size_t n)
{
    const char *p;
    size_t len;
    for (size_t i = 0; list && raw_item(list, i, &p, &len); i++)
        if (len == n && memcmp(p, item, n) == 0)
            return true;
    return false;
}

/* Appends (p, n) to out (of capacity for everything) with a comma. */
static void put_item(char *out, size_t *used, const char *p, size_t n)
{
    if (*used)
        out[(*used)++] = ',';
    memcpy(out + *used, p, n);
    *used += n;
    out[*used] = '\0';
}

char *config_list_append(const char *list, const char *add)
{
    list = list ? list : "";
    add = add ? add : "";
    char *out = malloc(strlen(list) + strlen(add) + 2);
    if (out == NULL)
        return NULL;
    size_t used = 0;
    out[0] = '\0';
    const char *p;
    size_t n;
    for (size_t i = 0; raw_item(list, i, &p, &n); i++)
        if (n > 0)
            put_item(out, &used, p, n);
    for (size_t i = 0; raw_item(add, i, &p, &n); i++)
        if (n > 0 && !raw_contains(out, p, n))
            put_item(out, &used, p, n);
    return out;
}

char *config_list_subtract(const char *list, const char *remove)
{
    list = list ? list : "";
    char *out = malloc(strlen(list) + 1);
    if (out == NULL)
        return NULL;
    size_t used = 0;
    out[0] = '\0';
    const char *p;
    size_t n;
    for (size_t i = 0; raw_item(list, i, &p, &n); i++)
        if (n > 0 && !raw_contains(remove, p, n))
            put_item(out, &used, p, n);
    return out;
}
