/* compression.c — codec dispatch and the bounded output sink (see
 * compression.h).
 *
 * Owns argument checks common to every codec, the "put the buffer back on
 * error" rule and the growth policy of st_sink. Must never grow an output
 * buffer beyond about twice the caller's bound, whatever the input claims. */
#include "compression.h"

#define SINK_MIN_GROW ((size_t)16 * 1024)

void st_sink_init(st_sink *s, st_buf *out, size_t max_out)
{
    s->buf = out;
    s->start = out->len;
    s->max_out = max_out;
}

size_t st_sink_produced(const st_sink *s)
{
    return s->buf->len - s->start;
}

bool st_sink_over(const st_sink *s)
{
    return st_sink_produced(s) > s->max_out;
}

/* Bytes that may still be written: the bound plus one overflow byte. */
static size_t sink_room(const st_sink *s)
{
    size_t produced = st_sink_produced(s);
    if (produced > s->max_out)
        return 0;
    size_t room = s->max_out - produced;
    return room == SIZE_MAX ? room : room + 1;
}

uint8_t *st_sink_space(st_sink *s, size_t *avail)
{
    st_buf *b = s->buf;
    size_t room = sink_room(s);
    size_t produced = st_sink_produced(s);
    size_t want = produced < SINK_MIN_GROW ? SINK_MIN_GROW : produced;
    *avail = 0;
    if (room == 0 || b->err)
        return NULL;
    if (want > room)
        want = room;
    if (b->cap - b->len < want && st_buf_reserve(b, want) != 0)
        return NULL;
    size_t free_space = b->cap - b->len;
    *avail = free_space < room ? free_space : room;
    return b->data + b->len;
}

void st_sink_commit(st_sink *s, size_t n)
{
    s->buf->len += n;
}

bool st_codec_known(int codec)
{
    return codec >= ST_CODEC_NONE && codec <= ST_CODEC_ZSTD;
}

const char *st_codec_name(int codec)
{
    switch (codec) {
    case ST_CODEC_NONE: return "none";
    case ST_CODEC_GZIP: return "gzip";
    case ST_CODEC_SNAPPY: return "snappy";
    case ST_CODEC_LZ4: return "lz4";
    case ST_CODEC_ZSTD: return "zstd";
    }
    return "unknown";
}

/* st_buf_append with n == 0 on an empty buffer would compute NULL + 0. */
static void append_bytes(st_buf *out, const uint8_t *in, size_t n)
{
    if (n)
        st_buf_append(out, in, n);
}

/* Shared entry checks; fills *in with a valid pointer when n == 0. */
static st_err check_args(int codec, const uint8_t **in, size_t n, st_buf *out)
{
    if (out->err)
        return out->err;
    if (!st_codec_known(codec))
        return ST_ERR_UNSUPPORTED;
    if (n > INT32_MAX)
        return ST_ERR_TOO_LARGE;
    if (!*in)
        *in = (const uint8_t *)"";
    return ST_OK;
}

/* On failure, hand the buffer back at its original length. */
static st_err finish(st_buf *out, size_t start, st_err err)
{
    if (!err && out->err)
        err = out->err;
    if (err)
        out->len = start;
    return err;
}

static st_err compress_codec(int codec, const st_compress_opts *o,
                             const uint8_t *in, size_t n, st_buf *out)
{
    switch (codec) {
    case ST_CODEC_GZIP: return st_gzip_compress(in, n, o->level, out);
    case ST_CODEC_SNAPPY: return st_snappy_compress(in, n, o->snappy_xerial, out);
    case ST_CODEC_LZ4: return st_lz4_compress(in, n, o->level, out);
    case ST_CODEC_ZSTD: return st_zstd_compress(in, n, o->level, out);
    }
    append_bytes(out, in, n);
    return ST_OK;
}

st_err st_compress_with(int codec, const st_compress_opts *opts,
                        const uint8_t *in, size_t n, st_buf *out)
{
    st_compress_opts defaults = ST_COMPRESS_OPTS_DEFAULT;
    st_err err = check_args(codec, &in, n, out);
    if (err)
        return err;
    size_t start = out->len;
    err = compress_codec(codec, opts ? opts : &defaults, in, n, out);
    return finish(out, start, err);
}

st_err st_compress(int codec, const uint8_t *in, size_t n, st_buf *out)
{
    return st_compress_with(codec, NULL, in, n, out);
}

static st_err copy_bounded(const uint8_t *in, size_t n, st_sink *s)
{
    if (n > s->max_out)
        return ST_ERR_TOO_LARGE;
    append_bytes(s->buf, in, n);
    return ST_OK;
}

static st_err decompress_codec(int codec, const uint8_t *in, size_t n,
                               st_sink *s)
{
    switch (codec) {
    case ST_CODEC_GZIP: return st_gzip_decompress(in, n, s);
    case ST_CODEC_SNAPPY: return st_snappy_decompress(in, n, s);
    case ST_CODEC_LZ4: return st_lz4_decompress(in, n, s);
    case ST_CODEC_ZSTD: return st_zstd_decompress(in, n, s);
    }
    return copy_bounded(in, n, s);
}

st_err st_decompress(int codec, const uint8_t *in, size_t n, size_t max_out,
                     st_buf *out)
{
    st_err err = check_args(codec, &in, n, out);
    if (err)
        return err;
    st_sink sink;
    st_sink_init(&sink, out, max_out);
    err = decompress_codec(codec, in, n, &sink);
    if (!err && st_sink_over(&sink))
        err = ST_ERR_TOO_LARGE;
    return finish(out, sink.start, err);
}
