/* consumer_groups.c — `strait consumer-groups`, Kafka's
 * kafka-consumer-groups.sh: --list, --describe (offsets and lag, --members,
 * --state), --delete; the offset changes (--reset-offsets, --delete-offsets)
 * are in consumer_groups_reset.c.
 *
 * Owns the tool's flags and checks, and the describe tables in Kafka's
 * layout (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG
 * CONSUMER-ID HOST CLIENT-ID, with Kafka's column widths and its notes on
 * stderr for empty or rebalancing groups). Everything goes through the
 * admin API; no consumer joins the group. Exit status 1 after an error
 * (Kafka prints the same errors but exits 0). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/consumer_groups.h"

static const tool_opt opts[] = {
    {"bootstrap-server", OPT_ARG, "String: server to connect to",
     "REQUIRED: The server(s) to connect to.", NULL},
    {"group", OPT_ARG, "String: consumer group", "The consumer group we wish to act on.", NULL},
    {"topic", OPT_ARG, "String: topic", "The topic whose consumer group information should be "
     "deleted or topic whose should be included in the reset offset process. In "
     "`reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`.",
     NULL},
    {"all-topics", OPT_FLAG, NULL,
     "Consider all topics assigned to a group in the `reset-offsets` process.", NULL},
    {"list", OPT_FLAG, NULL, "List all consumer groups.", NULL},
    {"describe", OPT_FLAG, NULL, "Describe consumer group and list offset lag (number of "
     "messages not yet processed) related to given group.", NULL},
    {"all-groups", OPT_FLAG, NULL, "Apply to all consumer groups.", NULL},
    {"delete", OPT_FLAG, NULL, "Pass in groups to delete topic partition offsets and ownership "
     "information over the entire consumer group.", NULL},
    {"timeout", OPT_ARG, "Long: timeout (ms)", "The timeout that can be set for some use cases.",
     "5000"},
    {"command-config", OPT_ARG, "String: command config property file",
     "Property file containing configs to be passed to the admin client.", NULL},
    {"reset-offsets", OPT_FLAG, NULL, "Reset offsets of consumer group. Supports one consumer "
     "group at the time, and instances should be inactive. --dry-run (the default) plans, "
     "--execute updates.", NULL},
    {"delete-offsets", OPT_FLAG, NULL, "Delete offsets of consumer group. Supports one consumer "
     "group at the time, and multiple topics.", NULL},
    {"dry-run", OPT_FLAG, NULL, "Only show results without executing changes on Consumer "
     "Groups. Supported operations: reset-offsets.", NULL},
    {"execute", OPT_FLAG, NULL, "Execute operation. Supported operations: reset-offsets.", NULL},
    {"export", OPT_FLAG, NULL, "Export operation execution to a CSV file. Supported operations: "
     "reset-offsets.", NULL},
    {"to-offset", OPT_ARG, "Long: offset", "Reset offsets to a specific offset.", NULL},
    {"from-file", OPT_ARG, "String: path to CSV file",
     "Reset offsets to values defined in CSV file.", NULL},
    {"to-datetime", OPT_ARG, "String: datetime",
     "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'", NULL},
    {"by-duration", OPT_ARG, "String: duration", "Reset offsets to offset by duration from "
     "current timestamp. Format: 'PnDTnHnMnS'", NULL},
    {"to-earliest", OPT_FLAG, NULL, "Reset offsets to earliest offset.", NULL},
    {"to-latest", OPT_FLAG, NULL, "Reset offsets to latest offset.", NULL},
    {"to-current", OPT_FLAG, NULL, "Reset offsets to current offset.", NULL},
    {"shift-by", OPT_ARG, "Long: number-of-offsets", "Reset offsets shifting current offset by "
     "'n', where 'n' can be positive or negative.", NULL},
    {"members", OPT_FLAG, NULL, "Describe members of the group.", NULL},
    {"verbose", OPT_FLAG, NULL, "Provide additional information, if any, when describing the "
     "group.", NULL},
    {"offsets", OPT_FLAG, NULL, "Describe the group and list all topic partitions in the group "
     "along with their offset lag (the default sub-action of --describe).", NULL},
    {"state", OPT_OPTIONAL_ARG, "String", "When specified with '--describe', includes the state "
     "of the group. When specified with '--list', it displays the state of all groups; it can "
     "also list groups with specific states (e.g. --list --state stable,empty).", NULL},
    {"type", OPT_OPTIONAL_ARG, "String", "When specified with '--list', it displays the types of "
     "all the groups (only 'classic' groups exist in strait).", NULL},
};

#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))
#define MISSING "-"

void groups_print_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("\nError: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* ---- flag checks ---------------------------------------------------------------------------- */

