/* Sending a static file (server_internal.h): the head with the file's length, then its bytes
 * a chunk at a time as the socket takes them, so a large file to a slow client holds one
 * chunk of memory, not the file. Uses server_http.c's head writer and server_out.h. */
#define _POSIX_C_SOURCE 200809L /* pread, O_CLOEXEC */
#include "runtime/http/http_response.h"
#include "runtime/http/server_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Chunks sent per writable event before giving other connections their turn. */
#define CHUNKS_PER_TURN 4

void ssot_server_file_close(http_exchange *ex) {
    if (ex->file_fd >= 0) close(ex->file_fd);
    ex->file_fd = -1;
}

ssot_file_progress ssot_server_file_start(ssot_server *server, http_conn *conn, ssot_response *resp) {
    http_exchange *ex = conn->ex;
    int fd = open(resp->file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int out_of_files = fd < 0 && (errno == EMFILE || errno == ENFILE);
        if (fd >= 0) close(fd);
        if (out_of_files)
            ssot_http_error(resp, &ex->req, SSOT_E_UNAVAILABLE,
                            "the server has no file descriptor left to open the file (ulimit -n): retry shortly");
        else
            ssot_http_error(resp, &ex->req, SSOT_E_NOT_FOUND, "no file at %s", ex->req.path);
        return SSOT_FILE_UNAVAILABLE;
    }
    if (ssot_server_send_head(server, conn, resp, (int64_t)st.st_size)) {
        close(fd);
        return SSOT_FILE_BROKEN;
    }
    if (ex->req.method == SSOT_METHOD_HEAD || st.st_size == 0) {
        close(fd);
        return SSOT_FILE_SENT;
    }
    ex->file_fd = fd;
    ex->file_offset = 0;
    ex->file_remaining = (int64_t)st.st_size;
    if (!server->file_chunk && !(server->file_chunk = malloc(SSOT_FILE_CHUNK))) return SSOT_FILE_BROKEN;
    return ssot_server_file_continue(server, conn);
}

ssot_file_progress ssot_server_file_continue(ssot_server *server, http_conn *conn) {
    http_exchange *ex = conn->ex;
    for (int turn = 0; turn < CHUNKS_PER_TURN && !ssot_outq_pending(&conn->out); turn++) {
        size_t want = ex->file_remaining < SSOT_FILE_CHUNK ? (size_t)ex->file_remaining : SSOT_FILE_CHUNK;
        ssize_t n = pread(ex->file_fd, server->file_chunk, want, (off_t)ex->file_offset);
        if (n < 0 && errno == EINTR) continue;
        /* the file shrank or failed under us: the promised length cannot be kept */
        if (n <= 0 || ssot_outq_send(&conn->out, conn->fd, server->file_chunk, (size_t)n)) return SSOT_FILE_BROKEN;
        ex->file_offset += n;
        ex->file_remaining -= n;
        if (ex->file_remaining == 0) {
            ssot_server_file_close(ex);
            return SSOT_FILE_SENT;
        }
    }
    lws_callback_on_writable(conn->wsi);
    return SSOT_FILE_SENDING;
}
