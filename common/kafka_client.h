/* kafka_client.h — Strait's Kafka client library: the one public header.
 *
 * What it is: a Kafka protocol client on libev, written for the mirror and
 * connect daemons and the `strait` tools (librdkafka is never used by it).
 * This header declares everything a program needs; the client_*.h files
 * next to it are internals.
 *
 * The pieces, bottom up:
 *
 *   kc_config    properties with the Java client's names ("bootstrap.servers",
 *                "linger.ms", ...). Unknown names are an error naming the key.
 *   kc_client    the core: bootstrap, one TCP connection per broker with
 *                pipelined requests, ApiVersions negotiation, a metadata
 *                cache, request timeouts and retries, and a generic "send
 *                this request to that broker" call (kc_client_send) that the
 *                producer, and later the consumer and the admin API, use.
 *   kc_producer  Java-compatible producer: murmur2 partitioner, sticky
 *                partitioning, batching, compression, acks, idempotence,
 *                delivery callbacks, flush, bounded memory.
 *
 * Threading and the event loop. A client is single-threaded: every call on
 * one client (and on its producer) must come from one thread, the thread that
 * runs its libev loop. Two ways to run it:
 *
 *   - Owned loop (pass loop = NULL): the client creates a private loop and
 *     only runs it inside the blocking calls: kc_client_poll(),
 *     kc_producer_poll(), kc_producer_flush(), kc_producer_close(), a
 *     kc_produce() that waits for buffer memory, kc_client_connect().
 *     Callbacks fire only inside those calls.
 *   - External loop (pass your daemon's struct ev_loop *): the client adds
 *     its watchers to your loop and works whenever your loop runs; callbacks
 *     fire from your loop. kc_produce() never blocks in this mode (it answers
 *     KC_ERR_QUEUE_FULL when the buffer is full). The blocking calls above
 *     still work (they run your loop until done) but must not be called from
 *     inside a callback of that loop.
 *
 * Callbacks. Every asynchronous call reports exactly once through its
 * callback, also on failure and when the client is freed first (with
 * KC_ERR_DESTROYED). Callbacks may call any function of this header except
 * the *_free/close functions of the client that is calling them, and except
 * the blocking calls.
 *
 * Errors are values (kc_err): 0 is success, positive values are Kafka's wire
 * error codes (common/kafka_error.h: KAFKA_NOT_LEADER_OR_FOLLOWER ...), and
 * negative values are the client's own KC_ERR_* below. Every error comes with
 * a human-readable message (an errstr argument of the callback, or
 * kc_client_last_error() for synchronous calls).
 *
 * Memory: the library never keeps pointers to caller memory beyond a call,
 * unless a comment says so; everything it hands to callbacks is valid only
 * during the callback. Allocation failures are reported, never fatal. No
 * global mutable state: any number of clients may live in one process.
 *
 * Building on the core inside common/ (consumer, admin): use
 * kc_client_send() for every request; client_core.h gives the internals a
 * layer needs: hooks (kc_client_add_hook: a connection became ready or went
 * down, metadata changed, the 100 ms tick), kc_client_upsert_node (make a
 * node from FindCoordinator known so a KC_TARGET_NODE call need not wait for
 * metadata), kc_fail/kc_log/kc_now_ms/kc_backoff_ms, kc_client_run_once (the
 * blocking-call loop). client_metadata.h: kc_md_want (keep a topic in every
 * refresh). A layer that owns the kc_client creates it with
 * kc_client_new_role(conf, loop, "consumer", ...) for its log lines. */
#ifndef STRAIT_KAFKA_CLIENT_H
#define STRAIT_KAFKA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/kafka_error.h"
#include "common/logging.h"
#include "common/wire.h"

struct ev_loop;

typedef struct kc_config kc_config;
typedef struct kc_client kc_client;
typedef struct kc_producer kc_producer;

/* ======================================================================
 * Errors
 * ====================================================================== */

/* 0 = success; > 0 = a Kafka error code (kafka_error.h); < 0 = KC_ERR_*. */
typedef int kc_err;

enum {
    KC_OK = 0,
    KC_ERR_CONFIG = -100,           /* a bad property name or value */
    KC_ERR_INVALID_ARG = -101,      /* a bad argument to a call */
    KC_ERR_NOMEM = -102,            /* an allocation failed */
    KC_ERR_TRANSPORT = -103,        /* a connection failed, or broke with requests in flight */
    KC_ERR_TIMED_OUT = -104,        /* a request, a wait or a flush ran out of time */
    KC_ERR_UNSUPPORTED = -105,      /* the broker lacks the API or a usable version of it */
    KC_ERR_BAD_RESPONSE = -106,     /* a response that could not be decoded or matched */
    KC_ERR_QUEUE_FULL = -107,       /* buffer.memory is used up (and the call may not block) */
    KC_ERR_MSG_TIMED_OUT = -108,    /* delivery.timeout.ms passed before the record was acknowledged */
    KC_ERR_DESTROYED = -109,        /* the client/producer was freed before the call completed */
    KC_ERR_RECORD_TOO_LARGE = -110, /* a record larger than max.request.size or buffer.memory */
    KC_ERR_FATAL = -111,            /* the producer is in a fatal state (see kc_client_last_error) */
    KC_ERR_RESOLVE = -112,          /* a host name could not be resolved */
    KC_ERR_STATE = -113,            /* a call that is not allowed now (e.g. blocking inside a callback) */
};

/* A short name: "KC_ERR_TIMED_OUT", or Kafka's name ("NOT_LEADER_OR_FOLLOWER"). */
const char *kc_err_name(kc_err err);
/* Whether retrying the same operation later may succeed (Kafka's retriable
 * codes, transport errors, timeouts). */
bool kc_err_retriable(kc_err err);

/* API keys of the requests the client and its users send (Kafka's numbers;
 * any key of common/protocol/messages.h may be passed to kc_client_send). */
enum {
    KC_API_PRODUCE = 0,
    KC_API_FETCH = 1,
    KC_API_LIST_OFFSETS = 2,
    KC_API_METADATA = 3,
    KC_API_OFFSET_COMMIT = 8,
    KC_API_OFFSET_FETCH = 9,
    KC_API_FIND_COORDINATOR = 10,
    KC_API_JOIN_GROUP = 11,
    KC_API_HEARTBEAT = 12,
    KC_API_LEAVE_GROUP = 13,
    KC_API_SYNC_GROUP = 14,
    KC_API_DESCRIBE_GROUPS = 15,
    KC_API_LIST_GROUPS = 16,
    KC_API_API_VERSIONS = 18,
    KC_API_CREATE_TOPICS = 19,
    KC_API_DELETE_TOPICS = 20,
    KC_API_DELETE_RECORDS = 21,
    KC_API_INIT_PRODUCER_ID = 22,
    KC_API_OFFSET_FOR_LEADER_EPOCH = 23,
    KC_API_DESCRIBE_CONFIGS = 32,
    KC_API_ALTER_CONFIGS = 33,
    KC_API_DESCRIBE_LOG_DIRS = 35,
    KC_API_CREATE_PARTITIONS = 37,
    KC_API_DELETE_GROUPS = 42,
    KC_API_INCREMENTAL_ALTER_CONFIGS = 44,
    KC_API_OFFSET_DELETE = 47,
    KC_API_DESCRIBE_CLUSTER = 60,
};

