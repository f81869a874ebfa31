/* config_resource.c — config API resource types and broker resource names
 * (see config_resource.h). */
#include "broker/config_resource.h"

const char *config_resource_type_name(int8_t type)
{
    switch (type) {
    case RESOURCE_TOPIC: return "TOPIC";
    case RESOURCE_BROKER: return "BROKER";
    case RESOURCE_BROKER_LOGGER: return "BROKER_LOGGER";
    case RESOURCE_CLIENT_METRICS: return "CLIENT_METRICS";
    case RESOURCE_GROUP: return "GROUP";
    default: return "UNKNOWN";
    }
}

bool config_resource_node_id(st_slice s, int32_t *out)
{
    int32_t i = s.len > 0 && (s.ptr[0] == '-' || s.ptr[0] == '+') ? 1 : 0;
    if (s.len <= i)
        return false;
    int64_t v = 0;
    for (; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        v = v * 10 + (s.ptr[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    v = s.ptr[0] == '-' ? -v : v;
    if (v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

int config_resource_shown_len(st_slice s)
{
    return s.len > 200 ? 200 : (s.len > 0 ? (int)s.len : 0);
}
