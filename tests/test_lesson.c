/* test_lesson.c: tests for lesson.c: a whole lesson parsed into its exact structure, styles,
 * maths set in Unicode, malformed lessons with their exact line:column, limits and CRLF. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/lesson/lesson.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- helpers */

/* Parses md as "t.md"; fails (at the caller's line) when it does not parse. */
static int parse_at(Lesson *l, const char *md, int line)
{
    char err[512];
    if (lesson_parse(l, md, strlen(md), "t.md", err, sizeof err) != 0) {
        test_fail(__FILE__, line, "the lesson did not parse: %s", err);
        return 0;
    }
    return 1;
}
#define PARSE(l, md) do { if (!parse_at((l), (md), __LINE__)) return; } while (0)

/* Fails unless parsing md fails with a message that starts with where ("t.md:L:C: ") and
 * contains what, and leaves the lesson empty. */
static int fails_at(const char *md, size_t len, const char *where, const char *what, int line)
{
    Lesson l;
    char err[512];
    memset(&l, 0x5A, sizeof l);
    int rc = lesson_parse(&l, md, len, "t.md", err, sizeof err);
    if (rc == 0) {
        test_fail(__FILE__, line, "parsed, expected the error %s%s", where, what);
        lesson_free(&l);
        return 0;
    }
    if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, what)) {
        test_fail(__FILE__, line, "error \"%s\", expected \"%s...%s...\"", err, where, what);
        return 0;
    }
    if (l.n_steps != 0 || l.steps != NULL || l.title != NULL) {
        test_fail(__FILE__, line, "a failed parse left a lesson behind");
        return 0;
    }
    return 1;
}
#define EXPECT_FAILS(md, where, what) \
    do { if (!fails_at((md), strlen(md), (where), (what), __LINE__)) return; } while (0)

/* Fails unless run r has this style and text. */
static int run_is(const LessonRun *r, int style, const char *text, int line)
{
    if (r->style != style || strcmp(r->text, text) != 0) {
        test_fail(__FILE__, line, "run {%d, \"%s\"}, expected {%d, \"%s\"}", r->style, r->text,
                  style, text);
        return 0;
    }
    return 1;
}
#define EXPECT_RUN(r, style, text) do { if (!run_is((r), (style), (text), __LINE__)) return; } while (0)

static int para_is(const LessonPara *p, LessonParaKind kind, int number, int depth, int n_runs,
                   int pline, int pcol, int line)
{
    if (p->kind != kind || p->number != number || p->depth != depth || p->n_runs != n_runs ||
        p->line != pline || p->col != pcol) {
        test_fail(__FILE__, line,
                  "paragraph {kind %d, number %d, depth %d, %d runs, at %d:%d}, expected "
                  "{kind %d, number %d, depth %d, %d runs, at %d:%d}",
                  p->kind, p->number, p->depth, p->n_runs, p->line, p->col, kind, number, depth,
                  n_runs, pline, pcol);
        return 0;
    }
    return 1;
}
#define EXPECT_PARA(p, kind, number, depth, n_runs, pline, pcol) \
    do { if (!para_is((p), (kind), (number), (depth), (n_runs), (pline), (pcol), __LINE__)) return; } while (0)

static int kv_is(const LessonKV *kv, const char *key, const char *value, int kline, int kcol,
                 int vcol, int line)
{
    if (strcmp(kv->key, key) != 0 || strcmp(kv->value, value) != 0 || kv->line != kline ||
        kv->col != kcol || kv->col_value != vcol) {
        test_fail(__FILE__, line, "key {\"%s\" = \"%s\" at %d:%d, value at %d}, expected "
                  "{\"%s\" = \"%s\" at %d:%d, value at %d}", kv->key, kv->value, kv->line, kv->col,
                  kv->col_value, key, value, kline, kcol, vcol);
        return 0;
    }
    return 1;
}
#define EXPECT_KV(kv, key, value, kline, kcol, vcol) \
    do { if (!kv_is((kv), (key), (value), (kline), (kcol), (vcol), __LINE__)) return; } while (0)

/* ---------------------------------------------------------------- a whole lesson */

