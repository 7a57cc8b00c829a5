/* ssot_serve (include/ssot_runtime.h): loads the config into the app, picks the token secret
 * (the environment, else in development the secret file beside the database, or beside the
 * config for a database URL), picks the database (--db, DATABASE_URL, serve.database), opens
 * (and migrates) the SQLite or PostgreSQL store, sets up the REST service — with the
 * cross-node follower in front of the gateway when the store has commit signals — and runs
 * the HTTP server until a stop signal, then closes the database and says so. Uses
 * model/ir_load.c, auth/dev_secret.c, store/, rest/service.c, http/server.c, realtime/ (the
 * follower, the counts printed at the end), host/log.h. */
#include "ssot_runtime.h"

#include "host/log.h"
#include "runtime/auth/dev_secret.h"
#include "runtime/http/server.h"
#include "runtime/model/ir_load.h"
#include "runtime/realtime/fanout.h"
#include "runtime/realtime/gateway.h"
#include "runtime/rest/service.h"
#include "runtime/serve/workers.h"
#include "runtime/store/store_database.h"
#include "runtime/store/store_sqlite.h"
#ifdef SSOT_HAVE_POSTGRES
#include "runtime/store/store_pg.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether this server runs in production: --production (options->production), or the
 * environment (SSOT_ENV, NODE_ENV; dev_secret.h). Returns 1 or 0 and sets *why to what said
 * so, or -1 after logging an SSOT_ENV it does not know. */
static int production_mode(const ssot_serve_options *opts, const char **why) {
    int env = ssot_production_env(why);
    if (env < 0) {
        ssot_logf(SSOT_LOG_ERROR, "SSOT_ENV is '%s': set it to production or development, or unset it", *why);
        return -1;
    }
    if (opts && opts->production) *why = "--production";
    return (opts && opts->production) || env;
}

/* The secret in the environment variable auth.secretEnv names, warning when it is weak; NULL
 * when unset or empty. */
static const char *env_secret(const ssot_app *app) {
    const char *secret = app->auth.secret_env ? getenv(app->auth.secret_env) : NULL;
    if (!secret || !*secret) return NULL;
    if (strlen(secret) < 32)
        ssot_logf(SSOT_LOG_WARN,
                  "%s is shorter than 32 bytes: tokens signed with it are easy to forge; use a random one of 32 "
                  "bytes or more, e.g. export %s=$(openssl rand -hex 32)",
                  app->auth.secret_env, app->auth.secret_env);
    return secret;
}

/* Without the variable, a development server signs with the development secret beside the
 * database, made the first time, so that `ssot token` in another terminal finds the same one
 * (dev_secret.h). Returns 0 with *secret malloc'd, or -1 after logging why. The store is open
 * by now, so the database's directory exists. */
static int dev_secret(const ssot_app *app, const char *db, char **secret) {
    const char *name = app->auth.secret_env;
    char path[4096], message[4608];
    *secret = NULL;
    if (ssot_dev_secret_path(db, app->config_path, path, sizeof path) != 0) {
        ssot_logf(SSOT_LOG_ERROR, "%s is not set, and the database's path is too long to keep a development secret "
                                  "beside it: set %s",
                  name, name);
        return -1;
    }
    int status = ssot_dev_secret_load(path, 1, secret, message, sizeof message);
    if (status == SSOT_DEV_SECRET_ERROR) {
        ssot_logf(SSOT_LOG_ERROR, "%s is not set, and %s", name, message);
        return -1;
    }
    /* one line on stdout, beside the listening line: development is the normal case, not a fault */
    ssot_logf(SSOT_LOG_INFO,
              "ssot serve: %s is not set, so tokens are signed with the development secret %s %s (mode 0600; "
              "`ssot token` reads it too); in production set %s and pass --production",
              name, status == SSOT_DEV_SECRET_CREATED ? "made now in" : "in", path, name);
    if (strlen(*secret) < 32)
        ssot_logf(SSOT_LOG_WARN,
                  "the development secret %s is shorter than 32 bytes: tokens signed with it are easy to forge "
                  "(remove it, and ssot serve makes a new one)",
                  path);
    return 0;
}

typedef struct listening_info {
    const ssot_app *app;
    const char *db;
    const ssot_serve_options *options;
    int workers; /* >1: says so in the line */
    int silent;  /* a worker after the first: the first said it */
} listening_info;

static void on_listening(void *ctx, const char *const *addresses, size_t naddresses, int port) {
    const listening_info *info = ctx;
    if (info->silent) return;
    char url[128];
    if (!(info->options && info->options->on_listening)) printf("ssot serve: %s listening on", info->app->name);
    for (size_t i = 0; i < naddresses; i++) {
        int ipv6 = strchr(addresses[i], ':') != NULL;
        snprintf(url, sizeof url, "http://%s%s%s:%d", ipv6 ? "[" : "", addresses[i], ipv6 ? "]" : "", port);
        if (!(info->options && info->options->on_listening)) printf("%s %s", i == 0 ? "" : " and", url);
        else if (i == 0) info->options->on_listening(info->options->listening_ctx, url);
    }
    if (info->options && info->options->on_listening) return;
    char workers[32] = "";
    if (info->workers > 1) snprintf(workers, sizeof workers, "%d workers, ", info->workers);
    printf(" (%s%zu model%s, database %s)\n", workers, info->app->nmodels, info->app->nmodels == 1 ? "" : "s",
           info->db);
    fflush(stdout);
}

