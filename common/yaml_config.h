/* yaml_config.h — a YAML configuration file read into an ordered list of
 * (key, value, line) string settings.
 *
 * Owns the YAML reading only: it knows nothing of any daemon's keys, types or
 * defaults (each daemon checks the list against its own table). Nested
 * mappings are flattened into dotted keys (`log: {retention: {hours: 168}}`
 * gives `log.retention.hours`), flat dotted keys are taken as they are, and a
 * sequence of plain values becomes one comma-separated value (Kafka's list
 * form). A YAML null (`key:`, `~`, `null`) is kept as a NULL value so the
 * caller can treat it as "not set". Every error names the source and line;
 * a key set twice (after flattening) is an error naming both lines. Never
 * aborts; every string in the list is owned by the list. */
#ifndef STRAIT_YAML_CONFIG_H
#define STRAIT_YAML_CONFIG_H

#include <stddef.h>
#include "err.h"

typedef struct yaml_config_entry {
    char *key;   /* flattened, dotted */
    char *value; /* scalar text or comma-joined list; NULL for a YAML null */
    int line;    /* 1-based line of the key in the source */
} yaml_config_entry;

typedef struct yaml_config {
    yaml_config_entry *entries; /* in the order they appear */
    size_t count;
    size_t cap;
    char *source; /* the file name (or given name) used in messages */
} yaml_config;

void yaml_config_init(yaml_config *c);
void yaml_config_free(yaml_config *c);

/* Reads a YAML file into c (which must be freshly initialised). On failure
 * errbuf holds "path:line: reason" and c is left empty: ST_ERR_IO when the
 * file cannot be read, ST_ERR_MALFORMED for bad YAML, a duplicate key or a
 * shape that is not a settings map, ST_ERR_NOMEM. */
st_err yaml_config_load_file(yaml_config *c, const char *path, char *errbuf,
                             size_t errlen);

/* The same from text in memory; name stands for the file in messages. */
st_err yaml_config_load_string(yaml_config *c, const char *name,
                               const char *text, size_t len, char *errbuf,
                               size_t errlen);

/* The flattened key "prefix.key" (key alone when prefix is NULL or ""),
 * malloc'd: the caller frees it. NULL when out of memory. */
char *yaml_config_join_key(const char *prefix, const char *key);

/* The entry for a flattened key, or NULL. */
const yaml_config_entry *yaml_config_find(const yaml_config *c,
                                          const char *key);

#endif
