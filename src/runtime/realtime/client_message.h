/* The messages a WebSocket client sends the gateway (docs/protocol.md "Messages"), parsed and
 * checked from the frame's text: a pure function, fuzzed (tests/fuzz/fuzz_ws.c). Every way a
 * message can be wrong gets a sentence naming the member and what it should be. Uses jansson,
 * model.h (the actions) and store.h (stream positions). */
#ifndef SSOT_RUNTIME_CLIENT_MESSAGE_H
#define SSOT_RUNTIME_CLIENT_MESSAGE_H

#include "runtime/model/model.h"
#include "runtime/store/store.h"

#include <jansson.h>
#include <stddef.h>

/* The message types, in the order of docs/protocol.md's table. */
typedef enum ssot_client_message_type {
    SSOT_MSG_AUTH,
    SSOT_MSG_SUBSCRIBE,
    SSOT_MSG_UNSUBSCRIBE,
    SSOT_MSG_PUBLISH,
    SSOT_MSG_REQUEST,
    SSOT_MSG_PRESENCE,
    SSOT_MSG_PING,
    SSOT_MSG_TYPE_COUNT
} ssot_client_message_type;

/* "auth", "subscribe", ... */
const char *ssot_client_message_type_name(ssot_client_message_type type);

/* A message id is a string of at most this many characters, or an integer. */
#define SSOT_MESSAGE_ID_MAX 64
/* A channel name is at most this many bytes. */
#define SSOT_CHANNEL_NAME_MAX 200

typedef struct ssot_client_message {
    json_t *root;                  /* the parsed frame; everything below points into it */
    ssot_client_message_type type;
    char id[2 * SSOT_MESSAGE_ID_MAX + 4]; /* the id as JSON text, to echo; "" when absent */
    const char *channel;           /* subscribe, unsubscribe, publish, presence */
    size_t channel_len;
    int has_since;                 /* subscribe: since was given */
    ssot_stream_position since;
    const char *event;             /* publish */
    json_t *data;                  /* publish: the payload (JSON null when absent) */
    const char *token;             /* auth */
    size_t token_len;
    const char *model;             /* request: the model's name */
    ssot_action action;            /* request */
    json_t *params;                /* request: an object (empty when absent) */
} ssot_client_message;

/* Parses text[0..len) into msg. Returns 0, or -1 with a sentence in problem (then msg->id is
 * still set when the id could be read, so the error can answer it). Call
 * ssot_client_message_free either way. */
int ssot_client_message_parse(const char *text, size_t len, ssot_client_message *msg, char *problem,
                              size_t problem_size);

void ssot_client_message_free(ssot_client_message *msg);

#endif
