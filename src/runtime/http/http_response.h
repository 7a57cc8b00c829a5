/* Response conventions of docs/rest.md: the one error shape, and the head of every response
 * (status line, X-SSOT-Schema, X-Request-Id, CORS, Location, Allow) as HTTP/1.1 text — the
 * server speaks HTTP/1.1 only (no TLS, so no HTTP/2). Uses buf.h. */
#ifndef SSOT_RUNTIME_HTTP_RESPONSE_H
#define SSOT_RUNTIME_HTTP_RESPONSE_H

#include "runtime/http/server_request.h"
#include "ssot_facts.h"

#include <stddef.h>
#include <stdint.h>

/* What every response carries besides the handler's own headers. */
typedef struct ssot_http_headers {
    const char *schema_hash;         /* X-SSOT-Schema, or NULL */
    const char *const *cors_origins; /* allowed origins ("*" allows any); none: no CORS */
    size_t ncors_origins;
    int cors_credentials;            /* Access-Control-Allow-Credentials: true */
} ssot_http_headers;

/* Makes resp the error of kind (its status and code: the error table, ssot_facts.h):
 * {"error":{"code":<code>,"message":<formatted>,"requestId":<req->id>}}. */
void ssot_http_error(ssot_response *resp, const ssot_request *req, ssot_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Makes resp an error of kind whose object is already built (e.g. by ssot_body_errors_json):
 * object is a JSON object text {"code":...,...} of n bytes; requestId is added to it. */
void ssot_http_error_object(ssot_response *resp, const ssot_request *req, ssot_error_kind kind, const char *object,
                            size_t n);

/* The reason phrase of a status ("Not Found"). */
const char *ssot_http_reason(int status);

/* Writes the head of resp into out (size bytes): the HTTP/1.1 status line; Content-Type and
 * Content-Length when content_length >= 0 (pass -1 for 204/304); X-SSOT-Schema,
 * X-Request-Id, CORS for the request's Origin, Location, Allow (405, OPTIONS) and
 * Connection: close when resp->close; then the blank line. Returns its length, or 0 when
 * it does not fit. */
size_t ssot_http_head(char *out, size_t size, const ssot_http_headers *headers, const ssot_request *req,
                      const ssot_response *resp, int64_t content_length);

/* Whether origin (a request's Origin header) may read responses under headers' CORS policy. */
int ssot_http_origin_allowed(const ssot_http_headers *headers, const char *origin);

#endif
