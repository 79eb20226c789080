/* speechfig.c: the speech view (speechfig.h): waveform and frames, band features, the query
 * frame's weights over time with and without the mask, and the cost meter. */
#include "speechfig.h"
#include "cmap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN 24.0f
#define GUTTER 150.0f /* labels left of the time axis */
#define WAVE_H 140.0f
#define STRIP_H 84.0f

typedef struct {
    Ren *ren;
    const AttnTrace *t;
    FigTheme th;
    RenColor accent, reach;
    float fx;         /* the figure's left edge */
    float px, pw;     /* the time axis: x of time 0 and its width */
    double span;      /* samples (or tokens, without a sound) across pw */
    int hop, len;     /* samples a hop and a frame (1 and 1 without a sound) */
} Axis;

static float x_of(const Axis *a, double sample) { return a->px + (float)(sample / a->span) * a->pw; }

/* The x extent of frames i0..i1. */
static void frames_x(const Axis *a, int i0, int i1, float *x0, float *x1)
{
    *x0 = x_of(a, (double)i0 * a->hop);
    *x1 = x_of(a, (double)i1 * a->hop + a->len);
}

static void section(const Axis *a, float y, const char *title, const char *note)
{
    ren_text(a->ren, a->fx + MARGIN, y, title, 14, REN_BOLD, a->th.fg, REN_LEFT);
    if (note && *note) ren_text(a->ren, a->fx + MARGIN + ren_text_width(a->ren, title, 14, REN_BOLD) + 12, y + 2, note, 12,
                                REN_REGULAR, a->th.muted, REN_LEFT);
}

/* The query's frame and, under a window mask, the frames it may see, as bands over a box. */
static void query_bands(const Axis *a, int q, float y, float h)
{
    const AttnTrace *t = a->t;
    float x0, x1;
    if (t->mask == ATTN_MASK_WINDOW) {
        int lo = q - t->mask_param < 0 ? 0 : q - t->mask_param;
        int hi = q + t->mask_param >= t->n ? t->n - 1 : q + t->mask_param;
        frames_x(a, lo, hi, &x0, &x1);
        ren_rect(a->ren, x0, y, x1 - x0, h, a->reach);
    }
    frames_x(a, q, q, &x0, &x1);
    RenColor c = a->accent;
    c.a = 70;
    ren_rect(a->ren, x0, y, fmaxf(x1 - x0, 1.5f), h, c);
}

static void draw_wave(const Axis *a, int q, float y)
{
    const AttnTrace *t = a->t;
    Ren *ren = a->ren;
    char note[160];
    snprintf(note, sizeof note, "%.2f s at %d Hz · frames of %d samples (%.1f ms) every %d (%.1f ms)",
             (double)t->wave_n / t->wave_rate, t->wave_rate, t->frame_len, 1000.0 * t->frame_len / t->wave_rate,
             t->frame_hop, 1000.0 * t->frame_hop / t->wave_rate);
    section(a, y, "waveform", note);
    y += 24;
    ren_rect(ren, a->px, y, a->pw, WAVE_H, a->th.bg);
    query_bands(a, q, y, WAVE_H);
    float mid = y + WAVE_H / 2;
    ren_rect(ren, a->px, mid, a->pw, 1, a->th.grid);
    /* the largest swing fills the box; each pixel column shows its samples' range */
    float peak = 1e-6f;
    for (int s = 0; s < t->wave_n; s++) peak = fmaxf(peak, fabsf(t->wave[s]));
    int cols = (int)a->pw;
    for (int c = 0; c < cols; c++) {
        long s0 = (long)((double)c / cols * t->wave_n), s1 = (long)((double)(c + 1) / cols * t->wave_n);
        if (s1 <= s0) s1 = s0 + 1;
        float lo = 0, hi = 0;
        for (long s = s0; s < s1 && s < t->wave_n; s++) {
            lo = fminf(lo, t->wave[s]);
            hi = fmaxf(hi, t->wave[s]);
        }
        float y0 = mid - hi / peak * (WAVE_H / 2 - 4), y1 = mid - lo / peak * (WAVE_H / 2 - 4);
        ren_rect(ren, a->px + c, y0, 1, fmaxf(y1 - y0, 1), a->th.fg);
    }
    /* frame starts along the top: every frame when they are 4 px apart, else every k-th */
    float step_px = a->pw * (float)(t->frame_hop / a->span);
    int every = step_px >= 4 ? 1 : (int)ceilf(4 / step_px);
    for (int i = 0; i < t->n; i += every) {
        float fx = x_of(a, (double)i * t->frame_hop);
        ren_rect(ren, fx, y, 1, i % (every * 10) == 0 ? 12 : 6, a->th.muted);
    }
    ren_frame(ren, a->px - 1, y - 1, a->pw + 2, WAVE_H + 2, 1, a->th.grid);
    /* seconds under the box */
    double secs = (double)t->wave_n / t->wave_rate, tick = secs <= 1.2 ? 0.1 : secs <= 6 ? 0.5 : secs <= 20 ? 2 : 10;
    for (double s = 0; s <= secs + 1e-9; s += tick) {
        char lab[24];
        snprintf(lab, sizeof lab, tick < 1 ? "%.1f s" : "%.0f s", s);
        float tx = x_of(a, s * t->wave_rate);
        ren_rect(ren, tx, y + WAVE_H, 1, 5, a->th.muted);
        ren_text(ren, tx, y + WAVE_H + 6, lab, 11, REN_REGULAR, a->th.muted, REN_CENTER);
    }
    ren_text(ren, a->px - 10, mid - 8, "amplitude", 12, REN_REGULAR, a->th.muted, REN_RIGHT);
}

