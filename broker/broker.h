/* broker.h — the broker: everything one strait-broker process holds.
 *
 * Owns the event loop, the listener, the logger, the cluster identity and
 * the state the request handlers share. One loop thread runs all of it, so
 * nothing here is locked; what must run off the loop says so where it is. */
#ifndef STRAIT_BROKER_BROKER_H
#define STRAIT_BROKER_BROKER_H

#include <ev.h>
#include <stdint.h>

#include "broker/listener.h"
#include "common/logging.h"

typedef struct broker {
    struct ev_loop *loop;
    st_logger logger;
    listener listener;
} broker;

/* Milliseconds since the epoch, from the loop's clock. */
int64_t broker_now_ms(const broker *b);

#endif
