/* cross.c: encoder-decoder attention (cross.h): scores of decoder steps against encoder
 * states, a softmax per step, the context vectors, and the fixed vector it replaces. */
#include "cross.h"
#include "msg.h"
#include "attn.h"
#include "mat.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

CrossScene cross_scene_default(void)
{
    CrossScene s;
    memset(&s, 0, sizeof s);
    s.score = CROSS_SCORE_DOT;
    return s;
}

/* ---------------------------------------------------------------- presets */

/* English to French: adjective and noun swap places ("black cat" -> "chat noir"). Every
 * state is a unit direction for its meaning plus a little context; a French state points
 * at the English word it translates. 4 dimensions: ARTICLE, COLOUR, ANIMAL, SLEEP. */
static const char *const fr_src_words[] = {"the", "black", "cat", "sleeps"};
static const char *const fr_tgt_words[] = {"le", "chat", "noir", "dort"};
static const float fr_src[] = {
    2.0f, 0.1f, 0.2f, 0.0f,
    0.1f, 2.0f, 0.3f, 0.0f,
    0.2f, 0.3f, 2.0f, 0.1f,
    0.0f, 0.0f, 0.2f, 2.0f,
};
static const float fr_tgt[] = {
    1.8f, 0.0f, 0.4f, 0.0f,
    0.2f, 0.3f, 1.9f, 0.0f,
    0.0f, 1.9f, 0.5f, 0.0f,
    0.0f, 0.0f, 0.3f, 1.8f,
};

/* English to German with the verb sent to the end of a subordinate clause
 * ("that I the apple eat"): 5 dimensions: LINK, SPEAKER, EAT, ARTICLE, APPLE. */
static const char *const de_src_words[] = {"that", "I", "eat", "the", "apple"};
static const char *const de_tgt_words[] = {"dass", "ich", "den", "Apfel", "esse"};
static const float de_src[] = {
    2.0f, 0.1f, 0.0f, 0.0f, 0.0f,
    0.1f, 2.0f, 0.2f, 0.0f, 0.0f,
    0.0f, 0.2f, 2.0f, 0.1f, 0.3f,
    0.0f, 0.0f, 0.1f, 2.0f, 0.3f,
    0.0f, 0.0f, 0.3f, 0.3f, 2.0f,
};
static const float de_tgt[] = {
    1.9f, 0.2f, 0.0f, 0.0f, 0.0f,
    0.1f, 1.9f, 0.1f, 0.0f, 0.0f,
    0.0f, 0.0f, 0.0f, 1.8f, 0.4f,
    0.0f, 0.0f, 0.3f, 0.4f, 1.9f,
    0.1f, 0.3f, 1.9f, 0.0f, 0.2f,
};

/* Additive parameters that make Bahdanau's score reward agreement: d_att = 2d units,
 * unit c is tanh(h_c + s_c) with weight -4 and unit d + c is tanh(h_c) with weight +4, so a
 * dimension strong in both the source and the target state costs almost nothing, while
 * one strong in the target alone costs about 4 tanh(2). The same numbers for every call
 * (the tables are filled idempotently), sized for the largest preset. */
#define PRESET_MAX_D 5
static float add_w_src[PRESET_MAX_D * 2 * PRESET_MAX_D], add_w_tgt[PRESET_MAX_D * 2 * PRESET_MAX_D],
    add_v[2 * PRESET_MAX_D];

static void agreement_fill(float *w_src, float *w_tgt, float *v, int d)
{
    int da = 2 * d;
    for (int r = 0; r < d; r++)
        for (int c = 0; c < da; c++) {
            w_src[r * da + c] = (c == r || c == d + r) ? 1.0f : 0.0f;
            w_tgt[r * da + c] = c == r ? 1.0f : 0.0f;
        }
    for (int c = 0; c < da; c++) v[c] = c < d ? -4.0f : 4.0f;
}

static void additive_agreement(CrossScene *s)
{
    agreement_fill(add_w_src, add_w_tgt, add_v, s->d);
    s->d_att = 2 * s->d;
    s->w_src = add_w_src;
    s->w_tgt = add_w_tgt;
    s->v = add_v;
}

