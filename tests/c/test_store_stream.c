/* Tests of the change stream: every committed write has its event with the row, offsets
 * increase per model, a failed write has none, events_since replays the whole gap or
 * answers cannot-recover (other epoch, offsets in the future, history pruned) and never a
 * part, and a second connection to the same database sees the same stream. */
#include "test_store_support.h"

#include <sqlite3.h>

static ssot_store_error err;

struct replay {
    int count;
    int64_t offsets[200];
    ssot_event_kind kinds[200];
    char last_row[256];
    char last_owner[16];
};

static int record(void *ctx, const ssot_change *change) {
    struct replay *r = ctx;
    if (r->count < 200) {
        r->offsets[r->count] = change->offset;
        r->kinds[r->count] = change->kind;
    }
    r->count++;
    snprintf(r->last_row, sizeof r->last_row, "%.*s", (int)change->row.json_len, change->row.json);
    snprintf(r->last_owner, sizeof r->last_owner, "%s", change->row.owner ? change->row.owner : "(null)");
    return 0;
}

static ssot_store_status since(ssot_store *store, const ssot_model *m, const char *epoch, int64_t offset,
                               struct replay *r, ssot_stream_position *now) {
    ssot_stream_position pos;
    snprintf(pos.epoch, sizeof pos.epoch, "%s", epoch);
    pos.offset = offset;
    memset(r, 0, sizeof *r);
    return ssot_store_events_since(store, m, &pos, record, r, now, &err);
}

int main(void) {
    make_test_dir("store-stream");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    const ssot_model *user = ssot_app_model(app, "User"), *item = ssot_app_model(app, "Item");
    char db_path[256];
    snprintf(db_path, sizeof db_path, "%s/test.db", test_dir);
    ssot_sqlite_options options = {.path = db_path, .history = 5};
    ssot_store *store = NULL, *other = NULL;
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &store, &err), SSOT_STORE_OK);
    if (!store) return 1;
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    struct replay r;
    ssot_stream_position start, now;

    CHECK_STATUS(ssot_store_position(store, item, &start, &err), SSOT_STORE_OK);
    CHECK(start.offset == 0 && strlen(start.epoch) == 32);
    CHECK_STATUS(since(store, item, start.epoch, 0, &r, &now), SSOT_STORE_OK);
    CHECK(r.count == 0 && now.offset == 0);

    json_t *u = json_pack("{s:s}", "name", "ann");
    CHECK_STATUS(ssot_store_create(store, user, u, &out, &change, &err), SSOT_STORE_OK);
    json_decref(u);

    /* created, updated, deleted: offsets 1, 2, 3 with the rows */
    json_t *body = json_pack("{s:s, s:i}", "title", "one", "ownerId", 1);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == 1 && strcmp(change.epoch, start.epoch) == 0);
    char created_row[256];
    snprintf(created_row, sizeof created_row, "%s", out.data);
    json_object_set_new(body, "title", json_string("two"));
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(store, item, "1", 1, body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    CHECK(change.offset == 2);
    /* a failed write leaves no event */
    json_object_set_new(body, "ownerId", json_integer(42));
    CHECK_STATUS(ssot_store_update(store, item, "1", 1, body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_INVALID);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, item, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == 3);
    json_decref(body);

    CHECK_STATUS(since(store, item, start.epoch, 0, &r, &now), SSOT_STORE_OK);
    CHECK(r.count == 3 && now.offset == 3);
    CHECK(r.offsets[0] == 1 && r.offsets[1] == 2 && r.offsets[2] == 3);
    CHECK(r.kinds[0] == SSOT_EVENT_CREATED && r.kinds[1] == SSOT_EVENT_UPDATED && r.kinds[2] == SSOT_EVENT_DELETED);
    CHECK_CONTAINS(r.last_row, "\"title\":\"two\"");
    CHECK(strcmp(r.last_owner, "1") == 0);
    CHECK_STATUS(since(store, item, start.epoch, 2, &r, &now), SSOT_STORE_OK);
    CHECK(r.count == 1 && r.offsets[0] == 3);
    CHECK_STATUS(since(store, item, start.epoch, 3, &r, &now), SSOT_STORE_OK);
    CHECK(r.count == 0);

    /* positions that are not of this stream */
    CHECK_STATUS(since(store, item, start.epoch, 4, &r, &now), SSOT_STORE_CANNOT_RECOVER);
    CHECK_STATUS(since(store, item, start.epoch, -1, &r, &now), SSOT_STORE_CANNOT_RECOVER);
    CHECK_STATUS(since(store, item, "00000000000000000000000000000000", 1, &r, &now), SSOT_STORE_CANNOT_RECOVER);
    CHECK(r.count == 0);
    /* each model has its own stream */
    ssot_stream_position user_pos;
    CHECK_STATUS(ssot_store_position(store, user, &user_pos, &err), SSOT_STORE_OK);
    CHECK(user_pos.offset == 1 && strcmp(user_pos.epoch, start.epoch) != 0);

    /* history is bounded: after 130 events with history 5, old gaps cannot be recovered,
     * recent ones can, in full */
    for (int i = 0; i < 127; i++) {
        json_t *b = json_pack("{s:s}", "title", "bulk");
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(store, item, b, &out, &change, &err), SSOT_STORE_OK);
        json_decref(b);
    }
    CHECK(change.offset == 130);
    CHECK_STATUS(since(store, item, start.epoch, 0, &r, &now), SSOT_STORE_CANNOT_RECOVER);
    CHECK(r.count == 0);
    CHECK_STATUS(since(store, item, start.epoch, 122, &r, &now), SSOT_STORE_CANNOT_RECOVER);
    CHECK_STATUS(since(store, item, start.epoch, 125, &r, &now), SSOT_STORE_OK);
    CHECK(r.count == 5 && r.offsets[0] == 126 && r.offsets[4] == 130);

    /* a second connection (another process or thread) sees the same stream and continues it */
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &other, &err), SSOT_STORE_OK);
    if (other) {
        ssot_stream_position pos;
        CHECK_STATUS(ssot_store_position(other, item, &pos, &err), SSOT_STORE_OK);
        CHECK(pos.offset == 130 && strcmp(pos.epoch, start.epoch) == 0);
        json_t *b = json_pack("{s:s}", "title", "from the other");
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(other, item, b, &out, &change, &err), SSOT_STORE_OK);
        json_decref(b);
        CHECK(change.offset == 131);
        CHECK_STATUS(since(store, item, start.epoch, 130, &r, &now), SSOT_STORE_OK);
        CHECK(r.count == 1 && now.offset == 131);
        CHECK_CONTAINS(r.last_row, "from the other");
        ssot_store_close(other);
    }
    /* history deleted behind ssot's back: offsets might repeat, so the next write starts a new
     * epoch and old positions cannot be recovered */
    sqlite3 *db;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DELETE FROM _ssot_changes WHERE model = 'Item'", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    json_t *b = json_pack("{s:s}", "title", "after the wipe");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(store, item, b, &out, &change, &err), SSOT_STORE_OK);
    json_decref(b);
    CHECK(strcmp(change.epoch, start.epoch) != 0 && strlen(change.epoch) == 32);
    CHECK(change.offset == 129); /* from the floor recorded at the last prune (128) */
    CHECK_STATUS(since(store, item, start.epoch, 131, &r, &now), SSOT_STORE_CANNOT_RECOVER);
    CHECK_STATUS(since(store, item, change.epoch, 128, &r, &now), SSOT_STORE_OK);
    CHECK(r.count == 1 && now.offset == 129);
    (void)created_row;
    ssot_buf_free(&out);
    ssot_store_close(store);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
