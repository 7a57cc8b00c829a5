/* ssot.core.duplicate_keys: the keys written twice in one table constructor of a Lua source
 * (Lua keeps the last value and drops the first without a word, e.g. a model declared twice).
 * A small Lua lexer and a scan of the constructors; in C so every config is checked at no
 * noticeable cost. Uses only the Lua API. */
#include "host/core.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

enum token_kind { TK_EOF, TK_NAME, TK_STRING, TK_NUMBER, TK_KEYWORD, TK_OP };

typedef struct token {
    int kind;
    int line;
    const char *text; /* the name, keyword, operator or number; a string's body */
    size_t len;
    int plain; /* TK_STRING: a short string without escapes, so text is its value */
} token;

typedef struct lexer {
    const char *s;
    size_t n, pos;
    int line;
    int done; /* the end, or something that is not valid Lua: only TK_EOF from now on */
} lexer;

static const struct {
    const char *word;
    size_t len;
} keywords[] = {{"and", 3}, {"break", 5}, {"do", 2}, {"else", 4}, {"elseif", 6}, {"end", 3}, {"false", 5},
    {"for", 3}, {"function", 8}, {"goto", 4}, {"if", 2}, {"in", 2}, {"local", 5}, {"nil", 3}, {"not", 3},
    {"or", 2}, {"repeat", 6}, {"return", 6}, {"then", 4}, {"true", 4}, {"until", 5}, {"while", 5}, {NULL, 0}};

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_xdigit(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static int char_at(const lexer *lx, size_t i) { return i < lx->n ? (unsigned char)lx->s[i] : -1; }

/* The level of the long bracket opening at i ([[ is 0, [==[ is 2), or -1 when there is none. */
static int long_bracket_level(const lexer *lx, size_t i) {
    size_t j = i + 1;
    while (char_at(lx, j) == '=') j++;
    return char_at(lx, j) == '[' ? (int)(j - i - 1) : -1;
}

/* Skips the long bracket of the given level opening at lx->pos; the body goes to t.
 * Returns 0 when it is never closed. */
static int skip_long_bracket(lexer *lx, int level, token *t) {
    size_t start = lx->pos + (size_t)level + 2;
    for (size_t j = start; j < lx->n; j++) {
        if (lx->s[j] == '\n') {
            lx->line++;
        } else if (lx->s[j] == ']') {
            size_t k = j + 1;
            while (char_at(lx, k) == '=') k++;
            if (char_at(lx, k) == ']' && (int)(k - j - 1) == level) {
                if (t) {
                    t->text = lx->s + start;
                    t->len = j - start;
                }
                lx->pos = k + 1;
                return 1;
            }
        }
    }
    return 0;
}

/* Reads a short string opening at lx->pos into t. Returns 0 when it is not closed. */
static int read_short_string(lexer *lx, token *t) {
    int quote = lx->s[lx->pos];
    size_t j = lx->pos + 1;
    t->plain = 1;
    while (j < lx->n) {
        int c = (unsigned char)lx->s[j];
        if (c == '\\') {
            t->plain = 0;
            int e = char_at(lx, j + 1);
            if (e == '\n') {
                lx->line++;
            } else if (e == 'z') {
                j += 2;
                while (j < lx->n && is_space((unsigned char)lx->s[j])) {
                    if (lx->s[j] == '\n') lx->line++;
                    j++;
                }
                continue;
            }
            j += 2;
        } else if (c == quote) {
            t->text = lx->s + lx->pos + 1;
            t->len = j - lx->pos - 1;
            lx->pos = j + 1;
            return 1;
        } else if (c == '\n') {
            return 0;
        } else {
            j++;
        }
    }
    return 0;
}

/* A numeral as Lua's lexer reads it (llex.c read_numeral): hex digits, '.', exponents. */
static void read_number(lexer *lx, token *t) {
    size_t j = lx->pos;
    const char *expo = "Ee";
    if (lx->s[j] == '0' && (char_at(lx, j + 1) == 'x' || char_at(lx, j + 1) == 'X')) {
        expo = "Pp";
        j += 2;
    }
    for (;;) {
        int c = char_at(lx, j);
        if (c == expo[0] || c == expo[1]) {
            j++;
            if (char_at(lx, j) == '+' || char_at(lx, j) == '-') j++;
        } else if (c >= 0 && (is_xdigit(c) || c == '.')) {
            j++;
        } else {
            break;
        }
    }
    t->text = lx->s + lx->pos;
    t->len = j - lx->pos;
    lx->pos = j;
}

static void next_token(lexer *lx, token *t) {
    memset(t, 0, sizeof *t);
    while (!lx->done && lx->pos < lx->n) {
        int c = (unsigned char)lx->s[lx->pos];
        t->line = lx->line;
        if (c == '\n') {
            lx->line++;
            lx->pos++;
        } else if (is_space(c)) {
            lx->pos++;
        } else if (c == '-' && char_at(lx, lx->pos + 1) == '-') {
            lx->pos += 2;
            int level = char_at(lx, lx->pos) == '[' ? long_bracket_level(lx, lx->pos) : -1;
            if (level >= 0) {
                if (!skip_long_bracket(lx, level, NULL)) lx->done = 1;
            } else {
                while (lx->pos < lx->n && lx->s[lx->pos] != '\n') lx->pos++;
            }
        } else if (is_alpha(c)) {
            size_t j = lx->pos;
            while (j < lx->n && (is_alpha((unsigned char)lx->s[j]) || is_digit((unsigned char)lx->s[j]))) j++;
            t->text = lx->s + lx->pos;
            t->len = j - lx->pos;
            t->kind = TK_NAME;
            if (t->len >= 2 && t->len <= 8 && t->text[0] >= 'a' && t->text[0] <= 'w')
                for (int k = 0; keywords[k].word; k++)
                    if (keywords[k].len == t->len && memcmp(keywords[k].word, t->text, t->len) == 0) {
                        t->kind = TK_KEYWORD;
                        break;
                    }
            lx->pos = j;
            return;
        } else if (is_digit(c) || (c == '.' && is_digit(char_at(lx, lx->pos + 1)))) {
            read_number(lx, t);
            t->kind = TK_NUMBER;
            return;
        } else if (c == '"' || c == '\'') {
            if (!read_short_string(lx, t)) break;
            t->kind = TK_STRING;
            return;
        } else if (c == '[' && long_bracket_level(lx, lx->pos) >= 0) {
            if (!skip_long_bracket(lx, long_bracket_level(lx, lx->pos), t)) break;
            t->kind = TK_STRING; /* not plain: never taken as a key */
            return;
        } else {
            static const char *const multi[] = {"...", "..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>", NULL};
            size_t len = 1;
            for (const char *const *m = multi; strchr(".=~<>/:", c) && *m; m++) {
                size_t mlen = strlen(*m);
                if (lx->pos + mlen <= lx->n && memcmp(lx->s + lx->pos, *m, mlen) == 0) {
                    len = mlen;
                    break;
                }
            }
            t->kind = TK_OP;
            t->text = lx->s + lx->pos;
            t->len = len;
            lx->pos += len;
            return;
        }
    }
    lx->done = 1;
    t->kind = TK_EOF;
    t->line = lx->line;
}

/* The tokens ahead, read on demand: a top-level name chain (a.b["c"].d =) needs a few. */
#define LOOKAHEAD 32
typedef struct stream {
    lexer lx;
    token ahead[LOOKAHEAD];
    int count;
    token previous; /* the last token consumed */
} stream;

static const token *peek(stream *st, int k) {
    while (st->count <= k) next_token(&st->lx, &st->ahead[st->count++]);
    return &st->ahead[k];
}

/* Consumes k tokens (already peeked). */
static void consume(stream *st, int k) {
    st->previous = st->ahead[k - 1];
    memmove(st->ahead, st->ahead + k, (size_t)(st->count - k) * sizeof(token));
    st->count -= k;
}

static int is_op(const token *t, const char *op) {
    return t->kind == TK_OP && t->len == strlen(op) && memcmp(t->text, op, t->len) == 0;
}

static int is_keyword(const token *t, const char *word) {
    return t->kind == TK_KEYWORD && t->len == strlen(word) && memcmp(t->text, word, t->len) == 0;
}

/* Whether a numeral is a plain decimal integer that fits (the only numeric keys compared). */
static int integer_value(const token *t, lua_Integer *value) {
    if (t->kind != TK_NUMBER || t->len == 0 || t->len > 18) return 0;
    lua_Integer v = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (!is_digit((unsigned char)t->text[i])) return 0;
        v = v * 10 + (t->text[i] - '0');
    }
    *value = v;
    return 1;
}

