/* ssot.get and ssot.list: the config's server code (rule functions, hooks, custom routes)
 * reads models through the service's store while `ssot serve` runs — e.g. a rule that lets
 * only a room's members see its messages (docs/serve.md, "Reading models from Lua"). No
 * permission rules apply: it is the config's own code. Uses service.h, query.h, lua_bridge.h
 * and the Lua module ssot.sandbox, whose ssot.get/ssot.list call what is installed here. */
#ifndef SSOT_RUNTIME_LUA_READS_H
#define SSOT_RUNTIME_LUA_READS_H

#include "runtime/rest/service.h"

#include <lua.h>
#include <stddef.h>

/* Makes ssot.get and ssot.list of L's sandboxes read through svc's store. Returns 0, or -1
 * with a message when the module ssot.sandbox is missing. */
int ssot_lua_reads_install(lua_State *L, ssot_service *svc, char *err, size_t err_size);

/* Takes them away again (the service is closing): they then say they work in ssot serve. */
void ssot_lua_reads_uninstall(lua_State *L);

/* Sets t.get and t.list, t at idx, to ssot.get and ssot.list (the request table of a custom
 * route: req.get, req.list). Stack effect: none. */
void ssot_lua_reads_set(lua_State *L, int idx);

#endif
