/* fig.c: builds a figure (title, matrix panels, colour bar or legend, footer) for each view
 * of a trace, lays it out, and draws it through ren. Layout and drawing are one pass with a
 * "draw" switch, so what is measured is exactly what is drawn. */
#include "fig.h"
#include "crossfig.h"
#include "graphfig.h"
#include "speechfig.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PANELS 72
#define MARGIN 18.0f
#define GAP_X 26.0f
#define GAP_Y 20.0f
#define TITLE_PX 17.0f
#define SUB_PX 12.5f
#define PANEL_PX 13.0f
#define LABEL_PX 12.0f
#define AXIS_PX 11.5f
#define FOOT_PX 11.0f
#define MAX_LABEL_W 110.0f
#define BAR_W 14.0f

typedef float (*GetFn)(const AttnTrace *t, int head, int r, int c);

/* LBL_POS: a token with its 0-based position; LBL_DIM0: a 0-based dimension, as the
 * positional-encoding formula counts them */
enum { LBL_TOKEN, LBL_POS, LBL_DIM, LBL_DIM0, LBL_ROW, LBL_COL, LBL_NONE };
/* how a picture panel colours its patches */
enum { PIC_NONE, PIC_QUERY, PIC_AVERAGE, PIC_RECEIVED, PIC_FIELD };
enum { MASK_IGNORE, MASK_OVERLAY, MASK_REPLACE_INF, MASK_REPLACE_ZERO, MASK_ITSELF };

typedef struct {
    char title[160];
    int rows, cols;      /* data shape: rows are tokens (queries) where lbl_row is a token */
    GetFn get;
    int head;
    int mask_mode;
    int lbl_row, lbl_col;
    const char *row_axis, *col_axis;
    int flip;            /* draw transposed: data (r, c) at screen (c, r) */
    int stats;           /* weights: max and entropy columns at the right */
    FigQuantity q;
    int r0, rn, c0, cn;  /* the data rows and columns shown (zoom and pan) */
    int pic;             /* a picture panel (PIC_*): rows x cols patches of the picture */
    const float *data;   /* values straight from an array (a Transformer block's stages) */
    int stride;
    float *heat;         /* a picture panel's value per patch (owned by the Fig) */
    const AttnTrace *src;/* the trace the panel shows, when not the figure's */
    /* layout results, logical pixels */
    float x, y, w, h;    /* the panel's box */
    float mx, my;        /* top-left of the first cell */
} Panel;

typedef struct {
    char title[240], subtitle[320], footer[240];
    Panel p[MAX_PANELS];
    int n, grid_cols;
    CmapKind cmap;
    float lo, hi;
    int colour_bar;      /* 0: the mask legend instead */
    float cell;
    int numbers;
    int dark;
    int compact;         /* a window panel: no subtitle or footer, small margins */
    int query;           /* the picture views' query patch */
    float w, h;
    float body_w;        /* the width of the panels and the legend alone (w less long text) */
} Fig;

typedef FigTheme Theme;

static Theme theme_of(int dark);

FigTheme fig_theme(int dark) { return theme_of(dark); }

static Theme theme_of(int dark)
{
    Theme light = {{255, 255, 255, 255}, {24, 24, 28, 255}, {96, 99, 106, 255},
                   {214, 216, 222, 255}, {236, 236, 238, 255}, {150, 150, 158, 255},
                   {206, 226, 246, 255}};
    Theme darkt = {{22, 24, 29, 255}, {232, 233, 236, 255}, {152, 158, 168, 255},
                   {58, 62, 70, 255}, {40, 43, 50, 255}, {104, 110, 122, 255},
                   {52, 86, 128, 255}};
    return dark ? darkt : light;
}

RenColor fig_background(int dark) { return theme_of(dark).bg; }

FigOptions fig_options_default(void)
{
    FigOptions o;
    memset(&o, 0, sizeof o);
    o.view = FIG_WEIGHTS;
    o.cmap = -1;
    o.numbers = FIG_NUMBERS_AUTO;
    o.decode_step = -1;
    return o;
}

static const char *const view_names[FIG_COUNT] = {
    "inputs", "qkv", "scores", "scaled", "mask", "weights", "out", "output", "heads", "pe", "params",
    "picture", "cnn", "block", "cross", "graph", "compare", "speech"};

const char *fig_view_name(FigView v) { return v < FIG_COUNT ? view_names[v] : "?"; }

int fig_view_parse(const char *name, FigView *out)
{
    if (strcmp(name, "overlay") == 0) { /* the picture's overlay, by its other name */
        *out = FIG_PICTURE;
        return 0;
    }
    for (int i = 0; i < FIG_COUNT; i++)
        if (strcmp(name, view_names[i]) == 0) { *out = (FigView)i; return 0; }
    return -1;
}

const char *fig_view_names(void)
{
    return "inputs|qkv|scores|scaled|mask|weights|out|output|heads|pe|params|picture|cnn|block|cross|graph|compare|speech";
}

const char *const fig_keys[] = {"view", "head", "orient", "cmap", "theme", "numbers", "cell", "query", "query-patch",
                                "layer", "decode-step", NULL};

int fig_set(FigOptions *o, const char *key, const char *v, char *err, size_t errlen)
{
    if (strcmp(key, "view") == 0) {
        FigView fv;
        if (fig_view_parse(v, &fv)) {
            snprintf(err, errlen, "--view: unknown view '%s' (allowed: %s)", v, fig_view_names());
            return -1;
        }
        o->view = fv;
    } else if (strcmp(key, "head") == 0) {
        char *end;
        long h = strtol(v, &end, 10);
        if (end == v || *end || h < 1 || h > ATTN_MAX_HEADS) {
            snprintf(err, errlen, "--head: '%s' is not a head number 1..%d", v, ATTN_MAX_HEADS);
            return -1;
        }
        o->head = (int)h - 1;
    } else if (strcmp(key, "orient") == 0) {
        if (strcmp(v, "qk") == 0) o->transposed = 0;
        else if (strcmp(v, "kq") == 0) o->transposed = 1;
        else {
            snprintf(err, errlen, "--orient: unknown value '%s' (allowed: qk|kq)", v);
            return -1;
        }
    } else if (strcmp(key, "cmap") == 0) {
        CmapKind k;
        if (strcmp(v, "auto") == 0) o->cmap = -1;
        else if (cmap_parse(v, &k) == 0) o->cmap = (int)k;
        else {
            snprintf(err, errlen, "--cmap: unknown colour map '%s' (allowed: auto|%s)", v, cmap_names());
            return -1;
        }
    } else if (strcmp(key, "theme") == 0) {
        if (strcmp(v, "light") == 0) o->dark = 0;
        else if (strcmp(v, "dark") == 0) o->dark = 1;
        else {
            snprintf(err, errlen, "--theme: unknown theme '%s' (allowed: light|dark)", v);
            return -1;
        }
    } else if (strcmp(key, "numbers") == 0) {
        if (strcmp(v, "on") == 0) o->numbers = FIG_NUMBERS_ON;
        else if (strcmp(v, "off") == 0) o->numbers = FIG_NUMBERS_OFF;
        else if (strcmp(v, "auto") == 0) o->numbers = FIG_NUMBERS_AUTO;
        else {
            snprintf(err, errlen, "--numbers: unknown value '%s' (allowed: on|off|auto)", v);
            return -1;
        }
    } else if (strcmp(key, "query") == 0 || strcmp(key, "query-patch") == 0) {
        char *end;
        long q = strtol(v, &end, 10);
        if (end == v || *end || q < 1 || q > ATTN_MAX_N) {
            snprintf(err, errlen, "--query: '%s' is not a token number 1..%d", v, ATTN_MAX_N);
            return -1;
        }
        o->query = (int)q - 1;
    } else if (strcmp(key, "layer") == 0) {
        char *end;
        long l = strtol(v, &end, 10);
        if (end == v || *end || l < 1 || l > 12) {
            snprintf(err, errlen, "--layer: '%s' is not a block number 1..12", v);
            return -1;
        }
        o->layer = (int)l - 1;
    } else if (strcmp(key, "decode-step") == 0) {
        char *end;
        long st = strtol(v, &end, 10);
        if (strcmp(v, "all") == 0) {
            o->decode_step = -1;
        } else if (end == v || *end || st < 1 || st > CROSS_MAX_N) {
            snprintf(err, errlen, "--decode-step: '%s' is not a target step 1..%d or all", v, CROSS_MAX_N);
            return -1;
        } else {
            o->decode_step = (int)st - 1;
        }
    } else if (strcmp(key, "cell") == 0) {
        char *end;
        long px = strtol(v, &end, 10);
        if (end == v || *end || px < 2 || px > 200) {
            snprintf(err, errlen, "--cell: '%s' is outside the limit 2..200", v);
            return -1;
        }
        o->cell = (float)px;
    } else {
        return 1;
    }
    return 0;
}

void fig_get(const FigOptions *o, const char *key, char *out, size_t len)
{
    static const char *const numbers[] = {"auto", "on", "off"};
    if (strcmp(key, "view") == 0) snprintf(out, len, "%s", fig_view_name(o->view));
    else if (strcmp(key, "head") == 0) snprintf(out, len, "%d", o->head + 1);
    else if (strcmp(key, "orient") == 0) snprintf(out, len, "%s", o->transposed ? "kq" : "qk");
    else if (strcmp(key, "cmap") == 0) snprintf(out, len, "%s", o->cmap < 0 ? "auto" : cmap_name((CmapKind)o->cmap));
    else if (strcmp(key, "theme") == 0) snprintf(out, len, "%s", o->dark ? "dark" : "light");
    else if (strcmp(key, "numbers") == 0) snprintf(out, len, "%s", numbers[o->numbers]);
    else if (strcmp(key, "cell") == 0) snprintf(out, len, "%g", (double)o->cell);
    else if (strcmp(key, "query") == 0) snprintf(out, len, "%d", o->query + 1);
    else if (strcmp(key, "layer") == 0) snprintf(out, len, "%d", o->layer + 1);
    else if (strcmp(key, "decode-step") == 0) {
        if (o->decode_step < 0) snprintf(out, len, "all");
        else snprintf(out, len, "%d", o->decode_step + 1);
    }
    else if (len) out[0] = 0;
}

