/* checkpoint.c — translates consumer group offsets from a flow's source to
 * its target (see checkpoint.h).
 *
 * One pass, in four steps, each a few admin calls:
 *   1. the candidate groups: ListGroups on the source (or, without it, the
 *      flow's group patterns that are plain names), filtered by the flow;
 *   2. per group: OffsetFetch on the source, translation of every mirrored
 *      partition through the offset store, the store's checkpoint row;
 *   3. with sync.group.offsets: one DescribeGroups on the target for every
 *      checkpointed group, and for those Empty or Dead there an OffsetFetch
 *      and an OffsetCommit of the offsets that move forward;
 *   4. MM2's records: a heartbeat and the checkpoints, produced to the
 *      target by the checkpointer's own idempotent producer, flushed with a
 *      bound.
 * Everything a pass allocates lives in one arena freed at its end; the only
 * long-lived things are the producer and the warned bits. Never touches
 * records or the mirror's positions; never writes a target group that has
 * members. */
#include "mirror/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/arena.h"
#include "mirror/cluster_client.h"
#include "mirror/mm2_format.h"

#define LOG_COMPONENT "checkpoint"

/* Bits of checkpointer.warned: one warning per flow and missing API. */
enum {
    WARN_LIST_GROUPS = 1u << 0,        /* source lacks ListGroups */
    WARN_OFFSET_FETCH = 1u << 1,       /* source lacks OffsetFetch */
    WARN_DESCRIBE_GROUPS = 1u << 2,    /* target lacks DescribeGroups */
    WARN_TARGET_OFFSETS = 1u << 3,     /* target lacks OffsetFetch/OffsetCommit */
    WARN_CREATE_TOPICS = 1u << 4,      /* target lacks CreateTopics */
    WARN_PRODUCER = 1u << 5,           /* the MM2 producer could not be made */
    WARN_DELIVERY_IN_PASS = 1u << 6,   /* a failed MM2 delivery was logged this pass
                                        * (cleared at every pass start) */
    WARN_FETCH_BY_PARTITION = 1u << 7, /* the source cannot list all of a group's offsets:
                                        * ask for the mirrored partitions by name */
};

/* One translated partition of a group. Strings point into the pass's arena
 * or into the topic list (both live for the pass). */
typedef struct group_entry {
    const char *source_topic;
    const char *target_topic;
    int32_t partition;
    int64_t source_offset;     /* committed on the source */
    int64_t target_offset;     /* its translation */
    const char *metadata;      /* "" when none */
} group_entry;

typedef struct group_checkpoint {
    const char *group;
    group_entry *entries;      /* arena */
    size_t count;
} group_checkpoint;

/* Everything one pass works with. */
typedef struct pass {
    checkpointer *cp;
    kc_client *source;
    kc_client *target;
    offset_store *store;
    const topic_sync *topics;
    int timeout_ms;
    int64_t now_ms;
    st_arena arena;
    group_checkpoint *groups;  /* arena; only groups with at least one entry */
    size_t group_count;
    kc_topic_partition *mirrored; /* arena, made on first use: every mirrored source partition */
    size_t mirrored_count;
    bool target_down;          /* a target call failed as unreachable: skip the rest */
} pass;

/* The bound of a wait that must not take the default (which may be 0). */
static int wait_bound_ms(const pass *ps)
{
    return ps->timeout_ms > 0 ? ps->timeout_ms : 10000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Logs msg once per flow for the bit. */
static void warn_once(checkpointer *cp, unsigned bit, const char *fmt, const char *detail)
{
    if (cp->warned & bit)
        return;
    cp->warned |= bit;
    st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, fmt, cp->flow->name, detail);
}

/* The errors that say a cluster cannot be reached at all. */
static bool unreachable(kc_err err)
{
    return err == KC_ERR_TRANSPORT || err == KC_ERR_TIMED_OUT || err == KC_ERR_RESOLVE;
}

static char *arena_strdup(st_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *copy = st_arena_alloc(a, n + 1);
    if (copy)
        memcpy(copy, s, n + 1);
    return copy;
}

