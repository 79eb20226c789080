/* test_export.c: PNG files written by the exporter, read back with stb_image. */
#include "test.h"
#include "../src/app/export.h"

#include <stb_image.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static RenFonts *fonts(void)
{
    static RenFonts *f;
    char err[256];
    if (!f) f = ren_fonts_open(err, sizeof err);
    return f;
}

static const char *const toks[] = {"自", "注", "意", "力", "!"};

static void png_reads_back_with_its_size_and_top_colour(void)
{
    AttnScene s = attn_scene_default();
    s.n = 5;
    s.tokens = toks;
    s.heads = 3;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256], path[512];
    EXPECT(attn_forward(&t, &s, err, sizeof err) == 0);
    FigOptions o = fig_options_default();
    o.head = 2;
    o.numbers = FIG_NUMBERS_OFF;
    snprintf(path, sizeof path, "%s/weights.png", test_tmpdir());
    int w = 0, h = 0;
    EXPECT_MSG(export_png(path, &t, &o, 2.0f, fonts(), &w, &h, err, sizeof err) == 0, "%s", err);
    int iw, ih, comp;
    unsigned char *img = stbi_load(path, &iw, &ih, &comp, 3);
    EXPECT_MSG(img != NULL, "stb_image cannot read %s", path);
    EXPECT_INT(iw, w);
    EXPECT_INT(ih, h);
    /* the largest weight of head 3 */
    const float *wt = t.head[2].weights;
    int best = 0;
    for (int c = 1; c < 25; c++) if (wt[c] > wt[best]) best = c;
    FigLayout lay;
    SDL_Surface *again = export_render(&t, &o, 2.0f, fonts(), &lay, err, sizeof err);
    EXPECT(again != NULL);
    SDL_FreeSurface(again);
    float x, y, cw;
    int ok = fig_layout_cell(&lay, 0, best / 5, best % 5, &x, &y, &cw);
    float ch = cw;
    EXPECT(ok);
    int px = (int)((x + cw / 2) * 2), py = (int)((y + ch / 2) * 2);
    const unsigned char *p = img + 3 * ((size_t)py * iw + px);
    CmapRGB top = cmap_top(CMAP_VIRIDIS);
    int r = p[0], g = p[1], b = p[2];
    stbi_image_free(img);
    attn_trace_free(&t);
    EXPECT_MSG(abs(r - top.r) <= 2 && abs(g - top.g) <= 2 && abs(b - top.b) <= 2,
               "pixel (%d,%d) is (%d,%d,%d), top colour (%d,%d,%d)", px, py, r, g, b, top.r, top.g, top.b);
}

static void failed_png_write_leaves_nothing(void)
{
    AttnScene s = attn_scene_default();
    s.n = 5;
    s.tokens = toks;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256], path[512];
    EXPECT(attn_forward(&t, &s, err, sizeof err) == 0);
    FigOptions o = fig_options_default();
    snprintf(path, sizeof path, "%s/no-such-dir/fig.png", test_tmpdir());
    int r = export_png(path, &t, &o, 1.0f, fonts(), NULL, NULL, err, sizeof err);
    attn_trace_free(&t);
    EXPECT(r != 0);
    EXPECT_MSG(strstr(err, "no-such-dir/fig.png") != NULL, "message does not name the path: %s", err);
    EXPECT(access(path, F_OK) != 0);
}

static void absurd_scale_is_refused(void)
{
    AttnScene s = attn_scene_default();
    s.n = 5;
    s.tokens = toks;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    EXPECT(attn_forward(&t, &s, err, sizeof err) == 0);
    FigOptions o = fig_options_default();
    SDL_Surface *sf = export_render(&t, &o, 100.0f, fonts(), NULL, err, sizeof err);
    attn_trace_free(&t);
    EXPECT(sf == NULL);
    EXPECT(strstr(err, "8") != NULL);
}

static void oversized_figure_is_refused_with_the_limit(void)
{
    static char words[600][16];
    static const char *ptr[600];
    for (int i = 0; i < 600; i++) {
        snprintf(words[i], sizeof words[i], "w%d", i);
        ptr[i] = words[i];
    }
    AttnScene s = attn_scene_default();
    s.n = 600;
    s.tokens = ptr;
    AttnTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    EXPECT(attn_forward(&t, &s, err, sizeof err) == 0);
    FigOptions o = fig_options_default();
    o.cell = 200;
    SDL_Surface *sf = export_render(&t, &o, 1.0f, fonts(), NULL, err, sizeof err);
    attn_trace_free(&t);
    EXPECT(sf == NULL);
    EXPECT_MSG(strstr(err, "16384") != NULL, "%s", err);
}

void suite_export(void)
{
    RUN(png_reads_back_with_its_size_and_top_colour);
    RUN(failed_png_write_leaves_nothing);
    RUN(absurd_scale_is_refused);
    RUN(oversized_figure_is_refused_with_the_limit);
}
