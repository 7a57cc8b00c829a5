/* Migrating a recorded model to its new definition (docs/runtime-storage.md, "How the schema
 * follows the config"): ALTER TABLE ADD COLUMN for additions, a table rebuild for changes
 * SQLite cannot make in place, refusals naming the field, the change and what to do for
 * anything that could lose or misread data; and adopting a table that has no record.
 * Uses SQLite, jansson (store_sqlite_schema.h). */
#include "runtime/store/store_sqlite_schema.h"

#include "runtime/model/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A table that exists without a record (made from schema.sql, or migrated by hand and its
 * record deleted): adopted when its columns fit the model. */
void sq_adopt_model(sync_ctx *c, const ssot_model *m, json_t *def) {
    json_t *cols = sq_table_columns(c, m->table);
    if (!cols) return;
    size_t before = c->nproblems;
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        json_t *col = json_object_get(cols, f->column);
        if (!col) {
            sq_refuse(c, "%s.%s: the existing table \"%s\" has no column \"%s\". Add it by hand (sqlite3 %s 'ALTER TABLE "
                       "\"%s\" ADD COLUMN ...'), or remove the field.",
                    m->name, f->name, m->table, f->column, c->s->path, m->table);
        } else if (strcasecmp(sq_def_str(col, "type"), f->sql_type) != 0) {
            sq_refuse(c, "%s.%s: the column \"%s\" of the existing table \"%s\" has type %s, the config says %s (%s). "
                       "Change the field's type back, or migrate the table by hand.",
                    m->name, f->name, f->column, m->table, sq_def_str(col, "type"), f->sql_type, f->type_name);
        }
        json_object_del(cols, f->column);
    }
    const char *name;
    json_t *col;
    json_object_foreach(cols, name, col) {
        if (json_is_true(json_object_get(col, "notnull")))
            sq_refuse(c, "%s: the existing table \"%s\" has a NOT NULL column \"%s\" the config does not know, so ssot "
                       "could not insert rows. Add the field to the model, or drop the column by hand.",
                    m->name, m->table, name);
    }
    json_decref(cols);
    if (c->nproblems != before || c->failed) return;
    sq_create_indexes(c, def);
    if (!c->failed) sq_record_model(c, m, def);
}

/* Whether a field added to an existing table can be added with ALTER TABLE ADD COLUMN (or a
 * rebuild); reports a problem when it cannot. */
static int addable(sync_ctx *c, const ssot_model *m, const ssot_field *f) {
    if (f->type == SSOT_TYPE_ID) {
        sq_refuse(c, "%s.%s: the id field changed. ssot cannot change a table's primary key: change it back, or migrate "
                   "by hand (docs/runtime-storage.md, \"Migrating by hand\").",
                m->name, f->name);
        return 0;
    }
    if (!f->optional && !f->default_value && f->auto_kind == SSOT_AUTO_NONE) {
        sq_refuse(c, "%s.%s: a new required field without a default; the existing rows of \"%s\" would have no value. "
                   "Give it a default (default = ...), or make it optional (optional = true).",
                m->name, f->name, m->table);
        return 0;
    }
    return 1;
}

/* "ALTER TABLE t ADD COLUMN <def>" for a new field. SQLite refuses UNIQUE, non-constant
 * defaults and, for a REFERENCES column, a non-null default there: UNIQUE becomes a unique
 * index, an auto datetime's default becomes the migration time, and the foreign key is added
 * as a column constraint. Returns 1 when done, 0 when the table must be rebuilt instead. */
