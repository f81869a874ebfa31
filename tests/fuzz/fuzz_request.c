/* fuzz_request.c — libFuzzer target: any bytes as a request frame (without
 * the size prefix). Decoding must never crash or over-read; when it succeeds,
 * encoding the value and decoding it again must give an equal value. */
#include <stdlib.h>
#include <string.h>

#include "common/protocol/frame.h"
#include "tests/unit/protocol_fill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_arena arena;
    st_arena_init(&arena);
    kp_request req;
    if (kp_request_decode(&req, data, size, &arena, NULL) == ST_OK) {
        st_buf out;
        st_buf_init(&out);
        if (kp_request_encode(&req.header, req.body, &out) != ST_OK)
            abort();
        kp_request again;
        if (kp_request_decode(&again, out.data + 4, out.len - 4, &arena, NULL) != ST_OK)
            abort();
        const char *where = NULL;
        if (!messages_equal(req.api->request->root, req.body, again.body, &where))
            abort();
        st_buf_free(&out);
    }
    st_arena_free(&arena);
    return 0;
}
