/* `ssot token --sub ID [--role R] [--ttl 1h] [config.lua | --config FILE] [--db FILE]`: mints an
 * HS256 token for development and tests, signed with the secret `ssot serve` verifies with:
 * the environment variable the config's auth.secretEnv names (SSOT_JWT_SECRET by default),
 * else the development secret `ssot serve` keeps beside the database (dev_secret.h). Uses
 * auth_jwt.c, dev_secret.c and, with a config, the host and ir_load.c. */
#include "cli/commands.h"
#include "cli/options.h"

#include "runtime/auth/auth_jwt.h"
#include "runtime/auth/dev_secret.h"
#include "runtime/model/ir_load.h"
#include "runtime/store/store_database.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: ssot token --sub ID [options]\n"
    "\n"
    "Prints a JWT (HS256) for the user ID, for development and tests (docs/auth.md).\n"
    "\n"
    "Options:\n"
    "  --sub ID        the user id (the config's auth.idClaim, \"sub\" by default)\n"
    "  --role R        the user's role (auth.roleClaim); \"admin\" makes an admin by default\n"
    "  --ttl T         lifetime: seconds, or a number with s, m, h or d (default 1h)\n"
    "  config.lua, --config FILE\n"
    "                  read auth.secretEnv, the claim names and the database from this config\n"
    "                  (default: ./config.lua when there is one, as for `ssot serve`)\n"
    "  --db FILE|URL   the database `ssot serve --db` serves, to find its development secret\n"
    "                  (default: DATABASE_URL, else the config's; for a URL it is beside the config)\n"
    "  -h, --help      show this help\n"
    "\n"
    "The secret comes from the environment variable auth.secretEnv names (SSOT_JWT_SECRET\n"
    "without a config): the same one `ssot serve` reads. When it is unset, the token is signed\n"
    "with the development secret `ssot serve` made beside the database (.ssot-secret), and the\n"
    "command says so on stderr; not with SSOT_ENV=production (or NODE_ENV=production).\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ssot token: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'ssot help token' for usage.\n");
    return SSOT_ERR_USAGE;
}

/* "90", "90s", "15m", "1h", "7d" in seconds; -1 when malformed. */
static long parse_ttl(const char *text) {
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || value <= 0) return -1;
    static const struct { char suffix; long seconds; } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    long unit = 1;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
        if (*end == units[i].suffix) {
            unit = units[i].seconds;
            end++;
            break;
        }
    }
    if (*end != '\0' || value > 3650L * 86400 / unit) return -1;
    return value * unit;
}

/* Signs with the development secret `ssot serve` keeps beside the database, when the
 * environment has no secret: so `ssot serve` in one terminal and `ssot token` in another work
 * with nothing exported. Returns an exit status; prints the token or what is wrong. */
static int mint_with_dev_secret(const char *secret_env, const char *db, const char *config_path,
                                const char *config_arg, const char *id_claim, const char *sub,
                                const char *role_claim, const char *role, long ttl) {
    const char *why = NULL;
    if (ssot_production_env(&why) > 0) {
        fprintf(stderr,
                "ssot token: %s is not set, and %s rules out the development secret: export the secret the\n"
                "server uses, e.g. export %s=...\n",
                secret_env, why, secret_env);
        return SSOT_ERR_USAGE;
    }
    char path[4096], message[4608], scheme[32];
    if (ssot_database_kind_of(db, scheme, sizeof scheme) == SSOT_DATABASE_URL) {
        if (!ssot_database_is_postgres(scheme)) {
            fprintf(stderr, "ssot token: the database is a %s:// URL, but ssot serve stores in SQLite or PostgreSQL\n"
                            "only: give the file path or postgres:// URL the server serves (--db)\n", scheme);
            return SSOT_ERR_USAGE;
        }
        db = NULL; /* ssot serve keeps the secret of a database URL beside the config */
    }
    if (ssot_dev_secret_path(db, config_path, path, sizeof path) != 0) {
        fprintf(stderr, "ssot token: %s is not set (and the database's path is too long to look beside it)\n",
                secret_env);
        return SSOT_ERR_USAGE;
    }
    char *secret = NULL;
    int status = ssot_dev_secret_load(path, 0, &secret, message, sizeof message);
    if (status == SSOT_DEV_SECRET_MISSING) {
        fprintf(stderr,
                "ssot token: %s is not set, and there is no development secret in %s yet: start\n"
                "`ssot serve%s%s` once (it makes one; pass --db FILE here too if the server has one),\n"
                "or export the secret the server uses, e.g.\n"
                "  export %s=$(openssl rand -hex 32)\n",
                secret_env, path, config_arg ? " " : "", config_arg ? config_arg : "", secret_env);
        return SSOT_ERR_USAGE;
    }
    if (status == SSOT_DEV_SECRET_ERROR) {
        fprintf(stderr, "ssot token: %s is not set, and %s\n", secret_env, message);
        return SSOT_ERR_FAILURE;
    }
    char *token = ssot_jwt_mint(secret, strlen(secret), id_claim, sub, role_claim, role, ttl, time(NULL));
    free(secret);
    if (!token) {
        fprintf(stderr, "ssot token: could not sign the token\n");
        return SSOT_ERR_FAILURE;
    }
    printf("%s\n", token);
    /* on stderr, so that $(ssot token ...) holds the token alone */
    fprintf(stderr, "ssot token: signed with the development secret in %s (%s is not set)\n", path, secret_env);
    free(token);
    return SSOT_OK;
}

