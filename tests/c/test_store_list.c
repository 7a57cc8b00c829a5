/* Tests of list queries end to end on the SQLite store: parameters parsed by query.c,
 * compiled and run by the store — the cases of store_list_cases.h (shared with the
 * PostgreSQL store's test), on rows made through the store's own create. */
#include "store_list_cases.h"

static void seed(const ssot_app *app) {
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    for (size_t i = 0; store_list_seed_users[i]; i++) {
        json_t *body = parse(store_list_seed_users[i]);
        CHECK_STATUS(ssot_store_create(store, ssot_app_model(app, "User"), body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
    }
    for (size_t i = 0; store_list_seed_items[i]; i++) {
        json_t *body = parse(store_list_seed_items[i]);
        CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
    }
    ssot_buf_free(&out);
}

int main(void) {
    make_test_dir("store-list");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    item = ssot_app_model(app, "Item");
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    if (store) {
        seed(app);
        run_store_list_cases();
        ssot_store_close(store);
    }
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
