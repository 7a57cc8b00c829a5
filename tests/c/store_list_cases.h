/* The list cases shared by the stores' tests (test_store_list.c on SQLite,
 * test_store_pg_read.c on PostgreSQL): every where operator and its null semantics, orderBy
 * with the primary-key tie-break, skip/take/total, the stream position in the page, and row
 * filters (an SQL predicate over the owner, and a per-row callback that pages after filtering
 * and may read through the store itself). The including test opens `store` on
 * test_store_config, sets `item` to its Item model, seeds it with store_list_seed_users and
 * store_list_seed_items (ids 1.. in order) so that Item's stream is at offset 5, then calls
 * run_store_list_cases. Uses test_store_support.h, query.h. */
#ifndef SSOT_TEST_STORE_LIST_CASES_H
#define SSOT_TEST_STORE_LIST_CASES_H

#include "test_store_support.h"

#include "runtime/model/query.h"

/* The seed, as REST bodies: the users, then the items (their ids are 1, 2, ... in order). */
static const char *const store_list_seed_users[] = {"{\"name\":\"u1\"}", "{\"name\":\"u2\"}", NULL};
static const char *const store_list_seed_items[] = {
    "{\"title\":\"apple\",\"qty\":5,\"price\":1.5,\"notes\":\"red fruit\",\"state\":\"open\","
    "\"dueAt\":\"2026-01-01T00:00:00.000Z\",\"ownerId\":1}",
    "{\"title\":\"banana\",\"price\":0.5,\"done\":true,\"state\":\"closed\",\"ownerId\":2}",
    "{\"title\":\"cherry\",\"qty\":10,\"notes\":\"100% red_ish\",\"dueAt\":\"2026-06-01T00:00:00.000Z\","
    "\"ownerId\":1}",
    "{\"title\":\"date\",\"qty\":5,\"price\":3.0,\"done\":true,\"notes\":\"brown\",\"state\":\"closed\","
    "\"dueAt\":\"2025-12-31T23:00:00.000Z\"}",
    "{\"title\":\"elder\",\"qty\":1,\"meta\":[1],\"ownerId\":2}",
    NULL,
};

static ssot_store_error err;
static ssot_store *store;
static const ssot_model *item;

/* Runs a list with name/value parameter pairs (NULL-terminated) and a filter; returns the
 * ids of the page as "1,3" (static buffer) and the total, or "error: ..." text. */
static const char *list_ids(const ssot_row_filter *filter, int64_t *total, const char *const *params) {
    static char ids[4096];
    ssot_query q;
    ssot_query_init(&q, item, 20, 100);
    ssot_query_error qerr;
    for (size_t i = 0; params && params[i]; i += 2)
        if (ssot_query_add_param(&q, params[i], params[i + 1], strlen(params[i + 1]), &qerr) != 0) {
            snprintf(ids, sizeof ids, "error: %s", qerr.message);
            ssot_query_free(&q);
            return ids;
        }
    ssot_buf out = SSOT_BUF_INIT;
    ssot_stream_position pos;
    ssot_store_status status = ssot_store_list(store, &q, filter, &out, &pos, &err);
    ssot_query_free(&q);
    if (status != SSOT_STORE_OK) {
        snprintf(ids, sizeof ids, "error: %s: %s", ssot_store_status_name(status), err.message);
        ssot_buf_free(&out);
        return ids;
    }
    json_t *body = parse(out.data);
    size_t used = 0, i;
    json_t *row;
    ids[0] = '\0';
    json_array_foreach(json_object_get(body, "items"), i, row)
        used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%lld", i ? "," : "",
                                 (long long)json_integer_value(json_object_get(row, "id")));
    if (total) *total = json_integer_value(json_object_get(body, "total"));
    CHECK(json_integer_value(json_object_get(body, "offset")) == pos.offset);
    CHECK(strcmp(json_string_value(json_object_get(body, "epoch")), pos.epoch) == 0);
    json_decref(body);
    ssot_buf_free(&out);
    return ids;
}

