/* ssot.core hashing: SHA-256 (OpenSSL) as lowercase hex, used for the manifest, the schema
 * hash and change detection. */
#include "host/core.h"
#include "host/host.h"

#include <lauxlib.h>
#include <openssl/evp.h>

void ssot_sha256_hex(const void *data, size_t len, char hex[65]) {
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL) || digest_len != 32) {
        hex[0] = '\0';
        return;
    }
    for (unsigned int i = 0; i < digest_len; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

/* sha256(string) -> 64 hex digits */
int core_sha256(lua_State *L) {
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    char hex[65];
    ssot_sha256_hex(data, len, hex);
    if (hex[0] == '\0') return luaL_error(L, "sha256 failed");
    lua_pushlstring(L, hex, 64);
    return 1;
}