/* ======================================================================
 * Configuration
 *
 * Property names and defaults are the Java client's. Client (core):
 *   bootstrap.servers (required: "host:port,host:port"), client.id ("strait"),
 *   request.timeout.ms (30000), default.api.timeout.ms (60000),
 *   retry.backoff.ms (100), retry.backoff.max.ms (1000),
 *   reconnect.backoff.ms (50), reconnect.backoff.max.ms (1000),
 *   socket.connection.setup.timeout.ms (10000),
 *   socket.connection.setup.timeout.max.ms (30000),
 *   metadata.max.age.ms (300000), allow.auto.create.topics (true),
 *   receive.message.max.bytes (104857600, librdkafka's name: the largest
 *   response frame accepted), security.protocol (PLAINTEXT only, for now).
 * Producer:
 *   acks (all; 0, 1, -1/all), enable.idempotence (true), retries (2147483647),
 *   linger.ms (5), batch.size (16384), buffer.memory (33554432),
 *   max.block.ms (60000), compression.type (none; gzip, snappy, lz4, zstd),
 *   compression.gzip.level, compression.lz4.level, compression.zstd.level,
 *   delivery.timeout.ms (120000), max.in.flight.requests.per.connection (5),
 *   max.request.size (1048576), transactional.id (must stay unset for now),
 *   enable.gapless.guarantee (false; librdkafka's name, see below).
 * As in Java 3.x, idempotence is on by default and silently turned off when
 * acks, retries or max.in.flight conflict with it and it was not set
 * explicitly; set explicitly with a conflicting value it is an error.
 * enable.gapless.guarantee. By default (false), as in Java, a batch that
 * fails for good (a non-retriable error such as MESSAGE_TOO_LARGE or
 * INVALID_RECORD, or delivery.timeout.ms) fails alone: the idempotent
 * producer takes a new producer id and the later records of the partition
 * are still written, so the partition has a gap. With true (needs
 * enable.idempotence=true, else KC_ERR_CONFIG), once a batch of a partition
 * failed for good every later record of that partition fails with the same
 * error, "an earlier record of <topic>-<p> failed (<reason>): later records
 * are not written, to keep the partition gapless": the batches in flight
 * (the broker refuses them with OUT_OF_ORDER_SEQUENCE_NUMBER; they are not
 * retried), those queued, and those produced afterwards (kc_produce still
 * accepts them; they fail through the delivery callback), all reported in
 * order. No later batch of that partition is sent again; it stays halted
 * for the life of the producer, while the other partitions go on. A record that fails
 * before it reaches a partition (its topic missing from the metadata past
 * max.block.ms, or a topic error) halts every partition of its topic the
 * same way, since its partition may be unknown. Unlike librdkafka, which
 * makes the whole producer fatal (RD_KAFKA_RESP_ERR__GAPLESS_GUARANTEE) and
 * leaves records failing by message.timeout.ms uncovered, the halt here is
 * per partition and covers delivery.timeout.ms too.
 * Batches refused as too large. A batch of several records refused with
 * MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE is split in half and retried
 * (as Java's producer does), down to single records; only a single record
 * that is refused fails. With idempotence a broker takes any sequence from a
 * producer id it does not know yet, so a partition's first batch (per
 * producer id) is sent alone until it is acknowledged; then up to
 * max.in.flight follow, and a split batch's halves keep its place and its
 * sequence numbers.
 * linger.ms defaults to 5 as in Kafka 4.0 (KIP-1030; Java 3.x had 0). A
 * delivery.timeout.ms below linger.ms + request.timeout.ms is raised to it
 * when left at its default, an error when set explicitly (as in Java).
 * ====================================================================== */

kc_config *kc_config_new(void);                 /* NULL when out of memory */
kc_config *kc_config_dup(const kc_config *conf);
void kc_config_free(kc_config *conf);

/* Sets one property from its string form. KC_ERR_CONFIG, with a message in
 * errstr naming the key ("unknown configuration property 'lingr.ms'") or the
 * bad value ("linger.ms: 'abc' is not an integer"). errstr may be NULL. */
kc_err kc_config_set(kc_config *conf, const char *name, const char *value, char *errstr,
                     size_t errlen);
/* The current value of a property as a string (its default when unset),
 * written to buf (returned), or NULL for an unknown name. */
const char *kc_config_get(const kc_config *conf, const char *name, char *buf, size_t buflen);

/* Where the client logs (copied); the default is warnings and errors to stderr. */
void kc_config_set_logger(kc_config *conf, const st_logger *logger);

/* Client-level errors that no call reports (a broker unreachable, all
 * brokers down, a producer turned fatal). Optional. */
typedef void (*kc_error_cb)(kc_err err, const char *errstr, void *opaque);
void kc_config_set_error_cb(kc_config *conf, kc_error_cb cb, void *opaque);

/* ======================================================================
 * The client core
 * ====================================================================== */

/* Creates a client from conf (copied; conf may be freed afterwards). loop:
 * the caller's libev loop, or NULL for a private one. Nothing connects until
 * something needs a broker. NULL on error with the reason in errstr. */
kc_client *kc_client_new(const kc_config *conf, struct ev_loop *loop, char *errstr,
                         size_t errlen);
/* Closes every connection and completes every pending call with
 * KC_ERR_DESTROYED (callbacks run from inside this call). Never call it from
 * one of this client's callbacks. */
void kc_client_free(kc_client *client);

struct ev_loop *kc_client_loop(kc_client *client);
/* Runs the loop once, waiting at most timeout_ms for something to happen
 * (0 = just handle what is ready). */
void kc_client_poll(kc_client *client, int timeout_ms);
/* Blocks until the cluster answered a Metadata request (bootstrap done), or
 * timeout_ms passed: then a clear error, e.g. "no bootstrap server reachable
 * within 5000 ms: 127.0.0.1:1: Connection refused". */
kc_err kc_client_connect(kc_client *client, int timeout_ms);
/* The message of the last error a synchronous call of this client returned. */
const char *kc_client_last_error(const kc_client *client);

/* ---- Metadata cache ------------------------------------------------------
 * Refreshed every metadata.max.age.ms, whenever a response says it is stale
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE,
 * a disconnect, ...) and on demand. Topics are fetched when something asks
 * for them (only the topics in use, like the Java producer), or all of them
 * after kc_metadata_refresh(NULL). Pointers returned here stay valid until
 * the client next runs its loop. */

typedef struct kc_partition_info {
    int32_t partition;
    int32_t leader;        /* node id, -1 when there is none now */
    int32_t leader_epoch;  /* -1 when the broker does not say */
    int16_t error;         /* Kafka error code for this partition */
    int32_t replica_count;
    const int32_t *replicas;
    int32_t isr_count;
    const int32_t *isr;
} kc_partition_info;

