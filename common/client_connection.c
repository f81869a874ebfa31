/* client_connection.c — one TCP connection to one broker (see
 * client_connection.h).
 *
 * Never trusts a size from the wire: a response frame larger than
 * receive.message.max.bytes (or smaller than its correlation id) closes the
 * connection. Never blocks, except in getaddrinfo() for host names that are
 * not numeric addresses. Never raises SIGPIPE (MSG_NOSIGNAL). */
#include "common/client_connection.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/client_core.h"

#define READ_CHUNK 65536
#define API_VERSIONS_KEY 18

static void on_io(struct ev_loop *loop, ev_io *w, int revents);
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void send_api_versions(kc_conn *conn, int16_t version);

/* ---- requests ----------------------------------------------------------------- */

conn_req *conn_req_new(int16_t api_key, int16_t version, const void *body, const char *client_id,
                       char *why, size_t whylen)
{
    conn_req *req = calloc(1, sizeof(*req));
    if (!req) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    st_buf_init(&req->frame);
    st_arena_init(&req->arena);
    req->api_key = api_key;
    req->api_version = version;
    req->expect_response = true;
    req->node_id = -1;
    kp_request_header header;
    kp_request_header_init(&header);
    header.request_api_key = api_key;
    header.request_api_version = version;
    header.correlation_id = 0; /* patched by conn_send */
    header.client_id = st_slice_cstr(client_id);
    st_err err = kp_request_encode(&header, body, &req->frame);
    if (err) {
        const kp_api *api = kp_api_lookup(api_key);
        snprintf(why, whylen, "could not encode %s v%d request: %s", api ? api->name : "?",
                 version, st_err_name(err));
        conn_req_free(req);
        return NULL;
    }
    return req;
}

void conn_req_free(conn_req *req)
{
    if (!req)
        return;
    st_buf_free(&req->frame);
    st_arena_free(&req->arena);
    free(req);
}

static void complete(conn_req *req, kc_err err, const char *errstr, void *body)
{
    req->done(req, err, errstr ? errstr : "", body);
    conn_req_free(req);
}

