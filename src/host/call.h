/* The one protected call every piece of Lua runs through — configs and the files they name,
 * validation, phases, scripts, and at run time hooks, rule functions and custom routes —
 * with one time limit (docs/architecture.md, "Protected calls and time limits"). */
#ifndef SSOT_HOST_CALL_H
#define SSOT_HOST_CALL_H

#include <lua.h>

/* The limit of one call: seconds of wall-clock time (<= 0: only the limits of the calls it
 * runs inside), and what runs, for the error when it is hit ("the config", "phase 'sql'",
 * "the afterCreate hook of Note"), with the config key that sets the limit ("limits.hook"),
 * or NULL when no key does. */
typedef struct ssot_call_limit {
    double seconds;
    const char *what;
    const char *key;
} ssot_call_limit;

/* Calls the function below nargs arguments like lua_pcall, under limit: a count hook checks
 * the clock, and once the deadline has passed raises "<file>:<line>: <what> stopped after N s
 * (<key> in the config)..." — at the line of the user's code that was running — and keeps
 * raising at every instruction until the error is back here, so no pcall inside can catch it
 * and go on. A call made inside another keeps the earlier of the two deadlines.
 * Returns LUA_OK with nresults values, or the error status with two values: the error value
 * and the traceback (a string). */
int ssot_call(lua_State *L, int nargs, int nresults, const ssot_call_limit *limit);

/* core.call(seconds, what, key, fn, ...) -> true, results... | false, error, traceback: the
 * same for the Lua side (ssot.errors.call, ssot.sandbox.run). */
int core_call(lua_State *L);

#endif
