/* The supervisor of `ssot serve --workers N` (workers.h): forks the workers, forwards SIGINT
 * and SIGTERM to them, starts a worker again when one dies (one that exits with an error in its
 * first second, or dies that quickly three times in a row, stops them all: it would fail again)
 * and returns once every worker has stopped.
 * Uses POSIX fork, waitpid, sigaction; host/log.h. */
#define _POSIX_C_SOURCE 200809L /* sigaction, kill */
#include "runtime/serve/workers.h"

#include "host/log.h"
#include "ssot.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int signo) {
    (void)signo;
    stop_requested = 1;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Forks worker index; its process runs w->run and exits with what it returns. */
static pid_t start_worker(const ssot_workers *w, int index, const struct sigaction *old_int,
                          const struct sigaction *old_term) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        sigaction(SIGINT, old_int, NULL); /* the worker's server installs its own */
        sigaction(SIGTERM, old_term, NULL);
        int status = w->run(w->ctx, index);
        fflush(stdout);
        fflush(stderr);
        _exit(status);
    }
    return pid;
}

static void stop_all(const pid_t *pids, int count) {
    for (int i = 0; i < count; i++)
        if (pids[i] > 0) kill(pids[i], SIGTERM);
}

int ssot_serve_workers(const ssot_workers *w) {
    struct sigaction action, old_int, old_term;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);

    pid_t *pids = calloc((size_t)w->count, sizeof *pids);
    double *started = calloc((size_t)w->count, sizeof *started);
    int *quick_deaths = calloc((size_t)w->count, sizeof *quick_deaths);
    int status = pids && started && quick_deaths ? SSOT_OK : SSOT_ERR_FAILURE, running = 0, stopping = 0;
    for (int i = 0; status == SSOT_OK && i < w->count; i++) {
        started[i] = now_seconds();
        if ((pids[i] = start_worker(w, i, &old_int, &old_term)) < 0) {
            ssot_logf(SSOT_LOG_ERROR, "cannot start worker %d: %s", i + 1, strerror(errno));
            status = SSOT_ERR_FAILURE;
        } else {
            running++;
        }
    }
    if (status != SSOT_OK) {
        stopping = 1;
        stop_all(pids, w->count);
    }
    while (running > 0) {
        if (stop_requested && !stopping) { /* forwarded once: each worker drains and stops */
            stopping = 1;
            stop_all(pids, w->count);
        }
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG);
        if (pid == 0) { /* polled, so a signal that comes just before waiting is not missed */
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
            continue;
        }
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        int i = 0;
        while (i < w->count && pids[i] != pid) i++;
        if (i == w->count) continue;
        pids[i] = 0;
        running--;
        int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
        if (stopping || stop_requested) {
            if (code != 0 && status == SSOT_OK) status = code > 0 ? code : SSOT_ERR_FAILURE;
            continue;
        }
        char how[64];
        if (WIFSIGNALED(wstatus))
            snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(wstatus));
        else
            snprintf(how, sizeof how, "exited with status %d", code);
        /* an exit status in its first second is a failure to start (the database, the port),
         * and so would the next be; so is a third quick death in a row, whatever killed it */
        int quick = now_seconds() - started[i] < 1.0;
        quick_deaths[i] = quick ? quick_deaths[i] + 1 : 0;
        if ((quick && WIFEXITED(wstatus)) || quick_deaths[i] >= 3) {
            ssot_logf(SSOT_LOG_ERROR, "worker %d %s while starting: stopping the others", i + 1, how);
            status = code > 0 ? code : SSOT_ERR_FAILURE;
            stopping = 1;
            stop_all(pids, w->count);
            continue;
        }
        ssot_logf(SSOT_LOG_WARN, "worker %d (pid %ld) %s: starting another", i + 1, (long)pid, how);
        started[i] = now_seconds();
        if ((pids[i] = start_worker(w, i, &old_int, &old_term)) > 0) running++;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(pids);
    free(started);
    free(quick_deaths);
    return status;
}
