/* The client's messages (docs/protocol.md "Messages"): auth, subscribe, unsubscribe, publish,
 * request, presence and ping, each checked against the channel's rules (and a publish's data
 * against its event's payload fields) and answered with its reply or an error naming what was
 * wrong. `request` runs the REST service's own handler with the connection's user, so
 * validation, rules, hooks and errors are REST's. Uses client_message.c, channel.c,
 * gateway_channels.c, gateway_deliver.c, rules.c. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, gmtime_r */
#include "runtime/realtime/gateway_internal.h"

#include "runtime/http/ws_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sends {"type":<type>[,"id":..]<rest>} where rest is ",..." JSON members or "". */
static void reply(gw_session *session, const char *type, const char *id, const char *rest, size_t rest_len) {
    ssot_buf *out = &session->gateway->out;
    ssot_buf_reset(out);
    ssot_buf_printf(out, "{\"type\":\"%s\"", type);
    if (id && *id) ssot_buf_printf(out, ",\"id\":%s", id);
    ssot_buf_append(out, rest, rest_len);
    ssot_buf_putc(out, '}');
    if (!out->failed) gw_send(session, out->data, out->len);
}

/* Refuses an action a rule denies: 401 when signing in could help, else 403. */
static void deny(gw_session *session, const char *id, const ssot_rule *rule, const char *what) {
    const ssot_user *user = &session->user->user;
    if (!user->authenticated && (!rule->ast || ssot_rule_satisfiable_when_signed_in(rule->ast)))
        gw_send_error(session, id, SSOT_E_UNAUTHORIZED,
                      "%s needs a signed-in user (rule: %s): connect with a token or send auth", what, rule->source);
    else
        gw_send_error(session, id, SSOT_E_FORBIDDEN, "the rule %s does not allow this %s to %s", rule->source,
                      user->authenticated ? "user" : "connection", what);
}

/* --- auth ---------------------------------------------------------------------------------------- */

static void on_auth(gw_session *session, const ssot_client_message *msg) {
    ssot_gateway *gw = session->gateway;
    ssot_user user;
    char message[256];
    if (ssot_auth_verify(gw->options.auth, msg->token, msg->token_len, time(NULL), &user, message, sizeof message) !=
        SSOT_JWT_OK) {
        gw_send_error(session, msg->id, SSOT_E_UNAUTHORIZED, "%s", message);
        gw_close(session, SSOT_WS_CLOSE_UNAUTHORIZED, "invalid token");
        return;
    }
    const ssot_user *current = &session->user->user;
    if (current->authenticated && strcmp(current->id, user.id) != 0) {
        gw_send_error(session, msg->id, SSOT_E_FORBIDDEN,
                      "this connection is signed in as user %s; a token for another user needs a new connection",
                      current->id);
        return;
    }
    gw_user *next = gw_user_get(gw, &user);
    if (!next) {
        gw_send_error(session, msg->id, SSOT_E_INTERNAL, "out of memory for the connection's user");
        return;
    }
    /* presence counts users: move this connection's presence to its new identity */
    for (size_t i = 0; i < session->nsubs; i++) gw_presence_leave(gw, session->subs[i]->channel, session);
    gw_user_put(gw, session->user);
    session->user = next;
    session->expires = user.expires;
    for (size_t i = 0; i < session->nsubs; i++) gw_presence_enter(gw, session->subs[i]->channel, session);
    ssot_buf data;
    ssot_buf_init(&data);
    ssot_buf_puts(&data, ",\"data\":{\"user\":{\"id\":");
    ssot_buf_put_json_string(&data, user.id, strlen(user.id));
    ssot_buf_puts(&data, ",\"role\":");
    if (user.role[0]) ssot_buf_put_json_string(&data, user.role, strlen(user.role));
    else ssot_buf_puts(&data, "null");
    ssot_buf_puts(&data, "},\"expiresAt\":");
    if (user.expires > 0) {
        time_t when = (time_t)user.expires;
        struct tm tm;
        char text[32];
        if (user.expires < 253402300800.0 && gmtime_r(&when, &tm) && strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm))
            ssot_buf_printf(&data, "\"%s\"", text);
        else
            ssot_buf_puts(&data, "null");
    } else {
        ssot_buf_puts(&data, "null");
    }
    ssot_buf_putc(&data, '}');
    if (!data.failed) reply(session, "response", msg->id, data.data, data.len);
    ssot_buf_free(&data);
}

