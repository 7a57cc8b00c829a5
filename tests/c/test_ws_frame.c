/* Tests of WebSocket framing (src/runtime/http/ws_frame.c) and UTF-8 validation
 * (base/utf8.c): the accept key of RFC 6455's example, masked frames of every length form
 * parsed whole and byte by byte, fragmented messages with control frames between them, and
 * each protocol error with its close code. */
#include "check.h"
#include "runtime/base/utf8.h"
#include "runtime/http/ws_frame.h"

#include <stdlib.h>
#include <string.h>

static int failures;

/* A client frame: FIN (fin), opcode, masked with a fixed key, into out; returns its size. */
static size_t client_frame(uint8_t *out, int fin, int opcode, const char *payload, size_t len) {
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t n = ssot_ws_frame_header(out, opcode, len);
    if (!fin) out[0] &= 0x7F;
    out[1] |= 0x80;
    memcpy(out + n, mask, 4);
    for (size_t i = 0; i < len; i++) out[n + 4 + i] = (uint8_t)payload[i] ^ mask[i & 3];
    return n + 4 + len;
}

/* Parses buf[0..len) fed step bytes at a time (the way a socket may deliver it), collecting
 * the messages as "opcode:payload|". Returns the close code of a problem, or 0. */
static int parse_all(uint8_t *buf, size_t len, size_t step, size_t max, char *got, size_t got_size) {
    ssot_ws_parser parser = {.max_message = max};
    ssot_ws_problem problem;
    uint8_t *pending = malloc(len + 1);
    size_t have = 0, fed = 0;
    got[0] = '\0';
    int code = 0;
    while (fed < len || have > 0) {
        size_t n = len - fed < step ? len - fed : step;
        memcpy(pending + have, buf + fed, n);
        have += n;
        fed += n;
        ssot_ws_message msg;
        long used = ssot_ws_parse(&parser, pending, have, &msg, &problem);
        if (used < 0) {
            code = problem.close_code;
            break;
        }
        if (msg.opcode) {
            size_t at = strlen(got);
            snprintf(got + at, got_size - at, "%d:%.*s|", msg.opcode, (int)msg.len, msg.data);
        }
        memmove(pending, pending + used, have - (size_t)used);
        have -= (size_t)used;
        if (used == 0 && n == 0) break; /* nothing more can complete */
    }
    ssot_ws_parser_free(&parser);
    free(pending);
    return code;
}

