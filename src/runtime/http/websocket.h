/* WebSocket connections of the server (server_ws.c) as a handler sees them: the endpoint and
 * its caps, the callbacks of a connection's life, and sending frames — one encoded frame can
 * be queued to many connections without a copy each (server_out.h). Uses server_request.h. */
#ifndef SSOT_RUNTIME_WEBSOCKET_H
#define SSOT_RUNTIME_WEBSOCKET_H

#include "runtime/http/server_out.h"
#include "runtime/http/server_request.h"

#include <stddef.h>
#include <stdint.h>

/* One WebSocket connection; valid from open until closed is called for it. */
typedef struct ssot_ws ssot_ws;

typedef struct ssot_ws_handler {
    const char *path;   /* the endpoint ("/ws"); NULL: the server has none */
    size_t max_message; /* bytes; a larger message closes the connection with 1009 */
    size_t max_queue;   /* bytes a client may leave unread; more closes it with 4008 (what is
                         * queued stays to be read before the close, nothing more is added) */
    void *ctx;
    /* A client completed the handshake; req is its upgrade request (Authorization, ?token=,
     * Origin). Returns the handler's session for it, or NULL to close it (1011). */
    void *(*open)(void *ctx, ssot_ws *ws, const ssot_request *req);
    /* A text message (valid UTF-8, len bytes, not NUL-terminated). */
    void (*message)(void *ctx, void *session, const char *data, size_t len);
    /* The client broke the protocol (a bad frame, a message over max_message: close_code and
     * why); the connection closes with close_code right after. May be NULL. */
    void (*refused)(void *ctx, void *session, int close_code, const char *why);
    /* The connection is gone (closed by either side, or dropped): the last call for session. */
    void (*closed)(void *ctx, void *session);
    /* Called every tick_ms milliseconds on the event loop (batches, expiring tokens). May be NULL. */
    void (*tick)(void *ctx);
    int tick_ms;
} ssot_ws_handler;

/* A text frame of payload[0..len), to send to one connection or many. NULL when memory runs
 * out. Release it with ssot_shared_bytes_unref. */
ssot_shared_bytes *ssot_ws_text_frame(const char *payload, size_t len);

/* Queues frame (a reference) after what the connection already has queued, sending at once
 * what the socket takes. Returns 0, or -1 when the connection is closing, broken, or was just
 * closed because its queue went over max_queue (4008): send nothing more to it. */
int ssot_ws_send(ssot_ws *ws, ssot_shared_bytes *frame);

/* Sends the payloads of n text frames (each made by ssot_ws_text_frame, one JSON value) as
 * one text frame holding the JSON array [p1,p2,...], without copying them. Returns as
 * ssot_ws_send. */
int ssot_ws_send_batch(ssot_ws *ws, ssot_shared_bytes *const *frames, size_t n);

/* Frames and sends one text message. */
int ssot_ws_send_text(ssot_ws *ws, const char *payload, size_t len);

/* Bytes queued and not yet taken by the socket. */
size_t ssot_ws_queued(const ssot_ws *ws);

/* Starts the closing handshake with code and reason (UTF-8, at most 123 bytes); nothing is
 * sent or delivered after it. */
void ssot_ws_close(ssot_ws *ws, int code, const char *reason);

#endif
