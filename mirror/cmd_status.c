/* cmd_status.c — `strait-mirror status`: what the mirror has replicated,
 * per flow and partition, from the offset store's status rows (written by
 * the running daemon), optionally with the sources' end offsets read live.
 *
 * Owns the status command: its flags, its table, the live refresh (the
 * helpers it shares with `failover` are in cmd_util.c). Reads the store
 * only: never creates the database file, never writes a row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror/cluster_client.h"
#include "mirror/commands.h"
#include "mirror/mirror_config.h"
#include "mirror/offset_store.h"

/* ---- Arguments ----------------------------------------------------------------------------------------- */

enum { S_CONFIG, S_FLOW, S_LIVE, S_TIMEOUT };
static const cmd_flag status_flags[] = {
    [S_CONFIG] = {"config", true},
    [S_FLOW] = {"flow", true},
    [S_LIVE] = {"live", false},
    [S_TIMEOUT] = {"timeout-ms", true},
};
#define STATUS_FLAG_COUNT (sizeof(status_flags) / sizeof(status_flags[0]))

void status_usage(FILE *out)
{
    fprintf(out,
            "Usage: strait-mirror status --config FILE [--flow NAME] [--live] [--timeout-ms N]\n"
            "Shows, per flow and partition, how far the mirror has replicated, its lag and\n"
            "its last error, from the offset store the running mirror keeps up to date.\n"
            "\n"
            "  --config FILE     the mirror's YAML config (names the offset store)\n"
            "  --flow NAME       only this flow\n"
            "  --live            read each source's end offsets now (read_committed, as the\n"
            "                    flow reads) and recompute LAG-RECORDS from them\n"
            "  --timeout-ms N    how long --live waits for a source (default %d)\n",
            CMD_DEFAULT_TIMEOUT_MS);
}

cmd_parse_result status_args_parse(status_args *out, int argc, char **argv, char *errbuf,
                                   size_t errlen)
{
    *out = (status_args){.timeout_ms = CMD_DEFAULT_TIMEOUT_MS};
    for (int i = 1; i < argc;) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return CMD_PARSE_HELP;
        const char *value = NULL;
        int f = cmd_flag_next(status_flags, STATUS_FLAG_COUNT, argc, argv, &i, &value, errbuf,
                              errlen);
        if (f == S_CONFIG)
            out->config_path = value;
        else if (f == S_FLOW)
            out->flow = value;
        else if (f == S_LIVE)
            out->live = true;
        else if (f == S_TIMEOUT) {
            if (!cmd_parse_positive_int("timeout-ms", value, &out->timeout_ms, errbuf, errlen))
                return CMD_PARSE_ERROR;
        } else
            return CMD_PARSE_ERROR;
    }
    if (!out->config_path) {
        snprintf(errbuf, errlen, "missing required flag --config");
        return CMD_PARSE_ERROR;
    }
    return CMD_PARSE_OK;
}

/* ---- The table -------------------------------------------------------------------------------------------- */

static const char *const status_headers[] = {
    "FLOW", "TOPIC", "PARTITION", "TARGET-TOPIC", "REPLICATED-OFFSET", "SOURCE-END",
    "LAG-RECORDS", "LAG-SECONDS", "RECORDS", "ERRORS", "LAST-ERROR", "UPDATED"};
#define STATUS_COLUMNS (sizeof(status_headers) / sizeof(status_headers[0]))
#define LAST_ERROR_MAX 60

/* An offset, "-" when unknown (negative). */
static const char *format_offset(int64_t v, char *buf, size_t len)
{
    return cmd_format_number(v >= 0, v, buf, len);
}

/* One line, at most LAST_ERROR_MAX characters ("..." marks a cut). */
static const char *format_last_error(const char *msg, char *buf, size_t len)
{
    if (!msg || !*msg)
        return "-";
    snprintf(buf, len, "%s", msg);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    if (strlen(buf) > LAST_ERROR_MAX && len > LAST_ERROR_MAX)
        strcpy(buf + LAST_ERROR_MAX - 3, "...");
    return buf;
}

