/* console_producer.c — `strait console-producer`, Kafka's
 * kafka-console-producer.sh: one record per line of stdin.
 *
 * Owns the tool's flags (with Kafka's defaults: linger.ms 1000, acks -1,
 * retries 3, request.timeout.ms 1500, client.id console-producer; an
 * explicit flag beats --producer-property, which beats the default) and
 * Kafka's LineMessageReader properties: parse.key / key.separator,
 * parse.headers / headers.delimiter / headers.separator /
 * headers.key.separator, null.marker, ignore.error. Reads stdin with
 * read(2) so the producer's loop keeps running (lingering batches leave,
 * deliveries are reported) while an interactive user types. Ctrl-C or end
 * of input flushes and exits; the exit status is 1 when a record failed. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tools/tool.h"

static const tool_opt opts[] = {
    {"bootstrap-server", OPT_ARG, "String: server to connect to",
     "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The "
     "broker list string in the form HOST1:PORT1,HOST2:PORT2.", NULL},
    {"broker-list", OPT_ARG, "String: broker-list", "DEPRECATED, use --bootstrap-server "
     "instead; ignored if --bootstrap-server is specified.", NULL},
    {"topic", OPT_ARG, "String: topic", "REQUIRED: The topic id to produce messages to.", NULL},
    {"producer-property", OPT_ARG, "String: producer_prop", "A mechanism to pass user-defined "
     "properties in the form key=value to the producer.", NULL},
    {"producer.config", OPT_ARG, "String: config file", "Producer config properties file. Note "
     "that [producer-property] takes precedence over this config.", NULL},
    {"command-config", OPT_ARG, "String: config file", "Same as --producer.config.", NULL},
    {"property", OPT_ARG, "String: prop", "A mechanism to pass user-defined properties in the "
     "form key=value to the message reader: parse.key, key.separator, parse.headers, "
     "headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error.",
     NULL},
    {"reader-property", OPT_ARG, "String: reader_prop", "Same as --property.", NULL},
    {"compression-codec", OPT_OPTIONAL_ARG, "String: compression-codec", "The compression "
     "codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If specified without value, "
     "then it defaults to 'gzip'", NULL},
    {"request-required-acks", OPT_ARG, "String: request required acks",
     "The required acks of the producer requests", "-1"},
    {"sync", OPT_FLAG, NULL, "If set message send requests to the brokers are synchronously, "
     "one at a time as they arrive.", NULL},
    {"batch-size", OPT_ARG, "Integer: size", "Number of bytes to batch (batch.size).", "16384"},
    {"timeout", OPT_ARG, "Long: timeout_ms", "If set and the producer is running in "
     "asynchronous mode, this gives the maximum amount of time a message will queue awaiting "
     "sufficient batch size (linger.ms).", "1000"},
    {"message-send-max-retries", OPT_ARG, "Integer", "retries", "3"},
    {"retry-backoff-ms", OPT_ARG, "Long", "retry.backoff.ms", "100"},
    {"max-block-ms", OPT_ARG, "Long: max block on send", "The max time that the producer will "
     "block for during a send request.", "60000"},
    {"max-memory-bytes", OPT_ARG, "Long: total memory in bytes",
     "The total memory used by the producer to buffer records (buffer.memory).", "33554432"},
    {"max-partition-memory-bytes", OPT_ARG, "Integer: memory in bytes per partition",
     "The buffer size allocated for a partition (batch.size).", "16384"},
    {"request-timeout-ms", OPT_ARG, "Integer: request timeout ms",
     "The ack timeout of the producer requests.", "1500"},
    {"metadata-expiry-ms", OPT_ARG, "Long: metadata expiration interval",
     "metadata.max.age.ms", "300000"},
};

#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

/* Set by SIGINT/SIGTERM: stop reading, flush, exit (the tool's only
 * process-wide state, as a signal handler needs). */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- the line reader's properties ----------------------------------------------------------- */

typedef struct reader_props {
    bool parse_key;
    const char *key_separator;
    bool parse_headers;
    const char *headers_delimiter;
    const char *headers_separator;
    const char *headers_key_separator;
    const char *null_marker;
    bool ignore_error;
} reader_props;

/* Kafka's getBoolProperty: "true" in any case, spaces ignored. */
static bool is_true(const char *v)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%s", v ? v : "");
    return !strcasecmp(tool_trim(buf), "true");
}

static void reader_set(reader_props *r, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        fprintf(stderr, "Invalid property '%s': expected key=value\n", kv);
        exit(1);
    }
    size_t n = (size_t)(eq - kv);
    const char *v = eq + 1;
