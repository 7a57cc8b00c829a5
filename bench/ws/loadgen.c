/* The WebSocket fan-out benchmark's load generator (bench/ws/run.mjs compiles it with
 * `cc -O2` and runs it pinned to its own CPU). One process, one epoll loop:
 *
 *   1. opens N WebSocket client connections (the RFC 6455 handshake, its accept key checked;
 *      masked frames), subscribes each to its channel (docs/protocol.md) and waits for every
 *      `subscribed`;
 *   2. prints {"event":"ready"} and, with --wait-go, waits for a line on stdin (the harness
 *      reads the server's memory with every client connected and idle in between);
 *   3. for each rate of --rate: writes over a few keep-alive HTTP/1.1 connections at that many
 *      writes a second (POST /api/messages, or PATCH /api/messages/<id> for the items
 *      scenario; to --write-port when given: another node on the same database, so every
 *      delivery crosses nodes), each carrying its send time (CLOCK_MONOTONIC ns) in the row's
 *      text, "t=<ns>", so every event frame a subscriber receives gives a latency; warm-up, then a
 *      measured window framed by {"event":"measure-start"} and {"event":"measure-end"} lines
 *      (the harness reads the server's CPU time there), then a drain until every delivery the
 *      window's writes owe has arrived (or --drain seconds); prints one {"event":"result"}
 *      JSON line per rate;
 *   4. closes every connection and prints {"event":"done"}.
 *
 * Uses only libc and Linux (epoll, timerfd); SHA-1 and base64 for the handshake are here.
 * Usage: loadgen --port N --subscribers N --scenario list|items|rooms [options]; --help. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* ---- options ---------------------------------------------------------------------------- */

enum scenario { SC_LIST, SC_ITEMS, SC_ROOMS };

static struct {
    const char *host;
    int port;
    int write_port; /* the writes' server (another node); 0: port */
    const char *path;
    int subscribers;
    enum scenario scenario;
    int channels;       /* rows (items) or rooms (rooms) the subscribers spread over */
    double rates[32];   /* writes per second, one measured step each */
    int nrates;
    double warmup, duration, drain;
    int writers;        /* keep-alive HTTP connections for the writes */
    int connect_batch;  /* handshakes in flight at once */
    double connect_timeout;
    int wait_go;        /* wait for a line on stdin once every client is subscribed */
    int hold;           /* with --wait-go: stay connected until stdin closes, no writes */
    double max_p99_ms;  /* a step whose p99 is above this is saturated */
    int stop_saturated; /* stop after the first saturated step */
} opt = {
    .host = "127.0.0.1", .path = "/ws", .subscribers = 1000, .scenario = SC_LIST, .channels = 100,
    .warmup = 2, .duration = 10, .drain = 5, .writers = 4, .connect_batch = 256, .connect_timeout = 120,
    .max_p99_ms = 1000, .stop_saturated = 1,
};

static void usage(FILE *f) {
    fputs("usage: loadgen --port N [options]\n"
          "  --host ADDR            server address (default 127.0.0.1)\n"
          "  --port N               server port\n"
          "  --write-port N         send the writes to this port instead (another node on the same database)\n"
          "  --path PATH            WebSocket path (default /ws)\n"
          "  --subscribers N        client connections (default 1000)\n"
          "  --scenario S           list | items | rooms (default list)\n"
          "  --channels N           rows (items) or rooms (rooms) the subscribers spread over, and\n"
          "                         the writes cycle through (default 100); rows 1..N must exist\n"
          "  --rate LIST            writes per second, one measured step each, e.g. 20,50,100\n"
          "  --warmup S             unmeasured writing before each step (default 2)\n"
          "  --duration S           measured window of each step (default 10)\n"
          "  --drain S              most time to wait for a window's deliveries after it (default 5)\n"
          "  --writers N            keep-alive HTTP connections for the writes (default 4)\n"
          "  --connect-batch N      handshakes in flight at once (default 256)\n"
          "  --connect-timeout S    give up when not every client subscribed by then (default 120)\n"
          "  --wait-go              once every client is subscribed, print ready and wait for a line on stdin\n"
          "  --hold                 with --wait-go: no writes; stay connected until stdin closes\n"
          "  --max-p99 MS           a step with a higher p99 is saturated (default 1000)\n"
          "  --all-steps            do not stop after the first saturated step\n"
          "Prints JSON lines on stdout: ready, measure-start, measure-end, result (one per rate), done.\n",
          f);
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static double parse_number(const char *flag, const char *s, double min) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || v < min) die("%s: expected a number >= %g, got '%s'", flag, min, s);
    return v;
}

