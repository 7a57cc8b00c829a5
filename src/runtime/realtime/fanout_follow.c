/* The cross-node follower (fanout.h): a fan-out in front of the gateway's for a store that
 * other processes write too (store.h signal_fd/signal_drain). It keeps, per model, the
 * newest offset handed to the gateway, so every event reaches it once and in offset order
 * whichever node committed it: a local commit right after that offset goes straight through;
 * one further on, or a signal from the store that the model moved past it, is preceded by
 * the events in between, read with events_since. Reading signals (on the socket being
 * readable) only notes what to fetch; the fetching runs after the server's settle, where no
 * write batch is open, so it never sees uncommitted rows. When the store cannot replay the
 * gap (pruned history, a new epoch), the lost callback tells the model's subscribers to
 * start over. Custom-channel publishes cross too: each is delivered here at once and sent,
 * tagged with this node's random id, through the store's signal_send (large ones too, where
 * the store can carry them: the PostgreSQL store through a table); the other nodes
 * deliver what they receive, this one skips its own. Presence crosses the same way: this
 * node announces each user's first and last connection here on a presence channel, keeps who
 * other nodes have (per node, so a node that says goodbye or falls silent takes only its own
 * users with it) and tells the gateway when a user is present elsewhere or no longer
 * (docs/deploy.md, "Several nodes on PostgreSQL"). Uses store.h, host/log.h, base/buf.h,
 * jansson (reading a message). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime/realtime/fanout.h"

#include "host/log.h"
#include "runtime/base/buf.h"
#include "ssot.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/random.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct follow_model {
    int known;                       /* delivered/epoch read from the store */
    char epoch[SSOT_EPOCH_SIZE];
    int64_t delivered;               /* newest offset handed to the inner fan-out */
    int64_t wanted;                  /* newest offset signalled */
} follow_model;

/* Presence across nodes: a node with users on presence channels says so every ALIVE_EVERY
 * seconds; one silent for SILENT_AFTER seconds (killed, cut off) is taken to be gone with its
 * users. */
#define PRESENCE_ALIVE_EVERY 2
#define PRESENCE_SILENT_AFTER 7

typedef struct presence_here {   /* a user with a connection here on a presence channel */
    char *channel, *user;
} presence_here;

typedef struct presence_there {  /* a user another node has on a presence channel */
    char node[33];
    char *channel, *user;
    uint64_t generation;         /* of the node's state that listed it */
} presence_there;

typedef struct peer {            /* another node that has spoken about presence */
    char node[33];
    double seen;                 /* when it last sent anything (monotonic seconds) */
    uint64_t generation;         /* of its latest full state */
} peer;

typedef struct follow_fanout {
    ssot_fanout base;
    ssot_follow_options options;
    follow_model *models;            /* by model index */
    int check_all;                   /* signals may have been lost: compare every position */
    int failing;                     /* the signal connection is down (logged once) */
    time_t retry_at;                 /* after a failed read of the store, not before this second */
    char node[33];                   /* this process's random id, in its messages */
    ssot_buf message;                /* a message being encoded */
    int warned_send;                 /* a custom event that could not cross (logged once) */
    /* presence across nodes */
    presence_here *here;
    size_t nhere, here_cap;
    presence_there *there;
    size_t nthere, there_cap;
    peer *peers;
    size_t npeers, peers_cap;
    uint64_t generation;             /* of this node's latest full state */
    int hello_sent;                  /* asked the others for their state since (re)connecting */
    int state_due;                   /* another node asked for this node's state */
    double next_alive;
    int closing;
} follow_fanout;

static void deliver(follow_fanout *f, follow_model *fm, const ssot_change *change) {
    fm->delivered = change->offset;
    ssot_fanout_publish_change(f->options.inner, change);
}

static int read_position(follow_fanout *f, const ssot_model *m, ssot_stream_position *pos) {
    ssot_store_error err;
    if (ssot_store_position(f->options.store, m, pos, &err) == SSOT_STORE_OK) return 0;
    ssot_logf(SSOT_LOG_WARN, "events of %s from other nodes: cannot read the stream position: %s", m->name,
              err.message);
    f->retry_at = time(NULL) + 1;
    return -1;
}

