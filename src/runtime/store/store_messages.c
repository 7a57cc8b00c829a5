/* The messages both stores answer with (store_messages.h). Uses store.h. */
#include "runtime/store/store_messages.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

ssot_store_status ssot_store_fail(ssot_store_error *err, ssot_store_status status, const ssot_field *f,
                                  const char *fmt, ...) {
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
    return ssot_store_fail(err, SSOT_STORE_NOT_FOUND, NULL, "%s %.*s not found%s", m->name, (int)(n > 64 ? 64 : n), id,
                malformed ? " (not a valid id)" : "");
}

ssot_store_status ssot_store_not_visible(ssot_store_error *err, const ssot_model *m, const char *id) {
    return ssot_store_fail(err, SSOT_STORE_DENIED, NULL, "%s %s is not visible to this user", m->name, id);
}

ssot_store_status ssot_store_duplicate(ssot_store_error *err, const ssot_model *m, const ssot_field *f) {
    return ssot_store_fail(err, SSOT_STORE_CONFLICT, f, "%s already has a row with this %s", m ? m->name : "",
                f ? f->name : "value");
}

ssot_store_status ssot_store_required(ssot_store_error *err, const ssot_field *f) {
    return ssot_store_fail(err, SSOT_STORE_INVALID, f, "is required");
}

ssot_store_status ssot_store_missing_reference(ssot_store_error *err, const ssot_field *f) {
    if (f && f->ref_model) return ssot_store_fail(err, SSOT_STORE_INVALID, f, "refers to a %s that does not exist", f->ref_model);
    return ssot_store_fail(err, SSOT_STORE_INVALID, f, "refers to a row that does not exist");
}

ssot_store_status ssot_store_refused_value(ssot_store_error *err, const ssot_field *f, const char *why) {
    return ssot_store_fail(err, SSOT_STORE_INVALID, f, "is not allowed by the database (%s)", why);
}

ssot_store_status ssot_store_still_referenced(ssot_store_error *err, const ssot_app *app, const ssot_model *m,
                                              const char *id, ssot_store_count_refs_fn count, void *ctx) {
    for (size_t i = 0; i < app->nmodels; i++)
        for (size_t k = 0; k < app->models[i].nfields; k++) {
            const ssot_model *referring = &app->models[i];
            const ssot_field *f = &referring->fields[k];
            if (!f->ref_model || f->on_delete != SSOT_ON_DELETE_RESTRICT || strcmp(f->ref_model, m->name) != 0)
                continue;
            long long n = count(ctx, referring, f, id);
            if (n > 0)
                return ssot_store_fail(err, SSOT_STORE_CONFLICT, NULL,
                                       "%s %s is still referenced by %lld %s row%s (%s.%s); delete or change those "
                                       "first, or declare onDelete = \"cascade\" or \"setNull\"",
                                       m->name, id, n, referring->name, n == 1 ? "" : "s", referring->name, f->name);
        }
    /* a restrict reference to a row that a cascade would delete with this one */
    return ssot_store_fail(err, SSOT_STORE_CONFLICT, NULL,
                           "%s %s cannot be deleted: rows that onDelete = \"cascade\" would delete with it are still "
                           "referenced by other rows; delete or change those first",
                           m->name, id);
}
