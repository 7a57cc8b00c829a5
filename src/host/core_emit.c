/* ssot.core emitter: the userdata through which phases write files. Paths are confined to the
 * output root, writes are atomic, unchanged files are left alone, and the manifest records
 * what ssot owns so a later run removes only its own stale files. Files are written by a
 * background thread while the phases go on; finish and abort wait for it. Built on
 * emit_path.c, emit_file.c, emit_writer.c and manifest.c (emit.h); hashing from core_hash.c. */
#define _DEFAULT_SOURCE /* realpath */
#include "host/core.h"
#include "host/emit.h"
#include "host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EMITTER_META "ssot.emitter"

enum emit_mode { MODE_WRITE, MODE_DRY_RUN, MODE_CHECK, MODE_DIFF };
static const char *const mode_names[] = {"write", "dry-run", "check", "diff", NULL};

/* What emit found, kept in each emitted entry's tag. */
enum emit_status { STATUS_CREATED, STATUS_UPDATED, STATUS_UNCHANGED };
static const char *const status_names[] = {"created", "updated", "unchanged"};

/* User values of the emitter userdata. */
enum { UV_EMITTED = 1, /* path -> true, to refuse a second emit of one path */
       UV_DIFFS = 2,   /* path -> { path =, old =, new = } (diff mode) */
       UV_DIRS = 3,    /* directory part of a path ("a/b") -> its checked real path */
       UV_COUNT = 3 };

typedef struct {
    enum emit_mode mode;
    bool closed;              /* finished or aborted: emits are refused */
    char root[PATH_MAX];      /* as given */
    char root_real[PATH_MAX]; /* its real path; "" when it does not exist (only outside write mode) */
    ssot_manifest previous;   /* the manifest found at the start, sorted */
    ssot_manifest emitted;    /* this run's files in emit order; tag = enum emit_status */
    ssot_writer *writer;      /* writes the files in write mode; NULL before the first one */
    bool synchronous;         /* no writer thread could be started: write in emit */
} emitter;

static emitter *check_emitter(lua_State *L, int idx) {
    return (emitter *)luaL_checkudata(L, idx, EMITTER_META);
}

/* Pushes the content of the regular file at path, or returns false with errno set (nothing
 * pushed). The Lua buffer is allocated before the file is opened, so a memory error cannot
 * leak the descriptor. */
static bool push_file(lua_State *L, const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return false;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return false;
    }
    luaL_Buffer b;
    char *data = luaL_buffinitsize(L, &b, (size_t)st.st_size);
    int fd;
    do fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    size_t got = 0;
    while (fd >= 0 && got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    int saved = errno;
    if (fd >= 0) close(fd);
    if (fd < 0 || got < (size_t)st.st_size) {
        luaL_pushresultsize(&b, 0);
        lua_pop(L, 1);
        errno = fd < 0 ? saved : EIO;
        return false;
    }
    luaL_pushresultsize(&b, got);
    return true;
}

/* out = dir/name; false when that does not fit in PATH_MAX. */
static bool join_path(char out[PATH_MAX], const char *dir, const char *name) {
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return n >= 0 && n < PATH_MAX;
}

/* The manifest's path; the constructor made sure it fits. */
static void manifest_file(const emitter *em, char path[PATH_MAX]) {
    if (!join_path(path, em->root_real, SSOT_MANIFEST_NAME)) path[0] = '\0';
}

/* Loads <root>/.ssot-manifest into em->previous, if there is one. */
static void load_manifest(lua_State *L, emitter *em) {
    char path[PATH_MAX], err[SSOT_EMIT_ERROR_SIZE];
    manifest_file(em, path);
    if (ssot_file_kind(path) == SSOT_FILE_NONE) return;
    if (!push_file(L, path)) return (void)luaL_error(L, "emitter: cannot read %s: %s", path, strerror(errno));
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    if (ssot_manifest_parse(&em->previous, text, len, path, err) != 0) return (void)luaL_error(L, "emitter: %s", err);
    lua_pop(L, 1);
}

