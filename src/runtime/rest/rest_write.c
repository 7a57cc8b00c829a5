/* POST, PATCH/PUT and DELETE on a model: the body (415, invalid JSON, validation), the
 * owner field from the token, the create/update/delete rule, before-hooks (inside the
 * store's transaction for update and delete, so they see the row being changed), the write,
 * the fan-out of the committed change, and after-hooks. Uses body.c, rules.c, hooks.c. */
#include "runtime/model/body.h"
#include "runtime/lua/hooks.h"
#include "runtime/http/http_response.h"
#include "runtime/rest/rest.h"
#include "runtime/auth/rules.h"
#include "runtime/model/value.h"

#include "host/log.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ssot_rest_create(ssot_service *svc, const ssot_model *model, ssot_request *req, ssot_response *resp);
void ssot_rest_update(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                      ssot_response *resp);
void ssot_rest_delete(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                      ssot_response *resp);

/* --- the body ----------------------------------------------------------------------------- */

static void answer_invalid(const ssot_body_errors *errs, const ssot_request *req, ssot_response *resp) {
    ssot_buf object = SSOT_BUF_INIT;
    ssot_body_errors_json(errs, &object);
    ssot_http_error_object(resp, req, SSOT_E_VALIDATION_FAILED, ssot_buf_cstr(&object), object.len);
    ssot_buf_free(&object);
}

/* The request's body parsed and checked for mode, or NULL after answering 415 / 400. */
static json_t *read_body(const ssot_model *model, ssot_body_mode mode, const ssot_request *req, ssot_response *resp) {
    if (!ssot_request_is_json(req)) {
        ssot_http_error(resp, req, SSOT_E_UNSUPPORTED_MEDIA_TYPE,
                        "send the body as JSON with Content-Type: application/json (got %s)",
                        req->content_type ? req->content_type : "no Content-Type");
        return NULL;
    }
    if (!req->body) {
        ssot_http_error(resp, req, SSOT_E_LENGTH_REQUIRED,
                        "send the JSON body with a Content-Length header (chunked request bodies are not supported)");
        return NULL;
    }
    char message[256];
    json_t *body = ssot_body_parse(req->body, req->body_len, message, sizeof message);
    if (!body) {
        ssot_http_error(resp, req, SSOT_E_INVALID_JSON, "%s", message);
        return NULL;
    }
    ssot_body_errors errs;
    if (ssot_body_check(model, body, mode, &errs) > 0) {
        answer_invalid(&errs, req, resp);
        json_decref(body);
        return NULL;
    }
    return body;
}

/* The owner field's value for the signed-in user: an integer for integer columns. NULL when
 * the user id cannot be stored in that field. */
static json_t *owner_value(const ssot_model *model, const ssot_user *user) {
    const ssot_field *owner = model->owner;
    int integer_column = owner->type == SSOT_TYPE_INT || (owner->type == SSOT_TYPE_ID && owner->id_kind == SSOT_ID_INTEGER);
    if (!integer_column) return json_string(user->id);
    int64_t value;
    if (!ssot_int64_parse(user->id, strlen(user->id), &value)) return NULL;
    return json_integer((json_int_t)value);
}

/* Sets the owner field of a create body from the token. Returns 0, or -1 after answering. */
static int set_owner(const ssot_model *model, json_t *body, const ssot_request *req, ssot_response *resp) {
    const ssot_field *owner = model->owner;
    if (!owner) return 0;
    if (!req->user.authenticated) {
        if (owner->optional) return 0;
        ssot_http_error(resp, req, SSOT_E_UNAUTHORIZED,
                        "creating a %s needs a signed-in user: its owner field %s is set from the token",
                        model->name, owner->name);
        return -1;
    }
    json_t *value = owner_value(model, &req->user);
    if (!value) {
        ssot_http_error(resp, req, SSOT_E_FORBIDDEN, "the token's user id '%s' cannot be the %s of a %s (an %s field)",
                        req->user.id, owner->name, model->name, owner->type_name);
        return -1;
    }
    json_object_set_new(body, owner->name, value);
    return 0;
}

/* Copies the hook's data into body in place (the store holds the body pointer). */
static void replace_body(json_t *body, json_t *data) {
    if (data == body) return;
    json_object_clear(body);
    json_object_update(body, data);
}

/* --- hooks and errors -------------------------------------------------------------------- */

static void hook_failed(const ssot_model *model, ssot_hook hook, const ssot_hook_result *result,
                        const ssot_request *req, ssot_response *resp) {
    char what[160];
    snprintf(what, sizeof what, "the %s hook of %s", ssot_hook_name(hook), model->name);
    ssot_service_fail(resp, req, what, result->message);
}

