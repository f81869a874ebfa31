/* config_def.h — table-driven configuration definitions, in the manner of
 * Kafka's ConfigDef: a setting's name, type, default, validator, importance,
 * documentation, update mode and synonyms; parsing text into a typed value;
 * a set of values (one slot per definition) that records where each value
 * came from; bindings that copy typed values into struct fields; and
 * descriptions in the shape DescribeConfigs answers.
 *
 * Owns the generic mechanism only. Which settings exist belongs to each
 * table's owner (broker_config.c, topic_config.c, and later the mirror and
 * connect daemons). Tables are const; every value set is copied and owned by
 * its config_values. Errors are values with a message that names the setting
 * ("num.partitions: must be at least 1, got 0"); nothing here aborts. */
#ifndef STRAIT_CONFIG_DEF_H
#define STRAIT_CONFIG_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/arena.h"
#include "common/err.h"

/* Value types; the numbers are DescribeConfigs' ConfigType. */
typedef enum config_type {
    CONFIG_TYPE_BOOLEAN = 1,
    CONFIG_TYPE_STRING = 2,
    CONFIG_TYPE_INT = 3,
    CONFIG_TYPE_SHORT = 4,
    CONFIG_TYPE_LONG = 5,
    CONFIG_TYPE_DOUBLE = 6,
    CONFIG_TYPE_LIST = 7, /* comma-separated; items trimmed */
    CONFIG_TYPE_CLASS = 8,
    CONFIG_TYPE_PASSWORD = 9, /* sensitive: never described with its value */
} config_type;

/* Where a value came from; the numbers are DescribeConfigs' ConfigSource. */
typedef enum config_source {
    CONFIG_SOURCE_UNKNOWN = 0,
    CONFIG_SOURCE_DYNAMIC_TOPIC = 1,          /* a topic's own override */
    CONFIG_SOURCE_DYNAMIC_BROKER = 2,         /* AlterConfigs on one broker */
    CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER = 3, /* AlterConfigs, cluster default */
    CONFIG_SOURCE_STATIC_BROKER = 4,          /* the YAML file or --override */
    CONFIG_SOURCE_DEFAULT = 5,                /* the built-in default */
    CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER = 6,
} config_source;

/* IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType ids). */
typedef enum config_op {
    CONFIG_OP_SET = 0,
    CONFIG_OP_DELETE = 1,
    CONFIG_OP_APPEND = 2,   /* list types only */
    CONFIG_OP_SUBTRACT = 3, /* list types only */
} config_op;

/* One requested change: IncrementalAlterConfigs' (name, op, value), or a
 * plain SET for CreateTopics and the legacy AlterConfigs. */
typedef struct config_alteration {
    const char *name;
    const char *value; /* NULL for DELETE (and refused for the others) */
    config_op op;
} config_alteration;

typedef enum config_importance {
    CONFIG_HIGH,
    CONFIG_MEDIUM,
    CONFIG_LOW,
} config_importance;

/* Update modes. A setting with neither flag is read-only (needs a restart);
 * DescribeConfigs reports read_only for it. */
enum config_flag {
    CONFIG_DYNAMIC_PER_BROKER = 1u << 0, /* AlterConfigs on one broker */
    CONFIG_DYNAMIC_CLUSTER = 1u << 1,    /* per broker or as a cluster default */
};

struct config_def;

/* A custom check of a value already parsed to its type (text is the
 * normalised form). On failure writes the reason, without the setting's
 * name, to why and returns false. */
typedef bool (*config_check_fn)(const struct config_def *def, const char *text,
                                char *why, size_t whylen);

typedef enum config_check_kind {
    CONFIG_CHECK_NONE = 0,
    CONFIG_CHECK_RANGE,  /* INT/SHORT/LONG: min..max; DOUBLE: dmin..dmax */
    CONFIG_CHECK_ONE_OF, /* STRING: one of; LIST: every item one of */
    CONFIG_CHECK_FN,
} config_check_kind;

typedef struct config_check {
    config_check_kind kind;
    int64_t min, max;
    double dmin, dmax;
    const char *const *one_of; /* NULL-terminated, case-sensitive */
    config_check_fn fn;
} config_check;

#define CONFIG_AT_LEAST(n) \
    {.kind = CONFIG_CHECK_RANGE, .min = (n), .max = INT64_MAX, .dmin = (n), .dmax = 1e308}
