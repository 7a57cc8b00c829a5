/* The PostgreSQL store's reads (list, get: store_pg_read.c, store_pg_where.c) against a
 * throwaway PostgreSQL (tests/support/pg.sh; exits 77, skipped, when PostgreSQL is not
 * installed). Rows are inserted with plain SQL through libpq, not through the store's writes:
 * - the list cases the SQLite store passes (store_list_cases.h);
 * - the same rows in a SQLite store and a PostgreSQL store on the same config, and the same
 *   response bytes from both for every where operator per type, orderBy on each type (mixed
 *   case and non-ASCII strings in byte order), paging, filters, and get of every row; ids of
 *   every kind, malformed ones, missing and hidden rows with the same statuses and messages;
 * - the stream position in the page, a snapshot's reads sharing one state (and a statement
 *   prepared in one surviving its end), a lost connection;
 * - a json field's object keys in the order they were written, from both stores.
 * Uses libpq, SQLite (to fill the SQLite store's file), test_store_support.h,
 * test_store_pg_support.h (the server, databases on it, SQL of the test's own). */
#include "store_list_cases.h"

#include "test_store_pg_support.h"

static ssot_store *open_pg(const ssot_app *app, const char *db) {
    ssot_store *s = NULL;
    ssot_pg_options options = {.conninfo = url_of(db)};
    CHECK_STATUS(ssot_store_pg_open(app, &options, &s, &err), SSOT_STORE_OK);
    if (!s) exit(1);
    CHECK(s->ops->list && s->ops->get);
    return s;
}

/* --- inserting a row given as a REST body, with plain SQL, into either database ---------- */

/* A value of field f as the text PostgreSQL parses (malloc'd), or NULL for null. */
static char *pg_text(const ssot_field *f, json_t *v) {
    char buf[64];
    if (json_is_null(v)) return NULL;
    if (f->type == SSOT_TYPE_JSON) return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (json_is_true(v)) return strdup("true");
    if (json_is_false(v)) return strdup("false");
    if (json_is_integer(v)) snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
    else return strdup(json_string_value(v));
    return strdup(buf);
}

/* INSERT INTO <table> (<body's keys>) VALUES ($1, ...) or (?, ...). */
static void insert_sql(ssot_buf *sql, const ssot_model *m, json_t *body, int dollar) {
    ssot_buf_printf(sql, "INSERT INTO \"%s\" (", m->table);
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach(body, key, v) ssot_buf_printf(sql, "%s\"%s\"", i++ ? ", " : "", key);
    ssot_buf_puts(sql, ") VALUES (");
    for (size_t k = 0; k < i; k++) {
        if (dollar) ssot_buf_printf(sql, "%s$%zu", k ? ", " : "", k + 1);
        else ssot_buf_puts(sql, k ? ", ?" : "?");
    }
    ssot_buf_putc(sql, ')');
}

static void insert_pg(PGconn *conn, const ssot_model *m, const char *row) {
    json_t *body = parse(row);
    ssot_buf sql = SSOT_BUF_INIT;
    insert_sql(&sql, m, body, 1);
    char *params[32];
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) params[n++] = pg_text(ssot_model_field(m, key, strlen(key)), v);
    exec_sql(conn, sql.data, (int)n, (const char *const *)params);
    for (size_t i = 0; i < n; i++) free(params[i]);
    ssot_buf_free(&sql);
    json_decref(body);
}

static void insert_sqlite(sqlite3 *db, const ssot_model *m, const char *row) {
    json_t *body = parse(row);
    ssot_buf sql = SSOT_BUF_INIT;
    insert_sql(&sql, m, body, 0);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql.data, sqlite3_errmsg(db));
        failures++;
    } else {
        int at = 1;
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            const ssot_field *f = ssot_model_field(m, key, strlen(key));
            if (json_is_null(v)) sqlite3_bind_null(stmt, at);
            else if (f->type == SSOT_TYPE_JSON) {
                char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                sqlite3_bind_text(stmt, at, text, -1, free);
            } else if (json_is_boolean(v)) sqlite3_bind_int(stmt, at, json_is_true(v));
            else if (json_is_integer(v)) sqlite3_bind_int64(stmt, at, json_integer_value(v));
            else if (json_is_real(v)) sqlite3_bind_double(stmt, at, json_real_value(v));
            else sqlite3_bind_text(stmt, at, json_string_value(v), -1, SQLITE_TRANSIENT);
            at++;
        }
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            fprintf(stderr, "%s: %s\n", sql.data, sqlite3_errmsg(db));
            failures++;
        }
    }
    sqlite3_finalize(stmt);
    ssot_buf_free(&sql);
    json_decref(body);
}

/* --- the shared list cases --------------------------------------------------------------- */

static void test_shared_cases(const ssot_app *app) {
    create_database("listcases");
    store = open_pg(app, "listcases");
    PGconn *conn = connect_to("listcases");
    const ssot_model *user = ssot_app_model(app, "User");
    for (size_t i = 0; store_list_seed_users[i]; i++) insert_pg(conn, user, store_list_seed_users[i]);
    for (size_t i = 0; store_list_seed_items[i]; i++) {
        /* the auto datetimes would be filled by the database's defaults; fixed here */
        json_t *body = parse(store_list_seed_items[i]);
        json_object_set_new(body, "createdAt", json_string("2026-03-01T10:00:00.000Z"));
        json_object_set_new(body, "updatedAt", json_string("2026-03-01T10:00:00.000Z"));
        char *row = json_dumps(body, JSON_COMPACT);
        insert_pg(conn, item, row);
        free(row);
        json_decref(body);
    }
    /* the position five creates would have left */
    exec_sql(conn, "UPDATE _ssot_streams SET \"offset\" = 5 WHERE model = 'Item'", 0, NULL);
    run_store_list_cases();
    PQfinish(conn);
    ssot_store_close(store);
    store = NULL;
}