/* The gap cannot be replayed: subscribers are told, and delivery goes on from now. */
static void lost(follow_fanout *f, const ssot_model *m, follow_model *fm, const ssot_stream_position *now) {
    ssot_logf(SSOT_LOG_WARN, "events of %s after offset %lld cannot be replayed (history pruned or a new epoch): "
                             "its subscribers on this node are told to subscribe again and refetch",
              m->name, (long long)fm->delivered);
    if (f->options.lost) f->options.lost(f->options.lost_ctx, m);
    memcpy(fm->epoch, now->epoch, SSOT_EPOCH_SIZE);
    fm->delivered = now->offset;
    if (fm->wanted < fm->delivered) fm->wanted = fm->delivered;
}

typedef struct replay_ctx {
    follow_fanout *f;
    follow_model *fm;
} replay_ctx;

static int replay_visit(void *ctx, const ssot_change *change) {
    replay_ctx *r = ctx;
    if (change->offset > r->fm->delivered) deliver(r->f, r->fm, change);
    return 0;
}

/* Hands the inner fan-out every event of m after fm->delivered, in order. */
static void catch_up(follow_fanout *f, const ssot_model *m, follow_model *fm) {
    ssot_stream_position since, now;
    if (!fm->known) {
        if (read_position(f, m, &now) != 0) return;
        fm->known = 1;
        memcpy(fm->epoch, now.epoch, SSOT_EPOCH_SIZE);
        fm->delivered = now.offset; /* nobody on this node saw anything older: start here */
        return;
    }
    memcpy(since.epoch, fm->epoch, SSOT_EPOCH_SIZE);
    since.offset = fm->delivered;
    replay_ctx r = {f, fm};
    ssot_store_error err;
    ssot_store_status status = ssot_store_events_since(f->options.store, m, &since, replay_visit, &r, &now, &err);
    if (status == SSOT_STORE_CANNOT_RECOVER) {
        if (read_position(f, m, &now) == 0) lost(f, m, fm, &now);
    } else if (status != SSOT_STORE_OK) {
        ssot_logf(SSOT_LOG_WARN, "events of %s from other nodes after offset %lld: %s (tried again in a second)",
                  m->name, (long long)fm->delivered, err.message);
        f->retry_at = time(NULL) + 1; /* a database that is down is not asked once per pass */
    }
}

static void follow_publish_change(ssot_fanout *fanout, const ssot_change *change) {
    follow_fanout *f = (follow_fanout *)fanout;
    follow_model *fm = &f->models[change->model->index];
    if (!fm->known || strcmp(fm->epoch, change->epoch) != 0) {
        if (fm->known) { /* the history was started over under us */
            ssot_stream_position now;
            memcpy(now.epoch, change->epoch, SSOT_EPOCH_SIZE);
            now.offset = change->offset - 1;
            lost(f, change->model, fm, &now);
        }
        fm->known = 1;
        memcpy(fm->epoch, change->epoch, SSOT_EPOCH_SIZE);
        deliver(f, fm, change);
        return;
    }
    if (change->offset <= fm->delivered) return; /* a catch-up handed it over already */
    if (change->offset > fm->delivered + 1) catch_up(f, change->model, fm); /* other nodes wrote in between */
    if (change->offset > fm->delivered) deliver(f, fm, change);
}

/* A custom event: to this node's subscribers now, and to the other nodes' through the store
 * as {"n":node,"c":channel,"e":event,"f":from|null,"d":data}. */
static void follow_publish_custom(ssot_fanout *fanout, const char *channel, const char *event, const char *data,
                                  size_t n, const char *from) {
    follow_fanout *f = (follow_fanout *)fanout;
    ssot_fanout_publish_custom(f->options.inner, channel, event, data, n, from);
    if (!ssot_store_can_send_signal(f->options.store)) return;
    ssot_buf *b = &f->message;
    ssot_buf_reset(b);
    ssot_buf_printf(b, "{\"n\":\"%s\",\"c\":", f->node);
    ssot_buf_put_json_string(b, channel, strlen(channel));
    ssot_buf_puts(b, ",\"e\":");
    ssot_buf_put_json_string(b, event, strlen(event));
    ssot_buf_puts(b, ",\"f\":");
    if (from) ssot_buf_put_json_string(b, from, strlen(from));
    else ssot_buf_puts(b, "null");
    ssot_buf_puts(b, ",\"d\":");
    ssot_buf_append(b, data, n);
    ssot_buf_putc(b, '}');
    if (b->failed) return; /* memory ran out: here only */
    ssot_store_error err;
    if (ssot_store_signal_send(f->options.store, b->data, b->len, &err) != SSOT_STORE_OK) {
        if (!f->warned_send)
            ssot_logf(SSOT_LOG_WARN, "the %s event on %s reaches this node's subscribers only: %s", event, channel,
                      err.message);
        f->warned_send = 1;
        return;
    }
    f->warned_send = 0;
    /* the send may have read signals into the connection's buffer: the descriptor would not
     * say so, so they are taken now */
    ssot_fanout_follow_read(fanout);
}