/* The basename of a checked relative path. */
static const char *base_name(const char *relpath) {
    const char *slash = strrchr(relpath, '/');
    return slash ? slash + 1 : relpath;
}

/* Finds what is at relpath now (the emitter is at stack index 1). Returns the status emitting content would have; the parent
 * directory's real path goes to parent ("" when it does not exist yet). In write mode the
 * parent directories are created. Raises the errors a user must fix. */
static enum emit_status inspect_target(lua_State *L, emitter *em, const char *relpath, const char *content,
                                       size_t len, char parent[PATH_MAX], char target[PATH_MAX]) {
    char err[SSOT_EMIT_ERROR_SIZE];
    parent[0] = target[0] = '\0';
    if (em->root_real[0] == '\0') return STATUS_CREATED;
    /* Resolving a directory costs a readlink per component of its real path: each directory
     * is checked once per run and remembered (the run is the only writer of the tree). */
    size_t dir_len = (size_t)(base_name(relpath) - relpath);
    lua_getiuservalue(L, 1, UV_DIRS);
    lua_pushlstring(L, relpath, dir_len ? dir_len - 1 : 0);
    if (lua_rawget(L, -2) == LUA_TSTRING) {
        snprintf(parent, PATH_MAX, "%s", lua_tostring(L, -1));
        lua_pop(L, 2);
    } else {
        lua_pop(L, 1);
        enum ssot_parent_result found = ssot_emit_parent(em->root_real, relpath, em->mode == MODE_WRITE, parent, err);
        if (found == SSOT_PARENT_ERROR) luaL_error(L, "emit: %s", err);
        if (found == SSOT_PARENT_MISSING) {
            lua_pop(L, 1);
            parent[0] = '\0';
            return STATUS_CREATED;
        }
        lua_pushlstring(L, relpath, dir_len ? dir_len - 1 : 0);
        lua_pushstring(L, parent);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    if (!join_path(target, parent, base_name(relpath)))
        luaL_error(L, "emit: path '%s' is too long under %s", relpath, em->root);
    switch (ssot_file_kind(target)) {
    case SSOT_FILE_NONE: return STATUS_CREATED;
    case SSOT_FILE_LINK:
        luaL_error(L, "emit: '%s' is a symbolic link; ssot only writes regular files: remove the link from %s",
                   relpath, em->root);
        break;
    case SSOT_FILE_DIRECTORY:
        luaL_error(L, "emit: '%s' is a directory in %s; remove it or emit another path", relpath, em->root);
        break;
    case SSOT_FILE_OTHER:
        luaL_error(L, "emit: '%s' in %s is not a regular file; remove it or emit another path", relpath, em->root);
        break;
    case SSOT_FILE_REGULAR: break;
    }
    int same = ssot_file_equals(target, content, len);
    if (same < 0) luaL_error(L, "emit: cannot read %s: %s", target, strerror(errno));
    return same ? STATUS_UNCHANGED : STATUS_UPDATED;
}

/* Writes content as parent/<basename of relpath> (write mode): queued for the writer thread,
 * or written at once when there is none. tag: the file's index in em->emitted. Raises the
 * error of this write or of an earlier queued one. */
static void write_file(lua_State *L, emitter *em, size_t tag, const char *parent, const char *relpath,
                       const char *content, size_t len) {
    char err[SSOT_EMIT_ERROR_SIZE];
    if (!em->writer && !em->synchronous) {
        em->writer = ssot_writer_start();
        em->synchronous = em->writer == NULL;
    }
    int result = em->writer ? ssot_writer_submit(em->writer, tag, parent, base_name(relpath), content, len, err)
                            : ssot_write_atomic(parent, base_name(relpath), content, len, false, err);
    if (result != 0) luaL_error(L, "emit: %s", err);
}

/* Waits for the writer thread to write every queued file, then stops it. The files it could
 * not write leave em->emitted (they are not ssot's now). Returns 0, or -1 with the first write
 * error in err. */
static int drain_writer(emitter *em, char *err) {
    if (!em->writer) return 0;
    int result = ssot_writer_wait(em->writer, err);
    size_t count;
    const size_t *unwritten = ssot_writer_unwritten(em->writer, &count);
    for (size_t i = 0; i < count; i++)
        if (unwritten[i] < em->emitted.count) em->emitted.entries[unwritten[i]].tag = -1;
    ssot_writer_stop(em->writer);
    em->writer = NULL;
    size_t kept = 0;
    for (size_t i = 0; i < em->emitted.count; i++) {
        if (em->emitted.entries[i].tag < 0) free(em->emitted.entries[i].path);
        else em->emitted.entries[kept++] = em->emitted.entries[i];
    }
    em->emitted.count = kept;
    return result;
}

/* Diff mode: records { path, old, new } under UV_DIFFS[path]. Stack effect: pops old and new
 * (old, possibly nil, below new). */
static void record_diff(lua_State *L, int em_idx, const char *relpath) {
    lua_getiuservalue(L, em_idx, UV_DIFFS);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, relpath);
    lua_setfield(L, -2, "path");
    lua_rotate(L, -4, 2); /* diffs entry old new */
    lua_setfield(L, -3, "new");
    lua_setfield(L, -2, "old");
    lua_setfield(L, -2, relpath);
    lua_pop(L, 1);
}

