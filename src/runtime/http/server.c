/* The server's lifecycle (server.h): creates the libwebsockets context with a listener that
 * hands raw sockets to server_http.c, runs the service loop, flushes the access log and
 * sweeps timeouts on a timer, and on SIGINT/SIGTERM drains — stops accepting, lets requests
 * in flight finish, closes idle keep-alive connections — before it returns. Uses
 * libwebsockets on the epoll loop of event_loop.c, server_http.c, access_log.c, host/log.h. */
#define _POSIX_C_SOURCE 200809L /* sigaction, clock_gettime */
#include "runtime/http/access_log.h"
#include "runtime/http/event_loop.h"
#include "runtime/http/server_internal.h"

#include "host/log.h"
#include "ssot.h"

#include <openssl/rand.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop_signals; /* how many stop requests arrived */
static struct lws_context *volatile running_context;

int ssot_server_stop_requested(void) { return stop_signals > 0; }

void ssot_server_request_stop(void) {
    stop_signals++;
    struct lws_context *context = running_context;
    if (context) lws_cancel_service(context); /* wakes the loop: it only writes to a pipe */
}

static void on_stop_signal(int signo) {
    (void)signo;
    ssot_server_request_stop();
}

static const struct lws_protocols protocols[] = {
    {"ssot-http", ssot_server_http_callback, sizeof(http_conn), 0, 0, NULL, 0},
    {"ssot-accept", ssot_server_accept_callback, 0, 0, 0, NULL, 0}, /* shared listeners (server_listen.c) */
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws's own messages are for debugging ssot, not for its users. */
static void lws_log_to_ssot(int level, const char *line) {
    (void)level;
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') n--;
    ssot_logf(SSOT_LOG_DEBUG, "libwebsockets: %.*s", (int)n, line);
}

typedef struct server_timer {
    lws_sorted_usec_list_t sul; /* first: the callback gets a pointer to it */
    ssot_server *server;
    unsigned ticks;
} server_timer;

#define TIMER_PERIOD_US (100 * LWS_US_PER_MS)
#define TICKS_PER_SWEEP 10

static void on_timer(lws_sorted_usec_list_t *sul) {
    server_timer *timer = (server_timer *)sul;
    ssot_access_log_flush();
    if (++timer->ticks % TICKS_PER_SWEEP == 0) ssot_server_sweep(timer->server);
    lws_sul_schedule(timer->server->context, 0, &timer->sul, on_timer, TIMER_PERIOD_US);
}

/* The WebSocket handler's own tick (websocket.h tick_ms). */
typedef struct ws_timer {
    lws_sorted_usec_list_t sul; /* first: the callback gets a pointer to it */
    ssot_server *server;
} ws_timer;

static void on_ws_timer(lws_sorted_usec_list_t *sul) {
    ws_timer *timer = (ws_timer *)sul;
    const ssot_ws_handler *handler = &timer->server->options.websocket;
    handler->tick(handler->ctx);
    lws_sul_schedule(timer->server->context, 0, &timer->sul, on_ws_timer, handler->tick_ms * LWS_US_PER_MS);
}

/* The extra descriptor's timer (server.h watch): reconnecting, and polling it without epoll. */
typedef struct watch_timer {
    lws_sorted_usec_list_t sul; /* first: the callback gets a pointer to it */
    ssot_server *server;
    ssot_event_loop *loop;
    int fd;                     /* the descriptor watched now, -1: none */
} watch_timer;

static void watch_ready(void *ctx) {
    ssot_server *server = ctx;
    server->options.watch.ready(server->options.watch.ctx);
}

/* Moves the loop's watch to the descriptor the owner names now (after a reconnect). */
static void watch_rearm(watch_timer *timer) {
    int fd = timer->server->options.watch.fd(timer->server->options.watch.ctx);
    if (fd == timer->fd) return;
    timer->fd = fd;
    ssot_event_loop_watch(timer->loop, fd, watch_ready, timer->server);
}

static void on_watch_timer(lws_sorted_usec_list_t *sul) {
    watch_timer *timer = (watch_timer *)sul;
    watch_ready(timer->server);
    watch_rearm(timer);
    lws_sul_schedule(timer->server->context, 0, &timer->sul, on_watch_timer,
                     (timer->loop ? 1000 : 100) * LWS_US_PER_MS);
}

int64_t ssot_server_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* File descriptors kept for everything but connections: the database and its WAL and
 * shared-memory files (two connections), standard streams, the event loop's own, a static
 * file being sent, the listeners. */
#define RESERVED_FDS 32
/* The most descriptors a process uses: a higher `ulimit -n` is lowered to it, since
 * libwebsockets keeps two tables of that many entries (16 bytes each: 1 MiB here). More
 * connections than this take --workers. */
#define MAX_FDS (1u << 16)

/* How many connections the descriptor limit allows: accepting pauses at *accept_limit;
 * connections between *max_conns and it are answered 503 and closed. */
static int connection_limits(size_t *accept_limit, size_t *max_conns, char *err, size_t err_size) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) limit.rlim_cur = limit.rlim_max = 1024;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > MAX_FDS) {
        limit.rlim_cur = MAX_FDS;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
    }
    rlim_t fds = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > MAX_FDS ? MAX_FDS : limit.rlim_cur;
    if (fds < RESERVED_FDS + 16) {
        snprintf(err, err_size, "only %lu file descriptors are allowed (ulimit -n): ssot serve needs at least %d",
                 (unsigned long)fds, RESERVED_FDS + 16);
        return -1;
    }
    *accept_limit = (size_t)(fds - RESERVED_FDS);
    size_t overflow = *accept_limit / 8 < 4 ? 4 : *accept_limit / 8;
    if (overflow > 256) overflow = 256;
    *max_conns = *accept_limit - overflow;
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void install_signals(struct sigaction *old_int, struct sigaction *old_term, struct sigaction *old_pipe) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_stop_signal; /* no SA_RESTART: the loop's wait returns at once */
    sigaction(SIGINT, &action, old_int);
    sigaction(SIGTERM, &action, old_term);
    action.sa_handler = SIG_IGN; /* a client that goes away must not kill the server */
    sigaction(SIGPIPE, &action, old_pipe);
    sigaction(SIGXFSZ, &action, NULL); /* a file size limit is a write error, answered 507 */
}

