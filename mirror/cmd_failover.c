/* cmd_failover.c — `strait-mirror failover`: moves consumer groups from a
 * flow's source cluster to its target at exactly translated positions.
 *
 * Owns the command's flags and the failover itself: for each group, read
 * its committed offsets on the source (live), or, when the source cannot be
 * reached (the usual case in a real failover), the last checkpoint the
 * mirror stored; keep partitions of topics the flow mirrors; translate each
 * offset with checkpoint_translate(); read the target's end offsets; print
 * the plan as a table; and with --execute commit the translated offsets to
 * the group on the target (refused while the group is active there).
 * Partitions without a translation are shown as "-" and never committed.
 *
 * Never writes the offset store and never touches the source cluster
 * beyond reading (ListGroups, OffsetFetch, DescribeGroups). Everything it
 * allocates is freed before mirror_cmd_failover returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mirror/checkpoint.h"
#include "mirror/cluster_client.h"
#include "mirror/commands.h"
#include "mirror/mirror_config.h"
#include "mirror/offset_store.h"

#define CMD "strait-mirror failover"

/* ---- Arguments ----------------------------------------------------------------------------------- */

enum { F_CONFIG, F_SOURCE, F_TARGET, F_GROUP, F_ALL_GROUPS, F_DRY_RUN, F_EXECUTE, F_TIMEOUT };
static const cmd_flag failover_flags[] = {
    [F_CONFIG] = {"config", true},
    [F_SOURCE] = {"source", true},
    [F_TARGET] = {"target", true},
    [F_GROUP] = {"group", true},
    [F_ALL_GROUPS] = {"all-groups", false},
    [F_DRY_RUN] = {"dry-run", false},
    [F_EXECUTE] = {"execute", false},
    [F_TIMEOUT] = {"timeout-ms", true},
};
#define FAILOVER_FLAG_COUNT (sizeof(failover_flags) / sizeof(failover_flags[0]))

void failover_usage(FILE *out)
{
    fprintf(out,
            "Usage: strait-mirror failover --config FILE --source CLUSTER --target CLUSTER\n"
            "                              (--group GROUP ... | --all-groups)\n"
            "                              [--dry-run | --execute] [--timeout-ms N]\n"
            "Moves consumer groups from a flow's source cluster to its target: reads each\n"
            "group's committed offsets on the source (or, when the source is unreachable,\n"
            "the last checkpoint the mirror stored), translates them exactly and shows the\n"
            "target offsets; --execute commits them to the group on the target.\n"
            "\n"
            "  --config FILE      the mirror's YAML config (clusters, flows, offset store)\n"
            "  --source CLUSTER   the cluster the groups move away from\n"
            "  --target CLUSTER   the cluster they move to (a flow source -> target must exist)\n"
            "  --group GROUP      a group to move (repeatable)\n"
            "  --all-groups       every group the flow's group patterns match\n"
            "  --dry-run          only show the plan (the default)\n"
            "  --execute          commit the translated offsets on the target (refused for a\n"
            "                     group with active members there)\n"
            "  --timeout-ms N     the limit of each cluster call (default %d)\n",
            CMD_DEFAULT_TIMEOUT_MS);
}

/* Sets a single-valued flag; a second occurrence is an error. */
static bool set_once(const char **slot, const char *flag, const char *value, char *errbuf,
                     size_t errlen)
{
    if (*slot) {
        snprintf(errbuf, errlen, "flag --%s given twice", flag);
        return false;
    }
    *slot = value;
    return true;
}

static void add_group(failover_args *out, const char *group)
{
    for (size_t i = 0; i < out->group_count; i++)
        if (!strcmp(out->groups[i], group))
            return;
    out->groups[out->group_count++] = group;
}

