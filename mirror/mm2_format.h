/* mm2_format.h — MirrorMaker 2's Heartbeat and Checkpoint record formats.
 *
 * Owns: the bytes of the records MM2 writes to `heartbeats` and to
 * `<source alias>.checkpoints.internal`, so that tooling written for MM2
 * (RemoteClusterUtils, MirrorClient, dashboards) can read what strait-mirror
 * writes, and so our tools can read what MM2 wrote. Knows nothing of Kafka
 * connections or of the mirror's state.
 *
 * The layout is Kafka's protocol Struct serialisation (the same primitives
 * as the wire protocol): STRING = int16 length (big-endian) + UTF-8 bytes,
 * never null; INT16/INT32/INT64 big-endian. Keys are the bare struct; values
 * start with a version header (int16, 0 for every format here):
 *
 *   heartbeat key:    sourceClusterAlias STRING, targetClusterAlias STRING
 *   heartbeat value:  version INT16 = 0, timestamp INT64 (ms since epoch)
 *   checkpoint key:   group STRING, topic STRING, partition INT32
 *   checkpoint value: version INT16 = 0, upstreamOffset INT64,
 *                     offset INT64 (downstream), metadata STRING
 *
 * The checkpoint key's topic is the TARGET-side topic name (after renaming,
 * "east.orders" with prefix naming): the partition the downstream offset
 * belongs to. upstreamOffset is the group's committed offset on the source.
 *
 * Encoders return a malloc'd buffer in *out (the caller frees it with
 * free()) and its length in *len. A string longer than 32767 bytes is
 * ST_ERR_TOO_LARGE (Java throws too); a NULL metadata is written as ""
 * (what Java's OffsetAndMetadata holds for "no metadata"); NULL for any
 * other string is ST_ERR_MALFORMED.
 *
 * Decoders are bounds-checked and strict: a truncated buffer is
 * ST_ERR_TRUNCATED; a negative string length, a NUL byte inside a string or
 * bytes left over after the last field is ST_ERR_MALFORMED; a value version
 * other than 0 is ST_ERR_UNSUPPORTED. errbuf then names the record and the
 * field. Decoded strings are malloc'd NUL-terminated copies owned by the
 * struct: release them with mm2_heartbeat_clear / mm2_checkpoint_clear. A
 * decoder frees the strings it replaces, so start from a zeroed struct. */
#ifndef STRAIT_MIRROR_MM2_FORMAT_H
#define STRAIT_MIRROR_MM2_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define MM2_FORMAT_VERSION 0
#define MM2_STRING_MAX 32767
#define MM2_HEARTBEATS_TOPIC "heartbeats"
#define MM2_CHECKPOINTS_TOPIC_SUFFIX ".checkpoints.internal"

typedef struct mm2_heartbeat {
    char *source_alias;       /* from the key (malloc'd) */
    char *target_alias;       /* from the key (malloc'd) */
    int64_t timestamp_ms;     /* from the value */
} mm2_heartbeat;

typedef struct mm2_checkpoint {
    char *group;              /* from the key (malloc'd) */
    char *topic;              /* from the key: the target-side topic (malloc'd) */
    int32_t partition;        /* from the key */
    int64_t upstream_offset;  /* from the value: committed offset on the source */
    int64_t downstream_offset; /* from the value: the translated target offset */
    char *metadata;           /* from the value (malloc'd, "" when none) */
} mm2_checkpoint;

/* ---- Encoding: *out is malloc'd (caller frees), *len its size ---------------------- */

st_err mm2_heartbeat_key_encode(const char *source_alias, const char *target_alias,
                                uint8_t **out, size_t *len, char *errbuf, size_t errlen);
st_err mm2_heartbeat_value_encode(int64_t timestamp_ms, uint8_t **out, size_t *len,
                                  char *errbuf, size_t errlen);
st_err mm2_checkpoint_key_encode(const char *group, const char *topic, int32_t partition,
                                 uint8_t **out, size_t *len, char *errbuf, size_t errlen);
st_err mm2_checkpoint_value_encode(int64_t upstream_offset, int64_t downstream_offset,
                                   const char *metadata, uint8_t **out, size_t *len,
                                   char *errbuf, size_t errlen);

/* ---- Decoding: fills the fields the key (or value) carries ---------------------------- */

st_err mm2_heartbeat_key_decode(const void *data, size_t len, mm2_heartbeat *hb, char *errbuf,
                                size_t errlen);
st_err mm2_heartbeat_value_decode(const void *data, size_t len, mm2_heartbeat *hb,
                                  char *errbuf, size_t errlen);
st_err mm2_checkpoint_key_decode(const void *data, size_t len, mm2_checkpoint *cp,
                                 char *errbuf, size_t errlen);
st_err mm2_checkpoint_value_decode(const void *data, size_t len, mm2_checkpoint *cp,
                                   char *errbuf, size_t errlen);

/* Frees the strings and zeroes the struct (safe on a zeroed struct). */
void mm2_heartbeat_clear(mm2_heartbeat *hb);
void mm2_checkpoint_clear(mm2_checkpoint *cp);

/* "<source alias>.checkpoints.internal" into buf; false when it does not fit. */
bool mm2_checkpoints_topic(const char *source_alias, char *buf, size_t buflen);

#endif
