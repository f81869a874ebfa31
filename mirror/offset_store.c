/* offset_store.c — the mirror's offset translation store in SQLite (see
 * offset_store.h for the model).
 *
 * Owns: the SQLite connection and its prepared statements (prepared once at
 * open, reset after each use), the schema (PRAGMA user_version 1), and an
 * in-memory cache of each written partition's last row and position.
 *
 * Write path. offset_store_record is called for every mirrored record, so it
 * touches only the cache: extending the last row or raising the position
 * marks the partition dirty; a gap starts a new row in the cache after
 * flushing the old one. Dirty partitions are written (one INSERT or UPDATE
 * for the last row, one upsert for the position) at commit, and before any
 * read or repair, so that reads on this connection see pending changes.
 * Outside begin/commit every write is its own transaction. A crash or a
 * close without commit loses the open transaction and its cached changes
 * alike: only committed transactions count.
 *
 * Cache freshness. Writers take the write lock at begin (BEGIN IMMEDIATE)
 * and then check PRAGMA data_version: when another connection committed in
 * between, the (clean) cache is dropped and reloaded lazily. Repairs drop the
 * partition's entry. Reads never use the cache: they query the database. */
#include "mirror/offset_store.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strmap.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 5000

#define KEY_WHERE "flow=?1 AND topic=?2 AND partition=?3"
#define RANGE_COLS "SELECT src_first, src_last, tgt_first FROM ranges WHERE " KEY_WHERE

static const char SCHEMA_SQL[] =
    "CREATE TABLE IF NOT EXISTS ranges("
    " flow TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,"
    " src_first INTEGER NOT NULL, src_last INTEGER NOT NULL, tgt_first INTEGER NOT NULL,"
    " PRIMARY KEY(flow, topic, partition, src_first)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ranges_by_target ON ranges(flow, topic, partition, tgt_first);"
    "CREATE TABLE IF NOT EXISTS positions("
    " flow TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,"
    " position INTEGER NOT NULL,"
    " PRIMARY KEY(flow, topic, partition)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS checkpoints("
    " flow TEXT NOT NULL, grp TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,"
    " source_offset INTEGER NOT NULL, target_offset INTEGER NOT NULL,"
    " metadata TEXT NOT NULL, time_ms INTEGER NOT NULL,"
    " PRIMARY KEY(flow, grp, topic, partition)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS status("
    " flow TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,"
    " target_topic TEXT NOT NULL, position INTEGER NOT NULL,"
    " source_end INTEGER NOT NULL, target_end INTEGER NOT NULL,"
    " lag_records INTEGER NOT NULL, lag_seconds REAL NOT NULL,"
    " records INTEGER NOT NULL, bytes INTEGER NOT NULL, errors INTEGER NOT NULL,"
    " last_error TEXT NOT NULL, updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY(flow, topic, partition)) WITHOUT ROWID;"
    "PRAGMA user_version = 1;";

/* Every statement the store runs, prepared once at open. Keyed statements
 * bind ?1 flow, ?2 topic, ?3 partition. */
enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_SAVEPOINT,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_DATA_VERSION,
    S_RANGE_INSERT,    /* ?4 src_first ?5 src_last ?6 tgt_first */
    S_RANGE_SET_LAST,  /* ?4 src_first ?5 new src_last */
    S_RANGE_SET_FRONT, /* ?4 src_first ?5 new src_first ?6 new tgt_first */
    S_RANGE_LAST,
    S_RANGE_FIRST,
    S_RANGE_COUNT,
    S_RANGE_FLOOR_SRC, /* last row with src_first <= ?4 */
    S_RANGE_NEXT_SRC,  /* first row with src_first > ?4 */
    S_RANGE_FLOOR_TGT, /* last row with tgt_first <= ?4 */
    S_RANGE_NEXT_TGT,  /* first row with tgt_first > ?4 */
    S_RANGE_DELETE_FROM_TGT,
    S_RANGE_DELETE_BELOW_TGT,
    S_RANGE_DELETE_ALL,
    S_POSITION_GET,
    S_POSITION_PUT,
    S_POSITION_DELETE,
    S_CHECKPOINT_PUT,
    S_CHECKPOINT_LIST,
    S_CHECKPOINT_GROUPS,
    S_STATUS_PUT,
    S_STATUS_ALL,
    S_STATUS_FLOW,
    S_STATUS_DELETE,
    S_COUNT
};

#define STATUS_COLS                                                                         \
    "SELECT flow, topic, partition, target_topic, position, source_end, target_end,"      \
    " lag_records, lag_seconds, records, bytes, errors, last_error, updated_ms FROM status"