/* ---------------------------------------------------------------- pairs from files */

void cross_pair_free(CrossPair *p)
{
    for (int i = 0; p->src_words && i < p->n_src; i++) free(p->src_words[i]);
    for (int i = 0; p->tgt_words && i < p->n_tgt; i++) free(p->tgt_words[i]);
    free(p->src_words);
    free(p->tgt_words);
    free(p->src);
    free(p->tgt);
    free(p->w_src);
    free(p->w_tgt);
    free(p->v);
    memset(p, 0, sizeof *p);
}

static int pair_fail(CrossPair *p, char *err, size_t errlen, const char *name, int line, long col, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cross_pair_free(p);
    return msg_fail(err, errlen, "%s:%d:%ld: %s", name, line, col, msg);
}

int cross_pair_parse(CrossPair *p, const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    /* two passes: count the words and the numbers a line, then fill */
    for (int pass = 0; pass < 2; pass++) {
        int ns = 0, nt = 0, d = -1, line = 0, d_line = 0;
        size_t i = 0;
        while (i < len) {
            size_t s = i, e = i;
            while (e < len && text[e] != '\n') e++;
            i = e < len ? e + 1 : e;
            line++;
            size_t k = s;
            while (k < e && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r')) k++;
            if (k == e || text[k] == '#') continue;
            size_t ks = k;
            while (k < e && text[k] != ' ' && text[k] != '\t' && text[k] != '\r') k++;
            int side;
            if (k - ks == 6 && strncmp(text + ks, "source", 6) == 0) side = 0;
            else if (k - ks == 6 && strncmp(text + ks, "target", 6) == 0) side = 1;
            else
                return pair_fail(p, err, errlen, name, line, (long)(ks - s + 1), "'%.*s' is not source or target",
                                 (int)(k - ks > 40 ? 40 : k - ks), text + ks);
            while (k < e && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r')) k++;
            size_t ws = k;
            while (k < e && text[k] != ' ' && text[k] != '\t' && text[k] != '\r') k++;
            if (k == ws) return pair_fail(p, err, errlen, name, line, (long)(ws - s + 1), "a %s line needs a word", side ? "target" : "source");
            if (k - ws > 63) return pair_fail(p, err, errlen, name, line, (long)(ws - s + 1), "the word is longer than 63 bytes");
            int idx = side ? nt : ns;
            if (idx >= CROSS_MAX_N)
                return pair_fail(p, err, errlen, name, line, 1, "more than %d %s words", CROSS_MAX_N, side ? "target" : "source");
            if (pass == 1) {
                char **words = side ? p->tgt_words : p->src_words;
                words[idx] = malloc(k - ws + 1);
                if (!words[idx]) return pair_fail(p, err, errlen, name, line, 1, "out of memory");
                memcpy(words[idx], text + ws, k - ws);
                words[idx][k - ws] = 0;
            }
            int n = 0;
            for (;;) {
                while (k < e && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == ',')) k++;
                if (k >= e) break;
                char num[64];
                size_t ns0 = k;
                while (k < e && text[k] != ' ' && text[k] != '\t' && text[k] != '\r' && text[k] != ',') k++;
                size_t l = k - ns0 < sizeof num - 1 ? k - ns0 : sizeof num - 1;
                memcpy(num, text + ns0, l);
                num[l] = 0;
                char *end;
                double x = strtod(num, &end);
                if (end == num || *end || !isfinite(x) || fabs(x) > 1e6)
                    return pair_fail(p, err, errlen, name, line, (long)(ns0 - s + 1), "'%s' is not a number within ±1e6", num);
                if (n >= CROSS_MAX_D)
                    return pair_fail(p, err, errlen, name, line, (long)(ns0 - s + 1), "more than %d numbers", CROSS_MAX_D);
                if (pass == 1 && p->d > 0) (side ? p->tgt : p->src)[(size_t)idx * p->d + n] = (float)x;
                n++;
            }
            if (d < 0) {
                d = n;
                d_line = line;
            } else if (n != d) {
                return pair_fail(p, err, errlen, name, line, (long)(e - s + 1), "%d numbers, but line %d has %d", n, d_line, d);
            }
            if (side) nt++;
            else ns++;
        }
        if (pass == 0) {
            if (ns < 1 || nt < 1)
                return pair_fail(p, err, errlen, name, line, 1, "a pair needs at least one source and one target line (it has %d and %d)", ns, nt);
            p->n_src = ns;
            p->n_tgt = nt;
            p->d = d > 0 ? d : CROSS_HASH_D;
            p->src_words = calloc((size_t)ns, sizeof(char *));
            p->tgt_words = calloc((size_t)nt, sizeof(char *));
            p->src = calloc((size_t)ns * p->d, sizeof(float));
            p->tgt = calloc((size_t)nt * p->d, sizeof(float));
            p->w_src = malloc(sizeof(float) * (size_t)p->d * 2 * p->d);
            p->w_tgt = malloc(sizeof(float) * (size_t)p->d * 2 * p->d);
            p->v = malloc(sizeof(float) * 2 * (size_t)p->d);
            if (!p->src_words || !p->tgt_words || !p->src || !p->tgt || !p->w_src || !p->w_tgt || !p->v)
                return pair_fail(p, err, errlen, name, line, 1, "out of memory");
            if (d == 0) p->d = -p->d; /* no numbers: hashed, filled after the words are read */
        } else if (p->d < 0) {
            p->d = -p->d;
            for (int k2 = 0; k2 < ns; k2++) attn_embed(p->src + (size_t)k2 * p->d, p->src_words[k2], p->d);
            for (int k2 = 0; k2 < nt; k2++) attn_embed(p->tgt + (size_t)k2 * p->d, p->tgt_words[k2], p->d);
        }
    }
    agreement_fill(p->w_src, p->w_tgt, p->v, p->d);
    return 0;
}

void cross_pair_scene(CrossScene *s, const CrossPair *p)
{
    CrossScore keep = s->score;
    *s = cross_scene_default();
    s->score = keep;
    s->n_src = p->n_src;
    s->n_tgt = p->n_tgt;
    s->d = p->d;
    s->src = p->src;
    s->tgt = p->tgt;
    s->src_words = (const char *const *)p->src_words;
    s->tgt_words = (const char *const *)p->tgt_words;
    s->d_att = 2 * p->d;
    s->w_src = p->w_src;
    s->w_tgt = p->w_tgt;
    s->v = p->v;
}

int cross_preset(CrossScene *s, const char *name)
{
    CrossScore keep = s->score;
    if (strcmp(name, "french") == 0) {
        *s = cross_scene_default();
        s->n_src = 4; s->n_tgt = 4; s->d = 4;
        s->src = fr_src; s->tgt = fr_tgt;
        s->src_words = fr_src_words; s->tgt_words = fr_tgt_words;
    } else if (strcmp(name, "german") == 0) {
        *s = cross_scene_default();
        s->n_src = 5; s->n_tgt = 5; s->d = 5;
        s->src = de_src; s->tgt = de_tgt;
        s->src_words = de_src_words; s->tgt_words = de_tgt_words;
    } else {
        return -1;
    }
    s->score = keep;
    additive_agreement(s); /* used only when the scoring is additive */
    return 0;
}

const char *cross_preset_names(void) { return "french|german"; }

static const char *const score_names[] = {"dot", "general", "additive"};

const char *cross_score_name(CrossScore k)
{
    return (unsigned)k < 3 ? score_names[k] : "?";
}

int cross_score_parse(const char *name, CrossScore *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, score_names[i]) == 0) {
            *out = (CrossScore)i;
            return 0;
        }
    return -1;
}

