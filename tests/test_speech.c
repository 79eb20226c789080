/* test_speech.c: inputs beyond text end to end: a sound's frames as tokens (aud_scene_load),
 * the cost of full and masked attention, the compare and speech views, graph files as
 * scenes, the export command's --audio and --graph options, and dropping a sound or a
 * graph on the window. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "harness.h"
#include "../src/app/explain.h"
#include "../src/app/export.h"
#include "../src/app/scenefile.h"
#include "../src/audio/audio.h"
#include "../src/audio/audscene.h"
#include "../src/draw/fig.h"
#include "../src/draw/speechfig.h"

#include <cjson/cJSON.h>
#include <stb_image.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOX(b, name) do { if (!harness_box(__FILE__, __LINE__, (b), "speech", (name))) return; } while (0)
#define REPLAY(b, name, script) do { if (!harness_replay(__FILE__, __LINE__, (b), (name), (script), NULL)) return; } while (0)

static RenFonts *fonts(void)
{
    static RenFonts *f;
    char err[256];
    if (!f) f = ren_fonts_open(err, sizeof err);
    return f;
}

static int set_all(SceneSpec *sp, const char *const kv[][2], int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++)
        if (scene_set(sp, kv[i][0], kv[i][1], err, errlen)) return -1;
    return 0;
}

/* ---------------------------------------------------------------- sounds as scenes */

static void sound_frames_become_tokens(void)
{
    SceneSpec sp;
    char err[600];
    scene_spec_init(&sp);
    static const char *const kv[][2] = {{"audio", "example:tone"}, {"heads", "1"}};
    EXPECT(set_all(&sp, kv, 2, err, sizeof err) == 0);
    int r = aud_scene_load(&sp, NULL, err, sizeof err);
    EXPECT_MSG(r == 0, "%s", err);
    /* 1 s at 16 kHz, 400-sample frames every 160 samples */
    EXPECT_INT(sp.scene.n, 1 + (16000 - 400) / 160);
    EXPECT_STR(sp.scene.tokens[0], "f1");
    EXPECT_STR(sp.scene.tokens[sp.scene.n - 1], "f98");
    EXPECT_INT(sp.scene.d_feature, 8);
    EXPECT_INT(sp.scene.wave_n, 16000);
    EXPECT_INT(sp.scene.frame_len, 400);
    EXPECT_INT(sp.scene.frame_hop, 160);
    /* each band normalised over the sound: mean 0, and variance 1 unless it is constant */
    int n = sp.scene.n, B = sp.scene.d_feature;
    for (int b = 0; b < B; b++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += sp.scene.features[i * B + b];
        m /= n;
        for (int i = 0; i < n; i++) v += pow(sp.scene.features[i * B + b] - m, 2);
        v /= n;
        EXPECT_NEAR(m, 0, 1e-4);
        EXPECT_MSG(fabs(v - 1) < 1e-3 || v < 1e-9, "band %d has variance %g", b, v);
    }
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_MSG(attn_forward(&t, &sp.scene, err, sizeof err) == 0, "%s", err);
    int wn = t.wave_n, fl = t.frame_len;
    float w100 = t.wave[100];
    attn_trace_free(&t);
    EXPECT_INT(wn, 16000);
    EXPECT_INT(fl, 400);
    EXPECT_NEAR(w100, sp.wave[100], 0);
    /* a longer hop gives fewer frames; the sound is framed again */
    EXPECT(scene_set(&sp, "hop-ms", "20", err, sizeof err) == 0);
    EXPECT(aud_scene_load(&sp, NULL, err, sizeof err) == 0);
    EXPECT_INT(sp.scene.n, 1 + (16000 - 400) / 320);
    scene_spec_free(&sp);
}