/* --- presence across nodes ---------------------------------------------------------------- */

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *copy_text(const char *text) {
    size_t n = strlen(text) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, text, n);
    return copy;
}

/* Makes room for one more item of size in *items (of *cap). 0, or -1. */
static int grow(void **items, size_t n, size_t *cap, size_t size) {
    if (n < *cap) return 0;
    size_t c = *cap ? 2 * *cap : 8;
    void *grown = realloc(*items, c * size);
    if (!grown) return -1;
    *items = grown;
    *cap = c;
    return 0;
}

/* Sends a presence message {"n":node,"p":kind,...rest} to the other nodes (rest: ",..." or
 * ""). A message that cannot go (the connection is down) is made up for by the full state
 * this node sends once it is back (hello). */
static void presence_send(follow_fanout *f, const char *kind, const char *rest, size_t rest_len) {
    if (!ssot_store_can_send_signal(f->options.store)) return;
    ssot_buf *b = &f->message;
    ssot_buf_reset(b);
    ssot_buf_printf(b, "{\"n\":\"%s\",\"p\":\"%s\"", f->node, kind);
    ssot_buf_append(b, rest, rest_len);
    ssot_buf_putc(b, '}');
    ssot_store_error err;
    if (b->failed || b->len > SSOT_SIGNAL_MESSAGE_MAX ||
        ssot_store_signal_send(f->options.store, b->data, b->len, &err) != SSOT_STORE_OK)
        f->hello_sent = 0; /* say everything again at the next pass */
}

/* ",\"c\":channel,\"u\":user" */
static void channel_user(ssot_buf *b, const char *channel, const char *user) {
    ssot_buf_puts(b, ",\"c\":");
    ssot_buf_put_json_string(b, channel, strlen(channel));
    ssot_buf_puts(b, ",\"u\":");
    ssot_buf_put_json_string(b, user, strlen(user));
}

static void follow_presence_here(ssot_fanout *fanout, const char *channel, const char *user, int present) {
    follow_fanout *f = (follow_fanout *)fanout;
    if (f->closing) return; /* the goodbye said it for every user */
    size_t i = 0;
    while (i < f->nhere && (strcmp(f->here[i].channel, channel) != 0 || strcmp(f->here[i].user, user) != 0)) i++;
    if (present && i == f->nhere) {
        char *c = copy_text(channel), *u = copy_text(user);
        if (!c || !u || grow((void **)&f->here, f->nhere, &f->here_cap, sizeof *f->here) != 0) {
            free(c);
            free(u);
            return; /* memory ran out: the other nodes do not see this user */
        }
        f->here[f->nhere++] = (presence_here){c, u};
    } else if (!present && i < f->nhere) {
        free(f->here[i].channel);
        free(f->here[i].user);
        f->here[i] = f->here[--f->nhere];
    } else {
        return;
    }
    ssot_buf rest = SSOT_BUF_INIT;
    channel_user(&rest, channel, user);
    if (!rest.failed) presence_send(f, present ? "j" : "l", rest.data, rest.len);
    ssot_buf_free(&rest);
}

/* Sends the pairs listed so far in list ("[c,u],[c,u]") as one "s" message and empties it. */
static void presence_send_pairs(follow_fanout *f, ssot_buf *list) {
    ssot_buf rest = SSOT_BUF_INIT;
    ssot_buf_printf(&rest, ",\"g\":%llu,\"l\":[", (unsigned long long)f->generation);
    ssot_buf_append(&rest, list->data, list->len);
    ssot_buf_putc(&rest, ']');
    if (!rest.failed) presence_send(f, "s", rest.data, rest.len);
    ssot_buf_free(&rest);
    ssot_buf_reset(list);
}

