/* test_explain.c: cell explanations. The numbers each formula line prints are parsed back
 * and must recompute the cell's value from the trace; masks, empty rows, notation,
 * number format and truncation at UTF-8 boundaries are checked directly. */
#include "test.h"
#include "../src/app/explain.h"
#include "../src/engine/tok.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

static const char *const TOKS3[] = {"the", "saw", "a"};
static const char *const TOKS4[] = {"the", "saw", "a", "dog"};

/* 3 tokens, d_model 4, one head of 4, identity weights, no positions: q = k = v = x = a */
static const float VEC3[] = {
    0.9f, -0.4f, 0.3f, 0.2f,
    -0.5f, 1.1f, 0.7f, -0.3f,
    0.4f, 0.6f, -1.2f, 0.8f,
};

static AttnScene scene3(void)
{
    AttnScene s = attn_scene_default();
    s.n = 3;
    s.tokens = TOKS3;
    s.vectors = VEC3;
    s.d_model = 4;
    s.heads = 1;
    s.d_head = 4;
    s.posenc = ATTN_PE_NONE;
    s.weights = ATTN_WEIGHTS_IDENTITY;
    return s;
}

/* the default scene on 4 hashed tokens: d_model 8, 2 heads of 4, random weights (seed 7) */
static AttnScene scene4(void)
{
    AttnScene s = attn_scene_default();
    s.n = 4;
    s.tokens = TOKS4;
    s.seed = 7;
    return s;
}

static int forward(AttnTrace *t, const AttnScene *s)
{
    char err[256] = "";
    int rc = attn_forward(t, s, err, sizeof err);
    if (rc) fprintf(stderr, "  attn_forward: %s\n", err);
    return rc;
}

static char buf[4096];

/* explains one cell into buf; returns the line count */
static int ex(const AttnTrace *t, FigQuantity q, int head, int row, int col)
{
    FigHit hit = {q, head, row, col, 0, 0};
    return explain_cell(buf, sizeof buf, t, &hit);
}

/* line k (0-based) of s into out, with U+2212 turned into '-' when ascii is set */
static void line_of(char *out, size_t len, const char *s, int k, int ascii)
{
    for (int i = 0; i < k && s; i++) {
        s = strchr(s, '\n');
        if (s) s++;
    }
    size_t n = 0;
    if (s)
        for (; s[n] && s[n] != '\n' && n + 1 < len; n++) out[n] = s[n];
    out[n] = '\0';
    if (!ascii) return;
    char *w = out;
    for (const char *r = out; *r;) {
        if (strncmp(r, "−", 3) == 0) { *w++ = '-'; r += 3; }
        else *w++ = *r++;
    }
    *w = '\0';
}

static const char *last_line(const char *s)
{
    const char *nl = strrchr(s, '\n');
    return nl ? nl + 1 : s;
}

/* whether s ends with "= " followed by explain_num(v) */
static int ends_with_value(const char *s, float v)
{
    char num[64], want[80];
    explain_num(num, sizeof num, v);
    snprintf(want, sizeof want, "= %s", num);
    size_t ls = strlen(s), lw = strlen(want);
    return ls >= lw && strcmp(s + ls - lw, want) == 0;
}

