/* The ssot command: dispatches `serve` and `token` (and `help serve`, `help token`, whose
 * usage is theirs) to the runtime commands and everything else (run, phases, init, new,
 * help, version) to the Lua CLI (lua/ssot/cli.lua). */
#include "ssot.h"

#include "cli/commands.h"
#include "host/host.h"

#include <signal.h>
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

/* The host of this process. It is not freed: at exit the system takes its memory back at
 * once, where freeing the Lua objects of a large run one by one would take a tenth of the
 * run. A global (not static, which the compiler may keep in a register), so that leak
 * checkers still see the memory as reachable. */
ssot_host *ssot_process_host;

int main(int argc, char **argv) {
    /* a file size limit (ulimit -f) is a write error ssot reports, not a signal that kills it */
    signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) return ssot_cmd_serve(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "token") == 0) return ssot_cmd_token(argc - 1, argv + 1);
    if (argc == 3 && strcmp(argv[1], "help") == 0) {
        /* `ssot help serve` prints what `ssot serve --help` does */
        char help_flag[] = "--help";
        char *help_argv[] = {argv[2], help_flag, NULL};
        if (strcmp(argv[2], "serve") == 0) return ssot_cmd_serve(2, help_argv);
        if (strcmp(argv[2], "token") == 0) return ssot_cmd_token(2, help_argv);
    }

    const char *lib_dirs[64];
    collect_lib_dirs(argc, argv, lib_dirs, 63);
    ssot_host_options options = {.lib_dirs = lib_dirs, .log_level = SSOT_LOG_INFO};
    ssot_process_host = ssot_host_new(&options);
    if (!ssot_process_host) {
        fprintf(stderr, "ssot: out of memory\n");
        return SSOT_ERR_FAILURE;
    }
    return ssot_host_cli(ssot_process_host, argc - 1, (const char *const *)argv + 1);
}