static const char *api_name(int16_t key)
{
    const kp_api *api = kp_api_lookup(key);
    return api ? api->name : "unknown API";
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void set_name(kc_conn *conn)
{
    const char *open = strchr(conn->host, ':') ? "[" : "", *close = *open ? "]" : "";
    if (conn->bootstrap)
        snprintf(conn->name, sizeof(conn->name), "bootstrap server %s%s%s:%d", open, conn->host,
                 close, conn->port);
    else
        snprintf(conn->name, sizeof(conn->name), "node %d (%s%s%s:%d)", conn->node_id, open,
                 conn->host, close, conn->port);
}

kc_conn *conn_new(kc_client *client, int32_t node_id, const char *host, int port, bool bootstrap)
{
    kc_conn *conn = calloc(1, sizeof(*conn));
    if (!conn)
        return NULL;
    conn->host = strdup(host);
    if (!conn->host) {
        free(conn);
        return NULL;
    }
    conn->client = client;
    conn->node_id = node_id;
    conn->port = port;
    conn->bootstrap = bootstrap;
    conn->fd = -1;
    conn->state = CONN_DOWN;
    conn->next_correlation_id = 1;
    st_buf_init(&conn->rbuf);
    ev_init(&conn->io, on_io);
    conn->io.data = conn;
    ev_init(&conn->timer, on_timer);
    conn->timer.data = conn;
    set_name(conn);
    return conn;
}

static void fail_queue(conn_req *head, kc_err err, const char *why)
{
    while (head) {
        conn_req *next = head->next;
        head->next = NULL;
        complete(head, err, why, NULL);
        head = next;
    }
}

static void stop_socket(kc_conn *conn)
{
    struct ev_loop *loop = conn->client->loop;
    ev_io_stop(loop, &conn->io);
    ev_timer_stop(loop, &conn->timer);
    if (conn->fd >= 0)
        close(conn->fd);
    conn->fd = -1;
    conn->io_events = 0;
    conn->generation++;
    conn->have_versions = false;
    st_buf_reset(&conn->rbuf);
    if (conn->rbuf.cap > 4 * READ_CHUNK) {
        st_buf_free(&conn->rbuf);
        st_buf_init(&conn->rbuf);
    }
}

/* Takes both queues out of the connection, so that callbacks run on a
 * connection that is already consistent. */
static conn_req *detach_queues(kc_conn *conn)
{
    conn_req *head = conn->wq_head;
    if (conn->ifl_head) { /* in-flight requests were sent first */
        conn->ifl_tail->next = head;
        head = conn->ifl_head;
    }
    conn->wq_head = conn->wq_tail = conn->ifl_head = conn->ifl_tail = NULL;
    conn->queued = 0;
    return head;
}

void conn_free(kc_conn *conn)
{
    if (!conn)
        return;
    stop_socket(conn);
    conn->state = CONN_DOWN;
    fail_queue(detach_queues(conn), KC_ERR_DESTROYED, "the client was freed");
    st_buf_free(&conn->rbuf);
    free(conn->host);
    free(conn->rack);
    free(conn);
}

void conn_close(kc_conn *conn, kc_err err, const char *why)
{
    if (conn->state == CONN_DOWN)
        return;
    kc_client *c = conn->client;
    bool was_ready = conn->state == CONN_READY;
    snprintf(conn->last_error, sizeof(conn->last_error), "%s: %s", conn->name, why);
    stop_socket(conn);
    conn->state = CONN_DOWN;
    /* a working connection that broke reconnects after the base backoff */
    conn->failures = was_ready ? 1 : conn->failures + 1;
    conn->reconnect_at_ms = kc_now_ms() + kc_backoff_ms(c, c->conf->reconnect_backoff_ms,
                                                        c->conf->reconnect_backoff_max_ms,
                                                        conn->failures);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", conn->last_error);
    fail_queue(detach_queues(conn), err, msg);
    kc_client_conn_down(c, conn, err, msg);
}

void conn_close_idle(kc_conn *conn)
{
    if (conn->state != CONN_READY || conn->queued)
        return;
    kc_log(conn->client, ST_LOG_DEBUG, "closing idle %s", conn->name);
    stop_socket(conn);
    conn->state = CONN_DOWN;
    conn->failures = 0;
    conn->reconnect_at_ms = 0;
}

static void closef(kc_conn *conn, kc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void closef(kc_conn *conn, kc_err err, const char *fmt, ...)
{
    char why[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    conn_close(conn, err, why);
}

kc_err conn_set_address(kc_conn *conn, const char *host, int port, const char *rack)
{
    if (rack && (!conn->rack || strcmp(rack, conn->rack) != 0)) {
        char *copy = strdup(rack);
        if (!copy)
            return KC_ERR_NOMEM;
        free(conn->rack);
        conn->rack = copy;
    }
    if (strcmp(host, conn->host) == 0 && port == conn->port)
        return KC_OK;
    char *copy = strdup(host);
    if (!copy)
        return KC_ERR_NOMEM;
    closef(conn, KC_ERR_TRANSPORT, "broker address changed to %s:%d", host, port);
    free(conn->host);
    conn->host = copy;
    conn->port = port;
    conn->failures = 0;
    conn->reconnect_at_ms = 0;
    set_name(conn);
    return KC_OK;
}

/* ---- watchers ------------------------------------------------------------------- */

static void set_events(kc_conn *conn, int events)
{
    if (conn->io_events == events)
        return;
    struct ev_loop *loop = conn->client->loop;
    ev_io_stop(loop, &conn->io);
    ev_io_set(&conn->io, conn->fd, events);
    if (events)
        ev_io_start(loop, &conn->io);
    conn->io_events = events;
}

static int64_t earliest_deadline(const kc_conn *conn)
{
    if (conn->state == CONN_CONNECTING)
        return conn->connect_deadline_ms;
    int64_t at = INT64_MAX;
    for (const conn_req *r = conn->ifl_head; r; r = r->next)
        if (r->deadline_ms < at)
            at = r->deadline_ms;
    for (const conn_req *r = conn->wq_head; r; r = r->next)
        if (r->deadline_ms < at)
            at = r->deadline_ms;
    return at;
}

static void arm_timer(kc_conn *conn)
{
    struct ev_loop *loop = conn->client->loop;
    int64_t at = earliest_deadline(conn);
    ev_timer_stop(loop, &conn->timer);
    if (at == INT64_MAX)
        return;
    int64_t delay = at - kc_now_ms();
    ev_now_update(loop);
    ev_timer_set(&conn->timer, delay > 0 ? (double)delay / 1000.0 + 0.001 : 0.0, 0.0);
    ev_timer_start(loop, &conn->timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    kc_conn *conn = w->data;
    int64_t now = kc_now_ms();
    if (conn->state == CONN_CONNECTING) {
        if (now >= conn->connect_deadline_ms) {
            closef(conn, KC_ERR_TIMED_OUT, "connection setup timed out after %lld ms",
                   (long long)(now - conn->connect_deadline_ms +
                               conn->client->conf->socket_connection_setup_timeout_ms));
            return;
        }
    } else {
        for (conn_req *r = conn->ifl_head ? conn->ifl_head : conn->wq_head; r; r = r->next) {
            if (now >= r->deadline_ms) {
                closef(conn, KC_ERR_TIMED_OUT, "%s request (correlation id %d) timed out after "
                       "%d ms", api_name(r->api_key), r->correlation_id, r->timeout_ms);
                return;
            }
        }
        for (conn_req *r = conn->wq_head; r; r = r->next) {
            if (now >= r->deadline_ms) {
                closef(conn, KC_ERR_TIMED_OUT, "%s request could not be written within %d ms",
                       api_name(r->api_key), r->timeout_ms);
                return;
            }
        }
    }
    arm_timer(conn);
}

/* ---- connecting ---------------------------------------------------------------- */

static void connected(kc_conn *conn)
{
    conn->state = CONN_HANDSHAKE;
    set_events(conn, EV_READ);
    const kp_api *api = kp_api_lookup(API_VERSIONS_KEY);
    send_api_versions(conn, api->valid.max);
}

static bool open_socket(kc_conn *conn, const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        closef(conn, KC_ERR_TRANSPORT, "socket: %s", strerror(errno));
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn->fd = fd;
    conn->state = CONN_CONNECTING;
    kc_config *conf = conn->client->conf;
    int64_t timeout = (int64_t)conf->socket_connection_setup_timeout_ms;
    for (int i = 1; i < conn->failures && timeout < conf->socket_connection_setup_timeout_max_ms; i++)
        timeout *= 2;
    if (timeout > conf->socket_connection_setup_timeout_max_ms)
        timeout = conf->socket_connection_setup_timeout_max_ms;
    conn->connect_deadline_ms = kc_now_ms() + timeout;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        connected(conn);
        return true;
    }
    if (errno != EINPROGRESS) {
        closef(conn, KC_ERR_TRANSPORT, "connect failed: %s", strerror(errno));
        return false;
    }
    set_events(conn, EV_WRITE);
    arm_timer(conn);
    return true;
}

bool conn_connect(kc_conn *conn)
{
    if (conn->state != CONN_DOWN)
        return true;
    if (conn->client->destroying || kc_now_ms() < conn->reconnect_at_ms)
        return false;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof(port), "%d", conn->port);
    int rc = getaddrinfo(conn->host, port, &hints, &res);
    if (rc != 0 || !res) {
        conn->state = CONN_CONNECTING; /* so that conn_close records it */
        closef(conn, KC_ERR_RESOLVE, "could not resolve host '%s': %s", conn->host,
               rc ? gai_strerror(rc) : "no addresses");
        if (res)
            freeaddrinfo(res);
        return false;
    }
    unsigned count = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        count++;
    struct addrinfo *pick = res;
    for (unsigned i = conn->addr_rotation++ % count; i > 0; i--)
        pick = pick->ai_next;
    kc_log(conn->client, ST_LOG_DEBUG, "connecting to %s", conn->name);
    bool ok = open_socket(conn, pick);
    freeaddrinfo(res);
    return ok;
}

static void on_connect_result(kc_conn *conn)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        closef(conn, KC_ERR_TRANSPORT, "connect failed: %s", strerror(err));
        return;
    }
    connected(conn);
}