static int valid_utf8(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned cp;
        int k = tok_utf8_decode(s + i, len - i, &cp);
        if (k <= 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

static int count_lines(const char *s)
{
    if (!*s) return 0;
    int n = 1;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Sums the products "A·B + C·D + …" of an ASCII line between the first " = " and the last
 * " = " (parentheses dropped); *mag gets sum |A·B| for the tolerance. Returns the number of
 * terms, or -1 if the text does not parse. */
static int sum_products(const char *line, double *sum, double *mag)
{
    char tmp[1024];
    const char *a = strstr(line, " = "), *z = strrchr(line, '=');
    if (!a || !z || z <= a + 1) return -1;
    size_t n = 0;
    for (const char *p = a + 3; p < z - 1 && n + 2 < sizeof tmp; p++) {
        if (*p == '(' || *p == ')') continue;
        if (strncmp(p, "·", 2) == 0) { tmp[n++] = '*'; p++; continue; }
        tmp[n++] = *p;
    }
    tmp[n] = '\0';
    *sum = 0;
    *mag = 0;
    int terms = 0;
    char *p = tmp;
    for (;;) {
        char *e;
        double x = strtod(p, &e);
        if (e == p || *e != '*') return -1;
        p = e + 1;
        double y = strtod(p, &e);
        if (e == p) return -1;
        *sum += x * y;
        *mag += fabs(x * y);
        terms++;
        p = e;
        while (*p == ' ') p++;
        if (*p == '\0') return terms;
        if (*p != '+') return -1;
        p++;
    }
}

/* ------------------------------------------------------------------ numbers and digits */

static void test_num_format(void)
{
    char s[32];
    explain_num(s, sizeof s, 0.41015f);
    EXPECT_STR(s, "0.410");
    explain_num(s, sizeof s, -1.5f);
    EXPECT_STR(s, "−1.50");
    explain_num(s, sizeof s, 1234.5f);
    EXPECT_STR(s, "1.23e+03");
    explain_num(s, sizeof s, -0.000123f);
    EXPECT_STR(s, "−1.23e−04");
    explain_num(s, sizeof s, 12.34f);
    EXPECT_STR(s, "12.3");
    explain_num(s, sizeof s, 999.7f); /* rounds up into the next decade */
    EXPECT_STR(s, "1.00e+03");
    explain_num(s, sizeof s, 0.0f);
    EXPECT_STR(s, "0");
    explain_num(s, sizeof s, -0.0f);
    EXPECT_STR(s, "0");
    explain_num(s, sizeof s, 0.001f);
    EXPECT_STR(s, "0.00100");
    explain_num(s, sizeof s, INFINITY);
    EXPECT_STR(s, "∞");
    explain_num(s, sizeof s, NAN);
    EXPECT(strstr(s, "nan") == NULL && strstr(s, "NaN") == NULL);
    /* the minus sign is 3 bytes: with room for 2, nothing of it is written */
    explain_num(s, 3, -1.5f);
    EXPECT_STR(s, "");
    explain_num(s, 4, -1.5f);
    EXPECT_STR(s, "−");
    explain_num(s, 6, -1.5f);
    EXPECT_STR(s, "−1.");
    s[0] = 'x';
    explain_num(s, 1, 2.0f);
    EXPECT_STR(s, "");
}

static void test_sub_sup(void)
{
    char s[32];
    explain_sub(s, sizeof s, 12);
    EXPECT_STR(s, "₁₂");
    explain_sup(s, sizeof s, 12);
    EXPECT_STR(s, "¹²");
    explain_sup(s, sizeof s, 3);
    EXPECT_STR(s, "³");
    explain_sup(s, sizeof s, 4090);
    EXPECT_STR(s, "⁴⁰⁹⁰");
    explain_sub(s, sizeof s, 0);
    EXPECT_STR(s, "₀");
    explain_sub(s, sizeof s, 7890);
    EXPECT_STR(s, "₇₈₉₀");
    explain_sub(s, sizeof s, -3);
    EXPECT_STR(s, "₋₃");
    /* "₁₂" is 6 bytes: 5 bytes of room keep one whole digit */
    explain_sub(s, 6, 12);
    EXPECT_STR(s, "₁");
    explain_sup(s, 3, 12); /* ¹ is 2 bytes: it fits, ² does not */
    EXPECT_STR(s, "¹");
    explain_sup(s, 2, 12);
    EXPECT_STR(s, "");
}

/* ------------------------------------------------------------------ line 1 */

static void test_first_line_names(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    if (forward(&t, &s)) { EXPECT(0); }
    char l[512];
    EXPECT_INT(ex(&t, FQ_Q, 1, 1, 2), 3);
    line_of(l, sizeof l, buf, 0, 0);
    EXPECT_MSG(strncmp(l, "q²₃ · head 2 · ", strlen("q²₃ · head 2 · ")) == 0, "line 1: %s", l);
    EXPECT_MSG(strstr(l, "token 2 (\"saw\")") && strstr(l, "dimension 3"), "line 1: %s", l);

    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 1, 2), 3);
    line_of(l, sizeof l, buf, 0, 0);
    EXPECT_MSG(strncmp(l, "α′₂,₃ · head 1 · ", strlen("α′₂,₃ · head 1 · ")) == 0, "line 1: %s", l);
    EXPECT_MSG(strstr(l, "query 2 (\"saw\")") && strstr(l, "key 3 (\"a\")"), "line 1: %s", l);

    EXPECT_INT(ex(&t, FQ_SCORES, 1, 3, 0), 3);
    line_of(l, sizeof l, buf, 0, 0);
    EXPECT_MSG(strncmp(l, "α₄,₁ · head 2", strlen("α₄,₁ · head 2")) == 0, "line 1: %s", l);
    EXPECT_MSG(strstr(l, "query 4 (\"dog\")") && strstr(l, "key 1 (\"the\")"), "line 1: %s", l);

    EXPECT_INT(ex(&t, FQ_OUT, 1, 0, 3), 3);
    line_of(l, sizeof l, buf, 0, 0);
    EXPECT_MSG(strncmp(l, "out¹₄ · head 2", strlen("out¹₄ · head 2")) == 0, "line 1: %s", l);

    EXPECT_INT(ex(&t, FQ_A, 0, 3, 7), 3);
    line_of(l, sizeof l, buf, 0, 0);
    EXPECT_MSG(strncmp(l, "a⁴₈", strlen("a⁴₈")) == 0 && strstr(l, "token 4 (\"dog\")"), "line 1: %s", l);
    line_of(l, sizeof l, buf, 1, 0);
    EXPECT_MSG(strstr(l, "fixed vector of the token string \"dog\""), "line 2: %s", l);

    /* a token with a newline and a control byte stays on its line */
    const char *const odd[] = {"a\nb", "c\x01", "d"};
    s.tokens = odd;
    s.n = 3;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 0, 1), 3);
    EXPECT_INT(count_lines(buf), 3);
    EXPECT_MSG(strstr(buf, "query 1 (\"a?b\")") && strstr(buf, "key 2 (\"c?\")"), "%s", buf);
    attn_trace_free(&t);
}

