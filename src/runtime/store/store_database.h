/* Which store a database setting names (serve.database, --db): a file path or ":memory:" is
 * SQLite; "scheme://..." is a URL, which no store here speaks yet. Uses nothing. */
#ifndef SSOT_RUNTIME_STORE_DATABASE_H
#define SSOT_RUNTIME_STORE_DATABASE_H

#include <stddef.h>

typedef enum ssot_database_kind {
    SSOT_DATABASE_SQLITE, /* a file path (relative to the working directory) or ":memory:" */
    SSOT_DATABASE_URL     /* "scheme://...": refused, naming the scheme only */
} ssot_database_kind;

/* The kind of database; for a URL, its scheme ("postgres") is copied into scheme (NUL
 * terminated, cut to size). Only the scheme: the rest may hold a password. */
ssot_database_kind ssot_database_kind_of(const char *database, char *scheme, size_t scheme_size);

#endif
