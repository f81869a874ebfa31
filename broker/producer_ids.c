/* producer_ids.c — never-reused producer ids (see producer_ids.h). */
#include "broker/producer_ids.h"

#include <fcntl.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static st_err persist_block_end(const producer_ids *p, int64_t block_end)
{
    char tmp[4200], text[64];
    snprintf(tmp, sizeof(tmp), "%s.tmp", p->path);
    int n = snprintf(text, sizeof(text), "%" PRId64 "\n", block_end);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ST_ERR_IO;
    bool ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    return ok && rename(tmp, p->path) == 0 ? ST_OK : ST_ERR_IO;
}

st_err producer_ids_open(producer_ids *p, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/producer-ids.state", dir);
    p->path = strdup(path);
    if (!p->path)
        return ST_ERR_NOMEM;
    p->next = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        long long end;
        if (fscanf(f, "%lld", &end) == 1 && end >= 0)
            p->next = end;
        fclose(f);
    }
    p->block_end = p->next; /* nothing reserved in this run yet */
    return ST_OK;
}

void producer_ids_close(producer_ids *p)
{
    free(p->path);
    p->path = NULL;
}

int64_t producer_ids_next(producer_ids *p)
{
    if (p->next >= p->block_end) {
        if (persist_block_end(p, p->next + PRODUCER_ID_BLOCK) != ST_OK)
            return -1;
        p->block_end = p->next + PRODUCER_ID_BLOCK;
    }
    return p->next++;
}