/* ---------------------------------------------------------------- computation */

/* The first non-finite number of p[0..count), or -1. */
static long first_bad(const float *p, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!(fabsf(p[i]) <= 3.0e38f)) return (long)i;
    return -1;
}

static int effective_d_att(const CrossScene *s)
{
    return s->score == CROSS_SCORE_ADDITIVE ? (s->d_att ? s->d_att : s->d) : 0;
}

int cross_check(const CrossScene *s, char *err, size_t errlen)
{
    if (!s) return msg_fail(err, errlen, "no scene");
    if (s->n_src < 1 || s->n_src > CROSS_MAX_N)
        return msg_fail(err, errlen, "%d source positions is outside 1..%d", s->n_src, CROSS_MAX_N);
    if (s->n_tgt < 1 || s->n_tgt > CROSS_MAX_N)
        return msg_fail(err, errlen, "%d target positions is outside 1..%d", s->n_tgt, CROSS_MAX_N);
    if (s->d < 1 || s->d > CROSS_MAX_D)
        return msg_fail(err, errlen, "state size %d is outside 1..%d", s->d, CROSS_MAX_D);
    if (s->score != CROSS_SCORE_DOT && s->score != CROSS_SCORE_GENERAL && s->score != CROSS_SCORE_ADDITIVE)
        return msg_fail(err, errlen, "unknown scoring %d", (int)s->score);
    if (!s->src || !s->tgt) return msg_fail(err, errlen, "the %s states are missing", s->src ? "target" : "source");
    int da = effective_d_att(s);
    if (s->score == CROSS_SCORE_ADDITIVE && (s->d_att < 0 || da > CROSS_MAX_D_ATT))
        return msg_fail(err, errlen, "additive hidden size %d is outside 1..%d", s->d_att, CROSS_MAX_D_ATT);
    long bad;
    if ((bad = first_bad(s->src, (size_t)s->n_src * s->d)) >= 0)
        return msg_fail(err, errlen, "source state %ld, component %ld is not a finite number",
                    bad / s->d + 1, bad % s->d + 1);
    if ((bad = first_bad(s->tgt, (size_t)s->n_tgt * s->d)) >= 0)
        return msg_fail(err, errlen, "target state %ld, component %ld is not a finite number",
                    bad / s->d + 1, bad % s->d + 1);
    if (s->score == CROSS_SCORE_GENERAL && s->w && first_bad(s->w, (size_t)s->d * s->d) >= 0)
        return msg_fail(err, errlen, "the general scoring matrix W holds a number that is not finite");
    if (s->score == CROSS_SCORE_ADDITIVE) {
        if ((s->w_src && first_bad(s->w_src, (size_t)s->d * da) >= 0) ||
            (s->w_tgt && first_bad(s->w_tgt, (size_t)s->d * da) >= 0) || (s->v && first_bad(s->v, (size_t)da) >= 0))
            return msg_fail(err, errlen, "an additive scoring parameter holds a number that is not finite");
    }
    return 0;
}

