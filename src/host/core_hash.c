/* ssot.core hashing: SHA-256 (OpenSSL) as lowercase hex, used for the manifest, the schema
 * hash and change detection. */
#include "host/core.h"

#include <lauxlib.h>
#include <openssl/evp.h>

/* sha256(string) -> 64 hex digits */
int core_sha256(lua_State *L) {
    size_t len;
    const char *data = luaL_checklstring(L, 1, &len);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!EVP_Digest(data, len, digest, &digest_len, EVP_sha256(), NULL))
        return luaL_error(L, "sha256 failed");
    static const char hex[] = "0123456789abcdef";
    char out[2 * EVP_MAX_MD_SIZE];
    for (unsigned int i = 0; i < digest_len; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    lua_pushlstring(L, out, 2 * digest_len);
    return 1;
}
