/* Which store a database setting names (serve.database, --db): a file path or ":memory:" is
 * SQLite; "postgres://" or "postgresql://" is PostgreSQL (when built with libpq), any other
 * "scheme://..." is refused; and which setting wins. Uses nothing. */
#ifndef SSOT_RUNTIME_STORE_DATABASE_H
#define SSOT_RUNTIME_STORE_DATABASE_H

#include <stddef.h>

typedef enum ssot_database_kind {
    SSOT_DATABASE_SQLITE, /* a file path (relative to the working directory) or ":memory:" */
    SSOT_DATABASE_URL     /* "scheme://...": PostgreSQL's two schemes, else refused naming the
                           * scheme only */
} ssot_database_kind;

/* The kind of database; for a URL, its scheme ("postgres") is copied into scheme (NUL
 * terminated, cut to size). Only the scheme: the rest may hold a password. */
ssot_database_kind ssot_database_kind_of(const char *database, char *scheme, size_t scheme_size);

/* Whether a URL's scheme is PostgreSQL's (postgres, postgresql: libpq's two). */
int ssot_database_is_postgres(const char *scheme);

/* The URL without its password, for messages and the listening line: "user:secret@" loses
 * ":secret", and a "password=" query parameter its value ("password=***"). Cut to size. */
void ssot_database_describe(const char *url, char *out, size_t size);

/* The database to serve: the --db flag (NULL: not given), else the environment variable
 * DATABASE_URL when set and not empty, else the config's serve.database. *source names the
 * one taken ("--db", "DATABASE_URL", "serve.database in the config"), for messages. */
const char *ssot_database_choose(const char *flag, const char *config_value, const char **source);

#endif
