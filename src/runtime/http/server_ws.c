/* WebSocket connections of the server (websocket.h): the upgrade handshake on the handler's
 * path, frames in (ws_frame.h) to the handler's callbacks, pings answered and sent, frames out
 * through the connection's queue with its byte cap (4008 past it), and the closing handshake.
 * Uses server_http.c's connection machinery (server_internal.h) and ws_frame.c. */
#include "runtime/http/access_log.h"
#include "runtime/http/http_response.h"
#include "runtime/http/server_internal.h"
#include "runtime/http/websocket.h"
#include "runtime/http/ws_frame.h"

#include "runtime/base/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A connection quiet this long is pinged; one quiet this long is dropped as dead (ms). */
#define WS_PING_AFTER_MS (25 * 1000)
#define WS_DEAD_AFTER_MS (60 * 1000)

/* Bytes held for a connection in one pass of the event loop past which they are sent at once
 * rather than at the end of the pass. */
#define WS_HOLD_BYTES (64 * 1024)

struct ws_conn {
    ssot_ws_parser parser;
    http_conn *held_prev, *held_next; /* the server's list of connections holding frames */
    uint8_t holding; /* on that list */
    void *session;   /* the handler's, NULL until open returned */
    int64_t heard;   /* when the client last sent a frame (ms) */
    uint8_t pinged;  /* a ping is out and unanswered */
    uint8_t closing; /* a close frame was sent: nothing more goes out or in */
};

static http_conn *conn_of(ssot_ws *ws) { return (http_conn *)ws; }
static ssot_ws *ws_of(http_conn *conn) { return (ssot_ws *)conn; }
static ssot_server *server_of(http_conn *conn) { return lws_context_user(lws_get_context(conn->wsi)); }

/* --- sending ----------------------------------------------------------------------------------- */

ssot_shared_bytes *ssot_ws_text_frame(const char *payload, size_t len) {
    uint8_t header[10];
    size_t n = ssot_ws_frame_header(header, SSOT_WS_TEXT, len);
    ssot_shared_bytes *frame = ssot_shared_bytes_new(NULL, n + len);
    if (!frame) return NULL;
    memcpy(frame->data, header, n);
    memcpy(frame->data + n, payload, len);
    return frame;
}

/* A control frame (close, ping, pong) of at most 125 bytes, sent or queued at once. */
static int send_control(http_conn *conn, int opcode, const char *payload, size_t len) {
    uint8_t frame[2 + 125];
    if (len > 125) len = 125;
    size_t n = ssot_ws_frame_header(frame, opcode, len);
    memcpy(frame + n, payload, len);
    if (ssot_outq_send(&conn->out, conn->fd, frame, n + len)) return -1;
    if (ssot_outq_pending(&conn->out)) lws_callback_on_writable(conn->wsi);
    return 0;
}

void ssot_ws_close(ssot_ws *ws, int code, const char *reason) {
    http_conn *conn = conn_of(ws);
    if (!conn->ws || conn->ws->closing) return;
    conn->ws->closing = 1;
    char payload[125];
    size_t n = reason ? strlen(reason) : 0;
    if (n > 123) n = 123;
    payload[0] = (char)(code >> 8);
    payload[1] = (char)(code & 0xFF);
    if (n) memcpy(payload + 2, reason, n);
    send_control(conn, SSOT_WS_CLOSE, payload, n + 2);
    ssot_server_begin_close(conn);
}

/* A client that does not read: nothing more is queued for it, nobody else waits. The close
 * frame follows what is queued (a frame may be half sent: dropping the queue would cut it),
 * and the connection is dropped if that is not read in time. */
static int check_queue_cap(http_conn *conn) {
    if (conn->out.bytes <= server_of(conn)->options.websocket.max_queue) return 0;
    ssot_ws_close(ws_of(conn), SSOT_WS_CLOSE_SLOW_CONSUMER, "too much unread: the client does not keep up");
    return -1;
}

/* What was sent is out or queued: watch the queue's size and ask for the socket. */
static int after_queueing(http_conn *conn) {
    if (!ssot_outq_pending(&conn->out)) return 0;
    /* a client that stops reading altogether is dropped after SSOT_SEND_TIMEOUT */
    if (!conn->deadline) conn->deadline = ssot_server_now_ms() + SSOT_SEND_TIMEOUT * 1000;
    if (check_queue_cap(conn)) return -1;
    lws_callback_on_writable(conn->wsi);
    return 0;
}

/* Frames sent in a pass of the event loop are held and leave together when it ends
 * (ssot_server_ws_flush_held): a connection that gets several events in one pass — a group
 * commit's changes, a batch and a reply — gets them in one system call, and none waits longer
 * than the pass. */
static void hold(ssot_server *server, http_conn *conn) {
    struct ws_conn *ws = conn->ws;
    if (ws->holding) return;
    ws->holding = 1;
    ws->held_prev = NULL;
    ws->held_next = server->ws_held;
    if (server->ws_held) server->ws_held->ws->held_prev = conn;
    server->ws_held = conn;
}

