/* The PostgreSQL store's WHERE and ORDER BY clauses: a list query's conditions, a row filter's
 * predicate and the query's order compiled to SQL with every value a bound text parameter
 * ($1, $2, ...; names come from the model, never from the request), with the SQLite store's
 * meaning (store_sqlite_where.c): null cells count as "not equal", `contains` is a
 * case-sensitive substring test in which % and _ are literal, text compares and sorts by
 * bytes, nulls sort first. Uses libpq's conventions, jansson (store_pg_internal.h), value.h. */
#include "runtime/store/store_pg_internal.h"

#include "runtime/model/value.h"

#include <stdlib.h>
#include <string.h>

void pg_params_free(pg_params *p) {
    ssot_buf_free(&p->text);
    free(p->offsets);
    free(p->values);
    memset(p, 0, sizeof *p);
}

/* Ends the value being written at the end of p->text and appends "$k" for it to sql. */
static int param_close(pg_params *p, ssot_buf *sql, size_t start) {
    if (ssot_buf_putc(&p->text, '\0') != 0) return -1;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        size_t *o = realloc(p->offsets, cap * sizeof *o);
        if (!o) return -1;
        p->offsets = o;
        p->cap = cap;
    }
    p->offsets[p->n++] = start;
    return ssot_buf_printf(sql, "$%zu", p->n);
}

int pg_param_text(pg_params *p, ssot_buf *sql, const char *text) {
    size_t start = p->text.len;
    if (ssot_buf_puts(&p->text, text) != 0) return -1;
    return param_close(p, sql, start);
}

int pg_param_int(pg_params *p, ssot_buf *sql, int64_t v) {
    size_t start = p->text.len;
    if (ssot_buf_put_int(&p->text, v) != 0) return -1;
    return param_close(p, sql, start);
}

/* Appends "$k" for a checked, non-null literal of field f. */
static int param_value(pg_params *p, ssot_buf *sql, const ssot_field *f, const json_t *value) {
    size_t start = p->text.len;
    if (pg_value_text(&p->text, f, value) != 0) return -1;
    return param_close(p, sql, start);
}

const char *const *pg_params_values(pg_params *p) {
    if (p->n == 0) return NULL;
    const char **v = realloc(p->values, p->n * sizeof *v);
    if (!v) return NULL;
    p->values = v;
    /* only now: p->text may have moved while it grew */
    for (size_t i = 0; i < p->n; i++) v[i] = p->text.data + p->offsets[i];
    return v;
}

int pg_text_column(const ssot_field *f) {
    switch (f->type) {
    case SSOT_TYPE_STRING:
    case SSOT_TYPE_TEXT:
    case SSOT_TYPE_DATETIME:
    case SSOT_TYPE_ENUM: return 1;
    case SSOT_TYPE_ID: return f->id_kind == SSOT_ID_UUID;
    default: return 0; /* BIGINT, DOUBLE PRECISION, BOOLEAN, JSON: no collation */
    }
}

/* The column; for text, in the "C" collation (byte order, as SQLite's BINARY), so that
 * comparisons and order do not depend on the database's locale. Not used for = and IN:
 * every database default collation is deterministic, so equality is byte equality already
 * and stays usable by the column's indexes. */
static void column_c(ssot_buf *sql, const ssot_field *f) {
    pg_ident(sql, f->column);
    if (pg_text_column(f)) ssot_buf_puts(sql, " COLLATE \"C\"");
}

static int condition(pg_params *p, ssot_buf *sql, const ssot_condition *c) {
    static const char *const compare[] = {[SSOT_WHERE_LT] = " < ", [SSOT_WHERE_LTE] = " <= ",
                                          [SSOT_WHERE_GT] = " > ", [SSOT_WHERE_GTE] = " >= "};
    const ssot_field *f = c->field;
    int null = json_is_null(c->value);
    switch (c->op) {
    case SSOT_WHERE_EQ:
    case SSOT_WHERE_NE:
        pg_ident(sql, f->column);
        if (null) return ssot_buf_puts(sql, c->op == SSOT_WHERE_EQ ? " IS NULL" : " IS NOT NULL");
        /* ne is IS DISTINCT FROM so that null cells count as "not equal" (SQLite's IS NOT) */
        ssot_buf_puts(sql, c->op == SSOT_WHERE_EQ ? " = " : " IS DISTINCT FROM ");
        return param_value(p, sql, f, c->value);
    case SSOT_WHERE_LT:
    case SSOT_WHERE_LTE:
    case SSOT_WHERE_GT:
    case SSOT_WHERE_GTE:
        column_c(sql, f);
        ssot_buf_puts(sql, compare[c->op]);
        return param_value(p, sql, f, c->value);
    case SSOT_WHERE_IN: {
        size_t n = json_array_size(c->value), literals = 0;
        int has_null = 0;
        for (size_t i = 0; i < n; i++) json_is_null(json_array_get(c->value, i)) ? (void)(has_null = 1) : (void)literals++;
        ssot_buf_putc(sql, '(');
        if (literals) {
            pg_ident(sql, f->column);
            ssot_buf_puts(sql, " IN (");
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                json_t *v = json_array_get(c->value, i);
                if (json_is_null(v)) continue;
                if (k++) ssot_buf_puts(sql, ", ");
                if (param_value(p, sql, f, v) != 0) return -1;
            }
            ssot_buf_putc(sql, ')');
        }
        if (has_null) {
            if (literals) ssot_buf_puts(sql, " OR ");
            pg_ident(sql, f->column);
            ssot_buf_puts(sql, " IS NULL");
        }
        return ssot_buf_putc(sql, ')');
    }
    case SSOT_WHERE_CONTAINS:
        /* strpos, like SQLite's instr: a plain substring test, so % and _ mean themselves (no
         * LIKE pattern to escape), case-sensitive, and "" is in every non-null text */
        ssot_buf_puts(sql, "strpos(");
        pg_ident(sql, f->column);
        ssot_buf_puts(sql, ", ");
        if (param_value(p, sql, f, c->value) != 0) return -1;
        return ssot_buf_puts(sql, ") > 0");
    }
    return -1;
}

