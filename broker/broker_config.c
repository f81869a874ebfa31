/* broker_config.c — the broker's settings table, loading (YAML, then
 * overrides), validation, typed resolution, listeners and description (see
 * broker_config.h). Defaults are Kafka's (3.9/4.0 line) unless the doc line
 * says otherwise. */
#include "broker_config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/compression.h"
#include "common/yaml_config.h"

#define LONG_MAX_TEXT "9223372036854775807"
#define INT_MAX_TEXT "2147483647"

#define RW CONFIG_DYNAMIC_CLUSTER /* AlterConfigs may change it */
#define RO 0                      /* needs a restart */

/* Synonym groups (DescribeConfigs lists the whole group for each member). */
#define RETENTION_GROUP(ms, minutes, hours)                                   \
    CONFIG_SYNONYMS({"log.retention.ms", ms}, {"log.retention.minutes", minutes}, \
                    {"log.retention.hours", hours})
#define ROLL_GROUP(ms, hours) \
    CONFIG_SYNONYMS({"log.roll.ms", ms}, {"log.roll.hours", hours})
#define JITTER_GROUP(ms, hours) \
    CONFIG_SYNONYMS({"log.roll.jitter.ms", ms}, {"log.roll.jitter.hours", hours})

static bool check_listeners(const config_def *def, const char *text, char *why, size_t n);
static bool check_voters(const config_def *def, const char *text, char *why, size_t n);
static bool check_protocol_map(const config_def *def, const char *text, char *why, size_t n);
static bool check_gzip_level(const config_def *def, const char *text, char *why, size_t n);

