/* buf.c — growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void st_buf_init(st_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void st_buf_free(st_buf *b)
{
    free(b->data);
    st_buf_init(b);
}

void st_buf_reset(st_buf *b)
{
    b->len = 0;
    b->err = ST_OK;
}

int st_buf_reserve(st_buf *b, size_t extra)
{
    if (b->err)
        return -1;
    if (b->data && extra <= b->cap - b->len)
        return 0; /* (an empty buffer allocates even for 0 bytes: never NULL + 0) */
    if (extra > SIZE_MAX / 2 - b->len) {
        b->err = ST_ERR_NOMEM;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->err = ST_ERR_NOMEM;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

uint8_t *st_buf_extend(st_buf *b, size_t n)
{
    if (st_buf_reserve(b, n) != 0)
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

void st_buf_append(st_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    uint8_t *dst = st_buf_extend(b, n);
    if (dst && n)
        memcpy(dst, p, n);
}

void st_buf_append_byte(st_buf *b, uint8_t v)
{
    uint8_t *dst = st_buf_extend(b, 1);
    if (dst)
        *dst = v;
}
