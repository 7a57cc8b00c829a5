/* The PostgreSQL store's schema sync: at open, in one transaction under an advisory lock (so
 * nodes starting at once migrate once), creates ssot's own tables and the app's (DDL from the
 * Lua module ssot.sql, dialect "postgres": the same text as schema.postgres.sql), records each
 * model's definition in _ssot_schema as the SQLite store does (store_sqlite_schema.c), adds
 * new models, new optional fields and fields with a default, and refuses anything else,
 * changing nothing, with the SQLite store's wording. Unlike the SQLite store it changes no
 * existing column (no rebuild): a changed column is refused. Uses libpq, Lua, jansson. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "runtime/store/store_pg_internal.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ssot's tables, with the columns and meaning of the SQLite store's (store_sqlite_schema.c);
 * JSON and times are TEXT as there. */
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
    "  \"offset\" BIGINT NOT NULL\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS _ssot_changes (\n"
    "  model TEXT NOT NULL,\n"
    "  \"offset\" BIGINT NOT NULL,\n"
    "  event TEXT NOT NULL,\n"
    "  row_id TEXT NOT NULL,\n"
    "  owner TEXT,\n"
    "  data TEXT NOT NULL,\n"
    "  at TEXT NOT NULL,\n"
    "  previous_owner TEXT,\n"
    "  previous TEXT,\n"
    "  PRIMARY KEY (model, \"offset\")\n"
    ");\n"
    /* signal_send's messages too large for a NOTIFY (store_pg_notify.c), kept a minute */
    "CREATE TABLE IF NOT EXISTS _ssot_messages (\n"
    "  id BIGSERIAL PRIMARY KEY,\n"
    "  body TEXT NOT NULL,\n"
    "  at TIMESTAMPTZ NOT NULL DEFAULT now()\n"
    ");\n";

/* The key of the advisory lock every node's sync takes ("ssot" in ASCII). */
#define SCHEMA_LOCK_KEY "1936945012"

typedef struct pg_sync {
    pg_store *s;
    const ssot_app *app;
    lua_State *L;
    int sql;           /* stack index of the ssot.sql module */
    int opts;          /* stack index of { dialect = "postgres" } */
    ssot_buf problems; /* refusals, one "  - ..." line each */
    size_t nproblems;
    ssot_store_error *err;
    int failed; /* a hard error (not a refusal) is in err */
} pg_sync;

