/* response.c — encoded responses with file splices (see response.h). */
#include "broker/response.h"

#include <stdlib.h>

response *response_new(void)
{
    response *r = calloc(1, sizeof(*r));
    if (r)
        st_buf_init(&r->bytes);
    return r;
}

void response_free(response *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->splice_count; i++)
        if (r->splices[i].release)
            r->splices[i].release(r->splices[i].release_ctx);
    free(r->splices);
    st_buf_free(&r->bytes);
    free(r);
}

int response_add_splice(response *r, int fd, off_t offset, size_t length,
                        void (*release)(void *), void *release_ctx)
{
    if (r->splice_count == r->splice_cap) {
        size_t cap = r->splice_cap ? r->splice_cap * 2 : 8;
        response_splice *grown = realloc(r->splices, cap * sizeof(*grown));
        if (!grown) {
            if (release)
                release(release_ctx);
            return -1;
        }
        r->splices = grown;
        r->splice_cap = cap;
    }
    r->splices[r->splice_count++] =
        (response_splice){r->bytes.len, fd, offset, length, release, release_ctx};
    return 0;
}

size_t response_total_size(const response *r)
{
    size_t n = r->bytes.len;
    for (size_t i = 0; i < r->splice_count; i++)
        n += r->splices[i].length;
    return n;
}

/* Piece 2k is the byte range before splice k (or after the last one);
 * piece 2k+1 is splice k. */
int response_get_piece(const response *r, size_t index, response_piece *out)
{
    size_t k = index / 2;
    if (index % 2 == 1) {
        if (k >= r->splice_count)
            return 0;
        const response_splice *s = &r->splices[k];
        *out = (response_piece){NULL, s->length, s->fd, s->file_offset};
        return 1;
    }
    if (k > r->splice_count)
        return 0;
    size_t from = k == 0 ? 0 : r->splices[k - 1].at;
    size_t to = k < r->splice_count ? r->splices[k].at : r->bytes.len;
    *out = (response_piece){r->bytes.data + from, to - from, -1, 0};
    return 1;
}
