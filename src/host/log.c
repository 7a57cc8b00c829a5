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

/* The width of the progress line on stderr, 0 when none is shown; -1 until the first
 * ssot_log_progress learns whether stderr is a terminal, 0 or 1 after. */
static size_t progress_width;
static int progress_terminal = -1;

#define PROGRESS_MAX 60

void ssot_log_progress(const char *text) {
    if (progress_terminal < 0) {
        const char *term = getenv("TERM");
        progress_terminal = isatty(fileno(stderr)) && !(term && strcmp(term, "dumb") == 0);
    }
    if (!progress_terminal) return;
    size_t len = text ? strlen(text) : 0;
    if (len > PROGRESS_MAX) {
        len = PROGRESS_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--; /* not inside a UTF-8 character */
    }
    if (len == 0 && progress_width == 0) return;
    /* "\r" + text + blanks over the rest of the previous line (+ "\r" when clearing) */
    char line[2 * PROGRESS_MAX + 3];
    size_t n = 0;
    line[n++] = '\r';
    if (len) memcpy(line + n, text, len);
    n += len;
    while (n - 1 < progress_width) line[n++] = ' ';
    if (len == 0) line[n++] = '\r';
    fflush(stdout);
    fwrite(line, 1, n, stderr);
    fflush(stderr);
    progress_width = len;
}

void ssot_logf(int level, const char *fmt, ...) {
    if (level > current_level) return;
    if (progress_width) ssot_log_progress(NULL);
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
