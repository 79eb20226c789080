/* test_window.c: the real window ($ATTNLAB_BIN --replay SCRIPT), driven by replay scripts and checked through its state files, screenshots, exports and settings. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "harness.h"
#include "../src/draw/fig.h"

#include <stb_image.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the light theme's accent (ui.c): the selected tab, the produced column's frame, the cursor */
static const int ACCENT[3] = {214, 110, 0};

/* ---------------------------------------------------------------- running the window */

#define BOX(b, name) do { if (!harness_box(__FILE__, __LINE__, (b), "window", (name))) return; } while (0)
/* Writes the script to DIR/name and replays it (with a scene file: REPLAY_SCENE). */
#define REPLAY(b, name, script) do { if (!harness_replay(__FILE__, __LINE__, (b), (name), (script), NULL)) return; } while (0)
#define REPLAY_SCENE(b, name, script, scene) do { if (!harness_replay(__FILE__, __LINE__, (b), (name), (script), (scene))) return; } while (0)

/* ---------------------------------------------------------------- state files */

/* A state file ("key = value" lines) read back; NULL if missing. */
typedef struct {
    char *text;
} State;

static int state_at(State *s, const char *path, int line)
{
    s->text = harness_slurp(path, NULL);
    if (!s->text) test_fail(__FILE__, line, "no state file %s; stderr: %s", path, harness_last.err ? harness_last.err : "");
    return s->text != NULL;
}
#define STATE(s, path) do { if (!state_at((s), (path), __LINE__)) return; } while (0)

/* The value of key; NULL if there is none. */
static const char *sv(const State *s, const char *key)
{
    return harness_value(s->text, key);
}

/* Parses a row of numbers ("0.1 0.2 ..."); returns how many (at most max). */
static int numbers(const char *v, double *out, int max)
{
    int n = 0;
    char *end;
    while (v && n < max) {
        double d = strtod(v, &end);
        if (end == v) break;
        out[n++] = d;
        v = end;
    }
    return n;
}

/* ---------------------------------------------------------------- screenshots */

/* The leftmost column x holding a vertical run of at least min_run accent pixels below
 * y0, or -1: a frame's side. */
static int accent_frame_x(const HarnessImg *im, int y0, int min_run)
{
    for (int x = 0; x < im->w; x++) {
        int run = 0;
        for (int y = y0; y < im->h; y++) {
            run = harness_near(harness_px(im, x, y), ACCENT, 12) ? run + 1 : 0;
            if (run >= min_run) return x;
        }
    }
    return -1;
}

/* Colourful blocks side by side between rows y0 and y1: columns with at least min_px
 * strongly coloured pixels, joined across gaps narrower than gap. Counts the heat maps of
 * a row of panels (and a colour bar). */
static int coloured_blocks(const HarnessImg *im, int y0, int y1, int min_px, int gap)
{
    int blocks = 0, last = -1000000;
    for (int x = 0; x < im->w; x++) {
        int n = 0;
        for (int y = y0; y < y1 && y < im->h; y++) {
            const unsigned char *p = harness_px(im, x, y);
            int mx = p[0] > p[1] ? p[0] : p[1], mn = p[0] < p[1] ? p[0] : p[1];
            if (p[2] > mx) mx = p[2];
            if (p[2] < mn) mn = p[2];
            n += mx - mn > 60;
        }
        if (n < min_px) continue;
        if (x - last > gap) blocks++;
        last = x;
    }
    return blocks;
}

/* ---------------------------------------------------------------- cases */

