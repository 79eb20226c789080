/* compute.h: the window's background computation. One worker thread computes the newest
 * scene handed to it, attention and the Transformer blocks after it, while the window keeps
 * drawing the last trace and taking input; the finished trace is swapped in when it is
 * ready. A scene handed over before the worker started on the previous one replaces it.
 *
 * Ownership: compute_submit copies the scene (attn_scene_clone), so the caller may change
 * or free its own arrays at once. The Compute owns the traces it computes until
 * compute_take swaps one with the caller's; the caller's old trace then belongs to the
 * Compute, which reuses its memory. */
#ifndef ATTN_COMPUTE_H
#define ATTN_COMPUTE_H

#include "../engine/attn.h"
#include "../engine/block.h"

#include <stddef.h>

typedef struct Compute Compute;

/* What one job gave. */
typedef struct {
    unsigned ticket;   /* the submitter's number for the job */
    int failed;        /* the attention failed: err says why, the traces are untouched */
    int block_failed;  /* attention worked but the blocks did not: err says why */
    char err[600];
    double ms;         /* wall time the job took */
} ComputeDone;

/* Starts the worker. notify, when not NULL, is called on the worker's thread each time a
 * result is ready (to wake the window). Returns NULL when the thread cannot start. */
Compute *compute_start(void (*notify)(void *ctx), void *ctx);

/* Waits for the job in progress, then stops the worker and frees everything it holds. */
void compute_stop(Compute *c);

/* Hands the worker a copy of s (which must pass attn_check) and, when layers > 0, the
 * Transformer blocks to stack after it. Returns 0, or -1 when memory ran out. */
int compute_submit(Compute *c, const AttnScene *s, int layers, int d_ff, unsigned ticket);

/* 1 while a job is waiting or running. */
int compute_busy(Compute *c);

/* When the result of job `ticket` is ready: swaps the computed attention (and blocks, when
 * the job had layers; *have_block says whether) into *trace and *block, fills *done and
 * returns 1. A failed job swaps nothing. Returns 0 when nothing is ready; a ready result
 * of another ticket (a scene since replaced) is dropped. */
int compute_take(Compute *c, unsigned ticket, AttnTrace *trace, BlockTrace *block, int *have_block,
                 ComputeDone *done);

/* Blocks until no job is waiting or running (the result stays ready for compute_take);
 * while held, until the job in progress, if any, ends. */
void compute_wait(Compute *c);

/* While held, the worker starts no job (jobs still queue and replace each other); for
 * tests that need a job to be outstanding. */
void compute_hold(Compute *c, int on);

/* Jobs the worker has finished since it started. */
unsigned compute_jobs_done(Compute *c);

#endif
