/* test_scene.c: tests for scene.c: scene_set, the matrix/graph/weights parsers (exact line:column) and scene_load end to end. */
#define _POSIX_C_SOURCE 200809L
#include "test.h"
#include "../src/engine/scene.h"
#include "../src/engine/cross.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* Fails (at the caller's line) unless hay contains needle. */
static int has_at(const char *hay, const char *needle, int line)
{
    if (hay && strstr(hay, needle)) return 1;
    test_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", hay ? hay : "(null)", needle);
    return 0;
}
#define EXPECT_HAS(hay, needle) do { if (!has_at((hay), (needle), __LINE__)) return; } while (0)

/* scene_set must refuse key=value, leave a message holding every needle (NULL-ended). */
static int refused_at(SceneSpec *sp, const char *key, const char *value, int line, ...)
{
    char err[256] = "";
    if (scene_set(sp, key, value, err, sizeof err) != -1) {
        test_fail(__FILE__, line, "scene_set(%s, %s) was accepted", key, value ? value : "NULL");
        return 0;
    }
    va_list ap;
    va_start(ap, line);
    for (const char *n; (n = va_arg(ap, const char *));) {
        if (!strstr(err, n)) {
            test_fail(__FILE__, line, "scene_set(%s, %s): message \"%s\" lacks \"%s\"", key,
                      value ? value : "NULL", err, n);
            va_end(ap);
            return 0;
        }
    }
    va_end(ap);
    return 1;
}
#define EXPECT_REFUSED(sp, key, value, ...) \
    do { if (!refused_at((sp), (key), (value), __LINE__, __VA_ARGS__, (const char *)NULL)) return; } while (0)

static int set_at(SceneSpec *sp, const char *key, const char *value, int line)
{
    char err[256] = "";
    if (scene_set(sp, key, value, err, sizeof err) != 0) {
        test_fail(__FILE__, line, "scene_set(%s, %s) refused: %s", key, value, err);
        return 0;
    }
    return 1;
}
#define SET(sp, key, value) do { if (!set_at((sp), (key), (value), __LINE__)) return; } while (0)

/* Parses text as a rows x cols matrix named "m.txt"; returns the parser's result. */
static int matrix(float *out, int rows, int cols, const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return scene_parse_matrix(out, rows, cols, text, strlen(text), "m.txt", err, errlen);
}

static int graph(int **e, int *ne, int n, const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return scene_parse_graph(e, ne, n, text, strlen(text), "g.txt", err, errlen);
}

static char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", test_tmpdir(), name);
    return p;
}

static int write_at(const char *name, const char *data, size_t len, int line)
{
    FILE *f = fopen(tmp_path(name), "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        test_fail(__FILE__, line, "cannot write %s", tmp_path(name));
        if (f) fclose(f);
        return 0;
    }
    fclose(f);
    return 1;
}
#define WRITE(name, text) do { if (!write_at((name), (text), strlen(text), __LINE__)) return; } while (0)