/* em:emit(relpath, content) -> "created" | "updated" | "unchanged" [, old content or nil in
 * diff mode] */
static int emitter_emit(lua_State *L) {
    emitter *em = check_emitter(L, 1);
    size_t path_len, len;
    const char *relpath = luaL_checklstring(L, 2, &path_len);
    const char *content = luaL_checklstring(L, 3, &len);
    if (em->closed) return luaL_error(L, "emit: '%s': this run's output is already finished", relpath);
    const char *problem = ssot_emit_path_problem(relpath, path_len);
    if (problem)
        return luaL_error(L, "emit: path '%s' %s; paths are relative to %s", relpath, problem, em->root);
    lua_getiuservalue(L, 1, UV_EMITTED);
    if (lua_getfield(L, -1, relpath) != LUA_TNIL)
        return luaL_error(L, "emit: '%s' was already emitted in this run; each file has one writer", relpath);
    lua_pop(L, 1);

    char parent[PATH_MAX], target[PATH_MAX], hash[65];
    enum emit_status status = inspect_target(L, em, relpath, content, len, parent, target);
    ssot_sha256_hex(content, len, hash);
    if (hash[0] == '\0') return luaL_error(L, "emit: sha256 failed");
    if (em->mode == MODE_WRITE && status != STATUS_UNCHANGED)
        write_file(L, em, em->emitted.count, parent, relpath, content, len);
    if (!ssot_manifest_add(&em->emitted, relpath, hash, status)) return luaL_error(L, "emit: out of memory");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, relpath); /* UV_EMITTED[relpath] = true */

    lua_pushstring(L, status_names[status]);
    if (em->mode != MODE_DIFF) return 1;
    if (status == STATUS_UPDATED) {
        if (!push_file(L, target)) return luaL_error(L, "emit: cannot read %s: %s", target, strerror(errno));
    } else {
        lua_pushnil(L);
    }
    if (status != STATUS_UNCHANGED) {
        lua_pushvalue(L, -1);
        lua_pushvalue(L, 3);
        record_diff(L, 1, relpath);
    }
    return 2;
}

/* Appends s to the array at the top of the stack. */
static void append(lua_State *L, const char *s) {
    lua_pushstring(L, s);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
}

/* Writes the manifest of `owned` (sorted) under the root unless the file already says the
 * same; with nothing owned the manifest file is removed instead. The manifest is fsync'd:
 * unlike generated files it cannot be rebuilt from the config. Returns 0 or -1 with err. */