const config_def broker_config_defs[] = {
    /* ---- Server basics ---- */
    {"process.roles", CONFIG_TYPE_LIST, "broker,controller", CONFIG_ONE_OF("broker", "controller"),
     CONFIG_HIGH, RO, "The roles of this node: broker, controller or both (Strait's default is both; Kafka's is unset)", NULL},
    {"node.id", CONFIG_TYPE_INT, "-1", CONFIG_AT_LEAST(-1), CONFIG_HIGH, RO,
     "The id of this node; -1 (unset) takes broker.id, else 0 for a single node", NULL},
    {"broker.id", CONFIG_TYPE_INT, "-1", CONFIG_AT_LEAST(-1), CONFIG_HIGH, RO,
     "Older name of node.id; when both are set they must be equal", NULL},
    {"broker.rack", CONFIG_TYPE_STRING, NULL, {0}, CONFIG_MEDIUM, RO,
     "The rack of this broker, for rack-aware replica placement", NULL},
    {"controller.quorum.voters", CONFIG_TYPE_LIST, "", CONFIG_CUSTOM(check_voters), CONFIG_HIGH, RO,
     "The controller quorum as id@host:port entries; empty for a single node", NULL},
    {"controller.quorum.bootstrap.servers", CONFIG_TYPE_LIST, "", {0}, CONFIG_HIGH, RO,
     "host:port entries used to discover the controller quorum (accepted; voters are used)", NULL},
    {"controller.listener.names", CONFIG_TYPE_LIST, NULL, {0}, CONFIG_HIGH, RO,
     "The names of the listeners used by the controller", NULL},
    {"controller.quorum.election.timeout.ms", CONFIG_TYPE_INT, "1000", {0}, CONFIG_HIGH, RO,
     "Maximum time without a fetch from the leader before a new election", NULL},
    {"controller.quorum.fetch.timeout.ms", CONFIG_TYPE_INT, "2000", {0}, CONFIG_HIGH, RO,
     "Maximum time without a successful fetch before a voter becomes a candidate", NULL},
    {"metadata.log.dir", CONFIG_TYPE_STRING, NULL, {0}, CONFIG_HIGH, RO,
     "Where the cluster metadata log is kept; unset: the first log directory", NULL},
    {"delete.topic.enable", CONFIG_TYPE_BOOLEAN, "true", {0}, CONFIG_HIGH, RO,
     "Whether DeleteTopics is allowed", NULL},
    {"auto.create.topics.enable", CONFIG_TYPE_BOOLEAN, "true", {0}, CONFIG_HIGH, RO,
     "Whether Metadata requests for an unknown topic create it", NULL},
    {"auto.leader.rebalance.enable", CONFIG_TYPE_BOOLEAN, "true", {0}, CONFIG_HIGH, RO,
     "Whether leadership moves back to preferred replicas in the background", NULL},
    {"background.threads", CONFIG_TYPE_INT, "10", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Threads for background work (segment deletion, cleaning)", NULL},
    {"num.recovery.threads.per.data.dir", CONFIG_TYPE_INT, "1", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Threads per log directory for recovery at startup and flushing at shutdown", NULL},

    /* ---- Socket server ---- */
    {"listeners", CONFIG_TYPE_LIST, "PLAINTEXT://:9092", CONFIG_CUSTOM(check_listeners), CONFIG_HIGH, RO,
     "NAME://host:port entries to listen on; an empty host means every interface", NULL},
    {"advertised.listeners", CONFIG_TYPE_LIST, NULL, CONFIG_CUSTOM(check_listeners), CONFIG_HIGH, RO,
     "Listeners given to clients if different from listeners; unset: listeners with this host's name", NULL},
    {"listener.security.protocol.map", CONFIG_TYPE_STRING,
     "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
     CONFIG_CUSTOM(check_protocol_map), CONFIG_LOW, RO,
     "Listener name to security protocol (Strait serves PLAINTEXT only for now)", NULL},
    {"inter.broker.listener.name", CONFIG_TYPE_STRING, NULL, {0}, CONFIG_MEDIUM, RO,
     "The listener brokers use to talk to each other; unset: PLAINTEXT", NULL},
    {"num.network.threads", CONFIG_TYPE_INT, "3", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Network threads (accepted; informational for now: one event loop serves all)", NULL},
    {"num.io.threads", CONFIG_TYPE_INT, "8", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Request threads (accepted; informational for now: one event loop serves all)", NULL},
    {"socket.send.buffer.bytes", CONFIG_TYPE_INT, "102400", {0}, CONFIG_HIGH, RO,
     "SO_SNDBUF of client sockets; -1 uses the OS default", NULL},
    {"socket.receive.buffer.bytes", CONFIG_TYPE_INT, "102400", {0}, CONFIG_HIGH, RO,
     "SO_RCVBUF of client sockets; -1 uses the OS default", NULL},
    {"socket.request.max.bytes", CONFIG_TYPE_INT, "104857600", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "The largest request frame accepted", NULL},
    {"socket.listen.backlog.size", CONFIG_TYPE_INT, "50", CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RO,
     "The listen() backlog of each listener", NULL},
    {"queued.max.requests", CONFIG_TYPE_INT, "500", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Requests queued before reading from connections pauses", NULL},
    {"max.connections", CONFIG_TYPE_INT, INT_MAX_TEXT, CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "The most connections the broker accepts at once", NULL},
    {"max.connections.per.ip", CONFIG_TYPE_INT, INT_MAX_TEXT, CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "The most connections accepted from one address", NULL},
    {"connections.max.idle.ms", CONFIG_TYPE_LONG, "600000", {0}, CONFIG_MEDIUM, RO,
     "Idle connections are closed after this long", NULL},
    {"fetch.max.bytes", CONFIG_TYPE_INT, "57671680", CONFIG_AT_LEAST(1024), CONFIG_MEDIUM, RO,
     "The most bytes one Fetch response carries", NULL},
    {"message.max.bytes", CONFIG_TYPE_INT, "1048588", CONFIG_AT_LEAST(0), CONFIG_HIGH, RW,
     "The largest record batch accepted (topic: max.message.bytes)", NULL},

    /* ---- Log basics ---- */
    {"log.dirs", CONFIG_TYPE_LIST, NULL, {0}, CONFIG_HIGH, RO,
     "Directories holding partition data; unset: log.dir", NULL},
    {"log.dir", CONFIG_TYPE_STRING, "/tmp/kafka-logs", {0}, CONFIG_HIGH, RO,
     "The data directory when log.dirs is unset", NULL},
    {"num.partitions", CONFIG_TYPE_INT, "1", CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RO,
     "Partitions of an automatically created topic, or one created without a count", NULL},
    {"default.replication.factor", CONFIG_TYPE_INT, "1", CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RO,
     "Replication factor of an automatically created topic, or one created without one", NULL},
    {"log.segment.bytes", CONFIG_TYPE_INT, "1073741824", CONFIG_AT_LEAST(14), CONFIG_HIGH, RW,
     "The largest size of one segment file (topic: segment.bytes)", NULL},
    {"log.roll.ms", CONFIG_TYPE_LONG, NULL, CONFIG_AT_LEAST(1), CONFIG_HIGH, RW,
     "Roll a new segment after this long (topic: segment.ms); unset: log.roll.hours",
     ROLL_GROUP(1, 3600000)},
    {"log.roll.hours", CONFIG_TYPE_INT, "168", CONFIG_AT_LEAST(1), CONFIG_HIGH, RW,
     "Roll a new segment after this many hours, when log.roll.ms is unset", ROLL_GROUP(0, 1)},
    {"log.roll.jitter.ms", CONFIG_TYPE_LONG, NULL, CONFIG_AT_LEAST(0), CONFIG_HIGH, RW,
     "Most random time taken off the roll time (topic: segment.jitter.ms); unset: .hours",
     JITTER_GROUP(1, 3600000)},
    {"log.roll.jitter.hours", CONFIG_TYPE_INT, "0", CONFIG_AT_LEAST(0), CONFIG_HIGH, RW,
     "Roll jitter in hours, when log.roll.jitter.ms is unset", JITTER_GROUP(0, 1)},
    {"log.index.size.max.bytes", CONFIG_TYPE_INT, "10485760", CONFIG_AT_LEAST(4), CONFIG_MEDIUM, RW,
     "The largest offset index of one segment (topic: segment.index.bytes)", NULL},
    {"log.index.interval.bytes", CONFIG_TYPE_INT, "4096", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "Bytes of log between offset index entries (topic: index.interval.bytes)", NULL},
    {"log.preallocate", CONFIG_TYPE_BOOLEAN, "false", {0}, CONFIG_MEDIUM, RW,
     "Preallocate segment files when they are created (topic: preallocate)", NULL},
    {"log.segment.delete.delay.ms", CONFIG_TYPE_LONG, "60000", CONFIG_AT_LEAST(0), CONFIG_HIGH, RW,
     "Wait before deleting a segment file (topic: file.delete.delay.ms)", NULL},
    {"log.message.timestamp.type", CONFIG_TYPE_STRING, "CreateTime",
     CONFIG_ONE_OF("CreateTime", "LogAppendTime"), CONFIG_MEDIUM, RW,
     "Record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime)", NULL},
    {"log.message.timestamp.difference.max.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0),
     CONFIG_MEDIUM, RW, "Deprecated: the largest timestamp difference accepted; use before/after", NULL},
    {"log.message.timestamp.before.max.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0),
     CONFIG_MEDIUM, RW, "How far in the past a CreateTime timestamp may be", NULL},
    {"log.message.timestamp.after.max.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(0),
     CONFIG_MEDIUM, RW, "How far in the future a CreateTime timestamp may be", NULL},
    {"log.message.downconversion.enable", CONFIG_TYPE_BOOLEAN, "true", {0}, CONFIG_LOW, RW,
     "Whether old fetch versions get down-converted records (topic: message.downconversion.enable)", NULL},
    {"compression.type", CONFIG_TYPE_STRING, "producer",
     CONFIG_ONE_OF("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), CONFIG_HIGH, RW,
     "Codec of stored batches; producer keeps the producer's", NULL},
    {"compression.gzip.level", CONFIG_TYPE_INT, "-1", CONFIG_CUSTOM(check_gzip_level), CONFIG_MEDIUM, RW,
     "gzip level when compression.type is gzip (-1: the codec default)", NULL},
    {"compression.lz4.level", CONFIG_TYPE_INT, "9", CONFIG_BETWEEN(1, 17), CONFIG_MEDIUM, RW,
     "lz4 level when compression.type is lz4", NULL},
    {"compression.zstd.level", CONFIG_TYPE_INT, "3", CONFIG_BETWEEN(-131072, 22), CONFIG_MEDIUM, RW,
     "zstd level when compression.type is zstd", NULL},

    /* ---- Retention and cleaning ---- */
    {"log.retention.hours", CONFIG_TYPE_INT, "168", {0}, CONFIG_HIGH, RW,
     "Hours to keep a segment, after log.retention.ms and log.retention.minutes",
     RETENTION_GROUP(0, 0, 1)},
    {"log.retention.minutes", CONFIG_TYPE_INT, NULL, {0}, CONFIG_HIGH, RW,
     "Minutes to keep a segment, after log.retention.ms; unset: log.retention.hours",
     RETENTION_GROUP(0, 1, 60)},
    {"log.retention.ms", CONFIG_TYPE_LONG, NULL, {0}, CONFIG_HIGH, RW,
     "Milliseconds to keep a segment (topic: retention.ms); -1 keeps it forever",
     RETENTION_GROUP(1, 60000, 3600000)},
    {"log.retention.bytes", CONFIG_TYPE_LONG, "-1", {0}, CONFIG_HIGH, RW,
     "Largest size of a partition before old segments go (topic: retention.bytes); -1 unlimited", NULL},
    {"log.retention.check.interval.ms", CONFIG_TYPE_LONG, "300000", CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RO,
     "How often segments are checked for deletion", NULL},
    {"log.local.retention.ms", CONFIG_TYPE_LONG, "-2", CONFIG_AT_LEAST(-2), CONFIG_MEDIUM, RW,
     "Tiered storage: local retention time (accepted; -2 means log.retention.ms)", NULL},
    {"log.local.retention.bytes", CONFIG_TYPE_LONG, "-2", CONFIG_AT_LEAST(-2), CONFIG_MEDIUM, RW,
     "Tiered storage: local retention size (accepted; -2 means log.retention.bytes)", NULL},
    {"log.cleanup.policy", CONFIG_TYPE_LIST, "delete", CONFIG_ONE_OF("compact", "delete"), CONFIG_MEDIUM, RW,
     "delete, compact or both for old segments (topic: cleanup.policy)", NULL},
    {"log.cleaner.enable", CONFIG_TYPE_BOOLEAN, "true", {0}, CONFIG_MEDIUM, RO,
     "Run the log cleaner (needed for compacted topics such as __consumer_offsets)", NULL},
    {"log.cleaner.threads", CONFIG_TYPE_INT, "1", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RO,
     "Threads cleaning compacted logs", NULL},
    {"log.cleaner.dedupe.buffer.size", CONFIG_TYPE_LONG, "134217728", {0}, CONFIG_MEDIUM, RO,
     "Memory for the key map of all cleaner threads", NULL},
    {"log.cleaner.backoff.ms", CONFIG_TYPE_LONG, "15000", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RO,
     "Sleep of the cleaner when there is nothing to clean", NULL},
    {"log.cleaner.delete.retention.ms", CONFIG_TYPE_LONG, "86400000", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "How long tombstones stay in compacted topics (topic: delete.retention.ms)", NULL},
    {"log.cleaner.min.cleanable.ratio", CONFIG_TYPE_DOUBLE, "0.5", CONFIG_BETWEEN(0, 1), CONFIG_MEDIUM, RW,
     "Dirty share of a log that makes it eligible for cleaning (topic: min.cleanable.dirty.ratio)", NULL},
    {"log.cleaner.min.compaction.lag.ms", CONFIG_TYPE_LONG, "0", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RW,
     "Shortest time a record stays uncompacted (topic: min.compaction.lag.ms)", NULL},
    {"log.cleaner.max.compaction.lag.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(1),
     CONFIG_MEDIUM, RW, "Longest time a record stays uncompacted (topic: max.compaction.lag.ms)", NULL},

    /* ---- Flush ---- */
    {"log.flush.interval.messages", CONFIG_TYPE_LONG, LONG_MAX_TEXT, CONFIG_AT_LEAST(1), CONFIG_HIGH, RW,
     "fsync after this many records (topic: flush.messages)", NULL},
    {"log.flush.interval.ms", CONFIG_TYPE_LONG, NULL, {0}, CONFIG_HIGH, RW,
     "fsync after this long (topic: flush.ms); unset: log.flush.scheduler.interval.ms", NULL},
    {"log.flush.scheduler.interval.ms", CONFIG_TYPE_LONG, LONG_MAX_TEXT, {0}, CONFIG_HIGH, RO,
     "How often logs are checked for a time-based flush", NULL},
    {"log.flush.offset.checkpoint.interval.ms", CONFIG_TYPE_INT, "60000", CONFIG_AT_LEAST(0), CONFIG_HIGH, RO,
     "How often the recovery point checkpoint is written", NULL},
    {"log.flush.start.offset.checkpoint.interval.ms", CONFIG_TYPE_INT, "60000", CONFIG_AT_LEAST(0),
     CONFIG_HIGH, RO, "How often the log start offset checkpoint is written", NULL},

    /* ---- Groups and offsets ---- */
    {"group.initial.rebalance.delay.ms", CONFIG_TYPE_INT, "3000", {0}, CONFIG_MEDIUM, RO,
     "Wait for more members before the first rebalance of an empty group", NULL},
    {"group.min.session.timeout.ms", CONFIG_TYPE_INT, "6000", {0}, CONFIG_MEDIUM, RO,
     "The shortest session timeout a member may ask for", NULL},
    {"group.max.session.timeout.ms", CONFIG_TYPE_INT, "1800000", {0}, CONFIG_MEDIUM, RO,
     "The longest session timeout a member may ask for", NULL},
    {"group.max.size", CONFIG_TYPE_INT, INT_MAX_TEXT, CONFIG_AT_LEAST(1), CONFIG_MEDIUM, RO,
     "The most members one consumer group may have", NULL},
    {"offsets.topic.num.partitions", CONFIG_TYPE_INT, "50", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Partitions of __consumer_offsets (fixed once created)", NULL},
    {"offsets.topic.replication.factor", CONFIG_TYPE_SHORT, "3", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Replication factor of __consumer_offsets (clamped to the live brokers)", NULL},
    {"offsets.topic.segment.bytes", CONFIG_TYPE_INT, "104857600", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Segment size of __consumer_offsets", NULL},
    {"offsets.retention.minutes", CONFIG_TYPE_INT, "10080", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "How long committed offsets of an empty group are kept", NULL},
    {"offsets.retention.check.interval.ms", CONFIG_TYPE_LONG, "600000", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "How often expired offsets are looked for", NULL},
    {"offsets.commit.timeout.ms", CONFIG_TYPE_INT, "5000", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "How long an offset commit waits for the offsets topic replicas", NULL},
    {"offsets.load.buffer.size", CONFIG_TYPE_INT, "5242880", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Read size when loading group state from __consumer_offsets", NULL},

    /* ---- Transactions and producer ids ---- */
    {"transaction.state.log.num.partitions", CONFIG_TYPE_INT, "50", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Partitions of __transaction_state (fixed once created)", NULL},
    {"transaction.state.log.replication.factor", CONFIG_TYPE_SHORT, "3", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Replication factor of __transaction_state (clamped to the live brokers)", NULL},
    {"transaction.state.log.min.isr", CONFIG_TYPE_INT, "2", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "min.insync.replicas of __transaction_state (clamped like the replication factor)", NULL},
    {"transaction.state.log.segment.bytes", CONFIG_TYPE_INT, "104857600", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "Segment size of __transaction_state", NULL},
    {"transactional.id.expiration.ms", CONFIG_TYPE_INT, "604800000", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "A transactional id idle this long is forgotten", NULL},
    {"transaction.max.timeout.ms", CONFIG_TYPE_INT, "900000", CONFIG_AT_LEAST(1), CONFIG_HIGH, RO,
     "The longest transaction timeout a producer may ask for", NULL},
    {"transaction.abort.timed.out.transaction.cleanup.interval.ms", CONFIG_TYPE_INT, "10000",
     CONFIG_AT_LEAST(1), CONFIG_LOW, RO, "How often timed-out transactions are aborted", NULL},
    {"transaction.remove.expired.transaction.cleanup.interval.ms", CONFIG_TYPE_INT, "3600000",
     CONFIG_AT_LEAST(1), CONFIG_LOW, RO, "How often expired transactional ids are removed", NULL},
    {"producer.id.expiration.ms", CONFIG_TYPE_INT, "86400000", CONFIG_AT_LEAST(1), CONFIG_LOW, RW,
     "Idempotent producer state idle this long is dropped", NULL},
    {"producer.id.expiration.check.interval.ms", CONFIG_TYPE_INT, "600000", CONFIG_AT_LEAST(1), CONFIG_LOW, RO,
     "How often expired producer ids are looked for", NULL},
    {"share.coordinator.state.topic.replication.factor", CONFIG_TYPE_SHORT, "3", CONFIG_AT_LEAST(1),
     CONFIG_LOW, RO, "Share groups' state topic replication factor (accepted; share groups are not served)", NULL},
    {"share.coordinator.state.topic.min.isr", CONFIG_TYPE_SHORT, "2", CONFIG_AT_LEAST(1), CONFIG_LOW, RO,
     "Share groups' state topic min.insync.replicas (accepted; share groups are not served)", NULL},

    /* ---- Replication ---- */
    {"min.insync.replicas", CONFIG_TYPE_INT, "1", CONFIG_AT_LEAST(1), CONFIG_HIGH, RW,
     "In-sync replicas an acks=all write needs (topic: min.insync.replicas)", NULL},
    {"unclean.leader.election.enable", CONFIG_TYPE_BOOLEAN, "false", {0}, CONFIG_HIGH, RW,
     "Allow an out-of-sync replica to become leader, losing data", NULL},
    {"replica.lag.time.max.ms", CONFIG_TYPE_LONG, "30000", {0}, CONFIG_HIGH, RO,
     "A follower not caught up for this long leaves the ISR", NULL},
    {"replica.fetch.max.bytes", CONFIG_TYPE_INT, "1048576", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RO,
     "Bytes a follower fetches per partition", NULL},
    {"replica.fetch.min.bytes", CONFIG_TYPE_INT, "1", {0}, CONFIG_HIGH, RO,
     "Bytes a follower fetch waits for", NULL},
    {"replica.fetch.wait.max.ms", CONFIG_TYPE_INT, "500", {0}, CONFIG_MEDIUM, RO,
     "Longest wait of a follower fetch", NULL},
    {"replica.fetch.backoff.ms", CONFIG_TYPE_INT, "1000", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RO,
     "Sleep after a failed follower fetch", NULL},
    {"replica.fetch.response.max.bytes", CONFIG_TYPE_INT, "10485760", CONFIG_AT_LEAST(0), CONFIG_MEDIUM, RO,
     "Bytes a whole follower fetch response may carry", NULL},
    {"replica.socket.timeout.ms", CONFIG_TYPE_INT, "30000", {0}, CONFIG_HIGH, RO,
     "Socket timeout of follower fetches", NULL},
    {"replica.high.watermark.checkpoint.interval.ms", CONFIG_TYPE_LONG, "5000", {0}, CONFIG_HIGH, RO,
     "How often the high watermark checkpoint is written", NULL},
    {"num.replica.fetchers", CONFIG_TYPE_INT, "1", {0}, CONFIG_HIGH, RO,
     "Follower fetch connections per source broker", NULL},
};

const size_t broker_config_def_count = sizeof(broker_config_defs) / sizeof(broker_config_defs[0]);

/* ---- Endpoints: NAME://host:port and id@host:port ---- */

/* host:port (host may be [v6] or empty) into a malloc'd host and a port. */
static bool parse_host_port(const char *s, size_t n, char **host, uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL || close + 1 >= s + n || close[1] != ':')
            return false;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = NULL;
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':')
                colon = s + i;
        if (colon == NULL)
            return false;
        hlen = (size_t)(colon - s);
        if (memchr(s, ':', hlen) != NULL)
            return false; /* a bare IPv6 address needs brackets */
    }
    const char *p = colon + 1, *end = s + n;
    if (p == end || end - p > 5)
        return false;
    unsigned v = 0;
    for (; p < end; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 65535)
        return false;
    for (size_t i = 0; i < hlen; i++)
        if (isspace((unsigned char)h[i]) || h[i] == '/' || h[i] == '@')
            return false;
    *host = strndup(h, hlen);
    *port = (uint16_t)v;
    return *host != NULL;
}

/* NAME://host:port; the name is upper-cased. */
static bool parse_listener(const char *s, size_t n, broker_listener *out)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++)
        if (memcmp(s + i, "://", 3) == 0) {
            sep = s + i;
            break;
        }
    if (sep == NULL || sep == s)
        return false;
    size_t nlen = (size_t)(sep - s);
    for (size_t i = 0; i < nlen; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    memset(out, 0, sizeof(*out));
    if (!parse_host_port(sep + 3, n - nlen - 3, &out->host, &out->port))
        return false;
    out->name = strndup(s, nlen);
    if (out->name == NULL) {
        free(out->host);
        return false;
    }
    for (char *c = out->name; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return true;
}

static void free_listeners(broker_listener *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(l[i].name);
        free(l[i].host);
    }
    free(l);
}

static void free_voters(broker_voter *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].host);
    free(v);
}

/* Parses a normalised list of listeners; key names the setting in messages.
 * Names must be distinct, and so must non-zero ports of bound listeners
 * (advertised ones may share a port on different hosts). */
static st_err parse_listener_list(const char *key, const char *list, broker_listener **out,
                                  size_t *count, char *err, size_t errlen)
{
    bool unique_ports = strcmp(key, "listeners") == 0;
    size_t n = config_list_count(list);
    *out = NULL;
    *count = 0;
    broker_listener *l = calloc(n ? n : 1, sizeof(*l));
    if (l == NULL)
        return config_fail(err, errlen, ST_ERR_NOMEM, "%s: out of memory", key);
    const char *p = list;
    for (size_t i = 0; i < n; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (!parse_listener(p, len, &l[i])) {
            free_listeners(l, i);
            return config_fail(err, errlen, ST_ERR_MALFORMED,
                               "%s: '%.*s' is not NAME://host:port", key, (int)len, p);
        }
        for (size_t j = 0; j < i; j++) {
            bool same_name = strcmp(l[j].name, l[i].name) == 0;
            if (!same_name && (!unique_ports || l[i].port == 0 || l[j].port != l[i].port))
                continue;
            char msg[192];
            if (same_name)
                snprintf(msg, sizeof(msg), "%s: listener name '%s' is used twice", key, l[i].name);
            else
                snprintf(msg, sizeof(msg), "%s: port %u is used twice", key, (unsigned)l[i].port);
            free_listeners(l, i + 1);
            return config_fail(err, errlen, ST_ERR_MALFORMED, "%s", msg);
        }
        p = comma ? comma + 1 : p + len;
    }
    *out = l;
    *count = n;
    return ST_OK;
}

static st_err parse_voters(const char *list, broker_voter **out, size_t *count, char *err,
                           size_t errlen)
{
    size_t n = config_list_count(list);
    *out = NULL;
    *count = 0;
    broker_voter *v = calloc(n ? n : 1, sizeof(*v));
    if (v == NULL)
        return config_fail(err, errlen, ST_ERR_NOMEM, "controller.quorum.voters: out of memory");
    const char *p = list;
    for (size_t i = 0; i < n; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *at = memchr(p, '@', len);
        char *end = NULL;
        long id = at && at > p && isdigit((unsigned char)p[0]) ? strtol(p, &end, 10) : -1;
        if (id < 0 || id > INT32_MAX || end != at ||
            !parse_host_port(at + 1, len - (size_t)(at + 1 - p), &v[i].host, &v[i].port)) {
            free_voters(v, i);
            return config_fail(err, errlen, ST_ERR_MALFORMED,
                               "controller.quorum.voters: '%.*s' is not id@host:port", (int)len, p);
        }
        v[i].id = (int32_t)id;
        for (size_t j = 0; j < i; j++)
            if (v[j].id == v[i].id) {
                free_voters(v, i + 1);
                return config_fail(err, errlen, ST_ERR_MALFORMED,
                                   "controller.quorum.voters: id %ld appears twice", id);
            }
        p = comma ? comma + 1 : p + len;
    }
    *out = v;
    *count = n;
    return ST_OK;
}

/* ---- Custom validators (run when a value is set) ---- */

static bool check_listeners(const config_def *def, const char *text, char *why, size_t n)
{
    broker_listener *l;
    size_t count;
    char err[256];
    if (parse_listener_list(def->name, text, &l, &count, err, sizeof(err)) != ST_OK) {
        /* drop the "name: " prefix: config_def adds it */
        size_t skip = strlen(def->name) + 2;
        snprintf(why, n, "%s", strlen(err) > skip ? err + skip : err);
        return false;
    }
    free_listeners(l, count);
    return true;
}

static bool check_voters(const config_def *def, const char *text, char *why, size_t n)
{
    broker_voter *v;
    size_t count;
    char err[256];
    if (parse_voters(text, &v, &count, err, sizeof(err)) != ST_OK) {
        size_t skip = strlen(def->name) + 2;
        snprintf(why, n, "%s", strlen(err) > skip ? err + skip : err);
        return false;
    }
    free_voters(v, count);
    return true;
}

/* NAME:PROTOCOL pairs; the protocol must be one Kafka knows. */
static bool check_protocol_map(const config_def *def, const char *text, char *why, size_t n)
{
    (void)def;
    static const char *const protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", NULL};
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        bool ok = colon != NULL && colon > p;
        if (ok) {
            const char *proto = colon + 1;
            size_t plen = len - (size_t)(proto - p);
            ok = false;
            for (const char *const *q = protocols; *q; q++)
                if (strlen(*q) == plen && strncasecmp(*q, proto, plen) == 0)
                    ok = true;
        }
        if (!ok) {
            snprintf(why, n, "'%.*s' is not NAME:PROTOCOL with a protocol among "
                     "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", (int)len, p);
            return false;
        }
        p = comma ? comma + 1 : p + len;
    }
    return true;
}

static bool check_gzip_level(const config_def *def, const char *text, char *why, size_t n)
{
    (void)def;
    long v = strtol(text, NULL, 10);
    if (v == -1 || (v >= 1 && v <= 9))
        return true;
    snprintf(why, n, "must be -1 or between 1 and 9, got %ld", v);
    return false;
}

/* ---- Typed fields ---- */

/* kind: BIND_BOOL, BIND_I16, ... (config_bind_kind without CONFIG_). */
#define BIND(name, field, kind) {name, offsetof(broker_config, field), CONFIG_##kind}

/* Settings copied one-to-one into a typed field. */
static const config_binding bindings[] = {
    BIND("delete.topic.enable", delete_topic_enable, BIND_BOOL),
    BIND("auto.create.topics.enable", auto_create_topics_enable, BIND_BOOL),
    BIND("auto.leader.rebalance.enable", auto_leader_rebalance_enable, BIND_BOOL),
    BIND("background.threads", background_threads, BIND_I32),
    BIND("num.recovery.threads.per.data.dir", num_recovery_threads_per_data_dir, BIND_I32),
    BIND("controller.quorum.election.timeout.ms", controller_quorum_election_timeout_ms, BIND_I32),
    BIND("controller.quorum.fetch.timeout.ms", controller_quorum_fetch_timeout_ms, BIND_I32),
    BIND("num.network.threads", num_network_threads, BIND_I32),
    BIND("num.io.threads", num_io_threads, BIND_I32),
    BIND("socket.send.buffer.bytes", socket_send_buffer_bytes, BIND_I32),
    BIND("socket.receive.buffer.bytes", socket_receive_buffer_bytes, BIND_I32),
    BIND("socket.request.max.bytes", socket_request_max_bytes, BIND_I32),
    BIND("socket.listen.backlog.size", socket_listen_backlog_size, BIND_I32),
    BIND("queued.max.requests", queued_max_requests, BIND_I32),
    BIND("max.connections", max_connections, BIND_I32),
    BIND("max.connections.per.ip", max_connections_per_ip, BIND_I32),
    BIND("connections.max.idle.ms", connections_max_idle_ms, BIND_I64),
    BIND("fetch.max.bytes", fetch_max_bytes, BIND_I32),
    BIND("message.max.bytes", message_max_bytes, BIND_I32),
    BIND("num.partitions", num_partitions, BIND_I32),
    BIND("default.replication.factor", default_replication_factor, BIND_I32),
    BIND("log.segment.bytes", log_segment_bytes, BIND_I32),
    BIND("log.index.size.max.bytes", log_index_size_max_bytes, BIND_I32),
    BIND("log.index.interval.bytes", log_index_interval_bytes, BIND_I32),
    BIND("log.preallocate", log_preallocate, BIND_BOOL),
    BIND("log.segment.delete.delay.ms", log_segment_delete_delay_ms, BIND_I64),
    BIND("log.message.timestamp.difference.max.ms", log_message_timestamp_difference_max_ms, BIND_I64),
    BIND("log.message.timestamp.before.max.ms", log_message_timestamp_before_max_ms, BIND_I64),
    BIND("log.message.timestamp.after.max.ms", log_message_timestamp_after_max_ms, BIND_I64),
    BIND("log.message.downconversion.enable", log_message_downconversion_enable, BIND_BOOL),
    BIND("compression.gzip.level", compression_gzip_level, BIND_I32),
    BIND("compression.lz4.level", compression_lz4_level, BIND_I32),
    BIND("compression.zstd.level", compression_zstd_level, BIND_I32),
    BIND("log.retention.bytes", log_retention_bytes, BIND_I64),
    BIND("log.retention.check.interval.ms", log_retention_check_interval_ms, BIND_I64),
    BIND("log.local.retention.ms", log_local_retention_ms, BIND_I64),
    BIND("log.local.retention.bytes", log_local_retention_bytes, BIND_I64),
    BIND("log.cleaner.enable", log_cleaner_enable, BIND_BOOL),
    BIND("log.cleaner.threads", log_cleaner_threads, BIND_I32),
    BIND("log.cleaner.dedupe.buffer.size", log_cleaner_dedupe_buffer_size, BIND_I64),
    BIND("log.cleaner.backoff.ms", log_cleaner_backoff_ms, BIND_I64),
    BIND("log.cleaner.delete.retention.ms", log_cleaner_delete_retention_ms, BIND_I64),
    BIND("log.cleaner.min.cleanable.ratio", log_cleaner_min_cleanable_ratio, BIND_DOUBLE),
    BIND("log.cleaner.min.compaction.lag.ms", log_cleaner_min_compaction_lag_ms, BIND_I64),
    BIND("log.cleaner.max.compaction.lag.ms", log_cleaner_max_compaction_lag_ms, BIND_I64),
    BIND("log.flush.interval.messages", log_flush_interval_messages, BIND_I64),
    BIND("log.flush.scheduler.interval.ms", log_flush_scheduler_interval_ms, BIND_I64),
    BIND("log.flush.offset.checkpoint.interval.ms", log_flush_offset_checkpoint_interval_ms, BIND_I32),
    BIND("log.flush.start.offset.checkpoint.interval.ms", log_flush_start_offset_checkpoint_interval_ms, BIND_I32),
    BIND("group.initial.rebalance.delay.ms", group_initial_rebalance_delay_ms, BIND_I32),
    BIND("group.min.session.timeout.ms", group_min_session_timeout_ms, BIND_I32),
    BIND("group.max.session.timeout.ms", group_max_session_timeout_ms, BIND_I32),
    BIND("group.max.size", group_max_size, BIND_I32),
    BIND("offsets.topic.num.partitions", offsets_topic_num_partitions, BIND_I32),
    BIND("offsets.topic.replication.factor", offsets_topic_replication_factor, BIND_I16),
    BIND("offsets.topic.segment.bytes", offsets_topic_segment_bytes, BIND_I32),
    BIND("offsets.retention.minutes", offsets_retention_minutes, BIND_I32),
    BIND("offsets.retention.check.interval.ms", offsets_retention_check_interval_ms, BIND_I64),
    BIND("offsets.commit.timeout.ms", offsets_commit_timeout_ms, BIND_I32),
    BIND("offsets.load.buffer.size", offsets_load_buffer_size, BIND_I32),
    BIND("transaction.state.log.num.partitions", transaction_state_log_num_partitions, BIND_I32),
    BIND("transaction.state.log.replication.factor", transaction_state_log_replication_factor, BIND_I16),
    BIND("transaction.state.log.min.isr", transaction_state_log_min_isr, BIND_I32),
    BIND("transaction.state.log.segment.bytes", transaction_state_log_segment_bytes, BIND_I32),
    BIND("transactional.id.expiration.ms", transactional_id_expiration_ms, BIND_I32),
    BIND("transaction.max.timeout.ms", transaction_max_timeout_ms, BIND_I32),
    BIND("transaction.abort.timed.out.transaction.cleanup.interval.ms",
         transaction_abort_timed_out_transaction_cleanup_interval_ms, BIND_I32),
    BIND("transaction.remove.expired.transaction.cleanup.interval.ms",
         transaction_remove_expired_transaction_cleanup_interval_ms, BIND_I32),
    BIND("producer.id.expiration.ms", producer_id_expiration_ms, BIND_I32),
    BIND("producer.id.expiration.check.interval.ms", producer_id_expiration_check_interval_ms, BIND_I32),
    BIND("min.insync.replicas", min_insync_replicas, BIND_I32),
    BIND("unclean.leader.election.enable", unclean_leader_election_enable, BIND_BOOL),
    BIND("replica.lag.time.max.ms", replica_lag_time_max_ms, BIND_I64),
    BIND("replica.fetch.max.bytes", replica_fetch_max_bytes, BIND_I32),
    BIND("replica.fetch.min.bytes", replica_fetch_min_bytes, BIND_I32),
    BIND("replica.fetch.wait.max.ms", replica_fetch_wait_max_ms, BIND_I32),
    BIND("replica.fetch.backoff.ms", replica_fetch_backoff_ms, BIND_I32),
    BIND("replica.fetch.response.max.bytes", replica_fetch_response_max_bytes, BIND_I32),
    BIND("replica.socket.timeout.ms", replica_socket_timeout_ms, BIND_I32),
    BIND("replica.high.watermark.checkpoint.interval.ms",
         replica_high_watermark_checkpoint_interval_ms, BIND_I64),
    BIND("num.replica.fetchers", num_replica_fetchers, BIND_I32),
};

/* The typed value of a setting by name (the table is fixed, so a missing
 * name is a programming error reported as ST_ERR_MALFORMED). */
static st_err get(const config_values *v, const char *name, config_value *out, char *err,
                  size_t errlen)
{
    long i = config_values_index(v, name);
    if (i < 0)
        return config_fail(err, errlen, ST_ERR_MALFORMED, "internal: no setting '%s'", name);
    st_err e = config_values_get(v, (size_t)i, out);
    if (e != ST_OK)
        return config_fail(err, errlen, e, "internal: the value of '%s' does not parse", name);
    return ST_OK;
}

static st_err apply_bindings(broker_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
        config_value v;
        st_err e = get(&cfg->values, bindings[i].name, &v, err, errlen);
        if (e != ST_OK)
            return e;
        config_binding_store(&bindings[i], cfg, &v);
    }
    return ST_OK;
}

/* A LONG that stands in through synonyms (ms > minutes > hours). */
static st_err resolve_long(const config_values *v, const char *name,
                           const config_synonym *synonyms, int64_t *out, char *err,
                           size_t errlen)
{
    const char *text;
    config_source source;
    char buf[CONFIG_NUM_MAX];
    if (!config_values_resolve(v, synonyms, &text, &source, buf))
        return config_fail(err, errlen, ST_ERR_MALFORMED, "internal: %s has no value", name);
    char *end;
    long long n = strtoll(text, &end, 10);
    if (*end != '\0')
        return config_fail(err, errlen, ST_ERR_MALFORMED, "internal: %s is not a number", name);
    *out = n;
    return ST_OK;
}

static const config_synonym *synonyms_of(const config_values *v, const char *name)
{
    long i = config_values_index(v, name);
    return i < 0 ? NULL : v->defs[i].synonyms;
}

static int codec_of(const char *name)
{
    if (strcmp(name, "gzip") == 0) return ST_CODEC_GZIP;
    if (strcmp(name, "snappy") == 0) return ST_CODEC_SNAPPY;
    if (strcmp(name, "lz4") == 0) return ST_CODEC_LZ4;
    if (strcmp(name, "zstd") == 0) return ST_CODEC_ZSTD;
    if (strcmp(name, "uncompressed") == 0) return ST_CODEC_NONE;
    return BROKER_COMPRESSION_PRODUCER;
}

/* Fields resolved from more than one setting, or from text. */
static st_err apply_derived(broker_config *cfg, char *err, size_t errlen)
{
    const config_values *v = &cfg->values;
    static const config_synonym flush_ms[] = {
        {"log.flush.interval.ms", 1}, {"log.flush.scheduler.interval.ms", 1}, {NULL, 0}};
    st_err e;
    if ((e = resolve_long(v, "log.retention.ms", synonyms_of(v, "log.retention.ms"),
                          &cfg->log_retention_ms, err, errlen)) != ST_OK ||
        (e = resolve_long(v, "log.roll.ms", synonyms_of(v, "log.roll.ms"), &cfg->log_roll_ms,
                          err, errlen)) != ST_OK ||
        (e = resolve_long(v, "log.roll.jitter.ms", synonyms_of(v, "log.roll.jitter.ms"),
                          &cfg->log_roll_jitter_ms, err, errlen)) != ST_OK ||
        (e = resolve_long(v, "log.flush.interval.ms", flush_ms, &cfg->log_flush_interval_ms,
                          err, errlen)) != ST_OK)
        return e;
    config_value x;
    if ((e = get(v, "log.cleanup.policy", &x, err, errlen)) != ST_OK)
        return e;
    cfg->log_cleanup_delete = config_list_contains(x.s, "delete");
    cfg->log_cleanup_compact = config_list_contains(x.s, "compact");
    if ((e = get(v, "log.message.timestamp.type", &x, err, errlen)) != ST_OK)
        return e;
    cfg->log_message_timestamp_type = strcmp(x.s, "LogAppendTime") == 0
                                          ? BROKER_TIMESTAMP_LOG_APPEND_TIME
                                          : BROKER_TIMESTAMP_CREATE_TIME;
    if ((e = get(v, "compression.type", &x, err, errlen)) != ST_OK)
        return e;
    cfg->compression_type = codec_of(x.s);
    if ((e = get(v, "process.roles", &x, err, errlen)) != ST_OK)
        return e;
    cfg->role_broker = config_list_contains(x.s, "broker");
    cfg->role_controller = config_list_contains(x.s, "controller");
    cfg->offsets_retention_ms = (int64_t)cfg->offsets_retention_minutes * 60000;
    cfg->broker_rack = config_values_text(v, (size_t)config_values_index(v, "broker.rack"));
    cfg->metadata_log_dir =
        config_values_text(v, (size_t)config_values_index(v, "metadata.log.dir"));
    return ST_OK;
}

/* ---- Checks across settings ---- */

static st_err check_node_id(broker_config *cfg, char *err, size_t errlen)
{
    config_value node, broker;
    st_err e;
    if ((e = get(&cfg->values, "node.id", &node, err, errlen)) != ST_OK ||
        (e = get(&cfg->values, "broker.id", &broker, err, errlen)) != ST_OK)
        return e;
    if (node.i >= 0 && broker.i >= 0 && node.i != broker.i)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "node.id (%" PRId64 ") and broker.id (%" PRId64 ") must be equal when both are set",
                           node.i, broker.i);
    int64_t id = node.i >= 0 ? node.i : broker.i;
    if (id < 0 && cfg->n_voters > 0)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "node.id: must be set when controller.quorum.voters is set");
    cfg->node_id = id < 0 ? 0 : (int32_t)id;
    if (cfg->role_controller && cfg->n_voters > 0) {
        for (size_t i = 0; i < cfg->n_voters; i++)
            if (cfg->voters[i].id == cfg->node_id)
                return ST_OK;
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "controller.quorum.voters: node.id %d has the controller role but is not a voter",
                           cfg->node_id);
    }
    return ST_OK;
}

static st_err check_ranges_between(const broker_config *cfg, char *err, size_t errlen)
{
    if (!cfg->role_broker && !cfg->role_controller)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "process.roles: must name broker, controller or both");
    if (cfg->group_min_session_timeout_ms > cfg->group_max_session_timeout_ms)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "group.min.session.timeout.ms (%d) is above group.max.session.timeout.ms (%d)",
                           cfg->group_min_session_timeout_ms, cfg->group_max_session_timeout_ms);
    if (cfg->log_cleaner_min_compaction_lag_ms > cfg->log_cleaner_max_compaction_lag_ms)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "log.cleaner.min.compaction.lag.ms (%" PRId64
                           ") is above log.cleaner.max.compaction.lag.ms (%" PRId64 ")",
                           cfg->log_cleaner_min_compaction_lag_ms, cfg->log_cleaner_max_compaction_lag_ms);
    return ST_OK;
}

