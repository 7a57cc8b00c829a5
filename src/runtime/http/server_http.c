/* The server's HTTP/1.1 connections: libwebsockets hands over raw bytes, which are framed
 * into requests by http_parse.h (pipelined ones one after another, bodies by Content-Length
 * or chunked), handed to the handler and answered in order through the connection's output
 * queue (server_out.h). A response held for the group commit is sent right after the commit;
 * the connection reads no further request meanwhile. Every failure is an answer in the error
 * shape of docs/rest.md, and a connection that must close lingers briefly so the client
 * reads that answer. Uses libwebsockets, http_parse.h, http_response.c, access_log.c. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime/http/access_log.h"
#include "runtime/http/http_response.h"
#include "runtime/http/server_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Input is read ahead while a response is being answered up to this many bytes, then reading
 * stops until the connection catches up (a client pipelining without reading). */
#define MAX_READ_AHEAD (64 * 1024)
#define MAX_SPARE_EXCHANGES 64

static ssot_server *server_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

/* --- connections and exchanges ------------------------------------------------------------ */

static void conn_link(ssot_server *server, http_conn *conn, struct lws *wsi) {
    conn->wsi = wsi;
    conn->fd = lws_get_socket_fd(wsi);
    conn->prev = NULL;
    conn->next = server->conns;
    if (server->conns) server->conns->prev = conn;
    server->conns = conn;
    server->nconns++;
}

static http_exchange *take_exchange(ssot_server *server) {
    http_exchange *ex = server->spare;
    if (ex) {
        server->spare = ex->next_spare;
        server->nspare--;
    } else if (!(ex = calloc(1, sizeof *ex))) {
        return NULL;
    }
    memset(&ex->req, 0, sizeof ex->req);
    ssot_buf_reset(&ex->body);
    memset(&ex->chunked, 0, sizeof ex->chunked);
    ex->remaining = 0;
    ex->close = 0;
    ex->held_slot = 0;
    ex->ready = 0;
    ex->file_fd = -1;
    ex->file_offset = ex->file_remaining = 0;
    memcpy(ex->method, "-", 2);
    ex->scratch_used = 0;
    clock_gettime(CLOCK_MONOTONIC, &ex->start);
    return ex;
}

/* Large bodies give their memory back instead of keeping it in a spare. */
#define KEEP_BUFFER_BYTES (64 * 1024)

static void give_back_exchange(ssot_server *server, http_exchange *ex) {
    ssot_server_file_close(ex);
    if (ex->held_slot) server->held[ex->held_slot - 1].conn = NULL; /* finish still runs */
    ex->held_slot = 0;
    if (server->nspare >= MAX_SPARE_EXCHANGES) {
        ssot_buf_free(&ex->body);
        ssot_buf_free(&ex->held_body);
        free(ex);
        return;
    }
    if (ex->body.cap > KEEP_BUFFER_BYTES) ssot_buf_free(&ex->body);
    if (ex->held_body.cap > KEEP_BUFFER_BYTES) ssot_buf_free(&ex->held_body);
    ex->next_spare = server->spare;
    server->spare = ex;
    server->nspare++;
}

void ssot_server_free_spares(ssot_server *server) {
    while (server->spare) {
        http_exchange *next = server->spare->next_spare;
        ssot_buf_free(&server->spare->body);
        ssot_buf_free(&server->spare->held_body);
        free(server->spare);
        server->spare = next;
    }
    server->nspare = 0;
}

static void conn_unlink(ssot_server *server, http_conn *conn) {
    if (!conn->wsi) return;
    if (conn->prev) conn->prev->next = conn->next;
    else server->conns = conn->next;
    if (conn->next) conn->next->prev = conn->prev;
    server->nconns--;
    ssot_server_accept_resume(server);
    conn->wsi = NULL;
    if (conn->ex) give_back_exchange(server, conn->ex);
    conn->ex = NULL;
    if (conn->ws) ssot_server_ws_gone(server, conn);
    ssot_buf_free(&conn->in);
    ssot_outq_clear(&conn->out);
}

