/* crossfig.c: draws encoder-decoder attention (crossfig.h): alignment heatmap, context
 * vectors, and the fixed vector of a model without attention. */
#include "crossfig.h"
#include "cmap.h"
#include "fig.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MARGIN 24.0f
#define CELL 46.0f
#define GAP 32.0f
#define TITLE 20.0f
#define SUB 14.0f
#define LABEL 15.0f
#define NUM 12.0f

static RenColor rgb(CmapRGB c) { RenColor r = {c.r, c.g, c.b, 255}; return r; }

static void word(char *out, size_t len, const char *const *words, int i)
{
    if (words && words[i]) snprintf(out, len, "%s", words[i]);
    else snprintf(out, len, "%d", i + 1);
}

/* Widest of the labels. */
static float widest(Ren *ren, const char *const *words, int n)
{
    float w = 0;
    char buf[80];
    for (int i = 0; i < n; i++) {
        word(buf, sizeof buf, words, i);
        float tw = ren_text_width(ren, buf, LABEL, REN_REGULAR);
        if (tw > w) w = tw;
    }
    return w;
}

/* One cell with its number, coloured by the map. */
static void cell(Ren *ren, float x, float y, float v, CmapKind k, float lo, float hi, RenColor grid)
{
    CmapRGB c = cmap_color(k, cmap_t(k, v, lo, hi));
    ren_rect(ren, x, y, CELL, CELL, rgb(c));
    ren_frame(ren, x, y, CELL, CELL, 1.0f, grid);
    char num[24];
    fig_format_num(num, sizeof num, v);
    ren_text(ren, x + CELL / 2, y + (CELL - ren_line_height(ren, NUM)) / 2, num, NUM, REN_MONO,
             rgb(cmap_text_on(c)), REN_CENTER);
}

#define ACCENT ((RenColor){214, 110, 0, 255})

/* A target step the decoding has not reached yet. */
static int later(const CrossFig *f, int i) { return f->step >= 0 && i > f->step; }

/* A cell not computed yet. */
static void blank(Ren *ren, float x, float y, FigTheme th)
{
    ren_rect(ren, x, y, CELL, CELL, th.masked_bg);
    ren_frame(ren, x, y, CELL, CELL, 1.0f, th.grid);
}

static const char *score_formula(CrossScore k)
{
    switch (k) {
    case CROSS_SCORE_DOT: return "Luong dot: score(sₜ, hⱼ) = sₜ · hⱼ";
    case CROSS_SCORE_GENERAL: return "Luong general: score(sₜ, hⱼ) = sₜ W hⱼᵀ";
    default: return "Bahdanau additive: score(sₜ, hⱼ) = v · tanh(hⱼ W_src + sₜ W_tgt)";
    }
}

/* Lays the figure out; draws it when draw is set. Returns the size in *w, *h. */
/* Records a panel of rows x cols cells at (mx, my). */
static void box(FigLayout *lay, float mx, float my, int rows, int cols)
{
    if (!lay || lay->n >= FIG_MAX_LAYOUT) return;
    FigPanelBox *b = &lay->p[lay->n++];
    memset(b, 0, sizeof *b);
    b->q = FQ_CROSS;
    b->mx = mx;
    b->my = my;
    b->rows = b->data_rows = rows;
    b->cols = b->data_cols = cols;
}

