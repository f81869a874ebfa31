/* handle_api_versions.c — ApiVersions: the version ranges in api_table.c,
 * exactly; and the v0-format UNSUPPORTED_VERSION answer to a request whose
 * version this broker does not know, so the client can retry lower. */
#include <ctype.h>
#include <stdbool.h>

#include "broker/api_table.h"
#include "broker/handlers.h"
#include "common/kafka_error.h"

enum { API_VERSIONS_KEY = 18 };

static bool fill_api_keys(request *rq, kp_api_versions_response *resp)
{
    resp->api_keys = st_arena_calloc(&rq->arena, broker_api_count, sizeof(*resp->api_keys));
    if (!resp->api_keys)
        return false;
    for (size_t i = 0; i < broker_api_count; i++) {
        resp->api_keys[i].api_key = broker_apis[i].api_key;
        resp->api_keys[i].min_version = broker_apis[i].min_version;
        resp->api_keys[i].max_version = broker_apis[i].max_version;
    }
    resp->api_keys_count = (int32_t)broker_api_count;
    return true;
}

/* KIP-511: [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
static bool valid_software_token(st_slice s)
{
    if (s.len <= 0)
        return false;
    for (int32_t i = 0; i < s.len; i++) {
        char ch = (char)s.ptr[i];
        bool edge = i == 0 || i == s.len - 1;
        if (!isalnum((unsigned char)ch) && (edge || (ch != '-' && ch != '.')))
            return false;
    }
    return true;
}

void handle_api_versions(request *rq)
{
    const kp_api_versions_request *req = rq->req.body;
    kp_api_versions_response *resp = request_new_response_body(rq);
    if (!resp || !fill_api_keys(rq, resp)) {
        request_close_connection(rq, "out of memory");
        return;
    }
    if (request_version(rq) >= 3 && (!valid_software_token(req->client_software_name) ||
                                     !valid_software_token(req->client_software_version)))
        resp->error_code = KAFKA_INVALID_REQUEST;
    request_respond(rq, resp);
}

void handle_api_versions_fallback(request *rq)
{
    kp_api_versions_response resp;
    kp_api_versions_response_init(&resp);
    response *r = response_new();
    if (!r || !fill_api_keys(rq, &resp)) {
        response_free(r);
        request_close_connection(rq, "out of memory");
        return;
    }
    resp.error_code = KAFKA_UNSUPPORTED_VERSION;
    if (kp_response_encode(API_VERSIONS_KEY, 0, rq->req.header.correlation_id, &resp,
                           &r->bytes) != ST_OK) {
        response_free(r);
        request_close_connection(rq, "cannot encode the ApiVersions fallback");
        return;
    }
    request_send_response(rq, r);
}
