/* handlers.h — one function per API this broker serves (api_table.c routes
 * to them). Each handler ends its request exactly once (see request.h). */
#ifndef STRAIT_BROKER_HANDLERS_H
#define STRAIT_BROKER_HANDLERS_H

#include "broker/request.h"

void handle_api_versions(request *rq);
void handle_api_versions_fallback(request *rq);

#endif