#define CONFIG_BETWEEN(a, b) \
    {.kind = CONFIG_CHECK_RANGE, .min = (a), .max = (b), .dmin = (a), .dmax = (b)}
#define CONFIG_ONE_OF(...) \
    {.kind = CONFIG_CHECK_ONE_OF, .one_of = (const char *const[]){__VA_ARGS__, NULL}}
#define CONFIG_CUSTOM(f) {.kind = CONFIG_CHECK_FN, .fn = (f)}

/* Another name that stands for a setting when the setting itself is not
 * set, with the factor that turns its value into the setting's unit
 * (log.retention.hours stands for retention.ms with scale 3600000). A scale
 * of 0 marks a synonym that is only listed (DescribeConfigs), never
 * converted. */
typedef struct config_synonym {
    const char *name;
    int64_t scale;
} config_synonym;

#define CONFIG_MAX_SYNONYMS 4

typedef struct config_def {
    const char *name;          /* Kafka's name */
    config_type type;
    const char *default_value; /* string form; NULL = no default (null) */
    config_check check;
    config_importance importance;
    unsigned flags;            /* enum config_flag */
    const char *doc;           /* one line */
    /* Priority-ordered, NULL-name-terminated, at most CONFIG_MAX_SYNONYMS;
     * NULL when there are none. */
    const config_synonym *synonyms;
} config_def;

#define CONFIG_SYNONYMS(...) ((const config_synonym[]){__VA_ARGS__, {NULL, 0}})

/* A typed value. s is the text it came from, for every type (normalised
 * when it came from a config_values). */
typedef struct config_value {
    bool is_null;
    bool b;    /* BOOLEAN */
    int64_t i; /* INT, SHORT, LONG */
    double d;  /* DOUBLE */
    const char *s;
} config_value;

/* The error convention of the config code: writes the printf-style message
 * to err (when err is not NULL and errlen is not 0) and returns code. */
int config_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Kafka's name for a type ("LONG") and a source ("STATIC_BROKER_CONFIG"). */
const char *config_type_name(config_type type);
const char *config_source_name(config_source source);

/* The definition of name in a table, or NULL; *index gets its position. */
const config_def *config_def_find(const config_def *defs, size_t count,
                                  const char *name, size_t *index);

/* Parses and validates text for def. On success *out holds the typed
 * value, with out->s pointing at text as given. A NULL text is the null
 * value, allowed only when the default is null. Surrounding whitespace is
 * ignored (except in a PASSWORD). ST_ERR_MALFORMED with "name: reason" in
 * err ("log.retention.hours: 'abc' is not a number"). */
st_err config_parse(const config_def *def, const char *text, config_value *out,
                    char *err, size_t errlen);

/* Buffer size for a converted number (config_values_resolve). */
#define CONFIG_NUM_MAX 32

/* The validated, normalised form of text, malloc'd: trimmed; list items
 * trimmed and joined by ","; integers in decimal; booleans in lower case.
 * NULL with ST_ERR_MALFORMED or ST_ERR_NOMEM in *errp and a message in err
 * (a NULL text is refused here: the caller decides what null means). */
char *config_normalize(const config_def *def, const char *text, st_err *errp,
                       char *err, size_t errlen);

/* One slot per definition of a table: the value set there (owned,
 * normalised) and where it was set. An unset slot means "the default". */
typedef struct config_setting {
    char *value; /* NULL: not set */
    config_source source;
} config_setting;

typedef struct config_values {
    const config_def *defs;
    size_t count;
    config_setting *settings; /* count slots, parallel to defs; owned */
} config_values;

st_err config_values_init(config_values *v, const config_def *defs, size_t count);
void config_values_free(config_values *v);
/* dst becomes an independent copy of src (dst need not be initialised). */
st_err config_values_copy(config_values *dst, const config_values *src);

/* Sets name from text, after validation. ST_ERR_UNSUPPORTED when the name is
 * not in the table ("unknown setting 'x'"), ST_ERR_MALFORMED for a bad
 * value, ST_ERR_NOMEM; err says which. A NULL text unsets. */
st_err config_values_set(config_values *v, const char *name, const char *text,
                         config_source source, char *err, size_t errlen);
void config_values_unset(config_values *v, size_t index);

/* The slot of name, or -1. */
long config_values_index(const config_values *v, const char *name);
bool config_values_is_set(const config_values *v, size_t index);
/* The set value, else the default (NULL when neither). */
const char *config_values_text(const config_values *v, size_t index);
/* The typed value of a slot (set value or default). Values in a
 * config_values were validated when set, so this fails only for a table
 * whose default does not parse: ST_ERR_MALFORMED. */