/* --- subscribing -------------------------------------------------------------------------------- */

/* Resolves the message's channel; answers bad_request when it names none. */
static int resolve(gw_session *session, const ssot_client_message *msg, ssot_channel_ref *ref) {
    char why[768];
    if (ssot_channel_resolve(session->gateway->app, msg->channel, msg->channel_len, ref, why, sizeof why) == 0)
        return 0;
    gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST, "%s", why);
    return -1;
}

/* A custom channel's rule (subscribe or publish) for the session's user and the channel's
 * parameters; answers the refusal. */
static int custom_allowed(gw_session *session, const char *id, const ssot_channel_ref *ref, const ssot_rule *rule,
                          const char *what) {
    json_t *params = ssot_channel_params(ref);
    int allowed = params && gw_rule_allows(session->gateway, rule, &session->user->user, NULL, NULL, 0, params);
    json_decref(params);
    if (!allowed) deny(session, id, rule, what);
    return allowed;
}

/* The list channel's check: the list rule (and the subscribe rule) must let the user see some
 * row. A function rule decides per row, so it passes here. */
static int list_allowed(gw_session *session, const char *id, const ssot_model *model, const char *what) {
    ssot_gateway *gw = session->gateway;
    const ssot_rule *rules[2] = {&model->permissions[SSOT_ACTION_LIST],
                                 model->realtime.has_subscribe_rule ? &model->realtime.subscribe : NULL};
    for (int i = 0; i < 2; i++) {
        if (!rules[i] || !rules[i]->ast) continue;
        ssot_pred_pool_reset(&gw->preds);
        const ssot_pred *pred = ssot_rule_reduce(rules[i]->ast, &session->user->user, &gw->preds);
        if (!pred || pred->op == SSOT_PRED_FALSE) {
            deny(session, id, rules[i], what);
            return 0;
        }
    }
    return 1;
}

/* Runs one REST call for the session: method on path (and query params, body) with the
 * session's user. Leaves the answer in gw->resp. */
static void call_rest(gw_session *session, ssot_method method, const char *path, const ssot_query_param *params,
                      size_t nparams, const char *body, size_t body_len) {
    ssot_gateway *gw = session->gateway;
    ssot_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.path_len = strlen(path);
    for (size_t i = 0; i < nparams && i < SSOT_MAX_QUERY_PARAMS; i++) req.params[req.nparams++] = params[i];
    req.body = body;
    req.body_len = body_len;
    req.content_type = body ? "application/json" : NULL;
    snprintf(req.id, sizeof req.id, "ws%llu-%llu", (unsigned long long)session->number,
             (unsigned long long)++gw->requests);
    req.user = session->user->user;
    req.user_verified = 1;
    ssot_response *resp = &gw->resp;
    ssot_response_reset(resp, &gw->resp_body);
    gw->options.handle(gw->options.service, &req, resp);
    if (resp->held) { /* a write held for the group commit: commit it now and answer */
        void *held = resp->held;
        resp->held = NULL;
        gw->options.finish(gw->options.service, held, &req, resp);
    }
}

/* The item channel's check: the row must exist and GET must be allowed (answered as GET
 * would), and the subscribe rule must allow it. */