static bool add_status_row(cmd_table *t, const store_status *r, int64_t now_ms)
{
    char part[16], pos[24], end[24], lag[24], secs[32], recs[24], errs[24], last[LAST_ERROR_MAX + 8],
        age[32], updated[48];
    snprintf(part, sizeof(part), "%d", r->partition);
    snprintf(recs, sizeof(recs), "%lld", (long long)r->records);
    snprintf(errs, sizeof(errs), "%lld", (long long)r->errors);
    const char *lag_text = r->source_end >= 0 ? format_offset(r->lag_records, lag, sizeof(lag))
                                              : "-";
    const char *secs_text = "-";
    if (r->lag_seconds >= 0) {
        snprintf(secs, sizeof(secs), "%.1f", r->lag_seconds);
        secs_text = secs;
    }
    const char *updated_text = "-";
    if (r->updated_ms > 0) {
        snprintf(updated, sizeof(updated), "%s ago",
                 cmd_format_age(now_ms - r->updated_ms, age, sizeof(age)));
        updated_text = updated;
    }
    const char *cells[STATUS_COLUMNS] = {
        r->flow,
        r->topic,
        part,
        r->target_topic && *r->target_topic ? r->target_topic : "-",
        format_offset(r->position, pos, sizeof(pos)),
        format_offset(r->source_end, end, sizeof(end)),
        lag_text,
        secs_text,
        recs,
        errs,
        format_last_error(r->last_error, last, sizeof(last)),
        updated_text,
    };
    return cmd_table_add(t, cells);
}

void status_print_table(FILE *out, const store_status *rows, size_t n, int64_t now_ms)
{
    cmd_table t;
    cmd_table_init(&t, status_headers, STATUS_COLUMNS);
    for (size_t i = 0; i < n; i++)
        if (!add_status_row(&t, &rows[i], now_ms)) {
            fprintf(stderr, "strait-mirror status: out of memory\n");
            break;
        }
    cmd_table_print(&t, out);
    cmd_table_free(&t);
}

void status_apply_source_end(store_status *row, int64_t source_end)
{
    row->source_end = source_end;
    row->lag_records = source_end > row->position ? source_end - row->position : 0;
    if (row->lag_records == 0)
        row->lag_seconds = 0;
}

/* ---- --live ----------------------------------------------------------------------------------------------- */

static const mirror_flow *flow_named(const mirror_config *config, const char *name)
{
    for (size_t i = 0; i < config->flow_count; i++)
        if (!strcmp(config->flows[i].name, name))
            return &config->flows[i];
    return NULL;
}

/* Reads the source end offsets of rows[0..n) (all of one flow) and
 * recomputes their lag; on failure warns and leaves the stored values. */
static void refresh_flow(const mirror_config *config, store_status *rows, size_t n,
                         const status_args *args, const st_logger *log)
{
    const mirror_flow *flow = flow_named(config, rows[0].flow);
    if (!flow) {
        fprintf(stderr, "warning: flow %s is no longer in %s: its SOURCE-END is the stored one\n",
                rows[0].flow, config->path);
        return;
    }
    char err[512];
    kc_client *client = cluster_client_new(flow->source, "status", log, err, sizeof(err));
    kc_list_offset *q = calloc(n, sizeof(*q));
    if (!client || !q) {
        fprintf(stderr, "warning: flow %s: %s: its SOURCE-END is the stored one\n", flow->name,
                client ? "out of memory" : err);
        free(q);
        kc_client_free(client);
        return;
    }
    for (size_t i = 0; i < n; i++)
        q[i] = (kc_list_offset){.topic = rows[i].topic, .partition = rows[i].partition,
                                .spec = KC_OFFSET_SPEC_LATEST};
    kc_err rc = kc_admin_list_offsets(client, q, n, flow->read_committed ? 1 : 0,
                                      args->timeout_ms);
    if (rc && cmd_unreachable(rc))
        fprintf(stderr, "warning: flow %s: source %s unreachable (%s): its SOURCE-END is the "
                        "stored one\n", flow->name, flow->source->name,
                kc_client_last_error(client));
    for (size_t i = 0; i < n; i++) {
        if (q[i].err == KC_OK && q[i].offset >= 0)
            status_apply_source_end(&rows[i], q[i].offset);
        else if (!cmd_unreachable(rc))
            fprintf(stderr, "warning: flow %s: %s [%d] on source %s: %s: SOURCE-END is the "
                            "stored one\n", flow->name, rows[i].topic, rows[i].partition,
                    flow->source->name, kc_err_name(q[i].err));
    }
    free(q);
    kc_client_free(client);
}

