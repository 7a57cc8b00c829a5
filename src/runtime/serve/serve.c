/* ssot_serve (include/ssot_runtime.h): loads the config into the app, opens (and migrates)
 * the SQLite store, sets up the REST service and runs the HTTP server until a stop signal,
 * then closes the database and says so. Uses model/ir_load.c, store/, rest/service.c,
 * http/server.c, realtime/ (the counts printed at the end), host/log.h. */
#include "ssot_runtime.h"

#include "host/log.h"
#include "runtime/http/server.h"
#include "runtime/model/ir_load.h"
#include "runtime/realtime/fanout.h"
#include "runtime/realtime/gateway.h"
#include "runtime/rest/service.h"
#include "runtime/store/store_sqlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether any rule needs to know who the caller is. */
static int uses_auth(const ssot_app *app) {
    for (size_t m = 0; m < app->nmodels; m++)
        for (int a = 0; a < SSOT_ACTION_COUNT; a++) {
            const ssot_rule *rule = &app->models[m].permissions[a];
            if (!rule->ast || rule->ast->op != SSOT_RULE_TRUE) return 1;
        }
    return 0;
}

/* The secret tokens are verified with, warning when it is missing or weak; NULL when unset. */
static const char *jwt_secret(const ssot_app *app) {
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
    return secret;
}

typedef struct listening_info {
    const ssot_app *app;
    const char *db;
    const ssot_serve_options *options;
} listening_info;

static void on_listening(void *ctx, const char *const *addresses, size_t naddresses, int port) {
    const listening_info *info = ctx;
    char url[128];
    if (!(info->options && info->options->on_listening)) printf("ssot serve: %s listening on", info->app->name);
    for (size_t i = 0; i < naddresses; i++) {
        int ipv6 = strchr(addresses[i], ':') != NULL;
        snprintf(url, sizeof url, "http://%s%s%s:%d", ipv6 ? "[" : "", addresses[i], ipv6 ? "]" : "", port);
        if (!(info->options && info->options->on_listening)) printf("%s %s", i == 0 ? "" : " and", url);
        else if (i == 0) info->options->on_listening(info->options->listening_ctx, url);
    }
    if (info->options && info->options->on_listening) return;
    printf(" (%zu model%s, database %s)\n", info->app->nmodels, info->app->nmodels == 1 ? "" : "s", info->db);
    fflush(stdout);
}

static int serve_app(ssot_app *app, const ssot_serve_options *opts) {
    const char *secret = jwt_secret(app);
    const char *db = opts && opts->database ? opts->database : app->serve.database;
    ssot_sqlite_options store_options = {.path = db, .create_dirs = 1, .history = app->websockets.history};
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
    ssot_gateway *gateway = NULL;
    if (app->websockets.enabled) {
        ssot_gateway_options gateway_options = {.app = app, .store = store, .auth = service.auth, .L = app->L,
                                                .handle = ssot_service_handle, .commit = ssot_service_commit,
                                                .finish = ssot_service_finish, .service = &service};
        gateway = ssot_gateway_new(&gateway_options, message, sizeof message);
        if (!gateway) {
            ssot_logf(SSOT_LOG_ERROR, "%s", message);
            ssot_service_close(&service);
            return SSOT_ERR_FAILURE;
        }
        ssot_service_set_fanout(&service, ssot_gateway_fanout(gateway)); /* the service closes it */
    }
    listening_info info = {.app = app, .db = db, .options = opts};
    ssot_server_options options = {
        .host = opts && opts->host ? opts->host : app->serve.host,
        .port = opts && opts->port >= 0 ? opts->port : app->serve.port,
        .max_body = app->serve.max_body,
        .quiet = opts ? opts->quiet : 0,
        .headers = {.schema_hash = app->hash, .cors_origins = app->serve.cors_origins,
                    .ncors_origins = app->serve.ncors_origins, .cors_credentials = app->serve.cors_credentials},
        .handler = ssot_service_handle,
        .handler_ctx = &service,
        .on_listening = on_listening,
        .listening_ctx = &info,
        .settle = ssot_service_settle,
        .finish = ssot_service_finish,
    };
    if (gateway) options.websocket = ssot_gateway_ws_handler(gateway);
    int status = ssot_server_run(&options, message, sizeof message) == 0 ? SSOT_OK : SSOT_ERR_FAILURE;
    if (status != SSOT_OK) ssot_logf(SSOT_LOG_ERROR, "%s", message);
    uint64_t created, updated, deleted;
    if (gateway) {
        ssot_gateway_counts counts = ssot_gateway_get_counts(gateway);
        created = counts.created, updated = counts.updated, deleted = counts.deleted;
    } else {
        ssot_fanout_counts counts = ssot_fanout_local_counts(service.fanout);
        created = counts.created, updated = counts.updated, deleted = counts.deleted;
    }
    ssot_service_close(&service); /* closes the database (and the gateway) */
    if (status == SSOT_OK)
        printf("ssot serve: stopped; database closed (%llu created, %llu updated, %llu deleted)\n",
               (unsigned long long)created, (unsigned long long)updated, (unsigned long long)deleted);
    return status;
}

int ssot_serve(ssot_host *host, const char *config_path, const ssot_serve_options *options) {
    char message[4096];
    int status;
    ssot_app *app = ssot_ir_load_config(host, config_path, &status, message, sizeof message);
    if (!app) {
        fprintf(stderr, "%s\n", message);
        return status;
    }
    status = serve_app(app, options);
    ssot_app_free(app);
    return status;
}

void ssot_serve_stop(void) { ssot_server_request_stop(); }