static int save_manifest(emitter *em, const ssot_manifest *owned, char *err) {
    char path[PATH_MAX];
    manifest_file(em, path);
    if (owned->count == 0) {
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, SSOT_EMIT_ERROR_SIZE, "cannot remove %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    size_t len;
    char *text = ssot_manifest_format(owned, &len);
    if (!text) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "out of memory formatting %s", path);
        return -1;
    }
    int result = 0;
    if (ssot_file_kind(path) != SSOT_FILE_REGULAR || ssot_file_equals(path, text, len) != 1)
        result = ssot_write_atomic(em->root_real, SSOT_MANIFEST_NAME, text, len, true, err);
    free(text);
    return result;
}

/* Disposes of a file the previous manifest owned and this run did not emit: removed when it
 * still holds what ssot wrote (in write mode: unlinked, emptied parents pruned), kept when
 * changed since. Appends to the report's `removed` or `kept` array at removed_idx/kept_idx;
 * in diff mode records the removal's diff. Returns false when an unlink failed (errno set). */
static bool retire(lua_State *L, emitter *em, const ssot_manifest_entry *old, int removed_idx, int kept_idx) {
    char parent[PATH_MAX], target[PATH_MAX], err[SSOT_EMIT_ERROR_SIZE], hash[65];
    if (em->root_real[0] == '\0') return true;
    enum ssot_parent_result found = ssot_emit_parent(em->root_real, old->path, false, parent, err);
    if (found == SSOT_PARENT_MISSING) return true; /* already gone */
    enum ssot_file_kind kind = SSOT_FILE_OTHER; /* unsafe to touch unless found below */
    if (found == SSOT_PARENT_FOUND && join_path(target, parent, base_name(old->path))) kind = ssot_file_kind(target);
    if (kind == SSOT_FILE_NONE) return true;
    bool same = false;
    if (kind == SSOT_FILE_REGULAR && push_file(L, target)) {
        size_t len;
        const char *content = lua_tolstring(L, -1, &len);
        ssot_sha256_hex(content, len, hash);
        same = strcmp(hash, old->hash) == 0;
        if (!same) lua_pop(L, 1);
    }
    if (!same) {
        lua_pushvalue(L, kept_idx);
        append(L, old->path);
        lua_pop(L, 1);
        return true;
    }
    if (em->mode == MODE_DIFF) {
        lua_pushnil(L);
        record_diff(L, 1, old->path);
    } else {
        lua_pop(L, 1);
    }
    if (em->mode == MODE_WRITE) {
        if (unlink(target) != 0 && errno != ENOENT) return false;
        ssot_prune_empty_dirs(em->root_real, parent);
    }
    lua_pushvalue(L, removed_idx);
    append(L, old->path);
    lua_pop(L, 1);
    return true;
}

/* Adds the previous manifest's entries whose tag is set (files that stay owned though this
 * run did not emit them) to em->emitted, and sorts it. */
static void keep_owned(lua_State *L, emitter *em) {
    for (size_t i = 0; i < em->previous.count; i++) {
        const ssot_manifest_entry *old = &em->previous.entries[i];
        if (old->tag && !ssot_manifest_add(&em->emitted, old->path, old->hash, STATUS_UNCHANGED))
            luaL_error(L, "out of memory recording %s", old->path);
    }
    ssot_manifest_sort(&em->emitted);
}

/* Sets report.diffs: UV_DIFFS's entries sorted by path. Stack effect: none (report at
 * report_idx). */
static void set_diffs(lua_State *L, int report_idx) {
    lua_getiuservalue(L, 1, UV_DIFFS);
    ssot_push_sorted_keys(L, -1);
    lua_Integer count = (lua_Integer)lua_rawlen(L, -1);
    lua_createtable(L, (int)count, 0);
    for (lua_Integer i = 1; i <= count; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawget(L, -4); /* UV_DIFFS[path] */
        lua_rawseti(L, -2, i);
    }
    lua_setfield(L, report_idx, "diffs");
    lua_pop(L, 2); /* sorted paths, UV_DIFFS */
}

/* em:finish() -> report { mode, root, created, updated, unchanged, removed, kept, diffs? }.
 * Write mode removes the stale files the previous manifest owned and saves the new manifest;
 * other modes only report. */
static int emitter_abort(lua_State *L);

