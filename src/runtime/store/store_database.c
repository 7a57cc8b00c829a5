/* Tells a database file path from a URL, and picks the setting that wins (store_database.h).
 * A URL's scheme is RFC 3986's: a letter, then letters, digits, '+', '-' or '.', then "://".
 * Uses only libc (getenv). */
#include "runtime/store/store_database.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

ssot_database_kind ssot_database_kind_of(const char *database, char *scheme, size_t scheme_size) {
    if (scheme_size > 0) scheme[0] = '\0';
    if (!database || !isalpha((unsigned char)database[0])) return SSOT_DATABASE_SQLITE;
    size_t n = 1;
    while (isalnum((unsigned char)database[n]) || database[n] == '+' || database[n] == '-' || database[n] == '.') n++;
    if (strncmp(database + n, "://", 3) != 0) return SSOT_DATABASE_SQLITE;
    if (scheme_size > 0) {
        size_t keep = n < scheme_size - 1 ? n : scheme_size - 1;
        memcpy(scheme, database, keep);
        scheme[keep] = '\0';
    }
    return SSOT_DATABASE_URL;
}

int ssot_database_is_postgres(const char *scheme) {
    return scheme && (strcmp(scheme, "postgres") == 0 || strcmp(scheme, "postgresql") == 0);
}

const char *ssot_database_choose(const char *flag, const char *config_value, const char **source) {
    /* the command line beats the environment, which beats the file: a deployment sets
     * DATABASE_URL for every node without editing the config the repository holds */
    const char *env = getenv("DATABASE_URL");
    if (flag) {
        *source = "--db";
        return flag;
    }
    if (env && *env) {
        *source = "DATABASE_URL";
        return env;
    }
    *source = "serve.database in the config";
    return config_value;
}

void ssot_database_describe(const char *url, char *out, size_t size) {
    if (size == 0) return;
    size_t o = 0;
    const char *p = url, *authority = strstr(url, "://");
    const char *end_auth = NULL, *at = NULL;
    if (authority) {
        authority += 3;
        end_auth = authority + strcspn(authority, "/?#");
        for (const char *q = authority; q < end_auth; q++)
            if (*q == '@') at = q; /* the last '@': a password may hold one too */
    }
    while (*p && o + 1 < size) {
        if (at && p == authority) {
            const char *colon = memchr(authority, ':', (size_t)(at - authority));
            const char *keep_end = colon ? colon : at;
            while (p < keep_end && o + 1 < size) out[o++] = *p++;
            p = at; /* the '@' and what follows are copied below */
            at = NULL;
            continue;
        }
        /* a password among the query parameters */
        if ((*p == '?' || *p == '&') && strncmp(p + 1, "password=", 9) == 0) {
            const char *hidden = "password=***";
            out[o++] = *p++;
            for (const char *h = hidden; *h && o + 1 < size; h++) out[o++] = *h;
            p += 9;
            while (*p && *p != '&' && *p != '#') p++;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}
