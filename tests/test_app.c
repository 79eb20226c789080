/* test_app.c: tests for app.c, the window's state changes, without any SDL window. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/app/app.h"
#include "../src/app/explain.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- helpers */

static void setup(App *app)
{
    app_init(app);
    app_recompute(app);
}

static Action act(ActionKind kind)
{
    Action a;
    memset(&a, 0, sizeof a);
    a.kind = kind;
    return a;
}

static void apply(App *app, ActionKind kind)
{
    Action a = act(kind);
    app_apply(app, &a);
}

static void apply_i(App *app, ActionKind kind, int i)
{
    Action a = act(kind);
    a.i = i;
    app_apply(app, &a);
}

static void apply_text(App *app, ActionKind kind, const char *text)
{
    Action a = act(kind);
    snprintf(a.text, sizeof a.text, "%s", text);
    app_apply(app, &a);
}

static void apply_hit(App *app, ActionKind kind, FigQuantity q, int head, int row, int col, float f)
{
    Action a = act(kind);
    a.hit.q = q;
    a.hit.head = head;
    a.hit.row = row;
    a.hit.col = col;
    a.f = f;
    app_apply(app, &a);
}

static void apply_pan(App *app, int dq, int dk)
{
    Action a = act(ACT_VIEW_PAN);
    a.i = dq;
    a.j = dk;
    app_apply(app, &a);
}

/* A malloc'd copy of n floats. */
static float *copy_floats(const float *src, size_t n)
{
    float *p = malloc(sizeof(float) * n);
    if (p) memcpy(p, src, sizeof(float) * n);
    return p;
}

static int differs(const float *a, const float *b, size_t n)
{
    for (size_t c = 0; c < n; c++)
        if (a[c] != b[c]) return 1;
    return 0;
}

static int all_finite(const float *a, size_t n)
{
    for (size_t c = 0; c < n; c++)
        if (!isfinite(a[c])) return 0;
    return 1;
}

/* "t0 t1 ... t(n-1)" */
static void numbered_text(char *out, size_t len, int n)
{
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < n && at < len; i++) at += (size_t)snprintf(out + at, len - at, "%st%d", i ? " " : "", i);
}

static const char *tmp_path(const char *name)
{
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return p;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

/* ---------------------------------------------------------------- typing */

static void typing_chinese_one_character_at_a_time_gives_one_token_each(void)
{
    App app;
    setup(&app);
    static const char *const chars[] = {"自", "注", "意", "力"};
    apply(&app, ACT_EDIT_BEGIN);
    EXPECT_INT(app.editing, 1);
    apply_text(&app, ACT_TEXT_SET, "");
    EXPECT_STR(app.spec.text, "");
    for (int k = 0; k < 4; k++) apply_text(&app, ACT_TEXT_INSERT, chars[k]);
    EXPECT_STR(app.spec.text, "自注意力");
    EXPECT_INT(app.have_trace, 1);
    EXPECT_INT(app.status_error, 0);
    EXPECT_INT(app.trace.n, 4);
    for (int k = 0; k < 4; k++) EXPECT_STR(app.trace.tokens[k], chars[k]);
    EXPECT_INT(app.cursor, (int)strlen("自注意力"));
    app_free(&app);
}

static void typing_backspace_and_cursor_moves_go_by_whole_characters(void)
{
    App app;
    setup(&app);
    apply(&app, ACT_EDIT_BEGIN);
    apply_text(&app, ACT_TEXT_SET, "自注意力");
    int len = (int)strlen("自注意力"), w = (int)strlen("自");
    EXPECT_INT(app.cursor, len);
    apply(&app, ACT_TEXT_BACKSPACE);
    EXPECT_STR(app.spec.text, "自注意");
    EXPECT_INT(app.cursor, 3 * w);
    EXPECT_INT(app.trace.n, 3);
    apply(&app, ACT_TEXT_LEFT);
    EXPECT_INT(app.cursor, 2 * w);
    apply(&app, ACT_TEXT_LEFT);
    EXPECT_INT(app.cursor, w);
    apply(&app, ACT_TEXT_RIGHT);
    EXPECT_INT(app.cursor, 2 * w);
    apply(&app, ACT_TEXT_HOME);
    EXPECT_INT(app.cursor, 0);
    apply(&app, ACT_TEXT_LEFT); /* stays at the start */
    EXPECT_INT(app.cursor, 0);
    apply(&app, ACT_TEXT_BACKSPACE); /* nothing before the cursor */
    EXPECT_STR(app.spec.text, "自注意");
    apply(&app, ACT_TEXT_END);
    EXPECT_INT(app.cursor, 3 * w);
    apply(&app, ACT_TEXT_RIGHT); /* stays at the end */
    EXPECT_INT(app.cursor, 3 * w);
    /* delete the middle character, then insert one in its place */
    apply(&app, ACT_TEXT_HOME);
    apply(&app, ACT_TEXT_RIGHT);
    apply(&app, ACT_TEXT_DELETE);
    EXPECT_STR(app.spec.text, "自意");
    EXPECT_INT(app.cursor, w);
    apply_text(&app, ACT_TEXT_INSERT, "力");
    EXPECT_STR(app.spec.text, "自力意");
    EXPECT_INT(app.cursor, 2 * w);
    EXPECT_INT(app.trace.n, 3);
    EXPECT_STR(app.trace.tokens[1], "力");
    app_free(&app);
}

static void typing_a_bar_gives_explicit_tokens(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "self attention | is |neat");
    EXPECT_INT(app.trace.n, 3);
    EXPECT_STR(app.trace.tokens[0], "self attention");
    EXPECT_STR(app.trace.tokens[1], "is");
    EXPECT_STR(app.trace.tokens[2], "neat");
    app_free(&app);
}

static void typing_newlines_and_tabs_become_spaces(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "one\ntwo\tthree\r\nfour");
    EXPECT_STR(app.spec.text, "one two three  four");
    EXPECT_INT(app.trace.n, 4);
    apply(&app, ACT_TEXT_END);
    apply_text(&app, ACT_TEXT_INSERT, "\tfive\n");
    EXPECT_STR(app.spec.text, "one two three  four five ");
    EXPECT(strchr(app.spec.text, '\n') == NULL && strchr(app.spec.text, '\t') == NULL);
    EXPECT_INT(app.trace.n, 5);
    app_free(&app);
}

static void typing_away_every_token_keeps_the_last_trace_and_says_why(void)
{
    App app;
    setup(&app);
    int n = app.trace.n;
    unsigned rev = app.revision;
    EXPECT(n > 0);
    float *w = copy_floats(app.trace.head[0].weights, (size_t)n * n);
    EXPECT(w);
    apply(&app, ACT_EDIT_BEGIN);
    apply_text(&app, ACT_TEXT_SET, "");
    EXPECT_INT(app.have_trace, 1);
    EXPECT_INT(app.trace.n, n);
    EXPECT_INT(app.revision, rev);
    EXPECT_INT(app.status_error, 1);
    EXPECT(app.status[0] != 0);
    EXPECT_ALL_NEAR(app.trace.head[0].weights, w, n * n, 0);
    free(w);
    /* spaces only: still no tokens */
    apply_text(&app, ACT_TEXT_INSERT, "   ");
    EXPECT_INT(app.trace.n, n);
    EXPECT_INT(app.status_error, 1);
    /* a token again clears the error */
    apply_text(&app, ACT_TEXT_INSERT, "x");
    EXPECT_INT(app.trace.n, 1);
    EXPECT_INT(app.status_error, 0);
    EXPECT_INT(app.revision, rev + 1);
    app_free(&app);
}

static void typing_bumps_the_revision_exactly_when_the_trace_changes(void)
{
    App app;
    setup(&app);
    unsigned rev = app.revision;
    EXPECT(rev >= 1);
    apply(&app, ACT_EDIT_BEGIN);
    apply(&app, ACT_TEXT_LEFT);
    apply(&app, ACT_TEXT_HOME);
    apply(&app, ACT_TEXT_RIGHT);
    apply(&app, ACT_TEXT_END);
    apply_text(&app, ACT_TEXT_COMPOSE, "zh");
    EXPECT_INT(app.revision, rev);
    apply_text(&app, ACT_TEXT_INSERT, " more");
    EXPECT_INT(app.revision, rev + 1);
    apply(&app, ACT_TEXT_BACKSPACE);
    EXPECT_INT(app.revision, rev + 2);
    apply_text(&app, ACT_TEXT_SET, "");      /* fails: no tokens */
    EXPECT_INT(app.revision, rev + 2);
    apply(&app, ACT_TEXT_BACKSPACE);          /* nothing to delete */
    EXPECT_INT(app.revision, rev + 2);
    apply_text(&app, ACT_TEXT_SET, "a b");
    EXPECT_INT(app.revision, rev + 3);
    apply(&app, ACT_EDIT_END);
    EXPECT_INT(app.editing, 0);
    EXPECT_INT(app.revision, rev + 3);
    app_free(&app);
}

