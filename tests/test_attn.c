/* test_attn.c: the attention engine. Expected values come from hand computation (closed
 * forms written in the test) or from an independent, straightforward double-precision
 * reference below, never from the engine's own output. */
#include "test.h"
#include "../src/engine/attn.h"
#include "../src/engine/mat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

static int forward(AttnTrace *t, const AttnScene *s)
{
    char err[256] = "";
    int rc = attn_forward(t, s, err, sizeof err);
    if (rc) fprintf(stderr, "  attn_forward: %s\n", err);
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

/* Whether query i may see key j, straight from the definitions in attn.h. */
static int ref_allowed(const AttnScene *s, int i, int j)
{
    switch (s->mask) {
    case ATTN_MASK_NONE: return 1;
    case ATTN_MASK_CAUSAL: return j <= i;
    case ATTN_MASK_WINDOW: return abs(i - j) <= s->mask_param;
    case ATTN_MASK_PADDING: return j < s->n - s->mask_param;
    case ATTN_MASK_GRAPH:
        if (i == j) return 1;
        for (int e = 0; e < s->n_edges; e++) {
            int a = s->edges[2 * e], b = s->edges[2 * e + 1];
            if ((a == i && b == j) || (a == j && b == i)) return 1;
        }
        return 0;
    case ATTN_MASK_CUSTOM: return s->mask_matrix[(size_t)i * s->n + j] != 0;
    case ATTN_MASK_CONV: {
        int gw = s->grid_w > 0 ? s->grid_w : s->n, half = s->mask_param / 2;
        return abs(i / gw - j / gw) <= half && abs(i % gw - j % gw) <= half;
    }
    }
    return -1;
}

/* x = a + pe in double: a from the explicit vectors or the hashed embedding, pe from the
 * sinusoidal formula written out here (learned encodings have no closed form, so they are
 * taken from attn_posenc_fill). */
static double *ref_x(const AttnScene *s)
{
    int n = s->n, dm = s->d_model;
    double *x = calloc((size_t)n * dm, sizeof *x);
    float *row = malloc(sizeof *row * (size_t)dm);
    float *pe = s->posenc == ATTN_PE_LEARNED ? malloc(sizeof *pe * (size_t)n * dm) : NULL;
    if (pe) attn_posenc_fill(pe, ATTN_PE_LEARNED, n, dm, s->seed);
    for (int i = 0; i < n; i++) {
        if (s->vectors) memcpy(row, s->vectors + (size_t)i * dm, sizeof *row * (size_t)dm);
        else attn_embed(row, s->tokens[i], dm);
        for (int m = 0; m < dm; m++) {
            double p = 0.0;
            if (s->posenc == ATTN_PE_SINUSOIDAL) {
                int pair = m / 2;
                double angle = i / pow(10000.0, 2.0 * pair / dm);
                p = (m % 2 == 0) ? sin(angle) : cos(angle);
            } else if (pe) {
                p = pe[(size_t)i * dm + m];
            }
            x[(size_t)i * dm + m] = (double)row[m] + p;
        }
    }
    free(row);
    free(pe);
    return x;
}

typedef struct {
    int n, dh;
    double *q, *k, *v, *scores, *weights, *out, *entropy;
    unsigned char *empty;
} Ref;

static void ref_free(Ref *r)
{
    free(r->q); free(r->k); free(r->v); free(r->scores); free(r->weights); free(r->out);
    free(r->entropy); free(r->empty);
    memset(r, 0, sizeof *r);
}

/* One head of attention in double, from x and the head's matrices (dm x dh each; wa is
 * (2 dh) x da, va is da, both only for additive scoring). */
static Ref ref_head(const AttnScene *s, const double *x, const float *wq, const float *wk,
                    const float *wv, const float *wa, const float *va)
{
    int n = s->n, dm = s->d_model, dh = s->d_head, da = s->d_att ? s->d_att : s->d_head;
    Ref r;
    r.n = n; r.dh = dh;
    r.q = calloc((size_t)n * dh, sizeof(double));
    r.k = calloc((size_t)n * dh, sizeof(double));
    r.v = calloc((size_t)n * dh, sizeof(double));
    r.scores = calloc((size_t)n * n, sizeof(double));
    r.weights = calloc((size_t)n * n, sizeof(double));
    r.out = calloc((size_t)n * dh, sizeof(double));
    r.entropy = calloc((size_t)n, sizeof(double));
    r.empty = calloc((size_t)n, 1);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < dh; c++) {
            double aq = 0, ak = 0, av = 0;
            for (int m = 0; m < dm; m++) {
                double xm = x[(size_t)i * dm + m];
                aq += xm * wq[(size_t)m * dh + c];
                ak += xm * wk[(size_t)m * dh + c];
                av += xm * wv[(size_t)m * dh + c];
            }
            r.q[(size_t)i * dh + c] = aq;
            r.k[(size_t)i * dh + c] = ak;
            r.v[(size_t)i * dh + c] = av;
        }
    double scale = s->score == ATTN_SCORE_SCALED ? 1.0 / sqrt((double)dh) : 1.0;
    double *u = malloc(sizeof *u * (size_t)n);
    for (int i = 0; i < n; i++) {
        const double *qi = r.q + (size_t)i * dh;
        for (int j = 0; j < n; j++) {
            const double *kj = r.k + (size_t)j * dh;
            double sc = 0;
            if (s->score == ATTN_SCORE_ADDITIVE) {
                for (int a = 0; a < da; a++) {
                    double h = 0;
                    for (int c = 0; c < dh; c++)
                        h += qi[c] * wa[(size_t)c * da + a] + kj[c] * wa[(size_t)(dh + c) * da + a];
                    sc += va[a] * tanh(h);
                }
            } else {
                for (int c = 0; c < dh; c++) sc += qi[c] * kj[c];
            }
            r.scores[(size_t)i * n + j] = sc;
            u[j] = sc * scale / s->temperature;
        }
        double *w = r.weights + (size_t)i * n;
        double z = 0;
        if (s->norm == ATTN_NORM_SOFTMAX) {
            double mx = -INFINITY;
            for (int j = 0; j < n; j++) if (ref_allowed(s, i, j) && u[j] > mx) mx = u[j];
            for (int j = 0; j < n; j++) {
                w[j] = ref_allowed(s, i, j) ? exp(u[j] - mx) : 0.0;
                z += w[j];
            }
        } else {
            for (int j = 0; j < n; j++) {
                w[j] = ref_allowed(s, i, j) && u[j] > 0 ? u[j] : 0.0;
                z += w[j];
            }
        }
        if (z > 0) {
            for (int j = 0; j < n; j++) {
                w[j] /= z;
                if (w[j] > 0) r.entropy[i] -= w[j] * log(w[j]);
            }
        } else {
            r.empty[i] = 1;
            for (int j = 0; j < n; j++) w[j] = 0;
        }
        for (int j = 0; j < n; j++)
            for (int c = 0; c < dh; c++) r.out[(size_t)i * dh + c] += w[j] * r.v[(size_t)j * dh + c];
    }
    free(u);
    return r;
}

