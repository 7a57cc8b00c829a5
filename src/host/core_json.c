/* ssot.core deterministic JSON encoding: object keys sorted, integers without ".0", floats in
 * the shortest form that reads back exactly, the json.array/json.object markers and
 * cjson.null of lua/ssot/json.lua honoured. The same value always gives the same bytes; this is
 * the fast path of json.encode (openapi.json, the IR hash). A table met again at the same
 * depth (a part shared by several places of a document) is copied from its first encoding.
 * Errors name the path of the bad value: "json.encode: ... at $.a[2]". */
#include "host/core.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512
#define ARRAY_MARKER "ssot.json.array"
#define OBJECT_MARKER "ssot.json.object"

/* The output buffer lives in a userdata so a Lua error while encoding frees it (__gc). */
typedef struct json_out {
    char *data;
    size_t len, cap;
} json_out;

/* One step of the path to the value being encoded, for error messages. */
typedef struct path_step {
    const char *key; /* string key, or NULL for an array index */
    size_t key_len;
    lua_Integer index;
} path_step;

typedef struct sort_key {
    const char *s;
    size_t len;
    int value; /* stack index of the key's value */
} sort_key;

/* Where the encoding of a table at a depth already is in the output. */
typedef struct memo_entry {
    const void *table; /* NULL: a free slot */
    int depth;
    size_t offset, len;
} memo_entry;

typedef struct encoder {
    lua_State *L;
    json_out *out;
    int indent; /* spaces per level; -1 for compact output */
    path_step path[MAX_DEPTH + 1];
    const void *active[MAX_DEPTH + 1]; /* the tables being encoded, outermost first */
    int depth;
    /* Object keys of every open object, stacked: each object uses a slice at the top. Owned
     * by the scratch userdata's __gc, so errors do not leak it. */
    json_out *scratch;
    /* The tables encoded so far: an open-addressing hash of memo_entry (cap a power of two,
     * len the entries in use), owned like scratch. */
    json_out *memo;
} encoder;

/* Makes room for n more keys on the scratch stack; returns the base of the stack. */
static sort_key *scratch_reserve(encoder *e, size_t used, size_t n) {
    json_out *scratch = e->scratch;
    size_t need = (used + n) * sizeof(sort_key);
    if (need > scratch->cap) {
        size_t cap = scratch->cap ? scratch->cap : 64 * sizeof(sort_key);
        while (cap < need) cap *= 2;
        char *grown = realloc(scratch->data, cap);
        if (!grown) luaL_error(e->L, "json.encode: out of memory");
        scratch->data = grown;
        scratch->cap = cap;
    }
    return (sort_key *)scratch->data;
}

static int out_gc(lua_State *L) {
    json_out *out = lua_touserdata(L, 1);
    free(out->data);
    out->data = NULL;
    return 0;
}

static void out_reserve(encoder *e, size_t extra) {
    json_out *out = e->out;
    if (out->len + extra <= out->cap) return;
    size_t cap = out->cap ? out->cap : 4096;
    while (cap < out->len + extra) cap *= 2;
    char *grown = realloc(out->data, cap);
    if (!grown) luaL_error(e->L, "json.encode: out of memory");
    out->data = grown;
    out->cap = cap;
}

static size_t memo_slot(const json_out *memo, const void *table, int depth) {
    size_t mask = memo->cap / sizeof(memo_entry) - 1;
    uintptr_t h = ((uintptr_t)table >> 4) * 0x9E3779B97F4A7C15u + (uintptr_t)depth;
    size_t i = (size_t)(h ^ (h >> 29)) & mask;
    const memo_entry *entries = (const memo_entry *)memo->data;
    while (entries[i].table && (entries[i].table != table || entries[i].depth != depth)) i = (i + 1) & mask;
    return i;
}

/* The earlier encoding of table at depth, or NULL. */
static const memo_entry *memo_find(const encoder *e, const void *table, int depth) {
    if (!e->memo->cap) return NULL;
    const memo_entry *entry = (const memo_entry *)e->memo->data + memo_slot(e->memo, table, depth);
    return entry->table ? entry : NULL;
}

/* Records that table at depth was encoded as out[offset, offset + len). Without memory it
 * records nothing (the table is encoded again when met again). */
static void memo_add(encoder *e, const void *table, int depth, size_t offset, size_t len) {
    json_out *memo = e->memo;
    size_t slots = memo->cap / sizeof(memo_entry);
    if ((memo->len + 1) * 2 > slots) { /* keep it at most half full */
        size_t bigger = slots ? slots * 2 : 1024;
        memo_entry *grown = calloc(bigger, sizeof *grown);
        if (!grown) return;
        json_out old = *memo;
        memo->data = (char *)grown;
        memo->cap = bigger * sizeof *grown;
        for (size_t i = 0; i < slots; i++) {
            const memo_entry *entry = (const memo_entry *)old.data + i;
            if (entry->table) grown[memo_slot(memo, entry->table, entry->depth)] = *entry;
        }
        free(old.data);
    }
    memo_entry *entry = (memo_entry *)memo->data + memo_slot(memo, table, depth);
    *entry = (memo_entry){table, depth, offset, len};
    memo->len++;
}

