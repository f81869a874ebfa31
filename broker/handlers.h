/* handlers.h — one function per API this broker serves (api_table.c routes
 * to them). Each handler ends its request exactly once (see request.h). */
#ifndef STRAIT_BROKER_HANDLERS_H
#define STRAIT_BROKER_HANDLERS_H

#include "broker/request.h"

void handle_api_versions(request *rq);
void handle_api_versions_fallback(request *rq);
void handle_metadata(request *rq);
void handle_produce(request *rq);
void handle_fetch(request *rq);
void handle_list_offsets(request *rq);
void handle_init_producer_id(request *rq);

#endif
