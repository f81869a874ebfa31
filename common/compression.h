/* compression.h — Kafka's record-batch codecs: gzip, snappy, lz4, zstd.
 *
 * Owns the choice of codec and the output-size bound. Codec ids are Kafka's
 * attribute bits 0-2. Output is appended to a caller-owned st_buf; on error
 * the buffer is put back to its original length (bytes past it may have been
 * scribbled). Decompression is bounded: it never appends more than max_out
 * bytes, grows the buffer only as output really arrives (never from a size
 * declared inside the compressed data), and reports ST_ERR_TOO_LARGE as soon
 * as the output would pass the bound. Never aborts; inputs over INT32_MAX
 * bytes (larger than any Kafka batch) are refused with ST_ERR_TOO_LARGE. */
#ifndef STRAIT_COMPRESSION_H
#define STRAIT_COMPRESSION_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "err.h"

enum st_codec {
    ST_CODEC_NONE = 0,
    ST_CODEC_GZIP = 1,
    ST_CODEC_SNAPPY = 2,
    ST_CODEC_LZ4 = 3,
    ST_CODEC_ZSTD = 4,
};

/* Level meaning "the codec's default" (gzip 6, lz4 fast, zstd 3). */
#define ST_COMPRESS_LEVEL_DEFAULT INT_MIN

typedef struct st_compress_opts {
    int level;          /* ST_COMPRESS_LEVEL_DEFAULT or a codec level */
    bool snappy_xerial; /* snappy only: the xerial framing Java clients write */
} st_compress_opts;

#define ST_COMPRESS_OPTS_DEFAULT \
    ((st_compress_opts){.level = ST_COMPRESS_LEVEL_DEFAULT, .snappy_xerial = false})

/* True for the five codec ids above. */
bool st_codec_known(int codec);
/* "none", "gzip", "snappy", "lz4", "zstd", or "unknown". */
const char *st_codec_name(int codec);

/* Appends the compressed form of in[0..n) to out, with default options. */
st_err st_compress(int codec, const uint8_t *in, size_t n, st_buf *out);
/* Same, with a level and (snappy) framing choice; opts may be NULL. */
st_err st_compress_with(int codec, const st_compress_opts *opts,
                        const uint8_t *in, size_t n, st_buf *out);

/* Appends the decompressed form of in[0..n) to out, at most max_out bytes.
 * ST_ERR_TOO_LARGE past max_out; ST_ERR_TRUNCATED when the stream ends
 * early; ST_ERR_MALFORMED for bad data; ST_ERR_CORRUPT for a checksum
 * mismatch the codec detects; ST_ERR_UNSUPPORTED for an unknown codec. */
st_err st_decompress(int codec, const uint8_t *in, size_t n, size_t max_out,
                     st_buf *out);

/* ---- For the codec files (codec_*.c) only; callers use the calls above. */

/* A bounded output window over an st_buf: grows as output arrives. */
typedef struct st_sink {
    st_buf *buf;
    size_t start;   /* out->len when decompression began */
    size_t max_out; /* bytes this call may append */
} st_sink;

void st_sink_init(st_sink *s, st_buf *out, size_t max_out);
/* Free space to write into, at most one byte past the bound (so that
 * overflow is seen); NULL (buf->err set) when allocation fails. */
uint8_t *st_sink_space(st_sink *s, size_t *avail);
void st_sink_commit(st_sink *s, size_t n);
size_t st_sink_produced(const st_sink *s);
bool st_sink_over(const st_sink *s);

st_err st_gzip_compress(const uint8_t *in, size_t n, int level, st_buf *out);
st_err st_gzip_decompress(const uint8_t *in, size_t n, st_sink *out);
st_err st_snappy_compress(const uint8_t *in, size_t n, bool xerial, st_buf *out);
st_err st_snappy_decompress(const uint8_t *in, size_t n, st_sink *out);
st_err st_lz4_compress(const uint8_t *in, size_t n, int level, st_buf *out);
st_err st_lz4_decompress(const uint8_t *in, size_t n, st_sink *out);
st_err st_zstd_compress(const uint8_t *in, size_t n, int level, st_buf *out);
st_err st_zstd_decompress(const uint8_t *in, size_t n, st_sink *out);

#endif
