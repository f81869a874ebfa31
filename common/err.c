/* err.c — names for st_err values (see err.h). */
#include "err.h"

const char *st_err_name(st_err err)
{
    switch (err) {
    case ST_OK: return "ok";
    case ST_ERR_TRUNCATED: return "truncated input";
    case ST_ERR_MALFORMED: return "malformed input";
    case ST_ERR_TOO_LARGE: return "value too large";
    case ST_ERR_NOMEM: return "out of memory";
    case ST_ERR_UNSUPPORTED: return "unsupported";
    case ST_ERR_CORRUPT: return "checksum mismatch";
    case ST_ERR_IO: return "I/O error";
    case ST_ERR_OUT_OF_RANGE: return "out of range";
    }
    return "unknown error";
}
