/* buf.h — a growable byte buffer.
 *
 * Owns its heap block: st_buf_free releases it. Appends never abort; on
 * allocation failure the buffer records ST_ERR_NOMEM (sticky) and ignores
 * further appends, so a writer can check once at the end. */
#ifndef STRAIT_BUF_H
#define STRAIT_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

typedef struct st_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    st_err err;
} st_buf;

void st_buf_init(st_buf *b);
void st_buf_free(st_buf *b);
void st_buf_reset(st_buf *b);                 /* len = 0, keeps the block */
int st_buf_reserve(st_buf *b, size_t extra);  /* 0 or -1 (err set) */
void st_buf_append(st_buf *b, const void *p, size_t n);
void st_buf_append_byte(st_buf *b, uint8_t v);
/* Reserve n bytes at the end and return a pointer to them (NULL on failure). */
uint8_t *st_buf_extend(st_buf *b, size_t n);

#endif
