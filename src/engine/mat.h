/* mat.h: the small dense kernels the engine is built from, and a parallel for-loop.
 * Outputs first, then inputs, then sizes; every matrix is row-major float. No kernel
 * allocates. libc + libm only. */
#ifndef ATTN_MAT_H
#define ATTN_MAT_H

/* out (n x m) = a (n x k) . b (k x m) */
void mat_mul(float *restrict out, const float *restrict a, const float *restrict b, int n, int k, int m);

/* out (m x n) = a (n x m) transposed */
void mat_transpose(float *out, const float *a, int n, int m);

/* out (n) = q (d) . kt (d x n): one row of dot products against keys stored transposed */
void mat_row_dots(float *restrict out, const float *restrict q, const float *restrict kt, int d, int n);

/* out[i] = exp(x[i]) for x[i] <= 0: exp(0) is exactly 1, the absolute error stays below
 * 1e-7 (relative below 2e-7 for x > -2, growing to ~4e-6 near -80), and x below -86.6
 * (including -inf) gives exactly 0. In place is allowed. Vectorisable, so a score row is
 * normalised at memory speed. */
void mat_exp_nonpos(float *out, const float *x, int n);

/* a (n) . b (n), summed in a fixed order of 16 lanes */
float mat_dot(const float *restrict a, const float *restrict b, int n);

/* The largest of x[0..n-1]; -inf when n == 0. */
float mat_max(const float *restrict x, int n);

/* In place: each x[i] <= 0 (finite; use -1e30 for a key that must get nothing) becomes
 * exp(x[i]). Returns the sum of the exponentials and stores sum exp(x[i]) * x[i] in
 * *sum_eu, which gives a softmax row's entropy without a log per cell. */
float mat_exp_sum(float *restrict x, int n, float *sum_eu);

/* Runs fn(ctx, task) for task = 0..n_tasks-1 on the calling thread and a pool of
 * mat_threads() - 1 workers started on first use (they sleep between jobs). fn must only
 * write memory that belongs to its task. Runs everything on the calling thread when no
 * worker could start or another thread is using the pool. */
typedef void (*MatTaskFn)(void *ctx, int task);
void mat_parallel_for(int n_tasks, MatTaskFn fn, void *ctx);
int mat_threads(void); /* online processors, at most 16; ATTNLAB_THREADS overrides */

#endif