int ssot_cmd_token(int argc, char **argv) {
    const char *sub = NULL, *role = NULL, *config = NULL, *db = NULL, *value;
    long ttl = 3600;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return SSOT_OK;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--sub"))) {
            sub = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--role"))) {
            role = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--config"))) {
            if (!*value) return usage_error("--config needs a file name%s", "");
            if (config) return usage_error("one config at a time (got a second one, '%s')", value);
            config = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--db"))) {
            if (!*value) return usage_error("--db needs a file name%s", "");
            db = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--ttl"))) {
            ttl = parse_ttl(value);
            if (ttl < 0) return usage_error("--ttl needs a duration like 3600, 30m, 1h or 7d, got '%s'", value);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("unknown option '%s'", argv[i]);
        } else if (!config) {
            config = argv[i]; /* the config as an argument, as for `ssot run` and `ssot serve` */
        } else {
            return usage_error("one config at a time (got a second one, '%s')", argv[i]);
        }
    }
    if (!sub || !*sub) return usage_error("--sub ID is required (the user id the token names)%s", "");
    if (strlen(sub) >= SSOT_USER_ID_MAX) return usage_error("--sub is too long (at most 127 bytes): '%s'", sub);
    if (role && !*role) role = NULL;
    /* the config `ssot serve` would take without arguments, so both agree on the secret */
    if (!config && access("config.lua", F_OK) == 0) config = "config.lua";

    const char *secret_env = "SSOT_JWT_SECRET", *id_claim = "sub", *role_claim = "role", *why = NULL;
    if (ssot_production_env(&why) < 0) {
        fprintf(stderr, "ssot token: SSOT_ENV is '%s': set it to production or development, or unset it\n", why);
        return SSOT_ERR_USAGE;
    }
    ssot_host *host = NULL;
    ssot_app *app = NULL;
    int status = SSOT_OK;
    if (config) {
        char message[4096];
        host = ssot_host_new(NULL);
        app = host ? ssot_ir_load_config(host, config, &status, message, sizeof message) : NULL;
        if (!app) {
            fprintf(stderr, "%s\n", host ? message : "ssot token: out of memory");
            ssot_host_free(host);
            return host ? status : SSOT_ERR_FAILURE;
        }
        secret_env = app->auth.secret_env;
        id_claim = app->auth.id_claim;
        role_claim = app->auth.role_claim;
    }
    const char *secret = getenv(secret_env);
    if (secret && *secret) {
        char *token = ssot_jwt_mint(secret, strlen(secret), id_claim, sub, role_claim, role, ttl, time(NULL));
        if (token) printf("%s\n", token);
        else fprintf(stderr, "ssot token: could not sign the token\n");
        status = token ? SSOT_OK : SSOT_ERR_FAILURE;
        free(token);
    } else if (app || db) {
        const char *source = NULL; /* the same choice as ssot serve's: --db, DATABASE_URL, the config */
        status = mint_with_dev_secret(secret_env, ssot_database_choose(db, app ? app->serve.database : NULL, &source),
                                      app ? app->config_path : NULL, config,
                                      id_claim, sub, role_claim, role, ttl);
    } else {
        fprintf(stderr,
                "ssot token: %s is not set: export the same secret `ssot serve` uses, e.g.\n"
                "  export %s=$(openssl rand -hex 32)\n"
                "or, to sign with the development secret `ssot serve` made, run this beside its config.lua,\n"
                "or pass --config FILE (and --db FILE if the server was given one)\n",
                secret_env, secret_env);
        status = SSOT_ERR_USAGE;
    }
    ssot_app_free(app);
    ssot_host_free(host);
    return status;
}
