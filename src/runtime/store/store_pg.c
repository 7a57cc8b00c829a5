/* The PostgreSQL store: connecting (libpq), reconnecting, errors, the stream position and
 * closing; the ops table is completed by the other store_pg*.c files. The schema sync at open
 * is in store_pg_schema.c. Uses libpq, OpenSSL RAND_bytes (store_pg_internal.h). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "runtime/store/store_pg_internal.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ssot_store_status pg_fail(ssot_store_error *err, ssot_store_status status, const char *fmt, ...) {
    err->status = status;
    err->field = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

/* libpq's message without its trailing newline. */
static const char *conn_message(PGconn *conn, char *buf, size_t size) {
    snprintf(buf, size, "%s", conn ? PQerrorMessage(conn) : "out of memory");
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
    return buf;
}

ssot_store_status pg_conn_error(pg_store *s, const char *doing, ssot_store_error *err) {
    char msg[1024];
    conn_message(s->conn, msg, sizeof msg);
    if (PQstatus(s->conn) != CONNECTION_OK)
        return pg_fail(err, SSOT_STORE_UNAVAILABLE, "the PostgreSQL database %s is unavailable (%s): %s", s->where, doing, msg);
    return pg_fail(err, SSOT_STORE_ERROR, "PostgreSQL database %s: %s: %s", s->where, doing, msg);
}

int pg_new_epoch(char epoch[SSOT_EPOCH_SIZE]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return -1;
    for (size_t i = 0; i < sizeof bytes; i++) {
        epoch[2 * i] = hex[bytes[i] >> 4];
        epoch[2 * i + 1] = hex[bytes[i] & 15];
    }
    epoch[32] = '\0';
    return 0;
}

/* ""d" on socket /dir" or ""d" on host h port p", from the conninfo's
 * parts (never its password); malloc'd. *dbname gets the database name (malloc'd). */
static char *describe(const char *conninfo, char **dbname) {
    const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !*o->val) continue;
        if (strcmp(o->keyword, "host") == 0) host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0 && !host) host = o->val;
        else if (strcmp(o->keyword, "port") == 0) port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0) db = o->val;
        else if (strcmp(o->keyword, "user") == 0) user = o->val;
    }
    if (!db) db = user;
    char buf[1024];
    if (!opts)
        snprintf(buf, sizeof buf, "(a connection string libpq cannot parse)");
    else if (!host)
        snprintf(buf, sizeof buf, "\"%s\" on the default socket", db ? db : "?");
    else
        snprintf(buf, sizeof buf, "\"%s\" on %s %s%s%s", db ? db : "?", host[0] == '/' ? "socket" : "host",
                 host, port ? " port " : "", port ? port : "");
    *dbname = strdup(db ? db : "");
    PQconninfoFree(opts);
    return strdup(buf);
}

static void pg_close(ssot_store *store) {
    pg_store *s = (pg_store *)store;
    if (!s) return;
    if (s->conn) PQfinish(s->conn);
    free(s->get_prepared);
    free(s->write_prepared);
    free(s->stream_locked);
    pg_lists_forget(s);
    ssot_buf_free(&s->existing);
    ssot_buf_free(&s->written);
    free(s->where);
    free(s->dbname);
    free(s);
}

/* The session's settings, on every new connection: notices (CREATE ... IF NOT EXISTS of
 * something that exists) are not for the user; a write waiting on another node's lock gives
 * up after lock_timeout and answers 503 busy, as SQLite's busy_timeout does. */
static int session_setup(PGconn *conn) {
    PGresult *r = PQexec(conn, "SET client_min_messages = warning; SET lock_timeout = '5s'");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

ssot_store_status pg_connection_ready(pg_store *s, ssot_store_error *err) {
    if (PQstatus(s->conn) == CONNECTION_OK) return SSOT_STORE_OK;
    /* Statements prepared on the lost connection are gone with it. */
    size_t n = s->base.app->nmodels;
    if (s->get_prepared) memset(s->get_prepared, 0, n);
    if (s->write_prepared) memset(s->write_prepared, 0, n);
    pg_lists_forget(s);
    s->position_prepared = 0;
    s->change_prepared = 0;
    s->snapshot_open = 0;
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK || !session_setup(s->conn)) {
        char msg[1024];
        conn_message(s->conn, msg, sizeof msg);
        return pg_fail(err, SSOT_STORE_UNAVAILABLE, "the PostgreSQL database %s is unavailable (reconnecting): %s",
                       s->where, msg);
    }
    return SSOT_STORE_OK;
}