st_err config_values_get(const config_values *v, size_t index, config_value *out);

/* The value that stands for a setting with the given synonyms when it is not
 * set itself: the first synonym set in v (converted with its scale; a
 * negative converted value is -1, Kafka's "unlimited"), else the first
 * synonym with a non-null default (converted the same way). Writes the text
 * to buf (CONFIG_NUM_MAX bytes) when a conversion was needed; *text points
 * to it or to v's storage. *source is the slot's source or DEFAULT. False
 * when no synonym has a value. */
bool config_values_resolve(const config_values *v, const config_synonym *synonyms,
                           const char **text, config_source *source, char *buf);

/* ---- Bindings: settings copied one-to-one into typed struct fields. ---- */

typedef enum config_bind_kind {
    CONFIG_BIND_BOOL,
    CONFIG_BIND_I16,
    CONFIG_BIND_I32,
    CONFIG_BIND_I64,
    CONFIG_BIND_DOUBLE,
} config_bind_kind;

typedef struct config_binding {
    const char *name;      /* the setting */
    size_t offset;         /* of the field in its struct */
    config_bind_kind kind; /* the field's type */
} config_binding;

/* Stores v, converted to the field's type, in the field b names in the
 * struct at base. */
void config_binding_store(const config_binding *b, void *base, const config_value *v);

/* ---- Descriptions: the data of DescribeConfigs' entries. ---- */

typedef struct config_synonym_desc {
    const char *name;
    const char *value; /* NULL for a null value or a sensitive one */
    config_source source;
} config_synonym_desc;

typedef struct config_desc {
    const char *name;
    const char *value; /* NULL for null, or hidden because sensitive */
    config_source source;
    bool read_only;
    bool is_sensitive;
    config_type type;
    const char *documentation;
    /* Each synonym (the setting itself included, as Kafka lists it) once
     * per source it has a value at, highest priority first. */
    config_synonym_desc synonyms[2 * CONFIG_MAX_SYNONYMS + 2];
    size_t n_synonyms;
} config_desc;

/* A described resource. Every string lives in the list's arena (or in a
 * static table); config_desc_list_free releases them all. */
typedef struct config_desc_list {
    config_desc *entries;
    size_t count;
    size_t cap;
    bool failed; /* an allocation failed while building the list */
    st_arena arena;
} config_desc_list;

void config_desc_list_init(config_desc_list *l);
void config_desc_list_free(config_desc_list *l);
/* A new zeroed entry (valid until the next add), or NULL when allocation
 * fails. */
config_desc *config_desc_list_add(config_desc_list *l);
/* A copy of s in the list's arena (NULL stays NULL). On allocation failure
 * returns NULL and sets the list's failed flag. */
const char *config_desc_list_strdup(config_desc_list *l, const char *s);
/* The entry called name, or NULL. */
const config_desc *config_desc_list_find(const config_desc_list *l, const char *name);

/* Appends to d's synonyms the values name has in v: the set value with its
 * source, then the non-null default as DEFAULT (sensitive values hidden).
 * Strings are copied into l. */
void config_desc_add_synonym(config_desc_list *l, config_desc *d,
                             const config_values *v, const char *name);

/* Appends the description of slot index of v, in the manner of a broker
 * resource: its own value (set or default), the source of the first of its
 * synonyms (itself when it has none) that has a value, and every synonym's
 * values by source. ST_ERR_NOMEM when the list could not grow. */
st_err config_values_describe(const config_values *v, size_t index, config_desc_list *l);

/* ---- Lists (Kafka's LIST type). ---- */

/* list with the items of add (a comma-separated list) that it lacks
 * appended, in order (IncrementalAlterConfigs APPEND); malloc'd, NULL when
 * allocation fails. Items of add are trimmed; empty ones are skipped. */
char *config_list_append(const char *list, const char *add);
/* list without any item of remove (SUBTRACT); malloc'd or NULL. */
char *config_list_subtract(const char *list, const char *remove);
/* The number of items in a normalised list ("" has none). */
size_t config_list_count(const char *list);
/* Whether a normalised list holds item. */
bool config_list_contains(const char *list, const char *item);
/* Copies item i (0-based) of a normalised list into out (outlen bytes);
 * false when there is no such item or it does not fit. */
bool config_list_item(const char *list, size_t i, char *out, size_t outlen);

#endif