static const char full_lesson[] =
    "# Attention, *step by step*\n"                                       /* 1 */
    "\n"
    "Welcome: we compute $\\alpha'_{i,j}$ by hand.\n"                     /* 3 */
    "\n"
    "## Queries meet keys\n"                                              /* 5 */
    "\n"
    "Each query is compared with **every** key\n"                         /* 7 */
    "using `dot` products.\n"
    "\n"
    "- scores grow with $\\sqrt{d_k}$\n"                                  /* 10 */
    "- so we *scale* them\n"
    "  1. divide\n"                                                       /* 12 */
    "  2. softmax\n"
    "\n"
    "```scene\n"                                                          /* 15 */
    "text = I saw a saw\n"
    "# a comment\n"
    "\n"
    "heads = 1\n"                                                         /* 19 */
    "  tab   =   weights  \n"
    "```\n"
    "\n"
    "## Predict\n"                                                        /* 23 */
    "\n"
    "3. first\n"                                                          /* 25 */
    "4. second\n"
    "\n"
    "```question\n"                                                       /* 28 */
    "ask = Which key does query $q_3$ attend to most?\n"
    "choices = I | saw | a | saw\n"                                       /* 30 */
    "answer = 4\n"
    "reveal = Key 4 is the *second* **saw**: see `weights` and $QK^T$.\n"
    "```\n"
    "\n"
    "```reveal\n"                                                         /* 35 */
    "score = dot\n"
    "```\n"
    "\n"
    "## Look\n"                                                           /* 39 */
    "\n"
    "![The weights, *scaled*](figures/weights.png)\n"                     /* 41 */
    "\n"
    "### Why it matters\n"                                                /* 43 */
    "\n"
    "Done.\n";                                                            /* 45 */

