/* ssot_runtime.h - run the `ssot serve` runtime inside a C program.
 *
 * libssot-runtime holds the host of ssot.h and the runtime: REST over SQLite, auth, rules,
 * hooks (libwebsockets, SQLite, jansson, libjwt). A tool that only generates links libssot
 * and never these. Link with `pkg-config --libs ssot-runtime`. See docs/embedding.md. */
#ifndef SSOT_RUNTIME_API_H
#define SSOT_RUNTIME_API_H

#include "ssot.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssot_serve_options {
    const char *host;     /* address to listen on; NULL: the config's serve.host */
    int port;             /* -1: the config's serve.port; 0: any free port */
    const char *database; /* the SQLite file; NULL: the config's serve.database */
    int quiet;            /* no access log */
    /* Called once the server listens, with its first URL ("http://127.0.0.1:8080"); may be
     * NULL. Without it the server prints the line `ssot serve` prints. */
    void (*on_listening)(void *ctx, const char *url);
    void *listening_ctx;
    /* Production: the token secret must be in the environment (auth.secretEnv), never the
     * development secret file. Also on when SSOT_ENV (or, without it, NODE_ENV) is production. */
    int production;
    /* Worker processes serving the port together, each with its own database connections
     * (PostgreSQL only: they share their events through it); 0: the config's serve.workers.
     * With workers, only SIGINT or SIGTERM stop the server (not ssot_serve_stop). */
    int workers;
} ssot_serve_options;

/* Loads and validates config_path in host, opens (and migrates) the database and serves
 * until SIGINT, SIGTERM or ssot_serve_stop(), then drains and closes the database. Returns
 * an ssot_status: SSOT_ERR_CONFIG when the config or the database schema does not fit,
 * SSOT_ERR_FAILURE when the server cannot start; the reason is logged to stderr. options may
 * be NULL. */
SSOT_API int ssot_serve(ssot_host *host, const char *config_path, const ssot_serve_options *options);

/* Asks a running ssot_serve to stop, as SIGTERM does. Async-signal-safe. */
SSOT_API void ssot_serve_stop(void);

#ifdef __cplusplus
}
#endif

#endif
