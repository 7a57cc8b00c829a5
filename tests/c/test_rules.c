/* Tests of the run-time permission rules (src/runtime/auth/rules.c): the C evaluator agrees with
 * the reference evaluator of lua/ssot/rules.lua on every expression x user x row owner; the
 * partial evaluation for list gives the same answers through the store's predicate matcher
 * and folds to the expected shapes; 401-vs-403 satisfiability; Lua-function rules (allow,
 * deny, error with traceback, endless loop stopped); JSON <-> Lua conversion. */
#include "check.h"
#include "runtime/lua/lua_bridge.h"
#include "runtime/auth/rules.h"
#include "ssot.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* --- ASTs parsed by lua/ssot/rules.lua, copied into C nodes ------------------------------- */

static ssot_rule_node nodes[1024];
static size_t nnodes;

/* Converts the AST table at the top of the stack. Stack effect: none. */
static const ssot_rule_node *to_node(lua_State *L) {
    ssot_rule_node *node = &nodes[nnodes++];
    lua_getfield(L, -1, "op");
    const char *op = lua_tostring(L, -1);
    static const struct { const char *name; ssot_rule_op op; } ops[] = {
        {"true", SSOT_RULE_TRUE}, {"false", SSOT_RULE_FALSE}, {"authenticated", SSOT_RULE_AUTHENTICATED},
        {"isOwner", SSOT_RULE_IS_OWNER}, {"isAdmin", SSOT_RULE_IS_ADMIN}, {"not", SSOT_RULE_NOT},
        {"and", SSOT_RULE_AND}, {"or", SSOT_RULE_OR}};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (op && strcmp(op, ops[i].name) == 0) node->op = ops[i].op;
    lua_pop(L, 1);
    if (node->op == SSOT_RULE_NOT) {
        lua_getfield(L, -1, "expr");
        node->left = to_node(L);
        lua_pop(L, 1);
    } else if (node->op == SSOT_RULE_AND || node->op == SSOT_RULE_OR) {
        lua_getfield(L, -1, "left");
        node->left = to_node(L);
        lua_pop(L, 1);
        lua_getfield(L, -1, "right");
        node->right = to_node(L);
        lua_pop(L, 1);
    }
    return node;
}

/* Parses source with rules.parse; leaves the Lua AST on the stack and returns the C one. */
static const ssot_rule_node *parse(lua_State *L, const char *source) {
    lua_getglobal(L, "rules");
    lua_getfield(L, -1, "parse");
    lua_remove(L, -2);
    lua_pushstring(L, source);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
        fprintf(stderr, "cannot parse %s: %s\n", source, lua_tostring(L, -1));
        exit(1);
    }
    return to_node(L);
}

/* rules.evaluate(ast at the top of the stack, user, { ownerId = owner }, "ownerId"). */
static int reference(lua_State *L, const ssot_user *user, const char *owner) {
    lua_getglobal(L, "rules");
    lua_getfield(L, -1, "evaluate");
    lua_remove(L, -2);
    lua_pushvalue(L, -2);
    if (user->authenticated) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, user->id);
        lua_setfield(L, -2, "id");
        if (user->role[0]) {
            lua_pushstring(L, user->role);
            lua_setfield(L, -2, "role");
        }
    } else {
        lua_pushnil(L);
    }
    lua_createtable(L, 0, 1);
    if (owner) {
        lua_pushstring(L, owner);
        lua_setfield(L, -2, "ownerId");
    }
    lua_pushstring(L, "ownerId");
    lua_pushstring(L, "admin");
    if (lua_pcall(L, 5, 1, 0) != LUA_OK) {
        fprintf(stderr, "rules.evaluate failed: %s\n", lua_tostring(L, -1));
        exit(1);
    }
    int result = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return result;
}

static ssot_user make_user(const char *id, const char *role) {
    ssot_user user;
    memset(&user, 0, sizeof user);
    if (id) {
        user.authenticated = 1;
        snprintf(user.id, sizeof user.id, "%s", id);
        snprintf(user.role, sizeof user.role, "%s", role ? role : "");
        user.is_admin = role && strcmp(role, "admin") == 0;
    }
    return user;
}

static const char *const expressions[] = {
    "true", "false", "authenticated", "isOwner", "isAdmin", "!isOwner", "!authenticated",
    "isOwner || isAdmin", "authenticated && !isAdmin", "!(isOwner || isAdmin)",
    "isOwner && isAdmin || !authenticated", "!!isOwner", "(isOwner && !isAdmin) || (isAdmin && !isOwner)",
    "!true && isOwner", "authenticated && (isOwner || false)", "!(!isOwner && !isAdmin)",
    "isOwner || isOwner && isAdmin", "!(authenticated && !isOwner) && true",
};