static void full_lesson_parses_into_its_exact_structure(void)
{
    Lesson l;
    PARSE(&l, full_lesson);
    const LessonStep *s;
    const LessonPara *p;
    EXPECT_STR(l.title, "Attention, step by step");
    EXPECT_INT(l.n_steps, 4);

    /* the text before the first "## " is the introduction */
    s = &l.steps[0];
    EXPECT_STR(s->title, "Attention, step by step");
    EXPECT_INT(s->line, 1);
    EXPECT_INT(s->n_paras, 1);
    EXPECT_INT(s->n_scene, 0);
    EXPECT_INT(s->has_question, 0);
    p = &s->paras[0];
    EXPECT_PARA(p, LP_PARA, 0, 0, 3, 3, 1);
    EXPECT_RUN(&p->runs[0], 0, "Welcome: we compute ");
    EXPECT_RUN(&p->runs[1], LESSON_MATH, "α′ᵢ,ⱼ");
    EXPECT_RUN(&p->runs[2], 0, " by hand.");

    s = &l.steps[1];
    EXPECT_STR(s->title, "Queries meet keys");
    EXPECT_INT(s->line, 5);
    EXPECT_INT(s->n_paras, 5);
    p = &s->paras[0];   /* a soft line break is a space */
    EXPECT_PARA(p, LP_PARA, 0, 0, 5, 7, 1);
    EXPECT_RUN(&p->runs[0], 0, "Each query is compared with ");
    EXPECT_RUN(&p->runs[1], LESSON_STRONG, "every");
    EXPECT_RUN(&p->runs[2], 0, " key using ");
    EXPECT_RUN(&p->runs[3], LESSON_CODE, "dot");
    EXPECT_RUN(&p->runs[4], 0, " products.");
    p = &s->paras[1];
    EXPECT_PARA(p, LP_BULLET, 0, 0, 2, 10, 3);
    EXPECT_RUN(&p->runs[0], 0, "scores grow with ");
    EXPECT_RUN(&p->runs[1], LESSON_MATH, "√dₖ");
    p = &s->paras[2];
    EXPECT_PARA(p, LP_BULLET, 0, 0, 3, 11, 3);
    EXPECT_RUN(&p->runs[0], 0, "so we ");
    EXPECT_RUN(&p->runs[1], LESSON_EM, "scale");
    EXPECT_RUN(&p->runs[2], 0, " them");
    EXPECT_PARA(&s->paras[3], LP_NUMBERED, 1, 1, 1, 12, 6);
    EXPECT_RUN(&s->paras[3].runs[0], 0, "divide");
    EXPECT_PARA(&s->paras[4], LP_NUMBERED, 2, 1, 1, 13, 6);
    EXPECT_RUN(&s->paras[4].runs[0], 0, "softmax");
    /* comments and blank lines skipped, keys and values trimmed */
    EXPECT_INT(s->n_scene, 3);
    EXPECT_KV(&s->scene[0], "text", "I saw a saw", 16, 1, 8);
    EXPECT_KV(&s->scene[1], "heads", "1", 19, 1, 9);
    EXPECT_KV(&s->scene[2], "tab", "weights", 20, 3, 13);
    EXPECT_INT(s->has_question, 0);

    s = &l.steps[2];
    EXPECT_STR(s->title, "Predict");
    EXPECT_INT(s->line, 23);
    EXPECT_INT(s->n_paras, 2);   /* a numbered list keeps its start */
    EXPECT_PARA(&s->paras[0], LP_NUMBERED, 3, 0, 1, 25, 4);
    EXPECT_RUN(&s->paras[0].runs[0], 0, "first");
    EXPECT_PARA(&s->paras[1], LP_NUMBERED, 4, 0, 1, 26, 4);
    EXPECT_INT(s->n_scene, 0);
    EXPECT_INT(s->has_question, 1);
    EXPECT_INT(s->q_line, 28);
    EXPECT_INT(s->n_question, 4);
    EXPECT_KV(&s->question[0], "ask", "Which key does query $q_3$ attend to most?", 29, 1, 7);
    EXPECT_KV(&s->question[1], "choices", "I | saw | a | saw", 30, 1, 11);
    EXPECT_KV(&s->question[2], "answer", "4", 31, 1, 10);
    EXPECT_KV(&s->question[3], "reveal",
              "Key 4 is the *second* **saw**: see `weights` and $QK^T$.", 32, 1, 10);
    EXPECT_STR(s->ask, "Which key does query q₃ attend to most?");
    EXPECT_INT(s->n_choices, 4);
    EXPECT_STR(s->choices[0], "I");
    EXPECT_STR(s->choices[1], "saw");
    EXPECT_STR(s->choices[2], "a");
    EXPECT_STR(s->choices[3], "saw");
    EXPECT_INT(s->answer, 4);
    EXPECT_NEAR(s->tolerance, 0.01, 1e-12);
    EXPECT_INT(s->n_reveal_runs, 9);
    EXPECT_RUN(&s->reveal_runs[0], 0, "Key 4 is the ");
    EXPECT_RUN(&s->reveal_runs[1], LESSON_EM, "second");
    EXPECT_RUN(&s->reveal_runs[2], 0, " ");
    EXPECT_RUN(&s->reveal_runs[3], LESSON_STRONG, "saw");
    EXPECT_RUN(&s->reveal_runs[4], 0, ": see ");
    EXPECT_RUN(&s->reveal_runs[5], LESSON_CODE, "weights");
    EXPECT_RUN(&s->reveal_runs[6], 0, " and ");
    EXPECT_RUN(&s->reveal_runs[7], LESSON_MATH, "QKᵀ");
    EXPECT_RUN(&s->reveal_runs[8], 0, ".");
    EXPECT_INT(s->n_reveal, 1);
    EXPECT_KV(&s->reveal[0], "score", "dot", 36, 1, 9);

    s = &l.steps[3];
    EXPECT_STR(s->title, "Look");
    EXPECT_INT(s->line, 39);
    EXPECT_INT(s->n_paras, 3);
    p = &s->paras[0];
    EXPECT_PARA(p, LP_IMAGE, 0, 0, 2, 41, 1);
    EXPECT_STR(p->image, "figures/weights.png");
    EXPECT_RUN(&p->runs[0], 0, "The weights, ");
    EXPECT_RUN(&p->runs[1], LESSON_EM, "scaled");
    EXPECT_PARA(&s->paras[1], LP_HEADING, 0, 0, 1, 43, 1);
    EXPECT_RUN(&s->paras[1].runs[0], 0, "Why it matters");
    EXPECT_PARA(&s->paras[2], LP_PARA, 0, 0, 1, 45, 1);
    EXPECT_RUN(&s->paras[2].runs[0], 0, "Done.");
    lesson_free(&l);
    EXPECT(l.steps == NULL && l.n_steps == 0 && l.title == NULL);
}