/* owner = <user id>, two-valued as ssot_pred_matches is (a null owner cell is never equal),
 * so that NOT (...) stays right; written with = and <> rather than IS [NOT] DISTINCT FROM
 * so that the owner column's index serves the common "owner = me". */
static int owner_test(pg_params *p, ssot_buf *sql, const ssot_model *m, const ssot_pred *pred) {
    int eq = pred->op == SSOT_PRED_OWNER_EQ;
    const ssot_field *owner = m->owner;
    int64_t id = 0;
    /* the SQLite store's rule: integer columns are those SQLite stores as INTEGER */
    int integer = owner && strcmp(owner->sql_type, "INTEGER") == 0;
    /* no owner field, no user id, or an id that cannot equal an integer column: never equal */
    if (!owner || !pred->value || (integer && !ssot_int64_parse(pred->value, strlen(pred->value), &id)))
        return ssot_buf_puts(sql, eq ? "FALSE" : "TRUE");
    ssot_buf_putc(sql, '(');
    pg_ident(sql, owner->column);
    ssot_buf_puts(sql, eq ? " = " : " <> ");
    if ((integer ? pg_param_int(p, sql, id) : pg_param_text(p, sql, pred->value)) != 0) return -1;
    ssot_buf_puts(sql, eq ? " AND " : " OR ");
    pg_ident(sql, owner->column);
    return ssot_buf_puts(sql, eq ? " IS NOT NULL)" : " IS NULL)");
}

static int predicate(pg_params *p, ssot_buf *sql, const ssot_model *m, const ssot_pred *pred, int depth) {
    if (depth > 200) return -1;
    switch (pred->op) {
    case SSOT_PRED_TRUE: return ssot_buf_puts(sql, "TRUE");
    case SSOT_PRED_FALSE: return ssot_buf_puts(sql, "FALSE");
    case SSOT_PRED_OWNER_EQ:
    case SSOT_PRED_OWNER_NE: return owner_test(p, sql, m, pred);
    case SSOT_PRED_NOT:
        ssot_buf_puts(sql, "NOT (");
        if (!pred->left || predicate(p, sql, m, pred->left, depth + 1) != 0) return -1;
        return ssot_buf_putc(sql, ')');
    case SSOT_PRED_AND:
    case SSOT_PRED_OR:
        ssot_buf_putc(sql, '(');
        if (!pred->left || !pred->right || predicate(p, sql, m, pred->left, depth + 1) != 0) return -1;
        ssot_buf_puts(sql, pred->op == SSOT_PRED_AND ? " AND " : " OR ");
        if (predicate(p, sql, m, pred->right, depth + 1) != 0) return -1;
        return ssot_buf_putc(sql, ')');
    }
    return -1;
}

ssot_store_status pg_compile_where(const ssot_query *q, const ssot_pred *pred, ssot_buf *sql, pg_params *p,
                                   ssot_store_error *err) {
    const char *glue = " WHERE ";
    for (size_t i = 0; i < q->nconditions; i++) {
        ssot_buf_puts(sql, glue);
        glue = " AND ";
        if (condition(p, sql, &q->conditions[i]) != 0) goto fail;
    }
    if (pred && pred->op != SSOT_PRED_TRUE) {
        ssot_buf_puts(sql, glue);
        ssot_buf_putc(sql, '(');
        if (predicate(p, sql, q->model, pred, 0) != 0) goto fail;
        ssot_buf_putc(sql, ')');
    }
    if (sql->failed || p->text.failed) goto fail;
    return SSOT_STORE_OK;
fail:
    return pg_fail(err, SSOT_STORE_ERROR, "cannot compile the list query (out of memory, or a malformed filter)");
}

void pg_order_by(ssot_buf *sql, const ssot_query *q) {
    const ssot_field *pk = q->model->primary_key;
    ssot_buf_puts(sql, " ORDER BY ");
    int pk_seen = 0;
    for (size_t i = 0; i < q->norder; i++) {
        column_c(sql, q->order[i].field);
        /* SQLite sorts null below every value: first ascending, last descending */
        ssot_buf_puts(sql, q->order[i].desc ? " DESC NULLS LAST, " : " ASC NULLS FIRST, ");
        if (q->order[i].field == pk) pk_seen = 1;
    }
    if (pk_seen) {
        ssot_buf_truncate(sql, sql->len - 2);
    } else {
        column_c(sql, pk);
        ssot_buf_puts(sql, " ASC");
    }
}