/* --- the SQLite store and the PostgreSQL store side by side ------------------------------ */

static ssot_store *pg_store, *sq_store;

static const char *const compare_users[] = {"{\"name\":\"u1\"}", "{\"name\":\"u2\",\"email\":\"b@x\"}",
                                            "{\"name\":\"u3\"}", NULL};

/* Item rows exercising every type: mixed case and non-ASCII titles (byte order: upper case,
 * then lower case, then UTF-8's multi-byte characters), % and _ in text, escapes, nulls,
 * extreme numbers. */
static const char *const compare_items[] = {
    "{\"title\":\"apple\",\"qty\":5,\"price\":1.5,\"done\":false,\"notes\":\"red fruit\",\"meta\":{\"a\":1},"
    "\"state\":\"open\",\"dueAt\":\"2026-01-01T00:00:00.000Z\",\"ownerId\":1,"
    "\"createdAt\":\"2026-03-01T10:00:00.000Z\",\"updatedAt\":\"2026-03-01T10:00:00.001Z\"}",
    "{\"title\":\"Apple\",\"qty\":-3,\"price\":0.1,\"done\":true,\"notes\":\"100% pure\",\"meta\":[1,\"x\",null,true],"
    "\"state\":\"closed\",\"dueAt\":\"2025-12-31T23:59:59.999Z\",\"ownerId\":2,"
    "\"createdAt\":\"2026-03-01T10:00:01.000Z\",\"updatedAt\":\"2026-03-01T10:00:01.000Z\"}",
    "{\"title\":\"\\u00c4pfel\",\"qty\":9007199254740993,\"price\":-2.25,\"done\":true,\"notes\":\"a_b and a%b\","
    "\"meta\":\"a string\",\"state\":\"open\",\"ownerId\":1,"
    "\"createdAt\":\"2026-03-01T10:00:02.000Z\",\"updatedAt\":\"2026-03-01T10:00:02.000Z\"}",
    "{\"title\":\"\\u00e9clair\",\"qty\":0,\"price\":1e-07,\"done\":false,\"notes\":\"quote \\\" back \\\\ nl \\n tab "
    "\\t ctl \\u0001 ls \\u2028 emoji \\ud83d\\ude00\",\"meta\":1.5,\"state\":\"closed\","
    "\"dueAt\":\"2026-06-01T12:30:00.000Z\",\"createdAt\":\"2026-03-01T10:00:03.000Z\","
    "\"updatedAt\":\"2026-03-01T10:00:03.000Z\"}",
    "{\"title\":\"Zed\",\"price\":123456789.123,\"done\":false,\"notes\":\"RED\",\"meta\":{\"k\":{\"n\":[]}},"
    "\"state\":\"open\",\"dueAt\":\"2026-01-01T00:00:00.001Z\",\"ownerId\":3,"
    "\"createdAt\":\"2026-03-01T10:00:04.000Z\",\"updatedAt\":\"2026-03-01T10:00:04.000Z\"}",
    "{\"title\":\"\\u65e5\\u672c\",\"qty\":5,\"price\":1e300,\"done\":true,\"notes\":null,\"state\":\"open\","
    "\"ownerId\":null,\"createdAt\":\"2026-03-01T10:00:05.000Z\",\"updatedAt\":\"2026-03-01T10:00:05.000Z\"}",
    "{\"title\":\"a%b\",\"qty\":-9223372036854775807,\"price\":0,\"done\":false,\"notes\":\"x%y\",\"state\":\"closed\","
    "\"dueAt\":\"2024-02-29T00:00:00.000Z\",\"ownerId\":2,"
    "\"createdAt\":\"2026-03-01T10:00:06.000Z\",\"updatedAt\":\"2026-03-01T10:00:06.000Z\"}",
    "{\"title\":\"a_b\",\"qty\":9223372036854775807,\"price\":-0.5,\"done\":true,\"notes\":\"x_y\",\"meta\":false,"
    "\"state\":\"open\",\"dueAt\":\"2026-01-01T00:00:00.000Z\",\"ownerId\":1,"
    "\"createdAt\":\"2026-03-01T10:00:07.000Z\",\"updatedAt\":\"2026-03-01T10:00:07.000Z\"}",
    "{\"title\":\"banana\",\"qty\":5,\"price\":1.5,\"done\":false,\"notes\":\"\",\"state\":\"open\","
    "\"createdAt\":\"2026-03-01T10:00:08.000Z\",\"updatedAt\":\"2026-03-01T10:00:08.000Z\"}",
    "{\"title\":\"\",\"qty\":null,\"price\":null,\"done\":false,\"notes\":\"xy\",\"state\":\"closed\",\"ownerId\":3,"
    "\"createdAt\":\"2026-03-01T10:00:09.000Z\",\"updatedAt\":\"2026-03-01T10:00:09.000Z\"}",
    NULL,
};

