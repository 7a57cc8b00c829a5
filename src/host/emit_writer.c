/* The emitter's background writer: files queued by the Lua thread are written (atomically,
 * emit_file.c) on a second thread, so that creating them, which on a journalling file system
 * costs about as much as generating them, overlaps the phases' work. The writer never touches
 * Lua; each job owns a copy of its content. POSIX threads. */
#define _POSIX_C_SOURCE 200809L /* PATH_MAX, pthreads */
#include "host/emit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Queued content above this waits for the writer to catch up (bounds the copies in memory). */
#define MAX_QUEUED_BYTES ((size_t)64 << 20)

typedef struct writer_job {
    struct writer_job *next;
    size_t tag;  /* the caller's number for the file */
    size_t len;  /* of the content */
    char *name;  /* in data, after the directory */
    char data[]; /* directory, NUL, name, NUL, content */
} writer_job;

struct ssot_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* a job was queued, or stop was asked */
    pthread_cond_t progress; /* a job was done */
    writer_job *head, *tail;
    size_t queued_bytes;
    bool working; /* a job is out of the queue but not done */
    bool stop;
    /* The first failure; the files not written since (tags) are listed in unwritten. */
    bool failed;
    char error[SSOT_EMIT_ERROR_SIZE];
    size_t *unwritten, unwritten_count, unwritten_cap;
};

/* Records that the job's file was not written. Called with the lock held. */
static void note_unwritten(ssot_writer *w, const writer_job *job) {
    if (w->unwritten_count == w->unwritten_cap) {
        size_t cap = w->unwritten_cap ? w->unwritten_cap * 2 : 16;
        size_t *bigger = realloc(w->unwritten, cap * sizeof *bigger);
        if (!bigger) return; /* the error is kept either way */
        w->unwritten = bigger;
        w->unwritten_cap = cap;
    }
    w->unwritten[w->unwritten_count++] = job->tag;
}

static void *writer_main(void *arg) {
    ssot_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stop) pthread_cond_wait(&w->wake, &w->lock);
        writer_job *job = w->head;
        if (!job) break; /* stopping, and nothing left */
        w->head = job->next;
        if (!w->head) w->tail = NULL;
        w->working = true;
        bool skip = w->failed || w->stop;
        pthread_mutex_unlock(&w->lock);

        char err[SSOT_EMIT_ERROR_SIZE];
        int result = skip ? -1 : ssot_write_atomic(job->data, job->name, job->name + strlen(job->name) + 1, job->len,
                                                   false, err);

        pthread_mutex_lock(&w->lock);
        if (result != 0) {
            if (!skip && !w->failed) {
                w->failed = true;
                memcpy(w->error, err, sizeof w->error);
            }
            note_unwritten(w, job);
        }
        w->queued_bytes -= job->len;
        w->working = false;
        free(job);
        pthread_cond_broadcast(&w->progress);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

ssot_writer *ssot_writer_start(void) {
    ssot_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->progress, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->progress);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

int ssot_writer_submit(ssot_writer *w, size_t tag, const char *dir, const char *name, const char *data, size_t len,
                       char *err) {
    size_t dir_len = strlen(dir), name_len = strlen(name);
    writer_job *job = malloc(sizeof *job + dir_len + 1 + name_len + 1 + len);
    if (!job) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "%s/%s: out of memory", dir, name);
        return -1;
    }
    job->next = NULL;
    job->tag = tag;
    job->len = len;
    memcpy(job->data, dir, dir_len + 1);
    job->name = job->data + dir_len + 1;
    memcpy(job->name, name, name_len + 1);
    memcpy(job->name + name_len + 1, data, len);

    pthread_mutex_lock(&w->lock);
    while (w->queued_bytes > MAX_QUEUED_BYTES && !w->failed) pthread_cond_wait(&w->progress, &w->lock);
    if (w->failed) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "%s", w->error);
        pthread_mutex_unlock(&w->lock);
        free(job);
        return -1;
    }
    if (w->tail) w->tail->next = job;
    else w->head = job;
    w->tail = job;
    w->queued_bytes += len;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int ssot_writer_wait(ssot_writer *w, char *err) {
    pthread_mutex_lock(&w->lock);
    while (w->head || w->working) pthread_cond_wait(&w->progress, &w->lock);
    int result = 0;
    if (w->failed) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "%s", w->error);
        result = -1;
    }
    pthread_mutex_unlock(&w->lock);
    return result;
}

const size_t *ssot_writer_unwritten(const ssot_writer *w, size_t *count) {
    *count = w->unwritten_count;
    return w->unwritten;
}

void ssot_writer_stop(ssot_writer *w) {
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->progress);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w->unwritten);
    free(w);
}