/* ---------------------------------------------------------------- stepping */

static void stepping_next_three_times_reaches_step_three(void)
{
    App app;
    setup(&app);
    EXPECT_INT(app.tab, TAB_STEP);
    EXPECT_INT(app.step, 0);
    for (int k = 1; k <= 3; k++) {
        app.now = 10.0 * k;
        apply(&app, ACT_STEP_NEXT);
        EXPECT_INT(app.step, k);
        EXPECT_NEAR(app.step_changed_at, 10.0 * k, 0);
    }
    EXPECT_INT(app.query, 0);
    app_free(&app);
}

static void stepping_past_the_last_step_moves_to_the_next_query(void)
{
    App app;
    setup(&app);
    EXPECT(app.trace.n >= 3);
    apply_i(&app, ACT_STEP_SET, STEP_COUNT - 1);
    EXPECT_INT(app.step, STEP_COUNT - 1);
    app.now = 42.5;
    apply(&app, ACT_STEP_NEXT);
    EXPECT_INT(app.query, 1);
    EXPECT_INT(app.step, 0);
    EXPECT_NEAR(app.step_changed_at, 42.5, 0);
    app_free(&app);
}

static void stepping_back_from_step_zero_goes_to_the_previous_querys_last_step(void)
{
    App app;
    setup(&app);
    apply_i(&app, ACT_QUERY_SET, 1);
    apply_i(&app, ACT_STEP_SET, 0);
    app.now = 7.0;
    apply(&app, ACT_STEP_PREV);
    EXPECT_INT(app.query, 0);
    EXPECT_INT(app.step, STEP_COUNT - 1);
    EXPECT_NEAR(app.step_changed_at, 7.0, 0);
    /* at step 0 of the first query it stays */
    apply_i(&app, ACT_STEP_SET, 0);
    app.now = 8.0;
    apply(&app, ACT_STEP_PREV);
    EXPECT_INT(app.query, 0);
    EXPECT_INT(app.step, 0);
    EXPECT_NEAR(app.step_changed_at, 7.0, 0);
    app_free(&app);
}

static void stepping_past_the_very_end_stays_and_says_so(void)
{
    App app;
    setup(&app);
    int n = app.trace.n;
    apply_i(&app, ACT_QUERY_SET, n - 1);
    app.now = 3.0;
    apply_i(&app, ACT_STEP_SET, STEP_COUNT - 1);
    app.status[0] = 0;
    app.now = 4.0;
    apply(&app, ACT_STEP_NEXT);
    EXPECT_INT(app.query, n - 1);
    EXPECT_INT(app.step, STEP_COUNT - 1);
    EXPECT_NEAR(app.step_changed_at, 3.0, 0);
    EXPECT(strstr(app.status, "last") != NULL);
    EXPECT_INT(app.status_error, 0);
    app_free(&app);
}

static void stepping_outside_the_step_tab_changes_tab(void)
{
    App app;
    setup(&app);
    apply_i(&app, ACT_TAB_SET, TAB_WEIGHTS);
    EXPECT_INT(app.tab, TAB_WEIGHTS);
    apply(&app, ACT_STEP_NEXT);
    EXPECT_INT(app.tab, TAB_WEIGHTS + 1);
    EXPECT_INT(app.step, 0);
    apply(&app, ACT_STEP_PREV);
    apply(&app, ACT_STEP_PREV);
    EXPECT_INT(app.tab, TAB_WEIGHTS - 1);
    EXPECT_INT(app.step, 0);
    /* the tabs wrap around */
    apply_i(&app, ACT_TAB_SET, TAB_COUNT - 1);
    apply(&app, ACT_STEP_NEXT);
    EXPECT_INT(app.tab, 0);
    apply(&app, ACT_TAB_PREV);
    EXPECT_INT(app.tab, TAB_COUNT - 1);
    apply_i(&app, ACT_TAB_SET, TAB_COUNT); /* out of range: ignored */
    EXPECT_INT(app.tab, TAB_COUNT - 1);
    /* ACT_STEP_SET goes back to the step tab */
    apply_i(&app, ACT_STEP_SET, STEP_COUNT + 5);
    EXPECT_INT(app.tab, TAB_STEP);
    EXPECT_INT(app.step, STEP_COUNT - 1);
    app_free(&app);
}

static void query_set_next_prev_stay_within_the_tokens(void)
{
    App app;
    setup(&app);
    int n = app.trace.n;
    apply_i(&app, ACT_QUERY_SET, 2);
    EXPECT_INT(app.query, 2);
    apply_i(&app, ACT_QUERY_SET, n);
    EXPECT_INT(app.query, 2);
    apply_i(&app, ACT_QUERY_SET, -1);
    EXPECT_INT(app.query, 2);
    for (int k = 0; k < n + 3; k++) apply(&app, ACT_QUERY_NEXT);
    EXPECT_INT(app.query, n - 1);
    for (int k = 0; k < n + 3; k++) apply(&app, ACT_QUERY_PREV);
    EXPECT_INT(app.query, 0);
    /* fewer tokens pull the query back in */
    apply_i(&app, ACT_QUERY_SET, n - 1);
    apply_text(&app, ACT_TEXT_SET, "just two");
    EXPECT_INT(app.trace.n, 2);
    EXPECT_INT(app.query, 1);
    app_free(&app);
}

/* ---------------------------------------------------------------- fields */

static void field_heads_adds_a_head_and_the_trace_follows(void)
{
    App app;
    setup(&app);
    int h = app.spec.scene.heads;
    EXPECT_INT(app.trace.heads, h);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS);
    EXPECT_INT(app.spec.scene.heads, h + 1);
    EXPECT_INT(app.trace.heads, h + 1);
    apply_i(&app, ACT_FIELD_PREV, FIELD_HEADS);
    apply_i(&app, ACT_FIELD_PREV, FIELD_HEADS);
    EXPECT_INT(app.trace.heads, h - 1 < 1 ? 1 : h - 1);
    for (int k = 0; k < 20; k++) apply_i(&app, ACT_FIELD_PREV, FIELD_HEADS);
    EXPECT_INT(app.spec.scene.heads, 1);
    EXPECT_INT(app.trace.heads, 1);
    app_free(&app);
}

static void field_d_model_and_d_head_step_through_their_lists(void)
{
    App app;
    setup(&app);
    static const int d_models[] = {2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256, 512};
    int at = -1;
    for (int i = 0; i < 15; i++) if (d_models[i] == app.spec.scene.d_model) at = i;
    EXPECT(at >= 0 && at + 2 < 15);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_D_MODEL);
    EXPECT_INT(app.spec.scene.d_model, d_models[at + 1]);
    EXPECT_INT(app.trace.d_model, d_models[at + 1]);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_D_MODEL);
    EXPECT_INT(app.trace.d_model, d_models[at + 2]);
    apply_i(&app, ACT_FIELD_PREV, FIELD_D_MODEL);
    EXPECT_INT(app.trace.d_model, d_models[at + 1]);
    for (int k = 0; k < 20; k++) apply_i(&app, ACT_FIELD_PREV, FIELD_D_MODEL);
    EXPECT_INT(app.trace.d_model, d_models[0]);
    int dh = app.spec.scene.d_head;
    apply_i(&app, ACT_FIELD_NEXT, FIELD_D_HEAD);
    EXPECT(app.trace.d_head > dh);
    EXPECT_INT(app.trace.d_head, app.spec.scene.d_head);
    app_free(&app);
}

/* 1 when attn_allowed agrees with the mask's definition at every cell. */
static int mask_follows(const AttnTrace *t, AttnMaskKind kind, int param)
{
    int n = t->n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int want = kind == ATTN_MASK_CAUSAL ? j <= i
                     : kind == ATTN_MASK_WINDOW ? abs(i - j) <= param
                     : kind == ATTN_MASK_PADDING ? j < n - param
                     : 1;
            if (attn_allowed(t, i, j) != want) return 0;
        }
    return 1;
}