/* ---------------------------------------------------------------- values */

static float g_a(const AttnTrace *t, int h, int r, int c) { (void)h; return t->a[(size_t)r * t->d_model + c]; }
static float g_pe(const AttnTrace *t, int h, int r, int c) { (void)h; return t->pe[(size_t)r * t->d_model + c]; }
static float g_x(const AttnTrace *t, int h, int r, int c) { (void)h; return t->x[(size_t)r * t->d_model + c]; }
static float g_q(const AttnTrace *t, int h, int r, int c) { return t->head[h].q[(size_t)r * t->d_head + c]; }
static float g_k(const AttnTrace *t, int h, int r, int c) { return t->head[h].k[(size_t)r * t->d_head + c]; }
static float g_v(const AttnTrace *t, int h, int r, int c) { return t->head[h].v[(size_t)r * t->d_head + c]; }
static float g_scores(const AttnTrace *t, int h, int r, int c) { return t->head[h].scores[(size_t)r * t->n + c]; }
static float g_scaled(const AttnTrace *t, int h, int r, int c) { return attn_scaled(t, h, r, c); }
static float g_weights(const AttnTrace *t, int h, int r, int c) { return t->head[h].weights[(size_t)r * t->n + c]; }
static float g_mask(const AttnTrace *t, int h, int r, int c) { (void)h; return (float)attn_allowed(t, r, c); }
static float g_out(const AttnTrace *t, int h, int r, int c) { return t->head[h].out[(size_t)r * t->d_head + c]; }
static float g_output(const AttnTrace *t, int h, int r, int c) { (void)h; return t->output[(size_t)r * t->d_model + c]; }
static float g_wq(const AttnTrace *t, int h, int r, int c) { return t->head[h].wq[(size_t)r * t->d_head + c]; }
static float g_wk(const AttnTrace *t, int h, int r, int c) { return t->head[h].wk[(size_t)r * t->d_head + c]; }
static float g_wv(const AttnTrace *t, int h, int r, int c) { return t->head[h].wv[(size_t)r * t->d_head + c]; }
static float g_wo(const AttnTrace *t, int h, int r, int c) { (void)h; return t->wo[(size_t)r * t->d_model + c]; }

static FigQuantity quantity_of(GetFn g)
{
    static const struct { GetFn g; FigQuantity q; } map[] = {
        {g_a, FQ_A}, {g_pe, FQ_PE}, {g_x, FQ_X}, {g_q, FQ_Q}, {g_k, FQ_K}, {g_v, FQ_V},
        {g_scores, FQ_SCORES}, {g_scaled, FQ_SCALED}, {g_weights, FQ_WEIGHTS}, {g_mask, FQ_MASK},
        {g_out, FQ_OUT}, {g_output, FQ_OUTPUT}, {g_wq, FQ_WQ}, {g_wk, FQ_WK}, {g_wv, FQ_WV},
        {g_wo, FQ_WO}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].g == g) return map[i].q;
    return FQ_NONE;
}

/* A visible range [first, first + count) clamped into [0, total). */
static void clamp_range(int first, int count, int total, int *r0, int *rn)
{
    if (count <= 0 || count > total) count = total;
    if (first < 0) first = 0;
    if (first + count > total) first = total - count;
    *r0 = first;
    *rn = count;
}

/* ---------------------------------------------------------------- words */

static void mask_words(char *out, size_t len, const AttnTrace *t)
{
    switch (t->mask) {
    case ATTN_MASK_NONE: snprintf(out, len, "no mask"); break;
    case ATTN_MASK_CAUSAL: snprintf(out, len, "causal mask"); break;
    case ATTN_MASK_WINDOW: snprintf(out, len, "window ±%d mask", t->mask_param); break;
    case ATTN_MASK_PADDING: snprintf(out, len, "padding mask (last %d)", t->mask_param); break;
    case ATTN_MASK_GRAPH: snprintf(out, len, "graph mask"); break;
    case ATTN_MASK_CUSTOM: snprintf(out, len, "custom mask"); break;
    case ATTN_MASK_CONV: snprintf(out, len, "%d×%d receptive field (CNN)", t->mask_param, t->mask_param); break;
    }
}

/* The score expression: "QKᵀ/√8", "KᵀQ", "vᵃ·tanh(Wᵃ[q;k])" */
static void score_words(char *out, size_t len, const AttnTrace *t, int transposed)
{
    const char *prod = transposed ? "KᵀQ" : "QKᵀ";
    if (t->score == ATTN_SCORE_ADDITIVE) snprintf(out, len, "vᵃ·tanh(Wᵃ[q;k])");
    else if (t->score == ATTN_SCORE_SCALED) snprintf(out, len, "%s/√%d", prod, t->d_head);
    else snprintf(out, len, "%s", prod);
}

static void norm_words(char *out, size_t len, const AttnTrace *t, int transposed)
{
    char s[64], temp[48] = "";
    score_words(s, sizeof s, t, transposed);
    if (t->temperature != 1.0f) snprintf(temp, sizeof temp, " / T, T = %g", (double)t->temperature);
    if (t->norm == ATTN_NORM_RELU) snprintf(out, len, "ReLU(%s%s) / Σ", s, temp);
    else snprintf(out, len, "softmax(%s%s)", s, temp);
}

void fig_format_count(char *out, size_t len, long long v)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%lld", v < 0 ? -v : v), k = 0;
    size_t o = 0;
    if (v < 0 && o + 1 < len) out[o++] = '-';
    for (int i = 0; i < nd && o + 2 < len; i++) {
        out[o++] = digits[i];
        k = nd - 1 - i;
        if (k > 0 && k % 3 == 0 && o + 2 < len) out[o++] = ',';
    }
    out[o] = 0;
}

