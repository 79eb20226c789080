/* ui.c: the window's screen. A top bar with the sentence, a row of tabs, a side panel with
 * every setting and its key, the main view (one figure, four at once, or the step-through
 * of one query), the status line, and the tooltip and help drawn over them. */
#include "ui.h"
#include "speechfig.h"
#include "../app/explain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOP_H 58.0f
#define TABS_H 34.0f
#define SIDE_W 280.0f
#define STATUS_H 28.0f
#define PAD 12.0f
#define FADE_S 0.3 /* step transitions, seconds */

typedef struct {
    FigTheme f;
    RenColor panel, accent, accent_soft, error, chip, shadow;
} Look;

static Look look_of(int dark)
{
    Look l;
    l.f = fig_theme(dark);
    if (dark) {
        l.panel = (RenColor){30, 33, 40, 255};
        l.accent = (RenColor){255, 176, 58, 255};
        l.accent_soft = (RenColor){255, 176, 58, 70};
        l.error = (RenColor){255, 110, 100, 255};
        l.chip = (RenColor){44, 48, 58, 255};
        l.shadow = (RenColor){0, 0, 0, 170};
    } else {
        l.panel = (RenColor){244, 245, 248, 255};
        l.accent = (RenColor){214, 110, 0, 255};
        l.accent_soft = (RenColor){214, 110, 0, 50};
        l.error = (RenColor){190, 30, 30, 255};
        l.chip = (RenColor){232, 234, 240, 255};
        l.shadow = (RenColor){0, 0, 0, 110};
    }
    return l;
}

int ui_in(UiRect r, float x, float y) { return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h; }

/* ---------------------------------------------------------------- text helpers */

/* Draws text wrapped at spaces to width w; returns the height used. */
static float wrap(Ren *ren, float x, float y, float w, const char *text, float size, RenFace face,
                  RenColor c, int draw)
{
    float lh = ren_line_height(ren, size), cy = y;
    char line[1024];
    const char *p = text;
    while (*p) {
        /* take words while they fit */
        size_t best = 0, len = strlen(p);
        for (size_t i = 0; i <= len && i < sizeof line - 1; i++) {
            if (i == len || p[i] == ' ') {
                memcpy(line, p, i);
                line[i] = 0;
                if (ren_text_width(ren, line, size, face) <= w || best == 0) best = i;
                else break;
            }
        }
        if (best == 0) best = len < sizeof line - 1 ? len : sizeof line - 1;
        memcpy(line, p, best);
        line[best] = 0;
        if (draw) ren_text(ren, x, cy, line, size, face, c, REN_LEFT);
        cy += lh;
        p += best;
        while (*p == ' ') p++;
    }
    return cy - y;
}

static void fmt(char *out, size_t len, float v)
{
    explain_num(out, len, v);
}

/* ---------------------------------------------------------------- cells */

static void remember(UiLayout *lay, float x, float y, float w, float h, FigQuantity q, int head, int row, int col)
{
    if (lay->n_cells >= UI_MAX_CELLS) return;
    UiCell *c = &lay->cells[lay->n_cells++];
    c->r = (UiRect){x, y, w, h};
    c->hit.q = q;
    c->hit.head = head;
    c->hit.row = row;
    c->hit.col = col;
    c->hit.panel = -1;
}

/* One coloured cell with its number when there is room. */
static void value_cell(Ren *ren, float x, float y, float w, float h, float v, float range, int show_num)
{
    CmapRGB c = cmap_color(CMAP_DIVERGING, cmap_t(CMAP_DIVERGING, v, -range, range));
    ren_rect(ren, x, y, w, h, (RenColor){c.r, c.g, c.b, 255});
    if (show_num) {
        char num[32];
        fig_format_num(num, sizeof num, v);
        CmapRGB tc = cmap_text_on(c);
        float size = fminf(12.0f, h * 0.5f);
        ren_text(ren, x + w / 2, y + h / 2 - ren_line_height(ren, size) / 2, num, size, REN_REGULAR,
                 (RenColor){tc.r, tc.g, tc.b, 255}, REN_CENTER);
    }
}

static float max_abs(const float *v, int n)
{
    float m = 1e-6f;
    for (int i = 0; i < n; i++) m = fmaxf(m, fabsf(v[i]));
    return m;
}

/* ---------------------------------------------------------------- step-through */

typedef struct {
    const char *head;     /* column header */
    float w;              /* width */
    int from;             /* the step that reveals it */
} Column;

enum { C_KEY, C_K, C_PROD, C_ALPHA, C_S, C_MASK, C_W, C_V, C_WV, C_COUNT };

