/* WebSocket framing (RFC 6455) for the server side: the handshake's accept key, an
 * incremental parser of client frames (masked, control frames interleaved with a fragmented
 * message, sizes capped) and the header of server frames. Pure functions over bytes, fuzzed
 * with the gateway's messages (tests/fuzz/fuzz_ws.c). Uses OpenSSL (SHA-1) and buf.h. */
#ifndef SSOT_RUNTIME_WS_FRAME_H
#define SSOT_RUNTIME_WS_FRAME_H

#include "runtime/base/buf.h"

#include <stddef.h>
#include <stdint.h>

enum {
    SSOT_WS_CONTINUATION = 0x0,
    SSOT_WS_TEXT = 0x1,
    SSOT_WS_BINARY = 0x2,
    SSOT_WS_CLOSE = 0x8,
    SSOT_WS_PING = 0x9,
    SSOT_WS_PONG = 0xA
};

/* Close codes (RFC 6455 §7.4.1, and ssot's own in 4000-4999: docs/protocol.md). */
enum {
    SSOT_WS_CLOSE_NORMAL = 1000,
    SSOT_WS_CLOSE_GOING_AWAY = 1001,
    SSOT_WS_CLOSE_PROTOCOL = 1002,
    SSOT_WS_CLOSE_UNSUPPORTED = 1003,
    SSOT_WS_CLOSE_INVALID_DATA = 1007,
    SSOT_WS_CLOSE_POLICY = 1008,
    SSOT_WS_CLOSE_TOO_BIG = 1009,
    SSOT_WS_CLOSE_SERVER_ERROR = 1011,
    SSOT_WS_CLOSE_UNAUTHORIZED = 4401,
    SSOT_WS_CLOSE_SLOW_CONSUMER = 4008
};

/* Sec-WebSocket-Accept for the client's Sec-WebSocket-Key (key[0..n)): 28 characters + NUL.
 * Returns 0, or -1 when the key is not the base64 of 16 bytes. */
int ssot_ws_accept_key(const char *key, size_t n, char out[29]);

/* What the parser found wrong: the close code to answer with and why. */
typedef struct ssot_ws_problem {
    int close_code;
    char message[128];
} ssot_ws_problem;

/* One message or control frame the parser delivers; data is unmasked, len bytes, valid until
 * the next call. For a close frame, data holds the status code and reason as sent. */
typedef struct ssot_ws_message {
    int opcode; /* SSOT_WS_TEXT, _BINARY, _CLOSE, _PING, _PONG */
    const char *data;
    size_t len;
} ssot_ws_message;

/* An incremental frame parser. Zero it (with max_message set) to start. */
typedef struct ssot_ws_parser {
    size_t max_message; /* the largest text or binary message accepted, in bytes */
    /* private */
    int message_opcode; /* the opcode of the fragmented message being gathered, or 0 */
    ssot_buf message;   /* its bytes so far */
} ssot_ws_parser;

/* Reads the frames in data[0..len) (unmasking them in place) and returns how many bytes it
 * used: complete frames only, the rest must be given again with more bytes after it. Stops
 * after a frame that completes a message or is a control frame, with *out set (out->opcode 0
 * when nothing completed); call again with the rest. Returns -1 with problem set on a
 * protocol error: an unmasked frame, reserved bits, an unknown opcode, a bad fragment order,
 * a control frame over 125 bytes or fragmented, a message over max_message (1009), text that
 * is not UTF-8 (1007). */
long ssot_ws_parse(ssot_ws_parser *parser, uint8_t *data, size_t len, ssot_ws_message *out,
                   ssot_ws_problem *problem);

/* Frees what the parser holds. */
void ssot_ws_parser_free(ssot_ws_parser *parser);

/* The header of a server frame (unmasked, FIN set) for a payload of len bytes, into out
 * (at most 10 bytes). Returns its length. */
size_t ssot_ws_frame_header(uint8_t out[10], int opcode, uint64_t len);

#endif
