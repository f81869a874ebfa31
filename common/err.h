/* err.h — the error values that travel up through common/ code.
 *
 * Owns the st_err enum and its names. Library code returns these (never
 * exits); callers add context (a field name, a file path) where they know it.
 * These are internal codes, distinct from Kafka's wire error codes, which live
 * in kafka_error.h. */
#ifndef STRAIT_ERR_H
#define STRAIT_ERR_H

typedef enum st_err {
    ST_OK = 0,
    ST_ERR_TRUNCATED,   /* input ended before a value did */
    ST_ERR_MALFORMED,   /* a length, varint or marker that cannot be valid */
    ST_ERR_TOO_LARGE,   /* a value exceeds a configured or structural limit */
    ST_ERR_NOMEM,       /* an allocation failed */
    ST_ERR_UNSUPPORTED, /* valid input that this code does not handle */
    ST_ERR_CORRUPT,     /* a checksum mismatch */
    ST_ERR_IO,          /* an operating-system call failed (see errno) */
    ST_ERR_OUT_OF_RANGE, /* an offset or index outside what exists */
} st_err;

/* A short, static, human-readable name for an error value. */
const char *st_err_name(st_err err);

#endif
