/* The gateway's life and its connections (gateway.h): creating it from the app's websockets
 * section, a session per WebSocket connection signed in from its upgrade request, users shared
 * by the connections signed in as them, the per-connection rate limit, sending replies and
 * batches, the tick (batches out, expired tokens closed) and the fan-out ops. Uses
 * websocket.h, auth_jwt.h, gateway_messages.c and gateway_deliver.c. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */
#include "runtime/realtime/gateway_internal.h"

#include "runtime/http/ws_frame.h"

#include "host/log.h"
#include "ssot.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- users ------------------------------------------------------------------------------------ */

static int same_identity(const ssot_user *a, const ssot_user *b) {
    return a->authenticated == b->authenticated && a->is_admin == b->is_admin && strcmp(a->id, b->id) == 0 &&
           strcmp(a->role, b->role) == 0;
}

gw_user *gw_user_get(ssot_gateway *gw, const ssot_user *u) {
    if (!u->authenticated) {
        gw->anonymous->refs++;
        return gw->anonymous;
    }
    for (gw_user *user = gw->users; user; user = user->next)
        if (same_identity(&user->user, u)) {
            user->refs++;
            return user;
        }
    gw_user *user = calloc(1, sizeof *user);
    if (!user) return NULL;
    user->user = *u;
    user->refs = 1;
    user->next = gw->users;
    gw->users = user;
    return user;
}

void gw_user_put(ssot_gateway *gw, gw_user *user) {
    if (!user || --user->refs > 0 || user == gw->anonymous) return;
    for (gw_user **at = &gw->users; *at; at = &(*at)->next)
        if (*at == user) {
            *at = user->next;
            break;
        }
    free(user);
}

/* --- sending ------------------------------------------------------------------------------------ */

void gw_flush(gw_session *session) {
    if (!session->nbatch) return;
    if (!session->closing && ssot_ws_send_batch(session->ws, session->batch, session->nbatch) != 0)
        session->closing = 1;
    for (size_t i = 0; i < session->nbatch; i++) ssot_shared_bytes_unref(session->batch[i]);
    session->nbatch = 0;
}

void gw_send(gw_session *session, const char *json, size_t len) {
    gw_flush(session);
    if (session->closing) return;
    if (ssot_ws_send_text(session->ws, json, len) != 0) session->closing = 1;
}

static void mark_dirty(ssot_gateway *gw, gw_session *session) {
    if (session->in_dirty) return;
    if (gw->ndirty == gw->dirty_cap) {
        size_t cap = gw->dirty_cap ? 2 * gw->dirty_cap : 64;
        gw_session **grown = realloc(gw->dirty, cap * sizeof *grown);
        if (!grown) return; /* flushed when its batch is full, or by the next reply */
        gw->dirty = grown;
        gw->dirty_cap = cap;
    }
    gw->dirty[gw->ndirty++] = session;
    session->in_dirty = 1;
}

void gw_send_event(gw_session *session, ssot_shared_bytes *frame) {
    ssot_gateway *gw = session->gateway;
    if (session->closing) return;
    gw->counts.deliveries++;
    if (!gw->config->batching) {
        if (ssot_ws_send(session->ws, frame) != 0) session->closing = 1;
        return;
    }
    if (session->nbatch == session->batch_cap) {
        size_t cap = session->batch_cap ? 2 * session->batch_cap : 8;
        if (cap > (size_t)gw->config->max_batch_size) cap = (size_t)gw->config->max_batch_size;
        ssot_shared_bytes **grown = cap > session->batch_cap ? realloc(session->batch, cap * sizeof *grown) : NULL;
        if (!grown) { /* full (or no memory): out it goes */
            gw_flush(session);
            if (session->closing) return;
        } else {
            session->batch = grown;
            session->batch_cap = cap;
        }
    }
    ssot_shared_bytes_ref(frame);
    session->batch[session->nbatch++] = frame;
    if (session->nbatch >= (size_t)gw->config->max_batch_size) gw_flush(session);
    else mark_dirty(gw, session);
}

