/* The embeddable host (include/ssot.h): one lua_State with the standard libraries, cjson and
 * the ssot modules, and the single protected-call path every config, phase and script runs
 * through. Uses loader.c for module lookup and the Lua module ssot.host for the work. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "ssot.h"

#include "host/call.h"
#include "host/host.h"
#include "host/log.h"

#include <lauxlib.h>
#include <lua-cjson.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ssot_host {
    lua_State *L;
    ssot_error error;
    char *message, *file, *traceback; /* owned copies behind error */
};

static void clear_error(ssot_host *host) {
    free(host->message);
    free(host->file);
    free(host->traceback);
    host->message = host->file = host->traceback = NULL;
    memset(&host->error, 0, sizeof host->error);
}

static char *copy_string(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

/* Parses "file:line: message" so embedders get the place as fields. */
static void split_place(ssot_host *host) {
    const char *msg = host->message;
    const char *colon = msg ? strchr(msg, ':') : NULL;
    while (colon) {
        char *end;
        long line = strtol(colon + 1, &end, 10);
        if (end != colon + 1 && *end == ':' && line > 0) {
            size_t n = (size_t)(colon - msg);
            host->file = malloc(n + 1);
            if (host->file) {
                memcpy(host->file, msg, n);
                host->file[n] = '\0';
                host->error.file = host->file;
                host->error.line = (int)line;
            }
            return;
        }
        colon = strchr(colon + 1, ':');
    }
}

/* Records the error that ssot_call left on the stack (the error value, then the traceback)
 * and pops both. An ssot error (a table with a status) keeps its status, message, place and
 * traceback; anything else is a phase error with its text. Returns the status. */
static int record_error(ssot_host *host) {
    lua_State *L = host->L;
    clear_error(host);
    int status = SSOT_ERR_PHASE;
    lua_insert(L, -2); /* the traceback below the error value */
    if (lua_type(L, -1) == LUA_TTABLE) {
        if (lua_getfield(L, -1, "status") == LUA_TNUMBER) status = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, -1, "message");
        host->message = copy_string(lua_tostring(L, -1));
        lua_pop(L, 1);
        lua_getfield(L, -1, "traceback");
        host->traceback = copy_string(lua_tostring(L, lua_isstring(L, -1) ? -1 : -3));
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "file") == LUA_TSTRING) {
            host->file = copy_string(lua_tostring(L, -1));
            host->error.file = host->file;
        }
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "line") == LUA_TNUMBER) host->error.line = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    } else {
        const char *msg = lua_tostring(L, -1); /* outside a protected call: no __tostring */
        if (msg) {
            host->message = copy_string(msg);
        } else {
            host->message = copy_string(lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, -1)));
            lua_pop(L, 1);
        }
        host->traceback = copy_string(lua_tostring(L, -2));
    }
    lua_pop(L, 2);
    if (status == SSOT_OK) status = SSOT_ERR_FAILURE;
    if (!host->message) host->message = copy_string("unknown error");
    host->error.status = status;
    host->error.message = host->message;
    host->error.traceback = host->traceback;
    if (!host->error.file) split_place(host);
    return status;
}

/* Calls the function below nargs arguments through the one protected call (host/call.h); the
 * Lua side sets the limits of what it runs. On success leaves nresults values; on failure
 * records the error and leaves none. */
static int host_call(ssot_host *host, int nargs, int nresults) {
    int rc = ssot_call(host->L, nargs, nresults, NULL);
    if (rc != LUA_OK) return record_error(host);
    clear_error(host);
    return SSOT_OK;
}

/* Pushes require(module)[field]. Stack effect: +1 (the function, or nil on failure). */
static int push_module_function(ssot_host *host, const char *module, const char *field) {
    lua_State *L = host->L;
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    int status = host_call(host, 1, 1);
    if (status != SSOT_OK) {
        lua_pushnil(L);
        return status;
    }
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
    return SSOT_OK;
}

static void push_string_array(lua_State *L, int argc, const char *const *argv) {
    lua_createtable(L, argc > 0 ? argc : 0, 0);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i + 1);
    }
}

/* Calls ssot.host.<name>(...) which returns a status. */
static int call_host_entry(ssot_host *host, const char *name, int nargs) {
    lua_State *L = host->L;
    int status = push_module_function(host, "ssot.host", name);
    if (status != SSOT_OK) {
        lua_pop(L, nargs + 1);
        return status;
    }
    lua_insert(L, -(nargs + 1));
    status = host_call(host, nargs, 1);
    if (status != SSOT_OK) return status;
    status = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : SSOT_OK;
    lua_pop(L, 1);
    return status;
}

ssot_host *ssot_host_new(const ssot_host_options *options) {
    ssot_host *host = calloc(1, sizeof *host);
    if (!host) return NULL;
    host->L = luaL_newstate();
    if (!host->L) {
        free(host);
        return NULL;
    }
    lua_State *L = host->L;
    luaL_openlibs(L);

    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cjson);
    lua_setfield(L, -2, "cjson");
    lua_pushcfunction(L, luaopen_ssot_core);
    lua_setfield(L, -2, "ssot.core");
    lua_pop(L, 1);

    ssot_loader_install(L);
    if (options && options->lib_dirs)
        for (const char *const *dir = options->lib_dirs; *dir; dir++) ssot_lib_dirs_append(L, *dir);
    const char *env_path = getenv("SSOT_PATH");
    if (env_path && *env_path) {
        char *copy = copy_string(env_path), *save = NULL;
        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir; dir = strtok_r(NULL, ":", &save))
            ssot_lib_dirs_append(L, dir);
        free(copy);
    }
    if (options && options->log_level) ssot_log_set_level(options->log_level);
    return host;
}

void ssot_host_free(ssot_host *host) {
    if (!host) return;
    clear_error(host);
    lua_close(host->L);
    free(host);
}

int ssot_host_register(ssot_host *host, const char *name, lua_CFunction fn) {
    lua_State *L = host->L;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "ssot");
    int status = host_call(host, 1, 1);
    if (status != SSOT_OK) return status;
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    return SSOT_OK;
}

int ssot_host_load_config(ssot_host *host, const char *config_path) {
    lua_pushstring(host->L, config_path);
    return call_host_entry(host, "load_config", 1);
}

int ssot_host_run_config(ssot_host *host, const char *config_path, int argc, const char *const *argv) {
    lua_pushstring(host->L, config_path);
    push_string_array(host->L, argc, argv);
    return call_host_entry(host, "run_config", 2);
}

int ssot_host_run_script(ssot_host *host, const char *script_path, int argc, const char *const *argv) {
    lua_pushstring(host->L, script_path);
    push_string_array(host->L, argc, argv);
    return call_host_entry(host, "run_script", 2);
}

const ssot_error *ssot_host_last_error(const ssot_host *host) { return &host->error; }

lua_State *ssot_host_lua(ssot_host *host) { return host->L; }

int ssot_host_cli(ssot_host *host, int argc, const char *const *argv) {
    lua_State *L = host->L;
    int status = push_module_function(host, "ssot.cli", "main");
    if (status == SSOT_OK) {
        push_string_array(L, argc, argv);
        status = host_call(host, 1, 1);
        if (status == SSOT_OK) {
            status = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : SSOT_OK;
            lua_pop(L, 1);
            return status;
        }
    } else {
        lua_pop(L, 1);
    }
    /* Only a fault in the CLI itself gets here: show everything we know. */
    fprintf(stderr, "ssot: %s\n", host->error.message);
    if (host->error.traceback) fprintf(stderr, "%s\n", host->error.traceback);
    return status;
}