void fig_format_bytes(char *out, size_t len, double bytes)
{
    if (bytes < 1024) snprintf(out, len, "%.0f B", bytes);
    else if (bytes < 1024.0 * 1024) snprintf(out, len, "%.1f KB", bytes / 1024);
    else if (bytes < 1024.0 * 1024 * 1024) snprintf(out, len, "%.1f MB", bytes / (1024.0 * 1024));
    else snprintf(out, len, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
}

void fig_title(char *out, size_t len, const AttnTrace *t, const FigOptions *o)
{
    char m[48], s[64], nw[128];
    int h = o->head + 1;
    mask_words(m, sizeof m, t);
    score_words(s, sizeof s, t, o->transposed);
    norm_words(nw, sizeof nw, t, o->transposed);
    const char *sym = o->transposed ? "A" : "α";
    switch (o->view) {
    case FIG_INPUTS:
        if (t->posenc == ATTN_PE_NONE) snprintf(out, len, "inputs · x = a + e (no positional encoding: e = 0)");
        else snprintf(out, len, "inputs · x = a + e (%s positions)", attn_posenc_name(t->posenc));
        break;
    case FIG_QKV: snprintf(out, len, "head %d · q = xWq, k = xWk, v = xWv", h); break;
    case FIG_SCORES:
        snprintf(out, len, "head %d · raw scores %s = %s", h, sym,
                 t->score == ATTN_SCORE_ADDITIVE ? "vᵃ·tanh(Wᵃ[q;k])" : o->transposed ? "KᵀQ" : "QKᵀ");
        break;
    case FIG_SCALED: snprintf(out, len, "head %d · scores %s · %s (masked = −∞)", h, s, m); break;
    case FIG_MASK: snprintf(out, len, "%s · 1 = may attend, 0 = masked", m); break;
    case FIG_WEIGHTS: snprintf(out, len, "head %d · α′ = %s · %s", h, nw, m); break;
    case FIG_OUT: snprintf(out, len, "head outputs α′V, merged: b = [out¹ … out%s]Wᴼ", t->heads > 1 ? "ᴴ" : "¹"); break;
    case FIG_OUTPUT: snprintf(out, len, "outputs b = concat(heads) · Wᴼ"); break;
    case FIG_HEADS: snprintf(out, len, "all %d heads · α′ = %s · %s", t->heads, nw, m); break;
    case FIG_PE: snprintf(out, len, "positional encoding e (%s)", attn_posenc_name(t->posenc)); break;
    case FIG_PARAMS:
        snprintf(out, len, "weights of head %d and the merge Wᴼ (%s%s)", h, attn_weights_name(t->weights_preset),
                 t->explicit_params ? ", some given by the scene" : "");
        break;
    case FIG_PICTURE: snprintf(out, len, "where patch %d looks · α′ = %s · %s", o->query + 1, nw, m); break;
    case FIG_CNN: snprintf(out, len, "patch %d: a CNN's fixed window beside self-attention's learned reach", o->query + 1); break;
    case FIG_BLOCK:
        if (o->block) snprintf(out, len, "Transformer block %d of %d: attention, add, normalise, MLP, add, normalise", o->layer + 1, o->block->layers);
        else snprintf(out, len, "no Transformer block: set layers to 1 or more");
        break;
    case FIG_GRAPH:
        snprintf(out, len, "graph · node %d attends along its edges · head %d", o->query + 1, h);
        break;
    case FIG_CROSS:
        if (o->cross) snprintf(out, len, "encoder–decoder attention · %s scoring", cross_score_name(o->cross->score));
        else snprintf(out, len, "no encoder–decoder scene");
        break;
    case FIG_COMPARE:
        if (t->mask == ATTN_MASK_NONE) snprintf(out, len, "head %d · full attention (no mask to compare with)", h);
        else snprintf(out, len, "head %d · full attention beside attention under the %s", h, m);
        break;
    case FIG_SPEECH:
        snprintf(out, len, "%s %d%s · head %d · α′ = %s · %s", t->wave ? "frame" : "token", o->query + 1,
                 t->wave ? " of the sound" : "", h, nw, m);
        break;
    default: snprintf(out, len, "?"); break;
    }
}

/* ---------------------------------------------------------------- building */

static Panel *add_panel(Fig *f, const char *title, int rows, int cols, GetFn get, int head,
                        int lbl_row, int lbl_col, const char *row_axis, const char *col_axis)
{
    if (f->n >= MAX_PANELS) return NULL;
    Panel *p = &f->p[f->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->title, sizeof p->title, "%s", title);
    p->rows = rows;
    p->cols = cols;
    p->get = get;
    p->head = head;
    p->lbl_row = lbl_row;
    p->lbl_col = lbl_col;
    p->row_axis = row_axis;
    p->col_axis = col_axis;
    return p;
}

/* An N x N panel of query/key values; transposed draws keys as rows, as in A = KᵀQ. */
static Panel *add_square(Fig *f, const FigOptions *o, const AttnTrace *t, const char *title,
                         GetFn get, int head, int mask_mode)
{
    Panel *p = add_panel(f, title, t->n, t->n, get, head, LBL_TOKEN, LBL_TOKEN, "query i", "key j");
    if (!p) return NULL;
    p->mask_mode = mask_mode;
    p->flip = o->transposed;
    return p;
}

static Panel *add_tokens(Fig *f, const char *title, int cols, GetFn get, int head)
{
    return add_panel(f, title, 0, cols, get, head, LBL_TOKEN, LBL_DIM, "token", "dimension");
}

static void build(Fig *f, Ren *ren, const AttnTrace *t, const FigOptions *o)
{
    (void)ren;
    for (int i = 0; i < f->n; i++) free(f->p[i].heat);
    memset(f, 0, sizeof *f);
    int H = t->heads, hd = o->head < 0 ? 0 : o->head >= H ? H - 1 : o->head;
    int n = t->n, dm = t->d_model, dh = t->d_head;
    char buf[160];
    int signed_data = 1;
    fig_title(f->title, sizeof f->title, t, o);
    f->grid_cols = 8;
    f->colour_bar = 1;
    f->dark = o->dark;
    f->compact = o->compact;
    f->query = o->query < 0 ? 0 : o->query >= t->n ? t->n - 1 : o->query;
    const char *orient = o->transposed
        ? "columns: queries i · rows: keys j (the lecture's A = KᵀQ)"
        : "rows: queries i · columns: keys j (QKᵀ, as in papers)";
    switch (o->view) {
    case FIG_INPUTS:
        add_tokens(f, "a  (embedding)", dm, g_a, 0);
        add_tokens(f, "e  (position)", dm, g_pe, 0);
        add_tokens(f, "x = a + e", dm, g_x, 0);
        snprintf(f->subtitle, sizeof f->subtitle, "one row per token, one column per dimension of d_model = %d", dm);
        break;
    case FIG_QKV:
        add_tokens(f, "q = xWq", dh, g_q, hd);
        add_tokens(f, "k = xWk", dh, g_k, hd);
        add_tokens(f, "v = xWv", dh, g_v, hd);
        snprintf(f->subtitle, sizeof f->subtitle, "one row per token, d_head = %d", dh);
        break;
    case FIG_SCORES:
        add_square(f, o, t, "", g_scores, hd, t->mask == ATTN_MASK_NONE ? MASK_IGNORE : MASK_OVERLAY);
        snprintf(f->subtitle, sizeof f->subtitle, "%s%s", orient,
                 t->mask == ATTN_MASK_NONE ? "" : " · hatched: masked next");
        break;
    case FIG_SCALED:
        add_square(f, o, t, "", g_scaled, hd, MASK_REPLACE_INF);
        snprintf(f->subtitle, sizeof f->subtitle, "%s", orient);
        break;
    case FIG_MASK:
        add_square(f, o, t, "", g_mask, 0, MASK_ITSELF);
        snprintf(f->subtitle, sizeof f->subtitle, "%s", orient);
        f->colour_bar = 0;
        break;
    case FIG_WEIGHTS: {
        Panel *p = add_square(f, o, t, "", g_weights, hd, MASK_REPLACE_ZERO);
        if (p) p->stats = 1;
        snprintf(f->subtitle, sizeof f->subtitle, "%s · each %s sums to 1", orient,
                 o->transposed ? "column" : "row");
        signed_data = 0;
        break;
    }
    case FIG_OUT:
        for (int h = 0; h < H; h++) {
            snprintf(buf, sizeof buf, "head %d", h + 1);
            add_tokens(f, buf, dh, g_out, h);
        }
        add_tokens(f, "b = concat · Wᴼ", dm, g_output, 0);
        snprintf(f->subtitle, sizeof f->subtitle, "outʰ = α′ʰ Vʰ (d_head = %d each); b has d_model = %d", dh, dm);
        break;
    case FIG_OUTPUT:
        add_tokens(f, "b", dm, g_output, 0);
        snprintf(f->subtitle, sizeof f->subtitle, "one output vector per token, d_model = %d", dm);
        break;
    case FIG_HEADS:
        for (int h = 0; h < H; h++) {
            snprintf(buf, sizeof buf, "head %d", h + 1);
            add_square(f, o, t, buf, g_weights, h, MASK_REPLACE_ZERO);
        }
        f->grid_cols = H <= 4 ? H : H <= 8 ? 4 : (int)ceil(sqrt((double)H));
        snprintf(f->subtitle, sizeof f->subtitle, "%s", orient);
        signed_data = 0;
        break;
    case FIG_PE:
        add_panel(f, "", 0, dm, g_pe, 0, LBL_POS, LBL_DIM0, "position p",
                  t->posenc == ATTN_PE_SINUSOIDAL ? "dimension (from 0: even = sin, odd = cos)" : "dimension (from 0)");
        snprintf(f->subtitle, sizeof f->subtitle, t->posenc == ATTN_PE_SINUSOIDAL
                 ? "e[p][2i] = sin(p / 10000^(2i/d)), e[p][2i+1] = cos(p / 10000^(2i/d)), p from 0"
                 : t->posenc == ATTN_PE_LEARNED ? "one seeded random vector per position (seed %llu)"
                 : "positional encoding is off: e = 0", (unsigned long long)t->seed);
        break;
    case FIG_BLOCK: {
        if (!o->block || o->block->layers < 1) {
            snprintf(f->subtitle, sizeof f->subtitle, "the attention is shown alone: press J (or --layers) to stack blocks");
            break;
        }
        int L = o->layer < 0 ? 0 : o->layer >= o->block->layers ? o->block->layers - 1 : o->layer;
        const BlockLayer *bl = &o->block->layer[L];
        int ff = o->block->d_ff;
        static const char *const names[] = {"x (in)", "b = attention(x)", "x + b", "LayerNorm", "ReLU(·W₁ + b₁)",
                                            "·W₂ + b₂", "+ residual", "LayerNorm = out"};
        const float *arrays[] = {bl->in, bl->attn_out, bl->res1, bl->norm1, bl->hidden, bl->mlp_out, bl->res2, bl->out};
        for (int k = 0; k < 8; k++) {
            Panel *p = add_panel(f, names[k], n, k == 4 ? ff : dm, g_x, 0, LBL_TOKEN, LBL_DIM, k == 0 ? "token" : "", "dimension");
            if (!p) break;
            p->data = arrays[k];
            p->stride = k == 4 ? ff : dm;
        }
        f->grid_cols = 4;
        snprintf(f->subtitle, sizeof f->subtitle, "left to right, then the next row: every token's vector at each stage "
                 "(d_ff = %d); only the attention mixes tokens", ff);
        break;
    }
    case FIG_PICTURE:
    case FIG_CNN: {
        int gw = t->grid_w > 0 ? t->grid_w : n, gh = (n + gw - 1) / gw;
        int q = o->query < 0 ? 0 : o->query >= n ? n - 1 : o->query;
        char tbuf[96];
        int kinds[3] = {PIC_QUERY, PIC_AVERAGE, PIC_RECEIVED}, count = 3;
        if (o->view == FIG_CNN) {
            kinds[0] = PIC_FIELD;
            kinds[1] = PIC_QUERY;
            count = 2;
        }
        for (int k = 0; k < count; k++) {
            if (kinds[k] == PIC_QUERY) snprintf(tbuf, sizeof tbuf, o->view == FIG_CNN ? "self-attention: head %d's weights" : "head %d", hd + 1);
            else if (kinds[k] == PIC_AVERAGE) snprintf(tbuf, sizeof tbuf, H == 1 ? "the one head (nothing to average)" : "all %d heads averaged", H);
            else if (kinds[k] == PIC_RECEIVED) snprintf(tbuf, sizeof tbuf, "attention each patch receives");
            else snprintf(tbuf, sizeof tbuf, "CNN: a 3×3 window of patches");
            Panel *p = add_panel(f, tbuf, gh, gw, g_weights, hd, LBL_NONE, LBL_NONE, "", "");
            if (!p) break;
            p->pic = kinds[k];
            p->heat = calloc((size_t)gh * gw, sizeof(float));
            if (!p->heat) continue;
            float *heat = p->heat;
            if (kinds[k] == PIC_RECEIVED) {
                /* each key's column summed over every query, averaged over the heads: how much
                 * a patch is looked at (rows are read in order, for the cache) */
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < n; i++) {
                        const float *row = t->head[h].weights + (size_t)i * n;
                        for (int j = 0; j < n; j++) heat[j] += row[j];
                    }
                for (int j = 0; j < n; j++) heat[j] /= (float)H;
                continue;
            }
            for (int j = 0; j < n; j++) {
                float v = 0;
                if (kinds[k] == PIC_QUERY) v = t->head[hd].weights[(size_t)q * n + j];
                else if (kinds[k] == PIC_AVERAGE) {
                    for (int h = 0; h < H; h++) v += t->head[h].weights[(size_t)q * n + j];
                    v /= (float)H;
                } else {
                    int dr = q / gw - j / gw, dc = q % gw - j % gw;
                    v = (dr >= -1 && dr <= 1 && dc >= -1 && dc <= 1) ? 1.0f : 0.0f;
                }
                heat[j] = v;
            }
        }
        f->grid_cols = count;
        if (t->picture)
            snprintf(f->subtitle, sizeof f->subtitle, "%d × %d patches of %d × %d pixels · the query patch is framed · "
                     "each panel's hottest patch is its largest value", gw, gh, t->patch, t->patch);
        else
            snprintf(f->subtitle, sizeof f->subtitle, "the tokens laid out %d a row (this scene has no picture)", gw);
        if (o->view == FIG_CNN) {
            long long dm2 = (long long)dm * dm, att = 3LL * dm * dh * H + (long long)H * dh * dm;
            snprintf(f->subtitle, sizeof f->subtitle, "parameters (d_model %d): 3×3 convolution %lld · self-attention %lld",
                     dm, 9 * dm2, att);
        }
        signed_data = 0;
        break;
    }
    case FIG_COMPARE: {
        AttnCost cost;
        attn_cost(&cost, t);
        char full[32], allowed[32], fb[32], ab[32];
        fig_format_count(full, sizeof full, cost.full);
        fig_format_count(allowed, sizeof allowed, cost.allowed);
        fig_format_bytes(fb, sizeof fb, cost.full_bytes * H);
        fig_format_bytes(ab, sizeof ab, cost.allowed_bytes * H);
        if (t->mask == ATTN_MASK_NONE) {
            add_square(f, o, t, "full attention", g_weights, hd, MASK_IGNORE);
            snprintf(f->subtitle, sizeof f->subtitle, "this scene has no mask: every query scores all %lld keys "
                     "(N² = %s scores a head) · choose a mask with X to compare", cost.n, full);
            signed_data = 0;
            break;
        }
        add_square(f, o, t, "the mask", g_mask, 0, MASK_ITSELF);
        if (o->unmasked && o->unmasked->n == n && o->unmasked->heads == H) {
            snprintf(buf, sizeof buf, "full: %s scores", full);
            Panel *p = add_square(f, o, o->unmasked, buf, g_weights, hd, MASK_IGNORE);
            if (p) p->src = o->unmasked;
        }
        snprintf(buf, sizeof buf, "masked: %s (%.1f%%)", allowed, 100.0 * (double)cost.allowed / (double)cost.full);
        add_square(f, o, t, buf, g_weights, hd, MASK_REPLACE_ZERO);
        f->grid_cols = 3;
        if (t->mask == ATTN_MASK_WINDOW)
            snprintf(f->subtitle, sizeof f->subtitle, "window ±%d: N(2w+1) = %lld × %d less the ends = %s of %s scores · "
                     "%s instead of %s", t->mask_param, cost.n, 2 * t->mask_param + 1, allowed, full, ab, fb);
        else
            snprintf(f->subtitle, sizeof f->subtitle, "only allowed pairs need a score: %s of %s · %s instead of %s",
                     allowed, full, ab, fb);
        if (!o->unmasked)
            snprintf(f->footer, sizeof f->footer, "full attention is computed beside the mask for up to %d tokens", FIG_COMPARE_MAX_N);
        signed_data = 0;
        break;
    }
    case FIG_PARAMS:
        add_panel(f, "Wq", dm, dh, g_wq, hd, LBL_ROW, LBL_COL, "from x", "to q");
        add_panel(f, "Wk", dm, dh, g_wk, hd, LBL_ROW, LBL_COL, "from x", "to k");
        add_panel(f, "Wv", dm, dh, g_wv, hd, LBL_ROW, LBL_COL, "from x", "to v");
        add_panel(f, "Wᴼ", H * dh, dm, g_wo, 0, LBL_ROW, LBL_COL, "from concat", "to b");
        snprintf(f->subtitle, sizeof f->subtitle, "row-vector convention: q = x Wq, so Wq is d_model × d_head = %d × %d", dm, dh);
        break;
    default: break;
    }
    if (o->columns > 0) f->grid_cols = o->columns;
    for (int i = 0; i < f->n; i++) {
        Panel *p = &f->p[i];
        if (p->rows == 0) p->rows = n;
        p->q = p->pic ? FQ_PATCH : p->data ? FQ_BLOCK : quantity_of(p->get);
        /* token axes follow the zoom: rows are queries (or tokens), columns of N x N
         * panels are keys */
        int tok_rows = p->lbl_row == LBL_TOKEN || p->lbl_row == LBL_POS;
        if (tok_rows) clamp_range(o->q0, o->qn, p->rows, &p->r0, &p->rn);
        else clamp_range(0, 0, p->rows, &p->r0, &p->rn);
        if (p->lbl_col == LBL_TOKEN) clamp_range(o->k0, o->kn, p->cols, &p->c0, &p->cn);
        else clamp_range(0, 0, p->cols, &p->c0, &p->cn);
    }

    /* colour range over every panel (masked cells excluded where they are replaced) */
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < f->n; i++) {
        Panel *p = &f->p[i];
        if (p->pic) {
            /* the bar belongs to the query panel's weights; every picture panel maps its
             * own largest value to the hottest colour */
            if (p->pic == PIC_QUERY && p->heat)
                for (int c = 0; c < n; c++) {
                    if (p->heat[c] < lo) lo = p->heat[c];
                    if (p->heat[c] > hi) hi = p->heat[c];
                }
            continue;
        }
        if (p->get == g_weights) {
            /* weights are never negative and exactly 0 where masked: the largest is the
             * largest of the rows' maxima, which the engine keeps */
            const float *mw = (p->src ? p->src : t)->head[p->head].max_weight;
            float m = 0.0f;
            for (int r = 0; r < n; r++) m = mw[r] > m ? mw[r] : m;
            if (0.0f < lo) lo = 0.0f;
            if (m > hi) hi = m;
            continue;
        }
        int masked_out = (p->mask_mode == MASK_REPLACE_INF || p->mask_mode == MASK_REPLACE_ZERO) && t->mask != ATTN_MASK_NONE;
        for (int r = 0; r < p->rows; r++)
            for (int c = 0; c < p->cols; c++) {
                if (masked_out && !attn_allowed(t, r, c)) continue;
                float v = p->data ? p->data[(size_t)r * p->stride + c] : p->get(t, p->head, r, c);
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
    }
    if (!(lo <= hi)) lo = hi = 0.0f;
    if (!signed_data) lo = 0.0f;
    if (o->cmap >= 0 && o->cmap < CMAP_COUNT) f->cmap = (CmapKind)o->cmap;
    else f->cmap = signed_data && lo < 0.0f ? CMAP_DIVERGING : CMAP_VIRIDIS;
    if (f->cmap == CMAP_DIVERGING) {
        float m = fmaxf(fabsf(lo), fabsf(hi));
        lo = -m;
        hi = m;
    }
    f->lo = lo;
    f->hi = hi;

    char m[48];
    mask_words(m, sizeof m, t);
    snprintf(f->footer, sizeof f->footer,
             "attnlab · %d tokens · d_model %d · %d head%s × d_head %d · %s scores · %s · %s · seed %llu",
             n, dm, H, H == 1 ? "" : "s", dh, attn_score_name(t->score), m,
             t->posenc == ATTN_PE_NONE ? "no positional encoding" : t->posenc == ATTN_PE_SINUSOIDAL ? "sinusoidal positions"
             : t->posenc == ATTN_PE_2D ? "2-D positions" : "learned positions",
             (unsigned long long)t->seed);

    /* cell size: a single square panel gets about 440 px, several share about 900 px */
    int max_rows = 0, row_cols = 0, per_row = f->n < f->grid_cols ? f->n : f->grid_cols;
    for (int i = 0; i < f->n; i++) {
        int rows = f->p[i].flip ? f->p[i].cn : f->p[i].rn;
        int cols = f->p[i].flip ? f->p[i].rn : f->p[i].cn;
        if (rows > max_rows) max_rows = rows;
        if (i < per_row) row_cols += cols;
    }
    float cell = o->cell > 0 ? o->cell
                             : fminf(440.0f / (float)max_rows, (per_row > 1 ? 900.0f : 520.0f) / (float)row_cols);
    if (o->cell <= 0) cell = cell >= 2.0f ? floorf(fminf(cell, 46.0f)) : fmaxf(cell, 0.25f);
    f->cell = cell;
    f->numbers = o->numbers == FIG_NUMBERS_ON || (o->numbers == FIG_NUMBERS_AUTO && cell >= 30.0f);
}

