/* The SQLite store's WAL checkpoints, mostly off the service thread. SQLite's automatic
 * checkpoint runs inside the commit that finds the WAL over 1000 pages: it copies them all
 * into the database and syncs both files, and every request waits meanwhile (about 10 ms
 * here). Instead, that commit wakes a checkpointer thread with a connection of its own,
 * which copies what the WAL holds (a PASSIVE checkpoint: it never blocks a reader or a
 * writer) while the service thread goes on answering. The WAL can only start over once a
 * checkpoint has copied every frame, and the writes that went on meanwhile added some: the
 * thread copies those too, and again, while that leaves fewer each time; then a commit
 * copies the last few itself (a short PASSIVE checkpoint in place) and the next write
 * restarts the WAL. Should the thread fall far behind, a commit checkpoints in place, as
 * SQLite would. Durability is unchanged: with
 * synchronous=NORMAL a commit is not synced either way, a checkpoint syncs before and after
 * copying. Uses SQLite, pthreads. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "runtime/store/store_sqlite.h"

#include "host/log.h"
#include "ssot.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Past `pages` frames in the WAL (ssot_sqlite_options.checkpoint_pages; SQLite's default
 * wal_autocheckpoint, 1000) a checkpoint starts. A commit copies in place what the thread
 * left when that is an eighth of it or less (or when the thread's passes stop leaving less);
 * at sixteen times it a commit stops waiting for the thread and checkpoints everything
 * itself (the WAL would otherwise grow without bound). */
#define FINISH_IN_PLACE(pages) ((pages) / 8)
#define BEHIND(pages) ((pages) * 16)

struct sq_checkpointer {
    int pages;     /* the WAL size that starts a checkpoint */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int requested; /* a commit asked the thread for a checkpoint */
    int busy;      /* the thread is checkpointing */
    int copied;    /* frames of this WAL that are in the database */
    int fresh;     /* the thread copied them, and no commit acted on that yet */
    int left;      /* frames the thread's pass before that one left (INT_MAX: none) */
    int last_pages; /* the WAL's size at the last commit (it shrinks when the WAL starts over) */
    int stopping;
    sqlite3 *db;   /* the thread's own connection to the file */
    char *path;
};

/* A PASSIVE checkpoint on db (the thread's connection, or the store's in place). Returns the
 * number of frames copied into the database so far, or -1. */
static int checkpoint(sqlite3 *db, const char *who) {
    int frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    if (rc == SQLITE_OK) return copied;
    /* BUSY: another connection is checkpointing; the next commit over the threshold retries */
    if (rc != SQLITE_BUSY)
        ssot_logf(SSOT_LOG_WARN, "%s: a WAL checkpoint (%s) failed: %s", sqlite3_db_filename(db, "main"), who,
                  sqlite3_errmsg(db));
    return -1;
}

static void *checkpointer_main(void *arg) {
    sq_checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->requested && !c->stopping) pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping) break;
        c->requested = 0;
        c->busy = 1;
        pthread_mutex_unlock(&c->lock);
        int copied = checkpoint(c->db, "checkpointer thread");
        pthread_mutex_lock(&c->lock);
        c->busy = 0;
        if (copied >= 0) c->copied = copied;
        c->fresh = copied >= 0;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Wakes the thread (the lock held). */
static void request(sq_checkpointer *c) {
    c->requested = 1;
    pthread_cond_signal(&c->wake);
}

/* sqlite3_wal_hook: after every commit of the store's connection, with the WAL's size in
 * frames. Decides who copies what (the file comment says why). */
static int on_commit(void *arg, sqlite3 *db, const char *name, int pages) {
    sq_checkpointer *c = arg;
    (void)name;
    int in_place = 0;
    pthread_mutex_lock(&c->lock);
    /* a write started the WAL over (perhaps as the thread finished): none of it is copied */
    if (pages < c->last_pages || pages < c->copied) {
        c->copied = 0;
        c->fresh = 0;
        c->left = INT_MAX;
    }
    c->last_pages = pages;
    if (pages >= c->pages && !c->busy && !c->requested) {
        int left = pages - c->copied;
        if (c->fresh && (left <= FINISH_IN_PLACE(c->pages) || left >= c->left)) {
            in_place = 1; /* few left, or the thread no longer gains on the writes */
            c->left = INT_MAX;
        } else if (left > FINISH_IN_PLACE(c->pages)) {
            if (c->fresh) c->left = left;
            request(c);
        }
        c->fresh = 0; /* acted on: if a reader keeps the WAL from starting over, wait for more */
    }
    if (pages >= BEHIND(c->pages)) in_place = 1;
    pthread_mutex_unlock(&c->lock);
    if (in_place) {
        int copied = checkpoint(db, "in place");
        pthread_mutex_lock(&c->lock);
        if (copied > c->copied) c->copied = copied;
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

static void free_checkpointer(sq_checkpointer *c) {
    sqlite3_close(c->db);
    free(c->path);
    free(c);
}

ssot_store_status sq_checkpointer_start(sqlite_store *s, int pages, ssot_store_error *err) {
    const char *file = sqlite3_db_filename(s->db, "main");
    sqlite3_stmt *stmt = NULL;
    int wal = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        wal = strcmp((const char *)sqlite3_column_text(stmt, 0), "wal") == 0;
    sqlite3_finalize(stmt);
    if (!wal || !file || !*file) return SSOT_STORE_OK; /* :memory: has no WAL: nothing to checkpoint */

    sq_checkpointer *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(file))) {
        free(c);
        return sq_fail(err, SSOT_STORE_ERROR, NULL, "out of memory");
    }
    c->pages = pages;
    c->left = INT_MAX;
    int rc = sqlite3_open_v2(c->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    /* a connection checkpoints only once it has opened the WAL, which its first read does */
    if (rc == SQLITE_OK) rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        ssot_store_status status = sq_fail(err, SSOT_STORE_ERROR, NULL, "%s: cannot open a connection for checkpoints: %s",
                                           s->path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        free_checkpointer(c);
        return status;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free_checkpointer(c);
        return sq_fail(err, SSOT_STORE_ERROR, NULL, "%s: cannot start the checkpointer thread", s->path);
    }
    s->checkpointer = c;
    sqlite3_wal_hook(s->db, on_commit, c); /* replaces SQLite's automatic checkpoint */
    return SSOT_STORE_OK;
}

void sq_checkpointer_wait(sqlite_store *s) {
    sq_checkpointer *c = s->checkpointer;
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    for (int waited_ms = 0; (c->requested || c->busy) && !c->stopping && waited_ms < 10000; waited_ms++) {
        pthread_mutex_unlock(&c->lock);
        struct timespec pause = {0, 1000000L};
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
}

void sq_checkpointer_stop(sqlite_store *s) {
    sq_checkpointer *c = s->checkpointer;
    if (!c) return;
    sqlite3_wal_hook(s->db, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free_checkpointer(c); /* closed first, so the store's connection is the last and checkpoints on close */
    s->checkpointer = NULL;
}