static const char *const STMT_SQL[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT offset_store_op",
    [S_RELEASE] = "RELEASE offset_store_op",
    [S_ROLLBACK_TO] = "ROLLBACK TO offset_store_op",
    [S_DATA_VERSION] = "PRAGMA data_version",
    [S_RANGE_INSERT] = "INSERT INTO ranges(flow, topic, partition, src_first, src_last, tgt_first)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [S_RANGE_SET_LAST] = "UPDATE ranges SET src_last=?5 WHERE " KEY_WHERE " AND src_first=?4",
    [S_RANGE_SET_FRONT] = "UPDATE ranges SET src_first=?5, tgt_first=?6 WHERE " KEY_WHERE
                          " AND src_first=?4",
    [S_RANGE_LAST] = RANGE_COLS " ORDER BY src_first DESC LIMIT 1",
    [S_RANGE_FIRST] = RANGE_COLS " ORDER BY src_first ASC LIMIT 1",
    [S_RANGE_COUNT] = "SELECT count(*) FROM ranges WHERE " KEY_WHERE,
    [S_RANGE_FLOOR_SRC] = RANGE_COLS " AND src_first<=?4 ORDER BY src_first DESC LIMIT 1",
    [S_RANGE_NEXT_SRC] = RANGE_COLS " AND src_first>?4 ORDER BY src_first ASC LIMIT 1",
    [S_RANGE_FLOOR_TGT] = RANGE_COLS " AND tgt_first<=?4 ORDER BY tgt_first DESC LIMIT 1",
    [S_RANGE_NEXT_TGT] = RANGE_COLS " AND tgt_first>?4 ORDER BY tgt_first ASC LIMIT 1",
    [S_RANGE_DELETE_FROM_TGT] = "DELETE FROM ranges WHERE " KEY_WHERE " AND tgt_first>=?4",
    [S_RANGE_DELETE_BELOW_TGT] = "DELETE FROM ranges WHERE " KEY_WHERE
                                 " AND tgt_first<?4 AND tgt_first+(src_last-src_first)<?4",
    [S_RANGE_DELETE_ALL] = "DELETE FROM ranges WHERE " KEY_WHERE,
    [S_POSITION_GET] = "SELECT position FROM positions WHERE " KEY_WHERE,
    [S_POSITION_PUT] = "INSERT INTO positions(flow, topic, partition, position)"
                       " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(flow, topic, partition)"
                       " DO UPDATE SET position=excluded.position",
    [S_POSITION_DELETE] = "DELETE FROM positions WHERE " KEY_WHERE,
    [S_CHECKPOINT_PUT] =
        "INSERT INTO checkpoints(flow, grp, topic, partition, source_offset, target_offset,"
        " metadata, time_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(flow, grp, topic, partition) DO UPDATE SET"
        " source_offset=excluded.source_offset, target_offset=excluded.target_offset,"
        " metadata=excluded.metadata, time_ms=excluded.time_ms",
    [S_CHECKPOINT_LIST] = "SELECT grp, topic, partition, source_offset, target_offset, metadata,"
                          " time_ms FROM checkpoints WHERE flow=?1 AND grp=?2"
                          " ORDER BY topic, partition",
    [S_CHECKPOINT_GROUPS] = "SELECT DISTINCT grp FROM checkpoints WHERE flow=?1 ORDER BY grp",
    [S_STATUS_PUT] =
        "INSERT INTO status(flow, topic, partition, target_topic, position, source_end,"
        " target_end, lag_records, lag_seconds, records, bytes, errors, last_error, updated_ms)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
        " ON CONFLICT(flow, topic, partition) DO UPDATE SET"
        " target_topic=excluded.target_topic, position=excluded.position,"
        " source_end=excluded.source_end, target_end=excluded.target_end,"
        " lag_records=excluded.lag_records, lag_seconds=excluded.lag_seconds,"
        " records=excluded.records, bytes=excluded.bytes, errors=excluded.errors,"
        " last_error=excluded.last_error, updated_ms=excluded.updated_ms",
    [S_STATUS_ALL] = STATUS_COLS " ORDER BY flow, topic, partition",
    [S_STATUS_FLOW] = STATUS_COLS " WHERE flow=?1 ORDER BY flow, topic, partition",
    [S_STATUS_DELETE] = "DELETE FROM status WHERE " KEY_WHERE,
};

/* What the database holds (or will hold at the next flush) of the cached
 * partition's last row. */
enum row_state {
    ROW_CLEAN, /* the database has it as cached */
    ROW_DIRTY, /* the database has the row with an older src_last */
    ROW_NEW,   /* the database does not have the row yet */
};

/* One row of the ranges table. */
typedef struct range_row {
    int64_t src_first;
    int64_t src_last;
    int64_t tgt_first;
} range_row;

static int64_t row_tgt_last(const range_row *r)
{
    return r->tgt_first + (r->src_last - r->src_first);
}

/* A written partition's last row and position, owned by the store's map;
 * owns its copies of flow and topic. */
typedef struct part_cache {
    char *flow;
    char *topic;
    int32_t partition;
    bool has_row;
    range_row row;
    enum row_state row_state;
    bool has_position;
    int64_t position;
    bool position_dirty;
    bool listed;                 /* on the store's dirty list */
    struct part_cache *next_dirty;
} part_cache;

struct offset_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[S_COUNT];
    strmap parts;         /* cache key (see cache_key) -> part_cache* */
    part_cache *dirty;    /* partitions with unflushed changes */
    bool in_txn;          /* between offset_store_begin and commit */
    bool locked;          /* the open transaction holds the write lock (see txn_lock) */
    int64_t data_version; /* PRAGMA data_version when the cache was checked */
};

/* ---- Errors ---------------------------------------------------------------------------- */