/* Pushes the key a literal token stands for ([1], ["x"] or x) and returns 1, or returns 0. */
static int push_key(lua_State *L, const token *t) {
    lua_Integer n;
    if (t->kind == TK_NAME || (t->kind == TK_STRING && t->plain)) {
        lua_pushlstring(L, t->text, t->len);
        return 1;
    }
    if (integer_value(t, &n)) {
        lua_pushinteger(L, n);
        return 1;
    }
    return 0;
}

enum frame_kind { F_BRACE, F_PAREN, F_BRACKET, F_BLOCK };

/* Constructors nest at most about 200 deep before Lua's own parser refuses the file. */
#define MAX_FRAMES 256
typedef struct frame {
    int kind;
    int is_function;   /* F_BLOCK opened by `function` */
    int at_entry;      /* F_BRACE: the next token starts an entry */
    int has_seen;      /* F_BRACE: S_SEEN[depth] holds the keys written so far */
    int has_path;      /* F_BRACE: its path is known: S_PATHS[depth] */
    lua_Integer index; /* F_BRACE: positional entries so far */
} frame;

/* Stack slots of duplicate_keys. S_PATHS[depth] is, for a constructor whose path is known, the
 * list of keys before it (`models.Message = {`, `return {`: a table) or its key in the
 * constructor around it. S_PENDING holds that value for the constructor about to open. */