static double max_diff_fd(const float *a, const double *b, size_t count)
{
    double m = 0;
    for (size_t i = 0; i < count; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d != d) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

#define EXPECT_ALL_NEAR_D(a, b, count, tol)                                              \
    do {                                                                                 \
        double d_ = max_diff_fd((a), (b), (size_t)(count));                              \
        if (!(d_ <= (tol))) { test_fail(__FILE__, __LINE__, "%s vs %s: max diff %.3g > %.3g", #a, #b, d_, (double)(tol)); return; } \
    } while (0)

static int all_finite_f(const float *p, size_t count)
{
    if (!p) return 1;
    for (size_t i = 0; i < count; i++) if (!isfinite(p[i])) return 0;
    return 1;
}

/* Every float array of the trace is finite. */
static int trace_finite(const AttnTrace *t)
{
    size_t n = (size_t)t->n, dm = (size_t)t->d_model, dh = (size_t)t->d_head, da = (size_t)t->d_att;
    size_t dc = (size_t)t->heads * dh;
    if (!all_finite_f(t->a, n * dm) || !all_finite_f(t->pe, n * dm) || !all_finite_f(t->x, n * dm))
        return 0;
    for (int h = 0; h < t->heads; h++) {
        const AttnHead *hd = &t->head[h];
        if (!all_finite_f(hd->wq, dm * dh) || !all_finite_f(hd->wk, dm * dh) ||
            !all_finite_f(hd->wv, dm * dh) || !all_finite_f(hd->wa, 2 * dh * da) ||
            !all_finite_f(hd->va, da) || !all_finite_f(hd->q, n * dh) ||
            !all_finite_f(hd->k, n * dh) || !all_finite_f(hd->v, n * dh) ||
            !all_finite_f(hd->scores, n * n) || !all_finite_f(hd->weights, n * n) ||
            !all_finite_f(hd->out, n * dh) || !all_finite_f(hd->entropy, n) ||
            !all_finite_f(hd->max_weight, n))
            return 0;
    }
    return all_finite_f(t->concat, n * dc) && all_finite_f(t->wo, dc * dm) &&
           all_finite_f(t->output, n * dm);
}

/* Compares every head of a trace with the reference computed from the scene's definition
 * (x independently, the projection matrices from the trace), and the final output with
 * concat . Wo in double. */
static void expect_trace_matches_reference(const AttnTrace *t, const AttnScene *s, double tol)
{
    int n = s->n, dm = s->d_model, dh = s->d_head, H = s->heads, dc = H * dh;
    double *x = ref_x(s);
    double dx = max_diff_fd(t->x, x, (size_t)n * dm);
    if (!(dx <= 1e-6)) free(x);
    EXPECT_MSG(dx <= 1e-6, "x differs from a + pe by %.3g", dx);
    double *concat = calloc((size_t)n * dc, sizeof *concat);
    for (int h = 0; h < H; h++) {
        const AttnHead *hd = &t->head[h];
        Ref r = ref_head(s, x, hd->wq, hd->wk, hd->wv, hd->wa, hd->va);
        double dq = max_diff_fd(hd->q, r.q, (size_t)n * dh);
        double ds = max_diff_fd(hd->scores, r.scores, (size_t)n * n);
        double dw = max_diff_fd(hd->weights, r.weights, (size_t)n * n);
        double dout = max_diff_fd(hd->out, r.out, (size_t)n * dh);
        double dent = max_diff_fd(hd->entropy, r.entropy, (size_t)n);
        int empties_agree = 1, nempty = 0;
        for (int i = 0; i < n; i++) {
            if (hd->empty_row[i] != r.empty[i]) empties_agree = 0;
            nempty += r.empty[i];
            for (int c = 0; c < dh; c++) concat[(size_t)i * dc + h * dh + c] = r.out[(size_t)i * dh + c];
        }
        ref_free(&r);
        int ok = dq <= tol && ds <= tol * 10 && dw <= tol && dout <= tol && dent <= tol * 10 &&
                 empties_agree && hd->n_empty_rows == nempty;
        if (!ok) { free(x); free(concat); }
        EXPECT_MSG(dq <= tol && ds <= tol * 10 && dw <= tol && dout <= tol && dent <= tol * 10,
                   "head %d: q %.3g scores %.3g weights %.3g out %.3g entropy %.3g (tol %.3g)",
                   h, dq, ds, dw, dout, dent, tol);
        EXPECT_MSG(empties_agree, "head %d: empty_row flags differ from the reference", h);
        EXPECT_INT(hd->n_empty_rows, nempty);
    }
    double *out = calloc((size_t)n * dm, sizeof *out);
    for (int i = 0; i < n; i++)
        for (int m = 0; m < dm; m++)
            for (int r = 0; r < dc; r++)
                out[(size_t)i * dm + m] += concat[(size_t)i * dc + r] * t->wo[(size_t)r * dm + m];
    double d = max_diff_fd(t->output, out, (size_t)n * dm);
    free(out);
    free(concat);
    free(x);
    EXPECT_MSG(d <= tol * 10, "output differs from concat . Wo by %.3g", d);
}

static const char *const sentence[] = {"the", "cat", "sat", "on", "the", "mat", "and",
                                       "looked", "at", "a", "dog", "that", "barked"};
#define SENTENCE_N 13

/* ------------------------------------------------------------------ 1. hand computation */

/* a1 = (1,0), a2 = (0,1), a3 = (1,1); Wq = [[1,1],[0,1]], Wk = I, Wv = [[1,2],[3,4]],
 * Wo = [[1,0],[1,1]]. Row vectors times matrices:
 *   q1 = (1,1), q2 = (0,1), q3 = (1,2);  k = a;  v1 = (1,2), v2 = (3,4), v3 = (4,6)
 *   scores: row 1 = (1,1,2), row 2 = (0,1,1), row 3 = (1,2,3)
 *   weights: row 1 = (1,1,e)/(2+e), row 2 = (1,e,e)/(1+2e), row 3 = (1,e,e^2)/(1+e+e^2)
 *   out: row 1 = (4+4e, 6+6e)/(2+e), row 2 = (1+7e, 2+10e)/(1+2e),
 *        row 3 = (1+3e+4e^2, 2+4e+6e^2)/(1+e+e^2)
 *   b = out Wo = (o1 + o2, o2). */
static void hand_computed_three_tokens(void)
{
    static const char *const tok[] = {"a1", "a2", "a3"};
    static const float vec[] = {1, 0, 0, 1, 1, 1};
    static const float wq[] = {1, 1, 0, 1}, wk[] = {1, 0, 0, 1}, wv[] = {1, 2, 3, 4};
    static const float wo[] = {1, 0, 1, 1};
    AttnScene s = attn_scene_default();
    s.n = 3; s.tokens = tok; s.vectors = vec;
    s.d_model = 2; s.heads = 1; s.d_head = 2;
    s.posenc = ATTN_PE_NONE; s.score = ATTN_SCORE_DOT;
    s.params.wq = wq; s.params.wk = wk; s.params.wv = wv; s.params.wo = wo;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);

    const double E = exp(1.0);
    const double q[] = {1, 1, 0, 1, 1, 2}, k[] = {1, 0, 0, 1, 1, 1}, v[] = {1, 2, 3, 4, 4, 6};
    const double sc[] = {1, 1, 2, 0, 1, 1, 1, 2, 3};
    const double z1 = 2 + E, z2 = 1 + 2 * E, z3 = 1 + E + E * E;
    const double w[] = {1 / z1, 1 / z1, E / z1, 1 / z2, E / z2, E / z2, 1 / z3, E / z3, E * E / z3};
    const double out[] = {(4 + 4 * E) / z1, (6 + 6 * E) / z1, (1 + 7 * E) / z2, (2 + 10 * E) / z2,
                          (1 + 3 * E + 4 * E * E) / z3, (2 + 4 * E + 6 * E * E) / z3};
    double b[6];
    for (int i = 0; i < 3; i++) { b[2 * i] = out[2 * i] + out[2 * i + 1]; b[2 * i + 1] = out[2 * i + 1]; }
    const double zero[6] = {0};

    const AttnHead *hd = &t.head[0];
    EXPECT_INT(t.n, 3);
    EXPECT_INT(t.explicit_vectors, 1);
    EXPECT(t.scale == 1.0f);
    EXPECT_ALL_NEAR_D(t.a, k, 6, 0);
    EXPECT_ALL_NEAR_D(t.pe, zero, 6, 0);
    EXPECT_ALL_NEAR_D(t.x, k, 6, 0);
    EXPECT_ALL_NEAR_D(hd->q, q, 6, 0);
    EXPECT_ALL_NEAR_D(hd->k, k, 6, 0);
    EXPECT_ALL_NEAR_D(hd->v, v, 6, 0);
    EXPECT_ALL_NEAR_D(hd->scores, sc, 9, 0);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) EXPECT(attn_scaled(&t, 0, i, j) == (float)sc[3 * i + j]);
    EXPECT_ALL_NEAR_D(hd->weights, w, 9, 1e-6);
    EXPECT_ALL_NEAR_D(hd->out, out, 6, 1e-5);
    EXPECT_ALL_NEAR_D(t.concat, out, 6, 1e-5);
    const double wo_expect[4] = {1, 0, 1, 1};
    EXPECT_ALL_NEAR_D(t.wo, wo_expect, 4, 0);
    EXPECT_ALL_NEAR_D(t.output, b, 6, 2e-5);
    for (int i = 0; i < 3; i++) {
        double h = 0, mx = 0;
        for (int j = 0; j < 3; j++) { h -= w[3 * i + j] * log(w[3 * i + j]); if (w[3 * i + j] > mx) mx = w[3 * i + j]; }
        EXPECT_NEAR(hd->entropy[i], h, 1e-5);
        EXPECT_NEAR(hd->max_weight[i], mx, 1e-6);
        EXPECT_INT(hd->empty_row[i], 0);
    }
    EXPECT_INT(t.n_empty_rows, 0);
    EXPECT_STR(t.tokens[2], "a3");
    EXPECT(t.tokens[2] != tok[2]); /* the trace keeps its own copies */
    attn_trace_free(&t);
    EXPECT(t.mem == NULL && t.head == NULL && t.n == 0);
}

/* ------------------------------------------------------------------ masks */

static const int graph_edges[] = {0, 1, 1, 2, 2, 5, 7, 3, 9, 12, 4, 4};
#define GRAPH_N_EDGES 6

/* A custom mask where every row sees at least one key: a pseudo-random pattern plus the
 * diagonal. */
static void fill_custom_mask(unsigned char *m, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) m[i * n + j] = (unsigned char)(i == j || (i * 7 + j * 3) % 5 < 2);
}

static AttnScene masked_scene(int which, unsigned char *custom)
{
    AttnScene s = attn_scene_default();
    s.n = SENTENCE_N;
    s.tokens = sentence;
    switch (which) {
    case 0: s.mask = ATTN_MASK_NONE; break;
    case 1: s.mask = ATTN_MASK_CAUSAL; break;
    case 2: s.mask = ATTN_MASK_WINDOW; s.mask_param = 1; break;
    case 3: s.mask = ATTN_MASK_WINDOW; s.mask_param = 3; break;
    case 4: s.mask = ATTN_MASK_PADDING; s.mask_param = 1; break;
    case 5: s.mask = ATTN_MASK_PADDING; s.mask_param = 4; break;
    case 6: s.mask = ATTN_MASK_GRAPH; s.edges = graph_edges; s.n_edges = GRAPH_N_EDGES; break;
    default: s.mask = ATTN_MASK_CUSTOM; fill_custom_mask(custom, s.n); s.mask_matrix = custom; break;
    }
    return s;
}
#define N_MASKED_SCENES 8

static void softmax_rows_sum_to_one(void)
{
    unsigned char custom[SENTENCE_N * SENTENCE_N];
    AttnTrace t;
    memset(&t, 0, sizeof t);
    for (int which = 0; which < N_MASKED_SCENES; which++) {
        AttnScene s = masked_scene(which, custom);
        s.heads = 3;
        s.temperature = which % 2 ? 0.5f : 1.0f;
        EXPECT_INT(forward(&t, &s), 0);
        EXPECT_INT(t.n_empty_rows, 0);
        for (int h = 0; h < s.heads; h++)
            for (int i = 0; i < s.n; i++) {
                double sum = 0;
                for (int j = 0; j < s.n; j++) sum += t.head[h].weights[i * s.n + j];
                EXPECT_MSG(fabs(sum - 1.0) <= 1e-5, "mask %d head %d row %d sums to %.9g", which, h, i, sum);
            }
        expect_trace_matches_reference(&t, &s, 1e-5);
        if (test_current_failed()) { fprintf(stderr, "  (mask scene %d)\n", which); break; }
    }
    attn_trace_free(&t);
}

