/* test_compute.c: tests for compute.c, the background worker, and for the App handing
 * large scenes to it while it keeps taking input. Jobs are kept outstanding with
 * compute_hold, so nothing here depends on timing. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/app/app.h"
#include "../src/app/compute.h"
#include "../src/engine/scene.h"

#include <stdlib.h>
#include <string.h>

/* "w1 w2 ... wN" */
static char *words(int n)
{
    char *s = malloc((size_t)n * 8 + 1), *p = s;
    for (int i = 0; i < n; i++) p += sprintf(p, i ? " w%d" : "w%d", i + 1);
    return s;
}

/* A loaded scene of n tokens with explicit input vectors (so a test can change them). */
static int load(SceneSpec *sp, int n, int heads)
{
    char err[600], num[16];
    scene_spec_init(sp);
    char *text = words(n);
    int r = scene_set(sp, "text", text, err, sizeof err);
    free(text);
    snprintf(num, sizeof num, "%d", heads);
    if (!r) r = scene_set(sp, "heads", num, err, sizeof err);
    if (!r) r = scene_load(sp, NULL, err, sizeof err);
    if (r) fprintf(stderr, "  %s\n", err);
    return r;
}

static int same_trace(const AttnTrace *a, const AttnTrace *b)
{
    if (a->n != b->n || a->heads != b->heads || a->d_head != b->d_head || a->d_model != b->d_model) return 0;
    size_t nn = (size_t)a->n * a->n, nd = (size_t)a->n * a->d_model;
    if (memcmp(a->output, b->output, nd * sizeof(float)) || memcmp(a->x, b->x, nd * sizeof(float))) return 0;
    for (int h = 0; h < a->heads; h++)
        if (memcmp(a->head[h].weights, b->head[h].weights, nn * sizeof(float)) ||
            memcmp(a->head[h].scores, b->head[h].scores, nn * sizeof(float)))
            return 0;
    return 1;
}

static void compute_matches_the_engine(void)
{
    SceneSpec sp;
    char err[600];
    EXPECT(load(&sp, 40, 3) == 0);
    AttnTrace want, got;
    BlockTrace blk;
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    memset(&blk, 0, sizeof blk);
    EXPECT(attn_forward(&want, &sp.scene, err, sizeof err) == 0);
    Compute *c = compute_start(NULL, NULL);
    EXPECT(c != NULL);
    EXPECT(compute_submit(c, &sp.scene, 0, 0, 7) == 0);
    compute_wait(c);
    EXPECT(!compute_busy(c));
    ComputeDone done;
    int have_block = 1;
    int took = compute_take(c, 7, &got, &blk, &have_block, &done);
    int same = took && same_trace(&want, &got);
    compute_stop(c);
    attn_trace_free(&want);
    attn_trace_free(&got);
    block_trace_free(&blk);
    scene_spec_free(&sp);
    EXPECT(took);
    EXPECT_INT(done.ticket, 7);
    EXPECT(!done.failed);
    EXPECT(!have_block);
    EXPECT(same);
}

