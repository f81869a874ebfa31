/* consumer_groups.h — what the two halves of `strait consumer-groups`
 * share: consumer_groups.c (flags, --list, --describe, --delete) and
 * consumer_groups_reset.c (--reset-offsets, --delete-offsets). */
#ifndef STRAIT_TOOLS_CONSUMER_GROUPS_H
#define STRAIT_TOOLS_CONSUMER_GROUPS_H

#include "common/kafka_client.h"
#include "tools/tool.h"

typedef struct groups_cmd {
    tool_args a;
    kc_client *client;
    int timeout;
    st_arena arena;
    tool_strings groups;  /* --group values, or every group with --all-groups */
} groups_cmd;

/* Kafka's printError: "\nError: <msg>" on stdout. */
void groups_print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The log end (or start) offsets of parts[0..n) into ends[] (-1 where
 * unknown); false after printing why when the lookup failed entirely. */
bool groups_log_offsets(groups_cmd *c, const kc_topic_partition *parts, size_t n, int64_t spec,
                        int64_t *out);

int groups_reset_offsets(groups_cmd *c);
int groups_delete_offsets(groups_cmd *c);

#endif
