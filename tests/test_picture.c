/* test_picture.c: pictures as input end to end: img_scene_load's tokens, the picture preset's heads, the picture and CNN views' pixels, the export command's picture options, and dropping a picture on the window. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "harness.h"
#include "../src/app/export.h"
#include "../src/draw/fig.h"
#include "../src/image/img.h"
#include "../src/image/imgscene.h"

#include <cjson/cJSON.h>
#include <stb_image.h>
#include <stb_image_write.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------- files and runs */

#define BOX(b, name) do { if (!harness_box(__FILE__, __LINE__, (b), "picture", (name))) return; } while (0)

/* Writes len deterministic pseudo-random bytes: not a picture, whatever the name says. */
static int write_junk(const char *path, size_t len)
{
    unsigned char buf[512];
    unsigned s = 12345;
    if (len > sizeof buf) len = sizeof buf;
    for (size_t i = 0; i < len; i++) {
        s = s * 1664525u + 1013904223u;
        buf[i] = (unsigned char)(s >> 24);
    }
    return harness_write_bytes(path, buf, len);
}

/* Writes the script to DIR/name and replays it. */
#define REPLAY(b, name, script) do { if (!harness_replay(__FILE__, __LINE__, (b), (name), (script), NULL)) return; } while (0)

/* ---------------------------------------------------------------- scenes and pixels */

/* The ducks as patches of 8 on a grid of 20 with the picture preset (2 heads, d_model 16,
 * d_head 8, 2-D positions) and the given mask; computed into t. Returns 0 or -1 with err. */
static int ducks_scene(SceneSpec *sp, AttnTrace *t, const char *mask, char *err, size_t errlen)
{
    static const char *const kv[][2] = {{"image", "example:ducks"}, {"patch", "8"}, {"grid", "20"},
                                        {"heads", "2"}, {"d-model", "16"}, {"d-head", "8"},
                                        {"posenc", "2d"}, {"weights", "picture"}};
    scene_spec_init(sp);
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (scene_set(sp, kv[i][0], kv[i][1], err, errlen)) return -1;
    if (mask && scene_set(sp, "mask", mask, err, errlen)) return -1;
    if (img_scene_load(sp, NULL, err, errlen)) return -1;
    return attn_forward(t, &sp->scene, err, errlen);
}

/* A patch's mean colour, centred on grey as the features are: R, G, B in -0.5..0.5. */
static void mean_rgb(const SceneSpec *sp, int tok, double rgb[3])
{
    int d = sp->d_feature;
    rgb[0] = rgb[1] = rgb[2] = 0;
    for (int f = 0; f < d; f++) rgb[f % 3] += sp->features[(size_t)tok * d + f];
    for (int c = 0; c < 3; c++) rgb[c] /= d / 3;
}

/* Blue duck: blue well above green (the pond's blue and green are about equal). */
static int blueish(const SceneSpec *sp, int tok)
{
    double m[3];
    mean_rgb(sp, tok, m);
    return m[2] > 0.1 && m[2] - m[1] > 0.15;
}

/* Yellow duck: red well above grey, blue well below red (the pond and the blue duck have
 * little red). */
static int yellowish(const SceneSpec *sp, int tok)
{
    double m[3];
    mean_rgb(sp, tok, m);
    return m[0] > 0.1 && m[0] - m[2] > 0.3;
}

/* The token whose mean colour scores highest by score(). */
static int most(const SceneSpec *sp, double (*score)(const double *))
{
    int best = 0;
    double bs = -1e9;
    for (int t = 0; t < sp->scene.n; t++) {
        double m[3];
        mean_rgb(sp, t, m);
        double s = score(m);
        if (s > bs) { bs = s; best = t; }
    }
    return best;
}
static double blueness(const double *m) { return m[2] - (m[0] + m[1]) / 2; }
static double yellowness(const double *m) { return (m[0] + m[1]) / 2 - m[2]; }

/* Every feature of a patch equal to the pond's colour. */
static int pond_patch(const SceneSpec *sp, int tok)
{
    static const unsigned char pond[3] = {40, 140, 150};
    int d = sp->d_feature;
    for (int f = 0; f < d; f++)
        if (fabsf(sp->features[(size_t)tok * d + f] - (pond[f % 3] / 255.0f - 0.5f)) > 1e-6f) return 0;
    return 1;
}

