/* The SQLite store (store.h): opening the database with ssot's durability settings, the
 * interface table, transactions and the mapping of SQLite errors to store statuses. The
 * schema, statements, reads, writes and the change stream live in store_sqlite_*.c.
 * Uses SQLite (store_sqlite.h). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "runtime/store/store_sqlite.h"
#include "runtime/store/store_messages.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

const char *ssot_store_status_name(ssot_store_status status) {
    static const char *const names[] = {"ok",     "not_found", "conflict", "invalid",     "denied", "rejected",
                                        "busy",   "cannot_recover", "schema", "full", "unavailable", "error"};
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "?";
}

const char *ssot_event_name(ssot_event_kind kind) {
    static const char *const names[] = {"created", "updated", "deleted"};
    return (unsigned)kind < 3 ? names[kind] : "?";
}

ssot_store_status sq_fail(ssot_store_error *err, ssot_store_status status, const ssot_field *field, const char *fmt,
                          ...) {
    err->status = status;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

/* The field of model whose column is named in an SQLite constraint message such as
 * "UNIQUE constraint failed: users.email" or "CHECK constraint failed: length("text") <= 10". */
static const ssot_field *field_in_message(const ssot_model *model, const char *msg) {
    if (!model || !msg) return NULL;
    size_t table_len = strlen(model->table);
    for (const char *p = strstr(msg, model->table); p; p = strstr(p + 1, model->table)) {
        if (p[table_len] != '.') continue;
        const char *name = p + table_len + 1;
        size_t n = strcspn(name, ", ");
        const ssot_field *f = ssot_model_field(model, name, n);
        if (f) return f;
    }
    for (size_t i = 0; i < model->nfields; i++) { /* CHECK messages quote the column */
        char quoted[80];
        snprintf(quoted, sizeof quoted, "\"%s\"", model->fields[i].column);
        if (strstr(msg, quoted)) return &model->fields[i];
    }
    return NULL;
}

int sq_foreign_key_error(sqlite_store *s) {
    /* ON DELETE RESTRICT fails through an internal trigger: SQLITE_CONSTRAINT_TRIGGER */
    int ext = sqlite3_extended_errcode(s->db);
    return ext == SQLITE_CONSTRAINT_FOREIGNKEY ||
           (ext == SQLITE_CONSTRAINT_TRIGGER && strstr(sqlite3_errmsg(s->db), "FOREIGN KEY") != NULL);
}

ssot_store_status sq_db_error(sqlite_store *s, const ssot_model *model, int rc, ssot_store_error *err) {
    const char *msg = sqlite3_errmsg(s->db);
    int ext = sqlite3_extended_errcode(s->db);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        const ssot_field *f = field_in_message(model, msg);
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return ssot_store_duplicate(err, model, f);
        if (ext == SQLITE_CONSTRAINT_NOTNULL) return ssot_store_required(err, f);
        if (sq_foreign_key_error(s))
            return ssot_store_missing_reference(err, f);
        return ssot_store_refused_value(err, f, msg);
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return sq_fail(err, SSOT_STORE_BUSY, NULL, "the database is busy (%s): try again", msg);
    return sq_io_error(s, rc, err);
}

/* What the file system says about why a write to the database failed, when SQLite's errno
 * is gone (it reports the last one, often overwritten by the rollback): 0, or ENOSPC (little
 * room left), EFBIG (the database or its WAL at the process's file size limit) or EROFS. */
static int probe_write_failure(const sqlite_store *s) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", s->path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    else snprintf(dir, sizeof dir, ".");
    struct statvfs fs;
    if (statvfs(dir, &fs) == 0) {
        if (fs.f_flag & ST_RDONLY) return EROFS;
        if ((uint64_t)fs.f_bavail * fs.f_frsize < 4u << 20) return ENOSPC;
    }
    struct rlimit limit;
    if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        char wal[PATH_MAX + 8];
        snprintf(wal, sizeof wal, "%s-wal", s->path);
        const char *files[] = {s->path, wal};
        for (int i = 0; i < 2; i++) {
            struct stat st;
            if (stat(files[i], &st) == 0 && (uint64_t)st.st_size + (1u << 20) > (uint64_t)limit.rlim_cur) return EFBIG;
        }
    }
    return 0;
}