static const char *const compare_docs[] = {
    "{\"id\":\"0b6f1c3e-8d2a-4c1b-9f00-5a6b7c8d9e0f\",\"body\":\"first\"}",
    "{\"id\":\"ffffffff-0000-4000-8000-000000000001\",\"body\":\"second\"}",
    "{\"id\":\"00000000-0000-4000-8000-00000000000a\",\"body\":\"third\"}",
    NULL,
};

/* A list's response up to its position (the epochs of two stores differ), or "error: ...";
 * malloc'd. */
static char *list_text(ssot_store *s, const ssot_model *m, const ssot_row_filter *filter, const char *const *params) {
    ssot_query q;
    ssot_query_init(&q, m, 20, 100);
    ssot_query_error qerr;
    ssot_buf out = SSOT_BUF_INIT;
    for (size_t i = 0; params && params[i]; i += 2)
        if (ssot_query_add_param(&q, params[i], params[i + 1], strlen(params[i + 1]), &qerr) != 0) {
            ssot_buf_printf(&out, "bad query: %s", qerr.message);
            ssot_query_free(&q);
            return ssot_buf_detach(&out, NULL);
        }
    ssot_store_status status = ssot_store_list(s, &q, filter, &out, NULL, &err);
    ssot_query_free(&q);
    if (status != SSOT_STORE_OK) {
        ssot_buf_reset(&out);
        ssot_buf_printf(&out, "error: %s: %s", ssot_store_status_name(status), err.message);
    } else {
        char *at = strstr(out.data, ",\"offset\":");
        if (at) ssot_buf_truncate(&out, (size_t)(at - out.data));
    }
    return ssot_buf_detach(&out, NULL);
}

/* A get's row, or "<status>: <message>"; malloc'd. */
static char *get_text(ssot_store *s, const ssot_model *m, const char *id, const ssot_row_filter *filter) {
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_status status = ssot_store_get(s, m, id, strlen(id), filter, &out, &err);
    if (status != SSOT_STORE_OK) {
        CHECK(out.len == 0);
        ssot_buf_reset(&out);
        ssot_buf_printf(&out, "%s: %s", ssot_store_status_name(status), err.message);
    }
    return ssot_buf_detach(&out, NULL);
}

/* list_text's response (cut before its position) as JSON, or NULL for an error text. */
static json_t *parse_cut(const char *text) {
    if (text[0] != '{') return NULL;
    ssot_buf whole = SSOT_BUF_INIT;
    ssot_buf_printf(&whole, "%s}", text);
    json_t *body = parse(whole.data);
    ssot_buf_free(&whole);
    return body;
}

static int same_text(const char *what, const char *id, char *sq, char *pg) {
    int same = strcmp(sq, pg) == 0;
    if (!same) {
        fprintf(stderr, "%s %s differs:\n  sqlite:   %s\n  postgres: %s\n", what, id, sq, pg);
        failures++;
    }
    free(sq);
    free(pg);
    return same;
}

/* The list on both stores: the same bytes. */
static void same_list(const ssot_model *m, const ssot_row_filter *filter, const char *const *params) {
    char label[600];
    snprintf(label, sizeof label, "%s", params[0] ? params[1] : "(no parameters)");
    char *sq = list_text(sq_store, m, filter, params);
    if (sq[0] != '{') { /* every list compared is one that succeeds */
        fprintf(stderr, "list %s failed on SQLite: %s\n", label, sq);
        failures++;
    }
    if (getenv("SSOT_TEST_VERBOSE")) fprintf(stderr, "%s\n  %s\n", label, sq);
    same_text("list", label, sq, list_text(pg_store, m, filter, params));
}

#define SAME_LIST(model, ...)                                                                      \
    do {                                                                                           \
        const char *const params_[] = {__VA_ARGS__, NULL};                                         \
        same_list(model, NULL, params_);                                                           \
    } while (0)

/* The ids of a PostgreSQL list as "1,2" (static buffer). */
static const char *pg_ids(const ssot_model *m, const char *const *params) {
    static char ids[1024];
    char *text = list_text(pg_store, m, NULL, params);
    ids[0] = '\0';
    json_t *body = parse_cut(text);
    if (!body) snprintf(ids, sizeof ids, "%s", text);
    size_t i, used = 0;
    json_t *row;
    json_array_foreach(json_object_get(body, "items"), i, row) {
        json_t *id = json_object_get(row, "id");
        if (json_is_integer(id)) used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%lld", i ? "," : "", (long long)json_integer_value(id));
        else used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%.8s", i ? "," : "", json_string_value(id));
    }
    json_decref(body);
    free(text);
    return ids;
}

