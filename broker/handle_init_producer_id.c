/* handle_init_producer_id.c — InitProducerId v0-5 for idempotent producers:
 * a fresh, never reused producer id with epoch 0 (what Kafka answers a
 * producer without a transactional id, also when it passes its old id).
 * Transactional ids are refused until the transaction coordinator exists. */
#include "broker/broker.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

void handle_init_producer_id(request *rq)
{
    const kp_init_producer_id_request *req = rq->req.body;
    kp_init_producer_id_response *resp = request_new_response_body(rq);
    if (!resp) {
        request_close_connection(rq, "out of memory");
        return;
    }
    resp->producer_id = -1;
    resp->producer_epoch = -1;
    if (req->transactional_id.len >= 0) {
        resp->error_code = KAFKA_INVALID_REQUEST;
        st_logf(&rq->b->logger, ST_LOG_WARN, "producer",
                "InitProducerId with transactional.id '%.*s' from %s refused: transactions are "
                "not supported yet",
                req->transactional_id.len, req->transactional_id.ptr, connection_peer(rq->conn));
    } else {
        int64_t id = producer_ids_next(&rq->b->producer_ids);
        if (id < 0) {
            resp->error_code = KAFKA_KAFKA_STORAGE_ERROR;
        } else {
            resp->producer_id = id;
            resp->producer_epoch = 0;
        }
    }
    request_respond(rq, resp);
}
