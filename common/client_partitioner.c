/* client_partitioner.c — the Java client's partitioning rules (see
 * client_partitioner.h). murmur2 follows org.apache.kafka.common.utils.
 * Utils.murmur2: 32-bit MurmurHash2, seed 0x9747b28c, little-endian 4-byte
 * words, the tail mixed in the same fall-through order. */
#include "common/client_partitioner.h"

int32_t kc_murmur2(const void *data, size_t len)
{
    const uint8_t *p = data;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t words = len / 4;
    for (size_t i = 0; i < words; i++) {
        const uint8_t *w = p + i * 4;
        uint32_t k = (uint32_t)w[0] | ((uint32_t)w[1] << 8) | ((uint32_t)w[2] << 16) |
                     ((uint32_t)w[3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = p + words * 4;
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t kc_partition_for_key(const void *key, size_t len, int32_t partition_count)
{
    if (partition_count <= 0)
        return -1;
    return kc_to_positive(kc_murmur2(key, len)) % partition_count;
}

static int32_t random_positive(kc_random_fn random, void *ctx)
{
    return kc_to_positive((int32_t)(uint32_t)random(ctx));
}

int32_t kc_sticky_next(int32_t current, int32_t previous, int32_t partition_count,
                       const int32_t *available, int32_t available_count, kc_random_fn random,
                       void *random_ctx)
{
    if (partition_count <= 0)
        return -1;
    if (current >= 0 && current < partition_count && current != previous)
        return current;
    if (available_count < 1)
        return random_positive(random, random_ctx) % partition_count;
    if (available_count == 1)
        return available[0];
    int32_t next = current;
    for (int tries = 0; next < 0 || next == current; tries++) {
        next = available[random_positive(random, random_ctx) % available_count];
        if (tries > 64 && next == current) /* a generator stuck on one value */
            next = available[(tries + 1) % available_count] == current
                       ? available[tries % available_count]
                       : available[(tries + 1) % available_count];
    }
    return next;
}
