/* compute.c: the worker thread that computes large scenes away from the window's thread,
 * the one-slot queue that feeds it (a newer scene replaces one not yet started) and the
 * handing over of finished traces. */
#include "compute.h"

#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

typedef struct {
    AttnTrace trace;
    BlockTrace block;
    int have_block;
    ComputeDone done;
} Result;

struct Compute {
    thrd_t thread;
    mtx_t lock;
    cnd_t wake;            /* the worker: a job, a release or the stop */
    cnd_t idle;            /* compute_wait: the worker has nothing left to do */
    int stop, held, running;
    /* the job waiting to start (owned: mem holds the scene's arrays) */
    int pending;
    AttnScene scene;
    void *scene_mem;
    int layers, d_ff;
    unsigned ticket;
    /* the newest finished job, until taken */
    int ready;
    Result res;
    unsigned jobs_done;
    void (*notify)(void *ctx);
    void *ctx;
};

static double now_ms(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void result_free(Result *r)
{
    attn_trace_free(&r->trace);
    block_trace_free(&r->block);
    r->have_block = 0;
}

/* Computes one job into r, whose traces may hold an earlier job's memory to reuse. */
static void run_job(Result *r, const AttnScene *s, int layers, int d_ff, unsigned ticket)
{
    double t0 = now_ms();
    memset(&r->done, 0, sizeof r->done);
    r->done.ticket = ticket;
    r->have_block = 0;
    if (attn_forward(&r->trace, s, r->done.err, sizeof r->done.err)) {
        r->done.failed = 1;
    } else if (layers > 0) {
        BlockScene bs = block_scene_default();
        bs.attn = *s;
        bs.layers = layers;
        bs.d_ff = d_ff;
        if (block_forward(&r->block, &bs, r->done.err, sizeof r->done.err) == 0) r->have_block = 1;
        else r->done.block_failed = 1;
    }
    r->done.ms = now_ms() - t0;
}

static int worker(void *arg)
{
    Compute *c = arg;
    Result work;
    memset(&work, 0, sizeof work);
    mtx_lock(&c->lock);
    for (;;) {
        while (!c->stop && (!c->pending || c->held)) cnd_wait(&c->wake, &c->lock);
        if (c->stop) break;
        AttnScene scene = c->scene;
        void *mem = c->scene_mem;
        int layers = c->layers, d_ff = c->d_ff;
        unsigned ticket = c->ticket;
        c->pending = 0;
        c->scene_mem = NULL;
        c->running = 1;
        mtx_unlock(&c->lock);

        run_job(&work, &scene, layers, d_ff, ticket);
        free(mem);

        mtx_lock(&c->lock);
        /* the finished result replaces one nobody took; work keeps the other's memory */
        Result t = c->res;
        c->res = work;
        work = t;
        c->ready = 1;
        c->running = 0;
        c->jobs_done++;
        if (!c->pending) cnd_broadcast(&c->idle);
        void (*notify)(void *) = c->notify;
        void *ctx = c->ctx;
        mtx_unlock(&c->lock);
        if (notify) notify(ctx);
        mtx_lock(&c->lock);
    }
    mtx_unlock(&c->lock);
    result_free(&work);
    return 0;
}

Compute *compute_start(void (*notify)(void *ctx), void *ctx)
{
    Compute *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->notify = notify;
    c->ctx = ctx;
    if (mtx_init(&c->lock, mtx_plain) != thrd_success) { free(c); return NULL; }
    if (cnd_init(&c->wake) != thrd_success) { mtx_destroy(&c->lock); free(c); return NULL; }
    if (cnd_init(&c->idle) != thrd_success) {
        cnd_destroy(&c->wake);
        mtx_destroy(&c->lock);
        free(c);
        return NULL;
    }
    if (thrd_create(&c->thread, worker, c) != thrd_success) {
        cnd_destroy(&c->idle);
        cnd_destroy(&c->wake);
        mtx_destroy(&c->lock);
        free(c);
        return NULL;
    }
    return c;
}

void compute_stop(Compute *c)
{
    if (!c) return;
    mtx_lock(&c->lock);
    c->stop = 1;
    cnd_broadcast(&c->wake);
    mtx_unlock(&c->lock);
    thrd_join(c->thread, NULL);
    free(c->scene_mem);
    result_free(&c->res);
    cnd_destroy(&c->idle);
    cnd_destroy(&c->wake);
    mtx_destroy(&c->lock);
    free(c);
}

int compute_submit(Compute *c, const AttnScene *s, int layers, int d_ff, unsigned ticket)
{
    AttnScene copy;
    void *mem;
    if (attn_scene_clone(&copy, &mem, s)) return -1;
    mtx_lock(&c->lock);
    void *old = c->pending ? c->scene_mem : NULL;
    c->scene = copy;
    c->scene_mem = mem;
    c->layers = layers;
    c->d_ff = d_ff;
    c->ticket = ticket;
    c->pending = 1;
    cnd_signal(&c->wake);
    mtx_unlock(&c->lock);
    free(old); /* a job that never started */
    return 0;
}

int compute_busy(Compute *c)
{
    mtx_lock(&c->lock);
    int busy = c->pending || c->running;
    mtx_unlock(&c->lock);
    return busy;
}

int compute_take(Compute *c, unsigned ticket, AttnTrace *trace, BlockTrace *block, int *have_block,
                 ComputeDone *done)
{
    mtx_lock(&c->lock);
    if (!c->ready || c->res.done.ticket != ticket) {
        c->ready = 0; /* a result for a scene since replaced is dropped */
        mtx_unlock(&c->lock);
        return 0;
    }
    Result *r = &c->res;
    *done = r->done;
    if (!r->done.failed) {
        AttnTrace t = *trace;
        *trace = r->trace;
        r->trace = t;
        BlockTrace b = *block;
        *block = r->block;
        r->block = b;
        *have_block = r->have_block;
        r->have_block = 0;
    }
    c->ready = 0;
    mtx_unlock(&c->lock);
    return 1;
}

void compute_wait(Compute *c)
{
    mtx_lock(&c->lock);
    while (c->running || (c->pending && !c->held)) cnd_wait(&c->idle, &c->lock);
    mtx_unlock(&c->lock);
}

void compute_hold(Compute *c, int on)
{
    mtx_lock(&c->lock);
    c->held = on;
    if (!on) cnd_signal(&c->wake);
    mtx_unlock(&c->lock);
}

unsigned compute_jobs_done(Compute *c)
{
    mtx_lock(&c->lock);
    unsigned n = c->jobs_done;
    mtx_unlock(&c->lock);
    return n;
}
