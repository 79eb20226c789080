/* graph.c: the graph file parser (graph.h), the adjacency it gives, and the built-in
 * example graphs. The parser makes two passes: titles and nodes first, so that edges may
 * name nodes given later; then the edges, collected in an n x n bit set that drops
 * repeats and yields them sorted. */
#include "graph.h"
#include "msg.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_SLOTS 8192 /* a power of two, at least twice GRAPH_MAX_NODES */
#define KNOWN_LISTED 5  /* labels an unknown-node message lists */

/* ---------------------------------------------------------------- words and lines */

typedef struct {
    const char *p, *end;
    int line, col; /* of p, 1-based, in bytes */
} Cursor;

typedef struct {
    const char *s;
    int len, col;
} Word;

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static void skip_blanks(Cursor *c)
{
    while (c->p < c->end && is_blank(*c->p)) {
        c->p++;
        c->col++;
    }
}

/* Reads the next word of the current line; 0 at the line's end or a comment. */
static int next_word(Cursor *c, Word *w)
{
    skip_blanks(c);
    if (c->p >= c->end || *c->p == '\n' || *c->p == '#') return 0;
    w->s = c->p;
    w->col = c->col;
    while (c->p < c->end && *c->p != '\n' && !is_blank(*c->p)) {
        c->p++;
        c->col++;
    }
    w->len = (int)(c->p - w->s);
    return 1;
}

/* Moves to the start of the next line; 0 when the text has ended. */
static int next_line(Cursor *c)
{
    while (c->p < c->end && *c->p != '\n') {
        c->p++;
        c->col++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    c->line++;
    c->col = 1;
    return 1;
}

static int word_is(const Word *w, const char *s)
{
    return (size_t)w->len == strlen(s) && memcmp(w->s, s, (size_t)w->len) == 0;
}

static int all_digits(const char *s, int len)
{
    for (int i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return len > 0;
}

/* ---------------------------------------------------------------- the parser */

typedef struct {
    const char *s; /* the label, inside the text */
    int len, line;
} NodeRef;

typedef struct {
    const char *name;
    char *err;
    size_t errlen;
    int n;             /* nodes so far */
    int d;             /* numbers per node; -1 before the first node */
    NodeRef *node;     /* GRAPH_MAX_NODES */
    int *slot;         /* HASH_SLOTS: node index + 1, 0 for empty */
    float *feat;       /* n x d so far */
    size_t feat_cap;
    int title_line;    /* 0 until a title is read */
} Parser;

static unsigned hash(const char *s, int len)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The node labelled s, or -1. */
static int find_label(const Parser *P, const char *s, int len)
{
    for (unsigned k = hash(s, len) & (HASH_SLOTS - 1);; k = (k + 1) & (HASH_SLOTS - 1)) {
        int i = P->slot[k] - 1;
        if (i < 0) return -1;
        if (P->node[i].len == len && memcmp(P->node[i].s, s, (size_t)len) == 0) return i;
    }
}

static void add_label(Parser *P, int i)
{
    unsigned k = hash(P->node[i].s, P->node[i].len) & (HASH_SLOTS - 1);
    while (P->slot[k]) k = (k + 1) & (HASH_SLOTS - 1);
    P->slot[k] = i + 1;
}

static int parse_title(Parser *P, Cursor *c, Graph *g, const Word *kw)
{
    if (P->title_line)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: a second title (the first is on line %d)",
                    P->name, c->line, kw->col, P->title_line);
    skip_blanks(c);
    const char *s = c->p, *e = s;
    int col = c->col;
    /* to the line's end or a '#' that starts a word */
    while (e < c->end && *e != '\n' && !(*e == '#' && (e == s || is_blank(e[-1])))) e++;
    while (e > s && is_blank(e[-1])) e--;
    if (e == s)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: title needs text, as in 'title My graph'",
                    P->name, c->line, col);
    if (e - s > (long)sizeof g->title - 1)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: the title is longer than the limit of %d bytes",
                    P->name, c->line, col, (int)sizeof g->title - 1);
    memcpy(g->title, s, (size_t)(e - s));
    g->title[e - s] = 0;
    P->title_line = c->line;
    return 0;
}

