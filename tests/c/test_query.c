/* Tests of list-query parsing (query.c) against a model loaded through the real host:
 * accepted forms, and hostile or wrong input — unknown and repeated parameters, invalid
 * JSON, deep nesting, huge numbers, unknown fields (including injection attempts in names),
 * wrong types, operators that do not apply, paging bounds — each with a message naming the
 * parameter and the problem. */
#include "test_store_support.h"

#include "runtime/model/query.h"

static const ssot_model *item;
static ssot_query q;
static ssot_query_error qerr;

/* Applies name/value pairs (NULL-terminated) to a fresh query; returns "" or the message. */
static const char *try_params(const char *const *params) {
    static char message[300];
    ssot_query_free(&q);
    ssot_query_init(&q, item, 20, 100);
    message[0] = '\0';
    for (size_t i = 0; params[i]; i += 2)
        if (ssot_query_add_param(&q, params[i], params[i + 1], strlen(params[i + 1]), &qerr) != 0) {
            snprintf(message, sizeof message, "%s|%s", qerr.param, qerr.message);
            break;
        }
    return message;
}

#define EXPECT(expected, ...)                                                                      \
    do {                                                                                           \
        const char *const params_[] = {__VA_ARGS__, NULL};                                         \
        const char *got_ = try_params(params_);                                                    \
        if (strncmp(got_, (expected), strlen(expected)) != 0 || (!*(expected) && *got_)) {         \
            fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, (expected), \
                    got_);                                                                         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void test_accepted(void) {
    EXPECT("", "where", "{}");
    CHECK(q.nconditions == 0 && q.take == 20 && q.skip == 0);
    EXPECT("", "where", "{\"qty\":5,\"title\":{\"contains\":\"a\",\"ne\":\"b\"},\"notes\":null}");
    CHECK(q.nconditions == 4);
    CHECK(q.conditions[0].field == ssot_model_field(item, "qty", 3) && q.conditions[0].op == SSOT_WHERE_EQ);
    CHECK(q.conditions[1].op == SSOT_WHERE_CONTAINS && q.conditions[2].op == SSOT_WHERE_NE);
    CHECK(q.conditions[3].op == SSOT_WHERE_EQ && json_is_null(q.conditions[3].value));
    EXPECT("", "where", "{\"dueAt\":{\"gte\":\"2026-01-01\"}}");
    CHECK(strcmp(json_string_value(q.conditions[0].value), "2026-01-01T00:00:00.000Z") == 0);
    EXPECT("", "orderBy", "[{\"title\":\"asc\"},{\"qty\":\"desc\"}]", "skip", "40", "take", "100");
    CHECK(q.norder == 2 && !q.order[0].desc && q.order[1].desc && q.skip == 40 && q.take == 100);
    EXPECT("", "orderBy", "{\"title\":\"desc\",\"id\":\"asc\"}");
    CHECK(q.norder == 2 && q.order[0].desc && q.order[1].field == item->primary_key);
    EXPECT("", "where", "{\"id\":{\"in\":[1,2,3]},\"state\":{\"in\":[\"open\",null]}}");
    EXPECT("", "where", "{\"meta\":null}");
    EXPECT("", "where", "{\"price\":{\"gt\":1}}"); /* an integer literal for a float field */
    EXPECT("", "skip", "0", "take", "1");
}

static void test_rejected(void) {
    EXPECT("page|unknown query parameter 'page' (expected where, orderBy, skip, take)", "page", "2");
    EXPECT("where|where: given more than once", "where", "{}", "where", "{}");
    EXPECT("where|where: invalid JSON at column", "where", "{\"qty\":");
    EXPECT("where|where: invalid JSON at column", "where", "");
    EXPECT("where|where: invalid JSON at column 18: a string holds a NUL character", "where", "{\"title\":\"a\\u0000\"}");
    EXPECT("where|where: expected a JSON object of field conditions", "where", "[1]");
    EXPECT("where|where: expected a JSON object of field conditions", "where", "42");
    EXPECT("where|where: invalid JSON", "where", "{\"qty\":123456789012345678901234567890}");
    EXPECT("where|where: invalid JSON", "where", "{\"price\":1e400}");
    EXPECT("where|where: invalid JSON", "where", "{\"a\":1,\"a\":2}");
    EXPECT("where|where: unknown field 'nope' of Item (fields: id, title,", "where", "{\"nope\":1}");
    EXPECT("where|where: unknown field 'title\" OR 1=1 --' of Item", "where", "{\"title\\\" OR 1=1 --\":1}");
    EXPECT("where|where: unknown field 'id; DROP TABLE items' of Item", "where", "{\"id; DROP TABLE items\":1}");
    EXPECT("where|where: unknown field 'Title' of Item", "where", "{\"Title\":\"x\"}");
    EXPECT("where|where.qty: must be an integer", "where", "{\"qty\":\"5\"}");
    EXPECT("where|where.qty.gt: must be an integer", "where", "{\"qty\":{\"gt\":1.5}}");
    EXPECT("where|where.done: must be true or false", "where", "{\"done\":1}");
    EXPECT("where|where.state: must be one of: open, closed", "where", "{\"state\":\"x\"}");
    EXPECT("where|where.dueAt.lt: must be an ISO 8601 date-time", "where", "{\"dueAt\":{\"lt\":\"soon\"}}");
    EXPECT("where|where.id: must be an integer", "where", "{\"id\":\"1 OR 1=1\"}");
    EXPECT("where|where.qty.contains: contains does not apply to int fields (use eq, ne, lt, lte, gt, gte, in)", "where",
           "{\"qty\":{\"contains\":\"1\"}}");
    EXPECT("where|where.done.lt: lt does not apply to bool fields (use eq, ne, in)", "where",
           "{\"done\":{\"lt\":true}}");
    EXPECT("where|where.meta: unknown operator 'a'", "where", "{\"meta\":{\"a\":1}}");
    EXPECT("where|where.meta: json fields can only be compared with null", "where", "{\"meta\":1}");
    EXPECT("where|where.meta.gt: json fields can only be compared with null (use eq, ne)", "where", "{\"meta\":{\"gt\":1}}");
    EXPECT("where|where.qty: unknown operator 'like'", "where", "{\"qty\":{\"like\":1}}");
    EXPECT("where|where.qty: empty operator object", "where", "{\"qty\":{}}");
    EXPECT("where|where.qty: an array is not a value; for several values use {\"in\": [...]}", "where",
           "{\"qty\":[1,2]}");
    EXPECT("where|where.qty.in: expected an array of values", "where", "{\"qty\":{\"in\":1}}");
    EXPECT("where|where.qty.in: expected 1 to 100 values, got 0", "where", "{\"qty\":{\"in\":[]}}");
    EXPECT("where|where.qty.lt: null can only be compared with eq, ne or in", "where", "{\"qty\":{\"lt\":null}}");
    EXPECT("where|where.qty.eq: expected a literal value, got an object", "where", "{\"qty\":{\"eq\":{\"eq\":1}}}");
    EXPECT("where|where.qty.in: expected a literal value, got an array", "where", "{\"qty\":{\"in\":[[1]]}}");
    EXPECT("where|where.title.contains: must be a string", "where", "{\"title\":{\"contains\":5}}");

    /* deep nesting: an error, never a crash */
    char *deep = deeply_nested("{\"qty\":{\"eq\":", 50000, "}}");
    EXPECT("where|where: invalid JSON", "where", deep);
    free(deep);

    /* an IN list over 100 values, and more conditions than a query may have */
    ssot_buf big = SSOT_BUF_INIT;
    ssot_buf_puts(&big, "{\"qty\":{\"in\":[");
    for (int i = 0; i < 101; i++) ssot_buf_printf(&big, "%s%d", i ? "," : "", i);
    ssot_buf_puts(&big, "]}}");
    EXPECT("where|where.qty.in: expected 1 to 100 values, got 101", "where", big.data);
    ssot_buf_reset(&big); /* every operator on every field: 75 conditions */
    ssot_buf_putc(&big, '{');
    for (size_t f = 0; f < item->nfields; f++) {
        const ssot_field *field = &item->fields[f];
        if (field->type == SSOT_TYPE_JSON) continue;
        const char *value = field->type == SSOT_TYPE_BOOL       ? "true"
                            : field->type == SSOT_TYPE_ENUM     ? "\"open\""
                            : field->type == SSOT_TYPE_DATETIME ? "\"2026-01-01\""
                            : field->type == SSOT_TYPE_STRING || field->type == SSOT_TYPE_TEXT ? "\"s\""
                                                                                               : "1";
        ssot_buf_printf(&big, "%s\"%s\":{\"eq\":%s,\"ne\":%s,\"in\":[%s]", f ? "," : "", field->name, value, value,
                        value);
        if (field->type != SSOT_TYPE_BOOL)
            ssot_buf_printf(&big, ",\"lt\":%s,\"lte\":%s,\"gt\":%s,\"gte\":%s", value, value, value, value);
        if (field->type == SSOT_TYPE_STRING || field->type == SSOT_TYPE_TEXT)
            ssot_buf_printf(&big, ",\"contains\":%s", value);
        ssot_buf_putc(&big, '}');
    }
    ssot_buf_putc(&big, '}');
    EXPECT("where|where: too many conditions (at most 64)", "where", big.data);
    ssot_buf_free(&big);

    EXPECT("orderBy|orderBy: invalid JSON", "orderBy", "title");
    EXPECT("orderBy|orderBy: expected {\"field\":\"asc\"|\"desc\"}", "orderBy", "\"title\"");
    EXPECT("orderBy|orderBy: empty array", "orderBy", "[]");
    EXPECT("orderBy|orderBy.title: expected \"asc\" or \"desc\"", "orderBy", "{\"title\":\"up\"}");
    EXPECT("orderBy|orderBy.title: expected \"asc\" or \"desc\"", "orderBy", "{\"title\":\"ASC\"}");
    EXPECT("orderBy|orderBy: unknown field 'x' of Item", "orderBy", "{\"x\":\"asc\"}");
    EXPECT("orderBy|orderBy: unknown field 'title desc; --' of Item", "orderBy", "{\"title desc; --\":\"asc\"}");
    EXPECT("orderBy|orderBy.meta: json fields cannot be ordered", "orderBy", "{\"meta\":\"asc\"}");
    EXPECT("orderBy|orderBy: expected {\"field\":\"asc\"|\"desc\"}", "orderBy", "[{\"title\":\"asc\"},1]");
    ssot_buf many = SSOT_BUF_INIT;
    ssot_buf_putc(&many, '[');
    for (int i = 0; i < 17; i++) ssot_buf_printf(&many, "%s{\"title\":\"asc\"}", i ? "," : "");
    ssot_buf_putc(&many, ']');
    EXPECT("orderBy|orderBy: too many fields (at most 16)", "orderBy", many.data);
    ssot_buf_free(&many);

    EXPECT("skip|skip: expected an integer >= 0", "skip", "-1");
    EXPECT("skip|skip: expected an integer >= 0", "skip", "abc");
    EXPECT("skip|skip: expected an integer >= 0", "skip", "1.5");
    EXPECT("skip|skip: expected an integer >= 0", "skip", "");
    EXPECT("skip|skip: expected an integer >= 0", "skip", " 1");
    EXPECT("skip|skip: expected an integer >= 0", "skip", "1234567890123456");
    EXPECT("take|take: expected an integer from 1 to 100", "take", "0");
    EXPECT("take|take: expected an integer from 1 to 100", "take", "101");
    EXPECT("take|take: expected an integer from 1 to 100", "take", "1e2");
    EXPECT("take|take: expected an integer from 1 to 100", "take", "99999999999999999999");
}

static void test_limits_from_serve(void) {
    ssot_query_free(&q);
    ssot_query_init(&q, item, 5, 10);
    CHECK(q.take == 5 && q.max_take == 10);
    CHECK(ssot_query_add_param(&q, "take", "11", 2, &qerr) != 0);
    CHECK_CONTAINS(qerr.message, "from 1 to 10");
    ssot_query_free(&q);
    ssot_query_init(&q, item, 50, 10); /* a default above the maximum is capped */
    CHECK(q.take == 10);
}

/* uuid ids: compared in the lowercase form they are stored in; anything else is refused. */
static void test_uuid_ids(const ssot_model *doc) {
    const ssot_model *saved = item;
    item = doc;
    EXPECT("", "where", "{\"id\":\"0F8FAD5B-D9CB-469F-A165-70867728950E\"}");
    CHECK(q.nconditions == 1 &&
          strcmp(json_string_value(q.conditions[0].value), "0f8fad5b-d9cb-469f-a165-70867728950e") == 0);
    EXPECT("", "where", "{\"id\":{\"in\":[\"0f8fad5b-d9cb-469f-a165-70867728950e\",null]}}");
    EXPECT("where|where.id: must be a UUID", "where", "{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950\"}");
    EXPECT("where|where.id: must be a UUID", "where", "{\"id\":\"0f8fad5b-d9cb-469f-a165_70867728950e\"}");
    EXPECT("where|where.id: must be a UUID", "where", "{\"id\":\"0g8fad5b-d9cb-469f-a165-70867728950e\"}");
    EXPECT("where|where.id: must be a UUID", "where", "{\"id\":42}");
    EXPECT("where|where.id.in: must be a UUID", "where", "{\"id\":{\"in\":[\"x\"]}}");
    item = saved;
}

int main(void) {
    make_test_dir("query");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    item = ssot_app_model(app, "Item");
    ssot_query_init(&q, item, 20, 100);
    test_accepted();
    test_rejected();
    test_limits_from_serve();
    test_uuid_ids(ssot_app_model(app, "Doc"));
    ssot_query_free(&q);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
