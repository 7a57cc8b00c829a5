/* The REST service of `ssot serve`: everything one service thread needs to answer requests
 * (the app, its Lua state, a store connection, the JWT verifier, the fan-out, the router)
 * and the request handler the HTTP server calls. A second service thread would get its own
 * ssot_service (own host, app, store). Uses router.h, rest.h, custom_routes.h,
 * static_files.h. */
#ifndef SSOT_RUNTIME_SERVICE_H
#define SSOT_RUNTIME_SERVICE_H

#include "runtime/auth/auth_jwt.h"
#include "runtime/realtime/fanout.h"
#include "runtime/realtime/publish.h"
#include "runtime/model/model.h"
#include "runtime/rest/router.h"
#include "runtime/auth/rules.h"
#include "runtime/http/server_request.h"
#include "runtime/http/static_files.h"
#include "runtime/store/store.h"

#include <lua.h>

typedef struct ssot_pending_write ssot_pending_write; /* rest_commit.c */

typedef struct ssot_service {
    const ssot_app *app;
    lua_State *L;           /* the host's state that holds the config's functions */
    ssot_store *store;
    ssot_auth *auth;
    ssot_fanout *fanout;
    ssot_router *router;
    ssot_static_files *static_files; /* NULL unless serve.static is set */
    ssot_pred_pool preds;   /* row filters of the current request */
    int group_commit;       /* batch the writes of one pass of the event loop (rest_commit.c) */
    int batch_open;         /* the store's batch is open */
    ssot_pending_write *pending; /* the open batch's held writes */
    int snapshot;           /* the store's shared read snapshot is on until the pass ends */
    ssot_publish_queue publications; /* ssot.publish calls of the request being answered */
    ssot_publish_queue *publishing;  /* where ssot.publish queues now (NULL: outside a request) */
} ssot_service;

typedef struct ssot_service_options {
    const char *jwt_secret; /* the secret's value, or NULL when its variable is unset */
    size_t jwt_secret_len;
    int group_commit;       /* hold write responses for a shared commit (needs settle/finish) */
} ssot_service_options;

/* Sets up a service for app over an open store (the service takes both: ssot_service_close
 * closes the store but not the app). Returns 0, or -1 with a message in err. */
int ssot_service_init(ssot_service *service, const ssot_app *app, ssot_store *store,
                      const ssot_service_options *options, char *err, size_t err_size);
void ssot_service_close(ssot_service *service);

/* The server's handler (ssot_handler_fn): routes and answers one request. */
void ssot_service_handle(void *service, ssot_request *req, ssot_response *resp);

/* The server's end-of-pass and group-commit callbacks (server.h settle / finish): settle
 * commits the open batch and ends the read snapshot the pass's requests shared. */
void ssot_service_settle(void *service);

/* Commits the open batch now (its changes go to the fan-out), for a reader that must see
 * only committed, published changes (a subscription reading its stream position). */
void ssot_service_commit(void *service);

/* Replaces the service's fan-out (the in-process one it starts with) by fanout, which the
 * service then owns and closes. */
void ssot_service_set_fanout(ssot_service *service, ssot_fanout *fanout);
void ssot_service_finish(void *service, void *held, const ssot_request *req, ssot_response *resp);

/* Logs an internal error with the request id and answers 500 internal naming that id. */
void ssot_service_fail(ssot_response *resp, const ssot_request *req, const char *what, const char *detail);

#endif
