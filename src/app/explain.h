/* explain.h: the meaning of any cell and its formula with the live numbers, for the
 * window's tooltips and the step-through's captions. Pure: no SDL, no I/O. Indices are
 * shown 1-based, as the lecture writes them (a¹ ... aᴺ). */
#ifndef ATTN_EXPLAIN_H
#define ATTN_EXPLAIN_H

#include "../draw/fig.h"

#include <stddef.h>

/* Writes up to EXPLAIN_LINES lines separated by '\n':
 *   1. what the cell is, e.g. "α′₂,₃ · head 1 · the weight query 2 (saw) gives key 3 (a)"
 *   2. its formula in symbols, e.g. "α′₂,₃ = exp(s₂,₃ − m) / Σⱼ exp(s₂,ⱼ − m)"
 *   3. the same with the trace's numbers, ending "= VALUE", where VALUE is the cell's value
 *      printed with explain_num.
 * Masked cells and empty rows say so in line 3 instead. Returns the number of lines written
 * (3 for every cell; fewer if len cut the text, which is cut only between UTF-8 sequences
 * and always NUL-terminated); 0 with out = "" when hit names no cell of t (FQ_NONE, an index
 * out of range). Numbers inside the formulas are chosen to recompute the value: exp
 * arguments and softmax denominators with 3 decimals, ReLU ratios with 4 digits, everything
 * else with explain_num. */
#define EXPLAIN_LINES 4
int explain_cell(char *out, size_t len, const AttnTrace *t, const FigHit *hit);

/* The same for a cell of the encoder-decoder figure (hit->q == FQ_CROSS; panel 0 the
 * alignment, 1 the context vectors, 2 the fixed vector) of trace t computed from scene s:
 * what it is, its formula, the formula with this cell's numbers. Returns 3, or 0 when hit
 * names no cell. The context line lists at most six terms. */
int explain_cross(char *out, size_t len, const CrossTrace *t, const CrossScene *s, const FigHit *hit);

/* n in Unicode subscript or superscript digits: 12 -> "₁₂" / "¹²". */
void explain_sub(char *out, size_t len, int n);
void explain_sup(char *out, size_t len, int n);

/* A number as the explanations print it: 3 significant digits and a true minus sign (U+2212).
 * 0 -> "0"; 0.001 <= |v| < 1000 (after rounding) in fixed point: 0.41015 -> "0.410",
 * -1.5 -> "−1.50", 12.34 -> "12.3"; otherwise "1.23e+03", "−1.23e−04"; ±inf -> "∞", "−∞". */
void explain_num(char *out, size_t len, float v);

#endif
