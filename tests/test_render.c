/* test_render.c: fonts, text and figures drawn on a software renderer, checked by reading
 * pixels back from the surface. */
#include "test.h"
#include "../src/app/export.h"
#include "../src/draw/fig.h"
#include "../src/draw/graphfig.h"

#include <SDL_ttf.h>
#include <stdlib.h>
#include <string.h>

static RenFonts *fonts(void)
{
    static RenFonts *f;
    char err[256];
    if (!f) {
        f = ren_fonts_open(err, sizeof err);
        if (!f) fprintf(stderr, "  fonts: %s\n", err);
    }
    return f;
}

static const char *const words[] = {"I", "saw", "a", "saw"};

static int compute(AttnTrace *t, AttnScene *s)
{
    char err[256];
    memset(t, 0, sizeof *t);
    if (attn_forward(t, s, err, sizeof err)) {
        fprintf(stderr, "  forward: %s\n", err);
        return -1;
    }
    return 0;
}

static void pixel(SDL_Surface *s, int x, int y, unsigned char rgb[3])
{
    const unsigned char *p = (const unsigned char *)s->pixels + (size_t)y * s->pitch + 4 * (size_t)x;
    rgb[0] = p[0];
    rgb[1] = p[1];
    rgb[2] = p[2];
}

static int near_rgb(const unsigned char a[3], CmapRGB b, int tol)
{
    return abs(a[0] - b.r) <= tol && abs(a[1] - b.g) <= tol && abs(a[2] - b.b) <= tol;
}

/* The centre pixel of a cell, in surface pixels, from the layout of the last render. */
static int cell_centre(const FigLayout *lay, float scale, int panel, int r, int c, int *px, int *py)
{
    float x, y, size;
    if (!fig_layout_cell(lay, panel, r, c, &x, &y, &size)) return 0;
    *px = (int)((x + size / 2) * scale);
    *py = (int)((y + size / 2) * scale);
    return 1;
}

static void fonts_are_found(void)
{
    EXPECT(fonts() != NULL);
    EXPECT(strstr(ren_fonts_describe(fonts()), "DejaVuSans") != NULL);
    EXPECT(strstr(ren_fonts_describe(fonts()), "wqy") != NULL);
}

static void maths_symbols_have_glyphs_in_the_latin_font(void)
{
    /* α ′ √ Σ ᵀ ᴼ ∞ − · ±: a missing glyph would draw as a box */
    static const Uint32 cps[] = {0x3B1, 0x2032, 0x221A, 0x3A3, 0x1D40, 0x1D3C, 0x221E, 0x2212, 0xB7, 0xB1};
    TTF_Font *f = TTF_OpenFont("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 12);
    EXPECT(f != NULL);
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        int ok = TTF_GlyphIsProvided32(f, cps[i]);
        if (!ok) { TTF_CloseFont(f); EXPECT_MSG(0, "U+%04X has no glyph", (unsigned)cps[i]); }
    }
    TTF_CloseFont(f);
}

/* Draws text onto a fresh white surface and returns how many pixels are not white. */
static int ink(const char *text)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 200, 40, 32, SDL_PIXELFORMAT_ABGR8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    Ren *ren = ren_create(r, fonts(), 1.0f);
    SDL_SetRenderDrawColor(r, 255, 255, 255, 255);
    SDL_RenderClear(r);
    ren_text(ren, 4, 4, text, 24, REN_REGULAR, (RenColor){0, 0, 0, 255}, REN_LEFT);
    SDL_RenderPresent(r);
    int n = 0;
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            unsigned char p[3];
            pixel(s, x, y, p);
            n += p[0] < 200;
        }
    ren_destroy(ren);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    return n;
}

static void cjk_text_uses_the_fallback_font(void)
{
    EXPECT(fonts() != NULL);
    /* DejaVu has no 自; without fallback it would be drawn as the same box as 力 */
    int a = ink("自"), b = ink("力");
    EXPECT(a > 20);
    EXPECT(b > 20);
    EXPECT_MSG(a != b, "自 and 力 drew the same amount of ink (%d): boxes, not glyphs", a);
}

