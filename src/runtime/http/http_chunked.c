/* Chunked request bodies (http_parse.h, RFC 9112 §7.1): chunk sizes in hex, extensions
 * skipped, trailers read and dropped; the decoded body capped at the server's maxBody as it
 * arrives. Uses buf.h. */
#include "runtime/http/http_parse.h"

enum {
    CHUNK_SIZE_START, /* the first hex digit of a chunk size */
    CHUNK_SIZE,       /* more hex digits, or what follows them */
    CHUNK_EXTENSION,  /* after ';', up to CR */
    CHUNK_SIZE_LF,    /* the LF of the size line */
    CHUNK_DATA,
    CHUNK_DATA_CR,
    CHUNK_DATA_LF,
    TRAILER_START,    /* a trailer field, or the final empty line */
    TRAILER,          /* a trailer field, up to CR */
    TRAILER_LF,
    FINAL_LF,
    CHUNKED_DONE
};

/* Chunk-size lines and trailers are bounded like the request head. */
#define MAX_LINE 1024

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static long malformed(ssot_http_problem *problem, const char *what) {
    return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the chunked body is malformed: %s", what);
}

static long too_large(ssot_http_problem *problem, size_t max_body) {
    return ssot_http_fail(problem, SSOT_E_PAYLOAD_TOO_LARGE,
                          "the chunked body is over %zu bytes, the most accepted (serve.maxBody)", max_body);
}

long ssot_http_chunked_feed(ssot_http_chunked *c, const char *data, size_t len, ssot_buf *body, size_t max_body,
                            int *done, ssot_http_problem *problem) {
    size_t i = 0;
    *done = 0;
    while (i < len && c->state != CHUNKED_DONE) {
        char ch = data[i];
        switch (c->state) {
        case CHUNK_SIZE_START:
        case CHUNK_SIZE: {
            int digit = hex_digit(ch);
            if (digit >= 0) {
                c->size = c->size * 16 + (uint64_t)digit;
                if (body->len + c->size > max_body) return too_large(problem, max_body);
                c->state = CHUNK_SIZE;
            } else if (c->state == CHUNK_SIZE_START) {
                return malformed(problem, "a chunk does not start with its size in hex");
            } else if (ch == ';' || ch == ' ' || ch == '\t') {
                c->state = CHUNK_EXTENSION;
            } else if (ch == '\r') {
                c->state = CHUNK_SIZE_LF;
            } else {
                return malformed(problem, "a chunk size is not a hex number");
            }
            i++;
            break;
        }
        case CHUNK_EXTENSION:
            if (++c->line_bytes > MAX_LINE) return malformed(problem, "a chunk extension is too long");
            if (ch == '\r') c->state = CHUNK_SIZE_LF;
            else if (ch == '\n' || ch == '\0') return malformed(problem, "a control character in a chunk extension");
            i++;
            break;
        case CHUNK_SIZE_LF:
            if (ch != '\n') return malformed(problem, "a chunk size line does not end with CRLF");
            c->line_bytes = 0;
            c->state = c->size ? CHUNK_DATA : TRAILER_START;
            i++;
            break;
        case CHUNK_DATA: {
            size_t n = len - i;
            if (n > c->size) n = (size_t)c->size;
            if (ssot_buf_append(body, data + i, n))
                return ssot_http_fail(problem, SSOT_E_INTERNAL, "out of memory for the request body");
            c->size -= n;
            i += n;
            if (c->size == 0) c->state = CHUNK_DATA_CR;
            break;
        }
        case CHUNK_DATA_CR:
            if (ch != '\r') return malformed(problem, "a chunk is longer than its size");
            c->state = CHUNK_DATA_LF;
            i++;
            break;
        case CHUNK_DATA_LF:
            if (ch != '\n') return malformed(problem, "a chunk does not end with CRLF");
            c->state = CHUNK_SIZE_START;
            i++;
            break;
        case TRAILER_START:
            if (ch == '\r') {
                c->state = FINAL_LF;
                i++;
                break;
            }
            if (ch == ' ' || ch == '\t' || ch == '\n') return malformed(problem, "a trailer line starts with whitespace");
            c->state = TRAILER; /* which reads this byte */
            break;
        case TRAILER:
            if ((c->trailer_bytes += 1) > SSOT_HTTP_MAX_HEAD)
                return ssot_http_fail(problem, SSOT_E_HEADERS_TOO_LARGE, "the chunked body's trailers are over %d bytes",
                                      SSOT_HTTP_MAX_HEAD);
            if (ch == '\r') c->state = TRAILER_LF;
            else if (ch == '\n' || ch == '\0') return malformed(problem, "a control character in a trailer");
            i++;
            break;
        case TRAILER_LF:
            if (ch != '\n') return malformed(problem, "a trailer line does not end with CRLF");
            c->state = TRAILER_START;
            i++;
            break;
        case FINAL_LF:
            if (ch != '\n') return malformed(problem, "the last chunk does not end with CRLF");
            c->state = CHUNKED_DONE;
            i++;
            break;
        default: return malformed(problem, "internal state");
        }
    }
    *done = c->state == CHUNKED_DONE;
    return (long)i;
}
