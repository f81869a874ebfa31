/* response.h — one encoded response waiting to be sent.
 *
 * Owns the response's bytes (an st_buf) and its file splices: ranges of
 * segment files that are sent with sendfile(2) at given positions inside the
 * byte stream, so record data on the fetch path never passes through user
 * space. Each splice holds a release callback (the segment reference) that
 * runs when the response is freed. */
#ifndef STRAIT_BROKER_RESPONSE_H
#define STRAIT_BROKER_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"

typedef struct response_splice {
    size_t at;          /* position in bytes where the file range goes */
    int fd;
    off_t file_offset;
    size_t length;
    void (*release)(void *ctx);
    void *release_ctx;
} response_splice;

typedef struct response {
    struct response *next;
    st_buf bytes;
    response_splice *splices;
    size_t splice_count;
    size_t splice_cap;
    /* Send progress: the piece being sent and bytes of it already sent. */
    size_t piece;
    size_t piece_done;
} response;

response *response_new(void);
void response_free(response *r);
/* Adds a file range at the current end of bytes. Returns -1 on allocation
 * failure (the release callback has then already been called). */
int response_add_splice(response *r, int fd, off_t offset, size_t length,
                        void (*release)(void *), void *release_ctx);
/* Total bytes on the wire: bytes + every splice. */
size_t response_total_size(const response *r);

/* Pieces alternate between byte ranges and splices, in wire order. */
typedef struct response_piece {
    const uint8_t *mem; /* NULL for a file piece */
    size_t length;
    int fd;
    off_t file_offset;
} response_piece;

/* The index-th piece; returns 0 when there is no such piece. */
int response_get_piece(const response *r, size_t index, response_piece *out);

#endif
