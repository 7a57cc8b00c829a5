/* Delivering events (docs/protocol.md "Events", "Permissions", "Recovery"): each committed
 * change goes to its model's list channel and its row's item channel, checked against the
 * channel's rule once per distinct user, encoded once per channel and view and the same bytes
 * queued to every subscriber that may see it; custom and presence events; and the replay of a
 * subscription's missed events, filtered the same way. Uses the store (positions, replay),
 * rules.c and lua_bridge.h for function rules. */
#include "runtime/realtime/gateway_internal.h"

#include "host/log.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- rules ------------------------------------------------------------------------------------ */

int gw_rule_allows(ssot_gateway *gw, const ssot_rule *rule, const ssot_user *user, const char *owner,
                   const char *row_json, size_t row_len, const json_t *params) {
    if (rule->ast) return ssot_rule_allows(rule->ast, user, owner);
    if (rule->fn_ref == LUA_NOREF) return 0;
    char message[1024];
    int verdict = ssot_rule_call(gw->options.L, rule, user, row_json, row_json ? row_len : 0, params, message,
                                 sizeof message);
    if (verdict < 0) ssot_logf(SSOT_LOG_ERROR, "the rule %s failed (the event is not sent):\n%s", rule->source, message);
    return verdict == 1;
}

/* Whether user may see row on a model channel of kind: the list or get rule, and the
 * realtime subscribe rule when the config has one. */
static int row_visible(ssot_gateway *gw, ssot_channel_kind kind, const ssot_model *model, const ssot_user *user,
                       const ssot_row_view *row) {
    const ssot_rule *rule = &model->permissions[kind == SSOT_CHANNEL_LIST ? SSOT_ACTION_LIST : SSOT_ACTION_GET];
    if (!gw_rule_allows(gw, rule, user, row->owner, row->json, row->json_len, NULL)) return 0;
    const ssot_model_realtime *rt = &model->realtime;
    return !rt->has_subscribe_rule ||
           gw_rule_allows(gw, &rt->subscribe, user, row->owner, row->json, row->json_len, NULL);
}

gw_view gw_view_of(ssot_gateway *gw, ssot_channel_kind kind, gw_user *user, const ssot_change *change) {
    if (user->stamp != gw->stamp) {
        user->stamp = gw->stamp;
        user->visible_after = user->visible_before = -1;
    }
    if (user->visible_after < 0)
        user->visible_after = (int8_t)row_visible(gw, kind, change->model, &user->user, &change->row);
    if (user->visible_after) return GW_AS_IS;
    if (change->kind != SSOT_EVENT_UPDATED || !change->previous.json) return GW_HIDDEN;
    if (user->visible_before < 0)
        user->visible_before = (int8_t)row_visible(gw, kind, change->model, &user->user, &change->previous);
    return user->visible_before ? GW_MOVED_OUT : GW_HIDDEN;
}

/* --- encoding ---------------------------------------------------------------------------------- */

/* Appends {"type":"event","channel":..,"event":..,"data":..[,"offset":n][,"from":..]} to out. */
static void encode_event(ssot_buf *out, const char *channel, const char *event, const char *data, size_t len,
                         int64_t offset, int with_from, const char *from) {
    ssot_buf_puts(out, "{\"type\":\"event\",\"channel\":");
    ssot_buf_put_json_string(out, channel, strlen(channel));
    ssot_buf_puts(out, ",\"event\":");
    ssot_buf_put_json_string(out, event, strlen(event));
    ssot_buf_puts(out, ",\"data\":");
    if (data && len) ssot_buf_append(out, data, len);
    else ssot_buf_puts(out, "null");
    if (offset >= 0) {
        ssot_buf_puts(out, ",\"offset\":");
        ssot_buf_put_int(out, offset);
    }
    if (with_from) {
        ssot_buf_puts(out, ",\"from\":");
        if (from) ssot_buf_put_json_string(out, from, strlen(from));
        else ssot_buf_puts(out, "null");
    }
    ssot_buf_putc(out, '}');
}

ssot_shared_bytes *gw_event_frame(ssot_gateway *gw, const char *channel, const char *event, const char *data,
                                  size_t len, int64_t offset, int with_from, const char *from) {
    ssot_buf *out = &gw->out;
    ssot_buf_reset(out);
    encode_event(out, channel, event, data, len, offset, with_from, from);
    if (out->failed) return NULL;
    return ssot_ws_text_frame(out->data, out->len);
}

/* --- changes ------------------------------------------------------------------------------------ */

static int broadcasts(const ssot_model *model, ssot_event_kind kind) {
    const ssot_model_realtime *rt = &model->realtime;
    switch (kind) {
    case SSOT_EVENT_CREATED: return rt->broadcast_created;
    case SSOT_EVENT_UPDATED: return rt->broadcast_updated;
    case SSOT_EVENT_DELETED: return rt->broadcast_deleted;
    }
    return 0;
}