/* log.dirs, else log.dir; at least one, no duplicates. */
static st_err resolve_log_dirs(broker_config *cfg, char ***dirs, size_t *count, char *err,
                               size_t errlen)
{
    const config_values *v = &cfg->values;
    const char *list = config_values_text(v, (size_t)config_values_index(v, "log.dirs"));
    const char *key = "log.dirs";
    bool is_list = list != NULL;
    if (!is_list) {
        list = config_values_text(v, (size_t)config_values_index(v, "log.dir"));
        key = "log.dir";
    }
    size_t n = is_list ? config_list_count(list) : (list && list[0] ? 1 : 0);
    if (n == 0)
        return config_fail(err, errlen, ST_ERR_MALFORMED,
                           "%s: at least one directory is required", key);
    char **d = calloc(n, sizeof(*d));
    if (d == NULL)
        return config_fail(err, errlen, ST_ERR_NOMEM, "%s: out of memory", key);
    const char *p = list;
    for (size_t i = 0; i < n; i++) {
        const char *comma = is_list ? strchr(p, ',') : NULL;
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        d[i] = strndup(p, len);
        bool dup = false;
        for (size_t j = 0; d[i] && j < i; j++)
            dup = dup || strcmp(d[j], d[i]) == 0;
        if (d[i] == NULL || dup) {
            st_err e = d[i] ? config_fail(err, errlen, ST_ERR_MALFORMED,
                                          "%s: '%s' is listed twice", key, d[i])
                            : config_fail(err, errlen, ST_ERR_NOMEM, "%s: out of memory", key);
            for (size_t j = 0; j <= i; j++)
                free(d[j]);
            free(d);
            return e;
        }
        p = comma ? comma + 1 : p + len;
    }
    *dirs = d;
    *count = n;
    return ST_OK;
}