#define KEY(name) (n == strlen(name) && !strncmp(kv, name, n))
    if (KEY("parse.key"))
        r->parse_key = is_true(v);
    else if (KEY("key.separator"))
        r->key_separator = v;
    else if (KEY("parse.headers"))
        r->parse_headers = is_true(v);
    else if (KEY("headers.delimiter"))
        r->headers_delimiter = v;
    else if (KEY("headers.separator"))
        r->headers_separator = v;
    else if (KEY("headers.key.separator"))
        r->headers_key_separator = v;
    else if (KEY("null.marker"))
        r->null_marker = v;
    else if (KEY("ignore.error"))
        r->ignore_error = is_true(v);
#undef KEY
}

/* ---- one record per line ---------------------------------------------------------------------------- */

typedef struct line_record {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    kc_header *headers;
    size_t header_count;
} line_record;

/* An error in the input; exits like Kafka's reader (a KafkaException). */
static void input_error(const char *what, const char *piece, long lineno, const char *line)
{
    fprintf(stderr, "org.apache.kafka.common.KafkaException: No %s found %s%s%son line number "
                    "%ld: '%s'\n", what, piece ? "in pair '" : "", piece ? piece : "",
            piece ? "' " : "", lineno, line);
}

static bool is_null(const reader_props *r, const char *s, size_t len)
{
    return r->null_marker && strlen(r->null_marker) == len && !memcmp(s, r->null_marker, len);
}

/* Headers "k1:v1,k2:v2" (written into hdr, which outlives the record). */
static bool parse_headers(const reader_props *r, char *text, long lineno, const char *line,
                          line_record *rec)
{
    size_t cap = 1;
    for (const char *p = text; (p = strstr(p, r->headers_separator)); p += strlen(r->headers_separator))
        cap++;
    rec->headers = calloc(cap, sizeof(*rec->headers));
    if (!rec->headers)
        return false;
    char *save = text;
    while (save) {
        char *next = strstr(save, r->headers_separator);
        if (next) {
            *next = '\0';
            next += strlen(r->headers_separator);
        }
        char *ks = strstr(save, r->headers_key_separator);
        if (!ks) {
            if (!r->ignore_error) {
                input_error("header key separator", save, lineno, line);
                return false;
            }
            save = next;
            continue;
        }
        *ks = '\0';
        const char *v = ks + strlen(r->headers_key_separator);
        size_t vlen = strlen(v);
        kc_header *h = &rec->headers[rec->header_count++];
        h->key = save;
        h->value = is_null(r, v, vlen) ? NULL : v;
        h->value_len = h->value ? vlen : 0;
        save = next;
    }
    return true;
}

/* Splits one line into headers, key and value (pointers into line). */
static bool parse_line(const reader_props *r, char *line, long lineno, line_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    char *rest = line;
    char *original = strdup(line);
    bool ok = original != NULL;
    if (ok && r->parse_headers) {
        char *d = strstr(rest, r->headers_delimiter);
        if (!d && !r->ignore_error) {
            input_error("headers delimiter", NULL, lineno, original);
            ok = false;
        } else if (d) {
            *d = '\0';
            ok = parse_headers(r, rest, lineno, original, rec);
            rest = d + strlen(r->headers_delimiter);
        }
    }
    if (ok && r->parse_key) {
        char *s = strstr(rest, r->key_separator);
        if (!s && !r->ignore_error) {
            input_error("key separator", NULL, lineno, original);
            ok = false;
        } else if (s) {
            *s = '\0';
            rec->key = rest;
            rec->key_len = strlen(rest);
            rest = s + strlen(r->key_separator);
        }
    }
    rec->value = rest;
    rec->value_len = strlen(rest);
    if (rec->key && is_null(r, rec->key, rec->key_len))
        rec->key = NULL, rec->key_len = 0;
    if (is_null(r, rec->value, rec->value_len))
        rec->value = NULL, rec->value_len = 0;
    free(original);
    return ok;
}

/* ---- stdin --------------------------------------------------------------------------------------------- */

typedef struct line_reader {
    char *buf;
    size_t len;
    size_t cap;
    bool eof;
} line_reader;

/* Reads what stdin has now (without blocking when wait_ms is 0). */
static void reader_fill(line_reader *lr, int wait_ms)
{
    struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
    if (poll(&pfd, 1, wait_ms) <= 0)
        return;
    if (lr->cap - lr->len < 65536) {
        size_t cap = lr->cap ? lr->cap * 2 : 131072;
        char *grown = realloc(lr->buf, cap);
        if (!grown) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        lr->buf = grown;
        lr->cap = cap;
    }
    ssize_t n = read(STDIN_FILENO, lr->buf + lr->len, lr->cap - lr->len - 1);
    if (n > 0)
        lr->len += (size_t)n;
    else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        lr->eof = true;
}

