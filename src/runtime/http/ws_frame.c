/* WebSocket framing of ws_frame.h: the accept key (SHA-1 and base64 from OpenSSL), the
 * client-frame parser with the checks RFC 6455 §5 requires of a server, and server frame
 * headers. Uses OpenSSL, buf.h, utf8.h. */
#include "runtime/http/ws_frame.h"

#include "runtime/base/utf8.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ssot_ws_accept_key(const char *key, size_t n, char out[29]) {
    unsigned char decoded[24];
    if (n != 24 || key[22] != '=' || key[23] != '=') return -1;
    if (EVP_DecodeBlock(decoded, (const unsigned char *)key, 24) != 18) return -1; /* 16 bytes + padding */
    unsigned char input[24 + sizeof WS_GUID], digest[SHA_DIGEST_LENGTH];
    memcpy(input, key, 24);
    memcpy(input + 24, WS_GUID, sizeof WS_GUID - 1);
    SHA1(input, 24 + sizeof WS_GUID - 1, digest);
    return EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH) == 28 ? 0 : -1;
}

static long refuse(ssot_ws_problem *problem, int code, const char *message) {
    problem->close_code = code;
    snprintf(problem->message, sizeof problem->message, "%s", message);
    return -1;
}

long ssot_ws_parse(ssot_ws_parser *p, uint8_t *data, size_t len, ssot_ws_message *out, ssot_ws_problem *problem) {
    out->opcode = 0;
    size_t at = 0;
    while (at < len) {
        uint8_t *frame = data + at;
        size_t avail = len - at;
        if (avail < 2) return (long)at;
        int fin = frame[0] & 0x80, opcode = frame[0] & 0x0F;
        if (frame[0] & 0x70) return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "reserved bits are set (no extension is in use)");
        if (!(frame[1] & 0x80)) return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a client frame must be masked");
        uint64_t length = frame[1] & 0x7F;
        size_t header = 2;
        if (length == 126) {
            if (avail < 4) return (long)at;
            length = (uint64_t)frame[2] << 8 | frame[3];
            header = 4;
        } else if (length == 127) {
            if (avail < 10) return (long)at;
            length = 0;
            for (int i = 2; i < 10; i++) length = length << 8 | frame[i];
            if (length >> 63) return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a frame length has its top bit set");
            header = 10;
        }
        int control = opcode & 0x8;
        if (control) {
            if (opcode != SSOT_WS_CLOSE && opcode != SSOT_WS_PING && opcode != SSOT_WS_PONG)
                return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "an unknown control opcode");
            if (!fin) return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a control frame cannot be fragmented");
            if (length > 125) return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a control frame is over 125 bytes");
        } else if (opcode == SSOT_WS_CONTINUATION) {
            if (!p->message_opcode) return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a continuation frame starts no message");
        } else if (opcode == SSOT_WS_TEXT || opcode == SSOT_WS_BINARY) {
            if (p->message_opcode)
                return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a new message began before the last one ended");
        } else {
            return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "an unknown opcode");
        }
        if (!control && p->message.len + length > p->max_message) {
            char message[96];
            snprintf(message, sizeof message, "a message is over %zu bytes, the most accepted", p->max_message);
            return refuse(problem, SSOT_WS_CLOSE_TOO_BIG, message);
        }
        if (avail - header < 4 || avail - header - 4 < length) return (long)at; /* the rest has not arrived */
        const uint8_t *mask = frame + header;
        uint8_t *payload = frame + header + 4;
        for (uint64_t i = 0; i < length; i++) payload[i] ^= mask[i & 3];
        at += header + 4 + (size_t)length;

        if (control) {
            *out = (ssot_ws_message){opcode, (const char *)payload, (size_t)length};
            if (opcode == SSOT_WS_CLOSE && length == 1)
                return refuse(problem, SSOT_WS_CLOSE_PROTOCOL, "a close frame with a one-byte body");
            return (long)at;
        }
        const char *message = (const char *)payload;
        size_t message_len = (size_t)length;
        int message_opcode = opcode ? opcode : p->message_opcode;
        if (!fin || p->message_opcode) { /* fragmented: gather */
            if (ssot_buf_append(&p->message, payload, (size_t)length))
                return refuse(problem, SSOT_WS_CLOSE_SERVER_ERROR, "out of memory for a message");
            if (!fin) {
                p->message_opcode = message_opcode;
                continue;
            }
            message = p->message.data ? p->message.data : "";
            message_len = p->message.len;
        }
        if (message_opcode == SSOT_WS_TEXT && !ssot_utf8_valid(message, message_len))
            return refuse(problem, SSOT_WS_CLOSE_INVALID_DATA, "a text message is not valid UTF-8");
        *out = (ssot_ws_message){message_opcode, message, message_len};
        p->message_opcode = 0;
        p->message.len = 0; /* the bytes stay valid until the next call */
        return (long)at;
    }
    return (long)at;
}

void ssot_ws_parser_free(ssot_ws_parser *p) {
    ssot_buf_free(&p->message);
    p->message_opcode = 0;
}

size_t ssot_ws_frame_header(uint8_t out[10], int opcode, uint64_t len) {
    out[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}
