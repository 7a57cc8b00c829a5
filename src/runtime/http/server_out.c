/* The output queue of server_out.h: send() with MSG_NOSIGNAL straight from the caller's
 * buffer, and writev() of the queued segments once the socket is writable again. Uses libc
 * and the socket API. */
#define _DEFAULT_SOURCE /* MSG_NOSIGNAL, MSG_DONTWAIT */
#include "runtime/http/server_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct ssot_out_segment {
    ssot_out_segment *next;
    ssot_shared_bytes *bytes;
    size_t offset, len; /* what is still to send */
};

ssot_shared_bytes *ssot_shared_bytes_new(const void *data, size_t len) {
    ssot_shared_bytes *bytes = malloc(sizeof *bytes + len + 1);
    if (!bytes) return NULL;
    bytes->refs = 1;
    bytes->len = len;
    if (data && len) memcpy(bytes->data, data, len);
    bytes->data[len] = '\0';
    return bytes;
}

void ssot_shared_bytes_ref(ssot_shared_bytes *bytes) { bytes->refs++; }

void ssot_shared_bytes_unref(ssot_shared_bytes *bytes) {
    if (bytes && --bytes->refs == 0) free(bytes);
}

/* Sends what it can without blocking: the bytes sent, or -1 when the connection is broken. */
static long send_some(int fd, const char *data, size_t len) {
    for (;;) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return (long)n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;
    }
}

static int enqueue(ssot_outq *q, ssot_shared_bytes *bytes, size_t offset, size_t len) {
    ssot_out_segment *segment = malloc(sizeof *segment);
    if (!segment) return -1;
    *segment = (ssot_out_segment){NULL, bytes, offset, len};
    if (q->tail) q->tail->next = segment;
    else q->head = segment;
    q->tail = segment;
    q->bytes += len;
    return 0;
}

int ssot_outq_send(ssot_outq *q, int fd, const void *data, size_t len) {
    size_t sent = 0;
    if (len == 0) return 0;
    if (!q->head) {
        long n = send_some(fd, data, len);
        if (n < 0) return -1;
        sent = (size_t)n;
        if (sent == len) return 0;
    }
    ssot_shared_bytes *rest = ssot_shared_bytes_new((const char *)data + sent, len - sent);
    if (!rest) return -1;
    if (enqueue(q, rest, 0, rest->len)) {
        ssot_shared_bytes_unref(rest);
        return -1;
    }
    return 0;
}

int ssot_outq_send_shared(ssot_outq *q, int fd, ssot_shared_bytes *bytes, size_t offset, size_t len) {
    if (len == 0) return 0;
    if (!q->head) {
        long n = send_some(fd, bytes->data + offset, len);
        if (n < 0) return -1;
        if ((size_t)n == len) return 0;
        offset += (size_t)n;
        len -= (size_t)n;
    }
    if (enqueue(q, bytes, offset, len)) return -1;
    ssot_shared_bytes_ref(bytes);
    return 0;
}

int ssot_outq_hold(ssot_outq *q, ssot_shared_bytes *bytes, size_t offset, size_t len) {
    if (len == 0) return 0;
    if (enqueue(q, bytes, offset, len)) return -1;
    ssot_shared_bytes_ref(bytes);
    return 0;
}

int ssot_outq_hold_copy(ssot_outq *q, const void *data, size_t len) {
    if (len == 0) return 0;
    ssot_shared_bytes *copy = ssot_shared_bytes_new(data, len);
    if (!copy) return -1;
    if (enqueue(q, copy, 0, len)) {
        ssot_shared_bytes_unref(copy);
        return -1;
    }
    return 0;
}

#define FLUSH_IOVECS 64

int ssot_outq_flush(ssot_outq *q, int fd) {
    while (q->head) {
        struct iovec iov[FLUSH_IOVECS];
        size_t n = 0, offered = 0;
        for (ssot_out_segment *s = q->head; s && n < FLUSH_IOVECS; s = s->next) {
            iov[n++] = (struct iovec){s->bytes->data + s->offset, s->len};
            offered += s->len;
        }
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
        ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        q->bytes -= (size_t)sent;
        size_t left = (size_t)sent;
        while (left > 0) {
            ssot_out_segment *s = q->head;
            if (left < s->len) {
                s->offset += left;
                s->len -= left;
                break;
            }
            left -= s->len;
            q->head = s->next;
            if (!q->head) q->tail = NULL;
            ssot_shared_bytes_unref(s->bytes);
            free(s);
        }
        if ((size_t)sent < offered) return 0; /* the socket is full */
    }
    return 1;
}

void ssot_outq_clear(ssot_outq *q) {
    while (q->head) {
        ssot_out_segment *s = q->head;
        q->head = s->next;
        ssot_shared_bytes_unref(s->bytes);
        free(s);
    }
    q->tail = NULL;
    q->bytes = 0;
}