/* This node's full state: every user here, in "s" messages under the signal size, with a new
 * generation, then "e": the other nodes drop what they had of this node and it did not list. */
static void presence_send_state(follow_fanout *f) {
    f->generation++;
    ssot_buf list = SSOT_BUF_INIT, pair = SSOT_BUF_INIT;
    for (size_t i = 0; i < f->nhere; i++) {
        ssot_buf_reset(&pair);
        ssot_buf_putc(&pair, '[');
        ssot_buf_put_json_string(&pair, f->here[i].channel, strlen(f->here[i].channel));
        ssot_buf_putc(&pair, ',');
        ssot_buf_put_json_string(&pair, f->here[i].user, strlen(f->here[i].user));
        ssot_buf_putc(&pair, ']');
        if (pair.failed) continue;
        if (list.len > 0 && list.len + pair.len + 100 > SSOT_SIGNAL_MESSAGE_MAX) presence_send_pairs(f, &list);
        if (list.len > 0) ssot_buf_putc(&list, ',');
        ssot_buf_append(&list, pair.data, pair.len);
    }
    if (list.len > 0) presence_send_pairs(f, &list);
    ssot_buf_free(&list);
    ssot_buf_free(&pair);
    char end[40];
    int n = snprintf(end, sizeof end, ",\"g\":%llu", (unsigned long long)f->generation);
    presence_send(f, "e", end, (size_t)n);
}

static size_t there_count(const follow_fanout *f, const char *channel, const char *user) {
    size_t n = 0;
    for (size_t i = 0; i < f->nthere; i++)
        n += strcmp(f->there[i].channel, channel) == 0 && strcmp(f->there[i].user, user) == 0;
    return n;
}

static void there_add(follow_fanout *f, const char *node, const char *channel, const char *user,
                      uint64_t generation) {
    for (size_t i = 0; i < f->nthere; i++)
        if (strcmp(f->there[i].node, node) == 0 && strcmp(f->there[i].channel, channel) == 0 &&
            strcmp(f->there[i].user, user) == 0) {
            f->there[i].generation = generation;
            return;
        }
    int first = there_count(f, channel, user) == 0;
    char *c = copy_text(channel), *u = copy_text(user);
    if (!c || !u || grow((void **)&f->there, f->nthere, &f->there_cap, sizeof *f->there) != 0) {
        free(c);
        free(u);
        return;
    }
    presence_there *t = &f->there[f->nthere++];
    snprintf(t->node, sizeof t->node, "%s", node);
    t->channel = c;
    t->user = u;
    t->generation = generation;
    if (first) ssot_fanout_presence_elsewhere(f->options.inner, channel, user, 1);
}

static void there_remove_at(follow_fanout *f, size_t i) {
    presence_there gone = f->there[i];
    f->there[i] = f->there[--f->nthere];
    if (there_count(f, gone.channel, gone.user) == 0)
        ssot_fanout_presence_elsewhere(f->options.inner, gone.channel, gone.user, 0);
    free(gone.channel);
    free(gone.user);
}

/* Drops what node had: all of it, or (keep_generation) what its latest state did not list. */
static void there_drop(follow_fanout *f, const char *node, int all, uint64_t keep_generation) {
    for (size_t i = f->nthere; i-- > 0;)
        if (strcmp(f->there[i].node, node) == 0 && (all || f->there[i].generation != keep_generation))
            there_remove_at(f, i);
}

static peer *peer_seen(follow_fanout *f, const char *node) {
    for (size_t i = 0; i < f->npeers; i++)
        if (strcmp(f->peers[i].node, node) == 0) {
            f->peers[i].seen = now_seconds();
            return &f->peers[i];
        }
    if (grow((void **)&f->peers, f->npeers, &f->peers_cap, sizeof *f->peers) != 0) return NULL;
    peer *p = &f->peers[f->npeers++];
    snprintf(p->node, sizeof p->node, "%s", node);
    p->seen = now_seconds();
    p->generation = 0;
    return p;
}

/* Another node's presence message (kind: j join, l leave, h hello, s state, e end of state,
 * a alive, b goodbye). */
