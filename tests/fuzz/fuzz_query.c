/* Fuzz target: the list query parameters (src/runtime/model/query.c) — where, orderBy, skip and take
 * as a client sends them, decoded — for a model of the everything.lua app, and when they parse,
 * the list the SQLite store builds and runs from them. The first byte picks the model; the rest
 * is up to four values separated by NUL bytes, given as where, orderBy, skip and take (or, after
 * a 0xff byte, as name=value parameters). */
#include "fuzz_app.h"
#include "runtime/model/query.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    ssot_service *svc = fuzz_get_service();
    const ssot_model *model = &svc->app->models[data[0] % svc->app->nmodels];
    static const char *const names[] = {"where", "orderBy", "skip", "take"};
    ssot_query query;
    ssot_query_init(&query, model, 10, 50);
    ssot_query_error err;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    int named = p < end && (uint8_t)*p == 0xff;
    if (named) p++;
    int ok = 1;
    for (int i = 0; i < 4 && p <= end && ok; i++) {
        const char *stop = memchr(p, '\0', (size_t)(end - p));
        if (!stop) stop = end;
        char name[64];
        const char *value = p;
        size_t n = (size_t)(stop - p);
        if (named) {
            const char *eq = memchr(p, '=', n);
            size_t name_len = eq ? (size_t)(eq - p) : n;
            if (name_len >= sizeof name) name_len = sizeof name - 1;
            memcpy(name, p, name_len);
            name[name_len] = '\0';
            value = eq ? eq + 1 : stop;
            n = (size_t)(stop - value);
        } else {
            strcpy(name, names[i]);
        }
        if (n || named) ok = ssot_query_add_param(&query, name, value, n, &err) == 0;
        p = stop + 1;
    }
    if (ok) {
        ssot_buf out = SSOT_BUF_INIT;
        ssot_store_error store_err;
        ssot_row_filter filter = {0};
        ssot_store_list(svc->store, &query, &filter, &out, NULL, &store_err);
        ssot_buf_free(&out);
    }
    ssot_query_free(&query);
    return 0;
}