/* The change to every subscriber of channel that may see it, in its view. */
static void deliver_change(ssot_gateway *gw, gw_channel *channel, const ssot_change *change) {
    ssot_shared_bytes *as_is = NULL, *moved_out = NULL;
    gw->stamp++;
    for (size_t i = 0; i < channel->nsubs; i++) {
        gw_sub *sub = channel->subs[i];
        if (sub->session->closing || change->offset <= sub->delivered) continue;
        sub->delivered = change->offset;
        gw_view view = gw_view_of(gw, channel->ref.kind, sub->session->user, change);
        ssot_shared_bytes **frame = view == GW_AS_IS ? &as_is : view == GW_MOVED_OUT ? &moved_out : NULL;
        if (!frame) continue;
        if (!*frame) {
            const ssot_row_view *row = view == GW_AS_IS ? &change->row : &change->previous;
            const char *event = view == GW_AS_IS ? ssot_event_name(change->kind) : "deleted";
            *frame = gw_event_frame(gw, channel->name, event, row->json, row->json_len, change->offset, 0, NULL);
            if (!*frame) {
                ssot_logf(SSOT_LOG_ERROR, "out of memory: the %s event of %s is not sent", event, channel->name);
                break;
            }
        }
        gw_send_event(sub->session, *frame);
    }
    if (as_is) ssot_shared_bytes_unref(as_is);
    if (moved_out) ssot_shared_bytes_unref(moved_out);
}

void gw_publish_change(ssot_fanout *fanout, const ssot_change *change) {
    ssot_gateway *gw = (ssot_gateway *)fanout;
    const ssot_model *model = change->model;
    switch (change->kind) {
    case SSOT_EVENT_CREATED: gw->counts.created++; break;
    case SSOT_EVENT_UPDATED: gw->counts.updated++; break;
    case SSOT_EVENT_DELETED: gw->counts.deleted++; break;
    }
    if (!model->has_realtime || !broadcasts(model, change->kind)) return;
    gw_channel *list = gw->nchannels ? gw_channel_find(gw, gw->list_names[model->index],
                                                       strlen(gw->list_names[model->index]))
                                     : NULL;
    if (list) deliver_change(gw, list, change);
    if (!change->row.id || !gw->nchannels) return;
    char item[SSOT_CHANNEL_NAME_MAX + 1];
    int n = snprintf(item, sizeof item, "%s:item:%s", model->name, change->row.id);
    gw_channel *channel = n > 0 && (size_t)n < sizeof item ? gw_channel_find(gw, item, (size_t)n) : NULL;
    if (channel) deliver_change(gw, channel, change);
}

/* --- custom events and presence ------------------------------------------------------------------ */

void gw_publish_custom(ssot_fanout *fanout, const char *name, const char *event, const char *data, size_t n,
                       const char *from) {
    ssot_gateway *gw = (ssot_gateway *)fanout;
    gw->counts.custom++;
    gw_channel *channel = gw_channel_find(gw, name, strlen(name));
    if (!channel || !channel->nsubs) return;
    ssot_shared_bytes *frame = gw_event_frame(gw, channel->name, event, data, n, -1, 1, from);
    if (!frame) return;
    for (size_t i = 0; i < channel->nsubs; i++) gw_send_event(channel->subs[i]->session, frame);
    ssot_shared_bytes_unref(frame);
}

void gw_presence_event(ssot_gateway *gw, gw_channel *channel, const char *event, const char *user_id,
                       const gw_session *except) {
    char data[SSOT_USER_ID_MAX * 2 + 16];
    ssot_buf body;
    ssot_buf_init(&body);
    ssot_buf_puts(&body, "{\"userId\":");
    ssot_buf_put_json_string(&body, user_id, strlen(user_id));
    ssot_buf_putc(&body, '}');
    size_t len = body.len < sizeof data ? body.len : 0;
    if (len) memcpy(data, body.data, len);
    ssot_buf_free(&body);
    if (!len) return;
    ssot_shared_bytes *frame = gw_event_frame(gw, channel->name, event, data, len, -1, 0, NULL);
    if (!frame) return;
    for (size_t i = 0; i < channel->nsubs; i++)
        if (channel->subs[i]->session != except) gw_send_event(channel->subs[i]->session, frame);
    ssot_shared_bytes_unref(frame);
}

/* --- subscribing to a model channel, with recovery ------------------------------------------------ */

typedef struct replay {
    ssot_gateway *gw;
    gw_session *session;
    const ssot_channel_ref *ref;
    const char *channel;
    ssot_buf frames; /* the replayed events' messages, each followed by its length */
    size_t count;
} replay;

