/* graphfig.c: the graph view (graphfig.h): a force-directed layout of the tokens and the
 * query node's attention drawn on its edges. */
#include "graphfig.h"
#include "cmap.h"
#include "fig.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MARGIN 24.0f
#define SPAN 12.0f  /* the layout's side, in node sizes */
#define TITLE 18.0f
#define SUB 13.0f

static int linked(const AttnTrace *t, int i, int j)
{
    return i != j && (attn_allowed(t, i, j) || attn_allowed(t, j, i));
}

void graphfig_layout(float *xy, const AttnTrace *t)
{
    int n = t->n < GRAPHFIG_MAX_NODES ? t->n : GRAPHFIG_MAX_NODES;
    if (n == 1) { xy[0] = xy[1] = 0.5f; return; }
    double px[GRAPHFIG_MAX_NODES], py[GRAPHFIG_MAX_NODES], dx[GRAPHFIG_MAX_NODES], dy[GRAPHFIG_MAX_NODES];
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < n; i++) {
        px[i] = 0.5 + 0.4 * cos(2 * pi * i / n - pi / 2);
        py[i] = 0.5 + 0.4 * sin(2 * pi * i / n - pi / 2);
    }
    double k = sqrt(1.0 / n), temp = 0.1;
    for (int it = 0; it < 300; it++) {
        for (int i = 0; i < n; i++) dx[i] = dy[i] = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                double ex = px[i] - px[j], ey = py[i] - py[j], d = sqrt(ex * ex + ey * ey);
                if (d < 1e-6) { ex = 1e-3 * (i - j); ey = 1e-3; d = sqrt(ex * ex + ey * ey); }
                double f = k * k / d - (linked(t, i, j) ? d * d / k : 0.0);
                dx[i] += ex / d * f; dy[i] += ey / d * f;
                dx[j] -= ex / d * f; dy[j] -= ey / d * f;
            }
        for (int i = 0; i < n; i++) {
            double d = sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
            if (d > 0) {
                double step = d < temp ? d : temp;
                px[i] += dx[i] / d * step;
                py[i] += dy[i] / d * step;
            }
        }
        temp *= 0.985;
    }
    /* fill [0, 1] in both directions, keeping the shape */
    double x0 = px[0], x1 = px[0], y0 = py[0], y1 = py[0];
    for (int i = 1; i < n; i++) {
        x0 = fmin(x0, px[i]); x1 = fmax(x1, px[i]);
        y0 = fmin(y0, py[i]); y1 = fmax(y1, py[i]);
    }
    double side = fmax(x1 - x0, y1 - y0);
    if (!(side > 1e-9)) side = 1;
    for (int i = 0; i < n; i++) {
        xy[2 * i] = (float)((px[i] - x0) / side + (1 - (x1 - x0) / side) / 2);
        xy[2 * i + 1] = (float)((py[i] - y0) / side + (1 - (y1 - y0) / side) / 2);
    }
}

static RenColor rgb(CmapRGB c) { RenColor r = {c.r, c.g, c.b, 255}; return r; }

/* A line `width` pixels wide, as parallel 1-pixel lines. */
static void thick_line(Ren *ren, float x0, float y0, float x1, float y1, float width, RenColor c)
{
    float ex = x1 - x0, ey = y1 - y0, d = sqrtf(ex * ex + ey * ey);
    if (d < 1e-3f) return;
    float nx = -ey / d, ny = ex / d;
    int lines = (int)ceilf(width * 2);
    for (int s = 0; s < lines; s++) {
        float o = lines > 1 ? -width / 2 + width * s / (lines - 1) : 0;
        ren_line(ren, x0 + nx * o, y0 + ny * o, x1 + nx * o, y1 + ny * o, c);
    }
}

