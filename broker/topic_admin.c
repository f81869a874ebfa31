/* topic_admin.c — topic creation, deletion and growth (see topic_admin.h). */
#include "broker/topic_admin.h"

#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "common/kafka_error.h"

/* Kafka's controller refuses to create more partitions than this in one
 * request (POLICY_VIOLATION), which also bounds what one request can cost. */
enum { MAX_PARTITIONS_PER_REQUEST = 10000 };

partition *broker_find_partition(broker *b, st_slice topic_name, int32_t index)
{
    topic *t = topic_registry_find(&b->topics, topic_name);
    if (!t || index < 0 || index >= t->partition_count)
        return NULL;
    return t->partitions[index];
}

/* The log directory holding the fewest partitions. */
static const char *pick_log_dir(broker *b)
{
    size_t best = 0, best_count = SIZE_MAX;
    for (size_t d = 0; d < b->cfg.n_log_dirs; d++) {
        size_t count = 0, pos = 0, dirlen = strlen(b->cfg.log_dirs[d]);
        const char *key;
        void *value;
        while (strmap_next(&b->topics.by_name, &pos, &key, &value)) {
            topic *t = value;
            for (int32_t i = 0; i < t->partition_count; i++)
                if (t->partitions[i] &&
                    strncmp(t->partitions[i]->dir, b->cfg.log_dirs[d], dirlen) == 0)
                    count++;
        }
        if (count < best_count) {
            best = d;
            best_count = count;
        }
    }
    return b->cfg.log_dirs[best];
}

/* Kafka refuses a name that equals an existing one once '.' and '_' are
 * treated alike (their metric names would collide). */
static topic *colliding_topic(broker *b, st_slice name)
{
    size_t pos = 0;
    const char *key;
    void *value;
    while (strmap_next(&b->topics.by_name, &pos, &key, &value)) {
        if ((int32_t)strlen(key) != name.len)
            continue;
        bool same = true;
        for (int32_t i = 0; i < name.len && same; i++) {
            char a = key[i] == '.' ? '_' : key[i];
            char c = name.ptr[i] == '.' ? '_' : (char)name.ptr[i];
            same = a == c;
        }
        if (same)
            return value;
    }
    return NULL;
}

static int16_t check_spec(broker *b, const topic_spec *spec, int32_t *partitions, char *msg,
                          size_t msglen)
{
    const char *why;
    if (!topic_name_valid(spec->name, &why)) {
        snprintf(msg, msglen, "%s", why);
        return KAFKA_INVALID_TOPIC_EXCEPTION;
    }
    if (topic_registry_find(&b->topics, spec->name)) {
        snprintf(msg, msglen, "Topic '%.*s' already exists.", spec->name.len, spec->name.ptr);
        return KAFKA_TOPIC_ALREADY_EXISTS;
    }
    topic *other = colliding_topic(b, spec->name);
    if (other) {
        snprintf(msg, msglen, "Topic '%.*s' collides with existing topic: %s", spec->name.len,
                 spec->name.ptr, other->name);
        return KAFKA_INVALID_TOPIC_EXCEPTION;
    }
    *partitions = spec->partitions == -1 ? b->cfg.num_partitions : spec->partitions;
    if (*partitions <= 0) {
        snprintf(msg, msglen, "Number of partitions must be larger than 0.");
        return KAFKA_INVALID_PARTITIONS;
    }
    if (*partitions > MAX_PARTITIONS_PER_REQUEST) {
        snprintf(msg, msglen, "Excessively large number of partitions per request.");
        return KAFKA_POLICY_VIOLATION;
    }
    int32_t rf = spec->replication_factor == -1 ? b->cfg.default_replication_factor
                                                : spec->replication_factor;
    if (rf <= 0) {
        snprintf(msg, msglen, "Replication factor must be larger than 0.");
        return KAFKA_INVALID_REPLICATION_FACTOR;
    }
    if (rf > 1) {
        snprintf(msg, msglen,
                 "Unable to replicate the partition %d time(s): The target replication factor "
                 "of %d cannot be reached because only 1 broker(s) are registered.",
                 rf, rf);
        return KAFKA_INVALID_REPLICATION_FACTOR;
    }
    return KAFKA_NONE;
}

static int16_t open_partitions(broker *b, topic *t, int32_t from, char *msg, size_t msglen)
{
    for (int32_t i = from; i < t->partition_count; i++) {
        st_err err = partition_open(pick_log_dir(b), t, i, true, broker_now_ms(b), &b->logger,
                                    &t->partitions[i], msg, msglen);
        if (err)
            return KAFKA_KAFKA_STORAGE_ERROR;
    }
    return KAFKA_NONE;
}

static int16_t persist(broker *b, char *msg, size_t msglen)
{
    if (topic_registry_save(&b->topics) == ST_OK)
        return KAFKA_NONE;
    snprintf(msg, msglen, "cannot write %s", b->topics.state_path);
    st_logf(&b->logger, ST_LOG_ERROR, "topics", "%s", msg);
    return KAFKA_KAFKA_STORAGE_ERROR;
}

