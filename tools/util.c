/* util.c — small helpers the tools share (see tool.h): topic include
 * lists, topic ids as Kafka prints them, Kafka's error messages, date and
 * duration parsing, string lists.
 *
 * Owns only conversions; nothing here talks to a broker or prints. */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/tool.h"

/* ---- include lists ------------------------------------------------------------------ */

struct tool_include {
    regex_t re;
};

/* Java's regex shorthands that POSIX lacks, and Kafka's IncludeList
 * cleanup (commas mean "or"; spaces and surrounding quotes dropped). */
static char *to_posix(const char *pattern)
{
    size_t n = strlen(pattern);
    char *out = malloc(n * 12 + 8);
    if (!out)
        return NULL;
    char *o = out;
    o += sprintf(o, "^(");
    while (*pattern == '"' || *pattern == '\'')
        pattern++;
    size_t len = strlen(pattern);
    while (len && (pattern[len - 1] == '"' || pattern[len - 1] == '\''))
        len--;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        if (c == ' ')
            continue;
        if (c == ',') {
            *o++ = '|';
        } else if (c == '\\' && i + 1 < len && strchr("dDwWsS", pattern[i + 1])) {
            const char *rep = NULL;
            switch (pattern[++i]) {
            case 'd': rep = "[0-9]"; break;
            case 'D': rep = "[^0-9]"; break;
            case 'w': rep = "[A-Za-z0-9_]"; break;
            case 'W': rep = "[^A-Za-z0-9_]"; break;
            case 's': rep = "[[:space:]]"; break;
            default: rep = "[^[:space:]]"; break;
            }
            o += sprintf(o, "%s", rep);
        } else {
            *o++ = c;
        }
    }
    sprintf(o, ")$");
    return out;
}

char *tool_include_posix(const char *pattern)
{
    return to_posix(pattern);
}

tool_include *tool_include_new(const char *pattern, char *err, size_t errlen)
{
    tool_include *inc = calloc(1, sizeof(*inc));
    char *posix = to_posix(pattern);
    if (!inc || !posix) {
        free(inc);
        free(posix);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int rc = regcomp(&inc->re, posix, REG_EXTENDED | REG_NOSUB);
    free(posix);
    if (rc) {
        char why[128];
        regerror(rc, &inc->re, why, sizeof(why));
        snprintf(err, errlen, "Invalid regular expression '%s': %s", pattern, why);
        free(inc);
        return NULL;
    }
    return inc;
}

bool tool_include_match(const tool_include *inc, const char *topic)
{
    return regexec(&inc->re, topic, 0, NULL, 0) == 0;
}

void tool_include_free(tool_include *inc)
{
    if (!inc)
        return;
    regfree(&inc->re);
    free(inc);
}

bool tool_topic_is_internal(const char *topic)
{
    return strcmp(topic, "__consumer_offsets") == 0 || strcmp(topic, "__transaction_state") == 0;
}

/* ---- topic ids -------------------------------------------------------------------------- */

const char *tool_uuid_str(st_uuid id, char *buf)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)id.b[i] << 16;
        if (i + 1 < 16)
            v |= (uint32_t)id.b[i + 1] << 8;
        if (i + 2 < 16)
            v |= id.b[i + 2];
        buf[o++] = b64[(v >> 18) & 63];
        buf[o++] = b64[(v >> 12) & 63];
        if (i + 1 < 16)
            buf[o++] = b64[(v >> 6) & 63];
        if (i + 2 < 16)
            buf[o++] = b64[v & 63];
    }
    buf[o] = '\0';
    return buf;
}

bool tool_uuid_is_zero(st_uuid id)
{
    for (size_t i = 0; i < 16; i++)
        if (id.b[i])
            return false;
    return true;
}

/* ---- Kafka's error texts ---------------------------------------------------------------- */

typedef struct error_text {
    kc_err err;
    const char *exception;
    const char *message;
} error_text;

