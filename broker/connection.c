/* connection.c — socket I/O, framing and ordered responses (see connection.h). */
#include "broker/connection.h"

#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "common/wire.h"

enum { READ_CHUNK = 64 * 1024, READ_LARGE_CHUNK = 1 << 20 };

struct connection {
    struct ev_loop *loop;
    ev_io read_watcher;
    ev_io write_watcher;
    ev_timer kick;    /* runs process_input on the next loop turn */
    int fd;
    int refs;
    bool open;
    bool in_flight;   /* a request was dispatched and is not finished */
    bool processing;  /* inside process_input (guards re-entry) */
    uint64_t id;
    char peer[64];
    connection_limits limits;
    connection_hooks hooks;
    const st_logger *logger;
    st_buf in;        /* received bytes; [in_start, in.len) not yet dispatched */
    size_t in_start;
    response *out_head;
    response *out_tail;
    size_t out_bytes; /* wire bytes queued and not yet sent */
};

static void process_input(connection *c);
static void update_watchers(connection *c);

/* Bytes of a complete frame at in_start (size prefix included), 0 when more
 * bytes are needed, -1 when the size is invalid. */
static long long complete_frame_size(connection *c)
{
    size_t avail = c->in.len - c->in_start;
    if (avail < 4)
        return 0;
    int32_t size = st_get_i32(c->in.data + c->in_start);
    if (size < 0 || (size_t)size > c->limits.max_request_bytes)
        return -1;
    return avail - 4 >= (size_t)size ? (long long)size + 4 : 0;
}

static bool may_dispatch(const connection *c)
{
    return c->open && !c->in_flight && c->out_bytes <= c->limits.max_queued_output;
}

/* Hands the frame at in_start to on_frame. A frame that fills the whole
 * input buffer (the usual case for a large request, since reads stop at the
 * frame's end) is handed over without a copy. */
static void dispatch_one(connection *c, size_t total)
{
    uint8_t *block;
    if (c->in_start == 0 && c->in.len == total) {
        block = c->in.data;
        st_buf_init(&c->in);
    } else {
        block = malloc(total);
        if (!block) {
            connection_close(c, "out of memory for a request");
            return;
        }
        memcpy(block, c->in.data + c->in_start, total);
        c->in_start += total;
    }
    c->in_flight = true;
    c->hooks.on_frame(c->hooks.ctx, c, block, total - 4);
}

static void compact_input(connection *c)
{
    if (c->in_start == 0 || !c->in.data)
        return;
    size_t left = c->in.len - c->in_start;
    memmove(c->in.data, c->in.data + c->in_start, left);
    c->in.len = left;
    c->in_start = 0;
}

static void process_input(connection *c)
{
    if (c->processing)
        return;
    c->processing = true;
    connection_ref(c);
    while (may_dispatch(c)) {
        long long total = complete_frame_size(c);
        if (total < 0) {
            int32_t size = st_get_i32(c->in.data + c->in_start);
            st_logf(c->logger, ST_LOG_WARN, "network",
                    "closing connection %llu from %s: request size %d exceeds "
                    "socket.request.max.bytes (%zu) or is invalid",
                    (unsigned long long)c->id, c->peer, size, c->limits.max_request_bytes);
            connection_close(c, NULL);
            break;
        }
        if (total == 0)
            break;
        dispatch_one(c, (size_t)total);
    }
    if (c->open)
        compact_input(c);
    c->processing = false;
    update_watchers(c);
    connection_unref(c);
}

/* Reads while the input holds no complete undispatched frame. */
static bool wants_read(connection *c)
{
    return c->open && complete_frame_size(c) == 0;
}

static void update_watchers(connection *c)
{
    if (!c->open)
        return;
    if (wants_read(c))
        ev_io_start(c->loop, &c->read_watcher);
    else
        ev_io_stop(c->loop, &c->read_watcher);
    if (c->out_head)
        ev_io_start(c->loop, &c->write_watcher);
    else
        ev_io_stop(c->loop, &c->write_watcher);
}

/* How much to read next: up to the end of a frame whose size is known (so
 * that a large frame ends up alone in the buffer), else a chunk. */
static size_t read_size(const connection *c)
{
    size_t avail = c->in.len - c->in_start;
    if (avail < 4)
        return READ_CHUNK;
    int64_t need = (int64_t)st_get_i32(c->in.data + c->in_start) + 4 - (int64_t)avail;
    if (need <= 0)
        return READ_CHUNK; /* a complete frame (or a bad size) is already there */
    return need < READ_LARGE_CHUNK ? (size_t)need : READ_LARGE_CHUNK;
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    connection *c = w->data;
    size_t want = read_size(c);
    uint8_t *dst = st_buf_extend(&c->in, want);
    if (!dst) {
        connection_close(c, "out of memory reading a request");
        return;
    }
    ssize_t n = read(c->fd, dst, want);
    c->in.len -= want - (n > 0 ? (size_t)n : 0);
    if (n == 0) {
        connection_close(c, NULL);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            connection_close(c, strerror(errno));
        return;
    }
    process_input(c);
}

