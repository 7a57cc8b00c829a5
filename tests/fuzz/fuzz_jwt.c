/* Fuzz target: token verification (src/runtime/auth/auth_jwt.c). With the first byte even the rest
 * is the token as a client sends it (Bearer header or ?token=); with it odd the rest is a
 * header and a payload (split at the first NUL) that are base64url-encoded and correctly
 * signed, so the claims reader (exp, nbf, the id and role claims) sees arbitrary JSON. */
#include "fuzz_app.h"
#include "runtime/auth/auth_jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>

static size_t base64url(const uint8_t *in, size_t n, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        if (i + 1 < n) out[o++] = alphabet[v >> 6 & 63];
        if (i + 2 < n) out[o++] = alphabet[v & 63];
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > SSOT_JWT_MAX_LENGTH) return 0;
    static ssot_auth *auth;
    if (!auth) {
        ssot_jwt_options options = {.secret = FUZZ_SECRET, .secret_len = strlen(FUZZ_SECRET), .id_claim = "sub",
                                    .role_claim = "role", .admin_role = "admin"};
        auth = ssot_auth_new(&options);
    }
    static char token[4 * SSOT_JWT_MAX_LENGTH];
    size_t len;
    if (data[0] % 2 == 0) {
        len = size - 1;
        memcpy(token, data + 1, len);
    } else {
        const uint8_t *rest = data + 1, *nul = memchr(rest, 0, size - 1);
        size_t header_len = nul ? (size_t)(nul - rest) : 0;
        const uint8_t *payload = nul ? nul + 1 : rest;
        size_t payload_len = size - 1 - (nul ? header_len + 1 : 0);
        if (!nul) { /* a plain HS256 header */
            static const char plain[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
            rest = (const uint8_t *)plain;
            header_len = sizeof plain - 1;
        }
        len = base64url(rest, header_len, token);
        token[len++] = '.';
        len += base64url(payload, payload_len, token + len);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        HMAC(EVP_sha256(), FUZZ_SECRET, (int)strlen(FUZZ_SECRET), (const unsigned char *)token, len, mac, &mac_len);
        token[len++] = '.';
        len += base64url(mac, mac_len, token + len);
    }
    token[len] = '\0';
    ssot_user user;
    char message[256];
    ssot_auth_verify(auth, token, len, 1800000000, &user, message, sizeof message);
    const char *bearer;
    size_t bearer_len;
    ssot_auth_bearer(token, &bearer, &bearer_len);
    return 0;
}
