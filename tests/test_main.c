/* test_main.c: runs every suite and ends with the line "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUITES(X) X(tok) X(attn) X(scene) X(cmap) X(outfile) X(render) X(export) X(cli) X(explain) X(scenefile) X(window) X(app) X(lesson) X(player) X(img) X(picture) X(block) X(cross) X(compute) X(graph) X(audio) X(speech)
#define DECLARE(s) void suite_##s(void);
SUITES(DECLARE)

static int passed, failed, cur_failed;
static char tmpdir[256];

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    cur_failed = 1;
    fprintf(stderr, "  %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int test_current_failed(void) { return cur_failed; }

void test_run(const char *name, TestFn fn)
{
    cur_failed = 0;
    fn();
    if (cur_failed) { failed++; fprintf(stderr, "FAIL %s\n", name); }
    else { passed++; printf("ok   %s\n", name); }
    fflush(stdout);
}

double test_max_diff(const float *a, const float *b, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d != d) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/attnlab-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) { perror("mkdtemp"); exit(2); }
    }
    return tmpdir;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
#define CALL(s) if (!only || strcmp(only, #s) == 0) { printf("# %s\n", #s); suite_##s(); }
    SUITES(CALL)
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
