/* The config's custom routes (`routes = { ["GET /api/stats"] = function(req) ... end }`):
 * calls the function with a request table and sends what it returns — a table as JSON, a
 * status and a table, a string as text, nothing as 204. The request table can read models
 * through the store (req.list, req.get). A Lua error is a 500 naming the request id, with
 * the traceback in the server log. Uses lua_bridge.c, service.h, router.h. */
#ifndef SSOT_RUNTIME_CUSTOM_ROUTES_H
#define SSOT_RUNTIME_CUSTOM_ROUTES_H

#include "runtime/rest/router.h"
#include "runtime/rest/service.h"

/* Answers a request routed to a custom route (match kind CUSTOM, method allowed). */
void ssot_custom_route_handle(ssot_service *svc, const ssot_route_match *match, ssot_request *req,
                              ssot_response *resp);

#endif