static void draw_step(Ren *ren, const App *app, UiRect area, UiLayout *lay, const Look *lk)
{
    const AttnTrace *t = &app->trace;
    int n = t->n, dh = t->d_head, h = app->fig.head, i = app->query, step = app->step;
    const AttnHead *hd = &t->head[h];
    char title[512], body[1024], buf[64], sup[16];
    app_step_caption(app, step, title, sizeof title, body, sizeof body);
    float x = area.x + PAD, y = area.y + PAD, w = area.w - 2 * PAD;

    /* progress: one dot per step, the current one filled */
    for (int s = 0; s < STEP_COUNT; s++) {
        float dx = x + s * 18;
        ren_rect(ren, dx, y + 3, 10, 10, s == step ? lk->accent : s < step ? lk->f.muted : lk->chip);
    }
    snprintf(buf, sizeof buf, "step %d of %d · head %d of %d", step + 1, STEP_COUNT, h + 1, t->heads);
    ren_text(ren, x + STEP_COUNT * 18 + 8, y, buf, 12, REN_REGULAR, lk->f.muted, REN_LEFT);
    y += 22;
    ren_text(ren, x, y, title, 20, REN_BOLD, lk->f.fg, REN_LEFT);
    y += ren_line_height(ren, 20) + 2;
    y += wrap(ren, x, y, w, body, 15, REN_REGULAR, lk->f.fg, 1) + 8;

    /* token chips: click one to make it the query */
    ren_text(ren, x, y + 3, "query:", 13, REN_REGULAR, lk->f.muted, REN_LEFT);
    float cx = x + 52;
    int first = 0;
    /* with many tokens, start the row of chips so that the query is visible */
    {
        float room = w - 60, used = 0;
        for (int j = i; j >= 0; j--) {
            used += ren_text_width(ren, t->tokens[j], 13, REN_REGULAR) + 30;
            if (used > room * 0.6f) break;
            first = j;
        }
    }
    for (int j = first; j < n && lay->n_chips < UI_MAX_CHIPS; j++) {
        snprintf(buf, sizeof buf, "%d", j + 1);
        float tw = ren_text_width(ren, t->tokens[j], 13, REN_REGULAR) + ren_text_width(ren, buf, 10, REN_REGULAR) + 16;
        if (cx + tw > x + w) break;
        int sel = j == i;
        ren_rect(ren, cx, y, tw, 22, sel ? lk->accent : lk->chip);
        RenColor tc = sel ? (RenColor){255, 255, 255, 255} : lk->f.fg;
        float nw = ren_text(ren, cx + 6, y + 5, buf, 10, REN_REGULAR, sel ? tc : lk->f.muted, REN_LEFT);
        ren_text(ren, cx + 10 + nw, y + 2, t->tokens[j], 13, REN_REGULAR, tc, REN_LEFT);
        lay->chips[lay->n_chips] = (UiRect){cx, y, tw, 22};
        lay->chip_token[lay->n_chips++] = j;
        cx += tw + 6;
    }
    y += 32;

    float remaining = area.y + area.h - y - PAD;
    if (step == STEP_MATRIX) {
        /* every query at once: the weights figure with the current query's row framed */
        FigOptions o = app_figure(app, FIG_WEIGHTS);
        o.compact = 1;
        o.cell = fig_fit_cell(ren, t, &o, w, remaining);
        FigLayout *fl = &lay->figs[lay->n_figs];
        fig_draw(ren, t, &o, x, y, fl);
        lay->fig_views[lay->n_figs] = FIG_WEIGHTS;
        lay->fig_rects[lay->n_figs++] = (UiRect){x, y, w, remaining};
        float fx, fy, fs;
        if (fig_layout_cell(fl, 0, i, 0, &fx, &fy, &fs)) {
            if (o.transposed) ren_frame(ren, fx - 2, fl->p[0].my - 2, fs + 4, fl->p[0].rows * fs + 4, 2, lk->accent);
            else ren_frame(ren, fx - 2, fy - 2, fl->p[0].cols * fs + 4, fs + 4, 2, lk->accent);
        }
        return;
    }

    /* x^i and q^i */
    float vec_cw = fminf(44.0f, fmaxf(10.0f, (w - 200) / (float)(t->d_model + dh + 4)));
    float rowh = 24;
    sup[0] = 0;
    explain_sup(sup, sizeof sup, i + 1);
    char lab[200];
    snprintf(lab, sizeof lab, "x%s", sup);
    ren_text(ren, x, y + 4, lab, 14, REN_BOLD, lk->f.fg, REN_LEFT);
    float xr = max_abs(t->x + (size_t)i * t->d_model, t->d_model);
    float vx = x + 40;
    for (int c = 0; c < t->d_model; c++) {
        value_cell(ren, vx + c * vec_cw, y, vec_cw - 1, rowh, t->x[(size_t)i * t->d_model + c], xr, vec_cw >= 30);
        remember(lay, vx + c * vec_cw, y, vec_cw, rowh, FQ_X, h, i, c);
    }
    float qx = vx + t->d_model * vec_cw + 40;
    snprintf(lab, sizeof lab, "· Wq = q%s", sup);
    ren_text(ren, qx - 34, y + 4, "→", 14, REN_REGULAR, lk->f.muted, REN_LEFT);
    ren_text(ren, qx, y + 4, lab, 14, REN_BOLD, step == STEP_QUERY ? lk->accent : lk->f.fg, REN_LEFT);
    float qv = qx + ren_text_width(ren, lab, 14, REN_BOLD) + 8;
    float qr = max_abs(hd->q + (size_t)i * dh, dh);
    float qcw = fminf(vec_cw, fmaxf(6.0f, (x + w - qv) / (float)dh));
    for (int c = 0; c < dh; c++) {
        value_cell(ren, qv + c * qcw, y, qcw - 1, rowh, hd->q[(size_t)i * dh + c], qr, qcw >= 30);
        remember(lay, qv + c * qcw, y, qcw, rowh, FQ_Q, h, i, c);
    }
    if (step == STEP_QUERY) ren_frame(ren, qv - 2, y - 2, dh * qcw + 3, rowh + 4, 2, lk->accent);
    y += rowh + 14;

    if (step == STEP_MERGE) {
        /* every head's output for token i, side by side, times Wo */
        snprintf(lab, sizeof lab, "heads' outputs for token %d, side by side:", i + 1);
        ren_text(ren, x, y, lab, 13, REN_REGULAR, lk->f.muted, REN_LEFT);
        y += 20;
        float ccw = fminf(34.0f, fmaxf(4.0f, (w - 40) / (float)(t->heads * dh)));
        float cr = max_abs(t->concat + (size_t)i * t->heads * dh, t->heads * dh);
        for (int hh = 0; hh < t->heads; hh++)
            for (int c = 0; c < dh; c++) {
                float px = x + (hh * dh + c) * ccw + hh * 4;
                value_cell(ren, px, y, ccw - 1, rowh, t->concat[(size_t)i * t->heads * dh + hh * dh + c], cr, ccw >= 30);
                remember(lay, px, y, ccw, rowh, FQ_OUT, hh, i, c);
            }
        for (int hh = 0; hh < t->heads && ccw * dh > 30; hh++) {
            snprintf(lab, sizeof lab, "head %d", hh + 1);
            ren_text(ren, x + hh * dh * ccw + hh * 4, y + rowh + 2, lab, 11, hh == h ? REN_BOLD : REN_REGULAR, lk->f.muted, REN_LEFT);
        }
        y += rowh + 24;
        snprintf(lab, sizeof lab, "× Wᴼ (%d × %d) = b%s:", t->heads * dh, t->d_model, sup);
        ren_text(ren, x, y, lab, 14, REN_BOLD, lk->accent, REN_LEFT);
        y += 22;
        float bcw = fminf(40.0f, fmaxf(6.0f, (w - 40) / (float)t->d_model));
        float br = max_abs(t->output + (size_t)i * t->d_model, t->d_model);
        for (int c = 0; c < t->d_model; c++) {
            value_cell(ren, x + c * bcw, y, bcw - 1, rowh, t->output[(size_t)i * t->d_model + c], br, bcw >= 30);
            remember(lay, x + c * bcw, y, bcw, rowh, FQ_OUTPUT, h, i, c);
        }
        ren_frame(ren, x - 2, y - 2, t->d_model * bcw + 3, rowh + 4, 2, lk->accent);
        return;
    }

    /* the table: one row per key j, columns revealed step by step */
    int dots = t->score != ATTN_SCORE_ADDITIVE;
    float vcw = fminf(40.0f, fmaxf(5.0f, (w - 120 - 70 * 3 - 44 - 130) / (float)(dh * (dots ? 4 : 3))));
    Column col[C_COUNT] = {
        {"key j", 90, STEP_QUERY},
        {"kʲ", dh * vcw, STEP_KEYS},
        {"q ⊙ kʲ", dots ? dh * vcw : 0, STEP_DOTS},
        {"α (score)", 70, STEP_DOTS},
        {t->score == ATTN_SCORE_SCALED ? "s = α/√d" : "s = α", 70, STEP_SCALE},
        {"mask", 44, STEP_MASK},
        {"α′ (weight)", 130, STEP_SOFTMAX},
        {"vʲ", dh * vcw, STEP_VALUES},
        {"α′ · vʲ", dh * vcw, STEP_SUM},
    };
    float head_h = 20;
    /* the weight matrix of the step (Wq, Wk or Wv) goes under the table when there is room */
    int show_w = step == STEP_QUERY || step == STEP_KEYS || step == STEP_VALUES;
    float w_cell = fminf(26.0f, fmaxf(8.0f, (remaining * 0.45f - 30) / (float)t->d_model));
    float w_block = show_w ? t->d_model * w_cell + 40 : 0;
    if (show_w && remaining - w_block < 120) { show_w = 0; w_block = 0; }
    float row_h = fminf(34.0f, fmaxf(12.0f, (remaining - head_h - 60 - w_block) / (float)n));
    int rows = (int)((remaining - head_h - 60 - w_block) / row_h);
    if (rows > n) rows = n;
    if (rows < 1) rows = 1;
    int j0 = i - rows / 2;
    if (j0 < 0) j0 = 0;
    if (j0 + rows > n) j0 = n - rows;
    float gx[C_COUNT], colx = x;
    for (int c = 0; c < C_COUNT; c++) {
        gx[c] = colx;
        if (col[c].w > 0) colx += col[c].w + 10;
    }
    /* ranges per column group, over the visible rows and beyond: the whole matrix */
    float kr = max_abs(hd->k, n * dh), vr = max_abs(hd->v, n * dh);
    float sr = max_abs(hd->scores + (size_t)i * n, n);
    float pr = 1e-6f, wvr = 1e-6f;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < dh; c++) {
            pr = fmaxf(pr, fabsf(hd->q[(size_t)i * dh + c] * hd->k[(size_t)j * dh + c]));
            wvr = fmaxf(wvr, fabsf(hd->weights[(size_t)i * n + j] * hd->v[(size_t)j * dh + c]));
        }
    for (int c = 0; c < C_COUNT; c++) {
        if (col[c].w <= 0 || step < col[c].from) continue;
        int produced = col[c].from == step || (step == STEP_DOTS && (c == C_PROD || c == C_ALPHA));
        ren_text(ren, gx[c], y, col[c].head, 13, produced ? REN_BOLD : REN_REGULAR, produced ? lk->accent : lk->f.muted, REN_LEFT);
    }
    y += head_h;
    int show_nums = vcw >= 30 && row_h >= 18;
    for (int r = 0; r < rows; r++) {
        int j = j0 + r;
        float ry = y + r * row_h, rh = row_h - 2;
        int allowed = attn_allowed(t, i, j);
        if (j == i) ren_rect(ren, x - 4, ry - 1, colx - x, row_h, lk->accent_soft);
        snprintf(buf, sizeof buf, "%d", j + 1);
        float nw = ren_text(ren, gx[C_KEY], ry + rh / 2 - 7, buf, 10, REN_REGULAR, lk->f.muted, REN_LEFT);
        ren_clip(ren, gx[C_KEY] + nw + 4, ry, col[C_KEY].w - nw - 4, row_h);
        ren_text(ren, gx[C_KEY] + nw + 4, ry + rh / 2 - 9, t->tokens[j], 14, REN_REGULAR, lk->f.fg, REN_LEFT);
        ren_clip(ren, 0, 0, 0, 0);
        for (int c = 0; c < dh; c++) {
            if (step >= STEP_KEYS) {
                value_cell(ren, gx[C_K] + c * vcw, ry, vcw - 1, rh, hd->k[(size_t)j * dh + c], kr, show_nums);
                remember(lay, gx[C_K] + c * vcw, ry, vcw, rh, FQ_K, h, j, c);
            }
            if (dots && step >= STEP_DOTS) {
                value_cell(ren, gx[C_PROD] + c * vcw, ry, vcw - 1, rh, hd->q[(size_t)i * dh + c] * hd->k[(size_t)j * dh + c], pr, show_nums);
                remember(lay, gx[C_PROD] + c * vcw, ry, vcw, rh, FQ_SCORES, h, i, j);
            }
            if (step >= STEP_VALUES) {
                value_cell(ren, gx[C_V] + c * vcw, ry, vcw - 1, rh, hd->v[(size_t)j * dh + c], vr, show_nums);
                remember(lay, gx[C_V] + c * vcw, ry, vcw, rh, FQ_V, h, j, c);
            }
            if (step >= STEP_SUM) {
                value_cell(ren, gx[C_WV] + c * vcw, ry, vcw - 1, rh, hd->weights[(size_t)i * n + j] * hd->v[(size_t)j * dh + c], wvr, show_nums);
                remember(lay, gx[C_WV] + c * vcw, ry, vcw, rh, FQ_OUT, h, i, c);
            }
        }
        float ty = ry + rh / 2 - ren_line_height(ren, 13) / 2;
        if (step >= STEP_DOTS) {
            value_cell(ren, gx[C_ALPHA], ry, col[C_ALPHA].w - 4, rh, hd->scores[(size_t)i * n + j], sr, row_h >= 14);
            remember(lay, gx[C_ALPHA], ry, col[C_ALPHA].w, rh, FQ_SCORES, h, i, j);
        }
        if (step >= STEP_SCALE) {
            if (step >= STEP_MASK && !allowed) {
                ren_rect(ren, gx[C_S], ry, col[C_S].w - 4, rh, lk->f.masked_bg);
                ren_hatch(ren, gx[C_S], ry, col[C_S].w - 4, rh, 4, lk->f.hatch);
                ren_text(ren, gx[C_S] + col[C_S].w / 2, ty, "−∞", 13, REN_REGULAR, lk->f.fg, REN_CENTER);
            } else {
                value_cell(ren, gx[C_S], ry, col[C_S].w - 4, rh, attn_scaled(t, h, i, j), sr * t->scale, row_h >= 14);
            }
            remember(lay, gx[C_S], ry, col[C_S].w, rh, FQ_SCALED, h, i, j);
        }
        if (step >= STEP_MASK) {
            ren_rect(ren, gx[C_MASK], ry, col[C_MASK].w - 4, rh, allowed ? lk->f.allowed : lk->f.masked_bg);
            if (!allowed) ren_hatch(ren, gx[C_MASK], ry, col[C_MASK].w - 4, rh, 4, lk->f.hatch);
            ren_text(ren, gx[C_MASK] + (col[C_MASK].w - 4) / 2, ty, allowed ? "1" : "0", 13, REN_REGULAR, lk->f.fg, REN_CENTER);
            remember(lay, gx[C_MASK], ry, col[C_MASK].w, rh, FQ_MASK, h, i, j);
        }
        if (step >= STEP_SOFTMAX) {
            float wv = hd->weights[(size_t)i * n + j];
            CmapRGB c = cmap_color(CMAP_VIRIDIS, wv);
            ren_rect(ren, gx[C_W], ry, (col[C_W].w - 50) * wv, rh, (RenColor){c.r, c.g, c.b, 255});
            ren_frame(ren, gx[C_W], ry, col[C_W].w - 50, rh, 1, lk->f.grid);
            fmt(buf, sizeof buf, wv);
            ren_text(ren, gx[C_W] + col[C_W].w - 4, ty, buf, 13, REN_REGULAR, lk->f.fg, REN_RIGHT);
            remember(lay, gx[C_W], ry, col[C_W].w, rh, FQ_WEIGHTS, h, i, j);
        }
    }
    /* the produced column stands out; a fresh one fades in */
    for (int c = 1; c < C_COUNT; c++) {
        if (col[c].w <= 0 || step < col[c].from) continue;
        int produced = col[c].from == step || (step == STEP_DOTS && c == C_PROD);
        if (!produced) continue;
        float gw = col[c].w - (c >= C_ALPHA && c <= C_W ? 4 : 1);
        if (step == STEP_DOTS && c == C_PROD) gw = gx[C_ALPHA] + col[C_ALPHA].w - 4 - gx[C_PROD];
        ren_frame(ren, gx[c] - 3, y - 3, gw + 6, rows * row_h + 4, 2, lk->accent);
        if (app->win.animate) {
            double age = app->now - app->step_changed_at;
            if (age >= 0 && age < FADE_S) {
                RenColor veil = lk->f.bg;
                veil.a = (unsigned char)(255 * (1.0 - age / FADE_S));
                ren_rect(ren, gx[c] - 1, y - 1, gw + 2, rows * row_h, veil);
            }
        }
    }
    float by = y + rows * row_h + 6;
    if (show_w) {
        const float *W = step == STEP_QUERY ? hd->wq : step == STEP_KEYS ? hd->wk : hd->wv;
        FigQuantity q = step == STEP_QUERY ? FQ_WQ : step == STEP_KEYS ? FQ_WK : FQ_WV;
        const char *name = step == STEP_QUERY ? "Wq" : step == STEP_KEYS ? "Wk" : "Wv";
        float wy = by + 30, wr = max_abs(W, t->d_model * dh);
        snprintf(lab, sizeof lab, "%s of head %d: d_model × d_head = %d × %d, learned, shared by every token (drag a cell to change it)",
                 name, h + 1, t->d_model, dh);
        ren_text(ren, x, wy - 20, lab, 13, REN_REGULAR, lk->f.muted, REN_LEFT);
        for (int m = 0; m < t->d_model; m++)
            for (int c = 0; c < dh; c++) {
                float px = x + c * w_cell * 1.6f, py = wy + m * w_cell;
                value_cell(ren, px, py, w_cell * 1.6f - 1, w_cell - 1, W[(size_t)m * dh + c], wr, w_cell >= 18);
                remember(lay, px, py, w_cell * 1.6f, w_cell, q, h, m, c);
            }
    }
    if (rows < n) {
        snprintf(buf, sizeof buf, "keys %d–%d of %d", j0 + 1, j0 + rows, n);
        ren_text(ren, gx[C_KEY], by, buf, 12, REN_REGULAR, lk->f.muted, REN_LEFT);
    }
    if (step >= STEP_SUM) {
        snprintf(lab, sizeof lab, "b%s = Σ", sup);
        ren_text(ren, gx[C_WV] - ren_text_width(ren, lab, 14, REN_BOLD) - 8, by + 4, lab, 14, REN_BOLD, lk->accent, REN_LEFT);
        float orr = max_abs(hd->out + (size_t)i * dh, dh);
        for (int c = 0; c < dh; c++) {
            value_cell(ren, gx[C_WV] + c * vcw, by, vcw - 1, 24, hd->out[(size_t)i * dh + c], orr, vcw >= 30);
            remember(lay, gx[C_WV] + c * vcw, by, vcw, 24, FQ_OUT, h, i, c);
        }
        ren_frame(ren, gx[C_WV] - 2, by - 2, dh * vcw + 3, 28, 2, lk->accent);
    }
}

