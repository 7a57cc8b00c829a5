/* Tests of the SQLite store's rows: create/get/update (PATCH, PUT)/delete through a config
 * loaded by the real host and ir_load, the exact row JSON of docs/rest.md, server-filled
 * values, unique and foreign-key errors, authorize inside the write transaction, uuid ids,
 * and data kept across a restart. */
#include "test_store_support.h"

#include "runtime/model/query.h"

#include <regex.h>

static ssot_store_error err;

static ssot_store_status create(ssot_store *store, const ssot_model *m, const char *body_text, ssot_buf *out,
                                ssot_change *change) {
    json_t *body = parse(body_text);
    ssot_buf_reset(out);
    ssot_store_status status = ssot_store_create(store, m, body, out, change, &err);
    json_decref(body);
    return status;
}

static ssot_store_status update(ssot_store *store, const ssot_model *m, const char *id, const char *body_text,
                                ssot_update_mode mode, const ssot_authorize *auth, ssot_buf *out,
                                ssot_change *change) {
    json_t *body = parse(body_text);
    ssot_buf_reset(out);
    ssot_store_status status = ssot_store_update(store, m, id, strlen(id), body, mode, auth, out, change, &err);
    json_decref(body);
    return status;
}

static ssot_store_status get(ssot_store *store, const ssot_model *m, const char *id, ssot_buf *out) {
    ssot_buf_reset(out);
    return ssot_store_get(store, m, id, strlen(id), NULL, out, &err);
}

static int matches(const char *text, const char *pattern) {
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) return 0;
    int ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* authorize callbacks */
static int deny(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)ctx;
    (void)row;
    snprintf(message, size, "nope");
    return 0;
}
static int reject(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)ctx;
    (void)row;
    snprintf(message, size, "the hook said no");
    return -1;
}
/* Records the existing row and changes the body, as a before-hook would. */
struct seen {
    char row[512];
    char owner[16];
    json_t *body;
};
static int allow_and_edit(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)message;
    (void)size;
    struct seen *seen = ctx;
    snprintf(seen->row, sizeof seen->row, "%.*s", (int)row->json_len, row->json);
    snprintf(seen->owner, sizeof seen->owner, "%s", row->owner ? row->owner : "(null)");
    json_object_set_new(seen->body, "notes", json_string("set by the hook"));
    return 1;
}

/* An authorize that reads through the store, as a before-hook's lookups would. */
struct reader {
    ssot_store *store;
    const ssot_model *user;
    char seen_user[256];
    char page[64];
};
static int read_through(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)message;
    (void)size;
    struct reader *r = ctx;
    ssot_buf out = SSOT_BUF_INIT;
    ssot_store_error e;
    if (!row->owner || ssot_store_get(r->store, r->user, row->owner, strlen(row->owner), NULL, &out, &e) != 0) return -1;
    snprintf(r->seen_user, sizeof r->seen_user, "%s", out.data);
    ssot_query q;
    ssot_query_init(&q, r->user, 20, 100);
    ssot_buf_reset(&out);
    if (ssot_store_list(r->store, &q, NULL, &out, NULL, &e) != 0) return -1;
    snprintf(r->page, sizeof r->page, "%s", out.data);
    ssot_buf_free(&out);
    return 1;
}

