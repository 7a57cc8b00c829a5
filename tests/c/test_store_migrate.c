/* Tests of schema sync across config versions: a new database, additive changes migrated
 * automatically with the data kept (new model, optional field, field with a default, auto
 * datetime, unique field, foreign key, index), changes that need a table rebuild, and
 * destructive or incompatible changes refused with a message naming the model, the field,
 * the change and what to do — leaving the database untouched. Also a table made from
 * schema.sql adopted, and a column dropped by hand accepted. */
#include "test_store_support.h"

#include <sqlite3.h>

static ssot_store_error err;

static const char *const v1 =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 20 }, { 'topic', 'text', optional = true } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' } } },\n"
    "}\n";

/* v1 plus: a model, an optional field, a field with a default, an auto datetime, a unique
 * optional field, an optional foreign key and an index. */
static const char *const v2 =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 20 }, { 'topic', 'text', optional = true },\n"
    "    { 'isPrivate', 'bool', default = false }, { 'slug', 'string', unique = true, optional = true },\n"
    "    { 'createdAt', 'datetime', auto = 'create' }, { 'score', 'float', optional = true } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' },\n"
    "    { 'replyToId', 'int', belongsTo = 'Message', optional = true } },\n"
    "    indexes = { { 'text' } } },\n"
    "  Tag = { fields = { { 'id', 'id' }, { 'label', 'string' } } },\n"
    "}\n";

/* v2 with changes SQLite can only make by rebuilding the table: a longer max, a required
 * field made optional, and an optional field made required with a default. */
static const char *const v3 =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 40, optional = true },\n"
    "    { 'topic', 'text', default = 'none' },\n"
    "    { 'isPrivate', 'bool', default = false }, { 'slug', 'string', unique = true, optional = true },\n"
    "    { 'createdAt', 'datetime', auto = 'create' }, { 'score', 'float', optional = true } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' },\n"
    "    { 'replyToId', 'int', belongsTo = 'Message', optional = true } },\n"
    "    indexes = { { 'text' } } },\n"
    "  Tag = { fields = { { 'id', 'id' }, { 'label', 'string' } } },\n"
    "}\n";

/* v3 with destructive changes: Room.score dropped, Room.slug retyped, Tag removed, and a
 * new required field without a default. */
static const char *const destructive =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 40, optional = true },\n"
    "    { 'topic', 'text', default = 'none' },\n"
    "    { 'isPrivate', 'bool', default = false }, { 'slug', 'int', unique = true, optional = true },\n"
    "    { 'createdAt', 'datetime', auto = 'create' } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' },\n"
    "    { 'replyToId', 'int', belongsTo = 'Message', optional = true }, { 'lang', 'string' } },\n"
    "    indexes = { { 'text' } } },\n"
    "}\n";

/* v3 with an optional field made required without a default. */
static const char *const tightened =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 40, optional = true },\n"
    "    { 'topic', 'text', default = 'none' },\n"
    "    { 'isPrivate', 'bool', default = false }, { 'slug', 'string', unique = true, optional = true },\n"
    "    { 'createdAt', 'datetime', auto = 'create' }, { 'score', 'float' } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' },\n"
    "    { 'replyToId', 'int', belongsTo = 'Message', optional = true } },\n"
    "    indexes = { { 'text' } } },\n"
    "  Tag = { fields = { { 'id', 'id' }, { 'label', 'string' } } },\n"
    "}\n";

typedef struct version {
    ssot_host *host;
    ssot_app *app;
    ssot_store *store;
} version;

static ssot_store_status open_version(version *v, const char *config) {
    v->app = load_app(&v->host, config);
    v->store = NULL;
    return open_store(v->app, &v->store, &err);
}

static void close_version(version *v) {
    if (v->store) ssot_store_close(v->store);
    ssot_app_free(v->app);
    ssot_host_free(v->host);
}

static void create(version *v, const char *model, const char *body_text, ssot_store_status expected) {
    json_t *body = parse(body_text);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(ssot_store_create(v->store, ssot_app_model(v->app, model), body, &out, &change, &err), expected);
    json_decref(body);
    ssot_buf_free(&out);
}

/* The row JSON of model id into a static buffer ("" when missing). */
static const char *get(version *v, const char *model, const char *id) {
    static char row[512];
    ssot_buf out = SSOT_BUF_INIT;
    row[0] = '\0';
    if (ssot_store_get(v->store, ssot_app_model(v->app, model), id, strlen(id), NULL, &out, &err) == SSOT_STORE_OK)
        snprintf(row, sizeof row, "%s", out.data);
    ssot_buf_free(&out);
    return row;
}

