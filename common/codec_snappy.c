/* codec_snappy.c — the snappy codec (libsnappy), raw and xerial-framed.
 *
 * Owns both snappy layouts Kafka sees: raw snappy (librdkafka, Sarama) and
 * the xerial framing the Java client writes — an 8-byte magic
 * (0x82 "SNAPPY" 0x00), int32 version, int32 compatible version, then blocks
 * of [int32 big-endian compressed length][raw snappy block]. Reading detects
 * the framing by its magic. Must never allocate from a declared length before
 * checking it against what the sink still allows. */
#include "compression.h"

#include <snappy-c.h>
#include <string.h>
#include "wire.h"

#define XERIAL_HEADER_SIZE 16
#define XERIAL_BLOCK_SIZE (32 * 1024) /* xerial's default block size */
#define XERIAL_VERSION 1
#define XERIAL_COMPAT_VERSION 1

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

static st_err snappy_raw_compress(const uint8_t *in, size_t n, st_buf *out)
{
    size_t cap = snappy_max_compressed_length(n);
    size_t start = out->len;
    uint8_t *dst = st_buf_extend(out, cap);
    if (!dst)
        return ST_ERR_NOMEM;
    size_t len = cap;
    if (snappy_compress((const char *)in, n, (char *)dst, &len) != SNAPPY_OK)
        return ST_ERR_NOMEM;
    out->len = start + len;
    return ST_OK;
}

static st_err snappy_xerial_compress(const uint8_t *in, size_t n, st_buf *out)
{
    st_buf_append(out, xerial_magic, sizeof(xerial_magic));
    st_write_i32(out, XERIAL_VERSION);
    st_write_i32(out, XERIAL_COMPAT_VERSION);
    for (size_t pos = 0; pos < n; pos += XERIAL_BLOCK_SIZE) {
        size_t chunk = n - pos < XERIAL_BLOCK_SIZE ? n - pos : XERIAL_BLOCK_SIZE;
        size_t len_at = out->len;
        st_write_i32(out, 0);
        st_err err = snappy_raw_compress(in + pos, chunk, out);
        if (err || out->err)
            return err ? err : out->err;
        st_put_i32(out->data + len_at, (int32_t)(out->len - len_at - 4));
    }
    return out->err;
}

st_err st_snappy_compress(const uint8_t *in, size_t n, bool xerial, st_buf *out)
{
    return xerial ? snappy_xerial_compress(in, n, out)
                  : snappy_raw_compress(in, n, out);
}

/* One raw snappy block; its declared length is checked before allocating. */
static st_err snappy_raw_decompress(const uint8_t *in, size_t n, st_sink *out)
{
    size_t len;
    if (snappy_uncompressed_length((const char *)in, n, &len) != SNAPPY_OK)
        return n == 0 ? ST_ERR_TRUNCATED : ST_ERR_MALFORMED;
    if (len > out->max_out - st_sink_produced(out))
        return ST_ERR_TOO_LARGE;
    char empty;
    size_t start = out->buf->len;
    uint8_t *dst = len ? st_buf_extend(out->buf, len) : (uint8_t *)&empty;
    if (!dst)
        return ST_ERR_NOMEM;
    if (snappy_uncompress((const char *)in, n, (char *)dst, &len) != SNAPPY_OK)
        return ST_ERR_MALFORMED;
    out->buf->len = start + len;
    return ST_OK;
}

static bool is_xerial(const uint8_t *in, size_t n)
{
    return n >= sizeof(xerial_magic) &&
           memcmp(in, xerial_magic, sizeof(xerial_magic)) == 0;
}

static st_err snappy_xerial_decompress(const uint8_t *in, size_t n, st_sink *out)
{
    st_reader r;
    st_reader_init(&r, in, n);
    st_read_skip(&r, XERIAL_HEADER_SIZE);
    while (!r.err && st_reader_left(&r) > 0) {
        int32_t block_len = st_read_i32(&r);
        if (!r.err && block_len <= 0)
            return ST_ERR_MALFORMED;
        st_slice block = st_read_raw(&r, (size_t)block_len);
        if (r.err)
            break;
        st_err err = snappy_raw_decompress(block.ptr, (size_t)block.len, out);
        if (err)
            return err;
    }
    return r.err;
}

st_err st_snappy_decompress(const uint8_t *in, size_t n, st_sink *out)
{
    if (is_xerial(in, n))
        return snappy_xerial_decompress(in, n, out);
    return snappy_raw_decompress(in, n, out);
}
