/* client_clone.h — deep copies of generated protocol structs (internal).
 *
 * Owns copying any message struct of common/protocol/messages.h, with every
 * array, nested struct, string and byte slice it points to, into one arena,
 * driven by the codec's description tables (kp_struct). kc_client_send uses
 * it so that callers may drop their request right after the call. Never
 * reads past a slice's length or an array's count; a count < 0 (null) is
 * kept as null. */
#ifndef STRAIT_CLIENT_CLONE_H
#define STRAIT_CLIENT_CLONE_H

#include "common/arena.h"
#include "common/err.h"
#include "common/protocol/codec.h"

/* Copies src (a struct described by s) into dst, allocating everything it
 * points to from arena. dst must have s->size bytes. ST_ERR_NOMEM on
 * allocation failure (dst is then partly filled and must not be used). */
st_err kc_clone_struct(const kp_struct *s, void *dst, const void *src, st_arena *arena);

#endif
