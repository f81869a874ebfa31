/* client_connection.h — one TCP connection to one broker (internal).
 *
 * Owns the socket of one node: non-blocking connect with a setup timeout,
 * the ApiVersions handshake (with the v0 fallback answer), the write queue of
 * encoded request frames, the in-flight queue (responses come back in request
 * order and are matched by correlation id), response framing bounded by
 * receive.message.max.bytes, per-request timeouts (an expired request closes
 * the connection, as in Kafka's clients, since later responses cannot
 * overtake it), and reconnect backoff.
 *
 * Every conn_req handed to conn_send completes exactly once through its done
 * function: with the decoded response, or with an error when the connection
 * fails, times out or is freed. req->sent says whether any byte reached the
 * socket (a request never sent may always be retried). A connection never
 * decides what to retry: its users do (client_request.c, the producer).
 *
 * A kc_conn lives as long as its client; closing it only resets its state,
 * so pointers to it stay valid. */
#ifndef STRAIT_CLIENT_CONNECTION_H
#define STRAIT_CLIENT_CONNECTION_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/kafka_client.h"
#include "common/protocol/frame.h"

#define KC_API_KEY_LIMIT 128 /* API keys tracked per broker: 0..127 */

typedef enum conn_state {
    CONN_DOWN,       /* no socket; may reconnect after reconnect_at */
    CONN_CONNECTING, /* connect() in progress */
    CONN_HANDSHAKE,  /* connected, ApiVersions in flight */
    CONN_READY,      /* requests may be sent */
} conn_state;

typedef struct conn_req conn_req;
typedef struct kc_conn kc_conn;

/* body: the decoded response struct (in req->arena) when err == KC_OK and
 * the request expects a response; NULL otherwise. */
typedef void (*conn_done_fn)(conn_req *req, kc_err err, const char *errstr, void *body);

struct conn_req {
    conn_req *next;
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    st_buf frame;          /* the size-prefixed request frame */
    size_t written;
    bool expect_response;  /* false only for Produce with acks=0 */
    bool sent;             /* at least one byte was written */
    int32_t timeout_ms;    /* from queueing to the response */
    int64_t deadline_ms;
    conn_done_fn done;
    void *ctx;
    int32_t node_id;       /* where it went */
    st_arena arena;        /* the decoded response lives here */
};

struct kc_conn {
    kc_client *client;
    int32_t node_id;       /* < 0 for bootstrap servers */
    char *host;
    int port;
    char *rack;
    char name[320];        /* "node 1 (host:port)", for messages */
    bool bootstrap;
    bool in_metadata;      /* listed by the last Metadata response */

    conn_state state;
    int fd;
    ev_io io;
    ev_timer timer;
    int io_events;
    uint64_t generation;   /* +1 at each close: stale callbacks can tell */
    int64_t connect_deadline_ms;
    int64_t reconnect_at_ms;
    int failures;          /* connection attempts failed in a row */
    unsigned addr_rotation;/* which resolved address to try next */
    char last_error[384];

    conn_req *wq_head, *wq_tail;       /* to write; the head may be partly written */
    conn_req *ifl_head, *ifl_tail;     /* written, awaiting their response */
    size_t queued;                     /* requests in both queues */
    int32_t next_correlation_id;
    st_buf rbuf;                       /* received bytes not yet framed */

    bool have_versions;
    kp_versions versions[KC_API_KEY_LIMIT]; /* the broker's ranges; min > max = absent */
};

kc_conn *conn_new(kc_client *client, int32_t node_id, const char *host, int port,
                  bool bootstrap);
/* Fails everything queued with KC_ERR_DESTROYED and frees the connection. */
void conn_free(kc_conn *conn);
/* Changes the address (closing the connection when it differs). */
kc_err conn_set_address(kc_conn *conn, const char *host, int port, const char *rack);

/* Starts connecting when DOWN and the reconnect backoff has passed. True
 * when the connection is ready or on its way. */
bool conn_connect(kc_conn *conn);
static inline bool conn_is_ready(const kc_conn *conn)
{
    return conn->state == CONN_READY;
}
/* Closes the socket and fails every queued request with err/why. */
void conn_close(kc_conn *conn, kc_err err, const char *why);
/* Closes a ready connection that has nothing queued, quietly (no error, no
 * backoff): a bootstrap connection once the brokers are known. */
void conn_close_idle(kc_conn *conn);

/* The highest version of api_key usable with this broker within
 * [min_version, max_version] (max -1 = any) and the codec's range; -1 with a
 * message in why (e.g. "Metadata is not supported by this broker (node 1
 * (h:p))") when there is none. The connection must be ready. */
int16_t conn_pick_version(const kc_conn *conn, int16_t api_key, int16_t min_version,
                          int16_t max_version, char *why, size_t whylen);

/* A request encoded at version (header with client_id), ready for
 * conn_send; NULL on encoding/allocation failure (why says which). */
conn_req *conn_req_new(int16_t api_key, int16_t version, const void *body, const char *client_id,
                       char *why, size_t whylen);
void conn_req_free(conn_req *req);

/* Queues req (taking ownership) and starts writing. The connection must be
 * ready (KC_ERR_STATE otherwise, req untouched). req->done and ctx must be
 * set; timeout_ms 0 means request.timeout.ms. */
kc_err conn_send(kc_conn *conn, conn_req *req);

#endif
