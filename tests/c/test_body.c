/* Tests of request-body parsing and validation (body.c, value.c) against a model loaded
 * through the real host: every type, required fields per mode, enum values, max length in
 * characters, unknown and server-filled fields, datetime normalization, hostile JSON, and
 * the validation_failed error object of docs/rest.md. */
#include "test_store_support.h"

#include "runtime/model/body.h"
#include "runtime/model/value.h"

static const ssot_model *item;
static ssot_body_errors errs;

/* Checks text in mode; returns the message for field ("" when it has none; "PARSE: ..."
 * when the body does not parse). */
static const char *problem(const char *text, ssot_body_mode mode, const char *field) {
    static char message[512];
    json_t *body = ssot_body_parse(text, strlen(text), message, sizeof message);
    if (!body) {
        memmove(message + 7, message, strlen(message) + 1 < sizeof message - 7 ? strlen(message) + 1 : sizeof message - 8);
        memcpy(message, "PARSE: ", 7);
        message[sizeof message - 1] = '\0';
        return message;
    }
    ssot_body_check(item, body, mode, &errs);
    json_decref(body);
    message[0] = '\0';
    for (size_t i = 0; i < errs.count; i++)
        if (strcmp(errs.items[i].field, field) == 0) snprintf(message, sizeof message, "%s", errs.items[i].message);
    return message;
}