static void sound_errors_name_the_file_or_the_examples(void)
{
    SceneSpec sp;
    char err[600], path[600];
    scene_spec_init(&sp);
    snprintf(path, sizeof path, "%s/not-a-sound.wav", test_tmpdir());
    FILE *f = fopen(path, "wb");
    EXPECT(f != NULL);
    fputs("this is text, not RIFF", f);
    fclose(f);
    EXPECT(scene_set(&sp, "audio", path, err, sizeof err) == 0);
    int r = aud_scene_load(&sp, NULL, err, sizeof err);
    EXPECT_INT(r, -1);
    EXPECT(strstr(err, "not-a-sound.wav") != NULL);
    EXPECT(scene_set(&sp, "audio", "example:birdsong", err, sizeof err) == 0);
    r = aud_scene_load(&sp, NULL, err, sizeof err);
    EXPECT_INT(r, -2);
    EXPECT(strstr(err, "example:speech") != NULL);
    /* a window as long as the sound: exactly one frame */
    EXPECT(scene_set(&sp, "audio", "example:tone", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "win-ms", "1000", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "hop-ms", "10", err, sizeof err) == 0);
    EXPECT(aud_scene_load(&sp, NULL, err, sizeof err) == 0);
    EXPECT_INT(sp.scene.n, 1);
    scene_spec_free(&sp);
}

/* ---------------------------------------------------------------- cost */

static AttnCost cost_of(const char *text, const char *mask)
{
    SceneSpec sp;
    char err[600];
    AttnTrace t;
    AttnCost c;
    memset(&c, 0, sizeof c);
    memset(&t, 0, sizeof t);
    scene_spec_init(&sp);
    if (scene_set(&sp, "text", text, err, sizeof err) || scene_set(&sp, "mask", mask, err, sizeof err) ||
        scene_load(&sp, NULL, err, sizeof err) || attn_forward(&t, &sp.scene, err, sizeof err)) {
        c.n = -1;
    } else {
        attn_cost(&c, &t);
        /* whatever the mask, the count is the pairs attn_allowed lets through */
        long long count = 0;
        for (int i = 0; i < t.n; i++)
            for (int j = 0; j < t.n; j++) count += attn_allowed(&t, i, j);
        if (count != c.allowed) c.n = -2;
    }
    attn_trace_free(&t);
    scene_spec_free(&sp);
    return c;
}

static void cost_counts_full_and_allowed_pairs(void)
{
    AttnCost c = cost_of("a b c d e", "none");
    EXPECT_INT(c.n, 5);
    EXPECT_INT(c.full, 25);
    EXPECT_INT(c.allowed, 25);
    EXPECT_NEAR(c.full_bytes, 25 * 8, 0);
    /* window ±1 over 5 tokens: 5 x 3 less one at each end */
    c = cost_of("a b c d e", "window:1");
    EXPECT_INT(c.allowed, 13);
    EXPECT_NEAR(c.allowed_bytes, 13 * 8, 0);
    c = cost_of("a b c d e f g h i j", "window:2");
    EXPECT_INT(c.allowed, 10 * 5 - 2 * (2 + 1));
    c = cost_of("a b c d", "causal");
    EXPECT_INT(c.allowed, 4 * 5 / 2);
    c = cost_of("a b c d", "padding:1");
    EXPECT_INT(c.allowed, 4 * 3);
}

/* ---------------------------------------------------------------- views */