static void hook_rejected(const ssot_hook_result *result, const ssot_request *req, ssot_response *resp) {
    if (result->status == 403) ssot_http_error(resp, req, SSOT_E_FORBIDDEN, "%s", result->message);
    else ssot_http_error(resp, req, SSOT_E_REJECTED, "%s", result->message);
}

/* Runs a before-hook's outcome into an answer; returns 1 when the request is over. */
static int before_hook_answered(const ssot_model *model, ssot_hook hook, ssot_hook_outcome outcome,
                                const ssot_hook_result *result, const ssot_request *req, ssot_response *resp) {
    if (outcome == SSOT_HOOK_REJECTED) hook_rejected(result, req, resp);
    else if (outcome == SSOT_HOOK_FAILED) hook_failed(model, hook, result, req, resp);
    return outcome != SSOT_HOOK_OK;
}

/* A hook that leaves data the model refuses is a bug in the hook, not the client's fault. */
static void hook_data_invalid(const ssot_model *model, ssot_hook hook, const ssot_body_errors *errs,
                              const ssot_request *req, ssot_response *resp) {
    char detail[1024];
    size_t used = (size_t)snprintf(detail, sizeof detail, "it returned data that does not fit the model:");
    for (size_t i = 0; i < errs->count && used < sizeof detail; i++)
        used += (size_t)snprintf(detail + used, sizeof detail - used, " %s %s;", errs->items[i].field,
                                 errs->items[i].message);
    ssot_hook_result result = {.outcome = SSOT_HOOK_FAILED};
    snprintf(result.message, sizeof result.message, "%s", detail);
    hook_failed(model, hook, &result, req, resp);
}

/* After a write returned OK: the fan-out and the after-hook, now or — for a batched write —
 * after the group commit, the response held until then. */
static void after_write(ssot_service *svc, const ssot_model *model, ssot_hook after, const ssot_change *change,
                        int batched, const ssot_request *req, const char *id, ssot_response *resp) {
    if (batched) {
        if (ssot_rest_hold(svc, model, after, change, req, id, resp) == 0) return;
        if (ssot_rest_settle(svc) != SSOT_STORE_OK) { /* out of memory to hold it: commit now */
            ssot_service_fail(resp, req, model->name, "the write could not be committed");
            return;
        }
    }
    ssot_rest_after_commit(svc, model, after, change, &req->user, req->id, id, req, resp);
}

/* --- create ------------------------------------------------------------------------------ */

void ssot_rest_create(ssot_service *svc, const ssot_model *model, ssot_request *req, ssot_response *resp) {
    const ssot_rule *rule = &model->permissions[SSOT_ACTION_CREATE];
    /* the new row will be owned by the caller, so isOwner means "is signed in" here */
    if (rule->ast && !ssot_rule_allows(rule->ast, &req->user, model->owner ? req->user.id : NULL)) {
        ssot_rest_deny(model, SSOT_ACTION_CREATE, rule, req, resp);
        return;
    }
    json_t *body = read_body(model, SSOT_BODY_CREATE, req, resp);
    if (!body) return;
    if (set_owner(model, body, req, resp)) goto done;
    if (!rule->ast) {
        char message[4096];
        int allowed = ssot_rule_call(svc->L, rule, &req->user, NULL, 0, body, message, sizeof message);
        if (allowed < 0) {
            char what[160];
            snprintf(what, sizeof what, "the create rule function of %s", model->name);
            ssot_service_fail(resp, req, what, message);
            goto done;
        }
        if (!allowed) {
            ssot_rest_deny(model, SSOT_ACTION_CREATE, rule, req, resp);
            goto done;
        }
    }
    ssot_hook_context ctx = {.model = model, .user = &req->user, .request_id = req->id};
    if (ssot_hooks_has(model, SSOT_HOOK_BEFORE_CREATE)) {
        ssot_hook_result result;
        ssot_hook_outcome outcome = ssot_hooks_run_before(svc->L, SSOT_HOOK_BEFORE_CREATE, &ctx, &body, &result);
        if (before_hook_answered(model, SSOT_HOOK_BEFORE_CREATE, outcome, &result, req, resp)) goto done;
        /* check what the hook left, without the owner (clients may not send it) */
        if (model->owner) json_object_del(body, model->owner->name);
        ssot_body_errors errs;
        if (ssot_body_check(model, body, SSOT_BODY_CREATE, &errs) > 0) {
            hook_data_invalid(model, SSOT_HOOK_BEFORE_CREATE, &errs, req, resp);
            goto done;
        }
        if (set_owner(model, body, req, resp)) goto done;
    }

    ssot_change change;
    ssot_store_error err;
    int batched = ssot_rest_batch_open(svc);
    if (ssot_store_create(svc->store, model, body, resp->body, &change, &err) != SSOT_STORE_OK) {
        ssot_rest_store_error(model, &err, req, resp);
        goto done;
    }
    resp->status = 201;
    snprintf(resp->location, sizeof resp->location, "/api/%s/%s", model->path, change.row.id ? change.row.id : "");
    after_write(svc, model, SSOT_HOOK_AFTER_CREATE, &change, batched, req, NULL, resp);
done:
    json_decref(body);
}