/* ---------------------------------------------------------------- drawing helpers */

void fig_format_num(char *out, size_t len, float v)
{
    char tmp[24];
    float a = fabsf(v);
    if (a < 0.005f) snprintf(tmp, sizeof tmp, "0");
    else if (a < 9.995f) snprintf(tmp, sizeof tmp, "%.2f", (double)v);
    else if (a < 99.95f) snprintf(tmp, sizeof tmp, "%.1f", (double)v);
    else if (a < 99999.5f) snprintf(tmp, sizeof tmp, "%.0f", (double)v);
    else snprintf(tmp, sizeof tmp, "%.0e", (double)v);
    /* a true minus sign reads better on slides than a hyphen */
    if (tmp[0] == '-') snprintf(out, len, "−%s", tmp + 1);
    else snprintf(out, len, "%s", tmp);
}

/* A colour bar's tick: as cells show numbers, unless the whole range is too small for two
 * decimals (a weight of 0.0009 among 4096 keys), then with three significant digits. */
static void bar_num(char *out, size_t len, float v, float lo, float hi)
{
    if (fmaxf(fabsf(lo), fabsf(hi)) >= 0.05f || v == 0.0f) {
        fig_format_num(out, len, v);
        return;
    }
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%.3g", (double)v);
    if (tmp[0] == '-') snprintf(out, len, "−%s", tmp + 1);
    else snprintf(out, len, "%s", tmp);
}