typedef struct kc_topic_info {
    const char *name;
    st_uuid topic_id;      /* zero when the broker does not send ids */
    int16_t error;         /* e.g. KAFKA_UNKNOWN_TOPIC_OR_PARTITION */
    bool internal;
    int32_t partition_count;
    const kc_partition_info *partitions; /* indexed by partition number */
} kc_topic_info;

typedef struct kc_broker_info {
    int32_t node_id;
    const char *host;
    int32_t port;
    const char *rack;      /* NULL when unset */
} kc_broker_info;

/* The cached topic, or NULL when it was never fetched. */
const kc_topic_info *kc_metadata_topic(kc_client *client, const char *topic);
/* The brokers of the last Metadata response; *count gets their number. */
const kc_broker_info *kc_metadata_brokers(kc_client *client, size_t *count);
int32_t kc_metadata_controller(kc_client *client); /* -1 when unknown */
const char *kc_metadata_cluster_id(kc_client *client); /* NULL when unknown */

/* Fetches metadata for topics[0..n) (all topics when topics is NULL, only
 * the brokers when n is 0), merges it into the cache and then calls cb (err
 * 0, or why it failed). The topics stay of interest: later refreshes include
 * them (after a NULL list, every refresh asks for all topics). Topics are
 * auto-created when allow.auto.create.topics and the broker allow it: admin
 * clients set it to false. timeout_ms 0 = default.api.timeout.ms. */
typedef void (*kc_metadata_cb)(kc_client *client, kc_err err, const char *errstr, void *opaque);
kc_err kc_metadata_refresh(kc_client *client, const char *const *topics, size_t n,
                           int timeout_ms, kc_metadata_cb cb, void *opaque);

/* ---- Generic requests (for the consumer, the admin API, the tools) -------
 * kc_client_send() sends one request, given as the generated struct of
 * common/protocol/messages.h (e.g. kp_list_offsets_request), to a target and
 * calls cb with the decoded response struct (e.g. kp_list_offsets_response).
 *
 * - The request struct is deep-copied before kc_client_send returns: the
 *   caller may free or reuse it (and everything it points to) right away.
 * - Routing: a node id, the leader of a topic partition (metadata fetched as
 *   needed, refreshed when the leader is unknown), the controller, or any
 *   broker (the least loaded ready one). For a group or transaction
 *   coordinator, send FindCoordinator to ANY first, then to the NODE.
 * - Version: the highest version that the codec, the broker (from its
 *   ApiVersions answer) and opts [min_version, max_version] all allow. If the
 *   broker lacks the API entirely: KC_ERR_UNSUPPORTED with "<Api> is not
 *   supported by this broker (node N)"; if the ranges do not meet, the
 *   message names both ranges. resp->api_version tells which version was
 *   used: interpret version-dependent fields accordingly, or set
 *   opts->prepare to adjust the copied body once the version is known.
 * - Waiting and retries: the call waits for metadata and connections and
 *   retries connection failures (with backoff) until opts->timeout_ms. Once
 *   the request was written to a socket, a disconnect or request timeout
 *   (request.timeout.ms) ends the call with KC_ERR_TRANSPORT/TIMED_OUT,
 *   unless opts->retry_after_send (safe only for reads and other idempotent
 *   requests). Error codes inside the response body are the caller's to
 *   handle (the client does not look inside); when they say the metadata is
 *   stale, call kc_metadata_invalidate().
 * - Responses on one connection come back in request order, so requests
 *   sent to one node complete in the order they were sent.
 * Returns 0 when cb will be called (exactly once), or an error (bad api key,
 * out of memory) with cb never called. */

typedef enum kc_target_kind {
    KC_TARGET_ANY,        /* the least loaded ready broker */
    KC_TARGET_NODE,       /* node_id */
    KC_TARGET_LEADER,     /* the leader of topic/partition */
    KC_TARGET_CONTROLLER, /* the controller from Metadata */
} kc_target_kind;

typedef struct kc_target {
    kc_target_kind kind;
    int32_t node_id;      /* KC_TARGET_NODE */
    const char *topic;    /* KC_TARGET_LEADER (copied) */
    int32_t partition;    /* KC_TARGET_LEADER */
} kc_target;

static inline kc_target kc_target_any(void)
{
    return (kc_target){KC_TARGET_ANY, -1, NULL, -1};
}
static inline kc_target kc_target_node(int32_t node_id)
{
    return (kc_target){KC_TARGET_NODE, node_id, NULL, -1};
}
static inline kc_target kc_target_leader(const char *topic, int32_t partition)
{
    return (kc_target){KC_TARGET_LEADER, -1, topic, partition};
}
static inline kc_target kc_target_controller(void)
{
    return (kc_target){KC_TARGET_CONTROLLER, -1, NULL, -1};
}

/* Called with the copied request body and the chosen version just before it
 * is encoded (e.g. to fill topic ids instead of names at high versions).
 * Allocate anything new from arena (it lives as long as the call). */
typedef void (*kc_prepare_fn)(void *request, int16_t version, st_arena *arena, void *opaque);

typedef struct kc_request_opts {
    int16_t min_version;   /* lowest version the caller can use (0) */
    int16_t max_version;   /* highest; -1 = the newest the codec knows */
    int32_t timeout_ms;    /* for the whole call; 0 = default.api.timeout.ms */
    int32_t request_timeout_ms; /* per attempt, from the write to the response;
                                 * 0 = request.timeout.ms (JoinGroup needs
                                 * more: its rebalance timeout + 5 s) */
    bool retry_after_send; /* resend after a disconnect/timeout (idempotent requests only) */
    kc_prepare_fn prepare; /* optional, see above */
    void *prepare_opaque;
} kc_request_opts;

#define KC_REQUEST_OPTS_DEFAULT ((kc_request_opts){0, -1, 0, 0, false, NULL, NULL})

typedef struct kc_response {
    kc_err err;           /* KC_OK: body holds the decoded response */
    const char *errstr;   /* why err != 0 ("" when ok) */
    int16_t api_key;
    int16_t api_version;  /* the version used (-1 when nothing was sent) */
    int32_t node_id;      /* the broker that answered or was tried last (-1: none) */
    const void *body;     /* the response struct; NULL unless err == KC_OK */
} kc_response;

/* resp and everything it points to are valid only during the callback. */
typedef void (*kc_response_cb)(kc_client *client, const kc_response *resp, void *opaque);

kc_err kc_client_send(kc_client *client, kc_target target, int16_t api_key,
                      const void *request, const kc_request_opts *opts, kc_response_cb cb,
                      void *opaque);

/* Marks the cached metadata stale: a refresh starts soon (rate-limited by
 * retry.backoff.ms). Call it on NOT_LEADER_OR_FOLLOWER and friends. */
void kc_metadata_invalidate(kc_client *client);

/* The version range a broker advertised for api_key (false when the node
 * is not connected yet or lacks the API). */
bool kc_client_broker_versions(kc_client *client, int32_t node_id, int16_t api_key,
                               int16_t *min_version, int16_t *max_version);

