/* mat.h: the small dense kernels the engine is built from, and a parallel for-loop.
 * Outputs first, then inputs, then sizes; every matrix is row-major float. No kernel
 * allocates. libc + libm only. */
#ifndef ATTN_MAT_H
#define ATTN_MAT_H

/* out (n x m) = a (n x k) . b (k x m) */
void mat_mul(float *out, const float *a, const float *b, int n, int k, int m);

/* out (m x n) = a (n x m) transposed */
void mat_transpose(float *out, const float *a, int n, int m);

/* out (n) = q (d) . kt (d x n): one row of dot products against keys stored transposed */
void mat_row_dots(float *out, const float *q, const float *kt, int d, int n);

/* out[i] = exp(x[i]) for x[i] <= 0: exp(0) is exactly 1, the absolute error stays below
 * 1e-7 (relative below 2e-7 for x > -2, growing to ~4e-6 near -80), and x below -86.6
 * (including -inf) gives exactly 0. In place is allowed. Vectorisable, so a score row is
 * normalised at memory speed. */
void mat_exp_nonpos(float *out, const float *x, int n);

/* Runs fn(ctx, task) for task = 0..n_tasks-1 on up to mat_threads() threads. fn must only
 * write memory that belongs to its task. Falls back to one thread when threads cannot start. */
typedef void (*MatTaskFn)(void *ctx, int task);
void mat_parallel_for(int n_tasks, MatTaskFn fn, void *ctx);
int mat_threads(void); /* online processors, at most 16; ATTNLAB_THREADS overrides */

#endif
