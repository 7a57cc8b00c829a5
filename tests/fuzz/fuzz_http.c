/* Fuzz target: bytes a client sends on a connection. They are framed as the server frames
 * them (src/runtime/http/http_parse.c: head, target, Content-Length and chunked bodies, pipelined
 * requests one after another, the head fed in pieces) and each request that frames is
 * answered by the REST service over the everything.lua app: router, query parsing, bodies,
 * auth, rules, hooks, custom routes and the store. */
#include "fuzz_app.h"
#include "runtime/http/http_parse.h"

#include <stdint.h>

static char scratch[2 * SSOT_HTTP_MAX_HEAD + 1024];

/* Frames and answers one request at data[0..len); returns the bytes it used, 0 to stop. */
static size_t one_request(ssot_service *svc, const char *data, size_t len, size_t step) {
    ssot_http_problem problem;
    size_t scanned = 0;
    long end = 0;
    for (size_t n = step < len ? step : len; end == 0; n = n + step < len ? n + step : len) {
        end = ssot_http_head_end(data, n, &scanned, &problem);
        if (n == len) break;
    }
    if (end <= 0) return 0;
    ssot_http_request_head head;
    if (ssot_http_parse_head(data, (size_t)end, &head, &problem)) return 0;
    static ssot_request req;
    memset(&req, 0, sizeof req);
    if (ssot_http_build_request(&head, scratch, sizeof scratch, &req, &problem) < 0) return 0;
    strcpy(req.id, "fuzz-1");
    size_t used = (size_t)end;
    ssot_buf body = SSOT_BUF_INIT;
    if (head.chunked) {
        ssot_http_chunked chunked = {0};
        int done = 0;
        long took = ssot_http_chunked_feed(&chunked, data + used, len - used, &body, 65536, &done, &problem);
        if (took < 0 || !done) {
            ssot_buf_free(&body);
            return 0;
        }
        used += (size_t)took;
        req.body = body.len ? body.data : "";
    } else if (head.content_length >= 0) {
        if ((uint64_t)head.content_length > len - used) return 0;
        ssot_buf_append(&body, data + used, (size_t)head.content_length);
        used += (size_t)head.content_length;
        req.body = body.len ? body.data : "";
    }
    req.body_len = body.len;
    static ssot_response resp;
    static ssot_buf out;
    fuzz_handle(svc, &req, &resp, &out);
    ssot_buf_free(&body);
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    ssot_service *svc = fuzz_get_service();
    size_t step = 1 + data[0] % 64; /* the head arrives in pieces of this many bytes */
    const char *text = (const char *)data + 1;
    size_t len = size - 1, at = 0;
    for (int requests = 0; requests < 8 && at < len; requests++) {
        size_t used = one_request(svc, text + at, len - at, step);
        if (used == 0) break;
        at += used;
    }
    return 0;
}
