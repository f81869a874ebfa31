/* dispatch.h — from a request frame to its handler.
 *
 * Owns the decisions taken before any handler runs: decoding the frame,
 * answering unknown or unsupported API versions (UNSUPPORTED_VERSION, and
 * the v0 fallback answer for a too-new ApiVersions request), and closing the
 * connection on a frame that does not decode, with a log line naming the
 * API, version, peer and field. */
#ifndef STRAIT_BROKER_DISPATCH_H
#define STRAIT_BROKER_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "broker/connection.h"

struct broker;

/* Takes ownership of block: the size prefix, then len frame bytes. */
void dispatch_frame(struct broker *b, connection *c, uint8_t *block, size_t len);

#endif
