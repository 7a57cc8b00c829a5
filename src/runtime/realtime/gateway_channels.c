/* The gateway's channels (gateway_internal.h): a hash table from name to the channels that
 * have subscribers, so finding an event's subscribers costs O(its subscribers), not
 * O(connections); subscriptions, indexed from both the channel and the connection so either
 * ends one in O(1); and presence, counted per user id, here and (through the follower) on
 * other nodes. Uses gateway_deliver.c for join/leave, channel.h to resolve another node's
 * channel. */
#include "runtime/realtime/gateway_internal.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_name(const char *name, size_t len) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 16777619u;
    return h;
}

gw_channel *gw_channel_find(ssot_gateway *gw, const char *name, size_t len) {
    uint32_t h = hash_name(name, len);
    for (gw_channel *c = gw->buckets[h & (gw->nbuckets - 1)]; c; c = c->next_in_bucket)
        if (c->hash == h && strncmp(c->name, name, len) == 0 && c->name[len] == '\0') return c;
    return NULL;
}

/* Doubles the table when it holds more channels than buckets (a failed grow keeps it as is). */
static void maybe_grow(ssot_gateway *gw) {
    if (gw->nchannels < gw->nbuckets) return;
    size_t n = 2 * gw->nbuckets;
    gw_channel **buckets = calloc(n, sizeof *buckets);
    if (!buckets) return;
    for (size_t i = 0; i < gw->nbuckets; i++)
        for (gw_channel *c = gw->buckets[i], *next; c; c = next) {
            next = c->next_in_bucket;
            c->next_in_bucket = buckets[c->hash & (n - 1)];
            buckets[c->hash & (n - 1)] = c;
        }
    free(gw->buckets);
    gw->buckets = buckets;
    gw->nbuckets = n;
}

/* A new channel for name, its ref re-pointed into its own copy of the name. */
static gw_channel *channel_new(ssot_gateway *gw, const char *name, size_t len, const ssot_channel_ref *ref) {
    gw_channel *c = calloc(1, sizeof *c + len + 1);
    if (!c) return NULL;
    memcpy(c->name, name, len);
    c->name[len] = '\0';
    c->hash = hash_name(name, len);
    c->ref = *ref;
    if (ref->item_id) c->ref.item_id = c->name + (ref->item_id - name);
    for (size_t i = 0; i < ref->nparams; i++) c->ref.params[i].at = c->name + (ref->params[i].at - name);
    if (ref->kind == SSOT_CHANNEL_CUSTOM && !(c->params = ssot_channel_params(&c->ref))) {
        free(c);
        return NULL;
    }
    maybe_grow(gw);
    size_t b = c->hash & (gw->nbuckets - 1);
    c->next_in_bucket = gw->buckets[b];
    gw->buckets[b] = c;
    gw->nchannels++;
    return c;
}

static void channel_free(ssot_gateway *gw, gw_channel *c) {
    for (gw_channel **at = &gw->buckets[c->hash & (gw->nbuckets - 1)]; *at; at = &(*at)->next_in_bucket)
        if (*at == c) {
            *at = c->next_in_bucket;
            break;
        }
    gw->nchannels--;
    json_decref(c->params);
    free(c->subs);
    free(c->present);
    free(c);
}

gw_sub *gw_session_sub(gw_session *session, const char *name, size_t len) {
    for (size_t i = 0; i < session->nsubs; i++) {
        const gw_channel *c = session->subs[i]->channel;
        if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0') return session->subs[i];
    }
    return NULL;
}

/* Makes room for one more pointer in *items (of *cap). Returns 0, or -1. */
static int grow(void *items_ptr, size_t n, size_t *cap) {
    void ***items = items_ptr;
    if (n < *cap) return 0;
    size_t c = *cap ? 2 * *cap : 4;
    void **grown = realloc(*items, c * sizeof *grown);
    if (!grown) return -1;
    *items = grown;
    *cap = c;
    return 0;
}

/* The presence entry of user id on c, or NULL. */
static struct presence_entry *presence_find(gw_channel *c, const char *id) {
    for (size_t i = 0; i < c->npresent; i++)
        if (strcmp(c->present[i].id, id) == 0) return &c->present[i];
    return NULL;
}

/* A new entry for id (connections 0, not elsewhere), or NULL when memory ran out. */
static struct presence_entry *presence_add(gw_channel *c, const char *id) {
    if (c->npresent == c->present_cap) {
        size_t cap = c->present_cap ? 2 * c->present_cap : 4;
        struct presence_entry *grown = realloc(c->present, cap * sizeof *grown);
        if (!grown) return NULL;
        c->present = grown;
        c->present_cap = cap;
    }
    size_t n = strlen(id) + 1;
    char *copy = malloc(n);
    if (!copy) return NULL;
    memcpy(copy, id, n);
    c->present[c->npresent] = (struct presence_entry){copy, 0, 0};
    return &c->present[c->npresent++];
}

/* Sends leave for e's user and takes the entry out. */
static void presence_remove(ssot_gateway *gw, gw_channel *c, struct presence_entry *e, const gw_session *except) {
    char *id = e->id;
    *e = c->present[--c->npresent];
    gw_presence_event(gw, c, "leave", id, except);
    free(id);
}