/* ---------------------------------------------------------------- the frame */

static void draw_fig(Ren *ren, const App *app, FigView view, UiRect r, UiLayout *lay)
{
    FigOptions o = app_figure(app, view);
    o.compact = lay->n_figs > 0 || app->tab == TAB_OVERVIEW;
    if (view != FIG_WEIGHTS && view != FIG_SCORES && view != FIG_SCALED && view != FIG_MASK && view != FIG_HEADS) {
        o.k0 = o.kn = 0;
    }
    if (view == FIG_CROSS || view == FIG_SPEECH) {
        /* these figures keep their proportions: the whole of it shrinks to fit */
        if (lay->n_figs >= UI_MAX_FIGS) return;
        /* the speech figure narrows to the space's shape, so it is drawn larger */
        if (view == FIG_SPEECH) o.width = fminf(SPEECHFIG_W, fmaxf(880.0f, r.w / r.h * SPEECHFIG_H));
        float fw, fh, s0 = ren_scale(ren);
        fig_measure(ren, &app->trace, &o, &fw, &fh);
        float k = fminf(1.0f, fminf(r.w / fw, r.h / fh));
        FigLayout *fl = &lay->figs[lay->n_figs];
        ren_clip(ren, r.x, r.y, r.w, r.h);
        ren_set_scale(ren, s0 * k);
        fig_draw(ren, &app->trace, &o, r.x / k, r.y / k, fl);
        ren_set_scale(ren, s0);
        /* the layout in the window's own units, for hovering */
        for (int i = 0; i < fl->n; i++) {
            fl->p[i].mx *= k;
            fl->p[i].my *= k;
        }
        fl->cell *= k; fl->x *= k; fl->y *= k; fl->w *= k; fl->h *= k;
        ren_clip(ren, 0, 0, 0, 0);
        lay->fig_views[lay->n_figs] = view;
        lay->fig_rects[lay->n_figs++] = r;
        return;
    }
    if (view == FIG_COMPARE) {
        /* mask, full, masked: always left to right, as the lessons read them */
        o.columns = 3;
        o.cell = fig_fit_cell(ren, &app->trace, &o, r.w, r.h);
    } else if (view == FIG_PICTURE || view == FIG_CNN || view == FIG_HEADS || view == FIG_BLOCK) {
        /* several panels: the number a row that gives the largest cells in this space */
        int most = view == FIG_HEADS ? (app->trace.heads < 4 ? app->trace.heads : 4) : view == FIG_PICTURE ? 3
                 : view == FIG_BLOCK ? 4 : 2;
        if (view == FIG_HEADS && app->tab != TAB_HEADS) most = 0; /* the overview keeps the usual grid */
        fig_fit_columns(ren, &app->trace, &o, r.w, r.h, most);
    } else {
        o.cell = fig_fit_cell(ren, &app->trace, &o, r.w, r.h);
    }
    if (lay->n_figs >= UI_MAX_FIGS) return;
    FigLayout *fl = &lay->figs[lay->n_figs];
    ren_clip(ren, r.x, r.y, r.w, r.h);
    fig_draw(ren, &app->trace, &o, r.x, r.y, fl);
    ren_clip(ren, 0, 0, 0, 0);
    lay->fig_views[lay->n_figs] = view;
    lay->fig_rects[lay->n_figs++] = r;
}

