/* test_block.c: the Transformer block engine. Expected values come from hand computation or
 * from a straightforward double-precision reference written here, never from the block's own
 * arithmetic (only the attention output is taken from the trace, as the attention engine has
 * its own tests). */
#include "test.h"
#include "../src/engine/block.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

static const char *const words[] = {"the", "cat", "sat", "on", "the", "mat", "and", "slept"};

static int forward(BlockTrace *t, const BlockScene *s)
{
    char err[256] = "";
    int rc = block_forward(t, s, err, sizeof err);
    if (rc) fprintf(stderr, "  block_forward: %s\n", err);
    return rc;
}

/* A small deterministic generator for test-only numbers (uniform in [-1, 1)). */
static unsigned long long rng_state;
static void rng_seed(unsigned long long s) { rng_state = s * 2862933555777941757ULL + 3037000493ULL; }
static double rng_uniform(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}
static void rng_fill(float *p, size_t count, double scale)
{
    for (size_t i = 0; i < count; i++) p[i] = (float)(scale * rng_uniform());
}

/* A scene of n of the words above with the default attention, L layers. */
static BlockScene scene_of(int n, int layers)
{
    BlockScene s = block_scene_default();
    s.attn.n = n;
    s.attn.tokens = words;
    s.layers = layers;
    return s;
}

/* Whether two float arrays hold equal values (+0 and -0 count as equal). */
static int same_values(const float *a, const float *b, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!(a[i] == b[i])) return 0;
    return 1;
}

static int refused_naming(const BlockScene *s, const char *needle, char *err, size_t errlen)
{
    err[0] = 0;
    return block_check(s, err, errlen) == -1 && strstr(err, needle) != NULL;
}

/* The documented default-weight scheme, written out again: splitmix64's finaliser, a sum of
 * three exact 21-bit uniforms, key base(seed, tag, layer) + (r << 20 | c). */
static uint64_t ref_mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static float ref_weight(uint64_t seed, uint64_t tag, uint64_t layer, int r, int c, float scale)
{
    uint64_t base = ref_mix64(seed ^ ref_mix64((tag << 56) ^ (layer << 40)));
    uint64_t z = ref_mix64(base + ((uint64_t)r << 20 | (uint64_t)c));
    float s = 0.0f;
    for (int k = 0; k < 3; k++) s += (float)((int32_t)((z >> (21 * k)) & 0x1FFFFF) - (1 << 20)) * (1.0f / 1048576.0f);
    return scale * s;
}

/* ------------------------------------------------------------------ layer norm */

static void layer_norm_hand_case(void)
{
    const float x[4] = {1, 2, 3, 6};
    const float gamma[4] = {1, 2, -1, 0.5f}, beta[4] = {0, 1, 0.5f, -2};
    float out[4], mean = -1, var = -1;
    /* mean (1+2+3+6)/4 = 3; var ((-2)^2 + (-1)^2 + 0^2 + 3^2)/4 = 14/4 = 3.5 */
    block_layer_norm(out, &mean, &var, x, gamma, beta, 4, 1e-5f);
    EXPECT_NEAR(mean, 3.0, 0);
    EXPECT_NEAR(var, 3.5, 0);
    double inv = 1.0 / sqrt(3.5 + (double)1e-5f);
    EXPECT_NEAR(inv, 0.5345217, 1e-6);
    EXPECT_NEAR(out[0], 1 * (-2 * inv) + 0, 1e-6);
    EXPECT_NEAR(out[1], 2 * (-1 * inv) + 1, 1e-6);
    EXPECT_NEAR(out[2], -1 * (0 * inv) + 0.5, 1e-6);
    EXPECT_NEAR(out[3], 0.5 * (3 * inv) - 2, 1e-6);
    EXPECT_NEAR(out[0], -1.0690434, 1e-6);

    /* gamma and beta NULL: plain standardisation, mean 0 and variance var/(var+eps) */
    block_layer_norm(out, NULL, NULL, x, NULL, NULL, 4, 1e-5f);
    EXPECT_NEAR(out[0], -2 * inv, 1e-6);
    EXPECT_NEAR(out[3], 3 * inv, 1e-6);
    EXPECT_NEAR(out[0] + out[1] + out[2] + out[3], 0, 1e-6);

    /* eps takes part: eps 0.5 makes the denominator sqrt(4) = 2 */
    block_layer_norm(out, NULL, NULL, x, NULL, NULL, 4, 0.5f);
    EXPECT_NEAR(out[0], -1.0, 1e-7);
    EXPECT_NEAR(out[1], -0.5, 1e-7);
    EXPECT_NEAR(out[2], 0.0, 1e-7);
    EXPECT_NEAR(out[3], 1.5, 1e-7);

    /* in place */
    float y[4] = {1, 2, 3, 6};
    block_layer_norm(y, NULL, NULL, y, gamma, beta, 4, 0.5f);
    EXPECT_NEAR(y[1], 2 * -0.5 + 1, 1e-7);
    EXPECT_NEAR(y[3], 0.5 * 1.5 - 2, 1e-7);
}

