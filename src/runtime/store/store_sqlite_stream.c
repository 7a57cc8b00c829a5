/* The SQLite store's change stream (docs/runtime-storage.md): per model an epoch and an offset
 * in _ssot_streams, and the recent events in _ssot_changes (an update's with the row before
 * it), written in the transaction of the row they describe; the current position; and
 * gap-free replay since a position.
 * Uses SQLite, OpenSSL RAND_bytes (store_sqlite.h), store_stream.h (the checks both stores share). */
#include "runtime/store/store_sqlite.h"
#include "runtime/store/store_stream.h"

#include "runtime/model/value.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* A write does not touch _ssot_streams: its offset is the newest event's plus one;
 * _ssot_streams."offset" is only a floor written when pruning (SQLite's one writer at a time
 * needs no counter row to order writers). */
#define PRUNE_EVERY SSOT_STREAM_PRUNE_EVERY

static int new_epoch(char epoch[SSOT_EPOCH_SIZE]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return -1;
    for (size_t i = 0; i < sizeof bytes; i++) {
        epoch[2 * i] = hex[bytes[i] >> 4];
        epoch[2 * i + 1] = hex[bytes[i] & 15];
    }
    epoch[32] = '\0';
    return 0;
}

ssot_store_status sq_ensure_streams(sqlite_store *s, ssot_store_error *err) {
    sqlite3_stmt *stmt = sq_prepare(s, "INSERT OR IGNORE INTO _ssot_streams (model, epoch, \"offset\") "
                                       "VALUES (?1, ?2, 0)", err);
    if (!stmt) return SSOT_STORE_ERROR;
    ssot_store_status status = SSOT_STORE_OK;
    int rc = sq_exec(s, s->begin_immediate);
    if (rc != SQLITE_DONE) status = sq_db_error(s, NULL, rc, err);
    for (size_t i = 0; status == SSOT_STORE_OK && i < s->base.app->nmodels; i++) {
        char epoch[SSOT_EPOCH_SIZE];
        if (new_epoch(epoch) != 0) {
            status = sq_fail(err, SSOT_STORE_ERROR, NULL, "no random bytes for a stream epoch");
            break;
        }
        sqlite3_bind_text(stmt, 1, s->base.app->models[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, epoch, -1, SQLITE_STATIC);
        rc = sq_exec(s, stmt);
        if (rc != SQLITE_DONE) status = sq_db_error(s, NULL, rc, err);
    }
    sqlite3_finalize(stmt);
    if (status == SSOT_STORE_OK) return sq_commit(s, NULL, err);
    sq_rollback(s);
    return status;
}

int sq_capture_view(sqlite_store *s, const ssot_row_view *row, ssot_buf *out, ssot_change *change) {
    size_t start = out->len;
    if (ssot_buf_append(out, row->json, row->json_len) != 0) return -1;
    size_t id_len = row->id ? strlen(row->id) : 0;
    if (id_len >= sizeof s->id_copy) id_len = sizeof s->id_copy - 1;
    memcpy(s->id_copy, row->id ? row->id : "", id_len);
    s->id_copy[id_len] = '\0';
    const char *owner = NULL;
    if (row->owner) {
        size_t n = strlen(row->owner) + 1;
        if (n > s->owner_copy_cap) {
            char *copy = realloc(s->owner_copy, n);
            if (!copy) return -1;
            s->owner_copy = copy;
            s->owner_copy_cap = n;
        }
        memmove(s->owner_copy, row->owner, n);
        owner = s->owner_copy;
    }
    change->row.json = out->data + start;
    change->row.json_len = row->json_len;
    change->row.id = s->id_copy;
    change->row.owner = owner;
    return 0;
}

int sq_capture_row(sqlite_store *s, sqlite3_stmt *stmt, ssot_buf *out, ssot_change *change) {
    ssot_row_view row;
    sq_row_view(stmt, &row);
    return sq_capture_view(s, &row, out, change);
}

/* Reads a model's position: the larger of the recorded floor and the newest event's offset.
 * *lost is set when the history is empty although the floor is not 0 — events were deleted
 * behind ssot's back, so offsets could repeat: the next write starts a new epoch. */
static ssot_store_status read_stream(sqlite_store *s, const ssot_model *model, ssot_stream_position *pos, int *lost,
                                     ssot_store_error *err) {
    sqlite3_stmt *stmt = s->stream_position;
    sqlite3_bind_text(stmt, 1, model->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    ssot_store_status status = SSOT_STORE_OK;
    if (rc == SQLITE_ROW) {
        const char *epoch = (const char *)sqlite3_column_text(stmt, 0);
        strncpy(pos->epoch, epoch ? epoch : "", SSOT_EPOCH_SIZE - 1);
        pos->epoch[SSOT_EPOCH_SIZE - 1] = '\0';
        int64_t floor = sqlite3_column_int64(stmt, 1);
        int have = sqlite3_column_type(stmt, 2) != SQLITE_NULL;
        int64_t newest = have ? sqlite3_column_int64(stmt, 2) : 0;
        pos->offset = newest > floor ? newest : floor;
        *lost = !have && floor > 0;
    } else if (rc == SQLITE_DONE) {
        status = sq_fail(err, SSOT_STORE_ERROR, NULL, "no change stream for %s", model->name);
    } else {
        status = sq_db_error(s, model, rc, err);
    }
    sqlite3_reset(stmt);
    return status;
}

/* Runs a two-parameter (model, value) statement of the stream. */
static int stream_update(sqlite_store *s, sqlite3_stmt *stmt, const ssot_model *model, const char *text,
                         int64_t value) {
    sqlite3_bind_text(stmt, 1, model->name, -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(stmt, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(stmt, 2, value);
    return sq_exec(s, stmt);
}

ssot_store_status sq_append_change(sqlite_store *s, const ssot_model *model, ssot_event_kind kind, ssot_change *change,
                                   ssot_store_error *err) {
    ssot_stream_position pos;
    int lost = 0, rc;
    ssot_store_status status = read_stream(s, model, &pos, &lost, err);
    if (status != SSOT_STORE_OK) return status;
    if (lost) {
        if (new_epoch(pos.epoch) != 0) return sq_fail(err, SSOT_STORE_ERROR, NULL, "no random bytes for a stream epoch");
        rc = stream_update(s, s->stream_epoch, model, pos.epoch, 0);
        if (rc != SQLITE_DONE) return sq_db_error(s, model, rc, err);
    }
    change->model = model;
    change->kind = kind;
    change->offset = pos.offset + 1;
    memcpy(change->epoch, pos.epoch, SSOT_EPOCH_SIZE);
    ssot_datetime_now(s->at);
    change->at = s->at;

    sqlite3_stmt *ins = s->change_insert;
    sqlite3_bind_text(ins, 1, model->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 2, change->offset);
    sqlite3_bind_text(ins, 3, ssot_event_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 4, change->row.id, -1, SQLITE_STATIC);
    if (change->row.owner)
        sqlite3_bind_text(ins, 5, change->row.owner, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(ins, 5);
    sqlite3_bind_text(ins, 6, change->row.json, (int)change->row.json_len, SQLITE_STATIC);
    sqlite3_bind_text(ins, 7, s->at, -1, SQLITE_STATIC);
    /* the row before an update, for the gateway's filtering of replayed events; NULL for
     * created and deleted (clear_bindings left ?8 and ?9 NULL) */
    const ssot_row_view *before = &change->previous;
    if (kind == SSOT_EVENT_UPDATED && before->json) {
        if (before->owner) sqlite3_bind_text(ins, 8, before->owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 9, before->json, (int)before->json_len, SQLITE_STATIC);
    }
    rc = sq_exec(s, ins);
    sqlite3_clear_bindings(ins);
    if (rc != SQLITE_DONE) return sq_db_error(s, model, rc, err);

    /* every PRUNE_EVERY events: record the offset as the stream's floor (so the position
     * survives the history) and drop events older than the kept history */
    if (change->offset % PRUNE_EVERY == 0) {
        rc = stream_update(s, s->stream_floor, model, NULL, change->offset);
        if (rc == SQLITE_DONE && change->offset > s->history)
            rc = stream_update(s, s->change_prune, model, NULL, change->offset - s->history);
        if (rc != SQLITE_DONE) return sq_db_error(s, model, rc, err);
    }
    return SSOT_STORE_OK;
}

ssot_store_status sq_read_position(sqlite_store *s, const ssot_model *model, ssot_stream_position *pos,
                                   ssot_store_error *err) {
    int lost;
    return read_stream(s, model, pos, &lost, err);
}

ssot_store_status sq_position(ssot_store *store, const ssot_model *model, ssot_stream_position *pos,
                              ssot_store_error *err) {
    return sq_read_position((sqlite_store *)store, model, pos, err);
}

static ssot_event_kind event_kind(const char *name) {
    if (name && strcmp(name, "updated") == 0) return SSOT_EVENT_UPDATED;
    if (name && strcmp(name, "deleted") == 0) return SSOT_EVENT_DELETED;
    return SSOT_EVENT_CREATED;
}

/* Inside the read transaction: whether every event after since is still in the history. */
static ssot_store_status check_gap(sqlite_store *s, const ssot_model *model, const ssot_stream_position *since,
                                   const ssot_stream_position *now, ssot_store_error *err) {
    ssot_store_status status = ssot_stream_check_since(model, since, now, err);
    if (status != SSOT_STORE_OK || since->offset == now->offset) return status;
    sqlite3_stmt *oldest = s->change_oldest;
    sqlite3_bind_text(oldest, 1, model->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(oldest);
    int have = rc == SQLITE_ROW && sqlite3_column_type(oldest, 0) != SQLITE_NULL;
    int64_t first = have ? sqlite3_column_int64(oldest, 0) : 0;
    sqlite3_reset(oldest);
    if (rc != SQLITE_ROW) return sq_db_error(s, model, rc, err);
    return ssot_stream_check_kept(model, since, now, have, first, err);
}

ssot_store_status sq_events_since(ssot_store *store, const ssot_model *model, const ssot_stream_position *since,
                                  ssot_change_visit_fn visit, void *ctx, ssot_stream_position *now_out,
                                  ssot_store_error *err) {
    sqlite_store *s = (sqlite_store *)store;
    int began = 0, rc;
    ssot_store_status status = sq_begin_read(s, model, &began, err);
    if (status != SSOT_STORE_OK) return status;
    ssot_stream_position now;
    status = sq_read_position(s, model, &now, err);
    if (status == SSOT_STORE_OK) status = check_gap(s, model, since, &now, err);
    if (status == SSOT_STORE_OK && since->offset < now.offset) {
        /* The events are copied out first and visited after the statement was reset: a
         * visitor may read through the store (a Lua rule filtering the replay). */
        ssot_buf events = SSOT_BUF_INIT;
        size_t count = 0;
        sqlite3_stmt *stmt = s->change_since;
        sqlite3_bind_text(stmt, 1, model->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, since->offset);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            int64_t offset = sqlite3_column_int64(stmt, 0);
            if (offset > now.offset) break; /* cannot happen in one read transaction */
            sq_pack_int(&events, offset);
            for (int col = 1; col <= 7; col++) sq_pack_column(&events, stmt, col);
            count++;
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) status = sq_db_error(s, model, rc, err);
        else if (events.failed) status = sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
        sqlite3_reset(stmt);
        ssot_change change;
        memset(&change, 0, sizeof change);
        change.model = model;
        memcpy(change.epoch, now.epoch, SSOT_EPOCH_SIZE);
        const char *at = events.data;
        for (size_t i = 0; status == SSOT_STORE_OK && i < count; i++) {
            size_t n;
            change.offset = sq_unpack_int(&at);
            change.kind = event_kind(sq_unpack_text(&at, &n));
            change.row.id = sq_unpack_text(&at, &n);
            change.row.owner = sq_unpack_text(&at, &n);
            change.row.json = sq_unpack_text(&at, &change.row.json_len);
            change.at = sq_unpack_text(&at, &n);
            /* an update's row before it: NULL for other events, and for updates written before
             * _ssot_changes had the column */
            const char *previous_owner = sq_unpack_text(&at, &n);
            change.previous = (ssot_row_view){0};
            change.previous.json = sq_unpack_text(&at, &change.previous.json_len);
            if (change.previous.json) {
                change.previous.id = change.row.id;
                change.previous.owner = previous_owner;
            }
            if (visit(ctx, &change) != 0)
                status = sq_fail(err, SSOT_STORE_REJECTED, NULL, "the replay was stopped by its visitor");
        }
        ssot_buf_free(&events);
    }
    if (status == SSOT_STORE_OK && now_out) *now_out = now;
    sq_end_read(s, began);
    return status;
}