/* every quantity gives 3 lines, the count matches, and an impossible hit gives nothing */
static void test_every_quantity(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    s.mask = ATTN_MASK_CAUSAL;
    if (forward(&t, &s)) { EXPECT(0); }
    for (int q = FQ_A; q <= FQ_WO; q++) {
        int n = ex(&t, (FigQuantity)q, 1, 2, 1);
        EXPECT_MSG(n == 3, "quantity %d gives %d lines: %s", q, n, buf);
        EXPECT_INT(count_lines(buf), n);
        EXPECT(valid_utf8(buf));
        EXPECT_MSG(!strstr(buf, "nan") && !strstr(buf, "inf") && !strstr(buf, "NaN"), "%s", buf);
    }
    EXPECT_INT(ex(&t, FQ_NONE, 0, 0, 0), 0);
    EXPECT_STR(buf, "");
    EXPECT_INT(ex(&t, FQ_Q, 2, 0, 0), 0);       /* head 3 of 2 */
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 0, 4), 0); /* key 5 of 4 */
    EXPECT_INT(ex(&t, FQ_Q, 0, 0, 4), 0);       /* dimension 5 of 4 */
    EXPECT_INT(ex(&t, FQ_X, 0, -1, 0), 0);
    EXPECT_INT(ex(&t, FQ_WO, 0, 8, 0), 0);      /* row 9 of 2 x 4 */
    EXPECT_INT(ex(&t, FQ_WO, 0, 7, 7), 3);
    EXPECT_INT(explain_cell(buf, sizeof buf, &t, NULL), 0);
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ inputs */

static void test_x_is_a_plus_e(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    if (forward(&t, &s)) { EXPECT(0); }
    char l[512];
    for (int i = 0; i < t.n; i++)
        for (int m = 0; m < t.d_model; m += 3) {
            size_t c = (size_t)i * t.d_model + m;
            EXPECT_INT(ex(&t, FQ_X, 0, i, m), 3);
            EXPECT_MSG(ends_with_value(last_line(buf), t.x[c]), "%s", buf);
            line_of(l, sizeof l, buf, 2, 1);
            const char *p = strstr(l, " = ");
            EXPECT(p != NULL);
            char *e;
            double a = strtod(p + 3, &e);
            EXPECT_MSG(strncmp(e, " + ", 3) == 0, "%s", l);
            e += 3;
            if (*e == '(') e++;
            double pe = strtod(e, &e);
            if (*e == ')') e++;
            EXPECT_MSG(strncmp(e, " = ", 3) == 0, "%s", l);
            double x = strtod(e + 3, NULL);
            double tol = 0.006 * (fabs(a) + fabs(pe)) + 1e-6;
            EXPECT_NEAR(a, t.a[c], 0.006 * fabs(t.a[c]) + 1e-6);
            EXPECT_NEAR(pe, t.pe[c], 0.006 * fabs(t.pe[c]) + 1e-6);
            EXPECT_NEAR(a + pe, x, tol + 0.006 * fabs(x));
            EXPECT_NEAR(a + pe, t.x[c], tol);
        }
    attn_trace_free(&t);
}

static void test_positional_encoding(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    if (forward(&t, &s)) { EXPECT(0); }
    char l[512];
    /* token 2 is position p = 1; dimension 5 is 4 from 0: even, sin, pair 2i = 4 */
    EXPECT_INT(ex(&t, FQ_PE, 0, 1, 4), 3);
    line_of(l, sizeof l, buf, 2, 0);
    EXPECT_MSG(strncmp(l, "e²₅ = sin(1 / 10000^(4/8))", strlen("e²₅ = sin(1 / 10000^(4/8))")) == 0, "%s", l);
    EXPECT_MSG(ends_with_value(l, t.pe[1 * 8 + 4]), "%s", l);
    /* dimension 6 is 5 from 0: odd, cos, same pair */
    EXPECT_INT(ex(&t, FQ_PE, 0, 1, 5), 3);
    line_of(l, sizeof l, buf, 2, 0);
    EXPECT_MSG(strncmp(l, "e²₆ = cos(1 / 10000^(4/8))", strlen("e²₆ = cos(1 / 10000^(4/8))")) == 0, "%s", l);
    EXPECT_MSG(ends_with_value(l, t.pe[1 * 8 + 5]), "%s", l);
    EXPECT(fabs(t.pe[1 * 8 + 5] - cos(1.0 / 100.0)) < 1e-6); /* the formula shown is the one computed */
    /* position 4 (token 4), dimension 1: sin(3 / 10000^(0/8)) = sin(3) */
    EXPECT_INT(ex(&t, FQ_PE, 0, 3, 0), 3);
    EXPECT_MSG(strstr(buf, "sin(3 / 10000^(0/8))") && strstr(buf, "position p = 3"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, (float)sin(3.0)), "%s", buf);

    s.posenc = ATTN_PE_LEARNED;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_PE, 0, 2, 3), 3);
    EXPECT_MSG(strstr(buf, "seeded random vector per position (seed 7"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, t.pe[2 * 8 + 3]), "%s", buf);

    s.posenc = ATTN_PE_NONE;
    s.vectors = NULL;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_PE, 0, 2, 3), 3);
    EXPECT_MSG(strstr(buf, "no positional encoding: e = 0"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, 0.0f), "%s", buf);

    AttnScene e = scene3();
    if (forward(&t, &e)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_A, 0, 1, 1), 3);
    EXPECT_MSG(strstr(buf, "given explicitly"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, 1.1f), "%s", buf);
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ projections and sums */