static void on_presence_message(follow_fanout *f, const char *node, const char *kind, json_t *root) {
    peer *p = peer_seen(f, node);
    if (!p) return;
    const char *channel = json_string_value(json_object_get(root, "c"));
    const char *user = json_string_value(json_object_get(root, "u"));
    uint64_t generation = (uint64_t)json_integer_value(json_object_get(root, "g"));
    switch (kind[0]) {
    case 'j':
        if (channel && user) there_add(f, node, channel, user, p->generation);
        break;
    case 'l':
        for (size_t i = 0; channel && user && i < f->nthere; i++)
            if (strcmp(f->there[i].node, node) == 0 && strcmp(f->there[i].channel, channel) == 0 &&
                strcmp(f->there[i].user, user) == 0) {
                there_remove_at(f, i);
                break;
            }
        break;
    case 'h': f->state_due = 1; break; /* sent after the drain, not inside it */
    case 's': {
        p->generation = generation;
        json_t *list = json_object_get(root, "l"), *pair;
        size_t i;
        json_array_foreach(list, i, pair) {
            const char *c = json_string_value(json_array_get(pair, 0)), *u = json_string_value(json_array_get(pair, 1));
            if (c && u) there_add(f, node, c, u, generation);
        }
        break;
    }
    case 'e':
        there_drop(f, node, 0, generation);
        break;
    case 'b':
        there_drop(f, node, 1, 0);
        *p = f->peers[--f->npeers];
        break;
    default: break; /* 'a': seen is all it says */
    }
}

/* Once a pass: asks for the others' state after (re)connecting and answers their asking, says
 * this node is alive, and drops the users of a node that fell silent. */
static void presence_tick(follow_fanout *f) {
    if (!ssot_store_can_send_signal(f->options.store)) return;
    double now = now_seconds();
    if (!f->hello_sent && ssot_store_signal_fd(f->options.store) >= 0) {
        f->hello_sent = 1;
        presence_send(f, "h", "", 0);
        f->state_due = 1; /* what this node has, which the others may have missed */
    }
    if (f->state_due) {
        f->state_due = 0;
        presence_send_state(f);
        f->next_alive = now + PRESENCE_ALIVE_EVERY;
    }
    if (f->nhere > 0 && now >= f->next_alive) {
        presence_send(f, "a", "", 0);
        f->next_alive = now + PRESENCE_ALIVE_EVERY;
    }
    for (size_t i = f->npeers; i-- > 0;) {
        if (now - f->peers[i].seen <= PRESENCE_SILENT_AFTER) continue;
        size_t before = f->nthere;
        there_drop(f, f->peers[i].node, 1, 0);
        if (f->nthere != before)
            ssot_logf(SSOT_LOG_INFO, "node %.8s has been silent for %d s: its users are no longer present", f->peers[i].node,
                      PRESENCE_SILENT_AFTER);
        f->peers[i] = f->peers[--f->npeers];
    }
}

/* A message from signal_send: another node's custom event is delivered here, or its presence
 * noted. */
static void on_message(void *ctx, const char *text, size_t len) {
    follow_fanout *f = ctx;
    json_error_t error;
    json_t *root = json_loadb(text, len, 0, &error);
    const char *node = json_string_value(json_object_get(root, "n"));
    const char *presence = json_string_value(json_object_get(root, "p"));
    if (node && presence && presence[0] && strcmp(node, f->node) != 0) {
        on_presence_message(f, node, presence, root);
        json_decref(root);
        return;
    }
    const char *channel = json_string_value(json_object_get(root, "c"));
    const char *event = json_string_value(json_object_get(root, "e"));
    json_t *from = json_object_get(root, "f"), *data = json_object_get(root, "d");
    if (node && channel && event && data && strcmp(node, f->node) != 0) {
        char *encoded = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
        if (encoded)
            ssot_fanout_publish_custom(f->options.inner, channel, event, encoded, strlen(encoded),
                                       json_is_string(from) ? json_string_value(from) : NULL);
        free(encoded);
    }
    json_decref(root);
}

static void follow_close(ssot_fanout *fanout) {
    follow_fanout *f = (follow_fanout *)fanout;
    if (f->nhere > 0) presence_send(f, "b", "", 0); /* the other nodes drop this node's users at once */
    f->closing = 1;
    ssot_fanout_close(f->options.inner);
    for (size_t i = 0; i < f->nhere; i++) {
        free(f->here[i].channel);
        free(f->here[i].user);
    }
    for (size_t i = 0; i < f->nthere; i++) {
        free(f->there[i].channel);
        free(f->there[i].user);
    }
    free(f->here);
    free(f->there);
    free(f->peers);
    ssot_buf_free(&f->message);
    free(f->models);
    free(f);
}

