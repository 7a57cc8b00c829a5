/* The PostgreSQL store's reads: list pages (conditions, order, paging, total and the stream
 * position in one read transaction, with rows hidden by the caller's filter left out before
 * paging) and get by id, with the SQLite store's statuses, messages and JSON bytes
 * (store_sqlite_read.c). A list is one statement (position, total and page) unless a callback
 * filters its rows. The SQL of a list comes from store_pg_where.c, the row JSON from
 * store_pg_row.c; the transaction from store_pg_txn.c. Uses libpq (store_pg_internal.h). */
#include "runtime/store/store_pg_internal.h"
#include "runtime/store/store_messages.h"

#include <stdio.h>
#include <stdlib.h>
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
        pg_fail(err, SSOT_STORE_REJECTED, "%s", message[0] ? message : "the row filter failed");
        return -1;
    }
    return v > 0;
}

/* The view of row i of r (columns as pg_select_columns), its JSON written into json. */
static int row_view(const ssot_model *m, const PGresult *r, int i, ssot_buf *json, ssot_row_view *row) {
    ssot_buf_reset(json);
    if (pg_row_json(json, m, r, i, 0) != 0) return -1;
    row->json = json->data;
    row->json_len = json->len;
    row->id = pg_row_id(m, r, i, 0);
    row->owner = pg_row_owner(m, r, i, 0);
    return 0;
}

/* Prepares the model's get statement on this connection once: a get by id is the most
 * frequent read, and its plan does not depend on the id. */