static void test_sums_recompute(void)
{
    AttnTrace t = {0};
    AttnScene s = scene3();
    s.weights = ATTN_WEIGHTS_RANDOM;
    s.posenc = ATTN_PE_SINUSOIDAL;
    s.mask = ATTN_MASK_CAUSAL;
    if (forward(&t, &s)) { EXPECT(0); }
    char l[1024];
    int n = t.n, dh = t.d_head, dm = t.d_model;
    const AttnHead *hd = &t.head[0];
    for (int i = 0; i < n; i++)
        for (int c = 0; c < dh; c++) {
            struct { FigQuantity q; int col; float v; } cells[] = {
                {FQ_Q, c, hd->q[i * dh + c]}, {FQ_K, c, hd->k[i * dh + c]},
                {FQ_V, c, hd->v[i * dh + c]}, {FQ_OUT, c, hd->out[i * dh + c]},
                {FQ_OUTPUT, c, t.output[i * dm + c]},
                {FQ_SCORES, c < n ? c : 0, hd->scores[i * n + (c < n ? c : 0)]},
            };
            for (size_t k = 0; k < sizeof cells / sizeof *cells; k++) {
                EXPECT_INT(ex(&t, cells[k].q, 0, i, cells[k].col), 3);
                line_of(l, sizeof l, buf, 2, 1);
                EXPECT_MSG(ends_with_value(last_line(buf), cells[k].v), "%s", buf);
                double sum, mag;
                int terms = sum_products(l, &sum, &mag);
                EXPECT_MSG(terms >= 1 && terms <= 4, "%d terms in: %s", terms, l);
                if (cells[k].q == FQ_OUT) EXPECT_INT(terms, i + 1); /* causal: keys 1..i */
                else EXPECT_INT(terms, 4);
                EXPECT_MSG(fabs(sum - cells[k].v) <= 0.011 * mag + 1e-6,
                           "terms sum to %g, cell is %g: %s", sum, (double)cells[k].v, l);
            }
        }
    /* out lists the largest weights first */
    EXPECT_INT(ex(&t, FQ_OUT, 0, 2, 1), 3);
    line_of(l, sizeof l, buf, 2, 1);
    {
        float wmax = hd->weights[2 * n];
        for (int j = 1; j < 3; j++) if (hd->weights[2 * n + j] > wmax) wmax = hd->weights[2 * n + j];
        char num[32], want[64];
        explain_num(num, sizeof num, wmax);
        snprintf(want, sizeof want, "out³₂ = %s·", num);
        line_of(l, sizeof l, buf, 2, 0);
        EXPECT_MSG(strncmp(l, want, strlen(want)) == 0, "expected \"%s…\", got %s", want, l);
    }
    /* the default scene's 8-term sums are cut after 4 with the count */
    AttnScene big = scene4();
    if (forward(&t, &big)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_Q, 1, 1, 2), 3);
    line_of(l, sizeof l, buf, 1, 0);
    EXPECT_MSG(strstr(l, "q²₃ = Σₘ x²ₘ Wq[m][3] = x²₁·Wq[1][3] + x²₂·Wq[2][3] + …"), "%s", l);
    line_of(l, sizeof l, buf, 2, 0);
    EXPECT_MSG(strstr(l, " + … (8 terms) = "), "%s", l);
    EXPECT_MSG(ends_with_value(l, t.head[1].q[1 * 4 + 2]), "%s", l);
    EXPECT_INT(ex(&t, FQ_OUTPUT, 0, 3, 6), 3);
    EXPECT_MSG(strstr(buf, "b⁴₇ = Σᵣ concat⁴ᵣ Wᴼ[r][7]") && strstr(buf, "(8 terms)"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, t.output[3 * 8 + 6]), "%s", buf);
    attn_trace_free(&t);
}