static bool apply_flag(failover_args *out, int f, const char *value, bool *dry_run, char *errbuf,
                       size_t errlen)
{
    switch (f) {
    case F_CONFIG:
        return set_once(&out->config_path, "config", value, errbuf, errlen);
    case F_SOURCE:
        return set_once(&out->source, "source", value, errbuf, errlen);
    case F_TARGET:
        return set_once(&out->target, "target", value, errbuf, errlen);
    case F_GROUP:
        if (!*value) {
            snprintf(errbuf, errlen, "flag --group: the group name is empty");
            return false;
        }
        add_group(out, value);
        return true;
    case F_ALL_GROUPS:
        out->all_groups = true;
        return true;
    case F_DRY_RUN:
        *dry_run = true;
        return true;
    case F_EXECUTE:
        out->execute = true;
        return true;
    case F_TIMEOUT:
        return cmd_parse_positive_int("timeout-ms", value, &out->timeout_ms, errbuf, errlen);
    default:
        return false;
    }
}

/* The checks between flags, once all are read. */
static bool check_failover_args(const failover_args *out, bool dry_run, char *errbuf,
                                size_t errlen)
{
    const char *missing = !out->config_path ? "--config FILE"
                          : !out->source    ? "--source CLUSTER"
                          : !out->target    ? "--target CLUSTER"
                                            : NULL;
    if (missing)
        snprintf(errbuf, errlen, "missing required flag %s", missing);
    else if (!out->group_count && !out->all_groups)
        snprintf(errbuf, errlen, "missing --group GROUP or --all-groups: say which groups to move");
    else if (out->group_count && out->all_groups)
        snprintf(errbuf, errlen, "flags --group and --all-groups cannot be used together");
    else if (dry_run && out->execute)
        snprintf(errbuf, errlen, "flags --dry-run and --execute cannot be used together");
    else if (!strcmp(out->source, out->target))
        snprintf(errbuf, errlen, "flags --source and --target name the same cluster '%s'",
                 out->source);
    else
        return true;
    return false;
}

cmd_parse_result failover_args_parse(failover_args *out, int argc, char **argv, char *errbuf,
                                     size_t errlen)
{
    *out = (failover_args){.timeout_ms = CMD_DEFAULT_TIMEOUT_MS};
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return CMD_PARSE_HELP;
    out->groups = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*out->groups));
    if (!out->groups) {
        snprintf(errbuf, errlen, "out of memory");
        return CMD_PARSE_ERROR;
    }
    bool dry_run = false, ok = true;
    for (int i = 1; ok && i < argc;) {
        const char *value = NULL;
        int f = cmd_flag_next(failover_flags, FAILOVER_FLAG_COUNT, argc, argv, &i, &value,
                              errbuf, errlen);
        ok = f >= 0 && apply_flag(out, f, value, &dry_run, errbuf, errlen);
    }
    if (ok && check_failover_args(out, dry_run, errbuf, errlen))
        return CMD_PARSE_OK;
    failover_args_free(out);
    return CMD_PARSE_ERROR;
}

void failover_args_free(failover_args *args)
{
    free(args->groups);
    args->groups = NULL;
    args->group_count = 0;
}

/* ---- The table --------------------------------------------------------------------------------------- */

static const char *const failover_headers[] = {
    "GROUP", "TOPIC", "PARTITION", "SOURCE-OFFSET", "ORIGIN", "TARGET-TOPIC",
    "TARGET-OFFSET", "TARGET-END", "LAG", "UNMIRRORED"};
#define FAILOVER_COLUMNS (sizeof(failover_headers) / sizeof(failover_headers[0]))

static bool add_failover_row(cmd_table *t, const failover_row *r)
{
    char part[16], src[24], tgt[24], end[24], lag[24], unm[24];
    snprintf(part, sizeof(part), "%d", r->partition);
    bool end_known = r->target_end >= 0;
    const char *cells[FAILOVER_COLUMNS] = {
        r->group,
        r->topic,
        part,
        cmd_format_number(r->source_offset >= 0, r->source_offset, src, sizeof(src)),
        r->from_checkpoint ? "checkpoint" : "live",
        r->target_topic[0] ? r->target_topic : "-",
        cmd_format_number(r->translated, r->target_offset, tgt, sizeof(tgt)),
        cmd_format_number(end_known, r->target_end, end, sizeof(end)),
        cmd_format_number(r->translated && end_known, r->target_end - r->target_offset, lag,
                          sizeof(lag)),
        cmd_format_number(r->translated, r->unmirrored, unm, sizeof(unm)),
    };
    return cmd_table_add(t, cells);
}

