/* test.h: the tiny test runner shared by every test file.
 * A suite is a function that calls RUN(case) for each case; a case is a void
 * function that uses EXPECT* and returns at the first failure. */
#ifndef ATTN_TEST_H
#define ATTN_TEST_H

#include <math.h>
#include <stdio.h>

typedef void (*TestFn)(void);

void test_run(const char *name, TestFn fn);
void test_fail(const char *file, int line, const char *fmt, ...);
int test_current_failed(void);
/* A fresh empty directory for this test run (made once, under TMPDIR or /tmp). */
const char *test_tmpdir(void);

#define RUN(fn) test_run(#fn, fn)

#define EXPECT(cond)                                                             \
    do {                                                                         \
        if (!(cond)) { test_fail(__FILE__, __LINE__, "expected %s", #cond); return; } \
    } while (0)

#define EXPECT_MSG(cond, ...)                                                    \
    do {                                                                         \
        if (!(cond)) { test_fail(__FILE__, __LINE__, __VA_ARGS__); return; }     \
    } while (0)

#define EXPECT_INT(a, b)                                                         \
    do {                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                      \
        if (a_ != b_) { test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); return; } \
    } while (0)

#define EXPECT_NEAR(a, b, tol)                                                   \
    do {                                                                         \
        double a_ = (double)(a), b_ = (double)(b);                               \
        if (!(fabs(a_ - b_) <= (tol))) { test_fail(__FILE__, __LINE__, "%s == %.9g, expected %.9g (diff %.3g > %.3g)", #a, a_, b_, fabs(a_ - b_), (double)(tol)); return; } \
    } while (0)

#define EXPECT_STR(a, b)                                                         \
    do {                                                                         \
        const char *a_ = (a), *b_ = (b);                                         \
        if (!a_ || strcmp(a_, b_) != 0) { test_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_); return; } \
    } while (0)

/* Largest absolute difference between two float arrays of n values; the helper
 * EXPECT_ALL_NEAR prints it when it exceeds tol. */
double test_max_diff(const float *a, const float *b, int n);
#define EXPECT_ALL_NEAR(a, b, n, tol)                                            \
    do {                                                                         \
        double d_ = test_max_diff((a), (b), (n));                                \
        if (!(d_ <= (tol))) { test_fail(__FILE__, __LINE__, "%s vs %s: max diff %.3g > %.3g", #a, #b, d_, (double)(tol)); return; } \
    } while (0)

#endif
