/* Tests of the SQLite store's group commit (store.h batch_begin / batch_end): the writes of a
 * batch commit together with their change events; a failing write rolls back alone; a batch
 * that ends without writes is fine; nothing of a batch is durable before batch_end (another
 * connection does not see it); updates and deletes with authorize work inside a batch. */
#include "test_store_support.h"

#include <sqlite3.h>

static int allow(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)ctx;
    (void)row;
    (void)message;
    (void)size;
    return 1;
}

int main(void) {
    make_test_dir("store-batch");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    ssot_store *store;
    ssot_store_error err;
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    CHECK(ssot_store_can_batch(store));
    char db[256];
    snprintf(db, sizeof db, "%s/test.db", test_dir);
    const ssot_model *user = ssot_app_model(app, "User");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;

    /* three creates, the middle one a unique conflict */
    CHECK_STATUS(ssot_store_batch_begin(store, &err), SSOT_STORE_OK);
    const char *bodies[] = {"{\"name\":\"a\",\"email\":\"a@x\"}", "{\"name\":\"dup\",\"email\":\"a@x\"}",
                            "{\"name\":\"c\",\"email\":\"c@x\"}"};
    ssot_store_status expected[] = {SSOT_STORE_OK, SSOT_STORE_CONFLICT, SSOT_STORE_OK};
    int64_t offsets[3] = {0};
    for (int i = 0; i < 3; i++) {
        json_t *body = parse(bodies[i]);
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(store, user, body, &out, &change, &err), expected[i]);
        if (expected[i] == SSOT_STORE_OK) offsets[i] = change.offset;
        json_decref(body);
    }
    CHECK(offsets[2] == offsets[0] + 1); /* the failed write left no event */
    CHECK(count_rows(db, "SELECT count(*) FROM users") == 0); /* not committed yet */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_get(store, user, "2", 1, NULL, &out, &err), SSOT_STORE_OK); /* the batch sees itself */
    CHECK_STATUS(ssot_store_batch_end(store, &err), SSOT_STORE_OK);
    CHECK(count_rows(db, "SELECT count(*) FROM users") == 2);
    CHECK(count_rows(db, "SELECT count(*) FROM _ssot_changes WHERE model = 'User'") == 2);

    /* an empty batch */
    CHECK_STATUS(ssot_store_batch_begin(store, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_batch_end(store, &err), SSOT_STORE_OK);

    /* update and delete with authorize in one batch, then a plain write after it */
    CHECK_STATUS(ssot_store_batch_begin(store, &err), SSOT_STORE_OK);
    ssot_authorize authorize = {.fn = allow, .ctx = NULL};
    json_t *patch = parse("{\"name\":\"renamed\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(store, user, "1", 1, patch, SSOT_UPDATE_PATCH, &authorize, &out, &change, &err),
                 SSOT_STORE_OK);
    json_decref(patch);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, user, "2", 1, &authorize, &out, &change, &err), SSOT_STORE_OK);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, user, "999", 3, &authorize, &out, &change, &err), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(ssot_store_batch_end(store, &err), SSOT_STORE_OK);
    CHECK(count_rows(db, "SELECT count(*) FROM users WHERE name = 'renamed'") == 1);
    CHECK(count_rows(db, "SELECT count(*) FROM users") == 1);
    json_t *body = parse("{\"name\":\"after\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(store, user, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);
    CHECK(count_rows(db, "SELECT count(*) FROM users") == 2); /* outside a batch: committed at once */

    ssot_buf_free(&out);
    ssot_store_close(store);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
