/* Request bodies (body.h): parsing the JSON and checking it against a model into per-field
 * errors (docs/rest.md "Bodies"). Uses jansson, value.h, buf.h. */
#include "runtime/model/body.h"

#include "runtime/model/value.h"

#include <stdio.h>
#include <string.h>

const char *ssot_json_error_text(const json_error_t *error) {
    if (json_error_code(error) == json_error_null_character)
        return "a string holds a NUL character (\\u0000), which is not accepted";
    return error->text;
}

json_t *ssot_body_parse(const char *data, size_t n, char *message, size_t message_size) {
    json_error_t error;
    json_t *body = json_loadb(data, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!body) {
        if (n == 0)
            snprintf(message, message_size, "the body is empty: send a JSON object");
        else
            snprintf(message, message_size, "invalid JSON at line %d, column %d: %s", error.line, error.column,
                     ssot_json_error_text(&error));
        return NULL;
    }
    if (!json_is_object(body)) {
        static const char *const kinds[] = {"object", "array", "string", "integer", "real", "true", "false", "null"};
        json_type type = json_typeof(body);
        snprintf(message, message_size, "the body must be a JSON object, got %s",
                 (unsigned)type < sizeof kinds / sizeof kinds[0] ? kinds[type] : "something else");
        json_decref(body);
        return NULL;
    }
    return body;
}

static void add_error(ssot_body_errors *errs, const char *field, const char *message) {
    errs->total++;
    if (errs->count >= SSOT_BODY_MAX_ERRORS) return;
    ssot_body_error *e = &errs->items[errs->count++];
    size_t n = strlen(field);
    if (n >= sizeof e->field) { /* cut an absurd name at a character boundary */
        n = sizeof e->field - 1;
        while (n > 0 && ((unsigned char)field[n] & 0xC0) == 0x80) n--;
    }
    memcpy(e->field, field, n);
    e->field[n] = '\0';
    snprintf(e->message, sizeof e->message, "%s", message);
}

/* Whether a field is required in a body for mode: present, not null. */
static int required_in(const ssot_field *f, ssot_body_mode mode) {
    if (mode == SSOT_BODY_PATCH || f->optional || f->default_value || f->server_filled) return 0;
    return 1;
}

/* Whether the client may send the field at all in mode; NULL when it may, else why not. */
static const char *refused_in(const ssot_field *f, ssot_body_mode mode) {
    if (mode == SSOT_BODY_CREATE && f->server_filled) return "is set by the server";
    if (mode != SSOT_BODY_CREATE && f->read_only) return "is set by the server";
    return NULL;
}

size_t ssot_body_check(const ssot_model *model, json_t *body, ssot_body_mode mode, ssot_body_errors *errs) {
    errs->count = errs->total = 0;
    char msg[160];
    size_t known = 0; /* the body's keys that name fields */
    for (size_t i = 0; i < model->nfields; i++) {
        const ssot_field *f = &model->fields[i];
        json_t *value = json_object_get(body, f->name);
        if (!value) {
            if (required_in(f, mode)) add_error(errs, f->name, "is required");
            continue;
        }
        known++;
        const char *problem = refused_in(f, mode);
        if (!problem && json_is_null(value)) {
            /* null clears an optional field; a required one (even with a default) needs a value */
            if (!f->optional) problem = required_in(f, mode) ? "is required" : "must not be null";
        } else if (!problem) {
            problem = ssot_value_check(f, value, 1, msg, sizeof msg);
        }
        if (problem) add_error(errs, f->name, problem);
    }
    if (json_object_size(body) == known) return errs->total; /* the usual case: no unknown keys */
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value) {
        if (!ssot_model_field(model, key, strlen(key))) {
            snprintf(msg, sizeof msg, "is not a field of %s", model->name);
            add_error(errs, key, msg);
        }
    }
    return errs->total;
}

void ssot_body_errors_summary(const ssot_body_errors *errs, char *out, size_t size) {
    if (errs->total == 1)
        snprintf(out, size, "1 field is invalid");
    else
        snprintf(out, size, "%zu fields are invalid", errs->total);
}

void ssot_body_errors_fields_json(const ssot_body_errors *errs, ssot_buf *out) {
    ssot_buf_putc(out, '{');
    for (size_t i = 0; i < errs->count; i++) {
        if (i) ssot_buf_putc(out, ',');
        ssot_buf_put_json_string(out, errs->items[i].field, strlen(errs->items[i].field));
        ssot_buf_putc(out, ':');
        ssot_buf_put_json_string(out, errs->items[i].message, strlen(errs->items[i].message));
    }
    ssot_buf_putc(out, '}');
}

void ssot_body_errors_text(const ssot_body_errors *errs, char *out, size_t size) {
    if (size == 0) return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < errs->count && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s %s", i ? "; " : "", errs->items[i].field,
                                 errs->items[i].message);
    if (errs->total > errs->count && used < size)
        snprintf(out + used, size - used, " (and %zu more)", errs->total - errs->count);
}

void ssot_body_errors_json(const ssot_body_errors *errs, ssot_buf *out) {
    const char *code = ssot_error_facts[SSOT_E_VALIDATION_FAILED].code;
    ssot_buf_puts(out, "{\"code\":");
    ssot_buf_put_json_string(out, code, strlen(code));
    ssot_buf_puts(out, ",\"message\":");
    char message[64];
    ssot_body_errors_summary(errs, message, sizeof message);
    ssot_buf_put_json_string(out, message, strlen(message));
    ssot_buf_puts(out, ",\"fields\":");
    ssot_body_errors_fields_json(errs, out);
    ssot_buf_putc(out, '}');
}