/* ======================================================================
 * Translation
 * ====================================================================== */

/* The flow in the other direction when both are identity-named: then the
 * target's topic also holds target-local records, some of which the group
 * has seen on the source as copies. */
static const mirror_flow *reverse_identity_flow(const mirror_config *config,
                                                const mirror_flow *flow)
{
    if (!config || flow->naming != MIRROR_NAMING_IDENTITY)
        return NULL;
    const mirror_flow *reverse =
        mirror_config_find_flow(config, flow->target->name, flow->source->name);
    if (!reverse || reverse->naming != MIRROR_NAMING_IDENTITY)
        return NULL;
    return reverse;
}

/* The target offset of the first target-local record a group at source
 * offset committed has not seen: the first one whose copy on the source is
 * at or after committed, else the reverse flow's position (not mirrored
 * yet). *known is false when the reverse flow knows nothing. */
static st_err first_unseen_local(offset_store *store, const mirror_flow *reverse,
                                 const char *topic, int32_t partition, int64_t committed,
                                 int64_t *out, bool *known, char *errbuf, size_t errlen)
{
    *known = false;
    store_key key = {reverse->name, topic, partition};
    int64_t local = -1;
    st_err err = offset_store_source_for_target(store, &key, committed, &local, errbuf, errlen);
    if (err)
        return err;
    if (local >= 0) {
        *out = local;
        *known = true;
        return ST_OK;
    }
    store_partition_state state;
    err = offset_store_state(store, &key, &state, errbuf, errlen);
    if (err || !state.found)
        return err;
    *out = state.position;
    *known = true;
    return ST_OK;
}

st_err checkpoint_translate(const mirror_config *config, const mirror_flow *flow,
                            offset_store *store, const char *topic, int32_t partition,
                            int64_t committed, store_translation *out, char *errbuf,
                            size_t errlen)
{
    store_key key = {flow->name, topic, partition};
    st_err err = offset_store_translate(store, &key, committed, out, errbuf, errlen);
    if (err)
        return err;
    const mirror_flow *reverse = reverse_identity_flow(config, flow);
    if (!reverse)
        return ST_OK;
    int64_t local = 0;
    bool known = false;
    err = first_unseen_local(store, reverse, topic, partition, committed, &local, &known, errbuf,
                             errlen);
    if (err || !known)
        return err;
    /* When the group has read every record this flow mirrored (committed
     * past the last row), this flow puts no bound: its translation (the
     * end of the last row) would replay the target-local records written
     * after it, which the group has read as copies; what it mirrors later
     * lands after the target's end, past local. */
    if (out->found) {
        store_partition_state st;
        err = offset_store_state(store, &key, &st, errbuf, errlen);
        if (err)
            return err;
        if (!st.has_rows || committed > st.last_src)
            out->found = false;
    }
    /* Starting at the smaller one skips nothing: every record of this
     * flow the group has not seen is at or after the translation, every
     * target-local one it has not seen at or after local. */
    if (!out->found || local < out->target_offset) {
        out->found = true;
        out->target_offset = local;
    }
    return ST_OK;
}

/* ======================================================================
 * Step 1: the candidate groups
 * ====================================================================== */

/* A groups pattern that can only be read as one name: no regex operator
 * but '.' (which matches itself) and backslash escapes of punctuation
 * (unescaped). The name is written to buf; false when the pattern is a
 * real regex or does not fit. */
static bool literal_group_name(const char *pattern, char *buf, size_t buflen)
{
    size_t n = 0;
    for (const char *p = pattern; *p; p++) {
        char c = *p;
        if (c == '\\') {
            c = *++p;
            if (!c || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                (c >= 'A' && c <= 'Z'))
                return false; /* \1, \w, ...: not a literal */
        } else if (strchr("[](){}*+?|^$", c)) {
            return false;
        }
        if (n + 1 >= buflen)
            return false;
        buf[n++] = c;
    }
    if (n == 0)
        return false;
    buf[n] = '\0';
    return true;
}

