/* client_request.h — routing generic requests to brokers (internal; the
 * public call is kc_client_send in kafka_client.h).
 *
 * Owns the calls waiting for a target: a copy of the request body, the
 * target (node, partition leader, controller, any broker), the deadline and
 * retry state. A call waits for metadata and a ready connection, picks the
 * version, sends, and completes its callback exactly once: with the decoded
 * response, or with an error when the deadline passes, the broker lacks the
 * API, or (once written) the connection fails and the call may not be
 * resent. */
#ifndef STRAIT_CLIENT_REQUEST_H
#define STRAIT_CLIENT_REQUEST_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/kafka_client.h"

typedef struct kc_call kc_call;

typedef struct kc_calls {
    kc_call *head;
    kc_call *tail;
    size_t count;
    bool running;    /* kc_calls_run is on the stack */
    bool rerun;      /* something changed while it ran */
    ev_timer kick;   /* runs new calls on the next loop iteration */
    bool kick_ready;
} kc_calls;

typedef struct kc_client kc_client;

void kc_calls_init(kc_calls *calls);
/* Completes every call with KC_ERR_DESTROYED. */
void kc_calls_destroy(kc_client *c);
/* Moves every waiting call forward: sends what can be sent, fails what
 * expired. Safe to call at any time (re-entrant calls are folded). */
void kc_calls_run(kc_client *c);
/* Stops the watcher the calls use (before the loop goes away). */
void kc_calls_stop(kc_client *c);

#endif
