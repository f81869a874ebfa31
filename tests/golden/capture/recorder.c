/*
 * recorder — a recording TCP proxy in front of librdkafka's in-memory mock
 * cluster. Test tooling only (librdkafka is a test-only dependency); it is
 * not part of the broker and is not built by the Makefile.
 *
 * It starts a 1-broker mock cluster, creates the topics given with -T, and
 * listens on 127.0.0.1:<port>. Every client connection is forwarded to the
 * mock broker; every request frame and its response frame are written to
 * <outdir> as they pass (without the 4-byte size prefix), and one line per
 * request is appended to <outdir>/index.tsv:
 *
 *   seq  conn  api_key  api_version  correlation_id  request_bytes  response_bytes  rewrites
 *
 * The mock broker advertises its own address (127.0.0.1:<ephemeral>) in
 * Metadata and FindCoordinator responses. So that clients keep talking through
 * the proxy, the port that follows the host string "127.0.0.1" in those
 * responses is replaced by the proxy's port. Host and port are fixed-width
 * (same host, int32 port) in every version, so the frame length does not change.
 * The mock also reports ControllerId 0, which names none of its brokers
 * (numbered from 1); kafkajs sends InitProducerId to the controller, so in
 * Metadata responses a ControllerId that names no listed broker is replaced by
 * the first broker's id (same width again). The rewrites column of index.tsv
 * counts port rewrites, plus 100 when the ControllerId was replaced.
 * The files hold the frames as the client saw them (after rewriting).
 *
 * Usage: recorder -p PORT -o OUTDIR [-T topic:partitions]... [-t max_seconds]
 *                 [-r ready_file]
 * Stops on SIGTERM/SIGINT or after max_seconds (default 120).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define MAX_PENDING 256
#define MAX_FRAME (64 * 1024 * 1024)

struct pending {
    int32_t corr;
    int16_t api_key;
    int16_t api_version;
    unsigned seq;
    size_t req_len;
};

struct half {            /* one direction of a connection */
    unsigned char *in;   /* bytes read, not yet framed */
    size_t in_len, in_cap;
    unsigned char *out;  /* bytes to write to the peer */
    size_t out_len, out_cap, out_off;
};

struct conn {
    int used;
    int id;
    int cfd, bfd;        /* client side, mock-broker side */
    struct half c2b, b2c;
    struct pending pend[MAX_PENDING];
    int npend;
    int closing;
};

static volatile sig_atomic_t stop_flag;
static struct conn conns[MAX_CONNS];
static const char *outdir;
static FILE *indexf;
static unsigned next_seq = 1;
static int next_conn_id = 1;
static uint16_t proxy_port, mock_port;

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static void die(const char *msg) {
    perror(msg);
    exit(2);
}

static void append(unsigned char **buf, size_t *len, size_t *cap,
                   const unsigned char *data, size_t n) {
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < *len + n) nc *= 2;
        unsigned char *nb = realloc(*buf, nc);
        if (!nb) die("realloc");
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
}

