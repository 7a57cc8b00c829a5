/* The messages both stores answer with, declared once so that a client cannot tell the SQLite
 * store from the PostgreSQL one by them (docs/runtime-storage.md, the status table). Each sets
 * err (status, the field at fault or NULL, the message) and returns the status.
 * Uses store.h. */
#ifndef SSOT_RUNTIME_STORE_MESSAGES_H
#define SSOT_RUNTIME_STORE_MESSAGES_H

#include "runtime/store/store.h"

/* NOT_FOUND: no row of m with the id of the URL segment (n bytes; at most 64 shown), or
 * (malformed) an id that cannot be one of m's. */
ssot_store_status ssot_store_not_found(ssot_store_error *err, const ssot_model *m, const char *id, size_t n,
                                       int malformed);
/* DENIED: the row exists but the caller's filter hides it. */
ssot_store_status ssot_store_not_visible(ssot_store_error *err, const ssot_model *m, const char *id);
/* CONFLICT: a unique constraint of m (on f, or a field the database did not name). */
ssot_store_status ssot_store_duplicate(ssot_store_error *err, const ssot_model *m, const ssot_field *f);
/* INVALID: f is missing (NOT NULL). */
ssot_store_status ssot_store_required(ssot_store_error *err, const ssot_field *f);
/* INVALID: f refers to a row that does not exist (f NULL: a reference the database did not name). */
ssot_store_status ssot_store_missing_reference(ssot_store_error *err, const ssot_field *f);
/* INVALID: another constraint refused f's value; why is the database's own words. */
ssot_store_status ssot_store_refused_value(ssot_store_error *err, const ssot_field *f, const char *why);
/* Counts the rows of referring whose field holds id (the store's own query); 0 when it cannot. */
typedef long long (*ssot_store_count_refs_fn)(void *ctx, const ssot_model *referring, const ssot_field *field,
                                              const char *id);

/* CONFLICT after a delete of row id of m was refused by a foreign key: names the first restrict
 * reference (a belongsTo m without onDelete cascade or setNull) whose rows, counted by count,
 * still point at it — only those block a delete: rows referring through cascade or setNull go
 * or are cleared with it, so naming them would send the user after the wrong field — else says
 * that rows a cascade would delete with it are still referred to. */
ssot_store_status ssot_store_still_referenced(ssot_store_error *err, const ssot_app *app, const ssot_model *m,
                                              const char *id, ssot_store_count_refs_fn count, void *ctx);

/* Fills err (status, field, message) and returns status: for the stores' own messages. */
ssot_store_status ssot_store_fail(ssot_store_error *err, ssot_store_status status, const ssot_field *f,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