/* The flow's literal group names (for a source without ListGroups). */
static kc_err literal_groups(pass *ps, const char ***names, size_t *count)
{
    const mirror_patterns *pats = &ps->cp->flow->groups;
    *names = st_arena_calloc(&ps->arena, pats->count + 1, sizeof(**names));
    *count = 0;
    if (!*names)
        return KC_ERR_NOMEM;
    char name[512];
    for (size_t i = 0; i < pats->count; i++) {
        if (!literal_group_name(pats->sources[i], name, sizeof(name)))
            continue;
        bool dup = false;
        for (size_t j = 0; j < *count && !dup; j++)
            dup = strcmp((*names)[j], name) == 0;
        if (dup)
            continue;
        char *copy = arena_strdup(&ps->arena, name);
        if (!copy)
            return KC_ERR_NOMEM;
        (*names)[(*count)++] = copy;
    }
    return KC_OK;
}

/* Consumer groups (protocol "consumer") and offsets-only groups (""). */
static bool consumer_group(const kc_group_listing *g)
{
    return !g->protocol_type || g->protocol_type[0] == '\0' ||
           strcmp(g->protocol_type, "consumer") == 0;
}

/* The groups of the source the flow checkpoints, in *names (arena). */
static kc_err candidate_groups(pass *ps, const char ***names, size_t *count)
{
    checkpointer *cp = ps->cp;
    kc_group_listing *listed = NULL;
    size_t listed_count = 0;
    const char **all = NULL;
    size_t all_count = 0;
    kc_err err = kc_admin_list_groups(ps->source, NULL, 0, ps->timeout_ms, &ps->arena, &listed,
                                      &listed_count);
    if (err == KC_ERR_UNSUPPORTED) {
        warn_once(cp, WARN_LIST_GROUPS,
                  "flow %s: source cluster %s does not support ListGroups: only groups named "
                  "literally in the flow's groups patterns are checkpointed",
                  cp->flow->source->name);
        err = literal_groups(ps, &all, &all_count);
    } else if (err == KC_OK) {
        all = st_arena_calloc(&ps->arena, listed_count + 1, sizeof(*all));
        if (!all)
            return KC_ERR_NOMEM;
        for (size_t i = 0; i < listed_count; i++)
            if (consumer_group(&listed[i]))
                all[all_count++] = listed[i].group_id;
    }
    if (err) {
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: listing groups of %s: %s",
                cp->flow->name, cp->flow->source->name, kc_client_last_error(ps->source));
        return err;
    }
    *count = 0;
    for (size_t i = 0; i < all_count; i++)
        if (mirror_flow_group_matches(cp->flow, all[i]))
            all[(*count)++] = all[i];
    *names = all;
    return KC_OK;
}

/* ======================================================================
 * Step 2: read, translate and store each group's offsets
 * ====================================================================== */

/* The mirrored topic a committed partition belongs to, or NULL. */
static const synced_topic *mirrored_partition_topic(const pass *ps, const kc_group_offset *o)
{
    if (o->err || o->offset < 0 || o->partition < 0)
        return NULL;
    const synced_topic *t = topic_sync_find(ps->topics, o->topic);
    if (!t || t->err || o->partition >= t->source_partitions)
        return NULL;
    return t;
}

/* Translates one committed partition into *e; false when nothing is known
 * (or the store failed: logged). */
static bool translate_entry(pass *ps, const char *group, const kc_group_offset *o,
                            const synced_topic *t, group_entry *e)
{
    checkpointer *cp = ps->cp;
    char why[512];
    store_translation tr = {0};
    st_err err = checkpoint_translate(cp->config, cp->flow, ps->store, t->source_topic,
                                      o->partition, o->offset, &tr, why, sizeof(why));
    if (err) {
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: group %s: %s [%d]: %s",
                cp->flow->name, group, t->source_topic, o->partition, why);
        return false;
    }
    if (!tr.found)
        return false;
    *e = (group_entry){
        .source_topic = t->source_topic,
        .target_topic = t->target_topic,
        .partition = o->partition,
        .source_offset = o->offset,
        .target_offset = tr.target_offset,
        .metadata = o->metadata ? o->metadata : "",
    };
    return true;
}

