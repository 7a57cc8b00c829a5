/* Tells a database file path from a URL (store_database.h). A URL's scheme is RFC 3986's:
 * a letter, then letters, digits, '+', '-' or '.', then "://". Uses only libc. */
#include "runtime/store/store_database.h"

#include <ctype.h>
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