static void typing_a_sentence_recomputes(void)
{
    HarnessBox b;
    BOX(&b, "typing");
    /* Return focuses the text line with the cursor at its end; Backspace empties it (extra
     * ones do nothing at the start) */
    char script[2048] = "key Return\nexpect editing 1\n";
    for (int i = 0; i < 40; i++) strcat(script, "key BackSpace\n");
    strcat(script, "type the cat sat\nkey Return\nexpect editing 0\nexpect tokens 3\nexpect text the cat sat\n");
    char tail[1024];
    snprintf(tail, sizeof tail, "state %s\nquit\n", harness_path(&b, "typed.state"));
    strcat(script, tail);
    REPLAY(&b, "typing.script", script);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, harness_path(&b, "typed.state"));
    EXPECT_STR(sv(&s, "text"), "the cat sat");
    EXPECT_STR(sv(&s, "tokens"), "3");
    EXPECT_STR(sv(&s, "cursor"), "11");
    EXPECT_STR(sv(&s, "editing"), "0");
    /* the trace was recomputed for the new sentence: three weights adding up to 1 */
    double w[8];
    int nw = numbers(sv(&s, "weights_row"), w, 8);
    free(s.text);
    EXPECT_INT(nw, 3);
    EXPECT_NEAR(w[0] + w[1] + w[2], 1.0, 1e-4);

    /* a wrong expectation fails the run with the line and both values, and the script goes
     * on to its end */
    strcpy(script, "key Return\n");
    for (int i = 0; i < 40; i++) strcat(script, "key BackSpace\n");
    snprintf(tail, sizeof tail, "type the cat sat\nkey Return\nexpect tokens 4\nstate %s\nquit\n",
             harness_path(&b, "after-wrong.state"));
    strcat(script, tail);
    REPLAY(&b, "wrong.script", script);
    EXPECT_EXIT(1);
    char where[1024];
    /* Return, 40 Backspaces, type, Return: the expect is line 44 */
    snprintf(where, sizeof where, "%s:%d: expected tokens = 4, found 3", harness_path(&b, "wrong.script"), 1 + 40 + 2 + 1);
    EXPECT_HAS(harness_last.err, where);
    EXPECT(harness_exists(harness_path(&b, "after-wrong.state")));
}

static void stepping_through_a_query(void)
{
    HarnessBox b;
    BOX(&b, "stepping");
    char script[2048];
    snprintf(script, sizeof script,
             "key Right\nkey Right\nkey Right\nkey Right\nexpect step 5\n"
             "click @token:3\nexpect query 3\nshot %s\n"
             "key PageDown\nexpect step 6\nkey Down\nexpect query 4\nkey Up\nexpect query 3\n"
             "shot %s\nstate %s\n"
             "key PageUp\nkey Left\nexpect step 4\nquit\n",
             harness_path(&b, "step5.png"), harness_path(&b, "step6.png"), harness_path(&b, "step6.state"));
    REPLAY(&b, "stepping.script", script);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, harness_path(&b, "step6.state"));
    int ok = sv(&s, "step") && strcmp(sv(&s, "step"), "6") == 0 && sv(&s, "query") && strcmp(sv(&s, "query"), "3") == 0;
    free(s.text);
    EXPECT(ok);
    /* the produced column is framed in the accent colour: at step 6 (softmax) the weights
     * column, right of step 5's mask column. The frame spans the four key rows; the tab
     * and the q frame are far shorter. */
    HarnessImg a, c;
    IMG(&a, harness_path(&b, "step5.png"));
    IMG(&c, harness_path(&b, "step6.png"));
    int x5 = accent_frame_x(&a, 100, 90), x6 = accent_frame_x(&c, 100, 90);
    int n6 = harness_count_colour(&c, 0, ACCENT, 12);
    stbi_image_free(a.px);
    stbi_image_free(c.px);
    EXPECT_MSG(x5 >= 0, "no framed column at step 5");
    EXPECT_MSG(x6 >= 0, "no framed column at step 6");
    EXPECT_MSG(x6 > x5 + 20, "the frame is at x=%d at step 6, x=%d at step 5: it did not move right", x6, x5);
    EXPECT_MSG(n6 > 1000, "only %d accent pixels at step 6", n6);
}

