/* The gateway's state, shared by its files: gateway.c (connections, users, the tick),
 * gateway_channels.c (the channel registry, subscriptions, presence), gateway_messages.c (the
 * client's messages), gateway_deliver.c (events to subscribers: rules, encoding, batching,
 * replay). docs/architecture.md "The realtime gateway" explains the design. */
#ifndef SSOT_RUNTIME_GATEWAY_INTERNAL_H
#define SSOT_RUNTIME_GATEWAY_INTERNAL_H

#include "runtime/realtime/channel.h"
#include "runtime/realtime/client_message.h"
#include "runtime/realtime/gateway.h"

#include "runtime/auth/rules.h"
#include "runtime/base/buf.h"

#include <stdint.h>

typedef struct gw_channel gw_channel;
typedef struct gw_session gw_session;

/* One identity, shared by every connection signed in as it (and one for anonymous ones):
 * rules are evaluated once per user and event, not once per connection. */
typedef struct gw_user {
    struct gw_user *next; /* the gateway's list */
    ssot_user user;
    size_t refs;          /* connections using it */
    uint64_t stamp;       /* the delivery the verdicts below belong to */
    int8_t visible_after, visible_before; /* -1: not evaluated yet */
} gw_user;

/* One connection's subscription to one channel. */
typedef struct gw_sub {
    gw_session *session;
    gw_channel *channel;
    size_t slot;        /* its index in the channel's subscribers */
    int64_t delivered;  /* model channels: the newest offset sent (events up to it are skipped) */
} gw_sub;

/* A channel somebody is subscribed to, or (presence channels) where users of other nodes are
 * present; gone with the last of both. */
struct gw_channel {
    gw_channel *next_in_bucket;
    uint32_t hash;
    ssot_channel_ref ref;   /* what the name means (points into name) */
    json_t *params;         /* custom channels: {"roomId": "3"}, for function rules */
    gw_sub **subs;          /* its subscribers, in no order */
    size_t nsubs, cap;
    /* presence channels: each user present, by id, with its connections here and whether other
     * nodes have it too (a second tab, here or elsewhere, is not a second join) */
    struct presence_entry { char *id; size_t connections; int elsewhere; } *present;
    size_t npresent, present_cap;
    char name[];            /* the name, NUL-terminated */
};

/* One WebSocket connection. */
struct gw_session {
    gw_session *prev, *next; /* the gateway's list */
    ssot_gateway *gateway;
    ssot_ws *ws;
    gw_user *user;
    double expires;         /* when its token expires (seconds since 1970), 0: never */
    uint64_t number;        /* for request ids in the log */
    gw_sub **subs;          /* its subscriptions */
    size_t nsubs, subs_cap;
    double tokens;          /* the rate limit's bucket */
    int64_t refilled_ms;
    ssot_shared_bytes **batch; /* batching: events waiting for the next flush */
    size_t nbatch, batch_cap;
    int in_dirty;           /* it is in the gateway's list of sessions with a batch */
    int closing;            /* closed by the gateway: nothing more is sent */
};

#define GW_BUCKETS_MIN 64

struct ssot_gateway {
    ssot_fanout base; /* first: the fan-out ops see the gateway */
    ssot_gateway_options options;
    const ssot_app *app;
    const ssot_websockets_config *config;
    gw_session *sessions;
    gw_user *users;
    gw_user *anonymous;
    gw_channel **buckets;   /* the channels by name */
    size_t nbuckets, nchannels;
    gw_session **dirty;     /* sessions with a batch waiting */
    size_t ndirty, dirty_cap;
    uint64_t stamp;         /* counts deliveries, for the users' verdict cache */
    uint64_t next_session;
    uint64_t requests;      /* `request` messages so far, for their request ids */
    int64_t ticked_ms;      /* time ticked since tokens were last checked */
    ssot_gateway_counts counts;
    ssot_pred_pool preds;
    ssot_buf out;           /* encoding scratch */
    ssot_buf resp_body;     /* `request` responses */
    ssot_response resp;
    char (*list_names)[160]; /* "<Model>:list" per model, prebuilt */
    ssot_fanout *outer;     /* clients' publishes go through it (the follower) when set */
};

/* --- gateway.c ---------------------------------------------------------------------------- */

/* The interned user for u (a new reference), or NULL when memory runs out. */
gw_user *gw_user_get(ssot_gateway *gw, const ssot_user *u);
void gw_user_put(ssot_gateway *gw, gw_user *user);

