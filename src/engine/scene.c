/* scene.c: scene fields from key/value strings, the small text formats a scene can name
 * (vectors, graphs, custom masks, weights), and scene_load, which reads those files and
 * prepares the engine's AttnScene. Everything but scene_load and read_file is pure. */
#define _POSIX_C_SOURCE 200809L
#include "scene.h"
#include "msg.h"
#include "cross.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCENE_MAX_FILE (64 * 1024 * 1024) /* largest file a scene may name */

const char *const scene_keys[] = {"text", "heads", "d-model", "d-head", "d-att", "score",
                                  "mask", "posenc", "norm", "temperature", "seed",
                                  "weights", "vectors", "image", "patch", "grid", "audio", "win-ms", "hop-ms", "bands", "graph", "layers", "d-ff", "cross", "cross-score", NULL};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int set_str(char **slot, const char *value)
{
    char *d = value ? dup_str(value) : NULL;
    if (value && !d) return -1;
    free(*slot);
    *slot = d;
    return 0;
}

void scene_spec_init(SceneSpec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->scene = attn_scene_default();
    sp->text = dup_str("I saw a saw");
    sp->patch = 16;
    sp->grid = 8;
    sp->win_ms = 25.0f;
    sp->hop_ms = 10.0f;
    sp->bands = 8;
    snprintf(sp->cross, sizeof sp->cross, "french");
    sp->cross_score = CROSS_SCORE_DOT;
}

void scene_picture_free(SceneSpec *sp)
{
    tok_free(&sp->pic_labels);
    free(sp->features);
    free(sp->picture);
    free(sp->wave);
    sp->features = NULL;
    sp->picture = NULL;
    sp->wave = NULL;
    sp->wave_n = sp->wave_rate = sp->frame_len = sp->frame_hop = 0;
    sp->d_feature = sp->grid_w = sp->grid_h = sp->picture_w = sp->picture_h = 0;
    sp->picture_note[0] = 0;
    sp->picture_from[0] = 0;
}

static void free_loaded(SceneSpec *sp)
{
    graph_free(&sp->graph_in);
    tok_free(&sp->toks);
    free(sp->vectors);
    free(sp->edges);
    free(sp->mask_matrix);
    free(sp->params);
    sp->vectors = NULL;
    sp->edges = NULL;
    sp->n_edges = 0;
    sp->mask_matrix = NULL;
    sp->params = NULL;
}

void scene_spec_free(SceneSpec *sp)
{
    free_loaded(sp);
    scene_picture_free(sp);
    free(sp->image);
    free(sp->audio);
    free(sp->graph);
    cross_pair_free(&sp->cross_pair);
    attn_trace_free(&sp->preset);
    free(sp->text);
    free(sp->mask_file);
    free(sp->weights_file);
    free(sp->vectors_file);
    memset(sp, 0, sizeof *sp);
}

/* ---------------------------------------------------------------- field values */

static int parse_int(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno) return -1;
    if (x < lo || x > hi) return -2;
    *out = x;
    return 0;
}

static int set_int(int *slot, const char *key, const char *v, long lo, long hi, char *err,
                   size_t errlen)
{
    long x;
    int r = parse_int(v, lo, hi, &x);
    if (r == -1) return msg_fail(err, errlen, "--%s: '%s' is not a whole number", key, v);
    if (r == -2) return msg_fail(err, errlen, "--%s: %s is outside the limit %ld..%ld", key, v, lo, hi);
    *slot = (int)x;
    return 0;
}

static int set_float(float *slot, const char *key, const char *v, float lo, float hi, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x)) return msg_fail(err, errlen, "--%s: '%s' is not a number", key, v);
    if (x < lo || x > hi) return msg_fail(err, errlen, "--%s: %s is outside the limit %g..%g", key, v, (double)lo, (double)hi);
    *slot = (float)x;
    return 0;
}

static int pick(const char *v, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (strcmp(v, names[i]) == 0) return i;
    return -1;
}

