/* State shared by the server's lifecycle (server.c), its HTTP/1.1 connections
 * (server_http.c) and static file sending (server_file.c): the running server, one
 * connection per socket and one exchange per request in progress. libwebsockets accepts the
 * sockets, reads them and says when they are writable; the HTTP framing is ours
 * (http_parse.h), and so is the writing (server_out.h). Uses libwebsockets. */
#ifndef SSOT_RUNTIME_SERVER_INTERNAL_H
#define SSOT_RUNTIME_SERVER_INTERNAL_H

#include "runtime/http/http_parse.h"
#include "runtime/http/server.h"
#include "runtime/http/server_out.h"

#include <libwebsockets.h>
#include <stdint.h>
#include <time.h>

/* What a request copies out of its head (path, query, a few headers) fits in its scratch. */
#define SSOT_EXCHANGE_SCRATCH (2 * SSOT_HTTP_MAX_HEAD + SSOT_MAX_QUERY_PARAMS + 256)

/* How long a request may take to arrive once it started, an idle keep-alive connection may
 * wait for the next one, a client may take to read a response, and a closing connection
 * lingers for the client to see the answer before its socket closes (seconds). */
#define SSOT_REQUEST_TIMEOUT 20
#define SSOT_KEEPALIVE_TIMEOUT 30
#define SSOT_SEND_TIMEOUT 20
#define SSOT_LINGER_TIMEOUT 2

typedef enum conn_phase {
    CONN_HEAD,    /* reading a request head (idle when nothing of it has arrived) */
    CONN_BODY,    /* reading a body of known length */
    CONN_CHUNKED, /* reading a chunked body */
    CONN_DISCARD, /* answered early (413): dropping the body, then the next request */
    CONN_BUSY,    /* answering: the response waits for the group commit, for the socket or
                   * a file is being sent; input waits in `in` */
    CONN_CLOSING, /* the last response is queued; then the socket is shut and lingers */
    CONN_WS       /* upgraded: WebSocket frames (server_ws.c) */
} conn_phase;

struct ws_conn; /* server_ws.c */

typedef struct http_exchange http_exchange;

/* One per socket, libwebsockets' per-connection user space: small, as idle connections
 * are most of them; an exchange is attached only while a request is in progress. */
typedef struct http_conn {
    struct http_conn *prev, *next; /* the server's list of connections */
    struct lws *wsi;
    http_exchange *ex; /* the request being read or answered, or NULL */
    struct ws_conn *ws; /* after a WebSocket upgrade, or NULL */
    ssot_buf in;       /* bytes received and not yet parsed */
    ssot_outq out;     /* bytes the socket has not taken yet */
    int64_t deadline;  /* when the current wait times out (monotonic ms), 0: never */
    int64_t discard;   /* CONN_DISCARD: body bytes still to drop */
    size_t head_scanned;
    int fd;
    uint8_t phase;
    uint8_t paused;    /* reading is off until the input waiting in `in` is handled */
    uint8_t shut;      /* CONN_CLOSING: the write side is shut down */
    uint8_t head_started; /* part of a request head has arrived (its deadline runs) */
} http_conn;

/* A request in progress, from its first byte until its response is out. Kept in the
 * server's spares between requests, so requests do not allocate. */
struct http_exchange {
    http_exchange *next_spare;
    ssot_request req;
    ssot_buf body;
    ssot_http_chunked chunked;
    int64_t remaining; /* CONN_BODY: bytes of the body still to come */
    struct timespec start;
    int close;         /* close the connection after this response */
    size_t held_slot;  /* 1 + its index in the server's held list while held, else 0 */
    int ready;         /* the held response is final: send it when the socket is writable */
    ssot_response held_resp;
    ssot_buf held_body;
    int file_fd;       /* a static file being sent, or -1 */
    int64_t file_offset, file_remaining;
    char method[24];   /* the method as sent, for the access log */
    size_t scratch_used;
    char scratch[SSOT_EXCHANGE_SCRATCH];
};

/* One held response in the order of holding; conn is NULL once its connection closed. */
typedef struct held_entry {
    void *token; /* the handler's resp->held */
    http_conn *conn;
} held_entry;

