/* Tests of held writes (rest_commit.c, group commit): a write held until its batch commits
 * keeps its own copy of the change — the row, and for an update the row before it
 * (previous) — so the fan-out gets both after the COMMIT although later writes of the batch
 * reused the store's buffers. Runs the service's hold / settle / finish over the SQLite store
 * with a fan-out that records what it is given. */
#include "test_store_support.h"

#include "runtime/rest/rest.h"

static ssot_store_error err;

/* What the fan-out was given for one change. */
typedef struct published {
    ssot_event_kind kind;
    int64_t offset;
    char row[512], previous[512], previous_id[SSOT_ID_TEXT_SIZE], previous_owner[16];
    int has_previous, previous_id_null, previous_owner_null;
} published;

typedef struct recording_fanout {
    ssot_fanout base;
    int count;
    published changes[8];
} recording_fanout;

static void copy_text(char *to, size_t size, const char *text, size_t n) {
    snprintf(to, size, "%.*s", (int)n, text ? text : "");
}

static void record_change(ssot_fanout *fanout, const ssot_change *change) {
    recording_fanout *f = (recording_fanout *)fanout;
    if (f->count >= 8) return;
    published *p = &f->changes[f->count++];
    p->kind = change->kind;
    p->offset = change->offset;
    copy_text(p->row, sizeof p->row, change->row.json, change->row.json_len);
    p->has_previous = change->previous.json != NULL;
    copy_text(p->previous, sizeof p->previous, change->previous.json, change->previous.json_len);
    p->previous_id_null = change->previous.id == NULL;
    copy_text(p->previous_id, sizeof p->previous_id, change->previous.id,
              change->previous.id ? strlen(change->previous.id) : 0);
    p->previous_owner_null = change->previous.owner == NULL;
    copy_text(p->previous_owner, sizeof p->previous_owner, change->previous.owner,
              change->previous.owner ? strlen(change->previous.owner) : 0);
}

/* Only publish_change is called here: custom events and close stay NULL. */
static const ssot_fanout_ops recording_ops = {
    .name = "recording",
    .publish_change = record_change,
};

int main(void) {
    make_test_dir("rest-hold");
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    ssot_store *store = NULL;
    CHECK_STATUS(open_store(app, &store, &err), SSOT_STORE_OK);
    if (!store) return 1;
    const ssot_model *user = ssot_app_model(app, "User"), *item = ssot_app_model(app, "Item");
    recording_fanout fanout = {.base = {.ops = &recording_ops}};
    ssot_service svc = {.app = app, .store = store, .fanout = &fanout.base, .group_commit = 1};
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;

    /* the rows the batch will change, committed before it */
    const char *setup[] = {"{\"name\":\"ann\"}", "{\"name\":\"bob\"}"};
    for (int i = 0; i < 2; i++) {
        json_t *body = parse(setup[i]);
        CHECK_STATUS(ssot_store_create(store, user, body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
    }
    char first[512], second[512];
    const char *items[] = {"{\"title\":\"first\",\"ownerId\":1}", "{\"title\":\"second\",\"ownerId\":2}"};
    char *rows[] = {first, second};
    for (int i = 0; i < 2; i++) {
        json_t *body = parse(items[i]);
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
        snprintf(rows[i], 512, "%s", ssot_buf_cstr(&out));
    }

    /* one batch: an update of each item and a create, each held until the commit */
    CHECK(ssot_rest_batch_open(&svc) == 1);
    ssot_request reqs[3];
    ssot_response resps[3];
    memset(reqs, 0, sizeof reqs);
    memset(resps, 0, sizeof resps);
    const char *ids[] = {"1", "2"};
    const char *patches[] = {"{\"title\":\"first 2\",\"ownerId\":2}", "{\"title\":\"second 2\"}"};
    for (int i = 0; i < 2; i++) {
        json_t *patch = parse(patches[i]);
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_update(store, item, ids[i], 1, patch, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                     SSOT_STORE_OK);
        json_decref(patch);
        snprintf(reqs[i].id, sizeof reqs[i].id, "req-%d", i);
        CHECK(ssot_rest_hold(&svc, item, SSOT_HOOK_AFTER_UPDATE, &change, &reqs[i], ids[i], &resps[i]) == 0);
        CHECK(resps[i].held != NULL);
    }
    json_t *body = parse("{\"title\":\"third\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);
    snprintf(reqs[2].id, sizeof reqs[2].id, "req-2");
    CHECK(ssot_rest_hold(&svc, item, SSOT_HOOK_AFTER_CREATE, &change, &reqs[2], NULL, &resps[2]) == 0);
    ssot_buf_reset(&out); /* the store's and the caller's buffers move on */
    CHECK(fanout.count == 0); /* nothing leaves before the commit */

    CHECK_STATUS(ssot_rest_settle(&svc), SSOT_STORE_OK);
    for (int i = 0; i < 3; i++)
        if (resps[i].held) ssot_rest_finish(&svc, resps[i].held, NULL, NULL);

    CHECK(fanout.count == 3);
    if (fanout.count == 3) {
        published *p = fanout.changes;
        CHECK(p[0].kind == SSOT_EVENT_UPDATED && p[0].has_previous && strcmp(p[0].previous, first) == 0);
        CHECK(strcmp(p[0].previous_id, "1") == 0 && strcmp(p[0].previous_owner, "1") == 0);
        CHECK_CONTAINS(p[0].row, "first 2");
        CHECK(p[1].kind == SSOT_EVENT_UPDATED && p[1].has_previous && strcmp(p[1].previous, second) == 0);
        CHECK(strcmp(p[1].previous_id, "2") == 0 && strcmp(p[1].previous_owner, "2") == 0);
        CHECK_CONTAINS(p[1].row, "second 2");
        CHECK(p[2].kind == SSOT_EVENT_CREATED && !p[2].has_previous && p[2].previous_id_null &&
              p[2].previous_owner_null);
        CHECK_CONTAINS(p[2].row, "third");
        CHECK(p[0].offset + 1 == p[1].offset && p[1].offset + 1 == p[2].offset);
    }

    ssot_buf_free(&out);
    ssot_store_close(store);
    ssot_app_free(app);
    ssot_host_free(host);
    return finish_tests();
}