static int item_allowed(gw_session *session, const char *id, const ssot_channel_ref *ref, const char *what) {
    ssot_gateway *gw = session->gateway;
    const ssot_model *model = ref->model;
    char path[SSOT_CHANNEL_NAME_MAX + 300];
    snprintf(path, sizeof path, "/api/%s/%.*s", model->path, (int)ref->item_id_len, ref->item_id);
    call_rest(session, SSOT_METHOD_GET, path, NULL, 0, NULL, 0);
    const ssot_response *resp = &gw->resp;
    if (resp->status != 200) {
        gw_send_rest_error(session, id, resp->status, ssot_response_body(resp), ssot_response_body_len(resp));
        return 0;
    }
    if (!model->realtime.has_subscribe_rule) return 1;
    const char *row = ssot_response_body(resp);
    size_t row_len = ssot_response_body_len(resp);
    char owner[SSOT_USER_ID_MAX] = "";
    int has_owner = 0;
    if (model->owner) {
        json_t *parsed = json_loadb(row, row_len, 0, NULL);
        json_t *value = json_object_get(parsed, model->owner->name);
        if (json_is_integer(value))
            has_owner = snprintf(owner, sizeof owner, "%" JSON_INTEGER_FORMAT, json_integer_value(value)) > 0;
        else if (json_is_string(value))
            has_owner = snprintf(owner, sizeof owner, "%s", json_string_value(value)) >= 0;
        json_decref(parsed);
    }
    const ssot_rule *rule = &model->realtime.subscribe;
    if (gw_rule_allows(gw, rule, &session->user->user, has_owner ? owner : NULL, row, row_len, NULL)) return 1;
    deny(session, id, rule, what);
    return 0;
}

static void on_subscribe(gw_session *session, const ssot_client_message *msg) {
    ssot_gateway *gw = session->gateway;
    ssot_channel_ref ref;
    if (resolve(session, msg, &ref)) return;
    gw_sub *existing = gw_session_sub(session, msg->channel, msg->channel_len);
    if (!existing && session->nsubs >= (size_t)gw->config->max_subscriptions) {
        gw_send_error(session, msg->id, SSOT_E_TOO_MANY_SUBSCRIPTIONS,
                      "this connection has %zu subscriptions, the most it may have (websockets.limits.subscriptions): "
                      "unsubscribe from one first",
                      session->nsubs);
        return;
    }
    char what[SSOT_CHANNEL_NAME_MAX + 20];
    snprintf(what, sizeof what, "subscribe to %.*s", (int)msg->channel_len, msg->channel);
    switch (ref.kind) {
    case SSOT_CHANNEL_LIST:
        if (list_allowed(session, msg->id, ref.model, what)) gw_subscribe_model(session, msg, &ref);
        return;
    case SSOT_CHANNEL_ITEM:
        if (item_allowed(session, msg->id, &ref, what)) gw_subscribe_model(session, msg, &ref);
        return;
    case SSOT_CHANNEL_CUSTOM: break;
    }
    if (!custom_allowed(session, msg->id, &ref, &ref.def->subscribe, what)) return;
    gw_sub *sub = existing ? existing : gw_subscribe(gw, session, msg->channel, msg->channel_len, &ref);
    if (!sub) {
        gw_send_error(session, msg->id, SSOT_E_INTERNAL, "out of memory for the subscription");
        return;
    }
    ssot_buf rest;
    ssot_buf_init(&rest);
    ssot_buf_puts(&rest, ",\"channel\":");
    ssot_buf_put_json_string(&rest, msg->channel, msg->channel_len);
    if (ref.def->presence) {
        ssot_buf_puts(&rest, ",\"presence\":");
        gw_presence_json(sub->channel, &rest);
    }
    if (!rest.failed) reply(session, "subscribed", msg->id, rest.data, rest.len);
    ssot_buf_free(&rest);
}

