/* Calling the config's Lua functions (rules, hooks, routes) from the runtime: protected calls
 * with a traceback and a time limit (host/call.h), and JSON <-> Lua conversion (jansson values to tables
 * and back, null as cjson.null). Uses Lua and jansson. */
#ifndef SSOT_RUNTIME_LUA_BRIDGE_H
#define SSOT_RUNTIME_LUA_BRIDGE_H

#include "runtime/model/user.h"

#include <jansson.h>
#include <lua.h>
#include <stddef.h>

/* Nesting deeper than this is refused in both directions. */
#define SSOT_LUA_JSON_MAX_DEPTH 64

/* A Lua function may run this long (the config's limits.request, default 5 s) before it is
 * stopped with an error, so an endless loop in a hook cannot hang the server. Per thread. */
void ssot_lua_set_time_limit(double seconds);

/* Calls the function below nargs arguments through the one protected call (host/call.h)
 * under that limit; what names it in the error ("the afterCreate hook of Note"). On failure
 * writes "message\ntraceback" into err, leaves nothing on the stack and returns the Lua
 * status; on success leaves nresults values and returns LUA_OK. */
int ssot_lua_call(lua_State *L, int nargs, int nresults, const char *what, char *err, size_t err_size);

/* Pushes user as {id = <integer when the id is a decimal integer, else string>, role =
 * <string or nil>, isAdmin = <bool>}, or nil for an anonymous user. Stack effect: +1. */
void ssot_lua_push_user(lua_State *L, const ssot_user *user);

/* Pushes value: objects and arrays as tables, integers as integers, null as cjson.null
 * (a NULL light userdata). Nesting beyond SSOT_LUA_JSON_MAX_DEPTH becomes nil.
 * Stack effect: +1. */
void ssot_lua_push_json(lua_State *L, const json_t *value);

/* Pushes the JSON text [data, data+n) decoded as above, or nil when it does not parse.
 * Stack effect: +1. */
void ssot_lua_push_json_text(lua_State *L, const char *data, size_t n);

/* The value at idx as JSON: tables whose keys are exactly 1..n become arrays, other tables
 * objects (keys must be strings), integral floats integers, nil and cjson.null null. Returns
 * NULL with a message naming the path ("data.tags[2]: a function cannot be sent as JSON")
 * for values JSON cannot hold. Stack effect: none. */
json_t *ssot_lua_to_json(lua_State *L, int idx, const char *root_name, char *message, size_t message_size);

#endif