#define EXPECT_PG_IDS(model, expected, ...)                                                        \
    do {                                                                                           \
        const char *const params_[] = {__VA_ARGS__, NULL};                                         \
        const char *got_ = pg_ids(model, params_);                                                 \
        if (strcmp(got_, (expected)) != 0) {                                                       \
            fprintf(stderr, "%s:%d: %s: expected [%s], got [%s]\n", __FILE__, __LINE__, params_[1], \
                    (expected), got_);                                                             \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void compare_where(const ssot_model *m) {
    static const char *const where[] = {
        /* id */
        "{\"id\":3}", "{\"id\":{\"ne\":3}}", "{\"id\":{\"lt\":3}}", "{\"id\":{\"lte\":3}}", "{\"id\":{\"gt\":8}}",
        "{\"id\":{\"gte\":8}}", "{\"id\":{\"in\":[1,5,99]}}",
        /* int */
        "{\"qty\":5}", "{\"qty\":null}", "{\"qty\":{\"ne\":5}}", "{\"qty\":{\"ne\":null}}", "{\"qty\":{\"lt\":0}}",
        "{\"qty\":{\"lte\":0}}", "{\"qty\":{\"gt\":5}}", "{\"qty\":{\"gte\":9007199254740993}}",
        "{\"qty\":{\"in\":[5,-3,null]}}", "{\"qty\":{\"in\":[9223372036854775807,-9223372036854775807]}}",
        /* float: integers and reals as values */
        "{\"price\":1.5}", "{\"price\":0}", "{\"price\":{\"ne\":1.5}}", "{\"price\":{\"lt\":0}}",
        "{\"price\":{\"lte\":1e-07}}", "{\"price\":{\"gt\":1}}", "{\"price\":{\"gte\":123456789.123}}",
        "{\"price\":{\"in\":[0.1,1e300,null]}}", "{\"price\":null}",
        /* bool */
        "{\"done\":true}", "{\"done\":false}", "{\"done\":{\"ne\":true}}", "{\"done\":{\"in\":[false]}}",
        "{\"done\":{\"in\":[true,false]}}",
        /* string: byte comparisons across cases and scripts, contains with % and _ literal */
        "{\"title\":\"apple\"}", "{\"title\":\"APPLE\"}", "{\"title\":\"\"}", "{\"title\":{\"ne\":\"apple\"}}",
        "{\"title\":{\"lt\":\"a\"}}", "{\"title\":{\"gte\":\"a\"}}", "{\"title\":{\"gt\":\"Z\",\"lt\":\"b\"}}",
        "{\"title\":{\"gte\":\"\\u00c4\"}}", "{\"title\":{\"lte\":\"\\u00e9clair\"}}",
        "{\"title\":{\"in\":[\"apple\",\"Apple\",\"\\u65e5\\u672c\"]}}", "{\"title\":{\"contains\":\"pp\"}}",
        "{\"title\":{\"contains\":\"%\"}}", "{\"title\":{\"contains\":\"_\"}}", "{\"title\":{\"contains\":\"a%\"}}",
        "{\"title\":{\"contains\":\"\"}}", "{\"title\":{\"contains\":\"\\u00e9\"}}",
        "{\"title\":{\"contains\":\"P\"}}",
        /* text */
        "{\"notes\":null}", "{\"notes\":\"\"}", "{\"notes\":{\"ne\":\"RED\"}}", "{\"notes\":{\"contains\":\"red\"}}",
        "{\"notes\":{\"contains\":\"RED\"}}", "{\"notes\":{\"contains\":\"%\"}}", "{\"notes\":{\"contains\":\"_\"}}",
        "{\"notes\":{\"contains\":\"x%y\"}}", "{\"notes\":{\"contains\":\"x_\"}}", "{\"notes\":{\"contains\":\"\\\\\"}}",
        "{\"notes\":{\"contains\":\"\\\"\"}}", "{\"notes\":{\"contains\":\"\\ud83d\\ude00\"}}",
        "{\"notes\":{\"contains\":\"\"}}", "{\"notes\":{\"lt\":\"x\"}}",
        /* json: null only */
        "{\"meta\":null}", "{\"meta\":{\"ne\":null}}", "{\"meta\":{\"eq\":null}}",
        /* enum */
        "{\"state\":\"open\"}", "{\"state\":{\"ne\":\"open\"}}", "{\"state\":{\"lt\":\"open\"}}",
        "{\"state\":{\"in\":[\"closed\"]}}",
        /* datetime: values normalized, compared as canonical text */
        "{\"dueAt\":null}", "{\"dueAt\":\"2026-01-01\"}", "{\"dueAt\":{\"ne\":\"2026-01-01T00:00:00Z\"}}",
        "{\"dueAt\":{\"lt\":\"2026-01-01T01:00:00+01:00\"}}", "{\"dueAt\":{\"lte\":\"2026-01-01T00:00:00.001Z\"}}",
        "{\"dueAt\":{\"gt\":\"2025-12-31T23:59:59.999Z\"}}", "{\"dueAt\":{\"gte\":\"2026-06-01T12:30:00Z\"}}",
        "{\"dueAt\":{\"in\":[\"2024-02-29\",null]}}", "{\"createdAt\":{\"gte\":\"2026-03-01T10:00:05Z\"}}",
        /* owner (a belongsTo int) and several conditions */
        "{\"ownerId\":1}", "{\"ownerId\":{\"ne\":1}}", "{\"ownerId\":{\"in\":[2,3]}}",
        "{\"ownerId\":1,\"done\":true,\"qty\":{\"gt\":0}}", "{\"title\":{\"gte\":\"a\"},\"price\":{\"ne\":null}}",
        /* hostile values stay values */
        "{\"title\":\"x' OR '1'='1\"}", "{\"notes\":{\"contains\":\"'); DROP TABLE items; --\"}}",
        "{\"title\":{\"contains\":\"$1\"}}",
    };
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) SAME_LIST(m, "where", where[i]);

    /* a few answers checked on their own, not only against SQLite */
    EXPECT_PG_IDS(m, "2,3,6,8", "where", "{\"done\":true}");
    EXPECT_PG_IDS(m, "8", "where", "{\"title\":{\"contains\":\"_\"}}"); /* not "a%b": _ is no wildcard */
    EXPECT_PG_IDS(m, "7", "where", "{\"title\":{\"contains\":\"%\"}}");
    EXPECT_PG_IDS(m, "3", "where", "{\"notes\":{\"contains\":\"a%b\"}}");
    EXPECT_PG_IDS(m, "1", "where", "{\"notes\":{\"contains\":\"red\"}}");
    EXPECT_PG_IDS(m, "1,2,4,5,6,7,8,9,10", "where", "{\"notes\":{\"ne\":\"a_b and a%b\"}}"); /* null is "not equal" */
    EXPECT_PG_IDS(m, "4", "where", "{\"notes\":{\"contains\":\"\\u2028\"}}");
    EXPECT_PG_IDS(m, "2,7", "where", "{\"dueAt\":{\"lt\":\"2026-01-01T01:00:00+01:00\"}}");
    EXPECT_PG_IDS(m, "3,6,9,10", "where", "{\"dueAt\":null}");

    /* 100 values in one in; conditions on two fields */
    ssot_buf in = SSOT_BUF_INIT;
    ssot_buf_puts(&in, "{\"qty\":{\"in\":[");
    for (int i = 0; i < 100; i++) ssot_buf_printf(&in, "%s%d", i ? "," : "", i - 50);
    ssot_buf_puts(&in, "]}}");
    SAME_LIST(m, "where", in.data);
    EXPECT_PG_IDS(m, "1,2,4,6,9", "where", in.data);
    ssot_buf_reset(&in);
    ssot_buf_puts(&in, "{\"qty\":{\"gt\":-1,\"lt\":6");
    ssot_buf_puts(&in, "},\"price\":{\"ne\":7");
    ssot_buf_puts(&in, "}}");
    SAME_LIST(m, "where", in.data);
    ssot_buf_free(&in);
}

static void compare_order(const ssot_model *m) {
    static const char *const fields[] = {"id", "title", "qty", "price", "done", "notes", "state", "dueAt", "ownerId",
                                         "createdAt"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        for (int desc = 0; desc < 2; desc++) {
            char order[80];
            snprintf(order, sizeof order, "{\"%s\":\"%s\"}", fields[i], desc ? "desc" : "asc");
            SAME_LIST(m, "orderBy", order);
            SAME_LIST(m, "orderBy", order, "skip", "3", "take", "4");
        }
    SAME_LIST(m, "orderBy", "[{\"state\":\"desc\"},{\"done\":\"asc\"},{\"price\":\"desc\"}]");
    SAME_LIST(m, "orderBy", "[{\"ownerId\":\"asc\"},{\"id\":\"desc\"}]");
    SAME_LIST(m, "orderBy", "[{\"qty\":\"asc\"}]", "where", "{\"qty\":{\"ne\":null}}", "skip", "1", "take", "3");

    /* byte order, upper case before lower case before multi-byte characters; nulls first
     * ascending, last descending */
    EXPECT_PG_IDS(m, "10,2,5,7,8,1,9,3,4,6", "orderBy", "{\"title\":\"asc\"}");
    EXPECT_PG_IDS(m, "6,4,3,9,1,8,7,5,2,10", "orderBy", "{\"title\":\"desc\"}");
    EXPECT_PG_IDS(m, "5,10,7,2,4,1,6,9,3,8", "orderBy", "{\"qty\":\"asc\"}");
    EXPECT_PG_IDS(m, "8,3,1,6,9,4,2,7,5,10", "orderBy", "{\"qty\":\"desc\"}");
    EXPECT_PG_IDS(m, "10,8,7,1,4,3,5,2,9,6", "orderBy", "{\"notes\":\"desc\"}", "skip", "0");
    EXPECT_PG_IDS(m, "1,4,5,7,9,10,2,3,6,8", "orderBy", "{\"done\":\"asc\"}");

    /* paging: total counts every match, skip past the end is an empty page */
    SAME_LIST(m, "skip", "8", "take", "5");
    SAME_LIST(m, "skip", "100");
    SAME_LIST(m, "take", "1", "where", "{\"state\":\"open\"}");
    SAME_LIST(m, "take", "100", "orderBy", "{\"title\":\"asc\"}", "skip", "2");
}

static int even_ids(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)ctx;
    (void)message;
    (void)size;
    return atoi(row->id) % 2 == 0;
}

static void compare_filters(const ssot_model *m) {
    ssot_pred eq1 = {SSOT_PRED_OWNER_EQ, NULL, NULL, "1"}, eq3 = {SSOT_PRED_OWNER_EQ, NULL, NULL, "3"};
    ssot_pred ne1 = {SSOT_PRED_OWNER_NE, NULL, NULL, "1"}, bad = {SSOT_PRED_OWNER_EQ, NULL, NULL, "1; --"};
    ssot_pred not_eq1 = {SSOT_PRED_NOT, &eq1, NULL, NULL}, either = {SSOT_PRED_OR, &eq1, &eq3, NULL};
    ssot_pred not_either = {SSOT_PRED_NOT, &either, NULL, NULL}, both = {SSOT_PRED_AND, &ne1, &not_eq1, NULL};
    ssot_pred no = {SSOT_PRED_FALSE, NULL, NULL, NULL};
    ssot_pred bad_ne = {SSOT_PRED_OWNER_NE, NULL, NULL, "1; --"};
    const ssot_pred *preds[] = {&eq1, &ne1, &not_eq1, &either, &not_either, &both, &no, &bad, &bad_ne, NULL};
    const char *const none[] = {NULL};
    const char *const paged[] = {"orderBy", "{\"title\":\"desc\"}", "skip", "1", "take", "2", NULL};
    for (size_t i = 0; i < sizeof preds / sizeof preds[0]; i++) {
        ssot_row_filter filter = {preds[i], NULL, NULL}, callback = {preds[i], even_ids, NULL};
        same_list(m, &filter, none);
        same_list(m, &filter, paged);
        same_list(m, &callback, none);
        same_list(m, &callback, paged);
    }
    ssot_row_filter not_either_filter = {&not_either, NULL, NULL};
    char *text = list_text(pg_store, m, &not_either_filter, none);
    json_t *body = parse_cut(text);
    CHECK(json_integer_value(json_object_get(body, "total")) == 5); /* owners 2, 2 and three nulls */
    json_decref(body);
    free(text);
}

/* Gets of every row and of ids that name none, with the same bytes, statuses and messages. */
static void compare_gets(const ssot_app *app) {
    const ssot_model *m = item, *doc = ssot_app_model(app, "Doc"), *user = ssot_app_model(app, "User");
    static const char *const ids[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "0", "-1", "02", "+2",
                                      "abc", "", " 1", "1.0", "9223372036854775807", "9223372036854775808",
                                      "99999999999999999999999", "0b6f1c3e-8d2a-4c1b-9f00-5a6b7c8d9e0f"};
    ssot_pred eq1 = {SSOT_PRED_OWNER_EQ, NULL, NULL, "1"};
    ssot_row_filter only1 = {&eq1, NULL, NULL}, even = {NULL, even_ids, NULL};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        same_text("get", ids[i], get_text(sq_store, m, ids[i], NULL), get_text(pg_store, m, ids[i], NULL));
        same_text("get (owner 1)", ids[i], get_text(sq_store, m, ids[i], &only1), get_text(pg_store, m, ids[i], &only1));
        same_text("get (even)", ids[i], get_text(sq_store, m, ids[i], &even), get_text(pg_store, m, ids[i], &even));
    }
    for (size_t i = 1; i <= 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "%zu", i);
        same_text("get user", id, get_text(sq_store, user, id, NULL), get_text(pg_store, user, id, NULL));
    }
    static const char *const uuids[] = {"0b6f1c3e-8d2a-4c1b-9f00-5a6b7c8d9e0f", "0B6F1C3E-8D2A-4C1B-9F00-5A6B7C8D9E0F",
                                        "ffffffff-0000-4000-8000-000000000001", "00000000-0000-4000-8000-00000000000b",
                                        "0b6f1c3e8d2a4c1b9f005a6b7c8d9e0f", "not-a-uuid", "1", ""};
    for (size_t i = 0; i < sizeof uuids / sizeof uuids[0]; i++)
        same_text("get doc", uuids[i], get_text(sq_store, doc, uuids[i], NULL), get_text(pg_store, doc, uuids[i], NULL));

    /* the statuses, checked on their own too */
    ssot_buf out = SSOT_BUF_INIT;
    CHECK_STATUS(ssot_store_get(pg_store, m, "02", 2, NULL, &out, &err), SSOT_STORE_NOT_FOUND);
    CHECK_CONTAINS(err.message, "not a valid id");
    CHECK_STATUS(ssot_store_get(pg_store, m, "99", 2, NULL, &out, &err), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(ssot_store_get(pg_store, m, "2", 1, &only1, &out, &err), SSOT_STORE_DENIED);
    CHECK(strcmp(err.message, "Item 2 is not visible to this user") == 0);
    CHECK_STATUS(ssot_store_get(pg_store, doc, "not-a-uuid", 10, NULL, &out, &err), SSOT_STORE_NOT_FOUND);
    CHECK(out.len == 0);
    CHECK_STATUS(ssot_store_get(pg_store, doc, "FFFFFFFF-0000-4000-8000-000000000001", 36, NULL, &out, &err), SSOT_STORE_OK);
    CHECK(strcmp(out.data, "{\"id\":\"ffffffff-0000-4000-8000-000000000001\",\"body\":\"second\"}") == 0);
    ssot_buf_free(&out);

    /* uuid ids in lists: in, ne, order by their text */
    SAME_LIST(doc, "orderBy", "{\"id\":\"desc\"}");
    SAME_LIST(doc, "where", "{\"id\":{\"in\":[\"FFFFFFFF-0000-4000-8000-000000000001\",\"00000000-0000-4000-8000-00000000000a\"]}}");
    SAME_LIST(doc, "where", "{\"id\":{\"ne\":\"0b6f1c3e-8d2a-4c1b-9f00-5a6b7c8d9e0f\"}}");
    EXPECT_PG_IDS(doc, "00000000,ffffffff,0b6f1c3e", "orderBy", "{\"body\":\"desc\"}");
    EXPECT_PG_IDS(doc, "00000000,0b6f1c3e,ffffffff", "orderBy", "{\"id\":\"asc\"}");
}

