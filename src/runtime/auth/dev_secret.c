/* The development secret file (dev_secret.h): made with O_CREAT|O_EXCL and mode 0600 (never
 * chmod'ed afterwards, so it is never readable by others, not even for a moment), published
 * under its final name with link() so a second server starting at the same time reads a
 * whole file or makes none, and checked on every read (a regular file, private, not empty). */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, O_NOFOLLOW, strdup */
#include "runtime/auth/dev_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_BYTES 32
#define MAX_FILE_BYTES 4096 /* a secret, not a document: anything longer is not what ssot made */

int ssot_dev_secret_path(const char *database, const char *config_path, char *out, size_t size) {
    /* an in-memory database has no directory: the file goes beside the config instead */
    const char *anchor = database && *database && strcmp(database, ":memory:") != 0 ? database : config_path;
    const char *slash = anchor ? strrchr(anchor, '/') : NULL;
    int n;
    if (!slash) n = snprintf(out, size, "%s", SSOT_DEV_SECRET_FILE);
    else if (slash == anchor) n = snprintf(out, size, "/%s", SSOT_DEV_SECRET_FILE);
    else n = snprintf(out, size, "%.*s/%s", (int)(slash - anchor), anchor, SSOT_DEV_SECRET_FILE);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* n bytes from the kernel's generator: getrandom, or /dev/urandom where it is missing. */
static int random_bytes(unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        got += (size_t)r;
    }
    if (got == n) return 0;
    if (errno != ENOSYS) return -1;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    for (got = 0; got < n;) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    return got == n ? 0 : -1;
}

static int write_all(int fd, const char *text, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, text, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        text += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Creates file (which must not exist) holding text, mode 0600 from the start. 0, or -1 with errno. */
static int create_file(const char *file, const char *text) {
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
        int saved = errno;
        close(fd);
        unlink(file);
        errno = saved;
        return -1;
    }
    return close(fd);
}

/* Makes a new secret file at path. Returns SSOT_DEV_SECRET_CREATED with *secret set,
 * SSOT_DEV_SECRET_MISSING when another process made it first (read that one), or an error. */
static int make_secret(const char *path, char **secret, char *message, size_t message_size) {
    unsigned char bytes[SECRET_BYTES + 4];
    if (random_bytes(bytes, sizeof bytes) != 0) {
        snprintf(message, message_size, "cannot make a development secret: the system's random generator failed (%s)",
                 strerror(errno));
        return SSOT_DEV_SECRET_ERROR;
    }
    char text[2 * SECRET_BYTES + 2];
    for (size_t i = 0; i < SECRET_BYTES; i++) snprintf(text + 2 * i, 3, "%02x", bytes[i]);
    text[2 * SECRET_BYTES] = '\n';
    text[2 * SECRET_BYTES + 1] = '\0';

    /* Written under a temporary name, then linked into place: link() never replaces a file,
     * and nobody ever sees the final name holding half a secret. */
    char temp[4096];
    int n = snprintf(temp, sizeof temp, "%s.%02x%02x%02x%02x.tmp", path, bytes[SECRET_BYTES], bytes[SECRET_BYTES + 1],
                     bytes[SECRET_BYTES + 2], bytes[SECRET_BYTES + 3]);
    int status;
    if (n <= 0 || (size_t)n >= sizeof temp) {
        errno = ENAMETOOLONG;
        status = -1;
    } else if ((status = create_file(temp, text)) == 0) {
        status = link(temp, path);
        int saved = errno;
        unlink(temp);
        errno = saved;
        /* a file system without hard links: create the file itself, still exclusively */
        if (status != 0 && (errno == EPERM || errno == ENOTSUP || errno == ENOSYS || errno == EMLINK))
            status = create_file(path, text);
    }
    if (status != 0) {
        if (errno == EEXIST) return SSOT_DEV_SECRET_MISSING;
        snprintf(message, message_size,
                 "cannot create the development secret %s: %s (make its directory writable, or set the secret's "
                 "environment variable instead)",
                 path, strerror(errno));
        return SSOT_DEV_SECRET_ERROR;
    }
    text[2 * SECRET_BYTES] = '\0';
    *secret = strdup(text);
    if (!*secret) {
        snprintf(message, message_size, "out of memory");
        return SSOT_DEV_SECRET_ERROR;
    }
    return SSOT_DEV_SECRET_CREATED;
}