static const char *const scenarios[] = {"to-offset", "shift-by", "to-datetime", "by-duration",
                                        "to-earliest", "to-latest", "to-current", "from-file"};
#define SCENARIO_COUNT (sizeof(scenarios) / sizeof(scenarios[0]))

static void check_reset(const tool_args *a)
{
    if (tool_has(a, "dry-run") && tool_has(a, "execute"))
        tool_usage_exit(a, "Option [reset-offsets] only accepts one of [execute] and [dry-run]");
    if (!tool_has(a, "dry-run") && !tool_has(a, "execute"))
        fprintf(stderr, "WARN: No action will be performed as the --execute option is missing. "
                        "You should add the --dry-run option explicitly if you are scripting "
                        "this command and want to keep the current default behavior without "
                        "prompting.\n");
    if (!tool_has(a, "group") && !tool_has(a, "all-groups"))
        tool_usage_exit(a, "Option [reset-offsets] takes one of these options: [all-groups], "
                           "[group]");
    const char *first = NULL;
    for (size_t i = 0; i < SCENARIO_COUNT; i++) {
        if (!tool_has(a, scenarios[i]))
            continue;
        if (first)
            tool_usage_exit(a, "Option \"[%s]\" can't be used with option \"[%s]\"", scenarios[i],
                            first);
        first = scenarios[i];
    }
    if (!first)
        tool_usage_exit(a, "Option '[reset-offsets]' requires one of the following scenarios: "
                           "[to-offset], [shift-by], [to-datetime], [by-duration], "
                           "[to-earliest], [to-latest], [to-current], [from-file]");
    if (tool_has(a, "all-topics") && tool_has(a, "topic"))
        tool_usage_exit(a, "Option \"[all-topics]\" can't be used with option \"[topic]\"");
    if (!tool_has(a, "all-topics") && !tool_has(a, "topic") && !tool_has(a, "from-file"))
        tool_usage_exit(a, "One of the reset scopes should be defined: --all-topics, --topic.");
}

static void check_args(const tool_args *a)
{
    static const char *const actions[] = {"list", "describe", "delete", "reset-offsets",
                                          "delete-offsets"};
    int n = 0;
    for (size_t i = 0; i < 5; i++)
        n += tool_has(a, actions[i]);
    if (n != 1)
        tool_usage_exit(a, "Command must include exactly one action: --list, --describe, "
                           "--delete, --reset-offsets, --delete-offsets");
    if (!tool_has(a, "bootstrap-server"))
        tool_usage_exit(a, "Missing required argument \"[bootstrap-server]\"");
    bool describe = tool_has(a, "describe");
    if (!describe && (tool_has(a, "members") || tool_has(a, "verbose") || tool_has(a, "offsets")))
        tool_usage_exit(a, "Option(s) [members], [offsets], [verbose] are unavailable given "
                           "other options on the command line");
    if (describe) {
        if (!tool_has(a, "group") && !tool_has(a, "all-groups"))
            tool_usage_exit(a, "Option [describe] takes one of these options: [all-groups], "
                               "[group]");
        if (tool_has(a, "members") + tool_has(a, "offsets") + tool_has(a, "state") > 1)
            tool_usage_exit(a, "Option [describe] takes at most one of these options: "
                               "[members], [offsets], [state]");
        if (tool_get(a, "state", NULL))
            tool_usage_exit(a, "Option [describe] does not take a value for [state]");
    }
    if (tool_has(a, "state") && !describe && !tool_has(a, "list"))
        tool_usage_exit(a, "Option(s) [state] are unavailable given other options on the "
                           "command line");
    if (tool_has(a, "delete")) {
        if (!tool_has(a, "group") && !tool_has(a, "all-groups"))
            tool_usage_exit(a, "Option [delete] takes one of these options: [all-groups], [group]");
        if (tool_has(a, "topic"))
            tool_usage_exit(a, "The consumer does not support topic-specific offset deletion "
                               "from a consumer group.");
    }
    if (tool_has(a, "delete-offsets") && (!tool_has(a, "group") || !tool_has(a, "topic")))
        tool_usage_exit(a, "Option [delete-offsets] takes the following options: [group], "
                           "[topic]");
    if (tool_has(a, "reset-offsets"))
        check_reset(a);
    tool_get_long(a, "timeout", 5000); /* malformed numbers: usage, before connecting */
    tool_get_long(a, "to-offset", 0);
    tool_get_long(a, "shift-by", 0);
}