int scene_set(SceneSpec *sp, const char *key, const char *v, char *err, size_t errlen)
{
    AttnScene *s = &sp->scene;
    if (!v) return msg_fail(err, errlen, "--%s needs a value", key);
    if (strcmp(key, "text") == 0) {
        if (set_str(&sp->text, v)) return msg_fail(err, errlen, "out of memory");
        return 0;
    }
    if (strcmp(key, "heads") == 0) return set_int(&s->heads, key, v, 1, ATTN_MAX_HEADS, err, errlen);
    if (strcmp(key, "d-model") == 0) return set_int(&s->d_model, key, v, 1, ATTN_MAX_D_MODEL, err, errlen);
    if (strcmp(key, "d-head") == 0) return set_int(&s->d_head, key, v, 1, ATTN_MAX_D_HEAD, err, errlen);
    if (strcmp(key, "d-att") == 0) return set_int(&s->d_att, key, v, 1, ATTN_MAX_D_ATT, err, errlen);
    if (strcmp(key, "score") == 0) {
        static const char *const names[] = {"dot", "scaled", "additive"};
        int k = pick(v, names, 3);
        if (k < 0) return msg_fail(err, errlen, "--score: unknown value '%s' (allowed: dot|scaled|additive)", v);
        s->score = (AttnScore)k;
        return 0;
    }
    if (strcmp(key, "posenc") == 0) {
        static const char *const names[] = {"none", "sinusoidal", "learned", "2d"};
        int k = pick(v, names, 4);
        if (k < 0) return msg_fail(err, errlen, "--posenc: unknown value '%s' (allowed: none|sinusoidal|learned|2d)", v);
        s->posenc = (AttnPosenc)k;
        return 0;
    }
    if (strcmp(key, "norm") == 0) {
        static const char *const names[] = {"softmax", "relu"};
        int k = pick(v, names, 2);
        if (k < 0) return msg_fail(err, errlen, "--norm: unknown value '%s' (allowed: softmax|relu)", v);
        s->norm = (AttnNorm)k;
        return 0;
    }
    if (strcmp(key, "temperature") == 0) {
        char *end;
        errno = 0;
        double t = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(t))
            return msg_fail(err, errlen, "--temperature: '%s' is not a number", v);
        if (t < ATTN_MIN_TEMPERATURE || t > ATTN_MAX_TEMPERATURE)
            return msg_fail(err, errlen, "--temperature: %s is outside the limit %g..%g", v,
                        (double)ATTN_MIN_TEMPERATURE, (double)ATTN_MAX_TEMPERATURE);
        s->temperature = (float)t;
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (end == v || *end || errno || strchr(v, '-'))
            return msg_fail(err, errlen, "--seed: '%s' is not a whole number from 0 to %llu", v, ULLONG_MAX);
        s->seed = x;
        return 0;
    }
    if (strcmp(key, "mask") == 0) {
        const char *colon = strchr(v, ':');
        size_t kl = colon ? (size_t)(colon - v) : strlen(v);
        const char *arg = colon ? colon + 1 : NULL;
        static const char *allowed = "none|causal|window:W|padding:P|conv:K|graph:FILE|custom:FILE";
        if (kl == 4 && strncmp(v, "none", 4) == 0 && !arg) { s->mask = ATTN_MASK_NONE; return 0; }
        if (kl == 6 && strncmp(v, "causal", 6) == 0 && !arg) { s->mask = ATTN_MASK_CAUSAL; return 0; }
        if ((kl == 6 && strncmp(v, "window", 6) == 0) || (kl == 7 && strncmp(v, "padding", 7) == 0)) {
            int window = v[0] == 'w';
            long x;
            if (!arg) return msg_fail(err, errlen, "--mask: %s needs a number, as in %s:2", window ? "window" : "padding", window ? "window" : "padding");
            int r = parse_int(arg, 0, ATTN_MAX_N, &x);
            if (r == -1) return msg_fail(err, errlen, "--mask: '%s' is not a whole number in %s", arg, v);
            if (r == -2) return msg_fail(err, errlen, "--mask: %s is outside the limit 0..%d", arg, ATTN_MAX_N);
            s->mask = window ? ATTN_MASK_WINDOW : ATTN_MASK_PADDING;
            s->mask_param = (int)x;
            return 0;
        }
        if (kl == 4 && strncmp(v, "conv", 4) == 0) {
            long x;
            if (!arg || parse_int(arg, 1, 99, &x) || x % 2 == 0)
                return msg_fail(err, errlen, "--mask: conv needs an odd receptive field 1..99, as in conv:3");
            s->mask = ATTN_MASK_CONV;
            s->mask_param = (int)x;
            return 0;
        }
        if (kl == 5 && strncmp(v, "graph", 5) == 0 && !arg) {
            /* the input graph's own edges (scene_load refuses it without a graph input) */
            free(sp->mask_file);
            sp->mask_file = NULL;
            s->mask = ATTN_MASK_GRAPH;
            return 0;
        }
        if ((kl == 5 && strncmp(v, "graph", 5) == 0) || (kl == 6 && strncmp(v, "custom", 6) == 0)) {
            if (!arg || !*arg) return msg_fail(err, errlen, "--mask: %.*s needs a file, as in %.*s:edges.txt", (int)kl, v, (int)kl, v);
            if (set_str(&sp->mask_file, arg)) return msg_fail(err, errlen, "out of memory");
            s->mask = v[0] == 'g' ? ATTN_MASK_GRAPH : ATTN_MASK_CUSTOM;
            return 0;
        }
        return msg_fail(err, errlen, "--mask: unknown value '%s' (allowed: %s)", v, allowed);
    }
    if (strcmp(key, "weights") == 0) {
        if (strcmp(v, "random") == 0 || strcmp(v, "identity") == 0 || strcmp(v, "picture") == 0) {
            s->weights = v[0] == 'r' ? ATTN_WEIGHTS_RANDOM : v[0] == 'i' ? ATTN_WEIGHTS_IDENTITY : ATTN_WEIGHTS_PICTURE;
            free(sp->weights_file);
            sp->weights_file = NULL;
            return 0;
        }
        if (!*v) return msg_fail(err, errlen, "--weights: empty value (allowed: random|identity|picture|FILE)");
        if (set_str(&sp->weights_file, v)) return msg_fail(err, errlen, "out of memory");
        return 0;
    }
    if (strcmp(key, "image") == 0) {
        if (!*v) return msg_fail(err, errlen, "--image: empty value (allowed: FILE|example:NAME|none)");
        if (set_str(&sp->image, strcmp(v, "none") == 0 ? NULL : v)) return msg_fail(err, errlen, "out of memory");
        if (sp->image) {
            set_str(&sp->audio, NULL);
            set_str(&sp->graph, NULL);
        }
        return 0;
    }
    if (strcmp(key, "graph") == 0) {
        if (!*v) return msg_fail(err, errlen, "--graph: empty value (allowed: FILE|example:NAME|none)");
        if (strncmp(v, "example:", 8) == 0 && !graph_builtin_text(v + 8)) {
            char names[160];
            return msg_fail(err, errlen, "--graph: no example '%s' (allowed: FILE|%s|none)", v + 8,
                            msg_join(names, sizeof names, graph_builtin_names, "example:"));
        }
        if (set_str(&sp->graph, strcmp(v, "none") == 0 ? NULL : v)) return msg_fail(err, errlen, "out of memory");
        if (sp->graph) {
            set_str(&sp->image, NULL);
            set_str(&sp->audio, NULL);
            /* the graph's edges are its mask */
            free(sp->mask_file);
            sp->mask_file = NULL;
            s->mask = ATTN_MASK_GRAPH;
        } else if (s->mask == ATTN_MASK_GRAPH && !sp->mask_file) {
            s->mask = ATTN_MASK_NONE;
        }
        return 0;
    }
    if (strcmp(key, "audio") == 0) {
        if (!*v) return msg_fail(err, errlen, "--audio: empty value (allowed: FILE.wav|example:NAME|none)");
        if (set_str(&sp->audio, strcmp(v, "none") == 0 ? NULL : v)) return msg_fail(err, errlen, "out of memory");
        if (sp->audio) {
            set_str(&sp->image, NULL);
            set_str(&sp->graph, NULL);
        }
        return 0;
    }
    if (strcmp(key, "win-ms") == 0) return set_float(&sp->win_ms, key, v, 1.0f, 1000.0f, err, errlen);
    if (strcmp(key, "hop-ms") == 0) return set_float(&sp->hop_ms, key, v, 1.0f, 1000.0f, err, errlen);
    if (strcmp(key, "bands") == 0) return set_int(&sp->bands, key, v, 1, 64, err, errlen);
    if (strcmp(key, "patch") == 0) return set_int(&sp->patch, key, v, 1, 64, err, errlen);
    if (strcmp(key, "grid") == 0) return set_int(&sp->grid, key, v, 1, 64, err, errlen);
    if (strcmp(key, "layers") == 0) return set_int(&sp->layers, key, v, 0, 12, err, errlen);
    if (strcmp(key, "d-ff") == 0) return set_int(&sp->d_ff, key, v, 0, 4096, err, errlen);
    if (strcmp(key, "cross") == 0) {
        CrossScene probe = cross_scene_default();
        int file = strchr(v, '/') || strchr(v, '.');
        if (strlen(v) >= sizeof sp->cross || !*v || (!file && cross_preset(&probe, v)))
            return msg_fail(err, errlen, "--cross: unknown sentence pair '%s' (allowed: %s, or a pair FILE)", v,
                        cross_preset_names());
        snprintf(sp->cross, sizeof sp->cross, "%s", v);
        return 0;
    }
    if (strcmp(key, "cross-score") == 0) {
        CrossScore k;
        if (cross_score_parse(v, &k))
            return msg_fail(err, errlen, "--cross-score: unknown scoring '%s' (allowed: dot|general|additive)", v);
        sp->cross_score = (int)k;
        return 0;
    }
    if (strcmp(key, "vectors") == 0) {
        if (strcmp(v, "hash") == 0) {
            free(sp->vectors_file);
            sp->vectors_file = NULL;
            return 0;
        }
        if (set_str(&sp->vectors_file, v)) return msg_fail(err, errlen, "out of memory");
        return 0;
    }
    return msg_fail(err, errlen, "unknown scene key '%s'", key);
}

