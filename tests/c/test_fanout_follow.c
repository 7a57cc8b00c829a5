/* The cross-node follower (fanout_follow.c) against a fake store that "other nodes" write:
 * its history is an array per model, its signals a queue, so the test decides what was
 * committed elsewhere and when the signal arrives. Checks that the inner fan-out gets every
 * event once and in offset order — local commits in sequence, a local commit after others'
 * (the gap filled first), signals, a lost signal connection (check every model), a signal
 * for a model this app does not have — and that a gap the history no longer holds, or a new
 * epoch, calls lost and goes on from the store's position; a custom event is delivered at
 * once and sent to the other nodes, its echo skipped, another node's delivered, one too
 * large for a signal kept local; presence: this node's users announced once each, other nodes'
 * passed to the gateway once per user whichever nodes have it, a node's goodbye taking its
 * users, and after a lost signal connection a hello, this node's whole state, and the users
 * another node's state no longer lists dropped (a leave that was missed). Uses fanout.h,
 * store.h, check.h. */
#include "check.h"

#include "runtime/realtime/fanout.h"

#include <stdlib.h>
#include <string.h>

static int failures;

#define NMODELS 2
#define MAX_EVENTS 64

/* --- the fake store ------------------------------------------------------------------------- */

typedef struct fake_store {
    ssot_store base;
    char epoch[NMODELS][SSOT_EPOCH_SIZE];
    int64_t offset[NMODELS];  /* committed so far: events 1..offset */
    int64_t oldest[NMODELS];  /* the oldest event still in the history */
    struct { const char *model; int64_t offset; } signals[32];
    size_t nsignals;
    int fd;                   /* what signal_fd answers */
    int fail_drain;           /* the next drain fails (the connection is lost) */
    int reconnected;          /* the next drain starts with "check every model" */
    int events_since_calls;
    char messages[4][8192];   /* signal_send's, delivered at the next drain */
    size_t nmessages;
    char sent[16][512];       /* every signal_send (cut at 511 bytes), for presence */
    size_t nsent;
} fake_store;

static ssot_store_status fake_position(ssot_store *store, const ssot_model *m, ssot_stream_position *pos,
                                       ssot_store_error *err) {
    (void)err;
    fake_store *s = (fake_store *)store;
    memcpy(pos->epoch, s->epoch[m->index], SSOT_EPOCH_SIZE);
    pos->offset = s->offset[m->index];
    return SSOT_STORE_OK;
}

static ssot_store_status fake_events_since(ssot_store *store, const ssot_model *m, const ssot_stream_position *since,
                                           ssot_change_visit_fn visit, void *ctx, ssot_stream_position *now,
                                           ssot_store_error *err) {
    (void)err;
    fake_store *s = (fake_store *)store;
    s->events_since_calls++;
    if (strcmp(since->epoch, s->epoch[m->index]) != 0 || since->offset + 1 < s->oldest[m->index])
        return SSOT_STORE_CANNOT_RECOVER;
    for (int64_t o = since->offset + 1; o <= s->offset[m->index]; o++) {
        ssot_change c = {.model = m, .kind = SSOT_EVENT_CREATED, .offset = o};
        memcpy(c.epoch, s->epoch[m->index], SSOT_EPOCH_SIZE);
        if (visit(ctx, &c)) return SSOT_STORE_REJECTED;
    }
    if (now) fake_position(store, m, now, err);
    return SSOT_STORE_OK;
}

static int fake_signal_fd(ssot_store *store) { return ((fake_store *)store)->fd; }

static int fake_signal_drain(ssot_store *store, const ssot_store_signals *to, ssot_store_error *err) {
    fake_store *s = (fake_store *)store;
    if (s->fail_drain) {
        s->fail_drain = 0;
        s->reconnected = 1;
        snprintf(err->message, sizeof err->message, "the fake signal connection is lost");
        return -1;
    }
    int n = 0;
    if (s->reconnected) {
        s->reconnected = 0;
        to->change(to->ctx, NULL, -1);
        n++;
    }
    for (size_t i = 0; i < s->nsignals; i++, n++) to->change(to->ctx, s->signals[i].model, s->signals[i].offset);
    s->nsignals = 0;
    for (size_t i = 0; i < s->nmessages; i++, n++) to->message(to->ctx, s->messages[i], strlen(s->messages[i]));
    s->nmessages = 0;
    return n;
}

