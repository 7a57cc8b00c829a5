/* The SQLite store's WHERE clauses: a list query's conditions and a row filter's predicate
 * compiled to SQL whose values are all bound parameters (names come from the model, never
 * from the request). Uses SQLite, jansson (store_sqlite.h). */
#include "runtime/store/store_sqlite.h"

#include "runtime/model/value.h"

#include <stdlib.h>
#include <string.h>

static bind_value *next_bind(sqlite_store *s) {
    if (s->nbinds == s->binds_cap) {
        size_t cap = s->binds_cap ? s->binds_cap * 2 : 32;
        bind_value *b = realloc(s->binds, cap * sizeof *b);
        if (!b) return NULL;
        s->binds = b;
        s->binds_cap = cap;
    }
    bind_value *b = &s->binds[s->nbinds++];
    memset(b, 0, sizeof *b);
    return b;
}

/* Appends "?" and records value (a non-null literal) as its binding. */
static int param(sqlite_store *s, ssot_buf *sql, json_t *value) {
    bind_value *b = next_bind(s);
    if (!b) return -1;
    switch (json_typeof(value)) {
    case JSON_TRUE: b->type = BIND_INT; b->i = 1; break;
    case JSON_FALSE: b->type = BIND_INT; b->i = 0; break;
    case JSON_INTEGER: b->type = BIND_INT; b->i = (int64_t)json_integer_value(value); break;
    case JSON_REAL: b->type = BIND_REAL; b->d = json_real_value(value); break;
    case JSON_STRING:
        b->type = BIND_TEXT;
        b->s = json_string_value(value);
        b->n = json_string_length(value);
        break;
    default: b->type = BIND_NULL;
    }
    return ssot_buf_putc(sql, '?');
}

static void column(ssot_buf *sql, const ssot_field *f) { sq_ident(sql, f->column); }

static int condition(sqlite_store *s, ssot_buf *sql, const ssot_condition *c) {
    static const char *const compare[] = {[SSOT_WHERE_LT] = " < ", [SSOT_WHERE_LTE] = " <= ",
                                          [SSOT_WHERE_GT] = " > ", [SSOT_WHERE_GTE] = " >= "};
    int null = json_is_null(c->value);
    switch (c->op) {
    case SSOT_WHERE_EQ:
    case SSOT_WHERE_NE:
        column(sql, c->field);
        if (null) return ssot_buf_puts(sql, c->op == SSOT_WHERE_EQ ? " IS NULL" : " IS NOT NULL");
        /* ne is IS NOT so that null cells count as "not equal" */
        ssot_buf_puts(sql, c->op == SSOT_WHERE_EQ ? " = " : " IS NOT ");
        return param(s, sql, c->value);
    case SSOT_WHERE_LT:
    case SSOT_WHERE_LTE:
    case SSOT_WHERE_GT:
    case SSOT_WHERE_GTE:
        column(sql, c->field);
        ssot_buf_puts(sql, compare[c->op]);
        return param(s, sql, c->value);
    case SSOT_WHERE_IN: {
        size_t n = json_array_size(c->value), literals = 0;
        int has_null = 0;
        for (size_t i = 0; i < n; i++) json_is_null(json_array_get(c->value, i)) ? (void)(has_null = 1) : (void)literals++;
        ssot_buf_putc(sql, '(');
        if (literals) {
            column(sql, c->field);
            ssot_buf_puts(sql, " IN (");
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                json_t *v = json_array_get(c->value, i);
                if (json_is_null(v)) continue;
                if (k++) ssot_buf_puts(sql, ", ");
                if (param(s, sql, v) != 0) return -1;
            }
            ssot_buf_putc(sql, ')');
        }
        if (has_null) {
            if (literals) ssot_buf_puts(sql, " OR ");
            column(sql, c->field);
            ssot_buf_puts(sql, " IS NULL");
        }
        return ssot_buf_putc(sql, ')');
    }
    case SSOT_WHERE_CONTAINS:
        /* instr: a plain substring test, so % and _ in the value mean themselves */
        ssot_buf_puts(sql, "instr(");
        column(sql, c->field);
        ssot_buf_puts(sql, ", ");
        if (param(s, sql, c->value) != 0) return -1;
        return ssot_buf_puts(sql, ") > 0");
    }
    return -1;
}