enum { S_SOURCE = 1, S_RESULT, S_SEEN, S_PATHS, S_PENDING };
enum pending_kind { PENDING_NONE, PENDING_ROOT, PENDING_KEY };

/* Pushes the path to key (at key_idx) in constructor `depth`, or nil when it is not known.
 * Stack effect: +1. */
static void push_path(lua_State *L, const frame *frames, int depth, int key_idx) {
    key_idx = lua_absindex(L, key_idx);
    int root = depth;
    for (; root > 0; root--) {
        if (!frames[root - 1].has_path) break;
        if (lua_rawgeti(L, S_PATHS, root) == LUA_TTABLE) break; /* the prefix stays on the stack */
        lua_pop(L, 1);
    }
    if (root == 0 || !frames[root - 1].has_path) {
        lua_pushnil(L);
        return;
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    lua_createtable(L, (int)n + depth - root + 1, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawseti(L, -2, i);
    }
    for (int d = root + 1; d <= depth; d++) {
        lua_rawgeti(L, S_PATHS, d);
        lua_rawseti(L, -2, ++n);
    }
    lua_pushvalue(L, key_idx);
    lua_rawseti(L, -2, ++n);
    lua_remove(L, -2);
}

/* Records the key on top of the stack (popped) written at line in constructor `depth`: when
 * it was written before, appends { key, line, first, path? } to the result. */
static void note_key(lua_State *L, frame *frames, int depth, int line) {
    int key = lua_gettop(L);
    frame *f = &frames[depth - 1];
    if (!f->has_seen) {
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawseti(L, S_SEEN, depth);
        f->has_seen = 1;
    } else {
        lua_rawgeti(L, S_SEEN, depth);
    }
    lua_pushvalue(L, key);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        lua_createtable(L, 0, 4);
        lua_pushvalue(L, key);
        lua_setfield(L, -2, "key");
        lua_pushinteger(L, line);
        lua_setfield(L, -2, "line");
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "first");
        push_path(L, frames, depth, key);
        lua_setfield(L, -2, "path");
        lua_rawseti(L, S_RESULT, (lua_Integer)lua_rawlen(L, S_RESULT) + 1);
    } else {
        lua_pushvalue(L, key);
        lua_pushinteger(L, line);
        lua_rawset(L, key + 1);
    }
    lua_settop(L, key - 1);
}

