/* The request head of http_parse.h: where it ends, the request line and the header fields
 * ssot reads, with the framing rules of RFC 9112 that stop one request from being read as
 * two (request smuggling) enforced. Uses only libc. */
#include "runtime/http/http_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ssot_http_fail(ssot_http_problem *problem, ssot_error_kind kind, const char *fmt, ...) {
    problem->kind = kind;
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem->message, sizeof problem->message, fmt, args);
    va_end(args);
    return -1;
}

int ssot_http_shown(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && i < 40 && s[i] >= ' ' && s[i] < 0x7f) i++;
    return (int)i;
}

/* tchar of RFC 9110 §5.6.2: the characters of methods and field names. */
static int is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value's bytes: visible ASCII, space, tab and obs-text; never CR, LF, NUL. */
static int is_field_byte(unsigned char c) { return c == '\t' || (c >= ' ' && c != 0x7f); }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int slice_is(ssot_http_slice s, const char *lowercase) {
    size_t n = strlen(lowercase);
    if (s.len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s.at[i]) != lowercase[i]) return 0;
    return 1;
}

static size_t skip_empty_lines(const char *data, size_t len) {
    size_t start = 0;
    while (start + 1 < len && data[start] == '\r' && data[start + 1] == '\n') start += 2;
    return start;
}

long ssot_http_head_end(const char *data, size_t len, size_t *scanned, ssot_http_problem *problem) {
    size_t start = skip_empty_lines(data, len);
    size_t i = *scanned > start ? *scanned : start;
    for (; i < len && i < SSOT_HTTP_MAX_HEAD; i++) {
        if (data[i] != '\n') continue;
        if (i == 0 || data[i - 1] != '\r')
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "a line of the request ends with LF alone: end lines with CRLF");
        if (i >= start + 3 && data[i - 2] == '\n' && data[i - 3] == '\r') return (long)(i + 1);
    }
    *scanned = i;
    if (i < SSOT_HTTP_MAX_HEAD) return 0;
    if (!memchr(data + start, '\n', i - start))
        return ssot_http_fail(problem, SSOT_E_URI_TOO_LONG, "the request line is longer than %d bytes: shorten the URL",
                              SSOT_HTTP_MAX_HEAD);
    return ssot_http_fail(problem, SSOT_E_HEADERS_TOO_LARGE,
                          "the request headers are larger than %d bytes in all: send fewer or shorter headers",
                          SSOT_HTTP_MAX_HEAD);
}

/* --- the request line ---------------------------------------------------------------------- */

static int parse_version(const char *p, size_t n, ssot_http_request_head *head, ssot_http_problem *problem) {
    if (n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "the request line must end with the protocol version HTTP/1.1");
    if (p[5] != '1' || p[7] > '1')
        return ssot_http_fail(problem, SSOT_E_HTTP_VERSION, "HTTP/%c.%c is not supported: send HTTP/1.1", p[5], p[7]);
    head->minor_version = p[7] - '0';
    return 0;
}

/* Which form the target has; an absolute-form target is narrowed to its path and query. */
static int parse_target_form(ssot_http_request_head *head, ssot_http_problem *problem) {
    ssot_http_slice *t = &head->target;
    for (size_t i = 0; i < t->len; i++)
        if (t->at[i] == '#') return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request target contains '#'");
    if (t->at[0] == '/') {
        head->form = SSOT_TARGET_ORIGIN;
        return 0;
    }
    if (t->len == 1 && t->at[0] == '*') {
        if (head->method != SSOT_METHOD_OPTIONS)
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the target * is only for OPTIONS");
        head->form = SSOT_TARGET_ASTERISK;
        return 0;
    }
    /* absolute-form (RFC 9112 §3.2.2): a server must accept it; the authority is ignored */
    size_t scheme = 0;
    while (scheme < t->len && t->at[scheme] != ':') scheme++;
    ssot_http_slice name = {t->at, scheme};
    if (scheme < t->len && t->len - scheme >= 3 && memcmp(t->at + scheme, "://", 3) == 0 &&
        (slice_is(name, "http") || slice_is(name, "https"))) {
        size_t path = scheme + 3;
        while (path < t->len && t->at[path] != '/' && t->at[path] != '?') path++;
        if (path == scheme + 3)
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request target has no host after %.*s://",
                                  (int)scheme, t->at);
        t->at += path;
        t->len -= path;
        head->form = SSOT_TARGET_ABSOLUTE;
        return 0;
    }
    return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request target must be a path starting with /");
}

