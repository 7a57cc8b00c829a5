/* Permission rules at run time (rules.h): evaluation, partial evaluation into row filters,
 * and Lua-function rules. Uses query.h's predicates and lua_bridge.c for Lua calls. */
#include "runtime/auth/rules.h"

#include "runtime/lua/lua_bridge.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static const ssot_pred pred_true = {SSOT_PRED_TRUE, NULL, NULL, NULL};
static const ssot_pred pred_false = {SSOT_PRED_FALSE, NULL, NULL, NULL};

struct ssot_pred_block {
    ssot_pred_block *next;
    size_t used, cap;
    ssot_pred nodes[];
};

/* Keeps the first (largest-needed-so-far) block; later ones were one-offs. */
void ssot_pred_pool_reset(ssot_pred_pool *pool) {
    ssot_pred_block *block = pool->blocks;
    if (!block) return;
    ssot_pred_block *rest = block->next;
    while (rest) {
        ssot_pred_block *next = rest->next;
        free(rest);
        rest = next;
    }
    block->next = NULL;
    block->used = 0;
}

void ssot_pred_pool_free(ssot_pred_pool *pool) {
    ssot_pred_pool_reset(pool);
    free(pool->blocks);
    pool->blocks = NULL;
}

static size_t count_nodes(const ssot_rule_node *node) {
    if (!node) return 0;
    return 1 + count_nodes(node->left) + count_nodes(node->right);
}

/* Makes room for n more nodes in the current block, starting a new block when needed. */
static int pool_reserve(ssot_pred_pool *pool, size_t n) {
    ssot_pred_block *block = pool->blocks;
    if (block && block->cap - block->used >= n) return 0;
    size_t cap = n < 64 ? 64 : n;
    ssot_pred_block *fresh = malloc(sizeof *fresh + cap * sizeof(ssot_pred));
    if (!fresh) return -1;
    fresh->used = 0;
    fresh->cap = cap;
    fresh->next = block;
    pool->blocks = fresh;
    return 0;
}

static const ssot_pred *make(ssot_pred_pool *pool, ssot_pred_op op, const ssot_pred *left, const ssot_pred *right,
                             const char *value) {
    ssot_pred_block *block = pool->blocks;
    ssot_pred *node = &block->nodes[block->used++];
    node->op = op;
    node->left = left;
    node->right = right;
    node->value = value;
    return node;
}

static const ssot_pred *constant(bool value) { return value ? &pred_true : &pred_false; }

static const ssot_pred *reduce(const ssot_rule_node *node, const ssot_user *user, ssot_pred_pool *pool) {
    switch (node->op) {
    case SSOT_RULE_TRUE: return &pred_true;
    case SSOT_RULE_FALSE: return &pred_false;
    case SSOT_RULE_AUTHENTICATED: return constant(user->authenticated);
    case SSOT_RULE_IS_ADMIN: return constant(user->authenticated && user->is_admin);
    case SSOT_RULE_IS_OWNER:
        return user->authenticated ? make(pool, SSOT_PRED_OWNER_EQ, NULL, NULL, user->id) : &pred_false;
    case SSOT_RULE_NOT: {
        const ssot_pred *operand = reduce(node->left, user, pool);
        switch (operand->op) {
        case SSOT_PRED_TRUE: return &pred_false;
        case SSOT_PRED_FALSE: return &pred_true;
        case SSOT_PRED_OWNER_EQ: return make(pool, SSOT_PRED_OWNER_NE, NULL, NULL, operand->value);
        case SSOT_PRED_OWNER_NE: return make(pool, SSOT_PRED_OWNER_EQ, NULL, NULL, operand->value);
        case SSOT_PRED_NOT: return operand->left;
        default: return make(pool, SSOT_PRED_NOT, operand, NULL, NULL);
        }
    }
    case SSOT_RULE_AND: {
        const ssot_pred *left = reduce(node->left, user, pool), *right = reduce(node->right, user, pool);
        if (left->op == SSOT_PRED_FALSE || right->op == SSOT_PRED_FALSE) return &pred_false;
        if (left->op == SSOT_PRED_TRUE) return right;
        if (right->op == SSOT_PRED_TRUE) return left;
        return make(pool, SSOT_PRED_AND, left, right, NULL);
    }
    case SSOT_RULE_OR: {
        const ssot_pred *left = reduce(node->left, user, pool), *right = reduce(node->right, user, pool);
        if (left->op == SSOT_PRED_TRUE || right->op == SSOT_PRED_TRUE) return &pred_true;
        if (left->op == SSOT_PRED_FALSE) return right;
        if (right->op == SSOT_PRED_FALSE) return left;
        return make(pool, SSOT_PRED_OR, left, right, NULL);
    }
    }
    return &pred_false;
}

const ssot_pred *ssot_rule_reduce(const ssot_rule_node *ast, const ssot_user *user, ssot_pred_pool *pool) {
    if (!ast) return &pred_true;
    if (pool_reserve(pool, count_nodes(ast))) return NULL;
    return reduce(ast, user, pool);
}

/* The rule for a caller described by three facts (an admin and an owner are signed in). */
static bool evaluate(const ssot_rule_node *node, bool signed_in, bool admin, bool owner) {
    switch (node->op) {
    case SSOT_RULE_TRUE: return true;
    case SSOT_RULE_FALSE: return false;
    case SSOT_RULE_AUTHENTICATED: return signed_in;
    case SSOT_RULE_IS_ADMIN: return signed_in && admin;
    case SSOT_RULE_IS_OWNER: return signed_in && owner;
    case SSOT_RULE_NOT: return !evaluate(node->left, signed_in, admin, owner);
    case SSOT_RULE_AND: return evaluate(node->left, signed_in, admin, owner) && evaluate(node->right, signed_in, admin, owner);
    case SSOT_RULE_OR: return evaluate(node->left, signed_in, admin, owner) || evaluate(node->right, signed_in, admin, owner);
    }
    return false;
}

bool ssot_rule_allows(const ssot_rule_node *ast, const ssot_user *user, const char *owner) {
    if (!ast) return true;
    bool owns = user->authenticated && owner && strcmp(owner, user->id) == 0;
    return evaluate(ast, user->authenticated, user->is_admin, owns);
}

bool ssot_rule_satisfiable_when_signed_in(const ssot_rule_node *ast) {
    if (!ast) return true;
    for (int admin = 0; admin <= 1; admin++)
        for (int owner = 0; owner <= 1; owner++)
            if (evaluate(ast, true, admin, owner)) return true;
    return false;
}

int ssot_rule_call(lua_State *L, const ssot_rule *rule, const ssot_user *user, const char *row_json, size_t n,
                   const json_t *row_value, char *message, size_t message_size) {
    if (!lua_checkstack(L, 4)) {
        snprintf(message, message_size, "the Lua stack is full");
        return -1;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, rule->fn_ref);
    ssot_lua_push_user(L, user);
    if (row_json) ssot_lua_push_json_text(L, row_json, n);
    else if (row_value) ssot_lua_push_json(L, row_value);
    else lua_pushnil(L);
    if (ssot_lua_call(L, 2, 1, "a permission rule function", message, message_size) != LUA_OK) return -1;
    int allowed = lua_type(L, -1) == LUA_TBOOLEAN && lua_toboolean(L, -1); /* exactly true (docs/config.md) */
    lua_pop(L, 1);
    return allowed;
}
