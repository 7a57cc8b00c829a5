/* Tests of the SQLite store's shared read snapshot (store.h snapshot_begin / snapshot_end):
 * reads inside it share one read transaction, so a commit made meanwhile by another
 * connection shows only after snapshot_end; a write through the store ends the snapshot's
 * transaction first and sees (and is seen by) everything committed; the snapshot composes
 * with group commit; and after snapshot_end no read transaction is left holding the WAL. */
#include "test_store_support.h"

#include <sqlite3.h>
#include <string.h>

/* `PRAGMA wal_checkpoint(TRUNCATE)` from another connection: 1 when a reader kept it from
 * resetting the WAL, 0 when it could, -1 on error. */
static int checkpoint_blocked(const char *db) {
    sqlite3 *other;
    sqlite3_stmt *stmt;
    int blocked = -1;
    if (sqlite3_open_v2(db, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(other, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW) blocked = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(other);
    return blocked;
}

static ssot_store_status create_user(ssot_store *store, const ssot_model *user, const char *json, ssot_buf *out) {
    ssot_change change;
    ssot_store_error err;
    json_t *body = parse(json);
    ssot_buf_reset(out);
    ssot_store_status status = ssot_store_create(store, user, body, out, &change, &err);
    json_decref(body);
    return status;
}

static ssot_store_status get_user(ssot_store *store, const ssot_model *user, const char *id, ssot_buf *out) {
    ssot_store_error err;
    ssot_buf_reset(out);
    return ssot_store_get(store, user, id, strlen(id), NULL, out, &err);
}

static int64_t stream_offset(ssot_store *store, const ssot_model *user) {
    ssot_stream_position pos;
    ssot_store_error err;
    return ssot_store_position(store, user, &pos, &err) == SSOT_STORE_OK ? pos.offset : -1;
}

int main(void) {
    make_test_dir("store-snapshot");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    ssot_store *store, *other;
    ssot_store_error err;
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    CHECK_STATUS(open_store(app, &other, &err), SSOT_STORE_OK); /* a second connection to the file */
    CHECK(ssot_store_can_snapshot(store));
    char db[256];
    snprintf(db, sizeof db, "%s/test.db", test_dir);
    const ssot_model *user = ssot_app_model(app, "User");
    ssot_buf out = SSOT_BUF_INIT;
    CHECK_STATUS(create_user(store, user, "{\"name\":\"a\"}", &out), SSOT_STORE_OK);

    /* reads in a snapshot do not see a commit made after the first of them */
    ssot_store_snapshot_begin(store);
    CHECK_STATUS(get_user(store, user, "1", &out), SSOT_STORE_OK);
    CHECK(checkpoint_blocked(db) == 1); /* the snapshot's read transaction is open */
    CHECK_STATUS(create_user(other, user, "{\"name\":\"b\"}", &out), SSOT_STORE_OK);
    CHECK_STATUS(get_user(store, user, "2", &out), SSOT_STORE_NOT_FOUND);
    CHECK(stream_offset(store, user) == 1);
    ssot_store_snapshot_end(store);
    CHECK(checkpoint_blocked(db) == 0); /* and closed */
    CHECK_STATUS(get_user(store, user, "2", &out), SSOT_STORE_OK);
    CHECK(stream_offset(store, user) == 2);

    /* a write inside a snapshot ends its transaction: it sees the latest state, commits, and
     * the reads after it see both its row and the other connection's */
    ssot_store_snapshot_begin(store);
    CHECK_STATUS(get_user(store, user, "1", &out), SSOT_STORE_OK);
    CHECK_STATUS(create_user(other, user, "{\"name\":\"c\"}", &out), SSOT_STORE_OK);
    CHECK_STATUS(create_user(store, user, "{\"name\":\"d\"}", &out), SSOT_STORE_OK);
    CHECK(strstr(ssot_buf_cstr(&out), "\"id\":4") != NULL);
    CHECK_STATUS(get_user(store, user, "3", &out), SSOT_STORE_OK);
    CHECK_STATUS(get_user(other, user, "4", &out), SSOT_STORE_OK); /* committed at once */
    ssot_store_snapshot_end(store);

    /* with group commit: the batch's reads see the batch, its writes commit at batch_end */
    ssot_store_snapshot_begin(store);
    CHECK_STATUS(get_user(store, user, "1", &out), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_batch_begin(store, &err), SSOT_STORE_OK);
    CHECK_STATUS(create_user(store, user, "{\"name\":\"e\"}", &out), SSOT_STORE_OK);
    CHECK_STATUS(get_user(store, user, "5", &out), SSOT_STORE_OK);
    CHECK_STATUS(get_user(other, user, "5", &out), SSOT_STORE_NOT_FOUND);
    CHECK_STATUS(ssot_store_batch_end(store, &err), SSOT_STORE_OK);
    CHECK_STATUS(get_user(other, user, "5", &out), SSOT_STORE_OK);
    CHECK_STATUS(get_user(store, user, "5", &out), SSOT_STORE_OK);
    CHECK(stream_offset(store, user) == 5);
    ssot_store_snapshot_end(store);
    CHECK(checkpoint_blocked(db) == 0);

    /* a snapshot without reads, and ending one twice, are harmless */
    ssot_store_snapshot_begin(store);
    ssot_store_snapshot_end(store);
    ssot_store_snapshot_end(store);
    CHECK_STATUS(get_user(store, user, "1", &out), SSOT_STORE_OK);
    CHECK(checkpoint_blocked(db) == 0); /* outside a snapshot a read ends its own transaction */

    ssot_buf_free(&out);
    ssot_store_close(other);
    ssot_store_close(store);
    ssot_app_free(app);
    ssot_host_free(host);
    remove_test_dir();
    return finish_tests();
}
