/* The PostgreSQL store's transactions for reads: a read outside any transaction is one
 * REPEATABLE READ READ ONLY transaction of its own (its statements see one state); inside a
 * write or batch it joins that transaction; inside a snapshot (snapshot_begin/end) the first
 * read opens one that the next reads share until snapshot_end or a write. libpq's
 * PQtransactionStatus says whether one is open. Uses libpq (store_pg_internal.h). */
#include "runtime/store/store_pg_internal.h"

static int exec_ok(PGconn *conn, const char *sql) {
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

ssot_store_status pg_read_begin(pg_store *s, int *began, ssot_store_error *err) {
    *began = 0;
    if (PQtransactionStatus(s->conn) == PQTRANS_INTRANS) return SSOT_STORE_OK; /* a write, batch or snapshot */
    if (!exec_ok(s->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        return pg_conn_error(s, "starting a read", err);
    if (s->snapshot)
        s->snapshot_open = 1; /* shared by the next reads */
    else
        *began = 1;
    return SSOT_STORE_OK;
}

void pg_read_end(pg_store *s, int began) {
    if (began || PQtransactionStatus(s->conn) == PQTRANS_INERROR) {
        exec_ok(s->conn, "ROLLBACK"); /* a read transaction: nothing to commit */
        if (!began) s->snapshot_open = 0;
    }
}

void pg_snapshot_close(pg_store *s) {
    if (!s->snapshot_open) return;
    s->snapshot_open = 0;
    exec_ok(s->conn, "ROLLBACK");
}

static void pg_snapshot_begin(ssot_store *store) { ((pg_store *)store)->snapshot = 1; }

static void pg_snapshot_end(ssot_store *store) {
    pg_store *s = (pg_store *)store;
    pg_snapshot_close(s);
    s->snapshot = 0;
}

void pg_txn_ops(ssot_store_ops *ops) {
    ops->snapshot_begin = pg_snapshot_begin;
    ops->snapshot_end = pg_snapshot_end;
}
