/* The REST service (service.h): setting it up over an app and a store, and answering each
 * request by its route — 404, 405 with Allow, CORS preflights, /healthz, the models, the
 * custom routes and the static front end. Uses router.c, rest.c, custom_routes.c,
 * lua_reads.c (ssot.get, ssot.list), static_files.c, host/log.h. */
#include "runtime/rest/service.h"

#include "runtime/rest/custom_routes.h"
#include "runtime/rest/lua_reads.h"
#include "runtime/http/http_response.h"
#include "runtime/lua/lua_bridge.h"
#include "runtime/rest/rest.h"

#include "host/log.h"
#include "ssot.h"

#include <stdio.h>
#include <string.h>

int ssot_service_init(ssot_service *svc, const ssot_app *app, ssot_store *store, const ssot_service_options *options,
                      char *err, size_t err_size) {
    memset(svc, 0, sizeof *svc);
    svc->app = app;
    svc->L = app->L;
    svc->store = store;
    svc->group_commit = options->group_commit;
    ssot_lua_set_time_limit(app->limits.request);
    ssot_jwt_options jwt = {.secret = options->jwt_secret, .secret_len = options->jwt_secret_len,
                            .id_claim = app->auth.id_claim, .role_claim = app->auth.role_claim,
                            .admin_role = app->auth.admin_role};
    svc->auth = ssot_auth_new(&jwt);
    svc->fanout = ssot_fanout_local_new();
    if (!svc->auth || !svc->fanout) {
        snprintf(err, err_size, "out of memory");
        ssot_service_close(svc);
        return -1;
    }
    if (app->serve.static_dir) {
        svc->static_files = ssot_static_files_new(app->serve.static_dir, err, err_size);
        if (!svc->static_files) {
            ssot_service_close(svc);
            return -1;
        }
    }
    svc->router = ssot_router_new(app, svc->static_files != NULL, err, err_size);
    if (!svc->router || (svc->L && (ssot_publish_install(svc->L, app, &svc->publishing, err, err_size) ||
                                    ssot_lua_reads_install(svc->L, svc, err, err_size)))) {
        ssot_service_close(svc);
        return -1;
    }
    return 0;
}

void ssot_service_close(ssot_service *svc) {
    if (svc->store) ssot_service_settle(svc); /* nothing held may stay uncommitted */
    if (svc->store) ssot_store_close(svc->store);
    svc->store = NULL;
    if (svc->L) {
        ssot_publish_uninstall(svc->L);
        ssot_lua_reads_uninstall(svc->L);
    }
    ssot_publish_drop(&svc->publications);
    ssot_auth_free(svc->auth);
    ssot_fanout_close(svc->fanout);
    ssot_router_free(svc->router);
    ssot_static_files_free(svc->static_files);
    ssot_pred_pool_free(&svc->preds);
    svc->auth = NULL;
    svc->fanout = NULL;
    svc->router = NULL;
    svc->static_files = NULL;
}

void ssot_service_fail(ssot_response *resp, const ssot_request *req, const char *what, const char *detail) {
    ssot_logf(SSOT_LOG_ERROR, "request %s (%s %.*s): %s failed:\n%s", req->id, ssot_method_name(req->method),
              (int)req->path_len, req->path, what, detail ? detail : "");
    ssot_http_error(resp, req, SSOT_E_INTERNAL, "%s failed; the server log has the details under request id %s",
                    what, req->id);
}

void ssot_service_settle(void *service) {
    ssot_service *svc = service;
    ssot_rest_settle(svc);
    if (svc->snapshot) {
        ssot_store_snapshot_end(svc->store);
        svc->snapshot = 0;
    }
}

void ssot_service_commit(void *service) { ssot_rest_settle(service); }

void ssot_service_set_fanout(ssot_service *svc, ssot_fanout *fanout) {
    ssot_fanout_close(svc->fanout);
    svc->fanout = fanout;
}

void ssot_service_finish(void *service, void *held, const ssot_request *req, ssot_response *resp) {
    ssot_rest_finish(service, held, req, resp);
}

/* Whether the request writes a model (and may join the open batch). */
static int is_model_write(const ssot_route_match *match, ssot_method method) {
    if (match->kind == SSOT_ROUTE_COLLECTION) return method == SSOT_METHOD_POST;
    if (match->kind == SSOT_ROUTE_ITEM)
        return method == SSOT_METHOD_PUT || method == SSOT_METHOD_PATCH || method == SSOT_METHOD_DELETE;
    return 0;
}

/* Answers one request by its route. */
static void answer(ssot_service *svc, ssot_request *req, ssot_response *resp) {
    ssot_route_match match;
    ssot_pred_pool_reset(&svc->preds);
    ssot_router_match(svc->router, req->method, req->path, req->path_len, &match);
    /* anything but a write commits the open batch first: it must not see uncommitted rows */
    if (svc->batch_open && !is_model_write(&match, req->method)) ssot_rest_settle(svc);
    /* the reads of one pass (its requests are concurrent) share one snapshot; a write ends
     * the snapshot's transaction in the store, and the server's settle ends the snapshot */
    if (!svc->snapshot && ssot_store_can_snapshot(svc->store)) {
        ssot_store_snapshot_begin(svc->store);
        svc->snapshot = 1;
    }
    if (match.kind == SSOT_ROUTE_NONE) {
        ssot_http_error(resp, req, SSOT_E_NOT_FOUND, "no route for %s %s", ssot_method_name(req->method), req->path);
        return;
    }
    if (req->method == SSOT_METHOD_OPTIONS) { /* a CORS preflight, or a question about methods */
        resp->status = 204;
        resp->allow = match.allowed;
        return;
    }
    if (!(match.allowed & SSOT_METHOD_BIT(req->method))) {
        resp->allow = match.allowed;
        ssot_http_error(resp, req, SSOT_E_METHOD_NOT_ALLOWED, "%s is not allowed on %s", ssot_method_name(req->method),
                        req->path);
        return;
    }
    switch (match.kind) {
    case SSOT_ROUTE_HEALTH: ssot_buf_puts(resp->body, "{\"status\":\"ok\"}"); return;
    case SSOT_ROUTE_STATIC: ssot_static_files_serve(svc->static_files, req, resp); return;
    case SSOT_ROUTE_CUSTOM: ssot_custom_route_handle(svc, &match, req, resp); return;
    default: ssot_rest_handle(svc, &match, req, resp); return;
    }
}

void ssot_service_handle(void *service, ssot_request *req, ssot_response *resp) {
    ssot_service *svc = service;
    svc->publishing = &svc->publications;
    answer(svc, req, resp);
    svc->publishing = NULL;
    /* what the request's Lua code published goes out once it succeeded: a held write's at
     * its commit (ssot_rest_finish) */
    if (resp->held) ssot_rest_keep_publications(resp->held, &svc->publications);
    else if (resp->status < 400) ssot_publish_flush(&svc->publications, svc->fanout);
    else ssot_publish_drop(&svc->publications);
}
