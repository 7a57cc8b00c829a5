/* ssot.core watch: waits until some of a list of files change, using inotify on their
 * directories (editors save by writing a new file and renaming it over the old one, which a
 * watch on the file itself would miss). Linux only; times the debounce on the monotonic clock. */
#define _DEFAULT_SOURCE /* inotify, poll */
#include "host/core.h"
#include "host/host.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INOTIFY_META "ssot.inotify"

/* Writes, renames into or out of place, creation, deletion and touch (attributes). */
#define WATCH_MASK                                                                                      \
    (IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |    \
     IN_DELETE_SELF | IN_MOVE_SELF)

/* The inotify descriptor, in a userdata so it is closed even when an error unwinds. */
typedef struct {
    int fd;
} inotify_handle;

static inotify_handle *check_inotify(lua_State *L, int idx) {
    return (inotify_handle *)luaL_checkudata(L, idx, INOTIFY_META);
}

static void close_handle(inotify_handle *h) {
    if (h->fd >= 0) close(h->fd);
    h->fd = -1;
}

static int inotify_close(lua_State *L) {
    close_handle(check_inotify(L, 1));
    return 0;
}

static const luaL_Reg inotify_metamethods[] = {
    {"__close", inotify_close},
    {"__gc", inotify_close},
    {NULL, NULL},
};

/* Pushes a new inotify handle. Stack effect: +1. */
static inotify_handle *push_inotify(lua_State *L) {
    if (luaL_newmetatable(L, INOTIFY_META)) luaL_setfuncs(L, inotify_metamethods, 0);
    lua_pop(L, 1);
    inotify_handle *h = lua_newuserdatauv(L, sizeof *h, 0);
    h->fd = -1;
    luaL_setmetatable(L, INOTIFY_META);
    h->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (h->fd < 0) luaL_error(L, "watch: cannot start inotify: %s", strerror(errno));
    return h;
}

/* One watched path: the watch descriptor of the directory the events arrive on, and the name
 * to match there (NULL: the path is itself a directory and any entry in it counts). */
typedef struct {
    int wd;
    const char *name;
} watched_path;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Waits up to timeout_ms (negative: forever) for the descriptor to become readable, across
 * signals. Returns 1 when readable, 0 on timeout. */
static int wait_readable(lua_State *L, int fd, double timeout_ms) {
    double deadline = now_ms() + timeout_ms;
    for (;;) {
        int wait = -1;
        if (timeout_ms >= 0) {
            double left = deadline - now_ms();
            wait = left <= 0 ? 0 : (int)(left + 0.999);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, wait);
        if (n > 0) return 1;
        if (n == 0) return 0;
        if (errno != EINTR) return luaL_error(L, "watch: poll: %s", strerror(errno));
    }
}

/* Editors' scratch files in a watched directory are not changes worth a rerun. */
static bool is_scratch_name(const char *name) {
    size_t n = strlen(name);
    return name[0] == '.' || (n > 0 && name[n - 1] == '~') || strcmp(name, "4913") == 0;
}

/* Marks changed[path] = true in the table at changed_idx for every watched path the event
 * concerns (the path strings are paths_idx[i + 1]). Returns whether there was one. */
static bool note_event(lua_State *L, const struct inotify_event *ev, const watched_path *watched, size_t count,
                       int paths_idx, int changed_idx) {
    bool whole_dir = (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) != 0;
    bool matched = false;
    for (size_t i = 0; i < count; i++) {
        if (!(ev->mask & IN_Q_OVERFLOW) && watched[i].wd != ev->wd) continue;
        lua_rawgeti(L, paths_idx, (lua_Integer)i + 1);
        if (!whole_dir && watched[i].name) {
            if (ev->len == 0 || strcmp(watched[i].name, ev->name) != 0) {
                lua_pop(L, 1);
                continue;
            }
        } else if (!whole_dir) { /* a watched directory: report the entry */
            if (ev->len == 0 || is_scratch_name(ev->name)) {
                lua_pop(L, 1);
                continue;
            }
            const char *dir = lua_tostring(L, -1);
            size_t dir_len = strlen(dir);
            lua_pushfstring(L, "%s%s%s", dir, dir[dir_len - 1] == '/' ? "" : "/", ev->name);
            lua_remove(L, -2);
        }
        lua_pushboolean(L, 1);
        lua_rawset(L, changed_idx);
        matched = true;
    }
    return matched;
}

