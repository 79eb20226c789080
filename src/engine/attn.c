/* attn.c: the forward pass of (multi-head) self-attention, keeping every intermediate.
 * Steps: a (embedding or given) + e (positional) = x; per head q, k, v = x Wq, x Wk, x Wv;
 * scores from q and k; masked, scaled, normalised into weights; out = weights v; the heads'
 * outputs side by side times Wo give b. Heads and blocks of query rows run in parallel. */
#include "attn.h"
#include "msg.h"
#include "mat.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_BLOCK 32 /* query rows per parallel task */
#define MAX_EXPLICIT 1e6f /* largest magnitude accepted in explicit vectors and weights */

AttnScene attn_scene_default(void)
{
    AttnScene s;
    memset(&s, 0, sizeof s);
    s.d_model = 8;
    s.heads = 2;
    s.d_head = 4;
    s.score = ATTN_SCORE_SCALED;
    s.mask = ATTN_MASK_NONE;
    s.posenc = ATTN_PE_SINUSOIDAL;
    s.norm = ATTN_NORM_SOFTMAX;
    s.temperature = 1.0f;
    s.seed = 1;
    s.weights = ATTN_WEIGHTS_RANDOM;
    return s;
}

/* One array of a scene's, copied into the clone's block at *at (64-byte aligned). */
static const void *clone_part(char *base, size_t *at, const void *src, size_t bytes)
{
    if (!src) return NULL;
    size_t off = (*at + 63) & ~(size_t)63;
    *at = off + bytes;
    if (!base) return src; /* sizing pass */
    memcpy(base + off, src, bytes);
    return base + off;
}

/* Copies every array s points to, in the same order on the sizing pass (base NULL) and the
 * copying pass; returns the bytes needed. */
static size_t clone_arrays(AttnScene *out, char *base, const AttnScene *s)
{
    size_t at = 0, n = (size_t)s->n, fl = sizeof(float);
    size_t hdm = (size_t)s->heads * s->d_model * s->d_head;
    size_t d_att = (size_t)(s->d_att > 0 ? s->d_att : s->d_head);
    if (s->tokens) {
        const char **toks = (const char **)clone_part(base, &at, s->tokens, n * sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            const char *t = clone_part(base, &at, s->tokens[i], strlen(s->tokens[i]) + 1);
            if (base) toks[i] = t;
        }
        out->tokens = toks;
    }
    out->vectors = clone_part(base, &at, s->vectors, n * s->d_model * fl);
    out->features = clone_part(base, &at, s->features, n * s->d_feature * fl);
    out->embed = clone_part(base, &at, s->embed, (size_t)s->d_feature * s->d_model * fl);
    out->picture = clone_part(base, &at, s->picture, (size_t)s->picture_w * s->picture_h * 3);
    out->wave = clone_part(base, &at, s->wave, (size_t)s->wave_n * fl);
    out->edges = clone_part(base, &at, s->edges, (size_t)s->n_edges * 2 * sizeof(int));
    out->mask_matrix = clone_part(base, &at, s->mask_matrix, n * n);
    out->params.wq = clone_part(base, &at, s->params.wq, hdm * fl);
    out->params.wk = clone_part(base, &at, s->params.wk, hdm * fl);
    out->params.wv = clone_part(base, &at, s->params.wv, hdm * fl);
    out->params.wo = clone_part(base, &at, s->params.wo, hdm * fl);
    out->params.wa = clone_part(base, &at, s->params.wa, (size_t)s->heads * 2 * s->d_head * d_att * fl);
    out->params.va = clone_part(base, &at, s->params.va, (size_t)s->heads * d_att * fl);
    return at;
}

int attn_scene_clone(AttnScene *out, void **mem, const AttnScene *s)
{
    AttnScene c = *s;
    size_t need = clone_arrays(&c, NULL, s);
    void *block = malloc(need + 64);
    if (!block) return -1;
    char *base = (char *)(((uintptr_t)block + 63) & ~(uintptr_t)63);
    c = *s;
    clone_arrays(&c, base, s);
    *out = c;
    *mem = block;
    return 0;
}

int attn_forward_unmasked(AttnTrace *t, const AttnScene *s, char *err, size_t errlen)
{
    AttnScene full = *s;
    full.mask = ATTN_MASK_NONE;
    full.mask_param = 0;
    full.mask_matrix = NULL;
    full.edges = NULL;
    full.n_edges = 0;
    return attn_forward(t, &full, err, errlen);
}

void attn_cost(AttnCost *out, const AttnTrace *t)
{
    long long n = t->n, allowed = 0;
    switch (t->mask) {
    case ATTN_MASK_NONE: allowed = n * n; break;
    case ATTN_MASK_CAUSAL: allowed = n * (n + 1) / 2; break;
    case ATTN_MASK_PADDING: allowed = n * (n - (t->mask_param < n ? t->mask_param : n)); break;
    case ATTN_MASK_WINDOW:
        for (long long i = 0; i < n; i++) {
            long long lo = i - t->mask_param, hi = i + t->mask_param;
            allowed += (hi < n ? hi : n - 1) - (lo > 0 ? lo : 0) + 1;
        }
        break;
    default:
        if (t->mask_matrix)
            for (size_t c = 0; c < (size_t)(n * n); c++) allowed += t->mask_matrix[c] != 0;
        else
            for (int i = 0; i < t->n; i++)
                for (int j = 0; j < t->n; j++) allowed += attn_allowed(t, i, j);
        break;
    }
    out->n = n;
    out->full = n * n;
    out->allowed = allowed;
    out->full_bytes = 8.0 * (double)out->full;
    out->allowed_bytes = 8.0 * (double)allowed;
}

/* ---------------------------------------------------------------- names */

