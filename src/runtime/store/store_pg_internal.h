/* Internals shared by the PostgreSQL store's files (store_pg.c, store_pg_schema.c): the
 * store struct and error helpers. Only store_pg*.c include this. Uses libpq, store.h. */
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
} pg_store;

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

#endif
