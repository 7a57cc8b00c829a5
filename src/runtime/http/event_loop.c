/* The server's event loop (event_loop.h): a libev loop on epoll handed to libwebsockets as
 * its foreign loop, run one pass at a time so the server can end each pass (the group
 * commit, server.h settle) exactly as it does after lws_service. Uses libev, libwebsockets,
 * host/log.h. */
#include "runtime/http/event_loop.h"

#include "host/log.h"
#include "ssot.h"

#include <ev.h>
#include <stdlib.h>

struct ssot_event_loop {
    struct ev_loop *ev;
    ev_io watch;            /* ssot_event_loop_watch's descriptor, when watch_fd >= 0 */
    int watch_fd;
    void (*ready)(void *ctx);
    void *ready_ctx;
};

static void on_watch(struct ev_loop *ev, ev_io *io, int revents) {
    (void)ev;
    (void)revents;
    ssot_event_loop *loop = io->data;
    loop->ready(loop->ready_ctx);
}

int ssot_event_loop_watch(ssot_event_loop *loop, int fd, void (*ready)(void *ctx), void *ctx) {
    if (!loop) return -1;
    if (loop->watch_fd >= 0) ev_io_stop(loop->ev, &loop->watch);
    loop->watch_fd = fd;
    loop->ready = ready;
    loop->ready_ctx = ctx;
    if (fd < 0) return 0;
    ev_io_init(&loop->watch, on_watch, fd, EV_READ);
    loop->watch.data = loop;
    ev_io_start(loop->ev, &loop->watch);
    return 0;
}

struct lws_context *ssot_event_loop_create_context(struct lws_context_creation_info *info, ssot_event_loop **loop) {
    *loop = NULL;
    /* no signal watchers: the server's own SIGINT/SIGTERM handlers stay in charge */
    struct ev_loop *ev = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
    ssot_event_loop *made = ev ? calloc(1, sizeof *made) : NULL;
    if (made) {
        made->ev = ev;
        made->watch_fd = -1;
        void *foreign[1] = {ev};
        struct lws_context_creation_info with_ev = *info;
        with_ev.options |= LWS_SERVER_OPTION_LIBEV;
        with_ev.foreign_loops = foreign;
        struct lws_context *context = lws_create_context(&with_ev);
        if (context) {
            *loop = made;
            return context;
        }
    }
    free(made);
    if (ev) ev_loop_destroy(ev);
    ssot_logf(SSOT_LOG_WARN, "serving with poll(): the epoll event loop needs libev and libwebsockets' libev plugin "
                             "(Debian: apt-get install libwebsockets-evlib-ev); with many connections it costs more CPU");
    return lws_create_context(info);
}

int ssot_event_loop_run_once(struct lws_context *context, ssot_event_loop *loop) {
    if (!loop) return lws_service(context, 0);
    ev_run(loop->ev, EVRUN_ONCE);
    return 0;
}

void ssot_event_loop_free(ssot_event_loop *loop) {
    if (!loop) return;
    if (loop->watch_fd >= 0) ev_io_stop(loop->ev, &loop->watch);
    ev_loop_destroy(loop->ev);
    free(loop);
}

const char *ssot_event_loop_backend(const ssot_event_loop *loop) { return loop ? "epoll" : "poll"; }
