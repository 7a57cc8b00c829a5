/* The SQLite store's writes: create, update (PATCH / PUT) and delete, each in one write
 * transaction with its change event, acknowledged only after COMMIT; update and delete show
 * the caller the row before the change (authorize) inside the transaction, and an update's
 * change carries that row as its previous one. Server-filled values (uuid ids, auto
 * datetimes, defaults) are set here. Uses SQLite, jansson (store_sqlite.h), value.h. */
#include "runtime/store/store_sqlite.h"
#include "runtime/store/store_messages.h"

#include "runtime/model/value.h"

#include <stdio.h>
#include <string.h>

/* After a foreign-key failure on insert/update: the body field whose target row is missing. */
static const ssot_field *missing_reference(sqlite_store *s, const ssot_model *m, json_t *body) {
    const ssot_app *app = s->base.app;
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        json_t *value = f->ref_model ? json_object_get(body, f->name) : NULL;
        const ssot_model *target = value && !json_is_null(value) ? ssot_app_model(app, f->ref_model) : NULL;
        if (!target) continue;
        ssot_buf sql = SSOT_BUF_INIT;
        ssot_buf_puts(&sql, "SELECT 1 FROM ");
        sq_ident(&sql, target->table);
        ssot_buf_puts(&sql, " WHERE ");
        sq_ident(&sql, f->ref_field);
        ssot_buf_puts(&sql, " = ?1");
        sqlite3_stmt *stmt = NULL;
        int found = 1;
        if (!sql.failed && sqlite3_prepare_v2(s->db, sql.data, -1, &stmt, NULL) == SQLITE_OK) {
            sq_bind_json(s, stmt, 1, f, value);
            found = sqlite3_step(stmt) == SQLITE_ROW;
        }
        sqlite3_finalize(stmt);
        ssot_buf_free(&sql);
        if (!found) return f;
    }
    return NULL;
}

/* The status for a failed write statement; names the field for constraint failures. */
static ssot_store_status write_error(sqlite_store *s, const ssot_model *m, json_t *body, int rc,
                                     ssot_store_error *err) {
    ssot_store_status status = sq_db_error(s, m, rc, err);
    if (sq_foreign_key_error(s) && body) {
        const ssot_field *f = missing_reference(s, m, body);
        if (f)
            ssot_store_missing_reference(err, f);
    }
    return status;
}

/* How many rows of referring still point at row id through field (store_messages.h). */
static long long count_refs(void *ctx, const ssot_model *referring, const ssot_field *field, const char *id) {
    sqlite_store *s = ctx;
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "SELECT count(*) FROM ");
    sq_ident(&sql, referring->table);
    ssot_buf_puts(&sql, " WHERE ");
    sq_ident(&sql, field->column);
    ssot_buf_puts(&sql, " = ?1");
    sqlite3_stmt *stmt = NULL;
    long long n = 0;
    const ssot_model *target = ssot_app_model(s->base.app, field->ref_model);
    if (!sql.failed && target && sqlite3_prepare_v2(s->db, sql.data, -1, &stmt, NULL) == SQLITE_OK &&
        sq_bind_id(stmt, 1, target, id, strlen(id)) == 0 && sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    ssot_buf_free(&sql);
    return n;
}

static ssot_store_status begin_write(sqlite_store *s, const ssot_model *m, ssot_store_error *err) {
    sq_snapshot_close(s); /* a write sees the latest state, not the reads' snapshot */
    if (s->batch) return sq_batch_write_begin(s, m, err);
    int rc = sq_exec(s, s->begin_immediate);
    return rc == SQLITE_DONE ? SSOT_STORE_OK : sq_db_error(s, m, rc, err);
}

/* Finishes a write: on success appends the change and commits; on failure rolls back and
 * drops what was appended to out. */
