/* test_cross.c: encoder-decoder attention. Expected values are worked out by hand in the
 * comments, never taken from the engine. */
#include "test.h"
#include "../src/engine/attn.h"
#include "../src/engine/cross.h"

#include <math.h>
#include <string.h>

static int forward(CrossTrace *t, const CrossScene *s)
{
    char err[256] = "";
    int rc = cross_forward(t, s, err, sizeof err);
    if (rc) fprintf(stderr, "  cross_forward: %s\n", err);
    return rc;
}

/* Luong dot: sources e1 = (1, 0), e2 = (0, 1); the step (2, 0) scores 2 and 0, so its
 * weights are e^2 / (e^2 + 1) and 1 / (e^2 + 1), and its context is those weights as a
 * vector; the step (0, 0) scores 0 and 0 and attends half and half. */
static void dot_scores_weights_and_context_by_hand(void)
{
    static const float src[] = {1, 0, 0, 1}, tgt[] = {2, 0, 0, 0};
    CrossScene s = cross_scene_default();
    s.n_src = 2; s.n_tgt = 2; s.d = 2; s.src = src; s.tgt = tgt;
    CrossTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(forward(&t, &s) == 0);
    double e2 = exp(2.0), w0 = e2 / (e2 + 1.0), w1 = 1.0 / (e2 + 1.0);
    EXPECT_NEAR(t.scores[0], 2.0, 1e-6);
    EXPECT_NEAR(t.scores[1], 0.0, 1e-6);
    EXPECT_NEAR(t.weights[0], w0, 1e-6);
    EXPECT_NEAR(t.weights[1], w1, 1e-6);
    EXPECT_NEAR(t.context[0], w0, 1e-6);
    EXPECT_NEAR(t.context[1], w1, 1e-6);
    EXPECT_NEAR(t.weights[2], 0.5, 1e-7);
    EXPECT_NEAR(t.weights[3], 0.5, 1e-7);
    EXPECT_NEAR(t.context[2], 0.5, 1e-7);
    EXPECT_NEAR(t.context[3], 0.5, 1e-7);
    /* the fixed vector of a model without attention is the last source state, every step */
    EXPECT_NEAR(t.fixed[0], 0.0, 0);
    EXPECT_NEAR(t.fixed[1], 1.0, 0);
    cross_trace_free(&t);
}

/* Luong general with W = [[0, 1], [1, 0]] swaps the components: the step (1, 0) becomes
 * (0, 1) and scores sources (1, 0), (0, 3) as 0 and 3. */
static void general_scoring_applies_w_between_the_states(void)
{
    static const float src[] = {1, 0, 0, 3}, tgt[] = {1, 0}, w[] = {0, 1, 1, 0};
    CrossScene s = cross_scene_default();
    s.n_src = 2; s.n_tgt = 1; s.d = 2; s.src = src; s.tgt = tgt;
    s.score = CROSS_SCORE_GENERAL;
    s.w = w;
    CrossTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(forward(&t, &s) == 0);
    EXPECT_NEAR(t.scores[0], 0.0, 1e-7);
    EXPECT_NEAR(t.scores[1], 3.0, 1e-6);
    EXPECT_NEAR(t.weights[1], 1.0 / (1.0 + exp(-3.0)), 1e-6);
    /* and without W it is the identity, the same as dot */
    s.w = NULL;
    EXPECT(forward(&t, &s) == 0);
    EXPECT_NEAR(t.scores[0], 1.0, 1e-7);
    EXPECT_NEAR(t.scores[1], 0.0, 1e-7);
    EXPECT_NEAR(t.w[0], 1.0, 0);
    EXPECT_NEAR(t.w[1], 0.0, 0);
    cross_trace_free(&t);
}

/* Bahdanau with one-number states: W_src = 1, W_tgt = 0.5, v = 2. Sources 0 and 1, the
 * step 2: scores 2 tanh(0 + 1) and 2 tanh(1 + 1). */
static void additive_scoring_by_hand(void)
{
    static const float src[] = {0, 1}, tgt[] = {2}, ws[] = {1}, wt[] = {0.5f}, v[] = {2};
    CrossScene s = cross_scene_default();
    s.n_src = 2; s.n_tgt = 1; s.d = 1; s.src = src; s.tgt = tgt;
    s.score = CROSS_SCORE_ADDITIVE;
    s.w_src = ws; s.w_tgt = wt; s.v = v;
    CrossTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(forward(&t, &s) == 0);
    EXPECT_INT(t.d_att, 1);
    EXPECT_NEAR(t.src_proj[1], 1.0, 0);
    EXPECT_NEAR(t.tgt_proj[0], 1.0, 0);
    double a = 2.0 * tanh(1.0), b = 2.0 * tanh(2.0);
    EXPECT_NEAR(t.scores[0], a, 1e-6);
    EXPECT_NEAR(t.scores[1], b, 1e-6);
    double wb = 1.0 / (1.0 + exp(a - b));
    EXPECT_NEAR(t.weights[1], wb, 1e-6);
    EXPECT_NEAR(t.context[0], wb, 1e-6); /* 0 (1 - wb) + 1 wb */
    cross_trace_free(&t);
}

