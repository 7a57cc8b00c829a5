/* The PostgreSQL store's first slice (src/runtime/store/store_pg.h) against a throwaway
 * PostgreSQL (tests/support/pg.sh; exits 77, skipped, when PostgreSQL is not installed): opening
 * the examples/chat config creates the tables and ssot's own with the expected columns, a
 * second open changes nothing, positions start at offset 0 with a random epoch; a removed
 * field is refused naming it, changing nothing; an added optional field and a new model are
 * accepted; two processes opening at once create the tables once; a refused connection is
 * UNAVAILABLE naming the socket, never the password. Uses test_store_pg_support.h (the server,
 * URLs of databases on it). */
#include "test_store_pg_support.h"

static ssot_store_error err;

/* The first value of sql's first row on database name ("" when none; "ERROR" on failure;
 * static buffer). */
static const char *value_of(const char *db, const char *sql) {
    static char out[8192];
    snprintf(out, sizeof out, "ERROR");
    PGconn *conn = PQconnectdb(url_of(db));
    if (PQstatus(conn) == CONNECTION_OK) {
        PGresult *r = PQexec(conn, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK)
            snprintf(out, sizeof out, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
        else if (PQresultStatus(r) == PGRES_COMMAND_OK)
            out[0] = '\0';
        else
            fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
        PQclear(r);
    } else {
        fprintf(stderr, "connecting: %s", PQerrorMessage(conn));
    }
    PQfinish(conn);
    return out;
}

/* Everything the sync could change in database db, as one string (malloc'd). */
static char *snapshot(const char *db) {
    return strdup(value_of(db, "SELECT concat_ws('|', (SELECT string_agg(model || definition || updated_at, ',' "
                               "ORDER BY model) FROM _ssot_schema), (SELECT string_agg(model || epoch || \"offset\", "
                               "',' ORDER BY model) FROM _ssot_streams), (SELECT string_agg(table_name || '.' || "
                               "column_name || data_type || is_nullable || coalesce(column_default, ''), ',' "
                               "ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema "
                               "= 'public'), (SELECT string_agg(indexname || indexdef, ',' ORDER BY indexname) FROM "
                               "pg_indexes WHERE schemaname = 'public'))"));
}

static ssot_app *load_path(ssot_host **host, const char *path) {
    *host = ssot_host_new(NULL);
    char message[2048];
    int status;
    ssot_app *app = ssot_ir_load_config(*host, path, &status, message, sizeof message);
    if (!app) {
        fprintf(stderr, "loading %s failed (%d): %s\n", path, status, message);
        exit(1);
    }
    return app;
}

static ssot_store_status open_pg(const ssot_app *app, const char *db, ssot_store **store) {
    ssot_pg_options options = {.conninfo = url_of(db)};
    return ssot_store_pg_open(app, &options, store, &err);
}

static void test_chat(void) {
    char path[1200];
    snprintf(path, sizeof path, "%s/examples/chat/config.lua", getenv("SSOT_SOURCE_DIR"));
    ssot_host *host;
    ssot_app *app = load_path(&host, path);
    ssot_store *store = NULL;
    CHECK_STATUS(open_pg(app, "ssot", &store), SSOT_STORE_OK);
    if (!store) goto done;
    CHECK(strcmp(store->ops->name, "postgres") == 0);
    ssot_stream_position first[64];
    for (size_t i = 0; i < app->nmodels && i < 64; i++) {
        CHECK_STATUS(ssot_store_position(store, &app->models[i], &first[i], &err), SSOT_STORE_OK);
        CHECK(first[i].offset == 0 && strlen(first[i].epoch) == 32 &&
              strspn(first[i].epoch, "0123456789abcdef") == 32);
        if (i > 0) CHECK(strcmp(first[i].epoch, first[0].epoch) != 0);
    }
    ssot_store_close(store);

    /* ssot's tables with the SQLite store's columns, and every model's table with a column per field */
    CHECK(strcmp(value_of("ssot", "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) "
                                  "FROM information_schema.columns WHERE table_name = '_ssot_schema'"),
                 "model:text,table:text,definition:text,updated_at:text") == 0);
    CHECK(strcmp(value_of("ssot", "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) "
                                  "FROM information_schema.columns WHERE table_name = '_ssot_streams'"),
                 "model:text,epoch:text,offset:bigint") == 0);
    CHECK(strcmp(value_of("ssot", "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) "
                                  "FROM information_schema.columns WHERE table_name = '_ssot_changes'"),
                 "model:text,offset:bigint,event:text,row_id:text,owner:text,data:text,at:text,previous_owner:text,"
                 "previous:text") == 0);
    for (size_t i = 0; i < app->nmodels; i++) {
        const ssot_model *m = &app->models[i];
        for (size_t k = 0; k < m->nfields; k++) {
            char sql[512];
            snprintf(sql, sizeof sql, "SELECT count(*) FROM information_schema.columns WHERE table_name = '%s' AND "
                                      "column_name = '%s'", m->table, m->fields[k].column);
            const char *n = value_of("ssot", sql);
            if (strcmp(n, "1") != 0) fprintf(stderr, "no column %s.%s\n", m->table, m->fields[k].column);
            CHECK(strcmp(n, "1") == 0);
        }
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM _ssot_schema WHERE model = '%s' AND \"table\" = '%s' AND "
                                  "definition::jsonb ? 'fields'", m->name, m->table);
        CHECK(strcmp(value_of("ssot", sql), "1") == 0);
    }
    char n[32];
    snprintf(n, sizeof n, "%zu", app->nmodels);
    CHECK(strcmp(value_of("ssot", "SELECT count(*) FROM _ssot_schema"), n) == 0);
    CHECK(strcmp(value_of("ssot", "SELECT count(*) FROM _ssot_streams"), n) == 0);

    /* a second open changes nothing and reads the same positions */
    char *before = snapshot("ssot");
    CHECK_STATUS(open_pg(app, "ssot", &store), SSOT_STORE_OK);
    if (store) {
        for (size_t i = 0; i < app->nmodels && i < 64; i++) {
            ssot_stream_position pos;
            CHECK_STATUS(ssot_store_position(store, &app->models[i], &pos, &err), SSOT_STORE_OK);
            CHECK(pos.offset == 0 && strcmp(pos.epoch, first[i].epoch) == 0);
        }
        ssot_store_close(store);
    }
    char *after = snapshot("ssot");
    CHECK(strcmp(before, "ERROR") != 0 && strcmp(before, after) == 0);
    free(before);
    free(after);
done:
    ssot_app_free(app);
    ssot_host_free(host);
}