/* Queues an encoded message to a session (flushing its batch first, so order holds). */
void gw_send(gw_session *session, const char *json, size_t len);
/* Queues an event frame (shared): into the batch when batching, else at once. */
void gw_send_event(gw_session *session, ssot_shared_bytes *frame);
/* Sends the session's waiting batch. */
void gw_flush(gw_session *session);

/* Sends an error reply: {"type":"error","id":..,"code","status","message"}. */
void gw_send_error(gw_session *session, const char *id, ssot_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends a validation_failed reply: the error above with the message fmt and errs as its
 * fields member, the shape of REST's validation errors. */
void gw_send_invalid(gw_session *session, const char *id, const ssot_body_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sends an error reply from a REST error body ({"error":{...}}) with its status. */
void gw_send_rest_error(gw_session *session, const char *id, int status, const char *body, size_t len);

/* Closes the session's connection with code after an error message. */
void gw_close(gw_session *session, int code, const char *reason);

/* --- gateway_channels.c ------------------------------------------------------------------- */

/* The channel named name (len bytes), or NULL. */
gw_channel *gw_channel_find(ssot_gateway *gw, const char *name, size_t len);
/* The session's subscription to channel name, or NULL. */
gw_sub *gw_session_sub(gw_session *session, const char *name, size_t len);
/* Subscribes session to the channel name (ref resolved from it), creating the channel.
 * Returns the subscription, or NULL when memory runs out. */
gw_sub *gw_subscribe(ssot_gateway *gw, gw_session *session, const char *name, size_t len,
                     const ssot_channel_ref *ref);
/* Ends a subscription (and the channel with its last subscriber). */
void gw_unsubscribe(ssot_gateway *gw, gw_sub *sub);
/* Presence bookkeeping when a session's user changes (auth): leave with the old user first,
 * enter with the new one after. */
void gw_presence_leave(ssot_gateway *gw, gw_channel *channel, gw_session *session);
void gw_presence_enter(ssot_gateway *gw, gw_channel *channel, gw_session *session);

/* The fan-out op presence_elsewhere (fanout.h): other nodes' users on a presence channel. */
void gw_presence_elsewhere(ssot_fanout *fanout, const char *channel, const char *user, int present);

/* Appends the ids of the users present on channel as a JSON array. */
void gw_presence_json(const gw_channel *channel, ssot_buf *out);

void gw_channels_free(ssot_gateway *gw);

/* --- gateway_messages.c ------------------------------------------------------------------- */

/* Handles one text message of a session. */
void gw_handle_message(gw_session *session, const char *text, size_t len);

/* --- gateway_deliver.c -------------------------------------------------------------------- */

/* The fan-out's ops (publish_change, publish_custom). */
void gw_publish_change(ssot_fanout *fanout, const ssot_change *change);
void gw_publish_custom(ssot_fanout *fanout, const char *channel, const char *event, const char *data, size_t n,
                       const char *from);

/* A subscriber's view of a change on a model channel of kind (list or item): hidden, as it
 * is, or (an update taking the row out of the user's view) as a delete. Cached per user for
 * the current gw->stamp: bump the stamp for each change and channel. */
typedef enum gw_view { GW_HIDDEN, GW_AS_IS, GW_MOVED_OUT } gw_view;
gw_view gw_view_of(ssot_gateway *gw, ssot_channel_kind kind, gw_user *user, const ssot_change *change);

/* Whether rule lets user see a row (owner text, row JSON) or, for a custom channel, act on
 * it with params; a function rule that fails is logged and counts as no. */
int gw_rule_allows(ssot_gateway *gw, const ssot_rule *rule, const ssot_user *user, const char *owner,
                   const char *row_json, size_t row_len, const json_t *params);

/* Encodes an event message into a shared frame: data is JSON text; offset < 0 for none;
 * from NULL for none (custom events carry "from": id or null). NULL when memory runs out. */
ssot_shared_bytes *gw_event_frame(ssot_gateway *gw, const char *channel, const char *event, const char *data,
                                  size_t len, int64_t offset, int with_from, const char *from);

/* Sends join or leave to a presence channel's subscribers but except. */
void gw_presence_event(ssot_gateway *gw, gw_channel *channel, const char *event, const char *user_id,
                       const gw_session *except);

/* Subscribing to a model channel (permissions checked): commits what is pending, reads the
 * position (replaying msg->since when given and possible), subscribes, answers subscribed,
 * then sends the replayed events. */
void gw_subscribe_model(gw_session *session, const ssot_client_message *msg, const ssot_channel_ref *ref);

#endif
