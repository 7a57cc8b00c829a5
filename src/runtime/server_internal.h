/* State shared by the server's lifecycle (server.c) and its HTTP protocol callback
 * (server_http.c): the running server, and one session per connection. Uses libwebsockets. */
#ifndef SSOT_RUNTIME_SERVER_INTERNAL_H
#define SSOT_RUNTIME_SERVER_INTERNAL_H

#include "runtime/server.h"

#include <libwebsockets.h>
#include <stdint.h>
#include <time.h>

/* Request headers are capped by libwebsockets at this many bytes in all; what a session
 * copies out of them (path, query, a few headers) fits in its scratch space. */
#define SSOT_MAX_HEADER_DATA 8192
#define SSOT_SESSION_SCRATCH (SSOT_MAX_HEADER_DATA + 1024)

typedef enum session_state {
    SESSION_IDLE,    /* waiting for a request (keep-alive) */
    SESSION_BODY,    /* headers read, body arriving */
    SESSION_FILE,    /* a static file is being sent */
    SESSION_ANSWERED, /* answered early (413...), lws discards the rest of the body */
    SESSION_HELD,     /* the response waits for the group commit */
    SESSION_READY     /* the held response is final, waiting for the socket to be writable */
} session_state;

/* A response held back until its write commits (group commit), with its own copy of the body. */
typedef struct held_response {
    ssot_response resp;
    ssot_buf body;
} held_response;

/* libwebsockets' per-session user space: allocated zeroed when a transaction starts and
 * freed when it ends (so one per request on a keep-alive connection): kept small, the
 * scratch space comes from the server's spares. */
typedef struct http_session {
    struct http_session *prev, *next; /* the server's list of live sessions */
    int linked;
    struct lws *wsi;
    session_state state;
    int64_t content_length;
    int no_length; /* POST/PUT/PATCH without Content-Length: answered, then closed */
    ssot_buf body;
    struct timespec start;
    ssot_request req;
    size_t scratch_used;
    char *scratch; /* SSOT_SESSION_SCRATCH bytes from the server's spares, while linked */
    held_response *held; /* while SESSION_HELD / SESSION_READY */
    size_t held_slot;    /* 1 + its index in the server's held list while SESSION_HELD, else 0 */
} http_session;

/* One held response in the order of holding; session is NULL once its connection closed. */
typedef struct held_entry {
    void *token; /* the handler's resp->held */
    http_session *session;
} held_entry;

/* A spare scratch block (kept so requests do not allocate). */
typedef struct scratch_block {
    struct scratch_block *next;
} scratch_block;

typedef struct ssot_server {
    ssot_server_options options;
    struct lws_context *context;
    http_session *sessions; /* live sessions, for draining at shutdown */
    size_t nsessions;
    ssot_buf out;           /* the response being written, reused for every request */
    scratch_block *spare_scratch; /* free scratch blocks of ended sessions */
    size_t nspare_scratch;
    held_entry *held; /* responses waiting for the group commit, in order */
    size_t nheld, held_cap;
    ssot_response resp;
    int stopping;           /* draining: no new connections, close after each response */
    uint32_t id_prefix;     /* request ids: random per process, then a counter */
    uint64_t id_counter;
} ssot_server;

/* The protocol callback of server_http.c. */
int ssot_server_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                              size_t len);

/* The session is between requests with nothing left to send: safe to close when draining. */
int ssot_server_session_idle(http_session *session);

/* Whether SIGINT/SIGTERM arrived (perhaps while a handler was running). */
int ssot_server_stop_requested(void);

/* After a pass of the event loop: ends the pass (options.settle: commits the held writes,
 * ends the read snapshot), finishes each held response (options.finish) and asks for the
 * sockets to be writable to send them. */
void ssot_server_settle(ssot_server *server);

/* Frees the spare scratch blocks (at shutdown). */
void ssot_server_free_spares(ssot_server *server);

#endif