static void on_unsubscribe(gw_session *session, const ssot_client_message *msg) {
    gw_sub *sub = gw_session_sub(session, msg->channel, msg->channel_len);
    if (sub) gw_unsubscribe(session->gateway, sub);
    ssot_buf rest;
    ssot_buf_init(&rest);
    ssot_buf_puts(&rest, ",\"data\":{\"channel\":");
    ssot_buf_put_json_string(&rest, msg->channel, msg->channel_len);
    ssot_buf_putc(&rest, '}');
    if (!rest.failed) reply(session, "response", msg->id, rest.data, rest.len);
    ssot_buf_free(&rest);
}

/* --- custom channels ---------------------------------------------------------------------------- */

/* Resolves a custom channel for publish or presence; answers why not. */
static int resolve_custom(gw_session *session, const ssot_client_message *msg, ssot_channel_ref *ref,
                          const char *what) {
    if (resolve(session, msg, ref)) return -1;
    if (ref->kind == SSOT_CHANNEL_CUSTOM) return 0;
    gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST,
                  "%s works on custom channels; %.*s is a model channel, which changes with the model's writes", what,
                  (int)msg->channel_len, msg->channel);
    return -1;
}

/* Whether the message's data fits the fields declared for its event (payload); answers
 * validation_failed with REST's fields object — empty for data that is not an object, where
 * no one field is at fault and the message says what the data should be. */
static int payload_fits(gw_session *session, const ssot_client_message *msg, const ssot_model *payload) {
    ssot_body_errors errs;
    int invalid = ssot_channel_check_payload(payload, msg->data, &errs);
    if (invalid == 0) return 1;
    char channel[SSOT_CHANNEL_NAME_MAX + 1];
    snprintf(channel, sizeof channel, "%.*s", (int)msg->channel_len, msg->channel);
    if (invalid == -1) {
        char why[1024];
        ssot_channel_payload_shape(payload, msg->event, channel, msg->data, why, sizeof why);
        gw_send_invalid(session, msg->id, &errs, "%s", why);
    } else if (invalid == -2) {
        gw_send_error(session, msg->id, SSOT_E_INTERNAL, "out of memory checking the payload of %s", msg->event);
    } else {
        char summary[64];
        ssot_body_errors_summary(&errs, summary, sizeof summary);
        gw_send_invalid(session, msg->id, &errs, "the payload of %s on %s is invalid: %s", msg->event, channel, summary);
    }
    return 0;
}

static void on_publish(gw_session *session, const ssot_client_message *msg) {
    ssot_gateway *gw = session->gateway;
    ssot_channel_ref ref;
    if (resolve_custom(session, msg, &ref, "publish")) return;
    if (!ssot_channel_has_event(ref.def, msg->event)) {
        char events[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < ref.def->nevents && used < sizeof events; i++)
            used += (size_t)snprintf(events + used, sizeof events - used, "%s%s", i ? ", " : "", ref.def->events[i]);
        gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST, "%s has no event \"%.64s\": its events are %s",
                      ref.def->pattern, msg->event, events);
        return;
    }
    char what[SSOT_CHANNEL_NAME_MAX + 20];
    snprintf(what, sizeof what, "publish on %.*s", (int)msg->channel_len, msg->channel);
    if (!custom_allowed(session, msg->id, &ref, &ref.def->publish, what)) return;
    const ssot_model *payload = ssot_channel_payload(ref.def, msg->event);
    if (payload && !payload_fits(session, msg, payload)) return;
    char *data = msg->data ? json_dumps(msg->data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char channel[SSOT_CHANNEL_NAME_MAX + 1];
    snprintf(channel, sizeof channel, "%.*s", (int)msg->channel_len, msg->channel);
    const ssot_user *user = &session->user->user;
    /* through the follower when there is one, which delivers here and to the other nodes */
    ssot_fanout_publish_custom(gw->outer ? gw->outer : &gw->base, channel, msg->event, data, data ? strlen(data) : 0,
                               user->authenticated ? user->id : NULL);
    free(data);
    reply(session, "response", msg->id, ",\"data\":null", 12);
}