/* ---- Listeners ---- */

/* The security protocol of a listener name, from the map; controller
 * listeners default to PLAINTEXT when the map was not set (as in Kafka). */
static bool protocol_of(const config_values *v, const char *name, bool controller,
                        char *proto, size_t plen)
{
    size_t idx = (size_t)config_values_index(v, "listener.security.protocol.map");
    const char *map = config_values_text(v, idx);
    size_t nlen = strlen(name);
    for (const char *p = map; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon && (size_t)(colon - p) == nlen && strncasecmp(p, name, nlen) == 0) {
            snprintf(proto, plen, "%.*s", (int)(len - nlen - 1), colon + 1);
            for (char *c = proto; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            return true;
        }
        p = comma ? comma + 1 : p + len;
    }
    if (controller && !config_values_is_set(v, idx)) {
        snprintf(proto, plen, "PLAINTEXT");
        return true;
    }
    return false;
}

static st_err check_protocols(const broker_config *cfg, const char *key, broker_listener *l,
                              size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char proto[32];
        if (!protocol_of(&cfg->values, l[i].name, l[i].controller, proto, sizeof(proto)))
            return config_fail(err, errlen, ST_ERR_MALFORMED,
                               "%s: listener '%s' has no security protocol in listener.security.protocol.map",
                               key, l[i].name);
        if (strcmp(proto, "PLAINTEXT") != 0)
            return config_fail(err, errlen, ST_ERR_UNSUPPORTED,
                               "%s: listener '%s' uses %s; Strait serves only PLAINTEXT listeners for now",
                               key, l[i].name, proto);
    }
    return ST_OK;
}