static const char *const v1 =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 20 }, { 'topic', 'text', optional = true } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' } } },\n"
    "}\n";

/* v1 without Room.topic */
static const char *const removed =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 20 } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' } } },\n"
    "}\n";

/* v1 plus optional fields (one a foreign key to the new model), a field with a default and a model */
static const char *const v2 =
    "name = 'migrate'\n"
    "models = {\n"
    "  Room = { fields = { { 'id', 'id' }, { 'title', 'string', max = 20 }, { 'topic', 'text', optional = true },\n"
    "    { 'isPrivate', 'bool', default = false }, { 'tagId', 'int', belongsTo = 'Tag', optional = true } } },\n"
    "  Message = { fields = { { 'id', 'id' }, { 'roomId', 'int', belongsTo = 'Room' }, { 'text', 'string' },\n"
    "    { 'lang', 'string', optional = true } } },\n"
    "  Tag = { fields = { { 'id', 'id' }, { 'label', 'string' } } },\n"
    "}\n";

static void open_config(const char *db, const char *config, ssot_store_status expected) {
    ssot_host *host;
    ssot_app *app = load_app(&host, config);
    ssot_store *store = NULL;
    CHECK_STATUS(open_pg(app, db, &store), expected);
    if (store) ssot_store_close(store);
    ssot_app_free(app);
    ssot_host_free(host);
}

