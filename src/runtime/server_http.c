/* The HTTP protocol callback of the server: collects a request (method, path, query, the
 * headers ssot uses, a body capped at max_body) into an ssot_request, hands it to the
 * handler and writes the response with one lws_write. HTTP/1.1 only (no TLS, so no h2).
 * Uses libwebsockets, http_response.c, access_log.c. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime/access_log.h"
#include "runtime/http_response.h"
#include "runtime/server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ssot_server *server_of(struct lws *wsi) {
    return lws_context_user(lws_get_context(wsi));
}

/* --- the session list (for draining) ---------------------------------------------------- */

#define MAX_SPARE_SCRATCH 64

static char *take_scratch(ssot_server *server) {
    scratch_block *block = server->spare_scratch;
    if (!block) return malloc(SSOT_SESSION_SCRATCH);
    server->spare_scratch = block->next;
    server->nspare_scratch--;
    return (char *)block;
}

static void give_back_scratch(ssot_server *server, char *scratch) {
    if (!scratch) return;
    if (server->nspare_scratch >= MAX_SPARE_SCRATCH) {
        free(scratch);
        return;
    }
    scratch_block *block = (scratch_block *)(void *)scratch;
    block->next = server->spare_scratch;
    server->spare_scratch = block;
    server->nspare_scratch++;
}

void ssot_server_free_spares(ssot_server *server) {
    while (server->spare_scratch) {
        scratch_block *next = server->spare_scratch->next;
        free(server->spare_scratch);
        server->spare_scratch = next;
    }
    server->nspare_scratch = 0;
}

static void session_link(ssot_server *server, http_session *s, struct lws *wsi) {
    if (s->linked) return;
    s->wsi = wsi;
    s->prev = NULL;
    s->next = server->sessions;
    if (server->sessions) server->sessions->prev = s;
    server->sessions = s;
    server->nsessions++;
    s->linked = 1;
}

static void session_unlink(ssot_server *server, http_session *s) {
    if (!s->linked) return;
    if (s->prev) s->prev->next = s->next;
    else server->sessions = s->next;
    if (s->next) s->next->prev = s->prev;
    server->nsessions--;
    s->linked = 0;
    if (s->held_slot) server->held[s->held_slot - 1].session = NULL; /* finish still runs */
    s->held_slot = 0;
    if (s->held) {
        ssot_buf_free(&s->held->body);
        free(s->held);
        s->held = NULL;
    }
    ssot_buf_free(&s->body);
    give_back_scratch(server, s->scratch);
    s->scratch = NULL;
}

int ssot_server_session_idle(http_session *session) { return session->state == SESSION_IDLE; }

/* --- copying the request out of lws ----------------------------------------------------- */

/* Copies n bytes into the session's scratch space, NUL-terminated; NULL when full. */
static char *scratch_copy(http_session *s, const char *data, size_t n) {
    if (s->scratch_used + n + 1 > SSOT_SESSION_SCRATCH) return NULL;
    char *copy = s->scratch + s->scratch_used;
    memcpy(copy, data, n);
    copy[n] = '\0';
    s->scratch_used += n + 1;
    return copy;
}

/* Copies header h, or leaves *out NULL when absent. Returns -1 when there is no room. */
static int copy_header(http_session *s, struct lws *wsi, enum lws_token_indexes h, const char **out) {
    int n = lws_hdr_total_length(wsi, h);
    *out = NULL;
    if (n <= 0) return 0;
    size_t room = SSOT_SESSION_SCRATCH - s->scratch_used;
    if ((size_t)n + 1 > room) return -1;
    char *dest = s->scratch + s->scratch_used;
    if (lws_hdr_copy(wsi, dest, (int)room, h) < 0) return -1;
    s->scratch_used += (size_t)n + 1;
    *out = dest;
    return 0;
}

