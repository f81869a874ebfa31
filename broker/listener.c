/* listener.c — accepting TCP connections (see listener.h). */
#include "broker/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void describe_peer(const struct sockaddr_storage *sa, char *out, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
    }
    snprintf(out, len, "%s:%d", host, port);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    listener *l = w->data;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage sa;
        socklen_t salen = sizeof(sa);
        int fd = accept4(l->fd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                st_logf(l->logger, ST_LOG_WARN, "network", "accept failed: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char peer[64];
        describe_peer(&sa, peer, sizeof(peer));
        connection *c = connection_new(loop, fd, ++l->next_id, peer, &l->limits, &l->hooks,
                                       l->logger);
        if (!c) {
            close(fd);
            continue;
        }
        if (l->on_accept)
            l->on_accept(l->hooks.ctx, c);
    }
}

static int bind_socket(const char *host, int port, char *errbuf, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host && *host ? host : NULL, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot resolve listener host '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        snprintf(errbuf, errlen, "cannot listen on %s:%d: %s", host && *host ? host : "*", port,
                 strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    if (sa.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&sa)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}

st_err listener_start(listener *l, struct ev_loop *loop, const char *host, int port,
                      const connection_limits *limits, const connection_hooks *hooks,
                      const st_logger *logger, char *errbuf, size_t errlen)
{
    int fd = bind_socket(host, port, errbuf, errlen);
    if (fd < 0)
        return ST_ERR_IO;
    l->loop = loop;
    l->fd = fd;
    l->port = bound_port(fd);
    l->limits = *limits;
    l->hooks = *hooks;
    l->logger = logger;
    ev_io_init(&l->watcher, on_accept, fd, EV_READ);
    l->watcher.data = l;
    ev_io_start(loop, &l->watcher);
    return ST_OK;
}

void listener_stop(listener *l)
{
    if (l->fd < 0)
        return;
    ev_io_stop(l->loop, &l->watcher);
    close(l->fd);
    l->fd = -1;
}