static void text_width_grows_with_text_and_scale(void)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 8, 8, 32, SDL_PIXELFORMAT_ABGR8888);
    SDL_Renderer *r = SDL_CreateSoftwareRenderer(s);
    Ren *ren = ren_create(r, fonts(), 1.0f);
    float w1 = ren_text_width(ren, "saw", 12, REN_REGULAR);
    float w2 = ren_text_width(ren, "saw saw", 12, REN_REGULAR);
    float wc = ren_text_width(ren, "自注意力", 12, REN_REGULAR);
    ren_set_scale(ren, 2.0f);
    float w1s = ren_text_width(ren, "saw", 12, REN_REGULAR);
    ren_destroy(ren);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    EXPECT(w1 > 10);
    EXPECT(w2 > 2 * w1);
    EXPECT(wc > 30);
    EXPECT_NEAR(w1s, w1, 1.5); /* logical width stays about the same at any scale */
}

static void largest_weight_is_drawn_in_the_top_colour(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    /* find the largest weight */
    int bi = 0, bj = 0;
    float best = -1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            if (t.head[0].weights[i * 4 + j] > best) { best = t.head[0].weights[i * 4 + j]; bi = i; bj = j; }
    for (int transposed = 0; transposed < 2; transposed++)
        for (int cm = 0; cm < CMAP_COUNT; cm++) {
            if (cm == CMAP_DIVERGING) continue; /* weights are not signed */
            FigOptions o = fig_options_default();
            o.numbers = FIG_NUMBERS_OFF;
            o.cmap = cm;
            o.transposed = transposed;
            char err[256];
            FigLayout lay;
            SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), &lay, err, sizeof err);
            EXPECT_MSG(sf != NULL, "%s", err);
            int x, y;
            EXPECT(cell_centre(&lay, 1.0f, 0, bi, bj, &x, &y));
            unsigned char p[3];
            pixel(sf, x, y, p);
            CmapRGB top = cmap_top((CmapKind)cm);
            /* a different cell must not also be the top colour */
            int ox = 0, oy = 0;
            cell_centre(&lay, 1.0f, 0, (bi + 1) % 4, (bj + 2) % 4, &ox, &oy);
            unsigned char q[3];
            pixel(sf, ox, oy, q);
            SDL_FreeSurface(sf);
            EXPECT_MSG(near_rgb(p, top, 2), "cmap %d transposed %d: (%d,%d,%d) is not the top colour (%d,%d,%d)",
                       cm, transposed, p[0], p[1], p[2], top.r, top.g, top.b);
            EXPECT(!near_rgb(q, top, 2));
        }
    attn_trace_free(&t);
}

static void masked_cells_look_different_from_every_weight(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    FigOptions o = fig_options_default();
    o.numbers = FIG_NUMBERS_OFF;
    o.cell = 40;
    char err[256];
    FigLayout lay;
    SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), &lay, err, sizeof err);
    EXPECT(sf != NULL);
    /* a masked cell (query 1, key 4) holds two colours (ground and hatch), neither of
     * which is on the colour map's path near zero */
    float x, y, w;
    EXPECT(fig_layout_cell(&lay, 0, 0, 3, &x, &y, &w));
    float h = w;
    int distinct = 0;
    unsigned char first[3];
    pixel(sf, (int)x + 2, (int)y + 2, first);
    CmapRGB zero = cmap_color(CMAP_VIRIDIS, 0.0f);
    int bad = 0;
    for (int yy = (int)y + 2; yy < (int)(y + h) - 2; yy++)
        for (int xx = (int)x + 2; xx < (int)(x + w) - 2; xx++) {
            unsigned char p[3];
            pixel(sf, xx, yy, p);
            if (p[0] != first[0] || p[1] != first[1] || p[2] != first[2]) distinct = 1;
            if (near_rgb(p, zero, 20)) bad = 1;
        }
    SDL_FreeSurface(sf);
    attn_trace_free(&t);
    EXPECT_MSG(distinct, "masked cell is a flat colour, not hatched");
    EXPECT_MSG(!bad, "masked cell looks like a zero weight");
}

