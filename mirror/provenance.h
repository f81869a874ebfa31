/* provenance.h — the headers that say where a mirrored record came from.
 *
 * Owns the two header names and their text formats (documented for users in
 * the README):
 *
 *   strait.origin  the cluster id of the cluster where the record was first
 *                  produced. Set by the first mirror hop, kept unchanged by
 *                  every later hop. A flow never writes a record whose origin
 *                  is its target cluster (loop prevention).
 *   strait.source  "<cluster id>:<topic>:<partition>:<offset>": the record
 *                  this hop read (its source cluster, topic, partition and
 *                  offset). Replaced at every hop. The mirror reads it back
 *                  from the target log to resume exactly after a crash.
 *
 * Cluster ids (base64url) and topic names ([a-zA-Z0-9._-]) never contain
 * ':', so the fields split unambiguously. Pure functions, no allocation
 * except in provenance_headers (into a caller-owned array).
 */
#ifndef STRAIT_MIRROR_PROVENANCE_H
#define STRAIT_MIRROR_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kafka_client.h"

#define PROVENANCE_ORIGIN "strait.origin"
#define PROVENANCE_SOURCE "strait.source"

/* A parsed strait.source value; cluster_id and topic point into the
 * header's bytes (not NUL-terminated). */
typedef struct provenance_source {
    const char *cluster_id;
    size_t cluster_id_len;
    const char *topic;
    size_t topic_len;
    int32_t partition;
    int64_t offset;
} provenance_source;

/* The record's origin cluster id: its strait.origin header, else NULL
 * (the record was produced on the cluster it is read from). */
const char *provenance_origin(const kc_header *headers, size_t count, size_t *len);

/* Parses the strait.source header among headers; false when absent or
 * malformed. */
bool provenance_find_source(const kc_header *headers, size_t count, provenance_source *out);

/* Whether a parsed source names this cluster, topic and partition. */
bool provenance_source_is(const provenance_source *src, const char *cluster_id,
                          const char *topic, int32_t partition);

/* Headers for the copy of a record: the record's own headers except any
 * strait.origin / strait.source, then strait.origin (the record's origin,
 * or source_cluster_id when it has none) and strait.source (formatted into
 * source_buf, which must outlive the use of out). out must have room for
 * count + 2 headers. Returns the number of headers written; 0 when
 * source_buf is too small. */
size_t provenance_headers(const kc_header *headers, size_t count, const char *source_cluster_id,
                          const char *topic, int32_t partition, int64_t offset,
                          char *source_buf, size_t source_buflen, kc_header *out);

#endif
