/* outfile.c: the growable output buffer, atomic file writes (temp file, fsync, rename),
 * the trace as JSON and single matrices as CSV. */
#define _POSIX_C_SOURCE 200809L
#include "outfile.h"
#include "../engine/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- buffer */

void out_buf_free(OutBuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

/* Makes room for extra more bytes plus a terminating NUL. Returns 0, or -1 (and sets
 * failed) when the buffer cannot grow. */
static int reserve(OutBuf *b, size_t extra)
{
    if (b->failed) return -1;
    if (extra > SIZE_MAX - 1 - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void out_append(OutBuf *b, const void *data, size_t len)
{
    if (b->failed || reserve(b, len)) return;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

static void out_str(OutBuf *b, const char *s) { out_append(b, s, strlen(s)); }

static void out_vprintf(OutBuf *b, const char *fmt, va_list ap)
{
    if (b->failed) return;
    va_list again;
    va_copy(again, ap);
    size_t avail = b->cap > b->len ? b->cap - b->len : 0;
    int n = vsnprintf(avail ? b->data + b->len : NULL, avail, fmt, ap);
    if (n < 0) {
        b->failed = 1;
    } else if ((size_t)n < avail) {
        b->len += (size_t)n;
    } else if (reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void out_printf(OutBuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out_vprintf(b, fmt, ap);
    va_end(ap);
}

/* A float as "%.9g" (enough digits to read back the same float32), with a '.' whatever the
 * locale's decimal point. Non-finite values are written as nonfinite says (NULL: "%.9g"). */
static void out_float(OutBuf *b, float v, const char *nonfinite)
{
    if (v == 0.0f) {
        out_str(b, signbit(v) ? "-0" : "0");
        return;
    }
    if (!isfinite(v) && nonfinite) {
        out_str(b, nonfinite);
        return;
    }
    char tmp[48], fixed[48];
    int n = snprintf(tmp, sizeof tmp, "%.9g", (double)v);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = 1;
        return;
    }
    /* a locale may spell the decimal point as ',' or as several bytes: write one '.' */
    size_t o = 0;
    int in_point = 0;
    for (int i = 0; i < n; i++) {
        char c = tmp[i];
        int plain = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E' ||
                    c == 'i' || c == 'n' || c == 'f' || c == 'a';
        if (plain) {
            fixed[o++] = c;
            in_point = 0;
        } else if (!in_point) {
            fixed[o++] = '.';
            in_point = 1;
        }
    }
    out_append(b, fixed, o);
}

/* ---------------------------------------------------------------- JSON */

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not well formed). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

/* A JSON string: '"' and '\\' escaped, control characters as \u00XX, well-formed UTF-8
 * passed through and any byte that is not part of it replaced by U+FFFD. */
static void json_string(OutBuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    out_append(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim, pending */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t l = utf8_len(s + i, n - i);
        if (l == 1 && c >= 0x20 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        if (l > 1) {
            i += l;
            run += l;
            continue;
        }
        out_append(b, s + i - run, run);
        run = 0;
        if (l == 0) out_append(b, "\xEF\xBF\xBD", 3);
        else if (c == '"') out_append(b, "\\\"", 2);
        else if (c == '\\') out_append(b, "\\\\", 2);
        else out_printf(b, "\\u%04X", c);
        i++;
    }
    out_append(b, s + n - run, run);
    out_append(b, "\"", 1);
}

static void json_key(OutBuf *b, int indent, const char *key, int first)
{
    out_printf(b, "%s%*s\"%s\": ", first ? "" : ",\n", indent, "", key);
}

static void json_vector(OutBuf *b, const float *v, int n)
{
    out_append(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i) out_append(b, ",", 1);
        out_float(b, v[i], "null");
    }
    out_append(b, "]", 1);
}

/* rows x cols, one row per line indented by indent + 2. */
static void json_matrix(OutBuf *b, const float *m, int rows, int cols, int indent)
{
    out_append(b, "[\n", 2);
    for (int r = 0; r < rows; r++) {
        out_printf(b, "%*s", indent + 2, "");
        json_vector(b, m + (size_t)r * cols, cols);
        out_str(b, r + 1 < rows ? ",\n" : "\n");
    }
    out_printf(b, "%*s]", indent, "");
}

static void json_scaled(OutBuf *b, const AttnTrace *t, int h, int indent)
{
    int n = t->n;
    out_append(b, "[\n", 2);
    for (int i = 0; i < n; i++) {
        out_printf(b, "%*s[", indent + 2, "");
        for (int j = 0; j < n; j++) {
            if (j) out_append(b, ",", 1);
            out_float(b, attn_scaled(t, h, i, j), "null");
        }
        out_str(b, i + 1 < n ? "],\n" : "]\n");
    }
    out_printf(b, "%*s]", indent, "");
}

static void json_mask(OutBuf *b, const AttnTrace *t, int indent)
{
    int n = t->n;
    char *row = malloc((size_t)2 * n + 2);
    if (!row) {
        b->failed = 1;
        return;
    }
    out_append(b, "[\n", 2);
    for (int i = 0; i < n; i++) {
        size_t o = 0;
        row[o++] = '[';
        for (int j = 0; j < n; j++) {
            if (j) row[o++] = ',';
            row[o++] = attn_allowed(t, i, j) ? '1' : '0';
        }
        row[o++] = ']';
        out_printf(b, "%*s", indent + 2, "");
        out_append(b, row, o);
        out_str(b, i + 1 < n ? ",\n" : "\n");
    }
    out_printf(b, "%*s]", indent, "");
    free(row);
}

static void json_words(OutBuf *b, const char *const *words, int n)
{
    if (!words) {
        out_str(b, "null");
        return;
    }
    out_append(b, "[", 1);
    for (int i = 0; i < n; i++) {
        if (i) out_str(b, ", ");
        json_string(b, words[i]);
    }
    out_append(b, "]", 1);
}

int out_json_cross(OutBuf *b, const CrossTrace *t, const char *const *src_words, const char *const *tgt_words,
                   char *err, size_t errlen)
{
    if (!t || t->n_src < 1 || t->n_tgt < 1 || !t->weights)
        return msg_fail(err, errlen, "no encoder-decoder attention to export");
    int ns = t->n_src, nt = t->n_tgt, d = t->d, da = t->d_att;
    out_str(b, "{\n  \"format\": \"attnlab-cross\",\n  \"version\": 1,\n  \"source\": ");
    json_words(b, src_words, ns);
    out_str(b, ",\n  \"target\": ");
    json_words(b, tgt_words, nt);
    out_printf(b, ",\n  \"config\": {\"n_src\": %d, \"n_tgt\": %d, \"d\": %d, \"d_att\": %d, \"score\": \"%s\"}", ns, nt,
               d, da, cross_score_name(t->score));
    json_key(b, 2, "src", 0);
    json_matrix(b, t->src, ns, d, 2);
    json_key(b, 2, "tgt", 0);
    json_matrix(b, t->tgt, nt, d, 2);
    json_key(b, 2, "scores", 0);
    json_matrix(b, t->scores, nt, ns, 2);
    json_key(b, 2, "weights", 0);
    json_matrix(b, t->weights, nt, ns, 2);
    json_key(b, 2, "context", 0);
    json_matrix(b, t->context, nt, d, 2);
    json_key(b, 2, "fixed", 0);
    json_vector(b, t->fixed, d);
    if (t->w) {
        json_key(b, 2, "W", 0);
        json_matrix(b, t->w, d, d, 2);
    }
    if (t->w_src) {
        json_key(b, 2, "W_src", 0);
        json_matrix(b, t->w_src, d, da, 2);
        json_key(b, 2, "W_tgt", 0);
        json_matrix(b, t->w_tgt, d, da, 2);
        json_key(b, 2, "v", 0);
        json_vector(b, t->v, da);
        json_key(b, 2, "src_proj", 0);
        json_matrix(b, t->src_proj, ns, da, 2);
        json_key(b, 2, "tgt_proj", 0);
        json_matrix(b, t->tgt_proj, nt, da, 2);
    }
    out_str(b, "\n}\n");
    if (b->failed) return msg_fail(err, errlen, "out of memory writing the JSON");
    return 0;
}

int out_json_trace(OutBuf *b, const AttnTrace *t, char *err, size_t errlen)
{
    return out_json_trace_blocks(b, t, NULL, err, errlen);
}

int out_json_trace_blocks(OutBuf *b, const AttnTrace *t, const BlockTrace *blocks, char *err, size_t errlen)
{
    if (!t || t->n < 1 || t->heads < 1 || !t->head)
        return msg_fail(err, errlen, "no trace to export: nothing has been computed");
    long long cells = (long long)t->heads * t->n * t->n;
    if (cells > OUT_JSON_MAX_CELLS)
        return msg_fail(err, errlen, "%d heads x %d x %d tokens is %lld score cells, more than "
                       "the JSON export limit of %lld", t->heads, t->n, t->n, cells,
                       (long long)OUT_JSON_MAX_CELLS);
    if (b->failed) return msg_fail(err, errlen, "out of memory writing the JSON trace");

    int n = t->n, dm = t->d_model, H = t->heads, dh = t->d_head, da = t->d_att;
    int additive = t->score == ATTN_SCORE_ADDITIVE;
    char mask[32];
    attn_mask_spec(mask, sizeof mask, t->mask, t->mask_param);

    out_str(b, "{\n  \"format\": \"attnlab-trace\",\n  \"version\": 1,\n  \"tokens\": [");
    for (int i = 0; i < n; i++) {
        if (i) out_str(b, ", ");
        json_string(b, t->tokens[i]);
    }
    out_str(b, "],\n  \"config\": {");
    out_printf(b, "\"n\": %d, \"d_model\": %d, \"heads\": %d, \"d_head\": %d, \"d_att\": %d, ",
               n, dm, H, dh, da);
    out_printf(b, "\"score\": \"%s\", \"mask\": ", attn_score_name(t->score));
    json_string(b, mask);
    out_printf(b, ", \"posenc\": \"%s\", \"norm\": \"%s\", \"temperature\": ",
               attn_posenc_name(t->posenc), attn_norm_name(t->norm));
    out_float(b, t->temperature, "null");
    out_printf(b, ", \"seed\": %llu, \"weights\": \"%s\", \"inputs\": \"%s\", \"scale\": ",
               (unsigned long long)t->seed, t->explicit_params ? "explicit" : attn_weights_name(t->weights_preset),
               t->explicit_vectors ? "explicit" : t->d_feature ? "features" : "hashed");
    out_float(b, t->scale, "null");
    out_printf(b, ", \"grid_w\": %d", t->grid_w);
    out_str(b, "}");

    json_key(b, 2, "a", 0);
    json_matrix(b, t->a, n, dm, 2);
    json_key(b, 2, "pe", 0);
    json_matrix(b, t->pe, n, dm, 2);
    json_key(b, 2, "x", 0);
    json_matrix(b, t->x, n, dm, 2);
    json_key(b, 2, "mask", 0);
    json_mask(b, t, 2);
    json_key(b, 2, "heads", 0);
    out_str(b, "[\n");
    for (int h = 0; h < H; h++) {
        const AttnHead *hd = &t->head[h];
        out_str(b, "    {\n");
        json_key(b, 6, "Wq", 1);
        json_matrix(b, hd->wq, dm, dh, 6);
        json_key(b, 6, "Wk", 0);
        json_matrix(b, hd->wk, dm, dh, 6);
        json_key(b, 6, "Wv", 0);
        json_matrix(b, hd->wv, dm, dh, 6);
        if (additive) {
            json_key(b, 6, "Wa", 0);
            json_matrix(b, hd->wa, 2 * dh, da, 6);
            json_key(b, 6, "va", 0);
            json_vector(b, hd->va, da);
        }
        json_key(b, 6, "q", 0);
        json_matrix(b, hd->q, n, dh, 6);
        json_key(b, 6, "k", 0);
        json_matrix(b, hd->k, n, dh, 6);
        json_key(b, 6, "v", 0);
        json_matrix(b, hd->v, n, dh, 6);
        json_key(b, 6, "scores", 0);
        json_matrix(b, hd->scores, n, n, 6);
        json_key(b, 6, "scaled", 0);
        json_scaled(b, t, h, 6);
        json_key(b, 6, "weights", 0);
        json_matrix(b, hd->weights, n, n, 6);
        json_key(b, 6, "out", 0);
        json_matrix(b, hd->out, n, dh, 6);
        json_key(b, 6, "entropy", 0);
        json_vector(b, hd->entropy, n);
        json_key(b, 6, "max_weight", 0);
        json_vector(b, hd->max_weight, n);
        json_key(b, 6, "empty_rows", 0);
        out_str(b, "[");
        int first = 1;
        for (int i = 0; i < n; i++)
            if (hd->empty_row[i]) {
                out_printf(b, first ? "%d" : ",%d", i);
                first = 0;
            }
        out_str(b, h + 1 < H ? "]\n    },\n" : "]\n    }\n");
    }
    out_str(b, "  ]");
    json_key(b, 2, "concat", 0);
    json_matrix(b, t->concat, n, H * dh, 2);
    json_key(b, 2, "Wo", 0);
    json_matrix(b, t->wo, H * dh, dm, 2);
    json_key(b, 2, "output", 0);
    json_matrix(b, t->output, n, dm, 2);
    json_key(b, 2, "empty_rows", 0);
    out_printf(b, "%d", t->n_empty_rows);
    if (blocks && blocks->layers > 0) {
        /* the Transformer blocks: every stage of every layer, and its parameters */
        int ff = blocks->d_ff;
        json_key(b, 2, "blocks", 0);
        out_printf(b, "{\"layers\": %d, \"d_ff\": %d, \"eps\": ", blocks->layers, ff);
        out_float(b, blocks->eps, "null");
        out_str(b, ", \"layer\": [\n");
        for (int l = 0; l < blocks->layers; l++) {
            const BlockLayer *bl = &blocks->layer[l];
            out_str(b, "    {");
            static const char *const names[] = {"in", "attn_out", "res1", "norm1", "pre", "hidden", "mlp_out", "res2", "out"};
            const float *arrays[] = {bl->in, bl->attn_out, bl->res1, bl->norm1, bl->pre, bl->hidden, bl->mlp_out, bl->res2, bl->out};
            for (int k = 0; k < 9; k++) {
                json_key(b, 6, names[k], k == 0);
                json_matrix(b, arrays[k], n, k == 4 || k == 5 ? ff : dm, 6);
            }
            json_key(b, 6, "gamma1", 0);
            json_vector(b, bl->gamma1, dm);
            json_key(b, 6, "beta1", 0);
            json_vector(b, bl->beta1, dm);
            json_key(b, 6, "gamma2", 0);
            json_vector(b, bl->gamma2, dm);
            json_key(b, 6, "beta2", 0);
            json_vector(b, bl->beta2, dm);
            json_key(b, 6, "W1", 0);
            json_matrix(b, bl->w1, dm, ff, 6);
            json_key(b, 6, "b1", 0);
            json_vector(b, bl->b1, ff);
            json_key(b, 6, "W2", 0);
            json_matrix(b, bl->w2, ff, dm, 6);
            json_key(b, 6, "b2", 0);
            json_vector(b, bl->b2, dm);
            out_str(b, l + 1 < blocks->layers ? "\n    },\n" : "\n    }\n");
        }
        out_str(b, "  ]}");
    }
    out_str(b, "\n}\n");

    if (b->failed) return msg_fail(err, errlen, "out of memory writing the JSON trace");
    return 0;
}

/* ---------------------------------------------------------------- CSV */

/* One CSV field: quoted (quotes doubled) when it holds a comma, a quote, CR or LF. */
static void csv_field(OutBuf *b, const char *s)
{
    if (!s) s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        out_str(b, s);
        return;
    }
    out_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') out_append(b, "\"\"", 2);
        else out_append(b, p, 1);
    }
    out_append(b, "\"", 1);
}

int out_csv_matrix(OutBuf *b, const AttnTrace *t, OutMatrix m, int head, char *err, size_t errlen)
{
    if (!t || t->n < 1 || t->heads < 1 || !t->head)
        return msg_fail(err, errlen, "no trace to export: nothing has been computed");
    int n = t->n, dm = t->d_model, H = t->heads, dh = t->d_head;
    int per_head = m == OUT_M_Q || m == OUT_M_K || m == OUT_M_V || m == OUT_M_SCORES ||
                   m == OUT_M_SCALED || m == OUT_M_WEIGHTS || m == OUT_M_OUT ||
                   m == OUT_M_WQ || m == OUT_M_WK || m == OUT_M_WV;
    if (per_head && (head < 0 || head >= H))
        return msg_fail(err, errlen, "head %d is outside 1..%d", head + 1, H);
    const AttnHead *hd = per_head ? &t->head[head] : NULL;

    enum { TOKEN_X_TOKEN, TOKEN_X_DIM, WEIGHT } kind;
    const float *data = NULL;
    int rows = n, cols = 0;
    switch (m) {
    case OUT_M_A: kind = TOKEN_X_DIM; data = t->a; cols = dm; break;
    case OUT_M_PE: kind = TOKEN_X_DIM; data = t->pe; cols = dm; break;
    case OUT_M_X: kind = TOKEN_X_DIM; data = t->x; cols = dm; break;
    case OUT_M_Q: kind = TOKEN_X_DIM; data = hd->q; cols = dh; break;
    case OUT_M_K: kind = TOKEN_X_DIM; data = hd->k; cols = dh; break;
    case OUT_M_V: kind = TOKEN_X_DIM; data = hd->v; cols = dh; break;
    case OUT_M_OUT: kind = TOKEN_X_DIM; data = hd->out; cols = dh; break;
    case OUT_M_CONCAT: kind = TOKEN_X_DIM; data = t->concat; cols = H * dh; break;
    case OUT_M_OUTPUT: kind = TOKEN_X_DIM; data = t->output; cols = dm; break;
    case OUT_M_SCORES: kind = TOKEN_X_TOKEN; data = hd->scores; cols = n; break;
    case OUT_M_SCALED: kind = TOKEN_X_TOKEN; cols = n; break;
    case OUT_M_MASK: kind = TOKEN_X_TOKEN; cols = n; break;
    case OUT_M_WEIGHTS: kind = TOKEN_X_TOKEN; data = hd->weights; cols = n; break;
    case OUT_M_WQ: kind = WEIGHT; data = hd->wq; rows = dm; cols = dh; break;
    case OUT_M_WK: kind = WEIGHT; data = hd->wk; rows = dm; cols = dh; break;
    case OUT_M_WV: kind = WEIGHT; data = hd->wv; rows = dm; cols = dh; break;
    case OUT_M_WO: kind = WEIGHT; data = t->wo; rows = H * dh; cols = dm; break;
    default: return msg_fail(err, errlen, "unknown matrix %d", (int)m);
    }
    if (b->failed) return msg_fail(err, errlen, "out of memory writing the CSV");

    if (kind == TOKEN_X_TOKEN) {
        out_str(b, "query\\key");
        for (int j = 0; j < n; j++) {
            out_append(b, ",", 1);
            csv_field(b, t->tokens[j]);
        }
    } else {
        out_str(b, kind == WEIGHT ? "row" : "token");
        for (int c = 0; c < cols; c++) out_printf(b, kind == WEIGHT ? ",c%d" : ",d%d", c + 1);
    }
    out_append(b, "\n", 1);

    for (int r = 0; r < rows; r++) {
        if (kind == WEIGHT) out_printf(b, "r%d", r + 1);
        else csv_field(b, t->tokens[r]);
        for (int c = 0; c < cols; c++) {
            out_append(b, ",", 1);
            if (m == OUT_M_MASK)
                out_append(b, attn_allowed(t, r, c) ? "1" : "0", 1);
            else if (m == OUT_M_SCALED)
                out_float(b, attn_allowed(t, r, c) ? attn_scaled(t, head, r, c) : -INFINITY, NULL);
            else
                out_float(b, data[(size_t)r * cols + c], NULL);
        }
        out_append(b, "\n", 1);
    }
    if (b->failed) return msg_fail(err, errlen, "out of memory writing the CSV");
    return 0;
}
