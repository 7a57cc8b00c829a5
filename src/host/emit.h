/* The pieces of the emitter (core_emit.c) that do not touch Lua: output path rules and
 * confinement (emit_path.c), file comparison, atomic writes and removal (emit_file.c), the
 * background writer (emit_writer.c) and the manifest of owned files (manifest.c). Errors come
 * back as text in a caller's buffer. */
#ifndef SSOT_HOST_EMIT_H
#define SSOT_HOST_EMIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* The manifest's file name under the output root; no phase may emit it. */
#define SSOT_MANIFEST_NAME ".ssot-manifest"

/* The file under the output root where ssot.uptodate keeps the fingerprint of the last run;
 * no phase may emit it either. */
#define SSOT_FINGERPRINT_NAME ".ssot-fingerprint"

/* Size of the error buffers the functions below fill. */
#define SSOT_EMIT_ERROR_SIZE (PATH_MAX * 2 + 256)

/* --- emit_path.c ------------------------------------------------------------------------ */

/* Why relpath (len bytes, NUL-terminated after them) is not an acceptable output path ("is absolute", "leaves the
 * output directory", ...), or NULL when it is: relative, non-empty, no "." / ".." / empty
 * segments, no NUL, line break or backslash, not the manifest or the fingerprint. */
const char *ssot_emit_path_problem(const char *relpath, size_t len);

/* Creates the directory path and its missing parents (mkdir -p). Returns 0, or -1 with err
 * filled in. */
int ssot_mkdir_all(const char *path, char *err);

/* Outcome of resolving an output path's parent directory. */
enum ssot_parent_result { SSOT_PARENT_ERROR = -1, SSOT_PARENT_FOUND = 0, SSOT_PARENT_MISSING = 1 };

/* Resolves the directory relpath (already checked) would live in, one segment at a time
 * from root_real (a real path), creating missing segments when create is true. Every segment
 * must resolve (links followed) to a directory inside root_real, so nothing is ever created
 * outside it. On SSOT_PARENT_FOUND, parent_real holds the parent's real path; without create,
 * a missing segment gives SSOT_PARENT_MISSING; errors are described in err. */
enum ssot_parent_result ssot_emit_parent(const char *root_real, const char *relpath, bool create,
                                         char parent_real[PATH_MAX], char *err);

/* --- emit_file.c ------------------------------------------------------------------------ */

/* Kind of what is at a path, without following links. */
enum ssot_file_kind { SSOT_FILE_NONE, SSOT_FILE_REGULAR, SSOT_FILE_LINK, SSOT_FILE_DIRECTORY, SSOT_FILE_OTHER };
enum ssot_file_kind ssot_file_kind(const char *path);

/* 1 when the regular file at path holds exactly data[0..len), 0 when it differs, -1 with
 * errno set when it cannot be read. Links are not followed. */
int ssot_file_equals(const char *path, const char *data, size_t len);

/* Replaces dir/name with data atomically (mode 0666 less the umask): the data goes into an
 * unnamed file in dir (O_TMPFILE) linked in under name, or renamed over it when name exists;
 * without O_TMPFILE support, into a uniquely named temp file renamed over the target. fsync'd
 * only when sync is true. No temp file is left behind on failure. Returns 0, or -1 with err
 * filled in. */
int ssot_write_atomic(const char *dir, const char *name, const char *data, size_t len, bool sync, char *err);

/* Removes the directories from dir (inclusive) up to, but not including, root while they are
 * empty. Stops quietly at the first one that is not. */
void ssot_prune_empty_dirs(const char *root, const char *dir);

/* --- emit_writer.c ---------------------------------------------------------------------- */

/* A thread that writes queued files with ssot_write_atomic, in the order they were queued. */
typedef struct ssot_writer ssot_writer;

/* Starts a writer; NULL when no thread can be started (then write synchronously). */
ssot_writer *ssot_writer_start(void);

/* Queues a copy of data to be written as dir/name; tag is the caller's number for the file.
 * Waits while much is queued. Returns 0, or -1 with err filled in when an earlier write
 * failed (nothing is queued after a failure) or memory ran out. */
int ssot_writer_submit(ssot_writer *w, size_t tag, const char *dir, const char *name, const char *data, size_t len,
                       char *err);

/* Waits until every queued file is written. Returns 0, or -1 with the first failure in err. */
int ssot_writer_wait(ssot_writer *w, char *err);

/* After ssot_writer_wait: the tags of the files that were not written (the failed one and
 * those queued after it), count in *count. */
const size_t *ssot_writer_unwritten(const ssot_writer *w, size_t *count);

/* Stops the thread (files still queued are not written) and frees the writer; NULL is fine. */
void ssot_writer_stop(ssot_writer *w);

/* --- manifest.c ------------------------------------------------------------------------- */

/* One owned file: its path relative to the root and the SHA-256 (hex) of what ssot wrote. */
typedef struct {
    char *path;
    char hash[65];
    int tag; /* free for the owner of the list (the emitter keeps each file's status here) */
} ssot_manifest_entry;

typedef struct {
    ssot_manifest_entry *entries;
    size_t count, cap;
} ssot_manifest;

/* Appends a copy of path with its hash. Returns the new entry, or NULL when out of memory. */
ssot_manifest_entry *ssot_manifest_add(ssot_manifest *m, const char *path, const char *hash, int tag);

/* Sorts by path (byte order), which ssot_manifest_find and ssot_manifest_format expect. */
void ssot_manifest_sort(ssot_manifest *m);

/* The entry for path in a sorted manifest, or NULL. */
ssot_manifest_entry *ssot_manifest_find(const ssot_manifest *m, const char *path);

/* Parses the manifest text (file names the file in errors). Lines: "<sha256 hex>  <path>";
 * '#' comments and blank lines are skipped. Returns 0, or -1 with err (SSOT_EMIT_ERROR_SIZE
 * bytes) filled in. The result is sorted. */
int ssot_manifest_parse(ssot_manifest *m, const char *text, size_t len, const char *file, char *err);

/* The manifest text of a sorted manifest in a malloc'd buffer (its length in *len), or NULL
 * when out of memory. */
char *ssot_manifest_format(const ssot_manifest *m, size_t *len);

void ssot_manifest_free(ssot_manifest *m);

#endif