static st_err fail(char *errbuf, size_t errlen, st_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static st_err fail(char *errbuf, size_t errlen, st_err err, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* An SQLite failure in operation op: names op and SQLite's message. */
static st_err fail_sql(offset_store *s, char *errbuf, size_t errlen, const char *op)
{
    return fail(errbuf, errlen, ST_ERR_IO, "%s: %s", op, sqlite3_errmsg(s->db));
}

static st_err check_key(const store_key *key, char *errbuf, size_t errlen, const char *op)
{
    if (!key || !key->flow || !key->topic)
        return fail(errbuf, errlen, ST_ERR_MALFORMED, "%s: missing flow or topic", op);
    if (key->partition < 0)
        return fail(errbuf, errlen, ST_ERR_MALFORMED, "%s: negative partition %" PRId32, op,
                    key->partition);
    return ST_OK;
}

/* ---- Statements ------------------------------------------------------------------------ */

/* The statement id, reset and ready to bind. */
static sqlite3_stmt *stmt(offset_store *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->stmts[id];
    sqlite3_reset(st);
    return st;
}

/* Binds ?1..?3 of a keyed statement. The strings must outlive the step. */
static void bind_key(sqlite3_stmt *st, const char *flow, const char *topic, int32_t partition)
{
    sqlite3_bind_text(st, 1, flow, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, partition);
}

/* Runs a statement that returns no rows; resets it. */
static bool run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

static bool run_id(offset_store *s, enum stmt_id id)
{
    return run(stmt(s, id));
}

/* The keyed statement id, reset, with ?1..?3 bound to key and ?4.. to
 * args[0..n). */
static sqlite3_stmt *keyed(offset_store *s, enum stmt_id id, const store_key *key,
                           const int64_t *args, int n)
{
    sqlite3_stmt *st = stmt(s, id);
    bind_key(st, key->flow, key->topic, key->partition);
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, 4 + i, args[i]);
    return st;
}

/* Runs a keyed statement that returns no rows (args as in keyed). */
static bool run_keyed(offset_store *s, enum stmt_id id, const store_key *key,
                      const int64_t *args, int n)
{
    return run(keyed(s, id, key, args, n));
}

/* Steps a query of one int64 column into *out and resets it: 1 found, 0
 * no row, -1 error. */
static int query_int64(sqlite3_stmt *st, int64_t *out)
{
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return found;
}

/* Steps a keyed range query (?4 = arg unless arg_used is false). Returns 1
 * with *out filled, 0 when no row, -1 on error. */
static int query_row(offset_store *s, enum stmt_id id, const store_key *key, bool arg_used,
                     int64_t arg, range_row *out)
{
    sqlite3_stmt *st = keyed(s, id, key, &arg, arg_used ? 1 : 0);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        out->src_first = sqlite3_column_int64(st, 0);
        out->src_last = sqlite3_column_int64(st, 1);
        out->tgt_first = sqlite3_column_int64(st, 2);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = -1;
    }
    sqlite3_reset(st);
    return found;
}

/* The stored position: 1 found, 0 none, -1 error. */
static int query_position(offset_store *s, const store_key *key, int64_t *out)
{
    return query_int64(keyed(s, S_POSITION_GET, key, NULL, 0), out);
}

static bool put_position(offset_store *s, const store_key *key, int64_t position)
{
    return run_keyed(s, S_POSITION_PUT, key, &position, 1);
}

/* UPDATE the row starting at src_first to end at src_last. */
static bool set_row_last(offset_store *s, const store_key *key, int64_t src_first,
                         int64_t src_last)
{
    return run_keyed(s, S_RANGE_SET_LAST, key, (const int64_t[]){src_first, src_last}, 2);
}

static bool insert_row(offset_store *s, const store_key *key, const range_row *r)
{
    return run_keyed(s, S_RANGE_INSERT, key,
                     (const int64_t[]){r->src_first, r->src_last, r->tgt_first}, 3);
}

/* ---- Transactions ---------------------------------------------------------------------- */

/* Reads PRAGMA data_version into *out. */
static bool read_data_version(offset_store *s, int64_t *out)
{
    return query_int64(stmt(s, S_DATA_VERSION), out) == 1;
}

static void cache_entry_free(part_cache *p)
{
    if (!p)
        return;
    free(p->flow);
    free(p->topic);
    free(p);
}

/* Forgets every cached partition, pending changes included. */
static void cache_drop_all(offset_store *s)
{
    const char *k;
    void *v;
    for (size_t i = 0; strmap_next(&s->parts, &i, &k, &v);)
        cache_entry_free(v);
    strmap_free(&s->parts);
    strmap_init(&s->parts);
    s->dirty = NULL;
}

/* Starts a write transaction and drops the cache when another connection
 * wrote. The write lock is not taken yet: records and advances only touch
 * the cache, so the lock is taken (txn_lock) at the first SQL write, usually
 * at commit, and held for milliseconds. Holding it from begin to commit
 * starved every other writer of the database: flows running side by side
 * (active/active, rings) each hold a transaction open almost all the time,
 * and one re-took the lock right after each commit while the other waited
 * out its busy timeout ("database is locked"). Each partition has one
 * writer (its flow), so the cache checked here stays valid until commit. */
static st_err txn_begin(offset_store *s, char *errbuf, size_t errlen, const char *op)
{
    int64_t version;
    if (!read_data_version(s, &version))
        return fail_sql(s, errbuf, errlen, op);
    if (version != s->data_version)
        cache_drop_all(s); /* clean: nothing is pending outside a transaction */
    s->data_version = version;
    s->in_txn = true;
    s->locked = false;
    return ST_OK;
}

/* Takes the write lock of the open transaction (BEGIN IMMEDIATE, so that
 * the busy timeout applies), once. */
static st_err txn_lock(offset_store *s, char *errbuf, size_t errlen, const char *op)
{
    if (s->locked)
        return ST_OK;
    if (!run_id(s, S_BEGIN))
        return fail_sql(s, errbuf, errlen, op);
    s->locked = true;
    if (!read_data_version(s, &s->data_version))
        return fail_sql(s, errbuf, errlen, op);
    return ST_OK;
}

/* Ends a transaction in failure: rolls back and forgets the cache, whose
 * pending changes went with it. */
static void txn_abort(offset_store *s)
{
    if (s->locked)
        run_id(s, S_ROLLBACK);
    cache_drop_all(s);
    s->in_txn = false;
    s->locked = false;
}

/* Opens an atomic unit for one operation: a savepoint inside the caller's
 * transaction, else a transaction of its own (*own set). Either way the
 * write lock is held afterwards. */
static st_err op_begin(offset_store *s, bool *own, char *errbuf, size_t errlen, const char *op)
{
    *own = !s->in_txn;
    st_err err = *own ? txn_begin(s, errbuf, errlen, op) : ST_OK;
    if (err == ST_OK)
        err = txn_lock(s, errbuf, errlen, op);
    if (err != ST_OK) {
        if (*own)
            txn_abort(s);
        return err;
    }
    if (!*own && !run_id(s, S_SAVEPOINT))
        return fail_sql(s, errbuf, errlen, op);
    return ST_OK;
}

static st_err flush_all(offset_store *s, char *errbuf, size_t errlen, const char *op);

