/* Internals shared by the PostgreSQL store's files (store_pg*.c): the store struct, error
 * helpers and rows. Only store_pg*.c include this. Uses libpq, store.h. */
#ifndef SSOT_RUNTIME_STORE_PG_INTERNAL_H
#define SSOT_RUNTIME_STORE_PG_INTERNAL_H

#include "runtime/store/store_pg.h"

#include <libpq-fe.h>

typedef struct pg_store {
    ssot_store base;
    PGconn *conn;
    char *where;     /* ""x" on socket /dir" or ""x" on host h port p": for messages */
    char *dbname;
    int64_t history;
    ssot_store_ops ops; /* this store's table, filled by the files' pg_*_ops below */
    int snapshot;       /* between snapshot_begin and snapshot_end */
    int snapshot_open;  /* the snapshot's read transaction is open */
    struct pg_notify *notify; /* store_pg_notify.c: the LISTEN connection (NULL until asked) */
    unsigned char *get_prepared; /* store_pg_read.c: per model index, whether this connection has
                                  * its get statement prepared (calloc'd at the first get; close frees) */
    /* store_pg_read.c: list statements prepared on this connection, by their SQL */
    struct pg_list_statement { char *sql; uint64_t used; unsigned number; } *lists;
    size_t nlists;
    uint64_t list_clock;
    unsigned list_numbers;
    int position_prepared; /* store_pg.c */
    /* store_pg_write.c */
    unsigned char *write_prepared; /* per model index, PG_PREPARED_* bits of this connection */
    int change_prepared;           /* the change stream's statements are prepared */
    unsigned transaction;          /* numbers the write transactions this connection began */
    unsigned *stream_locked;       /* per model index, the write transaction holding its stream lock */
    int took_lock;                 /* the write in progress took its model's stream lock */
    char xid[24];                  /* the open write transaction's id once it appended an event, or "" */
    int batch, batch_writes, batch_lost; /* between batch_begin and batch_end (store_sqlite_batch.c's) */
    ssot_store_error batch_loss;   /* why the batch's transaction was lost */
    ssot_buf existing;             /* the row before an update or delete: json, id, owner (NUL-ended) */
    ssot_buf written;              /* the written row's id and owner, NUL-ended */
    char at[25];                   /* the last change's commit time */
} pg_store;

/* Before any command outside a transaction: a lost connection is made again (PQreset) and
 * what was prepared on the old one forgotten; UNAVAILABLE when the database stays out of
 * reach (the next call tries again). */
ssot_store_status pg_connection_ready(pg_store *s, ssot_store_error *err);

/* After the first command outside a transaction failed: 1 when the connection had been lost
 * (the server restarted, or ended the session) and is made again, so the command may run once
 * more; 0 otherwise (err then says why when it could not be made again). libpq learns that a
 * connection is gone only when a command fails on it. */
int pg_reconnected(pg_store *s, ssot_store_error *err);

