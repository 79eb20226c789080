/* test_player.c: lessons played: checking shipped and broken lessons, steps turned into scenes, questions, lesson actions, lesson exports, and lessons in the real window through replays. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "harness.h"
#include "../src/app/app.h"
#include "../src/app/export.h"
#include "../src/app/player.h"
#include "../src/lesson/lesson.h"

#include <fcntl.h>
#include <stb_image.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ui.c's colours: the light theme's error red, a right choice's button, the "Right." verdict */
static const int ERROR_RED[3] = {190, 30, 30};
static const int RIGHT_BUTTON[3] = {60, 160, 90};
static const int RIGHT_TEXT[3] = {40, 150, 80};

/* ---------------------------------------------------------------- files */

#define BOX(b, name) do { if (!harness_box(__FILE__, __LINE__, (b), "player", (name))) return; } while (0)

/* The shipped lessons: lessons/[0-9]*.md (tests run from the repository's root). */
static int shipped(char names[][128], int max)
{
    return harness_list_names("lessons", "digit", ".md", names, max);
}

/* The first shipped lesson with a choices question: its path, the step (from 1), the right
 * choice and how many steps it has. Returns 0 when there is none. */
static int choice_lesson(char *path, size_t len, int *step, int *answer, int *n_steps)
{
    char names[PLAYER_MAX_LESSONS][128];
    int n = shipped(names, PLAYER_MAX_LESSONS);
    for (int i = 0; i < n; i++) {
        Lesson l;
        char err[700];
        snprintf(path, len, "lessons/%.127s", names[i]);
        if (player_load(&l, path, err, sizeof err)) continue;
        int found = 0;
        for (int s = 0; s < l.n_steps && !found; s++)
            if (l.steps[s].has_question && l.steps[s].n_choices > 0) {
                *step = s + 1;
                *answer = l.steps[s].answer;
                *n_steps = l.n_steps;
                found = 1;
            }
        lesson_free(&l);
        if (found) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- running attnlab */

/* Runs attnlab with args in the case's sandbox; the run is harness_last. */
#define RUN_ATTNLAB(b, ...) do { const char *args_[] = {__VA_ARGS__, NULL}; if (!harness_run(__FILE__, __LINE__, (b), NULL, args_)) return; } while (0)
/* Writes the script to DIR/name and replays it (with a lesson or scene file when file is
 * not NULL). */
#define REPLAY(b, name, script, file) do { if (!harness_replay(__FILE__, __LINE__, (b), (name), (script), (file))) return; } while (0)

/* ---------------------------------------------------------------- state files */

/* The value of key in the state file at path ("" when missing), in a rotating buffer. */
static const char *state_value(const char *path, const char *key)
{
    static char buf[4][4096];
    static int next;
    char *p = buf[next++ % 4];
    char *text = harness_slurp(path, NULL);
    const char *v = text ? harness_value(text, key) : NULL;
    snprintf(p, sizeof buf[0], "%s", v ? v : "");
    free(text);
    return p;
}

/* ---------------------------------------------------------------- pictures */

/* Pixels clearly unlike the first one. */
static int unlike_first(const HarnessImg *im)
{
    int n = 0;
    const unsigned char *p0 = im->px;
    for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
        const unsigned char *p = im->px + 3 * i;
        n += abs(p[0] - p0[0]) + abs(p[1] - p0[1]) + abs(p[2] - p0[2]) > 30;
    }
    return n;
}

/* ---------------------------------------------------------------- in-process helpers */

static RenFonts *the_fonts;

static RenFonts *fonts(void)
{
    char err[256];
    if (!the_fonts) the_fonts = ren_fonts_open(err, sizeof err);
    return the_fonts;
}

static Action act(ActionKind kind, int i)
{
    Action a;
    memset(&a, 0, sizeof a);
    a.kind = kind;
    a.i = i;
    return a;
}

static void apply(App *app, ActionKind kind, int i)
{
    Action a = act(kind, i);
    app_apply(app, &a);
}

static void apply_text(App *app, ActionKind kind, const char *text)
{
    Action a = act(kind, 0);
    snprintf(a.text, sizeof a.text, "%s", text);
    app_apply(app, &a);
}

/* A folder of the test run (made if missing), absolute. */
static const char *tmp_sub(const char *name)
{
    static char buf[4][800];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", harness_abs_tmpdir(), name);
    harness_make_dir(p);
    return p;
}

/* Writes text to DIR/name and returns the path (rotating buffers); NULL if it failed. */
static const char *put(const char *dir, const char *name, const char *text)
{
    static char buf[8][900];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) return NULL;
    int bad = fputs(text, f) < 0;
    if (fclose(f) || bad) return NULL;
    return p;
}
#define PUT(var, dir, name, text) do { var = put((dir), (name), (text)); EXPECT_MSG(var != NULL, "cannot write %s/%s", (dir), (name)); } while (0)

/* Three steps: the first sets 3 heads and the lesson keys, the second a causal mask only,
 * the third starts again from the default scene with two tokens. */