static void themes_fill_their_background(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    for (int dark = 0; dark < 2; dark++) {
        FigOptions o = fig_options_default();
        o.dark = dark;
        char err[256];
        SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), NULL, err, sizeof err);
        EXPECT(sf != NULL);
        unsigned char p[3];
        pixel(sf, 2, 2, p);
        RenColor bg = fig_background(dark);
        SDL_FreeSurface(sf);
        EXPECT(p[0] == bg.r && p[1] == bg.g && p[2] == bg.b);
    }
    attn_trace_free(&t);
}

static void scale_multiplies_the_size(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    FigOptions o = fig_options_default();
    char err[256];
    SDL_Surface *a = export_render(&t, &o, 1.0f, fonts(), NULL, err, sizeof err);
    SDL_Surface *b = export_render(&t, &o, 2.0f, fonts(), NULL, err, sizeof err);
    EXPECT(a && b);
    int aw = a->w, ah = a->h, bw = b->w, bh = b->h;
    SDL_FreeSurface(a);
    SDL_FreeSurface(b);
    attn_trace_free(&t);
    /* text is hinted per size, so allow a few percent */
    EXPECT_MSG(abs(bw - 2 * aw) <= aw / 20 && abs(bh - 2 * ah) <= ah / 20,
               "%dx%d at scale 1, %dx%d at scale 2", aw, ah, bw, bh);
}

static void every_view_renders(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    s.mask = ATTN_MASK_WINDOW;
    s.mask_param = 1;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    /* the encoder-decoder view draws its own sentence pair */
    CrossScene cs = cross_scene_default();
    EXPECT(cross_preset(&cs, "french") == 0);
    CrossTrace ct;
    memset(&ct, 0, sizeof ct);
    char cerr[256];
    EXPECT_MSG(cross_forward(&ct, &cs, cerr, sizeof cerr) == 0, "%s", cerr);
    for (int v = 0; v < FIG_COUNT; v++)
        for (int tr = 0; tr < 2; tr++) {
            FigOptions o = fig_options_default();
            o.view = (FigView)v;
            o.transposed = tr;
            o.head = 1;
            o.cross = &ct;
            o.cross_src = cs.src_words;
            o.cross_tgt = cs.tgt_words;
            char err[256];
            SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), NULL, err, sizeof err);
            EXPECT_MSG(sf != NULL, "view %s: %s", fig_view_name((FigView)v), err);
            EXPECT(sf->w > 200 && sf->h > 100);
            SDL_FreeSurface(sf);
        }
    cross_trace_free(&ct);
    attn_trace_free(&t);
}

/* Decoding the encoder-decoder view one step at a time: steps after it are blank, the step's
 * terms and their sum are drawn (panels 3 and 4), each term is its weight times its source
 * state, and the sum row is the step's context. */
