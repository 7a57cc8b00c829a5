/* Tests of the embedding API (include/ssot.h): creating a host, registering a C function,
 * running a script, and the error record (message, file, line, status). */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "ssot.h"

#include "check.h"

#include <lauxlib.h>
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
    rmdir(dir);
    if (failures) fprintf(stderr, "test_host: %d failure(s)\n", failures);
    else printf("test_host: all checks passed\n");
    return failures ? 1 : 0;
}
