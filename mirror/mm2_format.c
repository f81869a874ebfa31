/* mm2_format.c — MirrorMaker 2's Heartbeat and Checkpoint record formats
 * (see mm2_format.h for the layout). Builds bytes with the wire.h writers
 * and reads them with its bounds-checked reader; never keeps a pointer to
 * the caller's input beyond a call. */
#include "mirror/mm2_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/wire.h"

/* ---- Encoding ------------------------------------------------------------------------- */

/* Writes one non-null STRING field; false (errbuf set) when it cannot be. */
static bool put_string(st_buf *b, const char *record, const char *field, const char *s,
                       st_err *err, char *errbuf, size_t errlen)
{
    if (!s) {
        snprintf(errbuf, errlen, "%s: %s is null (MM2 strings are never null)", record, field);
        *err = ST_ERR_MALFORMED;
        return false;
    }
    size_t n = strlen(s);
    if (n > MM2_STRING_MAX) {
        snprintf(errbuf, errlen, "%s: %s is %zu bytes (at most %d)", record, field, n,
                 MM2_STRING_MAX);
        *err = ST_ERR_TOO_LARGE;
        return false;
    }
    st_write_string(b, st_slice_from(s, n));
    return true;
}

/* Hands the buffer to the caller, or frees it on failure. */
static st_err finish(st_buf *b, st_err err, const char *record, uint8_t **out, size_t *len,
                     char *errbuf, size_t errlen)
{
    if (!err && b->err) {
        err = b->err;
        snprintf(errbuf, errlen, "%s: %s while encoding", record, st_err_name(err));
    }
    if (err) {
        st_buf_free(b);
        *out = NULL;
        *len = 0;
        return err;
    }
    *out = b->data; /* malloc'd by st_buf: the caller frees it */
    *len = b->len;
    return ST_OK;
}

st_err mm2_heartbeat_key_encode(const char *source_alias, const char *target_alias,
                                uint8_t **out, size_t *len, char *errbuf, size_t errlen)
{
    const char *what = "heartbeat key";
    st_buf b;
    st_buf_init(&b);
    st_err err = ST_OK;
    if (put_string(&b, what, "sourceClusterAlias", source_alias, &err, errbuf, errlen))
        put_string(&b, what, "targetClusterAlias", target_alias, &err, errbuf, errlen);
    return finish(&b, err, what, out, len, errbuf, errlen);
}

st_err mm2_heartbeat_value_encode(int64_t timestamp_ms, uint8_t **out, size_t *len,
                                  char *errbuf, size_t errlen)
{
    st_buf b;
    st_buf_init(&b);
    st_write_i16(&b, MM2_FORMAT_VERSION);
    st_write_i64(&b, timestamp_ms);
    return finish(&b, ST_OK, "heartbeat value", out, len, errbuf, errlen);
}

st_err mm2_checkpoint_key_encode(const char *group, const char *topic, int32_t partition,
                                 uint8_t **out, size_t *len, char *errbuf, size_t errlen)
{
    const char *what = "checkpoint key";
    st_buf b;
    st_buf_init(&b);
    st_err err = ST_OK;
    if (put_string(&b, what, "group", group, &err, errbuf, errlen) &&
        put_string(&b, what, "topic", topic, &err, errbuf, errlen))
        st_write_i32(&b, partition);
    return finish(&b, err, what, out, len, errbuf, errlen);
}

st_err mm2_checkpoint_value_encode(int64_t upstream_offset, int64_t downstream_offset,
                                   const char *metadata, uint8_t **out, size_t *len,
                                   char *errbuf, size_t errlen)
{
    const char *what = "checkpoint value";
    st_buf b;
    st_buf_init(&b);
    st_err err = ST_OK;
    st_write_i16(&b, MM2_FORMAT_VERSION);
    st_write_i64(&b, upstream_offset);
    st_write_i64(&b, downstream_offset);
    put_string(&b, what, "metadata", metadata ? metadata : "", &err, errbuf, errlen);
    return finish(&b, err, what, out, len, errbuf, errlen);
}

/* ---- Decoding ------------------------------------------------------------------------- */

/* Reads one STRING field into a malloc'd C string (NULL on failure, errbuf
 * set, *err the first error). Stops at the reader's first error. */
static char *get_string(st_reader *r, const char *record, const char *field, st_err *err,
                        char *errbuf, size_t errlen)
{
    if (*err)
        return NULL;
    if (st_reader_left(r) >= 2 && st_get_i16(r->p) < 0) {
        snprintf(errbuf, errlen, "%s: %s has negative length %d", record, field,
                 st_get_i16(r->p));
        *err = ST_ERR_MALFORMED;
        return NULL;
    }
    st_slice s = st_read_string(r);
    if (r->err) {
        snprintf(errbuf, errlen, "%s: truncated in %s", record, field);
        *err = ST_ERR_TRUNCATED;
        return NULL;
    }
    if (s.len > 0 && memchr(s.ptr, 0, (size_t)s.len)) {
        snprintf(errbuf, errlen, "%s: %s contains a NUL byte", record, field);
        *err = ST_ERR_MALFORMED;
        return NULL;
    }
    char *copy = malloc((size_t)s.len + 1);
    if (!copy) {
        snprintf(errbuf, errlen, "%s: out of memory for %s", record, field);
        *err = ST_ERR_NOMEM;
        return NULL;
    }
    if (s.len > 0)
        memcpy(copy, s.ptr, (size_t)s.len);
    copy[s.len] = '\0';
    return copy;
}

