/* Internals shared by the schema sync (store_sqlite_schema.c) and the migration of recorded
 * models (store_sqlite_migrate.c): the sync context, refusals, DDL from ssot.sql, the
 * recorded definitions and looking at the database. Uses SQLite, Lua, jansson. */
#ifndef SSOT_RUNTIME_STORE_SQLITE_SCHEMA_H
#define SSOT_RUNTIME_STORE_SQLITE_SCHEMA_H

#include "runtime/store/store_sqlite.h"

#include <lua.h>

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

/* Records a refusal ("Model.field: what changed. What to do."); the sync goes on to find
 * every problem, then refuses with all of them. */
void sq_refuse(sync_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records an error that stops the sync (I/O, SQL, Lua); only the first is kept. */
void sq_sync_error(sync_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs SQL; exec_sql records a hard error on failure, try_exec only returns the code. */
int sq_sync_exec(sync_ctx *c, const char *sql);
int sq_sync_try(sync_ctx *c, const char *sql);

/* sql.create_table(model, ir), under another table name when table_name is not NULL
 * (malloc'd; NULL with a hard error). */
char *sq_ddl_create_table(sync_ctx *c, const ssot_model *m, const char *table_name);

/* Recorded definitions (JSON): the item of list named name; a string member or "". */
json_t *sq_def_find(json_t *list, const char *name);
const char *sq_def_str(json_t *obj, const char *key);
int sq_record_model(sync_ctx *c, const ssot_model *m, json_t *def);
void sq_create_indexes(sync_ctx *c, json_t *def);

/* The database as it is. */
int64_t sq_query_int(sync_ctx *c, const char *sql, const char *arg);
int sq_table_exists(sync_ctx *c, const char *table);
int64_t sq_row_count(sync_ctx *c, const char *table);
int sq_column_indexed(sync_ctx *c, const char *table, const char *column);
json_t *sq_table_columns(sync_ctx *c, const char *table); /* name -> {type, notnull, pk} */

/* store_sqlite_migrate.c: a table without a record, adopted when it fits the model; a
 * recorded model brought to its new definition (def), or refused. */
void sq_adopt_model(sync_ctx *c, const ssot_model *m, json_t *def);
void sq_migrate_model(sync_ctx *c, const ssot_model *m, json_t *recorded, json_t *def);

#endif
