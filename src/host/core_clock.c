/* ssot.core time: a monotonic clock for timing runs and debouncing. */
#define _POSIX_C_SOURCE 200809L
#include "host/core.h"

#include <time.h>

/* clock() -> seconds (float) on a monotonic clock */
int core_clock(lua_State *L) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}