static void field_mask_cycles_none_causal_window_padding_and_the_trace_follows(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "a b c d e f");
    EXPECT_INT(app.trace.n, 6);
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_NONE);
    EXPECT(mask_follows(&app.trace, ATTN_MASK_NONE, 0));
    static const AttnMaskKind order[] = {ATTN_MASK_CAUSAL, ATTN_MASK_WINDOW, ATTN_MASK_PADDING, ATTN_MASK_NONE};
    for (int k = 0; k < 4; k++) {
        apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK);
        EXPECT_INT(app.spec.scene.mask, order[k]);
        EXPECT_INT(app.trace.mask, order[k]);
        int p = app.spec.scene.mask_param;
        if (order[k] == ATTN_MASK_WINDOW || order[k] == ATTN_MASK_PADDING) {
            EXPECT(p >= 1);
            EXPECT_INT(app.trace.mask_param, p);
        }
        EXPECT_MSG(mask_follows(&app.trace, order[k], p), "mask %d (param %d) not followed", (int)order[k], p);
    }
    apply_i(&app, ACT_FIELD_PREV, FIELD_MASK);
    EXPECT_INT(app.trace.mask, ATTN_MASK_PADDING);
    app_free(&app);
}

static void field_mask_param_changes_the_window(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "a b c d e f");
    unsigned rev = app.revision;
    apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK_PARAM); /* no window yet: only a hint */
    EXPECT_INT(app.revision, rev);
    EXPECT(app.status[0] != 0);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK);
    EXPECT_INT(app.trace.mask, ATTN_MASK_WINDOW);
    int p = app.trace.mask_param;
    EXPECT(mask_follows(&app.trace, ATTN_MASK_WINDOW, p));
    EXPECT_INT(attn_allowed(&app.trace, 0, p + 1), 0);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK_PARAM);
    EXPECT_INT(app.spec.scene.mask_param, p + 1);
    EXPECT_INT(app.trace.mask_param, p + 1);
    EXPECT_INT(attn_allowed(&app.trace, 0, p + 1), 1);
    EXPECT(mask_follows(&app.trace, ATTN_MASK_WINDOW, p + 1));
    for (int k = 0; k < p + 5; k++) apply_i(&app, ACT_FIELD_PREV, FIELD_MASK_PARAM);
    EXPECT_INT(app.trace.mask_param, 0);
    EXPECT(mask_follows(&app.trace, ATTN_MASK_WINDOW, 0));
    app_free(&app);
}

static void field_score_cycles_and_the_scale_follows(void)
{
    App app;
    setup(&app);
    AttnScore s0 = app.spec.scene.score;
    EXPECT_INT(app.trace.score, s0);
    int seen[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        apply_i(&app, ACT_FIELD_NEXT, FIELD_SCORE);
        AttnScore s = app.spec.scene.score;
        EXPECT((int)s >= 0 && (int)s < 3);
        EXPECT_INT(app.trace.score, s);
        seen[s] = 1;
        if (s == ATTN_SCORE_SCALED) EXPECT_NEAR(app.trace.scale, 1.0 / sqrt((double)app.trace.d_head), 1e-6);
        else if (s == ATTN_SCORE_DOT) EXPECT_NEAR(app.trace.scale, 1.0, 0);
    }
    EXPECT(seen[0] && seen[1] && seen[2]);
    EXPECT_INT(app.spec.scene.score, s0);
    app_free(&app);
}

static void field_temperature_changes_the_traces_temperature(void)
{
    App app;
    setup(&app);
    float t0 = app.trace.temperature;
    int n = app.trace.n;
    float *w = copy_floats(app.trace.head[0].weights, (size_t)n * n);
    EXPECT(w);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_TEMPERATURE);
    EXPECT(app.trace.temperature > t0);
    EXPECT_NEAR(app.trace.temperature, app.spec.scene.temperature, 0);
    EXPECT(differs(w, app.trace.head[0].weights, (size_t)n * n));
    apply_i(&app, ACT_FIELD_PREV, FIELD_TEMPERATURE);
    apply_i(&app, ACT_FIELD_PREV, FIELD_TEMPERATURE);
    EXPECT(app.trace.temperature < t0);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_TEMPERATURE);
    EXPECT_NEAR(app.trace.temperature, t0, 0);
    EXPECT_ALL_NEAR(app.trace.head[0].weights, w, n * n, 0);
    free(w);
    app_free(&app);
}

static void field_head_cycles_the_shown_head_within_the_heads(void)
{
    App app;
    setup(&app);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS); /* 3 heads */
    int h = app.trace.heads;
    EXPECT(h >= 2);
    EXPECT_INT(app.fig.head, 0);
    unsigned rev = app.revision;
    for (int k = 1; k <= h; k++) {
        apply_i(&app, ACT_FIELD_NEXT, FIELD_HEAD);
        EXPECT_INT(app.fig.head, k % h);
    }
    apply_i(&app, ACT_FIELD_PREV, FIELD_HEAD);
    EXPECT_INT(app.fig.head, h - 1);
    EXPECT_INT(app.revision, rev);
    /* fewer heads pull the shown head back in */
    apply_i(&app, ACT_FIELD_PREV, FIELD_HEADS);
    EXPECT_INT(app.trace.heads, h - 1);
    EXPECT_INT(app.fig.head, h - 2);
    app_free(&app);
}

static void field_head_stays_within_the_computed_heads_while_the_scene_is_broken(void)
{
    App app;
    setup(&app);
    int h = app.trace.heads;
    apply_text(&app, ACT_TEXT_SET, ""); /* the scene fails from here on */
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS);
    EXPECT_INT(app.trace.heads, h);
    for (int k = 0; k < 2 * h + 1; k++) {
        apply_i(&app, ACT_FIELD_NEXT, FIELD_HEAD);
        EXPECT_MSG(app.fig.head >= 0 && app.fig.head < app.trace.heads, "head %d of a trace with %d heads",
                   app.fig.head, app.trace.heads);
    }
    char title[256], body[1024];
    for (int s = 0; s < STEP_COUNT; s++) app_step_caption(&app, s, title, sizeof title, body, sizeof body);
    app_free(&app);
}

static void field_display_options_change_the_figure_not_the_trace(void)
{
    App app;
    setup(&app);
    unsigned rev = app.revision;
    FigOptions o = app.fig;
    apply_i(&app, ACT_FIELD_NEXT, FIELD_THEME);
    EXPECT_INT(app.fig.dark, !o.dark);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_ORIENT);
    EXPECT_INT(app.fig.transposed, !o.transposed);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_NUMBERS);
    EXPECT(app.fig.numbers != o.numbers);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_CMAP);
    EXPECT(app.fig.cmap != o.cmap);
    EXPECT(app.fig.cmap >= -1 && app.fig.cmap < CMAP_COUNT);
    for (int k = 0; k < CMAP_COUNT; k++) apply_i(&app, ACT_FIELD_NEXT, FIELD_CMAP);
    EXPECT_INT(app.fig.cmap, o.cmap); /* CMAP_COUNT maps and "auto" make a full cycle */
    int animate = app.win.animate;
    apply_i(&app, ACT_FIELD_NEXT, FIELD_ANIMATE);
    EXPECT_INT(app.win.animate, !animate);
    EXPECT_INT(app.revision, rev);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_COUNT); /* no such field: nothing happens */
    EXPECT_INT(app.revision, rev);
    app_free(&app);
}

static void field_values_are_readable_for_every_field(void)
{
    App app;
    setup(&app);
    char v[128];
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) {
            apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK);
            apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK); /* window */
            apply_hit(&app, ACT_POKE, FQ_WQ, 0, 0, 0, 0.25f);
        }
        if (pass == 2) apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 0, 1, 0);
        for (int f = 0; f < FIELD_COUNT; f++) {
            memset(v, 0, sizeof v);
            app_field_value(&app, (AppField)f, v, sizeof v);
            EXPECT_MSG(v[0] != 0, "field %s has an empty value (pass %d)", app_field_name((AppField)f), pass);
            EXPECT(strcmp(app_field_name((AppField)f), "?") != 0);
            EXPECT(app_field_key((AppField)f)[0] != 0);
        }
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%d", app.spec.scene.heads);
    app_field_value(&app, FIELD_HEADS, v, sizeof v);
    EXPECT_STR(v, buf);
    app_field_value(&app, FIELD_SCORE, v, sizeof v);
    EXPECT_STR(v, attn_score_name(app.spec.scene.score));
    app_field_value(&app, FIELD_WEIGHTS, v, sizeof v);
    EXPECT(strstr(v, "edited") != NULL);
    app_field_value(&app, FIELD_MASK, v, sizeof v);
    EXPECT(strstr(v, "custom") != NULL);
    for (int t = 0; t < TAB_COUNT; t++) EXPECT(strcmp(app_tab_name((AppTab)t), "?") != 0);
    app_free(&app);
}

