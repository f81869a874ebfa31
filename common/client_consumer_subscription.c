/* client_consumer_subscription.c — what a subscribed consumer wants: topic
 * names, and regular expressions (names starting with '^', POSIX extended,
 * matched against every topic in the metadata cache), and the sorted list
 * of topics they match now (see client_consumer.h).
 *
 * Owns the strings and compiled regexes. Re-evaluated on every metadata
 * refresh; a literal name is subscribed even before it exists (as Java
 * does: the assignor skips topics without metadata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/client_consumer.h"

void kc_sub_init(kc_subscription *s)
{
    memset(s, 0, sizeof(*s));
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void kc_sub_free(kc_subscription *s)
{
    free_strings(s->names, s->name_count);
    free_strings(s->patterns, s->regex_count);
    for (size_t i = 0; i < s->regex_count; i++)
        regfree(&s->regexes[i]);
    free(s->regexes);
    free_strings(s->matched, s->matched_count);
    kc_sub_init(s);
}

kc_err kc_sub_set(kc_subscription *s, const char *const *topics, size_t n, char *errstr,
                  size_t errlen)
{
    kc_subscription next;
    kc_sub_init(&next);
    next.names = calloc(n ? n : 1, sizeof(char *));
    next.patterns = calloc(n ? n : 1, sizeof(char *));
    next.regexes = calloc(n ? n : 1, sizeof(regex_t));
    if (!next.names || !next.patterns || !next.regexes)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (!topics[i] || !*topics[i]) {
            kc_sub_free(&next);
            snprintf(errstr, errlen, "an empty topic name in the subscription");
            return KC_ERR_INVALID_ARG;
        }
        if (topics[i][0] != '^') {
            if (!(next.names[next.name_count] = strdup(topics[i])))
                goto nomem;
            next.name_count++;
            continue;
        }
        int rc = regcomp(&next.regexes[next.regex_count], topics[i], REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char why[128];
            regerror(rc, &next.regexes[next.regex_count], why, sizeof(why));
            kc_sub_free(&next);
            snprintf(errstr, errlen, "subscription pattern '%s': %s", topics[i], why);
            return KC_ERR_INVALID_ARG;
        }
        if (!(next.patterns[next.regex_count] = strdup(topics[i]))) {
            regfree(&next.regexes[next.regex_count]);
            goto nomem;
        }
        next.regex_count++;
    }
    kc_sub_free(s);
    *s = next;
    return KC_OK;
nomem:
    kc_sub_free(&next);
    snprintf(errstr, errlen, "out of memory");
    return KC_ERR_NOMEM;
}

bool kc_sub_has_regex(const kc_subscription *s)
{
    return s->regex_count > 0;
}

static bool regex_match(const kc_subscription *s, const char *topic)
{
    for (size_t i = 0; i < s->regex_count; i++)
        if (regexec(&s->regexes[i], topic, 0, NULL, 0) == 0)
            return true;
    return false;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names plus the regex matches among the cached topics, sorted and
 * unique; NULL when out of memory. */
static char **compute(const kc_subscription *s, kc_client *client, bool exclude_internal,
                      size_t *n)
{
    size_t cap = s->name_count + (s->regex_count ? client->md.topics.count : 0) + 1;
    char **out = calloc(cap, sizeof(char *));
    if (!out)
        return NULL;
    *n = 0;
    for (size_t i = 0; i < s->name_count; i++)
        out[(*n)++] = s->names[i];
    const char *key;
    void *value;
    for (size_t i = 0; s->regex_count && strmap_next(&client->md.topics, &i, &key, &value);) {
        const kc_md_topic *t = value;
        if (!t->fetched_ms || t->info.error || t->info.partition_count <= 0)
            continue;
        if ((exclude_internal && t->info.internal) || !regex_match(s, t->name))
            continue;
        out[(*n)++] = t->name;
    }
    qsort(out, *n, sizeof(char *), str_cmp);
    size_t unique = 0;
    for (size_t i = 0; i < *n; i++)
        if (!unique || strcmp(out[unique - 1], out[i]))
            out[unique++] = out[i];
    *n = unique;
    for (size_t i = 0; i < *n; i++) {
        if (!(out[i] = strdup(out[i]))) {
            free_strings(out, i);
            return NULL;
        }
    }
    return out;
}

bool kc_sub_update(kc_subscription *s, kc_client *client, bool exclude_internal)
{
    size_t n = 0;
    char **next = compute(s, client, exclude_internal, &n);
    if (!next)
        return false;
    bool changed = n != s->matched_count;
    for (size_t i = 0; !changed && i < n; i++)
        changed = strcmp(next[i], s->matched[i]) != 0;
    if (!changed && s->matched) {
        free_strings(next, n);
        return false;
    }
    free_strings(s->matched, s->matched_count);
    s->matched = next;
    s->matched_count = n;
    return changed;
}

bool kc_sub_contains(const kc_subscription *s, const char *topic)
{
    size_t lo = 0, hi = s->matched_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->matched[mid], topic);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}
