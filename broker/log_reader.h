/* log_reader.h — reading a partition log's records back in order, for the
 * broker's own internal topics (loading __consumer_offsets at start-up).
 *
 * Owns a bounded read buffer: whole batches are read with pread from fetch
 * ranges, then walked record by record (decompressing when needed). Records
 * handed to the callback point into that buffer and are valid during the
 * call only. Never used on the client fetch path (which uses sendfile). */
#ifndef STRAIT_BROKER_LOG_READER_H
#define STRAIT_BROKER_LOG_READER_H

#include "broker/log.h"
#include "common/record.h"

typedef st_err (*log_record_fn)(void *ctx, const st_batch_header *batch, const st_record *rec);

/* Calls cb for every record at or after from_offset, below the log end.
 * Control batches are skipped. */
st_err log_for_each_record(st_log *log, int64_t from_offset, log_record_fn cb, void *ctx);

#endif