/* The k largest weights of query q in head h, largest first (ties: the lower key). */
static void top_keys(const AttnTrace *t, int h, int q, int *out, int k)
{
    const float *w = t->head[h].weights + (size_t)q * t->n;
    for (int i = 0; i < k; i++) {
        int best = -1;
        for (int j = 0; j < t->n; j++) {
            int taken = 0;
            for (int m = 0; m < i; m++) taken |= out[m] == j;
            if (!taken && (best < 0 || w[j] > w[best])) best = j;
        }
        out[i] = best;
    }
}

/* The surface pixel at the centre of a panel's cell (row, col); 0 when it was not drawn. */
static int cell_pixel(SDL_Surface *s, const FigLayout *lay, int panel, int row, int col, unsigned char rgb[3])
{
    float x, y, size;
    if (!fig_layout_cell(lay, panel, row, col, &x, &y, &size)) return 0;
    int px = (int)(x + size / 2), py = (int)(y + size / 2); /* scale 1 */
    if (px < 0 || py < 0 || px >= s->w || py >= s->h) return 0;
    const unsigned char *p = (const unsigned char *)s->pixels + (size_t)py * s->pitch + 4 * (size_t)px;
    memcpy(rgb, p, 3);
    return 1;
}

static int rgb_near(const unsigned char *p, int r, int g, int b, int tol)
{
    return abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol;
}

/* ---------------------------------------------------------------- tokens */

static void picture_scene_tokens(void)
{
    SceneSpec sp;
    char err[512];
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", "example:tiny", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "patch", "1", err, sizeof err) == 0);
    /* the default grid of 8 would shrink the 10 pixels across to 8 */
    EXPECT(scene_set(&sp, "grid", "10", err, sizeof err) == 0);
    int r = img_scene_load(&sp, NULL, err, sizeof err);
    if (r) { scene_spec_free(&sp); EXPECT_MSG(0, "img_scene_load: %d %s", r, err); }
    ImgRGB tiny;
    if (img_example(&tiny, "tiny")) { scene_spec_free(&sp); EXPECT_MSG(0, "no example tiny"); }
    /* every pixel a token, its RGB centred on grey, in reading order */
    double worst = 0;
    for (int i = 0; i < 50 * 3; i++) worst = fmax(worst, fabs(sp.features[i] - (tiny.rgb[i] / 255.0 - 0.5)));
    img_free(&tiny);
    int n = sp.scene.n, d = sp.d_feature, sd = sp.scene.d_feature, gw = sp.grid_w, sgw = sp.scene.grid_w, gh = sp.grid_h;
    const float *sfeat = sp.scene.features, *feat = sp.features;
    char first[16], mid[16], last[16];
    snprintf(first, sizeof first, "%s", n == 50 ? sp.scene.tokens[0] : "");
    snprintf(mid, sizeof mid, "%s", n == 50 ? sp.scene.tokens[12] : "");
    snprintf(last, sizeof last, "%s", n == 50 ? sp.scene.tokens[49] : "");
    scene_spec_free(&sp);
    EXPECT_INT(n, 50);
    EXPECT_INT(d, 3);
    EXPECT_INT(sd, 3);
    EXPECT_INT(gw, 10);
    EXPECT_INT(sgw, 10);
    EXPECT_INT(gh, 5);
    EXPECT(sfeat == feat);
    EXPECT_STR(first, "r1c1");
    EXPECT_STR(mid, "r2c3");
    EXPECT_STR(last, "r5c10");
    EXPECT_MSG(worst < 1e-6, "features differ from pixels/255 - 0.5 by %g", worst);

    /* the ducks in patches of 8: 160 x 96 pixels are 20 x 12 patches of 8 x 8 x 3 numbers */
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", "example:ducks", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "patch", "8", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "grid", "20", err, sizeof err) == 0);
    r = img_scene_load(&sp, NULL, err, sizeof err);
    if (r) { scene_spec_free(&sp); EXPECT_MSG(0, "img_scene_load: %d %s", r, err); }
    ImgRGB ducks;
    if (img_example(&ducks, "ducks")) { scene_spec_free(&sp); EXPECT_MSG(0, "no example ducks"); }
    /* token r7c13 holds the pixels of rows 48..55, columns 96..103, row by row */
    worst = 0;
    int tok = 6 * 20 + 12;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            for (int c = 0; c < 3; c++) {
                double want = ducks.rgb[((size_t)(48 + y) * 160 + 96 + x) * 3 + c] / 255.0 - 0.5;
                worst = fmax(worst, fabs(sp.features[(size_t)tok * 192 + (y * 8 + x) * 3 + c] - want));
            }
    img_free(&ducks);
    n = sp.scene.n;
    d = sp.d_feature;
    gw = sp.grid_w;
    gh = sp.grid_h;
    snprintf(mid, sizeof mid, "%s", n == 240 ? sp.scene.tokens[tok] : "");
    int pw = sp.picture_w, ph = sp.picture_h;
    /* loading again with nothing changed does not read the picture again (a mark put in the
     * features stays), nor does a change elsewhere in the scene */
    sp.features[0] = 123.0f;
    const float *before = sp.features;
    int r2 = img_scene_load(&sp, NULL, err, sizeof err);
    int r3 = scene_set(&sp, "heads", "3", err, sizeof err) || img_scene_load(&sp, NULL, err, sizeof err);
    int kept = r2 == 0 && r3 == 0 && sp.features == before && sp.features[0] == 123.0f;
    /* a new patch size reads it again */
    int r4 = scene_set(&sp, "patch", "16", err, sizeof err) || img_scene_load(&sp, NULL, err, sizeof err);
    int n16 = sp.scene.n, d16 = sp.d_feature;
    float f0 = sp.features ? sp.features[0] : 0;
    scene_spec_free(&sp);
    EXPECT_INT(n, 240);
    EXPECT_INT(d, 192);
    EXPECT_INT(gw, 20);
    EXPECT_INT(gh, 12);
    EXPECT_INT(pw, 160);
    EXPECT_INT(ph, 96);
    EXPECT_STR(mid, "r7c13");
    EXPECT_MSG(worst < 1e-6, "patch r7c13 differs from its pixels by %g", worst);
    EXPECT_MSG(kept, "an unchanged picture was read again (or failed: %s)", err);
    EXPECT_INT(r4, 0);
    EXPECT_INT(n16, 60);
    EXPECT_INT(d16, 768);
    EXPECT_MSG(f0 != 123.0f, "changing the patch size kept the old features");
}

