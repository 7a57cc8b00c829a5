/* Internals of the Lua host shared by the host files (host.c, loader.c, core_*.c). */
#ifndef SSOT_HOST_HOST_H
#define SSOT_HOST_HOST_H

#include <lua.h>

/* Installs the module searcher that looks in the library directories, then the embedded
 * modules, ahead of Lua's own path searchers. */
void ssot_loader_install(lua_State *L);

/* Replaces the library directories with the strings of the array at stack index idx.
 * Stack effect: none. */
void ssot_lib_dirs_set(lua_State *L, int idx);

/* Appends dir to the library directories. Stack effect: none. */
void ssot_lib_dirs_append(lua_State *L, const char *dir);

/* Pushes a new array of the library directories. Stack effect: +1. */
void ssot_lib_dirs_push(lua_State *L);

/* Reads a whole file into a malloc'd, NUL-terminated buffer; NULL with errno set on failure. */
char *ssot_read_file(const char *path, size_t *size);

/* SHA-256 of data as 64 lowercase hex digits plus NUL (core_hash.c); hex[0] is NUL if
 * OpenSSL fails. */
void ssot_sha256_hex(const void *data, size_t len, char hex[65]);

/* The identity of this build: "<version> gnu-build-id:<hex>" (build_id.c). Any change to the code
 * or to the embedded modules and templates changes it. */
const char *ssot_build_id(void);

/* Pushes a new table of the files the module searcher looked for in the library directories:
 * path -> SHA-256 hex of the content it loaded, or false when nothing was there (loader.c).
 * Stack effect: +1. */
void ssot_module_files_push(lua_State *L);

/* Pushes a new array of the string keys of the table at idx, sorted bytewise (sorted_keys.c).
 * Stack effect: +1. */
void ssot_push_sorted_keys(lua_State *L, int idx);

#endif

struct ssot_host;

/* Runs the command line through the Lua module ssot.cli (argv excludes the program name).
 * Returns the exit status; errors that escape the CLI are printed to stderr. */
int ssot_host_cli(struct ssot_host *host, int argc, const char *const *argv);