static void step_text_is_the_plain_narration(void)
{
    Lesson l;
    PARSE(&l, full_lesson);
    char *t1 = lesson_step_text(&l.steps[1]), *t2 = lesson_step_text(&l.steps[2]);
    char *t3 = lesson_step_text(&l.steps[3]);
    int ok = t1 && t2 && t3 &&
             strcmp(t1, "Each query is compared with every key using dot products.\n\n"
                        "• scores grow with √dₖ\n• so we scale them\n  1. divide\n  2. softmax") == 0 &&
             strcmp(t2, "3. first\n4. second") == 0 &&
             strcmp(t3, "The weights, scaled\n\nWhy it matters\n\nDone.") == 0;
    if (!ok) test_fail(__FILE__, __LINE__, "step texts:\n[%s]\n[%s]\n[%s]", t1, t2, t3);
    free(t1);
    free(t2);
    free(t3);
    lesson_free(&l);
}

/* ---------------------------------------------------------------- narration details */

static void nested_emphasis_combines_style_bits(void)
{
    Lesson l;
    PARSE(&l, "# T\n\n***both*** and *em **em-strong** `code` $x^2$* end\n");
    const LessonPara *p = &l.steps[0].paras[0];
    EXPECT_INT(p->n_runs, 9);
    EXPECT_RUN(&p->runs[0], LESSON_EM | LESSON_STRONG, "both");
    EXPECT_RUN(&p->runs[1], 0, " and ");
    EXPECT_RUN(&p->runs[2], LESSON_EM, "em ");
    EXPECT_RUN(&p->runs[3], LESSON_EM | LESSON_STRONG, "em-strong");
    EXPECT_RUN(&p->runs[4], LESSON_EM, " ");
    EXPECT_RUN(&p->runs[5], LESSON_EM | LESSON_CODE, "code");
    /* (the space between code and maths is an EM run of its own) */
    EXPECT_RUN(&p->runs[6], LESSON_EM, " ");
    EXPECT_RUN(&p->runs[7], LESSON_EM | LESSON_MATH, "x²");
    EXPECT_RUN(&p->runs[8], 0, " end");
    lesson_free(&l);
}

static void links_show_their_text_and_breaks_are_spaces(void)
{
    Lesson l;
    PARSE(&l, "# T\n\nSee [the *guide*](http://x.org) now\\\nand &amp; then\n");
    const LessonPara *p = &l.steps[0].paras[0];
    EXPECT_INT(p->n_runs, 3);
    EXPECT_RUN(&p->runs[0], 0, "See the ");
    EXPECT_RUN(&p->runs[1], LESSON_EM, "guide");
    EXPECT_RUN(&p->runs[2], 0, " now and & then");
    lesson_free(&l);
}

static void image_splits_its_paragraph_and_stays_without_alt_text(void)
{
    Lesson l;
    PARSE(&l, "# T\n\nBefore ![](fig/a.png) after.\n");
    const LessonStep *s = &l.steps[0];
    EXPECT_INT(s->n_paras, 3);
    EXPECT_PARA(&s->paras[0], LP_PARA, 0, 0, 1, 3, 1);
    EXPECT_RUN(&s->paras[0].runs[0], 0, "Before");
    EXPECT_PARA(&s->paras[1], LP_IMAGE, 0, 0, 0, 3, 8);
    EXPECT_STR(s->paras[1].image, "fig/a.png");
    EXPECT_PARA(&s->paras[2], LP_PARA, 0, 0, 1, 3, 22);   /* its first text, the space */
    EXPECT_RUN(&s->paras[2].runs[0], 0, "after.");
    lesson_free(&l);
}

static void title_and_text_only_is_one_step(void)
{
    Lesson l;
    PARSE(&l, "# Only a title\n\nAnd some text.\n");
    EXPECT_STR(l.title, "Only a title");
    EXPECT_INT(l.n_steps, 1);
    EXPECT_STR(l.steps[0].title, "Only a title");
    EXPECT_INT(l.steps[0].line, 1);
    EXPECT_INT(l.steps[0].n_paras, 1);
    EXPECT_PARA(&l.steps[0].paras[0], LP_PARA, 0, 0, 1, 3, 1);
    EXPECT_RUN(&l.steps[0].paras[0].runs[0], 0, "And some text.");
    lesson_free(&l);
}