static void layout(Ren *ren, const CrossFig *f, float x0, float y0, int draw, float *w, float *h, FigLayout *lay)
{
    const CrossTrace *t = f->t;
    FigTheme th = fig_theme(f->dark);
    int ns = t->n_src, nt = t->n_tgt, d = t->d;
    float lh = ren_line_height(ren, LABEL);
    float row_lab = widest(ren, f->tgt_words, nt) + 12.0f;
    /* source words read across when they fit in a cell, else turned up */
    float src_w = widest(ren, f->src_words, ns);
    int across = src_w <= CELL - 4.0f;
    float col_lab = across ? lh + 4.0f : src_w + 8.0f;
    float x = x0 + MARGIN, y = y0 + MARGIN;

    char buf[200];
    if (draw) {
        ren_text(ren, x, y, "Encoder–decoder attention",
                 TITLE, REN_BOLD, th.fg, REN_LEFT);
        ren_text(ren, x, y + ren_line_height(ren, TITLE) + 2, score_formula(t->score), SUB, REN_REGULAR,
                 th.muted, REN_LEFT);
    }
    float title_w = ren_text_width(ren, "Encoder–decoder attention",
                                   TITLE, REN_BOLD);
    float sub_w = ren_text_width(ren, score_formula(t->score), SUB, REN_REGULAR);
    y += ren_line_height(ren, TITLE) + ren_line_height(ren, SUB) + 18.0f;

    /* panel 1: the alignment, target steps down, source words across */
    float px = x + row_lab, py = y + ren_line_height(ren, SUB) + 6.0f + col_lab;
    if (draw) {
        ren_text(ren, x, y, "alignment αₜⱼ (rows: target, columns: source)", SUB,
                 REN_BOLD, th.fg, REN_LEFT);
        for (int j = 0; j < ns; j++) {
            word(buf, sizeof buf, f->src_words, j);
            if (across) ren_text(ren, px + j * CELL + CELL / 2, py - lh - 4.0f, buf, LABEL, REN_REGULAR, th.fg, REN_CENTER);
            else ren_text_up(ren, px + j * CELL + (CELL - lh) / 2, py - 6.0f, buf, LABEL, REN_REGULAR, th.fg);
        }
        for (int i = 0; i < nt; i++) {
            word(buf, sizeof buf, f->tgt_words, i);
            ren_text(ren, px - 8.0f, py + i * CELL + (CELL - lh) / 2, buf, LABEL, REN_REGULAR,
                     later(f, i) ? th.muted : th.fg, REN_RIGHT);
            for (int j = 0; j < ns; j++) {
                if (later(f, i)) blank(ren, px + j * CELL, py + i * CELL, th);
                else cell(ren, px + j * CELL, py + i * CELL, t->weights[(size_t)i * ns + j], CMAP_VIRIDIS, 0.0f, 1.0f, th.grid);
            }
        }
        if (f->step >= 0 && f->step < nt) ren_frame(ren, px - 2, py + f->step * CELL - 2, ns * CELL + 4, CELL + 4, 3, ACCENT);
    }
    if (draw) box(lay, px, py, nt, ns);
    float p1_right = px + ns * CELL;
    float p1_title = ren_text_width(ren, "alignment αₜⱼ (rows: target, columns: source)", SUB, REN_BOLD);
    if (x + p1_title > p1_right) p1_right = x + p1_title;

    /* panel 2: the context vectors, one row per target step, on the same rows */
    float lo = 0, hi = 0;
    for (size_t c = 0; c < (size_t)nt * d; c++) {
        if (t->context[c] < lo) lo = t->context[c];
        if (t->context[c] > hi) hi = t->context[c];
    }
    for (int c = 0; c < d; c++) {
        if (t->fixed[c] < lo) lo = t->fixed[c];
        if (t->fixed[c] > hi) hi = t->fixed[c];
    }
    float qx = p1_right + GAP;
    const char *ctx_title = "context cₜ = Σⱼ αₜⱼ hⱼ, one per step";
    if (draw) {
        ren_text(ren, qx, y, ctx_title, SUB, REN_BOLD, th.fg, REN_LEFT);
        for (int c = 0; c < d; c++) {
            snprintf(buf, sizeof buf, "%d", c + 1);
            ren_text(ren, qx + c * CELL + CELL / 2, py - lh - 4.0f, buf, LABEL, REN_REGULAR, th.muted, REN_CENTER);
        }
        for (int i = 0; i < nt; i++)
            for (int c = 0; c < d; c++) {
                if (later(f, i)) blank(ren, qx + c * CELL, py + i * CELL, th);
                else cell(ren, qx + c * CELL, py + i * CELL, t->context[(size_t)i * d + c], CMAP_DIVERGING, lo, hi, th.grid);
            }
        if (f->step >= 0 && f->step < nt) ren_frame(ren, qx - 2, py + f->step * CELL - 2, d * CELL + 4, CELL + 4, 3, ACCENT);
    }
    if (draw) box(lay, qx, py, nt, d);
    float right = qx + d * CELL;
    float ctx_w = ren_text_width(ren, ctx_title, SUB, REN_BOLD);
    if (qx + ctx_w > right) right = qx + ctx_w;

    /* below: the fixed vector, the same for every step, under the context vectors */
    float fy = py + nt * CELL + 28.0f;
    char fixed_title[320];
    word(buf, sizeof buf, f->src_words, ns - 1);
    snprintf(fixed_title, sizeof fixed_title, "no attention: c = h of “%s”, every step", buf);
    if (draw) {
        ren_text(ren, qx, fy, fixed_title, SUB, REN_BOLD, th.fg, REN_LEFT);
        for (int c = 0; c < d; c++)
            cell(ren, qx + c * CELL, fy + ren_line_height(ren, SUB) + 6.0f, t->fixed[c], CMAP_DIVERGING, lo, hi, th.grid);
        box(lay, qx, fy + ren_line_height(ren, SUB) + 6.0f, 1, d);
    }
    float fixed_w = ren_text_width(ren, fixed_title, SUB, REN_BOLD);
    if (qx + fixed_w > right) right = qx + fixed_w;
    float bottom = fy + ren_line_height(ren, SUB) + 6.0f + CELL;
    float p1_bottom = py + nt * CELL;
    if (p1_bottom > bottom) bottom = p1_bottom;

    /* decoding one step: its context vector built term by term from the source states */
    if (f->step >= 0 && f->step < nt) {
        int st = f->step;
        float ty = bottom + 26.0f;
        char tw[80], title[300];
        word(tw, sizeof tw, f->tgt_words, st);
        snprintf(title, sizeof title, "decoding step %d (“%s”): cₜ = Σⱼ αₜⱼ hⱼ, term by term", st + 1, tw);
        float lab_w = 0;
        char lab[320];
        for (int j = 0; j < ns; j++) {
            word(buf, sizeof buf, f->src_words, j);
            snprintf(lab, sizeof lab, "%.2f × h(“%s”) =", (double)t->weights[(size_t)st * ns + j], buf);
            lab_w = fmaxf(lab_w, ren_text_width(ren, lab, LABEL, REN_REGULAR));
        }
        float cx = x + lab_w + 12.0f, cy = ty + ren_line_height(ren, SUB) + 8.0f;
        if (draw) {
            ren_text(ren, x, ty, title, SUB, REN_BOLD, th.fg, REN_LEFT);
            for (int j = 0; j <= ns; j++) {
                float ry = cy + j * CELL + (j == ns ? 10.0f : 0.0f);
                if (j < ns) {
                    word(buf, sizeof buf, f->src_words, j);
                    snprintf(lab, sizeof lab, "%.2f × h(“%s”) =", (double)t->weights[(size_t)st * ns + j], buf);
                } else {
                    snprintf(lab, sizeof lab, "sum: c%d =", st + 1);
                }
                ren_text(ren, cx - 8.0f, ry + (CELL - lh) / 2, lab, LABEL, j == ns ? REN_BOLD : REN_REGULAR, th.fg, REN_RIGHT);
                for (int c = 0; c < d; c++) {
                    float v = j < ns ? t->weights[(size_t)st * ns + j] * t->src[(size_t)j * d + c]
                                     : t->context[(size_t)st * d + c];
                    cell(ren, cx + c * CELL, ry, v, CMAP_DIVERGING, lo, hi, th.grid);
                }
            }
            ren_rect(ren, cx, cy + ns * CELL + 4.0f, d * CELL, 2.0f, th.fg);
            box(lay, cx, cy, ns, d);
            box(lay, cx, cy + ns * CELL + 10.0f, 1, d);
            /* the sum row is row n_src of the terms; both boxes carry the step */
            if (lay && lay->n >= 2) {
                lay->p[lay->n - 1].r0 = ns;
                lay->p[lay->n - 1].head = lay->p[lay->n - 2].head = st;
            }
        }
        float right_t = fmaxf(cx + d * CELL, x + ren_text_width(ren, title, SUB, REN_BOLD));
        if (right_t > right) right = right_t;
        bottom = cy + (ns + 1) * CELL + 10.0f;
    }

    /* a caption that reads the figure */
    const char *caption = "Each row of α sums to 1: a bright cell is the source word that step translates.";
    const char *caption2 = "Its context row mixes the source states by those weights.";
    if (draw) {
        ren_text(ren, x, bottom + 16.0f, caption, SUB, REN_ITALIC, th.muted, REN_LEFT);
        ren_text(ren, x, bottom + 16.0f + ren_line_height(ren, SUB), caption2, SUB, REN_ITALIC, th.muted, REN_LEFT);
    }
    float cap_w = ren_text_width(ren, caption, SUB, REN_ITALIC);
    bottom += 16.0f + 2 * ren_line_height(ren, SUB);

    float wmax = right;
    if (x + title_w > wmax) wmax = x + title_w;
    if (x + sub_w > wmax) wmax = x + sub_w;
    if (x + cap_w > wmax) wmax = x + cap_w;
    *w = wmax + MARGIN - x0;
    *h = bottom + MARGIN - y0;
}

void crossfig_measure(Ren *ren, const CrossFig *f, float *w, float *h)
{
    layout(ren, f, 0, 0, 0, w, h, NULL);
}

void crossfig_draw(Ren *ren, const CrossFig *f, float x, float y, FigLayout *lay)
{
    float w, h;
    if (lay) {
        memset(lay, 0, sizeof *lay);
        lay->cell = CELL;
    }
    layout(ren, f, x, y, 1, &w, &h, lay);
    if (lay) {
        lay->x = x; lay->y = y; lay->w = w; lay->h = h;
    }
}