#define EXPECT_IDS(expected, ...)                                                                  \
    do {                                                                                           \
        const char *const params_[] = {__VA_ARGS__, NULL};                                         \
        const char *got_ = list_ids(NULL, NULL, params_);                                          \
        if (strcmp(got_, (expected)) != 0) {                                                       \
            fprintf(stderr, "%s:%d: %s: expected [%s], got [%s]\n", __FILE__, __LINE__,            \
                    params_[1] ? params_[1] : "", (expected), got_);                               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void test_where(void) {
    int64_t total = -1;
    const char *const none[] = {NULL};
    CHECK(strcmp(list_ids(NULL, &total, none), "1,2,3,4,5") == 0 && total == 5);

    EXPECT_IDS("1,4", "where", "{\"qty\":5}");
    EXPECT_IDS("1,4", "where", "{\"qty\":{\"eq\":5}}");
    EXPECT_IDS("2", "where", "{\"qty\":null}");
    EXPECT_IDS("2", "where", "{\"qty\":{\"eq\":null}}");
    EXPECT_IDS("2,3,5", "where", "{\"qty\":{\"ne\":5}}"); /* null is "not 5" */
    EXPECT_IDS("1,3,4,5", "where", "{\"qty\":{\"ne\":null}}");
    EXPECT_IDS("5", "where", "{\"qty\":{\"lt\":5}}"); /* null is never less or greater */
    EXPECT_IDS("1,4,5", "where", "{\"qty\":{\"lte\":5}}");
    EXPECT_IDS("3", "where", "{\"qty\":{\"gt\":5}}");
    EXPECT_IDS("1,3,4", "where", "{\"qty\":{\"gte\":5}}");
    EXPECT_IDS("1,4", "where", "{\"qty\":{\"gte\":2,\"lt\":10}}");
    EXPECT_IDS("3,5", "where", "{\"qty\":{\"in\":[1,10]}}");
    EXPECT_IDS("2,5", "where", "{\"qty\":{\"in\":[1,null]}}");
    EXPECT_IDS("2", "where", "{\"qty\":{\"in\":[null]}}");
    EXPECT_IDS("1,4", "where", "{\"price\":{\"gt\":1}}");
    EXPECT_IDS("2,4", "where", "{\"done\":true}");
    EXPECT_IDS("1,3,5", "where", "{\"done\":{\"ne\":true}}");
    EXPECT_IDS("2,4", "where", "{\"state\":\"closed\"}");
    EXPECT_IDS("1,3,5", "where", "{\"state\":{\"in\":[\"open\"]}}");
    EXPECT_IDS("1,3", "where", "{\"notes\":{\"contains\":\"red\"}}");
    EXPECT_IDS("", "where", "{\"notes\":{\"contains\":\"Red\"}}"); /* case-sensitive */
    EXPECT_IDS("3", "where", "{\"notes\":{\"contains\":\"%\"}}");  /* % and _ are literal */
    EXPECT_IDS("3", "where", "{\"notes\":{\"contains\":\"_\"}}");
    EXPECT_IDS("2,3,4", "where", "{\"title\":{\"gte\":\"b\",\"lt\":\"e\"}}");
    EXPECT_IDS("1,3", "where", "{\"dueAt\":{\"gte\":\"2026-01-01\"}}"); /* dates normalized */
    EXPECT_IDS("4", "where", "{\"dueAt\":{\"lt\":\"2026-01-01T00:30:00+01:00\"}}");
    EXPECT_IDS("5", "where", "{\"meta\":{\"ne\":null}}");
    EXPECT_IDS("2,4", "where", "{\"id\":{\"in\":[2,4,99]}}");
    EXPECT_IDS("1,3", "where", "{\"ownerId\":1,\"state\":\"open\"}");
    EXPECT_IDS("", "where", "{\"qty\":5,\"done\":true,\"price\":{\"lt\":3}}");
    EXPECT_IDS("4", "where", "{\"qty\":5,\"done\":true,\"price\":{\"lte\":3}}");
    /* hostile values are only ever bound */
    EXPECT_IDS("", "where", "{\"title\":\"x' OR '1'='1\"}");
    EXPECT_IDS("", "where", "{\"notes\":{\"contains\":\"'); DROP TABLE items; --\"}}");
    EXPECT_IDS("1,2,3,4,5", "orderBy", "{\"id\":\"asc\"}");
    /* errors come from query parsing, before the store */
    EXPECT_IDS("error: where: unknown field 'nope' of Item (fields: id, title, qty, price, done, notes, meta, state, "
               "dueAt, ownerId, createdAt, updatedAt)",
               "where", "{\"nope\":1}");
}

static void test_order_and_paging(void) {
    EXPECT_IDS("3,1,4,5,2", "orderBy", "{\"qty\":\"desc\"}"); /* nulls last when descending, ties by id */
    EXPECT_IDS("2,5,1,4,3", "orderBy", "{\"qty\":\"asc\"}");
    EXPECT_IDS("5,3,1,4,2", "orderBy", "[{\"done\":\"asc\"},{\"title\":\"desc\"}]");
    EXPECT_IDS("5,4,3,2,1", "orderBy", "{\"id\":\"desc\"}");
    EXPECT_IDS("1,4", "orderBy", "{\"qty\":\"desc\"}", "skip", "1", "take", "2", "where", "{}");

    int64_t total = -1;
    const char *const page[] = {"take", "2", "skip", "1", NULL};
    CHECK(strcmp(list_ids(NULL, &total, page), "2,3") == 0 && total == 5);
    const char *const past[] = {"skip", "10", NULL};
    CHECK(strcmp(list_ids(NULL, &total, past), "") == 0 && total == 5);
    const char *const filtered[] = {"where", "{\"state\":\"open\"}", "take", "1", "orderBy", "{\"title\":\"desc\"}", NULL};
    CHECK(strcmp(list_ids(NULL, &total, filtered), "5") == 0 && total == 3);
}

static int odd_ids(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)message;
    (void)size;
    int *calls = ctx;
    (*calls)++;
    return atoi(row->id) % 2 == 1;
}

static int broken(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)ctx;
    (void)row;
    snprintf(message, size, "the Lua rule failed");
    return -1;
}

