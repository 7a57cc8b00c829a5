/* The REST handlers of docs/rest.md for one model route: list and get (rest_read.c),
 * create, update and delete (rest_write.c), gluing together the token (auth_jwt.c), the
 * permission rules (rules.c), the hooks (hooks.c), body and query checks (body.c, query.c),
 * the store and the fan-out. rest.c holds what they share. Uses service.h. */
#ifndef SSOT_RUNTIME_REST_H
#define SSOT_RUNTIME_REST_H

#include "runtime/rest/router.h"
#include "runtime/rest/service.h"

/* Answers a request routed to a model (match kind COLLECTION or ITEM, method allowed). */
void ssot_rest_handle(ssot_service *svc, const ssot_route_match *match, ssot_request *req, ssot_response *resp);

/* Verifies the request's token — "Authorization: Bearer <jwt>", or ?token=<jwt> — into
 * req->user (anonymous without one). Returns 0, or -1 after answering 401 for a token that
 * is not valid (a bad token is never treated as no token). */
int ssot_rest_authenticate(ssot_service *svc, ssot_request *req, ssot_response *resp);

/* --- shared by rest_read.c and rest_write.c --------------------------------------------- */

/* Answers that rule refuses the action: 401 when the caller is anonymous and signing in could
 * help, else 403, naming the model, the action and the rule. */
void ssot_rest_deny(const ssot_model *model, ssot_action action, const ssot_rule *rule, const ssot_request *req,
                    ssot_response *resp);

/* Answers a store failure with the matching status (404, 409, 400, 503, 500). */
void ssot_rest_store_error(const ssot_model *model, const ssot_store_error *err, const ssot_request *req,
                           ssot_response *resp);

/* Reduces the rule of action for req->user into filter (expression rules) or a per-row
 * callback (Lua-function rules; see rest_read.c). Returns 1 when nothing can pass (the
 * caller denies), 0 when filter is ready, -1 after answering 500. */
int ssot_rest_row_filter(ssot_service *svc, const ssot_model *model, ssot_action action, ssot_request *req,
                         ssot_response *resp, ssot_row_filter *filter, void *callback_ctx);

/* The context of the Lua-function row callback of ssot_rest_row_filter. */
typedef struct ssot_rest_rule_ctx {
    ssot_service *svc;
    const ssot_rule *rule;
    const ssot_user *user;
    int failed;          /* the function raised an error */
    char message[4096];  /* its error and traceback */
} ssot_rest_rule_ctx;

/* The row callback for Lua-function rules (ssot_row_visible_fn). */
int ssot_rest_rule_visible(void *ctx, const ssot_row_view *row, char *message, size_t message_size);

/* --- after a write (rest_commit.c) ---------------------------------------------------- */

/* Hands a committed change to the fan-out and runs the model's after-hook; a failing hook
 * answers 500 (when req and resp are not NULL) and is logged under request_id. */
void ssot_rest_after_commit(ssot_service *svc, const ssot_model *model, ssot_hook after, const ssot_change *change,
                            const ssot_user *user, const char *request_id, const char *id, const ssot_request *req,
                            ssot_response *resp);

/* Group commit. Before a write: joins (or opens) the store's batch; returns 1 when the write
 * is batched, 0 when it commits on its own (no group commit, or a store without batches). */
int ssot_rest_batch_open(ssot_service *svc);

/* After a batched write returned OK: keeps what the fan-out and the after-hook need and
 * holds resp (resp->held) until the batch commits. Returns -1 when memory runs out. */
int ssot_rest_hold(ssot_service *svc, const ssot_model *model, ssot_hook after, const ssot_change *change,
                   const ssot_request *req, const char *id, ssot_response *resp);

/* Moves what the held write's request published (ssot.publish) into it, to go out once the
 * write committed and its after-hook succeeded. */
void ssot_rest_keep_publications(ssot_pending_write *pw, ssot_publish_queue *publications);

/* Ends the open batch (COMMIT), hands its changes to the fan-out in commit order and records
 * the outcome in its held writes. */
ssot_store_status ssot_rest_settle(ssot_service *svc);

/* The held write pw after the commit: its after-hook (its event went out at the commit), or
 * a 500 when the batch failed; req and resp are NULL when the client went away. Frees pw. */
void ssot_rest_finish(ssot_service *svc, ssot_pending_write *pw, const ssot_request *req, ssot_response *resp);

#endif