static void unhold(ssot_server *server, http_conn *conn) {
    struct ws_conn *ws = conn->ws;
    if (!ws->holding) return;
    ws->holding = 0;
    if (ws->held_prev) ws->held_prev->ws->held_next = ws->held_next;
    else server->ws_held = ws->held_next;
    if (ws->held_next) ws->held_next->ws->held_prev = ws->held_prev;
    ws->held_prev = ws->held_next = NULL;
}

/* Sends what conn holds now. */
static int flush_held(ssot_server *server, http_conn *conn) {
    unhold(server, conn);
    if (ssot_outq_flush(&conn->out, conn->fd) < 0) {
        ssot_ws_close(ws_of(conn), SSOT_WS_CLOSE_SERVER_ERROR, "the connection broke");
        return -1;
    }
    return after_queueing(conn);
}

/* Frames were added to the queue: held until the pass ends, unless there is much. */
static int after_holding(http_conn *conn) {
    /* the socket is full and already asked for (deadline set): trying it again per frame is a
     * wasted system call; only the cap is checked */
    if (conn->deadline) return check_queue_cap(conn);
    ssot_server *server = server_of(conn);
    if (conn->out.bytes < WS_HOLD_BYTES) {
        hold(server, conn);
        return 0;
    }
    return flush_held(server, conn);
}

void ssot_server_ws_flush_held(ssot_server *server) {
    while (server->ws_held) flush_held(server, server->ws_held);
}

int ssot_ws_send(ssot_ws *ws, ssot_shared_bytes *frame) {
    http_conn *conn = conn_of(ws);
    if (!conn->ws || conn->ws->closing) return -1;
    if (ssot_outq_hold(&conn->out, frame, 0, frame->len)) {
        ssot_ws_close(ws, SSOT_WS_CLOSE_SERVER_ERROR, "out of memory for the connection's queue");
        return -1;
    }
    return after_holding(conn);
}

/* The length of the header ssot_ws_text_frame put before a payload, from the frame's length. */
static size_t header_length(size_t frame_len) {
    if (frame_len <= 2 + 125) return 2;
    if (frame_len <= 4 + 0xFFFF) return 4;
    return 10;
}

int ssot_ws_send_batch(ssot_ws *ws, ssot_shared_bytes *const *frames, size_t n) {
    http_conn *conn = conn_of(ws);
    if (!conn->ws || conn->ws->closing) return -1;
    if (n == 1) return ssot_ws_send(ws, frames[0]);
    uint64_t total = n + 1; /* "[", the commas and "]" */
    for (size_t i = 0; i < n; i++) total += frames[i]->len - header_length(frames[i]->len);
    uint8_t head[11];
    size_t h = ssot_ws_frame_header(head, SSOT_WS_TEXT, total);
    head[h++] = '[';
    int failed = ssot_outq_hold_copy(&conn->out, head, h);
    for (size_t i = 0; i < n && !failed; i++) {
        size_t skip = header_length(frames[i]->len);
        failed = ssot_outq_hold(&conn->out, frames[i], skip, frames[i]->len - skip) ||
                 ssot_outq_hold_copy(&conn->out, i + 1 < n ? "," : "]", 1);
    }
    if (failed) {
        ssot_ws_close(ws, SSOT_WS_CLOSE_SERVER_ERROR, "out of memory for the connection's queue");
        return -1;
    }
    return after_holding(conn);
}

int ssot_ws_send_text(ssot_ws *ws, const char *payload, size_t len) {
    ssot_shared_bytes *frame = ssot_ws_text_frame(payload, len);
    if (!frame) return -1;
    int result = ssot_ws_send(ws, frame);
    ssot_shared_bytes_unref(frame);
    return result;
}

size_t ssot_ws_queued(const ssot_ws *ws) { return ((const http_conn *)ws)->out.bytes; }

/* --- the handshake ---------------------------------------------------------------------------- */

