/* file.h: files read whole and written whole or not at all, and folders made with their
 * parents: what every export, scene file, setting and sound goes through. POSIX, no SDL.
 *
 * Ownership: file_read returns a buffer the caller frees; nothing else allocates for the
 * caller. */
#ifndef ATTN_FILE_H
#define ATTN_FILE_H

#include <stddef.h>

/* Writes len bytes to path atomically: a temporary file in the same directory, flushed,
 * then renamed over path. Returns 0, or -1 with a one-line message in err naming the path
 * and the reason; on failure no file is left behind (neither the temporary nor a partial
 * path) and an existing file at path is untouched. The temporary is PATH.tmp-XXXXXX; the
 * new file gets mode 0644. Messages read "cannot write PATH: REASON" (strerror). */
int file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Makes a folder and its parents (like mkdir -p, mode 0755). Returns 0, or -1 with a
 * message naming the folder that could not be made. */
int file_make_dirs(const char *path, char *err, size_t errlen);

/* Reads a whole file of at most max bytes into a malloc'd NUL-terminated buffer (the caller
 * frees it). On failure returns NULL with "PATH: reason" in err ("PATH: larger than the limit
 * of N MB" for a larger file); *missing (when not NULL) is set when the file does not exist. */
char *file_read(const char *path, size_t max, size_t *len, int *missing, char *err, size_t errlen);

/* 1 if something exists at path. */
int file_exists(const char *path);

#endif