#define SENTINEL (-99.5f)
static void fill(float *p, size_t n, float v)
{
    for (size_t i = 0; i < n; i++) p[i] = v;
}
static int all_equal(const float *p, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

/* ---------------------------------------------------------------- scene_set */

static void test_set_every_key_accepts_a_good_value_and_sets_its_field(void)
{
    static const struct { const char *key, *value; } good[] = {
        {"text", "hello world"}, {"heads", "64"}, {"d-model", "1024"}, {"d-head", "1"},
        {"d-att", "7"}, {"score", "additive"}, {"mask", "window:3"}, {"posenc", "learned"},
        {"norm", "relu"}, {"temperature", "0.5"}, {"seed", "18446744073709551615"},
        {"weights", "identity"}, {"vectors", "v.txt"}, {"image", "example:ducks"}, {"patch", "4"},
        {"grid", "12"}, {"layers", "3"}, {"d-ff", "64"}, {"cross", "german"},
        {"cross-score", "additive"}, {"audio", "none"}, {"win-ms", "30.5"}, {"hop-ms", "12"},
        {"bands", "16"}, {"graph", "none"},
    };
    SceneSpec sp;
    scene_spec_init(&sp);
    /* every key scene_set knows has a case here, so a new key cannot go untested */
    for (int i = 0; scene_keys[i]; i++) {
        size_t j;
        for (j = 0; j < sizeof good / sizeof good[0]; j++)
            if (strcmp(good[j].key, scene_keys[i]) == 0) break;
        EXPECT_MSG(j < sizeof good / sizeof good[0], "scene key '%s' has no case in this test", scene_keys[i]);
        SET(&sp, good[j].key, good[j].value);
    }
    EXPECT_STR(sp.text, "hello world");
    EXPECT_INT(sp.scene.heads, 64);
    EXPECT_INT(sp.scene.d_model, 1024);
    EXPECT_INT(sp.scene.d_head, 1);
    EXPECT_INT(sp.scene.d_att, 7);
    EXPECT_INT(sp.scene.score, ATTN_SCORE_ADDITIVE);
    EXPECT_INT(sp.scene.mask, ATTN_MASK_WINDOW);
    EXPECT_INT(sp.scene.mask_param, 3);
    EXPECT_INT(sp.scene.posenc, ATTN_PE_LEARNED);
    EXPECT_INT(sp.scene.norm, ATTN_NORM_RELU);
    EXPECT(sp.scene.temperature == 0.5f);
    EXPECT(sp.scene.seed == 18446744073709551615ULL);
    EXPECT_INT(sp.scene.weights, ATTN_WEIGHTS_IDENTITY);
    EXPECT(sp.weights_file == NULL);
    EXPECT_STR(sp.vectors_file, "v.txt");
    EXPECT_STR(sp.image, "example:ducks");
    EXPECT_INT(sp.patch, 4);
    EXPECT_INT(sp.grid, 12);
    EXPECT_INT(sp.layers, 3);
    EXPECT_INT(sp.d_ff, 64);
    EXPECT_STR(sp.cross, "german");
    EXPECT_INT(sp.cross_score, CROSS_SCORE_ADDITIVE);
    EXPECT(sp.audio == NULL);
    EXPECT(sp.win_ms == 30.5f);
    EXPECT(sp.hop_ms == 12.0f);
    EXPECT_INT(sp.bands, 16);
    EXPECT(sp.graph == NULL);
    scene_spec_free(&sp);
}

/* A scene has one input: a sound replaces a picture and a picture a sound; the framing
 * keys name their limits. */
static void test_set_audio_and_image_replace_each_other(void)
{
    SceneSpec sp;
    char err[256];
    scene_spec_init(&sp);
    EXPECT(sp.win_ms == 25.0f && sp.hop_ms == 10.0f && sp.bands == 8);
    SET(&sp, "image", "example:ducks");
    SET(&sp, "audio", "example:speech");
    EXPECT_STR(sp.audio, "example:speech");
    EXPECT(sp.image == NULL);
    SET(&sp, "image", "example:shapes");
    EXPECT(sp.audio == NULL);
    EXPECT_STR(sp.image, "example:shapes");
    EXPECT(scene_set(&sp, "win-ms", "0.5", err, sizeof err) == -1);
    EXPECT(strstr(err, "1..1000") != NULL);
    EXPECT(scene_set(&sp, "hop-ms", "ten", err, sizeof err) == -1);
    EXPECT(strstr(err, "not a number") != NULL);
    EXPECT(scene_set(&sp, "bands", "65", err, sizeof err) == -1);
    EXPECT(strstr(err, "1..64") != NULL);
    EXPECT(scene_set(&sp, "audio", "", err, sizeof err) == -1);
    EXPECT(strstr(err, "example:NAME") != NULL);
    scene_spec_free(&sp);
}

static void test_set_every_choice_name_maps_to_its_enum(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    SET(&sp, "score", "dot");
    EXPECT_INT(sp.scene.score, ATTN_SCORE_DOT);
    SET(&sp, "score", "scaled");
    EXPECT_INT(sp.scene.score, ATTN_SCORE_SCALED);
    SET(&sp, "posenc", "none");
    EXPECT_INT(sp.scene.posenc, ATTN_PE_NONE);
    SET(&sp, "posenc", "sinusoidal");
    EXPECT_INT(sp.scene.posenc, ATTN_PE_SINUSOIDAL);
    SET(&sp, "norm", "softmax");
    EXPECT_INT(sp.scene.norm, ATTN_NORM_SOFTMAX);
    SET(&sp, "mask", "causal");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_CAUSAL);
    SET(&sp, "mask", "padding:0");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_PADDING);
    EXPECT_INT(sp.scene.mask_param, 0);
    SET(&sp, "mask", "window:4096");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_WINDOW);
    EXPECT_INT(sp.scene.mask_param, 4096);
    SET(&sp, "mask", "graph:edges.txt");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_GRAPH);
    EXPECT_STR(sp.mask_file, "edges.txt");
    SET(&sp, "mask", "custom:m.txt");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_CUSTOM);
    EXPECT_STR(sp.mask_file, "m.txt");
    SET(&sp, "mask", "none");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_NONE);
    SET(&sp, "temperature", "1e-6");
    EXPECT(sp.scene.temperature == 1e-6f);
    SET(&sp, "temperature", "1e6");
    EXPECT(sp.scene.temperature == 1e6f);
    SET(&sp, "seed", "0");
    EXPECT(sp.scene.seed == 0);
    SET(&sp, "heads", "1");
    EXPECT_INT(sp.scene.heads, 1);
    scene_spec_free(&sp);
}

static void test_set_weights_file_then_preset_forgets_the_file(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    SET(&sp, "weights", "w.txt");
    EXPECT_STR(sp.weights_file, "w.txt");
    SET(&sp, "weights", "random");
    EXPECT(sp.weights_file == NULL);
    EXPECT_INT(sp.scene.weights, ATTN_WEIGHTS_RANDOM);
    SET(&sp, "vectors", "v.txt");
    SET(&sp, "vectors", "hash");
    EXPECT(sp.vectors_file == NULL);
    EXPECT_REFUSED(&sp, "weights", "", "--weights", "random|identity|picture|FILE");
    scene_spec_free(&sp);
}

