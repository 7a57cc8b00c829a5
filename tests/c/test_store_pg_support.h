/* Shared by the PostgreSQL store's tests (test_store_pg.c, test_store_pg_notify.c,
 * test_store_pg_read.c, test_store_pg_write.c): a throwaway PostgreSQL started and stopped
 * with tests/support/pg.sh (start_pg answers 77, the ctest skip code, when PostgreSQL is not
 * installed), URLs of databases on it, and a libpq session of the test's own to create
 * databases, run SQL and read a value back. Header-only, as test_store_support.h, so each
 * test stays one executable. Uses libpq, test_store_support.h (failures). */
#ifndef SSOT_TEST_STORE_PG_SUPPORT_H
#define SSOT_TEST_STORE_PG_SUPPORT_H

#include "test_store_support.h"

#include "runtime/store/store_pg.h"

#include <libpq-fe.h>
#include <sys/wait.h>

static char pg_dir[64];
static char pg_script[1024];
static char base_url[1024]; /* postgresql:///ssot?host=...&user=postgres, from pg.sh start */

/* The URL of database name on the throwaway server (static buffer). */
static inline const char *url_of(const char *name) {
    static char url[1200];
    const char *q = strchr(base_url, '?');
    snprintf(url, sizeof url, "postgresql:///%s%s", name, q ? q : "");
    return url;
}

/* A session of the test's own on database db; exits when it cannot be made (nothing after
 * could run). */
static inline PGconn *connect_to(const char *db) {
    PGconn *conn = PQconnectdb(url_of(db));
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "connecting to %s: %s", db, PQerrorMessage(conn));
        exit(1);
    }
    return conn;
}

/* Runs sql (with text parameters) on conn; a failure is a failed check. Returns the first
 * value of the first row, or "" (static buffer). */
static inline const char *exec_sql(PGconn *conn, const char *sql, int n, const char *const *params) {
    static char value[1024];
    value[0] = '\0';
    PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
        failures++;
    } else if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
        snprintf(value, sizeof value, "%s", PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return value;
}

/* A new empty database on the server: each group of cases gets its own, so one's rows and
 * streams never meet another's. */
static inline void create_database(const char *name) {
    PGconn *conn = connect_to("ssot");
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    exec_sql(conn, sql, 0, NULL);
    PQfinish(conn);
}

static inline void stop_pg(void) {
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "sh '%s' stop '%s'", pg_script, pg_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not stop the PostgreSQL in %s\n", pg_dir);
}

/* Starts the throwaway server in a new /tmp/ssot-<name>-XXXXXX (short: the socket's path must
 * fit in sockaddr_un) and sets base_url; 0, 77 without PostgreSQL (having said so), or 1. */
static inline int start_pg(const char *name) {
    const char *source = getenv("SSOT_SOURCE_DIR");
    if (!source) {
        fprintf(stderr, "SSOT_SOURCE_DIR is not set\n");
        return 1;
    }
    snprintf(pg_script, sizeof pg_script, "%s/tests/support/pg.sh", source);
    snprintf(pg_dir, sizeof pg_dir, "/tmp/ssot-%s-XXXXXX", name);
    if (!mkdtemp(pg_dir)) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "sh '%s' start '%s'", pg_script, pg_dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(base_url, sizeof base_url, p)) base_url[0] = '\0';
    int status = p ? pclose(p) : -1;
    base_url[strcspn(base_url, "\n")] = '\0';
    if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && base_url[0]) return 0;
    int code = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    char marker[128];
    snprintf(marker, sizeof marker, "%s/.ssot-throwaway-postgres", pg_dir);
    if (access(marker, F_OK) == 0) stop_pg();
    else rmdir(pg_dir);
    if (code == 77) {
        printf("SKIPPED: PostgreSQL is not installed (Debian's postgresql package; scripts/install-deps.sh)\n");
        return 77;
    }
    fprintf(stderr, "could not start a throwaway PostgreSQL\n");
    return 1;
}

#endif