int ssot_server_ws_upgrade(ssot_server *server, http_conn *conn, const ssot_http_request_head *head,
                           ssot_http_problem *problem) {
    http_exchange *ex = conn->ex;
    if (ex->req.method != SSOT_METHOD_GET || head->minor_version != 1)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "a WebSocket handshake is an HTTP/1.1 GET");
    if (head->chunked || head->content_length > 0)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "a WebSocket handshake has no body");
    if (head->websocket_version.len != 2 || memcmp(head->websocket_version.at, "13", 2) != 0)
        return ssot_http_fail(problem, SSOT_E_UPGRADE_REQUIRED,
                              "this server speaks WebSocket version 13: send Sec-WebSocket-Version: 13");
    char accept[29];
    if (ssot_ws_accept_key(head->websocket_key.at, head->websocket_key.len, accept) != 0)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "Sec-WebSocket-Key must be the base64 of 16 random bytes (24 characters)");
    if (ex->req.origin && !ssot_http_origin_allowed(&server->options.headers, ex->req.origin))
        return ssot_http_fail(problem, SSOT_E_FORBIDDEN, "the origin %.*s may not connect (serve.cors.origins)",
                              ssot_http_shown(ex->req.origin, strlen(ex->req.origin)), ex->req.origin);
    struct ws_conn *ws = calloc(1, sizeof *ws);
    if (!ws) return ssot_http_fail(problem, SSOT_E_INTERNAL, "out of memory for a WebSocket connection");
    ws->parser.max_message = server->options.websocket.max_message;
    ws->heard = ssot_server_now_ms();
    char response[512];
    int n = snprintf(response, sizeof response,
                     "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
                     "sec-websocket-accept: %s\r\nx-request-id: %s\r\n%s%s%s\r\n",
                     accept, ex->req.id, server->options.headers.schema_hash ? "x-ssot-schema: " : "",
                     server->options.headers.schema_hash ? server->options.headers.schema_hash : "",
                     server->options.headers.schema_hash ? "\r\n" : "");
    ssot_server_log(ex, 101);
    if (ssot_outq_send(&conn->out, conn->fd, response, (size_t)n)) {
        free(ws); /* the socket broke: nothing to answer */
        ssot_server_kill(conn);
        return 0;
    }
    conn->ws = ws;
    conn->phase = CONN_WS;
    conn->deadline = 0;
    const ssot_ws_handler *handler = &server->options.websocket;
    ws->session = handler->open(handler->ctx, ws_of(conn), &ex->req);
    if (!ws->session) ssot_ws_close(ws_of(conn), SSOT_WS_CLOSE_SERVER_ERROR, "the server could not take the connection");
    return 0;
}

/* --- frames in ------------------------------------------------------------------------------- */

/* Whether code may be sent in a close frame (RFC 6455 §7.4). */
static int valid_close_code(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
}

static void on_close_frame(http_conn *conn, const ssot_ws_message *msg) {
    int code = SSOT_WS_CLOSE_NORMAL;
    if (msg->len >= 2) {
        code = ((uint8_t)msg->data[0] << 8) | (uint8_t)msg->data[1];
        if (!valid_close_code(code)) code = SSOT_WS_CLOSE_PROTOCOL;
        else if (!ssot_utf8_valid(msg->data + 2, msg->len - 2)) code = SSOT_WS_CLOSE_INVALID_DATA;
    }
    ssot_ws_close(ws_of(conn), code, NULL); /* the answer echoes the client's code */
}

long ssot_server_ws_receive(ssot_server *server, http_conn *conn, char *data, size_t len) {
    struct ws_conn *ws = conn->ws;
    const ssot_ws_handler *handler = &server->options.websocket;
    size_t used = 0;
    ws->heard = ssot_server_now_ms();
    while (used < len && !ws->closing) {
        ssot_ws_message msg;
        ssot_ws_problem problem;
        long n = ssot_ws_parse(&ws->parser, (uint8_t *)data + used, len - used, &msg, &problem);
        if (n < 0) {
            if (handler->refused && ws->session)
                handler->refused(handler->ctx, ws->session, problem.close_code, problem.message);
            ssot_ws_close(ws_of(conn), problem.close_code, problem.message);
            return (long)len;
        }
        used += (size_t)n;
        switch (msg.opcode) {
        case 0: return (long)used; /* the rest of a frame is still to come */
        case SSOT_WS_TEXT: handler->message(handler->ctx, ws->session, msg.data, msg.len); break;
        case SSOT_WS_BINARY:
            if (handler->refused)
                handler->refused(handler->ctx, ws->session, SSOT_WS_CLOSE_UNSUPPORTED, "messages are JSON text, not binary");
            ssot_ws_close(ws_of(conn), SSOT_WS_CLOSE_UNSUPPORTED, "messages are JSON text, not binary");
            break;
        case SSOT_WS_PING: send_control(conn, SSOT_WS_PONG, msg.data, msg.len); break;
        case SSOT_WS_PONG: ws->pinged = 0; break;
        case SSOT_WS_CLOSE: on_close_frame(conn, &msg); break;
        default: break;
        }
    }
    return (long)len; /* closing: the rest is dropped */
}

/* --- its life --------------------------------------------------------------------------------- */

void ssot_server_ws_sweep(ssot_server *server, http_conn *conn, int64_t now) {
    struct ws_conn *ws = conn->ws;
    if (ws->closing) return;
    if (server->stopping) {
        ssot_ws_close(ws_of(conn), SSOT_WS_CLOSE_GOING_AWAY, "the server is stopping");
        return;
    }
    int64_t quiet = now - ws->heard;
    if (quiet > WS_DEAD_AFTER_MS) {
        ws->closing = 1;
        ssot_server_kill(conn); /* no answer to pings: the peer is gone */
    } else if (quiet > WS_PING_AFTER_MS && !ws->pinged) {
        ws->pinged = 1;
        send_control(conn, SSOT_WS_PING, "", 0);
    }
}

void ssot_server_ws_gone(ssot_server *server, http_conn *conn) {
    unhold(server, conn);
    struct ws_conn *ws = conn->ws;
    conn->ws = NULL;
    if (ws->session) server->options.websocket.closed(server->options.websocket.ctx, ws->session);
    ssot_ws_parser_free(&ws->parser);
    free(ws);
}
