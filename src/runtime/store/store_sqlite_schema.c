/* The SQLite store's schema sync: at open, in one transaction, creates the tables of the
 * app's IR and ssot's own tables, records each model's definition in _ssot_schema, hands
 * recorded models to the migration (store_sqlite_migrate.c) and refuses to start, changing
 * nothing, when anything cannot be brought to the IR. DDL comes from the Lua module ssot.sql
 * (the same text as the generated schema.sql). Uses SQLite, Lua, jansson. */
#include "runtime/store/store_sqlite_schema.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The tables ssot owns. _ssot_schema: one row per model with the definition it was created
 * or last migrated with (JSON). _ssot_streams / _ssot_changes: the change stream; an
 * updated event keeps the row before the update in previous_owner / previous (NULL for
 * other events). Columns added since a table was first created are in own_columns too, so
 * older databases get them at open. */
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
    "  previous_owner TEXT,\n"
    "  previous TEXT,\n"
    "  PRIMARY KEY (model, \"offset\")\n"
    ") WITHOUT ROWID;\n";

/* Columns of ssot's tables that databases created before them lack, in the order they came:
 * added by ALTER TABLE ADD COLUMN (nullable, so old rows read as NULL) when missing. */
static const struct {
    const char *table, *column, *definition;
} own_columns[] = {
    {"_ssot_changes", "previous_owner", "previous_owner TEXT"},
    {"_ssot_changes", "previous", "previous TEXT"},
};

/* In the sync's transaction, after own_tables: brings ssot's tables of an older database
 * forward. Does nothing once every column is there. */
static void upgrade_own_tables(sync_ctx *c) {
    for (size_t i = 0; i < sizeof own_columns / sizeof own_columns[0] && !c->failed; i++) {
        json_t *cols = sq_table_columns(c, own_columns[i].table);
        int have = cols && json_object_get(cols, own_columns[i].column) != NULL;
        json_decref(cols);
        if (have || c->failed) continue;
        ssot_buf sql = SSOT_BUF_INIT;
        ssot_buf_puts(&sql, "ALTER TABLE ");
        sq_ident(&sql, own_columns[i].table);
        ssot_buf_puts(&sql, " ADD COLUMN ");
        ssot_buf_puts(&sql, own_columns[i].definition);
        if (sql.failed) sq_sync_error(c, "out of memory");
        else sq_sync_exec(c, ssot_buf_cstr(&sql));
        ssot_buf_free(&sql);
    }
}


void sq_refuse(sync_ctx *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ssot_buf_puts(&c->problems, "\n  - ");
    ssot_buf_vprintf(&c->problems, fmt, ap);
    va_end(ap);
    c->nproblems++;
}