static void test_set_refuses_sizes_outside_their_limits_naming_key_and_limit(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    EXPECT_REFUSED(&sp, "heads", "0", "--heads", "0 is outside", "1..64");
    EXPECT_REFUSED(&sp, "heads", "65", "--heads", "65", "1..64");
    EXPECT_REFUSED(&sp, "heads", "2x", "--heads", "'2x'", "whole number");
    EXPECT_REFUSED(&sp, "heads", "", "--heads", "whole number");
    EXPECT_REFUSED(&sp, "d-model", "1025", "--d-model", "1..1024");
    EXPECT_REFUSED(&sp, "d-head", "0", "--d-head", "1..1024");
    EXPECT_REFUSED(&sp, "d-att", "-1", "--d-att", "1..1024");
    EXPECT_REFUSED(&sp, "heads", NULL, "--heads", "needs a value");
    /* a refused value leaves the field as it was */
    EXPECT_INT(sp.scene.heads, 2);
    EXPECT_INT(sp.scene.d_model, 8);
    EXPECT_INT(sp.scene.d_head, 4);
    EXPECT_INT(sp.scene.d_att, 0);
    scene_spec_free(&sp);
}

static void test_set_refuses_unknown_choices_listing_the_allowed_ones(void)
{
    SceneSpec sp;
    char err[256];
    scene_spec_init(&sp);
    EXPECT_INT(scene_set(&sp, "score", "x", err, sizeof err), -1);
    EXPECT_STR(err, "--score: unknown value 'x' (allowed: dot|scaled|additive)");
    EXPECT_REFUSED(&sp, "posenc", "rope", "--posenc", "'rope'", "none|sinusoidal|learned");
    EXPECT_REFUSED(&sp, "norm", "sparsemax", "--norm", "'sparsemax'", "softmax|relu");
    EXPECT_REFUSED(&sp, "score", "Scaled", "--score", "dot|scaled|additive");
    EXPECT_INT(sp.scene.score, ATTN_SCORE_SCALED);
    EXPECT_INT(sp.scene.posenc, ATTN_PE_SINUSOIDAL);
    EXPECT_INT(sp.scene.norm, ATTN_NORM_SOFTMAX);
    scene_spec_free(&sp);
}

static void test_set_refuses_bad_masks_with_what_is_wrong(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    SET(&sp, "mask", "causal");
    EXPECT_REFUSED(&sp, "mask", "window:-1", "--mask", "-1", "0..4096");
    EXPECT_REFUSED(&sp, "mask", "window:4097", "--mask", "4097", "0..4096");
    EXPECT_REFUSED(&sp, "mask", "window:abc", "--mask", "'abc'", "whole number");
    EXPECT_REFUSED(&sp, "mask", "window:", "--mask", "whole number");
    EXPECT_REFUSED(&sp, "mask", "padding", "--mask", "padding needs a number");
    EXPECT_REFUSED(&sp, "mask", "window", "--mask", "window needs a number");
    EXPECT_REFUSED(&sp, "mask", "graph:", "--mask", "graph needs a file");
    EXPECT_REFUSED(&sp, "mask", "custom", "--mask", "custom needs a file");
    EXPECT_REFUSED(&sp, "mask", "causal:2", "--mask", "'causal:2'",
                   "none|causal|window:W|padding:P|conv:K|graph:FILE|custom:FILE");
    EXPECT_REFUSED(&sp, "mask", "diagonal", "--mask", "'diagonal'",
                   "none|causal|window:W|padding:P|conv:K|graph:FILE|custom:FILE");
    EXPECT_INT(sp.scene.mask, ATTN_MASK_CAUSAL);
    EXPECT(sp.mask_file == NULL);
    scene_spec_free(&sp);
}

static void test_set_refuses_bad_temperatures_and_seeds(void)
{
    SceneSpec sp;
    scene_spec_init(&sp);
    EXPECT_REFUSED(&sp, "temperature", "0", "--temperature", "1e-06..1e+06");
    EXPECT_REFUSED(&sp, "temperature", "-1", "--temperature", "1e-06..1e+06");
    EXPECT_REFUSED(&sp, "temperature", "1e9", "--temperature", "1e9", "1e-06..1e+06");
    EXPECT_REFUSED(&sp, "temperature", "nan", "--temperature", "'nan'", "not a number");
    EXPECT_REFUSED(&sp, "temperature", "inf", "--temperature", "'inf'", "not a number");
    EXPECT_REFUSED(&sp, "temperature", "1.5x", "--temperature", "not a number");
    EXPECT(sp.scene.temperature == 1.0f);
    EXPECT_REFUSED(&sp, "seed", "-3", "--seed", "'-3'", "whole number");
    /* strtoull skips blanks and wraps negatives: " -3" must not become 2^64 - 3 */
    EXPECT_REFUSED(&sp, "seed", " -3", "--seed", "whole number");
    EXPECT_REFUSED(&sp, "seed", "abc", "--seed", "'abc'");
    EXPECT_REFUSED(&sp, "seed", "18446744073709551616", "--seed", "18446744073709551615");
    EXPECT(sp.scene.seed == 1);
    scene_spec_free(&sp);
}

