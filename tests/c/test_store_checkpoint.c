/* Tests of the SQLite store's checkpointer thread (store_sqlite_checkpoint.c): SQLite's own
 * automatic checkpoint is off, so without the thread the WAL would grow to sixteen times the
 * threshold before a commit checkpoints in place; with it the WAL starts over once the thread
 * (and a commit, for the last few frames) have copied it into the database, and stays within
 * a few times the threshold however much is written. Every row survives, and closing the
 * store (thread stopped, last connection checkpoints) leaves no WAL behind. */
#include "test_store_support.h"

#include "runtime/store/store_sqlite.h"

#include <sqlite3.h>
#include <sys/stat.h>

#define THRESHOLD 200 /* pages; the default is 1000 */

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(void) {
    make_test_dir("store-checkpoint");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    ssot_store *store;
    ssot_store_error err;
    char db[256], wal[280];
    snprintf(db, sizeof db, "%s/test.db", test_dir);
    ssot_sqlite_options options = {.path = db, .checkpoint_pages = THRESHOLD};
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &store, &err), SSOT_STORE_OK);
    snprintf(wal, sizeof wal, "%s-wal", db);
    const ssot_model *item = ssot_app_model(app, "Item");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;

    /* about 2,000 pages of rows (a 2,000-character note each: half a page), committed one by
     * one, pausing now and then until the checkpointer thread has done what it was asked (on
     * a loaded machine it might otherwise not run at all, and the WAL would grow to where a
     * commit checkpoints in place) */
    char body[2200];
    char note[2001];
    memset(note, 'n', 2000);
    note[2000] = '\0';
    const int rows = 4000;
    long long largest_wal = 0;
    for (int i = 0; i < rows; i++) {
        snprintf(body, sizeof body, "{\"title\":\"item %d\",\"notes\":\"%s\"}", i, note);
        json_t *json = parse(body);
        ssot_buf_reset(&out);
        ssot_store_status status = ssot_store_create(store, item, json, &out, &change, &err);
        json_decref(json);
        if (status != SSOT_STORE_OK) {
            CHECK_STATUS(status, SSOT_STORE_OK);
            break;
        }
        if (i % 20 == 19) {
            sq_checkpointer_wait((sqlite_store *)store);
            long long size = file_size(wal);
            if (size > largest_wal) largest_wal = size;
        }
    }
    /* without the thread the WAL would reach 16 x THRESHOLD pages (each page a frame of 4096
     * bytes and a 24-byte header) */
    printf("largest WAL: %lld bytes (%d-page threshold)\n", largest_wal, THRESHOLD);
    CHECK(largest_wal > 0);
    CHECK(largest_wal < 12LL * THRESHOLD * 4120);

    CHECK(count_rows(db, "SELECT count(*) FROM items") == rows);

    ssot_buf_free(&out);
    ssot_store_close(store);
    CHECK(file_size(wal) == -1); /* the last connection checkpointed and removed the WAL */
    ssot_app_free(app);
    ssot_host_free(host);
    remove_test_dir();
    return finish_tests();
}
