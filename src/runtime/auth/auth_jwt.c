/* Verifies and mints HS256 JSON Web Tokens (auth_jwt.h). libjwt checks the signature;
 * jansson reads the header (to name a refused algorithm) and the claims (exp, nbf, id, role). */
#define _POSIX_C_SOURCE 200809L /* gmtime_r, strncasecmp */
#include "runtime/auth/auth_jwt.h"

#include "runtime/model/value.h"

#include <jansson.h>
#include <jwt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Verifying costs about 12 us (base64, JSON parses, HMAC); clients send the same token on
 * every request, so verified tokens are remembered. A hit needs the exact same bytes, which
 * were verified with this secret; exp and nbf are still checked on every use. */
#define CACHE_SLOTS 64

typedef struct cached_token {
    char *token;
    size_t len;
    ssot_user user;
    int has_exp, has_nbf;
    double exp, nbf;
} cached_token;

struct ssot_auth {
    char *secret;
    size_t secret_len;
    const char *id_claim, *role_claim, *admin_role;
    cached_token cache[CACHE_SLOTS];
};

ssot_auth *ssot_auth_new(const ssot_jwt_options *options) {
    ssot_auth *auth = calloc(1, sizeof *auth);
    if (!auth) return NULL;
    if (options->secret) {
        auth->secret = malloc(options->secret_len + 1);
        if (!auth->secret) {
            free(auth);
            return NULL;
        }
        memcpy(auth->secret, options->secret, options->secret_len);
        auth->secret[options->secret_len] = '\0';
        auth->secret_len = options->secret_len;
    }
    auth->id_claim = options->id_claim ? options->id_claim : "sub";
    auth->role_claim = options->role_claim ? options->role_claim : "role";
    auth->admin_role = options->admin_role ? options->admin_role : "admin";
    return auth;
}

void ssot_auth_free(ssot_auth *auth) {
    if (!auth) return;
    for (int i = 0; i < CACHE_SLOTS; i++) free(auth->cache[i].token);
    if (auth->secret) memset(auth->secret, 0, auth->secret_len);
    free(auth->secret);
    free(auth);
}

int ssot_auth_bearer(const char *header, const char **token, size_t *len) {
    if (!header || strncasecmp(header, "bearer ", 7) != 0) return 0;
    const char *start = header + 7;
    while (*start == ' ') start++;
    size_t n = strlen(start);
    while (n > 0 && start[n - 1] == ' ') n--;
    if (n == 0) return 0;
    *token = start;
    *len = n;
    return 1;
}

static int base64url_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Decodes unpadded base64url src[0..len) into out (size >= len); returns the decoded length
 * or -1 on a character outside the alphabet or an impossible length. */