ssot_store_status sq_io_error(sqlite_store *s, int rc, ssot_store_error *err) {
    int primary = rc & 0xff;
    int os = sqlite3_system_errno(s->db);
    if (primary == SQLITE_IOERR && os != ENOSPC && os != EFBIG && os != EDQUOT && os != EROFS && os != EACCES &&
        os != EPERM) {
        int probed = probe_write_failure(s);
        if (probed) os = probed;
    }
    if (primary == SQLITE_FULL || (primary == SQLITE_IOERR && (os == ENOSPC || os == EFBIG || os == EDQUOT)))
        return sq_fail(err, SSOT_STORE_FULL, NULL, "the database's disk is full%s (%s, %s): nothing was written",
                       os == EFBIG ? " (a file size limit)" : "", s->path, sqlite3_errstr(rc));
    if (primary == SQLITE_READONLY || (primary == SQLITE_IOERR && (os == EROFS || os == EACCES || os == EPERM)))
        return sq_fail(err, SSOT_STORE_UNAVAILABLE, NULL, "the database %s cannot be written (%s): nothing was written",
                       s->path, os ? strerror(os) : "read-only");
    if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN)
        return sq_fail(err, SSOT_STORE_UNAVAILABLE, NULL, "the database %s could not be read or written (%s%s%s)",
                       s->path, sqlite3_errstr(rc), os ? ": " : "", os ? strerror(os) : "");
    return sq_fail(err, SSOT_STORE_ERROR, NULL, "database error in %s: %s", s->path, sqlite3_errmsg(s->db));
}

int sq_exec(sqlite_store *s, sqlite3_stmt *stmt) {
    (void)s;
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

sqlite3_stmt *sq_prepare(sqlite_store *s, const char *sql, ssot_store_error *err) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        sq_fail(err, SSOT_STORE_ERROR, NULL, "preparing \"%.200s\": %s", sql, sqlite3_errmsg(s->db));
        return NULL;
    }
    return stmt;
}

ssot_store_status sq_begin_read(sqlite_store *s, const ssot_model *model, int *began, ssot_store_error *err) {
    *began = 0;
    if (!sqlite3_get_autocommit(s->db)) return SSOT_STORE_OK; /* inside a write or the snapshot: read its state */
    int rc = sq_exec(s, s->begin);
    if (rc != SQLITE_DONE) return sq_db_error(s, model, rc, err);
    if (s->snapshot)
        s->snapshot_open = 1; /* shared by the next reads */
    else
        *began = 1;
    return SSOT_STORE_OK;
}

void sq_end_read(sqlite_store *s, int began) {
    if (began) sq_rollback(s); /* a read transaction: nothing to commit */
}

void sq_rollback(sqlite_store *s) {
    if (!sqlite3_get_autocommit(s->db)) sq_exec(s, s->rollback);
}

ssot_store_status sq_commit(sqlite_store *s, const ssot_model *model, ssot_store_error *err) {
    int rc = sq_exec(s, s->commit);
    if (rc == SQLITE_DONE) return SSOT_STORE_OK;
    ssot_store_status status = sq_db_error(s, model, rc, err);
    sq_rollback(s);
    return status;
}

static void sqlite_close(ssot_store *store) {
    sqlite_store *s = (sqlite_store *)store;
    if (!s) return;
    sq_checkpointer_stop(s);
    sq_finalize_models(s);
    for (size_t i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(s->cache[i].stmt);
        free(s->cache[i].sql);
    }
    sqlite3_stmt *fixed[] = {s->begin,         s->begin_immediate, s->commit,        s->rollback,
                             s->stream_floor,  s->stream_position, s->change_insert, s->change_prune,
                             s->stream_epoch,
                             s->change_oldest, s->change_since, s->savepoint, s->release, s->rollback_to};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) sqlite3_finalize(fixed[i]);
    sqlite3_close(s->db); /* a WAL checkpoint happens here when this is the last connection */
    ssot_buf_free(&s->sql);
    ssot_buf_free(&s->scratch);
    ssot_buf_free(&s->existing);
    free(s->binds);
    free(s->owner_copy);
    free(s->path);
    free(s);
}

static const ssot_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .list = sq_list,
    .get = sq_get,
    .create = sq_create,
    .update = sq_update,
    .remove = sq_remove,
    .position = sq_position,
    .events_since = sq_events_since,
    .batch_begin = sq_batch_begin,
    .batch_end = sq_batch_end,
    .snapshot_begin = sq_snapshot_begin,
    .snapshot_end = sq_snapshot_end,
};

/* Creates the parent directory of path when it is missing (one level, like `mkdir`). */
static int make_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    struct stat st;
    if (stat(dir, &st) == 0) return 0;
    if (make_parent_dir(dir) != 0) return -1;
    return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* The pragmas every connection uses; docs/runtime-storage.md explains each. */
static ssot_store_status apply_pragmas(sqlite_store *s, int busy_timeout_ms, ssot_store_error *err) {
    sqlite3_busy_timeout(s->db, busy_timeout_ms);
    static const char *const pragmas[] = {
        "PRAGMA journal_mode = WAL",     /* readers never block the writer */
        "PRAGMA synchronous = NORMAL",   /* WAL + NORMAL: durable across crashes of the process */
        "PRAGMA foreign_keys = ON",      /* belongsTo references are enforced */
        "PRAGMA temp_store = MEMORY",
        /* 8 MiB of page cache per connection (default 2 MiB); not more: SQLite 3.40 scans the
         * whole cache at a commit that reused freed pages (pruning the change history frees
         * some), about 300 us with 32 MiB full */
        "PRAGMA cache_size = -8192",
    };
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, pragmas[i], NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            int files = (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN;
            sq_fail(err, SSOT_STORE_ERROR, NULL, "%s: %s failed: %s%s", s->path, pragmas[i], msg ? msg : "?",
                    files ? " (SQLite keeps two files next to the database, -wal and -shm: its directory must be "
                            "writable for this user)"
                          : "");
            sqlite3_free(msg);
            return SSOT_STORE_ERROR;
        }
    }
    return SSOT_STORE_OK;
}