static void refuse(pg_sync *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(pg_sync *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ssot_buf_puts(&c->problems, "\n  - ");
    ssot_buf_vprintf(&c->problems, fmt, ap);
    va_end(ap);
    c->nproblems++;
}

static void sync_error(pg_sync *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sync_error(pg_sync *c, const char *fmt, ...) {
    if (c->failed) return;
    c->failed = 1;
    c->err->status = SSOT_STORE_ERROR;
    c->err->field = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
    va_end(ap);
}

/* Runs sql with text parameters; returns the result (TUPLES_OK or COMMAND_OK) or NULL with a
 * hard error (UNAVAILABLE when the connection is gone). */
static PGresult *query(pg_sync *c, const char *sql, int n, const char *const *params) {
    if (c->failed) return NULL;
    PGresult *r = n ? PQexecParams(c->s->conn, sql, n, NULL, params, NULL, NULL, 0) : PQexec(c->s->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
    PQclear(r);
    char doing[400];
    snprintf(doing, sizeof doing, "while running: %.300s", sql);
    pg_conn_error(c->s, doing, c->err);
    c->failed = 1;
    return NULL;
}

static int exec(pg_sync *c, const char *sql) {
    PGresult *r = query(c, sql, 0, NULL);
    PQclear(r);
    return r ? 0 : -1;
}

/* The integer in the first column of the first row, or -1. */
static int64_t query_int(pg_sync *c, const char *sql, int n, const char *const *params) {
    PGresult *r = query(c, sql, n, params);
    int64_t v = r && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return v;
}

static void ident(ssot_buf *b, const char *name) {
    ssot_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') ssot_buf_putc(b, '"');
        ssot_buf_putc(b, *p);
    }
    ssot_buf_putc(b, '"');
}

/* --- DDL from ssot.sql (dialect "postgres") ------------------------------------------- */

static void push_ref(pg_sync *c, int ref) { lua_rawgeti(c->L, LUA_REGISTRYINDEX, ref); }

/* Pushes model.<list>[i + 1] (a field or index table). Stack effect: +1. */
static void push_item(pg_sync *c, const ssot_model *m, const char *list, size_t i) {
    push_ref(c, m->lua_ref);
    lua_getfield(c->L, -1, list);
    lua_rawgeti(c->L, -1, (lua_Integer)i + 1);
    lua_replace(c->L, -3);
    lua_pop(c->L, 1);
}

/* Calls sql.<fn> with the nargs values on top of the stack and the dialect options after
 * them; returns its string result (malloc'd) or NULL with a hard error. Stack effect: -nargs. */
static char *ddl_call(pg_sync *c, const char *fn, int nargs) {
    lua_State *L = c->L;
    lua_pushvalue(L, c->opts);
    nargs++;
    lua_getfield(L, c->sql, fn);
    lua_insert(L, -nargs - 1);
    if (lua_pcall(L, nargs, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING) {
        sync_error(c, "ssot.sql.%s failed: %s", fn, lua_isstring(L, -1) ? lua_tostring(L, -1) : "no string returned");
        lua_pop(L, 1);
        return NULL;
    }
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    char *copy = malloc(n + 1);
    if (copy) memcpy(copy, s, n + 1);
    else sync_error(c, "out of memory");
    lua_pop(L, 1);
    return copy;
}

static char *ddl_column(pg_sync *c, const ssot_model *m, size_t i) {
    push_item(c, m, "fields", i);
    push_ref(c, m->lua_ref);
    return ddl_call(c, "column_definition", 2);
}

static char *ddl_foreign_key(pg_sync *c, const ssot_model *m, size_t i) {
    push_item(c, m, "fields", i);
    push_ref(c, m->lua_ref);
    push_ref(c, c->app->lua_ref);
    return ddl_call(c, "foreign_key", 3);
}

static char *ddl_add_foreign_key(pg_sync *c, const ssot_model *m, size_t i) {
    push_item(c, m, "fields", i);
    push_ref(c, m->lua_ref);
    push_ref(c, c->app->lua_ref);
    return ddl_call(c, "add_foreign_key", 3);
}

static char *ddl_create_index(pg_sync *c, const ssot_model *m, size_t i) {
    push_item(c, m, "indexes", i);
    push_ref(c, m->lua_ref);
    return ddl_call(c, "create_index", 2);
}

static char *ddl_schema(pg_sync *c) {
    push_ref(c, c->app->lua_ref);
    return ddl_call(c, "schema", 1);
}

/* --- the recorded definition (the SQLite store's format, PostgreSQL DDL) ---------------- */

static const char *on_delete_name(ssot_on_delete action) {
    return action == SSOT_ON_DELETE_CASCADE ? "cascade" : action == SSOT_ON_DELETE_SET_NULL ? "set_null" : "restrict";
}

static json_t *take_string(char *s) {
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

static json_t *model_definition(pg_sync *c, const ssot_model *m) {
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

static json_t *def_find(json_t *list, const char *name) {
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *n = json_string_value(json_object_get(item, "name"));
        if (n && strcmp(n, name) == 0) return item;
    }
    return NULL;
}

static const char *def_str(json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* --- looking at the database ------------------------------------------------------------ */

static int table_exists(pg_sync *c, const char *table) {
    const char *p[1] = {table};
    return query_int(c, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() "
                        "AND table_name = $1", 1, p) > 0;
}

static int column_exists(pg_sync *c, const char *table, const char *column) {
    const char *p[2] = {table, column};
    return query_int(c, "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
                        "AND table_name = $1 AND column_name = $2", 2, p) > 0;
}

static int64_t row_count(pg_sync *c, const char *table) {
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "SELECT count(*) FROM ");
    ident(&sql, table);
    int64_t n = query_int(c, ssot_buf_cstr(&sql), 0, NULL);
    ssot_buf_free(&sql);
    return n;
}

/* The recorded definition text of model, or NULL (malloc'd). */
static char *recorded_text(pg_sync *c, const char *model) {
    const char *p[1] = {model};
    PGresult *r = query(c, "SELECT definition FROM _ssot_schema WHERE model = $1", 1, p);
    char *text = r && PQntuples(r) > 0 ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return text;
}

/* --- comparing (the SQLite store's refusals, for what PostgreSQL does not do yet) -------- */

/* What the sync does to a recorded model once nothing is refused. */
typedef struct model_plan {
    char *text;        /* the definition to record (malloc'd), NULL when unchanged */
    size_t *added;     /* indexes of fields to ADD COLUMN */
    size_t nadded;
    json_t *drop_indexes; /* names of indexes that went or changed */
} model_plan;

static void compare(pg_sync *c, const ssot_model *m, json_t *recorded, json_t *def, model_plan *plan) {
    const char *db = c->s->dbname;
    if (strcmp(def_str(recorded, "table"), m->table) != 0) {
        refuse(c, "%s: its table was \"%s\" and is now \"%s\"; ssot does not rename tables. Rename it by hand: "
                  "psql %s -c 'ALTER TABLE \"%s\" RENAME TO \"%s\"; DELETE FROM _ssot_schema WHERE model = ''%s''', "
                  "then start again.",
               m->name, def_str(recorded, "table"), m->table, db, def_str(recorded, "table"), m->table, m->name);
        return;
    }
    json_t *old_fields = json_object_get(recorded, "fields"), *new_fields = json_object_get(def, "fields");
    size_t i;
    json_t *of;
    json_array_foreach(old_fields, i, of) {
        const char *name = def_str(of, "name");
        if (ssot_model_field(m, name, strlen(name))) continue;
        if (!column_exists(c, m->table, name)) continue; /* dropped by hand already */
        int64_t rows = row_count(c, m->table);
        refuse(c, "%s.%s: the field was removed from the config, but the column \"%s\" of \"%s\" still holds its "
                  "data (%lld row%s). Put the field back (optional = true if you no longer need it), or drop the "
                  "column by hand: psql %s -c 'ALTER TABLE \"%s\" DROP COLUMN \"%s\"', then start again.",
               m->name, name, name, m->table, (long long)rows, rows == 1 ? "" : "s", db, m->table, name);
    }
    for (size_t k = 0; k < m->nfields; k++) {
        const ssot_field *f = &m->fields[k];
        json_t *nf = json_array_get(new_fields, k);
        json_t *rf = def_find(old_fields, f->name);
        if (!rf) {
            if (f->type == SSOT_TYPE_ID)
                refuse(c, "%s.%s: the id field changed. ssot cannot change a table's primary key: change it back, or "
                          "migrate by hand (docs/runtime-storage.md, \"Migrating by hand\").",
                       m->name, f->name);
            else if (!f->optional && !f->default_value && f->auto_kind == SSOT_AUTO_NONE)
                refuse(c, "%s.%s: a new required field without a default; the existing rows of \"%s\" would have no "
                          "value. Give it a default (default = ...), or make it optional (optional = true).",
                       m->name, f->name, m->table);
            else
                plan->added[plan->nadded++] = k;
            continue;
        }
        const char *old_kind = def_str(rf, "id_kind"), *new_kind = def_str(nf, "id_kind");
        if (strcmp(def_str(rf, "type"), f->type_name) != 0 || strcmp(def_str(rf, "sql_type"), f->sql_type) != 0 ||
            strcmp(old_kind, new_kind) != 0) {
            refuse(c, "%s.%s: the type changed from %s%s%s to %s%s%s; ssot does not convert stored data. Change the "
                      "type back, or migrate by hand (docs/runtime-storage.md, \"Migrating by hand\").",
                   m->name, f->name, def_str(rf, "type"), *old_kind ? " " : "", old_kind, f->type_name,
                   *new_kind ? " " : "", new_kind);
            continue;
        }
        if (json_is_true(json_object_get(rf, "optional")) && !f->optional && !f->default_value) {
            refuse(c, "%s.%s: changed from optional to required without a default; existing rows may hold null. "
                      "Give it a default (rows holding null get it), or keep it optional.",
                   m->name, f->name);
            continue;
        }
        /* Anything else about an existing column (required/optional, max, unique, default, the
         * foreign key): the SQLite store rebuilds the table; this store does not alter columns yet. */
        if (strcmp(def_str(rf, "ddl"), def_str(nf, "ddl")) != 0 ||
            strcmp(def_str(rf, "foreign_key"), def_str(nf, "foreign_key")) != 0)
            refuse(c, "%s.%s: the column's definition changed (from %s to %s); the PostgreSQL store does not alter "
                      "existing columns yet. Change it back, or alter the column by hand (psql %s) and delete the "
                      "model's _ssot_schema row, then start again.",
                   m->name, f->name, def_str(rf, "ddl"), def_str(nf, "ddl"), db);
    }
    /* indexes that went or changed are dropped; sql.schema creates the new ones */
    json_t *old_ix = json_object_get(recorded, "indexes"), *new_ix = json_object_get(def, "indexes");
    json_t *ix;
    json_array_foreach(old_ix, i, ix) {
        json_t *now = def_find(new_ix, def_str(ix, "name"));
        if (!now || strcmp(def_str(now, "ddl"), def_str(ix, "ddl")) != 0)
            json_array_append_new(plan->drop_indexes, json_string(def_str(ix, "name")));
    }
}

/* A table without a record (made from schema.postgres.sql): adopted when it has a column for
 * every field. */
static void check_adopted(pg_sync *c, const ssot_model *m) {
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (!column_exists(c, m->table, f->column))
            refuse(c, "%s.%s: the existing table \"%s\" has no column \"%s\". Add it by hand (psql %s -c 'ALTER TABLE "
                      "\"%s\" ADD COLUMN ...'), or remove the field.",
                   m->name, f->name, m->table, f->column, c->s->dbname, m->table);
    }
}

/* Recorded models the IR no longer has: fine (their records go) when their table is gone,
 * refused otherwise. */
static void check_removed_models(pg_sync *c) {
    PGresult *r = query(c, "SELECT model, \"table\" FROM _ssot_schema ORDER BY model", 0, NULL);
    if (!r) return;
    for (int i = 0; i < PQntuples(r) && !c->failed; i++) {
        const char *model = PQgetvalue(r, i, 0), *table = PQgetvalue(r, i, 1);
        if (ssot_app_model(c->app, model)) continue;
        if (!table_exists(c, table)) {
            static const char *const forget[] = {"DELETE FROM _ssot_schema WHERE model = $1",
                                                 "DELETE FROM _ssot_streams WHERE model = $1",
                                                 "DELETE FROM _ssot_changes WHERE model = $1"};
            const char *p[1] = {model};
            for (size_t k = 0; k < 3; k++) PQclear(query(c, forget[k], 1, p));
            continue;
        }
        int64_t rows = row_count(c, table);
        refuse(c, "model %s was removed from the config, but its table \"%s\" still exists (%lld row%s). Put the "
                  "model back, or drop the table by hand: psql %s -c 'DROP TABLE \"%s\"', then start again.",
               model, table, (long long)rows, rows == 1 ? "" : "s", c->s->dbname, table);
    }
    PQclear(r);
}

/* --- applying ------------------------------------------------------------------------- */

static void add_columns(pg_sync *c, const ssot_model *m, json_t *def, const model_plan *plan) {
    for (size_t k = 0; k < plan->nadded && !c->failed; k++) {
        json_t *jf = json_array_get(json_object_get(def, "fields"), plan->added[k]);
        ssot_buf sql = SSOT_BUF_INIT;
        ssot_buf_puts(&sql, "ALTER TABLE ");
        ident(&sql, m->table);
        ssot_buf_puts(&sql, " ADD COLUMN ");
        ssot_buf_puts(&sql, def_str(jf, "ddl"));
        if (sql.failed) sync_error(c, "out of memory");
        else exec(c, ssot_buf_cstr(&sql));
        ssot_buf_free(&sql);
    }
}

static void add_foreign_keys(pg_sync *c, const ssot_model *m, const model_plan *plan) {
    for (size_t k = 0; k < plan->nadded && !c->failed; k++) {
        if (!m->fields[plan->added[k]].ref_model) continue;
        char *ddl = ddl_add_foreign_key(c, m, plan->added[k]);
        if (ddl) exec(c, ddl);
        free(ddl);
    }
}

static void drop_indexes(pg_sync *c, const model_plan *plan) {
    size_t i;
    json_t *name;
    json_array_foreach(plan->drop_indexes, i, name) {
        ssot_buf sql = SSOT_BUF_INIT;
        ssot_buf_puts(&sql, "DROP INDEX IF EXISTS ");
        ident(&sql, json_string_value(name));
        exec(c, ssot_buf_cstr(&sql));
        ssot_buf_free(&sql);
    }
}

static void record_model(pg_sync *c, const ssot_model *m, const char *text) {
    const char *p[3] = {m->name, m->table, text};
    PQclear(query(c,
                  "INSERT INTO _ssot_schema (model, \"table\", definition, updated_at) VALUES ($1, $2, $3, "
                  "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) "
                  "ON CONFLICT (model) DO UPDATE SET \"table\" = EXCLUDED.\"table\", definition = "
                  "EXCLUDED.definition, updated_at = EXCLUDED.updated_at",
                  3, p));
}

static void ensure_stream(pg_sync *c, const ssot_model *m) {
    char epoch[SSOT_EPOCH_SIZE];
    if (pg_new_epoch(epoch) != 0) {
        sync_error(c, "no random bytes for a stream epoch");
        return;
    }
    const char *p[2] = {m->name, epoch};
    /* The counter starts past any event still kept (a stream row deleted by hand): offsets of
     * the new epoch never repeat one in _ssot_changes. */
    PQclear(query(c, "INSERT INTO _ssot_streams (model, epoch, \"offset\") VALUES ($1, $2, "
                     "(SELECT coalesce(max(\"offset\"), 0) FROM _ssot_changes WHERE model = $1)) "
                     "ON CONFLICT (model) DO NOTHING",
                  2, p));
}

static void sync_models(pg_sync *c) {
    size_t n = c->app->nmodels;
    model_plan *plans = calloc(n + 1, sizeof *plans);
    json_t **defs = calloc(n + 1, sizeof *defs);
    if (!plans || !defs) sync_error(c, "out of memory");
    for (size_t i = 0; i < n && !c->failed; i++) {
        const ssot_model *m = &c->app->models[i];
        model_plan *plan = &plans[i];
        plan->added = calloc(m->nfields + 1, sizeof *plan->added);
        plan->drop_indexes = json_array();
        defs[i] = model_definition(c, m);
        if (!defs[i] || !plan->added || !plan->drop_indexes) {
            sync_error(c, "out of memory");
            break;
        }
        char *text = json_dumps(defs[i], JSON_COMPACT | JSON_SORT_KEYS);
        char *old = recorded_text(c, m->name);
        if (!text) sync_error(c, "out of memory");
        if (old) {
            json_t *recorded = json_loads(old, 0, NULL);
            if (!recorded) sync_error(c, "%s: the _ssot_schema record of %s is not valid JSON", c->s->dbname, m->name);
            else compare(c, m, recorded, defs[i], plan);
            json_decref(recorded);
        } else if (table_exists(c, m->table)) {
            check_adopted(c, m);
        }
        if (old && text && strcmp(old, text) == 0) free(text);
        else plan->text = text;
        free(old);
    }
    if (!c->failed) check_removed_models(c);
    if (!c->failed && c->nproblems == 0) {
        /* new columns first (an index of sql.schema may cover one), then every table and index
         * that is missing, then the foreign keys of the new columns (their table may be new) */
        for (size_t i = 0; i < n && !c->failed; i++) {
            drop_indexes(c, &plans[i]);
            add_columns(c, &c->app->models[i], defs[i], &plans[i]);
        }
        char *schema = c->failed ? NULL : ddl_schema(c);
        if (schema) exec(c, schema);
        free(schema);
        for (size_t i = 0; i < n && !c->failed; i++) {
            const ssot_model *m = &c->app->models[i];
            add_foreign_keys(c, m, &plans[i]);
            if (plans[i].text) record_model(c, m, plans[i].text);
            ensure_stream(c, m);
        }
    }
    for (size_t i = 0; plans && defs && i < n; i++) {
        free(plans[i].text);
        free(plans[i].added);
        json_decref(plans[i].drop_indexes);
        json_decref(defs[i]);
    }
    free(plans);
    free(defs);
}

ssot_store_status pg_schema_sync(pg_store *s, ssot_store_error *err) {
    const ssot_app *app = s->base.app;
    pg_sync c = {.s = s, .app = app, .L = app->L, .err = err};
    if (!c.L || app->lua_ref == LUA_NOREF)
        return pg_fail(err, SSOT_STORE_ERROR, "the store needs the Lua IR (an app built by ssot_ir_load)");
    int top = lua_gettop(c.L);
    lua_getglobal(c.L, "require");
    lua_pushstring(c.L, "ssot.sql");
    if (lua_pcall(c.L, 1, 1, 0) != LUA_OK || !lua_istable(c.L, -1)) {
        pg_fail(err, SSOT_STORE_ERROR, "cannot load the Lua module ssot.sql: %s",
                lua_isstring(c.L, -1) ? lua_tostring(c.L, -1) : "not a table");
        lua_settop(c.L, top);
        return SSOT_STORE_ERROR;
    }
    c.sql = lua_gettop(c.L);
    lua_newtable(c.L);
    lua_pushstring(c.L, "postgres");
    lua_setfield(c.L, -2, "dialect");
    c.opts = lua_gettop(c.L);
    if (exec(&c, "BEGIN") == 0 && exec(&c, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")") == 0 &&
        exec(&c, own_tables) == 0)
        sync_models(&c);
    ssot_store_status status = SSOT_STORE_OK;
    if (c.failed) {
        status = err->status;
    } else if (c.nproblems) {
        status = pg_fail(err, SSOT_STORE_SCHEMA,
                         "the database %s does not match the config, and ssot will not change it on its own "
                         "(nothing was changed):%s",
                         s->where, ssot_buf_cstr(&c.problems));
    }
    if (status == SSOT_STORE_OK && exec(&c, "COMMIT") != 0) status = err->status;
    if (PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(s->conn, "ROLLBACK");
        PQclear(r);
    }
    ssot_buf_free(&c.problems);
    lua_settop(c.L, top);
    return status;
}
