/* client_assignor_sticky.c — the "cooperative-sticky" assignor (Java's
 * CooperativeStickyAssignor, for the cooperative rebalance protocol).
 *
 * 1. Claims: each member's owned partitions that still exist and that it
 *    still subscribes to. Claims of members from an older generation than
 *    the newest one reported are ignored, a higher generation wins a
 *    partition claimed twice, and a partition claimed twice in the same
 *    generation is treated as unowned (as Java does).
 * 2. Quotas: when every member has the same subscription, a member keeps at
 *    most floor(P/N) claims, or ceil(P/N) while fewer than P%N members have
 *    that many — so the result is perfectly balanced.
 * 3. Every unclaimed partition (sorted by topic, partition) goes to the
 *    eligible member with the fewest partitions (ties: member order).
 * 4. Balancing: while a member has two partitions more than another member
 *    that could take one of them, one moves (newly placed ones first).
 * 5. Cooperative adjustment: a partition whose new owner differs from its
 *    valid previous owner is left out of this round entirely: the previous
 *    owner sees it missing and revokes it, rejoins, and the next round gives
 *    it to its new owner. So only the partitions that move are revoked.
 *
 * Pure; memory from the caller's arena. */
#include "common/client_assignor.h"

#include <string.h>

typedef struct sticky {
    const kc_asg_member *members;
    size_t n;                  /* members */
    const size_t *order;       /* member order */
    size_t *rank;              /* rank[member] = its position in order */
    kc_asg_topic *topics;      /* sorted */
    size_t topic_count;
    size_t *base;              /* first global partition index of each topic */
    size_t total;              /* partitions */
    bool *eligible;            /* eligible[m * topic_count + t] */
    long *prev;                /* valid previous owner of each partition, -1 */
    long *owner;               /* new owner, -1 */
    size_t *count;             /* partitions per member */
} sticky;

static bool eligible(const sticky *s, size_t m, size_t t)
{
    return s->eligible[m * s->topic_count + t];
}

/* The topic index of global partition p. */
static size_t topic_of(const sticky *s, size_t p)
{
    size_t lo = 0, hi = s->topic_count;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->base[mid] <= p)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static st_err setup(sticky *s, const kc_asg_member *members, size_t n, const kc_asg_topic *topics,
                    size_t topic_count, st_arena *arena)
{
    memset(s, 0, sizeof(*s));
    s->members = members;
    s->n = n;
    s->topics = kc_asg_sorted_topics(topics, topic_count, arena, &s->topic_count);
    s->order = kc_asg_member_order(members, n, arena);
    if (!s->topics || !s->order)
        return ST_ERR_NOMEM;
    s->base = st_arena_calloc(arena, s->topic_count + 1, sizeof(size_t));
    s->rank = st_arena_calloc(arena, n + 1, sizeof(size_t));
    s->eligible = st_arena_calloc(arena, n * s->topic_count + 1, sizeof(bool));
    s->count = st_arena_calloc(arena, n + 1, sizeof(size_t));
    if (!s->base || !s->rank || !s->eligible || !s->count)
        return ST_ERR_NOMEM;
    for (size_t t = 0; t < s->topic_count; t++) {
        s->base[t] = s->total;
        s->total += (size_t)s->topics[t].partition_count;
    }
    for (size_t k = 0; k < n; k++)
        s->rank[s->order[k]] = k;
    for (size_t m = 0; m < n; m++)
        for (size_t i = 0; i < members[m].topic_count; i++) {
            long t = kc_asg_topic_index(s->topics, s->topic_count, members[m].topics[i]);
            if (t >= 0)
                s->eligible[m * s->topic_count + (size_t)t] = true;
        }
    s->prev = st_arena_calloc(arena, s->total + 1, sizeof(long));
    s->owner = st_arena_calloc(arena, s->total + 1, sizeof(long));
    if (!s->prev || !s->owner)
        return ST_ERR_NOMEM;
    for (size_t p = 0; p < s->total; p++)
        s->prev[p] = s->owner[p] = -1;
    return ST_OK;
}

/* Whether member m's claim on p beats the current one (higher generation),
 * ties (equal generations) are conflicts. */
static void claim(sticky *s, size_t m, size_t p, bool *conflict)
{
    if (s->prev[p] < 0) {
        s->prev[p] = (long)m;
        return;
    }
    if (s->prev[p] == (long)m)
        return;
    int32_t mine = s->members[m].generation, theirs = s->members[s->prev[p]].generation;
    if (mine > theirs) {
        s->prev[p] = (long)m;
        conflict[p] = false;
    } else if (mine == theirs) {
        conflict[p] = true;
    }
}

/* Step 1: valid claims into prev[]. A member that reports no generation
 * (an old subscription version) keeps its claims unless a member with a
 * known generation claims the same partition. */