static void test_accept_key(void) {
    char accept[29];
    CHECK(ssot_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, accept) == 0);
    CHECK(strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0); /* RFC 6455 §1.3 */
    CHECK(ssot_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", 23, accept) == -1);
    CHECK(ssot_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ!!", 24, accept) == -1);
    CHECK(ssot_ws_accept_key("not base64 at all!!!!!==", 24, accept) == -1);
}

static void test_frames(void) {
    static uint8_t buf[200000];
    static char got[200000], big[70000];
    memset(big, 'x', sizeof big);
    size_t n = 0;
    n += client_frame(buf + n, 1, SSOT_WS_TEXT, "{\"type\":\"ping\"}", 15);
    n += client_frame(buf + n, 1, SSOT_WS_PING, "hi", 2);
    n += client_frame(buf + n, 0, SSOT_WS_TEXT, "frag", 4);           /* a fragmented message ...   */
    n += client_frame(buf + n, 1, SSOT_WS_PONG, "", 0);               /* ... with a control frame ... */
    n += client_frame(buf + n, 0, SSOT_WS_CONTINUATION, "men", 3);
    n += client_frame(buf + n, 1, SSOT_WS_CONTINUATION, "ted", 3);    /* ... in between */
    n += client_frame(buf + n, 1, SSOT_WS_TEXT, big, 300);            /* 16-bit length */
    n += client_frame(buf + n, 1, SSOT_WS_BINARY, big, 66000);        /* 64-bit length */
    n += client_frame(buf + n, 1, SSOT_WS_CLOSE, "\x03\xe8" "bye", 5);
    for (size_t step = 1; step <= 4099; step += step < 20 ? 1 : 1024) {
        CHECK(parse_all(buf, n, step, 1 << 20, got, sizeof got) == 0);
        CHECK(strncmp(got, "1:{\"type\":\"ping\"}|9:hi|10:|1:fragmented|1:xxx", 45) == 0);
        CHECK(strstr(got, "|8:\x03\xe8" "bye|") != NULL);
        /* the first messages, text of 300 and binary of 66000 bytes, close */
        CHECK(strlen(got) == 40 + (2 + 300 + 1) + (2 + 66000 + 1) + (2 + 5 + 1));
    }
}

static int one(int fin, int opcode, const char *payload, size_t len, size_t max) {
    uint8_t buf[300];
    char got[600];
    size_t n = client_frame(buf, fin, opcode, payload, len);
    return parse_all(buf, n, n, max, got, sizeof got);
}

static void test_errors(void) {
    uint8_t buf[64];
    char got[256];
    size_t n = client_frame(buf, 1, SSOT_WS_TEXT, "abc", 3);
    buf[1] &= 0x7F; /* unmasked */
    CHECK(parse_all(buf, n, n, 100, got, sizeof got) == SSOT_WS_CLOSE_PROTOCOL);
    n = client_frame(buf, 1, SSOT_WS_TEXT, "abc", 3);
    buf[0] |= 0x40; /* RSV1 */
    CHECK(parse_all(buf, n, n, 100, got, sizeof got) == SSOT_WS_CLOSE_PROTOCOL);
    CHECK(one(1, 0x3, "x", 1, 100) == SSOT_WS_CLOSE_PROTOCOL);         /* reserved data opcode */
    CHECK(one(1, 0xB, "x", 1, 100) == SSOT_WS_CLOSE_PROTOCOL);         /* reserved control opcode */
    CHECK(one(0, SSOT_WS_PING, "x", 1, 100) == SSOT_WS_CLOSE_PROTOCOL); /* fragmented control */
    static char long_ping[126];
    CHECK(one(1, SSOT_WS_PING, long_ping, 126, 1000) == SSOT_WS_CLOSE_PROTOCOL);
    CHECK(one(1, SSOT_WS_CONTINUATION, "x", 1, 100) == SSOT_WS_CLOSE_PROTOCOL);
    CHECK(one(1, SSOT_WS_CLOSE, "\x03", 1, 100) == SSOT_WS_CLOSE_PROTOCOL);
    CHECK(one(1, SSOT_WS_TEXT, "\xc0\xaf", 2, 100) == SSOT_WS_CLOSE_INVALID_DATA);
    CHECK(one(1, SSOT_WS_TEXT, "0123456789", 10, 9) == SSOT_WS_CLOSE_TOO_BIG);
    CHECK(one(1, SSOT_WS_TEXT, "0123456789", 10, 10) == 0);
    /* a new message before the fragmented one ended */
    n = client_frame(buf, 0, SSOT_WS_TEXT, "a", 1);
    n += client_frame(buf + n, 1, SSOT_WS_TEXT, "b", 1);
    CHECK(parse_all(buf, n, n, 100, got, sizeof got) == SSOT_WS_CLOSE_PROTOCOL);
    /* fragments adding up past the cap */
    n = client_frame(buf, 0, SSOT_WS_TEXT, "abcdef", 6);
    n += client_frame(buf + n, 1, SSOT_WS_CONTINUATION, "ghijkl", 6);
    CHECK(parse_all(buf, n, n, 10, got, sizeof got) == SSOT_WS_CLOSE_TOO_BIG);
    /* a 64-bit length with its top bit set */
    uint8_t huge[14] = {0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    CHECK(parse_all(huge, sizeof huge, sizeof huge, 100, got, sizeof got) == SSOT_WS_CLOSE_PROTOCOL);
}

static void test_headers(void) {
    uint8_t h[10];
    CHECK(ssot_ws_frame_header(h, SSOT_WS_TEXT, 5) == 2 && h[0] == 0x81 && h[1] == 5);
    CHECK(ssot_ws_frame_header(h, SSOT_WS_TEXT, 126) == 4 && h[1] == 126 && h[2] == 0 && h[3] == 126);
    CHECK(ssot_ws_frame_header(h, SSOT_WS_BINARY, 65536) == 10 && h[1] == 127 && h[7] == 1 && h[8] == 0);
    CHECK(ssot_ws_frame_header(h, SSOT_WS_CLOSE, 0) == 2 && h[0] == 0x88);
}

static void test_utf8(void) {
    CHECK(ssot_utf8_valid("plain ascii", 11));
    CHECK(ssot_utf8_valid("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14));
    CHECK(!ssot_utf8_valid("\xc0\xaf", 2));          /* overlong */
    CHECK(!ssot_utf8_valid("\xe0\x80\xaf", 3));      /* overlong */
    CHECK(!ssot_utf8_valid("\xed\xa0\x80", 3));      /* a surrogate */
    CHECK(!ssot_utf8_valid("\xf4\x90\x80\x80", 4));  /* past U+10FFFF */
    CHECK(!ssot_utf8_valid("\xc3", 1));              /* cut short */
    CHECK(!ssot_utf8_valid("\xff", 1));
    CHECK(!ssot_utf8_valid("\x80", 1));
    CHECK(ssot_utf8_length("caf\xc3\xa9", 5) == 4);
}

int main(void) {
    test_accept_key();
    test_frames();
    test_errors();
    test_headers();
    test_utf8();
    if (failures) fprintf(stderr, "test_ws_frame: %d check(s) failed\n", failures);
    else printf("test_ws_frame: all checks passed\n");
    return failures != 0;
}