static int parse_number(Parser *P, const Cursor *c, const Word *w, float *out)
{
    char buf[64];
    int k = w->len < (int)sizeof buf - 1 ? w->len : (int)sizeof buf - 1;
    memcpy(buf, w->s, (size_t)k);
    buf[k] = 0;
    char *endp;
    double v = strtod(buf, &endp);
    if (w->len >= (int)sizeof buf || endp == buf || *endp)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: '%s%s' is not a number", P->name, c->line,
                    w->col, buf, w->len > k ? "..." : "");
    if (!(fabs(v) <= FLT_MAX))
        return msg_fail(P->err, P->errlen, "%s:%d:%d: '%s' is not a finite number", P->name,
                    c->line, w->col, buf);
    *out = (float)v;
    return 0;
}

static int parse_node(Parser *P, Cursor *c, const Word *kw)
{
    Word lab, w;
    if (P->n == GRAPH_MAX_NODES)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: more than the limit of %d nodes", P->name,
                    c->line, kw->col, GRAPH_MAX_NODES);
    if (!next_word(c, &lab))
        return msg_fail(P->err, P->errlen, "%s:%d:%d: a node needs a label, as in 'node C 1 0 0'",
                    P->name, c->line, c->col);
    if (lab.len > GRAPH_MAX_LABEL)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: the label '%.*s...' is longer than the limit of %d bytes",
                    P->name, c->line, lab.col, 16, lab.s, GRAPH_MAX_LABEL);
    for (int i = 0; i < lab.len; i++)
        if ((unsigned char)lab.s[i] < 32 || lab.s[i] == 127)
            return msg_fail(P->err, P->errlen, "%s:%d:%d: the label holds a control character (byte %d)",
                        P->name, c->line, lab.col + i, (unsigned char)lab.s[i]);
    if (all_digits(lab.s, lab.len))
        return msg_fail(P->err, P->errlen, "%s:%d:%d: the label '%.*s' is only digits; edges read "
                    "digits as node numbers, so a label needs another character", P->name,
                    c->line, lab.col, lab.len, lab.s);
    int twin = find_label(P, lab.s, lab.len);
    if (twin >= 0)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: the label '%.*s' is used twice (first on line %d)",
                    P->name, c->line, lab.col, lab.len, lab.s, P->node[twin].line);

    int k = 0, end_col = lab.col + lab.len; /* where a missing number would go */
    size_t base = (size_t)P->n * (P->d > 0 ? P->d : 0);
    while (next_word(c, &w)) {
        if (k == GRAPH_MAX_FEATURES)
            return msg_fail(P->err, P->errlen, "%s:%d:%d: more than the limit of %d numbers on a node",
                        P->name, c->line, w.col, GRAPH_MAX_FEATURES);
        if (P->d >= 0 && k == P->d)
            return msg_fail(P->err, P->errlen, "%s:%d:%d: node '%.*s' gives more numbers than node "
                        "'%.*s' (line %d), which gives %d; every node gives the same number",
                        P->name, c->line, w.col, lab.len, lab.s, P->node[0].len, P->node[0].s,
                        P->node[0].line, P->d);
        if (base + (size_t)k == P->feat_cap) {
            size_t cap = P->feat_cap ? 2 * P->feat_cap : 256;
            float *f = realloc(P->feat, sizeof(float) * cap);
            if (!f) return msg_fail(P->err, P->errlen, "%s: out of memory", P->name);
            P->feat = f;
            P->feat_cap = cap;
        }
        if (parse_number(P, c, &w, &P->feat[base + (size_t)k])) return -1;
        k++;
        end_col = w.col + w.len;
    }
    if (P->d >= 0 && k < P->d)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: node '%.*s' gives %d numbers but node '%.*s' "
                    "(line %d) gives %d; every node gives the same number", P->name, c->line,
                    end_col, lab.len, lab.s, k, P->node[0].len, P->node[0].s, P->node[0].line,
                    P->d);
    if (P->d < 0) P->d = k;
    P->node[P->n] = (NodeRef){lab.s, lab.len, c->line};
    add_label(P, P->n);
    P->n++;
    return 0;
}

