/* Routing (router.h): custom routes split into segments once at start, model paths looked
 * up in the app, /healthz, and the static front end for the remaining GETs. */
#include "runtime/rest/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 32

typedef struct route_segment {
    const char *text; /* literal text, or the param name for {name} */
    size_t len;
    bool param;
} route_segment;

typedef struct compiled_route {
    const ssot_route *route;
    ssot_method method;
    route_segment segments[MAX_SEGMENTS];
    size_t nsegments;
} compiled_route;

struct ssot_router {
    const ssot_app *app;
    bool static_files;
    compiled_route *routes;
    size_t nroutes;
    char *names; /* NUL-terminated param names, pointed into by segments */
};

static const unsigned COLLECTION_METHODS = SSOT_METHOD_BIT(SSOT_METHOD_GET) | SSOT_METHOD_BIT(SSOT_METHOD_HEAD) |
                                           SSOT_METHOD_BIT(SSOT_METHOD_POST);
static const unsigned ITEM_METHODS = SSOT_METHOD_BIT(SSOT_METHOD_GET) | SSOT_METHOD_BIT(SSOT_METHOD_HEAD) |
                                     SSOT_METHOD_BIT(SSOT_METHOD_PUT) | SSOT_METHOD_BIT(SSOT_METHOD_PATCH) |
                                     SSOT_METHOD_BIT(SSOT_METHOD_DELETE);
static const unsigned READ_METHODS = SSOT_METHOD_BIT(SSOT_METHOD_GET) | SSOT_METHOD_BIT(SSOT_METHOD_HEAD);

static int compile_route(compiled_route *c, const ssot_route *route, char **names, char *err, size_t err_size) {
    c->route = route;
    c->method = ssot_method_parse(route->method, strlen(route->method));
    if (c->method == SSOT_METHOD_COUNT || c->method == SSOT_METHOD_HEAD || c->method == SSOT_METHOD_OPTIONS) {
        snprintf(err, err_size, "routes[\"%s %s\"]: method %s cannot be routed (use GET, POST, PUT, PATCH or DELETE)",
                 route->method, route->path, route->method);
        return -1;
    }
    const char *p = route->path;
    if (*p != '/') {
        snprintf(err, err_size, "routes[\"%s %s\"]: the path must start with /", route->method, route->path);
        return -1;
    }
    while (*p == '/') {
        const char *start = ++p;
        while (*p && *p != '/') p++;
        size_t len = (size_t)(p - start);
        if (len == 0 && *p == '\0' && c->nsegments > 0) break; /* a trailing slash */
        if (c->nsegments == MAX_SEGMENTS) {
            snprintf(err, err_size, "routes[\"%s %s\"]: more than %d path segments", route->method, route->path,
                     MAX_SEGMENTS);
            return -1;
        }
        route_segment *seg = &c->segments[c->nsegments++];
        seg->param = len >= 2 && start[0] == '{' && start[len - 1] == '}';
        if (seg->param) {
            size_t name_len = len - 2;
            if (name_len == 0 || memchr(start + 1, '{', name_len) || memchr(start + 1, '}', name_len)) {
                snprintf(err, err_size, "routes[\"%s %s\"]: '%.*s' is not a {param} segment", route->method,
                         route->path, (int)len, start);
                return -1;
            }
            memcpy(*names, start + 1, name_len);
            (*names)[name_len] = '\0';
            seg->text = *names;
            seg->len = name_len;
            *names += name_len + 1;
        } else {
            seg->text = start;
            seg->len = len;
        }
    }
    size_t params = 0;
    for (size_t i = 0; i < c->nsegments; i++) params += c->segments[i].param;
    if (params > SSOT_ROUTE_MAX_PARAMS) {
        snprintf(err, err_size, "routes[\"%s %s\"]: more than %d {params}", route->method, route->path,
                 SSOT_ROUTE_MAX_PARAMS);
        return -1;
    }
    return 0;
}

ssot_router *ssot_router_new(const ssot_app *app, bool static_files, char *err, size_t err_size) {
    ssot_router *router = calloc(1, sizeof *router);
    size_t names_size = 1;
    for (size_t i = 0; i < app->nroutes; i++) names_size += strlen(app->routes[i].path) + 1;
    if (router) {
        router->routes = calloc(app->nroutes + 1, sizeof *router->routes);
        router->names = malloc(names_size);
    }
    if (!router || !router->routes || !router->names) {
        snprintf(err, err_size, "out of memory");
        ssot_router_free(router);
        return NULL;
    }
    router->app = app;
    router->static_files = static_files;
    char *names = router->names;
    for (size_t i = 0; i < app->nroutes; i++) {
        if (compile_route(&router->routes[i], &app->routes[i], &names, err, err_size)) {
            ssot_router_free(router);
            return NULL;
        }
    }
    router->nroutes = app->nroutes;
    return router;
}

