/* attn.h: the self-attention engine. An AttnScene describes one computation; attn_forward
 * turns it into an AttnTrace that keeps every intermediate for display. libc + libm only.
 *
 * Conventions: every matrix is row-major float, rows = tokens (queries for score and weight
 * matrices), row-vector products (q[i][c] = sum_m x[i][m] * Wq[m][c]). Indices are 0-based
 * here; the views and messages show them 1-based as the lecture does (a^1 ... a^N).
 *
 * Ownership: a scene only borrows its arrays (the caller keeps them alive during
 * attn_forward). A trace owns everything it points to, in one allocation, and is freed with
 * attn_trace_free. attn_forward into a trace that already holds a computation of the same or
 * larger size reuses its memory and does not allocate. */
#ifndef ATTN_ATTN_H
#define ATTN_ATTN_H

#include <stddef.h>
#include <stdint.h>

/* The engine's limits; attn_check refuses anything beyond them and names the limit. */
#define ATTN_MAX_N 4096        /* tokens */
#define ATTN_MAX_D_MODEL 1024  /* size of a^i, e^i, x^i, b^i */
#define ATTN_MAX_HEADS 64
#define ATTN_MAX_D_HEAD 1024   /* size of q, k, v per head */
#define ATTN_MAX_D_ATT 1024    /* hidden size of additive scoring */
#define ATTN_MAX_D_FEATURE 12288 /* raw features per token (a 64 x 64 RGB patch) */
#define ATTN_MAX_CELLS (8LL * 4096 * 4096) /* heads * N * N: score and weight cells in all */
#define ATTN_MAX_PARAMS (16LL * 1024 * 1024) /* heads * d_model * d_head: numbers in each of Wq, Wk, Wv, Wo */
#define ATTN_MAX_TEMPERATURE 1e6f
#define ATTN_MAX_WAVE (192000 * 60) /* samples of a sound shown with its frames: 60 s at 192 kHz */
#define ATTN_MIN_TEMPERATURE 1e-6f

typedef enum { ATTN_SCORE_DOT, ATTN_SCORE_SCALED, ATTN_SCORE_ADDITIVE } AttnScore;
typedef enum {
    ATTN_MASK_NONE,
    ATTN_MASK_CAUSAL,  /* query i sees keys j <= i */
    ATTN_MASK_WINDOW,  /* query i sees keys |i - j| <= mask_param */
    ATTN_MASK_PADDING, /* the last mask_param tokens are padding: no query sees them */
    ATTN_MASK_GRAPH,   /* query i sees itself and its neighbours in an undirected edge list */
    ATTN_MASK_CUSTOM,  /* an explicit n x n 0/1 matrix, 1 = allowed */
    ATTN_MASK_CONV     /* a CNN's receptive field on a grid of grid_w tokens a row: query i sees
                          keys within mask_param / 2 rows and columns of it (mask_param odd) */
} AttnMaskKind;
/* ATTN_PE_2D: on a grid of grid_w tokens a row, the first d/2 dimensions are the sinusoidal
 * encoding of the token's row, the rest that of its column (each with its own d). */
typedef enum { ATTN_PE_NONE, ATTN_PE_SINUSOIDAL, ATTN_PE_LEARNED, ATTN_PE_2D } AttnPosenc;
typedef enum { ATTN_NORM_SOFTMAX, ATTN_NORM_RELU } AttnNorm;
/* ATTN_WEIGHTS_PICTURE, for pictures: the patch embedding puts each patch's mean colour
 * (features are centred on grey) in the last 3 dimensions; head 1 compares those colours
 * (it attends to similar colour), head 2 compares the positional encoding (it attends to
 * nearby patches); other heads are random. */
typedef enum { ATTN_WEIGHTS_RANDOM, ATTN_WEIGHTS_IDENTITY, ATTN_WEIGHTS_PICTURE } AttnWeightsPreset;

/* Explicit parameters. Each pointer may be NULL (the preset fills that tensor). Shapes:
 * wq, wk, wv: heads x d_model x d_head; wo: (heads*d_head) x d_model;
 * wa: heads x (2*d_head) x d_att; va: heads x d_att. */
typedef struct {
    const float *wq, *wk, *wv, *wo, *wa, *va;
} AttnParams;

