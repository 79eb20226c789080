/* file.c: files read whole, written whole or not at all (a temporary file, fsync, rename),
 * folders made with their parents (file.h). POSIX. */
#define _POSIX_C_SOURCE 200809L
#include "file.h"
#include "../engine/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *file_read(const char *path, size_t max, size_t *len, int *missing, char *err, size_t errlen)
{
    if (missing) *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (missing) *missing = errno == ENOENT;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 2);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int e = ferror(f) ? errno : 0;
    fclose(f);
    if (e || n > max) {
        free(buf);
        if (e) snprintf(err, errlen, "%s: %s", path, strerror(e));
        else snprintf(err, errlen, "%s: larger than the limit of %zu MB", path, max >> 20);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int file_make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        snprintf(err, errlen, "cannot make folder '%s': bad path", path);
        return -1;
    }
    memcpy(buf, path, len + 1);
    /* make each prefix that ends at a slash, then the whole path */
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char keep = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot make folder %s: %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = keep;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot make folder %s: %s", path, strerror(ENOTDIR));
        return -1;
    }
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return msg_fail(err, errlen, "cannot write %s: %s", path, strerror(EISDIR));

    size_t plen = strlen(path);
    static const char suffix[] = ".tmp-XXXXXX";
    char *tmp = malloc(plen + sizeof suffix);
    if (!tmp) return msg_fail(err, errlen, "cannot write %s: %s", path, strerror(ENOMEM));
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, suffix, sizeof suffix);

    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return msg_fail(err, errlen, "cannot write %s: %s", path, strerror(e));
    }

    int e = 0;
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        size_t chunk = len - off > ((size_t)1 << 30) ? ((size_t)1 << 30) : len - off;
        ssize_t w = write(fd, p + off, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            e = errno;
            break;
        }
        if (w == 0) { /* no progress and no reason given: treat as a full device */
            e = ENOSPC;
            break;
        }
        off += (size_t)w;
    }
    while (!e && fsync(fd) != 0) {
        if (errno != EINTR) e = errno;
    }
    if (!e && fchmod(fd, 0644) != 0) e = errno;
    if (close(fd) != 0 && !e && errno != EINTR) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        free(tmp);
        return msg_fail(err, errlen, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);

    /* make the rename itself durable; a directory that cannot be synced is not an error */
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (!slash) dir = strdup(".");
    else if (slash == path) dir = strdup("/");
    else if ((dir = malloc((size_t)(slash - path) + 1)) != NULL) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return 0;
}
