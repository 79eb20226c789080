/* block.h: the Transformer block (concept 18) built on the attention engine: self-attention,
 * residual add, layer norm, a per-vector MLP, residual add, layer norm; L blocks stacked.
 * A BlockScene describes the stack; block_forward keeps every intermediate. libc + libm only.
 *
 * Conventions (as in attn.h): row-major float, rows = tokens, row-vector products
 * (h = x W1 + b1), 0-based indices here, 1-based in messages ("layer 2").
 *
 * One layer l (0-based), for every token i separately except in the attention:
 *     in      = layer 0: x = a + pe, the attention's input (positions are added once, here);
 *               layer l > 0: the previous layer's out
 *     attn_out= b, the output of the layer's multi-head self-attention over all of in
 *     res1    = in + attn_out
 *     norm1   = layer_norm(res1; gamma1, beta1)
 *     pre     = norm1 W1 + b1              (d_ff values)
 *     hidden  = relu(pre)
 *     mlp_out = hidden W2 + b2             (d_model values)
 *     res2    = norm1 + mlp_out
 *     out     = layer_norm(res2; gamma2, beta2)
 * Self-attention is the only step where one token's values depend on another's.
 *
 * Attention per layer: layer 0 runs attn_forward on the scene's attn exactly as given (so it
 * equals a plain attention trace of that scene). Layer l > 0 runs it on a copy with
 * vectors = layer l-1's out, features / embed = none, posenc = none and seed = attn.seed + l,
 * keeping everything else (tokens, sizes, heads, d_head, d_att, score, mask, norm,
 * temperature, weights preset, grid_w, picture). Its random weights therefore differ from
 * layer to layer; explicit tensors in attn.params are shared by every layer.
 *
 * Parameters: each of gamma1, beta1, gamma2, beta2, w1, b1, w2, b2 in the scene is either an
 * explicit tensor for all layers (shapes below, layer-major) or NULL, which gives the default:
 * gamma = 1, beta = 0, b1 = b2 = 0, and W1, W2 seeded random: bell-shaped values with mean 0
 * and variance 1 (the attention engine's hashing scheme), keyed by attn.seed, the tensor and
 * the layer, times 1/sqrt(fan_in) (1/sqrt(d_model) for W1, 1/sqrt(d_ff) for W2). The same seed
 * gives the same numbers on every machine.
 *
 * Ownership: a scene only borrows its arrays. A trace owns everything it points to (its
 * layers' attention traces included) and is freed with block_trace_free. block_forward into a
 * trace that already holds a computation of the same or larger size reuses its memory. */
#ifndef ATTN_BLOCK_H
#define ATTN_BLOCK_H

#include "attn.h"

#include <stddef.h>

/* The block's limits; block_check refuses anything beyond them and names the limit. */
#define BLOCK_MAX_LAYERS 12
#define BLOCK_MAX_D_FF 4096
#define BLOCK_MAX_EPS 1.0f                      /* eps must be in (0, BLOCK_MAX_EPS] */
#define BLOCK_MAX_HIDDEN_CELLS (16LL * 1024 * 1024)  /* layers * n * d_ff */
#define BLOCK_MAX_WEIGHT_CELLS (32LL * 1024 * 1024)  /* layers * d_model * d_ff (each of W1, W2) */
#define BLOCK_MAX_SCORE_CELLS ATTN_MAX_CELLS    /* layers * heads * n * n, over the whole stack */
#define BLOCK_MAX_EXPLICIT 1e6f                 /* largest magnitude of an explicit parameter */

typedef struct {
    AttnScene attn;        /* the attention of every layer; its inputs are layer 0's input */
    int layers;            /* L, 1..BLOCK_MAX_LAYERS */
    int d_ff;              /* the MLP's hidden size, 1..BLOCK_MAX_D_FF; 0 means 4 * d_model */
    float eps;             /* layer norm's epsilon, in (0, 1] */
    /* explicit parameters for all layers, or NULL for the defaults above. Shapes:
     * gamma1, beta1, gamma2, beta2, b2: layers x d_model; b1: layers x d_ff;
     * w1: layers x d_model x d_ff; w2: layers x d_ff x d_model. */
    const float *gamma1, *beta1, *gamma2, *beta2, *w1, *b1, *w2, *b2;
} BlockScene;

/* attn_scene_default() (no tokens yet: set n and tokens) with 2 layers, d_ff 0 (4 * d_model)
 * and eps 1e-5. */
BlockScene block_scene_default(void);

typedef struct {
    AttnTrace attn;        /* this layer's attention; its x equals in */
    float *in;             /* n x d_model: the layer's input */
    float *attn_out;       /* n x d_model: b, the attention's output */
    float *res1;           /* n x d_model: in + attn_out */
    float *mean1, *var1;   /* n: each res1 vector's mean and (population) variance */
    float *norm1;          /* n x d_model: gamma1 * (res1 - mean1) / sqrt(var1 + eps) + beta1 */
    float *pre;            /* n x d_ff: norm1 W1 + b1, before the ReLU */
    float *hidden;         /* n x d_ff: relu(pre) */
    float *mlp_out;        /* n x d_model: hidden W2 + b2 */
    float *res2;           /* n x d_model: norm1 + mlp_out */
    float *mean2, *var2;   /* n: each res2 vector's mean and variance */
    float *out;            /* n x d_model: layer_norm(res2; gamma2, beta2), the next layer's in */
    /* the parameters used: gamma1, beta1, gamma2, beta2, b2: d_model; b1: d_ff;
     * w1: d_model x d_ff; w2: d_ff x d_model */
    float *gamma1, *beta1, *gamma2, *beta2, *w1, *b1, *w2, *b2;
} BlockLayer;

typedef struct {
    int layers, n, d_model, d_ff;  /* d_ff as computed (never 0) */
    float eps;
    BlockLayer *layer;     /* layers entries; layer[layers - 1].out is the stack's output */
    void *mem;             /* the one allocation the layers' arrays point into (each
                              layer's attention trace has its own, owned by this trace) */
    size_t mem_size;
} BlockTrace;

/* Checks a scene against the limits and its own consistency (attn_check included). Returns
 * 0, or -1 with a one-line message in err naming the field and the limit. */
int block_check(const BlockScene *s, char *err, size_t errlen);

/* Computes the scene into t (zero-initialise t before the first call). Returns 0, or -1 with
 * a message in err (t is then left empty): the scene is refused, memory ran out, or a later
 * layer's values left what the engine accepts (the message names the layer). */
int block_forward(BlockTrace *t, const BlockScene *s, char *err, size_t errlen);

/* Frees everything a trace owns and zeroes it. */
void block_trace_free(BlockTrace *t);

/* Layer norm of one vector of d values: out = gamma * (x - mean) / sqrt(var + eps) + beta,
 * mean and var the population mean and variance (divided by d), computed in double. gamma
 * NULL means all 1, beta NULL all 0; mean and var may be NULL, else they receive the values.
 * A constant vector gives var 0 and out = beta exactly (eps > 0 keeps it finite). out may be
 * x. */
void block_layer_norm(float *out, float *mean, float *var, const float *x, const float *gamma,
                      const float *beta, int d, float eps);

#endif
