/* The store interface: everything the REST handlers and the realtime gateway need from the
 * database, as a struct of function pointers so a PostgreSQL store can sit beside the SQLite
 * one (store_sqlite*.c). Callers never touch SQLite themselves. Uses model.h, query.h, buf.h.
 *
 * Threading: a store handle is used by one thread at a time (open one per service thread;
 * they may share the database file and the ssot_app). Every function returns an
 * ssot_store_status and fills *err on failure; err may not be NULL. */
#ifndef SSOT_RUNTIME_STORE_H
#define SSOT_RUNTIME_STORE_H

#include "runtime/base/buf.h"
#include "runtime/model/model.h"
#include "runtime/model/query.h"

#include <jansson.h>
#include <stdint.h>

typedef enum ssot_store_status {
    SSOT_STORE_OK = 0,
    SSOT_STORE_NOT_FOUND,   /* no row with that id (404) — also for a malformed id */
    SSOT_STORE_CONFLICT,    /* a unique constraint: err.field names the field; or a delete
                             * blocked by rows that still refer to the row (409) */
    SSOT_STORE_INVALID,     /* a value the database refuses: a foreign key that points
                             * nowhere, a NOT NULL or CHECK failure; err.field names the
                             * field when known (400 validation_failed) */
    SSOT_STORE_DENIED,      /* the row exists but the filter or authorize callback hides or
                             * refuses it (403, or 404 where existence must not leak) */
    SSOT_STORE_REJECTED,    /* a callback aborted with err.message (e.g. a before-hook) */
    SSOT_STORE_BUSY,        /* the database stayed locked past busy_timeout (503) */
    SSOT_STORE_CANNOT_RECOVER, /* events_since: the gap is not wholly in the history */
    SSOT_STORE_SCHEMA,      /* open: the database schema cannot be brought to the IR */
    SSOT_STORE_FULL,        /* the disk (or a file size limit) left no room: nothing was
                             * written (507) */
    SSOT_STORE_UNAVAILABLE, /* the database cannot be written or read now: a read-only file or
                             * file system, an I/O error; nothing was written (503) */
    SSOT_STORE_ERROR        /* anything else: corruption, out of memory, a bug (500) */
} ssot_store_status;

typedef struct ssot_store_error {
    ssot_store_status status;
    const ssot_field *field; /* the field at fault, or NULL */
    char message[2048];      /* what went wrong, and for SCHEMA what to do */
} ssot_store_error;

/* Printable name of a status: "not_found", "conflict", ... */
const char *ssot_store_status_name(ssot_store_status status);

/* --- change stream (docs/runtime-storage.md, "The change stream") ------------------------ */

#define SSOT_EPOCH_SIZE 33 /* 32 hex digits + NUL */
#define SSOT_ID_TEXT_SIZE 40 /* a decimal int64 or a UUID, + NUL */

typedef enum ssot_event_kind { SSOT_EVENT_CREATED, SSOT_EVENT_UPDATED, SSOT_EVENT_DELETED } ssot_event_kind;

/* "created", "updated", "deleted" */
const char *ssot_event_name(ssot_event_kind kind);

/* A model's stream position: events up to and including `offset` have happened. A new
 * stream starts at offset 0 with a fresh random epoch; the epoch changes only when the
 * history was lost (deleted by hand): positions of the old epoch cannot be recovered. */
typedef struct ssot_stream_position {
    char epoch[SSOT_EPOCH_SIZE];
    int64_t offset;
} ssot_stream_position;

/* One committed change. row is the REST JSON of the row after the change (for deleted: the
 * row as it was). previous is, for updated, the row as it was before the update (JSON, id,
 * owner): the realtime gateway needs both sides to send an update that moves a row out of a
 * subscriber's view as a delete, live and in replay (docs/protocol.md, "Permissions"); for
 * created and deleted it is empty (previous.json NULL, json_len 0, id and owner NULL). The
 * pointers stay valid until the next call on the same store. */
typedef struct ssot_change {
    const ssot_model *model;
    ssot_event_kind kind;
    int64_t offset;
    char epoch[SSOT_EPOCH_SIZE];
    ssot_row_view row;
    ssot_row_view previous;
    const char *at; /* commit time, ISO 8601 UTC with milliseconds */
} ssot_change;