static void no_introduction_without_text_before_the_first_step(void)
{
    Lesson l;
    PARSE(&l, "# T\n\n\n## One\n\nx\n\n## Two\n\ny\n");
    EXPECT_INT(l.n_steps, 2);
    EXPECT_STR(l.steps[0].title, "One");
    EXPECT_INT(l.steps[0].line, 4);
    EXPECT_STR(l.steps[1].title, "Two");
    EXPECT_INT(l.steps[1].line, 8);
    lesson_free(&l);
}

static void loose_list_items_keep_their_bullets_and_continuations(void)
{
    Lesson l;
    PARSE(&l, "# T\n\n- first\n\n  more of the first\n\n- second\n");
    const LessonStep *s = &l.steps[0];
    EXPECT_INT(s->n_paras, 3);
    EXPECT_PARA(&s->paras[0], LP_BULLET, 0, 0, 1, 3, 3);
    EXPECT_PARA(&s->paras[1], LP_PARA, 0, 1, 1, 5, 3);
    EXPECT_RUN(&s->paras[1].runs[0], 0, "more of the first");
    EXPECT_PARA(&s->paras[2], LP_BULLET, 0, 0, 1, 7, 3);
    lesson_free(&l);
}

static void numeric_question_has_number_and_tolerance(void)
{
    Lesson l;
    PARSE(&l, "# T\n\n## S\n\n```question\nask = The weight?\nanswer = 0.25\ntolerance = 0.005\n```\n");
    const LessonStep *s = &l.steps[0];
    EXPECT_INT(s->has_question, 1);
    EXPECT_INT(s->n_choices, 0);
    EXPECT_INT(s->answer, 0);
    EXPECT_NEAR(s->number, 0.25, 1e-12);
    EXPECT_NEAR(s->tolerance, 0.005, 1e-12);
    EXPECT_INT(s->n_reveal_runs, 0);
    lesson_free(&l);
}

static void crlf_line_ends_give_the_same_lines_and_columns(void)
{
    size_t n = strlen(full_lesson), k = 0;
    char *crlf = malloc(2 * n + 1);
    EXPECT(crlf != NULL);
    for (size_t i = 0; i < n; i++) {
        if (full_lesson[i] == '\n') crlf[k++] = '\r';
        crlf[k++] = full_lesson[i];
    }
    crlf[k] = '\0';
    Lesson a, b;
    char err[512];
    int ra = lesson_parse(&a, full_lesson, n, "t.md", err, sizeof err);
    int rb = lesson_parse(&b, crlf, k, "t.md", err, sizeof err);
    free(crlf);
    EXPECT_MSG(ra == 0 && rb == 0, "parse failed: %s", err);
    int same = a.n_steps == b.n_steps;
    for (int i = 0; same && i < a.n_steps; i++) {
        const LessonStep *x = &a.steps[i], *y = &b.steps[i];
        same = x->line == y->line && x->n_paras == y->n_paras && x->n_scene == y->n_scene &&
               x->n_question == y->n_question && x->q_line == y->q_line && !strcmp(x->title, y->title);
        for (int j = 0; same && j < x->n_paras; j++)
            same = x->paras[j].line == y->paras[j].line && x->paras[j].col == y->paras[j].col &&
                   x->paras[j].n_runs == y->paras[j].n_runs &&
                   !strcmp(x->paras[j].runs[x->paras[j].n_runs - 1].text,
                           y->paras[j].runs[y->paras[j].n_runs - 1].text);
        for (int j = 0; same && j < x->n_scene; j++)
            same = x->scene[j].line == y->scene[j].line && x->scene[j].col == y->scene[j].col &&
                   x->scene[j].col_value == y->scene[j].col_value &&
                   !strcmp(x->scene[j].value, y->scene[j].value);
        for (int j = 0; same && j < x->n_question; j++)
            same = x->question[j].line == y->question[j].line &&
                   x->question[j].col_value == y->question[j].col_value &&
                   !strcmp(x->question[j].value, y->question[j].value);
    }
    lesson_free(&a);
    lesson_free(&b);
    EXPECT_MSG(same, "the CRLF lesson differs from the LF one");
    /* and errors point at the same place */
    EXPECT_FAILS("# T\r\n\r\n## S\r\n\r\n```scene\r\n  text = a\r\n  oops\r\n```\r\n", "t.md:7:3: ",
                 "expected key = value");
}

/* ---------------------------------------------------------------- maths */