/* Called by the store for each event since the position, oldest first. */
static int replay_visit(void *ctx, const ssot_change *change) {
    replay *r = ctx;
    if (r->ref->kind == SSOT_CHANNEL_ITEM &&
        (!change->row.id || strlen(change->row.id) != r->ref->item_id_len ||
         memcmp(change->row.id, r->ref->item_id, r->ref->item_id_len) != 0))
        return 0;
    if (!broadcasts(change->model, change->kind)) return 0;
    r->gw->stamp++;
    gw_view view = gw_view_of(r->gw, r->ref->kind, r->session->user, change);
    if (view == GW_HIDDEN) return 0;
    const ssot_row_view *row = view == GW_AS_IS ? &change->row : &change->previous;
    size_t len = 0, at = r->frames.len;
    ssot_buf_append(&r->frames, &len, sizeof len); /* its length goes here */
    encode_event(&r->frames, r->channel, view == GW_AS_IS ? ssot_event_name(change->kind) : "deleted", row->json,
                 row->json_len, change->offset, 0, NULL);
    if (r->frames.failed) return 1;
    len = r->frames.len - at - sizeof len;
    memcpy(r->frames.data + at, &len, sizeof len);
    r->count++;
    return 0;
}

static void answer_subscribed(gw_session *session, const ssot_client_message *msg, const ssot_stream_position *pos,
                              int recovered, size_t replayed) {
    ssot_buf *out = &session->gateway->out;
    ssot_buf_reset(out);
    ssot_buf_puts(out, "{\"type\":\"subscribed\"");
    if (msg->id[0]) ssot_buf_printf(out, ",\"id\":%s", msg->id);
    ssot_buf_puts(out, ",\"channel\":");
    ssot_buf_put_json_string(out, msg->channel, msg->channel_len);
    ssot_buf_puts(out, ",\"epoch\":");
    ssot_buf_put_json_string(out, pos->epoch, strlen(pos->epoch));
    ssot_buf_printf(out, ",\"offset\":%lld,\"recovered\":%s,\"replayed\":%zu}", (long long)pos->offset,
                    recovered ? "true" : "false", replayed);
    if (!out->failed) gw_send(session, out->data, out->len);
}

/* Answers a store failure while subscribing. */
static void store_failed(gw_session *session, const ssot_client_message *msg, const ssot_store_error *err) {
    ssot_error_kind kind = err->status == SSOT_STORE_BUSY || err->status == SSOT_STORE_UNAVAILABLE ? SSOT_E_UNAVAILABLE
                                                                                                   : SSOT_E_INTERNAL;
    ssot_logf(SSOT_LOG_ERROR, "subscribing to %.*s: %s", (int)msg->channel_len, msg->channel, err->message);
    gw_send_error(session, msg->id, kind, "the subscription could not read the change stream: %s",
                  kind == SSOT_E_UNAVAILABLE ? "the database is busy, retry" : "see the server log");
}

void gw_subscribe_model(gw_session *session, const ssot_client_message *msg, const ssot_channel_ref *ref) {
    ssot_gateway *gw = session->gateway;
    /* commit what is pending first: its events go out now, before this subscription starts */
    if (gw->options.commit) gw->options.commit(gw->options.service);
    char channel[SSOT_CHANNEL_NAME_MAX + 1];
    snprintf(channel, sizeof channel, "%.*s", (int)msg->channel_len, msg->channel);
    replay r = {.gw = gw, .session = session, .ref = ref, .channel = channel};
    ssot_buf_init(&r.frames);
    ssot_stream_position now;
    ssot_store_error err;
    int recovered = 0;
    ssot_store_status status = SSOT_STORE_CANNOT_RECOVER;
    if (msg->has_since)
        status = ssot_store_events_since(gw->options.store, ref->model, &msg->since, replay_visit, &r, &now, &err);
    if (status == SSOT_STORE_OK) {
        recovered = 1;
    } else {
        ssot_buf_reset(&r.frames);
        r.count = 0;
        if (status != SSOT_STORE_CANNOT_RECOVER ||
            ssot_store_position(gw->options.store, ref->model, &now, &err) != SSOT_STORE_OK) {
            store_failed(session, msg, &err);
            ssot_buf_free(&r.frames);
            return;
        }
    }
    gw_sub *sub = gw_session_sub(session, msg->channel, msg->channel_len);
    if (!sub) sub = gw_subscribe(gw, session, msg->channel, msg->channel_len, ref);
    if (!sub) {
        ssot_buf_free(&r.frames);
        gw_send_error(session, msg->id, SSOT_E_INTERNAL, "out of memory for the subscription");
        return;
    }
    if (now.offset > sub->delivered) sub->delivered = now.offset;
    answer_subscribed(session, msg, &now, recovered, r.count);
    /* the replayed messages, each stored as its length followed by its text */
    for (size_t at = 0, len; at < r.frames.len; at += sizeof len + len) {
        memcpy(&len, r.frames.data + at, sizeof len);
        ssot_shared_bytes *frame = ssot_ws_text_frame(r.frames.data + at + sizeof len, len);
        if (!frame) break;
        gw_send_event(session, frame);
        ssot_shared_bytes_unref(frame);
    }
    ssot_buf_free(&r.frames);
}
