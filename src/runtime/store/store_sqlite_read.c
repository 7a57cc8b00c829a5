/* The SQLite store's reads: list pages (conditions, order, paging, total and the stream
 * position in one read transaction, with rows hidden by the caller's filter left out before
 * paging) and get by id. Row JSON comes straight from SQLite. Uses SQLite (store_sqlite.h). */
#include "runtime/store/store_sqlite.h"
#include "runtime/store/store_messages.h"

#include <string.h>

/* Whether a row passes the filter: 1 visible, 0 hidden, -1 the callback aborted (err set). */
static int row_visible(const ssot_row_filter *filter, const ssot_row_view *row, ssot_store_error *err) {
    if (!filter) return 1;
    if (filter->pred && !ssot_pred_matches(filter->pred, row->owner)) return 0;
    if (!filter->visible) return 1;
    char message[sizeof err->message];
    message[0] = '\0';
    int v = filter->visible(filter->ctx, row, message, sizeof message);
    if (v < 0) {
        sq_fail(err, SSOT_STORE_REJECTED, NULL, "%s", message[0] ? message : "the row filter failed");
        return -1;
    }
    return v > 0;
}

ssot_store_status sq_get(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                         const ssot_row_filter *filter, ssot_buf *out, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    sqlite3_stmt *stmt = s->models[model->index].get;
    if (s->snapshot) { /* one statement: outside a snapshot it is its own read transaction */
        int began;
        ssot_store_status status = sq_begin_read(s, model, &began, err);
        if (status != SSOT_STORE_OK) return status;
    }
    if (sq_bind_id(stmt, 1, model, id, n) != 0)
        return ssot_store_not_found(err, model, id, n, 1);
    int rc = sqlite3_step(stmt);
    ssot_store_status status = SSOT_STORE_OK;
    ssot_buf copy = SSOT_BUF_INIT; /* the row, out of the statement before the filter runs */
    if (rc == SQLITE_ROW) {
        sq_pack_row_view(&copy, stmt);
        if (copy.failed) status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    } else if (rc == SQLITE_DONE) {
        status = ssot_store_not_found(err, model, id, n, 0);
    } else {
        status = sq_db_error(s, model, rc, err);
    }
    sqlite3_reset(stmt);
    if (status == SSOT_STORE_OK) {
        const char *at = copy.data;
        ssot_row_view row;
        sq_unpack_row_view(&at, &row);
        int visible = row_visible(filter, &row, err);
        if (visible < 0)
            status = SSOT_STORE_REJECTED;
        else if (!visible)
            status = ssot_store_not_visible(err, model, row.id);
        else if (ssot_buf_append(out, row.json, row.json_len) != 0)
            status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    }
    ssot_buf_free(&copy);
    return status;
}

/* Appends ORDER BY for the query, always ending with the primary key. */
static void order_by(ssot_buf *sql, const ssot_query *q) {
    const ssot_field *pk = q->model->primary_key;
    ssot_buf_puts(sql, " ORDER BY ");
    int pk_seen = 0;
    for (size_t i = 0; i < q->norder; i++) {
        sq_ident(sql, q->order[i].field->column);
        ssot_buf_puts(sql, q->order[i].desc ? " DESC, " : " ASC, ");
        if (q->order[i].field == pk) pk_seen = 1;
    }
    if (pk_seen) {
        ssot_buf_truncate(sql, sql->len - 2);
    } else {
        sq_ident(sql, pk->column);
        ssot_buf_puts(sql, " ASC");
    }
}

/* Steps a statement whose rows are (row, id, owner), appending rows from the skip-th to out —
 * every row SQL returned: the predicate and paging are in the statement. */
static ssot_store_status collect(sqlite_store *s, const ssot_model *m, sqlite3_stmt *stmt, ssot_buf *out,
                                 ssot_store_error *err) {
    int rc;
    int64_t emitted = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        ssot_row_view row;
        sq_row_view(stmt, &row);
        if (emitted++) ssot_buf_putc(out, ',');
        ssot_buf_append(out, row.json, row.json_len);
    }
    if (rc != SQLITE_DONE) return sq_db_error(s, m, rc, err);
    return out->failed ? sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory") : SSOT_STORE_OK;
}

/* With a callback filter: copies every candidate row out of stmt, resets it, then asks the
 * callback about each (it may read through the store), appending the visible ones from the
 * skip-th, take of them, to out and counting all visible ones into *total. */
static ssot_store_status collect_filtered(sqlite_store *s, const ssot_model *m, sqlite3_stmt *stmt,
                                          const ssot_row_filter *filter, int64_t skip, int64_t take,
                                          int64_t *total, ssot_buf *out, ssot_store_error *err) {
    ssot_buf rows = SSOT_BUF_INIT;
    size_t candidates = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        sq_pack_row_view(&rows, stmt);
        candidates++;
    }
    sqlite3_reset(stmt);
    ssot_store_status status = SSOT_STORE_OK;
    if (rc != SQLITE_DONE)
        status = sq_db_error(s, m, rc, err);
    else if (rows.failed)
        status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    int64_t seen = 0, emitted = 0;
    const char *at = rows.data;
    for (size_t i = 0; status == SSOT_STORE_OK && i < candidates; i++) {
        ssot_row_view row;
        sq_unpack_row_view(&at, &row);
        int v = row_visible(filter, &row, err);
        if (v < 0) status = SSOT_STORE_REJECTED;
        if (v <= 0) continue;
        if (seen++ < skip || emitted >= take) continue;
        if (emitted++) ssot_buf_putc(out, ',');
        ssot_buf_append(out, row.json, row.json_len);
    }
    ssot_buf_free(&rows);
    if (status == SSOT_STORE_OK && out->failed) status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    if (status == SSOT_STORE_OK) *total = seen;
    return status;
}