/* ---------------------------------------------------------------- pokes */

/* Computes the app's scene with explicit inputs and weights into ref (zeroed by the caller). */
static int forward_with(AttnTrace *ref, const App *app, const float *a, const float *wq, const float *wk,
                        const float *wv, const float *wo)
{
    AttnScene sc = app->spec.scene;
    char err[256];
    if (a) sc.vectors = a;
    if (wq) {
        sc.params.wq = wq;
        sc.params.wk = wk;
        sc.params.wv = wv;
        sc.params.wo = wo;
    }
    if (attn_forward(ref, &sc, err, sizeof err)) {
        fprintf(stderr, "  attn_forward: %s\n", err);
        return -1;
    }
    return 0;
}

static void poke_on_an_input_cell_edits_a_and_recomputes(void)
{
    App app;
    setup(&app);
    int n = app.trace.n, dm = app.trace.d_model;
    size_t nd = (size_t)n * dm;
    EXPECT(n > 1 && dm > 2);
    float *a = copy_floats(app.trace.a, nd), *x = copy_floats(app.trace.x, nd);
    float *w = copy_floats(app.trace.head[0].weights, (size_t)n * n);
    EXPECT(a && x && w);
    unsigned rev = app.revision;
    EXPECT(app.vec_edit == NULL);
    apply_hit(&app, ACT_POKE, FQ_A, 0, 1, 2, 0.5f);
    EXPECT(app.vec_edit != NULL);
    EXPECT_INT(app.revision, rev + 1);
    float want = a[1 * dm + 2] + 0.5f;
    EXPECT_NEAR(app.trace.a[1 * dm + 2], want, 0);
    EXPECT_NEAR(app.trace.x[1 * dm + 2], x[1 * dm + 2] + 0.5f, 1e-6);
    for (size_t c = 0; c < nd; c++) {
        if (c == (size_t)(1 * dm + 2)) continue;
        EXPECT_MSG(app.trace.a[c] == a[c] && app.trace.x[c] == x[c], "cell %zu changed too", c);
    }
    EXPECT(differs(w, app.trace.head[0].weights, (size_t)n * n));
    /* the same numbers as the engine computing the edited inputs itself */
    a[1 * dm + 2] = want;
    AttnTrace ref;
    memset(&ref, 0, sizeof ref);
    EXPECT(forward_with(&ref, &app, a, NULL, NULL, NULL, NULL) == 0);
    EXPECT_ALL_NEAR(app.trace.head[0].weights, ref.head[0].weights, n * n, 0);
    EXPECT_ALL_NEAR(app.trace.output, ref.output, (int)nd, 0);
    attn_trace_free(&ref);
    /* poking x edits the same input */
    apply_hit(&app, ACT_POKE, FQ_X, 0, 0, 0, -0.25f);
    EXPECT_NEAR(app.trace.a[0], a[0] - 0.25f, 0);
    free(a);
    free(x);
    free(w);
    app_free(&app);
}

static void poke_on_wq_and_wo_edits_the_weights_by_exactly_the_amount(void)
{
    App app;
    setup(&app);
    int H = app.trace.heads, dm = app.trace.d_model, dh = app.trace.d_head, n = app.trace.n;
    size_t hsz = (size_t)dm * dh, blk = H * hsz;
    float *wq = malloc(sizeof(float) * 4 * blk);
    EXPECT(wq);
    float *wk = wq + blk, *wv = wq + 2 * blk, *wo = wq + 3 * blk;
    for (int h = 0; h < H; h++) {
        memcpy(wq + h * hsz, app.trace.head[h].wq, sizeof(float) * hsz);
        memcpy(wk + h * hsz, app.trace.head[h].wk, sizeof(float) * hsz);
        memcpy(wv + h * hsz, app.trace.head[h].wv, sizeof(float) * hsz);
    }
    memcpy(wo, app.trace.wo, sizeof(float) * blk);
    float *out = copy_floats(app.trace.output, (size_t)n * dm);
    EXPECT(out);
    int r = 2, c = 1;
    float f = 0.75f;
    apply_hit(&app, ACT_POKE, FQ_WQ, 0, r, c, f);
    EXPECT(app.par_edit != NULL);
    float want = wq[r * dh + c] + f;
    EXPECT_NEAR(app.trace.head[0].wq[r * dh + c], want, 0);
    wq[r * dh + c] = want;
    EXPECT_ALL_NEAR(app.trace.head[0].wq, wq, (int)hsz, 0);
    if (H > 1) EXPECT_ALL_NEAR(app.trace.head[1].wq, wq + hsz, (int)hsz, 0);
    EXPECT_ALL_NEAR(app.trace.head[0].wk, wk, (int)hsz, 0);
    /* Wo: a row of the concatenated heads, a column of d_model */
    int ro = dh + 1, co = 3;
    float fo = -0.5f;
    apply_hit(&app, ACT_POKE, FQ_WO, 0, ro, co, fo);
    float want_o = wo[(size_t)ro * dm + co] + fo;
    EXPECT_NEAR(app.trace.wo[(size_t)ro * dm + co], want_o, 0);
    wo[(size_t)ro * dm + co] = want_o;
    EXPECT_ALL_NEAR(app.trace.wo, wo, (int)blk, 0);
    EXPECT_ALL_NEAR(app.trace.head[0].wq, wq, (int)hsz, 0); /* the first edit stays */
    EXPECT(differs(out, app.trace.output, (size_t)n * dm));
    AttnTrace ref;
    memset(&ref, 0, sizeof ref);
    EXPECT(forward_with(&ref, &app, NULL, wq, wk, wv, wo) == 0);
    EXPECT_ALL_NEAR(app.trace.output, ref.output, n * dm, 0);
    attn_trace_free(&ref);
    /* Wk and Wv of another head */
    if (H > 1) {
        apply_hit(&app, ACT_POKE, FQ_WV, 1, 0, 0, 0.125f);
        EXPECT_NEAR(app.trace.head[1].wv[0], wv[hsz] + 0.125f, 0);
        EXPECT_ALL_NEAR(app.trace.head[0].wv, wv, (int)hsz, 0);
    }
    free(wq);
    free(out);
    app_free(&app);
}

static void poke_on_a_computed_cell_only_explains(void)
{
    App app;
    setup(&app);
    unsigned rev = app.revision;
    static const FigQuantity computed[] = {FQ_WEIGHTS, FQ_SCORES, FQ_Q, FQ_OUTPUT, FQ_PE};
    for (int k = 0; k < 5; k++) {
        app.status[0] = 0;
        apply_hit(&app, ACT_POKE, computed[k], 0, 0, 1, 0.5f);
        EXPECT(app.status[0] != 0);
        EXPECT_INT(app.revision, rev);
        EXPECT(app.vec_edit == NULL && app.par_edit == NULL && app.mask_edit == NULL);
    }
    app_free(&app);
}

static void poke_clamps_values_to_a_thousand(void)
{
    App app;
    setup(&app);
    int dm = app.trace.d_model, dh = app.trace.d_head;
    apply_hit(&app, ACT_POKE, FQ_A, 0, 0, 1, 5000.0f);
    EXPECT_NEAR(app.trace.a[1], 1000.0f, 0);
    apply_hit(&app, ACT_POKE, FQ_A, 0, 0, 1, 500.0f);
    EXPECT_NEAR(app.trace.a[1], 1000.0f, 0);
    apply_hit(&app, ACT_POKE, FQ_A, 0, 1, 0, -1e9f);
    EXPECT_NEAR(app.trace.a[dm], -1000.0f, 0);
    apply_hit(&app, ACT_POKE, FQ_WK, 0, 1, 1, 1e6f);
    EXPECT_NEAR(app.trace.head[0].wk[dh + 1], 1000.0f, 0);
    EXPECT(all_finite(app.trace.output, (size_t)app.trace.n * dm));
    EXPECT(all_finite(app.trace.head[0].weights, (size_t)app.trace.n * app.trace.n));
    app_free(&app);
}