static void toggling_a_mask_cell(void)
{
    HarnessBox b;
    BOX(&b, "mask");
    char script[2048];
    /* "move 1 1" takes the mouse off the matrix so no tooltip covers it */
    snprintf(script, sizeof script,
             "key 7\nexpect tab mask\nshot %s\n"
             "click @cell:mask:1:2\nmove 1 1\nexpect edited_mask 1\nexpect query 1\nshot %s\nstate %s\n"
             "click @cell:mask:1:2\nmove 1 1\nshot %s\nstate %s\nquit\n",
             harness_path(&b, "before.png"), harness_path(&b, "after.png"), harness_path(&b, "after.state"),
             harness_path(&b, "again.png"), harness_path(&b, "again.state"));
    REPLAY(&b, "mask.script", script);
    EXPECT_EXIT(0);
    State s;
    double allowed[8], w[8];
    STATE(&s, harness_path(&b, "after.state"));
    int na = numbers(sv(&s, "allowed_row"), allowed, 8), nw = numbers(sv(&s, "weights_row"), w, 8);
    char wrow[256];
    snprintf(wrow, sizeof wrow, "%s", sv(&s, "weights_row") ? sv(&s, "weights_row") : "");
    const char *mask = sv(&s, "mask");
    int custom = mask && strcmp(mask, "custom (edited)") == 0;
    free(s.text);
    EXPECT_INT(na, 4);
    EXPECT_INT(nw, 4);
    EXPECT(allowed[0] == 1 && allowed[1] == 0 && allowed[2] == 1 && allowed[3] == 1);
    /* exactly zero, as written: not merely small */
    EXPECT_MSG(w[1] == 0.0, "weights_row = %s: key 2 is not exactly 0", wrow);
    EXPECT_NEAR(w[0] + w[2] + w[3], 1.0, 1e-4);
    EXPECT(custom);
    STATE(&s, harness_path(&b, "again.state"));
    na = numbers(sv(&s, "allowed_row"), allowed, 8);
    free(s.text);
    EXPECT(na == 4 && allowed[1] == 1);

    /* the cell's pixels: those of the "may attend" colour that the click changed form one
     * cell, which has lost that colour, and gets it back on the second click */
    FigTheme th = fig_theme(0);
    const int ok_rgb[3] = {th.allowed.r, th.allowed.g, th.allowed.b};
    HarnessImg pre, post, back;
    IMG(&pre, harness_path(&b, "before.png"));
    IMG(&post, harness_path(&b, "after.png"));
    IMG(&back, harness_path(&b, "again.png"));
    int x0 = pre.w, y0 = pre.h, x1 = -1, y1 = -1, changed = 0, total = 0;
    int same = pre.w == post.w && pre.h == post.h && pre.w == back.w && pre.h == back.h;
    for (int y = 0; same && y < pre.h; y++)
        for (int x = 0; x < pre.w; x++) {
            if (!harness_near(harness_px(&pre, x, y), ok_rgb, 3)) continue;
            total++;
            if (harness_near(harness_px(&post, x, y), ok_rgb, 3)) continue;
            changed++;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    int box_px = 0, pre_ok = 0, post_ok = 0, back_ok = 0;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            box_px++;
            pre_ok += harness_near(harness_px(&pre, x, y), ok_rgb, 3);
            post_ok += harness_near(harness_px(&post, x, y), ok_rgb, 3);
            back_ok += harness_near(harness_px(&back, x, y), ok_rgb, 3);
        }
    stbi_image_free(pre.px);
    stbi_image_free(post.px);
    stbi_image_free(back.px);
    EXPECT_MSG(same, "the shots differ in size");
    EXPECT_MSG(changed > 100, "only %d pixels lost the allowed colour", changed);
    EXPECT_MSG(changed * 6 < total, "%d of %d allowed pixels changed: more than one cell", changed, total);
    EXPECT_MSG(x1 - x0 < 200 && y1 - y0 < 200, "the changed area (%d,%d)-(%d,%d) is not one cell", x0, y0, x1, y1);
    EXPECT_MSG(pre_ok * 10 > box_px * 7, "the cell was not of the allowed colour before (%d of %d)", pre_ok, box_px);
    EXPECT_MSG(post_ok * 10 < box_px, "the cell keeps the allowed colour (%d of %d)", post_ok, box_px);
    EXPECT_MSG(back_ok * 10 > box_px * 7, "the second click did not bring the colour back (%d of %d)", back_ok, box_px);
}