static long base64url_decode(const char *src, size_t len, unsigned char *out) {
    if (len % 4 == 1) return -1;
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = base64url_value((unsigned char)src[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return n;
}

static void format_time(double t, char *out, size_t size) {
    struct tm tm;
    /* within years 1..9999 as a date; anything else (exp = 1e46) as the number it is */
    if (t >= -62135596800.0 && t <= 253402300799.0) {
        time_t seconds = (time_t)t;
        if (gmtime_r(&seconds, &tm) && strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) return;
    }
    snprintf(out, size, "%.0f", t);
}

/* The JSON object a part of the token encodes (len < SSOT_JWT_MAX_LENGTH), or NULL. A key
 * given twice is refused: which of two "role" claims counts would be anyone's guess. */
static json_t *decode_part(const char *part, size_t len) {
    unsigned char decoded[SSOT_JWT_MAX_LENGTH];
    long n = len > 0 ? base64url_decode(part, len, decoded) : -1;
    json_t *value = n > 0 ? json_loadb((const char *)decoded, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (json_is_object(value)) return value;
    json_decref(value);
    return NULL;
}

/* Reads the header part: SSOT_JWT_OK when its alg is HS256, else the status and a message. */
static int check_header(const char *token, size_t header_len, char *message, size_t message_size) {
    json_t *header = decode_part(token, header_len);
    if (!header) {
        snprintf(message, message_size, "token header is not base64url-encoded JSON (an object naming no key twice)");
        return SSOT_JWT_MALFORMED;
    }
    const char *alg = json_string_value(json_object_get(header, "alg"));
    int status = SSOT_JWT_OK;
    if (!alg || strcmp(alg, "HS256") != 0) {
        snprintf(message, message_size, "token algorithm '%.32s' is not accepted: sign tokens with HS256",
                 alg ? alg : "(missing)");
        status = SSOT_JWT_ALGORITHM;
    }
    json_decref(header);
    return status;
}

/* Why id[0..n) cannot be a user id, or NULL when it can: a numeric id has one spelling (the
 * canonical decimal ssot_int64_parse reads), so "02", "+2" and " 2" never act as user 2 — and
 * an owner id is compared as text (docs/auth.md). */
static const char *user_id_problem(const char *id, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f) return "it contains a control character";
    if (id[0] == ' ' || id[n - 1] == ' ') return "it starts or ends with a space";
    size_t numeric = id[0] == '-' || id[0] == '+';
    while (numeric < n && id[numeric] >= '0' && id[numeric] <= '9') numeric++;
    int64_t value;
    if (numeric == n && !ssot_int64_parse(id, n, &value))
        return "a numeric id is written without a sign +, leading zeros or spaces, and fits in 64 bits";
    return NULL;
}

/* Reads exp, nbf, the id and the role from the verified claims into entry. */
static int read_claims(const ssot_auth *auth, const json_t *claims, cached_token *entry, char *message,
                       size_t message_size) {
    int status = SSOT_JWT_OK;
    json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    json_t *id = json_object_get(claims, auth->id_claim), *role = json_object_get(claims, auth->role_claim);
    if ((exp && !json_is_number(exp)) || (nbf && !json_is_number(nbf))) {
        snprintf(message, message_size, "token claims exp and nbf must be numbers (seconds since 1970)");
        status = SSOT_JWT_MALFORMED;
        goto done;
    }
    entry->has_exp = exp != NULL;
    entry->has_nbf = nbf != NULL;
    entry->exp = exp ? json_number_value(exp) : 0;
    entry->nbf = nbf ? json_number_value(nbf) : 0;

    ssot_user *user = &entry->user;
    memset(user, 0, sizeof *user);
    int id_len = -1;
    if (json_is_string(id) && json_string_length(id) > 0)
        id_len = snprintf(user->id, sizeof user->id, "%s", json_string_value(id));
    else if (json_is_integer(id))
        id_len = snprintf(user->id, sizeof user->id, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    if (id_len < 0 || (size_t)id_len >= sizeof user->id || strlen(user->id) != (size_t)id_len) {
        snprintf(message, message_size,
                 "token has no usable '%s' claim (the user id: a string or integer, at most %d bytes)",
                 auth->id_claim, SSOT_USER_ID_MAX - 1);
        status = SSOT_JWT_NO_SUBJECT;
        goto done;
    }
    const char *problem = user_id_problem(user->id, (size_t)id_len);
    if (problem) {
        int shown = id_len <= 40 ? id_len : 0; /* never a cut UTF-8 sequence */
        snprintf(message, message_size, "token's '%s' claim \"%.*s%s\" is not a usable user id: %s", auth->id_claim,
                 shown, user->id, shown < id_len ? "..." : "", problem);
        status = SSOT_JWT_NO_SUBJECT;
        goto done;
    }
    if (json_is_string(role)) snprintf(user->role, sizeof user->role, "%s", json_string_value(role));
    user->authenticated = 1;
    user->expires = entry->has_exp ? entry->exp : 0;
    user->is_admin = user->role[0] && strcmp(user->role, auth->admin_role) == 0;
done:
    return status;
}

static int check_times(const cached_token *entry, time_t now, char *message, size_t message_size) {
    char when[32];
    if (entry->has_exp && (double)now >= entry->exp) {
        format_time(entry->exp, when, sizeof when);
        snprintf(message, message_size, "token expired at %s: sign in again or mint a new one", when);
        return SSOT_JWT_EXPIRED;
    }
    if (entry->has_nbf && (double)now < entry->nbf) {
        format_time(entry->nbf, when, sizeof when);
        snprintf(message, message_size, "token is not valid before %s", when);
        return SSOT_JWT_NOT_YET_VALID;
    }
    return SSOT_JWT_OK;
}

static size_t token_slot(const char *token, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)token[i]) * 1099511628211ull;
    return (size_t)(h % CACHE_SLOTS);
}

int ssot_auth_verify(ssot_auth *auth, const char *token, size_t len, time_t now, ssot_user *user,
                     char *message, size_t message_size) {
    memset(user, 0, sizeof *user);
    message[0] = '\0';
    if (!auth->secret) {
        snprintf(message, message_size,
                 "the server cannot verify tokens: its JWT secret environment variable is not set");
        return SSOT_JWT_NO_SECRET;
    }
    if (len == 0 || len > SSOT_JWT_MAX_LENGTH) {
        snprintf(message, message_size, "token is empty or longer than %d bytes", SSOT_JWT_MAX_LENGTH);
        return SSOT_JWT_MALFORMED;
    }
    cached_token *slot = &auth->cache[token_slot(token, len)];
    if (slot->token && slot->len == len && memcmp(slot->token, token, len) == 0) {
        int status = check_times(slot, now, message, message_size);
        if (status == SSOT_JWT_OK) *user = slot->user;
        return status;
    }

    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) || memchr(token, '\0', len)) {
        snprintf(message, message_size, "token is not a JWT (three base64url parts separated by dots)");
        return SSOT_JWT_MALFORMED;
    }
    int status = check_header(token, (size_t)(dot1 - token), message, message_size);
    if (status != SSOT_JWT_OK) return status;
    /* read here rather than from libjwt, which would say "signature" for a payload it cannot parse */
    json_t *claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims) {
        snprintf(message, message_size, "token payload is not base64url-encoded JSON (an object naming no key twice)");
        return SSOT_JWT_MALFORMED;
    }

    char *copy = malloc(len + 1);
    if (!copy) {
        json_decref(claims);
        snprintf(message, message_size, "out of memory");
        return SSOT_JWT_MALFORMED;
    }
    memcpy(copy, token, len);
    copy[len] = '\0';
    jwt_t *jwt = NULL; /* libjwt checks the signature (with the HS256 its header names) */
    int verified = jwt_decode(&jwt, copy, (const unsigned char *)auth->secret, (int)auth->secret_len) == 0 &&
                   jwt_get_alg(jwt) == JWT_ALG_HS256;
    jwt_free(jwt);
    cached_token entry = {0};
    if (!verified) {
        snprintf(message, message_size, "token signature does not match (signed with another secret, or altered)");
        status = SSOT_JWT_SIGNATURE;
    } else {
        status = read_claims(auth, claims, &entry, message, message_size);
    }
    json_decref(claims);
    if (status != SSOT_JWT_OK) {
        free(copy);
        return status;
    }
    free(slot->token);
    *slot = entry;
    slot->token = copy;
    slot->len = len;
    status = check_times(slot, now, message, message_size);
    if (status == SSOT_JWT_OK) *user = slot->user;
    return status;
}

char *ssot_jwt_mint(const char *secret, size_t secret_len, const char *id_claim, const char *subject,
                    const char *role_claim, const char *role, long ttl_seconds, time_t now) {
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0) return NULL;
    char *token = NULL;
    if (jwt_add_grant(jwt, id_claim, subject) == 0 && (!role || jwt_add_grant(jwt, role_claim, role) == 0) &&
        jwt_add_grant_int(jwt, "iat", (long)now) == 0 && jwt_add_grant_int(jwt, "exp", (long)now + ttl_seconds) == 0 &&
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)secret_len) == 0)
        token = jwt_encode_str(jwt);
    jwt_free(jwt);
    return token;
}