/* Closes the connection at the next pass of the event loop (from outside its callbacks). */
void ssot_server_kill(http_conn *conn) { lws_set_timeout(conn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC); }

/* --- copying the request out of its head ---------------------------------------------------- */

static const char *exchange_copy(http_exchange *ex, ssot_http_slice s) {
    if (ex->scratch_used + s.len + 1 > sizeof ex->scratch) return NULL;
    char *copy = ex->scratch + ex->scratch_used;
    memcpy(copy, s.at, s.len);
    copy[s.len] = '\0';
    ex->scratch_used += s.len + 1;
    return copy;
}

/* A client's X-Request-Id is kept when it is short and plain; otherwise one is made up. */
static void set_request_id(ssot_server *server, http_exchange *ex, ssot_http_slice given) {
    int plain = given.len > 0 && given.len < SSOT_REQUEST_ID_SIZE;
    for (size_t i = 0; i < given.len && plain; i++) {
        char c = given.at[i];
        plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '.' || c == ':';
    }
    if (plain) {
        memcpy(ex->req.id, given.at, given.len);
        ex->req.id[given.len] = '\0';
        return;
    }
    /* "<8 hex digits of the process>-<8+ hex digits of a counter>", without printf's cost */
    static const char hex[] = "0123456789abcdef";
    char *p = ex->req.id;
    for (int shift = 28; shift >= 0; shift -= 4) *p++ = hex[(server->id_prefix >> shift) & 15];
    *p++ = '-';
    uint64_t counter = ++server->id_counter;
    int digits = 8;
    while (digits < 16 && (counter >> (4 * digits))) digits++;
    for (int i = digits - 1; i >= 0; i--) *p++ = hex[(counter >> (4 * i)) & 15];
    *p = '\0';
}

/* --- responding ----------------------------------------------------------------------------- */

