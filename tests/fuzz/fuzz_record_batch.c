/* fuzz_record_batch.c — libFuzzer target: any bytes as concatenated record
 * batches (a Produce request's records, a segment file). Walking batches
 * with and without CRC checks, and iterating every record and header of
 * each batch (decompressing with a bounded output), must never crash,
 * over-read or allocate beyond the bound. */
#include "common/record_batch.h"

enum { MAX_UNCOMPRESSED = 4 << 20 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_records(const st_batch *batch)
{
    st_record_iter it;
    if (st_record_iter_init(&it, batch, MAX_UNCOMPRESSED) == ST_OK) {
        st_record rec;
        while (st_record_iter_next(&it, &rec)) {
            st_header_iter hi;
            st_header_iter_init(&hi, &rec);
            st_record_header h;
            while (st_header_iter_next(&hi, &h))
                ;
            st_txn_marker marker;
            if (st_batch_is_control(&it.header))
                (void)st_txn_marker_parse(&rec, &marker);
        }
    }
    st_record_iter_free(&it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int verify = 0; verify < 2; verify++) {
        st_batch_iter it;
        st_batch_iter_init(&it, data, size, verify == 1);
        st_batch batch;
        while (st_batch_iter_next(&it, &batch) == ST_BATCH_OK)
            walk_records(&batch);
        (void)st_batch_iter_offset(&it);
    }
    return 0;
}
