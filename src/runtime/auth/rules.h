/* Permission rules at run time (docs/ir.md "Rules", docs/auth.md): evaluating a
 * model's rule for a user and a row, reducing an expression rule for one user to the row
 * filter the store runs in SQL (list), and calling Lua-function rules. Uses model.h,
 * query.h (ssot_pred), model/user.h (ssot_user), lua_bridge.h. */
#ifndef SSOT_RUNTIME_RULES_H
#define SSOT_RUNTIME_RULES_H

#include "runtime/model/user.h"
#include "runtime/model/model.h"
#include "runtime/model/query.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Predicate nodes for one request: blocks that never move (nodes point at each other),
 * reused across requests. A zeroed pool is empty and ready. */
typedef struct ssot_pred_block ssot_pred_block;
typedef struct ssot_pred_pool {
    ssot_pred_block *blocks; /* the current block first */
} ssot_pred_pool;

void ssot_pred_pool_reset(ssot_pred_pool *pool);
void ssot_pred_pool_free(ssot_pred_pool *pool);

/* Partially evaluates ast for user: authenticated and isAdmin become constants, isOwner
 * becomes "owner = user id" (FALSE for an anonymous user), and constants are folded away.
 * The result is a TRUE or FALSE node, or a predicate over the owner only. NULL when memory
 * runs out. */
const ssot_pred *ssot_rule_reduce(const ssot_rule_node *ast, const ssot_user *user, ssot_pred_pool *pool);

/* Whether ast lets user act on a row whose owner value is owner (text; NULL when the row
 * has none or the model has no owner field). Same answers as reducing then matching. */
bool ssot_rule_allows(const ssot_rule_node *ast, const ssot_user *user, const char *owner);

/* Whether some signed-in user could pass ast (as admin or not, owning the row or not):
 * tells a 401 (signing in may help) from a 403 (it will not) for an anonymous caller. */
bool ssot_rule_satisfiable_when_signed_in(const ssot_rule_node *ast);

/* Calls a Lua-function rule fn(user, row) in L. The row is given as JSON text (row_json, n
 * bytes) or as a jansson value (row_value), whichever is not NULL (both NULL: row is nil).
 * Returns 1 (allowed: the function returned exactly true), 0 (denied), or -1 when the
 * function raised an error: message gets the error and its traceback. */
int ssot_rule_call(lua_State *L, const ssot_rule *rule, const ssot_user *user, const char *row_json, size_t n,
                   const json_t *row_value, char *message, size_t message_size);

#endif