static int owner_test(sqlite_store *s, ssot_buf *sql, const ssot_model *m, const ssot_pred *p) {
    int eq = p->op == SSOT_PRED_OWNER_EQ;
    const ssot_field *owner = m->owner;
    int64_t id = 0;
    int integer = owner && strcmp(owner->sql_type, "INTEGER") == 0;
    /* no owner field, no user id, or an id that cannot equal an integer column: never equal */
    if (!owner || !p->value || (integer && !ssot_int64_parse(p->value, strlen(p->value), &id))) return ssot_buf_puts(sql, eq ? "0" : "1");
    column(sql, owner);
    ssot_buf_puts(sql, eq ? " IS ?" : " IS NOT ?"); /* IS: never null, so NOT (...) stays right */
    bind_value *b = next_bind(s);
    if (!b) return -1;
    if (integer) {
        b->type = BIND_INT;
        b->i = id;
    } else {
        b->type = BIND_TEXT;
        b->s = p->value;
        b->n = strlen(p->value);
    }
    return 0;
}

static int predicate(sqlite_store *s, ssot_buf *sql, const ssot_model *m, const ssot_pred *p, int depth) {
    if (depth > 200) return -1;
    switch (p->op) {
    case SSOT_PRED_TRUE: return ssot_buf_puts(sql, "1");
    case SSOT_PRED_FALSE: return ssot_buf_puts(sql, "0");
    case SSOT_PRED_OWNER_EQ:
    case SSOT_PRED_OWNER_NE: return owner_test(s, sql, m, p);
    case SSOT_PRED_NOT:
        ssot_buf_puts(sql, "NOT (");
        if (!p->left || predicate(s, sql, m, p->left, depth + 1) != 0) return -1;
        return ssot_buf_putc(sql, ')');
    case SSOT_PRED_AND:
    case SSOT_PRED_OR:
        ssot_buf_putc(sql, '(');
        if (!p->left || !p->right || predicate(s, sql, m, p->left, depth + 1) != 0) return -1;
        ssot_buf_puts(sql, p->op == SSOT_PRED_AND ? " AND " : " OR ");
        if (predicate(s, sql, m, p->right, depth + 1) != 0) return -1;
        return ssot_buf_putc(sql, ')');
    }
    return -1;
}

ssot_store_status sq_compile_where(sqlite_store *s, const ssot_query *q, const ssot_pred *pred, ssot_buf *sql,
                                   ssot_store_error *err) {
    s->nbinds = 0;
    const char *glue = " WHERE ";
    for (size_t i = 0; i < q->nconditions; i++) {
        ssot_buf_puts(sql, glue);
        glue = " AND ";
        if (condition(s, sql, &q->conditions[i]) != 0) goto fail;
    }
    if (pred && pred->op != SSOT_PRED_TRUE) {
        ssot_buf_puts(sql, glue);
        ssot_buf_putc(sql, '(');
        if (predicate(s, sql, q->model, pred, 0) != 0) goto fail;
        ssot_buf_putc(sql, ')');
    }
    if (sql->failed) goto fail;
    return SSOT_STORE_OK;
fail:
    return sq_fail(err, SSOT_STORE_ERROR, NULL, "cannot compile the list query (out of memory, or a malformed filter)");
}

int sq_bind_all(sqlite_store *s, sqlite3_stmt *stmt, int first) {
    for (size_t i = 0; i < s->nbinds; i++) {
        const bind_value *b = &s->binds[i];
        int at = first + (int)i, rc;
        switch (b->type) {
        case BIND_INT: rc = sqlite3_bind_int64(stmt, at, b->i); break;
        case BIND_REAL: rc = sqlite3_bind_double(stmt, at, b->d); break;
        case BIND_TEXT: rc = sqlite3_bind_text(stmt, at, b->s, (int)b->n, SQLITE_STATIC); break;
        default: rc = sqlite3_bind_null(stmt, at);
        }
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}