static void parse_args(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE() (v ? (i++, v) : (die("%s: missing value", a), ""))
        if (!strcmp(a, "--host")) opt.host = VALUE();
        else if (!strcmp(a, "--port")) opt.port = (int)parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--write-port")) opt.write_port = (int)parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--path")) opt.path = VALUE();
        else if (!strcmp(a, "--subscribers")) opt.subscribers = (int)parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--scenario")) {
            const char *s = VALUE();
            if (!strcmp(s, "list")) opt.scenario = SC_LIST;
            else if (!strcmp(s, "items")) opt.scenario = SC_ITEMS;
            else if (!strcmp(s, "rooms")) opt.scenario = SC_ROOMS;
            else die("--scenario: list, items or rooms, not '%s'", s);
        } else if (!strcmp(a, "--channels")) opt.channels = (int)parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--rate")) {
            char *list = strdup(VALUE());
            for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (opt.nrates == 32) die("--rate: at most 32 steps");
                opt.rates[opt.nrates++] = parse_number(a, t, 0.001);
            }
            free(list);
        } else if (!strcmp(a, "--warmup")) opt.warmup = parse_number(a, VALUE(), 0);
        else if (!strcmp(a, "--duration")) opt.duration = parse_number(a, VALUE(), 0.1);
        else if (!strcmp(a, "--drain")) opt.drain = parse_number(a, VALUE(), 0);
        else if (!strcmp(a, "--writers")) opt.writers = (int)parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--connect-batch")) opt.connect_batch = (int)parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--connect-timeout")) opt.connect_timeout = parse_number(a, VALUE(), 1);
        else if (!strcmp(a, "--wait-go")) opt.wait_go = 1;
        else if (!strcmp(a, "--hold")) opt.hold = 1;
        else if (!strcmp(a, "--max-p99")) opt.max_p99_ms = parse_number(a, VALUE(), 0);
        else if (!strcmp(a, "--all-steps")) opt.stop_saturated = 0;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); exit(0); }
        else { usage(stderr); die("unknown option '%s'", a); }
#undef VALUE
    }
    if (!opt.port) die("--port is required");
    if (!opt.nrates && !opt.hold) die("--rate is required (or --wait-go --hold)");
    if (opt.hold && !opt.wait_go) die("--hold needs --wait-go");
}

/* ---- time, randomness ------------------------------------------------------------------- */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) { /* xorshift64*: mask keys and handshake keys need no more */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

/* ---- SHA-1 and base64, for the handshake's accept key ----------------------------------- */

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const unsigned char *data, size_t len, unsigned char out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    unsigned char *m = calloc(1, total);
    memcpy(m, data, len);
    m[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) m[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)m[off + 4 * i] << 24 | (uint32_t)m[off + 4 * i + 1] << 16 |
                   (uint32_t)m[off + 4 * i + 2] << 8 | m[off + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d, d = c, c = rol(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    free(m);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

static void base64(const unsigned char *in, size_t len, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}

/* ---- latency histogram: 1 µs resolution below 2 ms, then 1,024 buckets per power of two
 * (0.1% precision), so a step's percentiles need no list of samples ----------------------- */

#define HIST_SUB 1024
#define HIST_SIZE (2 * HIST_SUB + 40 * HIST_SUB)
static uint64_t hist[HIST_SIZE];
static uint64_t hist_count, hist_max_us;

static size_t hist_index(uint64_t us) {
    if (us < 2 * HIST_SUB) return (size_t)us;
    int msb = 63 - __builtin_clzll(us);
    int shift = msb - 10; /* us >> shift is in [1024, 2047] */
    size_t i = 2 * HIST_SUB + (size_t)(shift - 1) * HIST_SUB + (size_t)((us >> shift) - HIST_SUB);
    return i < HIST_SIZE ? i : HIST_SIZE - 1;
}

static double hist_value(size_t i) { /* the middle of bucket i, in µs */
    if (i < 2 * HIST_SUB) return (double)i;
    size_t shift = (i - 2 * HIST_SUB) / HIST_SUB + 1;
    uint64_t low = ((i - 2 * HIST_SUB) % HIST_SUB + HIST_SUB) << shift;
    return (double)low + (double)(1u << shift) / 2;
}

static void hist_add(uint64_t ns) {
    uint64_t us = ns / 1000;
    hist[hist_index(us)]++;
    hist_count++;
    if (us > hist_max_us) hist_max_us = us;
}

static double hist_percentile(double p) { /* in ms */
    if (!hist_count) return 0;
    uint64_t rank = (uint64_t)(p * (double)hist_count + 0.5);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_SIZE; i++) {
        seen += hist[i];
        if (seen >= rank) return hist_value(i) / 1000.0;
    }
    return (double)hist_max_us / 1000.0;
}

/* ---- connections ------------------------------------------------------------------------ */

enum kind { K_WS, K_HTTP, K_TIMER, K_STDIN };
enum ws_state { WS_IDLE, WS_CONNECTING, WS_HANDSHAKE, WS_SUBSCRIBING, WS_SUBSCRIBED, WS_CLOSED };

struct conn {
    enum kind kind;
    int fd;
    enum ws_state state;
    int channel;          /* row or room id, 1..channels (0 for Message:list) */
    char accept[32];      /* the Sec-WebSocket-Accept the server owes */
    char *in;             /* bytes received and not yet parsed */
    size_t in_len, in_cap;
    char *out;            /* bytes not yet sent (socket buffer full) */
    size_t out_len, out_cap;
    char *frag;           /* a fragmented message being assembled */
    size_t frag_len, frag_cap;
    uint64_t sent_ns;     /* HTTP: the write in flight was sent then (0: idle) */
};

static struct conn *ws;   /* the subscribers */
static struct conn *http; /* the writers */
static int epfd;
static struct sockaddr_in server_addr, write_addr; /* subscribers', writers' */

/* counters of the whole run and of the step being measured */
static struct {
    uint64_t subscribed, handshake_failures, connect_failures, dropped, closed_by_server;
    uint64_t protocol_errors, error_messages, bad_events, events_without_time, other_messages;
    uint64_t write_errors, http_failures;
    int close_codes[8];
    int nclose_codes;
} total;

static struct {
    int active;           /* writes are being sent */
    int measuring;        /* receipts now count towards the window */
    uint64_t t0, t1;      /* the measured window (send times and receipt times) */
    uint64_t window_deliveries; /* receipts during the window, whatever their send time */
    uint64_t owed;        /* deliveries the window's writes owe */
    uint64_t got;         /* deliveries of the window's writes received so far */
    uint64_t window_writes, writes_ok, write_errors, sent;
    uint64_t due;         /* writes due since the step started */
    uint64_t start_ns;
    double rate;
    uint64_t backlog_max;
    uint64_t write_latency_sum_ns, write_latency_max_ns;
} step;

static int *fanout; /* subscribers per channel (index 0..channels) */
static int inflight_handshakes;
static int next_to_open;

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    char *p = realloc(*buf, c);
    if (!p) die("out of memory");
    *buf = p;
    *cap = c;
}

static void watch(struct conn *c, uint32_t events, int op) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(epfd, op, c->fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
}

/* send_bytes: writes now what the socket takes and keeps the rest for EPOLLOUT. */
static void send_bytes(struct conn *c, const char *data, size_t len) {
    if (c->out_len == 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) n = 0; /* the read side notices the broken connection */
        if (n < 0) n = 0;
        data += n;
        len -= (size_t)n;
        if (len == 0) return;
        watch(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, EPOLL_CTL_MOD);
    }
    grow(&c->out, &c->out_cap, c->out_len + len);
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
}