/* --- update and delete: checks inside the store's transaction ----------------------------- */

typedef enum write_refusal {
    WRITE_OK,
    WRITE_RULE_FAILED,   /* a Lua-function rule raised an error */
    WRITE_OWNER_CHANGE,  /* a non-admin tried to hand the row to someone else */
    WRITE_HOOK,          /* the before-hook rejected or failed (see hook) */
    WRITE_HOOK_INVALID   /* the before-hook left data the model refuses */
} write_refusal;

typedef struct write_check {
    ssot_service *svc;
    const ssot_model *model;
    ssot_request *req;
    ssot_action action;
    const ssot_pred *pred; /* expression rules, reduced for the caller */
    json_t *body;          /* update: the checked body; delete: NULL */
    ssot_body_mode mode;
    ssot_hook hook;
    const char *id;        /* the id as text (id_text) */
    char id_text[SSOT_ID_TEXT_SIZE + 8];
    write_refusal refusal;
    ssot_hook_outcome hook_outcome;
    ssot_hook_result hook_result;
    ssot_body_errors errs;
    char message[4096];
} write_check;

/* Whether the body moves the row to another owner. */
static int changes_owner(const write_check *wc, const ssot_row_view *existing) {
    const ssot_field *owner = wc->model->owner;
    json_t *value = owner && wc->body ? json_object_get(wc->body, owner->name) : NULL;
    if (!value) return 0;
    char text[64];
    if (json_is_integer(value)) snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    else if (json_is_string(value)) snprintf(text, sizeof text, "%s", json_string_value(value));
    else return 1; /* null or anything else: a change */
    return !existing->owner || strcmp(existing->owner, text) != 0;
}

/* ssot_authorize_fn: the rule against the row as it is, then the before-hook. */
static int authorize_write(void *ctx, const ssot_row_view *existing, char *message, size_t message_size) {
    write_check *wc = ctx;
    const ssot_rule *rule = &wc->model->permissions[wc->action];
    int allowed;
    if (rule->ast) {
        allowed = !wc->pred || ssot_pred_matches(wc->pred, existing->owner);
    } else {
        allowed = ssot_rule_call(wc->svc->L, rule, &wc->req->user, existing->json, existing->json_len, NULL,
                                 wc->message, sizeof wc->message);
        if (allowed < 0) {
            wc->refusal = WRITE_RULE_FAILED;
            snprintf(message, message_size, "permission function failed");
            return -1;
        }
    }
    if (!allowed) return 0;
    if (wc->action == SSOT_ACTION_UPDATE && !wc->req->user.is_admin && changes_owner(wc, existing)) {
        wc->refusal = WRITE_OWNER_CHANGE;
        snprintf(message, message_size, "owner change");
        return -1;
    }
    if (!ssot_hooks_has(wc->model, wc->hook)) return 1;
    ssot_hook_context hook_ctx = {.model = wc->model, .user = &wc->req->user, .request_id = wc->req->id,
                                  .id = wc->id, .existing = existing};
    json_t *data = wc->body ? json_incref(wc->body) : NULL;
    wc->hook_outcome = ssot_hooks_run_before(wc->svc->L, wc->hook, &hook_ctx, data ? &data : NULL, &wc->hook_result);
    if (data) {
        if (wc->hook_outcome == SSOT_HOOK_OK) replace_body(wc->body, data);
        json_decref(data);
    }
    if (wc->hook_outcome != SSOT_HOOK_OK) {
        wc->refusal = WRITE_HOOK;
        snprintf(message, message_size, "hook");
        return -1;
    }
    if (wc->body && ssot_body_check(wc->model, wc->body, wc->mode, &wc->errs) > 0) {
        wc->refusal = WRITE_HOOK_INVALID;
        snprintf(message, message_size, "hook data");
        return -1;
    }
    return 1;
}

/* Sets up wc; returns 0, or -1 after answering (a rule nobody passing can satisfy). */
static int begin_write(write_check *wc, ssot_service *svc, const ssot_model *model, ssot_action action, ssot_hook hook,
                       const char *id, size_t id_len, ssot_request *req, ssot_response *resp) {
    memset(wc, 0, sizeof *wc);
    wc->svc = svc;
    wc->model = model;
    wc->req = req;
    wc->action = action;
    wc->hook = hook;
    size_t keep = id_len < sizeof wc->id_text ? id_len : sizeof wc->id_text - 1;
    memcpy(wc->id_text, id, keep);
    wc->id = wc->id_text;
    const ssot_rule *rule = &model->permissions[action];
    if (!rule->ast) return 0;
    wc->pred = ssot_rule_reduce(rule->ast, &req->user, &svc->preds);
    if (!wc->pred) {
        ssot_service_fail(resp, req, model->name, "out of memory reducing a permission rule");
        return -1;
    }
    if (wc->pred->op == SSOT_PRED_FALSE) {
        ssot_rest_deny(model, action, rule, req, resp);
        return -1;
    }
    return 0;
}

