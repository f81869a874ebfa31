/* consumer_groups_reset.c — `strait consumer-groups --reset-offsets` and
 * `--delete-offsets` (the offset-changing half of Kafka's
 * kafka-consumer-groups.sh; the rest is consumer_groups.c).
 *
 * Owns planning a reset (which partitions: --all-topics, --topic t or
 * t:0,1; which offsets: --to-earliest, --to-latest, --to-offset,
 * --shift-by, --to-datetime, --by-duration, --to-current, --from-file,
 * clamped into the log's range as Kafka does), refusing groups that still
 * have members, printing the plan (GROUP TOPIC PARTITION NEW-OFFSET, or CSV
 * with --export), and committing it with --execute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/consumer_groups.h"

typedef struct plan {
    kc_group_offset *items;  /* topic strings live in the command's arena */
    size_t count;
    size_t cap;
} plan;

static bool plan_add(plan *p, const char *topic, int32_t partition, int64_t offset)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->items[i].partition == partition && !strcmp(p->items[i].topic, topic)) {
            p->items[i].offset = offset;
            return true;
        }
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        kc_group_offset *grown = realloc(p->items, cap * sizeof(*grown));
        if (!grown)
            return false;
        p->items = grown;
        p->cap = cap;
    }
    p->items[p->count++] = (kc_group_offset){topic, partition, offset, -1, NULL, 0};
    return true;
}

static int compare_items(const void *a, const void *b)
{
    const kc_group_offset *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static char *arena_copy(groups_cmd *c, const char *s)
{
    size_t n = strlen(s) + 1;
    char *out = st_arena_alloc(&c->arena, n);
    if (out)
        memcpy(out, s, n);
    return out;
}

/* ---- which partitions ----------------------------------------------------------------------- */

static bool parse_partition_list(groups_cmd *c, const char *arg, const char *list, plan *out,
                                 const char *topic)
{
    size_t n = 0;
    char **ids = tool_split(list, ',', &n);
    bool ok = ids != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        char *end = NULL;
        long p = strtol(tool_trim(ids[i]), &end, 10);
        if (!*ids[i] || *end || p < 0) {
            tool_free_strings(ids, n);
            tool_usage_exit(&c->a, "Invalid partition '%s' specified in topic arg '%s''", ids[i],
                            arg);
        }
        ok = plan_add(out, topic, (int32_t)p, -1);
    }
    tool_free_strings(ids, n);
    return ok;
}

/* --topic t (every partition) and --topic t:0,1 (those). */
static bool topics_to_reset(groups_cmd *c, plan *out)
{
    for (size_t i = 0; i < tool_count(&c->a, "topic"); i++) {
        const char *arg = tool_value_at(&c->a, "topic", i);
        const char *colon = strchr(arg, ':');
        char *topic = arena_copy(c, arg);
        if (!topic)
            return false;
        if (colon) {
            topic[colon - arg] = '\0';
            if (strchr(colon + 1, ':'))
                tool_usage_exit(&c->a, "Invalid topic arg '%s', expected topic name and "
                                       "partitions", arg);
            if (!parse_partition_list(c, arg, colon + 1, out, topic))
                return false;
            continue;
        }
        kc_topic_desc *t = NULL;
        size_t n = 0;
        const char *name = topic;
        if (kc_admin_describe_topics(c->client, &name, 1, c->timeout, &c->arena, &t, &n)) {
            if (t && t[0].err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION)
                groups_print_error("Executing consumer group command failed due to "
                                   "org.apache.kafka.common.errors.UnknownTopicOrPartitionException"
                                   ": Topic '%s' does not exist.", topic);
            else
                groups_print_error("Executing consumer group command failed due to %s",
                                   kc_client_last_error(c->client));
            return false;
        }
        for (int32_t p = 0; p < t[0].partition_count; p++)
            if (!plan_add(out, topic, t[0].partitions[p].partition, -1))
                return false;
    }
    return true;
}