static void draw_top(Ren *ren, const App *app, float w, UiLayout *lay, const Look *lk)
{
    ren_rect(ren, 0, 0, w, TOP_H, lk->panel);
    ren_text(ren, PAD, 16, "attnlab", 20, REN_BOLD, lk->f.fg, REN_LEFT);
    UiRect box = {140, 10, w - 140 - 200, TOP_H - 20};
    lay->text_box = box;
    ren_rect(ren, box.x, box.y, box.w, box.h, lk->f.bg);
    ren_frame(ren, box.x, box.y, box.w, box.h, app->editing ? 2 : 1, app->editing ? lk->accent : lk->f.grid);
    const char *text = app->spec.text ? app->spec.text : "";
    float ty = box.y + box.h / 2 - ren_line_height(ren, 17) / 2;
    ren_clip(ren, box.x + 2, box.y + 2, box.w - 4, box.h - 4);
    /* keep the cursor in view when the text is longer than the box */
    char before[APP_TEXT_MAX + 1];
    int cur = app->cursor < 0 ? 0 : app->cursor;
    if (cur > (int)strlen(text)) cur = (int)strlen(text);
    /* ren_text measures and draws at most about 1 KB of a string: far into a long text,
     * start the line 600 bytes (at a character) before the cursor, more than the box shows */
    int from = 0;
    if (cur > 900) {
        from = cur - 600;
        while (text[from] && ((unsigned char)text[from] & 0xC0) == 0x80) from++;
    }
    snprintf(before, sizeof before, "%.*s", cur - from, text + from);
    float cw = ren_text_width(ren, before, 17, REN_REGULAR);
    float shift = cw > box.w - 40 ? cw - (box.w - 40) : 0;
    float tx = box.x + 10 - shift;
    if ((app->spec.image || app->spec.audio || app->spec.graph) && !app->editing) {
        char pic[400];
        if (app->spec.image)
            snprintf(pic, sizeof pic, "picture %s · %s · Enter: back to text", app->spec.image, app->spec.picture_note);
        else if (app->spec.audio)
            snprintf(pic, sizeof pic, "sound %s · %s · Enter: back to text", app->spec.audio, app->spec.picture_note);
        else
            snprintf(pic, sizeof pic, "graph %s%s%s · %d nodes, %d edges · Enter: back to text", app->spec.graph,
                     app->spec.graph_in.title[0] ? ": " : "", app->spec.graph_in.title, app->spec.graph_in.n,
                     app->spec.graph_in.n_edges);
        ren_text(ren, box.x + 10, ty, pic, 17, REN_ITALIC, lk->f.muted, REN_LEFT);
    } else if (*text) ren_text(ren, tx, ty, text + from, 17, REN_REGULAR, lk->f.fg, REN_LEFT);
    else if (!app->editing) ren_text(ren, tx, ty, "type a sentence here", 17, REN_REGULAR, lk->f.muted, REN_LEFT);
    if (app->editing) {
        float cx = tx + cw;
        if (app->compose[0]) {
            float pw = ren_text(ren, cx, ty, app->compose, 17, REN_REGULAR, lk->accent, REN_LEFT);
            ren_rect(ren, cx, ty + ren_line_height(ren, 17), pw, 2, lk->accent);
            cx += pw;
        }
        ren_rect(ren, cx, ty, 2, ren_line_height(ren, 17), lk->accent);
    }
    ren_clip(ren, 0, 0, 0, 0);
    char info[96];
    if (app->computing) snprintf(info, sizeof info, "computing %d tokens …", app->spec.scene.n);
    else if (app->have_trace) snprintf(info, sizeof info, "%d tokens", app->trace.n);
    else snprintf(info, sizeof info, "no tokens");
    ren_text(ren, box.x + box.w + 14, 12, info, 15, REN_BOLD, app->computing ? lk->accent : lk->f.fg, REN_LEFT);
    ren_text(ren, box.x + box.w + 14, 32, app->editing ? "Enter: done" : "Enter: edit · ?: keys", 12, REN_REGULAR, lk->f.muted, REN_LEFT);
}

