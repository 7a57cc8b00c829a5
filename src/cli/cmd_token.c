/* `ssot token --sub ID [--role R] [--ttl 1h] [--config config.lua]`: mints an HS256 token
 * for development and tests, signed with the secret `ssot serve` verifies with (the
 * environment variable the config's auth.secretEnv names, SSOT_JWT_SECRET by default).
 * Uses auth_jwt.c and, with --config, the host and ir_load.c. */
#include "cli/commands.h"
#include "cli/options.h"

#include "runtime/auth/auth_jwt.h"
#include "runtime/model/ir_load.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: ssot token --sub ID [--role R] [--ttl 1h] [--config config.lua]\n"
    "\n"
    "Prints a JWT (HS256) for the user ID, for development and tests (docs/auth.md).\n"
    "\n"
    "  --sub ID        the user id (the config's auth.idClaim, \"sub\" by default)\n"
    "  --role R        the user's role (auth.roleClaim); \"admin\" makes an admin by default\n"
    "  --ttl T         lifetime: seconds, or a number with s, m, h or d (default 1h)\n"
    "  --config FILE   read auth.secretEnv and the claim names from this config\n"
    "  --help          this text\n"
    "\n"
    "The secret comes from the environment variable auth.secretEnv names (SSOT_JWT_SECRET\n"
    "without --config): the same one `ssot serve` reads.\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ssot token: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see ssot token --help)\n");
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

int ssot_cmd_token(int argc, char **argv) {
    const char *sub = NULL, *role = NULL, *config = NULL, *value;
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
            config = value;
        } else if ((value = ssot_cli_option_value(argc, argv, &i, "--ttl"))) {
            ttl = parse_ttl(value);
            if (ttl < 0) return usage_error("--ttl needs a duration like 3600, 30m, 1h or 7d, got '%s'", value);
        } else {
            return usage_error("unknown argument '%s'", argv[i]);
        }
    }
    if (!sub || !*sub) return usage_error("--sub ID is required (the user id the token names)%s", "");
    if (strlen(sub) >= SSOT_USER_ID_MAX) return usage_error("--sub is too long (at most 127 bytes): '%s'", sub);
    if (role && !*role) role = NULL;

    const char *secret_env = "SSOT_JWT_SECRET", *id_claim = "sub", *role_claim = "role";
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
    if (!secret || !*secret) {
        fprintf(stderr,
                "ssot token: %s is not set: export the same secret `ssot serve` uses, e.g.\n"
                "  export %s=$(openssl rand -hex 32)\n",
                secret_env, secret_env);
        status = SSOT_ERR_USAGE;
    } else {
        char *token = ssot_jwt_mint(secret, strlen(secret), id_claim, sub, role_claim, role, ttl, time(NULL));
        if (token) printf("%s\n", token);
        else fprintf(stderr, "ssot token: could not sign the token\n");
        status = token ? SSOT_OK : SSOT_ERR_FAILURE;
        free(token);
    }
    ssot_app_free(app);
    ssot_host_free(host);
    return status;
}