static void layer_norm_constant_vector_is_beta(void)
{
    const float x[5] = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
    const float gamma[5] = {2, 3, -1, 5, 7}, beta[5] = {1, -2, 3, 0.25f, 0};
    float out[5], mean, var;
    block_layer_norm(out, &mean, &var, x, gamma, beta, 5, 1e-5f);
    EXPECT(mean == 0.1f);
    EXPECT(var == 0.0f);
    for (int m = 0; m < 5; m++) {
        EXPECT(isfinite(out[m]));
        EXPECT_NEAR(out[m], beta[m], 0);
    }
    /* the smallest eps still keeps 0 / sqrt(0 + eps) finite */
    const float big[3] = {-7e5f, -7e5f, -7e5f};
    block_layer_norm(out, &mean, &var, big, gamma, beta, 3, 1e-30f);
    for (int m = 0; m < 3; m++) EXPECT_NEAR(out[m], beta[m], 0);
    EXPECT(var == 0.0f);
}

/* ------------------------------------------------------------------ the block */

static void residual_adds_attention_output(void)
{
    BlockScene s = scene_of(5, 2);
    BlockTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    size_t nd = (size_t)t.n * t.d_model;
    for (int l = 0; l < 2; l++) {
        const BlockLayer *ly = &t.layer[l];
        double size = 0;
        for (size_t c = 0; c < nd; c++) {
            EXPECT_MSG(ly->res1[c] == ly->in[c] + ly->attn_out[c], "layer %d cell %zu", l + 1, c);
            EXPECT_MSG(ly->res2[c] == ly->norm1[c] + ly->mlp_out[c], "layer %d cell %zu", l + 1, c);
            size += fabs(ly->attn_out[c]);
        }
        EXPECT(size > 0.1); /* the attention really contributed */
        EXPECT(same_values(ly->attn_out, ly->attn.output, nd));
        EXPECT(same_values(ly->in, ly->attn.x, nd));
    }
    block_trace_free(&t);
    EXPECT(t.mem == NULL && t.layer == NULL);
}

