/* test_scenefile.c: tests for scenefile.c: parsing every key, write/parse round trips,
 * errors with exact line:column, the settings path, and loading/saving files. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/app/scenefile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */


/* Window settings with the given size, zoom, animation and fullscreen, nothing else set. */
static WinSettings win_of(int width, int height, float zoom, int animate, int fullscreen)
{
    WinSettings w = win_settings_default();
    w.width = width;
    w.height = height;
    w.zoom = zoom;
    w.animate = animate;
    w.fullscreen = fullscreen;
    return w;
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* Fails (at the caller's line) unless the fields a scene file carries are equal. Files of
 * graph/custom masks and window/padding sizes are compared only where the mask uses them. */
static int same_spec_at(const SceneSpec *a, const SceneSpec *b, int line)
{
    const AttnScene *x = &a->scene, *y = &b->scene;
    const char *what = NULL;
    if (!str_eq(a->text, b->text)) what = "text";
    else if (x->heads != y->heads) what = "heads";
    else if (x->d_model != y->d_model) what = "d_model";
    else if (x->d_head != y->d_head) what = "d_head";
    else if (x->d_att != y->d_att) what = "d_att";
    else if (x->score != y->score) what = "score";
    else if (x->mask != y->mask) what = "mask";
    else if ((x->mask == ATTN_MASK_WINDOW || x->mask == ATTN_MASK_PADDING) &&
             x->mask_param != y->mask_param) what = "mask_param";
    else if ((x->mask == ATTN_MASK_GRAPH || x->mask == ATTN_MASK_CUSTOM) &&
             !str_eq(a->mask_file, b->mask_file)) what = "mask_file";
    else if (x->posenc != y->posenc) what = "posenc";
    else if (x->norm != y->norm) what = "norm";
    else if (x->temperature != y->temperature) what = "temperature";
    else if (x->seed != y->seed) what = "seed";
    else if (x->weights != y->weights) what = "weights";
    else if (!str_eq(a->weights_file, b->weights_file)) what = "weights_file";
    else if (!str_eq(a->vectors_file, b->vectors_file)) what = "vectors_file";
    if (what) test_fail(__FILE__, line, "the specs differ in %s", what);
    return !what;
}
#define EXPECT_SAME_SPEC(a, b) do { if (!same_spec_at((a), (b), __LINE__)) return; } while (0)

static int same_fig_at(const FigOptions *a, const FigOptions *b, int line)
{
    const char *what = NULL;
    if (a->view != b->view) what = "view";
    else if (a->head != b->head) what = "head";
    else if (a->cmap != b->cmap) what = "cmap";
    else if (a->transposed != b->transposed) what = "transposed";
    else if (a->dark != b->dark) what = "dark";
    else if (a->numbers != b->numbers) what = "numbers";
    else if (a->cell != b->cell) what = "cell";
    if (what) test_fail(__FILE__, line, "the figure options differ in %s", what);
    return !what;
}
#define EXPECT_SAME_FIG(a, b) do { if (!same_fig_at((a), (b), __LINE__)) return; } while (0)

static int same_win(const WinSettings *a, const WinSettings *b)
{
    return a->width == b->width && a->height == b->height && a->zoom == b->zoom &&
           a->animate == b->animate && a->fullscreen == b->fullscreen;
}

/* Applies "key", "value" pairs (NULL-ended) to sp and o; reports at the caller's line. */
static int apply_at(SceneSpec *sp, FigOptions *o, const char *const *kv, int line)
{
    char err[256];
    for (int i = 0; kv[i]; i += 2) {
        int r = fig_set(o, kv[i], kv[i + 1], err, sizeof err);
        if (r == 1) r = scene_set(sp, kv[i], kv[i + 1], err, sizeof err);
        if (r) {
            test_fail(__FILE__, line, "setting %s = %s: %s", kv[i], kv[i + 1], err);
            return 0;
        }
    }
    return 1;
}
#define APPLY(sp, o, kv) do { if (!apply_at((sp), (o), (kv), __LINE__)) return; } while (0)

/* Parses a NUL-terminated text into sp/o/win; the result and message. */
static int parse(SceneSpec *sp, FigOptions *o, WinSettings *win, const char *text, char *err,
                 size_t errlen)
{
    err[0] = '\0';
    return scenefile_parse(sp, o, win, text, strlen(text), "scene.txt", err, errlen);
}

/* Writes sp/o/win, parses the text into a fresh default spec, options and window settings
 * and expects the same values back. */
static int round_trip_at(const SceneSpec *sp, const FigOptions *o, const WinSettings *win, int line)
{
    OutBuf b = {0};
    scenefile_write(&b, sp, o, win);
    if (b.failed || !b.data) {
        test_fail(__FILE__, line, "scenefile_write failed");
        out_buf_free(&b);
        return 0;
    }
    SceneSpec back;
    scene_spec_init(&back);
    FigOptions bo = fig_options_default();
    WinSettings bw = win_settings_default();
    char err[512];
    int ok = 1;
    if (scenefile_parse(&back, &bo, win ? &bw : NULL, b.data, b.len, "rt.txt", err, sizeof err)) {
        test_fail(__FILE__, line, "the written file does not parse: %s\n%s", err, b.data);
        ok = 0;
    }
    if (ok && !same_spec_at(&back, sp, line)) ok = 0;
    if (ok && !same_fig_at(&bo, o, line)) ok = 0;
    if (ok && win && !same_win(&bw, win)) {
        test_fail(__FILE__, line, "the window settings differ");
        ok = 0;
    }
    if (!ok) fprintf(stderr, "  written:\n%s", b.data);
    scene_spec_free(&back);
    out_buf_free(&b);
    return ok;
}
#define EXPECT_ROUND_TRIP(sp, o, win) do { if (!round_trip_at((sp), (o), (win), __LINE__)) return; } while (0)

static char *path_in(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return p;
}

static int on_disk(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int write_text(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(text, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Saves and restores HOME and XDG_CONFIG_HOME around a test. */
typedef struct { char *home, *xdg; int had_home, had_xdg; } EnvSave;

static char *dup_or_null(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static EnvSave env_save(void)
{
    EnvSave e;
    const char *h = getenv("HOME"), *x = getenv("XDG_CONFIG_HOME");
    e.had_home = h != NULL;
    e.had_xdg = x != NULL;
    e.home = dup_or_null(h);
    e.xdg = dup_or_null(x);
    return e;
}

static void env_restore(EnvSave *e)
{
    if (e->had_home && e->home) setenv("HOME", e->home, 1);
    else unsetenv("HOME");
    if (e->had_xdg && e->xdg) setenv("XDG_CONFIG_HOME", e->xdg, 1);
    else unsetenv("XDG_CONFIG_HOME");
    free(e->home);
    free(e->xdg);
    e->home = e->xdg = NULL;
}

/* ---------------------------------------------------------------- parsing */

static void parse_full_file_sets_every_field(void)
{
    static const char text[] =
        "# attnlab settings\n"
        "text = the cat | sat = down # here\n"
        "heads = 3\n"
        "d-model = 12\n"
        "d-head = 5\n"
        "d-att = 7\n"
        "score = additive\n"
        "mask = window:2\n"
        "posenc = learned\n"
        "norm = relu\n"
        "temperature = 0.25\n"
        "seed = 18446744073709551615\n"
        "weights = identity\n"
        "vectors = vec.txt\n"
        "view = heads\n"
        "head = 3\n"
        "orient = kq\n"
        "cmap = gray\n"
        "theme = dark\n"
        "numbers = off\n"
        "cell = 20\n"
        "window-width = 1280\n"
        "window-height = 800\n"
        "zoom = 1.5\n"
        "animate = off\n"
        "fullscreen = on\n";
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    WinSettings w = win_settings_default();
    char err[256];
    int r = parse(&sp, &o, &w, text, err, sizeof err);
    AttnScene s = sp.scene;
    int text_ok = str_eq(sp.text, "the cat | sat = down # here");
    int vec_ok = str_eq(sp.vectors_file, "vec.txt");
    scene_spec_free(&sp);
    EXPECT_MSG(r == 0, "parse failed: %s", err);
    EXPECT(text_ok);
    EXPECT_INT(s.heads, 3);
    EXPECT_INT(s.d_model, 12);
    EXPECT_INT(s.d_head, 5);
    EXPECT_INT(s.d_att, 7);
    EXPECT_INT(s.score, ATTN_SCORE_ADDITIVE);
    EXPECT_INT(s.mask, ATTN_MASK_WINDOW);
    EXPECT_INT(s.mask_param, 2);
    EXPECT_INT(s.posenc, ATTN_PE_LEARNED);
    EXPECT_INT(s.norm, ATTN_NORM_RELU);
    EXPECT(s.temperature == 0.25f);
    EXPECT(s.seed == 18446744073709551615ULL);
    EXPECT_INT(s.weights, ATTN_WEIGHTS_IDENTITY);
    EXPECT(vec_ok);
    EXPECT_INT(o.view, FIG_HEADS);
    EXPECT_INT(o.head, 2);
    EXPECT_INT(o.transposed, 1);
    EXPECT_INT(o.cmap, CMAP_GRAY);
    EXPECT_INT(o.dark, 1);
    EXPECT_INT(o.numbers, FIG_NUMBERS_OFF);
    EXPECT(o.cell == 20.0f);
    EXPECT_INT(w.width, 1280);
    EXPECT_INT(w.height, 800);
    EXPECT(w.zoom == 1.5f);
    EXPECT_INT(w.animate, 0);
    EXPECT_INT(w.fullscreen, 1);
}

static void parse_spacing_comments_and_duplicates(void)
{
    static const char text[] =
        "\n"
        "   # an indented comment = with an equals sign\n"
        "heads=3\n"
        "\t d-head\t=\t6 \t\n"
        "text =\t=a=b=  \n"
        "   \n"
        "heads = 5\n"; /* the later line wins */
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[256];
    int r = parse(&sp, &o, NULL, text, err, sizeof err);
    int heads = sp.scene.heads, dh = sp.scene.d_head;
    int text_ok = str_eq(sp.text, "=a=b=");
    scene_spec_free(&sp);
    EXPECT_MSG(r == 0, "parse failed: %s", err);
    EXPECT_INT(heads, 5);
    EXPECT_INT(dh, 6);
    EXPECT(text_ok);
}

static void parse_keeps_values_of_keys_not_named(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[256];
    EXPECT_INT(scene_set(&sp, "seed", "42", err, sizeof err), 0);
    o.dark = 1;
    int r = parse(&sp, &o, NULL, "heads = 4\n", err, sizeof err);
    int seed = (int)sp.scene.seed, heads = sp.scene.heads;
    scene_spec_free(&sp);
    EXPECT_INT(r, 0);
    EXPECT_INT(heads, 4);
    EXPECT_INT(seed, 42);
    EXPECT_INT(o.dark, 1);
}

/* ---------------------------------------------------------------- errors */

/* Parses text (win may be NULL) and expects -1 with exactly the message want. */
static int refused_at(const char *text, size_t len, WinSettings *win, const char *want, int line)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[512] = "";
    int r = scenefile_parse(&sp, &o, win, text, len, "scene.txt", err, sizeof err);
    scene_spec_free(&sp);
    if (r != -1) {
        test_fail(__FILE__, line, "accepted (returned %d), expected \"%s\"", r, want);
        return 0;
    }
    if (strcmp(err, want) != 0) {
        test_fail(__FILE__, line, "message \"%s\", expected \"%s\"", err, want);
        return 0;
    }
    return 1;
}
#define EXPECT_REFUSED(text, win, want) \
    do { if (!refused_at((text), sizeof(text) - 1, (win), (want), __LINE__)) return; } while (0)

static void error_unknown_key_points_at_the_key(void)
{
    EXPECT_REFUSED("heads = 2\n\n   bogus = 1\n", NULL, "scene.txt:3:4: unknown key 'bogus'");
    EXPECT_REFUSED("\tHeads = 2\n", NULL, "scene.txt:1:2: unknown key 'Heads'");
}

static void error_bad_value_points_at_the_value(void)
{
    EXPECT_REFUSED("# a scene\ntext = hi\nheads = 99\n", NULL,
                   "scene.txt:3:9: --heads: 99 is outside the limit 1..64");
    EXPECT_REFUSED("theme=   blue\n", NULL,
                   "scene.txt:1:10: --theme: unknown theme 'blue' (allowed: light|dark)");
    EXPECT_REFUSED("view = weights\nmask =  graph:\n", NULL,
                   "scene.txt:2:9: --mask: graph needs a file, as in graph:edges.txt");
}

static void error_line_without_equals(void)
{
    EXPECT_REFUSED("heads = 2\n   just some words\n", NULL, "scene.txt:2:4: expected key = value");
    EXPECT_REFUSED("  = 3\n", NULL, "scene.txt:1:3: expected key = value");
}

static void error_invalid_utf8_with_position(void)
{
    EXPECT_REFUSED("heads = 2\ntext = caf\xC3(\n", NULL, "scene.txt:2:11: invalid UTF-8");
    EXPECT_REFUSED("# comment \xFF\n", NULL, "scene.txt:1:11: invalid UTF-8");
    EXPECT_REFUSED("text = \xED\xA0\x80\n", NULL, "scene.txt:1:8: invalid UTF-8"); /* surrogate */
}

static void bom_and_crlf_accepted(void)
{
    static const char text[] = "\xEF\xBB\xBFheads = 3\r\nmask = causal\r\n\r\n# c\r\ntext = a b\r\n";
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[256];
    int r = parse(&sp, &o, NULL, text, err, sizeof err);
    int heads = sp.scene.heads, mask = sp.scene.mask;
    int text_ok = str_eq(sp.text, "a b");
    scene_spec_free(&sp);
    EXPECT_MSG(r == 0, "parse failed: %s", err);
    EXPECT_INT(heads, 3);
    EXPECT_INT(mask, ATTN_MASK_CAUSAL);
    EXPECT(text_ok);
    /* columns on the first line count from after the BOM */
    EXPECT_REFUSED("\xEF\xBB\xBF" "bogus = 1\r\n", NULL, "scene.txt:1:1: unknown key 'bogus'");
}

static void value_longer_than_64k_refused(void)
{
    size_t n = 64 * 1024;
    char *text = malloc(n + 16);
    EXPECT(text);
    memcpy(text, "text = ", 7);
    memset(text + 7, 'a', n);
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[256] = "";
    int at_limit = scenefile_parse(&sp, &o, NULL, text, 7 + n, "scene.txt", err, sizeof err);
    size_t got = sp.text ? strlen(sp.text) : 0;
    text[7 + n] = 'a';
    int over = scenefile_parse(&sp, &o, NULL, text, 8 + n, "scene.txt", err, sizeof err);
    scene_spec_free(&sp);
    free(text);
    EXPECT_INT(at_limit, 0);
    EXPECT_INT(got, n);
    EXPECT_INT(over, -1);
    EXPECT_STR(err, "scene.txt:1:8: text: the value is longer than the limit of 64 KB");
}

static void window_keys_only_with_win(void)
{
    EXPECT_REFUSED("heads = 2\n  zoom = 2\n", NULL, "scene.txt:2:3: unknown key 'zoom'");
    EXPECT_REFUSED("window-width = 800\n", NULL, "scene.txt:1:1: unknown key 'window-width'");
    EXPECT_REFUSED("fullscreen = on\n", NULL, "scene.txt:1:1: unknown key 'fullscreen'");

    WinSettings w = win_settings_default();
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[256];
    int r = parse(&sp, &o, &w, "window-width = 200\nwindow-height = 16384\nzoom = 0.5\n"
                  "animate = off\nfullscreen = on\n", err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_MSG(r == 0, "parse failed: %s", err);
    EXPECT_INT(w.width, 200);
    EXPECT_INT(w.height, 16384);
    EXPECT(w.zoom == 0.5f);
    EXPECT_INT(w.animate, 0);
    EXPECT_INT(w.fullscreen, 1);

    EXPECT_REFUSED("window-width = 199\n", &w,
                   "scene.txt:1:16: window-width: 199 is outside the limit 200..16384");
    EXPECT_REFUSED("window-height = 16385\n", &w,
                   "scene.txt:1:17: window-height: 16385 is outside the limit 200..16384");
    EXPECT_REFUSED("zoom = 3.5\n", &w, "scene.txt:1:8: zoom: 3.5 is outside the limit 0.5..3");
    EXPECT_REFUSED("zoom = big\n", &w, "scene.txt:1:8: zoom: 'big' is not a number");
    EXPECT_REFUSED("animate = yes\n", &w,
                   "scene.txt:1:11: animate: unknown value 'yes' (allowed: on|off)");
}

/* ---------------------------------------------------------------- writing */

static void round_trip_defaults(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    WinSettings w = win_settings_default();
    OutBuf b = {0};
    scenefile_write(&b, &sp, &o, NULL);
    int first_ok = b.data && strncmp(b.data, "# attnlab scene\n", 16) == 0;
    int no_cell = b.data && !strstr(b.data, "\ncell");
    int no_datt = b.data && !strstr(b.data, "\nd-att");
    out_buf_free(&b);
    scenefile_write(&b, &sp, &o, &w);
    int settings_first = b.data && strncmp(b.data, "# attnlab settings\n", 19) == 0;
    out_buf_free(&b);
    EXPECT(first_ok);
    EXPECT(settings_first);
    EXPECT(no_cell);
    EXPECT(no_datt);
    EXPECT_ROUND_TRIP(&sp, &o, NULL);
    EXPECT_ROUND_TRIP(&sp, &o, &w);
    scene_spec_free(&sp);
}

static void round_trip_everything_changed(void)
{
    static const char *const kv[] = {
        "text", "# not a comment = x | y 注意力 机制", "heads", "3", "d-model", "16",
        "d-head", "6", "d-att", "5", "score", "additive", "mask", "graph:my edges#1.txt",
        "posenc", "learned", "norm", "relu", "temperature", "0.3", "seed",
        "18446744073709551615", "weights", "identity", "weights", "w = 1.txt", "vectors",
        "vec.txt", "view", "params", "head", "2", "orient", "kq", "cmap", "cividis",
        "theme", "dark", "numbers", "on", "cell", "20", NULL};
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    WinSettings w = win_of(1024, 700, 1.25f, 0, 1);
    APPLY(&sp, &o, kv);
    EXPECT_ROUND_TRIP(&sp, &o, NULL);
    EXPECT_ROUND_TRIP(&sp, &o, &w);

    OutBuf b = {0};
    scenefile_write(&b, &sp, &o, NULL);
    const char *t = b.data ? b.data : "";
    int lines_ok = strstr(t, "\ntext = # not a comment = x | y 注意力 机制\n") &&
                   strstr(t, "\nmask = graph:my edges#1.txt\n") &&
                   strstr(t, "\ntemperature = 0.300000012\n") &&
                   strstr(t, "\nseed = 18446744073709551615\n") &&
                   strstr(t, "\nweights = w = 1.txt\n") && strstr(t, "\nvectors = vec.txt\n") &&
                   strstr(t, "\ncell = 20\n") && strstr(t, "\nhead = 2\n") &&
                   !strstr(t, "zoom");
    out_buf_free(&b);
    EXPECT_MSG(lines_ok, "the written file lacks an expected line");
    scene_spec_free(&sp);
}

static void round_trip_custom_mask_and_other_choices(void)
{
    static const char *const custom[] = {"mask", "custom:masks/m.txt", "score", "dot",
                                         "posenc", "none", "theme", "light", "orient", "qk",
                                         "cmap", "diverging", "numbers", "auto", "view", "qkv",
                                         NULL};
    static const char *const padding[] = {"mask", "padding:3", "weights", "random",
                                          "vectors", "hash", "temperature", "1e-06", NULL};
    static const char *const window[] = {"mask", "window:0", "text", "", "seed", "0", NULL};
    static const char *const wfile[] = {"weights", "W.txt", NULL}; /* random preset + file */
    static const char *const *const all[] = {custom, padding, window, wfile};
    for (int i = 0; i < 4; i++) {
        SceneSpec sp;
        scene_spec_init(&sp);
        FigOptions o = fig_options_default();
        APPLY(&sp, &o, all[i]);
        int ok = round_trip_at(&sp, &o, NULL, __LINE__);
        scene_spec_free(&sp);
        EXPECT_MSG(ok, "spec %d does not round-trip", i);
    }
}

static void round_trip_weights_file_keeps_its_preset(void)
{
    /* the preset fills what the weights file leaves out, so it must survive the round trip
     * even when the file is read into a spec with another preset */
    static const char *const kv[] = {"weights", "identity", "weights", "W.txt", NULL};
    SceneSpec sp, back;
    scene_spec_init(&sp);
    scene_spec_init(&back);
    FigOptions o = fig_options_default();
    APPLY(&sp, &o, kv);
    OutBuf b = {0};
    scenefile_write(&b, &sp, &o, NULL);
    char err[256];
    int r = b.data ? scenefile_parse(&back, &o, NULL, b.data, b.len, "x", err, sizeof err) : -1;
    int preset = back.scene.weights;
    int file_ok = str_eq(back.weights_file, "W.txt");
    out_buf_free(&b);
    scene_spec_free(&sp);
    scene_spec_free(&back);
    EXPECT_INT(r, 0);
    EXPECT_INT(preset, ATTN_WEIGHTS_IDENTITY);
    EXPECT(file_ok);
}

static void text_newlines_written_as_spaces(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[256];
    EXPECT_INT(scene_set(&sp, "text", "one\ntwo\r\nthree", err, sizeof err), 0);
    OutBuf b = {0};
    scenefile_write(&b, &sp, &o, NULL);
    int line_ok = b.data && strstr(b.data, "\ntext = one two  three\n");
    SceneSpec back;
    scene_spec_init(&back);
    int r = b.data ? scenefile_parse(&back, &o, NULL, b.data, b.len, "x", err, sizeof err) : -1;
    int back_ok = str_eq(back.text, "one two  three");
    out_buf_free(&b);
    scene_spec_free(&sp);
    scene_spec_free(&back);
    EXPECT(line_ok);
    EXPECT_INT(r, 0);
    EXPECT(back_ok);
}

/* ---------------------------------------------------------------- files */

static void settings_path_from_xdg_or_home(void)
{
    EnvSave e = env_save();
    char p[512];
    int r1, r2, r3, r4, r5, r6;
    char p1[512] = "", p2[512] = "", p3[512] = "", p4[512] = "";
    char tiny[8];

    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    setenv("HOME", "/home/u", 1);
    r1 = settings_path(p, sizeof p);
    snprintf(p1, sizeof p1, "%s", p);
    setenv("XDG_CONFIG_HOME", "", 1); /* empty: HOME */
    r2 = settings_path(p, sizeof p);
    snprintf(p2, sizeof p2, "%s", p);
    setenv("XDG_CONFIG_HOME", "rel/cfg", 1); /* relative: HOME */
    r3 = settings_path(p, sizeof p);
    snprintf(p3, sizeof p3, "%s", p);
    unsetenv("XDG_CONFIG_HOME");
    r4 = settings_path(p, sizeof p);
    snprintf(p4, sizeof p4, "%s", p);
    r5 = settings_path(tiny, sizeof tiny); /* does not fit */
    unsetenv("HOME");
    r6 = settings_path(p, sizeof p);

    env_restore(&e);
    EXPECT_INT(r1, 0);
    EXPECT_STR(p1, "/x/cfg/attnlab/settings.txt");
    EXPECT_INT(r2, 0);
    EXPECT_STR(p2, "/home/u/.config/attnlab/settings.txt");
    EXPECT_INT(r3, 0);
    EXPECT_STR(p3, "/home/u/.config/attnlab/settings.txt");
    EXPECT_INT(r4, 0);
    EXPECT_STR(p4, "/home/u/.config/attnlab/settings.txt");
    EXPECT_INT(r5, -1);
    EXPECT_INT(r6, -1);
}

static void settings_save_then_load_round_trip(void)
{
    static const char *const kv[] = {"text", "라면 | 국수 = #1", "heads", "4", "mask",
                                     "custom:m.txt", "temperature", "2.5", "theme", "dark",
                                     "orient", "kq", "cell", "20", "head", "2", NULL};
    EnvSave e = env_save();
    char cfg[512], err[512] = "", warn[512] = "";
    snprintf(cfg, sizeof cfg, "%s/cfg-rt/deeper", test_tmpdir());
    setenv("XDG_CONFIG_HOME", cfg, 1);

    SceneSpec sp, back;
    scene_spec_init(&sp);
    scene_spec_init(&back);
    FigOptions o = fig_options_default(), bo = fig_options_default();
    WinSettings w = win_of(900, 640, 1.75f, 0, 1), bw = win_settings_default();
    int applied = apply_at(&sp, &o, kv, __LINE__);
    int saved = applied ? settings_save(&sp, &o, &w, err, sizeof err) : -1;
    char path[600];
    snprintf(path, sizeof path, "%s/attnlab/settings.txt", cfg);
    int exists = on_disk(path);
    /* back holds a loaded scene: its borrowed pointers must stay valid after the load */
    int loaded_before = scene_load(&back, test_tmpdir(), err, sizeof err);
    int r = settings_load(&back, &bo, &bw, warn, sizeof warn);
    int loaded_after = scene_load(&back, test_tmpdir(), err, sizeof err);
    int same = same_spec_at(&back, &sp, __LINE__) && same_fig_at(&bo, &o, __LINE__);
    int n_tokens = back.scene.n;
    scene_spec_free(&sp);
    scene_spec_free(&back);
    env_restore(&e);
    EXPECT(applied);
    EXPECT_MSG(saved == 0, "settings_save failed: %s", err);
    EXPECT(exists);
    EXPECT_INT(loaded_before, 0);
    EXPECT_MSG(r == 0, "settings_load returned %d: %s", r, warn);
    EXPECT(same);
    EXPECT(same_win(&bw, &w));
    EXPECT_INT(loaded_after, -1); /* m.txt does not exist; the point is no crash or leak */
    EXPECT_INT(n_tokens, 2); /* the new text was tokenised: "라면", "국수 = #1" */
}

static void corrupt_settings_leave_everything_untouched(void)
{
    EnvSave e = env_save();
    char cfg[512], dir[600], path[700], err[256], warn[512] = "";
    snprintf(cfg, sizeof cfg, "%s/cfg-bad", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/attnlab", cfg);
    snprintf(path, sizeof path, "%s/settings.txt", dir);
    mkdir(cfg, 0755);
    mkdir(dir, 0755);
    static const char text[] = "# attnlab settings\ntext = changed\ntheme = dark\nbogus = 1\n"
                               "zoom = 2\n";
    int wrote = write_text(path, text, sizeof text - 1);
    setenv("XDG_CONFIG_HOME", cfg, 1);

    SceneSpec sp, before;
    scene_spec_init(&sp);
    scene_spec_init(&before);
    int set = scene_set(&sp, "heads", "3", err, sizeof err) == 0 &&
              scene_set(&before, "heads", "3", err, sizeof err) == 0;
    FigOptions o = fig_options_default(), o0 = o;
    WinSettings w = win_of(640, 480, 1.0f, 1, 0), w0 = w;
    int r = settings_load(&sp, &o, &w, warn, sizeof warn);
    int same = same_spec_at(&sp, &before, __LINE__) && same_fig_at(&o, &o0, __LINE__);
    scene_spec_free(&sp);
    scene_spec_free(&before);
    env_restore(&e);
    char want[800];
    snprintf(want, sizeof want, "%s:4:1: unknown key 'bogus'; settings ignored", path);
    EXPECT_INT(wrote, 0);
    EXPECT(set);
    EXPECT_INT(r, 1);
    EXPECT_STR(warn, want);
    EXPECT(same);
    EXPECT(same_win(&w, &w0));
}

static void missing_settings_file_returns_0(void)
{
    EnvSave e = env_save();
    char cfg[512], warn[256] = "untouched";
    snprintf(cfg, sizeof cfg, "%s/cfg-none", test_tmpdir());
    setenv("XDG_CONFIG_HOME", cfg, 1);
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default(), o0 = o;
    WinSettings w = win_of(640, 480, 2.0f, 0, 1), w0 = w;
    int r = settings_load(&sp, &o, &w, warn, sizeof warn);
    int text_ok = str_eq(sp.text, "I saw a saw");
    scene_spec_free(&sp);
    env_restore(&e);
    EXPECT_INT(r, 0);
    EXPECT(text_ok);
    EXPECT_SAME_FIG(&o, &o0);
    EXPECT(same_win(&w, &w0));
}

static void scenefile_save_and_load_round_trip(void)
{
    static const char *const kv[] = {"text", "a saw | saw", "mask", "causal", "view", "mask", NULL};
    SceneSpec sp, back;
    scene_spec_init(&sp);
    scene_spec_init(&back);
    FigOptions o = fig_options_default(), bo = fig_options_default();
    char err[512] = "";
    const char *path = path_in("saved.scene");
    int applied = apply_at(&sp, &o, kv, __LINE__);
    int saved = applied ? scenefile_save(&sp, &o, path, err, sizeof err) : -1;
    int loaded = saved == 0 ? scenefile_load(&back, &bo, path, err, sizeof err) : -1;
    int same = loaded == 0 && same_spec_at(&back, &sp, __LINE__) && same_fig_at(&bo, &o, __LINE__);
    scene_spec_free(&sp);
    scene_spec_free(&back);
    EXPECT(applied);
    EXPECT_MSG(saved == 0, "scenefile_save: %s", err);
    EXPECT_MSG(loaded == 0, "scenefile_load: %s", err);
    EXPECT(same);

    /* messages name the file by its path */
    const char *bad = path_in("bad.scene");
    EXPECT_INT(write_text(bad, "heads = 2\nzoom = 2\n", 19), 0);
    SceneSpec s2;
    scene_spec_init(&s2);
    int r = scenefile_load(&s2, &bo, bad, err, sizeof err);
    scene_spec_free(&s2);
    char want[700];
    snprintf(want, sizeof want, "%s:2:1: unknown key 'zoom'", bad);
    EXPECT_INT(r, -1);
    EXPECT_STR(err, want);
}

static void scenefile_save_into_missing_folder_leaves_nothing(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[512] = "";
    const char *dir = path_in("no-such-folder");
    char path[600];
    snprintf(path, sizeof path, "%s/x.scene", dir);
    int r = scenefile_save(&sp, &o, path, err, sizeof err);
    scene_spec_free(&sp);
    EXPECT_INT(r, -1);
    EXPECT_MSG(strstr(err, path) != NULL, "message \"%s\" does not name the path", err);
    EXPECT(!on_disk(path));
    EXPECT(!on_disk(dir));
}

static void scenefile_load_of_too_large_file_refused(void)
{
    size_t n = 1024 * 1024;
    char *big = malloc(n + 1);
    EXPECT(big);
    memset(big, '#', n + 1);
    for (size_t i = 79; i < n + 1; i += 80) big[i] = '\n';
    const char *at = path_in("limit.scene"), *over = path_in("big.scene");
    int w1 = write_text(at, big, n), w2 = write_text(over, big, n + 1);
    free(big);
    EXPECT_INT(w1, 0);
    EXPECT_INT(w2, 0);

    SceneSpec sp;
    scene_spec_init(&sp);
    FigOptions o = fig_options_default();
    char err[700] = "", err2[700] = "";
    int r1 = scenefile_load(&sp, &o, at, err, sizeof err);
    int r2 = scenefile_load(&sp, &o, over, err2, sizeof err2);
    scene_spec_free(&sp);
    char want[700];
    snprintf(want, sizeof want, "%s: larger than the limit of 1 MB", over);
    EXPECT_MSG(r1 == 0, "a file of exactly 1 MB was refused: %s", err);
    EXPECT_INT(r2, -1);
    EXPECT_STR(err2, want);
}

void suite_scenefile(void)
{
    RUN(parse_full_file_sets_every_field);
    RUN(parse_spacing_comments_and_duplicates);
    RUN(parse_keeps_values_of_keys_not_named);
    RUN(error_unknown_key_points_at_the_key);
    RUN(error_bad_value_points_at_the_value);
    RUN(error_line_without_equals);
    RUN(error_invalid_utf8_with_position);
    RUN(bom_and_crlf_accepted);
    RUN(value_longer_than_64k_refused);
    RUN(window_keys_only_with_win);
    RUN(round_trip_defaults);
    RUN(round_trip_everything_changed);
    RUN(round_trip_custom_mask_and_other_choices);
    RUN(round_trip_weights_file_keeps_its_preset);
    RUN(text_newlines_written_as_spaces);
    RUN(settings_path_from_xdg_or_home);
    RUN(settings_save_then_load_round_trip);
    RUN(corrupt_settings_leave_everything_untouched);
    RUN(missing_settings_file_returns_0);
    RUN(scenefile_save_and_load_round_trip);
    RUN(scenefile_save_into_missing_folder_leaves_nothing);
    RUN(scenefile_load_of_too_large_file_refused);
}
