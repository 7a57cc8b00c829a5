/* The buffered access log (access_log.h). Lines are kept in a fixed buffer and written with
 * one fwrite when it fills up, when the server's timer fires or at shutdown. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r, fileno */
#include "runtime/http/access_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_BUFFER_SIZE 65536
#define LINE_MAX_SIZE 1024

static int enabled;
static int interactive; /* stdout is a terminal: write each line at once */
static char buffer[LOG_BUFFER_SIZE];
static size_t used;
static time_t stamp_second = -1;
static char stamp[32]; /* "2026-11-25T19:23:46" for stamp_second */

void ssot_access_log_enable(int on) {
    enabled = on;
    interactive = on && isatty(fileno(stdout));
}

void ssot_access_log_flush(void) {
    if (used == 0) return;
    fwrite(buffer, 1, used, stdout);
    fflush(stdout);
    used = 0;
}

static size_t escape_path(char *out, size_t size, const char *path, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (n > 512) n = 512;
    for (size_t i = 0; i < n && o + 4 < size; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c > 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}

void ssot_access_log(const char *method, const char *path, size_t path_len, int status, double milliseconds,
                     const char *request_id) {
    if (!enabled) return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != stamp_second) {
        struct tm tm;
        stamp_second = now.tv_sec;
        if (!gmtime_r(&now.tv_sec, &tm) || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            stamp[0] = '\0';
    }
    char escaped[4 * 512 + 8], line[LINE_MAX_SIZE + 2048];
    escape_path(escaped, sizeof escaped, path, path_len);
    int n = snprintf(line, sizeof line, "%s.%03ldZ %s %s %d %.2fms%s%s\n", stamp, now.tv_nsec / 1000000, method,
                     escaped, status, milliseconds, status >= 500 && request_id ? " request " : "",
                     status >= 500 && request_id ? request_id : "");
    if (n <= 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    if (used + (size_t)n > sizeof buffer) ssot_access_log_flush();
    memcpy(buffer + used, line, (size_t)n);
    used += (size_t)n;
    if (interactive) ssot_access_log_flush();
}
