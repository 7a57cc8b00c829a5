/* ssot.core terminal check: whether a standard stream is a terminal, so commands that may ask
 * questions (ssot init) ask only a person and never wait on a pipe, a file or CI. */
#include "host/core.h"

#include <lauxlib.h>
#include <unistd.h>

/* isatty(stream) -> true when stream ("stdin", "stdout" or "stderr") is a terminal */
int core_isatty(lua_State *L) {
    static const char *const streams[] = {"stdin", "stdout", "stderr", NULL};
    static const int fds[] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
    lua_pushboolean(L, isatty(fds[luaL_checkoption(L, 1, NULL, streams)]) == 1);
    return 1;
}
