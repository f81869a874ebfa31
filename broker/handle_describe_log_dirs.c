/* handle_describe_log_dirs.c — DescribeLogDirs v0-4: every log directory
 * of this broker (absolute path), the hosted partitions in it that the
 * request names (a null topic list: all) with their size in bytes, an
 * offset lag of log end minus high watermark (0 on one node) and
 * is_future false (no AlterReplicaLogDirs), and, v4, the total and usable
 * bytes of its file system (statvfs). A directory that cannot be examined
 * answers KAFKA_STORAGE_ERROR with no topics; partitions the broker does
 * not host are left out, as Kafka's ReplicaManager.describeLogDirs does. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "broker/broker.h"
#include "broker/handlers.h"
#include "broker/partition.h"
#include "common/kafka_error.h"

typedef kp_describe_log_dirs_response_describe_log_dirs_result dir_out;
typedef kp_describe_log_dirs_response_describe_log_dirs_topic topic_out;

/* The partitions asked for: NULL (all), or per topic name a flag array. */
typedef struct wanted {
    bool all;
    strmap flags; /* topic name -> bool[partition_count] */
} wanted;

static bool read_wanted(request *rq, wanted *w)
{
    const kp_describe_log_dirs_request *req = rq->req.body;
    strmap_init(&w->flags);
    w->all = req->topics_count < 0;
    for (int32_t i = 0; i < req->topics_count; i++) {
        const kp_describe_log_dirs_request_describable_log_dir_topic *in = &req->topics[i];
        topic *t = topic_registry_find(&rq->b->topics, in->topic);
        if (!t)
            continue;
        bool *f = strmap_get(&w->flags, in->topic);
        if (!f) {
            f = st_arena_calloc(&rq->arena, (size_t)t->partition_count, sizeof(bool));
            if (!f || strmap_put(&w->flags, in->topic, f) != ST_OK)
                return false;
        }
        for (int32_t k = 0; k < in->partitions_count; k++)
            if (in->partitions[k] >= 0 && in->partitions[k] < t->partition_count)
                f[in->partitions[k]] = true;
    }
    return true;
}

/* Whether partition p lives directly in dir. */
static bool in_dir(const partition *p, const char *dir)
{
    size_t n = strlen(dir);
    return p && strncmp(p->dir, dir, n) == 0 && p->dir[n] == '/' && !strchr(p->dir + n + 1, '/');
}

static bool fill_topic(request *rq, const wanted *w, const topic *t, const char *dir,
                       topic_out *out)
{
    const bool *f = w->all ? NULL : strmap_get_cstr(&w->flags, t->name);
    kp_init(&kp_describe_log_dirs_response_describe_log_dirs_topic_desc, out);
    out->name = st_slice_cstr(t->name);
    out->partitions = st_arena_calloc(&rq->arena, (size_t)t->partition_count + 1,
                                      sizeof(*out->partitions));
    if (!out->partitions)
        return false;
    int32_t n = 0;
    for (int32_t i = 0; i < t->partition_count; i++) {
        const partition *p = t->partitions[i];
        if ((!w->all && !(f && f[i])) || !in_dir(p, dir))
            continue;
        kp_describe_log_dirs_response_describe_log_dirs_partition *o = &out->partitions[n++];
        kp_init(&kp_describe_log_dirs_response_describe_log_dirs_partition_desc, o);
        int64_t lag = st_log_end_offset(p->log) - partition_high_watermark(p);
        o->partition_index = i;
        o->partition_size = st_log_size_bytes(p->log);
        o->offset_lag = lag > 0 ? lag : 0;
        o->is_future_key = false;
    }
    out->partitions_count = n;
    return true;
}

static bool fill_topics(request *rq, const wanted *w, const char *dir, dir_out *out)
{
    const topic_registry *reg = &rq->b->topics;
    out->topics = st_arena_calloc(&rq->arena, reg->by_name.count + 1, sizeof(*out->topics));
    if (!out->topics)
        return false;
    size_t pos = 0;
    const char *key;
    void *value;
    int32_t n = 0;
    while (strmap_next(&reg->by_name, &pos, &key, &value)) {
        if (!fill_topic(rq, w, value, dir, &out->topics[n]))
            return false;
        n += out->topics[n].partitions_count > 0;
    }
    out->topics_count = n;
    return true;
}

/* bytes = blocks * size, saturating as Kafka's adjustForLargeFileSystems. */
static int64_t volume_bytes(unsigned long long blocks, unsigned long long size)
{
    unsigned long long r;
    if (__builtin_mul_overflow(blocks, size, &r) || r > (unsigned long long)INT64_MAX)
        return INT64_MAX;
    return (int64_t)r;
}

static bool fill_dir(request *rq, const wanted *w, const char *dir, dir_out *out)
{
    char abs[PATH_MAX];
    struct statvfs vfs;
    kp_init(&kp_describe_log_dirs_response_describe_log_dirs_result_desc, out);
    out->log_dir = request_text(rq, realpath(dir, abs) ? abs : dir);
    if (out->log_dir.len < 0)
        return false;
    out->topics_count = 0;
    if (statvfs(dir, &vfs) != 0) {
        out->error_code = KAFKA_KAFKA_STORAGE_ERROR;
        return true;
    }
    out->total_bytes = volume_bytes(vfs.f_blocks, vfs.f_frsize);
    out->usable_bytes = volume_bytes(vfs.f_bavail, vfs.f_frsize);
    return fill_topics(rq, w, dir, out);
}

void handle_describe_log_dirs(request *rq)
{
    const broker *b = rq->b;
    kp_describe_log_dirs_response *resp = request_new_response_body(rq);
    wanted w;
    bool ok = read_wanted(rq, &w) && resp &&
              (resp->results = st_arena_calloc(&rq->arena, b->cfg.n_log_dirs + 1,
                                               sizeof(*resp->results)));
    for (size_t d = 0; ok && d < b->cfg.n_log_dirs; d++)
        ok = fill_dir(rq, &w, b->cfg.log_dirs[d], &resp->results[d]);
    strmap_free(&w.flags);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->results_count = (int32_t)b->cfg.n_log_dirs;
    request_respond(rq, resp);
}
