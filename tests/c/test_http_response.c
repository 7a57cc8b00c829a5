/* Tests of the response conventions (src/runtime/http/http_response.c): the error shape with the
 * request id (also around a prebuilt error object), the HTTP/1.1 head — status line,
 * content headers, X-SSOT-Schema, X-Request-Id, Location, Allow, Connection — and CORS for
 * "*", for a list of origins and with credentials. */
#include "check.h"
#include "runtime/http/http_response.h"

#include <jansson.h>
#include <string.h>

static int failures;

static ssot_buf body;
static ssot_response resp;

static ssot_request request(ssot_method method, const char *origin) {
    ssot_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = "/api/things";
    req.path_len = strlen(req.path);
    req.origin = origin;
    strcpy(req.id, "rid-1");
    return req;
}

static json_t *error_json(void) {
    return json_loadb(ssot_response_body(&resp), ssot_response_body_len(&resp), 0, NULL);
}

static void test_error_shape(void) {
    ssot_request req = request(SSOT_METHOD_GET, NULL);
    ssot_response_reset(&resp, &body);
    ssot_buf_puts(resp.body, "{\"partial\":");
    ssot_http_error(&resp, &req, SSOT_E_NOT_FOUND, "no %s %d", "Thing", 7);
    CHECK(resp.status == 404);
    json_t *e = error_json();
    CHECK(e != NULL);
    json_t *err = json_object_get(e, "error");
    CHECK(json_object_size(e) == 1);
    CHECK(strcmp(json_string_value(json_object_get(err, "code")), "not_found") == 0);
    CHECK(strcmp(json_string_value(json_object_get(err, "message")), "no Thing 7") == 0);
    CHECK(strcmp(json_string_value(json_object_get(err, "requestId")), "rid-1") == 0);
    json_decref(e);

    ssot_response_reset(&resp, &body);
    ssot_http_error(&resp, &req, SSOT_E_BAD_REQUEST, "quote \" backslash \\ newline \n");
    e = error_json();
    CHECK(e && strcmp(json_string_value(json_object_get(json_object_get(e, "error"), "message")),
                      "quote \" backslash \\ newline \n") == 0);
    json_decref(e);

    const char *object = "{\"code\":\"validation_failed\",\"message\":\"1 field is invalid\",\"fields\":{\"a\":\"is required\"}}";
    ssot_response_reset(&resp, &body);
    ssot_http_error_object(&resp, &req, SSOT_E_VALIDATION_FAILED, object, strlen(object));
    e = error_json();
    err = json_object_get(e, "error");
    CHECK(e && strcmp(json_string_value(json_object_get(json_object_get(err, "fields"), "a")), "is required") == 0);
    CHECK(strcmp(json_string_value(json_object_get(err, "requestId")), "rid-1") == 0);
    json_decref(e);
}

static void test_head(void) {
    ssot_http_headers headers = {.schema_hash = "0123456789abcdef"};
    ssot_request req = request(SSOT_METHOD_POST, NULL);
    ssot_response_reset(&resp, &body);
    resp.status = 201;
    strcpy(resp.location, "/api/things/7");
    char head[1024];
    size_t n = ssot_http_head(head, sizeof head, &headers, &req, &resp, 42);
    head[n] = '\0';
    CHECK(strcmp(head, "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 42\r\n"
                       "x-ssot-schema: 0123456789abcdef\r\nx-request-id: rid-1\r\nlocation: /api/things/7\r\n\r\n") == 0);

    ssot_response_reset(&resp, &body);
    resp.status = 405;
    resp.allow = SSOT_METHOD_BIT(SSOT_METHOD_GET) | SSOT_METHOD_BIT(SSOT_METHOD_HEAD) | SSOT_METHOD_BIT(SSOT_METHOD_OPTIONS);
    resp.close = 1;
    n = ssot_http_head(head, sizeof head, &headers, &req, &resp, 0);
    head[n] = '\0';
    CHECK(strstr(head, "\r\nallow: GET, HEAD, OPTIONS\r\n") != NULL);
    CHECK(strstr(head, "\r\nconnection: close\r\n") != NULL);

    ssot_response_reset(&resp, &body);
    resp.status = 204;
    n = ssot_http_head(head, sizeof head, &headers, &req, &resp, -1);
    head[n] = '\0';
    CHECK(strncmp(head, "HTTP/1.1 204 No Content\r\n", 25) == 0);
    CHECK(strstr(head, "content-length") == NULL && strstr(head, "content-type") == NULL);

    CHECK(ssot_http_head(head, 40, &headers, &req, &resp, 10) == 0); /* too small: refused, not cut */
}

static void test_cors(void) {
    const char *any[] = {"*"}, *list[] = {"http://a.test", "http://b.test"};
    ssot_http_headers open = {.cors_origins = any, .ncors_origins = 1};
    ssot_http_headers listed = {.cors_origins = list, .ncors_origins = 2, .cors_credentials = 1};
    char head[2048];
    ssot_response_reset(&resp, &body);

    ssot_request plain = request(SSOT_METHOD_GET, NULL);
    size_t n = ssot_http_head(head, sizeof head, &open, &plain, &resp, 2);
    head[n] = '\0';
    CHECK(strstr(head, "access-control") == NULL); /* no Origin, no CORS */

    ssot_request from_a = request(SSOT_METHOD_GET, "http://a.test");
    n = ssot_http_head(head, sizeof head, &open, &from_a, &resp, 2);
    head[n] = '\0';
    CHECK(strstr(head, "access-control-allow-origin: *\r\n") != NULL);
    CHECK(strstr(head, "access-control-expose-headers: X-SSOT-Schema, X-Request-Id, Location\r\n") != NULL);

    n = ssot_http_head(head, sizeof head, &listed, &from_a, &resp, 2);
    head[n] = '\0';
    CHECK(strstr(head, "access-control-allow-origin: http://a.test\r\nvary: Origin\r\n") != NULL);
    CHECK(strstr(head, "access-control-allow-credentials: true\r\n") != NULL);

    ssot_request from_c = request(SSOT_METHOD_GET, "http://c.test");
    n = ssot_http_head(head, sizeof head, &listed, &from_c, &resp, 2);
    head[n] = '\0';
    CHECK(strstr(head, "access-control") == NULL);
    CHECK(!ssot_http_origin_allowed(&listed, "http://c.test") && ssot_http_origin_allowed(&listed, "http://b.test"));

    ssot_request preflight = request(SSOT_METHOD_OPTIONS, "http://b.test");
    resp.status = 204;
    resp.allow = SSOT_METHOD_BIT(SSOT_METHOD_GET) | SSOT_METHOD_BIT(SSOT_METHOD_PATCH);
    n = ssot_http_head(head, sizeof head, &listed, &preflight, &resp, -1);
    head[n] = '\0';
    CHECK(strstr(head, "access-control-allow-methods: GET, PATCH\r\n") != NULL);
    CHECK(strstr(head, "access-control-allow-headers: Authorization, Content-Type, X-Request-Id\r\n") != NULL);
    CHECK(strstr(head, "access-control-max-age: 600\r\n") != NULL);
}

int main(void) {
    test_error_shape();
    test_head();
    test_cors();
    ssot_buf_free(&body);
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
