/* Process-wide leveled logging for C code (runtime access log, host warnings) and the Lua
 * side (core.log). Colour only on a terminal and never when NO_COLOR is set. */
#ifndef SSOT_HOST_LOG_H
#define SSOT_HOST_LOG_H

#include <stdio.h>

int ssot_log_get_level(void);
void ssot_log_set_level(int level); /* an ssot_log_level from ssot.h */

/* Whether text written to stream may carry ANSI colours. */
int ssot_log_color_enabled(FILE *stream);

/* A progress line on stderr, only when stderr is a terminal (and TERM is not "dumb"): text
 * (cut to 60 bytes) replaces the one shown, in place with \r; NULL or "" clears it. Cheap:
 * one write. Every ssot_logf and core.write clears it first, so nothing prints over it. */
void ssot_log_progress(const char *text);

/* Logs at level: errors and warnings to stderr with a prefix, info to stdout, debug to stderr. */
void ssot_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
