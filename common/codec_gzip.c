/* codec_gzip.c — the gzip codec (zlib), as Kafka's record batches use it.
 *
 * Owns the deflate/inflate calls. Writes one gzip member (RFC 1952), as the
 * Java client's GZIPOutputStream and librdkafka do. Reads gzip (or zlib)
 * streams, concatenated gzip members included; like Java's GZIPInputStream,
 * bytes after the last member that do not start another member are ignored.
 * Must never write more than the sink allows: inflation is streamed into it. */
#define ZLIB_CONST
#include "compression.h"

#include <string.h>
#include <zlib.h>

#define GZIP_WINDOW_BITS (15 + 16) /* write the gzip wrapper */
#define AUTO_WINDOW_BITS (15 + 32) /* read gzip or zlib wrapper */

static st_err zlib_error(int rc)
{
    return rc == Z_MEM_ERROR ? ST_ERR_NOMEM : ST_ERR_MALFORMED;
}

static st_err gzip_level(int level, int *zlevel)
{
    if (level == ST_COMPRESS_LEVEL_DEFAULT)
        level = Z_DEFAULT_COMPRESSION;
    if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION)
        return ST_ERR_UNSUPPORTED;
    *zlevel = level;
    return ST_OK;
}

st_err st_gzip_compress(const uint8_t *in, size_t n, int level, st_buf *out)
{
    z_stream z;
    int zlevel;
    st_err err = gzip_level(level, &zlevel);
    if (err)
        return err;
    memset(&z, 0, sizeof(z));
    int rc = deflateInit2(&z, zlevel, Z_DEFLATED, GZIP_WINDOW_BITS, 8,
                          Z_DEFAULT_STRATEGY);
    if (rc != Z_OK)
        return zlib_error(rc);
    uLong bound = deflateBound(&z, (uLong)n);
    uint8_t *dst = st_buf_extend(out, bound);
    if (!dst) {
        deflateEnd(&z);
        return ST_ERR_NOMEM;
    }
    z.next_in = in;
    z.avail_in = (uInt)n;
    z.next_out = dst;
    z.avail_out = (uInt)bound;
    rc = deflate(&z, Z_FINISH);
    out->len -= z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? ST_OK : zlib_error(rc);
}

static bool at_gzip_member(const z_stream *z)
{
    return z->avail_in >= 2 && z->next_in[0] == 0x1f && z->next_in[1] == 0x8b;
}

/* One inflate step into the sink; returns zlib's code. */
static int inflate_step(z_stream *z, st_sink *out, st_err *err)
{
    size_t avail;
    uint8_t *dst = st_sink_space(out, &avail);
    if (!dst) {
        *err = ST_ERR_NOMEM;
        return Z_MEM_ERROR;
    }
    z->next_out = dst;
    z->avail_out = avail > UINT_MAX ? UINT_MAX : (uInt)avail;
    uInt before = z->avail_out;
    int rc = inflate(z, Z_NO_FLUSH);
    st_sink_commit(out, before - z->avail_out);
    return rc;
}

static st_err inflate_all(z_stream *z, st_sink *out)
{
    for (;;) {
        st_err err = ST_OK;
        int rc = inflate_step(z, out, &err);
        if (err)
            return err;
        if (st_sink_over(out))
            return ST_ERR_TOO_LARGE;
        if (rc == Z_STREAM_END) {
            if (!at_gzip_member(z))
                return ST_OK;
            rc = inflateReset(z);
        }
        if (rc == Z_BUF_ERROR)
            return z->avail_in == 0 ? ST_ERR_TRUNCATED : ST_ERR_MALFORMED;
        if (rc != Z_OK)
            return zlib_error(rc);
    }
}

st_err st_gzip_decompress(const uint8_t *in, size_t n, st_sink *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    int rc = inflateInit2(&z, AUTO_WINDOW_BITS);
    if (rc != Z_OK)
        return zlib_error(rc);
    z.next_in = in;
    z.avail_in = (uInt)n;
    st_err err = inflate_all(&z, out);
    inflateEnd(&z);
    return err;
}