static void test_additive_scores(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    s.score = ATTN_SCORE_ADDITIVE;
    s.d_att = 3;
    if (forward(&t, &s)) { EXPECT(0); }
    char l[1024];
    for (int i = 0; i < t.n; i++)
        for (int j = 0; j < t.n; j++) {
            float v = t.head[1].scores[i * t.n + j];
            EXPECT_INT(ex(&t, FQ_SCORES, 1, i, j), 3);
            EXPECT_MSG(strstr(buf, "vᵃ·tanh([q"), "%s", buf);
            EXPECT_MSG(ends_with_value(buf, v), "%s", buf);
            /* parse "A·tanh(U) + …" and recompute */
            line_of(l, sizeof l, buf, 2, 1);
            const char *p = strstr(l, " = ");
            EXPECT(p != NULL);
            p += 3;
            double sum = 0, mag = 0;
            for (int a = 0; a < 3; a++) {
                char *e;
                if (*p == '(') p++;
                double va = strtod(p, &e);
                if (*e == ')') e++;
                EXPECT_MSG(strncmp(e, "·tanh(", strlen("·tanh(")) == 0, "%s", l);
                double u = strtod(e + strlen("·tanh("), &e);
                EXPECT_MSG(*e == ')', "%s", l);
                sum += va * tanh(u);
                mag += fabs(va);
                p = e + 1;
                if (a < 2) {
                    EXPECT_MSG(strncmp(p, " + ", 3) == 0, "%s", l);
                    p += 3;
                }
            }
            EXPECT_MSG(fabs(sum - v) <= 0.008 * mag + 1e-6, "terms %g vs %g: %s", sum, (double)v, l);
        }
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ scaled scores */

static void test_scaled(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    s.mask = ATTN_MASK_CAUSAL;
    if (forward(&t, &s)) { EXPECT(0); }
    char l[512];
    for (int h = 0; h < 2; h++)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                EXPECT_INT(ex(&t, FQ_SCALED, h, i, j), 3);
                line_of(l, sizeof l, buf, 2, 1);
                if (j > i) {
                    EXPECT_MSG(strstr(buf, "masked: s") && strstr(buf, "= −∞") &&
                               strstr(buf, "causal mask") && strstr(buf, "is after query"), "%s", buf);
                    continue;
                }
                float v = attn_scaled(&t, h, i, j);
                EXPECT_MSG(ends_with_value(last_line(buf), v), "%s", buf);
                /* "s = α / √4 = A / D = V" */
                const char *p = strstr(l, "/ √4 = ");
                EXPECT_MSG(p != NULL, "%s", l);
                char *e;
                double a = strtod(p + strlen("/ √4 = "), &e);
                EXPECT_MSG(strncmp(e, " / ", 3) == 0, "%s", l);
                double d = strtod(e + 3, &e);
                EXPECT_NEAR(d, 2.0, 0.0);
                EXPECT_NEAR(a, t.head[h].scores[i * 4 + j], 0.006 * fabs(a) + 1e-6);
                EXPECT_NEAR(a / d, v, 0.006 * fabs(v) + 1e-6);
            }
    /* √8 is not a whole number: printed with 3 digits */
    s.d_head = 8;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_SCALED, 0, 2, 1), 3);
    EXPECT_MSG(strstr(buf, "/ √8 = ") && strstr(buf, " / 2.83 = "), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, attn_scaled(&t, 0, 2, 1)), "%s", buf);
    /* dot scoring is not scaled */
    s.score = ATTN_SCORE_DOT;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_SCALED, 0, 2, 1), 3);
    EXPECT_MSG(strstr(buf, "not scaled") && !strstr(buf, "√"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, t.head[0].scores[2 * 4 + 1]), "%s", buf);
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ weights */

/* parses "exp(A − B) / Z = V" or, with a temperature, "exp((A − B) / T) / Z = V" */
static int parse_softmax(const char *l, int with_t, double *a, double *b, double *tt, double *z)
{
    const char *p = strstr(l, with_t ? "exp((" : "exp(");
    if (!p) return 0;
    char *e;
    *a = strtod(p + (with_t ? 5 : 4), &e);
    if (strncmp(e, " - ", 3) != 0) return 0;
    e += 3;
    int paren = *e == '(';
    *b = strtod(e + paren, &e);
    if (paren && *e++ != ')') return 0;
    *tt = 1.0;
    if (with_t) {
        if (strncmp(e, ") / ", 4) != 0) return 0;
        *tt = strtod(e + 4, &e);
    }
    if (strncmp(e, ") / ", 4) != 0) return 0;
    *z = strtod(e + 4, &e);
    return strncmp(e, " = ", 3) == 0;
}

static void check_softmax_scene(const AttnScene *s, int with_t)
{
    AttnTrace t = {0};
    if (forward(&t, s)) { EXPECT(0); }
    char l[512];
    int n = t.n;
    for (int h = 0; h < t.heads; h++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                float w = t.head[h].weights[i * n + j];
                EXPECT_INT(ex(&t, FQ_WEIGHTS, h, i, j), 3);
                line_of(l, sizeof l, buf, 2, 1);
                if (!attn_allowed(&t, i, j)) {
                    char want[64];
                    snprintf(want, sizeof want, " = 0: key %d is masked", j + 1);
                    EXPECT_MSG(strstr(buf, want), "%s", buf);
                    continue;
                }
                double a, b, tt, z;
                EXPECT_MSG(parse_softmax(l, with_t, &a, &b, &tt, &z), "does not parse: %s", l);
                EXPECT_NEAR(tt, t.temperature, 1e-6);
                double v = exp((a - b) / tt) / z;
                EXPECT_MSG(fabs(v - w) <= 2e-3 * w + 1e-7, "exp((%g - %g)/%g)/%g = %g, weight %g: %s",
                           a, b, tt, z, v, (double)w, l);
                EXPECT_MSG(ends_with_value(last_line(buf), w), "%s", buf);
                line_of(l, sizeof l, buf, 1, 0);
                EXPECT_MSG(strstr(l, with_t ? "exp((s" : "exp(s") && strstr(l, "− m") &&
                           (!with_t || strstr(l, "/T")), "%s", l);
            }
    attn_trace_free(&t);
}

static void test_softmax_recomputes(void)
{
    AttnScene s = scene4();
    s.mask = ATTN_MASK_CAUSAL;
    check_softmax_scene(&s, 0);
    if (test_current_failed()) return;
    AttnScene e = scene3();
    e.mask = ATTN_MASK_WINDOW;
    e.mask_param = 1;
    check_softmax_scene(&e, 0);
    if (test_current_failed()) return;
    /* larger scores: an error in the exponent's arguments would show */
    static float big[12];
    for (int k = 0; k < 12; k++) big[k] = 3.0f * VEC3[k];
    e.vectors = big;
    e.mask = ATTN_MASK_NONE;
    check_softmax_scene(&e, 0);
}