static void test_crud(ssot_store *store, const ssot_app *app) {
    const ssot_model *user = ssot_app_model(app, "User"), *item = ssot_app_model(app, "Item");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;

    CHECK_STATUS(create(store, user, "{\"name\":\"ann\",\"email\":\"ann@x\"}", &out, &change), SSOT_STORE_OK);
    CHECK(strcmp(out.data, "{\"id\":1,\"name\":\"ann\",\"email\":\"ann@x\"}") == 0);
    CHECK(strcmp(change.row.id, "1") == 0);
    CHECK(change.kind == SSOT_EVENT_CREATED && change.offset == 1 && change.model == user);

    CHECK_STATUS(create(store, item,
                        "{\"title\":\"first\",\"qty\":3,\"price\":2.5,\"meta\":{\"a\":[1,true,null]},"
                        "\"dueAt\":\"2026-01-02T03:04:05.000Z\",\"ownerId\":1}",
                        &out, &change),
                 SSOT_STORE_OK);
    /* every field, declared order, bool as false, json as JSON, defaults and auto datetimes */
    CHECK(matches(out.data, "^\\{\"id\":1,\"title\":\"first\",\"qty\":3,\"price\":2.5,\"done\":false,\"notes\":null,"
                            "\"meta\":\\{\"a\":\\[1,true,null\\]\\},\"state\":\"open\","
                            "\"dueAt\":\"2026-01-02T03:04:05.000Z\",\"ownerId\":1,"
                            "\"createdAt\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\","
                            "\"updatedAt\":\"[^\"]+\"\\}$"));
    CHECK(change.row.owner && strcmp(change.row.owner, "1") == 0);
    CHECK(change.offset == 1); /* each model has its own stream */
    char created[512];
    snprintf(created, sizeof created, "%s", out.data);

    CHECK_STATUS(get(store, item, "1", &out), SSOT_STORE_OK);
    CHECK(strcmp(out.data, created) == 0);
    CHECK_STATUS(get(store, item, "2", &out), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(get(store, item, "abc", &out), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(get(store, item, "99999999999999999999999", &out), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(get(store, item, "", &out), SSOT_STORE_NOT_FOUND);

    /* PATCH changes only what is sent; bools come back as true */
    CHECK_STATUS(update(store, item, "1", "{\"done\":true,\"qty\":null}", SSOT_UPDATE_PATCH, NULL, &out, &change),
                 SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"first\",\"qty\":null,\"price\":2.5,\"done\":true");
    CHECK_CONTAINS(out.data, "\"ownerId\":1");
    CHECK(change.kind == SSOT_EVENT_UPDATED && change.offset == 2);

    /* PUT replaces: absent optional fields become null, defaulted ones their default; the
     * owner stays; createdAt never changes */
    CHECK_STATUS(update(store, item, "1", "{\"title\":\"second\"}", SSOT_UPDATE_REPLACE, NULL, &out, &change),
                 SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"second\",\"qty\":null,\"price\":null,\"done\":false,\"notes\":null,"
                             "\"meta\":null,\"state\":\"open\",\"dueAt\":null,\"ownerId\":1");
    const char *created_at = strstr(created, "\"createdAt\"");
    CHECK(created_at && strncmp(strstr(out.data, "\"createdAt\""), created_at, 38) == 0);

    CHECK_STATUS(update(store, item, "7", "{\"title\":\"x\"}", SSOT_UPDATE_PATCH, NULL, &out, &change),
                 SSOT_STORE_NOT_FOUND);

    /* authorize sees the row before the change, inside the transaction, and may edit the body */
    struct seen seen = {.body = json_pack("{s:s}", "title", "third")};
    ssot_authorize edit = {allow_and_edit, &seen};
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(store, item, "1", 1, seen.body, SSOT_UPDATE_PATCH, &edit, &out, &change, &err),
                 SSOT_STORE_OK);
    CHECK_CONTAINS(seen.row, "\"title\":\"second\"");
    CHECK(strcmp(seen.owner, "1") == 0);
    CHECK_CONTAINS(out.data, "\"title\":\"third\"");
    CHECK_CONTAINS(out.data, "\"notes\":\"set by the hook\"");
    json_decref(seen.body);
    struct reader reader = {.store = store, .user = user};
    ssot_authorize reads = {read_through, &reader};
    CHECK_STATUS(update(store, item, "1", "{\"qty\":9}", SSOT_UPDATE_PATCH, &reads, &out, &change), SSOT_STORE_OK);
    CHECK(strcmp(reader.seen_user, "{\"id\":1,\"name\":\"ann\",\"email\":\"ann@x\"}") == 0);
    CHECK(strncmp(reader.page, "{\"items\":[{\"id\":1,", strlen("{\"items\":[{\"id\":1,")) == 0);
    CHECK_CONTAINS(out.data, "\"qty\":9");

    /* a refusal or a rejection leaves the row and the stream as they were */
    ssot_stream_position before, after;
    CHECK_STATUS(ssot_store_position(store, item, &before, &err), SSOT_STORE_OK);
    ssot_authorize no = {deny, NULL}, bad = {reject, NULL};
    CHECK_STATUS(update(store, item, "1", "{\"title\":\"denied\"}", SSOT_UPDATE_PATCH, &no, &out, &change),
                 SSOT_STORE_DENIED);
    CHECK_STATUS(update(store, item, "1", "{\"title\":\"rejected\"}", SSOT_UPDATE_PATCH, &bad, &out, &change),
                 SSOT_STORE_REJECTED);
    CHECK(strcmp(err.message, "the hook said no") == 0);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, item, "1", 1, &no, &out, &change, &err), SSOT_STORE_DENIED);
    CHECK(out.len == 0);
    CHECK_STATUS(get(store, item, "1", &out), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"third\"");
    CHECK_STATUS(ssot_store_position(store, item, &after, &err), SSOT_STORE_OK);
    CHECK(after.offset == before.offset && strcmp(after.epoch, before.epoch) == 0);

    /* unique: a conflict naming the field */
    CHECK_STATUS(create(store, user, "{\"name\":\"bob\",\"email\":\"ann@x\"}", &out, &change), SSOT_STORE_CONFLICT);
    CHECK(err.field && strcmp(err.field->name, "email") == 0);
    CHECK(out.len == 0);
    CHECK_STATUS(create(store, user, "{\"name\":\"bob\",\"email\":\"bob@x\"}", &out, &change), SSOT_STORE_OK);
    CHECK_STATUS(update(store, user, "2", "{\"email\":\"ann@x\"}", SSOT_UPDATE_PATCH, NULL, &out, &change),
                 SSOT_STORE_CONFLICT);
    CHECK(err.field && strcmp(err.field->name, "email") == 0);

    /* a foreign key to nothing: invalid, naming the field */
    CHECK_STATUS(create(store, item, "{\"title\":\"orphan\",\"ownerId\":999}", &out, &change), SSOT_STORE_INVALID);
    CHECK(err.field && strcmp(err.field->name, "ownerId") == 0);
    CHECK_STATUS(update(store, item, "1", "{\"ownerId\":999}", SSOT_UPDATE_PATCH, NULL, &out, &change),
                 SSOT_STORE_INVALID);
    CHECK(err.field && strcmp(err.field->name, "ownerId") == 0);
    /* the database's own checks still hold when a caller skips body validation */
    CHECK_STATUS(create(store, user, "{\"name\":\"far too long a name\"}", &out, &change), SSOT_STORE_INVALID);
    CHECK(err.field && strcmp(err.field->name, "name") == 0);
    CHECK_STATUS(create(store, user, "{}", &out, &change), SSOT_STORE_INVALID);
    CHECK(err.field && strcmp(err.field->name, "name") == 0);

    /* deleting a row others refer to (restrict) is a conflict naming the referrer */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, user, "1", 1, NULL, &out, &change, &err), SSOT_STORE_CONFLICT);
    CHECK_CONTAINS(err.message, "Item.ownerId");
    CHECK_STATUS(get(store, user, "1", &out), SSOT_STORE_OK);

    /* delete returns the row as it was, with its event */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, item, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"third\"");
    CHECK(change.kind == SSOT_EVENT_DELETED && strcmp(change.row.id, "1") == 0);
    CHECK(change.row.owner && strcmp(change.row.owner, "1") == 0);
    CHECK(change.offset == after.offset + 1);
    CHECK_STATUS(get(store, item, "1", &out), SSOT_STORE_NOT_FOUND);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, item, "1", 1, NULL, &out, &change, &err), SSOT_STORE_NOT_FOUND);
    /* ids are not reused after a delete */
    CHECK_STATUS(create(store, item, "{\"title\":\"next\"}", &out, &change), SSOT_STORE_OK);
    CHECK(strcmp(change.row.id, "2") == 0);
    CHECK(change.row.owner == NULL);
    ssot_buf_free(&out);
}

