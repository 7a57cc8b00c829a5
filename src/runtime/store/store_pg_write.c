/* The PostgreSQL store's writes: create, update (PATCH / PUT) and delete, each in one READ
 * COMMITTED transaction with its change event and its NOTIFY, answered only after COMMIT;
 * batches (group commit: one transaction, a savepoint per write); and the replay of the change
 * stream. The same statuses, messages and row JSON as the SQLite store (store_sqlite_write.c,
 * store_sqlite_stream.c), so nothing above store.h can tell them apart.
 *
 * Offsets: each write takes its model's advisory lock in the write's own transaction, held
 * until COMMIT, and appends its event at the newest offset plus one, as the SQLite store does
 * (_ssot_streams."offset" is a floor written when pruning). The writers of one model, on any
 * node, thus commit one after another: offsets are gapless and in commit order, and NOTIFY
 * (sent at COMMIT, in commit order) tells every node which offset is new.
 * Uses libpq (store_pg_internal.h), store_stream.h, value.h. */
#include "runtime/store/store_pg_internal.h"

#include "runtime/model/value.h"
#include "runtime/store/store_messages.h"
#include "runtime/store/store_stream.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statements prepared per model and connection (bits of s->write_prepared). */
enum { PREPARED_INSERT = 1, PREPARED_LOCK = 2, PREPARED_UPDATE = 4, PREPARED_REMOVE = 8 };

#define CHANGE_LOCK "ssot_change_lock"
#define CHANGE_APPEND "ssot_change_append"

/* As the SQLite store's statements (store_sqlite_prepare.c): an insert sets every column but
 * an integer id (the identity fills it); an update every column but the id and create times. */
static int inserted(const ssot_field *f) { return !(f->type == SSOT_TYPE_ID && f->id_kind == SSOT_ID_INTEGER); }
static int updated(const ssot_field *f) { return f->type != SSOT_TYPE_ID && f->auto_kind != SSOT_AUTO_CREATE; }

static void statement_name(char *name, size_t size, const char *what, const ssot_model *m) {
    snprintf(name, size, "ssot_write_%s_%zu", what, m->index);
}

/* --- bound values -------------------------------------------------------------------------- */

/* The text parameters of one statement: NULL for SQL NULL. */
typedef struct bound {
    ssot_buf text;
    size_t *at; /* offset in text, or SIZE_MAX for NULL */
    const char **values;
    int n;
} bound;

static int bound_init(bound *b, int n) {
    memset(b, 0, sizeof *b);
    b->n = n;
    b->at = calloc((size_t)n + 1, sizeof *b->at);
    b->values = calloc((size_t)n + 1, sizeof *b->values);
    for (int i = 0; b->at && i < n; i++) b->at[i] = SIZE_MAX;
    return b->at && b->values ? 0 : -1;
}

static void bound_free(bound *b) {
    ssot_buf_free(&b->text);
    free(b->at);
    free(b->values);
}

static void bound_text(bound *b, int k, const char *text, size_t n) {
    b->at[k] = b->text.len;
    ssot_buf_append(&b->text, text, n);
    ssot_buf_putc(&b->text, '\0');
}

/* A field's value; absent or JSON null binds NULL. */
static void bound_value(bound *b, int k, const ssot_field *f, const json_t *value) {
    if (!value || json_is_null(value)) return;
    b->at[k] = b->text.len;
    pg_value_text(&b->text, f, value);
    ssot_buf_putc(&b->text, '\0');
}

/* The values for libpq, or NULL when memory ran out. */
static const char *const *bound_values(bound *b) {
    if (b->text.failed) return NULL;
    for (int i = 0; i < b->n; i++) b->values[i] = b->at[i] == SIZE_MAX ? NULL : b->text.data + b->at[i];
    return b->values;
}

/* --- errors -------------------------------------------------------------------------------- */

/* The field whose column a constraint failure names: libpq's column field (NOT NULL), else the
 * first column of the detail's 'Key (a, b)=(x, y) ...' (unique, foreign key): for a unique
 * index of several fields the first, as the SQLite store names it. */
static const ssot_field *failed_field(const ssot_model *m, const PGresult *r) {
    if (!m) return NULL;
    const char *column = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
    size_t n = column ? strlen(column) : 0;
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    if (!column && detail && strncmp(detail, "Key (", 5) == 0) {
        column = detail + 5;
        if (column[0] == '"') { /* a mixed-case name is quoted */
            column++;
            n = strcspn(column, "\"");
        } else {
            n = strcspn(column, ",)");
        }
    }
    for (size_t i = 0; column && i < m->nfields; i++)
        if (strlen(m->fields[i].column) == n && memcmp(m->fields[i].column, column, n) == 0) return &m->fields[i];
    return NULL;
}