/* The band features, low bands at the bottom, as an image stretched along the time axis. */
static float draw_features(const Axis *a, int q, float y)
{
    const AttnTrace *t = a->t;
    Ren *ren = a->ren;
    int n = t->n, B = t->d_feature;
    char note[120];
    snprintf(note, sizeof note, "log energy in %d mel-spaced bands, each normalised over the sound (a = features · E)", B);
    section(a, y, "frame features", note);
    y += 24;
    float rh = fminf(14.0f, 150.0f / B), h = rh * B;
    unsigned char *px = malloc((size_t)n * B * 4);
    if (px) {
        float m = 1e-6f;
        for (size_t k = 0; k < (size_t)n * B; k++) m = fmaxf(m, fabsf(t->features[k]));
        for (int b = 0; b < B; b++)
            for (int i = 0; i < n; i++) {
                CmapRGB c = cmap_color(CMAP_DIVERGING, cmap_t(CMAP_DIVERGING, t->features[(size_t)i * B + b], -m, m));
                unsigned char *o = px + ((size_t)(B - 1 - b) * n + i) * 4;
                o[0] = c.r; o[1] = c.g; o[2] = c.b; o[3] = 255;
            }
        /* frame i's column spans its hop; the last frame's window runs on to its end */
        float x0, x1;
        frames_x(a, 0, n - 1, &x0, &x1);
        float w = x_of(a, (double)n * a->hop) - x0;
        ren_image(ren, x0, y, w, h, px, n, B);
        free(px);
    }
    float x0, x1;
    frames_x(a, q, q, &x0, &x1);
    ren_frame(ren, x0 - 1, y - 1, fmaxf(x1 - x0, 1) + 2, h + 2, 1.5f, a->accent);
    ren_frame(ren, a->px - 1, y - 1, a->pw + 2, h + 2, 1, a->th.grid);
    /* band edges: mel-spaced from 0 Hz to half the sample rate */
    if (t->wave_rate > 0) {
        double top = 2595.0 * log10(1.0 + t->wave_rate / 2.0 / 700.0);
        int every = rh >= 12 ? 1 : (int)ceilf(12 / rh);
        for (int b = 0; b < B; b += every) {
            double lo = 700.0 * (pow(10.0, top * b / B / 2595.0) - 1), hi = 700.0 * (pow(10.0, top * (b + 1) / B / 2595.0) - 1);
            char lab[40];
            snprintf(lab, sizeof lab, "%.0f–%.0f Hz", lo, hi);
            ren_text(ren, a->px - 8, y + (B - 1 - b) * rh + rh / 2 - 7, lab, 11, REN_REGULAR, a->th.muted, REN_RIGHT);
        }
    }
    return 24 + h;
}

