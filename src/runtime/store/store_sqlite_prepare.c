/* The SQLite store's statements: the per-model statements prepared at open (row JSON built
 * by SQLite's json_object in field order, with bools as true/false and json fields as JSON),
 * the cache of list statements keyed by their SQL, and binding values and ids.
 * Uses SQLite, jansson (store_sqlite.h), value.h. */
#include "runtime/store/store_sqlite.h"

#include "runtime/base/json_write.h"
#include "runtime/model/value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s between quote characters, quotes inside doubled (SQL's one escaping rule). */
static void quoted(ssot_buf *b, const char *s, char quote) {
    ssot_buf_putc(b, quote);
    for (const char *p = s; *p; p++) {
        if (*p == quote) ssot_buf_putc(b, quote);
        ssot_buf_putc(b, *p);
    }
    ssot_buf_putc(b, quote);
}

void sq_ident(ssot_buf *b, const char *name) { quoted(b, name, '"'); }

static void sql_string(ssot_buf *b, const char *s) { quoted(b, s, '\''); }

/* JSON's subtype in SQLite: json_object takes a text argument with it as JSON, not as a string. */
#define JSON_SUBTYPE 74

static void real_text(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return; /* the result stays NULL */
    char text[SSOT_DOUBLE_TEXT_SIZE];
    size_t n = ssot_format_double(sqlite3_value_double(argv[0]), text);
    sqlite3_result_text(ctx, text, (int)n, SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, JSON_SUBTYPE);
}

int sq_register_functions(sqlite3 *db) {
    return sqlite3_create_function(db, SQ_REAL_FUNCTION, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   real_text, NULL, NULL);
}

/* The SQL expression of a field's value in the row JSON. */
static void value_expr(ssot_buf *b, const ssot_field *f) {
    if (f->type == SSOT_TYPE_BOOL) {
        ssot_buf_puts(b, "json(CASE ");
        sq_ident(b, f->column);
        ssot_buf_puts(b, " WHEN 0 THEN 'false' WHEN 1 THEN 'true' END)");
    } else if (f->type == SSOT_TYPE_JSON) {
        ssot_buf_puts(b, "json(");
        sq_ident(b, f->column);
        ssot_buf_putc(b, ')');
    } else if (f->type == SSOT_TYPE_FLOAT) { /* json_object would print 15 digits only */
        ssot_buf_puts(b, SQ_REAL_FUNCTION "(");
        sq_ident(b, f->column);
        ssot_buf_putc(b, ')');
    } else {
        sq_ident(b, f->column);
    }
}

/* SQLite functions take at most 127 arguments: json_object gets the first 63 fields, and
 * json_insert adds the rest in chunks (keeping declared order; nulls stay as null). */
#define PAIRS_PER_CALL 63

static void row_expr(ssot_buf *b, const ssot_model *m) {
    size_t chunks = (m->nfields + PAIRS_PER_CALL - 1) / PAIRS_PER_CALL;
    for (size_t c = 1; c < chunks; c++) ssot_buf_puts(b, "json_insert(");
    ssot_buf_puts(b, "json_object(");
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (i && i % PAIRS_PER_CALL == 0) ssot_buf_puts(b, "), ");
        else if (i) ssot_buf_puts(b, ", ");
        if (i < PAIRS_PER_CALL) {
            sql_string(b, f->name);
        } else {
            char path[300]; /* json_insert's path of the key: $."name" */
            snprintf(path, sizeof path, "$.\"%s\"", f->name);
            sql_string(b, path);
        }
        ssot_buf_puts(b, ", ");
        value_expr(b, f);
    }
    ssot_buf_putc(b, ')');
}

static void select_list(ssot_buf *b, const ssot_model *m) {
    row_expr(b, m);
    ssot_buf_puts(b, ", CAST(");
    sq_ident(b, m->primary_key->column);
    ssot_buf_puts(b, " AS TEXT), ");
    if (m->owner) {
        ssot_buf_puts(b, "CAST(");
        sq_ident(b, m->owner->column);
        ssot_buf_puts(b, " AS TEXT)");
    } else {
        ssot_buf_puts(b, "NULL");
    }
}

