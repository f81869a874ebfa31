/* handle_delete_topics.c — DeleteTopics v0-6: topics named in the request
 * (v6: by name or by topic id) are deleted with their partitions and data
 * (topic_admin.c does the deleting). Answers as Kafka's controller does:
 * delete.topic.enable=false refuses every topic (INVALID_REQUEST before v3,
 * TOPIC_DELETION_DISABLED after); a name or id given twice, both or neither,
 * or a name whose id is also given get INVALID_REQUEST; unknown ones
 * UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID; every other topic is
 * deleted on its own, whatever happens to the rest. */
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/dup_keys.h"
#include "broker/handlers.h"
#include "broker/topic_admin.h"
#include "common/kafka_error.h"

typedef kp_delete_topics_response_deletable_topic_result topic_out;

enum { MSG_MAX = 256 };

/* One entry of the request, and what happens to it. */
typedef struct wanted {
    st_slice name; /* null when given by id */
    st_uuid id;    /* zero when given by name */
    topic *t;      /* resolved, NULL when not found or refused */
    int16_t code;
    const char *msg;
    bool skip;     /* a repeated duplicate: answered once already */
} wanted;

#define NAME_MAPS_TO_GIVEN_ID "The provided topic name maps to an ID that was already supplied."

static const st_uuid zero_id;

static bool id_is_zero(st_uuid id)
{
    return memcmp(&id, &zero_id, sizeof(id)) == 0;
}

/* The request's entries in one shape (v0-5 give names only). */
static wanted *read_request(request *rq, int32_t *count)
{
    const kp_delete_topics_request *req = rq->req.body;
    bool by_state = request_version(rq) >= 6;
    int32_t n = by_state ? req->topics_count : req->topic_names_count;
    *count = n > 0 ? n : 0;
    wanted *w = st_arena_calloc(&rq->arena, (size_t)*count + 1, sizeof(*w));
    for (int32_t i = 0; w && i < *count; i++) {
        w[i].name = by_state ? req->topics[i].name : req->topic_names[i];
        w[i].id = by_state ? req->topics[i].topic_id : zero_id;
    }
    return w;
}

static void refuse(wanted *w, int16_t code, const char *msg)
{
    w->code = code;
    w->msg = msg;
    w->t = NULL;
}

/* The duplicate map's key: "n" + name or "i" + the 16 id bytes. */
static st_slice entry_key(request *rq, const wanted *w)
{
    bool by_id = w->name.len < 0;
    size_t n = by_id ? sizeof(w->id) : (size_t)w->name.len;
    uint8_t *k = st_arena_alloc(&rq->arena, n + 1);
    if (!k)
        return ST_SLICE_NULL;
    k[0] = by_id ? 'i' : 'n';
    memcpy(k + 1, by_id ? (const void *)w->id.b : (const void *)w->name.ptr, n);
    return st_slice_from(k, n + 1);
}

/* Names and ids given more than once: the first gets INVALID_REQUEST, the
 * others no answer (Kafka answers a duplicate once). */
static bool mark_duplicates(request *rq, wanted *w, int32_t n)
{
    dup_keys seen;
    dup_keys_init(&seen);
    st_slice *keys = st_arena_calloc(&rq->arena, (size_t)n + 1, sizeof(*keys));
    bool ok = keys != NULL;
    for (int32_t i = 0; ok && i < n; i++) {
        if (w[i].code)
            continue;
        keys[i] = entry_key(rq, &w[i]);
        ok = keys[i].len >= 0 && dup_keys_note(&seen, keys[i]);
    }
    for (int32_t i = 0; ok && i < n; i++) {
        if (w[i].code)
            continue;
        dup_kind dup;
        ok = dup_keys_check(&seen, keys[i], true, &dup);
        if (dup == DUP_ANSWERED)
            w[i].skip = true;
        if (dup == DUP_ANSWER)
            refuse(&w[i], KAFKA_INVALID_REQUEST,
                   w[i].name.len < 0 ? "Duplicate topic id." : "Duplicate topic name.");
    }
    dup_keys_free(&seen);
    return ok;
}