/* Closes the unit opened by op_begin: keeps it when err is ST_OK. */
static st_err op_end(offset_store *s, bool own, st_err err, char *errbuf, size_t errlen,
                     const char *op)
{
    if (own) {
        if (err == ST_OK)
            err = flush_all(s, errbuf, errlen, op);
        if (err == ST_OK && !run_id(s, S_COMMIT))
            err = fail_sql(s, errbuf, errlen, op);
        if (err != ST_OK)
            txn_abort(s);
        s->in_txn = false;
        s->locked = false;
        return err;
    }
    if (err != ST_OK)
        run_id(s, S_ROLLBACK_TO);
    if (!run_id(s, S_RELEASE) && err == ST_OK)
        err = fail_sql(s, errbuf, errlen, op);
    return err;
}

/* ---- The partition cache --------------------------------------------------------------- */

/* The map key of (flow, topic, partition): flow NUL topic NUL partition.
 * Writes into buf when it fits, else mallocs (*heap, caller frees). */
static st_slice cache_key(const store_key *key, char *buf, size_t cap, char **heap)
{
    size_t fl = strlen(key->flow), tl = strlen(key->topic);
    size_t n = fl + tl + 2 + sizeof(int32_t);
    char *p = buf;
    *heap = NULL;
    if (n > cap) {
        p = *heap = malloc(n);
        if (!p)
            return ST_SLICE_NULL;
    }
    memcpy(p, key->flow, fl + 1);
    memcpy(p + fl + 1, key->topic, tl + 1);
    memcpy(p + fl + tl + 2, &key->partition, sizeof(int32_t));
    return st_slice_from(p, n);
}

static void mark_dirty(offset_store *s, part_cache *p)
{
    if (!p->listed) {
        p->listed = true;
        p->next_dirty = s->dirty;
        s->dirty = p;
    }
}

/* Loads a partition's last row and position from the database. */
static st_err cache_load(offset_store *s, const store_key *key, part_cache **out, char *errbuf,
                         size_t errlen, const char *op)
{
    part_cache *p = calloc(1, sizeof(*p));
    if (!p || !(p->flow = strdup(key->flow)) || !(p->topic = strdup(key->topic))) {
        cache_entry_free(p);
        return fail(errbuf, errlen, ST_ERR_NOMEM, "%s: out of memory", op);
    }
    p->partition = key->partition;
    int row = query_row(s, S_RANGE_LAST, key, false, 0, &p->row);
    int pos = row < 0 ? -1 : query_position(s, key, &p->position);
    if (row < 0 || pos < 0) {
        cache_entry_free(p);
        return fail_sql(s, errbuf, errlen, op);
    }
    p->has_row = row == 1;
    p->row_state = ROW_CLEAN;
    p->has_position = pos == 1;
    *out = p;
    return ST_OK;
}

/* The cache entry of key, loaded when missing. */
static st_err cache_get(offset_store *s, const store_key *key, part_cache **out, char *errbuf,
                        size_t errlen, const char *op)
{
    char buf[256], *heap;
    st_slice k = cache_key(key, buf, sizeof(buf), &heap);
    if (!k.ptr)
        return fail(errbuf, errlen, ST_ERR_NOMEM, "%s: out of memory", op);
    st_err err = ST_OK;
    part_cache *p = strmap_get(&s->parts, k);
    if (!p) {
        err = cache_load(s, key, &p, errbuf, errlen, op);
        if (err == ST_OK && strmap_put(&s->parts, k, p) != ST_OK) {
            cache_entry_free(p);
            err = fail(errbuf, errlen, ST_ERR_NOMEM, "%s: out of memory", op);
        }
    }
    free(heap);
    *out = p;
    return err;
}

/* Forgets key's cache entry (which must be clean). */
static void cache_forget(offset_store *s, const store_key *key)
{
    char buf[256], *heap;
    st_slice k = cache_key(key, buf, sizeof(buf), &heap);
    if (!k.ptr) {
        cache_drop_all(s);
        return;
    }
    cache_entry_free(strmap_remove(&s->parts, k));
    free(heap);
}

/* Writes one partition's pending changes. */
static bool flush_entry(offset_store *s, part_cache *p)
{
    store_key key = {p->flow, p->topic, p->partition};
    if (p->has_row && p->row_state == ROW_NEW && !insert_row(s, &key, &p->row))
        return false;
    if (p->has_row && p->row_state == ROW_DIRTY &&
        !set_row_last(s, &key, p->row.src_first, p->row.src_last))
        return false;
    p->row_state = ROW_CLEAN;
    if (p->position_dirty && !put_position(s, &key, p->position))
        return false;
    p->position_dirty = false;
    return true;
}

/* Writes every pending change into the open transaction (taking its write
 * lock when there is any). */
static st_err flush_all(offset_store *s, char *errbuf, size_t errlen, const char *op)
{
    if (s->dirty && s->in_txn) {
        st_err err = txn_lock(s, errbuf, errlen, op);
        if (err != ST_OK)
            return err;
    }
    while (s->dirty) {
        part_cache *p = s->dirty;
        if (!flush_entry(s, p))
            return fail_sql(s, errbuf, errlen, op);
        s->dirty = p->next_dirty;
        p->listed = false;
        p->next_dirty = NULL;
    }
    return ST_OK;
}

/* ---- Open and close -------------------------------------------------------------------- */

