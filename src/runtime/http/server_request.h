/* The exchange between the HTTP server (server_http.c) and the handlers (router.c, rest.c,
 * hooks.c, static_files.c): one parsed request in, one response out. Independent of
 * libwebsockets, so handlers can be driven by tests and by other transports. Uses buf.h. */
#ifndef SSOT_RUNTIME_SERVER_REQUEST_H
#define SSOT_RUNTIME_SERVER_REQUEST_H

#include "runtime/model/user.h"
#include "runtime/base/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum ssot_method {
    SSOT_METHOD_GET,
    SSOT_METHOD_HEAD,
    SSOT_METHOD_POST,
    SSOT_METHOD_PUT,
    SSOT_METHOD_PATCH,
    SSOT_METHOD_DELETE,
    SSOT_METHOD_OPTIONS,
    SSOT_METHOD_COUNT
} ssot_method;

/* A set of methods, for 405 Allow and CORS preflights. */
#define SSOT_METHOD_BIT(m) (1u << (m))

/* "GET", "POST", ... */
const char *ssot_method_name(ssot_method method);
/* The method named name (n bytes, exact case), or SSOT_METHOD_COUNT. */
ssot_method ssot_method_parse(const char *name, size_t n);

#define SSOT_MAX_QUERY_PARAMS 32
#define SSOT_REQUEST_ID_SIZE 48

/* One URL-decoded query parameter "name=value". */
typedef struct ssot_query_param {
    const char *name;
    const char *value;
    size_t value_len;
} ssot_query_param;

/* A complete request. Strings are NUL-terminated and live until the response is written. */
typedef struct ssot_request {
    ssot_method method;
    const char *path; /* URL-decoded, normalized by the server ("/api/messages/3") */
    size_t path_len;
    ssot_query_param params[SSOT_MAX_QUERY_PARAMS];
    size_t nparams;
    const char *authorization; /* header values, or NULL when absent */
    const char *content_type;
    const char *origin;
    const char *body; /* the body, NUL-terminated ("" when empty), or NULL when the request had
                       * no Content-Length (then the connection closes after the answer) */
    size_t body_len;
    char id[SSOT_REQUEST_ID_SIZE]; /* X-Request-Id: the client's when sane, else generated */
    ssot_user user;                /* filled by the handler once the token is verified */
    int user_verified;             /* user is set already (a WebSocket connection's): no token to read */
} ssot_request;

/* The value of query parameter name, or NULL (n gets its length when not NULL). */
const char *ssot_request_param(const ssot_request *req, const char *name, size_t *n);

/* Whether the request's Content-Type is JSON: application/json or application/<x>+json,
 * with any parameters (charset). */
int ssot_request_is_json(const ssot_request *req);

/* Space kept in front of the response body so the server can put the status line and the
 * headers right before it and send both with one write, without copying the body. */
#define SSOT_RESPONSE_HEADROOM 2048

/* A response. body holds SSOT_RESPONSE_HEADROOM bytes of headroom followed by the body:
 * handlers append to it (ssot_response_body_len() gives the body's size). */
typedef struct ssot_response {
    int status;
    const char *content_type; /* "application/json" unless set */
    ssot_buf *body;
    char location[256];        /* Location header, or "" */
    unsigned allow;            /* methods for Allow (405) and CORS preflights, or 0 */
    int close;                 /* close the connection after this response */
    const char *error_code;    /* the error's code, for the log, or NULL */
    const char *file;          /* static_files: serve this file instead of body, or NULL */
    void *held;                /* group commit: the handler's record of a write that must commit
                                * before this response may leave (server.h settle/finish), or NULL */
    char file_path[4096];      /* storage for file */
} ssot_response;

/* Prepares resp for a request: status 200, JSON, body emptied to the headroom. */
void ssot_response_reset(ssot_response *resp, ssot_buf *body);
static inline size_t ssot_response_body_len(const ssot_response *resp) {
    return resp->body->len - SSOT_RESPONSE_HEADROOM;
}
static inline const char *ssot_response_body(const ssot_response *resp) {
    return resp->body->data + SSOT_RESPONSE_HEADROOM;
}

#endif