static void reset_drops_every_edit_and_restores_the_numbers_exactly(void)
{
    App app;
    setup(&app);
    int n = app.trace.n, dm = app.trace.d_model, dh = app.trace.d_head;
    float *a = copy_floats(app.trace.a, (size_t)n * dm), *out = copy_floats(app.trace.output, (size_t)n * dm);
    float *w = copy_floats(app.trace.head[0].weights, (size_t)n * n);
    float *wq = copy_floats(app.trace.head[0].wq, (size_t)dm * dh);
    EXPECT(a && out && w && wq);
    apply_hit(&app, ACT_POKE, FQ_A, 0, 1, 2, 0.5f);
    apply_hit(&app, ACT_POKE, FQ_WQ, 0, 0, 0, 0.5f);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 0, 1, 0);
    EXPECT(app.vec_edit && app.par_edit && app.mask_edit);
    EXPECT(differs(out, app.trace.output, (size_t)n * dm));
    unsigned rev = app.revision;
    apply(&app, ACT_RESET);
    EXPECT(app.vec_edit == NULL && app.par_edit == NULL && app.mask_edit == NULL);
    EXPECT_INT(app.revision, rev + 1);
    EXPECT_INT(app.status_error, 0);
    EXPECT_ALL_NEAR(app.trace.a, a, n * dm, 0);
    EXPECT_ALL_NEAR(app.trace.head[0].wq, wq, dm * dh, 0);
    EXPECT_ALL_NEAR(app.trace.head[0].weights, w, n * n, 0);
    EXPECT_ALL_NEAR(app.trace.output, out, n * dm, 0);
    EXPECT_INT(app.trace.mask, ATTN_MASK_NONE);
    EXPECT_INT(app.trace.explicit_vectors, 0);
    free(a);
    free(out);
    free(w);
    free(wq);
    app_free(&app);
}

static void poke_edits_are_dropped_when_the_shape_changes(void)
{
    App app;
    setup(&app);
    int n = app.trace.n;
    apply_hit(&app, ACT_POKE, FQ_A, 0, 0, 0, 0.5f);
    EXPECT(app.vec_edit != NULL);
    /* same number of tokens: the edit stays */
    apply_text(&app, ACT_TEXT_SET, "w x y z");
    EXPECT_INT(app.trace.n, n);
    EXPECT(app.vec_edit != NULL);
    EXPECT_INT(app.trace.explicit_vectors, 1);
    /* one more token: dropped, and the status says so */
    app.status[0] = 0;
    apply_text(&app, ACT_TEXT_SET, "v w x y z");
    EXPECT_INT(app.trace.n, n + 1);
    EXPECT(app.vec_edit == NULL);
    EXPECT_INT(app.trace.explicit_vectors, 0);
    EXPECT_INT(app.status_error, 0);
    EXPECT(strstr(app.status, "reset") != NULL);
    /* weights: dropped when the heads change, and the status says so */
    apply_hit(&app, ACT_POKE, FQ_WQ, 0, 0, 0, 0.5f);
    EXPECT(app.par_edit != NULL);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_TEMPERATURE); /* not a shape change */
    EXPECT(app.par_edit != NULL);
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS);
    EXPECT(app.par_edit == NULL);
    EXPECT(strstr(app.status, "reset") != NULL);
    /* the heads' weights are the preset's again */
    App fresh;
    setup(&fresh);
    apply_text(&fresh, ACT_TEXT_SET, "v w x y z");
    apply_i(&fresh, ACT_FIELD_NEXT, FIELD_TEMPERATURE);
    apply_i(&fresh, ACT_FIELD_NEXT, FIELD_HEADS);
    int sz = app.trace.d_model * app.trace.d_head;
    EXPECT_ALL_NEAR(app.trace.head[0].wq, fresh.trace.head[0].wq, sz, 0);
    EXPECT_ALL_NEAR(app.trace.output, fresh.trace.output, app.trace.n * app.trace.d_model, 0);
    app_free(&fresh);
    app_free(&app);
}

static void poke_while_the_scene_is_broken_sizes_the_edit_by_the_trace(void)
{
    App app;
    setup(&app);
    int h = app.trace.heads;
    apply_text(&app, ACT_TEXT_SET, "");        /* the scene fails ... */
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS); /* ... with one more head than the trace */
    EXPECT_INT(app.trace.heads, h);
    apply_hit(&app, ACT_POKE, FQ_WQ, 0, 0, 0, 0.5f);
    EXPECT(app.par_edit != NULL);
    /* the scene works again with h + 1 heads: the edit made for h heads cannot apply */
    apply_text(&app, ACT_TEXT_SET, "I saw a saw");
    EXPECT_MSG(app.status_error == 0, "status: %s", app.status);
    EXPECT_INT(app.trace.heads, h + 1);
    EXPECT(app.par_edit == NULL);
    App fresh;
    setup(&fresh);
    apply_i(&fresh, ACT_FIELD_NEXT, FIELD_HEADS);
    EXPECT_ALL_NEAR(app.trace.output, fresh.trace.output, app.trace.n * app.trace.d_model, 0);
    app_free(&fresh);
    app_free(&app);
}

/* ---------------------------------------------------------------- mask toggle */

static void mask_toggle_hides_one_key_and_keeps_the_row_normalised(void)
{
    App app;
    setup(&app);
    int n = app.trace.n;
    EXPECT(n >= 4);
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_NONE);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 0, 3, 0);
    EXPECT(app.mask_edit != NULL);
    EXPECT_INT(attn_allowed(&app.trace, 0, 3), 0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != 0 || j != 3) EXPECT_INT(attn_allowed(&app.trace, i, j), 1);
    for (int h = 0; h < app.trace.heads; h++) {
        const float *w = app.trace.head[h].weights;
        EXPECT(w[3] == 0.0f);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += w[j];
        EXPECT_NEAR(sum, 1.0, 1e-5);
        EXPECT(w[n + 3] > 0.0f); /* other rows still see key 3 */
    }
    /* the scene keeps its own mask field */
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_NONE);
    EXPECT_INT(app.trace.mask, ATTN_MASK_CUSTOM);
    /* toggling again lets it through */
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 0, 3, 0);
    EXPECT_INT(attn_allowed(&app.trace, 0, 3), 1);
    EXPECT(app.trace.head[0].weights[3] > 0.0f);
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_NONE);
    app_free(&app);
}

static void mask_toggle_then_reset_brings_the_plain_scene_back(void)
{
    App app;
    setup(&app);
    int n = app.trace.n;
    float *w = copy_floats(app.trace.head[0].weights, (size_t)n * n);
    EXPECT(w);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_WEIGHTS, 0, 1, 0, 0);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_WEIGHTS, 0, 2, 2, 0);
    EXPECT(differs(w, app.trace.head[0].weights, (size_t)n * n));
    apply(&app, ACT_RESET);
    EXPECT(app.mask_edit == NULL);
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_NONE);
    EXPECT_INT(app.trace.mask, ATTN_MASK_NONE);
    EXPECT(mask_follows(&app.trace, ATTN_MASK_NONE, 0));
    EXPECT_ALL_NEAR(app.trace.head[0].weights, w, n * n, 0);
    free(w);
    /* an edit on top of a causal scene starts from the causal mask */
    apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK);
    EXPECT_INT(app.trace.mask, ATTN_MASK_CAUSAL);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 0, 1, 0);
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_CAUSAL);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            EXPECT_INT(attn_allowed(&app.trace, i, j), (i == 0 && j == 1) || j <= i);
    apply(&app, ACT_RESET);
    EXPECT_INT(app.trace.mask, ATTN_MASK_CAUSAL);
    EXPECT(mask_follows(&app.trace, ATTN_MASK_CAUSAL, 0));
    app_free(&app);
}

static void mask_toggle_every_key_of_a_row_gives_an_empty_flagged_row(void)
{
    App app;
    setup(&app);
    int n = app.trace.n, dm = app.trace.d_model;
    for (int j = 0; j < n; j++) apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 1, j, 0);
    EXPECT_INT(app.have_trace, 1);
    EXPECT_INT(app.status_error, 0);
    for (int h = 0; h < app.trace.heads; h++) {
        const AttnHead *hd = &app.trace.head[h];
        EXPECT_INT(hd->empty_row[1], 1);
        EXPECT_INT(hd->empty_row[0], 0);
        for (int j = 0; j < n; j++) EXPECT(hd->weights[n + j] == 0.0f);
        EXPECT(all_finite(hd->weights, (size_t)n * n));
        EXPECT(all_finite(hd->out, (size_t)n * app.trace.d_head));
        EXPECT(all_finite(hd->entropy, (size_t)n));
        EXPECT(all_finite(hd->max_weight, (size_t)n));
    }
    EXPECT(app.trace.n_empty_rows >= app.trace.heads);
    EXPECT(all_finite(app.trace.output, (size_t)n * dm));
    char title[256], body[1024];
    apply_i(&app, ACT_QUERY_SET, 1);
    app_step_caption(&app, STEP_SOFTMAX, title, sizeof title, body, sizeof body);
    EXPECT(strstr(title, "no key") != NULL);
    app_free(&app);
}