/* At a top-level statement starting with a name: when it is `a.b["c"] = {`, consumes the
 * chain and the `=` and leaves { "a", "b", "c" } in S_PENDING. Returns 1 then. */
static int top_level_chain(lua_State *L, stream *st) {
    int k = 1;
    for (;;) {
        const token *t = peek(st, k);
        if (k + 4 >= LOOKAHEAD) return 0;
        if (is_op(t, ".") && peek(st, k + 1)->kind == TK_NAME) k += 2;
        else if (is_op(t, "[") && (peek(st, k + 1)->kind == TK_STRING || peek(st, k + 1)->kind == TK_NUMBER) &&
                 is_op(peek(st, k + 2), "]"))
            k += 3;
        else break;
    }
    if (!is_op(peek(st, k), "=") || !is_op(peek(st, k + 1), "{")) return 0;
    lua_newtable(L);
    lua_Integer n = 0;
    for (int i = 0; i < k;) {
        const token *t = peek(st, i);
        /* a[x] with a string or a number x only (checked above) */
        int ok = push_key(L, is_op(t, "[") || is_op(t, ".") ? peek(st, i + 1) : t);
        if (!ok) {
            lua_pop(L, 1);
            return 0;
        }
        lua_rawseti(L, -2, ++n);
        i += is_op(t, "[") ? 3 : is_op(t, ".") ? 2 : 1;
    }
    lua_replace(L, S_PENDING);
    consume(st, k + 1);
    return 1;
}

static int opens_frame(const token *t) {
    return is_op(t, "{") || is_op(t, "(") || is_op(t, "[") || is_keyword(t, "function") || is_keyword(t, "if") ||
           is_keyword(t, "do") || is_keyword(t, "repeat");
}

/* The kind of frame a token closes, or -1. */
static int closed_frame(const token *t) {
    if (is_op(t, "}")) return F_BRACE;
    if (is_op(t, ")")) return F_PAREN;
    if (is_op(t, "]")) return F_BRACKET;
    if (is_keyword(t, "end") || is_keyword(t, "until")) return F_BLOCK;
    return -1;
}

/* duplicate_keys(source) -> { { key =, line =, first =, path = {...}? }, ... }: every key
 * written again in the same table constructor, with the line of the repeat and of the first.
 * path lists the keys from a top-level assignment (`models.Message = {`) or `return {` down
 * to the repeated key, when every step is a constant key. Stops quietly at anything that is
 * not valid Lua (a config is scanned only once it has run). */
