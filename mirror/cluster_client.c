/* cluster_client.c — Kafka clients for a configured mirror cluster (see
 * cluster_client.h). Never keeps the cluster or logger pointers beyond a
 * call (the kc_config copies what it needs). */
#include "mirror/cluster_client.h"

#include <stdio.h>

/* Applies bootstrap, the cluster's properties and the mirror's fixed
 * settings through set (kc_config_set or kc_consumer_config_set). */
typedef kc_err (*set_fn)(void *conf, const char *name, const char *value, char *errstr,
                         size_t errlen);

static bool apply(void *conf, set_fn set, const mirror_cluster *cluster, const char *role,
                  char *errbuf, size_t errlen)
{
    char why[256], client_id[128];
    snprintf(client_id, sizeof(client_id), "strait-mirror-%s", role);
    const char *fixed[][2] = {
        {"bootstrap.servers", cluster->bootstrap_servers},
        {"client.id", client_id},
        {"allow.auto.create.topics", "false"},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (set(conf, fixed[i][0], fixed[i][1], why, sizeof(why)) != KC_OK) {
            snprintf(errbuf, errlen, "cluster %s: %s", cluster->name, why);
            return false;
        }
    }
    for (size_t i = 0; i < cluster->property_count; i++) {
        const mirror_property *p = &cluster->properties[i];
        if (set(conf, p->name, p->value, why, sizeof(why)) != KC_OK) {
            snprintf(errbuf, errlen, "cluster %s: %s", cluster->name, why);
            return false;
        }
    }
    return true;
}

static kc_err set_client(void *conf, const char *name, const char *value, char *errstr,
                         size_t errlen)
{
    return kc_config_set(conf, name, value, errstr, errlen);
}

static kc_err set_consumer(void *conf, const char *name, const char *value, char *errstr,
                           size_t errlen)
{
    return kc_consumer_config_set(conf, name, value, errstr, errlen);
}

kc_config *cluster_config_new(const mirror_cluster *cluster, const char *role,
                              const st_logger *log, char *errbuf, size_t errlen)
{
    kc_config *conf = kc_config_new();
    if (!conf) {
        snprintf(errbuf, errlen, "cluster %s: out of memory", cluster->name);
        return NULL;
    }
    if (!apply(conf, set_client, cluster, role, errbuf, errlen)) {
        kc_config_free(conf);
        return NULL;
    }
    if (log)
        kc_config_set_logger(conf, log);
    return conf;
}

kc_client *cluster_client_new(const mirror_cluster *cluster, const char *role,
                              const st_logger *log, char *errbuf, size_t errlen)
{
    kc_config *conf = cluster_config_new(cluster, role, log, errbuf, errlen);
    if (!conf)
        return NULL;
    char why[256];
    kc_client *client = kc_client_new(conf, NULL, why, sizeof(why));
    if (!client)
        snprintf(errbuf, errlen, "cluster %s: %s", cluster->name, why);
    kc_config_free(conf);
    return client;
}

kc_consumer_config *cluster_consumer_config_new(const mirror_cluster *cluster, const char *role,
                                                const st_logger *log, char *errbuf,
                                                size_t errlen)
{
    kc_consumer_config *conf = kc_consumer_config_new();
    if (!conf) {
        snprintf(errbuf, errlen, "cluster %s: out of memory", cluster->name);
        return NULL;
    }
    if (!apply(conf, set_consumer, cluster, role, errbuf, errlen)) {
        kc_consumer_config_free(conf);
        return NULL;
    }
    if (log)
        kc_config_set_logger(kc_consumer_config_client(conf), log);
    return conf;
}