/* Rows come sorted by flow: refreshes each run of one flow. */
static void refresh_live(const mirror_config *config, store_status *rows, size_t n,
                         const status_args *args, const st_logger *log)
{
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && !strcmp(rows[end].flow, rows[start].flow))
            end++;
        refresh_flow(config, &rows[start], end - start, args, log);
        start = end;
    }
}

/* ---- The command ------------------------------------------------------------------------------------------ */

static const char *const no_status =
    "no status yet (is strait-mirror running with this config?)";

static int show_status(const mirror_config *config, const status_args *args,
                       const st_logger *log)
{
    if (access(config->database, F_OK) != 0) {
        printf("%s\n", no_status);
        fprintf(stderr, "(the offset store %s does not exist)\n", config->database);
        return MIRROR_CMD_OK;
    }
    char err[512];
    offset_store *store = NULL;
    if (offset_store_open(&store, config->database, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, "strait-mirror status: %s\n", err);
        return MIRROR_CMD_FAILED;
    }
    store_status *rows = NULL;
    size_t n = 0;
    st_err rc = offset_store_status(store, args->flow, &rows, &n, err, sizeof(err));
    offset_store_close(store);
    if (rc != ST_OK) {
        fprintf(stderr, "strait-mirror status: %s\n", err);
        return MIRROR_CMD_FAILED;
    }
    if (n == 0)
        printf("%s\n", no_status);
    else {
        if (args->live)
            refresh_live(config, rows, n, args, log);
        status_print_table(stdout, rows, n, cmd_now_ms());
    }
    offset_store_free_status(rows, n);
    return MIRROR_CMD_OK;
}

int mirror_cmd_status(int argc, char **argv, const st_logger *log)
{
    status_args args;
    char err[1024];
    cmd_parse_result parsed = status_args_parse(&args, argc, argv, err, sizeof(err));
    if (parsed == CMD_PARSE_HELP) {
        status_usage(stdout);
        return MIRROR_CMD_OK;
    }
    if (parsed == CMD_PARSE_ERROR) {
        fprintf(stderr, "strait-mirror status: %s\n\n", err);
        status_usage(stderr);
        return MIRROR_CMD_USAGE;
    }
    mirror_config config;
    if (mirror_config_load(&config, args.config_path, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, "strait-mirror status: %s\n", err);
        return MIRROR_CMD_FAILED;
    }
    int rc;
    if (args.flow && !flow_named(&config, args.flow)) {
        fprintf(stderr, "strait-mirror status: no flow named '%s' in %s (flows:", args.flow,
                config.path);
        for (size_t i = 0; i < config.flow_count; i++)
            fprintf(stderr, " %s", config.flows[i].name);
        fprintf(stderr, "%s)\n", config.flow_count ? "" : " none");
        rc = MIRROR_CMD_FAILED;
    } else
        rc = show_status(&config, &args, log);
    mirror_config_free(&config);
    fflush(stdout);
    return rc;
}