/* ---------------------------------------------------------------- text formats */

/* A cursor over a text that knows its line and column (1-based, in bytes). */
typedef struct {
    const char *p, *end;
    int line, col;
} Cursor;

static void cur_skip_blank(Cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == ',' || *c->p == '\r')) {
        c->p++;
        c->col++;
    }
}

/* Moves to the start of the next line that holds something other than a comment. Returns 0
 * at the end of the text. */
static int cur_next_content_line(Cursor *c, int first)
{
    if (!first) {
        while (c->p < c->end && *c->p != '\n') c->p++;
        if (c->p < c->end) c->p++;
        c->line++;
        c->col = 1;
    }
    for (;;) {
        const char *q = c->p;
        int col = c->col;
        while (q < c->end && (*q == ' ' || *q == '\t' || *q == '\r')) { q++; col++; }
        if (q >= c->end) { c->p = q; return 0; }
        if (*q == '\n' || *q == '#') {
            while (q < c->end && *q != '\n') q++;
            if (q < c->end) q++;
            c->p = q;
            c->line++;
            c->col = 1;
            continue;
        }
        return 1;
    }
}

static int at_line_end(const Cursor *c)
{
    return c->p >= c->end || *c->p == '\n' || *c->p == '#';
}

static int cur_number(Cursor *c, float *out, const char *name, char *err, size_t errlen)
{
    char buf[64];
    size_t k = 0;
    const char *q = c->p;
    while (q < c->end && *q != ' ' && *q != '\t' && *q != ',' && *q != '\n' && *q != '\r' &&
           *q != '#') {
        if (k < sizeof buf - 1) buf[k] = *q;
        k++; /* counts the whole word, so a long one is refused, not split in two */
        q++;
    }
    buf[k < sizeof buf - 1 ? k : sizeof buf - 1] = 0;
    char *endp;
    errno = 0;
    double v = strtod(buf, &endp);
    if (k == 0 || k >= sizeof buf || *endp || errno == ERANGE || !isfinite(v) || fabs(v) > 1e6)
        return msg_fail(err, errlen, "%s:%d:%d: '%s' is not a number within +-1e6", name, c->line,
                    c->col, buf);
    *out = (float)v;
    c->col += (int)(q - c->p);
    c->p = q;
    return 0;
}

