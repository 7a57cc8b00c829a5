/* The C and Lua sides of the facts agree (lua/ssot/facts.lua, ssot_facts.h): the tables the
 * build generated equal what the Lua module says at run time, every field type parses and
 * checks values (value.c handles each), the list query accepts exactly each type's operators,
 * and every error kind answers its status and code. */
#include "test_store_support.h" /* first: it sets the feature macros */

#include "runtime/http/http_response.h"
#include "runtime/model/query.h"
#include "runtime/model/value.h"

#include <lauxlib.h>

/* Pushes require("ssot.facts")[key]. Stack effect: +1. */
static void push_facts_field(lua_State *L, const char *key) {
    lua_getglobal(L, "require");
    lua_pushliteral(L, "ssot.facts");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        fprintf(stderr, "require ssot.facts: %s\n", lua_tostring(L, -1));
        exit(1);
    }
    lua_getfield(L, -1, key);
    lua_remove(L, -2);
}

/* The operator bit set of a space-separated list. */
static unsigned op_bits(const char *list) {
    unsigned bits = 0;
    char word[16];
    int n;
    while (sscanf(list, "%15s%n", word, &n) == 1) {
        for (int op = 0; op < SSOT_WHERE_COUNT; op++)
            if (strcmp(word, ssot_where_op_names[op]) == 0) bits |= SSOT_OP_BIT(op);
        list += n;
    }
    return bits;
}

static void test_tables_match(lua_State *L) {
    push_facts_field(L, "operators");
    CHECK(lua_rawlen(L, -1) == SSOT_WHERE_COUNT);
    for (int op = 0; op < SSOT_WHERE_COUNT; op++) {
        lua_rawgeti(L, -1, op + 1);
        CHECK(strcmp(lua_tostring(L, -1), ssot_where_op_names[op]) == 0);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    push_facts_field(L, "field_types");
    CHECK(lua_rawlen(L, -1) == SSOT_TYPE_COUNT);
    for (int t = 0; t < SSOT_TYPE_COUNT; t++) {
        const ssot_field_type_fact *fact = &ssot_field_type_facts[t];
        lua_rawgeti(L, -1, t + 1);
        lua_getfield(L, -1, "name");
        CHECK(strcmp(lua_tostring(L, -1), fact->name) == 0);
        lua_getfield(L, -2, "sql");
        CHECK(strcmp(lua_tostring(L, -1), fact->sql) == 0);
        lua_getfield(L, -3, "operators");
        CHECK(op_bits(lua_tostring(L, -1)) == fact->operators);
        lua_getfield(L, -4, "null_only");
        CHECK(lua_toboolean(L, -1) == fact->null_only);
        lua_getfield(L, -5, "uuid");
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "sql");
            CHECK(fact->uuid_sql && strcmp(lua_tostring(L, -1), fact->uuid_sql) == 0);
            lua_getfield(L, -2, "postgres");
            CHECK(fact->uuid_postgres && strcmp(lua_tostring(L, -1), fact->uuid_postgres) == 0);
            lua_pop(L, 2);
        } else {
            CHECK(fact->uuid_sql == NULL && fact->uuid_postgres == NULL);
        }
        lua_getfield(L, -6, "postgres");
        CHECK(lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), fact->postgres) == 0);
        lua_pop(L, 7);
        CHECK(strcmp(ssot_field_type_name((ssot_field_type)t), fact->name) == 0);
    }
    lua_pop(L, 1);

    push_facts_field(L, "errors");
    CHECK(lua_rawlen(L, -1) == SSOT_E_COUNT);
    for (int e = 0; e < SSOT_E_COUNT; e++) {
        lua_rawgeti(L, -1, e + 1);
        lua_getfield(L, -1, "status");
        CHECK(lua_tointeger(L, -1) == ssot_error_facts[e].status);
        lua_getfield(L, -2, "code");
        CHECK(strcmp(lua_tostring(L, -1), ssot_error_facts[e].code) == 0);
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
}

/* One field of every type (json optional, so it can be compared with null). */
static const char *const facts_config =
    "name = 'facts'\n"
    "models = {\n"
    "  Every = { fields = { { 'id', 'id' }, { 'i', 'int' }, { 'f', 'float' }, { 'b', 'bool' },\n"
    "    { 's', 'string' }, { 't', 'text' }, { 'd', 'datetime' }, { 'j', 'json', optional = true },\n"
    "    { 'e', 'enum', values = { 'a', 'b' } } } },\n"
    "  Keyed = { fields = { { 'id', 'id', uuid = true }, { 'n', 'int' } } },\n"
    "}\n";

