/* protocol_fill.h — test helpers: fill any generated message with
 * pseudo-random values valid for one version, and compare two messages
 * field by field, driven by the codec's descriptions. Test-only. */
#ifndef STRAIT_TEST_PROTOCOL_FILL_H
#define STRAIT_TEST_PROTOCOL_FILL_H

#include <stdbool.h>
#include <stdint.h>
#include "common/protocol/codec.h"

typedef struct fill_rng {
    uint64_t state;
} fill_rng;

uint64_t fill_next(fill_rng *rng);

/* obj must hold m->root->size bytes; arrays and strings come from arena. */
void fill_message(const kp_message *m, void *obj, int16_t version, fill_rng *rng,
                  st_arena *arena);

/* Deep equality of every field, whatever the version. On a difference,
 * *where names the first differing field. */
bool messages_equal(const kp_struct *s, const void *a, const void *b, const char **where);

/* The bytes one element of an array field of fd's type takes in a decoded
 * message. */
size_t protocol_item_size(const kp_field *fd);

#endif