/* Writes the group's checkpoints to the store in one transaction (unless
 * the caller has one open: then into it). Failures are logged. */
static void store_checkpoints(pass *ps, const group_checkpoint *g)
{
    checkpointer *cp = ps->cp;
    char why[512];
    bool own_txn = offset_store_begin(ps->store, why, sizeof(why)) == ST_OK;
    bool ok = true;
    for (size_t i = 0; ok && i < g->count; i++) {
        const group_entry *e = &g->entries[i];
        store_checkpoint row = {
            .group = (char *)g->group,
            .topic = (char *)e->source_topic,
            .partition = e->partition,
            .source_offset = e->source_offset,
            .target_offset = e->target_offset,
            .metadata = (char *)e->metadata,
            .time_ms = ps->now_ms,
        };
        ok = offset_store_put_checkpoint(ps->store, cp->flow->name, &row, why,
                                         sizeof(why)) == ST_OK;
    }
    char commit_why[512];
    if (own_txn && offset_store_commit(ps->store, commit_why, sizeof(commit_why)) != ST_OK &&
        ok) {
        ok = false;
        snprintf(why, sizeof(why), "%s", commit_why);
    }
    if (!ok) /* one line per group is enough */
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT,
                "flow %s: group %s: checkpoints not stored: %s", cp->flow->name, g->group, why);
}

/* Every partition the flow mirrors (source names), made once per pass. */
static kc_err mirrored_partitions(pass *ps)
{
    if (ps->mirrored)
        return KC_OK;
    size_t total = 0;
    for (size_t i = 0; i < ps->topics->topic_count; i++)
        if (!ps->topics->topics[i].err && ps->topics->topics[i].source_partitions > 0)
            total += (size_t)ps->topics->topics[i].source_partitions;
    ps->mirrored = st_arena_calloc(&ps->arena, total + 1, sizeof(*ps->mirrored));
    if (!ps->mirrored)
        return KC_ERR_NOMEM;
    for (size_t i = 0; i < ps->topics->topic_count; i++) {
        const synced_topic *t = &ps->topics->topics[i];
        for (int32_t p = 0; !t->err && p < t->source_partitions; p++)
            ps->mirrored[ps->mirrored_count++] = (kc_topic_partition){t->source_topic, p};
    }
    return KC_OK;
}

/* The group's committed offsets on the source: all of them (OffsetFetch
 * v2+ with no topic list, as MM2 asks), or, from a source that cannot
 * answer that (before v2, or an answer that cannot be read), those of the
 * mirrored partitions asked for by name. */
static kc_err source_offsets(pass *ps, const char *group, kc_group_offset **offsets, size_t *n)
{
    checkpointer *cp = ps->cp;
    kc_err err = KC_ERR_UNSUPPORTED;
    if (!(cp->warned & WARN_FETCH_BY_PARTITION)) {
        err = kc_admin_list_group_offsets(ps->source, group, NULL, 0, ps->timeout_ms,
                                          &ps->arena, offsets, n);
        if (err != KC_ERR_UNSUPPORTED && err != KC_ERR_BAD_RESPONSE)
            return err;
        cp->warned |= WARN_FETCH_BY_PARTITION;
        st_logf(cp->log, ST_LOG_INFO, LOG_COMPONENT,
                "flow %s: source cluster %s cannot list all of a group's offsets (%s): asking "
                "for the mirrored partitions by name",
                cp->flow->name, cp->flow->source->name, kc_client_last_error(ps->source));
    }
    if (mirrored_partitions(ps) != KC_OK)
        return KC_ERR_NOMEM;
    if (ps->mirrored_count == 0) {
        *offsets = NULL;
        *n = 0;
        return KC_OK;
    }
    return kc_admin_list_group_offsets(ps->source, group, ps->mirrored, ps->mirrored_count,
                                       ps->timeout_ms, &ps->arena, offsets, n);
}

/* Reads, translates and stores one group. Returns an error only when the
 * source cannot answer (stops the pass). */
