/* Worker processes of one server (workers.c): `ssot serve --workers N`, for a database that
 * several processes can serve together (PostgreSQL: docs/deploy.md). Uses nothing of ssot's
 * but the log. */
#ifndef SSOT_RUNTIME_SERVE_WORKERS_H
#define SSOT_RUNTIME_SERVE_WORKERS_H

typedef struct ssot_workers {
    int count; /* processes, at least 2 */
    /* Runs in worker `index` (0 .. count-1) until SIGTERM; returns its exit status. */
    int (*run)(void *ctx, int index);
    void *ctx;
} ssot_workers;

/* Forks the workers and supervises them until SIGINT or SIGTERM (forwarded to each, which
 * drains and stops), starting a worker again when one dies (one that exits with an error in
 * its first second, or dies that quickly three times running, stops them all: the next would
 * fail too). Returns SSOT_OK when every worker stopped cleanly, else the first failing
 * worker's status. */
int ssot_serve_workers(const ssot_workers *workers);

#endif
