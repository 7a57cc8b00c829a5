/* The PostgreSQL store's writes (create, update, remove, batches, events_since:
 * store_pg_write.c) against a throwaway PostgreSQL (tests/support/pg.sh; exits 77, skipped,
 * when PostgreSQL is not installed):
 * - one sequence of creates, PATCH and PUT updates and deletes run against a SQLite store and
 *   a PostgreSQL store on the same config gives the same statuses, fields at fault, messages
 *   and row bytes (ids masked: PostgreSQL's identity spends a number on a failed insert, and
 *   UUIDs are random; auto datetimes checked for their shape), the same change events and
 *   the same replayed history; the list cases the SQLite store passes, on rows the store's own
 *   create made;
 * - authorize: refused (DENIED, nothing written, no event), aborted (REJECTED with its
 *   message), changing the body (applied), reading through the store (works), on both stores;
 * - the change stream: offsets one after another in the store's epoch, the row and the row
 *   before, replayed from 0 with the same bytes; a wrong epoch or pruned history is
 *   CANNOT_RECOVER without a visit; history deleted by hand starts a new epoch;
 * - a batch whose middle write fails commits the other two with consecutive offsets;
 * - two handles, and two processes, writing at once: offsets gapless, each once;
 * - a third handle's signals: one per committed write, none for a rolled-back one; a write
 *   waiting past lock_timeout for another's is BUSY;
 * - a lost connection is made again; a database refusing connections is UNAVAILABLE, naming
 *   it, writing nothing, until it accepts them again.
 * Uses store_list_cases.h (err, store, item, the list cases), test_store_support.h,
 * test_store_pg_support.h (the server, databases, SQL of the test's own), libpq. */
#include "store_list_cases.h"

#include "test_store_pg_support.h"

#include <ctype.h>
#include <poll.h>
#include <time.h>

/* Every kind of write and answer a user relies on: integer and UUID ids, defaults, auto
 * datetimes, an owner, unique fields, a json field, belongsTo with restrict (Item.ownerId),
 * cascade (Doc.authorId) and setNull (Note.userId), and a restrict behind a cascade (a Book on
 * a Shelf that deleting its User would delete); unique camelCase fields, alone and together. */
static const char *const write_config =
    "name = 'pgwrite'\n"
    "models = {\n"
    "  User = { fields = { { 'id', 'id' }, { 'name', 'string', max = 20 },\n"
    "                      { 'email', 'string', unique = true, optional = true } } },\n"
    "  Item = {\n"
    "    owner = 'ownerId',\n"
    "    fields = {\n"
    "      { 'id', 'id' },\n"
    "      { 'title', 'string', max = 40 },\n"
    "      { 'qty', 'int', optional = true },\n"
    "      { 'price', 'float', optional = true },\n"
    "      { 'done', 'bool', default = false },\n"
    "      { 'meta', 'json', optional = true },\n"
    "      { 'notes', 'text', optional = true },\n"
    "      { 'dueAt', 'datetime', optional = true },\n"
    "      { 'state', 'enum', values = { 'open', 'closed' }, default = 'open' },\n"
    "      { 'ownerId', 'int', belongsTo = 'User', optional = true },\n"
    "      { 'createdAt', 'datetime', auto = 'create' },\n"
    "      { 'updatedAt', 'datetime', auto = 'update' },\n"
    "    },\n"
    "  },\n"
    "  Doc = { fields = { { 'id', 'id', uuid = true }, { 'body', 'text' },\n"
    "                     { 'tag', 'string', unique = true, optional = true },\n"
    "                     { 'authorId', 'int', belongsTo = 'User', onDelete = 'cascade', optional = true } } },\n"
    "  Note = { fields = { { 'id', 'id' }, { 'text', 'string' },\n"
    "                      { 'userId', 'int', belongsTo = 'User', onDelete = 'setNull', optional = true } } },\n"
    "  Shelf = { fields = { { 'id', 'id' }, { 'userId', 'int', belongsTo = 'User', onDelete = 'cascade' } } },\n"
    "  Book = { fields = { { 'id', 'id' }, { 'shelfId', 'int', belongsTo = 'Shelf' } } },\n"
    "  Seat = { fields = { { 'id', 'id' }, { 'roomName', 'string' }, { 'row', 'int' },\n"
    "                      { 'badgeCode', 'string', unique = true, optional = true } },\n"
    "           indexes = { { fields = { 'roomName', 'row' }, unique = true } } },\n"
    "}\n";

static const ssot_app *app;

static ssot_store *open_pg_as(const char *db, const char *application_name, int64_t history) {
    char url[1400];
    snprintf(url, sizeof url, "%s%s%s", url_of(db), application_name ? "&application_name=" : "",
             application_name ? application_name : "");
    ssot_pg_options options = {.conninfo = url, .history = history};
    ssot_store *s = NULL;
    CHECK_STATUS(ssot_store_pg_open(app, &options, &s, &err), SSOT_STORE_OK);
    if (!s) exit(1);
    return s;
}

static ssot_store *open_pg(const char *db) { return open_pg_as(db, NULL, 0); }

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether text (n bytes) is an ISO 8601 UTC time with milliseconds: 2026-03-01T10:00:00.000Z. */
static int datetime_shape(const char *text, size_t n) {
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (n != sizeof shape - 1) return 0;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != shape[i]) return 0;
    return 1;
}

/* --- names for ids ------------------------------------------------------------------------
 * Rows are named when created ("u1"); each store has its own id for a name. Row JSON is
 * compared with ids shown as their names, so two stores' bytes can be equal. */

typedef struct named {
    const char *model;
    char name[16];
    char id[SSOT_ID_TEXT_SIZE];
} named;

typedef struct names {
    named row[64];
    int n;
} names;

static const char *id_of(const names *ns, const char *name) {
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->row[i].name, name) == 0) return ns->row[i].id;
    return NULL;
}

static const char *name_of(const names *ns, const char *model, const char *id, size_t n) {
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->row[i].model, model) == 0 && strlen(ns->row[i].id) == n && memcmp(ns->row[i].id, id, n) == 0)
            return ns->row[i].name;
    return NULL;
}

static void add_name(names *ns, const char *model, const char *name, const char *id) {
    if (ns->n >= 64) return;
    named *r = &ns->row[ns->n++];
    r->model = model;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->id, sizeof r->id, "%s", id);
}

/* The name of the user whose id is the owner text, or "?". */
static const char *owner_name(const names *ns, const char *owner) {
    const char *name = name_of(ns, "User", owner, strlen(owner));
    return name ? name : "?";
}

/* The end of the JSON string starting at text[i] (a quote): the index after its closing quote. */
static size_t string_end(const char *text, size_t n, size_t i) {
    for (i++; i < n; i++) {
        if (text[i] == '\\') i++;
        else if (text[i] == '"') return i + 1;
    }
    return n;
}

/* Appends row JSON (n bytes) to out byte for byte, but the values of the top-level id,
 * belongsTo and auto datetime fields: an id as "#<name>" ("#?<id>" when unnamed), an auto
 * datetime as "<datetime>" when it has the right shape. */
static void mask_row(ssot_buf *out, const ssot_model *m, const char *json, size_t n, const names *ns) {
    int depth = 0, key_next = 0;
    for (size_t i = 0; i < n;) {
        char c = json[i];
        if (c == '"') {
            size_t end = string_end(json, n, i);
            if (depth == 1 && key_next && end < n && json[end] == ':') {
                const ssot_field *f = ssot_model_field(m, json + i + 1, end - i - 2);
                ssot_buf_append(out, json + i, end + 1 - i);
                size_t v = end + 1, w = v;
                if (w < n && json[w] == '"') w = string_end(json, n, w);
                else while (w < n && json[w] != ',' && json[w] != '}') w++;
                const char *value = json + v;
                size_t len = w - v;
                int quoted = len >= 2 && value[0] == '"';
                const char *ref = !f ? NULL : f->type == SSOT_TYPE_ID ? m->name : f->ref_model;
                if (f && (ref || f->auto_kind != SSOT_AUTO_NONE) && !(len == 4 && memcmp(value, "null", 4) == 0)) {
                    const char *bare = quoted ? value + 1 : value;
                    size_t bare_len = quoted ? len - 2 : len;
                    if (ref) {
                        const char *name = name_of(ns, ref, bare, bare_len);
                        if (name) ssot_buf_printf(out, "\"#%s\"", name);
                        else ssot_buf_printf(out, "\"#?%.*s\"", (int)bare_len, bare);
                    } else {
                        ssot_buf_puts(out, datetime_shape(bare, bare_len) ? "\"<datetime>\"" : "\"<not a datetime>\"");
                    }
                    i = w;
                } else {
                    i = v;
                }
                key_next = 0;
                continue;
            }
            ssot_buf_append(out, json + i, end - i);
            i = end;
            continue;
        }
        if (c == '{' || c == '[') depth++;
        if (c == '}' || c == ']') depth--;
        key_next = depth == 1 && (c == '{' || c == ',');
        ssot_buf_putc(out, c);
        i++;
    }
}

/* message with "<Model> <id>" of a named row shown as "<Model> #<name>" (static buffer). */
static const char *mask_message(const char *message, const names *ns) {
    static char out[2200];
    snprintf(out, sizeof out, "%s", message);
    for (int i = 0; i < ns->n; i++) {
        char from[80];
        snprintf(from, sizeof from, "%s %s", ns->row[i].model, ns->row[i].id);
        char *at = strstr(out, from);
        size_t flen = strlen(from);
        if (!at || isalnum((unsigned char)at[flen]) || at[flen] == '-') continue;
        char rest[2200];
        snprintf(rest, sizeof rest, "%s", at + flen);
        snprintf(at, sizeof out - (size_t)(at - out), "%s #%s%s", ns->row[i].model, ns->row[i].name, rest);
    }
    return out;
}

