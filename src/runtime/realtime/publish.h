/* ssot.publish(channel, event, data) for hooks and custom routes (docs/protocol.md "Events"):
 * the call checks the channel and event against the config (and data against the event's
 * payload fields, raising what does not fit) and queues the event; the service sends the
 * queue to the fan-out once the request succeeded (after its write committed) and drops it
 * when the request failed. Uses lua_bridge.h (Lua to JSON), channel.c, fanout.h. */
#ifndef SSOT_RUNTIME_PUBLISH_H
#define SSOT_RUNTIME_PUBLISH_H

#include "runtime/model/model.h"
#include "runtime/realtime/fanout.h"

#include <lua.h>
#include <stddef.h>

typedef struct ssot_publication {
    char *channel;
    char *event;
    char *data; /* JSON text */
    size_t data_len;
} ssot_publication;

/* Events published by one request, in order. A zeroed queue is empty. */
typedef struct ssot_publish_queue {
    ssot_publication *items;
    size_t n, cap;
} ssot_publish_queue;

/* Makes ssot.publish in L's sandboxes (module ssot.sandbox) queue into *current, which the
 * caller points at the queue of the request whose Lua code runs. Returns 0, or -1 with a
 * message when the module is missing. */
int ssot_publish_install(lua_State *L, const ssot_app *app, ssot_publish_queue **current, char *err,
                         size_t err_size);

/* Removes ssot.publish's target again (the service is closing). */
void ssot_publish_uninstall(lua_State *L);

/* Sends every queued event to fanout (as the server's: no publisher) and empties the queue. */
void ssot_publish_flush(ssot_publish_queue *queue, ssot_fanout *fanout);

/* Empties the queue without sending (the request failed). */
void ssot_publish_drop(ssot_publish_queue *queue);

/* Moves everything from src to the end of dst (src ends empty). Returns 0, or -1 when memory
 * runs out (then src's events are dropped). */
int ssot_publish_move(ssot_publish_queue *dst, ssot_publish_queue *src);

#endif
