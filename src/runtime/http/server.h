/* The HTTP server of `ssot serve`: one libwebsockets context and vhost on one service thread,
 * turning connections into ssot_request / ssot_response exchanges (server_request.h) for a
 * handler, until SIGINT or SIGTERM drains and stops it. Uses libwebsockets. */
#ifndef SSOT_RUNTIME_SERVER_H
#define SSOT_RUNTIME_SERVER_H

#include "runtime/http/http_response.h"
#include "runtime/http/server_request.h"
#include "runtime/http/websocket.h"

#include <stdint.h>

/* Handles one complete request by filling resp; runs on the service thread. */
typedef void (*ssot_handler_fn)(void *ctx, ssot_request *req, ssot_response *resp);

typedef struct ssot_server_options {
    const char *host;  /* address to listen on: NULL or "localhost" (127.0.0.1 and ::1), "0.0.0.0"
                        * (every IPv4 interface), "::" (every interface), "192.168.1.5", ... */
    int port;          /* 0: a free port chosen by the system */
    int64_t max_body;  /* request bodies above this get 413 */
    int quiet;         /* no access log */
    ssot_http_headers headers;
    ssot_handler_fn handler;
    void *handler_ctx;
    /* Called once the sockets listen, with the addresses really bound and the port (useful
    * with port 0). May be NULL. */
    void (*on_listening)(void *ctx, const char *const *addresses, size_t naddresses, int port);
    void *listening_ctx;
    int drain_seconds; /* on SIGINT/SIGTERM, how long requests in flight may take; 0: 10 */
    /* The end of a pass, and group commit (both NULL: none). After each pass of the event
     * loop the server calls settle(handler_ctx) once (the commit of held writes, the end of
     * the pass's read snapshot). A handler that leaves resp->held set holds its response
     * back: after settle the server calls finish(handler_ctx, held, req, resp) for each held
     * response in the order they were held — req and resp are NULL when the connection
     * closed meanwhile, and finish must still run — and then sends them. */
    void (*settle)(void *ctx);
    void (*finish)(void *ctx, void *held, const ssot_request *req, ssot_response *resp);
    /* The WebSocket endpoint (websocket.h); path NULL: none, and its path is an ordinary one. */
    ssot_ws_handler websocket;
    /* One more descriptor to watch (a store's commit signals from other processes; fd NULL:
     * none). fd(ctx) names it (-1: none now; asked again after every pass, as it may change);
     * ready(ctx) runs when it is readable, and at least once a second anyway (to reconnect,
     * and on lws's poll() loop, where it runs every 100 ms instead); settled(ctx) runs after
     * each settle, where no write batch is open. */
    struct {
        int (*fd)(void *ctx);
        void (*ready)(void *ctx);
        void (*settled)(void *ctx);
        void *ctx;
    } watch;
    /* Sockets already listening (ssot_server_listen, made before worker processes forked),
     * which the other workers accept from too; nlisten 0: listen here on host and port. */
    const int *listen_fds;
    size_t nlisten;
} ssot_server_options;

/* Makes the sockets listening on host and port (the addresses ssot_server_run listens on)
 * for worker processes to share after a fork: each accepts from them in its ssot_server_run
 * (listen_fds). Fills fds (up to 2) and *bound_port (the port bound, for port 0). Returns how
 * many, or -1 with a message in err. */
int ssot_server_listen(const char *host, int port, int fds[2], int *bound_port, char *err, size_t err_size);

/* Serves until SIGINT or SIGTERM (or ssot_server_request_stop), then stops accepting,
 * lets requests in flight finish, closes idle connections and returns. Returns 0, or -1
 * with a message in err when the server could not start (port in use, bad host). */
int ssot_server_run(const ssot_server_options *options, char *err, size_t err_size);

/* Asks a running server to stop as if it had received SIGTERM. Async-signal-safe. */
void ssot_server_request_stop(void);

#endif
