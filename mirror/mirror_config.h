/* mirror_config.h — the mirror's configuration (config/mirror.yaml), read and
 * checked.
 *
 * Owns: reading the YAML file into plain structs (clusters, flows, the
 * mirror's own settings), defaults, and every consistency check that must
 * stop start-up (unknown keys, unknown cluster names, a flow whose source is
 * its target, a prefix flow that would rename into a loop, bad regexes, bad
 * numbers). Never opens a connection. Everything in a mirror_config is owned
 * by it and freed by mirror_config_free().
 *
 * The file:
 *
 *   mirror:
 *     database: ./data/mirror/offsets.db   # SQLite offset translation store
 *     metrics.port: 9464                   # Prometheus /metrics (0 = off)
 *     metrics.host: 127.0.0.1
 *     log.interval.ms: 30000               # periodic throughput/lag log line
 *   clusters:
 *     east:
 *       bootstrap.servers: 127.0.0.1:9092
 *       # any other key is a client property (kc_config_set names), e.g.
 *       # client.id, request.timeout.ms, ...
 *     west:
 *       bootstrap.servers: 127.0.0.1:9192
 *   flows:
 *     - name: east-to-west          # optional; default "<source>-><target>"
 *       source: east
 *       target: west
 *       topics: [".*"]              # regexes (POSIX ERE), whole-name match
 *       topics.exclude: []          # excludes win
 *       groups: [".*"]
 *       groups.exclude: []
 *       naming: identity            # identity | prefix
 *       separator: "."              # prefix naming: <source>.<topic>
 *       replication.factor: -1      # target topics (-1: target's default)
 *       refresh.topics.interval.ms: 30000
 *       emit.checkpoints.interval.ms: 10000
 *       sync.topic.configs: true
 *       sync.group.offsets: true
 *       delete.topics: false        # mirror topic deletion
 *       compression.type: source    # source | none | gzip | snappy | lz4 | zstd
 *       isolation.level: read_committed
 *       linger.ms: 5                # target producer batching
 *       enabled: true
 */
#ifndef STRAIT_MIRROR_CONFIG_H
#define STRAIT_MIRROR_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* One client property of a cluster ("request.timeout.ms" = "10000"). */
typedef struct mirror_property {
    char *name;
    char *value;
} mirror_property;

typedef struct mirror_cluster {
    char *name;                   /* the alias used in flows, prefixes and MM2 records */
    char *bootstrap_servers;
    mirror_property *properties;  /* other client properties, in file order */
    size_t property_count;
} mirror_cluster;

/* A list of compiled whole-name regexes. */
typedef struct mirror_patterns {
    char **sources;               /* the regex texts, as written */
    regex_t *compiled;            /* anchored ^(...)$ */
    size_t count;
} mirror_patterns;

typedef enum mirror_naming {
    MIRROR_NAMING_IDENTITY = 0,
    MIRROR_NAMING_PREFIX = 1,
} mirror_naming;

#define MIRROR_COMPRESSION_SOURCE (-1) /* keep each source batch's codec */

typedef struct mirror_flow {
    char *name;
    const mirror_cluster *source; /* points into the config's clusters */
    const mirror_cluster *target;
    mirror_patterns topics;
    mirror_patterns topics_exclude;
    mirror_patterns groups;
    mirror_patterns groups_exclude;
    mirror_naming naming;
    char *separator;
    int16_t replication_factor;
    int64_t refresh_topics_interval_ms;
    int64_t emit_checkpoints_interval_ms;
    bool sync_topic_configs;
    bool sync_group_offsets;
    bool delete_topics;
    int compression;              /* MIRROR_COMPRESSION_SOURCE or a codec id 0..4 */
    bool read_committed;
    int64_t linger_ms;
    bool enabled;
} mirror_flow;

typedef struct mirror_config {
    char *path;                   /* the file it was read from */
    char *database;
    char *metrics_host;
    int metrics_port;             /* 0 = no metrics endpoint */
    int64_t log_interval_ms;
    mirror_cluster *clusters;
    size_t cluster_count;
    mirror_flow *flows;
    size_t flow_count;
} mirror_config;

/* Reads and checks path into *out (zeroed first). On failure errbuf says
 * "path:line: what is wrong" (naming the key, cluster or flow) and *out is
 * left empty. */
st_err mirror_config_load(mirror_config *out, const char *path, char *errbuf, size_t errlen);
/* The same from YAML text in memory; name stands for the file in messages. */
st_err mirror_config_load_string(mirror_config *out, const char *name, const char *text,
                                 size_t len, char *errbuf, size_t errlen);
void mirror_config_free(mirror_config *config);

const mirror_cluster *mirror_config_cluster(const mirror_config *config, const char *name);
/* The flow with this source and target cluster names, or NULL. */
const mirror_flow *mirror_config_find_flow(const mirror_config *config, const char *source,
                                           const char *target);

/* Whether a source topic is mirrored by the flow: it matches topics and no
 * topics.exclude, it is not internal (names starting "__", or ending
 * ".internal" or "-internal"), and, for a prefix flow, it does not start
 * with "<target alias><separator>" (such a topic came from the target: MM2's
 * rule that keeps prefix flows in both directions from looping). Load-time
 * checks refuse what could still loop: an empty separator, a cluster alias
 * that contains the separator of a prefix flow, two flows with the same
 * source and target, a flow whose source is its target. */
bool mirror_flow_topic_matches(const mirror_flow *flow, const char *topic);
bool mirror_flow_group_matches(const mirror_flow *flow, const char *group);

/* The target topic name for a source topic into buf (prefix naming:
 * "<source alias><separator><topic>"). false when it does not fit. */
bool mirror_flow_target_topic(const mirror_flow *flow, const char *topic, char *buf,
                              size_t buflen);

#endif
