/* Tests of JWT verification and minting (src/runtime/auth/auth_jwt.c): valid tokens and their
 * claims, expiry and nbf (also for cached tokens), tampering, wrong secrets, alg none and other
 * algorithms, malformed input, and the Bearer header. */
#include "check.h"
#include "runtime/auth/auth_jwt.h"

#include <jwt.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define SECRET "test-secret-that-is-long-enough-for-hs256"
static const time_t NOW = 1795600000; /* 2026-11-25 */

static ssot_auth *new_auth(const char *secret) {
    ssot_jwt_options options = {.secret = secret, .secret_len = secret ? strlen(secret) : 0,
                                 .id_claim = "sub", .role_claim = "role", .admin_role = "admin"};
    return ssot_auth_new(&options);
}

static int verify(ssot_auth *auth, const char *token, time_t now, ssot_user *user, char *message) {
    return ssot_auth_verify(auth, token, strlen(token), now, user, message, 256);
}

static void base64url(const unsigned char *in, size_t len, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < len ? in[i + 2] : 0);
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        if (i + 1 < len) out[o++] = alphabet[v >> 6 & 63];
        if (i + 2 < len) out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
}

/* header.payload.signature from JSON texts (each under 384 bytes), the signature given
 * verbatim, into out (size bytes). */
static void forge_into(char *out, size_t size, const char *header, const char *payload, const char *signature) {
    char h[512], p[512];
    base64url((const unsigned char *)header, strlen(header), h);
    base64url((const unsigned char *)payload, strlen(payload), p);
    int n = snprintf(out, size, "%s.%s.%s", h, p, signature);
    CHECK(n > 0 && (size_t)n < size);
}
#define forge(out, ...) forge_into(out, sizeof out, __VA_ARGS__)

/* header.payload signed with key (HS256) from JSON texts: a token whose signature is right
 * whatever its payload says. */
static void sign_into(char *out, size_t size, const char *key, const char *header, const char *payload) {
    forge_into(out, size, header, payload, "");
    unsigned char mac[32];
    unsigned mac_len = 0;
    size_t signing_len = strlen(out) - 1; /* without the final '.' */
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)out, signing_len, mac, &mac_len);
    CHECK(signing_len + 1 + 44 < size);
    base64url(mac, mac_len, out + signing_len + 1);
}
#define sign(out, ...) sign_into(out, sizeof out, __VA_ARGS__)

static char *mint_with(jwt_alg_t alg, const char *key, const char *claims_json) {
    jwt_t *jwt;
    jwt_new(&jwt);
    jwt_add_grants_json(jwt, claims_json);
    if (alg != JWT_ALG_NONE) jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key));
    char *token = jwt_encode_str(jwt);
    jwt_free(jwt);
    return token;
}

static void test_valid_token_gives_claims(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256];
    char *token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "42", "role", "admin", 3600, NOW);
    CHECK(token != NULL);
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK);
    CHECK(user.authenticated && user.is_admin);
    CHECK(strcmp(user.id, "42") == 0 && strcmp(user.role, "admin") == 0);
    /* the second use comes from the cache and gives the same user */
    memset(&user, 0, sizeof user);
    CHECK(verify(auth, token, NOW + 10, &user, message) == SSOT_JWT_OK);
    CHECK(user.authenticated && strcmp(user.id, "42") == 0 && user.is_admin);
    free(token);

    token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "alice", "role", NULL, 60, NOW);
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK);
    CHECK(strcmp(user.id, "alice") == 0 && user.role[0] == '\0' && !user.is_admin);
    free(token);

    token = mint_with(JWT_ALG_HS256, SECRET, "{\"sub\":7,\"role\":\"member\"}");
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK);
    CHECK(strcmp(user.id, "7") == 0 && strcmp(user.role, "member") == 0 && !user.is_admin);
    free(token);
    ssot_auth_free(auth);
}

static void test_custom_claim_names(void) {
    ssot_jwt_options options = {.secret = SECRET, .secret_len = strlen(SECRET), .id_claim = "uid",
                                 .role_claim = "group", .admin_role = "staff"};
    ssot_auth *auth = ssot_auth_new(&options);
    ssot_user user;
    char message[256];
    char *token = mint_with(JWT_ALG_HS256, SECRET, "{\"uid\":\"u-1\",\"group\":\"staff\",\"sub\":\"ignored\"}");
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK);
    CHECK(strcmp(user.id, "u-1") == 0 && user.is_admin);
    free(token);
    token = mint_with(JWT_ALG_HS256, SECRET, "{\"sub\":\"x\"}");
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_NO_SUBJECT);
    CHECK(strstr(message, "'uid'") != NULL);
    CHECK(!user.authenticated);
    free(token);
    ssot_auth_free(auth);
}

/* A numeric user id has one spelling: "02", "+2", " 2" and an id past 64 bits never act as
 * user 2 (or as INT64_MAX); plain string ids stay as they are. */
