/* The functions of the Lua module ssot.core, one group per file, registered together in
 * core_module.c. Each is a lua_CFunction documented where it is defined. */
#ifndef SSOT_HOST_CORE_H
#define SSOT_HOST_CORE_H

#include <lua.h>

/* core_fs.c: files, directories and the embedded resources */
int core_read_file(lua_State *L);
int core_file_type(lua_State *L);
int core_realpath(lua_State *L);
int core_getcwd(lua_State *L);
int core_list_dir(lua_State *L);
int core_resource(lua_State *L);
int core_resource_names(lua_State *L);
int core_lib_dirs(lua_State *L);
int core_set_lib_dirs(lua_State *L);
int core_module_files(lua_State *L);
int core_stat(lua_State *L);
int core_replace_file(lua_State *L);
int core_mkdir(lua_State *L);

/* core_hash.c: content hashing */
int core_sha256(lua_State *L);

/* core_json.c: deterministic JSON encoding */
int core_json_encode(lua_State *L);

/* core_log.c: leveled, optionally coloured output */
int core_log(lua_State *L);
int core_log_level(lua_State *L);
int core_set_log_level(lua_State *L);
int core_color(lua_State *L);
int core_write(lua_State *L);
int core_progress(lua_State *L);

/* core_term.c: terminals */
int core_isatty(lua_State *L);

/* core_clock.c: time */
int core_clock(lua_State *L);

/* core_dupkeys.c: keys written twice in one table constructor of a Lua source */
int core_duplicate_keys(lua_State *L);

/* core_emit.c: the emitter (confined, atomic, manifest-tracked file output) */
int core_emitter(lua_State *L);

/* core_watch.c: waiting for file changes (inotify) */
int core_watch(lua_State *L);

#endif
