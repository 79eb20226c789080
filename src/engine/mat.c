/* mat.c: dense kernels for the engine (matrix products, dot rows, a fast exponential)
 * and a minimal parallel-for over C11 threads. */
#include "mat.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

void mat_mul(float *restrict out, const float *restrict a, const float *restrict b, int n, int k, int m)
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

void mat_row_dots(float *restrict out, const float *restrict q, const float *restrict kt, int d, int n)
{
    for (int j = 0; j < n; j++) out[j] = 0.0f;
    for (int c = 0; c < d; c++) {
        float qc = q[c];
        const float *kr = kt + (size_t)c * n;
        for (int j = 0; j < n; j++) out[j] += qc * kr[j];
    }
}

/* exp(x) for x <= 0 as 2^y with y = x log2(e) = k + f, k = round(y), |f| <= 1/2; 2^f by its
 * Taylor series to degree 7 (error < 1e-8 on that interval), 2^k written into the exponent.
 * Branch-free, so loops over it vectorise. */
static inline float exp_nonpos(float x)
{
    const float log2e = 1.44269504088896341f;
    const float round_magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float y = x * log2e;
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
    return y < -125.0f ? 0.0f : e;
}

void mat_exp_nonpos(float *out, const float *x, int n)
{
    for (int i = 0; i < n; i++) out[i] = exp_nonpos(x[i]);
}

/* Reductions keep LANES partial results so they vectorise without reassociating floats
 * behind the compiler's back; the order of additions is fixed, so results are repeatable. */
#define LANES 16

float mat_max(const float *restrict x, int n)
{
    float m[LANES];
    int i = 0;
    for (int l = 0; l < LANES; l++) m[l] = -INFINITY;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) m[l] = x[i + l] > m[l] ? x[i + l] : m[l];
    float best = -INFINITY;
    for (int l = 0; l < LANES; l++) best = m[l] > best ? m[l] : best;
    for (; i < n; i++) best = x[i] > best ? x[i] : best;
    return best;
}

float mat_dot(const float *restrict a, const float *restrict b, int n)
{
    float acc[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += a[i + l] * b[i + l];
    float s = 0.0f;
    for (int l = 0; l < LANES; l++) s += acc[l];
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

float mat_exp_sum(float *restrict x, int n, float *sum_eu)
{
    float z[LANES] = {0}, zu[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            float u = x[i + l];
            float e = exp_nonpos(u);
            x[i + l] = e;
            z[l] += e;
            zu[l] += e * u;
        }
    float zs = 0.0f, zus = 0.0f;
    for (int l = 0; l < LANES; l++) { zs += z[l]; zus += zu[l]; }
    for (; i < n; i++) {
        float u = x[i], e = exp_nonpos(u);
        x[i] = e;
        zs += e;
        zus += e * u;
    }
    *sum_eu = zus;
    return zs;
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

/* The pool of workers. Work is handed out through one atomic ticket holding the job's
 * generation, its task count and the next task: a worker claims a task only with a
 * compare-and-swap on a ticket of the current generation, so the caller never waits for a
 * worker that was not scheduled; it waits only for tasks already claimed. Workers spin
 * briefly after each job (the next phase usually follows at once, and waking a sleeping
 * thread can take longer than a phase), then sleep, so an idle program uses no CPU. */
#define SPIN_NS 2000000L  /* how long a worker keeps looking for the next job */
#define TASK_BITS 20      /* tasks per job: up to 2^20 */

static struct {
    mtx_t lock, busy;     /* busy: one caller at a time uses the pool */
    cnd_t wake;
    _Atomic uint64_t ticket; /* generation << 40 | n_tasks << 20 | next task */
    atomic_int done;      /* tasks finished in this job */
    MatTaskFn fn;         /* written before the ticket is published, read after a claim */
    void *ctx;
    int workers, ok;
} pool;

/* Claims the next task of generation gen; returns -1 when there is none. */
static int pool_claim(uint64_t gen)
{
    uint64_t t = atomic_load(&pool.ticket);
    for (;;) {
        uint64_t mask = (1ULL << TASK_BITS) - 1;
        if (t >> 40 != gen) return -1;
        uint64_t next = t & mask, n = (t >> TASK_BITS) & mask;
        if (next >= n) return -1;
        if (atomic_compare_exchange_weak(&pool.ticket, &t, t + 1)) return (int)next;
    }
}

static void pool_drain(uint64_t gen)
{
    int task;
    while ((task = pool_claim(gen)) >= 0) {
        pool.fn(pool.ctx, task);
        atomic_fetch_add(&pool.done, 1);
    }
}

static long elapsed_ns(const struct timespec *t0)
{
    struct timespec t1;
    timespec_get(&t1, TIME_UTC);
    return (t1.tv_sec - t0->tv_sec) * 1000000000L + (t1.tv_nsec - t0->tv_nsec);
}

static int pool_worker(void *arg)
{
    (void)arg;
    uint64_t seen = 0;
    for (;;) {
        struct timespec t0;
        timespec_get(&t0, TIME_UTC);
        int spins = 0;
        while (atomic_load(&pool.ticket) >> 40 == seen) {
            if (++spins % 256 == 0 && elapsed_ns(&t0) > SPIN_NS) {
                mtx_lock(&pool.lock);
                while (atomic_load(&pool.ticket) >> 40 == seen) cnd_wait(&pool.wake, &pool.lock);
                mtx_unlock(&pool.lock);
            }
        }
        seen = atomic_load(&pool.ticket) >> 40;
        pool_drain(seen);
    }
    return 0;
}

static void pool_init(void)
{
    if (mtx_init(&pool.lock, mtx_plain) != thrd_success || mtx_init(&pool.busy, mtx_plain) != thrd_success ||
        cnd_init(&pool.wake) != thrd_success)
        return;
    int want = mat_threads() - 1;
    for (int i = 0; i < want; i++) {
        thrd_t th;
        if (thrd_create(&th, pool_worker, NULL) != thrd_success) break;
        thrd_detach(th);
        pool.workers++;
    }
    pool.ok = pool.workers > 0;
}

void mat_parallel_for(int n_tasks, MatTaskFn fn, void *ctx)
{
    static once_flag once = ONCE_FLAG_INIT;
    call_once(&once, pool_init);
    /* no pool, one task, too many tasks for a ticket, or another caller using the pool:
     * run here */
    if (!pool.ok || n_tasks < 2 || n_tasks >= (1 << TASK_BITS) ||
        mtx_trylock(&pool.busy) != thrd_success) {
        for (int t = 0; t < n_tasks; t++) fn(ctx, t);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    atomic_store(&pool.done, 0);
    uint64_t gen = (atomic_load(&pool.ticket) >> 40) + 1;
    mtx_lock(&pool.lock);
    atomic_store(&pool.ticket, gen << 40 | (uint64_t)n_tasks << TASK_BITS);
    cnd_broadcast(&pool.wake);
    mtx_unlock(&pool.lock);
    pool_drain(gen);
    /* tasks a worker has claimed are running now and short: wait for them by spinning */
    while (atomic_load(&pool.done) < n_tasks) thrd_yield();
    mtx_unlock(&pool.busy);
}