static st_err exec(offset_store *s, const char *sql, char *errbuf, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return ST_OK;
    st_err err = fail(errbuf, errlen, ST_ERR_IO, "offset_store_open: %s",
                      msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return err;
}

static int read_user_version(offset_store *s)
{
    sqlite3_stmt *st = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return version;
}

/* Creates the schema unless present; refuses a newer one. */
static st_err ensure_schema(offset_store *s, char *errbuf, size_t errlen)
{
    /* An existing schema needs no write lock: a running flow holds it
     * almost all the time, and `status` / `failover` must still open. */
    if (read_user_version(s) == SCHEMA_VERSION)
        return ST_OK;
    st_err err = exec(s, "BEGIN IMMEDIATE", errbuf, errlen);
    if (err != ST_OK)
        return err;
    int version = read_user_version(s);
    if (version < 0)
        err = fail_sql(s, errbuf, errlen, "offset_store_open");
    else if (version == 0)
        err = exec(s, SCHEMA_SQL, errbuf, errlen);
    else if (version > SCHEMA_VERSION)
        err = fail(errbuf, errlen, ST_ERR_UNSUPPORTED,
                   "offset_store_open: schema version %d is newer than this program's (%d)",
                   version, SCHEMA_VERSION);
    if (err == ST_OK)
        return exec(s, "COMMIT", errbuf, errlen);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

static st_err prepare_all(offset_store *s, char *errbuf, size_t errlen)
{
    for (int i = 0; i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, STMT_SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[i],
                               NULL) != SQLITE_OK)
            return fail(errbuf, errlen, ST_ERR_IO, "offset_store_open: preparing \"%s\": %s",
                        STMT_SQL[i], sqlite3_errmsg(s->db));
    }
    return ST_OK;
}

