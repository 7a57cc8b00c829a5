/* The HTTP/1.1 request parser of `ssot serve` (RFC 9112), strict where leniency lets a
 * request mean two things: the request head (request line and header fields), the request
 * target (path and query, decoded and normalized) and chunked bodies. Pure functions over
 * bytes, no I/O, so every byte a client sends can be fuzzed through them
 * (tests/fuzz/fuzz_http.c). Uses server_request.h, buf.h. */
#ifndef SSOT_RUNTIME_HTTP_PARSE_H
#define SSOT_RUNTIME_HTTP_PARSE_H

#include "runtime/base/buf.h"
#include "runtime/http/server_request.h"
#include "ssot_facts.h"

#include <stddef.h>
#include <stdint.h>

/* The request head (request line and headers, up to the blank line) must fit in this many
 * bytes; more is 431 (414 when the request line alone is longer). */
#define SSOT_HTTP_MAX_HEAD 16384
/* At most this many header fields. */
#define SSOT_HTTP_MAX_FIELDS 100

/* Why a request cannot be served: the row of docs/rest.md's error table to answer with, and a
 * sentence for the client. The connection is closed after the answer. */
typedef struct ssot_http_problem {
    ssot_error_kind kind;
    char message[192];
} ssot_http_problem;

/* A slice of the head's bytes (not NUL-terminated). */
typedef struct ssot_http_slice {
    const char *at;
    size_t len;
} ssot_http_slice;

typedef enum ssot_http_target_form {
    SSOT_TARGET_ORIGIN,   /* "/path?query" */
    SSOT_TARGET_ABSOLUTE, /* "http://host/path?query" */
    SSOT_TARGET_ASTERISK  /* "*" (OPTIONS only) */
} ssot_http_target_form;

/* A parsed request head. Slices point into the bytes given to ssot_http_parse_head. */
typedef struct ssot_http_request_head {
    ssot_http_slice method_name; /* the method token as sent */
    ssot_method method;          /* SSOT_METHOD_COUNT for any other method */
    ssot_http_slice target;      /* origin-form path and query ("/" for "*") */
    ssot_http_target_form form;
    int minor_version;           /* HTTP/1.<minor>: 0 or 1 */
    int64_t content_length;      /* -1 when absent */
    int chunked;                 /* Transfer-Encoding: chunked */
    int keep_alive;              /* the connection may serve another request afterwards */
    int expect_continue;         /* Expect: 100-continue */
    int websocket;               /* Connection: upgrade with Upgrade: websocket */
    ssot_http_slice upgrade;     /* Upgrade, or empty */
    ssot_http_slice authorization, content_type, origin, request_id; /* each may be empty */
    ssot_http_slice websocket_key, websocket_version;                 /* Sec-WebSocket-* */
    int has_authorization, has_content_type, has_origin;
} ssot_http_request_head;

/* Where the head that starts at data ends: the offset just past its blank line, 0 while it
 * is incomplete, or -1 when it can no longer be valid (over SSOT_HTTP_MAX_HEAD, with
 * problem set). Empty lines before the request line are skipped (RFC 9112 §2.2). scanned
 * carries how far earlier calls looked (start at 0), so a head arriving byte by byte is
 * scanned once. */
long ssot_http_head_end(const char *data, size_t len, size_t *scanned, ssot_http_problem *problem);

/* Parses the complete head data[0..len) (as delimited by ssot_http_head_end). Returns 0, or
 * -1 with problem set: a malformed request line or field (400), an unsupported method (501),
 * HTTP version (505) or transfer coding (501), Content-Length with Transfer-Encoding,
 * conflicting lengths, a missing or repeated Host (400), an unknown expectation (417). */
int ssot_http_parse_head(const char *data, size_t len, ssot_http_request_head *head, ssot_http_problem *problem);

/* Decodes the head's target into req: the path percent-decoded and normalized (dot segments
 * removed, repeated slashes merged) and the query split into at most SSOT_MAX_QUERY_PARAMS
 * parameters ('+' is a space, %XX decoded). The strings are written into scratch (at least
 * target.len + SSOT_MAX_QUERY_PARAMS + 2 bytes). Returns 0, or -1 with problem set: a bad
 * percent escape, a decoded NUL, CR or LF in the path or NUL in the query (400), too
 * many parameters (414). */
int ssot_http_decode_target(const ssot_http_request_head *head, char *scratch, size_t scratch_size, ssot_request *req,
                            ssot_http_problem *problem);

/* The request as handlers see it, from a parsed head: the method, the decoded target
 * (ssot_http_decode_target) and the headers handlers read (Authorization, Content-Type,
 * Origin), all copied into scratch (at least 2 * SSOT_HTTP_MAX_HEAD + SSOT_MAX_QUERY_PARAMS
 * + 8 bytes). The body, the request id and the user are the caller's. Returns the scratch
 * bytes used, or -1 with problem set (as ssot_http_decode_target). */
long ssot_http_build_request(const ssot_http_request_head *head, char *scratch, size_t scratch_size,
                             ssot_request *req, ssot_http_problem *problem);

/* A chunked body being decoded (RFC 9112 §7.1). Zero it to start. */
typedef struct ssot_http_chunked {
    int state;
    uint64_t size;       /* of the chunk being read, or its size being parsed */
    size_t line_bytes;   /* of the chunk-size line or trailer line being read */
    size_t trailer_bytes;
} ssot_http_chunked;

/* Feeds data[0..len) to the decoder, appending the body's bytes to body. Returns how many
 * bytes it consumed (less than len once the body is complete: the rest is the next request),
 * setting *done when the last chunk and the trailers are in; or -1 with problem set when the
 * framing is malformed (400) or the body grows over max_body (413). */
long ssot_http_chunked_feed(ssot_http_chunked *chunked, const char *data, size_t len, ssot_buf *body,
                            size_t max_body, int *done, ssot_http_problem *problem);

/* How many leading bytes of s[0..n) a message may quote: printable ASCII only, at most 40. */
int ssot_http_shown(const char *s, size_t n);

/* Sets problem and returns -1 (for the parsers and their callers). */
int ssot_http_fail(ssot_http_problem *problem, ssot_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
