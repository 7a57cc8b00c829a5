/* Tests of the row before an update (ssot_change.previous): an update's change carries the
 * old row (JSON, id, owner) next to the new one, creates and deletes carry none; events_since
 * replays it from _ssot_changes; a batched update (group commit) keeps it; and a database
 * made before _ssot_changes had the previous_owner / previous columns gets them at open,
 * keeps its old events (replayed without a previous row) and records new ones with it. */
#include "test_store_support.h"

#include <sqlite3.h>

static ssot_store_error err;

/* What one replayed event held, copied out of the visitor's call. */
typedef struct seen {
    int64_t offset;
    ssot_event_kind kind;
    char row[512], previous[512], previous_id[SSOT_ID_TEXT_SIZE], previous_owner[16];
    int has_previous, previous_owner_null, previous_id_null;
} seen;

struct replay {
    int count;
    seen events[16];
};

static void copy_text(char *to, size_t size, const char *text, size_t n) {
    snprintf(to, size, "%.*s", (int)n, text ? text : "");
}

static int record(void *ctx, const ssot_change *change) {
    struct replay *r = ctx;
    if (r->count >= 16) return 1;
    seen *e = &r->events[r->count++];
    e->offset = change->offset;
    e->kind = change->kind;
    copy_text(e->row, sizeof e->row, change->row.json, change->row.json_len);
    e->has_previous = change->previous.json != NULL;
    copy_text(e->previous, sizeof e->previous, change->previous.json, change->previous.json_len);
    if (!change->previous.json && change->previous.json_len != 0) e->has_previous = -1; /* a length without text */
    e->previous_id_null = change->previous.id == NULL;
    copy_text(e->previous_id, sizeof e->previous_id, change->previous.id, change->previous.id ? strlen(change->previous.id) : 0);
    e->previous_owner_null = change->previous.owner == NULL;
    copy_text(e->previous_owner, sizeof e->previous_owner, change->previous.owner,
              change->previous.owner ? strlen(change->previous.owner) : 0);
    return 0;
}

static ssot_store_status since(ssot_store *store, const ssot_model *m, const char *epoch, int64_t offset,
                               struct replay *r) {
    ssot_stream_position pos;
    snprintf(pos.epoch, sizeof pos.epoch, "%s", epoch);
    pos.offset = offset;
    memset(r, 0, sizeof *r);
    return ssot_store_events_since(store, m, &pos, record, r, NULL, &err);
}

/* Whether a change carries no previous row (created, deleted). */
static int no_previous(const ssot_change *change) {
    return change->previous.json == NULL && change->previous.json_len == 0 && change->previous.id == NULL &&
           change->previous.owner == NULL;
}

/* Whether view holds exactly the JSON text json. */
static int json_is(const ssot_row_view *view, const char *json) {
    return view->json && view->json_len == strlen(json) && memcmp(view->json, json, view->json_len) == 0;
}

/* Creates an Item (body text) and returns its row JSON in row (size 512). */
static void create_item(ssot_store *store, const ssot_model *item, const char *body_text, char *row) {
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    json_t *body = parse(body_text);
    CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
    CHECK(no_previous(&change));
    json_decref(body);
    snprintf(row, 512, "%s", ssot_buf_cstr(&out));
    ssot_buf_free(&out);
}

/* The names of _ssot_changes' columns in order, comma-separated, from the database file. */
static const char *change_columns(const char *db_path) {
    static char names[256];
    names[0] = '\0';
    sqlite3 *db;
    sqlite3_stmt *stmt;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('_ssot_changes') "
                               "ORDER BY cid)", -1, &stmt, NULL) == SQLITE_OK) {
        if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
            snprintf(names, sizeof names, "%s", (const char *)sqlite3_column_text(stmt, 0));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return names;
}

static const char *const all_columns = "model,offset,event,row_id,owner,data,at,previous_owner,previous";

/* An update's change has the old row as previous and the new one as row; creates and
 * deletes have none; events_since replays the same. */