#define EXPECT(text, mode, field, expected)                                                        \
    do {                                                                                           \
        const char *got_ = problem((text), (mode), (field));                                       \
        if (strcmp(got_, (expected)) != 0) {                                                       \
            fprintf(stderr, "%s:%d: %s [%s]: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,  \
                    (text), (field), (expected), got_);                                            \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void test_parse(void) {
    char message[256];
    json_t *ok = ssot_body_parse("{\"a\":1}", 7, message, sizeof message);
    CHECK(ok && json_is_object(ok));
    json_decref(ok);
    CHECK(!ssot_body_parse("{\"a\":", 5, message, sizeof message));
    CHECK_CONTAINS(message, "invalid JSON at line 1, column");
    CHECK(!ssot_body_parse("", 0, message, sizeof message));
    CHECK_CONTAINS(message, "the body is empty");
    CHECK(!ssot_body_parse("[1,2]", 5, message, sizeof message));
    CHECK(strcmp(message, "the body must be a JSON object, got array") == 0);
    CHECK(!ssot_body_parse("\"x\"", 3, message, sizeof message));
    CHECK(strcmp(message, "the body must be a JSON object, got string") == 0);
    CHECK(!ssot_body_parse("{\"a\":1,\"a\":2}", 13, message, sizeof message));
    CHECK_CONTAINS(message, "duplicate");
    CHECK(!ssot_body_parse("{\"a\":\"\xff\xfe\"}", 9, message, sizeof message)); /* invalid UTF-8 */
    CHECK_CONTAINS(message, "invalid JSON");
    CHECK(!ssot_body_parse("{\"a\":\"x\\u0000y\"}", 15, message, sizeof message)); /* NUL in a string */
    CHECK_CONTAINS(message, "NUL character");
    CHECK(strstr(message, "JSON_ALLOW_NUL") == NULL); /* no jansson flag names in client messages */
    CHECK(!ssot_body_parse("{\"qty\":123456789012345678901234567890}", 38, message, sizeof message));
    CHECK_CONTAINS(message, "invalid JSON");
    CHECK(!ssot_body_parse("{\"a\":1} trailing", 16, message, sizeof message));
    /* deep nesting is an error, not a crash */
    char *deep = deeply_nested("{\"meta\":", 100000, "}");
    CHECK(!ssot_body_parse(deep, strlen(deep), message, sizeof message));
    CHECK_CONTAINS(message, "invalid JSON");
    free(deep);
}

static void test_types(void) {
    const ssot_body_mode C = SSOT_BODY_CREATE;
    EXPECT("{\"title\":\"ok\"}", C, "title", "");
    CHECK(errs.total == 0);
    EXPECT("{\"title\":\"ok\",\"qty\":3,\"price\":2,\"done\":true,\"notes\":null,\"meta\":{\"x\":[1]},"
           "\"state\":\"closed\",\"dueAt\":\"2026-01-02T03:04:05.678Z\"}",
           C, "title", "");
    CHECK(errs.total == 0);
    EXPECT("{}", C, "title", "is required");
    EXPECT("{\"title\":null}", C, "title", "is required");
    EXPECT("{\"title\":\"123456789012345678901\"}", C, "title", "must be at most 20 characters");
    /* max counts characters, not bytes: 20 two-byte characters fit */
    EXPECT("{\"title\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
           "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
           C, "title", "");
    EXPECT("{\"title\":5}", C, "title", "must be a string");
    EXPECT("{\"title\":\"t\",\"qty\":\"3\"}", C, "qty", "must be an integer");
    EXPECT("{\"title\":\"t\",\"qty\":1.5}", C, "qty", "must be an integer");
    EXPECT("{\"title\":\"t\",\"qty\":true}", C, "qty", "must be an integer");
    EXPECT("{\"title\":\"t\",\"price\":\"x\"}", C, "price", "must be a number");
    EXPECT("{\"title\":\"t\",\"done\":\"yes\"}", C, "done", "must be true or false");
    EXPECT("{\"title\":\"t\",\"done\":1}", C, "done", "must be true or false");
    EXPECT("{\"title\":\"t\",\"done\":null}", C, "done", "must not be null");
    EXPECT("{\"title\":\"t\",\"state\":\"maybe\"}", C, "state", "must be one of: open, closed");
    EXPECT("{\"title\":\"t\",\"state\":\"OPEN\"}", C, "state", "must be one of: open, closed");
    EXPECT("{\"title\":\"t\",\"dueAt\":\"yesterday\"}", C, "dueAt",
           "must be an ISO 8601 date-time, e.g. 2026-11-25T19:23:46.123Z");
    EXPECT("{\"title\":\"t\",\"dueAt\":\"2026-02-30T00:00:00Z\"}", C, "dueAt",
           "must be an ISO 8601 date-time, e.g. 2026-11-25T19:23:46.123Z");
    EXPECT("{\"title\":\"t\",\"dueAt\":1700000000}", C, "dueAt",
           "must be an ISO 8601 date-time, e.g. 2026-11-25T19:23:46.123Z");
    EXPECT("{\"title\":\"t\",\"meta\":\"just a string\"}", C, "meta", "");
    EXPECT("{\"title\":\"t\",\"notes\":[\"x\"]}", C, "notes", "must be a string");
}

static void test_modes(void) {
    const ssot_body_mode C = SSOT_BODY_CREATE, P = SSOT_BODY_PATCH, R = SSOT_BODY_REPLACE;
    EXPECT("{\"title\":\"t\",\"id\":5}", C, "id", "is set by the server");
    EXPECT("{\"title\":\"t\",\"createdAt\":\"2026-01-01T00:00:00.000Z\"}", C, "createdAt", "is set by the server");
    EXPECT("{\"title\":\"t\",\"ownerId\":1}", C, "ownerId", "is set by the server"); /* from the token */
    EXPECT("{\"title\":\"t\",\"color\":\"red\"}", C, "color", "is not a field of Item");
    EXPECT("{}", P, "title", "");
    CHECK(errs.total == 0);
    EXPECT("{\"title\":null}", P, "title", "must not be null");
    EXPECT("{\"notes\":null}", P, "notes", "");
    EXPECT("{\"ownerId\":2}", P, "ownerId", ""); /* ownership can be handed over */
    EXPECT("{\"updatedAt\":\"2026-01-01T00:00:00.000Z\"}", P, "updatedAt", "is set by the server");
    EXPECT("{\"id\":1}", P, "id", "is set by the server");
    EXPECT("{\"qty\":\"x\"}", P, "qty", "must be an integer");
    EXPECT("{\"qty\":1}", R, "title", "is required");
    EXPECT("{\"title\":\"t\",\"ownerId\":2}", R, "ownerId", "");
    EXPECT("{\"title\":\"t\",\"createdAt\":\"2026-01-01T00:00:00.000Z\"}", R, "createdAt", "is set by the server");
}

static void test_errors_json(void) {
    const char *text = "{\"qty\":\"x\",\"zzz\":1}";
    problem(text, SSOT_BODY_CREATE, "");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_body_errors_json(&errs, &out);
    CHECK(strcmp(out.data, "{\"code\":\"validation_failed\",\"message\":\"3 fields are invalid\",\"fields\":{"
                           "\"title\":\"is required\",\"qty\":\"must be an integer\","
                           "\"zzz\":\"is not a field of Item\"}}") == 0);
    /* many unknown fields: all counted, the first SSOT_BODY_MAX_ERRORS listed */
    ssot_buf body = SSOT_BUF_INIT;
    ssot_buf_puts(&body, "{\"title\":\"t\"");
    for (int i = 0; i < 40; i++) ssot_buf_printf(&body, ",\"f%d\":1", i);
    ssot_buf_putc(&body, '}');
    problem(body.data, SSOT_BODY_CREATE, "");
    CHECK(errs.total == 40 && errs.count == SSOT_BODY_MAX_ERRORS);
    ssot_buf_reset(&out);
    ssot_body_errors_json(&errs, &out);
    CHECK_CONTAINS(out.data, "\"40 fields are invalid\"");
    /* an absurd field name is cut at a character boundary, and escaped */
    ssot_buf_reset(&body);
    ssot_buf_puts(&body, "{\"title\":\"t\",\"");
    for (int i = 0; i < 100; i++) ssot_buf_puts(&body, "\xc3\xa9");
    ssot_buf_puts(&body, "\\\"\":1}");
    problem(body.data, SSOT_BODY_CREATE, "");
    CHECK(errs.count == 1 && strlen(errs.items[0].field) == 62);
    ssot_buf_reset(&out);
    ssot_body_errors_json(&errs, &out);
    json_t *parsed = json_loads(out.data, 0, NULL);
    CHECK(parsed != NULL);
    json_decref(parsed);
    ssot_buf_free(&body);
    ssot_buf_free(&out);
}

static void test_datetimes(void) {
    struct {
        const char *in, *out;
    } cases[] = {
        {"2026-11-25T19:23:46.123Z", "2026-11-25T19:23:46.123Z"},
        {"2026-11-25T19:23:46Z", "2026-11-25T19:23:46.000Z"},
        {"2026-11-25T19:23Z", "2026-11-25T19:23:00.000Z"},
        {"2026-11-25", "2026-11-25T00:00:00.000Z"},
        {"2026-11-25 19:23:46.5", "2026-11-25T19:23:46.500Z"},
        {"2026-11-25T19:23:46.123456789Z", "2026-11-25T19:23:46.123Z"},
        {"2026-01-01T01:30:00+02:00", "2025-12-31T23:30:00.000Z"},
        {"2025-12-31T23:30:00-01:00", "2026-01-01T00:30:00.000Z"},
        {"2024-02-29T12:00:00+0530", "2024-02-29T06:30:00.000Z"},
        {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"},
        {"9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
    };
    char out[25];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = ssot_datetime_normalize(cases[i].in, strlen(cases[i].in), out);
        if (rc != 0 || strcmp(out, cases[i].out) != 0) {
            fprintf(stderr, "%s:%d: %s: expected %s, got %s\n", __FILE__, __LINE__, cases[i].in, cases[i].out,
                    rc ? "an error" : out);
            failures++;
        }
    }
    const char *bad[] = {"", "2026", "2026-13-01", "2026-02-29", "2026-01-01T24:00:00Z", "2026-01-01T10:60Z",
                         "2026-01-01T10:00:61Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00+25:00",
                         "2026-01-01T10:00:00 junk", "26-01-01", "2026-1-1", "0000-01-01T00:00:00+00:01",
                         "9999-12-31T23:59:59-00:01", "２０２６-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ssot_datetime_normalize(bad[i], strlen(bad[i]), out) == 0) {
            fprintf(stderr, "%s:%d: '%s' should not be a date-time (got %s)\n", __FILE__, __LINE__, bad[i], out);
            failures++;
        }
    /* the body check writes the canonical form back */
    json_t *body = json_pack("{s:s, s:s}", "title", "t", "dueAt", "2026-01-01T01:30:00+02:00");
    CHECK(ssot_body_check(item, body, SSOT_BODY_CREATE, &errs) == 0);
    CHECK(strcmp(json_string_value(json_object_get(body, "dueAt")), "2025-12-31T23:30:00.000Z") == 0);
    json_decref(body);
    ssot_datetime_now(out);
    CHECK(strlen(out) == 24 && out[10] == 'T' && out[23] == 'Z');
}

int main(void) {
    make_test_dir("body");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    item = ssot_app_model(app, "Item");
    test_parse();
    test_types();
    test_modes();
    test_errors_json();
    test_datetimes();
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