static kc_err checkpoint_group(pass *ps, const char *group)
{
    checkpointer *cp = ps->cp;
    kc_group_offset *offsets = NULL;
    size_t n = 0;
    kc_err err = source_offsets(ps, group, &offsets, &n);
    if (err == KC_ERR_UNSUPPORTED) {
        warn_once(cp, WARN_OFFSET_FETCH,
                  "flow %s: source cluster %s does not support OffsetFetch: no group offsets "
                  "are checkpointed",
                  cp->flow->source->name);
        return err;
    }
    if (err) {
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: %s", cp->flow->name,
                kc_client_last_error(ps->source));
        return unreachable(err) ? err : KC_OK;
    }
    group_entry *entries = st_arena_calloc(&ps->arena, n + 1, sizeof(*entries));
    if (!entries)
        return KC_ERR_NOMEM;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const synced_topic *t = mirrored_partition_topic(ps, &offsets[i]);
        if (t && translate_entry(ps, group, &offsets[i], t, &entries[count]))
            count++;
    }
    if (count == 0)
        return KC_OK;
    group_checkpoint *g = &ps->groups[ps->group_count++];
    *g = (group_checkpoint){group, entries, count};
    store_checkpoints(ps, g);
    return KC_OK;
}

/* ======================================================================
 * Step 3: commit into target groups that are empty or absent there
 * ====================================================================== */

static const kc_group_offset *find_offset(const kc_group_offset *offsets, size_t n,
                                          const char *topic, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (offsets[i].partition == partition && strcmp(offsets[i].topic, topic) == 0)
            return &offsets[i];
    return NULL;
}

/* Notes a target failure; an unsupported API is warned about once. */
static void target_failed(pass *ps, kc_err err, unsigned bit, const char *api, const char *what)
{
    checkpointer *cp = ps->cp;
    if (err == KC_ERR_UNSUPPORTED) {
        char detail[160];
        snprintf(detail, sizeof(detail), "%s does not support %s", cp->flow->target->name, api);
        warn_once(cp, bit, "flow %s: target cluster %s: group offsets are not synced", detail);
        return;
    }
    if (unreachable(err))
        ps->target_down = true;
    st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: %s: %s", cp->flow->name, what,
            kc_client_last_error(ps->target));
}

/* Commits the group's translations that move the target group forward. */
static void sync_group(pass *ps, const group_checkpoint *g)
{
    checkpointer *cp = ps->cp;
    kc_group_offset *current = NULL;
    size_t current_count = 0;
    kc_err err = kc_admin_list_group_offsets(ps->target, g->group, NULL, 0, ps->timeout_ms,
                                             &ps->arena, &current, &current_count);
    if (err) {
        target_failed(ps, err, WARN_TARGET_OFFSETS, "OffsetFetch", "reading target offsets");
        return;
    }
    kc_group_offset *writes = st_arena_calloc(&ps->arena, g->count + 1, sizeof(*writes));
    if (!writes)
        return;
    size_t n = 0;
    for (size_t i = 0; i < g->count; i++) {
        const group_entry *e = &g->entries[i];
        const kc_group_offset *now =
            find_offset(current, current_count, e->target_topic, e->partition);
        if (now && now->offset >= 0 && now->offset >= e->target_offset)
            continue; /* never backwards (and nothing to do when equal) */
        writes[n++] = (kc_group_offset){
            .topic = e->target_topic,
            .partition = e->partition,
            .offset = e->target_offset,
            .leader_epoch = -1,
            .metadata = e->metadata,
        };
    }
    if (n == 0)
        return;
    err = kc_admin_alter_group_offsets(ps->target, g->group, writes, n, ps->timeout_ms);
    int64_t written = 0;
    for (size_t i = 0; i < n; i++)
        written += writes[i].err == KC_OK;
    cp->offsets_written += written;
    if (written > 0)
        cp->groups_synced++;
    if (err)
        target_failed(ps, err, WARN_TARGET_OFFSETS, "OffsetCommit", "committing target offsets");
    else
        st_logf(cp->log, ST_LOG_DEBUG, LOG_COMPONENT,
                "flow %s: group %s: %zu offsets committed on %s", cp->flow->name, g->group, n,
                cp->flow->target->name);
}