static void cross_decoding_draws_one_step_term_by_term(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    CrossScene cs = cross_scene_default();
    EXPECT(cross_preset(&cs, "french") == 0);
    CrossTrace ct;
    memset(&ct, 0, sizeof ct);
    char err[256];
    EXPECT_MSG(cross_forward(&ct, &cs, err, sizeof err) == 0, "%s", err);
    FigOptions o = fig_options_default();
    o.view = FIG_CROSS;
    o.cross = &ct;
    o.cross_src = cs.src_words;
    o.cross_tgt = cs.tgt_words;
    o.decode_step = 1; /* "chat" */
    FigLayout lay;
    SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), &lay, err, sizeof err);
    EXPECT_MSG(sf != NULL, "%s", err);
    int boxes = lay.n, ns = ct.n_src, d = ct.d;
    /* a cell of step 3 ("noir") in the alignment is not drawn yet: no weight colour */
    float x, y, size;
    int ok = fig_layout_cell(&lay, 0, 2, 0, &x, &y, &size);
    unsigned char rgb[3] = {0, 0, 0};
    if (ok) pixel(sf, (int)(x + 3), (int)(y + 3), rgb);
    FigTheme th = fig_theme(0);
    CmapRGB drawn = cmap_color(CMAP_VIRIDIS, cmap_t(CMAP_VIRIDIS, ct.weights[2 * ns + 0], 0, 1));
    SDL_FreeSurface(sf);
    /* the terms: hit every cell of panel 3 and the sum row of panel 4 */
    int term_hits = 0, sum_hits = 0;
    for (int j = 0; j < ns; j++)
        for (int c = 0; c < d; c++) {
            float cx, cy, cs2;
            FigHit hit;
            if (fig_layout_cell(&lay, 3, j, c, &cx, &cy, &cs2) && fig_layout_hit(&lay, cx + cs2 / 2, cy + cs2 / 2, &hit) &&
                hit.panel == 3 && hit.row == j && hit.col == c && hit.head == 1)
                term_hits++;
        }
    for (int c = 0; c < d; c++) {
        float cx, cy, cs2;
        FigHit hit;
        if (fig_layout_cell(&lay, 4, ns, c, &cx, &cy, &cs2) && fig_layout_hit(&lay, cx + cs2 / 2, cy + cs2 / 2, &hit) &&
            hit.panel == 4 && hit.row == ns && hit.col == c)
            sum_hits++;
    }
    cross_trace_free(&ct);
    attn_trace_free(&t);
    EXPECT_INT(boxes, 5);
    EXPECT(ok);
    EXPECT_MSG(abs(rgb[0] - th.masked_bg.r) <= 2 && abs(rgb[1] - th.masked_bg.g) <= 2 && abs(rgb[2] - th.masked_bg.b) <= 2,
               "a later step's cell is (%d,%d,%d), not blank; its weight would be (%d,%d,%d)", rgb[0], rgb[1], rgb[2],
               drawn.r, drawn.g, drawn.b);
    EXPECT_INT(term_hits, ns * d);
    EXPECT_INT(sum_hits, d);
}

static void titles_say_what_is_drawn(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    s.heads = 2;
    s.d_head = 8;
    s.d_model = 16;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    FigOptions o = fig_options_default();
    o.head = 1;
    char title[256];
    fig_title(title, sizeof title, &t, &o);
    EXPECT_STR(title, "head 2 · α′ = softmax(QKᵀ/√8) · causal mask");
    o.transposed = 1;
    fig_title(title, sizeof title, &t, &o);
    EXPECT(strstr(title, "KᵀQ/√8") != NULL);
    o.view = FIG_SCORES;
    o.transposed = 0;
    fig_title(title, sizeof title, &t, &o);
    EXPECT(strstr(title, "√") == NULL); /* raw scores are not scaled */
    attn_trace_free(&t);
}

static void view_names_round_trip(void)
{
    for (int v = 0; v < FIG_COUNT; v++) {
        FigView back;
        EXPECT(fig_view_parse(fig_view_name((FigView)v), &back) == 0);
        EXPECT_INT(back, v);
        EXPECT(strstr(fig_view_names(), fig_view_name((FigView)v)) != NULL);
    }
    FigView x;
    EXPECT(fig_view_parse("nope", &x) != 0);
}

static void block_view_shows_every_stage(void)
{
    BlockScene bs = block_scene_default();
    bs.attn.n = 4;
    bs.attn.tokens = words;
    bs.layers = 2;
    BlockTrace bt;
    memset(&bt, 0, sizeof bt);
    char err[256];
    EXPECT_MSG(block_forward(&bt, &bs, err, sizeof err) == 0, "%s", err);
    FigOptions o = fig_options_default();
    o.view = FIG_BLOCK;
    o.block = &bt;
    o.layer = 1;
    o.numbers = FIG_NUMBERS_OFF;
    o.cmap = CMAP_DIVERGING;
    FigLayout lay;
    SDL_Surface *sf = export_render(&bt.layer[1].attn, &o, 1.0f, fonts(), &lay, err, sizeof err);
    EXPECT_MSG(sf != NULL, "%s", err);
    /* eight stages; the last panel is the layer's output: its most negative value is drawn in
     * the diverging map's low end or near it */
    int panels = lay.n, best_r = 0, best_c = 0;
    const float *out = bt.layer[1].out;
    for (int i = 0; i < 4 * 8; i++)
        if (fabsf(out[i]) > fabsf(out[best_r * 8 + best_c])) { best_r = i / 8; best_c = i % 8; }
    float x, y, size;
    int ok = fig_layout_cell(&lay, 7, best_r, best_c, &x, &y, &size);
    unsigned char p[3];
    if (ok) pixel(sf, (int)(x + size / 2), (int)(y + size / 2), p);
    CmapRGB want = cmap_color(CMAP_DIVERGING, out[best_r * 8 + best_c] > 0 ? 1.0f : 0.0f);
    SDL_FreeSurface(sf);
    block_trace_free(&bt);
    EXPECT_INT(panels, 8);
    EXPECT(ok);
    /* the shared colour range may reach further in another stage, so only the side is checked */
    int want_red = want.r > want.b, got_red = p[0] > p[2];
    EXPECT_MSG(want_red == got_red, "pixel (%d,%d,%d) is on the wrong side of the diverging map", p[0], p[1], p[2]);
}

