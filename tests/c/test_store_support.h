/* Shared by the data-layer tests (test_store*.c, test_body.c, test_query.c): CHECK_STATUS and
 * CHECK_CONTAINS next to check.h's CHECK, temporary directories, writing
 * a config there and loading it through the real host and ir_load, opening the SQLite store
 * on it, reading it back as another connection would. Header-only so each test stays one
 * executable. */
#ifndef SSOT_TEST_STORE_SUPPORT_H
#define SSOT_TEST_STORE_SUPPORT_H

#define _DEFAULT_SOURCE /* mkdtemp */
#include "runtime/model/ir_load.h"
#include "runtime/store/store.h"
#include "ssot.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#include "check.h"

#define CHECK_STATUS(expr, expected)                                                               \
    do {                                                                                           \
        ssot_store_status got_ = (expr);                                                           \
        if (got_ != (expected)) {                                                                  \
            fprintf(stderr, "%s:%d: %s: expected %s, got %s: %s\n", __FILE__, __LINE__, #expr,     \
                    ssot_store_status_name(expected), ssot_store_status_name(got_), err.message);  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Whether haystack contains needle (for JSON text assertions). */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (haystack);                                                               \
        if (!h_ || !strstr(h_, (needle))) {                                                        \
            fprintf(stderr, "%s:%d: expected to find %s in: %s\n", __FILE__, __LINE__, (needle),   \
                    h_ ? h_ : "(null)");                                                           \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A config with every field type, an owner, a foreign key, a uuid model and a model with
 * more fields than one SQLite function call takes arguments for. */
static const char *const test_store_config =
    "name = 'storetest'\n"
    "local wide = { { 'id', 'id' } }\n"
    "for i = 1, 70 do wide[#wide + 1] = { 'f' .. i, 'int', optional = true } end\n"
    "models = {\n"
    "  Wide = { fields = wide },\n"
    "  User = {\n"
    "    fields = {\n"
    "      { 'id', 'id' },\n"
    "      { 'name', 'string', max = 10 },\n"
    "      { 'email', 'string', unique = true, optional = true },\n"
    "    },\n"
    "  },\n"
    "  Item = {\n"
    "    owner = 'ownerId',\n"
    "    fields = {\n"
    "      { 'id', 'id' },\n"
    "      { 'title', 'string', max = 20 },\n"
    "      { 'qty', 'int', optional = true },\n"
    "      { 'price', 'float', optional = true },\n"
    "      { 'done', 'bool', default = false },\n"
    "      { 'notes', 'text', optional = true },\n"
    "      { 'meta', 'json', optional = true },\n"
    "      { 'state', 'enum', values = { 'open', 'closed' }, default = 'open' },\n"
    "      { 'dueAt', 'datetime', optional = true },\n"
    "      { 'ownerId', 'int', belongsTo = 'User', optional = true },\n"
    "      { 'createdAt', 'datetime', auto = 'create' },\n"
    "      { 'updatedAt', 'datetime', auto = 'update' },\n"
    "    },\n"
    "  },\n"
    "  Doc = { fields = { { 'id', 'id', uuid = true }, { 'body', 'text' } } },\n"
    "}\n";

static char test_dir[64];

static inline void make_test_dir(const char *name) {
    snprintf(test_dir, sizeof test_dir, "/tmp/ssot-%s-XXXXXX", name);
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        exit(1);
    }
}

static inline void remove_test_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", test_dir);
}

/* Writes text to test_dir/name; returns the path (static buffer). */
static inline const char *write_test_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", test_dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads config text (written as test_dir/config.lua) into a new host; exits on failure. */
static inline ssot_app *load_app(ssot_host **host, const char *config) {
    const char *path = write_test_file("config.lua", config);
    *host = ssot_host_new(NULL);
    char message[2048];
    int status;
    ssot_app *app = ssot_ir_load_config(*host, path, &status, message, sizeof message);
    if (!app) {
        fprintf(stderr, "loading the test config failed (%d): %s\n", status, message);
        exit(1);
    }
    return app;
}

/* Opens the store on test_dir/test.db. */
static inline ssot_store_status open_store(const ssot_app *app, ssot_store **store, ssot_store_error *err) {
    char db[256];
    snprintf(db, sizeof db, "%s/test.db", test_dir);
    ssot_sqlite_options options = {.path = db, .history = 0};
    return ssot_store_sqlite_open(app, &options, store, err);
}

/* Parses JSON text (exits on failure: a test bug). */
static inline json_t *parse(const char *text) {
    json_error_t error;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &error);
    if (!j) {
        fprintf(stderr, "test JSON does not parse: %s: %s\n", text, error.text);
        exit(1);
    }
    return j;
}

/* The integer sql's first row holds (e.g. a count), read from the database file db on a
 * read-only connection of its own (as another process sees it); -1 on failure. */
static inline int64_t count_rows(const char *db, const char *sql) {
    sqlite3 *other;
    sqlite3_stmt *stmt;
    int64_t n = -1;
    if (sqlite3_open_v2(db, &other, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(other, sql, -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(other);
    return n;
}

/* prefix, depth '[', depth ']', suffix: JSON nested absurdly deep (malloc'd). */
static inline char *deeply_nested(const char *prefix, size_t depth, const char *suffix) {
    ssot_buf b = SSOT_BUF_INIT;
    ssot_buf_puts(&b, prefix);
    for (size_t i = 0; i < depth; i++) ssot_buf_putc(&b, '[');
    for (size_t i = 0; i < depth; i++) ssot_buf_putc(&b, ']');
    ssot_buf_puts(&b, suffix);
    return ssot_buf_detach(&b, NULL);
}

/* The end of every test's main: reports and gives the exit status. */
static inline int finish_tests(void) {
    remove_test_dir();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

#endif