static int parse_request_line(const char *line, size_t n, ssot_http_request_head *head, ssot_http_problem *problem) {
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)line[i])) i++;
    if (i == 0 || i == n || line[i] != ' ')
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request line must be: METHOD /path HTTP/1.1");
    head->method_name = (ssot_http_slice){line, i};
    size_t target = ++i;
    while (i < n && line[i] > ' ' && line[i] < 0x7f) i++;
    if (i == target || (i < n && line[i] != ' '))
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "the request target must be one word of visible ASCII characters (percent-encode the rest)");
    head->target = (ssot_http_slice){line + target, i - target};
    if (i == n)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "the request line has no protocol version: send METHOD /path HTTP/1.1");
    if (parse_version(line + i + 1, n - i - 1, head, problem)) return -1;
    head->method = ssot_method_parse(line, head->method_name.len);
    return 0;
}

/* --- header fields -------------------------------------------------------------------------- */

typedef struct field_counts {
    int host, content_length, transfer_encoding;
    int close, keep_alive, upgrade;
} field_counts;

/* One comma-separated element of a list value at *p (before end), trimmed; 0 at the end. */
static int next_element(const char **p, const char *end, ssot_http_slice *element) {
    while (*p < end && (**p == ' ' || **p == '\t' || **p == ',')) (*p)++;
    if (*p >= end) return 0;
    const char *start = *p;
    while (*p < end && **p != ',') (*p)++;
    const char *stop = *p;
    while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t')) stop--;
    *element = (ssot_http_slice){start, (size_t)(stop - start)};
    return 1;
}

static int content_length_field(ssot_http_slice value, ssot_http_request_head *head, ssot_http_problem *problem) {
    const char *p = value.at, *end = value.at + value.len;
    ssot_http_slice element;
    int any = 0;
    while (next_element(&p, end, &element)) {
        int64_t n = 0;
        if (element.len == 0 || element.len > 18)
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the Content-Length header is not a number of bytes");
        for (size_t i = 0; i < element.len; i++) {
            if (element.at[i] < '0' || element.at[i] > '9')
                return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the Content-Length header is not a number of bytes");
            n = n * 10 + (element.at[i] - '0');
        }
        if (head->content_length >= 0 && head->content_length != n)
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request has two different Content-Length values");
        head->content_length = n;
        any = 1;
    }
    if (!any) return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the Content-Length header is empty");
    return 0;
}

static int transfer_encoding_field(ssot_http_slice value, ssot_http_request_head *head, ssot_http_problem *problem) {
    const char *p = value.at, *end = value.at + value.len;
    ssot_http_slice element;
    while (next_element(&p, end, &element)) {
        if (!slice_is(element, "chunked"))
            return ssot_http_fail(problem, SSOT_E_NOT_IMPLEMENTED,
                                  "the transfer coding '%.*s' is not supported: send the body with Content-Length "
                                  "(or Transfer-Encoding: chunked)",
                                  ssot_http_shown(element.at, element.len), element.at);
        if (head->chunked)
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "Transfer-Encoding names chunked twice");
        head->chunked = 1;
    }
    return 0;
}

static void connection_field(ssot_http_slice value, field_counts *counts) {
    const char *p = value.at, *end = value.at + value.len;
    ssot_http_slice element;
    while (next_element(&p, end, &element)) {
        if (slice_is(element, "close")) counts->close = 1;
        else if (slice_is(element, "keep-alive")) counts->keep_alive = 1;
        else if (slice_is(element, "upgrade")) counts->upgrade = 1;
    }
}

/* A header ssot reads that must come at most once: two of them would be ambiguous. */
static int single(ssot_http_slice *slot, int *seen, ssot_http_slice value, const char *name,
                  ssot_http_problem *problem) {
    if (seen && *seen) return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request has two %s headers", name);
    if (!seen && slot->at) return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request has two %s headers", name);
    *slot = value;
    if (seen) *seen = 1;
    return 0;
}

