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
};

struct lws_context *ssot_event_loop_create_context(struct lws_context_creation_info *info, ssot_event_loop **loop) {
    *loop = NULL;
    /* no signal watchers: the server's own SIGINT/SIGTERM handlers stay in charge */
    struct ev_loop *ev = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
    ssot_event_loop *made = ev ? calloc(1, sizeof *made) : NULL;
    if (made) {
        made->ev = ev;
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
    ev_loop_destroy(loop->ev);
    free(loop);
}

const char *ssot_event_loop_backend(const ssot_event_loop *loop) { return loop ? "epoll" : "poll"; }