int core_duplicate_keys(lua_State *L) {
    size_t n;
    const char *source = luaL_checklstring(L, 1, &n);
    lua_settop(L, 1);
    lua_newtable(L); /* S_RESULT */
    lua_newtable(L); /* S_SEEN */
    lua_newtable(L); /* S_PATHS */
    lua_pushnil(L);  /* S_PENDING */

    stream st;
    memset(&st, 0, sizeof st);
    st.lx = (lexer){.s = source, .n = n, .pos = 0, .line = 1, .done = 0};
    if (n > 0 && source[0] == '#') /* a first line like #!/usr/bin/env lua is skipped, as Lua does */
        while (st.lx.pos < n && source[st.lx.pos] != '\n') st.lx.pos++;

    frame frames[MAX_FRAMES];
    int depth = 0, enclosing = 0 /* open (, [ and { */, functions = 0, pending = PENDING_NONE;
    for (;;) {
        const token *t = peek(&st, 0);
        if (t->kind == TK_EOF) break;
        frame *top = depth > 0 ? &frames[depth - 1] : NULL;

        if (top && top->kind == F_BRACE && top->at_entry && !is_op(t, "}")) {
            top->at_entry = 0;
            int line = t->line, keyed = 1;
            if (t->kind == TK_NAME && is_op(peek(&st, 1), "=")) {
                push_key(L, t);
                consume(&st, 2);
            } else if (is_op(t, "[") && peek(&st, 1)->kind != TK_NAME && is_op(peek(&st, 2), "]") &&
                       is_op(peek(&st, 3), "=") && push_key(L, peek(&st, 1))) {
                consume(&st, 4);
            } else if (is_op(t, "[")) {
                keyed = -1; /* a computed key: nothing to compare, and no path below it */
            } else {
                keyed = 0; /* a positional entry: its index only names a constructor in it */
                lua_pushinteger(L, ++top->index);
            }
            if (keyed >= 0) {
                if (top->has_path && is_op(peek(&st, 0), "{")) {
                    lua_pushvalue(L, -1);
                    lua_replace(L, S_PENDING);
                    pending = PENDING_KEY;
                }
                if (keyed) note_key(L, frames, depth, line);
                else lua_pop(L, 1);
            }
            t = peek(&st, 0);
        } else if (enclosing == 0 && functions == 0 && t->kind == TK_NAME &&
                   !(is_op(&st.previous, ".") || is_op(&st.previous, ":") || is_op(&st.previous, "::") ||
                     is_keyword(&st.previous, "local") || is_keyword(&st.previous, "function") ||
                     is_keyword(&st.previous, "goto")) &&
                   top_level_chain(L, &st)) {
            pending = PENDING_ROOT;
            continue;
        } else if (enclosing == 0 && functions == 0 && is_keyword(t, "return") && is_op(peek(&st, 1), "{")) {
            lua_newtable(L);
            lua_replace(L, S_PENDING);
            pending = PENDING_ROOT;
            consume(&st, 1);
            continue;
        }

        int closes = closed_frame(t);
        if (opens_frame(t)) {
            if (depth == MAX_FRAMES) break;
            frame *f = &frames[depth++];
            memset(f, 0, sizeof *f);
            if (is_op(t, "{")) {
                f->kind = F_BRACE;
                f->at_entry = 1;
                if (pending != PENDING_NONE) {
                    f->has_path = 1;
                    lua_pushvalue(L, S_PENDING);
                    lua_rawseti(L, S_PATHS, depth);
                }
            } else if (t->kind == TK_OP) {
                f->kind = *t->text == '(' ? F_PAREN : F_BRACKET;
            } else {
                f->kind = F_BLOCK;
                f->is_function = is_keyword(t, "function");
                functions += f->is_function;
            }
            if (f->kind != F_BLOCK) enclosing++;
        } else if (closes >= 0) {
            if (!top || top->kind != closes) break; /* not valid Lua */
            if (top->has_seen) {
                lua_pushnil(L);
                lua_rawseti(L, S_SEEN, depth);
            }
            if (top->has_path) {
                lua_pushnil(L);
                lua_rawseti(L, S_PATHS, depth);
            }
            if (closes != F_BLOCK) enclosing--;
            functions -= top->is_function;
            depth--;
        } else if ((is_op(t, ",") || is_op(t, ";")) && top && top->kind == F_BRACE) {
            top->at_entry = 1;
        }
        pending = PENDING_NONE;
        consume(&st, 1);
    }
    lua_settop(L, S_RESULT);
    return 1;
}