int pg_reconnected(pg_store *s, ssot_store_error *err) {
    if (PQstatus(s->conn) == CONNECTION_OK) return 0;
    return pg_connection_ready(s, err) == SSOT_STORE_OK;
}

/* Runs the position statement, prepared at its first use on this connection (every list and
 * subscription reads a position). */
static PGresult *position_query(pg_store *s, const char *sql, const char *const *params) {
    if (!s->position_prepared) {
        PGresult *r = PQprepare(s->conn, "ssot_position", sql, 1, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) return r; /* its error is the caller's */
        PQclear(r);
        s->position_prepared = 1;
    }
    return PQexecPrepared(s->conn, "ssot_position", 1, params, NULL, NULL, 0);
}

/* The position: the epoch of _ssot_streams and the larger of its recorded floor and the
 * newest event's offset (as in the SQLite store). */
static ssot_store_status pg_position(ssot_store *store, const ssot_model *model, ssot_stream_position *pos,
                                     ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS) {
        ssot_store_status ready = pg_connection_ready(s, err);
        if (ready != SSOT_STORE_OK) return ready;
    }
    static const char sql[] = "SELECT s.epoch, s.\"offset\", (SELECT max(c.\"offset\") FROM _ssot_changes c "
                              "WHERE c.model = s.model) FROM _ssot_streams s WHERE s.model = $1";
    const char *params[1] = {model->name};
    int alone = PQtransactionStatus(s->conn) == PQTRANS_IDLE;
    PGresult *r = position_query(s, sql, params);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && alone && pg_reconnected(s, err)) {
        PQclear(r);
        r = position_query(s, sql, params);
    }
    ssot_store_status status = SSOT_STORE_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        status = pg_conn_error(s, "reading a stream position", err);
    } else if (PQntuples(r) != 1) {
        status = pg_fail(err, SSOT_STORE_ERROR, "no change stream for %s", model->name);
    } else {
        snprintf(pos->epoch, SSOT_EPOCH_SIZE, "%s", PQgetvalue(r, 0, 0));
        int64_t floor = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        int64_t newest = PQgetisnull(r, 0, 2) ? 0 : strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        pos->offset = newest > floor ? newest : floor;
    }
    PQclear(r);
    return status;
}

/* The members this file provides; store_pg_open completes a copy per store with the other
 * files' (pg_txn_ops, pg_read_ops, pg_write_ops, pg_notify_ops). */
static const ssot_store_ops pg_base_ops = {
    .name = "postgres",
    .close = pg_close,
    .position = pg_position,
};

ssot_store_status ssot_store_pg_open(const ssot_app *app, const ssot_pg_options *opts, ssot_store **out,
                                     ssot_store_error *err) {
    *out = NULL;
    if (!opts || !opts->conninfo || !*opts->conninfo)
        return pg_fail(err, SSOT_STORE_ERROR, "the PostgreSQL store needs a connection string (a postgresql:// URL)");
    pg_store *s = calloc(1, sizeof *s);
    if (!s) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    s->ops = pg_base_ops;
    pg_txn_ops(&s->ops);
    pg_read_ops(&s->ops);
    pg_write_ops(&s->ops);
    pg_notify_ops(&s->ops);
    s->base.ops = &s->ops;
    s->base.app = app;
    s->history = opts->history > 0 ? opts->history : 1000;
    s->where = describe(opts->conninfo, &s->dbname);
    if (!s->where || !s->dbname) {
        pg_close(&s->base);
        return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    s->conn = PQconnectdb(opts->conninfo);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        char msg[1024];
        conn_message(s->conn, msg, sizeof msg);
        pg_fail(err, SSOT_STORE_UNAVAILABLE, "cannot connect to the PostgreSQL database %s: %s", s->where, msg);
        pg_close(&s->base);
        return SSOT_STORE_UNAVAILABLE;
    }
    ssot_store_status status = session_setup(s->conn) ? pg_schema_sync(s, err) : pg_conn_error(s, "setting up the session", err);
    if (status != SSOT_STORE_OK) {
        pg_close(&s->base);
        return status;
    }
    *out = &s->base;
    return SSOT_STORE_OK;
}
