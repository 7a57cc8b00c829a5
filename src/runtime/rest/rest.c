/* What the REST handlers share (rest.h): dispatch by method, the caller's token, refusing
 * with 401 or 403, store errors as HTTP errors, and row filters from permission rules.
 * Uses auth_jwt.c, rules.c, http_response.c. */
#include "runtime/rest/rest.h"

#include "runtime/http/http_response.h"
#include "runtime/auth/rules.h"

#include "host/log.h"
#include "ssot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* rest_read.c and rest_write.c */
void ssot_rest_list(ssot_service *svc, const ssot_model *model, ssot_request *req, ssot_response *resp);
void ssot_rest_get(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                   ssot_response *resp);
void ssot_rest_create(ssot_service *svc, const ssot_model *model, ssot_request *req, ssot_response *resp);
void ssot_rest_update(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                      ssot_response *resp);
void ssot_rest_delete(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                      ssot_response *resp);

void ssot_rest_handle(ssot_service *svc, const ssot_route_match *match, ssot_request *req, ssot_response *resp) {
    if (ssot_rest_authenticate(svc, req, resp)) return;
    const ssot_model *model = match->model;
    if (match->kind == SSOT_ROUTE_COLLECTION) {
        if (req->method == SSOT_METHOD_POST) ssot_rest_create(svc, model, req, resp);
        else ssot_rest_list(svc, model, req, resp);
        return;
    }
    switch (req->method) {
    case SSOT_METHOD_PATCH:
    case SSOT_METHOD_PUT: ssot_rest_update(svc, model, match->id, match->id_len, req, resp); break;
    case SSOT_METHOD_DELETE: ssot_rest_delete(svc, model, match->id, match->id_len, req, resp); break;
    default: ssot_rest_get(svc, model, match->id, match->id_len, req, resp); break;
    }
}

int ssot_rest_authenticate(ssot_service *svc, ssot_request *req, ssot_response *resp) {
    if (req->user_verified) return 0; /* a WebSocket connection's user (docs/protocol.md) */
    const char *token = NULL;
    size_t len = 0;
    if (req->authorization) {
        if (!ssot_auth_bearer(req->authorization, &token, &len)) {
            ssot_http_error(resp, req, SSOT_E_UNAUTHORIZED,
                            "the Authorization header must be 'Bearer <token>' (a JWT signed with HS256)");
            return -1;
        }
    } else {
        token = ssot_request_param(req, "token", &len);
        if (token && len == 0) token = NULL;
    }
    if (!token) return 0; /* anonymous */
    char message[256];
    if (ssot_auth_verify(svc->auth, token, len, time(NULL), &req->user, message, sizeof message) != SSOT_JWT_OK) {
        ssot_http_error(resp, req, SSOT_E_UNAUTHORIZED, "%s", message);
        return -1;
    }
    return 0;
}

void ssot_rest_deny(const ssot_model *model, ssot_action action, const ssot_rule *rule, const ssot_request *req,
                    ssot_response *resp) {
    const char *verb = ssot_action_name(action);
    if (!req->user.authenticated && (!rule->ast || ssot_rule_satisfiable_when_signed_in(rule->ast))) {
        ssot_http_error(resp, req, SSOT_E_UNAUTHORIZED,
                        "%s on %s needs a signed-in user (rule: %s): send Authorization: Bearer <token>", verb,
                        model->name, rule->source);
        return;
    }
    ssot_http_error(resp, req, SSOT_E_FORBIDDEN, "the %s rule of %s (%s) does not allow this %s", verb, model->name,
                    rule->source, req->user.authenticated ? "user" : "request");
}