int scene_parse_matrix(float *out, int rows, int cols, const char *text, size_t len,
                       const char *name, char *err, size_t errlen)
{
    Cursor c = {text, text + len, 1, 1};
    for (int r = 0; r < rows; r++) {
        if (!cur_next_content_line(&c, r == 0))
            return msg_fail(err, errlen, "%s:%d:%d: expected %d rows of %d numbers, found %d rows",
                        name, c.line, c.col, rows, cols, r);
        for (int k = 0; k < cols; k++) {
            cur_skip_blank(&c);
            if (at_line_end(&c))
                return msg_fail(err, errlen, "%s:%d:%d: row %d has %d numbers, expected %d", name,
                            c.line, c.col, r + 1, k, cols);
            if (cur_number(&c, &out[(size_t)r * cols + k], name, err, errlen)) return -1;
        }
        cur_skip_blank(&c);
        if (!at_line_end(&c))
            return msg_fail(err, errlen, "%s:%d:%d: row %d has more than %d numbers", name, c.line,
                        c.col, r + 1, cols);
    }
    if (cur_next_content_line(&c, rows == 0))
        return msg_fail(err, errlen, "%s:%d:%d: more than the %d rows expected", name, c.line,
                    c.col, rows);
    return 0;
}

int scene_parse_graph(int **edges, int *n_edges, int n, const char *text, size_t len,
                      const char *name, char *err, size_t errlen)
{
    Cursor c = {text, text + len, 1, 1};
    int cap = 0, cnt = 0;
    int *e = NULL;
    *edges = NULL;
    *n_edges = 0;
    for (int first = 1; cur_next_content_line(&c, first); first = 0) {
        long node[2];
        for (int k = 0; k < 2; k++) {
            cur_skip_blank(&c);
            if (k == 1 && c.p < c.end && *c.p == '-') { c.p++; c.col++; cur_skip_blank(&c); }
            const char *q = c.p;
            long v = 0;
            int digits = 0;
            while (q < c.end && *q >= '0' && *q <= '9' && digits < 9) { v = v * 10 + (*q - '0'); q++; digits++; }
            if (!digits) {
                free(e);
                return msg_fail(err, errlen, "%s:%d:%d: expected a node number (an edge is \"I J\")", name, c.line, c.col);
            }
            if (v < 1 || v > n) {
                free(e);
                return msg_fail(err, errlen, "%s:%d:%d: node %ld is outside 1..%d (the number of tokens)", name, c.line, c.col, v, n);
            }
            node[k] = v;
            c.col += (int)(q - c.p);
            c.p = q;
        }
        cur_skip_blank(&c);
        if (!at_line_end(&c)) {
            free(e);
            return msg_fail(err, errlen, "%s:%d:%d: unexpected text after the edge", name, c.line, c.col);
        }
        if (cnt == cap) {
            if (cnt >= ATTN_MAX_N * 64) {
                free(e);
                return msg_fail(err, errlen, "%s:%d:1: more than %d edges", name, c.line, ATTN_MAX_N * 64);
            }
            cap = cap ? cap * 2 : 16;
            int *ne = realloc(e, sizeof(int) * 2 * (size_t)cap);
            if (!ne) { free(e); return msg_fail(err, errlen, "out of memory"); }
            e = ne;
        }
        e[2 * cnt] = (int)node[0] - 1;
        e[2 * cnt + 1] = (int)node[1] - 1;
        cnt++;
    }
    *edges = e;
    *n_edges = cnt;
    return 0;
}

