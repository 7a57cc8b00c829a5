/* Protected calls into the config's Lua functions and JSON <-> Lua conversion
 * (lua_bridge.h). Uses the Lua C API and jansson. */
#include "runtime/lua/lua_bridge.h"

#include "host/call.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* --- protected calls ------------------------------------------------------------------------ */

static _Thread_local double time_limit = 5.0;

void ssot_lua_set_time_limit(double seconds) { time_limit = seconds; }

int ssot_lua_call(lua_State *L, int nargs, int nresults, const char *what, char *err, size_t err_size) {
    ssot_call_limit limit = {time_limit, what, "limits.request"};
    int status = ssot_call(L, nargs, nresults, &limit);
    if (status != LUA_OK) { /* the error value, then the traceback (which repeats its message) */
        const char *traceback = lua_tostring(L, -1);
        if (lua_type(L, -2) == LUA_TSTRING || !traceback) {
            const char *msg = lua_tostring(L, -2);
            snprintf(err, err_size, "%s", traceback ? traceback : msg ? msg : "(no error message)");
        } else {
            lua_getfield(L, -2, "message"); /* an error table: {message = ...} */
            const char *msg = lua_tostring(L, -1);
            snprintf(err, err_size, "%s\n%s", msg ? msg : luaL_typename(L, -3), traceback);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    return status;
}

/* --- JSON to Lua ---------------------------------------------------------------------------- */

void ssot_lua_push_user(lua_State *L, const ssot_user *user) {
    if (!user || !user->authenticated) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, 0, 3);
    lua_Integer id;
    const char *end = user->id;
    int negative = *end == '-';
    if (negative) end++;
    size_t digits = strspn(end, "0123456789");
    if (digits > 0 && digits < 19 && end[digits] == '\0' && (end[0] != '0' || digits == 1) && !negative) {
        id = 0;
        for (size_t i = 0; i < digits; i++) id = id * 10 + (end[i] - '0');
        lua_pushinteger(L, id);
    } else {
        lua_pushstring(L, user->id);
    }
    lua_setfield(L, -2, "id");
    if (user->role[0]) {
        lua_pushstring(L, user->role);
        lua_setfield(L, -2, "role");
    }
    lua_pushboolean(L, user->is_admin);
    lua_setfield(L, -2, "isAdmin");
}

static void push_json_at(lua_State *L, const json_t *value, int depth) {
    if (depth > SSOT_LUA_JSON_MAX_DEPTH || !lua_checkstack(L, 4)) {
        lua_pushnil(L);
        return;
    }
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(value));
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)value, key, member) {
            lua_pushstring(L, key);
            push_json_at(L, member, depth + 1);
            lua_rawset(L, -3);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(value);
        lua_createtable(L, (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            push_json_at(L, json_array_get(value, i), depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING: lua_pushlstring(L, json_string_value(value), json_string_length(value)); break;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(value)); break;
    case JSON_REAL: lua_pushnumber(L, json_real_value(value)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    case JSON_NULL: default: lua_pushlightuserdata(L, NULL); break; /* == cjson.null */
    }
}

void ssot_lua_push_json(lua_State *L, const json_t *value) {
    if (!value) lua_pushnil(L);
    else push_json_at(L, value, 0);
}

void ssot_lua_push_json_text(lua_State *L, const char *data, size_t n) {
    json_t *value = json_loadb(data, n, JSON_DECODE_ANY, NULL);
    ssot_lua_push_json(L, value);
    json_decref(value);
}

/* --- Lua to JSON ---------------------------------------------------------------------------- */

typedef struct to_json_state {
    lua_State *L;
    char path[256];
    char *message;
    size_t message_size;
} to_json_state;

static json_t *fail(to_json_state *st, const char *what) {
    if (!st->message[0]) snprintf(st->message, st->message_size, "%s: %s", st->path, what);
    return NULL;
}

static json_t *convert(to_json_state *st, int idx, int depth);

/* Appends ".key" or "[i]" to the path for the duration of a member's conversion (a path
 * that grows too long ends in "..." so the message keeps room for the problem). */
static json_t *convert_member(to_json_state *st, int idx, int depth, const char *key, lua_Integer i) {
    size_t len = strlen(st->path);
    if (len > 120) {
        if (strcmp(st->path + len - 3, "...") != 0) snprintf(st->path + len, sizeof st->path - len, "...");
    } else if (key) {
        snprintf(st->path + len, sizeof st->path - len, ".%.60s", key);
    } else {
        snprintf(st->path + len, sizeof st->path - len, "[%lld]", (long long)i);
    }
    json_t *value = convert(st, idx, depth);
    st->path[len] = '\0';
    return value;
}

static json_t *convert_table(to_json_state *st, int idx, int depth) {
    lua_State *L = st->L;
    lua_Integer count = 0, max_index = 0;
    int string_keys = 0, other_keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            lua_Integer k = lua_tointeger(L, -1);
            if (k > max_index) max_index = k;
        } else if (lua_type(L, -1) == LUA_TSTRING) {
            string_keys++;
        } else {
            other_keys++;
        }
    }
    if (other_keys || (string_keys && string_keys != count))
        return fail(st, "a table with keys that are not all strings (an object) or all 1..n (an array)");
    if (count > 0 && !string_keys) {
        if (max_index != count) return fail(st, "an array with holes (use cjson.null for missing values)");
        json_t *array = json_array();
        for (lua_Integer i = 1; array && i <= count; i++) {
            lua_rawgeti(L, idx, i);
            json_t *item = convert_member(st, lua_gettop(L), depth + 1, NULL, i);
            lua_pop(L, 1);
            if (!item || json_array_append_new(array, item)) {
                json_decref(array);
                return NULL;
            }
        }
        return array;
    }
    json_t *object = json_object();
    lua_pushnil(L);
    while (object && lua_next(L, idx)) {
        size_t klen;
        const char *key = lua_tolstring(L, -2, &klen); /* keys are strings: no conversion */
        json_t *member = strlen(key) == klen ? convert_member(st, lua_gettop(L), depth + 1, key, 0) : NULL;
        if (!member && strlen(key) != klen) fail(st, "a key contains a NUL byte");
        lua_pop(L, 1);
        if (!member || json_object_setn_new(object, key, klen, member)) {
            lua_pop(L, 1);
            json_decref(object);
            return NULL;
        }
    }
    return object;
}