static void test_canonical_ids(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256];
    const char *refused[] = {"{\"sub\":\"02\"}", "{\"sub\":\"+2\"}", "{\"sub\":\" 2\"}", "{\"sub\":\"2 \"}",
                             "{\"sub\":\"-0\"}", "{\"sub\":\"99999999999999999999\"}", "{\"sub\":\"a\\nb\"}",
                             "{\"sub\":\"\\u0000\"}"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char *token = mint_with(JWT_ALG_HS256, SECRET, refused[i]);
        CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_NO_SUBJECT);
        CHECK(!user.authenticated);
        CHECK(strstr(message, "not a usable user id") != NULL || strstr(message, "no usable") != NULL);
        free(token);
    }
    const char *accepted[][2] = {{"{\"sub\":\"2\"}", "2"}, {"{\"sub\":2}", "2"}, {"{\"sub\":\"-7\"}", "-7"},
                                 {"{\"sub\":\"0\"}", "0"}, {"{\"sub\":\"auth0|5f1d\"}", "auth0|5f1d"},
                                 {"{\"sub\":\"007-agent\"}", "007-agent"}, {"{\"sub\":\"Jane Doe\"}", "Jane Doe"},
                                 {"{\"sub\":\"9223372036854775807\"}", "9223372036854775807"}};
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        char *token = mint_with(JWT_ALG_HS256, SECRET, accepted[i][0]);
        CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK);
        CHECK(strcmp(user.id, accepted[i][1]) == 0);
        free(token);
    }
    ssot_auth_free(auth);
}

static void test_expiry_and_nbf(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256];
    char *token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "1", "role", NULL, 60, NOW);
    CHECK(verify(auth, token, NOW + 59, &user, message) == SSOT_JWT_OK);
    /* cached now: expiry must still apply */
    CHECK(verify(auth, token, NOW + 60, &user, message) == SSOT_JWT_EXPIRED);
    CHECK(!user.authenticated);
    CHECK(strstr(message, "expired at 2026-") != NULL);
    free(token);

    ssot_auth *fresh = new_auth(SECRET);
    token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "1", "role", NULL, -1, NOW);
    CHECK(verify(fresh, token, NOW, &user, message) == SSOT_JWT_EXPIRED);
    free(token);

    token = mint_with(JWT_ALG_HS256, SECRET, "{\"sub\":\"1\",\"nbf\":1795600100}");
    CHECK(verify(fresh, token, NOW, &user, message) == SSOT_JWT_NOT_YET_VALID);
    CHECK(strstr(message, "not valid before") != NULL);
    CHECK(verify(fresh, token, NOW + 100, &user, message) == SSOT_JWT_OK);
    free(token);

    token = mint_with(JWT_ALG_HS256, SECRET, "{\"sub\":\"1\",\"exp\":\"tomorrow\"}");
    CHECK(verify(fresh, token, NOW, &user, message) == SSOT_JWT_MALFORMED);
    free(token);

    /* times no date can hold are named as numbers (found by fuzzing: 1e46 overflowed time_t) */
    token = mint_with(JWT_ALG_HS256, SECRET, "{\"sub\":\"1\",\"nbf\":1.74e46}");
    CHECK(verify(fresh, token, NOW, &user, message) == SSOT_JWT_NOT_YET_VALID);
    CHECK(strstr(message, "17400000000000000") != NULL);
    free(token);
    token = mint_with(JWT_ALG_HS256, SECRET, "{\"sub\":\"1\",\"exp\":-1e300}");
    CHECK(verify(fresh, token, NOW, &user, message) == SSOT_JWT_EXPIRED);
    free(token);
    ssot_auth_free(fresh);
    ssot_auth_free(auth);
}

static void test_tampered_and_wrong_secret(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256];
    char *token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "42", "role", "member", 3600, NOW);
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK);

    /* the same signature on a payload claiming admin */
    char forged[1024], *signature = strrchr(token, '.') + 1;
    char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    forge(forged, header, "{\"sub\":\"42\",\"role\":\"admin\",\"exp\":1795603600}", signature);
    CHECK(verify(auth, forged, NOW, &user, message) == SSOT_JWT_SIGNATURE);
    CHECK(!user.authenticated);
    CHECK(strstr(message, "signature") != NULL);

    /* a flipped signature character */
    char flipped[1024];
    strcpy(flipped, token);
    char *last = flipped + strlen(flipped) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    CHECK(verify(auth, flipped, NOW, &user, message) == SSOT_JWT_SIGNATURE);

    char *other = ssot_jwt_mint("another-secret", 14, "sub", "42", "role", "admin", 3600, NOW);
    CHECK(verify(auth, other, NOW, &user, message) == SSOT_JWT_SIGNATURE);
    free(other);
    free(token);
    ssot_auth_free(auth);
}