static ssot_store_status count_rows(sqlite_store *s, const ssot_model *m, sqlite3_stmt *stmt, int64_t *total,
                                    ssot_store_error *err) {
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) return sq_db_error(s, m, rc, err);
    *total = sqlite3_column_int64(stmt, 0);
    return SSOT_STORE_OK;
}

/* Builds, caches and binds the count and page statements of a query with conditions, an
 * order or a predicate. *count is NULL when a callback filter counts instead. */
static ssot_store_status shaped_statements(sqlite_store *s, const ssot_query *q, const ssot_row_filter *filter,
                                           sqlite3_stmt **count, sqlite3_stmt **page, ssot_store_error *err) {
    const ssot_model *m = q->model;
    ssot_buf *where = &s->sql, *sql = &s->scratch;
    ssot_buf_reset(where);
    ssot_buf_reset(sql);
    ssot_store_status status = sq_compile_where(s, q, filter ? filter->pred : NULL, where, err);
    if (status != SSOT_STORE_OK) return status;
    int callback = filter && filter->visible;
    *count = NULL;
    if (!callback) {
        ssot_buf_puts(sql, "SELECT count(*) FROM ");
        sq_ident(sql, m->table);
        ssot_buf_append(sql, where->data, where->len);
        if (sql->failed) return sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
        if (!(*count = sq_cached(s, sql->data, sql->len, err))) return SSOT_STORE_ERROR;
        sq_bind_all(s, *count, 1);
        ssot_buf_reset(sql);
    }
    ssot_buf_printf(sql, "SELECT %s FROM ", s->models[m->index].select_list);
    sq_ident(sql, m->table);
    ssot_buf_append(sql, where->data, where->len);
    order_by(sql, q);
    if (!callback) ssot_buf_puts(sql, " LIMIT ? OFFSET ?");
    if (sql->failed) return sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    if (!(*page = sq_cached(s, sql->data, sql->len, err))) return SSOT_STORE_ERROR;
    sq_bind_all(s, *page, 1);
    if (!callback) {
        sqlite3_bind_int64(*page, (int)s->nbinds + 1, q->take);
        sqlite3_bind_int64(*page, (int)s->nbinds + 2, q->skip);
    }
    return SSOT_STORE_OK;
}

ssot_store_status sq_list(ssot_store *store, const ssot_query *q, const ssot_row_filter *filter, ssot_buf *out,
                          ssot_stream_position *pos_out, ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    const ssot_model *m = q->model;
    model_statements *ms = &s->models[m->index];
    const ssot_pred *pred = filter ? filter->pred : NULL;
    int callback = filter && filter->visible;
    int plain = q->nconditions == 0 && q->norder == 0 && !callback && (!pred || pred->op == SSOT_PRED_TRUE);
    int nothing = pred && pred->op == SSOT_PRED_FALSE;

    int began = 0;
    ssot_store_status status = sq_begin_read(s, m, &began, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_stream_position pos;
    status = sq_read_position(s, m, &pos, err);
    sqlite3_stmt *count = NULL, *page = NULL;
    if (status == SSOT_STORE_OK && !nothing) {
        if (plain) {
            count = ms->count;
            page = ms->page;
            sqlite3_bind_int64(page, 1, q->take);
            sqlite3_bind_int64(page, 2, q->skip);
        } else {
            status = shaped_statements(s, q, filter, &count, &page, err);
        }
    }
    int64_t total = 0;
    size_t start = out->len;
    if (status == SSOT_STORE_OK && count) status = count_rows(s, m, count, &total, err);
    ssot_buf_puts(out, "{\"items\":[");
    if (status == SSOT_STORE_OK && page && callback) {
        status = collect_filtered(s, m, page, filter, q->skip, q->take, &total, out, err);
        page = NULL; /* reset already; the callback's own reads may have reused its cache slot */
    } else if (status == SSOT_STORE_OK && page) {
        status = collect(s, m, page, out, err);
    }
    if (count) sqlite3_reset(count);
    if (page) sqlite3_reset(page);
    sq_end_read(s, began);
    if (status != SSOT_STORE_OK) {
        ssot_buf_truncate(out, start);
        return status;
    }
    ssot_buf_puts(out, "],\"total\":");
    ssot_buf_put_int(out, total);
    ssot_buf_puts(out, ",\"skip\":");
    ssot_buf_put_int(out, q->skip);
    ssot_buf_puts(out, ",\"take\":");
    ssot_buf_put_int(out, q->take);
    ssot_buf_puts(out, ",\"offset\":");
    ssot_buf_put_int(out, pos.offset);
    ssot_buf_puts(out, ",\"epoch\":\"");
    ssot_buf_puts(out, pos.epoch);
    ssot_buf_puts(out, "\"}");
    if (out->failed) return sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    if (pos_out) *pos_out = pos;
    return SSOT_STORE_OK;
}