static json_t *convert(to_json_state *st, int idx, int depth) {
    lua_State *L = st->L;
    if (depth > SSOT_LUA_JSON_MAX_DEPTH) return fail(st, "nested too deeply (or the table contains itself)");
    if (!lua_checkstack(L, 4)) return fail(st, "nested too deeply");
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return json_null();
    case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER: {
        if (lua_isinteger(L, idx)) return json_integer((json_int_t)lua_tointeger(L, idx));
        double d = lua_tonumber(L, idx);
        if (!isfinite(d)) return fail(st, "NaN and infinite numbers cannot be sent as JSON");
        if (d == floor(d) && fabs(d) < 9007199254740992.0) return json_integer((json_int_t)d);
        return json_real(d);
    }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        json_t *string = json_stringn(s, n);
        return string ? string : fail(st, "a string that is not valid UTF-8");
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) return json_null(); /* cjson.null */
        return fail(st, "a light userdata cannot be sent as JSON");
    case LUA_TTABLE: return convert_table(st, idx, depth);
    default: return fail(st, lua_pushfstring(L, "a %s cannot be sent as JSON", luaL_typename(L, idx)));
    }
}

json_t *ssot_lua_to_json(lua_State *L, int idx, const char *root_name, char *message, size_t message_size) {
    to_json_state st = {.L = L, .message = message, .message_size = message_size};
    snprintf(st.path, sizeof st.path, "%s", root_name ? root_name : "value");
    message[0] = '\0';
    int top = lua_gettop(L);
    json_t *value = convert(&st, lua_absindex(L, idx), 0);
    lua_settop(L, top);
    return value;
}
