/* test_crc32c.c — CRC-32C against published vectors, and hardware against
 * software on random lengths and alignments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/crc32c.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static const crc_fn impls[] = {st_crc32c, st_crc32c_sw, st_crc32c_hw};

static void check_all(const void *p, size_t n, uint32_t want)
{
    for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++)
        assert_int_equal(impls[i](0, p, n), want);
}

static void test_check_string(void **state)
{
    (void)state;
    check_all("123456789", 9, 0xE3069283u);
    check_all("", 0, 0);
    check_all("a", 1, 0xC1D04330u);
}

/* RFC 3720, appendix B.4. */
static void test_rfc3720_vectors(void **state)
{
    (void)state;
    uint8_t buf[32];
    memset(buf, 0, sizeof(buf));
    check_all(buf, sizeof(buf), 0x8A9136AAu);
    memset(buf, 0xff, sizeof(buf));
    check_all(buf, sizeof(buf), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    check_all(buf, sizeof(buf), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    check_all(buf, sizeof(buf), 0x113FDB5Cu);
    static const uint8_t iscsi_read[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    check_all(iscsi_read, sizeof(iscsi_read), 0xD9963A56u);
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_hw_matches_sw(void **state)
{
    (void)state;
    static uint8_t buf[4096 + 64];
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)next_rand(&seed);
    for (int round = 0; round < 2000; round++) {
        size_t off = next_rand(&seed) % 64;
        size_t len = next_rand(&seed) % 4097;
        uint32_t init = (uint32_t)next_rand(&seed);
        uint32_t sw = st_crc32c_sw(init, buf + off, len);
        assert_int_equal(st_crc32c_hw(init, buf + off, len), sw);
        assert_int_equal(st_crc32c(init, buf + off, len), sw);
    }
}

static void test_chaining(void **state)
{
    (void)state;
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
        uint32_t whole = impls[i](0, s, n);
        for (size_t cut = 0; cut <= n; cut++)
            assert_int_equal(impls[i](impls[i](0, s, cut), s + cut, n - cut), whole);
    }
    assert_int_equal(st_crc32c(0, s, n), 0x22620404u);
}

static void test_reports_hardware(void **state)
{
    (void)state;
    /* Informational: both answers are valid; the tests above cover both. */
    print_message("crc32c hardware path: %s\n",
                  st_crc32c_hw_available() ? "sse4.2" : "not available");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_string),
        cmocka_unit_test(test_rfc3720_vectors),
        cmocka_unit_test(test_hw_matches_sw),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_reports_hardware),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