static ssot_store_status prepare_fixed(sqlite_store *s, ssot_store_error *err) {
    struct {
        sqlite3_stmt **stmt;
        const char *sql;
    } fixed[] = {
        {&s->begin, "BEGIN"},
        {&s->begin_immediate, "BEGIN IMMEDIATE"},
        {&s->commit, "COMMIT"},
        {&s->rollback, "ROLLBACK"},
        {&s->savepoint, "SAVEPOINT ssot_write"},
        {&s->release, "RELEASE ssot_write"},
        {&s->rollback_to, "ROLLBACK TO ssot_write"},
        /* the newest event comes from the primary key (model, offset): one seek, no write */
        {&s->stream_position, "SELECT epoch, \"offset\", (SELECT max(c.\"offset\") FROM _ssot_changes AS c "
                              "WHERE c.model = ?1) FROM _ssot_streams WHERE model = ?1"},
        {&s->stream_floor, "UPDATE _ssot_streams SET \"offset\" = ?2 WHERE model = ?1"},
        {&s->stream_epoch, "UPDATE _ssot_streams SET epoch = ?2 WHERE model = ?1"},
        {&s->change_insert, "INSERT INTO _ssot_changes (model, \"offset\", event, row_id, owner, data, at, "
                            "previous_owner, previous) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
        {&s->change_prune, "DELETE FROM _ssot_changes WHERE model = ?1 AND \"offset\" <= ?2"},
        {&s->change_oldest, "SELECT min(\"offset\") FROM _ssot_changes WHERE model = ?1"},
        {&s->change_since, "SELECT \"offset\", event, row_id, owner, data, at, previous_owner, previous "
                           "FROM _ssot_changes WHERE model = ?1 AND \"offset\" > ?2 ORDER BY \"offset\""},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!(*fixed[i].stmt = sq_prepare(s, fixed[i].sql, err))) return SSOT_STORE_ERROR;
    return SSOT_STORE_OK;
}

ssot_store_status ssot_store_sqlite_open(const ssot_app *app, const ssot_sqlite_options *options,
                                         ssot_store **out, ssot_store_error *err) {
    *out = NULL;
    err->status = SSOT_STORE_OK;
    err->field = NULL;
    err->message[0] = '\0';
    const char *path = options && options->path ? options->path : app->serve.database;
    if (!path) return sq_fail(err, SSOT_STORE_ERROR, NULL, "no database file: set serve.database or pass --db FILE");
    if (options && options->create_dirs && strcmp(path, ":memory:") != 0 && make_parent_dir(path) != 0)
        return sq_fail(err, SSOT_STORE_ERROR, NULL, "cannot create the directory of %s: %s", path, strerror(errno));
    sqlite_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    }
    s->base.ops = &sqlite_ops;
    s->base.app = app;
    s->history = options && options->history > 0 ? options->history : 1000;
    int busy = options && options->busy_timeout_ms > 0 ? options->busy_timeout_ms : 5000;
    ssot_store_status status = SSOT_STORE_OK;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status = sq_fail(err, SSOT_STORE_ERROR, NULL, "cannot open the database %s: %s", path,
                         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if (sqlite3_db_readonly(s->db, "main") == 1) { /* SQLite fell back to read-only */
        status = sq_fail(err, SSOT_STORE_ERROR, NULL,
                         "the database %s is read-only (the file's permissions, or a read-only file system): "
                         "ssot serve writes to it; make it writable for this user, or give another with --db",
                         path);
        goto fail;
    }
    if (sq_register_functions(s->db) != SQLITE_OK) {
        status = sq_fail(err, SSOT_STORE_ERROR, NULL, "%s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if ((status = apply_pragmas(s, busy, err)) != SSOT_STORE_OK) goto fail;
    if ((status = sq_schema_sync(s, err)) != SSOT_STORE_OK) goto fail;
    if ((status = prepare_fixed(s, err)) != SSOT_STORE_OK) goto fail;
    if ((status = sq_ensure_streams(s, err)) != SSOT_STORE_OK) goto fail;
    if ((status = sq_prepare_models(s, err)) != SSOT_STORE_OK) goto fail;
    int checkpoint_pages = options && options->checkpoint_pages > 0 ? options->checkpoint_pages : 1000;
    if ((status = sq_checkpointer_start(s, checkpoint_pages, err)) != SSOT_STORE_OK) goto fail;
    *out = &s->base;
    return SSOT_STORE_OK;
fail:
    sqlite_close(&s->base);
    return status;
}