/* Called once per event by events_since, oldest first. Return 0 to go on, nonzero to stop
 * (events_since then returns SSOT_STORE_REJECTED). It may read through the same store (get,
 * list, position: a Lua rule filtering a replay) but must not write. */
typedef int (*ssot_change_visit_fn)(void *ctx, const ssot_change *change);

/* --- writes ---------------------------------------------------------------------------- */

typedef enum ssot_update_mode {
    SSOT_UPDATE_PATCH,  /* only the fields present in the body change */
    SSOT_UPDATE_REPLACE /* PUT: every client-writable field is set; absent optional fields
                         * become their default, or null */
} ssot_update_mode;

/* Called by update and delete inside the write transaction, with the row as it is before
 * the change, before anything is written: evaluate ownership rules and run before-hooks
 * here. The callback may modify the body it was given (update) — the store reads the body
 * only after the callback returns. Return 1 to go ahead, 0 to refuse (the store rolls back
 * and returns SSOT_STORE_DENIED), -1 to abort with a message written into message (the
 * store rolls back and returns SSOT_STORE_REJECTED). It may read through the same store
 * (get, list, position: they see the transaction) but must not write. */
typedef int (*ssot_authorize_fn)(void *ctx, const ssot_row_view *existing, char *message, size_t message_size);

typedef struct ssot_authorize {
    ssot_authorize_fn fn; /* NULL: always allowed */
    void *ctx;
} ssot_authorize;

/* --- the interface ------------------------------------------------------------------- */

typedef struct ssot_store ssot_store;

/* Where signal_drain passes signals. */
typedef struct ssot_store_signals {
    /* A committed change of model at offset, by any process (this one's too); model NULL
     * and offset -1 when signals may have been lost (after a reconnect): check every
     * model's position. */
    void (*change)(void *ctx, const char *model, int64_t offset);
    /* A signal_send message (n bytes, not NUL-terminated), by any process. May be NULL. */
    void (*message)(void *ctx, const char *message, size_t n);
    void *ctx;
} ssot_store_signals;

/* The largest signal_send message that travels in the signal itself: PostgreSQL's NOTIFY
 * payload is under 8000 bytes. A store may carry larger ones another way (the PostgreSQL
 * store through a table), up to SSOT_SIGNAL_MESSAGE_LARGE_MAX. */
#define SSOT_SIGNAL_MESSAGE_MAX 7900
#define SSOT_SIGNAL_MESSAGE_LARGE_MAX (1024 * 1024)

