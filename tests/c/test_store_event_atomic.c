/* Tests that a write and its change event are one transaction (store_sqlite_write.c,
 * store_sqlite_stream.c): when the event cannot be written (a trigger on _ssot_changes made
 * here refuses it), the create, update or delete is not written either — alone or inside a
 * group-commit batch, where the other writes of the batch still commit — and once events can
 * be written again the stream continues without a gap. */
#include "test_store_support.h"

#include <sqlite3.h>

static ssot_store_error err;
static char db_path[256];

/* Runs sql on a connection of its own (as another process would). */
static int exec_other(const char *sql) {
    sqlite3 *db;
    int rc = sqlite3_open(db_path, &db);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static const char *const refuse_events =
    "CREATE TRIGGER refuse_events BEFORE INSERT ON _ssot_changes "
    "BEGIN SELECT RAISE(ABORT, 'events refused by the test'); END";

int main(void) {
    make_test_dir("store-event-atomic");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    const ssot_model *item = ssot_app_model(app, "Item");
    snprintf(db_path, sizeof db_path, "%s/test.db", test_dir);
    ssot_sqlite_options options = {.path = db_path};
    ssot_store *store = NULL;
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &store, &err), SSOT_STORE_OK);
    if (!store) return 1;
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;

    json_t *body = json_pack("{s:s}", "title", "kept");
    CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);
    CHECK(change.offset == 1);

    CHECK(exec_other(refuse_events) == SQLITE_OK);

    /* create, update and delete each fail, and leave the table as it was */
    body = json_pack("{s:s}", "title", "lost");
    ssot_buf_reset(&out);
    ssot_store_status status = ssot_store_create(store, item, body, &out, &change, &err);
    json_decref(body);
    CHECK(status != SSOT_STORE_OK);
    CHECK(count_rows(db_path, "SELECT count(*) FROM items") == 1);

    body = json_pack("{s:s}", "title", "changed");
    ssot_buf_reset(&out);
    status = ssot_store_update(store, item, "1", 1, body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err);
    json_decref(body);
    CHECK(status != SSOT_STORE_OK);
    CHECK(count_rows(db_path, "SELECT count(*) FROM items WHERE title = 'kept'") == 1);

    ssot_buf_reset(&out);
    status = ssot_store_remove(store, item, "1", 1, NULL, &out, &change, &err);
    CHECK(status != SSOT_STORE_OK);
    CHECK(count_rows(db_path, "SELECT count(*) FROM items WHERE id = 1") == 1);
    CHECK(count_rows(db_path, "SELECT count(*) FROM _ssot_changes") == 1);

    /* in a batch: the write whose event fails rolls back alone, the others commit */
    CHECK(exec_other("DROP TRIGGER refuse_events") == SQLITE_OK);
    CHECK(exec_other("CREATE TRIGGER refuse_some BEFORE INSERT ON _ssot_changes "
                     "WHEN NEW.data LIKE '%refused%' BEGIN SELECT RAISE(ABORT, 'refused'); END") == SQLITE_OK);
    CHECK_STATUS(ssot_store_batch_begin(store, &err), SSOT_STORE_OK);
    const char *titles[] = {"before", "refused", "after"};
    for (int i = 0; i < 3; i++) {
        body = json_pack("{s:s}", "title", titles[i]);
        ssot_buf_reset(&out);
        status = ssot_store_create(store, item, body, &out, &change, &err);
        json_decref(body);
        CHECK(i == 1 ? status != SSOT_STORE_OK : status == SSOT_STORE_OK);
        if (i == 2) CHECK(change.offset == 3); /* the refused write took no offset */
    }
    CHECK_STATUS(ssot_store_batch_end(store, &err), SSOT_STORE_OK);
    CHECK(count_rows(db_path, "SELECT count(*) FROM items WHERE title IN ('before', 'after')") == 2);
    CHECK(count_rows(db_path, "SELECT count(*) FROM items WHERE title = 'refused'") == 0);
    CHECK(count_rows(db_path, "SELECT count(*) FROM _ssot_changes") == 3);
    CHECK(count_rows(db_path, "SELECT count(*) FROM items") == count_rows(db_path, "SELECT count(*) FROM _ssot_changes"));

    ssot_buf_free(&out);
    ssot_store_close(store);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