static void test_softmax_temperature(void)
{
    AttnScene s = scene4();
    s.temperature = 0.5f;
    check_softmax_scene(&s, 1);
    if (test_current_failed()) return;
    AttnTrace t = {0};
    if (forward(&t, &s)) { EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 1, 2), 3);
    char l[512];
    line_of(l, sizeof l, buf, 1, 0);
    EXPECT_MSG(strstr(l, "T = 0.5"), "%s", l);
    attn_trace_free(&t);
}

/* parses "max(0, A) / Z = V" or "max(0, A/T) / Z = V" */
static void test_relu_weights(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    s.norm = ATTN_NORM_RELU;
    s.mask = ATTN_MASK_CAUSAL;
    if (forward(&t, &s)) { EXPECT(0); }
    char l[512];
    int n = t.n, checked = 0;
    for (int h = 0; h < t.heads; h++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                float w = t.head[h].weights[i * n + j];
                EXPECT_INT(ex(&t, FQ_WEIGHTS, h, i, j), 3);
                line_of(l, sizeof l, buf, 2, 1);
                if (t.head[h].empty_row[i]) {
                    EXPECT_MSG(strstr(l, "no positive score") && strstr(l, "every weight is 0"), "%s", l);
                    continue;
                }
                const char *p = strstr(l, "max(0, ");
                EXPECT_MSG(p != NULL, "%s", l);
                char *e;
                double a = strtod(p + 7, &e);
                EXPECT_MSG(strncmp(e, ") / ", 4) == 0, "%s", l);
                double z = strtod(e + 4, &e);
                EXPECT_NEAR(a, attn_scaled(&t, h, i, j), 0.006 * fabs(a) + 1e-6);
                double v = (a > 0 ? a : 0) / z;
                EXPECT_MSG(fabs(v - w) <= 2e-3 * w + 1e-7, "%g / %g = %g, weight %g: %s", a, z, v,
                           (double)w, l);
                EXPECT_MSG(ends_with_value(last_line(buf), w), "%s", buf);
                checked++;
            }
    EXPECT(checked > 4);
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 1, 1), 3);
    EXPECT_MSG(strstr(buf, "max(0, s₂,₂) / Σⱼ max(0, s₂,ⱼ)"), "%s", buf);
    attn_trace_free(&t);
}

static void test_empty_rows(void)
{
    AttnTrace t = {0};
    AttnScene s = scene3();
    /* row 2 may see nothing */
    static const unsigned char m[9] = {1, 1, 0, 0, 0, 0, 1, 1, 1};
    s.mask = ATTN_MASK_CUSTOM;
    s.mask_matrix = m;
    if (forward(&t, &s)) { EXPECT(0); }
    EXPECT_INT(t.head[0].empty_row[1], 1);
    for (int j = 0; j < 3; j++) {
        EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 1, j), 3);
        EXPECT_MSG(!strcmp(last_line(buf), "row 2 has no key it may attend to: every weight is 0"),
                   "%s", buf);
    }
    EXPECT_INT(ex(&t, FQ_OUT, 0, 1, 2), 3);
    EXPECT_MSG(strstr(last_line(buf), "row 2 has no key it may attend to"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, 0.0f), "%s", buf);
    /* the other rows are normal, and their masked keys say so */
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 0, 2), 3);
    EXPECT_MSG(strstr(buf, "α′₁,₃ = 0: key 3 is masked") && strstr(buf, "custom mask"), "%s", buf);
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 0, 1), 3);
    EXPECT_MSG(ends_with_value(buf, t.head[0].weights[1]), "%s", buf);
    EXPECT_INT(ex(&t, FQ_MASK, 0, 1, 1), 3);
    EXPECT_MSG(!strcmp(last_line(buf), "0: masked by the custom mask (set to 0 in the custom mask matrix)"),
               "%s", buf);
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ masks */

static void test_mask_reasons(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    s.mask = ATTN_MASK_CAUSAL;
    if (forward(&t, &s)) { EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_MASK, 0, 1, 2), 3);
    EXPECT_STR(last_line(buf), "0: masked by the causal mask (key 3 is after query 2)");
    EXPECT_INT(ex(&t, FQ_MASK, 0, 2, 1), 3);
    EXPECT_MSG(!strncmp(last_line(buf), "1: query 3 may attend to key 2", 30), "%s", buf);
    EXPECT_INT(ex(&t, FQ_SCORES, 0, 1, 2), 3); /* raw scores exist for masked pairs */
    EXPECT_MSG(strstr(buf, "masked later") && ends_with_value(buf, t.head[0].scores[1 * 4 + 2]), "%s", buf);

    s.mask = ATTN_MASK_WINDOW;
    s.mask_param = 1;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_MASK, 0, 0, 2), 3);
    EXPECT_MSG(strstr(last_line(buf), "0: masked by the window mask") &&
               strstr(last_line(buf), "|1 − 3| = 2 > 1"), "%s", buf);
    EXPECT_INT(ex(&t, FQ_MASK, 0, 2, 3), 3);
    EXPECT_MSG(strstr(last_line(buf), "1: query 3 may attend to key 4") &&
               strstr(last_line(buf), "|3 − 4| = 1 ≤ 1"), "%s", buf);

    s.mask = ATTN_MASK_PADDING;
    s.mask_param = 1;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_MASK, 0, 0, 3), 3);
    EXPECT_MSG(strstr(last_line(buf), "0: masked by the padding mask (key 4 is padding"), "%s", buf);
    EXPECT_INT(ex(&t, FQ_SCALED, 1, 0, 3), 3);
    EXPECT_MSG(strstr(last_line(buf), "masked: s₁,₄ = −∞ (query 1 may not see key 4 under the padding mask"),
               "%s", buf);

    static const int edges[] = {0, 1, 1, 2};
    s.mask = ATTN_MASK_GRAPH;
    s.edges = edges;
    s.n_edges = 2;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_MASK, 0, 0, 2), 3);
    EXPECT_MSG(strstr(last_line(buf), "0: masked by the graph mask (no edge joins 1 and 3)"), "%s", buf);
    EXPECT_INT(ex(&t, FQ_MASK, 0, 2, 1), 3);
    EXPECT_MSG(strstr(last_line(buf), "1: query 3 may attend to key 2 (an edge joins 3 and 2)"), "%s", buf);
    EXPECT_INT(ex(&t, FQ_MASK, 0, 3, 3), 3);
    EXPECT_MSG(strstr(last_line(buf), "itself"), "%s", buf);
    EXPECT_INT(ex(&t, FQ_WEIGHTS, 0, 3, 3), 3); /* node 4 sees only itself: weight 1 */
    EXPECT_MSG(ends_with_value(buf, 1.0f), "%s", buf);
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ weights' origins */

