/* List queries (query.h): parsing where / orderBy / skip / take into an ssot_query checked
 * against the model, and evaluating row-filter predicates in C. Uses jansson, value.h. */
#include "runtime/model/query.h"

#include "runtime/model/body.h"

#include "runtime/model/value.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { SEEN_WHERE = 1, SEEN_ORDER = 2, SEEN_SKIP = 4, SEEN_TAKE = 8 };

void ssot_query_init(ssot_query *q, const ssot_model *model, int64_t default_take, int64_t max_take) {
    q->model = model;
    q->nconditions = 0;
    q->norder = 0;
    q->skip = 0;
    q->max_take = max_take > 0 ? max_take : 100;
    q->take = default_take > 0 ? default_take : 20;
    if (q->take > q->max_take) q->take = q->max_take;
    q->seen = 0;
}

void ssot_query_free(ssot_query *q) {
    for (size_t i = 0; i < q->nconditions; i++) json_decref(q->conditions[i].value);
    q->nconditions = 0;
    q->norder = 0;
}

static int fail(ssot_query_error *err, const char *param, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ssot_query_error *err, const char *param, const char *fmt, ...) {
    err->param = param;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Writes "a, b, c" (the model's field names) into out. */
static const char *field_list(const ssot_model *m, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < m->nfields && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", m->fields[i].name);
    return out;
}

static const ssot_field *known_field(const ssot_query *q, const char *param, const char *name,
                                     ssot_query_error *err) {
    const ssot_field *f = ssot_model_field(q->model, name, strlen(name));
    if (!f) {
        char names[160];
        fail(err, param, "%s: unknown field '%.60s' of %s (fields: %s)", param, name, q->model->name,
             field_list(q->model, names, sizeof names));
    }
    return f;
}

/* The operators of set as "eq, ne, in" into out. */
static void operator_list(unsigned set, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    for (int op = 0; op < SSOT_WHERE_COUNT && used < size; op++)
        if (set & SSOT_OP_BIT(op))
            used += (size_t)snprintf(out + used, size - used, "%s%s", used ? ", " : "", ssot_where_op_names[op]);
}

/* Whether op applies to the field's type (its operator set in the facts); NULL when it
 * does, else why not, written into msg. */
static const char *op_refused(const ssot_field *f, ssot_where_op op, char *msg, size_t size) {
    const ssot_field_type_fact *fact = &ssot_field_type_facts[f->type];
    if (fact->operators & SSOT_OP_BIT(op)) return NULL;
    char allowed[96];
    operator_list(fact->operators, allowed, sizeof allowed);
    if (fact->null_only)
        snprintf(msg, size, "%s fields can only be compared with null (use %s)", fact->name, allowed);
    else
        snprintf(msg, size, "%s does not apply to %s fields (use %s)", ssot_where_op_names[op], fact->name, allowed);
    return msg;
}

/* Checks one literal of a condition (not an operator object); op_name (or NULL for a bare
 * value) is for messages. */
static int check_literal(const ssot_field *f, const char *op_name, ssot_where_op op, json_t *value,
                         ssot_query_error *err) {
    char msg[160];
    if (json_is_null(value)) {
        if (op == SSOT_WHERE_EQ || op == SSOT_WHERE_NE || op == SSOT_WHERE_IN) return 0;
        return fail(err, "where", "where.%s.%s: null can only be compared with eq, ne or in", f->name, op_name);
    }
    if (json_is_object(value) || json_is_array(value))
        return fail(err, "where", "where.%s%s%s: expected a literal value, got %s", f->name, op_name ? "." : "",
                    op_name ? op_name : "", json_is_object(value) ? "an object" : "an array");
    if (f->type == SSOT_TYPE_JSON)
        return fail(err, "where", "where.%s: json fields can only be compared with null", f->name);
    const char *problem =
        op == SSOT_WHERE_CONTAINS ? (json_is_string(value) ? NULL : "must be a string")
                                  : ssot_value_check(f, value, 0, msg, sizeof msg);
    if (problem)
        return fail(err, "where", "where.%s%s%s: %s", f->name, op_name ? "." : "", op_name ? op_name : "", problem);
    return 0;
}

static int add_condition(ssot_query *q, const ssot_field *f, ssot_where_op op, json_t *value,
                         ssot_query_error *err) {
    if (q->nconditions >= SSOT_QUERY_MAX_CONDITIONS)
        return fail(err, "where", "where: too many conditions (at most %d)", SSOT_QUERY_MAX_CONDITIONS);
    ssot_condition *c = &q->conditions[q->nconditions++];
    c->field = f;
    c->op = op;
    c->value = json_incref(value);
    return 0;
}

static int parse_operators(ssot_query *q, const ssot_field *f, json_t *ops, ssot_query_error *err) {
    char every[96], refusal[192];
    operator_list(~0u, every, sizeof every);
    if (json_object_size(ops) == 0) return fail(err, "where", "where.%s: empty operator object (use %s)", f->name, every);
    const char *name;
    json_t *value;
    json_object_foreach(ops, name, value) {
        int k = 0;
        while (k < SSOT_WHERE_COUNT && strcmp(ssot_where_op_names[k], name) != 0) k++;
        if (k == SSOT_WHERE_COUNT)
            return fail(err, "where", "where.%s: unknown operator '%.40s' (use %s)", f->name, name, every);
        ssot_where_op op = (ssot_where_op)k;
        const char *refused = op_refused(f, op, refusal, sizeof refusal);
        if (refused) return fail(err, "where", "where.%s.%s: %s", f->name, name, refused);
        if (op == SSOT_WHERE_IN) {
            if (!json_is_array(value)) return fail(err, "where", "where.%s.in: expected an array of values", f->name);
            size_t count = json_array_size(value);
            if (count == 0 || count > SSOT_QUERY_MAX_IN)
                return fail(err, "where", "where.%s.in: expected 1 to %d values, got %zu", f->name, SSOT_QUERY_MAX_IN,
                            count);
            for (size_t i = 0; i < count; i++)
                if (check_literal(f, "in", op, json_array_get(value, i), err) != 0) return -1;
        } else if (check_literal(f, name, op, value, err) != 0) {
            return -1;
        }
        if (add_condition(q, f, op, value, err) != 0) return -1;
    }
    return 0;
}

static json_t *parse_json(const char *param, const char *value, size_t n, ssot_query_error *err) {
    json_error_t error;
    json_t *json = json_loadb(value, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!json) fail(err, param, "%s: invalid JSON at column %d: %s", param, error.column, ssot_json_error_text(&error));
    return json;
}

static int parse_where(ssot_query *q, const char *value, size_t n, ssot_query_error *err) {
    json_t *where = parse_json("where", value, n, err);
    if (!where) return -1;
    int rc = 0;
    if (!json_is_object(where)) {
        rc = fail(err, "where", "where: expected a JSON object of field conditions, e.g. {\"%s\":1}",
                  q->model->primary_key ? q->model->primary_key->name : "id");
        goto done;
    }
    const char *name;
    json_t *cond;
    json_object_foreach(where, name, cond) {
        const ssot_field *f = known_field(q, "where", name, err);
        if (!f) {
            rc = -1;
            break;
        }
        if (json_is_object(cond)) {
            rc = parse_operators(q, f, cond, err);
        } else if (json_is_array(cond)) {
            rc = fail(err, "where", "where.%s: an array is not a value; for several values use {\"in\": [...]}", name);
        } else {
            char refusal[192];
            const char *refused = op_refused(f, SSOT_WHERE_EQ, refusal, sizeof refusal);
            rc = refused ? fail(err, "where", "where.%s: %s", name, refused)
                         : check_literal(f, NULL, SSOT_WHERE_EQ, cond, err);
            if (rc == 0) rc = add_condition(q, f, SSOT_WHERE_EQ, cond, err);
        }
        if (rc != 0) break;
    }
done:
    json_decref(where);
    return rc;
}

static int add_order(ssot_query *q, json_t *obj, ssot_query_error *err) {
    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return fail(err, "orderBy", "orderBy: expected {\"field\":\"asc\"|\"desc\"} or an array of such objects");
    const char *name;
    json_t *dir;
    json_object_foreach(obj, name, dir) {
        const ssot_field *f = known_field(q, "orderBy", name, err);
        if (!f) return -1;
        if (f->type == SSOT_TYPE_JSON) return fail(err, "orderBy", "orderBy.%s: json fields cannot be ordered", name);
        const char *d = json_string_value(dir);
        if (!d || (strcmp(d, "asc") != 0 && strcmp(d, "desc") != 0))
            return fail(err, "orderBy", "orderBy.%s: expected \"asc\" or \"desc\"", name);
        if (q->norder >= SSOT_QUERY_MAX_ORDER)
            return fail(err, "orderBy", "orderBy: too many fields (at most %d)", SSOT_QUERY_MAX_ORDER);
        q->order[q->norder].field = f;
        q->order[q->norder].desc = d[0] == 'd';
        q->norder++;
    }
    return 0;
}

static int parse_order(ssot_query *q, const char *value, size_t n, ssot_query_error *err) {
    json_t *order = parse_json("orderBy", value, n, err);
    if (!order) return -1;
    int rc = 0;
    if (json_is_array(order)) {
        if (json_array_size(order) == 0) rc = fail(err, "orderBy", "orderBy: empty array");
        for (size_t i = 0; rc == 0 && i < json_array_size(order); i++) rc = add_order(q, json_array_get(order, i), err);
    } else {
        rc = add_order(q, order, err);
    }
    json_decref(order);
    return rc;
}

/* A plain decimal integer (digits only, at most 15 of them), or -1. */
static int64_t parse_count(const char *s, size_t n) {
    if (n == 0 || n > 15) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int ssot_query_add_param(ssot_query *q, const char *name, const char *value, size_t n, ssot_query_error *err) {
    static const struct {
        const char *name;
        unsigned bit;
    } params[] = {{"where", SEEN_WHERE}, {"orderBy", SEEN_ORDER}, {"skip", SEEN_SKIP}, {"take", SEEN_TAKE}};
    size_t k = 0;
    while (k < 4 && strcmp(params[k].name, name) != 0) k++;
    if (k == 4)
        return fail(err, name, "unknown query parameter '%.60s' (expected where, orderBy, skip, take)", name);
    if (q->seen & params[k].bit) return fail(err, params[k].name, "%s: given more than once", params[k].name);
    q->seen |= params[k].bit;
    switch (params[k].bit) {
    case SEEN_WHERE:
        return parse_where(q, value, n, err);
    case SEEN_ORDER:
        return parse_order(q, value, n, err);
    case SEEN_SKIP: {
        int64_t skip = parse_count(value, n);
        if (skip < 0) return fail(err, "skip", "skip: expected an integer >= 0 (at most 15 digits)");
        q->skip = skip;
        return 0;
    }
    default: {
        int64_t take = parse_count(value, n);
        if (take < 1 || take > q->max_take)
            return fail(err, "take", "take: expected an integer from 1 to %lld", (long long)q->max_take);
        q->take = take;
        return 0;
    }
    }
}

bool ssot_pred_matches(const ssot_pred *pred, const char *owner) {
    if (!pred) return true;
    switch (pred->op) {
    case SSOT_PRED_TRUE: return true;
    case SSOT_PRED_FALSE: return false;
    case SSOT_PRED_OWNER_EQ: return owner && pred->value && strcmp(owner, pred->value) == 0;
    case SSOT_PRED_OWNER_NE: return !(owner && pred->value && strcmp(owner, pred->value) == 0);
    case SSOT_PRED_NOT: return !ssot_pred_matches(pred->left, owner);
    case SSOT_PRED_AND: return ssot_pred_matches(pred->left, owner) && ssot_pred_matches(pred->right, owner);
    case SSOT_PRED_OR: return ssot_pred_matches(pred->left, owner) || ssot_pred_matches(pred->right, owner);
    }
    return false;
}
