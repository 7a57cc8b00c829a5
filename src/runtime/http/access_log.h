/* The access log of `ssot serve`: one line per request on stdout (time, method, path,
 * status, duration), buffered and flushed by the server's timer so logging costs no system
 * call per request. Off with --quiet. Uses libc only. */
#ifndef SSOT_RUNTIME_ACCESS_LOG_H
#define SSOT_RUNTIME_ACCESS_LOG_H

#include <stddef.h>

/* Turns the log on or off (off: every call below does nothing). */
void ssot_access_log_enable(int enabled);

/* Records a request. path is escaped (control bytes and non-ASCII as \xNN) and cut at 512
 * bytes; request_id is printed for server errors (status >= 500), so the line can be matched
 * with the logged traceback. */
void ssot_access_log(const char *method, const char *path, size_t path_len, int status, double milliseconds,
                     const char *request_id);

/* Writes what is buffered. On a terminal every line is written at once anyway. */
void ssot_access_log_flush(void);

#endif