static void out_add(encoder *e, const char *s, size_t len) {
    out_reserve(e, len);
    memcpy(e->out->data + e->out->len, s, len);
    e->out->len += len;
}

#define OUT_LITERAL(e, s) out_add((e), "" s, sizeof(s) - 1)

/* Raises "json.encode: <message> at $<path>". Does not return. */
static int fail(encoder *e, const char *message) {
    lua_State *L = e->L;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "json.encode: ");
    luaL_addstring(&b, message);
    luaL_addstring(&b, " at $");
    for (int i = 1; i <= e->depth; i++) {
        const path_step *step = &e->path[i];
        char number[32];
        if (!step->key) {
            snprintf(number, sizeof number, "[%lld]", (long long)step->index);
            luaL_addstring(&b, number);
            continue;
        }
        /* Lua's %a / %w in the C locale: ASCII letters and digits. */
        int identifier = step->key_len > 0 && !(step->key[0] >= '0' && step->key[0] <= '9');
        for (size_t k = 0; identifier && k < step->key_len; k++) {
            char c = step->key[k];
            identifier = c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }
        if (identifier) {
            luaL_addchar(&b, '.');
            luaL_addlstring(&b, step->key, step->key_len);
        } else {
            /* As string.format("%q", key) would quote it. */
            lua_getglobal(L, "string");
            lua_getfield(L, -1, "format");
            lua_pushliteral(L, "[%q]");
            lua_pushlstring(L, step->key, step->key_len);
            lua_call(L, 2, 1);
            lua_remove(L, -2);
            luaL_addvalue(&b);
        }
    }
    luaL_pushresult(&b);
    return lua_error(L);
}

/* The length of the valid UTF-8 sequence (2 to 4 bytes) at s[i], or 0 when it is not one (the
 * way utf8.len decides: no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t i, size_t len) {
    unsigned char c = s[i];
    size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > len) return 0;
    unsigned long cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < n; k++) {
        unsigned char cc = s[i + k];
        if ((cc & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3f);
    }
    static const unsigned long min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* Writes s as a JSON string in one pass: plain ASCII is copied in runs, control characters,
 * quotes and backslashes escaped, other bytes checked as UTF-8. */
static void encode_string(encoder *e, const char *s, size_t len) {
    const unsigned char *u = (const unsigned char *)s;
    out_reserve(e, len + 2);
    e->out->data[e->out->len++] = '"';
    size_t run = 0, i = 0;
    while (i < len) {
        unsigned char c = u[i];
        if (c >= 32 && c < 127 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_sequence(u, i, len);
            if (n == 0) {
                char message[96];
                snprintf(message, sizeof message, "string is not valid UTF-8 (byte %zu of %zu)", i + 1, len);
                fail(e, message);
            }
            i += n;
            continue;
        }
        out_add(e, s + run, i - run);
        run = i + 1;
        char escape[8];
        const char *text = escape;
        switch (c) {
        case '"': text = "\\\""; break;
        case '\\': text = "\\\\"; break;
        case '\b': text = "\\b"; break;
        case '\f': text = "\\f"; break;
        case '\n': text = "\\n"; break;
        case '\r': text = "\\r"; break;
        case '\t': text = "\\t"; break;
        default: snprintf(escape, sizeof escape, "\\u%04x", c); break;
        }
        out_add(e, text, strlen(text));
        i++;
    }
    out_add(e, s + run, len - run);
    out_add(e, "\"", 1);
}

static void encode_number(encoder *e, int idx) {
    char text[64];
    if (lua_isinteger(e->L, idx)) {
        snprintf(text, sizeof text, "%lld", (long long)lua_tointeger(e->L, idx));
    } else {
        double x = lua_tonumber(e->L, idx);
        if (isnan(x)) fail(e, "number NaN has no JSON form");
        if (isinf(x)) fail(e, x > 0 ? "number inf has no JSON form" : "number -inf has no JSON form");
        if (x == floor(x) && x >= -9007199254740992.0 && x <= 9007199254740992.0) {
            snprintf(text, sizeof text, "%lld", (long long)x);
        } else {
            int precision = 14;
            for (; precision <= 17; precision++) {
                snprintf(text, sizeof text, "%.*g", precision, x);
                if (strtod(text, NULL) == x) break;
            }
        }
    }
    out_add(e, text, strlen(text));
}

