/* Fuzz target: a request body checked against a model (src/runtime/model/body.c): JSON parsing with
 * its duplicate-key and UTF-8 checks, then the check per field type, for each model of the
 * everything.lua app and each mode (create, patch, replace), and the error object built from
 * what it found. The first byte picks the model and the mode. */
#include "fuzz_app.h"
#include "runtime/model/body.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    ssot_app *app = fuzz_load_app();
    const ssot_model *model = &app->models[data[0] % app->nmodels];
    ssot_body_mode mode = (ssot_body_mode)((data[0] / app->nmodels) % 3);
    char message[256];
    json_t *body = ssot_body_parse((const char *)data + 1, size - 1, message, sizeof message);
    if (!body) return 0;
    static ssot_body_errors errs;
    if (ssot_body_check(model, body, mode, &errs)) {
        ssot_buf out = SSOT_BUF_INIT;
        ssot_body_errors_json(&errs, &out);
        ssot_buf_free(&out);
    }
    json_decref(body);
    return 0;
}
