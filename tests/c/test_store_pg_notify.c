/* The PostgreSQL store's commit signals (store.h signal_fd/signal_drain, store_pg_notify.c)
 * against a throwaway PostgreSQL (tests/support/pg.sh; exits 77, skipped, when PostgreSQL is
 * not installed): the first drain says "check every model"; NOTIFYs on ssot_changes from
 * another session arrive as (model, offset) in commit order, a transaction's only at its
 * COMMIT, a malformed payload is skipped; when the LISTEN session is terminated the drain
 * fails without naming the password, the descriptor is -1 until a second has passed, then
 * the connection is made again, says "check every model" and signals arrive again;
 * signal_send's message comes back through the drain, and one too large is refused. Uses
 * test_store_pg_support.h (the server; test_store_support.h for the app), libpq for the other
 * session. */
#include "test_store_pg_support.h"

#include <poll.h>
#include <time.h>

static ssot_store_error err;

typedef struct got {
    char model[64][32];
    int64_t offset[64];
    int n;
    size_t message_len[64]; /* a message's whole length (model[] keeps its start) */
} got;

static void on_signal(void *ctx, const char *model, int64_t offset) {
    got *g = ctx;
    if (g->n >= 64) return;
    snprintf(g->model[g->n], sizeof g->model[g->n], "%s", model ? model : "(all)");
    g->offset[g->n++] = offset;
}

