/* mm2_format.c — MirrorMaker 2's Heartbeat and Checkpoint record formats
 * (see mm2_format.h for the layout). Builds bytes with the wire.h writers
 * and reads them with its bounds-checked reader; never keeps a pointer to
 * the caller's input beyond a call. */
#include "mirror/mm2_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/wire.h"

/* One record being encoded (out) or decoded (in), and its first error:
 * once err is set, the later fields are skipped. */
typedef struct codec {
    const char *record;   /* "heartbeat key", ...: names the record in errbuf */
    st_err err;
    char *errbuf;
    size_t errlen;
    st_buf out;           /* encoding: the bytes (malloc'd, see finish) */
    st_reader in;         /* decoding: the caller's bytes */
} codec;

static void codec_init(codec *c, const char *record, char *errbuf, size_t errlen)
{
    *c = (codec){.record = record, .errbuf = errbuf, .errlen = errlen};
    st_buf_init(&c->out);
}

static void fail(codec *c, st_err err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first error: errbuf says "<record>: <what>". */
static void fail(codec *c, st_err err, const char *fmt, ...)
{
    if (c->err)
        return;
    c->err = err;
    int used = snprintf(c->errbuf, c->errlen, "%s: ", c->record);
    if (used < 0 || (size_t)used >= c->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errbuf + used, c->errlen - (size_t)used, fmt, ap);
    va_end(ap);
}

/* ---- Encoding ------------------------------------------------------------------------- */

/* Writes one non-null STRING field, unless it cannot be (an error). */
static void put_string(codec *c, const char *field, const char *s)
{
    if (c->err)
        return;
    if (!s) {
        fail(c, ST_ERR_MALFORMED, "%s is null (MM2 strings are never null)", field);
        return;
    }
    size_t n = strlen(s);
    if (n > MM2_STRING_MAX) {
        fail(c, ST_ERR_TOO_LARGE, "%s is %zu bytes (at most %d)", field, n, MM2_STRING_MAX);
        return;
    }
    st_write_string(&c->out, st_slice_from(s, n));
}

/* Hands the bytes to the caller, or frees them on failure. */
static st_err finish(codec *c, uint8_t **out, size_t *len)
{
    if (c->out.err)
        fail(c, c->out.err, "%s while encoding", st_err_name(c->out.err));
    if (c->err) {
        st_buf_free(&c->out);
        *out = NULL;
        *len = 0;
        return c->err;
    }
    *out = c->out.data; /* malloc'd by st_buf: the caller frees it */
    *len = c->out.len;
    return ST_OK;
}

st_err mm2_heartbeat_key_encode(const char *source_alias, const char *target_alias,
                                uint8_t **out, size_t *len, char *errbuf, size_t errlen)
{
    codec c;
    codec_init(&c, "heartbeat key", errbuf, errlen);
    put_string(&c, "sourceClusterAlias", source_alias);
    put_string(&c, "targetClusterAlias", target_alias);
    return finish(&c, out, len);
}

st_err mm2_heartbeat_value_encode(int64_t timestamp_ms, uint8_t **out, size_t *len,
                                  char *errbuf, size_t errlen)
{
    codec c;
    codec_init(&c, "heartbeat value", errbuf, errlen);
    st_write_i16(&c.out, MM2_FORMAT_VERSION);
    st_write_i64(&c.out, timestamp_ms);
    return finish(&c, out, len);
}

st_err mm2_checkpoint_key_encode(const char *group, const char *topic, int32_t partition,
                                 uint8_t **out, size_t *len, char *errbuf, size_t errlen)
{
    codec c;
    codec_init(&c, "checkpoint key", errbuf, errlen);
    put_string(&c, "group", group);
    put_string(&c, "topic", topic);
    st_write_i32(&c.out, partition);
    return finish(&c, out, len);
}

st_err mm2_checkpoint_value_encode(int64_t upstream_offset, int64_t downstream_offset,
                                   const char *metadata, uint8_t **out, size_t *len,
                                   char *errbuf, size_t errlen)
{
    codec c;
    codec_init(&c, "checkpoint value", errbuf, errlen);
    st_write_i16(&c.out, MM2_FORMAT_VERSION);
    st_write_i64(&c.out, upstream_offset);
    st_write_i64(&c.out, downstream_offset);
    put_string(&c, "metadata", metadata ? metadata : "");
    return finish(&c, out, len);
}

/* ---- Decoding ------------------------------------------------------------------------- */

static void decode_init(codec *c, const char *record, const void *data, size_t len,
                        char *errbuf, size_t errlen)
{
    codec_init(c, record, errbuf, errlen);
    st_reader_init(&c->in, data, len);
}

/* After a read of field: a reader error means the bytes ended inside it. */
static void check_read(codec *c, const char *field)
{
    if (c->in.err)
        fail(c, ST_ERR_TRUNCATED, "truncated in %s", field);
}

/* Reads one STRING field into a malloc'd C string (NULL on failure). */
static char *get_string(codec *c, const char *field)
{
    if (c->err)
        return NULL;
    st_reader *r = &c->in;
    if (st_reader_left(r) >= 2 && st_get_i16(r->p) < 0) {
        fail(c, ST_ERR_MALFORMED, "%s has negative length %d", field, st_get_i16(r->p));
        return NULL;
    }
    st_slice s = st_read_string(r);
    check_read(c, field);
    if (c->err)
        return NULL;
    if (s.len > 0 && memchr(s.ptr, 0, (size_t)s.len)) {
        fail(c, ST_ERR_MALFORMED, "%s contains a NUL byte", field);
        return NULL;
    }
    char *copy = malloc((size_t)s.len + 1);
    if (!copy) {
        fail(c, ST_ERR_NOMEM, "out of memory for %s", field);
        return NULL;
    }
    if (s.len > 0)
        memcpy(copy, s.ptr, (size_t)s.len);
    copy[s.len] = '\0';
    return copy;
}

/* Fixed-width big-endian fields; 0 after an error. */
static int64_t get_i64(codec *c, const char *field)
{
    int64_t v = c->err ? 0 : st_read_i64(&c->in);
    check_read(c, field);
    return v;
}

static int32_t get_i32(codec *c, const char *field)
{
    int32_t v = c->err ? 0 : st_read_i32(&c->in);
    check_read(c, field);
    return v;
}

/* The value's version header: only version 0 exists. */
static void get_version(codec *c)
{
    int16_t version = c->err ? 0 : st_read_i16(&c->in);
    check_read(c, "version");
    if (version != MM2_FORMAT_VERSION)
        fail(c, ST_ERR_UNSUPPORTED, "version %d is not supported (only %d)", version,
             MM2_FORMAT_VERSION);
}

/* The decoding's outcome: bytes left after the last field are an error (a
 * different layout). */
static st_err decode_end(codec *c)
{
    if (st_reader_left(&c->in) > 0)
        fail(c, ST_ERR_MALFORMED, "%zu bytes left after the last field",
             st_reader_left(&c->in));
    return c->err;
}

static void replace(char **field, char *value)
{
    free(*field);
    *field = value;
}

st_err mm2_heartbeat_key_decode(const void *data, size_t len, mm2_heartbeat *hb, char *errbuf,
                                size_t errlen)
{
    codec c;
    decode_init(&c, "heartbeat key", data, len, errbuf, errlen);
    char *source = get_string(&c, "sourceClusterAlias");
    char *target = get_string(&c, "targetClusterAlias");
    if (decode_end(&c)) {
        free(source);
        free(target);
        return c.err;
    }
    replace(&hb->source_alias, source);
    replace(&hb->target_alias, target);
    return ST_OK;
}

st_err mm2_heartbeat_value_decode(const void *data, size_t len, mm2_heartbeat *hb,
                                  char *errbuf, size_t errlen)
{
    codec c;
    decode_init(&c, "heartbeat value", data, len, errbuf, errlen);
    get_version(&c);
    int64_t timestamp = get_i64(&c, "timestamp");
    if (decode_end(&c))
        return c.err;
    hb->timestamp_ms = timestamp;
    return ST_OK;
}

st_err mm2_checkpoint_key_decode(const void *data, size_t len, mm2_checkpoint *cp,
                                 char *errbuf, size_t errlen)
{
    codec c;
    decode_init(&c, "checkpoint key", data, len, errbuf, errlen);
    char *group = get_string(&c, "group");
    char *topic = get_string(&c, "topic");
    int32_t partition = get_i32(&c, "partition");
    if (decode_end(&c)) {
        free(group);
        free(topic);
        return c.err;
    }
    replace(&cp->group, group);
    replace(&cp->topic, topic);
    cp->partition = partition;
    return ST_OK;
}

st_err mm2_checkpoint_value_decode(const void *data, size_t len, mm2_checkpoint *cp,
                                   char *errbuf, size_t errlen)
{
    codec c;
    decode_init(&c, "checkpoint value", data, len, errbuf, errlen);
    get_version(&c);
    int64_t upstream = get_i64(&c, "upstreamOffset");
    int64_t downstream = get_i64(&c, "offset");
    char *metadata = get_string(&c, "metadata");
    if (decode_end(&c)) {
        free(metadata);
        return c.err;
    }
    cp->upstream_offset = upstream;
    cp->downstream_offset = downstream;
    replace(&cp->metadata, metadata);
    return ST_OK;
}

void mm2_heartbeat_clear(mm2_heartbeat *hb)
{
    free(hb->source_alias);
    free(hb->target_alias);
    memset(hb, 0, sizeof(*hb));
}

void mm2_checkpoint_clear(mm2_checkpoint *cp)
{
    free(cp->group);
    free(cp->topic);
    free(cp->metadata);
    memset(cp, 0, sizeof(*cp));
}

bool mm2_checkpoints_topic(const char *source_alias, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "%s%s", source_alias, MM2_CHECKPOINTS_TOPIC_SUFFIX);
    return n >= 0 && (size_t)n < buflen;
}