static void test_filters(void) {
    int64_t total = -1;
    const char *const none[] = {NULL};
    ssot_pred eq1 = {SSOT_PRED_OWNER_EQ, NULL, NULL, "1"}, eq2 = {SSOT_PRED_OWNER_EQ, NULL, NULL, "2"};
    ssot_pred ne1 = {SSOT_PRED_OWNER_NE, NULL, NULL, "1"};
    ssot_pred not_eq1 = {SSOT_PRED_NOT, &eq1, NULL, NULL};
    ssot_pred either = {SSOT_PRED_OR, &eq1, &eq2, NULL};
    ssot_pred both = {SSOT_PRED_AND, &eq1, &eq2, NULL};
    ssot_pred no = {SSOT_PRED_FALSE, NULL, NULL, NULL}, yes = {SSOT_PRED_TRUE, NULL, NULL, NULL};
    ssot_pred odd = {SSOT_PRED_OWNER_EQ, NULL, NULL, "01"}, text = {SSOT_PRED_OWNER_EQ, NULL, NULL, "abc"};
    struct {
        const ssot_pred *pred;
        const char *ids;
        int64_t total;
    } cases[] = {
        {&eq1, "1,3", 2},  {&ne1, "2,4,5", 3}, {&not_eq1, "2,4,5", 3}, {&either, "1,2,3,5", 4}, {&both, "", 0},
        {&no, "", 0},      {&yes, "1,2,3,4,5", 5}, {&odd, "", 0},    {&text, "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ssot_row_filter filter = {cases[i].pred, NULL, NULL};
        const char *got = list_ids(&filter, &total, none);
        if (strcmp(got, cases[i].ids) != 0 || total != cases[i].total) {
            fprintf(stderr, "%s:%d: filter case %zu: expected [%s] total %lld, got [%s] total %lld\n", __FILE__,
                    __LINE__, i, cases[i].ids, (long long)cases[i].total, got, (long long)total);
            failures++;
        }
        /* the C evaluation the fan-out uses agrees with the SQL */
        const char *owners[] = {"1", "2", "1", NULL, "2"};
        char expect_ids[32] = "";
        size_t used = 0;
        for (int row = 0; row < 5; row++)
            if (ssot_pred_matches(cases[i].pred, owners[row]))
                used += (size_t)snprintf(expect_ids + used, sizeof expect_ids - used, "%s%d", used ? "," : "", row + 1);
        CHECK(strcmp(expect_ids, cases[i].ids) == 0);
    }
    ssot_row_filter with_where = {&eq1, NULL, NULL};
    const char *const closed[] = {"where", "{\"state\":\"closed\"}", NULL};
    CHECK(strcmp(list_ids(&with_where, &total, closed), "") == 0 && total == 0);

    /* a callback filter: the store pages after filtering, so total/skip/take stay right */
    int calls = 0;
    ssot_row_filter callback = {NULL, odd_ids, &calls};
    const char *const page[] = {"skip", "1", "take", "1", NULL};
    CHECK(strcmp(list_ids(&callback, &total, page), "3") == 0 && total == 3);
    CHECK(calls == 5);
    ssot_row_filter combined = {&ne1, odd_ids, &calls}; /* predicate in SQL, then the callback */
    calls = 0;
    CHECK(strcmp(list_ids(&combined, &total, none), "5") == 0 && total == 1);
    CHECK(calls == 3);
    const char *const ordered[] = {"orderBy", "{\"title\":\"desc\"}", NULL};
    CHECK(strcmp(list_ids(&callback, &total, ordered), "5,3,1") == 0 && total == 3);
    ssot_row_filter failing = {NULL, broken, NULL};
    CHECK(strcmp(list_ids(&failing, &total, none), "error: rejected: the Lua rule failed") == 0);

    /* get with a filter: the row exists but is not visible */
    ssot_buf out = SSOT_BUF_INIT;
    ssot_row_filter only2 = {&eq2, NULL, NULL};
    CHECK_STATUS(ssot_store_get(store, item, "1", 1, &only2, &out, &err), SSOT_STORE_DENIED);
    CHECK(out.len == 0);
    CHECK_STATUS(ssot_store_get(store, item, "2", 1, &only2, &out, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_get(store, item, "9", 1, &only2, &out, &err), SSOT_STORE_NOT_FOUND);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_get(store, item, "3", 1, &callback, &out, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_get(store, item, "4", 1, &callback, &out, &err), SSOT_STORE_DENIED);
    ssot_buf_free(&out);
}

/* A callback that reads through the store, as a Lua rule calling ssot.list / ssot.get does:
 * a nested list of the same shape as the caller's (the SQLite store's cached statement),
 * lists of other shapes (its cache turning over), and a get. Visible: the rows whose title sorts before
 * the title of row 3, found by the nested reads. */
static int reading_filter(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    int *calls = ctx;
    (*calls)++;
    static const char *const shapes[] = {"{\"title\":\"desc\"}", "{\"state\":\"asc\"}", "{\"id\":\"desc\"}"};
    for (int i = 0; i < 40; i++) { /* more shapes than SQLite's statement cache holds */
        char where[64];
        snprintf(where, sizeof where, "{\"id\":{\"gte\":%d}}", i % 7);
        const char *const params[] = {"orderBy", shapes[i % 3], "where", where, NULL};
        int64_t total = -1;
        const char *got = list_ids(NULL, &total, params);
        if (strncmp(got, "error", 5) == 0) {
            snprintf(message, size, "nested list: %s", got);
            return -1;
        }
    }
    ssot_buf third = SSOT_BUF_INIT;
    ssot_store_status status = ssot_store_get(store, item, "3", 1, NULL, &third, &err);
    json_t *row3 = status == SSOT_STORE_OK ? parse(third.data) : NULL;
    json_t *self = json_loadb(row->json, row->json_len, 0, NULL);
    int visible = row3 && self &&
                  strcmp(json_string_value(json_object_get(self, "title")), json_string_value(json_object_get(row3, "title"))) < 0;
    json_decref(row3);
    json_decref(self);
    ssot_buf_free(&third);
    if (status != SSOT_STORE_OK) {
        snprintf(message, size, "nested get: %s", err.message);
        return -1;
    }
    return visible;
}

/* Row filters may read through the store that calls them (query.h): the store asks only once
 * its own statement is done with the database (SQLite: rows copied out, statement reset;
 * PostgreSQL: the whole result on the client). */
static void test_filter_reading_the_store(void) {
    int calls = 0;
    int64_t total = -1;
    ssot_row_filter reading = {NULL, reading_filter, &calls};
    const char *const none[] = {NULL};
    /* the titles, by id: apple, banana, cherry, date, elder (seed) */
    const char *got = list_ids(&reading, &total, none);
    CHECK(strcmp(got, "1,2") == 0 && total == 2);
    if (strcmp(got, "1,2") != 0) fprintf(stderr, "  got [%s]\n", got);
    CHECK(calls == 5);
    const char *const ordered[] = {"orderBy", "{\"title\":\"desc\"}", NULL}; /* the nested reads' own shape */
    CHECK(strcmp(list_ids(&reading, &total, ordered), "2,1") == 0 && total == 2);
    ssot_buf out = SSOT_BUF_INIT;
    CHECK_STATUS(ssot_store_get(store, item, "1", 1, &reading, &out, &err), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"apple\"");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_get(store, item, "4", 1, &reading, &out, &err), SSOT_STORE_DENIED);
    CHECK(out.len == 0);
    ssot_buf_free(&out);
}

static void test_body_shape(void) {
    ssot_query q;
    ssot_query_init(&q, item, 20, 100);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_stream_position pos;
    ssot_query_error qerr;
    CHECK(ssot_query_add_param(&q, "take", "2", 1, &qerr) == 0);
    CHECK_STATUS(ssot_store_list(store, &q, NULL, &out, &pos, &err), SSOT_STORE_OK);
    char expected[128];
    snprintf(expected, sizeof expected, "],\"total\":5,\"skip\":0,\"take\":2,\"offset\":5,\"epoch\":\"%s\"}", pos.epoch);
    CHECK(strncmp(out.data, "{\"items\":[{\"id\":1,\"title\":\"apple\"", 33) == 0);
    CHECK(out.len > strlen(expected) && strcmp(out.data + out.len - strlen(expected), expected) == 0);
    CHECK(strlen(pos.epoch) == 32);
    ssot_query_free(&q);
    ssot_buf_free(&out);
}

static void run_store_list_cases(void) {
    test_where();
    test_order_and_paging();
    test_filters();
    test_filter_reading_the_store();
    test_body_shape();
}

#endif
