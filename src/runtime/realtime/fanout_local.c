/* The in-process fan-out (fanout.h): counts every published event and logs it at debug
 * level, for a server without WebSockets (the realtime gateway delivers instead). Uses host/log.h. */
#include "runtime/realtime/fanout.h"

#include "host/log.h"
#include "ssot.h"

#include <stdlib.h>

typedef struct local_fanout {
    ssot_fanout base;
    ssot_fanout_counts counts;
} local_fanout;

static void local_publish_change(ssot_fanout *fanout, const ssot_change *change) {
    local_fanout *local = (local_fanout *)fanout;
    switch (change->kind) {
    case SSOT_EVENT_CREATED: local->counts.created++; break;
    case SSOT_EVENT_UPDATED: local->counts.updated++; break;
    case SSOT_EVENT_DELETED: local->counts.deleted++; break;
    }
    local->counts.last_offset = change->offset;
    if (ssot_log_get_level() >= SSOT_LOG_DEBUG)
        ssot_logf(SSOT_LOG_DEBUG, "event %s:%s offset %lld row %s", change->model->name,
                  ssot_event_name(change->kind), (long long)change->offset, change->row.id ? change->row.id : "?");
}

static void local_publish_custom(ssot_fanout *fanout, const char *channel, const char *event, const char *data,
                                 size_t n, const char *from) {
    local_fanout *local = (local_fanout *)fanout;
    local->counts.custom++;
    if (ssot_log_get_level() >= SSOT_LOG_DEBUG)
        ssot_logf(SSOT_LOG_DEBUG, "event %s %s (%zu bytes)", channel, event, n);
    (void)data;
    (void)from;
}

static void local_close(ssot_fanout *fanout) { free(fanout); }

static const ssot_fanout_ops local_ops = {
    .name = "local",
    .publish_change = local_publish_change,
    .publish_custom = local_publish_custom,
    .close = local_close,
};

ssot_fanout *ssot_fanout_local_new(void) {
    local_fanout *local = calloc(1, sizeof *local);
    if (!local) return NULL;
    local->base.ops = &local_ops;
    local->counts.last_offset = -1;
    return &local->base;
}

ssot_fanout_counts ssot_fanout_local_counts(const ssot_fanout *fanout) {
    return ((const local_fanout *)fanout)->counts;
}
