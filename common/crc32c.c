/* crc32c.c — CRC-32C, hardware and software paths (see crc32c.h).
 *
 * Owns the slicing-by-8 table (built once via pthread_once, then read-only)
 * and the SSE4.2 path. Must never execute the crc32 instruction on a CPU that
 * lacks it: the hardware function checks __builtin_cpu_supports first. */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define ST_CRC32C_X86 1
#endif

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t sw_table[8][256];
static pthread_once_t sw_table_once = PTHREAD_ONCE_INIT;

static void build_sw_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; bit++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
        sw_table[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++) {
            uint32_t prev = sw_table[k - 1][i];
            sw_table[k][i] = (prev >> 8) ^ sw_table[0][prev & 0xff];
        }
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint32_t sw_eight(const uint32_t t[8][256], uint32_t crc, const uint8_t *p)
{
    uint32_t lo = crc ^ load_le32(p);
    uint32_t hi = load_le32(p + 4);
    return t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
           t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
           t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
}

uint32_t st_crc32c_sw(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&sw_table_once, build_sw_table);
    const uint32_t(*t)[256] = (const uint32_t(*)[256])sw_table;
    const uint8_t *p = data;
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8)
        crc = sw_eight(t, crc, p);
    while (n--)
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

#ifdef ST_CRC32C_X86
__attribute__((target("sse4.2")))
static uint32_t hw_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, sizeof(word));
        c = _mm_crc32_u64(c, word);
    }
    while (n--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

bool st_crc32c_hw_available(void)
{
    return __builtin_cpu_supports("sse4.2");
}

uint32_t st_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    if (!st_crc32c_hw_available())
        return st_crc32c_sw(crc, p, n);
    return hw_crc32c(crc, p, n);
}
#else
bool st_crc32c_hw_available(void)
{
    return false;
}

uint32_t st_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
    return st_crc32c_sw(crc, p, n);
}
#endif

uint32_t st_crc32c(uint32_t crc, const void *p, size_t n)
{
    return st_crc32c_hw(crc, p, n);
}