void sq_sync_error(sync_ctx *c, const char *fmt, ...) {
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
int sq_sync_try(sync_ctx *c, const char *sql) { return sqlite3_exec(c->s->db, sql, NULL, NULL, NULL); }

int sq_sync_exec(sync_ctx *c, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(c->s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    sq_sync_error(c, "%s: %s\n  while running: %.300s", c->s->path, msg ? msg : "?", sql);
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
        sq_sync_error(c, "ssot.sql.%s failed: %s", fn, lua_isstring(L, -1) ? lua_tostring(L, -1) : "no string returned");
        lua_pop(L, 1);
        return NULL;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    char *copy = malloc(n + 1);
    if (copy) memcpy(copy, s, n + 1);
    else sq_sync_error(c, "out of memory");
    lua_pop(L, 1);
    return copy;
}

char *sq_ddl_create_table(sync_ctx *c, const ssot_model *m, const char *table_name) {
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

json_t *sq_def_find(json_t *list, const char *name) {
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *n = json_string_value(json_object_get(item, "name"));
        if (n && strcmp(n, name) == 0) return item;
    }
    return NULL;
}

const char *sq_def_str(json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

int sq_record_model(sync_ctx *c, const ssot_model *m, json_t *def) {
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
    if (rc != SQLITE_OK) sq_sync_error(c, "%s: recording the schema of %s: %s", c->s->path, m->name, sqlite3_errmsg(c->s->db));
    sqlite3_finalize(stmt);
    free(text);
    return rc == SQLITE_OK ? 0 : -1;
}

/* --- looking at the database ------------------------------------------------------------ */

int64_t sq_query_int(sync_ctx *c, const char *sql, const char *arg) {
    sqlite3_stmt *stmt = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(c->s->db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        if (arg) sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
        if (sqlite3_step(stmt) == SQLITE_ROW) v = sqlite3_column_int64(stmt, 0);
    } else {
        sq_sync_error(c, "%s: %s", c->s->path, sqlite3_errmsg(c->s->db));
    }
    sqlite3_finalize(stmt);
    return v;
}

int sq_table_exists(sync_ctx *c, const char *table) {
    return sq_query_int(c, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", table) > 0;
}

int64_t sq_row_count(sync_ctx *c, const char *table) {
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "SELECT count(*) FROM ");
    sq_ident(&sql, table);
    int64_t n = sq_query_int(c, ssot_buf_cstr(&sql), NULL);
    ssot_buf_free(&sql);
    return n;
}

/* Whether an index of table covers column. */
int sq_column_indexed(sync_ctx *c, const char *table, const char *column) {
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
json_t *sq_table_columns(sync_ctx *c, const char *table) {
    json_t *cols = json_object();
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(c->s->db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", -1, &stmt,
                           NULL) != SQLITE_OK) {
        sq_sync_error(c, "%s: %s", c->s->path, sqlite3_errmsg(c->s->db));
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

/* --- creating ------------------------------------------------------------------------- */

void sq_create_indexes(sync_ctx *c, json_t *def) {
    size_t i;
    json_t *ix;
    json_array_foreach(json_object_get(def, "indexes"), i, ix) {
        if (sq_sync_exec(c, sq_def_str(ix, "ddl")) != 0) return;
    }
}

static void create_model(sync_ctx *c, const ssot_model *m, json_t *def) {
    char *ddl = sq_ddl_create_table(c, m, NULL);
    if (!ddl) return;
    if (sq_sync_exec(c, ddl) == 0) sq_create_indexes(c, def);
    free(ddl);
    if (!c->failed) sq_record_model(c, m, def);
}

/* Recorded models the IR no longer has: fine when their table is gone, refused otherwise. */
static void check_removed_models(sync_ctx *c) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(c->s->db, "SELECT model, \"table\" FROM _ssot_schema ORDER BY model", -1, &stmt, NULL) !=
        SQLITE_OK) {
        sq_sync_error(c, "%s: %s", c->s->path, sqlite3_errmsg(c->s->db));
        return;
    }
    ssot_buf gone = SSOT_BUF_INIT; /* models whose records are deleted below, NUL-separated */
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const char *model = (const char *)sqlite3_column_text(stmt, 0);
        const char *table = (const char *)sqlite3_column_text(stmt, 1);
        if (ssot_app_model(c->app, model)) continue;
        if (!sq_table_exists(c, table)) {
            ssot_buf_append(&gone, model, strlen(model) + 1);
            continue;
        }
        int64_t rows = sq_row_count(c, table);
        sq_refuse(c, "model %s was removed from the config, but its table \"%s\" still exists (%lld row%s). Put the "
                   "model back, or drop the table by hand: sqlite3 %s 'DROP TABLE \"%s\"', then start again.",
                model, table, (long long)rows, rows == 1 ? "" : "s", c->s->path, table);
    }
    sqlite3_finalize(stmt);
    for (size_t at = 0; at < gone.len; at += strlen(gone.data + at) + 1) {
        static const char *const forget[] = {"DELETE FROM _ssot_schema WHERE model = ?1",
                                             "DELETE FROM _ssot_streams WHERE model = ?1",
                                             "DELETE FROM _ssot_changes WHERE model = ?1"};
        for (size_t k = 0; k < 3; k++) sq_query_int(c, forget[k], gone.data + at);
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
            if (!def) sq_sync_error(c, "%s: the _ssot_schema record of %s is not valid JSON", c->s->path, m->name);
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
        sq_refuse(c, "%lld rows of \"%s\" refer to rows of \"%s\" that do not exist; fix them by hand "
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
            sq_migrate_model(c, m, recorded, def);
        else if (sq_table_exists(c, m->table))
            sq_adopt_model(c, m, def);
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
    if (sq_sync_exec(&c, "PRAGMA foreign_keys = OFF") == 0 && sq_sync_exec(&c, "BEGIN IMMEDIATE") == 0 &&
        sq_sync_exec(&c, own_tables) == 0) {
        upgrade_own_tables(&c);
        if (!c.failed) sync_models(&c);
    }
    ssot_store_status status = SSOT_STORE_OK;
    if (c.failed) {
        status = err->status;
    } else if (c.nproblems) {
        status = sq_fail(err, SSOT_STORE_SCHEMA, NULL,
                         "the database %s does not match the config, and ssot will not change it on its own "
                         "(nothing was changed):%s",
                         s->path, ssot_buf_cstr(&c.problems));
    }
    if (status == SSOT_STORE_OK && sq_sync_exec(&c, "COMMIT") != 0) status = err->status;
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    ssot_buf_free(&c.problems);
    lua_settop(c.L, top);
    return status;
}