static ssot_store_status finish_write(sqlite_store *s, const ssot_model *m, ssot_event_kind kind,
                                      ssot_store_status status, ssot_buf *out, size_t start, ssot_change *change,
                                      ssot_store_error *err) {
    if (status == SSOT_STORE_OK) status = sq_append_change(s, m, kind, change, err);
    if (s->batch) {
        status = sq_batch_write_finish(s, m, status, err);
    } else {
        if (status == SSOT_STORE_OK) status = sq_commit(s, m, err);
        if (status != SSOT_STORE_OK) sq_rollback(s);
    }
    if (status != SSOT_STORE_OK) ssot_buf_truncate(out, start);
    return status;
}

ssot_store_status sq_create(ssot_store *store, const ssot_model *m, json_t *body, ssot_buf *out,
                            ssot_change *change, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    model_statements *ms = &s->models[m->index];
    sqlite3_stmt *stmt = ms->insert;
    change->previous = (ssot_row_view){0}; /* only an update has a row before it */
    char now[25], uuid[37];
    ssot_datetime_now(now);
    for (size_t k = 0; k < ms->ninsert; k++) {
        const ssot_field *f = ms->insert_fields[k];
        int at = (int)k + 1;
        json_t *value = json_object_get(body, f->name);
        if (f->type == SSOT_TYPE_ID) {
            if (ssot_uuid_random(uuid) != 0) return sq_fail(err, SSOT_STORE_ERROR, NULL, "no random bytes for a UUID");
            sqlite3_bind_text(stmt, at, uuid, 36, SQLITE_STATIC);
        } else if (f->auto_kind != SSOT_AUTO_NONE) {
            sqlite3_bind_text(stmt, at, now, 24, SQLITE_STATIC);
        } else {
            sq_bind_json(s, stmt, at, f, value ? value : f->default_value);
        }
    }
    size_t start = out->len;
    ssot_store_status status = begin_write(s, m, err);
    if (status == SSOT_STORE_OK) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            if (sq_capture_row(s, stmt, out, change) != 0) status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
        } else {
            status = write_error(s, m, body, rc, err);
        }
        sqlite3_reset(stmt);
    }
    sqlite3_clear_bindings(stmt);
    if (status != SSOT_STORE_OK && sqlite3_get_autocommit(s->db)) return status;
    return finish_write(s, m, SSOT_EVENT_CREATED, status, out, start, change, err);
}

/* Copies a result row into s->existing and points view at the copy. The copy lasts until
 * the next update or delete: an update's change points its previous row at it. */
static int copy_existing(sqlite_store *s, const ssot_row_view *row, ssot_row_view *view) {
    ssot_buf *b = &s->existing;
    ssot_buf_reset(b);
    ssot_buf_append(b, row->json, row->json_len);
    ssot_buf_putc(b, '\0');
    size_t id_at = b->len;
    ssot_buf_append(b, row->id ? row->id : "", row->id ? strlen(row->id) + 1 : 1);
    size_t owner_at = b->len;
    if (row->owner) ssot_buf_append(b, row->owner, strlen(row->owner) + 1);
    if (b->failed) return -1;
    view->json = b->data;
    view->json_len = row->json_len;
    view->id = b->data + id_at;
    view->owner = row->owner ? b->data + owner_at : NULL;
    return 0;
}

/* In the open write transaction: reads the row, shows a copy of it to authorize (the get
 * statement is reset by then, so the callback may read through the store) and points
 * *existing at that copy (in s->existing) for the caller. */
static ssot_store_status load_and_authorize(sqlite_store *s, const ssot_model *m, const char *id, size_t n,
                                            const ssot_authorize *authorize, ssot_row_view *existing,
                                            ssot_store_error *err) {
    sqlite3_stmt *get = s->models[m->index].get;
    if (sq_bind_id(get, 1, m, id, n) != 0)
        return ssot_store_not_found(err, m, id, n, 1);
    int rc = sqlite3_step(get);
    ssot_store_status status = SSOT_STORE_OK;
    if (rc == SQLITE_DONE) {
        status = ssot_store_not_found(err, m, id, n, 0);
    } else if (rc != SQLITE_ROW) {
        status = sq_db_error(s, m, rc, err);
    } else {
        ssot_row_view row;
        sq_row_view(get, &row);
        if (copy_existing(s, &row, existing) != 0) status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
        sqlite3_reset(get); /* the callback may read through the store */
        if (status == SSOT_STORE_OK && authorize && authorize->fn) {
            char message[sizeof err->message];
            message[0] = '\0';
            int verdict = authorize->fn(authorize->ctx, existing, message, sizeof message);
            if (verdict < 0)
                status = sq_fail(err, SSOT_STORE_REJECTED, NULL, "%s", message[0] ? message : "rejected");
            else if (verdict == 0)
                status = sq_fail(err, SSOT_STORE_DENIED, NULL, "%s", message[0] ? message : "not allowed");
        }
    }
    sqlite3_reset(get);
    return status;
}

