/* The static front end (static_files.h): path resolution confined to the root by realpath,
 * index.html for directories and single-page-app routes, content types by extension. */
#define _DEFAULT_SOURCE /* realpath */
#include "runtime/http/static_files.h"

#include "runtime/http/http_response.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct ssot_static_files {
    char root[PATH_MAX]; /* resolved, no trailing slash */
    size_t root_len;
};

ssot_static_files *ssot_static_files_new(const char *root, char *err, size_t err_size) {
    ssot_static_files *files = calloc(1, sizeof *files);
    struct stat st;
    if (!files) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (!realpath(root, files->root) || stat(files->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "serve.static: %s is not a directory (build the front end first, or remove serve.static)",
                 root);
        free(files);
        return NULL;
    }
    files->root_len = strlen(files->root);
    if (files->root_len == 1) files->root_len = 0; /* "/": every path is inside */
    return files;
}

void ssot_static_files_free(ssot_static_files *files) { free(files); }

static const struct {
    const char *extension;
    const char *type;
} content_types[] = {
    {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"}, {"json", "application/json"}, {"map", "application/json"},
    {"webmanifest", "application/manifest+json"}, {"txt", "text/plain; charset=utf-8"},
    {"xml", "application/xml"}, {"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"}, {"avif", "image/avif"},
    {"ico", "image/x-icon"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"otf", "font/otf"}, {"wasm", "application/wasm"}, {"pdf", "application/pdf"}, {"mp4", "video/mp4"},
    {"webm", "video/webm"}, {"mp3", "audio/mpeg"}, {"wav", "audio/wav"},
};

const char *ssot_static_content_type(const char *name) {
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof content_types / sizeof *content_types; i++)
            if (strcasecmp(dot + 1, content_types[i].extension) == 0) return content_types[i].type;
    return "application/octet-stream";
}

/* Resolves candidate; 1 and the real path in out when it is a regular file inside root. */
static int resolve_file(const ssot_static_files *files, const char *candidate, char *out) {
    struct stat st;
    if (!realpath(candidate, out)) return 0;
    if (strncmp(out, files->root, files->root_len) != 0 || out[files->root_len] != '/') return 0;
    if (stat(out, &st) != 0) return 0;
    if (S_ISDIR(st.st_mode)) {
        char index[PATH_MAX + 16];
        snprintf(index, sizeof index, "%s/index.html", out);
        return resolve_file(files, index, out);
    }
    return S_ISREG(st.st_mode);
}

void ssot_static_files_serve(const ssot_static_files *files, const ssot_request *req, ssot_response *resp) {
    const char *path = req->path;
    /* the server normalized the path (http_target.c); refuse anything that still looks like an escape */
    if (strstr(path, "/../") || (req->path_len >= 3 && strcmp(path + req->path_len - 3, "/..") == 0) ||
        strlen(path) != req->path_len || req->path_len + files->root_len + 16 > PATH_MAX) {
        ssot_http_error(resp, req, SSOT_E_NOT_FOUND, "no file at %s", path);
        return;
    }
    char candidate[PATH_MAX + 16];
    snprintf(candidate, sizeof candidate, "%s%s", files->root, path);
    if (!resolve_file(files, candidate, resp->file_path)) {
        const char *slash = strrchr(path, '/');
        int looks_like_a_route = !strchr(slash ? slash : path, '.');
        snprintf(candidate, sizeof candidate, "%s/index.html", files->root);
        if (!looks_like_a_route || !resolve_file(files, candidate, resp->file_path)) {
            ssot_http_error(resp, req, SSOT_E_NOT_FOUND, "no file at %s", path);
            return;
        }
    }
    resp->file = resp->file_path;
    resp->content_type = ssot_static_content_type(resp->file_path);
}