/* A two-unit hidden layer from the defaults (identity-like W_src, W_tgt, v all ones):
 * states (1, -1) and (0.5, 0.5): score = tanh(1 + 0.5) + tanh(-1 + 0.5). */
static void additive_defaults_are_documented_ones(void)
{
    static const float src[] = {1, -1}, tgt[] = {0.5f, 0.5f};
    CrossScene s = cross_scene_default();
    s.n_src = 1; s.n_tgt = 1; s.d = 2; s.src = src; s.tgt = tgt;
    s.score = CROSS_SCORE_ADDITIVE;
    CrossTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(forward(&t, &s) == 0);
    EXPECT_NEAR(t.scores[0], tanh(1.5) + tanh(-0.5), 1e-6);
    EXPECT_NEAR(t.weights[0], 1.0, 0); /* one source: all the weight */
    EXPECT_NEAR(t.context[0], 1.0, 1e-7);
    EXPECT_NEAR(t.context[1], -1.0, 1e-7);
    cross_trace_free(&t);
}

/* Scores of 1000 apart do not overflow: the weights are exactly one-hot and finite. */
static void large_scores_stay_finite(void)
{
    static const float src[] = {10, 0}, tgt[] = {100};
    CrossScene s = cross_scene_default();
    s.n_src = 2; s.n_tgt = 1; s.d = 1; s.src = src; s.tgt = tgt;
    CrossTrace t;
    memset(&t, 0, sizeof t);
    EXPECT(forward(&t, &s) == 0);
    EXPECT_NEAR(t.scores[0], 1000.0, 0);
    EXPECT_NEAR(t.weights[0], 1.0, 0);
    EXPECT_NEAR(t.weights[1], 0.0, 0);
    EXPECT_NEAR(t.context[0], 10.0, 0);
    cross_trace_free(&t);
}

/* Bad scenes are refused with the limit or the value named, and leave no trace. */
static void bad_scenes_are_refused_by_name(void)
{
    static float src[] = {1, 2}, tgt[] = {1, 2};
    CrossScene s = cross_scene_default();
    s.n_src = 1; s.n_tgt = 1; s.d = 2; s.src = src; s.tgt = tgt;
    char err[256];
    CrossTrace t;
    memset(&t, 0, sizeof t);

    s.n_src = CROSS_MAX_N + 1;
    EXPECT(cross_forward(&t, &s, err, sizeof err) == -1);
    EXPECT_MSG(strstr(err, "4097") && strstr(err, "1..4096"), "message: %s", err);
    EXPECT(t.mem == NULL);
    s.n_src = 1;

    s.d = 0;
    EXPECT(cross_forward(&t, &s, err, sizeof err) == -1);
    EXPECT_MSG(strstr(err, "state size 0"), "message: %s", err);
    s.d = 2;

    src[1] = NAN;
    EXPECT(cross_forward(&t, &s, err, sizeof err) == -1);
    EXPECT_MSG(strstr(err, "source state 1, component 2"), "message: %s", err);
    src[1] = 2;

    s.score = CROSS_SCORE_ADDITIVE;
    s.d_att = CROSS_MAX_D_ATT + 1;
    EXPECT(cross_forward(&t, &s, err, sizeof err) == -1);
    EXPECT_MSG(strstr(err, "1025"), "message: %s", err);

    /* a good scene still computes after the refusals */
    s.score = CROSS_SCORE_DOT;
    EXPECT(forward(&t, &s) == 0);
    EXPECT_NEAR(t.scores[0], 5.0, 0);
    cross_trace_free(&t);
}

/* The built-in pairs: under every scoring, each target word gives most of its weight to the
 * source word it translates, the word-order swap included ("chat" -> "cat", "noir" ->
 * "black"; German "esse" -> "eat" at the end), and every row sums to 1. */
static void presets_align_each_word_with_its_translation(void)
{
    static const struct { const char *name; int want[5]; } pairs[] = {
        {"french", {0, 2, 1, 3, -1}},
        {"german", {0, 1, 3, 4, 2}},
    };
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
        for (int k = 0; k < 3; k++) {
            CrossScene s = cross_scene_default();
            s.score = (CrossScore)k;
            EXPECT(cross_preset(&s, pairs[p].name) == 0);
            EXPECT(s.score == (CrossScore)k);
            CrossTrace t;
            memset(&t, 0, sizeof t);
            EXPECT(forward(&t, &s) == 0);
            for (int i = 0; i < t.n_tgt; i++) {
                const float *w = t.weights + (size_t)i * t.n_src;
                int best = 0;
                double sum = 0;
                for (int j = 0; j < t.n_src; j++) {
                    sum += w[j];
                    if (w[j] > w[best]) best = j;
                }
                EXPECT_NEAR(sum, 1.0, 1e-5);
                EXPECT_MSG(best == pairs[p].want[i] && w[best] > 0.5f,
                           "%s, %s scoring: \"%s\" attends most to \"%s\" (%.2f), expected \"%s\"",
                           pairs[p].name, cross_score_name((CrossScore)k), s.tgt_words[i],
                           s.src_words[best], (double)w[best], s.src_words[pairs[p].want[i]]);
            }
            cross_trace_free(&t);
        }
    CrossScene s = cross_scene_default();
    EXPECT(cross_preset(&s, "klingon") == -1);
}

