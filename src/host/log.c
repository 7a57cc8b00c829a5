/* Leveled logging shared by C and Lua (log.h). */
#define _POSIX_C_SOURCE 200809L
#include "host/log.h"

#include "ssot.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int current_level = SSOT_LOG_INFO;

int ssot_log_get_level(void) { return current_level; }

void ssot_log_set_level(int level) {
    if (level < SSOT_LOG_ERROR) level = SSOT_LOG_ERROR;
    if (level > SSOT_LOG_DEBUG) level = SSOT_LOG_DEBUG;
    current_level = level;
}

int ssot_log_color_enabled(FILE *stream) {
    const char *no_color = getenv("NO_COLOR");
    if (no_color && *no_color) return 0;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0) return 0;
    return isatty(fileno(stream));
}

void ssot_logf(int level, const char *fmt, ...) {
    if (level > current_level) return;
    FILE *stream = level == SSOT_LOG_INFO ? stdout : stderr;
    int color = ssot_log_color_enabled(stream);
    const char *prefix = "", *start = "", *end = "";
    if (level == SSOT_LOG_ERROR) {
        prefix = "error: ";
        start = color ? "\033[31m" : "";
    } else if (level == SSOT_LOG_WARN) {
        prefix = "warning: ";
        start = color ? "\033[33m" : "";
    } else if (level == SSOT_LOG_DEBUG) {
        start = color ? "\033[2m" : "";
    }
    if (*start) end = "\033[0m";
    va_list args;
    va_start(args, fmt);
    fprintf(stream, "%s%s", start, prefix);
    vfprintf(stream, fmt, args);
    fprintf(stream, "%s\n", end);
    va_end(args);
    fflush(stream);
}