/* Appends {"type":"error"[,"id":..],"code":..,"status":..,"message":..} without the closing brace. */
static void error_head(ssot_buf *out, const char *id, ssot_error_kind kind, const char *message, size_t n) {
    ssot_buf_puts(out, "{\"type\":\"error\"");
    if (id && *id) ssot_buf_printf(out, ",\"id\":%s", id);
    ssot_buf_printf(out, ",\"code\":\"%s\",\"status\":%d,\"message\":", ssot_error_facts[kind].code,
                    ssot_error_facts[kind].status);
    ssot_buf_put_json_string(out, message, n);
}

/* An error frame with the message fmt/args and, when errs is given, its "fields". */
__attribute__((format(printf, 5, 0))) static void send_error(gw_session *session, const char *id, ssot_error_kind kind,
                                                             const ssot_body_errors *errs, const char *fmt,
                                                             va_list args) {
    char message[1024];
    vsnprintf(message, sizeof message, fmt, args);
    ssot_buf *out = &session->gateway->out;
    ssot_buf_reset(out);
    error_head(out, id, kind, message, strlen(message));
    if (errs) {
        ssot_buf_puts(out, ",\"fields\":");
        ssot_body_errors_fields_json(errs, out);
    }
    ssot_buf_putc(out, '}');
    if (!out->failed) gw_send(session, out->data, out->len);
}

void gw_send_error(gw_session *session, const char *id, ssot_error_kind kind, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    send_error(session, id, kind, NULL, fmt, args);
    va_end(args);
}

void gw_send_invalid(gw_session *session, const char *id, const ssot_body_errors *errs, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    send_error(session, id, SSOT_E_VALIDATION_FAILED, errs, fmt, args);
    va_end(args);
}

void gw_send_rest_error(gw_session *session, const char *id, int status, const char *body, size_t len) {
    /* {"error":{"code":..,"message":..,...}} becomes {"type":"error","id":..,"status":..,"code":..,...} */
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *error = root ? json_object_get(root, "error") : NULL;
    ssot_buf *out = &session->gateway->out;
    ssot_buf_reset(out);
    if (!json_is_object(error)) {
        json_decref(root);
        gw_send_error(session, id, SSOT_E_INTERNAL, "the request failed with status %d", status);
        return;
    }
    ssot_buf_puts(out, "{\"type\":\"error\"");
    if (id && *id) ssot_buf_printf(out, ",\"id\":%s", id);
    ssot_buf_printf(out, ",\"status\":%d", status);
    const char *key;
    json_t *value;
    json_object_foreach(error, key, value) {
        char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) continue;
        ssot_buf_putc(out, ',');
        ssot_buf_put_json_string(out, key, strlen(key));
        ssot_buf_putc(out, ':');
        ssot_buf_puts(out, text);
        free(text);
    }
    ssot_buf_putc(out, '}');
    json_decref(root);
    if (!out->failed) gw_send(session, out->data, out->len);
}

void gw_close(gw_session *session, int code, const char *reason) {
    gw_flush(session);
    session->closing = 1;
    ssot_ws_close(session->ws, code, reason);
}

/* --- connections --------------------------------------------------------------------------------- */

/* The token of an upgrade request: Authorization: Bearer, else ?token=. */
static const char *upgrade_token(const ssot_request *req, size_t *len) {
    const char *token = NULL;
    *len = 0;
    if (req->authorization && ssot_auth_bearer(req->authorization, &token, len)) return token;
    token = ssot_request_param(req, "token", len);
    return token && *len ? token : NULL;
}