static void tab_label(char *out, size_t len, int t)
{
    if (t < 10) snprintf(out, len, "%d %s", (t + 1) % 10, app_tab_name((AppTab)t));
    else snprintf(out, len, "%s", app_tab_name((AppTab)t));
}

static void draw_tabs(Ren *ren, const App *app, float w, UiLayout *lay, const Look *lk)
{
    float x = SIDE_W + PAD, y = TOP_H + 4, room = w - x - PAD;
    char label[64];
    /* every tab stays on screen: the labels shrink to fit a narrow window */
    float size = 13.0f, pad = 18.0f;
    for (;;) {
        float total = 0;
        for (int t = 0; t < TAB_COUNT; t++) {
            tab_label(label, sizeof label, t);
            total += ren_text_width(ren, label, size, REN_BOLD) + pad + 4;
        }
        if (total <= room || size <= 8.0f) break;
        size -= 0.5f;
        pad = fmaxf(8.0f, pad - 1.0f);
    }
    for (int t = 0; t < TAB_COUNT; t++) {
        tab_label(label, sizeof label, t);
        float tw = ren_text_width(ren, label, size, REN_BOLD) + pad;
        int sel = (int)app->tab == t;
        ren_rect(ren, x, y, tw, TABS_H - 8, sel ? lk->accent : lk->chip);
        ren_text(ren, x + pad / 2, y + (TABS_H - 8) / 2 - ren_line_height(ren, size) / 2, label, size,
                 sel ? REN_BOLD : REN_REGULAR, sel ? (RenColor){255, 255, 255, 255} : lk->f.fg, REN_LEFT);
        lay->tabs[t] = (UiRect){x, y, tw, TABS_H - 8};
        x += tw + 4;
    }
}

static void draw_side(Ren *ren, const App *app, float h, UiLayout *lay, const Look *lk)
{
    float x = 0, y = TOP_H;
    ren_rect(ren, x, y, SIDE_W, h - y - STATUS_H, lk->panel);
    y += 10;
    ren_text(ren, PAD, y, "settings", 14, REN_BOLD, lk->f.fg, REN_LEFT);
    ren_text(ren, SIDE_W - PAD, y + 2, "key · Shift: back", 11, REN_REGULAR, lk->f.muted, REN_RIGHT);
    y += 24;
    float row = fminf(24.0f, (h - y - STATUS_H - 70) / FIELD_COUNT);
    for (int f = 0; f < FIELD_COUNT; f++) {
        char v[96];
        app_field_value(app, (AppField)f, v, sizeof v);
        UiRect r = {4, y, SIDE_W - 8, row};
        lay->fields[f] = r;
        ren_rect(ren, PAD - 2, y + 3, 18, row - 6, lk->chip);
        ren_text(ren, PAD + 7, y + row / 2 - 7, app_field_key((AppField)f), 11, REN_BOLD, lk->f.fg, REN_CENTER);
        ren_text(ren, PAD + 24, y + row / 2 - 8, app_field_name((AppField)f), 13, REN_REGULAR, lk->f.muted, REN_LEFT);
        ren_clip(ren, 138, y, SIDE_W - 138 - 4, row);
        ren_text(ren, 140, y + row / 2 - 8, v, 13, REN_BOLD, lk->f.fg, REN_LEFT);
        ren_clip(ren, 0, 0, 0, 0);
        y += row;
    }
    y += 10;
    int edits = (app->vec_edit != NULL) + (app->par_edit != NULL) + (app->mask_edit != NULL);
    if (edits) ren_text(ren, PAD, y, "edited · R resets", 12, REN_BOLD, lk->accent, REN_LEFT);
    else ren_text(ren, PAD, y, "drag a cell of a or W to edit it", 12, REN_REGULAR, lk->f.muted, REN_LEFT);
    ren_text(ren, PAD, y + 18, "Ctrl+S exports the view under the mouse", 12, REN_REGULAR, lk->f.muted, REN_LEFT);
}

static void draw_status(Ren *ren, const App *app, float w, float h, const Look *lk)
{
    ren_rect(ren, 0, h - STATUS_H, w, STATUS_H, lk->panel);
    ren_clip(ren, 0, h - STATUS_H, w - 330, STATUS_H);
    ren_text(ren, PAD, h - STATUS_H + 6, app->status, 13, app->status_error ? REN_BOLD : REN_REGULAR,
             app->status_error ? lk->error : lk->f.fg, REN_LEFT);
    ren_clip(ren, 0, 0, 0, 0);
    char right[128];
    if (app->have_trace)
        snprintf(right, sizeof right, "query %d · head %d · step %d/%d · zoom %.0f%% · ? help", app->query + 1,
                 app->fig.head + 1, app->step + 1, STEP_COUNT, (double)(app->win.zoom * 100));
    else
        snprintf(right, sizeof right, "? help");
    ren_text(ren, w - PAD, h - STATUS_H + 7, right, 12, REN_REGULAR, lk->f.muted, REN_RIGHT);
}

static void draw_tooltip(Ren *ren, const App *app, float w, float h, const Look *lk)
{
    char text[1024];
    FigHit hit = app->hover;
    if (hit.q == FQ_PATCH) {
        /* a patch of a picture view: the weight the query patch gives it */
        hit.q = FQ_WEIGHTS;
        hit.col = hit.row;
        hit.row = app->query;
    }
    int lines;
    if (hit.q == FQ_BLOCK && app->have_block) {
        /* a stage of a Transformer block: what it is, its formula, its value */
        static const char *const what[] = {"x, the block's input", "b, the attention's output", "x + b, the first residual",
                                           "LayerNorm(x + b)", "ReLU(LN · W₁ + b₁), the MLP's hidden layer",
                                           "hidden · W₂ + b₂, the MLP's output", "LN + MLP, the second residual",
                                           "LayerNorm(…), the block's output"};
        static const char *const formula[] = {"x⁽ˡ⁾ = the previous block's output (block 1: a + e)", "b = attention(x)", "r₁ = x + b",
                                              "n₁ = γ₁ (r₁ − mean) / √(var + ε) + β₁", "h = max(0, n₁W₁ + b₁)",
                                              "m = hW₂ + b₂", "r₂ = n₁ + m", "out = γ₂ (r₂ − mean) / √(var + ε) + β₂"};
        const BlockTrace *bt = &app->block;
        int L = app->fig.layer < bt->layers ? app->fig.layer : bt->layers - 1, k = hit.panel;
        const BlockLayer *bl = &bt->layer[L < 0 ? 0 : L];
        const float *arrays[] = {bl->in, bl->attn_out, bl->res1, bl->norm1, bl->hidden, bl->mlp_out, bl->res2, bl->out};
        int width = k == 4 ? bt->d_ff : bt->d_model;
        if (k < 0 || k > 7 || hit.row >= bt->n || hit.col >= width) return;
        char num[32];
        explain_num(num, sizeof num, arrays[k][(size_t)hit.row * width + hit.col]);
        snprintf(text, sizeof text, "block %d · %s · token %d (\"%s\"), dimension %d\n%s\n= %s", L + 1, what[k], hit.row + 1,
                 app->trace.tokens[hit.row], hit.col + 1, formula[k], num);
        lines = 3;
    } else if (hit.q == FQ_CROSS) {
        lines = app->have_cross ? explain_cross(text, sizeof text, &app->cross, &app->cross_scene, &hit) : 0;
    } else if (hit.unmasked) {
        /* the compare view's full attention: the same scene computed without its mask */
        lines = app->have_unmasked ? explain_cell(text, sizeof text, &app->unmasked, &hit) : 0;
    } else {
        lines = explain_cell(text, sizeof text, &app->trace, &hit);
    }
    if (lines <= 0) return;
    char *line[EXPLAIN_LINES + 1];
    int nl = 0;
    for (char *p = text; p && nl < EXPLAIN_LINES;) {
        line[nl++] = p;
        char *e = strchr(p, '\n');
        if (e) { *e = 0; p = e + 1; } else p = NULL;
    }
    float tw = 0, lh = ren_line_height(ren, 14);
    for (int k = 0; k < nl; k++) tw = fmaxf(tw, ren_text_width(ren, line[k], 14, k == 0 ? REN_BOLD : REN_REGULAR));
    float bw = tw + 20, bh = nl * lh + 14;
    float x = app->hover_x + 16, y = app->hover_y + 20;
    if (x + bw > w - 4) x = w - 4 - bw;
    if (x < 4) x = 4;
    if (y + bh > h - 4) y = app->hover_y - bh - 10;
    if (y < 4) y = 4;
    ren_rect(ren, x + 3, y + 3, bw, bh, lk->shadow);
    ren_rect(ren, x, y, bw, bh, lk->panel);
    ren_frame(ren, x, y, bw, bh, 1, lk->accent);
    for (int k = 0; k < nl; k++)
        ren_text(ren, x + 10, y + 7 + k * lh, line[k], 14, k == 0 ? REN_BOLD : REN_REGULAR, k == nl - 1 ? lk->accent : lk->f.fg, REN_LEFT);
}

