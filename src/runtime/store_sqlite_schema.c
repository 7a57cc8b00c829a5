/* The SQLite store's schema: creates the tables of the app's IR and ssot's own tables, and
 * migrates an existing database in one transaction — additive changes automatically, changes
 * SQLite can only make by rebuilding a table when no data can be lost, anything destructive
 * refused with what to do. DDL comes from the Lua module ssot.sql (the same text as the
 * generated schema.sql); _ssot_schema records what was created, to diff against.
 * Uses SQLite, Lua, jansson (store_sqlite.h). */
#include "store_sqlite.h"

#include "runtime/value.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The tables ssot owns. _ssot_schema: one row per model with the definition it was created
 * or last migrated with (JSON). _ssot_streams / _ssot_changes: the change stream. */
static const char *const own_tables =
    "CREATE TABLE IF NOT EXISTS _ssot_schema (\n"
    "  model TEXT PRIMARY KEY NOT NULL,\n"
    "  \"table\" TEXT NOT NULL,\n"
    "  definition TEXT NOT NULL,\n"
    "  updated_at TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS _ssot_streams (\n"
    "  model TEXT PRIMARY KEY NOT NULL,\n"
    "  epoch TEXT NOT NULL,\n"
    "  \"offset\" INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS _ssot_changes (\n"
    "  model TEXT NOT NULL,\n"
    "  \"offset\" INTEGER NOT NULL,\n"
    "  event TEXT NOT NULL,\n"
    "  row_id TEXT NOT NULL,\n"
    "  owner TEXT,\n"
    "  data TEXT NOT NULL,\n"
    "  at TEXT NOT NULL,\n"
    "  PRIMARY KEY (model, \"offset\")\n"
    ") WITHOUT ROWID;\n";

typedef struct sync_ctx {
    sqlite_store *s;
    const ssot_app *app;
    lua_State *L;
    int sql;            /* stack index of the ssot.sql module */
    ssot_buf problems;  /* refusals, one "  - ..." line each */
    size_t nproblems;
    ssot_store_error *err;
    int failed;         /* a hard error (not a refusal) is in err */
} sync_ctx;

