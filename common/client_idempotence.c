/* client_idempotence.c — the idempotent producer's identity and sequences
 * (see client_producer.h).
 *
 * Owns: asking for a producer id (InitProducerId, non-transactional, to any
 * broker), giving every batch its producer id, epoch and base sequence the
 * first time it is sent (a retried batch keeps them, so the broker can drop
 * duplicates), and the reset after a gap in the sequences (a batch that
 * failed for good, UNKNOWN_PRODUCER_ID, OUT_OF_ORDER_SEQUENCE_NUMBER for the
 * batch the broker expected): wait until nothing is in flight, get a fresh
 * producer id, restart every partition at sequence 0 and re-stamp the queued
 * batches, as Java 3.x does by bumping the epoch. */
#include <stdio.h>
#include <string.h>

#include "common/client_producer.h"

#define INIT_PRODUCER_ID_KEY 22

void kc_idem_init(kc_producer *p)
{
    memset(&p->idem, 0, sizeof(p->idem));
    p->idem.state = p->conf->enable_idempotence ? KC_IDEM_NEED_PID : KC_IDEM_OFF;
    p->idem.producer_id = -1;
    p->idem.producer_epoch = -1;
}

/* Every partition restarts at sequence 0; queued batches lose their old
 * sequence and get a new one when they are sent again. */
static void restart_sequences(kc_producer *p)
{
    for (size_t i = 0; i < p->topic_count; i++) {
        kc_ptopic *t = p->topic_list[i];
        for (int32_t j = 0; j < t->count; j++) {
            kc_partq *pq = t->parts[j];
            pq->next_sequence = 0;
            pq->acked_sequence_end = 0;
            for (kc_batch *b = pq->head; b; b = b->next)
                b->base_sequence = -1;
        }
    }
}

static bool fatal_init_error(int16_t code)
{
    return code == KAFKA_CLUSTER_AUTHORIZATION_FAILED ||
           code == KAFKA_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
           code == KAFKA_UNSUPPORTED_VERSION || code == KAFKA_INVALID_REQUEST;
}

static void on_init_producer_id(kc_client *c, const kc_response *resp, void *opaque)
{
    kc_producer *p = opaque;
    if (resp->err == KC_ERR_DESTROYED || p->destroying)
        return;
    kc_idem *idem = &p->idem;
    const kp_init_producer_id_response *r = resp->body;
    int16_t code = resp->err ? 0 : r->error_code;
    if (resp->err == KC_ERR_UNSUPPORTED || (!resp->err && fatal_init_error(code))) {
        char msg[384];
        snprintf(msg, sizeof(msg), "the idempotent producer could not get a producer id: %s "
                 "(set enable.idempotence=false to produce without it)",
                 resp->err ? resp->errstr : kafka_error_name(code));
        idem->state = KC_IDEM_FATAL;
        kc_producer_set_fatal(p, resp->err ? resp->err : code, msg);
        return;
    }
    if (resp->err || code) {
        idem->state = KC_IDEM_NEED_PID;
        idem->attempts++;
        idem->retry_at_ms = kc_now_ms() + kc_backoff_ms(c, c->conf->retry_backoff_ms,
                                                        c->conf->retry_backoff_max_ms,
                                                        idem->attempts);
        kc_log(c, ST_LOG_DEBUG, "InitProducerId failed, retrying: %s",
               resp->err ? resp->errstr : kafka_error_name(code));
        kc_producer_kick(p);
        return;
    }
    idem->producer_id = r->producer_id;
    idem->producer_epoch = r->producer_epoch;
    idem->state = KC_IDEM_READY;
    idem->attempts = 0;
    restart_sequences(p);
    kc_log(c, ST_LOG_INFO, "producer id %lld, epoch %d", (long long)r->producer_id,
           r->producer_epoch);
    kc_producer_kick(p);
}

static void request_producer_id(kc_producer *p)
{
    kp_init_producer_id_request req;
    kp_init_producer_id_request_init(&req);
    req.transactional_id = ST_SLICE_NULL;
    req.transaction_timeout_ms = INT32_MAX;
    req.producer_id = -1;
    req.producer_epoch = -1;
    kc_request_opts opts = KC_REQUEST_OPTS_DEFAULT;
    opts.timeout_ms = p->conf->request_timeout_ms;
    opts.retry_after_send = true;
    kc_err err = kc_client_send(p->client, kc_target_any(), INIT_PRODUCER_ID_KEY, &req, &opts,
                                on_init_producer_id, p);
    if (err == KC_OK)
        p->idem.state = KC_IDEM_REQUESTING;
}

bool kc_idem_ready(kc_producer *p, int64_t now_ms, int64_t *wake_ms)
{
    kc_idem *idem = &p->idem;
    switch (idem->state) {
    case KC_IDEM_OFF:
    case KC_IDEM_READY:
        return true;
    case KC_IDEM_NEED_PID:
        if (p->batches_in_flight > 0)
            return false; /* their fate decides the old sequences */
        if (now_ms < idem->retry_at_ms) {
            if (idem->retry_at_ms < *wake_ms)
                *wake_ms = idem->retry_at_ms;
            return false;
        }
        request_producer_id(p);
        return false;
    case KC_IDEM_REQUESTING:
    case KC_IDEM_FATAL:
        return false;
    }
    return false;
}

void kc_idem_stamp(kc_producer *p, kc_batch *b)
{
    kc_idem *idem = &p->idem;
    if (idem->state == KC_IDEM_OFF)
        return;
    kc_partq *pq = b->pq;
    if (b->base_sequence < 0) {
        b->base_sequence = pq->next_sequence;
        int64_t next = (int64_t)pq->next_sequence + b->count;
        pq->next_sequence = (int32_t)(next > INT32_MAX ? next - INT32_MAX - 1 : next);
    }
    b->producer_id = idem->producer_id;
    b->producer_epoch = idem->producer_epoch;
}

void kc_idem_acked(kc_producer *p, kc_batch *b)
{
    if (p->idem.state == KC_IDEM_OFF || b->base_sequence < 0 ||
        b->producer_id != p->idem.producer_id)
        return;
    int64_t end = (int64_t)b->base_sequence + b->count;
    b->pq->acked_sequence_end = (int32_t)(end > INT32_MAX ? end - INT32_MAX - 1 : end);
}

void kc_idem_need_reset(kc_producer *p, const char *why)
{
    if (p->idem.state != KC_IDEM_READY)
        return;
    kc_log(p->client, ST_LOG_WARN, "resetting the idempotent producer (new producer id): %s",
           why);
    p->idem.state = KC_IDEM_NEED_PID;
    p->idem.retry_at_ms = 0;
}