static int field(ssot_http_slice name, ssot_http_slice value, ssot_http_request_head *head, field_counts *counts,
                 ssot_http_problem *problem) {
    switch (lower((unsigned char)name.at[0])) {
    case 'a':
        if (slice_is(name, "authorization"))
            return single(&head->authorization, &head->has_authorization, value, "Authorization", problem);
        break;
    case 'c':
        if (slice_is(name, "content-length")) {
            counts->content_length++;
            return content_length_field(value, head, problem);
        }
        if (slice_is(name, "content-type"))
            return single(&head->content_type, &head->has_content_type, value, "Content-Type", problem);
        if (slice_is(name, "connection")) connection_field(value, counts);
        break;
    case 'e':
        if (slice_is(name, "expect")) {
            if (!slice_is(value, "100-continue"))
                return ssot_http_fail(problem, SSOT_E_EXPECTATION_FAILED,
                                      "the expectation '%.*s' is not supported (only 100-continue)",
                                      ssot_http_shown(value.at, value.len), value.at);
            head->expect_continue = 1;
        }
        break;
    case 'h':
        if (slice_is(name, "host")) counts->host++;
        break;
    case 'o':
        if (slice_is(name, "origin")) return single(&head->origin, &head->has_origin, value, "Origin", problem);
        break;
    case 's':
        if (slice_is(name, "sec-websocket-key"))
            return single(&head->websocket_key, NULL, value, "Sec-WebSocket-Key", problem);
        if (slice_is(name, "sec-websocket-version"))
            return single(&head->websocket_version, NULL, value, "Sec-WebSocket-Version", problem);
        break;
    case 't':
        if (slice_is(name, "transfer-encoding")) {
            counts->transfer_encoding++;
            return transfer_encoding_field(value, head, problem);
        }
        break;
    case 'u':
        if (slice_is(name, "upgrade")) return single(&head->upgrade, NULL, value, "Upgrade", problem);
        break;
    case 'x':
        if (slice_is(name, "x-request-id")) return single(&head->request_id, NULL, value, "X-Request-Id", problem);
        break;
    default: break;
    }
    return 0;
}

/* One field line (without its CRLF). */
static int parse_field_line(const char *line, size_t n, ssot_http_request_head *head, field_counts *counts,
                            ssot_http_problem *problem) {
    if (line[0] == ' ' || line[0] == '\t')
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "a header line starts with whitespace (obsolete line folding is not accepted)");
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)line[i])) i++;
    if (i == n || line[i] != ':') {
        if (i < n && (line[i] == ' ' || line[i] == '\t'))
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "whitespace between a header name and its colon");
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "a header line is not 'Name: value'");
    }
    if (i == 0) return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "a header line has no name");
    ssot_http_slice name = {line, i};
    size_t start = i + 1, end = n;
    while (start < end && (line[start] == ' ' || line[start] == '\t')) start++;
    while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t')) end--;
    for (size_t k = start; k < end; k++)
        if (!is_field_byte((unsigned char)line[k]))
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the header %.*s contains a control character",
                                  ssot_http_shown(line, i), line);
    return field(name, (ssot_http_slice){line + start, end - start}, head, counts, problem);
}

int ssot_http_parse_head(const char *data, size_t len, ssot_http_request_head *head, ssot_http_problem *problem) {
    memset(head, 0, sizeof *head);
    head->content_length = -1;
    head->method = SSOT_METHOD_COUNT;
    field_counts counts = {0};
    const char *p = data + skip_empty_lines(data, len), *end = data + len;
    int first = 1, nfields = 0;
    for (;;) {
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        if (!cr || cr + 1 >= end || cr[1] != '\n')
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "a line of the request has a CR that is not followed by LF");
        size_t n = (size_t)(cr - p);
        if (memchr(p, '\0', n) || memchr(p, '\n', n))
            return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request head contains a NUL or a bare LF");
        if (first) {
            if (parse_request_line(p, n, head, problem)) return -1;
            first = 0;
        } else if (n == 0) {
            break;
        } else {
            if (++nfields > SSOT_HTTP_MAX_FIELDS)
                return ssot_http_fail(problem, SSOT_E_HEADERS_TOO_LARGE, "the request has more than %d headers",
                                      SSOT_HTTP_MAX_FIELDS);
            if (parse_field_line(p, n, head, &counts, problem)) return -1;
        }
        p = cr + 2;
    }
    if (head->method == SSOT_METHOD_COUNT)
        return ssot_http_fail(problem, SSOT_E_NOT_IMPLEMENTED,
                              "the method %.*s is not supported: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS",
                              ssot_http_shown(head->method_name.at, head->method_name.len), head->method_name.at);
    if (parse_target_form(head, problem)) return -1;
    if (counts.host > 1) return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "the request has more than one Host header");
    if (counts.host == 0 && head->minor_version == 1)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "an HTTP/1.1 request needs a Host header");
    if (counts.transfer_encoding && counts.content_length)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST,
                              "the request has both Content-Length and Transfer-Encoding: send only one");
    if (counts.transfer_encoding && !head->chunked)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "Transfer-Encoding is empty");
    if (head->chunked && head->minor_version == 0)
        return ssot_http_fail(problem, SSOT_E_BAD_REQUEST, "Transfer-Encoding is not allowed in HTTP/1.0");
    head->keep_alive = head->minor_version == 1 ? !counts.close : counts.keep_alive && !counts.close;
    if (counts.upgrade && head->upgrade.at) { /* Connection: upgrade and websocket among the Upgrade tokens */
        const char *p = head->upgrade.at, *end = p + head->upgrade.len;
        ssot_http_slice element;
        while (next_element(&p, end, &element))
            if (slice_is(element, "websocket")) head->websocket = 1;
    }
    return 0;
}
