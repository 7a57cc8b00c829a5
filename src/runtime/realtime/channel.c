/* Resolving channel names (channel.h): "Model:list", "Model:item:<id>", and custom channels
 * against the patterns of websockets.pubsub.channels, the most specific pattern winning; and
 * checking published data against an event's payload fields. Uses value.h for canonical ids,
 * body.h for the payload check. */
#include "runtime/realtime/channel.h"

#include "runtime/model/value.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t size, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(why, size, fmt, args);
    va_end(args);
    return -1;
}

/* A parameter's value: one or more of these characters (never ':', which separates). */
static int param_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '~' || c == '@' || c == '+' || c == '=';
}

/* Matches name against pattern; fills ref's parameters. Returns the number of literal
 * characters the pattern has (its specificity), or -1 when it does not match. */
static int match_pattern(const ssot_channel_def *def, const char *name, size_t len, ssot_channel_ref *ref) {
    const char *p = def->pattern, *s = name, *end = name + len;
    int literal = 0;
    size_t nparams = 0;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || nparams == SSOT_CHANNEL_MAX_PARAMS) return -1;
            const char *start = s;
            while (s < end && param_char(*s)) s++;
            if (s == start) return -1;
            ref->params[nparams].at = start;
            ref->params[nparams].len = (size_t)(s - start);
            nparams++;
            p = close + 1;
        } else {
            if (s == end || *s != *p) return -1;
            s++;
            p++;
            literal++;
        }
    }
    if (s != end) return -1;
    ref->nparams = nparams;
    return literal;
}

/* Whether id[0..n) is a canonical id of model (as events name rows). */
static int canonical_id(const ssot_model *model, const char *id, size_t n) {
    if (model->primary_key->id_kind == SSOT_ID_UUID) {
        char normal[37];
        return ssot_uuid_normalize(id, n, normal) == 0 && memcmp(normal, id, n) == 0;
    }
    int64_t value; /* the store numbers rows from 1: "-5" names none, and is refused like "+5" */
    return n > 0 && id[0] != '-' && ssot_int64_parse(id, n, &value);
}

static int resolve_model(const ssot_model *model, const char *rest, size_t rest_len, ssot_channel_ref *ref,
                         char *why, size_t size) {
    if (!model->has_realtime)
        return fail(why, size, "%s is not offered for subscription: add it to websockets.pubsub.models", model->name);
    const ssot_model_realtime *rt = &model->realtime;
    ref->model = model;
    if (rest_len == 4 && memcmp(rest, "list", 4) == 0) {
        if (!rt->subscribe_list) return fail(why, size, "%s offers only %s:item:<id>", model->name, model->name);
        ref->kind = SSOT_CHANNEL_LIST;
        return 0;
    }
    if (rest_len > 5 && memcmp(rest, "item:", 5) == 0) {
        if (!rt->subscribe_item) return fail(why, size, "%s offers only %s:list", model->name, model->name);
        const char *id = rest + 5;
        size_t n = rest_len - 5;
        if (!canonical_id(model, id, n))
            return fail(why, size, "'%.*s' is not a %s id as the server writes it (%s)", (int)(n > 40 ? 40 : n), id,
                        model->name,
                        model->primary_key->id_kind == SSOT_ID_UUID ? "a UUID in lowercase"
                                                                    : "an integer without sign or leading zeros");
        ref->kind = SSOT_CHANNEL_ITEM;
        ref->item_id = id;
        ref->item_id_len = n;
        return 0;
    }
    return fail(why, size, "a channel of %s is %s:list or %s:item:<id>", model->name, model->name, model->name);
}