static void changing_heads(void)
{
    HarnessBox b;
    BOX(&b, "heads");
    char script[2048];
    snprintf(script, sizeof script,
             "key 9\nexpect tab heads\nexpect heads 2\nshot %s\nkey h\nexpect heads 3\nexpect heads_n 3\n"
             "shot %s\nquit\n",
             harness_path(&b, "two.png"), harness_path(&b, "three.png"));
    REPLAY(&b, "heads.script", script);
    EXPECT_EXIT(0);
    HarnessImg two, three;
    IMG(&two, harness_path(&b, "two.png"));
    IMG(&three, harness_path(&b, "three.png"));
    /* between the tabs and the status line: one heat map per head and the colour bar */
    int n2 = coloured_blocks(&two, 100, two.h - 40, 100, 12);
    int n3 = coloured_blocks(&three, 100, three.h - 40, 100, 12);
    stbi_image_free(two.px);
    stbi_image_free(three.px);
    EXPECT_MSG(n2 == 3, "%d coloured blocks with 2 heads, expected 2 panels and a colour bar", n2);
    EXPECT_MSG(n3 == 4, "%d coloured blocks with 3 heads, expected 3 panels and a colour bar", n3);
}

static void dragging_an_input_cell_changes_it(void)
{
    HarnessBox b;
    BOX(&b, "drag");
    char script[2048];
    snprintf(script, sizeof script,
             "key 3\nexpect tab inputs\nexpect edited_vectors 0\nstate %s\n"
             "drag @cell:inputs:1:1 -50\nexpect edited_vectors 1\nstate %s\n"
             "key r\nexpect edited_vectors 0\nstate %s\nquit\n",
             harness_path(&b, "s0.state"), harness_path(&b, "s1.state"), harness_path(&b, "s2.state"));
    REPLAY(&b, "drag.script", script);
    EXPECT_EXIT(0);
    State s0, s1, s2;
    STATE(&s0, harness_path(&b, "s0.state"));
    STATE(&s1, harness_path(&b, "s1.state"));
    STATE(&s2, harness_path(&b, "s2.state"));
    double a0[64], a1[64], a2[64];
    int n0 = numbers(sv(&s0, "a_row"), a0, 64), n1 = numbers(sv(&s1, "a_row"), a1, 64);
    int n2 = numbers(sv(&s2, "a_row"), a2, 64);
    char w0[1024], w1[1024];
    snprintf(w0, sizeof w0, "%s", sv(&s0, "weights_row") ? sv(&s0, "weights_row") : "");
    snprintf(w1, sizeof w1, "%s", sv(&s1, "weights_row") ? sv(&s1, "weights_row") : "");
    int restored = sv(&s0, "a_row") && sv(&s2, "a_row") && strcmp(sv(&s0, "a_row"), sv(&s2, "a_row")) == 0;
    free(s0.text);
    free(s1.text);
    free(s2.text);
    EXPECT(n0 > 1);
    EXPECT_INT(n1, n0);
    EXPECT_INT(n2, n0);
    /* 50 pixels up, 0.01 a pixel: the first number grows by 0.5, the others stay */
    EXPECT_NEAR(a1[0] - a0[0], 0.5, 0.011);
    for (int i = 1; i < n0; i++) EXPECT_NEAR(a1[i], a0[i], 1e-9);
    EXPECT_MSG(strcmp(w0, w1) != 0, "the weights did not change with the input: %s", w1);
    EXPECT_MSG(restored, "R did not restore a_row");
}