/* Inside a callback: a get and a list through the same store, as a Lua rule may do. */
static int nested_reads(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    int *calls = ctx;
    (*calls)++;
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_error nested;
    ssot_store_status status = ssot_store_get(pg_store, item, row->id, strlen(row->id), NULL, &out, &nested);
    int same = status == SSOT_STORE_OK && out.len == row->json_len && memcmp(out.data, row->json, out.len) == 0;
    ssot_buf_free(&out);
    if (!same) {
        snprintf(message, size, "nested get of %s: %s", row->id, status == SSOT_STORE_OK ? "other bytes" : nested.message);
        return -1;
    }
    ssot_query q;
    ssot_query_init(&q, item, 20, 100);
    status = ssot_store_list(pg_store, &q, NULL, &out, NULL, &nested);
    ssot_query_free(&q);
    ssot_buf_free(&out);
    if (status != SSOT_STORE_OK) {
        snprintf(message, size, "nested list: %s", nested.message);
        return -1;
    }
    return row->owner && strcmp(row->owner, "1") == 0;
}

static void test_nested_reads(void) {
    int calls = 0;
    ssot_row_filter filter = {NULL, nested_reads, &calls};
    const char *const page[] = {"skip", "1", "take", "2", "orderBy", "{\"title\":\"asc\"}", NULL};
    EXPECT_PG_IDS(item, "3,1,8", "where", "{\"ownerId\":1}", "orderBy", "{\"title\":\"desc\"}");
    char *text = list_text(pg_store, item, &filter, page);
    CHECK(calls == 10);
    json_t *body = parse_cut(text);
    CHECK(body && json_integer_value(json_object_get(body, "total")) == 3);
    json_t *items = json_object_get(body, "items");
    CHECK(json_array_size(items) == 2 && json_integer_value(json_object_get(json_array_get(items, 0), "id")) == 1 &&
          json_integer_value(json_object_get(json_array_get(items, 1), "id")) == 3);
    if (!body) fprintf(stderr, "  %s\n", text);
    json_decref(body);
    free(text);
    ssot_buf out = SSOT_BUF_INIT;
    calls = 0;
    CHECK_STATUS(ssot_store_get(pg_store, item, "3", 1, &filter, &out, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_get(pg_store, item, "2", 1, &filter, &out, &err), SSOT_STORE_DENIED);
    CHECK(calls == 2);
    /* the same inside a snapshot, whose transaction the nested reads share */
    ssot_store_snapshot_begin(pg_store);
    text = list_text(pg_store, item, &filter, page);
    CHECK(strstr(text, "\"total\":3") != NULL);
    free(text);
    ssot_store_snapshot_end(pg_store);
    ssot_buf_free(&out);
}

/* The page's offset and epoch are the model's position, read with it. */
static void test_position(PGconn *conn) {
    exec_sql(conn, "UPDATE _ssot_streams SET \"offset\" = 41 WHERE model = 'Item'", 0, NULL);
    exec_sql(conn, "INSERT INTO _ssot_changes (model, \"offset\", event, row_id, data, at) VALUES "
                   "('Item', 42, 'created', '1', '{}', '2026-03-01T10:00:00.000Z')", 0, NULL);
    char epoch[SSOT_EPOCH_SIZE];
    snprintf(epoch, sizeof epoch, "%s", exec_sql(conn, "SELECT epoch FROM _ssot_streams WHERE model = 'Item'", 0, NULL));
    ssot_query q;
    ssot_query_init(&q, item, 20, 100);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_stream_position pos = {"", -1};
    CHECK_STATUS(ssot_store_list(pg_store, &q, NULL, &out, &pos, &err), SSOT_STORE_OK);
    char tail[128];
    snprintf(tail, sizeof tail, "],\"total\":10,\"skip\":0,\"take\":20,\"offset\":42,\"epoch\":\"%s\"}", epoch);
    CHECK(out.len > strlen(tail) && strcmp(out.data + out.len - strlen(tail), tail) == 0);
    CHECK(pos.offset == 42 && strcmp(pos.epoch, epoch) == 0);
    /* a filter hiding everything still reads the position */
    ssot_pred no = {SSOT_PRED_FALSE, NULL, NULL, NULL};
    ssot_row_filter nothing = {&no, NULL, NULL};
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_list(pg_store, &q, &nothing, &out, &pos, &err), SSOT_STORE_OK);
    snprintf(tail, sizeof tail, "{\"items\":[],\"total\":0,\"skip\":0,\"take\":20,\"offset\":42,\"epoch\":\"%s\"}", epoch);
    CHECK(strcmp(out.data, tail) == 0);
    ssot_query_free(&q);
    ssot_buf_free(&out);
}