static int parse(CrossPair *p, const char *text, char *err, size_t errlen)
{
    return cross_pair_parse(p, text, strlen(text), "my.pair", err, errlen);
}

/* A pair file: words in order with their states; the scene it gives computes like any other. */
static void pair_files_give_words_and_states(void)
{
    CrossPair p;
    char err[300];
    const char *text = "# English to Spanish\nsource the 2 0 0\nsource red 0 2 0.2\n\nsource house 0 0.2 2\n"
                       "target la 1.8 0 0.3\ntarget casa 0.2 0.3 1.9\r\ntarget roja 0 1.9 0.3\n";
    EXPECT_MSG(parse(&p, text, err, sizeof err) == 0, "%s", err);
    EXPECT_INT(p.n_src, 3);
    EXPECT_INT(p.n_tgt, 3);
    EXPECT_INT(p.d, 3);
    EXPECT_STR(p.src_words[2], "house");
    EXPECT_STR(p.tgt_words[1], "casa");
    EXPECT_NEAR(p.src[1 * 3 + 2], 0.2, 1e-7);
    EXPECT_NEAR(p.tgt[1 * 3 + 2], 1.9, 1e-7);
    CrossScene s = cross_scene_default();
    s.score = CROSS_SCORE_ADDITIVE;
    cross_pair_scene(&s, &p);
    EXPECT_INT(s.score, CROSS_SCORE_ADDITIVE);
    EXPECT_INT(s.d_att, 6);
    CrossTrace t;
    memset(&t, 0, sizeof t);
    EXPECT_MSG(cross_forward(&t, &s, err, sizeof err) == 0, "%s", err);
    /* "casa" looks at "house" most, "roja" at "red" */
    int best1 = 0, best2 = 0;
    for (int j = 1; j < 3; j++) {
        if (t.weights[1 * 3 + j] > t.weights[1 * 3 + best1]) best1 = j;
        if (t.weights[2 * 3 + j] > t.weights[2 * 3 + best2]) best2 = j;
    }
    cross_trace_free(&t);
    cross_pair_free(&p);
    EXPECT_INT(best1, 2);
    EXPECT_INT(best2, 1);
    /* without numbers each word's state is its hashed embedding */
    EXPECT(parse(&p, "source cat\nsource dog\ntarget cat\n", err, sizeof err) == 0);
    EXPECT_INT(p.d, CROSS_HASH_D);
    float want[CROSS_HASH_D];
    attn_embed(want, "dog", CROSS_HASH_D);
    EXPECT_ALL_NEAR(p.src + CROSS_HASH_D, want, CROSS_HASH_D, 0);
    attn_embed(want, "cat", CROSS_HASH_D);
    EXPECT_ALL_NEAR(p.tgt, want, CROSS_HASH_D, 0);
    cross_pair_free(&p);
}

static void pair_file_errors_name_line_and_column(void)
{
    static const struct { const char *text, *where, *what; } bad[] = {
        {"source a 1 2\ntarget b 1\n", "my.pair:2:11:", "1 numbers, but line 1 has 2"},
        {"source a 1\nsauce b 1\n", "my.pair:2:1:", "'sauce' is not source or target"},
        {"source a 1\ntarget b x1\n", "my.pair:2:10:", "'x1' is not a number"},
        {"source a 1\ntarget\n", "my.pair:2:7:", "needs a word"},
        {"source a 1\nsource b 2\n", "my.pair:", "at least one source and one target"},
        {"", "my.pair:", "at least one source and one target"},
        {"source a 1e9\ntarget b 1\n", "my.pair:1:10:", "within ±1e6"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CrossPair p;
        char err[300] = "";
        EXPECT_MSG(parse(&p, bad[i].text, err, sizeof err) == -1, "case %zu was accepted", i);
        EXPECT_MSG(strncmp(err, bad[i].where, strlen(bad[i].where)) == 0 && strstr(err, bad[i].what),
                   "case %zu: %s", i, err);
        EXPECT(p.src == NULL && p.n_src == 0);
    }
}

void suite_cross(void)
{
    RUN(pair_files_give_words_and_states);
    RUN(pair_file_errors_name_line_and_column);
    RUN(presets_align_each_word_with_its_translation);
    RUN(dot_scores_weights_and_context_by_hand);
    RUN(general_scoring_applies_w_between_the_states);
    RUN(additive_scoring_by_hand);
    RUN(additive_defaults_are_documented_ones);
    RUN(large_scores_stay_finite);
    RUN(bad_scenes_are_refused_by_name);
}
