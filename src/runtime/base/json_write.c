/* The JSON writer of json_write.h: a walk over the jansson value. Uses jansson and buf.h. */
#include "runtime/base/json_write.h"

#include <stdlib.h>
#include <string.h>

static int compare_keys(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static void write_object(ssot_buf *out, const json_t *object, int sort_keys);

static void write_value(ssot_buf *out, const json_t *value, int sort_keys) {
    switch (json_typeof(value)) {
    case JSON_OBJECT: write_object(out, value, sort_keys); break;
    case JSON_ARRAY:
        ssot_buf_putc(out, '[');
        for (size_t i = 0; i < json_array_size(value); i++) {
            if (i) ssot_buf_putc(out, ',');
            write_value(out, json_array_get(value, i), sort_keys);
        }
        ssot_buf_putc(out, ']');
        break;
    case JSON_STRING: ssot_buf_put_json_string(out, json_string_value(value), json_string_length(value)); break;
    case JSON_INTEGER: ssot_buf_put_int(out, (int64_t)json_integer_value(value)); break;
    case JSON_REAL: ssot_buf_put_double(out, json_real_value(value)); break;
    case JSON_TRUE: ssot_buf_puts(out, "true"); break;
    case JSON_FALSE: ssot_buf_puts(out, "false"); break;
    default: ssot_buf_puts(out, "null"); break;
    }
}

static void write_member(ssot_buf *out, const char *key, const json_t *value, int first, int sort_keys) {
    if (!first) ssot_buf_putc(out, ',');
    ssot_buf_put_json_string(out, key, strlen(key));
    ssot_buf_putc(out, ':');
    write_value(out, value, sort_keys);
}

static void write_object(ssot_buf *out, const json_t *object, int sort_keys) {
    const char *key;
    json_t *member;
    ssot_buf_putc(out, '{');
    size_t n = json_object_size(object);
    if (sort_keys && n > 1) {
        const char **keys = malloc(n * sizeof *keys);
        if (!keys) {
            out->failed = 1;
            return;
        }
        size_t i = 0;
        json_object_foreach((json_t *)object, key, member) keys[i++] = key;
        qsort(keys, n, sizeof *keys, compare_keys);
        for (i = 0; i < n; i++) write_member(out, keys[i], json_object_get(object, keys[i]), i == 0, sort_keys);
        free(keys);
    } else {
        int first = 1;
        json_object_foreach((json_t *)object, key, member) {
            write_member(out, key, member, first, sort_keys);
            first = 0;
        }
    }
    ssot_buf_putc(out, '}');
}

int ssot_json_write(ssot_buf *out, const json_t *value, int sort_keys) {
    write_value(out, value, sort_keys);
    return out->failed ? -1 : 0;
}
