/* The development secret: when the token secret's environment variable is unset outside
 * production, `ssot serve` signs and verifies tokens with a random secret kept in a file
 * beside the database (.ssot-secret, mode 0600), and `ssot token` reads the same file, so two
 * terminals work with nothing exported. Production never reads nor makes it. docs/auth.md. */
#ifndef SSOT_RUNTIME_AUTH_DEV_SECRET_H
#define SSOT_RUNTIME_AUTH_DEV_SECRET_H

#include <stddef.h>

#define SSOT_DEV_SECRET_FILE ".ssot-secret"

enum ssot_dev_secret_status {
    SSOT_DEV_SECRET_READ = 0, /* the file was there and is fit to use */
    SSOT_DEV_SECRET_CREATED,  /* the file was missing and has been made */
    SSOT_DEV_SECRET_MISSING,  /* the file is missing and create was 0 */
    SSOT_DEV_SECRET_ERROR     /* the file cannot be used or made; the message says why and what to do */
};

/* The secret file for a database: "<directory of database>/.ssot-secret", or beside the config
 * (config_path, may be NULL: then the current directory) for an in-memory database. Writes
 * it into out; returns 0, or -1 when it does not fit. */
int ssot_dev_secret_path(const char *database, const char *config_path, char *out, size_t size);

/* Reads the secret at path into *secret (malloc'd, NUL-terminated, trailing whitespace
 * removed); with create, makes the file first when it is missing (32 random bytes from the
 * system, written as 64 hex digits, mode 0600 from the start). The file must be a regular
 * file no one but its owner can read or write, and hold a secret. Returns an
 * ssot_dev_secret_status; on SSOT_DEV_SECRET_ERROR writes a sentence naming the file and the
 * fix into message. */
int ssot_dev_secret_load(const char *path, int create, char **secret, char *message, size_t message_size);

/* Whether the environment says this is production: SSOT_ENV=production, or NODE_ENV=production
 * when SSOT_ENV is unset (SSOT_ENV=development overrides it). Returns 1 and sets *why to the
 * setting that said so, 0 for development, or -1 when SSOT_ENV holds anything else (then *why
 * is its value). */
int ssot_production_env(const char **why);

#endif
