/* Lookup into the build-time index of embedded Lua modules and templates (resources.h). */
#include "host/resources.h"

#include <stdlib.h>
#include <string.h>

static int compare_resource(const void *key, const void *element) {
    return strcmp((const char *)key, ((const ssot_resource *)element)->name);
}

const ssot_resource *ssot_resource_find(const char *name) {
    return bsearch(name, ssot_embedded_resources, ssot_embedded_resource_count,
                   sizeof ssot_embedded_resources[0], compare_resource);
}
