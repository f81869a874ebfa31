/* metrics_http.h — the mirror's Prometheus endpoint.
 *
 * Owns: a libmicrohttpd daemon (its own polling thread) bound to one IPv4
 * address and port, answering GET (and HEAD) /metrics with
 * mirror_metrics_render's text, Content-Type
 * "text/plain; version=0.0.4; charset=utf-8"; 404 for any other path, 405
 * (with Allow: GET, HEAD) for any other method, 500 if rendering runs out of
 * memory. The registry stays the caller's and must outlive the endpoint.
 */
#ifndef STRAIT_MIRROR_METRICS_HTTP_H
#define STRAIT_MIRROR_METRICS_HTTP_H

#include <stddef.h>

#include "mirror/metrics.h"

typedef struct mirror_http mirror_http;

/* Starts serving m on host:port. host must be an IPv4 address in dotted
 * form ("127.0.0.1", "0.0.0.0" for every interface); anything else (IPv6,
 * host names) is refused. Callers skip the endpoint when the configured port
 * is 0; here port 0 means "any free port" (for tests: see mirror_http_port).
 * Returns the endpoint (stop it with mirror_http_stop), or NULL with errbuf
 * naming host:port and the reason (e.g. the port is already in use). */
mirror_http *mirror_http_start(mirror_metrics *m, const char *host, int port, char *errbuf,
                               size_t errlen);
/* Stops the daemon (waiting for its thread) and frees h; NULL is a no-op. */
void mirror_http_stop(mirror_http *h);
/* The port actually bound (useful after starting on port 0); -1 if unknown. */
int mirror_http_port(const mirror_http *h);

#endif
