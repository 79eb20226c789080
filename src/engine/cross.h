/* cross.h: encoder-decoder (cross) attention as in seq2seq translation. Each decoder state
 * (a target step) scores every encoder state (a source word), the scores are normalised by
 * a softmax per target step, and the step's context vector is the weighted sum of the
 * encoder states. libc + libm only.
 *
 * Conventions as in attn.h: row-major float, row-vector products, 0-based indices.
 *     scores[t][j]  dot       = tgt[t] . src[j]                               (Luong dot)
 *                   general   = tgt[t] W src[j]^T                             (Luong general)
 *                   additive  = v . tanh(src[j] W_src + tgt[t] W_tgt)         (Bahdanau)
 *     weights[t]    = softmax(scores[t])     (over the n_src source positions)
 *     context[t]    = sum_j weights[t][j] src[j]
 *     fixed         = src[n_src - 1]: the one context vector a seq2seq model without
 *                     attention hands the decoder for every step (the bottleneck)
 *
 * Ownership: a scene borrows its arrays; a trace owns everything it points to in one
 * allocation and is freed with cross_trace_free. */
#ifndef ATTN_CROSS_H
#define ATTN_CROSS_H

#include <stddef.h>

#define CROSS_MAX_N 4096    /* source or target positions */
#define CROSS_MAX_D 1024    /* size of an encoder or decoder state */
#define CROSS_MAX_D_ATT 1024 /* hidden size of additive scoring */

typedef enum { CROSS_SCORE_DOT, CROSS_SCORE_GENERAL, CROSS_SCORE_ADDITIVE } CrossScore;

typedef struct {
    int n_src, n_tgt, d;   /* encoder states n_src x d, decoder states n_tgt x d */
    const float *src;      /* n_src x d */
    const float *tgt;      /* n_tgt x d */
    const char *const *src_words, *const *tgt_words; /* labels, may be NULL */
    CrossScore score;
    int d_att;             /* additive: the hidden size; 0 means d */
    /* parameters, NULL for the default: general w (d x d), identity by default;
     * additive w_src, w_tgt (d x d_att), identity-like (1 on the diagonal) by default, and
     * v (d_att), all ones by default */
    const float *w, *w_src, *w_tgt, *v;
} CrossScene;

typedef struct {
    int n_src, n_tgt, d, d_att;  /* d_att as used (0 unless additive) */
    CrossScore score;
    float *scores;         /* n_tgt x n_src */
    float *weights;        /* n_tgt x n_src, each row sums to 1 */
    float *context;        /* n_tgt x d */
    float *fixed;          /* d: the last encoder state */
    float *src, *tgt;      /* n_src x d and n_tgt x d: the states as computed (copies) */
    float *src_proj;       /* additive: n_src x d_att, src W_src; else NULL */
    float *tgt_proj;       /* additive: n_tgt x d_att, tgt W_tgt; else NULL */
    float *w, *w_src, *w_tgt, *v; /* the parameters used (general: w; additive: the rest) */
    void *mem;
    size_t mem_size;
} CrossTrace;

CrossScene cross_scene_default(void);
/* Built-in sentence pairs with hand-set states that give a readable alignment; the scene
 * borrows static arrays. cross_preset returns 0, or -1 for an unknown name (the names are
 * cross_preset_names(), joined by '|'). */
int cross_preset(CrossScene *s, const char *name);
const char *cross_preset_names(void);
/* A sentence pair of one's own, from a small text file: one word a line, in order,
 *
 *     # English to French
 *     source the     2   0.1 0.2 0
 *     source black   0.1 2   0.3 0
 *     target le      1.8 0   0.4 0
 *
 * "source" or "target", the word (no spaces, at most 63 bytes), then its state: the same
 * number of numbers on every line (at most CROSS_MAX_D), or none on any line, when each
 * word's state is its hashed embedding of CROSS_HASH_D numbers (then only identical words
 * agree). Blank lines and lines starting with '#' are ignored. The pair owns everything;
 * cross_pair_scene points a scene at it (additive scoring gets the presets' agreement
 * parameters, sized for d). */
#define CROSS_HASH_D 8
typedef struct {
    int n_src, n_tgt, d;
    char **src_words, **tgt_words;
    float *src, *tgt;           /* n_src x d, n_tgt x d */
    float *w_src, *w_tgt, *v;   /* additive scoring's parameters (d x 2d, d x 2d, 2d) */
} CrossPair;
/* Returns 0, or -1 with "NAME:LINE:COLUMN: message" (p is then empty). */
int cross_pair_parse(CrossPair *p, const char *text, size_t len, const char *name, char *err, size_t errlen);
void cross_pair_free(CrossPair *p);
/* The scene of the pair (borrowing its arrays), keeping s's scoring. */
void cross_pair_scene(CrossScene *s, const CrossPair *p);

/* "dot", "general", "additive" and back. */
const char *cross_score_name(CrossScore k);
int cross_score_parse(const char *name, CrossScore *out);
/* 0 when the scene can be computed, else -1 with a message naming the limit or the bad value. */
int cross_check(const CrossScene *s, char *err, size_t errlen);
/* Computes the scene into t (reusing t's memory when it is large enough). On error t is
 * freed and err names the problem. */
int cross_forward(CrossTrace *t, const CrossScene *s, char *err, size_t errlen);
void cross_trace_free(CrossTrace *t);

#endif
