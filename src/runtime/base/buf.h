/* A growable byte buffer: appends, printf, JSON string escaping. Used by the store to build
 * row JSON and SQL text, and by the HTTP layer for responses. Uses only libc. */
#ifndef SSOT_RUNTIME_BUF_H
#define SSOT_RUNTIME_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* data is always NUL-terminated after a successful append (data[len] == '\0'), so it can be
 * passed as a C string; it may also hold NUL bytes inside. A failed allocation sets `failed`
 * and turns every later append into a no-op, so callers check once at the end. A zeroed
 * struct is a valid empty buffer (data NULL, len 0). */
typedef struct ssot_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed; /* nonzero once an allocation failed */
} ssot_buf;

#define SSOT_BUF_INIT {NULL, 0, 0, 0}

void ssot_buf_init(ssot_buf *b);
/* Frees the memory; the buffer is empty and usable again afterwards. */
void ssot_buf_free(ssot_buf *b);
/* Empties the buffer but keeps its memory (and clears `failed`), for reuse per request. */
void ssot_buf_reset(ssot_buf *b);
/* Makes room for `extra` more bytes (plus the NUL). Returns 0, or -1 when memory ran out. */
int ssot_buf_reserve(ssot_buf *b, size_t extra);

/* Appends: each returns 0, or -1 when memory ran out (and sets `failed`). */
int ssot_buf_append(ssot_buf *b, const void *data, size_t n);
int ssot_buf_puts(ssot_buf *b, const char *s);
int ssot_buf_putc(ssot_buf *b, char c);
int ssot_buf_printf(ssot_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ssot_buf_vprintf(ssot_buf *b, const char *fmt, va_list ap);
int ssot_buf_put_int(ssot_buf *b, int64_t v);
/* Writes the shortest decimal text that reads back as exactly d ("0.1", "0.30000000000000004",
 * "1e+300"), in JSON number syntax, into out; d must be finite. Returns its length. */
#define SSOT_DOUBLE_TEXT_SIZE 32
size_t ssot_format_double(double d, char out[SSOT_DOUBLE_TEXT_SIZE]);
/* Appends ssot_format_double's text. */
int ssot_buf_put_double(ssot_buf *b, double d);
/* Appends s (n bytes, UTF-8) as a quoted JSON string: ", \ and control characters escaped.
 * Bytes >= 0x80 are copied as they are (callers validate UTF-8 where it matters). */
int ssot_buf_put_json_string(ssot_buf *b, const char *s, size_t n);

/* Shrinks to the first len bytes (len <= b->len). */
void ssot_buf_truncate(ssot_buf *b, size_t len);
/* The contents as a C string ("" when empty); never NULL. */
const char *ssot_buf_cstr(const ssot_buf *b);
/* Hands the memory to the caller (free() it), the buffer becomes empty. *len gets the
 * length when len is not NULL. Returns NULL when the buffer failed or is empty. */
char *ssot_buf_detach(ssot_buf *b, size_t *len);

#endif