typedef struct {
    int n;                   /* number of tokens */
    const char *const *tokens; /* n UTF-8 strings (borrowed) */
    const float *vectors;    /* n x d_model explicit inputs a^i, or NULL: hashed embeddings */
    const float *features;   /* n x d_feature raw features (pixels, patches): a = features E */
    int d_feature;
    const float *embed;      /* d_feature x d_model patch embedding E, or NULL: seeded random */
    int grid_w;              /* tokens per row of a 2-D grid (pictures), 0 for a sequence */
    const unsigned char *picture; /* the picture the tokens came from (RGB), for display */
    int picture_w, picture_h, patch; /* its size, and the pixels per token side */
    const float *wave;       /* the sound the tokens (frames) came from, mono, for display */
    int wave_n, wave_rate;   /* its samples and samples a second */
    int frame_len, frame_hop;/* samples a frame and between frame starts: token i covers
                                samples i*frame_hop .. i*frame_hop+frame_len-1 */
    int d_model, heads, d_head;
    int d_att;               /* additive scoring's hidden size; 0 means d_head */
    AttnScore score;
    AttnMaskKind mask;
    int mask_param;          /* W for WINDOW, P for PADDING */
    const int *edges;        /* GRAPH: n_edges pairs (i, j), 0-based (borrowed) */
    int n_edges;
    const unsigned char *mask_matrix; /* CUSTOM: n x n, nonzero = allowed (borrowed) */
    AttnPosenc posenc;
    AttnNorm norm;
    float temperature;       /* weights = normalise(scaled / temperature) */
    uint64_t seed;           /* random weights and learned positional encodings */
    AttnWeightsPreset weights;
    AttnParams params;       /* explicit tensors override the preset */
} AttnScene;

/* The scene with the defaults: d_model 8, 2 heads of d_head 4, scaled dot product, no
 * mask, sinusoidal positions, softmax, temperature 1, seed 1, random weights. */
AttnScene attn_scene_default(void);

typedef struct {
    float *wq, *wk, *wv;     /* d_model x d_head */
    float *wa;               /* (2*d_head) x d_att, additive scoring only, else NULL */
    float *va;               /* d_att, additive scoring only, else NULL */
    float *q, *k, *v;        /* n x d_head */
    float *scores;           /* n x n raw scores for every pair, masked ones included */
    float *weights;          /* n x n normalised weights alpha'; exactly 0 where masked */
    float *out;              /* n x d_head: out[i] = sum_j weights[i][j] v[j] */
    float *entropy;          /* n: -sum_j w ln w of each row, in nats */
    float *max_weight;       /* n: the largest weight of each row */
    unsigned char *empty_row;/* n: 1 where the row could give no weight (all masked, or
                                ReLU found nothing positive); its weights are all 0 */
    int n_empty_rows;
} AttnHead;

typedef struct {
    /* configuration as computed (a copy of the scene's sizes and choices) */
    int n, d_model, heads, d_head, d_att;
    AttnScore score;
    AttnMaskKind mask;
    int mask_param;
    AttnPosenc posenc;
    AttnNorm norm;
    float temperature;
    uint64_t seed;
    AttnWeightsPreset weights_preset;
    int explicit_vectors;    /* 1 when a^i came from the scene, 0 when hashed */
    int explicit_params;     /* 1 when the scene gave any of Wq, Wk, Wv, Wo, Wa, va */
    int d_feature;           /* 0 unless a came from features */
    int grid_w;
    float scale;             /* scaled = scores * scale: 1/sqrt(d_head) or 1 */

    char **tokens;           /* n copies of the token strings */
    float *a, *pe, *x;       /* n x d_model: inputs, positional encodings, x = a + pe */
    float *features;         /* n x d_feature, when a came from features (else NULL) */
    unsigned char *picture;  /* picture_w x picture_h RGB, when the tokens are a picture's */
    int picture_w, picture_h, patch;
    float *wave;             /* wave_n samples when the tokens are a sound's frames, else NULL */
    int wave_n, wave_rate, frame_len, frame_hop;
    float *embed;            /* d_feature x d_model, likewise */
    unsigned char *mask_matrix; /* n x n for GRAPH and CUSTOM masks, else NULL
                                   (use attn_allowed, which covers every kind) */
    AttnHead *head;          /* heads entries */
    float *concat;           /* n x (heads*d_head): head outputs side by side */
    float *wo;               /* (heads*d_head) x d_model */
    float *output;           /* n x d_model: b^i = concat[i] Wo */
    int n_empty_rows;        /* over all heads */

    void *mem;               /* the one allocation everything above points into */
    size_t mem_size;
} AttnTrace;

