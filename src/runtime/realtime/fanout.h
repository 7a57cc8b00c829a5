/* The event fan-out seam (docs/architecture.md "The seams"): after every committed mutation
 * the REST handlers hand the change to a fan-out, which delivers it to subscribers: the
 * realtime gateway (gateway.h) when WebSockets are on, else fanout_local.c (counts and logs);
 * the follower (fanout_follow.c) in front of the gateway when other processes write the same
 * database. Uses store.h for changes. */
#ifndef SSOT_RUNTIME_FANOUT_H
#define SSOT_RUNTIME_FANOUT_H

#include "runtime/store/store.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ssot_fanout ssot_fanout;

typedef struct ssot_fanout_ops {
    const char *name; /* "local" */
    /* A committed change of a model (the row is the REST JSON after the change; for deleted
     * the row as it was). Called on the service thread right after COMMIT, in commit order;
     * the change and its row are valid only during the call. Must not fail the request. */
    void (*publish_change)(ssot_fanout *fanout, const ssot_change *change);
    /* An event on a custom channel ("chat:room:3", "typing", data JSON of n bytes), published
     * by the user whose id is from (NULL: the server, or an anonymous client). */
    void (*publish_custom)(ssot_fanout *fanout, const char *channel, const char *event, const char *data,
                           size_t n, const char *from);
    void (*close)(ssot_fanout *fanout);
    /* Presence across nodes (both optional, NULL: not handled). presence_here goes outward,
     * from the gateway to the follower in front of it: user's first connection on this node to
     * a presence channel arrived (present 1), or its last one left (0); the follower tells the
     * other nodes. presence_elsewhere goes inward, from the follower to the gateway: user is
     * now present on channel through other nodes (1), or on none of them any more (0); the
     * gateway merges that with its own connections for joins, leaves and presence answers. */
    void (*presence_here)(ssot_fanout *fanout, const char *channel, const char *user, int present);
    void (*presence_elsewhere)(ssot_fanout *fanout, const char *channel, const char *user, int present);
} ssot_fanout_ops;

/* Every fan-out starts with this header; implementations put their state after it. */
struct ssot_fanout {
    const ssot_fanout_ops *ops;
};

static inline void ssot_fanout_publish_change(ssot_fanout *f, const ssot_change *change) {
    f->ops->publish_change(f, change);
}
static inline void ssot_fanout_publish_custom(ssot_fanout *f, const char *channel, const char *event,
                                              const char *data, size_t n, const char *from) {
    f->ops->publish_custom(f, channel, event, data, n, from);
}
static inline void ssot_fanout_presence_here(ssot_fanout *f, const char *channel, const char *user, int present) {
    if (f && f->ops->presence_here) f->ops->presence_here(f, channel, user, present);
}
static inline void ssot_fanout_presence_elsewhere(ssot_fanout *f, const char *channel, const char *user,
                                                  int present) {
    if (f && f->ops->presence_elsewhere) f->ops->presence_elsewhere(f, channel, user, present);
}
static inline void ssot_fanout_close(ssot_fanout *f) {
    if (f) f->ops->close(f);
}

/* --- the in-process fan-out ------------------------------------------------------------- */

typedef struct ssot_fanout_counts {
    uint64_t created, updated, deleted, custom;
    int64_t last_offset; /* offset of the last change published, -1 before any */
} ssot_fanout_counts;

/* A fan-out that counts events and logs each at debug level; NULL when memory runs out. */
ssot_fanout *ssot_fanout_local_new(void);
/* Its counts so far (for tests and the shutdown summary). */
ssot_fanout_counts ssot_fanout_local_counts(const ssot_fanout *fanout);

/* --- the cross-node follower (fanout_follow.c) --------------------------------------------- */

typedef struct ssot_follow_options {
    const ssot_app *app;
    ssot_store *store;    /* one with commit signals (ssot_store_can_signal); the service's */
    ssot_fanout *inner;   /* the gateway's fan-out: gets every event once, in offset order;
                           * closed with the follower */
    /* Events of model cannot be replayed (the history was pruned past them, or started over
     * with a new epoch): its subscribers must start over. May be NULL. */
    void (*lost)(void *ctx, const ssot_model *model);
    void *lost_ctx;
} ssot_follow_options;

/* A fan-out that passes local changes and other processes' commits to inner once each, in
 * offset order per model (reads every model's position now); NULL when memory runs out. */
ssot_fanout *ssot_fanout_follow_new(const ssot_follow_options *options);
/* The descriptor to watch for signals (may change after a reconnect; -1: none now). */
int ssot_fanout_follow_fd(ssot_fanout *follow);
/* When it is readable, and now and then (reconnecting): notes the signals waiting. Reads
 * nothing from the store, so it may run while a write batch is open. */
void ssot_fanout_follow_read(ssot_fanout *follow);
/* Where no write batch is open (after the server's settle): hands inner the events other
 * processes committed since, reading them with events_since. */
void ssot_fanout_follow_catch_up(ssot_fanout *follow);

#endif