static void maths_is_set_in_unicode(void)
{
    static const char *const cases[][2] = {
        {"\\alpha", "α"},
        {"\\alpha'", "α′"},
        {"\\alpha''", "α″"},
        {"\\alpha'_{i,j}", "α′ᵢ,ⱼ"},
        {"\\alpha'_{2,3} = q^2 \\cdot k^3 / \\sqrt{d_k}", "α′₂,₃ = q² · k³ / √dₖ"},
        {"\\sqrt{d_k}", "√dₖ"},
        {"\\sqrt{d}", "√d"},
        {"\\sqrt{x+1}", "√(x+1)"},
        {"\\sqrt{15} + \\sqrt{QK}", "√15 + √(QK)"},
        {"\\sum_j", "Σⱼ"},
        {"\\sum_{j=1}^{n}", "Σⱼ₌₁ⁿ"},
        {"\\prod_i", "Πᵢ"},
        {"x^2", "x²"},
        {"q^{i}", "qⁱ"},
        {"a_{i,j}", "aᵢ,ⱼ"},
        {"QK^T", "QKᵀ"},
        {"K^\\top Q", "Kᵀ Q"},
        {"\\frac{QK^T}{\\sqrt{d}}", "QKᵀ/√d"},
        {"\\frac{a+b}{2}", "(a+b)/2"},
        {"\\frac{1}{n}", "1/n"},
        {"e^{-x}", "e⁻ˣ"},
        {"\\Sigma \\Delta \\Pi \\Omega \\omega \\beta \\gamma \\theta \\lambda \\sigma \\tau \\pi",
         "Σ Δ Π Ω ω β γ θ λ σ τ π"},
        {"a \\cdot b \\times c", "a · b × c"},
        {"\\infty \\leq \\geq \\neq \\approx \\to \\in", "∞ ≤ ≥ ≠ ≈ → ∈"},
        {"\\exp(x) \\log y \\ln z", "exp(x) log y ln z"},
        {"\\softmax(x_1, \\ldots, x_n) \\dots", "softmax(x₁, …, xₙ) …"},
        {"\\mathrm{softmax}\\left(\\frac{QK^T}{\\sqrt{d_k}}\\right)V", "softmax(QKᵀ/√dₖ)V"},
        {"\\text{if } x", "if x"},
        {"\\{a\\}\\,b\\;c\\ d", "{a} b c d"},
        {"\\foo{y}", "fooy"},
        {"x_{10} + y^{n+1}", "x₁₀ + yⁿ⁺¹"},
        {"W^Q_i", "W^(Q)ᵢ"},
        {"x_\\beta", "x_(β)"},
        {"x_{(1)}", "x_(1)"},
        {"h^{(l)}", "h^(l)"},
        {"e^{x_i}", "e^(xᵢ)"},
        {"x_{i, j}", "xᵢ,ⱼ"},   /* spaces in a script group do not count, as in TeX */
        {"x_{a b}", "x_(a b)"},
    };
    char out[256];
    int n = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n; i++) {
        lesson_math(out, sizeof out, cases[i][0]);
        EXPECT_MSG(strcmp(out, cases[i][1]) == 0, "lesson_math(\"%s\") = \"%s\", expected \"%s\"",
                   cases[i][0], out, cases[i][1]);
    }
}

static void maths_truncates_between_characters(void)
{
    char out[8];
    memset(out, 'z', sizeof out);
    lesson_math(out, 1, "\\alpha");
    EXPECT_STR(out, "");
    lesson_math(out, 2, "\\alpha");   /* α is 2 bytes: it does not fit with the NUL */
    EXPECT_STR(out, "");
    lesson_math(out, 3, "\\alpha");
    EXPECT_STR(out, "α");
    lesson_math(out, 6, "\\alpha\\beta\\gamma");   /* 5 bytes fit: α β, not half of γ */
    EXPECT_STR(out, "αβ");
    lesson_math(out, sizeof out, "x^{2}_{i}");
    EXPECT_STR(out, "x²ᵢ");
    lesson_math(out, 4, "x^{2}_{i}");   /* "x" + "²" is 3 bytes */
    EXPECT_STR(out, "x²");
}

/* ---------------------------------------------------------------- malformed lessons */

