/* provenance.c — the strait.origin / strait.source headers (see
 * provenance.h). No allocation; never keeps pointers beyond a call. */
#include "mirror/provenance.h"

#include <stdio.h>
#include <string.h>

static bool header_is(const kc_header *h, const char *name)
{
    return strcmp(h->key, name) == 0;
}

const char *provenance_origin(const kc_header *headers, size_t count, size_t *len)
{
    for (size_t i = 0; i < count; i++) {
        if (header_is(&headers[i], PROVENANCE_ORIGIN) && headers[i].value) {
            *len = headers[i].value_len;
            return headers[i].value;
        }
    }
    *len = 0;
    return NULL;
}

/* Parses a decimal integer of [p, end); false unless it is all digits. */
static bool parse_number(const char *p, const char *end, int64_t max, int64_t *out)
{
    if (p == end || end - p > 19)
        return false;
    int64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static bool parse_source(const char *text, size_t len, provenance_source *out)
{
    const char *end = text + len, *fields[4];
    size_t field_len[4];
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        const char *colon = i < 3 ? memchr(p, ':', (size_t)(end - p)) : end;
        if (!colon || colon == p)
            return false;
        fields[i] = p;
        field_len[i] = (size_t)(colon - p);
        p = colon + 1;
    }
    int64_t partition, offset;
    if (!parse_number(fields[2], fields[2] + field_len[2], INT32_MAX, &partition) ||
        !parse_number(fields[3], fields[3] + field_len[3], INT64_MAX, &offset))
        return false;
    out->cluster_id = fields[0];
    out->cluster_id_len = field_len[0];
    out->topic = fields[1];
    out->topic_len = field_len[1];
    out->partition = (int32_t)partition;
    out->offset = offset;
    return true;
}

bool provenance_find_source(const kc_header *headers, size_t count, provenance_source *out)
{
    for (size_t i = 0; i < count; i++) {
        if (header_is(&headers[i], PROVENANCE_SOURCE) && headers[i].value)
            return parse_source(headers[i].value, headers[i].value_len, out);
    }
    return false;
}

bool provenance_source_is(const provenance_source *src, const char *cluster_id,
                          const char *topic, int32_t partition)
{
    return src->partition == partition && strlen(cluster_id) == src->cluster_id_len &&
           memcmp(src->cluster_id, cluster_id, src->cluster_id_len) == 0 &&
           strlen(topic) == src->topic_len && memcmp(src->topic, topic, src->topic_len) == 0;
}

/* Appends the decimal digits of v (>= 0) at p; returns the end. */
static char *put_digits(char *p, uint64_t v)
{
    char tmp[20];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *p++ = tmp[--k];
    return p;
}

/* "<cluster>:<topic>:<partition>:<offset>" into buf (NUL-terminated) without
 * printf (this runs once per mirrored record); -1 when it does not fit. */
static int format_source(char *buf, size_t buflen, const char *cluster_id, const char *topic,
                         int32_t partition, int64_t offset)
{
    size_t cl = strlen(cluster_id), tl = strlen(topic);
    if (partition < 0 || offset < 0 || cl + tl + 2 + 11 + 1 + 20 + 1 > buflen)
        return -1;
    char *p = buf;
    memcpy(p, cluster_id, cl);
    p += cl;
    *p++ = ':';
    memcpy(p, topic, tl);
    p += tl;
    *p++ = ':';
    p = put_digits(p, (uint64_t)partition);
    *p++ = ':';
    p = put_digits(p, (uint64_t)offset);
    *p = '\0';
    return (int)(p - buf);
}

size_t provenance_headers(const kc_header *headers, size_t count, const char *source_cluster_id,
                          const char *topic, int32_t partition, int64_t offset,
                          char *source_buf, size_t source_buflen, kc_header *out)
{
    int n = format_source(source_buf, source_buflen, source_cluster_id, topic, partition, offset);
    if (n < 0)
        return 0;
    size_t origin_len;
    const char *origin = provenance_origin(headers, count, &origin_len);
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        if (!header_is(&headers[i], PROVENANCE_ORIGIN) && !header_is(&headers[i], PROVENANCE_SOURCE))
            out[k++] = headers[i];
    }
    out[k++] = (kc_header){
        .key = PROVENANCE_ORIGIN,
        .value = origin ? origin : source_cluster_id,
        .value_len = origin ? origin_len : strlen(source_cluster_id),
    };
    out[k++] = (kc_header){.key = PROVENANCE_SOURCE, .value = source_buf, .value_len = (size_t)n};
    return k;
}
