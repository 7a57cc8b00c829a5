/* Request bodies: parsing the JSON of POST/PATCH/PUT and checking it against a model —
 * types, required fields, enum values, max length, unknown and server-filled fields — into
 * the per-field errors of docs/rest.md. Uses jansson, model.h, value.h, buf.h. */
#ifndef SSOT_RUNTIME_BODY_H
#define SSOT_RUNTIME_BODY_H

#include "runtime/base/buf.h"
#include "runtime/model/model.h"

#include <jansson.h>
#include <stddef.h>

typedef enum ssot_body_mode {
    SSOT_BODY_CREATE,  /* POST: required fields must be present; server-filled ones (id, auto
                        * datetimes, the owner field) must not */
    SSOT_BODY_PATCH,   /* PATCH: any subset of the writable fields */
    SSOT_BODY_REPLACE  /* PUT: like create, but the owner field may be given (absent: kept) */
} ssot_body_mode;

#define SSOT_BODY_MAX_ERRORS 32

typedef struct ssot_body_error {
    char field[64];    /* the field name as sent (truncated when absurdly long) */
    char message[160]; /* "is required", "must be one of: text, image, system", ... */
} ssot_body_error;

typedef struct ssot_body_errors {
    size_t count; /* errors recorded in items (at most SSOT_BODY_MAX_ERRORS) */
    size_t total; /* errors found (may exceed count) */
    ssot_body_error items[SSOT_BODY_MAX_ERRORS];
} ssot_body_errors;

/* What jansson found wrong in JSON, in words for the client: error->text, except where that
 * names a jansson flag (a NUL character in a string). */
const char *ssot_json_error_text(const json_error_t *error);

/* Parses a body. Returns the JSON object (the caller json_decref()s it), or NULL with a
 * message for a 400 invalid_json: "invalid JSON at line 1, column 9: ..." or "the body must
 * be a JSON object, got array". Duplicate keys are rejected. */
json_t *ssot_body_parse(const char *data, size_t n, char *message, size_t message_size);

/* Checks body (an object) against the model for mode, normalizing datetimes in place.
 * Returns the number of invalid fields (0: the body fits); errs lists them in the model's
 * field order, unknown fields last. errs is reset first. */
size_t ssot_body_check(const ssot_model *model, json_t *body, ssot_body_mode mode, ssot_body_errors *errs);

/* The message of a validation_failed error: "1 field is invalid", "3 fields are invalid". */
void ssot_body_errors_summary(const ssot_body_errors *errs, char *out, size_t size);

/* Appends the fields member of a validation_failed error to out: {"text":"is required",...}. */
void ssot_body_errors_fields_json(const ssot_body_errors *errs, ssot_buf *out);

/* The errors as one line for a log or a Lua error: "text is required; kind must be one of: a,
 * b" (and "(and 2 more)" past what errs kept). Truncated to size. */
void ssot_body_errors_text(const ssot_body_errors *errs, char *out, size_t size);

/* Appends the error object of a 400 validation_failed response to out:
 * {"code":"validation_failed","message":"2 fields are invalid","fields":{"text":"is required",...}}
 * (the caller wraps it as {"error": ...} and may add requestId). */
void ssot_body_errors_json(const ssot_body_errors *errs, ssot_buf *out);

#endif
