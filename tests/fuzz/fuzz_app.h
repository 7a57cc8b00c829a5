/* Shared by the fuzz targets that need the runtime: the app of tests/fixtures/configs/
 * everything.lua (every field type, owners, every kind of rule, a uuid model, custom routes)
 * loaded through the real host and IR loader once per process, and a REST service over a
 * fresh in-memory SQLite store, reopened every so often so rows do not pile up. Header-only:
 * each target is one executable. */
#ifndef SSOT_FUZZ_APP_H
#define SSOT_FUZZ_APP_H

#include "runtime/model/ir_load.h"
#include "runtime/rest/service.h"
#include "runtime/store/store.h"
#include "ssot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The secret the service verifies tokens with (fuzz_jwt signs payloads with it). */
#define FUZZ_SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"

static ssot_host *fuzz_host;
static ssot_app *fuzz_app;

static inline void fuzz_die(const char *what, const char *message) {
    fprintf(stderr, "fuzz setup: %s: %s\n", what, message);
    exit(1);
}

/* Loads the app once (quietly: the fuzzer's output is its own). */
static inline ssot_app *fuzz_load_app(void) {
    if (fuzz_app) return fuzz_app;
    ssot_host_options options = {.log_level = SSOT_LOG_ERROR};
    if (!(fuzz_host = ssot_host_new(&options))) fuzz_die("host", "out of memory");
    char config[4096], message[4096];
    snprintf(config, sizeof config, "%s/tests/fixtures/configs/everything.lua", SSOT_SOURCE_DIR);
    int status;
    if (!(fuzz_app = ssot_ir_load_config(fuzz_host, config, &status, message, sizeof message)))
        fuzz_die(config, message);
    return fuzz_app;
}

static ssot_service fuzz_service;
static int fuzz_service_open;
static unsigned fuzz_uses;

/* The service, over a store no older than 2,000 inputs. */
static inline ssot_service *fuzz_get_service(void) {
    if (fuzz_service_open && ++fuzz_uses % 2000 == 0) {
        ssot_service_close(&fuzz_service);
        fuzz_service_open = 0;
    }
    if (fuzz_service_open) return &fuzz_service;
    ssot_app *app = fuzz_load_app();
    ssot_sqlite_options options = {.path = ":memory:", .history = 50};
    ssot_store *store = NULL;
    ssot_store_error err;
    if (ssot_store_sqlite_open(app, &options, &store, &err) != SSOT_STORE_OK) fuzz_die("store", err.message);
    ssot_service_options service_options = {.jwt_secret = FUZZ_SECRET, .jwt_secret_len = strlen(FUZZ_SECRET),
                                            .group_commit = 1};
    char message[1024];
    if (ssot_service_init(&fuzz_service, app, store, &service_options, message, sizeof message))
        fuzz_die("service", message);
    fuzz_service_open = 1;
    return &fuzz_service;
}

/* Answers req as the server would: the handler, then for a held write the group commit and
 * its finish. */
static inline void fuzz_handle(ssot_service *svc, ssot_request *req, ssot_response *resp, ssot_buf *out) {
    ssot_response_reset(resp, out);
    ssot_service_handle(svc, req, resp);
    if (resp->held) {
        void *held = resp->held;
        ssot_service_settle(svc);
        ssot_service_finish(svc, held, req, resp);
    }
    ssot_service_settle(svc);
}

#endif
