/* Tests of the embedding API (include/ssot.h): creating a host (with library directories),
 * registering a C function, running a script, loading a config, running the pipeline, cjson
 * in the host, and the error record (message, file, line, status) of each kind of failure. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "ssot.h"

#include "check.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

static int twice(lua_State *L) {
    lua_pushinteger(L, 2 * luaL_checkinteger(L, 1));
    return 1;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* A path under dir, in a static buffer of its own per call site (slot). */
static const char *path_in(int slot, const char *dir, const char *fmt, ...) {
    static char paths[8][512];
    int n = snprintf(paths[slot], sizeof paths[slot], "%s/", dir);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(paths[slot] + n, sizeof paths[slot] - (size_t)n, fmt, ap);
    va_end(ap);
    return paths[slot];
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

static const char *const GOOD_CONFIG =
    "output = 'out'\n"
    "targets = { sdk = false, react = false, openapi = false }\n"
    "models = { Note = { fields = { { 'id', 'id' }, { 'body', 'text' } } } }\n";
static const char *const BAD_CONFIG =
    "models = {\n"
    "  Note = { fields = { { 'id', 'id' }, { 'body', 'strng' } } },\n"
    "}\n";

/* The error record after BAD_CONFIG (written at bad) failed to load. */
static void check_config_error(const ssot_host *host, const char *bad) {
    const ssot_error *err = ssot_host_last_error(host);
    CHECK(err->status == SSOT_ERR_CONFIG);
    CHECK(err->file && strcmp(err->file, bad) == 0);
    CHECK(err->line == 2);
    CHECK(err->message && strstr(err->message, "models.Note.fields[2].type: unknown type 'strng'") != NULL);
}

/* Loading a config, running the pipeline and what ssot_host_last_error says after each
 * kind of failure: config (3), usage (2), --check (5). */
static void test_configs(const char *dir) {
    const char *good = path_in(0, dir, "good.lua"), *bad = path_in(1, dir, "bad.lua");
    write_file(good, GOOD_CONFIG);
    write_file(bad, BAD_CONFIG);
    ssot_host *host = ssot_host_new(NULL);
    CHECK(host != NULL);

    CHECK(ssot_host_load_config(host, good) == SSOT_OK);
    CHECK(ssot_host_last_error(host)->status == SSOT_OK);
    CHECK(ssot_host_load_config(host, bad) == SSOT_ERR_CONFIG);
    check_config_error(host, bad);

    const char *quiet[] = {"--quiet"};
    CHECK(ssot_host_run_config(host, good, 1, quiet) == SSOT_OK);
    CHECK(ssot_host_last_error(host)->status == SSOT_OK);
    CHECK(file_exists(path_in(2, dir, "out/schema.sql")));
    CHECK(file_exists(path_in(3, dir, "out/.ssot-manifest")));

    CHECK(ssot_host_run_config(host, bad, 1, quiet) == SSOT_ERR_CONFIG);
    check_config_error(host, bad);

    const char *bogus[] = {"--bogus"};
    CHECK(ssot_host_run_config(host, good, 1, bogus) == SSOT_ERR_USAGE);
    const ssot_error *err = ssot_host_last_error(host);
    CHECK(err->status == SSOT_ERR_USAGE);
    CHECK(err->message && strstr(err->message, "unknown option '--bogus'") != NULL);

    write_file(path_in(4, dir, "out/schema.sql"), "-- edited by hand\n");
    const char *check[] = {"--check", "--quiet"};
    CHECK(ssot_host_run_config(host, good, 2, check) == SSOT_ERR_CHECK);
    err = ssot_host_last_error(host);
    CHECK(err->status == SSOT_ERR_CHECK);
    CHECK(err->message && strstr(err->message, "--check found stale") != NULL);

    CHECK(ssot_host_run_config(host, good, 1, quiet) == SSOT_OK);
    CHECK(ssot_host_run_config(host, good, 2, check) == SSOT_OK);
    CHECK(ssot_host_last_error(host)->status == SSOT_OK);
    ssot_host_free(host);
}

/* cjson is there as `cjson`, and a library directory given in the options comes before the
 * built-in modules. */
static void test_libraries(const char *dir) {
    char lua_dir[512];
    snprintf(lua_dir, sizeof lua_dir, "%s/lib/lua/ssot", dir);
    char mkdir_command[600];
    snprintf(mkdir_command, sizeof mkdir_command, "mkdir -p '%s'", lua_dir);
    CHECK(system(mkdir_command) == 0);
    write_file(path_in(0, dir, "lib/lua/greeting.lua"), "return 'hello from lib'\n");
    write_file(path_in(1, dir, "lib/lua/ssot/text.lua"), "return { overridden = true }\n");
    const char *script = path_in(2, dir, "libs.lua");
    write_file(script,
               "local cjson = require 'cjson'\n"
               "assert(cjson.decode('{\"a\":[1,2]}').a[2] == 2)\n"
               "assert(cjson.encode({ 1, 2 }) == '[1,2]')\n"
               "assert(require('greeting') == 'hello from lib')\n"
               "assert(require('ssot.text').overridden == true)\n");
    const char *lib = path_in(3, dir, "lib");
    const char *dirs[] = {lib, NULL};
    ssot_host_options options = {.lib_dirs = dirs};
    ssot_host *host = ssot_host_new(&options);
    CHECK(host != NULL);
    CHECK(ssot_host_run_script(host, script, 0, NULL) == SSOT_OK);
    if (ssot_host_last_error(host)->message) fprintf(stderr, "%s\n", ssot_host_last_error(host)->message);
    ssot_host_free(host);

    /* Without the option: the built-in ssot.text, and no module greeting. */
    host = ssot_host_new(NULL);
    write_file(script, "assert(require('ssot.text').overridden == nil)\nrequire 'greeting'\n");
    CHECK(ssot_host_run_script(host, script, 0, NULL) == SSOT_ERR_PHASE);
    CHECK(strstr(ssot_host_last_error(host)->message, "greeting") != NULL);
    CHECK(ssot_host_last_error(host)->line == 2);
    ssot_host_free(host);
}

/* 1 when the file at path holds needle. */
static int file_contains(const char *path, const char *needle) {
    char text[4096] = "";
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return strstr(text, needle) != NULL;
}

/* ssot_host_run_config's --lib takes effect, and neither it nor a config's `lib` stays in the
 * host for the next run. */
static void test_run_lib_dirs(const char *dir) {
    char mkdir_command[1200];
    snprintf(mkdir_command, sizeof mkdir_command, "mkdir -p '%s/flag/templates/sql' '%s/cfg/libA/templates/sql'", dir,
             dir);
    CHECK(system(mkdir_command) == 0);
    write_file(path_in(0, dir, "flag/templates/sql/schema.sql.tpl"), "-- from --lib\n");
    write_file(path_in(0, dir, "cfg/libA/templates/sql/schema.sql.tpl"), "-- from libA\n");
    const char *with_lib = path_in(1, dir, "cfg/a.lua"), *plain = path_in(2, dir, "cfg/b.lua");
    char text[1024];
    snprintf(text, sizeof text, "lib = { 'libA' }\n%s", GOOD_CONFIG);
    write_file(with_lib, text);
    write_file(plain, GOOD_CONFIG);
    const char *out = path_in(3, dir, "cfg/out/schema.sql");

    ssot_host *host = ssot_host_new(NULL);
    const char *flag[] = {"--quiet", "--lib", path_in(4, dir, "flag")};
    CHECK(ssot_host_run_config(host, plain, 3, flag) == SSOT_OK);
    CHECK(file_contains(out, "-- from --lib"));
    const char *quiet[] = {"--quiet"};
    CHECK(ssot_host_run_config(host, with_lib, 1, quiet) == SSOT_OK);
    CHECK(file_contains(out, "-- from libA"));
    CHECK(ssot_host_run_config(host, plain, 1, quiet) == SSOT_OK);
    CHECK(!file_contains(out, "-- from") && file_contains(out, "CREATE TABLE"));
    ssot_host_free(host);
}

int main(void) {
    char dir[] = "/tmp/ssot-test-host-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char ok_script[256], bad_script[256];
    snprintf(ok_script, sizeof ok_script, "%s/ok.lua", dir);
    snprintf(bad_script, sizeof bad_script, "%s/bad.lua", dir);
    write_file(ok_script, "assert(ssot.twice(21) == 42)\nassert(arg[1] == 'x')\n");
    write_file(bad_script, "local x = 1\nerror('boom')\n");

    ssot_host *host = ssot_host_new(NULL);
    CHECK(host != NULL);
    CHECK(ssot_host_register(host, "twice", twice) == SSOT_OK);

    const char *args[] = {"x"};
    CHECK(ssot_host_run_script(host, ok_script, 1, args) == SSOT_OK);
    CHECK(ssot_host_last_error(host)->status == SSOT_OK);

    CHECK(ssot_host_run_script(host, bad_script, 0, NULL) == SSOT_ERR_PHASE);
    const ssot_error *err = ssot_host_last_error(host);
    CHECK(err->status == SSOT_ERR_PHASE);
    CHECK(err->message && strstr(err->message, "boom") != NULL);
    CHECK(err->file && strstr(err->file, "bad.lua") != NULL);
    CHECK(err->line == 2);
    CHECK(err->traceback != NULL);

    char missing[256];
    snprintf(missing, sizeof missing, "%s/missing.lua", dir);
    CHECK(ssot_host_run_script(host, missing, 0, NULL) != SSOT_OK);
    CHECK(strstr(ssot_host_last_error(host)->message, "missing.lua") != NULL);

    ssot_host_free(host);
    unlink(ok_script);
    unlink(bad_script);

    test_configs(dir);
    test_libraries(dir);
    test_run_lib_dirs(dir);

    char rm_command[300];
    snprintf(rm_command, sizeof rm_command, "rm -rf '%s'", dir);
    CHECK(system(rm_command) == 0);
    if (failures) fprintf(stderr, "test_host: %d failure(s)\n", failures);
    else printf("test_host: all checks passed\n");
    return failures ? 1 : 0;
}