/* ---------------------------------------------------------------- zoom */

static void zoom_about_a_weights_cell_halves_the_range_around_it(void)
{
    App app;
    setup(&app);
    char text[512];
    numbered_text(text, sizeof text, 40);
    apply_text(&app, ACT_TEXT_SET, text);
    EXPECT_INT(app.trace.n, 40);
    Action a = act(ACT_VIEW_ZOOM);
    a.hit.q = FQ_WEIGHTS;
    a.hit.row = 20;
    a.hit.col = 10;
    a.f = 2.0f;
    app_apply(&app, &a);
    EXPECT(app.fig.qn >= 19 && app.fig.qn <= 21);
    EXPECT(app.fig.kn >= 19 && app.fig.kn <= 21);
    EXPECT(app.fig.q0 <= 20 && 20 < app.fig.q0 + app.fig.qn);
    EXPECT(app.fig.k0 <= 10 && 10 < app.fig.k0 + app.fig.kn);
    EXPECT(app.fig.q0 >= 0 && app.fig.q0 + app.fig.qn <= 40);
    EXPECT(app.fig.k0 >= 0 && app.fig.k0 + app.fig.kn <= 40);
    /* pan stays within the tokens */
    int qn = app.fig.qn, kn = app.fig.kn, q0 = app.fig.q0, k0 = app.fig.k0;
    apply_pan(&app, 3, -2);
    EXPECT_INT(app.fig.q0, q0 + 3 + qn > 40 ? 40 - qn : q0 + 3);
    EXPECT_INT(app.fig.k0, k0 - 2 < 0 ? 0 : k0 - 2);
    apply_pan(&app, -1000, -1000);
    EXPECT_INT(app.fig.q0, 0);
    EXPECT_INT(app.fig.k0, 0);
    apply_pan(&app, 1000, 1000);
    EXPECT_INT(app.fig.q0, 40 - qn);
    EXPECT_INT(app.fig.k0, 40 - kn);
    EXPECT_INT(app.fig.qn, qn);
    EXPECT_INT(app.fig.kn, kn);
    /* zooming far in stops at two rows; a row quantity zooms only the rows */
    for (int k = 0; k < 10; k++) app_apply(&app, &a);
    EXPECT_INT(app.fig.qn, 2);
    EXPECT(app.fig.q0 >= 0 && app.fig.q0 + 2 <= 40);
    apply(&app, ACT_VIEW_RESET);
    EXPECT(app.fig.q0 == 0 && app.fig.qn == 0 && app.fig.k0 == 0 && app.fig.kn == 0);
    a.hit.q = FQ_A;
    a.hit.row = 39;
    a.hit.col = 3;
    app_apply(&app, &a);
    EXPECT(app.fig.qn >= 19 && app.fig.qn <= 21);
    EXPECT(app.fig.q0 <= 39 && 39 < app.fig.q0 + app.fig.qn && app.fig.q0 + app.fig.qn <= 40);
    EXPECT_INT(app.fig.kn, 0);
    /* zooming out past everything shows all again */
    a.f = 0.25f;
    app_apply(&app, &a);
    EXPECT_INT(app.fig.qn, 0);
    EXPECT_INT(app.fig.q0, 0);
    app_free(&app);
}

static void escape_clears_the_zoom_when_nothing_else_is_open(void)
{
    App app;
    setup(&app);
    char text[512];
    numbered_text(text, sizeof text, 40);
    apply_text(&app, ACT_TEXT_SET, text);
    apply_hit(&app, ACT_VIEW_ZOOM, FQ_WEIGHTS, 0, 20, 10, 2.0f);
    EXPECT(app.fig.qn && app.fig.kn);
    apply(&app, ACT_HELP_TOGGLE);
    apply(&app, ACT_ESCAPE); /* closes the help first */
    EXPECT_INT(app.help, 0);
    EXPECT(app.fig.qn && app.fig.kn);
    apply(&app, ACT_EDIT_BEGIN);
    apply(&app, ACT_ESCAPE); /* then leaves the text line */
    EXPECT_INT(app.editing, 0);
    EXPECT(app.fig.qn && app.fig.kn);
    apply(&app, ACT_ESCAPE);
    EXPECT(app.fig.q0 == 0 && app.fig.qn == 0 && app.fig.k0 == 0 && app.fig.kn == 0);
    EXPECT_INT(app.quit, 0);
    app_free(&app);
}

/* ---------------------------------------------------------------- overlays and requests */

static void overlays_toggle_and_escape_closes_them_in_order(void)
{
    App app;
    setup(&app);
    EXPECT_INT(app.help, 0);
    apply(&app, ACT_HELP_TOGGLE);
    EXPECT_INT(app.help, 1);
    apply(&app, ACT_HELP_TOGGLE);
    EXPECT_INT(app.help, 0);
    apply(&app, ACT_BLANK_TOGGLE);
    EXPECT_INT(app.blank, 1);
    apply(&app, ACT_HELP_TOGGLE);
    apply(&app, ACT_ESCAPE);
    EXPECT_INT(app.help, 0);
    EXPECT_INT(app.blank, 1);
    apply(&app, ACT_ESCAPE);
    EXPECT_INT(app.blank, 0);
    apply(&app, ACT_BLANK_TOGGLE);
    apply(&app, ACT_BLANK_TOGGLE);
    EXPECT_INT(app.blank, 0);
    int lines = 0;
    while (app_help_lines[lines]) lines++;
    EXPECT(lines > 5);
    app_free(&app);
}

static void zoom_keys_keep_the_zoom_within_half_and_three(void)
{
    App app;
    setup(&app);
    EXPECT_NEAR(app.win.zoom, 1.0, 0);
    apply(&app, ACT_ZOOM_IN);
    EXPECT(app.win.zoom > 1.0f);
    for (int k = 0; k < 30; k++) apply(&app, ACT_ZOOM_IN);
    EXPECT_NEAR(app.win.zoom, 3.0, 0);
    apply(&app, ACT_ZOOM_OUT);
    EXPECT(app.win.zoom < 3.0f);
    for (int k = 0; k < 60; k++) {
        apply(&app, ACT_ZOOM_OUT);
        EXPECT(app.win.zoom >= 0.5f);
    }
    EXPECT_NEAR(app.win.zoom, 0.5, 0);
    apply(&app, ACT_ZOOM_RESET);
    EXPECT_NEAR(app.win.zoom, 1.0, 0);
    app_free(&app);
}

static void window_actions_leave_requests_and_quit(void)
{
    App app;
    setup(&app);
    EXPECT_INT(app.requests, REQ_NONE);
    apply(&app, ACT_FULLSCREEN_TOGGLE);
    EXPECT_INT(app.requests, REQ_FULLSCREEN);
    apply(&app, ACT_EXPORT_VIEW);
    EXPECT_INT(app.requests, REQ_FULLSCREEN | REQ_EXPORT_VIEW);
    apply(&app, ACT_EXPORT_HEADS);
    EXPECT_INT(app.requests, REQ_FULLSCREEN | REQ_EXPORT_VIEW | REQ_EXPORT_HEADS);
    EXPECT_INT(app.quit, 0);
    unsigned rev = app.revision;
    apply(&app, ACT_QUIT);
    EXPECT_INT(app.quit, 1);
    EXPECT_INT(app.revision, rev);
    app_free(&app);
}

static void hover_records_the_cell_under_the_mouse(void)
{
    App app;
    setup(&app);
    Action a = act(ACT_HOVER);
    a.i = 1;
    a.hit.q = FQ_WEIGHTS;
    a.hit.row = 2;
    a.hit.col = 1;
    a.x = 12.5f;
    a.y = 30.0f;
    app_apply(&app, &a);
    EXPECT_INT(app.hover_on, 1);
    EXPECT_INT(app.hover.q, FQ_WEIGHTS);
    EXPECT_INT(app.hover.row, 2);
    EXPECT_NEAR(app.hover_x, 12.5, 0);
    a.i = 0;
    app_apply(&app, &a);
    EXPECT_INT(app.hover_on, 0);
    app_free(&app);
}

/* ---------------------------------------------------------------- scenes */