static int follow_fd(void *follow) { return ssot_fanout_follow_fd(follow); }
static void follow_read(void *follow) { ssot_fanout_follow_read(follow); }
static void follow_catch_up(void *follow) { ssot_fanout_follow_catch_up(follow); }

/* A worker's place among the processes serving one port (--workers); all 0 for a server of
 * its own. */
typedef struct worker_role {
    int workers;           /* how many */
    int index;             /* this one */
    int port;              /* the port their shared listeners are on */
    const int *listen_fds; /* the listeners (ssot_server_listen) */
    size_t nlisten;
} worker_role;

/* Serves the open store (closed on return) until a stop signal. */
static int serve_store(ssot_app *app, const ssot_serve_options *opts, const char *db, ssot_store *store,
                       const char *secret, const worker_role *role) {
    ssot_service service;
    ssot_service_options service_options = {.jwt_secret = secret, .jwt_secret_len = secret ? strlen(secret) : 0,
                                            .group_commit = 1};
    char message[2048];
    if (ssot_service_init(&service, app, store, &service_options, message, sizeof message)) {
        ssot_logf(SSOT_LOG_ERROR, "%s", message);
        return SSOT_ERR_CONFIG;
    }
    ssot_gateway *gateway = NULL;
    ssot_fanout *follow = NULL;
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
        ssot_fanout *fanout = ssot_gateway_fanout(gateway);
        if (ssot_store_can_signal(store)) {
            /* other processes write this database too: their commits reach our subscribers */
            ssot_follow_options follow_options = {.app = app, .store = store, .inner = fanout,
                                                  .lost = ssot_gateway_lost_events, .lost_ctx = gateway};
            follow = ssot_fanout_follow_new(&follow_options);
            if (!follow) {
                ssot_logf(SSOT_LOG_ERROR, "out of memory");
                ssot_fanout_close(fanout);
                ssot_service_close(&service);
                return SSOT_ERR_FAILURE;
            }
            ssot_gateway_publish_through(gateway, follow); /* clients' publishes cross nodes too */
            fanout = follow;
        }
        ssot_service_set_fanout(&service, fanout); /* the service closes it (and the gateway) */
    }
    listening_info info = {.app = app, .db = db, .options = opts, .workers = role->workers, .silent = role->index > 0};
    ssot_server_options options = {
        .host = opts && opts->host ? opts->host : app->serve.host,
        .port = role->workers > 1 ? role->port : opts && opts->port >= 0 ? opts->port : app->serve.port,
        .listen_fds = role->listen_fds,
        .nlisten = role->nlisten,
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
    if (follow) {
        options.watch.fd = follow_fd;
        options.watch.ready = follow_read;
        options.watch.settled = follow_catch_up;
        options.watch.ctx = follow;
    }
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

/* What each worker needs to open its own store and serve. */
typedef struct worker_ctx {
    ssot_app *app;
    const ssot_serve_options *opts;
    const char *db, *shown, *secret;
    worker_role role;
} worker_ctx;

static int run_worker(void *ctx, int index) {
    worker_ctx *w = ctx;
    ssot_store *store = NULL;
    ssot_store_error err;
    ssot_store_status opened = SSOT_STORE_ERROR;
#ifdef SSOT_HAVE_POSTGRES
    ssot_pg_options pg_options = {.conninfo = w->db, .history = w->app->websockets.history};
    opened = ssot_store_pg_open(w->app, &pg_options, &store, &err);
#else
    snprintf(err.message, sizeof err.message, "this ssot was built without PostgreSQL");
#endif
    if (opened != SSOT_STORE_OK) {
        ssot_logf(SSOT_LOG_ERROR, "worker %d: %s", index + 1, err.message);
        return SSOT_ERR_FAILURE;
    }
    worker_role role = w->role;
    role.index = index;
    return serve_store(w->app, w->opts, w->shown, store, w->secret, &role);
}

/* --workers N: N processes accept from listeners made here, each with its own store (its own
 * database connections). Only a store whose processes share their events (signals:
 * PostgreSQL) can: on SQLite a worker's subscribers would never hear of the other workers'
 * commits (serve_app refuses it before opening). The store opened here has migrated the
 * schema; it is closed before the fork. */
static int serve_workers(ssot_app *app, const ssot_serve_options *opts, const char *db, const char *shown,
                         ssot_store *store, const char *secret, int workers) {
    int shared = ssot_store_can_signal(store);
    ssot_store_close(store);
    if (!shared) { /* serve_app refused SQLite already: a store without signals */
        ssot_logf(SSOT_LOG_ERROR, "--workers %d needs a database its processes share events through", workers);
        return SSOT_ERR_USAGE;
    }
    int fds[2], port = 0;
    char message[512];
    int n = ssot_server_listen(opts && opts->host ? opts->host : app->serve.host,
                               opts && opts->port >= 0 ? opts->port : app->serve.port, fds, &port, message,
                               sizeof message);
    if (n < 0) {
        ssot_logf(SSOT_LOG_ERROR, "%s", message);
        return SSOT_ERR_FAILURE;
    }
    worker_ctx ctx = {.app = app, .opts = opts, .db = db, .shown = shown, .secret = secret,
                      .role = {.workers = workers, .port = port, .listen_fds = fds, .nlisten = (size_t)n}};
    ssot_workers w = {.count = workers, .run = run_worker, .ctx = &ctx};
    int status = ssot_serve_workers(&w);
    for (int i = 0; i < n; i++) close(fds[i]);
    return status;
}

static int serve_app(ssot_app *app, const ssot_serve_options *opts) {
    const char *why = NULL;
    int production = production_mode(opts, &why);
    if (production < 0) return SSOT_ERR_USAGE;
    const char *secret = env_secret(app);
    if (!secret && production) {
        /* refused before the database is touched: a production server must not fall back */
        ssot_logf(SSOT_LOG_ERROR,
                  "%s is not set, and a production server (%s) never makes or reads a development secret: set it to "
                  "the secret your tokens are signed with, e.g. export %s=$(openssl rand -hex 32) (docs/deploy.md)",
                  app->auth.secret_env, why, app->auth.secret_env);
        return SSOT_ERR_FAILURE;
    }
    const char *source = NULL;
    const char *db = ssot_database_choose(opts ? opts->database : NULL, app->serve.database, &source);
    char scheme[32], shown[1024];
    int is_url = ssot_database_kind_of(db, scheme, sizeof scheme) == SSOT_DATABASE_URL;
    ssot_store *store = NULL;
    ssot_store_error err;
    ssot_store_status opened;
    if (is_url && !ssot_database_is_postgres(scheme)) {
        /* a URL taken as a file name would run the server on a file of that odd name */
        ssot_logf(SSOT_LOG_ERROR,
                  "the database is a %s:// URL (%s), but ssot serve stores in SQLite or PostgreSQL only: give a "
                  "file path, e.g. --db data/app.db, or a postgres:// URL",
                  scheme, source);
        return SSOT_ERR_USAGE;
    }
    int workers = opts && opts->workers > 0 ? opts->workers : app->serve.workers;
    if (workers > 1 && !is_url) { /* refused before the file is made or migrated */
        ssot_logf(SSOT_LOG_ERROR,
                  "%d workers (%s) need a PostgreSQL database (--db postgres://...): on SQLite each worker's "
                  "subscribers would miss the other workers' changes; serve SQLite with one process",
                  workers, opts && opts->workers > 0 ? "--workers" : "serve.workers in the config");
        return SSOT_ERR_USAGE;
    }
    if (is_url) {
#ifdef SSOT_HAVE_POSTGRES
        ssot_pg_options pg_options = {.conninfo = db, .history = app->websockets.history};
        opened = ssot_store_pg_open(app, &pg_options, &store, &err);
#else
        ssot_logf(SSOT_LOG_ERROR,
                  "the database is a %s:// URL (%s), but this ssot was built without PostgreSQL (libpq): rebuild "
                  "with libpq (Debian: apt-get install libpq-dev), or give a SQLite file path",
                  scheme, source);
        return SSOT_ERR_USAGE;
#endif
        ssot_database_describe(db, shown, sizeof shown);
    } else {
        ssot_sqlite_options store_options = {.path = db, .create_dirs = 1, .history = app->websockets.history};
        opened = ssot_store_sqlite_open(app, &store_options, &store, &err);
        snprintf(shown, sizeof shown, "%s", db);
    }
    if (opened != SSOT_STORE_OK) {
        ssot_logf(SSOT_LOG_ERROR, "%s", err.message); /* store messages name the database, never a password */
        return err.status == SSOT_STORE_SCHEMA ? SSOT_ERR_CONFIG : SSOT_ERR_FAILURE;
    }
    char *owned_secret = NULL;
    if (!secret) {
        /* a URL has no directory of ours: the secret goes beside the config (as for :memory:) */
        if (dev_secret(app, is_url ? NULL : db, &owned_secret) != 0) {
            ssot_store_close(store);
            return SSOT_ERR_FAILURE;
        }
        secret = owned_secret;
    }
    int status;
    if (workers > 1) {
        status = serve_workers(app, opts, db, shown, store, secret, workers);
    } else {
        worker_role alone = {0};
        status = serve_store(app, opts, shown, store, secret, &alone);
    }
    free(owned_secret);
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
