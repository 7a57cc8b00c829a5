/* Listening and accepting (server.h ssot_server_listen, listen_fds): the listening sockets
 * are made here (or, with workers, once before they fork, and shared), adopted into
 * libwebsockets as raw descriptors of the "ssot-accept" protocol, and accepted from by this
 * file, which hands each connection to libwebsockets as if its own listener had accepted it
 * (a worker that loses the race for a connection gets EAGAIN). Accepting here rather than in
 * libwebsockets' listener keeps its descriptor-to-connection lookup a direct index (its
 * fd_limit_per_thread below `ulimit -n` turns every lookup into a walk of the table) while
 * descriptors are still kept for the database and files: at accept_limit connections the
 * listeners stop being watched until one closes, and running out of descriptors anyway
 * pauses them for a moment instead of spinning. (libwebsockets 4.1 as Debian builds it does
 * not set SO_REUSEPORT for its listen-share option, so workers cannot each bind the port.)
 * Also the addresses a host option means. Uses POSIX sockets, libwebsockets,
 * server_internal.h. */
#define _GNU_SOURCE /* accept4 */
#include "runtime/http/server_internal.h"

#include "host/log.h"
#include "ssot.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

size_t ssot_server_listen_addresses(const char *host, const char *out[2]) {
    if (!host || strcmp(host, "localhost") == 0) {
        out[0] = "127.0.0.1";
        out[1] = "::1";
        return 2;
    }
    out[0] = !*host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0 ? NULL : host;
    return 1;
}

/* A socket listening on address (NULL: every IPv4 interface) at port, or -1. */
static int listen_one(const char *address, int port) {
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = address ? AF_UNSPEC : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (address ? AI_NUMERICHOST : 0);
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(address, service, &hints, &found) != 0 || !found) return -1;
    int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
                    (found->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
                    bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0)) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(found);
    return fd;
}

static int port_of(int fd) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) return -1;
    if (addr.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

int ssot_server_listen(const char *host, int port, int fds[2], int *bound_port, char *err, size_t err_size) {
    const char *addresses[2];
    size_t n = ssot_server_listen_addresses(host, addresses);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = listen_one(addresses[i], port);
        if (fd < 0) {
            if (n == 2 && count == 1) continue; /* the loopback's IPv6 half may be missing: IPv4 will do */
            for (int k = 0; k < count; k++) close(fds[k]);
            snprintf(err, err_size,
                     "cannot listen on %s:%d: the port is in use or the address is not on this machine "
                     "(choose another with --port or --host)",
                     host ? host : "localhost", port);
            return -1;
        }
        fds[count++] = fd;
        port = port_of(fd); /* the next address takes the port the first got */
    }
    *bound_port = port;
    return count;
}

int ssot_server_adopt_listeners(ssot_server *server, struct lws_vhost *vhost, const int *fds, size_t n) {
    for (size_t i = 0; i < n && server->nlisteners < sizeof server->listeners / sizeof server->listeners[0]; i++) {
        lws_sock_file_fd_type fd = {.filefd = fds[i]};
        struct lws *wsi = lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, fd, "ssot-accept", NULL);
        if (!wsi) return -1;
        server->listeners[server->nlisteners++] = wsi;
    }
    return 0;
}

/* Watches the listeners for connections, or stops watching them. */
static void set_accepting(ssot_server *server, int on) {
    if (server->accept_paused == !on) return;
    server->accept_paused = !on;
    for (size_t i = 0; i < server->nlisteners; i++) lws_rx_flow_control(server->listeners[i], on);
}

void ssot_server_accept_resume(ssot_server *server) {
    if (server->accept_paused && !server->stopping && server->nconns < server->accept_limit) set_accepting(server, 1);
}

static void on_accept_retry(lws_sorted_usec_list_t *sul) {
    ssot_server_accept_resume(lws_container_of(sul, ssot_server, accept_retry));
}

void ssot_server_accept_stop(ssot_server *server) { lws_sul_cancel(&server->accept_retry); }

/* How long accepting pauses when the process or the system has no descriptor left. */
#define ACCEPT_RETRY_MS 100
/* Running out of descriptors is logged at most this often. */
#define ACCEPT_WARN_EVERY_MS 10000

/* No descriptor for a new connection (EMFILE, ENFILE) or no memory for it: the connection
 * stays in the kernel's queue, the listeners rest for ACCEPT_RETRY_MS (or until a connection
 * closes), and the log says so now and then. */
static void pause_accepting(ssot_server *server, int error) {
    int64_t now = ssot_server_now_ms();
    if (!server->accept_warned_ms || now - server->accept_warned_ms >= ACCEPT_WARN_EVERY_MS) {
        server->accept_warned_ms = now;
        ssot_logf(SSOT_LOG_WARN, "cannot accept connections: %s (%zu open; raise ulimit -n): retrying", strerror(error),
                  server->nconns);
    }
    set_accepting(server, 0);
    lws_sul_schedule(server->context, 0, &server->accept_retry, on_accept_retry, ACCEPT_RETRY_MS * LWS_US_PER_MS);
}

static void forget_listener(ssot_server *server, struct lws *wsi) {
    for (size_t i = 0; i < server->nlisteners; i++) {
        if (server->listeners[i] != wsi) continue;
        server->listeners[i] = server->listeners[--server->nlisteners];
        return;
    }
}

int ssot_server_accept_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    (void)user, (void)in, (void)len;
    if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
        forget_listener(lws_context_user(lws_get_context(wsi)), wsi);
        return 0;
    }
    if (reason != LWS_CALLBACK_RAW_RX_FILE) return 0;
    ssot_server *server = lws_context_user(lws_get_context(wsi));
    /* draining: the listener is closed (lws closes the descriptor; with workers, the others
     * keep their copies) */
    if (server->stopping) return -1;
    int listener = lws_get_socket_fd(wsi);
    for (;;) {
        if (server->nconns >= server->accept_limit) {
            set_accepting(server, 0); /* until one closes (ssot_server_accept_resume) */
            return 0;
        }
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                pause_accepting(server, errno);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED) {
                ssot_logf(SSOT_LOG_WARN, "accepting a connection: %s", strerror(errno));
            }
            return 0; /* another worker took it, or nothing more is waiting */
        }
        /* responses and frames leave as soon as they are written, as libwebsockets' own
         * listener would have it */
        int on = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        lws_sock_file_fd_type sock = {.sockfd = fd};
        /* raw, as the listener's own accepts are (the HTTP framing is ours) */
        if (!lws_adopt_descriptor_vhost(lws_get_vhost(wsi), LWS_ADOPT_SOCKET, sock, "ssot-http", NULL))
            ssot_logf(SSOT_LOG_WARN, "a connection could not be taken on (lws refused it)");
    }
}