static uint32_t rd32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void wr32(unsigned char *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

static void write_file(unsigned seq, const char *kind,
                       const unsigned char *data, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%05u-%s.bin", outdir, seq, kind);
    FILE *f = fopen(path, "wb");
    if (!f) die(path);
    if (n && fwrite(data, 1, n, f) != n) die("fwrite");
    fclose(f);
}

/* Replace the mock broker's advertised port by the proxy's. */
static int rewrite_ports(unsigned char *p, size_t n) {
    static const char host[] = "127.0.0.1";
    const size_t hl = sizeof host - 1;
    int count = 0;
    for (size_t i = 0; i + hl + 4 <= n; i++) {
        if (memcmp(p + i, host, hl) == 0 && rd32(p + i + hl) == mock_port) {
            wr32(p + i + hl, proxy_port);
            count++;
            i += hl + 3;
        }
    }
    return count;
}

/* Unsigned varint (flexible versions); -1 if truncated. */
static long long get_uvarint(const unsigned char *p, size_t n, size_t *off) {
    unsigned long long v = 0;
    for (int shift = 0; *off < n && shift < 64; shift += 7) {
        unsigned char b = p[(*off)++];
        v |= (unsigned long long)(b & 0x7f) << shift;
        if (!(b & 0x80)) return (long long)v;
    }
    return -1;
}

/* Skip a string (or nullable string); 0 if truncated. */
static int skip_string(const unsigned char *p, size_t n, size_t *off, int flexible) {
    long long len;
    if (flexible) {
        len = get_uvarint(p, n, off);
        if (len < 0) return 0;
        len -= 1;
    } else {
        if (*off + 2 > n) return 0;
        len = (int16_t)((p[*off] << 8) | p[*off + 1]);
        *off += 2;
    }
    if (len < 0) return 1; /* null */
    if (*off + (size_t)len > n) return 0;
    *off += (size_t)len;
    return 1;
}

/*
 * librdkafka 2.0.2's mock cluster reports ControllerId 0, which is not one of
 * its brokers (they are numbered from 1). kafkajs sends InitProducerId for an
 * idempotent producer (and admin requests) to the controller, and fails with
 * "Broker 0 not found". Set ControllerId to the first broker's id when it
 * names no listed broker. Metadata v1+ (v3+: throttle first; v9+ flexible).
 */
static int fix_controller(unsigned char *f, size_t n, int version) {
    int flex = version >= 9;
    size_t off = 4; /* correlation id */
    if (version < 1) return 0;
    if (flex) {
        long long ntag = get_uvarint(f, n, &off); /* response header tags */
        if (ntag != 0) return 0;
    }
    if (version >= 3) off += 4; /* ThrottleTimeMs */
    long long nb;
    if (flex) {
        nb = get_uvarint(f, n, &off);
        if (nb < 1) return 0;
        nb -= 1;
    } else {
        if (off + 4 > n) return 0;
        nb = (int32_t)rd32(f + off);
        off += 4;
    }
    int32_t ids[64];
    int nid = 0;
    for (long long i = 0; i < nb; i++) {
        if (off + 4 > n) return 0;
        if (nid < 64) ids[nid++] = (int32_t)rd32(f + off);
        off += 4;
        if (!skip_string(f, n, &off, flex)) return 0; /* Host */
        off += 4;                                     /* Port */
        if (!skip_string(f, n, &off, flex)) return 0; /* Rack */
        if (flex && get_uvarint(f, n, &off) != 0) return 0;
    }
    if (version >= 2 && !skip_string(f, n, &off, flex)) return 0; /* ClusterId */
    if (off + 4 > n || nid == 0) return 0;
    int32_t ctrl = (int32_t)rd32(f + off);
    for (int i = 0; i < nid; i++)
        if (ids[i] == ctrl) return 0;
    wr32(f + off, (uint32_t)ids[0]);
    return 1;
}

static void conn_close(struct conn *c) {
    if (c->cfd >= 0) close(c->cfd);
    if (c->bfd >= 0) close(c->bfd);
    free(c->c2b.in); free(c->c2b.out);
    free(c->b2c.in); free(c->b2c.out);
    for (int i = 0; i < c->npend; i++)
        fprintf(stderr, "recorder: conn %d closed with request seq %u "
                "(api %d) unanswered\n", c->id, c->pend[i].seq, c->pend[i].api_key);
    memset(c, 0, sizeof *c);
    c->cfd = c->bfd = -1;
}

/* Frame complete requests from the client and queue them to the broker. */
static void pump_requests(struct conn *c) {
    struct half *h = &c->c2b;
    size_t off = 0;
    while (h->in_len - off >= 4) {
        uint32_t sz = rd32(h->in + off);
        if (sz > MAX_FRAME || sz < 8) {
            fprintf(stderr, "recorder: conn %d bad request size %u\n", c->id, sz);
            c->closing = 1;
            return;
        }
        if (h->in_len - off - 4 < sz) break;
        const unsigned char *f = h->in + off + 4;
        struct pending pd;
        pd.api_key = (int16_t)((f[0] << 8) | f[1]);
        pd.api_version = (int16_t)((f[2] << 8) | f[3]);
        pd.corr = (int32_t)rd32(f + 4);
        pd.seq = next_seq++;
        pd.req_len = sz;
        write_file(pd.seq, "req", f, sz);
        if (c->npend == MAX_PENDING) {
            fprintf(stderr, "recorder: too many pending requests\n");
            c->closing = 1;
            return;
        }
        c->pend[c->npend++] = pd;
        append(&h->out, &h->out_len, &h->out_cap, h->in + off, 4 + sz);
        off += 4 + sz;
    }
    memmove(h->in, h->in + off, h->in_len - off);
    h->in_len -= off;
}

/* Frame complete responses from the broker, record, rewrite, forward. */
static void pump_responses(struct conn *c) {
    struct half *h = &c->b2c;
    size_t off = 0;
    while (h->in_len - off >= 4) {
        uint32_t sz = rd32(h->in + off);
        if (sz > MAX_FRAME || sz < 4) {
            fprintf(stderr, "recorder: conn %d bad response size %u\n", c->id, sz);
            c->closing = 1;
            return;
        }
        if (h->in_len - off - 4 < sz) break;
        unsigned char *f = h->in + off + 4;
        int32_t corr = (int32_t)rd32(f);
        int k;
        for (k = 0; k < c->npend; k++)
            if (c->pend[k].corr == corr) break;
        if (k == c->npend) {
            fprintf(stderr, "recorder: conn %d response with unknown "
                    "correlation id %d\n", c->id, corr);
        } else {
            struct pending pd = c->pend[k];
            memmove(&c->pend[k], &c->pend[k + 1],
                    (size_t)(c->npend - k - 1) * sizeof pd);
            c->npend--;
            int rw = 0;
            if (pd.api_key == 3 || pd.api_key == 10)
                rw = rewrite_ports(f, sz);
            if (pd.api_key == 3)
                rw += 100 * fix_controller(f, sz, pd.api_version);
            write_file(pd.seq, "resp", f, sz);
            fprintf(indexf, "%u\t%d\t%d\t%d\t%d\t%zu\t%u\t%d\n", pd.seq, c->id,
                    pd.api_key, pd.api_version, pd.corr, pd.req_len, sz, rw);
            fflush(indexf);
        }
        append(&h->out, &h->out_len, &h->out_cap, h->in + off, 4 + sz);
        off += 4 + sz;
    }
    memmove(h->in, h->in + off, h->in_len - off);
    h->in_len -= off;
}

/* Read what is available on fd into h->in; 0 on EOF/error. */
static int do_read(int fd, struct half *h) {
    unsigned char buf[65536];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
        append(&h->in, &h->in_len, &h->in_cap, buf, (size_t)r);
        return 1;
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
    return 0;
}

static int do_write(int fd, struct half *h) {
    while (h->out_off < h->out_len) {
        ssize_t w = write(fd, h->out + h->out_off, h->out_len - h->out_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) return 1;
            return 0;
        }
        h->out_off += (size_t)w;
    }
    h->out_len = h->out_off = 0;
    return 1;
}