static const error_text error_texts[] = {
    {KAFKA_UNKNOWN_SERVER_ERROR, "UnknownServerException",
     "The server experienced an unexpected error when processing the request."},
    {KAFKA_OFFSET_OUT_OF_RANGE, "OffsetOutOfRangeException",
     "The requested offset is not within the range of offsets maintained by the server."},
    {KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "UnknownTopicOrPartitionException",
     "This server does not host this topic-partition."},
    {KAFKA_LEADER_NOT_AVAILABLE, "LeaderNotAvailableException",
     "There is no leader for this topic-partition as we are in the middle of a leadership "
     "election."},
    {KAFKA_NOT_LEADER_OR_FOLLOWER, "NotLeaderOrFollowerException",
     "For requests intended only for the leader, this error indicates that the broker is not "
     "the current leader."},
    {KAFKA_REQUEST_TIMED_OUT, "TimeoutException", "The request timed out."},
    {KAFKA_COORDINATOR_NOT_AVAILABLE, "CoordinatorNotAvailableException",
     "The coordinator is not available."},
    {KAFKA_NOT_COORDINATOR, "NotCoordinatorException", "This is not the correct coordinator."},
    {KAFKA_INVALID_TOPIC_EXCEPTION, "InvalidTopicException",
     "The request attempted to perform an operation on an invalid topic."},
    {KAFKA_ILLEGAL_GENERATION, "IllegalGenerationException",
     "Specified group generation id is not valid."},
    {KAFKA_INVALID_GROUP_ID, "InvalidGroupIdException", "The configured groupId is invalid."},
    {KAFKA_UNKNOWN_MEMBER_ID, "UnknownMemberIdException",
     "The coordinator is not aware of this member."},
    {KAFKA_REBALANCE_IN_PROGRESS, "RebalanceInProgressException",
     "The group is rebalancing, so a rejoin is needed."},
    {KAFKA_TOPIC_AUTHORIZATION_FAILED, "TopicAuthorizationException",
     "Topic authorization failed."},
    {KAFKA_GROUP_AUTHORIZATION_FAILED, "GroupAuthorizationException",
     "Group authorization failed."},
    {KAFKA_UNSUPPORTED_VERSION, "UnsupportedVersionException",
     "The version of API is not supported."},
    {KAFKA_TOPIC_ALREADY_EXISTS, "TopicExistsException", "Topic with this name already exists."},
    {KAFKA_INVALID_PARTITIONS, "InvalidPartitionsException", "Number of partitions is below 1."},
    {KAFKA_INVALID_REPLICATION_FACTOR, "InvalidReplicationFactorException",
     "Replication factor is below 1 or larger than the number of available brokers."},
    {KAFKA_INVALID_CONFIG, "InvalidConfigurationException", "Configuration is invalid."},
    {KAFKA_NOT_CONTROLLER, "NotControllerException",
     "This is not the correct controller for this cluster."},
    {KAFKA_INVALID_REQUEST, "InvalidRequestException",
     "This most likely occurs because of a request being malformed by the client library or "
     "the message was sent to an incompatible broker. See the broker logs for more details."},
    {KAFKA_POLICY_VIOLATION, "PolicyViolationException",
     "Request parameters do not satisfy the configured policy."},
    {KAFKA_NON_EMPTY_GROUP, "GroupNotEmptyException", "The group is not empty."},
    {KAFKA_GROUP_ID_NOT_FOUND, "GroupIdNotFoundException", "The group id does not exist."},
    {KAFKA_GROUP_SUBSCRIBED_TO_TOPIC, "GroupSubscribedToTopicException",
     "The consumer group is actively subscribed to the topic"},
    {KC_ERR_TIMED_OUT, "TimeoutException", "Timed out waiting for the cluster."},
    {KC_ERR_TRANSPORT, "NetworkException", "The connection to the broker failed."},
    {KC_ERR_UNSUPPORTED, "UnsupportedVersionException",
     "The broker does not support this request."},
};