/* The status of a failed write statement r, with the SQLite store's messages. */
static ssot_store_status write_error(pg_store *s, const ssot_model *m, const PGresult *r, const char *doing,
                                     ssot_store_error *err) {
    if (PQstatus(s->conn) != CONNECTION_OK) return pg_conn_error(s, doing, err);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (!state) state = "";
    if (!primary) primary = "";
    const ssot_field *f = failed_field(m, r);
    if (strcmp(state, "23505") == 0) return ssot_store_duplicate(err, m, f);
    if (strcmp(state, "23502") == 0) return ssot_store_required(err, f);
    if (strcmp(state, "23503") == 0) return ssot_store_missing_reference(err, f);
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) return ssot_store_refused_value(err, f, primary);
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
        return pg_fail(err, SSOT_STORE_BUSY, "the database is busy (%s): try again", primary);
    if (strcmp(state, "53100") == 0)
        return pg_fail(err, SSOT_STORE_FULL, "the database's disk is full (PostgreSQL database %s: %s): nothing was written",
                       s->where, primary);
    if (strcmp(state, "25006") == 0 || strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 ||
        strncmp(state, "53", 2) == 0)
        return pg_fail(err, SSOT_STORE_UNAVAILABLE, "the PostgreSQL database %s cannot be written (%s): nothing was written",
                       s->where, primary);
    return pg_conn_error(s, doing, err);
}

/* How many rows of referring still point at row id through field (store_messages.h); run
 * outside the failed delete's transaction or savepoint. */