static void mlp_hand_case(void)
{
    /* gamma1 = 0 makes norm1 = beta1 = (1, -2) for every token, whatever the attention did */
    const float gamma1[2] = {0, 0}, beta1[2] = {1, -2};
    const float w1[2 * 3] = {1, 0, 2,
                             1, 1, -1};
    const float b1[3] = {0.5f, 3, -1};
    const float w2[3 * 2] = {5, 7,
                             1, -1,
                             0.5f, 2};
    const float b2[2] = {0.25f, -1};
    BlockScene s = scene_of(3, 1);
    s.attn.d_model = 2;
    s.attn.heads = 1;
    s.attn.d_head = 2;
    s.d_ff = 3;
    s.gamma1 = gamma1; s.beta1 = beta1;
    s.w1 = w1; s.b1 = b1; s.w2 = w2; s.b2 = b2;
    BlockTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT_INT(t.d_ff, 3);
    const BlockLayer *ly = &t.layer[0];
    for (int i = 0; i < 3; i++) {
        const float *nm = ly->norm1 + 2 * i, *pre = ly->pre + 3 * i, *h = ly->hidden + 3 * i;
        const float *o = ly->mlp_out + 2 * i, *r = ly->res2 + 2 * i, *out = ly->out + 2 * i;
        EXPECT_NEAR(nm[0], 1, 0);
        EXPECT_NEAR(nm[1], -2, 0);
        /* norm1 W1 = (1 - 2, 0 - 2, 2 + 2) = (-1, -2, 4); + b1 = (-0.5, 1, 3) */
        EXPECT_NEAR(pre[0], -0.5, 0);
        EXPECT_NEAR(pre[1], 1, 0);
        EXPECT_NEAR(pre[2], 3, 0);
        /* ReLU zeroes the negative one */
        EXPECT_NEAR(h[0], 0, 0);
        EXPECT_NEAR(h[1], 1, 0);
        EXPECT_NEAR(h[2], 3, 0);
        /* hidden W2 = (0*5 + 1*1 + 3*0.5, 0*7 - 1 + 3*2) = (2.5, 5); + b2 = (2.75, 4) */
        EXPECT_NEAR(o[0], 2.75, 0);
        EXPECT_NEAR(o[1], 4, 0);
        /* res2 = (1 + 2.75, -2 + 4) = (3.75, 2): mean 2.875, var 0.875^2 = 0.765625 */
        EXPECT_NEAR(r[0], 3.75, 0);
        EXPECT_NEAR(r[1], 2, 0);
        EXPECT_NEAR(ly->mean2[i], 2.875, 0);
        EXPECT_NEAR(ly->var2[i], 0.765625, 0);
        double den = sqrt(0.765625 + (double)1e-5f);
        EXPECT_NEAR(out[0], 0.875 / den, 1e-6);
        EXPECT_NEAR(out[1], -0.875 / den, 1e-6);
    }
    /* the parameters used are the ones given */
    EXPECT(same_values(ly->w1, w1, 6) && same_values(ly->w2, w2, 6));
    EXPECT(same_values(ly->b1, b1, 3) && same_values(ly->b2, b2, 2));
    EXPECT(same_values(ly->gamma1, gamma1, 2) && same_values(ly->beta1, beta1, 2));
    EXPECT(ly->gamma2[0] == 1 && ly->gamma2[1] == 1 && ly->beta2[0] == 0 && ly->beta2[1] == 0);
    block_trace_free(&t);
}

/* Layer norm in double, from the definition. */
static void ref_norm(double *out, double *mean, double *var, const double *x, const float *g, const float *b,
                     int d, double eps)
{
    double mu = 0, v = 0;
    for (int m = 0; m < d; m++) mu += x[m];
    mu /= d;
    for (int m = 0; m < d; m++) v += (x[m] - mu) * (x[m] - mu);
    v /= d;
    for (int m = 0; m < d; m++) out[m] = g[m] * (x[m] - mu) / sqrt(v + eps) + b[m];
    *mean = mu;
    *var = v;
}