static st_err claims(sticky *s, st_arena *arena)
{
    int32_t max_gen = -1;
    for (size_t m = 0; m < s->n; m++)
        if (s->members[m].owned_count && s->members[m].generation > max_gen)
            max_gen = s->members[m].generation;
    bool *conflict = st_arena_calloc(arena, s->total + 1, sizeof(bool));
    if (!conflict)
        return ST_ERR_NOMEM;
    for (size_t k = 0; k < s->n; k++) {
        size_t m = s->order[k];
        const kc_asg_member *mb = &s->members[m];
        if (mb->generation >= 0 && mb->generation < max_gen)
            continue; /* from an older generation: its claims are stale */
        for (size_t i = 0; i < mb->owned_count; i++) {
            long t = kc_asg_topic_index(s->topics, s->topic_count, mb->owned[i].topic);
            if (t < 0 || mb->owned[i].partition < 0 ||
                mb->owned[i].partition >= s->topics[t].partition_count ||
                !eligible(s, m, (size_t)t))
                continue;
            claim(s, m, s->base[t] + (size_t)mb->owned[i].partition, conflict);
        }
    }
    for (size_t p = 0; p < s->total; p++)
        if (conflict[p])
            s->prev[p] = -1;
    return ST_OK;
}

static bool same_subscriptions(const sticky *s)
{
    for (size_t m = 1; m < s->n; m++)
        if (memcmp(&s->eligible[m * s->topic_count], s->eligible, s->topic_count) != 0)
            return false;
    return true;
}

/* Step 2: keep claims, within the quotas when subscriptions are equal. */
static void keep_claims(sticky *s)
{
    bool quotas = same_subscriptions(s);
    size_t members = s->n ? s->n : 1;
    size_t min_quota = s->total / members;
    size_t max_slots = s->total % members; /* members that may hold min + 1 */
    size_t over = 0;
    for (size_t k = 0; k < s->n; k++) {
        size_t m = s->order[k];
        size_t claimed = 0;
        for (size_t p = 0; p < s->total; p++)
            claimed += s->prev[p] == (long)m;
        size_t keep = claimed;
        if (quotas && claimed > min_quota) {
            keep = min_quota;
            if (max_slots && over < max_slots) {
                keep = min_quota + 1;
                over++;
            }
        }
        for (size_t p = 0; p < s->total && s->count[m] < keep; p++) {
            if (s->prev[p] == (long)m) {
                s->owner[p] = (long)m;
                s->count[m]++;
            }
        }
    }
}

/* The eligible member with the fewest partitions (ties: member order), or -1. */
static long least_loaded(const sticky *s, size_t t)
{
    long best = -1;
    for (size_t k = 0; k < s->n; k++) {
        size_t m = s->order[k];
        if (eligible(s, m, t) && (best < 0 || s->count[m] < s->count[best]))
            best = (long)m;
    }
    return best;
}

/* Step 3. */
static void place_unowned(sticky *s)
{
    for (size_t p = 0; p < s->total; p++) {
        if (s->owner[p] >= 0)
            continue;
        long m = least_loaded(s, topic_of(s, p));
        if (m >= 0) {
            s->owner[p] = m;
            s->count[m]++;
        }
    }
}

/* One pass of step 4 over partitions that are (sticky) or are not
 * (!sticky) kept from their previous owner; true when something moved. */
static bool balance_pass(sticky *s, bool sticky_ones)
{
    bool moved = false;
    for (size_t q = s->total; q-- > 0;) {
        long a = s->owner[q];
        if (a < 0 || (s->prev[q] == a) != sticky_ones)
            continue;
        long b = least_loaded(s, topic_of(s, q));
        if (b >= 0 && b != a && s->count[a] > s->count[b] + 1) {
            s->owner[q] = b;
            s->count[a]--;
            s->count[b]++;
            moved = true;
        }
    }
    return moved;
}

/* Step 4. Each move lowers the sum of squared counts, so this ends; the
 * bound is a guard. */
static void balance(sticky *s)
{
    for (size_t round = 0; round <= s->total; round++) {
        if (balance_pass(s, false))
            continue;
        if (!balance_pass(s, true))
            break;
    }
}

/* Step 5 and the results. */
static st_err results(sticky *s, kc_asg_result *out, st_arena *arena)
{
    for (size_t m = 0; m < s->n; m++) {
        out[m].count = 0;
        out[m].parts = st_arena_calloc(arena, s->count[m] + 1, sizeof(kc_asg_tp));
        if (!out[m].parts)
            return ST_ERR_NOMEM;
    }
    for (size_t p = 0; p < s->total; p++) {
        long m = s->owner[p];
        if (m < 0 || (s->prev[p] >= 0 && s->prev[p] != m))
            continue; /* unassigned, or changing owner: revoked first */
        size_t t = topic_of(s, p);
        out[m].parts[out[m].count++] =
            (kc_asg_tp){s->topics[t].name, (int32_t)(p - s->base[t])};
    }
    return ST_OK;
}

st_err kc_assign_cooperative_sticky(const kc_asg_member *members, size_t member_count,
                                    const kc_asg_topic *topics, size_t topic_count,
                                    kc_asg_result *out, st_arena *arena)
{
    sticky s;
    st_err err = setup(&s, members, member_count, topics, topic_count, arena);
    if (!err)
        err = claims(&s, arena);
    if (err)
        return err;
    keep_claims(&s);
    place_unowned(&s);
    balance(&s);
    err = results(&s, out, arena);
    if (!err)
        kc_asg_sort_results(out, member_count);
    return err;
}