/* The next complete line (NUL-terminated, without "\n" or "\r\n") into
 * out (malloc'd), or NULL when none is buffered. At end of input a last
 * line without "\n" counts. */
static char *reader_next(line_reader *lr)
{
    char *nl = lr->len ? memchr(lr->buf, '\n', lr->len) : NULL;
    size_t take;
    if (nl)
        take = (size_t)(nl - lr->buf);
    else if (lr->eof && lr->len)
        take = lr->len;
    else
        return NULL;
    size_t line_len = take;
    if (line_len && lr->buf[line_len - 1] == '\r')
        line_len--;
    char *line = strndup(lr->buf, line_len);
    size_t consumed = nl ? take + 1 : take;
    memmove(lr->buf, lr->buf + consumed, lr->len - consumed);
    lr->len -= consumed;
    if (!line) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return line;
}

/* ---- producing ---------------------------------------------------------------------------------------- */

typedef struct sent_info {
    size_t key_len;
    bool key_null;
    size_t value_len;
    bool value_null;
} sent_info;

typedef struct producer_state {
    const char *topic;
    long failures;
} producer_state;

static void on_delivery(const kc_delivery *d, void *opaque)
{
    producer_state *st = opaque;
    sent_info *info = d->opaque;
    if (d->err) {
        char key[32], value[32];
        snprintf(key, sizeof(key), info && !info->key_null ? "%zu bytes" : "null",
                 info ? info->key_len : 0);
        snprintf(value, sizeof(value), info && !info->value_null ? "%zu bytes" : "null",
                 info ? info->value_len : 0);
        fprintf(stderr, "ERROR Error when sending message to topic %s with key: %s, value: %s "
                        "with error: %s\n", d->topic, key, value, d->errstr);
        st->failures++;
    }
    free(info);
}

/* The producer's properties, lowest precedence first: Kafka's console
 * defaults, --producer.config, --producer-property, then explicit flags. */
static const struct {
    const char *prop, *flag, *def;
} console_props[] = {
    {"linger.ms", "timeout", "1000"},
    {"acks", "request-required-acks", "-1"},
    {"retries", "message-send-max-retries", "3"},
    {"retry.backoff.ms", "retry-backoff-ms", "100"},
    {"max.block.ms", "max-block-ms", "60000"},
    {"buffer.memory", "max-memory-bytes", "33554432"},
    {"batch.size", "max-partition-memory-bytes", "16384"},
    {"batch.size", "batch-size", "16384"},
    {"request.timeout.ms", "request-timeout-ms", "1500"},
    {"metadata.max.age.ms", "metadata-expiry-ms", "300000"},
    {"compression.type", "compression-codec", "none"},
    {"client.id", NULL, "console-producer"},
};

#define CONSOLE_PROP_COUNT (sizeof(console_props) / sizeof(console_props[0]))

static bool set_or_say(kc_config *conf, const char *name, const char *value)
{
    char err[256];
    if (kc_config_set(conf, name, value, err, sizeof(err)) == KC_OK)
        return true;
    fprintf(stderr, "%s\n", err);
    return false;
}

static kc_config *producer_config(const tool_args *a, const char *bootstrap, producer_state *st)
{
    kc_config *conf = tool_config(NULL, NULL, NULL, NULL, 0);
    bool ok = conf != NULL;
    for (size_t i = 0; ok && i < CONSOLE_PROP_COUNT; i++)
        ok = set_or_say(conf, console_props[i].prop, console_props[i].def);
    const char *file = tool_get(a, "producer.config", tool_get(a, "command-config", NULL));
    ok = ok && (!file || tool_config_load(conf, file));
    for (size_t i = 0; ok && i < tool_count(a, "producer-property"); i++)
        ok = tool_config_set_kv(conf, tool_value_at(a, "producer-property", i));
    for (size_t i = 0; ok && i < CONSOLE_PROP_COUNT; i++) {
        const char *flag = console_props[i].flag;
        if (!flag || !tool_has(a, flag))
            continue;
        const char *v = tool_get(a, flag, NULL);
        if (!v) /* --compression-codec without a value */
            v = "gzip";
        ok = set_or_say(conf, console_props[i].prop, v);
    }
    ok = ok && set_or_say(conf, "bootstrap.servers", bootstrap);
    if (!ok) {
        kc_config_free(conf);
        return NULL;
    }
    kc_config_set_delivery_cb(conf, on_delivery, st);
    return conf;
}