static void export_from_the_window_writes_a_png(void)
{
    HarnessBox b;
    BOX(&b, "export");
    /* a file already there is never overwritten */
    EXPECT(harness_make_dir(b.export_dir));
    char taken[900];
    snprintf(taken, sizeof taken, "%s/attnlab-weights-head1-001.png", b.export_dir);
    WRITE(taken, "not mine");
    char script[2048];
    snprintf(script, sizeof script,
             "key 8\nmove @cell:weights:1:1\nkey ctrl+s\nstate %s\nkey ctrl+s\nstate %s\n"
             "key ctrl+shift+s\nstate %s\nquit\n",
             harness_path(&b, "e1.state"), harness_path(&b, "e2.state"), harness_path(&b, "e3.state"));
    REPLAY(&b, "export.script", script);
    EXPECT_EXIT(0);
    char want1[1000], want2[1000], want3[1000], want4[1000], st1[1024], st2[1024], st3[1024];
    snprintf(want1, sizeof want1, "%s/attnlab-weights-head1-002.png", b.export_dir);
    snprintf(want2, sizeof want2, "%s/attnlab-weights-head1-003.png", b.export_dir);
    snprintf(want3, sizeof want3, "%s/attnlab-weights-head1-004.png", b.export_dir);
    snprintf(want4, sizeof want4, "%s/attnlab-weights-head2-001.png", b.export_dir);
    State s;
    STATE(&s, harness_path(&b, "e1.state"));
    snprintf(st1, sizeof st1, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    STATE(&s, harness_path(&b, "e2.state"));
    snprintf(st2, sizeof st2, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    STATE(&s, harness_path(&b, "e3.state"));
    snprintf(st3, sizeof st3, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(st1, want1);
    EXPECT_HAS(st2, want2);
    EXPECT_HAS(st3, "2 heads");
    EXPECT_HAS(st3, want3);
    /* the first export is readable and as large as the status says */
    int sw = 0, sh = 0;
    const char *dims = strrchr(st1, '(');
    EXPECT_MSG(dims && sscanf(dims, "(%d x %d px)", &sw, &sh) == 2, "no size in \"%s\"", st1);
    HarnessImg im;
    IMG(&im, want1);
    stbi_image_free(im.px);
    EXPECT_INT(im.w, sw);
    EXPECT_INT(im.h, sh);
    /* every file: the one that was there (untouched), two views, one per head */
    char names[16][128];
    int n = harness_list_names(b.export_dir, "", ".png", names, 16);
    EXPECT_INT(n, 5);
    char *old = harness_slurp(taken, NULL);
    int untouched = old && strcmp(old, "not mine") == 0;
    free(old);
    EXPECT_MSG(untouched, "%s was overwritten", taken);
    const char *pngs[] = {want1, want2, want3, want4};
    for (int i = 0; i < 4; i++) {
        IMG(&im, pngs[i]);
        stbi_image_free(im.px);
        EXPECT(im.w > 100 && im.h > 100);
    }
}

static void settings_are_remembered(void)
{
    HarnessBox b;
    BOX(&b, "settings");
    REPLAY(&b, "first.script", "key h\nkey l\nexpect heads 3\nexpect theme dark\nquit\n");
    EXPECT_EXIT(0);
    char path[900];
    snprintf(path, sizeof path, "%s/attnlab/settings.txt", b.config);
    EXPECT_MSG(harness_exists(path), "no %s", path);
    REPLAY(&b, "second.script", "expect heads 3\nexpect theme dark\nquit\n");
    EXPECT_EXIT(0);

    /* a corrupt file: a warning, and the defaults */
    HarnessBox c;
    BOX(&c, "settings-corrupt");
    char dir[900];
    snprintf(dir, sizeof dir, "%.880s/attnlab", c.config);
    EXPECT(harness_make_dir(dir));
    snprintf(path, sizeof path, "%.880s/settings.txt", dir);
    WRITE(path, "# attnlab settings\nheads = 5\nthis line is garbage\n");
    REPLAY(&c, "corrupt.script", "expect heads 2\nexpect theme light\nquit\n");
    EXPECT_EXIT(0);
    EXPECT_HAS(harness_last.err, "settings ignored");
    EXPECT_HAS(harness_last.err, "settings.txt:3");
}

static void scene_file_opens(void)
{
    HarnessBox b;
    BOX(&b, "scene");
    char one[900], two[900], script[2048];
    snprintf(one, sizeof one, "%s", harness_path(&b, "one.scene"));
    snprintf(two, sizeof two, "%s", harness_path(&b, "two.scene"));
    WRITE(one, "# attnlab scene\ntext = a b c d e\nheads = 1\nmask = causal\n");
    WRITE(two, "text = one two three\nheads = 4\nmask = none\n");
    snprintf(script, sizeof script,
             "expect tokens 5\nexpect heads 1\nexpect mask causal\nexpect text a b c d e\nstate %s\n"
             "drop %s\nexpect tokens 3\nexpect heads 4\nexpect mask none\nexpect text one two three\nstate %s\nquit\n",
             harness_path(&b, "one.state"), two, harness_path(&b, "two.state"));
    REPLAY_SCENE(&b, "scene.script", script, one);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, harness_path(&b, "one.state"));
    char allowed[256];
    snprintf(allowed, sizeof allowed, "%s", sv(&s, "allowed_row") ? sv(&s, "allowed_row") : "");
    free(s.text);
    EXPECT_STR(allowed, "1 0 0 0 0"); /* causal: the first query sees only itself */
    STATE(&s, harness_path(&b, "two.state"));
    char status[1024];
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(status, "opened");
    EXPECT_HAS(status, "two.scene");
}

static void help_and_blank(void)
{
    HarnessBox b;
    BOX(&b, "blank");
    char script[2048];
    snprintf(script, sizeof script,
             "key ?\nexpect help 1\nshot %s\nkey Escape\nexpect help 0\n"
             "key b\nexpect blank 1\nshot %s\nkey b\nexpect blank 0\nshot %s\nquit\n",
             harness_path(&b, "help.png"), harness_path(&b, "blank.png"), harness_path(&b, "back.png"));
    REPLAY(&b, "blank.script", script);
    EXPECT_EXIT(0);
    HarnessImg help, blank, back;
    IMG(&help, harness_path(&b, "help.png"));
    IMG(&blank, harness_path(&b, "blank.png"));
    IMG(&back, harness_path(&b, "back.png"));
    const int black[3] = {0, 0, 0};
    int nb = harness_count_colour(&blank, 0, black, 0), all = blank.w * blank.h;
    double lum_help = 0, lum_back = 0;
    for (int i = 0; i < help.w * help.h * 3; i++) lum_help += help.px[i];
    for (int i = 0; i < back.w * back.h * 3; i++) lum_back += back.px[i];
    lum_help /= (double)help.w * help.h * 3;
    lum_back /= (double)back.w * back.h * 3;
    int back_black = harness_count_colour(&back, 0, black, 0);
    stbi_image_free(help.px);
    stbi_image_free(blank.px);
    stbi_image_free(back.px);
    EXPECT_MSG(nb == all, "%d of %d pixels of the blank screen are black", nb, all);
    EXPECT_MSG(back_black * 2 < all, "the screen stays black after B again (%d black pixels)", back_black);
    /* the help darkens everything behind its box */
    EXPECT_MSG(lum_help < lum_back - 20, "help: mean level %.1f, without: %.1f", lum_help, lum_back);
}

/* On the encoder-decoder tab Down decodes one target step further and Up goes back; the
 * figure on screen changes with each step. */
static void cross_tab_decodes_step_by_step(void)
{
    HarnessBox b;
    BOX(&b, "decode");
    char script[2048];
    snprintf(script, sizeof script,
             "click @tab:cross\nshot %s\nkey Down\nkey Down\nstate %s\nshot %s\nkey Up\nkey Up\nkey Up\nstate %s\nquit\n",
             harness_path(&b, "all.png"), harness_path(&b, "two.state"), harness_path(&b, "two.png"),
             harness_path(&b, "back.state"));
    REPLAY(&b, "decode.script", script);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, harness_path(&b, "two.state"));
    char status[1024];
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(status, "decoding step 2 of 4 (\"chat\")");
    STATE(&s, harness_path(&b, "back.state"));
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(status, "every target step at once");
    size_t la, lb;
    char *a = harness_slurp(harness_path(&b, "all.png"), &la), *c = harness_slurp(harness_path(&b, "two.png"), &lb);
    int same = a && c && la == lb && memcmp(a, c, la) == 0;
    int both = a && c;
    free(a);
    free(c);
    EXPECT(both);
    EXPECT(!same);
}

/* A picture pixel by pixel (2304 tokens) is computed by the worker: each command of the
 * replay waits for the worker's event, and the trace it brings in is the newest scene's. */
static void large_scene_computes_in_the_background(void)
{
    HarnessBox b;
    BOX(&b, "background");
    char scene_path[900];
    snprintf(scene_path, sizeof scene_path, "%s", harness_path(&b, "pixels.scene"));
    if (!harness_write(__FILE__, __LINE__, scene_path,
                       "image = example:shapes\npatch = 1\ngrid = 48\nheads = 1\nd-head = 16\n"))
        return;
    char script[2048];
    snprintf(script, sizeof script,
             "expect tokens 2304\nexpect computing 0\nexpect trace_heads 1\nkey 8\n"
             "key H\nexpect computing 0\nexpect trace_heads 2\nexpect heads_n 2\nstate %s\n"
             "shot %s\nquit\n",
             harness_path(&b, "s.state"), harness_path(&b, "w.png"));
    REPLAY_SCENE(&b, "bg.script", script, scene_path);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, harness_path(&b, "s.state"));
    char status[1024];
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    free(s.text);
    EXPECT_HAS(status, "2304 tokens · computed in");
}