/* ======================================================================
 * The producer
 * ====================================================================== */

#define KC_PARTITION_ANY (-1)   /* let the partitioner choose */
#define KC_TIMESTAMP_NOW (-1)   /* stamp the record with the current time */

typedef struct kc_header {
    const char *key;      /* NUL-terminated, never NULL */
    const void *value;    /* NULL = a null value */
    size_t value_len;
} kc_header;

/* The compression of one record's batch (kc_record.compression). The
 * zero value, KC_COMPRESSION_PRODUCER, means the producer's
 * compression.type; the others are Kafka's codec ids + 1 (see
 * kc_compression_from_codec), chosen per record, e.g. by a mirror that
 * keeps each source batch's codec. */
#define KC_COMPRESSION_PRODUCER 0 /* the producer's compression.type */
#define KC_COMPRESSION_NONE 1
#define KC_COMPRESSION_GZIP 2
#define KC_COMPRESSION_SNAPPY 3
#define KC_COMPRESSION_LZ4 4
#define KC_COMPRESSION_ZSTD 5

/* The KC_COMPRESSION_* value for a Kafka codec id (0 none, 1 gzip, 2
 * snappy, 3 lz4, 4 zstd: kc_message.compression). */
static inline int kc_compression_from_codec(int codec_id)
{
    return codec_id + 1;
}

/* One record to produce. Everything is copied by kc_produce(). */
typedef struct kc_record {
    const char *topic;
    int32_t partition;      /* KC_PARTITION_ANY, or an explicit partition */
    const void *key;        /* NULL = null key (sticky partitioning) */
    size_t key_len;
    const void *value;      /* NULL = null value (a tombstone) */
    size_t value_len;
    const kc_header *headers;
    size_t header_count;
    int64_t timestamp;      /* ms since the epoch, or KC_TIMESTAMP_NOW */
    /* KC_COMPRESSION_PRODUCER (0: compression.type), or KC_COMPRESSION_NONE
     * .. _ZSTD for this record's batch; anything else is KC_ERR_INVALID_ARG.
     * A batch holds records of one codec: within a partition, a record whose
     * codec differs from the open batch's closes that batch and starts a new
     * one (order and idempotence sequences are unaffected; the sticky
     * partitioner stays on its partition). The codec's level is the
     * producer's compression.<codec>.level. */
    int compression;
} kc_record;

/* The outcome of one record. */
typedef struct kc_delivery {
    kc_err err;             /* 0 = written */
    const char *errstr;     /* why not ("" when err == 0) */
    const char *topic;
    int32_t partition;      /* -1 when no partition was chosen */
    int64_t offset;         /* -1 when unknown (error, or acks=0) */
    int64_t timestamp;      /* the record's timestamp (LogAppendTime when the topic uses it) */
    void *opaque;           /* what was passed to kc_produce() */
} kc_delivery;

typedef void (*kc_delivery_cb)(const kc_delivery *delivery, void *cb_opaque);
/* The delivery callback every record reports through (optional). */
void kc_config_set_delivery_cb(kc_config *conf, kc_delivery_cb cb, void *cb_opaque);

/* Creates a producer (with its own kc_client) from conf; loop as for
 * kc_client_new. NULL on error, with the reason in errstr. */
kc_producer *kc_producer_new(const kc_config *conf, struct ev_loop *loop, char *errstr,
                             size_t errlen);
/* Fails every unfinished record with KC_ERR_DESTROYED (callbacks run from
 * inside) and frees everything. To deliver first, call kc_producer_close. */
void kc_producer_free(kc_producer *p);
/* Flushes (at most timeout_ms), then frees. KC_ERR_TIMED_OUT when records
 * were still unfinished (they were failed with KC_ERR_DESTROYED). */
kc_err kc_producer_close(kc_producer *p, int timeout_ms);

/* The core client underneath (metadata, generic requests, last error). */
kc_client *kc_producer_client(kc_producer *p);

/* Queues one record; its outcome comes later through the delivery callback
 * with this opaque. Errors returned here mean the record was not queued (no
 * callback): KC_ERR_INVALID_ARG, KC_ERR_RECORD_TOO_LARGE,
 * KAFKA_UNKNOWN_TOPIC_OR_PARTITION (an explicit partition the cached
 * metadata says does not exist), KC_ERR_QUEUE_FULL (buffer.memory used up:
 * with an owned loop it first waits up to max.block.ms, serving deliveries
 * meanwhile; never waits with an external loop, with max.block.ms=0 or
 * inside a callback), KC_ERR_FATAL. A topic not in the metadata yet is
 * fetched (and auto-created when the broker allows); its records wait,
 * queued in order, at most max.block.ms for it, then fail with
 * KAFKA_UNKNOWN_TOPIC_OR_PARTITION ("Topic t not present in metadata after
 * N ms", as in Java; with max.block.ms=0 that is at once: fetch the topic
 * with kc_metadata_refresh() first).
 *
 * Partitioning: an explicit partition is used as is; a key goes to
 * toPositive(murmur2(key)) % partitions, exactly as the Java client;
 * records without a key stick to one partition (among those with a leader)
 * until its batch is closed, then move to another one at random (KIP-480,
 * Java 2.4-3.2's sticky partitioner; Java 3.3+'s adaptive variant is not
 * implemented). Record order is kept per partition, also across retries
 * (idempotence: sequence numbers; with enable.idempotence=false and more
 * than one request in flight a retry may reorder, as in Java). */
kc_err kc_produce(kc_producer *p, const kc_record *rec, void *opaque);

/* Owned loop: runs it for at most timeout_ms, serving delivery callbacks.
 * Call it regularly (like librdkafka's rd_kafka_poll): with an owned loop
 * the client only works inside calls — kc_produce pushes full batches (and
 * batches whose linger.ms passed) out itself, but responses, retries and
 * reports need the loop to run. Returns the number of delivery callbacks
 * served. With an external loop, callbacks are served by
 * that loop and this just runs it once. */
int kc_producer_poll(kc_producer *p, int timeout_ms);

/* Sends everything queued at once (ignoring linger.ms) and waits until every
 * record has been acknowledged or failed and its callback served, for at
 * most timeout_ms (-1 = no limit). KC_ERR_TIMED_OUT when records remain. */
kc_err kc_producer_flush(kc_producer *p, int timeout_ms);

/* Records produced but not yet reported through the delivery callback. */
size_t kc_producer_outstanding(const kc_producer *p);

/* ======================================================================
 * Partitioning (Java-compatible, for tools and tests)
 * ====================================================================== */

/* Kafka's Utils.murmur2 (seed 0x9747b28c), as a Java int. */
int32_t kc_murmur2(const void *data, size_t len);
/* Java's default partition for a non-null key: toPositive(murmur2(key)) % n. */
int32_t kc_partition_for_key(const void *key, size_t len, int32_t partition_count);