/* Fills err and returns status. */
ssot_store_status pg_fail(ssot_store_error *err, ssot_store_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The error of the last command on s->conn: UNAVAILABLE when the connection is gone, ERROR
 * otherwise; doing says what was being done. */
ssot_store_status pg_conn_error(pg_store *s, const char *doing, ssot_store_error *err);

/* A fresh random stream epoch (32 hex digits); -1 without random bytes. */
int pg_new_epoch(char epoch[SSOT_EPOCH_SIZE]);

/* store_pg_schema.c: brings the schema to the app's IR in one transaction (store_pg.h). */
ssot_store_status pg_schema_sync(pg_store *s, ssot_store_error *err);

/* --- the ops table: each file fills its members ------------------------------------------ */

void pg_txn_ops(ssot_store_ops *ops);   /* store_pg_txn.c: snapshot_begin, snapshot_end */
void pg_read_ops(ssot_store_ops *ops);  /* store_pg_read.c: list, get */
void pg_write_ops(ssot_store_ops *ops); /* store_pg_write.c: create, update, remove, events_since,
                                         * batch_begin, batch_end */
void pg_notify_ops(ssot_store_ops *ops); /* store_pg_notify.c: signal_fd, signal_drain, signal_send
                                          * (and a close that ends the LISTEN connection first) */

/* --- store_pg_txn.c: read transactions --------------------------------------------------- */

/* Runs a statement without parameters or result rows; 1 when it succeeded. */
int pg_exec_ok(pg_store *s, const char *sql);

/* Before a read's statements: joins the open transaction (a write, a batch, the snapshot's)
 * or begins one (REPEATABLE READ READ ONLY); *began says whether pg_read_end must end it. */
ssot_store_status pg_read_begin(pg_store *s, int *began, ssot_store_error *err);
/* After them: ends the read's own transaction (and one a failed statement left aborted). */
void pg_read_end(pg_store *s, int began);
/* Ends the snapshot's open read transaction: a write calls it first, to see the latest state. */
void pg_snapshot_close(pg_store *s);

/* --- store_pg_row.c: rows and values ------------------------------------------------------ */

/* Appends name as a quoted SQL identifier ("x", quotes inside doubled). */
void pg_ident(ssot_buf *b, const char *name);

/* Appends the model's columns in field order ("a", "b", ...; each prefixed by table_alias and
 * a dot unless table_alias is NULL): the select list pg_row_json reads. */
void pg_select_columns(ssot_buf *sql, const ssot_model *m, const char *table_alias);

/* Appends the REST JSON of row `row` of r, whose columns col0.. are pg_select_columns' (text
 * format): the same bytes the SQLite store writes. Returns 0, or -1 when memory ran out. */
int pg_row_json(ssot_buf *out, const ssot_model *m, const PGresult *r, int row, int col0);

/* The primary key's and owner field's text in such a row (owner: NULL without an owner
 * field or when null). Valid as long as r. */
const char *pg_row_id(const ssot_model *m, const PGresult *r, int row, int col0);
const char *pg_row_owner(const ssot_model *m, const PGresult *r, int row, int col0);

/* The id of a URL segment (n bytes) as the text to bind: a canonical int64 or a lowercase
 * UUID. Returns 0, or -1 when it is malformed for the model's id kind (names no row). */
int pg_id_text(const ssot_model *m, const char *id, size_t n, char out[SSOT_ID_TEXT_SIZE]);

/* Appends a checked, non-null JSON value of field f as the text PostgreSQL parses for its
 * column type (bool true/false, numbers, strings as they are, json compact). 0 or -1. */
int pg_value_text(ssot_buf *out, const ssot_field *f, const json_t *value);

/* store_pg_read.c: forgets the list statements, when the connection they were prepared on is
 * gone or at close. */
void pg_lists_forget(pg_store *s);

/* --- store_pg_where.c: list queries as SQL ------------------------------------------------ */

/* The text parameters of one statement, in order ($1 is values[0]): their bytes, NUL-ended,
 * one after the other in text. Zero-initialise; pg_params_free releases. */
typedef struct pg_params {
    ssot_buf text;
    size_t *offsets;
    size_t n, cap;
    const char **values;
} pg_params;

void pg_params_free(pg_params *p);
/* Adds a parameter and appends its "$k" to sql. 0, or -1 when memory ran out. */
int pg_param_text(pg_params *p, ssot_buf *sql, const char *text);
int pg_param_int(pg_params *p, ssot_buf *sql, int64_t v);
/* The values for PQexecParams (valid until the next change to p); NULL without parameters
 * or when memory ran out (then p->n > 0). */
const char *const *pg_params_values(pg_params *p);

/* Whether f's column is TEXT (string, text, datetime, enum, a UUID id): compared and ordered
 * in the "C" collation, by bytes as SQLite does. */
int pg_text_column(const ssot_field *f);

/* Appends " WHERE ..." for q's conditions AND pred (NULL: none), values added to p. */
ssot_store_status pg_compile_where(const ssot_query *q, const ssot_pred *pred, ssot_buf *sql, pg_params *p,
                                   ssot_store_error *err);
/* Appends " ORDER BY ..." for q's order, always ending with the primary key. */
void pg_order_by(ssot_buf *sql, const ssot_query *q);

#endif