static void unterminated_fence_is_reported_at_its_opening(void)
{
    EXPECT_FAILS("# T\n\n## S\n\n```scene\ntext = a b\n\nmore\n", "t.md:5:1: ",
                 "unterminated ```scene block (no closing fence)");
    /* a shorter fence or one of the other character does not close it */
    EXPECT_FAILS("# T\n\n  ~~~~question\nask = x\n~~~\n```\n", "t.md:3:3: ",
                 "unterminated ~~~~question block");
}

static void unknown_or_missing_block_tag_is_an_error(void)
{
    EXPECT_FAILS("# T\n\n## S\n\n```python\nx = 1\n```\n", "t.md:5:4: ",
                 "unknown block 'python' (allowed: scene, question, reveal)");
    EXPECT_FAILS("# T\n\n## S\n\n```scene\n```\n\n```\nx = 1\n```\n", "t.md:8:1: ",
                 "(allowed: scene, question, reveal)");
}

static void title_must_come_first_and_once(void)
{
    EXPECT_FAILS("Some text first.\n\n# T\n", "t.md:1:1: ", "missing title");
    EXPECT_FAILS("\n\n## A step\n\ntext\n", "t.md:3:1: ", "missing title");
    EXPECT_FAILS("# T\n\n## S\n\n```scene\nx = 1\n```\n\n  # Again\n", "t.md:9:3: ", "a second title");
    EXPECT_FAILS("", "t.md:1:1: ", "missing title");
    EXPECT_FAILS("# T\n\n\n", "t.md:1:1: ", "a lesson needs at least one step");
}

static void block_line_without_equals_is_reported_at_its_first_character(void)
{
    EXPECT_FAILS("# T\n\n## S\n\n```scene\ntext = I saw\n   heads 2\n```\n", "t.md:7:4: ",
                 "expected key = value");
    EXPECT_FAILS("# T\n\n## S\n\n```scene\n\n\t= 2\n```\n", "t.md:7:2: ", "expected key = value");
}

static void bad_answers_are_reported_at_the_value(void)
{
    const char *pre = "# T\n\n## S\n\n```question\nask = Which?\nchoices = a | b | c | d\n";
    char md[256];
    const char *bad[] = {"0", "5", "abc", "2.0", "-1"};
    for (int i = 0; i < 5; i++) {
        snprintf(md, sizeof md, "%sanswer =  %s\n```\n", pre, bad[i]);
        EXPECT_FAILS(md, "t.md:8:11: ", "is not a choice number from 1 to 4");
    }
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = How much?\nanswer = lots\n```\n", "t.md:7:10: ",
                 "answer: 'lots' is not a number");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = How much?\nanswer = 1\ntolerance = -0.1\n```\n",
                 "t.md:8:13: ", "tolerance");
}

static void empty_choice_is_reported_at_its_column(void)
{
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = Which?\nchoices = a |  | c\nanswer = 1\n```\n",
                 "t.md:7:16: ", "choice 2 is empty");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = Which?\nchoices = a | b |\nanswer = 1\n```\n",
                 "t.md:7:18: ", "choice 3 is empty");
}

static void question_needs_ask_and_answer(void)
{
    EXPECT_FAILS("# T\n\n## S\n\n```question\nchoices = a | b\nanswer = 1\n```\n", "t.md:5:1: ",
                 "a question needs ask");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = Which?\nchoices = a | b\n```\n", "t.md:5:1: ",
                 "a question needs answer");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = Which?\nanswer = 1\n  colour = red\n```\n",
                 "t.md:8:3: ", "unknown question key 'colour' (allowed: ask, choices, answer");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = A?\nanswer = 1\n```\n\n```question\nask = B?\n"
                 "answer = 2\n```\n", "t.md:10:1: ", "a second question in this step");
}

