/* connection.h — one client connection on the broker's event loop.
 *
 * Owns the socket, the input buffer and the queue of responses. Framing:
 * int32 size then the frame; a size above max_request_bytes (or negative)
 * closes the connection and is logged. Requests are handed to on_frame one at
 * a time and in order: the next frame is not dispatched until the current
 * request is finished (connection_send / connection_finish), as Kafka does,
 * so responses go out in request order. A connection is reference counted:
 * whoever keeps a pointer across event-loop turns (a delayed fetch) holds a
 * reference; after close, sends are dropped and the memory lives until the
 * last reference goes. This file never interprets frame contents. */
#ifndef STRAIT_BROKER_CONNECTION_H
#define STRAIT_BROKER_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/response.h"
#include "common/logging.h"

struct ev_loop;
typedef struct connection connection;

typedef struct connection_hooks {
    /* A complete frame: block holds the int32 size prefix, then the len
     * frame bytes; the callee owns block (free()). */
    void (*on_frame)(void *ctx, connection *c, uint8_t *block, size_t len);
    /* The connection closed (before its memory is released). */
    void (*on_close)(void *ctx, connection *c);
    void *ctx;
} connection_hooks;

typedef struct connection_limits {
    size_t max_request_bytes;   /* socket.request.max.bytes */
    size_t max_queued_output;   /* stop dispatching while more is queued */
} connection_limits;

connection *connection_new(struct ev_loop *loop, int fd, uint64_t id, const char *peer,
                           const connection_limits *limits, const connection_hooks *hooks,
                           const st_logger *logger);
void connection_ref(connection *c);
void connection_unref(connection *c);

/* Queues the response of the current request (ownership passes) and lets the
 * next request in. */
void connection_send(connection *c, response *r);
/* Finishes the current request without a response (acks=0 produce). */
void connection_finish(connection *c);
/* Closes now; queued output is dropped. */
void connection_close(connection *c, const char *reason);

bool connection_is_open(const connection *c);
/* Whether a request is being handled or a response is still being sent. */
bool connection_busy(const connection *c);
const char *connection_peer(const connection *c);
uint64_t connection_id(const connection *c);

#endif