/* A literal of the field's type (for `where` and for value checks). */
static const char *literal_of(const ssot_field *f) {
    switch (f->type) {
    case SSOT_TYPE_ID: return f->id_kind == SSOT_ID_UUID ? "\"4b1d3a52-0000-4000-8000-000000000000\"" : "1";
    case SSOT_TYPE_INT: return "2";
    case SSOT_TYPE_FLOAT: return "2.5";
    case SSOT_TYPE_BOOL: return "true";
    case SSOT_TYPE_STRING:
    case SSOT_TYPE_TEXT: return "\"x\"";
    case SSOT_TYPE_DATETIME: return "\"2026-01-02T03:04:05Z\"";
    case SSOT_TYPE_JSON: return "null";
    case SSOT_TYPE_ENUM: return "\"a\"";
    }
    return "null";
}

static void test_operators_per_type(const ssot_app *app) {
    int types_seen[SSOT_TYPE_COUNT + 1] = {0};
    for (size_t m = 0; m < app->nmodels; m++) {
        const ssot_model *model = &app->models[m];
        for (size_t i = 0; i < model->nfields; i++) {
            const ssot_field *f = &model->fields[i];
            types_seen[f->type] = 1;
            unsigned allowed = ssot_field_type_facts[f->type].operators;
            for (int op = 0; op < SSOT_WHERE_COUNT; op++) {
                char where[256];
                const char *literal = literal_of(f);
                if (op == SSOT_WHERE_IN)
                    snprintf(where, sizeof where, "{\"%s\":{\"in\":[%s]}}", f->name, literal);
                else
                    snprintf(where, sizeof where, "{\"%s\":{\"%s\":%s}}", f->name, ssot_where_op_names[op],
                             op == SSOT_WHERE_CONTAINS ? "\"x\"" : literal);
                ssot_query q;
                ssot_query_error qerr;
                ssot_query_init(&q, model, 20, 100);
                int accepted = ssot_query_add_param(&q, "where", where, strlen(where), &qerr) == 0;
                ssot_query_free(&q);
                if (accepted != ((allowed & SSOT_OP_BIT(op)) != 0)) {
                    fprintf(stderr, "%s.%s (%s) %s: %s\n", model->name, f->name, ssot_field_type_name(f->type),
                            ssot_where_op_names[op], accepted ? "accepted" : qerr.message);
                    failures++;
                }
            }
            /* value.c checks a value of every type */
            json_t *value = json_loads(literal_of(f), JSON_DECODE_ANY, NULL);
            char msg[160];
            CHECK(value && (f->type == SSOT_TYPE_JSON || ssot_value_check(f, value, 1, msg, sizeof msg) == NULL));
            json_decref(value);
        }
    }
    for (int t = 0; t < SSOT_TYPE_COUNT; t++) {
        if (!types_seen[t]) fprintf(stderr, "the test config has no %s field\n", ssot_field_type_facts[t].name);
        CHECK(types_seen[t]);
    }
}

static void test_error_kinds(void) {
    ssot_buf body = SSOT_BUF_INIT;
    ssot_response resp;
    ssot_request req;
    memset(&req, 0, sizeof req);
    for (int e = 0; e < SSOT_E_COUNT; e++) {
        ssot_response_reset(&resp, &body);
        ssot_http_error(&resp, &req, (ssot_error_kind)e, "kind %d", e);
        CHECK(resp.status == ssot_error_facts[e].status);
        json_t *json = json_loadb(ssot_response_body(&resp), ssot_response_body_len(&resp), 0, NULL);
        CHECK(json && strcmp(json_string_value(json_object_get(json_object_get(json, "error"), "code")),
                             ssot_error_facts[e].code) == 0);
        CHECK(ssot_http_reason(resp.status)[0] != '\0');
        json_decref(json);
    }
    ssot_buf_free(&body);
}

int main(void) {
    make_test_dir("facts");
    ssot_host *host;
    ssot_app *app = load_app(&host, facts_config);
    test_tables_match(ssot_host_lua(host));
    test_operators_per_type(app);
    test_error_kinds();
    ssot_app_free(app);
    ssot_host_free(host);
    remove_test_dir();
    if (failures) fprintf(stderr, "test_facts: %d check(s) failed\n", failures);
    else printf("test_facts: all checks passed\n");
    return failures != 0;
}