static void test_parameter_cells(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    if (forward(&t, &s)) { EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_WQ, 0, 4, 2), 3);
    EXPECT_MSG(!strncmp(buf, "Wq[5][3] · head 1 · ", strlen("Wq[5][3] · head 1 · ")) &&
               strstr(buf, "seeded random (seed 7)") &&
               strstr(buf, "how much x dimension 5 adds to q dimension 3"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, t.head[0].wq[4 * 4 + 2]), "%s", buf);
    EXPECT_INT(ex(&t, FQ_WV, 1, 0, 3), 3);
    EXPECT_MSG(strstr(buf, "head 2") && ends_with_value(buf, t.head[1].wv[3]), "%s", buf);
    EXPECT_INT(ex(&t, FQ_WO, 0, 5, 3), 3);
    EXPECT_MSG(!strncmp(buf, "Wᴼ[6][4] · head 2", strlen("Wᴼ[6][4] · head 2")) &&
               strstr(buf, "concat dimension 6 (head 2, out dimension 2) adds to b dimension 4"), "%s", buf);
    EXPECT_MSG(ends_with_value(buf, t.wo[5 * 8 + 3]), "%s", buf);

    s.weights = ATTN_WEIGHTS_IDENTITY;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_WK, 1, 4, 0), 3);
    EXPECT_MSG(strstr(buf, "identity preset") && ends_with_value(buf, 1.0f), "%s", buf);
    EXPECT_INT(ex(&t, FQ_WO, 0, 1, 0), 3);
    EXPECT_MSG(strstr(buf, "identity preset") && ends_with_value(buf, 0.0f), "%s", buf);

    static float wq[2 * 8 * 4];
    for (int k = 0; k < 64; k++) wq[k] = 0.01f * (float)(k % 7) - 0.02f;
    s.params.wq = wq;
    if (forward(&t, &s)) { attn_trace_free(&t); EXPECT(0); }
    EXPECT_INT(ex(&t, FQ_WQ, 1, 2, 1), 3);
    EXPECT_MSG(strstr(buf, "given by the scene") && ends_with_value(buf, wq[32 + 2 * 4 + 1]), "%s", buf);
    EXPECT_INT(ex(&t, FQ_WK, 1, 2, 1), 3);
    EXPECT_MSG(strstr(buf, "identity preset"), "%s", buf);
    attn_trace_free(&t);
}

/* ------------------------------------------------------------------ truncation */

static void test_truncation(void)
{
    AttnTrace t = {0};
    AttnScene s = scene4();
    const char *const toks[] = {"ñandú", "→", "日本", "dog"};
    s.tokens = toks;
    s.mask = ATTN_MASK_CAUSAL;
    s.temperature = 2.0f;
    if (forward(&t, &s)) { EXPECT(0); }
    char full[4096], small[4096];
    FigQuantity qs[] = {FQ_PE, FQ_Q, FQ_SCORES, FQ_SCALED, FQ_MASK, FQ_WEIGHTS, FQ_OUT, FQ_WO};
    for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
        FigHit hit = {qs[k], 1, 2, 3, 0, 0};
        int lines = explain_cell(full, sizeof full, &t, &hit);
        EXPECT_INT(lines, 3);
        EXPECT(valid_utf8(full));
        size_t fl = strlen(full);
        for (size_t len = 1; len <= fl + 1; len++) {
            memset(small, 'x', sizeof small);
            int n = explain_cell(small, len, &t, &hit);
            size_t sl = strlen(small);
            EXPECT_MSG(sl < len, "len %zu wrote %zu bytes", len, sl);
            EXPECT_MSG(valid_utf8(small), "len %zu: invalid UTF-8", len);
            EXPECT_MSG(strncmp(small, full, sl) == 0, "len %zu: not a prefix", len);
            /* cut at most one code point early (or before a line break) */
            EXPECT_MSG(sl + 4 >= len || full[sl] == '\n', "len %zu: only %zu bytes used", len, sl);
            EXPECT_INT(n, count_lines(small));
            EXPECT(small[sl] == '\0' && small[len] == 'x');
        }
        EXPECT_INT(explain_cell(small, fl + 1, &t, &hit), 3);
        EXPECT_STR(small, full);
    }
    small[0] = 'x';
    FigHit hit = {FQ_A, 0, 0, 0, 0, 0};
    EXPECT_INT(explain_cell(small, 0, &t, &hit), 0);
    EXPECT(small[0] == 'x'); /* len 0: nothing is written */
    attn_trace_free(&t);
}