static void reveal_block_must_follow_a_question(void)
{
    EXPECT_FAILS("# T\n\n## S\n\nText.\n\n```reveal\nscore = dot\n```\n", "t.md:7:1: ",
                 "a reveal block must come right after a question block");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = A?\nanswer = 1\n```\n\nBetween.\n\n"
                 "```reveal\nscore = dot\n```\n", "t.md:12:1: ", "right after a question");
    EXPECT_FAILS("# T\n\n## S\n\n```question\nask = A?\nanswer = 1\n```\n\n## S2\n\n"
                 "```reveal\nscore = dot\n```\n", "t.md:12:1: ", "right after a question");
    /* blank lines between are fine */
    Lesson l;
    PARSE(&l, "# T\n\n## S\n\n```question\nask = A?\nanswer = 1\n```\n\n\n```reveal\nscore = dot\n```\n");
    EXPECT_INT(l.steps[0].n_reveal, 1);
    lesson_free(&l);
}

static void invalid_utf8_is_reported_at_the_bad_byte(void)
{
    EXPECT_FAILS("# T\n\n## S\n\nGood text \xce\xb1 and \xff bad.\n", "t.md:5:18: ", "invalid UTF-8");
    EXPECT_FAILS("# T\n\n```scene\ntext = \xe2\x82\n```\n", "t.md:4:8: ", "invalid UTF-8");
    static const char nul[] = "# T\n\nab\0c\n";
    EXPECT(fails_at(nul, sizeof nul - 1, "t.md:3:3: ", "NUL", __LINE__));
}

static void file_over_the_limit_is_refused_and_one_near_it_parses_quickly(void)
{
    size_t cap = LESSON_MAX_BYTES + 1;
    char *md = malloc(cap + 1);
    EXPECT(md != NULL);
    size_t n = (size_t)snprintf(md, cap, "# Big\n\nIntro.\n");
    int steps = 0;
    for (;;) {
        char chunk[256];
        int k = snprintf(chunk, sizeof chunk,
                         "## Step %d\n\nSome *text* with $\\alpha_{%d}$ and **more** words.\n\n"
                         "- a\n- b\n\n```scene\nquery = %d\n```\n\n", steps, steps, steps % 7 + 1);
        if (n + (size_t)k > LESSON_MAX_BYTES) break;
        memcpy(md + n, chunk, (size_t)k);
        n += (size_t)k;
        steps++;
    }
    while (n < LESSON_MAX_BYTES) md[n++] = '\n';   /* exactly at the limit: still allowed */
    md[n] = '\0';

    Lesson l;
    char err[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = lesson_parse(&l, md, n, "big.md", err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    int ok = rc == 0 && l.n_steps == steps + 1 && l.steps[steps].n_scene == 1 &&
             l.steps[steps].n_paras == 3;
    if (rc == 0) lesson_free(&l);

    /* one byte more is refused, with the limit named */
    md[n] = '\n';
    int rc2 = lesson_parse(&l, md, n + 1, "big.md", err, sizeof err);
    free(md);
    EXPECT_MSG(ok, "the big lesson did not parse into %d steps", steps + 1);
    EXPECT_MSG(secs < 5.0, "parsing %zu bytes took %.2f s", n, secs);
    EXPECT_INT(rc2, -1);
    EXPECT_MSG(strncmp(err, "big.md:1:1: ", 12) == 0 && strstr(err, "limit of 1 MB"), "error: %s", err);
    EXPECT(l.steps == NULL && l.n_steps == 0);
}

void suite_lesson(void)
{
    RUN(full_lesson_parses_into_its_exact_structure);
    RUN(step_text_is_the_plain_narration);
    RUN(nested_emphasis_combines_style_bits);
    RUN(links_show_their_text_and_breaks_are_spaces);
    RUN(image_splits_its_paragraph_and_stays_without_alt_text);
    RUN(title_and_text_only_is_one_step);
    RUN(no_introduction_without_text_before_the_first_step);
    RUN(loose_list_items_keep_their_bullets_and_continuations);
    RUN(numeric_question_has_number_and_tolerance);
    RUN(crlf_line_ends_give_the_same_lines_and_columns);
    RUN(maths_is_set_in_unicode);
    RUN(maths_truncates_between_characters);
    RUN(unterminated_fence_is_reported_at_its_opening);
    RUN(unknown_or_missing_block_tag_is_an_error);
    RUN(title_must_come_first_and_once);
    RUN(block_line_without_equals_is_reported_at_its_first_character);
    RUN(bad_answers_are_reported_at_the_value);
    RUN(empty_choice_is_reported_at_its_column);
    RUN(question_needs_ask_and_answer);
    RUN(reveal_block_must_follow_a_question);
    RUN(invalid_utf8_is_reported_at_the_bad_byte);
    RUN(file_over_the_limit_is_refused_and_one_near_it_parses_quickly);
}