static void on_presence(gw_session *session, const ssot_client_message *msg) {
    ssot_channel_ref ref;
    if (resolve_custom(session, msg, &ref, "presence")) return;
    if (!ref.def->presence) {
        gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST,
                      "%s does not track presence: declare it with presence = true in websockets.pubsub.channels",
                      ref.def->pattern);
        return;
    }
    char what[SSOT_CHANNEL_NAME_MAX + 30];
    snprintf(what, sizeof what, "see who is on %.*s", (int)msg->channel_len, msg->channel);
    if (!custom_allowed(session, msg->id, &ref, &ref.def->subscribe, what)) return;
    gw_channel *channel = gw_channel_find(session->gateway, msg->channel, msg->channel_len);
    ssot_buf rest;
    ssot_buf_init(&rest);
    ssot_buf_puts(&rest, ",\"data\":{\"channel\":");
    ssot_buf_put_json_string(&rest, msg->channel, msg->channel_len);
    ssot_buf_puts(&rest, ",\"users\":");
    if (channel) gw_presence_json(channel, &rest);
    else ssot_buf_puts(&rest, "[]");
    ssot_buf_putc(&rest, '}');
    if (!rest.failed) reply(session, "response", msg->id, rest.data, rest.len);
    ssot_buf_free(&rest);
}

/* --- requests ------------------------------------------------------------------------------------ */

/* params.id as URL segment text: an integer or a string without '/'. */
static int request_id(gw_session *session, const ssot_client_message *msg, char out[80]) {
    json_t *id = msg->params ? json_object_get(msg->params, "id") : NULL;
    if (json_is_integer(id)) {
        snprintf(out, 80, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        return 0;
    }
    if (json_is_string(id) && json_string_length(id) > 0 && json_string_length(id) < 80 &&
        strlen(json_string_value(id)) == json_string_length(id) && !strchr(json_string_value(id), '/')) {
        snprintf(out, 80, "%s", json_string_value(id));
        return 0;
    }
    gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST,
                  "a %s request needs params.id, the row's id (an integer or a string of up to 79 characters)",
                  ssot_action_name(msg->action));
    return -1;
}

/* params.data as the JSON body of a write. NULL after answering. */
static char *request_body(gw_session *session, const ssot_client_message *msg) {
    json_t *data = msg->params ? json_object_get(msg->params, "data") : NULL;
    if (!json_is_object(data)) {
        gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST,
                      "a %s request needs params.data, the row's fields as an object", ssot_action_name(msg->action));
        return NULL;
    }
    char *body = json_dumps(data, JSON_COMPACT);
    if (!body) gw_send_error(session, msg->id, SSOT_E_INTERNAL, "out of memory for the request body");
    return body;
}

/* A list's params as the REST query: where and orderBy as JSON text, skip and take. */
static int list_query(gw_session *session, const ssot_client_message *msg, ssot_query_param *params, size_t *n,
                      char texts[4][SSOT_CHANNEL_NAME_MAX], char **dumped) {
    static const char *const names[] = {"where", "orderBy", "skip", "take"};
    *n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(msg->params, key, value) {
        size_t k = 0;
        while (k < 4 && strcmp(key, names[k]) != 0) k++;
        if (k == 4) {
            gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST,
                          "unknown list parameter \"%.40s\": a list takes where, orderBy, skip and take", key);
            return -1;
        }
        if (k < 2) { /* where, orderBy: JSON values, as the REST query's JSON text */
            dumped[k] = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!dumped[k]) return -1;
            params[*n] = (ssot_query_param){names[k], dumped[k], strlen(dumped[k])};
        } else if (json_is_integer(value)) {
            snprintf(texts[k], SSOT_CHANNEL_NAME_MAX, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
            params[*n] = (ssot_query_param){names[k], texts[k], strlen(texts[k])};
        } else {
            gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST, "params.%s must be an integer", names[k]);
            return -1;
        }
        (*n)++;
    }
    return 0;
}