static void masked_weights_are_exactly_zero(void)
{
    unsigned char custom[SENTENCE_N * SENTENCE_N];
    AttnTrace t;
    memset(&t, 0, sizeof t);
    for (int which = 1; which < N_MASKED_SCENES; which++) {
        for (int relu = 0; relu < 2; relu++) {
            AttnScene s = masked_scene(which, custom);
            s.norm = relu ? ATTN_NORM_RELU : ATTN_NORM_SOFTMAX;
            EXPECT_INT(forward(&t, &s), 0);
            int matrix_kind = s.mask == ATTN_MASK_GRAPH || s.mask == ATTN_MASK_CUSTOM;
            EXPECT((t.mask_matrix != NULL) == matrix_kind);
            int masked = 0;
            for (int i = 0; i < s.n; i++)
                for (int j = 0; j < s.n; j++) {
                    int allowed = ref_allowed(&s, i, j);
                    EXPECT_MSG(attn_allowed(&t, i, j) == allowed, "mask %d: attn_allowed(%d,%d) != %d",
                               which, i, j, allowed);
                    for (int h = 0; h < s.heads; h++) {
                        float w = t.head[h].weights[i * s.n + j];
                        if (!allowed) {
                            masked++;
                            EXPECT_MSG(w == 0.0f, "mask %d head %d: masked weight (%d,%d) is %g", which, h, i, j, (double)w);
                        } else if (!relu) {
                            EXPECT_MSG(w > 0.0f, "mask %d head %d: allowed weight (%d,%d) is 0", which, h, i, j);
                        }
                    }
                }
            EXPECT(masked > 0);
        }
    }
    attn_trace_free(&t);
}

static void window_mask_near_edges(void)
{
    AttnScene s = attn_scene_default();
    s.n = 7; s.tokens = sentence;
    s.mask = ATTN_MASK_WINDOW; s.mask_param = 2;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    const int expect_count[7] = {3, 4, 5, 5, 5, 4, 3};
    for (int i = 0; i < 7; i++) {
        int c = 0;
        for (int j = 0; j < 7; j++) c += t.head[0].weights[i * 7 + j] > 0.0f;
        EXPECT_MSG(c == expect_count[i], "row %d sees %d keys, expected %d", i, c, expect_count[i]);
    }
    /* window 0: each token sees only itself, so its weight is exactly 1 and out = v */
    s.mask_param = 0;
    EXPECT_INT(forward(&t, &s), 0);
    for (int h = 0; h < s.heads; h++) {
        for (int i = 0; i < 7; i++) EXPECT(t.head[h].weights[i * 7 + i] == 1.0f);
        EXPECT_ALL_NEAR(t.head[h].out, t.head[h].v, 7 * s.d_head, 0);
        for (int i = 0; i < 7; i++) EXPECT_NEAR(t.head[h].entropy[i], 0.0, 1e-7);
    }
    /* a window wider than the sequence is no mask at all */
    s.mask_param = 50;
    EXPECT_INT(forward(&t, &s), 0);
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) EXPECT(attn_allowed(&t, i, j) && t.head[1].weights[i * 7 + j] > 0.0f);
    attn_trace_free(&t);
}

static void padding_queries_still_see_real_tokens(void)
{
    AttnScene s = attn_scene_default();
    s.n = 6; s.tokens = sentence;
    s.mask = ATTN_MASK_PADDING; s.mask_param = 2;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT_INT(t.n_empty_rows, 0);
    for (int h = 0; h < s.heads; h++)
        for (int i = 0; i < 6; i++) {
            double sum = 0;
            for (int j = 0; j < 4; j++) sum += t.head[h].weights[i * 6 + j];
            EXPECT_NEAR(sum, 1.0, 1e-6); /* the padding rows 4, 5 included */
            EXPECT(t.head[h].weights[i * 6 + 4] == 0.0f && t.head[h].weights[i * 6 + 5] == 0.0f);
        }
    /* everything padding: no query can see anything */
    s.mask_param = 6;
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT_INT(t.n_empty_rows, 6 * s.heads);
    for (int h = 0; h < s.heads; h++) {
        EXPECT_INT(t.head[h].n_empty_rows, 6);
        for (int c = 0; c < 36; c++) EXPECT(t.head[h].weights[c] == 0.0f);
    }
    EXPECT(trace_finite(&t));
    for (int c = 0; c < 6 * s.d_model; c++) EXPECT(t.output[c] == 0.0f);
    attn_trace_free(&t);
}

static void graph_mask_is_symmetric_with_self_loops(void)
{
    static const int edges[] = {0, 3, 2, 1};
    AttnScene s = attn_scene_default();
    s.n = 5; s.tokens = sentence;
    s.mask = ATTN_MASK_GRAPH; s.edges = edges; s.n_edges = 2;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    const int expect[5][5] = {{1, 0, 0, 1, 0}, {0, 1, 1, 0, 0}, {0, 1, 1, 0, 0}, {1, 0, 0, 1, 0}, {0, 0, 0, 0, 1}};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) EXPECT_MSG(attn_allowed(&t, i, j) == expect[i][j], "(%d,%d)", i, j);
    /* node 4 has no neighbours: it attends only to itself */
    EXPECT(t.head[0].weights[4 * 5 + 4] == 1.0f);
    /* no edges at all: the diagonal */
    s.n_edges = 0; s.edges = NULL;
    EXPECT_INT(forward(&t, &s), 0);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) EXPECT(attn_allowed(&t, i, j) == (i == j));
    attn_trace_free(&t);
}

static void fully_masked_row_is_finite_and_flagged(void)
{
    enum { N = 5 };
    unsigned char m[N * N];
    fill_custom_mask(m, N);
    for (int j = 0; j < N; j++) m[2 * N + j] = 0; /* row 2 sees nothing */
    for (int norm = 0; norm < 2; norm++) {
        AttnScene s = attn_scene_default();
        s.n = N; s.tokens = sentence;
        s.mask = ATTN_MASK_CUSTOM; s.mask_matrix = m;
        s.norm = norm ? ATTN_NORM_RELU : ATTN_NORM_SOFTMAX;
        AttnTrace t;
        memset(&t, 0, sizeof t);
        EXPECT_INT(forward(&t, &s), 0);
        EXPECT(trace_finite(&t));
        int empties = 0;
        for (int h = 0; h < s.heads; h++) {
            const AttnHead *hd = &t.head[h];
            EXPECT_INT(hd->empty_row[2], 1);
            for (int j = 0; j < N; j++) EXPECT(hd->weights[2 * N + j] == 0.0f);
            for (int c = 0; c < s.d_head; c++) EXPECT(hd->out[2 * s.d_head + c] == 0.0f);
            EXPECT(hd->entropy[2] == 0.0f);
            EXPECT(hd->max_weight[2] == 0.0f);
            if (norm == 0) {
                EXPECT_INT(hd->n_empty_rows, 1);
                for (int i = 0; i < N; i++) EXPECT_INT(hd->empty_row[i], i == 2);
            }
            empties += hd->n_empty_rows;
        }
        EXPECT_INT(t.n_empty_rows, empties);
        if (norm == 0) EXPECT_INT(t.n_empty_rows, s.heads);
        for (int c = 0; c < s.d_model; c++) EXPECT(t.output[2 * s.d_model + c] == 0.0f);
        expect_trace_matches_reference(&t, &s, 1e-5);
        attn_trace_free(&t);
        if (test_current_failed()) return;
    }
}

/* ------------------------------------------------------------------ numerics */

static void huge_scores_stay_finite(void)
{
    static const char *const tok[] = {"p", "q", "r", "s"};
    /* dot products, in units of 1e10: rows (2, 1.9, 0, 1), (1.9, 1.81, -0.1, 0.95),
     * (0, -0.1, 2, 0), (1, 0.95, 0, 0.5): the largest key is 0, 0, 2, 0 */
    static const float vec[] = {1e5f, 1e5f, 1e5f, 0.9e5f, -1e5f, 1e5f, 0.5e5f, 0.5e5f};
    const int argmax[4] = {0, 0, 2, 0};
    for (int variant = 0; variant < 3; variant++) {
        AttnScene s = attn_scene_default();
        s.n = 4; s.tokens = tok; s.vectors = vec;
        s.d_model = 2; s.heads = 1; s.d_head = 2;
        s.posenc = ATTN_PE_NONE;
        s.score = variant == 1 ? ATTN_SCORE_SCALED : ATTN_SCORE_DOT;
        s.weights = ATTN_WEIGHTS_IDENTITY;
        s.temperature = variant == 2 ? ATTN_MIN_TEMPERATURE : 1e-3f;
        AttnTrace t;
        memset(&t, 0, sizeof t);
        EXPECT_INT(forward(&t, &s), 0);
        EXPECT(trace_finite(&t));
        for (int i = 0; i < 4; i++) {
            double sum = 0;
            for (int j = 0; j < 4; j++) sum += t.head[0].weights[i * 4 + j];
            EXPECT_NEAR(sum, 1.0, 1e-6);
            EXPECT_NEAR(t.head[0].weights[i * 4 + argmax[i]], 1.0, 1e-6);
            EXPECT_NEAR(t.head[0].max_weight[i], 1.0, 1e-6);
            EXPECT(t.head[0].entropy[i] >= 0.0f && t.head[0].entropy[i] < 1e-3f);
        }
        attn_trace_free(&t);
    }
}

/* The largest explicit values the engine accepts (1e6) in wide matrices at the smallest
 * temperature: scores reach ~5e32, scaled / T overflows float. Both normalisations must
 * still give finite weights summing to 1. */