/* Hovering the encoder-decoder figure: the alignment cell's third line recomputes its weight
 * from the numbers it prints, the context cell's terms add up to its value, and the fixed
 * vector names the last source word. */
static void cross_cells_recompute_from_their_own_numbers(void)
{
    CrossScene s = cross_scene_default();
    EXPECT(cross_preset(&s, "french") == 0);
    CrossTrace t;
    memset(&t, 0, sizeof t);
    char err[256];
    EXPECT_MSG(cross_forward(&t, &s, err, sizeof err) == 0, "%s", err);
    char text[1024], line[512];

    FigHit hit = {FQ_CROSS, 0, 1, 2, 0, 0}; /* "chat" attending to "cat" */
    EXPECT_INT(explain_cross(text, sizeof text, &t, &s, &hit), 3);
    line_of(line, sizeof line, text, 0, 0);
    EXPECT_MSG(strstr(line, "\"chat\"") && strstr(line, "\"cat\""), "line 1: %s", line);
    line_of(line, sizeof line, text, 2, 1);
    double a, m, sum, v;
    EXPECT_MSG(sscanf(line, "= exp(%lf - %lf) / %lf = %lf", &a, &m, &sum, &v) == 4, "line 3: %s", line);
    EXPECT_NEAR(exp(a - m) / sum, v, 0.005);
    EXPECT_NEAR(v, t.weights[1 * 4 + 2], 0.005);

    hit.panel = 1; hit.row = 1; hit.col = 2; /* "chat"'s context, number 3 */
    EXPECT_INT(explain_cross(text, sizeof text, &t, &s, &hit), 3);
    line_of(line, sizeof line, text, 2, 1);
    double total = 0;
    const char *p = line + 2;
    for (int j = 0; j < 4; j++) {
        double w, h;
        int used = 0;
        EXPECT_MSG(sscanf(p, "%lf·%lf%n", &w, &h, &used) == 2, "term %d of: %s", j + 1, line);
        total += w * h;
        p += used;
        if (j < 3) {
            EXPECT_MSG(strncmp(p, " + ", 3) == 0, "after term %d: %s", j + 1, p);
            p += 3;
        }
    }
    EXPECT_MSG(sscanf(p, " = %lf", &v) == 1, "the total in: %s", line);
    EXPECT_NEAR(total, v, 0.01);
    EXPECT_NEAR(v, t.context[1 * 4 + 2], 0.005);

    hit.panel = 2; hit.row = 0; hit.col = 3;
    EXPECT_INT(explain_cross(text, sizeof text, &t, &s, &hit), 3);
    EXPECT_MSG(strstr(text, "\"sleeps\""), "%s", text);
    EXPECT_STR(last_line(text), "= 2.00");

    /* decoding step 2 ("chat"): a term is its weight times its source state */
    hit.panel = 3; hit.head = 1; hit.row = 2; hit.col = 2; /* "cat", number 3 */
    EXPECT_INT(explain_cross(text, sizeof text, &t, &s, &hit), 3);
    EXPECT_MSG(strstr(text, "\"chat\"") && strstr(text, "\"cat\""), "%s", text);
    line_of(line, sizeof line, text, 1, 1);
    double aw, hv, prod;
    EXPECT_MSG(sscanf(line, "αₜⱼ · hⱼ = %lf · %lf = %lf", &aw, &hv, &prod) == 3, "line 2: %s", line);
    EXPECT_NEAR(aw * hv, prod, 0.01);
    EXPECT_NEAR(prod, t.weights[1 * 4 + 2] * s.src[2 * 4 + 2], 0.005);
    hit.panel = 4; hit.row = 4; /* the sum row */
    EXPECT_INT(explain_cross(text, sizeof text, &t, &s, &hit), 3);
    line_of(line, sizeof line, text, 1, 1);
    EXPECT_MSG(sscanf(line, "cₜ = the terms above added up = %lf", &v) == 1, "line 2: %s", line);
    EXPECT_NEAR(v, t.context[1 * 4 + 2], 0.005);

    hit.panel = 0; hit.head = 0; hit.row = 4; /* beyond the four target words */
    EXPECT_INT(explain_cross(text, sizeof text, &t, &s, &hit), 0);
    cross_trace_free(&t);
}

void suite_explain(void)
{
    RUN(cross_cells_recompute_from_their_own_numbers);
    RUN(test_num_format);
    RUN(test_sub_sup);
    RUN(test_first_line_names);
    RUN(test_every_quantity);
    RUN(test_x_is_a_plus_e);
    RUN(test_positional_encoding);
    RUN(test_sums_recompute);
    RUN(test_additive_scores);
    RUN(test_scaled);
    RUN(test_softmax_recomputes);
    RUN(test_softmax_temperature);
    RUN(test_relu_weights);
    RUN(test_empty_rows);
    RUN(test_mask_reasons);
    RUN(test_parameter_cells);
    RUN(test_truncation);
}
