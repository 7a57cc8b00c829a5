/* Output path rules for the emitter: which relative paths are acceptable, and resolving (and
 * creating) a path's parent directories without ever leaving the output root, links included.
 * Uses POSIX realpath/lstat/mkdir only. */
#define _DEFAULT_SOURCE /* realpath, lstat */
#include "host/emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *ssot_emit_path_problem(const char *relpath, size_t len) {
    if (len == 0) return "is empty";
    if (memchr(relpath, '\0', len)) return "contains a NUL byte";
    if (strpbrk(relpath, "\n\r")) return "contains a line break";
    if (strchr(relpath, '\\')) return "contains a backslash (use '/' between directories)";
    if (relpath[0] == '/') return "is absolute";
    if (len >= PATH_MAX) return "is too long";
    for (const char *segment = relpath;;) {
        const char *end = strchr(segment, '/');
        size_t n = end ? (size_t)(end - segment) : strlen(segment);
        if (n == 0) return "has an empty segment ('//' or a trailing '/')";
        if (n == 2 && segment[0] == '.' && segment[1] == '.') return "leaves the output directory";
        if (n == 1 && segment[0] == '.') return "has a '.' segment";
        if (n > NAME_MAX) return "has a file or directory name longer than the 255 bytes file systems allow";
        if (!end) break;
        segment = end + 1;
    }
    if (strcmp(relpath, SSOT_MANIFEST_NAME) == 0) return "is the manifest ssot keeps of the files it owns";
    if (strcmp(relpath, SSOT_FINGERPRINT_NAME) == 0) return "is the fingerprint ssot keeps of its last run";
    return NULL;
}

int ssot_mkdir_all(const char *path, char *err) {
    char partial[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof partial) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "%s: path too long", path);
        return -1;
    }
    memcpy(partial, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (partial[i] != '/' && partial[i] != '\0') continue;
        partial[i] = '\0';
        struct stat st;
        if (mkdir(partial, 0777) != 0 && errno != EEXIST) {
            snprintf(err, SSOT_EMIT_ERROR_SIZE, "cannot create %s: %s", partial, strerror(errno));
            return -1;
        }
        if (stat(partial, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, SSOT_EMIT_ERROR_SIZE, "cannot create %s: %s is not a directory", path, partial);
            return -1;
        }
        partial[i] = path[i];
    }
    return 0;
}

static enum ssot_parent_result system_error(char *err, const char *relpath, const char *at) {
    snprintf(err, SSOT_EMIT_ERROR_SIZE, "path '%s': %s: %s", relpath, at, strerror(errno));
    return SSOT_PARENT_ERROR;
}

/* Whether the real path inner is root_real or lies below it. */
static bool is_inside(const char *root_real, const char *inner) {
    size_t n = strlen(root_real);
    if (n == 1 && root_real[0] == '/') return true;
    return strncmp(root_real, inner, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

enum ssot_parent_result ssot_emit_parent(const char *root_real, const char *relpath, bool create,
                                         char parent_real[PATH_MAX], char *err) {
    char current[PATH_MAX], candidate[PATH_MAX], resolved[PATH_MAX];
    snprintf(current, sizeof current, "%s", root_real);
    const char *segment = relpath;
    for (const char *slash; (slash = strchr(segment, '/')) != NULL; segment = slash + 1) {
        /* The prefix of relpath up to this segment, for messages. */
        int prefix_len = (int)(slash - relpath);
        int n = snprintf(candidate, sizeof candidate, "%s/%.*s", current, (int)(slash - segment), segment);
        if (n < 0 || (size_t)n >= sizeof candidate) {
            snprintf(err, SSOT_EMIT_ERROR_SIZE, "path '%s' is too long under %s", relpath, root_real);
            return SSOT_PARENT_ERROR;
        }
        struct stat st;
        if (lstat(candidate, &st) != 0) {
            if (errno != ENOENT) return system_error(err, relpath, candidate);
            if (!create) return SSOT_PARENT_MISSING;
            /* current is a real directory inside the root and the segment is a plain name,
             * so the new directory is inside the root too. */
            if (mkdir(candidate, 0777) != 0 && errno != EEXIST) return system_error(err, relpath, candidate);
        }
        if (!realpath(candidate, resolved)) return system_error(err, relpath, candidate);
        if (!is_inside(root_real, resolved)) {
            snprintf(err, SSOT_EMIT_ERROR_SIZE,
                     "path '%s' goes through '%.*s', a link to %s outside the output directory %s; "
                     "remove the link or choose another path",
                     relpath, prefix_len, relpath, resolved, root_real);
            return SSOT_PARENT_ERROR;
        }
        if (stat(resolved, &st) != 0) return system_error(err, relpath, candidate);
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, SSOT_EMIT_ERROR_SIZE,
                     "path '%s' needs '%.*s' to be a directory, but it is a file; remove it or choose another path",
                     relpath, prefix_len, relpath);
            return SSOT_PARENT_ERROR;
        }
        snprintf(current, sizeof current, "%s", resolved);
    }
    snprintf(parent_real, PATH_MAX, "%s", current);
    return SSOT_PARENT_FOUND;
}
