/* client_error.c — names and retriability of kc_err values (see
 * kafka_client.h). Owns the KC_ERR_* names only; Kafka's own codes are
 * named by kafka_error.c. */
#include "common/kafka_client.h"

const char *kc_err_name(kc_err err)
{
    switch (err) {
    case KC_OK: return "OK";
    case KC_ERR_CONFIG: return "KC_ERR_CONFIG";
    case KC_ERR_INVALID_ARG: return "KC_ERR_INVALID_ARG";
    case KC_ERR_NOMEM: return "KC_ERR_NOMEM";
    case KC_ERR_TRANSPORT: return "KC_ERR_TRANSPORT";
    case KC_ERR_TIMED_OUT: return "KC_ERR_TIMED_OUT";
    case KC_ERR_UNSUPPORTED: return "KC_ERR_UNSUPPORTED";
    case KC_ERR_BAD_RESPONSE: return "KC_ERR_BAD_RESPONSE";
    case KC_ERR_QUEUE_FULL: return "KC_ERR_QUEUE_FULL";
    case KC_ERR_MSG_TIMED_OUT: return "KC_ERR_MSG_TIMED_OUT";
    case KC_ERR_DESTROYED: return "KC_ERR_DESTROYED";
    case KC_ERR_RECORD_TOO_LARGE: return "KC_ERR_RECORD_TOO_LARGE";
    case KC_ERR_FATAL: return "KC_ERR_FATAL";
    case KC_ERR_RESOLVE: return "KC_ERR_RESOLVE";
    case KC_ERR_STATE: return "KC_ERR_STATE";
    case KC_ERR_NO_OFFSET: return "KC_ERR_NO_OFFSET";
    }
    if (err > 0 || err == KAFKA_UNKNOWN_SERVER_ERROR)
        return kafka_error_name((int16_t)err);
    return "KC_ERR_UNKNOWN";
}

bool kc_err_retriable(kc_err err)
{
    switch (err) {
    case KC_ERR_TRANSPORT:
    case KC_ERR_TIMED_OUT:
    case KC_ERR_QUEUE_FULL:
    case KC_ERR_RESOLVE:
        return true;
    default:
        break;
    }
    return err > 0 && kafka_error_retriable((int16_t)err);
}
