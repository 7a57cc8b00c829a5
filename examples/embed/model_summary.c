/* model-summary: a small C tool built on libssot (include/ssot.h). It loads an ssot config,
 * lets a Lua script walk the model IR, and collects the script's lines through a C function
 * it registers, then prints them. Shows: host creation, registering C functions, loading a
 * config, running a script, and reading errors with their file and line. */
#include <ssot.h>

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lines the script reports, collected on the C side. */
static char *collected;
static size_t collected_len;

/* ssot.report(line): appends one line to the C-side buffer. */
static int report_line(lua_State *L) {
    size_t len;
    const char *line = luaL_checklstring(L, 1, &len);
    char *grown = realloc(collected, collected_len + len + 2);
    if (!grown) return luaL_error(L, "out of memory");
    collected = grown;
    memcpy(collected + collected_len, line, len);
    collected_len += len;
    collected[collected_len++] = '\n';
    collected[collected_len] = '\0';
    return 0;
}

static int fail(ssot_host *host, const char *what) {
    const ssot_error *err = ssot_host_last_error(host);
    fprintf(stderr, "model-summary: %s failed\n%s\n", what, err->message);
    if (err->file) fprintf(stderr, "  (at %s line %d)\n", err->file, err->line);
    int status = err->status;
    ssot_host_free(host);
    free(collected);
    return status;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: model-summary CONFIG.lua SCRIPT.lua\n");
        return SSOT_ERR_USAGE;
    }
    ssot_host *host = ssot_host_new(NULL);
    if (!host) return SSOT_ERR_FAILURE;
    if (ssot_host_register(host, "report", report_line) != SSOT_OK) return fail(host, "register");
    if (ssot_host_load_config(host, argv[1]) != SSOT_OK) return fail(host, "loading the config");
    if (ssot_host_run_script(host, argv[2], 0, NULL) != SSOT_OK) return fail(host, "the script");
    fputs(collected ? collected : "(no models)\n", stdout);
    ssot_host_free(host);
    free(collected);
    return SSOT_OK;
}