/* In a snapshot the reads share one state; after it they see the latest. */
static void test_snapshot(PGconn *conn) {
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_snapshot_begin(pg_store);
    const char *const none[] = {NULL};
    char *before = list_text(pg_store, item, NULL, none);
    insert_pg(conn, item, "{\"title\":\"late\",\"createdAt\":\"2026-03-02T00:00:00.000Z\","
                          "\"updatedAt\":\"2026-03-02T00:00:00.000Z\"}");
    char *during = list_text(pg_store, item, NULL, none);
    CHECK(strcmp(before, during) == 0);
    CHECK_STATUS(ssot_store_get(pg_store, item, "11", 2, NULL, &out, &err), SSOT_STORE_NOT_FOUND);
    ssot_store_snapshot_end(pg_store);
    CHECK_STATUS(ssot_store_get(pg_store, item, "11", 2, NULL, &out, &err), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"late\"");
    char *after = list_text(pg_store, item, NULL, none);
    CHECK(strstr(after, "\"total\":11") != NULL);
    free(before);
    free(during);
    free(after);
    exec_sql(conn, "DELETE FROM items WHERE id = 11", 0, NULL);

    /* a get statement first prepared inside a snapshot's transaction outlives its rollback */
    ssot_store *fresh = open_pg(pg_store->app, "compare");
    ssot_store_snapshot_begin(fresh);
    CHECK_STATUS(ssot_store_get(fresh, item, "1", 1, NULL, &out, &err), SSOT_STORE_OK);
    ssot_store_snapshot_end(fresh);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_get(fresh, item, "1", 1, NULL, &out, &err), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"apple\"");
    ssot_store_close(fresh);
    ssot_buf_free(&out);
}

