/* Checking one JSON value against a field's type, shared by body validation (body.c) and
 * list-query parsing (query.c) and the store's ids: type, enum membership, max length,
 * datetime and UUID normalization.
 * Uses jansson and model.h. */
#ifndef SSOT_RUNTIME_VALUE_H
#define SSOT_RUNTIME_VALUE_H

#include "runtime/model/model.h"

#include <jansson.h>
#include <stddef.h>

/* Checks a non-null value for field: JSON type, enum membership, string max length (in
 * characters), datetime syntax. A valid datetime is rewritten in place to the canonical
 * form YYYY-MM-DDTHH:MM:SS.mmmZ (UTC), a UUID id to lowercase. Returns NULL when the value
 * fits, else a message for the client ("must be an integer", "must be one of: a, b", ...)
 * written into msg (msg_size bytes) or a static string. check_max 0 skips the max-length
 * check (where filters compare against any string). */
const char *ssot_value_check(const ssot_field *field, json_t *value, int check_max, char *msg, size_t msg_size);

/* Parses an ISO 8601 date-time (YYYY-MM-DD, optionally THH:MM[:SS[.fraction]] with Z or
 * +HH:MM / -HH:MM; no zone means UTC) and writes the canonical UTC form (24 chars + NUL)
 * into out. Returns 0, or -1 when s is not such a date-time. */
int ssot_datetime_normalize(const char *s, size_t n, char out[25]);

/* Checks a UUID (8-4-4-4-12 hex digits, either case; n bytes) and writes it in lowercase,
 * the form ids are stored in, into out (36 chars + NUL). Returns 0, or -1 when s is not one. */
int ssot_uuid_normalize(const char *s, size_t n, char out[37]);

/* A random (version 4) UUID in lowercase: a new row's id. Returns 0, or -1 without random
 * bytes (OpenSSL's RAND_bytes failed). */
int ssot_uuid_random(char out[37]);

/* Parses s[0..n) as a canonical decimal int64 — "0", "42", "-7": no sign +, no leading zeros,
 * no spaces, no "-0", within 64 bits — the only text an integer id or owner is written as.
 * Returns 1 and sets *out, or 0. */
int ssot_int64_parse(const char *s, size_t n, int64_t *out);

/* The current time in the canonical form (24 chars + NUL). */
void ssot_datetime_now(char out[25]);


#endif