/* ---- ApiVersions handshake -------------------------------------------------------- */

static int16_t advertised_max(const kp_api_versions_response *resp, int16_t key)
{
    for (int32_t i = 0; i < resp->api_keys_count; i++)
        if (resp->api_keys[i].api_key == key)
            return resp->api_keys[i].max_version;
    return -1;
}

static void on_api_versions(conn_req *req, kc_err err, const char *errstr, void *body)
{
    kc_conn *conn = req->ctx;
    if (conn->state != CONN_HANDSHAKE)
        return; /* failed with the connection, which is closed already */
    if (err) {
        closef(conn, err, "ApiVersions failed: %s", errstr);
        return;
    }
    const kp_api_versions_response *resp = body;
    if (resp->error_code == KAFKA_UNSUPPORTED_VERSION && req->api_version > 0) {
        /* Retry at the broker's highest ApiVersions version; when its
         * answer did not say (or could not be read), one version lower. */
        int16_t max = advertised_max(resp, API_VERSIONS_KEY);
        if (max < 0 || max >= req->api_version)
            max = (int16_t)(req->api_version - 1);
        send_api_versions(conn, max);
        return;
    }
    if (resp->error_code) {
        closef(conn, KC_ERR_BAD_RESPONSE, "ApiVersions v%d answered %s", req->api_version,
               kafka_error_name(resp->error_code));
        return;
    }
    for (int i = 0; i < KC_API_KEY_LIMIT; i++)
        conn->versions[i] = (kp_versions){1, 0};
    for (int32_t i = 0; i < resp->api_keys_count; i++) {
        const kp_api_versions_response_api_version *v = &resp->api_keys[i];
        if (v->api_key >= 0 && v->api_key < KC_API_KEY_LIMIT)
            conn->versions[v->api_key] = (kp_versions){v->min_version, v->max_version};
    }
    conn->have_versions = true;
    conn->state = CONN_READY;
    conn->failures = 0;
    conn->last_error[0] = 0;
    kc_log(conn->client, ST_LOG_DEBUG, "%s is ready (ApiVersions v%d)", conn->name,
           req->api_version);
    kc_client_conn_ready(conn->client, conn);
}