static void one_layer_matches_an_independent_computation(void)
{
    enum { N = 6, DM = 8, DFF = 12 };
    float vec[N * DM], g1[DM], be1[DM], g2[DM], be2[DM], b1[DFF], b2[DM];
    rng_seed(18);
    rng_fill(vec, N * DM, 1.0);
    rng_fill(g1, DM, 1.5); rng_fill(be1, DM, 0.5);
    rng_fill(g2, DM, 1.5); rng_fill(be2, DM, 0.5);
    rng_fill(b1, DFF, 0.3); rng_fill(b2, DM, 0.3);
    BlockScene s = scene_of(N, 1);
    s.attn.vectors = vec;
    s.d_ff = DFF;
    s.eps = 1e-3f;
    s.gamma1 = g1; s.beta1 = be1; s.gamma2 = g2; s.beta2 = be2; s.b1 = b1; s.b2 = b2;
    BlockTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT(t.layers == 1 && t.n == N && t.d_model == DM && t.d_ff == DFF && t.eps == 1e-3f);
    const BlockLayer *ly = &t.layer[0];
    EXPECT(same_values(ly->gamma1, g1, DM) && same_values(ly->beta2, be2, DM) && same_values(ly->b1, b1, DFF));
    int hidden_zeros = 0;
    for (int i = 0; i < N; i++) {
        double x[DM], r1[DM], n1[DM], pre[DFF], h[DFF], mlp[DM], r2[DM], out[DM], mu, var;
        for (int m = 0; m < DM; m++) {
            /* the input is the given vector plus the sinusoidal encoding of position i */
            double angle = i / pow(10000.0, 2.0 * (m / 2) / DM);
            x[m] = vec[i * DM + m] + ((m % 2 == 0) ? sin(angle) : cos(angle));
            EXPECT_NEAR(ly->in[i * DM + m], x[m], 1e-6);
            r1[m] = x[m] + ly->attn_out[i * DM + m];
        }
        ref_norm(n1, &mu, &var, r1, g1, be1, DM, 1e-3);
        EXPECT_NEAR(ly->mean1[i], mu, 1e-5);
        EXPECT_NEAR(ly->var1[i], var, 1e-5);
        for (int c = 0; c < DFF; c++) {
            pre[c] = b1[c];
            for (int m = 0; m < DM; m++) pre[c] += n1[m] * ly->w1[m * DFF + c];
            h[c] = pre[c] > 0 ? pre[c] : 0;
            hidden_zeros += h[c] == 0;
            EXPECT_NEAR(ly->pre[i * DFF + c], pre[c], 1e-5);
            EXPECT_NEAR(ly->hidden[i * DFF + c], h[c], 1e-5);
        }
        for (int m = 0; m < DM; m++) {
            mlp[m] = b2[m];
            for (int c = 0; c < DFF; c++) mlp[m] += h[c] * ly->w2[c * DM + m];
            r2[m] = n1[m] + mlp[m];
            EXPECT_NEAR(ly->norm1[i * DM + m], n1[m], 1e-5);
            EXPECT_NEAR(ly->mlp_out[i * DM + m], mlp[m], 1e-5);
        }
        ref_norm(out, &mu, &var, r2, g2, be2, DM, 1e-3);
        EXPECT_NEAR(ly->mean2[i], mu, 1e-5);
        EXPECT_NEAR(ly->var2[i], var, 1e-5);
        for (int m = 0; m < DM; m++) EXPECT_NEAR(ly->out[i * DM + m], out[m], 1e-5);
    }
    EXPECT(hidden_zeros > 0 && hidden_zeros < N * DFF); /* the ReLU was exercised both ways */
    block_trace_free(&t);
}

static void stacked_layers_feed_forward(void)
{
    BlockScene s = scene_of(7, 3);
    s.attn.seed = 40;
    s.attn.mask = ATTN_MASK_CAUSAL;
    s.attn.heads = 3;
    s.attn.temperature = 0.8f;
    BlockTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT_INT(t.layers, 3);
    EXPECT_INT(t.d_ff, 4 * 8); /* d_ff 0 means 4 * d_model */
    size_t nd = (size_t)t.n * t.d_model;

    /* layer 1's attention is the scene's attention exactly */
    AttnTrace plain;
    memset(&plain, 0, sizeof plain);
    char err[256];
    EXPECT_INT(attn_forward(&plain, &s.attn, err, sizeof err), 0);
    EXPECT(same_values(plain.output, t.layer[0].attn_out, nd));
    EXPECT(same_values(plain.x, t.layer[0].in, nd));
    EXPECT(t.layer[0].attn.posenc == ATTN_PE_SINUSOIDAL && t.layer[0].attn.seed == 40);
    attn_trace_free(&plain);

    for (int l = 1; l < 3; l++) {
        const BlockLayer *ly = &t.layer[l], *prev = &t.layer[l - 1];
        EXPECT(same_values(ly->in, prev->out, nd));
        EXPECT(same_values(ly->attn.a, prev->out, nd));
        EXPECT(same_values(ly->attn.x, prev->out, nd));
        EXPECT(ly->attn.explicit_vectors == 1);
        EXPECT(ly->attn.posenc == ATTN_PE_NONE);
        for (size_t c = 0; c < nd; c++) EXPECT(ly->attn.pe[c] == 0.0f);
        /* the other choices carry over; the seed moves on by the layer index */
        EXPECT(ly->attn.seed == 40 + (uint64_t)l);
        EXPECT(ly->attn.mask == ATTN_MASK_CAUSAL && ly->attn.heads == 3 && ly->attn.temperature == 0.8f);
        EXPECT(ly->attn.score == ATTN_SCORE_SCALED && ly->attn.n == 7);
        EXPECT(!same_values(ly->out, prev->out, nd)); /* the layer did something */
    }
    block_trace_free(&t);
}

