/* List queries: parsing and checking the where / orderBy / skip / take parameters of
 * docs/rest.md against a model into a structured ssot_query the store compiles (values are
 * only ever bound as SQL parameters), and the row filters that carry permission rules.
 * Uses jansson and model.h. */
#ifndef SSOT_RUNTIME_QUERY_H
#define SSOT_RUNTIME_QUERY_H

#include "runtime/model/model.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- conditions ------------------------------------------------------------------------ */

/* ssot_where_op (ssot_facts.h, from lua/ssot/facts.lua): EQ with a null value is IS NULL; NE
 * with null IS NOT NULL, otherwise also true for null cells; IN takes an array of 1..100
 * literals (null allowed: matches null); CONTAINS is a case-sensitive substring test in which
 * % and _ are literal. Which applies to which field type is the facts' operator set. */

/* One condition "field op value". value belongs to the query; it has already been checked
 * against the field's type (datetimes normalized to YYYY-MM-DDTHH:MM:SS.mmmZ). */
typedef struct ssot_condition {
    const ssot_field *field;
    ssot_where_op op;
    json_t *value;
} ssot_condition;

typedef struct ssot_order {
    const ssot_field *field;
    bool desc;
} ssot_order;

#define SSOT_QUERY_MAX_CONDITIONS 64
#define SSOT_QUERY_MAX_ORDER 16
#define SSOT_QUERY_MAX_IN 100

/* A parsed list query. Initialise with ssot_query_init (defaults: no conditions, order by
 * primary key, skip 0, take default_take), add the request's parameters, free with
 * ssot_query_free. The primary-key tie-breaker is not stored in `order`: the store always
 * appends it. */
typedef struct ssot_query {
    const ssot_model *model;
    ssot_condition conditions[SSOT_QUERY_MAX_CONDITIONS];
    size_t nconditions;
    ssot_order order[SSOT_QUERY_MAX_ORDER];
    size_t norder;
    int64_t skip;
    int64_t take;
    int64_t max_take;
    unsigned seen; /* private: which parameters were given (each at most once) */
} ssot_query;

/* What is wrong with a parameter, for a 400 bad_request. */
typedef struct ssot_query_error {
    const char *param; /* "where", "orderBy", "skip", "take", or the unknown parameter's name */
    char message[256]; /* "where.roomId: expected an integer, got string" */
} ssot_query_error;

void ssot_query_init(ssot_query *q, const ssot_model *model, int64_t default_take, int64_t max_take);
/* Adds one decoded query parameter (name and value already URL-decoded; value is n bytes
 * and need not be NUL-terminated). Known names: where, orderBy, skip, take. Returns 0, or -1
 * with err filled: unknown parameter, repeated parameter, invalid JSON (with the column),
 * unknown field, operator that does not apply to the field's type, value of the wrong type,
 * too many conditions, skip/take out of range. */
int ssot_query_add_param(ssot_query *q, const char *name, const char *value, size_t n, ssot_query_error *err);
/* Releases the values; the query may be initialised again. */
void ssot_query_free(ssot_query *q);

/* --- row filters: permission rules reduced for one user ------------------------------- */

/* A predicate over a row that SQL can express: after partial evaluation for the current
 * user, every rule reduces to TRUE, FALSE, "owner = <user id>" or and/or/not of those.
 * owner comparisons use the model's owner field; `value` is the user id as text (bound as
 * an integer when the owner column is INTEGER and the text is a decimal integer — a
 * non-integer id then matches no row). A null owner cell is never equal to a user id, so
 * OWNER_NE matches it. */
typedef enum ssot_pred_op {
    SSOT_PRED_TRUE,
    SSOT_PRED_FALSE,
    SSOT_PRED_OWNER_EQ,
    SSOT_PRED_OWNER_NE,
    SSOT_PRED_NOT, /* left */
    SSOT_PRED_AND, /* left, right */
    SSOT_PRED_OR   /* left, right */
} ssot_pred_op;

typedef struct ssot_pred {
    ssot_pred_op op;
    const struct ssot_pred *left, *right;
    const char *value; /* OWNER_EQ / OWNER_NE: the user id, NUL-terminated */
} ssot_pred;

/* A row as the store hands it to callbacks: the REST JSON of the row and its owner value. */
typedef struct ssot_row_view {
    const char *json; /* the row as in docs/rest.md (not NUL-terminated: use json_len) */
    size_t json_len;
    const char *id;   /* the primary key as text (decimal or UUID), NUL-terminated */
    const char *owner; /* the owner field's value as text (decimal for integers), NUL-
                        * terminated; NULL when the model has no owner or the cell is null */
} ssot_row_view;

/* A per-row visibility callback, for rules the store cannot compile to SQL (Lua functions).
 * Returns 1 visible, 0 hidden, or -1 to abort the read (the store returns
 * SSOT_STORE_REJECTED with the message the callback wrote into message[0..message_size)).
 * It may read through the store that called it (a Lua rule calling ssot.get or ssot.list:
 * the store copies the candidate rows out before it asks) but must not write. */
typedef int (*ssot_row_visible_fn)(void *ctx, const ssot_row_view *row, char *message, size_t message_size);

/* Which rows the caller may see: rows matching `pred` (NULL means all) AND for which
 * `visible` returns 1 (NULL means no callback). The predicate runs inside SQL; the callback
 * runs in C per candidate row, and the store pages after it, so total/skip/take stay right. */
typedef struct ssot_row_filter {
    const ssot_pred *pred;
    ssot_row_visible_fn visible;
    void *ctx;
} ssot_row_filter;

/* Evaluates pred for a row whose owner value is `owner` (NULL when null or no owner field),
 * with the same meaning as the SQL the store compiles — for the fan-out, which checks each
 * subscriber against an event row. NULL pred is true. */
bool ssot_pred_matches(const ssot_pred *pred, const char *owner);

#endif