static void *on_open(void *ctx, ssot_ws *ws, const ssot_request *req) {
    ssot_gateway *gw = ctx;
    gw_session *session = calloc(1, sizeof *session);
    if (!session) return NULL;
    session->gateway = gw;
    session->ws = ws;
    session->number = ++gw->next_session;
    session->tokens = (double)gw->config->messages_per_second;
    session->refilled_ms = 0;
    ssot_user user;
    memset(&user, 0, sizeof user);
    char message[256] = "";
    int refused = 0;
    size_t len;
    const char *token = upgrade_token(req, &len);
    if (req->authorization && !token) {
        snprintf(message, sizeof message, "the Authorization header must be 'Bearer <token>'");
        refused = 1;
    } else if (token &&
               ssot_auth_verify(gw->options.auth, token, len, time(NULL), &user, message, sizeof message) != SSOT_JWT_OK) {
        memset(&user, 0, sizeof user);
        refused = 1;
    }
    session->user = gw_user_get(gw, &user);
    session->expires = user.expires;
    if (!session->user) {
        free(session);
        return NULL;
    }
    session->next = gw->sessions;
    if (gw->sessions) gw->sessions->prev = session;
    gw->sessions = session;
    gw->counts.connections++;
    if (refused) {
        gw_send_error(session, NULL, SSOT_E_UNAUTHORIZED, "%s", message);
        gw_close(session, SSOT_WS_CLOSE_UNAUTHORIZED, "invalid token");
    }
    return session;
}

/* The rate limit: a bucket of messages_per_second tokens, refilled continuously. */
static int within_rate(gw_session *session) {
    double rate = (double)session->gateway->config->messages_per_second;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (session->refilled_ms) {
        session->tokens += rate * (double)(now - session->refilled_ms) / 1000.0;
        if (session->tokens > rate) session->tokens = rate;
    }
    session->refilled_ms = now;
    if (session->tokens < 1.0) return 0;
    session->tokens -= 1.0;
    return 1;
}

static void on_message(void *ctx, void *s, const char *data, size_t len) {
    (void)ctx;
    gw_session *session = s;
    if (session->closing) return;
    if (!within_rate(session)) {
        /* the id is not read: reading it is the work the limit saves */
        gw_send_error(session, NULL, SSOT_E_RATE_LIMITED,
                      "more than %lld messages a second (websockets.limits.messagesPerSecond): this one was dropped",
                      (long long)session->gateway->config->messages_per_second);
        return;
    }
    gw_handle_message(session, data, len);
}

static void on_refused(void *ctx, void *s, int close_code, const char *why) {
    (void)ctx;
    gw_session *session = s;
    if (close_code == SSOT_WS_CLOSE_TOO_BIG)
        gw_send_error(session, NULL, SSOT_E_PAYLOAD_TOO_LARGE, "%s (websockets.limits.messageSize)", why);
    else
        gw_send_error(session, NULL, SSOT_E_BAD_REQUEST, "%s", why);
    gw_flush(session);
    session->closing = 1;
}

static void on_closed(void *ctx, void *s) {
    ssot_gateway *gw = ctx;
    gw_session *session = s;
    session->closing = 1;
    while (session->nsubs) gw_unsubscribe(gw, session->subs[session->nsubs - 1]);
    free(session->subs);
    for (size_t i = 0; i < session->nbatch; i++) ssot_shared_bytes_unref(session->batch[i]);
    free(session->batch);
    if (session->in_dirty)
        for (size_t i = 0; i < gw->ndirty; i++)
            if (gw->dirty[i] == session) gw->dirty[i] = NULL;
    if (session->prev) session->prev->next = session->next;
    else gw->sessions = session->next;
    if (session->next) session->next->prev = session->prev;
    gw->counts.connections--;
    gw_user_put(gw, session->user);
    free(session);
}

/* Closes connections whose token expired (and no newer auth came). */
static void expire_tokens(ssot_gateway *gw) {
    double now = (double)time(NULL);
    for (gw_session *session = gw->sessions; session; session = session->next) {
        if (session->closing || session->expires <= 0 || now < session->expires) continue;
        gw_send_error(session, NULL, SSOT_E_UNAUTHORIZED,
                      "the token expired: send auth with a new token before it does, or reconnect with one");
        gw_close(session, SSOT_WS_CLOSE_UNAUTHORIZED, "token expired");
    }
}

static void on_tick(void *ctx) {
    ssot_gateway *gw = ctx;
    for (size_t i = 0; i < gw->ndirty; i++) {
        gw_session *session = gw->dirty[i];
        if (!session) continue;
        session->in_dirty = 0;
        gw_flush(session);
    }
    gw->ndirty = 0;
    gw->ticked_ms += gw->config->batching ? gw->config->flush_interval_ms : 1000;
    if (gw->ticked_ms >= 1000) { /* tokens are checked once a second */
        gw->ticked_ms = 0;
        expire_tokens(gw);
    }
}