/* Prints both texts and counts a failure when they differ. */
static int same(const char *what, const char *sq, const char *pg) {
    if (strcmp(sq, pg) == 0) return 1;
    fprintf(stderr, "%s differs:\n  sqlite:   %s\n  postgres: %s\n", what, sq, pg);
    failures++;
    return 0;
}

/* --- 1. the same sequence on both stores --------------------------------------------------- */

typedef struct step {
    char what;          /* 'c' create, 'p' PATCH, 'u' PUT, 'd' delete, 'g' get */
    const char *model;
    const char *target; /* "$name": the named row's id; "^name": the same in upper case; else literal */
    const char *body;   /* a "$name" string value: that row's id in the store at hand */
    const char *as;     /* create: the new row's name */
    ssot_store_status expect;
} step;

static const step steps[] = {
    {'c', "User", NULL, "{\"name\":\"ann\",\"email\":\"a@x\"}", "u1", SSOT_STORE_OK},
    {'c', "User", NULL, "{\"name\":\"bob\"}", "u2", SSOT_STORE_OK},
    {'c', "User", NULL, "{\"name\":\"cy\",\"email\":\"c@x\"}", "u3", SSOT_STORE_OK},
    {'c', "User", NULL, "{\"name\":\"dup\",\"email\":\"a@x\"}", NULL, SSOT_STORE_CONFLICT},
    {'c', "User", NULL, "{\"name\":\"dee\",\"email\":null}", "u4", SSOT_STORE_OK},
    /* defaults and auto datetimes filled; a json object's keys kept in the order written */
    {'c', "Item", NULL,
     "{\"title\":\"first\",\"ownerId\":\"$u1\",\"price\":2.5,"
     "\"meta\":{\"z\":1,\"a\":{\"y\":[1,{\"b\":2,\"a\":1}],\"x\":null},\"s\":\"\\u00e9\\\"q\"}}",
     "i1", SSOT_STORE_OK},
    {'c', "Item", NULL, "{\"title\":\"second\",\"qty\":3,\"done\":true,\"state\":\"closed\",\"ownerId\":\"$u2\"}", "i2",
     SSOT_STORE_OK},
    {'c', "Item", NULL, "{\"title\":\"third\",\"meta\":[3,\"x\"],\"ownerId\":null}", "i3", SSOT_STORE_OK},
    /* values at the edges of their types, written and read back by each store */
    {'c', "Item", NULL,
     "{\"title\":\"edges\",\"qty\":9223372036854775807,\"price\":0.1,\"dueAt\":\"2024-02-29T23:59:59.999Z\","
     "\"notes\":\"quote \\\" back \\\\ nl \\n tab \\t ctl \\u0001 ls \\u2028 emoji \\ud83d\\ude00 \\u65e5\"}",
     "i4", SSOT_STORE_OK},
    {'p', "Item", "$i4", "{\"qty\":-9223372036854775807,\"price\":1e300,\"dueAt\":\"1970-01-01T00:00:00.000Z\"}", NULL,
     SSOT_STORE_OK},
    {'p', "Item", "$i4", "{\"price\":123456789.123,\"qty\":0,\"notes\":\"\"}", NULL, SSOT_STORE_OK},
    {'p', "Item", "$i4", "{\"price\":-2.5e-7,\"meta\":\"a string\",\"dueAt\":null}", NULL, SSOT_STORE_OK},
    {'d', "Item", "$i4", NULL, NULL, SSOT_STORE_OK},
    {'c', "Item", NULL, "{\"title\":\"orphan\",\"ownerId\":999}", NULL, SSOT_STORE_INVALID},
    {'p', "Item", "$i1", "{\"qty\":7,\"meta\":{\"k\":\"v\",\"b\":[]}}", NULL, SSOT_STORE_OK},
    {'p', "Item", "$i1", "{\"price\":null,\"meta\":null}", NULL, SSOT_STORE_OK},
    /* PUT: absent fields become their defaults or null; the owner stays */
    {'u', "Item", "$i2", "{\"title\":\"second v2\"}", NULL, SSOT_STORE_OK},
    {'p', "Item", "$i3", "{\"ownerId\":\"$u3\"}", NULL, SSOT_STORE_OK},
    {'p', "Item", "$i1", "{\"ownerId\":999}", NULL, SSOT_STORE_INVALID},
    {'p', "User", "$u3", "{\"email\":\"a@x\"}", NULL, SSOT_STORE_CONFLICT},
    {'p', "User", "$u3", "{\"email\":\"c2@x\"}", NULL, SSOT_STORE_OK},
    {'p', "Item", NULL, "{\"qty\":1}", NULL, SSOT_STORE_NOT_FOUND}, /* target filled below: 12345 */
    {'p', "Item", "abc", "{\"qty\":1}", NULL, SSOT_STORE_NOT_FOUND},
    {'u', "Item", "02", "{\"title\":\"x\"}", NULL, SSOT_STORE_NOT_FOUND},
    {'d', "Item", "777", NULL, NULL, SSOT_STORE_NOT_FOUND},
    {'d', "Item", "x1", NULL, NULL, SSOT_STORE_NOT_FOUND},
    {'d', "Item", "9223372036854775808", NULL, NULL, SSOT_STORE_NOT_FOUND},
    /* UUID ids */
    {'c', "Doc", NULL, "{\"body\":\"d1\",\"tag\":\"t1\",\"authorId\":\"$u1\"}", "d1", SSOT_STORE_OK},
    {'c', "Doc", NULL, "{\"body\":\"d2\",\"tag\":\"t1\"}", NULL, SSOT_STORE_CONFLICT},
    {'c', "Doc", NULL, "{\"body\":\"d3\",\"authorId\":\"$u3\",\"tag\":\"t3\"}", "d3", SSOT_STORE_OK},
    {'c', "Doc", NULL, "{\"body\":\"d4\",\"authorId\":12345}", NULL, SSOT_STORE_INVALID},
    {'p', "Doc", "^d1", "{\"tag\":\"t2\"}", NULL, SSOT_STORE_OK},
    {'p', "Doc", "$d1", "{\"tag\":\"t3\"}", NULL, SSOT_STORE_CONFLICT},
    {'u', "Doc", "$d3", "{\"body\":\"d3 v2\",\"authorId\":\"$u3\"}", NULL, SSOT_STORE_OK},
    {'p', "Doc", "not-a-uuid", "{\"tag\":\"t9\"}", NULL, SSOT_STORE_NOT_FOUND},
    {'d', "Doc", "00000000-0000-4000-8000-000000000000", NULL, NULL, SSOT_STORE_NOT_FOUND},
    {'d', "Doc", "0b6f1c3e8d2a4c1b9f005a6b7c8d9e0f", NULL, NULL, SSOT_STORE_NOT_FOUND},
    {'c', "Note", NULL, "{\"text\":\"n1\",\"userId\":\"$u2\"}", "n1", SSOT_STORE_OK},
    {'c', "Note", NULL, "{\"text\":\"n2\",\"userId\":\"$u1\"}", "n2", SSOT_STORE_OK},
    /* restrict: the message names the model and field still referring */
    {'d', "User", "$u1", NULL, NULL, SSOT_STORE_CONFLICT},
    {'d', "Item", "$i1", NULL, NULL, SSOT_STORE_OK},
    {'g', "Item", "$i1", NULL, NULL, SSOT_STORE_NOT_FOUND},
    /* cascade deletes d1 with it; setNull clears n2's userId */
    {'d', "User", "$u1", NULL, NULL, SSOT_STORE_OK},
    {'g', "Doc", "$d1", NULL, NULL, SSOT_STORE_NOT_FOUND},
    {'g', "Note", "$n2", NULL, NULL, SSOT_STORE_OK},
    {'d', "User", "$u2", NULL, NULL, SSOT_STORE_CONFLICT},
    {'d', "Item", "$i2", NULL, NULL, SSOT_STORE_OK},
    {'d', "User", "$u2", NULL, NULL, SSOT_STORE_OK},
    {'g', "Note", "$n1", NULL, NULL, SSOT_STORE_OK},
    {'d', "User", "$u1", NULL, NULL, SSOT_STORE_NOT_FOUND},
    {'d', "User", "$u3", NULL, NULL, SSOT_STORE_CONFLICT}, /* i3 refers to it */
    {'p', "Item", "$i3", "{\"ownerId\":null}", NULL, SSOT_STORE_OK},
    {'d', "User", "$u3", NULL, NULL, SSOT_STORE_OK}, /* and d3 goes with it */
    {'g', "Doc", "$d3", NULL, NULL, SSOT_STORE_NOT_FOUND},
    /* a restrict reference to a row the delete would cascade to */
    {'c', "Shelf", NULL, "{\"userId\":\"$u4\"}", "s1", SSOT_STORE_OK},
    {'c', "Book", NULL, "{\"shelfId\":\"$s1\"}", "b1", SSOT_STORE_OK},
    {'d', "User", "$u4", NULL, NULL, SSOT_STORE_CONFLICT},
    {'d', "Shelf", "$s1", NULL, NULL, SSOT_STORE_CONFLICT},
    {'d', "Book", "$b1", NULL, NULL, SSOT_STORE_OK},
    {'d', "User", "$u4", NULL, NULL, SSOT_STORE_OK},
    {'g', "Shelf", "$s1", NULL, NULL, SSOT_STORE_NOT_FOUND},
    /* conflicts on a camelCase unique field and on a unique index of two fields */
    {'c', "Seat", NULL, "{\"roomName\":\"hall\",\"row\":1,\"badgeCode\":\"B1\"}", "t1", SSOT_STORE_OK},
    {'c', "Seat", NULL, "{\"roomName\":\"hall\",\"row\":2,\"badgeCode\":\"B1\"}", NULL, SSOT_STORE_CONFLICT},
    {'c', "Seat", NULL, "{\"roomName\":\"hall\",\"row\":1}", NULL, SSOT_STORE_CONFLICT},
    {'c', "Seat", NULL, "{\"roomName\":\"hall\",\"row\":2}", "t2", SSOT_STORE_OK},
    {'p', "Seat", "$t2", "{\"row\":1}", NULL, SSOT_STORE_CONFLICT},
    {'u', "Seat", "$t2", "{\"roomName\":\"hall\",\"row\":3,\"badgeCode\":\"B1\"}", NULL, SSOT_STORE_CONFLICT},
};