static int add_column(sync_ctx *c, const ssot_model *m, const ssot_field *f, json_t *jf) {
    if (f->ref_model && !f->optional) return 0;
    ssot_buf sql = SSOT_BUF_INIT;
    ssot_buf_puts(&sql, "ALTER TABLE ");
    sq_ident(&sql, m->table);
    ssot_buf_puts(&sql, " ADD COLUMN ");
    const char *ddl = sq_def_str(jf, "ddl");
    static const char unique[] = " UNIQUE";
    static const char now[] = " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    const char *u = strstr(ddl, unique), *d = strstr(ddl, now);
    for (const char *p = ddl; *p;) {
        if (p == u) {
            p += sizeof unique - 1;
        } else if (p == d) {
            char at[25];
            ssot_datetime_now(at);
            ssot_buf_printf(&sql, " DEFAULT '%s'", at);
            p += sizeof now - 1;
        } else {
            ssot_buf_putc(&sql, *p++);
        }
    }
    const char *fk = sq_def_str(jf, "foreign_key");
    const char *refs = strstr(fk, " REFERENCES ");
    if (refs) ssot_buf_puts(&sql, refs);
    int ok = sq_sync_exec(c, ssot_buf_cstr(&sql)) == 0;
    if (ok && u) {
        ssot_buf_reset(&sql);
        ssot_buf_printf(&sql, "CREATE UNIQUE INDEX ");
        char name[200];
        snprintf(name, sizeof name, "%s_%s_unique", m->table, f->column);
        sq_ident(&sql, name);
        ssot_buf_puts(&sql, " ON ");
        sq_ident(&sql, m->table);
        ssot_buf_puts(&sql, " (");
        sq_ident(&sql, f->column);
        ssot_buf_puts(&sql, ")");
        sq_sync_exec(c, ssot_buf_cstr(&sql));
    }
    ssot_buf_free(&sql);
    return 1;
}

/* Rebuilds table m from its new DDL, copying every kept column (SQLite's documented
 * procedure: create new, copy, drop old, rename; foreign keys are off during the sync).
 * fill: for each field, whether nulls take the field's default. */