/* ======================================================================
 * Admin API  (common/client_admin*.c)
 *
 * Blocking calls on any kc_client (one made with kc_client_new, or the one
 * under a producer): each sends what it needs through kc_client_send and
 * runs the client's loop until every answer is in or timeout_ms passed
 * (0 = default.api.timeout.ms). They may not be called from inside a
 * callback of the same client (KC_ERR_STATE). Against a broker that lacks
 * an API a call fails promptly with KC_ERR_UNSUPPORTED and the message
 * "<Api> is not supported by this broker (node N)".
 *
 * Errors. Calls about several items (topics, groups, partitions) report
 * one error per item; the return value is then the first item error (or
 * KC_OK when every item succeeded) and kc_client_last_error() names the
 * item and says why. A failure of the whole call (unreachable cluster,
 * unsupported API, timeout) is copied into every item.
 *
 * Memory. Results that carry strings or variable-length lists are
 * allocated from the caller's st_arena and live until the caller frees or
 * resets it. Calls whose items have fixed-size results fill them in place
 * in the caller's array (kc_list_offset, kc_delete_records, ...).
 *
 * A client used for administration should set allow.auto.create.topics to
 * false, or partition-level calls on a missing topic may create it.
 * ====================================================================== */

/* The outcome for one named item (a topic, a group, a config resource). */
typedef struct kc_admin_result {
    const char *name;
    kc_err err;              /* 0, a Kafka error code or a KC_ERR_* */
    const char *message;     /* the broker's message, else a generated one; "" when ok */
} kc_admin_result;

typedef struct kc_topic_partition {
    const char *topic;
    int32_t partition;
} kc_topic_partition;

typedef struct kc_config_pair {
    const char *name;
    const char *value;
} kc_config_pair;

/* ---- Topics ---------------------------------------------------------------- */

typedef struct kc_new_topic {
    const char *name;
    int32_t partitions;           /* -1 = the broker's num.partitions */
    int16_t replication_factor;   /* -1 = the broker's default.replication.factor */
    const kc_config_pair *configs;
    size_t config_count;
} kc_new_topic;

/* CreateTopics (to the controller). *results gets n items, in order. */
kc_err kc_admin_create_topics(kc_client *client, const kc_new_topic *topics, size_t n,
                              bool validate_only, int timeout_ms, st_arena *arena,
                              kc_admin_result **results);
/* DeleteTopics by name (to the controller). */
kc_err kc_admin_delete_topics(kc_client *client, const char *const *names, size_t n,
                              int timeout_ms, st_arena *arena, kc_admin_result **results);

typedef struct kc_new_partitions {
    const char *topic;
    int32_t total_count;          /* the partition count wanted (more than now) */
} kc_new_partitions;

/* CreatePartitions (to the controller). */
kc_err kc_admin_create_partitions(kc_client *client, const kc_new_partitions *topics, size_t n,
                                  bool validate_only, int timeout_ms, st_arena *arena,
                                  kc_admin_result **results);

typedef struct kc_partition_desc {
    int32_t partition;
    int32_t leader;               /* -1 when there is none */
    int32_t leader_epoch;         /* -1 when unknown */
    kc_err err;                   /* the partition's error code from Metadata */
    const int32_t *replicas;
    int32_t replica_count;
    const int32_t *isr;
    int32_t isr_count;
    const int32_t *offline;
    int32_t offline_count;
} kc_partition_desc;

typedef struct kc_topic_desc {
    const char *name;
    st_uuid topic_id;             /* zero when the broker sends none */
    bool internal;
    kc_err err;                   /* KAFKA_UNKNOWN_TOPIC_OR_PARTITION for a missing topic */
    int32_t partition_count;
    const kc_partition_desc *partitions; /* sorted by partition number */
} kc_topic_desc;

/* Metadata for names[0..n) (never auto-creating), or for every topic of the
 * cluster when names is NULL (then sorted by name). A missing topic is an
 * item with err KAFKA_UNKNOWN_TOPIC_OR_PARTITION (and is the return value). */
kc_err kc_admin_describe_topics(kc_client *client, const char *const *names, size_t n,
                                int timeout_ms, st_arena *arena, kc_topic_desc **topics,
                                size_t *count);

/* ---- Cluster --------------------------------------------------------------------- */

typedef struct kc_cluster_desc {
    const char *cluster_id;       /* NULL when unknown */
    int32_t controller;           /* -1 when unknown */
    const kc_broker_info *brokers; /* sorted by node id */
    size_t broker_count;
} kc_cluster_desc;

/* DescribeCluster, or Metadata where the broker lacks it. */
kc_err kc_admin_describe_cluster(kc_client *client, int timeout_ms, st_arena *arena,
                                 kc_cluster_desc *out);

/* ---- Configs ------------------------------------------------------------------------ */

/* Config resource types (Kafka's numbers). */
enum {
    KC_RESOURCE_TOPIC = 2,
    KC_RESOURCE_BROKER = 4,
    KC_RESOURCE_BROKER_LOGGER = 8,
};

/* Where a config value comes from (Kafka's DescribeConfigs numbers). */
enum {
    KC_CONFIG_SOURCE_UNKNOWN = 0,
    KC_CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
    KC_CONFIG_SOURCE_DYNAMIC_BROKER = 2,
    KC_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER = 3,
    KC_CONFIG_SOURCE_STATIC_BROKER = 4,
    KC_CONFIG_SOURCE_DEFAULT = 5,
    KC_CONFIG_SOURCE_DYNAMIC_BROKER_LOGGER = 6,
};
/* Kafka's name of a source: "DYNAMIC_TOPIC_CONFIG", "DEFAULT_CONFIG", ... */
const char *kc_config_source_name(int source);

typedef struct kc_config_synonym {
    const char *name;
    const char *value;            /* NULL for a sensitive or null value */
    int8_t source;
} kc_config_synonym;

typedef struct kc_config_entry {
    const char *name;
    const char *value;            /* NULL for a sensitive or null value */
    int8_t source;                /* KC_CONFIG_SOURCE_* */
    bool read_only;
    bool is_default;
    bool is_sensitive;
    const kc_config_synonym *synonyms;
    size_t synonym_count;
} kc_config_entry;

typedef struct kc_config_resource {
    int8_t type;                  /* KC_RESOURCE_* */
    const char *name;             /* topic name, broker id ("" = cluster default) */
    kc_err err;
    const char *message;
    const kc_config_entry *entries; /* sorted by name */
    size_t entry_count;
} kc_config_resource;

typedef struct kc_resource {
    int8_t type;
    const char *name;
} kc_resource;

/* DescribeConfigs: every config of each resource (broker resources go to
 * that broker). *out gets n items, in order. */
kc_err kc_admin_describe_configs(kc_client *client, const kc_resource *resources, size_t n,
                                 bool include_synonyms, int timeout_ms, st_arena *arena,
                                 kc_config_resource **out);

enum {
    KC_CONFIG_OP_SET = 0,
    KC_CONFIG_OP_DELETE = 1,
    KC_CONFIG_OP_APPEND = 2,
    KC_CONFIG_OP_SUBTRACT = 3,
};