/* Answers a write the store did not do. */
static void answer_write_failure(const write_check *wc, ssot_store_status status, const ssot_store_error *err,
                                 ssot_response *resp) {
    const ssot_model *model = wc->model;
    const ssot_request *req = wc->req;
    if (status == SSOT_STORE_DENIED) {
        ssot_rest_deny(model, wc->action, &model->permissions[wc->action], req, resp);
        return;
    }
    if (status == SSOT_STORE_REJECTED) {
        switch (wc->refusal) {
        case WRITE_RULE_FAILED: {
            char what[160];
            snprintf(what, sizeof what, "the %s rule function of %s", ssot_action_name(wc->action), model->name);
            ssot_service_fail(resp, req, what, wc->message);
            return;
        }
        case WRITE_OWNER_CHANGE:
            ssot_http_error(resp, req, SSOT_E_FORBIDDEN, "only an admin can change the %s of a %s",
                            model->owner->name, model->name);
            return;
        case WRITE_HOOK:
            if (wc->hook_outcome == SSOT_HOOK_REJECTED) hook_rejected(&wc->hook_result, req, resp);
            else hook_failed(model, wc->hook, &wc->hook_result, req, resp);
            return;
        case WRITE_HOOK_INVALID: hook_data_invalid(model, wc->hook, &wc->errs, req, resp); return;
        case WRITE_OK: break;
        }
    }
    if (status == SSOT_STORE_INVALID && wc->action == SSOT_ACTION_DELETE) {
        ssot_http_error(resp, req, SSOT_E_CONFLICT, "%s", err->message);
        return;
    }
    ssot_rest_store_error(model, err, req, resp);
}

/* After the store call: the answer to a failure, or the fan-out of the committed change
 * and the after-hook. Returns 1 when the write happened. */
static int end_write(const write_check *wc, ssot_store_status status, const ssot_store_error *err,
                     const ssot_change *change, ssot_hook after, int batched, ssot_response *resp) {
    if (status != SSOT_STORE_OK) {
        answer_write_failure(wc, status, err, resp);
        return 0;
    }
    after_write(wc->svc, wc->model, after, change, batched, wc->req, wc->id, resp);
    return 1;
}

void ssot_rest_update(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                      ssot_response *resp) {
    write_check wc;
    if (begin_write(&wc, svc, model, SSOT_ACTION_UPDATE, SSOT_HOOK_BEFORE_UPDATE, id, id_len, req, resp)) return;
    wc.mode = req->method == SSOT_METHOD_PUT ? SSOT_BODY_REPLACE : SSOT_BODY_PATCH;
    wc.body = read_body(model, wc.mode, req, resp);
    if (!wc.body) return;
    ssot_authorize authorize = {.fn = authorize_write, .ctx = &wc};
    ssot_update_mode mode = wc.mode == SSOT_BODY_REPLACE ? SSOT_UPDATE_REPLACE : SSOT_UPDATE_PATCH;
    ssot_change change;
    ssot_store_error err;
    int batched = ssot_rest_batch_open(svc);
    ssot_store_status status =
        ssot_store_update(svc->store, model, id, id_len, wc.body, mode, &authorize, resp->body, &change, &err);
    end_write(&wc, status, &err, &change, SSOT_HOOK_AFTER_UPDATE, batched, resp);
    json_decref(wc.body);
}

void ssot_rest_delete(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                      ssot_response *resp) {
    write_check wc;
    if (begin_write(&wc, svc, model, SSOT_ACTION_DELETE, SSOT_HOOK_BEFORE_DELETE, id, id_len, req, resp)) return;
    ssot_authorize authorize = {.fn = authorize_write, .ctx = &wc};
    ssot_change change;
    ssot_store_error err;
    int batched = ssot_rest_batch_open(svc);
    ssot_store_status status = ssot_store_remove(svc->store, model, id, id_len, &authorize, resp->body, &change, &err);
    if (end_write(&wc, status, &err, &change, SSOT_HOOK_AFTER_DELETE, batched, resp) && resp->status < 400) {
        ssot_buf_truncate(resp->body, SSOT_RESPONSE_HEADROOM); /* the deleted row was only for the event */
        resp->status = 204;
    }
}