static const ssot_fanout_ops follow_ops = {
    .name = "follow",
    .publish_change = follow_publish_change,
    .publish_custom = follow_publish_custom,
    .close = follow_close,
    .presence_here = follow_presence_here,
};

ssot_fanout *ssot_fanout_follow_new(const ssot_follow_options *options) {
    follow_fanout *f = calloc(1, sizeof *f);
    follow_model *models = calloc(options->app->nmodels ? options->app->nmodels : 1, sizeof *models);
    if (!f || !models) {
        free(f);
        free(models);
        return NULL;
    }
    f->base.ops = &follow_ops;
    f->options = *options;
    f->models = models;
    unsigned char id[16];
    if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id) /* unlikely: still distinct per process */
        for (size_t i = 0; i < sizeof id; i++) id[i] = (unsigned char)(((uintptr_t)f >> (i % 8)) ^ (unsigned)time(NULL) ^ i);
    for (size_t i = 0; i < sizeof id; i++) snprintf(f->node + 2 * i, 3, "%02x", id[i]);
    for (size_t i = 0; i < options->app->nmodels; i++) {
        ssot_stream_position pos;
        const ssot_model *m = &options->app->models[i];
        if (read_position(f, m, &pos) != 0) continue; /* read again at its first signal */
        models[m->index].known = 1;
        memcpy(models[m->index].epoch, pos.epoch, SSOT_EPOCH_SIZE);
        models[m->index].delivered = models[m->index].wanted = pos.offset;
    }
    return &f->base;
}

int ssot_fanout_follow_fd(ssot_fanout *fanout) {
    follow_fanout *f = (follow_fanout *)fanout;
    return ssot_store_signal_fd(f->options.store);
}

static void on_signal(void *ctx, const char *model, int64_t offset) {
    follow_fanout *f = ctx;
    if (!model) {
        f->check_all = 1;
        f->hello_sent = 0; /* messages may have been lost too: everyone's state again */
        return;
    }
    const ssot_model *m = ssot_app_model(f->options.app, model);
    if (!m) return; /* a model of another version of the app: not ours to deliver */
    follow_model *fm = &f->models[m->index];
    if (offset > fm->wanted) fm->wanted = offset;
}

void ssot_fanout_follow_read(ssot_fanout *fanout) {
    follow_fanout *f = (follow_fanout *)fanout;
    ssot_store_error err;
    ssot_store_signals to = {.change = on_signal, .message = on_message, .ctx = f};
    int n = ssot_store_signal_drain(f->options.store, &to, &err);
    if (n < 0 && !f->failing) {
        ssot_logf(SSOT_LOG_WARN, "%s; events other nodes commit reach this node's subscribers again once it is back",
                  err.message);
        f->failing = 1;
    } else if (n >= 0 && f->failing && ssot_store_signal_fd(f->options.store) >= 0) {
        ssot_logf(SSOT_LOG_INFO, "listening for other nodes' commits again");
        f->failing = 0;
    }
}

void ssot_fanout_follow_catch_up(ssot_fanout *fanout) {
    follow_fanout *f = (follow_fanout *)fanout;
    presence_tick(f);
    if (f->retry_at && time(NULL) < f->retry_at) return;
    f->retry_at = 0;
    int all = f->check_all;
    f->check_all = 0;
    for (size_t i = 0; i < f->options.app->nmodels; i++) {
        const ssot_model *m = &f->options.app->models[i];
        follow_model *fm = &f->models[m->index];
        if (all && fm->known) {
            ssot_stream_position pos;
            if (read_position(f, m, &pos) != 0) {
                f->check_all = 1; /* again at the next pass */
                continue;
            }
            if (strcmp(pos.epoch, fm->epoch) != 0) {
                lost(f, m, fm, &pos);
                continue;
            }
            if (pos.offset > fm->wanted) fm->wanted = pos.offset;
        }
        if (!fm->known || fm->wanted > fm->delivered) catch_up(f, m, fm);
    }
}