static void mark_controllers(const config_values *v, broker_listener *l, size_t n)
{
    const char *names =
        config_values_text(v, (size_t)config_values_index(v, "controller.listener.names"));
    for (size_t i = 0; i < n; i++) {
        l[i].controller = false;
        for (size_t k = 0; names && k < config_list_count(names); k++) {
            char item[128];
            if (config_list_item(names, k, item, sizeof(item)) && strcasecmp(item, l[i].name) == 0)
                l[i].controller = true;
        }
    }
}

static bool has_listener(const broker_listener *l, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(l[i].name, name) == 0)
            return true;
    return false;
}

/* Controller names must be listeners; inter.broker.listener.name too. */
static st_err check_listener_names(broker_config *cfg, broker_listener *l, size_t n, char *err,
                                   size_t errlen)
{
    const config_values *v = &cfg->values;
    const char *names =
        config_values_text(v, (size_t)config_values_index(v, "controller.listener.names"));
    for (size_t k = 0; cfg->role_controller && names && k < config_list_count(names); k++) {
        char item[128];
        if (config_list_item(names, k, item, sizeof(item)) && !has_listener(l, n, item))
            return config_fail(err, errlen, ST_ERR_MALFORMED,
                               "controller.listener.names: '%s' is not in listeners", item);
    }
    const char *ib =
        config_values_text(v, (size_t)config_values_index(v, "inter.broker.listener.name"));
    if (ib != NULL) {
        if (!has_listener(l, n, ib))
            return config_fail(err, errlen, ST_ERR_MALFORMED,
                               "inter.broker.listener.name: '%s' is not in listeners", ib);
        cfg->inter_broker_listener_name = ib;
        return ST_OK;
    }
    cfg->inter_broker_listener_name = "PLAINTEXT";
    for (size_t i = 0; i < n && !has_listener(l, n, "PLAINTEXT"); i++)
        if (!l[i].controller) {
            cfg->inter_broker_listener_name = l[i].name;
            break;
        }
    return ST_OK;
}