/* Kafka's checkAllTopicPartitionsValid: every partition exists and has a leader. */
static bool check_partitions(groups_cmd *c, const plan *p)
{
    char missing[2048] = "", leaderless[2048] = "";
    for (size_t i = 0; i < p->count; i++) {
        const char *name = p->items[i].topic;
        kc_topic_desc *t = NULL;
        size_t n = 0;
        kc_admin_describe_topics(c->client, &name, 1, c->timeout, &c->arena, &t, &n);
        const kc_partition_desc *pd = NULL;
        for (int32_t k = 0; t && !t[0].err && k < t[0].partition_count; k++)
            if (t[0].partitions[k].partition == p->items[i].partition)
                pd = &t[0].partitions[k];
        char *list = !pd ? missing : pd->leader < 0 ? leaderless : NULL;
        if (list)
            snprintf(list + strlen(list), sizeof(missing) - strlen(list), "%s%s-%d",
                     *list ? "," : "", name, p->items[i].partition);
    }
    if (*missing)
        groups_print_error("Executing consumer group command failed due to The partitions "
                           "\"%s\" do not exist", missing);
    else if (*leaderless)
        groups_print_error("Executing consumer group command failed due to The partitions "
                           "\"%s\" have no leader", leaderless);
    return !*missing && !*leaderless;
}

/* ---- which offsets ---------------------------------------------------------------------------------- */

static bool log_offsets(groups_cmd *c, const plan *p, int64_t spec, int64_t *out)
{
    kc_topic_partition *tps = calloc(p->count + 1, sizeof(*tps));
    bool ok = tps != NULL;
    for (size_t i = 0; ok && i < p->count; i++)
        tps[i] = (kc_topic_partition){p->items[i].topic, p->items[i].partition};
    ok = ok && groups_log_offsets(c, tps, p->count, spec, out);
    free(tps);
    return ok;
}

/* Kafka's checkOffsetsRange: into [log start, log end]. */
static bool clamp(groups_cmd *c, plan *p)
{
    int64_t *lo = calloc(p->count + 1, sizeof(*lo)), *hi = calloc(p->count + 1, sizeof(*hi));
    bool ok = lo && hi && log_offsets(c, p, KC_OFFSET_SPEC_EARLIEST, lo) &&
              log_offsets(c, p, KC_OFFSET_SPEC_LATEST, hi);
    for (size_t i = 0; ok && i < p->count; i++) {
        kc_group_offset *o = &p->items[i];
        if (hi[i] >= 0 && o->offset > hi[i]) {
            fprintf(stderr, "WARN New offset (%lld) is higher than latest offset for topic "
                            "partition %s-%d. Value will be set to %lld\n", (long long)o->offset,
                    o->topic, o->partition, (long long)hi[i]);
            o->offset = hi[i];
        } else if (lo[i] >= 0 && o->offset < lo[i]) {
            fprintf(stderr, "WARN New offset (%lld) is lower than earliest offset for topic "
                            "partition %s-%d. Value will be set to %lld\n", (long long)o->offset,
                    o->topic, o->partition, (long long)lo[i]);
            o->offset = lo[i];
        }
    }
    free(lo);
    free(hi);
    return ok;
}

/* Earliest/latest: the log's offsets, which must be known. */
static bool to_log_offsets(groups_cmd *c, plan *p, int64_t spec)
{
    int64_t *v = calloc(p->count + 1, sizeof(*v));
    bool ok = v && log_offsets(c, p, spec, v);
    for (size_t i = 0; ok && i < p->count; i++) {
        if (v[i] < 0) {
            groups_print_error("Error getting %s offset of topic partition: %s-%d",
                               spec == KC_OFFSET_SPEC_EARLIEST ? "starting" : "ending",
                               p->items[i].topic, p->items[i].partition);
            ok = false;
        }
        p->items[i].offset = v[i];
    }
    free(v);
    return ok;
}