static void extreme_values_within_limits_stay_finite(void)
{
    enum { N = 3, DM = 1024, DH = 512 };
    static const char *const tok[] = {"x", "y", "z"};
    float *vec = malloc(sizeof *vec * N * DM);
    float *w = malloc(sizeof *w * DM * DH);
    for (int c = 0; c < N * DM; c++) vec[c] = 1e6f;
    for (int c = DM; c < 2 * DM; c++) vec[c] = 5e5f; /* token 1 is half as large */
    for (int c = 0; c < DM * DH; c++) w[c] = 1e6f;
    for (int norm = 0; norm < 2; norm++) {
        AttnScene s = attn_scene_default();
        s.n = N; s.tokens = tok; s.vectors = vec;
        s.d_model = DM; s.heads = 1; s.d_head = DH;
        s.posenc = ATTN_PE_NONE; s.score = ATTN_SCORE_DOT;
        s.norm = norm ? ATTN_NORM_RELU : ATTN_NORM_SOFTMAX;
        s.temperature = ATTN_MIN_TEMPERATURE;
        s.params.wq = w; s.params.wk = w; s.params.wv = w;
        AttnTrace t;
        memset(&t, 0, sizeof t);
        EXPECT_INT(forward(&t, &s), 0);
        const AttnHead *hd = &t.head[0];
        EXPECT(all_finite_f(hd->scores, N * N));
        EXPECT_MSG(all_finite_f(hd->weights, N * N), "%s weights are not finite", attn_norm_name(s.norm));
        EXPECT_INT(t.n_empty_rows, 0);
        for (int i = 0; i < N; i++) {
            double sum = 0;
            for (int j = 0; j < N; j++) sum += hd->weights[i * N + j];
            EXPECT_NEAR(sum, 1.0, 1e-5);
            if (norm) {
                /* ReLU: scores are proportional to the key's size: 1, 1/2, 1 */
                EXPECT_NEAR(hd->weights[i * N + 0], 0.4, 1e-5);
                EXPECT_NEAR(hd->weights[i * N + 1], 0.2, 1e-5);
            }
        }
        attn_trace_free(&t);
        if (test_current_failed()) break;
    }
    free(vec);
    free(w);
}

/* Positive scores far below 1 must not vanish in the ReLU normalisation at a high
 * temperature: T cancels, so the row is not empty. */
static void relu_tiny_positive_scores_are_not_empty(void)
{
    static const char *const tok[] = {"x", "y"};
    static const float vec[] = {1e-19f, 0.0f, 2e-19f, 0.0f};
    AttnScene s = attn_scene_default();
    s.n = 2; s.tokens = tok; s.vectors = vec;
    s.d_model = 2; s.heads = 1; s.d_head = 2;
    s.posenc = ATTN_PE_NONE; s.score = ATTN_SCORE_DOT; s.norm = ATTN_NORM_RELU;
    s.weights = ATTN_WEIGHTS_IDENTITY;
    s.temperature = ATTN_MAX_TEMPERATURE;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    /* scores: row 0 = (1e-38, 2e-38), row 1 = (2e-38, 4e-38), all positive */
    for (int j = 0; j < 4; j++) EXPECT(t.head[0].scores[j] > 0.0f);
    EXPECT_INT(t.n_empty_rows, 0);
    EXPECT(trace_finite(&t));
    for (int i = 0; i < 2; i++) {
        EXPECT_NEAR(t.head[0].weights[i * 2 + 0], 1.0 / 3.0, 1e-5);
        EXPECT_NEAR(t.head[0].weights[i * 2 + 1], 2.0 / 3.0, 1e-5);
    }
    attn_trace_free(&t);
}

static double row_entropy(const float *w, int n)
{
    double h = 0;
    for (int j = 0; j < n; j++) if (w[j] > 0) h -= (double)w[j] * log((double)w[j]);
    return h;
}

static void scaled_is_dot_over_sqrt_dhead(void)
{
    AttnScene s = attn_scene_default();
    s.n = SENTENCE_N; s.tokens = sentence;
    s.d_model = 12; s.heads = 2; s.d_head = 6;
    AttnTrace td, ts;
    memset(&td, 0, sizeof td);
    memset(&ts, 0, sizeof ts);
    s.score = ATTN_SCORE_DOT;
    EXPECT_INT(forward(&td, &s), 0);
    s.score = ATTN_SCORE_SCALED;
    EXPECT_INT(forward(&ts, &s), 0);
    const double inv = 1.0 / sqrt(6.0);
    EXPECT(td.scale == 1.0f);
    EXPECT_NEAR(ts.scale, inv, 1e-7);
    int n = s.n, softer = 0;
    for (int h = 0; h < 2; h++) {
        EXPECT(memcmp(td.head[h].scores, ts.head[h].scores, sizeof(float) * (size_t)n * n) == 0);
        for (int i = 0; i < n; i++) {
            const float *sd = td.head[h].scores + i * n;
            double u[SENTENCE_N], mx = -INFINITY, z = 0;
            for (int j = 0; j < n; j++) {
                EXPECT_NEAR(attn_scaled(&ts, h, i, j), sd[j] * inv, 1e-6 * (1 + fabs(sd[j])));
                EXPECT(attn_scaled(&td, h, i, j) == sd[j]);
                u[j] = sd[j] * inv;
                if (u[j] > mx) mx = u[j];
            }
            for (int j = 0; j < n; j++) z += exp(u[j] - mx);
            for (int j = 0; j < n; j++)
                EXPECT_NEAR(ts.head[h].weights[i * n + j], exp(u[j] - mx) / z, 1e-6);
            double hs = row_entropy(ts.head[h].weights + i * n, n), hd = row_entropy(td.head[h].weights + i * n, n);
            EXPECT_MSG(hs >= hd - 1e-6, "head %d row %d: scaled entropy %.6g < dot entropy %.6g", h, i, hs, hd);
            EXPECT(ts.head[h].entropy[i] >= td.head[h].entropy[i] - 1e-5f);
            softer += hs > hd + 1e-3;
        }
    }
    EXPECT(softer > 0);
    attn_trace_free(&td);
    attn_trace_free(&ts);
}

static void temperature_divides_scores(void)
{
    const float temps[] = {0.37f, 1.0f, 2.5f, 40.0f};
    AttnScene s = attn_scene_default();
    s.n = SENTENCE_N; s.tokens = sentence;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t, t1;
    memset(&t, 0, sizeof t);
    memset(&t1, 0, sizeof t1);
    EXPECT_INT(forward(&t1, &s), 0);
    int n = s.n;
    for (int k = 0; k < 4; k++) {
        s.temperature = temps[k];
        EXPECT_INT(forward(&t, &s), 0);
        EXPECT(t.temperature == temps[k]);
        for (int h = 0; h < s.heads; h++) {
            /* the scores do not depend on the temperature */
            EXPECT(memcmp(t.head[h].scores, t1.head[h].scores, sizeof(float) * (size_t)n * n) == 0);
            for (int i = 0; i < n; i++) {
                double u[SENTENCE_N], mx = -INFINITY, z = 0;
                for (int j = 0; j <= i; j++) {
                    u[j] = (double)t.head[h].scores[i * n + j] / sqrt((double)s.d_head) / temps[k];
                    if (u[j] > mx) mx = u[j];
                }
                for (int j = 0; j <= i; j++) z += exp(u[j] - mx);
                for (int j = 0; j <= i; j++)
                    EXPECT_NEAR(t.head[h].weights[i * n + j], exp(u[j] - mx) / z, 1e-6);
            }
        }
    }
    attn_trace_free(&t);
    attn_trace_free(&t1);
}

static void mat_exp_nonpos_is_accurate(void)
{
    enum { N = 200001 };
    float *x = malloc(sizeof *x * N), *y = malloc(sizeof *y * N);
    for (int i = 0; i < N; i++) x[i] = (float)(-87.0 * i / (N - 1));
    mat_exp_nonpos(y, x, N);
    double worst_abs = 0, worst_rel_small = 0, worst_rel = 0;
    for (int i = 0; i < N; i++) {
        double e = exp((double)x[i]), d = fabs((double)y[i] - e);
        if (!(d <= worst_abs)) worst_abs = isnan(d) ? INFINITY : d;
        if (x[i] >= -2.0f && d / e > worst_rel_small) worst_rel_small = d / e;
        if (x[i] >= -80.0f && d / e > worst_rel) worst_rel = d / e;
    }
    float special_in[3] = {0.0f, -INFINITY, -1e30f}, special_out[3];
    mat_exp_nonpos(special_out, special_in, 3);
    free(x);
    free(y);
    /* what matters for weights in [0, 1] is the absolute error */
    EXPECT_MSG(worst_abs < 1e-7, "absolute error %.3g", worst_abs);
    EXPECT_MSG(worst_rel_small < 2e-7, "relative error on [-2, 0] %.3g", worst_rel_small);
    /* further out the float rounding of x log2(e) dominates: |x| * 2^-24 or so */
    EXPECT_MSG(worst_rel < 5e-6, "relative error on [-80, 0] %.3g", worst_rel);
    EXPECT(special_out[0] == 1.0f);  /* the row's maximum gets exactly 1 */
    EXPECT(special_out[1] == 0.0f);  /* masked cells: exactly 0 */
    EXPECT(special_out[2] == 0.0f);
}

/* ------------------------------------------------------------------ structure */

static void permute_scene_output(const char *const *tokens, const int *perm, int n, AttnPosenc pe,
                                 AttnTrace *ta, AttnTrace *tb, const char **ptok)
{
    AttnScene s = attn_scene_default();
    s.n = n; s.tokens = tokens; s.posenc = pe;
    s.mask = ATTN_MASK_NONE;
    for (int i = 0; i < n; i++) ptok[i] = tokens[perm[i]];
    if (forward(ta, &s)) return;
    s.tokens = ptok;
    forward(tb, &s);
}

static const int perm6[6] = {3, 0, 5, 1, 4, 2};

static void permutation_equivariance_without_posenc(void)
{
    const char *ptok[6];
    AttnTrace ta, tb;
    memset(&ta, 0, sizeof ta);
    memset(&tb, 0, sizeof tb);
    permute_scene_output(sentence + 1, perm6, 6, ATTN_PE_NONE, &ta, &tb, ptok);
    EXPECT(ta.n == 6 && tb.n == 6);
    int dm = ta.d_model;
    for (int i = 0; i < 6; i++) {
        EXPECT_ALL_NEAR(tb.output + i * dm, ta.output + perm6[i] * dm, dm, 1e-5);
        for (int h = 0; h < ta.heads; h++)
            for (int j = 0; j < 6; j++)
                EXPECT_NEAR(tb.head[h].weights[i * 6 + j], ta.head[h].weights[perm6[i] * 6 + perm6[j]], 1e-6);
    }
    attn_trace_free(&ta);
    attn_trace_free(&tb);
}

