/* metrics_http.c — the mirror's Prometheus endpoint (see metrics_http.h).
 *
 * Owns: the MHD daemon and its request handler. Each GET /metrics renders
 * the registry afresh into a malloc'd string that MHD frees once sent
 * (MHD_RESPMEM_MUST_FREE). Start-up errors MHD reports through its logger
 * are captured into the mirror_http so that mirror_http_start can put them
 * in errbuf; after start-up the logger discards them (the endpoint has no
 * st_logger of its own). */
#include "mirror/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define METRICS_PATH "/metrics"
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_CONNECTIONS 32
#define CONNECTION_TIMEOUT_S 30

struct mirror_http {
    struct MHD_Daemon *daemon;
    mirror_metrics *metrics; /* the caller's */
    atomic_int capturing;    /* 1 while starting: MHD messages go to start_error */
    char start_error[256];   /* first message MHD logged while starting */
};

/* MHD's logger: keeps the first start-up message, without its newline. */
static void capture_mhd_message(void *cls, const char *fmt, va_list ap)
{
    mirror_http *h = cls;
    if (!atomic_load(&h->capturing) || h->start_error[0])
        return;
    vsnprintf(h->start_error, sizeof(h->start_error), fmt, ap);
    size_t n = strlen(h->start_error);
    while (n > 0 && (h->start_error[n - 1] == '\n' || h->start_error[n - 1] == '\r'))
        h->start_error[--n] = '\0';
}

/* Queues a response with a body the response does not own (static text). */
static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned int status,
                                    const char *body, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_metrics(struct MHD_Connection *conn, mirror_metrics *m)
{
    char *text;
    size_t len;
    if (mirror_metrics_render(m, &text, &len) != ST_OK)
        return reply_static(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "out of memory rendering metrics\n", NULL);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* MHD's access handler: answers on the first call (no request body is
 * read; MHD closes the connection after replying when one was sent). */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    mirror_http *h = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(url, METRICS_PATH) != 0)
        return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
                            "GET, HEAD");
    return reply_metrics(conn, h->metrics);
}

/* When MHD gave no reason, find one by binding the address ourselves. */
static void probe_bind_error(const struct sockaddr_in *addr, char *out, size_t outlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(out, outlen, "socket: %s", strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
        snprintf(out, outlen, "bind: %s", strerror(errno));
    else
        snprintf(out, outlen, "the HTTP server failed to start");
    close(fd);
}

mirror_http *mirror_http_start(mirror_metrics *m, const char *host, int port, char *errbuf,
                               size_t errlen)
{
    if (!host)
        host = "";
    if (port < 0 || port > 65535) {
        snprintf(errbuf, errlen, "metrics endpoint %s:%d: port must be 1..65535", host, port);
        return NULL;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        snprintf(errbuf, errlen,
                 "metrics endpoint %s:%d: metrics host \"%s\" is not an IPv4 address "
                 "(use a dotted address such as 127.0.0.1, or 0.0.0.0 for all interfaces; "
                 "IPv6 and host names are not supported)",
                 host, port, host);
        return NULL;
    }
    mirror_http *h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(errbuf, errlen, "metrics endpoint %s:%d: out of memory", host, port);
        return NULL;
    }
    h->metrics = m;
    atomic_store(&h->capturing, 1);
    h->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, answer, h,
        MHD_OPTION_EXTERNAL_LOGGER, capture_mhd_message, h, /* must come first */
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
        MHD_OPTION_END);
    atomic_store(&h->capturing, 0);
    if (!h->daemon) {
        char reason[256];
        if (h->start_error[0])
            snprintf(reason, sizeof(reason), "%s", h->start_error);
        else
            probe_bind_error(&addr, reason, sizeof(reason));
        snprintf(errbuf, errlen, "metrics endpoint %s:%d: cannot listen: %s", host, port, reason);
        free(h);
        return NULL;
    }
    return h;
}

void mirror_http_stop(mirror_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}

int mirror_http_port(const mirror_http *h)
{
    if (!h || !h->daemon)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? (int)info->port : -1;
}