/* ---- --list -------------------------------------------------------------------------------- */

static const char *const valid_states[] = {"PreparingRebalance", "CompletingRebalance",
                                           "Stable", "Dead", "Empty", "Assigning",
                                           "Reconciling"};
#define STATE_COUNT (sizeof(valid_states) / sizeof(valid_states[0]))

/* "stable,empty" → Kafka's state names; exits on an unknown state. */
static void parse_states(groups_cmd *c, const char *input, tool_strings *out)
{
    size_t n = 0;
    char **v = tool_split(input, ',', &n);
    for (size_t i = 0; v && i < n; i++) {
        const char *s = tool_trim(v[i]);
        size_t k = 0;
        while (k < STATE_COUNT && strcasecmp(s, valid_states[k]) != 0)
            k++;
        if (k == STATE_COUNT)
            tool_usage_exit(&c->a, "Invalid state list '%s'. Valid states are: "
                                   "PreparingRebalance, CompletingRebalance, Stable, Dead, "
                                   "Empty, Assigning, Reconciling", input);
        tool_strings_add(out, valid_states[k]);
    }
    tool_free_strings(v, n);
}

static bool is_consumer_group(const kc_group_listing *g)
{
    return !strcmp(g->protocol_type, "consumer") || !*g->protocol_type;
}

static int do_list(groups_cmd *c)
{
    tool_strings states = {0};
    const char *state_arg = tool_get(&c->a, "state", NULL);
    if (state_arg && *state_arg)
        parse_states(c, state_arg, &states);
    kc_group_listing *groups = NULL;
    size_t n = 0;
    if (kc_admin_list_groups(c->client, (const char *const *)states.v, states.count, c->timeout,
                             &c->arena, &groups, &n)) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        tool_strings_free(&states);
        return 1;
    }
    bool with_state = tool_has(&c->a, "state"), with_type = tool_has(&c->a, "type");
    int width = 15;
    for (size_t i = 0; i < n; i++)
        if (is_consumer_group(&groups[i]) && (int)strlen(groups[i].group_id) > width)
            width = (int)strlen(groups[i].group_id);
    width += 10;
    if (with_state || with_type) {
        printf("%-*s", width, "GROUP");
        if (with_type)
            printf(" %-20s", "TYPE");
        if (with_state)
            printf(" %-20s", "STATE");
        printf("\n");
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_consumer_group(&groups[i]))
            continue;
        if (!with_state && !with_type) {
            printf("%s\n", groups[i].group_id);
            continue;
        }
        printf("%-*s", width, groups[i].group_id);
        if (with_type)
            printf(" %-20s", "Classic");
        if (with_state)
            printf(" %-20s", *groups[i].state ? groups[i].state : "Unknown");
        printf("\n");
    }
    tool_strings_free(&states);
    return 0;
}

/* ---- --describe ------------------------------------------------------------------------------ */

/* Kafka's shouldPrintMemberState: notes for unusual states; false when
 * there is nothing to print. */