static void close_partitions(topic *t, broker *b)
{
    for (int32_t i = 0; i < t->partition_count; i++) {
        if (t->partitions[i])
            partition_delete(t->partitions[i], &b->logger);
        t->partitions[i] = NULL;
    }
}

int16_t topic_admin_create(broker *b, const topic_spec *spec, topic **out, char *msg,
                           size_t msglen)
{
    int32_t partitions;
    int16_t code = check_spec(b, spec, &partitions, msg, msglen);
    if (code || spec->validate_only)
        return code;
    topic *t = topic_new(spec->name, partitions, topic_name_internal(spec->name));
    if (!t)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    if (spec->configs) {
        config_values_free(&t->overrides);
        if (config_values_copy(&t->overrides, spec->configs) != ST_OK) {
            topic_free(t);
            return KAFKA_UNKNOWN_SERVER_ERROR;
        }
    }
    topic_config_resolve(&t->overrides, &b->cfg, &t->config);
    code = open_partitions(b, t, 0, msg, msglen);
    if (!code && topic_registry_add(&b->topics, t) != ST_OK)
        code = KAFKA_UNKNOWN_SERVER_ERROR;
    if (code) {
        close_partitions(t, b);
        topic_free(t);
        return code;
    }
    code = persist(b, msg, msglen);
    st_logf(&b->logger, ST_LOG_INFO, "topics", "created topic %s with %d partition(s)", t->name,
            partitions);
    if (out)
        *out = t;
    return code;
}

int16_t topic_admin_delete(broker *b, topic *t, char *msg, size_t msglen)
{
    if (!b->cfg.delete_topic_enable) {
        snprintf(msg, msglen, "Topic deletion is disabled (delete.topic.enable=false).");
        return KAFKA_TOPIC_DELETION_DISABLED;
    }
    topic_registry_remove(&b->topics, t);
    st_logf(&b->logger, ST_LOG_INFO, "topics", "deleting topic %s", t->name);
    close_partitions(t, b);
    topic_free(t);
    return persist(b, msg, msglen);
}

int16_t topic_admin_add_partitions(broker *b, topic *t, int32_t count, bool validate_only,
                                   char *msg, size_t msglen)
{
    if (count == t->partition_count) {
        snprintf(msg, msglen, "Topic already has %d partition(s).", count);
        return KAFKA_INVALID_PARTITIONS;
    }
    if (count < t->partition_count) {
        snprintf(msg, msglen, "The topic %s currently has %d partition(s); %d would not be an "
                 "increase.", t->name, t->partition_count, count);
        return KAFKA_INVALID_PARTITIONS;
    }
    if (count - t->partition_count > MAX_PARTITIONS_PER_REQUEST) {
        snprintf(msg, msglen, "Excessively large number of partitions per request.");
        return KAFKA_POLICY_VIOLATION;
    }
    if (validate_only)
        return KAFKA_NONE;
    int32_t from = t->partition_count;
    if (topic_grow(t, count) != ST_OK)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    int16_t code = open_partitions(b, t, from, msg, msglen);
    if (code)
        return code;
    st_logf(&b->logger, ST_LOG_INFO, "topics", "topic %s grew from %d to %d partitions", t->name,
            from, count);
    return persist(b, msg, msglen);
}

int16_t topic_admin_configs_changed(broker *b, topic *t, char *msg, size_t msglen)
{
    topic_config_resolve(&t->overrides, &b->cfg, &t->config);
    st_log_config cfg = partition_log_config(&t->config);
    for (int32_t i = 0; i < t->partition_count; i++)
        if (t->partitions[i] && st_log_set_config(t->partitions[i]->log, &cfg) != ST_OK) {
            snprintf(msg, msglen, "cannot apply the configuration to %s",
                     t->partitions[i]->dir);
            return KAFKA_INVALID_CONFIG;
        }
    return persist(b, msg, msglen);
}

int16_t topic_admin_check_replicas(struct broker *b, const int32_t *ids, int32_t n, char *msg,
                                   size_t msglen)
{
    if (n <= 0) {
        snprintf(msg, msglen, "The manual partition assignment includes an empty replica list.");
        return KAFKA_INVALID_REPLICA_ASSIGNMENT;
    }
    /* Kafka walks the sorted list: the first of an unknown broker below
     * this node, this node twice, or any other unknown broker is reported. */
    int32_t self = b->identity.node_id, stranger = INT32_MAX, mine = 0;
    bool any_stranger = false;
    for (int32_t i = 0; i < n; i++) {
        if (ids[i] == self) {
            mine++;
        } else if (!any_stranger || ids[i] < stranger) {
            stranger = ids[i];
            any_stranger = true;
        }
    }
    if (mine > 1 && !(any_stranger && stranger < self)) {
        snprintf(msg, msglen, "The manual partition assignment includes the broker %d more than "
                 "once.", self);
        return KAFKA_INVALID_REPLICA_ASSIGNMENT;
    }
    if (any_stranger) {
        snprintf(msg, msglen, "The manual partition assignment includes broker %d, but no such "
                 "broker is registered.", stranger);
        return KAFKA_INVALID_REPLICA_ASSIGNMENT;
    }
    return KAFKA_NONE;
}