/* Token 3's input changes. With a mask that lets every token see only itself, nothing else
 * carries information between tokens, so every other token's output stays exactly as it
 * was; with no mask, attention carries the change to token 1. */
static void only_attention_mixes_tokens(void)
{
    enum { N = 5, DM = 8 };
    unsigned char identity[N * N] = {0};
    for (int i = 0; i < N; i++) identity[i * N + i] = 1;
    float vec[N * DM], vec2[N * DM];
    rng_seed(3);
    rng_fill(vec, N * DM, 1.0);
    memcpy(vec2, vec, sizeof vec);
    for (int m = 0; m < DM; m++) vec2[2 * DM + m] += 0.75f * (float)(m % 3) - 0.5f;

    BlockScene s = scene_of(N, 2);
    s.attn.vectors = vec;
    s.attn.mask = ATTN_MASK_CUSTOM;
    s.attn.mask_matrix = identity;
    BlockScene s2 = s;
    s2.attn.vectors = vec2;
    BlockTrace a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    EXPECT_INT(forward(&a, &s), 0);
    EXPECT_INT(forward(&b, &s2), 0);
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < N; i++) {
            int same = same_values(a.layer[l].out + i * DM, b.layer[l].out + i * DM, DM);
            EXPECT_MSG(same == (i != 2), "layer %d token %d: %s", l + 1, i + 1, same ? "unchanged" : "changed");
        }

    s.attn.mask = ATTN_MASK_NONE;
    s2.attn.mask = ATTN_MASK_NONE;
    EXPECT_INT(forward(&a, &s), 0);
    EXPECT_INT(forward(&b, &s2), 0);
    EXPECT(same_values(a.layer[0].in, b.layer[0].in, DM)); /* token 1's own input is the same */
    EXPECT(!same_values(a.layer[0].attn_out, b.layer[0].attn_out, DM));
    EXPECT(!same_values(a.layer[1].out, b.layer[1].out, DM));
    block_trace_free(&a);
    block_trace_free(&b);
}