static void problem(sync_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(sync_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ssot_buf_puts(&c->problems, "\n  - ");
    ssot_buf_vprintf(&c->problems, fmt, ap);
    va_end(ap);
    c->nproblems++;
}

static void hard_error(sync_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hard_error(sync_ctx *c, const char *fmt, ...) {
    if (c->failed) return;
    c->failed = 1;
    c->err->status = SSOT_STORE_ERROR;
    c->err->field = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
    va_end(ap);
}

/* Runs sql; on failure returns the SQLite error code, leaving the message in the connection. */
static int try_exec(sync_ctx *c, const char *sql) { return sqlite3_exec(c->s->db, sql, NULL, NULL, NULL); }

static int exec_sql(sync_ctx *c, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(c->s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    hard_error(c, "%s: %s\n  while running: %.300s", c->s->path, msg ? msg : "?", sql);
    sqlite3_free(msg);
    return -1;
}

/* --- DDL from ssot.sql ------------------------------------------------------------------ */

static void push_ref(sync_ctx *c, int ref) { lua_rawgeti(c->L, LUA_REGISTRYINDEX, ref); }

/* Pushes model.<list>[i + 1] (a field or index table). Stack effect: +1. */
static void push_item(sync_ctx *c, const ssot_model *m, const char *list, size_t i) {
    push_ref(c, m->lua_ref);
    lua_getfield(c->L, -1, list);
    lua_rawgeti(c->L, -1, (lua_Integer)i + 1);
    lua_replace(c->L, -3);
    lua_pop(c->L, 1);
}

/* Calls sql.<fn> with the nargs values on top of the stack; returns its string result
 * (malloc'd) or NULL with a hard error. Stack effect: -nargs. */
static char *ddl_call(sync_ctx *c, const char *fn, int nargs) {
    lua_State *L = c->L;
    lua_getfield(L, c->sql, fn);
    lua_insert(L, -nargs - 1);
    if (lua_pcall(L, nargs, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING) {
        hard_error(c, "ssot.sql.%s failed: %s", fn, lua_isstring(L, -1) ? lua_tostring(L, -1) : "no string returned");
        lua_pop(L, 1);
        return NULL;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    char *copy = malloc(n + 1);
    if (copy) memcpy(copy, s, n + 1);
    else hard_error(c, "out of memory");
    lua_pop(L, 1);
    return copy;
}

static char *ddl_create_table(sync_ctx *c, const ssot_model *m, const char *table_name) {
    push_ref(c, m->lua_ref);
    if (table_name) { /* a shallow copy of the model under another table name (rebuilds) */
        lua_State *L = c->L;
        lua_newtable(L);
        lua_pushnil(L);
        while (lua_next(L, -3)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4);
        }
        lua_pushstring(L, table_name);
        lua_setfield(L, -2, "table");
        lua_remove(L, -2);
    }
    push_ref(c, c->app->lua_ref);
    return ddl_call(c, "create_table", 2);
}

static char *ddl_create_index(sync_ctx *c, const ssot_model *m, size_t i) {
    push_item(c, m, "indexes", i);
    push_ref(c, m->lua_ref);
    return ddl_call(c, "create_index", 2);
}

static char *ddl_column(sync_ctx *c, const ssot_model *m, size_t i) {
    push_item(c, m, "fields", i);
    push_ref(c, m->lua_ref);
    return ddl_call(c, "column_definition", 2);
}

static char *ddl_foreign_key(sync_ctx *c, const ssot_model *m, size_t i) {
    push_item(c, m, "fields", i);
    push_ref(c, m->lua_ref);
    push_ref(c, c->app->lua_ref);
    return ddl_call(c, "foreign_key", 3);
}

/* --- the recorded definition ------------------------------------------------------------ */

static const char *on_delete_name(ssot_on_delete action) {
    return action == SSOT_ON_DELETE_CASCADE ? "cascade" : action == SSOT_ON_DELETE_SET_NULL ? "set_null" : "restrict";
}

static json_t *take_string(char *s) {
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

/* The definition recorded in _ssot_schema for m: table, fields (type, constraints and the
 * DDL ssot.sql gives each), indexes. NULL with a hard error on failure. */
static json_t *model_definition(sync_ctx *c, const ssot_model *m) {
    json_t *fields = json_array(), *indexes = json_array();
    json_t *def = json_pack("{s:s, s:o, s:o}", "table", m->table, "fields", fields, "indexes", indexes);
    if (!def) return NULL;
    for (size_t i = 0; i < m->nfields && !c->failed; i++) {
        const ssot_field *f = &m->fields[i];
        json_t *jf = json_pack("{s:s, s:s, s:s, s:b, s:b}", "name", f->name, "type", f->type_name, "sql_type",
                               f->sql_type, "optional", f->optional, "unique", f->unique);
        if (f->id_kind != SSOT_ID_NONE)
            json_object_set_new(jf, "id_kind", json_string(f->id_kind == SSOT_ID_UUID ? "uuid" : "integer"));
        if (f->default_value) json_object_set(jf, "default", f->default_value);
        if (f->ref_model)
            json_object_set_new(jf, "references", json_pack("{s:s, s:s, s:s}", "model", f->ref_model, "field",
                                                            f->ref_field, "on_delete", on_delete_name(f->on_delete)));
        json_t *ddl = take_string(ddl_column(c, m, i));
        if (ddl) json_object_set_new(jf, "ddl", ddl);
        if (f->ref_model) {
            json_t *fk = take_string(ddl_foreign_key(c, m, i));
            if (fk) json_object_set_new(jf, "foreign_key", fk);
        }
        json_array_append_new(fields, jf);
    }
    for (size_t i = 0; i < m->nindexes && !c->failed; i++) {
        const ssot_index *ix = &m->indexes[i];
        json_t *names = json_array();
        for (size_t k = 0; k < ix->nfields; k++) json_array_append_new(names, json_string(ix->fields[k]));
        json_t *ddl = take_string(ddl_create_index(c, m, i));
        json_array_append_new(indexes, json_pack("{s:s, s:o, s:b, s:o*}", "name", ix->name, "fields", names, "unique",
                                                 ix->unique, "ddl", ddl));
    }
    if (c->failed) {
        json_decref(def);
        return NULL;
    }
    return def;
}

static json_t *find_named(json_t *list, const char *name) {
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *n = json_string_value(json_object_get(item, "name"));
        if (n && strcmp(n, name) == 0) return item;
    }
    return NULL;
}

static const char *str_of(json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int record_model(sync_ctx *c, const ssot_model *m, json_t *def) {
    char *text = json_dumps(def, JSON_COMPACT | JSON_SORT_KEYS);
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(c->s->db,
                                "INSERT OR REPLACE INTO _ssot_schema (model, \"table\", definition, updated_at) "
                                "VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK && text) {
        sqlite3_bind_text(stmt, 1, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, m->table, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, text, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    if (rc != SQLITE_OK) hard_error(c, "%s: recording the schema of %s: %s", c->s->path, m->name, sqlite3_errmsg(c->s->db));
    sqlite3_finalize(stmt);
    free(text);
    return rc == SQLITE_OK ? 0 : -1;
}

/* --- looking at the database ------------------------------------------------------------ */

static int64_t query_int(sync_ctx *c, const char *sql, const char *arg) {
    sqlite3_stmt *stmt = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(c->s->db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        if (arg) sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
    } else {
        hard_error(c, "%s: %s", c->s->path, sqlite3_errmsg(c->s->db));
    }
    sqlite3_finalize(stmt);
    return v;
}

static int table_exists(sync_ctx *c, const char *table) {
    return query_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", table) > 0;
}

static int64_t row_count(sync_ctx *c, const char *table) {
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "SELECT count(*) FROM ");
    sq_ident(&sql, table);
    int64_t n = query_int(c, ssot_buf_cstr(&sql), NULL);
    ssot_buf_free(&sql);
    return n;
}

/* Whether an index of table covers column. */
static int column_indexed(sync_ctx *c, const char *table, const char *column) {
    sqlite3_stmt *stmt = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(c->s->db,
                           "SELECT 1 FROM pragma_index_list(?1) AS l, pragma_index_info(l.name) AS i "
                           "WHERE i.name = ?2",
                           -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, column, -1, SQLITE_STATIC);
        found = sqlite3_step(stmt) == SQLITE_ROW;
    }
    sqlite3_finalize(stmt);
    return found;
}

/* The columns of a table: name -> {"type": declared type, "notnull": bool, "pk": bool}. */
static json_t *table_columns(sync_ctx *c, const char *table) {
    json_t *cols = json_object();
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(c->s->db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", -1, &stmt,
                           NULL) != SQLITE_OK) {
        hard_error(c, "%s: %s", c->s->path, sqlite3_errmsg(c->s->db));
        json_decref(cols);
        return NULL;
    }
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW)
        json_object_set_new(cols, (const char *)sqlite3_column_text(stmt, 0),
                            json_pack("{s:s, s:b, s:b}", "type", (const char *)sqlite3_column_text(stmt, 1),
                                      "notnull", sqlite3_column_int(stmt, 2), "pk", sqlite3_column_int(stmt, 3)));
    sqlite3_finalize(stmt);
    return cols;
}

/* --- creating, adopting, migrating ------------------------------------------------------ */

static void create_indexes(sync_ctx *c, json_t *def) {
    size_t i;
    json_t *ix;
    json_array_foreach(json_object_get(def, "indexes"), i, ix) {
        if (exec_sql(c, str_of(ix, "ddl")) != 0) return;
    }
}

static void create_model(sync_ctx *c, const ssot_model *m, json_t *def) {
    char *ddl = ddl_create_table(c, m, NULL);
    if (!ddl) return;
    if (exec_sql(c, ddl) == 0) create_indexes(c, def);
    free(ddl);
    if (!c->failed) record_model(c, m, def);
}

/* A table that exists without a record (made from schema.sql, or migrated by hand and its
 * record deleted): adopted when its columns fit the model. */
static void adopt_model(sync_ctx *c, const ssot_model *m, json_t *def) {
    json_t *cols = table_columns(c, m->table);
    if (!cols) return;
    size_t before = c->nproblems;
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        json_t *col = json_object_get(cols, f->column);
        if (!col) {
            problem(c, "%s.%s: the existing table \"%s\" has no column \"%s\". Add it by hand (sqlite3 %s 'ALTER TABLE "
                       "\"%s\" ADD COLUMN ...'), or remove the field.",
                    m->name, f->name, m->table, f->column, c->s->path, m->table);
        } else if (strcasecmp(str_of(col, "type"), f->sql_type) != 0) {
            problem(c, "%s.%s: the column \"%s\" of the existing table \"%s\" has type %s, the config says %s (%s). "
                       "Change the field's type back, or migrate the table by hand.",
                    m->name, f->name, f->column, m->table, str_of(col, "type"), f->sql_type, f->type_name);
        }
        json_object_del(cols, f->column);
    }
    const char *name;
    json_t *col;
    json_object_foreach(cols, name, col) {
        if (json_is_true(json_object_get(col, "notnull")))
            problem(c, "%s: the existing table \"%s\" has a NOT NULL column \"%s\" the config does not know, so ssot "
                       "could not insert rows. Add the field to the model, or drop the column by hand.",
                    m->name, m->table, name);
    }
    json_decref(cols);
    if (c->nproblems != before || c->failed) return;
    create_indexes(c, def);
    if (!c->failed) record_model(c, m, def);
}

/* Whether a field added to an existing table can be added with ALTER TABLE ADD COLUMN (or a
 * rebuild); reports a problem when it cannot. */
static int addable(sync_ctx *c, const ssot_model *m, const ssot_field *f) {
    if (f->type == SSOT_TYPE_ID) {
        problem(c, "%s.%s: the id field changed. ssot cannot change a table's primary key: change it back, or migrate "
                   "by hand (docs/runtime-storage.md, \"Migrating by hand\").",
                m->name, f->name);
        return 0;
    }
    if (!f->optional && !f->default_value && f->auto_kind == SSOT_AUTO_NONE) {
        problem(c, "%s.%s: a new required field without a default; the existing rows of \"%s\" would have no value. "
                   "Give it a default (default = ...), or make it optional (optional = true).",
                m->name, f->name, m->table);
        return 0;
    }
    return 1;
}

/* "ALTER TABLE t ADD COLUMN <def>" for a new field. SQLite refuses UNIQUE, non-constant
 * defaults and, for a REFERENCES column, a non-null default there: UNIQUE becomes a unique
 * index, an auto datetime's default becomes the migration time, and the foreign key is added
 * as a column constraint. Returns 1 when done, 0 when the table must be rebuilt instead. */
static int add_column(sync_ctx *c, const ssot_model *m, const ssot_field *f, json_t *jf) {
    if (f->ref_model && !f->optional) return 0;
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "ALTER TABLE ");
    sq_ident(&sql, m->table);
    ssot_buf_puts(&sql, " ADD COLUMN ");
    const char *ddl = str_of(jf, "ddl");
    static const char unique[] = " UNIQUE";
    static const char now[] = " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    const char *u = strstr(ddl, unique), *d = strstr(ddl, now);
    for (const char *p = ddl; *p;) {
        if (p == u) {
            p += sizeof unique - 1;
        } else if (p == d) {
            char at[25];
            ssot_datetime_now(at);
            ssot_buf_printf(&sql, " DEFAULT '%s'", at);
            p += sizeof now - 1;
        } else {
            ssot_buf_putc(&sql, *p++);
        }
    }
    const char *fk = str_of(jf, "foreign_key");
    const char *refs = strstr(fk, " REFERENCES ");
    if (refs) ssot_buf_puts(&sql, refs);
    int ok = exec_sql(c, ssot_buf_cstr(&sql)) == 0;
    if (ok && u) {
        ssot_buf_reset(&sql);
        ssot_buf_printf(&sql, "CREATE UNIQUE INDEX ");
        char name[200];
        snprintf(name, sizeof name, "%s_%s_unique", m->table, f->column);
        sq_ident(&sql, name);
        ssot_buf_puts(&sql, " ON ");
        sq_ident(&sql, m->table);
        ssot_buf_puts(&sql, " (");
        sq_ident(&sql, f->column);
        ssot_buf_puts(&sql, ")");
        exec_sql(c, ssot_buf_cstr(&sql));
    }
    ssot_buf_free(&sql);
    return 1;
}

/* Rebuilds table m from its new DDL, copying every kept column (SQLite's documented
 * procedure: create new, copy, drop old, rename; foreign keys are off during the sync).
 * fill: for each field, whether nulls take the field's default. */
static void rebuild_model(sync_ctx *c, const ssot_model *m, json_t *recorded, json_t *def, const char *fill) {
    char tmp[160];
    snprintf(tmp, sizeof tmp, "_ssot_new_%s", m->table);
    char *ddl = ddl_create_table(c, m, tmp);
    if (!ddl) return;
    int64_t seq = 0; /* sqlite_sequence exists only once an AUTOINCREMENT table does */
    if (table_exists(c, "sqlite_sequence"))
        seq = query_int(c, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?1", m->table);
    ssot_buf sql = SSOT_BUF_INIT, cols = SSOT_BUF_INIT, vals = SSOT_BUF_INIT;
    json_t *old_fields = json_object_get(recorded, "fields");
    int nfill = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (!find_named(old_fields, f->name)) continue; /* new: takes its DDL default */
        if (cols.len) {
            ssot_buf_puts(&cols, ", ");
            ssot_buf_puts(&vals, ", ");
        }
        sq_ident(&cols, f->column);
        if (fill[i]) {
            ssot_buf_puts(&vals, "coalesce(");
            sq_ident(&vals, f->column);
            ssot_buf_printf(&vals, ", ?%d)", ++nfill);
        } else {
            sq_ident(&vals, f->column);
        }
    }
    ssot_buf_puts(&sql, "INSERT INTO ");
    sq_ident(&sql, tmp);
    ssot_buf_printf(&sql, " (%s) SELECT %s FROM ", ssot_buf_cstr(&cols), ssot_buf_cstr(&vals));
    sq_ident(&sql, m->table);
    if (exec_sql(c, ddl) == 0) {
        sqlite3_stmt *copy = NULL;
        int rc = sqlite3_prepare_v2(c->s->db, ssot_buf_cstr(&sql), -1, &copy, NULL);
        for (size_t i = 0, k = 0; rc == SQLITE_OK && i < m->nfields; i++)
            if (fill[i]) sq_bind_json(c->s, copy, (int)++k, &m->fields[i], m->fields[i].default_value);
        if (rc == SQLITE_OK) rc = sqlite3_step(copy);
        if (rc != SQLITE_DONE)
            problem(c, "%s: the table \"%s\" must be rebuilt for the new definition, but its rows do not fit it: %s. "
                       "Fix those rows by hand, or undo the change.",
                    m->name, m->table, sqlite3_errmsg(c->s->db));
        sqlite3_finalize(copy);
    }
    if (!c->failed && c->nproblems == 0) {
        ssot_buf_reset(&sql);
        ssot_buf_puts(&sql, "DROP TABLE ");
        sq_ident(&sql, m->table);
        ssot_buf_puts(&sql, "; ALTER TABLE ");
        sq_ident(&sql, tmp);
        ssot_buf_puts(&sql, " RENAME TO ");
        sq_ident(&sql, m->table);
        if (exec_sql(c, ssot_buf_cstr(&sql)) == 0 && seq > 0) {
            /* keep AUTOINCREMENT from handing out ids of rows deleted before the rebuild */
            sqlite3_stmt *stmt = NULL;
            if (sqlite3_prepare_v2(c->s->db, "UPDATE sqlite_sequence SET seq = max(seq, ?2) WHERE name = ?1", -1,
                                   &stmt, NULL) == SQLITE_OK) {
                sqlite3_bind_text(stmt, 1, m->table, -1, SQLITE_STATIC);
                sqlite3_bind_int64(stmt, 2, seq);
                if (sqlite3_step(stmt) != SQLITE_DONE)
                    hard_error(c, "%s: keeping the id sequence of %s: %s", c->s->path, m->table,
                               sqlite3_errmsg(c->s->db));
            }
            sqlite3_finalize(stmt);
        }
        if (!c->failed) create_indexes(c, def);
    }
    ssot_buf_free(&sql);
    ssot_buf_free(&cols);
    ssot_buf_free(&vals);
    free(ddl);
}

/* Compares the recorded definition of m with the IR's and applies what can be applied. */
static void migrate_model(sync_ctx *c, const ssot_model *m, json_t *recorded, json_t *def) {
    size_t before = c->nproblems;
    if (strcmp(str_of(recorded, "table"), m->table) != 0) {
        problem(c, "%s: its table was \"%s\" and is now \"%s\"; ssot does not rename tables. Rename it by hand: "
                   "sqlite3 %s 'ALTER TABLE \"%s\" RENAME TO \"%s\"; DELETE FROM _ssot_schema WHERE model = ''%s''', "
                   "then start again.",
                m->name, str_of(recorded, "table"), m->table, c->s->path, str_of(recorded, "table"), m->table, m->name);
        return;
    }
    json_t *old_fields = json_object_get(recorded, "fields");
    json_t *new_fields = json_object_get(def, "fields");
    json_t *cols = table_columns(c, m->table);
    if (!cols) return;
    size_t i;
    json_t *of;
    json_array_foreach(old_fields, i, of) {
        const char *name = str_of(of, "name");
        if (ssot_model_field(m, name, strlen(name))) continue;
        if (!json_object_get(cols, name)) continue; /* dropped by hand already */
        int64_t rows = row_count(c, m->table);
        int plain = !json_is_true(json_object_get(of, "unique")) && !json_object_get(of, "references") &&
                    !column_indexed(c, m->table, name);
        if (plain)
            problem(c, "%s.%s: the field was removed from the config, but the column \"%s\" of \"%s\" still holds its "
                       "data (%lld row%s). Put the field back (optional = true if you no longer need it), or drop the "
                       "column by hand: sqlite3 %s 'ALTER TABLE \"%s\" DROP COLUMN \"%s\"', then start again.",
                    m->name, name, name, m->table, (long long)rows, rows == 1 ? "" : "s", c->s->path, m->table, name);
        else
            problem(c, "%s.%s: the field was removed from the config, but the column \"%s\" of \"%s\" still holds its "
                       "data (%lld row%s). Put the field back (optional = true if you no longer need it), or remove the "
                       "column by hand: it is unique, indexed or a foreign key, so SQLite needs the table rebuilt "
                       "(docs/runtime-storage.md, \"Migrating by hand\").",
                    m->name, name, name, m->table, (long long)rows, rows == 1 ? "" : "s");
    }
    json_decref(cols);

    char *fill = calloc(m->nfields + 1, 1);
    int rebuild = 0;
    const ssot_field **added = calloc(m->nfields + 1, sizeof *added);
    size_t nadded = 0;
    if (!added) {
        free(fill);
        fill = NULL;
    }
    for (size_t k = 0; fill && k < m->nfields; k++) {
        const ssot_field *f = &m->fields[k];
        json_t *nf = json_array_get(new_fields, k);
        json_t *rf = find_named(old_fields, f->name);
        if (!rf) {
            if (addable(c, m, f)) added[nadded++] = f;
            continue;
        }
        if (strcmp(str_of(rf, "type"), f->type_name) != 0 || strcmp(str_of(rf, "sql_type"), f->sql_type) != 0 ||
            strcmp(str_of(rf, "id_kind"), str_of(nf, "id_kind")) != 0) {
            const char *old_kind = str_of(rf, "id_kind"), *new_kind = str_of(nf, "id_kind");
            problem(c, "%s.%s: the type changed from %s%s%s to %s%s%s; ssot does not convert stored data. Change the "
                       "type back, or migrate by hand (docs/runtime-storage.md, \"Migrating by hand\").",
                    m->name, f->name, str_of(rf, "type"), *old_kind ? " " : "", old_kind, f->type_name,
                    *new_kind ? " " : "", new_kind);
            continue;
        }
        if (json_is_true(json_object_get(rf, "optional")) && !f->optional) {
            if (!f->default_value) {
                problem(c, "%s.%s: changed from optional to required without a default; existing rows may hold null. "
                           "Give it a default (rows holding null get it), or keep it optional.",
                        m->name, f->name);
                continue;
            }
            fill[k] = 1;
        }
        if (strcmp(str_of(rf, "ddl"), str_of(nf, "ddl")) != 0 ||
            strcmp(str_of(rf, "foreign_key"), str_of(nf, "foreign_key")) != 0)
            rebuild = 1;
    }
    if (c->nproblems == before && !c->failed && fill) {
        if (rebuild) {
            rebuild_model(c, m, recorded, def, fill);
        } else {
            int must_rebuild = 0;
            for (size_t k = 0; k < nadded && !c->failed; k++)
                if (!add_column(c, m, added[k], json_array_get(new_fields, added[k]->index))) must_rebuild = 1;
            if (must_rebuild) rebuild_model(c, m, recorded, def, fill);
            /* indexes: drop the ones that went or changed, create the new ones */
            json_t *old_ix = json_object_get(recorded, "indexes"), *new_ix = json_object_get(def, "indexes");
            json_t *ix;
            json_array_foreach(old_ix, i, ix) {
                json_t *now = find_named(new_ix, str_of(ix, "name"));
                if (must_rebuild || (now && strcmp(str_of(now, "ddl"), str_of(ix, "ddl")) == 0)) continue;
                ssot_buf sql = SSOT_BUF_INIT;
                ssot_buf_puts(&sql, "DROP INDEX IF EXISTS ");
                sq_ident(&sql, str_of(ix, "name"));
                exec_sql(c, ssot_buf_cstr(&sql));
                ssot_buf_free(&sql);
            }
            json_array_foreach(new_ix, i, ix) {
                json_t *was = find_named(old_ix, str_of(ix, "name"));
                if (must_rebuild || (was && strcmp(str_of(was, "ddl"), str_of(ix, "ddl")) == 0)) continue;
                if (try_exec(c, str_of(ix, "ddl")) != SQLITE_OK) {
                    problem(c, "%s: cannot create the index \"%s\": %s. Fix the rows that break it, or undo the "
                               "change.",
                            m->name, str_of(ix, "name"), sqlite3_errmsg(c->s->db));
                }
            }
        }
    }
    if (!fill) hard_error(c, "out of memory");
    free(fill);
    free(added);
    if (c->nproblems == before && !c->failed) record_model(c, m, def);
}

/* Recorded models the IR no longer has: fine when their table is gone, refused otherwise. */
static void check_removed_models(sync_ctx *c) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(c->s->db, "SELECT model, \"table\" FROM _ssot_schema ORDER BY model", -1, &stmt, NULL) !=
        SQLITE_OK) {
        hard_error(c, "%s: %s", c->s->path, sqlite3_errmsg(c->s->db));
        return;
    }
    ssot_buf gone = SSOT_BUF_INIT; /* models whose records are deleted below, NUL-separated */
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *model = (const char *)sqlite3_column_text(stmt, 0);
        const char *table = (const char *)sqlite3_column_text(stmt, 1);
        if (ssot_app_model(c->app, model)) continue;
        if (!table_exists(c, table)) {
            ssot_buf_append(&gone, model, strlen(model) + 1);
            continue;
        }
        int64_t rows = row_count(c, table);
        problem(c, "model %s was removed from the config, but its table \"%s\" still exists (%lld row%s). Put the "
                   "model back, or drop the table by hand: sqlite3 %s 'DROP TABLE \"%s\"', then start again.",
                model, table, (long long)rows, rows == 1 ? "" : "s", c->s->path, table);
    }
    sqlite3_finalize(stmt);
    for (size_t at = 0; at < gone.len; at += strlen(gone.data + at) + 1) {
        static const char *const forget[] = {"DELETE FROM _ssot_schema WHERE model = ?1",
                                             "DELETE FROM _ssot_streams WHERE model = ?1",
                                             "DELETE FROM _ssot_changes WHERE model = ?1"};
        for (size_t k = 0; k < 3; k++) query_int(c, forget[k], gone.data + at);
    }
    ssot_buf_free(&gone);
}