static void label_text(char *out, size_t len, const AttnTrace *t, int kind, int i)
{
    if (kind == LBL_NONE) {
        out[0] = 0;
        return;
    }
    if (kind == LBL_TOKEN || kind == LBL_POS) {
        const char *tok = t->tokens[i];
        /* long tokens are cut at a character boundary with an ellipsis */
        size_t l = strlen(tok), cut = l;
        if (l > 14) {
            cut = 12;
            while (cut > 0 && ((unsigned char)tok[cut] & 0xC0) == 0x80) cut--;
        }
        snprintf(out, len, "%.*s%s", (int)cut, tok, cut < l ? "…" : "");
    } else if (kind == LBL_DIM0) {
        snprintf(out, len, "%d", i);
    } else {
        snprintf(out, len, "%d", i + 1);
    }
}

static void index_text(char *out, size_t len, int kind, int i)
{
    if (kind == LBL_TOKEN) snprintf(out, len, "%d", i + 1);
    else if (kind == LBL_POS) snprintf(out, len, "p=%d", i);
    else out[0] = 0;
}

/* Labels along one axis; returns the band's thickness. Every step-th label is drawn when
 * cells are smaller than the text. */
static float label_step(Ren *ren, float cell)
{
    float lh = ren_line_height(ren, LABEL_PX);
    int step = (int)ceilf(lh * 1.15f / cell);
    return (float)(step < 1 ? 1 : step);
}

static float row_label_width(Ren *ren, const AttnTrace *t, int kind, int first, int count, float cell)
{
    int step = (int)label_step(ren, cell);
    float w = 0;
    char lab[64], idx[16];
    for (int i = first; i < first + count; i += step) {
        label_text(lab, sizeof lab, t, kind, i);
        index_text(idx, sizeof idx, kind, i);
        float lw = ren_text_width(ren, lab, LABEL_PX, REN_REGULAR);
        if (idx[0]) lw += ren_text_width(ren, idx, LABEL_PX * 0.8f, REN_REGULAR) + 5;
        if (lw > w) w = lw;
    }
    return fminf(w, MAX_LABEL_W);
}

/* Whether column labels fit horizontally inside their cells. */
static int col_labels_flat(Ren *ren, const AttnTrace *t, int kind, int first, int count, float cell)
{
    char lab[64];
    int step = (int)label_step(ren, cell);
    for (int i = first; i < first + count; i += step) {
        label_text(lab, sizeof lab, t, kind, i);
        if (ren_text_width(ren, lab, LABEL_PX, REN_REGULAR) > cell * step - 2) return 0;
    }
    return 1;
}

/* The colour a cell is drawn in, or -1 in *masked when it is drawn as masked instead. */
static CmapRGB cell_colour(const AttnTrace *t, const Fig *f, const Panel *p, int dr, int dc,
                           float *value, int *masked)
{
    int allowed = p->mask_mode != MASK_IGNORE ? attn_allowed(t, dr, dc) : 1;
    float v = p->data ? p->data[(size_t)dr * p->stride + dc] : p->get(t, p->head, dr, dc);
    *value = v;
    *masked = !allowed;
    return cmap_color(f->cmap, cmap_t(f->cmap, v, f->lo, f->hi));
}

/* Cells too small to draw one by one: one texel per cell, scaled up by the renderer. */
static void cells_as_image(Ren *ren, const AttnTrace *t, Fig *f, Panel *p, int rows, int cols,
                           float mx, float my)
{
    Theme th = theme_of(f->dark);
    /* one texel per screen pixel at most: a block of cells shows its strongest value, so a
     * single sharp weight still shows when the matrix is larger than the screen */
    int ow = (int)ceilf(cols * f->cell * ren_scale(ren)), oh = (int)ceilf(rows * f->cell * ren_scale(ren));
    if (ow > cols || ow < 1) ow = cols;
    if (oh > rows || oh < 1) oh = rows;
    unsigned char *px = malloc((size_t)ow * oh * 4);
    if (!px) return;
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int r0 = (int)((long long)oy * rows / oh), r1 = (int)((long long)(oy + 1) * rows / oh);
            int c0 = (int)((long long)ox * cols / ow), c1 = (int)((long long)(ox + 1) * cols / ow);
            int r = r0, c = c0;
            float best = -1.0f;
            int all_masked = 1;
            if (p->get == g_weights && !p->flip) {
                /* weights straight from their rows (masked ones are 0, so never the largest) */
                const float *wt = t->head[p->head].weights;
                for (int rr = r0; rr < r1; rr++) {
                    const float *row = wt + (size_t)(p->r0 + rr) * t->n + p->c0;
                    for (int cc = c0; cc < c1; cc++)
                        if (row[cc] > best) { best = row[cc]; r = rr; c = cc; }
                }
                all_masked = 0;
            } else
            for (int rr = r0; rr < r1; rr++)
                for (int cc = c0; cc < c1; cc++) {
                    int dr = p->r0 + (p->flip ? cc : rr), dc = p->c0 + (p->flip ? rr : cc);
                    if (p->mask_mode != MASK_IGNORE && !attn_allowed(t, dr, dc)) continue;
                    all_masked = 0;
                    float a = fabsf(p->data ? p->data[(size_t)dr * p->stride + dc] : p->get(t, p->head, dr, dc));
                    if (a > best) { best = a; r = rr; c = cc; }
                }
            if (all_masked) { r = r0; c = c0; }
            int dr = p->r0 + (p->flip ? c : r), dc = p->c0 + (p->flip ? r : c);
            float v;
            int masked;
            CmapRGB col = cell_colour(t, f, p, dr, dc, &v, &masked);
            RenColor rc = {col.r, col.g, col.b, 255};
            if (p->mask_mode == MASK_ITSELF) rc = masked ? th.masked_bg : th.allowed;
            else if (masked && p->mask_mode != MASK_OVERLAY) rc = th.masked_bg;
            else if (masked) rc = (RenColor){(unsigned char)((col.r + 2 * th.hatch.r) / 3),
                                             (unsigned char)((col.g + 2 * th.hatch.g) / 3),
                                             (unsigned char)((col.b + 2 * th.hatch.b) / 3), 255};
            unsigned char *o = px + ((size_t)oy * ow + ox) * 4;
            o[0] = rc.r;
            o[1] = rc.g;
            o[2] = rc.b;
            o[3] = 255;
        }
    ren_image(ren, mx, my, cols * f->cell, rows * f->cell, px, ow, oh);
    free(px);
}

/* A picture panel: the picture, its patch grid, each patch tinted by the panel's value, and
 * the query patch framed. Without a picture the tokens are drawn as plain cells. */
static void draw_picture_panel(Ren *ren, const AttnTrace *t, Fig *f, Panel *p, float mx, float my, Theme th)
{
    int rows = p->rn, cols = p->cn, n = t->n;
    float cell = f->cell, w = cols * cell, h = rows * cell;
    if (t->picture) {
        unsigned char *rgba = malloc((size_t)t->picture_w * t->picture_h * 4);
        if (rgba) {
            for (int i = 0; i < t->picture_w * t->picture_h; i++) {
                rgba[4 * i] = t->picture[3 * i];
                rgba[4 * i + 1] = t->picture[3 * i + 1];
                rgba[4 * i + 2] = t->picture[3 * i + 2];
                rgba[4 * i + 3] = 255;
            }
            ren_image(ren, mx, my, w, h, rgba, t->picture_w, t->picture_h);
            free(rgba);
        }
    } else {
        ren_rect(ren, mx, my, w, h, th.masked_bg);
    }
    float top = 1e-9f;
    for (int j = 0; j < n && p->heat; j++) top = fmaxf(top, p->heat[j]);
    int q = -1;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int j = (p->r0 + r) * p->cols + p->c0 + c;
            if (j >= n || !p->heat) continue;
            float v = p->heat[j], cx = mx + c * cell, cy = my + r * cell;
            if (p->pic == PIC_FIELD) {
                /* outside the window: veiled; inside: clear */
                if (v == 0.0f) ren_rect(ren, cx, cy, cell, cell, (RenColor){th.bg.r, th.bg.g, th.bg.b, 190});
                continue;
            }
            float tt = v / top;
            CmapRGB col = cmap_color(f->cmap, tt);
            /* the more weight, the more the patch shows the colour map over the picture */
            /* (the hottest patch is the colour map's top colour outright) */
            unsigned char a = (unsigned char)(t->picture ? 40 + 215 * fminf(fmaxf(tt, 0.0f), 1.0f) : 255);
            ren_rect(ren, cx, cy, cell, cell, (RenColor){col.r, col.g, col.b, a});
        }
    if (cell >= 6) {
        RenColor g = {255, 255, 255, 90};
        for (int r = 1; r < rows; r++) ren_rect(ren, mx, my + r * cell, w, 1.0f / ren_scale(ren), g);
        for (int c = 1; c < cols; c++) ren_rect(ren, mx + c * cell, my, 1.0f / ren_scale(ren), h, g);
    }
    /* the query patch */
    for (int i = 0; i < f->n; i++)
        if (f->p[i].pic == PIC_QUERY || f->p[i].pic == PIC_FIELD) q = f->query;
    if (q >= 0 && p->pic != PIC_RECEIVED) {
        int qr = q / p->cols - p->r0, qc = q % p->cols - p->c0;
        if (qr >= 0 && qr < rows && qc >= 0 && qc < cols)
            ren_frame(ren, mx + qc * cell - 1, my + qr * cell - 1, cell + 2, cell + 2, fmaxf(2.0f, cell / 12), (RenColor){214, 110, 0, 255});
    }
}

