/* topic_sync.c — keeps a flow's target topics in step with its source (see
 * topic_sync.h).
 *
 * Owns one sync pass, in this order, each step one batched admin call per
 * cluster:
 *   1. list the source's topics (Metadata, all topics) and pick the mirrored
 *      ones;
 *   2. describe their target names on the target (Metadata);
 *   3. read the source topics' configs (DescribeConfigs) when a topic is to
 *      be created or configs are synced;
 *   4. create the missing target topics (CreateTopics);
 *   5. grow target topics that have fewer partitions (CreatePartitions);
 *   6. read the target topics' configs (DescribeConfigs: max.message.bytes
 *      and what config sync compares against);
 *   7. set the copied source configs that differ on the target
 *      (IncrementalAlterConfigs SET, never DELETE);
 *   8. deal with topics of the previous pass whose source topic is gone
 *      (DeleteTopics with delete.topics, else one log line).
 * A topic whose source and target configs already agree costs only its
 * share of the two DescribeConfigs calls. An API a cluster lacks
 * (KC_ERR_UNSUPPORTED) is warned about once per flow (a bit in ts->warned)
 * and its step is skipped.
 *
 * Memory: the pass allocates every request and response from one arena it
 * frees at its end; the new synced_topic list and its strings are malloc'd
 * and belong to the topic_sync once installed (freed by topic_sync_free or
 * by the next pass that replaces them). */
#include "mirror/topic_sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

#define COMPONENT "topic-sync"

/* Bits of ts->warned: one per cluster side and API. */
enum {
    WARN_SOURCE_DESCRIBE_CONFIGS = 1u << 0,
    WARN_TARGET_DESCRIBE_CONFIGS = 1u << 1,
    WARN_TARGET_CREATE_TOPICS = 1u << 2,
    WARN_TARGET_CREATE_PARTITIONS = 1u << 3,
    WARN_TARGET_ALTER_CONFIGS = 1u << 4,
    WARN_TARGET_DELETE_TOPICS = 1u << 5,
};

/* Topic configs never copied (MM2's default exclusions). Names ending in
 * '.' are prefixes. */
static const char *const excluded_configs[] = {
    "follower.replication.throttled.replicas",
    "leader.replication.throttled.replicas",
    "min.insync.replicas",
    "unclean.leader.election.enable",
    "message.timestamp.",
};

/* What one pass learns about one topic (parallel to sync_pass.topics). */
typedef struct topic_work {
    bool carried;                 /* copied unchanged from the previous pass */
    bool missing;                 /* not on the target when the pass began */
    bool configs_read;            /* copy[] holds the source configs to copy */
    const kc_config_pair *copy;   /* arena */
    size_t copy_count;
    const kc_config_resource *target_configs; /* arena; NULL when unknown */
} topic_work;

typedef struct sync_pass {
    topic_sync *ts;
    kc_client *source;
    kc_client *target;
    int timeout_ms;
    st_arena arena;               /* requests and responses of this pass */
    const kc_topic_desc *listed;  /* every source topic, sorted by name (arena) */
    size_t listed_count;
    synced_topic *topics;         /* the new list (heap; installed at the end) */
    topic_work *work;             /* heap, parallel to topics */
    size_t count;
    size_t cap;
    kc_err fatal;                 /* KC_ERR_NOMEM: the pass is abandoned */
} sync_pass;

/* ---- small helpers ------------------------------------------------------------------ */

static const char *source_name(const sync_pass *p)
{
    return p->ts->flow->source->name;
}

static const char *target_name(const sync_pass *p)
{
    return p->ts->flow->target->name;
}