static const error_text *find_error(kc_err err)
{
    for (size_t i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
        if (error_texts[i].err == err)
            return &error_texts[i];
    return NULL;
}

const char *tool_error_message(kc_err err)
{
    const error_text *t = find_error(err);
    return t ? t->message : kc_err_name(err);
}

const char *tool_error_exception(kc_err err)
{
    const error_text *t = find_error(err);
    return t ? t->exception : NULL;
}

/* ---- time ---------------------------------------------------------------------------------- */

int64_t tool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "+hh:mm", "+hhmm", "+hh" or "Z" → seconds east of UTC; false when malformed. */
static bool parse_zone(const char *z, long *offset)
{
    if (strcmp(z, "Z") == 0) {
        *offset = 0;
        return true;
    }
    int hh = 0, mm = 0;
    char sign = z[0];
    if (sign != '+' && sign != '-')
        return false;
    if (!(sscanf(z + 1, "%2d:%2d", &hh, &mm) == 2 || sscanf(z + 1, "%2d%2d", &hh, &mm) == 2 ||
          (strlen(z + 1) == 2 && sscanf(z + 1, "%2d", &hh) == 1)))
        return false;
    *offset = (hh * 3600L + mm * 60L) * (sign == '-' ? -1 : 1);
    return true;
}

int64_t tool_parse_datetime(const char *s)
{
    struct tm tm = {0};
    int ms = 0, consumed = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
        return -1;
    const char *rest = s + consumed;
    if (*rest == '.') {
        int digits = 0;
        rest++;
        while (isdigit((unsigned char)*rest) && digits < 3) {
            ms = ms * 10 + (*rest++ - '0');
            digits++;
        }
        if (digits != 3)
            return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t;
    if (*rest) {
        long offset;
        if (!parse_zone(rest, &offset))
            return -1;
        t = timegm(&tm) - offset;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    if (t == (time_t)-1)
        return -1;
    return (int64_t)t * 1000 + ms;
}

/* One "<number><unit>" of a duration; *p advances. */
static bool duration_part(const char **p, char unit, double *value, bool *found)
{
    char *end = NULL;
    double v = strtod(*p, &end);
    if (end == *p || toupper((unsigned char)*end) != unit)
        return true; /* absent: not an error */
    *value = v;
    *found = true;
    *p = end + 1;
    return true;
}

bool tool_parse_duration(const char *s, int64_t *ms)
{
    int sign = 1;
    if (*s == '-' || *s == '+')
        sign = *s++ == '-' ? -1 : 1;
    if (toupper((unsigned char)*s) != 'P')
        return false;
    s++;
    double days = 0, hours = 0, minutes = 0, seconds = 0;
    bool found = false;
    duration_part(&s, 'D', &days, &found);
    if (toupper((unsigned char)*s) == 'T') {
        s++;
        bool in_time = false;
        duration_part(&s, 'H', &hours, &in_time);
        duration_part(&s, 'M', &minutes, &in_time);
        duration_part(&s, 'S', &seconds, &in_time);
        if (!in_time)
            return false;
        found = true;
    }
    if (*s || !found)
        return false;
    double total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
    *ms = (int64_t)(total * 1000.0) * sign;
    return true;
}

/* ---- strings ---------------------------------------------------------------------------------- */

char *tool_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

char **tool_split(const char *s, char sep, size_t *count)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == sep;
    char **v = calloc(n + 1, sizeof(*v));
    *count = 0;
    if (!v)
        return NULL;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p != sep && *p)
            continue;
        v[(*count)++] = strndup(start, (size_t)(p - start));
        if (!*p)
            break;
        start = p + 1;
    }
    return v;
}

void tool_free_strings(char **v, size_t count)
{
    for (size_t i = 0; v && i < count; i++)
        free(v[i]);
    free(v);
}

bool tool_strings_add(tool_strings *l, const char *s)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **grown = realloc(l->v, cap * sizeof(*grown));
        if (!grown)
            return false;
        l->v = grown;
        l->cap = cap;
    }
    char *copy = strdup(s);
    if (!copy)
        return false;
    l->v[l->count++] = copy;
    return true;
}

void tool_strings_free(tool_strings *l)
{
    tool_free_strings(l->v, l->count);
    memset(l, 0, sizeof(*l));
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void tool_strings_sort(tool_strings *l)
{
    if (l->count > 1)
        qsort(l->v, l->count, sizeof(*l->v), compare_strings);
}