static ssot_store_status prepare_model(sqlite_store *s, const ssot_model *m, model_statements *ms,
                                       ssot_store_error *err) {
    ssot_buf sel = SSOT_BUF_INIT, sql = SSOT_BUF_INIT;
    select_list(&sel, m);
    const char *pk = NULL;
    ssot_buf pkb = SSOT_BUF_INIT;
    sq_ident(&pkb, m->primary_key->column);
    pk = ssot_buf_cstr(&pkb);

    ms->insert_fields = calloc(m->nfields + 1, sizeof *ms->insert_fields);
    ms->update_fields = calloc(m->nfields + 1, sizeof *ms->update_fields);
    if (!ms->insert_fields || !ms->update_fields) goto oom;

    /* get */
    ssot_buf_printf(&sql, "SELECT %s FROM ", ssot_buf_cstr(&sel));
    sq_ident(&sql, m->table);
    ssot_buf_printf(&sql, " WHERE %s = ?1", pk);
    if (sql.failed || !(ms->get = sq_prepare(s, sql.data, err))) goto fail;

    /* insert: every column but an integer id */
    ssot_buf_reset(&sql);
    ssot_buf_puts(&sql, "INSERT INTO ");
    sq_ident(&sql, m->table);
    ssot_buf_puts(&sql, " (");
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (f->type == SSOT_TYPE_ID && f->id_kind == SSOT_ID_INTEGER) continue;
        if (ms->ninsert) ssot_buf_puts(&sql, ", ");
        sq_ident(&sql, f->column);
        ms->insert_fields[ms->ninsert++] = f;
    }
    if (ms->ninsert == 0) {
        ssot_buf_truncate(&sql, sql.len - 2);
        ssot_buf_puts(&sql, " DEFAULT VALUES");
    } else {
        ssot_buf_puts(&sql, ") VALUES (");
        for (size_t i = 0; i < ms->ninsert; i++) ssot_buf_printf(&sql, "%s?%zu", i ? ", " : "", i + 1);
        ssot_buf_putc(&sql, ')');
    }
    ssot_buf_printf(&sql, " RETURNING %s", ssot_buf_cstr(&sel));
    if (sql.failed || !(ms->insert = sq_prepare(s, sql.data, err))) goto fail;

    /* update: per writable field "col = CASE WHEN ?flag THEN ?value ELSE col END" */
    ssot_buf_reset(&sql);
    ssot_buf_puts(&sql, "UPDATE ");
    sq_ident(&sql, m->table);
    ssot_buf_puts(&sql, " SET ");
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (f->type == SSOT_TYPE_ID || f->auto_kind == SSOT_AUTO_CREATE) continue;
        size_t k = ms->nupdate++;
        ms->update_fields[k] = f;
        if (k) ssot_buf_puts(&sql, ", ");
        sq_ident(&sql, f->column);
        ssot_buf_printf(&sql, " = CASE WHEN ?%zu THEN ?%zu ELSE ", 2 * k + 1, 2 * k + 2);
        sq_ident(&sql, f->column);
        ssot_buf_puts(&sql, " END");
    }
    if (ms->nupdate == 0) ssot_buf_printf(&sql, "%s = %s", pk, pk);
    ssot_buf_printf(&sql, " WHERE %s = ?%zu RETURNING %s", pk, 2 * ms->nupdate + 1, ssot_buf_cstr(&sel));
    if (sql.failed || !(ms->update = sq_prepare(s, sql.data, err))) goto fail;

    ssot_buf_reset(&sql);
    ssot_buf_puts(&sql, "DELETE FROM ");
    sq_ident(&sql, m->table);
    ssot_buf_printf(&sql, " WHERE %s = ?1", pk);
    if (sql.failed || !(ms->remove = sq_prepare(s, sql.data, err))) goto fail;

    ssot_buf_reset(&sql);
    ssot_buf_printf(&sql, "SELECT %s FROM ", ssot_buf_cstr(&sel));
    sq_ident(&sql, m->table);
    ssot_buf_printf(&sql, " ORDER BY %s LIMIT ?1 OFFSET ?2", pk);
    if (sql.failed || !(ms->page = sq_prepare(s, sql.data, err))) goto fail;

    ssot_buf_reset(&sql);
    ssot_buf_puts(&sql, "SELECT count(*) FROM ");
    sq_ident(&sql, m->table);
    if (sql.failed || !(ms->count = sq_prepare(s, sql.data, err))) goto fail;

    ms->select_list = ssot_buf_detach(&sel, NULL);
    if (!ms->select_list) goto oom;
    ssot_buf_free(&sql);
    ssot_buf_free(&pkb);
    return SSOT_STORE_OK;
oom:
    sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
fail:
    ssot_buf_free(&sel);
    ssot_buf_free(&sql);
    ssot_buf_free(&pkb);
    return SSOT_STORE_ERROR;
}

ssot_store_status sq_prepare_models(sqlite_store *s, ssot_store_error *err) {
    const ssot_app *app = s->base.app;
    s->models = calloc(app->nmodels + 1, sizeof *s->models);
    if (!s->models) return sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    for (size_t i = 0; i < app->nmodels; i++)
        if (prepare_model(s, &app->models[i], &s->models[i], err) != SSOT_STORE_OK) return SSOT_STORE_ERROR;
    return SSOT_STORE_OK;
}

void sq_finalize_models(sqlite_store *s) {
    if (!s->models) return;
    for (size_t i = 0; i < s->base.app->nmodels; i++) {
        model_statements *ms = &s->models[i];
        sqlite3_stmt *all[] = {ms->get, ms->insert, ms->update, ms->remove, ms->page, ms->count};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) sqlite3_finalize(all[k]);
        free(ms->insert_fields);
        free(ms->update_fields);
        free(ms->select_list);
    }
    free(s->models);
    s->models = NULL;
}