static void compare_view_shows_full_attention_from_the_unmasked_trace(void)
{
    SceneSpec sp;
    char err[600];
    scene_spec_init(&sp);
    static const char *const kv[][2] = {{"text", "one two three four five six"}, {"mask", "window:1"}, {"heads", "1"}};
    EXPECT(set_all(&sp, kv, 3, err, sizeof err) == 0);
    EXPECT(scene_load(&sp, NULL, err, sizeof err) == 0);
    AttnTrace t, full;
    memset(&t, 0, sizeof t);
    memset(&full, 0, sizeof full);
    EXPECT(attn_forward(&t, &sp.scene, err, sizeof err) == 0);
    EXPECT(attn_forward_unmasked(&full, &sp.scene, err, sizeof err) == 0);
    /* the unmasked trace is the same scene: same inputs, every pair allowed */
    EXPECT_INT(full.mask, ATTN_MASK_NONE);
    EXPECT_ALL_NEAR(full.x, t.x, t.n * t.d_model, 0);
    EXPECT_ALL_NEAR(full.head[0].scores, t.head[0].scores, t.n * t.n, 0);
    EXPECT(full.head[0].weights[5] > 0 && t.head[0].weights[5] == 0); /* query 1, key 6 */
    FigOptions o = fig_options_default();
    o.view = FIG_COMPARE;
    o.unmasked = &full;
    o.cell = 40;
    FigLayout lay;
    SDL_Surface *s = export_render(&t, &o, 1.0f, fonts(), &lay, err, sizeof err);
    if (!s) {
        attn_trace_free(&t);
        attn_trace_free(&full);
        scene_spec_free(&sp);
        EXPECT_MSG(0, "%s", err);
    }
    /* three panels: the mask, full attention, attention under the mask; the full one's
     * far cell (query 1, key 6) is drawn in its own weight's colour, not as masked */
    int panels = lay.n;
    float x = 0, y = 0, size = 0;
    int ok = fig_layout_cell(&lay, 1, 0, 5, &x, &y, &size);
    /* hovering it finds full attention's weight, a cell of the unmasked trace */
    FigHit hit;
    memset(&hit, 0, sizeof hit);
    int hit_ok = ok && fig_layout_hit(&lay, x + size / 2, y + size / 2, &hit) && hit.q == FQ_WEIGHTS && hit.unmasked &&
                 hit.row == 0 && hit.col == 5;
    char text[1024] = "";
    int lines = hit_ok ? explain_cell(text, sizeof text, &full, &hit) : 0;
    FigHit masked_hit;
    float mx = 0, my = 0, ms = 0;
    int masked_ok = fig_layout_cell(&lay, 2, 0, 5, &mx, &my, &ms) && fig_layout_hit(&lay, mx + ms / 2, my + ms / 2, &masked_hit) &&
                    !masked_hit.unmasked && masked_hit.q == FQ_WEIGHTS;
    unsigned char px[4] = {0};
    if (ok) {
        SDL_LockSurface(s);
        /* a corner of the cell, clear of its number */
        Uint32 v = ((Uint32 *)((char *)s->pixels + (int)(y + 3) * s->pitch))[(int)(x + 3)];
        SDL_GetRGBA(v, s->format, &px[0], &px[1], &px[2], &px[3]);
        SDL_UnlockSurface(s);
    }
    SDL_FreeSurface(s);
    float top = 0;
    for (int k = 0; k < t.n; k++) top = fmaxf(top, t.head[0].max_weight[k]);
    for (int k = 0; k < full.n; k++) top = fmaxf(top, full.head[0].max_weight[k]);
    CmapRGB want = cmap_color(CMAP_VIRIDIS, cmap_t(CMAP_VIRIDIS, full.head[0].weights[5], 0, top));
    attn_trace_free(&t);
    attn_trace_free(&full);
    scene_spec_free(&sp);
    EXPECT_INT(panels, 3);
    EXPECT(ok);
    EXPECT(hit_ok);
    EXPECT(masked_ok);
    EXPECT(lines > 0);
    EXPECT_MSG(strstr(text, "masked") == NULL, "full attention's cell explained as masked: %s", text);
    EXPECT_MSG(abs(px[0] - want.r) <= 6 && abs(px[1] - want.g) <= 6 && abs(px[2] - want.b) <= 6,
               "full attention's cell is (%d,%d,%d), its weight's colour (%d,%d,%d)", px[0], px[1], px[2], want.r,
               want.g, want.b);
}

