/* fig.h: figures of a trace (the views): which matrices a view shows, their titles, axis
 * labels, colour bars and legends, laid out and drawn through ren. The exporter draws a
 * figure onto a surface; the window draws the same figures into its panels. */
#ifndef ATTN_FIG_H
#define ATTN_FIG_H

#include "../engine/attn.h"
#include "../engine/block.h"
#include "../engine/cross.h"
#include "cmap.h"
#include "ren.h"

typedef enum {
    FIG_INPUTS,   /* a, e, x */
    FIG_QKV,      /* q, k, v of one head */
    FIG_SCORES,   /* raw scores alpha */
    FIG_SCALED,   /* scaled scores with the mask applied (masked = -inf) */
    FIG_MASK,
    FIG_WEIGHTS,  /* alpha' with each row's max weight and entropy */
    FIG_OUT,      /* every head's output and the merged b */
    FIG_OUTPUT,   /* b */
    FIG_HEADS,    /* every head's alpha' in a grid */
    FIG_PE,       /* the positional-encoding matrix */
    FIG_PARAMS,   /* Wq, Wk, Wv of one head and Wo */
    FIG_PICTURE,  /* a picture's patches: the query's weights over it, all heads averaged,
                     and the attention each patch receives */
    FIG_CNN,      /* a CNN's receptive field beside self-attention's reach, for one patch */
    FIG_BLOCK,    /* one Transformer block's stages, from its input to its output */
    FIG_CROSS,    /* encoder-decoder attention over a sentence pair (crossfig.h) */
    FIG_GRAPH,    /* the tokens as a graph, the query's weights on its edges (graphfig.h) */
    FIG_COMPARE,  /* the mask, full attention and attention under the mask side by side, with
                     the number of scores each computes (needs FigOptions.unmasked) */
    FIG_SPEECH,   /* a sound's waveform with its frames, the frame features, and the query
                     frame's weights over time, full and under the mask (speechfig.h) */
    FIG_COUNT
} FigView;

typedef enum { FIG_NUMBERS_AUTO, FIG_NUMBERS_ON, FIG_NUMBERS_OFF } FigNumbers;

typedef struct {
    FigView view;
    int head;           /* 0-based head for per-head views */
    int cmap;           /* a CmapKind, or -1: diverging for signed values, viridis otherwise */
    int transposed;     /* 1: the lecture's layout A = K^T Q, queries as columns */
    int dark;           /* dark theme */
    FigNumbers numbers;
    float cell;         /* cell size in logical pixels, 0 = chosen from the size */
    int q0, qn;         /* query (token) rows shown: q0 .. q0+qn-1; qn 0 = all */
    int k0, kn;         /* key columns shown; kn 0 = all */
    int compact;        /* for a window panel: no subtitle or footer, small margins */
    int query;          /* 0-based query token of the picture views */
    int columns;        /* panels a row, 0 = the view's own choice */
    const BlockTrace *block; /* the Transformer blocks, for FIG_BLOCK (borrowed; NULL: none) */
    int layer;          /* 0-based block shown */
    const CrossTrace *cross; /* encoder-decoder attention, for FIG_CROSS (borrowed; NULL: none) */
    const char *const *cross_src, *const *cross_tgt; /* its words (borrowed) */
    int decode_step;    /* FIG_CROSS: the target step being decoded, 0-based, its context
                           built term by term; -1: every step at once */
    const AttnTrace *unmasked; /* the same scene without its mask, for FIG_COMPARE and
                                  FIG_SPEECH (borrowed; NULL: not computed) */
    float width;        /* FIG_SPEECH: the figure's width in logical pixels, 0: the default */
} FigOptions;

FigOptions fig_options_default(void);

/* What a drawn cell holds: the quantity, the head (for per-head quantities) and its data
 * indices: row = token (query for N x N matrices) or weight-matrix row, col = key,
 * dimension or weight-matrix column. fig_hit fills one from a point. */
typedef enum {
    FQ_NONE, FQ_A, FQ_PE, FQ_X, FQ_Q, FQ_K, FQ_V, FQ_SCORES, FQ_SCALED, FQ_MASK,
    FQ_WEIGHTS, FQ_OUT, FQ_OUTPUT, FQ_WQ, FQ_WK, FQ_WV, FQ_WO,
    FQ_PATCH,     /* a patch of a picture view: row = col = its token */
    FQ_BLOCK,     /* a stage of a Transformer block: panel = the stage (0..7), row = token, col = dim */
    FQ_CROSS      /* encoder-decoder attention: panel 0 the alignment (row = target step, col =
                     source word), 1 the context vectors (row = step, col = dim), 2 the fixed
                     vector (row 0, col = dim) */
} FigQuantity;

