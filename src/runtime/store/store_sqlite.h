/* Internals shared by the SQLite store files: the store struct, the per-model prepared
 * statements, the statement cache for list shapes, and helpers for errors and binding.
 * Only store_sqlite*.c (and white-box tests) include this. Uses SQLite, jansson, buf.h. */
#ifndef SSOT_RUNTIME_STORE_SQLITE_H
#define SSOT_RUNTIME_STORE_SQLITE_H

#include "runtime/store/store.h"

#include <sqlite3.h>

/* Result columns of every row-producing statement: the row JSON, the id and the owner. */
enum { COL_ROW = 0, COL_ID = 1, COL_OWNER = 2 };

/* The statements of one model, prepared at open. */
typedef struct model_statements {
    sqlite3_stmt *get;    /* ?1 id -> row, id, owner */
    sqlite3_stmt *insert; /* one parameter per inserted column (see insert_fields) -> row, id, owner */
    sqlite3_stmt *update; /* per updatable field a flag and a value, then the id -> row, id, owner */
    sqlite3_stmt *remove; /* ?1 id */
    sqlite3_stmt *page;   /* ?1 limit ?2 offset -> row, id, owner, ordered by id */
    sqlite3_stmt *count;  /* -> count(*) */
    const ssot_field **insert_fields; /* the columns of insert, in parameter order */
    size_t ninsert;
    const ssot_field **update_fields; /* the fields of update, in parameter order (pairs) */
    size_t nupdate;
    char *select_list; /* "json_object(...), CAST(pk AS TEXT), CAST(owner AS TEXT)" */
} model_statements;

/* A small cache of list statements keyed by their SQL text. */
#define STMT_CACHE_SIZE 64
typedef struct cached_stmt {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *stmt;
} cached_stmt;

/* A value to bind to the next list parameter. */
typedef struct bind_value {
    enum { BIND_NULL, BIND_INT, BIND_REAL, BIND_TEXT } type;
    int64_t i;
    double d;
    const char *s;
    size_t n;
} bind_value;

typedef struct sq_checkpointer sq_checkpointer; /* store_sqlite_checkpoint.c */

typedef struct sqlite_store {
    ssot_store base;
    sqlite3 *db;
    char *path;
    int64_t history;
    model_statements *models; /* one per app model, same index */
    sqlite3_stmt *begin, *begin_immediate, *commit, *rollback;
    sqlite3_stmt *savepoint, *release, *rollback_to; /* one write of a batch (store_sqlite_batch.c) */
    int batch;          /* between batch_begin and batch_end */
    int64_t batch_writes; /* writes of the open batch that returned OK */
    int batch_lost;     /* an error rolled the batch's transaction back */
    ssot_store_error batch_loss; /* that error */
    int snapshot;       /* between snapshot_begin and snapshot_end: reads share a transaction */
    int snapshot_open;  /* that shared read transaction is open */
    sq_checkpointer *checkpointer; /* WAL checkpoints on a thread of their own; NULL without a WAL */
    sqlite3_stmt *stream_position; /* ?1 model -> epoch, floor offset, newest event's offset or NULL */
    sqlite3_stmt *stream_floor;    /* ?1 model ?2 offset: records the offset when pruning */
    sqlite3_stmt *stream_epoch;    /* ?1 model ?2 epoch: a new epoch after the history was lost */
    sqlite3_stmt *change_insert;   /* ?1 model ?2 offset ?3 event ?4 row_id ?5 owner ?6 data ?7 at
                                    * ?8 previous_owner ?9 previous (updates) */
    sqlite3_stmt *change_prune;    /* ?1 model ?2 keep offsets above this */
    sqlite3_stmt *change_oldest;   /* ?1 model -> min(offset) */
    sqlite3_stmt *change_since;    /* ?1 model ?2 offset -> offset, event, row_id, owner, data, at,
                                    * previous_owner, previous */
    cached_stmt cache[STMT_CACHE_SIZE];
    unsigned cache_next;
    ssot_buf sql;       /* scratch: the WHERE clause of a list query */
    ssot_buf scratch;   /* scratch: the SQL of a list statement (count or page) */
    ssot_buf existing;  /* the row shown to authorize: JSON, NUL, id, NUL, owner, NUL; an
                         * update's change points its previous row here */
    bind_value *binds;  /* scratch: list parameters */
    size_t nbinds, binds_cap;
    char at[25];        /* the time of the last change */
    char *owner_copy;   /* copies that back ssot_change.row after the statement is reset */
    char id_copy[SSOT_ID_TEXT_SIZE];
    size_t owner_copy_cap;
} sqlite_store;