static void speech_view_frames_are_click_targets(void)
{
    SceneSpec sp;
    char err[600];
    scene_spec_init(&sp);
    static const char *const kv[][2] = {{"audio", "example:speech"}, {"mask", "window:4"}, {"heads", "1"}};
    EXPECT(set_all(&sp, kv, 3, err, sizeof err) == 0);
    EXPECT(aud_scene_load(&sp, NULL, err, sizeof err) == 0);
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(attn_forward(&t, &sp.scene, err, sizeof err) == 0);
    FigOptions o = fig_options_default();
    o.view = FIG_SPEECH;
    o.query = 100;
    FigLayout lay;
    SDL_Surface *s = export_render(&t, &o, 1.0f, fonts(), &lay, err, sizeof err);
    int n = t.n, drawn = s != NULL;
    if (s) SDL_FreeSurface(s);
    attn_trace_free(&t);
    scene_spec_free(&sp);
    EXPECT_MSG(drawn, "%s", err);
    EXPECT_INT(lay.n, 1);
    /* the middle of frame k's hop, on the waveform, is frame k */
    const FigPanelBox *b = &lay.p[0];
    int ks[] = {0, 1, 57, n - 1};
    for (int i = 0; i < 4; i++) {
        FigHit hit;
        int k = ks[i];
        EXPECT(fig_layout_hit(&lay, b->mx + (k + 0.5f) * b->cw, b->my + b->ch / 2, &hit));
        EXPECT_INT(hit.q, FQ_PATCH);
        EXPECT_INT(hit.col, k);
        EXPECT_INT(hit.row, k);
    }
    FigHit hit;
    EXPECT(!fig_layout_hit(&lay, b->mx + 2, b->my + b->ch + 5, &hit)); /* below the waveform */
}

static void export_audio_json_and_speech_png(void)
{
    HarnessBox b;
    BOX(&b, "export");
    char json[900], png[900];
    snprintf(json, sizeof json, "%s", harness_path(&b, "tone.json"));
    snprintf(png, sizeof png, "%s", harness_path(&b, "speech.png"));
    ATTNLAB_IN(&b, "export", "--wav", "example:tone", "--hop-ms", "20", "--format", "json", "--out", json);
    EXPECT_EXIT(0);
    char *text = harness_slurp(json, NULL);
    EXPECT(text != NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    EXPECT(root != NULL);
    cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "config"), "n");
    int got = cJSON_IsNumber(n) ? n->valueint : -1;
    cJSON_Delete(root);
    EXPECT_INT(got, 1 + (16000 - 400) / 320);
    ATTNLAB_IN(&b, "export", "--audio", "example:speech", "--mask", "window:5", "--view", "speech", "--out", png);
    EXPECT_EXIT(0);
    EXPECT_HAS(harness_last.out, "298 frames");
    HarnessImg im;
    IMG(&im, png);
    int w = im.w, h = im.h;
    stbi_image_free(im.px);
    EXPECT_INT(w, (int)SPEECHFIG_W);
    EXPECT_INT(h, (int)SPEECHFIG_H);
    /* the sound itself as a WAV file, which reads back to the same samples and frames */
    char wav[900];
    snprintf(wav, sizeof wav, "%s", harness_path(&b, "speech.wav"));
    ATTNLAB_IN(&b, "export", "--audio", "example:speech", "--format", "wav", "--out", wav);
    EXPECT_EXIT(0);
    AudClip saved, made;
    char aerr[300];
    EXPECT_MSG(aud_load_wav(&saved, wav, aerr, sizeof aerr) == 0, "%s", aerr);
    EXPECT(aud_synth(&made, "speech", aerr, sizeof aerr) == 0);
    int same_len = saved.n == made.n && saved.rate == made.rate;
    double worst = 0;
    for (int i = 0; same_len && i < made.n; i++) worst = fmax(worst, fabs(saved.samples[i] - made.samples[i]));
    aud_clip_free(&saved);
    aud_clip_free(&made);
    EXPECT(same_len);
    EXPECT_MSG(worst <= 1.0 / 32768 + 1e-7, "16-bit round trip differs by %g", worst);
    ATTNLAB_IN(&b, "export", "--text", "no sound here", "--format", "wav", "--out", wav);
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--audio");
    /* a file that is not a sound: exit 1 naming it, nothing written */
    char bad[900], out[900];
    snprintf(bad, sizeof bad, "%s", harness_path(&b, "bad.wav"));
    snprintf(out, sizeof out, "%s", harness_path(&b, "bad.png"));
    if (!harness_write(__FILE__, __LINE__, bad, "RIFF")) return;
    ATTNLAB_IN(&b, "export", "--audio", bad, "--view", "speech", "--out", out);
    EXPECT_EXIT(1);
    EXPECT_HAS(harness_last.err, "bad.wav");
    EXPECT(!harness_exists(out));
}

