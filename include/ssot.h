/* ssot.h - embed the ssot Lua host in a C program.
 *
 * A host is one lua_State with the standard libraries, cjson and the ssot modules
 * (built-in, or overridden from library directories). Link with `pkg-config --libs ssot`.
 * See docs/embedding.md. */
#ifndef SSOT_H
#define SSOT_H

#include <lua.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SSOT_VERSION "0.1.0"

/* What the libraries export: these functions only (everything else is hidden). */
#if defined(__GNUC__)
#define SSOT_API __attribute__((visibility("default")))
#else
#define SSOT_API
#endif

/* Exit statuses, shared by the ssot command and the functions below. */
enum ssot_status {
    SSOT_OK = 0,
    SSOT_ERR_FAILURE = 1, /* I/O or internal failure */
    SSOT_ERR_USAGE = 2,   /* bad command line */
    SSOT_ERR_CONFIG = 3,  /* the config does not load or validate */
    SSOT_ERR_PHASE = 4,   /* a phase or script raised an error */
    SSOT_ERR_CHECK = 5    /* --check found stale, missing or extra files */
};

enum ssot_log_level { SSOT_LOG_ERROR, SSOT_LOG_WARN, SSOT_LOG_INFO, SSOT_LOG_DEBUG };

typedef struct ssot_host ssot_host;

typedef struct ssot_host_options {
    /* Directories searched before the built-ins for Lua modules (DIR/lua/a/b.lua) and
     * templates (DIR/templates/...), NULL-terminated; may be NULL. SSOT_PATH (colon
     * separated) is appended after these. */
    const char *const *lib_dirs;
    int log_level; /* an ssot_log_level; 0 means SSOT_LOG_INFO */
} ssot_host_options;

typedef struct ssot_error {
    int status;            /* an ssot_status; SSOT_OK when there is no error */
    const char *message;   /* "file:line: what is wrong", or a message without a place */
    const char *file;      /* the file the error points to, or NULL */
    int line;              /* its line, or 0 */
    const char *traceback; /* the Lua traceback, or NULL */
} ssot_error;

/* A new host, or NULL when memory runs out. options may be NULL. */
SSOT_API ssot_host *ssot_host_new(const ssot_host_options *options);
SSOT_API void ssot_host_free(ssot_host *host);

/* Makes fn callable from Lua as ssot.<name> in configs, phases and scripts. */
SSOT_API int ssot_host_register(ssot_host *host, const char *name, lua_CFunction fn);

/* Loads and validates config_path; on success the model IR is at ssot.ir (see docs/ir.md). */
SSOT_API int ssot_host_load_config(ssot_host *host, const char *config_path);

/* Runs the generation pipeline of config_path, as `ssot run config_path` with argv options
 * (e.g. "--check", "--quiet"); argv may be NULL when argc is 0. */
SSOT_API int ssot_host_run_config(ssot_host *host, const char *config_path, int argc, const char *const *argv);

/* Runs a Lua script with the global `ssot` and `arg` set to argv. */
SSOT_API int ssot_host_run_script(ssot_host *host, const char *script_path, int argc, const char *const *argv);

/* The error of the last failed call; status SSOT_OK when the last call succeeded. */
SSOT_API const ssot_error *ssot_host_last_error(const ssot_host *host);

/* The host's Lua state, for callers that push values or call functions themselves. */
SSOT_API lua_State *ssot_host_lua(ssot_host *host);

/* The Lua C module entry point, also used by stock lua5.4: require "ssot.core". */
SSOT_API int luaopen_ssot_core(lua_State *L);

#ifdef __cplusplus
}
#endif

#endif