/* The query string arrives URL-decoded, one "name=value" fragment per parameter. */
static int copy_query(http_session *s, struct lws *wsi, char *problem, size_t problem_size) {
    for (int i = 0;; i++) {
        int n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n <= 0) {
            char probe[1];
            if (lws_hdr_copy_fragment(wsi, probe, sizeof probe, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) return 0;
            continue; /* an empty fragment ("a=1&&b=2") */
        }
        if (s->req.nparams == SSOT_MAX_QUERY_PARAMS) {
            snprintf(problem, problem_size, "too many query parameters (at most %d)", SSOT_MAX_QUERY_PARAMS);
            return -1;
        }
        size_t room = SSOT_SESSION_SCRATCH - s->scratch_used;
        if ((size_t)n + 1 > room) {
            snprintf(problem, problem_size, "the query string is too long");
            return -1;
        }
        char *fragment = s->scratch + s->scratch_used;
        if (lws_hdr_copy_fragment(wsi, fragment, (int)room, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) return 0;
        s->scratch_used += (size_t)n + 1;
        ssot_query_param *param = &s->req.params[s->req.nparams++];
        char *eq = memchr(fragment, '=', (size_t)n);
        param->name = fragment;
        if (eq) {
            *eq = '\0';
            param->value = eq + 1;
            param->value_len = (size_t)(fragment + n - (eq + 1));
        } else {
            param->value = fragment + n;
            param->value_len = 0;
        }
    }
}

/* A client's X-Request-Id is kept when it is short and plain; otherwise one is made up. */
static void set_request_id(ssot_server *server, http_session *s, struct lws *wsi) {
    char given[SSOT_REQUEST_ID_SIZE];
    int n = lws_hdr_custom_length(wsi, "x-request-id:", 13);
    if (n > 0 && n < (int)sizeof given && lws_hdr_custom_copy(wsi, given, sizeof given, "x-request-id:", 13) > 0) {
        int plain = 1;
        for (int i = 0; i < n && plain; i++) {
            char c = given[i];
            plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
        }
        if (plain) {
            memcpy(s->req.id, given, (size_t)n + 1);
            return;
        }
    }
    /* "<8 hex digits of the process>-<8+ hex digits of a counter>", without printf's cost */
    static const char hex[] = "0123456789abcdef";
    char *p = s->req.id;
    for (int shift = 28; shift >= 0; shift -= 4) *p++ = hex[(server->id_prefix >> shift) & 15];
    *p++ = '-';
    uint64_t counter = ++server->id_counter;
    int digits = 8;
    while (digits < 16 && (counter >> (4 * digits))) digits++;
    for (int i = digits - 1; i >= 0; i--) *p++ = hex[(counter >> (4 * i)) & 15];
    *p = '\0';
}

static ssot_method method_of(struct lws *wsi) {
    char *uri;
    int uri_len;
    switch (lws_http_get_uri_and_method(wsi, &uri, &uri_len)) {
    case LWSHUMETH_GET: return SSOT_METHOD_GET;
    case LWSHUMETH_HEAD: return SSOT_METHOD_HEAD;
    case LWSHUMETH_POST: return SSOT_METHOD_POST;
    case LWSHUMETH_PUT: return SSOT_METHOD_PUT;
    case LWSHUMETH_PATCH: return SSOT_METHOD_PATCH;
    case LWSHUMETH_DELETE: return SSOT_METHOD_DELETE;
    case LWSHUMETH_OPTIONS: return SSOT_METHOD_OPTIONS;
    default: return SSOT_METHOD_COUNT;
    }
}

/* Content-Length as a strict decimal; -1 when absent, -2 when malformed. */
static int64_t content_length_of(struct lws *wsi) {
    char text[32];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n <= 0) return -1;
    if (n >= (int)sizeof text || lws_hdr_copy(wsi, text, sizeof text, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0) return -2;
    int64_t value = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9' || value > (INT64_MAX - 9) / 10) return -2;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

/* --- responding --------------------------------------------------------------------------- */

static double elapsed_ms(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void log_request(http_session *s, int status) {
    ssot_access_log(ssot_method_name(s->req.method), s->req.path ? s->req.path : "", s->req.path_len, status,
                    elapsed_ms(&s->start), s->req.id);
}

/* Serves resp->file with lws's file sender, the common headers as "other headers". */
static int respond_file(ssot_server *server, http_session *s, struct lws *wsi, ssot_response *resp) {
    char headers[1024];
    size_t n_headers = ssot_http_common_headers(headers, sizeof headers, &server->options.headers, &s->req, resp);
    if (n_headers == (size_t)-1) return -1;
    s->state = SESSION_FILE;
    log_request(s, 200);
    int n = lws_serve_http_file(wsi, resp->file, resp->content_type, headers, (int)n_headers);
    if (n < 0) return -1;
    if (n > 0) return lws_http_transaction_completed(wsi) ? -1 : 0;
    return 0; /* in progress: LWS_CALLBACK_HTTP_FILE_COMPLETION ends it */
}

/* Writes resp: the status line and headers go into the headroom right before the body, and
 * everything leaves with one write. Returns what the callback returns (nonzero closes). */
static int respond(ssot_server *server, http_session *s, struct lws *wsi, ssot_response *resp) {
    if (server->stopping || ssot_server_stop_requested()) resp->close = 1;
    if (resp->body->failed) {
        resp->body->failed = 0;
        ssot_http_error(resp, &s->req, 500, "internal", "the server ran out of memory");
        if (resp->body->failed) return -1;
    }
    if (resp->file) return respond_file(server, s, wsi, resp);

    size_t body_len = ssot_response_body_len(resp);
    int no_body = resp->status == 204 || resp->status == 304;
    char head[SSOT_RESPONSE_HEADROOM - LWS_PRE];
    size_t header_len = ssot_http_head(head, sizeof head, &server->options.headers, &s->req, resp,
                                       no_body ? -1 : (int64_t)body_len);
    if (header_len == 0) return -1; /* cannot happen: the head is bounded well below the headroom */
    unsigned char *start = (unsigned char *)resp->body->data + SSOT_RESPONSE_HEADROOM - header_len;
    memcpy(start, head, header_len);
    size_t total = header_len + (no_body || s->req.method == SSOT_METHOD_HEAD ? 0 : body_len);
    log_request(s, resp->status);
    if (lws_write(wsi, start, total, LWS_WRITE_HTTP_FINAL) < (int)total) return -1;
    if (resp->close) return -1; /* lws flushes what is still buffered, then closes */
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Keeps resp (a copy) until the group commit; the connection waits. Returns -1 when memory
 * runs out (the caller then settles at once). */
static int hold(ssot_server *server, http_session *s, const ssot_response *resp) {
    if (server->nheld == server->held_cap) {
        size_t cap = server->held_cap ? 2 * server->held_cap : 64;
        held_entry *grown = realloc(server->held, cap * sizeof *grown);
        if (!grown) return -1;
        server->held = grown;
        server->held_cap = cap;
    }
    if (!s->held && !(s->held = calloc(1, sizeof *s->held))) return -1;
    ssot_buf_reset(&s->held->body);
    if (ssot_buf_append(&s->held->body, resp->body->data, resp->body->len)) return -1;
    s->held->resp = *resp;
    s->held->resp.body = &s->held->body;
    server->held[server->nheld++] = (held_entry){resp->held, s};
    s->held_slot = server->nheld;
    s->state = SESSION_HELD;
    return 0;
}

void ssot_server_settle(ssot_server *server) {
    void *ctx = server->options.handler_ctx;
    server->options.settle(ctx); /* every pass: it also ends the pass's read snapshot */
    if (server->nheld == 0) return;
    for (size_t i = 0; i < server->nheld; i++) {
        http_session *s = server->held[i].session;
        server->options.finish(ctx, server->held[i].token, s ? &s->req : NULL, s ? &s->held->resp : NULL);
        if (!s) continue;
        s->held_slot = 0;
        s->state = SESSION_READY;
        lws_callback_on_writable(s->wsi);
    }
    server->nheld = 0;
}

static int dispatch(ssot_server *server, http_session *s, struct lws *wsi) {
    ssot_response *resp = &server->resp;
    ssot_response_reset(resp, &server->out);
    server->options.handler(server->options.handler_ctx, &s->req, resp);
    if (s->no_length) resp->close = 1;
    s->state = SESSION_IDLE;
    if (resp->held) {
        if (hold(server, s, resp) == 0) return 0; /* answered after the commit (WRITEABLE) */
        ssot_server_settle(server);                 /* out of memory: commit now, answer now */
        server->options.finish(server->options.handler_ctx, resp->held, &s->req, resp);
        s->state = SESSION_IDLE;
    }
    return respond(server, s, wsi, resp);
}

/* LWS_CALLBACK_HTTP_WRITEABLE: a held response became final. */
static int on_writable(ssot_server *server, http_session *s, struct lws *wsi) {
    if (!s || s->state != SESSION_READY || !s->held) return 0;
    s->state = SESSION_IDLE;
    return respond(server, s, wsi, &s->held->resp);
}

/* Answers before the body is read (bad length, too large). lws discards the rest of the
 * body when the connection stays open; hopeless cases close it. */
static int answer_early(ssot_server *server, http_session *s, struct lws *wsi, int status, const char *code,
                        int close, const char *message) {
    ssot_response *resp = &server->resp;
    ssot_response_reset(resp, &server->out);
    ssot_http_error(resp, &s->req, status, code, "%s", message);
    resp->close = close;
    s->state = SESSION_ANSWERED;
    return respond(server, s, wsi, resp);
}

/* LWS_CALLBACK_HTTP: the headers are in; path is the decoded, normalized URI path. */
static int on_headers(ssot_server *server, http_session *s, struct lws *wsi, const char *path, size_t path_len) {
    clock_gettime(CLOCK_MONOTONIC, &s->start);
    session_link(server, s, wsi);
    if (!s->scratch) s->scratch = take_scratch(server);
    if (!s->scratch) return -1; /* out of memory: drop the connection */
    set_request_id(server, s, wsi);
    s->req.method = method_of(wsi);
    s->req.path = scratch_copy(s, path ? path : "/", path ? path_len : 1);
    s->req.path_len = path ? path_len : 1;
    if (s->req.method == SSOT_METHOD_COUNT) {
        s->req.method = SSOT_METHOD_GET; /* for the log line */
        return answer_early(server, s, wsi, 405, "method_not_allowed", 1, "this method is not supported");
    }
    char problem[128];
    if (!s->req.path || copy_header(s, wsi, WSI_TOKEN_HTTP_AUTHORIZATION, &s->req.authorization) ||
        copy_header(s, wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, &s->req.content_type) ||
        copy_header(s, wsi, WSI_TOKEN_ORIGIN, &s->req.origin)) {
        if (!s->req.path) s->req.path = "";
        return answer_early(server, s, wsi, 431, "bad_request", 1, "the request headers are too large");
    }
    if (copy_query(s, wsi, problem, sizeof problem))
        return answer_early(server, s, wsi, 414, "bad_request", 1, problem);

    int64_t length = content_length_of(wsi);
    s->content_length = length;
    int has_body_method = s->req.method == SSOT_METHOD_POST || s->req.method == SSOT_METHOD_PUT ||
                          s->req.method == SSOT_METHOD_PATCH;
    if (length == -2)
        return answer_early(server, s, wsi, 400, "bad_request", 1, "the Content-Length header is not a number");
    if (length == -1 && has_body_method) {
        /* lws would wait for a body of unknown length: answer without one (the handler says
         * 405, or 411 where a body is needed), then close */
        s->no_length = 1;
        return dispatch(server, s, wsi);
    }
    int64_t max_body = server->options.max_body;
    if (length > max_body) {
        char message[160];
        snprintf(message, sizeof message, "the body is %lld bytes; at most %lld are accepted (serve.maxBody)",
                 (long long)length, (long long)max_body);
        /* small excess: let lws read and drop it so the connection survives */
        return answer_early(server, s, wsi, 413, "payload_too_large", length > 16 * max_body, message);
    }
    if (length > 0 || (length == 0 && s->req.method == SSOT_METHOD_POST)) {
        s->state = SESSION_BODY; /* lws calls HTTP_BODY..., then HTTP_BODY_COMPLETION */
        if (length > 0 && ssot_buf_reserve(&s->body, (size_t)length))
            return answer_early(server, s, wsi, 500, "internal", 1, "out of memory for the request body");
        return 0;
    }
    if (length == 0) { /* an empty body, sent as one (PUT/PATCH: lws reports no completion) */
        s->req.body = "";
        s->req.body_len = 0;
    }
    return dispatch(server, s, wsi);
}

static int on_body(http_session *s, const void *data, size_t len) {
    if (s->state != SESSION_BODY || len == 0) return 0;
    if ((int64_t)(s->body.len + len) > s->content_length) return -1; /* lws never sends more */
    return ssot_buf_append(&s->body, data, len) ? -1 : 0;
}

static int on_body_complete(ssot_server *server, http_session *s, struct lws *wsi) {
    if (s->state != SESSION_BODY) return 0;
    if (s->body.len > 0) {
        s->req.body = s->body.data;
        s->req.body_len = s->body.len;
    } else {
        s->req.body = "";
        s->req.body_len = 0;
    }
    return dispatch(server, s, wsi);
}

int ssot_server_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                              size_t len) {
    http_session *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return on_headers(server_of(wsi), s, wsi, in, len);
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(s, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return on_body_complete(server_of(wsi), s, wsi);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (s && s->state == SESSION_READY) return on_writable(server_of(wsi), s, wsi);
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        s->state = SESSION_IDLE;
        if (server_of(wsi)->stopping) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return server_of(wsi)->stopping; /* draining: refuse new connections */
    case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
        if (s) session_link(server_of(wsi), s, wsi);
        return 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (s) session_unlink(server_of(wsi), s);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