static void draw_help(Ren *ren, float w, float h, const Look *lk)
{
    RenColor veil = lk->shadow;
    ren_rect(ren, 0, 0, w, h, veil);
    int n = 0;
    while (app_help_lines[n]) n++;
    float lh = ren_line_height(ren, 15);
    float bw = 0;
    for (int k = 0; k < n; k++) bw = fmaxf(bw, ren_text_width(ren, app_help_lines[k], 15, REN_MONO));
    bw += 48;
    float bh = n * lh + 80, x = (w - bw) / 2, y = (h - bh) / 2;
    ren_rect(ren, x, y, bw, bh, lk->panel);
    ren_frame(ren, x, y, bw, bh, 2, lk->accent);
    ren_text(ren, x + 24, y + 18, "keys", 20, REN_BOLD, lk->f.fg, REN_LEFT);
    for (int k = 0; k < n; k++) ren_text(ren, x + 24, y + 56 + k * lh, app_help_lines[k], 15, REN_MONO, lk->f.fg, REN_LEFT);
}

/* ---------------------------------------------------------------- lessons */

static RenFace face_of(int style)
{
    if (style & LESSON_CODE) return REN_MONO;
    if (style & LESSON_STRONG) return REN_BOLD;
    if (style & LESSON_EM) return REN_ITALIC;
    return REN_REGULAR;
}

/* Styled runs wrapped to width w, word by word; returns the height used. */
static float rich(Ren *ren, float x, float y, float w, const LessonRun *runs, int n, float size,
                  RenColor c, const Look *lk, int draw)
{
    float lh = ren_line_height(ren, size) * 1.15f, cx = x, cy = y;
    float space = ren_text_width(ren, "a a", size, REN_REGULAR) - ren_text_width(ren, "aa", size, REN_REGULAR);
    int line_empty = 1;
    char word[512];
    for (int r = 0; r < n; r++) {
        const char *p = runs[r].text;
        RenFace face = face_of(runs[r].style);
        while (*p) {
            int lead = 0;
            while (*p == ' ') { p++; lead = 1; }
            if (!*p) { if (lead && !line_empty) cx += space; break; }
            size_t k = 0;
            while (p[k] && p[k] != ' ' && k < sizeof word - 1) k++;
            memcpy(word, p, k);
            word[k] = 0;
            p += k;
            float ww = ren_text_width(ren, word, size, face);
            if (lead && !line_empty) cx += space;
            if (cx + ww > x + w && !line_empty) {
                cx = x;
                cy += lh;
            }
            if (draw) {
                if (runs[r].style & LESSON_CODE) ren_rect(ren, cx - 2, cy + 1, ww + 4, lh - 3, lk->chip);
                RenColor col = runs[r].style & LESSON_MATH ? lk->f.fg : c;
                ren_text(ren, cx, cy, word, size, face, col, REN_LEFT);
            }
            cx += ww;
            line_empty = 0;
        }
    }
    return line_empty ? 0 : cy - y + lh;
}

static float plain_runs(Ren *ren, float x, float y, float w, const char *text, int style, float size,
                        RenColor c, const Look *lk, int draw)
{
    LessonRun run = {style, (char *)text};
    return rich(ren, x, y, w, &run, 1, size, c, lk, draw);
}