static uint64_t hash_text(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

sqlite3_stmt *sq_cached(sqlite_store *s, const char *sql, size_t n, ssot_store_error *err) {
    uint64_t h = hash_text(sql, n);
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        cached_stmt *c = &s->cache[i];
        if (c->stmt && c->hash == h && strncmp(c->sql, sql, n) == 0 && c->sql[n] == '\0') return c->stmt;
    }
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(s->db, sql, (int)n, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        sq_fail(err, SSOT_STORE_ERROR, NULL, "preparing a list query: %s", sqlite3_errmsg(s->db));
        return NULL;
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        sqlite3_finalize(stmt);
        sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
        return NULL;
    }
    memcpy(copy, sql, n);
    copy[n] = '\0';
    cached_stmt *slot = &s->cache[s->cache_next++ % STMT_CACHE_SIZE]; /* round robin eviction */
    sqlite3_finalize(slot->stmt);
    free(slot->sql);
    slot->hash = h;
    slot->sql = copy;
    slot->stmt = stmt;
    return stmt;
}

int sq_bind_json(sqlite_store *s, sqlite3_stmt *stmt, int i, const ssot_field *field, json_t *value) {
    (void)s;
    if (!value || json_is_null(value)) return sqlite3_bind_null(stmt, i);
    if (field->type == SSOT_TYPE_JSON) { /* stored as the client wrote it: 0.1 stays 0.1 */
        ssot_buf text = SSOT_BUF_INIT;
        if (ssot_json_write(&text, value, 0)) {
            ssot_buf_free(&text);
            return SQLITE_NOMEM;
        }
        size_t n;
        char *data = ssot_buf_detach(&text, &n);
        return sqlite3_bind_text(stmt, i, data, (int)n, free);
    }
    switch (json_typeof(value)) {
    case JSON_TRUE: return sqlite3_bind_int(stmt, i, 1);
    case JSON_FALSE: return sqlite3_bind_int(stmt, i, 0);
    case JSON_INTEGER: return sqlite3_bind_int64(stmt, i, (sqlite3_int64)json_integer_value(value));
    case JSON_REAL: return sqlite3_bind_double(stmt, i, json_real_value(value));
    case JSON_STRING:
        return sqlite3_bind_text(stmt, i, json_string_value(value), (int)json_string_length(value), SQLITE_STATIC);
    default: return sqlite3_bind_null(stmt, i);
    }
}

int sq_bind_id(sqlite3_stmt *stmt, int i, const ssot_model *model, const char *id, size_t n) {
    if (model->primary_key->id_kind == SSOT_ID_UUID) {
        char lower[37];
        if (ssot_uuid_normalize(id, n, lower) != 0) return -1;
        return sqlite3_bind_text(stmt, i, lower, 36, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
    }
    int64_t v; /* "02" or "+2" names no row, as an owner id "02" owns none (runtime-storage.md) */
    if (!ssot_int64_parse(id, n, &v)) return -1;
    return sqlite3_bind_int64(stmt, i, (sqlite3_int64)v) == SQLITE_OK ? 0 : -1;
}

void sq_row_view(sqlite3_stmt *stmt, ssot_row_view *row) {
    row->json = (const char *)sqlite3_column_text(stmt, COL_ROW);
    row->json_len = (size_t)sqlite3_column_bytes(stmt, COL_ROW);
    row->id = (const char *)sqlite3_column_text(stmt, COL_ID);
    row->owner = sqlite3_column_type(stmt, COL_OWNER) == SQLITE_NULL ? NULL
                                                                      : (const char *)sqlite3_column_text(stmt, COL_OWNER);
}

void sq_pack_column(ssot_buf *b, sqlite3_stmt *stmt, int col) {
    size_t n = SIZE_MAX;
    const char *text = NULL;
    if (sqlite3_column_type(stmt, col) != SQLITE_NULL) {
        text = (const char *)sqlite3_column_text(stmt, col);
        n = (size_t)sqlite3_column_bytes(stmt, col);
    }
    ssot_buf_append(b, &n, sizeof n);
    if (text) ssot_buf_append(b, text, n);
    if (n != SIZE_MAX) ssot_buf_putc(b, '\0');
}

void sq_pack_int(ssot_buf *b, int64_t v) { ssot_buf_append(b, &v, sizeof v); }

const char *sq_unpack_text(const char **at, size_t *len) {
    size_t n;
    memcpy(&n, *at, sizeof n);
    *at += sizeof n;
    if (n == SIZE_MAX) {
        *len = 0;
        return NULL;
    }
    const char *text = *at;
    *at += n + 1;
    *len = n;
    return text;
}

int64_t sq_unpack_int(const char **at) {
    int64_t v;
    memcpy(&v, *at, sizeof v);
    *at += sizeof v;
    return v;
}

void sq_pack_row_view(ssot_buf *b, sqlite3_stmt *stmt) {
    sq_pack_column(b, stmt, COL_ROW);
    sq_pack_column(b, stmt, COL_ID);
    sq_pack_column(b, stmt, COL_OWNER);
}

void sq_unpack_row_view(const char **at, ssot_row_view *row) {
    size_t n;
    row->json = sq_unpack_text(at, &row->json_len);
    if (!row->json) row->json = "null", row->json_len = 4; /* never: the row column is json_object */
    row->id = sq_unpack_text(at, &n);
    row->owner = sq_unpack_text(at, &n);
}
