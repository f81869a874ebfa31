/* client_partitioner.h — choosing a partition the way the Java client does
 * (internal; kc_murmur2 and kc_partition_for_key are public).
 *
 * Owns the key rule (toPositive(murmur2(key)) % partitions, Kafka's
 * Utils.murmur2 bit for bit) and the sticky rule for records without a key
 * (KIP-480, as Java's DefaultPartitioner 2.4-3.2 and its StickyPartitionCache
 * do it): keep sending to one partition until its batch is closed, then
 * switch to another partition picked at random among those with a leader
 * (among all when none has one), never the same one twice in a row when
 * there is a choice. Pure functions: randomness comes from the caller. */
#ifndef STRAIT_CLIENT_PARTITIONER_H
#define STRAIT_CLIENT_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

#include "common/kafka_client.h"

typedef uint64_t (*kc_random_fn)(void *ctx);

/* Java's Utils.toPositive: n & 0x7fffffff. */
static inline int32_t kc_to_positive(int32_t n)
{
    return (int32_t)((uint32_t)n & 0x7fffffffu);
}

/* The sticky partition after `previous` had its batch closed (previous = -1
 * to pick the first one). available[0..available_count) lists the
 * partitions that have a leader now. current is the topic's cached sticky
 * partition (-1 none): as in Java, it only changes when it is -1 or equals
 * previous. */
int32_t kc_sticky_next(int32_t current, int32_t previous, int32_t partition_count,
                       const int32_t *available, int32_t available_count, kc_random_fn random,
                       void *random_ctx);

#endif