static void newline(encoder *e, int depth) {
    if (e->indent < 0) return;
    size_t n = (size_t)e->indent * (size_t)depth;
    out_reserve(e, n + 1);
    e->out->data[e->out->len++] = '\n';
    memset(e->out->data + e->out->len, ' ', n);
    e->out->len += n;
}

static int compare_keys(const void *a, const void *b) {
    const sort_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static void encode_value(encoder *e, int idx, int depth);

/* Collects the object keys of the table at idx, in output order, onto the scratch stack at
 * position base, each with its value pushed on the Lua stack (sort_key.value). Returns the
 * count, or -1 when the table is an array. Stack effect: +count (none for an array). */
static lua_Integer object_keys(encoder *e, int idx, size_t base) {
    lua_State *L = e->L;
    int marked_array = 0, marked_object = 0, has_first = 0;
    if (lua_getmetatable(L, idx)) {
        if (lua_getfield(L, -1, "__name") == LUA_TSTRING) {
            const char *name = lua_tostring(L, -1);
            marked_array = strcmp(name, ARRAY_MARKER) == 0;
            marked_object = strcmp(name, OBJECT_MARKER) == 0;
        }
        lua_pop(L, 1);
        if (marked_object) {
            has_first = lua_getfield(L, -1, "json_keys") == LUA_TTABLE;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    if (marked_array) return -1;

    lua_Integer count = 0, nkeys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        if (lua_type(L, -2) == LUA_TSTRING) {
            sort_key *keys = scratch_reserve(e, base, (size_t)nkeys + 1);
            /* The string stays alive: it is a key of the table. */
            keys[base + (size_t)nkeys].s = lua_tolstring(L, -2, &keys[base + (size_t)nkeys].len);
            keys[base + (size_t)nkeys].value = lua_gettop(L) - 1; /* where the value will stay */
            nkeys++;
            luaL_checkstack(L, 3, "json.encode: too many keys");
            lua_insert(L, -2); /* keep the value below the key lua_next continues from */
            continue;
        } else if (marked_object) {
            char message[160];
            snprintf(message, sizeof message, "object has a %s key (%s); JSON keys are strings",
                     luaL_typename(L, -2), luaL_tolstring(L, -2, NULL));
            fail(e, message);
        }
        lua_pop(L, 1);
    }
    if (!marked_object && count > 0 && nkeys < count) {
        if (nkeys > 0) fail(e, "table mixes string keys and other keys");
        if ((lua_Integer)lua_rawlen(L, idx) == count) return -1;
        fail(e, "table is a sparse array (has holes or non-integer keys); JSON arrays are 1..n");
    }
    if (nkeys == 0) return 0; /* nothing reserved: the scratch stack may have no memory yet */
    sort_key *keys = (sort_key *)e->scratch->data + base;
    if (nkeys > 1) qsort(keys, (size_t)nkeys, sizeof *keys, compare_keys);

    if (has_first && nkeys > 0) {
        /* The marker's json_keys (those present) come first, in their order; then the rest in
         * sorted order. Built after the sorted keys on the scratch stack (with the "taken"
         * flags after that), then moved down. */
        size_t n = (size_t)nkeys;
        keys = scratch_reserve(e, base, 3 * n) + base;
        sort_key *ordered = keys + n;
        char *taken = (char *)(keys + 2 * n); /* n flags fit in n sort_keys */
        memset(taken, 0, n);
        lua_getmetatable(L, idx);
        lua_getfield(L, -1, "json_keys");
        lua_Integer nfirst = (lua_Integer)lua_rawlen(L, -1);
        size_t m = 0;
        for (lua_Integer i = 1; i <= nfirst && m < n; i++) {
            lua_rawgeti(L, -1, i);
            size_t len;
            const char *k = lua_tolstring(L, -1, &len);
            lua_pop(L, 1);
            if (!k) continue;
            sort_key probe = {k, len, 0};
            sort_key *found = bsearch(&probe, keys, n, sizeof *keys, compare_keys);
            if (found && !taken[found - keys]) {
                ordered[m++] = *found;
                taken[found - keys] = 1;
            }
        }
        lua_pop(L, 2);
        for (size_t i = 0; i < n; i++)
            if (!taken[i]) ordered[m++] = keys[i];
        memcpy(keys, ordered, sizeof *keys * n);
    }
    return nkeys;
}

static void encode_table(encoder *e, int idx, int depth) {
    lua_State *L = e->L;
    if (depth >= MAX_DEPTH) fail(e, "nesting is too deep (more than 512 levels)");
    const void *self = lua_topointer(L, idx);
    const memo_entry *seen = memo_find(e, self, depth);
    if (seen) {
        size_t offset = seen->offset, len = seen->len;
        out_reserve(e, len); /* may move the output: copy from it afterwards */
        memcpy(e->out->data + e->out->len, e->out->data + offset, len);
        e->out->len += len;
        return;
    }
    for (int i = 0; i < depth; i++)
        if (e->active[i] == self) fail(e, "table contains itself");
    e->active[depth] = self;
    luaL_checkstack(L, 8, "json.encode: nesting too deep");

    size_t start = e->out->len;
    int top = lua_gettop(L);
    size_t base = e->scratch->len; /* the scratch stack's top, in keys */
    lua_Integer nkeys = object_keys(e, idx, base);
    if (nkeys > 0) e->scratch->len = base + (size_t)nkeys;
    path_step *step = &e->path[depth + 1];
    if (nkeys < 0) {
        lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
        if (len == 0) {
            OUT_LITERAL(e, "[]");
        } else {
            OUT_LITERAL(e, "[");
            e->depth = depth + 1;
            for (lua_Integer i = 1; i <= len; i++) {
                step->key = NULL;
                step->index = i;
                if (i > 1) OUT_LITERAL(e, ",");
                newline(e, depth + 1);
                lua_rawgeti(L, idx, i);
                encode_value(e, lua_gettop(L), depth + 1);
                lua_pop(L, 1);
            }
            e->depth = depth;
            newline(e, depth);
            OUT_LITERAL(e, "]");
        }
    } else {
        if (nkeys == 0) {
            OUT_LITERAL(e, "{}");
        } else {
            OUT_LITERAL(e, "{");
            e->depth = depth + 1;
            for (lua_Integer i = 0; i < nkeys; i++) {
                /* Re-read each time: nested objects may move the scratch stack. */
                sort_key key = ((sort_key *)e->scratch->data)[base + (size_t)i];
                step->key = key.s;
                step->key_len = key.len;
                if (i > 0) OUT_LITERAL(e, ",");
                newline(e, depth + 1);
                encode_string(e, key.s, key.len);
                if (e->indent >= 0) OUT_LITERAL(e, ": ");
                else OUT_LITERAL(e, ":");
                encode_value(e, key.value, depth + 1);
            }
            e->depth = depth;
            newline(e, depth);
            OUT_LITERAL(e, "}");
        }
    }
    lua_settop(L, top);
    e->scratch->len = base;
    e->active[depth] = NULL;
    memo_add(e, self, depth, start, e->out->len - start);
}

static void encode_value(encoder *e, int idx, int depth) {
    lua_State *L = e->L;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        encode_string(e, s, len);
        break;
    }
    case LUA_TNUMBER: encode_number(e, idx); break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx)) OUT_LITERAL(e, "true");
        else OUT_LITERAL(e, "false");
        break;
    case LUA_TNIL: OUT_LITERAL(e, "null"); break;
    case LUA_TTABLE: encode_table(e, idx, depth); break;
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) { /* cjson.null */
            OUT_LITERAL(e, "null");
            break;
        }
        /* fall through */
    default: {
        char message[64];
        snprintf(message, sizeof message, "cannot encode a %s value", luaL_typename(L, idx));
        fail(e, message);
    }
    }
}