static void restore_signals(const struct sigaction *old_int, const struct sigaction *old_term,
                            const struct sigaction *old_pipe) {
    sigaction(SIGINT, old_int, NULL);
    sigaction(SIGTERM, old_term, NULL);
    sigaction(SIGPIPE, old_pipe, NULL);
}

int ssot_server_run(const ssot_server_options *options, char *err, size_t err_size) {
    ssot_server server;
    memset(&server, 0, sizeof server);
    server.options = *options;
    if (server.options.drain_seconds <= 0) server.options.drain_seconds = 10;
    if (RAND_bytes((unsigned char *)&server.id_prefix, sizeof server.id_prefix) != 1)
        server.id_prefix = (uint32_t)now_seconds();
    ssot_access_log_enable(!options->quiet);

    lws_set_log_level(ssot_log_get_level() >= SSOT_LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR,
                      lws_log_to_ssot);
    if (connection_limits(&server.accept_limit, &server.max_conns, err, err_size)) return -1;
    /* the listeners: the workers' shared ones, or this process's own */
    const int *listen_fds = options->listen_fds;
    size_t nlisten = options->nlisten;
    int own_fds[2], port = options->port;
    if (nlisten == 0) {
        int n = ssot_server_listen(options->host, options->port, own_fds, &port, err, err_size);
        if (n < 0) return -1;
        listen_fds = own_fds;
        nlisten = (size_t)n;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = &server;
    info.pt_serv_buf_size = 32768; /* one read takes in a whole small request and its body */
    info.timeout_secs = 20;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;

    stop_signals = 0;
    struct sigaction old_int, old_term, old_pipe;
    install_signals(&old_int, &old_term, &old_pipe);
    ssot_event_loop *loop = NULL;
    server.context = ssot_event_loop_create_context(&info, &loop);
    const char *addresses[2], *bound[2];
    size_t naddresses = ssot_server_listen_addresses(options->host, addresses), nbound = 0;
    struct lws_context_creation_info vinfo;
    memset(&vinfo, 0, sizeof vinfo);
    vinfo.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    vinfo.protocols = protocols;
    vinfo.vhost_name = "ssot";
    struct lws_vhost *vhost = server.context ? lws_create_vhost(server.context, &vinfo) : NULL;
    if (!vhost || ssot_server_adopt_listeners(&server, vhost, listen_fds, nlisten) != 0) {
        if (server.context) lws_context_destroy(server.context); /* closes the listeners it adopted */
        for (size_t i = server.nlisteners; listen_fds == own_fds && i < nlisten; i++) close(own_fds[i]);
        ssot_event_loop_free(loop);
        restore_signals(&old_int, &old_term, &old_pipe);
        snprintf(err, err_size, "cannot start the event loop (libwebsockets): see the log above");
        return -1;
    }
    /* the addresses listened on: the loopback's IPv6 half may be missing (IPv6 off) */
    for (size_t i = 0; i < naddresses && i < nlisten; i++) bound[nbound++] = addresses[i] ? addresses[i] : "0.0.0.0";
    running_context = server.context;
    ssot_logf(SSOT_LOG_DEBUG, "event loop: %s", ssot_event_loop_backend(loop));
    if (options->on_listening) options->on_listening(options->listening_ctx, bound, nbound, port);

    server_timer timer = {.server = &server};
    lws_sul_schedule(server.context, 0, &timer.sul, on_timer, TIMER_PERIOD_US);
    ws_timer ws_tick = {.server = &server};
    const ssot_ws_handler *ws = &server.options.websocket;
    if (ws->path && ws->tick && ws->tick_ms > 0)
        lws_sul_schedule(server.context, 0, &ws_tick.sul, on_ws_timer, ws->tick_ms * LWS_US_PER_MS);
    watch_timer watch = {.server = &server, .loop = loop, .fd = -1};
    if (server.options.watch.fd) {
        watch_rearm(&watch);
        lws_sul_schedule(server.context, 0, &watch.sul, on_watch_timer, 100 * LWS_US_PER_MS);
    }

    double deadline = 0;
    for (;;) {
        if (stop_signals && !server.stopping) {
            server.stopping = 1;
            deadline = now_seconds() + server.options.drain_seconds;
            /* new connections are refused from now on: the listeners are closed (with workers,
             * this process's copies); lws_context_deprecate would close them but touches them
             * after freeing them */
            for (size_t i = 0; i < server.nlisteners; i++) lws_set_timeout(server.listeners[i], PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            ssot_logf(SSOT_LOG_INFO, "stopping: finishing %zu open connection(s)", server.nconns);
        }
        if (server.stopping) {
            ssot_server_sweep(&server); /* closes the idle ones */
            if (server.nconns == 0 || stop_signals > 1 || now_seconds() > deadline) break;
        }
        if (ssot_event_loop_run_once(server.context, loop) < 0) break;
        if (server.options.settle) ssot_server_settle(&server);
        if (server.options.watch.fd) {
            if (server.options.watch.settled) server.options.watch.settled(server.options.watch.ctx);
            watch_rearm(&watch);
        }
        ssot_server_ws_flush_held(&server); /* what the pass sent WebSocket clients */
    }
    if (server.options.settle) ssot_server_settle(&server);
    ssot_server_ws_flush_held(&server);

    lws_sul_cancel(&timer.sul);
    ssot_server_accept_stop(&server);
    if (ws->path && ws->tick && ws->tick_ms > 0) lws_sul_cancel(&ws_tick.sul);
    if (server.options.watch.fd) {
        lws_sul_cancel(&watch.sul);
        ssot_event_loop_watch(loop, -1, NULL, NULL);
    }
    running_context = NULL;
    lws_context_destroy(server.context);
    ssot_event_loop_free(loop);
    restore_signals(&old_int, &old_term, &old_pipe);
    ssot_access_log_flush();
    ssot_buf_free(&server.out);
    free(server.held);
    free(server.file_chunk);
    ssot_server_free_spares(&server);
    return 0;
}