static void deterministic_parameters(void)
{
    BlockScene s = scene_of(4, 2);
    s.attn.seed = 7;
    BlockTrace a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    EXPECT_INT(forward(&a, &s), 0);
    EXPECT_INT(forward(&b, &s), 0);
    s.attn.seed = 8;
    EXPECT_INT(forward(&c, &s), 0);
    int dm = a.d_model, dff = a.d_ff;
    size_t wd = (size_t)dm * dff, nd = (size_t)a.n * dm;
    for (int l = 0; l < 2; l++) {
        EXPECT(memcmp(a.layer[l].w1, b.layer[l].w1, sizeof(float) * wd) == 0);
        EXPECT(memcmp(a.layer[l].w2, b.layer[l].w2, sizeof(float) * wd) == 0);
        EXPECT(memcmp(a.layer[l].out, b.layer[l].out, sizeof(float) * nd) == 0);
        EXPECT(!same_values(a.layer[l].w1, c.layer[l].w1, wd));
        EXPECT(!same_values(a.layer[l].w2, c.layer[l].w2, wd));
        EXPECT(!same_values(a.layer[l].out, c.layer[l].out, nd));
        /* the defaults: gamma 1, beta 0, biases 0 */
        for (int m = 0; m < dm; m++)
            EXPECT(a.layer[l].gamma1[m] == 1 && a.layer[l].gamma2[m] == 1 && a.layer[l].beta1[m] == 0 &&
                   a.layer[l].beta2[m] == 0 && a.layer[l].b2[m] == 0);
        for (int f = 0; f < dff; f++) EXPECT(a.layer[l].b1[f] == 0);
        /* every weight follows the documented scheme bit for bit, on any machine */
        for (int r = 0; r < dm; r++)
            for (int f = 0; f < dff; f++) {
                EXPECT(a.layer[l].w1[r * dff + f] == ref_weight(7, 16, (uint64_t)l, r, f, (float)(1.0 / sqrt(dm))));
                EXPECT(a.layer[l].w2[f * dm + r] == ref_weight(7, 17, (uint64_t)l, f, r, (float)(1.0 / sqrt(dff))));
            }
    }
    /* each layer has its own weights, attention included */
    EXPECT(!same_values(a.layer[0].w1, a.layer[1].w1, wd));
    EXPECT(!same_values(a.layer[0].w2, a.layer[1].w2, wd));
    EXPECT(!same_values(a.layer[0].attn.head[0].wq, a.layer[1].attn.head[0].wq, (size_t)dm * a.layer[0].attn.d_head));
    EXPECT(!same_values(a.layer[0].attn.wo, a.layer[1].attn.wo, (size_t)a.layer[0].attn.heads * a.layer[0].attn.d_head * dm));

    /* the scale is 1/sqrt(fan_in): W1 * sqrt(d_model) has about unit variance */
    BlockScene big = scene_of(2, 1);
    big.attn.d_model = 64;
    big.d_ff = 256;
    EXPECT_INT(forward(&c, &big), 0);
    double s1 = 0, s2 = 0, q1 = 0, q2 = 0;
    int cells = 64 * 256;
    for (int k = 0; k < cells; k++) {
        s1 += c.layer[0].w1[k]; q1 += (double)c.layer[0].w1[k] * c.layer[0].w1[k];
        s2 += c.layer[0].w2[k]; q2 += (double)c.layer[0].w2[k] * c.layer[0].w2[k];
    }
    EXPECT_NEAR(s1 / cells * 8, 0, 0.05);
    EXPECT_NEAR(q1 / cells * 64, 1, 0.05);
    EXPECT_NEAR(q2 / cells * 256, 1, 0.05);
    block_trace_free(&a);
    block_trace_free(&b);
    block_trace_free(&c);
}