static void queue_req(kc_conn *conn, conn_req *req);

static void send_api_versions(kc_conn *conn, int16_t version)
{
    kp_api_versions_request body;
    kp_api_versions_request_init(&body);
    body.client_software_name = st_slice_cstr("strait");
    body.client_software_version = st_slice_cstr("0.1");
    char why[256];
    conn_req *req = conn_req_new(API_VERSIONS_KEY, version, &body, conn->client->conf->client_id,
                                 why, sizeof(why));
    if (!req) {
        closef(conn, KC_ERR_NOMEM, "%s", why);
        return;
    }
    req->done = on_api_versions;
    req->ctx = conn;
    queue_req(conn, req);
}

int16_t conn_pick_version(const kc_conn *conn, int16_t api_key, int16_t min_version,
                          int16_t max_version, char *why, size_t whylen)
{
    const kp_api *api = kp_api_lookup(api_key);
    if (!api) {
        snprintf(why, whylen, "API key %d is unknown to this client", api_key);
        return -1;
    }
    kp_versions broker = {1, 0};
    if (conn->have_versions && api_key >= 0 && api_key < KC_API_KEY_LIMIT)
        broker = conn->versions[api_key];
    if (broker.min > broker.max) {
        snprintf(why, whylen, "%s is not supported by this broker (%s)", api->name, conn->name);
        return -1;
    }
    int16_t lo = api->valid.min, hi = api->valid.max;
    if (broker.min > lo)
        lo = broker.min;
    if (min_version > lo)
        lo = min_version;
    if (broker.max < hi)
        hi = broker.max;
    if (max_version >= 0 && max_version < hi)
        hi = max_version;
    if (lo > hi) {
        snprintf(why, whylen, "%s v%d-%d is needed but %s supports v%d-%d", api->name,
                 min_version > api->valid.min ? min_version : api->valid.min,
                 max_version >= 0 && max_version < api->valid.max ? max_version : api->valid.max,
                 conn->name, broker.min, broker.max);
        return -1;
    }
    return hi;
}