void ssot_rest_store_error(const ssot_model *model, const ssot_store_error *err, const ssot_request *req,
                           ssot_response *resp) {
    switch (err->status) {
    case SSOT_STORE_NOT_FOUND:
        ssot_http_error(resp, req, SSOT_E_NOT_FOUND, "%s", err->message[0] ? err->message : "no such row");
        return;
    case SSOT_STORE_CONFLICT:
    case SSOT_STORE_INVALID: {
        int conflict = err->status == SSOT_STORE_CONFLICT;
        if (!err->field) {
            ssot_http_error(resp, req, conflict ? SSOT_E_CONFLICT : SSOT_E_VALIDATION_FAILED, "%s",
                            err->message);
            return;
        }
        ssot_buf object = SSOT_BUF_INIT;
        const char *code = ssot_error_facts[conflict ? SSOT_E_CONFLICT : SSOT_E_VALIDATION_FAILED].code;
        ssot_buf_puts(&object, "{\"code\":");
        ssot_buf_put_json_string(&object, code, strlen(code));
        ssot_buf_puts(&object, ",\"message\":");
        ssot_buf_put_json_string(&object, err->message, strlen(err->message));
        ssot_buf_puts(&object, ",\"fields\":{");
        ssot_buf_put_json_string(&object, err->field->name, strlen(err->field->name));
        ssot_buf_putc(&object, ':');
        ssot_buf_put_json_string(&object, err->message, strlen(err->message));
        ssot_buf_puts(&object, "}}");
        ssot_http_error_object(resp, req, conflict ? SSOT_E_CONFLICT : SSOT_E_VALIDATION_FAILED,
                               ssot_buf_cstr(&object), object.len);
        ssot_buf_free(&object);
        return;
    }
    case SSOT_STORE_BUSY:
        ssot_http_error(resp, req, SSOT_E_UNAVAILABLE, "the database is busy; retry shortly");
        return;
    /* the log names the file and the cause; the client learns what happened and what to do */
    case SSOT_STORE_UNAVAILABLE:
        ssot_logf(SSOT_LOG_ERROR, "request %s: %s", req->id, err->message);
        ssot_http_error(resp, req, SSOT_E_UNAVAILABLE,
                        "the database cannot be written or read right now (the server log has the cause under "
                        "request id %s); nothing was written: retry later",
                        req->id);
        return;
    case SSOT_STORE_FULL:
        ssot_logf(SSOT_LOG_ERROR, "request %s: %s", req->id, err->message);
        ssot_http_error(resp, req, SSOT_E_INSUFFICIENT_STORAGE,
                        "the server's disk is full; nothing was written: retry once space has been freed");
        return;
    default:
        ssot_service_fail(resp, req, model->name, err->message);
        return;
    }
}

int ssot_rest_rule_visible(void *ctx, const ssot_row_view *row, char *message, size_t message_size) {
    ssot_rest_rule_ctx *rc = ctx;
    int allowed = ssot_rule_call(rc->svc->L, rc->rule, rc->user, row->json, row->json_len, NULL, rc->message,
                                 sizeof rc->message);
    if (allowed < 0) {
        rc->failed = 1;
        snprintf(message, message_size, "the permission function failed");
    }
    return allowed;
}

int ssot_rest_row_filter(ssot_service *svc, const ssot_model *model, ssot_action action, ssot_request *req,
                         ssot_response *resp, ssot_row_filter *filter, void *callback_ctx) {
    const ssot_rule *rule = &model->permissions[action];
    memset(filter, 0, sizeof *filter);
    if (!rule->ast) {
        ssot_rest_rule_ctx *rc = callback_ctx;
        memset(rc, 0, sizeof *rc);
        rc->svc = svc;
        rc->rule = rule;
        rc->user = &req->user;
        filter->visible = ssot_rest_rule_visible;
        filter->ctx = rc;
        return 0;
    }
    const ssot_pred *pred = ssot_rule_reduce(rule->ast, &req->user, &svc->preds);
    if (!pred) {
        ssot_service_fail(resp, req, model->name, "out of memory reducing a permission rule");
        return -1;
    }
    if (pred->op == SSOT_PRED_FALSE) return 1;
    filter->pred = pred->op == SSOT_PRED_TRUE ? NULL : pred;
    return 0;
}