static void limits_named(void)
{
    static const char *many[ATTN_MAX_N];
    for (int i = 0; i < ATTN_MAX_N; i++) many[i] = "t";
    char err[256];
    BlockScene ok = scene_of(3, 2);
    EXPECT_INT(block_check(&ok, err, sizeof err), 0);
    BlockScene s = ok;
    s.layers = 0;
    EXPECT_MSG(refused_naming(&s, "layers 0 is outside 1..12", err, sizeof err), "\"%s\"", err);
    s.layers = 13;
    EXPECT_MSG(refused_naming(&s, "1..12", err, sizeof err), "\"%s\"", err);
    s.layers = 12;
    EXPECT_INT(block_check(&s, err, sizeof err), 0);
    s = ok; s.d_ff = 4097;
    EXPECT_MSG(refused_naming(&s, "d_ff 4097 is outside 1..4096", err, sizeof err), "\"%s\"", err);
    s.d_ff = -1;
    EXPECT_MSG(refused_naming(&s, "d_ff", err, sizeof err), "\"%s\"", err);
    s.d_ff = 4096;
    EXPECT_INT(block_check(&s, err, sizeof err), 0);
    s = ok; s.eps = 0;
    EXPECT_MSG(refused_naming(&s, "eps 0 is outside (0, 1]", err, sizeof err), "\"%s\"", err);
    s.eps = 1.5f;
    EXPECT_MSG(refused_naming(&s, "(0, 1]", err, sizeof err), "\"%s\"", err);
    s.eps = NAN;
    EXPECT_INT(block_check(&s, err, sizeof err), -1);
    s.eps = 1;
    EXPECT_INT(block_check(&s, err, sizeof err), 0);

    /* explicit parameters: finite, within +-1e6, named */
    float g[2 * 8];
    for (int c = 0; c < 16; c++) g[c] = 1;
    g[11] = NAN;
    s = ok; s.gamma2 = g;
    EXPECT_MSG(refused_naming(&s, "gamma2: value 12", err, sizeof err) && strstr(err, "1e+06"), "\"%s\"", err);
    g[11] = 2e6f;
    EXPECT_INT(block_check(&s, err, sizeof err), -1);
    g[11] = -1e6f;
    EXPECT_INT(block_check(&s, err, sizeof err), 0);
    float *w = calloc(2 * 8 * 32, sizeof *w);
    EXPECT(w != NULL);
    w[2 * 8 * 32 - 1] = INFINITY; /* the last value of layer 2 is read too */
    s = ok; s.w2 = w;
    EXPECT_MSG(refused_naming(&s, "W2: value 512", err, sizeof err), "\"%s\"", err);
    free(w);

    /* sizes over the whole stack */
    s = ok; s.attn.n = ATTN_MAX_N; s.attn.tokens = many; s.attn.heads = 1; s.d_ff = 4096; s.layers = 2;
    EXPECT_MSG(refused_naming(&s, "hidden cells, more than the limit of 16777216", err, sizeof err), "\"%s\"", err);
    s.d_ff = 1024; /* 4M cells a layer, so 4 layers fit */
    s.layers = 4;
    EXPECT_INT(block_check(&s, err, sizeof err), 0);
    s.d_ff = 1; s.layers = 2; s.attn.heads = 8; /* 2 x 8 x 4096 x 4096 */
    EXPECT_MSG(refused_naming(&s, "score cells, more than the limit of 134217728", err, sizeof err), "\"%s\"", err);
    s = ok; s.attn.d_model = 1024; s.d_ff = 4096; s.layers = 9;
    EXPECT_MSG(refused_naming(&s, "MLP weights a matrix, more than the limit of 33554432", err, sizeof err), "\"%s\"", err);
    s.layers = 8; s.d_ff = 0; /* 8 x 1024 x (4 x 1024): the limit itself */
    EXPECT_INT(block_check(&s, err, sizeof err), 0);

    /* the attention's own limits come through */
    s = ok; s.attn.heads = 65;
    EXPECT_MSG(refused_naming(&s, "heads 65 is outside 1..64", err, sizeof err), "\"%s\"", err);

    /* a refused forward leaves the trace empty */
    BlockTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &ok), 0);
    s = ok; s.layers = 13;
    EXPECT_INT(block_forward(&t, &s, err, sizeof err), -1);
    EXPECT(t.mem == NULL && t.layer == NULL && t.layers == 0);

    /* a later layer whose input leaves the engine's range is refused, the layer named */
    float big[2 * 8];
    for (int c = 0; c < 16; c++) big[c] = 1e6f;
    s = ok; s.gamma2 = big; s.beta2 = big;
    EXPECT_INT(block_forward(&t, &s, err, sizeof err), -1);
    EXPECT_MSG(strncmp(err, "layer 2: input vectors", 22) == 0, "\"%s\"", err);
    EXPECT(t.mem == NULL);
}

