/* db_fixture.c — the offset store tests' temporary database directory (see
 * db_fixture.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/db_fixture.h"

bool db_fixture_make(db_fixture *d, const char *name)
{
    snprintf(d->dir, sizeof(d->dir), "/tmp/%s.XXXXXX", name);
    if (!mkdtemp(d->dir))
        return false;
    snprintf(d->path, sizeof(d->path), "%s/offsets.db", d->dir);
    return true;
}

void db_fixture_remove(const db_fixture *d)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[160];
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", d->path, suffixes[i]);
        unlink(p);
    }
    rmdir(d->dir);
}
