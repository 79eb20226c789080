/* crossfig.h: the figure of encoder-decoder attention: the alignment matrix (target steps
 * down, source words across, labelled), each step's context vector built from its weights,
 * and beside them the single fixed vector a seq2seq model without attention would use for
 * every step. Drawn through ren, for the exporter and the window alike. */
#ifndef ATTN_CROSSFIG_H
#define ATTN_CROSSFIG_H

#include "../engine/cross.h"
#include "fig.h"
#include "ren.h"

/* Labels are the scene's words (NULL for "1", "2", ...); the trace is borrowed. */
typedef struct {
    const CrossTrace *t;
    const char *const *src_words, *const *tgt_words;
    int dark;
    int step;      /* the target step being decoded (0-based): later steps are not drawn
                      yet, and a panel builds its context term by term; -1: every step */
} CrossFig;

/* The size in logical pixels the figure needs. */
void crossfig_measure(Ren *ren, const CrossFig *f, float *w, float *h);
/* Draws it with its top-left corner at (x, y) on a background the caller has filled; fills
 * lay (when not NULL) with its panels as FQ_CROSS boxes for hovering: 0 the alignment, 1 the
 * context vectors, 2 the fixed vector, and while decoding a step, 3 and 4 the step's terms
 * (row j: αₜⱼ hⱼ, row n_src: their sum cₜ; col = dimension; head = the step). */
void crossfig_draw(Ren *ren, const CrossFig *f, float x, float y, FigLayout *lay);

#endif
