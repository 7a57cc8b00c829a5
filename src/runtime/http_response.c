/* The error shape and common response headers of docs/rest.md (http_response.h). Uses buf.h
 * for JSON text and libwebsockets' header writers. */
#include "runtime/http_response.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void begin_error(ssot_response *resp, int status, const char *code) {
    ssot_buf_truncate(resp->body, SSOT_RESPONSE_HEADROOM);
    resp->status = status;
    resp->content_type = "application/json";
    resp->error_code = code;
    resp->file = NULL;
}

static void put_request_id(ssot_buf *out, const ssot_request *req) {
    if (!req || !req->id[0]) return;
    ssot_buf_puts(out, ",\"requestId\":");
    ssot_buf_put_json_string(out, req->id, strlen(req->id));
}

void ssot_http_error(ssot_response *resp, const ssot_request *req, int status, const char *code,
                     const char *fmt, ...) {
    char message[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof message) n = sizeof message - 1;
    begin_error(resp, status, code);
    ssot_buf *out = resp->body;
    ssot_buf_puts(out, "{\"error\":{\"code\":");
    ssot_buf_put_json_string(out, code, strlen(code));
    ssot_buf_puts(out, ",\"message\":");
    ssot_buf_put_json_string(out, message, (size_t)n);
    put_request_id(out, req);
    ssot_buf_puts(out, "}}");
}

void ssot_http_error_object(ssot_response *resp, const ssot_request *req, int status, const char *code,
                            const char *object, size_t n) {
    begin_error(resp, status, code);
    ssot_buf *out = resp->body;
    while (n > 0 && object[n - 1] != '}') n--; /* reopen the object to add requestId */
    if (n < 2) {
        ssot_http_error(resp, req, status, code, "%s", code);
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
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
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

static int add(struct lws *wsi, const char *name, const char *value, size_t n, unsigned char **p,
               unsigned char *end) {
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value, (int)n, p,
                                       end);
}

#define ADD_LITERAL(name, value) \
    if (add(wsi, name, value, sizeof value - 1, p, end)) return -1

/* CORS: only requests with an Origin get the headers. With credentials the origin is echoed
 * (browsers refuse "*" then); with a list it is echoed and Vary tells caches why. */
static int add_cors(struct lws *wsi, const ssot_http_headers *headers, const ssot_request *req,
                    const ssot_response *resp, unsigned char **p, unsigned char *end) {
    if (!req->origin || !ssot_http_origin_allowed(headers, req->origin)) return 0;
    if (allows_any_origin(headers) && !headers->cors_credentials) {
        ADD_LITERAL("access-control-allow-origin:", "*");
    } else {
        if (add(wsi, "access-control-allow-origin:", req->origin, strlen(req->origin), p, end)) return -1;
        ADD_LITERAL("vary:", "Origin");
    }
    if (headers->cors_credentials) ADD_LITERAL("access-control-allow-credentials:", "true");
    if (req->method == SSOT_METHOD_OPTIONS) {
        ssot_buf methods = SSOT_BUF_INIT;
        ssot_methods_format(resp->allow, &methods);
        int failed = methods.failed ||
                     add(wsi, "access-control-allow-methods:", ssot_buf_cstr(&methods), methods.len, p, end);
        ssot_buf_free(&methods);
        if (failed) return -1;
        ADD_LITERAL("access-control-allow-headers:", "Authorization, Content-Type, X-Request-Id");
        ADD_LITERAL("access-control-max-age:", "600");
    } else {
        ADD_LITERAL("access-control-expose-headers:", "X-SSOT-Schema, X-Request-Id, Location");
    }
    return 0;
}

int ssot_http_add_headers(struct lws *wsi, const ssot_http_headers *headers, const ssot_request *req,
                          const ssot_response *resp, unsigned char **p, unsigned char *end) {
    if (headers->schema_hash && add(wsi, "x-ssot-schema:", headers->schema_hash, strlen(headers->schema_hash), p, end))
        return -1;
    if (req->id[0] && add(wsi, "x-request-id:", req->id, strlen(req->id), p, end)) return -1;
    if (resp->location[0] && add(wsi, "location:", resp->location, strlen(resp->location), p, end)) return -1;
    if (resp->allow && (resp->status == 405 || req->method == SSOT_METHOD_OPTIONS)) {
        ssot_buf methods = SSOT_BUF_INIT;
        ssot_methods_format(resp->allow, &methods);
        int failed = methods.failed || add(wsi, "allow:", ssot_buf_cstr(&methods), methods.len, p, end);
        ssot_buf_free(&methods);
        if (failed) return -1;
    }
    if (add_cors(wsi, headers, req, resp, p, end)) return -1;
    if (resp->close) ADD_LITERAL("connection:", "close");
    return 0;
}
