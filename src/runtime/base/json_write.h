/* Writing jansson values as compact JSON text, with each real number as the shortest text that
 * reads back as the same double (jansson prints 17 digits: 0.1 as 0.10000000000000001). Used
 * for json fields as they are stored and for custom routes' results. Uses jansson and buf.h. */
#ifndef SSOT_RUNTIME_JSON_WRITE_H
#define SSOT_RUNTIME_JSON_WRITE_H

#include "runtime/base/buf.h"

#include <jansson.h>

/* Appends value as JSON to out, object keys in their order or sorted when sort_keys. Returns
 * 0, or -1 when memory ran out. */
int ssot_json_write(ssot_buf *out, const json_t *value, int sort_keys);

#endif