static bool member_state_note(const kc_group_desc *g, size_t rows)
{
    if (g->err == KAFKA_GROUP_ID_NOT_FOUND || !strcmp(g->state, "Dead")) {
        groups_print_error("Consumer group '%s' does not exist.", g->group_id);
        return false;
    }
    if (!strcmp(g->state, "Empty"))
        fprintf(stderr, "\nConsumer group '%s' has no active members.\n", g->group_id);
    else if (strcmp(g->state, "Stable") != 0)
        fprintf(stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", g->group_id);
    return rows > 0;
}

typedef struct offset_row {
    const char *topic;
    int32_t partition;
    int64_t offset;        /* -1: none committed */
    int32_t epoch;
    int64_t log_end;       /* -1: unknown */
    const char *consumer;
    const char *host;
    const char *client;
} offset_row;

static const kc_group_offset *find_committed(const kc_group_offset *o, size_t n,
                                             const char *topic, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].partition == partition && !strcmp(o[i].topic, topic))
            return &o[i];
    return NULL;
}

static int compare_tp(const void *a, const void *b)
{
    const kc_topic_partition *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Members with partitions, the largest assignment first (stable). */
static size_t *members_by_size(const kc_group_desc *g)
{
    size_t *order = calloc(g->member_count + 1, sizeof(*order));
    size_t k = 0;
    for (size_t i = 0; order && i < g->member_count; i++)
        if (g->members[i].assignment_count)
            order[k++] = i;
    for (size_t i = 1; order && i < k; i++)
        for (size_t j = i; j > 0 && g->members[order[j - 1]].assignment_count <
                                        g->members[order[j]].assignment_count; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    if (order)
        order[k] = (size_t)-1;
    return order;
}

static void add_row(offset_row *rows, size_t *n, const kc_topic_partition *tp,
                    const kc_group_offset *committed, size_t ncommitted, const char *consumer,
                    const char *host, const char *client)
{
    const kc_group_offset *o = find_committed(committed, ncommitted, tp->topic, tp->partition);
    rows[(*n)++] = (offset_row){tp->topic, tp->partition, o ? o->offset : -1,
                                o ? o->leader_epoch : -1, -1, consumer, host, client};
}

/* The rows of Kafka's offsets view: assigned partitions member by member,
 * then committed partitions nobody is assigned. */
static offset_row *collect_rows(const kc_group_desc *g, const kc_group_offset *committed,
                                size_t ncommitted, size_t *count)
{
    size_t total = ncommitted;
    for (size_t i = 0; i < g->member_count; i++)
        total += g->members[i].assignment_count;
    offset_row *rows = calloc(total + 1, sizeof(*rows));
    size_t *order = members_by_size(g);
    size_t n = 0;
    for (size_t k = 0; rows && order && order[k] != (size_t)-1; k++) {
        const kc_group_member *m = &g->members[order[k]];
        kc_topic_partition *tps = calloc(m->assignment_count, sizeof(*tps));
        if (!tps)
            break;
        memcpy(tps, m->assignment, m->assignment_count * sizeof(*tps));
        qsort(tps, m->assignment_count, sizeof(*tps), compare_tp);
        for (size_t i = 0; i < m->assignment_count; i++)
            add_row(rows, &n, &tps[i], committed, ncommitted, m->member_id, m->client_host,
                    m->client_id);
        free(tps);
    }
    size_t assigned = n;
    for (size_t i = 0; rows && i < ncommitted; i++) {
        bool taken = false;
        for (size_t r = 0; r < assigned && !taken; r++)
            taken = rows[r].partition == committed[i].partition &&
                    !strcmp(rows[r].topic, committed[i].topic);
        if (!taken) {
            kc_topic_partition tp = {committed[i].topic, committed[i].partition};
            add_row(rows, &n, &tp, committed, ncommitted, MISSING, MISSING, MISSING);
        }
    }
    free(order);
    *count = n;
    return rows;
}

bool groups_log_offsets(groups_cmd *c, const kc_topic_partition *parts, size_t n, int64_t spec,
                        int64_t *out)
{
    kc_list_offset *q = calloc(n + 1, sizeof(*q));
    if (!q)
        return false;
    for (size_t i = 0; i < n; i++)
        q[i] = (kc_list_offset){.topic = parts[i].topic, .partition = parts[i].partition,
                                .spec = spec};
    kc_err err = n ? kc_admin_list_offsets(c->client, q, n, 0, c->timeout) : KC_OK;
    for (size_t i = 0; i < n; i++)
        out[i] = q[i].err ? -1 : q[i].offset;
    free(q);
    return err == KC_OK || err > 0;
}

static void fill_log_ends(groups_cmd *c, offset_row *rows, size_t n)
{
    kc_topic_partition *tps = calloc(n + 1, sizeof(*tps));
    int64_t *ends = calloc(n + 1, sizeof(*ends));
    if (tps && ends) {
        for (size_t i = 0; i < n; i++)
            tps[i] = (kc_topic_partition){rows[i].topic, rows[i].partition};
        groups_log_offsets(c, tps, n, KC_OFFSET_SPEC_LATEST, ends);
        for (size_t i = 0; i < n; i++)
            rows[i].log_end = ends[i];
    }
    free(tps);
    free(ends);
}

static int width_of(int min, const char *s)
{
    int n = (int)strlen(s);
    return n > min ? n : min;
}

static void print_offset_rows(const char *group, const offset_row *rows, size_t n, bool verbose)
{
    int gw = width_of(15, group), tw = 15, cw = 15, hw = 15;
    for (size_t i = 0; i < n; i++) {
        tw = width_of(tw, rows[i].topic);
        cw = width_of(cw, rows[i].consumer);
        hw = width_of(hw, rows[i].host);
    }
    if (verbose)
        printf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-15s %-*s %-*s %s", gw, "GROUP", tw, "TOPIC",
               "PARTITION", "LEADER-EPOCH", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", cw,
               "CONSUMER-ID", hw, "HOST", "CLIENT-ID");
    else
        printf("\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s", gw, "GROUP", tw, "TOPIC",
               "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", cw, "CONSUMER-ID", hw,
               "HOST", "CLIENT-ID");
    for (size_t i = 0; i < n; i++) {
        const offset_row *r = &rows[i];
        char part[16], epoch[16], off[24], end[24], lag[24];
        snprintf(part, sizeof(part), "%d", r->partition);
        snprintf(epoch, sizeof(epoch), r->epoch >= 0 ? "%d" : MISSING, r->epoch);
        snprintf(off, sizeof(off), r->offset >= 0 ? "%lld" : MISSING, (long long)r->offset);
        snprintf(end, sizeof(end), r->log_end >= 0 ? "%lld" : MISSING, (long long)r->log_end);
        snprintf(lag, sizeof(lag), r->offset >= 0 && r->log_end >= 0 ? "%lld" : MISSING,
                 (long long)(r->log_end - r->offset));
        printf("\n%-*s %-*s %-10s ", gw, group, tw, r->topic, part);
        if (verbose)
            printf("%-15s ", epoch);
        printf("%-15s %-15s %-15s %-*s %-*s %s", off, end, lag, cw, r->consumer, hw, r->host,
               r->client);
    }
    printf("\n");
}

static int describe_offsets(groups_cmd *c, const kc_group_desc *g)
{
    kc_group_offset *committed = NULL;
    size_t ncommitted = 0;
    if (kc_admin_list_group_offsets(c->client, g->group_id, NULL, 0, c->timeout, &c->arena,
                                    &committed, &ncommitted) &&
        g->err != KAFKA_GROUP_ID_NOT_FOUND && strcmp(g->state, "Dead") != 0) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return 1;
    }
    size_t n = 0;
    offset_row *rows = collect_rows(g, committed, ncommitted, &n);
    bool dead = g->err == KAFKA_GROUP_ID_NOT_FOUND || !strcmp(g->state, "Dead");
    if (member_state_note(g, n)) {
        fill_log_ends(c, rows, n);
        print_offset_rows(g->group_id, rows, n, tool_has(&c->a, "verbose"));
    }
    free(rows);
    return dead ? 1 : 0;
}

