/* Channel names (docs/protocol.md "Channels"): what a name means in an app — a model's list or
 * one row's item channel, or a custom channel matching a configured pattern, with its
 * parameters — or why it means nothing; and the check of a published event's data against
 * the fields its payload declares. Pure functions over the app, shared by the gateway and
 * ssot.publish; fuzzed with the gateway's messages. Uses model.h, value.h, body.h, jansson. */
#ifndef SSOT_RUNTIME_CHANNEL_H
#define SSOT_RUNTIME_CHANNEL_H

#include "runtime/model/body.h"
#include "runtime/model/model.h"

#include <jansson.h>
#include <stddef.h>

typedef enum ssot_channel_kind { SSOT_CHANNEL_LIST, SSOT_CHANNEL_ITEM, SSOT_CHANNEL_CUSTOM } ssot_channel_kind;

#define SSOT_CHANNEL_MAX_PARAMS 8

typedef struct ssot_channel_ref {
    ssot_channel_kind kind;
    const ssot_model *model;       /* list and item channels */
    const char *item_id;           /* item: the row id, pointing into the name */
    size_t item_id_len;
    const ssot_channel_def *def;   /* custom channels */
    struct {
        const char *at; /* pointing into the name */
        size_t len;
    } params[SSOT_CHANNEL_MAX_PARAMS]; /* custom: the parameters' values, in def->params order */
    size_t nparams;
} ssot_channel_ref;

/* Resolves name[0..len) in app. Returns 0 with ref filled, or -1 with a sentence in why
 * saying what is wrong and what would be right ("Room offers only Room:list", "no channel
 * pattern matches 'x'; the custom channels are chat:room:{roomId}"). A name is canonical:
 * an integer id is written without sign or leading zeros, a UUID in lowercase. */
int ssot_channel_resolve(const ssot_app *app, const char *name, size_t len, ssot_channel_ref *ref, char *why,
                         size_t why_size);

/* A custom channel's parameters as a JSON object {"roomId":"3"} (for its rules), or NULL
 * when memory runs out. */
json_t *ssot_channel_params(const ssot_channel_ref *ref);

/* Whether event is one of def's events. */
int ssot_channel_has_event(const ssot_channel_def *def, const char *event);

/* The fields the data of def's event must have (a model named "the payload of <event>"), or
 * NULL when the event takes any JSON or is not one of def's. */
const ssot_model *ssot_channel_payload(const ssot_channel_def *def, const char *event);

/* Checks data published with a payload's event (NULL: none was given) against its fields, as
 * a REST create body: required unless optional, no unknown keys, types, max and enum values.
 * Absent or null data is checked as {}, so the required fields are reported. Datetimes are
 * checked but not rewritten: the data goes out as it was sent. Returns 0 when it fits, the
 * number of invalid fields (listed in errs) when it does not, -1 when data is not an object
 * (errs empty; ssot_channel_payload_shape says what it should be), -2 when memory runs out. */
int ssot_channel_check_payload(const ssot_model *payload, const json_t *data, ssot_body_errors *errs);

/* Why data is not a payload of event on channel (when the check returned -1): "the data of
 * typing on chat:room:3 must be a JSON object with its fields (name, at), got an array". */
void ssot_channel_payload_shape(const ssot_model *payload, const char *event, const char *channel,
                                const json_t *data, char *out, size_t size);

#endif