static void compute_works_on_its_own_copy(void)
{
    SceneSpec sp;
    char err[600];
    EXPECT(load(&sp, 16, 2) == 0);
    int nd = sp.scene.n * sp.scene.d_model;
    float *vec = malloc(sizeof(float) * (size_t)nd);
    for (int i = 0; i < nd; i++) vec[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    sp.scene.vectors = vec;
    AttnTrace want, got;
    BlockTrace blk;
    memset(&want, 0, sizeof want);
    memset(&got, 0, sizeof got);
    memset(&blk, 0, sizeof blk);
    EXPECT(attn_forward(&want, &sp.scene, err, sizeof err) == 0);
    Compute *c = compute_start(NULL, NULL);
    compute_hold(c, 1);
    EXPECT(compute_submit(c, &sp.scene, 0, 0, 1) == 0);
    /* the caller's arrays change (and are freed) before the job even starts */
    for (int i = 0; i < nd; i++) vec[i] = 9.0f;
    free(vec);
    sp.scene.vectors = NULL;
    compute_hold(c, 0);
    compute_wait(c);
    ComputeDone done;
    int have_block = 0;
    int took = compute_take(c, 1, &got, &blk, &have_block, &done);
    int same = took && same_trace(&want, &got) && got.explicit_vectors;
    compute_stop(c);
    attn_trace_free(&want);
    attn_trace_free(&got);
    scene_spec_free(&sp);
    EXPECT(took);
    EXPECT(same);
}

static void compute_newest_scene_replaces_a_waiting_one(void)
{
    SceneSpec a, b, cc;
    EXPECT(load(&a, 5, 1) == 0);
    EXPECT(load(&b, 6, 1) == 0);
    EXPECT(load(&cc, 7, 2) == 0);
    Compute *c = compute_start(NULL, NULL);
    compute_hold(c, 1);
    compute_submit(c, &a.scene, 0, 0, 1);
    compute_submit(c, &b.scene, 0, 0, 2);
    compute_submit(c, &cc.scene, 1, 0, 3);
    int busy_held = compute_busy(c);
    unsigned before = compute_jobs_done(c);
    compute_hold(c, 0);
    compute_wait(c);
    unsigned after = compute_jobs_done(c);
    AttnTrace t;
    BlockTrace blk;
    memset(&t, 0, sizeof t);
    memset(&blk, 0, sizeof blk);
    ComputeDone done;
    int have_block = 0;
    int took = compute_take(c, 3, &t, &blk, &have_block, &done);
    int n = t.n, heads = t.heads, layers = have_block ? blk.layers : 0;
    /* a result for a ticket the caller no longer wants is dropped, not swapped in */
    compute_submit(c, &a.scene, 0, 0, 4);
    compute_wait(c);
    int stale = compute_take(c, 5, &t, &blk, &have_block, &done);
    int dropped = !compute_take(c, 4, &t, &blk, &have_block, &done);
    int n_after = t.n;
    compute_stop(c);
    scene_spec_free(&a);
    scene_spec_free(&b);
    scene_spec_free(&cc);
    attn_trace_free(&t);
    block_trace_free(&blk);
    EXPECT(busy_held);
    EXPECT_INT(before, 0);
    EXPECT_INT(after, 1); /* only the newest ran */
    EXPECT(took);
    EXPECT_INT(done.ticket, 3);
    EXPECT_INT(n, 7);
    EXPECT_INT(heads, 2);
    EXPECT_INT(layers, 1);
    EXPECT(!stale);
    EXPECT(dropped);
    EXPECT_INT(n_after, 7);
}

static void compute_runs_the_blocks_too(void)
{
    SceneSpec sp;
    char err[600];
    EXPECT(load(&sp, 9, 2) == 0);
    BlockScene bs = block_scene_default();
    bs.attn = sp.scene;
    bs.layers = 2;
    BlockTrace want, blk;
    AttnTrace t;
    memset(&want, 0, sizeof want);
    memset(&blk, 0, sizeof blk);
    memset(&t, 0, sizeof t);
    EXPECT(block_forward(&want, &bs, err, sizeof err) == 0);
    Compute *c = compute_start(NULL, NULL);
    compute_submit(c, &sp.scene, 2, 0, 5);
    compute_wait(c);
    ComputeDone done;
    int have_block = 0;
    int took = compute_take(c, 5, &t, &blk, &have_block, &done);
    compute_stop(c);
    int same = took && have_block && blk.layers == 2 &&
               memcmp(want.layer[1].out, blk.layer[1].out, sizeof(float) * (size_t)9 * want.d_model) == 0;
    block_trace_free(&want);
    block_trace_free(&blk);
    attn_trace_free(&t);
    scene_spec_free(&sp);
    EXPECT(same);
}

/* ---------------------------------------------------------------- the App */

static void app_large_scene_computes_while_input_goes_on(void)
{
    App app;
    char err[600];
    app_init(&app);
    app_recompute(&app);
    int small_n = app.trace.n;
    app.compute = compute_start(NULL, NULL);
    EXPECT(app.compute != NULL);
    compute_hold(app.compute, 1);
    /* 1024 tokens x 4 heads: over the background threshold */
    char *text = words(1024);
    scene_set(&app.spec, "text", text, err, sizeof err);
    free(text);
    scene_set(&app.spec, "heads", "4", err, sizeof err);
    EXPECT((long long)1024 * 1024 * 4 >= APP_BACKGROUND_CELLS);
    unsigned rev = app.revision;
    EXPECT(app_recompute(&app) == 0);
    EXPECT(app.computing);
    EXPECT_INT(app.trace.n, small_n); /* the last trace stays on screen */
    EXPECT_INT(app.revision, rev);
    EXPECT(strstr(app.status, "computing 1024 tokens") != NULL);
    /* input is handled at once while the job is outstanding */
    Action a;
    memset(&a, 0, sizeof a);
    a.kind = ACT_TAB_SET;
    a.i = TAB_WEIGHTS;
    app_apply(&app, &a);
    EXPECT_INT(app.tab, TAB_WEIGHTS);
    a.kind = ACT_QUERY_NEXT;
    app_apply(&app, &a);
    EXPECT_INT(app.query, 1);
    EXPECT(!app_poll_compute(&app)); /* nothing ready while held */
    /* another change before the worker starts: only the newest is computed */
    a.kind = ACT_FIELD_NEXT;
    a.i = FIELD_HEADS;
    app_apply(&app, &a);
    EXPECT(app.computing);
    compute_hold(app.compute, 0);
    compute_wait(app.compute);
    EXPECT(app_poll_compute(&app));
    EXPECT(!app.computing);
    EXPECT_INT(app.trace.n, 1024);
    EXPECT_INT(app.trace.heads, 5);
    EXPECT_INT(compute_jobs_done(app.compute), 1);
    EXPECT(app.revision != rev);
    EXPECT(strstr(app.status, "1024 tokens · computed in") != NULL);
    /* a small scene after it is computed at once, and a late result would be dropped */
    scene_set(&app.spec, "text", "the cat sat", err, sizeof err);
    EXPECT(app_recompute(&app) == 0);
    EXPECT(!app.computing);
    EXPECT_INT(app.trace.n, 3);
    EXPECT_INT(app.query, 1);
    app_free(&app);
}

static void app_without_worker_computes_at_once(void)
{
    App app;
    char err[600];
    app_init(&app);
    char *text = words(1024);
    scene_set(&app.spec, "text", text, err, sizeof err);
    free(text);
    scene_set(&app.spec, "heads", "4", err, sizeof err);
    EXPECT(app_recompute(&app) == 0);
    EXPECT(!app.computing);
    EXPECT_INT(app.trace.n, 1024);
    app_free(&app);
}

void suite_compute(void)
{
    RUN(compute_matches_the_engine);
    RUN(compute_works_on_its_own_copy);
    RUN(compute_newest_scene_replaces_a_waiting_one);
    RUN(compute_runs_the_blocks_too);
    RUN(app_large_scene_computes_while_input_goes_on);
    RUN(app_without_worker_computes_at_once);
}