/* The pixels of token i's patch, as a size x size thumbnail at (x, y). */
static void draw_thumb(Ren *ren, const AttnTrace *t, int i, float x, float y, float size)
{
    int P = t->patch > 0 ? t->patch : 1, gw = t->grid_w;
    int px0 = (i % gw) * P, py0 = (i / gw) * P;
    if (px0 + P > t->picture_w || py0 + P > t->picture_h) return;
    unsigned char buf[64 * 64 * 4];
    if (P > 64) return;
    for (int yy = 0; yy < P; yy++)
        for (int xx = 0; xx < P; xx++) {
            const unsigned char *s = t->picture + ((size_t)(py0 + yy) * t->picture_w + px0 + xx) * 3;
            unsigned char *o = buf + ((size_t)yy * P + xx) * 4;
            o[0] = s[0];
            o[1] = s[1];
            o[2] = s[2];
            o[3] = 255;
        }
    ren_image(ren, x, y, size, size, buf, P, P);
}

/* Lays out (and when draw is set, draws) one panel with its top-left at (x, y). */
static void panel(Ren *ren, const AttnTrace *t, Fig *f, Panel *p, float x, float y, int draw)
{
    if (p->src) t = p->src;
    Theme th = theme_of(f->dark);
    float cell = f->cell;
    int rows = p->flip ? p->cn : p->rn, cols = p->flip ? p->rn : p->cn;
    int rfirst = p->flip ? p->c0 : p->r0, cfirst = p->flip ? p->r0 : p->c0;
    int rkind = p->flip ? p->lbl_col : p->lbl_row, ckind = p->flip ? p->lbl_row : p->lbl_col;
    const char *raxis = p->flip ? p->col_axis : p->row_axis;
    const char *caxis = p->flip ? p->row_axis : p->col_axis;
    float lh_title = ren_line_height(ren, PANEL_PX), lh_axis = ren_line_height(ren, AXIS_PX);
    float lh_label = ren_line_height(ren, LABEL_PX);
    float title_h = p->title[0] ? lh_title + 4 : 0;
    float rlw = row_label_width(ren, t, rkind, rfirst, rows, cell);
    int flat = col_labels_flat(ren, t, ckind, cfirst, cols, cell);
    float clh = flat ? lh_label : fminf(row_label_width(ren, t, ckind, cfirst, cols, cell), MAX_LABEL_W) + 4;
    /* a picture's patches label a matrix with their own thumbnails where they fit */
    float thumb = t->picture && t->grid_w > 0 && cell >= 12 && !p->pic ? fminf(cell - 2, 30.0f) : 0;
    int row_thumbs = thumb > 0 && (rkind == LBL_TOKEN || rkind == LBL_POS);
    int col_thumbs = thumb > 0 && (ckind == LBL_TOKEN || ckind == LBL_POS);
    if (row_thumbs) rlw = thumb + 2;
    if (col_thumbs) {
        clh = thumb + 2;
        flat = 1;
    }
    float axis_w = lh_axis + 2;
    float mx = x + axis_w + rlw + 6, my = y + title_h + lh_axis + clh + 4;
    float mw = cols * cell, mh = rows * cell;
    float stats_w = 0;
    int show_stats = p->stats && rows <= 48 && cell >= 11 && !p->flip;
    if (show_stats) stats_w = 8 + 2 * 50;
    p->x = x;
    p->y = y;
    p->mx = mx;
    p->my = my;
    p->w = (mx - x) + mw + stats_w;
    float axis_title_w = ren_text_width(ren, caxis, AXIS_PX, REN_REGULAR);
    float title_w = ren_text_width(ren, p->title, PANEL_PX, REN_BOLD);
    if (p->w < axis_w + rlw + 6 + axis_title_w) p->w = axis_w + rlw + 6 + axis_title_w;
    if (p->w < title_w) p->w = title_w;
    p->h = (my - y) + fmaxf(mh, ren_text_width(ren, raxis, AXIS_PX, REN_REGULAR));
    if (!draw) return;

    if (p->title[0]) ren_text(ren, x, y, p->title, PANEL_PX, REN_BOLD, th.fg, REN_LEFT);
    /* axis names: the column axis centred above its labels, the row axis turned up */
    ren_text(ren, mx + mw / 2, y + title_h, caxis, AXIS_PX, REN_REGULAR, th.muted, REN_CENTER);
    float raw = ren_text_width(ren, raxis, AXIS_PX, REN_REGULAR);
    ren_text_up(ren, x, my + mh / 2 + raw / 2, raxis, AXIS_PX, REN_REGULAR, th.muted);

    char lab[64], idx[16], num[32];
    int step = (int)label_step(ren, cell);
    for (int r = 0; r < rows && row_thumbs; r++)
        draw_thumb(ren, t, rfirst + r, mx - 4 - thumb, my + r * cell + (cell - thumb) / 2, thumb);
    for (int c = 0; c < cols && col_thumbs; c++)
        draw_thumb(ren, t, cfirst + c, mx + c * cell + (cell - thumb) / 2, my - 3 - thumb, thumb);
    for (int r = 0; r < rows && !row_thumbs; r += step) {
        label_text(lab, sizeof lab, t, rkind, rfirst + r);
        index_text(idx, sizeof idx, rkind, rfirst + r);
        float ly = my + r * cell + cell / 2 - lh_label / 2;
        ren_clip(ren, x + axis_w, my - 2, rlw + 4, mh + 4);
        float tw = ren_text(ren, mx - 6, ly, lab, LABEL_PX, REN_REGULAR, th.fg, REN_RIGHT);
        if (idx[0]) ren_text(ren, mx - 6 - tw - 4, ly + lh_label * 0.15f, idx, LABEL_PX * 0.8f, REN_REGULAR, th.muted, REN_RIGHT);
        ren_clip(ren, 0, 0, 0, 0);
    }
    for (int c = 0; c < cols && !col_thumbs; c += step) {
        label_text(lab, sizeof lab, t, ckind, cfirst + c);
        index_text(idx, sizeof idx, ckind, cfirst + c);
        if (flat) {
            ren_text(ren, mx + c * cell + cell / 2, my - 4 - lh_label, lab, LABEL_PX, REN_REGULAR, th.fg, REN_CENTER);
        } else {
            char both[96];
            snprintf(both, sizeof both, "%s%s%s", idx, idx[0] ? " " : "", lab);
            ren_clip(ren, mx + c * cell - 2, my - clh - 2, cell * step + 4, clh);
            ren_text_up(ren, mx + c * cell + cell / 2 - lh_label / 2, my - 5, both, LABEL_PX, REN_REGULAR, th.fg);
            ren_clip(ren, 0, 0, 0, 0);
        }
    }

    if (p->pic) {
        draw_picture_panel(ren, t, f, p, mx, my, th);
    } else if (cell < 5.0f) {
        cells_as_image(ren, t, f, p, rows, cols, mx, my);
    } else {
        float num_px = fminf(fmaxf(12.0f, cell * 0.2f), cell * 0.31f); /* larger cells, larger numbers */
        int numbers = f->numbers && num_px >= 6.0f;
        float hatch = fmaxf(cell / 4, 3);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int dr = p->r0 + (p->flip ? c : r), dc = p->c0 + (p->flip ? r : c); /* data indices */
                float cx = mx + c * cell, cy = my + r * cell, v;
                int masked;
                CmapRGB col = cell_colour(t, f, p, dr, dc, &v, &masked);
                float ty = cy + cell / 2 - num_px * 0.6f;
                if (p->mask_mode == MASK_ITSELF) {
                    ren_rect(ren, cx, cy, cell, cell, masked ? th.masked_bg : th.allowed);
                    if (masked) ren_hatch(ren, cx, cy, cell, cell, hatch, th.hatch);
                    if (numbers) ren_text(ren, cx + cell / 2, ty, masked ? "0" : "1", num_px, REN_REGULAR, th.fg, REN_CENTER);
                    continue;
                }
                if (masked && p->mask_mode != MASK_OVERLAY) {
                    ren_rect(ren, cx, cy, cell, cell, th.masked_bg);
                    ren_hatch(ren, cx, cy, cell, cell, hatch, th.hatch);
                    if (numbers) ren_text(ren, cx + cell / 2, ty, p->mask_mode == MASK_REPLACE_INF ? "−∞" : "0", num_px, REN_REGULAR, th.muted, REN_CENTER);
                    continue;
                }
                ren_rect(ren, cx, cy, cell, cell, (RenColor){col.r, col.g, col.b, 255});
                CmapRGB tc = cmap_text_on(col);
                if (masked) {
                    /* hatch halfway between the cell's colour and its text colour, so it
                     * shows on dark and light cells alike */
                    RenColor hc = {(unsigned char)((col.r + tc.r) / 2), (unsigned char)((col.g + tc.g) / 2),
                                   (unsigned char)((col.b + tc.b) / 2), 255};
                    ren_hatch(ren, cx, cy, cell, cell, hatch, hc);
                }
                if (numbers) {
                    fig_format_num(num, sizeof num, v);
                    ren_text(ren, cx + cell / 2, ty, num, num_px, REN_REGULAR, (RenColor){tc.r, tc.g, tc.b, 255}, REN_CENTER);
                }
            }
        /* thin grid lines once cells are big enough to separate */
        if (cell >= 8) {
            RenColor g = th.bg;
            g.a = 150;
            for (int r = 1; r < rows; r++) ren_rect(ren, mx, my + r * cell - 0.5f, mw, 1.0f / ren_scale(ren), g);
            for (int c = 1; c < cols; c++) ren_rect(ren, mx + c * cell - 0.5f, my, 1.0f / ren_scale(ren), mh, g);
        }
    }
    ren_frame(ren, mx - 1, my - 1, mw + 2, mh + 2, 1, th.grid);

    if (show_stats) {
        const AttnHead *hd = &t->head[p->head];
        float sx = mx + mw + 8;
        float sp = fminf(11.0f, cell * 0.5f);
        ren_text(ren, sx + 46, my - 4 - lh_label, "max α′", sp, REN_REGULAR, th.muted, REN_RIGHT);
        ren_text(ren, sx + 98, my - 4 - lh_label, "H", sp, REN_REGULAR, th.muted, REN_RIGHT);
        for (int r = 0; r < rows; r++) {
            int dr = p->r0 + r;
            float cy = my + r * cell + cell / 2 - ren_line_height(ren, sp) / 2;
            if (hd->empty_row[dr]) {
                ren_text(ren, sx + 98, cy, "empty row", sp, REN_REGULAR, th.muted, REN_RIGHT);
                continue;
            }
            snprintf(num, sizeof num, "%.2f", (double)hd->max_weight[dr]);
            ren_text(ren, sx + 46, cy, num, sp, REN_REGULAR, th.fg, REN_RIGHT);
            snprintf(num, sizeof num, "%.2f", (double)hd->entropy[dr]);
            ren_text(ren, sx + 98, cy, num, sp, REN_REGULAR, th.fg, REN_RIGHT);
        }
    }
}

