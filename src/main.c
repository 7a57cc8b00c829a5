/* The ssot command: dispatches `serve` and `token` to the runtime commands and everything
 * else (run, phases, help, version) to the Lua CLI (lua/ssot/cli.lua). */
#include "ssot.h"

#include "cli/commands.h"
#include "host/host.h"

#include <stdio.h>
#include <string.h>

/* --lib must take effect before any module loads, so it is read here; the Lua CLI reads it
 * again for its own bookkeeping. */
static int collect_lib_dirs(int argc, char **argv, const char **dirs, int max) {
    int n = 0;
    for (int i = 1; i < argc && n < max; i++) {
        if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) dirs[n++] = argv[++i];
        else if (strncmp(argv[i], "--lib=", 6) == 0) dirs[n++] = argv[i] + 6;
    }
    dirs[n] = NULL;
    return n;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) return ssot_cmd_serve(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "token") == 0) return ssot_cmd_token(argc - 1, argv + 1);

    const char *lib_dirs[64];
    collect_lib_dirs(argc, argv, lib_dirs, 63);
    ssot_host_options options = {.lib_dirs = lib_dirs, .log_level = SSOT_LOG_INFO};
    ssot_host *host = ssot_host_new(&options);
    if (!host) {
        fprintf(stderr, "ssot: out of memory\n");
        return SSOT_ERR_FAILURE;
    }
    int status = ssot_host_cli(host, argc - 1, (const char *const *)argv + 1);
    ssot_host_free(host);
    return status;
}