static void posenc_breaks_permutation_equivariance(void)
{
    const AttnPosenc kinds[2] = {ATTN_PE_SINUSOIDAL, ATTN_PE_LEARNED};
    for (int k = 0; k < 2; k++) {
        const char *ptok[6];
        AttnTrace ta, tb;
        memset(&ta, 0, sizeof ta);
        memset(&tb, 0, sizeof tb);
        permute_scene_output(sentence + 1, perm6, 6, kinds[k], &ta, &tb, ptok);
        EXPECT(ta.n == 6 && tb.n == 6);
        int dm = ta.d_model;
        double worst = 0;
        for (int i = 0; i < 6; i++) {
            double d = test_max_diff(tb.output + i * dm, ta.output + perm6[i] * dm, dm);
            if (d > worst) worst = d;
        }
        attn_trace_free(&ta);
        attn_trace_free(&tb);
        EXPECT_MSG(worst > 1e-3, "%s: permuted output differs by only %.3g", attn_posenc_name(kinds[k]), worst);
    }
}

static void one_head_multihead_equals_single_head(void)
{
    enum { DM = 6, DH = 3 };
    /* heads = 1 with Wo = identity (explicit): the output is that head's out */
    float eye[DM * DM];
    for (int r = 0; r < DM; r++)
        for (int c = 0; c < DM; c++) eye[r * DM + c] = r == c;
    AttnScene s = attn_scene_default();
    s.n = 9; s.tokens = sentence;
    s.d_model = DM; s.heads = 1; s.d_head = DM;
    s.params.wo = eye;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT_ALL_NEAR(t.wo, eye, DM * DM, 0);
    double *x = ref_x(&s);
    Ref r = ref_head(&s, x, t.head[0].wq, t.head[0].wk, t.head[0].wv, NULL, NULL);
    double d = max_diff_fd(t.output, r.out, (size_t)s.n * DM);
    ref_free(&r);
    free(x);
    EXPECT_MSG(d <= 1e-5, "output vs single-head reference: %.3g", d);

    /* heads are independent: head 1 of a 2-head scene is a 1-head scene with its matrices */
    float wq[2 * DM * DH], wk[2 * DM * DH], wv[2 * DM * DH];
    rng_seed(17);
    rng_fill(wq, 2 * DM * DH, 0.6);
    rng_fill(wk, 2 * DM * DH, 0.6);
    rng_fill(wv, 2 * DM * DH, 0.6);
    AttnScene s2 = attn_scene_default();
    s2.n = 9; s2.tokens = sentence;
    s2.d_model = DM; s2.heads = 2; s2.d_head = DH;
    s2.params.wq = wq; s2.params.wk = wk; s2.params.wv = wv;
    AttnScene s1 = s2;
    s1.heads = 1;
    s1.params.wq = wq + DM * DH; s1.params.wk = wk + DM * DH; s1.params.wv = wv + DM * DH;
    AttnTrace t2;
    memset(&t2, 0, sizeof t2);
    EXPECT_INT(forward(&t2, &s2), 0);
    EXPECT_INT(forward(&t, &s1), 0);
    const AttnHead *a = &t2.head[1], *b = &t.head[0];
    int n = 9;
    EXPECT_ALL_NEAR(a->wq, wq + DM * DH, DM * DH, 0);
    EXPECT_ALL_NEAR(a->q, b->q, n * DH, 0);
    EXPECT_ALL_NEAR(a->k, b->k, n * DH, 0);
    EXPECT_ALL_NEAR(a->v, b->v, n * DH, 0);
    EXPECT_ALL_NEAR(a->scores, b->scores, n * n, 0);
    EXPECT_ALL_NEAR(a->weights, b->weights, n * n, 0);
    EXPECT_ALL_NEAR(a->out, b->out, n * DH, 0);
    /* and head 1's output sits in columns DH.. of concat */
    for (int i = 0; i < n; i++) EXPECT_ALL_NEAR(t2.concat + i * 2 * DH + DH, b->out + i * DH, DH, 0);
    expect_trace_matches_reference(&t2, &s2, 1e-5);
    attn_trace_free(&t);
    attn_trace_free(&t2);
}

static void many_heads_match_reference(void)
{
    /* more than 8 heads takes the engine's heap scratch path */
    AttnScene s = attn_scene_default();
    s.n = 11; s.tokens = sentence;
    s.d_model = 10; s.heads = 11; s.d_head = 3;
    s.mask = ATTN_MASK_WINDOW; s.mask_param = 2;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    expect_trace_matches_reference(&t, &s, 1e-5);
    /* random heads differ from each other */
    EXPECT(memcmp(t.head[0].wq, t.head[1].wq, sizeof(float) * 30) != 0);
    attn_trace_free(&t);
}

/* d_model 2, two heads of d_head 1, d_att 2. Head 0: Wq = (1,0)^T, Wk = (0,1)^T, so q = x_1,
 * k = x_2; Wa = [[1, 0.5], [-1, 2]] (top row for q, bottom for k), va = (1, -2):
 *   s_ij = tanh(q_i - k_j) - 2 tanh(0.5 q_i + 2 k_j).
 * Head 1: Wq = (0,1)^T, Wk = (1,0)^T, Wa = [[2, 0], [1, -1]], va = (0.5, 3):
 *   s_ij = 0.5 tanh(2 q_i + k_j) + 3 tanh(-k_j). */
static void additive_scoring_hand_case(void)
{
    static const char *const tok[] = {"u", "v", "w"};
    static const float vec[] = {0.5f, -0.25f, 1.0f, 0.5f, -0.3f, 0.2f};
    static const float wq[] = {1, 0, 0, 1}, wk[] = {0, 1, 1, 0};
    static const float wa[] = {1, 0.5f, -1, 2, 2, 0, 1, -1}, va[] = {1, -2, 0.5f, 3};
    const double x1[3] = {0.5, 1.0, -0.3}, x2[3] = {-0.25, 0.5, 0.2};
    AttnScene s = attn_scene_default();
    s.n = 3; s.tokens = tok; s.vectors = vec;
    s.d_model = 2; s.heads = 2; s.d_head = 1; s.d_att = 2;
    s.posenc = ATTN_PE_NONE; s.score = ATTN_SCORE_ADDITIVE;
    s.params.wq = wq; s.params.wk = wk; s.params.wa = wa; s.params.va = va;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT(t.scale == 1.0f);
    EXPECT_INT(t.d_att, 2);
    EXPECT_ALL_NEAR(t.head[1].wa, wa + 4, 4, 0);
    EXPECT_ALL_NEAR(t.head[1].va, va + 2, 2, 0);
    for (int i = 0; i < 3; i++) {
        double s0[3], s1[3], m0 = -INFINITY, m1 = -INFINITY, z0 = 0, z1 = 0;
        for (int j = 0; j < 3; j++) {
            s0[j] = tanh(x1[i] - x2[j]) - 2 * tanh(0.5 * x1[i] + 2 * x2[j]);
            s1[j] = 0.5 * tanh(2 * x2[i] + x1[j]) + 3 * tanh(-x1[j]);
            EXPECT_NEAR(t.head[0].scores[i * 3 + j], s0[j], 2e-6);
            EXPECT_NEAR(t.head[1].scores[i * 3 + j], s1[j], 2e-6);
            if (s0[j] > m0) m0 = s0[j];
            if (s1[j] > m1) m1 = s1[j];
        }
        for (int j = 0; j < 3; j++) { z0 += exp(s0[j] - m0); z1 += exp(s1[j] - m1); }
        for (int j = 0; j < 3; j++) {
            EXPECT_NEAR(t.head[0].weights[i * 3 + j], exp(s0[j] - m0) / z0, 1e-6);
            EXPECT_NEAR(t.head[1].weights[i * 3 + j], exp(s1[j] - m1) / z1, 1e-6);
        }
    }
    /* d_att 0 means d_head; the default tensors have that shape */
    s.d_att = 0;
    s.params.wa = NULL; s.params.va = NULL;
    EXPECT_INT(forward(&t, &s), 0);
    EXPECT_INT(t.d_att, 1);
    expect_trace_matches_reference(&t, &s, 1e-5);
    attn_trace_free(&t);
}

static void sinusoidal_posenc_values(void)
{
    enum { N = 60, D = 16 };
    float pe[N * D];
    attn_posenc_fill(pe, ATTN_PE_SINUSOIDAL, N, D, 1);
    for (int m = 0; m < D; m++) EXPECT(pe[m] == (m % 2 ? 1.0f : 0.0f));
    const int pos[] = {1, 2, 7, 31, 59};
    for (int a = 0; a < 5; a++)
        for (int i = 0; i < D / 2; i++) {
            int p = pos[a];
            double angle = p / pow(10000.0, 2.0 * i / D);
            EXPECT_NEAR(pe[p * D + 2 * i], sin(angle), 1e-6);
            EXPECT_NEAR(pe[p * D + 2 * i + 1], cos(angle), 1e-6);
        }
    /* hand values: position 1, d = 4: (sin 1, cos 1, sin 0.01, cos 0.01) */
    float pe4[2 * 4];
    attn_posenc_fill(pe4, ATTN_PE_SINUSOIDAL, 2, 4, 99);
    EXPECT_NEAR(pe4[4], sin(1.0), 1e-7);
    EXPECT_NEAR(pe4[5], cos(1.0), 1e-7);
    EXPECT_NEAR(pe4[6], sin(0.01), 1e-7);
    EXPECT_NEAR(pe4[7], cos(0.01), 1e-7);
    /* odd d: the last dimension is a sine of its own pair */
    float pe5[3 * 5];
    attn_posenc_fill(pe5, ATTN_PE_SINUSOIDAL, 3, 5, 1);
    EXPECT_NEAR(pe5[2 * 5 + 4], sin(2.0 / pow(10000.0, 4.0 / 5.0)), 1e-7);
    /* none is all zeros */
    float z[3 * 5];
    memset(z, 0x7f, sizeof z);
    attn_posenc_fill(z, ATTN_PE_NONE, 3, 5, 1);
    for (int c = 0; c < 15; c++) EXPECT(z[c] == 0.0f);
    /* the trace's pe is that fill and x = a + pe */
    AttnScene s = attn_scene_default();
    s.n = 5; s.tokens = sentence;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    float ref[5 * 8];
    attn_posenc_fill(ref, ATTN_PE_SINUSOIDAL, 5, 8, 1);
    EXPECT_ALL_NEAR(t.pe, ref, 40, 0);
    for (int c = 0; c < 40; c++) EXPECT(t.x[c] == t.a[c] + t.pe[c]);
    attn_trace_free(&t);
}

