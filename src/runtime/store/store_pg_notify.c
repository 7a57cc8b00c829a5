/* The PostgreSQL store's signals between processes (store.h signal_fd, signal_drain,
 * signal_send): a second connection of its own that LISTENs on the channel ssot_changes,
 * where every write transaction of any process on the database NOTIFYs "<Model> <offset>"
 * (store_pg_write.c), delivered at COMMIT in commit order, and on ssot_messages, where
 * signal_send NOTIFYs its message from this same connection (outside any write, at once); a
 * message too large for a NOTIFY goes into _ssot_messages and the NOTIFY carries its id.
 * Reads are non-blocking
 * (PQconsumeInput, PQnotifies) so the server's event loop can watch the socket. A lost
 * connection is dropped and made again at a later drain, at most once a second; after every
 * (re)connect the first signal says "check every model" (offset -1), since what was
 * committed while nobody listened was never signalled. Uses libpq, store_pg_internal.h. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime/store/store_pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_MS 1000

typedef struct pg_notify {
    PGconn *conn;      /* LISTENing, or NULL */
    PGconn *dead;      /* the lost one, kept open until the next is made: its descriptor number
                        * then cannot come back as the new one's, which an event loop watching
                        * "the same" number would never re-register */
    int64_t retry_ms;  /* no new attempt before this time (after a failed one) */
    int announce;      /* a fresh connection: tell the caller to check every model */
} pg_notify;

/* The close of the other files' table, run after the LISTEN connection is ended. The same
 * function for every store (store_pg.c's), so one static pointer does. */
static void (*base_close)(ssot_store *store);

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop(pg_notify *n) {
    if (n->conn) {
        if (n->dead) PQfinish(n->dead);
        n->dead = n->conn;
    }
    n->conn = NULL;
    n->retry_ms = now_ms() + RETRY_MS;
}

/* libpq prints a connection's notices on stderr, among them the server's FATAL when it ends
 * the session: the drain reports the loss instead, in one line. */
static void quiet_notices(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* The first line of the connection's last error (libpq adds hints on further lines). */
static const char *first_line(PGconn *conn, char *buf, size_t size) {
    snprintf(buf, size, "%s", PQerrorMessage(conn));
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* Connects with the store's own connection's parameters (PQconninfo: the password too, never
 * printed) and LISTENs. Returns 0, or -1 with err filled (naming the database as the store
 * does, s->where). */
static int connect_listen(pg_store *s, pg_notify *n, ssot_store_error *err) {
    PQconninfoOption *opts = s->conn ? PQconninfo(s->conn) : NULL;
    if (!opts) {
        pg_fail(err, SSOT_STORE_ERROR, "PostgreSQL database %s: cannot read the connection's parameters", s->where);
        return -1;
    }
    size_t count = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++) count++;
    const char **keys = calloc(count + 6, sizeof *keys), **values = calloc(count + 6, sizeof *values);
    size_t k = 0;
    for (PQconninfoOption *o = opts; keys && values && o->keyword; o++) {
        if (!o->val || strcmp(o->keyword, "application_name") == 0) continue;
        keys[k] = o->keyword;
        values[k++] = o->val;
    }
    if (keys && values) { /* named, so that pg_stat_activity tells it from the store's own */
        keys[k] = "application_name";
        values[k++] = "ssot listen";
    }
    /* made again on the event loop's thread: a host that does not answer must not hold it
     * for minutes, and a connection gone silent must be noticed (unless the URL says otherwise) */
    static const char *const defaults[][2] = {{"connect_timeout", "3"}, {"keepalives_idle", "30"},
                                              {"keepalives_interval", "10"}, {"keepalives_count", "3"}};
    for (size_t d = 0; keys && values && d < sizeof defaults / sizeof defaults[0]; d++) {
        int given = 0;
        for (size_t i = 0; i < k; i++) given |= strcmp(keys[i], defaults[d][0]) == 0;
        if (!given) {
            keys[k] = defaults[d][0];
            values[k++] = defaults[d][1];
        }
    }
    PGconn *conn = keys && values ? PQconnectdbParams(keys, values, 0) : NULL;
    free(keys);
    free(values);
    PQconninfoFree(opts);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", conn ? PQerrorMessage(conn) : "out of memory");
        size_t len = strlen(msg);
        while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' ')) msg[--len] = '\0';
        if (conn) PQfinish(conn);
        pg_fail(err, SSOT_STORE_UNAVAILABLE, "cannot connect to the PostgreSQL database %s to listen for commits: %s",
                s->where, msg);
        return -1;
    }
    PGresult *r = PQexec(conn, "LISTEN ssot_changes; LISTEN ssot_messages");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok || PQsetnonblocking(conn, 1) != 0) {
        char msg[512];
        pg_fail(err, SSOT_STORE_UNAVAILABLE, "PostgreSQL database %s: LISTEN failed: %s", s->where,
                first_line(conn, msg, sizeof msg));
        PQfinish(conn);
        return -1;
    }
    PQsetNoticeProcessor(conn, quiet_notices, NULL);
    n->conn = conn;
    n->announce = 1;
    if (n->dead) PQfinish(n->dead);
    n->dead = NULL;
    return 0;
}

static pg_notify *state(pg_store *s) {
    if (!s->notify) s->notify = calloc(1, sizeof *s->notify);
    return s->notify;
}

static int pg_signal_fd(ssot_store *store) {
    pg_store *s = (pg_store *)store;
    pg_notify *n = state(s);
    if (n && !n->conn && now_ms() >= n->retry_ms) {
        ssot_store_error err;
        if (connect_listen(s, n, &err) != 0) drop(n); /* signal_drain reports it */
    }
    return n && n->conn ? PQsocket(n->conn) : -1;
}