/* The node a word names (a label or a number 1..n), or -1 with a message. */
static int resolve(Parser *P, const Cursor *c, const char *s, int len, int col)
{
    if (all_digits(s, len)) {
        long v = 0;
        for (int i = 0; i < len && v <= GRAPH_MAX_NODES; i++) v = v * 10 + (s[i] - '0');
        if (v < 1 || v > P->n)
            return msg_fail(P->err, P->errlen, "%s:%d:%d: node %.*s is outside 1..%d (the number of nodes)",
                        P->name, c->line, col, len > 20 ? 20 : len, s, P->n);
        return (int)v - 1;
    }
    int i = find_label(P, s, len);
    if (i >= 0) return i;
    char known[KNOWN_LISTED * (GRAPH_MAX_LABEL + 2) + 8];
    size_t m = 0;
    for (int j = 0; j < P->n && j < KNOWN_LISTED; j++)
        m += (size_t)snprintf(known + m, sizeof known - m, "%s%.*s", j ? ", " : "",
                              P->node[j].len, P->node[j].s);
    if (P->n > KNOWN_LISTED) snprintf(known + m, sizeof known - m, ", ...");
    return msg_fail(P->err, P->errlen, "%s:%d:%d: unknown node '%.*s' (known: %s)", P->name, c->line,
                col, len > GRAPH_MAX_LABEL ? GRAPH_MAX_LABEL : len, s, known);
}

/* Reads one edge line after its keyword; marks the pair in set (n x n bits, i < j). */
static int parse_edge(Parser *P, Cursor *c, unsigned char *set)
{
    Word a, b, extra;
    static const char *usage = "an edge joins two nodes, as in 'edge A B' or 'edge A-B'";
    if (!next_word(c, &a))
        return msg_fail(P->err, P->errlen, "%s:%d:%d: %s", P->name, c->line, c->col, usage);
    int end_a = c->col;
    int ends[2];
    if (next_word(c, &b)) {
        if (next_word(c, &extra))
            return msg_fail(P->err, P->errlen, "%s:%d:%d: unexpected text after the edge; %s",
                        P->name, c->line, extra.col, usage);
        if ((ends[0] = resolve(P, c, a.s, a.len, a.col)) < 0) return -1;
        if ((ends[1] = resolve(P, c, b.s, b.len, b.col)) < 0) return -1;
    } else {
        const char *dash = memchr(a.s, '-', (size_t)a.len);
        if (!dash)
            return msg_fail(P->err, P->errlen, "%s:%d:%d: %s", P->name, c->line, end_a, usage);
        if (find_label(P, a.s, a.len) >= 0)
            return msg_fail(P->err, P->errlen, "%s:%d:%d: '%.*s' is one node's label; an edge joins "
                        "two nodes, as in 'edge %.*s B'", P->name, c->line, a.col, a.len, a.s,
                        a.len, a.s);
        int left = (int)(dash - a.s), right = a.len - left - 1;
        if (left == 0 || right == 0 || memchr(dash + 1, '-', (size_t)right))
            return msg_fail(P->err, P->errlen, "%s:%d:%d: '%.*s' is not an edge: 'A-B' needs exactly "
                        "one '-' with a node on each side (labels holding '-' need 'edge A B')",
                        P->name, c->line, a.col, a.len > GRAPH_MAX_LABEL ? GRAPH_MAX_LABEL : a.len, a.s);
        if ((ends[0] = resolve(P, c, a.s, left, a.col)) < 0) return -1;
        if ((ends[1] = resolve(P, c, dash + 1, right, a.col + left + 1)) < 0) return -1;
    }
    int i = ends[0] < ends[1] ? ends[0] : ends[1];
    int j = ends[0] < ends[1] ? ends[1] : ends[0];
    if (i != j) { /* a self-edge adds nothing: every node sees itself */
        size_t bit = (size_t)i * P->n + j;
        set[bit >> 3] |= (unsigned char)(1u << (bit & 7));
    }
    return 0;
}