static void on_request(gw_session *session, const ssot_client_message *msg) {
    ssot_gateway *gw = session->gateway;
    const ssot_model *model = ssot_app_model(gw->app, msg->model);
    if (!model) {
        gw_send_error(session, msg->id, SSOT_E_BAD_REQUEST, "no model named \"%.64s\"", msg->model);
        return;
    }
    char path[400], id[80];
    char *body = NULL, *dumped[2] = {NULL, NULL};
    char texts[4][SSOT_CHANNEL_NAME_MAX];
    ssot_query_param params[4];
    size_t nparams = 0;
    ssot_method method = SSOT_METHOD_GET;
    switch (msg->action) {
    case SSOT_ACTION_LIST:
        if (msg->params && list_query(session, msg, params, &nparams, texts, dumped)) goto done;
        snprintf(path, sizeof path, "/api/%s", model->path);
        break;
    case SSOT_ACTION_CREATE:
        if (!(body = request_body(session, msg))) goto done;
        method = SSOT_METHOD_POST;
        snprintf(path, sizeof path, "/api/%s", model->path);
        break;
    case SSOT_ACTION_UPDATE:
        if (request_id(session, msg, id) || !(body = request_body(session, msg))) goto done;
        method = json_is_true(json_object_get(msg->params, "replace")) ? SSOT_METHOD_PUT : SSOT_METHOD_PATCH;
        snprintf(path, sizeof path, "/api/%s/%s", model->path, id);
        break;
    default: /* get, delete */
        if (request_id(session, msg, id)) goto done;
        method = msg->action == SSOT_ACTION_DELETE ? SSOT_METHOD_DELETE : SSOT_METHOD_GET;
        snprintf(path, sizeof path, "/api/%s/%s", model->path, id);
        break;
    }
    call_rest(session, method, path, params, nparams, body, body ? strlen(body) : 0);
    const ssot_response *resp = &gw->resp;
    size_t len = ssot_response_body_len(resp);
    if (resp->status >= 400) {
        gw_send_rest_error(session, msg->id, resp->status, ssot_response_body(resp), len);
    } else {
        ssot_buf *data = &gw->resp_body; /* the body sits after the headroom: put the prefix before it */
        static const char prefix[] = ",\"data\":";
        size_t start = SSOT_RESPONSE_HEADROOM - (sizeof prefix - 1);
        memcpy(data->data + start, prefix, sizeof prefix - 1);
        if (len == 0) ssot_buf_puts(data, "null");
        reply(session, "response", msg->id, data->data + start, data->len - start);
    }
done:
    free(body);
    free(dumped[0]);
    free(dumped[1]);
}

/* --- dispatch ------------------------------------------------------------------------------------ */

void gw_handle_message(gw_session *session, const char *text, size_t len) {
    ssot_client_message msg;
    char problem[512];
    if (ssot_client_message_parse(text, len, &msg, problem, sizeof problem)) {
        gw_send_error(session, msg.id, SSOT_E_BAD_REQUEST, "%s", problem);
        ssot_client_message_free(&msg);
        return;
    }
    switch (msg.type) {
    case SSOT_MSG_AUTH: on_auth(session, &msg); break;
    case SSOT_MSG_SUBSCRIBE: on_subscribe(session, &msg); break;
    case SSOT_MSG_UNSUBSCRIBE: on_unsubscribe(session, &msg); break;
    case SSOT_MSG_PUBLISH: on_publish(session, &msg); break;
    case SSOT_MSG_REQUEST: on_request(session, &msg); break;
    case SSOT_MSG_PRESENCE: on_presence(session, &msg); break;
    case SSOT_MSG_PING: reply(session, "pong", msg.id, "", 0); break;
    case SSOT_MSG_TYPE_COUNT: break;
    }
    ssot_client_message_free(&msg);
}