/* A json field's objects come back with their keys in the order they were written, from both
 * stores: the PostgreSQL column is JSON, which keeps the text (JSONB would sort the keys). */
static void test_json_key_order(PGconn *conn) {
    const char *row = "{\"id\":20,\"title\":\"keys\",\"meta\":{\"bb\":1,\"a\":[{\"z\":1,\"y\":2}]},"
                      "\"createdAt\":\"2026-03-02T00:00:00.000Z\",\"updatedAt\":\"2026-03-02T00:00:00.000Z\"}";
    char path[256];
    snprintf(path, sizeof path, "%s/test.db", test_dir);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_busy_timeout(db, 5000);
    insert_sqlite(db, item, row);
    insert_pg(conn, item, row);
    char *sq = get_text(sq_store, item, "20", NULL), *pg = get_text(pg_store, item, "20", NULL);
    CHECK_CONTAINS(sq, "\"meta\":{\"bb\":1,\"a\":[{\"z\":1,\"y\":2}]}");
    CHECK_CONTAINS(pg, "\"meta\":{\"bb\":1,\"a\":[{\"z\":1,\"y\":2}]}");
    free(sq);
    free(pg);
    sqlite3_exec(db, "DELETE FROM items WHERE id = 20", NULL, NULL, NULL);
    sqlite3_close(db);
    exec_sql(conn, "DELETE FROM items WHERE id = 20", 0, NULL);
}

