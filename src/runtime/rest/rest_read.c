/* GET /api/<path> (list) and GET /api/<path>/<id> (get): the query parameters, the row
 * filter from the list/get rule, and the store's JSON straight into the response.
 * Uses query.c, rest.c, the store. */
#include "runtime/http/http_response.h"
#include "runtime/model/query.h"
#include "runtime/rest/rest.h"

#include <string.h>

void ssot_rest_list(ssot_service *svc, const ssot_model *model, ssot_request *req, ssot_response *resp);
void ssot_rest_get(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                   ssot_response *resp);

/* A Lua-function rule that failed while the store filtered rows: 500 with its traceback
 * logged. Returns 1 when that happened. */
static int rule_function_failed(const ssot_model *model, ssot_action action, const ssot_rest_rule_ctx *rc,
                                const ssot_request *req, ssot_response *resp) {
    if (!rc->failed) return 0;
    char what[160];
    snprintf(what, sizeof what, "the %s rule function of %s", ssot_action_name(action), model->name);
    ssot_service_fail(resp, req, what, rc->message);
    return 1;
}

void ssot_rest_list(ssot_service *svc, const ssot_model *model, ssot_request *req, ssot_response *resp) {
    ssot_row_filter filter;
    ssot_rest_rule_ctx rule_ctx;
    int outcome = ssot_rest_row_filter(svc, model, SSOT_ACTION_LIST, req, resp, &filter, &rule_ctx);
    if (outcome < 0) return;
    if (outcome > 0) {
        ssot_rest_deny(model, SSOT_ACTION_LIST, &model->permissions[SSOT_ACTION_LIST], req, resp);
        return;
    }

    ssot_query query;
    ssot_query_error qerr;
    ssot_query_init(&query, model, svc->app->serve.default_take, svc->app->serve.max_take);
    for (size_t i = 0; i < req->nparams; i++) {
        const ssot_query_param *param = &req->params[i];
        if (strcmp(param->name, "token") == 0) continue; /* the caller's JWT, already verified */
        if (ssot_query_add_param(&query, param->name, param->value, param->value_len, &qerr)) {
            ssot_http_error(resp, req, SSOT_E_BAD_REQUEST, "%s", qerr.message);
            ssot_query_free(&query);
            return;
        }
    }
    ssot_store_error err;
    ssot_store_status status = ssot_store_list(svc->store, &query, &filter, resp->body, NULL, &err);
    ssot_query_free(&query);
    if (filter.visible && rule_function_failed(model, SSOT_ACTION_LIST, &rule_ctx, req, resp)) return;
    if (status != SSOT_STORE_OK) ssot_rest_store_error(model, &err, req, resp);
}

void ssot_rest_get(ssot_service *svc, const ssot_model *model, const char *id, size_t id_len, ssot_request *req,
                   ssot_response *resp) {
    ssot_row_filter filter;
    ssot_rest_rule_ctx rule_ctx;
    const ssot_rule *rule = &model->permissions[SSOT_ACTION_GET];
    int outcome = ssot_rest_row_filter(svc, model, SSOT_ACTION_GET, req, resp, &filter, &rule_ctx);
    if (outcome < 0) return;
    if (outcome > 0) {
        ssot_rest_deny(model, SSOT_ACTION_GET, rule, req, resp);
        return;
    }
    ssot_store_error err;
    ssot_store_status status = ssot_store_get(svc->store, model, id, id_len, &filter, resp->body, &err);
    if (filter.visible && rule_function_failed(model, SSOT_ACTION_GET, &rule_ctx, req, resp)) return;
    if (status == SSOT_STORE_DENIED) ssot_rest_deny(model, SSOT_ACTION_GET, rule, req, resp);
    else if (status != SSOT_STORE_OK) ssot_rest_store_error(model, &err, req, resp);
}