static void note(const sync_pass *p, st_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A log line of this flow: "flow east->west: ...". */
static void note(const sync_pass *p, st_log_level level, const char *fmt, ...)
{
    char text[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    st_logf(p->ts->log, level, COMPONENT, "flow %s: %s", p->ts->flow->name, text);
}

/* The first KC_ERR_UNSUPPORTED of an API on one side: one warning per flow. */
static void warn_unsupported(sync_pass *p, unsigned bit, bool on_source, const char *api,
                             const char *consequence)
{
    if (p->ts->warned & bit)
        return;
    p->ts->warned |= bit;
    note(p, ST_LOG_WARN, "%s cluster %s does not support %s: %s", on_source ? "source" : "target",
         on_source ? source_name(p) : target_name(p), api, consequence);
}

static char *dup_or_fail(sync_pass *p, const char *s)
{
    char *copy = s ? strdup(s) : NULL;
    if (s && !copy)
        p->fatal = KC_ERR_NOMEM;
    return copy;
}

static void set_error(sync_pass *p, synced_topic *t, kc_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Marks the topic as not mirrored this pass, saying why. */
static void set_error(sync_pass *p, synced_topic *t, kc_err err, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    free(t->message);
    t->err = err;
    t->message = dup_or_fail(p, text);
}

/* What a batched admin call said about one of its items. */
typedef struct outcome {
    kc_err err;
    const char *message;
} outcome;

/* The outcome of item k of a batched admin call: its own result, or the
 * whole call's error when there are no results (a failure before sending). */
static outcome item_outcome(const kc_admin_result *results, size_t k, kc_err call_err,
                            kc_client *client)
{
    if (results)
        return (outcome){results[k].err, results[k].message ? results[k].message : ""};
    return (outcome){call_err, kc_client_last_error(client)};
}

/* "a=1, b=2" into buf (cut short when it does not fit). */
static const char *format_pairs(char *buf, size_t len, const kc_config_pair *pairs, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s=%s", i ? ", " : "", pairs[i].name,
                         pairs[i].value);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, len, "none");
    return buf;
}

static void free_topic(synced_topic *t)
{
    free(t->source_topic);
    free(t->target_topic);
    free(t->message);
}

static int compare_synced(const void *a, const void *b)
{
    const synced_topic *x = a, *y = b;
    return strcmp(x->source_topic, y->source_topic);
}

static int compare_desc_name(const void *key, const void *elem)
{
    const kc_topic_desc *d = elem;
    return strcmp(key, d->name);
}

static bool source_lists(const sync_pass *p, const char *topic)
{
    return p->listed_count &&
           bsearch(topic, p->listed, p->listed_count, sizeof(*p->listed), compare_desc_name);
}

/* Whether an entry was set on the topic itself (v0 brokers only say
 * whether a value is the default). */
static bool is_topic_override(const kc_config_entry *e)
{
    return e->source == KC_CONFIG_SOURCE_DYNAMIC_TOPIC ||
           (e->source == KC_CONFIG_SOURCE_UNKNOWN && !e->is_default);
}

static bool is_excluded_config(const char *name)
{
    for (size_t i = 0; i < sizeof(excluded_configs) / sizeof(excluded_configs[0]); i++) {
        const char *x = excluded_configs[i];
        size_t len = strlen(x);
        if (x[len - 1] == '.' ? strncmp(name, x, len) == 0 : strcmp(name, x) == 0)
            return true;
    }
    return false;
}

static bool is_copied_config(const kc_config_entry *e)
{
    return e->name && e->value && !e->is_sensitive && !e->read_only && is_topic_override(e) &&
           !is_excluded_config(e->name);
}

/* Entries are sorted by name (kc_admin_describe_configs). */
static const kc_config_entry *find_entry(const kc_config_resource *r, const char *name)
{
    size_t lo = 0, hi = r->entry_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, r->entries[mid].name ? r->entries[mid].name : "");
        if (c == 0)
            return &r->entries[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int32_t parse_int32(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    return *end || v < 0 || v > INT32_MAX ? -1 : (int32_t)v;
}

/* Whether step work applies to topic i: not carried over and not failed. */
static bool is_live(const sync_pass *p, size_t i)
{
    return !p->work[i].carried && p->topics[i].err == 0;
}

/* n + 1 zeroed items of size bytes from the pass's arena; NULL when out of
 * memory (the pass is then abandoned: p->fatal). */
static void *pass_calloc(sync_pass *p, size_t n, size_t size)
{
    void *items = st_arena_calloc(&p->arena, n + 1, size);
    if (!items)
        p->fatal = KC_ERR_NOMEM;
    return items;
}

/* Which live topics a step works on (NULL: every live topic). */
typedef bool (*topic_filter)(const sync_pass *p, size_t i);

/* The indexes of the live topics wanted accepts, in the arena, and their
 * number in *n (0 when out of memory). */
static const size_t *pick_live(sync_pass *p, topic_filter wanted, size_t *n)
{
    size_t *index = pass_calloc(p, p->count, sizeof(*index));
    *n = 0;
    if (!index)
        return NULL;
    for (size_t i = 0; i < p->count; i++)
        if (is_live(p, i) && (!wanted || wanted(p, i)))
            index[(*n)++] = i;
    return index;
}

/* ---- 1. the source's topics ------------------------------------------------------------ */

static synced_topic *add_entry(sync_pass *p, const char *source_topic, const char *target_topic)
{
    synced_topic *t = &p->topics[p->count];
    memset(t, 0, sizeof(*t));
    memset(&p->work[p->count], 0, sizeof(p->work[p->count]));
    t->source_topic = dup_or_fail(p, source_topic);
    t->target_topic = dup_or_fail(p, target_topic);
    t->source_partitions = -1;
    t->target_partitions = -1;
    t->max_message_bytes = -1;
    p->count++;
    return t;
}

/* Keeps the previous pass's entry (a source topic with a metadata error now:
 * most likely a passing state, e.g. a leader election). */
static void carry(sync_pass *p, const synced_topic *prev)
{
    synced_topic *t = add_entry(p, prev->source_topic, prev->target_topic);
    t->source_partitions = prev->source_partitions;
    t->target_partitions = prev->target_partitions;
    t->max_message_bytes = prev->max_message_bytes;
    t->err = prev->err;
    t->message = dup_or_fail(p, prev->message);
    p->work[p->count - 1].carried = true;
}

static void add_listed(sync_pass *p, const kc_topic_desc *d)
{
    const mirror_flow *flow = p->ts->flow;
    if (d->internal || !mirror_flow_topic_matches(flow, d->name))
        return;
    char target[1024];
    if (!mirror_flow_target_topic(flow, d->name, target, sizeof(target))) {
        note(p, ST_LOG_WARN, "topic %s is not mirrored: its target name is too long", d->name);
        return;
    }
    if (d->err) {
        const synced_topic *prev = topic_sync_find(p->ts, d->name);
        if (prev)
            carry(p, prev);
        note(p, ST_LOG_DEBUG, "source topic %s on %s: %s (%s)", d->name, source_name(p),
             kc_err_name(d->err), prev ? "kept as it was" : "skipped for now");
        return;
    }
    synced_topic *t = add_entry(p, d->name, target);
    t->source_partitions = d->partition_count;
}

static kc_err list_source(sync_pass *p)
{
    kc_topic_desc *descs = NULL;
    size_t n = 0;
    kc_err err = kc_admin_describe_topics(p->source, NULL, 0, p->timeout_ms, &p->arena, &descs,
                                          &n);
    if (err) {
        note(p, ST_LOG_WARN, "cannot list the topics of source cluster %s: %s", source_name(p),
             kc_client_last_error(p->source));
        return err;
    }
    p->listed = descs;
    p->listed_count = n;
    p->cap = n + p->ts->topic_count;
    p->topics = calloc(p->cap + 1, sizeof(*p->topics));
    p->work = calloc(p->cap + 1, sizeof(*p->work));
    if (!p->topics || !p->work)
        return KC_ERR_NOMEM;
    for (size_t i = 0; i < n && !p->fatal; i++)
        add_listed(p, &descs[i]);
    return p->fatal;
}

/* ---- 2. the target's topics --------------------------------------------------------------- */

static void take_target_desc(sync_pass *p, size_t i, const kc_topic_desc *d)
{
    synced_topic *t = &p->topics[i];
    if (d->err == KC_OK) {
        t->target_partitions = d->partition_count;
    } else if (d->err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
        p->work[i].missing = true;
    } else {
        set_error(p, t, d->err, "target cluster %s: cannot describe topic %s: %s", target_name(p),
                  t->target_topic, kc_err_name(d->err));
    }
}

static void describe_targets(sync_pass *p)
{
    size_t n;
    const size_t *index = pick_live(p, NULL, &n);
    const char **names = pass_calloc(p, n, sizeof(*names));
    if (n == 0 || !names)
        return;
    for (size_t k = 0; k < n; k++)
        names[k] = p->topics[index[k]].target_topic;
    kc_topic_desc *descs = NULL;
    size_t got = 0;
    kc_err err = kc_admin_describe_topics(p->target, names, n, p->timeout_ms, &p->arena, &descs,
                                          &got);
    for (size_t k = 0; k < n; k++) {
        synced_topic *t = &p->topics[index[k]];
        if (descs && k < got)
            take_target_desc(p, index[k], &descs[k]);
        else
            set_error(p, t, err, "target cluster %s: cannot describe topic %s: %s",
                      target_name(p), t->target_topic, kc_client_last_error(p->target));
    }
}

/* ---- 3. the source's configs ---------------------------------------------------------------- */

/* What a step does with topic i's DescribeConfigs outcome: r is its
 * configs (NULL when the whole call failed); err and message say whether
 * they could be read. */
typedef void (*configs_handler)(sync_pass *p, size_t i, const kc_config_resource *r,
                                kc_err err, const char *message);

/* DescribeConfigs of the live topics wanted accepts, by their source names
 * on the source or their target names on the target (one call); hands each
 * topic's outcome to handle. */
static void describe_configs(sync_pass *p, bool on_source, topic_filter wanted,
                             configs_handler handle)
{
    size_t n;
    const size_t *index = pick_live(p, wanted, &n);
    kc_resource *res = pass_calloc(p, n, sizeof(*res));
    if (n == 0 || !res)
        return;
    for (size_t k = 0; k < n; k++) {
        const synced_topic *t = &p->topics[index[k]];
        res[k] = (kc_resource){KC_RESOURCE_TOPIC, on_source ? t->source_topic : t->target_topic};
    }
    kc_client *client = on_source ? p->source : p->target;
    kc_config_resource *out = NULL;
    kc_err err = kc_admin_describe_configs(client, res, n, false, p->timeout_ms, &p->arena, &out);
    for (size_t k = 0; k < n && !p->fatal; k++) {
        if (out)
            handle(p, index[k], &out[k], out[k].err, out[k].message);
        else
            handle(p, index[k], NULL, err, kc_client_last_error(client));
    }
}

static void take_source_configs(sync_pass *p, size_t i, const kc_config_resource *r)
{
    kc_config_pair *copy = pass_calloc(p, r->entry_count, sizeof(*copy));
    if (!copy)
        return;
    size_t n = 0;
    for (size_t k = 0; k < r->entry_count; k++)
        if (is_copied_config(&r->entries[k]))
            copy[n++] = (kc_config_pair){r->entries[k].name, r->entries[k].value};
    p->work[i].copy = copy;
    p->work[i].copy_count = n;
    p->work[i].configs_read = true;
}

/* A topic whose source configs could not be read: a missing target topic
 * waits for the next pass (created without them it would keep the target's
 * defaults when config sync is off); an existing one just skips config sync. */
static void source_configs_failed(sync_pass *p, size_t i, kc_err err, const char *message)
{
    synced_topic *t = &p->topics[i];
    if (err == KC_ERR_UNSUPPORTED) {
        warn_unsupported(p, WARN_SOURCE_DESCRIBE_CONFIGS, true, "DescribeConfigs",
                         "topic configs are not mirrored");
        return;
    }
    if (p->work[i].missing)
        set_error(p, t, err, "source cluster %s: cannot read the configs of topic %s (%s): not "
                  "creating %s yet", source_name(p), t->source_topic, message, t->target_topic);
    else
        note(p, ST_LOG_WARN, "source cluster %s: cannot read the configs of topic %s: %s",
             source_name(p), t->source_topic, message);
}

/* Source configs are read to copy them: always for a topic to create, for
 * the others when configs are synced. */
static bool needs_source_configs(const sync_pass *p, size_t i)
{
    return p->ts->flow->sync_topic_configs || p->work[i].missing;
}

static void source_configs_read(sync_pass *p, size_t i, const kc_config_resource *r,
                                kc_err err, const char *message)
{
    if (r && err == KC_OK)
        take_source_configs(p, i, r);
    else
        source_configs_failed(p, i, err, message);
}

static void describe_source_configs(sync_pass *p)
{
    describe_configs(p, true, needs_source_configs, source_configs_read);
}

/* ---- 4. creating missing target topics ------------------------------------------------------ */

static void created(sync_pass *p, size_t i, bool with_configs)
{
    synced_topic *t = &p->topics[i];
    const topic_work *w = &p->work[i];
    char configs[1024], factor[32] = "the target's default";
    int16_t rf = p->ts->flow->replication_factor;
    if (rf > 0)
        snprintf(factor, sizeof(factor), "%d", rf);
    t->target_partitions = t->source_partitions;
    note(p, ST_LOG_INFO, "created topic %s on %s: %d partitions, replication factor %s, "
         "configs: %s", t->target_topic, target_name(p), t->source_partitions, factor,
         format_pairs(configs, sizeof(configs), w->copy, with_configs ? w->copy_count : 0));
}

static void creation_failed(sync_pass *p, size_t i, kc_err err, const char *message)
{
    synced_topic *t = &p->topics[i];
    if (err == KC_ERR_UNSUPPORTED) {
        warn_unsupported(p, WARN_TARGET_CREATE_TOPICS, false, "CreateTopics",
                         "target topics must exist already");
        set_error(p, t, err, "target cluster %s does not support CreateTopics and topic %s does "
                  "not exist", target_name(p), t->target_topic);
    } else if (err == KAFKA_TOPIC_ALREADY_EXISTS) {
        set_error(p, t, err, "target topic %s appeared on %s while being created: checked "
                  "again on the next pass", t->target_topic, target_name(p));
    } else {
        set_error(p, t, err, "target cluster %s: cannot create topic %s: %s", target_name(p),
                  t->target_topic, message);
    }
}

/* CreateTopics for the topics in index[0..n); with_configs copies the
 * source configs. Topics the target refused for their configs are put in
 * refused[] (when given) instead of failing. Returns how many. */
static size_t create_topics(sync_pass *p, const size_t *index, size_t n, bool with_configs,
                            size_t *refused)
{
    kc_new_topic *nt = pass_calloc(p, n, sizeof(*nt));
    if (!nt)
        return 0;
    for (size_t k = 0; k < n; k++) {
        const synced_topic *t = &p->topics[index[k]];
        const topic_work *w = &p->work[index[k]];
        nt[k] = (kc_new_topic){t->target_topic, t->source_partitions,
                               p->ts->flow->replication_factor, with_configs ? w->copy : NULL,
                               with_configs ? w->copy_count : 0};
    }
    kc_admin_result *results = NULL;
    kc_err call_err = kc_admin_create_topics(p->target, nt, n, false, p->timeout_ms, &p->arena,
                                             &results);
    size_t refused_count = 0;
    for (size_t k = 0; k < n; k++) {
        outcome o = item_outcome(results, k, call_err, p->target);
        if (o.err == KC_OK)
            created(p, index[k], with_configs);
        else if (refused && o.err == KAFKA_INVALID_CONFIG && nt[k].config_count > 0) {
            note(p, ST_LOG_WARN, "target cluster %s refused the configs of topic %s (%s): "
                 "creating it without them", target_name(p), nt[k].name, o.message);
            refused[refused_count++] = index[k];
        } else
            creation_failed(p, index[k], o.err, o.message);
    }
    return refused_count;
}

static bool is_missing(const sync_pass *p, size_t i)
{
    return p->work[i].missing;
}

static void create_missing(sync_pass *p)
{
    size_t n;
    const size_t *index = pick_live(p, is_missing, &n);
    size_t *refused = pass_calloc(p, n, sizeof(*refused));
    if (n == 0 || !refused)
        return;
    size_t again = create_topics(p, index, n, true, refused);
    if (again && !p->fatal)
        create_topics(p, refused, again, false, NULL);
}

/* ---- 5. growing target topics ----------------------------------------------------------------- */

/* An existing target topic with fewer partitions than its source. */
static bool is_short(const sync_pass *p, size_t i)
{
    const synced_topic *t = &p->topics[i];
    return !p->work[i].missing && t->target_partitions < t->source_partitions;
}

static void grow_short(sync_pass *p)
{
    size_t n;
    const size_t *index = pick_live(p, is_short, &n);
    kc_new_partitions *np = pass_calloc(p, n, sizeof(*np));
    if (n == 0 || !np)
        return;
    for (size_t k = 0; k < n; k++) {
        const synced_topic *t = &p->topics[index[k]];
        np[k] = (kc_new_partitions){t->target_topic, t->source_partitions};
    }
    kc_admin_result *results = NULL;
    kc_err call_err = kc_admin_create_partitions(p->target, np, n, false, p->timeout_ms,
                                                 &p->arena, &results);
    for (size_t k = 0; k < n; k++) {
        synced_topic *t = &p->topics[index[k]];
        outcome o = item_outcome(results, k, call_err, p->target);
        if (o.err == KC_OK) {
            note(p, ST_LOG_INFO, "grew topic %s on %s from %d to %d partitions", t->target_topic,
                 target_name(p), t->target_partitions, t->source_partitions);
            t->target_partitions = t->source_partitions;
            continue;
        }
        if (o.err == KC_ERR_UNSUPPORTED)
            warn_unsupported(p, WARN_TARGET_CREATE_PARTITIONS, false, "CreatePartitions",
                             "target topics cannot grow with their source");
        set_error(p, t, o.err, "target topic %s has %d partitions, source has %d: "
                  "CreatePartitions failed: %s", t->target_topic, t->target_partitions,
                  t->source_partitions, o.message);
    }
}

/* ---- 6. the target's configs ------------------------------------------------------------------- */

static void take_target_configs(sync_pass *p, size_t i, const kc_config_resource *r)
{
    p->work[i].target_configs = r;
    const kc_config_entry *e = find_entry(r, "max.message.bytes");
    p->topics[i].max_message_bytes = e ? parse_int32(e->value) : -1;
}

static bool exists_on_target(const sync_pass *p, size_t i)
{
    return p->topics[i].target_partitions >= 0;
}

static void target_configs_read(sync_pass *p, size_t i, const kc_config_resource *r,
                                kc_err err, const char *message)
{
    if (r && err == KC_OK)
        take_target_configs(p, i, r);
    else if (err == KC_ERR_UNSUPPORTED)
        warn_unsupported(p, WARN_TARGET_DESCRIBE_CONFIGS, false, "DescribeConfigs",
                         "topic config changes are not synced and max.message.bytes is unknown");
    else
        note(p, ST_LOG_DEBUG, "target cluster %s: cannot read the configs of topic %s: %s",
             target_name(p), p->topics[i].target_topic, message);
}

static void describe_target_configs(sync_pass *p)
{
    describe_configs(p, false, exists_on_target, target_configs_read);
}

/* ---- 7. config sync -------------------------------------------------------------------------- */

/* The copied source configs the target lacks or holds another value of
 * (only SETs: settings made on the target alone stay). */
static size_t config_changes(sync_pass *p, size_t i, kc_config_pair **out)
{
    const topic_work *w = &p->work[i];
    kc_config_pair *changes = pass_calloc(p, w->copy_count, sizeof(*changes));
    if (!changes)
        return 0;
    size_t n = 0;
    for (size_t k = 0; k < w->copy_count; k++) {
        const kc_config_entry *e = find_entry(w->target_configs, w->copy[k].name);
        if (!e || !is_topic_override(e) || !e->value || strcmp(e->value, w->copy[k].value) != 0)
            changes[n++] = w->copy[k];
    }
    *out = changes;
    return n;
}

static kc_config_op *set_ops(sync_pass *p, const kc_config_pair *pairs, size_t n)
{
    kc_config_op *ops = pass_calloc(p, n, sizeof(*ops));
    if (!ops)
        return NULL;
    for (size_t k = 0; k < n; k++)
        ops[k] = (kc_config_op){pairs[k].name, KC_CONFIG_OP_SET, pairs[k].value};
    return ops;
}

typedef struct config_change {
    size_t topic;                 /* index into the pass's topics */
    const kc_config_pair *pairs;
    size_t count;
} config_change;

static void report_alter(sync_pass *p, const config_change *c, kc_err err, const char *message)
{
    const synced_topic *t = &p->topics[c->topic];
    char configs[1024];
    if (err == KC_OK)
        note(p, ST_LOG_INFO, "synced configs of topic %s on %s: %s", t->target_topic,
             target_name(p), format_pairs(configs, sizeof(configs), c->pairs, c->count));
    else if (err == KC_ERR_UNSUPPORTED)
        warn_unsupported(p, WARN_TARGET_ALTER_CONFIGS, false, "IncrementalAlterConfigs",
                         "topic config changes are not mirrored");
    else
        note(p, ST_LOG_WARN, "cannot sync the configs of topic %s on %s (%s): %s",
             t->target_topic, target_name(p),
             format_pairs(configs, sizeof(configs), c->pairs, c->count), message);
}

/* An existing target topic whose source and target configs are known. */
static bool can_sync_configs(const sync_pass *p, size_t i)
{
    const topic_work *w = &p->work[i];
    return !w->missing && w->configs_read && w->target_configs;
}

static void sync_configs(sync_pass *p)
{
    if (!p->ts->flow->sync_topic_configs)
        return;
    size_t picked;
    const size_t *index = pick_live(p, can_sync_configs, &picked);
    config_change *changes = pass_calloc(p, picked, sizeof(*changes));
    kc_alter_resource *res = pass_calloc(p, picked, sizeof(*res));
    if (picked == 0 || !changes || !res)
        return;
    size_t n = 0;
    for (size_t k = 0; k < picked && !p->fatal; k++) {
        size_t i = index[k];
        kc_config_pair *pairs = NULL;
        size_t count = config_changes(p, i, &pairs);
        kc_config_op *ops = count ? set_ops(p, pairs, count) : NULL;
        if (!ops)
            continue;
        changes[n] = (config_change){i, pairs, count};
        res[n++] = (kc_alter_resource){KC_RESOURCE_TOPIC, p->topics[i].target_topic, ops, count};
    }
    if (n == 0 || p->fatal)
        return;
    kc_admin_result *results = NULL;
    kc_err call_err = kc_admin_incremental_alter_configs(p->target, res, n, false, p->timeout_ms,
                                                         &p->arena, &results);
    for (size_t k = 0; k < n; k++) {
        outcome o = item_outcome(results, k, call_err, p->target);
        report_alter(p, &changes[k], o.err, o.message);
    }
}

/* ---- 8. source topics that disappeared ---------------------------------------------------------- */

static void deleted(sync_pass *p, const synced_topic *prev, kc_err err, const char *message)
{
    if (err == KC_OK || err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
        note(p, ST_LOG_INFO, "deleted topic %s on %s: its source topic %s on %s is gone",
             prev->target_topic, target_name(p), prev->source_topic, source_name(p));
        return;
    }
    if (err == KC_ERR_UNSUPPORTED) {
        warn_unsupported(p, WARN_TARGET_DELETE_TOPICS, false, "DeleteTopics",
                         "target topics of deleted source topics are kept");
        return;
    }
    /* Kept in the list (not mirrored) so that the next pass tries again. */
    note(p, ST_LOG_WARN, "cannot delete topic %s on %s (its source topic %s is gone): %s",
         prev->target_topic, target_name(p), prev->source_topic, message);
    carry(p, prev);
    set_error(p, &p->topics[p->count - 1], err, "source topic %s is gone; deleting target "
              "topic %s failed: %s", prev->source_topic, prev->target_topic, message);
}

static void delete_gone(sync_pass *p, const synced_topic **gone, size_t n)
{
    const char **names = pass_calloc(p, n, sizeof(*names));
    if (!names)
        return;
    for (size_t k = 0; k < n; k++)
        names[k] = gone[k]->target_topic;
    kc_admin_result *results = NULL;
    kc_err call_err = kc_admin_delete_topics(p->target, names, n, p->timeout_ms, &p->arena,
                                             &results);
    for (size_t k = 0; k < n && !p->fatal; k++) {
        outcome o = item_outcome(results, k, call_err, p->target);
        deleted(p, gone[k], o.err, o.message);
    }
}

static void handle_gone(sync_pass *p)
{
    const topic_sync *ts = p->ts;
    const synced_topic **gone = pass_calloc(p, ts->topic_count, sizeof(*gone));
    if (!gone)
        return;
    size_t n = 0;
    for (size_t i = 0; i < ts->topic_count; i++) {
        const synced_topic *prev = &ts->topics[i];
        if (source_lists(p, prev->source_topic))
            continue;
        if (ts->flow->delete_topics)
            gone[n++] = prev;
        else
            note(p, ST_LOG_INFO, "source topic %s on %s is gone; target topic %s on %s is kept "
                 "(delete.topics is off)", prev->source_topic, source_name(p),
                 prev->target_topic, target_name(p));
    }
    if (n)
        delete_gone(p, gone, n);
}

/* ---- the pass ------------------------------------------------------------------------------------ */

static void free_entries(synced_topic *topics, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free_topic(&topics[i]);
    free(topics);
}

static void install(sync_pass *p)
{
    topic_sync *ts = p->ts;
    qsort(p->topics, p->count, sizeof(*p->topics), compare_synced);
    free_entries(ts->topics, ts->topic_count);
    ts->topics = p->topics;
    ts->topic_count = p->count;
    p->topics = NULL;
    p->count = 0;
}

static kc_err run_steps(sync_pass *p)
{
    kc_err err = list_source(p);
    if (err)
        return err;
    void (*const steps[])(sync_pass *) = {
        describe_targets,        describe_source_configs, create_missing, grow_short,
        describe_target_configs, sync_configs,            handle_gone,
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !p->fatal; i++)
        steps[i](p);
    return p->fatal;
}

kc_err topic_sync_run(topic_sync *ts, kc_client *source, kc_client *target, int timeout_ms)
{
    sync_pass p;
    memset(&p, 0, sizeof(p));
    p.ts = ts;
    p.source = source;
    p.target = target;
    p.timeout_ms = timeout_ms;
    st_arena_init(&p.arena);
    kc_err err = run_steps(&p);
    if (err == KC_OK)
        install(&p);
    else if (err == KC_ERR_NOMEM)
        note(&p, ST_LOG_ERROR, "topic sync pass abandoned: out of memory");
    if (p.topics)
        free_entries(p.topics, p.count);
    free(p.work);
    st_arena_free(&p.arena);
    return err;
}

/* ---- life cycle and lookup ------------------------------------------------------------------------- */

void topic_sync_init(topic_sync *ts, const mirror_flow *flow, const st_logger *log)
{
    memset(ts, 0, sizeof(*ts));
    ts->flow = flow;
    ts->log = log;
}

void topic_sync_free(topic_sync *ts)
{
    free_entries(ts->topics, ts->topic_count);
    ts->topics = NULL;
    ts->topic_count = 0;
}

static int compare_key_synced(const void *key, const void *elem)
{
    const synced_topic *t = elem;
    return strcmp(key, t->source_topic);
}

const synced_topic *topic_sync_find(const topic_sync *ts, const char *source_topic)
{
    if (!ts->topic_count)
        return NULL;
    return bsearch(source_topic, ts->topics, ts->topic_count, sizeof(*ts->topics),
                   compare_key_synced);
}