static void flush_out(struct conn *c) {
    if (!c->out_len) return;
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n <= 0) return;
    memmove(c->out, c->out + n, c->out_len - (size_t)n);
    c->out_len -= (size_t)n;
    if (!c->out_len) watch(c, EPOLLIN | EPOLLRDHUP | EPOLLET, EPOLL_CTL_MOD);
}

/* send_frame: one masked client frame (RFC 6455 5.3). */
static void send_frame(struct conn *c, int opcode, const char *payload, size_t len) {
    char frame[14 + 256];
    char *big = NULL, *f = frame;
    if (len > 256) f = big = malloc(14 + len);
    size_t h = 0;
    f[h++] = (char)(0x80 | opcode);
    if (len < 126) f[h++] = (char)(0x80 | len);
    else if (len < 65536) { f[h++] = (char)(0x80 | 126); f[h++] = (char)(len >> 8); f[h++] = (char)len; }
    else { f[h++] = (char)(0x80 | 127); for (int i = 7; i >= 0; i--) f[h++] = (char)((uint64_t)len >> (8 * i)); }
    uint32_t key = (uint32_t)rng();
    unsigned char mask[4] = {(unsigned char)key, (unsigned char)(key >> 8), (unsigned char)(key >> 16), (unsigned char)(key >> 24)};
    memcpy(f + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++) f[h + i] = (char)(payload[i] ^ mask[i & 3]);
    send_bytes(c, f, h + len);
    free(big);
}

static void channel_name(const struct conn *c, char *out, size_t size) {
    if (opt.scenario == SC_LIST) snprintf(out, size, "Message:list");
    else if (opt.scenario == SC_ITEMS) snprintf(out, size, "Message:item:%d", c->channel);
    else snprintf(out, size, "room:%d", c->channel);
}

static void close_conn(struct conn *c) {
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
}

/* ws_lost: a subscriber's connection ended before the run did. */
static void ws_lost(struct conn *c, int by_server_close, int code) {
    if (c->state == WS_CLOSED) return;
    if (c->state == WS_CONNECTING || c->state == WS_HANDSHAKE) {
        total.handshake_failures++;
        inflight_handshakes--;
    } else if (c->state == WS_SUBSCRIBING) {
        inflight_handshakes--;
        total.dropped++;
    } else {
        total.dropped++;
    }
    if (by_server_close) {
        total.closed_by_server++;
        int seen = 0;
        for (int i = 0; i < total.nclose_codes; i++) seen |= total.close_codes[i] == code;
        if (!seen && total.nclose_codes < 8) total.close_codes[total.nclose_codes++] = code;
    }
    c->state = WS_CLOSED;
    close_conn(c);
}

