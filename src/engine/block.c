/* block.c: the Transformer block's forward pass over L stacked layers (attention from
 * attn.c, then residual adds, layer norms and the per-vector MLP), its default parameters
 * and its limits. Every token's MLP and norms run independently, in parallel for big scenes. */
#include "block.h"
#include "msg.h"
#include "mat.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_BLOCK 32 /* token rows per parallel task */

BlockScene block_scene_default(void)
{
    BlockScene s;
    memset(&s, 0, sizeof s);
    s.attn = attn_scene_default();
    s.layers = 2;
    s.d_ff = 0;
    s.eps = 1e-5f;
    return s;
}

/* ---------------------------------------------------------------- checks */

static int check_values(const float *p, size_t count, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; p && i < count; i++)
        if (!(fabsf(p[i]) <= BLOCK_MAX_EXPLICIT))
            return msg_fail(err, errlen, "%s: value %zu is %g; values must be finite and within "
                        "+-%g", what, i + 1, (double)p[i], (double)BLOCK_MAX_EXPLICIT);
    return 0;
}

static int effective_d_ff(const BlockScene *s) { return s->d_ff ? s->d_ff : 4 * s->attn.d_model; }

int block_check(const BlockScene *s, char *err, size_t errlen)
{
    if (attn_check(&s->attn, err, errlen)) return -1;
    if (s->layers < 1 || s->layers > BLOCK_MAX_LAYERS)
        return msg_fail(err, errlen, "layers %d is outside 1..%d", s->layers, BLOCK_MAX_LAYERS);
    int dff = effective_d_ff(s);
    if (s->d_ff < 0 || dff < 1 || dff > BLOCK_MAX_D_FF)
        return msg_fail(err, errlen, "d_ff %d is outside 1..%d (0 means 4 x d_model)", s->d_ff ? s->d_ff : dff,
                    BLOCK_MAX_D_FF);
    if (!(s->eps > 0.0f && s->eps <= BLOCK_MAX_EPS))
        return msg_fail(err, errlen, "eps %g is outside (0, %g]", (double)s->eps, (double)BLOCK_MAX_EPS);
    long long L = s->layers, n = s->attn.n, dm = s->attn.d_model;
    long long hidden = L * n * dff;
    if (hidden > BLOCK_MAX_HIDDEN_CELLS)
        return msg_fail(err, errlen, "%lld layers x %lld tokens x d_ff %d is %lld hidden cells, more than the "
                    "limit of %lld", L, n, dff, hidden, (long long)BLOCK_MAX_HIDDEN_CELLS);
    long long weights = L * dm * dff;
    if (weights > BLOCK_MAX_WEIGHT_CELLS)
        return msg_fail(err, errlen, "%lld layers x d_model %lld x d_ff %d is %lld MLP weights a matrix, more "
                    "than the limit of %lld", L, dm, dff, weights, (long long)BLOCK_MAX_WEIGHT_CELLS);
    long long scores = L * s->attn.heads * n * n;
    if (scores > BLOCK_MAX_SCORE_CELLS)
        return msg_fail(err, errlen, "%lld layers x %d heads x %lld x %lld tokens is %lld score cells, more "
                    "than the limit of %lld", L, s->attn.heads, n, n, scores, (long long)BLOCK_MAX_SCORE_CELLS);
    size_t vd = (size_t)L * dm, vf = (size_t)L * dff, wd = (size_t)L * dm * dff;
    if (check_values(s->gamma1, vd, "gamma1", err, errlen) || check_values(s->beta1, vd, "beta1", err, errlen) ||
        check_values(s->gamma2, vd, "gamma2", err, errlen) || check_values(s->beta2, vd, "beta2", err, errlen) ||
        check_values(s->w1, wd, "W1", err, errlen) || check_values(s->b1, vf, "b1", err, errlen) ||
        check_values(s->w2, wd, "W2", err, errlen) || check_values(s->b2, vd, "b2", err, errlen))
        return -1;
    return 0;
}

/* ---------------------------------------------------------------- deterministic numbers */

/* Tags after attn.c's (1..8), so no block matrix shares a key with an attention one. */
enum { TAG_W1 = 16, TAG_W2 };

/* The matrix (seed, tag, layer), from the engine's seeded numbers. */
static void fill_random(float *w, int rows, int cols, float scale, uint64_t seed, int tag, int layer)
{
    attn_seeded_fill(w, rows, cols, scale, seed, tag, layer);
}

/* ---------------------------------------------------------------- layer norm */

void block_layer_norm(float *out, float *mean, float *var, const float *x, const float *gamma,
                      const float *beta, int d, float eps)
{
    double sum = 0.0;
    for (int m = 0; m < d; m++) sum += x[m];
    double mu = d > 0 ? sum / d : 0.0;
    double ss = 0.0;
    for (int m = 0; m < d; m++) {
        double c = x[m] - mu;
        ss += c * c;
    }
    double v = d > 0 ? ss / d : 0.0;
    double inv = 1.0 / sqrt(v + (double)eps);
    if (mean) *mean = (float)mu;
    if (var) *var = (float)v;
    for (int m = 0; m < d; m++) {
        double g = gamma ? gamma[m] : 1.0, b = beta ? beta[m] : 0.0;
        out[m] = (float)(g * ((x[m] - mu) * inv) + b);
    }
}