static void learned_posenc_depends_on_seed(void)
{
    enum { N = 6, D = 8 };
    float p1[N * D], p1b[N * D], p2[N * D];
    attn_posenc_fill(p1, ATTN_PE_LEARNED, N, D, 1);
    attn_posenc_fill(p1b, ATTN_PE_LEARNED, N, D, 1);
    attn_posenc_fill(p2, ATTN_PE_LEARNED, N, D, 2);
    EXPECT(memcmp(p1, p1b, sizeof p1) == 0);
    EXPECT(test_max_diff(p1, p2, N * D) > 0.1);
    /* positions differ from each other and stay within 0.5 * 3 */
    EXPECT(test_max_diff(p1, p1 + D, D) > 0.05);
    for (int c = 0; c < N * D; c++) EXPECT(isfinite(p1[c]) && fabsf(p1[c]) <= 1.5f);
    /* a shorter fill is a prefix of a longer one */
    float p3[3 * D];
    attn_posenc_fill(p3, ATTN_PE_LEARNED, 3, D, 1);
    EXPECT(memcmp(p3, p1, sizeof p3) == 0);
    /* in a scene: the seed changes pe and therefore x, but not a */
    AttnScene s = attn_scene_default();
    s.n = N; s.tokens = sentence; s.posenc = ATTN_PE_LEARNED; s.weights = ATTN_WEIGHTS_IDENTITY;
    AttnTrace ta, tb;
    memset(&ta, 0, sizeof ta);
    memset(&tb, 0, sizeof tb);
    EXPECT_INT(forward(&ta, &s), 0);
    s.seed = 2;
    EXPECT_INT(forward(&tb, &s), 0);
    EXPECT_ALL_NEAR(ta.pe, p1, N * D, 0);
    EXPECT_ALL_NEAR(tb.pe, p2, N * D, 0);
    EXPECT(memcmp(ta.a, tb.a, sizeof(float) * N * D) == 0);
    EXPECT(test_max_diff(ta.output, tb.output, N * D) > 1e-3);
    attn_trace_free(&ta);
    attn_trace_free(&tb);
}

static void embeddings_are_deterministic(void)
{
    static const char *const tok[] = {"I", "saw", "a", "saw"};
    enum { D = 16 };
    AttnScene s = attn_scene_default();
    s.n = 4; s.tokens = tok; s.d_model = D; s.heads = 2; s.d_head = 8;
    AttnTrace ta, tb;
    memset(&ta, 0, sizeof ta);
    memset(&tb, 0, sizeof tb);
    EXPECT_INT(forward(&ta, &s), 0);
    s.seed = 0xDEADBEEFULL;
    s.posenc = ATTN_PE_LEARNED;
    EXPECT_INT(forward(&tb, &s), 0);
    EXPECT_INT(ta.explicit_vectors, 0);
    /* both "saw" have the same a; the other words differ */
    EXPECT(memcmp(ta.a + 1 * D, ta.a + 3 * D, sizeof(float) * D) == 0);
    EXPECT(test_max_diff(ta.a + 0 * D, ta.a + 1 * D, D) > 0.1);
    EXPECT(test_max_diff(ta.a + 2 * D, ta.a + 1 * D, D) > 0.1);
    /* the embedding does not depend on the seed or the position encoding */
    EXPECT(memcmp(ta.a, tb.a, sizeof(float) * 4 * D) == 0);
    /* repeated calls agree, and the scene's a is attn_embed */
    float e1[D], e2[D];
    attn_embed(e1, "saw", D);
    attn_embed(e2, "saw", D);
    EXPECT(memcmp(e1, e2, sizeof e1) == 0);
    EXPECT(memcmp(e1, ta.a + D, sizeof e1) == 0);
    /* the values are built from integers: exact multiples of 2^-23 below 3 in size, so
     * every machine gets the same bits */
    for (int m = 0; m < D; m++) {
        double scaled = (double)e1[m] * 8388608.0;
        EXPECT_MSG(scaled == floor(scaled), "saw[%d] = %.9g is not a multiple of 2^-23", m, (double)e1[m]);
        EXPECT(fabsf(e1[m]) <= 3.0f);
    }
    /* case and bytes matter: "Saw" and "saw " are other tokens */
    float e3[D], e4[D];
    attn_embed(e3, "Saw", D);
    attn_embed(e4, "saw ", D);
    EXPECT(test_max_diff(e1, e3, D) > 0.1 && test_max_diff(e1, e4, D) > 0.1);
    /* "mean 0, variance 1": over many tokens and dimensions */
    double sum = 0, sq = 0;
    int count = 0;
    for (int w = 0; w < 500; w++) {
        char buf[32];
        float e[D];
        snprintf(buf, sizeof buf, "word%d", w);
        attn_embed(e, buf, D);
        for (int m = 0; m < D; m++) {
            double scaled = (double)e[m] * 8388608.0;
            EXPECT_MSG(scaled == floor(scaled), "%s[%d] = %.9g is not a multiple of 2^-23", buf, m, (double)e[m]);
            sum += e[m];
            sq += (double)e[m] * e[m];
            count++;
        }
    }
    double mean = sum / count, var = sq / count - mean * mean;
    EXPECT_NEAR(mean, 0.0, 0.05);
    EXPECT_NEAR(var, 1.0, 0.1);
    attn_trace_free(&ta);
    attn_trace_free(&tb);
}

/* x1 = (1,0), x2 = (1,1), x3 = (-1,0.5), x4 = (0.5,2); Wq = I, Wk = -I, so s_ij = -x_i.x_j:
 *   row 1: (-1, -1, 1, -0.5)      -> weights (0, 0, 1, 0)
 *   row 2: (-1, -2, 0.5, -2.5)    -> (0, 0, 1, 0)
 *   row 3: (1, 0.5, -1.25, -0.5)  -> (2/3, 1/3, 0, 0)
 *   row 4: all negative           -> empty, zeros. */
static void relu_normalisation(void)
{
    static const char *const tok[] = {"a", "b", "c", "d"};
    static const float vec[] = {1, 0, 1, 1, -1, 0.5f, 0.5f, 2};
    static const float eye[] = {1, 0, 0, 1}, neg[] = {-1, 0, 0, -1};
    const double w[16] = {0, 0, 1, 0, 0, 0, 1, 0, 2.0 / 3, 1.0 / 3, 0, 0, 0, 0, 0, 0};
    const double sc[16] = {-1, -1, 1, -0.5, -1, -2, 0.5, -2.5, 1, 0.5, -1.25, -0.5, -0.5, -2.5, -0.5, -4.25};
    for (int variant = 0; variant < 3; variant++) {
        AttnScene s = attn_scene_default();
        s.n = 4; s.tokens = tok; s.vectors = vec;
        s.d_model = 2; s.heads = 1; s.d_head = 2;
        s.posenc = ATTN_PE_NONE; s.norm = ATTN_NORM_RELU;
        s.score = variant == 0 ? ATTN_SCORE_DOT : ATTN_SCORE_SCALED;
        s.temperature = variant == 2 ? 3.0f : 1.0f; /* T and the scale cancel */
        s.params.wq = eye; s.params.wk = neg; s.params.wv = eye;
        AttnTrace t;
        memset(&t, 0, sizeof t);
        EXPECT_INT(forward(&t, &s), 0);
        const AttnHead *hd = &t.head[0];
        EXPECT_ALL_NEAR_D(hd->scores, sc, 16, 0);
        EXPECT_ALL_NEAR_D(hd->weights, w, 16, 1e-7);
        EXPECT(hd->weights[0] == 0.0f && hd->weights[1] == 0.0f && hd->weights[3] == 0.0f);
        for (int j = 0; j < 4; j++) EXPECT(hd->weights[12 + j] == 0.0f);
        EXPECT_INT(hd->empty_row[3], 1);
        EXPECT_INT(hd->empty_row[2], 0);
        EXPECT_INT(hd->n_empty_rows, 1);
        EXPECT_INT(t.n_empty_rows, 1);
        /* out row 3 = 2/3 x1 + 1/3 x2 = (1, 1/3); row 4 = 0 */
        EXPECT_NEAR(hd->out[4], 1.0, 1e-6);
        EXPECT_NEAR(hd->out[5], 1.0 / 3.0, 1e-6);
        EXPECT(hd->out[6] == 0.0f && hd->out[7] == 0.0f);
        EXPECT_NEAR(hd->entropy[2], -(2.0 / 3 * log(2.0 / 3) + 1.0 / 3 * log(1.0 / 3)), 1e-6);
        EXPECT_NEAR(hd->entropy[0], 0.0, 1e-7);
        EXPECT(hd->entropy[3] == 0.0f && hd->max_weight[3] == 0.0f);
        EXPECT_NEAR(hd->max_weight[2], 2.0 / 3.0, 1e-6);
        EXPECT(trace_finite(&t));
        attn_trace_free(&t);
    }
}

static void identity_weights_split_x_between_heads(void)
{
    AttnScene s = attn_scene_default();
    s.n = 5; s.tokens = sentence;
    s.d_model = 8; s.heads = 2; s.d_head = 4;
    s.weights = ATTN_WEIGHTS_IDENTITY;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &s), 0);
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 5; i++)
            for (int c = 0; c < 4; c++) {
                float xv = t.x[i * 8 + h * 4 + c];
                EXPECT(t.head[h].q[i * 4 + c] == xv);
                EXPECT(t.head[h].k[i * 4 + c] == xv);
                EXPECT(t.head[h].v[i * 4 + c] == xv);
            }
    /* Wo is the identity too: b = concat */
    EXPECT_ALL_NEAR(t.output, t.concat, 5 * 8, 0);

    /* more heads than fit: head h reads dimensions wrapping round d_model */
    s.d_model = 6; s.heads = 4; s.d_head = 2;
    EXPECT_INT(forward(&t, &s), 0);
    for (int i = 0; i < 5; i++) {
        EXPECT(t.head[3].q[i * 2 + 0] == t.x[i * 6 + 0]);
        EXPECT(t.head[3].q[i * 2 + 1] == t.x[i * 6 + 1]);
    }
    /* d_head larger than d_model: x in the first columns, zeros after */
    s.d_model = 3; s.heads = 1; s.d_head = 5;
    EXPECT_INT(forward(&t, &s), 0);
    for (int i = 0; i < 5; i++)
        for (int c = 0; c < 5; c++) EXPECT(t.head[0].k[i * 5 + c] == (c < 3 ? t.x[i * 3 + c] : 0.0f));
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ limits and memory */