static void missing_or_corrupt_picture_keeps_the_message(void)
{
    SceneSpec sp;
    char err[512], path[700], full[800];
    snprintf(path, sizeof path, "%s/no-such-picture.png", test_tmpdir());
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", path, err, sizeof err) == 0);
    err[0] = 0;
    int r = img_scene_load(&sp, NULL, err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_INT(r, -1);
    EXPECT_HAS(err, path);

    /* relative to the scene's folder, and named with it */
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", "no-such-picture.png", err, sizeof err) == 0);
    err[0] = 0;
    r = img_scene_load(&sp, test_tmpdir(), err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_INT(r, -1);
    EXPECT_HAS(err, path);

    /* random bytes named .png */
    snprintf(path, sizeof path, "%s/corrupt.png", test_tmpdir());
    EXPECT(write_junk(path, 300) == 0);
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", path, err, sizeof err) == 0);
    err[0] = 0;
    r = img_scene_load(&sp, NULL, err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_INT(r, -1);
    EXPECT_HAS(err, path);
    EXPECT_HAS(err, "not a picture");

    /* a good picture first, then a corrupt one: the error, and the old tokens still there */
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", "example:tiny", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "patch", "1", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "grid", "10", err, sizeof err) == 0);
    int r0 = img_scene_load(&sp, NULL, err, sizeof err);
    EXPECT(scene_set(&sp, "image", path, err, sizeof err) == 0);
    err[0] = 0;
    r = img_scene_load(&sp, NULL, err, sizeof err);
    snprintf(full, sizeof full, "%s", err);
    int kept = sp.features != NULL && sp.pic_labels.n == 50;
    scene_spec_free(&sp);
    EXPECT_INT(r0, 0);
    EXPECT_INT(r, -1);
    EXPECT_HAS(full, path);
    EXPECT_MSG(kept, "the tokens of the last picture were dropped");

    /* an unknown example lists the ones there are */
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "image", "example:unicorn", err, sizeof err) == 0);
    err[0] = 0;
    r = img_scene_load(&sp, NULL, err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_INT(r, -2);
    EXPECT_HAS(err, "unicorn");
    for (int i = 0; img_example_names[i]; i++) EXPECT_HAS(err, img_example_names[i]);
    EXPECT_HAS(err, "example:ducks|example:shapes|example:gradient|example:tiny");
}

/* ---------------------------------------------------------------- the engine on a picture */

static void conv_mask_on_a_picture(void)
{
    SceneSpec sp;
    AttnTrace t;
    char err[512];
    if (ducks_scene(&sp, &t, "conv:3", err, sizeof err)) {
        attn_trace_free(&t);
        scene_spec_free(&sp);
        EXPECT_MSG(0, "%s", err);
    }
    /* corners, edges, the middle and the blue duck */
    static const int queries[][3] = {{0, 0, 4}, {0, 19, 4}, {11, 0, 4}, {11, 19, 4}, {0, 7, 6},
                                     {5, 0, 6}, {11, 10, 6}, {3, 19, 6}, {6, 12, 9}, {5, 5, 9}};
    char bad[256] = "";
    for (size_t k = 0; k < sizeof queries / sizeof queries[0] && !bad[0]; k++) {
        int qr = queries[k][0], qc = queries[k][1], q = qr * 20 + qc, seen = 0;
        for (int h = 0; h < 2 && !bad[0]; h++) {
            double sum = 0;
            for (int j = 0; j < t.n; j++) {
                int want = abs(qr - j / 20) <= 1 && abs(qc - j % 20) <= 1;
                float w = t.head[h].weights[(size_t)q * t.n + j];
                if (attn_allowed(&t, q, j) != want)
                    snprintf(bad, sizeof bad, "query r%dc%d, key r%dc%d: allowed %d", qr + 1, qc + 1, j / 20 + 1, j % 20 + 1, !want);
                else if (!want && w != 0.0f)
                    snprintf(bad, sizeof bad, "query r%dc%d, head %d: masked key r%dc%d has weight %g", qr + 1, qc + 1, h + 1, j / 20 + 1, j % 20 + 1, (double)w);
                else if (want && !(w > 0.0f))
                    snprintf(bad, sizeof bad, "query r%dc%d, head %d: key r%dc%d in the window has no weight", qr + 1, qc + 1, h + 1, j / 20 + 1, j % 20 + 1);
                seen += h == 0 && want;
                sum += w;
            }
            if (!bad[0] && fabs(sum - 1.0) > 1e-4) snprintf(bad, sizeof bad, "query r%dc%d, head %d: weights sum to %g", qr + 1, qc + 1, h + 1, sum);
        }
        if (!bad[0] && seen != queries[k][2])
            snprintf(bad, sizeof bad, "query r%dc%d sees %d patches, expected %d", qr + 1, qc + 1, seen, queries[k][2]);
    }
    char spec[32];
    attn_mask_spec(spec, sizeof spec, t.mask, t.mask_param);
    attn_trace_free(&t);
    scene_spec_free(&sp);
    EXPECT_MSG(!bad[0], "%s", bad);
    EXPECT_STR(spec, "conv:3");
}

static void picture_preset_head1_prefers_similar_colour(void)
{
    SceneSpec sp;
    AttnTrace t;
    char err[512];
    if (ducks_scene(&sp, &t, NULL, err, sizeof err)) {
        attn_trace_free(&t);
        scene_spec_free(&sp);
        EXPECT_MSG(0, "%s", err);
    }
    int n = t.n, blue = most(&sp, blueness), yellow = most(&sp, yellowness);
    int n_blue = 0, n_yellow = 0;
    for (int j = 0; j < n; j++) {
        n_blue += blueish(&sp, j);
        n_yellow += yellowish(&sp, j);
    }
    int bq = blueish(&sp, blue), yq = yellowish(&sp, yellow);
    char bad[256] = "";
    int top[5];
    /* head 1: the blue query's five largest weights are on blue patches, the yellow one's on
     * yellow patches */
    top_keys(&t, 0, blue, top, 5);
    for (int i = 0; i < 5 && !bad[0]; i++)
        if (!blueish(&sp, top[i]))
            snprintf(bad, sizeof bad, "head 1, blue query %s: key %d by weight, %s, is not blue", t.tokens[blue], i + 1, t.tokens[top[i]]);
    top_keys(&t, 0, yellow, top, 5);
    for (int i = 0; i < 5 && !bad[0]; i++)
        if (!yellowish(&sp, top[i]))
            snprintf(bad, sizeof bad, "head 1, yellow query %s: key %d by weight, %s, is not yellow", t.tokens[yellow], i + 1, t.tokens[top[i]]);
    /* head 2: the largest weights are near the query, whatever their colour */
    int qs[2] = {blue, yellow};
    for (int k = 0; k < 2 && !bad[0]; k++) {
        top_keys(&t, 1, qs[k], top, 5);
        for (int i = 0; i < 5 && !bad[0]; i++) {
            int dr = abs(top[i] / 20 - qs[k] / 20), dc = abs(top[i] % 20 - qs[k] % 20);
            if (dr > 2 || dc > 2)
                snprintf(bad, sizeof bad, "head 2, query %s: key %d by weight, %s, is %d rows and %d columns away",
                         t.tokens[qs[k]], i + 1, t.tokens[top[i]], dr, dc);
        }
    }
    attn_trace_free(&t);
    scene_spec_free(&sp);
    EXPECT_MSG(bq && yq, "no blue or no yellow patch found");
    /* the colours are rare enough for the check to mean something */
    EXPECT_MSG(n_blue >= 5 && n_blue <= 20, "%d blue patches", n_blue);
    EXPECT_MSG(n_yellow >= 5 && n_yellow <= n / 3, "%d yellow patches", n_yellow);
    EXPECT_MSG(!bad[0], "%s", bad);
}

/* ---------------------------------------------------------------- the views' pixels */

static void picture_view_draws_the_hottest_patch_in_the_top_colour(void)
{
    SceneSpec sp;
    AttnTrace t;
    char err[512];
    if (ducks_scene(&sp, &t, NULL, err, sizeof err)) {
        attn_trace_free(&t);
        scene_spec_free(&sp);
        EXPECT_MSG(0, "%s", err);
    }
    RenFonts *fonts = ren_fonts_open(err, sizeof err);
    if (!fonts) {
        attn_trace_free(&t);
        scene_spec_free(&sp);
        EXPECT_MSG(0, "fonts: %s", err);
    }
    /* the blue duck's patch as the query: head 1's weights fill the first panel, the average
     * of both heads the second; each panel's largest value is the hottest colour */
    int n = t.n, q = most(&sp, blueness);
    const float *w = t.head[0].weights + (size_t)q * n, *w2 = t.head[1].weights + (size_t)q * n;
    int hot = 0, hot_avg = 0, cold = -1;
    for (int j = 1; j < n; j++) {
        if (w[j] > w[hot]) hot = j;
        if (w[j] + w2[j] > w[hot_avg] + w2[hot_avg]) hot_avg = j;
    }
    for (int j = 0; j < n; j++)
        if (pond_patch(&sp, j) && (cold < 0 || w[j] < w[cold])) cold = j;
    float w_hot = w[hot], w_cold = cold >= 0 ? w[cold] : 1.0f; /* w is gone with the trace */
    FigOptions o = fig_options_default();
    o.view = FIG_PICTURE;
    o.query = q;
    o.numbers = FIG_NUMBERS_OFF;
    o.cmap = CMAP_VIRIDIS;
    FigLayout lay;
    SDL_Surface *s = export_render(&t, &o, 1.0f, fonts, &lay, err, sizeof err);
    unsigned char hot_px[3] = {0}, avg_px[3] = {0}, cold_px[3] = {0};
    int got_hot = s && cell_pixel(s, &lay, 0, hot / 20, hot % 20, hot_px);
    int got_avg = s && cell_pixel(s, &lay, 1, hot_avg / 20, hot_avg % 20, avg_px);
    int got_cold = s && cold >= 0 && cell_pixel(s, &lay, 0, cold / 20, cold % 20, cold_px);
    FigQuantity q0 = lay.n > 1 ? lay.p[0].q : FQ_NONE, q1 = lay.n > 1 ? lay.p[1].q : FQ_NONE;
    int rows = lay.n > 0 ? lay.p[0].rows : 0, cols = lay.n > 0 ? lay.p[0].cols : 0;
    /* a point on the hot cell hits its token */
    FigHit hit = {0};
    float cx = 0, cy = 0, size = 0;
    int hit_ok = fig_layout_cell(&lay, 0, hot / 20, hot % 20, &cx, &cy, &size) &&
                 fig_layout_hit(&lay, cx + size / 2, cy + size / 2, &hit);
    if (s) SDL_FreeSurface(s);
    s = NULL;
    /* the CNN view: a query with pond one patch and three patches right of it */
    int cq = -1;
    for (int j = 0; j < n && cq < 0; j++)
        if (j % 20 <= 16 && pond_patch(&sp, j + 1) && pond_patch(&sp, j + 3)) cq = j;
    unsigned char in_px[3] = {0}, out_px[3] = {0};
    int got_in = 0, got_out = 0;
    if (cq >= 0) {
        o.view = FIG_CNN;
        o.query = cq;
        s = export_render(&t, &o, 1.0f, fonts, &lay, err, sizeof err);
        /* one column right is inside the window, three columns right outside it */
        got_in = s && cell_pixel(s, &lay, 0, cq / 20, cq % 20 + 1, in_px);
        got_out = s && cell_pixel(s, &lay, 0, cq / 20, cq % 20 + 3, out_px);
        if (s) SDL_FreeSurface(s);
    }
    ren_fonts_close(fonts);
    attn_trace_free(&t);
    scene_spec_free(&sp);
    EXPECT_MSG(got_hot && got_avg, "no cell drawn for r%dc%d (%s)", hot / 20 + 1, hot % 20 + 1, err);
    EXPECT_INT(q0, FQ_PATCH);
    EXPECT_INT(q1, FQ_PATCH);
    EXPECT_INT(rows, 12);
    EXPECT_INT(cols, 20);
    EXPECT(hit_ok);
    EXPECT_INT(hit.q, FQ_PATCH);
    EXPECT_INT(hit.row, hot);
    /* the hottest patch is the colour map's top colour, at full opacity */
    CmapRGB top = cmap_top(CMAP_VIRIDIS);
    EXPECT_MSG(rgb_near(hot_px, top.r, top.g, top.b, 2), "head 1's hottest patch r%dc%d is (%d,%d,%d), the top colour (%d,%d,%d)",
               hot / 20 + 1, hot % 20 + 1, hot_px[0], hot_px[1], hot_px[2], top.r, top.g, top.b);
    EXPECT_MSG(rgb_near(avg_px, top.r, top.g, top.b, 2), "the average's hottest patch r%dc%d is (%d,%d,%d), the top colour (%d,%d,%d)",
               hot_avg / 20 + 1, hot_avg % 20 + 1, avg_px[0], avg_px[1], avg_px[2], top.r, top.g, top.b);
    /* a patch head 1 hardly looks at: the pond shows through a faint veil of the map */
    EXPECT(got_cold);
    EXPECT_MSG(w_cold < 0.05f * w_hot, "the coldest pond patch has %.3f of the hottest weight", (double)(w_cold / w_hot));
    EXPECT_MSG(!rgb_near(cold_px, top.r, top.g, top.b, 30), "the coldest pond patch r%dc%d is (%d,%d,%d), near the top colour",
               cold / 20 + 1, cold % 20 + 1, cold_px[0], cold_px[1], cold_px[2]);
    EXPECT_MSG(rgb_near(cold_px, 40, 140, 150, 40), "the coldest pond patch r%dc%d is (%d,%d,%d): the pond (40,140,150) does not show",
               cold / 20 + 1, cold % 20 + 1, cold_px[0], cold_px[1], cold_px[2]);
    /* the CNN's window: the pond shows as it is inside, veiled outside */
    EXPECT_MSG(cq >= 0, "no pond one and three patches right of a patch");
    EXPECT(got_in && got_out);
    EXPECT_MSG(rgb_near(in_px, 40, 140, 150, 3), "inside the window the pond is (%d,%d,%d), not (40,140,150)",
               in_px[0], in_px[1], in_px[2]);
    int veil = abs(out_px[0] - 40) + abs(out_px[1] - 140) + abs(out_px[2] - 150);
    EXPECT_MSG(veil > 90, "outside the window the pond is (%d,%d,%d): not veiled", out_px[0], out_px[1], out_px[2]);
}

/* ---------------------------------------------------------------- the command line */

static void export_command_takes_pictures(void)
{
    HarnessBox b;
    BOX(&b, "cli");
    const char *png = harness_path(&b, "ducks.png");
    ATTNLAB_IN(&b, "export", "--image", "example:ducks", "--patch", "8", "--grid", "20", "--query", "50", "--view",
            "picture", "--weights", "picture", "--heads", "2", "--d-model", "16", "--d-head", "8", "--posenc", "2d",
            "--out", png);
    EXPECT_EXIT(0);
    EXPECT_HAS(harness_last.out, "ducks.png");
    int w = 0, h = 0, comp;
    unsigned char *im = stbi_load(png, &w, &h, &comp, 3);
    EXPECT_MSG(im != NULL, "stb_image cannot read %s", png);
    stbi_image_free(im);
    EXPECT_MSG(w > 300 && h > 200, "the figure is %d x %d", w, h);

    /* the trace: one token a pixel, named by row and column */
    const char *json = harness_path(&b, "tiny.json");
    ATTNLAB_IN(&b, "export", "--image", "example:tiny", "--patch", "1", "--grid", "10", "--d-model", "6", "--heads", "3",
            "--format", "json", "--out", json);
    EXPECT_EXIT(0);
    char *text = harness_slurp(json, NULL);
    EXPECT_MSG(text != NULL, "no %s", json);
    cJSON *root = cJSON_Parse(text);
    free(text);
    EXPECT_MSG(root != NULL, "%s is not JSON", json);
    const cJSON *toks = cJSON_GetObjectItemCaseSensitive(root, "tokens");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    int nt = cJSON_GetArraySize(toks);
    char t0[16] = "", t11[16] = "", t49[16] = "";
    if (nt == 50) {
        snprintf(t0, sizeof t0, "%s", cJSON_GetStringValue(cJSON_GetArrayItem(toks, 0)));
        snprintf(t11, sizeof t11, "%s", cJSON_GetStringValue(cJSON_GetArrayItem(toks, 11)));
        snprintf(t49, sizeof t49, "%s", cJSON_GetStringValue(cJSON_GetArrayItem(toks, 49)));
    }
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(cfg, "n"), *cdm = cJSON_GetObjectItemCaseSensitive(cfg, "d_model");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(cfg, "heads");
    int n = cJSON_IsNumber(cn) ? cn->valueint : -1, dm = cJSON_IsNumber(cdm) ? cdm->valueint : -1;
    int heads = cJSON_IsNumber(ch) ? ch->valueint : -1;
    const cJSON *cgw = cJSON_GetObjectItemCaseSensitive(cfg, "grid_w");
    int grid_w = cJSON_IsNumber(cgw) ? cgw->valueint : -1;
    const char *in = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "inputs"));
    char inputs[32];
    snprintf(inputs, sizeof inputs, "%s", in ? in : "");
    cJSON_Delete(root);
    EXPECT_INT(nt, 50);
    EXPECT_STR(t0, "r1c1");
    EXPECT_STR(t11, "r2c2");
    EXPECT_STR(t49, "r5c10");
    EXPECT_INT(n, 50);
    EXPECT_INT(dm, 6);
    EXPECT_INT(heads, 3);
    EXPECT_INT(grid_w, 10);
    EXPECT_STR(inputs, "features");

    /* a missing picture: status 1 and its name */
    ATTNLAB_IN(&b, "export", "--image", "/nonexistent.png", "--format", "json", "--out", harness_path(&b, "no.json"));
    EXPECT_EXIT(1);
    EXPECT_HAS(harness_last.err, "/nonexistent.png");
    EXPECT(access(harness_path(&b, "no.json"), F_OK) != 0);
    /* bad values: status 2 and the limit or the rule */
    ATTNLAB_IN(&b, "export", "--image", "example:ducks", "--patch", "0", "--out", harness_path(&b, "p0.png"));
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--patch");
    EXPECT_HAS(harness_last.err, "1..64");
    ATTNLAB_IN(&b, "export", "--image", "example:ducks", "--grid", "65", "--out", harness_path(&b, "g65.png"));
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--grid");
    EXPECT_HAS(harness_last.err, "1..64");
    ATTNLAB_IN(&b, "export", "--image", "example:tiny", "--patch", "1", "--mask", "conv:2", "--out", harness_path(&b, "c2.png"));
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "odd");
    EXPECT(access(harness_path(&b, "c2.png"), F_OK) != 0);

    /* the most tokens there can be: 64 x 64 pixels, each a token. The JSON trace of that many
     * is beyond its limit (said so, status 2); one matrix as CSV has every token. */
    ATTNLAB_IN(&b, "export", "--image", "example:gradient", "--patch", "1", "--grid", "64", "--heads", "1",
            "--format", "json", "--out", harness_path(&b, "big.json"));
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "4096 x 4096");
    EXPECT_HAS(harness_last.err, "JSON export limit");
    const char *csv = harness_path(&b, "big.csv");
    ATTNLAB_IN(&b, "export", "--image", "example:gradient", "--patch", "1", "--grid", "64", "--heads", "1",
            "--format", "csv", "--matrix", "a", "--out", csv);
    EXPECT_EXIT(0);
    text = harness_slurp(csv, NULL);
    EXPECT_MSG(text != NULL, "no %s", csv);
    int lines = 0;
    for (const char *p = text; *p; p++) lines += *p == '\n';
    const char *lastrow = strstr(text, "\nr64c64,");
    const char *firstrow = strstr(text, "\nr1c1,");
    free(text);
    EXPECT_INT(lines, 1 + 4096);
    EXPECT(firstrow != NULL);
    EXPECT(lastrow != NULL);
}

