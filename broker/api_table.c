/* api_table.c — the APIs and versions this broker implements (see api_table.h). */
#include "broker/api_table.h"

#include "broker/handlers.h"

const api_support broker_apis[] = {
    {18, 0, 4, handle_api_versions},
};
const size_t broker_api_count = sizeof(broker_apis) / sizeof(broker_apis[0]);

const api_support *api_support_lookup(int16_t api_key)
{
    for (size_t i = 0; i < broker_api_count; i++)
        if (broker_apis[i].api_key == api_key)
            return &broker_apis[i];
    return NULL;
}
