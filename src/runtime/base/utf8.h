/* UTF-8 text: validating it (WebSocket text messages must be UTF-8) and counting characters
 * (string fields' max length). Uses only libc. */
#ifndef SSOT_RUNTIME_UTF8_H
#define SSOT_RUNTIME_UTF8_H

#include <stddef.h>

/* Whether s[0..n) is valid UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
int ssot_utf8_valid(const char *s, size_t n);

/* Number of characters in s (n bytes, assumed valid UTF-8). */
size_t ssot_utf8_length(const char *s, size_t n);

#endif