static void test_other_algorithms_rejected(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256];
    char *none = mint_with(JWT_ALG_NONE, "", "{\"sub\":\"42\",\"role\":\"admin\"}");
    CHECK(verify(auth, none, NOW, &user, message) == SSOT_JWT_ALGORITHM);
    CHECK(strstr(message, "'none'") != NULL);
    CHECK(!user.authenticated);
    free(none);

    char forged[1024];
    forge(forged, "{\"alg\":\"none\"}", "{\"sub\":\"42\"}", "c2lnbmF0dXJl");
    CHECK(verify(auth, forged, NOW, &user, message) == SSOT_JWT_ALGORITHM);
    forge(forged, "{\"alg\":\"None\"}", "{\"sub\":\"42\"}", "");
    CHECK(verify(auth, forged, NOW, &user, message) == SSOT_JWT_ALGORITHM);
    forge(forged, "{\"typ\":\"JWT\"}", "{\"sub\":\"42\"}", "");
    CHECK(verify(auth, forged, NOW, &user, message) == SSOT_JWT_ALGORITHM);

    /* HS512 with the right secret is still refused: only HS256 is configured */
    char *hs512 = mint_with(JWT_ALG_HS512, SECRET, "{\"sub\":\"42\"}");
    CHECK(verify(auth, hs512, NOW, &user, message) == SSOT_JWT_ALGORITHM);
    CHECK(strstr(message, "HS512") != NULL);
    free(hs512);
    ssot_auth_free(auth);
}

static void test_malformed(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256];
    const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "!!!.e30.", "e30.e30.e30", "eyJhbGciOiJIUzI1NiJ9..",
                         "eyJhbGciOiJIUzI1NiJ9.%%%.abc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int status = verify(auth, bad[i], NOW, &user, message);
        CHECK(status != SSOT_JWT_OK);
        CHECK(!user.authenticated);
        CHECK(message[0] != '\0');
    }
    char *huge = malloc(SSOT_JWT_MAX_LENGTH + 2);
    memset(huge, 'a', SSOT_JWT_MAX_LENGTH + 1);
    huge[SSOT_JWT_MAX_LENGTH + 1] = '\0';
    CHECK(verify(auth, huge, NOW, &user, message) == SSOT_JWT_MALFORMED);
    free(huge);
    /* an embedded NUL must not let a valid prefix through */
    char *token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "42", "role", NULL, 3600, NOW);
    size_t len = strlen(token);
    char *with_nul = malloc(len + 3);
    memcpy(with_nul, token, len);
    memcpy(with_nul + len, "\0x", 3);
    CHECK(ssot_auth_verify(auth, with_nul, len + 2, NOW, &user, message, sizeof message) != SSOT_JWT_OK);
    free(with_nul);
    free(token);
    ssot_auth_free(auth);
}

/* A correctly signed token whose payload is not a JSON object, or names a claim twice, is
 * malformed: saying "signature" would send its issuer looking at the wrong thing. */
static void test_signed_but_unreadable_payload(void) {
    ssot_auth *auth = new_auth(SECRET);
    ssot_user user;
    char message[256], token[1024];
    const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    sign(token, SECRET, header, "{\"sub\":\"42\",\"exp\":1795603600}");
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_OK); /* the helper signs right */
    const char *payloads[] = {"{\"sub\":\"42\"", "[\"42\"]", "{\"sub\":\"42\",\"role\":\"member\",\"role\":\"admin\"}",
                              "{\"sub\":\"42\",\"role\":\"admin\\u0000x\"}"};
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        sign(token, SECRET, header, payloads[i]);
        CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_MALFORMED);
        CHECK(strstr(message, "payload") != NULL);
        CHECK(!user.authenticated && !user.is_admin);
    }
    ssot_auth_free(auth);
}

static void test_no_secret(void) {
    ssot_auth *auth = new_auth(NULL);
    ssot_user user;
    char message[256];
    char *token = ssot_jwt_mint(SECRET, strlen(SECRET), "sub", "42", "role", NULL, 3600, NOW);
    CHECK(verify(auth, token, NOW, &user, message) == SSOT_JWT_NO_SECRET);
    CHECK(strstr(message, "secret") != NULL);
    free(token);
    ssot_auth_free(auth);
}

static void test_bearer(void) {
    const char *token;
    size_t len;
    CHECK(ssot_auth_bearer("Bearer abc.def.ghi", &token, &len) && len == 11 && strncmp(token, "abc.def.ghi", 11) == 0);
    CHECK(ssot_auth_bearer("bearer   xyz  ", &token, &len) && len == 3 && strncmp(token, "xyz", 3) == 0);
    CHECK(!ssot_auth_bearer("Basic dXNlcjpwYXNz", &token, &len));
    CHECK(!ssot_auth_bearer("Bearer ", &token, &len));
    CHECK(!ssot_auth_bearer("Bearer", &token, &len));
    CHECK(!ssot_auth_bearer(NULL, &token, &len));
}

int main(void) {
    test_valid_token_gives_claims();
    test_custom_claim_names();
    test_canonical_ids();
    test_expiry_and_nbf();
    test_tampered_and_wrong_secret();
    test_other_algorithms_rejected();
    test_malformed();
    test_signed_but_unreadable_payload();
    test_no_secret();
    test_bearer();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