void ssot_router_free(ssot_router *router) {
    if (!router) return;
    free(router->routes);
    free(router->names);
    free(router);
}

/* Splits path into segments; returns the count, or -1 when there are too many. */
static int split_path(const char *path, size_t n, const char **starts, size_t *lens) {
    int count = 0;
    size_t i = 0;
    while (i < n && path[i] == '/') {
        size_t start = ++i;
        while (i < n && path[i] != '/') i++;
        if (i == start && i == n && count > 0) break; /* a trailing slash */
        if (count == MAX_SEGMENTS) return -1;
        starts[count] = path + start;
        lens[count] = i - start;
        count++;
    }
    return count;
}

static bool route_matches(const compiled_route *c, const char **starts, const size_t *lens, int count,
                          ssot_route_match *match) {
    if ((size_t)count != c->nsegments) return false;
    for (int i = 0; i < count; i++) {
        const route_segment *seg = &c->segments[i];
        if (seg->param ? lens[i] == 0 : (lens[i] != seg->len || memcmp(starts[i], seg->text, seg->len) != 0))
            return false;
    }
    if (match) {
        match->nparams = 0;
        for (int i = 0; i < count; i++) {
            if (!c->segments[i].param) continue;
            ssot_route_param *param = &match->params[match->nparams++];
            param->name = c->segments[i].text;
            param->value = starts[i];
            param->value_len = lens[i];
        }
    }
    return true;
}

static unsigned with_head(unsigned set) {
    if (set & SSOT_METHOD_BIT(SSOT_METHOD_GET)) set |= SSOT_METHOD_BIT(SSOT_METHOD_HEAD);
    return set;
}

void ssot_router_match(const ssot_router *router, ssot_method method, const char *path, size_t n,
                       ssot_route_match *match) {
    memset(match, 0, sizeof *match);
    const char *starts[MAX_SEGMENTS];
    size_t lens[MAX_SEGMENTS];
    int count = split_path(path, n, starts, lens);
    ssot_method wanted = method == SSOT_METHOD_HEAD ? SSOT_METHOD_GET : method;

    /* custom routes first: the config can add methods to (or take over) any path */
    if (count >= 0) {
        for (size_t i = 0; i < router->nroutes; i++) {
            const compiled_route *c = &router->routes[i];
            if (!route_matches(c, starts, lens, count, NULL)) continue;
            match->allowed |= with_head(SSOT_METHOD_BIT(c->method));
            if (c->method == wanted && match->kind == SSOT_ROUTE_NONE) {
                match->kind = SSOT_ROUTE_CUSTOM;
                match->route = c->route;
                route_matches(c, starts, lens, count, match);
            }
        }
    }
    if (match->kind == SSOT_ROUTE_NONE && n > 5 && memcmp(path, "/api/", 5) == 0) {
        const char *rest = path + 5;
        size_t rest_len = n - 5;
        if (rest_len > 0 && rest[rest_len - 1] == '/') rest_len--;
        const ssot_model *model = ssot_app_model_by_path(router->app, rest, rest_len);
        if (model) {
            match->kind = SSOT_ROUTE_COLLECTION;
            match->model = model;
            match->allowed |= COLLECTION_METHODS;
        } else {
            const char *slash = rest_len ? memchr(rest, '/', rest_len) : NULL;
            for (const char *s = slash; s; s = memchr(s + 1, '/', rest_len - (size_t)(s + 1 - rest)))
                slash = s; /* the last slash: model paths may contain slashes themselves */
            if (slash && slash > rest && (size_t)(slash + 1 - rest) < rest_len) {
                model = ssot_app_model_by_path(router->app, rest, (size_t)(slash - rest));
                if (model) {
                    match->kind = SSOT_ROUTE_ITEM;
                    match->model = model;
                    match->id = slash + 1;
                    match->id_len = rest_len - (size_t)(slash + 1 - rest);
                    match->allowed |= ITEM_METHODS;
                }
            }
        }
    } else if (match->kind == SSOT_ROUTE_NONE && n == 8 && memcmp(path, "/healthz", 8) == 0) {
        match->kind = SSOT_ROUTE_HEALTH;
        match->allowed |= READ_METHODS;
    }
    if (match->kind == SSOT_ROUTE_NONE && match->allowed == 0 && router->static_files &&
        !(n >= 4 && memcmp(path, "/api", 4) == 0 && (n == 4 || path[4] == '/'))) {
        match->kind = SSOT_ROUTE_STATIC;
        match->allowed = READ_METHODS;
    }
    if (match->allowed) match->allowed |= SSOT_METHOD_BIT(SSOT_METHOD_OPTIONS);
    /* a path served for other methods only: report it as found, so the caller answers 405 */
    if (match->kind == SSOT_ROUTE_NONE && match->allowed) match->kind = SSOT_ROUTE_CUSTOM;
}
