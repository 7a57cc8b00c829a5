/* JWT authentication for the runtime: verifies HS256 tokens (Bearer header or ?token=) into a
 * user, with a small cache of verified tokens, and mints tokens for `ssot token`. */
#ifndef SSOT_RUNTIME_AUTH_JWT_H
#define SSOT_RUNTIME_AUTH_JWT_H

#include "runtime/model/user.h"

#include <stddef.h>
#include <time.h>

#define SSOT_JWT_MAX_LENGTH 8192 /* longer tokens are refused without decoding */

/* How the config maps claims (ir.auth). The strings must outlive the verifier. */
typedef struct ssot_jwt_options {
    const char *secret;     /* NULL when the environment variable is unset */
    size_t secret_len;
    const char *id_claim;   /* "sub" */
    const char *role_claim; /* "role" */
    const char *admin_role; /* "admin" */
} ssot_jwt_options;

enum ssot_jwt_status {
    SSOT_JWT_OK = 0,
    SSOT_JWT_NO_SECRET,     /* the server has no secret, so no token can be valid */
    SSOT_JWT_MALFORMED,     /* not three base64url parts with a JSON header and payload */
    SSOT_JWT_ALGORITHM,     /* alg is not HS256 (none, HS512, RS256, ...) */
    SSOT_JWT_SIGNATURE,     /* the signature does not match the secret */
    SSOT_JWT_EXPIRED,       /* exp is in the past */
    SSOT_JWT_NOT_YET_VALID, /* nbf is in the future */
    SSOT_JWT_NO_SUBJECT     /* the id claim is missing or not a string/integer */
};

typedef struct ssot_auth ssot_auth;

/* A verifier for options (copied, except the claim names). NULL when memory runs out. One per
 * service thread: the cache is not locked. */
ssot_auth *ssot_auth_new(const ssot_jwt_options *options);
void ssot_auth_free(ssot_auth *auth);

/* Verifies token[0..len) at time now. On SSOT_JWT_OK fills *user; otherwise writes a
 * sentence for the client ("token expired at 2026-11-25T19:23:46Z") into message. */
int ssot_auth_verify(ssot_auth *auth, const char *token, size_t len, time_t now, ssot_user *user,
                     char *message, size_t message_size);

/* The token of an Authorization header value: "Bearer <token>" (scheme case-insensitive).
 * Returns 1 and sets *token and *len, or 0 when the header uses another scheme or is empty. */
int ssot_auth_bearer(const char *header, const char **token, size_t *len);

/* A new HS256 token (malloc'd) with claims id_claim = subject, role_claim = role (when role
 * is not NULL), iat = now and exp = now + ttl_seconds; NULL when memory runs out. */
char *ssot_jwt_mint(const char *secret, size_t secret_len, const char *id_claim, const char *subject,
                    const char *role_claim, const char *role, long ttl_seconds, time_t now);

#endif