static void save_scene_writes_a_file_that_loads_back(void)
{
    App app;
    setup(&app);
    const char *dir = tmp_path("exports");
    apply_text(&app, ACT_TEXT_SET, "save me | now");
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS);
    int heads = app.spec.scene.heads;
    /* save twice with the export folder set, then put the environment back */
    char status[2][sizeof app.status];
    int error[2];
    const char *old = getenv("ATTNLAB_EXPORT_DIR");
    char *saved_env = old ? strdup(old) : NULL;
    setenv("ATTNLAB_EXPORT_DIR", dir, 1);
    for (int k = 0; k < 2; k++) {
        apply(&app, ACT_SAVE_SCENE);
        memcpy(status[k], app.status, sizeof app.status);
        error[k] = app.status_error;
    }
    if (saved_env) setenv("ATTNLAB_EXPORT_DIR", saved_env, 1);
    else unsetenv("ATTNLAB_EXPORT_DIR");
    free(saved_env);
    EXPECT_MSG(error[0] == 0 && error[1] == 0, "status: %s / %s", status[0], status[1]);
    char path[2][1024];
    for (int k = 0; k < 2; k++) {
        const char *p = strstr(status[k], dir);
        EXPECT_MSG(p != NULL, "the status does not name the file: %s", status[k]);
        snprintf(path[k], sizeof path[k], "%s", p);
        struct stat st;
        EXPECT_MSG(stat(path[k], &st) == 0 && S_ISREG(st.st_mode), "no file %s", path[k]);
    }
    EXPECT_MSG(strcmp(path[0], path[1]) != 0, "both saves wrote %s", path[0]);
    SceneSpec sp;
    FigOptions o = fig_options_default();
    char err[512];
    scene_spec_init(&sp);
    int r = scenefile_load(&sp, &o, path[0], err, sizeof err);
    int same = r == 0 && sp.scene.heads == heads && sp.text && strcmp(sp.text, "save me | now") == 0;
    scene_spec_free(&sp);
    EXPECT_MSG(r == 0, "scenefile_load: %s", err);
    EXPECT(same);
    app_free(&app);
}

static void open_scene_applies_its_heads_and_mask(void)
{
    App app;
    setup(&app);
    const char *path = tmp_path("heads3.txt");
    EXPECT(write_text(path, "# attnlab scene\ntext = one two three four five\nheads = 3\nmask = causal\n") == 0);
    apply_i(&app, ACT_QUERY_SET, 3);
    apply_i(&app, ACT_STEP_SET, 4);
    apply_hit(&app, ACT_POKE, FQ_A, 0, 0, 0, 0.5f);
    unsigned rev = app.revision;
    apply_text(&app, ACT_OPEN_SCENE, path);
    EXPECT_MSG(app.status_error == 0, "status: %s", app.status);
    EXPECT(strstr(app.status, path) != NULL);
    EXPECT_INT(app.spec.scene.heads, 3);
    EXPECT_INT(app.spec.scene.mask, ATTN_MASK_CAUSAL);
    EXPECT_INT(app.trace.heads, 3);
    EXPECT_INT(app.trace.n, 5);
    EXPECT_STR(app.trace.tokens[4], "five");
    EXPECT(mask_follows(&app.trace, ATTN_MASK_CAUSAL, 0));
    EXPECT(app.revision > rev);
    EXPECT(app.vec_edit == NULL);
    EXPECT_INT(app.query, 0);
    EXPECT_INT(app.step, 0);
    EXPECT_INT(app.cursor, (int)strlen(app.spec.text));
    app_free(&app);
}

static void open_scene_that_is_malformed_keeps_the_old_scene_and_says_where(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "keep this text");
    int n = app.trace.n, heads = app.trace.heads;
    float *out = copy_floats(app.trace.output, (size_t)n * app.trace.d_model);
    EXPECT(out);
    const char *path = tmp_path("bad.txt");
    EXPECT(write_text(path, "text = other words here\nheads = banana\n") == 0);
    EXPECT_INT(app_open_scene(&app, path), -1);
    EXPECT_INT(app.status_error, 1);
    char where[1100];
    snprintf(where, sizeof where, "%s:2:9:", path);
    EXPECT_MSG(strstr(app.status, where) != NULL, "status \"%s\" does not say %s", app.status, where);
    EXPECT_STR(app.spec.text, "keep this text");
    EXPECT_INT(app.spec.scene.heads, heads);
    EXPECT_INT(app.have_trace, 1);
    EXPECT_INT(app.trace.n, n);
    EXPECT_ALL_NEAR(app.trace.output, out, n * app.trace.d_model, 0);
    free(out);
    /* a missing file */
    EXPECT_INT(app_open_scene(&app, tmp_path("no-such-scene.txt")), -1);
    EXPECT_INT(app.status_error, 1);
    EXPECT_STR(app.spec.text, "keep this text");
    app_free(&app);
}

static void open_scene_whose_files_fail_restores_the_old_scene_and_edits(void)
{
    App app;
    setup(&app);
    int n = app.trace.n, dm = app.trace.d_model;
    apply_hit(&app, ACT_POKE, FQ_A, 0, 1, 1, 0.5f);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 0, 2, 0);
    float *out = copy_floats(app.trace.output, (size_t)n * dm);
    EXPECT(out);
    const char *path = tmp_path("missing-graph.txt");
    EXPECT(write_text(path, "text = a b c\nheads = 4\nmask = graph:no-such-edges.txt\n") == 0);
    EXPECT_INT(app_open_scene(&app, path), -1);
    EXPECT_INT(app.status_error, 1);
    EXPECT(strstr(app.status, "no-such-edges.txt") != NULL);
    EXPECT_STR(app.spec.text, "I saw a saw");
    EXPECT_INT(app.trace.heads, 2);
    EXPECT(app.vec_edit != NULL && app.mask_edit != NULL);
    EXPECT_INT(attn_allowed(&app.trace, 0, 2), 0);
    EXPECT_ALL_NEAR(app.trace.output, out, n * dm, 0);
    EXPECT_INT(app.base_dir[0], 0);
    free(out);
    app_free(&app);
}

static void open_scene_resolves_a_graph_file_against_the_scene_files_folder(void)
{
    App app;
    setup(&app);
    const char *dir = tmp_path("scenes");
    EXPECT(mkdir(dir, 0755) == 0);
    char edges[1100], scene[1100];
    snprintf(edges, sizeof edges, "%s/edges.txt", dir);
    snprintf(scene, sizeof scene, "%s/graph-scene.txt", dir);
    EXPECT(write_text(edges, "# a path\n1 2\n2-3\n") == 0);
    EXPECT(write_text(scene, "text = a b c d\nmask = graph:edges.txt\n") == 0);
    EXPECT_INT(app_open_scene(&app, scene), 0);
    EXPECT_STR(app.base_dir, dir);
    EXPECT_INT(app.trace.mask, ATTN_MASK_GRAPH);
    static const int want[4][4] = {{1, 1, 0, 0}, {1, 1, 1, 0}, {0, 1, 1, 0}, {0, 0, 0, 1}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) EXPECT_INT(attn_allowed(&app.trace, i, j), want[i][j]);
    /* later changes still find the file */
    apply_i(&app, ACT_FIELD_NEXT, FIELD_HEADS);
    EXPECT_MSG(app.status_error == 0, "status: %s", app.status);
    EXPECT_INT(app.trace.heads, app.spec.scene.heads);
    EXPECT_INT(app.trace.mask, ATTN_MASK_GRAPH);
    EXPECT_INT(attn_allowed(&app.trace, 0, 2), 0);
    app_free(&app);
}

/* ---------------------------------------------------------------- captions */

static void captions_have_a_title_and_body_for_every_step(void)
{
    App app;
    setup(&app);
    char title[512], body[2048];
    for (int variant = 0; variant < 4; variant++) {
        if (variant == 1) apply_i(&app, ACT_FIELD_NEXT, FIELD_SCORE);  /* additive */
        if (variant == 2) apply_i(&app, ACT_FIELD_NEXT, FIELD_SCORE);  /* dot */
        if (variant == 3) {
            apply_i(&app, ACT_FIELD_NEXT, FIELD_NORM);
            apply_i(&app, ACT_FIELD_NEXT, FIELD_ORIENT);
            apply_i(&app, ACT_QUERY_SET, app.trace.n - 1);
        }
        for (int s = 0; s < STEP_COUNT; s++) {
            title[0] = body[0] = 0;
            app_step_caption(&app, s, title, sizeof title, body, sizeof body);
            EXPECT_MSG(title[0] && body[0], "step %d (variant %d) has an empty caption", s, variant);
        }
    }
    app_free(&app);
}