void cross_trace_free(CrossTrace *t)
{
    if (!t) return;
    free(t->mem);
    memset(t, 0, sizeof *t);
}

/* A d x m matrix with 1 on the diagonal and 0 elsewhere. */
static void diagonal(float *out, int d, int m)
{
    for (int r = 0; r < d; r++)
        for (int c = 0; c < m; c++) out[(size_t)r * m + c] = r == c ? 1.0f : 0.0f;
}

int cross_forward(CrossTrace *t, const CrossScene *s, char *err, size_t errlen)
{
    if (cross_check(s, err, errlen)) {
        cross_trace_free(t);
        return -1;
    }
    int ns = s->n_src, nt = s->n_tgt, d = s->d, da = effective_d_att(s);
    size_t n_scores = (size_t)nt * ns, n_ctx = (size_t)nt * d;
    size_t n_w = s->score == CROSS_SCORE_GENERAL ? (size_t)d * d : 0;
    size_t n_add = da ? (size_t)(ns + nt) * da + 2 * (size_t)d * da + (size_t)da : 0;
    size_t n_states = (size_t)(ns + nt) * d;
    size_t need = sizeof(float) * (2 * n_scores + n_ctx + (size_t)d + n_w + n_add + n_states);
    if (t->mem_size < need) {
        void *m = realloc(t->mem, need);
        if (!m) {
            cross_trace_free(t);
            return msg_fail(err, errlen, "out of memory: this alignment needs %zu MB", need >> 20);
        }
        t->mem = m;
        t->mem_size = need;
    }
    float *p = t->mem;
    t->n_src = ns; t->n_tgt = nt; t->d = d; t->d_att = da; t->score = s->score;
    t->scores = p; p += n_scores;
    t->weights = p; p += n_scores;
    t->context = p; p += n_ctx;
    t->fixed = p; p += d;
    t->src = p; p += (size_t)ns * d;
    t->tgt = p; p += (size_t)nt * d;
    memcpy(t->src, s->src, sizeof(float) * (size_t)ns * d);
    memcpy(t->tgt, s->tgt, sizeof(float) * (size_t)nt * d);
    t->w = t->w_src = t->w_tgt = t->v = t->src_proj = t->tgt_proj = NULL;

    /* scores */
    if (s->score == CROSS_SCORE_DOT) {
        for (int i = 0; i < nt; i++)
            for (int j = 0; j < ns; j++) {
                double acc = 0.0;
                for (int c = 0; c < d; c++) acc += (double)s->tgt[(size_t)i * d + c] * s->src[(size_t)j * d + c];
                t->scores[(size_t)i * ns + j] = (float)acc;
            }
    } else if (s->score == CROSS_SCORE_GENERAL) {
        t->w = p; p += n_w;
        if (s->w) memcpy(t->w, s->w, sizeof(float) * n_w);
        else diagonal(t->w, d, d);
        /* tgt[i] W src[j]^T = (tgt W)[i] . src[j]; tgt W waits in the context's memory */
        mat_mul(t->context, s->tgt, t->w, nt, d, d);
        for (int i = 0; i < nt; i++)
            for (int j = 0; j < ns; j++) {
                double acc = 0.0;
                for (int c = 0; c < d; c++) acc += (double)t->context[(size_t)i * d + c] * s->src[(size_t)j * d + c];
                t->scores[(size_t)i * ns + j] = (float)acc;
            }
    } else {
        t->w_src = p; p += (size_t)d * da;
        t->w_tgt = p; p += (size_t)d * da;
        t->v = p; p += da;
        t->src_proj = p; p += (size_t)ns * da;
        t->tgt_proj = p; p += (size_t)nt * da;
        if (s->w_src) memcpy(t->w_src, s->w_src, sizeof(float) * (size_t)d * da);
        else diagonal(t->w_src, d, da);
        if (s->w_tgt) memcpy(t->w_tgt, s->w_tgt, sizeof(float) * (size_t)d * da);
        else diagonal(t->w_tgt, d, da);
        for (int c = 0; c < da; c++) t->v[c] = s->v ? s->v[c] : 1.0f;
        mat_mul(t->src_proj, s->src, t->w_src, ns, d, da);
        mat_mul(t->tgt_proj, s->tgt, t->w_tgt, nt, d, da);
        for (int i = 0; i < nt; i++)
            for (int j = 0; j < ns; j++) {
                double acc = 0.0;
                for (int c = 0; c < da; c++)
                    acc += (double)t->v[c] * tanh((double)t->src_proj[(size_t)j * da + c] +
                                                  (double)t->tgt_proj[(size_t)i * da + c]);
                t->scores[(size_t)i * ns + j] = (float)acc;
            }
    }

    /* a softmax per target step: subtracting the row's largest score keeps exp finite */
    for (int i = 0; i < nt; i++) {
        const float *sc = t->scores + (size_t)i * ns;
        float *w = t->weights + (size_t)i * ns;
        if (first_bad(sc, (size_t)ns) >= 0) {
            cross_trace_free(t);
            return msg_fail(err, errlen, "target step %d: a score is too large to represent; scale the states down", i + 1);
        }
        double mx = sc[0], sum = 0.0;
        for (int j = 1; j < ns; j++) if (sc[j] > mx) mx = sc[j];
        for (int j = 0; j < ns; j++) sum += exp((double)sc[j] - mx);
        for (int j = 0; j < ns; j++) w[j] = (float)(exp((double)sc[j] - mx) / sum);
        for (int c = 0; c < d; c++) {
            double acc = 0.0;
            for (int j = 0; j < ns; j++) acc += (double)w[j] * s->src[(size_t)j * d + c];
            t->context[(size_t)i * d + c] = (float)acc;
        }
    }
    memcpy(t->fixed, s->src + (size_t)(ns - 1) * d, sizeof(float) * (size_t)d);
    return 0;
}