static void large_input_is_drawn_not_cut(void)
{
    HarnessBox b;
    BOX(&b, "large");
    /* 600 one-word tokens */
    char *scene = malloc(16 * 600 + 64);
    EXPECT(scene != NULL);
    strcpy(scene, "text =");
    size_t len = strlen(scene);
    for (int i = 1; i <= 600; i++) len += (size_t)sprintf(scene + len, " w%d", i);
    strcat(scene, "\n");
    char scene_path[900];
    snprintf(scene_path, sizeof scene_path, "%s", harness_path(&b, "large.scene"));
    int wrote = harness_write(__FILE__, __LINE__, scene_path, scene);
    free(scene);
    if (!wrote) return;
    char script[2048];
    /* the corners of the 600 x 600 weights are on screen */
    snprintf(script, sizeof script,
             "key 8\nexpect tokens 600\nshot %s\nmove @cell:weights:1:1\nmove @cell:weights:600:600\n"
             "move @cell:weights:1:600\nstate %s\n"
             "wheel @cell:weights:300:300 3\nstate %s\n"
             "key Return\nexpect editing 1\nshot %s\ntype Z\nexpect tokens 600\nshot %s\nquit\n",
             harness_path(&b, "large.png"), harness_path(&b, "s0.state"), harness_path(&b, "s1.state"), harness_path(&b, "edit1.png"),
             harness_path(&b, "edit2.png"));
    REPLAY_SCENE(&b, "large.script", script, scene_path);
    EXPECT_EXIT(0);
    State s;
    STATE(&s, harness_path(&b, "s0.state"));
    char status[1024], rows0[64];
    snprintf(status, sizeof status, "%s", sv(&s, "status") ? sv(&s, "status") : "");
    snprintf(rows0, sizeof rows0, "%s", sv(&s, "view_rows") ? sv(&s, "view_rows") : "");
    free(s.text);
    EXPECT_MSG(strncmp(status, "opened ", 7) == 0, "status: %s", status);
    EXPECT_STR(rows0, "0 0");
    STATE(&s, harness_path(&b, "s1.state"));
    double rows[4], cols[4];
    int nr = numbers(sv(&s, "view_rows"), rows, 4), nc = numbers(sv(&s, "view_cols"), cols, 4);
    free(s.text);
    EXPECT_INT(nr, 2);
    EXPECT_INT(nc, 2);
    /* three notches in: about 600 / 1.25^3 rows, still holding row 300 */
    EXPECT_MSG(rows[1] >= 2 && rows[1] <= 599, "view_rows = %g %g", rows[0], rows[1]);
    EXPECT_MSG(rows[0] <= 299 && rows[0] + rows[1] > 299, "view_rows = %g %g misses row 300", rows[0], rows[1]);
    EXPECT_MSG(cols[1] >= 2 && cols[1] <= 599, "view_cols = %g %g", cols[0], cols[1]);

    HarnessImg im;
    IMG(&im, harness_path(&b, "large.png"));
    int blocks = coloured_blocks(&im, 100, im.h - 40, 200, 12);
    stbi_image_free(im.px);
    EXPECT_MSG(blocks >= 1, "no matrix drawn");

    /* editing the long sentence: the text line scrolls to its end, where the cursor is, so
     * what is typed there shows (not some middle part of the text that never changes) */
    HarnessImg e1, e2;
    IMG(&e1, harness_path(&b, "edit1.png"));
    IMG(&e2, harness_path(&b, "edit2.png"));
    int cursor = -1, differ = 0;
    /* inside the text box (x 140 .. width - 200, y 10 .. 48), within its frame */
    for (int y = 14; y < 45; y++)
        for (int x = 144; x < e1.w - 204 && e1.w == e2.w && e1.h == e2.h; x++) {
            if (harness_near(harness_px(&e1, x, y), ACCENT, 12)) cursor = x;
            differ += memcmp(harness_px(&e1, x, y), harness_px(&e2, x, y), 3) != 0;
        }
    stbi_image_free(e1.px);
    stbi_image_free(e2.px);
    EXPECT_MSG(cursor > 0, "no cursor in the text line");
    EXPECT_MSG(differ > 20, "typing at the end of the long sentence left the text line as it was (%d pixels changed)", differ);
}