const char *attn_score_name(AttnScore s)
{
    switch (s) {
    case ATTN_SCORE_DOT: return "dot";
    case ATTN_SCORE_SCALED: return "scaled";
    case ATTN_SCORE_ADDITIVE: return "additive";
    }
    return "?";
}

const char *attn_posenc_name(AttnPosenc p)
{
    switch (p) {
    case ATTN_PE_NONE: return "none";
    case ATTN_PE_SINUSOIDAL: return "sinusoidal";
    case ATTN_PE_LEARNED: return "learned";
    case ATTN_PE_2D: return "2d";
    }
    return "?";
}

const char *attn_norm_name(AttnNorm n) { return n == ATTN_NORM_RELU ? "relu" : "softmax"; }

const char *attn_weights_name(AttnWeightsPreset w)
{
    return w == ATTN_WEIGHTS_IDENTITY ? "identity" : w == ATTN_WEIGHTS_PICTURE ? "picture" : "random";
}

void attn_mask_spec(char *out, size_t len, AttnMaskKind kind, int param)
{
    switch (kind) {
    case ATTN_MASK_NONE: snprintf(out, len, "none"); break;
    case ATTN_MASK_CAUSAL: snprintf(out, len, "causal"); break;
    case ATTN_MASK_WINDOW: snprintf(out, len, "window:%d", param); break;
    case ATTN_MASK_PADDING: snprintf(out, len, "padding:%d", param); break;
    case ATTN_MASK_GRAPH: snprintf(out, len, "graph"); break;
    case ATTN_MASK_CUSTOM: snprintf(out, len, "custom"); break;
    case ATTN_MASK_CONV: snprintf(out, len, "conv:%d", param); break;
    }
}

/* ---------------------------------------------------------------- checks */

static int check_values(const float *p, size_t count, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; i < count; i++)
        if (!(fabsf(p[i]) <= MAX_EXPLICIT))
            return msg_fail(err, errlen, "%s: value %zu is %g; values must be finite and within "
                        "+-%g", what, i + 1, (double)p[i], (double)MAX_EXPLICIT);
    return 0;
}

