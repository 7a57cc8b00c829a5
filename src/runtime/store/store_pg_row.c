/* The PostgreSQL store's rows: the select list of a model's columns, the REST JSON of a result
 * row (the same text the SQLite store writes: compact, fields in declared order, bools as
 * true/false, floats as their shortest round-trip text, json fields as JSON), the row view
 * callbacks get, and values and ids as the text parameters libpq binds.
 * Uses libpq (store_pg_internal.h), jansson, json_write.h, value.h. */
#include "runtime/store/store_pg_internal.h"

#include "runtime/base/json_write.h"
#include "runtime/model/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pg_ident(ssot_buf *b, const char *name) {
    ssot_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') ssot_buf_putc(b, '"');
        ssot_buf_putc(b, *p);
    }
    ssot_buf_putc(b, '"');
}

void pg_select_columns(ssot_buf *sql, const ssot_model *m, const char *table_alias) {
    for (size_t i = 0; i < m->nfields; i++) {
        if (i) ssot_buf_puts(sql, ", ");
        if (table_alias) {
            ssot_buf_puts(sql, table_alias);
            ssot_buf_putc(sql, '.');
        }
        pg_ident(sql, m->fields[i].column);
    }
}

/* Appends one cell of field f (text format, not null) as its JSON value. */
static int cell_json(ssot_buf *out, const ssot_field *f, const char *text, size_t n) {
    switch (f->type) {
    case SSOT_TYPE_BOOL:
        return ssot_buf_puts(out, text[0] == 't' ? "true" : "false");
    case SSOT_TYPE_FLOAT: {
        char *end;
        double d = strtod(text, &end);
        /* NaN and infinities cannot be written through the REST layer; never expected */
        if (end == text) return ssot_buf_puts(out, "null");
        return ssot_buf_put_double(out, d);
    }
    case SSOT_TYPE_JSON: { /* kept as the REST layer wrote it: written compact, as SQLite's json() does */
        json_error_t jerr;
        json_t *v = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!v) return ssot_buf_append(out, text, n);
        int rc = ssot_json_write(out, v, 0);
        json_decref(v);
        return rc;
    }
    case SSOT_TYPE_INT:
        return ssot_buf_append(out, text, n);
    case SSOT_TYPE_ID:
        if (f->id_kind == SSOT_ID_INTEGER) return ssot_buf_append(out, text, n);
        return ssot_buf_put_json_string(out, text, n);
    default: /* string, text, datetime, enum, a UUID */
        return ssot_buf_put_json_string(out, text, n);
    }
}

int pg_row_json(ssot_buf *out, const ssot_model *m, const PGresult *r, int row, int col0) {
    ssot_buf_putc(out, '{');
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        int col = col0 + (int)i;
        if (i) ssot_buf_putc(out, ',');
        ssot_buf_put_json_string(out, f->name, strlen(f->name));
        ssot_buf_putc(out, ':');
        if (PQgetisnull(r, row, col))
            ssot_buf_puts(out, "null");
        else
            cell_json(out, f, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
    }
    ssot_buf_putc(out, '}');
    return out->failed ? -1 : 0;
}

const char *pg_row_id(const ssot_model *m, const PGresult *r, int row, int col0) {
    return PQgetvalue(r, row, col0 + (int)m->primary_key->index);
}

const char *pg_row_owner(const ssot_model *m, const PGresult *r, int row, int col0) {
    if (!m->owner) return NULL;
    int col = col0 + (int)m->owner->index;
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int pg_id_text(const ssot_model *m, const char *id, size_t n, char out[SSOT_ID_TEXT_SIZE]) {
    if (m->primary_key->id_kind == SSOT_ID_UUID) return ssot_uuid_normalize(id, n, out);
    int64_t v; /* "02" or "+2" names no row, as in the SQLite store (runtime-storage.md) */
    if (!ssot_int64_parse(id, n, &v)) return -1;
    snprintf(out, SSOT_ID_TEXT_SIZE, "%lld", (long long)v);
    return 0;
}

int pg_value_text(ssot_buf *out, const ssot_field *f, const json_t *value) {
    if (json_is_true(value)) return ssot_buf_puts(out, "true");
    if (json_is_false(value)) return ssot_buf_puts(out, "false");
    if (f->type == SSOT_TYPE_JSON) return ssot_json_write(out, value, 0);
    if (json_is_integer(value)) return ssot_buf_put_int(out, (int64_t)json_integer_value(value));
    if (json_is_real(value)) return ssot_buf_put_double(out, json_real_value(value));
    if (json_is_string(value)) return ssot_buf_append(out, json_string_value(value), json_string_length(value));
    return ssot_json_write(out, value, 0);
}
