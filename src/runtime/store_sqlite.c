/* The SQLite store (store.h): opening the database. Work in progress. */
#include "runtime/store.h"

#include <stdio.h>

ssot_store_status ssot_store_sqlite_open(const ssot_app *app, const ssot_sqlite_options *options,
                                         ssot_store **out, ssot_store_error *err) {
    (void)app;
    (void)options;
    *out = NULL;
    err->status = SSOT_STORE_ERROR;
    err->field = NULL;
    snprintf(err->message, sizeof err->message, "the SQLite store is not built yet");
    return SSOT_STORE_ERROR;
}