/* Fixed-width big-endian fields; skipped after an earlier error. */
static int64_t get_i64(st_reader *r, const char *record, const char *field, st_err *err,
                       char *errbuf, size_t errlen)
{
    if (*err)
        return 0;
    int64_t v = st_read_i64(r);
    if (r->err) {
        snprintf(errbuf, errlen, "%s: truncated in %s", record, field);
        *err = ST_ERR_TRUNCATED;
    }
    return v;
}

static int32_t get_i32(st_reader *r, const char *record, const char *field, st_err *err,
                       char *errbuf, size_t errlen)
{
    if (*err)
        return 0;
    int32_t v = st_read_i32(r);
    if (r->err) {
        snprintf(errbuf, errlen, "%s: truncated in %s", record, field);
        *err = ST_ERR_TRUNCATED;
    }
    return v;
}

/* The value's version header: only version 0 exists. */
static void get_version(st_reader *r, const char *record, st_err *err, char *errbuf,
                        size_t errlen)
{
    int16_t version = st_read_i16(r);
    if (r->err) {
        snprintf(errbuf, errlen, "%s: truncated in version", record);
        *err = ST_ERR_TRUNCATED;
    } else if (version != MM2_FORMAT_VERSION) {
        snprintf(errbuf, errlen, "%s: version %d is not supported (only %d)", record, version,
                 MM2_FORMAT_VERSION);
        *err = ST_ERR_UNSUPPORTED;
    }
}

/* Bytes left after the last field are an error (a different layout). */
static void check_end(const st_reader *r, const char *record, st_err *err, char *errbuf,
                      size_t errlen)
{
    if (!*err && st_reader_left(r) > 0) {
        snprintf(errbuf, errlen, "%s: %zu bytes left after the last field", record,
                 st_reader_left(r));
        *err = ST_ERR_MALFORMED;
    }
}

static void replace(char **field, char *value)
{
    free(*field);
    *field = value;
}

st_err mm2_heartbeat_key_decode(const void *data, size_t len, mm2_heartbeat *hb, char *errbuf,
                                size_t errlen)
{
    const char *what = "heartbeat key";
    st_reader r;
    st_reader_init(&r, data, len);
    st_err err = ST_OK;
    char *source = get_string(&r, what, "sourceClusterAlias", &err, errbuf, errlen);
    char *target = get_string(&r, what, "targetClusterAlias", &err, errbuf, errlen);
    check_end(&r, what, &err, errbuf, errlen);
    if (err) {
        free(source);
        free(target);
        return err;
    }
    replace(&hb->source_alias, source);
    replace(&hb->target_alias, target);
    return ST_OK;
}

st_err mm2_heartbeat_value_decode(const void *data, size_t len, mm2_heartbeat *hb,
                                  char *errbuf, size_t errlen)
{
    const char *what = "heartbeat value";
    st_reader r;
    st_reader_init(&r, data, len);
    st_err err = ST_OK;
    get_version(&r, what, &err, errbuf, errlen);
    int64_t timestamp = get_i64(&r, what, "timestamp", &err, errbuf, errlen);
    check_end(&r, what, &err, errbuf, errlen);
    if (err)
        return err;
    hb->timestamp_ms = timestamp;
    return ST_OK;
}

st_err mm2_checkpoint_key_decode(const void *data, size_t len, mm2_checkpoint *cp,
                                 char *errbuf, size_t errlen)
{
    const char *what = "checkpoint key";
    st_reader r;
    st_reader_init(&r, data, len);
    st_err err = ST_OK;
    char *group = get_string(&r, what, "group", &err, errbuf, errlen);
    char *topic = get_string(&r, what, "topic", &err, errbuf, errlen);
    int32_t partition = get_i32(&r, what, "partition", &err, errbuf, errlen);
    check_end(&r, what, &err, errbuf, errlen);
    if (err) {
        free(group);
        free(topic);
        return err;
    }
    replace(&cp->group, group);
    replace(&cp->topic, topic);
    cp->partition = partition;
    return ST_OK;
}

st_err mm2_checkpoint_value_decode(const void *data, size_t len, mm2_checkpoint *cp,
                                   char *errbuf, size_t errlen)
{
    const char *what = "checkpoint value";
    st_reader r;
    st_reader_init(&r, data, len);
    st_err err = ST_OK;
    get_version(&r, what, &err, errbuf, errlen);
    int64_t upstream = get_i64(&r, what, "upstreamOffset", &err, errbuf, errlen);
    int64_t downstream = get_i64(&r, what, "offset", &err, errbuf, errlen);
    char *metadata = get_string(&r, what, "metadata", &err, errbuf, errlen);
    check_end(&r, what, &err, errbuf, errlen);
    if (err) {
        free(metadata);
        return err;
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