static double elapsed_ms(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

void ssot_server_log(http_exchange *ex, int status) {
    ssot_access_log(ex->method, ex->req.path ? ex->req.path : "", ex->req.path ? ex->req.path_len : 0, status,
                    elapsed_ms(&ex->start), ex->req.id);
}

static void deadline_in(http_conn *conn, int seconds) { conn->deadline = ssot_server_now_ms() + seconds * 1000; }

/* Reading the next request may start (after an early answer, the rest of the old body goes). */
static void await_request(http_conn *conn) {
    conn->phase = conn->discard > 0 ? CONN_DISCARD : CONN_HEAD;
    if (conn->phase == CONN_HEAD) deadline_in(conn, SSOT_KEEPALIVE_TIMEOUT);
}

/* The write side is done: shut it, then linger until the client closes (it then reads the
 * whole answer; closing with unread input would reset the connection under it). */
static void shut(http_conn *conn) {
    shutdown(conn->fd, SHUT_WR);
    conn->shut = 1;
    deadline_in(conn, SSOT_LINGER_TIMEOUT);
}

void ssot_server_begin_close(http_conn *conn) {
    conn->phase = CONN_CLOSING;
    if (conn->paused) { /* read (and drop) until the client closes */
        lws_rx_flow_control(conn->wsi, 1);
        conn->paused = 0;
    }
    if (ssot_outq_pending(&conn->out)) {
        deadline_in(conn, SSOT_SEND_TIMEOUT);
        lws_callback_on_writable(conn->wsi);
        return;
    }
    shut(conn);
}

/* The response is queued: the exchange ends, and the connection closes, waits for the
 * socket to take the response, or goes on with the next request. */
static void end_exchange(ssot_server *server, http_conn *conn) {
    int close = conn->ex->close;
    give_back_exchange(server, conn->ex);
    conn->ex = NULL;
    if (close) {
        ssot_server_begin_close(conn);
    } else if (ssot_outq_pending(&conn->out)) {
        conn->phase = CONN_BUSY;
        deadline_in(conn, SSOT_SEND_TIMEOUT);
        lws_callback_on_writable(conn->wsi);
    } else {
        await_request(conn);
    }
}

int ssot_server_send_head(ssot_server *server, http_conn *conn, ssot_response *resp, int64_t content_length) {
    char head[SSOT_RESPONSE_HEADROOM];
    size_t n = ssot_http_head(head, sizeof head, &server->options.headers, &conn->ex->req, resp, content_length);
    if (n == 0) return -1;
    ssot_server_log(conn->ex, resp->status);
    return ssot_outq_send(&conn->out, conn->fd, head, n);
}

/* Sends resp: the status line and headers go into the headroom right before the body, and
 * both leave with one send. Returns 0, or -1 to close the connection. */
static int respond(ssot_server *server, http_conn *conn, ssot_response *resp) {
    http_exchange *ex = conn->ex;
    if (server->stopping || ssot_server_stop_requested()) resp->close = 1;
    if (resp->close) ex->close = 1;
    resp->close = ex->close;
    if (resp->body->failed) {
        resp->body->failed = 0;
        ssot_http_error(resp, &ex->req, SSOT_E_INTERNAL, "the server ran out of memory");
        if (resp->body->failed) return -1;
    }
    if (resp->file) {
        switch (ssot_server_file_start(server, conn, resp)) {
        case SSOT_FILE_SENT: end_exchange(server, conn); return 0;
        case SSOT_FILE_SENDING: /* the rest goes out as the socket takes it */
            conn->phase = CONN_BUSY;
            deadline_in(conn, SSOT_SEND_TIMEOUT);
            return 0;
        case SSOT_FILE_UNAVAILABLE: resp->close = ex->close; break; /* resp is now the error */
        default: return -1;
        }
    }
    size_t body_len = ssot_response_body_len(resp);
    int no_body = resp->status == 204 || resp->status == 304;
    char head[SSOT_RESPONSE_HEADROOM];
    size_t header_len = ssot_http_head(head, sizeof head, &server->options.headers, &ex->req, resp,
                                       no_body ? -1 : (int64_t)body_len);
    if (header_len == 0) return -1; /* cannot happen: the head is bounded well below the headroom */
    char *start = resp->body->data + SSOT_RESPONSE_HEADROOM - header_len;
    memcpy(start, head, header_len);
    size_t total = header_len + (no_body || ex->req.method == SSOT_METHOD_HEAD ? 0 : body_len);
    ssot_server_log(ex, resp->status);
    if (ssot_outq_send(&conn->out, conn->fd, start, total)) return -1;
    end_exchange(server, conn);
    return 0;
}

/* Answers a request that cannot be served (problem) and closes the connection. */
static int answer_problem(ssot_server *server, http_conn *conn, const ssot_http_problem *problem) {
    if (!conn->ex && !(conn->ex = take_exchange(server))) return -1;
    http_exchange *ex = conn->ex;
    if (!ex->req.id[0]) set_request_id(server, ex, (ssot_http_slice){NULL, 0});
    ssot_response *resp = &server->resp;
    ssot_response_reset(resp, &server->out);
    ssot_http_error(resp, &ex->req, problem->kind, "%s", problem->message);
    ex->close = 1;
    return respond(server, conn, resp);
}

/* Answers before the body is read (413): the body is dropped as it arrives, or the
 * connection closes when it is hopelessly large. */
static int answer_early(ssot_server *server, http_conn *conn, ssot_error_kind kind, int close, const char *message) {
    ssot_response *resp = &server->resp;
    ssot_response_reset(resp, &server->out);
    ssot_http_error(resp, &conn->ex->req, kind, "%s", message);
    conn->ex->close = close;
    return respond(server, conn, resp);
}

/* Keeps resp (a copy) until the group commit; the connection waits. Returns -1 when memory
 * runs out (the caller then settles at once). */
static int hold(ssot_server *server, http_conn *conn, const ssot_response *resp) {
    http_exchange *ex = conn->ex;
    if (server->nheld == server->held_cap) {
        size_t cap = server->held_cap ? 2 * server->held_cap : 64;
        held_entry *grown = realloc(server->held, cap * sizeof *grown);
        if (!grown) return -1;
        server->held = grown;
        server->held_cap = cap;
    }
    ssot_buf_reset(&ex->held_body);
    if (ssot_buf_append(&ex->held_body, resp->body->data, resp->body->len)) return -1;
    memcpy(&ex->held_resp, resp, offsetof(ssot_response, file_path)); /* a write has no file */
    ex->held_resp.body = &ex->held_body;
    server->held[server->nheld++] = (held_entry){resp->held, conn};
    ex->held_slot = server->nheld;
    conn->deadline = 0;
    return 0;
}

static int resume(ssot_server *server, http_conn *conn);

void ssot_server_settle(ssot_server *server) {
    void *ctx = server->options.handler_ctx;
    server->options.settle(ctx); /* every pass: it also ends the pass's read snapshot */
    size_t n = server->nheld;
    server->nheld = 0;
    for (size_t i = 0; i < n; i++) {
        http_conn *conn = server->held[i].conn;
        http_exchange *ex = conn ? conn->ex : NULL;
        server->options.finish(ctx, server->held[i].token, ex ? &ex->req : NULL, ex ? &ex->held_resp : NULL);
        if (!ex) continue;
        ex->held_slot = 0;
        /* committed: answer now, and read on once the socket says it is writable */
        if (respond(server, conn, &ex->held_resp)) {
            ssot_server_kill(conn);
        } else if (conn->phase != CONN_BUSY && conn->phase != CONN_CLOSING && (conn->in.len || conn->paused)) {
            conn->phase = CONN_BUSY; /* resume() in the writable callback reads what waits */
            lws_callback_on_writable(conn->wsi);
        }
    }
}

static int dispatch(ssot_server *server, http_conn *conn) {
    http_exchange *ex = conn->ex;
    ssot_response *resp = &server->resp;
    ssot_response_reset(resp, &server->out);
    conn->phase = CONN_BUSY;
    server->options.handler(server->options.handler_ctx, &ex->req, resp);
    if (resp->held) {
        if (hold(server, conn, resp) == 0) return 0; /* answered after the commit (settle) */
        void *held = resp->held;
        resp->held = NULL;
        ssot_server_settle(server); /* out of memory: commit now, answer now */
        server->options.finish(server->options.handler_ctx, held, &ex->req, resp);
    }
    return respond(server, conn, resp);
}

/* --- reading requests ------------------------------------------------------------------------- */

static void expect_continue(http_conn *conn, const ssot_http_request_head *head) {
    static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (head->expect_continue) ssot_outq_send(&conn->out, conn->fd, continue_line, sizeof continue_line - 1);
}

/* The head data[0..n) is complete: parse it, then read the body or answer. */
static int start_request(ssot_server *server, http_conn *conn, const char *data, size_t n) {
    http_exchange *ex = conn->ex = take_exchange(server);
    if (!ex) return -1;
    ssot_http_request_head head;
    ssot_http_problem problem;
    int parsed = ssot_http_parse_head(data, n, &head, &problem);
    if (head.method_name.len) {
        size_t len = head.method_name.len < sizeof ex->method ? head.method_name.len : sizeof ex->method - 1;
        memcpy(ex->method, head.method_name.at, len);
        ex->method[len] = '\0';
    }
    set_request_id(server, ex, head.request_id);
    ssot_request *req = &ex->req;
    long used = parsed == 0 ? ssot_http_build_request(&head, ex->scratch, sizeof ex->scratch, req, &problem) : -1;
    if (used < 0) {
        const char *question = memchr(head.target.at ? head.target.at : "", '?', head.target.len);
        ssot_http_slice raw = {head.target.at, question ? (size_t)(question - head.target.at) : head.target.len};
        ex->scratch_used = 0;
        req->path = raw.len ? exchange_copy(ex, raw) : NULL; /* the log shows what was sent */
        req->path_len = req->path ? raw.len : 0;
        return answer_problem(server, conn, &problem);
    }
    ex->scratch_used = (size_t)used;
    ex->close = !head.keep_alive;
    const char *ws_path = server->options.websocket.path;
    if (ws_path && strcmp(req->path, ws_path) == 0) {
        if (!head.websocket)
            ssot_http_fail(&problem, SSOT_E_UPGRADE_REQUIRED,
                           "%s is the WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)",
                           ws_path);
        else if (ssot_server_ws_upgrade(server, conn, &head, &problem) == 0) {
            give_back_exchange(server, conn->ex); /* the request is over: frames follow */
            conn->ex = NULL;
            return 0;
        }
        return answer_problem(server, conn, &problem);
    }
    if (head.form == SSOT_TARGET_ASTERISK) { /* OPTIONS *: what the server supports at all */
        ssot_response *resp = &server->resp;
        ssot_response_reset(resp, &server->out);
        resp->status = 204;
        resp->allow = (1u << SSOT_METHOD_COUNT) - 1;
        if (head.chunked || head.content_length > 0) ex->close = 1;
        return respond(server, conn, resp);
    }
    int64_t max_body = server->options.max_body;
    if (head.chunked) {
        conn->phase = CONN_CHUNKED;
        expect_continue(conn, &head);
        return 0;
    }
    if (head.content_length > max_body) {
        char message[160];
        snprintf(message, sizeof message, "the body is %lld bytes; at most %lld are accepted (serve.maxBody)",
                 (long long)head.content_length, (long long)max_body);
        /* a modest excess is read and dropped so the connection stays usable */
        int hopeless = head.content_length > 16 * max_body;
        if (!hopeless) conn->discard = head.content_length;
        return answer_early(server, conn, SSOT_E_PAYLOAD_TOO_LARGE, hopeless, message);
    }
    if (head.content_length > 0) {
        if (ssot_buf_reserve(&ex->body, (size_t)head.content_length)) {
            ssot_http_fail(&problem, SSOT_E_INTERNAL, "out of memory for the request body");
            return answer_problem(server, conn, &problem);
        }
        ex->remaining = head.content_length;
        conn->phase = CONN_BODY;
        expect_continue(conn, &head);
        return 0;
    }
    /* no body: "" when it was declared empty; NULL when a length was never given (writes
     * then answer 411) */
    req->body = head.content_length == 0 ? "" : NULL;
    req->body_len = 0;
    return dispatch(server, conn);
}

static int body_complete(ssot_server *server, http_conn *conn) {
    http_exchange *ex = conn->ex;
    ex->req.body = ex->body.len ? ex->body.data : "";
    ex->req.body_len = ex->body.len;
    return dispatch(server, conn);
}

/* Each reader takes what it can of data[0..len) and returns how much it used (0: it needs
 * more bytes), or -1 to close the connection at once. */

static long read_head(ssot_server *server, http_conn *conn, char *data, size_t len) {
    ssot_http_problem problem;
    long end = ssot_http_head_end(data, len, &conn->head_scanned, &problem);
    if (end < 0) return answer_problem(server, conn, &problem) ? -1 : (long)len;
    if (end == 0) {
        if (!conn->head_started) { /* the request has 20 s from its first byte to arrive */
            conn->head_started = 1;
            deadline_in(conn, SSOT_REQUEST_TIMEOUT);
        }
        return 0;
    }
    conn->head_scanned = 0;
    if (!conn->head_started) deadline_in(conn, SSOT_REQUEST_TIMEOUT);
    conn->head_started = 0;
    return start_request(server, conn, data, (size_t)end) ? -1 : end;
}

static long read_body(ssot_server *server, http_conn *conn, const char *data, size_t len) {
    http_exchange *ex = conn->ex;
    size_t n = (int64_t)len < ex->remaining ? len : (size_t)ex->remaining;
    if (ssot_buf_append(&ex->body, data, n)) return -1;
    ex->remaining -= (int64_t)n;
    if (ex->remaining == 0 && body_complete(server, conn)) return -1;
    return (long)n;
}

static long read_chunked(ssot_server *server, http_conn *conn, const char *data, size_t len) {
    http_exchange *ex = conn->ex;
    ssot_http_problem problem;
    int done = 0;
    long used = ssot_http_chunked_feed(&ex->chunked, data, len, &ex->body, (size_t)server->options.max_body, &done,
                                       &problem);
    if (used < 0) return answer_problem(server, conn, &problem) ? -1 : (long)len;
    if (done && body_complete(server, conn)) return -1;
    return used;
}

static long read_discard(http_conn *conn, size_t len) {
    size_t n = (int64_t)len < conn->discard ? len : (size_t)conn->discard;
    conn->discard -= (int64_t)n;
    if (conn->discard == 0) await_request(conn);
    return (long)n;
}

/* Frames data[0..len) into requests while the connection can take them. Returns the bytes
 * used (the rest waits for the current request's answer, or for more bytes), or -1. */
static long process(ssot_server *server, http_conn *conn, char *data, size_t len) {
    size_t used = 0;
    while (used < len) {
        long n;
        switch (conn->phase) {
        case CONN_HEAD: n = read_head(server, conn, data + used, len - used); break;
        case CONN_BODY: n = read_body(server, conn, data + used, len - used); break;
        case CONN_CHUNKED: n = read_chunked(server, conn, data + used, len - used); break;
        case CONN_DISCARD: n = read_discard(conn, len - used); break;
        case CONN_WS: n = ssot_server_ws_receive(server, conn, data + used, len - used); break;
        default: return (long)used; /* busy, or closing */
        }
        if (n < 0) return -1;
        if (n == 0) break;
        used += (size_t)n;
    }
    return (long)used;
}

/* What is left over waits in conn->in; reading pauses when too much waits. */
static int keep_rest(http_conn *conn, const char *rest, size_t n, int rest_is_in) {
    if (conn->phase == CONN_CLOSING) { /* nothing more is read from this connection */
        ssot_buf_free(&conn->in);
        return 0;
    }
    if (rest_is_in) {
        memmove(conn->in.data, rest, n);
        conn->in.len = n;
        if (n == 0) ssot_buf_free(&conn->in);
    } else if (n && ssot_buf_append(&conn->in, rest, n)) {
        return -1;
    }
    /* a WebSocket keeps reading: what waits is one unfinished frame, capped by its parser */
    if (conn->phase != CONN_WS && conn->in.len > MAX_READ_AHEAD && !conn->paused) {
        lws_rx_flow_control(conn->wsi, 0);
        conn->paused = 1;
    }
    return 0;
}

static int run_input(ssot_server *server, http_conn *conn) {
    long used = process(server, conn, conn->in.data, conn->in.len);
    if (used < 0) return -1;
    return keep_rest(conn, conn->in.data + used, conn->in.len - (size_t)used, 1);
}

static int on_receive(ssot_server *server, http_conn *conn, char *data, size_t len) {
    if (conn->phase == CONN_CLOSING) return 0; /* lingering: dropped */
    if (conn->in.len || conn->phase == CONN_BUSY) {
        if (ssot_buf_append(&conn->in, data, len)) return -1;
        if (conn->phase == CONN_BUSY) return keep_rest(conn, conn->in.data, conn->in.len, 1);
        return run_input(server, conn);
    }
    long used = process(server, conn, data, len);
    if (used < 0) return -1;
    return keep_rest(conn, data + used, len - (size_t)used, 0);
}

/* The answer in progress is out: read what waits, and read the socket again. */
static int resume(ssot_server *server, http_conn *conn) {
    if (conn->phase == CONN_BUSY && !conn->ex) await_request(conn);
    if (conn->phase == CONN_BUSY || conn->phase == CONN_CLOSING) return 0;
    if (conn->in.len && run_input(server, conn)) return -1;
    if (conn->paused && conn->phase != CONN_BUSY) {
        lws_rx_flow_control(conn->wsi, 1);
        conn->paused = 0;
    }
    return 0;
}

static int on_writable(ssot_server *server, http_conn *conn) {
    int flushed = ssot_outq_flush(&conn->out, conn->fd);
    if (flushed < 0) return -1;
    if (flushed == 0) {
        deadline_in(conn, SSOT_SEND_TIMEOUT); /* it took some: the client is reading */
        lws_callback_on_writable(conn->wsi);
        return 0;
    }
    if (conn->phase == CONN_CLOSING) {
        if (!conn->shut) shut(conn);
        return 0;
    }
    if (conn->phase == CONN_WS) conn->deadline = 0; /* everything queued is out */
    http_exchange *ex = conn->ex;
    if (ex && ex->file_fd >= 0) {
        int sent = ssot_server_file_continue(server, conn);
        if (sent == SSOT_FILE_BROKEN) return -1;
        deadline_in(conn, SSOT_SEND_TIMEOUT);
        if (sent == SSOT_FILE_SENDING) return 0;
        end_exchange(server, conn);
        if (conn->phase == CONN_BUSY || conn->phase == CONN_CLOSING) return 0;
    } else if (ex) {
        return 0; /* held for the group commit */
    }
    return resume(server, conn);
}

/* --- timeouts and draining ---------------------------------------------------------------------- */

static int idle(const http_conn *conn) {
    return conn->phase == CONN_HEAD && !conn->ex && !conn->in.len && !ssot_outq_pending(&conn->out);
}

void ssot_server_sweep(ssot_server *server) {
    int64_t now = ssot_server_now_ms();
    for (http_conn *conn = server->conns; conn; conn = conn->next) {
        if (server->stopping && idle(conn)) {
            ssot_server_kill(conn);
            continue;
        }
        if (conn->phase == CONN_WS) ssot_server_ws_sweep(server, conn, now);
        if (!conn->deadline || now < conn->deadline) continue;
        conn->deadline = 0;
        int arriving = (conn->phase == CONN_HEAD && conn->in.len) || conn->phase == CONN_BODY ||
                       conn->phase == CONN_CHUNKED;
        if (arriving) { /* the request stopped arriving: say so, then close */
            ssot_http_problem problem;
            ssot_http_fail(&problem, SSOT_E_REQUEST_TIMEOUT, "the request did not arrive completely within %d s",
                           SSOT_REQUEST_TIMEOUT);
            if (answer_problem(server, conn, &problem) == 0) continue;
        }
        ssot_server_kill(conn);
    }
}

/* --- the callback ---------------------------------------------------------------------------------- */

/* Past the connection limit a connection is told so and closed (file descriptors are kept
 * for the database, files and the connections already served). */
static void refuse_over_limit(ssot_server *server, http_conn *conn) {
    ssot_http_problem problem;
    ssot_http_fail(&problem, SSOT_E_UNAVAILABLE,
                   "the server has %zu open connections, the most it can serve (ulimit -n): retry shortly",
                   server->max_conns);
    if (answer_problem(server, conn, &problem)) ssot_server_kill(conn);
}

int ssot_server_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                              size_t len) {
    http_conn *conn = user;
    switch (reason) {
    case LWS_CALLBACK_RAW_ADOPT: {
        ssot_server *server = server_of(wsi);
        conn_link(server, conn, wsi);
        deadline_in(conn, SSOT_KEEPALIVE_TIMEOUT);
        if (server->nconns > server->max_conns) refuse_over_limit(server, conn);
        return 0;
    }
    case LWS_CALLBACK_RAW_RX:
        if (!conn || !conn->wsi) return -1;
        return on_receive(server_of(wsi), conn, in, len);
    case LWS_CALLBACK_RAW_WRITEABLE:
        if (!conn || !conn->wsi) return 0;
        return on_writable(server_of(wsi), conn);
    case LWS_CALLBACK_RAW_CLOSE:
        if (conn) conn_unlink(server_of(wsi), conn);
        return 0;
    default:
        return 0;
    }
}
