/* The event loop the server runs libwebsockets on: libev with epoll, so a pass of the loop
 * costs what the ready sockets cost, not one poll() entry per open connection (10,000 idle
 * WebSocket clients would otherwise be walked on every pass). Falls back to libwebsockets'
 * own poll() loop when its libev plugin (Debian's libwebsockets-evlib-ev) cannot be loaded.
 * Uses libev, libwebsockets. */
#ifndef SSOT_RUNTIME_EVENT_LOOP_H
#define SSOT_RUNTIME_EVENT_LOOP_H

#include <libwebsockets.h>

typedef struct ssot_event_loop ssot_event_loop;

/* Creates the libwebsockets context from info on an epoll loop, or on lws's poll() loop when
 * that cannot be had; *loop is the loop to run (NULL with poll()). Returns the context or
 * NULL, as lws_create_context does. */
struct lws_context *ssot_event_loop_create_context(struct lws_context_creation_info *info, ssot_event_loop **loop);

/* One pass: waits for at least one event (a socket, a timer, lws_cancel_service) and handles
 * every one that is ready. Returns < 0 when the context is finished. */
int ssot_event_loop_run_once(struct lws_context *context, ssot_event_loop *loop);

/* Watches fd (one descriptor per loop; -1: none) for reading: ready(ctx) runs within a pass
 * when it is readable. Calling it again with another fd moves the watch. Returns 0, or -1
 * on lws's poll() loop (loop NULL), where the caller polls on a timer instead. */
int ssot_event_loop_watch(ssot_event_loop *loop, int fd, void (*ready)(void *ctx), void *ctx);

/* After lws_context_destroy. */
void ssot_event_loop_free(ssot_event_loop *loop);

/* "epoll" or "poll", for the log. */
const char *ssot_event_loop_backend(const ssot_event_loop *loop);

#endif