ssot_store_status sq_update(ssot_store *store, const ssot_model *m, const char *id, size_t n, json_t *body,
                            ssot_update_mode mode, const ssot_authorize *authorize, ssot_buf *out,
                            ssot_change *change, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    model_statements *ms = &s->models[m->index];
    size_t start = out->len;
    change->previous = (ssot_row_view){0};
    ssot_store_status status = begin_write(s, m, err);
    if (status != SSOT_STORE_OK) return status;
    /* the copy authorize saw is the change's previous row: nothing writes s->existing again
     * before the next update or delete */
    status = load_and_authorize(s, m, id, n, authorize, &change->previous, err);
    sqlite3_stmt *stmt = ms->update;
    if (status == SSOT_STORE_OK) { /* the body is read only now: authorize may have changed it */
        char now[25];
        ssot_datetime_now(now);
        for (size_t k = 0; k < ms->nupdate; k++) {
            const ssot_field *f = ms->update_fields[k];
            int flag = (int)(2 * k + 1), at = flag + 1;
            json_t *value = json_object_get(body, f->name);
            if (f->auto_kind == SSOT_AUTO_UPDATE) {
                sqlite3_bind_int(stmt, flag, 1);
                sqlite3_bind_text(stmt, at, now, 24, SQLITE_STATIC);
            } else if (value) {
                sqlite3_bind_int(stmt, flag, 1);
                sq_bind_json(s, stmt, at, f, value);
            } else if (mode == SSOT_UPDATE_REPLACE && !f->is_owner) {
                sqlite3_bind_int(stmt, flag, 1); /* PUT: an absent field becomes its default, or null */
                sq_bind_json(s, stmt, at, f, f->default_value);
            } else {
                sqlite3_bind_int(stmt, flag, 0);
                sqlite3_bind_null(stmt, at);
            }
        }
        sq_bind_id(stmt, (int)(2 * ms->nupdate + 1), m, id, n);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            if (sq_capture_row(s, stmt, out, change) != 0) status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
        } else if (rc == SQLITE_DONE) {
            status = ssot_store_not_found(err, m, id, n, 0);
        } else {
            status = write_error(s, m, body, rc, err);
        }
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
    return finish_write(s, m, SSOT_EVENT_UPDATED, status, out, start, change, err);
}

ssot_store_status sq_remove(ssot_store *store, const ssot_model *m, const char *id, size_t n,
                            const ssot_authorize *authorize, ssot_buf *out, ssot_change *change,
                            ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    size_t start = out->len;
    change->previous = (ssot_row_view){0}; /* the deleted row is the change's row */
    ssot_store_status status = begin_write(s, m, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_row_view existing;
    status = load_and_authorize(s, m, id, n, authorize, &existing, err);
    if (status == SSOT_STORE_OK && sq_capture_view(s, &existing, out, change) != 0)
        status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    if (status == SSOT_STORE_OK) {
        sqlite3_stmt *stmt = s->models[m->index].remove;
        sq_bind_id(stmt, 1, m, id, n);
        int rc = sq_exec(s, stmt);
        if (rc != SQLITE_DONE) {
            status = sq_foreign_key_error(s)
                         ? ssot_store_still_referenced(err, s->base.app, m, change->row.id, count_refs, s)
                         : sq_db_error(s, m, rc, err);
        }
    }
    return finish_write(s, m, SSOT_EVENT_DELETED, status, out, start, change, err);
}