static int parse(Parser *P, Graph *g, const char *text, size_t len)
{
    Cursor c = {text, text + len, 1, 1};
    Word kw;
    do {
        if (!next_word(&c, &kw)) continue;
        if (word_is(&kw, "title")) {
            if (parse_title(P, &c, g, &kw)) return -1;
        } else if (word_is(&kw, "node")) {
            if (parse_node(P, &c, &kw)) return -1;
        } else if (!word_is(&kw, "edge")) {
            return msg_fail(P->err, P->errlen, "%s:%d:%d: unknown keyword '%.*s' (allowed: title, node, edge)",
                        P->name, c.line, kw.col, kw.len > 20 ? 20 : kw.len, kw.s);
        }
    } while (next_line(&c));
    if (P->n == 0)
        return msg_fail(P->err, P->errlen, "%s:%d:%d: no nodes; a graph needs at least one line "
                    "'node LABEL [numbers]'", P->name, c.line, c.col);

    int n = P->n;
    unsigned char *set = calloc(((size_t)n * n + 7) / 8, 1);
    if (!set) return msg_fail(P->err, P->errlen, "%s: out of memory", P->name);
    c = (Cursor){text, text + len, 1, 1};
    do {
        if (next_word(&c, &kw) && word_is(&kw, "edge") && parse_edge(P, &c, set)) {
            free(set);
            return -1;
        }
    } while (next_line(&c));

    size_t count = 0, bytes = ((size_t)n * n + 7) / 8;
    for (size_t k = 0; k < bytes; k++)
        for (unsigned char b = set[k]; b; b &= (unsigned char)(b - 1)) count++;
    g->n = n;
    g->d = P->d;
    g->n_edges = (int)count;
    g->labels = calloc((size_t)n, sizeof *g->labels);
    g->edges = count ? malloc(sizeof(int) * 2 * count) : NULL;
    int ok = g->labels && (g->edges || !count);
    for (int i = 0; ok && i < n; i++) {
        g->labels[i] = malloc((size_t)P->node[i].len + 1);
        if (!g->labels[i]) ok = 0;
        else {
            memcpy(g->labels[i], P->node[i].s, (size_t)P->node[i].len);
            g->labels[i][P->node[i].len] = 0;
        }
    }
    if (!ok) {
        free(set);
        return msg_fail(P->err, P->errlen, "%s: out of memory", P->name);
    }
    /* bit i * n + j for i < j: reading the bits in order gives the edges sorted */
    int m = 0;
    for (size_t k = 0; k < bytes; k++)
        for (int b = 0; set[k] && b < 8; b++)
            if (set[k] & (1u << b)) {
                size_t bit = 8 * k + (size_t)b;
                g->edges[2 * m] = (int)(bit / (size_t)n);
                g->edges[2 * m + 1] = (int)(bit % (size_t)n);
                m++;
            }
    free(set);
    if (P->d > 0) {
        g->features = P->feat;
        P->feat = NULL;
    }
    return 0;
}

int graph_parse(Graph *g, const char *text, size_t len, const char *name, char *err,
                size_t errlen)
{
    memset(g, 0, sizeof *g);
    Parser P = {0};
    P.name = name ? name : "graph";
    P.err = err;
    P.errlen = errlen;
    P.d = -1;
    P.node = malloc(sizeof *P.node * GRAPH_MAX_NODES);
    P.slot = calloc(HASH_SLOTS, sizeof *P.slot);
    int r = P.node && P.slot ? parse(&P, g, text, len)
                             : msg_fail(err, errlen, "%s: out of memory", P.name);
    free(P.node);
    free(P.slot);
    free(P.feat);
    if (r) graph_free(g);
    return r;
}

