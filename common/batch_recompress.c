/* batch_recompress.c — one batch, another codec (see batch_recompress.h). */
#include "common/batch_recompress.h"

#include <string.h>

/* The uncompressed records section of batch, in plain (or pointing into the
 * batch when it is not compressed). */
static st_err records_section(const st_batch *batch, size_t max_uncompressed, st_buf *plain,
                              st_slice *out)
{
    const uint8_t *section = batch->data + ST_BATCH_HEADER_SIZE;
    size_t n = batch->size - ST_BATCH_HEADER_SIZE;
    int codec = st_batch_codec(&batch->header);
    if (codec == ST_CODEC_NONE) {
        *out = st_slice_from(section, n);
        return ST_OK;
    }
    st_err err = st_decompress(codec, section, n, max_uncompressed, plain);
    if (!err)
        *out = st_slice_from(plain->data, plain->len);
    return err;
}

st_err st_batch_recompress(const st_batch *batch, int codec, const st_compress_opts *opts,
                           size_t max_uncompressed, st_buf *out)
{
    if (!st_codec_known(codec))
        return ST_ERR_UNSUPPORTED;
    st_buf plain;
    st_buf_init(&plain);
    st_slice records;
    st_err err = records_section(batch, max_uncompressed, &plain, &records);
    size_t start = out->len;
    if (!err && !st_buf_extend(out, ST_BATCH_HEADER_SIZE))
        err = ST_ERR_NOMEM;
    if (!err && codec == ST_CODEC_NONE)
        st_buf_append(out, records.ptr, (size_t)records.len);
    else if (!err)
        err = st_compress_with(codec, opts, records.ptr, (size_t)records.len, out);
    if (!err && out->err)
        err = out->err;
    if (!err && out->len - start - ST_BATCH_LOG_OVERHEAD > INT32_MAX)
        err = ST_ERR_TOO_LARGE;
    if (!err) {
        st_batch_header h = batch->header;
        h.attributes = (int16_t)((h.attributes & ~ST_BATCH_ATTR_CODEC_MASK) | codec);
        h.batch_length = (int32_t)(out->len - start - ST_BATCH_LOG_OVERHEAD);
        st_batch_header_write(out->data + start, &h);
        err = st_batch_update_crc(out->data + start, out->len - start);
    }
    if (err)
        out->len = start;
    st_buf_free(&plain);
    return err;
}