static void open_ws(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) die("socket: %s (raise ulimit -n?)", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = WS_CONNECTING;
    inflight_handshakes++;
    if (connect(c->fd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0 && errno != EINPROGRESS) {
        total.connect_failures++;
        fprintf(stderr, "loadgen: connect: %s\n", strerror(errno));
        ws_lost(c, 0, 0);
        return;
    }
    watch(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, EPOLL_CTL_ADD);
}

static void send_handshake(struct conn *c) {
    unsigned char raw[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = rng();
        memcpy(raw + i, &r, 8);
    }
    char key[32], cat[80], req[512];
    unsigned char digest[20];
    base64(raw, 16, key);
    snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    sha1((unsigned char *)cat, strlen(cat), digest);
    base64(digest, 20, c->accept);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     opt.path, opt.host, opt.port, key);
    c->state = WS_HANDSHAKE;
    watch(c, EPOLLIN | EPOLLRDHUP | EPOLLET, EPOLL_CTL_MOD);
    send_bytes(c, req, (size_t)n);
}

/* header_value(head, name) -> the value of a header in a response head (case-insensitive
 * name), copied into out; 0 when absent. */
static int header_value(const char *head, size_t len, const char *name, char *out, size_t size) {
    size_t nl = strlen(name);
    for (const char *p = head; p && p < head + len;) {
        const char *eol = memmem(p, (size_t)(head + len - p), "\r\n", 2);
        if (!eol) break;
        if ((size_t)(eol - p) > nl + 1 && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t')) v++;
            const char *e = eol;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
            size_t n = (size_t)(e - v) < size - 1 ? (size_t)(e - v) : size - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        p = eol + 2;
    }
    return 0;
}

/* ---- what a subscriber receives --------------------------------------------------------- */

static void report_error_message(const char *what, const char *p, size_t len) {
    if (total.error_messages + total.protocol_errors + total.bad_events > 5) return;
    fprintf(stderr, "loadgen: %s: %.*s\n", what, (int)(len > 300 ? 300 : len), p);
}

/* delivered(c, p, len, now): one event object (p..p+len) reached a subscriber. */
static void delivered(struct conn *c, const char *p, size_t len, uint64_t now) {
    char want[64];
    char chan[40];
    channel_name(c, chan, sizeof chan);
    int n = snprintf(want, sizeof want, "\"channel\":\"%s\"", chan);
    int model = opt.scenario != SC_ROOMS;
    if (!memmem(p, len, want, (size_t)n) || (model && !memmem(p, len, "\"offset\":", 9))) {
        total.bad_events++;
        report_error_message("an event without its channel or offset", p, len);
    }
    if (step.measuring && now >= step.t0 && now < step.t1) step.window_deliveries++;
    const char *t = memmem(p, len, "\"text\":\"t=", 10);
    if (!t) {
        total.events_without_time++;
        return;
    }
    uint64_t sent = strtoull(t + 10, NULL, 10);
    if (step.t1 && sent >= step.t0 && sent < step.t1) {
        step.got++;
        hist_add(now > sent ? now - sent : 0);
    }
}

static void on_message(struct conn *c, const char *p, size_t len, uint64_t now) {
    if (len && p[0] == '[') { /* a batch: one event object after another */
        const char *end = p + len, *at = p;
        while ((at = memmem(at, (size_t)(end - at), "{\"type\":\"event\"", 15))) {
            const char *next = memmem(at + 15, (size_t)(end - at - 15), "{\"type\":", 8);
            delivered(c, at, (size_t)((next ? next : end) - at), now);
            at = next ? next : end;
        }
        return;
    }
    const char *type = memmem(p, len, "\"type\":\"", 8);
    if (!type) {
        total.protocol_errors++;
        report_error_message("a message without a type", p, len);
        return;
    }
    type += 8;
    size_t rest = len - (size_t)(type - p);
    if (rest > 6 && !memcmp(type, "event\"", 6)) {
        delivered(c, p, len, now);
    } else if (rest > 11 && !memcmp(type, "subscribed\"", 11)) {
        if (c->state == WS_SUBSCRIBING) {
            int model = opt.scenario != SC_ROOMS;
            if (model && (!memmem(p, len, "\"epoch\":", 8) || !memmem(p, len, "\"offset\":", 9))) {
                total.protocol_errors++;
                report_error_message("subscribed without epoch and offset", p, len);
            }
            c->state = WS_SUBSCRIBED;
            total.subscribed++;
            inflight_handshakes--;
        }
    } else if (rest > 6 && !memcmp(type, "error\"", 6)) {
        report_error_message("error message", p, len);
        total.error_messages++;
    } else if (rest > 5 && !memcmp(type, "pong\"", 5)) {
        /* nothing */
    } else {
        total.other_messages++;
    }
}

/* ws_frames: parses the server frames in buf; returns the bytes consumed, or -1 when the
 * connection must end. */
static ssize_t ws_frames(struct conn *c, const char *buf, size_t len, uint64_t now) {
    size_t pos = 0;
    while (len - pos >= 2) {
        const unsigned char *b = (const unsigned char *)buf + pos;
        int fin = b[0] & 0x80, opcode = b[0] & 0x0f;
        if (b[1] & 0x80 || b[0] & 0x70) {
            total.protocol_errors++;
            report_error_message("a masked server frame or reserved bits", "", 0);
            return -1;
        }
        uint64_t plen = b[1] & 0x7f;
        size_t h = 2;
        if (plen == 126) {
            if (len - pos < 4) break;
            plen = (uint64_t)b[2] << 8 | b[3];
            h = 4;
        } else if (plen == 127) {
            if (len - pos < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++) plen = plen << 8 | b[2 + i];
            h = 10;
        }
        if (plen > (64u << 20)) {
            total.protocol_errors++;
            return -1;
        }
        if (len - pos < h + plen) break;
        const char *payload = buf + pos + h;
        pos += h + plen;
        switch (opcode) {
        case 0x0: /* continuation */
        case 0x1:
        case 0x2:
            if (!fin || c->frag_len || opcode == 0) {
                grow(&c->frag, &c->frag_cap, c->frag_len + plen);
                memcpy(c->frag + c->frag_len, payload, plen);
                c->frag_len += plen;
                if (fin) {
                    on_message(c, c->frag, c->frag_len, now);
                    c->frag_len = 0;
                }
            } else {
                on_message(c, payload, plen, now);
            }
            break;
        case 0x8: { /* close: answer it and end */
            int code = plen >= 2 ? ((unsigned char)payload[0] << 8 | (unsigned char)payload[1]) : 1005;
            send_frame(c, 0x8, payload, plen >= 2 ? 2 : 0);
            fprintf(stderr, "loadgen: the server closed a connection with %d: %.*s\n", code,
                    (int)(plen > 2 ? plen - 2 : 0), payload + 2);
            ws_lost(c, 1, code);
            return -1;
        }
        case 0x9: send_frame(c, 0xA, payload, plen); break;
        case 0xA: break;
        default: total.protocol_errors++; return -1;
        }
    }
    return (ssize_t)pos;
}

/* ws_handshake_reply: the server's answer to the handshake (in c->in). Returns 1 when it is
 * complete and good (the bytes after it stay in c->in), 0 to wait, -1 on failure. */
static int ws_handshake_reply(struct conn *c) {
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return c->in_len > 16384 ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    char accept[64];
    if (c->in_len < 12 || memcmp(c->in + 9, "101", 3) != 0 ||
        !header_value(c->in, head, "Sec-WebSocket-Accept", accept, sizeof accept) || strcmp(accept, c->accept) != 0) {
        if (total.handshake_failures < 3)
            fprintf(stderr, "loadgen: handshake refused: %.*s\n", (int)(head > 300 ? 300 : head), c->in);
        return -1;
    }
    memmove(c->in, c->in + head, c->in_len - head);
    c->in_len -= head;
    char chan[40], msg[128];
    channel_name(c, chan, sizeof chan);
    int n = snprintf(msg, sizeof msg, "{\"type\":\"subscribe\",\"id\":1,\"channel\":\"%s\"}", chan);
    c->state = WS_SUBSCRIBING;
    send_frame(c, 0x1, msg, (size_t)n);
    return 1;
}

static char rbuf[1 << 18];

static void on_ws(struct conn *c, uint32_t events) {
    if (c->state == WS_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            total.connect_failures++;
            if (total.connect_failures < 3) fprintf(stderr, "loadgen: connect: %s\n", strerror(err));
            ws_lost(c, 0, 0);
            return;
        }
        if (events & EPOLLOUT) send_handshake(c);
        else return;
    }
    if (events & EPOLLOUT) flush_out(c);
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            ws_lost(c, 0, 0);
            return;
        }
        uint64_t now = now_ns();
        if (c->state == WS_HANDSHAKE || c->in_len) { /* bytes waiting: parse from c->in */
            grow(&c->in, &c->in_cap, c->in_len + (size_t)n);
            memcpy(c->in + c->in_len, rbuf, (size_t)n);
            c->in_len += (size_t)n;
            if (c->state == WS_HANDSHAKE) {
                int r = ws_handshake_reply(c);
                if (r < 0) { ws_lost(c, 0, 0); return; }
                if (r == 0) continue;
            }
            ssize_t used = ws_frames(c, c->in, c->in_len, now);
            if (used < 0) { ws_lost(c, 0, 0); return; }
            memmove(c->in, c->in + used, c->in_len - (size_t)used);
            c->in_len -= (size_t)used;
        } else { /* the common case: whole frames straight from the shared buffer */
            ssize_t used = ws_frames(c, rbuf, (size_t)n, now);
            if (used < 0) { ws_lost(c, 0, 0); return; }
            if (used < n) {
                grow(&c->in, &c->in_cap, (size_t)(n - used));
                memcpy(c->in, rbuf + used, (size_t)(n - used));
                c->in_len = (size_t)(n - used);
            }
        }
        if ((size_t)n < sizeof rbuf) break; /* drained: edge-triggered, the next data wakes us */
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ws_lost(c, 0, 0);
}