static void bad_script_reports_file_line(void)
{
    HarnessBox b;
    BOX(&b, "bad");
    REPLAY(&b, "bad.script", "key 2\nexpect tab overview\nfrobnicate now\nquit\n");
    EXPECT_EXIT(2);
    char where[1024];
    snprintf(where, sizeof where, "%s:3:", harness_path(&b, "bad.script"));
    EXPECT_HAS(harness_last.err, where);
    EXPECT_HAS(harness_last.err, "frobnicate");
}

static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[1200];
    while (path && *path) {
        size_t l = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)l, path, prog);
        if (l && access(buf, X_OK) == 0) return 1;
        path += l;
        if (*path == ':') path++;
    }
    return 0;
}

static void window_under_xvfb_captured_with_import(void)
{
    if (!on_path("xvfb-run") || !on_path("import")) {
        printf("     (skipped: xvfb-run or import is missing; `make deps-test` installs them)\n");
        return;
    }
    HarnessBox b;
    BOX(&b, "xvfb");
    char script[2048], out[900];
    snprintf(out, sizeof out, "%s", harness_path(&b, "screen.png"));
    snprintf(script, sizeof script, "wait 2\nexec import -window attnlab '%s'\nquit\n", out);
    const char *path = harness_path(&b, "xvfb.script");
    WRITE(path, script);
    const char *prefix[] = {"xvfb-run", "-a", "-s", "-screen 0 1280x800x24", NULL};
    const char *args[] = {"--replay", path, NULL};
    const HarnessOptions under_xvfb = {prefix, 1, NULL};
    if (!harness_run(__FILE__, __LINE__, &b, &under_xvfb, args)) return;
    EXPECT_EXIT(0);
    EXPECT_MSG(harness_exists(out), "import wrote no %s; stderr: %s", out, harness_last.err);
    HarnessImg im;
    IMG(&im, out);
    int n = harness_count_colour(&im, 0, ACCENT, 12);
    stbi_image_free(im.px);
    EXPECT_MSG(im.w >= 1200 && im.w <= 1300 && im.h >= 740 && im.h <= 820, "the capture is %d x %d", im.w, im.h);
    EXPECT_MSG(n > 1000, "only %d accent pixels: no selected tab", n);
}

void suite_window(void)
{
    RUN(typing_a_sentence_recomputes);
    RUN(stepping_through_a_query);
    RUN(toggling_a_mask_cell);
    RUN(changing_heads);
    RUN(dragging_an_input_cell_changes_it);
    RUN(export_from_the_window_writes_a_png);
    RUN(settings_are_remembered);
    RUN(scene_file_opens);
    RUN(help_and_blank);
    RUN(large_scene_computes_in_the_background);
    RUN(cross_tab_decodes_step_by_step);
    RUN(large_input_is_drawn_not_cut);
    RUN(bad_script_reports_file_line);
    RUN(window_under_xvfb_captured_with_import);
    harness_free();
}