/* ---------------------------------------------------------------- the window */

/* Pixels of a screenshot that are clearly red, clearly blue. */
static void count_red_blue(const unsigned char *px, int w, int h, int *red, int *blue)
{
    *red = *blue = 0;
    for (int i = 0; i < w * h; i++) {
        const unsigned char *p = px + 3 * (size_t)i;
        *red += p[0] > 170 && p[1] < 70 && p[2] < 70;
        *blue += p[2] > 170 && p[0] < 70 && p[1] < 70;
    }
}

static void dropping_a_picture_on_the_window(void)
{
    HarnessBox b;
    BOX(&b, "drop");
    /* 64 x 32: red on the left, blue on the right; patches of 16 make 4 x 2 tokens */
    enum { W = 64, H = 32 };
    static unsigned char rgb[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned char *p = rgb + 3 * (y * W + x);
            p[0] = x < W / 2 ? 230 : 20;
            p[1] = 20;
            p[2] = x < W / 2 ? 20 : 230;
        }
    char pic[900], bad[900], script[8192];
    snprintf(pic, sizeof pic, "%s", harness_path(&b, "halves.png"));
    snprintf(bad, sizeof bad, "%s", harness_path(&b, "broken.png"));
    EXPECT(stbi_write_png(pic, W, H, 3, rgb, W * 3) != 0);
    EXPECT(write_junk(bad, 200) == 0);
    snprintf(script, sizeof script,
             /* a broken picture on the text scene: an error, and the scene as it was */
             "expect tokens 4\n"
             "drop %s\nexpect tokens 4\nexpect positions sinusoidal\nexpect weights random\nstate %s\n"
             /* the picture: its patches are the tokens, the picture tab shows */
             "drop %s\nexpect tab picture\nexpect tokens 8\nexpect query 1\nexpect positions 2d\n"
             "expect weights picture\nmove 1 1\nshot %s\nstate %s\n"
             /* row 2, column 3 of a grid 4 wide is token 7 */
             "click @cell:picture:2:3\nexpect query 7\nmove 1 1\nshot %s\n"
             "click @cell:picture:1:2\nexpect query 2\n"
             /* a broken picture now: the picture stays */
             "drop %s\nexpect tokens 8\nexpect tab picture\nexpect query 2\nstate %s\nquit\n",
             bad, harness_path(&b, "bad1.state"), pic, harness_path(&b, "query1.png"),
             harness_path(&b, "picture.state"), harness_path(&b, "query7.png"), bad, harness_path(&b, "bad2.state"));
    REPLAY(&b, "drop.script", script);
    EXPECT_EXIT(0);

    char *st = harness_slurp(harness_path(&b, "bad1.state"), NULL);
    EXPECT_MSG(st != NULL, "no bad1.state; stderr: %s", harness_last.err);
    char status1[1200];
    const char *v = harness_value(st, "status");
    snprintf(status1, sizeof status1, "%s", v ? v : "");
    free(st);
    EXPECT_HAS(status1, "broken.png");
    EXPECT_HAS(status1, "not a picture");
    st = harness_slurp(harness_path(&b, "picture.state"), NULL);
    EXPECT_MSG(st != NULL, "no picture.state; stderr: %s", harness_last.err);
    char status2[1200];
    v = harness_value(st, "status");
    snprintf(status2, sizeof status2, "%s", v ? v : "");
    free(st);
    EXPECT_HAS(status2, "halves.png: 8 patches");
    st = harness_slurp(harness_path(&b, "bad2.state"), NULL);
    EXPECT_MSG(st != NULL, "no bad2.state; stderr: %s", harness_last.err);
    char status3[1200];
    v = harness_value(st, "status");
    snprintf(status3, sizeof status3, "%s", v ? v : "");
    free(st);
    EXPECT_HAS(status3, "broken.png");

    /* the screens: the picture's red and blue halves show where the query does not look
     * (head 1 looks at the query's colour) */
    const char *shots[2] = {harness_path(&b, "query1.png"), harness_path(&b, "query7.png")};
    int red[2], blue[2];
    for (int i = 0; i < 2; i++) {
        int w, h, comp;
        unsigned char *px = stbi_load(shots[i], &w, &h, &comp, 3);
        EXPECT_MSG(px != NULL, "stb_image cannot read %s", shots[i]);
        count_red_blue(px, w, h, &red[i], &blue[i]);
        stbi_image_free(px);
    }
    EXPECT_MSG(blue[0] > 2000, "query 1 (red): only %d blue pixels", blue[0]);
    EXPECT_MSG(red[1] > 2000, "query 7 (blue): only %d red pixels", red[1]);
    EXPECT_MSG(red[1] > red[0], "red pixels: %d with a red query, %d with a blue one", red[0], red[1]);
    EXPECT_MSG(blue[0] > blue[1], "blue pixels: %d with a red query, %d with a blue one", blue[0], blue[1]);
}

void suite_picture(void)
{
    RUN(picture_scene_tokens);
    RUN(missing_or_corrupt_picture_keeps_the_message);
    RUN(conv_mask_on_a_picture);
    RUN(picture_preset_head1_prefers_similar_colour);
    RUN(picture_view_draws_the_hottest_patch_in_the_top_colour);
    RUN(export_command_takes_pictures);
    RUN(dropping_a_picture_on_the_window);
    harness_free();
}