static void layout_figure(Ren *ren, const AttnTrace *t, int head, int query, float node, int dark,
                          float x, float y, float *node_xy, int draw, float *w, float *h)
{
    FigTheme th = fig_theme(dark);
    int n = t->n;
    float top = ren_line_height(ren, TITLE) + ren_line_height(ren, SUB) + 14.0f;
    float side = SPAN * node, label = ren_line_height(ren, SUB) + 2.0f;
    *w = 2 * MARGIN + side + node + 40.0f;
    *h = 2 * MARGIN + top + side + node + label;
    char buf[160];
    if (n > GRAPHFIG_MAX_NODES) {
        snprintf(buf, sizeof buf, "the graph view draws up to %d nodes; this scene has %d tokens",
                 GRAPHFIG_MAX_NODES, n);
        *w = 2 * MARGIN + ren_text_width(ren, buf, 15.0f, REN_REGULAR);
        *h = 2 * MARGIN + ren_line_height(ren, 15.0f);
        if (draw) ren_text(ren, x + MARGIN, y + MARGIN, buf, 15.0f, REN_REGULAR, th.muted, REN_LEFT);
        return;
    }
    if (query < 0 || query >= n) query = 0;
    if (head < 0 || head >= t->heads) head = 0;
    float tw;
    snprintf(buf, sizeof buf, "graph · node %d (%s) attends along its edges · head %d", query + 1,
             t->tokens && t->tokens[query] ? t->tokens[query] : "?", head + 1);
    tw = ren_text_width(ren, buf, TITLE, REN_BOLD);
    if (2 * MARGIN + tw > *w) *w = 2 * MARGIN + tw;
    const char *sub = "lines: pairs the mask allows · thick and bright: the query's weight α′ · click a node";
    float sw = ren_text_width(ren, sub, SUB, REN_REGULAR);
    if (2 * MARGIN + sw > *w) *w = 2 * MARGIN + sw;
    if (!draw) return;
    ren_text(ren, x + MARGIN, y + MARGIN, buf, TITLE, REN_BOLD, th.fg, REN_LEFT);
    ren_text(ren, x + MARGIN, y + MARGIN + ren_line_height(ren, TITLE) + 2, sub, SUB, REN_REGULAR, th.muted, REN_LEFT);

    float xy[2 * GRAPHFIG_MAX_NODES];
    graphfig_layout(xy, t);
    float ox = x + MARGIN + 20.0f, oy = y + MARGIN + top;
    float cx[GRAPHFIG_MAX_NODES], cy[GRAPHFIG_MAX_NODES];
    for (int i = 0; i < n; i++) {
        cx[i] = ox + xy[2 * i] * side + node / 2;
        cy[i] = oy + xy[2 * i + 1] * side + node / 2;
    }
    const float *wq = t->head[head].weights + (size_t)query * n;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (linked(t, i, j)) ren_line(ren, cx[i], cy[i], cx[j], cy[j], th.muted);
    for (int j = 0; j < n; j++) {
        if (j == query || !(wq[j] > 0.005f)) continue;
        CmapRGB c = cmap_color(CMAP_VIRIDIS, wq[j]);
        thick_line(ren, cx[query], cy[query], cx[j], cy[j], 1.0f + 0.3f * node * wq[j], rgb(c));
    }
    for (int i = 0; i < n; i++) {
        float nx = cx[i] - node / 2, ny = cy[i] - node / 2;
        int allowed = attn_allowed(t, query, i);
        CmapRGB c = cmap_color(CMAP_VIRIDIS, wq[i]);
        if (allowed) ren_rect(ren, nx, ny, node, node, rgb(c));
        else {
            ren_rect(ren, nx, ny, node, node, th.masked_bg);
            ren_hatch(ren, nx, ny, node, node, 6.0f, th.hatch);
        }
        ren_frame(ren, nx, ny, node, node, i == query ? 3.0f : 1.0f, th.fg);
        if (allowed && node >= 26.0f) {
            fig_format_num(buf, sizeof buf, wq[i]);
            ren_text(ren, cx[i], cy[i] - ren_line_height(ren, 11.0f) / 2, buf, 11.0f, REN_MONO,
                     rgb(cmap_text_on(c)), REN_CENTER);
        }
        snprintf(buf, sizeof buf, "%d %s", i + 1, t->tokens && t->tokens[i] ? t->tokens[i] : "");
        ren_text(ren, cx[i], ny + node + 2.0f, buf, SUB, i == query ? REN_BOLD : REN_REGULAR, th.fg, REN_CENTER);
        if (node_xy) {
            node_xy[2 * i] = nx;
            node_xy[2 * i + 1] = ny;
        }
    }
}

void graphfig_measure(Ren *ren, const AttnTrace *t, float node, float *w, float *h)
{
    layout_figure(ren, t, 0, 0, node, 0, 0, 0, NULL, 0, w, h);
}

void graphfig_draw(Ren *ren, const AttnTrace *t, int head, int query, float node, int dark,
                   float x, float y, float *node_xy)
{
    float w, h;
    layout_figure(ren, t, head, query, node, dark, x, y, node_xy, 1, &w, &h);
}