static void test_agreement_with_reference(lua_State *L) {
    ssot_user users[] = {make_user(NULL, NULL), make_user("7", "member"), make_user("1", "admin"),
                         make_user("8", NULL), make_user("u-42", "admin")};
    const char *owners[] = {NULL, "7", "1", "8", "u-42", ""};
    ssot_pred_pool pool = {0};
    for (size_t e = 0; e < sizeof expressions / sizeof *expressions; e++) {
        const ssot_rule_node *ast = parse(L, expressions[e]);
        for (size_t u = 0; u < sizeof users / sizeof *users; u++) {
            ssot_pred_pool_reset(&pool);
            const ssot_pred *pred = ssot_rule_reduce(ast, &users[u], &pool);
            CHECK(pred != NULL);
            for (size_t o = 0; o < sizeof owners / sizeof *owners; o++) {
                int expected = reference(L, &users[u], owners[o]);
                int direct = ssot_rule_allows(ast, &users[u], owners[o]);
                int filtered = pred && ssot_pred_matches(pred, owners[o]);
                if (direct != expected || filtered != expected) {
                    fprintf(stderr, "%s for user %s owner %s: reference %d, C %d, filter %d\n", expressions[e],
                            users[u].authenticated ? users[u].id : "(anonymous)", owners[o] ? owners[o] : "(null)",
                            expected, direct, filtered);
                    failures++;
                }
            }
        }
        lua_pop(L, 1);
    }
    ssot_pred_pool_free(&pool);
}

static void test_reduced_shapes(lua_State *L) {
    ssot_pred_pool pool = {0};
    ssot_user anonymous = make_user(NULL, NULL), member = make_user("7", "member"), admin = make_user("1", "admin");

    const ssot_rule_node *owner_or_admin = parse(L, "isOwner || isAdmin");
    const ssot_pred *pred = ssot_rule_reduce(owner_or_admin, &member, &pool);
    CHECK(pred->op == SSOT_PRED_OWNER_EQ && strcmp(pred->value, "7") == 0);
    CHECK(ssot_rule_reduce(owner_or_admin, &admin, &pool)->op == SSOT_PRED_TRUE);
    CHECK(ssot_rule_reduce(owner_or_admin, &anonymous, &pool)->op == SSOT_PRED_FALSE);
    lua_pop(L, 1);

    const ssot_rule_node *not_owner = parse(L, "!isOwner");
    pred = ssot_rule_reduce(not_owner, &member, &pool);
    CHECK(pred->op == SSOT_PRED_OWNER_NE && strcmp(pred->value, "7") == 0);
    CHECK(ssot_rule_reduce(not_owner, &anonymous, &pool)->op == SSOT_PRED_TRUE);
    lua_pop(L, 1);

    const ssot_rule_node *mixed = parse(L, "(isOwner && !isAdmin) || (authenticated && !isOwner)");
    pred = ssot_rule_reduce(mixed, &member, &pool);
    CHECK(pred->op == SSOT_PRED_OR);
    CHECK(pred->left->op == SSOT_PRED_OWNER_EQ && pred->right->op == SSOT_PRED_OWNER_NE);
    lua_pop(L, 1);

    /* many reductions in one request: nodes handed out earlier must stay where they are */
    const ssot_rule_node *long_rule = parse(L, "isOwner && !isAdmin || isOwner && authenticated || !isOwner && isOwner");
    ssot_pred_pool_reset(&pool);
    const ssot_pred *first = ssot_rule_reduce(long_rule, &member, &pool);
    for (int i = 0; i < 200; i++) CHECK(ssot_rule_reduce(long_rule, &member, &pool) != NULL);
    CHECK(ssot_pred_matches(first, "7") && !ssot_pred_matches(first, "8") && !ssot_pred_matches(first, NULL));
    lua_pop(L, 1);
    ssot_pred_pool_free(&pool);
}

static void test_satisfiable(lua_State *L) {
    struct { const char *source; bool expected; } cases[] = {
        {"true", true}, {"false", false}, {"authenticated", true}, {"isAdmin", true}, {"isOwner", true},
        {"!authenticated", false}, {"authenticated && !authenticated", false}, {"!isAdmin && authenticated", true},
        {"isOwner && !isOwner", false}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const ssot_rule_node *ast = parse(L, cases[i].source);
        if (ssot_rule_satisfiable_when_signed_in(ast) != cases[i].expected) {
            fprintf(stderr, "satisfiable(%s) should be %d\n", cases[i].source, cases[i].expected);
            failures++;
        }
        lua_pop(L, 1);
    }
}

/* A rule whose function is the value of chunk. */
static ssot_rule function_rule(lua_State *L, const char *chunk) {
    ssot_rule rule = {.source = chunk, .ast = NULL, .fn_ref = LUA_NOREF};
    if (luaL_dostring(L, chunk) != LUA_OK) {
        fprintf(stderr, "bad chunk: %s\n", lua_tostring(L, -1));
        exit(1);
    }
    rule.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return rule;
}

