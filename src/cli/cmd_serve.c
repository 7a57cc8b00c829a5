/* `ssot serve [config.lua | --config FILE] [--port N] [--host H] [--db FILE|URL] [--workers N]
 * [--production] [--quiet] [--verbose] [--lib DIR]`: parses the command line and serves REST until
 * SIGINT/SIGTERM through ssot_serve (include/ssot_runtime.h). */
#include "cli/commands.h"
#include "cli/options.h"

#include "ssot_facts.h"
#include "ssot_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: ssot serve [config.lua] [options]\n"
    "\n"
    "Serves the REST API of the config's models over SQLite or PostgreSQL (docs/serve.md).\n"
    "\n"
    "Options:\n"
    "  config.lua, --config FILE\n"
    "                  the config (default: ./config.lua)\n"
    "  --port N        port to listen on (default: serve.port, else 8080; 0 picks a free one)\n"
    "  --host H        address to listen on (default: serve.host, else localhost: 127.0.0.1 and\n"
    "                  ::1; 0.0.0.0 for every IPv4 interface, :: for every interface)\n"
    "  --db FILE|URL   SQLite database file, or a postgres:// (postgresql://) URL; default: the\n"
    "                  environment's DATABASE_URL, else serve.database, else data/<name>.db next\n"
    "                  to the config. Several servers on one PostgreSQL database share their\n"
    "                  events (docs/deploy.md)\n"
    "  --workers N     N processes serve the port together, each with its own database\n"
    "                  connection: the node's pool (PostgreSQL only; default: serve.workers,\n"
    "                  else 1; at most 64)\n"
    "  --production    refuse to start without the secret in the environment, never using the\n"
    "                  development secret (SSOT_ENV=production, or NODE_ENV=production, does the\n"
    "                  same)\n"
    "  -q, --quiet     no access log\n"
    "  -v, --verbose   debug logging (every change event, libwebsockets' messages)\n"
    "  --lib DIR       search DIR for Lua modules first (repeatable, up to 32)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Tokens are verified with the secret in the environment variable named by auth.secretEnv\n"
    "(SSOT_JWT_SECRET by default); `ssot token` mints one. Without it, in development, the server\n"
    "uses a random secret it keeps in .ssot-secret beside the database (beside the config for a\n"
    "database URL; made on the first start,\n"
    "mode 0600; delete it to rotate), which `ssot token` finds too: never use it in production.\n"
    "SIGINT or SIGTERM stops the server after the requests in flight.\n";

#define MAX_LIB_DIRS 32

typedef struct serve_args {
    const char *config;
    const char *host;
    const char *db;
    int port; /* -1: from the config */
    int quiet;
    int verbose;
    int production;
    int workers; /* 0: one process */
    const char *lib_dirs[MAX_LIB_DIRS + 1]; /* NULL-terminated */
    int nlib;
} serve_args;

/* A number macro's digits, for a message of string literals. */
#define DIGITS(n) #n
#define DIGITS_OF(n) DIGITS(n)

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ssot serve: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'ssot help serve' for usage.\n");
    return SSOT_ERR_USAGE;
}

/* Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, serve_args *args) {
    memset(args, 0, sizeof *args);
    args->port = -1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return SSOT_OK;
        } else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) {
            args->quiet = 1;
        } else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
            args->verbose = 1;
        } else if (strcmp(arg, "--production") == 0) {
            args->production = 1;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--workers"))) {
            long workers;
            if (ssot_cli_int_value(value, 1, SSOT_MAX_WORKERS, &workers))
                return usage_error("--workers needs a number from 1 to " DIGITS_OF(SSOT_MAX_WORKERS) ", got '%s'", value);
            args->workers = (int)workers;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--port"))) {
            long port;
            if (ssot_cli_int_value(value, 0, 65535, &port))
                return usage_error("--port needs a number from 0 to 65535, got '%s'", value);
            args->port = (int)port;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--host"))) {
            if (!*value) return usage_error("--host needs an address%s", "");
            args->host = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--db"))) {
            if (!*value) return usage_error("--db needs a file name or URL%s", "");
            args->db = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--config"))) {
            if (!*value) return usage_error("--config needs a file name%s", "");
            if (args->config) return usage_error("one config at a time (got a second one, '%s')", value);
            args->config = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--lib"))) {
            if (!*value) return usage_error("--lib needs a directory%s", "");
            if (args->nlib == MAX_LIB_DIRS) return usage_error("at most 32 --lib directories (one more: '%s')", value);
            args->lib_dirs[args->nlib++] = value;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("unknown option '%s'", arg);
        } else if (!args->config) {
            args->config = arg;
        } else {
            return usage_error("one config at a time (got a second one, '%s')", arg);
        }
    }
    if (!args->config) args->config = "config.lua";
    return -1;
}

int ssot_cmd_serve(int argc, char **argv) {
    serve_args args;
    int status = parse_args(argc, argv, &args);
    if (status >= 0) return status;

    args.lib_dirs[args.nlib] = NULL;
    ssot_host_options host_options = {.lib_dirs = args.lib_dirs,
                                      .log_level = args.verbose ? SSOT_LOG_DEBUG : SSOT_LOG_INFO};
    ssot_host *host = ssot_host_new(&host_options);
    if (!host) {
        fprintf(stderr, "ssot serve: out of memory\n");
        return SSOT_ERR_FAILURE;
    }
    ssot_serve_options options = {.host = args.host, .port = args.port, .database = args.db, .quiet = args.quiet,
                                  .production = args.production, .workers = args.workers};
    status = ssot_serve(host, args.config, &options);
    ssot_host_free(host);
    return status;
}