st_err offset_store_open(offset_store **out, const char *path, char *errbuf, size_t errlen)
{
    *out = NULL;
    offset_store *s = calloc(1, sizeof(*s));
    if (!s)
        return fail(errbuf, errlen, ST_ERR_NOMEM, "offset_store_open: out of memory");
    strmap_init(&s->parts);
    s->data_version = -1;
    st_err err = ST_OK;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        err = fail(errbuf, errlen, ST_ERR_IO, "offset_store_open: %s: %s", path,
                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
    if (err == ST_OK)
        sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (err == ST_OK)
        err = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", errbuf, errlen);
    if (err == ST_OK)
        err = ensure_schema(s, errbuf, errlen);
    if (err == ST_OK)
        err = prepare_all(s, errbuf, errlen);
    if (err != ST_OK) {
        offset_store_close(s);
        return err;
    }
    *out = s;
    return ST_OK;
}

/* Closing with a transaction open rolls it back: uncommitted records are
 * lost, as after a crash. */
void offset_store_close(offset_store *store)
{
    if (!store)
        return;
    if (store->in_txn && store->locked && store->stmts[S_ROLLBACK])
        run_id(store, S_ROLLBACK);
    cache_drop_all(store);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(store->stmts[i]);
    sqlite3_close(store->db);
    free(store);
}

/* ---- Writing --------------------------------------------------------------------------- */

st_err offset_store_begin(offset_store *store, char *errbuf, size_t errlen)
{
    if (store->in_txn)
        return fail(errbuf, errlen, ST_ERR_UNSUPPORTED,
                    "offset_store_begin: a transaction is already open");
    return txn_begin(store, errbuf, errlen, "offset_store_begin");
}

st_err offset_store_commit(offset_store *store, char *errbuf, size_t errlen)
{
    if (!store->in_txn)
        return ST_OK; /* outside a transaction every write is already committed */
    st_err err = flush_all(store, errbuf, errlen, "offset_store_commit");
    if (err == ST_OK && store->locked && !run_id(store, S_COMMIT))
        err = fail_sql(store, errbuf, errlen, "offset_store_commit");
    if (err != ST_OK) {
        txn_abort(store);
        return err;
    }
    store->in_txn = false;
    store->locked = false; /* nothing written: nothing to commit */
    return ST_OK;
}

/* Records src -> tgt in the cache (the caller's transaction is open). */
static st_err record_in_txn(offset_store *s, const store_key *key, int64_t src, int64_t tgt,
                            char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_record";
    part_cache *p;
    st_err err = cache_get(s, key, &p, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    if (p->has_row && (src <= p->row.src_last || tgt <= row_tgt_last(&p->row)))
        return fail(errbuf, errlen, ST_ERR_OUT_OF_RANGE,
                    "%s: %s/%" PRId32 ": source %" PRId64 " -> target %" PRId64
                    " is not above the last mapping %" PRId64 " -> %" PRId64,
                    op, key->topic, key->partition, src, tgt, p->row.src_last,
                    row_tgt_last(&p->row));
    if (p->has_row && src == p->row.src_last + 1 && tgt == row_tgt_last(&p->row) + 1) {
        p->row.src_last = src;
        if (p->row_state == ROW_CLEAN)
            p->row_state = ROW_DIRTY;
    } else {
        if (!flush_entry(s, p)) /* the old row goes out before the new one replaces it */
            return fail_sql(s, errbuf, errlen, op);
        p->row = (range_row){src, src, tgt};
        p->has_row = true;
        p->row_state = ROW_NEW;
    }
    if (!p->has_position || p->position < src + 1) {
        p->position = src + 1;
        p->has_position = true;
        p->position_dirty = true;
    }
    mark_dirty(s, p);
    return ST_OK;
}

st_err offset_store_record(offset_store *store, const store_key *key, int64_t src, int64_t tgt,
                           char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_record";
    st_err err = check_key(key, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    if (src < 0 || tgt < 0)
        return fail(errbuf, errlen, ST_ERR_OUT_OF_RANGE,
                    "%s: negative offset (source %" PRId64 ", target %" PRId64 ")", op, src, tgt);
    if (store->in_txn)
        return record_in_txn(store, key, src, tgt, errbuf, errlen);
    bool own;
    err = op_begin(store, &own, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    err = record_in_txn(store, key, src, tgt, errbuf, errlen);
    return op_end(store, own, err, errbuf, errlen, op);
}

static st_err advance_in_txn(offset_store *s, const store_key *key, int64_t position,
                             char *errbuf, size_t errlen)
{
    part_cache *p;
    st_err err = cache_get(s, key, &p, errbuf, errlen, "offset_store_advance");
    if (err != ST_OK)
        return err;
    if (p->has_position && p->position >= position)
        return ST_OK;
    p->position = position;
    p->has_position = true;
    p->position_dirty = true;
    mark_dirty(s, p);
    return ST_OK;
}

st_err offset_store_advance(offset_store *store, const store_key *key, int64_t position,
                            char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_advance";
    st_err err = check_key(key, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    if (position < 0)
        return fail(errbuf, errlen, ST_ERR_OUT_OF_RANGE, "%s: negative position %" PRId64, op,
                    position);
    if (store->in_txn)
        return advance_in_txn(store, key, position, errbuf, errlen);
    bool own;
    err = op_begin(store, &own, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    err = advance_in_txn(store, key, position, errbuf, errlen);
    return op_end(store, own, err, errbuf, errlen, op);
}

/* ---- Reading --------------------------------------------------------------------------- */

/* Common start of a keyed read: checks the key and writes pending changes
 * so that the database answers with them. */
static st_err read_prepare(offset_store *s, const store_key *key, char *errbuf, size_t errlen,
                           const char *op)
{
    st_err err = check_key(key, errbuf, errlen, op);
    if (err == ST_OK)
        err = flush_all(s, errbuf, errlen, op);
    return err;
}

st_err offset_store_state(offset_store *store, const store_key *key, store_partition_state *out,
                          char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_state";
    memset(out, 0, sizeof(*out));
    st_err err = read_prepare(store, key, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    range_row first, last;
    int pos = query_position(store, key, &out->position);
    int has_first = pos < 0 ? -1 : query_row(store, S_RANGE_FIRST, key, false, 0, &first);
    int has_last = has_first < 0 ? -1 : query_row(store, S_RANGE_LAST, key, false, 0, &last);
    if (has_last < 0)
        return fail_sql(store, errbuf, errlen, op);
    if (has_first == 1 && has_last == 1) {
        if (query_int64(keyed(store, S_RANGE_COUNT, key, NULL, 0), &out->row_count) != 1)
            return fail_sql(store, errbuf, errlen, op);
        out->has_rows = true;
        out->first_src = first.src_first;
        out->first_tgt = first.tgt_first;
        out->last_src = last.src_last;
        out->last_tgt = row_tgt_last(&last);
        if (pos == 0)
            out->position = last.src_last + 1;
    }
    out->found = pos == 1 || out->has_rows;
    return ST_OK;
}

st_err offset_store_translate(offset_store *store, const store_key *key, int64_t c,
                              store_translation *out, char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_translate";
    memset(out, 0, sizeof(*out));
    out->target_offset = -1;
    st_err err = read_prepare(store, key, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    range_row floor, next;
    int64_t position = 0;
    int has_floor = query_row(store, S_RANGE_FLOOR_SRC, key, true, c, &floor);
    if (has_floor == 1 && c <= floor.src_last) { /* inside a run */
        out->found = true;
        out->target_offset = floor.tgt_first + (c - floor.src_first);
        return ST_OK;
    }
    int has_next = has_floor < 0 ? -1 : query_row(store, S_RANGE_NEXT_SRC, key, true, c, &next);
    if (has_next == 1) { /* in a gap, or below the first row */
        out->found = true;
        out->target_offset = next.tgt_first;
        return ST_OK;
    }
    int has_pos = has_next < 0 ? -1 : query_position(store, key, &position);
    if (has_pos < 0)
        return fail_sql(store, errbuf, errlen, op);
    if (has_floor == 1) { /* beyond the last row, which is floor */
        if (has_pos == 0 || position < floor.src_last + 1)
            position = floor.src_last + 1;
        out->found = true;
        out->target_offset = row_tgt_last(&floor) + 1;
    }
    if ((has_floor == 1 || has_pos == 1) && c > position)
        out->unmirrored = c - position;
    return ST_OK;
}

st_err offset_store_source_for_target(offset_store *store, const store_key *key, int64_t t,
                                      int64_t *src_out, char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_source_for_target";
    *src_out = -1;
    st_err err = read_prepare(store, key, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    range_row floor, next;
    int has_floor = query_row(store, S_RANGE_FLOOR_TGT, key, true, t, &floor);
    if (has_floor == 1 && t <= row_tgt_last(&floor)) {
        *src_out = floor.src_first + (t - floor.tgt_first);
        return ST_OK;
    }
    int has_next = has_floor < 0 ? -1 : query_row(store, S_RANGE_NEXT_TGT, key, true, t, &next);
    if (has_next < 0)
        return fail_sql(store, errbuf, errlen, op);
    if (has_next == 1)
        *src_out = next.src_first;
    return ST_OK;
}

/* ---- Repair and pruning ---------------------------------------------------------------- */

/* Runs one repair on key atomically: pending changes are flushed first, and
 * the partition's cache entry is forgotten afterwards. */
typedef st_err (*repair_fn)(offset_store *s, const store_key *key, int64_t t, char *errbuf,
                            size_t errlen);

static st_err run_repair(offset_store *s, const store_key *key, int64_t t, repair_fn fn,
                         char *errbuf, size_t errlen, const char *op)
{
    st_err err = read_prepare(s, key, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    bool own;
    err = op_begin(s, &own, errbuf, errlen, op);
    if (err != ST_OK)
        return err;
    err = fn(s, key, t, errbuf, errlen);
    err = op_end(s, own, err, errbuf, errlen, op);
    cache_forget(s, key);
    return err;
}

static st_err truncate_rows(offset_store *s, const store_key *key, int64_t t, char *errbuf,
                            size_t errlen)
{
    static const char op[] = "offset_store_truncate_target";
    if (!run_keyed(s, S_RANGE_DELETE_FROM_TGT, key, &t, 1))
        return fail_sql(s, errbuf, errlen, op);
    bool changed = sqlite3_changes(s->db) > 0;
    range_row last;
    int has_last = query_row(s, S_RANGE_LAST, key, false, 0, &last);
    if (has_last < 0)
        return fail_sql(s, errbuf, errlen, op);
    if (has_last == 1 && row_tgt_last(&last) >= t) { /* straddles t: cut its tail */
        last.src_last = last.src_first + (t - 1 - last.tgt_first);
        if (!set_row_last(s, key, last.src_first, last.src_last))
            return fail_sql(s, errbuf, errlen, op);
        changed = true;
    }
    if (!changed)
        return ST_OK; /* nothing at or above t: the position still holds */
    bool ok = has_last == 1 ? put_position(s, key, last.src_last + 1)
                            : run_keyed(s, S_POSITION_DELETE, key, NULL, 0);
    return ok ? ST_OK : fail_sql(s, errbuf, errlen, op);
}

st_err offset_store_truncate_target(offset_store *store, const store_key *key, int64_t t,
                                    char *errbuf, size_t errlen)
{
    return run_repair(store, key, t, truncate_rows, errbuf, errlen,
                      "offset_store_truncate_target");
}

static st_err prune_rows(offset_store *s, const store_key *key, int64_t t, char *errbuf,
                         size_t errlen)
{
    static const char op[] = "offset_store_prune_below_target";
    if (!run_keyed(s, S_RANGE_DELETE_BELOW_TGT, key, &t, 1))
        return fail_sql(s, errbuf, errlen, op);
    range_row r;
    int has = query_row(s, S_RANGE_FLOOR_TGT, key, true, t - 1, &r);
    if (has < 0)
        return fail_sql(s, errbuf, errlen, op);
    if (has == 0 || row_tgt_last(&r) < t)
        return ST_OK;
    /* r straddles t (rows wholly below are gone): cut its front. */
    const int64_t front[] = {r.src_first, r.src_first + (t - r.tgt_first), t};
    return run_keyed(s, S_RANGE_SET_FRONT, key, front, 3) ? ST_OK
                                                          : fail_sql(s, errbuf, errlen, op);
}

st_err offset_store_prune_below_target(offset_store *store, const store_key *key, int64_t t,
                                       char *errbuf, size_t errlen)
{
    return run_repair(store, key, t, prune_rows, errbuf, errlen,
                      "offset_store_prune_below_target");
}

static st_err forget_rows(offset_store *s, const store_key *key, int64_t t, char *errbuf,
                          size_t errlen)
{
    (void)t;
    if (!run_keyed(s, S_RANGE_DELETE_ALL, key, NULL, 0) ||
        !run_keyed(s, S_POSITION_DELETE, key, NULL, 0) ||
        !run_keyed(s, S_STATUS_DELETE, key, NULL, 0))
        return fail_sql(s, errbuf, errlen, "offset_store_forget");
    return ST_OK;
}

st_err offset_store_forget(offset_store *store, const store_key *key, char *errbuf,
                           size_t errlen)
{
    return run_repair(store, key, 0, forget_rows, errbuf, errlen, "offset_store_forget");
}

/* ---- Listings -------------------------------------------------------------------------- */

/* A malloc'd copy of column col (text), "" for NULL; NULL when out of memory. */
static char *column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return strdup(t ? (const char *)t : "");
}

/* Grows *arr (of elem-sized items) so that index n fits. */
static bool grow_array(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return false;
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return true;
}

/* One kind of listed item: how to read it from a result row and free its
 * strings. */
typedef struct item_kind {
    size_t size;
    bool (*read)(sqlite3_stmt *st, void *item); /* false when out of memory */
    void (*clear)(void *item);                  /* frees what read allocated */
} item_kind;

/* Frees items[0..count) and the array. */
static void free_items(const item_kind *kind, void *items, size_t count)
{
    if (!items)
        return;
    for (size_t i = 0; i < count; i++)
        kind->clear((char *)items + i * kind->size);
    free(items);
}

/* Steps the bound statement st to its end, reading each row into a
 * malloc'd array of items: *out (free with free_items) and *count; NULL
 * and 0 on failure (nothing is left allocated then). */
static st_err list_items(offset_store *s, sqlite3_stmt *st, const item_kind *kind, void **out,
                         size_t *count, char *errbuf, size_t errlen, const char *op)
{
    *out = NULL;
    *count = 0;
    void *items = NULL;
    size_t n = 0, cap = 0;
    st_err err = ST_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow_array(&items, &cap, n, kind->size) ||
            !kind->read(st, (char *)items + n++ * kind->size)) {
            err = fail(errbuf, errlen, ST_ERR_NOMEM, "%s: out of memory", op);
            break;
        }
    }
    if (err == ST_OK && rc != SQLITE_DONE)
        err = fail_sql(s, errbuf, errlen, op);
    sqlite3_reset(st);
    if (err != ST_OK) {
        free_items(kind, items, n);
        return err;
    }
    *out = items;
    *count = n;
    return ST_OK;
}

/* ---- Checkpoints ----------------------------------------------------------------------- */

/* A single-statement write as its own unit (see op_begin). */
static st_err run_write(offset_store *s, sqlite3_stmt *st, char *errbuf, size_t errlen,
                        const char *op)
{
    bool own;
    st_err err = op_begin(s, &own, errbuf, errlen, op);
    if (err != ST_OK) {
        sqlite3_reset(st);
        return err;
    }
    if (!run(st))
        err = fail_sql(s, errbuf, errlen, op);
    return op_end(s, own, err, errbuf, errlen, op);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

st_err offset_store_put_checkpoint(offset_store *store, const char *flow,
                                   const store_checkpoint *cp, char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_put_checkpoint";
    if (!flow || !cp || !cp->group || !cp->topic)
        return fail(errbuf, errlen, ST_ERR_MALFORMED, "%s: missing flow, group or topic", op);
    sqlite3_stmt *st = stmt(store, S_CHECKPOINT_PUT);
    sqlite3_bind_text(st, 1, flow, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cp->group, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cp->topic, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, cp->partition);
    sqlite3_bind_int64(st, 5, cp->source_offset);
    sqlite3_bind_int64(st, 6, cp->target_offset);
    sqlite3_bind_text(st, 7, or_empty(cp->metadata), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, cp->time_ms);
    return run_write(store, st, errbuf, errlen, op);
}

static bool checkpoint_read(sqlite3_stmt *st, void *item)
{
    store_checkpoint *cp = item;
    cp->group = column_dup(st, 0);
    cp->topic = column_dup(st, 1);
    cp->partition = sqlite3_column_int(st, 2);
    cp->source_offset = sqlite3_column_int64(st, 3);
    cp->target_offset = sqlite3_column_int64(st, 4);
    cp->metadata = column_dup(st, 5);
    cp->time_ms = sqlite3_column_int64(st, 6);
    return cp->group && cp->topic && cp->metadata;
}

static void checkpoint_clear(void *item)
{
    store_checkpoint *cp = item;
    free(cp->group);
    free(cp->topic);
    free(cp->metadata);
}

static const item_kind checkpoint_items = {sizeof(store_checkpoint), checkpoint_read,
                                           checkpoint_clear};

static bool string_read(sqlite3_stmt *st, void *item)
{
    char **s = item;
    *s = column_dup(st, 0);
    return *s != NULL;
}

static void string_clear(void *item)
{
    free(*(char **)item);
}

static const item_kind string_items = {sizeof(char *), string_read, string_clear};

st_err offset_store_checkpoints(offset_store *store, const char *flow, const char *group,
                                store_checkpoint **out, size_t *count, char *errbuf,
                                size_t errlen)
{
    static const char op[] = "offset_store_checkpoints";
    *out = NULL;
    *count = 0;
    if (!flow || !group)
        return fail(errbuf, errlen, ST_ERR_MALFORMED, "%s: missing flow or group", op);
    sqlite3_stmt *st = stmt(store, S_CHECKPOINT_LIST);
    sqlite3_bind_text(st, 1, flow, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
    void *items;
    st_err err = list_items(store, st, &checkpoint_items, &items, count, errbuf, errlen, op);
    *out = items;
    return err;
}

st_err offset_store_checkpoint_groups(offset_store *store, const char *flow, char ***out,
                                      size_t *count, char *errbuf, size_t errlen)
{
    static const char op[] = "offset_store_checkpoint_groups";
    *out = NULL;
    *count = 0;
    if (!flow)
        return fail(errbuf, errlen, ST_ERR_MALFORMED, "%s: missing flow", op);
    sqlite3_stmt *st = stmt(store, S_CHECKPOINT_GROUPS);
    sqlite3_bind_text(st, 1, flow, -1, SQLITE_STATIC);
    void *items;
    st_err err = list_items(store, st, &string_items, &items, count, errbuf, errlen, op);
    *out = items;
    return err;
}

void offset_store_free_checkpoints(store_checkpoint *cps, size_t count)
{
    free_items(&checkpoint_items, cps, count);
}

void offset_store_free_strings(char **strings, size_t count)
{
    free_items(&string_items, strings, count);
}

/* ---- Status rows ----------------------------------------------------------------------- */

st_err offset_store_put_status(offset_store *store, const store_status *row, char *errbuf,
                               size_t errlen)
{
    static const char op[] = "offset_store_put_status";
    if (!row || !row->flow || !row->topic)
        return fail(errbuf, errlen, ST_ERR_MALFORMED, "%s: missing flow or topic", op);
    sqlite3_stmt *st = stmt(store, S_STATUS_PUT);
    bind_key(st, row->flow, row->topic, row->partition);
    sqlite3_bind_text(st, 4, or_empty(row->target_topic), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, row->position);
    sqlite3_bind_int64(st, 6, row->source_end);
    sqlite3_bind_int64(st, 7, row->target_end);
    sqlite3_bind_int64(st, 8, row->lag_records);
    sqlite3_bind_double(st, 9, row->lag_seconds);
    sqlite3_bind_int64(st, 10, row->records);
    sqlite3_bind_int64(st, 11, row->bytes);
    sqlite3_bind_int64(st, 12, row->errors);
    sqlite3_bind_text(st, 13, or_empty(row->last_error), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 14, row->updated_ms);
    return run_write(store, st, errbuf, errlen, op);
}

static bool status_read(sqlite3_stmt *st, void *item)
{
    store_status *r = item;
    r->flow = column_dup(st, 0);
    r->topic = column_dup(st, 1);
    r->partition = sqlite3_column_int(st, 2);
    r->target_topic = column_dup(st, 3);
    r->position = sqlite3_column_int64(st, 4);
    r->source_end = sqlite3_column_int64(st, 5);
    r->target_end = sqlite3_column_int64(st, 6);
    r->lag_records = sqlite3_column_int64(st, 7);
    r->lag_seconds = sqlite3_column_double(st, 8);
    r->records = sqlite3_column_int64(st, 9);
    r->bytes = sqlite3_column_int64(st, 10);
    r->errors = sqlite3_column_int64(st, 11);
    r->last_error = column_dup(st, 12);
    r->updated_ms = sqlite3_column_int64(st, 13);
    return r->flow && r->topic && r->target_topic && r->last_error;
}

static void status_clear(void *item)
{
    store_status *r = item;
    free(r->flow);
    free(r->topic);
    free(r->target_topic);
    free(r->last_error);
}

static const item_kind status_items = {sizeof(store_status), status_read, status_clear};

st_err offset_store_status(offset_store *store, const char *flow, store_status **out,
                           size_t *count, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = stmt(store, flow ? S_STATUS_FLOW : S_STATUS_ALL);
    if (flow)
        sqlite3_bind_text(st, 1, flow, -1, SQLITE_STATIC);
    void *items;
    st_err err = list_items(store, st, &status_items, &items, count, errbuf, errlen,
                            "offset_store_status");
    *out = items;
    return err;
}

void offset_store_free_status(store_status *rows, size_t count)
{
    free_items(&status_items, rows, count);
}