typedef struct kc_config_op {
    const char *name;
    int8_t op;                    /* KC_CONFIG_OP_* */
    const char *value;            /* NULL for DELETE */
} kc_config_op;

typedef struct kc_alter_resource {
    int8_t type;
    const char *name;
    const kc_config_op *ops;
    size_t op_count;
} kc_alter_resource;

/* IncrementalAlterConfigs: applies each resource's ops. */
kc_err kc_admin_incremental_alter_configs(kc_client *client, const kc_alter_resource *resources,
                                          size_t n, bool validate_only, int timeout_ms,
                                          st_arena *arena, kc_admin_result **results);
/* The legacy AlterConfigs: REPLACES each resource's whole dynamic config
 * with its SET ops (any other op is KC_ERR_INVALID_ARG). */
kc_err kc_admin_alter_configs(kc_client *client, const kc_alter_resource *resources, size_t n,
                              bool validate_only, int timeout_ms, st_arena *arena,
                              kc_admin_result **results);

/* ---- Groups -------------------------------------------------------------------------- */

typedef struct kc_group_listing {
    const char *group_id;
    const char *protocol_type;    /* "consumer" for consumer groups, "" for offsets-only */
    const char *state;            /* "Stable", "Empty", ...; "" when the broker does not say */
    int32_t coordinator;          /* the broker that listed it */
} kc_group_listing;

/* ListGroups on every broker, merged and sorted by id. states (optional)
 * filters by state ("Stable", "Empty", ... case-insensitive). */
kc_err kc_admin_list_groups(kc_client *client, const char *const *states, size_t state_count,
                            int timeout_ms, st_arena *arena, kc_group_listing **groups,
                            size_t *count);

typedef struct kc_group_member {
    const char *member_id;
    const char *group_instance_id; /* NULL unless static membership */
    const char *client_id;
    const char *client_host;
    /* The member's assignment, decoded from the consumer protocol (empty
     * for other protocol types or while the group rebalances). */
    const kc_topic_partition *assignment;
    size_t assignment_count;
} kc_group_member;

typedef struct kc_group_desc {
    const char *group_id;
    kc_err err;                   /* e.g. KAFKA_GROUP_ID_NOT_FOUND */
    const char *message;
    const char *state;            /* "Stable", "Empty", "Dead", "PreparingRebalance", ... */
    const char *protocol_type;
    const char *protocol;         /* the assignor in use ("range", ...), "" when none */
    int32_t coordinator;
    const char *coordinator_host;
    int32_t coordinator_port;
    const kc_group_member *members;
    size_t member_count;
} kc_group_desc;

/* FindCoordinator then DescribeGroups for each group. A group the
 * coordinator does not know is described as state "Dead" with no members
 * (Kafka's answer), err stays 0. *out gets n items, in order. */
kc_err kc_admin_describe_groups(kc_client *client, const char *const *group_ids, size_t n,
                                int timeout_ms, st_arena *arena, kc_group_desc **out);
/* DeleteGroups (only groups without active members can be deleted). */
kc_err kc_admin_delete_groups(kc_client *client, const char *const *group_ids, size_t n,
                              int timeout_ms, st_arena *arena, kc_admin_result **results);

typedef struct kc_group_offset {
    const char *topic;
    int32_t partition;
    int64_t offset;               /* -1 = none committed */
    int32_t leader_epoch;         /* -1 = unknown */
    const char *metadata;         /* NULL = none */
    kc_err err;                   /* filled by the calls below */
} kc_group_offset;

/* OffsetFetch: the committed offsets of group for partitions[0..n), or all
 * its committed offsets when partitions is NULL (sorted by topic and
 * partition; partitions without a committed offset are left out). */
kc_err kc_admin_list_group_offsets(kc_client *client, const char *group,
                                   const kc_topic_partition *partitions, size_t n,
                                   int timeout_ms, st_arena *arena, kc_group_offset **offsets,
                                   size_t *count);
/* OffsetCommit with generation -1 and no member id: sets offsets[i].offset
 * (with leader_epoch and metadata) for each partition and fills
 * offsets[i].err. The coordinator accepts this only while the group has no
 * active members (else e.g. KAFKA_UNKNOWN_MEMBER_ID / REBALANCE_IN_PROGRESS). */
kc_err kc_admin_alter_group_offsets(kc_client *client, const char *group,
                                    kc_group_offset *offsets, size_t n, int timeout_ms);
/* OffsetDelete: forgets the committed offsets of partitions[0..n); errs[i]
 * (caller's array of n, may be NULL) gets each partition's result. The
 * return value may also be a group-level error (KAFKA_GROUP_ID_NOT_FOUND,
 * KAFKA_NON_EMPTY_GROUP, ...). */
kc_err kc_admin_delete_group_offsets(kc_client *client, const char *group,
                                     const kc_topic_partition *partitions, size_t n,
                                     int timeout_ms, kc_err *errs);

/* ---- Partition offsets ---------------------------------------------------------------- */

#define KC_OFFSET_SPEC_LATEST (-1LL)        /* the log end offset (high watermark / LSO) */
#define KC_OFFSET_SPEC_EARLIEST (-2LL)      /* the log start offset */
#define KC_OFFSET_SPEC_MAX_TIMESTAMP (-3LL) /* the record with the largest timestamp */

/* One ListOffsets query: in topic/partition/spec; out err/offset/timestamp. */
typedef struct kc_list_offset {
    const char *topic;
    int32_t partition;
    int64_t spec;                 /* KC_OFFSET_SPEC_*, or a timestamp in ms */
    kc_err err;
    int64_t offset;               /* -1 when there is none (a timestamp past the end) */
    int64_t timestamp;            /* of the record found, -1 when unknown */
    int32_t leader_epoch;
} kc_list_offset;

/* ListOffsets to each partition's leader. isolation_level: 0 =
 * read_uncommitted (LATEST = high watermark), 1 = read_committed (LATEST =
 * last stable offset). Leader changes are followed until timeout_ms. */
kc_err kc_admin_list_offsets(kc_client *client, kc_list_offset *queries, size_t n,
                             int8_t isolation_level, int timeout_ms);

typedef struct kc_delete_records {
    const char *topic;
    int32_t partition;
    int64_t before_offset;        /* delete records below this; -1 = the high watermark */
    kc_err err;
    int64_t low_watermark;        /* the new log start offset */
} kc_delete_records;

/* DeleteRecords to each partition's leader. */
kc_err kc_admin_delete_records(kc_client *client, kc_delete_records *items, size_t n,
                               int timeout_ms);

/* ======================================================================
 * End of the admin API
 * ====================================================================== */

