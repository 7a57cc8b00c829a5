/* File operations of the emitter: what is at a path, whether a file already holds some bytes,
 * atomic replacement (an unnamed file linked into place where Linux allows it, else a temp
 * file in the same directory + rename) and pruning empty directories. POSIX I/O plus
 * O_TMPFILE/linkat; every call retries on EINTR. */
#define _GNU_SOURCE /* O_TMPFILE; lstat, fsync */
#include "host/emit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum ssot_file_kind ssot_file_kind(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return SSOT_FILE_NONE;
    if (S_ISREG(st.st_mode)) return SSOT_FILE_REGULAR;
    if (S_ISLNK(st.st_mode)) return SSOT_FILE_LINK;
    if (S_ISDIR(st.st_mode)) return SSOT_FILE_DIRECTORY;
    return SSOT_FILE_OTHER;
}

static int open_retrying(const char *path, int flags, mode_t mode) {
    int fd;
    do fd = open(path, flags, mode);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* Reads up to n bytes, fewer only at the end of the file. Returns the count or -1. */
static ssize_t read_full(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_full(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int ssot_file_equals(const char *path, const char *data, size_t len) {
    int fd = open_retrying(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct stat st;
    int result = 0;
    if (fstat(fd, &st) != 0) {
        result = -1;
    } else if (S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
        /* Compare in chunks; one byte past the expected end proves the file did not grow. */
        char chunk[16384];
        size_t offset = 0;
        result = 1;
        for (;;) {
            ssize_t n = read_full(fd, chunk, sizeof chunk);
            if (n < 0) {
                result = -1;
                break;
            }
            if ((size_t)n > len - offset || memcmp(chunk, data + offset, (size_t)n) != 0) {
                result = 0;
                break;
            }
            offset += (size_t)n;
            if ((size_t)n < sizeof chunk) {
                result = offset == len;
                break;
            }
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}

/* ".<name>.<pid>.<n>.ssot-tmp" in dir: a temporary name next to the target. The pid is
 * asked once per process; atomics, as emitters' writer threads may make names at once. */
static int temp_name(char temp[PATH_MAX], const char *dir, const char *name) {
    static atomic_long pid;
    static atomic_uint counter;
    long id = atomic_load(&pid);
    if (!id) atomic_store(&pid, id = (long)getpid());
    int n = snprintf(temp, PATH_MAX, "%s/.%s.%ld.%u.ssot-tmp", dir, name, id, atomic_fetch_add(&counter, 1));
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Creates a fresh temp file next to name in dir. The mode 0666 lets the kernel apply the
 * umask, as for any file a program creates. */
static int create_temp(const char *dir, const char *name, char temp[PATH_MAX]) {
    for (int attempt = 0; attempt < 100; attempt++) {
        if (temp_name(temp, dir, name) != 0) return -1;
        int fd = open_retrying(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

/* Writes data to fd (and syncs it when sync is true). Returns NULL, or what failed with errno
 * set. */
static const char *write_content(int fd, const char *data, size_t len, bool sync) {
    if (write_full(fd, data, len) != 0) return "cannot write the temporary file";
    if (sync && fsync(fd) != 0) return "cannot sync the temporary file";
    return NULL;
}

static void fail_at(char *err, const char *target, const char *failed, int saved_errno) {
    snprintf(err, SSOT_EMIT_ERROR_SIZE, "%s: %s: %s", target, failed, strerror(saved_errno));
}

#ifdef O_TMPFILE
enum unnamed_result { UNNAMED_DONE, UNNAMED_FAILED, UNNAMED_UNSUPPORTED };

/* Gives the unnamed file fd the name path; fails with EEXIST when path exists. */
static int link_unnamed(int fd, const char *path) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* The write through an unnamed file (O_TMPFILE): the content goes into a file with no name in
 * dir, which is then linked in under the target's name, or, when the target exists, under a
 * temporary name renamed over it. A new file costs one change to the directory instead of
 * two, which is most of the time of a fresh run on a disk that journals them. Where the file
 * system or /proc does not allow it, UNNAMED_UNSUPPORTED sends the caller to the named temp
 * file. */
static enum unnamed_result write_unnamed(const char *dir, const char *name, const char *target,
                                         const char *data, size_t len, bool sync, char *err) {
    int fd = open_retrying(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) return UNNAMED_UNSUPPORTED;
    const char *failed = write_content(fd, data, len, sync);
    char temp[PATH_MAX] = "";
    int linked = -1;
    if (!failed) {
        linked = link_unnamed(fd, target);
        for (int attempt = 0; linked != 0 && errno == EEXIST && attempt < 100; attempt++) {
            if (temp_name(temp, dir, name) != 0) break;
            linked = link_unnamed(fd, temp);
        }
        if (linked != 0 && errno == ENOENT) { /* no /proc: the named temp file works anyway */
            close(fd);
            return UNNAMED_UNSUPPORTED;
        }
        if (linked != 0) failed = "cannot link the new file into place";
    }
    int saved = errno;
    if (close(fd) != 0 && !failed) {
        failed = "cannot write the temporary file";
        saved = errno;
    }
    if (!failed && temp[0] && rename(temp, target) != 0) {
        failed = "cannot rename the temporary file into place";
        saved = errno;
    }
    if (failed) {
        if (linked == 0) unlink(temp[0] ? temp : target);
        fail_at(err, target, failed, saved);
        return UNNAMED_FAILED;
    }
    return UNNAMED_DONE;
}
#endif

int ssot_write_atomic(const char *dir, const char *name, const char *data, size_t len, bool sync, char *err) {
    char temp[PATH_MAX], target[PATH_MAX];
    int n = snprintf(target, sizeof target, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof target) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "%s/%s: file name too long", dir, name);
        return -1;
    }
#ifdef O_TMPFILE
    switch (write_unnamed(dir, name, target, data, len, sync, err)) {
    case UNNAMED_DONE: return 0;
    case UNNAMED_FAILED: return -1;
    case UNNAMED_UNSUPPORTED: break;
    }
#endif
    int fd = create_temp(dir, name, temp);
    if (fd < 0) {
        snprintf(err, SSOT_EMIT_ERROR_SIZE, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        return -1;
    }
    const char *failed = write_content(fd, data, len, sync);
    int saved = errno;
    if (close(fd) != 0 && !failed) {
        failed = "cannot write the temporary file";
        saved = errno;
    }
    if (!failed && rename(temp, target) != 0) {
        failed = "cannot rename the temporary file into place";
        saved = errno;
    }
    if (failed) {
        unlink(temp);
        fail_at(err, target, failed, saved);
        return -1;
    }
    return 0;
}

void ssot_prune_empty_dirs(const char *root, const char *dir) {
    char current[PATH_MAX];
    snprintf(current, sizeof current, "%s", dir);
    size_t root_len = strlen(root);
    while (strlen(current) > root_len && strncmp(current, root, root_len) == 0 && current[root_len] == '/') {
        if (rmdir(current) != 0) return; /* not empty (or not ours to remove): stop here */
        char *slash = strrchr(current, '/');
        if (!slash) return;
        *slash = '\0';
    }
}
