/* ssot.publish (publish.h): the C function behind the sandboxes' ssot.publish, which checks the
 * channel and the event against the config, turns data into JSON, checks it against the
 * event's payload fields and queues the event; and the queue's flush, drop and move. Uses
 * lua_bridge.h, channel.c. */
#include "runtime/realtime/publish.h"

#include "runtime/lua/lua_bridge.h"
#include "runtime/realtime/channel.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *copy_text(const char *s, size_t n) {
    char *copy = malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

static void publication_free(ssot_publication *p) {
    free(p->channel);
    free(p->event);
    free(p->data);
}

static int push(ssot_publish_queue *queue, ssot_publication p) {
    if (queue->n == queue->cap) {
        size_t cap = queue->cap ? 2 * queue->cap : 4;
        ssot_publication *grown = realloc(queue->items, cap * sizeof *grown);
        if (!grown) return -1;
        queue->items = grown;
        queue->cap = cap;
    }
    queue->items[queue->n++] = p;
    return 0;
}

/* Checks *data (NULL: nil) against the fields declared for event, as the gateway checks a
 * client's publish. An empty Lua table converts to [], so it stands for {} here. Returns 0, or
 * -1 after pushing nil and the message saying what is wrong (*data freed). */
static int check_payload(lua_State *L, const ssot_model *payload, const char *event, const char *channel,
                         json_t **data) {
    if (json_is_array(*data) && json_array_size(*data) == 0) {
        json_decref(*data);
        *data = json_object();
        if (!*data) return luaL_error(L, "ssot.publish: out of memory");
    }
    ssot_body_errors errs;
    int invalid = ssot_channel_check_payload(payload, *data, &errs);
    if (invalid == 0) return 0;
    char why[2048];
    if (invalid == -1) {
        ssot_channel_payload_shape(payload, event, channel, *data, why, sizeof why);
    } else if (invalid == -2) {
        json_decref(*data);
        return luaL_error(L, "ssot.publish: out of memory");
    } else {
        int n = snprintf(why, sizeof why, "the payload of %s on %s is invalid: ", event, channel);
        if (n > 0 && (size_t)n < sizeof why) ssot_body_errors_text(&errs, why + n, sizeof why - (size_t)n);
    }
    json_decref(*data);
    *data = NULL;
    lua_pushnil(L);
    lua_pushfstring(L, "ssot.publish: %s", why);
    return -1;
}

/* publisher(channel, event, data) -> true | nil, message (the Lua side raises it at the
 * caller's line: lua/ssot/sandbox.lua). Upvalues: the app, the current queue's pointer. */
static int publish_from_lua(lua_State *L) {
    const ssot_app *app = lua_touserdata(L, lua_upvalueindex(1));
    ssot_publish_queue **current = lua_touserdata(L, lua_upvalueindex(2));
    size_t channel_len = 0, event_len = 0;
    const char *channel = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &channel_len) : NULL;
    const char *event = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &event_len) : NULL;
    char why[768];
    ssot_channel_ref ref;
    if (!channel || !event) {
        snprintf(why, sizeof why, "ssot.publish(channel, event, data): channel and event are strings, e.g. "
                                  "ssot.publish(\"chat:room:\" .. row.roomId, \"message\", row)");
    } else if (!app->websockets.enabled) {
        snprintf(why, sizeof why, "ssot.publish: WebSockets are off in this config (websockets.enabled), so "
                                  "nobody could receive the event");
    } else if (ssot_channel_resolve(app, channel, channel_len, &ref, why + 14, sizeof why - 14) != 0) {
        memcpy(why, "ssot.publish: ", 14);
    } else if (ref.kind != SSOT_CHANNEL_CUSTOM) {
        snprintf(why, sizeof why, "ssot.publish: %s is a model channel; its events come from the model's writes",
                 channel);
    } else if (!ssot_channel_has_event(ref.def, event)) {
        snprintf(why, sizeof why, "ssot.publish: %s has no event \"%.64s\"; declare it in "
                                  "websockets.pubsub.channels[\"%s\"].events", channel, event, ref.def->pattern);
    } else if (!*current) {
        snprintf(why, sizeof why, "ssot.publish works in hooks and custom routes, while a request is answered");
    } else {
        json_t *data = ssot_lua_to_json(L, 3, "data", why, sizeof why);
        if (!lua_isnoneornil(L, 3) && !data) {
            lua_pushnil(L);
            lua_pushfstring(L, "ssot.publish: %s", why);
            return 2;
        }
        const ssot_model *payload = ssot_channel_payload(ref.def, event);
        if (payload && check_payload(L, payload, event, channel, &data) != 0) return 2;
        char *text = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(data);
        ssot_publication p = {copy_text(channel, channel_len), copy_text(event, event_len), text,
                              text ? strlen(text) : 0};
        if (!p.channel || !p.event || (data && !text) || push(*current, p) != 0) {
            publication_free(&p);
            return luaL_error(L, "ssot.publish: out of memory");
        }
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, why);
    return 2;
}

/* Sets (or with fn_index 0 clears) require("ssot.sandbox").publisher. */
static int set_publisher(lua_State *L, int set, const ssot_app *app, ssot_publish_queue **current) {
    lua_getglobal(L, "require");
    lua_pushstring(L, "ssot.sandbox");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        return -1;
    }
    if (set) {
        lua_pushlightuserdata(L, (void *)app);
        lua_pushlightuserdata(L, current);
        lua_pushcclosure(L, publish_from_lua, 2);
    } else {
        lua_pushnil(L);
    }
    lua_setfield(L, -2, "publisher");
    lua_pop(L, 1);
    return 0;
}

int ssot_publish_install(lua_State *L, const ssot_app *app, ssot_publish_queue **current, char *err,
                         size_t err_size) {
    if (set_publisher(L, 1, app, current) == 0) return 0;
    snprintf(err, err_size, "cannot set up ssot.publish: the Lua module ssot.sandbox did not load");
    return -1;
}

void ssot_publish_uninstall(lua_State *L) { set_publisher(L, 0, NULL, NULL); }

void ssot_publish_flush(ssot_publish_queue *queue, ssot_fanout *fanout) {
    for (size_t i = 0; i < queue->n; i++) {
        ssot_publication *p = &queue->items[i];
        ssot_fanout_publish_custom(fanout, p->channel, p->event, p->data, p->data_len, NULL);
    }
    ssot_publish_drop(queue);
}

void ssot_publish_drop(ssot_publish_queue *queue) {
    for (size_t i = 0; i < queue->n; i++) publication_free(&queue->items[i]);
    free(queue->items);
    queue->items = NULL;
    queue->n = queue->cap = 0;
}

int ssot_publish_move(ssot_publish_queue *dst, ssot_publish_queue *src) {
    int failed = 0;
    for (size_t i = 0; i < src->n; i++) {
        if (!failed && push(dst, src->items[i]) == 0) continue;
        failed = 1;
        publication_free(&src->items[i]);
    }
    free(src->items);
    src->items = NULL;
    src->n = src->cap = 0;
    return failed ? -1 : 0;
}