/* By timestamp, falling back to the log end where no record is that new. */
static bool to_timestamp(groups_cmd *c, plan *p, int64_t ts)
{
    int64_t *v = calloc(p->count + 1, sizeof(*v)), *end = calloc(p->count + 1, sizeof(*end));
    bool ok = v && end && log_offsets(c, p, ts, v) &&
              log_offsets(c, p, KC_OFFSET_SPEC_LATEST, end);
    for (size_t i = 0; ok && i < p->count; i++) {
        if (v[i] < 0) {
            printf("\nWarn: Partition %d from topic %s is empty. Falling back to latest known "
                   "offset.\n", p->items[i].partition, p->items[i].topic);
            v[i] = end[i];
        }
        p->items[i].offset = v[i];
    }
    free(v);
    free(end);
    return ok;
}

static const kc_group_offset *committed_of(const kc_group_offset *o, size_t n, const char *topic,
                                           int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (o[i].partition == partition && !strcmp(o[i].topic, topic))
            return &o[i];
    return NULL;
}

static bool shift_or_current(groups_cmd *c, const char *group, plan *p, bool shift)
{
    kc_group_offset *co = NULL;
    size_t nco = 0;
    if (kc_admin_list_group_offsets(c->client, group, NULL, 0, c->timeout, &c->arena, &co,
                                    &nco) && !co) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return false;
    }
    int64_t delta = tool_get_long(&c->a, "shift-by", 0);
    int64_t *end = calloc(p->count + 1, sizeof(*end));
    bool ok = end && (shift || log_offsets(c, p, KC_OFFSET_SPEC_LATEST, end));
    for (size_t i = 0; ok && i < p->count; i++) {
        const kc_group_offset *o = committed_of(co, nco, p->items[i].topic,
                                                p->items[i].partition);
        if (shift && !o)
            tool_usage_exit(&c->a, "Cannot shift offset for partition %s-%d since there is no "
                                   "current committed offset", p->items[i].topic,
                            p->items[i].partition);
        p->items[i].offset = o ? o->offset + (shift ? delta : 0) : end[i];
    }
    free(end);
    return ok && (!shift || clamp(c, p));
}

/* --from-file: "topic,partition,offset" (or "group,topic,partition,offset"). */
static bool from_file(groups_cmd *c, const char *group, plan *p)
{
    const char *path = tool_get(&c->a, "from-file", "");
    FILE *f = fopen(path, "r");
    if (!f) {
        groups_print_error("Cannot read %s", path);
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, f) >= 0) {
        size_t n = 0;
        char *s = tool_trim(line);
        if (!*s)
            continue;
        char **v = tool_split(s, ',', &n);
        ok = v && (n == 3 || n == 4);
        if (ok && (n == 3 || !strcmp(tool_trim(v[0]), group))) {
            char *topic = arena_copy(c, tool_trim(v[n - 3]));
            ok = topic && plan_add(p, topic, atoi(v[n - 2]), atoll(v[n - 1]));
        }
        tool_free_strings(v, n);
    }
    free(line);
    fclose(f);
    if (!ok)
        groups_print_error("Malformed reset plan in %s", path);
    return ok && clamp(c, p);
}

static bool compute(groups_cmd *c, const char *group, plan *p)
{
    const tool_args *a = &c->a;
    if (tool_has(a, "to-earliest"))
        return to_log_offsets(c, p, KC_OFFSET_SPEC_EARLIEST);
    if (tool_has(a, "to-latest"))
        return to_log_offsets(c, p, KC_OFFSET_SPEC_LATEST);
    if (tool_has(a, "to-offset")) {
        int64_t off = tool_get_long(a, "to-offset", 0);
        for (size_t i = 0; i < p->count; i++)
            p->items[i].offset = off;
        return clamp(c, p);
    }
    if (tool_has(a, "shift-by") || tool_has(a, "to-current"))
        return shift_or_current(c, group, p, tool_has(a, "shift-by"));
    if (tool_has(a, "to-datetime")) {
        int64_t ts = tool_parse_datetime(tool_get(a, "to-datetime", ""));
        if (ts < 0)
            tool_usage_exit(a, "Error parsing timestamp '%s': the format is "
                               "'YYYY-MM-DDTHH:mm:SS.sss' (optionally with a time zone)",
                            tool_get(a, "to-datetime", ""));
        return to_timestamp(c, p, ts);
    }
    int64_t ms;
    if (!tool_parse_duration(tool_get(a, "by-duration", ""), &ms))
        tool_usage_exit(a, "Text cannot be parsed to a Duration: %s (format: 'PnDTnHnMnS')",
                        tool_get(a, "by-duration", ""));
    return to_timestamp(c, p, tool_now_ms() - ms);
}