static long long count_refs(void *ctx, const ssot_model *referring, const ssot_field *field, const char *id) {
    pg_store *s = ctx;
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "SELECT count(*) FROM ");
    pg_ident(&sql, referring->table);
    ssot_buf_puts(&sql, " WHERE ");
    pg_ident(&sql, field->column);
    ssot_buf_puts(&sql, " = $1");
    long long n = 0;
    if (!sql.failed) {
        const char *params[1] = {id};
        PGresult *r = PQexecParams(s->conn, sql.data, 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    ssot_buf_free(&sql);
    return n;
}

/* --- statements ---------------------------------------------------------------------------- */

/* Appends " WHERE <primary key> = $k". */
static void where_id(ssot_buf *sql, const ssot_model *m, int k) {
    ssot_buf_puts(sql, " WHERE ");
    pg_ident(sql, m->primary_key->column);
    ssot_buf_printf(sql, " = $%d", k);
}

/* Appends the SQL of one of the model's statements (which: a PREPARED_* bit); *nparams gets
 * the number of its parameters. */
static void statement_sql(ssot_buf *sql, const ssot_model *m, int which, int *nparams) {
    int n = 0;
    switch (which) {
    case PREPARED_INSERT:
        ssot_buf_puts(sql, "INSERT INTO ");
        pg_ident(sql, m->table);
        for (size_t i = 0; i < m->nfields; i++) {
            if (!inserted(&m->fields[i])) continue;
            ssot_buf_puts(sql, n ? ", " : " (");
            pg_ident(sql, m->fields[i].column);
            n++;
        }
        if (n == 0) {
            ssot_buf_puts(sql, " DEFAULT VALUES");
        } else {
            ssot_buf_puts(sql, ") VALUES (");
            for (int k = 1; k <= n; k++) ssot_buf_printf(sql, "%s$%d", k > 1 ? ", " : "", k);
            ssot_buf_putc(sql, ')');
        }
        ssot_buf_puts(sql, " RETURNING ");
        pg_select_columns(sql, m, NULL);
        break;
    case PREPARED_LOCK: /* the row before an update or delete, locked until COMMIT */
        ssot_buf_puts(sql, "SELECT ");
        pg_select_columns(sql, m, NULL);
        ssot_buf_puts(sql, " FROM ");
        pg_ident(sql, m->table);
        where_id(sql, m, n = 1);
        ssot_buf_puts(sql, " FOR UPDATE");
        break;
    case PREPARED_UPDATE: /* per writable field: col = CASE WHEN $flag THEN $value ELSE col END */
        ssot_buf_puts(sql, "UPDATE ");
        pg_ident(sql, m->table);
        ssot_buf_puts(sql, " SET ");
        for (size_t i = 0; i < m->nfields; i++) {
            const ssot_field *f = &m->fields[i];
            if (!updated(f)) continue;
            if (n) ssot_buf_puts(sql, ", ");
            pg_ident(sql, f->column);
            ssot_buf_printf(sql, " = CASE WHEN $%d::boolean THEN $%d ELSE ", n + 1, n + 2);
            pg_ident(sql, f->column);
            ssot_buf_puts(sql, " END");
            n += 2;
        }
        if (n == 0) {
            pg_ident(sql, m->primary_key->column);
            ssot_buf_puts(sql, " = ");
            pg_ident(sql, m->primary_key->column);
        }
        where_id(sql, m, ++n);
        ssot_buf_puts(sql, " RETURNING ");
        pg_select_columns(sql, m, NULL);
        break;
    default: /* PREPARED_REMOVE */
        ssot_buf_puts(sql, "DELETE FROM ");
        pg_ident(sql, m->table);
        where_id(sql, m, n = 1);
        break;
    }
    *nparams = n;
}

/* Prepares one of the model's statements on this connection once (named by statement_name). */
static ssot_store_status prepare(pg_store *s, const ssot_model *m, int which, const char *name,
                                 ssot_store_error *err) {
    if (!s->write_prepared) {
        s->write_prepared = calloc(s->base.app->nmodels ? s->base.app->nmodels : 1, 1);
        if (!s->write_prepared) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    if (s->write_prepared[m->index] & which) return SSOT_STORE_OK;
    ssot_buf sql = SSOT_BUF_INIT;
    int nparams = 0;
    statement_sql(&sql, m, which, &nparams);
    if (sql.failed) {
        ssot_buf_free(&sql);
        return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    PGresult *r = PQprepare(s->conn, name, sql.data, nparams, NULL);
    ssot_buf_free(&sql);
    ssot_store_status status = SSOT_STORE_OK;
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        s->write_prepared[m->index] |= (unsigned char)which;
    else
        status = write_error(s, m, r, "preparing a write", err);
    PQclear(r);
    return status;
}

/* Runs one of the model's statements with b's values; *r gets the result (PQclear it). */
static ssot_store_status run(pg_store *s, const ssot_model *m, int which, const char *what, bound *b,
                             ExecStatusType expect, PGresult **r, ssot_store_error *err) {
    char name[64];
    statement_name(name, sizeof name, what, m);
    *r = NULL;
    ssot_store_status status = prepare(s, m, which, name, err);
    if (status != SSOT_STORE_OK) return status;
    const char *const *values = bound_values(b);
    if (!values && b->n > 0) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    *r = PQexecPrepared(s->conn, name, b->n, values, NULL, NULL, 0);
    if (PQresultStatus(*r) != expect) return write_error(s, m, *r, "writing a row", err);
    return SSOT_STORE_OK;
}

/* --- the change stream --------------------------------------------------------------------- */

/* The model's lock, held to the end of the transaction: the writers of one model, on every
 * node, append one after another, so offsets are gapless and in commit order. An advisory lock
 * (two keys: ssot's namespace, the model's name hashed), not a row lock, so that no row is
 * updated by every write: a row updated thousands of times a second leaves dead versions that
 * every later update walks until vacuum comes. */
static const char change_lock_sql[] = "SELECT pg_advisory_xact_lock(1936945013, hashtext($1))";

/* Under that lock, one statement reads the position as the SQLite store does (the newest
 * event's offset, or the floor _ssot_streams records when pruning), inserts the event at the
 * next offset and queues the NOTIFY that PostgreSQL sends at COMMIT: "model offset". A history
 * found empty above a floor (events deleted by hand) inserts nothing unless $9 says the
 * epoch was just renewed: offsets after the floor could repeat ones subscribers have seen. */
static const char change_append_sql[] =
    "WITH pos AS (SELECT s.epoch, s.\"offset\" AS floor, "
    "(SELECT max(c.\"offset\") FROM _ssot_changes c WHERE c.model = $1) AS newest "
    "FROM _ssot_streams s WHERE s.model = $1), "
    "ins AS (INSERT INTO _ssot_changes (model, \"offset\", event, row_id, owner, data, at, previous_owner, previous) "
    "SELECT $1, greatest(pos.floor, coalesce(pos.newest, 0)) + 1, $2, $3, $4, $5, $6, $7, $8 FROM pos "
    "WHERE $9::boolean OR pos.newest IS NOT NULL OR pos.floor = 0 RETURNING \"offset\") "
    "SELECT pos.epoch, ins.\"offset\", CASE WHEN ins.\"offset\" IS NOT NULL THEN "
    "pg_notify('ssot_changes', $1 || ' ' || ins.\"offset\") END, txid_current() FROM pos LEFT JOIN ins ON true";

/* Prepares the two statements of the stream on this connection once. */
static ssot_store_status prepare_stream(pg_store *s, ssot_store_error *err) {
    if (s->change_prepared) return SSOT_STORE_OK;
    static const Oid text_types[9] = {25, 25, 25, 25, 25, 25, 25, 25, 16}; /* text, and a boolean */
    PGresult *r = PQprepare(s->conn, CHANGE_LOCK, change_lock_sql, 1, text_types);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (ok) {
        PQclear(r);
        r = PQprepare(s->conn, CHANGE_APPEND, change_append_sql, 9, text_types);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    }
    ssot_store_status status = ok ? SSOT_STORE_OK : write_error(s, NULL, r, "preparing the change stream", err);
    PQclear(r);
    if (ok) s->change_prepared = 1;
    return status;
}

/* Takes the model's stream lock unless this transaction holds it already (s->stream_locked:
 * the transaction's number per model, 0 after a savepoint that took it was rolled back). */
static ssot_store_status lock_stream(pg_store *s, const ssot_model *m, ssot_store_error *err) {
    if (!s->stream_locked) {
        s->stream_locked = calloc(s->base.app->nmodels ? s->base.app->nmodels : 1, sizeof *s->stream_locked);
        if (!s->stream_locked) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    if (s->stream_locked[m->index] == s->transaction) return SSOT_STORE_OK;
    const char *params[1] = {m->name};
    PGresult *r = PQexecPrepared(s->conn, CHANGE_LOCK, 1, params, NULL, NULL, 0);
    ssot_store_status status = SSOT_STORE_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        status = write_error(s, NULL, r, "waiting for the change stream", err);
    } else {
        s->stream_locked[m->index] = s->transaction;
        s->took_lock = 1;
    }
    PQclear(r);
    return status;
}

static ssot_store_status append_change(pg_store *s, const ssot_model *m, ssot_event_kind kind, ssot_change *change,
                                       ssot_store_error *err) {
    ssot_store_status status = prepare_stream(s, err);
    if (status == SSOT_STORE_OK) status = lock_stream(s, m, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_datetime_now(s->at);
    bound b;
    if (bound_init(&b, 9) != 0) {
        bound_free(&b);
        return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    const char *event = ssot_event_name(kind);
    bound_text(&b, 0, m->name, strlen(m->name));
    bound_text(&b, 1, event, strlen(event));
    bound_text(&b, 2, change->row.id, strlen(change->row.id));
    if (change->row.owner) bound_text(&b, 3, change->row.owner, strlen(change->row.owner));
    bound_text(&b, 4, change->row.json, change->row.json_len);
    bound_text(&b, 5, s->at, strlen(s->at));
    /* the row before an update, for the gateway's filtering of replayed events */
    const ssot_row_view *before = &change->previous;
    if (kind == SSOT_EVENT_UPDATED && before->json) {
        if (before->owner) bound_text(&b, 6, before->owner, strlen(before->owner));
        bound_text(&b, 7, before->json, before->json_len);
    }
    PGresult *r = NULL;
    for (int renewed = 0; status == SSOT_STORE_OK; renewed = 1) {
        bound_text(&b, 8, renewed ? "true" : "false", renewed ? 4 : 5);
        const char *const *values = bound_values(&b);
        if (!values) {
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
            break;
        }
        r = PQexecPrepared(s->conn, CHANGE_APPEND, 9, values, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            status = write_error(s, NULL, r, "writing a change event", err);
        else if (PQntuples(r) != 1)
            status = pg_fail(err, SSOT_STORE_ERROR, "no change stream for %s", m->name);
        if (status != SSOT_STORE_OK || !PQgetisnull(r, 0, 1) || renewed) break;
        /* the history was deleted behind ssot's back: a new epoch, then the event */
        PQclear(r);
        r = NULL;
        char epoch[SSOT_EPOCH_SIZE];
        if (pg_new_epoch(epoch) != 0) {
            status = pg_fail(err, SSOT_STORE_ERROR, "no random bytes for a stream epoch");
            break;
        }
        const char *params[2] = {m->name, epoch};
        r = PQexecParams(s->conn, "UPDATE _ssot_streams SET epoch = $2 WHERE model = $1", 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) status = write_error(s, NULL, r, "renewing a stream epoch", err);
        PQclear(r);
        r = NULL;
    }
    if (status == SSOT_STORE_OK && PQgetisnull(r, 0, 1))
        status = pg_fail(err, SSOT_STORE_ERROR, "the change stream of %s could not be appended to", m->name);
    if (status == SSOT_STORE_OK) {
        change->model = m;
        change->kind = kind;
        change->offset = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        snprintf(change->epoch, SSOT_EPOCH_SIZE, "%s", PQgetvalue(r, 0, 0));
        change->at = s->at;
        snprintf(s->xid, sizeof s->xid, "%s", PQgetvalue(r, 0, 3)); /* for a COMMIT left unanswered */
    }
    PQclear(r);
    bound_free(&b);
    /* every SSOT_STREAM_PRUNE_EVERY events: record the offset as the stream's floor (so the
     * position survives the history) and drop events older than the kept history */
    if (status == SSOT_STORE_OK && change->offset % SSOT_STREAM_PRUNE_EVERY == 0) {
        char at[24], upto[24];
        snprintf(at, sizeof at, "%lld", (long long)change->offset);
        snprintf(upto, sizeof upto, "%lld", (long long)(change->offset - s->history));
        const char *floor_params[2] = {m->name, at}, *prune_params[2] = {m->name, upto};
        r = PQexecParams(s->conn, "UPDATE _ssot_streams SET \"offset\" = $2 WHERE model = $1", 2, NULL, floor_params,
                         NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) status = write_error(s, NULL, r, "recording a stream floor", err);
        PQclear(r);
        if (status == SSOT_STORE_OK && change->offset > s->history) {
            r = PQexecParams(s->conn, "DELETE FROM _ssot_changes WHERE model = $1 AND \"offset\" <= $2", 2, NULL,
                             prune_params, NULL, NULL, 0);
            if (PQresultStatus(r) != PGRES_COMMAND_OK)
                status = write_error(s, NULL, r, "pruning the change history", err);
            PQclear(r);
        }
    }
    return status;
}

/* --- transactions -------------------------------------------------------------------------- */

/* The batch's transaction is gone (the connection was lost): its writes, and any after, fail
 * with the error that ended it. */
static ssot_store_status lose_batch(pg_store *s, const ssot_store_error *cause, ssot_store_error *err) {
    if (!s->batch_lost) {
        s->batch_lost = 1;
        if (cause && cause->status != SSOT_STORE_OK && cause->message[0])
            s->batch_loss = *cause;
        else
            pg_fail(&s->batch_loss, SSOT_STORE_UNAVAILABLE, "the transaction was lost with the connection to %s",
                    s->where);
    }
    return pg_fail(err, s->batch_loss.status, "%s", s->batch_loss.message);
}

static ssot_store_status begin_write(pg_store *s, ssot_store_error *err) {
    pg_snapshot_close(s); /* a write sees the latest state, not the reads' snapshot */
    s->took_lock = 0;
    PGTransactionStatusType ts = PQtransactionStatus(s->conn);
    if (s->batch && ts == PQTRANS_INTRANS) /* a batch's: the first write opened it */
        return pg_exec_ok(s, "SAVEPOINT ssot_write") ? SSOT_STORE_OK : pg_conn_error(s, "starting a write", err);
    if (s->batch && (s->batch_writes > 0 || s->batch_lost)) return lose_batch(s, NULL, err);
    if (ts == PQTRANS_INERROR) pg_exec_ok(s, "ROLLBACK"); /* never expected: nothing of ours is open */
    ssot_store_status status = pg_connection_ready(s, err);
    if (status != SSOT_STORE_OK) return status;
    /* a connection lost since the last command is made again and the write goes ahead */
    if (!pg_exec_ok(s, "BEGIN ISOLATION LEVEL READ COMMITTED") &&
        !(pg_reconnected(s, err) && pg_exec_ok(s, "BEGIN ISOLATION LEVEL READ COMMITTED")))
        return pg_conn_error(s, "starting a write", err);
    s->transaction++; /* stream locks of earlier transactions are gone */
    s->xid[0] = '\0';
    if (s->batch && !pg_exec_ok(s, "SAVEPOINT ssot_write")) return pg_conn_error(s, "starting a write", err);
    return SSOT_STORE_OK;
}

/* COMMITs the open write transaction. A COMMIT left unanswered (the connection lost on the
 * way: the server restarted, or ended the session while the commit waited) may have committed
 * all the same: the transaction's fate is asked on a new connection (txid_status), so a
 * committed write is answered as one, and one that was not as unavailable with nothing written.
 * Only when the database cannot tell is the answer "may or may not have been written". */
static ssot_store_status commit(pg_store *s, const ssot_model *m, const char *doing, ssot_store_error *err) {
    char xid[sizeof s->xid];
    snprintf(xid, sizeof xid, "%s", s->xid);
    s->xid[0] = '\0';
    PGresult *r = PQexec(s->conn, "COMMIT");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    ssot_store_status status = ok ? SSOT_STORE_OK : write_error(s, m, r, doing, err);
    PQclear(r);
    if (ok || !xid[0] || PQstatus(s->conn) == CONNECTION_OK) return status;
    ssot_store_error again;
    if (pg_connection_ready(s, &again) != SSOT_STORE_OK)
        return pg_fail(err, SSOT_STORE_UNAVAILABLE,
                       "the PostgreSQL database %s went away while %s, which may or may not have been written: %s",
                       s->where, doing, again.message);
    const char *params[1] = {xid};
    r = PQexecParams(s->conn, "SELECT txid_status($1)", 1, NULL, params, NULL, NULL, 0);
    const char *fate = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
                           ? PQgetvalue(r, 0, 0)
                           : "";
    if (strcmp(fate, "committed") == 0)
        status = SSOT_STORE_OK;
    else if (strcmp(fate, "aborted") == 0)
        status = pg_fail(err, SSOT_STORE_UNAVAILABLE, "the PostgreSQL database %s went away while %s: nothing was written",
                         s->where, doing);
    else
        status = pg_fail(err, SSOT_STORE_UNAVAILABLE,
                         "the PostgreSQL database %s went away while %s, which may or may not have been written",
                         s->where, doing);
    PQclear(r);
    return status;
}

/* Finishes a write: on success appends the change and commits (or releases the batch's
 * savepoint); on failure rolls back (to the savepoint) and drops what was appended to out. */
static ssot_store_status finish_write(pg_store *s, const ssot_model *m, ssot_event_kind kind, ssot_store_status status,
                                      ssot_buf *out, size_t start, ssot_change *change, ssot_store_error *err) {
    if (status == SSOT_STORE_OK && PQtransactionStatus(s->conn) != PQTRANS_INTRANS)
        status = pg_fail(err, SSOT_STORE_ERROR, "a read inside the write of a %s failed and ended its transaction",
                         m->name);
    if (status == SSOT_STORE_OK) status = append_change(s, m, kind, change, err);
    if (s->batch) {
        PGTransactionStatusType ts = PQtransactionStatus(s->conn);
        if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR) {
            if (status == SSOT_STORE_OK) err->status = SSOT_STORE_OK; /* no cause of its own */
            status = lose_batch(s, err, err);
        } else if (status == SSOT_STORE_OK && pg_exec_ok(s, "RELEASE SAVEPOINT ssot_write")) {
            s->batch_writes++;
        } else {
            if (status == SSOT_STORE_OK) status = pg_conn_error(s, "ending a write", err);
            pg_exec_ok(s, "ROLLBACK TO SAVEPOINT ssot_write"); /* this write only */
            pg_exec_ok(s, "RELEASE SAVEPOINT ssot_write");
            if (s->took_lock) s->stream_locked[m->index] = 0; /* released with the savepoint */
        }
    } else if (status == SSOT_STORE_OK) {
        status = commit(s, m, "committing a write", err);
    } else if (PQstatus(s->conn) == CONNECTION_OK) {
        pg_exec_ok(s, "ROLLBACK");
    }
    if (status != SSOT_STORE_OK) ssot_buf_truncate(out, start);
    return status;
}

/* Points change->row at the row r returned (its JSON appended to out, its id and owner copied
 * into s->written). */
static int capture_row(pg_store *s, const ssot_model *m, const PGresult *r, ssot_buf *out, ssot_change *change) {
    size_t start = out->len;
    if (pg_row_json(out, m, r, 0, 0) != 0) return -1;
    const char *id = pg_row_id(m, r, 0, 0), *owner = pg_row_owner(m, r, 0, 0);
    ssot_buf *w = &s->written;
    ssot_buf_reset(w);
    ssot_buf_append(w, id, strlen(id) + 1);
    size_t owner_at = w->len;
    if (owner) ssot_buf_append(w, owner, strlen(owner) + 1);
    if (w->failed) return -1;
    change->row.json = out->data + start;
    change->row.json_len = out->len - start;
    change->row.id = w->data;
    change->row.owner = owner ? w->data + owner_at : NULL;
    return 0;
}

/* In the open write transaction: reads and locks the row, copies it into s->existing, points
 * *existing at the copy and shows it to authorize (the result is complete on the client, so
 * the callback may read through the store). */
static ssot_store_status load_and_authorize(pg_store *s, const ssot_model *m, const char *key, const char *id,
                                            size_t n, const ssot_authorize *authorize, ssot_row_view *existing,
                                            ssot_store_error *err) {
    bound b;
    ssot_store_status status = SSOT_STORE_OK;
    PGresult *r = NULL;
    if (bound_init(&b, 1) != 0) status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    if (status == SSOT_STORE_OK) {
        bound_text(&b, 0, key, strlen(key));
        status = run(s, m, PREPARED_LOCK, "lock", &b, PGRES_TUPLES_OK, &r, err);
    }
    bound_free(&b);
    if (status == SSOT_STORE_OK && PQntuples(r) == 0)
        status = ssot_store_not_found(err, m, id, n, 0);
    if (status == SSOT_STORE_OK) {
        ssot_buf *e = &s->existing;
        ssot_buf_reset(e);
        pg_row_json(e, m, r, 0, 0);
        size_t json_len = e->len;
        ssot_buf_putc(e, '\0');
        const char *row_id = pg_row_id(m, r, 0, 0), *owner = pg_row_owner(m, r, 0, 0);
        size_t id_at = e->len;
        ssot_buf_append(e, row_id, strlen(row_id) + 1);
        size_t owner_at = e->len;
        if (owner) ssot_buf_append(e, owner, strlen(owner) + 1);
        if (e->failed) {
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        } else {
            existing->json = e->data;
            existing->json_len = json_len;
            existing->id = e->data + id_at;
            existing->owner = owner ? e->data + owner_at : NULL;
        }
    }
    PQclear(r);
    if (status == SSOT_STORE_OK && authorize && authorize->fn) {
        char message[sizeof err->message];
        message[0] = '\0';
        int verdict = authorize->fn(authorize->ctx, existing, message, sizeof message);
        if (verdict < 0)
            status = pg_fail(err, SSOT_STORE_REJECTED, "%s", message[0] ? message : "rejected");
        else if (verdict == 0)
            status = pg_fail(err, SSOT_STORE_DENIED, "%s", message[0] ? message : "not allowed");
    }
    return status;
}

/* --- create, update, delete ---------------------------------------------------------------- */

static ssot_store_status pg_create(ssot_store *store, const ssot_model *m, json_t *body, ssot_buf *out,
                                   ssot_change *change, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    change->previous = (ssot_row_view){0}; /* only an update has a row before it */
    int n = 0;
    for (size_t i = 0; i < m->nfields; i++) n += inserted(&m->fields[i]);
    bound b;
    if (bound_init(&b, n) != 0) {
        bound_free(&b);
        return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    char now[25], uuid[37];
    ssot_datetime_now(now);
    int k = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (!inserted(f)) continue;
        json_t *value = json_object_get(body, f->name);
        if (f->type == SSOT_TYPE_ID) {
            if (ssot_uuid_random(uuid) != 0) {
                bound_free(&b);
                return pg_fail(err, SSOT_STORE_ERROR, "no random bytes for a UUID");
            }
            bound_text(&b, k, uuid, 36);
        } else if (f->auto_kind != SSOT_AUTO_NONE) {
            bound_text(&b, k, now, 24);
        } else {
            bound_value(&b, k, f, value ? value : f->default_value);
        }
        k++;
    }
    size_t start = out->len;
    ssot_store_status status = begin_write(s, err);
    if (status != SSOT_STORE_OK) {
        bound_free(&b);
        return status;
    }
    PGresult *r = NULL;
    status = run(s, m, PREPARED_INSERT, "insert", &b, PGRES_TUPLES_OK, &r, err);
    if (status == SSOT_STORE_OK && capture_row(s, m, r, out, change) != 0)
        status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    PQclear(r);
    bound_free(&b);
    return finish_write(s, m, SSOT_EVENT_CREATED, status, out, start, change, err);
}

static ssot_store_status pg_update(ssot_store *store, const ssot_model *m, const char *id, size_t n, json_t *body,
                                   ssot_update_mode mode, const ssot_authorize *authorize, ssot_buf *out,
                                   ssot_change *change, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    change->previous = (ssot_row_view){0};
    char key[SSOT_ID_TEXT_SIZE];
    if (pg_id_text(m, id, n, key) != 0)
        return ssot_store_not_found(err, m, id, n, 1);
    size_t start = out->len;
    ssot_store_status status = begin_write(s, err);
    if (status != SSOT_STORE_OK) return status;
    /* the copy authorize saw is the change's previous row */
    status = load_and_authorize(s, m, key, id, n, authorize, &change->previous, err);
    int nupdate = 0;
    for (size_t i = 0; i < m->nfields; i++) nupdate += updated(&m->fields[i]);
    bound b;
    if (bound_init(&b, 2 * nupdate + 1) != 0 && status == SSOT_STORE_OK)
        status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    if (status == SSOT_STORE_OK) { /* the body is read only now: authorize may have changed it */
        char now[25];
        ssot_datetime_now(now);
        int k = 0;
        for (size_t i = 0; i < m->nfields; i++) {
            const ssot_field *f = &m->fields[i];
            if (!updated(f)) continue;
            json_t *value = json_object_get(body, f->name);
            int set = 1;
            if (f->auto_kind == SSOT_AUTO_UPDATE)
                bound_text(&b, k + 1, now, 24);
            else if (value)
                bound_value(&b, k + 1, f, value);
            else if (mode == SSOT_UPDATE_REPLACE && !f->is_owner) /* PUT: absent is its default, or null */
                bound_value(&b, k + 1, f, f->default_value);
            else
                set = 0;
            bound_text(&b, k, set ? "true" : "false", set ? 4 : 5);
            k += 2;
        }
        bound_text(&b, k, key, strlen(key));
        PGresult *r = NULL;
        status = run(s, m, PREPARED_UPDATE, "update", &b, PGRES_TUPLES_OK, &r, err);
        if (status == SSOT_STORE_OK && PQntuples(r) == 0)
            status = ssot_store_not_found(err, m, id, n, 0);
        else if (status == SSOT_STORE_OK && capture_row(s, m, r, out, change) != 0)
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        PQclear(r);
    }
    bound_free(&b);
    return finish_write(s, m, SSOT_EVENT_UPDATED, status, out, start, change, err);
}

static ssot_store_status pg_remove(ssot_store *store, const ssot_model *m, const char *id, size_t n,
                                   const ssot_authorize *authorize, ssot_buf *out, ssot_change *change,
                                   ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    change->previous = (ssot_row_view){0}; /* the deleted row is the change's row */
    char key[SSOT_ID_TEXT_SIZE];
    if (pg_id_text(m, id, n, key) != 0)
        return ssot_store_not_found(err, m, id, n, 1);
    size_t start = out->len;
    ssot_store_status status = begin_write(s, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_row_view existing;
    status = load_and_authorize(s, m, key, id, n, authorize, &existing, err);
    if (status == SSOT_STORE_OK) { /* the change's row is the deleted one */
        if (ssot_buf_append(out, existing.json, existing.json_len) != 0) {
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        } else {
            change->row = existing;
            change->row.json = out->data + start;
        }
    }
    int referenced = 0;
    if (status == SSOT_STORE_OK) {
        bound b;
        PGresult *r = NULL;
        if (bound_init(&b, 1) != 0) {
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        } else {
            bound_text(&b, 0, key, strlen(key));
            status = run(s, m, PREPARED_REMOVE, "remove", &b, PGRES_COMMAND_OK, &r, err);
            const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
            referenced = status != SSOT_STORE_OK && state && strcmp(state, "23503") == 0;
        }
        PQclear(r);
        bound_free(&b);
    }
    status = finish_write(s, m, SSOT_EVENT_DELETED, status, out, start, change, err);
    /* counted after the rollback, which the failed statement's transaction needed first */
    if (referenced) return ssot_store_still_referenced(err, s->base.app, m, existing.id, count_refs, s);
    return status;
}

/* --- batches ------------------------------------------------------------------------------- */

static ssot_store_status pg_batch_begin(ssot_store *store, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    (void)err;
    s->batch = 1;
    s->batch_writes = 0;
    s->batch_lost = 0;
    return SSOT_STORE_OK; /* the first write opens the transaction */
}

static ssot_store_status pg_batch_end(ssot_store *store, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    int lost = s->batch_lost;
    s->batch = 0;
    s->batch_writes = 0;
    s->batch_lost = 0;
    PGTransactionStatusType ts = PQtransactionStatus(s->conn);
    if (lost) {
        if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) pg_exec_ok(s, "ROLLBACK");
        return pg_fail(err, s->batch_loss.status, "the batch was rolled back: %s", s->batch_loss.message);
    }
    if (ts == PQTRANS_IDLE) return SSOT_STORE_OK; /* no write opened it */
    return commit(s, NULL, "committing a batch", err);
}

/* --- replay -------------------------------------------------------------------------------- */

static ssot_event_kind event_kind(const char *name) {
    if (strcmp(name, "updated") == 0) return SSOT_EVENT_UPDATED;
    if (strcmp(name, "deleted") == 0) return SSOT_EVENT_DELETED;
    return SSOT_EVENT_CREATED;
}

static const char *cell(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Inside the read transaction: the events after since up to now, every one of them or
 * CANNOT_RECOVER. *r gets them (PQclear it). */
static ssot_store_status read_events(pg_store *s, const ssot_model *m, const ssot_stream_position *since,
                                     const ssot_stream_position *now, PGresult **r, ssot_store_error *err) {
    *r = NULL;
    ssot_store_status status = ssot_stream_check_since(m, since, now, err);
    if (status != SSOT_STORE_OK || since->offset == now->offset) return status;
    char after[24], upto[24];
    snprintf(after, sizeof after, "%lld", (long long)since->offset);
    snprintf(upto, sizeof upto, "%lld", (long long)now->offset);
    const char *params[3] = {m->name, after, upto};
    PGresult *oldest = PQexecParams(s->conn, "SELECT min(\"offset\") FROM _ssot_changes WHERE model = $1", 1, NULL,
                                    params, NULL, NULL, 0);
    if (PQresultStatus(oldest) != PGRES_TUPLES_OK) {
        PQclear(oldest);
        return pg_conn_error(s, "reading the change history", err);
    }
    int have = !PQgetisnull(oldest, 0, 0);
    int64_t first = have ? strtoll(PQgetvalue(oldest, 0, 0), NULL, 10) : 0;
    PQclear(oldest);
    status = ssot_stream_check_kept(m, since, now, have, first, err);
    if (status != SSOT_STORE_OK) return status;
    *r = PQexecParams(s->conn,
                      "SELECT \"offset\", event, row_id, owner, data, at, previous_owner, previous FROM _ssot_changes "
                      "WHERE model = $1 AND \"offset\" > $2 AND \"offset\" <= $3 ORDER BY \"offset\"",
                      3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(*r) != PGRES_TUPLES_OK) return pg_conn_error(s, "reading the change history", err);
    /* never a partial replay, even if events were deleted from the middle by hand */
    if ((int64_t)PQntuples(*r) != now->offset - since->offset)
        return pg_fail(err, SSOT_STORE_CANNOT_RECOVER, "%s: events after offset %lld are missing from the history",
                       m->name, (long long)since->offset);
    return SSOT_STORE_OK;
}

static ssot_store_status pg_events_since(ssot_store *store, const ssot_model *m, const ssot_stream_position *since,
                                         ssot_change_visit_fn visit, void *ctx, ssot_stream_position *now_out,
                                         ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    int began = 0;
    ssot_store_status status = pg_read_begin(s, &began, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_stream_position now;
    PGresult *r = NULL;
    status = store->ops->position(store, m, &now, err);
    if (status == SSOT_STORE_OK) status = read_events(s, m, since, &now, &r, err);
    /* The events are all on the client: a visitor may read through the store (a Lua rule
     * filtering the replay); its reads join this transaction. */
    ssot_change change;
    memset(&change, 0, sizeof change);
    change.model = m;
    memcpy(change.epoch, now.epoch, SSOT_EPOCH_SIZE);
    int rows = status == SSOT_STORE_OK && r ? PQntuples(r) : 0;
    for (int i = 0; status == SSOT_STORE_OK && i < rows; i++) {
        change.offset = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        change.kind = event_kind(PQgetvalue(r, i, 1));
        change.row.id = cell(r, i, 2);
        change.row.owner = cell(r, i, 3);
        change.row.json = PQgetvalue(r, i, 4);
        change.row.json_len = (size_t)PQgetlength(r, i, 4);
        change.at = PQgetvalue(r, i, 5);
        change.previous = (ssot_row_view){0};
        if (!PQgetisnull(r, i, 7)) { /* an update's row before it */
            change.previous.json = PQgetvalue(r, i, 7);
            change.previous.json_len = (size_t)PQgetlength(r, i, 7);
            change.previous.id = change.row.id;
            change.previous.owner = cell(r, i, 6);
        }
        if (visit(ctx, &change) != 0)
            status = pg_fail(err, SSOT_STORE_REJECTED, "the replay was stopped by its visitor");
    }
    PQclear(r);
    if (status == SSOT_STORE_OK && now_out) *now_out = now;
    pg_read_end(s, began);
    return status;
}

void pg_write_ops(ssot_store_ops *ops) {
    ops->create = pg_create;
    ops->update = pg_update;
    ops->remove = pg_remove;
    ops->events_since = pg_events_since;
    ops->batch_begin = pg_batch_begin;
    ops->batch_end = pg_batch_end;
}