/* The query's weights over the frames as bars, scaled by top. */
static void strip(const Axis *a, const AttnTrace *w, int head, int q, float y, float top, const char *title,
                  const char *note)
{
    Ren *ren = a->ren;
    section(a, y, title, note);
    y += 22;
    ren_rect(ren, a->px, y, a->pw, STRIP_H, a->th.bg);
    query_bands(a, q, y, STRIP_H);
    if (w) {
        const float *row = w->head[head].weights + (size_t)q * w->n;
        for (int j = 0; j < w->n; j++) {
            if (row[j] <= 0) continue;
            float cx = x_of(a, (double)j * a->hop + a->len / 2.0), bw = fmaxf(1.0f, a->pw / w->n * 0.8f);
            float bh = row[j] / top * (STRIP_H - 4);
            CmapRGB c = cmap_color(CMAP_VIRIDIS, cmap_t(CMAP_VIRIDIS, row[j], 0, top));
            ren_rect(ren, cx - bw / 2, y + STRIP_H - bh, bw, fmaxf(bh, 1), (RenColor){c.r, c.g, c.b, 255});
        }
    } else {
        ren_text(ren, a->px + a->pw / 2, y + STRIP_H / 2 - 8, note, 13, REN_REGULAR, a->th.muted, REN_CENTER);
    }
    ren_frame(ren, a->px - 1, y - 1, a->pw + 2, STRIP_H + 2, 1, a->th.grid);
    char lab[32];
    snprintf(lab, sizeof lab, "%.3f", (double)top);
    ren_text(ren, a->px - 8, y - 2, lab, 11, REN_REGULAR, a->th.muted, REN_RIGHT);
    ren_text(ren, a->px - 8, y + STRIP_H - 14, "0", 11, REN_REGULAR, a->th.muted, REN_RIGHT);
    ren_text(ren, a->px - 8, y + STRIP_H / 2 - 8, "α′", 13, REN_REGULAR, a->th.muted, REN_RIGHT);
}

/* Two bars to scale: scores and memory of full attention and of the mask's pairs. */
static void cost_meter(const Axis *a, float y)
{
    const AttnTrace *t = a->t;
    Ren *ren = a->ren;
    AttnCost c;
    attn_cost(&c, t);
    char full[32], allowed[32], fb[32], ab[32], line[240];
    fig_format_count(full, sizeof full, c.full);
    fig_format_count(allowed, sizeof allowed, c.allowed);
    fig_format_bytes(fb, sizeof fb, c.full_bytes * t->heads);
    fig_format_bytes(ab, sizeof ab, c.allowed_bytes * t->heads);
    section(a, y, "cost", t->heads == 1 ? "scores a head, and the memory their scores and weights take (attnlab "
                                          "itself keeps every pair, to draw it)"
                                        : "scores a head, and the memory their scores and weights take in all heads "
                                          "(attnlab itself keeps every pair, to draw it)");
    y += 24;
    float bar = 22, frac = (float)((double)c.allowed / (double)c.full);
    ren_rect(ren, a->px, y, a->pw, bar, a->th.masked_bg);
    snprintf(line, sizeof line, "full attention: N² = %lld² = %s scores · %s", c.n, full, fb);
    ren_text(ren, a->px + 8, y + 3, line, 13, REN_REGULAR, a->th.fg, REN_LEFT);
    ren_text(ren, a->px - 8, y + 3, "full", 12, REN_REGULAR, a->th.muted, REN_RIGHT);
    y += bar + 8;
    if (t->mask != ATTN_MASK_NONE) ren_rect(ren, a->px, y, fmaxf(a->pw * frac, 2), bar, a->accent);
    if (t->mask == ATTN_MASK_WINDOW)
        snprintf(line, sizeof line, "window ±%d: N(2w+1) = %lld × %d less the ends = %s scores (%.1f%%) · %s", t->mask_param,
                 c.n, 2 * t->mask_param + 1, allowed, 100.0 * frac, ab);
    else if (t->mask == ATTN_MASK_NONE)
        snprintf(line, sizeof line, "no mask: every pair is scored · set a window with X to truncate");
    else
        snprintf(line, sizeof line, "under the mask: %s scores (%.1f%%) · %s", allowed, 100.0 * frac, ab);
    float lx = a->px + a->pw * frac + 8;
    if (frac > 0.5f || t->mask == ATTN_MASK_NONE) lx = a->px + 8;
    ren_text(ren, lx, y + 3, line, 13, REN_REGULAR, a->th.fg, REN_LEFT);
    ren_text(ren, a->px - 8, y + 3, t->mask == ATTN_MASK_NONE ? "" : "masked", 12, REN_REGULAR, a->th.muted, REN_RIGHT);
}