void failover_print_table(FILE *out, const failover_row *rows, size_t n)
{
    cmd_table t;
    cmd_table_init(&t, failover_headers, FAILOVER_COLUMNS);
    for (size_t i = 0; i < n; i++)
        if (!add_failover_row(&t, &rows[i])) {
            fprintf(stderr, CMD ": out of memory\n");
            break;
        }
    cmd_table_print(&t, out);
    cmd_table_free(&t);
}

/* ---- One run ------------------------------------------------------------------------------------------- */

typedef struct failover_run {
    const failover_args *args;
    const st_logger *log;
    mirror_config config;
    const mirror_flow *flow;
    offset_store *store;
    kc_client *source;
    kc_client *target;
    bool source_down;     /* fall back to checkpoints for every group from now on */
    bool target_down;
    size_t tables;        /* printed so far (blank line between them) */
} failover_run;

/* Owned copies of the group names to move. */
typedef struct group_list {
    char **names;
    size_t count;
} group_list;

/* One group's plan: its rows and what their strings point into. */
typedef struct group_plan {
    const char *group;
    failover_row *rows;
    size_t count;
    size_t cap;
    st_arena arena;                 /* live offsets (topic and metadata strings) */
    store_checkpoint *checkpoints;  /* the stored checkpoint, when used */
    size_t checkpoint_count;
} group_plan;

static void group_plan_free(group_plan *p)
{
    free(p->rows);
    st_arena_free(&p->arena);
    offset_store_free_checkpoints(p->checkpoints, p->checkpoint_count);
}

/* Appends a partition of a mirrored topic with a committed offset; other
 * partitions are left out. false when out of memory. */
static bool plan_add(group_plan *p, const mirror_flow *flow, const char *topic,
                     int32_t partition, int64_t offset, const char *metadata,
                     bool from_checkpoint)
{
    if (offset < 0 || !mirror_flow_topic_matches(flow, topic))
        return true;
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        failover_row *grown = realloc(p->rows, cap * sizeof(*grown));
        if (!grown)
            return false;
        p->rows = grown;
        p->cap = cap;
    }
    p->rows[p->count++] = (failover_row){
        .group = p->group, .topic = topic, .partition = partition, .source_offset = offset,
        .from_checkpoint = from_checkpoint, .metadata = metadata, .target_end = -1};
    return true;
}

/* Loads the config and finds the flow; false after saying why. */
static bool load_flow(failover_run *r)
{
    char err[1024];
    const failover_args *a = r->args;
    if (mirror_config_load(&r->config, a->config_path, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, CMD ": %s\n", err);
        return false;
    }
    const char *names[2] = {a->source, a->target};
    for (int i = 0; i < 2; i++) {
        if (mirror_config_cluster(&r->config, names[i]))
            continue;
        fprintf(stderr, CMD ": --%s: no cluster named '%s' in %s (clusters: ",
                i ? "target" : "source", names[i], r->config.path);
        for (size_t k = 0; k < r->config.cluster_count; k++)
            fprintf(stderr, "%s%s", k ? ", " : "", r->config.clusters[k].name);
        fprintf(stderr, ")\n");
        return false;
    }
    r->flow = mirror_config_find_flow(&r->config, a->source, a->target);
    if (!r->flow) {
        fprintf(stderr, CMD ": no flow from source '%s' to target '%s' in %s (flows: ",
                a->source, a->target, r->config.path);
        for (size_t k = 0; k < r->config.flow_count; k++)
            fprintf(stderr, "%s%s -> %s", k ? ", " : "", r->config.flows[k].source->name,
                    r->config.flows[k].target->name);
        fprintf(stderr, "%s)\n", r->config.flow_count ? "" : "none");
        return false;
    }
    return true;
}

