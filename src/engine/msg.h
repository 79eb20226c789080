/* msg.h: the one-line messages every module writes into a caller's buffer when something is
 * refused or fails. libc only.
 *
 * Ownership: err and out belong to the caller; nothing is allocated. */
#ifndef ATTN_MSG_H
#define ATTN_MSG_H

#include <stddef.h>

/* Formats the message into err (when err is not NULL and errlen > 0; a long one is cut)
 * and returns -1, so a failing function can `return msg_fail(err, errlen, "...", ...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int msg_fail(char *err, size_t errlen, const char *fmt, ...);

/* The NULL-terminated names joined by '|', each after prefix ("example:ducks|example:tiny"),
 * for messages that list what is allowed; cut to fit len. Returns out. */
char *msg_join(char *out, size_t len, const char *const *names, const char *prefix);

#endif