typedef struct ssot_store_ops {
    const char *name; /* "sqlite" */

    /* Closes the store; in-flight nothing (every call is synchronous). */
    void (*close)(ssot_store *store);

    /* GET /api/<path>: appends the whole response body to out:
     *   {"items":[row...],"total":n,"skip":n,"take":n,"offset":n,"epoch":"..."}
     * Page, total and stream position are read in one read transaction. pos may be NULL. */
    ssot_store_status (*list)(ssot_store *store, const ssot_query *query, const ssot_row_filter *filter,
                              ssot_buf *out, ssot_stream_position *pos, ssot_store_error *err);

    /* GET /api/<path>/<id>: id is the URL segment (n bytes). Appends the row JSON to out.
     * NOT_FOUND when there is no such row or the id is malformed for the model's id kind;
     * DENIED when the row exists but filter hides it. filter may be NULL. */
    ssot_store_status (*get)(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                             const ssot_row_filter *filter, ssot_buf *out, ssot_store_error *err);

    /* POST: body is an object already checked by ssot_body_check (SSOT_BODY_CREATE) and
     * completed by the caller (owner field set from the token). The store fills the id, the
     * auto datetimes and the defaults of absent fields, inserts the row and its change event
     * in one transaction and returns after COMMIT. Appends the created row to out; *change
     * describes the event (change->row.json points into out). */
    ssot_store_status (*create)(ssot_store *store, const ssot_model *model, json_t *body, ssot_buf *out,
                                ssot_change *change, ssot_store_error *err);

    /* PATCH / PUT by id: in one write transaction reads the row (NOT_FOUND), calls authorize
     * with it, applies body (checked by ssot_body_check with SSOT_BODY_PATCH or
     * SSOT_BODY_REPLACE), sets auto "update" datetimes, writes the change event, commits.
     * Appends the updated row to out. */
    ssot_store_status (*update)(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                                json_t *body, ssot_update_mode mode, const ssot_authorize *authorize,
                                ssot_buf *out, ssot_change *change, ssot_store_error *err);

    /* DELETE by id: reads the row, calls authorize, deletes it and writes the change event
     * in one transaction. Appends the deleted row to out (for the event; DELETE answers 204).
     * CONFLICT (the message names the referring model and field) when rows of a belongsTo
     * without onDelete cascade/setNull still refer to it. */
    ssot_store_status (*remove)(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                                const ssot_authorize *authorize, ssot_buf *out, ssot_change *change,
                                ssot_store_error *err);

    /* The model's current stream position. */
    ssot_store_status (*position)(ssot_store *store, const ssot_model *model, ssot_stream_position *pos,
                                  ssot_store_error *err);

    /* Recovery for a subscriber that saw everything up to `since`: when `since` is in the
     * current epoch and every event after since.offset is still in the history, calls visit
     * for each of them in order and returns OK; otherwise returns CANNOT_RECOVER without
     * calling visit at all — never a partial replay. now (may be NULL) gets the position the
     * replay ends at, read in the same transaction. */
    ssot_store_status (*events_since)(ssot_store *store, const ssot_model *model,
                                      const ssot_stream_position *since, ssot_change_visit_fn visit, void *ctx,
                                      ssot_stream_position *now, ssot_store_error *err);

    /* Group commit (optional: NULL in a store without it; added by E2 for the HTTP layer).
     * After batch_begin, create/update/remove run inside one transaction that the first of
     * them opens, each in a savepoint of its own: a write that fails rolls back alone; a
     * write that returned OK is durable only once batch_end returns OK, and if batch_end
     * fails every write since batch_begin is rolled back. Reads (list, get, position,
     * events_since) see the batch's writes, so end the batch before a read whose answer
     * must only show committed rows. */
    ssot_store_status (*batch_begin)(ssot_store *store, ssot_store_error *err);
    ssot_store_status (*batch_end)(ssot_store *store, ssot_store_error *err);

    /* Shared read snapshot (optional: NULL in a store without it). After snapshot_begin, the
     * reads (list, get, position, events_since) that run outside a write share one read
     * transaction, opened by the first of them, until snapshot_end; a write ends it first
     * and sees the latest state. Reads then take the database's locks once per snapshot
     * instead of once each, but see the database as it was at the first of them: end the
     * snapshot before a read that must see commits made since (the server ends it after
     * every pass of its event loop, whose requests are concurrent anyway). */
    void (*snapshot_begin)(ssot_store *store);
    void (*snapshot_end)(ssot_store *store);

    /* Signals between the processes on one database (optional: NULL in a store only this
     * process uses, such as SQLite's). signal_fd gives a file descriptor that becomes
     * readable when signals may be waiting, or -1 when there is none now (the signal
     * connection is lost: call signal_drain again later, which reconnects). Its number may
     * change after a reconnect, so ask again after every drain. signal_drain reads what is
     * waiting without blocking and passes each signal to `to` (ssot_store_signals, above).
     * Returns the number of signals passed on, or -1 on an error it describes in err (the
     * connection is dropped and made again at a later drain). signal_send (may be NULL even
     * when the others are not) sends a message of n bytes to every process on the database,
     * this one included, at once (not inside a write); a message is a JSON object (it starts
     * with '{'). Over SSOT_SIGNAL_MESSAGE_MAX bytes a store that cannot carry it answers
     * INVALID; none carries more than SSOT_SIGNAL_MESSAGE_LARGE_MAX. */
    int (*signal_fd)(ssot_store *store);
    int (*signal_drain)(ssot_store *store, const struct ssot_store_signals *to, ssot_store_error *err);
    ssot_store_status (*signal_send)(ssot_store *store, const char *message, size_t n, ssot_store_error *err);
} ssot_store_ops;

/* Every store starts with this header; implementations put their state after it. */
struct ssot_store {
    const ssot_store_ops *ops;
    const ssot_app *app;
};