static void test_set_refuses_an_unknown_key_by_name(void)
{
    SceneSpec sp;
    char err[256];
    scene_spec_init(&sp);
    EXPECT_INT(scene_set(&sp, "colour", "red", err, sizeof err), -1);
    EXPECT_HAS(err, "unknown scene key 'colour'");
    scene_spec_free(&sp);
}

/* ---------------------------------------------------------------- scene_parse_matrix */

static void test_matrix_reads_rows_past_comments_blank_lines_and_commas(void)
{
    float m[6];
    char err[256];
    fill(m, 6, SENTINEL);
    const char *t = "# two rows\n\n1, 2.5, -3\n   # indented comment\r\n\t4e2\t5 ,-6e-1  # tail\n\n# end\n";
    EXPECT_INT(matrix(m, 2, 3, t, err, sizeof err), 0);
    const float want[6] = {1, 2.5f, -3, 400, 5, -0.6f};
    EXPECT_ALL_NEAR(m, want, 6, 0);
    /* the limits themselves are allowed, and CRLF line ends */
    EXPECT_INT(matrix(m, 1, 2, "1e6 -1e6\r\n", err, sizeof err), 0);
    EXPECT(m[0] == 1e6f && m[1] == -1e6f);
}

static void test_matrix_too_few_rows_points_at_the_end(void)
{
    float m[6];
    char err[256];
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:1:");
    EXPECT_HAS(err, "expected 2 rows of 3 numbers");
    EXPECT_INT(matrix(m, 2, 3, "# c\n1 2 3\n\n# c\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:5:1:");
    EXPECT_INT(matrix(m, 2, 3, "", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:1:1:");
}

static void test_matrix_short_and_long_rows_name_line_and_column(void)
{
    float m[6];
    char err[256];
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n4 5\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:4:");
    EXPECT_HAS(err, "row 2 has 2 numbers, expected 3");
    EXPECT_INT(matrix(m, 2, 3, "1 2 3 4\n4 5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:1:7:");
    EXPECT_HAS(err, "row 1 has more than 3 numbers");
    EXPECT_INT(matrix(m, 2, 3, "\n1 2 3\n4 5 6 # ok\n7 8 9\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:4:1:");
    EXPECT_HAS(err, "more than the 2 rows expected");
}

static void test_matrix_bad_numbers_name_their_exact_column(void)
{
    float m[6];
    char err[256];
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n4 1.2.3 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:3:");
    EXPECT_HAS(err, "'1.2.3'");
    EXPECT_INT(matrix(m, 2, 3, "1,2,abc\n4 5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:1:5:");
    EXPECT_HAS(err, "'abc'");
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n  nan 5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:3:");
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n4 5 inf\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:5:");
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n4 5 -infinity\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:5:");
    EXPECT_INT(matrix(m, 2, 3, "1 1e7 3\n4 5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:1:3:");
    EXPECT_HAS(err, "1e6");
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n4 5 -1000001\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:5:");
    EXPECT_INT(matrix(m, 2, 3, "1 2 3\n4 5 1e999\n", err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:2:5:");
}

static void test_matrix_refuses_a_very_long_number_rather_than_splitting_it(void)
{
    float m[2] = {SENTINEL, SENTINEL};
    char err[256], t[128];
    /* 70 characters: "0." and 67 zeros and a 1; a parser that reads it in pieces would
     * find two numbers on this line and accept it as the row 0, 1 */
    memset(t, '0', sizeof t);
    t[1] = '.';
    t[69] = '1';
    t[70] = '\n';
    t[71] = 0;
    EXPECT_INT(matrix(m, 1, 2, t, err, sizeof err), -1);
    EXPECT_HAS(err, "m.txt:1:1:");
}

/* ---------------------------------------------------------------- scene_parse_graph */

static void test_graph_reads_space_and_dash_edges_past_comments(void)
{
    int *e = NULL, ne = -1;
    char err[256];
    EXPECT_INT(graph(&e, &ne, 4, "# edges\n1 2\n\n  2-3   # dash\n4 - 1\n3,4\n", err, sizeof err), 0);
    EXPECT_INT(ne, 4);
    const int want[8] = {0, 1, 1, 2, 3, 0, 2, 3};
    for (int i = 0; i < 8; i++) EXPECT_MSG(e[i] == want[i], "edge value %d is %d, expected %d", i, e[i], want[i]);
    free(e);
    EXPECT_INT(graph(&e, &ne, 4, "# nothing\n", err, sizeof err), 0);
    EXPECT_INT(ne, 0);
    free(e);
}

static void test_graph_nodes_outside_1_to_n_are_refused_at_their_column(void)
{
    int *e, ne;
    char err[256];
    EXPECT_INT(graph(&e, &ne, 3, "1 2\n0 1\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:2:1:");
    EXPECT_HAS(err, "node 0 is outside 1..3");
    EXPECT(e == NULL && ne == 0);
    EXPECT_INT(graph(&e, &ne, 3, "1 2\n# c\n2  4\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:3:4:");
    EXPECT_HAS(err, "node 4 is outside 1..3");
    EXPECT_INT(graph(&e, &ne, 3, "2-4\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:1:3:");
}

static void test_graph_garbage_and_missing_nodes_are_refused_at_their_column(void)
{
    int *e, ne;
    char err[256];
    EXPECT_INT(graph(&e, &ne, 3, "1 2\n2 3 x\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:2:5:");
    EXPECT_HAS(err, "unexpected text after the edge");
    EXPECT_INT(graph(&e, &ne, 3, "1 2 3\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:1:5:");
    EXPECT_INT(graph(&e, &ne, 3, "1 2\n3\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:2:2:");
    EXPECT_HAS(err, "expected a node number");
    EXPECT_INT(graph(&e, &ne, 3, "1-\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:1:3:");
    EXPECT_INT(graph(&e, &ne, 3, "a 1\n", err, sizeof err), -1);
    EXPECT_HAS(err, "g.txt:1:1:");
    EXPECT(e == NULL && ne == 0);
}

/* ---------------------------------------------------------------- scene_parse_weights */

/* d_model 3, 2 heads of d_head 2: Wq/Wk/Wv 3 x 2 per head, Wo 4 x 3 */
static AttnScene weights_shape(AttnScore score, int d_att)
{
    AttnScene s = attn_scene_default();
    s.d_model = 3;
    s.heads = 2;
    s.d_head = 2;
    s.d_att = d_att;
    s.score = score;
    return s;
}

static int weights(SceneTensors *t, const AttnScene *s, const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return scene_parse_weights(t, s, text, strlen(text), "w.txt", err, errlen);
}

static void test_weights_overwrite_exactly_the_sections_given(void)
{
    float wq[12], wk[12], wv[12], wo[12];
    fill(wq, 12, SENTINEL); fill(wk, 12, SENTINEL); fill(wv, 12, SENTINEL); fill(wo, 12, SENTINEL);
    SceneTensors t = {wq, wk, wv, wo, NULL, NULL};
    AttnScene s = weights_shape(ATTN_SCORE_SCALED, 0);
    char err[256];
    const char *text = "# head 2's query weights and the output projection\n"
                       "Wq 2\n1 2\n3 4\n\n5 6\n"
                       "  Wo   # indented\n1 0 0\n0 1 0\n0 0 1\n7, 8, 9\n";
    EXPECT_INT(weights(&t, &s, text, err, sizeof err), 0);
    EXPECT(all_equal(wq, 6, SENTINEL)); /* head 1 untouched */
    const float q2[6] = {1, 2, 3, 4, 5, 6};
    EXPECT_ALL_NEAR(wq + 6, q2, 6, 0);
    EXPECT(all_equal(wk, 12, SENTINEL));
    EXPECT(all_equal(wv, 12, SENTINEL));
    const float o[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 7, 8, 9};
    EXPECT_ALL_NEAR(wo, o, 12, 0);
}

static void test_weights_additive_sections_land_in_their_head(void)
{
    /* d_att 3: Wa (2*2) x 3 = 12 per head, va 3 per head */
    float wq[12], wk[12], wv[12], wo[12], wa[24], va[6];
    fill(wq, 12, SENTINEL); fill(wk, 12, SENTINEL); fill(wv, 12, SENTINEL); fill(wo, 12, SENTINEL);
    fill(wa, 24, SENTINEL); fill(va, 6, SENTINEL);
    SceneTensors t = {wq, wk, wv, wo, wa, va};
    AttnScene s = weights_shape(ATTN_SCORE_ADDITIVE, 3);
    char err[256];
    const char *text = "Wa 2\n1 2 3\n4 5 6\n7 8 9\n10 11 12\nva 1\n-1 -2 -3\nWk 1\n1 1\n2 2\n3 3\n";
    EXPECT_INT(weights(&t, &s, text, err, sizeof err), 0);
    EXPECT(all_equal(wa, 12, SENTINEL));
    for (int i = 0; i < 12; i++) EXPECT(wa[12 + i] == (float)(i + 1));
    const float v1[3] = {-1, -2, -3};
    EXPECT_ALL_NEAR(va, v1, 3, 0);
    EXPECT(all_equal(va + 3, 3, SENTINEL));
    const float k1[6] = {1, 1, 2, 2, 3, 3};
    EXPECT_ALL_NEAR(wk, k1, 6, 0);
    EXPECT(all_equal(wk + 6, 6, SENTINEL));
    EXPECT(all_equal(wq, 12, SENTINEL) && all_equal(wv, 12, SENTINEL) && all_equal(wo, 12, SENTINEL));
}

static void test_weights_unknown_section_is_refused_at_its_position(void)
{
    float w[4][12];
    SceneTensors t = {w[0], w[1], w[2], w[3], NULL, NULL};
    AttnScene s = weights_shape(ATTN_SCORE_SCALED, 0);
    char err[256];
    EXPECT_INT(weights(&t, &s, "Wq 1\n1 2\n3 4\n5 6\n\nWz 1\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:6:1:");
    EXPECT_HAS(err, "expected a section");
    EXPECT_INT(weights(&t, &s, "# c\n   Wqk 1\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:2:4:");
    EXPECT_INT(weights(&t, &s, "Wo 1\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:1:4:");
    EXPECT_HAS(err, "unexpected text after the section name");
}

static void test_weights_head_number_outside_1_to_heads_is_refused(void)
{
    float w[4][12];
    fill(w[0], 12, SENTINEL);
    SceneTensors t = {w[0], w[1], w[2], w[3], NULL, NULL};
    AttnScene s = weights_shape(ATTN_SCORE_SCALED, 0);
    char err[256];
    EXPECT_INT(weights(&t, &s, "Wq 3\n1 2\n3 4\n5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:1:4:");
    EXPECT_HAS(err, "head 3 is outside 1..2");
    EXPECT_INT(weights(&t, &s, "\nWv  0\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:2:5:");
    EXPECT_HAS(err, "head 0 is outside 1..2");
    EXPECT_INT(weights(&t, &s, "Wk\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:1:3:");
    EXPECT_HAS(err, "needs a head number 1..2");
    EXPECT(all_equal(w[0], 12, SENTINEL));
}

static void test_weights_additive_sections_refused_without_additive_scoring(void)
{
    float w[4][12];
    SceneTensors t = {w[0], w[1], w[2], w[3], NULL, NULL};
    AttnScene s = weights_shape(ATTN_SCORE_DOT, 0);
    char err[256];
    EXPECT_INT(weights(&t, &s, "# c\nWa 1\n1 2\n3 4\n5 6\n7 8\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:2:1:");
    EXPECT_HAS(err, "Wa is used only with --score additive");
    EXPECT_INT(weights(&t, &s, "va 1\n1 2\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:1:1:");
    EXPECT_HAS(err, "--score additive");
}

static void test_weights_short_sections_are_refused_at_the_line(void)
{
    float w[4][12];
    SceneTensors t = {w[0], w[1], w[2], w[3], NULL, NULL};
    AttnScene s = weights_shape(ATTN_SCORE_SCALED, 0);
    char err[256];
    EXPECT_INT(weights(&t, &s, "Wq 1\n1 2\n3 4\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:4:1:");
    EXPECT_HAS(err, "Wq needs 3 rows of 2 numbers, found 2");
    EXPECT_INT(weights(&t, &s, "Wq 1\n1 2\n3\n5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:3:2:");
    EXPECT_HAS(err, "row 2 of Wq has 1 numbers, expected 2");
    EXPECT_INT(weights(&t, &s, "Wq 1\n1 2\n3 4 5\n5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:3:5:");
    EXPECT_INT(weights(&t, &s, "Wq 1\n1 2\n3 x\n5 6\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:3:3:");
    /* a section runs into the next header: the header is not a row of numbers */
    EXPECT_INT(weights(&t, &s, "Wq 1\n1 2\n3 4\nWk 1\n", err, sizeof err), -1);
    EXPECT_HAS(err, "w.txt:4:1:");
}

/* ---------------------------------------------------------------- scene_load */

static void test_load_reads_a_vectors_file_exactly(void)
{
    SceneSpec sp;
    char err[512];
    scene_spec_init(&sp);
    WRITE("vec.txt", "# three tokens, d_model 2\n0.5 -1\n2,3\n\n1e-3 1000000\n");
    SET(&sp, "text", "a b c");
    SET(&sp, "d-model", "2");
    SET(&sp, "vectors", "vec.txt");
    EXPECT_MSG(scene_load(&sp, test_tmpdir(), err, sizeof err) == 0, "scene_load: %s", err);
    EXPECT_INT(sp.scene.n, 3);
    EXPECT_STR(sp.scene.tokens[2], "c");
    const float want[6] = {0.5f, -1, 2, 3, 1e-3f, 1e6f};
    EXPECT(sp.scene.vectors == sp.vectors);
    EXPECT_ALL_NEAR(sp.scene.vectors, want, 6, 0);
    /* an absolute path ignores base_dir */
    SET(&sp, "vectors", tmp_path("vec.txt"));
    EXPECT_MSG(scene_load(&sp, "/nonexistent-base", err, sizeof err) == 0, "scene_load: %s", err);
    EXPECT_ALL_NEAR(sp.scene.vectors, want, 6, 0);
    scene_spec_free(&sp);
}

static void test_load_bad_vectors_file_names_path_line_and_column(void)
{
    SceneSpec sp;
    char err[512], want[600];
    scene_spec_init(&sp);
    WRITE("vec-bad.txt", "1 2\n3 x4\n");
    SET(&sp, "text", "a b");
    SET(&sp, "d-model", "2");
    SET(&sp, "vectors", "vec-bad.txt");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2:3:", tmp_path("vec-bad.txt"));
    EXPECT_HAS(err, want);
    /* a file for 3 tokens does not fit 2 */
    WRITE("vec-3.txt", "1 2\n3 4\n5 6\n");
    SET(&sp, "vectors", "vec-3.txt");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:3:1:", tmp_path("vec-3.txt"));
    EXPECT_HAS(err, want);
    scene_spec_free(&sp);
}

static void test_load_graph_mask_gives_the_edges(void)
{
    SceneSpec sp;
    char err[512];
    scene_spec_init(&sp);
    WRITE("edges.txt", "# a path\n1 2\n2-3\n");
    SET(&sp, "text", "x y z w");
    SET(&sp, "mask", "graph:edges.txt");
    EXPECT_MSG(scene_load(&sp, test_tmpdir(), err, sizeof err) == 0, "scene_load: %s", err);
    EXPECT_INT(sp.scene.mask, ATTN_MASK_GRAPH);
    EXPECT_INT(sp.scene.n_edges, 2);
    EXPECT(sp.scene.edges == sp.edges);
    EXPECT_INT(sp.edges[0], 0);
    EXPECT_INT(sp.edges[1], 1);
    EXPECT_INT(sp.edges[2], 1);
    EXPECT_INT(sp.edges[3], 2);
    /* the same file is too big for 2 tokens */
    SET(&sp, "text", "x y");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    EXPECT_HAS(err, "edges.txt:3:3:");
    EXPECT_HAS(err, "outside 1..2");
    scene_spec_free(&sp);
}

static void test_load_custom_mask_reads_0_1_and_refuses_other_values(void)
{
    SceneSpec sp;
    char err[512];
    scene_spec_init(&sp);
    WRITE("mask-ok.txt", "1 0 0\n1 1 0\n0 1 1\n");
    WRITE("mask-2.txt", "1 0 0\n1 1 2\n0 1 1\n");
    SET(&sp, "text", "x y z");
    SET(&sp, "mask", "custom:mask-ok.txt");
    EXPECT_MSG(scene_load(&sp, test_tmpdir(), err, sizeof err) == 0, "scene_load: %s", err);
    const unsigned char want[9] = {1, 0, 0, 1, 1, 0, 0, 1, 1};
    EXPECT(sp.scene.mask_matrix != NULL);
    EXPECT(memcmp(sp.scene.mask_matrix, want, 9) == 0);
    SET(&sp, "mask", "custom:mask-2.txt");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    EXPECT_HAS(err, "mask-2.txt");
    EXPECT_HAS(err, "entry (2, 3) is 2");
    EXPECT_HAS(err, "only 0 and 1");
    scene_spec_free(&sp);
}

static void test_load_weights_file_replaces_one_head_and_keeps_the_preset_elsewhere(void)
{
    SceneSpec with, without;
    AttnTrace preset, t;
    char err[512];
    memset(&preset, 0, sizeof preset);
    memset(&t, 0, sizeof t);
    scene_spec_init(&with);
    scene_spec_init(&without);
    /* default scene: d_model 8, 2 heads of d_head 4, seed 7 */
    char text[512] = "Wq 1\n";
    for (int r = 0; r < 8; r++) {
        char row[64];
        snprintf(row, sizeof row, "%d %d %d %d\n", 4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3);
        strcat(text, row);
    }
    WRITE("wq1.txt", text);
    SET(&with, "seed", "7");
    SET(&without, "seed", "7");
    SET(&with, "weights", "wq1.txt");
    EXPECT_MSG(scene_load(&with, test_tmpdir(), err, sizeof err) == 0, "scene_load: %s", err);
    EXPECT_MSG(scene_load(&without, test_tmpdir(), err, sizeof err) == 0, "scene_load: %s", err);
    EXPECT(without.scene.params.wq == NULL);
    EXPECT_MSG(attn_forward(&preset, &without.scene, err, sizeof err) == 0, "forward: %s", err);
    const AttnParams *p = &with.scene.params;
    EXPECT(p->wq && p->wk && p->wv && p->wo && !p->wa && !p->va);
    for (int i = 0; i < 32; i++) EXPECT_MSG(p->wq[i] == (float)i, "wq[%d] = %g", i, (double)p->wq[i]);
    EXPECT_ALL_NEAR(p->wq + 32, preset.head[1].wq, 32, 0);
    for (int h = 0; h < 2; h++) {
        EXPECT_ALL_NEAR(p->wk + 32 * h, preset.head[h].wk, 32, 0);
        EXPECT_ALL_NEAR(p->wv + 32 * h, preset.head[h].wv, 32, 0);
    }
    EXPECT_ALL_NEAR(p->wo, preset.wo, 64, 0);
    /* the engine computes with the file's head 1 */
    EXPECT_MSG(attn_forward(&t, &with.scene, err, sizeof err) == 0, "forward: %s", err);
    EXPECT_ALL_NEAR(t.head[0].wq, p->wq, 32, 0);
    EXPECT_ALL_NEAR(t.head[1].q, preset.head[1].q, 4 * 4, 0);
    attn_trace_free(&t);
    attn_trace_free(&preset);
    scene_spec_free(&with);
    scene_spec_free(&without);
}

static void test_load_missing_file_names_the_path_and_the_reason(void)
{
    SceneSpec sp;
    char err[512];
    scene_spec_init(&sp);
    SET(&sp, "vectors", "no-such-vectors.txt");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    EXPECT_HAS(err, tmp_path("no-such-vectors.txt"));
    EXPECT_HAS(err, "No such file");
    SET(&sp, "vectors", "hash");
    SET(&sp, "weights", "no-such-weights.txt");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    EXPECT_HAS(err, tmp_path("no-such-weights.txt"));
    EXPECT_HAS(err, "No such file");
    SET(&sp, "weights", "random");
    SET(&sp, "mask", "graph:no-such-graph.txt");
    EXPECT_INT(scene_load(&sp, test_tmpdir(), err, sizeof err), -1);
    EXPECT_HAS(err, tmp_path("no-such-graph.txt"));
    EXPECT_HAS(err, "No such file");
    scene_spec_free(&sp);
}

static void test_load_bad_text_is_a_value_error_with_its_column(void)
{
    SceneSpec sp;
    char err[512];
    scene_spec_init(&sp);
    SET(&sp, "text", "ok \xff no");
    EXPECT_INT(scene_load(&sp, NULL, err, sizeof err), -2);
    EXPECT_HAS(err, "--text");
    EXPECT_HAS(err, "column 4");
    SET(&sp, "text", "   ");
    EXPECT_INT(scene_load(&sp, NULL, err, sizeof err), -2);
    EXPECT_HAS(err, "column");
    scene_spec_free(&sp);
}

static void test_load_takes_4096_tokens_and_refuses_4097(void)
{
    SceneSpec sp;
    char err[512];
    char *text = malloc(2 * 4097 + 1);
    EXPECT(text != NULL);
    for (int i = 0; i < 4097; i++) { text[2 * i] = 'w'; text[2 * i + 1] = ' '; }
    text[2 * 4096] = 0; /* 4096 words */
    scene_spec_init(&sp);
    SET(&sp, "text", text);
    EXPECT_MSG(scene_load(&sp, NULL, err, sizeof err) == 0, "scene_load: %s", err);
    EXPECT_INT(sp.scene.n, 4096);
    text[2 * 4096] = 'w';
    text[2 * 4096 + 1] = 0; /* 4097 words */
    SET(&sp, "text", text);
    free(text);
    EXPECT_INT(scene_load(&sp, NULL, err, sizeof err), -2);
    EXPECT_HAS(err, "4096");
    EXPECT_HAS(err, "column 8193");
    scene_spec_free(&sp);
}

void suite_scene(void)
{
    RUN(test_set_every_key_accepts_a_good_value_and_sets_its_field);
    RUN(test_set_audio_and_image_replace_each_other);
    RUN(test_set_every_choice_name_maps_to_its_enum);
    RUN(test_set_weights_file_then_preset_forgets_the_file);
    RUN(test_set_refuses_sizes_outside_their_limits_naming_key_and_limit);
    RUN(test_set_refuses_unknown_choices_listing_the_allowed_ones);
    RUN(test_set_refuses_bad_masks_with_what_is_wrong);
    RUN(test_set_refuses_bad_temperatures_and_seeds);
    RUN(test_set_refuses_an_unknown_key_by_name);
    RUN(test_matrix_reads_rows_past_comments_blank_lines_and_commas);
    RUN(test_matrix_too_few_rows_points_at_the_end);
    RUN(test_matrix_short_and_long_rows_name_line_and_column);
    RUN(test_matrix_bad_numbers_name_their_exact_column);
    RUN(test_matrix_refuses_a_very_long_number_rather_than_splitting_it);
    RUN(test_graph_reads_space_and_dash_edges_past_comments);
    RUN(test_graph_nodes_outside_1_to_n_are_refused_at_their_column);
    RUN(test_graph_garbage_and_missing_nodes_are_refused_at_their_column);
    RUN(test_weights_overwrite_exactly_the_sections_given);
    RUN(test_weights_additive_sections_land_in_their_head);
    RUN(test_weights_unknown_section_is_refused_at_its_position);
    RUN(test_weights_head_number_outside_1_to_heads_is_refused);
    RUN(test_weights_additive_sections_refused_without_additive_scoring);
    RUN(test_weights_short_sections_are_refused_at_the_line);
    RUN(test_load_reads_a_vectors_file_exactly);
    RUN(test_load_bad_vectors_file_names_path_line_and_column);
    RUN(test_load_graph_mask_gives_the_edges);
    RUN(test_load_custom_mask_reads_0_1_and_refuses_other_values);
    RUN(test_load_weights_file_replaces_one_head_and_keeps_the_preset_elsewhere);
    RUN(test_load_missing_file_names_the_path_and_the_reason);
    RUN(test_load_bad_text_is_a_value_error_with_its_column);
    RUN(test_load_takes_4096_tokens_and_refuses_4097);
}