static void test_live_and_replay(const ssot_app *app, ssot_store *store) {
    const ssot_model *user = ssot_app_model(app, "User"), *item = ssot_app_model(app, "Item");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    for (int i = 0; i < 2; i++) {
        json_t *u = json_pack("{s:s}", "name", i ? "bob" : "ann");
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(store, user, u, &out, &change, &err), SSOT_STORE_OK);
        json_decref(u);
    }
    ssot_stream_position start;
    CHECK_STATUS(ssot_store_position(store, item, &start, &err), SSOT_STORE_OK);

    char created[512], unowned[512];
    create_item(store, item, "{\"title\":\"one\",\"ownerId\":1}", created);
    create_item(store, item, "{\"title\":\"nobody's\"}", unowned);

    /* PATCH moving item 1 to another owner: previous is the row as created, owner 1 */
    json_t *patch = parse("{\"title\":\"two\",\"ownerId\":2}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(store, item, "1", 1, patch, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    json_decref(patch);
    CHECK(change.kind == SSOT_EVENT_UPDATED && change.offset == 3);
    CHECK(json_is(&change.previous, created));
    CHECK(change.previous.id && strcmp(change.previous.id, "1") == 0);
    CHECK(change.previous.owner && strcmp(change.previous.owner, "1") == 0);
    CHECK(json_is(&change.row, ssot_buf_cstr(&out)));
    CHECK_CONTAINS(change.row.json, "\"title\":\"two\"");
    CHECK(change.row.owner && strcmp(change.row.owner, "2") == 0);
    char updated[512];
    snprintf(updated, sizeof updated, "%s", ssot_buf_cstr(&out));

    /* PUT of a row without an owner: a previous row whose owner is NULL */
    json_t *put = parse("{\"title\":\"replaced\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(store, item, "2", 1, put, SSOT_UPDATE_REPLACE, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    json_decref(put);
    CHECK(json_is(&change.previous, unowned));
    CHECK(change.previous.id && strcmp(change.previous.id, "2") == 0);
    CHECK(change.previous.owner == NULL);

    /* a failed update writes no event */
    json_t *bad = parse("{\"ownerId\":42}");
    CHECK_STATUS(ssot_store_update(store, item, "1", 1, bad, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_INVALID);
    json_decref(bad);

    /* a delete: the row as it was is the change's row, there is no previous */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(store, item, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.kind == SSOT_EVENT_DELETED && no_previous(&change));
    CHECK(json_is(&change.row, updated));

    /* replay: created, created, updated (previous), updated (previous, no owner), deleted */
    struct replay r;
    CHECK_STATUS(since(store, item, start.epoch, 0, &r), SSOT_STORE_OK);
    CHECK(r.count == 5);
    if (r.count == 5) {
        seen *e = r.events;
        CHECK(e[0].kind == SSOT_EVENT_CREATED && !e[0].has_previous && e[0].previous_id_null && e[0].previous_owner_null);
        CHECK(e[1].kind == SSOT_EVENT_CREATED && !e[1].has_previous && e[1].previous_id_null);
        CHECK(e[2].kind == SSOT_EVENT_UPDATED && e[2].has_previous == 1);
        CHECK(strcmp(e[2].previous, created) == 0 && strcmp(e[2].row, updated) == 0);
        CHECK(strcmp(e[2].previous_id, "1") == 0 && strcmp(e[2].previous_owner, "1") == 0);
        CHECK(e[3].kind == SSOT_EVENT_UPDATED && e[3].has_previous == 1 && strcmp(e[3].previous, unowned) == 0);
        CHECK(strcmp(e[3].previous_id, "2") == 0 && e[3].previous_owner_null);
        CHECK(e[4].kind == SSOT_EVENT_DELETED && !e[4].has_previous && e[4].previous_id_null &&
              e[4].previous_owner_null);
        CHECK(strcmp(e[4].row, updated) == 0);
    }
    ssot_buf_free(&out);
}

/* Group commit: each update of a batch has its previous row when it returns, and the history
 * has them once the batch committed. */
static void test_batch(const ssot_app *app, ssot_store *store) {
    const ssot_model *item = ssot_app_model(app, "Item");
    char a[512], b[512];
    create_item(store, item, "{\"title\":\"batch a\",\"ownerId\":1}", a);
    create_item(store, item, "{\"title\":\"batch b\",\"ownerId\":2}", b);
    ssot_stream_position before;
    CHECK_STATUS(ssot_store_position(store, item, &before, &err), SSOT_STORE_OK);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;

    CHECK_STATUS(ssot_store_batch_begin(store, &err), SSOT_STORE_OK);
    json_t *patch = parse("{\"title\":\"batch a2\"}");
    CHECK_STATUS(ssot_store_update(store, item, "3", 1, patch, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    CHECK(json_is(&change.previous, a));
    CHECK(change.previous.owner && strcmp(change.previous.owner, "1") == 0);
    json_decref(patch);
    /* a write of the batch that fails rolls back alone */
    json_t *bad = parse("{\"ownerId\":42}");
    CHECK_STATUS(ssot_store_update(store, item, "4", 1, bad, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_INVALID);
    json_decref(bad);
    patch = parse("{\"title\":\"batch b2\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(store, item, "4", 1, patch, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    CHECK(json_is(&change.previous, b));
    CHECK(change.previous.id && strcmp(change.previous.id, "4") == 0);
    CHECK(change.previous.owner && strcmp(change.previous.owner, "2") == 0);
    json_decref(patch);
    CHECK_STATUS(ssot_store_batch_end(store, &err), SSOT_STORE_OK);

    struct replay r;
    CHECK_STATUS(since(store, item, before.epoch, before.offset, &r), SSOT_STORE_OK);
    CHECK(r.count == 2);
    if (r.count == 2) {
        CHECK(r.events[0].kind == SSOT_EVENT_UPDATED && strcmp(r.events[0].previous, a) == 0);
        CHECK(strcmp(r.events[0].previous_owner, "1") == 0 && strcmp(r.events[0].previous_id, "3") == 0);
        CHECK_CONTAINS(r.events[0].row, "batch a2");
        CHECK(r.events[1].kind == SSOT_EVENT_UPDATED && strcmp(r.events[1].previous, b) == 0);
        CHECK(strcmp(r.events[1].previous_owner, "2") == 0);
        CHECK_CONTAINS(r.events[1].row, "batch b2");
    }
    ssot_buf_free(&out);
}

/* Runs SQL on the database file as another program would (sqlite3 by hand). */
static void exec_by_hand(const char *db_path, const char *sql) {
    sqlite3 *db;
    char *msg = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "by hand: %s\n  in: %s\n", msg ? msg : "?", sql);
        failures++;
    }
    sqlite3_free(msg);
    sqlite3_close(db);
}

/* A database written by a store from before the previous columns: its _ssot_changes is put
 * back to the old DDL with its events, then opened. */
static void test_old_database(const ssot_app *app, const char *db_path) {
    const ssot_model *item = ssot_app_model(app, "Item");
    exec_by_hand(db_path,
                 "BEGIN;"
                 "CREATE TEMP TABLE saved AS SELECT model, \"offset\", event, row_id, owner, data, at FROM _ssot_changes;"
                 "DROP TABLE _ssot_changes;"
                 "CREATE TABLE _ssot_changes (\n"
                 "  model TEXT NOT NULL,\n"
                 "  \"offset\" INTEGER NOT NULL,\n"
                 "  event TEXT NOT NULL,\n"
                 "  row_id TEXT NOT NULL,\n"
                 "  owner TEXT,\n"
                 "  data TEXT NOT NULL,\n"
                 "  at TEXT NOT NULL,\n"
                 "  PRIMARY KEY (model, \"offset\")\n"
                 ") WITHOUT ROWID;"
                 "INSERT INTO _ssot_changes SELECT * FROM saved;"
                 "COMMIT;");
    CHECK(strcmp(change_columns(db_path), "model,offset,event,row_id,owner,data,at") == 0);
    int64_t events = count_rows(db_path, "SELECT count(*) FROM _ssot_changes WHERE model = 'Item'");
    CHECK(events == 9); /* 5 + 2 creates + 2 updates of the batch */

    ssot_sqlite_options options = {.path = db_path};
    ssot_store *store = NULL;
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &store, &err), SSOT_STORE_OK);
    if (!store) return;
    CHECK(strcmp(change_columns(db_path), all_columns) == 0);
    CHECK(count_rows(db_path, "SELECT count(*) FROM _ssot_changes WHERE model = 'Item'") == events);

    /* the old events replay, their updates without a previous row (it was never kept) */
    ssot_stream_position pos;
    CHECK_STATUS(ssot_store_position(store, item, &pos, &err), SSOT_STORE_OK);
    CHECK(pos.offset == events);
    struct replay r;
    CHECK_STATUS(since(store, item, pos.epoch, 0, &r), SSOT_STORE_OK);
    CHECK(r.count == events);
    int old_updates = 0;
    for (int i = 0; i < r.count && i < 16; i++) {
        CHECK(!r.events[i].has_previous && r.events[i].previous_id_null && r.events[i].previous_owner_null);
        old_updates += r.events[i].kind == SSOT_EVENT_UPDATED;
    }
    CHECK(old_updates == 4);

    /* new events are recorded with it */
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    char row[512];
    create_item(store, item, "{\"title\":\"after upgrade\",\"ownerId\":2}", row);
    json_t *patch = parse("{\"title\":\"after upgrade 2\"}");
    CHECK_STATUS(ssot_store_update(store, item, "5", 1, patch, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    json_decref(patch);
    CHECK(json_is(&change.previous, row));
    CHECK_STATUS(since(store, item, pos.epoch, pos.offset, &r), SSOT_STORE_OK);
    CHECK(r.count == 2);
    if (r.count == 2) {
        CHECK(r.events[0].kind == SSOT_EVENT_CREATED && !r.events[0].has_previous);
        CHECK(r.events[1].kind == SSOT_EVENT_UPDATED && strcmp(r.events[1].previous, row) == 0);
        CHECK(strcmp(r.events[1].previous_owner, "2") == 0 && strcmp(r.events[1].previous_id, "5") == 0);
    }
    CHECK(count_rows(db_path, "SELECT count(*) FROM _ssot_changes WHERE previous IS NOT NULL") == 1);
    CHECK(count_rows(db_path, "SELECT count(*) FROM _ssot_changes WHERE previous_owner = '2'") == 1);
    ssot_buf_free(&out);
    ssot_store_close(store);

    /* opening again changes nothing: the columns are there once */
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &store, &err), SSOT_STORE_OK);
    if (store) ssot_store_close(store);
    CHECK(strcmp(change_columns(db_path), all_columns) == 0);
    CHECK(count_rows(db_path, "SELECT count(*) FROM _ssot_changes WHERE model = 'Item'") == events + 2);
}

int main(void) {
    make_test_dir("store-previous");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    char db_path[256];
    snprintf(db_path, sizeof db_path, "%s/test.db", test_dir);
    ssot_store *store = NULL;
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    if (!store) return 1;
    /* a new database has the columns, in the order an older one gets them */
    CHECK(strcmp(change_columns(db_path), all_columns) == 0);
    test_live_and_replay(app, store);
    test_batch(app, store);
    ssot_store_close(store);
    test_old_database(app, db_path);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
