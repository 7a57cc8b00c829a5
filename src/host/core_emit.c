/* ssot.core emitter: placeholder until the emission primitives land. */
#include "host/core.h"

#include <lauxlib.h>

int core_emitter(lua_State *L) { return luaL_error(L, "core.emitter is not built yet"); }