static void exec_ok(PGconn *conn, const char *sql) {
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
    CHECK(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
    PQclear(r);
}

static void on_message(void *ctx, const char *text, size_t n) {
    got *g = ctx;
    if (g->n >= 64) return;
    g->message_len[g->n] = n;
    snprintf(g->model[g->n], sizeof g->model[g->n], "msg:%.*s", (int)n, text);
    g->offset[g->n++] = -2;
}

static int drain(ssot_store *store, got *g) {
    ssot_store_signals to = {.change = on_signal, .message = on_message, .ctx = g};
    return ssot_store_signal_drain(store, &to, &err);
}

/* Waits (up to 5 s) for the store's descriptor to be readable, then drains into g. */
static int wait_and_drain(ssot_store *store, got *g) {
    struct pollfd p = {.fd = ssot_store_signal_fd(store), .events = POLLIN};
    if (p.fd >= 0) (void)poll(&p, 1, 5000);
    return drain(store, g);
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Drains until g holds want signals (they may come in more than one packet), for up to 5 s. */
static void collect(ssot_store *store, got *g, int want) {
    for (int tries = 0; tries < 100 && g->n < want; tries++) {
        if (wait_and_drain(store, g) < 0) break;
        if (g->n < want) sleep_ms(50);
    }
}

static void test_signals(void) {
    ssot_host *host;
    ssot_app *app = load_app(&host, test_store_config);
    /* the password is ignored by the throwaway server (trust) but must never be printed */
    char url[1200];
    const char *q = strchr(base_url, '?');
    snprintf(url, sizeof url, "postgresql://postgres:sekret-pw@/ssot%s", q ? q : "");
    ssot_pg_options options = {.conninfo = url};
    ssot_store *store = NULL;
    CHECK_STATUS(ssot_store_pg_open(app, &options, &store, &err), SSOT_STORE_OK);
    if (!store) goto done;
    CHECK(ssot_store_can_signal(store));
    CHECK(ssot_store_signal_fd(store) >= 0);

    got g = {0};
    CHECK(drain(store, &g) >= 1);
    CHECK(g.n == 1 && strcmp(g.model[0], "(all)") == 0 && g.offset[0] == -1);

    PGconn *other = PQconnectdb(base_url);
    CHECK(PQstatus(other) == CONNECTION_OK);
    exec_ok(other, "SELECT pg_notify('ssot_changes', 'Item 7')");
    exec_ok(other, "SELECT pg_notify('ssot_changes', 'garbage')");
    exec_ok(other, "BEGIN");
    exec_ok(other, "SELECT pg_notify('ssot_changes', 'Item 8')");
    g.n = 0;
    collect(store, &g, 1);
    sleep_ms(200);
    (void)drain(store, &g);
    CHECK(g.n == 1 && strcmp(g.model[0], "Item") == 0 && g.offset[0] == 7); /* 8 is not committed */
    exec_ok(other, "SELECT pg_notify('ssot_changes', 'Other 3')");
    exec_ok(other, "COMMIT");
    g.n = 0;
    collect(store, &g, 2);
    CHECK(g.n == 2 && strcmp(g.model[0], "Item") == 0 && g.offset[0] == 8 && strcmp(g.model[1], "Other") == 0 &&
          g.offset[1] == 3);

    /* the LISTEN session is lost */
    exec_ok(other, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ssot listen'");
    g.n = 0;
    int n = 0;
    for (int tries = 0; tries < 50 && n >= 0; tries++) {
        n = wait_and_drain(store, &g);
        if (n >= 0) sleep_ms(100);
    }
    CHECK(n == -1);
    CHECK(err.status == SSOT_STORE_UNAVAILABLE);
    CHECK(strstr(err.message, "sekret") == NULL);
    CHECK(ssot_store_signal_fd(store) == -1); /* not again within the second */
    exec_ok(other, "SELECT pg_notify('ssot_changes', 'Item 9')"); /* nobody listens: lost */
    sleep_ms(1100);
    CHECK(ssot_store_signal_fd(store) >= 0);
    g.n = 0;
    CHECK(drain(store, &g) >= 1);
    CHECK(g.n >= 1 && strcmp(g.model[0], "(all)") == 0); /* what was missed: check every model */
    exec_ok(other, "SELECT pg_notify('ssot_changes', 'Item 10')");
    g.n = 0;
    collect(store, &g, 1);
    CHECK(g.n == 1 && strcmp(g.model[0], "Item") == 0 && g.offset[0] == 10);

    /* signal_send: to every process, this one too; too large refused */
    CHECK_STATUS(ssot_store_signal_send(store, "{\"hello\":1}", 11, &err), SSOT_STORE_OK);
    g.n = 0;
    /* its own notification may already sit in libpq's buffer (read with the send's answer),
     * where the descriptor does not show it: drained without waiting first */
    for (int tries = 0; tries < 100 && g.n == 0; tries++) {
        (void)drain(store, &g);
        if (g.n == 0) sleep_ms(50);
    }
    CHECK(g.n == 1 && strcmp(g.model[0], "msg:{\"hello\":1}") == 0);
    /* one too large for a NOTIFY goes through _ssot_messages, whole */
    size_t big_len = SSOT_SIGNAL_MESSAGE_MAX * 3;
    char *big = malloc(SSOT_SIGNAL_MESSAGE_LARGE_MAX + 2);
    memset(big, 'x', SSOT_SIGNAL_MESSAGE_LARGE_MAX + 2);
    big[0] = '{';
    CHECK_STATUS(ssot_store_signal_send(store, big, big_len, &err), SSOT_STORE_OK);
    g.n = 0;
    for (int tries = 0; tries < 100 && g.n == 0; tries++) {
        (void)drain(store, &g);
        if (g.n == 0) sleep_ms(50);
    }
    CHECK(g.n == 1 && g.message_len[0] == big_len && strncmp(g.model[0], "msg:{xxx", 8) == 0);
    /* beyond what any store carries: refused */
    CHECK_STATUS(ssot_store_signal_send(store, big, SSOT_SIGNAL_MESSAGE_LARGE_MAX + 1, &err), SSOT_STORE_INVALID);
    free(big);
    PQfinish(other);
    ssot_store_close(store);
done:
    ssot_app_free(app);
    ssot_host_free(host);
}

int main(void) {
    int started = start_pg("pgnotify");
    if (started != 0) return started;
    make_test_dir("pgnotify");
    test_signals();
    stop_pg();
    return finish_tests();
}