/* store_sqlite.c */
ssot_store_status sq_fail(ssot_store_error *err, ssot_store_status status, const ssot_field *field, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));
/* Maps a failed SQLite call on db to a store status with the message (and field for
 * constraint failures on model). */
ssot_store_status sq_db_error(sqlite_store *s, const ssot_model *model, int rc, ssot_store_error *err);
/* An error that is no constraint and no lock: a full disk or file size limit (FULL), a
 * read-only file, file system or another I/O error (UNAVAILABLE), else ERROR. */
ssot_store_status sq_io_error(sqlite_store *s, int rc, ssot_store_error *err);
/* Whether the last failure on the connection was a foreign-key constraint. */
int sq_foreign_key_error(sqlite_store *s);
int sq_exec(sqlite_store *s, sqlite3_stmt *stmt); /* steps a statement without rows and resets it */
sqlite3_stmt *sq_prepare(sqlite_store *s, const char *sql, ssot_store_error *err);
void sq_rollback(sqlite_store *s);
/* Starts a read transaction unless one (e.g. an authorize callback's write, or the shared
 * snapshot) is open; *began says whether sq_end_read must end it (never for the snapshot's,
 * which lasts until snapshot_end or the next write). */
ssot_store_status sq_begin_read(sqlite_store *s, const ssot_model *model, int *began, ssot_store_error *err);
void sq_end_read(sqlite_store *s, int began);
ssot_store_status sq_commit(sqlite_store *s, const ssot_model *model, ssot_store_error *err);

/* store_sqlite_batch.c: group commit (store.h batch_begin / batch_end), and where a write
 * of a batch starts (its savepoint) and ends (released, or rolled back alone). */
ssot_store_status sq_batch_begin(ssot_store *store, ssot_store_error *err);
ssot_store_status sq_batch_end(ssot_store *store, ssot_store_error *err);
/* The shared read snapshot (store.h snapshot_begin / snapshot_end); sq_snapshot_close ends
 * its transaction before a write (the snapshot stays on: the next read opens a new one). */
void sq_snapshot_begin(ssot_store *store);
void sq_snapshot_end(ssot_store *store);
void sq_snapshot_close(sqlite_store *s);

/* store_sqlite_checkpoint.c: WAL checkpoints on a thread of their own instead of inside the
 * commit that crosses the threshold (pages frames); started once the database is open
 * (nothing to do without a WAL), stopped before the store's connection closes. */
ssot_store_status sq_checkpointer_start(sqlite_store *s, int pages, ssot_store_error *err);
void sq_checkpointer_stop(sqlite_store *s);
/* Waits until the thread has finished the checkpoint a commit asked for, if any (for tests:
 * on a loaded machine the thread may otherwise not run for a long while); at most ~10 s. */
void sq_checkpointer_wait(sqlite_store *s);
ssot_store_status sq_batch_write_begin(sqlite_store *s, const ssot_model *m, ssot_store_error *err);
ssot_store_status sq_batch_write_finish(sqlite_store *s, const ssot_model *m, ssot_store_status status,
                                        ssot_store_error *err);

/* store_sqlite_schema.c: brings the database to the app's IR (or refuses). */
ssot_store_status sq_schema_sync(sqlite_store *s, ssot_store_error *err);

/* store_sqlite_prepare.c: the per-model statements; the list statement cache. */
ssot_store_status sq_prepare_models(sqlite_store *s, ssot_store_error *err);
/* The SQL function the row JSON reads float columns through: the shortest text that reads
 * back as the same double, as JSON (SQLite's json_object prints 15 digits). Registered on a
 * connection by sq_register_functions. */