/* ---------------------------------------------------------------- graphs as scenes */

static void graph_file_gives_tokens_features_and_mask(void)
{
    SceneSpec sp;
    char err[600], path[600];
    scene_spec_init(&sp);
    snprintf(path, sizeof path, "%s/tri.graph", test_tmpdir());
    FILE *f = fopen(path, "wb");
    EXPECT(f != NULL);
    fputs("title a path\nnode A 1 0\nnode B 0 1\nnode C 1 1\nnode D 0 0\nedge A B\nedge B-C\nedge 3 4\n", f);
    fclose(f);
    EXPECT(scene_set(&sp, "graph", path, err, sizeof err) == 0);
    EXPECT_INT(sp.scene.mask, ATTN_MASK_GRAPH);
    EXPECT_MSG(scene_load(&sp, NULL, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(sp.scene.n, 4);
    EXPECT_STR(sp.scene.tokens[2], "C");
    EXPECT_INT(sp.scene.d_feature, 2);
    EXPECT_NEAR(sp.scene.features[2 * 2 + 1], 1, 0);
    AttnTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(attn_forward(&t, &sp.scene, err, sizeof err) == 0);
    /* a path A-B-C-D: each sees itself and its neighbours */
    static const int want[4][4] = {{1, 1, 0, 0}, {1, 1, 1, 0}, {0, 1, 1, 1}, {0, 0, 1, 1}};
    int same = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) same &= attn_allowed(&t, i, j) == want[i][j];
    attn_trace_free(&t);
    EXPECT(same);
    /* mask none keeps the graph's nodes and drops its edges; "mask = graph" brings them back */
    EXPECT(scene_set(&sp, "mask", "none", err, sizeof err) == 0);
    EXPECT(scene_set(&sp, "mask", "graph", err, sizeof err) == 0);
    EXPECT_INT(sp.scene.mask, ATTN_MASK_GRAPH);
    /* an error in the file names its line and column */
    f = fopen(path, "wb");
    fputs("node A 1 0\nnode B 0\n", f);
    fclose(f);
    EXPECT(scene_load(&sp, NULL, err, sizeof err) == -1);
    EXPECT(strstr(err, "tri.graph:2:") != NULL);
    /* no graph, no file: the graph mask is refused when the scene loads */
    EXPECT(scene_set(&sp, "graph", "none", err, sizeof err) == 0);
    EXPECT_INT(sp.scene.mask, ATTN_MASK_NONE);
    EXPECT(scene_set(&sp, "mask", "graph", err, sizeof err) == 0);
    EXPECT(scene_load(&sp, NULL, err, sizeof err) == -2);
    EXPECT(strstr(err, "graph:FILE") != NULL);
    EXPECT(scene_set(&sp, "graph", "example:nothing", err, sizeof err) == -1);
    EXPECT(strstr(err, "example:molecule") != NULL);
    scene_spec_free(&sp);
}

static void graph_examples_export_and_round_trip_through_scene_files(void)
{
    HarnessBox b;
    BOX(&b, "graph");
    char png[900], scene[900], json[900];
    snprintf(png, sizeof png, "%s", harness_path(&b, "friends.png"));
    snprintf(scene, sizeof scene, "%s", harness_path(&b, "mol.scene"));
    snprintf(json, sizeof json, "%s", harness_path(&b, "mol.json"));
    ATTNLAB_IN(&b, "export", "--graph", "example:friends", "--view", "compare", "--out", png);
    EXPECT_EXIT(0);
    EXPECT(harness_exists(png));
    /* a scene file keeps the graph and its mask, and reads back the same */
    SceneSpec sp;
    FigOptions o = fig_options_default();
    char err[600];
    scene_spec_init(&sp);
    EXPECT(scene_set(&sp, "graph", "example:molecule", err, sizeof err) == 0);
    int saved = scenefile_save(&sp, &o, scene, err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_MSG(saved == 0, "%s", err);
    scene_spec_init(&sp);
    int loaded = scenefile_load(&sp, &o, scene, err, sizeof err);
    int mask = sp.scene.mask;
    char g[64] = "";
    if (sp.graph) snprintf(g, sizeof g, "%s", sp.graph);
    scene_spec_free(&sp);
    EXPECT_MSG(loaded == 0, "%s", err);
    EXPECT_STR(g, "example:molecule");
    EXPECT_INT(mask, ATTN_MASK_GRAPH);
    ATTNLAB_IN(&b, "export", "--graph", "example:molecule", "--format", "json", "--out", json);
    EXPECT_EXIT(0);
    char *text = harness_slurp(json, NULL);
    EXPECT(text != NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    EXPECT(root != NULL);
    cJSON *cfg = cJSON_GetObjectItem(root, "config");
    cJSON *n = cJSON_GetObjectItem(cfg, "n"), *jm = cJSON_GetObjectItem(cfg, "mask");
    int got = cJSON_IsNumber(n) ? n->valueint : -1;
    char mk[64] = "";
    if (cJSON_IsString(jm)) snprintf(mk, sizeof mk, "%s", jm->valuestring);
    cJSON_Delete(root);
    EXPECT_INT(got, 9);
    EXPECT_HAS(mk, "graph");
}

/* ---------------------------------------------------------------- sentence pairs */

static void pair_file_exports_json_and_refuses_a_bad_one(void)
{
    HarnessBox b;
    BOX(&b, "pair");
    char pair[900], json[900], bad[900], png[900];
    snprintf(pair, sizeof pair, "%s", harness_path(&b, "es.pair"));
    snprintf(json, sizeof json, "%s", harness_path(&b, "es.json"));
    snprintf(bad, sizeof bad, "%s", harness_path(&b, "bad.pair"));
    snprintf(png, sizeof png, "%s", harness_path(&b, "bad.png"));
    if (!harness_write(__FILE__, __LINE__, pair,
                       "source the 2 0 0\nsource red 0 2 0.2\nsource house 0 0.2 2\n"
                       "target la 1.8 0 0.3\ntarget casa 0.2 0.3 1.9\ntarget roja 0 1.9 0.3\n"))
        return;
    ATTNLAB_IN(&b, "export", "--view", "cross", "--cross", pair, "--cross-score", "general", "--format", "json", "--out", json);
    EXPECT_EXIT(0);
    char *text = harness_slurp(json, NULL);
    EXPECT(text != NULL);
    cJSON *root = cJSON_Parse(text);
    free(text);
    EXPECT(root != NULL);
    cJSON *fmt = cJSON_GetObjectItem(root, "format"), *src = cJSON_GetObjectItem(root, "source");
    cJSON *w = cJSON_GetObjectItem(root, "weights");
    char f[32] = "", third[32] = "";
    if (cJSON_IsString(fmt)) snprintf(f, sizeof f, "%s", fmt->valuestring);
    cJSON *s2 = cJSON_GetArrayItem(src, 2);
    if (cJSON_IsString(s2)) snprintf(third, sizeof third, "%s", s2->valuestring);
    /* "casa" (target 2) looks at "house" (source 3) most */
    cJSON *row = cJSON_GetArrayItem(w, 1);
    double w0 = cJSON_GetArrayItem(row, 0) ? cJSON_GetArrayItem(row, 0)->valuedouble : 1;
    double w2 = cJSON_GetArrayItem(row, 2) ? cJSON_GetArrayItem(row, 2)->valuedouble : 0;
    int has_w = cJSON_GetObjectItem(root, "W") != NULL;
    cJSON_Delete(root);
    EXPECT_STR(f, "attnlab-cross");
    EXPECT_STR(third, "house");
    EXPECT(w2 > w0);
    EXPECT(has_w);
    if (!harness_write(__FILE__, __LINE__, bad, "source a 1 2\ntarget b 1\n")) return;
    ATTNLAB_IN(&b, "export", "--view", "cross", "--cross", bad, "--out", png);
    EXPECT_EXIT(1);
    EXPECT_HAS(harness_last.err, "bad.pair:2:");
    EXPECT(!harness_exists(png));
}

/* ---------------------------------------------------------------- the window */

static void dropping_a_sound_and_a_graph_on_the_window(void)
{
    HarnessBox b;
    BOX(&b, "drop");
    char wav[900], graph[900], bad_png[900], bad_wav[900], script[4096];
    snprintf(wav, sizeof wav, "%s", harness_path(&b, "tone.wav"));
    snprintf(graph, sizeof graph, "%s", harness_path(&b, "square.graph"));
    snprintf(bad_png, sizeof bad_png, "%s", harness_path(&b, "bad.png"));
    snprintf(bad_wav, sizeof bad_wav, "%s", harness_path(&b, "bad.wav"));
    if (!harness_write(__FILE__, __LINE__, bad_png, "not a picture") ||
        !harness_write(__FILE__, __LINE__, bad_wav, "RIFF...."))
        return;
    AudClip c;
    char err[300];
    EXPECT(aud_synth(&c, "tone", err, sizeof err) == 0);
    int wrote = aud_write_wav(&c, wav, err, sizeof err);
    aud_clip_free(&c);
    EXPECT_MSG(wrote == 0, "%s", err);
    if (!harness_write(__FILE__, __LINE__, graph, "node a\nnode b\nnode c\nnode d\nedge a b\nedge b c\nedge c d\nedge d a\n"))
        return;
    snprintf(script, sizeof script,
             "drop %s\nexpect tab speech\nexpect tokens 98\nshot %s\n"
             /* a hop of 12 ms (192 samples): 1 + (16000 - 400) / 192 frames */
             "key D\nexpect hop 12 ms (82)\nexpect tokens 82\n"
             /* a picture that cannot be read keeps the sound */
             "drop %s\nexpect tab speech\nexpect tokens 82\nexpect frame 25 ms\n"
             "drop %s\nexpect tab graph\nexpect tokens 4\nexpect mask graph\n"
             /* and a sound that cannot be read keeps the graph and its mask */
             "drop %s\nexpect tab graph\nexpect tokens 4\nexpect mask graph\n"
             /* Enter leaves the graph: the text is the input again, without the graph's mask */
             "key Return\nexpect tokens 4\nexpect mask none\nexpect editing 1\nquit\n",
             wav, harness_path(&b, "speech.png"), bad_png, graph, bad_wav);
    REPLAY(&b, "drop.script", script);
    EXPECT_EXIT(0);
    EXPECT(harness_exists(harness_path(&b, "speech.png")));
}

void suite_speech(void)
{
    RUN(sound_frames_become_tokens);
    RUN(sound_errors_name_the_file_or_the_examples);
    RUN(cost_counts_full_and_allowed_pairs);
    RUN(compare_view_shows_full_attention_from_the_unmasked_trace);
    RUN(speech_view_frames_are_click_targets);
    RUN(export_audio_json_and_speech_png);
    RUN(graph_file_gives_tokens_features_and_mask);
    RUN(graph_examples_export_and_round_trip_through_scene_files);
    RUN(pair_file_exports_json_and_refuses_a_bad_one);
    RUN(dropping_a_sound_and_a_graph_on_the_window);
    harness_free();
}