static int emitter_finish(lua_State *L) {
    emitter *em = check_emitter(L, 1);
    if (em->closed) return luaL_error(L, "finish: this run's output is already finished");
    char write_error[SSOT_EMIT_ERROR_SIZE];
    if (drain_writer(em, write_error) != 0) {
        /* Like a failed run: keep everything, record what was written. */
        lua_settop(L, 1);
        emitter_abort(L);
        return luaL_error(L, "emit: %s", write_error);
    }
    em->closed = true;
    ssot_manifest_sort(&em->emitted);

    lua_createtable(L, 0, 9);
    int report_idx = lua_gettop(L);
    lua_pushstring(L, mode_names[em->mode]);
    lua_setfield(L, report_idx, "mode");
    lua_pushstring(L, em->root);
    lua_setfield(L, report_idx, "root");
    static const char *const lists[] = {"created", "updated", "unchanged", "removed", "kept"};
    for (int i = 0; i < 5; i++) lua_newtable(L); /* at report_idx + 1 .. + 5, in the order of lists */
    for (size_t i = 0; i < em->emitted.count; i++) {
        lua_pushvalue(L, report_idx + 1 + em->emitted.entries[i].tag);
        append(L, em->emitted.entries[i].path);
        lua_pop(L, 1);
    }

    /* A file whose removal failed stays owned, so a later run retries. */
    const char *failed = NULL;
    int failed_errno = 0;
    for (size_t i = 0; i < em->previous.count; i++) {
        ssot_manifest_entry *old = &em->previous.entries[i];
        old->tag = 0;
        if (ssot_manifest_find(&em->emitted, old->path)) continue;
        if (!retire(L, em, old, report_idx + 4, report_idx + 5)) {
            old->tag = 1;
            if (!failed) {
                failed = old->path;
                failed_errno = errno;
            }
        }
    }
    keep_owned(L, em);
    for (int i = 4; i >= 0; i--) lua_setfield(L, report_idx, lists[i]);
    if (em->mode == MODE_DIFF) set_diffs(L, report_idx);

    if (em->mode == MODE_WRITE) {
        char err[SSOT_EMIT_ERROR_SIZE];
        if (save_manifest(em, &em->emitted, err) != 0) return luaL_error(L, "finish: %s", err);
    }
    if (failed)
        return luaL_error(L, "finish: cannot remove the stale file %s/%s: %s; remove it by hand", em->root, failed,
                          strerror(failed_errno));
    return 1;
}

/* em:abort(): ends a failed run. Write mode saves a manifest of everything the previous one
 * owned plus what this run wrote, and removes nothing. Does nothing once the run is closed. */
static int emitter_abort(lua_State *L) {
    emitter *em = check_emitter(L, 1);
    if (em->closed) return 0;
    char write_error[SSOT_EMIT_ERROR_SIZE];
    drain_writer(em, write_error); /* the phase's own error is the one to report */
    em->closed = true;
    if (em->mode != MODE_WRITE) return 0;
    ssot_manifest_sort(&em->emitted);
    for (size_t i = 0; i < em->previous.count; i++)
        em->previous.entries[i].tag = ssot_manifest_find(&em->emitted, em->previous.entries[i].path) == NULL;
    keep_owned(L, em);
    char err[SSOT_EMIT_ERROR_SIZE];
    if (save_manifest(em, &em->emitted, err) != 0) return luaL_error(L, "abort: %s", err);
    return 0;
}

/* __close: a to-be-closed emitter that was neither finished nor aborted is aborted, so the
 * files it wrote stay owned. */
static int emitter_close(lua_State *L) {
    check_emitter(L, 1);
    lua_settop(L, 1);
    return emitter_abort(L);
}

static int emitter_gc(lua_State *L) {
    emitter *em = check_emitter(L, 1);
    ssot_writer_stop(em->writer);
    em->writer = NULL;
    ssot_manifest_free(&em->previous);
    ssot_manifest_free(&em->emitted);
    return 0;
}

static int emitter_tostring(lua_State *L) {
    emitter *em = check_emitter(L, 1);
    lua_pushfstring(L, "ssot.emitter (%s, %s%s)", em->root, mode_names[em->mode], em->closed ? ", closed" : "");
    return 1;
}