static void rebuild_model(sync_ctx *c, const ssot_model *m, json_t *recorded, json_t *def, const char *fill) {
    char tmp[160];
    snprintf(tmp, sizeof tmp, "_ssot_new_%s", m->table);
    char *ddl = sq_ddl_create_table(c, m, tmp);
    if (!ddl) return;
    int64_t seq = 0; /* sqlite_sequence exists only once an AUTOINCREMENT table does */
    if (sq_table_exists(c, "sqlite_sequence"))
        seq = sq_query_int(c, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?1", m->table);
    ssot_buf sql = SSOT_BUF_INIT, cols = SSOT_BUF_INIT, vals = SSOT_BUF_INIT;
    json_t *old_fields = json_object_get(recorded, "fields");
    int nfill = 0;
    for (size_t i = 0; i < m->nfields; i++) {
        const ssot_field *f = &m->fields[i];
        if (!sq_def_find(old_fields, f->name)) continue; /* new: takes its DDL default */
        if (cols.len) {
            ssot_buf_puts(&cols, ", ");
            ssot_buf_puts(&vals, ", ");
        }
        sq_ident(&cols, f->column);
        if (fill[i]) {
            ssot_buf_puts(&vals, "coalesce(");
            sq_ident(&vals, f->column);
            ssot_buf_printf(&vals, ", ?%d)", ++nfill);
        } else {
            sq_ident(&vals, f->column);
        }
    }
    ssot_buf_puts(&sql, "INSERT INTO ");
    sq_ident(&sql, tmp);
    ssot_buf_printf(&sql, " (%s) SELECT %s FROM ", ssot_buf_cstr(&cols), ssot_buf_cstr(&vals));
    sq_ident(&sql, m->table);
    if (sq_sync_exec(c, ddl) == 0) {
        sqlite3_stmt *copy = NULL;
        int rc = sqlite3_prepare_v2(c->s->db, ssot_buf_cstr(&sql), -1, &copy, NULL);
        for (size_t i = 0, k = 0; rc == SQLITE_OK && i < m->nfields; i++)
            if (fill[i]) sq_bind_json(c->s, copy, (int)++k, &m->fields[i], m->fields[i].default_value);
        if (rc == SQLITE_OK) rc = sqlite3_step(copy);
        if (rc != SQLITE_DONE)
            sq_refuse(c, "%s: the table \"%s\" must be rebuilt for the new definition, but its rows do not fit it: %s. "
                       "Fix those rows by hand, or undo the change.",
                    m->name, m->table, sqlite3_errmsg(c->s->db));
        sqlite3_finalize(copy);
    }
    if (!c->failed && c->nproblems == 0) {
        ssot_buf_reset(&sql);
        ssot_buf_puts(&sql, "DROP TABLE ");
        sq_ident(&sql, m->table);
        ssot_buf_puts(&sql, "; ALTER TABLE ");
        sq_ident(&sql, tmp);
        ssot_buf_puts(&sql, " RENAME TO ");
        sq_ident(&sql, m->table);
        if (sq_sync_exec(c, ssot_buf_cstr(&sql)) == 0 && seq > 0) {
            /* keep AUTOINCREMENT from handing out ids of rows deleted before the rebuild */
            sqlite3_stmt *stmt = NULL;
            if (sqlite3_prepare_v2(c->s->db, "UPDATE sqlite_sequence SET seq = max(seq, ?2) WHERE name = ?1", -1,
                                   &stmt, NULL) == SQLITE_OK) {
                sqlite3_bind_text(stmt, 1, m->table, -1, SQLITE_STATIC);
                sqlite3_bind_int64(stmt, 2, seq);
                if (sqlite3_step(stmt) != SQLITE_DONE)
                    sq_sync_error(c, "%s: keeping the id sequence of %s: %s", c->s->path, m->table,
                               sqlite3_errmsg(c->s->db));
            }
            sqlite3_finalize(stmt);
        }
        if (!c->failed) sq_create_indexes(c, def);
    }
    ssot_buf_free(&sql);
    ssot_buf_free(&cols);
    ssot_buf_free(&vals);
    free(ddl);
}

/* Compares the recorded definition of m with the IR's and applies what can be applied. */
void sq_migrate_model(sync_ctx *c, const ssot_model *m, json_t *recorded, json_t *def) {
    size_t before = c->nproblems;
    if (strcmp(sq_def_str(recorded, "table"), m->table) != 0) {
        sq_refuse(c, "%s: its table was \"%s\" and is now \"%s\"; ssot does not rename tables. Rename it by hand: "
                   "sqlite3 %s 'ALTER TABLE \"%s\" RENAME TO \"%s\"; DELETE FROM _ssot_schema WHERE model = ''%s''', "
                   "then start again.",
                m->name, sq_def_str(recorded, "table"), m->table, c->s->path, sq_def_str(recorded, "table"), m->table, m->name);
        return;
    }
    json_t *old_fields = json_object_get(recorded, "fields");
    json_t *new_fields = json_object_get(def, "fields");
    json_t *cols = sq_table_columns(c, m->table);
    if (!cols) return;
    size_t i;
    json_t *of;
    json_array_foreach(old_fields, i, of) {
        const char *name = sq_def_str(of, "name");
        if (ssot_model_field(m, name, strlen(name))) continue;
        if (!json_object_get(cols, name)) continue; /* dropped by hand already */
        int64_t rows = sq_row_count(c, m->table);
        int plain = !json_is_true(json_object_get(of, "unique")) && !json_object_get(of, "references") &&
                    !sq_column_indexed(c, m->table, name);
        if (plain)
            sq_refuse(c, "%s.%s: the field was removed from the config, but the column \"%s\" of \"%s\" still holds its "
                       "data (%lld row%s). Put the field back (optional = true if you no longer need it), or drop the "
                       "column by hand: sqlite3 %s 'ALTER TABLE \"%s\" DROP COLUMN \"%s\"', then start again.",
                    m->name, name, name, m->table, (long long)rows, rows == 1 ? "" : "s", c->s->path, m->table, name);
        else
            sq_refuse(c, "%s.%s: the field was removed from the config, but the column \"%s\" of \"%s\" still holds its "
                       "data (%lld row%s). Put the field back (optional = true if you no longer need it), or remove the "
                       "column by hand: it is unique, indexed or a foreign key, so SQLite needs the table rebuilt "
                       "(docs/runtime-storage.md, \"Migrating by hand\").",
                    m->name, name, name, m->table, (long long)rows, rows == 1 ? "" : "s");
    }
    json_decref(cols);

    char *fill = calloc(m->nfields + 1, 1);
    int rebuild = 0;
    const ssot_field **added = calloc(m->nfields + 1, sizeof *added);
    size_t nadded = 0;
    if (!added) {
        free(fill);
        fill = NULL;
    }
    for (size_t k = 0; fill && k < m->nfields; k++) {
        const ssot_field *f = &m->fields[k];
        json_t *nf = json_array_get(new_fields, k);
        json_t *rf = sq_def_find(old_fields, f->name);
        if (!rf) {
            if (addable(c, m, f)) added[nadded++] = f;
            continue;
        }
        if (strcmp(sq_def_str(rf, "type"), f->type_name) != 0 || strcmp(sq_def_str(rf, "sql_type"), f->sql_type) != 0 ||
            strcmp(sq_def_str(rf, "id_kind"), sq_def_str(nf, "id_kind")) != 0) {
            const char *old_kind = sq_def_str(rf, "id_kind"), *new_kind = sq_def_str(nf, "id_kind");
            sq_refuse(c, "%s.%s: the type changed from %s%s%s to %s%s%s; ssot does not convert stored data. Change the "
                       "type back, or migrate by hand (docs/runtime-storage.md, \"Migrating by hand\").",
                    m->name, f->name, sq_def_str(rf, "type"), *old_kind ? " " : "", old_kind, f->type_name,
                    *new_kind ? " " : "", new_kind);
            continue;
        }
        if (json_is_true(json_object_get(rf, "optional")) && !f->optional) {
            if (!f->default_value) {
                sq_refuse(c, "%s.%s: changed from optional to required without a default; existing rows may hold null. "
                           "Give it a default (rows holding null get it), or keep it optional.",
                        m->name, f->name);
                continue;
            }
            fill[k] = 1;
        }
        if (strcmp(sq_def_str(rf, "ddl"), sq_def_str(nf, "ddl")) != 0 ||
            strcmp(sq_def_str(rf, "foreign_key"), sq_def_str(nf, "foreign_key")) != 0)
            rebuild = 1;
    }
    if (c->nproblems == before && !c->failed && fill) {
        if (rebuild) {
            rebuild_model(c, m, recorded, def, fill);
        } else {
            int must_rebuild = 0;
            for (size_t k = 0; k < nadded && !c->failed; k++)
                if (!add_column(c, m, added[k], json_array_get(new_fields, added[k]->index))) must_rebuild = 1;
            if (must_rebuild) rebuild_model(c, m, recorded, def, fill);
            /* indexes: drop the ones that went or changed, create the new ones */
            json_t *old_ix = json_object_get(recorded, "indexes"), *new_ix = json_object_get(def, "indexes");
            json_t *ix;
            json_array_foreach(old_ix, i, ix) {
                json_t *now = sq_def_find(new_ix, sq_def_str(ix, "name"));
                if (must_rebuild || (now && strcmp(sq_def_str(now, "ddl"), sq_def_str(ix, "ddl")) == 0)) continue;
                ssot_buf sql = SSOT_BUF_INIT;
                ssot_buf_puts(&sql, "DROP INDEX IF EXISTS ");
                sq_ident(&sql, sq_def_str(ix, "name"));
                sq_sync_exec(c, ssot_buf_cstr(&sql));
                ssot_buf_free(&sql);
            }
            json_array_foreach(new_ix, i, ix) {
                json_t *was = sq_def_find(old_ix, sq_def_str(ix, "name"));
                if (must_rebuild || (was && strcmp(sq_def_str(was, "ddl"), sq_def_str(ix, "ddl")) == 0)) continue;
                if (sq_sync_try(c, sq_def_str(ix, "ddl")) != SQLITE_OK) {
                    sq_refuse(c, "%s: cannot create the index \"%s\": %s. Fix the rows that break it, or undo the "
                               "change.",
                            m->name, sq_def_str(ix, "name"), sqlite3_errmsg(c->s->db));
                }
            }
        }
    }
    if (!fill) sq_sync_error(c, "out of memory");
    free(fill);
    free(added);
    if (c->nproblems == before && !c->failed) sq_record_model(c, m, def);
}