/* "topic:0,1;topic2:3" — Kafka's getAssignmentString. */
static void assignment_string(const kc_group_member *m, char *buf, size_t len)
{
    kc_topic_partition *tps = calloc(m->assignment_count + 1, sizeof(*tps));
    size_t o = 0;
    buf[0] = '\0';
    if (!tps || !m->assignment_count) {
        snprintf(buf, len, MISSING);
        free(tps);
        return;
    }
    memcpy(tps, m->assignment, m->assignment_count * sizeof(*tps));
    qsort(tps, m->assignment_count, sizeof(*tps), compare_tp);
    for (size_t i = 0; i < m->assignment_count && o < len; i++) {
        bool new_topic = i == 0 || strcmp(tps[i].topic, tps[i - 1].topic) != 0;
        o += (size_t)snprintf(buf + o, len - o, "%s%s%s%d", new_topic && i ? ";" : "",
                              new_topic ? tps[i].topic : "", new_topic ? ":" : ",",
                              tps[i].partition);
    }
    free(tps);
}

static int describe_members(groups_cmd *c, const kc_group_desc *g)
{
    bool verbose = tool_has(&c->a, "verbose");
    bool dead = g->err == KAFKA_GROUP_ID_NOT_FOUND || !strcmp(g->state, "Dead");
    int gw = 15, cw = 15, iw = 17, hw = 15, clw = 15, aw = 20;
    bool with_instance = false;
    char assign[4096];
    if (member_state_note(g, g->member_count)) {
        for (size_t i = 0; i < g->member_count; i++) {
            const kc_group_member *m = &g->members[i];
            gw = width_of(gw, g->group_id);
            cw = width_of(cw, m->member_id);
            iw = width_of(iw, m->group_instance_id ? m->group_instance_id : "");
            hw = width_of(hw, m->client_host);
            clw = width_of(clw, m->client_id);
            with_instance = with_instance || (m->group_instance_id && *m->group_instance_id);
            assignment_string(m, assign, sizeof(assign));
            aw = width_of(aw, assign);
        }
    }
    printf("\n%-*s %-*s ", gw, "GROUP", cw, "CONSUMER-ID");
    if (with_instance)
        printf("%-*s ", iw, "GROUP-INSTANCE-ID");
    printf("%-*s %-*s %-15s ", hw, "HOST", clw, "CLIENT-ID", "#PARTITIONS");
    if (verbose)
        printf("%-15s %-*s %-15s %-20s", "CURRENT-EPOCH", aw, "CURRENT-ASSIGNMENT",
               "TARGET-EPOCH", "TARGET-ASSIGNMENT");
    printf("\n");
    for (size_t i = 0; i < g->member_count; i++) {
        const kc_group_member *m = &g->members[i];
        printf("%-*s %-*s ", gw, g->group_id, cw, m->member_id);
        if (with_instance)
            printf("%-*s ", iw, m->group_instance_id ? m->group_instance_id : "");
        printf("%-*s %-*s %-15zu ", hw, m->client_host, clw, m->client_id, m->assignment_count);
        if (verbose) {
            assignment_string(m, assign, sizeof(assign));
            printf("%-15s %-*s %-15s %-20s", MISSING, aw, assign, MISSING, MISSING);
        }
        printf("\n");
    }
    return dead ? 1 : 0;
}