/* ---- one group ---------------------------------------------------------------------------------------- */

static bool plan_group(groups_cmd *c, const char *group, plan *p)
{
    if (tool_has(&c->a, "from-file"))
        return from_file(c, group, p);
    if (tool_has(&c->a, "all-topics")) {
        kc_group_offset *co = NULL;
        size_t n = 0;
        if (kc_admin_list_group_offsets(c->client, group, NULL, 0, c->timeout, &c->arena, &co,
                                        &n) && !co) {
            groups_print_error("Executing consumer group command failed due to %s",
                               kc_client_last_error(c->client));
            return false;
        }
        for (size_t i = 0; i < n; i++)
            if (!plan_add(p, co[i].topic, co[i].partition, -1))
                return false;
    } else if (!topics_to_reset(c, p)) {
        return false;
    }
    return check_partitions(c, p) && compute(c, group, p);
}

/* Plans (and with --execute commits) one group; false after an error. */
static bool reset_group(groups_cmd *c, const kc_group_desc *g, plan *p)
{
    bool inactive = g->err == KAFKA_GROUP_ID_NOT_FOUND || !strcmp(g->state, "Empty") ||
                    !strcmp(g->state, "Dead");
    if (g->err && g->err != KAFKA_GROUP_ID_NOT_FOUND) {
        groups_print_error("Executing consumer group command failed due to %s", g->message);
        return false;
    }
    if (!inactive) {
        groups_print_error("Assignments can only be reset if the group '%s' is inactive, but "
                           "the current state is %s.", g->group_id, g->state);
        return false;
    }
    if (!plan_group(c, g->group_id, p))
        return false;
    if (p->count > 1)
        qsort(p->items, p->count, sizeof(*p->items), compare_items);
    if (!tool_has(&c->a, "execute") || !p->count)
        return true;
    if (kc_admin_alter_group_offsets(c->client, g->group_id, p->items, p->count, c->timeout)) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return false;
    }
    return true;
}

static void print_plans(groups_cmd *c, plan *plans, size_t n)
{
    if (tool_has(&c->a, "export")) {
        for (size_t g = 0; g < n; g++)
            for (size_t i = 0; i < plans[g].count; i++) {
                const kc_group_offset *o = &plans[g].items[i];
                if (c->groups.count == 1)
                    printf("%s,%d,%lld\n", o->topic, o->partition, (long long)o->offset);
                else
                    printf("%s,%s,%d,%lld\n", c->groups.v[g], o->topic, o->partition,
                           (long long)o->offset);
            }
        printf("\n");
        return;
    }
    int gw = 15, tw = 15;
    for (size_t g = 0; g < n; g++) {
        if ((int)strlen(c->groups.v[g]) > gw)
            gw = (int)strlen(c->groups.v[g]);
        for (size_t i = 0; i < plans[g].count; i++)
            if ((int)strlen(plans[g].items[i].topic) > tw)
                tw = (int)strlen(plans[g].items[i].topic);
    }
    if (n)
        printf("\n%-*s %-*s %-10s %s", gw, "GROUP", tw, "TOPIC", "PARTITION", "NEW-OFFSET");
    for (size_t g = 0; g < n; g++)
        for (size_t i = 0; i < plans[g].count; i++)
            printf("\n%-*s %-*s %-10d %lld", gw, c->groups.v[g], tw, plans[g].items[i].topic,
                   plans[g].items[i].partition, (long long)plans[g].items[i].offset);
    printf("\n");
}