/* Passes on the large message of id (text), read on the LISTEN connection (never in a
 * transaction, so the read is its own); 1, or 0 when it is gone (older than a minute) or the
 * read failed, which the next drain's PQconsumeInput reports. */
static int large_message(PGconn *conn, const char *id, const ssot_store_signals *to) {
    const char *params[1] = {id};
    PGresult *r = PQexecParams(conn, "SELECT body FROM _ssot_messages WHERE id = $1", 1, NULL, params, NULL, NULL, 0);
    int passed = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (passed) to->message(to->ctx, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0));
    PQclear(r);
    return passed;
}

static int pg_signal_drain(ssot_store *store, const ssot_store_signals *to, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    pg_notify *n = state(s);
    if (!n) {
        pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        return -1;
    }
    if (!n->conn) {
        if (now_ms() < n->retry_ms) return 0;
        if (connect_listen(s, n, err) != 0) {
            drop(n);
            return -1;
        }
    }
    int count = 0;
    if (n->announce) {
        n->announce = 0;
        to->change(to->ctx, NULL, -1);
        count++;
    }
    if (!PQconsumeInput(n->conn)) {
        char msg[512];
        pg_fail(err, SSOT_STORE_UNAVAILABLE, "the connection listening for commits on the PostgreSQL database %s "
                "is lost: %s", s->where, first_line(n->conn, msg, sizeof msg));
        drop(n);
        return -1;
    }
    for (PGnotify *note; (note = PQnotifies(n->conn)) != NULL; PQfreemem(note)) {
        if (note->relname && strcmp(note->relname, "ssot_messages") == 0) {
            if (!to->message || !note->extra) continue;
            if (note->extra[0] == '@') { /* "@<id>": a large message, in _ssot_messages */
                count += large_message(n->conn, note->extra + 1, to);
                continue;
            }
            to->message(to->ctx, note->extra, strlen(note->extra));
            count++;
            continue;
        }
        /* "<Model> <offset>": a model name has no space (an identifier) */
        char *space = note->extra ? strrchr(note->extra, ' ') : NULL;
        if (!space || space == note->extra) continue;
        char *end = NULL;
        long long offset = strtoll(space + 1, &end, 10);
        if (!end || *end != '\0' || offset < 0) continue;
        *space = '\0';
        to->change(to->ctx, note->extra, (int64_t)offset);
        count++;
    }
    return count;
}

/* A message that fits a NOTIFY goes in it; a larger one into _ssot_messages, its id in the
 * NOTIFY ("@<id>": a message itself starts with '{'), and messages older than a minute are
 * deleted on the way (every node has read it by then, or was cut off and lost it anyway). */
static const char notify_sql[] = "SELECT pg_notify('ssot_messages', $1)";
static const char notify_large_sql[] =
    "WITH m AS (INSERT INTO _ssot_messages (body) VALUES ($1) RETURNING id), "
    "old AS (DELETE FROM _ssot_messages WHERE at < now() - interval '1 minute') "
    "SELECT pg_notify('ssot_messages', '@' || m.id) FROM m";

static ssot_store_status pg_signal_send(ssot_store *store, const char *message, size_t len, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    pg_notify *n = state(s);
    if (!n) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    if (len > SSOT_SIGNAL_MESSAGE_LARGE_MAX || memchr(message, '\0', len))
        return pg_fail(err, SSOT_STORE_INVALID, "a signal of %zu bytes (at most %d, no NUL byte) cannot be sent",
                       len, SSOT_SIGNAL_MESSAGE_LARGE_MAX);
    if (!n->conn) {
        if (now_ms() < n->retry_ms)
            return pg_fail(err, SSOT_STORE_UNAVAILABLE, "the PostgreSQL database %s: the signal connection is down",
                           s->where);
        if (connect_listen(s, n, err) != 0) {
            drop(n);
            return SSOT_STORE_UNAVAILABLE;
        }
    }
    /* the LISTEN connection is never in a transaction, so the NOTIFY goes out now; its own
     * notifications read meanwhile wait in libpq for the next drain */
    char *text = malloc(len + 1);
    if (!text) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    memcpy(text, message, len);
    text[len] = '\0';
    const char *params[1] = {text};
    PGresult *r = PQexecParams(n->conn, len > SSOT_SIGNAL_MESSAGE_MAX ? notify_large_sql : notify_sql, 1, NULL, params,
                               NULL, NULL, 0);
    free(text);
    ssot_store_status status = SSOT_STORE_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[512];
        status = pg_fail(err, PQstatus(n->conn) == CONNECTION_OK ? SSOT_STORE_ERROR : SSOT_STORE_UNAVAILABLE,
                         "PostgreSQL database %s: sending a signal: %s", s->where, first_line(n->conn, msg, sizeof msg));
        if (PQstatus(n->conn) != CONNECTION_OK) drop(n);
    }
    PQclear(r);
    return status;
}

static void notify_close(ssot_store *store) {
    pg_store *s = (pg_store *)store;
    if (s && s->notify) {
        if (s->notify->conn) PQfinish(s->notify->conn);
        if (s->notify->dead) PQfinish(s->notify->dead);
        free(s->notify);
        s->notify = NULL;
    }
    if (base_close) base_close(store);
}

void pg_notify_ops(ssot_store_ops *ops) {
    if (ops->close != notify_close) {
        base_close = ops->close;
        ops->close = notify_close;
    }
    ops->signal_fd = pg_signal_fd;
    ops->signal_drain = pg_signal_drain;
    ops->signal_send = pg_signal_send;
}
