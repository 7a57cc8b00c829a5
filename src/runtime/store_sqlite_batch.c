/* Group commit for the SQLite store (store.h batch_begin / batch_end, added by E2): the writes
 * of a batch share one BEGIN IMMEDIATE ... COMMIT, each inside SAVEPOINT ssot_write so that a
 * failing write rolls back alone. One commit then writes the WAL pages that several writes
 * touched once, instead of once per write. Uses store_sqlite.h. */
#include "store_sqlite.h"

ssot_store_status sq_batch_begin(ssot_store *store, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    (void)err;
    s->batch = 1;
    s->batch_writes = 0;
    s->batch_lost = 0;
    return SSOT_STORE_OK; /* the first write opens the transaction */
}

ssot_store_status sq_batch_write_begin(sqlite_store *s, const ssot_model *m, ssot_store_error *err) {
    if (sqlite3_get_autocommit(s->db)) {
        if (s->batch_writes > 0 || s->batch_lost) { /* an error already rolled the batch back */
            s->batch_lost = 1;
            return sq_fail(err, SSOT_STORE_ERROR, NULL, "the batch's transaction was rolled back by an earlier error");
        }
        int rc = sq_exec(s, s->begin_immediate);
        if (rc != SQLITE_DONE) return sq_db_error(s, m, rc, err);
    }
    int rc = sq_exec(s, s->savepoint);
    return rc == SQLITE_DONE ? SSOT_STORE_OK : sq_db_error(s, m, rc, err);
}

ssot_store_status sq_batch_write_finish(sqlite_store *s, const ssot_model *m, ssot_store_status status,
                                        ssot_store_error *err) {
    if (sqlite3_get_autocommit(s->db)) { /* SQLite rolled the whole transaction back (I/O, full disk) */
        if (s->batch_writes > 0) s->batch_lost = 1;
        return status == SSOT_STORE_OK
                   ? sq_fail(err, SSOT_STORE_ERROR, NULL, "the transaction was rolled back by the database")
                   : status;
    }
    if (status == SSOT_STORE_OK) {
        int rc = sq_exec(s, s->release);
        if (rc == SQLITE_DONE) {
            s->batch_writes++;
            return SSOT_STORE_OK;
        }
        status = sq_db_error(s, m, rc, err);
    }
    sq_exec(s, s->rollback_to); /* this write only */
    sq_exec(s, s->release);
    return status;
}

ssot_store_status sq_batch_end(ssot_store *store, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    int lost = s->batch_lost;
    s->batch = 0;
    s->batch_writes = 0;
    s->batch_lost = 0;
    if (lost) {
        sq_rollback(s);
        return sq_fail(err, SSOT_STORE_ERROR, NULL, "the batch's transaction was rolled back by an error");
    }
    if (sqlite3_get_autocommit(s->db)) return SSOT_STORE_OK; /* no write opened it */
    return sq_commit(s, NULL, err);
}