static void test_function_rules(lua_State *L) {
    char message[2048];
    int top = lua_gettop(L);
    ssot_user member = make_user("7", "member"), anonymous = make_user(NULL, NULL);
    ssot_rule owns = function_rule(L, "return function(user, row) return user ~= nil and row.authorId == user.id end");
    const char *row7 = "{\"id\":1,\"authorId\":7,\"text\":\"hi\"}", *row8 = "{\"id\":2,\"authorId\":8,\"text\":\"yo\"}";
    CHECK(ssot_rule_call(L, &owns, &member, row7, strlen(row7), NULL, message, sizeof message) == 1);
    CHECK(ssot_rule_call(L, &owns, &member, row8, strlen(row8), NULL, message, sizeof message) == 0);
    CHECK(ssot_rule_call(L, &owns, &anonymous, row7, strlen(row7), NULL, message, sizeof message) == 0);
    json_t *value = json_pack("{s:i,s:s}", "authorId", 7, "text", "x");
    CHECK(ssot_rule_call(L, &owns, &member, NULL, 0, value, message, sizeof message) == 1);
    json_decref(value);

    ssot_rule admin_only = function_rule(L, "return function(user) return user and user.isAdmin and user.role == 'admin' end");
    ssot_user admin = make_user("1", "admin");
    CHECK(ssot_rule_call(L, &admin_only, &admin, NULL, 0, NULL, message, sizeof message) == 1);
    CHECK(ssot_rule_call(L, &admin_only, &member, NULL, 0, NULL, message, sizeof message) == 0);

    ssot_rule truthy = function_rule(L, "return function() return 1 end");
    CHECK(ssot_rule_call(L, &truthy, &member, NULL, 0, NULL, message, sizeof message) == 0); /* only true allows */

    ssot_rule broken = function_rule(L, "return function(user, row) return row.missing.field end");
    CHECK(ssot_rule_call(L, &broken, &member, row7, strlen(row7), NULL, message, sizeof message) == -1);
    CHECK(strstr(message, "missing") != NULL);
    CHECK(strstr(message, "stack traceback") != NULL);

    ssot_lua_set_time_limit(0.2);
    ssot_rule endless = function_rule(L, "return function() while true do end end");
    CHECK(ssot_rule_call(L, &endless, &member, NULL, 0, NULL, message, sizeof message) == -1);
    CHECK(strstr(message, "a permission rule function ran for more than 0.2 s (limits.request in the config)") != NULL);
    ssot_lua_set_time_limit(5.0);
    /* the state still works after the stopped call */
    CHECK(ssot_rule_call(L, &owns, &member, row7, strlen(row7), NULL, message, sizeof message) == 1);
    CHECK(lua_gettop(L) == top);
}

static void test_json_conversion(lua_State *L) {
    char message[256];
    const char *text = "{\"a\":[1,2.5,\"x\",null,true],\"b\":{\"c\":{}},\"n\":-3}";
    json_t *original = json_loads(text, 0, NULL);
    ssot_lua_push_json(L, original);
    lua_getfield(L, -1, "n");
    CHECK(lua_isinteger(L, -1) && lua_tointeger(L, -1) == -3);
    lua_pop(L, 1);
    json_t *back = ssot_lua_to_json(L, -1, "data", message, sizeof message);
    CHECK(back && json_equal(original, back));
    json_decref(back);
    json_decref(original);
    lua_pop(L, 1);

    struct { const char *chunk; const char *problem; } bad[] = {
        {"return { f = function() end }", "data.f: a function"},
        {"return { 1, 2, x = 3 }", "data: a table with keys"},
        {"return { [1] = 1, [3] = 3 }", "data: an array with holes"},
        {"return { x = 0/0 }", "data.x: NaN"},
        {"return { s = '\\xff\\xfe' }", "data.s: a string that is not valid UTF-8"},
        {"local t = {} t.self = t return t", "nested too deeply"},
        {"return { list = { { deep = { true, coroutine.create(print) } } } }", "data.list[1].deep[2]: a thread"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        luaL_dostring(L, bad[i].chunk);
        json_t *value = ssot_lua_to_json(L, -1, "data", message, sizeof message);
        if (value || !strstr(message, bad[i].problem)) {
            fprintf(stderr, "%s: expected '%s', got '%s'\n", bad[i].chunk, bad[i].problem, message);
            failures++;
        }
        json_decref(value);
        lua_pop(L, 1);
    }
    luaL_dostring(L, "return { n = 3.0, m = 2^53, e = {} }");
    json_t *numbers = ssot_lua_to_json(L, -1, "data", message, sizeof message);
    CHECK(json_is_integer(json_object_get(numbers, "n")) && json_integer_value(json_object_get(numbers, "n")) == 3);
    CHECK(json_is_real(json_object_get(numbers, "m")));
    CHECK(json_is_object(json_object_get(numbers, "e")));
    json_decref(numbers);
    lua_pop(L, 1);
}

int main(void) {
    ssot_host *host = ssot_host_new(NULL);
    lua_State *L = ssot_host_lua(host);
    if (luaL_dostring(L, "rules = require 'ssot.rules'") != LUA_OK) {
        fprintf(stderr, "cannot load ssot.rules: %s\n", lua_tostring(L, -1));
        return 1;
    }
    test_agreement_with_reference(L);
    test_reduced_shapes(L);
    test_satisfiable(L);
    test_function_rules(L);
    test_json_conversion(L);
    ssot_host_free(host);
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