static int connect_mock(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(mock_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("recorder: connect to mock broker");
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void usage(void) {
    fprintf(stderr, "usage: recorder -p PORT -o OUTDIR [-T topic:partitions]... "
            "[-t max_seconds] [-r ready_file]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int port = 0, max_seconds = 120, opt;
    const char *ready_file = NULL;
    char *topics[64];
    int ntopics = 0;
    while ((opt = getopt(argc, argv, "p:o:T:t:r:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'o': outdir = optarg; break;
        case 'T': if (ntopics < 64) topics[ntopics++] = optarg; break;
        case 't': max_seconds = atoi(optarg); break;
        case 'r': ready_file = optarg; break;
        default: usage();
        }
    }
    if (port <= 0 || port > 65535 || !outdir || max_seconds <= 0) usage();
    proxy_port = (uint16_t)port;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "recorder: rd_kafka_new: %s\n", errstr);
        return 2;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) {
        fprintf(stderr, "recorder: rd_kafka_mock_cluster_new failed\n");
        return 2;
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    const char *colon = strrchr(bs, ':');
    if (!colon || strncmp(bs, "127.0.0.1:", 10) != 0 || strchr(bs, ',')) {
        fprintf(stderr, "recorder: unexpected mock bootstraps '%s'\n", bs);
        return 2;
    }
    mock_port = (uint16_t)atoi(colon + 1);
    for (int i = 0; i < ntopics; i++) {
        char *sep = strrchr(topics[i], ':');
        int parts = 1;
        if (sep) { *sep = '\0'; parts = atoi(sep + 1); }
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mc, topics[i], parts, 1);
        if (err) {
            fprintf(stderr, "recorder: topic %s: %s\n", topics[i],
                    rd_kafka_err2str(err));
            return 2;
        }
    }

    char ipath[4096];
    snprintf(ipath, sizeof ipath, "%s/index.tsv", outdir);
    indexf = fopen(ipath, "w");
    if (!indexf) die(ipath);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(proxy_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(lfd, 16) < 0) die("listen");
    fcntl(lfd, F_SETFL, O_NONBLOCK);

    for (int i = 0; i < MAX_CONNS; i++) conns[i].cfd = conns[i].bfd = -1;

    fprintf(stderr, "recorder: proxy 127.0.0.1:%u -> mock broker 127.0.0.1:%u\n",
            proxy_port, mock_port);
    if (ready_file) {
        FILE *rf = fopen(ready_file, "w");
        if (!rf) die(ready_file);
        fprintf(rf, "%d\n", (int)getpid());
        fclose(rf);
    }

    time_t deadline = time(NULL) + max_seconds;
    while (!stop_flag) {
        if (time(NULL) >= deadline) {
            fprintf(stderr, "recorder: max run time reached\n");
            break;
        }
        struct pollfd pfd[1 + 2 * MAX_CONNS];
        int map[1 + 2 * MAX_CONNS];
        int n = 0;
        pfd[n].fd = lfd; pfd[n].events = POLLIN; map[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            if (!c->used) continue;
            pfd[n].fd = c->cfd;
            pfd[n].events = POLLIN | (c->b2c.out_len ? POLLOUT : 0);
            map[n++] = i;
            pfd[n].fd = c->bfd;
            pfd[n].events = POLLIN | (c->c2b.out_len ? POLLOUT : 0);
            map[n++] = i;
        }
        int r = poll(pfd, (nfds_t)n, 200);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("poll");
        }
        for (int j = 0; j < n; j++) {
            if (!pfd[j].revents) continue;
            if (map[j] < 0) {
                int cfd = accept(lfd, NULL, NULL);
                if (cfd < 0) continue;
                int slot = -1;
                for (int i = 0; i < MAX_CONNS; i++)
                    if (!conns[i].used) { slot = i; break; }
                int bfd = slot >= 0 ? connect_mock() : -1;
                if (bfd < 0) { close(cfd); continue; }
                setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                fcntl(cfd, F_SETFL, O_NONBLOCK);
                struct conn *c = &conns[slot];
                memset(c, 0, sizeof *c);
                c->used = 1;
                c->id = next_conn_id++;
                c->cfd = cfd;
                c->bfd = bfd;
                continue;
            }
            struct conn *c = &conns[map[j]];
            if (!c->used) continue;
            int is_client = pfd[j].fd == c->cfd;
            if (pfd[j].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (is_client) {
                    if (!do_read(c->cfd, &c->c2b)) c->closing = 1;
                    else pump_requests(c);
                } else {
                    if (!do_read(c->bfd, &c->b2c)) c->closing = 1;
                    else pump_responses(c);
                }
            }
            if (pfd[j].revents & POLLOUT) {
                if (is_client) { if (!do_write(c->cfd, &c->b2c)) c->closing = 1; }
                else if (!do_write(c->bfd, &c->c2b)) c->closing = 1;
            }
        }
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            if (!c->used) continue;
            /* opportunistic writes, then drop closed connections */
            if (c->c2b.out_len && !do_write(c->bfd, &c->c2b)) c->closing = 1;
            if (c->b2c.out_len && !do_write(c->cfd, &c->b2c)) c->closing = 1;
            if (c->closing) conn_close(c);
        }
    }

    for (int i = 0; i < MAX_CONNS; i++)
        if (conns[i].used) conn_close(&conns[i]);
    close(lfd);
    fclose(indexf);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    fprintf(stderr, "recorder: stopped after %u requests\n", next_seq - 1);
    return 0;
}