/* A connection the server ended is made again and the read runs on it; while the database
 * refuses connections, reads are UNAVAILABLE, naming the database, and the next read after it
 * accepts them again goes through. */
static void test_lost_connection(PGconn *conn) {
    static const char terminate[] = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'compare' "
                                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
    ssot_query q;
    ssot_query_init(&q, item, 20, 100);
    ssot_buf out = SSOT_BUF_INIT;
    exec_sql(conn, terminate, 0, NULL);
    CHECK_STATUS(ssot_store_list(pg_store, &q, NULL, &out, NULL, &err), SSOT_STORE_OK);
    exec_sql(conn, terminate, 0, NULL);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_get(pg_store, item, "1", 1, NULL, &out, &err), SSOT_STORE_OK);

    PGconn *other = connect_to("ssot"); /* conn is on "compare" itself */
    exec_sql(other, "ALTER DATABASE compare ALLOW_CONNECTIONS false", 0, NULL);
    exec_sql(other, terminate, 0, NULL);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_list(pg_store, &q, NULL, &out, NULL, &err), SSOT_STORE_UNAVAILABLE);
    CHECK_CONTAINS(err.message, "\"compare\"");
    CHECK(out.len == 0);
    CHECK_STATUS(ssot_store_get(pg_store, item, "1", 1, NULL, &out, &err), SSOT_STORE_UNAVAILABLE);
    exec_sql(other, "ALTER DATABASE compare ALLOW_CONNECTIONS true", 0, NULL);
    PQfinish(other);
    CHECK_STATUS(ssot_store_get(pg_store, item, "1", 1, NULL, &out, &err), SSOT_STORE_OK);
    ssot_query_free(&q);
    ssot_buf_free(&out);
}

static void test_against_sqlite(const ssot_app *app) {
    create_database("compare");
    pg_store = open_pg(app, "compare");
    CHECK_STATUS(open_store(app, &sq_store, &err), SSOT_STORE_OK);
    if (!sq_store) return;
    PGconn *conn = connect_to("compare");
    char path[256];
    snprintf(path, sizeof path, "%s/test.db", test_dir);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "opening %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_busy_timeout(db, 5000);
    const ssot_model *user = ssot_app_model(app, "User"), *doc = ssot_app_model(app, "Doc");
    for (size_t i = 0; compare_users[i]; i++) {
        insert_pg(conn, user, compare_users[i]);
        insert_sqlite(db, user, compare_users[i]);
    }
    for (size_t i = 0; compare_items[i]; i++) {
        insert_pg(conn, item, compare_items[i]);
        insert_sqlite(db, item, compare_items[i]);
    }
    for (size_t i = 0; compare_docs[i]; i++) {
        insert_pg(conn, doc, compare_docs[i]);
        insert_sqlite(db, doc, compare_docs[i]);
    }
    sqlite3_close(db);

    SAME_LIST(item, "take", "100");
    compare_where(item);
    compare_order(item);
    compare_filters(item);
    compare_gets(app);
    test_nested_reads();
    test_position(conn);
    test_snapshot(conn);
    test_json_key_order(conn);
    test_lost_connection(conn);
    PQfinish(conn);
    ssot_store_close(sq_store);
    ssot_store_close(pg_store);
}

int main(void) {
    int started = start_pg("pgread");
    if (started != 0) return started;
    atexit(stop_pg); /* also when a test bug exits early (parse) */
    make_test_dir("pgread-files");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    item = ssot_app_model(app, "Item");
    test_shared_cases(app);
    test_against_sqlite(app);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