/* Sends as much of the current piece as the socket takes: 1 when the piece
 * completed, 0 when the socket is full, -1 on error. */
static int send_piece(connection *c, response *r, const response_piece *p)
{
    size_t left = p->length - r->piece_done;
    ssize_t n;
    if (p->mem) {
        n = write(c->fd, p->mem + r->piece_done, left);
    } else {
        off_t off = p->file_offset + (off_t)r->piece_done;
        n = left ? sendfile(c->fd, p->fd, &off, left) : 0;
        if (n == 0 && left) {
            errno = EIO; /* the file is shorter than the range: cannot continue */
            return -1;
        }
    }
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    r->piece_done += (size_t)n;
    c->out_bytes -= (size_t)n;
    return r->piece_done == p->length ? 1 : 0;
}

static void flush_output(connection *c)
{
    while (c->open && c->out_head) {
        response *r = c->out_head;
        response_piece piece;
        if (!response_get_piece(r, r->piece, &piece)) {
            c->out_head = r->next;
            if (!c->out_head)
                c->out_tail = NULL;
            response_free(r);
            continue;
        }
        int rc = send_piece(c, r, &piece);
        if (rc < 0) {
            connection_close(c, strerror(errno));
            return;
        }
        if (rc == 0)
            break;
        r->piece++;
        r->piece_done = 0;
    }
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    connection *c = w->data;
    process_input(c);
    connection_unref(c); /* the reference request_done took */
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    connection *c = w->data;
    connection_ref(c);
    flush_output(c);
    process_input(c); /* output drained: more requests may go */
    update_watchers(c);
    connection_unref(c);
}

connection *connection_new(struct ev_loop *loop, int fd, uint64_t id, const char *peer,
                           const connection_limits *limits, const connection_hooks *hooks,
                           const st_logger *logger)
{
    connection *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = loop;
    c->fd = fd;
    c->refs = 1;
    c->open = true;
    c->id = id;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->limits = *limits;
    c->hooks = *hooks;
    c->logger = logger;
    st_buf_init(&c->in);
    ev_timer_init(&c->kick, on_kick, 0.0, 0.0);
    c->kick.data = c;
    ev_io_init(&c->read_watcher, on_readable, fd, EV_READ);
    ev_io_init(&c->write_watcher, on_writable, fd, EV_WRITE);
    c->read_watcher.data = c;
    c->write_watcher.data = c;
    ev_io_start(loop, &c->read_watcher);
    return c;
}

void connection_ref(connection *c)
{
    c->refs++;
}

static void drop_output(connection *c)
{
    while (c->out_head) {
        response *next = c->out_head->next;
        response_free(c->out_head);
        c->out_head = next;
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

void connection_unref(connection *c)
{
    if (--c->refs > 0)
        return;
    drop_output(c);
    st_buf_free(&c->in);
    free(c);
}

void connection_close(connection *c, const char *reason)
{
    if (!c->open)
        return;
    c->open = false;
    if (reason)
        st_logf(c->logger, ST_LOG_DEBUG, "network", "connection %llu from %s closed: %s",
                (unsigned long long)c->id, c->peer, reason);
    ev_io_stop(c->loop, &c->read_watcher);
    ev_io_stop(c->loop, &c->write_watcher);
    if (ev_is_active(&c->kick)) {
        ev_timer_stop(c->loop, &c->kick);
        connection_unref(c); /* the kick's reference */
    }
    close(c->fd);
    c->fd = -1;
    drop_output(c);
    if (c->hooks.on_close)
        c->hooks.on_close(c->hooks.ctx, c);
    connection_unref(c); /* the reference the open socket held */
}

/* The next request is dispatched by the processing loop when one is
 * running (the usual case: the handler answered at once); a request
 * answered later (a long poll, a rebalance) lets the next one in on the
 * next loop turn, so that a handler is never re-entered from inside another
 * component's callback. */
static void request_done(connection *c)
{
    c->in_flight = false;
    if (!c->open)
        return;
    flush_output(c);
    if (!c->processing && !ev_is_active(&c->kick)) {
        connection_ref(c);
        ev_timer_start(c->loop, &c->kick);
    }
    update_watchers(c);
}

void connection_send(connection *c, response *r)
{
    if (!c->open) {
        response_free(r);
        c->in_flight = false;
        return;
    }
    c->out_bytes += response_total_size(r);
    if (c->out_tail)
        c->out_tail->next = r;
    else
        c->out_head = r;
    c->out_tail = r;
    request_done(c);
}

void connection_finish(connection *c)
{
    if (!c->open) {
        c->in_flight = false;
        return;
    }
    request_done(c);
}

bool connection_is_open(const connection *c)
{
    return c->open;
}

bool connection_busy(const connection *c)
{
    return c->open && (c->in_flight || c->out_head != NULL);
}

const char *connection_peer(const connection *c)
{
    return c->peer;
}

uint64_t connection_id(const connection *c)
{
    return c->id;
}