typedef struct ssot_server {
    ssot_server_options options;
    struct lws_context *context;
    http_conn *conns; /* every open connection, for timeouts and draining */
    size_t nconns;
    size_t max_conns;  /* more are answered 503 and closed (file descriptors run out) */
    size_t accept_limit; /* at this many, accepting pauses until one closes (server_listen.c) */
    struct lws *listeners[2]; /* the listening sockets, adopted (server_listen.c) */
    size_t nlisteners;
    int accept_paused;
    lws_sorted_usec_list_t accept_retry; /* resumes accepting after the descriptors ran out */
    int64_t accept_warned_ms; /* when running out of descriptors was last logged */
    http_conn *ws_held; /* WebSocket connections holding frames until the pass ends */
    ssot_buf out;      /* the response being written, reused for every request */
    http_exchange *spare; /* exchanges of ended requests */
    size_t nspare;
    held_entry *held;  /* responses waiting for the group commit, in order */
    size_t nheld, held_cap;
    ssot_response resp;
    char *file_chunk;  /* read buffer for static files (SSOT_FILE_CHUNK bytes) */
    int stopping;      /* draining: no new connections, close after each response */
    uint32_t id_prefix; /* request ids: random per process, then a counter */
    uint64_t id_counter;
} ssot_server;

#define SSOT_FILE_CHUNK (64 * 1024)

/* The protocol callback of server_http.c. */
/* server_listen.c: the addresses a host option means (NULL in out: every IPv4 interface);
 * adopting the listening sockets fds (the workers' shared ones, or this process's own) into
 * vhost, 0 or -1; the callback of the "ssot-accept" protocol, which accepts from them; and
 * resuming accepting once a connection closed below accept_limit. */
size_t ssot_server_listen_addresses(const char *host, const char *out[2]);
int ssot_server_adopt_listeners(ssot_server *server, struct lws_vhost *vhost, const int *fds, size_t n);
void ssot_server_accept_resume(ssot_server *server);
void ssot_server_accept_stop(ssot_server *server);
int ssot_server_accept_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

int ssot_server_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                              size_t len);

/* Whether SIGINT/SIGTERM arrived (perhaps while a handler was running). */
int ssot_server_stop_requested(void);

/* The monotonic clock in milliseconds. */
int64_t ssot_server_now_ms(void);

/* After a pass of the event loop: ends the pass (options.settle: commits the held writes,
 * ends the read snapshot), finishes each held response (options.finish) and asks for the
 * sockets to be writable to send them. */
void ssot_server_settle(ssot_server *server);

/* Once a second: closes connections whose deadline passed (answering 408 to a request that
 * stopped arriving); when draining, also those with nothing in progress. */
void ssot_server_sweep(ssot_server *server);

/* Frees the spare exchanges (at shutdown). */
void ssot_server_free_spares(ssot_server *server);

typedef enum ssot_file_progress {
    SSOT_FILE_BROKEN = -1,   /* close the connection */
    SSOT_FILE_SENT,          /* the head and every byte are sent or queued */
    SSOT_FILE_SENDING,       /* more follows when the socket is writable */
    SSOT_FILE_UNAVAILABLE    /* the file could not be opened: resp is now an error to send */
} ssot_file_progress;

/* server_file.c: starts sending resp->file on conn: opens it, writes the head with its
 * length and, for GET, its bytes as far as the socket takes them. */
ssot_file_progress ssot_server_file_start(ssot_server *server, http_conn *conn, ssot_response *resp);
/* Sends more of the file once the socket is writable (the queue is empty). */
ssot_file_progress ssot_server_file_continue(ssot_server *server, http_conn *conn);
/* Closes the file of an exchange that ends early. */
void ssot_server_file_close(http_exchange *ex);

/* server_http.c, for server_file.c: writes the head of resp (for a body of content_length
 * bytes) to conn and logs the request. Returns 0 or -1. */
int ssot_server_send_head(ssot_server *server, http_conn *conn, ssot_response *resp, int64_t content_length);

/* server_http.c, for server_ws.c: the access log line of an exchange; closing a connection
 * once its queue is out (lingering for the client); closing it at the next pass. */
void ssot_server_log(http_exchange *ex, int status);
void ssot_server_begin_close(http_conn *conn);
void ssot_server_kill(http_conn *conn);

/* server_ws.c: the WebSocket handshake of conn's request (head), which then becomes a
 * WebSocket connection of options.websocket (0, also when the socket broke and the connection
 * closes); -1 with problem set when the handshake is not one to accept (the caller answers it). Frames in (like a reader of server_http.c: the bytes
 * used, or -1), the once-a-second look (pings, dead peers, stopping), and the end. */
int ssot_server_ws_upgrade(ssot_server *server, http_conn *conn, const ssot_http_request_head *head,
                           ssot_http_problem *problem);
long ssot_server_ws_receive(ssot_server *server, http_conn *conn, char *data, size_t len);
void ssot_server_ws_sweep(ssot_server *server, http_conn *conn, int64_t now);
void ssot_server_ws_gone(ssot_server *server, http_conn *conn);
/* At the end of a pass of the event loop: sends the frames the pass held (server_ws.c). */
void ssot_server_ws_flush_held(ssot_server *server);

#endif
