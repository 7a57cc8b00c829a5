/* luaopen_ssot_core: the C primitives phases and the Lua side of the host build on.
 * The functions live in core_*.c, one group per file (core.h). */
#include "ssot.h"

#include "host/call.h"
#include "host/core.h"
#include "host/host.h"

#include <lauxlib.h>

/* Sorted by name, as in Lua's own libraries. */
static const luaL_Reg core_functions[] = {
    {"call", core_call},
    {"clock", core_clock},
    {"color", core_color},
    {"duplicate_keys", core_duplicate_keys},
    {"emitter", core_emitter},
    {"file_type", core_file_type},
    {"getcwd", core_getcwd},
    {"isatty", core_isatty},
    {"json_encode", core_json_encode},
    {"lib_dirs", core_lib_dirs},
    {"list_dir", core_list_dir},
    {"log", core_log},
    {"log_level", core_log_level},
    {"mkdir", core_mkdir},
    {"module_files", core_module_files},
    {"progress", core_progress},
    {"read_file", core_read_file},
    {"realpath", core_realpath},
    {"replace_file", core_replace_file},
    {"resource", core_resource},
    {"resource_names", core_resource_names},
    {"set_lib_dirs", core_set_lib_dirs},
    {"set_log_level", core_set_log_level},
    {"sha256", core_sha256},
    {"stat", core_stat},
    {"watch", core_watch},
    {"write", core_write},
    {NULL, NULL},
};

/* The exit statuses of ssot.h's enum ssot_status by name, as core.exit_status: the one
 * declaration the Lua side (ssot.errors) reads them from. */
static const struct {
    const char *name;
    int status;
} exit_statuses[] = {
    {"ok", SSOT_OK},         {"failure", SSOT_ERR_FAILURE}, {"usage", SSOT_ERR_USAGE},
    {"config", SSOT_ERR_CONFIG}, {"phase", SSOT_ERR_PHASE}, {"check", SSOT_ERR_CHECK},
};

int luaopen_ssot_core(lua_State *L) {
    luaL_newlib(L, core_functions);
    lua_pushliteral(L, SSOT_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushstring(L, ssot_build_id());
    lua_setfield(L, -2, "build_id");
    lua_createtable(L, 0, (int)(sizeof exit_statuses / sizeof exit_statuses[0]));
    for (size_t i = 0; i < sizeof exit_statuses / sizeof exit_statuses[0]; i++) {
        lua_pushinteger(L, exit_statuses[i].status);
        lua_setfield(L, -2, exit_statuses[i].name);
    }
    lua_setfield(L, -2, "exit_status");
    return 1;
}
