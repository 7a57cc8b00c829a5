/* Helpers of the request/response exchange (server_request.h): method names, query
 * parameter lookup, the JSON content type, response reset. Uses buf.h. */
#define _POSIX_C_SOURCE 200809L /* strncasecmp */
#include "runtime/http/server_request.h"

#include <string.h>
#include <strings.h>

static const char *const method_names[SSOT_METHOD_COUNT] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                                            "OPTIONS"};

const char *ssot_method_name(ssot_method method) {
    return method < SSOT_METHOD_COUNT ? method_names[method] : "?";
}

ssot_method ssot_method_parse(const char *name, size_t n) {
    for (int m = 0; m < SSOT_METHOD_COUNT; m++)
        if (strlen(method_names[m]) == n && memcmp(method_names[m], name, n) == 0) return (ssot_method)m;
    return SSOT_METHOD_COUNT;
}

const char *ssot_request_param(const ssot_request *req, const char *name, size_t *n) {
    for (size_t i = 0; i < req->nparams; i++) {
        if (strcmp(req->params[i].name, name) == 0) {
            if (n) *n = req->params[i].value_len;
            return req->params[i].value;
        }
    }
    return NULL;
}

int ssot_request_is_json(const ssot_request *req) {
    const char *type = req->content_type;
    if (!type) return 0;
    while (*type == ' ') type++;
    size_t n = strcspn(type, "; ");
    if (n == 16 && strncasecmp(type, "application/json", 16) == 0) return 1;
    return n > 17 && strncasecmp(type, "application/", 12) == 0 && strncasecmp(type + n - 5, "+json", 5) == 0;
}

void ssot_response_reset(ssot_response *resp, ssot_buf *body) {
    resp->status = 200;
    resp->content_type = "application/json";
    resp->body = body;
    resp->location[0] = '\0';
    resp->allow = 0;
    resp->close = 0;
    resp->error_code = NULL;
    resp->file = NULL;
    resp->held = NULL;
    ssot_buf_reset(body);
    ssot_buf_reserve(body, SSOT_RESPONSE_HEADROOM + 4096);
    if (!body->failed) { /* the headroom is written by the server just before sending */
        body->len = SSOT_RESPONSE_HEADROOM;
        body->data[body->len] = '\0';
    }
}