static inline void ssot_store_close(ssot_store *s) { s->ops->close(s); }
static inline ssot_store_status ssot_store_list(ssot_store *s, const ssot_query *q, const ssot_row_filter *f,
                                                ssot_buf *out, ssot_stream_position *pos, ssot_store_error *err) {
    return s->ops->list(s, q, f, out, pos, err);
}
static inline ssot_store_status ssot_store_get(ssot_store *s, const ssot_model *m, const char *id, size_t n,
                                               const ssot_row_filter *f, ssot_buf *out, ssot_store_error *err) {
    return s->ops->get(s, m, id, n, f, out, err);
}
static inline ssot_store_status ssot_store_create(ssot_store *s, const ssot_model *m, json_t *body, ssot_buf *out,
                                                  ssot_change *change, ssot_store_error *err) {
    return s->ops->create(s, m, body, out, change, err);
}
static inline ssot_store_status ssot_store_update(ssot_store *s, const ssot_model *m, const char *id, size_t n,
                                                  json_t *body, ssot_update_mode mode, const ssot_authorize *a,
                                                  ssot_buf *out, ssot_change *change, ssot_store_error *err) {
    return s->ops->update(s, m, id, n, body, mode, a, out, change, err);
}
static inline ssot_store_status ssot_store_remove(ssot_store *s, const ssot_model *m, const char *id, size_t n,
                                                  const ssot_authorize *a, ssot_buf *out, ssot_change *change,
                                                  ssot_store_error *err) {
    return s->ops->remove(s, m, id, n, a, out, change, err);
}
static inline ssot_store_status ssot_store_position(ssot_store *s, const ssot_model *m, ssot_stream_position *pos,
                                                    ssot_store_error *err) {
    return s->ops->position(s, m, pos, err);
}
static inline ssot_store_status ssot_store_events_since(ssot_store *s, const ssot_model *m,
                                                        const ssot_stream_position *since, ssot_change_visit_fn visit,
                                                        void *ctx, ssot_stream_position *now, ssot_store_error *err) {
    return s->ops->events_since(s, m, since, visit, ctx, now, err);
}

static inline int ssot_store_can_batch(const ssot_store *s) { return s->ops->batch_begin && s->ops->batch_end; }
static inline ssot_store_status ssot_store_batch_begin(ssot_store *s, ssot_store_error *err) {
    return s->ops->batch_begin(s, err);
}
static inline ssot_store_status ssot_store_batch_end(ssot_store *s, ssot_store_error *err) {
    return s->ops->batch_end(s, err);
}

static inline int ssot_store_can_snapshot(const ssot_store *s) { return s->ops->snapshot_begin && s->ops->snapshot_end; }
static inline void ssot_store_snapshot_begin(ssot_store *s) { s->ops->snapshot_begin(s); }
static inline void ssot_store_snapshot_end(ssot_store *s) { s->ops->snapshot_end(s); }

static inline int ssot_store_can_signal(const ssot_store *s) { return s->ops->signal_fd && s->ops->signal_drain; }
static inline int ssot_store_signal_fd(ssot_store *s) { return s->ops->signal_fd(s); }
static inline int ssot_store_signal_drain(ssot_store *s, const ssot_store_signals *to, ssot_store_error *err) {
    return s->ops->signal_drain(s, to, err);
}
static inline int ssot_store_can_send_signal(const ssot_store *s) { return s->ops->signal_send != NULL; }
static inline ssot_store_status ssot_store_signal_send(ssot_store *s, const char *message, size_t n,
                                                       ssot_store_error *err) {
    return s->ops->signal_send(s, message, n, err);
}

/* --- the SQLite store -------------------------------------------------------------------- */

typedef struct ssot_sqlite_options {
    const char *path;       /* the database file; NULL: app->serve.database. ":memory:" works */
    int busy_timeout_ms;    /* 0: 5000 */
    int64_t history;        /* change events kept per model; 0: 1000 */
    int create_dirs;        /* nonzero: create the file's parent directory when missing */
    int checkpoint_pages;   /* WAL frames that start a checkpoint (on a thread of its own); 0: 1000 */
} ssot_sqlite_options;

/* Opens (creating when missing) the database, sets the pragmas (WAL, synchronous=NORMAL,
 * foreign_keys=ON, busy_timeout), brings the schema to the app's IR — additive changes in
 * one transaction, anything destructive refused with SSOT_STORE_SCHEMA and a message naming
 * the model, the field, the change and what to do, the database left untouched — and
 * prepares the per-model statements. DDL comes from the Lua module ssot.sql through app->L.
 * options may be NULL. */
ssot_store_status ssot_store_sqlite_open(const ssot_app *app, const ssot_sqlite_options *options,
                                         ssot_store **out, ssot_store_error *err);

#endif
