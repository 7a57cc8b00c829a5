/* Batches of the SQLite store. Group commit (store.h batch_begin / batch_end, added by E2):
 * the writes of a batch share one BEGIN IMMEDIATE ... COMMIT, each inside SAVEPOINT
 * ssot_write so that a failing write rolls back alone; one commit then writes the WAL pages
 * that several writes touched once, instead of once per write. The shared read snapshot
 * (snapshot_begin / snapshot_end): reads share one read transaction, so SQLite takes and
 * releases its file locks (two fcntl calls) once per snapshot instead of once per read.
 * Uses store_sqlite.h. */
#include "runtime/store/store_sqlite.h"

#include <stdio.h>

ssot_store_status sq_batch_begin(ssot_store *store, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    (void)err;
    s->batch = 1;
    s->batch_writes = 0;
    s->batch_lost = 0;
    return SSOT_STORE_OK; /* the first write opens the transaction */
}

/* The batch's transaction is gone (SQLite rolled it back): the writes that were in it, and
 * any after, fail with the error that ended it (a full disk stays 507, not 500). */
static ssot_store_status lose_batch(sqlite_store *s, const ssot_store_error *cause, ssot_store_error *err) {
    if (!s->batch_lost) {
        s->batch_lost = 1;
        if (cause && cause->status != SSOT_STORE_OK && cause->message[0]) {
            s->batch_loss = *cause;
        } else {
            s->batch_loss.status = SSOT_STORE_ERROR;
            snprintf(s->batch_loss.message, sizeof s->batch_loss.message, "the transaction was rolled back by the database");
        }
    }
    return sq_fail(err, s->batch_loss.status, NULL, "%s", s->batch_loss.message);
}

ssot_store_status sq_batch_write_begin(sqlite_store *s, const ssot_model *m, ssot_store_error *err) {
    if (sqlite3_get_autocommit(s->db)) {
        if (s->batch_writes > 0 || s->batch_lost) /* an error already rolled the batch back */
            return lose_batch(s, NULL, err);
        int rc = sq_exec(s, s->begin_immediate);
        if (rc != SQLITE_DONE) return sq_db_error(s, m, rc, err);
    }
    int rc = sq_exec(s, s->savepoint);
    return rc == SQLITE_DONE ? SSOT_STORE_OK : sq_db_error(s, m, rc, err);
}

ssot_store_status sq_batch_write_finish(sqlite_store *s, const ssot_model *m, ssot_store_status status,
                                        ssot_store_error *err) {
    if (sqlite3_get_autocommit(s->db)) { /* SQLite rolled the whole transaction back (I/O, full disk) */
        if (s->batch_writes > 0 || status == SSOT_STORE_OK) {
            if (status == SSOT_STORE_OK) err->status = SSOT_STORE_OK; /* no cause of its own */
            return lose_batch(s, err, err);
        }
        return status;
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
        return sq_fail(err, s->batch_loss.status, NULL, "the batch was rolled back: %s", s->batch_loss.message);
    }
    if (sqlite3_get_autocommit(s->db)) return SSOT_STORE_OK; /* no write opened it */
    return sq_commit(s, NULL, err);
}

void sq_snapshot_begin(ssot_store *store) { ((sqlite_store *)store)->snapshot = 1; }

void sq_snapshot_close(sqlite_store *s) {
    if (!s->snapshot_open) return;
    s->snapshot_open = 0;
    /* only reads ran in it (every write closes it first), so COMMIT just releases the locks */
    if (!sqlite3_get_autocommit(s->db) && sq_exec(s, s->commit) != SQLITE_DONE) sq_rollback(s);
}

void sq_snapshot_end(ssot_store *store) {
    sqlite_store *s = (sqlite_store *)store;
    sq_snapshot_close(s);
    s->snapshot = 0;
}