static void memory_reused(void)
{
    BlockScene s = scene_of(8, 3);
    BlockTrace t, fresh;
    memset(&t, 0, sizeof t);
    memset(&fresh, 0, sizeof fresh);
    EXPECT_INT(forward(&t, &s), 0);
    void *mem = t.mem, *attn_mem = t.layer[2].attn.mem;
    BlockLayer *layer = t.layer;
    size_t size = t.mem_size;
    EXPECT(mem != NULL && attn_mem != NULL && size > 0);
    s.attn.seed = 5;
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT(t.mem == mem && t.mem_size == size && t.layer == layer);
    EXPECT(t.layer[2].attn.mem == attn_mem);

    /* fewer layers and tokens: still the same memory, the unused attention given back */
    BlockScene small = scene_of(5, 1);
    small.attn.seed = 9;
    EXPECT_INT(forward(&t, &small), 0);
    EXPECT(t.mem == mem && t.layers == 1 && t.n == 5);
    EXPECT(t.layer[1].attn.mem == NULL && t.layer[2].attn.mem == NULL);
    EXPECT_INT(forward(&fresh, &small), 0);
    size_t nd = (size_t)5 * 8;
    EXPECT(memcmp(t.layer[0].out, fresh.layer[0].out, sizeof(float) * nd) == 0);

    /* back to the larger scene: it fits, and matches a fresh trace */
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT(t.mem == mem);
    EXPECT_INT(forward(&fresh, &s), 0);
    for (int l = 0; l < 3; l++)
        EXPECT(memcmp(t.layer[l].out, fresh.layer[l].out, sizeof(float) * 8 * 8) == 0);

    /* a larger scene grows the memory and keeps the results right */
    BlockScene grown = scene_of(8, 4);
    grown.d_ff = 100;
    EXPECT_INT(forward(&t, &grown), 0);
    EXPECT(t.mem_size > size);
    EXPECT_INT(forward(&fresh, &grown), 0);
    for (int l = 0; l < 4; l++)
        EXPECT(memcmp(t.layer[l].out, fresh.layer[l].out, sizeof(float) * 8 * 8) == 0);
    block_trace_free(&t);
    block_trace_free(&fresh);
}

/* A scene big enough for the parallel path gives the same numbers as the reference. */
static void large_scene_runs_in_parallel_and_matches(void)
{
    enum { N = 80, DM = 32, DFF = 128 };
    BlockScene s = scene_of(1, 2);
    static const char *many[N];
    for (int i = 0; i < N; i++) many[i] = words[i % 8];
    s.attn.n = N; s.attn.tokens = many; s.attn.d_model = DM; s.attn.heads = 4; s.attn.d_head = 8;
    s.d_ff = DFF;
    BlockTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    const BlockLayer *ly = &t.layer[1];
    double worst = 0;
    for (int i = 0; i < N; i += 7) {
        double r1[DM], n1[DM], h[DFF], r2[DM], out[DM], mu, var;
        for (int m = 0; m < DM; m++) r1[m] = (double)ly->in[i * DM + m] + ly->attn_out[i * DM + m];
        ref_norm(n1, &mu, &var, r1, ly->gamma1, ly->beta1, DM, 1e-5);
        for (int c = 0; c < DFF; c++) {
            double p = ly->b1[c];
            for (int m = 0; m < DM; m++) p += n1[m] * ly->w1[m * DFF + c];
            h[c] = p > 0 ? p : 0;
        }
        for (int m = 0; m < DM; m++) {
            double o = ly->b2[m];
            for (int c = 0; c < DFF; c++) o += h[c] * ly->w2[c * DM + m];
            r2[m] = n1[m] + o;
        }
        ref_norm(out, &mu, &var, r2, ly->gamma2, ly->beta2, DM, 1e-5);
        for (int m = 0; m < DM; m++) {
            double d = fabs(out[m] - ly->out[i * DM + m]);
            if (d > worst) worst = d;
        }
    }
    EXPECT_NEAR(worst, 0, 1e-4);
    block_trace_free(&t);
}

void suite_block(void)
{
    RUN(layer_norm_hand_case);
    RUN(layer_norm_constant_vector_is_beta);
    RUN(residual_adds_attention_output);
    RUN(mlp_hand_case);
    RUN(one_layer_matches_an_independent_computation);
    RUN(stacked_layers_feed_forward);
    RUN(only_attention_mixes_tokens);
    RUN(deterministic_parameters);
    RUN(limits_named);
    RUN(memory_reused);
    RUN(large_scene_runs_in_parallel_and_matches);
}