/* The target id of a step in the store whose names are ns (buffer of SSOT_ID_TEXT_SIZE). */
static const char *step_target(const step *st, const names *ns, char *buf) {
    if (!st->target) return "12345";
    if (st->target[0] != '$' && st->target[0] != '^') return st->target;
    const char *id = id_of(ns, st->target + 1);
    snprintf(buf, SSOT_ID_TEXT_SIZE, "%s", id ? id : "(unnamed)");
    if (st->target[0] == '^')
        for (char *p = buf; *p; p++) *p = (char)toupper((unsigned char)*p);
    return buf;
}

/* A step's body with "$name" values replaced by the named rows' ids. */
static json_t *step_body(const step *st, const names *ns) {
    json_t *body = parse(st->body);
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        const char *text = json_string_value(value);
        if (!text || text[0] != '$') continue;
        const char *id = id_of(ns, text + 1);
        if (!id) id = "0";
        if (isdigit((unsigned char)id[0])) json_object_set_new(body, key, json_integer(strtoll(id, NULL, 10)));
        else json_object_set_new(body, key, json_string(id));
    }
    return body;
}

/* Runs a step on s and describes what it answered, ids masked (malloc'd). */
static char *run_step(ssot_store *s, const step *st, names *ns) {
    const ssot_model *m = ssot_app_model(app, st->model);
    char target[SSOT_ID_TEXT_SIZE];
    const char *id = step_target(st, ns, target);
    json_t *body = st->body ? step_body(st, ns) : NULL;
    ssot_buf out = SSOT_BUF_INIT, text = SSOT_BUF_INIT;
    ssot_buf_puts(&out, "before:"); /* a failed write must leave out as it was */
    size_t start = out.len;
    ssot_change change;
    memset(&change, 0, sizeof change);
    ssot_store_status status;
    switch (st->what) {
    case 'c': status = ssot_store_create(s, m, body, &out, &change, &err); break;
    case 'p':
    case 'u':
        status = ssot_store_update(s, m, id, strlen(id), body, st->what == 'p' ? SSOT_UPDATE_PATCH : SSOT_UPDATE_REPLACE,
                                   NULL, &out, &change, &err);
        break;
    case 'd': status = ssot_store_remove(s, m, id, strlen(id), NULL, &out, &change, &err); break;
    default: status = ssot_store_get(s, m, id, strlen(id), NULL, &out, &err); break;
    }
    json_decref(body);
    if (status != st->expect) {
        fprintf(stderr, "%s step %c %s %s: expected %s, got %s: %s\n", s->ops->name, st->what, st->model, id,
                ssot_store_status_name(st->expect), ssot_store_status_name(status), err.message);
        failures++;
    }
    ssot_buf_printf(&text, "%s", ssot_store_status_name(status));
    if (status != SSOT_STORE_OK) {
        CHECK(out.len == start);
        ssot_buf_printf(&text, " field=%s: %s", err.field ? err.field->name : "(none)", mask_message(err.message, ns));
    } else {
        if (st->what == 'c' && st->as) add_name(ns, m->name, st->as, change.row.id);
        ssot_buf_puts(&text, " row=");
        mask_row(&text, m, out.data + start, out.len - start, ns);
    }
    if (status == SSOT_STORE_OK && st->what != 'g') {
        /* the event's row is the answer's, in out; the id and owner are the row's */
        CHECK(change.model == m && change.row.json == out.data + start && change.row.json_len == out.len - start);
        CHECK(change.row.id && name_of(ns, m->name, change.row.id, strlen(change.row.id)));
        CHECK(change.at && datetime_shape(change.at, strlen(change.at)));
        CHECK(strlen(change.epoch) == 32);
        ssot_buf_printf(&text, " event=%s@%lld", ssot_event_name(change.kind), (long long)change.offset);
        ssot_buf_printf(&text, " owner=%s", change.row.owner ? owner_name(ns, change.row.owner) : "null");
        if (change.previous.json) {
            ssot_buf_puts(&text, " previous=");
            mask_row(&text, m, change.previous.json, change.previous.json_len, ns);
            CHECK(change.previous.id && strcmp(change.previous.id, change.row.id) == 0);
        }
        CHECK((change.kind == SSOT_EVENT_UPDATED) == (change.previous.json != NULL));
    }
    ssot_buf_free(&out);
    return ssot_buf_detach(&text, NULL);
}

typedef struct replay {
    const ssot_model *model;
    const names *ns;
    ssot_buf text;
    int visits;
    int64_t last;
    int in_order;
} replay;

static int describe_event(void *ctx, const ssot_change *change) {
    replay *r = ctx;
    if (r->visits > 0 && change->offset != r->last + 1) r->in_order = 0;
    r->last = change->offset;
    r->visits++;
    ssot_buf_printf(&r->text, "%lld %s ", (long long)change->offset, ssot_event_name(change->kind));
    mask_row(&r->text, r->model, change->row.json, change->row.json_len, r->ns);
    if (change->previous.json) {
        ssot_buf_puts(&r->text, " previous ");
        mask_row(&r->text, r->model, change->previous.json, change->previous.json_len, r->ns);
    }
    ssot_buf_putc(&r->text, '\n');
    return 0;
}

/* A model's whole history on s, ids masked (malloc'd). */
static char *history_text(ssot_store *s, const ssot_model *m, const names *ns) {
    replay r = {.model = m, .ns = ns, .text = SSOT_BUF_INIT, .in_order = 1};
    ssot_stream_position since, now;
    CHECK_STATUS(ssot_store_position(s, m, &since, &err), SSOT_STORE_OK);
    since.offset = 0;
    ssot_store_status status = ssot_store_events_since(s, m, &since, describe_event, &r, &now, &err);
    if (status != SSOT_STORE_OK) ssot_buf_printf(&r.text, "%s: %s", ssot_store_status_name(status), err.message);
    CHECK(r.in_order);
    ssot_buf_printf(&r.text, "now %lld", (long long)now.offset);
    return ssot_buf_detach(&r.text, NULL);
}

static void test_same_as_sqlite(void) {
    create_database("compare");
    ssot_store *pg = open_pg("compare"), *sq = NULL;
    char db[256];
    snprintf(db, sizeof db, "%s/compare.db", test_dir);
    ssot_sqlite_options options = {.path = db};
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &sq, &err), SSOT_STORE_OK);
    if (!sq) exit(1);
    names sq_names = {.n = 0}, pg_names = {.n = 0};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char *a = run_step(sq, &steps[i], &sq_names), *b = run_step(pg, &steps[i], &pg_names);
        char what[128];
        snprintf(what, sizeof what, "step %zu (%c %s %s)", i + 1, steps[i].what, steps[i].model,
                 steps[i].target ? steps[i].target : "");
        same(what, a, b);
        if (getenv("SSOT_TEST_VERBOSE")) fprintf(stderr, "%s: %s\n", what, b);
        free(a);
        free(b);
    }
    /* afterwards: every named row, every model's history and position */
    for (int i = 0; i < pg_names.n; i++) {
        step get = {'g', pg_names.row[i].model, NULL, NULL, NULL, SSOT_STORE_OK};
        char target[20];
        snprintf(target, sizeof target, "$%s", pg_names.row[i].name);
        get.target = target;
        ssot_buf out = SSOT_BUF_INIT;
        const char *id = id_of(&sq_names, pg_names.row[i].name);
        get.expect = id && ssot_store_get(sq, ssot_app_model(app, get.model), id, strlen(id), NULL, &out, &err) ==
                                  SSOT_STORE_OK
                         ? SSOT_STORE_OK
                         : SSOT_STORE_NOT_FOUND;
        ssot_buf_free(&out);
        char *a = run_step(sq, &get, &sq_names), *b = run_step(pg, &get, &pg_names);
        same(target, a, b);
        free(a);
        free(b);
    }
    for (size_t i = 0; i < app->nmodels; i++) {
        const ssot_model *m = &app->models[i];
        char *a = history_text(sq, m, &sq_names), *b = history_text(pg, m, &pg_names);
        char what[64];
        snprintf(what, sizeof what, "%s's history", m->name);
        same(what, a, b);
        free(a);
        free(b);
    }
    ssot_store_close(sq);
    ssot_store_close(pg);
}

/* The list cases on rows made by the PostgreSQL store's own create, as test_store_list.c
 * makes them on SQLite. */
