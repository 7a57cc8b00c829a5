/* The Lua modules and templates compiled into the binary (see tools/embed.c),
 * looked up by their path in the source tree, e.g. "lua/ssot/config.lua". */
#ifndef SSOT_HOST_RESOURCES_H
#define SSOT_HOST_RESOURCES_H

#include <stddef.h>

typedef struct ssot_resource {
    const char *name;
    const unsigned char *data; /* NUL-terminated; size excludes the NUL */
    size_t size;
} ssot_resource;

/* Generated at build time, sorted by name. */
extern const ssot_resource ssot_embedded_resources[];
extern const size_t ssot_embedded_resource_count;

/* The embedded resource called name, or NULL. */
const ssot_resource *ssot_resource_find(const char *name);

#endif