/* Reads an existing secret file, checking it first. */
static int read_secret(int fd, const char *path, char **secret, char *message, size_t message_size) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(message, message_size, "cannot read the development secret %s: %s", path, strerror(errno));
        return SSOT_DEV_SECRET_ERROR;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(message, message_size,
                 "the development secret %s is not a regular file: remove it, and `ssot serve` makes a new one", path);
        return SSOT_DEV_SECRET_ERROR;
    }
    if (st.st_mode & 077) {
        /* a secret others can read is no secret; one others can write lets them pick it */
        snprintf(message, message_size,
                 "the development secret %s can be read or written by other users (mode %04o): run `chmod 600 %s`, "
                 "or remove it and `ssot serve` makes a new one",
                 path, (unsigned)(st.st_mode & 07777), path);
        return SSOT_DEV_SECRET_ERROR;
    }
    char buf[MAX_FILE_BYTES + 1];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(message, message_size, "cannot read the development secret %s: %s", path, strerror(errno));
            return SSOT_DEV_SECRET_ERROR;
        }
        if (r == 0 || (len += (size_t)r) == sizeof buf) break;
    }
    if (len > MAX_FILE_BYTES || memchr(buf, '\0', len)) {
        snprintf(message, message_size,
                 "the development secret %s is not a secret ssot made (%s): remove it, and `ssot serve` makes a new one",
                 path, len > MAX_FILE_BYTES ? "longer than 4096 bytes" : "it holds a NUL byte");
        return SSOT_DEV_SECRET_ERROR;
    }
    /* a secret written by hand (echo ... > file) ends with a newline the signer never sees */
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    if (len == 0) {
        snprintf(message, message_size,
                 "the development secret %s is empty: remove it, and `ssot serve` makes a new one", path);
        return SSOT_DEV_SECRET_ERROR;
    }
    *secret = malloc(len + 1);
    if (!*secret) {
        snprintf(message, message_size, "out of memory");
        return SSOT_DEV_SECRET_ERROR;
    }
    memcpy(*secret, buf, len);
    (*secret)[len] = '\0';
    return SSOT_DEV_SECRET_READ;
}

int ssot_dev_secret_load(const char *path, int create, char **secret, char *message, size_t message_size) {
    *secret = NULL;
    /* twice at most: a file another server made between our open and our link is read the second time */
    for (int attempt = 0; attempt < 2; attempt++) {
        /* O_NONBLOCK: a FIFO put in its place must not hang the server; O_NOFOLLOW: nor a link */
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            int status = read_secret(fd, path, secret, message, message_size);
            close(fd);
            return status;
        }
        if (errno == ELOOP) {
            snprintf(message, message_size,
                     "the development secret %s is a symbolic link, which ssot does not follow: remove it, and "
                     "`ssot serve` makes a new one",
                     path);
            return SSOT_DEV_SECRET_ERROR;
        }
        if (errno != ENOENT) {
            snprintf(message, message_size, "cannot read the development secret %s: %s", path, strerror(errno));
            return SSOT_DEV_SECRET_ERROR;
        }
        if (!create) return SSOT_DEV_SECRET_MISSING;
        int status = make_secret(path, secret, message, message_size);
        if (status != SSOT_DEV_SECRET_MISSING) return status;
    }
    snprintf(message, message_size, "cannot read the development secret %s: it keeps disappearing", path);
    return SSOT_DEV_SECRET_ERROR;
}

int ssot_production_env(const char **why) {
    const char *ssot_env = getenv("SSOT_ENV");
    if (ssot_env && *ssot_env) {
        *why = ssot_env;
        if (strcasecmp(ssot_env, "production") == 0) {
            *why = "SSOT_ENV=production";
            return 1;
        }
        return strcasecmp(ssot_env, "development") == 0 ? 0 : -1;
    }
    /* NODE_ENV too: a deployment that sets it for its Node services means production for ssot */
    const char *node_env = getenv("NODE_ENV");
    if (node_env && strcasecmp(node_env, "production") == 0) {
        *why = "NODE_ENV=production";
        return 1;
    }
    return 0;
}