/* Opens the offset store (which must exist: translation needs what the
 * mirror recorded) and both clusters' clients; false after saying why. */
static bool open_resources(failover_run *r)
{
    char err[1024];
    if (access(r->config.database, F_OK) != 0) {
        fprintf(stderr, CMD ": the offset store %s does not exist: nothing has been mirrored "
                        "with this config, so no offset can be translated\n", r->config.database);
        return false;
    }
    if (offset_store_open(&r->store, r->config.database, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, CMD ": %s\n", err);
        return false;
    }
    r->source = cluster_client_new(r->flow->source, "failover", r->log, err, sizeof(err));
    if (r->source)
        r->target = cluster_client_new(r->flow->target, "failover", r->log, err, sizeof(err));
    if (!r->source || !r->target) {
        fprintf(stderr, CMD ": %s\n", err);
        return false;
    }
    return true;
}

static void mark_source_down(failover_run *r, const char *why)
{
    if (r->source_down)
        return;
    r->source_down = true;
    fprintf(stderr, "source %s unreachable: %s\n", r->flow->source->name, why);
}

/* Connects to both clusters. An unreachable source is expected (the
 * checkpoints stand in for it); an unreachable target only allows a dry
 * run. false when nothing useful can be done. */
static bool probe_clusters(failover_run *r)
{
    int timeout = r->args->timeout_ms;
    if (kc_client_connect(r->source, timeout) != KC_OK)
        mark_source_down(r, kc_client_last_error(r->source));
    if (kc_client_connect(r->target, timeout) != KC_OK) {
        r->target_down = true;
        fprintf(stderr, "%s: target %s unreachable: %s\n", r->args->execute ? CMD : "warning",
                r->flow->target->name, kc_client_last_error(r->target));
        if (r->args->execute) {
            fprintf(stderr, CMD ": nothing was committed\n");
            return false;
        }
    }
    return true;
}

static bool list_add(group_list *l, const char *name)
{
    char **grown = realloc(l->names, (l->count + 1) * sizeof(*grown));
    if (!grown)
        return false;
    l->names = grown;
    l->names[l->count] = strdup(name);
    return l->names[l->count++] != NULL;
}

static void list_free(group_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names);
    *l = (group_list){0};
}

