/* config_resource.h — the resources that DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs name: Kafka's ConfigResource.Type codes, their
 * names in messages, and a broker resource's name read as a node id.
 *
 * Owns only these shared readings; what each API checks and answers (and
 * its exact messages) stays with its handler. */
#ifndef STRAIT_BROKER_CONFIG_RESOURCE_H
#define STRAIT_BROKER_CONFIG_RESOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/wire.h"

enum {
    RESOURCE_TOPIC = 2,
    RESOURCE_BROKER = 4,
    RESOURCE_BROKER_LOGGER = 8,
    RESOURCE_CLIENT_METRICS = 16,
    RESOURCE_GROUP = 32,
};

/* "TOPIC", "BROKER", ... or "UNKNOWN". */
const char *config_resource_type_name(int8_t type);

/* Java's Integer.parseInt: an optional sign and decimal digits in range. */
bool config_resource_node_id(st_slice name, int32_t *out);

/* How much of a resource name a message shows (at most 200 bytes). */
int config_resource_shown_len(st_slice name);

#endif
