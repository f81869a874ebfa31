/* crc32c.h — CRC-32C (Castagnoli), the checksum of Kafka record batches.
 *
 * Owns the checksum arithmetic only: a hardware path (the SSE4.2 crc32
 * instruction, chosen at run time) and a portable software path. Never
 * allocates and never keeps mutable state beyond a lookup table built once,
 * thread-safely, on first use.
 *
 * All functions take the CRC of the bytes so far (0 to start) and return the
 * CRC including p[0..n), so they chain:
 *   st_crc32c(st_crc32c(0, a, na), b, nb) == st_crc32c(0, a ++ b, na + nb). */
#ifndef STRAIT_CRC32C_H
#define STRAIT_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The fastest implementation this CPU supports. */
uint32_t st_crc32c(uint32_t crc, const void *p, size_t n);

/* Table-driven (slicing-by-8) implementation; works everywhere. */
uint32_t st_crc32c_sw(uint32_t crc, const void *p, size_t n);

/* SSE4.2 implementation; falls back to st_crc32c_sw when the CPU lacks it. */
uint32_t st_crc32c_hw(uint32_t crc, const void *p, size_t n);

/* True when st_crc32c_hw really uses the crc32 instruction. */
bool st_crc32c_hw_available(void);

#endif