/* Reads the pending events into changed. Returns whether any concerned a watched path. */
static bool read_events(lua_State *L, int fd, const watched_path *watched, size_t count, int paths_idx,
                        int changed_idx) {
    _Alignas(struct inotify_event) char buf[8192];
    bool any = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return any;
        if (n < 0) return luaL_error(L, "watch: reading inotify events: %s", strerror(errno));
        if (n == 0) return any;
        for (char *p = buf; p < buf + n; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
            if (note_event(L, (const struct inotify_event *)p, watched, count, paths_idx, changed_idx)) any = true;
    }
}

/* Adds the inotify watch for one path: its own directory when it is a directory, else the
 * directory it is (or would be) in. */
static watched_path watch_path(lua_State *L, int fd, const char *path) {
    watched_path w = {.wd = -1, .name = NULL};
    struct stat st;
    char dir[PATH_MAX];
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(dir, sizeof dir, "%s", path);
    } else {
        const char *slash = strrchr(path, '/');
        w.name = slash ? slash + 1 : path;
        if (!slash) snprintf(dir, sizeof dir, ".");
        else if (slash == path) snprintf(dir, sizeof dir, "/");
        else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        if (w.name[0] == '\0') luaL_error(L, "watch: '%s' names no file (it ends in '/')", path);
    }
    w.wd = inotify_add_watch(fd, dir, WATCH_MASK | IN_ONLYDIR);
    if (w.wd < 0) {
        const char *hint = errno == ENOENT ? "; create it first or leave it out"
                           : errno == ENOSPC ? "; raise fs.inotify.max_user_watches"
                                             : "";
        luaL_error(L, "watch: cannot watch the directory %s (for %s): %s%s", dir, path, strerror(errno), hint);
    }
    return w;
}

/* watch(paths, { debounce = ms (100), timeout = ms (none), ready = fn }) -> sorted array of
 * the changed paths, or nil when the timeout passes first. A directory in paths reports
 * changes of the entries in it as "<dir>/<name>". ready() is called once every path is
 * watched (a change from then on is seen; say "watching" there, not before). After the first
 * change, waits until the paths have been quiet for `debounce` ms, so one save (or a burst of
 * them) gives one answer. */
int core_watch(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Number debounce = 100, timeout = -1; /* negative: no timeout */
    int has_ready = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        has_ready = lua_getfield(L, 2, "ready") != LUA_TNIL;
        luaL_argcheck(L, !has_ready || lua_isfunction(L, -1), 2, "ready must be a function");
        lua_pop(L, 1);
        lua_getfield(L, 2, "debounce");
        debounce = luaL_optnumber(L, -1, 100);
        luaL_argcheck(L, debounce >= 0, 2, "debounce must be >= 0 ms");
        lua_getfield(L, 2, "timeout");
        if (!lua_isnil(L, -1)) {
            timeout = luaL_checknumber(L, -1);
            luaL_argcheck(L, timeout >= 0, 2, "timeout must be >= 0 ms");
        }
        lua_pop(L, 2);
    }
    size_t count = lua_rawlen(L, 1);
    if (count == 0) return luaL_error(L, "watch: no paths to watch");
    for (size_t i = 1; i <= count; i++)
        if (lua_rawgeti(L, 1, (lua_Integer)i) != LUA_TSTRING || lua_rawlen(L, -1) == 0)
            return luaL_error(L, "watch: paths[%d] must be a non-empty string", (int)i);
    lua_settop(L, 2);

    inotify_handle *h = push_inotify(L); /* index 3 */
    watched_path *watched = lua_newuserdatauv(L, count * sizeof *watched, 0); /* index 4 */
    for (size_t i = 0; i < count; i++) {
        lua_rawgeti(L, 1, (lua_Integer)i + 1);
        watched[i] = watch_path(L, h->fd, lua_tostring(L, -1));
        lua_pop(L, 1); /* the name points into the string, which paths (index 1) keeps alive */
    }
    lua_newtable(L); /* index 5: changed path -> true */
    int changed_idx = lua_gettop(L);
    if (has_ready) {
        lua_getfield(L, 2, "ready");
        lua_call(L, 0, 0);
    }

    double deadline = timeout >= 0 ? now_ms() + timeout : -1;
    bool any = false;
    while (!any) {
        double left = deadline >= 0 ? deadline - now_ms() : -1;
        if (deadline >= 0 && left < 0) left = 0;
        if (!wait_readable(L, h->fd, left)) {
            close_handle(h);
            lua_pushnil(L);
            return 1;
        }
        any = read_events(L, h->fd, watched, count, 1, changed_idx);
    }
    while (wait_readable(L, h->fd, debounce)) read_events(L, h->fd, watched, count, 1, changed_idx);

    close_handle(h);
    ssot_push_sorted_keys(L, changed_idx);
    return 1;
}
