/* mat.c: dense kernels for the engine (matrix products, dot rows, a fast exponential)
 * and a minimal parallel-for over C11 threads. */
#include "mat.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <unistd.h>

void mat_mul(float *out, const float *a, const float *b, int n, int k, int m)
{
    /* i-p-j order: the inner loop runs along contiguous rows of b and out */
    for (int i = 0; i < n; i++) {
        float *o = out + (size_t)i * m;
        for (int j = 0; j < m; j++) o[j] = 0.0f;
        for (int p = 0; p < k; p++) {
            float aip = a[(size_t)i * k + p];
            const float *br = b + (size_t)p * m;
            for (int j = 0; j < m; j++) o[j] += aip * br[j];
        }
    }
}

void mat_transpose(float *out, const float *a, int n, int m)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) out[(size_t)j * n + i] = a[(size_t)i * m + j];
}

void mat_row_dots(float *out, const float *q, const float *kt, int d, int n)
{
    for (int j = 0; j < n; j++) out[j] = 0.0f;
    for (int c = 0; c < d; c++) {
        float qc = q[c];
        const float *kr = kt + (size_t)c * n;
        for (int j = 0; j < n; j++) out[j] += qc * kr[j];
    }
}

void mat_exp_nonpos(float *out, const float *x, int n)
{
    /* exp(x) = 2^y with y = x log2(e) = k + f, k = round(y), |f| <= 1/2; 2^f by its Taylor
     * series to degree 7 (error < 1e-8 on that interval), 2^k written into the exponent. */
    const float log2e = 1.44269504088896341f;
    const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    for (int i = 0; i < n; i++) {
        float y = x[i] * log2e;
        float yc = y < -126.0f ? -126.0f : y;
        float r = yc + round_magic;
        float kf = r - round_magic;
        float f = yc - kf;
        float p = 1.5252733804059840e-5f;
        p = p * f + 1.5403530393381609e-4f;
        p = p * f + 1.3333558146428443e-3f;
        p = p * f + 9.6181291076284772e-3f;
        p = p * f + 5.5504108664821580e-2f;
        p = p * f + 2.4022650695910071e-1f;
        p = p * f + 6.9314718055994531e-1f;
        p = p * f + 1.0f;
        int32_t ki = (int32_t)kf;
        uint32_t bits = (uint32_t)(ki + 127) << 23;
        float scale;
        memcpy(&scale, &bits, sizeof scale);
        float e = p * scale;
        out[i] = y < -125.0f ? 0.0f : e;
    }
}

static int threads_cached;

static void threads_init(void)
{
    int n = 0;
    const char *env = getenv("ATTNLAB_THREADS");
    if (env && *env) n = atoi(env);
    if (n <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (int)c : 1;
    }
    if (n > 16) n = 16;
    threads_cached = n;
}

int mat_threads(void)
{
    static once_flag once = ONCE_FLAG_INIT;
    call_once(&once, threads_init);
    return threads_cached;
}

typedef struct {
    MatTaskFn fn;
    void *ctx;
    int n_tasks;
    atomic_int next;
} ParJob;

static int par_worker(void *arg)
{
    ParJob *job = arg;
    for (;;) {
        int t = atomic_fetch_add(&job->next, 1);
        if (t >= job->n_tasks) break;
        job->fn(job->ctx, t);
    }
    return 0;
}

void mat_parallel_for(int n_tasks, MatTaskFn fn, void *ctx)
{
    ParJob job = {fn, ctx, n_tasks, 0};
    int nt = mat_threads();
    if (nt > n_tasks) nt = n_tasks;
    thrd_t th[16];
    int started = 0;
    for (int i = 1; i < nt; i++) {
        if (thrd_create(&th[started], par_worker, &job) != thrd_success) break;
        started++;
    }
    par_worker(&job);
    for (int i = 0; i < started; i++) thrd_join(th[i], NULL);
}