/* Everything about the database schema and ssot's record, to prove a refusal changed nothing. */
static char *snapshot(void) {
    char path[256];
    snprintf(path, sizeof path, "%s/test.db", test_dir);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return NULL;
    sqlite3_stmt *stmt;
    ssot_buf b = SSOT_BUF_INIT;
    const char *sql = "SELECT coalesce(sql, name) FROM sqlite_schema UNION ALL "
                      "SELECT model || definition FROM _ssot_schema UNION ALL "
                      "SELECT json_group_array(json_array(id, title, topic)) FROM rooms";
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            ssot_buf_puts(&b, (const char *)sqlite3_column_text(stmt, 0));
            ssot_buf_putc(&b, '\n');
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return ssot_buf_detach(&b, NULL);
}

static void exec_by_hand(const char *sql) {
    char path[256];
    snprintf(path, sizeof path, "%s/test.db", test_dir);
    sqlite3 *db;
    char *msg = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "by hand: %s: %s\n", sql, msg);
        failures++;
    }
    sqlite3_free(msg);
    sqlite3_close(db);
}

static void test_additive(void) {
    version v;
    CHECK_STATUS(open_version(&v, v1), SSOT_STORE_OK);
    create(&v, "Room", "{\"title\":\"lobby\"}", SSOT_STORE_OK);
    create(&v, "Room", "{\"title\":\"gone\"}", SSOT_STORE_OK);
    create(&v, "Message", "{\"roomId\":1,\"text\":\"hi\"}", SSOT_STORE_OK);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(ssot_store_remove(v.store, ssot_app_model(v.app, "Room"), "2", 1, NULL, &out, &change, &err),
                 SSOT_STORE_OK);
    ssot_buf_free(&out);
    close_version(&v);

    /* reopening the same version changes nothing */
    char *before = snapshot();
    CHECK_STATUS(open_version(&v, v1), SSOT_STORE_OK);
    close_version(&v);
    char *after = snapshot();
    CHECK(before && after && strcmp(before, after) == 0);
    free(before);
    free(after);

    CHECK_STATUS(open_version(&v, v2), SSOT_STORE_OK);
    const char *room = get(&v, "Room", "1");
    CHECK(strncmp(room, "{\"id\":1,\"title\":\"lobby\",\"topic\":null,\"isPrivate\":false,\"slug\":null,\"createdAt\":\"", 80) ==
          0);
    CHECK_CONTAINS(room, "\"score\":null}");
    CHECK(strcmp(get(&v, "Message", "1"), "{\"id\":1,\"roomId\":1,\"text\":\"hi\",\"replyToId\":null}") == 0);
    create(&v, "Tag", "{\"label\":\"new\"}", SSOT_STORE_OK);
    create(&v, "Room", "{\"title\":\"a\",\"slug\":\"s\"}", SSOT_STORE_OK);
    CHECK_CONTAINS(get(&v, "Room", "3"), "\"title\":\"a\""); /* id 2 was deleted and is not reused */
    create(&v, "Room", "{\"title\":\"b\",\"slug\":\"s\"}", SSOT_STORE_CONFLICT);
    CHECK(err.field && strcmp(err.field->name, "slug") == 0);
    create(&v, "Message", "{\"roomId\":1,\"text\":\"re\",\"replyToId\":1}", SSOT_STORE_OK);
    create(&v, "Message", "{\"roomId\":1,\"text\":\"re\",\"replyToId\":77}", SSOT_STORE_INVALID);
    CHECK(err.field && strcmp(err.field->name, "replyToId") == 0);
    close_version(&v);
    char *indexes = snapshot();
    CHECK_CONTAINS(indexes, "CREATE INDEX \"messages_text_idx\"");
    free(indexes);
}

static void test_rebuild(void) {
    version v;
    CHECK_STATUS(open_version(&v, v3), SSOT_STORE_OK);
    /* nulls of the newly required topic got its default; the rest is as it was */
    const char *room = get(&v, "Room", "1");
    CHECK_CONTAINS(room, "{\"id\":1,\"title\":\"lobby\",\"topic\":\"none\",\"isPrivate\":false,\"slug\":null");
    CHECK_CONTAINS(get(&v, "Room", "3"), "\"slug\":\"s\"");
    CHECK(strcmp(get(&v, "Message", "2"), "{\"id\":2,\"roomId\":1,\"text\":\"re\",\"replyToId\":1}") == 0);
    /* the new definition holds: title optional and up to 40, slug still unique */
    create(&v, "Room", "{\"title\":\"a title of thirty-one characters\"}", SSOT_STORE_OK);
    create(&v, "Room", "{\"topic\":\"no title\"}", SSOT_STORE_OK);
    create(&v, "Room", "{\"title\":\"c\",\"slug\":\"s\"}", SSOT_STORE_CONFLICT);
    create(&v, "Room", "{\"title\":\"d\"}", SSOT_STORE_OK);
    CHECK_CONTAINS(get(&v, "Room", "6"), "\"title\":\"d\""); /* the id sequence survived the rebuild */
    /* foreign keys still point at the rebuilt table */
    create(&v, "Message", "{\"roomId\":99,\"text\":\"x\"}", SSOT_STORE_INVALID);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(ssot_store_remove(v.store, ssot_app_model(v.app, "Room"), "1", 1, NULL, &out, &change, &err),
                 SSOT_STORE_CONFLICT);
    ssot_buf_free(&out);
    close_version(&v);
}

