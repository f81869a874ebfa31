/* listener.h — a listening TCP socket that turns accepted sockets into
 * connections on the event loop.
 *
 * Owns the listening fd and the connection id counter. Each accepted socket
 * is made non-blocking with TCP_NODELAY and handed to connection_new with
 * the hooks and limits given here; the listener keeps no list of
 * connections (their owner does, through the hooks). */
#ifndef STRAIT_BROKER_LISTENER_H
#define STRAIT_BROKER_LISTENER_H

#include <ev.h>
#include <stdint.h>

#include "broker/connection.h"
#include "common/err.h"

typedef struct listener {
    struct ev_loop *loop;
    ev_io watcher;
    int fd;
    int port;                  /* the bound port (useful with port 0) */
    uint64_t next_id;
    connection_limits limits;
    connection_hooks hooks;
    const st_logger *logger;
    /* Called for each accepted connection (may be NULL). */
    void (*on_accept)(void *ctx, connection *c);
} listener;

/* Binds host:port (host "" or NULL = all interfaces). On failure errbuf says why. */
st_err listener_start(listener *l, struct ev_loop *loop, const char *host, int port,
                      const connection_limits *limits, const connection_hooks *hooks,
                      const st_logger *logger, char *errbuf, size_t errlen);
/* Stops accepting and closes the listening socket. */
void listener_stop(listener *l);

#endif