static ssot_store_status prepare_get(pg_store *s, const ssot_model *m, const char *name, ssot_store_error *err) {
    if (!s->get_prepared) {
        s->get_prepared = calloc(s->base.app->nmodels ? s->base.app->nmodels : 1, 1);
        if (!s->get_prepared) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    if (s->get_prepared[m->index]) return SSOT_STORE_OK;
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "SELECT ");
    pg_select_columns(&sql, m, NULL);
    ssot_buf_puts(&sql, " FROM ");
    pg_ident(&sql, m->table);
    ssot_buf_puts(&sql, " WHERE ");
    pg_ident(&sql, m->primary_key->column);
    ssot_buf_puts(&sql, " = $1");
    if (sql.failed) {
        ssot_buf_free(&sql);
        return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    /* Prepared statements belong to the session, not to the transaction: a later rollback
     * of the read or write this runs in does not undo it. */
    PGresult *r = PQprepare(s->conn, name, sql.data, 1, NULL);
    ssot_buf_free(&sql);
    ssot_store_status status = SSOT_STORE_OK;
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        s->get_prepared[m->index] = 1;
    else
        status = pg_conn_error(s, "preparing a read", err);
    PQclear(r);
    return status;
}

static ssot_store_status pg_get(ssot_store *store, const ssot_model *model, const char *id, size_t n,
                                const ssot_row_filter *filter, ssot_buf *out, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    char key[SSOT_ID_TEXT_SIZE];
    if (pg_id_text(model, id, n, key) != 0)
        return ssot_store_not_found(err, model, id, n, 1);
    /* One statement sees one state on its own: a transaction only to share the snapshot's
     * (inside a write or batch the statement joins theirs anyway), as the SQLite store does. */
    int began = 0;
    if (s->snapshot) {
        ssot_store_status status = pg_read_begin(s, &began, err);
        if (status != SSOT_STORE_OK) return status;
    } else if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS) {
        ssot_store_status status = pg_connection_ready(s, err);
        if (status != SSOT_STORE_OK) return status;
    }
    char name[48];
    snprintf(name, sizeof name, "ssot_read_get_%zu", model->index);
    const char *params[1] = {key};
    int alone = PQtransactionStatus(s->conn) == PQTRANS_IDLE;
    PGresult *r = NULL;
    ssot_store_status status = prepare_get(s, model, name, err);
    if (status == SSOT_STORE_OK) r = PQexecPrepared(s->conn, name, 1, params, NULL, NULL, 0);
    if ((status != SSOT_STORE_OK || PQresultStatus(r) != PGRES_TUPLES_OK) && alone && pg_reconnected(s, err)) {
        PQclear(r); /* the connection was made again: prepare and run once more */
        r = NULL;
        status = prepare_get(s, model, name, err);
        if (status == SSOT_STORE_OK) r = PQexecPrepared(s->conn, name, 1, params, NULL, NULL, 0);
    }
    if (status == SSOT_STORE_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        status = pg_conn_error(s, "reading a row", err);
    else if (status == SSOT_STORE_OK && PQntuples(r) == 0)
        status = ssot_store_not_found(err, model, id, n, 0);
    /* The result is complete on the client: the filter's callback may read through this
     * store (its reads join the snapshot's transaction, still open) */
    ssot_buf json = SSOT_BUF_INIT;
    ssot_row_view row;
    if (status == SSOT_STORE_OK && row_view(model, r, 0, &json, &row) != 0)
        status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    if (status == SSOT_STORE_OK) {
        int visible = row_visible(filter, &row, err);
        if (visible < 0)
            status = SSOT_STORE_REJECTED;
        else if (!visible)
            status = ssot_store_not_visible(err, model, row.id);
        else if (ssot_buf_append(out, row.json, row.json_len) != 0)
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    ssot_buf_free(&json);
    PQclear(r);
    if (s->snapshot) pg_read_end(s, began);
    return status;
}

/* List statements kept prepared per connection, as the SQLite store keeps 64 (a list's SQL
 * depends on its conditions and order, not on their values); the least recently used one is
 * deallocated to make room. */
#define LIST_STATEMENTS_MAX 64

void pg_lists_forget(pg_store *s) {
    for (size_t i = 0; i < s->nlists; i++) free(s->lists[i].sql);
    free(s->lists);
    s->lists = NULL;
    s->nlists = 0;
}

/* The name of sql's prepared statement on this connection, preparing it first when needed
 * (name: at least 32 bytes). */
static ssot_store_status list_statement(pg_store *s, const char *sql, int nparams, char *name, ssot_store_error *err) {
    struct pg_list_statement *found = NULL;
    for (size_t i = 0; i < s->nlists && !found; i++)
        if (strcmp(s->lists[i].sql, sql) == 0) found = &s->lists[i];
    if (!found) {
        if (s->nlists == LIST_STATEMENTS_MAX) { /* the least recently used goes */
            size_t oldest = 0;
            for (size_t i = 1; i < s->nlists; i++)
                if (s->lists[i].used < s->lists[oldest].used) oldest = i;
            char deallocate[48];
            snprintf(deallocate, sizeof deallocate, "DEALLOCATE ssot_list_%u", s->lists[oldest].number);
            pg_exec_ok(s, deallocate);
            free(s->lists[oldest].sql);
            s->lists[oldest] = s->lists[--s->nlists];
        } else if (!s->lists) {
            s->lists = calloc(LIST_STATEMENTS_MAX, sizeof *s->lists);
            if (!s->lists) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        }
        size_t n = strlen(sql) + 1;
        char *copy = malloc(n);
        if (!copy) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        memcpy(copy, sql, n);
        unsigned number = ++s->list_numbers;
        snprintf(name, 32, "ssot_list_%u", number);
        PGresult *r = PQprepare(s->conn, name, sql, nparams, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            free(copy);
            return pg_conn_error(s, "preparing a list", err);
        }
        found = &s->lists[s->nlists++];
        *found = (struct pg_list_statement){copy, 0, number};
    }
    found->used = ++s->list_clock;
    snprintf(name, 32, "ssot_list_%u", found->number);
    return SSOT_STORE_OK;
}

/* Runs sql with p's values; *r gets the result (PQclear it, even on failure). */
static ssot_store_status run(pg_store *s, const char *sql, pg_params *p, PGresult **r, ssot_store_error *err) {
    const char *const *values = pg_params_values(p);
    *r = NULL;
    if (p->n > 0 && !values) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    char name[32];
    ssot_store_status status = list_statement(s, sql, (int)p->n, name, err);
    if (status != SSOT_STORE_OK) return status;
    *r = PQexecPrepared(s->conn, name, (int)p->n, values, NULL, NULL, 0);
    if (PQresultStatus(*r) != PGRES_TUPLES_OK) return pg_conn_error(s, "reading a list", err);
    return SSOT_STORE_OK;
}

/* With a callback filter: every candidate row in order, the callback's filter, then the paging
 * and the total done in C. */
static ssot_store_status read_rows(pg_store *s, const ssot_query *q, const ssot_row_filter *filter, int64_t *total,
                                   ssot_buf *out, ssot_store_error *err) {
    const ssot_model *m = q->model;
    ssot_buf where = SSOT_BUF_INIT, sql = SSOT_BUF_INIT, json = SSOT_BUF_INIT;
    pg_params p = {0};
    PGresult *r = NULL;
    ssot_store_status status = pg_compile_where(q, filter->pred, &where, &p, err);
    if (status == SSOT_STORE_OK) {
        ssot_buf_puts(&sql, "SELECT ");
        pg_select_columns(&sql, m, NULL);
        ssot_buf_puts(&sql, " FROM ");
        pg_ident(&sql, m->table);
        ssot_buf_append(&sql, where.data, where.len);
        pg_order_by(&sql, q);
        if (sql.failed || p.text.failed) status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
        if (status == SSOT_STORE_OK) status = run(s, sql.data, &p, &r, err);
    }
    /* Every row of the result is on the client now (no single-row mode, no cursor), so the
     * callback may run queries of its own on the connection. */
    int rows = status == SSOT_STORE_OK ? PQntuples(r) : 0;
    int64_t seen = 0, emitted = 0;
    for (int i = 0; status == SSOT_STORE_OK && i < rows; i++) {
        ssot_row_view row;
        if (row_view(m, r, i, &json, &row) != 0) {
            status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
            break;
        }
        int v = row_visible(filter, &row, err);
        if (v < 0) status = SSOT_STORE_REJECTED;
        if (v <= 0) continue;
        if (seen++ < q->skip || emitted >= q->take) continue;
        if (emitted++) ssot_buf_putc(out, ',');
        ssot_buf_append(out, row.json, row.json_len);
    }
    if (status == SSOT_STORE_OK && out->failed) status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    if (status == SSOT_STORE_OK) *total = seen;
    PQclear(r);
    pg_params_free(&p);
    ssot_buf_free(&where);
    ssot_buf_free(&sql);
    ssot_buf_free(&json);
    return status;
}

/* A list without a callback filter in one statement: the stream position, the total and the
 * page. One statement sees one state, so outside a snapshot it needs no transaction, and it is
 * one round trip where BEGIN, position, count, page and ROLLBACK were five. Its columns: the
 * epoch, the offset, the total, then the model's (all NULL when the page is empty: the one row
 * then only carries the rest). The page keeps its top-N sort (ORDER BY ... LIMIT); the outer
 * query orders its few rows again by the same columns, which only the page has (ssot's own are
 * named _ssot_..., which no field name can be). The position is MATERIALIZED: inlined, its
 * subquery would run once per row of the page. */
static ssot_store_status list_at_once(pg_store *s, const ssot_query *q, const ssot_pred *pred, ssot_buf *items,
                                      int64_t *total, ssot_stream_position *pos, ssot_store_error *err) {
    const ssot_model *m = q->model;
    ssot_buf where = SSOT_BUF_INIT, order = SSOT_BUF_INIT, sql = SSOT_BUF_INIT;
    pg_params p = {0};
    PGresult *r = NULL;
    ssot_store_status status = pg_compile_where(q, pred, &where, &p, err);
    if (status == SSOT_STORE_OK) {
        pg_order_by(&order, q); /* " ORDER BY ..." */
        ssot_buf_puts(&sql, "WITH pos AS MATERIALIZED (SELECT s.epoch AS _ssot_epoch, greatest(s.\"offset\", coalesce((SELECT max(c.\"offset\") "
                            "FROM _ssot_changes c WHERE c.model = s.model), 0)) AS _ssot_offset "
                            "FROM _ssot_streams s WHERE s.model = ");
        pg_param_text(&p, &sql, m->name);
        ssot_buf_puts(&sql, "), total AS (SELECT count(*) AS _ssot_total FROM ");
        pg_ident(&sql, m->table);
        ssot_buf_append(&sql, where.data, where.len);
        ssot_buf_puts(&sql, "), page AS (SELECT ");
        pg_select_columns(&sql, m, NULL);
        ssot_buf_puts(&sql, " FROM ");
        pg_ident(&sql, m->table);
        ssot_buf_append(&sql, where.data, where.len);
        ssot_buf_append(&sql, order.data, order.len);
        ssot_buf_puts(&sql, " LIMIT ");
        pg_param_int(&p, &sql, q->take);
        ssot_buf_puts(&sql, " OFFSET ");
        pg_param_int(&p, &sql, q->skip);
        ssot_buf_puts(&sql, ") SELECT pos._ssot_epoch, pos._ssot_offset, total._ssot_total, ");
        pg_select_columns(&sql, m, "page");
        ssot_buf_puts(&sql, " FROM pos CROSS JOIN total LEFT JOIN page ON true");
        ssot_buf_append(&sql, order.data, order.len);
        if (sql.failed || order.failed || p.text.failed) status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    int alone = PQtransactionStatus(s->conn) == PQTRANS_IDLE;
    if (status == SSOT_STORE_OK) status = run(s, sql.data, &p, &r, err);
    if (status != SSOT_STORE_OK && alone && pg_reconnected(s, err)) { /* the first statement on a lost connection */
        PQclear(r);
        status = run(s, sql.data, &p, &r, err);
    }
    int rows = status == SSOT_STORE_OK ? PQntuples(r) : 0;
    if (status == SSOT_STORE_OK && rows == 0) status = pg_fail(err, SSOT_STORE_ERROR, "no change stream for %s", m->name);
    if (status == SSOT_STORE_OK) {
        snprintf(pos->epoch, SSOT_EPOCH_SIZE, "%s", PQgetvalue(r, 0, 0));
        pos->offset = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        *total = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        int key = 3 + (int)m->primary_key->index; /* never NULL in a row of the page */
        for (int i = 0; i < rows && !PQgetisnull(r, i, key); i++) {
            if (i) ssot_buf_putc(items, ',');
            pg_row_json(items, m, r, i, 3);
        }
        if (items->failed) status = pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    }
    PQclear(r);
    pg_params_free(&p);
    ssot_buf_free(&where);
    ssot_buf_free(&order);
    ssot_buf_free(&sql);
    return status;
}

static ssot_store_status pg_list(ssot_store *store, const ssot_query *q, const ssot_row_filter *filter,
                                 ssot_buf *out, ssot_stream_position *pos_out, ssot_store_error *err) {
    pg_store *s = (pg_store *)store;
    const ssot_model *m = q->model;
    int nothing = filter && filter->pred && filter->pred->op == SSOT_PRED_FALSE;
    int at_once = !nothing && !(filter && filter->visible);

    /* one statement needs a transaction only to share the snapshot's (as get) */
    int began = 0;
    ssot_store_status status = SSOT_STORE_OK;
    if (!at_once || s->snapshot) status = pg_read_begin(s, &began, err);
    else if (PQtransactionStatus(s->conn) != PQTRANS_INTRANS) status = pg_connection_ready(s, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_stream_position pos;
    int64_t total = 0;
    size_t start = out->len;
    ssot_buf_puts(out, "{\"items\":[");
    if (at_once) {
        status = list_at_once(s, q, filter ? filter->pred : NULL, out, &total, &pos, err);
    } else {
        status = store->ops->position(store, m, &pos, err);
        if (status == SSOT_STORE_OK && !nothing) status = read_rows(s, q, filter, &total, out, err);
    }
    if (!at_once || s->snapshot) pg_read_end(s, began);
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
    if (out->failed) return pg_fail(err, SSOT_STORE_ERROR, "out of memory");
    if (pos_out) *pos_out = pos;
    return SSOT_STORE_OK;
}

void pg_read_ops(ssot_store_ops *ops) {
    ops->list = pg_list;
    ops->get = pg_get;
}
