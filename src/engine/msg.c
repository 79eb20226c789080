/* msg.c: one-line failure messages into the caller's buffer (msg.h). */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>

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