static void caption_of_softmax_names_the_key_with_the_largest_weight(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "the cat sat on mats");
    int n = app.trace.n;
    EXPECT_INT(n, 5);
    char title[512], body[2048], num[32], want[128];
    for (int h = 0; h < app.trace.heads; h++) {
        for (int i = 0; i < n; i++) {
            apply_i(&app, ACT_QUERY_SET, i);
            const float *w = app.trace.head[h].weights + (size_t)i * n;
            int best = 0;
            for (int j = 1; j < n; j++) if (w[j] > w[best]) best = j;
            app_step_caption(&app, STEP_SOFTMAX, title, sizeof title, body, sizeof body);
            snprintf(want, sizeof want, "key %d (\"%s\")", best + 1, app.trace.tokens[best]);
            EXPECT_MSG(strstr(body, want) != NULL, "head %d query %d: \"%s\" lacks %s", h, i, body, want);
            explain_num(num, sizeof num, w[best]);
            EXPECT_MSG(strstr(body, num) != NULL, "head %d query %d: \"%s\" lacks %s", h, i, body, num);
            for (int j = 0; j < n; j++) {
                if (j == best) continue;
                snprintf(want, sizeof want, "\"%s\"", app.trace.tokens[j]);
                EXPECT_MSG(strstr(body, want) == NULL, "head %d query %d names %s too", h, i, want);
            }
        }
        apply_i(&app, ACT_FIELD_NEXT, FIELD_HEAD);
    }
    app_free(&app);
}

static void caption_of_scaling_names_the_square_root_of_d_head(void)
{
    App app;
    setup(&app);
    char title[512], body[2048], want[64], num[32];
    EXPECT_INT(app.trace.score, ATTN_SCORE_SCALED);
    for (int k = 0; k < 2; k++) {
        int dh = app.trace.d_head;
        app_step_caption(&app, STEP_SCALE, title, sizeof title, body, sizeof body);
        snprintf(want, sizeof want, "√%d", dh);
        EXPECT_MSG(strstr(title, want) != NULL, "\"%s\" lacks %s", title, want);
        explain_num(num, sizeof num, sqrtf((float)dh));
        EXPECT_MSG(strstr(body, num) != NULL, "\"%s\" lacks %s", body, num);
        apply_i(&app, ACT_FIELD_NEXT, FIELD_D_HEAD);
        EXPECT(app.trace.d_head != dh);
    }
    /* plain dot products are not scaled, and the caption says by what they would be */
    while (app.trace.score != ATTN_SCORE_DOT) apply_i(&app, ACT_FIELD_NEXT, FIELD_SCORE);
    app_step_caption(&app, STEP_SCALE, title, sizeof title, body, sizeof body);
    EXPECT_MSG(strstr(body, "√d_head") != NULL, "\"%s\"", body);
    EXPECT(strstr(body, attn_score_name(ATTN_SCORE_DOT)) != NULL);
    app_free(&app);
}

static void caption_of_the_mask_counts_the_hidden_keys(void)
{
    App app;
    setup(&app);
    apply_text(&app, ACT_TEXT_SET, "a b c d e f");
    apply_i(&app, ACT_FIELD_NEXT, FIELD_MASK);
    EXPECT_INT(app.trace.mask, ATTN_MASK_CAUSAL);
    int n = app.trace.n;
    char title[512], body[2048], want[64];
    for (int i = 0; i < n; i++) {
        apply_i(&app, ACT_QUERY_SET, i);
        app_step_caption(&app, STEP_MASK, title, sizeof title, body, sizeof body);
        snprintf(want, sizeof want, "%d of %d keys are hidden", n - 1 - i, n);
        EXPECT_MSG(strstr(body, want) == body, "query %d: \"%s\"", i, body);
    }
    /* one more hidden by hand */
    apply_i(&app, ACT_QUERY_SET, 3);
    apply_hit(&app, ACT_MASK_TOGGLE, FQ_MASK, 0, 3, 0, 0);
    app_step_caption(&app, STEP_MASK, title, sizeof title, body, sizeof body);
    snprintf(want, sizeof want, "%d of %d keys are hidden", n - 1 - 3 + 1, n);
    EXPECT_MSG(strstr(body, want) == body, "\"%s\"", body);
    app_free(&app);
}

/* ---------------------------------------------------------------- suite */

/* The cross tab computes the scene's sentence pair with its scoring, and follows both keys. */
static void cross_tab_follows_the_pair_and_the_scoring(void)
{
    static App app;
    setup(&app);
    EXPECT(app.have_cross);
    EXPECT_INT(app.cross.n_src, 4); /* french by default */
    EXPECT_INT(app.cross.score, CROSS_SCORE_DOT);
    char err[256];
    EXPECT(scene_set(&app.spec, "cross", "german", err, sizeof err) == 0);
    EXPECT(scene_set(&app.spec, "cross-score", "additive", err, sizeof err) == 0);
    app_recompute(&app);
    EXPECT(app.have_cross);
    EXPECT_INT(app.cross.n_src, 5);
    EXPECT_INT(app.cross.n_tgt, 5);
    EXPECT_INT(app.cross.score, CROSS_SCORE_ADDITIVE);
    EXPECT_STR(app.cross_scene.tgt_words[4], "esse");
    /* "esse" looks back to "eat" */
    const float *w = app.cross.weights + 4 * 5;
    for (int j = 0; j < 5; j++) EXPECT(j == 2 || w[j] < w[2]);
    EXPECT_INT(app_tab_view(TAB_CROSS), FIG_CROSS);
    app_free(&app);
}

void suite_app(void)
{
    RUN(cross_tab_follows_the_pair_and_the_scoring);
    RUN(typing_chinese_one_character_at_a_time_gives_one_token_each);
    RUN(typing_backspace_and_cursor_moves_go_by_whole_characters);
    RUN(typing_a_bar_gives_explicit_tokens);
    RUN(typing_newlines_and_tabs_become_spaces);
    RUN(typing_away_every_token_keeps_the_last_trace_and_says_why);
    RUN(typing_bumps_the_revision_exactly_when_the_trace_changes);
    RUN(stepping_next_three_times_reaches_step_three);
    RUN(stepping_past_the_last_step_moves_to_the_next_query);
    RUN(stepping_back_from_step_zero_goes_to_the_previous_querys_last_step);
    RUN(stepping_past_the_very_end_stays_and_says_so);
    RUN(stepping_outside_the_step_tab_changes_tab);
    RUN(query_set_next_prev_stay_within_the_tokens);
    RUN(field_heads_adds_a_head_and_the_trace_follows);
    RUN(field_d_model_and_d_head_step_through_their_lists);
    RUN(field_mask_cycles_none_causal_window_padding_and_the_trace_follows);
    RUN(field_mask_param_changes_the_window);
    RUN(field_score_cycles_and_the_scale_follows);
    RUN(field_temperature_changes_the_traces_temperature);
    RUN(field_head_cycles_the_shown_head_within_the_heads);
    RUN(field_head_stays_within_the_computed_heads_while_the_scene_is_broken);
    RUN(field_display_options_change_the_figure_not_the_trace);
    RUN(field_values_are_readable_for_every_field);
    RUN(poke_on_an_input_cell_edits_a_and_recomputes);
    RUN(poke_on_wq_and_wo_edits_the_weights_by_exactly_the_amount);
    RUN(poke_on_a_computed_cell_only_explains);
    RUN(poke_clamps_values_to_a_thousand);
    RUN(reset_drops_every_edit_and_restores_the_numbers_exactly);
    RUN(poke_edits_are_dropped_when_the_shape_changes);
    RUN(poke_while_the_scene_is_broken_sizes_the_edit_by_the_trace);
    RUN(mask_toggle_hides_one_key_and_keeps_the_row_normalised);
    RUN(mask_toggle_then_reset_brings_the_plain_scene_back);
    RUN(mask_toggle_every_key_of_a_row_gives_an_empty_flagged_row);
    RUN(zoom_about_a_weights_cell_halves_the_range_around_it);
    RUN(escape_clears_the_zoom_when_nothing_else_is_open);
    RUN(overlays_toggle_and_escape_closes_them_in_order);
    RUN(zoom_keys_keep_the_zoom_within_half_and_three);
    RUN(window_actions_leave_requests_and_quit);
    RUN(hover_records_the_cell_under_the_mouse);
    RUN(save_scene_writes_a_file_that_loads_back);
    RUN(open_scene_applies_its_heads_and_mask);
    RUN(open_scene_that_is_malformed_keeps_the_old_scene_and_says_where);
    RUN(open_scene_whose_files_fail_restores_the_old_scene_and_edits);
    RUN(open_scene_resolves_a_graph_file_against_the_scene_files_folder);
    RUN(captions_have_a_title_and_body_for_every_step);
    RUN(caption_of_softmax_names_the_key_with_the_largest_weight);
    RUN(caption_of_scaling_names_the_square_root_of_d_head);
    RUN(caption_of_the_mask_counts_the_hidden_keys);
}