static void draw_narration(Ren *ren, const App *app, UiRect r, UiLayout *lay, const Look *lk)
{
    const Player *p = &app->player;
    lay->narration = r;
    ren_rect(ren, r.x, r.y, r.w, r.h, lk->panel);
    float x = r.x + 18, w = r.w - 36, y = r.y + 14, bottom = r.y + r.h - 66;
    char buf[256];
    if (!p->loaded || p->error[0]) {
        ren_text(ren, x, y, "this lesson could not open", 18, REN_BOLD, lk->error, REN_LEFT);
        y += 32;
        y += plain_runs(ren, x, y, w, p->error, LESSON_CODE, 14, lk->f.fg, lk, 1) + 12;
        plain_runs(ren, x, y, w, "Fix the file and save it: the lesson reloads by itself. F2 lists the other lessons.",
                   0, 15, lk->f.muted, lk, 1);
        if (!p->loaded) return;
        y += 60;
    }
    const Lesson *l = &p->lesson;
    const LessonStep *st = &l->steps[p->step < 0 ? 0 : p->step];
    /* the text scrolls (mouse wheel) when it is taller than the panel; the step buttons stay */
    float top = y, view_h = bottom - top;
    ren_clip(ren, r.x, top, r.w, view_h + 8);
    y -= p->scroll;
    snprintf(buf, sizeof buf, "%s · step %d of %d", l->title, p->step + 1, l->n_steps);
    y += plain_runs(ren, x, y, w, buf, 0, 13, lk->f.muted, lk, 1) + 4;
    for (int s = 0; s < l->n_steps && s < 64; s++) {
        ren_rect(ren, x + s * 14, y, 9, 7, s == p->step ? lk->accent : s < p->step ? lk->f.muted : lk->chip);
        lay->marks[lay->n_marks++] = (UiRect){x + s * 14 - 2, y - 4, 13, 15};
    }
    y += 16;
    y += plain_runs(ren, x, y, w, st->title, LESSON_STRONG, 21, lk->f.fg, lk, 1) + 8;
    float size = 16;
    for (int i = 0; i < st->n_paras; i++) {
        const LessonPara *pa = &st->paras[i];
        float ix = x, iw = w;
        if (pa->kind == LP_BULLET || pa->kind == LP_NUMBERED) {
            ix = x + 20 + 18 * pa->depth;
            iw = w - (ix - x);
            if (pa->kind == LP_BULLET) snprintf(buf, sizeof buf, "•");
            else snprintf(buf, sizeof buf, "%d.", pa->number);
            ren_text(ren, ix - 18, y, buf, size, REN_REGULAR, lk->f.fg, REN_LEFT);
        }
        if (pa->kind == LP_HEADING) {
            y += rich(ren, ix, y, iw, pa->runs, pa->n_runs, 17, lk->f.fg, lk, 1) + 4;
            continue;
        }
        if (pa->kind == LP_IMAGE) {
            snprintf(buf, sizeof buf, "[picture: %s]", pa->image);
            y += plain_runs(ren, ix, y, iw, buf, LESSON_EM, 14, lk->f.muted, lk, 1);
            y += rich(ren, ix, y, iw, pa->runs, pa->n_runs, 14, lk->f.muted, lk, 1) + 8;
            continue;
        }
        y += rich(ren, ix, y, iw, pa->runs, pa->n_runs, size, lk->f.fg, lk, 1);
        y += pa->kind == LP_PARA ? 10 : 4;
    }
    if (st->has_question) {
        y += 6;
        float qh = 0;
        ren_rect(ren, x - 8, y - 4, w + 16, 3, lk->accent);
        y += 8;
        ren_text(ren, x, y, "Predict, then check", 13, REN_BOLD, lk->accent, REN_LEFT);
        y += 22;
        y += plain_runs(ren, x, y, w, st->ask, LESSON_STRONG, 16, lk->f.fg, lk, 1) + 8;
        if (st->n_choices > 0) {
            float cx = x;
            for (int c = 0; c < st->n_choices && c < 16; c++) {
                snprintf(buf, sizeof buf, "%d  %s", c + 1, st->choices[c]);
                float bw = ren_text_width(ren, buf, 15, REN_REGULAR) + 22;
                if (cx + bw > x + w && cx > x) { cx = x; y += 36; }
                int chosen = p->answered && p->chosen == c + 1;
                int right = p->answered && c + 1 == st->answer;
                RenColor bg = right ? (RenColor){60, 160, 90, 255} : chosen ? lk->error : lk->f.bg;
                ren_rect(ren, cx, y, bw, 30, bg);
                ren_frame(ren, cx, y, bw, 30, 1, lk->f.grid);
                ren_text(ren, cx + 11, y + 6, buf, 15, REN_REGULAR, right || chosen ? (RenColor){255, 255, 255, 255} : lk->f.fg, REN_LEFT);
                /* a choice scrolled out of view cannot be clicked */
                int visible = y >= top && y + 30 <= bottom + 8;
                lay->choices[lay->n_choices++] = visible ? (UiRect){cx, y, bw, 30} : (UiRect){0, 0, 0, 0};
                cx += bw + 8;
            }
            y += 40;
        } else {
            UiRect box = {x, y, fminf(200.0f, w), 32};
            if (y >= top && y + 32 <= bottom + 8) lay->answer_box = box;
            ren_rect(ren, box.x, box.y, box.w, box.h, lk->f.bg);
            ren_frame(ren, box.x, box.y, box.w, box.h, p->typing ? 2 : 1, p->typing ? lk->accent : lk->f.grid);
            if (p->answered) snprintf(buf, sizeof buf, "%s", p->typed);
            else snprintf(buf, sizeof buf, "%s%s", p->typed, p->typing ? "|" : "");
            ren_text(ren, box.x + 8, box.y + 6, buf[0] ? buf : "type a number, Enter", 15, REN_REGULAR,
                     buf[0] ? lk->f.fg : lk->f.muted, REN_LEFT);
            y += 44;
        }
        if (p->answered) {
            RenColor verdict = p->correct ? (RenColor){40, 150, 80, 255} : lk->error;
            if (st->n_choices > 0)
                snprintf(buf, sizeof buf, p->correct ? "Right." : "Not quite: the answer is %d.", st->answer);
            else
                snprintf(buf, sizeof buf, p->correct ? "Right." : "Not quite: the answer is %g.", st->number);
            ren_text(ren, x, y, buf, 16, REN_BOLD, verdict, REN_LEFT);
            y += 26;
            qh = rich(ren, x, y, w, st->reveal_runs, st->n_reveal_runs, 15, lk->f.fg, lk, 1);
            y += qh;
        } else {
            plain_runs(ren, x, y, w, st->n_choices ? "Choose with the mouse or the number keys." : "Type your answer and press Enter.",
                       LESSON_EM, 13, lk->f.muted, lk, 1);
        }
    }
    ren_clip(ren, 0, 0, 0, 0);
    float content = y + p->scroll - top;
    lay->narration_scroll_max = content > view_h ? content - view_h + 16 : 0;
    if (lay->narration_scroll_max > 0) {
        /* a bar shows where in the text the view is, and that there is more */
        float bar_h = view_h * view_h / (content + 16), bar_y = top + (view_h - bar_h) * (p->scroll / lay->narration_scroll_max);
        ren_rect(ren, r.x + r.w - 6, bar_y, 4, bar_h, lk->f.muted);
        if (p->scroll < lay->narration_scroll_max - 1)
            ren_text(ren, r.x + r.w / 2, bottom - 4, "more below: scroll", 11, REN_ITALIC, lk->accent, REN_CENTER);
    }
    /* the step buttons at the foot of the panel */
    float by = r.y + r.h - 40;
    UiRect prev = {x, by, 110, 30}, next = {x + w - 110, by, 110, 30};
    lay->lesson_prev = prev;
    lay->lesson_next = next;
    ren_rect(ren, prev.x, prev.y, prev.w, prev.h, p->step > 0 ? lk->chip : lk->panel);
    ren_text(ren, prev.x + prev.w / 2, prev.y + 6, "← back", 15, REN_REGULAR, p->step > 0 ? lk->f.fg : lk->f.muted, REN_CENTER);
    int more = p->step + 1 < l->n_steps;
    ren_rect(ren, next.x, next.y, next.w, next.h, more ? lk->accent : lk->chip);
    ren_text(ren, next.x + next.w / 2, next.y + 6, more ? "next →" : "the end", 15, REN_BOLD,
             more ? (RenColor){255, 255, 255, 255} : lk->f.muted, REN_CENTER);
    ren_text(ren, r.x + r.w / 2, by - 18, "← →: steps · Home: this step again · F2: lessons", 11, REN_REGULAR, lk->f.muted, REN_CENTER);
}

static void draw_menu(Ren *ren, const App *app, float w, float h, UiLayout *lay, const Look *lk)
{
    const Player *p = &app->player;
    ren_rect(ren, 0, 0, w, h, lk->shadow);
    float bw = fminf(760.0f, w - 80), rowh = 34;
    float bh = (p->n_files + 1) * rowh + 90, x = (w - bw) / 2, y = fmaxf(30.0f, (h - bh) / 2);
    ren_rect(ren, x, y, bw, bh, lk->panel);
    ren_frame(ren, x, y, bw, bh, 2, lk->accent);
    ren_text(ren, x + 24, y + 16, "lessons", 20, REN_BOLD, lk->f.fg, REN_LEFT);
    ren_text(ren, x + bw - 24, y + 22, "Up/Down, Enter · Esc closes", 12, REN_REGULAR, lk->f.muted, REN_RIGHT);
    float ry = y + 56;
    char buf[300];
    for (int i = 0; i <= p->n_files && i < PLAYER_MAX_LESSONS + 1; i++) {
        UiRect r = {x + 12, ry, bw - 24, rowh - 4};
        lay->menu[lay->n_menu++] = r;
        int sel = app->menu_sel == i;
        if (sel) ren_rect(ren, r.x, r.y, r.w, r.h, lk->accent_soft);
        if (i < p->n_files) {
            ren_text(ren, r.x + 12, r.y + 6, p->titles[i] ? p->titles[i] : "?", 16, sel ? REN_BOLD : REN_REGULAR, lk->f.fg, REN_LEFT);
            if (p->steps[i] > 0 && p->progress[i] > 0) snprintf(buf, sizeof buf, "step %d of %d", p->progress[i], p->steps[i]);
            else if (p->steps[i] > 0) snprintf(buf, sizeof buf, "%d steps", p->steps[i]);
            else snprintf(buf, sizeof buf, "does not open");
            ren_text(ren, r.x + r.w - 12, r.y + 8, buf, 13, REN_REGULAR, lk->f.muted, REN_RIGHT);
        } else {
            ren_text(ren, r.x + 12, r.y + 6, "no lesson: explore freely", 16, sel ? REN_BOLD : REN_REGULAR, lk->f.muted, REN_LEFT);
        }
        ry += rowh;
    }
}

