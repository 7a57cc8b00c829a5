/* The error shape and the response head of docs/rest.md (http_response.h): status line and
 * headers written as HTTP/1.1 text straight into the response's headroom. Uses buf.h. */
#include "runtime/http/http_response.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *begin_error(ssot_response *resp, ssot_error_kind kind) {
    const ssot_error_fact *fact = &ssot_error_facts[kind];
    ssot_buf_truncate(resp->body, SSOT_RESPONSE_HEADROOM);
    resp->status = fact->status;
    resp->content_type = "application/json";
    resp->error_code = fact->code;
    resp->file = NULL;
    return fact->code;
}

static void put_request_id(ssot_buf *out, const ssot_request *req) {
    if (!req || !req->id[0]) return;
    ssot_buf_puts(out, ",\"requestId\":");
    ssot_buf_put_json_string(out, req->id, strlen(req->id));
}

void ssot_http_error(ssot_response *resp, const ssot_request *req, ssot_error_kind kind, const char *fmt, ...) {
    char message[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof message) n = sizeof message - 1;
    const char *code = begin_error(resp, kind);
    ssot_buf *out = resp->body;
    ssot_buf_puts(out, "{\"error\":{\"code\":");
    ssot_buf_put_json_string(out, code, strlen(code));
    ssot_buf_puts(out, ",\"message\":");
    ssot_buf_put_json_string(out, message, (size_t)n);
    put_request_id(out, req);
    ssot_buf_puts(out, "}}");
}

void ssot_http_error_object(ssot_response *resp, const ssot_request *req, ssot_error_kind kind, const char *object,
                            size_t n) {
    const char *code = begin_error(resp, kind);
    ssot_buf *out = resp->body;
    while (n > 0 && object[n - 1] != '}') n--; /* reopen the object to add requestId */
    if (n < 2) {
        ssot_http_error(resp, req, kind, "%s", code);
        return;
    }
    ssot_buf_puts(out, "{\"error\":");
    ssot_buf_append(out, object, n - 1);
    put_request_id(out, req);
    ssot_buf_puts(out, "}}");
}

const char *ssot_http_reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "";
    }
}

int ssot_http_origin_allowed(const ssot_http_headers *headers, const char *origin) {
    if (!origin || !*origin) return 0;
    for (size_t i = 0; i < headers->ncors_origins; i++) {
        const char *allowed = headers->cors_origins[i];
        if (strcmp(allowed, "*") == 0 || strcmp(allowed, origin) == 0) return 1;
    }
    return 0;
}

static int allows_any_origin(const ssot_http_headers *headers) {
    for (size_t i = 0; i < headers->ncors_origins; i++)
        if (strcmp(headers->cors_origins[i], "*") == 0) return 1;
    return 0;
}

/* Appends to a fixed buffer; remembers running out of room instead of failing each call. */
typedef struct head_writer {
    char *p, *end;
    int overflow;
} head_writer;

static void put(head_writer *w, const char *s, size_t n) {
    if ((size_t)(w->end - w->p) < n) {
        w->overflow = 1;
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}

static void put_str(head_writer *w, const char *s) { put(w, s, strlen(s)); }

static void put_uint(head_writer *w, uint64_t v) {
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(w, digits + sizeof digits - n, n);
}

/* name is lowercase with its colon ("x-request-id:"), HTTP/1.1 style. */
static void header(head_writer *w, const char *name, const char *value, size_t n) {
    put_str(w, name);
    put(w, " ", 1);
    put(w, value, n);
    put(w, "\r\n", 2);
}

#define HEADER_LITERAL(w, name, value) header(w, name, value, sizeof value - 1)

static void header_methods(head_writer *w, const char *name, unsigned set) {
    put_str(w, name);
    const char *sep = " ";
    for (int m = 0; m < SSOT_METHOD_COUNT; m++) {
        if (!(set & SSOT_METHOD_BIT(m))) continue;
        put_str(w, sep);
        put_str(w, ssot_method_name((ssot_method)m));
        sep = ", ";
    }
    put(w, "\r\n", 2);
}

/* CORS: only requests with an Origin get the headers. With credentials the origin is echoed
 * (browsers refuse "*" then); with a list it is echoed and Vary tells caches why. */
static void put_cors(head_writer *w, const ssot_http_headers *headers, const ssot_request *req,
                     const ssot_response *resp) {
    if (!req->origin || !ssot_http_origin_allowed(headers, req->origin)) return;
    if (allows_any_origin(headers) && !headers->cors_credentials) {
        HEADER_LITERAL(w, "access-control-allow-origin:", "*");
    } else {
        header(w, "access-control-allow-origin:", req->origin, strlen(req->origin));
        HEADER_LITERAL(w, "vary:", "Origin");
    }
    if (headers->cors_credentials) HEADER_LITERAL(w, "access-control-allow-credentials:", "true");
    if (req->method == SSOT_METHOD_OPTIONS) {
        header_methods(w, "access-control-allow-methods:", resp->allow);
        HEADER_LITERAL(w, "access-control-allow-headers:", "Authorization, Content-Type, X-Request-Id");
        HEADER_LITERAL(w, "access-control-max-age:", "600");
    } else {
        HEADER_LITERAL(w, "access-control-expose-headers:", "X-SSOT-Schema, X-Request-Id, Location");
    }
}

static void put_common(head_writer *w, const ssot_http_headers *headers, const ssot_request *req,
                       const ssot_response *resp) {
    if (headers->schema_hash) header(w, "x-ssot-schema:", headers->schema_hash, strlen(headers->schema_hash));
    if (req->id[0]) header(w, "x-request-id:", req->id, strlen(req->id));
    if (resp->location[0]) header(w, "location:", resp->location, strlen(resp->location));
    if (resp->allow && (resp->status == 405 || req->method == SSOT_METHOD_OPTIONS))
        header_methods(w, "allow:", resp->allow);
    if (resp->status == 426) { /* what to upgrade to (RFC 9110 15.5.22, RFC 6455 4.4) */
        HEADER_LITERAL(w, "upgrade:", "websocket");
        HEADER_LITERAL(w, "sec-websocket-version:", "13");
    }
    put_cors(w, headers, req, resp);
    if (resp->close) HEADER_LITERAL(w, "connection:", "close");
}

size_t ssot_http_head(char *out, size_t size, const ssot_http_headers *headers, const ssot_request *req,
                      const ssot_response *resp, int64_t content_length) {
    head_writer w = {out, out + size, 0};
    put_str(&w, "HTTP/1.1 ");
    put_uint(&w, (uint64_t)resp->status);
    put(&w, " ", 1);
    put_str(&w, ssot_http_reason(resp->status));
    put(&w, "\r\n", 2);
    if (content_length >= 0) {
        if (resp->content_type) header(&w, "content-type:", resp->content_type, strlen(resp->content_type));
        put_str(&w, "content-length: ");
        put_uint(&w, (uint64_t)content_length);
        put(&w, "\r\n", 2);
    }
    put_common(&w, headers, req, resp);
    put(&w, "\r\n", 2);
    return w.overflow ? 0 : (size_t)(w.p - out);
}
