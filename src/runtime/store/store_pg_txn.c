/* The PostgreSQL store's transactions for reads: a read outside any transaction is one
 * REPEATABLE READ READ ONLY transaction of its own (its statements see one state); inside a
 * write or batch it joins that transaction; inside a snapshot (snapshot_begin/end) the first
 * read opens one that the next reads share until snapshot_end or a write. libpq's
 * PQtransactionStatus says whether one is open. Uses libpq (store_pg_internal.h). */
#include "runtime/store/store_pg_internal.h"

int pg_exec_ok(pg_store *s, const char *sql) {
    PGresult *r = PQexec(s->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

ssot_store_status pg_read_begin(pg_store *s, int *began, ssot_store_error *err) {
    *began = 0;
    if (PQtransactionStatus(s->conn) == PQTRANS_INTRANS) return SSOT_STORE_OK; /* a write, batch or snapshot */
    ssot_store_status ready = pg_connection_ready(s, err);
    if (ready != SSOT_STORE_OK) return ready;
    if (!pg_exec_ok(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") &&
        !(pg_reconnected(s, err) && pg_exec_ok(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")))
        return pg_conn_error(s, "starting a read", err);
    if (s->snapshot)
        s->snapshot_open = 1; /* shared by the next reads */
    else
        *began = 1;
    return SSOT_STORE_OK;
}

void pg_read_end(pg_store *s, int began) {
    if (began) {
        pg_exec_ok(s, "ROLLBACK"); /* a read transaction: nothing to commit */
    } else if (s->snapshot_open && PQtransactionStatus(s->conn) == PQTRANS_INERROR) {
        pg_exec_ok(s, "ROLLBACK"); /* the snapshot's, which a failed statement ended */
        s->snapshot_open = 0;
    }
    /* a write's or batch's transaction that a failed read left aborted is theirs to end: they
     * find it so before their next statement (store_pg_write.c) */
}

void pg_snapshot_close(pg_store *s) {
    if (!s->snapshot_open) return;
    s->snapshot_open = 0;
    pg_exec_ok(s, "ROLLBACK");
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