/* ======================================================================
 * The consumer  (common/client_consumer*.c, client_group*.c,
 * client_assignor*.c, client_fetcher*.c)
 *
 * A Java-compatible consumer: assign (explicit partitions and offsets) or
 * subscribe (topic names and regular expressions, in one group with Kafka's
 * classic group protocol), fetch, poll one record or a batch, commit
 * (automatically, or by hand, sync or async), seek, pause/resume, close.
 *
 * Configuration. A kc_consumer_config holds the client properties (as
 * kc_config above: bootstrap.servers, client.id, ...) plus the consumer's,
 * all set through kc_consumer_config_set with Java's names and defaults:
 *   group.id (unset: no group; assign() only, no commits),
 *   group.instance.id (unset: dynamic membership; set: static membership),
 *   session.timeout.ms (45000), heartbeat.interval.ms (3000),
 *   max.poll.interval.ms (300000: also the rebalance timeout),
 *   partition.assignment.strategy ("range,cooperative-sticky"; any of range,
 *     roundrobin, cooperative-sticky, comma-separated in order of
 *     preference; Java's class names are accepted too). The rebalance
 *     protocol is cooperative when every listed assignor is cooperative,
 *     else eager, as in Java,
 *   auto.offset.reset (latest; earliest, latest, none — librdkafka's
 *     smallest/beginning, largest/end and error are accepted),
 *   enable.auto.commit (true), auto.commit.interval.ms (5000),
 *   fetch.min.bytes (1), fetch.max.wait.ms (500),
 *   max.partition.fetch.bytes (1048576), fetch.max.bytes (52428800),
 *   isolation.level (read_uncommitted; read_committed),
 *   max.poll.records (500: the most kc_consumer_poll_batch returns),
 *   check.crcs (true), client.rack (""), exclude.internal.topics (true),
 *   group.protocol (classic; the only one supported).
 *
 * Progress. As with Java's KafkaConsumer, rebalances (revoking, applying a
 * new assignment) and the callbacks happen inside kc_consumer_poll (and
 * commit/close): call it regularly, at least every max.poll.interval.ms. Heartbeats, fetches and
 * commits run whenever the client's loop runs: with an owned loop that is
 * only inside the blocking calls, so with an owned loop poll at least every
 * session.timeout.ms as well, or the group drops the member.
 *
 * Callbacks (rebalance, commit) run only from inside kc_consumer_poll,
 * kc_consumer_poll_batch, kc_consumer_commit_sync and kc_consumer_close:
 * they may call any consumer function, including kc_consumer_commit_sync,
 * but not kc_consumer_close/free. With an external loop, the ready callback
 * (called from the loop) says that poll has something to return (records,
 * an error, a rebalance to run); call kc_consumer_poll(c, 0) from it until
 * it returns NULL. Callbacks that poll(c, 0) runs from inside the loop may
 * not block: there kc_consumer_commit_sync/committed answer KC_ERR_STATE
 * (use kc_consumer_commit_async), and the automatic commit before a
 * revocation is sent asynchronously.
 * ====================================================================== */

typedef struct kc_consumer kc_consumer;
typedef struct kc_consumer_config kc_consumer_config;

/* Special offsets (librdkafka's values). */
#define KC_OFFSET_BEGINNING (-2LL) /* the log start offset */
#define KC_OFFSET_END (-1LL)       /* the log end offset (high watermark, or LSO) */
#define KC_OFFSET_STORED (-1000LL) /* the committed offset, else auto.offset.reset */
#define KC_OFFSET_INVALID (-1001LL) /* none / unknown */

/* Consumer-specific errors. */
enum {
    KC_ERR_NO_OFFSET = -150, /* no committed offset and auto.offset.reset=none */
};

/* ---- Partition lists (assign, commit, committed, rebalance callbacks) ---- */

typedef struct kc_partition_offset {
    char *topic;           /* owned by the list */
    int32_t partition;
    int64_t offset;        /* an offset, or KC_OFFSET_*; KC_OFFSET_INVALID when added */
    int32_t leader_epoch;  /* -1 when unknown */
    char *metadata;        /* commit metadata (owned; NULL = none) */
    kc_err err;            /* the per-partition outcome of a call */
} kc_partition_offset;

typedef struct kc_partition_list {
    kc_partition_offset *items;
    size_t count;
    size_t cap;
} kc_partition_list;

kc_partition_list *kc_partition_list_new(size_t initial_cap); /* NULL when out of memory */
void kc_partition_list_free(kc_partition_list *list);
kc_partition_list *kc_partition_list_copy(const kc_partition_list *list);
/* Appends (topic copied); NULL when out of memory. Duplicates are allowed. */
kc_partition_offset *kc_partition_list_add(kc_partition_list *list, const char *topic,
                                           int32_t partition);
kc_partition_offset *kc_partition_list_find(const kc_partition_list *list, const char *topic,
                                            int32_t partition);
/* Sets metadata (copied; NULL clears). KC_ERR_NOMEM on failure. */
kc_err kc_partition_offset_set_metadata(kc_partition_offset *p, const char *metadata);
/* Sorts by topic, then partition. */
void kc_partition_list_sort(kc_partition_list *list);

/* ---- Records --------------------------------------------------------------- */

#define KC_TIMESTAMP_CREATE_TIME 0
#define KC_TIMESTAMP_LOG_APPEND_TIME 1

/* One record, or an error event (err != 0: then errstr says what, and topic
 * and partition name the partition when there is one, else NULL/-1).
 * Everything it points to belongs to the consumer and stays valid until the
 * next kc_consumer_poll/poll_batch/close/free on it. */
typedef struct kc_message {
    kc_err err;
    const char *errstr;        /* "" for records */
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;         /* ms since the epoch */
    int timestamp_type;        /* KC_TIMESTAMP_CREATE_TIME or _LOG_APPEND_TIME */
    int32_t leader_epoch;      /* of the batch, -1 when unknown */
    const void *key;           /* NULL = null key; not NUL-terminated (key_len) */
    size_t key_len;
    const void *value;         /* NULL = null value; not NUL-terminated (value_len) */
    size_t value_len;
    const kc_header *headers;  /* keys NUL-terminated, values not (value_len) */
    size_t header_count;
    int compression;           /* the codec of the record's batch on the wire: Kafka's
                                * ids, 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd (0
                                * for error events); kc_compression_from_codec()
                                * turns it into a kc_record.compression */
} kc_message;

/* ---- Callbacks ----------------------------------------------------------------- */

typedef enum kc_rebalance_event {
    KC_REBALANCE_ASSIGNED, /* partitions added to the assignment (fetching follows) */
    KC_REBALANCE_REVOKED,  /* partitions about to be taken away: commit now if needed */
    KC_REBALANCE_LOST,     /* partitions already owned by others (membership lost):
                            * committing them would fail */
} kc_rebalance_event;

/* Java's ConsumerRebalanceListener: the consumer applies the change itself
 * (the callback needs not call assign). Eager protocol: REVOKED lists the
 * whole assignment before every rejoin, ASSIGNED the whole new one.
 * Cooperative protocol: only the partitions that move. */
typedef void (*kc_rebalance_cb)(kc_consumer *c, kc_rebalance_event event,
                                const kc_partition_list *partitions, void *opaque);
/* The outcome of a commit: err is the first error (0 = all committed);
 * offsets has each partition's err. */
typedef void (*kc_commit_cb)(kc_consumer *c, kc_err err, const kc_partition_list *offsets,
                             void *opaque);
/* External loop only: poll has something to return (records, an error, a
 * rebalance to run). Called from the loop. */
