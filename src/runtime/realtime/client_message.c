/* Parsing a WebSocket client's message (client_message.h): the JSON object, its type, its id
 * and the members each type needs, each checked for its type and size. Uses jansson. */
#include "runtime/realtime/client_message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const TYPE_NAMES[SSOT_MSG_TYPE_COUNT] = {
    [SSOT_MSG_AUTH] = "auth",         [SSOT_MSG_SUBSCRIBE] = "subscribe", [SSOT_MSG_UNSUBSCRIBE] = "unsubscribe",
    [SSOT_MSG_PUBLISH] = "publish",   [SSOT_MSG_REQUEST] = "request",     [SSOT_MSG_PRESENCE] = "presence",
    [SSOT_MSG_PING] = "ping",
};

const char *ssot_client_message_type_name(ssot_client_message_type type) {
    return type < SSOT_MSG_TYPE_COUNT ? TYPE_NAMES[type] : "?";
}

static int fail(char *problem, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *problem, size_t size, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem, size, fmt, args);
    va_end(args);
    return -1;
}

/* A JSON type's name for messages. */
static const char *kind_of(const json_t *value) {
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* The id, kept as JSON text to echo: a short string or an integer. */
static int read_id(const json_t *id, ssot_client_message *msg, char *problem, size_t size) {
    if (!id) return 0;
    if (json_is_integer(id)) {
        snprintf(msg->id, sizeof msg->id, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        return 0;
    }
    if (!json_is_string(id) || json_string_length(id) > SSOT_MESSAGE_ID_MAX)
        return fail(problem, size, "\"id\" must be a string of at most %d characters or an integer, not %s",
                    SSOT_MESSAGE_ID_MAX, json_is_string(id) ? "a longer string" : kind_of(id));
    /* printable ASCII only, so echoing it needs no escaping beyond quotes and backslashes */
    const char *s = json_string_value(id);
    char *out = msg->id;
    *out++ = '"';
    for (size_t i = 0; i < json_string_length(id); i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) {
            msg->id[0] = '\0';
            return fail(problem, size, "\"id\" must be printable ASCII (character %zu is not)", i + 1);
        }
        if (c == '"' || c == '\\') *out++ = '\\';
        *out++ = (char)c;
    }
    *out++ = '"';
    *out = '\0';
    return 0;
}

/* member of msg->root as a non-empty string of at most max bytes, or -1 with a problem. */
static int read_string(const json_t *root, const char *member, size_t max, const char **out, size_t *len,
                       const char *example, char *problem, size_t size) {
    const json_t *value = json_object_get(root, member);
    if (!value) return fail(problem, size, "\"%s\" is missing: %s", member, example);
    if (!json_is_string(value))
        return fail(problem, size, "\"%s\" must be a string, not %s: %s", member, kind_of(value), example);
    size_t n = json_string_length(value);
    if (n == 0 || n > max)
        return fail(problem, size, "\"%s\" must be 1 to %zu bytes long (it is %zu)", member, max, n);
    if (strlen(json_string_value(value)) != n)
        return fail(problem, size, "\"%s\" must not contain the character U+0000", member);
    *out = json_string_value(value);
    if (len) *len = n;
    return 0;
}

static int read_since(const json_t *since, ssot_client_message *msg, char *problem, size_t size) {
    static const char example[] = "since is the {\"epoch\": \"...\", \"offset\": n} of the last event seen";
    if (!since || json_is_null(since)) return 0;
    if (!json_is_object(since)) return fail(problem, size, "\"since\" must be an object, not %s: %s", kind_of(since), example);
    const json_t *epoch = json_object_get(since, "epoch"), *offset = json_object_get(since, "offset");
    if (!json_is_string(epoch) || json_string_length(epoch) >= SSOT_EPOCH_SIZE)
        return fail(problem, size, "\"since.epoch\" must be the stream's epoch string: %s", example);
    if (!json_is_integer(offset) || json_integer_value(offset) < 0)
        return fail(problem, size, "\"since.offset\" must be an integer of at least 0: %s", example);
    msg->has_since = 1;
    snprintf(msg->since.epoch, sizeof msg->since.epoch, "%s", json_string_value(epoch));
    msg->since.offset = json_integer_value(offset);
    return 0;
}

static int read_channel(ssot_client_message *msg, char *problem, size_t size) {
    return read_string(msg->root, "channel", SSOT_CHANNEL_NAME_MAX, &msg->channel, &msg->channel_len,
                       "name a channel, e.g. \"Message:list\"", problem, size);
}

static int read_request(ssot_client_message *msg, char *problem, size_t size) {
    const char *action;
    if (read_string(msg->root, "model", 128, &msg->model, NULL, "name a model, e.g. \"Message\"", problem, size) ||
        read_string(msg->root, "action", 16, &action, NULL, "one of list, get, create, update, delete", problem, size))
        return -1;
    msg->action = SSOT_ACTION_COUNT;
    for (int a = 0; a < SSOT_ACTION_COUNT; a++)
        if (strcmp(action, ssot_action_name((ssot_action)a)) == 0) msg->action = (ssot_action)a;
    if (msg->action == SSOT_ACTION_COUNT)
        return fail(problem, size, "\"action\" must be one of list, get, create, update, delete, not \"%.16s\"", action);
    json_t *params = json_object_get(msg->root, "params");
    if (params && !json_is_null(params) && !json_is_object(params))
        return fail(problem, size, "\"params\" must be an object, not %s", kind_of(params));
    msg->params = params && json_is_object(params) ? params : NULL;
    return 0;
}

int ssot_client_message_parse(const char *text, size_t len, ssot_client_message *msg, char *problem,
                              size_t problem_size) {
    memset(msg, 0, sizeof *msg);
    json_error_t error;
    msg->root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &error);
    if (!msg->root)
        return fail(problem, problem_size, "the message is not JSON: %s at line %d, column %d", error.text,
                    error.line, error.column);
    if (!json_is_object(msg->root))
        return fail(problem, problem_size, "a message is a JSON object with a \"type\", not %s", kind_of(msg->root));
    if (read_id(json_object_get(msg->root, "id"), msg, problem, problem_size)) return -1;
    const json_t *type = json_object_get(msg->root, "type");
    if (!json_is_string(type))
        return fail(problem, problem_size,
                    "\"type\" must be one of auth, subscribe, unsubscribe, publish, request, presence, ping");
    msg->type = SSOT_MSG_TYPE_COUNT;
    for (int t = 0; t < SSOT_MSG_TYPE_COUNT; t++)
        if (strcmp(json_string_value(type), TYPE_NAMES[t]) == 0) msg->type = (ssot_client_message_type)t;
    if (msg->type == SSOT_MSG_TYPE_COUNT)
        return fail(problem, problem_size,
                    "unknown message type \"%.40s\": the types are auth, subscribe, unsubscribe, publish, request, "
                    "presence, ping", json_string_value(type));
    switch (msg->type) {
    case SSOT_MSG_AUTH:
        return read_string(msg->root, "token", 8192, &msg->token, &msg->token_len, "send the JWT as \"token\"",
                           problem, problem_size);
    case SSOT_MSG_SUBSCRIBE:
        if (read_channel(msg, problem, problem_size)) return -1;
        return read_since(json_object_get(msg->root, "since"), msg, problem, problem_size);
    case SSOT_MSG_UNSUBSCRIBE:
    case SSOT_MSG_PRESENCE: return read_channel(msg, problem, problem_size);
    case SSOT_MSG_PUBLISH:
        if (read_channel(msg, problem, problem_size) ||
            read_string(msg->root, "event", 64, &msg->event, NULL, "name one of the channel's events", problem,
                        problem_size))
            return -1;
        msg->data = json_object_get(msg->root, "data");
        return 0;
    case SSOT_MSG_REQUEST: return read_request(msg, problem, problem_size);
    default: return 0;
    }
}

void ssot_client_message_free(ssot_client_message *msg) {
    if (msg->root) json_decref(msg->root);
    msg->root = NULL;
}