static ssot_store_status fake_signal_send(ssot_store *store, const char *message, size_t n, ssot_store_error *err) {
    fake_store *s = (fake_store *)store;
    if (n > SSOT_SIGNAL_MESSAGE_MAX) { /* a store that carries no larger message */
        snprintf(err->message, sizeof err->message, "a signal of %zu bytes cannot be sent", n);
        return SSOT_STORE_INVALID;
    }
    if (s->nsent < 16) snprintf(s->sent[s->nsent++], sizeof s->sent[0], "%.*s", (int)n, message);
    if (s->nmessages < 4 && n < sizeof s->messages[0]) {
        memcpy(s->messages[s->nmessages], message, n);
        s->messages[s->nmessages++][n] = '\0';
    }
    return SSOT_STORE_OK;
}

static const ssot_store_ops fake_ops = {
    .name = "fake",
    .position = fake_position,
    .events_since = fake_events_since,
    .signal_fd = fake_signal_fd,
    .signal_drain = fake_signal_drain,
    .signal_send = fake_signal_send,
};

/* Another node commits n events of model i (and its signals are queued unless quiet). */
static void other_node_writes(fake_store *s, const ssot_model *m, int n, int quiet) {
    for (int k = 0; k < n; k++) {
        s->offset[m->index]++;
        if (!quiet && s->nsignals < 32) {
            s->signals[s->nsignals].model = m->name;
            s->signals[s->nsignals++].offset = s->offset[m->index];
        }
    }
}

/* --- the inner fan-out: records what it got ------------------------------------------------- */

typedef struct record {
    ssot_fanout base;
    struct { size_t model; int64_t offset; } got[MAX_EVENTS];
    size_t n;
    int closed;
    char custom[4][256];      /* "channel event from data" of each custom event */
    size_t ncustom;
    char presence[8][64];     /* "channel user 1|0" of each presence_elsewhere */
    size_t npresence;
} record;

static void record_change(ssot_fanout *f, const ssot_change *c) {
    record *r = (record *)f;
    if (r->n < MAX_EVENTS) {
        r->got[r->n].model = c->model->index;
        r->got[r->n++].offset = c->offset;
    }
}
static void record_custom(ssot_fanout *f, const char *ch, const char *ev, const char *d, size_t n, const char *from) {
    record *r = (record *)f;
    if (r->ncustom < 4)
        snprintf(r->custom[r->ncustom++], sizeof r->custom[0], "%s %s %s %.*s", ch, ev, from ? from : "-", (int)n, d);
}
static void record_close(ssot_fanout *f) { ((record *)f)->closed = 1; }
static void record_presence(ssot_fanout *f, const char *channel, const char *user, int present) {
    record *r = (record *)f;
    if (r->npresence < 8) snprintf(r->presence[r->npresence++], sizeof r->presence[0], "%s %s %d", channel, user, present);
}
static const ssot_fanout_ops record_ops = {
    .name = "record",
    .publish_change = record_change,
    .publish_custom = record_custom,
    .close = record_close,
    .presence_elsewhere = record_presence,
};

/* Another node's message, delivered at the next read. */
static void from_other_node(fake_store *s, ssot_fanout *follow, const char *message) {
    snprintf(s->messages[0], sizeof s->messages[0], "%s", message);
    s->nmessages = 1;
    ssot_fanout_follow_read(follow);
}

/* Whether one of the messages sent since *from contains text; moves *from past them. */
static int sent_since(fake_store *s, size_t *from, const char *text) {
    int found = 0;
    for (; *from < s->nsent; (*from)++) found |= strstr(s->sent[*from], text) != NULL;
    return found;
}

/* The inner got exactly offsets from..to of model, in order, starting at index *at. */
static int got_run(const record *r, size_t *at, size_t model, int64_t from, int64_t to) {
    for (int64_t o = from; o <= to; o++, (*at)++)
        if (*at >= r->n || r->got[*at].model != model || r->got[*at].offset != o) return 0;
    return 1;
}

static const ssot_model *lost_model;
static int lost_calls;
static void on_lost(void *ctx, const ssot_model *m) {
    (void)ctx;
    lost_model = m;
    lost_calls++;
}

/* A local commit of model m: the store's offset moves on, and the service publishes it. */
static void local_commit(fake_store *s, ssot_fanout *follow, const ssot_model *m) {
    ssot_change c = {.model = m, .kind = SSOT_EVENT_CREATED, .offset = ++s->offset[m->index]};
    memcpy(c.epoch, s->epoch[m->index], SSOT_EPOCH_SIZE);
    ssot_fanout_publish_change(follow, &c);
}

