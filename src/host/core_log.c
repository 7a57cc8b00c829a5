/* ssot.core output: leveled logging (log.h), colours that respect NO_COLOR and terminals,
 * unbuffered writes, and the progress line of long runs. */
#include "host/core.h"
#include "host/log.h"

#include "ssot.h"

#include <lauxlib.h>
#include <string.h>

static const char *const level_names[] = {"error", "warn", "info", "debug", NULL};

/* log(level, message): level is "error", "warn", "info" or "debug" */
int core_log(lua_State *L) {
    int level = luaL_checkoption(L, 1, NULL, level_names);
    ssot_logf(level, "%s", luaL_checkstring(L, 2));
    return 0;
}

/* log_level() -> the current level's name */
int core_log_level(lua_State *L) {
    lua_pushstring(L, level_names[ssot_log_get_level()]);
    return 1;
}

/* set_log_level(name) */
int core_set_log_level(lua_State *L) {
    ssot_log_set_level(luaL_checkoption(L, 1, NULL, level_names));
    return 0;
}

static FILE *check_stream(lua_State *L, int arg) {
    static const char *const streams[] = {"stdout", "stderr", NULL};
    return luaL_checkoption(L, arg, "stdout", streams) == 0 ? stdout : stderr;
}

/* color(name, text [, stream]) -> text wrapped in the ANSI colour when stream (default
 * "stdout") is a terminal and NO_COLOR is unset; text unchanged otherwise.
 * Names: bold, dim, red, green, yellow, blue, cyan. */
int core_color(lua_State *L) {
    static const char *const names[] = {"bold", "dim", "red", "green", "yellow", "blue", "cyan", NULL};
    static const char *const codes[] = {"1", "2", "31", "32", "33", "34", "36"};
    int which = luaL_checkoption(L, 1, NULL, names);
    luaL_checkstring(L, 2);
    if (!ssot_log_color_enabled(check_stream(L, 3))) {
        lua_pushvalue(L, 2);
        return 1;
    }
    lua_pushfstring(L, "\033[%sm%s\033[0m", codes[which], lua_tostring(L, 2));
    return 1;
}

/* write(stream, text): writes and flushes, stream being "stdout" or "stderr"; clears the
 * progress line first */
int core_write(lua_State *L) {
    FILE *stream = check_stream(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    ssot_log_progress(NULL);
    fwrite(text, 1, len, stream);
    fflush(stream);
    return 0;
}

/* progress([text]): shows text as the progress line on stderr, rewritten in place, when
 * stderr is a terminal; nothing otherwise. No text (or "") clears it; so does the next
 * write or log line. */
int core_progress(lua_State *L) {
    ssot_log_progress(luaL_optstring(L, 1, NULL));
    return 0;
}