int groups_reset_offsets(groups_cmd *c)
{
    kc_group_desc *descs = NULL;
    kc_admin_describe_groups(c->client, (const char *const *)c->groups.v, c->groups.count,
                             c->timeout, &c->arena, &descs);
    if (!descs) {
        groups_print_error("Executing consumer group command failed due to %s",
                           kc_client_last_error(c->client));
        return 1;
    }
    plan *plans = calloc(c->groups.count + 1, sizeof(*plans));
    if (!plans)
        return 1;
    int rc = 0;
    for (size_t g = 0; g < c->groups.count; g++) {
        if (!reset_group(c, &descs[g], &plans[g])) {
            plans[g].count = 0;
            rc = 1;
        }
    }
    print_plans(c, plans, c->groups.count);
    for (size_t g = 0; g < c->groups.count; g++)
        free(plans[g].items);
    free(plans);
    return rc;
}

/* ---- --delete-offsets ------------------------------------------------------------------------------------ */

/* The partitions --topic t / t:0,1 name; false after printing why. */
static bool offsets_to_delete(groups_cmd *c, plan *p)
{
    for (size_t i = 0; i < tool_count(&c->a, "topic"); i++) {
        const char *arg = tool_value_at(&c->a, "topic", i);
        if (strchr(arg, ':')) {
            char *topic = arena_copy(c, arg);
            *strchr(topic, ':') = '\0';
            parse_partition_list(c, arg, strchr(arg, ':') + 1, p, topic);
            continue;
        }
        kc_topic_desc *t = NULL;
        size_t n = 0;
        kc_admin_describe_topics(c->client, &arg, 1, c->timeout, &c->arena, &t, &n);
        if (!t || t[0].err) {
            groups_print_error("Encountered some partition-level error, see the follow-up "
                               "details.");
            printf("\n%-15s %-10s %-15s\n%-15s %-10s Error: Topic '%s' does not exist.\n",
                   "TOPIC", "PARTITION", "STATUS", arg, "-", arg);
            return false;
        }
        for (int32_t k = 0; k < t[0].partition_count; k++)
            plan_add(p, t[0].name, t[0].partitions[k].partition, -1);
    }
    qsort(p->items, p->count, sizeof(*p->items), compare_items);
    return true;
}

/* Kafka's outcome: a headline, then TOPIC PARTITION STATUS per partition. */
static void print_deleted(groups_cmd *c, const char *group, const kc_topic_partition *tps,
                          size_t n, kc_err err, const kc_err *errs)
{
    bool partition_level = false;
    for (size_t i = 0; i < n; i++)
        partition_level = partition_level || errs[i];
    if (!err)
        printf("Request succeeded for deleting offsets from group %s.\n", group);
    else if (partition_level)
        groups_print_error("Encountered some partition-level error, see the follow-up details.");
    else
        groups_print_error("%s", err > 0 ? tool_error_message(err)
                                         : kc_client_last_error(c->client));
    int tw = 15;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(tps[i].topic) > tw)
            tw = (int)strlen(tps[i].topic);
    printf("\n%-*s %-10s %-15s", tw, "TOPIC", "PARTITION", "STATUS");
    for (size_t i = 0; i < n; i++) {
        printf("\n%-*s %-10d ", tw, tps[i].topic, tps[i].partition);
        if (errs[i])
            printf("Error: %s", tool_error_message(errs[i]));
        else if (err && !partition_level)
            printf("Error: %s", tool_error_message(err));
        else
            printf("Successful");
    }
    printf("\n");
}

int groups_delete_offsets(groups_cmd *c)
{
    const char *group = tool_get(&c->a, "group", "");
    plan p = {0};
    int rc = 1;
    kc_topic_partition *tps = NULL;
    kc_err *errs = NULL;
    if (offsets_to_delete(c, &p) && (tps = calloc(p.count + 1, sizeof(*tps))) &&
        (errs = calloc(p.count + 1, sizeof(*errs)))) {
        for (size_t i = 0; i < p.count; i++)
            tps[i] = (kc_topic_partition){p.items[i].topic, p.items[i].partition};
        kc_err err = kc_admin_delete_group_offsets(c->client, group, tps, p.count, c->timeout,
                                                   errs);
        print_deleted(c, group, tps, p.count, err, errs);
        rc = err ? 1 : 0;
    }
    free(tps);
    free(errs);
    free(p.items);
    return rc;
}
