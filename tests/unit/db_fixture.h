/* db_fixture.h — test helpers shared by the mirror's offset store tests
 * (test_offset_store.c, test_checkpoint_translate.c,
 * test_mirror_commands.c): a temporary directory holding the path of an
 * SQLite database, and its removal with SQLite's side files. Test-only. */
#ifndef STRAIT_TEST_DB_FIXTURE_H
#define STRAIT_TEST_DB_FIXTURE_H

#include <stdbool.h>

typedef struct db_fixture {
    char dir[64];   /* /tmp/<name>.XXXXXX, created */
    char path[128]; /* dir/offsets.db, not created */
} db_fixture;

/* Creates d's directory, named after name; false when it cannot. */
bool db_fixture_make(db_fixture *d, const char *name);
/* Removes the database with its -wal, -shm and -journal files, then the
 * directory (whatever else the test put there must be gone by then). */
void db_fixture_remove(const db_fixture *d);

#endif