static void test_uuid(ssot_store *store, const ssot_app *app) {
    const ssot_model *doc = ssot_app_model(app, "Doc");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(create(store, doc, "{\"body\":\"hello\"}", &out, &change), SSOT_STORE_OK);
    const char *uuid_v4 = "^\\{\"id\":\"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\","
                          "\"body\":\"hello\"\\}$";
    CHECK(matches(out.data, uuid_v4));
    char id[40];
    snprintf(id, sizeof id, "%s", change.row.id);
    CHECK(strlen(id) == 36);
    CHECK_STATUS(create(store, doc, "{\"body\":\"other\"}", &out, &change), SSOT_STORE_OK);
    CHECK(strcmp(change.row.id, id) != 0);
    CHECK_STATUS(get(store, doc, id, &out), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"body\":\"hello\"");
    for (char *p = id; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    CHECK_STATUS(get(store, doc, id, &out), SSOT_STORE_OK); /* case does not matter */
    ssot_query q; /* nor in a where filter */
    ssot_query_error qerr;
    char where[80];
    snprintf(where, sizeof where, "{\"id\":\"%s\"}", id);
    ssot_query_init(&q, doc, 20, 100);
    CHECK(ssot_query_add_param(&q, "where", where, strlen(where), &qerr) == 0);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_list(store, &q, NULL, &out, NULL, &err), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"total\":1");
    ssot_query_free(&q);
    CHECK_STATUS(get(store, doc, "1", &out), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(get(store, doc, "zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz", &out), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(update(store, doc, id, "{\"body\":\"changed\"}", SSOT_UPDATE_PATCH, NULL, &out, &change),
                 SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"body\":\"changed\"");
    ssot_buf_free(&out);
}

static void test_wide(ssot_store *store, const ssot_app *app) {
    const ssot_model *wide = ssot_app_model(app, "Wide");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(create(store, wide, "{\"f1\":1,\"f63\":63,\"f64\":64,\"f70\":70}", &out, &change), SSOT_STORE_OK);
    const char *head = "{\"id\":1,\"f1\":1,\"f2\":null,", *tail = ",\"f70\":70}";
    CHECK(strncmp(out.data, head, strlen(head)) == 0);
    CHECK_CONTAINS(out.data, ",\"f62\":null,\"f63\":63,\"f64\":64,\"f65\":null,");
    CHECK(out.len > strlen(tail) && strcmp(out.data + out.len - strlen(tail), tail) == 0);
    json_t *row = parse(out.data);
    CHECK(json_object_size(row) == 71);
    json_decref(row);
    ssot_buf_free(&out);
}

static void test_restart(const ssot_app *app) {
    ssot_store *store;
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    if (!store) return;
    ssot_buf out = SSOT_BUF_INIT;
    const ssot_model *user = ssot_app_model(app, "User"), *item = ssot_app_model(app, "Item");
    CHECK_STATUS(get(store, user, "1", &out), SSOT_STORE_OK);
    CHECK(strcmp(out.data, "{\"id\":1,\"name\":\"ann\",\"email\":\"ann@x\"}") == 0);
    ssot_stream_position pos;
    CHECK_STATUS(ssot_store_position(store, item, &pos, &err), SSOT_STORE_OK);
    CHECK(pos.offset == 7); /* create, patch, put, patch, patch, delete, create */
    ssot_change change;
    CHECK_STATUS(create(store, item, "{\"title\":\"after restart\"}", &out, &change), SSOT_STORE_OK);
    CHECK(change.offset == 8 && strcmp(change.epoch, pos.epoch) == 0);
    CHECK(strcmp(change.row.id, "3") == 0);
    ssot_buf_free(&out);
    ssot_store_close(store);
}

/* Author <- Book (cascade) <- Review (restrict), and Review.authorId -> Author (restrict):
 * a blocked delete names the reference that blocks it, never one that would cascade. */
static const char *const cascade_config =
    "name = 'cascade'\n"
    "models = {\n"
    "  Author = { fields = { { 'id', 'id' }, { 'name', 'string' } } },\n"
    "  Book = { fields = { { 'id', 'id' }, { 'authorId', 'int', belongsTo = 'Author', onDelete = 'cascade' } } },\n"
    "  Review = { fields = { { 'id', 'id' }, { 'bookId', 'int', belongsTo = 'Book', optional = true },\n"
    "    { 'authorId', 'int', belongsTo = 'Author', optional = true } } },\n"
    "}\n";

static void test_delete_blocked_through_cascade(void) {
    ssot_host *host;
    ssot_app *app = load_app(&host, cascade_config);
    char db[256];
    snprintf(db, sizeof db, "%s/cascade.db", test_dir);
    ssot_sqlite_options options = {.path = db};
    ssot_store *store = NULL;
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &store, &err), SSOT_STORE_OK);
    if (!store) goto done;
    const ssot_model *author = ssot_app_model(app, "Author"), *book = ssot_app_model(app, "Book"),
                     *review = ssot_app_model(app, "Review");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(create(store, author, "{\"name\":\"ann\"}", &out, &change), SSOT_STORE_OK);
    CHECK_STATUS(create(store, author, "{\"name\":\"bob\"}", &out, &change), SSOT_STORE_OK);
    CHECK_STATUS(create(store, book, "{\"authorId\":1}", &out, &change), SSOT_STORE_OK);
    CHECK_STATUS(create(store, review, "{\"authorId\":1}", &out, &change), SSOT_STORE_OK);
    /* ann's review blocks; her book (cascade) does not */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, author, "1", 1, NULL, &out, &change, &err), SSOT_STORE_CONFLICT);
    CHECK_CONTAINS(err.message, "Review.authorId");
    CHECK(strstr(err.message, "Book.authorId") == NULL);
    /* bob's review of ann's book blocks the cascade from ann to her book */
    CHECK_STATUS(update(store, review, "1", "{\"authorId\":2,\"bookId\":1}", SSOT_UPDATE_PATCH, NULL, &out,
                        &change),
                 SSOT_STORE_OK);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, author, "1", 1, NULL, &out, &change, &err), SSOT_STORE_CONFLICT);
    CHECK_CONTAINS(err.message, "cascade");
    CHECK(strstr(err.message, "Book.authorId") == NULL);
    CHECK_STATUS(get(store, book, "1", &out), SSOT_STORE_OK);
    /* without the review, the delete cascades */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, review, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, author, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK_STATUS(get(store, book, "1", &out), SSOT_STORE_NOT_FOUND);
    ssot_buf_free(&out);
    ssot_store_close(store);
done:
    ssot_app_free(app);
    ssot_host_free(host);
}

int main(void) {
    make_test_dir("store");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    ssot_store *store = NULL;
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    if (store) {
        test_crud(store, app);
        test_uuid(store, app);
        test_wide(store, app);
        ssot_store_close(store);
        test_restart(app);
    }
    test_delete_blocked_through_cascade();
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
