/* Which database a setting names and which setting wins (store_database.h): file paths and
 * URLs, PostgreSQL's two schemes, --db over DATABASE_URL over serve.database, and a URL shown
 * without its password (in the user part, or as a password= parameter). Uses check.h. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "check.h"

#include "runtime/store/store_database.h"

#include <stdlib.h>
#include <string.h>

static int failures;

static const char *shown(const char *url) {
    static char out[512];
    ssot_database_describe(url, out, sizeof out);
    return out;
}

int main(void) {
    char scheme[32];
    CHECK(ssot_database_kind_of("data/app.db", scheme, sizeof scheme) == SSOT_DATABASE_SQLITE);
    CHECK(ssot_database_kind_of(":memory:", scheme, sizeof scheme) == SSOT_DATABASE_SQLITE);
    CHECK(ssot_database_kind_of("postgresql:///ssot?host=/tmp", scheme, sizeof scheme) == SSOT_DATABASE_URL);
    CHECK(strcmp(scheme, "postgresql") == 0 && ssot_database_is_postgres(scheme));
    CHECK(ssot_database_kind_of("postgres://u@h/db", scheme, sizeof scheme) == SSOT_DATABASE_URL);
    CHECK(ssot_database_is_postgres(scheme));
    CHECK(ssot_database_kind_of("mysql://u:p@h/db", scheme, sizeof scheme) == SSOT_DATABASE_URL);
    CHECK(!ssot_database_is_postgres(scheme));

    /* the password never shows */
    CHECK(strcmp(shown("postgresql://app:s3cret@db.internal:5432/app"), "postgresql://app@db.internal:5432/app") == 0);
    CHECK(strcmp(shown("postgres://app:p@ss@word@h/db"), "postgres://app@h/db") == 0);
    CHECK(strcmp(shown("postgresql://app@h/db"), "postgresql://app@h/db") == 0);
    CHECK(strcmp(shown("postgresql:///ssot?host=/tmp/x&user=postgres"), "postgresql:///ssot?host=/tmp/x&user=postgres") == 0);
    CHECK(strcmp(shown("postgresql://h/db?user=a&password=s3cret&sslmode=require"),
                 "postgresql://h/db?user=a&password=***&sslmode=require") == 0);
    CHECK(strcmp(shown("postgresql://h/db?password=s3cret"), "postgresql://h/db?password=***") == 0);
    CHECK(strstr(shown("postgresql://:s3cret@h/db"), "s3cret") == NULL);
    char tiny[8];
    ssot_database_describe("postgresql://app:s3cret@h/db", tiny, sizeof tiny);
    CHECK(strlen(tiny) == 7 && strstr(tiny, "s3") == NULL);

    /* --db, then DATABASE_URL, then the config */
    const char *source = NULL;
    unsetenv("DATABASE_URL");
    CHECK(strcmp(ssot_database_choose(NULL, "cfg.db", &source), "cfg.db") == 0);
    CHECK(strcmp(source, "serve.database in the config") == 0);
    setenv("DATABASE_URL", "", 1); /* empty: as if unset */
    CHECK(strcmp(ssot_database_choose(NULL, "cfg.db", &source), "cfg.db") == 0);
    setenv("DATABASE_URL", "postgresql:///env", 1);
    CHECK(strcmp(ssot_database_choose(NULL, "cfg.db", &source), "postgresql:///env") == 0);
    CHECK(strcmp(source, "DATABASE_URL") == 0);
    CHECK(strcmp(ssot_database_choose("flag.db", "cfg.db", &source), "flag.db") == 0);
    CHECK(strcmp(source, "--db") == 0);
    unsetenv("DATABASE_URL");

    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}
