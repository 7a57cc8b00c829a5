/* A connection's output: bytes are sent straight to the socket as far as it takes them, and
 * what it cannot take yet waits in a queue of segments until the socket is writable. A
 * segment refers to reference-counted bytes, so one encoded message can wait in many
 * connections' queues without a copy each. Uses only libc and the socket API. */
#ifndef SSOT_RUNTIME_SERVER_OUT_H
#define SSOT_RUNTIME_SERVER_OUT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes shared by the queues that hold them; freed when the last reference goes. */
typedef struct ssot_shared_bytes {
    uint32_t refs;
    size_t len;
    char data[];
} ssot_shared_bytes;

/* A new block of len bytes (copied from data when it is not NULL) with one reference. */
ssot_shared_bytes *ssot_shared_bytes_new(const void *data, size_t len);
void ssot_shared_bytes_ref(ssot_shared_bytes *bytes);
void ssot_shared_bytes_unref(ssot_shared_bytes *bytes);

typedef struct ssot_out_segment ssot_out_segment;

typedef struct ssot_outq {
    ssot_out_segment *head, *tail;
    size_t bytes; /* queued and not yet sent */
} ssot_outq;

/* Sends data[0..len) on fd after what is already queued: at once when the queue is empty,
 * queueing (a copy of) whatever the socket does not take. Returns 0, or -1 when the
 * connection is broken or memory ran out. */
int ssot_outq_send(ssot_outq *q, int fd, const void *data, size_t len);

/* Queues part of shared bytes (taking a reference), sending at once when nothing waits. */
int ssot_outq_send_shared(ssot_outq *q, int fd, ssot_shared_bytes *bytes, size_t offset, size_t len);

/* Appends part of shared bytes (taking a reference), or a copy of data, to the queue without
 * sending: the caller flushes later, so what one pass of the event loop sends a connection
 * leaves in one system call (server_ws.c). Return 0, or -1 when memory ran out. */
int ssot_outq_hold(ssot_outq *q, ssot_shared_bytes *bytes, size_t offset, size_t len);
int ssot_outq_hold_copy(ssot_outq *q, const void *data, size_t len);

/* Sends as much of the queue as the socket takes. Returns 1 when the queue is empty, 0 when
 * bytes still wait, -1 when the connection is broken. */
int ssot_outq_flush(ssot_outq *q, int fd);

/* Whether bytes wait. */
static inline int ssot_outq_pending(const ssot_outq *q) { return q->head != NULL; }

/* Drops everything queued (the connection closed). */
void ssot_outq_clear(ssot_outq *q);

#endif
