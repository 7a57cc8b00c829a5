/* Tests of the HTTP/1.1 request parser (src/runtime/http/http_parse.c, http_target.c,
 * http_chunked.c): where a head ends, the request line and the fields ssot reads, every
 * framing rule that keeps one request from being read as two, the decoded and normalized
 * path and query, and chunked bodies fed whole and byte by byte. */
#include "check.h"
#include "runtime/http/http_parse.h"

#include <string.h>

static int failures;

/* Parses text as a complete head; returns the problem's status, or 0. */
static int parse(const char *text, ssot_http_request_head *head) {
    ssot_http_problem problem = {0};
    size_t scanned = 0;
    long end = ssot_http_head_end(text, strlen(text), &scanned, &problem);
    if (end < 0) return ssot_error_facts[problem.kind].status;
    if (end == 0) return -1; /* incomplete */
    if (ssot_http_parse_head(text, (size_t)end, head, &problem)) return ssot_error_facts[problem.kind].status;
    return 0;
}

static int status_of(const char *text) {
    ssot_http_request_head head;
    return parse(text, &head);
}

static int slice_eq(ssot_http_slice s, const char *text) { return s.len == strlen(text) && memcmp(s.at, text, s.len) == 0; }

static void test_head_end(void) {
    ssot_http_problem problem;
    size_t scanned = 0;
    const char *text = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next";
    CHECK(ssot_http_head_end(text, strlen(text), &scanned, &problem) == 27);
    /* byte by byte: incomplete until the blank line, scanning each byte once */
    scanned = 0;
    for (size_t n = 1; n < 27; n++) CHECK(ssot_http_head_end(text, n, &scanned, &problem) == 0);
    CHECK(ssot_http_head_end(text, 27, &scanned, &problem) == 27);
    /* empty lines before the request line are skipped, not taken as the end */
    scanned = 0;
    CHECK(ssot_http_head_end("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 31, &scanned, &problem) == 31);
    scanned = 0;
    CHECK(ssot_http_head_end("\r\n\r\n", 4, &scanned, &problem) == 0);
    /* a bare LF is refused at once */
    scanned = 0;
    CHECK(ssot_http_head_end("GET / HTTP/1.1\nHost: x\n\n", 24, &scanned, &problem) == -1 && ssot_error_facts[problem.kind].status == 400);
    /* too long: 414 while the request line has not ended, else 431 */
    static char big[SSOT_HTTP_MAX_HEAD + 64];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    scanned = 0;
    CHECK(ssot_http_head_end(big, sizeof big, &scanned, &problem) == -1 && ssot_error_facts[problem.kind].status == 414);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    scanned = 0;
    CHECK(ssot_http_head_end(big, sizeof big, &scanned, &problem) == -1 && ssot_error_facts[problem.kind].status == 431);
}

static void test_request_line(void) {
    ssot_http_request_head head;
    CHECK(parse("GET /api/rooms?take=2 HTTP/1.1\r\nHost: x\r\n\r\n", &head) == 0);
    CHECK(head.method == SSOT_METHOD_GET && slice_eq(head.target, "/api/rooms?take=2"));
    CHECK(head.minor_version == 1 && head.keep_alive && head.content_length == -1 && !head.chunked);
    CHECK(parse("DELETE /a HTTP/1.0\r\n\r\n", &head) == 0); /* 1.0 needs no Host, and closes */
    CHECK(head.method == SSOT_METHOD_DELETE && head.minor_version == 0 && !head.keep_alive);

    CHECK(status_of("get / HTTP/1.1\r\nHost: x\r\n\r\n") == 501);    /* methods are case-sensitive */
    CHECK(status_of("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n") == 501);
    CHECK(status_of("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n") == 501);
    CHECK(status_of("BREW / HTTP/1.1\r\nHost: x\r\n\r\n") == 501);
    CHECK(status_of("GET /\r\n\r\n") == 400);                         /* HTTP/0.9 style */
    CHECK(status_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n") == 505);
    CHECK(status_of("GET / HTTP/1.2\r\nHost: x\r\n\r\n") == 505);
    CHECK(status_of("GET / HTTP/1\r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("GET  / HTTP/1.1\r\nHost: x\r\n\r\n") == 400);    /* two spaces */
    CHECK(status_of("GET / HTTP/1.1 \r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n") == 400); /* raw non-ASCII in the target */
    CHECK(status_of("HELLO\r\n\r\n") == 400);

    /* target forms */
    CHECK(parse("GET http://example.com:8080/api/rooms?x=1 HTTP/1.1\r\nHost: other\r\n\r\n", &head) == 0);
    CHECK(head.form == SSOT_TARGET_ABSOLUTE && slice_eq(head.target, "/api/rooms?x=1"));
    CHECK(parse("GET HTTPS://example.com HTTP/1.1\r\nHost: x\r\n\r\n", &head) == 0 && head.target.len == 0);
    CHECK(status_of("GET ftp://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("GET http:///x HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", &head) == 0 && head.form == SSOT_TARGET_ASTERISK);
    CHECK(status_of("GET * HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
    CHECK(status_of("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
}

static void test_fields(void) {
    ssot_http_request_head head;
    CHECK(parse("POST /a HTTP/1.1\r\nhOsT: x\r\nContent-Length: 12\r\nAuthorization: Bearer t\r\n"
                "Content-Type: application/json\r\nOrigin: http://o\r\nX-Request-Id: r-1\r\n"
                "Expect: 100-Continue\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n"
                "Sec-WebSocket-Version: 13\r\nX-Other:\t spaced value \t\r\n\r\n",
                &head) == 0);
    CHECK(head.content_length == 12 && head.expect_continue);
    CHECK(slice_eq(head.authorization, "Bearer t") && head.has_authorization);
    CHECK(slice_eq(head.content_type, "application/json") && slice_eq(head.origin, "http://o"));
    CHECK(slice_eq(head.request_id, "r-1") && slice_eq(head.upgrade, "websocket"));
    CHECK(slice_eq(head.websocket_key, "k") && slice_eq(head.websocket_version, "13"));

    /* framing: one length, never two readings of it */
    CHECK(parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", &head) == 0 &&
          head.content_length == 5);
    CHECK(parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", &head) == 0);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n") == 400);
    CHECK(parse("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", &head) == 0 && head.chunked);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n\r\n") == 400);
    CHECK(status_of("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);

    /* Host: exactly one in HTTP/1.1 */
    CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400);

    /* malformed field lines */
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost : x\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n") == 400);
    ssot_http_problem problem;
    CHECK(ssot_http_parse_head("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 30, &head, &problem) == -1 && ssot_error_facts[problem.kind].status == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n") == 400);
    CHECK(status_of("GET / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n") == 417);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n", &head) == 0 && !head.keep_alive);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\nX-Ok: caf\xc3\xa9\r\n\r\n", &head) == 0); /* obs-text is allowed */

    char many[SSOT_HTTP_MAX_HEAD];
    size_t n = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i <= SSOT_HTTP_MAX_FIELDS; i++) n += (size_t)snprintf(many + n, sizeof many - n, "X-%d: v\r\n", i);
    snprintf(many + n, sizeof many - n, "\r\n");
    CHECK(status_of(many) == 431);
}

/* Decodes the target of "GET <target> HTTP/1.1"; returns the problem's status, or 0. */
static int decode(const char *target, ssot_request *req) {
    static char text[4 * SSOT_HTTP_MAX_HEAD];
    static char scratch[4 * SSOT_HTTP_MAX_HEAD];
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    ssot_http_request_head head;
    int status = parse(text, &head);
    if (status) return status;
    ssot_http_problem problem;
    memset(req, 0, sizeof *req);
    return ssot_http_decode_target(&head, scratch, sizeof scratch, req, &problem) ? ssot_error_facts[problem.kind].status : 0;
}

static int path_is(const char *target, const char *expected) {
    ssot_request req;
    return decode(target, &req) == 0 && strcmp(req.path, expected) == 0 && req.path_len == strlen(expected);
}

static void test_target(void) {
    CHECK(path_is("/", "/"));
    CHECK(path_is("/api/rooms", "/api/rooms"));
    CHECK(path_is("/api/rooms/", "/api/rooms/"));
    CHECK(path_is("//api///rooms", "/api/rooms"));
    CHECK(path_is("/api/./rooms", "/api/rooms"));
    CHECK(path_is("/api/x/../rooms", "/api/rooms"));
    CHECK(path_is("/../../etc/passwd", "/etc/passwd"));
    CHECK(path_is("/%2e%2e/%2E%2E/etc", "/etc"));
    CHECK(path_is("/a/..", "/"));
    CHECK(path_is("/a/.hidden/..b", "/a/.hidden/..b"));
    CHECK(path_is("/caf%C3%A9%20x%09y", "/caf\xc3\xa9 x\ty"));
    CHECK(path_is("/a+b", "/a+b")); /* '+' is a space only in the query */
    CHECK(path_is("http://host", "/"));

    ssot_request req;
    CHECK(decode("/api/rooms/1%0d%0aX", &req) == 400);
    CHECK(decode("/api/rooms/%00", &req) == 400);
    CHECK(decode("/api/rooms/1%0aX", &req) == 400);
    CHECK(decode("/a%2", &req) == 400);
    CHECK(decode("/a%zz", &req) == 400);

    CHECK(decode("/api/m?where=%7B%22a%22%3A1%7D&take=2&&q=a+b%2Bc&flag&=v&n%3Dx=1", &req) == 0);
    CHECK(strcmp(req.path, "/api/m") == 0 && req.nparams == 6);
    CHECK(strcmp(req.params[0].name, "where") == 0 && strcmp(req.params[0].value, "{\"a\":1}") == 0 &&
          req.params[0].value_len == 7);
    CHECK(strcmp(req.params[2].name, "q") == 0 && strcmp(req.params[2].value, "a b+c") == 0);
    CHECK(strcmp(req.params[3].name, "flag") == 0 && req.params[3].value_len == 0);
    CHECK(strcmp(req.params[4].name, "") == 0 && strcmp(req.params[4].value, "v") == 0);
    CHECK(strcmp(req.params[5].name, "n=x") == 0 && strcmp(req.params[5].value, "1") == 0);
    CHECK(decode("/a?where=%7B%22t%22%3A%22a%00b%22%7D", &req) == 400);
    CHECK(decode("/a?x=%zz", &req) == 400);
    CHECK(decode("/a?x;y=1", &req) == 0 && req.nparams == 1 && strcmp(req.params[0].name, "x;y") == 0);

    char query[4096] = "/a?";
    for (int i = 0; i < SSOT_MAX_QUERY_PARAMS; i++) snprintf(query + strlen(query), 32, "p%d=1&", i);
    CHECK(decode(query, &req) == 0 && req.nparams == SSOT_MAX_QUERY_PARAMS);
    strcat(query, "one=more");
    CHECK(decode(query, &req) == 414);
}

/* Feeds body to a chunked decoder in pieces of step bytes; returns the problem's status, 0
 * when complete (with the decoded body in out and the bytes used in *used), -1 when not. */
static int chunked(const char *body, size_t step, size_t max, ssot_buf *out, size_t *used) {
    ssot_http_chunked c = {0};
    ssot_http_problem problem;
    size_t len = strlen(body), at = 0;
    int done = 0;
    ssot_buf_reset(out);
    while (at < len && !done) {
        size_t n = len - at < step ? len - at : step;
        long took = ssot_http_chunked_feed(&c, body + at, n, out, max, &done, &problem);
        if (took < 0) return ssot_error_facts[problem.kind].status;
        at += (size_t)took;
        if (!done && (size_t)took < n) return -2; /* stopped early without finishing */
    }
    *used = at;
    return done ? 0 : -1;
}

static void test_chunked(void) {
    ssot_buf out = SSOT_BUF_INIT;
    size_t used;
    const char *body = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\nGET /next";
    for (size_t step = 1; step <= strlen(body); step++) {
        CHECK(chunked(body, step, 1000, &out, &used) == 0);
        CHECK(strcmp(out.data, "hello, world") == 0 && used == strlen(body) - 9);
    }
    CHECK(chunked("0\r\n\r\n", 1, 1000, &out, &used) == 0 && out.len == 0);
    CHECK(chunked("A\r\n0123456789\r\n0\r\n\r\n", 3, 1000, &out, &used) == 0 && out.len == 10);
    CHECK(chunked("5\r\nhello\r\n", 1, 1000, &out, &used) == -1);   /* no last chunk yet */
    CHECK(chunked("z\r\n", 1, 1000, &out, &used) == 400);
    CHECK(chunked("5x\r\nhello\r\n0\r\n\r\n", 1, 1000, &out, &used) == 400);
    CHECK(chunked("5\nhello\r\n0\r\n\r\n", 1, 1000, &out, &used) == 400);
    CHECK(chunked("5\r\nhelloX\r\n0\r\n\r\n", 1, 1000, &out, &used) == 400);
    CHECK(chunked("5\r\nhello\r\n0\r\n bad\r\n\r\n", 1, 1000, &out, &used) == 400);
    CHECK(chunked("5\r\nhello\r\n0\r\n\r\r", 1, 1000, &out, &used) == 400);
    CHECK(chunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 2, 9, &out, &used) == 413);
    CHECK(chunked("ffffffffffffffffffffffff\r\n", 1, 1 << 20, &out, &used) == 413); /* no overflow */
    ssot_buf_free(&out);
}

int main(void) {
    test_head_end();
    test_request_line();
    test_fields();
    test_target();
    test_chunked();
    if (failures) fprintf(stderr, "test_http_parse: %d check(s) failed\n", failures);
    else printf("test_http_parse: all checks passed\n");
    return failures != 0;
}
