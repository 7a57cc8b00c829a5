/* The one protected call of call.h: lua_pcall with a traceback, under a wall-clock deadline
 * that a count hook enforces. Once the deadline passes the hook raises at every instruction,
 * so a `while true do pcall(f) end` is stopped too: the error leaves the inner pcall, and the
 * next instruction of the loop raises again outside it. Uses the Lua C API. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "host/call.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Instructions between two looks at the clock (a look is a few tens of nanoseconds). */
#define CHECK_EVERY 1000

/* The limit in force on this thread: one Lua state runs on one thread at a time. */
typedef struct call_state {
    double deadline; /* monotonic seconds; 0: no limit */
    double seconds;
    int exceeded;    /* raise at every instruction until the owning call returns */
    char what[160];
    char key[48];
    char message[640];
} call_state;

static _Thread_local call_state state;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether a chunk is one of ssot's own Lua modules (lua/ssot/..., installed or embedded):
 * the error names the user's line, not the module the loop happened to be in. */
static int is_builtin(const char *source) {
    return strstr(source, "lua/ssot/") != NULL || strstr(source, "lua/5.4/ssot/") != NULL;
}

/* The message of the limit, at the innermost line of the user's code on the stack. */
static void format_message(lua_State *L, call_state *s) {
    lua_Debug ar;
    char where[256] = "";
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        if (ar.source[0] == '@' && is_builtin(ar.source) && where[0]) continue;
        snprintf(where, sizeof where, "%s:%d: ", ar.short_src, ar.currentline);
        if (!(ar.source[0] == '@' && is_builtin(ar.source))) break;
    }
    char limit[32];
    snprintf(limit, sizeof limit, "%g", s->seconds);
    if (s->key[0])
        snprintf(s->message, sizeof s->message, "%s%s ran for more than %s s (%s in the config): is there an endless loop?",
                 where, s->what, limit, s->key);
    else
        snprintf(s->message, sizeof s->message, "%s%s ran for more than %s s: is there an endless loop?", where, s->what,
                 limit);
}

static void limit_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    call_state *s = &state;
    if (s->deadline <= 0) return;
    if (!s->exceeded) {
        if (now_seconds() < s->deadline) return;
        s->exceeded = 1;
        format_message(L, s);
        lua_sethook(L, limit_hook, LUA_MASKCOUNT, 1);
    }
    lua_pushstring(L, s->message);
    lua_error(L);
}

static const char TRACEBACK_KEY = 't'; /* its address keys the last traceback in the registry */

/* Message handler: keeps the error value as it is and the traceback aside (registry). */
static int keep_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TRACEBACK_KEY);
    lua_settop(L, 1);
    return 1;
}

int ssot_call(lua_State *L, int nargs, int nresults, const ssot_call_limit *limit) {
    call_state *s = &state;
    double saved_deadline = s->deadline, saved_seconds = s->seconds;
    char saved_what[sizeof s->what], saved_key[sizeof s->key];
    memcpy(saved_what, s->what, sizeof saved_what);
    memcpy(saved_key, s->key, sizeof saved_key);
    int owns = 0;
    if (limit && limit->seconds > 0) {
        double deadline = now_seconds() + limit->seconds;
        if (s->deadline <= 0 || deadline < s->deadline) {
            s->deadline = deadline;
            s->seconds = limit->seconds;
            snprintf(s->what, sizeof s->what, "%s", limit->what ? limit->what : "the code");
            snprintf(s->key, sizeof s->key, "%s", limit->key ? limit->key : "");
            owns = 1;
        }
    }
    if (s->deadline > 0) lua_sethook(L, limit_hook, LUA_MASKCOUNT, s->exceeded ? 1 : CHECK_EVERY);

    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, keep_traceback);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);

    if (owns) { /* the error is back where the deadline was set: stop raising */
        s->deadline = saved_deadline;
        s->seconds = saved_seconds;
        memcpy(s->what, saved_what, sizeof saved_what);
        memcpy(s->key, saved_key, sizeof saved_key);
        s->exceeded = 0;
    }
    if (s->deadline > 0) lua_sethook(L, limit_hook, LUA_MASKCOUNT, s->exceeded ? 1 : CHECK_EVERY);
    else lua_sethook(L, NULL, 0, 0);
    if (status != LUA_OK) {
        if (lua_rawgetp(L, LUA_REGISTRYINDEX, &TRACEBACK_KEY) != LUA_TSTRING) {
            lua_pop(L, 1);
            lua_pushliteral(L, "(no traceback)");
        }
        lua_pushnil(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &TRACEBACK_KEY);
    }
    return status;
}

int core_call(lua_State *L) {
    ssot_call_limit limit = {luaL_checknumber(L, 1), luaL_checkstring(L, 2), luaL_optstring(L, 3, NULL)};
    luaL_checktype(L, 4, LUA_TFUNCTION);
    int status = ssot_call(L, lua_gettop(L) - 4, LUA_MULTRET, &limit);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, 4); /* true, results... or false, error, traceback */
    return lua_gettop(L) - 3;
}