/* The groups that are Empty or Dead (absent) on the target get synced. */
static void sync_groups(pass *ps)
{
    checkpointer *cp = ps->cp;
    if (!cp->flow->sync_group_offsets || ps->group_count == 0)
        return;
    const char **ids = st_arena_calloc(&ps->arena, ps->group_count, sizeof(*ids));
    if (!ids)
        return;
    for (size_t i = 0; i < ps->group_count; i++)
        ids[i] = ps->groups[i].group;
    kc_group_desc *descs = NULL;
    kc_err err = kc_admin_describe_groups(ps->target, ids, ps->group_count, ps->timeout_ms,
                                          &ps->arena, &descs);
    if (!descs || err == KC_ERR_UNSUPPORTED || unreachable(err)) {
        target_failed(ps, err ? err : KC_ERR_NOMEM, WARN_DESCRIBE_GROUPS, "DescribeGroups",
                      "describing target groups");
        return;
    }
    for (size_t i = 0; i < ps->group_count && !ps->target_down; i++) {
        const kc_group_desc *d = &descs[i];
        if (d->err) {
            st_logf(cp->log, ST_LOG_INFO, LOG_COMPONENT, "flow %s: group %s on %s: %s: %s",
                    cp->flow->name, ps->groups[i].group, cp->flow->target->name,
                    kc_err_name(d->err), d->message ? d->message : "");
            continue;
        }
        if (!d->state || (strcasecmp(d->state, "Empty") != 0 && strcasecmp(d->state, "Dead") != 0))
            continue; /* active on the target: its members own their offsets */
        sync_group(ps, &ps->groups[i]);
    }
}

/* ======================================================================
 * Step 4: MM2's heartbeat and checkpoint records
 * ====================================================================== */

static void on_mm2_delivery(const kc_delivery *d, void *cb_opaque)
{
    checkpointer *cp = cb_opaque;
    if (d->err == KC_OK || d->err == KC_ERR_DESTROYED || (cp->warned & WARN_DELIVERY_IN_PASS))
        return; /* (DESTROYED: the checkpointer is being freed) */
    cp->warned |= WARN_DELIVERY_IN_PASS;
    st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: MM2 record to %s on %s failed: %s",
            cp->flow->name, d->topic ? d->topic : "?", cp->flow->target->name, d->errstr);
}

/* Makes the checkpointer's producer on first use (a failure is warned about
 * once and retried next pass). */
static kc_producer *mm2_producer(pass *ps)
{
    checkpointer *cp = ps->cp;
    if (cp->mm2_producer)
        return cp->mm2_producer;
    char why[512], block[32];
    kc_config *conf = cluster_config_new(cp->flow->target, "checkpoints", cp->log, why,
                                         sizeof(why));
    snprintf(block, sizeof(block), "%d", wait_bound_ms(ps));
    const char *settings[][2] = {
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"max.block.ms", block}, /* a full buffer never stalls a pass for long */
    };
    for (size_t i = 0; conf && i < sizeof(settings) / sizeof(settings[0]); i++) {
        if (kc_config_set(conf, settings[i][0], settings[i][1], why, sizeof(why)) != KC_OK) {
            kc_config_free(conf);
            conf = NULL;
        }
    }
    if (conf) {
        kc_config_set_delivery_cb(conf, on_mm2_delivery, cp);
        cp->mm2_producer = kc_producer_new(conf, NULL, why, sizeof(why));
        kc_config_free(conf);
    }
    if (!cp->mm2_producer)
        warn_once(cp, WARN_PRODUCER, "flow %s: no producer for MM2 records: %s", why);
    return cp->mm2_producer;
}

/* Makes sure both MM2 topics exist on the target (compacted, 1 partition,
 * as MM2 creates them). false when they cannot be written now. */
