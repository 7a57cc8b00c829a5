/* The PostgreSQL store (libpq), built when CMake finds libpq (option SSOT_POSTGRES; the macro
 * SSOT_HAVE_POSTGRES is then defined): the whole store.h table, with the SQLite store's bytes,
 * statuses and messages, for one node or several on one database (docs/runtime-storage.md,
 * "The PostgreSQL store"). Uses store.h. */
#ifndef SSOT_RUNTIME_STORE_PG_H
#define SSOT_RUNTIME_STORE_PG_H

#include "runtime/store/store.h"

typedef struct ssot_pg_options {
    const char *conninfo; /* a libpq URL (postgresql://...) or "key=value" string; required */
    int64_t history;      /* change events kept per model; 0: 1000 */
} ssot_pg_options;

/* Connects and, in one transaction under pg_advisory_xact_lock (several nodes starting at
 * once migrate once), creates ssot's own tables (_ssot_schema, _ssot_streams, _ssot_changes)
 * and the app's tables (DDL from the Lua module ssot.sql, dialect "postgres", through
 * app->L), records each model's definition in _ssot_schema, adds new optional fields (or
 * fields with a default) and new models, and refuses with SSOT_STORE_SCHEMA, changing
 * nothing, anything else. A connection refused or lost is SSOT_STORE_UNAVAILABLE, the
 * message naming the host or socket (never the password). */
ssot_store_status ssot_store_pg_open(const ssot_app *app, const ssot_pg_options *opts, ssot_store **out,
                                     ssot_store_error *err);

#endif
