/* msg.c: one-line failure messages into the caller's buffer (msg.h). */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int msg_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

char *msg_join(char *out, size_t len, const char *const *names, const char *prefix)
{
    if (!len) return out;
    out[0] = 0;
    size_t at = 0;
    for (int i = 0; names[i] && at + 1 < len; i++) {
        int w = snprintf(out + at, len - at, "%s%s%s", i ? "|" : "", prefix ? prefix : "", names[i]);
        if (w < 0) break;
        at += (size_t)w < len - at ? (size_t)w : len - at - 1;
    }
    return out;
}
