/* `ssot serve [config.lua] [--port N] [--host H] [--db FILE] [--quiet] [--lib DIR]`: loads
 * the config, opens (and migrates) the database, and serves REST until SIGINT/SIGTERM. Uses
 * the host (include/ssot.h), ir_load.c, the SQLite store, service.c and server.c. */
#include "cli/commands.h"
#include "cli/options.h"

#include "host/log.h"
#include "runtime/model/ir_load.h"
#include "runtime/http/server.h"
#include "runtime/rest/service.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: ssot serve [config.lua] [--port N] [--host H] [--db FILE] [--quiet] [--verbose] [--lib DIR]\n"
    "\n"
    "Serves the REST API of the config's models over SQLite (docs/serve.md).\n"
    "\n"
    "  config.lua   the config (default: ./config.lua)\n"
    "  --port N     port to listen on (default: serve.port, else 8080; 0 picks a free one)\n"
    "  --host H     address to listen on (default: serve.host, else localhost: 127.0.0.1 and ::1;\n"
    "               0.0.0.0 for every IPv4 interface, :: for every interface)\n"
    "  --db FILE    SQLite database (default: serve.database, else data/<name>.db next to the config)\n"
    "  --quiet      no access log\n"
    "  --verbose    debug logging (every change event, libwebsockets' messages)\n"
    "  --lib DIR    search DIR for Lua modules first (repeatable, up to 32)\n"
    "  --help       this text\n"
    "\n"
    "Tokens are verified with the secret in the environment variable named by auth.secretEnv\n"
    "(SSOT_JWT_SECRET by default); `ssot token` mints one. SIGINT or SIGTERM stops the server\n"
    "after the requests in flight.\n";

#define MAX_LIB_DIRS 32

typedef struct serve_args {
    const char *config;
    const char *host;
    const char *db;
    int port; /* -1: from the config */
    int quiet;
    int verbose;
    const char *lib_dirs[MAX_LIB_DIRS + 1]; /* NULL-terminated */
    int nlib;
} serve_args;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ssot serve: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see ssot serve --help)\n");
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
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--port"))) {
            char *end;
            long port = strtol(value, &end, 10);
            if (!*value || *end || port < 0 || port > 65535)
                return usage_error("--port needs a number from 0 to 65535, got '%s'", value);
            args->port = (int)port;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--host"))) {
            if (!*value) return usage_error("--host needs an address%s", "");
            args->host = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--db"))) {
            if (!*value) return usage_error("--db needs a file name%s", "");
            args->db = value;
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

/* Whether any rule needs to know who the caller is. */
static int uses_auth(const ssot_app *app) {
    for (size_t m = 0; m < app->nmodels; m++)
        for (int a = 0; a < SSOT_ACTION_COUNT; a++) {
            const ssot_rule *rule = &app->models[m].permissions[a];
            if (!rule->ast || rule->ast->op != SSOT_RULE_TRUE) return 1;
        }
    return 0;
}

typedef struct listening_info {
    const ssot_app *app;
    const char *db;
} listening_info;

static void print_listening(void *ctx, const char *const *addresses, size_t naddresses, int port) {
    const listening_info *info = ctx;
    printf("ssot serve: %s listening on", info->app->name);
    for (size_t i = 0; i < naddresses; i++) {
        int ipv6 = strchr(addresses[i], ':') != NULL;
        printf("%s http://%s%s%s:%d", i == 0 ? "" : " and", ipv6 ? "[" : "", addresses[i], ipv6 ? "]" : "", port);
    }
    printf(" (%zu model%s, database %s)\n", info->app->nmodels, info->app->nmodels == 1 ? "" : "s", info->db);
    fflush(stdout);
}

static int serve(const serve_args *args, ssot_app *app) {
    const char *secret = app->auth.secret_env ? getenv(app->auth.secret_env) : NULL;
    if (secret && !*secret) secret = NULL;
    if (!secret && uses_auth(app))
        ssot_logf(SSOT_LOG_WARN,
                  "%s is not set, so no token can be verified and requests that send one get 401; set it to a "
                  "long random secret (export %s=$(openssl rand -hex 32)) and mint tokens with `ssot token`",
                  app->auth.secret_env, app->auth.secret_env);
    else if (secret && strlen(secret) < 32)
        ssot_logf(SSOT_LOG_WARN, "%s is shorter than 32 bytes: tokens signed with it are easy to forge",
                  app->auth.secret_env);

    const char *db = args->db ? args->db : app->serve.database;
    ssot_sqlite_options store_options = {.path = db, .create_dirs = 1};
    ssot_store *store = NULL;
    ssot_store_error err;
    if (ssot_store_sqlite_open(app, &store_options, &store, &err) != SSOT_STORE_OK) {
        ssot_logf(SSOT_LOG_ERROR, "%s", err.message); /* store messages name the database file */
        return err.status == SSOT_STORE_SCHEMA ? SSOT_ERR_CONFIG : SSOT_ERR_FAILURE;
    }
    ssot_service service;
    ssot_service_options service_options = {.jwt_secret = secret, .jwt_secret_len = secret ? strlen(secret) : 0,
                                            .group_commit = 1};
    char message[2048];
    if (ssot_service_init(&service, app, store, &service_options, message, sizeof message)) {
        ssot_logf(SSOT_LOG_ERROR, "%s", message);
        return SSOT_ERR_CONFIG;
    }
    listening_info info = {.app = app, .db = db};
    ssot_server_options options = {
        .host = args->host ? args->host : app->serve.host,
        .port = args->port >= 0 ? args->port : app->serve.port,
        .max_body = app->serve.max_body,
        .quiet = args->quiet,
        .headers = {.schema_hash = app->hash, .cors_origins = app->serve.cors_origins,
                    .ncors_origins = app->serve.ncors_origins, .cors_credentials = app->serve.cors_credentials},
        .handler = ssot_service_handle,
        .handler_ctx = &service,
        .on_listening = print_listening,
        .listening_ctx = &info,
        .settle = ssot_service_settle,
        .finish = ssot_service_finish,
    };
    int status = ssot_server_run(&options, message, sizeof message) == 0 ? SSOT_OK : SSOT_ERR_FAILURE;
    if (status != SSOT_OK) ssot_logf(SSOT_LOG_ERROR, "%s", message);
    ssot_fanout_counts counts = ssot_fanout_local_counts(service.fanout);
    ssot_service_close(&service); /* closes the database */
    if (status == SSOT_OK)
        printf("ssot serve: stopped; database closed (%llu created, %llu updated, %llu deleted)\n",
               (unsigned long long)counts.created, (unsigned long long)counts.updated,
               (unsigned long long)counts.deleted);
    return status;
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
    char message[4096];
    ssot_app *app = ssot_ir_load_config(host, args.config, &status, message, sizeof message);
    if (!app) {
        fprintf(stderr, "%s\n", message);
        ssot_host_free(host);
        return status;
    }
    status = serve(&args, app);
    ssot_app_free(app);
    ssot_host_free(host);
    return status;
}