/* Queues one line as a record; false ends the tool (bad input or a
 * producer that cannot take more). */
static bool produce_line(kc_producer *p, const reader_props *rp, producer_state *st, char *line,
                         long lineno, bool sync)
{
    line_record rec;
    if (!parse_line(rp, line, lineno, &rec)) {
        free(rec.headers);
        return false;
    }
    sent_info *info = calloc(1, sizeof(*info));
    if (info)
        *info = (sent_info){rec.key_len, rec.key == NULL, rec.value_len, rec.value == NULL};
    kc_record r = {st->topic, KC_PARTITION_ANY, rec.key, rec.key_len, rec.value, rec.value_len,
                   rec.headers, rec.header_count, KC_TIMESTAMP_NOW, KC_COMPRESSION_PRODUCER};
    kc_err err = kc_produce(p, &r, info);
    free(rec.headers);
    if (err) {
        free(info);
        fprintf(stderr, "ERROR Error when sending message to topic %s: %s\n", st->topic,
                kc_client_last_error(kc_producer_client(p)));
        st->failures++;
        return err != KC_ERR_FATAL;
    }
    if (sync)
        kc_producer_flush(p, -1);
    return true;
}

static void read_and_produce(kc_producer *p, const reader_props *rp, producer_state *st,
                             bool sync)
{
    line_reader lr = {0};
    bool prompt = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    long lineno = 0;
    bool prompted = false;
    while (!stop_requested) {
        char *line = reader_next(&lr);
        if (!line) {
            if (lr.eof)
                break;
            if (prompt && !prompted) {
                printf(">");
                fflush(stdout);
                prompted = true;
            }
            kc_producer_poll(p, 0);
            reader_fill(&lr, 50);
            continue;
        }
        prompted = false;
        bool ok = produce_line(p, rp, st, line, ++lineno, sync);
        free(line);
        if (!ok) {
            st->failures++;
            break;
        }
        if (lineno % 256 == 0)
            kc_producer_poll(p, 0);
    }
    free(lr.buf);
}

/* The producer, connected to the cluster; NULL after printing why. */
static kc_producer *open_producer(const tool_args *a, const char *bootstrap, producer_state *st)
{
    kc_config *conf = producer_config(a, bootstrap, st);
    if (!conf)
        return NULL;
    char err[512], buf[32];
    int max_block = atoi(kc_config_get(conf, "max.block.ms", buf, sizeof(buf)));
    kc_producer *p = kc_producer_new(conf, NULL, err, sizeof(err));
    kc_config_free(conf);
    if (!p) {
        fprintf(stderr, "ERROR %s\n", err);
        return NULL;
    }
    if (kc_client_connect(kc_producer_client(p), max_block) != KC_OK) {
        fprintf(stderr, "ERROR %s\n", kc_client_last_error(kc_producer_client(p)));
        kc_producer_free(p);
        return NULL;
    }
    return p;
}

int tool_console_producer(int argc, char **argv)
{
    tool_args a;
    tool_args_parse(&a, "console-producer", "This tool helps to read data from standard input "
                    "and publish it to Kafka.", opts, OPT_COUNT, argc, argv);
    if (argc <= 1)
        tool_usage_exit(&a, "This tool helps to read data from standard input and publish it "
                            "to Kafka.");
    const char *bootstrap = tool_get(&a, "bootstrap-server", tool_get(&a, "broker-list", NULL));
    if (!bootstrap)
        tool_usage_exit(&a, "Missing required argument \"[bootstrap-server]\"");
    if (!tool_has(&a, "topic"))
        tool_usage_exit(&a, "Missing required argument \"[topic]\"");
    reader_props rp = {false, "\t", false, "\t", ",", ":", NULL, false};
    for (size_t i = 0; i < tool_count(&a, "property"); i++)
        reader_set(&rp, tool_value_at(&a, "property", i));
    for (size_t i = 0; i < tool_count(&a, "reader-property"); i++)
        reader_set(&rp, tool_value_at(&a, "reader-property", i));
    producer_state st = {tool_get(&a, "topic", NULL), 0};
    kc_producer *p = open_producer(&a, bootstrap, &st);
    int rc = 1;
    if (p) {
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        read_and_produce(p, &rp, &st, tool_has(&a, "sync"));
        if (kc_producer_close(p, -1) != KC_OK)
            st.failures++;
        if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
            printf("\n");
        rc = st.failures ? 1 : 0;
    }
    tool_args_free(&a);
    return rc;
}