/* Counts the session's user on a presence channel; sends join to the others when the user was
 * on it nowhere (no connection here, none on another node); tells the fan-out in front (the
 * follower, which tells the other nodes) about its first connection here. */
void gw_presence_enter(ssot_gateway *gw, gw_channel *c, gw_session *session) {
    const ssot_user *user = &session->user->user;
    if (!c->ref.def || !c->ref.def->presence || !user->authenticated) return;
    struct presence_entry *e = presence_find(c, user->id);
    int joined = !e;
    if (!e && !(e = presence_add(c, user->id))) return; /* not listed: memory ran out */
    if (e->connections++ > 0) return;
    if (joined) gw_presence_event(gw, c, "join", user->id, session);
    ssot_fanout_presence_here(gw->outer, c->name, user->id, 1);
}

/* The other side: a leave when the session was its user's last connection here and no other
 * node has the user on the channel. */
void gw_presence_leave(ssot_gateway *gw, gw_channel *c, gw_session *session) {
    const ssot_user *user = &session->user->user;
    struct presence_entry *e = user->authenticated ? presence_find(c, user->id) : NULL;
    if (!e || e->connections == 0 || --e->connections > 0) return;
    ssot_fanout_presence_here(gw->outer, c->name, user->id, 0);
    if (!e->elsewhere) presence_remove(gw, c, e, session);
}

/* A channel with neither subscribers nor users present elsewhere is freed. */
static void channel_release(ssot_gateway *gw, gw_channel *c) {
    if (c->nsubs == 0 && c->npresent == 0) channel_free(gw, c);
}

void gw_presence_elsewhere(ssot_fanout *fanout, const char *name, const char *user, int present) {
    ssot_gateway *gw = (ssot_gateway *)fanout;
    size_t len = strlen(name);
    gw_channel *c = gw_channel_find(gw, name, len);
    if (!c && !present) return;
    if (!c) { /* nobody here is subscribed yet: the channel keeps who is there for those who come */
        ssot_channel_ref ref;
        char why[256];
        if (ssot_channel_resolve(gw->app, name, len, &ref, why, sizeof why) != 0 || ref.kind != SSOT_CHANNEL_CUSTOM ||
            !ref.def->presence)
            return; /* not a presence channel of this app (another version of the config) */
        if (!(c = channel_new(gw, name, len, &ref))) return;
    }
    struct presence_entry *e = presence_find(c, user);
    if (present) {
        if (!e && (e = presence_add(c, user))) gw_presence_event(gw, c, "join", user, NULL);
        if (e) e->elsewhere = 1;
    } else if (e) {
        e->elsewhere = 0;
        if (e->connections == 0) presence_remove(gw, c, e, NULL);
    }
    channel_release(gw, c);
}

gw_sub *gw_subscribe(ssot_gateway *gw, gw_session *session, const char *name, size_t len,
                     const ssot_channel_ref *ref) {
    gw_channel *c = gw_channel_find(gw, name, len);
    int created = 0;
    if (!c) {
        if (!(c = channel_new(gw, name, len, ref))) return NULL;
        created = 1;
    }
    gw_sub *sub = calloc(1, sizeof *sub);
    if (!sub || grow(&c->subs, c->nsubs, &c->cap) || grow(&session->subs, session->nsubs, &session->subs_cap)) {
        free(sub);
        if (created) channel_free(gw, c);
        return NULL;
    }
    sub->session = session;
    sub->channel = c;
    sub->slot = c->nsubs;
    sub->delivered = -1;
    c->subs[c->nsubs++] = sub;
    session->subs[session->nsubs++] = sub;
    gw->counts.subscriptions++;
    gw_presence_enter(gw, c, session);
    return sub;
}

void gw_unsubscribe(ssot_gateway *gw, gw_sub *sub) {
    gw_channel *c = sub->channel;
    gw_session *session = sub->session;
    c->subs[sub->slot] = c->subs[--c->nsubs];
    c->subs[sub->slot]->slot = sub->slot;
    for (size_t i = 0; i < session->nsubs; i++)
        if (session->subs[i] == sub) {
            session->subs[i] = session->subs[--session->nsubs];
            break;
        }
    gw->counts.subscriptions--;
    free(sub);
    gw_presence_leave(gw, c, session);
    channel_release(gw, c);
}

void gw_presence_json(const gw_channel *channel, ssot_buf *out) {
    ssot_buf_putc(out, '[');
    for (size_t i = 0; i < channel->npresent; i++) {
        if (i) ssot_buf_putc(out, ',');
        const char *id = channel->present[i].id;
        ssot_buf_put_json_string(out, id, strlen(id));
    }
    ssot_buf_putc(out, ']');
}

void gw_channels_free(ssot_gateway *gw) {
    for (size_t i = 0; i < gw->nbuckets; i++)
        while (gw->buckets[i]) {
            gw_channel *c = gw->buckets[i];
            for (size_t k = 0; k < c->npresent; k++) free(c->present[k].id);
            for (size_t k = 0; k < c->nsubs; k++) free(c->subs[k]);
            channel_free(gw, c);
        }
    free(gw->buckets);
    gw->buckets = NULL;
}