int ssot_channel_resolve(const ssot_app *app, const char *name, size_t len, ssot_channel_ref *ref, char *why,
                         size_t why_size) {
    memset(ref, 0, sizeof *ref);
    const char *colon = memchr(name, ':', len);
    size_t head = colon ? (size_t)(colon - name) : len;
    for (size_t i = 0; i < app->nmodels; i++) {
        const ssot_model *model = &app->models[i];
        if (strlen(model->name) == head && memcmp(model->name, name, head) == 0)
            return resolve_model(model, colon ? colon + 1 : name + len, colon ? len - head - 1 : 0, ref, why,
                                 why_size);
    }
    const ssot_websockets_config *ws = &app->websockets;
    int best = -1;
    ssot_channel_ref candidate;
    for (size_t i = 0; i < ws->nchannels; i++) {
        memset(&candidate, 0, sizeof candidate);
        int specificity = match_pattern(&ws->channels[i], name, len, &candidate);
        if (specificity > best) {
            best = specificity;
            *ref = candidate;
            ref->kind = SSOT_CHANNEL_CUSTOM;
            ref->def = &ws->channels[i];
        }
    }
    if (best >= 0) return 0;
    char patterns[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < ws->nchannels && used < sizeof patterns; i++)
        used += (size_t)snprintf(patterns + used, sizeof patterns - used, "%s%s", i ? ", " : "", ws->channels[i].pattern);
    return fail(why, why_size,
                "no channel is named '%.*s': channels are <Model>:list, <Model>:item:<id> for the models in "
                "websockets.pubsub.models%s%s (a parameter is letters, digits and _-.~@+=)",
                (int)(len > 80 ? 80 : len), name, ws->nchannels ? ", and the custom channels " : "", patterns);
}

json_t *ssot_channel_params(const ssot_channel_ref *ref) {
    json_t *params = json_object();
    for (size_t i = 0; params && ref->def && i < ref->nparams && i < ref->def->nparams; i++) {
        json_t *value = json_stringn(ref->params[i].at, ref->params[i].len);
        if (!value || json_object_set_new(params, ref->def->params[i], value)) {
            json_decref(params);
            return NULL;
        }
    }
    return params;
}

int ssot_channel_has_event(const ssot_channel_def *def, const char *event) {
    for (size_t i = 0; i < def->nevents; i++)
        if (strcmp(def->events[i], event) == 0) return 1;
    return 0;
}

const ssot_model *ssot_channel_payload(const ssot_channel_def *def, const char *event) {
    if (!def->payloads) return NULL;
    for (size_t i = 0; i < def->nevents; i++)
        if (strcmp(def->events[i], event) == 0) return def->payloads[i];
    return NULL;
}

int ssot_channel_check_payload(const ssot_model *payload, const json_t *data, ssot_body_errors *errs) {
    errs->count = errs->total = 0;
    if (data && !json_is_null(data) && !json_is_object(data)) return -1;
    /* The body check rewrites datetimes in place (and nothing else, as payloads have no ids):
     * check a copy when there is one, so subscribers get what the publisher sent. */
    int rewrites = 0;
    for (size_t i = 0; i < payload->nfields; i++)
        if (payload->fields[i].type == SSOT_TYPE_DATETIME) rewrites = 1;
    json_t *body;
    if (!data || json_is_null(data))
        body = json_object();
    else if (rewrites)
        body = json_deep_copy(data);
    else
        body = json_incref((json_t *)data); /* only read: see above */
    if (!body) return -2;
    size_t invalid = ssot_body_check(payload, body, SSOT_BODY_CREATE, errs);
    json_decref(body);
    return invalid > (size_t)INT_MAX ? INT_MAX : (int)invalid;
}

void ssot_channel_payload_shape(const ssot_model *payload, const char *event, const char *channel,
                                const json_t *data, char *out, size_t size) {
    static const char *const kinds[] = {"an object", "an array", "a string", "an integer",
                                        "a number",  "true",     "false",    "null"};
    json_type type = data ? json_typeof(data) : JSON_NULL;
    char fields[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < payload->nfields && used < sizeof fields; i++)
        used += (size_t)snprintf(fields + used, sizeof fields - used, "%s%s", i ? ", " : "", payload->fields[i].name);
    snprintf(out, size, "the data of %s on %s must be a JSON object with %s%s%s, got %s", event, channel,
             payload->nfields ? "its fields (" : "no fields ({})", fields, payload->nfields ? ")" : "",
             (unsigned)type < sizeof kinds / sizeof kinds[0] ? kinds[type] : "something else");
}