void speechfig_draw(Ren *ren, const AttnTrace *t, const FigOptions *o, float x, float y, FigLayout *lay)
{
    Axis a;
    memset(&a, 0, sizeof a);
    a.ren = ren;
    a.t = t;
    a.th = fig_theme(o->dark);
    a.accent = (RenColor){214, 110, 0, 255};
    a.reach = o->dark ? (RenColor){70, 60, 40, 255} : (RenColor){250, 236, 214, 255};
    float W = o->width > 0 ? o->width : SPEECHFIG_W;
    a.fx = x;
    a.px = x + GUTTER;
    a.pw = W - GUTTER - MARGIN;
    int sound = t->wave && t->wave_n > 0 && t->frame_hop > 0;
    a.hop = sound ? t->frame_hop : 1;
    a.len = sound ? t->frame_len : 1;
    /* the axis ends where the last frame does (a tail too short for a frame is not shown) */
    a.span = sound ? (double)(t->n - 1) * t->frame_hop + t->frame_len : t->n;
    int q = o->query < 0 ? 0 : o->query >= t->n ? t->n - 1 : o->query;
    int head = o->head < 0 ? 0 : o->head >= t->heads ? t->heads - 1 : o->head;

    char title[200];
    fig_title(title, sizeof title, t, o);
    ren_rect(ren, x, y, W, SPEECHFIG_H, a.th.bg);
    Axis *ap = &a;
    float cy = y + 14;
    ren_text(ren, x + MARGIN, cy, title, 18, REN_BOLD, a.th.fg, REN_LEFT);
    char sub[240];
    if (sound) {
        float s0 = (float)((double)q * t->frame_hop / t->wave_rate), s1 = s0 + (float)t->frame_len / t->wave_rate;
        snprintf(sub, sizeof sub, "%d frames are the tokens · the query, frame %d, covers %.3f–%.3f s · click a frame to "
                 "make it the query", t->n, q + 1, (double)s0, (double)s1);
    } else {
        snprintf(sub, sizeof sub, "this scene is not a sound: its %d tokens stand in for frames · open one with --audio "
                 "example:speech or drop a WAV file on the window", t->n);
    }
    ren_text(ren, x + MARGIN, cy + 26, sub, 13, REN_REGULAR, a.th.muted, REN_LEFT);
    cy += 58;
    float hit_y = cy, hit_h = 0;
    if (sound) {
        draw_wave(ap, q, cy);
        hit_y = cy + 24;
        hit_h = WAVE_H;
        cy += 24 + WAVE_H + 30;
        if (t->features && t->d_feature > 0) cy += draw_features(ap, q, cy) + 22;
    }
    /* one scale for both strips, so their bars compare */
    const AttnTrace *full = o->unmasked && o->unmasked->n == t->n && o->unmasked->heads == t->heads ? o->unmasked : NULL;
    float top = 1e-6f;
    top = fmaxf(top, t->head[head].max_weight[q]);
    if (full && t->mask != ATTN_MASK_NONE) top = fmaxf(top, full->head[head].max_weight[q]);
    char m[64], note[160];
    if (t->mask == ATTN_MASK_NONE) {
        snprintf(note, sizeof note, "every frame may attend to every other");
        strip(ap, t, head, q, cy, top, "the query frame's weights: full attention", note);
        cy += 22 + STRIP_H + 22;
    } else {
        snprintf(note, sizeof note, full ? "the same scene without its mask"
                                         : "full attention is computed beside the mask for up to %d frames",
                 FIG_COMPARE_MAX_N);
        strip(ap, full, head, q, cy, top, "full attention", note);
        cy += 22 + STRIP_H + 22;
        if (t->mask == ATTN_MASK_WINDOW) snprintf(m, sizeof m, "truncated attention: a window of ±%d frames", t->mask_param);
        else snprintf(m, sizeof m, "under the scene's mask");
        snprintf(note, sizeof note, "frames outside the reach get exactly 0");
        strip(ap, t, head, q, cy, top, m, note);
        cy += 22 + STRIP_H + 22;
    }
    cost_meter(ap, cy);

    if (lay) {
        memset(lay, 0, sizeof *lay);
        lay->x = x;
        lay->y = y;
        lay->w = W;
        lay->h = SPEECHFIG_H;
        lay->cell = 1;
        /* the waveform (or the first strip) as one row of frames: a click picks a frame */
        if (!sound) hit_y = y + 72 + 22, hit_h = STRIP_H;
        FigPanelBox *b = &lay->p[lay->n++];
        b->q = FQ_PATCH;
        b->head = head;
        b->mx = a.px;
        b->my = hit_y;
        b->rows = 1;
        b->cols = t->n;
        b->data_rows = 1;
        b->data_cols = t->n;
        b->cw = (float)(a.pw * (sound ? (double)t->frame_hop / a.span : 1.0 / t->n));
        b->ch = hit_h;
    }
}