static json_t *recorded_definition(sync_ctx *c, const ssot_model *m) {
    sqlite3_stmt *stmt = NULL;
    json_t *def = NULL;
    if (sqlite3_prepare_v2(c->s->db, "SELECT definition FROM _ssot_schema WHERE model = ?1", -1, &stmt, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(stmt, 1, m->name, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            def = json_loads((const char *)sqlite3_column_text(stmt, 0), 0, NULL);
            if (!def) hard_error(c, "%s: the _ssot_schema record of %s is not valid JSON", c->s->path, m->name);
        }
    }
    sqlite3_finalize(stmt);
    return def;
}

static void check_foreign_keys(sync_ctx *c) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(c->s->db, "SELECT \"table\", parent, count(*) FROM pragma_foreign_key_check "
                                     "GROUP BY 1, 2",
                           -1, &stmt, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        problem(c, "%lld rows of \"%s\" refer to rows of \"%s\" that do not exist; fix them by hand "
                   "(PRAGMA foreign_key_check lists them).",
                (long long)sqlite3_column_int64(stmt, 2), (const char *)sqlite3_column_text(stmt, 0),
                (const char *)sqlite3_column_text(stmt, 1));
    sqlite3_finalize(stmt);
}

static void sync_models(sync_ctx *c) {
    for (size_t i = 0; i < c->app->nmodels && !c->failed; i++) {
        const ssot_model *m = &c->app->models[i];
        json_t *def = model_definition(c, m);
        if (!def) break;
        json_t *recorded = recorded_definition(c, m);
        if (recorded)
            migrate_model(c, m, recorded, def);
        else if (table_exists(c, m->table))
            adopt_model(c, m, def);
        else
            create_model(c, m, def);
        json_decref(recorded);
        json_decref(def);
    }
    if (!c->failed) check_removed_models(c);
    if (!c->failed && c->nproblems == 0) check_foreign_keys(c);
}

ssot_store_status sq_schema_sync(sqlite_store *s, ssot_store_error *err) {
    const ssot_app *app = s->base.app;
    sync_ctx c = {.s = s, .app = app, .L = app->L, .err = err};
    if (!c.L || app->lua_ref == LUA_NOREF)
        return sq_fail(err, SSOT_STORE_ERROR, NULL, "the store needs the Lua IR (an app built by ssot_ir_load)");
    int top = lua_gettop(c.L);
    lua_getglobal(c.L, "require");
    lua_pushstring(c.L, "ssot.sql");
    if (lua_pcall(c.L, 1, 1, 0) != LUA_OK || !lua_istable(c.L, -1)) {
        sq_fail(err, SSOT_STORE_ERROR, NULL, "cannot load the Lua module ssot.sql: %s",
                lua_isstring(c.L, -1) ? lua_tostring(c.L, -1) : "not a table");
        lua_settop(c.L, top);
        return SSOT_STORE_ERROR;
    }
    c.sql = lua_gettop(c.L);
    /* Foreign keys are off while tables may be rebuilt (dropping a parent table with them on
     * would cascade); PRAGMA foreign_key_check runs before COMMIT instead. */
    if (exec_sql(&c, "PRAGMA foreign_keys = OFF") == 0 && exec_sql(&c, "BEGIN IMMEDIATE") == 0 &&
        exec_sql(&c, own_tables) == 0)
        sync_models(&c);
    ssot_store_status status = SSOT_STORE_OK;
    if (c.failed) {
        status = err->status;
    } else if (c.nproblems) {
        status = sq_fail(err, SSOT_STORE_SCHEMA, NULL,
                         "the database %s does not match the config, and ssot will not change it on its own "
                         "(nothing was changed):%s",
                         s->path, ssot_buf_cstr(&c.problems));
    }
    if (status == SSOT_STORE_OK && exec_sql(&c, "COMMIT") != 0) status = err->status;
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    ssot_buf_free(&c.problems);
    lua_settop(c.L, top);
    return status;
}