static void test_list_cases(const ssot_app *list_app) {
    create_database("listcases");
    ssot_pg_options options = {.conninfo = url_of("listcases")};
    CHECK_STATUS(ssot_store_pg_open(list_app, &options, &store, &err), SSOT_STORE_OK);
    if (!store) exit(1);
    item = ssot_app_model(list_app, "Item");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    for (size_t i = 0; store_list_seed_users[i]; i++) {
        json_t *body = parse(store_list_seed_users[i]);
        CHECK_STATUS(ssot_store_create(store, ssot_app_model(list_app, "User"), body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
    }
    for (size_t i = 0; store_list_seed_items[i]; i++) {
        json_t *body = parse(store_list_seed_items[i]);
        CHECK_STATUS(ssot_store_create(store, item, body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
    }
    ssot_buf_free(&out);
    run_store_list_cases();
    ssot_store_close(store);
    store = NULL;
}

/* --- 2. authorize ---------------------------------------------------------------------------- */

typedef struct rule {
    int verdict;         /* what the callback answers: 1, 0 or -1 */
    const char *message; /* written for 0 and -1 when set */
    json_t *body;        /* set: the callback changes the title in it */
    ssot_store *reads;   /* set: the callback gets the row and lists its model through it */
    const ssot_model *model;
    int calls, reads_ok;
    char seen[1024]; /* the row it was shown */
} rule;

static int rule_fn(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    rule *r = ctx;
    r->calls++;
    snprintf(r->seen, sizeof r->seen, "%.*s", (int)row->json_len, row->json);
    if (r->body) json_object_set_new(r->body, "title", json_string("set by the rule"));
    if (r->reads) {
        ssot_store_error nested;
        ssot_buf out = SSOT_BUF_INIT;
        int ok = ssot_store_get(r->reads, r->model, row->id, strlen(row->id), NULL, &out, &nested) == SSOT_STORE_OK &&
                 out.len == row->json_len && memcmp(out.data, row->json, out.len) == 0;
        ssot_buf_reset(&out);
        ssot_query q;
        ssot_query_init(&q, r->model, 20, 100);
        ssot_stream_position pos;
        ok = ok && ssot_store_list(r->reads, &q, NULL, &out, &pos, &nested) == SSOT_STORE_OK &&
             strstr(out.data, row->json) != NULL;
        ssot_query_free(&q);
        ssot_buf_free(&out);
        r->reads_ok = ok;
    }
    if (r->message) snprintf(message, size, "%s", r->message);
    return r->verdict;
}

/* The model's events after pos, counted (none expected after a refused write). */
static int count_since(ssot_store *s, const ssot_model *m, const ssot_stream_position *pos) {
    replay r = {.model = m, .text = SSOT_BUF_INIT, .in_order = 1};
    names none = {.n = 0};
    r.ns = &none;
    CHECK_STATUS(ssot_store_events_since(s, m, pos, describe_event, &r, NULL, &err), SSOT_STORE_OK);
    ssot_buf_free(&r.text);
    return r.visits;
}

/* Nothing of a refused write: the row as it was, the position as it was, no event. */
static void check_untouched(ssot_store *s, const ssot_model *m, const char *id, const char *row,
                            const ssot_stream_position *before) {
    ssot_buf out = SSOT_BUF_INIT;
    CHECK_STATUS(ssot_store_get(s, m, id, strlen(id), NULL, &out, &err), SSOT_STORE_OK);
    CHECK(out.data && strcmp(out.data, row) == 0);
    ssot_stream_position now;
    CHECK_STATUS(ssot_store_position(s, m, &now, &err), SSOT_STORE_OK);
    CHECK(now.offset == before->offset && strcmp(now.epoch, before->epoch) == 0);
    CHECK(count_since(s, m, before) == 0);
    ssot_buf_free(&out);
}

static void test_authorize(ssot_store *s) {
    const ssot_model *m = ssot_app_model(app, "Item");
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    json_t *body = parse("{\"title\":\"guarded\",\"qty\":1}");
    CHECK_STATUS(ssot_store_create(s, m, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);
    char id[SSOT_ID_TEXT_SIZE], row[1024];
    snprintf(id, sizeof id, "%s", change.row.id);
    snprintf(row, sizeof row, "%s", out.data);
    ssot_stream_position before;
    CHECK_STATUS(ssot_store_position(s, m, &before, &err), SSOT_STORE_OK);

    /* refused: DENIED, nothing written */
    rule refuse = {.verdict = 0, .model = m};
    ssot_authorize a = {rule_fn, &refuse};
    body = parse("{\"qty\":2}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(s, m, id, strlen(id), body, SSOT_UPDATE_PATCH, &a, &out, &change, &err),
                 SSOT_STORE_DENIED);
    CHECK(out.len == 0 && refuse.calls == 1 && strcmp(refuse.seen, row) == 0);
    CHECK_STATUS(ssot_store_remove(s, m, id, strlen(id), &a, &out, &change, &err), SSOT_STORE_DENIED);
    CHECK(out.len == 0 && refuse.calls == 2);
    check_untouched(s, m, id, row, &before);

    /* aborted: REJECTED with the callback's message */
    rule abort_ = {.verdict = -1, .message = "a before-hook says no", .model = m};
    a.ctx = &abort_;
    CHECK_STATUS(ssot_store_update(s, m, id, strlen(id), body, SSOT_UPDATE_REPLACE, &a, &out, &change, &err),
                 SSOT_STORE_REJECTED);
    CHECK(strcmp(err.message, "a before-hook says no") == 0);
    CHECK_STATUS(ssot_store_remove(s, m, id, strlen(id), &a, &out, &change, &err), SSOT_STORE_REJECTED);
    CHECK(strcmp(err.message, "a before-hook says no") == 0 && out.len == 0);
    check_untouched(s, m, id, row, &before);

    /* the callback changes the body and reads through the store: both work */
    rule change_body = {.verdict = 1, .body = body, .reads = s, .model = m};
    a.ctx = &change_body;
    CHECK_STATUS(ssot_store_update(s, m, id, strlen(id), body, SSOT_UPDATE_PATCH, &a, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change_body.calls == 1 && change_body.reads_ok);
    CHECK_CONTAINS(out.data, "\"title\":\"set by the rule\",\"qty\":2,");
    CHECK(change.offset == before.offset + 1 && change.previous.json &&
          change.previous.json_len == strlen(row) && memcmp(change.previous.json, row, strlen(row)) == 0);
    json_decref(body);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_get(s, m, id, strlen(id), NULL, &out, &err), SSOT_STORE_OK);
    CHECK_CONTAINS(out.data, "\"title\":\"set by the rule\"");
    /* a delete whose callback reads */
    rule reader = {.verdict = 1, .reads = s, .model = m};
    a.ctx = &reader;
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(s, m, id, strlen(id), &a, &out, &change, &err), SSOT_STORE_OK);
    CHECK(reader.calls == 1 && reader.reads_ok && change.offset == before.offset + 2);
    CHECK_STATUS(ssot_store_get(s, m, id, strlen(id), NULL, &out, &err), SSOT_STORE_NOT_FOUND);
    ssot_buf_free(&out);
}

static void test_authorize_both(void) {
    create_database("authorize");
    ssot_store *pg = open_pg("authorize"), *sq = NULL;
    char db[256];
    snprintf(db, sizeof db, "%s/authorize.db", test_dir);
    ssot_sqlite_options options = {.path = db};
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &sq, &err), SSOT_STORE_OK);
    if (!sq) exit(1);
    test_authorize(sq); /* the behaviour the PostgreSQL store must match */
    test_authorize(pg);
    ssot_store_close(sq);
    ssot_store_close(pg);
}

/* --- 3. the change stream -------------------------------------------------------------------- */

typedef struct event {
    int64_t offset;
    ssot_event_kind kind;
    char epoch[SSOT_EPOCH_SIZE], id[SSOT_ID_TEXT_SIZE], owner[24], previous_owner[24], at[25];
    char *row, *previous; /* malloc'd; previous NULL for created and deleted */
} event;

static char *copy_n(const char *text, size_t n) {
    char *c = malloc(n + 1);
    if (!c) exit(1);
    memcpy(c, text, n);
    c[n] = '\0';
    return c;
}

static void record_event(event *e, const ssot_change *c) {
    e->offset = c->offset;
    e->kind = c->kind;
    snprintf(e->epoch, sizeof e->epoch, "%s", c->epoch);
    snprintf(e->id, sizeof e->id, "%s", c->row.id ? c->row.id : "(null)");
    snprintf(e->owner, sizeof e->owner, "%s", c->row.owner ? c->row.owner : "(null)");
    snprintf(e->previous_owner, sizeof e->previous_owner, "%s", c->previous.owner ? c->previous.owner : "(null)");
    snprintf(e->at, sizeof e->at, "%s", c->at ? c->at : "");
    e->row = copy_n(c->row.json, c->row.json_len);
    e->previous = c->previous.json ? copy_n(c->previous.json, c->previous.json_len) : NULL;
}

typedef struct replayed {
    event got[16];
    int n;
} replayed;

static int keep_event(void *ctx, const ssot_change *change) {
    replayed *r = ctx;
    if (r->n < 16) record_event(&r->got[r->n], change);
    r->n++;
    return 0;
}

static void free_events(event *e, int n) {
    for (int i = 0; i < n; i++) {
        free(e[i].row);
        free(e[i].previous);
    }
}

/* A replay's visitor that gets the event's row and the position through the same store. */
typedef struct reading_visitor {
    ssot_store *store;
    int visits, reads_ok;
} reading_visitor;

static int read_in_visit(void *ctx, const ssot_change *change) {
    reading_visitor *v = ctx;
    v->visits++;
    ssot_store_error nested;
    ssot_buf out = SSOT_BUF_INIT;
    /* the rows as they are now: 1 and 2 updated, 3 deleted */
    ssot_store_status want = strcmp(change->row.id, "3") == 0 ? SSOT_STORE_NOT_FOUND : SSOT_STORE_OK;
    ssot_stream_position pos;
    if (ssot_store_get(v->store, change->model, change->row.id, strlen(change->row.id), NULL, &out, &nested) == want &&
        ssot_store_position(v->store, change->model, &pos, &nested) == SSOT_STORE_OK && pos.offset == 6)
        v->reads_ok++;
    ssot_buf_free(&out);
    return 0;
}

static void test_stream(void) {
    create_database("stream");
    ssot_store *s = open_pg("stream");
    const ssot_model *user = ssot_app_model(app, "User"), *m = ssot_app_model(app, "Item");
    ssot_stream_position start;
    CHECK_STATUS(ssot_store_position(s, m, &start, &err), SSOT_STORE_OK);
    CHECK(start.offset == 0 && strlen(start.epoch) == 32);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    json_t *body = parse("{\"name\":\"owner\"}");
    CHECK_STATUS(ssot_store_create(s, user, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);

    /* created x3, updated (PATCH, PUT), deleted: each with offset = previous + 1 */
    event made[8];
    int n = 0;
    const char *creates[] = {"{\"title\":\"a\",\"ownerId\":1,\"meta\":{\"n\":{\"z\":0,\"a\":1}}}", "{\"title\":\"b\"}",
                             "{\"title\":\"c\",\"ownerId\":1}"};
    for (int i = 0; i < 3; i++) {
        body = parse(creates[i]);
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(s, m, body, &out, &change, &err), SSOT_STORE_OK);
        record_event(&made[n++], &change);
        json_decref(body);
    }
    body = parse("{\"qty\":5,\"ownerId\":null}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(s, m, "1", 1, body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err), SSOT_STORE_OK);
    record_event(&made[n++], &change);
    json_decref(body);
    body = parse("{\"title\":\"b2\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(s, m, "2", 1, body, SSOT_UPDATE_REPLACE, NULL, &out, &change, &err), SSOT_STORE_OK);
    record_event(&made[n++], &change);
    json_decref(body);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(s, m, "3", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    record_event(&made[n++], &change);
    static const ssot_event_kind kinds[] = {SSOT_EVENT_CREATED, SSOT_EVENT_CREATED, SSOT_EVENT_CREATED,
                                            SSOT_EVENT_UPDATED, SSOT_EVENT_UPDATED, SSOT_EVENT_DELETED};
    for (int i = 0; i < n; i++) {
        CHECK(made[i].offset == i + 1);
        CHECK(made[i].kind == kinds[i]);
        CHECK(strcmp(made[i].epoch, start.epoch) == 0);
        CHECK(datetime_shape(made[i].at, strlen(made[i].at)));
        CHECK((made[i].previous != NULL) == (kinds[i] == SSOT_EVENT_UPDATED));
    }
    CHECK_CONTAINS(made[0].row, "\"meta\":{\"n\":{\"z\":0,\"a\":1}}");
    CHECK(strcmp(made[0].owner, "1") == 0 && strcmp(made[1].owner, "(null)") == 0);
    /* an update's previous is the row before it, with its owner */
    CHECK(made[3].previous && strcmp(made[3].previous, made[0].row) == 0 && strcmp(made[3].previous_owner, "1") == 0 &&
          strcmp(made[3].owner, "(null)") == 0);
    CHECK(made[4].previous && strcmp(made[4].previous, made[1].row) == 0);
    /* an update keeps the create time and sets the update time anew */
    const char *created = strstr(made[0].row, "\"createdAt\":"), *kept = strstr(made[3].row, "\"createdAt\":");
    CHECK(created && kept && strncmp(created, kept, 38) == 0);
    const char *updated = strstr(made[3].row, "\"updatedAt\":");
    CHECK(updated && strncmp(updated + 13, created + 13, 24) >= 0);
    CHECK(strcmp(made[5].row, made[2].row) == 0 && strcmp(made[5].id, "3") == 0); /* the row as it was */

    /* replay from 0: every event, in order, the same bytes */
    replayed r = {.n = 0};
    ssot_stream_position since = start, now;
    CHECK_STATUS(ssot_store_events_since(s, m, &since, keep_event, &r, &now, &err), SSOT_STORE_OK);
    CHECK(r.n == n && now.offset == n && strcmp(now.epoch, start.epoch) == 0);
    for (int i = 0; i < n && i < r.n; i++) {
        event *a = &made[i], *b = &r.got[i];
        CHECK(a->offset == b->offset && a->kind == b->kind && strcmp(a->epoch, b->epoch) == 0);
        CHECK(strcmp(a->id, b->id) == 0 && strcmp(a->owner, b->owner) == 0 && strcmp(a->at, b->at) == 0);
        if (strcmp(a->row, b->row) != 0) {
            fprintf(stderr, "replayed row %d differs:\n  written:  %s\n  replayed: %s\n", i + 1, a->row, b->row);
            failures++;
        }
        CHECK((a->previous == NULL) == (b->previous == NULL));
        CHECK(!a->previous || !b->previous || strcmp(a->previous, b->previous) == 0);
        CHECK(strcmp(a->previous_owner, b->previous_owner) == 0);
    }
    free_events(r.got, r.n < 16 ? r.n : 16);
    /* a visitor reading through the store (a Lua rule filtering a replay) */
    reading_visitor rv = {s, 0, 0};
    CHECK_STATUS(ssot_store_events_since(s, m, &start, read_in_visit, &rv, NULL, &err), SSOT_STORE_OK);
    CHECK(rv.visits == n && rv.reads_ok == n);
    /* from the middle: the rest */
    r.n = 0;
    since.offset = 4;
    CHECK_STATUS(ssot_store_events_since(s, m, &since, keep_event, &r, NULL, &err), SSOT_STORE_OK);
    CHECK(r.n == 2 && r.got[0].offset == 5 && r.got[1].offset == 6);
    free_events(r.got, r.n < 16 ? r.n : 16);
    /* a wrong epoch, a position ahead of the stream: CANNOT_RECOVER, nothing visited */
    r.n = 0;
    since = start;
    since.epoch[0] = since.epoch[0] == '0' ? '1' : '0';
    CHECK_STATUS(ssot_store_events_since(s, m, &since, keep_event, &r, NULL, &err), SSOT_STORE_CANNOT_RECOVER);
    CHECK(r.n == 0);
    since = start;
    since.offset = n + 1;
    CHECK_STATUS(ssot_store_events_since(s, m, &since, keep_event, &r, NULL, &err), SSOT_STORE_CANNOT_RECOVER);
    CHECK(r.n == 0);
    free_events(made, n);

    /* a write inside a read snapshot sees the latest state and commits; the snapshot's next
     * read sees it */
    ssot_store *other = open_pg("stream");
    ssot_store_snapshot_begin(s);
    CHECK_STATUS(ssot_store_position(s, m, &since, &err), SSOT_STORE_OK);
    body = parse("{\"title\":\"from another handle\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(other, m, body, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == since.offset + 1);
    json_decref(body);
    body = parse("{\"title\":\"in a snapshot\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(s, m, body, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == since.offset + 2);
    json_decref(body);
    CHECK_STATUS(ssot_store_position(s, m, &now, &err), SSOT_STORE_OK);
    CHECK(now.offset == since.offset + 2);
    ssot_store_snapshot_end(s);
    CHECK_STATUS(ssot_store_position(other, m, &now, &err), SSOT_STORE_OK);
    CHECK(now.offset == since.offset + 2);
    ssot_store_close(other);
    ssot_store_close(s);

    /* pruning: history 10, 70 events; pruned at offset 64 down to 55.. */
    create_database("pruned");
    s = open_pg_as("pruned", NULL, 10);
    for (int i = 0; i < 70; i++) {
        body = parse("{\"name\":\"p\"}");
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(s, user, body, &out, &change, &err), SSOT_STORE_OK);
        json_decref(body);
    }
    CHECK_STATUS(ssot_store_position(s, user, &since, &err), SSOT_STORE_OK);
    CHECK(since.offset == 70);
    static const struct {
        int64_t from;
        ssot_store_status status;
        int visits;
    } tries[] = {{0, SSOT_STORE_CANNOT_RECOVER, 0}, {53, SSOT_STORE_CANNOT_RECOVER, 0},
                 {54, SSOT_STORE_OK, 16},           {60, SSOT_STORE_OK, 10},
                 {70, SSOT_STORE_OK, 0}};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        r.n = 0;
        since.offset = tries[i].from;
        CHECK_STATUS(ssot_store_events_since(s, user, &since, keep_event, &r, &now, &err), tries[i].status);
        if (r.n != tries[i].visits) {
            fprintf(stderr, "replay from %lld visited %d events, expected %d\n", (long long)tries[i].from, r.n,
                    tries[i].visits);
            failures++;
        }
        free_events(r.got, r.n < 16 ? r.n : 16);
    }
    PGconn *conn = connect_to("pruned");
    CHECK(strcmp(exec_sql(conn, "SELECT count(*) FROM _ssot_changes WHERE model = 'User'", 0, NULL), "16") == 0);
    CHECK(strcmp(exec_sql(conn, "SELECT \"offset\" FROM _ssot_streams WHERE model = 'User'", 0, NULL), "64") == 0);

    /* the history deleted by hand: offsets after the floor (64) would repeat 65..70, which
     * subscribers have seen, so the next write starts a new epoch; the old one cannot recover */
    ssot_stream_position old = since;
    exec_sql(conn, "DELETE FROM _ssot_changes WHERE model = 'User'", 0, NULL);
    body = parse("{\"name\":\"after\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(s, user, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);
    CHECK(change.offset == 65 && strcmp(change.epoch, old.epoch) != 0);
    CHECK_STATUS(ssot_store_position(s, user, &now, &err), SSOT_STORE_OK);
    CHECK(now.offset == 65 && strcmp(now.epoch, change.epoch) == 0);
    r.n = 0;
    CHECK_STATUS(ssot_store_events_since(s, user, &old, keep_event, &r, NULL, &err), SSOT_STORE_CANNOT_RECOVER);
    CHECK(r.n == 0);
    PQfinish(conn);
    ssot_store_close(s);
    ssot_buf_free(&out);
}

/* --- 4. batches ------------------------------------------------------------------------------ */

/* A user's count by name on s (-1 on failure). */
static int64_t users_named(ssot_store *s, const char *name) {
    const ssot_model *user = ssot_app_model(app, "User");
    ssot_query q;
    ssot_query_init(&q, user, 20, 100);
    ssot_query_error qerr;
    char where[128];
    snprintf(where, sizeof where, "{\"name\":\"%s\"}", name);
    int64_t n = -1;
    ssot_buf out = SSOT_BUF_INIT;
    if (ssot_query_add_param(&q, "where", where, strlen(where), &qerr) == 0 &&
        ssot_store_list(s, &q, NULL, &out, NULL, &err) == SSOT_STORE_OK) {
        json_t *body = parse(out.data);
        n = json_integer_value(json_object_get(body, "total"));
        json_decref(body);
    }
    ssot_query_free(&q);
    ssot_buf_free(&out);
    return n;
}

/* other (may be NULL): a second handle on the same database, which sees nothing before
 * batch_end. */
static void test_batch(ssot_store *s, ssot_store *other) {
    const ssot_model *user = ssot_app_model(app, "User");
    CHECK(ssot_store_can_batch(s));
    ssot_stream_position before;
    CHECK_STATUS(ssot_store_position(s, user, &before, &err), SSOT_STORE_OK);
    const char *bodies[] = {"{\"name\":\"batch-a\",\"email\":\"batch@x\"}", "{\"name\":\"batch-dup\",\"email\":\"batch@x\"}",
                            "{\"name\":\"batch-c\",\"email\":\"batch-c@x\"}"};
    ssot_store_status expected[] = {SSOT_STORE_OK, SSOT_STORE_CONFLICT, SSOT_STORE_OK};
    int64_t offsets[3] = {0};
    char rows[3][256] = {"", "", ""};
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    CHECK_STATUS(ssot_store_batch_begin(s, &err), SSOT_STORE_OK);
    for (int i = 0; i < 3; i++) {
        json_t *body = parse(bodies[i]);
        ssot_buf_reset(&out);
        CHECK_STATUS(ssot_store_create(s, user, body, &out, &change, &err), expected[i]);
        if (expected[i] == SSOT_STORE_OK) {
            offsets[i] = change.offset;
            snprintf(rows[i], sizeof rows[i], "%s", out.data);
        } else {
            CHECK(err.field && strcmp(err.field->name, "email") == 0);
            CHECK(strcmp(err.message, "User already has a row with this email") == 0);
            CHECK(out.len == 0);
        }
        json_decref(body);
    }
    CHECK(offsets[0] == before.offset + 1 && offsets[2] == before.offset + 2);
    if (other) CHECK(users_named(other, "batch-a") == 0); /* not committed yet */
    CHECK(users_named(s, "batch-a") == 1);                /* the batch sees itself */
    CHECK_STATUS(ssot_store_batch_end(s, &err), SSOT_STORE_OK);
    if (other) CHECK(users_named(other, "batch-a") == 1 && users_named(other, "batch-c") == 1);
    CHECK(users_named(s, "batch-dup") == 0);
    replayed r = {.n = 0};
    ssot_stream_position now;
    CHECK_STATUS(ssot_store_events_since(s, user, &before, keep_event, &r, &now, &err), SSOT_STORE_OK);
    CHECK(r.n == 2 && now.offset == before.offset + 2);
    if (r.n == 2)
        CHECK(r.got[0].offset == offsets[0] && strcmp(r.got[0].row, rows[0]) == 0 && r.got[1].offset == offsets[2] &&
              strcmp(r.got[1].row, rows[2]) == 0);

    /* a batch whose first write fails, with a delete refused by a restrict reference (its
     * message counted inside the batch) and writes to two models */
    const ssot_model *m = ssot_app_model(app, "Item");
    json_t *body = parse("{\"title\":\"held\"}");
    json_object_set_new(body, "ownerId", json_integer(strtoll(r.got[0].id, NULL, 10)));
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_create(s, m, body, &out, &change, &err), SSOT_STORE_OK);
    json_decref(body);
    char owner_id[SSOT_ID_TEXT_SIZE], item_id[SSOT_ID_TEXT_SIZE];
    snprintf(owner_id, sizeof owner_id, "%s", change.row.owner ? change.row.owner : "");
    snprintf(item_id, sizeof item_id, "%s", change.row.id);
    CHECK_STATUS(ssot_store_position(s, user, &before, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_batch_begin(s, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_remove(s, user, owner_id, strlen(owner_id), NULL, &out, &change, &err), SSOT_STORE_CONFLICT);
    char expected_message[256];
    snprintf(expected_message, sizeof expected_message,
             "User %s is still referenced by 1 Item row (Item.ownerId); delete or change those first, or declare "
             "onDelete = \"cascade\" or \"setNull\"",
             owner_id);
    CHECK(strcmp(err.message, expected_message) == 0);
    body = parse("{\"name\":\"batch-renamed\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(s, user, owner_id, strlen(owner_id), body, SSOT_UPDATE_PATCH, NULL, &out, &change,
                                   &err),
                 SSOT_STORE_OK);
    CHECK(change.offset == before.offset + 1);
    json_decref(body);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(s, m, item_id, strlen(item_id), NULL, &out, &change, &err), SSOT_STORE_OK);
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(s, user, owner_id, strlen(owner_id), NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == before.offset + 2);
    CHECK_STATUS(ssot_store_batch_end(s, &err), SSOT_STORE_OK);
    if (other) CHECK(users_named(other, "batch-renamed") == 0 && users_named(other, "batch-a") == 0);
    CHECK_STATUS(ssot_store_get(s, m, item_id, strlen(item_id), NULL, &out, &err), SSOT_STORE_NOT_FOUND);
    /* an empty batch */
    CHECK_STATUS(ssot_store_batch_begin(s, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_batch_end(s, &err), SSOT_STORE_OK);
    free_events(r.got, r.n < 16 ? r.n : 16);
    ssot_buf_free(&out);
}

static void test_batches(void) {
    create_database("batch");
    ssot_store *pg = open_pg("batch"), *other = open_pg("batch"), *sq = NULL;
    char db[256];
    snprintf(db, sizeof db, "%s/batch.db", test_dir);
    ssot_sqlite_options options = {.path = db};
    CHECK_STATUS(ssot_store_sqlite_open(app, &options, &sq, &err), SSOT_STORE_OK);
    if (!sq) exit(1);
    test_batch(sq, NULL);
    test_batch(pg, other);
    ssot_store_close(sq);
    ssot_store_close(other);
    ssot_store_close(pg);
}

/* --- 5 and 6. several writers, and a third handle's signals ---------------------------------- */

typedef struct signals {
    char model[256][8];
    int64_t offset[256];
    int n, all; /* all: "check every model" signals */
} signals;

static void on_change(void *ctx, const char *model, int64_t offset) {
    signals *g = ctx;
    if (!model) {
        g->all++;
        return;
    }
    if (g->n >= 256) return;
    snprintf(g->model[g->n], sizeof g->model[g->n], "%s", model);
    g->offset[g->n++] = offset;
}

static void drain(ssot_store *s, signals *g) {
    ssot_store_signals to = {.change = on_change, .message = NULL, .ctx = g};
    struct pollfd p = {.fd = ssot_store_signal_fd(s), .events = POLLIN};
    if (p.fd >= 0) (void)poll(&p, 1, 100);
    CHECK(ssot_store_signal_drain(s, &to, &err) >= 0);
}

/* Drains until g holds a signal of model at offset (for up to 5 s). */
static int wait_for(ssot_store *s, signals *g, const char *model, int64_t offset) {
    for (int tries = 0; tries < 50; tries++) {
        for (int i = 0; i < g->n; i++)
            if (strcmp(g->model[i], model) == 0 && g->offset[i] == offset) return 1;
        drain(s, g);
    }
    fprintf(stderr, "no signal of %s %lld\n", model, (long long)offset);
    failures++;
    return 0;
}

/* Whether g holds exactly the signals of model at offsets from+1..to, each once and in order. */
static void check_signals(const signals *g, const char *model, int64_t from, int64_t to) {
    int ok = g->n == to - from;
    for (int i = 0; ok && i < g->n; i++) ok = strcmp(g->model[i], model) == 0 && g->offset[i] == from + 1 + i;
    if (!ok) {
        fprintf(stderr, "signals: expected %s %lld..%lld, got %d:", model, (long long)from + 1, (long long)to, g->n);
        for (int i = 0; i < g->n; i++) fprintf(stderr, " %s %lld", g->model[i], (long long)g->offset[i]);
        fprintf(stderr, "\n");
        failures++;
    }
}

static int create_note(ssot_store *s, const char *text, ssot_change *change) {
    ssot_buf out = SSOT_BUF_INIT;
    json_t *body = json_pack("{s:s}", "text", text);
    ssot_store_status status = ssot_store_create(s, ssot_app_model(app, "Note"), body, &out, change, &err);
    json_decref(body);
    ssot_buf_free(&out);
    return status == SSOT_STORE_OK ? 0 : -1;
}

enum { PER_PROCESS = 50 };

/* A child process: its own store on the database; waits for go to close, then creates
 * PER_PROCESS notes. Exits 0 when all of them were written. */
static void writer_process(int go) {
    char byte;
    ssot_pg_options options = {.conninfo = url_of("shared")};
    ssot_store *s = NULL;
    if (ssot_store_pg_open(app, &options, &s, &err) != SSOT_STORE_OK) _exit(2);
    if (read(go, &byte, 1) != 0) _exit(3); /* the parent closes it: both start at once */
    ssot_change change;
    for (int i = 0; i < PER_PROCESS; i++)
        if (create_note(s, "from a process", &change) != 0) {
            fprintf(stderr, "a writer process: %s\n", err.message);
            _exit(4);
        }
    ssot_store_close(s);
    _exit(0);
}

typedef struct offsets_seen {
    int64_t first, n;
    unsigned char seen[2 * PER_PROCESS + 1];
    int in_order, out_of_range;
    char ids[2 * PER_PROCESS][SSOT_ID_TEXT_SIZE];
} offsets_seen;

static int see_offset(void *ctx, const ssot_change *change) {
    offsets_seen *o = ctx;
    int64_t k = change->offset - o->first;
    if (k < 1 || k > 2 * PER_PROCESS) {
        o->out_of_range++;
        return 0;
    }
    if (k != o->n + 1) o->in_order = 0;
    o->seen[k]++;
    snprintf(o->ids[o->n % (2 * PER_PROCESS)], SSOT_ID_TEXT_SIZE, "%s", change->row.id);
    o->n++;
    return 0;
}

/* Ends the sessions of application_name from admin's, as a server restart would, and waits
 * (up to 5 s) until they are gone, so the next statement on them certainly fails. Returns how
 * many there were. */
static int end_sessions(PGconn *admin, const char *application_name) {
    const char *params[1] = {application_name};
    int n = atoi(exec_sql(admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
                          1, params));
    for (int tries = 0; tries < 100; tries++) {
        if (strcmp(exec_sql(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", 1, params),
                   "0") == 0)
            break;
        sleep_ms(50);
    }
    return n;
}

/* A batch of one create whose connection is terminated before batch_end: the write answered
 * OK, but nothing was committed. */
static void lost_batch(ssot_store *s, PGconn *admin, const char *application_name) {
    ssot_change change;
    CHECK_STATUS(ssot_store_batch_begin(s, &err), SSOT_STORE_OK);
    CHECK(create_note(s, "in a lost batch", &change) == 0);
    CHECK(end_sessions(admin, application_name) == 1);
    ssot_store_status status = ssot_store_batch_end(s, &err);
    CHECK(status != SSOT_STORE_OK);
    if (status == SSOT_STORE_OK) fprintf(stderr, "a batch whose connection was terminated committed\n");
}

static void test_writers(void) {
    create_database("shared");
    ssot_store *h1 = open_pg_as("shared", "writer-1", 0), *h2 = open_pg_as("shared", "writer-2", 0);
    ssot_store *h3 = open_pg("shared");
    const ssot_model *note = ssot_app_model(app, "Note");
    CHECK(ssot_store_can_signal(h3));
    signals g = {.n = 0};
    drain(h3, &g); /* the first drain: "check every model" */
    CHECK(g.all == 1 && g.n == 0);

    /* two handles interleaving creates, updates and deletes */
    ssot_stream_position start, p1, p2;
    CHECK_STATUS(ssot_store_position(h1, note, &start, &err), SSOT_STORE_OK);
    ssot_buf out = SSOT_BUF_INIT;
    ssot_change change;
    int64_t expect = start.offset;
    for (int i = 0; i < 20; i++) {
        ssot_store *s = i % 2 ? h2 : h1;
        ssot_buf_reset(&out);
        char id[8];
        snprintf(id, sizeof id, "%d", i / 3 + 1);
        if (i % 3 != 2) {
            CHECK(create_note(s, "interleaved", &change) == 0);
        } else {
            json_t *body = parse("{\"text\":\"changed\"}");
            CHECK_STATUS(ssot_store_update(s, note, id, strlen(id), body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                         SSOT_STORE_OK);
            json_decref(body);
        }
        if (change.offset != ++expect) {
            fprintf(stderr, "write %d had offset %lld, expected %lld\n", i, (long long)change.offset, (long long)expect);
            failures++;
            expect = change.offset;
        }
    }
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(h2, note, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == ++expect);
    CHECK_STATUS(ssot_store_position(h1, note, &p1, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_position(h2, note, &p2, &err), SSOT_STORE_OK);
    CHECK(p1.offset == start.offset + 21 && p2.offset == p1.offset && strcmp(p1.epoch, p2.epoch) == 0);

    /* two processes at once, N creates each */
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        perror("pipe");
        exit(1);
    }
    fflush(NULL);
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(pipefd[1]);
            writer_process(pipefd[0]);
        }
    }
    close(pipefd[0]);
    sleep_ms(200); /* both connected and waiting */
    close(pipefd[1]);
    for (int i = 0; i < 2; i++) {
        int status = 0;
        if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "writer process %d failed (status %d)\n", i, status);
            failures++;
        }
    }
    offsets_seen o = {.first = p1.offset, .in_order = 1};
    ssot_stream_position now;
    CHECK_STATUS(ssot_store_events_since(h1, note, &p1, see_offset, &o, &now, &err), SSOT_STORE_OK);
    CHECK(o.n == 2 * PER_PROCESS && o.in_order && o.out_of_range == 0 && now.offset == p1.offset + 2 * PER_PROCESS);
    for (int k = 1; k <= 2 * PER_PROCESS; k++)
        if (o.seen[k] != 1) {
            fprintf(stderr, "offset %lld replayed %d times\n", (long long)(o.first + k), o.seen[k]);
            failures++;
        }
    for (int i = 0; i < o.n && i < 2 * PER_PROCESS; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(o.ids[i], o.ids[k]) == 0) {
                fprintf(stderr, "two creates made row %s\n", o.ids[i]);
                failures++;
            }
    PGconn *admin = connect_to("shared");
    CHECK(strcmp(exec_sql(admin, "SELECT count(*) FROM notes WHERE text = 'from a process'", 0, NULL), "100") == 0);

    /* the third handle: a signal for every committed write, each once, in order */
    int64_t last = now.offset;
    (void)wait_for(h3, &g, "Note", last);
    sleep_ms(100);
    drain(h3, &g);
    check_signals(&g, "Note", start.offset, last);

    /* rolled back: a refused update, a write the database refuses, a batch lost with its
     * connection; then one committed write, whose signal is the only one */
    g.n = 0;
    rule refuse = {.verdict = 0, .model = note};
    ssot_authorize a = {rule_fn, &refuse};
    json_t *body = parse("{\"text\":\"refused\"}");
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_update(h1, note, "2", 1, body, SSOT_UPDATE_PATCH, &a, &out, &change, &err), SSOT_STORE_DENIED);
    json_decref(body);
    body = parse("{\"text\":\"no such user\",\"userId\":424242}");
    CHECK_STATUS(ssot_store_create(h1, note, body, &out, &change, &err), SSOT_STORE_INVALID);
    json_decref(body);
    lost_batch(h1, admin, "writer-1");
    CHECK(create_note(h2, "committed", &change) == 0);
    CHECK(change.offset == last + 1); /* none of the rolled-back writes took an offset */
    (void)wait_for(h3, &g, "Note", change.offset);
    sleep_ms(100);
    drain(h3, &g);
    check_signals(&g, "Note", last, last + 1);
    CHECK(strcmp(exec_sql(admin, "SELECT count(*) FROM notes WHERE text = 'in a lost batch'", 0, NULL), "0") == 0);
    /* the handle whose batch was lost writes again, in a batch: a signal for each write, at
     * its commit */
    CHECK_STATUS(ssot_store_batch_begin(h1, &err), SSOT_STORE_OK);
    CHECK(create_note(h1, "after the lost batch", &change) == 0);
    CHECK(create_note(h1, "after the lost batch", &change) == 0);
    sleep_ms(100);
    drain(h3, &g);
    check_signals(&g, "Note", last, last + 1); /* nothing before the commit */
    CHECK_STATUS(ssot_store_batch_end(h1, &err), SSOT_STORE_OK);
    CHECK(change.offset == last + 3);
    (void)wait_for(h3, &g, "Note", last + 3);
    check_signals(&g, "Note", last, last + 3);

    /* a write waiting for another's lock gives up after lock_timeout (5 s): BUSY, nothing
     * written; the batch holding the model's stream then commits, and the write goes ahead */
    CHECK_STATUS(ssot_store_batch_begin(h1, &err), SSOT_STORE_OK);
    CHECK(create_note(h1, "holding the stream", &change) == 0);
    ssot_buf_reset(&out);
    ssot_buf_puts(&out, "kept");
    body = parse("{\"text\":\"waiting\"}");
    CHECK_STATUS(ssot_store_create(h2, note, body, &out, &change, &err), SSOT_STORE_BUSY);
    CHECK_CONTAINS(err.message, "the database is busy");
    CHECK(out.len == 4);
    CHECK_STATUS(ssot_store_batch_end(h1, &err), SSOT_STORE_OK);
    CHECK_STATUS(ssot_store_create(h2, note, body, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == last + 5);
    json_decref(body);
    CHECK(strcmp(exec_sql(admin, "SELECT count(*) FROM notes WHERE text = 'waiting'", 0, NULL), "1") == 0);

    PQfinish(admin);
    ssot_buf_free(&out);
    ssot_store_close(h1);
    ssot_store_close(h2);
    ssot_store_close(h3);
}

/* --- 7. a lost connection -------------------------------------------------------------------- */

/* An authorize callback that ends the writer's session from another one, as a server restart
 * in the middle of a write would. */
typedef struct lost_inside {
    PGconn *admin;
    const char *application_name;
    int calls;
} lost_inside;

static int terminate_inside(void *ctx, const ssot_row_view *row, char *message, size_t size) {
    (void)row;
    (void)message;
    (void)size;
    lost_inside *l = ctx;
    l->calls++;
    CHECK(end_sessions(l->admin, l->application_name) == 1);
    return 1;
}

static void test_lost_connection(void) {
    create_database("lost");
    ssot_store *s = open_pg_as("lost", "lost-writer", 0);
    const ssot_model *note = ssot_app_model(app, "Note");
    PGconn *admin = connect_to("ssot"); /* not on "lost": it must refuse every connection */
    ssot_change change;
    ssot_buf out = SSOT_BUF_INIT;

    /* the server ended the session: the next write reconnects and goes ahead */
    CHECK(end_sessions(admin, "lost-writer") == 1);
    CHECK(create_note(s, "after a reconnect", &change) == 0);
    CHECK(change.offset == 1);
    CHECK(end_sessions(admin, "lost-writer") == 1);
    json_t *body = parse("{\"text\":\"updated after a reconnect\"}");
    CHECK_STATUS(ssot_store_update(s, note, "1", 1, body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == 2);

    /* the database refuses connections: UNAVAILABLE naming it, nothing written */
    exec_sql(admin, "ALTER DATABASE lost ALLOW_CONNECTIONS false", 0, NULL);
    CHECK(end_sessions(admin, "lost-writer") == 1);
    ssot_buf_reset(&out);
    ssot_buf_puts(&out, "kept");
    ssot_store_status status = ssot_store_create(s, note, body, &out, &change, &err);
    CHECK_STATUS(status, SSOT_STORE_UNAVAILABLE);
    CHECK_CONTAINS(err.message, "\"lost\"");
    CHECK(out.len == 4);
    CHECK_STATUS(ssot_store_update(s, note, "1", 1, body, SSOT_UPDATE_PATCH, NULL, &out, &change, &err),
                 SSOT_STORE_UNAVAILABLE);
    CHECK_STATUS(ssot_store_remove(s, note, "1", 1, NULL, &out, &change, &err), SSOT_STORE_UNAVAILABLE);
    CHECK(out.len == 4);
    exec_sql(admin, "ALTER DATABASE lost ALLOW_CONNECTIONS true", 0, NULL);
    CHECK(create_note(s, "after the refusal", &change) == 0);
    CHECK(change.offset == 3); /* the refused writes took no offset */
    ssot_buf_reset(&out);
    CHECK_STATUS(ssot_store_remove(s, note, "1", 1, NULL, &out, &change, &err), SSOT_STORE_OK);
    CHECK(change.offset == 4);

    /* lost in the middle of a write (while authorize runs): UNAVAILABLE, nothing written;
     * the next write reconnects */
    lost_inside inside = {admin, "lost-writer", 0};
    ssot_authorize a = {terminate_inside, &inside};
    ssot_buf_reset(&out);
    ssot_buf_puts(&out, "kept");
    CHECK_STATUS(ssot_store_update(s, note, "2", 1, body, SSOT_UPDATE_PATCH, &a, &out, &change, &err),
                 SSOT_STORE_UNAVAILABLE);
    CHECK(inside.calls == 1 && out.len == 4);
    CHECK_STATUS(ssot_store_remove(s, note, "2", 1, &a, &out, &change, &err), SSOT_STORE_UNAVAILABLE);
    CHECK(inside.calls == 2 && out.len == 4);
    /* lost in a batch, between its writes: the batch fails as a whole */
    CHECK_STATUS(ssot_store_batch_begin(s, &err), SSOT_STORE_OK);
    CHECK(create_note(s, "in a batch lost between writes", &change) == 0);
    CHECK(end_sessions(admin, "lost-writer") == 1);
    CHECK(create_note(s, "in a batch lost between writes", &change) != 0);
    CHECK(err.status == SSOT_STORE_UNAVAILABLE);
    CHECK(create_note(s, "in a batch lost between writes", &change) != 0);
    CHECK(ssot_store_batch_end(s, &err) != SSOT_STORE_OK);
    /* and after it, a replay and a write on a new connection */
    ssot_stream_position since = {"", 0}, now;
    CHECK_STATUS(ssot_store_position(s, note, &since, &err), SSOT_STORE_OK);
    CHECK(since.offset == 4);
    CHECK(end_sessions(admin, "lost-writer") == 1);
    since.offset = 0;
    offsets_seen o = {.first = 0, .in_order = 1};
    CHECK_STATUS(ssot_store_events_since(s, note, &since, see_offset, &o, &now, &err), SSOT_STORE_OK);
    CHECK(o.n == 4 && o.in_order && now.offset == 4);
    CHECK(create_note(s, "after the lost batch", &change) == 0);
    CHECK(change.offset == 5);
    json_decref(body);
    PGconn *conn = connect_to("lost");
    CHECK(strcmp(exec_sql(conn, "SELECT count(*) || ' ' || (SELECT count(*) FROM _ssot_changes WHERE model = 'Note') "
                                "FROM notes",
                          0, NULL),
                 "2 5") == 0);
    CHECK(strcmp(exec_sql(conn, "SELECT text FROM notes WHERE id = 2", 0, NULL), "after the refusal") == 0);
    PQfinish(conn);
    PQfinish(admin);
    ssot_buf_free(&out);
    ssot_store_close(s);
}

/* Ends the sessions of application_name once one of them waits in a COMMIT for a synchronous
 * standby (that never comes), then lets later commits through again: a COMMIT whose answer is
 * lost although it committed, as a failover or a restart at that moment would leave it. In a
 * child process, while the parent's store waits in its commit. */
static pid_t end_session_in_commit(const char *application_name) {
    pid_t child = fork();
    if (child != 0) return child;
    PGconn *c = connect_to("ssot");
    const char *params[1] = {application_name};
    int waiting = 0;
    for (int tries = 0; tries < 2400 && !waiting; tries++) { /* 60 s: a loaded CI machine is slow */
        waiting = strcmp(exec_sql(c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND "
                                     "wait_event = 'SyncRep'",
                                  1, params),
                         "0") != 0;
        if (!waiting) sleep_ms(25);
    }
    if (!waiting) /* what the session was doing instead, for whoever reads the failure */
        fprintf(stderr, "the writer's sessions: %s\n",
                exec_sql(c, "SELECT string_agg(coalesce(state, '-') || '/' || coalesce(wait_event, '-') || ': ' || "
                            "left(query, 60), '; ') FROM pg_stat_activity WHERE application_name = $1",
                         1, params));
    exec_sql(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", 1, params);
    exec_sql(c, "ALTER SYSTEM RESET synchronous_standby_names", 0, NULL);
    exec_sql(c, "SELECT pg_reload_conf()", 0, NULL);
    PQfinish(c);
    _exit(waiting ? 0 : 1); /* 1: the commit never waited, and the case proved nothing */
}

static void ignore_notice(void *arg, const char *message) { (void)arg, (void)message; }

/* A COMMIT left unanswered that did commit: the store asks the transaction's fate on a new
 * connection and answers the write as written, a single write and a batch alike. */
static void test_commit_unanswered(void) {
    create_database("unanswered");
    PGconn *admin = connect_to("ssot");
    /* the throwaway server does not wait for its own disk (synchronous_commit off): this
     * database's sessions wait, for the standby too */
    exec_sql(admin, "ALTER DATABASE unanswered SET synchronous_commit = on", 0, NULL);
    exec_sql(admin, "CREATE TABLE IF NOT EXISTS sync_probe (x int)", 0, NULL);
    ssot_store *s = open_pg_as("unanswered", "unanswered-writer", 0);
    ssot_change change;
    CHECK(create_note(s, "before", &change) == 0); /* statements prepared, the stream begun */
    const ssot_model *note = ssot_app_model(app, "Note");
    for (int batch = 0; batch <= 1; batch++) {
        exec_sql(admin, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'", 0, NULL);
        exec_sql(admin, "SELECT pg_reload_conf()", 0, NULL);
        /* the reload is asynchronous, and commits wait only once the checkpointer has taken it
         * (it sets the shared flag backends look at): until a probe's commit waits (then
         * cancelled; its row matters to nobody), a store's would not either. The store's
         * backend takes the setting at its next statement (position). */
        int probe_waited = 0;
        for (int tries = 0; tries < 200 && !probe_waited; tries++) {
            PGconn *probe = connect_to("ssot");
            PQsetNoticeProcessor(probe, ignore_notice, NULL); /* the cancelled wait's WARNING */
            exec_sql(probe, "SET synchronous_commit = on", 0, NULL);
            exec_sql(probe, "BEGIN", 0, NULL);
            exec_sql(probe, "INSERT INTO sync_probe VALUES (1)", 0, NULL); /* a commit with WAL to wait for */
            PQsendQuery(probe, "COMMIT");
            struct pollfd answer = {.fd = PQsocket(probe), .events = POLLIN};
            probe_waited = poll(&answer, 1, 200) == 0; /* no answer in 200 ms: it waits */
            if (probe_waited) { /* let it go: cancelled, it stays committed */
                PGcancel *cancel = PQgetCancel(probe);
                char why[256];
                PQcancel(cancel, why, sizeof why);
                PQfreeCancel(cancel);
            }
            for (PGresult *r; (r = PQgetResult(probe));) PQclear(r);
            PQfinish(probe);
            if (!probe_waited) sleep_ms(20);
        }
        CHECK(probe_waited);
        ssot_stream_position at;
        CHECK_STATUS(ssot_store_position(s, note, &at, &err), SSOT_STORE_OK);
        pid_t child = end_session_in_commit("unanswered-writer");
        int written;
        if (batch) {
            CHECK_STATUS(ssot_store_batch_begin(s, &err), SSOT_STORE_OK);
            CHECK(create_note(s, "a batch committed unanswered", &change) == 0);
            written = ssot_store_batch_end(s, &err) == SSOT_STORE_OK;
        } else {
            written = create_note(s, "committed unanswered", &change) == 0;
        }
        int child_status = 0;
        waitpid(child, &child_status, 0);
        if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0)
            fprintf(stderr, "the commit%s never waited for the standby\n", batch ? " of a batch" : "");
        CHECK(WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0);
        if (!written) fprintf(stderr, "the unanswered commit%s: %s\n", batch ? " of a batch" : "", err.message);
        CHECK(written);
        CHECK(change.offset == 2 + batch);
    }
    PGconn *conn = connect_to("unanswered");
    CHECK(strcmp(exec_sql(conn, "SELECT count(*) || ' ' || (SELECT count(*) FROM _ssot_changes) FROM notes", 0, NULL),
                 "3 3") == 0);
    PQfinish(conn);
    CHECK(create_note(s, "after", &change) == 0 && change.offset == 4);
    PQfinish(admin);
    ssot_store_close(s);
}

int main(void) {
    int started = start_pg("pgwrite");
    if (started != 0) return started;
    atexit(stop_pg); /* also when a test bug exits early (parse) */
    make_test_dir("pgwrite-files");
    ssot_host *list_host, *host;
    ssot_app *list_app = load_app(&list_host, test_store_config);
    ssot_app *write_app = load_app(&host, write_config);
    app = write_app;
    test_same_as_sqlite();
    test_list_cases(list_app);
    test_authorize_both();
    test_stream();
    test_batches();
    test_writers(); /* forks: after every SQLite store (and its checkpoint thread) is closed */
    test_lost_connection();
    test_commit_unanswered();
    ssot_app_free(write_app);
    ssot_host_free(host);
    ssot_app_free(list_app);
    ssot_host_free(list_host);
    return finish_tests();
}
