/* The replay checks both stores share (store_stream.h). Uses store_messages.h. */
#include "runtime/store/store_stream.h"

#include "runtime/store/store_messages.h"

#include <string.h>

ssot_store_status ssot_stream_check_since(const ssot_model *model, const ssot_stream_position *since,
                                          const ssot_stream_position *now, ssot_store_error *err) {
    if (strcmp(since->epoch, now->epoch) != 0)
        return ssot_store_fail(err, SSOT_STORE_CANNOT_RECOVER, NULL, "%s: the stream epoch changed (history was reset)",
                               model->name);
    if (since->offset < 0 || since->offset > now->offset)
        return ssot_store_fail(err, SSOT_STORE_CANNOT_RECOVER, NULL,
                               "%s: offset %lld is not a position of this stream (now %lld)", model->name,
                               (long long)since->offset, (long long)now->offset);
    return SSOT_STORE_OK;
}

ssot_store_status ssot_stream_check_kept(const ssot_model *model, const ssot_stream_position *since,
                                         const ssot_stream_position *now, int have, int64_t oldest,
                                         ssot_store_error *err) {
    if (!have || oldest > since->offset + 1)
        return ssot_store_fail(err, SSOT_STORE_CANNOT_RECOVER, NULL,
                               "%s: events after offset %lld are no longer kept (the history starts at %lld)",
                               model->name, (long long)since->offset, (long long)(have ? oldest : now->offset + 1));
    return SSOT_STORE_OK;
}
