/* The request target of http_parse.h: the path percent-decoded and normalized (so
 * "/api/../x" and "/api//x" cannot reach past a router or the static root), the query split
 * into decoded parameters, and the request handlers see built from both and the head's
 * headers. Uses only libc. */
#include "runtime/http/http_parse.h"

#include <string.h>

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..n) into out ('+' is a space when plus_is_space). Returns the decoded
 * length, or -1 at a malformed escape. */
static long percent_decode(const char *src, size_t n, char *out, int plus_is_space) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= n) return -1;
            int hi = hex_value(src[i + 1]), lo = hex_value(src[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = plus_is_space && c == '+' ? ' ' : c;
        }
    }
    return (long)o;
}

/* Rewrites the decoded path p[0..n) in place without empty, "." and ".." segments (".."
 * removes the segment before it, never going above the root); keeps a trailing slash.
 * Returns the new length (at least 1: "/"). */
static size_t normalize_path(char *p, size_t n) {
    size_t o = 0, i = 0;
    int trailing = 0;
    while (i < n) {
        while (i < n && p[i] == '/') i++;
        size_t start = i;
        while (i < n && p[i] != '/') i++;
        size_t len = i - start;
        trailing = i < n || len == 0 || (len == 1 && p[start] == '.') || (len == 2 && p[start] == '.' && p[start + 1] == '.');
        if (len == 0 || (len == 1 && p[start] == '.')) continue;
        if (len == 2 && p[start] == '.' && p[start + 1] == '.') {
            while (o > 0 && p[o - 1] != '/') o--;
            if (o > 0) o--; /* the slash before the removed segment */
            continue;
        }
        p[o++] = '/';
        memmove(p + o, p + start, len);
        o += len;
    }
    if (o == 0 || trailing) p[o++] = '/';
    return o;
}

static int decode_path(const char *src, size_t n, char *out, ssot_request *req, ssot_http_problem *problem) {
    if (n == 0) { /* "http://host?x" or "?x" after the authority: the root */
        out[0] = '/';
        out[1] = '\0';
        req->path = out;
        req->path_len = 1;
        return 0;
    }
    long decoded = percent_decode(src, n, out, 0);
    if (decoded < 0)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the path has a malformed percent-escape: write %% as %%25");
    for (long i = 0; i < decoded; i++) { /* they would end the path early, or a log line */
        unsigned char c = (unsigned char)out[i];
        if (c == '\0' || c == '\r' || c == '\n')
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the path contains an encoded %s (%%%02X)",
                                  c == '\0' ? "NUL" : c == '\r' ? "CR" : "LF", c);
    }
    size_t len = normalize_path(out, (size_t)decoded);
    out[len] = '\0';
    req->path = out;
    req->path_len = len;
    return 0;
}

/* Decodes one query parameter "name=value" (n bytes at src) into out. Returns the bytes of
 * out used, or -1 with problem set. */
static long decode_param(const char *src, size_t n, char *out, ssot_query_param *param, size_t index,
                         ssot_http_problem *problem) {
    const char *eq = memchr(src, '=', n);
    size_t name_len = eq ? (size_t)(eq - src) : n;
    long name = percent_decode(src, name_len, out, 1);
    long value = name < 0 ? -1 : eq ? percent_decode(eq + 1, n - name_len - 1, out + name + 1, 1) : 0;
    if (name < 0 || value < 0)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "query parameter %zu has a malformed percent-escape: write %% as %%25", index + 1);
    if (memchr(out, '\0', (size_t)name) || memchr(out + name + 1, '\0', (size_t)value)) {
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "query parameter '%.*s' contains a NUL byte (%%00)",
                              ssot_http_shown(out, (size_t)name), out);
    }
    out[name] = '\0';
    out[name + 1 + value] = '\0';
    param->name = out;
    param->value = out + name + 1;
    param->value_len = (size_t)value;
    return name + value + 2;
}

int ssot_http_decode_target(const ssot_http_request_head *head, char *scratch, size_t scratch_size, ssot_request *req,
                            ssot_http_problem *problem) {
    const char *t = head->target.at;
    size_t n = head->form == SSOT_TARGET_ASTERISK ? 0 : head->target.len;
    if (scratch_size < n + SSOT_MAX_QUERY_PARAMS + 2)
        return ssot_http_fail(problem, SSOT_E_URI_TOO_LONG, "the URL is too long");
    const char *question = memchr(t, '?', n);
    size_t path_len = question ? (size_t)(question - t) : n;
    if (head->form == SSOT_TARGET_ASTERISK) {
        memcpy(scratch, "*", 2);
        req->path = scratch;
        req->path_len = 1;
        req->nparams = 0;
        return 0;
    }
    if (decode_path(t, path_len, scratch, req, problem)) return -1;
    char *out = scratch + req->path_len + 1;
    req->nparams = 0;
    if (!question) return 0;
    const char *q = question + 1, *end = t + n;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if (stop > q) {
            if (req->nparams == SSOT_MAX_QUERY_PARAMS)
                return ssot_http_fail(problem, SSOT_E_URI_TOO_LONG, "too many query parameters (at most %d)",
                                      SSOT_MAX_QUERY_PARAMS);
            long used = decode_param(q, (size_t)(stop - q), out, &req->params[req->nparams], req->nparams, problem);
            if (used < 0) return -1;
            req->nparams++;
            out += used;
        }
        q = stop + (amp ? 1 : 0);
    }
    return 0;
}

/* Copies a header's value (NULL when absent) after the used part of scratch. */
static int copy_header(int present, ssot_http_slice value, char *scratch, size_t scratch_size, size_t *used,
                       const char **out) {
    *out = NULL;
    if (!present) return 0;
    if (*used + value.len + 1 > scratch_size) return -1;
    char *copy = scratch + *used;
    memcpy(copy, value.at, value.len);
    copy[value.len] = '\0';
    *used += value.len + 1;
    *out = copy;
    return 0;
}

long ssot_http_build_request(const ssot_http_request_head *head, char *scratch, size_t scratch_size,
                             ssot_request *req, ssot_http_problem *problem) {
    req->method = head->method;
    if (ssot_http_decode_target(head, scratch, scratch_size, req, problem)) return -1;
    size_t used = head->target.len + SSOT_MAX_QUERY_PARAMS + 2;
    if (copy_header(head->has_authorization, head->authorization, scratch, scratch_size, &used, &req->authorization) ||
        copy_header(head->has_content_type, head->content_type, scratch, scratch_size, &used, &req->content_type) ||
        copy_header(head->has_origin, head->origin, scratch, scratch_size, &used, &req->origin))
        return ssot_http_fail(problem, SSOT_E_HEADERS_TOO_LARGE, "the request headers are too large");
    return (long)used;
}
