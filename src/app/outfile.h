/* outfile.h: what attnlab writes besides pictures: a growable byte buffer, the JSON trace
 * and CSV matrices (written to disk through file.h). No SDL. Buffers own their bytes
 * (out_buf_free releases them). */
#ifndef ATTN_OUTFILE_H
#define ATTN_OUTFILE_H

#include "../engine/attn.h"
#include "../engine/block.h"
#include "../engine/cross.h"
#include "../file/file.h"

#include <stddef.h>

typedef struct {
    char *data;
    size_t len, cap;
    int failed; /* set when an allocation failed; later appends do nothing */
} OutBuf;

void out_buf_free(OutBuf *b);
void out_append(OutBuf *b, const void *data, size_t len);
void out_printf(OutBuf *b, const char *fmt, ...);

/* Appends the whole trace as JSON (schema in README.md): an object with, in this order,
 * "format" ("attnlab-trace"), "version" (1), "tokens", "config" (sizes, choice names, mask
 * spec, temperature, seed, "scale"), "a", "pe", "x", "mask" (n x n 0/1, 1 = allowed),
 * "heads" (per head: Wq, Wk, Wv, [Wa, va for additive scoring], q, k, v, scores, scaled
 * (scores * scale for every pair), weights, out, entropy, max_weight, empty_rows as 0-based
 * indices), "concat", "Wo", "output", "empty_rows" (the total). Matrices are arrays of rows;
 * numbers are "%.9g" (they read back as the same float32), a non-finite one is null.
 * Returns 0, or -1 with a message: refused (naming the limit) when the trace has more than
 * OUT_JSON_MAX_CELLS score cells (heads * n * n), or out of memory. */
#define OUT_JSON_MAX_CELLS (8LL * 1024 * 1024)
int out_json_trace(OutBuf *b, const AttnTrace *t, char *err, size_t errlen);
/* The same, followed by a "blocks" key when blocks is not NULL: {"layers", "d_ff", "eps",
 * "layer": [{"in", "attn_out", "res1", "norm1", "pre", "hidden", "mlp_out", "res2", "out",
 * "gamma1", "beta1", "gamma2", "beta2", "W1", "b1", "W2", "b2"}, ...]} (README.md). */
int out_json_trace_blocks(OutBuf *b, const AttnTrace *t, const BlockTrace *blocks, char *err, size_t errlen);

/* Appends encoder-decoder attention as JSON (schema in README.md): "format"
 * ("attnlab-cross"), "version" (1), "source" and "target" (the words, or null), "config"
 * (n_src, n_tgt, d, d_att, score), "src" (n_src x d encoder states), "tgt" (n_tgt x d
 * decoder states), "scores" and "weights" (n_tgt x n_src), "context" (n_tgt x d), "fixed"
 * (d), and the parameters used: "W" for general scoring; "W_src", "W_tgt", "v", "src_proj",
 * "tgt_proj" for additive. Returns 0, or -1 with a message. */
int out_json_cross(OutBuf *b, const CrossTrace *t, const char *const *src_words, const char *const *tgt_words,
                   char *err, size_t errlen);

/* Which matrix a CSV (or a figure) shows. */
typedef enum {
    OUT_M_A, OUT_M_PE, OUT_M_X, OUT_M_Q, OUT_M_K, OUT_M_V, OUT_M_SCORES, OUT_M_SCALED,
    OUT_M_MASK, OUT_M_WEIGHTS, OUT_M_OUT, OUT_M_CONCAT, OUT_M_OUTPUT, OUT_M_WQ, OUT_M_WK,
    OUT_M_WV, OUT_M_WO
} OutMatrix;

/* Appends one matrix as CSV: a header row, then one row per token (per input dimension for
 * weights) with its label first; lines end with "\n", numbers are "%.9g".
 *   N x N (scores, scaled, mask, weights): "query\\key", the key tokens; rows: query token.
 *   token x dim (a, pe, x, q, k, v, out, concat, output): "token", "d1".."dD".
 *   weights (Wq, Wk, Wv, Wo): "row", "c1".."cM"; rows "r1"...
 * Tokens are quoted per RFC 4180 when they hold a comma, a quote, CR or LF. Masked cells of
 * "scaled" are written as -inf; "mask" is 0/1. head is 0-based and only read for per-head
 * matrices; out of range gives -1 and "head N is outside 1..H" (1-based). */
int out_csv_matrix(OutBuf *b, const AttnTrace *t, OutMatrix m, int head, char *err, size_t errlen);

#endif
