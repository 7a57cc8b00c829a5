/* The replay checks both stores share (store_stream.h). Uses store.h. */
#include "runtime/store/store_stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static ssot_store_status cannot_recover(ssot_store_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static ssot_store_status cannot_recover(ssot_store_error *err, const char *fmt, ...) {
    err->status = SSOT_STORE_CANNOT_RECOVER;
    err->field = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return SSOT_STORE_CANNOT_RECOVER;
}

ssot_store_status ssot_stream_check_since(const ssot_model *model, const ssot_stream_position *since,
                                          const ssot_stream_position *now, ssot_store_error *err) {
    if (strcmp(since->epoch, now->epoch) != 0)
        return cannot_recover(err, "%s: the stream epoch changed (history was reset)", model->name);
    if (since->offset < 0 || since->offset > now->offset)
        return cannot_recover(err, "%s: offset %lld is not a position of this stream (now %lld)", model->name,
                              (long long)since->offset, (long long)now->offset);
    return SSOT_STORE_OK;
}

ssot_store_status ssot_stream_check_kept(const ssot_model *model, const ssot_stream_position *since,
                                         const ssot_stream_position *now, int have, int64_t oldest,
                                         ssot_store_error *err) {
    if (!have || oldest > since->offset + 1)
        return cannot_recover(err, "%s: events after offset %lld are no longer kept (the history starts at %lld)",
                              model->name, (long long)since->offset, (long long)(have ? oldest : now->offset + 1));
    return SSOT_STORE_OK;
}