/* ---- writing ------------------------------------------------------------------- */

static void write_some(kc_conn *conn)
{
    uint64_t gen = conn->generation;
    while (conn->wq_head) {
        conn_req *req = conn->wq_head;
        size_t left = req->frame.len - req->written;
        ssize_t n = send(conn->fd, req->frame.data + req->written, left,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            closef(conn, KC_ERR_TRANSPORT, "send failed: %s", strerror(errno));
            return;
        }
        req->sent = true;
        req->written += (size_t)n;
        if (req->written < req->frame.len)
            break;
        conn->wq_head = req->next;
        if (!conn->wq_head)
            conn->wq_tail = NULL;
        req->next = NULL;
        if (req->expect_response) {
            if (conn->ifl_tail)
                conn->ifl_tail->next = req;
            else
                conn->ifl_head = req;
            conn->ifl_tail = req;
        } else {
            conn->queued--;
            complete(req, KC_OK, NULL, NULL);
            if (gen != conn->generation)
                return;
        }
    }
    set_events(conn, conn->wq_head ? EV_READ | EV_WRITE : EV_READ);
}

static void queue_req(kc_conn *conn, conn_req *req)
{
    kc_config *conf = conn->client->conf;
    req->correlation_id = conn->next_correlation_id++;
    if (conn->next_correlation_id == INT32_MAX)
        conn->next_correlation_id = 1;
    st_put_i32(req->frame.data + 8, req->correlation_id);
    if (req->timeout_ms <= 0)
        req->timeout_ms = conf->request_timeout_ms;
    req->deadline_ms = kc_now_ms() + req->timeout_ms;
    req->node_id = conn->node_id;
    req->next = NULL;
    if (conn->wq_tail)
        conn->wq_tail->next = req;
    else
        conn->wq_head = req;
    conn->wq_tail = req;
    conn->queued++;
    bool timer_was_idle = !ev_is_active(&conn->timer);
    write_some(conn);
    if (conn->state != CONN_DOWN && timer_was_idle)
        arm_timer(conn);
}

kc_err conn_send(kc_conn *conn, conn_req *req)
{
    if (conn->state != CONN_READY)
        return KC_ERR_STATE;
    queue_req(conn, req);
    return KC_OK;
}

/* ---- reading ------------------------------------------------------------------- */

static void handle_frame(kc_conn *conn, const uint8_t *frame, size_t len)
{
    int32_t corr = st_get_i32(frame);
    conn_req *req = conn->ifl_head;
    if (!req || req->correlation_id != corr) {
        closef(conn, KC_ERR_BAD_RESPONSE, "response with correlation id %d, expected %d", corr,
               req ? req->correlation_id : -1);
        return;
    }
    conn->ifl_head = req->next;
    if (!conn->ifl_head)
        conn->ifl_tail = NULL;
    req->next = NULL;
    conn->queued--;

    int16_t version = req->api_version;
    /* A broker that does not know our ApiVersions version answers in v0
     * with UNSUPPORTED_VERSION (Kafka's rule), whatever version we sent. */
    if (req->api_key == API_VERSIONS_KEY && len >= 6 &&
        st_get_i16(frame + 4) == KAFKA_UNSUPPORTED_VERSION)
        version = 0;
    const kp_api *api = kp_api_lookup(req->api_key);
    void *body = st_arena_alloc(&req->arena, api->response->root->size);
    if (!body) {
        complete(req, KC_ERR_NOMEM, "out of memory decoding a response", NULL);
        return;
    }
    const char *field = NULL;
    int32_t corr_again;
    st_err err = kp_response_decode(req->api_key, version, body, &corr_again, frame, len,
                                    &req->arena, &field);
    if (err && version != req->api_version) {
        /* Not the v0 Kafka promises (librdkafka's mock answers in the
         * request's version): all that matters is the error code. */
        kp_api_versions_response_init(body);
        ((kp_api_versions_response *)body)->error_code = KAFKA_UNSUPPORTED_VERSION;
        err = ST_OK;
    }
    if (err) {
        char why[384];
        snprintf(why, sizeof(why), "could not decode %s v%d response from %s: %s%s%s",
                 api->name, version, conn->name, st_err_name(err), field ? " at field " : "",
                 field ? field : "");
        complete(req, KC_ERR_BAD_RESPONSE, why, NULL);
        return;
    }
    complete(req, KC_OK, NULL, body);
}

