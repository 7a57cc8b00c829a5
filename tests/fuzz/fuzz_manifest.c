/* Fuzz target: the manifest reader (src/host/manifest.c), which reads the file a previous run
 * left in the output directory (one a user may have edited or truncated): parse, and for what
 * parses, format it and parse the result again, which must give the same entries. */
#define _POSIX_C_SOURCE 200809L /* PATH_MAX in emit.h */
#include "host/emit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ssot_manifest manifest = {0}, again = {0};
    char err[SSOT_EMIT_ERROR_SIZE];
    if (ssot_manifest_parse(&manifest, (const char *)data, size, ".ssot-manifest", err) == 0) {
        size_t len;
        char *text = ssot_manifest_format(&manifest, &len);
        if (text) {
            if (ssot_manifest_parse(&again, text, len, ".ssot-manifest", err) != 0 || again.count != manifest.count) {
                fprintf(stderr, "a formatted manifest does not read back: %s\n", err);
                abort();
            }
            for (size_t i = 0; i < manifest.count; i++)
                if (strcmp(manifest.entries[i].path, again.entries[i].path) != 0 ||
                    strcmp(manifest.entries[i].hash, again.entries[i].hash) != 0)
                    abort();
            free(text);
        }
    }
    ssot_manifest_free(&manifest);
    ssot_manifest_free(&again);
    return 0;
}