/* ---------------------------------------------------------------- memory */

/* mem holds BLOCK_MAX_LAYERS BlockLayer slots (so the layers' attention traces stay put
 * while the memory is reused), then every layer's arrays. */
static size_t align64(size_t x) { return (x + 63) & ~(size_t)63; }

static float *carve(char *base, size_t *used, size_t count)
{
    size_t at = align64(*used);
    *used = at + sizeof(float) * count;
    return base ? (float *)(base + at) : NULL;
}

/* Lays the layers' arrays out after the slots (measuring when base is NULL); returns the
 * bytes used from base. */
static size_t layout(BlockLayer *slots, char *base, int layers, int n, int dm, int dff)
{
    size_t used = sizeof(BlockLayer) * BLOCK_MAX_LAYERS;
    size_t nd = (size_t)n * dm, nf = (size_t)n * dff;
    for (int l = 0; l < layers; l++) {
        BlockLayer tmp, *ly = base ? &slots[l] : &tmp;
        ly->in = carve(base, &used, nd);
        ly->attn_out = carve(base, &used, nd);
        ly->res1 = carve(base, &used, nd);
        ly->mean1 = carve(base, &used, (size_t)n);
        ly->var1 = carve(base, &used, (size_t)n);
        ly->norm1 = carve(base, &used, nd);
        ly->pre = carve(base, &used, nf);
        ly->hidden = carve(base, &used, nf);
        ly->mlp_out = carve(base, &used, nd);
        ly->res2 = carve(base, &used, nd);
        ly->mean2 = carve(base, &used, (size_t)n);
        ly->var2 = carve(base, &used, (size_t)n);
        ly->out = carve(base, &used, nd);
        ly->gamma1 = carve(base, &used, (size_t)dm);
        ly->beta1 = carve(base, &used, (size_t)dm);
        ly->gamma2 = carve(base, &used, (size_t)dm);
        ly->beta2 = carve(base, &used, (size_t)dm);
        ly->w1 = carve(base, &used, (size_t)dm * dff);
        ly->b1 = carve(base, &used, (size_t)dff);
        ly->w2 = carve(base, &used, (size_t)dff * dm);
        ly->b2 = carve(base, &used, (size_t)dm);
    }
    return used;
}

void block_trace_free(BlockTrace *t)
{
    if (t->layer)
        for (int l = 0; l < BLOCK_MAX_LAYERS; l++) attn_trace_free(&t->layer[l].attn);
    free(t->mem);
    memset(t, 0, sizeof *t);
}

