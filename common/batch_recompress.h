/* batch_recompress.h — rewriting one record batch with another compression
 * codec (a topic's compression.type that differs from the producer's).
 *
 * Owns nothing past the call: the new batch is appended to the caller's
 * buffer. Every header field but the codec bits, the length and the CRC is
 * kept, and the records section is carried over byte for byte after
 * decompression (bounded by max_uncompressed), so keys, values, headers,
 * timestamps and offsets are unchanged. */
#ifndef STRAIT_BATCH_RECOMPRESS_H
#define STRAIT_BATCH_RECOMPRESS_H

#include "common/record_batch.h"

st_err st_batch_recompress(const st_batch *batch, int codec, const st_compress_opts *opts,
                           size_t max_uncompressed, st_buf *out);

#endif