static int describe_state(const kc_group_desc *g)
{
    if (!member_state_note(g, 1))
        return 1;
    char coord[300];
    snprintf(coord, sizeof(coord), "%s:%d  (%d)", g->coordinator_host ? g->coordinator_host : "",
             g->coordinator_port, g->coordinator);
    int gw = width_of(15, g->group_id), cw = width_of(25, coord);
    const char *strategy = *g->protocol ? g->protocol : MISSING;
    printf("\n%-*s %-*s %-20s %-20s %s", gw, "GROUP", cw, "COORDINATOR (ID)",
           "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
    printf("\n%-*s %-*s %-20s %-20s %zu", gw, g->group_id, cw, coord, strategy, g->state,
           g->member_count);
    printf("\n");
    return 0;
}

static int do_describe(groups_cmd *c)
{
    tool_strings_sort(&c->groups);
    kc_group_desc *descs = NULL;
    kc_admin_describe_groups(c->client, (const char *const *)c->groups.v, c->groups.count,
                             c->timeout, &c->arena, &descs);
    if (!descs) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return 1;
    }
    int rc = 0;
    for (size_t i = 0; i < c->groups.count; i++) {
        const kc_group_desc *g = &descs[i];
        if (g->err && g->err != KAFKA_GROUP_ID_NOT_FOUND) {
            groups_print_error("Executing consumer group command failed due to %s",
                               g->message);
            rc = 1;
            continue;
        }
        if (tool_has(&c->a, "members"))
            rc |= describe_members(c, g);
        else if (tool_has(&c->a, "state"))
            rc |= describe_state(g);
        else
            rc |= describe_offsets(c, g);
    }
    return rc;
}

