/* ssot.core watch: placeholder until the inotify watcher lands. */
#include "host/core.h"

#include <lauxlib.h>

int core_watch(lua_State *L) { return luaL_error(L, "core.watch is not built yet"); }
