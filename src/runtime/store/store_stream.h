/* What both stores' change streams share (docs/runtime-storage.md, "The change stream"): how
 * often history is pruned and the checks that decide whether a replay can be whole, with the
 * messages a subscriber's `recovered: false` is logged with. Uses store.h. */
#ifndef SSOT_RUNTIME_STORE_STREAM_H
#define SSOT_RUNTIME_STORE_STREAM_H

#include "runtime/store/store.h"

/* History is pruned every SSOT_STREAM_PRUNE_EVERY events, so a model keeps between `history`
 * and `history + SSOT_STREAM_PRUNE_EVERY` events. */
#define SSOT_STREAM_PRUNE_EVERY 64

/* Whether since is a position of the stream that is now at `now`: the same epoch and an
 * offset from 0 to now's. OK or CANNOT_RECOVER. */
ssot_store_status ssot_stream_check_since(const ssot_model *model, const ssot_stream_position *since,
                                          const ssot_stream_position *now, ssot_store_error *err);

/* Whether every event after since.offset is still kept, the oldest kept being `oldest` (have
 * 0: none is). OK or CANNOT_RECOVER. */
ssot_store_status ssot_stream_check_kept(const ssot_model *model, const ssot_stream_position *since,
                                         const ssot_stream_position *now, int have, int64_t oldest,
                                         ssot_store_error *err);

#endif
