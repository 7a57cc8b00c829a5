/* What happens to a REST write after the store said OK: the change goes to the fan-out and
 * the after-hook runs — at once, or, with group commit, once the batch the write belongs to
 * has committed (the changes at the COMMIT, in commit order; the response is held until then:
 * a write is acknowledged only after its COMMIT). Writes of one pass of the event loop share a batch; a read ends the batch first,
 * so no reader sees an uncommitted row. Uses the store's batch_begin/batch_end, hooks.c,
 * the fan-out. */
#include "runtime/rest/rest.h"

#include "runtime/lua/hooks.h"
#include "runtime/http/http_response.h"

#include "host/log.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A write waiting for its batch's commit: copies of what the fan-out and the after-hook need
 * (the store's change is only valid until its next call). */
struct ssot_pending_write {
    ssot_pending_write *next; /* the open batch's writes */
    const ssot_model *model;
    ssot_hook after;
    int committed;            /* -1 waiting, 0 the batch failed, 1 committed */
    ssot_store_status failure_status; /* why the batch failed */
    char failure[512];
    ssot_user user;
    char request_id[SSOT_REQUEST_ID_SIZE];
    char id[SSOT_ID_TEXT_SIZE + 8];
    ssot_publish_queue publications; /* what its request published (ssot.publish) */
    ssot_change change;       /* row, previous (json, id, owner) and at point into text */
    char text[];
};

/* Logs a failure of work done after the commit; answers 500 when there is still a client. */
static void fail_after(const char *request_id, const ssot_request *req, ssot_response *resp, const char *what,
                       const char *detail) {
    if (req && resp) {
        ssot_service_fail(resp, req, what, detail);
        return;
    }
    ssot_logf(SSOT_LOG_ERROR, "request %s (connection gone): %s failed:\n%s", request_id, what, detail);
}

/* Runs the model's after-hook of a committed change. Returns 0, or -1 when it failed. */
static int run_after_hook(ssot_service *svc, const ssot_model *model, ssot_hook after, const ssot_change *change,
                           const ssot_user *user, const char *request_id, const char *id, const ssot_request *req,
                           ssot_response *resp) {
    if (!ssot_hooks_has(model, after)) return 0;
    ssot_hook_context ctx = {.model = model, .user = user, .request_id = request_id, .id = id};
    ssot_hook_result result;
    if (ssot_hooks_run_after(svc->L, after, &ctx, change->row.json, change->row.json_len, &result) == SSOT_HOOK_OK)
        return 0;
    char what[256];
    snprintf(what, sizeof what, "the %s hook of %s (the %s %s was %s and stays so)", ssot_hook_name(after), model->name,
             model->name, change->row.id ? change->row.id : "", ssot_event_name(change->kind));
    fail_after(request_id, req, resp, what, result.message);
    return -1;
}

void ssot_rest_after_commit(ssot_service *svc, const ssot_model *model, ssot_hook after, const ssot_change *change,
                            const ssot_user *user, const char *request_id, const char *id, const ssot_request *req,
                            ssot_response *resp) {
    ssot_fanout_publish_change(svc->fanout, change);
    run_after_hook(svc, model, after, change, user, request_id, id, req, resp);
}

void ssot_rest_keep_publications(ssot_pending_write *pw, ssot_publish_queue *publications) {
    ssot_publish_move(&pw->publications, publications);
}

int ssot_rest_batch_open(ssot_service *svc) {
    if (!svc->group_commit || !ssot_store_can_batch(svc->store)) return 0;
    if (svc->batch_open) return 1;
    ssot_store_error err;
    if (ssot_store_batch_begin(svc->store, &err) != SSOT_STORE_OK) return 0;
    svc->batch_open = 1;
    return 1;
}

ssot_store_status ssot_rest_settle(ssot_service *svc) {
    if (!svc->batch_open) return SSOT_STORE_OK;
    ssot_store_error err;
    err.message[0] = '\0';
    ssot_store_status status = ssot_store_batch_end(svc->store, &err);
    svc->batch_open = 0;
    /* the list is newest first: reversed, it is in commit order, the order events go out in
     * (at the commit, whoever's response is finished first: docs/protocol.md "Events") */
    ssot_pending_write *in_order = NULL;
    while (svc->pending) {
        ssot_pending_write *pw = svc->pending;
        svc->pending = pw->next;
        pw->next = in_order;
        in_order = pw;
    }
    for (ssot_pending_write *pw = in_order; pw; pw = pw->next) {
        if (status == SSOT_STORE_OK) ssot_fanout_publish_change(svc->fanout, &pw->change);
        pw->committed = status == SSOT_STORE_OK;
        /* The store's message can be longer than the slot: keep its start. */
        pw->failure_status = status;
        if (status != SSOT_STORE_OK)
            snprintf(pw->failure, sizeof pw->failure, "%.*s", (int)sizeof pw->failure - 1, err.message);
    }
    svc->pending = NULL;
    if (status != SSOT_STORE_OK) ssot_logf(SSOT_LOG_ERROR, "a group commit failed: %s", err.message);
    return status;
}

/* Copies s into the record's text at *at. */
static const char *keep(ssot_pending_write *pw, size_t *at, const char *s, size_t n) {
    if (!s) return NULL;
    char *copy = pw->text + *at;
    memcpy(copy, s, n);
    copy[n] = '\0';
    *at += n + 1;
    return copy;
}

int ssot_rest_hold(ssot_service *svc, const ssot_model *model, ssot_hook after, const ssot_change *change,
                   const ssot_request *req, const char *id, ssot_response *resp) {
    const ssot_row_view *row = &change->row, *before = &change->previous;
    size_t json_len = row->json_len, id_len = row->id ? strlen(row->id) : 0;
    size_t owner_len = row->owner ? strlen(row->owner) : 0, at_len = change->at ? strlen(change->at) : 0;
    /* an update's row before it, which the gateway needs after the commit as much as the row */
    size_t before_len = before->json ? before->json_len : 0, before_id_len = before->id ? strlen(before->id) : 0;
    size_t before_owner_len = before->owner ? strlen(before->owner) : 0;
    ssot_pending_write *pw = malloc(sizeof *pw + json_len + id_len + owner_len + at_len + before_len + before_id_len +
                                    before_owner_len + 7);
    if (!pw) return -1;
    memset(&pw->publications, 0, sizeof pw->publications);
    pw->model = model;
    pw->after = after;
    pw->committed = -1;
    pw->failure[0] = '\0';
    pw->user = req->user;
    snprintf(pw->request_id, sizeof pw->request_id, "%s", req->id);
    snprintf(pw->id, sizeof pw->id, "%s", id ? id : "");
    pw->change = *change;
    size_t at = 0;
    pw->change.row.json = keep(pw, &at, row->json, json_len);
    pw->change.row.id = keep(pw, &at, row->id, id_len);
    pw->change.row.owner = keep(pw, &at, row->owner, owner_len);
    pw->change.at = keep(pw, &at, change->at, at_len);
    pw->change.previous.json = keep(pw, &at, before->json, before_len);
    pw->change.previous.json_len = before_len;
    pw->change.previous.id = keep(pw, &at, before->id, before_id_len);
    pw->change.previous.owner = keep(pw, &at, before->owner, before_owner_len);
    pw->next = svc->pending;
    svc->pending = pw;
    resp->held = pw;
    return 0;
}

void ssot_rest_finish(ssot_service *svc, ssot_pending_write *pw, const ssot_request *req, ssot_response *resp) {
    if (pw->committed < 0) ssot_rest_settle(svc); /* not committed yet (settle not called): commit now */
    if (resp) resp->held = NULL;
    if (pw->committed == 1) { /* its event went out at the commit (ssot_rest_settle) */
        ssot_publish_queue *outer = svc->publishing;
        svc->publishing = &pw->publications; /* the after-hook may publish too */
        int failed = run_after_hook(svc, pw->model, pw->after, &pw->change, &pw->user, pw->request_id,
                                    pw->id[0] ? pw->id : NULL, req, resp);
        svc->publishing = outer;
        if (failed) ssot_publish_drop(&pw->publications);
        else ssot_publish_flush(&pw->publications, svc->fanout);
    } else if (req && resp) { /* answered as any failed write: 507 for a full disk, 503, or 500 */
        ssot_store_error err = {.status = pw->failure_status, .field = NULL};
        snprintf(err.message, sizeof err.message, "%s", pw->failure);
        ssot_rest_store_error(pw->model, &err, req, resp);
    } else {
        char what[160];
        snprintf(what, sizeof what, "committing the %s write", pw->model->name);
        fail_after(pw->request_id, req, resp, what, pw->failure);
    }
    ssot_publish_drop(&pw->publications);
    free(pw);
}