/* ---- --delete ----------------------------------------------------------------------------------- */

static int do_delete(groups_cmd *c)
{
    kc_admin_result *res = NULL;
    kc_admin_delete_groups(c->client, (const char *const *)c->groups.v, c->groups.count,
                           c->timeout, &c->arena, &res);
    if (!res) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return 1;
    }
    size_t failed = 0;
    for (size_t i = 0; i < c->groups.count; i++)
        failed += res[i].err != 0;
    if (!failed) {
        printf("Deletion of requested consumer groups (");
        for (size_t i = 0; i < c->groups.count; i++)
            printf("%s'%s'", i ? ", " : "", res[i].name);
        printf(") was successful.\n");
        return 0;
    }
    groups_print_error("Deletion of some consumer groups failed:");
    for (size_t i = 0; i < c->groups.count; i++) {
        if (!res[i].err)
            continue;
        const char *ex = tool_error_exception(res[i].err);
        if (ex)
            printf("* Group '%s' could not be deleted due to: org.apache.kafka.common.errors."
                   "%s: %s\n", res[i].name, ex, tool_error_message(res[i].err));
        else
            printf("* Group '%s' could not be deleted due to: %s\n", res[i].name,
                   res[i].message);
    }
    if (failed < c->groups.count) {
        printf("\nThese consumer groups were deleted successfully: ");
        bool first = true;
        for (size_t i = 0; i < c->groups.count; i++)
            if (!res[i].err) {
                printf("%s'%s'", first ? "" : ", ", res[i].name);
                first = false;
            }
        printf("\n");
    }
    return 1;
}

/* ---- main ---------------------------------------------------------------------------------------- */

/* --group values, or every consumer group with --all-groups. */
static bool pick_groups(groups_cmd *c)
{
    for (size_t i = 0; i < tool_count(&c->a, "group"); i++)
        tool_strings_add(&c->groups, tool_value_at(&c->a, "group", i));
    if (!tool_has(&c->a, "all-groups"))
        return true;
    kc_group_listing *groups = NULL;
    size_t n = 0;
    if (kc_admin_list_groups(c->client, NULL, 0, c->timeout, &c->arena, &groups, &n)) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (is_consumer_group(&groups[i]))
            tool_strings_add(&c->groups, groups[i].group_id);
    return true;
}

/* Connects and runs the action; everything it made is freed on return. */
static int run(groups_cmd *c)
{
    kc_config *conf = tool_config(tool_get(&c->a, "bootstrap-server", NULL), "strait-groups",
                                  tool_get(&c->a, "command-config", NULL), NULL, 0);
    if (!conf)
        return 1;
    c->timeout = (int)tool_get_long(&c->a, "timeout", 5000);
    c->client = tool_admin_client(conf, c->timeout, "\nError: Executing consumer group command "
                                                    "failed due to ");
    kc_config_free(conf);
    if (!c->client)
        return 1;
    st_arena_init(&c->arena);
    int rc = 1;
    if (tool_has(&c->a, "list"))
        rc = do_list(c);
    else if (pick_groups(c)) {
        if (tool_has(&c->a, "describe"))
            rc = do_describe(c);
        else if (tool_has(&c->a, "delete"))
            rc = do_delete(c);
        else if (tool_has(&c->a, "reset-offsets"))
            rc = groups_reset_offsets(c);
        else
            rc = groups_delete_offsets(c);
    }
    tool_strings_free(&c->groups);
    st_arena_free(&c->arena);
    kc_client_free(c->client);
    return rc;
}

int tool_consumer_groups(int argc, char **argv)
{
    groups_cmd c = {0};
    tool_args_parse(&c.a, "consumer-groups", "This tool helps to list all consumer groups, "
                    "describe a consumer group, delete consumer group info, or reset consumer "
                    "group offsets.", opts, OPT_COUNT, argc, argv);
    check_args(&c.a);
    int rc = run(&c);
    tool_args_free(&c.a);
    fflush(stdout);
    return rc;
}