static const char CARRY_LESSON[] =
    "# Carry\n"                     /* 1 */
    "\n"
    "## Heads\n"                    /* 3 */
    "\n"
    "Three heads.\n"
    "\n"
    "```scene\n"                    /* 7 */
    "text = w x y z\n"
    "heads = 3\n"
    "tab = weights\n"
    "query = 3\n"
    "step = 6\n"
    "highlight = 1,2 3,4\n"
    "```\n"
    "\n"
    "## Mask\n"                     /* 16 */
    "\n"
    "Causal.\n"
    "\n"
    "```scene\n"
    "mask = causal\n"
    "```\n"
    "\n"
    "## Reset\n"                    /* 24 */
    "\n"
    "Again.\n"
    "\n"
    "```scene\n"
    "reset = yes\n"
    "text = a b\n"
    "```\n";

/* A choices question whose reveal scores by plain dot products, then a numeric question. */
static const char ASK_LESSON[] =
    "# Ask\n"
    "\n"
    "## Setup\n"
    "\n"
    "Look.\n"
    "\n"
    "```scene\n"
    "text = a b c\n"
    "```\n"
    "\n"
    "## Choose\n"
    "\n"
    "Which?\n"
    "\n"
    "```question\n"
    "ask = Which one?\n"
    "choices = first | second | third\n"
    "answer = 2\n"
    "reveal = The *second*.\n"
    "```\n"
    "\n"
    "```reveal\n"
    "score = dot\n"
    "```\n"
    "\n"
    "## Number\n"
    "\n"
    "How much?\n"
    "\n"
    "```question\n"
    "ask = What is one half?\n"
    "answer = 0.5\n"
    "```\n";

/* ---------------------------------------------------------------- shipped lessons */

static void every_shipped_lesson_passes_check(void)
{
    char names[PLAYER_MAX_LESSONS][128];
    int n = shipped(names, PLAYER_MAX_LESSONS);
    EXPECT_MSG(n >= 1, "no lessons/[0-9]*.md (tests run from the repository's root)");
    const char *args[PLAYER_MAX_LESSONS + 2];
    static char paths[PLAYER_MAX_LESSONS][160];
    args[0] = "check";
    for (int i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "lessons/%.127s", names[i]);
        args[i + 1] = paths[i];
        Lesson l;
        char err[700] = "";
        int rc = player_load(&l, paths[i], err, sizeof err);
        EXPECT_MSG(rc == 0, "%s", err);
        int steps = l.n_steps;
        lesson_free(&l);
        EXPECT_MSG(steps >= 2, "%s has %d steps", paths[i], steps);
    }
    args[n + 1] = NULL;
    HarnessBox b;
    BOX(&b, "check-shipped");
    if (!harness_run(__FILE__, __LINE__, &b, NULL, args)) return;
    EXPECT_EXIT(0);
    for (int i = 0; i < n; i++) {
        char want[300];
        snprintf(want, sizeof want, "%.159s: ok,", paths[i]);
        EXPECT_HAS(harness_last.out, want);
    }
}

/* Checks every step-NN.png of a folder: n of them, 800 x 450, not one flat colour. */
static int steps_render_at(int line, const char *dir, int n)
{
    char names[128][128];
    int got = harness_list_names(dir, "step-", ".png", names, 128);
    if (got != n) {
        test_fail(__FILE__, line, "%s holds %d step pictures, expected %d", dir, got, n);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        char want[32], path[1100];
        snprintf(want, sizeof want, "step-%02d.png", i + 1);
        if (strcmp(names[i], want) != 0) {
            test_fail(__FILE__, line, "%s: found %s where %s was expected", dir, names[i], want);
            return 0;
        }
        snprintf(path, sizeof path, "%s/%s", dir, want);
        HarnessImg im;
        if (!harness_img(__FILE__, line, &im, path)) return 0;
        int w = im.w, h = im.h, unlike = unlike_first(&im);
        stbi_image_free(im.px);
        if (w != 800 || h != 450 || unlike < w * h / 100) {
            test_fail(__FILE__, line, "%s is %d x %d with %d pixels unlike the first", path, w, h, unlike);
            return 0;
        }
    }
    return 1;
}