/* --all-groups from the store's checkpoints (the source being down). */
static bool groups_from_checkpoints(failover_run *r, group_list *out)
{
    char err[1024];
    char **names = NULL;
    size_t n = 0;
    if (offset_store_checkpoint_groups(r->store, r->flow->name, &names, &n, err, sizeof(err)) !=
        ST_OK) {
        fprintf(stderr, CMD ": %s\n", err);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = list_add(out, names[i]);
    offset_store_free_strings(names, n);
    if (ok && n == 0)
        fprintf(stderr, CMD ": no group to move: the offset store has no checkpoint for flow "
                        "%s\n", r->flow->name);
    return ok && n > 0;
}

/* --all-groups: the source's consumer groups the flow matches (or the
 * checkpointed groups when the source cannot list them). */
static bool groups_from_source(failover_run *r, group_list *out)
{
    if (r->source_down)
        return groups_from_checkpoints(r, out);
    st_arena arena;
    st_arena_init(&arena);
    kc_group_listing *groups = NULL;
    size_t n = 0;
    kc_err err = kc_admin_list_groups(r->source, NULL, 0, r->args->timeout_ms, &arena, &groups,
                                      &n);
    bool ok = true;
    if (err && cmd_unreachable(err)) {
        mark_source_down(r, kc_client_last_error(r->source));
        ok = groups_from_checkpoints(r, out);
    } else if (err) {
        fprintf(stderr, "warning: cannot list the groups of source %s (%s): using the groups "
                        "checkpointed by the mirror\n", r->flow->source->name,
                kc_client_last_error(r->source));
        ok = groups_from_checkpoints(r, out);
    } else {
        for (size_t i = 0; ok && i < n; i++) {
            bool consumer = !strcmp(groups[i].protocol_type, "consumer") ||
                            !*groups[i].protocol_type;
            if (consumer && mirror_flow_group_matches(r->flow, groups[i].group_id))
                ok = list_add(out, groups[i].group_id);
        }
        if (ok && out->count == 0)
            printf("no consumer group on source %s matches the groups of flow %s\n",
                   r->flow->source->name, r->flow->name);
    }
    st_arena_free(&arena);
    return ok;
}

static bool pick_groups(failover_run *r, group_list *out)
{
    if (r->args->all_groups)
        return groups_from_source(r, out);
    for (size_t i = 0; i < r->args->group_count; i++) {
        const char *g = r->args->groups[i];
        if (!mirror_flow_group_matches(r->flow, g))
            fprintf(stderr, "warning: group %s is not among the groups of flow %s (the mirror "
                            "keeps no checkpoint for it)\n", g, r->flow->name);
        if (!list_add(out, g))
            return false;
    }
    return true;
}

typedef enum read_result { READ_OK, READ_SOURCE_DOWN, READ_FAILED } read_result;

/* The partitions the mirror reports for the flow (its status rows), as a
 * topic list in p's arena, for a source that cannot list all of a group's
 * offsets (OffsetFetch before v2, or an answer that cannot be read, as from
 * librdkafka's mock cluster). false when there are none. */
static bool status_partitions(failover_run *r, group_plan *p, kc_topic_partition **out,
                              size_t *count)
{
    char err[1024];
    store_status *rows = NULL;
    size_t n = 0;
    if (offset_store_status(r->store, r->flow->name, &rows, &n, err, sizeof(err)) != ST_OK)
        return false;
    kc_topic_partition *tps = st_arena_calloc(&p->arena, n + 1, sizeof(*tps));
    size_t k = 0;
    for (size_t i = 0; tps && i < n; i++) {
        char *topic = st_arena_alloc(&p->arena, strlen(rows[i].topic) + 1);
        if (topic)
            tps[k++] = (kc_topic_partition){strcpy(topic, rows[i].topic), rows[i].partition};
    }
    offset_store_free_status(rows, n);
    *out = tps;
    *count = k;
    return k > 0;
}

/* The group's committed offsets read live from the source. */
static read_result read_live(failover_run *r, group_plan *p)
{
    kc_group_offset *offs = NULL;
    size_t n = 0;
    kc_err err = kc_admin_list_group_offsets(r->source, p->group, NULL, 0, r->args->timeout_ms,
                                             &p->arena, &offs, &n);
    kc_topic_partition *tps = NULL;
    size_t tp_count = 0;
    if ((err == KC_ERR_UNSUPPORTED || err == KC_ERR_BAD_RESPONSE) &&
        status_partitions(r, p, &tps, &tp_count)) {
        fprintf(stderr, "warning: source %s cannot list all of group %s's offsets (%s): asking "
                        "for the %zu partitions the mirror copies by name\n",
                r->flow->source->name, p->group, kc_client_last_error(r->source), tp_count);
        n = 0;
        err = kc_admin_list_group_offsets(r->source, p->group, tps, tp_count,
                                          r->args->timeout_ms, &p->arena, &offs, &n);
    }
    if (err && cmd_unreachable(err)) {
        mark_source_down(r, kc_client_last_error(r->source));
        return READ_SOURCE_DOWN;
    }
    if (err && n == 0) {
        fprintf(stderr, CMD ": group %s: cannot read its committed offsets on source %s: %s\n",
                p->group, r->flow->source->name, kc_client_last_error(r->source));
        return READ_FAILED;
    }
    read_result rc = READ_OK;
    for (size_t i = 0; i < n; i++) {
        if (offs[i].err) {
            fprintf(stderr, CMD ": group %s: %s [%d]: cannot read the committed offset on "
                            "source %s: %s\n", p->group, offs[i].topic, offs[i].partition,
                    r->flow->source->name, kc_err_name(offs[i].err));
            rc = READ_FAILED;
            continue;
        }
        if (!plan_add(p, r->flow, offs[i].topic, offs[i].partition, offs[i].offset,
                      offs[i].metadata, false))
            return READ_FAILED;
    }
    return rc;
}

/* The group's last checkpoint from the store, with its age. */
static bool read_checkpoint(failover_run *r, group_plan *p)
{
    char err[1024];
    if (offset_store_checkpoints(r->store, r->flow->name, p->group, &p->checkpoints,
                                 &p->checkpoint_count, err, sizeof(err)) != ST_OK) {
        fprintf(stderr, CMD ": group %s: %s\n", p->group, err);
        return false;
    }
    if (p->checkpoint_count == 0) {
        fprintf(stderr, CMD ": group %s: source %s unreachable and the mirror stored no "
                        "checkpoint for this group in flow %s\n", p->group,
                r->flow->source->name, r->flow->name);
        return false;
    }
    int64_t oldest = p->checkpoints[0].time_ms;
    for (size_t i = 0; i < p->checkpoint_count; i++) {
        const store_checkpoint *cp = &p->checkpoints[i];
        if (cp->time_ms < oldest)
            oldest = cp->time_ms;
        if (!plan_add(p, r->flow, cp->topic, cp->partition, cp->source_offset, cp->metadata,
                      true))
            return false;
    }
    char age[32];
    fprintf(stderr, "source %s unreachable: using the checkpoint taken %s ago for group %s\n",
            r->flow->source->name, cmd_format_age(cmd_now_ms() - oldest, age, sizeof(age)),
            p->group);
    return true;
}

/* Names and translates every row; false when a translation failed (the
 * row then stays untranslated). */
static bool translate_rows(failover_run *r, group_plan *p)
{
    bool ok = true;
    for (size_t i = 0; i < p->count; i++) {
        failover_row *row = &p->rows[i];
        if (!mirror_flow_target_topic(r->flow, row->topic, row->target_topic,
                                      sizeof(row->target_topic))) {
            row->target_topic[0] = '\0';
            fprintf(stderr, CMD ": group %s: the target name of topic %s is too long\n",
                    p->group, row->topic);
            ok = false;
            continue;
        }
        store_translation tr = {0};
        char err[1024];
        if (checkpoint_translate(&r->config, r->flow, r->store, row->topic, row->partition,
                                 row->source_offset, &tr, err, sizeof(err)) != ST_OK) {
            fprintf(stderr, CMD ": group %s: %s [%d]: %s\n", p->group, row->topic,
                    row->partition, err);
            ok = false;
            continue;
        }
        row->translated = tr.found;
        row->target_offset = tr.target_offset;
        row->unmirrored = tr.unmirrored;
    }
    return ok;
}

/* The target's end offsets of the rows' target partitions (left -1 where
 * they cannot be read, with a warning). */
static void read_target_ends(failover_run *r, group_plan *p)
{
    if (r->target_down || p->count == 0)
        return;
    kc_list_offset *q = calloc(p->count, sizeof(*q));
    size_t *row_of = calloc(p->count, sizeof(*row_of));
    size_t n = 0;
    for (size_t i = 0; q && row_of && i < p->count; i++) {
        if (!p->rows[i].target_topic[0])
            continue;
        q[n] = (kc_list_offset){.topic = p->rows[i].target_topic,
                                .partition = p->rows[i].partition,
                                .spec = KC_OFFSET_SPEC_LATEST};
        row_of[n++] = i;
    }
    kc_err err = n ? kc_admin_list_offsets(r->target, q, n, 0, r->args->timeout_ms) : KC_OK;
    if (err && cmd_unreachable(err))
        fprintf(stderr, "warning: cannot read end offsets on target %s: %s\n",
                r->flow->target->name, kc_client_last_error(r->target));
    for (size_t k = 0; k < n; k++) {
        if (q[k].err == KC_OK)
            p->rows[row_of[k]].target_end = q[k].offset;
        else if (!cmd_unreachable(err))
            fprintf(stderr, "warning: group %s: %s [%d] on target %s: %s\n", p->group,
                    q[k].topic, q[k].partition, r->flow->target->name, kc_err_name(q[k].err));
    }
    free(q);
    free(row_of);
}

/* Notes about rows that will not move exactly as they are. */
static void warn_partial(const failover_run *r, const group_plan *p)
{
    int64_t unmirrored = 0;
    for (size_t i = 0; i < p->count; i++) {
        const failover_row *row = &p->rows[i];
        if (row->translated)
            unmirrored += row->unmirrored;
        else if (row->target_topic[0])
            fprintf(stderr, "warning: group %s: %s [%d]: no translation (nothing of it "
                            "mirrored yet)%s\n", p->group, row->topic, row->partition,
                    r->args->execute ? ": left unchanged on the target" : "");
    }
    if (unmirrored > 0)
        fprintf(stderr, "warning: group %s: %lld records it has not read on source %s are not "
                        "on target %s yet (UNMIRRORED): it reads them there once the mirror "
                        "copies them\n", p->group, (long long)unmirrored,
                r->flow->source->name, r->flow->target->name);
}

static bool group_is_inactive(const kc_group_desc *d)
{
    return !strcasecmp(d->state, "Empty") || !strcasecmp(d->state, "Dead");
}

/* With --execute and a live source: warns when the group still runs there
 * (what it commits there later is not carried over). */
static void warn_active_on_source(failover_run *r, const group_plan *p)
{
    if (r->source_down || p->count == 0 || p->rows[0].from_checkpoint)
        return;
    st_arena arena;
    st_arena_init(&arena);
    kc_group_desc *d = NULL;
    kc_admin_describe_groups(r->source, &p->group, 1, r->args->timeout_ms, &arena, &d);
    if (d && !d[0].err && !group_is_inactive(&d[0]))
        fprintf(stderr, "warning: group %s is still active on source %s (state %s, %zu "
                        "member%s): what it commits there from now on is not carried over\n",
                p->group, r->flow->source->name, d[0].state, d[0].member_count,
                d[0].member_count == 1 ? "" : "s");
    st_arena_free(&arena);
}

/* Refuses unless the group is empty or unknown on the target. */
static bool check_target_group(failover_run *r, const group_plan *p)
{
    st_arena arena;
    st_arena_init(&arena);
    kc_group_desc *d = NULL;
    kc_admin_describe_groups(r->target, &p->group, 1, r->args->timeout_ms, &arena, &d);
    bool ok = false;
    if (!d || d[0].err)
        fprintf(stderr, CMD ": group %s: cannot check its state on target %s: %s; nothing "
                        "committed\n", p->group, r->flow->target->name,
                d && d[0].message && *d[0].message ? d[0].message
                                                   : kc_client_last_error(r->target));
    else if (!group_is_inactive(&d[0]))
        fprintf(stderr, CMD ": refusing to commit offsets for group %s: it is active on target "
                        "%s (state %s, %zu member%s); stop its consumers there and run "
                        "again\n", p->group, r->flow->target->name,
                *d[0].state ? d[0].state : "unknown", d[0].member_count,
                d[0].member_count == 1 ? "" : "s");
    else
        ok = true;
    st_arena_free(&arena);
    return ok;
}

/* Commits the translated rows to the group on the target; false on any
 * failure (each failed partition named). */
static bool commit_group(failover_run *r, const group_plan *p)
{
    kc_group_offset *offs = calloc(p->count ? p->count : 1, sizeof(*offs));
    if (!offs) {
        fprintf(stderr, CMD ": out of memory\n");
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->count; i++) {
        const failover_row *row = &p->rows[i];
        if (row->translated)
            offs[n++] = (kc_group_offset){.topic = row->target_topic,
                                          .partition = row->partition,
                                          .offset = row->target_offset,
                                          .leader_epoch = -1,
                                          .metadata = row->metadata};
    }
    bool ok = true;
    if (n == 0) {
        printf("group %s: nothing to commit on target %s\n", p->group, r->flow->target->name);
    } else {
        kc_err err = kc_admin_alter_group_offsets(r->target, p->group, offs, n,
                                                  r->args->timeout_ms);
        size_t failed = 0;
        for (size_t i = 0; i < n; i++) {
            if (!offs[i].err)
                continue;
            failed++;
            fprintf(stderr, CMD ": group %s: %s [%d]: offset %lld not committed on target %s: "
                            "%s\n", p->group, offs[i].topic, offs[i].partition,
                    (long long)offs[i].offset, r->flow->target->name, kc_err_name(offs[i].err));
        }
        if (err && !failed)
            fprintf(stderr, CMD ": group %s: commit on target %s failed: %s\n", p->group,
                    r->flow->target->name, kc_client_last_error(r->target));
        ok = !err && !failed;
        printf("group %s: committed %zu of %zu offsets on target %s\n", p->group, n - failed, n,
               r->flow->target->name);
    }
    free(offs);
    return ok;
}

/* Plans, prints and (with --execute) commits one group; false on any
 * failure. */
static bool failover_group(failover_run *r, const char *group)
{
    group_plan p = {.group = group};
    st_arena_init(&p.arena);
    bool ok = true;
    read_result read = r->source_down ? READ_SOURCE_DOWN : read_live(r, &p);
    if (read == READ_SOURCE_DOWN)
        ok = read_checkpoint(r, &p);
    else if (read == READ_FAILED)
        ok = false;
    if (p.count > 0) {
        ok = translate_rows(r, &p) && ok;
        read_target_ends(r, &p);
        if (r->tables++)
            printf("\n");
        failover_print_table(stdout, p.rows, p.count);
        fflush(stdout);
        warn_partial(r, &p);
    } else if (ok) {
        fprintf(stderr, "group %s has no committed offset on source %s for the topics flow "
                        "%s mirrors: nothing to move\n", group, r->flow->source->name,
                r->flow->name);
    }
    if (ok && r->args->execute && p.count > 0) {
        warn_active_on_source(r, &p);
        ok = check_target_group(r, &p) && commit_group(r, &p);
    }
    group_plan_free(&p);
    return ok;
}

static int run_failover(failover_run *r)
{
    if (!load_flow(r))
        return MIRROR_CMD_FAILED;
    if (!open_resources(r) || !probe_clusters(r))
        return MIRROR_CMD_FAILED;
    group_list groups = {0};
    if (!pick_groups(r, &groups)) {
        list_free(&groups);
        return MIRROR_CMD_FAILED;
    }
    size_t failed = 0;
    for (size_t i = 0; i < groups.count; i++)
        failed += !failover_group(r, groups.names[i]);
    if (!r->args->execute && groups.count)
        fprintf(stderr, "\ndry run: nothing was committed; run with --execute to commit these "
                        "offsets on target %s\n", r->flow->target->name);
    else if (failed)
        fprintf(stderr, "\n" CMD ": %zu of %zu groups failed\n", failed, groups.count);
    list_free(&groups);
    return failed ? MIRROR_CMD_FAILED : MIRROR_CMD_OK;
}

int mirror_cmd_failover(int argc, char **argv, const st_logger *log)
{
    failover_args args;
    char err[1024];
    cmd_parse_result parsed = failover_args_parse(&args, argc, argv, err, sizeof(err));
    if (parsed == CMD_PARSE_HELP) {
        failover_usage(stdout);
        return MIRROR_CMD_OK;
    }
    if (parsed == CMD_PARSE_ERROR) {
        fprintf(stderr, CMD ": %s\n\n", err);
        failover_usage(stderr);
        return MIRROR_CMD_USAGE;
    }
    failover_run r = {.args = &args, .log = log};
    int rc = run_failover(&r);
    kc_client_free(r.source);
    kc_client_free(r.target);
    offset_store_close(r.store);
    if (r.config.path)
        mirror_config_free(&r.config);
    failover_args_free(&args);
    fflush(stdout);
    return rc;
}