int scene_parse_weights(SceneTensors *p, const AttnScene *sh, const char *text, size_t len,
                        const char *name, char *err, size_t errlen)
{
    Cursor c = {text, text + len, 1, 1};
    int dm = sh->d_model, dh = sh->d_head, H = sh->heads, da = sh->d_att ? sh->d_att : dh;
    for (int first = 1; cur_next_content_line(&c, first); first = 0) {
        /* a section header: a name, then a head number for all but Wo */
        char word[8];
        int k = 0;
        cur_skip_blank(&c); /* an indented header, as the other formats allow */
        int hline = c.line, hcol = c.col;
        while (c.p < c.end && k < 7 && ((*c.p >= 'a' && *c.p <= 'z') || (*c.p >= 'A' && *c.p <= 'Z'))) {
            word[k++] = *c.p++;
            c.col++;
        }
        word[k] = 0;
        float *dst;
        int rows, cols, wants_head = 1;
        size_t per_head;
        if (strcmp(word, "Wq") == 0) { dst = p->wq; rows = dm; cols = dh; }
        else if (strcmp(word, "Wk") == 0) { dst = p->wk; rows = dm; cols = dh; }
        else if (strcmp(word, "Wv") == 0) { dst = p->wv; rows = dm; cols = dh; }
        else if (strcmp(word, "Wa") == 0) { dst = p->wa; rows = 2 * dh; cols = da; }
        else if (strcmp(word, "va") == 0) { dst = p->va; rows = 1; cols = da; }
        else if (strcmp(word, "Wo") == 0) { dst = p->wo; rows = H * dh; cols = dm; wants_head = 0; }
        else
            return msg_fail(err, errlen, "%s:%d:%d: expected a section (Wq H, Wk H, Wv H, Wa H, va H or Wo)", name, hline, hcol);
        per_head = (size_t)rows * cols;
        int head = 1;
        cur_skip_blank(&c);
        if (wants_head) {
            long h;
            char num[16];
            int m = 0;
            while (c.p + m < c.end && m < 15 && c.p[m] >= '0' && c.p[m] <= '9') { num[m] = c.p[m]; m++; }
            num[m] = 0;
            if (!m) return msg_fail(err, errlen, "%s:%d:%d: %s needs a head number 1..%d", name, c.line, c.col, word, H);
            if (parse_int(num, 1, H, &h))
                return msg_fail(err, errlen, "%s:%d:%d: head %s is outside 1..%d", name, c.line, c.col, num, H);
            head = (int)h;
            c.p += m;
            c.col += m;
            cur_skip_blank(&c);
        }
        if (!at_line_end(&c))
            return msg_fail(err, errlen, "%s:%d:%d: unexpected text after the section name", name, c.line, c.col);
        if (!dst)
            return msg_fail(err, errlen, "%s:%d:%d: %s is used only with --score additive", name, hline, hcol, word);
        dst += (size_t)(head - 1) * per_head;
        for (int r = 0; r < rows; r++) {
            if (!cur_next_content_line(&c, 0))
                return msg_fail(err, errlen, "%s:%d:%d: %s needs %d rows of %d numbers, found %d", name, c.line, c.col, word, rows, cols, r);
            for (int q = 0; q < cols; q++) {
                cur_skip_blank(&c);
                if (at_line_end(&c))
                    return msg_fail(err, errlen, "%s:%d:%d: row %d of %s has %d numbers, expected %d", name, c.line, c.col, r + 1, word, q, cols);
                if (cur_number(&c, &dst[(size_t)r * cols + q], name, err, errlen)) return -1;
            }
            cur_skip_blank(&c);
            if (!at_line_end(&c))
                return msg_fail(err, errlen, "%s:%d:%d: row %d of %s has more than %d numbers", name, c.line, c.col, r + 1, word, cols);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- loading */

/* Reads a whole file (at most SCENE_MAX_FILE bytes). Returns a malloc'd NUL-terminated
 * buffer, or NULL with a message. */
static char *read_file(const char *path, const char *base_dir, size_t *len, char *full,
                       size_t fulllen, char *err, size_t errlen)
{
    if (base_dir && path[0] != '/') snprintf(full, fulllen, "%s/%s", base_dir, path);
    else snprintf(full, fulllen, "%s", path);
    FILE *f = fopen(full, "rb");
    if (!f) {
        msg_fail(err, errlen, "%s: %s", full, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n + 1 >= cap) {
            if (cap >= SCENE_MAX_FILE) {
                free(buf);
                fclose(f);
                msg_fail(err, errlen, "%s: larger than the limit of %d MB", full, SCENE_MAX_FILE >> 20);
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        msg_fail(err, errlen, "%s: %s", full, buf ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int scene_load(SceneSpec *sp, const char *base_dir, char *err, size_t errlen)
{
    AttnScene *s = &sp->scene;
    char tokerr[160], full[4096];
    free_loaded(sp);
    s->features = NULL;
    s->embed = NULL;
    s->d_feature = 0;
    s->grid_w = 0;
    s->picture = NULL;
    s->picture_w = s->picture_h = s->patch = 0;
    s->wave = NULL;
    s->wave_n = s->wave_rate = s->frame_len = s->frame_hop = 0;
    if (sp->audio) {
        if (!sp->features) return msg_fail(err, errlen, "%s: the sound was not read (aud_scene_load reads sounds)", sp->audio);
        s->n = sp->pic_labels.n;
        s->tokens = (const char *const *)sp->pic_labels.text;
        s->features = sp->features;
        s->d_feature = sp->d_feature;
        s->wave = sp->wave;
        s->wave_n = sp->wave_n;
        s->wave_rate = sp->wave_rate;
        s->frame_len = sp->frame_len;
        s->frame_hop = sp->frame_hop;
    } else if (sp->image) {
        if (!sp->features) return msg_fail(err, errlen, "%s: the picture was not read (img_scene_load reads pictures)", sp->image);
        s->n = sp->pic_labels.n;
        s->tokens = (const char *const *)sp->pic_labels.text;
        s->features = sp->features;
        s->d_feature = sp->d_feature;
        s->grid_w = sp->grid_w;
        s->picture = sp->picture;
        s->picture_w = sp->picture_w;
        s->picture_h = sp->picture_h;
        s->patch = sp->patch;
    } else if (sp->graph) {
        int r;
        if (strncmp(sp->graph, "example:", 8) == 0) {
            r = graph_builtin(&sp->graph_in, sp->graph + 8, err, errlen);
        } else {
            size_t len;
            char *buf = read_file(sp->graph, base_dir, &len, full, sizeof full, err, errlen);
            if (!buf) return -1;
            r = graph_parse(&sp->graph_in, buf, len, full, err, errlen);
            free(buf);
        }
        if (r) return -1;
        s->n = sp->graph_in.n;
        s->tokens = (const char *const *)sp->graph_in.labels;
        if (sp->graph_in.d > 0) {
            s->features = sp->graph_in.features;
            s->d_feature = sp->graph_in.d;
        }
    } else {
        const char *text = sp->text ? sp->text : "";
        if (tok_split(&sp->toks, text, strlen(text), tokerr, sizeof tokerr)) {
            msg_fail(err, errlen, "--text: %s", tokerr);
            return -2;
        }
        s->n = sp->toks.n;
        s->tokens = (const char *const *)sp->toks.text;
    }
    s->vectors = NULL;
    s->edges = NULL;
    s->n_edges = 0;
    s->mask_matrix = NULL;
    memset(&s->params, 0, sizeof s->params);
    int n = s->n, dm = s->d_model;

    if (sp->vectors_file) {
        size_t len;
        char *buf = read_file(sp->vectors_file, base_dir, &len, full, sizeof full, err, errlen);
        if (!buf) return -1;
        sp->vectors = malloc(sizeof(float) * (size_t)n * dm);
        int r = sp->vectors ? scene_parse_matrix(sp->vectors, n, dm, buf, len, full, err, errlen)
                            : msg_fail(err, errlen, "out of memory");
        free(buf);
        if (r) return -1;
        s->vectors = sp->vectors;
    }
    if (s->mask == ATTN_MASK_GRAPH && !sp->mask_file && sp->graph && !sp->image && !sp->audio) {
        s->edges = sp->graph_in.edges;
        s->n_edges = sp->graph_in.n_edges;
    } else if (s->mask == ATTN_MASK_GRAPH || s->mask == ATTN_MASK_CUSTOM) {
        size_t len;
        if (!sp->mask_file) {
            if (s->mask == ATTN_MASK_GRAPH)
                msg_fail(err, errlen, "--mask: the graph mask needs a graph input (--graph) or a file (graph:FILE)");
            else
                msg_fail(err, errlen, "--mask: the custom mask needs a file (custom:FILE)");
            return -2;
        }
        char *buf = read_file(sp->mask_file, base_dir, &len, full, sizeof full, err, errlen);
        if (!buf) return -1;
        int r;
        if (s->mask == ATTN_MASK_GRAPH) {
            r = scene_parse_graph(&sp->edges, &sp->n_edges, n, buf, len, full, err, errlen);
            s->edges = sp->edges;
            s->n_edges = sp->n_edges;
        } else {
            float *m = malloc(sizeof(float) * (size_t)n * n);
            sp->mask_matrix = malloc((size_t)n * n);
            r = m && sp->mask_matrix ? scene_parse_matrix(m, n, n, buf, len, full, err, errlen)
                                     : msg_fail(err, errlen, "out of memory");
            for (size_t c = 0; r == 0 && c < (size_t)n * n; c++) {
                if (m[c] != 0.0f && m[c] != 1.0f) {
                    r = msg_fail(err, errlen, "%s: entry (%zu, %zu) is %g; a mask holds only 0 and 1",
                             full, c / (size_t)n + 1, c % (size_t)n + 1, (double)m[c]);
                    break;
                }
                sp->mask_matrix[c] = m[c] != 0.0f;
            }
            free(m);
            s->mask_matrix = sp->mask_matrix;
        }
        free(buf);
        if (r) return -1;
    }
    if (sp->weights_file) {
        /* start from the preset, then overwrite the sections the file gives */
        AttnScene ps = *s;
        memset(&ps.params, 0, sizeof ps.params);
        if (attn_forward(&sp->preset, &ps, err, errlen)) return -2;
        int H = s->heads, dh = s->d_head, da = s->d_att ? s->d_att : dh;
        size_t hd = (size_t)dm * dh, add = s->score == ATTN_SCORE_ADDITIVE;
        size_t total = 3 * H * hd + (size_t)H * dh * dm + add * ((size_t)H * 2 * dh * da + (size_t)H * da);
        sp->params = malloc(sizeof(float) * total);
        if (!sp->params) return msg_fail(err, errlen, "out of memory");
        SceneTensors t;
        t.wq = sp->params;
        t.wk = t.wq + H * hd;
        t.wv = t.wk + H * hd;
        t.wo = t.wv + H * hd;
        t.wa = add ? t.wo + (size_t)H * dh * dm : NULL;
        t.va = add ? t.wa + (size_t)H * 2 * dh * da : NULL;
        for (int h = 0; h < H; h++) {
            const AttnHead *ph = &sp->preset.head[h];
            memcpy(t.wq + h * hd, ph->wq, sizeof(float) * hd);
            memcpy(t.wk + h * hd, ph->wk, sizeof(float) * hd);
            memcpy(t.wv + h * hd, ph->wv, sizeof(float) * hd);
            if (add) {
                memcpy(t.wa + (size_t)h * 2 * dh * da, ph->wa, sizeof(float) * 2 * dh * da);
                memcpy(t.va + (size_t)h * da, ph->va, sizeof(float) * da);
            }
        }
        memcpy(t.wo, sp->preset.wo, sizeof(float) * (size_t)H * dh * dm);
        size_t len;
        char *buf = read_file(sp->weights_file, base_dir, &len, full, sizeof full, err, errlen);
        if (!buf) return -1;
        int r = scene_parse_weights(&t, s, buf, len, full, err, errlen);
        free(buf);
        if (r) return -1;
        s->params.wq = t.wq;
        s->params.wk = t.wk;
        s->params.wv = t.wv;
        s->params.wo = t.wo;
        s->params.wa = t.wa;
        s->params.va = t.va;
    }
    return attn_check(s, err, errlen) ? -2 : 0;
}

int scene_cross_load(SceneSpec *sp, const char *base_dir, CrossScene *out, char *err, size_t errlen)
{
    CrossScore score = (CrossScore)sp->cross_score;
    *out = cross_scene_default();
    out->score = score;
    cross_pair_free(&sp->cross_pair);
    if (!strchr(sp->cross, '/') && !strchr(sp->cross, '.')) {
        if (cross_preset(out, sp->cross) == 0) return 0;
        return msg_fail(err, errlen, "--cross: unknown sentence pair '%s' (allowed: %s, or a pair FILE)", sp->cross,
                    cross_preset_names());
    }
    size_t len;
    char full[4096];
    char *buf = read_file(sp->cross, base_dir, &len, full, sizeof full, err, errlen);
    if (!buf) return -1;
    int r = cross_pair_parse(&sp->cross_pair, buf, len, full, err, errlen);
    free(buf);
    if (r) return -1;
    cross_pair_scene(out, &sp->cross_pair);
    return 0;
}