int main(void) {
    ssot_model models[NMODELS] = {{.name = "Message", .index = 0}, {.name = "Room", .index = 1}};
    ssot_app app = {.name = "t", .models = models, .nmodels = NMODELS};
    fake_store s = {.base = {.ops = &fake_ops, .app = &app}, .fd = 7};
    for (int i = 0; i < NMODELS; i++) {
        snprintf(s.epoch[i], SSOT_EPOCH_SIZE, "%032d", i + 1);
        s.offset[i] = 5; /* events before the server started: never delivered */
        s.oldest[i] = 1;
    }
    record inner = {.base = {.ops = &record_ops}};
    ssot_follow_options options = {.app = &app, .store = &s.base, .inner = &inner.base, .lost = on_lost};
    ssot_fanout *follow = ssot_fanout_follow_new(&options);
    CHECK(follow != NULL);
    CHECK(ssot_fanout_follow_fd(follow) == 7);
    size_t at = 0;

    /* local commits in sequence go straight through, without reading the store */
    local_commit(&s, follow, &models[0]);
    local_commit(&s, follow, &models[0]);
    CHECK(got_run(&inner, &at, 0, 6, 7));
    CHECK(s.events_since_calls == 0);

    /* another node writes 8..10; a local commit (11) comes first: the gap is filled before it */
    other_node_writes(&s, &models[0], 3, 0);
    local_commit(&s, follow, &models[0]);
    CHECK(got_run(&inner, &at, 0, 8, 11));
    /* the signals for 8..10 arrive late: nothing twice */
    ssot_fanout_follow_read(follow);
    ssot_fanout_follow_catch_up(follow);
    CHECK(at == inner.n);

    /* signals alone: read notes them, catch_up delivers them in order, per model */
    other_node_writes(&s, &models[1], 2, 0);
    other_node_writes(&s, &models[0], 1, 0);
    ssot_fanout_follow_read(follow);
    CHECK(at == inner.n); /* reading signals reads nothing from the store */
    ssot_fanout_follow_catch_up(follow);
    CHECK(got_run(&inner, &at, 0, 12, 12));
    CHECK(got_run(&inner, &at, 1, 6, 7));

    /* a signal of a model this app does not have is ignored */
    s.signals[0].model = "Elsewhere";
    s.signals[0].offset = 3;
    s.nsignals = 1;
    ssot_fanout_follow_read(follow);
    ssot_fanout_follow_catch_up(follow);
    CHECK(at == inner.n);

    /* the signal connection is lost while another node writes quietly: after the reconnect
     * every model's position is compared, and what was missed is delivered */
    s.fail_drain = 1;
    ssot_fanout_follow_read(follow);
    other_node_writes(&s, &models[1], 3, 1);
    ssot_fanout_follow_read(follow);
    ssot_fanout_follow_catch_up(follow);
    CHECK(got_run(&inner, &at, 1, 8, 10));

    /* a gap the history no longer holds: lost is called, delivery goes on from the store's
     * position, and the next local commit goes through */
    other_node_writes(&s, &models[0], 4, 0); /* 13..16 */
    s.oldest[0] = 15;
    ssot_fanout_follow_read(follow);
    ssot_fanout_follow_catch_up(follow);
    CHECK(lost_calls == 1 && lost_model == &models[0]);
    CHECK(at == inner.n); /* nothing partial */
    local_commit(&s, follow, &models[0]);
    CHECK(got_run(&inner, &at, 0, 17, 17));

    /* a new epoch (the history started over): lost again, then the new stream's events */
    snprintf(s.epoch[1], SSOT_EPOCH_SIZE, "%032d", 99);
    s.offset[1] = 0;
    local_commit(&s, follow, &models[1]);
    CHECK(lost_calls == 2 && lost_model == &models[1]);
    CHECK(got_run(&inner, &at, 1, 1, 1));
    local_commit(&s, follow, &models[1]);
    CHECK(got_run(&inner, &at, 1, 2, 2));
    CHECK(at == inner.n);

    /* a custom event: delivered here at once, sent once, its echo not delivered again */
    ssot_fanout_publish_custom(follow, "room:1", "typing", "{\"name\":\"ada\"}", 14, "7");
    CHECK(inner.ncustom == 1 && strcmp(inner.custom[0], "room:1 typing 7 {\"name\":\"ada\"}") == 0);
    CHECK(s.nmessages == 0); /* taken by the drain right after the send */
    CHECK(inner.ncustom == 1);
    /* another node's: delivered here, with its sender */
    snprintf(s.messages[0], sizeof s.messages[0],
             "{\"n\":\"another\",\"c\":\"room:2\",\"e\":\"message\",\"f\":null,\"d\":[1,\"x\"]}");
    s.nmessages = 1;
    ssot_fanout_follow_read(follow);
    CHECK(inner.ncustom == 2 && strcmp(inner.custom[1], "room:2 message - [1,\"x\"]") == 0);
    /* one too large for this store's signals: here only (the PostgreSQL store carries it through a table) */
    size_t big = SSOT_SIGNAL_MESSAGE_MAX + 10;
    char *data = malloc(big + 3);
    data[0] = '"';
    memset(data + 1, 'a', big);
    data[big + 1] = '"';
    data[big + 2] = '\0';
    ssot_fanout_publish_custom(follow, "room:3", "typing", data, big + 2, NULL);
    free(data);
    CHECK(inner.ncustom == 3 && s.nmessages == 0);

    /* presence: this node's user announced once, however many of its tabs arrive */
    ssot_fanout_follow_catch_up(follow); /* the first pass: hello and this node's (empty) state */
    size_t mark = 0;
    CHECK(sent_since(&s, &mark, "\"p\":\"h\""));
    ssot_fanout_presence_here(follow, "lobby:1", "5", 1);
    CHECK(sent_since(&s, &mark, "\"p\":\"j\",\"c\":\"lobby:1\",\"u\":\"5\""));
    ssot_fanout_presence_here(follow, "lobby:1", "5", 1);
    CHECK(mark == s.nsent);
    CHECK(inner.npresence == 0); /* its own messages are not news to it */

    /* another node's users: present elsewhere once, whichever nodes have them */
    from_other_node(&s, follow, "{\"n\":\"another\",\"p\":\"j\",\"c\":\"lobby:1\",\"u\":\"8\"}");
    CHECK(inner.npresence == 1 && strcmp(inner.presence[0], "lobby:1 8 1") == 0);
    from_other_node(&s, follow, "{\"n\":\"third\",\"p\":\"j\",\"c\":\"lobby:1\",\"u\":\"8\"}");
    from_other_node(&s, follow, "{\"n\":\"another\",\"p\":\"l\",\"c\":\"lobby:1\",\"u\":\"8\"}");
    CHECK(inner.npresence == 1); /* the third node still has the user */
    from_other_node(&s, follow, "{\"n\":\"third\",\"p\":\"b\"}"); /* its goodbye */
    CHECK(inner.npresence == 2 && strcmp(inner.presence[1], "lobby:1 8 0") == 0);

    /* after a lost signal connection: hello and the whole state; a leave that was missed
     * meanwhile is made up for by the other node's state, which no longer lists its user */
    from_other_node(&s, follow, "{\"n\":\"another\",\"p\":\"j\",\"c\":\"lobby:1\",\"u\":\"9\"}");
    CHECK(inner.npresence == 3 && strcmp(inner.presence[2], "lobby:1 9 1") == 0);
    s.fail_drain = 1;
    ssot_fanout_follow_read(follow);
    ssot_fanout_follow_read(follow); /* made again: signals may have been lost */
    ssot_fanout_follow_catch_up(follow);
    CHECK(sent_since(&s, &mark, "\"p\":\"h\""));
    CHECK(strstr(s.sent[s.nsent - 2], "\"p\":\"s\"") && strstr(s.sent[s.nsent - 2], "[\"lobby:1\",\"5\"]"));
    CHECK(strstr(s.sent[s.nsent - 1], "\"p\":\"e\""));
    from_other_node(&s, follow, "{\"n\":\"another\",\"p\":\"s\",\"g\":4,\"l\":[[\"lobby:2\",\"3\"]]}");
    from_other_node(&s, follow, "{\"n\":\"another\",\"p\":\"e\",\"g\":4}");
    CHECK(inner.npresence == 5 && strcmp(inner.presence[3], "lobby:2 3 1") == 0 &&
          strcmp(inner.presence[4], "lobby:1 9 0") == 0);

    /* another node's hello: this node's state at the next pass; the last tab gone: a leave */
    mark = s.nsent;
    from_other_node(&s, follow, "{\"n\":\"another\",\"p\":\"h\"}");
    ssot_fanout_follow_catch_up(follow);
    CHECK(sent_since(&s, &mark, "[\"lobby:1\",\"5\"]"));
    ssot_fanout_presence_here(follow, "lobby:1", "5", 0);
    CHECK(sent_since(&s, &mark, "\"p\":\"l\",\"c\":\"lobby:1\",\"u\":\"5\""));

    ssot_fanout_presence_here(follow, "lobby:1", "6", 1);
    mark = s.nsent;
    ssot_fanout_close(follow);
    CHECK(inner.closed);
    CHECK(sent_since(&s, &mark, "\"p\":\"b\"")); /* goodbye: the other nodes drop its users at once */
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}