/* Frames the cells a lesson step points at, in the figure drawn first. */
static void draw_highlights(Ren *ren, const App *app, const UiLayout *lay, const Look *lk)
{
    const Player *p = &app->player;
    if (!app->lesson_on || p->n_highlight == 0 || lay->n_figs == 0) return;
    const FigLayout *fl = &lay->figs[0];
    int panel = lay->fig_views[0] == FIG_HEADS ? app->fig.head : 0;
    for (int i = 0; i < p->n_highlight; i++) {
        float cx, cy, size;
        if (fig_layout_cell(fl, panel, p->highlight[i][0], p->highlight[i][1], &cx, &cy, &size))
            ren_frame(ren, cx - 2, cy - 2, size + 4, size + 4, 3, lk->accent);
    }
}

void ui_draw(Ren *ren, const App *app, float w, float h, UiLayout *lay)
{
    Look lk = look_of(app->fig.dark);
    memset(lay, 0, sizeof *lay);
    lay->scale = ren_scale(ren);
    lay->w = w;
    lay->h = h;
    if (app->blank) {
        ren_rect(ren, 0, 0, w, h, (RenColor){0, 0, 0, 255});
        return;
    }
    ren_rect(ren, 0, 0, w, h, lk.f.bg);
    draw_top(ren, app, w, lay, &lk);
    draw_tabs(ren, app, w, lay, &lk);
    draw_side(ren, app, h, lay, &lk);
    UiRect main = {SIDE_W + PAD, TOP_H + TABS_H, w - SIDE_W - 2 * PAD, h - TOP_H - TABS_H - STATUS_H - 4};
    if (app->lesson_on) {
        /* the narration takes the right of the main area */
        float nw = fminf(fmaxf(main.w * 0.38f, 340.0f), 560.0f);
        draw_narration(ren, app, (UiRect){main.x + main.w - nw + PAD, main.y, nw, main.h + 4}, lay, &lk);
        main.w -= nw + 4;
    }
    lay->main = main;
    if (app->have_trace && main.w > 50 && main.h > 50) {
        ren_clip_base(ren, main.x, main.y, main.w, main.h);
        if (app->tab == TAB_STEP) {
            draw_step(ren, app, main, lay, &lk);
        } else if (app->tab == TAB_OVERVIEW) {
            float hw = main.w / 2, hh = main.h / 2;
            draw_fig(ren, app, FIG_WEIGHTS, (UiRect){main.x, main.y, hw, hh}, lay);
            draw_fig(ren, app, FIG_HEADS, (UiRect){main.x + hw, main.y, hw, hh}, lay);
            draw_fig(ren, app, FIG_QKV, (UiRect){main.x, main.y + hh, hw, hh}, lay);
            draw_fig(ren, app, FIG_OUT, (UiRect){main.x + hw, main.y + hh, hw, hh}, lay);
        } else {
            draw_fig(ren, app, app_tab_view(app->tab), main, lay);
            draw_highlights(ren, app, lay, &lk);
        }
        ren_clip_base(ren, 0, 0, 0, 0);
    }
    draw_status(ren, app, w, h, &lk);
    if (app->hover_on && app->have_trace && !app->help && !app->player.menu) draw_tooltip(ren, app, w, h, &lk);
    if (app->player.menu) draw_menu(ren, app, w, h, lay, &lk);
    if (app->help) draw_help(ren, w, h, &lk);
}

int ui_hit(const UiLayout *lay, float x, float y, FigHit *hit)
{
    for (int f = 0; f < lay->n_figs; f++)
        if (ui_in(lay->fig_rects[f], x, y) && fig_layout_hit(&lay->figs[f], x, y, hit)) return 1;
    for (int c = lay->n_cells - 1; c >= 0; c--)
        if (ui_in(lay->cells[c].r, x, y)) {
            *hit = lay->cells[c].hit;
            return 1;
        }
    return 0;
}

int ui_fig_at(const UiLayout *lay, float x, float y)
{
    for (int f = 0; f < lay->n_figs; f++)
        if (ui_in(lay->fig_rects[f], x, y)) return (int)lay->fig_views[f];
    return -1;
}

static void centre(UiRect r, float *x, float *y)
{
    *x = r.x + r.w / 2;
    *y = r.y + r.h / 2;
}

int ui_find(const UiLayout *lay, const App *app, const char *name, float *x, float *y)
{
    if (strcmp(name, "text") == 0) { centre(lay->text_box, x, y); return 1; }
    if (strcmp(name, "answer") == 0 && lay->answer_box.w > 0) { centre(lay->answer_box, x, y); return 1; }
    if (strcmp(name, "lesson:next") == 0 && lay->lesson_next.w > 0) { centre(lay->lesson_next, x, y); return 1; }
    if (strcmp(name, "lesson:prev") == 0 && lay->lesson_prev.w > 0) { centre(lay->lesson_prev, x, y); return 1; }
    if (strncmp(name, "choice:", 7) == 0) {
        int c = atoi(name + 7) - 1;
        if (c < 0 || c >= lay->n_choices) return 0;
        centre(lay->choices[c], x, y);
        return 1;
    }
    if (strncmp(name, "mark:", 5) == 0) {
        int m = atoi(name + 5) - 1;
        if (m < 0 || m >= lay->n_marks) return 0;
        centre(lay->marks[m], x, y);
        return 1;
    }
    if (strncmp(name, "menu:", 5) == 0) {
        int m = atoi(name + 5) - 1;
        if (m < 0 || m >= lay->n_menu) return 0;
        centre(lay->menu[m], x, y);
        return 1;
    }
    if (strncmp(name, "tab:", 4) == 0) {
        for (int t = 0; t < TAB_COUNT; t++)
            if (strcmp(app_tab_name((AppTab)t), name + 4) == 0) { centre(lay->tabs[t], x, y); return 1; }
        return 0;
    }
    if (strncmp(name, "field:", 6) == 0) {
        for (int f = 0; f < FIELD_COUNT; f++)
            if (strcmp(app_field_name((AppField)f), name + 6) == 0) { centre(lay->fields[f], x, y); return 1; }
        return 0;
    }
    if (strncmp(name, "token:", 6) == 0) {
        int tok = atoi(name + 6) - 1;
        for (int c = 0; c < lay->n_chips; c++)
            if (lay->chip_token[c] == tok) { centre(lay->chips[c], x, y); return 1; }
        return 0;
    }
    if (strncmp(name, "cell:", 5) == 0) {
        char view[32];
        int row, col;
        const char *p = name + 5, *colon = strchr(p, ':');
        if (!colon || colon - p >= (long)sizeof view) return 0;
        snprintf(view, sizeof view, "%.*s", (int)(colon - p), p);
        if (sscanf(colon + 1, "%d:%d", &row, &col) != 2) return 0;
        row--;
        col--;
        FigView fv;
        if (fig_view_parse(view, &fv) == 0) {
            for (int f = 0; f < lay->n_figs; f++) {
                if ((int)lay->fig_views[f] != (int)fv) continue;
                float cx, cy, size;
                /* the panel of the head shown (all heads: the head's own panel) */
                int panel = fv == FIG_HEADS ? app->fig.head : 0;
                if (fig_layout_cell(&lay->figs[f], panel, row, col, &cx, &cy, &size)) {
                    *x = cx + size / 2;
                    *y = cy + size / 2;
                    return 1;
                }
            }
        }
        return 0;
    }
    return 0;
}