int attn_check(const AttnScene *s, char *err, size_t errlen)
{
    if (s->n < 1) return msg_fail(err, errlen, "no tokens: at least 1 is needed");
    if (s->n > ATTN_MAX_N)
        return msg_fail(err, errlen, "%d tokens is more than the limit of %d", s->n, ATTN_MAX_N);
    if (s->d_model < 1 || s->d_model > ATTN_MAX_D_MODEL)
        return msg_fail(err, errlen, "d_model %d is outside 1..%d", s->d_model, ATTN_MAX_D_MODEL);
    if (s->heads < 1 || s->heads > ATTN_MAX_HEADS)
        return msg_fail(err, errlen, "heads %d is outside 1..%d", s->heads, ATTN_MAX_HEADS);
    if (s->d_head < 1 || s->d_head > ATTN_MAX_D_HEAD)
        return msg_fail(err, errlen, "d_head %d is outside 1..%d", s->d_head, ATTN_MAX_D_HEAD);
    if (s->d_att < 0 || s->d_att > ATTN_MAX_D_ATT)
        return msg_fail(err, errlen, "d_att %d is outside 1..%d (0 means d_head)", s->d_att, ATTN_MAX_D_ATT);
    long long cells = (long long)s->heads * s->n * s->n;
    if (cells > ATTN_MAX_CELLS)
        return msg_fail(err, errlen, "%d heads x %d x %d tokens is %lld score cells, more than the "
                    "limit of %lld", s->heads, s->n, s->n, cells, (long long)ATTN_MAX_CELLS);
    long long params = (long long)s->heads * s->d_model * s->d_head;
    if (params > ATTN_MAX_PARAMS)
        return msg_fail(err, errlen, "%d heads x d_model %d x d_head %d is %lld weights a matrix, more than the "
                    "limit of %lld", s->heads, s->d_model, s->d_head, params, (long long)ATTN_MAX_PARAMS);
    if (!(s->temperature >= ATTN_MIN_TEMPERATURE && s->temperature <= ATTN_MAX_TEMPERATURE))
        return msg_fail(err, errlen, "temperature %g is outside %g..%g", (double)s->temperature,
                    (double)ATTN_MIN_TEMPERATURE, (double)ATTN_MAX_TEMPERATURE);
    if (!s->tokens) return msg_fail(err, errlen, "no token strings");
    for (int i = 0; i < s->n; i++)
        if (!s->tokens[i]) return msg_fail(err, errlen, "token %d has no string", i + 1);
    switch (s->mask) {
    case ATTN_MASK_WINDOW:
        if (s->mask_param < 0 || s->mask_param > ATTN_MAX_N)
            return msg_fail(err, errlen, "window %d is outside 0..%d", s->mask_param, ATTN_MAX_N);
        break;
    case ATTN_MASK_PADDING:
        if (s->mask_param < 0 || s->mask_param > s->n)
            return msg_fail(err, errlen, "padding %d is outside 0..%d (the number of tokens)",
                        s->mask_param, s->n);
        break;
    case ATTN_MASK_GRAPH:
        if (s->n_edges < 0 || (s->n_edges > 0 && !s->edges))
            return msg_fail(err, errlen, "graph mask without an edge list");
        for (int e = 0; e < s->n_edges; e++) {
            int i = s->edges[2 * e], j = s->edges[2 * e + 1];
            if (i < 0 || i >= s->n || j < 0 || j >= s->n)
                return msg_fail(err, errlen, "graph edge %d (%d-%d) names a node outside 1..%d",
                            e + 1, i + 1, j + 1, s->n);
        }
        break;
    case ATTN_MASK_CONV:
        if (s->mask_param < 1 || s->mask_param % 2 == 0 || s->mask_param > 99)
            return msg_fail(err, errlen, "conv %d: the receptive field must be odd, 1..99", s->mask_param);
        break;
    case ATTN_MASK_CUSTOM:
        if (!s->mask_matrix) return msg_fail(err, errlen, "custom mask without a matrix");
        break;
    default: break;
    }
    int d_att = s->d_att ? s->d_att : s->d_head;
    size_t hd = (size_t)s->heads * s->d_model * s->d_head;
    if (s->vectors && check_values(s->vectors, (size_t)s->n * s->d_model, "input vectors", err, errlen)) return -1;
    if (s->features) {
        if (s->d_feature < 1 || s->d_feature > ATTN_MAX_D_FEATURE)
            return msg_fail(err, errlen, "%d features a token is outside 1..%d", s->d_feature, ATTN_MAX_D_FEATURE);
        if (check_values(s->features, (size_t)s->n * s->d_feature, "features", err, errlen)) return -1;
        if (s->embed && check_values(s->embed, (size_t)s->d_feature * s->d_model, "patch embedding", err, errlen)) return -1;
    }
    if (s->grid_w < 0 || s->grid_w > ATTN_MAX_N) return msg_fail(err, errlen, "grid width %d is outside 0..%d", s->grid_w, ATTN_MAX_N);
    if (s->picture && (s->picture_w < 1 || s->picture_h < 1 || s->picture_w > 16384 || s->picture_h > 16384 || s->patch < 1))
        return msg_fail(err, errlen, "a picture of %d x %d pixels with patch %d cannot be shown", s->picture_w, s->picture_h, s->patch);
    if (s->wave && (s->wave_n < 1 || s->wave_n > ATTN_MAX_WAVE || s->wave_rate < 1 || s->frame_len < 1 || s->frame_hop < 1))
        return msg_fail(err, errlen, "a sound of %d samples at %d Hz (frames of %d, hop %d) cannot be shown; at most %d samples",
                    s->wave_n, s->wave_rate, s->frame_len, s->frame_hop, ATTN_MAX_WAVE);
    if (s->wave && check_values(s->wave, (size_t)s->wave_n, "sound samples", err, errlen)) return -1;
    if (s->params.wq && check_values(s->params.wq, hd, "Wq", err, errlen)) return -1;
    if (s->params.wk && check_values(s->params.wk, hd, "Wk", err, errlen)) return -1;
    if (s->params.wv && check_values(s->params.wv, hd, "Wv", err, errlen)) return -1;
    if (s->params.wo && check_values(s->params.wo, (size_t)s->heads * s->d_head * s->d_model, "Wo", err, errlen)) return -1;
    if (s->params.wa && check_values(s->params.wa, (size_t)s->heads * 2 * s->d_head * d_att, "Wa", err, errlen)) return -1;
    if (s->params.va && check_values(s->params.va, (size_t)s->heads * d_att, "va", err, errlen)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- deterministic numbers */

static uint64_t mix64(uint64_t z)
{
    /* splitmix64's finaliser: a bijection that scatters every input bit */
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A bell-shaped value with mean 0 and variance 1 from one 64-bit key: the sum of three
 * uniform values in [-1, 1), each built exactly from 21 bits of one hash. Only exact
 * integer steps and IEEE additions, so every machine gets the same float. */
static float bell(uint64_t key)
{
    uint64_t z = mix64(key);
    float s = 0.0f;
    for (int r = 0; r < 3; r++) {
        int32_t u = (int32_t)((z >> (21 * r)) & 0x1FFFFF) - (1 << 20); /* -2^20 .. 2^20-1 */
        s += (float)u * (1.0f / 1048576.0f);
    }
    return s;
}

/* The key of one matrix (seed, tag, head); element (r, c) uses base + (r << 20 | c). */
static uint64_t base_key(uint64_t seed, uint64_t tag, uint64_t h)
{
    return mix64(seed ^ mix64((tag << 56) ^ (h << 40)));
}

void attn_embed(float *out, const char *token, int d)
{
    uint64_t h = 0xCBF29CE484222325ULL; /* FNV-1a over the bytes */
    for (const unsigned char *p = (const unsigned char *)token; *p; p++) {
        h ^= *p;
        h *= 0x100000001B3ULL;
    }
    h = mix64(h);
    for (int m = 0; m < d; m++) out[m] = bell(h + (uint64_t)m);
}

enum { TAG_WQ = 1, TAG_WK, TAG_WV, TAG_WO, TAG_WA, TAG_VA, TAG_PE, TAG_EMBED };

void attn_posenc_fill_grid(float *out, AttnPosenc kind, int n, int d, uint64_t seed, int grid_w)
{
    if (kind != ATTN_PE_2D || grid_w <= 0) {
        attn_posenc_fill(out, kind == ATTN_PE_2D ? ATTN_PE_SINUSOIDAL : kind, n, d, seed);
        return;
    }
    /* the two halves are 1-D encodings of the row and of the column, computed by position */
    int dr = d / 2, dc = d - dr, rows = (n + grid_w - 1) / grid_w;
    float *er = malloc(sizeof(float) * (size_t)(rows > grid_w ? rows : grid_w) * (size_t)(dr > dc ? dr : dc));
    if (!er) {
        memset(out, 0, sizeof(float) * (size_t)n * (size_t)d);
        return;
    }
    if (dr > 0) {
        attn_posenc_fill(er, ATTN_PE_SINUSOIDAL, rows, dr, seed);
        for (int p = 0; p < n; p++) memcpy(out + (size_t)p * d, er + (size_t)(p / grid_w) * dr, sizeof(float) * (size_t)dr);
    }
    attn_posenc_fill(er, ATTN_PE_SINUSOIDAL, grid_w, dc, seed);
    for (int p = 0; p < n; p++) memcpy(out + (size_t)p * d + dr, er + (size_t)(p % grid_w) * dc, sizeof(float) * (size_t)dc);
    free(er);
}

void attn_posenc_fill(float *out, AttnPosenc kind, int n, int d, uint64_t seed)
{
    double denom[ATTN_MAX_D_MODEL];
    if (d > ATTN_MAX_D_MODEL) { /* beyond the engine's limit: a caller's mistake */
        memset(out, 0, sizeof(float) * (size_t)n * (size_t)d);
        return;
    }
    for (int m = 0; m < d && m < ATTN_MAX_D_MODEL; m++)
        denom[m] = pow(10000.0, (double)(m - (m & 1)) / d); /* 10000^(2i/d) for the pair */
    for (int p = 0; p < n; p++) {
        float *row = out + (size_t)p * d;
        for (int m = 0; m < d; m++) {
            if (kind == ATTN_PE_SINUSOIDAL) {
                double angle = p / denom[m];
                row[m] = (float)((m & 1) ? cos(angle) : sin(angle));
            } else if (kind == ATTN_PE_LEARNED) {
                row[m] = 0.5f * bell(base_key(seed, TAG_PE, 0) + ((uint64_t)p << 20 | (uint64_t)m));
            } else {
                row[m] = 0.0f;
            }
        }
    }
}

void attn_seeded_fill(float *out, int rows, int cols, float scale, uint64_t seed, int tag, int index)
{
    uint64_t base = base_key(seed, (uint64_t)tag, (uint64_t)index);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            out[(size_t)r * cols + c] = scale * bell(base + ((uint64_t)r << 20 | (uint64_t)c));
}

static void fill_random(float *w, int rows, int cols, float scale, uint64_t seed, int tag, int h)
{
    attn_seeded_fill(w, rows, cols, scale, seed, tag, h);
}

/* Identity where the shapes allow: head h reads dimensions h*d_head .. h*d_head+d_head-1 of
 * x (wrapping round d_model), so with heads*d_head == d_model the heads split x between
 * them; a d_head larger than d_model copies x into the first columns. */
static void fill_identity_proj(float *w, int d_model, int d_head, int h)
{
    for (int m = 0; m < d_model; m++)
        for (int c = 0; c < d_head; c++) {
            int src = d_head <= d_model ? (h * d_head + c) % d_model : c;
            w[(size_t)m * d_head + c] = (m == src) ? 1.0f : 0.0f;
        }
}

/* The picture preset's embedding: each patch's mean colour, times 6, in the last three
 * dimensions (features are R G B interleaved, centred on grey). */
static void fill_colour_embed(float *e, int d_feature, int dm)
{
    memset(e, 0, sizeof(float) * (size_t)d_feature * dm);
    if (dm < 3) return;
    float gain = 6.0f / (float)(d_feature / 3 > 0 ? d_feature / 3 : 1);
    for (int f = 0; f < d_feature; f++) e[(size_t)f * dm + dm - 3 + f % 3] = gain;
}

/* The picture preset's query and key maps: head 1 reads the colour (the last three
 * dimensions), head 2 the positional encoding: from the row's half of a 2-D encoding and
 * from the column's, one sine and cosine pair each (their product is the cosine of the
 * distance times the frequency). The pair is the fastest that does not come round again
 * within the grid (frequency 1 would: patches 6 apart would look as near as neighbours),
 * with a gain that makes a neighbour's scaled score 1 lower than the query's own, so that
 * the weights fall off with distance. gw x gh is the grid. */
static void fill_picture_head(float *w, int dm, int dh, int h, int gw, int gh)
{
    memset(w, 0, sizeof(float) * (size_t)dm * dh);
    if (h == 0) {
        for (int c = 0; c < 3 && c < dh && dm >= 3; c++) w[(size_t)(dm - 3 + c) * dh + c] = 1.0f;
        return;
    }
    for (int axis = 0; axis < 2; axis++) {
        int base = axis ? dm / 2 : 0, d = axis ? dm - dm / 2 : dm / 2, extent = axis ? gw : gh;
        for (int i = 0; 2 * i + 1 < d; i++) {
            double freq = pow(10000.0, -2.0 * i / d);
            if (freq * (extent - 1) > 3.14159265358979) continue;
            float gain = (float)sqrt(sqrt((double)dh) / (1.0 - cos(freq)));
            for (int k = 0; k < 2; k++) {
                int src = base + 2 * i + k, c = 2 * axis + k;
                if (src < dm - 3 && c < dh) w[(size_t)src * dh + c] = gain;
            }
            break;
        }
    }
}

/* ---------------------------------------------------------------- memory */

typedef struct {
    char *base;   /* NULL while measuring */
    size_t used;
} Carver;

static void *carve(Carver *cv, size_t bytes)
{
    size_t at = (cv->used + 63) & ~(size_t)63;
    cv->used = at + bytes;
    return cv->base ? cv->base + at : NULL;
}

#define CARVE(cv, type, count) ((type *)carve((cv), sizeof(type) * (size_t)(count)))

typedef struct {
    float *kt;          /* d_head x n: keys transposed, so a score row is a run of axpys */
    float *vt;          /* d_head x n: values transposed, so out[i][c] is one long dot */
    float *qa, *ka;     /* n x d_att: additive scoring's q Wa_top and k Wa_bottom */
} HeadScratch;

/* Lays the trace out in cv (measuring when cv->base is NULL). */
typedef struct {
    float *wpack;       /* d_model x (3 heads d_head) */
    float *proj;        /* n x (3 heads d_head) */
} Scratch;

static void layout(AttnTrace *t, HeadScratch *hs, Scratch *scratch, Carver *cv, const AttnScene *s,
                   size_t token_bytes)
{
    int n = s->n, dm = s->d_model, H = s->heads, dh = s->d_head;
    int da = s->d_att ? s->d_att : dh;
    int additive = s->score == ATTN_SCORE_ADDITIVE;
    t->tokens = CARVE(cv, char *, n);
    char *text = CARVE(cv, char, token_bytes);
    (void)text;
    t->a = CARVE(cv, float, (size_t)n * dm);
    t->features = s->features ? CARVE(cv, float, (size_t)n * s->d_feature) : NULL;
    t->picture = s->picture ? CARVE(cv, unsigned char, (size_t)s->picture_w * s->picture_h * 3) : NULL;
    t->wave = s->wave ? CARVE(cv, float, (size_t)s->wave_n) : NULL;
    t->embed = s->features ? CARVE(cv, float, (size_t)s->d_feature * dm) : NULL;
    t->pe = CARVE(cv, float, (size_t)n * dm);
    t->x = CARVE(cv, float, (size_t)n * dm);
    t->mask_matrix = (s->mask == ATTN_MASK_GRAPH || s->mask == ATTN_MASK_CUSTOM || s->mask == ATTN_MASK_CONV)
                         ? CARVE(cv, unsigned char, (size_t)n * n) : NULL;
    t->head = CARVE(cv, AttnHead, H);
    AttnHead tmp;
    for (int h = 0; h < H; h++) {
        AttnHead *hd = cv->base ? &t->head[h] : &tmp;
        hd->wq = CARVE(cv, float, (size_t)dm * dh);
        hd->wk = CARVE(cv, float, (size_t)dm * dh);
        hd->wv = CARVE(cv, float, (size_t)dm * dh);
        hd->wa = additive ? CARVE(cv, float, (size_t)2 * dh * da) : NULL;
        hd->va = additive ? CARVE(cv, float, da) : NULL;
        hd->q = CARVE(cv, float, (size_t)n * dh);
        hd->k = CARVE(cv, float, (size_t)n * dh);
        hd->v = CARVE(cv, float, (size_t)n * dh);
        hd->scores = CARVE(cv, float, (size_t)n * n);
        hd->weights = CARVE(cv, float, (size_t)n * n);
        hd->out = CARVE(cv, float, (size_t)n * dh);
        hd->entropy = CARVE(cv, float, n);
        hd->max_weight = CARVE(cv, float, n);
        hd->empty_row = CARVE(cv, unsigned char, n);
        HeadScratch *sc = cv->base ? &hs[h] : &(HeadScratch){0};
        sc->kt = CARVE(cv, float, (size_t)dh * n);
        sc->vt = CARVE(cv, float, (size_t)dh * n);
        sc->qa = additive ? CARVE(cv, float, (size_t)n * da) : NULL;
        sc->ka = additive ? CARVE(cv, float, (size_t)n * da) : NULL;
    }
    t->concat = CARVE(cv, float, (size_t)n * H * dh);
    t->wo = CARVE(cv, float, (size_t)H * dh * dm);
    t->output = CARVE(cv, float, (size_t)n * dm);
    /* scratch: every head's Wq | Wk | Wv side by side, and x times that */
    Scratch *sx = cv->base ? scratch : &(Scratch){0};
    sx->wpack = CARVE(cv, float, (size_t)dm * 3 * H * dh);
    sx->proj = CARVE(cv, float, (size_t)n * 3 * H * dh);
}

void attn_trace_free(AttnTrace *t)
{
    free(t->mem);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- masks */

/* The keys a query may see, as a range [lo, hi) when the mask is one; returns 0 when the
 * mask needs the matrix. */
static int row_range(const AttnTrace *t, int i, int *lo, int *hi)
{
    int n = t->n;
    switch (t->mask) {
    case ATTN_MASK_NONE: *lo = 0; *hi = n; return 1;
    case ATTN_MASK_CAUSAL: *lo = 0; *hi = i + 1; return 1;
    case ATTN_MASK_WINDOW:
        *lo = i - t->mask_param < 0 ? 0 : i - t->mask_param;
        *hi = i + t->mask_param + 1 > n ? n : i + t->mask_param + 1;
        return 1;
    case ATTN_MASK_PADDING: *lo = 0; *hi = n - t->mask_param; return 1;
    default: return 0;
    }
}

int attn_allowed(const AttnTrace *t, int i, int j)
{
    int lo, hi;
    if (row_range(t, i, &lo, &hi)) return j >= lo && j < hi;
    return t->mask_matrix[(size_t)i * t->n + j] != 0;
}

float attn_scaled(const AttnTrace *t, int h, int i, int j)
{
    return t->head[h].scores[(size_t)i * t->n + j] * t->scale;
}

static void build_mask_matrix(AttnTrace *t, const AttnScene *s)
{
    int n = t->n;
    unsigned char *m = t->mask_matrix;
    if (s->mask == ATTN_MASK_CUSTOM) {
        for (size_t c = 0; c < (size_t)n * n; c++) m[c] = s->mask_matrix[c] != 0;
        return;
    }
    if (s->mask == ATTN_MASK_CONV) {
        /* a K x K receptive field on the grid (a sequence is a grid one row high) */
        int gw = s->grid_w > 0 ? s->grid_w : n, half = s->mask_param / 2;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                int dr = i / gw - j / gw, dc = i % gw - j % gw;
                m[(size_t)i * n + j] = dr >= -half && dr <= half && dc >= -half && dc <= half;
            }
        return;
    }
    memset(m, 0, (size_t)n * n);
    for (int i = 0; i < n; i++) m[(size_t)i * n + i] = 1; /* a node always sees itself */
    for (int e = 0; e < s->n_edges; e++) {
        int i = s->edges[2 * e], j = s->edges[2 * e + 1];
        m[(size_t)i * n + j] = m[(size_t)j * n + i] = 1;
    }
}

/* ---------------------------------------------------------------- the forward pass */

typedef struct {
    AttnTrace *t;
    HeadScratch *hs;
    Scratch *sx;
    int n_blocks;        /* row blocks per head */
} Job;

/* q, k, v of every head for one block of rows, as one product with the packed weights */
static void project_task(void *ctx, int blk)
{
    Job *job = ctx;
    AttnTrace *t = job->t;
    int n = t->n, dm = t->d_model, dh = t->d_head, H = t->heads, wide = 3 * H * dh;
    int i0 = blk * ROW_BLOCK, i1 = i0 + ROW_BLOCK > n ? n : i0 + ROW_BLOCK;
    float *p = job->sx->proj + (size_t)i0 * wide;
    mat_mul(p, t->x + (size_t)i0 * dm, job->sx->wpack, i1 - i0, dm, wide);
    for (int i = i0; i < i1; i++) {
        const float *row = job->sx->proj + (size_t)i * wide;
        for (int h = 0; h < H; h++) {
            AttnHead *hd = &t->head[h];
            memcpy(hd->q + (size_t)i * dh, row + (size_t)h * dh, sizeof(float) * (size_t)dh);
            memcpy(hd->k + (size_t)i * dh, row + (size_t)(H + h) * dh, sizeof(float) * (size_t)dh);
            memcpy(hd->v + (size_t)i * dh, row + (size_t)(2 * H + h) * dh, sizeof(float) * (size_t)dh);
        }
    }
}

/* Per head: keys and values transposed, additive scoring's halves */
static void prepare_task(void *ctx, int h)
{
    Job *job = ctx;
    AttnTrace *t = job->t;
    AttnHead *hd = &t->head[h];
    HeadScratch *sc = &job->hs[h];
    int n = t->n, dh = t->d_head, da = t->d_att;
    mat_transpose(sc->vt, hd->v, n, dh);
    if (t->score == ATTN_SCORE_ADDITIVE) {
        /* [q; k] Wa = q Wa_top + k Wa_bottom, so each half is computed once per token */
        mat_mul(sc->qa, hd->q, hd->wa, n, dh, da);
        mat_mul(sc->ka, hd->k, hd->wa + (size_t)dh * da, n, dh, da);
    } else {
        mat_transpose(sc->kt, hd->k, n, dh);
    }
}

/* Normalises one row of scores into weights under the mask; fills entropy and max. */
static void normalise_row(AttnTrace *t, AttnHead *hd, const float *vt, int i)
{
    int n = t->n;
    const float *s = hd->scores + (size_t)i * n;
    float *w = hd->weights + (size_t)i * n;
    int lo, hi;
    const unsigned char *allow = NULL;
    if (!row_range(t, i, &lo, &hi)) {
        allow = t->mask_matrix + (size_t)i * n;
        lo = 0;
        hi = n;
    }
    for (int j = 0; j < lo; j++) w[j] = 0.0f;
    for (int j = hi; j < n; j++) w[j] = 0.0f;
    float scale = t->scale, inv_t = 1.0f / t->temperature;
    float maxs = -INFINITY;
    int any = hi > lo;
    if (!allow) {
        maxs = mat_max(s + lo, hi - lo);
    } else {
        any = 0;
        for (int j = lo; j < hi; j++)
            if (allow[j]) { any = 1; if (s[j] > maxs) maxs = s[j]; }
    }
    float entropy = 0.0f, maxw = 0.0f;
    int empty = !any;
    if (any && t->norm == ATTN_NORM_SOFTMAX) {
        /* u = (scaled - max scaled) / T <= 0, so exp never overflows however large the
         * scores; the largest allowed key gets exp(0) = 1, so Z >= 1 and the largest weight
         * is exactly 1/Z. A u that overflows to -inf, or a masked key, becomes -1e30: its
         * exp is exactly 0 and e*u stays finite. */
        float ms = maxs * scale;
        float *restrict wr = w + lo;
        const float *restrict sr = s + lo;
        int m = hi - lo;
        for (int j = 0; j < m; j++) {
            float u = (sr[j] * scale - ms) * inv_t;
            wr[j] = u > -1e30f ? u : -1e30f;
        }
        if (allow)
            for (int j = lo; j < hi; j++) if (!allow[j]) w[j] = -1e30f;
        float sum_eu;
        float z = mat_exp_sum(wr, m, &sum_eu);
        float invz = 1.0f / z;
        for (int j = 0; j < m; j++) wr[j] *= invz;
        maxw = invz;
        /* entropy without a log per cell: ln w_j = u_j - ln Z, so H = ln Z - sum_j w_j u_j */
        entropy = logf(z) - sum_eu * invz;
        if (entropy < 0.0f) entropy = 0.0f;
    } else if (any) {
        /* ReLU normalisation: w_j = max(0, s_j/T) / sum_k max(0, s_k/T); the positive
         * factors scale and 1/T cancel, so they are left out (multiplying by them could
         * overflow to inf or underflow to 0), and the division is done in double */
        double sum = 0.0;
        for (int j = lo; j < hi; j++) {
            float r = (!allow || allow[j]) && s[j] > 0.0f ? s[j] : 0.0f;
            w[j] = r;
            sum += r;
        }
        if (sum > 0.0) {
            for (int j = lo; j < hi; j++) {
                float wj = (float)(w[j] / sum);
                w[j] = wj;
                if (wj > 0.0f) {
                    entropy -= wj * logf(wj);
                    if (wj > maxw) maxw = wj;
                }
            }
        } else {
            empty = 1;
        }
    }
    if (empty)
        for (int j = lo; j < hi; j++) w[j] = 0.0f;
    hd->entropy[i] = entropy;
    hd->max_weight[i] = maxw;
    hd->empty_row[i] = (unsigned char)empty;
    /* out[i] = sum_j w[i][j] v[j], over the keys that can carry weight */
    int dh = t->d_head;
    float *o = hd->out + (size_t)i * dh;
    for (int c = 0; c < dh; c++)
        o[c] = empty ? 0.0f : mat_dot(w + lo, vt + (size_t)c * n + lo, hi - lo);
}

static void rows_task(void *ctx, int task)
{
    Job *job = ctx;
    AttnTrace *t = job->t;
    int h = task / job->n_blocks, blk = task % job->n_blocks;
    AttnHead *hd = &t->head[h];
    HeadScratch *sc = &job->hs[h];
    int n = t->n, dh = t->d_head, da = t->d_att;
    int i0 = blk * ROW_BLOCK, i1 = i0 + ROW_BLOCK > n ? n : i0 + ROW_BLOCK;
    for (int i = i0; i < i1; i++) {
        float *srow = hd->scores + (size_t)i * n;
        if (t->score == ATTN_SCORE_ADDITIVE) {
            /* s_ij = va . tanh(q_i Wa_top + k_j Wa_bottom) */
            const float *qa = sc->qa + (size_t)i * da;
            for (int j = 0; j < n; j++) {
                const float *ka = sc->ka + (size_t)j * da;
                float acc = 0.0f;
                for (int a = 0; a < da; a++) acc += hd->va[a] * tanhf(qa[a] + ka[a]);
                srow[j] = acc;
            }
        } else {
            mat_row_dots(srow, hd->q + (size_t)i * dh, sc->kt, dh, n);
        }
        normalise_row(t, hd, sc->vt, i);
    }
}

static void merge_task(void *ctx, int blk)
{
    Job *job = ctx;
    AttnTrace *t = job->t;
    int n = t->n, H = t->heads, dh = t->d_head, dc = H * dh;
    int i0 = blk * ROW_BLOCK, i1 = i0 + ROW_BLOCK > n ? n : i0 + ROW_BLOCK;
    for (int i = i0; i < i1; i++)
        for (int h = 0; h < H; h++)
            memcpy(t->concat + (size_t)i * dc + (size_t)h * dh, t->head[h].out + (size_t)i * dh,
                   sizeof(float) * (size_t)dh);
    mat_mul(t->output + (size_t)i0 * t->d_model, t->concat + (size_t)i0 * dc, t->wo,
            i1 - i0, dc, t->d_model);
}

int attn_forward(AttnTrace *t, const AttnScene *s, char *err, size_t errlen)
{
    if (attn_check(s, err, errlen)) {
        attn_trace_free(t);
        return -1;
    }
    int n = s->n, dm = s->d_model, H = s->heads, dh = s->d_head;
    int da = s->d_att ? s->d_att : dh;
    size_t token_bytes = 0;
    for (int i = 0; i < n; i++) token_bytes += strlen(s->tokens[i]) + 1;

    HeadScratch hs_stack[8];
    HeadScratch *hs = H <= 8 ? hs_stack : malloc(sizeof *hs * (size_t)H);
    if (!hs) {
        attn_trace_free(t);
        return msg_fail(err, errlen, "out of memory");
    }
    Scratch sx;
    Carver cv = {NULL, 0};
    layout(t, hs, &sx, &cv, s, token_bytes);
    size_t need = cv.used + 64;
    if (t->mem_size < need) {
        free(t->mem);
        t->mem = malloc(need);
        t->mem_size = t->mem ? need : 0;
        if (!t->mem) {
            if (hs != hs_stack) free(hs);
            attn_trace_free(t);
            return msg_fail(err, errlen, "out of memory: this scene needs %zu MB", need >> 20);
        }
    }
    cv.base = (char *)(((uintptr_t)t->mem + 63) & ~(uintptr_t)63);
    cv.used = 0;
    layout(t, hs, &sx, &cv, s, token_bytes);

    t->n = n; t->d_model = dm; t->heads = H; t->d_head = dh; t->d_att = da;
    t->score = s->score; t->mask = s->mask; t->mask_param = s->mask_param;
    t->posenc = s->posenc; t->norm = s->norm; t->temperature = s->temperature;
    t->seed = s->seed; t->weights_preset = s->weights;
    t->explicit_vectors = s->vectors != NULL;
    t->explicit_params = s->params.wq || s->params.wk || s->params.wv || s->params.wo || s->params.wa || s->params.va;
    t->scale = s->score == ATTN_SCORE_SCALED ? (float)(1.0 / sqrt((double)dh)) : 1.0f;

    /* token strings live right after the pointer array */
    char *text = (char *)(t->tokens + n);
    text = (char *)(((uintptr_t)text + 63) & ~(uintptr_t)63);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(s->tokens[i]) + 1;
        memcpy(text, s->tokens[i], len);
        t->tokens[i] = text;
        text += len;
    }

    t->d_feature = s->features && !s->vectors ? s->d_feature : 0;
    t->grid_w = s->grid_w;
    t->picture_w = s->picture ? s->picture_w : 0;
    t->picture_h = s->picture ? s->picture_h : 0;
    t->patch = s->picture ? s->patch : 0;
    if (s->picture) memcpy(t->picture, s->picture, (size_t)s->picture_w * s->picture_h * 3);
    t->wave_n = s->wave ? s->wave_n : 0;
    t->wave_rate = s->wave ? s->wave_rate : 0;
    t->frame_len = s->wave ? s->frame_len : 0;
    t->frame_hop = s->wave ? s->frame_hop : 0;
    if (s->wave) memcpy(t->wave, s->wave, sizeof(float) * (size_t)s->wave_n);
    if (t->d_feature) {
        /* pixels or patches: a = features E, the patch embedding (seeded random, scaled so
         * that a has about unit size whatever the number of features) */
        size_t fe = (size_t)n * s->d_feature;
        memcpy(t->features, s->features, sizeof(float) * fe);
        if (s->embed) memcpy(t->embed, s->embed, sizeof(float) * (size_t)s->d_feature * dm);
        else if (s->weights == ATTN_WEIGHTS_PICTURE) fill_colour_embed(t->embed, s->d_feature, dm);
        else fill_random(t->embed, s->d_feature, dm, (float)(2.0 / sqrt((double)s->d_feature)), s->seed, TAG_EMBED, 0);
        mat_mul(t->a, t->features, t->embed, n, s->d_feature, dm);
    } else {
        for (int i = 0; i < n; i++) {
            float *ai = t->a + (size_t)i * dm;
            if (s->vectors) memcpy(ai, s->vectors + (size_t)i * dm, sizeof(float) * (size_t)dm);
            else attn_embed(ai, s->tokens[i], dm);
        }
    }
    attn_posenc_fill_grid(t->pe, s->posenc, n, dm, s->seed, s->grid_w);
    for (size_t c = 0; c < (size_t)n * dm; c++) t->x[c] = t->a[c] + t->pe[c];
    if (t->mask_matrix) build_mask_matrix(t, s);

    float proj_scale = (float)(1.0 / sqrt((double)dm));
    for (int h = 0; h < H; h++) {
        AttnHead *hd = &t->head[h];
        size_t wsz = (size_t)dm * dh;
        if (s->weights == ATTN_WEIGHTS_IDENTITY || (s->weights == ATTN_WEIGHTS_PICTURE && h < 2)) {
            fill_identity_proj(hd->wq, dm, dh, h);
            fill_identity_proj(hd->wk, dm, dh, h);
            fill_identity_proj(hd->wv, dm, dh, h);
            if (s->weights == ATTN_WEIGHTS_PICTURE) {
                int gw = s->grid_w > 0 ? s->grid_w : n;
                fill_picture_head(hd->wq, dm, dh, h, gw, (n + gw - 1) / gw);
                fill_picture_head(hd->wk, dm, dh, h, gw, (n + gw - 1) / gw);
            }
        } else {
            fill_random(hd->wq, dm, dh, proj_scale, s->seed, TAG_WQ, h);
            fill_random(hd->wk, dm, dh, proj_scale, s->seed, TAG_WK, h);
            fill_random(hd->wv, dm, dh, proj_scale, s->seed, TAG_WV, h);
        }
        if (s->params.wq) memcpy(hd->wq, s->params.wq + h * wsz, sizeof(float) * wsz);
        if (s->params.wk) memcpy(hd->wk, s->params.wk + h * wsz, sizeof(float) * wsz);
        if (s->params.wv) memcpy(hd->wv, s->params.wv + h * wsz, sizeof(float) * wsz);
        if (hd->wa) {
            size_t asz = (size_t)2 * dh * da;
            fill_random(hd->wa, 2 * dh, da, (float)(1.0 / sqrt(2.0 * dh)), s->seed, TAG_WA, h);
            fill_random(hd->va, 1, da, (float)(1.0 / sqrt((double)da)), s->seed, TAG_VA, h);
            if (s->params.wa) memcpy(hd->wa, s->params.wa + h * asz, sizeof(float) * asz);
            if (s->params.va) memcpy(hd->va, s->params.va + (size_t)h * da, sizeof(float) * (size_t)da);
        }
    }
    int dc = H * dh;
    if (s->weights == ATTN_WEIGHTS_IDENTITY || s->weights == ATTN_WEIGHTS_PICTURE) {
        for (int r = 0; r < dc; r++)
            for (int m = 0; m < dm; m++) t->wo[(size_t)r * dm + m] = (r % dm == m) ? 1.0f : 0.0f;
    } else {
        fill_random(t->wo, dc, dm, (float)(1.0 / sqrt((double)dc)), s->seed, TAG_WO, 0);
    }
    if (s->params.wo) memcpy(t->wo, s->params.wo, sizeof(float) * (size_t)dc * dm);

    int wide = 3 * H * dh;
    for (int h = 0; h < H; h++)
        for (int m = 0; m < dm; m++) {
            float *row = sx.wpack + (size_t)m * wide;
            memcpy(row + (size_t)h * dh, t->head[h].wq + (size_t)m * dh, sizeof(float) * (size_t)dh);
            memcpy(row + (size_t)(H + h) * dh, t->head[h].wk + (size_t)m * dh, sizeof(float) * (size_t)dh);
            memcpy(row + (size_t)(2 * H + h) * dh, t->head[h].wv + (size_t)m * dh, sizeof(float) * (size_t)dh);
        }

    Job job = {t, hs, &sx, (n + ROW_BLOCK - 1) / ROW_BLOCK};
    /* small scenes run on one thread: starting threads would cost more than the work */
    int big = (long long)H * n * n * (dh + 8) > 200000;
    if (big) {
        mat_parallel_for(job.n_blocks, project_task, &job);
        mat_parallel_for(H, prepare_task, &job);
        mat_parallel_for(H * job.n_blocks, rows_task, &job);
        mat_parallel_for(job.n_blocks, merge_task, &job);
    } else {
        for (int b = 0; b < job.n_blocks; b++) project_task(&job, b);
        for (int h = 0; h < H; h++) prepare_task(&job, h);
        for (int b = 0; b < H * job.n_blocks; b++) rows_task(&job, b);
        for (int b = 0; b < job.n_blocks; b++) merge_task(&job, b);
    }
    t->n_empty_rows = 0;
    for (int h = 0; h < H; h++) {
        int c = 0;
        for (int i = 0; i < n; i++) c += t->head[h].empty_row[i];
        t->head[h].n_empty_rows = c;
        t->n_empty_rows += c;
    }
    if (hs != hs_stack) free(hs);
    return 0;
}
