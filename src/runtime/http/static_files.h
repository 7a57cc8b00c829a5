/* serve.static: a built front end served at / — files by path with their content types,
 * directories by their index.html, unknown extension-less paths by /index.html (client-side
 * routes of a single-page app), and nothing outside the directory (no "..", no symlink out).
 * Uses server_request.h. */
#ifndef SSOT_RUNTIME_STATIC_FILES_H
#define SSOT_RUNTIME_STATIC_FILES_H

#include "runtime/http/server_request.h"

typedef struct ssot_static_files ssot_static_files;

/* Serves the directory root. NULL with a message in err when it is not a readable
 * directory. */
ssot_static_files *ssot_static_files_new(const char *root, char *err, size_t err_size);
void ssot_static_files_free(ssot_static_files *files);

/* Answers a GET/HEAD for req->path: sets resp->file and resp->content_type, or a 404. */
void ssot_static_files_serve(const ssot_static_files *files, const ssot_request *req, ssot_response *resp);

/* The content type for a file name, by extension ("application/octet-stream" when unknown). */
const char *ssot_static_content_type(const char *name);

#endif