/* Makes room for the scene's arrays, keeping the attention traces already held. */
static int reserve(BlockTrace *t, size_t need)
{
    if (t->mem && t->mem_size >= need) return 0;
    void *mem = malloc(need);
    if (!mem) return -1;
    BlockLayer *slots = (BlockLayer *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    memset(slots, 0, sizeof *slots * BLOCK_MAX_LAYERS);
    if (t->layer)
        for (int l = 0; l < BLOCK_MAX_LAYERS; l++) slots[l].attn = t->layer[l].attn;
    free(t->mem);
    t->mem = mem;
    t->mem_size = need;
    t->layer = slots;
    return 0;
}

/* ---------------------------------------------------------------- the forward pass */

/* One layer's parameters: explicit ones copied, the rest the defaults. */
static void fill_params(BlockLayer *ly, const BlockScene *s, int l, int dm, int dff)
{
    size_t vd = (size_t)dm, vf = (size_t)dff, wd = (size_t)dm * dff;
    const float *src[4] = {s->gamma1, s->beta1, s->gamma2, s->beta2};
    float *dst[4] = {ly->gamma1, ly->beta1, ly->gamma2, ly->beta2};
    for (int p = 0; p < 4; p++) {
        if (src[p]) memcpy(dst[p], src[p] + l * vd, sizeof(float) * vd);
        else for (int m = 0; m < dm; m++) dst[p][m] = (p % 2 == 0) ? 1.0f : 0.0f; /* gamma 1, beta 0 */
    }
    if (s->w1) memcpy(ly->w1, s->w1 + l * wd, sizeof(float) * wd);
    else fill_random(ly->w1, dm, dff, (float)(1.0 / sqrt((double)dm)), s->attn.seed, TAG_W1, l);
    if (s->w2) memcpy(ly->w2, s->w2 + l * wd, sizeof(float) * wd);
    else fill_random(ly->w2, dff, dm, (float)(1.0 / sqrt((double)dff)), s->attn.seed, TAG_W2, l);
    if (s->b1) memcpy(ly->b1, s->b1 + l * vf, sizeof(float) * vf);
    else memset(ly->b1, 0, sizeof(float) * vf);
    if (s->b2) memcpy(ly->b2, s->b2 + l * vd, sizeof(float) * vd);
    else memset(ly->b2, 0, sizeof(float) * vd);
}

typedef struct {
    BlockLayer *ly;
    int n, dm, dff;
    float eps;
} RowJob;

/* Everything after the attention, for one block of tokens: no token reads another's row. */
static void rows_task(void *ctx, int blk)
{
    RowJob *job = ctx;
    BlockLayer *ly = job->ly;
    int n = job->n, dm = job->dm, dff = job->dff;
    int i0 = blk * ROW_BLOCK, i1 = i0 + ROW_BLOCK > n ? n : i0 + ROW_BLOCK, rows = i1 - i0;
    size_t d0 = (size_t)i0 * dm, f0 = (size_t)i0 * dff;
    for (size_t c = d0; c < (size_t)i1 * dm; c++) ly->res1[c] = ly->in[c] + ly->attn_out[c];
    for (int i = i0; i < i1; i++)
        block_layer_norm(ly->norm1 + (size_t)i * dm, &ly->mean1[i], &ly->var1[i], ly->res1 + (size_t)i * dm,
                         ly->gamma1, ly->beta1, dm, job->eps);
    mat_mul(ly->pre + f0, ly->norm1 + d0, ly->w1, rows, dm, dff);
    for (int i = i0; i < i1; i++) {
        float *p = ly->pre + (size_t)i * dff, *h = ly->hidden + (size_t)i * dff;
        for (int c = 0; c < dff; c++) {
            p[c] += ly->b1[c];
            h[c] = p[c] > 0.0f ? p[c] : 0.0f;
        }
    }
    mat_mul(ly->mlp_out + d0, ly->hidden + f0, ly->w2, rows, dff, dm);
    for (int i = i0; i < i1; i++) {
        float *o = ly->mlp_out + (size_t)i * dm, *r = ly->res2 + (size_t)i * dm;
        const float *x = ly->norm1 + (size_t)i * dm;
        for (int c = 0; c < dm; c++) {
            o[c] += ly->b2[c];
            r[c] = x[c] + o[c];
        }
        block_layer_norm(ly->out + (size_t)i * dm, &ly->mean2[i], &ly->var2[i], r, ly->gamma2, ly->beta2,
                         dm, job->eps);
    }
}

int block_forward(BlockTrace *t, const BlockScene *s, char *err, size_t errlen)
{
    if (block_check(s, err, errlen)) {
        block_trace_free(t);
        return -1;
    }
    int L = s->layers, n = s->attn.n, dm = s->attn.d_model, dff = effective_d_ff(s);
    size_t need = layout(NULL, NULL, L, n, dm, dff) + 64;
    if (reserve(t, need)) {
        block_trace_free(t);
        return msg_fail(err, errlen, "out of memory: this block needs %zu MB", need >> 20);
    }
    /* layers beyond this scene's give their attention memory back */
    for (int l = L; l < BLOCK_MAX_LAYERS; l++) {
        attn_trace_free(&t->layer[l].attn);
        memset(&t->layer[l], 0, sizeof t->layer[l]);
    }
    layout(t->layer, (char *)t->layer, L, n, dm, dff);
    t->layers = L; t->n = n; t->d_model = dm; t->d_ff = dff; t->eps = s->eps;

    for (int l = 0; l < L; l++) {
        BlockLayer *ly = &t->layer[l];
        AttnScene as = s->attn;
        if (l > 0) {
            as.vectors = t->layer[l - 1].out;
            as.features = NULL;
            as.embed = NULL;
            as.d_feature = 0;
            as.posenc = ATTN_PE_NONE;
            as.seed = s->attn.seed + (uint64_t)l;
        }
        char aerr[256] = "";
        if (attn_forward(&ly->attn, &as, aerr, sizeof aerr)) {
            block_trace_free(t);
            return msg_fail(err, errlen, "layer %d: %s", l + 1, aerr);
        }
        size_t nd = (size_t)n * dm;
        memcpy(ly->in, ly->attn.x, sizeof(float) * nd);
        memcpy(ly->attn_out, ly->attn.output, sizeof(float) * nd);
        fill_params(ly, s, l, dm, dff);

        RowJob job = {ly, n, dm, dff, s->eps};
        int blocks = (n + ROW_BLOCK - 1) / ROW_BLOCK;
        /* small scenes run on one thread: starting threads would cost more than the work */
        if ((long long)n * dm * dff > 200000) mat_parallel_for(blocks, rows_task, &job);
        else for (int b = 0; b < blocks; b++) rows_task(&job, b);

        for (size_t c = 0; c < nd; c++)
            if (!(fabsf(ly->out[c]) <= FLT_MAX)) {
                int i = (int)(c / (size_t)dm);
                block_trace_free(t);
                return msg_fail(err, errlen, "layer %d: token %d's values overflowed (its output is not "
                            "finite); use smaller explicit values", l + 1, i + 1);
            }
    }
    return 0;
}
