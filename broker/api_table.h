/* api_table.h — the APIs this broker implements, their version ranges and
 * handlers. ApiVersions advertises exactly this table; the dispatcher routes
 * by it. Adding an API means adding its row and its handler, nothing else. */
#ifndef STRAIT_BROKER_API_TABLE_H
#define STRAIT_BROKER_API_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "broker/request.h"

typedef void (*request_handler)(request *rq);

typedef struct api_support {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
    request_handler handle;
} api_support;

extern const api_support broker_apis[];
extern const size_t broker_api_count;

const api_support *api_support_lookup(int16_t api_key);

#endif