/* Pushes a new empty buffer box whose memory is freed when it is collected. Stack: +1. */
static json_out *new_box(lua_State *L) {
    json_out *box = lua_newuserdatauv(L, sizeof *box, 0);
    memset(box, 0, sizeof *box);
    if (luaL_newmetatable(L, "ssot.json_buffer")) {
        lua_pushcfunction(L, out_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return box;
}

/* json_encode(value [, indent]) -> JSON text with sorted keys; compact when indent is nil.
 * Stack while encoding: 1 value, 2 output box, 3 key stack box, 4 memo box, 5 encoder, then
 * the values of the open objects. */
int core_json_encode(lua_State *L) {
    luaL_checkany(L, 1);
    lua_Integer indent = luaL_optinteger(L, 2, -1);
    luaL_argcheck(L, indent >= -1 && indent <= 64, 2, "indent must be between 0 and 64");
    lua_settop(L, 1);
    json_out *out = new_box(L);     /* index 2: the output */
    json_out *scratch = new_box(L); /* index 3: the key stack (len counts keys) */
    json_out *memo = new_box(L);    /* index 4: the tables encoded so far (len counts them) */

    /* The encoder (with its path stack) is a userdata too: nothing to leak on errors. */
    encoder *e = lua_newuserdatauv(L, sizeof *e, 0); /* index 5 */
    e->L = L;
    e->out = out;
    e->scratch = scratch;
    e->memo = memo;
    e->indent = (int)indent;
    e->depth = 0;
    encode_value(e, 1, 0);
    lua_pushlstring(L, out->data ? out->data : "", out->len);
    return 1;
}
