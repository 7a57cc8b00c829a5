/* The messages both stores answer with (store_messages.h). Uses store.h. */
#include "runtime/store/store_messages.h"

#include <stdarg.h>
#include <stdio.h>

static ssot_store_status fail(ssot_store_error *err, ssot_store_status status, const ssot_field *f, const char *fmt,
                              ...) __attribute__((format(printf, 4, 5)));

static ssot_store_status fail(ssot_store_error *err, ssot_store_status status, const ssot_field *f, const char *fmt,
                              ...) {
    err->status = status;
    err->field = f;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

ssot_store_status ssot_store_not_found(ssot_store_error *err, const ssot_model *m, const char *id, size_t n,
                                       int malformed) {
    return fail(err, SSOT_STORE_NOT_FOUND, NULL, "%s %.*s not found%s", m->name, (int)(n > 64 ? 64 : n), id,
                malformed ? " (not a valid id)" : "");
}

ssot_store_status ssot_store_not_visible(ssot_store_error *err, const ssot_model *m, const char *id) {
    return fail(err, SSOT_STORE_DENIED, NULL, "%s %s is not visible to this user", m->name, id);
}

ssot_store_status ssot_store_duplicate(ssot_store_error *err, const ssot_model *m, const ssot_field *f) {
    return fail(err, SSOT_STORE_CONFLICT, f, "%s already has a row with this %s", m ? m->name : "",
                f ? f->name : "value");
}

ssot_store_status ssot_store_required(ssot_store_error *err, const ssot_field *f) {
    return fail(err, SSOT_STORE_INVALID, f, "is required");
}

ssot_store_status ssot_store_missing_reference(ssot_store_error *err, const ssot_field *f) {
    if (f && f->ref_model) return fail(err, SSOT_STORE_INVALID, f, "refers to a %s that does not exist", f->ref_model);
    return fail(err, SSOT_STORE_INVALID, f, "refers to a row that does not exist");
}

ssot_store_status ssot_store_refused_value(ssot_store_error *err, const ssot_field *f, const char *why) {
    return fail(err, SSOT_STORE_INVALID, f, "is not allowed by the database (%s)", why);
}

ssot_store_status ssot_store_still_referenced(ssot_store_error *err, const ssot_model *m, const char *id,
                                              long long count, const ssot_model *referring,
                                              const ssot_field *field) {
    if (count > 0 && referring && field)
        return fail(err, SSOT_STORE_CONFLICT, NULL,
                    "%s %s is still referenced by %lld %s row%s (%s.%s); delete or change those first, or declare "
                    "onDelete = \"cascade\" or \"setNull\"",
                    m->name, id, count, referring->name, count == 1 ? "" : "s", referring->name, field->name);
    return fail(err, SSOT_STORE_CONFLICT, NULL,
                "%s %s cannot be deleted: rows that onDelete = \"cascade\" would delete with it are still referenced "
                "by other rows; delete or change those first",
                m->name, id);
}