typedef struct {
    FigQuantity q;
    int head;   /* 0-based */
    int row, col;
    int panel;  /* index of the panel within its figure */
    int unmasked; /* the cell is FigOptions.unmasked's (the compare view's full attention) */
} FigHit;

/* "inputs", "qkv", ... and back; fig_view_names lists them joined by '|'. */
const char *fig_view_name(FigView v);
int fig_view_parse(const char *name, FigView *out);
const char *fig_view_names(void);

/* Figure options by name, as the command line and scene files write them: view, head
 * (1-based), orient (qk|kq), cmap, theme, numbers, cell. fig_set returns 0, -1 with a
 * message naming the key and what is allowed, or 1 for a key it does not know. fig_get
 * writes the value as fig_set reads it ("" for cell 0 means automatic: "0"). */
extern const char *const fig_keys[];
int fig_set(FigOptions *o, const char *key, const char *value, char *err, size_t errlen);
void fig_get(const FigOptions *o, const char *key, char *out, size_t len);

/* A theme's colours: background, text, secondary text, grid lines, masked cells' ground
 * and hatching, and the colour of an allowed mask cell. */
typedef struct { RenColor bg, fg, muted, grid, masked_bg, hatch, allowed; } FigTheme;
FigTheme fig_theme(int dark);

/* The background colour of the theme. */
RenColor fig_background(int dark);

/* Where a drawn figure's panels are, for hit-testing and probing. Cells are squares of
 * `cell` logical pixels; a panel shows data rows r0.. and columns c0.. (transposed when
 * flip is set: data row r is drawn as a column). */
#define FIG_MAX_LAYOUT 72
typedef struct {
    FigQuantity q;
    int head, flip;
    float mx, my;          /* top-left of the first cell */
    int rows, cols;        /* cells drawn */
    int r0, c0;            /* the first data row and column drawn */
    int data_rows, data_cols;
    float cw, ch;          /* cells of cw x ch logical pixels; 0: squares of FigLayout.cell */
    int unmasked;          /* the panel shows FigOptions.unmasked, not the figure's trace */
} FigPanelBox;

typedef struct {
    int n;
    FigPanelBox p[FIG_MAX_LAYOUT];
    float x, y, w, h, cell;
} FigLayout;

/* Size in logical pixels that the figure needs. */
void fig_measure(Ren *ren, const AttnTrace *t, const FigOptions *o, float *w, float *h);

/* Draws the figure with its top-left corner at (x, y); the caller has filled the
 * background. Fills lay when it is not NULL. */
void fig_draw(Ren *ren, const AttnTrace *t, const FigOptions *o, float x, float y, FigLayout *lay);

/* The largest cell size (at most 96) with which the figure fits in w x h; below 2 pixels
 * cells become fractions and are drawn as a scaled image. */
float fig_fit_cell(Ren *ren, const AttnTrace *t, const FigOptions *o, float w, float h);

/* For figures of several panels: the number of panels a row (1..most, or the view's own
 * choice) that allows the largest cell in w x h. Sets o->columns and o->cell; returns the cell. */
float fig_fit_columns(Ren *ren, const AttnTrace *t, FigOptions *o, float w, float h, int most);

/* The cell under (x, y), in data indices. Returns 0 when the point is on no cell. */
int fig_layout_hit(const FigLayout *lay, float x, float y, FigHit *hit);

/* Where the cell (row, col) of a panel was drawn. Returns 0 when it was not drawn. */
int fig_layout_cell(const FigLayout *lay, int panel, int row, int col, float *x, float *y, float *size);

/* A number as cells show it: two decimals (fewer for large values), a true minus sign. */
void fig_format_num(char *out, size_t len, float v);

/* 1234567 as "1,234,567"; a byte count as "3.8 MB". */
void fig_format_count(char *out, size_t len, long long v);
void fig_format_bytes(char *out, size_t len, double bytes);

/* FIG_COMPARE and FIG_SPEECH show full attention beside the mask up to this many tokens;
 * the caller computes FigOptions.unmasked. */
#define FIG_COMPARE_MAX_N 1024

/* The title the figure carries, e.g. "head 2 · α′ = softmax(QKᵀ/√8) · causal mask". */
void fig_title(char *out, size_t len, const AttnTrace *t, const FigOptions *o);

#endif