/* The graph layout: a path 1-2-3-4-5-6 (a window:1 mask) puts every linked pair closer than
 * the path's two ends, keeps every node inside [0, 1], and gives the same picture twice. */
static void graph_layout_keeps_neighbours_close(void)
{
    AttnScene s = attn_scene_default();
    static const char *const six[] = {"a", "b", "c", "d", "e", "f"};
    s.n = 6;
    s.tokens = six;
    s.mask = ATTN_MASK_WINDOW;
    s.mask_param = 1;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    float xy[12], again[12];
    graphfig_layout(xy, &t);
    graphfig_layout(again, &t);
    EXPECT(memcmp(xy, again, sizeof xy) == 0);
    for (int i = 0; i < 12; i++) EXPECT_MSG(xy[i] >= -1e-6f && xy[i] <= 1.0f + 1e-6f, "coordinate %d is %g", i, (double)xy[i]);
    float ends = hypotf(xy[0] - xy[10], xy[1] - xy[11]);
    for (int i = 0; i + 1 < 6; i++) {
        float d = hypotf(xy[2 * i] - xy[2 * i + 2], xy[2 * i + 1] - xy[2 * i + 3]);
        EXPECT_MSG(d < ends, "nodes %d and %d are %.3f apart, the ends %.3f", i + 1, i + 2, (double)d, (double)ends);
        EXPECT_MSG(d > 0.05f, "nodes %d and %d overlap (%.3f)", i + 1, i + 2, (double)d);
    }
    attn_trace_free(&t);
}

/* Every node of the graph view is a place to click: the hit under it names its token, which
 * the window makes the query (as for a picture's patch). */
static void graph_nodes_hit_their_tokens(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = words;
    s.mask = ATTN_MASK_CAUSAL;
    AttnTrace t;
    EXPECT(compute(&t, &s) == 0);
    FigOptions o = fig_options_default();
    o.view = FIG_GRAPH;
    o.query = 2;
    FigLayout lay;
    char err[256];
    SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), &lay, err, sizeof err);
    EXPECT_MSG(sf != NULL, "%s", err);
    SDL_FreeSurface(sf);
    EXPECT_INT(lay.n, 4);
    for (int i = 0; i < 4; i++) {
        float x, y, size;
        EXPECT(fig_layout_cell(&lay, i, 0, i, &x, &y, &size)); /* node i: data row 0, column i */
        FigHit hit;
        EXPECT(fig_layout_hit(&lay, x + size / 2, y + size / 2, &hit));
        EXPECT_INT(hit.q, FQ_PATCH);
        EXPECT_INT(hit.row, i);
    }
    attn_trace_free(&t);
}

void suite_render(void)
{
    RUN(graph_nodes_hit_their_tokens);
    RUN(graph_layout_keeps_neighbours_close);
    RUN(block_view_shows_every_stage);
    RUN(fonts_are_found);
    RUN(maths_symbols_have_glyphs_in_the_latin_font);
    RUN(cjk_text_uses_the_fallback_font);
    RUN(text_width_grows_with_text_and_scale);
    RUN(largest_weight_is_drawn_in_the_top_colour);
    RUN(masked_cells_look_different_from_every_weight);
    RUN(themes_fill_their_background);
    RUN(scale_multiplies_the_size);
    RUN(every_view_renders);
    RUN(titles_say_what_is_drawn);
    RUN(cross_decoding_draws_one_step_term_by_term);
    RUN(view_names_round_trip);
}