static void test_migrate(void) {
    CHECK(strcmp(value_of("ssot", "CREATE DATABASE mig"), "") == 0);
    open_config("mig", v1, SSOT_STORE_OK);
    CHECK(strcmp(value_of("mig", "INSERT INTO \"rooms\" (title, topic) VALUES ('a', 'b')"), "") == 0);

    char *before = snapshot("mig");
    open_config("mig", removed, SSOT_STORE_SCHEMA);
    CHECK_CONTAINS(err.message, "Room.topic: the field was removed from the config");
    CHECK_CONTAINS(err.message, "the column \"topic\" of \"rooms\" still holds its data (1 row)");
    CHECK_CONTAINS(err.message, "the database \"mig\" on socket /tmp/ssot-pgstore-");
    CHECK_CONTAINS(err.message, "nothing was changed");
    char *after = snapshot("mig");
    CHECK(strcmp(before, after) == 0);
    free(before);
    free(after);

    open_config("mig", v2, SSOT_STORE_OK);
    CHECK(strcmp(value_of("mig", "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                                 "information_schema.columns WHERE table_name = 'rooms'"),
                 "id,title,topic,isPrivate,tagId") == 0);
    CHECK(strcmp(value_of("mig", "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                                 "information_schema.columns WHERE table_name = 'tags'"), "id,label") == 0);
    CHECK(strcmp(value_of("mig", "SELECT \"isPrivate\"::text || title || topic FROM \"rooms\""), "falseab") == 0);
    CHECK(strcmp(value_of("mig", "SELECT count(*) FROM information_schema.table_constraints WHERE table_name = 'rooms' "
                                 "AND constraint_type = 'FOREIGN KEY'"), "1") == 0);
    CHECK(strcmp(value_of("mig", "SELECT count(*) FROM _ssot_schema"), "3") == 0);
    CHECK(strcmp(value_of("mig", "SELECT count(*) FROM _ssot_schema WHERE definition LIKE '%isPrivate%'"), "1") == 0);
    before = snapshot("mig");
    open_config("mig", v2, SSOT_STORE_OK);
    after = snapshot("mig");
    CHECK(strcmp(before, after) == 0);
    free(before);
    free(after);
}

/* Two processes open a new database at once: both succeed, and one transaction made every
 * table and record (the same xmin everywhere), the other changed nothing. */
static void test_race(void) {
    CHECK(strcmp(value_of("ssot", "CREATE DATABASE race"), "") == 0);
    ssot_host *host;
    ssot_app *app = load_app(&host, v2);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            ssot_store *store = NULL;
            ssot_store_status st = open_pg(app, "race", &store);
            if (st != SSOT_STORE_OK) fprintf(stderr, "child %d: %s\n", i, err.message);
            if (store) ssot_store_close(store);
            _exit(st == SSOT_STORE_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < 2; i++) {
        int status = -1;
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK(strcmp(value_of("race", "SELECT count(*) FROM _ssot_schema"), "3") == 0);
    CHECK(strcmp(value_of("race", "SELECT count(*) FROM _ssot_streams"), "3") == 0);
    CHECK(strcmp(value_of("race", "SELECT count(DISTINCT x) FROM (SELECT xmin::text AS x FROM _ssot_schema UNION ALL "
                                  "SELECT xmin::text FROM _ssot_streams UNION ALL SELECT xmin::text FROM pg_class "
                                  "WHERE relname IN ('rooms', 'messages', 'tags', '_ssot_schema', '_ssot_streams', "
                                  "'_ssot_changes')) t"), "1") == 0);
    ssot_app_free(app);
    ssot_host_free(host);
}

/* A refused connection: UNAVAILABLE, naming the socket and not the password. */
static void test_unavailable(void) {
    ssot_host *host;
    ssot_app *app = load_app(&host, v1);
    ssot_store *store = NULL;
    ssot_pg_options options = {.conninfo = "postgresql://someone:sekret-pw@/ssot?host=/nonexistent-ssot-dir"};
    CHECK_STATUS(ssot_store_pg_open(app, &options, &store, &err), SSOT_STORE_UNAVAILABLE);
    CHECK(store == NULL);
    CHECK_CONTAINS(err.message, "socket /nonexistent-ssot-dir");
    CHECK(strstr(err.message, "sekret") == NULL);
    ssot_app_free(app);
    ssot_host_free(host);
}

int main(void) {
    int started = start_pg("pgstore");
    if (started != 0) return started;
    make_test_dir("pgstore");
    test_chat();
    test_migrate();
    test_race();
    test_unavailable();
    stop_pg();
    return finish_tests();
}