void graph_free(Graph *g)
{
    if (g->labels)
        for (int i = 0; i < g->n; i++) free(g->labels[i]);
    free(g->labels);
    free(g->features);
    free(g->edges);
    memset(g, 0, sizeof *g);
}

void graph_adjacency(unsigned char *out, const Graph *g)
{
    int n = g->n;
    memset(out, 0, (size_t)n * n);
    for (int i = 0; i < n; i++) out[(size_t)i * n + i] = 1;
    for (int k = 0; k < g->n_edges; k++) {
        int i = g->edges[2 * k], j = g->edges[2 * k + 1];
        out[(size_t)i * n + j] = 1;
        out[(size_t)j * n + i] = 1;
    }
}

/* ---------------------------------------------------------------- built-in graphs */

/* Ethanol: element one-hot features plus the valence / 4, so atoms of one element look
 * alike and only the bonds tell the two carbons, or the hydrogens, apart. */
static const char molecule_text[] =
    "# Ethanol, CH3-CH2-OH: atoms are nodes, bonds are edges.\n"
    "# features: carbon, hydrogen, oxygen, valence / 4\n"
    "title Ethanol, C2H5OH\n"
    "node C1  1 0 0 1\n"
    "node C2  1 0 0 1\n"
    "node O   0 0 1 0.5\n"
    "node H1  0 1 0 0.25\n"
    "node H2  0 1 0 0.25\n"
    "node H3  0 1 0 0.25\n"
    "node H4  0 1 0 0.25\n"
    "node H5  0 1 0 0.25\n"
    "node H6  0 1 0 0.25\n"
    "edge C1-C2\n"
    "edge C2-O\n"
    "edge C1-H1\n"
    "edge C1-H2\n"
    "edge C1-H3\n"
    "edge C2-H4\n"
    "edge C2-H5\n"
    "edge O-H6\n";

/* Two friend groups with different tastes; Dan, who shares a little of both and has two
 * friends in each, is the only link between them. */
static const char friends_text[] =
    "# Two friend groups joined by one person, Dan.\n"
    "# features: sports, music, games, books (0..1)\n"
    "title Two friend groups and a bridge\n"
    "node Ana   0.9 0.2 0.8 0.1\n"
    "node Ben   1.0 0.1 0.6 0.0\n"
    "node Cleo  0.7 0.3 0.9 0.2\n"
    "node Dan   0.5 0.6 0.5 0.4\n"
    "node Eve   0.1 0.9 0.2 0.8\n"
    "node Finn  0.0 0.7 0.1 1.0\n"
    "node Gus   0.2 1.0 0.3 0.6\n"
    "node Hana  0.1 0.8 0.0 0.9\n"
    "edge Ana Ben\n"
    "edge Ana Cleo\n"
    "edge Ben Cleo\n"
    "edge Cleo Dan\n"
    "edge Ben Dan\n"
    "edge Dan Eve\n"
    "edge Dan Finn\n"
    "edge Eve Finn\n"
    "edge Eve Gus\n"
    "edge Finn Gus\n"
    "edge Finn Hana\n"
    "edge Gus Hana\n";

const char *const graph_builtin_names[] = {"molecule", "friends", NULL};
static const char *const builtin_texts[] = {molecule_text, friends_text};

const char *graph_builtin_text(const char *name)
{
    for (int i = 0; name && graph_builtin_names[i]; i++)
        if (strcmp(name, graph_builtin_names[i]) == 0) return builtin_texts[i];
    return NULL;
}

int graph_builtin(Graph *g, const char *name, char *err, size_t errlen)
{
    const char *text = graph_builtin_text(name);
    if (!text) {
        char known[128];
        msg_join(known, sizeof known, graph_builtin_names, "");
        memset(g, 0, sizeof *g);
        return msg_fail(err, errlen, "unknown example graph '%s' (known: %s)", name ? name : "",
                    known);
    }
    return graph_parse(g, text, strlen(text), name, err, errlen);
}