static bool mm2_topics_ready(pass *ps, const char *checkpoints_topic)
{
    checkpointer *cp = ps->cp;
    const char *names[2] = {MM2_HEARTBEATS_TOPIC, checkpoints_topic};
    kc_topic_desc *descs = NULL;
    size_t count = 0;
    kc_err err = kc_admin_describe_topics(ps->target, names, 2, ps->timeout_ms, &ps->arena, &descs,
                                          &count);
    if (err && err != KAFKA_UNKNOWN_TOPIC_OR_PARTITION) {
        ps->target_down = unreachable(err);
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: looking up the MM2 topics: %s",
                cp->flow->name, kc_client_last_error(ps->target));
        return false;
    }
    static const kc_config_pair compact[] = {{"cleanup.policy", "compact"}};
    kc_new_topic missing[2];
    size_t n = 0;
    for (size_t i = 0; i < count && i < 2; i++) {
        if (descs[i].err == KAFKA_UNKNOWN_TOPIC_OR_PARTITION)
            missing[n++] = (kc_new_topic){names[i], 1, cp->flow->replication_factor, compact, 1};
    }
    if (n == 0)
        return count == 2;
    kc_admin_result *results = NULL;
    err = kc_admin_create_topics(ps->target, missing, n, false, ps->timeout_ms, &ps->arena,
                                 &results);
    if (err == KC_ERR_UNSUPPORTED) {
        warn_once(cp, WARN_CREATE_TOPICS,
                  "flow %s: target cluster %s does not support CreateTopics: MM2 heartbeats and "
                  "checkpoints are not written (create the topics by hand to get them)",
                  cp->flow->target->name);
        return false;
    }
    for (size_t i = 0; results && i < n; i++) {
        if (results[i].err && results[i].err != KAFKA_TOPIC_ALREADY_EXISTS) {
            if (unreachable(results[i].err))
                ps->target_down = true;
            st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: creating %s on %s: %s",
                    cp->flow->name, results[i].name, cp->flow->target->name,
                    results[i].message);
            return false;
        }
    }
    if (!results)
        return false;
    for (size_t i = 0; i < n; i++)
        st_logf(cp->log, ST_LOG_INFO, LOG_COMPONENT, "flow %s: created %s on %s (compacted)",
                cp->flow->name, missing[i].name, cp->flow->target->name);
    return true;
}

/* Queues one record; key and value are malloc'd by the encoders and freed
 * here (kc_produce copies). false when it could not be queued. */
static bool produce_owned(pass *ps, const char *topic, uint8_t *key, size_t key_len,
                          uint8_t *value, size_t value_len)
{
    kc_record rec = {
        .topic = topic,
        .partition = KC_PARTITION_ANY, /* keyed: Java's partitioner, as MM2 */
        .key = key,
        .key_len = key_len,
        .value = value,
        .value_len = value_len,
        .timestamp = KC_TIMESTAMP_NOW,
    };
    kc_producer *p = ps->cp->mm2_producer;
    kc_err err = kc_produce(p, &rec, NULL);
    free(key);
    free(value);
    if (err)
        st_logf(ps->cp->log, ST_LOG_WARN, LOG_COMPONENT,
                "flow %s: MM2 record to %s not queued: %s", ps->cp->flow->name, topic,
                kc_client_last_error(kc_producer_client(p)));
    return err == KC_OK;
}