typedef void (*kc_ready_cb)(kc_consumer *c, void *opaque);

/* ---- Configuration ----------------------------------------------------------- */

kc_consumer_config *kc_consumer_config_new(void); /* NULL when out of memory */
kc_consumer_config *kc_consumer_config_dup(const kc_consumer_config *conf);
void kc_consumer_config_free(kc_consumer_config *conf);
/* A consumer property, or else a client property (passed to kc_config_set:
 * unknown names are an error naming them). */
kc_err kc_consumer_config_set(kc_consumer_config *conf, const char *name, const char *value,
                              char *errstr, size_t errlen);
const char *kc_consumer_config_get(const kc_consumer_config *conf, const char *name, char *buf,
                                   size_t buflen);
/* The client part, for kc_config_set_logger / kc_config_set_error_cb. */
kc_config *kc_consumer_config_client(kc_consumer_config *conf);
void kc_consumer_config_set_rebalance_cb(kc_consumer_config *conf, kc_rebalance_cb cb,
                                         void *opaque);
/* For auto commits and for async commits made without their own callback. */
void kc_consumer_config_set_commit_cb(kc_consumer_config *conf, kc_commit_cb cb, void *opaque);
void kc_consumer_config_set_ready_cb(kc_consumer_config *conf, kc_ready_cb cb, void *opaque);

/* ---- Life cycle ---------------------------------------------------------------- */

/* Creates a consumer (with its own kc_client); loop as for kc_client_new.
 * NULL on error, with the reason in errstr. */
kc_consumer *kc_consumer_new(const kc_consumer_config *conf, struct ev_loop *loop,
                             char *errstr, size_t errlen);
/* Java's close(): commits the positions (enable.auto.commit), runs the
 * REVOKED callback (LOST when the membership is gone), leaves the group
 * (unless static: group.instance.id set), then frees everything. Waits at
 * most timeout_ms (-1: default.api.timeout.ms). Returns the first error. */
kc_err kc_consumer_close(kc_consumer *c, int timeout_ms);
/* Frees at once: no commit, no LeaveGroup, no callbacks. */
void kc_consumer_free(kc_consumer *c);
kc_client *kc_consumer_client(kc_consumer *c);

/* ---- Subscribe / assign ------------------------------------------------------------ */

/* Replaces the subscription (and drops a manual assignment). A name that
 * starts with '^' is a POSIX extended regular expression matched against
 * every topic of the cluster (re-evaluated on each metadata refresh,
 * metadata.max.age.ms); internal topics are left out unless
 * exclude.internal.topics=false. Needs group.id. */
kc_err kc_consumer_subscribe(kc_consumer *c, const char *const *topics, size_t n);
/* Leaves the group (after REVOKED) and drops the subscription. */
kc_err kc_consumer_unsubscribe(kc_consumer *c);
/* Manual assignment (drops a subscription): consumes exactly these
 * partitions, each from its offset: an offset, KC_OFFSET_BEGINNING,
 * KC_OFFSET_END, or KC_OFFSET_STORED/INVALID (the committed offset, else
 * auto.offset.reset). NULL or empty unassigns. */
kc_err kc_consumer_assign(kc_consumer *c, const kc_partition_list *partitions);
/* The current assignment (a new list the caller frees), offsets set to the
 * positions (KC_OFFSET_INVALID where not known yet). */
kc_err kc_consumer_assignment(kc_consumer *c, kc_partition_list **out);

/* ---- Consuming ------------------------------------------------------------------------ */

/* Runs the consumer for at most timeout_ms and returns the next record or
 * error event, or NULL when there is none (timeout_ms 0: only what is
 * ready). Errors: KC_ERR_NO_OFFSET / KAFKA_OFFSET_OUT_OF_RANGE with
 * auto.offset.reset=none (the partition waits for a seek), KC_ERR_FATAL
 * (e.g. FENCED_INSTANCE_ID: every later poll returns it too), a Kafka code
 * for a failed fetch or join, KC_ERR_BAD_RESPONSE for a corrupt batch. */
const kc_message *kc_consumer_poll(kc_consumer *c, int timeout_ms);
/* Up to max (and max.poll.records) messages into out[]; returns the count.
 * Waits at most timeout_ms for the first one. */
size_t kc_consumer_poll_batch(kc_consumer *c, int timeout_ms, const kc_message **out,
                              size_t max);

/* ---- Positions -------------------------------------------------------------------------- */

/* Moves an assigned partition's position: an offset, KC_OFFSET_BEGINNING or
 * KC_OFFSET_END. Buffered records are dropped. */
kc_err kc_consumer_seek(kc_consumer *c, const char *topic, int32_t partition, int64_t offset);
/* The offset of the next record poll returns for the partition, or
 * KC_OFFSET_INVALID when it is not assigned or not known yet. */
int64_t kc_consumer_position(kc_consumer *c, const char *topic, int32_t partition);
/* Stops (resumes) fetching and returning records of these assigned
 * partitions; a paused partition stays paused across cooperative
 * rebalances that keep it. */
kc_err kc_consumer_pause(kc_consumer *c, const kc_partition_list *partitions);
kc_err kc_consumer_resume(kc_consumer *c, const kc_partition_list *partitions);

/* ---- Commits ------------------------------------------------------------------------------- */

/* Commits offsets (NULL: every assigned partition's position) and waits for
 * the answer, retrying retriable errors, for at most timeout_ms (-1:
 * default.api.timeout.ms). Needs group.id. Within a group the commit carries
 * the generation: during a rebalance it fails with
 * KAFKA_REBALANCE_IN_PROGRESS, after losing the membership with
 * KAFKA_ILLEGAL_GENERATION / KAFKA_UNKNOWN_MEMBER_ID (Java's
 * CommitFailedException). Per-partition errors land in offsets' err. */
kc_err kc_consumer_commit_sync(kc_consumer *c, kc_partition_list *offsets, int timeout_ms);
/* The same without waiting: cb (or the config's commit callback, or none)
 * reports the outcome from a later poll. Never retried once sent (a later
 * commit may have overtaken it). */
kc_err kc_consumer_commit_async(kc_consumer *c, const kc_partition_list *offsets,
                                kc_commit_cb cb, void *opaque);
/* Looks up the committed offsets of the listed partitions (any partitions,
 * assigned or not): fills each offset (KC_OFFSET_INVALID when none),
 * metadata and err. Waits at most timeout_ms (-1: default.api.timeout.ms). */
kc_err kc_consumer_committed(kc_consumer *c, kc_partition_list *partitions, int timeout_ms);

/* ---- Group state (for tools and tests) ------------------------------------------------------ */

/* The member id ("" before the first JoinGroup) and generation (-1 when not
 * in a generation). */
const char *kc_consumer_member_id(const kc_consumer *c);
int32_t kc_consumer_generation(const kc_consumer *c);
/* The assignor the group chose ("" until then). */
const char *kc_consumer_assignor(const kc_consumer *c);

/* ======================================================================
 * End of the consumer
 * ====================================================================== */

#endif