static void check_shape(wanted *w)
{
    bool has_name = w->name.len >= 0, has_id = !id_is_zero(w->id);
    if (!has_name && !has_id)
        refuse(w, KAFKA_INVALID_REQUEST, "Neither topic name nor id were specified.");
    else if (has_name && has_id)
        refuse(w, KAFKA_INVALID_REQUEST, "You may not specify both topic name and topic id.");
}

static void resolve(broker *b, wanted *w)
{
    if (w->code || w->skip)
        return;
    if (w->name.len < 0) {
        w->t = topic_registry_find_id(&b->topics, w->id);
        if (!w->t)
            refuse(w, KAFKA_UNKNOWN_TOPIC_ID, "This server does not host this topic ID.");
        return;
    }
    w->t = topic_registry_find(&b->topics, w->name);
    if (!w->t)
        refuse(w, KAFKA_UNKNOWN_TOPIC_OR_PARTITION,
               "This server does not host this topic-partition.");
}

/* A topic given by name whose id is given too: neither is deleted. */
static bool refuse_name_and_id(wanted *w, int32_t n)
{
    strmap by_id; /* 16 id bytes -> entry index + 1 */
    strmap_init(&by_id);
    bool ok = true;
    for (int32_t i = 0; ok && i < n; i++)
        if (w[i].t && w[i].name.len < 0)
            ok = strmap_put(&by_id, st_slice_from(w[i].t->id.b, sizeof(w[i].t->id.b)),
                            (void *)(uintptr_t)(i + 1)) == ST_OK;
    for (int32_t i = 0; ok && i < n; i++) {
        if (!w[i].t || w[i].name.len < 0)
            continue;
        uintptr_t k = (uintptr_t)strmap_get(&by_id, st_slice_from(w[i].t->id.b, 16));
        if (!k)
            continue;
        refuse(&w[i], KAFKA_INVALID_REQUEST, NAME_MAPS_TO_GIVEN_ID);
        refuse(&w[k - 1], KAFKA_INVALID_REQUEST, NAME_MAPS_TO_GIVEN_ID);
    }
    strmap_free(&by_id);
    return ok;
}

static void delete_one(request *rq, wanted *w, topic_out *out)
{
    char msg[MSG_MAX] = "";
    kp_init(&kp_delete_topics_response_deletable_topic_result_desc, out);
    out->name = w->name;
    out->topic_id = w->id;
    out->error_code = w->code;
    out->error_message = request_text(rq, w->msg);
    if (!w->t)
        return;
    /* The topic is freed by the deletion: answer with copies. */
    out->name = request_text(rq, w->t->name);
    out->topic_id = w->t->id;
    out->error_code = topic_admin_delete(rq->b, w->t, msg, sizeof(msg));
    out->error_message = out->error_code ? request_text(rq, msg) : ST_SLICE_NULL;
}

static bool plan(request *rq, wanted *w, int32_t n)
{
    broker *b = rq->b;
    if (!b->cfg.delete_topic_enable) {
        bool old = request_version(rq) < 3;
        for (int32_t i = 0; i < n; i++)
            refuse(&w[i], old ? KAFKA_INVALID_REQUEST : KAFKA_TOPIC_DELETION_DISABLED,
                   "Topic deletion is disabled.");
        return true;
    }
    for (int32_t i = 0; i < n; i++)
        check_shape(&w[i]);
    if (!mark_duplicates(rq, w, n))
        return false;
    for (int32_t i = 0; i < n; i++)
        resolve(b, &w[i]);
    return refuse_name_and_id(w, n);
}

void handle_delete_topics(request *rq)
{
    kp_delete_topics_response *resp = request_new_response_body(rq);
    int32_t n = 0;
    wanted *w = resp ? read_request(rq, &n) : NULL;
    bool ok = w && (resp->responses = st_arena_calloc(&rq->arena, (size_t)n + 1,
                                                      sizeof(*resp->responses)));
    ok = ok && plan(rq, w, n);
    if (!ok) {
        request_close_connection(rq, "out of memory");
        return;
    }
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++)
        if (!w[i].skip)
            delete_one(rq, &w[i], &resp->responses[k++]);
    resp->responses_count = k;
    request_respond(rq, resp);
}