static bool produce_heartbeat(pass *ps)
{
    const mirror_flow *flow = ps->cp->flow;
    uint8_t *key = NULL, *value = NULL;
    size_t key_len = 0, value_len = 0;
    char why[256];
    if (mm2_heartbeat_key_encode(flow->source->name, flow->target->name, &key, &key_len, why,
                                 sizeof(why)) ||
        mm2_heartbeat_value_encode(ps->now_ms, &value, &value_len, why, sizeof(why))) {
        free(key);
        st_logf(ps->cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: %s", flow->name, why);
        return true; /* nothing to retry: go on with the checkpoints */
    }
    return produce_owned(ps, MM2_HEARTBEATS_TOPIC, key, key_len, value, value_len);
}

static bool produce_checkpoint(pass *ps, const char *topic, const char *group,
                               const group_entry *e)
{
    uint8_t *key = NULL, *value = NULL;
    size_t key_len = 0, value_len = 0;
    char why[256];
    if (mm2_checkpoint_key_encode(group, e->target_topic, e->partition, &key, &key_len, why,
                                  sizeof(why)) ||
        mm2_checkpoint_value_encode(e->source_offset, e->target_offset, e->metadata, &value,
                                    &value_len, why, sizeof(why))) {
        free(key);
        st_logf(ps->cp->log, ST_LOG_WARN, LOG_COMPONENT, "flow %s: group %s: %s",
                ps->cp->flow->name, group, why);
        return true;
    }
    return produce_owned(ps, topic, key, key_len, value, value_len);
}

static void emit_mm2_records(pass *ps)
{
    checkpointer *cp = ps->cp;
    char topic[512];
    if (ps->target_down || !mm2_checkpoints_topic(cp->flow->source->name, topic, sizeof(topic)))
        return;
    kc_producer *p = mm2_producer(ps);
    if (!p)
        return;
    if (kc_producer_outstanding(p) > 0 && kc_producer_flush(p, wait_bound_ms(ps)) != KC_OK) {
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT,
                "flow %s: MM2 records of the last pass are still undelivered to %s: none "
                "added this pass",
                cp->flow->name, cp->flow->target->name);
        return;
    }
    if (!mm2_topics_ready(ps, topic))
        return;
    bool queued = produce_heartbeat(ps);
    for (size_t i = 0; queued && i < ps->group_count; i++) {
        const group_checkpoint *g = &ps->groups[i];
        for (size_t j = 0; queued && j < g->count; j++)
            queued = produce_checkpoint(ps, topic, g->group, &g->entries[j]);
    }
    if (kc_producer_flush(p, wait_bound_ms(ps)) != KC_OK)
        st_logf(cp->log, ST_LOG_WARN, LOG_COMPONENT,
                "flow %s: MM2 records not all delivered to %s within %d ms (%zu left)",
                cp->flow->name, cp->flow->target->name, wait_bound_ms(ps),
                kc_producer_outstanding(p));
}

/* ======================================================================
 * The pass
 * ====================================================================== */

void checkpointer_init(checkpointer *cp, const mirror_config *config, const mirror_flow *flow,
                       const st_logger *log)
{
    memset(cp, 0, sizeof(*cp));
    cp->config = config;
    cp->flow = flow;
    cp->log = log;
}

void checkpointer_free(checkpointer *cp)
{
    if (cp->mm2_producer)
        kc_producer_free(cp->mm2_producer);
    cp->mm2_producer = NULL;
}

kc_err checkpointer_run(checkpointer *cp, kc_client *source, kc_client *target,
                        offset_store *store, const topic_sync *topics, int timeout_ms)
{
    pass ps = {
        .cp = cp,
        .source = source,
        .target = target,
        .store = store,
        .topics = topics,
        .timeout_ms = timeout_ms,
        .now_ms = wall_ms(),
    };
    st_arena_init(&ps.arena);
    cp->warned &= ~(unsigned)WARN_DELIVERY_IN_PASS;
    const char **groups = NULL;
    size_t group_count = 0;
    kc_err err = KC_OK;
    if (topics->topic_count > 0) /* else no group has anything to translate */
        err = candidate_groups(&ps, &groups, &group_count);
    if (!err) {
        ps.groups = st_arena_calloc(&ps.arena, group_count + 1, sizeof(*ps.groups));
        if (!ps.groups)
            err = KC_ERR_NOMEM;
    }
    for (size_t i = 0; !err && i < group_count; i++)
        err = checkpoint_group(&ps, groups[i]);
    if (err == KC_ERR_UNSUPPORTED)
        err = KC_OK; /* no OffsetFetch on the source (warned): still the heartbeat */
    if (!err) {
        sync_groups(&ps);
        emit_mm2_records(&ps);
    }
    st_arena_free(&ps.arena);
    return err;
}