/* ---- the writers ------------------------------------------------------------------------ */

static uint64_t writes_issued; /* numbers the writes: row/room of each */
static uint64_t backlog;       /* writes due and not yet sent (every writer busy) */

static void open_http(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&write_addr, sizeof write_addr) != 0) die("connect (writer): %s", strerror(errno));
    set_nonblock(c->fd);
    c->kind = K_HTTP;
    c->sent_ns = 0;
    watch(c, EPOLLIN | EPOLLRDHUP | EPOLLET, EPOLL_CTL_ADD);
}

static void send_write(struct conn *c) {
    uint64_t k = writes_issued++;
    int target = (int)(k % (uint64_t)opt.channels) + 1;
    char body[160], req[512];
    uint64_t t = now_ns();
    int bl;
    int n;
    if (opt.scenario == SC_ITEMS) {
        bl = snprintf(body, sizeof body, "{\"text\":\"t=%" PRIu64 "\"}", t);
        n = snprintf(req, sizeof req, "PATCH /api/messages/%d HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     target, opt.host, opt.write_port, bl, body);
    } else {
        bl = snprintf(body, sizeof body, "{\"roomId\":%d,\"author\":\"loadgen\",\"text\":\"t=%" PRIu64 "\"}", target, t);
        n = snprintf(req, sizeof req, "POST /api/messages HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     opt.host, opt.write_port, bl, body);
    }
    c->sent_ns = t;
    step.sent++;
    if (step.t1 && t >= step.t0 && t < step.t1) {
        step.window_writes++;
        step.owed += (uint64_t)(opt.scenario == SC_LIST ? fanout[0] : fanout[target]);
    }
    send_bytes(c, req, (size_t)n);
}

/* http_response: one complete response in c->in? Returns its length, 0 to wait. */
static size_t http_response(struct conn *c, int *status) {
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - c->in) + 4;
    *status = c->in_len > 12 ? atoi(c->in + 9) : 0;
    char v[64];
    if (header_value(c->in, head, "Content-Length", v, sizeof v)) {
        size_t body = strtoull(v, NULL, 10);
        return c->in_len >= head + body ? head + body : 0;
    }
    if (header_value(c->in, head, "Transfer-Encoding", v, sizeof v)) { /* chunked */
        size_t pos = head;
        for (;;) {
            const char *eol = memmem(c->in + pos, c->in_len - pos, "\r\n", 2);
            if (!eol) return 0;
            size_t size = strtoull(c->in + pos, NULL, 16);
            pos = (size_t)(eol - c->in) + 2 + size + 2;
            if (pos > c->in_len) return 0;
            if (size == 0) return pos;
        }
    }
    return head; /* no body */
}

/* reopen_http: a writer's connection ended (servers close idle keep-alive connections, as
 * uWebSockets.js does after 10 s): a write in flight on it failed; open it again. */
static void reopen_http(struct conn *c, const char *why) {
    if (c->sent_ns) {
        step.write_errors++;
        total.write_errors++;
        fprintf(stderr, "loadgen: a write failed: its HTTP connection closed (%s)\n", why);
    }
    close_conn(c);
    c->in_len = c->out_len = 0;
    open_http(c);
}

static void on_http(struct conn *c, uint32_t events) {
    if (events & EPOLLOUT) flush_out(c);
    for (;;) {
        ssize_t n = recv(c->fd, rbuf, sizeof rbuf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            reopen_http(c, n ? strerror(errno) : "by the server");
            return;
        }
        grow(&c->in, &c->in_cap, c->in_len + (size_t)n);
        memcpy(c->in + c->in_len, rbuf, (size_t)n);
        c->in_len += (size_t)n;
    }
    int status;
    size_t len;
    while (c->sent_ns && (len = http_response(c, &status))) {
        uint64_t took = now_ns() - c->sent_ns;
        if (status == 200 || status == 201) {
            step.writes_ok++;
        } else {
            step.write_errors++;
            total.write_errors++;
            if (total.write_errors <= 3) fprintf(stderr, "loadgen: a write answered %d: %.*s\n", status, (int)(len > 400 ? 400 : len), c->in);
        }
        step.write_latency_sum_ns += took;
        if (took > step.write_latency_max_ns) step.write_latency_max_ns = took;
        memmove(c->in, c->in + len, c->in_len - len);
        c->in_len -= len;
        c->sent_ns = 0;
        if (step.active && backlog) { /* a write was waiting for a free connection */
            backlog--;
            send_write(c);
        }
    }
}

/* tick: sends the writes due by now at the step's rate, on idle writers. */
static void tick(uint64_t now) {
    if (!step.active) return;
    uint64_t due = (uint64_t)((double)(now - step.start_ns) / 1e9 * step.rate);
    if (due > step.due) {
        backlog += due - step.due;
        step.due = due;
    }
    /* round-robin over the writers, so every connection stays in use */
    static int next_writer;
    for (int tried = 0; tried < opt.writers && backlog; tried++) {
        struct conn *c = &http[next_writer];
        next_writer = (next_writer + 1) % opt.writers;
        if (!c->sent_ns) {
            backlog--;
            send_write(c);
        }
    }
    if (backlog > step.backlog_max) step.backlog_max = backlog;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static struct conn timer_conn = {.kind = K_TIMER}, stdin_conn = {.kind = K_STDIN};
static int stdin_state; /* 0 waiting, 1 a line arrived, 2 closed */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

/* run_until(deadline_ns, done) -> services every socket until the deadline (0: none) or
 * done() says so. */
static void run_until(uint64_t deadline, int (*done)(void)) {
    struct epoll_event events[512];
    while (!stop_requested && !(done && done())) {
        uint64_t now = now_ns();
        if (deadline && now >= deadline) return;
        int n = epoll_wait(epfd, events, 512, 50);
        if (n < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            switch (c->kind) {
            case K_WS: on_ws(c, events[i].events); break;
            case K_HTTP: on_http(c, events[i].events); break;
            case K_TIMER: {
                uint64_t expirations;
                if (read(c->fd, &expirations, sizeof expirations) < 0) { /* nothing due yet */ }
                tick(now_ns());
                break;
            }
            case K_STDIN: {
                char line[256];
                ssize_t r = read(c->fd, line, sizeof line);
                stdin_state = r > 0 ? 1 : 2;
                if (r <= 0) epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
                break;
            }
            }
        }
        /* open more subscribers while fewer than connect_batch handshakes are in flight */
        while (next_to_open < opt.subscribers && inflight_handshakes < opt.connect_batch) open_ws(&ws[next_to_open++]);
    }
}

static int all_subscribed(void) {
    return next_to_open == opt.subscribers && inflight_handshakes == 0;
}
static int stdin_line(void) { return stdin_state != 0; }
static int stdin_closed(void) { return stdin_state == 2; }
static int window_complete(void) { return step.got >= step.owed; }

static void emit(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static const char *scenario_name(void) {
    return opt.scenario == SC_LIST ? "list" : opt.scenario == SC_ITEMS ? "items" : "rooms";
}

/* measure_step(rate) -> whether the step was sustained; prints its result line. */
static int measure_step(double rate, int index) {
    memset(&step, 0, sizeof step);
    memset(hist, 0, sizeof hist);
    hist_count = hist_max_us = 0;
    backlog = 0;
    step.rate = rate;
    /* a tick per write up to 1,000 writes/s, then every millisecond: fewer wake-ups of the
     * load generator at low rates, and at most a millisecond late at high ones */
    long tick_ns = rate <= 1000 ? (long)(1e9 / rate) : 1000000;
    struct itimerspec every = {.it_interval = {tick_ns / 1000000000, tick_ns % 1000000000},
                               .it_value = {tick_ns / 1000000000, tick_ns % 1000000000}};
    timerfd_settime(timer_conn.fd, 0, &every, NULL);
    step.start_ns = now_ns();
    step.active = 1;
    run_until(step.start_ns + (uint64_t)(opt.warmup * 1e9), NULL);

    double cpu0 = cpu_seconds();
    step.t0 = now_ns();
    step.t1 = step.t0 + (uint64_t)(opt.duration * 1e9);
    step.measuring = 1;
    uint64_t due0 = step.due;
    emit("{\"event\":\"measure-start\",\"step\":%d,\"rate\":%g}\n", index, rate);
    run_until(step.t1, NULL);
    emit("{\"event\":\"measure-end\",\"step\":%d}\n", index);
    double cpu1 = cpu_seconds();
    uint64_t due_in_window = step.due - due0;
    step.active = 0;
    struct itimerspec off = {{0, 0}, {0, 0}};
    timerfd_settime(timer_conn.fd, 0, &off, NULL);
    uint64_t drain_from = now_ns();
    run_until(drain_from + (uint64_t)(opt.drain * 1e9), window_complete);
    double drained = (double)(now_ns() - drain_from) / 1e9;
    /* let in-flight writes finish before the next step */
    for (uint64_t until = now_ns() + 2000000000u; now_ns() < until;) {
        int busy = 0;
        for (int i = 0; i < opt.writers; i++) busy |= http[i].sent_ns != 0;
        if (!busy) break;
        run_until(now_ns() + 10000000u, NULL);
    }

    double secs = (double)(step.t1 - step.t0) / 1e9;
    uint64_t missing = step.owed > step.got ? step.owed - step.got : 0;
    double p99 = hist_percentile(0.99);
    /* sustained: every write due was sent, within 1% every delivery arrived within the drain,
     * and the p99 stayed under --max-p99 */
    int kept_up = step.window_writes + due_in_window / 100 + 1 >= due_in_window;
    int sustained = kept_up && missing * 100 <= step.owed && p99 <= opt.max_p99_ms && !step.write_errors;
    uint64_t writes_done = step.writes_ok + step.write_errors;
    emit("{\"event\":\"result\",\"step\":%d,\"scenario\":\"%s\",\"subscribers\":%d,\"rate\":%g,"
         "\"seconds\":%.3f,\"writes\":%" PRIu64 ",\"writes_due\":%" PRIu64 ",\"write_errors\":%" PRIu64 ","
         "\"write_ms_mean\":%.3f,\"write_ms_max\":%.3f,\"backlog_max\":%" PRIu64 ","
         "\"deliveries\":%" PRIu64 ",\"deliveries_per_s\":%.1f,\"owed\":%" PRIu64 ",\"received\":%" PRIu64 ","
         "\"missing\":%" PRIu64 ",\"drain_s\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
         "\"loadgen_cpu_s\":%.3f,\"sustained\":%s}\n",
         index, scenario_name(), opt.subscribers, rate, secs, step.window_writes, due_in_window, step.write_errors,
         writes_done ? (double)step.write_latency_sum_ns / (double)writes_done / 1e6 : 0.0,
         (double)step.write_latency_max_ns / 1e6, step.backlog_max, step.window_deliveries,
         (double)step.window_deliveries / secs, step.owed, step.got, missing, drained, hist_percentile(0.50), p99,
         (double)hist_max_us / 1000.0, cpu1 - cpu0, sustained ? "true" : "false");
    return sustained;
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rng_state ^= now_ns() ^ ((uint64_t)getpid() << 32);

    /* every subscriber and writer is a descriptor: raise the soft limit to the hard one */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)opt.subscribers + (rlim_t)opt.writers + 64;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < need)
            die("%d subscribers need %lu descriptors; the hard limit (ulimit -Hn) is %lu", opt.subscribers,
                (unsigned long)need, (unsigned long)rl.rlim_max);
    }

    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &server_addr.sin_addr) != 1) die("--host: an IPv4 address, not '%s'", opt.host);
    if (!opt.write_port) opt.write_port = opt.port;
    write_addr = server_addr;
    write_addr.sin_port = htons((uint16_t)opt.write_port);

    epfd = epoll_create1(0);
    ws = calloc((size_t)opt.subscribers, sizeof *ws);
    http = calloc((size_t)opt.writers, sizeof *http);
    fanout = calloc((size_t)opt.channels + 1, sizeof *fanout);
    for (int i = 0; i < opt.subscribers; i++) {
        ws[i].kind = K_WS;
        ws[i].fd = -1;
        ws[i].channel = opt.scenario == SC_LIST ? 0 : i % opt.channels + 1;
        fanout[ws[i].channel]++;
    }

    timer_conn.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK); /* armed by each step */
    watch(&timer_conn, EPOLLIN, EPOLL_CTL_ADD);

    /* 1. connect and subscribe every client */
    uint64_t t = now_ns();
    run_until(t + (uint64_t)(opt.connect_timeout * 1e9), all_subscribed);
    double connect_s = (double)(now_ns() - t) / 1e9;
    int ok = total.subscribed == (uint64_t)opt.subscribers;
    emit("{\"event\":\"ready\",\"subscribed\":%" PRIu64 ",\"subscribers\":%d,\"connect_s\":%.3f,"
         "\"connect_failures\":%" PRIu64 ",\"handshake_failures\":%" PRIu64 ",\"protocol_errors\":%" PRIu64 "}\n",
         total.subscribed, opt.subscribers, connect_s, total.connect_failures, total.handshake_failures,
         total.protocol_errors);

    if (ok && opt.wait_go) { /* 2. the harness reads the server's memory, then says go */
        stdin_conn.fd = 0;
        set_nonblock(0);
        watch(&stdin_conn, EPOLLIN, EPOLL_CTL_ADD);
        run_until(0, opt.hold ? stdin_closed : stdin_line);
    }

    /* 3. the rate steps */
    if (ok && !opt.hold) {
        for (int i = 0; i < opt.writers; i++) open_http(&http[i]);
        for (int i = 0; i < opt.nrates && !stop_requested; i++) {
            if (!measure_step(opt.rates[i], i) && opt.stop_saturated) break;
        }
    }

    /* 4. close every connection (a close frame, then the socket) */
    uint64_t lost_before_close = total.dropped;
    for (int i = 0; i < opt.subscribers; i++) {
        if (ws[i].fd >= 0 && ws[i].state == WS_SUBSCRIBED) {
            send_frame(&ws[i], 0x8, "\x03\xe8", 2);
            close_conn(&ws[i]);
        } else {
            close_conn(&ws[i]);
        }
    }
    for (int i = 0; i < opt.writers; i++) close_conn(&http[i]);
    char codes[64] = "";
    for (int i = 0; i < total.nclose_codes; i++)
        snprintf(codes + strlen(codes), sizeof codes - strlen(codes), "%s%d", i ? "," : "", total.close_codes[i]);
    emit("{\"event\":\"done\",\"ok\":%s,\"dropped\":%" PRIu64 ",\"closed_by_server\":%" PRIu64 ",\"close_codes\":[%s],"
         "\"protocol_errors\":%" PRIu64 ",\"error_messages\":%" PRIu64 ",\"bad_events\":%" PRIu64 ","
         "\"events_without_time\":%" PRIu64 ",\"other_messages\":%" PRIu64 ",\"write_errors\":%" PRIu64 "}\n",
         ok ? "true" : "false", lost_before_close, total.closed_by_server, codes, total.protocol_errors,
         total.error_messages, total.bad_events, total.events_without_time, total.other_messages, total.write_errors);
    return ok ? 0 : 1;
}