/* --- the fan-out ---------------------------------------------------------------------------------- */

static void gateway_close(ssot_fanout *fanout) {
    ssot_gateway *gw = (ssot_gateway *)fanout;
    while (gw->sessions) on_closed(gw, gw->sessions);
    gw_channels_free(gw);
    gw_user_put(gw, gw->anonymous);
    free(gw->anonymous);
    free(gw->dirty);
    free(gw->list_names);
    ssot_pred_pool_free(&gw->preds);
    ssot_buf_free(&gw->out);
    ssot_buf_free(&gw->resp_body);
    free(gw);
}

static const ssot_fanout_ops gateway_ops = {
    .name = "websocket",
    .publish_change = gw_publish_change,
    .publish_custom = gw_publish_custom,
    .close = gateway_close,
    .presence_elsewhere = gw_presence_elsewhere,
};

ssot_gateway *ssot_gateway_new(const ssot_gateway_options *options, char *err, size_t err_size) {
    ssot_gateway *gw = calloc(1, sizeof *gw);
    if (!gw) {
        snprintf(err, err_size, "out of memory for the realtime gateway");
        return NULL;
    }
    gw->base.ops = &gateway_ops;
    gw->options = *options;
    gw->app = options->app;
    gw->config = &options->app->websockets;
    gw->anonymous = calloc(1, sizeof *gw->anonymous);
    gw->list_names = calloc(gw->app->nmodels ? gw->app->nmodels : 1, sizeof *gw->list_names);
    gw->nbuckets = GW_BUCKETS_MIN;
    gw->buckets = calloc(gw->nbuckets, sizeof *gw->buckets);
    if (!gw->anonymous || !gw->list_names || !gw->buckets) {
        free(gw->anonymous);
        free(gw->list_names);
        free(gw->buckets);
        free(gw);
        snprintf(err, err_size, "out of memory for the realtime gateway");
        return NULL;
    }
    gw->anonymous->refs = 1;
    for (size_t i = 0; i < gw->app->nmodels; i++)
        snprintf(gw->list_names[i], sizeof gw->list_names[i], "%s:list", gw->app->models[i].name);
    return gw;
}

ssot_fanout *ssot_gateway_fanout(ssot_gateway *gateway) { return &gateway->base; }

void ssot_gateway_publish_through(ssot_gateway *gateway, ssot_fanout *outer) { gateway->outer = outer; }

void ssot_gateway_lost_events(void *gateway, const ssot_model *model) {
    ssot_gateway *gw = gateway;
    for (gw_session *session = gw->sessions, *next; session; session = next) {
        next = session->next; /* in case a close takes the session out of the list at once */
        if (session->closing) continue;
        for (size_t i = 0; i < session->nsubs; i++) {
            const ssot_channel_ref *ref = &session->subs[i]->channel->ref;
            if (ref->kind != SSOT_CHANNEL_CUSTOM && ref->model == model) {
                /* 1012 (service restart): clients reconnect; a live stream with a hole in it
                 * would be worse than a refetch */
                gw_close(session, 1012, "events were lost: subscribe again with since, and refetch");
                break;
            }
        }
    }
}

ssot_ws_handler ssot_gateway_ws_handler(ssot_gateway *gw) {
    const ssot_websockets_config *config = gw->config;
    return (ssot_ws_handler){
        .path = config->path,
        .max_message = (size_t)config->max_message,
        .max_queue = (size_t)config->send_queue,
        .ctx = gw,
        .open = on_open,
        .message = on_message,
        .refused = on_refused,
        .closed = on_closed,
        .tick = on_tick,
        .tick_ms = config->batching ? (int)config->flush_interval_ms : 1000,
    };
}

ssot_gateway_counts ssot_gateway_get_counts(const ssot_gateway *gateway) { return gateway->counts; }
