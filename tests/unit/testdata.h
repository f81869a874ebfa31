/* testdata.h — test helpers that load reference data: whole files, the
 * {"type":"Buffer","data":[...]} captures in ../shared, and where ../shared
 * is. Test-only; every returned buffer is malloc'd and owned by the caller. */
#ifndef STRAIT_TEST_TESTDATA_H
#define STRAIT_TEST_TESTDATA_H

#include <stddef.h>
#include <stdint.h>

/* The whole file, or NULL. *len gets its size. */
uint8_t *testdata_read_file(const char *path, size_t *len);
/* The bytes of a kafkajs Buffer JSON capture, or NULL if unparsable. */
uint8_t *testdata_read_buffer_json(const char *path, size_t *len);
/* The kafka-protocol reference folder (STRAIT_PROTOCOL_DIR, else
 * ../shared/kafka-protocol), or NULL when it is absent. */
const char *testdata_protocol_dir(void);

#endif
