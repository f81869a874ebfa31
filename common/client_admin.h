/* client_admin.h — what the admin calls share (internal; the public calls
 * are kc_admin_* in kafka_client.h).
 *
 * Owns the blocking-operation frame every admin call runs in (adm_op): a
 * deadline, a count of requests in flight, a scratch arena for their
 * contexts, and the loop that runs the client until they are all answered.
 * Also the small helpers the admin files share: copying strings out of a
 * response into the caller's arena, error texts, the first-error rule, and
 * the group-coordinator round trip.
 *
 * Never keeps anything beyond one call: an adm_op lives on the stack of a
 * kc_admin_* function and is ended before it returns. Never returns from
 * adm_wait while a callback that points into the frame is still due. */
#ifndef STRAIT_CLIENT_ADMIN_H
#define STRAIT_CLIENT_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/kafka_client.h"
#include "common/wire.h"

typedef struct adm_op {
    kc_client *client;
    int64_t deadline_ms;         /* monotonic */
    int pending;                 /* requests whose callback has not run yet */
    st_arena scratch;            /* per-request contexts; freed by adm_end */
} adm_op;

/* Called once per request with its response (resp->err set on failure);
 * index says which item of the caller's the request was about. */
typedef void (*adm_handler)(void *ctx, size_t index, const kc_response *resp);

/* Starts an operation: KC_ERR_STATE from inside a callback of the client. */
kc_err adm_begin(adm_op *op, kc_client *client, int timeout_ms);
void adm_end(adm_op *op);
/* adm_begin, then n + 1 zeroed items of size bytes in arena (the caller's).
 * NULL on failure, with *err set and the operation already ended. */
void *adm_begin_items(adm_op *op, kc_client *client, int timeout_ms, st_arena *arena, size_t n,
                      size_t size, kc_err *err);
/* Milliseconds left before the deadline (at least 1). */
int32_t adm_remaining(const adm_op *op);
bool adm_expired(const adm_op *op);

/* Sends one request (opts may be NULL; its timeout_ms is set to what is
 * left of the operation). The handler runs exactly once: later from the
 * loop, or right away with an error response when the request could not
 * even be queued. */
void adm_send(adm_op *op, kc_target target, int16_t api_key, const void *request,
              const kc_request_opts *opts, adm_handler handler, void *ctx, size_t index);
/* Runs the client's loop until every request sent so far was answered. */
void adm_wait(adm_op *op);
/* Runs the loop for about ms (retry backoff), never past the deadline. */
void adm_pause(adm_op *op, int64_t ms);
/* The retry backoff for the n-th attempt (retry.backoff.ms doubling). */
int64_t adm_backoff(adm_op *op, int attempt);

/* A NUL-terminated copy of s in arena; NULL for the null slice (and on
 * allocation failure, which the callers treat like a missing value). */
char *adm_str(st_arena *arena, st_slice s);
/* A copy of a C string in arena (NULL stays NULL). */
char *adm_strdup(st_arena *arena, const char *s);
/* The broker's message when it sent one, else the error's name. */
const char *adm_err_text(st_arena *arena, kc_err err, st_slice message);

/* Whether the request failed as a whole: then *err is its error and
 * errstr (errlen bytes, the caller's) its message; both untouched when not. */
bool adm_request_failed(const kc_response *resp, kc_err *err, char *errstr, size_t errlen);

/* Whether an answer about one item leaves nothing to read: the request
 * failed (*err its error, *message its text copied into arena) or the
 * answer lists count < 1 items (KC_ERR_BAD_RESPONSE with empty_message, a
 * static string). Pass count 0 when resp->err is set (no body then). */
bool adm_no_item(st_arena *arena, const kc_response *resp, int32_t count,
                 const char *empty_message, kc_err *err, const char **message);

/* The first failed item of results[0..n) as the call's result, with
 * "<what> '<name>': <message>" as the client's last error. */
kc_err adm_first_error(kc_client *client, const kc_admin_result *results, size_t n,
                       const char *what);
/* Fills results[0..n) (names from names[]) with err/message. */
void adm_fill_results(kc_admin_result *results, size_t n, kc_err err, const char *message);

/* Where controller requests go: the controller when the metadata names
 * one, else any broker (KRaft brokers forward them; NOT_CONTROLLER answers
 * are retried after a metadata refresh). Never waits for a controller a
 * cluster may not have. */
kc_target adm_controller(kc_client *client);

/* Whether a group-level error means "ask FindCoordinator again". */
bool adm_coordinator_moved(int16_t code);

/* The coordinator of group: blocking FindCoordinator (retried while the
 * coordinator is loading or not available) until the operation's deadline.
 * node/host/port of the answer; host is copied into arena (may be NULL). */
kc_err adm_find_coordinator(adm_op *op, const char *group, st_arena *arena, int32_t *node,
                            const char **host, int32_t *port, char *errstr, size_t errlen);

/* The group-level error code of a response body (for adm_group_call). */
typedef int16_t (*adm_group_error_fn)(const void *body, int16_t version);

/* Sends request to group's coordinator and waits; while group_error says
 * the coordinator moved or is loading, looks it up again and resends,
 * until the deadline. The handler sees the final response only. Returns
 * the coordinator used (-1 when none was found). */
int32_t adm_group_call(adm_op *op, const char *group, int16_t api_key, const void *request,
                       const kc_request_opts *opts, adm_group_error_fn group_error,
                       adm_handler handler, void *ctx, size_t index);

#endif