/* The colour bar (or the mask legend) at (x, y); returns its width. */
static float legend(Ren *ren, Fig *f, float x, float y, float h, int draw)
{
    Theme th = theme_of(f->dark);
    char lo[32], hi[32], mid[32];
    if (!f->colour_bar) {
        float sw = 16, w = sw + 6 + fmaxf(ren_text_width(ren, "may attend (1)", LABEL_PX, REN_REGULAR),
                                          ren_text_width(ren, "masked (0)", LABEL_PX, REN_REGULAR));
        if (draw) {
            ren_rect(ren, x, y, sw, sw, th.allowed);
            ren_frame(ren, x, y, sw, sw, 1, th.grid);
            ren_text(ren, x + sw + 6, y, "may attend (1)", LABEL_PX, REN_REGULAR, th.fg, REN_LEFT);
            ren_rect(ren, x, y + sw + 8, sw, sw, th.masked_bg);
            ren_hatch(ren, x, y + sw + 8, sw, sw, 4, th.hatch);
            ren_frame(ren, x, y + sw + 8, sw, sw, 1, th.grid);
            ren_text(ren, x, y + 2 * sw + 16, "", LABEL_PX, REN_REGULAR, th.fg, REN_LEFT);
            ren_text(ren, x + sw + 6, y + sw + 8, "masked (0)", LABEL_PX, REN_REGULAR, th.fg, REN_LEFT);
        }
        return w;
    }
    bar_num(lo, sizeof lo, f->lo, f->lo, f->hi);
    bar_num(hi, sizeof hi, f->hi, f->lo, f->hi);
    bar_num(mid, sizeof mid, (f->lo + f->hi) / 2, f->lo, f->hi);
    float tw = fmaxf(ren_text_width(ren, lo, LABEL_PX, REN_REGULAR), ren_text_width(ren, hi, LABEL_PX, REN_REGULAR));
    tw = fmaxf(tw, ren_text_width(ren, mid, LABEL_PX, REN_REGULAR));
    float w = BAR_W + 6 + tw;
    if (!draw) return w;
    int steps = (int)(h * ren_scale(ren));
    if (steps < 2) steps = 2;
    for (int i = 0; i < steps; i++) {
        float t = 1.0f - (float)i / (float)(steps - 1);
        CmapRGB c = cmap_color(f->cmap, t);
        ren_rect(ren, x, y + h * i / steps, BAR_W, h / steps + 1.0f / ren_scale(ren), (RenColor){c.r, c.g, c.b, 255});
    }
    ren_frame(ren, x - 1, y - 1, BAR_W + 2, h + 2, 1, th.grid);
    float lh = ren_line_height(ren, LABEL_PX);
    ren_text(ren, x + BAR_W + 6, y - lh / 2, hi, LABEL_PX, REN_REGULAR, th.fg, REN_LEFT);
    ren_text(ren, x + BAR_W + 6, y + h / 2 - lh / 2, mid, LABEL_PX, REN_REGULAR, th.muted, REN_LEFT);
    ren_text(ren, x + BAR_W + 6, y + h - lh / 2, lo, LABEL_PX, REN_REGULAR, th.fg, REN_LEFT);
    return w;
}

/* Lays out the whole figure at (x, y); draws when draw is set. */
static void layout(Ren *ren, const AttnTrace *t, Fig *f, float x, float y, int draw)
{
    Theme th = theme_of(f->dark);
    float margin = f->compact ? 4.0f : MARGIN;
    float cy = y + margin;
    float lh_title = ren_line_height(ren, TITLE_PX), lh_sub = ren_line_height(ren, SUB_PX);
    if (draw) ren_text(ren, x + margin, cy, f->title, TITLE_PX, REN_BOLD, th.fg, REN_LEFT);
    /* a compact figure (a window panel) lets a long title run into its clip */
    float w = f->compact ? 0 : ren_text_width(ren, f->title, TITLE_PX, REN_BOLD);
    cy += lh_title + 2;
    if (f->subtitle[0] && !f->compact) {
        if (draw) ren_text(ren, x + MARGIN, cy, f->subtitle, SUB_PX, REN_REGULAR, th.muted, REN_LEFT);
        w = fmaxf(w, ren_text_width(ren, f->subtitle, SUB_PX, REN_REGULAR));
        cy += lh_sub;
    }
    cy += 12;
    /* panels in a grid: measure every panel, then place row by row */
    float row_h[MAX_PANELS] = {0};
    for (int i = 0; i < f->n; i++) {
        panel(ren, t, f, &f->p[i], 0, 0, 0);
        int gr = i / f->grid_cols;
        row_h[gr] = fmaxf(row_h[gr], f->p[i].h);
    }
    float gy = cy, grid_w = 0, grid_h = 0, bar_top = cy, bar_h = 0;
    int n_rows = (f->n + f->grid_cols - 1) / f->grid_cols;
    for (int gr = 0; gr < n_rows; gr++) {
        float gx = x + margin;
        for (int gc = 0; gc < f->grid_cols; gc++) {
            int i = gr * f->grid_cols + gc;
            if (i >= f->n) break;
            panel(ren, t, f, &f->p[i], gx, gy, draw);
            if (gr == 0 && gc == 0) {
                bar_top = f->p[i].my;
            }
            bar_h = fmaxf(bar_h, f->p[i].my + (f->p[i].flip ? f->p[i].cn : f->p[i].rn) * f->cell - bar_top);
            gx += f->p[i].w + GAP_X; /* each row packs its own panels */
        }
        grid_w = fmaxf(grid_w, gx - GAP_X - (x + margin));
        gy += row_h[gr] + GAP_Y;
    }
    grid_h = gy - GAP_Y - cy;
    bar_h = fminf(fmaxf(bar_h, f->compact ? 60.0f : 120.0f), 360.0f);
    if (!f->colour_bar) bar_h = 40;
    float lx = x + margin + grid_w + 22;
    float lw = legend(ren, f, lx, bar_top, bar_h, draw);
    w = fmaxf(w, grid_w + 22 + lw);
    f->body_w = ceilf(grid_w + 22 + lw + 2 * margin);
    cy += fmaxf(grid_h, bar_top - cy + bar_h);
    if (!f->compact) {
        cy += 14;
        if (draw) ren_text(ren, x + margin, cy, f->footer, FOOT_PX, REN_REGULAR, th.muted, REN_LEFT);
        w = fmaxf(w, ren_text_width(ren, f->footer, FOOT_PX, REN_REGULAR));
        cy += ren_line_height(ren, FOOT_PX);
    }
    f->w = ceilf(w + 2 * margin);
    f->h = ceilf(cy + margin - y);
}

/* ---------------------------------------------------------------- public */

static Fig fig_scratch; /* a Fig is large; one is enough since drawing is single-threaded */