/* em:wait(): waits until every file queued so far is written, raising the first failure —
 * so a failed write is reported by the phase that emitted the file, not a later one. The
 * file is named relative to the output root, and the error carries no place in ssot's code. */
static int emitter_wait(lua_State *L) {
    emitter *em = check_emitter(L, 1);
    char err[SSOT_EMIT_ERROR_SIZE];
    if (!em->writer || ssot_writer_wait(em->writer, err) == 0) return 0;
    size_t n = strlen(em->root_real);
    const char *shown = n && strncmp(err, em->root_real, n) == 0 && err[n] == '/' ? err + n + 1 : err;
    lua_pushfstring(L, "emit: %s", shown);
    return lua_error(L);
}

static const luaL_Reg emitter_methods[] = {
    {"abort", emitter_abort},
    {"emit", emitter_emit},
    {"finish", emitter_finish},
    {"wait", emitter_wait},
    {NULL, NULL},
};

static const luaL_Reg emitter_metamethods[] = {
    {"__close", emitter_close},
    {"__gc", emitter_gc},
    {"__index", NULL}, /* the method table, set by ensure_metatable */
    {"__tostring", emitter_tostring},
    {NULL, NULL},
};

/* Creates the emitter metatable on first use. Stack effect: none. */
static void ensure_metatable(lua_State *L) {
    if (luaL_newmetatable(L, EMITTER_META)) {
        luaL_setfuncs(L, emitter_metamethods, 0);
        luaL_newlib(L, emitter_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}

/* emitter{ root = "/abs/dir", mode = "write" | "dry-run" | "check" | "diff" } -> emitter.
 * Write mode creates root; the other modes never write anything. */
int core_emitter(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "root");
    const char *root = lua_tostring(L, -1);
    if (!root || root[0] != '/')
        return luaL_error(L, "emitter: root must be an absolute directory path, got %s",
                          root ? root : luaL_typename(L, -1));
    if (strlen(root) >= PATH_MAX) return luaL_error(L, "emitter: root '%s' is too long", root);
    lua_getfield(L, 1, "mode");
    const char *mode_name = luaL_optstring(L, -1, "write");
    int mode = 0;
    while (mode_names[mode] && strcmp(mode_names[mode], mode_name) != 0) mode++;
    if (!mode_names[mode])
        return luaL_error(L, "emitter: unknown mode '%s' (use write, dry-run, check or diff)", mode_name);

    ensure_metatable(L);
    emitter *em = lua_newuserdatauv(L, sizeof *em, UV_COUNT);
    memset(em, 0, sizeof *em);
    em->mode = (enum emit_mode)mode;
    em->closed = true; /* until fully set up, so __close does nothing */
    luaL_setmetatable(L, EMITTER_META);
    for (int uv = 1; uv <= UV_COUNT; uv++) {
        lua_newtable(L);
        lua_setiuservalue(L, -2, uv);
    }
    snprintf(em->root, sizeof em->root, "%s", root);

    char err[SSOT_EMIT_ERROR_SIZE];
    if (em->mode == MODE_WRITE && ssot_mkdir_all(root, err) != 0)
        return luaL_error(L, "emitter: output directory: %s", err);
    enum ssot_file_kind kind = ssot_file_kind(root);
    if (kind != SSOT_FILE_NONE) {
        if (!realpath(root, em->root_real))
            return luaL_error(L, "emitter: output directory %s: %s", root, strerror(errno));
        if (strlen(em->root_real) + sizeof SSOT_MANIFEST_NAME + 1 >= PATH_MAX)
            return luaL_error(L, "emitter: output directory %s: path too long", root);
        struct stat st;
        if (stat(em->root_real, &st) != 0 || !S_ISDIR(st.st_mode))
            return luaL_error(L, "emitter: output directory %s is not a directory; remove it or choose another output",
                              root);
        load_manifest(L, em);
    }
    em->closed = false;
    return 1;
}
