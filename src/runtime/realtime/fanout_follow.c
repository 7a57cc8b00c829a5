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
 * tagged with this node's random id, through the store's signal_send; the other nodes
 * deliver what they receive, this one skips its own. Uses store.h, host/log.h, base/buf.h,
 * jansson (reading a message). */
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

typedef struct follow_fanout {
    ssot_fanout base;
    ssot_follow_options options;
    follow_model *models;            /* by model index */
    int check_all;                   /* signals may have been lost: compare every position */
    int failing;                     /* the signal connection is down (logged once) */
    time_t retry_at;                 /* after a failed read of the store, not before this second */
    char node[33];                   /* this process's random id, in its messages */
    ssot_buf message;                /* a message being encoded */
    int warned_size, warned_send;    /* a custom event that could not cross (logged once) */
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
    if (b->failed || b->len > SSOT_SIGNAL_MESSAGE_MAX) {
        if (!f->warned_size)
            ssot_logf(SSOT_LOG_WARN, "the %s event on %s (%zu bytes) reaches this node's subscribers only: events "
                                     "over about %d bytes do not cross nodes",
                      event, channel, n, SSOT_SIGNAL_MESSAGE_MAX);
        f->warned_size = 1;
        return;
    }
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

/* A message from signal_send: another node's custom event is delivered here. */
static void on_message(void *ctx, const char *text, size_t len) {
    follow_fanout *f = ctx;
    json_error_t error;
    json_t *root = json_loadb(text, len, 0, &error);
    const char *node = json_string_value(json_object_get(root, "n"));
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
    ssot_fanout_close(f->options.inner);
    ssot_buf_free(&f->message);
    free(f->models);
    free(f);
}

static const ssot_fanout_ops follow_ops = {
    .name = "follow",
    .publish_change = follow_publish_change,
    .publish_custom = follow_publish_custom,
    .close = follow_close,
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