static void test_refused(void) {
    char *before = snapshot();
    version v;
    CHECK_STATUS(open_version(&v, destructive), SSOT_STORE_SCHEMA);
    CHECK(v.store == NULL);
    /* every problem at once, each with the model, the field, the change and what to do */
    CHECK_CONTAINS(err.message, "nothing was changed");
    CHECK_CONTAINS(err.message, "Room.score: the field was removed from the config");
    CHECK_CONTAINS(err.message, "ALTER TABLE \"rooms\" DROP COLUMN \"score\"");
    CHECK_CONTAINS(err.message, "Room.slug: the type changed from string to int");
    CHECK_CONTAINS(err.message, "Message.lang: a new required field without a default");
    CHECK_CONTAINS(err.message, "model Tag was removed from the config, but its table \"tags\" still exists (1 row)");
    close_version(&v);
    char *after = snapshot();
    CHECK(before && after && strcmp(before, after) == 0);
    free(after);

    /* a rebuild whose rows do not fit the new definition (titles longer than the new max) */
    char shorter[2048];
    const char *at = strstr(v3, "max = 40");
    snprintf(shorter, sizeof shorter, "%.*smax = 3%s", (int)(at - v3), v3, at + strlen("max = 40"));
    CHECK_STATUS(open_version(&v, shorter), SSOT_STORE_SCHEMA);
    CHECK_CONTAINS(err.message, "Room: the table \"rooms\" must be rebuilt for the new definition, but its rows do not "
                                "fit it: CHECK constraint failed");
    close_version(&v);
    after = snapshot();
    CHECK(before && after && strcmp(before, after) == 0);
    free(after);

    CHECK_STATUS(open_version(&v, tightened), SSOT_STORE_SCHEMA);
    CHECK_CONTAINS(err.message, "Room.score: changed from optional to required without a default");
    close_version(&v);
    after = snapshot();
    CHECK(before && after && strcmp(before, after) == 0);
    free(after);
    free(before);

    /* still opens with the version it has */
    CHECK_STATUS(open_version(&v, v3), SSOT_STORE_OK);
    CHECK_CONTAINS(get(&v, "Room", "1"), "\"title\":\"lobby\"");
    close_version(&v);
}

static void test_by_hand(void) {
    /* a column the user dropped by hand, and a table they dropped, are accepted */
    exec_by_hand("ALTER TABLE rooms DROP COLUMN score; DROP TABLE tags");
    const char *without =
        "name = 'migrate'\n"
        "models = {\n"
        "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 40, optional = true },\n"
        "    { 'topic', 'text', default = 'none' },\n"
        "    { 'isPrivate', 'bool', default = false }, { 'slug', 'string', unique = true, optional = true },\n"
        "    { 'createdAt', 'datetime', auto = 'create' } } },\n"
        "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' },\n"
        "    { 'replyToId', 'int', belongsTo = 'Message', optional = true } },\n"
        "    indexes = { { 'text' } } },\n"
        "}\n";
    version v;
    CHECK_STATUS(open_version(&v, without), SSOT_STORE_OK);
    CHECK_CONTAINS(get(&v, "Room", "1"), "\"title\":\"lobby\"");
    close_version(&v);
    char *now = snapshot();
    CHECK(now && !strstr(now, "Tag{"));
    free(now);
}

static void test_adopt(void) {
    /* a database made from schema.sql (no _ssot_schema) is adopted when it fits */
    remove_test_dir();
    make_test_dir("store-adopt");
    exec_by_hand("CREATE TABLE rooms (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, topic TEXT);"
                 "INSERT INTO rooms (title) VALUES ('kept');"
                 "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, roomId INTEGER NOT NULL, text TEXT NOT "
                 "NULL, extra TEXT NOT NULL);");
    version v;
    CHECK_STATUS(open_version(&v, v1), SSOT_STORE_SCHEMA); /* messages has a NOT NULL column ssot cannot fill */
    CHECK_CONTAINS(err.message, "NOT NULL column \"extra\"");
    close_version(&v);
    exec_by_hand("DROP TABLE messages");
    CHECK_STATUS(open_version(&v, v1), SSOT_STORE_OK);
    CHECK(strcmp(get(&v, "Room", "1"), "{\"id\":1,\"title\":\"kept\",\"topic\":null}") == 0);
    close_version(&v);
    exec_by_hand("DELETE FROM _ssot_schema WHERE model = 'Room'; ALTER TABLE rooms RENAME COLUMN topic TO subject");
    CHECK_STATUS(open_version(&v, v1), SSOT_STORE_SCHEMA);
    CHECK_CONTAINS(err.message, "Room.topic: the existing table \"rooms\" has no column \"topic\"");
    close_version(&v);
}

int main(void) {
    make_test_dir("store-migrate");
    test_additive();
    test_rebuild();
    test_refused();
    test_by_hand();
    test_adopt();
    return finish_tests();
}
