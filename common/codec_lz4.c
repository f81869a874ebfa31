/* codec_lz4.c — the lz4 codec: the LZ4 frame format (liblz4's lz4frame).
 *
 * Owns frame writing and bounded frame reading. Writes frames the way the
 * Java client does (64 KiB independent blocks, no content size, no content
 * checksum), because Java's reader rejects linked blocks. Reads any valid
 * frame, several concatenated frames included. Must never trust the content
 * size a frame declares: output is streamed into the sink. */
#include "compression.h"

#include <lz4frame.h>
#include <string.h>

/* The error enum is liblz4's static-only API; its names are public. */
static st_err lz4_error(size_t code)
{
    const char *name = LZ4F_getErrorName(code);
    if (strstr(name, "allocation"))
        return ST_ERR_NOMEM;
    if (strstr(name, "Checksum_invalid"))
        return ST_ERR_CORRUPT;
    return ST_ERR_MALFORMED;
}

static LZ4F_preferences_t kafka_preferences(int level)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.compressionLevel = level == ST_COMPRESS_LEVEL_DEFAULT ? 0 : level;
    return prefs;
}

st_err st_lz4_compress(const uint8_t *in, size_t n, int level, st_buf *out)
{
    LZ4F_preferences_t prefs = kafka_preferences(level);
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    size_t start = out->len;
    uint8_t *dst = st_buf_extend(out, bound);
    if (!dst)
        return ST_ERR_NOMEM;
    size_t len = LZ4F_compressFrame(dst, bound, in, n, &prefs);
    if (LZ4F_isError(len))
        return lz4_error(len);
    out->len = start + len;
    return ST_OK;
}

/* One LZ4F_decompress call into the sink: *used gets the input consumed,
 * *hint liblz4's "bytes still expected" (0 once a frame is complete). */
static st_err lz4_step(LZ4F_dctx *dctx, const uint8_t *in, size_t *used,
                       st_sink *out, size_t *hint)
{
    size_t avail;
    uint8_t *dst = st_sink_space(out, &avail);
    if (!dst)
        return ST_ERR_NOMEM;
    *hint = LZ4F_decompress(dctx, dst, &avail, in, used, NULL);
    if (LZ4F_isError(*hint))
        return lz4_error(*hint);
    st_sink_commit(out, avail);
    return ST_OK;
}

static st_err lz4_decompress_all(LZ4F_dctx *dctx, const uint8_t *in, size_t n,
                                 st_sink *out)
{
    size_t pos = 0;
    for (;;) {
        size_t used = n - pos, hint;
        size_t before = st_sink_produced(out);
        st_err err = lz4_step(dctx, in + pos, &used, out, &hint);
        if (err)
            return err;
        pos += used;
        if (st_sink_over(out))
            return ST_ERR_TOO_LARGE;
        if (hint == 0 && pos == n)
            return ST_OK;
        if (used == 0 && st_sink_produced(out) == before)
            return pos == n ? ST_ERR_TRUNCATED : ST_ERR_MALFORMED;
    }
}

st_err st_lz4_decompress(const uint8_t *in, size_t n, st_sink *out)
{
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return ST_ERR_NOMEM;
    st_err err = lz4_decompress_all(dctx, in, n, out);
    LZ4F_freeDecompressionContext(dctx);
    return err;
}