static void every_step_of_every_lesson_renders(void)
{
    char names[PLAYER_MAX_LESSONS][128];
    int n = shipped(names, PLAYER_MAX_LESSONS);
    EXPECT(n >= 1);
    EXPECT(fonts() != NULL);
    const char *root = tmp_sub("player-render");
    for (int i = 0; i < n; i++) {
        char path[300], out[900], err[1024] = "";
        snprintf(path, sizeof path, "lessons/%.127s", names[i]);
        snprintf(out, sizeof out, "%s/%.*s", root, (int)strlen(names[i]) - 3, names[i]);
        Lesson l;
        EXPECT_MSG(player_load(&l, path, err, sizeof err) == 0, "%s", err);
        int steps = l.n_steps;
        lesson_free(&l);
        int written = -1;
        int rc = export_lesson(path, 0, NULL, out, 0.5f, 0, 0, fonts(), &written, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s: %s", path, err);
        EXPECT_INT(written, steps);
        if (!steps_render_at(__LINE__, out, steps)) return;
    }

    /* revealed: the question's step shows the right choice in green, the plain one does not */
    char lesson[300], plain[1000], out[900], err[1024] = "";
    int qstep, answer, steps;
    EXPECT_MSG(choice_lesson(lesson, sizeof lesson, &qstep, &answer, &steps), "no shipped lesson asks a choices question");
    const char *base = strrchr(lesson, '/') + 1;
    snprintf(plain, sizeof plain, "%s/%.*s/step-%02d.png", root, (int)strlen(base) - 3, base, qstep);
    snprintf(out, sizeof out, "%s/revealed", root);
    int written = -1;
    EXPECT_MSG(export_lesson(lesson, 0, NULL, out, 0.5f, 0, 1, fonts(), &written, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(written, steps);
    if (!steps_render_at(__LINE__, out, steps)) return;
    char shown[1100];
    snprintf(shown, sizeof shown, "%s/step-%02d.png", out, qstep);
    HarnessImg a, c;
    IMG(&a, plain);
    IMG(&c, shown);
    int before = harness_count_colour(&a, a.w * 7 / 10, RIGHT_BUTTON, 3);
    int after = harness_count_colour(&c, c.w * 7 / 10, RIGHT_BUTTON, 3);
    stbi_image_free(a.px);
    stbi_image_free(c.px);
    EXPECT_MSG(before == 0, "%d green pixels before the answer in %s", before, plain);
    EXPECT_MSG(after > 100, "only %d green pixels of the right choice in %s", after, shown);
}

/* ---------------------------------------------------------------- broken lessons */

/* Writes a lesson into dir and loads it: the message must start "PATH:LINE:COL: " and hold
 * want. */
static int broken_at(int line, const char *dir, const char *name, const char *text, int l, int c, const char *want)
{
    const char *path = put(dir, name, text);
    if (!path) {
        test_fail(__FILE__, line, "cannot write %s/%s", dir, name);
        return 0;
    }
    Lesson les;
    char err[700] = "", where[1000];
    memset(&les, 0, sizeof les);
    if (player_load(&les, path, err, sizeof err) == 0) {
        lesson_free(&les);
        test_fail(__FILE__, line, "%s loaded; expected an error at %d:%d", name, l, c);
        return 0;
    }
    snprintf(where, sizeof where, "%s:%d:%d: ", path, l, c);
    if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, want)) {
        test_fail(__FILE__, line, "the message \"%s\" should start \"%s\" and hold \"%s\"", err, where, want);
        return 0;
    }
    return 1;
}
#define BROKEN(dir, name, text, l, c, want) do { if (!broken_at(__LINE__, (dir), (name), (text), (l), (c), (want))) return; } while (0)

/* A one-step lesson whose scene block holds one line, line 8. */
#define ONE_KEY(kv) "# Bad\n\n## Step\n\nText.\n\n```scene\n" kv "\n```\n"

static void check_reports_line_and_column(void)
{
    const char *top = tmp_sub("player-broken");
    char dir[900];
    snprintf(dir, sizeof dir, "%s/lessons", top);
    EXPECT(harness_make_dir(dir));
    const char *secret;
    PUT(secret, top, "secret.txt", "1 2 3 4\n");

    /* apply_kv's errors point at the value */
    BROKEN(dir, "key.md", ONE_KEY("frobnicate = 1"), 8, 14, "unknown key 'frobnicate'");
    BROKEN(dir, "heads.md", ONE_KEY("heads = 99"), 8, 9, "99 is outside the limit 1..64");
    BROKEN(dir, "escape.md", ONE_KEY("weights = ../secret.txt"), 8, 11, "outside the lesson's folder");
    char abs_secret[1000];
    snprintf(abs_secret, sizeof abs_secret, "vectors = %s", secret);
    char text[1400];
    snprintf(text, sizeof text, ONE_KEY("%s"), abs_secret);
    BROKEN(dir, "absolute.md", text, 8, 11, "outside the lesson's folder");
    BROKEN(dir, "missing.md", ONE_KEY("vectors = missing.txt"), 8, 11, "'missing.txt' does not exist");
    BROKEN(dir, "tab.md", ONE_KEY("tab = nonsense"), 8, 7, "tab: unknown tab 'nonsense' (allowed: ");
    {
        char err[700] = "", tp[1000];
        Lesson l;
        snprintf(tp, sizeof tp, "%s/tab.md", dir);
        EXPECT(player_load(&l, tp, err, sizeof err) == -1);
        for (int t = 0; t < TAB_COUNT; t++) EXPECT_HAS(err, app_tab_name((AppTab)t));
    }
    BROKEN(dir, "step.md", ONE_KEY("step = 11"), 8, 8, "step: '11' is not a step 1..10");
    BROKEN(dir, "reset.md", ONE_KEY("reset = maybe"), 8, 9, "allowed: yes|no");

    /* what is beyond the scene names the step's heading (line 3) */
    BROKEN(dir, "query.md", "# Bad\n\n## Step\n\nText.\n\n```scene\ntext = a b c d\nquery = 9\n```\n", 3, 1,
           "step \"Step\": query 9 is beyond the 4 tokens");
    BROKEN(dir, "highlight.md", "# Bad\n\n## Step\n\nText.\n\n```scene\ntext = a b c d\nhighlight = 1,1 2,5\n```\n", 3, 1,
           "highlight 2,5 is beyond the 4 tokens");
    /* the scene carries on: a later step's query is checked against the earlier text */
    BROKEN(dir, "later.md", "# Bad\n\n## One\n\n```scene\ntext = a b\n```\n\n## Two\n\nMore.\n\n```scene\nquery = 3\n```\n", 9, 1,
           "step \"Two\": query 3 is beyond the 2 tokens");
    /* a reveal block is checked too */
    BROKEN(dir, "reveal.md",
           "# Bad\n\n## Step\n\n```question\nask = Which?\nchoices = a | b\nanswer = 1\n```\n\n```reveal\nheads = 0\n```\n",
           12, 9, "heads");

    /* the parser's own errors */
    BROKEN(dir, "answer.md", "# Bad\n\n## Step\n\nText.\n\n```question\nask = Which?\nchoices = a | b | c\nanswer = 4\n```\n",
           10, 10, "answer: '4' is not a choice number from 1 to 3");
    BROKEN(dir, "fence.md", "# Bad\n\n## Step\n\nText.\n\n```scene\ntext = a b\n", 7, 1, "unterminated ```scene block");
    BROKEN(dir, "utf8.md", "# Bad\n\n## Step\n\nCaf\xC3( au lait.\n", 5, 4, "invalid UTF-8");

    /* over 1 MB */
    size_t big = LESSON_MAX_BYTES + 16;
    char *huge = malloc(big + 1);
    EXPECT(huge != NULL);
    memset(huge, 'x', big);
    for (size_t i = 80; i < big; i += 81) huge[i] = '\n';
    memcpy(huge, "# Big\n\n## Step\n\n", 16);
    huge[big] = 0;
    const char *hp = put(dir, "huge.md", huge);
    free(huge);
    EXPECT(hp != NULL);
    {
        char err[700] = "", want[1000];
        Lesson l;
        EXPECT(player_load(&l, hp, err, sizeof err) == -1);
        snprintf(want, sizeof want, "%s:1:1: ", hp);
        EXPECT_MSG(strncmp(err, want, strlen(want)) == 0, "\"%s\" should start \"%s\"", err, want);
        EXPECT_HAS(err, "limit of 1 MB");
    }

    /* the same from `attnlab check`: 1 and the message on stderr; a good file passes */
    const char *good;
    PUT(good, dir, "good.md", CARRY_LESSON);
    HarnessBox b;
    BOX(&b, "check-broken");
    char bad[1000], where[1100];
    snprintf(bad, sizeof bad, "%s/key.md", dir);
    RUN_ATTNLAB(&b, "check", bad);
    EXPECT_EXIT(1);
    snprintf(where, sizeof where, "%s:8:14: unknown key 'frobnicate'", bad);
    EXPECT_HAS(harness_last.err, where);
    RUN_ATTNLAB(&b, "check", good);
    EXPECT_EXIT(0);
    EXPECT_HAS(harness_last.out, "ok, 3 steps");
    RUN_ATTNLAB(&b, "check", good, bad);
    EXPECT_EXIT(1);
    EXPECT_HAS(harness_last.out, "ok, 3 steps");
    EXPECT_HAS(harness_last.err, where);
}

/* ---------------------------------------------------------------- steps in the App */

static void carry_checks(App *app, const char *path, const char *dir)
{
    Player *p = &app->player;
    int rc = player_open(p, app, path, 0);
    EXPECT_MSG(rc == 0, "%s", p->error);
    app->lesson_on = 1;
    EXPECT_INT(p->step, 0);
    EXPECT_INT(app->win.lesson_step, 1);
    EXPECT_STR(app->base_dir, dir);
    EXPECT_STR(app->spec.text, "w x y z");
    EXPECT_INT(app->trace.n, 4);
    EXPECT_INT(app->spec.scene.heads, 3);
    EXPECT_INT(app->spec.scene.mask, ATTN_MASK_NONE);
    /* the lesson keys land in the App */
    EXPECT_INT(app->tab, TAB_WEIGHTS);
    EXPECT_INT(app->query, 2);
    EXPECT_INT(app->step, STEP_SOFTMAX);
    EXPECT_INT(p->n_highlight, 2);
    EXPECT_INT(p->highlight[0][0], 0);
    EXPECT_INT(p->highlight[0][1], 1);
    EXPECT_INT(p->highlight[1][0], 2);
    EXPECT_INT(p->highlight[1][1], 3);

    /* the second step sets only the mask: the heads, text, tab and query carry on; the
     * highlights belonged to the first step */
    player_show(p, app, 1);
    EXPECT_INT(p->step, 1);
    EXPECT_INT(app->win.lesson_step, 2);
    EXPECT_INT(app->spec.scene.heads, 3);
    EXPECT_INT(app->spec.scene.mask, ATTN_MASK_CAUSAL);
    EXPECT_INT(app->trace.n, 4);
    EXPECT_INT(app->trace.heads, 3);
    EXPECT_INT(app->tab, TAB_WEIGHTS);
    EXPECT_INT(app->query, 2);
    EXPECT_INT(p->n_highlight, 0);

    /* reset = yes: the default scene with two tokens */
    player_show(p, app, 2);
    EXPECT_INT(app->spec.scene.heads, 2);
    EXPECT_INT(app->spec.scene.mask, ATTN_MASK_NONE);
    EXPECT_STR(app->spec.text, "a b");
    EXPECT_INT(app->spec.scene.n, 2);
    EXPECT_INT(app->trace.n, 2);
    EXPECT(app->query < 2);

    /* going back builds the first step again from the default, not from what was shown */
    player_show(p, app, 0);
    EXPECT_INT(app->spec.scene.heads, 3);
    EXPECT_INT(app->spec.scene.mask, ATTN_MASK_NONE);
    EXPECT_INT(app->trace.n, 4);
    EXPECT_INT(p->n_highlight, 2);

    /* steps are clamped to the lesson */
    player_show(p, app, 99);
    EXPECT_INT(p->step, 2);
    player_show(p, app, -4);
    EXPECT_INT(p->step, 0);
}

static void steps_carry_state_forward_and_reset(void)
{
    const char *dir = tmp_sub("player-carry");
    const char *path;
    PUT(path, dir, "carry.md", CARRY_LESSON);
    App app;
    app_init(&app);
    carry_checks(&app, path, dir);
    app_free(&app);
}

static void answer_checks(App *app, const char *path)
{
    Player *p = &app->player;
    int rc = player_open(p, app, path, 1);
    EXPECT_MSG(rc == 0, "%s", p->error);
    app->lesson_on = 1;
    EXPECT_INT(p->step, 1);
    EXPECT_INT(p->answered, 0);
    EXPECT_INT(app->spec.scene.score, ATTN_SCORE_SCALED);

    /* a choice that is not there does nothing; a wrong one answers, not correctly */
    apply(app, ACT_ANSWER, 4);
    EXPECT_INT(p->answered, 0);
    apply(app, ACT_ANSWER, 1);
    EXPECT_INT(p->answered, 1);
    EXPECT_INT(p->chosen, 1);
    EXPECT_INT(p->correct, 0);
    EXPECT_HAS(app->status, "not quite");
    /* answered once: another answer changes nothing */
    apply(app, ACT_ANSWER, 2);
    EXPECT_INT(p->chosen, 1);
    EXPECT_INT(p->correct, 0);

    /* the step opened again asks again, without the reveal */
    apply(app, ACT_LESSON_SET, 0);
    apply(app, ACT_LESSON_SET, 1);
    EXPECT_INT(p->step, 1);
    EXPECT_INT(p->answered, 0);
    EXPECT_INT(app->spec.scene.score, ATTN_SCORE_SCALED);
    apply(app, ACT_ANSWER, 2);
    EXPECT_INT(p->answered, 1);
    EXPECT_INT(p->correct, 1);
    EXPECT_STR(app->status, "right");
    /* the reveal block is applied once answered, and the trace computed with it */
    EXPECT_INT(app->spec.scene.score, ATTN_SCORE_DOT);
    EXPECT_INT(app->trace.score, ATTN_SCORE_DOT);
    /* showing the same step again keeps the answer and the reveal */
    apply(app, ACT_LESSON_BACK, 0);
    EXPECT_INT(p->answered, 1);
    EXPECT_INT(app->spec.scene.score, ATTN_SCORE_DOT);

    /* the reveal belongs to its step: the next one scores as before */
    apply(app, ACT_LESSON_NEXT, 0);
    EXPECT_INT(p->step, 2);
    EXPECT_INT(p->answered, 0);
    EXPECT_INT(app->spec.scene.score, ATTN_SCORE_SCALED);

    /* a number: typed, then submitted with choice 0 */
    apply(app, ACT_ANSWER, 0); /* nothing typed yet */
    EXPECT_INT(p->answered, 0);
    apply_text(app, ACT_ANSWER_TYPE, "0.5");
    EXPECT_STR(p->typed, "0.5");
    EXPECT_INT(p->typing, 1);
    apply(app, ACT_ANSWER, 0);
    EXPECT_INT(p->answered, 1);
    EXPECT_INT(p->correct, 1);

    /* within the default tolerance of 0.01 */
    apply(app, ACT_LESSON_PREV, 0);
    apply(app, ACT_LESSON_NEXT, 0);
    EXPECT_INT(p->answered, 0);
    EXPECT_STR(p->typed, "");
    apply_text(app, ACT_ANSWER_TYPE, "0.508");
    apply(app, ACT_ANSWER, 0);
    EXPECT_INT(p->correct, 1);

    apply(app, ACT_LESSON_PREV, 0);
    apply(app, ACT_LESSON_NEXT, 0);
    apply_text(app, ACT_ANSWER_TYPE, "0.7");
    apply(app, ACT_ANSWER_BACKSPACE, 0);
    EXPECT_STR(p->typed, "0.");
    apply_text(app, ACT_ANSWER_TYPE, "7");
    apply(app, ACT_ANSWER, 0);
    EXPECT_INT(p->answered, 1);
    EXPECT_INT(p->correct, 0);
    EXPECT_HAS(app->status, "not quite");
}

static void answering_a_question(void)
{
    const char *dir = tmp_sub("player-ask");
    const char *path;
    PUT(path, dir, "ask.md", ASK_LESSON);
    App app;
    app_init(&app);
    answer_checks(&app, path);
    app_free(&app);
}

static void navigation_checks(App *app, const char *path)
{
    Player *p = &app->player;
    int rc = player_open(p, app, path, 0);
    EXPECT_MSG(rc == 0, "%s", p->error);

    /* lesson actions do nothing while no lesson is on */
    apply(app, ACT_LESSON_NEXT, 0);
    EXPECT_INT(p->step, 0);
    app->lesson_on = 1;

    apply(app, ACT_LESSON_PREV, 0);
    EXPECT_INT(p->step, 0);
    apply(app, ACT_LESSON_NEXT, 0);
    EXPECT_INT(p->step, 1);
    apply(app, ACT_LESSON_NEXT, 0);
    EXPECT_INT(p->step, 2);
    EXPECT_MSG(!strstr(app->status, "the end"), "status \"%s\" before the end", app->status);
    apply(app, ACT_LESSON_NEXT, 0);
    EXPECT_INT(p->step, 2);
    EXPECT_HAS(app->status, "the end of \"Carry\"");
    apply(app, ACT_LESSON_SET, 1);
    EXPECT_INT(p->step, 1);
    EXPECT_INT(app->win.lesson_step, 2);

    /* a poked input cell, then back to the lesson: the step's numbers again */
    int nd = app->trace.n * app->trace.d_model;
    EXPECT(nd > 1);
    float *a0 = malloc(sizeof(float) * (size_t)nd);
    EXPECT(a0 != NULL);
    memcpy(a0, app->trace.a, sizeof(float) * (size_t)nd);
    Action poke = act(ACT_POKE, 0);
    poke.hit.q = FQ_A;
    poke.hit.row = 0;
    poke.hit.col = 1;
    poke.f = 0.5f;
    app_apply(app, &poke);
    int edited = app->vec_edit != NULL;
    float poked = app->trace.a[1];
    apply(app, ACT_LESSON_BACK, 0);
    double diff = test_max_diff(app->trace.a, a0, nd);
    float was = a0[1];
    free(a0);
    EXPECT_MSG(edited, "ACT_POKE made no edit");
    EXPECT_NEAR(poked, was + 0.5f, 1e-6);
    EXPECT(app->vec_edit == NULL);
    EXPECT_MSG(diff == 0, "the inputs differ by %g after ACT_LESSON_BACK", diff);
    EXPECT_INT(p->step, 1);
    EXPECT_HAS(app->status, "back to the lesson");
}

static void lesson_navigation_actions(void)
{
    const char *dir = tmp_sub("player-nav");
    const char *path;
    PUT(path, dir, "carry.md", CARRY_LESSON);
    App app;
    app_init(&app);
    navigation_checks(&app, path);
    app_free(&app);
}

/* ---------------------------------------------------------------- in the window */

/* The repository's lessons folder, absolute. */
static void repo_lessons(char *out, size_t len)
{
    char cwd[600];
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
    snprintf(out, len, "%s/lessons", cwd);
}

static void replay_walks_a_lesson_and_answers_a_checkpoint(void)
{
    char lesson[300];
    int qstep, answer, steps;
    EXPECT_MSG(choice_lesson(lesson, sizeof lesson, &qstep, &answer, &steps), "no shipped lesson asks a choices question");
    HarnessBox b;
    BOX(&b, "walk");
    repo_lessons(b.lessons, sizeof b.lessons);
    char script[8192] = "expect lesson_step 1\n", line[1200];
    for (int i = 1; i < qstep; i++) strcat(script, "key Right\n");
    snprintf(line, sizeof line,
             "expect lesson_step %d\nexpect answered 0\nshot %s\nkey %d\nexpect answered 1\nexpect correct 1\n"
             "shot %s\nstate %s\nquit\n",
             qstep, harness_path(&b, "before.png"), answer, harness_path(&b, "after.png"), harness_path(&b, "walk.state"));
    strcat(script, line);
    REPLAY(&b, "walk.script", script, lesson);
    EXPECT_EXIT(0);
    const char *st = harness_path(&b, "walk.state");
    EXPECT_STR(state_value(st, "lesson"), strrchr(lesson, '/') + 1);
    char want[16];
    snprintf(want, sizeof want, "%d", steps);
    EXPECT_STR(state_value(st, "lesson_steps"), want);
    EXPECT_STR(state_value(st, "correct"), "1");
    EXPECT_HAS(state_value(st, "status"), "right");
    HarnessImg a, c;
    IMG(&a, harness_path(&b, "before.png"));
    IMG(&c, harness_path(&b, "after.png"));
    int x0 = c.w * 7 / 10;
    int before = harness_count_colour(&a, x0, RIGHT_BUTTON, 3) + harness_count_colour(&a, x0, RIGHT_TEXT, 3);
    int after = harness_count_colour(&c, x0, RIGHT_BUTTON, 3) + harness_count_colour(&c, x0, RIGHT_TEXT, 3);
    stbi_image_free(a.px);
    stbi_image_free(c.px);
    EXPECT_MSG(before == 0, "%d green pixels in the narration before answering", before);
    EXPECT_MSG(after > 200, "only %d green pixels in the narration after the right answer", after);
}

static void first_run_opens_the_first_lesson(void)
{
    char names[PLAYER_MAX_LESSONS][128];
    EXPECT(shipped(names, PLAYER_MAX_LESSONS) >= 1);
    EXPECT_STR(names[0], "01-sets-of-vectors.md");
    HarnessBox b;
    BOX(&b, "first-run");
    repo_lessons(b.lessons, sizeof b.lessons);
    char script[600];
    snprintf(script, sizeof script, "expect lesson %s\nexpect lesson_step 1\nexpect menu 0\nquit\n", names[0]);
    REPLAY(&b, "first.script", script, NULL);
    EXPECT_EXIT(0);
    /* not the first run any more, and no lesson was left open: none opens */
    REPLAY(&b, "closed.script", "key F2\nexpect menu 1\nkey Up\nkey Return\nexpect lesson \nquit\n", NULL);
    EXPECT_EXIT(0);
    REPLAY(&b, "second.script", "expect lesson \nquit\n", NULL);
    EXPECT_EXIT(0);
}

static void progress_is_remembered(void)
{
    char names[PLAYER_MAX_LESSONS][128];
    EXPECT(shipped(names, PLAYER_MAX_LESSONS) >= 1);
    HarnessBox b;
    BOX(&b, "progress");
    repo_lessons(b.lessons, sizeof b.lessons);
    REPLAY(&b, "one.script", "expect lesson_step 1\nkey Right\nkey Right\nexpect lesson_step 3\nquit\n", NULL);
    EXPECT_EXIT(0);
    char script[600];
    snprintf(script, sizeof script, "expect lesson %s\nexpect lesson_step 3\nquit\n", names[0]);
    REPLAY(&b, "two.script", script, NULL);
    EXPECT_EXIT(0);
}

static void malformed_lesson_shows_where_and_the_window_keeps_running(void)
{
    HarnessBox b;
    BOX(&b, "malformed");
    snprintf(b.lessons, sizeof b.lessons, "%s", harness_path(&b, "lessons"));
    EXPECT(harness_make_dir(b.lessons));
    char bad[900], good[900];
    snprintf(bad, sizeof bad, "%s/bad.md", b.lessons);
    snprintf(good, sizeof good, "%s/good.md", b.lessons);
    WRITE(bad, "# Broken\n\n## One\n\n```scene\ntext = a b c\nfrobnicate = 1\n```\n");
    WRITE(good, CARRY_LESSON);
    /* an old time on the broken file, so that the copy over it is a change however coarse
     * the clock */
    struct timespec old[2] = {{946684800, 0}, {946684800, 0}};
    EXPECT(utimensat(AT_FDCWD, bad, old, 0) == 0);
    char script[4096];
    snprintf(script, sizeof script,
             "state %s\nshot %s\nexec cp '%s' '%s'\nexpect lesson_error \nexpect lesson_steps 3\nexpect lesson bad.md\n"
             "expect lesson_step 1\nexpect heads 3\nexpect tokens 4\nshot %s\nquit\n",
             harness_path(&b, "broken.state"), harness_path(&b, "broken.png"), good, bad, harness_path(&b, "fixed.png"));
    REPLAY(&b, "malformed.script", script, bad);
    EXPECT_EXIT(0);
    const char *st = harness_path(&b, "broken.state");
    char where[1000];
    snprintf(where, sizeof where, "%s:7:", bad);
    const char *err = state_value(st, "lesson_error");
    EXPECT_MSG(strncmp(err, where, strlen(where)) == 0, "lesson_error \"%s\" should start \"%s\"", err, where);
    EXPECT_HAS(err, "frobnicate");
    EXPECT_STR(state_value(st, "lesson"), "bad.md");
    EXPECT_STR(state_value(st, "lesson_steps"), "0");
    HarnessImg a, c;
    IMG(&a, harness_path(&b, "broken.png"));
    IMG(&c, harness_path(&b, "fixed.png"));
    int x0 = a.w * 7 / 10;
    int red_broken = harness_count_colour(&a, x0, ERROR_RED, 10), red_fixed = harness_count_colour(&c, x0, ERROR_RED, 10);
    stbi_image_free(a.px);
    stbi_image_free(c.px);
    EXPECT_MSG(red_broken > 100, "only %d error-red pixels in the narration of the broken lesson", red_broken);
    EXPECT_MSG(red_fixed * 4 < red_broken, "%d error-red pixels once fixed, %d before", red_fixed, red_broken);
}

static void menu_opens_another_lesson(void)
{
    HarnessBox b;
    BOX(&b, "menu");
    snprintf(b.lessons, sizeof b.lessons, "%s", harness_path(&b, "lessons"));
    EXPECT(harness_make_dir(b.lessons));
    char one[900], two[900];
    snprintf(one, sizeof one, "%s/01-first.md", b.lessons);
    snprintf(two, sizeof two, "%s/02-second.md", b.lessons);
    WRITE(one, CARRY_LESSON);
    WRITE(two, ASK_LESSON);
    /* the lessons, then "no lesson" (entry 3) */
    REPLAY(&b, "menu.script",
           "expect lesson 01-first.md\nkey F2\nexpect menu 1\nclick @menu:2\nexpect menu 0\nexpect lesson 02-second.md\n"
           "expect text a b c\nkey F2\nexpect menu 1\nclick @menu:3\nexpect menu 0\nexpect lesson \n"
           "key F2\nclick @menu:1\nexpect lesson 01-first.md\nexpect heads 3\nquit\n",
           NULL);
    EXPECT_EXIT(0);
}

/* ---------------------------------------------------------------- the command line */

static void export_lesson_from_the_command_line(void)
{
    char names[PLAYER_MAX_LESSONS][128], lesson[300], err[700] = "";
    EXPECT(shipped(names, PLAYER_MAX_LESSONS) >= 1);
    snprintf(lesson, sizeof lesson, "lessons/%s", names[0]);
    Lesson l;
    EXPECT_MSG(player_load(&l, lesson, err, sizeof err) == 0, "%s", err);
    int steps = l.n_steps;
    lesson_free(&l);
    HarnessBox b;
    BOX(&b, "cli");
    char out[900];
    snprintf(out, sizeof out, "%s", harness_path(&b, "step2.png"));
    RUN_ATTNLAB(&b, "export", "--lesson", lesson, "--step", "2", "--out", out);
    EXPECT_EXIT(0);
    HarnessImg im;
    IMG(&im, out);
    int w = im.w, h = im.h, unlike = unlike_first(&im);
    stbi_image_free(im.px);
    EXPECT_INT(w, 1600);
    EXPECT_INT(h, 900);
    EXPECT(unlike > w * h / 100);

    /* a step beyond the lesson: a usage error naming how many there are, and no file */
    char want[400];
    RUN_ATTNLAB(&b, "export", "--lesson", lesson, "--step", "999", "--out", harness_path(&b, "none.png"));
    EXPECT_EXIT(2);
    snprintf(want, sizeof want, "has %d steps", steps);
    EXPECT_HAS(harness_last.err, want);
    EXPECT(!harness_exists(harness_path(&b, "none.png")));

    RUN_ATTNLAB(&b, "export", "--lesson", lesson, "--all-steps");
    EXPECT_EXIT(2);
    EXPECT_HAS(harness_last.err, "--out-dir");
    RUN_ATTNLAB(&b, "export", "--lesson", lesson);
    EXPECT_EXIT(2);

    /* a folder that is not there: a failure, and nothing left behind */
    RUN_ATTNLAB(&b, "export", "--lesson", lesson, "--step", "2", "--out", "/nonexistent/dir/x.png");
    EXPECT_EXIT(1);
    EXPECT(!harness_exists("/nonexistent/dir/x.png"));
    EXPECT(!harness_exists("/nonexistent/dir"));
    RUN_ATTNLAB(&b, "export", "--lesson", lesson, "--step", "2", "--out", harness_path(&b, "missing/x.png"));
    EXPECT_EXIT(1);
    EXPECT(!harness_exists(harness_path(&b, "missing")));

    /* every step into a folder made for them */
    RUN_ATTNLAB(&b, "export", "--lesson", lesson, "--all-steps", "--scale", "0.25", "--out-dir", harness_path(&b, "slides/deck"));
    EXPECT_EXIT(0);
    char names2[128][128];
    EXPECT_INT(harness_list_names(harness_path(&b, "slides/deck"), "step-", ".png", names2, 128), steps);
    snprintf(want, sizeof want, "wrote %d steps", steps);
    EXPECT_HAS(harness_last.out, want);
}

void suite_player(void)
{
    RUN(every_shipped_lesson_passes_check);
    RUN(every_step_of_every_lesson_renders);
    RUN(check_reports_line_and_column);
    RUN(steps_carry_state_forward_and_reset);
    RUN(answering_a_question);
    RUN(lesson_navigation_actions);
    RUN(replay_walks_a_lesson_and_answers_a_checkpoint);
    RUN(first_run_opens_the_first_lesson);
    RUN(progress_is_remembered);
    RUN(malformed_lesson_shows_where_and_the_window_keeps_running);
    RUN(menu_opens_another_lesson);
    RUN(export_lesson_from_the_command_line);
    harness_free();
    if (the_fonts) ren_fonts_close(the_fonts);
    the_fonts = NULL;
}
