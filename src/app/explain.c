/* explain.c: the words and live formulas behind every cell of a trace (tooltips, captions):
 * lecture notation, numbers recomputed from the trace, output cut only at UTF-8 boundaries. */
#include "explain.h"
#include "../engine/tok.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINUS "\xE2\x88\x92" /* U+2212 */
#define MAX_TERMS 4          /* terms of a sum written out before "+ …" */
#define TOKEN_SHOWN 24       /* bytes of a token quoted before "…" */

/* ---------------------------------------------------------------- a bounded builder */

/* Appends into out[0..cap); once a piece does not fit, it is cut at a code point boundary
 * and everything after it is dropped, so the text stays valid UTF-8 and NUL-terminated. */
typedef struct {
    char *p;
    size_t cap, n;
    int full;
} Sb;

static void sb_init(Sb *b, char *out, size_t len)
{
    b->p = out;
    b->cap = len;
    b->n = 0;
    b->full = len == 0;
    if (len) out[0] = '\0';
}

static void sb_put(Sb *b, const char *s, size_t k)
{
    if (b->full) return;
    size_t room = b->cap - 1 - b->n;
    if (k > room) {
        size_t cut = room;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
        k = cut;
        b->full = 1;
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
    b->p[b->n] = '\0';
}

static void sb_str(Sb *b, const char *s) { sb_put(b, s, strlen(s)); }

/* printf-style; used only for numbers and fixed ASCII text, which fit the buffer */
static void sb_fmt(Sb *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    sb_put(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* ---------------------------------------------------------------- digits and numbers */

static const char *const SUB_DIGIT[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
static const char *const SUP_DIGIT[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};

static void sb_digits(Sb *b, int n, const char *const *digit, const char *minus)
{
    char dec[16];
    long long v = n;
    if (v < 0) {
        sb_str(b, minus);
        v = -v;
    }
    int k = snprintf(dec, sizeof dec, "%lld", v);
    for (int i = 0; i < k; i++) sb_str(b, digit[dec[i] - '0']);
}

static void sb_sub(Sb *b, int n) { sb_digits(b, n, SUB_DIGIT, "₋"); }
static void sb_sup(Sb *b, int n) { sb_digits(b, n, SUP_DIGIT, "⁻"); }

void explain_sub(char *out, size_t len, int n)
{
    Sb b;
    sb_init(&b, out, len);
    sb_sub(&b, n);
}

void explain_sup(char *out, size_t len, int n)
{
    Sb b;
    sb_init(&b, out, len);
    sb_sup(&b, n);
}

/* sig significant digits (2..6); see explain_num */
static void sb_nump(Sb *b, double v, int sig)
{
    if (v != v) { sb_str(b, "undefined"); return; }
    if (v == 0.0) { sb_str(b, "0"); return; }
    if (v < 0) sb_str(b, MINUS);
    double a = fabs(v);
    if (isinf(a)) { sb_str(b, "∞"); return; }
    char e[32];
    snprintf(e, sizeof e, "%.*e", sig - 1, a); /* rounds first: 999.7 counts as 1.00e+03 */
    const char *ep = strchr(e, 'e');
    int x = ep ? (int)strtol(ep + 1, NULL, 10) : 0;
    if (x >= -3 && x < sig) {
        sb_fmt(b, "%.*f", sig - 1 - x, a);
    } else if (ep) {
        sb_put(b, e, (size_t)(ep - e));
        sb_str(b, "e");
        sb_str(b, ep[1] == '-' ? MINUS : "+");
        sb_str(b, ep + 2);
    }
}

static void sb_num(Sb *b, double v) { sb_nump(b, v, 3); }

void explain_num(char *out, size_t len, float v)
{
    Sb b;
    sb_init(&b, out, len);
    sb_num(&b, (double)v);
}

/* a factor of a product: negative numbers in parentheses */
static void sb_factor(Sb *b, double v)
{
    if (v < 0) sb_str(b, "(");
    sb_num(b, v);
    if (v < 0) sb_str(b, ")");
}

/* An argument of exp or the softmax denominator: 3 decimals, since exp turns an absolute
 * error into a relative one (its value is within 0.0005, so exp(A − B) stays within 0.1%). */
static void sb_fixed3(Sb *b, double v)
{
    if (!(fabs(v) < 1e5)) { sb_num(b, v); return; }
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%.3f", v);
    if (tmp[0] == '-') {
        if (strcmp(tmp, "-0.000") != 0) sb_str(b, MINUS);
        sb_str(b, tmp + 1);
    } else {
        sb_str(b, tmp);
    }
}

/* ---------------------------------------------------------------- notation */

/* name with token superscript and dimension subscript, 0-based in, 1-based out: "q²₃" */
static void sb_tokdim(Sb *b, const char *name, int tok, int dim)
{
    sb_str(b, name);
    sb_sup(b, tok + 1);
    sb_sub(b, dim + 1);
}

/* name with a pair subscript: "α₂,₃" */
static void sb_pair(Sb *b, const char *name, int i, int j)
{
    sb_str(b, name);
    sb_sub(b, i + 1);
    sb_str(b, ",");
    sb_sub(b, j + 1);
}

/* "Wq[5][3]" with 1-based indices */
static void sb_wcell(Sb *b, const char *name, int r, int c)
{
    sb_fmt(b, "%s[%d][%d]", name, r + 1, c + 1);
}

/* the token string quoted: control characters and invalid bytes become '?', long ones are
 * cut at a character with "…" */
static void sb_token(Sb *b, const char *tok)
{
    size_t len = strlen(tok), shown = 0;
    sb_str(b, "\"");
    for (size_t i = 0; i < len;) {
        unsigned cp = 0;
        int k = tok_utf8_decode(tok + i, len - i, &cp);
        if (shown + (k > 0 ? (size_t)k : 1) > TOKEN_SHOWN) {
            sb_str(b, "…");
            break;
        }
        if (k <= 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 ||
            cp == 0x2029) {
            sb_str(b, "?");
            k = k <= 0 ? 1 : k;
        } else {
            sb_put(b, tok + i, (size_t)k);
        }
        shown += (size_t)k;
        i += (size_t)k;
    }
    sb_str(b, "\"");
}

/* "query 2 ("saw")" */
static void sb_named(Sb *b, const AttnTrace *t, const char *role, int i)
{
    sb_fmt(b, "%s %d (", role, i + 1);
    sb_token(b, t->tokens[i]);
    sb_str(b, ")");
}

static void sb_head(Sb *b, int h) { sb_fmt(b, " · head %d · ", h + 1); }

static void sb_nl(Sb *b) { sb_str(b, "\n"); }

/* ---------------------------------------------------------------- masks */

static const char *mask_name(const AttnTrace *t)
{
    switch (t->mask) {
    case ATTN_MASK_NONE: return "no mask";
    case ATTN_MASK_CAUSAL: return "the causal mask";
    case ATTN_MASK_WINDOW: return "the window mask";
    case ATTN_MASK_PADDING: return "the padding mask";
    case ATTN_MASK_GRAPH: return "the graph mask";
    case ATTN_MASK_CUSTOM: return "the custom mask";
    case ATTN_MASK_CONV: return "the receptive field";
    }
    return "the mask";
}

/* why key j is allowed or not for query i, e.g. "key 3 is after query 2" */
static void sb_mask_reason(Sb *b, const AttnTrace *t, int i, int j, int allowed)
{
    switch (t->mask) {
    case ATTN_MASK_NONE:
        sb_str(b, "no mask: every key is visible");
        break;
    case ATTN_MASK_CAUSAL:
        sb_fmt(b, allowed ? "key %d is not after query %d" : "key %d is after query %d", j + 1, i + 1);
        break;
    case ATTN_MASK_WINDOW: {
        int d = i > j ? i - j : j - i;
        sb_fmt(b, "|%d " MINUS " %d| = %d %s %d, window ±%d", i + 1, j + 1, d,
               allowed ? "≤" : ">", t->mask_param, t->mask_param);
        break;
    }
    case ATTN_MASK_PADDING:
        if (allowed) sb_fmt(b, "key %d is not padding", j + 1);
        else sb_fmt(b, "key %d is padding: the last %d token%s", j + 1, t->mask_param,
                    t->mask_param == 1 ? "" : "s");
        break;
    case ATTN_MASK_GRAPH:
        if (i == j) sb_str(b, "a node always sees itself");
        else if (allowed) sb_fmt(b, "an edge joins %d and %d", i + 1, j + 1);
        else sb_fmt(b, "no edge joins %d and %d", i + 1, j + 1);
        break;
    case ATTN_MASK_CUSTOM:
        sb_fmt(b, "set to %d in the custom mask matrix", allowed ? 1 : 0);
        break;
    case ATTN_MASK_CONV: {
        int gw = t->grid_w > 0 ? t->grid_w : t->n;
        int dr = i / gw - j / gw, dc = i % gw - j % gw;
        sb_fmt(b, "patch %d is %d row%s and %d column%s away; the %d×%d field reaches %d", j + 1, dr < 0 ? -dr : dr,
               (dr == 1 || dr == -1) ? "" : "s", dc < 0 ? -dc : dc, (dc == 1 || dc == -1) ? "" : "s", t->mask_param,
               t->mask_param, t->mask_param / 2);
        break;
    }
    }
}

/* ---------------------------------------------------------------- weight origins */

static int identity_proj(const AttnTrace *t, const float *w, int h)
{
    int dm = t->d_model, dh = t->d_head;
    for (int m = 0; m < dm; m++)
        for (int c = 0; c < dh; c++) {
            int src = dh <= dm ? (h * dh + c) % dm : c;
            if (w[(size_t)m * dh + c] != (m == src ? 1.0f : 0.0f)) return 0;
        }
    return 1;
}

static int identity_wo(const AttnTrace *t)
{
    int dm = t->d_model, dc = t->heads * t->d_head;
    for (int r = 0; r < dc; r++)
        for (int m = 0; m < dm; m++)
            if (t->wo[(size_t)r * dm + m] != (r % dm == m ? 1.0f : 0.0f)) return 0;
    return 1;
}

/* The trace does not record whether a scene gave a matrix: under the identity preset a
 * matrix that is not the identity pattern must have been given; a random one cannot be told
 * apart from given numbers. */
static void sb_origin(Sb *b, const AttnTrace *t, int is_identity)
{
    if (t->weights_preset == ATTN_WEIGHTS_IDENTITY)
        sb_str(b, is_identity ? "identity preset" : "given by the scene");
    else
        sb_fmt(b, "seeded random (seed %llu) unless the scene gives it",
               (unsigned long long)t->seed);
}

/* ---------------------------------------------------------------- the quantities */

static float at(const float *m, int cols, int r, int c) { return m[(size_t)r * cols + c]; }

static void explain_a(Sb *b, const AttnTrace *t, int i, int m)
{
    sb_tokdim(b, "a", i, m);
    sb_fmt(b, " · input vector of token %d (", i + 1);
    sb_token(b, t->tokens[i]);
    sb_fmt(b, "), dimension %d", m + 1);
    sb_nl(b);
    sb_str(b, "a");
    sb_sup(b, i + 1);
    if (t->explicit_vectors) {
        sb_str(b, " is given explicitly by the scene");
    } else {
        sb_str(b, " is the fixed vector of the token string ");
        sb_token(b, t->tokens[i]);
        sb_str(b, " (a hash of its bytes)");
    }
    sb_nl(b);
    sb_tokdim(b, "a", i, m);
    sb_str(b, " = ");
    sb_num(b, at(t->a, t->d_model, i, m));
}

static void explain_pe(Sb *b, const AttnTrace *t, int i, int m)
{
    int d = t->d_model, two_i = m - (m & 1);
    const char *fn = (m & 1) ? "cos" : "sin";
    float v = at(t->pe, d, i, m);
    sb_tokdim(b, "e", i, m);
    sb_fmt(b, " · positional encoding of token %d (", i + 1);
    sb_token(b, t->tokens[i]);
    sb_fmt(b, "), position p = %d, dimension %d (%d counted from 0)", i, m + 1, m);
    sb_nl(b);
    if (t->posenc == ATTN_PE_SINUSOIDAL) {
        sb_tokdim(b, "e", i, m);
        sb_fmt(b, " = %s(p / 10000^(2i/d)), p = %d, 2i = %d, d = %d (%s dimension from 0: %s)",
               fn, i, two_i, d, (m & 1) ? "odd" : "even", fn);
        sb_nl(b);
        double angle = i / pow(10000.0, (double)two_i / d);
        sb_tokdim(b, "e", i, m);
        sb_fmt(b, " = %s(%d / 10000^(%d/%d)) = %s(", fn, i, two_i, d, fn);
        sb_num(b, angle);
        sb_str(b, ") = ");
    } else if (t->posenc == ATTN_PE_LEARNED) {
        sb_str(b, "e");
        sb_sup(b, i + 1);
        sb_fmt(b, " is a seeded random vector per position (seed %llu), standing in for a "
               "learned one", (unsigned long long)t->seed);
        sb_nl(b);
        sb_tokdim(b, "e", i, m);
        sb_str(b, " = ");
    } else {
        sb_str(b, "no positional encoding: e = 0");
        sb_nl(b);
        sb_tokdim(b, "e", i, m);
        sb_str(b, " = ");
    }
    sb_num(b, v);
}

static void explain_x(Sb *b, const AttnTrace *t, int i, int m)
{
    int d = t->d_model;
    sb_tokdim(b, "x", i, m);
    sb_fmt(b, " · input of token %d (", i + 1);
    sb_token(b, t->tokens[i]);
    sb_fmt(b, ") with its position, dimension %d", m + 1);
    sb_nl(b);
    sb_tokdim(b, "x", i, m);
    sb_str(b, " = ");
    sb_tokdim(b, "a", i, m);
    sb_str(b, " + ");
    sb_tokdim(b, "e", i, m);
    sb_str(b, " (embedding plus positional encoding)");
    sb_nl(b);
    sb_tokdim(b, "x", i, m);
    sb_str(b, " = ");
    sb_num(b, at(t->a, d, i, m));
    sb_str(b, " + ");
    sb_factor(b, at(t->pe, d, i, m));
    sb_str(b, " = ");
    sb_num(b, at(t->x, d, i, m));
}

/* "(8 terms)" after a sum cut short */
static void sb_more(Sb *b, int shown, int total)
{
    if (shown < total) sb_fmt(b, " + … (%d terms)", total);
}

static void explain_qkv(Sb *b, const AttnTrace *t, FigQuantity q, int h, int i, int c)
{
    const AttnHead *hd = &t->head[h];
    const char *name = q == FQ_Q ? "q" : q == FQ_K ? "k" : "v";
    const char *wname = q == FQ_Q ? "Wq" : q == FQ_K ? "Wk" : "Wv";
    const char *what = q == FQ_Q ? "query" : q == FQ_K ? "key" : "value";
    const float *w = q == FQ_Q ? hd->wq : q == FQ_K ? hd->wk : hd->wv;
    const float *val = q == FQ_Q ? hd->q : q == FQ_K ? hd->k : hd->v;
    int dm = t->d_model, dh = t->d_head;
    sb_tokdim(b, name, i, c);
    sb_head(b, h);
    sb_fmt(b, "%s vector of token %d (", what, i + 1);
    sb_token(b, t->tokens[i]);
    sb_fmt(b, "), dimension %d", c + 1);
    sb_nl(b);
    sb_tokdim(b, name, i, c);
    sb_str(b, " = Σₘ x");
    sb_sup(b, i + 1);
    sb_fmt(b, "ₘ %s[m][%d] = ", wname, c + 1);
    int sym = dm <= 3 ? dm : 2;
    for (int m = 0; m < sym; m++) {
        if (m) sb_str(b, " + ");
        sb_tokdim(b, "x", i, m);
        sb_str(b, "·");
        sb_wcell(b, wname, m, c);
    }
    if (sym < dm) sb_str(b, " + …");
    sb_nl(b);
    sb_tokdim(b, name, i, c);
    sb_str(b, " = ");
    int shown = dm < MAX_TERMS ? dm : MAX_TERMS;
    for (int m = 0; m < shown; m++) {
        if (m) sb_str(b, " + ");
        sb_factor(b, at(t->x, dm, i, m));
        sb_str(b, "·");
        sb_factor(b, at(w, dh, m, c));
    }
    sb_more(b, shown, dm);
    sb_str(b, " = ");
    sb_num(b, at(val, dh, i, c));
}

/* line 1 of the N x N quantities: "α₂,₃ · head 1 · <what> query 2 ("saw") <link> key 3 ("a")" */
static void sb_pair_line(Sb *b, const AttnTrace *t, const char *name, int h, int i, int j,
                         const char *what, const char *link)
{
    sb_pair(b, name, i, j);
    sb_head(b, h);
    sb_str(b, what);
    sb_named(b, t, "query", i);
    sb_str(b, link);
    sb_named(b, t, "key", j);
}

static void explain_scores(Sb *b, const AttnTrace *t, int h, int i, int j)
{
    const AttnHead *hd = &t->head[h];
    int dh = t->d_head, n = t->n;
    sb_pair_line(b, t, "α", h, i, j, "raw score of ", " against ");
    if (!attn_allowed(t, i, j)) sb_str(b, " · masked later: it gets no weight");
    sb_nl(b);
    sb_pair(b, "α", i, j);
    if (t->score == ATTN_SCORE_ADDITIVE) {
        int da = t->d_att;
        sb_str(b, " = vᵃ·tanh([q");
        sb_sup(b, i + 1);
        sb_str(b, "; k");
        sb_sup(b, j + 1);
        sb_str(b, "]Wᵃ) = Σₘ vᵃₘ tanh(uₘ), u = [q");
        sb_sup(b, i + 1);
        sb_str(b, "; k");
        sb_sup(b, j + 1);
        sb_str(b, "]Wᵃ");
        sb_nl(b);
        sb_pair(b, "α", i, j);
        sb_str(b, " = ");
        int shown = da < MAX_TERMS ? da : MAX_TERMS;
        for (int a = 0; a < shown; a++) {
            double u = 0.0;
            for (int c = 0; c < dh; c++) {
                u += (double)at(hd->q, dh, i, c) * at(hd->wa, da, c, a);
                u += (double)at(hd->k, dh, j, c) * at(hd->wa, da, dh + c, a);
            }
            if (a) sb_str(b, " + ");
            sb_factor(b, hd->va[a]);
            sb_str(b, "·tanh(");
            sb_num(b, u);
            sb_str(b, ")");
        }
        sb_more(b, shown, da);
    } else {
        sb_str(b, " = q");
        sb_sup(b, i + 1);
        sb_str(b, "·k");
        sb_sup(b, j + 1);
        sb_str(b, " = Σₘ q");
        sb_sup(b, i + 1);
        sb_str(b, "ₘ k");
        sb_sup(b, j + 1);
        sb_str(b, "ₘ");
        sb_nl(b);
        sb_pair(b, "α", i, j);
        sb_str(b, " = ");
        int shown = dh < MAX_TERMS ? dh : MAX_TERMS;
        for (int c = 0; c < shown; c++) {
            if (c) sb_str(b, " + ");
            sb_factor(b, at(hd->q, dh, i, c));
            sb_str(b, "·");
            sb_factor(b, at(hd->k, dh, j, c));
        }
        sb_more(b, shown, dh);
    }
    sb_str(b, " = ");
    sb_num(b, at(hd->scores, n, i, j));
}

/* √d as a number: an integer for perfect squares */
static void sb_sqrt(Sb *b, int d)
{
    int r = (int)(sqrt((double)d) + 0.5);
    if (r * r == d) sb_fmt(b, "%d", r);
    else sb_num(b, sqrt((double)d));
}

static void explain_scaled(Sb *b, const AttnTrace *t, int h, int i, int j)
{
    int n = t->n, dh = t->d_head;
    int scaled = t->score == ATTN_SCORE_SCALED;
    int allowed = attn_allowed(t, i, j);
    sb_pair_line(b, t, "s", h, i, j, "scaled score of ", " for ");
    sb_nl(b);
    sb_pair(b, "s", i, j);
    sb_str(b, " = ");
    sb_pair(b, "α", i, j);
    if (scaled) sb_fmt(b, " / √dₖ, dₖ = %d (the head size)", dh);
    else sb_fmt(b, " (%s scoring is not scaled)", attn_score_name(t->score));
    if (t->mask != ATTN_MASK_NONE) sb_str(b, ", or −∞ where masked");
    sb_nl(b);
    if (!allowed) {
        sb_str(b, "masked: ");
        sb_pair(b, "s", i, j);
        sb_fmt(b, " = −∞ (query %d may not see key %d under %s: ", i + 1, j + 1, mask_name(t));
        sb_mask_reason(b, t, i, j, 0);
        sb_str(b, ")");
        return;
    }
    float raw = at(t->head[h].scores, n, i, j);
    sb_pair(b, "s", i, j);
    sb_str(b, " = ");
    if (scaled) {
        sb_pair(b, "α", i, j);
        sb_fmt(b, " / √%d = ", dh);
        sb_num(b, raw);
        sb_str(b, " / ");
        sb_sqrt(b, dh);
        sb_str(b, " = ");
    }
    sb_num(b, attn_scaled(t, h, i, j));
}

static void explain_mask(Sb *b, const AttnTrace *t, int i, int j)
{
    int allowed = attn_allowed(t, i, j);
    sb_pair(b, "M", i, j);
    sb_str(b, " · mask · ");
    sb_named(b, t, "query", i);
    sb_str(b, ", ");
    sb_named(b, t, "key", j);
    sb_nl(b);
    switch (t->mask) {
    case ATTN_MASK_NONE: sb_str(b, "no mask: Mᵢ,ⱼ = 1 for every pair"); break;
    case ATTN_MASK_CAUSAL: sb_str(b, "causal mask: Mᵢ,ⱼ = 1 if j ≤ i (no key after the query), else 0"); break;
    case ATTN_MASK_WINDOW:
        sb_fmt(b, "window mask ±%d: Mᵢ,ⱼ = 1 if |i " MINUS " j| ≤ %d, else 0", t->mask_param, t->mask_param);
        break;
    case ATTN_MASK_PADDING:
        sb_fmt(b, "padding mask: Mᵢ,ⱼ = 0 if key j is one of the last %d token%s (padding), else 1",
               t->mask_param, t->mask_param == 1 ? "" : "s");
        break;
    case ATTN_MASK_GRAPH: sb_str(b, "graph mask: Mᵢ,ⱼ = 1 if i = j or an edge joins i and j, else 0"); break;
    case ATTN_MASK_CUSTOM: sb_str(b, "custom mask: Mᵢ,ⱼ is set in the scene's mask matrix"); break;
    case ATTN_MASK_CONV:
        sb_fmt(b, "receptive field %d×%d: Mᵢ,ⱼ = 1 if patch j is within %d rows and columns of patch i, else 0",
               t->mask_param, t->mask_param, t->mask_param / 2);
        break;
    }
    sb_nl(b);
    if (allowed) sb_fmt(b, "1: query %d may attend to key %d (", i + 1, j + 1);
    else sb_fmt(b, "0: masked by %s (", mask_name(t));
    sb_mask_reason(b, t, i, j, allowed);
    sb_str(b, ")");
}

static int row_is_empty(const AttnTrace *t, int h, int i) { return t->head[h].empty_row[i] != 0; }

/* the reason an empty row has no weight */
static void sb_empty_row(Sb *b, const AttnTrace *t, int i)
{
    int any = 0;
    for (int j = 0; j < t->n && !any; j++) any = attn_allowed(t, i, j);
    if (!any || t->norm != ATTN_NORM_RELU)
        sb_fmt(b, "row %d has no key it may attend to", i + 1);
    else
        sb_fmt(b, "row %d has no positive score among the keys it may attend to", i + 1);
}


/* "s₂,ⱼ": a row of a pair quantity, summed over keys */
static void sb_rowj(Sb *b, const char *name, int i)
{
    sb_str(b, name);
    sb_sub(b, i + 1);
    sb_str(b, ",");
    sb_str(b, "ⱼ");
}

/* an exp argument "A − B", parenthesising a negative B */
static void sb_diff(Sb *b, double a, double m)
{
    sb_fixed3(b, a);
    sb_str(b, " − ");
    if (m < 0) sb_str(b, "(");
    sb_fixed3(b, m);
    if (m < 0) sb_str(b, ")");
}

static void explain_weights(Sb *b, const AttnTrace *t, int h, int i, int j)
{
    int n = t->n, relu = t->norm == ATTN_NORM_RELU;
    int has_t = t->temperature != 1.0f;
    double T = t->temperature;
    int allowed = attn_allowed(t, i, j);
    sb_pair_line(b, t, "α′", h, i, j, "the weight ", " gives ");
    sb_nl(b);

    /* line 2: the formula in symbols */
    sb_pair(b, "α′", i, j);
    if (relu) {
        sb_str(b, " = max(0, ");
        sb_pair(b, "s", i, j);
        sb_str(b, has_t ? "/T) / Σⱼ max(0, " : ") / Σⱼ max(0, ");
        sb_rowj(b, "s", i);
        sb_str(b, has_t ? "/T)" : ")");
        if (has_t) sb_fmt(b, ", T = %g", T);
    } else {
        sb_str(b, has_t ? " = exp((" : " = exp(");
        sb_pair(b, "s", i, j);
        sb_str(b, has_t ? " − m)/T) / Σⱼ exp((" : " − m) / Σⱼ exp(");
        sb_rowj(b, "s", i);
        sb_str(b, has_t ? " − m)/T)" : " − m)");
        if (has_t) sb_fmt(b, ", T = %g", T);
        sb_str(b, ", m = the largest ");
        sb_rowj(b, "s", i);
        sb_str(b, t->mask == ATTN_MASK_NONE ? "" : " the mask allows");
    }
    sb_nl(b);

    /* line 3: the numbers */
    if (row_is_empty(t, h, i)) {
        sb_empty_row(b, t, i);
        sb_str(b, ": every weight is 0");
        return;
    }
    if (!allowed) {
        sb_pair(b, "α′", i, j);
        sb_fmt(b, " = 0: key %d is masked (%s: ", j + 1, mask_name(t));
        sb_mask_reason(b, t, i, j, 0);
        sb_str(b, ")");
        return;
    }
    double s = attn_scaled(t, h, i, j);
    sb_pair(b, "α′", i, j);
    if (relu) {
        double z = 0.0;
        for (int k = 0; k < n; k++)
            if (attn_allowed(t, i, k)) {
                double sk = attn_scaled(t, h, i, k) / T;
                if (sk > 0) z += sk;
            }
        /* 4 digits each, so the quotient of the printed numbers stays within 0.1% */
        sb_str(b, " = max(0, ");
        sb_nump(b, s, 4);
        if (has_t) {
            sb_str(b, "/");
            sb_fmt(b, "%g", T);
        }
        sb_str(b, ") / ");
        sb_nump(b, z, 4); /* 0 only in an empty row, handled above */
    } else {
        double m = -INFINITY, z = 0.0;
        for (int k = 0; k < n; k++)
            if (attn_allowed(t, i, k) && attn_scaled(t, h, i, k) > m) m = attn_scaled(t, h, i, k);
        for (int k = 0; k < n; k++)
            if (attn_allowed(t, i, k)) z += exp(((double)attn_scaled(t, h, i, k) - m) / T);
        if (has_t) {
            sb_str(b, " = exp((");
            sb_diff(b, s, m);
            sb_fmt(b, ") / %g) / ", T);
        } else {
            sb_str(b, " = exp(");
            sb_diff(b, s, m);
            sb_str(b, ") / ");
        }
        sb_fixed3(b, z);
    }
    sb_str(b, " = ");
    sb_num(b, at(t->head[h].weights, n, i, j));
}

static void explain_out(Sb *b, const AttnTrace *t, int h, int i, int c)
{
    const AttnHead *hd = &t->head[h];
    int n = t->n, dh = t->d_head;
    sb_tokdim(b, "out", i, c);
    sb_head(b, h);
    sb_fmt(b, "output of head %d for token %d (", h + 1, i + 1);
    sb_token(b, t->tokens[i]);
    sb_fmt(b, "), dimension %d", c + 1);
    sb_nl(b);
    sb_tokdim(b, "out", i, c);
    sb_str(b, " = Σⱼ ");
    sb_rowj(b, "α′", i);
    sb_str(b, " vʲ");
    sb_sub(b, c + 1);
    sb_str(b, " (the values weighted by row ");
    sb_fmt(b, "%d of α′)", i + 1);
    sb_nl(b);
    if (row_is_empty(t, h, i)) {
        sb_empty_row(b, t, i);
        sb_str(b, ": ");
        sb_tokdim(b, "out", i, c);
        sb_str(b, " = ");
        sb_num(b, 0.0);
        return;
    }
    /* the terms with the largest weights first */
    int total = 0, pick[MAX_TERMS], npick = 0;
    for (int j = 0; j < n; j++) total += attn_allowed(t, i, j);
    const float *w = hd->weights + (size_t)i * n;
    while (npick < MAX_TERMS && npick < total) {
        int best = -1;
        for (int j = 0; j < n; j++) {
            if (!attn_allowed(t, i, j)) continue;
            int used = 0;
            for (int p = 0; p < npick; p++) used |= pick[p] == j;
            if (!used && (best < 0 || w[j] > w[best])) best = j;
        }
        if (best < 0) break;
        pick[npick++] = best;
    }
    sb_tokdim(b, "out", i, c);
    sb_str(b, " = ");
    for (int p = 0; p < npick; p++) {
        if (p) sb_str(b, " + ");
        sb_factor(b, w[pick[p]]);
        sb_str(b, "·");
        sb_factor(b, at(hd->v, dh, pick[p], c));
    }
    sb_more(b, npick, total);
    sb_str(b, " = ");
    sb_num(b, at(hd->out, dh, i, c));
}

static void explain_output(Sb *b, const AttnTrace *t, int i, int m)
{
    int dm = t->d_model, dc = t->heads * t->d_head;
    sb_tokdim(b, "b", i, m);
    sb_fmt(b, " · output of token %d (", i + 1);
    sb_token(b, t->tokens[i]);
    sb_fmt(b, "), dimension %d: the heads merged through Wᴼ", m + 1);
    sb_nl(b);
    sb_tokdim(b, "b", i, m);
    sb_str(b, " = Σᵣ concat");
    sb_sup(b, i + 1);
    sb_fmt(b, "ᵣ Wᴼ[r][%d], concat", m + 1);
    sb_sup(b, i + 1);
    if (t->heads > 1) sb_fmt(b, " = [out of head 1; …; head %d]", t->heads);
    else sb_str(b, " = out of head 1");
    sb_nl(b);
    sb_tokdim(b, "b", i, m);
    sb_str(b, " = ");
    int shown = dc < MAX_TERMS ? dc : MAX_TERMS;
    for (int r = 0; r < shown; r++) {
        if (r) sb_str(b, " + ");
        sb_factor(b, at(t->concat, dc, i, r));
        sb_str(b, "·");
        sb_factor(b, at(t->wo, dm, r, m));
    }
    sb_more(b, shown, dc);
    sb_str(b, " = ");
    sb_num(b, at(t->output, dm, i, m));
}

static void explain_w(Sb *b, const AttnTrace *t, FigQuantity q, int h, int r, int c)
{
    int dm = t->d_model, dh = t->d_head;
    if (q == FQ_WO) {
        int hr = r / dh, cr = r % dh;
        sb_wcell(b, "Wᴼ", r, c);
        sb_fmt(b, " · head %d (row %d is its out dimension %d) · output weights, ", hr + 1,
               r + 1, cr + 1);
        sb_origin(b, t, identity_wo(t));
        sb_nl(b);
        sb_fmt(b, "how much concat dimension %d (head %d, out dimension %d) adds to b "
               "dimension %d: bⁱ", r + 1, hr + 1, cr + 1, c + 1);
        sb_sub(b, c + 1);
        sb_fmt(b, " = Σᵣ concatⁱᵣ Wᴼ[r][%d]", c + 1);
        sb_nl(b);
        sb_wcell(b, "Wᴼ", r, c);
        sb_str(b, " = ");
        sb_num(b, at(t->wo, dm, r, c));
        return;
    }
    const AttnHead *hd = &t->head[h];
    const char *wname = q == FQ_WQ ? "Wq" : q == FQ_WK ? "Wk" : "Wv";
    const char *what = q == FQ_WQ ? "query" : q == FQ_WK ? "key" : "value";
    const char *name = q == FQ_WQ ? "q" : q == FQ_WK ? "k" : "v";
    const float *w = q == FQ_WQ ? hd->wq : q == FQ_WK ? hd->wk : hd->wv;
    sb_wcell(b, wname, r, c);
    sb_head(b, h);
    sb_fmt(b, "%s weights, ", what);
    sb_origin(b, t, identity_proj(t, w, h));
    sb_nl(b);
    sb_fmt(b, "how much x dimension %d adds to %s dimension %d: %sⁱ", r + 1, name, c + 1, name);
    sb_sub(b, c + 1);
    sb_fmt(b, " = Σₘ xⁱₘ %s[m][%d]", wname, c + 1);
    sb_nl(b);
    sb_wcell(b, wname, r, c);
    sb_str(b, " = ");
    sb_num(b, at(w, dh, r, c));
}

/* ---------------------------------------------------------------- dispatch */

/* whether hit names a cell of t */
static int hit_valid(const AttnTrace *t, const FigHit *hit)
{
    int n = t->n, dm = t->d_model, dh = t->d_head, H = t->heads;
    int r = hit->row, c = hit->col, h = hit->head;
    int head_ok = h >= 0 && h < H;
    if (r < 0 || c < 0) return 0;
    switch (hit->q) {
    case FQ_A: case FQ_PE: case FQ_X: case FQ_OUTPUT: return r < n && c < dm;
    case FQ_Q: case FQ_K: case FQ_V: case FQ_OUT: return head_ok && r < n && c < dh;
    case FQ_SCORES: case FQ_SCALED: case FQ_WEIGHTS: return head_ok && r < n && c < n;
    case FQ_MASK: return r < n && c < n;
    case FQ_WQ: case FQ_WK: case FQ_WV: return head_ok && r < dm && c < dh;
    case FQ_WO: return r < H * dh && c < dm;
    case FQ_NONE: case FQ_PATCH: case FQ_BLOCK: case FQ_CROSS: return 0; /* explained elsewhere: a patch as its weight, a block stage from the block, explain_cross */
    }
    return 0;
}

int explain_cell(char *out, size_t len, const AttnTrace *t, const FigHit *hit)
{
    Sb b;
    sb_init(&b, out, len);
    if (!t || !hit || !t->head || t->n < 1 || !hit_valid(t, hit)) return 0;
    int h = hit->head, r = hit->row, c = hit->col;
    switch (hit->q) {
    case FQ_A: explain_a(&b, t, r, c); break;
    case FQ_PE: explain_pe(&b, t, r, c); break;
    case FQ_X: explain_x(&b, t, r, c); break;
    case FQ_Q: case FQ_K: case FQ_V: explain_qkv(&b, t, hit->q, h, r, c); break;
    case FQ_SCORES: explain_scores(&b, t, h, r, c); break;
    case FQ_SCALED: explain_scaled(&b, t, h, r, c); break;
    case FQ_MASK: explain_mask(&b, t, r, c); break;
    case FQ_WEIGHTS: explain_weights(&b, t, h, r, c); break;
    case FQ_OUT: explain_out(&b, t, h, r, c); break;
    case FQ_OUTPUT: explain_output(&b, t, r, c); break;
    case FQ_WQ: case FQ_WK: case FQ_WV: case FQ_WO: explain_w(&b, t, hit->q, h, r, c); break;
    case FQ_NONE: case FQ_PATCH: case FQ_BLOCK: case FQ_CROSS: break;
    }
    while (b.n > 0 && out[b.n - 1] == '\n') out[--b.n] = '\0'; /* cut just after a line */
    if (b.n == 0) return 0;
    int lines = 1;
    for (size_t k = 0; k < b.n; k++) lines += out[k] == '\n';
    return lines;
}

/* ---------------------------------------------------------------- encoder-decoder */

static const char *cross_word(const char *const *words, int i, char *buf, size_t len)
{
    if (words && words[i]) return words[i];
    snprintf(buf, len, "%d", i + 1);
    return buf;
}

int explain_cross(char *out, size_t len, const CrossTrace *t, const CrossScene *s, const FigHit *hit)
{
    Sb b;
    sb_init(&b, out, len);
    if (!t || !s || !hit || hit->q != FQ_CROSS || hit->row < 0 || hit->col < 0) return 0;
    if (s->n_src != t->n_src || s->n_tgt != t->n_tgt || s->d != t->d) return 0;
    const char *const *src_words = s->src_words, *const *tgt_words = s->tgt_words;
    int ns = t->n_src, nt = t->n_tgt, d = t->d, r = hit->row, c = hit->col;
    char wb[2][24];
    if (hit->panel == 0 && r < nt && c < ns) {
        const float *sc = t->scores + (size_t)r * ns;
        double m = sc[0], sum = 0;
        for (int j = 1; j < ns; j++) m = sc[j] > m ? sc[j] : m;
        for (int j = 0; j < ns; j++) sum += exp((double)sc[j] - m);
        sb_fmt(&b, "α: how much target step %d (\"%s\") attends to source word %d (\"%s\")\n", r + 1,
               cross_word(tgt_words, r, wb[0], sizeof wb[0]), c + 1, cross_word(src_words, c, wb[1], sizeof wb[1]));
        sb_str(&b, "αₜⱼ = exp(scoreₜⱼ − m) / Σⱼ exp(scoreₜⱼ − m), score = ");
        sb_str(&b, t->score == CROSS_SCORE_DOT ? "sₜ · hⱼ" : t->score == CROSS_SCORE_GENERAL ? "sₜ W hⱼᵀ"
                                                                                           : "v · tanh(hⱼ W_src + sₜ W_tgt)");
        sb_str(&b, "\n= exp(");
        sb_nump(&b, (double)sc[c], 3);
        sb_str(&b, " − ");
        sb_nump(&b, m, 3);
        sb_str(&b, ") / ");
        sb_nump(&b, sum, 4);
        sb_str(&b, " = ");
        sb_num(&b, t->weights[(size_t)r * ns + c]);
    } else if (hit->panel == 1 && r < nt && c < d) {
        sb_fmt(&b, "context of target step %d (\"%s\"), number %d\n", r + 1,
               cross_word(tgt_words, r, wb[0], sizeof wb[0]), c + 1);
        sb_str(&b, "cₜ = Σⱼ αₜⱼ hⱼ: the source states mixed by this step's weights\n= ");
        for (int j = 0; j < ns && j < 6; j++) {
            if (j) sb_str(&b, " + ");
            sb_num(&b, t->weights[(size_t)r * ns + j]);
            sb_str(&b, "·");
            sb_num(&b, s->src[(size_t)j * d + c]);
        }
        if (ns > 6) sb_str(&b, " + …");
        sb_str(&b, " = ");
        sb_num(&b, t->context[(size_t)r * d + c]);
    } else if (hit->panel == 2 && r == 0 && c < d) {
        sb_fmt(&b, "the fixed context vector, number %d\n", c + 1);
        sb_fmt(&b, "without attention every step gets c = the last source state, h of \"%s\"\n= ",
               cross_word(src_words, ns - 1, wb[0], sizeof wb[0]));
        sb_num(&b, t->fixed[c]);
    } else if ((hit->panel == 3 || hit->panel == 4) && hit->head >= 0 && hit->head < nt && r <= ns && c < d) {
        int st = hit->head;
        if (r < ns) {
            sb_fmt(&b, "step %d (\"%s\"): the term of source word %d (\"%s\"), number %d\n", st + 1,
                   cross_word(tgt_words, st, wb[0], sizeof wb[0]), r + 1, cross_word(src_words, r, wb[1], sizeof wb[1]), c + 1);
            sb_str(&b, "αₜⱼ · hⱼ = ");
            sb_num(&b, t->weights[(size_t)st * ns + r]);
            sb_str(&b, " · ");
            sb_num(&b, s->src[(size_t)r * d + c]);
            sb_str(&b, " = ");
            sb_num(&b, t->weights[(size_t)st * ns + r] * s->src[(size_t)r * d + c]);
        } else {
            sb_fmt(&b, "step %d (\"%s\"): the context vector, number %d\n", st + 1,
                   cross_word(tgt_words, st, wb[0], sizeof wb[0]), c + 1);
            sb_str(&b, "cₜ = the terms above added up = ");
            sb_num(&b, t->context[(size_t)st * d + c]);
        }
    } else {
        return 0;
    }
    return 3;
}