/* Hands every complete frame in rbuf to handle_frame; false when the
 * connection was closed meanwhile. */
static bool drain_frames(kc_conn *conn)
{
    uint64_t gen = conn->generation;
    size_t pos = 0;
    size_t max = (size_t)conn->client->conf->receive_message_max_bytes;
    while (conn->rbuf.len - pos >= 4) {
        int32_t size = st_get_i32(conn->rbuf.data + pos);
        if (size < 4 || (size_t)size > max) {
            closef(conn, KC_ERR_BAD_RESPONSE, "invalid response size %d (receive.message.max."
                   "bytes is %zu)", size, max);
            return false;
        }
        if (conn->rbuf.len - pos - 4 < (size_t)size)
            break;
        handle_frame(conn, conn->rbuf.data + pos + 4, (size_t)size);
        if (gen != conn->generation)
            return false;
        pos += 4 + (size_t)size;
    }
    if (pos) {
        memmove(conn->rbuf.data, conn->rbuf.data + pos, conn->rbuf.len - pos);
        conn->rbuf.len -= pos;
    }
    return true;
}

/* Room to read into: at least READ_CHUNK, or the rest of a large frame. */
static size_t read_room(kc_conn *conn)
{
    size_t want = READ_CHUNK;
    if (conn->rbuf.len >= 4) {
        size_t frame = 4 + (size_t)(uint32_t)st_get_i32(conn->rbuf.data);
        if (frame > conn->rbuf.len && frame - conn->rbuf.len > want)
            want = frame - conn->rbuf.len;
    }
    if (conn->rbuf.cap - conn->rbuf.len < want && st_buf_reserve(&conn->rbuf, want) < 0)
        return 0;
    return conn->rbuf.cap - conn->rbuf.len;
}

static void read_some(kc_conn *conn)
{
    for (int rounds = 0; rounds < 16; rounds++) {
        size_t room = read_room(conn);
        if (!room) {
            closef(conn, KC_ERR_NOMEM, "out of memory reading a response");
            return;
        }
        ssize_t n = recv(conn->fd, conn->rbuf.data + conn->rbuf.len, room, MSG_DONTWAIT);
        if (n == 0) {
            closef(conn, KC_ERR_TRANSPORT, "connection closed by the broker");
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            closef(conn, KC_ERR_TRANSPORT, "recv failed: %s", strerror(errno));
            return;
        }
        conn->rbuf.len += (size_t)n;
        if (!drain_frames(conn))
            return;
        if (conn->rbuf.len == 0 && conn->rbuf.cap > 16 * READ_CHUNK) {
            st_buf_free(&conn->rbuf); /* give back what a large response took */
            st_buf_init(&conn->rbuf);
        }
        if ((size_t)n < room)
            return;
    }
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    kc_conn *conn = w->data;
    uint64_t gen = conn->generation;
    if (conn->state == CONN_CONNECTING) {
        if (revents & (EV_WRITE | EV_READ))
            on_connect_result(conn);
        return;
    }
    if (revents & EV_READ)
        read_some(conn);
    if (gen == conn->generation && (revents & EV_WRITE) && conn->state != CONN_DOWN)
        write_some(conn);
    if (gen == conn->generation && conn->state != CONN_DOWN)
        arm_timer(conn);
}