#define SQ_REAL_FUNCTION "ssot_real"
int sq_register_functions(sqlite3 *db);
void sq_finalize_models(sqlite_store *s);
sqlite3_stmt *sq_cached(sqlite_store *s, const char *sql, size_t n, ssot_store_error *err);
/* Binds a JSON literal for field (bool -> 0/1, json -> its text) at parameter i. */
int sq_bind_json(sqlite_store *s, sqlite3_stmt *stmt, int i, const ssot_field *field, json_t *value);
/* Appends a quoted SQL identifier. */
void sq_ident(ssot_buf *b, const char *name);
/* Parses the id of a URL for model and binds it at parameter i; 0, or -1 when malformed. */
int sq_bind_id(sqlite3_stmt *stmt, int i, const ssot_model *model, const char *id, size_t n);
/* Fills a row view from the current result row of stmt (columns COL_ROW, COL_ID, COL_OWNER). */
void sq_row_view(sqlite3_stmt *stmt, ssot_row_view *row);

/* Column values copied out of a statement, so that a callback (a row filter, a replay visitor)
 * runs after the statement was reset: the callback may read through the same store — a Lua
 * rule calling ssot.get — and the store's statements, cache and buffers are shared, so none
 * may be mid-read then. Each value is its length (SIZE_MAX for NULL) and its bytes with a NUL. */
void sq_pack_column(ssot_buf *b, sqlite3_stmt *stmt, int col);
void sq_pack_int(ssot_buf *b, int64_t v);
/* Reads back what was packed at *at, in the same order, advancing *at. A NULL column gives
 * NULL (len 0). */
const char *sq_unpack_text(const char **at, size_t *len);
int64_t sq_unpack_int(const char **at);
/* Packs the current row's (row, id, owner) columns; sq_unpack_row_view reads them back. */
void sq_pack_row_view(ssot_buf *b, sqlite3_stmt *stmt);
void sq_unpack_row_view(const char **at, ssot_row_view *row);

/* store_sqlite_where.c: compiles the WHERE clause of a list query and a row filter. */
ssot_store_status sq_compile_where(sqlite_store *s, const ssot_query *q, const ssot_pred *pred, ssot_buf *sql,
                                   ssot_store_error *err);
int sq_bind_all(sqlite_store *s, sqlite3_stmt *stmt, int first);

/* store_sqlite_stream.c: the change stream. */
/* Copies the current result row of stmt (row, id, owner) to the end of out and the store's
 * copies, and points change->row at them. Returns 0, or -1 when memory ran out. */
int sq_capture_row(sqlite_store *s, sqlite3_stmt *stmt, ssot_buf *out, ssot_change *change);
int sq_capture_view(sqlite_store *s, const ssot_row_view *row, ssot_buf *out, ssot_change *change);
/* In the open write transaction: takes the model's next offset, writes the event for
 * change->row (and for an update change->previous, set by the caller) and prunes the
 * history; fills the rest of change. */
ssot_store_status sq_append_change(sqlite_store *s, const ssot_model *model, ssot_event_kind kind, ssot_change *change,
                                   ssot_store_error *err);
ssot_store_status sq_read_position(sqlite_store *s, const ssot_model *model, ssot_stream_position *pos,
                                   ssot_store_error *err);
ssot_store_status sq_ensure_streams(sqlite_store *s, ssot_store_error *err);
ssot_store_status sq_position(ssot_store *store, const ssot_model *model, ssot_stream_position *pos,
                              ssot_store_error *err);
ssot_store_status sq_events_since(ssot_store *store, const ssot_model *model, const ssot_stream_position *since,
                                  ssot_change_visit_fn visit, void *ctx, ssot_stream_position *now,
                                  ssot_store_error *err);

/* store_sqlite_read.c */
ssot_store_status sq_list(ssot_store *store, const ssot_query *query, const ssot_row_filter *filter, ssot_buf *out,
                          ssot_stream_position *pos, ssot_store_error *err);
ssot_store_status sq_get(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                         const ssot_row_filter *filter, ssot_buf *out, ssot_store_error *err);

/* store_sqlite_write.c */
ssot_store_status sq_create(ssot_store *store, const ssot_model *model, json_t *body, ssot_buf *out,
                            ssot_change *change, ssot_store_error *err);
ssot_store_status sq_update(ssot_store *store, const ssot_model *model, const char *id, size_t n, json_t *body,
                            ssot_update_mode mode, const ssot_authorize *authorize, ssot_buf *out,
                            ssot_change *change, ssot_store_error *err);
ssot_store_status sq_remove(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                            const ssot_authorize *authorize, ssot_buf *out, ssot_change *change,
                            ssot_store_error *err);

#endif