/* A deep copy of s: every array it points to (tokens, vectors, features, picture, sound, edges,
 * mask, explicit tensors) is copied into one allocation, *mem, which the caller frees; out
 * points into it and no longer borrows anything from s. Sizes are taken from s, which must
 * pass attn_check. Returns 0, or -1 when memory ran out (nothing allocated). */
int attn_scene_clone(AttnScene *out, void **mem, const AttnScene *s);

/* Checks a scene against the limits and its own consistency. Returns 0, or -1 with a
 * one-line message in err naming the field and the limit. */
int attn_check(const AttnScene *s, char *err, size_t errlen);

/* Computes the scene into t (zero-initialise t before the first call). Returns 0, or -1
 * with a message in err (t is then left empty). */
int attn_forward(AttnTrace *t, const AttnScene *s, char *err, size_t errlen);

/* Computes the scene as if it had no mask (the same tokens, weights and seed), for showing
 * full attention beside a masked one. As attn_forward otherwise. */
int attn_forward_unmasked(AttnTrace *t, const AttnScene *s, char *err, size_t errlen);

/* Frees everything a trace owns and zeroes it. */
void attn_trace_free(AttnTrace *t);

/* Derived values, computed on demand rather than stored twice. */
int attn_allowed(const AttnTrace *t, int i, int j);           /* 1 if query i may see key j */
float attn_scaled(const AttnTrace *t, int h, int i, int j);   /* scores[i][j] * scale */

/* The deterministic embedding of a token string: the same string gives the same d values on
 * every machine (integer hashing, exact float conversion). out: d. */
void attn_embed(float *out, const char *token, int d);

/* Seeded numbers, the same on every machine: matrix (seed, tag, index) of rows x cols, element
 * (r, c) = scale * a bell-shaped value (mean 0, variance 1) of the key (seed, tag, index, r, c).
 * The engine's own matrices use tags 1..8; other modules use larger tags. out: rows x cols. */
void attn_seeded_fill(float *out, int rows, int cols, float scale, uint64_t seed, int tag, int index);

/* Positional encodings for positions 0..n-1, d <= ATTN_MAX_D_MODEL. out: n x d.
 * sinusoidal: out[p][2i] = sin(p / 10000^(2i/d)), out[p][2i+1] = cos(p / 10000^(2i/d)).
 * 2d (grid_w tokens a row): row r = p / grid_w and column c = p % grid_w; dimensions
 * 0..d/2-1 hold the sinusoidal encoding of r with d/2 dimensions, the rest that of c with
 * d - d/2 dimensions. */
void attn_posenc_fill(float *out, AttnPosenc kind, int n, int d, uint64_t seed);
void attn_posenc_fill_grid(float *out, AttnPosenc kind, int n, int d, uint64_t seed, int grid_w);

/* What attention over a trace costs, per head: full attention scores every pair (N²); an
 * implementation that skips masked pairs scores only the allowed ones (for a window of ±w,
 * N(2w+1) less the pairs cut off at the ends). Bytes count the scores and the weights as
 * 4-byte floats. */
typedef struct {
    long long n, full, allowed;
    double full_bytes, allowed_bytes;
} AttnCost;
void attn_cost(AttnCost *out, const AttnTrace *t);

/* Names for the command line, titles and JSON. */
const char *attn_score_name(AttnScore s);   /* "dot", "scaled", "additive" */
const char *attn_posenc_name(AttnPosenc p); /* "none", "sinusoidal", "learned", "2d" */
const char *attn_norm_name(AttnNorm n);     /* "softmax", "relu" */
const char *attn_weights_name(AttnWeightsPreset w); /* "random", "identity", "picture" */
/* The mask as the command line writes it: "none", "causal", "window:2", "padding:1",
 * "graph", "custom", "conv:3". */
void attn_mask_spec(char *out, size_t len, AttnMaskKind kind, int param);

#endif
