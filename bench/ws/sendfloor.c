/* The kernel's floor under a WebSocket fan-out: the CPU one process spends doing nothing but
 * writing the same small frame to each of N loopback TCP connections, in bursts (one burst
 * per write, as the list scenario's events), with the receiving side drained by a child
 * process on another CPU. Whatever a server does per delivery costs at least this much; see
 * floor.mjs, which runs it beside the benchmark's figures. Ways of writing: send() per
 * connection, sendmsg() per connection (what ssot and uWebSockets.js do), and, when built with
 * -DSENDFLOOR_URING and liburing, one io_uring submission per burst.
 *
 *   sendfloor CONNECTIONS BYTES BURSTS_PER_S SECONDS SERVER_CPU CLIENT_CPU MODE
 *
 * MODE: send, sendmsg or io_uring. Prints one JSON line: the sends made, the sends that did not
 * go out whole (socket full), and CPU microseconds (user + system) per send over the measured
 * window, after a one-second warm-up. Uses POSIX sockets, epoll, getrusage, and liburing. */
#define _GNU_SOURCE /* sched_setaffinity, MSG_NOSIGNAL */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef SENDFLOOR_URING
#include <liburing.h>
#endif

static void fail(const char *what) {
    fprintf(stderr, "sendfloor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) fail("pinning to a CPU");
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec / 1e6;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The receiving side: connects n sockets to port and reads until they close. */
static void receive(int n, int port, int cpu) {
    pin(cpu);
    int poller = epoll_create1(0);
    if (poller < 0) fail("epoll_create1");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) fail("connecting");
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(poller, EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl");
    }
    static char buf[1 << 16];
    struct epoll_event events[512];
    for (int open = n; open > 0;) {
        int ready = epoll_wait(poller, events, 512, -1);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) fail("epoll_wait");
        for (int i = 0; i < ready; i++) {
            ssize_t got = read(events[i].data.fd, buf, sizeof buf);
            if (got <= 0) {
                close(events[i].data.fd);
                open--;
            }
        }
    }
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: sendfloor CONNECTIONS BYTES BURSTS_PER_S SECONDS SERVER_CPU CLIENT_CPU send|sendmsg|io_uring\n");
        return 2;
    }
    int n = atoi(argv[1]), bytes = atoi(argv[2]);
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    int server_cpu = atoi(argv[5]), client_cpu = atoi(argv[6]);
    const char *mode = argv[7];
    if (n < 1 || bytes < 1 || bytes > 65536 || rate <= 0 || seconds <= 0) {
        fprintf(stderr, "sendfloor: connections, bytes (at most 65536), bursts per second and seconds must be positive\n");
        return 2;
    }
    int uring = strcmp(mode, "io_uring") == 0, use_sendmsg = strcmp(mode, "sendmsg") == 0;
    if (!uring && !use_sendmsg && strcmp(mode, "send") != 0) {
        fprintf(stderr, "sendfloor: unknown mode %s (send, sendmsg or io_uring)\n", mode);
        return 2;
    }
#ifndef SENDFLOOR_URING
    if (uring) {
        fprintf(stderr, "sendfloor: built without liburing (install liburing-dev)\n");
        return 3;
    }
#endif

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
        fail("listening");
    pid_t child = fork();
    if (child < 0) fail("fork");
    if (child == 0) receive(n, ntohs(addr.sin_port), client_cpu);
    pin(server_cpu);
    int *fds = malloc((size_t)n * sizeof *fds);
    if (!fds) fail("malloc");
    for (int i = 0; i < n; i++) {
        fds[i] = accept(listener, NULL, NULL);
        if (fds[i] < 0) fail("accept");
        int on = 1;
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    char *frame = malloc((size_t)bytes);
    if (!frame) fail("malloc");
    memset(frame, 'x', (size_t)bytes);
#ifdef SENDFLOOR_URING
    struct io_uring ring;
    if (uring && io_uring_queue_init(4096, &ring, 0) != 0) fail("io_uring_queue_init");
#endif

    unsigned long long sends = 0, short_sends = 0;
    double interval = 1.0 / rate, start = now_seconds(), measure_from = start + 1.0, until = measure_from + seconds;
    double cpu_start = 0;
    int measuring = 0;
    for (double next = start; now_seconds() < until; next += interval) {
        double now = now_seconds();
        if (!measuring && now >= measure_from) {
            measuring = 1;
            cpu_start = cpu_seconds();
            sends = short_sends = 0;
        }
        if (next > now) {
            struct timespec pause = {(time_t)(next - now), (long)((next - now - (double)(time_t)(next - now)) * 1e9)};
            nanosleep(&pause, NULL);
        }
        if (!uring) {
            for (int i = 0; i < n; i++) {
                ssize_t sent;
                if (use_sendmsg) {
                    struct iovec iov = {frame, (size_t)bytes};
                    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
                    sent = sendmsg(fds[i], &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
                } else {
                    sent = send(fds[i], frame, (size_t)bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
                }
                sends++;
                if (sent != bytes) short_sends++;
            }
        }
#ifdef SENDFLOOR_URING
        for (int done = 0; uring && done < n;) {
            int batch = 0;
            for (; done + batch < n && batch < 4096; batch++) {
                struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
                io_uring_prep_send(sqe, fds[done + batch], frame, (size_t)bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
            }
            io_uring_submit(&ring);
            for (int seen = 0; seen < batch;) {
                struct io_uring_cqe *cqe;
                if (io_uring_wait_cqe(&ring, &cqe) != 0) fail("io_uring_wait_cqe");
                unsigned head, count = 0;
                io_uring_for_each_cqe(&ring, head, cqe) {
                    sends++;
                    if (cqe->res != bytes) short_sends++;
                    count++;
                }
                io_uring_cq_advance(&ring, count);
                seen += (int)count;
            }
            done += batch;
        }
#endif
    }
    double cpu = cpu_seconds() - cpu_start;
    for (int i = 0; i < n; i++) close(fds[i]);
    waitpid(child, NULL, 0);
    printf("{\"mode\":\"%s\",\"connections\":%d,\"bytes\":%d,\"bursts_per_s\":%g,\"sends\":%llu,\"short_sends\":%llu,"
           "\"cpu_us_per_send\":%.3f}\n",
           mode, n, bytes, rate, sends, short_sends, sends ? cpu * 1e6 / (double)sends : 0.0);
    return 0;
}
