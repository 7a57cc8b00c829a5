/* Routing of `ssot serve` (docs/serve.md "Routes"): a request path to what serves it —
 * custom routes (exact paths and {param} segments), /api/<model path> and
 * /api/<model path>/<id>, /healthz, then the static front end — with the methods the path
 * accepts, for 405 Allow and CORS preflights. Uses model.h, server_request.h. */
#ifndef SSOT_RUNTIME_ROUTER_H
#define SSOT_RUNTIME_ROUTER_H

#include "runtime/model/model.h"
#include "runtime/http/server_request.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum ssot_route_kind {
    SSOT_ROUTE_NONE,       /* nothing here: 404 */
    SSOT_ROUTE_HEALTH,     /* GET /healthz */
    SSOT_ROUTE_COLLECTION, /* /api/<model path> */
    SSOT_ROUTE_ITEM,       /* /api/<model path>/<id> */
    SSOT_ROUTE_CUSTOM,     /* a route of the config's `routes` */
    SSOT_ROUTE_STATIC      /* a file of serve.static */
} ssot_route_kind;

#define SSOT_ROUTE_MAX_PARAMS 8

typedef struct ssot_route_param {
    const char *name; /* from the route's "{name}", NUL-terminated */
    const char *value; /* the request path's segment (not NUL-terminated) */
    size_t value_len;
} ssot_route_param;

typedef struct ssot_route_match {
    ssot_route_kind kind;
    unsigned allowed;        /* SSOT_METHOD_BIT set of the methods this path accepts */
    const ssot_model *model; /* COLLECTION, ITEM */
    const char *id;          /* ITEM: the id segment (not NUL-terminated) */
    size_t id_len;
    const ssot_route *route; /* CUSTOM: the route for the request's method */
    ssot_route_param params[SSOT_ROUTE_MAX_PARAMS];
    size_t nparams;
} ssot_route_match;

typedef struct ssot_router ssot_router;

/* A router for app's models and routes; static_files: whether other GET paths go to the
 * front end. Returns NULL with a message in err for a route the router cannot serve (a
 * method other than GET/POST/PUT/PATCH/DELETE, a path not starting with "/", a bad {param},
 * too many params) or when memory runs out. */
ssot_router *ssot_router_new(const ssot_app *app, bool static_files, char *err, size_t err_size);
void ssot_router_free(ssot_router *router);

/* What serves method + path (n bytes). kind NONE means 404; a kind whose `allowed` lacks
 * the method means 405. HEAD is allowed wherever GET is, OPTIONS wherever anything is. */
void ssot_router_match(const ssot_router *router, ssot_method method, const char *path, size_t n,
                       ssot_route_match *match);

#endif
