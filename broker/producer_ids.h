/* producer_ids.h — allocating producer ids (InitProducerId) that are never
 * reused, also across restarts.
 *
 * Owns `producer-ids.state` in the first log directory: the end of the
 * block of ids reserved so far. Ids are handed out from a reserved block of
 * PRODUCER_ID_BLOCK; when it runs out, the next block is reserved and the
 * file rewritten (fsynced) before any id of it is used, so a crash can skip
 * ids but never reuse one. */
#ifndef STRAIT_BROKER_PRODUCER_IDS_H
#define STRAIT_BROKER_PRODUCER_IDS_H

#include <stdint.h>

#include "common/err.h"

#define PRODUCER_ID_BLOCK 1000

typedef struct producer_ids {
    char *path;
    int64_t next;      /* next id to hand out */
    int64_t block_end; /* first id not reserved */
} producer_ids;

st_err producer_ids_open(producer_ids *p, const char *dir);
void producer_ids_close(producer_ids *p);
/* The next id, or -1 when the reservation could not be persisted. */
int64_t producer_ids_next(producer_ids *p);

#endif
