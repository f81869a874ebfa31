/* client_core.h — the kc_client object and what its parts share (internal).
 *
 * Owns the client's event loop (its own or the caller's), its connections
 * (bootstrap servers and the brokers the metadata lists, found by node id),
 * the housekeeping timer, time, logging, and the hooks through which layers
 * above the core (the producer; later the consumer) hear that something
 * changed: a connection became ready or went down, metadata arrived, the
 * housekeeping tick. The request router (client_request.c) and the metadata
 * cache (client_metadata.c) keep their state inside kc_client. */
#ifndef STRAIT_CLIENT_CORE_H
#define STRAIT_CLIENT_CORE_H

#include <ev.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/client_config.h"
#include "common/client_connection.h"
#include "common/client_metadata.h"
#include "common/client_request.h"
#include "common/kafka_client.h"

#define KC_MAX_BOOTSTRAP 64
#define KC_MAX_HOOKS 4
#define KC_TICK_MS 100

/* Why a hook runs. */
typedef enum kc_event {
    KC_EV_TICK,        /* every KC_TICK_MS */
    KC_EV_CONN_READY,  /* conn is ready for requests */
    KC_EV_CONN_DOWN,   /* conn closed (its requests already failed) */
    KC_EV_METADATA,    /* the metadata cache changed */
} kc_event;

typedef void (*kc_hook_fn)(void *ctx, kc_event ev, kc_conn *conn);

typedef struct kc_hook {
    kc_hook_fn fn;
    void *ctx;
} kc_hook;

struct kc_client {
    kc_config *conf;             /* owned copy */
    struct ev_loop *loop;
    bool own_loop;
    const char *role;            /* "client", "producer": log component */

    kc_conn **conns;             /* bootstrap servers first, then brokers */
    size_t conn_count;
    size_t conn_cap;
    size_t any_rotation;         /* round robin for KC_TARGET_ANY */
    char last_conn_error[384];   /* the most recent connection failure */

    kc_metadata md;
    kc_calls calls;

    ev_timer tick;
    ev_timer wake;               /* ends kc_client_poll's wait */
    kc_hook hooks[KC_MAX_HOOKS];
    int callback_depth;          /* > 0 while a user callback runs */
    bool destroying;
    uint64_t rng;
    char last_error[512];
};

/* Monotonic milliseconds, for deadlines. */
int64_t kc_now_ms(void);
/* Wall-clock milliseconds since the epoch, for record timestamps. */
int64_t kc_wallclock_ms(void);

/* Logging through conf->logger with the client's role as component. */
void kc_log(const kc_client *c, st_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets c->last_error and returns err. */
kc_err kc_fail(kc_client *c, kc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a client-level error through error_cb (when set). */
void kc_report_error(kc_client *c, kc_err err, const char *msg);

/* The connection of node_id, or NULL. */
kc_conn *kc_client_conn(kc_client *c, int32_t node_id);
/* Adds or updates a broker from Metadata. NULL on allocation failure. */
kc_conn *kc_client_upsert_node(kc_client *c, int32_t node_id, const char *host, int port,
                               const char *rack);
/* A random 64-bit value from the client's own generator. */
uint64_t kc_client_random(kc_client *c);
/* Exponential backoff: base * 2^(attempts-1), at most max, with +-20% jitter. */
int64_t kc_backoff_ms(kc_client *c, int32_t base, int32_t max, int attempts);

/* Hooks (at most KC_MAX_HOOKS). */
bool kc_client_add_hook(kc_client *c, kc_hook_fn fn, void *ctx);
void kc_client_remove_hook(kc_client *c, kc_hook_fn fn, void *ctx);
void kc_client_notify(kc_client *c, kc_event ev, kc_conn *conn);

/* Called by client_connection.c. */
void kc_client_conn_ready(kc_client *c, kc_conn *conn);
void kc_client_conn_down(kc_client *c, kc_conn *conn, kc_err err, const char *why);

/* kc_client_new with the component name its log lines carry ("producer"). */
kc_client *kc_client_new_role(const kc_config *conf, struct ev_loop *loop, const char *role,
                              char *errstr, size_t errlen);

/* Runs the loop once, waiting at most timeout_ms (0 = no wait). */
void kc_client_run_once(kc_client *c, int64_t timeout_ms);

#endif
