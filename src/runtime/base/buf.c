/* The growable byte buffer of buf.h. Uses only libc. */
#include "runtime/base/buf.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ssot_buf_init(ssot_buf *b) { memset(b, 0, sizeof *b); }

void ssot_buf_free(ssot_buf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

void ssot_buf_reset(ssot_buf *b) {
    b->len = 0;
    b->failed = 0;
    if (b->data) b->data[0] = '\0';
}

int ssot_buf_reserve(ssot_buf *b, size_t extra) {
    if (b->failed) return -1;
    if (extra >= SIZE_MAX - b->len) goto fail;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data) goto fail;
    b->data = data;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

int ssot_buf_append(ssot_buf *b, const void *data, size_t n) {
    if (ssot_buf_reserve(b, n) != 0) return -1;
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ssot_buf_puts(ssot_buf *b, const char *s) { return ssot_buf_append(b, s, strlen(s)); }

int ssot_buf_putc(ssot_buf *b, char c) {
    if (ssot_buf_reserve(b, 1) != 0) return -1;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return 0;
}

int ssot_buf_vprintf(ssot_buf *b, const char *fmt, va_list ap) {
    if (b->failed) return -1;
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0) {
        b->failed = 1;
        return -1;
    }
    if ((size_t)n < sizeof small) return ssot_buf_append(b, small, (size_t)n);
    if (ssot_buf_reserve(b, (size_t)n) != 0) return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int ssot_buf_printf(ssot_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = ssot_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int ssot_buf_put_int(ssot_buf *b, int64_t v) {
    char digits[24];
    char *p = digits + sizeof digits;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return ssot_buf_append(b, p, (size_t)(digits + sizeof digits - p));
}

size_t ssot_format_double(double d, char out[SSOT_DOUBLE_TEXT_SIZE]) {
    /* the fewest significant digits that round-trip: a decimal of at most 15 digits survives
     * the trip through a normal double (DBL_DIG), so "%.15g" already prints the shortest such
     * text; the others need 16 or 17. Subnormals carry fewer digits ("5e-324"): try them all. */
    int n = 0;
    for (int digits = d != 0 && fabs(d) < DBL_MIN ? 1 : 15; digits <= 17; digits++) {
        n = snprintf(out, SSOT_DOUBLE_TEXT_SIZE, "%.*g", digits, d);
        if (strtod(out, NULL) == d) break;
    }
    if (n <= 0) return 0;
    char *e = strchr(out, 'e'); /* "2.5e-07" -> "2.5e-7", as JavaScript writes it */
    if (e) {
        char *digits = e + 2, *first = digits;
        while (first[0] == '0' && first[1]) first++;
        memmove(digits, first, strlen(first) + 1);
        n = (int)strlen(out);
    }
    return (size_t)n;
}

int ssot_buf_put_double(ssot_buf *b, double d) {
    char text[SSOT_DOUBLE_TEXT_SIZE];
    return ssot_buf_append(b, text, ssot_format_double(d, text));
}

int ssot_buf_put_json_string(ssot_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX: reserve once, then write directly. */
    if (n > (SIZE_MAX - 2) / 6 || ssot_buf_reserve(b, n * 6 + 2) != 0) {
        b->failed = 1;
        return -1;
    }
    char *out = b->data + b->len;
    *out++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    b->data[b->len] = '\0';
    return 0;
}

void ssot_buf_truncate(ssot_buf *b, size_t len) {
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

const char *ssot_buf_cstr(const ssot_buf *b) { return b->data ? b->data : ""; }

char *ssot_buf_detach(ssot_buf *b, size_t *len) {
    char *data = b->failed ? NULL : b->data;
    if (len) *len = data ? b->len : 0;
    if (!data) free(b->data);
    memset(b, 0, sizeof *b);
    return data;
}