static void keep_layout(const Fig *f, FigLayout *lay, float x, float y)
{
    if (!lay) return;
    lay->n = f->n < FIG_MAX_LAYOUT ? f->n : FIG_MAX_LAYOUT;
    lay->x = x;
    lay->y = y;
    lay->w = f->w;
    lay->h = f->h;
    lay->cell = f->cell;
    for (int i = 0; i < lay->n; i++) {
        const Panel *p = &f->p[i];
        FigPanelBox *b = &lay->p[i];
        memset(b, 0, sizeof *b);
        b->q = p->q;
        b->head = p->head;
        b->flip = p->flip;
        b->unmasked = p->src != NULL;
        b->mx = p->mx;
        b->my = p->my;
        b->rows = p->flip ? p->cn : p->rn;
        b->cols = p->flip ? p->rn : p->cn;
        b->r0 = p->r0;
        b->c0 = p->c0;
        b->data_rows = p->rows;
        b->data_cols = p->cols;
    }
}

#define GRAPH_NODE 36.0f /* the graph view's node size when no cell size is given */

/* FIG_CROSS draws another computation than the trace: crossfig does it, or a line saying
 * there is none. */
static void cross_figure(Ren *ren, const FigOptions *o, float x, float y, int draw, float *w, float *h,
                         FigLayout *lay)
{
    if (lay) memset(lay, 0, sizeof *lay);
    if (o->cross) {
        CrossFig cf = {o->cross, o->cross_src, o->cross_tgt, o->dark, o->decode_step};
        crossfig_measure(ren, &cf, w, h);
        if (draw) crossfig_draw(ren, &cf, x, y, lay);
        return;
    }
    const char *msg = "no encoder–decoder scene: choose a sentence pair with the cross key";
    *w = ren_text_width(ren, msg, 15.0f, REN_REGULAR) + 48.0f;
    *h = ren_line_height(ren, 15.0f) + 48.0f;
    if (draw) ren_text(ren, x + 24.0f, y + 24.0f, msg, 15.0f, REN_REGULAR, fig_theme(o->dark).muted, REN_LEFT);
}

void fig_measure(Ren *ren, const AttnTrace *t, const FigOptions *o, float *w, float *h)
{
    if (o->view == FIG_CROSS) {
        cross_figure(ren, o, 0, 0, 0, w, h, NULL);
        return;
    }
    if (o->view == FIG_GRAPH) {
        graphfig_measure(ren, t, o->cell > 0 ? o->cell : GRAPH_NODE, w, h);
        return;
    }
    if (o->view == FIG_SPEECH) {
        *w = o->width > 0 ? o->width : SPEECHFIG_W;
        *h = SPEECHFIG_H;
        return;
    }
    build(&fig_scratch, ren, t, o);
    layout(ren, t, &fig_scratch, 0, 0, 0);
    *w = fig_scratch.w;
    *h = fig_scratch.h;
}

void fig_draw(Ren *ren, const AttnTrace *t, const FigOptions *o, float x, float y, FigLayout *lay)
{
    if (o->view == FIG_SPEECH) {
        speechfig_draw(ren, t, o, x, y, lay);
        return;
    }
    if (o->view == FIG_CROSS) {
        float w, h;
        cross_figure(ren, o, x, y, 1, &w, &h, lay);
        if (lay) {
            lay->x = x; lay->y = y; lay->w = w; lay->h = h;
        }
        return;
    }
    if (o->view == FIG_GRAPH) {
        /* each node is a one-cell panel, so clicking it makes it the query */
        float node = o->cell > 0 ? o->cell : GRAPH_NODE, xy[2 * GRAPHFIG_MAX_NODES], w, h;
        int n = t->n <= GRAPHFIG_MAX_NODES ? t->n : 0;
        graphfig_draw(ren, t, o->head, o->query, node, o->dark, x, y, n ? xy : NULL);
        graphfig_measure(ren, t, node, &w, &h);
        if (lay) {
            memset(lay, 0, sizeof *lay);
            lay->x = x; lay->y = y; lay->w = w; lay->h = h; lay->cell = node;
            for (int i = 0; i < n && i < FIG_MAX_LAYOUT; i++) {
                FigPanelBox *b = &lay->p[lay->n++];
                memset(b, 0, sizeof *b);
                b->q = FQ_PATCH;
                b->head = o->head;
                b->mx = xy[2 * i];
                b->my = xy[2 * i + 1];
                b->rows = b->cols = 1;
                b->r0 = 0;
                b->c0 = i;
                b->data_rows = b->data_cols = t->n;
            }
        }
        return;
    }
    build(&fig_scratch, ren, t, o);
    layout(ren, t, &fig_scratch, x, y, 1);
    keep_layout(&fig_scratch, lay, x, y);
}

/* The figure's size with another cell size, without building it again. */
/* The size with cells of the given size; the width is that of the panels and legend, which
 * grow with the cells (titles and footers do not, and may run past a narrow room). */
static void measure_with_cell(Ren *ren, const AttnTrace *t, Fig *f, const FigOptions *o, float cell,
                              float *w, float *h)
{
    f->cell = cell;
    f->numbers = o->numbers == FIG_NUMBERS_ON || (o->numbers == FIG_NUMBERS_AUTO && cell >= 30.0f);
    layout(ren, t, f, 0, 0, 0);
    *w = f->body_w;
    *h = f->h;
}

/* The largest cell with which the built figure f fits in w x h. */
static float fit_built(Ren *ren, const AttnTrace *t, Fig *f, const FigOptions *o, float w, float h)
{
    float min_w, min_h, fw, fh;
    measure_with_cell(ren, t, f, o, 0.25f, &min_w, &min_h);
    float room_w = fmaxf(w, min_w), room_h = fmaxf(h, min_h);
    float lo = 0.25f, hi = 96.0f;
    /* a matrix panel alone takes rows x cols cells: no larger cell can fit, and trying one
     * would measure thousands of labels of a large matrix for nothing */
    for (int i = 0; i < f->n; i++) {
        const Panel *p = &f->p[i];
        int rows = p->flip ? p->cn : p->rn, cols = p->flip ? p->rn : p->cn;
        if (p->pic || rows < 1 || cols < 1) continue;
        hi = fminf(hi, fminf(room_h / (float)rows, room_w / (float)cols));
    }
    if (hi <= lo) return lo;
    measure_with_cell(ren, t, f, o, hi, &fw, &fh);
    if (fw <= room_w && fh <= room_h) return hi;
    for (int i = 0; i < 12 && hi - lo > 0.05f; i++) {
        float mid = (lo + hi) / 2;
        measure_with_cell(ren, t, f, o, mid, &fw, &fh);
        if (fw <= room_w && fh <= room_h) lo = mid;
        else hi = mid;
    }
    return lo >= 2.0f ? floorf(lo) : lo;
}

float fig_fit_cell(Ren *ren, const AttnTrace *t, const FigOptions *o, float w, float h)
{
    /* the size grows with the cell size, so the largest cell that fits is found by halving.
     * Text that does not scale (a long title, a footer) may be wider than the room: only
     * growth beyond the figure's size at the smallest cell counts against the room. */
    if (o->view == FIG_CROSS || o->view == FIG_SPEECH) return o->cell > 0 ? o->cell : 46.0f; /* they keep their own size */
    if (o->view == FIG_GRAPH) {
        /* the largest node size, 12..48, with which the graph fits */
        float best = 12.0f;
        for (float node = 48.0f; node > 12.0f; node -= 2.0f) {
            float fw, fh;
            graphfig_measure(ren, t, node, &fw, &fh);
            if (fw <= w && fh <= h) { best = node; break; }
        }
        return best;
    }
    build(&fig_scratch, ren, t, o);
    return fit_built(ren, t, &fig_scratch, o, w, h);
}

float fig_fit_columns(Ren *ren, const AttnTrace *t, FigOptions *o, float w, float h, int most)
{
    /* built once: only the arrangement changes between the tries */
    Fig *f = &fig_scratch;
    FigOptions try = *o;
    try.columns = 0;
    build(f, ren, t, &try);
    float best = fit_built(ren, t, f, &try, w, h);
    int best_cols = 0;
    for (int cols = 1; cols <= most && cols <= f->n; cols++) {
        f->grid_cols = cols;
        float c = fit_built(ren, t, f, &try, w, h);
        if (c > best + 0.01f) {
            best = c;
            best_cols = cols;
        }
    }
    o->columns = best_cols;
    o->cell = best;
    return best;
}

int fig_layout_hit(const FigLayout *lay, float x, float y, FigHit *hit)
{
    for (int i = 0; i < lay->n; i++) {
        const FigPanelBox *b = &lay->p[i];
        if (x < b->mx || y < b->my) continue;
        float cw = b->cw > 0 ? b->cw : lay->cell, ch = b->ch > 0 ? b->ch : lay->cell;
        int c = (int)((x - b->mx) / cw), r = (int)((y - b->my) / ch);
        if (r >= b->rows || c >= b->cols) continue;
        hit->q = b->q;
        hit->head = b->head;
        hit->panel = i;
        hit->unmasked = b->unmasked;
        hit->row = b->r0 + (b->flip ? c : r);
        hit->col = b->c0 + (b->flip ? r : c);
        if (b->q == FQ_PATCH) hit->row = hit->col = hit->row * b->data_cols + hit->col; /* the patch's token */
        return 1;
    }
    return 0;
}

int fig_layout_cell(const FigLayout *lay, int panel, int row, int col, float *x, float *y, float *size)
{
    if (panel < 0 || panel >= lay->n) return 0;
    const FigPanelBox *b = &lay->p[panel];
    int r = row - b->r0, c = col - b->c0;
    int sr = b->flip ? c : r, sc = b->flip ? r : c;
    if (sr < 0 || sc < 0 || sr >= b->rows || sc >= b->cols) return 0;
    float cw = b->cw > 0 ? b->cw : lay->cell, ch = b->ch > 0 ? b->ch : lay->cell;
    *x = b->mx + sc * cw;
    *y = b->my + sr * ch;
    *size = fminf(cw, ch);
    return 1;
}