static int refused_naming(const AttnScene *s, const char *needle, char *err, size_t len)
{
    err[0] = 0;
    if (attn_check(s, err, len) != -1) return 0;
    return strstr(err, needle) != NULL;
}

static void limits_are_refused_with_the_limit_named(void)
{
    static const char *many[ATTN_MAX_N + 1];
    for (int i = 0; i <= ATTN_MAX_N; i++) many[i] = "t";
    char err[256];
    AttnScene ok = attn_scene_default();
    ok.n = 3; ok.tokens = sentence;
    EXPECT_INT(attn_check(&ok, err, sizeof err), 0);

    AttnScene s = ok;
    s.n = ATTN_MAX_N + 1; s.tokens = many; s.heads = 1;
    EXPECT_MSG(refused_naming(&s, "4096", err, sizeof err), "n: \"%s\"", err);
    s.n = ATTN_MAX_N;
    EXPECT_INT(attn_check(&s, err, sizeof err), 0); /* the limit itself is allowed */
    s.heads = 9; /* 9 x 4096 x 4096 cells */
    EXPECT_MSG(refused_naming(&s, "134217728", err, sizeof err), "cells: \"%s\"", err);
    s = ok; s.n = 0;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);
    s = ok; s.d_model = 0;
    EXPECT_MSG(refused_naming(&s, "1024", err, sizeof err) && strstr(err, "d_model"), "d_model: \"%s\"", err);
    s = ok; s.d_model = ATTN_MAX_D_MODEL + 1;
    EXPECT_MSG(refused_naming(&s, "1024", err, sizeof err), "d_model: \"%s\"", err);
    s = ok; s.heads = 65;
    EXPECT_MSG(refused_naming(&s, "64", err, sizeof err) && strstr(err, "heads"), "heads: \"%s\"", err);
    s = ok; s.d_head = 1025;
    EXPECT_MSG(refused_naming(&s, "1024", err, sizeof err) && strstr(err, "d_head"), "d_head: \"%s\"", err);
    s = ok; s.d_att = 1025;
    EXPECT_MSG(refused_naming(&s, "1024", err, sizeof err) && strstr(err, "d_att"), "d_att: \"%s\"", err);
    s = ok; s.temperature = 0.0f;
    EXPECT_MSG(refused_naming(&s, "1e-06", err, sizeof err) && strstr(err, "temperature"), "temperature: \"%s\"", err);
    s = ok; s.temperature = NAN;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);
    s = ok; s.temperature = 2e6f;
    EXPECT_MSG(refused_naming(&s, "1e+06", err, sizeof err), "temperature: \"%s\"", err);
    s = ok; s.tokens = NULL;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);

    float vec[3 * 8];
    for (int c = 0; c < 24; c++) vec[c] = 0.5f;
    vec[13] = NAN;
    s = ok; s.vectors = vec;
    EXPECT_MSG(refused_naming(&s, "1e+06", err, sizeof err) && strstr(err, "vectors"), "NaN: \"%s\"", err);
    vec[13] = INFINITY;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);
    vec[13] = 2e6f;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);
    vec[13] = 1e6f;
    EXPECT_INT(attn_check(&s, err, sizeof err), 0);
    float wbad[2 * 8 * 4];
    for (int c = 0; c < 64; c++) wbad[c] = 0.1f;
    wbad[63] = NAN; /* the last value of the last head */
    s = ok; s.params.wk = wbad;
    EXPECT_MSG(refused_naming(&s, "Wk", err, sizeof err), "Wk: \"%s\"", err);

    s = ok; s.mask = ATTN_MASK_WINDOW; s.mask_param = -1;
    EXPECT_MSG(refused_naming(&s, "4096", err, sizeof err) && strstr(err, "window"), "window: \"%s\"", err);
    s = ok; s.mask = ATTN_MASK_PADDING; s.mask_param = 4;
    EXPECT_MSG(refused_naming(&s, "3", err, sizeof err) && strstr(err, "padding"), "padding: \"%s\"", err);
    s.mask_param = 3;
    EXPECT_INT(attn_check(&s, err, sizeof err), 0);
    static const int edges[] = {0, 1, 2, 3};
    s = ok; s.mask = ATTN_MASK_GRAPH; s.edges = edges; s.n_edges = 2;
    EXPECT_MSG(refused_naming(&s, "1..3", err, sizeof err), "graph: \"%s\"", err);
    s.n_edges = 1;
    EXPECT_INT(attn_check(&s, err, sizeof err), 0);
    s.edges = NULL;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);
    s = ok; s.mask = ATTN_MASK_CUSTOM; s.mask_matrix = NULL;
    EXPECT_INT(attn_check(&s, err, sizeof err), -1);

    /* attn_forward refuses the same and leaves the trace empty, even one that held a result */
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_INT(forward(&t, &ok), 0);
    s = ok; s.heads = 65;
    err[0] = 0;
    EXPECT_INT(attn_forward(&t, &s, err, sizeof err), -1);
    EXPECT(strstr(err, "64") != NULL);
    EXPECT(t.mem == NULL && t.head == NULL && t.output == NULL && t.n == 0);
    /* a NULL or tiny err buffer is fine */
    EXPECT_INT(attn_check(&s, NULL, 0), -1);
    char tiny[4];
    EXPECT_INT(attn_check(&s, tiny, sizeof tiny), -1);
    EXPECT(strlen(tiny) < sizeof tiny);
    attn_trace_free(&t);
}

static void forward_reuses_memory(void)
{
    AttnScene big = attn_scene_default();
    big.n = SENTENCE_N; big.tokens = sentence;
    big.heads = 3; big.score = ATTN_SCORE_ADDITIVE; big.mask = ATTN_MASK_GRAPH;
    big.edges = graph_edges; big.n_edges = GRAPH_N_EDGES;
    AttnScene small = attn_scene_default();
    small.n = 5; small.tokens = sentence + 3;
    small.mask = ATTN_MASK_CAUSAL; small.temperature = 0.7f;
    AttnTrace t, fresh;
    memset(&t, 0, sizeof t);
    memset(&fresh, 0, sizeof fresh);
    EXPECT_INT(forward(&t, &big), 0);
    void *mem = t.mem;
    size_t size = t.mem_size;
    EXPECT(mem != NULL && size > 0);
    EXPECT_INT(forward(&t, &small), 0);
    EXPECT(t.mem == mem);
    EXPECT(t.mem_size == size);
    EXPECT(t.mask_matrix == NULL);
    EXPECT(t.head[0].wa == NULL && t.head[0].va == NULL);
    EXPECT_INT(forward(&fresh, &small), 0);
    int n = small.n, dh = small.d_head, dm = small.d_model;
    EXPECT(t.n == n && t.heads == small.heads && t.score == small.score && t.mask == small.mask);
    EXPECT_STR(t.tokens[0], "on");
    EXPECT_STR(t.tokens[4], "looked");
    EXPECT_ALL_NEAR(t.x, fresh.x, n * dm, 0);
    for (int h = 0; h < small.heads; h++) {
        EXPECT_ALL_NEAR(t.head[h].scores, fresh.head[h].scores, n * n, 0);
        EXPECT_ALL_NEAR(t.head[h].weights, fresh.head[h].weights, n * n, 0);
        EXPECT_ALL_NEAR(t.head[h].out, fresh.head[h].out, n * dh, 0);
        EXPECT_ALL_NEAR(t.head[h].entropy, fresh.head[h].entropy, n, 0);
        EXPECT(memcmp(t.head[h].empty_row, fresh.head[h].empty_row, (size_t)n) == 0);
    }
    EXPECT_ALL_NEAR(t.output, fresh.output, n * dm, 0);
    EXPECT_INT(t.n_empty_rows, fresh.n_empty_rows);
    expect_trace_matches_reference(&t, &small, 1e-5);
    /* back to the big one: it still fits, and is right */
    EXPECT_INT(forward(&t, &big), 0);
    EXPECT(t.mem == mem);
    expect_trace_matches_reference(&t, &big, 1e-5);
    attn_trace_free(&t);
    attn_trace_free(&fresh);
}

/* ------------------------------------------------------------------ the parallel path */

static void large_scene_matches_small_path(void)
{
    enum { N = 300 };
    static const char *tok[N];
    static char text[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "tok%d", i % 97);
        tok[i] = text[i];
    }
    AttnTrace t;
    memset(&t, 0, sizeof t);
    for (int variant = 0; variant < 3; variant++) {
        AttnScene s = attn_scene_default();
        s.n = N; s.tokens = tok;
        s.d_model = 16; s.heads = 4; s.d_head = 8;
        if (variant == 1) { s.mask = ATTN_MASK_CAUSAL; s.temperature = 0.25f; }
        if (variant == 2) { s.score = ATTN_SCORE_ADDITIVE; s.mask = ATTN_MASK_WINDOW; s.mask_param = 40; s.d_att = 6; }
        /* the engine runs this many cells on several threads */
        EXPECT((long long)s.heads * N * N * (s.d_head + 8) > 200000);
        EXPECT_INT(forward(&t, &s), 0);
        EXPECT(trace_finite(&t));
        expect_trace_matches_reference(&t, &s, 1e-5);
        if (test_current_failed()) { fprintf(stderr, "  (variant %d)\n", variant); break; }
    }
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ names */