static st_err resolve_listeners(broker_config *cfg, broker_listener **out, size_t *count,
                                char *err, size_t errlen)
{
    const config_values *v = &cfg->values;
    const char *list = config_values_text(v, (size_t)config_values_index(v, "listeners"));
    st_err e = parse_listener_list("listeners", list, out, count, err, errlen);
    if (e != ST_OK)
        return e;
    if (*count == 0)
        e = config_fail(err, errlen, ST_ERR_MALFORMED,
                        "listeners: at least one listener is required");
    if (e == ST_OK) {
        mark_controllers(v, *out, *count);
        e = check_protocols(cfg, "listeners", *out, *count, err, errlen);
    }
    if (e != ST_OK) {
        free_listeners(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return e;
}

static bool every_interface(const char *host)
{
    return host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

static st_err copy_listener(broker_listener *dst, const broker_listener *src, const char *host)
{
    dst->name = strdup(src->name);
    dst->host = strdup(host);
    dst->port = src->port;
    dst->controller = src->controller;
    return dst->name && dst->host ? ST_OK : ST_ERR_NOMEM;
}

/* advertised.listeners as given: names among listeners, no 0.0.0.0. */
static st_err explicit_advertised(broker_config *cfg, const char *list, broker_listener **out,
                                  size_t *count, char *err, size_t errlen)
{
    const char *key = "advertised.listeners";
    st_err e = parse_listener_list(key, list, out, count, err, errlen);
    if (e != ST_OK)
        return e;
    mark_controllers(&cfg->values, *out, *count);
    for (size_t i = 0; e == ST_OK && i < *count; i++) {
        const broker_listener *a = &(*out)[i];
        if (!has_listener(cfg->listeners, cfg->n_listeners, a->name))
            e = config_fail(err, errlen, ST_ERR_MALFORMED,
                            "%s: listener '%s' is not in listeners", key, a->name);
        else if (strcmp(a->host, "0.0.0.0") == 0 || strcmp(a->host, "::") == 0)
            e = config_fail(err, errlen, ST_ERR_MALFORMED,
                            "%s: '%s' advertises %s, which clients cannot connect to", key, a->name, a->host);
    }
    if (e == ST_OK)
        e = check_protocols(cfg, key, *out, *count, err, errlen);
    if (e != ST_OK) {
        free_listeners(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return e;
}

st_err broker_config_derive_advertised(broker_config *cfg, const char *host_name,
                                       char *errbuf, size_t errlen)
{
    const config_values *v = &cfg->values;
    const char *list = config_values_text(v, (size_t)config_values_index(v, "advertised.listeners"));
    broker_listener *out = NULL;
    size_t n = 0;
    if (list != NULL) {
        st_err e = explicit_advertised(cfg, list, &out, &n, errbuf, errlen);
        if (e != ST_OK)
            return e;
    } else {
        out = calloc(cfg->n_listeners ? cfg->n_listeners : 1, sizeof(*out));
        if (out == NULL)
            return config_fail(errbuf, errlen, ST_ERR_NOMEM, "advertised.listeners: out of memory");
        for (size_t i = 0; i < cfg->n_listeners; i++) {
            const broker_listener *l = &cfg->listeners[i];
            if (l->controller)
                continue;
            const char *host = every_interface(l->host) ? host_name : l->host;
            if (copy_listener(&out[n++], l, host) != ST_OK) {
                free_listeners(out, n);
                return config_fail(errbuf, errlen, ST_ERR_NOMEM,
                                   "advertised.listeners: out of memory");
            }
        }
    }
    free_listeners(cfg->advertised, cfg->n_advertised);
    cfg->advertised = out;
    cfg->n_advertised = n;
    return ST_OK;
}

const broker_listener *broker_config_listener(const broker_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_listeners; i++)
        if (strcasecmp(cfg->listeners[i].name, name) == 0)
            return &cfg->listeners[i];
    return NULL;
}

/* ---- Applying values to the typed fields ---- */

static void free_log_dirs(char **dirs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    free(dirs);
}

static void free_resolved(broker_config *cfg)
{
    free_listeners(cfg->listeners, cfg->n_listeners);
    free_listeners(cfg->advertised, cfg->n_advertised);
    free_voters(cfg->voters, cfg->n_voters);
    free_log_dirs(cfg->log_dirs, cfg->n_log_dirs);
    cfg->listeners = cfg->advertised = NULL;
    cfg->voters = NULL;
    cfg->log_dirs = NULL;
    cfg->n_listeners = cfg->n_advertised = cfg->n_voters = cfg->n_log_dirs = 0;
}

/* Everything but the values, computed into t (a copy of cfg). */
static st_err compute(broker_config *t, const char *host_name, char *err, size_t errlen)
{
    const config_values *v = &t->values;
    st_err e;
    t->listeners = t->advertised = NULL;
    t->voters = NULL;
    t->log_dirs = NULL;
    t->n_listeners = t->n_advertised = t->n_voters = t->n_log_dirs = 0;
    if ((e = apply_bindings(t, err, errlen)) != ST_OK ||
        (e = apply_derived(t, err, errlen)) != ST_OK ||
        (e = check_ranges_between(t, err, errlen)) != ST_OK)
        return e;
    const char *voters =
        config_values_text(v, (size_t)config_values_index(v, "controller.quorum.voters"));
    if ((e = parse_voters(voters, &t->voters, &t->n_voters, err, errlen)) != ST_OK)
        return e;
    if ((e = check_node_id(t, err, errlen)) != ST_OK ||
        (e = resolve_log_dirs(t, &t->log_dirs, &t->n_log_dirs, err, errlen)) != ST_OK ||
        (e = resolve_listeners(t, &t->listeners, &t->n_listeners, err, errlen)) != ST_OK ||
        (e = check_listener_names(t, t->listeners, t->n_listeners, err, errlen)) != ST_OK)
        return e;
    return broker_config_derive_advertised(t, host_name, err, errlen);
}

st_err broker_config_apply(broker_config *cfg, const char *host_name, char *errbuf,
                           size_t errlen)
{
    broker_config t = *cfg;
    st_err e = compute(&t, host_name ? host_name : "localhost", errbuf, errlen);
    if (e != ST_OK) {
        free_resolved(&t);
        return e;
    }
    free_resolved(cfg);
    *cfg = t;
    return ST_OK;
}

/* ---- Loading ---- */

static st_err load_yaml(broker_config *cfg, const char *path, char *errbuf, size_t errlen)
{
    yaml_config y;
    yaml_config_init(&y);
    st_err e = yaml_config_load_file(&y, path, errbuf, errlen);
    for (size_t i = 0; e == ST_OK && i < y.count; i++) {
        const yaml_config_entry *en = &y.entries[i];
        if (en->value == NULL)
            continue; /* a YAML null: not set, the default applies */
        char msg[512];
        e = config_values_set(&cfg->values, en->key, en->value, CONFIG_SOURCE_STATIC_BROKER,
                              msg, sizeof(msg));
        if (e != ST_OK) {
            config_fail(errbuf, errlen, e, "%s:%d: %s", path, en->line, msg);
            if (e == ST_ERR_UNSUPPORTED)
                e = ST_ERR_MALFORMED; /* an unknown setting is a bad file */
        }
    }
    yaml_config_free(&y);
    return e;
}

static st_err load_override(broker_config *cfg, const char *kv, char *errbuf, size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return config_fail(errbuf, errlen, ST_ERR_MALFORMED,
                           "--override '%s': expected key=value", kv);
    char key[256];
    size_t klen = (size_t)(eq - kv);
    while (klen > 0 && isspace((unsigned char)kv[klen - 1]))
        klen--;
    if (klen >= sizeof(key))
        return config_fail(errbuf, errlen, ST_ERR_MALFORMED, "--override '%s': key too long", kv);
    memcpy(key, kv, klen);
    key[klen] = '\0';
    char msg[512];
    st_err e = config_values_set(&cfg->values, key, eq + 1, CONFIG_SOURCE_STATIC_BROKER, msg,
                                 sizeof(msg));
    if (e != ST_OK)
        return config_fail(errbuf, errlen, e == ST_ERR_UNSUPPORTED ? ST_ERR_MALFORMED : e,
                           "--override %s: %s", kv, msg);
    return ST_OK;
}

st_err broker_config_load(broker_config *cfg, const char *yaml_path,
                          const char *const *overrides, size_t n_overrides,
                          char *errbuf, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    if (config_values_init(&cfg->values, broker_config_defs, broker_config_def_count) != ST_OK)
        return config_fail(errbuf, errlen, ST_ERR_NOMEM, "out of memory");
    st_err e = yaml_path ? load_yaml(cfg, yaml_path, errbuf, errlen) : ST_OK;
    for (size_t i = 0; e == ST_OK && i < n_overrides; i++)
        e = load_override(cfg, overrides[i], errbuf, errlen);
    if (e == ST_OK) {
        char host[256];
        if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        e = broker_config_apply(cfg, host, errbuf, errlen);
    }
    if (e != ST_OK)
        broker_config_free(cfg);
    return e;
}

void broker_config_free(broker_config *cfg)
{
    free_resolved(cfg);
    config_values_free(&cfg->values);
    memset(cfg, 0, sizeof(*cfg));
}

/* ---- DescribeConfigs ---- */

st_err broker_config_describe(const broker_config *cfg, config_desc_list *out)
{
    for (size_t i = 0; i < cfg->values.count; i++) {
        st_err e = config_values_describe(&cfg->values, i, out);
        if (e != ST_OK)
            return e;
    }
    return ST_OK;
}
