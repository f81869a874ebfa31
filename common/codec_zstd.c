/* codec_zstd.c — the zstd codec (libzstd).
 *
 * Owns one-shot compression (ZSTD_compress) and bounded streaming
 * decompression (ZSTD_decompressStream), concatenated frames included. Must
 * never let a frame's declared sizes drive memory use: output is streamed
 * into the sink, and the decoder's window is limited (see window_log_max). */
#include "compression.h"

#include <zstd.h>
#include <zstd_errors.h>

/* Windows up to 2^23 (8 MiB) cover every level <= 19 written without a known
 * size (Java's zstd-jni streams); larger windows (ultra levels) are accepted
 * only when the caller's bound is that large, up to zstd's default 2^27. */
#define ZSTD_WINDOW_LOG_FLOOR 23
#define ZSTD_WINDOW_LOG_CEILING 27

st_err st_zstd_compress(const uint8_t *in, size_t n, int level, st_buf *out)
{
    if (level == ST_COMPRESS_LEVEL_DEFAULT)
        level = ZSTD_CLEVEL_DEFAULT;
    size_t bound = ZSTD_compressBound(n);
    size_t start = out->len;
    uint8_t *dst = st_buf_extend(out, bound);
    if (!dst)
        return ST_ERR_NOMEM;
    size_t len = ZSTD_compress(dst, bound, in, n, level);
    if (ZSTD_isError(len))
        return ST_ERR_NOMEM;
    out->len = start + len;
    return ST_OK;
}

static st_err zstd_error(size_t code)
{
    switch (ZSTD_getErrorCode(code)) {
    case ZSTD_error_memory_allocation: return ST_ERR_NOMEM;
    case ZSTD_error_checksum_wrong: return ST_ERR_CORRUPT;
    case ZSTD_error_frameParameter_windowTooLarge: return ST_ERR_TOO_LARGE;
    default: return ST_ERR_MALFORMED;
    }
}

static int window_log_max(size_t max_out)
{
    int log = ZSTD_WINDOW_LOG_FLOOR;
    while (log < ZSTD_WINDOW_LOG_CEILING && ((size_t)1 << log) < max_out)
        log++;
    return log;
}

/* One ZSTD_decompressStream call into the sink; *more is zstd's hint
 * (0 once a frame is complete and flushed). */
static st_err zstd_step(ZSTD_DCtx *dctx, ZSTD_inBuffer *in, st_sink *out,
                        size_t *more)
{
    size_t avail;
    uint8_t *dst = st_sink_space(out, &avail);
    if (!dst)
        return ST_ERR_NOMEM;
    ZSTD_outBuffer ob = {dst, avail, 0};
    *more = ZSTD_decompressStream(dctx, &ob, in);
    if (ZSTD_isError(*more))
        return zstd_error(*more);
    st_sink_commit(out, ob.pos);
    return ST_OK;
}

static st_err zstd_decompress_all(ZSTD_DCtx *dctx, ZSTD_inBuffer *in,
                                  st_sink *out)
{
    for (;;) {
        size_t more, in_before = in->pos, out_before = st_sink_produced(out);
        st_err err = zstd_step(dctx, in, out, &more);
        if (err)
            return err;
        if (st_sink_over(out))
            return ST_ERR_TOO_LARGE;
        if (more == 0 && in->pos == in->size)
            return ST_OK;
        if (in->pos == in_before && st_sink_produced(out) == out_before)
            return in->pos == in->size ? ST_ERR_TRUNCATED : ST_ERR_MALFORMED;
    }
}

st_err st_zstd_decompress(const uint8_t *in, size_t n, st_sink *out)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!dctx)
        return ST_ERR_NOMEM;
    size_t rc = ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
                                       window_log_max(out->max_out));
    ZSTD_inBuffer ib = {in, n, 0};
    st_err err = ZSTD_isError(rc) ? ST_ERR_NOMEM : zstd_decompress_all(dctx, &ib, out);
    ZSTD_freeDCtx(dctx);
    return err;
}