static void names_and_defaults(void)
{
    AttnScene s = attn_scene_default();
    EXPECT(s.d_model == 8 && s.heads == 2 && s.d_head == 4);
    EXPECT(s.score == ATTN_SCORE_SCALED && s.mask == ATTN_MASK_NONE && s.posenc == ATTN_PE_SINUSOIDAL);
    EXPECT(s.norm == ATTN_NORM_SOFTMAX && s.temperature == 1.0f && s.seed == 1);
    EXPECT(s.weights == ATTN_WEIGHTS_RANDOM && s.vectors == NULL && s.params.wq == NULL);
    EXPECT_STR(attn_score_name(ATTN_SCORE_DOT), "dot");
    EXPECT_STR(attn_score_name(ATTN_SCORE_SCALED), "scaled");
    EXPECT_STR(attn_score_name(ATTN_SCORE_ADDITIVE), "additive");
    EXPECT_STR(attn_posenc_name(ATTN_PE_NONE), "none");
    EXPECT_STR(attn_posenc_name(ATTN_PE_SINUSOIDAL), "sinusoidal");
    EXPECT_STR(attn_posenc_name(ATTN_PE_LEARNED), "learned");
    EXPECT_STR(attn_norm_name(ATTN_NORM_SOFTMAX), "softmax");
    EXPECT_STR(attn_norm_name(ATTN_NORM_RELU), "relu");
    EXPECT_STR(attn_weights_name(ATTN_WEIGHTS_RANDOM), "random");
    EXPECT_STR(attn_weights_name(ATTN_WEIGHTS_IDENTITY), "identity");
    char buf[32];
    attn_mask_spec(buf, sizeof buf, ATTN_MASK_NONE, 0); EXPECT_STR(buf, "none");
    attn_mask_spec(buf, sizeof buf, ATTN_MASK_CAUSAL, 0); EXPECT_STR(buf, "causal");
    attn_mask_spec(buf, sizeof buf, ATTN_MASK_WINDOW, 2); EXPECT_STR(buf, "window:2");
    attn_mask_spec(buf, sizeof buf, ATTN_MASK_PADDING, 1); EXPECT_STR(buf, "padding:1");
    attn_mask_spec(buf, sizeof buf, ATTN_MASK_GRAPH, 0); EXPECT_STR(buf, "graph");
    attn_mask_spec(buf, sizeof buf, ATTN_MASK_CUSTOM, 0); EXPECT_STR(buf, "custom");
}

static void random_weights_depend_on_seed_only(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4; s.tokens = sentence;
    AttnTrace a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    EXPECT_INT(forward(&a, &s), 0);
    s.tokens = sentence + 5; /* other tokens: same weights */
    EXPECT_INT(forward(&b, &s), 0);
    EXPECT(memcmp(a.head[1].wv, b.head[1].wv, sizeof(float) * 32) == 0);
    EXPECT(memcmp(a.wo, b.wo, sizeof(float) * 64) == 0);
    s.seed = 7;
    EXPECT_INT(forward(&b, &s), 0);
    EXPECT(test_max_diff(a.head[1].wv, b.head[1].wv, 32) > 0.01);
    EXPECT(test_max_diff(a.wo, b.wo, 64) > 0.01);
    attn_trace_free(&a);
    attn_trace_free(&b);
}

/* ---------------------------------------------------------------- pictures */

static const char *const grid_tokens[16] = {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8",
                                            "p9", "p10", "p11", "p12", "p13", "p14", "p15", "p16"};

static void conv_mask_is_a_receptive_field(void)
{
    AttnScene s = attn_scene_default();
    s.n = 16;
    s.tokens = grid_tokens;
    s.grid_w = 4;
    s.mask = ATTN_MASK_CONV;
    s.mask_param = 3;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    EXPECT_MSG(attn_forward(&t, &s, err, sizeof err) == 0, "%s", err);
    int allowed = 0;
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++) {
            int want = abs(i / 4 - j / 4) <= 1 && abs(i % 4 - j % 4) <= 1;
            allowed += want;
            if (attn_allowed(&t, i, j) != want) { attn_trace_free(&t); EXPECT_MSG(0, "(%d,%d) allowed %d", i, j, !want); }
            if (!want && t.head[0].weights[i * 16 + j] != 0.0f) { attn_trace_free(&t); EXPECT_MSG(0, "(%d,%d) masked but weighted", i, j); }
        }
    attn_trace_free(&t);
    /* corners see 4 patches, edges 6, the middle 9: 4*4 + 8*6 + 4*9 */
    EXPECT_INT(allowed, 4 * 4 + 8 * 6 + 4 * 9);
    s.mask_param = 2;
    EXPECT(attn_check(&s, err, sizeof err) != 0);
    EXPECT(strstr(err, "odd") != NULL);
}

static void pe_2d_encodes_row_then_column(void)
{
    float pe[6 * 8], row[3 * 4], col[3 * 4];
    attn_posenc_fill_grid(pe, ATTN_PE_2D, 6, 8, 1, 3);
    /* an independent sinusoid for 4 dimensions */
    for (int p = 0; p < 3; p++)
        for (int m = 0; m < 4; m++) {
            double angle = p / pow(10000.0, (double)(m - (m & 1)) / 4);
            row[p * 4 + m] = col[p * 4 + m] = (float)((m & 1) ? cos(angle) : sin(angle));
        }
    for (int p = 0; p < 6; p++)
        for (int m = 0; m < 4; m++) {
            EXPECT_NEAR(pe[p * 8 + m], row[(p / 3) * 4 + m], 1e-6);
            EXPECT_NEAR(pe[p * 8 + 4 + m], col[(p % 3) * 4 + m], 1e-6);
        }
    /* without a grid, 2d falls back to the 1-D encoding */
    float one[4 * 8], sin1[4 * 8];
    attn_posenc_fill_grid(one, ATTN_PE_2D, 4, 8, 1, 0);
    attn_posenc_fill(sin1, ATTN_PE_SINUSOIDAL, 4, 8, 1);
    EXPECT_ALL_NEAR(one, sin1, 32, 0);
}

static void features_are_embedded(void)
{
    float feat[16 * 12], emb[12 * 8];
    rng_fill(feat, 16 * 12, 1.0);
    rng_fill(emb, 12 * 8, 0.5);
    AttnScene s = attn_scene_default();
    s.n = 16;
    s.tokens = grid_tokens;
    s.features = feat;
    s.d_feature = 12;
    s.embed = emb;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    EXPECT_MSG(attn_forward(&t, &s, err, sizeof err) == 0, "%s", err);
    double worst = 0;
    for (int i = 0; i < 16; i++)
        for (int m = 0; m < 8; m++) {
            double a = 0;
            for (int f = 0; f < 12; f++) a += (double)feat[i * 12 + f] * emb[f * 8 + m];
            worst = fmax(worst, fabs(a - t.a[i * 8 + m]));
        }
    int kept = t.d_feature == 12 && t.features && t.embed && t.features[5] == feat[5] && t.embed[7] == emb[7];
    attn_trace_free(&t);
    EXPECT_MSG(worst < 1e-5, "a differs from features E by %g", worst);
    EXPECT(kept);
    /* without an embedding the seeded one is used: the same seed gives the same a */
    s.embed = NULL;
    AttnTrace t1, t2;
    memset(&t1, 0, sizeof t1);
    memset(&t2, 0, sizeof t2);
    EXPECT(attn_forward(&t1, &s, err, sizeof err) == 0);
    EXPECT(attn_forward(&t2, &s, err, sizeof err) == 0);
    int same = memcmp(t1.a, t2.a, sizeof(float) * 16 * 8) == 0;
    s.seed = 2;
    attn_trace_free(&t2);
    memset(&t2, 0, sizeof t2);
    EXPECT(attn_forward(&t2, &s, err, sizeof err) == 0);
    int differs = memcmp(t1.a, t2.a, sizeof(float) * 16 * 8) != 0;
    attn_trace_free(&t1);
    attn_trace_free(&t2);
    EXPECT(same);
    EXPECT(differs);
}

static void weight_matrices_beyond_the_limit_are_refused(void)
{
    static const char *const toks[] = {"a", "b"};
    AttnScene s = attn_scene_default();
    s.n = 2;
    s.tokens = toks;
    s.heads = 64;
    s.d_model = 1024;
    s.d_head = 1024;
    char err[256];
    EXPECT(attn_check(&s, err, sizeof err) != 0);
    EXPECT_MSG(strstr(err, "16777216") != NULL, "%s", err);
    s.d_head = 256; /* 64 x 1024 x 256 is exactly the limit */
    EXPECT_MSG(attn_check(&s, err, sizeof err) == 0, "%s", err);
}

void suite_attn(void)
{
    RUN(weight_matrices_beyond_the_limit_are_refused);
    RUN(conv_mask_is_a_receptive_field);
    RUN(pe_2d_encodes_row_then_column);
    RUN(features_are_embedded);
    RUN(hand_computed_three_tokens);
    RUN(softmax_rows_sum_to_one);
    RUN(masked_weights_are_exactly_zero);
    RUN(window_mask_near_edges);
    RUN(padding_queries_still_see_real_tokens);
    RUN(graph_mask_is_symmetric_with_self_loops);
    RUN(fully_masked_row_is_finite_and_flagged);
    RUN(huge_scores_stay_finite);
    RUN(extreme_values_within_limits_stay_finite);
    RUN(relu_tiny_positive_scores_are_not_empty);
    RUN(scaled_is_dot_over_sqrt_dhead);
    RUN(temperature_divides_scores);
    RUN(mat_exp_nonpos_is_accurate);
    RUN(permutation_equivariance_without_posenc);
    RUN(posenc_breaks_permutation_equivariance);
    RUN(one_head_multihead_equals_single_head);
    RUN(many_heads_match_reference);
    RUN(additive_scoring_hand_case);
    RUN(sinusoidal_posenc_values);
    RUN(learned_posenc_depends_on_seed);
    RUN(embeddings_are_deterministic);
    RUN(relu_normalisation);
    RUN(identity_weights_split_x_between_heads);
    RUN(limits_are_refused_with_the_limit_named);
    RUN(forward_reuses_memory);
    RUN(large_scene_matches_small_path);
    RUN(names_and_defaults);
    RUN(random_weights_depend_on_seed_only);
}
