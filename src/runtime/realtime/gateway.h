/* The realtime gateway (docs/protocol.md): the WebSocket endpoint's handler and the fan-out
 * that delivers every committed change, and what hooks and clients publish, to the
 * subscribers allowed to see it. One per service thread, on the server's event loop. Uses
 * websocket.h (the connections), the store (positions and replay), auth (tokens, rules), the
 * fan-out interface it implements, and the service's request handler, given to it. */
#ifndef SSOT_RUNTIME_GATEWAY_H
#define SSOT_RUNTIME_GATEWAY_H

#include "runtime/auth/auth_jwt.h"
#include "runtime/http/server.h"
#include "runtime/http/websocket.h"
#include "runtime/model/model.h"
#include "runtime/realtime/fanout.h"
#include "runtime/store/store.h"

#include <lua.h>

typedef struct ssot_gateway ssot_gateway;

typedef struct ssot_gateway_options {
    const ssot_app *app;   /* its websockets section configures everything */
    ssot_store *store;     /* positions and replay, on the service thread */
    ssot_auth *auth;       /* verifies tokens (shared with the service) */
    lua_State *L;          /* calls function rules */
    /* `request` messages: the REST service's handler, run with the connection's user (the
     * request's user_verified is set), and its group-commit callbacks (server.h). commit is
     * also called before a subscription reads its position, so nothing committed is unpublished. */
    ssot_handler_fn handle;
    void (*commit)(void *ctx);
    void (*finish)(void *ctx, void *held, const ssot_request *req, ssot_response *resp);
    void *service;
} ssot_gateway_options;

/* A gateway, or NULL with a message in err. */
ssot_gateway *ssot_gateway_new(const ssot_gateway_options *options, char *err, size_t err_size);

/* The fan-out to hand the service: changes and custom events go to subscribers. Closing it
 * frees the gateway (after the server stopped). */
ssot_fanout *ssot_gateway_fanout(ssot_gateway *gateway);

/* The fan-out in front of the gateway's (the cross-node follower, fanout.h), through which
 * clients' `publish` messages go so that other nodes get them too; it hands them back to the
 * gateway. NULL: straight to the gateway. Not owned. */
void ssot_gateway_publish_through(ssot_gateway *gateway, ssot_fanout *outer);

/* The server's WebSocket handler for the endpoint (path, caps, callbacks). */
ssot_ws_handler ssot_gateway_ws_handler(ssot_gateway *gateway);

typedef struct ssot_gateway_counts {
    uint64_t connections;   /* open now */
    uint64_t subscriptions; /* open now */
    uint64_t created, updated, deleted, custom; /* events published */
    uint64_t deliveries;    /* event messages queued to connections */
} ssot_gateway_counts;

ssot_gateway_counts ssot_gateway_get_counts(const ssot_gateway *gateway);

/* Events of model were lost to this node (the cross-node follower could not replay them):
 * closes, with 1012, every connection subscribed to one of the model's list or item
 * channels, so its client reconnects, subscribes with since, gets recovered: false and
 * refetches (docs/protocol.md). A lost-event callback for ssot_follow_options. */
void ssot_gateway_lost_events(void *gateway, const ssot_model *model);

#endif
